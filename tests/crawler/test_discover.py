import csv
import json

import pytest

from crawler.discover import (hanweb_proxy, parse_gkmlpt, parse_govcn_api, parse_hanweb_records,
                              parse_link_list, trs_page_count, trs_page_url)
from crawler.sources import Entry
from tests.crawler.site import PAGES


def test_trs_page_count_and_urls():
    assert trs_page_count('<script>createPageHTML(12, 0, "index", "html");</script>') == 12
    assert trs_page_count("<script>createPageHTML('page_div', 7, 1, 'index', 'htm');</script>") == 7
    assert trs_page_count("<script>var countPage = 5</script>") == 5
    entry = Entry(kind="trs", url="http://x/wjk_glrb.html", page_url="http://x/wjk_glrb_{n}.html",
                  first_n=2)
    assert [trs_page_url(entry, i) for i in range(3)] == [
        "http://x/wjk_glrb.html", "http://x/wjk_glrb_2.html", "http://x/wjk_glrb_3.html"]
    entry = Entry(kind="trs", url="http://x/index.html")
    assert trs_page_url(entry, 2) == "http://x/index_2.html"


@pytest.mark.slow
def test_hanweb_records_from_list_rows_csv(gov_site):
    rows = list(csv.DictReader((PAGES / "jiangxi-2020" / "list-rows.csv").open(encoding="utf-8")))
    records = "".join(f"<record><![CDATA[{r}]]></record>" for r in gov_site.hanweb_columns["list-rows"])
    xml = f"<datastore><recordset>{records}</recordset><totalrecord>{len(rows)}</totalrecord></datastore>"
    items, total = parse_hanweb_records(xml, "http://www.jiangxi.gov.cn/col/col4975/index.html",
                                        lambda url: "/art/" in url)
    assert total == len(rows) == 1426
    # Every row but the one that links a column page (not a document) is an item.
    assert len(items) == len({r["url"] for r in rows if "/art/" in r["url"]}) == 1425
    by_url = {i.url: i for i in items}
    for row in [r for r in rows if "/art/" in r["url"]]:
        item = by_url[row["url"]]
        assert item.title == " ".join(row["title"].split())
        assert item.date == row["date"]


def test_hanweb_proxy_parameters_from_column_page(gov_site):
    html = gov_site.pages["/jiangxi/col/col4975/index.html"].body.decode()
    base, form = hanweb_proxy(html, gov_site.base + "/jiangxi/col/col4975/index.html")
    assert base == gov_site.base + "/jiangxi/module/web/jpage/dataproxy.jsp"
    assert form["columnid"] == "4975" and form["unitid"] == "365" and form["webid"] == "3"


def test_govcn_api_and_gkmlpt_json():
    data = {"code": 200, "searchVO": {"totalpage": 3, "catMap": {
        "gongwen": {"listVO": [{"title": "国务院关于<em>小微企业</em>的通知", "pcode": "国发〔2024〕1号",
                                "url": "https://www.gov.cn/zhengce/content/202401/content_1.htm",
                                "pubtimeStr": "2024.01.05", "puborg": "国务院"}]},
        "bumenfile": {"listVO": [{"title": "部门文件", "url": "/zhengce/zhengceku/202401/content_2.htm",
                                  "pubtime": 1704412800000}]}}}}
    page = parse_govcn_api(json.dumps(data), "https://sousuo.www.gov.cn/search-gov/data")
    assert page.page_count == 3
    assert page.items[0].title == "国务院关于小微企业的通知" and page.items[0].date == "2024-01-05"
    assert page.items[1].url == "https://sousuo.www.gov.cn/zhengce/zhengceku/202401/content_2.htm"
    assert page.items[1].date == "2024-01-05"
    assert parse_govcn_api('{"code": 1001}', "https://x/").items == []
    gk = parse_gkmlpt(json.dumps({"total": 250, "articles": [
        {"id": 1, "title": "广州市工信局通知", "url": "https://www.gz.gov.cn/gkmlpt/content/1/1/post_1.html",
         "publisher": "广州市工业和信息化局", "create_time": 1704412800}]}), "https://www.gz.gov.cn/", 100)
    assert gk.page_count == 250 and gk.items[0].date == "2024-01-05"


def test_link_list_reads_dates_and_filters_links(gov_site):
    html = gov_site.pages["/hunan/wjk/wjk_glrb.html"].body.decode()
    page = parse_link_list(html, gov_site.base + "/hunan/wjk/wjk_glrb.html", lambda u: "/t2024" in u)
    assert page.page_count == 2 and len(page.items) == 2
    assert page.items[0].date == "2024-03-18"
