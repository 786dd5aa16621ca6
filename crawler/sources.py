"""Crawl sources as data: the shipped TOML, or the file named by Settings.sources_file."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from policy_search.domain.normalize import normalize_level
from policy_search.domain.regions import find_region, level_of_code, region_name
from policy_search.domain.url_safety import scheme_problem

ENTRY_KINDS = ("trs", "hanweb", "gkmlpt", "govcn_api", "links")


@dataclass
class Entry:
    """One list page series or API of a source."""

    kind: str
    url: str
    page_url: str | None = None
    first_n: int = 1
    first_page: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"


@dataclass
class Source:
    id: str
    name: str
    level: str
    region_code: str
    allowed_hosts: list[str]
    entries: list[Entry]
    delay: float = 0.0
    extractor: str = "auto"
    link_pattern: str | None = None
    link_selector: str | None = None
    body_selector: str | None = None
    title_selector: str | None = None
    enabled: bool = True
    # Added on the admin pages: every host it reaches is checked to be public on each
    # request (a name checked when the source was saved may later point inside).
    public_only: bool = False

    @property
    def region_name(self) -> str | None:
        return region_name(self.region_code)

    def allows(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        # An allowed host also covers its own subdomains (sousuo.www.gov.cn under www.gov.cn).
        return any(host == allowed or host.endswith("." + allowed) for allowed in self.allowed_hosts)

    def is_item(self, url: str) -> bool:
        if not self.allows(url):
            return False
        return bool(re.search(self.link_pattern, url)) if self.link_pattern else True


class SourceError(ValueError):
    """A source definition that cannot be used, with the reason."""


def load_sources(settings=None, path: str | Path | None = None) -> list[Source]:
    """The sources of `path`, else Settings.sources_file, else the shipped file."""
    path = path or (settings.sources_file if settings is not None else None)
    if path:
        text = Path(path).read_text("utf-8")
        origin = str(path)
    else:
        text = resources.files("crawler").joinpath("data/sources.toml").read_text("utf-8")
        origin = "crawler/data/sources.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"{origin}: {exc}") from exc
    sources = [parse_source(raw, origin) for raw in data.get("source", [])]
    ids = [s.id for s in sources]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SourceError(f"{origin}: duplicate source ids {sorted(duplicates)}")
    return sources


# Sources an admin adds on the sources page live in the store (the source row's
# state, under this key), in the same shape as a TOML entry.
DEFINITION_KEY = "definition"
# The last `sources check` of a source, kept in the same row (crawler/check.py).
CHECK_KEY = "check"
# Keys of a source's state that the admin pages write and a crawl run leaves alone.
ADMIN_KEYS = (DEFINITION_KEY, CHECK_KEY)


def stored_definitions(store) -> list[dict]:
    """Source definitions admins added (raw dicts in the TOML shape)."""
    found = []
    for source_id in store.sources.ids():
        definition = (store.sources.state(source_id).get("state") or {}).get(DEFINITION_KEY)
        if definition:
            found.append(definition)
    return found


def load_all_sources(settings, store) -> tuple[list[Source], list[str]]:
    """(the configured sources plus the admin-added ones, problems found loading them)."""
    problems = []
    try:
        sources = load_sources(settings)
    except (SourceError, OSError) as exc:
        sources, problems = [], [f"来源配置文件有误：{exc}"]
    known = {s.id for s in sources}
    for raw in stored_definitions(store):
        if raw.get("id") in known:
            continue
        try:
            sources.append(replace(parse_source(raw, "管理页面添加"), public_only=True))
        except SourceError as exc:
            problems.append(str(exc))
    return sources, problems


def parse_source(raw: dict, origin: str) -> Source:
    where = f"{origin}: source {raw.get('id', '?')!r}"
    # The scheme first: a file:// address has no host, and "missing allowed_hosts"
    # would hide why it cannot be crawled.
    for entry in raw.get("entries") or []:
        for url in (entry.get("url"), entry.get("page_url")) if isinstance(entry, dict) else ():
            problem = scheme_problem(url) if url else None
            if problem:
                raise SourceError(f"{where}: {problem}")
    for key in ("id", "name", "region_code", "allowed_hosts", "entries"):
        if not raw.get(key):
            raise SourceError(f"{where}: missing {key}")
    region = find_region(str(raw["region_code"]))
    if region is None:
        raise SourceError(f"{where}: unknown region_code {raw['region_code']!r}")
    try:
        level = normalize_level(raw.get("level")) or level_of_code(region.code)
    except ValueError as exc:
        raise SourceError(f"{where}: {exc}") from None
    entries = []
    for entry in raw["entries"]:
        if entry.get("kind") not in ENTRY_KINDS:
            raise SourceError(f"{where}: entry kind must be one of {ENTRY_KINDS}")
        entries.append(Entry(
            kind=entry["kind"], url=entry["url"], page_url=entry.get("page_url"),
            first_n=int(entry.get("first_n", 1)), first_page=int(entry.get("first_page", 1)),
            headers=dict(entry.get("headers", {})), method=entry.get("method", "GET").upper(),
        ))
    if raw.get("link_pattern"):
        try:
            re.compile(raw["link_pattern"])
        except re.error as exc:
            raise SourceError(f"{where}: bad link_pattern: {exc}") from None
    return Source(
        id=raw["id"], name=raw["name"], level=level, region_code=region.code,
        allowed_hosts=[h.lower() for h in raw["allowed_hosts"]], entries=entries,
        delay=float(raw.get("delay", 0.0)), extractor=raw.get("extractor", "auto"),
        link_pattern=raw.get("link_pattern"), link_selector=raw.get("link_selector"),
        body_selector=raw.get("body_selector"), title_selector=raw.get("title_selector"),
        enabled=bool(raw.get("enabled", True)),
    )


def source_for_url(sources: list[Source], url: str | None) -> Source | None:
    """The source whose hosts serve this URL (for `extract --url`)."""
    if not url:
        return None
    for source in sources:
        if source.allows(url):
            return source
    return None
