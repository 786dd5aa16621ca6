"""Page chrome and markdown marks stripped from bodies (import, extraction, the stored
bodies by `clean-bodies`), on real page text of ../shared/corpus — and nothing else."""
from __future__ import annotations

import html

from click.testing import CliRunner

from crawler.extract import extract_page
from policy_search.domain.cleaning import clean_body
from policy_search.cli import main
from policy_search.domain.importer import policy_from_record
from policy_search.domain.store import Store
from tests.policy_search.corpus import all_documents

SHANGHAI_REPORT = ("https://s.fjlib.net:6443/interlibSSO/goto/385/+c-s-9odnokd9bnl9bm/pd/gzbg/"
                   "detail.html?id=c93c6c18e18d4ec6b1dd2f30581f15e8")
CHROME = ("下载", "打印", "全屏", "收藏", "字号", "加大", "还原", "减小", "分享到", "扫一扫",
          "打印本页", "关闭窗口", "放大字体", "相关链接")


def body(key: str) -> str:
    return all_documents()[key]["body"]


def by_title(title: str) -> str:
    return next(k for k, d in all_documents().items() if d["title"] == title)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_chrome_at_the_start_of_a_real_page():
    cleaned = clean_body(body(SHANGHAI_REPORT))
    assert cleaned.startswith("2026年上海市政府工作报告\n")
    assert "相关报道" not in cleaned[-20:]
    assert lines(cleaned)[1].startswith("——2026年2月3日")


def test_the_byline_above_the_document():
    # the 2026 work reports as the provincial papers published them: "来源：黑龙江日报",
    # "时间：2026-02-26" between the title and the text started every snippet
    report = clean_body(body(by_title("2026年黑龙江省政府工作报告")))
    assert lines(report)[:3] == ["2026年黑龙江省政府工作报告",
                                 "2026年1月31日在黑龙江省第十四届人民代表大会第四次会议上", "省长 梁惠玲"]
    assert "来源：黑龙江日报" not in report and "时间：2026-02-26" not in report
    combined = clean_body("来源：中国政府网　发布时间：2023-01-05 10:30　浏览次数：25\n"
                          "第一条 本办法所需资金来源：省级财政。")
    assert combined == "第一条 本办法所需资金来源：省级财政。"
    # a provision that names a source is text, wherever it stands, and so is the source a
    # page names after the text (the document's own 来源 line)
    assert clean_body("专项资金来源：省级财政\n时间：按年度安排") == "专项资金来源：省级财政\n时间：按年度安排"
    assert clean_body("附件：2020年计量标准器具核准许可结果公示(第三批).docx\n来源：江西省市场监督管理局") == \
        "附件：2020年计量标准器具核准许可结果公示(第三批).docx\n来源：江西省市场监督管理局"


def test_chrome_at_the_end_and_related_links():
    sichuan = clean_body(body(by_title("2026年四川省人民政府工作报告")))
    for word in ("扫一扫在手机打开当前页", "相关链接>>", "打印本页", "关闭窗口", "责任编辑",
                 "e4c29f31c6964493a14c4ddf6b160169", "四川干部群众热议政府工作报告"):
        assert word not in sichuan
    assert not any(line in ("大", "中", "小", "【", "】") for line in lines(sichuan))
    ningxia = clean_body(body(by_title("2026年宁夏回族自治区政府工作报告")))
    assert ningxia.endswith("为建设美丽新宁夏、共圆伟大中国梦而团结奋斗！")
    yunnan = clean_body(body(by_title("2026年政府工作报告")))
    assert "您的位置" not in yunnan and "点击图片进入专题" not in yunnan
    assert yunnan.endswith("变为幸福实景！")


def test_chrome_lines_inside_and_glued_to_the_end():
    notice = body(by_title("北京市密云区人民政府关于印发京沈铁路客运专线密云段施工震损、噪声污染补偿暂行规定的通知"))
    assert "字号：   大   中   小" in notice
    cleaned = clean_body(notice)
    assert "字号" not in cleaned and "密政发〔2016〕20号" in cleaned
    regulation = clean_body(body(by_title("国家科学技术奖励条例（国务院令第638号第二次修订）")))
    assert regulation.endswith("同时废止。") and "放大字体" not in regulation
    glued = [k for k, d in all_documents().items() if (d["body"] or "").endswith("。字号")]
    assert len(glued) > 50  # a whole site's pages end so
    for key in glued[:20]:
        assert clean_body(body(key)).endswith("。")


def test_markdown_marks_go_and_their_text_stays():
    law = body("title:中华人民共和国中小企业促进法")
    assert "## 第一章 总则" in law
    cleaned = clean_body(law)
    assert "#" not in cleaned and "第一章 总则" in lines(cleaned)
    table = clean_body(body(by_title("最高人民法院、最高人民检察院关于执行《中华人民共和国刑法》确定罪名的补充规定")))
    assert "<!--" not in table and "|" not in table and "-----" not in table
    assert "第114条、第115条第1款（《修正案（三）》第1、2条）\u3000投放危险物质罪（取消投毒罪罪名）" in table


