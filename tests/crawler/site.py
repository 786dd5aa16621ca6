"""A loopback fixture site: real saved pages, built list pages, written pages, faults.

Everything is served from 127.0.0.1. `FixtureSite` keeps the pages in a dict so a test
can change one between crawls; every request is logged with its times so tests can
measure the per-host delay and check which hosts were asked.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
PAGES = SHARED / "pages"


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict = field(default_factory=dict)


@dataclass
class Hit:
    port: int
    method: str
    path: str
    status: int
    start: float
    end: float
    headers: dict
    client_port: int = 0  # the client's end of the connection: one per connection


class Server:
    """One threaded HTTP server (one 'host'), sharing the site's pages and log."""

    def __init__(self, site: FixtureSite, robots: str = "ok", address: str = "127.0.0.1"):
        self.site = site
        self.robots = robots  # ok | 404 | 503 | disallow-all
        self.address = address
        # Requests being answered now, and the most ever at once (politeness checks).
        self.active = 0
        self.max_active = 0
        # Seconds each answer takes (0: at once): makes overlapping requests visible.
        self.hold = 0.0
        handler = type("Handler", (Handler,), {"server_ref": self})
        self.httpd = ThreadingHTTPServer((address, 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://{self.address}:{self.port}"


class Handler(BaseHTTPRequestHandler):
    server_ref: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.respond("GET")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.form = parse_qs(self.rfile.read(length).decode("utf-8")) if length else {}
        self.respond("POST")

    def respond(self, method: str) -> None:
        server = self.server_ref
        site = server.site
        start = time.monotonic()
        parts = urlsplit(self.path)
        status = 200
        with site.lock:
            server.active += 1
            server.max_active = max(server.max_active, server.active)
        try:
            if server.hold:
                time.sleep(server.hold)
            if parts.path in site.rendezvous_paths:
                status = self.rendezvous()
            elif parts.path == "/robots.txt":
                status = self.robots(server.robots)
            elif parts.path.startswith("/faults/"):
                status = self.fault(parts.path, parts.query)
            elif parts.path.startswith("/search-gov/data"):
                status = self.govcn_api(parse_qs(parts.query))
            elif parts.path.endswith("dataproxy.jsp"):
                status = self.dataproxy(parse_qs(parts.query))
            else:
                status = self.static(parts.path)
        except (BrokenPipeError, ConnectionResetError):
            status = -1
        finally:
            with site.lock:
                server.active -= 1
                site.log.append(Hit(server.port, method, self.path, status, start,
                                    time.monotonic(), dict(self.headers), self.client_address[1]))

    # --- helpers -----------------------------------------------------------

    def send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
             headers: dict | None = None) -> int:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return status

    def rendezvous(self) -> int:
        """Answer only once every host has asked its rendezvous page: a crawl that asks
        the hosts one after another breaks the barrier (after its timeout) and gets 503."""
        site = self.server_ref.site
        try:
            site.rendezvous.wait()
        except threading.BrokenBarrierError:
            return self.send(503, b"hosts were not asked at the same time", "text/plain")
        return self.static(urlsplit(self.path).path)

    def robots(self, mode: str) -> int:
        if mode == "404":
            return self.send(404, b"not found", "text/plain")
        if mode == "503":
            return self.send(503, b"busy", "text/plain")
        if mode == "disallow-all":
            return self.send(200, b"User-agent: *\nDisallow: /\n", "text/plain")
        return self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")

    def static(self, path: str) -> int:
        page = self.server_ref.site.pages.get(path)
        if page is None:
            return self.send(404, b"<html><body>404</body></html>")
        etag = '"' + hashlib.sha1(page.body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT", **page.headers}
        if page.status == 200 and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return 304
        return self.send(page.status, page.body, page.content_type, headers)

    def govcn_api(self, query: dict) -> int:
        site = self.server_ref.site
        number = int(query.get("p", ["1"])[0])
        size = int(query.get("n", ["10"])[0])
        records = site.api_records
        chunk = records[(number - 1) * size: number * size]
        pages = -(-len(records) // size)
        if not chunk:
            data = {"code": 1001, "msg": "无结果", "searchVO": {}}
        else:
            data = {"code": 200, "searchVO": {"totalpage": pages, "catMap": {
                "gongwen": {"listVO": chunk}, "bumenfile": {"listVO": []}}}}
        return self.send(200, json.dumps(data, ensure_ascii=False).encode(),
                         "application/json; charset=utf-8")

    def dataproxy(self, query: dict) -> int:
        site = self.server_ref.site
        start = int(query.get("startrecord", ["1"])[0])
        end = int(query.get("endrecord", ["45"])[0])
        column = (getattr(self, "form", {}) or {}).get("columnid", [""])[0]
        rows = site.hanweb_columns.get(column, [])
        records = "".join(f"<record><![CDATA[{row}]]></record>" for row in rows[start - 1:end])
        xml = (f"<?xml version='1.0' encoding='UTF-8'?><datastore><nextgroup></nextgroup>"
               f"<recordset>{records}</recordset><totalrecord>{len(rows)}</totalrecord></datastore>")
        return self.send(200, xml.encode(), "text/xml; charset=utf-8")

    def fault(self, path: str, query: str) -> int:
        site = self.server_ref.site
        name = path.rsplit("/", 1)[-1]
        if name == "slow":  # answers, but a byte at a time, far beyond the deadline
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "4000")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b" " * 10)
                self.wfile.flush()
                time.sleep(0.1)
                if site.stopping.is_set():
                    break
            return 200
        if name == "hang":  # never answers
            site.stopping.wait(20)
            return 0
        if name == "429":
            return self.send(429, b"slow down", "text/plain", {"Retry-After": "1"})
        if name == "503":
            return self.send(503, b"unavailable", "text/plain")
        if name == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"<html><body>" + b"x" * 500)
            self.wfile.flush()
            self.close_connection = True
            return 200
        if name == "huge":
            body = b"<html><body>" + b"a" * 3_000_000 + b"</body></html>"
            return self.send(200, body)
        if name == "gzip-bomb":
            return self.send(200, site.gzip_bomb, "text/html; charset=utf-8",
                             {"Content-Encoding": "gzip"})
        if name == "redirect-away":
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{site.other.port}/stolen.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return 302
        if name == "challenge":
            body = "<html><head><title>安全验证</title></head><body>请输入验证码后继续访问</body></html>"
            return self.send(200, body.encode())
        if name == "forbidden":
            return self.send(403, b"<html><body>Forbidden</body></html>")
        return self.send(404, b"no such fault")


