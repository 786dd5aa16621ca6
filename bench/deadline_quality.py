"""Precision and recall of "is this sentence an application window?" on real sentences.

The table (tests/policy_search/window_sentences.tsv) holds deadline-like sentences of
../shared/corpus/documents.jsonl, each labelled by reading it: 1 = someone can apply, register or
be nominated in the window it states; 0 = a reporting duty, tax filing, a creditor claim, a comment
period, a deadline of the authorities' own work, a legal time limit, a permit or quota needed to
operate, a statistic, a validity date. Rows marked `tune` are the ones the rules were adjusted on;
`held-out` rows were never tuned on — the figure that counts.

A sentence is predicted an application window when it states a window (`parse_window`) and the
decision (`policy_search.domain.windows.judge_window`) says so. The baseline is the rule it replaced: any
window in a sentence with a submission word (申报, 报送, 提交 …), which is what let 工作报告,
自查报告, 年报, 纳税申报 and 申报债权 through.

    .venv/bin/python bench/deadline_quality.py [--show-errors]   # errors of the tune rows only
"""
from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policy_search.domain.deadlines import parse_window  # noqa: E402
from policy_search.domain.windows import application_window  # noqa: E402

TABLE = ROOT / "tests" / "policy_search" / "window_sentences.tsv"
# The card extractor's sentence test before application windows were told from duties.
_OLD_CUE = re.compile(r"申报|申请|报送|提交|推荐|受理|报名|征集|截止|报至|兑现|送达|寄送|登录|反馈|报我|发送至|报回执")
_OLD_DEADLINE = re.compile(r"截止|截至|前|之日起|常年|长期受理|随时|至|到|—|-")


def read_table(path: Path = TABLE) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:
        row["label"] = row["label"] == "1"
    return rows


def predicted(row: dict) -> bool:
    window, decision = application_window(row["sentence"], row["published"] or None,
                                          title=row["title"], heading=row["heading"])
    return window is not None and decision.is_application


def baseline(row: dict) -> bool:
    sentence = row["sentence"]
    window = parse_window(sentence, row["published"] or None)
    return (window is not None and bool(_OLD_CUE.search(sentence))
            and bool(_OLD_DEADLINE.search(sentence)))


def scores(rows: list[dict], predict) -> tuple[int, int, int, int]:
    tp = fp = fn = tn = 0
    for row in rows:
        guess = predict(row)
        tp += guess and row["label"]
        fp += guess and not row["label"]
        fn += not guess and row["label"]
        tn += not guess and not row["label"]
    return tp, fp, fn, tn


def ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def main() -> None:
    rows = read_table()
    print(f"{len(rows)} labelled sentences ({sum(r['label'] for r in rows)} application windows)")
    print(f"{'part':<10}{'rule':<10}{'n':>5}{'yes':>5}{'tp':>5}{'fp':>5}{'fn':>5}"
          f"{'precision':>11}{'recall':>8}")
    for part in ("tune", "held-out", "all"):
        subset = [r for r in rows if part == "all" or r["part"] == part]
        for name, predict in (("baseline", baseline), ("windows", predicted)):
            tp, fp, fn, _ = scores(subset, predict)
            print(f"{part:<10}{name:<10}{len(subset):>5}{sum(r['label'] for r in subset):>5}"
                  f"{tp:>5}{fp:>5}{fn:>5}{ratio(tp, tp + fp):>11.3f}{ratio(tp, tp + fn):>8.3f}")
    if "--show-errors" in sys.argv:
        for row in rows:
            if row["part"] == "tune" and predicted(row) != row["label"]:
                _, decision = application_window(row["sentence"], row["published"] or None,
                                                 title=row["title"], heading=row["heading"])
                print(f"[{row['part']}] label {int(row['label'])} · {decision.describe()} · "
                      f"《{row['title'][:30]}》 {row['sentence'][:120]}")


if __name__ == "__main__":
    main()
