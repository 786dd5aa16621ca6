"""The layer rule of DESIGN.md as a test: imports only point down the data flow."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("policy_search", "crawler", "index", "web")
# package -> project packages it must not import
FORBIDDEN = {
    "policy_search": {"crawler", "index", "web"},
    "crawler": {"index", "web"},
    "index": {"crawler", "web"},
    "web": {"crawler"},  # allowed only in the module that starts a crawl job
}
# policy_search/cli wires everything together; web may start a crawl job from one place.
EXEMPT = {("policy_search", "cli"), ("web", "jobs")}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root / package).parts
            if (package, parts[0].removesuffix(".py")) in EXEMPT:
                continue
            for name in sorted(imported_packages(path) & forbidden):
                found.append(f"{path.relative_to(root)} imports {name}")
    return found


def test_no_module_imports_against_the_flow():
    assert violations() == []


def test_the_check_catches_a_violation(tmp_path):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "index" / "bad.py").write_text("from crawler.fetch import get\n")
    (tmp_path / "policy_search" / "store.py").write_text("import web.app\n")
    (tmp_path / "policy_search" / "cli").mkdir()
    (tmp_path / "policy_search" / "cli" / "serve.py").write_text("import web\n")  # allowed
    assert violations(tmp_path) == ["policy_search/store.py imports web", "index/bad.py imports crawler"]
