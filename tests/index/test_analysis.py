"""jieba analysis: dictionary terms whole, ordinal positions, offsets, folding."""
from __future__ import annotations

import pytest

from index.analysis import JiebaTokenizer, analyze, components, fold_width_case, query_words


def terms(text):
    return [t for t, _, _, _ in analyze(text)]


def test_user_dictionary_terms_stay_whole_and_parts_are_indexed():
    tokens = terms("企业研发费用加计扣除比例提高")
    assert "研发费用加计扣除" in tokens
    assert {"研发", "费用", "加计扣除"} <= set(tokens)
    for word in ("专精特新", "稳岗返还", "留抵退税", "创业担保贷款", "个体工商户", "营商环境"):
        assert word in query_words(f"关于{word}的通知"), word


def test_positions_are_word_ordinals_and_subwords_share_them():
    items = analyze("研发费用加计扣除政策落实")
    positions = {t: p for t, p, _, _ in items}
    assert positions["研发费用加计扣除"] == positions["加计扣除"] == 0
    assert positions["政策"] == 1
    assert positions["落实"] == 2


def test_offsets_point_at_the_original_characters():
    text = "支持ＩＳＯ９００１认证，融资担保机构（试点）"
    for term, _, start, end in analyze(text):
        assert fold_width_case(text[start:end]) == term


def test_width_and_case_folding_and_latin_words():
    assert "iso9001" in terms("ＩＳＯ９００１认证")
    assert "iso9001" in terms("ISO9001认证")
    assert "5g" in terms("５Ｇ基站") and "5g" in terms("5G基站")
    assert fold_width_case("ＡＢＣ　１２３") == "abc 123"


def test_punctuation_is_not_a_token():
    assert [t for t, _, _, _ in analyze("“稳岗返还”，（补贴）、；：！", subwords=False)] == \
        ["稳岗返还", "补贴"]


def test_tokenizer_gives_positions_and_chars_to_whoosh():
    tokens = [(t.text, t.pos, t.startchar, t.endchar)
              for t in JiebaTokenizer()("融资担保行业", positions=True, chars=True)]
    whole = [t for t in tokens if t[0] == "融资担保"]
    assert whole and whole[0][2:] == (0, 4)
    assert max(t[1] for t in tokens) == 1  # 融资担保 / 行业: two words


def test_components_split_long_words_into_known_parts():
    assert components("研发费用加计扣除") == ["研发费用", "加计扣除"]
    assert components("天使投资") == ["天使", "投资"]
    assert components("融资") == []


@pytest.mark.slow
def test_segmentation_is_python_jiebas_on_real_policy_text():
    """jieba-rs (rjieba) is used for speed: on real policy pages it must cut exactly
    as Python jieba does with the same dictionary and policy terms."""
    import json
    import logging

    import jieba

    from index import analysis
    from tests.conftest import shared_path

    reference = jieba.Tokenizer()
    jieba.setLogLevel(logging.WARNING)
    reference.initialize()
    for line in analysis._data_lines("user_dict.txt"):
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else analysis.USER_WORD_FREQ
        word = fold_width_case(parts[0])
        reference.add_word(word, max(freq, reference.FREQ.get(word, 0) or 0))
    has_word = analysis.init_jieba().has_word
    with open(shared_path("corpus", "documents.jsonl"), encoding="utf-8") as lines:
        records = [json.loads(line) for _, line in zip(range(40), lines)]
    checked = 0
    for record in records:
        for text in (record.get("title"), (record.get("body") or "")[:6000]):
            if not text:
                continue
            folded = fold_width_case(text)
            assert list(analysis._tokenize(folded)) == list(reference.tokenize(folded))
            for word in reference.cut(folded):
                assert has_word(word) == bool(reference.FREQ.get(word)), word
            checked += len(folded)
    assert checked > 50_000
