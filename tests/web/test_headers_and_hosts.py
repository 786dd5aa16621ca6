"""Every answer carries the security headers, the server's own error answers included;
absolute links come from public_base_url, never from a client's Host header, and an
answer built from the Host header is never cached publicly."""
from __future__ import annotations

import dataclasses
import re
import socket
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import serve_in_thread
from web.security import SECURITY_HEADERS, SecurityHeaders

BASE = "https://zcss.example.gov.cn"
EVIL = {"Host": "evil.example"}
NEEDED = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")


@pytest.fixture
def waitress_site(app):
    """The site on the very waitress server `serve` runs (make_server), in a thread."""
    with serve_in_thread(app, threads=2) as url:
        yield int(url.rsplit(":", 1)[1])


def raw_exchange(port: int, request: bytes) -> tuple[int, dict[str, str]]:
    """Send bytes as they are; the status and headers of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        try:
            conn.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading all of it
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    head = received.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


@pytest.mark.parametrize("name, request_bytes, status", [
    ("body too large", b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                       b"Content-Length: 1000000000\r\n\r\n" + b"a" * 1000, 413),
    ("headers too large", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 200_000 + b"\r\n\r\n", 431),
    ("malformed", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nonsense\r\n\r\n", 400),
])
def test_servers_own_error_answers_carry_the_headers(waitress_site, name, request_bytes, status):
    got, headers = raw_exchange(waitress_site, request_bytes)
    assert got == status, name
    for header in NEEDED:
        assert headers.get(header.lower()) == SECURITY_HEADERS[header], (name, header)


def test_the_sites_answers_over_waitress_carry_the_headers(waitress_site):
    for path in ("/healthz", "/no-such-page", "/static/nothing.css"):
        _, headers = raw_exchange(waitress_site, f"GET {path} HTTP/1.1\r\nHost: x\r\n"
                                                 "Connection: close\r\n\r\n".encode())
        for header in NEEDED:
            assert header.lower() in headers, (path, header)


def test_a_proxy_on_this_machine_that_is_not_trusted_is_seen_through_waitress(waitress_site):
    """waitress hands X-Forwarded-* to the site, which then knows the login was relayed
    (not typed on this machine) and asks for HTTPS."""
    def login_page(extra: str) -> str:
        with socket.create_connection(("127.0.0.1", waitress_site), timeout=30) as conn:
            conn.sendall(f"GET /login HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n".encode())
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        return data.decode("utf-8", "replace")

    assert 'type="password"' in login_page("")
    relayed = login_page("X-Forwarded-For: 192.168.1.50\r\nX-Forwarded-Proto: https\r\n")
    assert "登录需要 HTTPS" in relayed and 'type="password"' not in relayed


def test_wsgi_middleware_adds_missing_headers_and_keeps_present_ones():
    def bare(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Security-Policy", "default-src 'self'")])
        return [b"ok"]

    seen = {}

    def start_response(status, headers, exc_info=None):
        seen.update(headers)

    SecurityHeaders(bare)({}, start_response)
    assert seen["Content-Security-Policy"] == "default-src 'self'"  # a page's own CSP stays
    assert seen["X-Frame-Options"] == "DENY" and seen["X-Content-Type-Options"] == "nosniff"


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def test_without_a_base_url_host_built_answers_are_not_cached_publicly(client):
    built_from_host = []
    for path in ("/feed", "/feed?enterprise=专精特新", "/feed.ics", "/match/feed"):
        response = client.get(path, headers=EVIL)
        assert response.status_code == 200, path
        cache = response.headers.get("Cache-Control", "")
        if "evil.example" in response.get_data(as_text=True):
            built_from_host.append(path)
            assert "public" not in cache and "private" in cache, (path, cache)
            assert "Host" in response.headers.get("Vary", ""), path
    assert {"/feed", "/match/feed"} <= set(built_from_host)


@pytest.fixture(scope="module")
def based_client(corpus_site):
    from web import create_app

    settings = dataclasses.replace(corpus_site.settings, public_base_url=BASE + "/")
    return create_app(settings, store=corpus_site.store, index=corpus_site.index, testing=True).test_client()


def test_feed_links_come_from_the_public_base_url(based_client, corpus_site):
    response = based_client.get("/feed", headers=EVIL)
    text = response.get_data(as_text=True)
    assert "evil.example" not in text
    root = ET.fromstring(response.data)
    hrefs = [link.get("href") for link in root.iter("{http://www.w3.org/2005/Atom}link")
             if link.get("rel") in ("self", "alternate")]  # (rel=related: the original page)
    ids = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}id")]
    assert len(hrefs) > 10 and all(h.startswith(BASE + "/") for h in hrefs)
    assert ids[0].startswith(BASE + "/feed")
    assert response.headers["Cache-Control"] == "public, max-age=300"  # safe to share now


@pytest.mark.parametrize("path", ["/feed.ics", "/match/feed", "/api/openapi.json"])
def test_other_absolute_links_come_from_the_public_base_url(based_client, path):
    response = based_client.get(path, headers=EVIL)
    assert response.status_code == 200, path
    text = response.get_data(as_text=True)
    assert "evil.example" not in text, path
    own = [link for link in links_in(text) if "example.gov.cn" in link or "localhost" in link]
    assert all(link.startswith(BASE) for link in own), (path, own[:3])


def test_api_page_url_comes_from_the_public_base_url(based_client, corpus_site):
    data = based_client.get(f"/api/policies/{corpus_site.ids['county']}", headers=EVIL).get_json()
    assert data["page_url"] == f"{BASE}/policy/{corpus_site.ids['county']}"


@pytest.mark.parametrize("value", ["zcss.example.gov.cn", "ftp://zcss.example.gov.cn", "https://x/?a=1"])
def test_a_base_url_that_is_no_site_address_is_refused(corpus_site, value):
    from web import create_app

    settings = dataclasses.replace(corpus_site.settings, public_base_url=value)
    with pytest.raises(ValueError, match="public_base_url"):
        create_app(settings, store=corpus_site.store, index=corpus_site.index, testing=True)


@pytest.fixture
def many_open_files():
    """More than 1,024 descriptors open in this process, as in a busy worker."""
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1200
    if soft < wanted + 64:
        if hard != resource.RLIM_INFINITY and hard < wanted + 64:
            pytest.skip(f"the descriptor limit ({hard}) is too low for this test")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted + 64, hard))
    opened = [os.open(os.devnull, os.O_RDONLY) for _ in range(wanted)]
    yield
    for fd in opened:
        os.close(fd)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_server_answers_with_descriptors_above_1024(many_open_files, waitress_site):
    # select() cannot watch a descriptor above 1023; the server's sockets here are all above it
    status, headers = raw_exchange(waitress_site, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert status == 200
