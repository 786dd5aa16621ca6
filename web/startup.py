"""The first run on the home page: what the first crawl is doing, or why it failed, and
the starter snapshot the site serves meanwhile (policy_search/first_run.py decides)."""
from __future__ import annotations

from policy_search.first_run import StartupStatus, startup_status
from web.app import services
from web.sources import all_sources
from web.params import SearchState


def home_status(state: SearchState) -> StartupStatus | None:
    """Shown on the first page of the unfiltered list only: the home page."""
    if not state.is_browse or state.page != 1:
        return None
    store = services().store
    status = startup_status(store, lambda: enabled_sources(store))
    return status if status.shown else None


def enabled_sources(store) -> list[tuple[str, str]]:
    sources, _problems = all_sources(services().settings, store)
    return [(s.id, s.name) for s in sources if s.enabled and store.sources.state(s.id)["enabled"]]
