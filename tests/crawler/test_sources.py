import pytest

from crawler.sources import SourceError, load_sources, source_for_url
from policy_search.settings import load_settings


def test_shipped_sources_cover_four_levels():
    sources = {s.id: s for s in load_sources()}
    assert {s.level for s in sources.values()} == {"national", "provincial", "city", "county"}
    assert sources["csx"].region_code == "430121" and sources["csx"].region_name == "长沙县"
    api = sources["govcn-api"].entries[0]
    assert api.kind == "govcn_api" and "sousuo.www.gov.cn" in api.url and "{page}" in api.url
    assert api.headers["Referer"] == "https://sousuo.www.gov.cn/"
    hunan = sources["hunan-wjk"].entries[0]
    assert hunan.url.endswith("wjk_glrb.html") and hunan.first_n == 2
    assert sources["govcn-lists"].is_item("https://www.gov.cn/zhengce/content/202403/content_6939081.htm")
    assert not sources["govcn-lists"].is_item("https://evil.example/zhengce/content/202403/content_1.htm")
    assert source_for_url(list(sources.values()), "http://www.changsha.gov.cn/x").id == "changsha-zfwjk"


def test_settings_sources_file_overrides(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("""
[[source]]
id = "kjj"
name = "长沙市科技局"
level = "市"
region_code = "长沙市"
allowed_hosts = ["kjj.changsha.gov.cn"]
[[source.entries]]
kind = "trs"
url = "http://kjj.changsha.gov.cn/zfxxgk/tzgg/index.html"
""", "utf-8")
    settings = load_settings(environ={}, data_dir=tmp_path, sources_file=path)
    [source] = load_sources(settings)
    assert (source.id, source.level, source.region_code) == ("kjj", "city", "430100")


@pytest.mark.parametrize("body, message", [
    ('[[source]]\nid = "a"\n', "missing"),
    ('[[source]]\nid="a"\nname="n"\nregion_code="999999"\nallowed_hosts=["h"]\n'
     '[[source.entries]]\nkind="trs"\nurl="http://h/"\n', "region_code"),
    ('[[source]]\nid="a"\nname="n"\nregion_code="430100"\nallowed_hosts=["h"]\n'
     '[[source.entries]]\nkind="ftp"\nurl="http://h/"\n', "kind"),
    ("not toml [", "sources"),
])
def test_bad_definitions_are_reported(tmp_path, body, message):
    path = tmp_path / "sources.toml"
    path.write_text(body, "utf-8")
    with pytest.raises(SourceError, match=message):
        load_sources(path=path)


@pytest.mark.parametrize("hosts", ['allowed_hosts=["h"]\n', ""])
@pytest.mark.parametrize("key", ["url", "page_url"])
def test_source_file_names_a_bad_scheme_before_missing_hosts(tmp_path, hosts, key):
    """file:// has no host: the file says the scheme is wrong, not that hosts are missing."""
    url = 'url="http://h/list.html"\n' if key == "page_url" else ""
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nid="a"\nname="n"\nregion_code="430100"\n' + hosts
                    + f'[[source.entries]]\nkind="trs"\n{url}{key}="file:///etc/passwd"\n', "utf-8")
    with pytest.raises(SourceError) as caught:
        load_sources(path=path)
    assert "只允许 http 或 https 网址（收到的是 file）" in str(caught.value)
    assert "missing" not in str(caught.value)


def test_sources_added_by_an_admin_are_loaded_with_the_shipped_ones(tmp_path):
    from crawler.sources import DEFINITION_KEY, load_all_sources
    from policy_search.domain.store import Store

    store = Store(tmp_path / "s.sqlite3")
    settings = load_settings(environ={}, data_dir=tmp_path)
    store.sources.save_state("kjj", state={DEFINITION_KEY: {
        "id": "kjj", "name": "长沙市科技局", "region_code": "430100",
        "allowed_hosts": ["kjj.changsha.gov.cn"],
        "entries": [{"kind": "trs", "url": "http://kjj.changsha.gov.cn/zfxxgk/tzgg/index.html"}]}})
    store.sources.save_state("broken", state={DEFINITION_KEY: {"id": "broken"}})
    sources, problems = load_all_sources(settings, store)
    ids = {s.id for s in sources}
    assert "kjj" in ids and "csx" in ids and "broken" not in ids
    assert len(problems) == 1 and "broken" in problems[0]
