import codecs

from crawler.encoding import decode_bytes, normalize_charset

TEXT = "<html><head>{meta}</head><body>朱镕基 王堃 喆 支持小微企业</body></html>"


def test_gb_family_is_decoded_as_gb18030_without_mojibake():
    html = TEXT.format(meta='<meta charset="gb2312">')
    data = html.encode("gb18030")
    assert normalize_charset("GB2312") == normalize_charset("gbk") == "gb18030"
    text, encoding = decode_bytes(data, "text/html; charset=gb2312")
    assert encoding == "gb18030" and "朱镕基 王堃 喆" in text
    text, _ = decode_bytes(data)  # meta only
    assert "王堃" in text


def test_bom_wins_over_header():
    data = codecs.BOM_UTF8 + TEXT.format(meta="").encode("utf-8")
    text, encoding = decode_bytes(data, "text/html; charset=gbk")
    assert encoding == "utf-8" and text.startswith("<html>") and "王堃" in text
    data = codecs.BOM_UTF16_LE + TEXT.format(meta="").encode("utf-16-le")
    assert "王堃" in decode_bytes(data)[0]


def test_wrong_header_is_checked_against_the_bytes():
    gbk = TEXT.format(meta="").encode("gb18030")
    text, encoding = decode_bytes(gbk, "text/html; charset=utf-8")
    assert encoding == "gb18030" and "支持小微企业" in text
    utf8 = TEXT.format(meta="").encode("utf-8")
    text, encoding = decode_bytes(utf8, "text/html; charset=gb2312")
    assert encoding == "utf-8" and "支持小微企业" in text


def test_detection_without_any_declaration():
    data = ("<p>" + "关于进一步支持中小微企业发展的若干政策措施，" * 20 + "</p>").encode("gb18030")
    text, _ = decode_bytes(data)
    assert "中小微企业" in text
