"""The layer rule of DESIGN.md as a test: imports only point down the data flow.

    policy_search.app, policy_search.cli   the composition root: wires everything
    ─────────────────────────────────────────────────────────────────────────────
    web        → index.api (the index's public interface), policy_search
    crawler    → policy_search          index → policy_search
    policy_search (domain, job runtime) → nothing of the project above it
"""
import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("policy_search", "crawler", "index", "web")
# The composition root: the CLI and the use cases it shares with the job worker.
COMPOSITION_ROOT = ("policy_search.app", "policy_search.cli")
# package -> project packages it must not import
FORBIDDEN = {
    "policy_search": {"crawler", "index", "web"},
    "crawler": {"index", "web"},
    "index": {"crawler", "web"},
    "web": {"crawler"},  # allowed only in the module that reads the crawler's sources
}
# The composition root wires everything together; the admin pages read and check the
# crawler's sources through one module.
EXEMPT = {("policy_search", "app"), ("policy_search", "cli"), ("web", "sources")}
# What web may import of the index: its public interface.
INDEX_INTERFACE = "index.api"


@cache
def parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_packages(path: Path) -> set[str]:
    return imported_roots(parsed(path)) & set(PACKAGES)


def imported_modules(tree: ast.AST) -> set[str]:
    """The dotted names a module imports (absolute imports; `from a import b` counts as
    `a.b`, since b may be a module)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imported_roots(tree: ast.AST) -> set[str]:
    """The top-level names of the modules a module imports (absolute imports)."""
    return {name.split(".")[0] for name in imported_modules(tree)}


def in_composition_root(module: str) -> bool:
    return any(module == root or module.startswith(root + ".") for root in COMPOSITION_ROOT)


def module_name(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")


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


def imports_of_the_composition_root(root: Path = ROOT) -> list[str]:
    """Modules below the composition root that import it (only `python -m policy_search`
    starts the CLI)."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            name = module_name(path, root)
            if in_composition_root(name) or name == "policy_search.__main__":
                continue
            for module in sorted(imported_modules(parsed(path))):
                if in_composition_root(module):
                    found.append(f"{path.relative_to(root)} imports {module}")
    return found


def index_internals_in_web(root: Path = ROOT) -> list[str]:
    """web modules importing any part of the index but its public interface."""
    found = []
    for path in sorted((root / "web").rglob("*.py")):
        for module in sorted(imported_modules(parsed(path))):
            if module.split(".")[0] == "index" and \
                    not (module == INDEX_INTERFACE or module.startswith(INDEX_INTERFACE + ".")):
                found.append(f"{path.relative_to(root)} imports {module}")
    return found


def test_no_module_imports_against_the_flow():
    assert violations() == []


def test_nothing_below_the_composition_root_imports_it():
    assert imports_of_the_composition_root() == []


def test_web_uses_the_index_only_through_its_interface():
    assert index_internals_in_web() == []


def test_the_check_catches_a_violation(tmp_path):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "index" / "bad.py").write_text("from crawler.fetch import get\n")
    (tmp_path / "policy_search" / "store.py").write_text("import web.app\n")
    for floor in ("cli", "app"):
        (tmp_path / "policy_search" / floor).mkdir()
        (tmp_path / "policy_search" / floor / "wiring.py").write_text("import web\n")  # allowed
    (tmp_path / "web" / "sources.py").write_text("from crawler.sources import load\n")  # allowed
    (tmp_path / "web" / "admin.py").write_text("from crawler import check\n")
    assert violations(tmp_path) == ["policy_search/store.py imports web",
                                    "index/bad.py imports crawler", "web/admin.py imports crawler"]


def test_the_check_catches_an_upward_import_of_the_composition_root(tmp_path):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "policy_search" / "app").mkdir()
    (tmp_path / "policy_search" / "app" / "ingest.py").write_text("from policy_search.cli import x\n")
    (tmp_path / "policy_search" / "__main__.py").write_text("from policy_search.cli import main\n")
    (tmp_path / "policy_search" / "jobs.py").write_text("from policy_search.app import ingest\n")
    (tmp_path / "web" / "admin.py").write_text("import policy_search.cli.jobs\n")
    assert imports_of_the_composition_root(tmp_path) == [
        "policy_search/jobs.py imports policy_search.app.ingest",
        "web/admin.py imports policy_search.cli.jobs"]


def test_the_check_catches_index_internals_in_web(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "ok.py").write_text("from index.api import LIMITS\nfrom index import api\n")
    (tmp_path / "web" / "bad.py").write_text(
        "from index.build import index_status\nfrom index import build\nimport index.search\n")
    assert index_internals_in_web(tmp_path) == [
        "web/bad.py imports index.build", "web/bad.py imports index.build.index_status",
        "web/bad.py imports index.search"]


# --- Whoosh internals behind one adapter ----------------------------------------------

