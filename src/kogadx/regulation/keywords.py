"""Keyword candidates per analog-regulation category and the typical digital alternative.

Category names are the Digital Agency's 規制等の類型 as written in the 工程表 (2022-12-21),
plus ``FD等記録媒体`` (the separate recording-media list, for which no labels exist, so it is
detected by rules only).

Keyword lists: **frozen** to the starting list of DOMAIN.md §4 (source: DOMAIN.md §4, "a
starting list"; the official lists are UNCONFIRMED), with its "年○回" written as a regular
expression. They are not extended from the labelled data: the keywords are both the baseline
ranker and a feature of the model, and tuning them on the labels would leak the evaluation
folds into both (issue #21). A list tuned on data must be tuned inside training folds only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

LABELLED_CATEGORIES: tuple[str, ...] = (
    "目視規制",
    "実地監査",
    "定期検査",
    "書面掲示",
    "常駐専任",
    "対面講習",
    "往訪閲覧",
)
FD_CATEGORY = "FD等記録媒体"
ALL_CATEGORIES: tuple[str, ...] = (*LABELLED_CATEGORIES, FD_CATEGORY)

# Literal keywords (plain substrings) per category. Order matters only for display.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "目視規制": ("目視", "視認", "巡視", "巡回", "見張", "監視"),
    "実地監査": ("実地", "立入", "臨場", "監査"),
    "定期検査": ("定期", "毎年", "点検", "検査", "測定"),
    "書面掲示": ("掲示", "掲げ", "見やすい場所", "標識"),
    "常駐専任": ("常駐", "専任", "専従", "常時"),
    "対面講習": ("講習", "研修", "講義", "受講"),
    "往訪閲覧": ("閲覧", "縦覧", "備え置", "供覧", "謄写"),
    FD_CATEGORY: ("フレキシブルディスク", "磁気ディスク", "光ディスク", "シー・ディー・ロム", "磁気テープ"),
}

# Patterns for counted frequencies (年一回, 年２回, 毎年一回以上 …) — the "年○回" of DOMAIN.md.
KEYWORD_PATTERNS: dict[str, tuple[str, ...]] = {
    "定期検査": (r"年[一二三四五六七八九十0-9０-９]+回",),
}

# The digital alternative staff would typically consider for each category (デジタル代替案).
DIGITAL_ALTERNATIVES: dict[str, str] = {
    "目視規制": "カメラ・ドローン・センサー等による遠隔確認、画像解析",
    "実地監査": "オンライン会議・電子データ提出によるリモート監査",
    "定期検査": "IoTセンサーによる常時監視・状態基準保全、検査周期の見直し",
    "書面掲示": "ウェブサイト・電子掲示板への掲載（インターネット公表）",
    "常駐専任": "遠隔監視・オンラインによる兼任・非常駐の容認",
    "対面講習": "オンライン講習（eラーニング・ライブ配信）",
    "往訪閲覧": "オンライン閲覧（ウェブ公開・電子縦覧）",
    FD_CATEGORY: "オンライン申請・電子メール・クラウドでの提出（媒体指定の削除）",
}


@dataclass(frozen=True)
class KeywordMatcher:
    """Compiled keyword regexes, one per category (substring literals + count patterns)."""

    patterns: dict[str, re.Pattern[str]]

    @classmethod
    def default(cls) -> KeywordMatcher:
        """Matcher over ``KEYWORDS`` and ``KEYWORD_PATTERNS``."""
        compiled = {}
        for category in ALL_CATEGORIES:
            # Longest first so 定期点検 is reported rather than 定期 where both fit.
            literals = sorted(KEYWORDS[category], key=len, reverse=True)
            alternatives = [re.escape(k) for k in literals] + list(KEYWORD_PATTERNS.get(category, ()))
            compiled[category] = re.compile("|".join(alternatives))
        return cls(compiled)

    def match(self, text: str) -> dict[str, list[str]]:
        """Distinct keywords found per category (categories with no hit are omitted)."""
        found: dict[str, list[str]] = {}
        for category, pattern in self.patterns.items():
            hits = sorted(set(pattern.findall(text)))
            if hits:
                found[category] = hits
        return found

    def match_frame(self, texts: pd.Series) -> pd.DataFrame:
        """Boolean frame: one column per category, True where any keyword occurs."""
        return pd.DataFrame(
            {c: texts.str.contains(p.pattern, regex=True) for c, p in self.patterns.items()},
            index=texts.index,
        ).astype(bool)
