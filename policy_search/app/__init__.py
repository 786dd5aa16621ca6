"""The composition root: the one place that wires the crawler, the index and the site
to the domain. The use cases the `policy-search` command shares with the job worker
live here, each written once (`ingest`: crawl → enrich → index; `job_kinds`: the real
kinds a worker runs); nothing below this package imports it.
"""
