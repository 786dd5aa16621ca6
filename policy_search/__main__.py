from policy_search.cli import main

main(prog_name="policy-search")
