from __future__ import annotations

import pytest

from policy_search.settings import load_settings
from policy_search.domain.store import Store

from tests.crawler.site import fault_sources_toml, sources_toml


def make_settings(tmp_path, sources_text: str, **overrides):
    tmp_path.mkdir(parents=True, exist_ok=True)
    sources_file = tmp_path / "sources.toml"
    sources_file.write_text(sources_text, "utf-8")
    values = dict(crawl_delay=0.05, crawl_jitter=0.02, crawl_timeout=0.5,
                  crawl_connect_timeout=0.5, crawl_retries=1, crawl_max_bytes=1_000_000,
                  contact_url="https://example.org/bot")
    values.update(overrides)
    return load_settings(environ={}, data_dir=tmp_path / "data", sources_file=sources_file, **values)


@pytest.fixture
def crawl_env(tmp_path, gov_site):
    settings = make_settings(tmp_path, sources_toml(gov_site))
    store = Store(settings.db_path)
    yield settings, store
    store.close()


@pytest.fixture
def fault_env(tmp_path, gov_site):
    settings = make_settings(tmp_path, fault_sources_toml(gov_site))
    store = Store(settings.db_path)
    yield settings, store
    store.close()