class FixtureSite:
    def __init__(self):
        self.pages: dict[str, Page] = {}
        self.api_records: list[dict] = []
        self.hanweb_columns: dict[str, list[str]] = {}
        self.log: list[Hit] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.gzip_bomb = gzip.compress(b"<html><body>" + b"\0" * 5_000_000, 6)
        # Pages answered only when all parties of the barrier have asked (see rendezvous).
        self.rendezvous_paths: set[str] = set()
        self.rendezvous = threading.Barrier(1)
        self.main = Server(self)
        self.robots503 = Server(self, robots="503")
        self.robots404 = Server(self, robots="404")
        self.other = Server(self)  # reached only as http://localhost:PORT — never allowed
        self.servers = [self.main, self.robots503, self.robots404, self.other]
        self.expected: dict[str, dict] = {}

    def start(self) -> FixtureSite:
        for server in self.servers:
            server.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        # Each shutdown waits for its server's poll: all at once, not one after another.
        closing = [threading.Thread(target=s.httpd.shutdown) for s in self.servers]
        for thread in closing:
            thread.start()
        for thread in closing:
            thread.join()
        for server in self.servers:
            server.httpd.server_close()

    @property
    def base(self) -> str:
        return self.main.base

    def hits(self, port: int | None = None, prefix: str = "") -> list[Hit]:
        with self.lock:
            return [h for h in self.log if (port is None or h.port == port)
                    and h.path.startswith(prefix)]

    def hits_since(self, mark: int, count: int, keep=lambda hit: True,
                   timeout: float = 10.0) -> list[Hit]:
        """The hits logged after the first `mark` that `keep` accepts, once there are
        `count` of them (or at the timeout): a request is logged after it was answered,
        so a client can be done before its last request is in the log."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = [h for h in self.log[mark:] if keep(h)]
            if len(found) >= count or time.monotonic() >= deadline:
                return found
            time.sleep(0.01)

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()


# --- content ------------------------------------------------------------------

def load_expected(family: str) -> list[dict]:
    path = PAGES / family / "expected.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def trs_list(items: list[tuple[str, str, str]], page_count: int, index: int) -> bytes:
    rows = "\n".join(f'<li><a href="{url}" title="{title}">{title}</a><span>{date}</span></li>'
                     for url, title, date in items)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>文件库</title></head>
<body><div class="header"><a href="/">首页</a></div>
<ul class="list">{rows}</ul>
<div class="page"><script>createPageHTML({page_count}, {index}, "index", "html");</script></div>
</body></html>""".encode()


