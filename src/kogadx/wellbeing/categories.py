"""The 24 LWC (Liveable Well-being City, 地域幸福度) categories and survey item names.

Source: DOMAIN.md §5 (Digital Agency's Well-Being 指標). Three factor groups:
生活環境 (16 categories), 地域の人間関係 (2) and 自分らしい生き方 (6). Items are answered on a
1–5 scale; the overall items (幸福度, 生活満足度) on 0–10. Exact question wording is
UNCONFIRMED, so only the category names are fixed here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One LWC category: English column key, Japanese label, factor group."""

    key: str
    name_ja: str
    group: str


_GROUP_ENV = "生活環境"
_GROUP_REL = "地域の人間関係"
_GROUP_SELF = "自分らしい生き方"

CATEGORIES: tuple[Category, ...] = (
    Category("medical_welfare", "医療・福祉", _GROUP_ENV),
    Category("shopping_dining", "買物・飲食", _GROUP_ENV),
    Category("housing", "住宅環境", _GROUP_ENV),
    Category("mobility", "移動・交通", _GROUP_ENV),
    Category("leisure", "遊び・娯楽", _GROUP_ENV),
    Category("childcare", "子育て", _GROUP_ENV),
    Category("school_education", "初等・中等教育", _GROUP_ENV),
    Category("local_government", "地域行政", _GROUP_ENV),
    Category("digital_life", "デジタル生活", _GROUP_ENV),
    Category("public_space", "公共空間", _GROUP_ENV),
    Category("townscape", "都市景観", _GROUP_ENV),
    Category("natural_landscape", "自然景観", _GROUP_ENV),
    Category("nature_bounty", "自然の恵み", _GROUP_ENV),
    Category("environmental_harmony", "環境共生", _GROUP_ENV),
    Category("natural_disaster", "自然災害", _GROUP_ENV),
    Category("accident_crime", "事故・犯罪", _GROUP_ENV),
    Category("community_ties", "地域とのつながり", _GROUP_REL),
    Category("diversity_tolerance", "多様性と寛容性", _GROUP_REL),
    Category("self_efficacy", "自己効力感", _GROUP_SELF),
    Category("health", "健康状態", _GROUP_SELF),
    Category("culture_arts", "文化・芸術", _GROUP_SELF),
    Category("learning_opportunity", "教育機会の豊かさ", _GROUP_SELF),
    Category("employment_income", "雇用・所得", _GROUP_SELF),
    Category("entrepreneurship", "事業創造", _GROUP_SELF),
)

CATEGORY_KEYS: tuple[str, ...] = tuple(c.key for c in CATEGORIES)
CATEGORY_LABELS: dict[str, str] = {c.key: c.name_ja for c in CATEGORIES}

# Overall items on a 0–10 scale.
OVERALL_ITEMS: dict[str, str] = {"happiness": "幸福度", "life_satisfaction": "生活満足度"}

# Every indicator the stage summarises per district, English key -> Japanese label.
INDICATOR_LABELS: dict[str, str] = {**OVERALL_ITEMS, **CATEGORY_LABELS}

ITEM_SCALE = (1, 5)
OVERALL_SCALE = (0, 10)
