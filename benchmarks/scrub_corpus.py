"""Recall and false-positive rate of the free-text scrubber on its labelled corpus.

The corpus (``tests/data/scrub_corpus.csv``: text, contains_pii, kind, value, split) is 162
synthetic survey comments written for this purpose: phones (spaces, hyphen variants, full-width,
kanji numerals), e-mails (plain and obfuscated), addresses below the 町丁目, postal codes, register
names, 個人番号 / card numbers, and hard negatives (dates, times, prices, counts, bus numbers,
landmarks). ``split``: ``dev`` (122 rows, written with the scrubber: its figures are optimistic)
and ``holdout`` (40 rows, written afterwards). The holdout's first measurement, before any change:
recall 19/19, false positives 1/21 (「予約番号A123-4567」 read as a local phone number after the
word 番号); the phone-word rule was then tightened, so the holdout is no longer untouched. Names are those of
``tests/data/scrub_register.csv`` (the register the ``names_from`` rule would give).

Results: benchmarks/results/scrub_corpus.json.

    .venv/bin/python benchmarks/scrub_corpus.py
"""

from __future__ import annotations

import platform
from pathlib import Path

import pandas as pd

from kogadx.io import write_json
from kogadx.privacy.scrub import build_name_matcher, detection_report

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "scrub_corpus.csv"
REGISTER = ROOT / "tests" / "data" / "scrub_register.csv"


def evaluate() -> dict[str, object]:
    corpus = pd.read_csv(CORPUS, dtype=str, keep_default_na=False)
    register = pd.read_csv(REGISTER, dtype=str)
    names = build_name_matcher(register["name"], register["name_kana"])
    results: dict[str, object] = {}
    for split, part in [("all", corpus), *corpus.groupby("split")]:
        results[str(split)] = detection_report(part["text"], part["contains_pii"], part["kind"], part["value"], names)
    return results


def main() -> None:
    results = {"corpus": str(CORPUS.relative_to(ROOT)), "machine": platform.platform(), **evaluate()}
    out = write_json(results, ROOT / "benchmarks" / "results" / "scrub_corpus.json")
    for split in ("all", "dev", "holdout"):
        r = results[split]
        assert isinstance(r, dict)
        print(f"{split}: recall {r['recall']:.3f} ({r['with_personal_data']} 件中), "
              f"誤検出率 {r['false_positive_rate']:.3f} ({r['without']} 件中)")
    print(out)


if __name__ == "__main__":
    main()
