"""A multi-host fixture site: one loopback server per address (127.0.0.2, 127.0.0.3, …),
each serving a TRS list of real gov.cn pages, for the parallel crawl's tests and bench.

A host, for politeness, is a host name without its port (crawler.fetch.host_key), so
the hosts here differ by address, not by port. Linux answers on all of 127.0.0.0/8.
"""
from __future__ import annotations

import threading
from urllib.parse import urlsplit

from tests.crawler.site import PAGES, FixtureSite, Page, Server, load_expected, paged, trs_list


class MultiHostSite(FixtureSite):
    def __init__(self, hosts: int = 4, *, per_list_page: int = 5):
        super().__init__()
        self.hosts = [Server(self, address=f"127.0.0.{2 + i}") for i in range(hosts)]
        self.servers += self.hosts
        self.per_list_page = per_list_page
        self.fill()

    def fill(self) -> None:
        """The real gov.cn pages dealt out to the hosts; host 0 also has a second list
        (a second source on the same host) with the real Jiangxi pages."""
        govcn = load_expected("govcn-2019")
        for number, server in enumerate(self.hosts):
            mine = [r for i, r in enumerate(govcn) if i % len(self.hosts) == number]
            self.add_list(server, f"/h{number}", "govcn-2019", mine)
        self.add_list(self.hosts[0], "/h0b", "jiangxi-2020", load_expected("jiangxi-2020"))

    def add_list(self, server: Server, prefix: str, family: str, records: list[dict]) -> None:
        items = []
        for record in records:
            path = prefix + urlsplit(record["url"]).path
            self.pages[path] = Page((PAGES / family / record["file"]).read_bytes())
            self.expected[server.base + path] = record
            items.append((server.base + path, record["title"], record["publish_date"]))
        items.sort(key=lambda item: item[2], reverse=True)
        pages = paged(items, self.per_list_page)
        for index, chunk in enumerate(pages):
            name = "index.html" if index == 0 else f"index_{index}.html"
            self.pages[f"{prefix}/list/{name}"] = Page(trs_list(chunk, len(pages), index))

    def meet_at_first_lists(self, timeout: float) -> None:
        """Each host's first list page waits until every host's has been asked."""
        self.rendezvous_paths = {f"/h{i}/list/index.html" for i in range(len(self.hosts))}
        self.rendezvous = threading.Barrier(len(self.hosts), timeout=timeout)

    def sources_toml(self, *, delay: float = 0.0, second_source: bool = True) -> str:
        blocks = [source_block(f"h{i}", f"第 {i} 个主机", server, f"/h{i}", delay)
                  for i, server in enumerate(self.hosts)]
        if second_source:
            blocks.append(source_block("h0b", "第 0 个主机的第二个来源", self.hosts[0], "/h0b", delay,
                                       pattern=r"/h0b/.*art_\d+_\d+\.html"))
        return "\n".join(blocks)


def source_block(source_id: str, name: str, server: Server, prefix: str, delay: float,
                 pattern: str | None = None) -> str:
    pattern = pattern or prefix + r"/.*content_\d+\.htm"
    return f"""
[[source]]
id = "{source_id}"
name = "{name}"
level = "national"
region_code = "100000"
allowed_hosts = ["{server.address}"]
delay = {delay}
link_pattern = '{pattern}'
[[source.entries]]
kind = "trs"
url = "{server.base}{prefix}/list/index.html"
page_url = "{server.base}{prefix}/list/index_{{n}}.html"
first_n = 1
"""