WHOOSH_ADAPTER = Path("index") / "whoosh_internals.py"
# Where Whoosh objects are handled: the packages, the benches and the tests.
WHOOSH_USERS = PACKAGES + ("bench", "tests")
ATTRIBUTE_CALLS = {"getattr", "hasattr", "setattr", "delattr"}


@cache
def whoosh_private_names() -> frozenset[str]:
    """Every private name in Whoosh's source (`_read_ids`, `_perdoc`, `_lenfield` …)."""
    import whoosh

    names = set()
    for path in Path(whoosh.__file__).parent.rglob("*.py"):
        # every identifier with one leading underscore, comments and strings included
        names.update(re.findall(r"(?<!\w)_[A-Za-z0-9]\w*", path.read_text(encoding="utf-8")))
    return frozenset(names)


def _project_modules(tree: ast.AST) -> set[str]:
    """Local names bound to the project's own modules (`from policy_search import
    jobs`): their private names are the project's, not Whoosh's."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.split(".")[0] in WHOOSH_USERS:
            bound.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            bound.update(alias.asname or alias.name.split(".")[0] for alias in node.names
                         if alias.name.split(".")[0] in WHOOSH_USERS)
    return bound


def private_whoosh_uses(path: Path, private: frozenset[str], name_as: str) -> list[str]:
    """`obj._name`, `from whoosh… import _name`, `f(_name=…)` and `getattr(obj, "_name")`
    with a private Whoosh name, in a module that handles Whoosh objects (imports whoosh
    or the index)."""
    tree = parsed(path)
    if not {"whoosh", "index"} & imported_roots(tree):
        return []
    own = _project_modules(tree) | {"self", "cls"}
    found = []
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Attribute) and node.attr in private:
            if not (isinstance(node.value, ast.Name) and node.value.id in own):
                name = node.attr
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
            name = next((a.name for a in node.names if a.name in private), None)
        elif isinstance(node, ast.keyword) and node.arg in private:
            name = node.arg
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ATTRIBUTE_CALLS and len(node.args) > 1 and \
                isinstance(node.args[1], ast.Constant) and node.args[1].value in private:
            name = node.args[1].value
        if name:
            found.append((node.lineno, name))
    return [f"{name_as}:{line} uses {name}" for line, name in sorted(found)]


def whoosh_internals_outside_the_adapter(root: Path = ROOT) -> list[str]:
    private = whoosh_private_names()
    found = []
    for folder in WHOOSH_USERS:
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root)
            if relative != WHOOSH_ADAPTER:
                found.extend(private_whoosh_uses(path, private, str(relative)))
    return found


@pytest.mark.slow
def test_whoosh_internals_are_used_only_in_the_adapter():
    assert whoosh_internals_outside_the_adapter() == []


def test_the_adapter_check_catches_private_whoosh_names(tmp_path):
    for folder in WHOOSH_USERS:
        (tmp_path / folder).mkdir()
    (tmp_path / "index" / "whoosh_internals.py").write_text(
        "def ids(matcher):\n    matcher._read_ids()\n    return matcher._ids\n")
    (tmp_path / "index" / "fast.py").write_text(
        "from whoosh.codec.whoosh3 import _lenfield\n"
        "from whoosh.writing import SegmentWriter\n"
        "def go(reader, ix):\n"
        "    SegmentWriter(ix, _lk=False)\n"
        "    return reader._perdoc, getattr(reader, '_storage', None)\n")
    (tmp_path / "web" / "own.py").write_text(  # the project's own private names pass
        "from index import search\nfrom policy_search import jobs\n"
        "def go(index):\n    jobs._finish()\n    return search._bounds\n")
    assert whoosh_internals_outside_the_adapter(tmp_path) == [
        "index/fast.py:1 uses _lenfield", "index/fast.py:4 uses _lk",
        "index/fast.py:5 uses _perdoc", "index/fast.py:5 uses _storage"]


# --- SQL only in the store ------------------------------------------------------------

STORE_PACKAGE = Path("policy_search") / "domain" / "store"
# Where SQL may not be written: the packages, the scripts and the benches.
SQL_FREE = PACKAGES + ("scripts", "bench")
# Not the store's database: the schema itself (kept beside the package so that parallel
# branches append their migrations to one file), and databases of their own — the index's
# token cache, the FTS5 baseline a bench compares the index with. Path -> allowed scopes
# (a class or function name; "*" for the whole module).
OWN_DATABASES = {
    Path("policy_search") / "domain" / "migrations.py": {"*"},
    Path("index") / "build.py": {"TokenCache"},
    Path("bench") / "relevance.py": {"build_fts", "fts_search"},
}
SQL = re.compile(
    r"\bSELECT\b.*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b|\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX|VIEW|TRIGGER|VIRTUAL)\b"
    r"|\bPRAGMA\s+\w+|\bBEGIN\s+(IMMEDIATE|DEFERRED|EXCLUSIVE)\b|\bSAVEPOINT\s+\w+", re.S)


def _scoped_nodes(tree: ast.AST):
    """(node, names of the classes and functions around it) for every node."""
    stack = [(tree, ())]
    while stack:
        node, scopes = stack.pop()
        yield node, scopes
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            scopes = (*scopes, node.name)
        stack.extend((child, scopes) for child in ast.iter_child_nodes(node))


def sql_uses(path: Path, name_as: str, allowed: set[str] = frozenset()) -> list[str]:
    """SQL text, `.conn` and the sqlite3 module in a module, outside the allowed scopes."""
    if "*" in allowed:
        return []
    found = []
    for node, scopes in _scoped_nodes(parsed(path)):
        if allowed & set(scopes):
            continue
        what = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                SQL.search(node.value):
            what = "SQL text"
        elif isinstance(node, ast.Attribute) and node.attr == "conn":
            what = ".conn"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id == "sqlite3":
            what = f"sqlite3.{node.attr}"
        elif isinstance(node, ast.ImportFrom) and node.module == "sqlite3":
            what = "from sqlite3 import"
        if what:
            found.append((node.lineno, what))
    return [f"{name_as}:{line} uses {what}" for line, what in sorted(set(found))]


def sql_outside_the_store(root: Path = ROOT) -> list[str]:
    found = []
    for folder in SQL_FREE:
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root)
            if relative.is_relative_to(STORE_PACKAGE):
                continue
            found.extend(sql_uses(path, str(relative), OWN_DATABASES.get(relative, set())))
    return found


def test_sql_is_written_only_in_the_store():
    assert sql_outside_the_store() == []


def test_the_sql_check_catches_sql_outside_the_store(tmp_path):
    for folder in SQL_FREE:
        (tmp_path / folder).mkdir()
    (tmp_path / STORE_PACKAGE).mkdir(parents=True)
    (tmp_path / STORE_PACKAGE / "jobs.py").write_text(  # the store's own SQL passes
        "def get(self, i):\n    return self.conn.execute('SELECT * FROM jobs WHERE id = ?', (i,))\n")
    (tmp_path / "crawler" / "run.py").write_text(
        "def title(store, pid):\n"
        "    return store.conn.execute(\n"
        "        'SELECT title FROM policies'\n"
        "        ' WHERE id = ?', (pid,)).fetchone()\n")
    (tmp_path / "policy_search" / "jobs.py").write_text(
        "def claim(store):\n    with store.transaction() as db:\n"
        "        db.execute(f\"UPDATE jobs SET state = 'running' WHERE id = {1}\")\n")
    (tmp_path / "web" / "raw.py").write_text(
        "import sqlite3\nfrom sqlite3 import connect\n"
        "def open_it(path):\n    return sqlite3.connect(path)\n")
    (tmp_path / "index" / "build.py").write_text(  # the token cache's own database passes
        "import sqlite3\nclass TokenCache:\n    def __init__(self, path):\n"
        "        self.conn = sqlite3.connect(path)\n"
        "        self.conn.execute('CREATE TABLE IF NOT EXISTS tokens (key TEXT)')\n"
        "def status(store):\n    return store.conn\n")
    (tmp_path / "bench" / "fine.py").write_text(  # prose about selecting is not SQL
        "'''Select the queries from the judged set; update the figures.'''\n")
    assert sql_outside_the_store(tmp_path) == [
        "policy_search/jobs.py:3 uses SQL text",
        "crawler/run.py:2 uses .conn", "crawler/run.py:3 uses SQL text",
        "index/build.py:7 uses .conn",
        "web/raw.py:2 uses from sqlite3 import", "web/raw.py:4 uses sqlite3.connect",
    ]


# --- the domain at the bottom ---------------------------------------------------------

# What stands on the domain inside policy_search: the job runtime, what queues or lists
# jobs, and the composition root.
ABOVE_THE_DOMAIN = ("policy_search.jobs", "policy_search.schedule", "policy_search.first_run",
                    "policy_search.snapshot", "policy_search.dashboard") + COMPOSITION_ROOT


def upward_imports_of_the_domain(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted((root / "policy_search" / "domain").rglob("*.py")):
        for module in sorted(imported_modules(parsed(path))):
            if any(module == above or module.startswith(above + ".") for above in ABOVE_THE_DOMAIN):
                found.append(f"{path.relative_to(root)} imports {module}")
    return found


def test_the_domain_imports_nothing_above_it():
    assert upward_imports_of_the_domain() == []


def test_the_domain_check_catches_an_upward_import(tmp_path):
    (tmp_path / "policy_search" / "domain").mkdir(parents=True)
    (tmp_path / "policy_search" / "domain" / "card.py").write_text(
        "from policy_search import jobs\nfrom policy_search.settings import Settings\n")
    assert upward_imports_of_the_domain(tmp_path) == [
        "policy_search/domain/card.py imports policy_search.jobs"]