def test_real_content_that_looks_like_chrome_stays():
    for title, words in (
        ("上海市企业名称登记管理规定", ("企业名称由行政区划、字号、行业或者经营特点、组织形式组成",)),
        ("上海市公共图书馆条例", ("收藏",)),
        ("2022年度海峡两岸婚姻家庭服务中心社会公开招聘笔试公告", ("110102***1161",)),
    ):
        keys = [k for k, d in all_documents().items() if d["title"] == title]
        assert keys, title
        cleaned = clean_body(body(keys[0]))
        for word in words:
            assert word in cleaned
    assert clean_body("附件：申报表\n下载\n请于3月1日前提交。") == "附件：申报表\n请于3月1日前提交。"
    assert clean_body("对下载、打印等服务不收费。") == "对下载、打印等服务不收费。"
    assert clean_body("大\n中\n小") == "大\n中\n小"  # sizes alone are not a 字号 switch


# The furniture of other government sites' article pages, as their text comes out of the page
# (share buttons, counters, size switches, care modes, links to the neighbouring articles, the
# footer), above or below a document.
OTHER_SITES_CHROME = [
    "【我要打印】【关闭窗口】",
    "分享：微信 微博 QQ空间",
    "分享到： 朋友圈 新浪微博 QQ好友",
    "阅读次数：235",
    "信息来源：市财政局 | 发布日期：2023-01-01 | 阅读次数：88",
    "【大 中 小】",
    "字号：A+ A A-",
    "字号：T | T",
    "默认 护眼",
    "无障碍 | 长者模式",
    "扫码阅读手机版",
    "【纠错】",
    "上一篇：关于印发《某市促进消费若干措施》的通知",
    "下一篇：某市2023年第一批专精特新企业名单公示",
    "版权所有：某市人民政府办公室  网站标识码：3301000001",
    "浙ICP备05012345号  浙公网安备 33010202000001号",
]
DOCUMENT = "各区人民政府，市各委、办、局：\n现将《若干措施》印发给你们，请认真贯彻执行。\n对新认定的企业给予一次性奖励20万元。"


def test_chrome_of_other_sites_goes_above_and_below_the_document():
    for chrome in OTHER_SITES_CHROME:
        assert clean_body(chrome + "\n" + DOCUMENT) == DOCUMENT, chrome
        if "来源" not in chrome:  # a source line after the text is the document's own
            assert clean_body(DOCUMENT + "\n" + chrome) == DOCUMENT, chrome
    # "上一篇：" alone: the neighbour's title is on the next line
    assert clean_body(DOCUMENT + "\n上一篇：\n关于开展2023年度企业研发投入奖补的通知\n下一篇：\n无") == DOCUMENT


def test_words_of_the_share_buttons_stay_where_they_are_text():
    for text in ("微信\n微博", "请关注“某市发布”微信公众号。", "A+\nA\nB", "一、大中小企业融通发展",
                 "上一年度营业收入不低于1000万元", "手机号码：13800000000"):
        assert clean_body(text) == text


def test_import_cleans_bodies():
    record = all_documents()[SHANGHAI_REPORT]
    policy = policy_from_record(record)
    assert policy.body_text.startswith("2026年上海市政府工作报告")
    assert not any(word == line for word in CHROME for line in lines(policy.body_text))


def test_extraction_cleans_bodies():
    """The real page text inside a detail page's body block, as the crawler reads it."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body(SHANGHAI_REPORT).splitlines())
    page = extract_page(f"<html><head><title>2026年上海市政府工作报告</title></head><body>"
                        f"<div id='zoom'>{paragraphs}</div></body></html>",
                        "http://www.example.gov.cn/a.html")
    assert page.body_text.startswith("2026年上海市政府工作报告\n")
    assert page.body_text == clean_body(page.body_text)


def test_clean_bodies_command_rewrites_only_changed_bodies(tmp_path):
    data_dir = tmp_path / "data"
    chrome_key, clean_key = SHANGHAI_REPORT, "http://www.gov.cn/zhengce/content/2018-11/27/content_5343832.htm"
    with Store(data_dir / "policies.sqlite3") as store:
        ids = {}
        for key in (chrome_key, clean_key):
            policy = policy_from_record(all_documents()[key])
            policy.body_text = all_documents()[key]["body"]  # stored before cleaning existed
            store.policies.upsert(policy)
            ids[key] = policy.id
        store.edits.set_review_state(ids[chrome_key], "reviewed", "alice")
        seq = store.policies.last_change()
    runner = CliRunner()
    dry = runner.invoke(main, ["--data-dir", str(data_dir), "clean-bodies", "--dry-run", "--quiet"])
    assert dry.exit_code == 0 and "可清理 1 篇" in dry.output
    result = runner.invoke(main, ["--data-dir", str(data_dir), "clean-bodies", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "检查 2 篇, 已清理 1 篇" in result.output and "文件类型" in result.output
    with Store(data_dir / "policies.sqlite3") as store:
        cleaned = store.policies.get(ids[chrome_key])
        assert cleaned.body_text.startswith("2026年上海市政府工作报告")
        assert cleaned.review_state == "reviewed"  # our cleaning is no change at the source
        assert cleaned.content_hash == cleaned.compute_hash()
        _, changed = store.policies.changes_since(seq)
        assert ids[chrome_key] in changed
        assert store.policies.get(ids[clean_key]).body_text == all_documents()[clean_key]["body"]
    again = runner.invoke(main, ["--data-dir", str(data_dir), "clean-bodies", "--quiet"])
    assert "已清理 0 篇" in again.output
