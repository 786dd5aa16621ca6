# 政策超市 — set-up, main job and tests. Only python3 (>= 3.11) and make are needed;
# the browser tests also install Debian's chromium (as root) when it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= data
CLI := $(BIN)/policy-search --data-dir $(DATA_DIR)

.PHONY: run test test-fast setup browser-deps crawl index serve import bench clean

# The main job: the whole service (the site and the job worker). A first run loads the
# starter snapshot and starts crawling the default sources; the site answers at once.
run: setup
	$(CLI) run

# Where the tests' files go: /dev/shm when it has room (SQLite's fsyncs cost nothing
# there), else $TMPDIR. Compiled modules and tests are kept (__pycache__, ignored by git)
# even where the shell sets PYTHONDONTWRITEBYTECODE: the suite starts the CLI in many
# subprocesses, and rewriting 1,700 tests' asserts takes seconds per process.
TEST_TMP = tmp=$${TMPDIR:-/tmp}; \
	if [ "$$(df -k --output=avail /dev/shm 2>/dev/null | tail -n 1)" -gt 2097152 ] 2>/dev/null; \
	then tmp=/dev/shm; fi; echo "test files in $$tmp"
TEST_ENV = TMPDIR=$$tmp PYTHONDONTWRITEBYTECODE=

# Everything the tests need, then the whole suite (slow and browser tests included) on
# every core, a test file per worker (about 6 minutes on 2 cores, 9 in one process).
# pytest exits 5 when it ran no test: that is a failure too.
test: setup browser-deps
	@$(TEST_TMP); \
	$(TEST_ENV) $(BIN)/pytest -n auto --dist loadfile; status=$$?; \
	if [ $$status -eq 5 ]; then echo "no tests ran" >&2; exit 1; fi; exit $$status

# The quick check while developing: every core (pytest-xdist), a test file per worker so
# its module fixtures are built once.
test-fast: setup
	@$(TEST_TMP); \
	$(TEST_ENV) $(BIN)/pytest -m "not slow and not browser" -n auto --dist loadfile

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "warning: could not install chromium; the browser tests will fail"; \
	  else echo "warning: chromium missing: run 'sudo apt-get install chromium' for the browser tests"; fi; }

# The offline path: import a policy list instead of crawling (FILE=path.jsonl|csv|xlsx).
import: setup
	$(CLI) import $(FILE)
	$(CLI) index rebuild

crawl: setup
	$(CLI) crawl

index: setup
	$(CLI) index rebuild

serve: setup
	$(CLI) serve

bench: setup
	$(BIN)/python bench/relevance.py
	$(BIN)/python bench/search_speed.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
