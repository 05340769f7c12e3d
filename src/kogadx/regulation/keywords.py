"""Keyword candidates per analog-regulation category and the typical digital alternative.

Category names are the Digital Agency's 規制等の類型 as written in the 工程表 (2022-12-21),
plus ``FD等記録媒体`` (the separate recording-media list, for which no labels exist, so it is
detected by rules only).

Keyword lists: the starting list of DOMAIN.md §4, extended from the labelled data
(工程表 summaries and the labelled clauses of the 13 Acts):

* 目視規制 + 立入, 立ち入, 完成検査, 保安検査, 検査させ — the 工程表 files 立入検査 and
  completion / safety inspections under 目視規制 (988 of 2,927 summaries say 立入), not 実地監査.
* 実地監査: 立入 moved to 目視規制 (see above); 実地, 臨場, 監査 kept; + 実地検査, 実地調査.
* 定期検査: + 定期点検, 定期検査, 定期的, 毎年度, 年一回, 年に一回, 周期 (the DOMAIN list's
  "年○回" written out as regular expressions for 年N回).
* 書面掲示: + 公衆の見やすい, 掲示場, 公示 (131 summaries), 掲げ.
* 常駐専任: + 選任, 配置, 置かなければ, 管理者 (選任 114, 管理者 131 summaries).
* 対面講習: + 講習会, 研修を受け, 修了.
* 往訪閲覧: + 備付, 備置, 備え付, 写しの交付, 閲覧に供.
* FD等記録媒体: + フロッピー, CD-ROM, 電磁的記録媒体 (FD等 rules).
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
    "目視規制": ("目視", "視認", "巡視", "巡回", "見張", "監視", "立入", "立ち入", "完成検査", "保安検査", "検査させ"),
    "実地監査": ("実地", "臨場", "監査", "実地検査", "実地調査"),
    "定期検査": ("定期", "毎年", "毎年度", "点検", "検査", "測定", "定期点検", "定期検査", "定期的", "周期"),
    "書面掲示": ("掲示", "掲げ", "見やすい場所", "標識", "公衆の見やすい", "掲示場", "公示"),
    "常駐専任": ("常駐", "専任", "専従", "常時", "選任", "配置", "管理者"),
    "対面講習": ("講習", "研修", "講義", "受講", "講習会", "修了"),
    "往訪閲覧": ("閲覧", "縦覧", "備え置", "供覧", "謄写", "備付", "備置", "備え付", "写しの交付", "閲覧に供"),
    FD_CATEGORY: (
        "フレキシブルディスク",
        "磁気ディスク",
        "光ディスク",
        "シー・ディー・ロム",
        "磁気テープ",
        "フロッピー",
        "CD-ROM",
        "ＣＤ－ＲＯＭ",
        "電磁的記録媒体",
    ),
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