def paged(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def hunan_page(title: str, doc_number: str, issuer: str, written: str, published: str,
               body_html: str, index_number: str = "", extra: str = "") -> bytes:
    """A Hunan department detail page: xxgk_top_frame metadata list, TRS_Editor body."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{title}_通知公告_湖南省科学技术厅</title></head><body>
<div class="top"><a href="/">首页</a> &gt; 通知公告</div>
<div class="xxgk_top_frame"><ul>
<li><span>索 引 号：</span>{index_number}</li>
<li><span>发布机构：</span>{issuer}</li>
<li><span>文　　号：</span>{doc_number}</li>
<li><span>成文日期：</span>{written}</li>
<li><span>发布日期：</span>{published}</li>
<li><span>标　　题：</span>{title}</li>
</ul></div>
<div class="main"><h1 class="sp_title">{title}</h1>
<div class="TRS_Editor">{body_html}</div>{extra}</div>
<div class="footer">主办：湖南省科学技术厅 联系我们</div></body></html>""".encode()


def trs_city_page(title: str, doc_number: str, issuer: str, written: str, published: str,
                  body_html: str) -> bytes:
    """A Changsha TRS page: a metadata table with label cells, TRS_UEDITOR body."""
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{published} 09:00">
<title>{title}-长沙市人民政府</title></head><body>
<table class="xxgk_table"><tr><th>发文机关</th><td>{issuer}</td><th>发文字号</th><td>{doc_number}</td></tr>
<tr><th>成文日期</th><td>{written}</td><th>发布日期</th><td>{published}</td></tr></table>
<div class="article"><h2>{title}</h2><div class="TRS_UEDITOR">{body_html}</div></div>
</body></html>""".encode()


def govcn_new_page(title: str, issuer: str, doc_number: str, subject: str, written: str,
                   published: str, body_html: str) -> bytes:
    """The current gov.cn layout: policyLibraryOverview_header label/value table."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="firstpublishedtime" content="{published}-10:30:00">
<title>{title}_国务院文件_中国政府网</title></head><body>
<div class="policyLibraryOverview_header"><table>
<tr><td class="n">标　　题：</td><td colspan="3">{title}</td></tr>
<tr><td class="n">发文机关：</td><td>{issuer}</td><td class="n">发文字号：</td><td>{doc_number}</td></tr>
<tr><td class="n">来　　源：</td><td>国务院办公厅</td><td class="n">主题分类：</td><td>{subject}</td></tr>
<tr><td class="n">公文种类：</td><td>通知</td><td class="n">成文日期：</td><td>{written}</td></tr>
<tr><td class="n">发布日期：</td><td>{published}</td></tr>
</table></div>
<div class="pages_content"><div id="UCAP-CONTENT">{body_html}</div></div>
</body></html>""".encode()


def simple_pdf(text: str | None) -> bytes:
    """A one-page PDF; with text it has a text layer, without it is like a scan."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode() if text else b"q 10 0 0 10 0 0 cm Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def docx_bytes(lines: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * 20_000_000 + b"</w:document>")
    return out.getvalue()


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def build_site(site: FixtureSite, *, govcn_per_page: int = 10) -> FixtureSite:
    """Fill the site: every real page, lists over them, written pages, fault endpoints."""
    base = site.base
    # gov.cn (old layout, real content blocks) behind a TRS list with createPageHTML.
    govcn = load_expected("govcn-2019")
    items = []
    for record in govcn:
        path = "/govcn" + urlsplit(record["url"]).path
        site.pages[path] = Page((PAGES / "govcn-2019" / record["file"]).read_bytes())
        site.expected[base + path] = record
        items.append((base + path, record["title"], record["publish_date"]))
    items.sort(key=lambda item: item[2], reverse=True)  # lists show the newest first
    pages = paged(items, govcn_per_page)
    for index, chunk in enumerate(pages):
        name = "index.htm" if index == 0 else f"index_{index}.htm"
        site.pages[f"/govcn/zhengce/gwywj/{name}"] = Page(trs_list(chunk, len(pages), index))

    # gov.cn current layout, reached through the search API.
    new_pages = [
        ("国务院办公厅关于进一步优化支付服务提升支付便利性的意见", "国务院办公厅", "国办发〔2024〕10号",
         "财政、金融、审计\\银行", "2024-03-01", "2024-03-07",
         "<p>各省、自治区、直辖市人民政府：</p><p>为进一步优化支付服务，提升支付便利性，现提出以下意见。</p>"
         "<p>一、切实满足老年人、外籍来华人员等群体多样化支付服务需求。</p><p>国务院办公厅</p><p>2024年3月1日</p>"),
        ("国务院关于印发《推动大规模设备更新和消费品以旧换新行动方案》的通知", "国务院", "国发〔2024〕7号",
         "国民经济管理、国有资产监管\\其他", "2024-03-07", "2024-03-13",
         "<p>各省、自治区、直辖市人民政府，国务院各部委、各直属机构：</p><p>现将《推动大规模设备更新和消费品以旧换新行动方案》印发给你们，请认真贯彻执行。</p>"
         "<p>附件：<a href=\"./P020240313001.pdf\">推动大规模设备更新和消费品以旧换新行动方案.pdf</a></p>"),
    ]
    for number, (title, issuer, doc_number, subject, written, published, body) in enumerate(new_pages):
        path = f"/govcn/zhengce/content/202403/content_90000{number}.htm"
        site.pages[path] = Page(govcn_new_page(title, issuer, doc_number, subject, written,
                                               published, body))
        site.expected[base + path] = {"title": title, "issuer": issuer, "doc_number": doc_number,
                                      "written_date": written, "publish_date": published}
        site.api_records.append({"title": f"<em>{title}</em>", "url": base + path,
                                 "pcode": doc_number, "puborg": issuer,
                                 "pubtimeStr": published.replace("-", "."), "index": ""})
    site.pages["/govcn/zhengce/content/202403/P020240313001.pdf"] = Page(
        simple_pdf("Equipment renewal action plan: support for enterprises, subsidies and tax relief"),
        "application/pdf")
    # The API also lists one old page: the same URL is the same policy.
    first_old = next(item for item in items if item[0].endswith("content_5338761.htm"))
    site.api_records.append({"title": first_old[1], "url": first_old[0],
                             "pubtimeStr": first_old[2].replace("-", ".")})

    # Jiangxi (Hanweb): column page pointing at dataproxy.jsp; records for the real pages.
    jiangxi = load_expected("jiangxi-2020")
    rows = []
    for record in jiangxi:
        path = "/jiangxi" + urlsplit(record["url"]).path
        site.pages[path] = Page((PAGES / "jiangxi-2020" / record["file"]).read_bytes())
        site.expected[base + path] = record
        rows.append(f'<li><a href="{path}" title="{record["title"]}" target="_blank">'
                    f'{record["title"]}</a><span>{record["publish_date"]}</span></li>')
    site.hanweb_columns["4975"] = rows
    site.pages["/jiangxi/col/col4975/index.html"] = Page(f"""<html><head><meta charset="utf-8">
<title>省政府文件</title></head><body><div id="4975">
<script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/jiangxi/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=3&path=/&columnid=4975&unitid=365&webname=江西省人民政府&permissiontype=0"></a>]]></nextgroup>
<recordset>{"".join(f"<record><![CDATA[{r}]]></record>" for r in rows[:15])}</recordset></datastore></script>
</div></body></html>""".encode())
    list_rows = list(csv.DictReader((PAGES / "jiangxi-2020" / "list-rows.csv").open(encoding="utf-8")))
    site.hanweb_columns["list-rows"] = [
        f'<li><a href="{row["url"]}" title="{row["title"]}">{row["title"]}</a>'
        f'<span>{row["date"]}</span></li>' for row in list_rows]

    build_hunan_changsha(site)
    build_faults(site)
    return site


HUNAN_POLICY = ("湖南省人民政府办公厅关于印发《湖南省支持中小微企业纾困发展若干措施》的通知",
                "湘政办发〔2024〕12号", "湖南省人民政府办公厅")


def build_hunan_changsha(site: FixtureSite) -> None:
    base = site.base
    title, doc_number, issuer = HUNAN_POLICY
    details = {}
    details["/hunan/kjt/xxgk/tzgg/202403/t20240315_1001.html"] = hunan_page(
        title, doc_number, issuer, "2024年3月10日", "2024-03-15",
        "<p>各市州人民政府，省政府各厅委、各直属机构：</p>"
        "<p>《湖南省支持中小微企业纾困发展若干措施》已经省人民政府同意，现印发给你们，请认真贯彻执行。</p>"
        '<p>附件：<a href="./P020240315001.pdf">若干措施.pdf</a></p>'
        '<p><a href="./P020240315002.docx">申报指南.docx</a> <a href="./P020240315003.xlsx">申报表.xlsx</a></p>'
        '<p><a href="./P020240315004.pdf">扫描件.pdf</a></p>'
        "<p>湖南省人民政府办公厅</p><p>2024年3月10日</p>"
        '<p>相关解读：<a href="../../jd/202403/t20240316_2001.html">解读《湖南省支持中小微企业纾困发展若干措施》</a></p>',
        index_number="000014349/2024-00012")
    details["/hunan/kjt/xxgk/jd/202403/t20240316_2001.html"] = hunan_page(
        "解读《湖南省支持中小微企业纾困发展若干措施》", "", "湖南省科学技术厅", "2024-03-16", "2024-03-16",
        "<p>一、出台背景</p><p>为帮助中小微企业纾困发展，省政府办公厅印发了若干措施。</p>"
        "<p>二、主要内容</p><p>从减税降费、融资支持、稳岗就业等方面提出20条措施。</p>")
    details["/hunan/kjt/xxgk/tzgg/202403/t20240318_1002.html"] = hunan_page(
        "湖南省科学技术厅关于组织申报2024年度湖南省科技创新计划项目的通知", "湘科发〔2024〕5号",
        "湖南省科学技术厅", "2024-03-18", "2024-03-18",
        "<p>各有关单位：</p><p>现组织申报2024年度湖南省科技创新计划项目，申报条件如下。</p>"
        "<p>惠及对象：在湘注册的科技型中小企业。</p><p>咨询电话：0731-88888888</p>"
        "<p>湖南省科学技术厅</p><p>2024年3月18日</p>")
    for path, body in details.items():
        site.pages[path] = Page(body)
    site.pages["/hunan/kjt/xxgk/tzgg/202403/P020240315001.pdf"] = Page(
        simple_pdf("Measures supporting small and micro enterprises: rent relief, loans, stable jobs"),
        "application/pdf")
    site.pages["/hunan/kjt/xxgk/tzgg/202403/P020240315002.docx"] = Page(
        docx_bytes(["申报指南", "申报条件：在湖南省内注册的中小微企业", "受理地址：长沙市岳麓区"]), DOCX)
    site.pages["/hunan/kjt/xxgk/tzgg/202403/P020240315003.xlsx"] = Page(
        xlsx_bytes([["企业名称", "统一社会信用代码", "申报金额"]]), XLSX)
    site.pages["/hunan/kjt/xxgk/tzgg/202403/P020240315004.pdf"] = Page(simple_pdf(None), "application/pdf")
    hunan_items = [
        (base + "/hunan/kjt/xxgk/tzgg/202403/t20240318_1002.html", "科技创新计划项目申报通知", "2024-03-18"),
        (base + "/hunan/kjt/xxgk/jd/202403/t20240316_2001.html", "政策解读", "2024-03-16"),
        (base + "/hunan/kjt/xxgk/tzgg/202403/t20240315_1001.html", title, "2024-03-15"),
    ]
    # Hunan 文件库 naming: wjk_glrb.html then wjk_glrb_2.html; two items per page.
    chunks = paged(hunan_items, 2)
    for index, chunk in enumerate(chunks):
        name = "wjk_glrb.html" if index == 0 else f"wjk_glrb_{index + 1}.html"
        site.pages[f"/hunan/wjk/{name}"] = Page(trs_list(chunk, len(chunks), index))

    # Changsha (TRS): reposts the provincial notice (same 文号 + title) and has its own.
    city = {
        "/changsha/zfxxgk/zfwjk/srmzf/202403/t20240320_3001.html": trs_city_page(
            title, doc_number.replace("〔", "[").replace("〕", "]"), issuer, "2024-03-10", "2024-03-20",
            "<p>转发：湖南省人民政府办公厅关于印发《湖南省支持中小微企业纾困发展若干措施》的通知。</p>"),
        "/changsha/zfxxgk/zfwjk/srmzf/202403/t20240321_3002.html": trs_city_page(
            "长沙市人民政府关于支持专精特新企业高质量发展的若干政策", "长政发〔2024〕3号", "长沙市人民政府",
            "2024-03-19", "2024-03-21",
            "<p>各区县（市）人民政府，市直机关各单位：</p><p>为支持专精特新中小企业高质量发展，制定如下政策。</p>"
            "<table><tr><td>奖励类别</td><td>金额</td></tr><tr><td>国家级专精特新小巨人</td><td>100万元</td></tr></table>"
            "<p>长沙市人民政府</p><p>2024年3月19日</p>"),
    }
    for path, body in city.items():
        site.pages[path] = Page(body)
    city_items = [(base + path, "", "2024-03-21") for path in sorted(city, reverse=True)]
    site.pages["/changsha/zfxxgk/zfwjk/srmzf/index.html"] = Page(trs_list(city_items, 1, 0))
    # GBK county page with characters outside GB2312 (镕, 堃), declared as gb2312.
    county = ("<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'>"
              "<title>长沙县关于表彰朱镕基精神学习标兵和王堃同志的通报</title></head><body>"
              "<div id='zoom'><p>县直各单位：</p><p>经研究，决定表彰王堃等同志。</p>"
              "<p>长沙县人民政府</p><p>2024年3月22日</p></div></body></html>")
    site.pages["/csx/zwgk/202403/t20240322_4001.html"] = Page(county.encode("gb18030"),
                                                              "text/html; charset=gb2312")
    # The same kind of page with a lying header: says utf-8, is GBK.
    liar = county.replace("gb2312", "gbk").replace("王堃等同志", "王堃等同志（复）")
    site.pages["/csx/zwgk/202403/t20240323_4002.html"] = Page(liar.encode("gb18030"),
                                                              "text/html; charset=utf-8")
    site.pages["/csx/zwgk/index.html"] = Page(trs_list(
        [(base + "/csx/zwgk/202403/t20240322_4001.html", "通报", "2024-03-22"),
         (base + "/csx/zwgk/202403/t20240323_4002.html", "通报", "2024-03-23")], 1, 0))


FAULTS = ("slow", "hang", "429", "503", "truncated", "huge", "gzip-bomb", "redirect-away",
          "forbidden-robots")


def build_faults(site: FixtureSite) -> None:
    base = site.base
    names = ["slow", "hang", "429", "503", "truncated", "huge", "gzip-bomb", "redirect-away"]
    items = [(f"{base}/faults/{name}", name, "2024-01-01") for name in names]
    items.append((f"{base}/private/secret.html", "robots", "2024-01-01"))
    site.pages["/private/secret.html"] = Page(b"<html><body><p>secret</p></body></html>")
    site.pages["/faultlist/index.html"] = Page(trs_list(items, 1, 0))
    site.pages["/challenge/index.html"] = Page(trs_list(
        [(f"{base}/faults/challenge", "challenge", "2024-01-01")], 1, 0))
    site.pages["/forbidden/index.html"] = Page(trs_list(
        [(f"{base}/faults/forbidden", "forbidden", "2024-01-01")], 1, 0))
    # A JavaScript-built list: a plain GET shows no items.
    site.pages["/jslist/index.html"] = Page(
        b"<html><body><ul id='list'></ul><script>loadList()</script></body></html>")
    for server in (site.robots503, site.robots404):
        pass  # they serve the same pages; only their robots.txt differs


def sources_toml(site: FixtureSite, *, delay: float = 0.0) -> str:
    """Source definitions pointing at the fixture site."""
    base = site.base
    host = "127.0.0.1"
    return f"""
[[source]]
id = "govcn-api"
name = "国务院政策文件库（检索接口）"
level = "national"
region_code = "100000"
allowed_hosts = ["{host}"]
delay = {delay}
link_pattern = '/govcn/zhengce/.*content_\\d+\\.htm'
[[source.entries]]
kind = "govcn_api"
url = "{base}/search-gov/data?t=zhengcelibrary&sort=pubtime&p={{page}}&n=2"
first_page = 1
headers = {{ Referer = "{base}/" }}

[[source]]
id = "govcn-lists"
name = "中国政府网 国务院文件"
level = "national"
region_code = "100000"
allowed_hosts = ["{host}"]
delay = {delay}
link_pattern = '/govcn/zhengce/content/.*content_\\d+\\.htm'
[[source.entries]]
kind = "trs"
url = "{base}/govcn/zhengce/gwywj/index.htm"
page_url = "{base}/govcn/zhengce/gwywj/index_{{n}}.htm"
first_n = 1

[[source]]
id = "jiangxi"
name = "江西省人民政府 省政府文件"
level = "provincial"
region_code = "360000"
allowed_hosts = ["{host}"]
delay = {delay}
link_pattern = '/jiangxi/art/.*art_\\d+_\\d+\\.html'
[[source.entries]]
kind = "hanweb"
url = "{base}/jiangxi/col/col4975/index.html"

[[source]]
id = "hunan-wjk"
name = "湖南省人民政府 文件库"
level = "provincial"
region_code = "430000"
allowed_hosts = ["{host}"]
delay = {delay}
link_pattern = '/hunan/.*/t\\d{{8}}_\\d+\\.html'
[[source.entries]]
kind = "trs"
url = "{base}/hunan/wjk/wjk_glrb.html"
page_url = "{base}/hunan/wjk/wjk_glrb_{{n}}.html"
first_n = 2

[[source]]
id = "changsha-zfwjk"
name = "长沙市人民政府 政府文件库"
level = "city"
region_code = "430100"
allowed_hosts = ["{host}"]
delay = {delay}
link_pattern = '/changsha/.*/t\\d{{8}}_\\d+\\.html'
[[source.entries]]
kind = "trs"
url = "{base}/changsha/zfxxgk/zfwjk/srmzf/index.html"

[[source]]
id = "csx"
name = "长沙县人民政府"
level = "county"
region_code = "430121"
allowed_hosts = ["{host}"]
delay = {delay}
link_pattern = '/csx/.*/t\\d{{8}}_\\d+\\.html'
[[source.entries]]
kind = "links"
url = "{base}/csx/zwgk/index.html"
"""


def fault_sources_toml(site: FixtureSite) -> str:
    base = site.base
    return f"""
[[source]]
id = "faults"
name = "故障端点"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
link_pattern = '/(faults|private)/'
[[source.entries]]
kind = "links"
url = "{base}/faultlist/index.html"

[[source]]
id = "challenge"
name = "验证页"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
link_pattern = '/faults/'
[[source.entries]]
kind = "links"
url = "{base}/challenge/index.html"

[[source]]
id = "forbidden"
name = "403 墙"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
link_pattern = '/faults/'
[[source.entries]]
kind = "links"
url = "{base}/forbidden/index.html"

[[source]]
id = "robots503"
name = "robots 503"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
[[source.entries]]
kind = "trs"
url = "{site.robots503.base}/changsha/zfxxgk/zfwjk/srmzf/index.html"

[[source]]
id = "robots404"
name = "robots 404"
level = "city"
region_code = "430100"
allowed_hosts = ["127.0.0.1"]
link_pattern = '/changsha/.*/t\\d{{8}}_\\d+\\.html'
[[source.entries]]
kind = "trs"
url = "{site.robots404.base}/changsha/zfxxgk/zfwjk/srmzf/index.html"

[[source]]
id = "jslist"
name = "JavaScript 列表"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
link_pattern = '/t\\d{{8}}_\\d+\\.html'
[[source.entries]]
kind = "trs"
url = "{base}/jslist/index.html"

[[source]]
id = "unreachable"
name = "无法连接"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
[[source.entries]]
kind = "trs"
url = "http://127.0.0.1:9/index.html"
"""


# --- attachment formats made at test time ---------------------------------------------

SAMPLES = Path(__file__).resolve().parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def pdf_bytes(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def cjk_pdf(lines: list[str], cmap: str = "GBK-EUC-H", codec: str = "gbk",
            ordering: str = "GB1", font: str = "STSong-Light") -> bytes:
    """A PDF in a predefined Adobe CJK CMap with a non-embedded font and no ToUnicode
    map, as Acrobat Distiller and many Chinese office tools write them."""
    shown = "\n".join(f"BT /F1 14 Tf 72 {720 - 20 * i} Td <{line.encode(codec).hex()}> Tj ET"
                      for i, line in enumerate(lines)).encode()
    return pdf_bytes([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(shown)).encode() + b" >>\nstream\n" + shown + b"\nendstream",
        f"<< /Type /Font /Subtype /Type0 /BaseFont /{font} /Encoding /{cmap}"
        f" /DescendantFonts [6 0 R] >>".encode(),
        f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /{font} /CIDSystemInfo"
        f" << /Registry (Adobe) /Ordering ({ordering}) /Supplement 2 >> /FontDescriptor 7 0 R >>".encode(),
        f"<< /Type /FontDescriptor /FontName /{font} /Flags 6 /FontBBox [0 -200 1000 900]"
        f" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>".encode(),
    ])


def without_unicode_maps(pdf: bytes) -> bytes:
    """The PDF with its fonts' ToUnicode maps removed: glyph codes no tool can read back,
    as some converters write them."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            font.get_object().pop("/ToUnicode", None)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_word(doc: bytes) -> bytes:
    """A Word 97 file with the FIB's fEncrypted flag set (what a password adds)."""
    import olefile

    ole = olefile.OleFileIO(doc)
    start = ole.openstream("WordDocument").read()
    sector_size = ole.sector_size
    first = ole.direntries[ole._find("WordDocument")].isectStart
    ole.close()
    assert len(start) >= 4096, "WordDocument must live in regular sectors"
    offset = (first + 1) * sector_size  # sector n starts after the 512-byte header
    patched = bytearray(doc)
    assert patched[offset:offset + 2] == b"\xec\xa5"
    patched[offset + 0x0B] |= 0x01  # fEncrypted: bit 8 of the little-endian flags at 0x0A
    return bytes(patched)


OFD_NS = "http://www.ofdspec.org/2016"


def ofd_bytes(pages: list[list[tuple[float, str]]], template: list[tuple[float, str]] | None = None
              ) -> bytes:
    """An OFD package (GB/T 33190): OFD.xml → Document.xml → pages' Content.xml, each
    line a TextObject at its y (mm) holding TextCode runs; an optional template page
    drawn under every page."""
    def content(lines: list[tuple[float, str]], with_template: bool) -> str:
        objects = []
        for number, (y, text) in enumerate(lines):
            runs = text.split("|")  # producers cut a line into several TextObjects
            x = 25.0
            for run in runs:
                objects.append(
                    f'<ofd:TextObject ID="{100 + number}" Boundary="{x} {y} 160 6" Font="1" Size="4.2">'
                    f'<ofd:TextCode X="0" Y="4.2">{escape_xml(run)}</ofd:TextCode></ofd:TextObject>')
                x += 4.2 * len(run)
        used = '<ofd:Template TemplateID="9" ZOrder="Background"/>' if with_template else ""
        return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}">{used}'
                f'<ofd:Content><ofd:Layer ID="2">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>')

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}"'
                         ' Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>t</ofd:DocID>'
                         '</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        template_ref = ('<ofd:TemplatePage ID="9" BaseLoc="Tpls/Tpl_0/Content.xml"/>' if template else "")
        page_refs = "".join(f'<ofd:Page ID="{10 + i}" BaseLoc="Pages/Page_{i}/Content.xml"/>'
                            for i in range(len(pages)))
        archive.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?>'
                         f'<ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData><ofd:PageArea>'
                         f'<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>{template_ref}'
                         f'</ofd:CommonData><ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>')
        if template:
            archive.writestr("Doc_0/Tpls/Tpl_0/Content.xml", content(template, False))
        # Stored in reverse: the page order comes from Document.xml, not the zip.
        for index in reversed(range(len(pages))):
            archive.writestr(f"Doc_0/Pages/Page_{index}/Content.xml",
                             content(pages[index], bool(template)))
    return out.getvalue()


def escape_xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pick_sources(text: str, *ids: str) -> str:
    """The [[source]] blocks of a sources TOML text that have these ids."""
    blocks = text.split("[[source]]")[1:]
    return "".join("[[source]]" + block for block in blocks
                   if any(f'\nid = "{source_id}"\n' in block for source_id in ids))
