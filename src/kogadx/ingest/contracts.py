"""Data contracts of the raw exports: headers, canonical names, types and checks.

A contract is declarative (``TableContract``); ``schema_for`` turns it into a pandera
schema that validates the normalised frame. Other domains add their tables to
``CONTRACTS`` — one entry per table, no new code paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa

from kogadx.idcodes import is_luhn_valid, is_valid_my_number

# Columns of a raw export that are not in its contract are kept under this prefix (or
# refused, params ingest.extra_columns): no raw header can land on a contract or internal
# name. The privacy stage drops ``extra__*`` columns unless its policy names them.
EXTRA_PREFIX = "extra__"
# No number in a municipal export is this large: larger (1e308 …) is a broken cell.
NUMBER_LIMIT = 1e12


@dataclass(frozen=True)
class Column:
    """One column of a raw export.

    kind: text | digits | date | datetime | int | float. ``pattern`` is a full-match regex on
    the normalised text (``\\d`` means 0–9 only); ``allowed`` a closed set;
    ``check`` a (name, function) pair; ``min`` / ``max`` the plausible range of a number;
    ``max_age`` makes a date a birth date (age 0–max_age at the export's reference date).
    """

    raw: str
    name: str
    kind: str = "text"
    required: bool = True
    pattern: str | None = None
    allowed: tuple[str, ...] | None = None
    check: tuple[str, Callable[[str], bool]] | None = None
    min: float | None = None
    max: float | None = None
    max_age: int | None = None


@dataclass(frozen=True)
class RowRule:
    """A check across fields of one record: ``bad(frame)`` is True where the record breaks it
    (``frame``: normalised, parsed, canonical names); ``columns`` are raw headers."""

    columns: tuple[str, ...]
    reason: str
    bad: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class TableContract:
    table: str
    columns: tuple[Column, ...]
    town_from: str | None = None  # canonical column holding an address to match to a town
    town_code_column: str | None = None  # canonical column with a given 町丁目コード to verify
    key: tuple[str, ...] = field(default_factory=tuple)  # must be unique among kept rows
    # (column, other table, other column): values must exist in the other table's kept rows
    references: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)
    # Further column sets that must be unique (all records sharing one are quarantined).
    unique: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    row_rules: tuple[RowRule, ...] = field(default_factory=tuple)

    @property
    def raw_headers(self) -> list[str]:
        return [c.raw for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


RESIDENTS = TableContract(
    table="residents",
    columns=(
        Column("個人番号", "my_number", "digits", pattern=r"\d{12}",
               check=("検査用数字が一致しません", is_valid_my_number)),
        Column("住民票コード", "resident_code", "digits", pattern=r"\d{11}"),
        Column("氏名", "name"),
        Column("氏名カナ", "name_kana", pattern=r"[ァ-ヴー・ ]+"),
        Column("生年月日", "birth_date", "date", max_age=120),
        Column("性別", "sex", allowed=("男", "女")),
        Column("住所", "address"),
        Column("町丁目コード", "town_code", "digits", required=False, pattern=r"\d{11}"),
        Column("世帯番号", "household_id", "digits", pattern=r"\d{1,12}"),
        Column("続柄", "relationship"),
        Column("電話番号", "phone", required=False, pattern=r"0\d{1,4}-\d{1,4}-\d{3,4}"),
    ),
    town_from="address",
    town_code_column="town_code",
    key=("my_number",),
    unique=(("resident_code",),),  # one 住民票コード is one person
)

_DATETIME = r"\d{4}[/-]\d{1,2}[/-]\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2})?"

# のるーと古賀 booking system (vendor export). Stops are master data, not personal.
STOPS = TableContract(
    table="stops",
    columns=(
        Column("stop_id", "stop_id", pattern=r"S\d{3}"),
        Column("stop_name", "stop_name"),
        Column("lat", "lat", "float"),
        Column("lon", "lon", "float"),
        Column("town_code", "town_code", "digits", pattern=r"\d{11}"),
        Column("town_name", "town_name"),
        Column("kind", "kind"),
    ),
    key=("stop_id",),
)

MEMBERS = TableContract(
    table="members",
    columns=(
        Column("会員ID", "member_id", pattern=r"[A-Z]\d+"),
        Column("氏名", "name"),
        Column("生年月日", "birth_date", "date", max_age=120),
        Column("電話番号", "phone", required=False, pattern=r"0\d{1,4}-\d{1,4}-\d{3,4}"),
        Column("住所", "address"),
        Column("支払方法", "payment_method", allowed=("現金", "クレジットカード", "交通系IC")),
        Column("クレジットカード番号", "card_number", "digits", required=False,
               check=("カード番号の検査用数字が一致しません", is_luhn_valid)),
        Column("住民票コード", "resident_code", "digits", required=False, pattern=r"\d{11}"),
        Column("登録日", "registered_on", "date"),
    ),
    town_from="address",
    key=("member_id",),
)

RIDE_REQUESTS = TableContract(
    table="ride_requests",
    columns=(
        Column("予約ID", "request_id", pattern=r"R\d+"),
        Column("会員ID", "member_id", pattern=r"[A-Z]\d+"),
        Column("予約日時", "requested_at", "datetime"),
        Column("希望乗車日時", "desired_pickup_at", "datetime"),
        Column("乗車停留所ID", "origin_stop_id", pattern=r"S\d{3}"),
        Column("降車停留所ID", "destination_stop_id", pattern=r"S\d{3}"),
        Column("人数", "passengers", "int", min=1, max=8),  # のるーと vans seat at most 8
        Column("結果", "outcome", allowed=("完了", "キャンセル", "無断キャンセル", "配車不可")),
        Column("実乗車日時", "actual_pickup_at", "datetime", required=False),
        Column("実降車日時", "actual_dropoff_at", "datetime", required=False),
        Column("車両ID", "vehicle_id", required=False),
        Column("運賃", "fare_yen", "int", min=0),
        Column("支払方法", "payment_method", allowed=("現金", "クレジットカード", "交通系IC")),
    ),
    key=("request_id",),
    row_rules=(
        RowRule(("実乗車日時", "実降車日時"), "降車が乗車より前です",
                lambda f: f["actual_dropoff_at"] < f["actual_pickup_at"]),
        RowRule(("結果", "実乗車日時", "実降車日時"), "結果が完了なのに実乗車・実降車日時がありません",
                lambda f: (f["outcome"] == "完了") & (f["actual_pickup_at"].isna() | f["actual_dropoff_at"].isna())),
    ),
    references=(("member_id", "members", "member_id"), ("origin_stop_id", "stops", "stop_id"),
                ("destination_stop_id", "stops", "stop_id")),
)

# GX×DX business-support system: business master and monthly energy use.
BUSINESSES = TableContract(
    table="businesses",
    columns=(
        Column("事業所ID", "business_id", pattern=r"B\d+"),
        Column("事業所名", "business_name"),
        Column("業種コード", "sector_code", "digits", pattern=r"\d{2,4}"),
        Column("業種名", "sector_name"),
        Column("従業員数", "employees", "int", min=0),
        Column("延床面積", "floor_area_m2", "float", min=0),
        Column("町丁目コード", "town_code", "digits", pattern=r"\d{11}"),
        # Electricity supply (for the supplier's emission factor) and the month of an energy
        # measure (M&V baseline/reporting periods); read by the co2 stage.
        Column("電力供給事業者", "electricity_supplier", required=False),
        Column("電力メニュー", "electricity_menu", required=False),
        Column("対策実施月", "intervention_month", required=False, pattern=r"\d{4}[/-]\d{1,2}"),
        Column("担当者氏名", "contact_name", required=False),
        Column("電話番号", "contact_phone", required=False, pattern=r"0\d{1,4}-\d{1,4}-\d{3,4}"),
        Column("メールアドレス", "contact_email", required=False, pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+"),
    ),
    key=("business_id",),
)

BUSINESS_ENERGY = TableContract(
    table="business_energy",
    columns=(
        Column("事業所ID", "business_id", pattern=r"B\d+"),
        Column("年月", "year_month", pattern=r"\d{4}[/-](?:0?[1-9]|1[0-2])"),
        Column("稼働日数", "operating_days", "int", min=0, max=31),
        Column("生産量(t)", "production_t", "float", required=False),
        # Negative or absurd values are kept here: the co2 stage flags meter resets and unit
        # slips with reasons, which needs the business's own history.
        Column("電力使用量(kWh)", "electricity", "float", required=False),
        Column("都市ガス(m3)", "city_gas", "float", required=False),
        Column("LPG(kg)", "lpg", "float", required=False),
        Column("灯油(L)", "kerosene", "float", required=False),
        Column("ガソリン(L)", "gasoline", "float", required=False),
        Column("軽油(L)", "diesel", "float", required=False),
        Column("A重油(L)", "a_heavy_oil", "float", required=False),
    ),
    key=("business_id", "year_month"),  # one record per business and month
    references=(("business_id", "businesses", "business_id"),),
)

def _survey_contract() -> TableContract:
    """Well-being survey: contact fields for the prize draw, the LWC-style items, a comment."""
    from kogadx.wellbeing.categories import CATEGORIES, OVERALL_ITEMS

    score_0_10 = tuple(str(v) for v in range(11))
    score_1_5 = tuple(str(v) for v in range(1, 6))
    return TableContract(
        table="survey",
        columns=(
            Column("回答ID", "response_id", pattern=r"[A-Z]+\d+"),
            Column("住民票コード", "resident_code", "digits", pattern=r"\d{11}"),
            Column("氏名", "name", required=False),
            Column("電話番号", "phone", required=False, pattern=r"0\d{1,4}-\d{1,4}-\d{3,4}"),
            Column("メールアドレス", "email", required=False, pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+"),
            Column("年齢", "age", "int", min=0, max=120),
            Column("性別", "sex", allowed=("男", "女")),
            Column("町丁目コード", "town_code", "digits", pattern=r"\d{11}"),
            Column("町丁目", "town_name"),
            # Items stay text in the contract so that out-of-range answers are named; the
            # wellbeing stage converts them. Blank = no answer.
            *(Column(label, key, required=False, allowed=score_0_10) for key, label in OVERALL_ITEMS.items()),
            *(Column(c.name_ja, c.key, required=False, allowed=score_1_5) for c in CATEGORIES),
            Column("自由記述", "comment", required=False),
        ),
        key=("response_id",),
    )


COUNTER_HOUSEHOLDS = TableContract(
    table="counter_households",
    columns=(
        Column("受給者番号", "case_number", pattern=r"J\d+"),
        Column("住民票コード", "resident_code", "digits", pattern=r"\d{11}"),
        Column("氏名", "name", required=False),
        Column("電話番号", "phone", required=False, pattern=r"0\d{1,4}-\d{1,4}-\d{3,4}"),
        Column("町丁目コード", "town_code", "digits", pattern=r"\d{11}"),
        Column("町丁目", "town_name"),
        Column("就労形態", "work", allowed=("正規", "パート", "自営", "無職")),
        Column("子どもの数", "children", "int", min=0, max=15),
        Column("前年からの変更", "change", allowed=("有", "無")),
        Column("不足書類数", "missing_docs", "int", min=0, max=10),
        Column("事前オンライン提出", "online", allowed=("有", "無")),
    ),
    key=("case_number",),
)

COUNTER_LOG = TableContract(
    table="counter_log",
    columns=(
        Column("受付番号", "reception_id", pattern=r"U\d+"),
        Column("受給者番号", "case_number", pattern=r"J\d+"),
        Column("年度", "year", "int", min=2000, max=2100),
        Column("会場", "venue", allowed=("特設会場", "通常窓口")),
        Column("到着日時", "arrived_at", "datetime"),
        Column("呼出日時", "called_at", "datetime"),
        Column("終了日時", "ended_at", "datetime"),
        Column("案件種別", "case_type", allowed=("変更なし", "変更あり", "書類不足")),
        Column("窓口番号", "counter", "int", min=1, max=50),
    ),
    key=("reception_id",),
    row_rules=(
        RowRule(("到着日時", "呼出日時"), "呼出が到着より前です", lambda f: f["called_at"] < f["arrived_at"]),
        RowRule(("呼出日時", "終了日時"), "終了が呼出より前です", lambda f: f["ended_at"] < f["called_at"]),
    ),
)

CONTRACTS: dict[str, TableContract] = {
    "survey": _survey_contract(),
    "counter_households": COUNTER_HOUSEHOLDS,
    "counter_log": COUNTER_LOG,
    "businesses": BUSINESSES,
    "business_energy": BUSINESS_ENERGY,
    "residents": RESIDENTS,
    "stops": STOPS,
    "members": MEMBERS,
    "ride_requests": RIDE_REQUESTS,
}

_DTYPES = {"text": str, "digits": str, "date": "datetime64[ms]", "datetime": "datetime64[ms]", "int": "Int64",
           "float": "float64"}

# Japanese reasons for pandera's built-in check names.
CHECK_REASONS = {
    "str_matches": "形式が正しくありません",
    "isin": "許可されていない値です",
    "str_length": "値が空です",
    "not_nullable": "値が空です",
    "field_uniqueness": "キーが重複しています",
}


def _safe(check: Callable[[str], bool], value: str) -> bool:
    """A check function that fails on a value it cannot read (e.g. ``①`` in a digit check)
    instead of raising: the row is quarantined, the rest goes on."""
    try:
        return bool(check(value))
    except (ValueError, TypeError, IndexError):
        return False


def schema_for(contract: TableContract) -> pa.DataFrameSchema:
    """A pandera schema for the *normalised* frame of ``contract`` (canonical names)."""
    columns = {}
    for col in contract.columns:
        checks = []
        if col.kind in ("text", "digits"):
            if col.required:
                checks.append(pa.Check.str_length(min_value=1))
            if col.pattern:
                pattern = col.pattern if col.required else f"(?:{col.pattern})?"
                # \d as 0-9 only: ① or Arabic-Indic digits are no digits in a register.
                checks.append(pa.Check.str_matches(f"^(?:{pattern.replace(chr(92) + 'd', '[0-9]')})$"))
            if col.allowed:
                checks.append(pa.Check.isin(list(col.allowed) + ([] if col.required else [""])))
            if col.check:
                name, func = col.check
                checks.append(pa.Check(lambda s, f=func, required=col.required:
                                       s.map(lambda v: (not v and not required) or _safe(f, v)), name=name))
        nullable = not col.required or col.kind not in ("text", "digits")
        columns[col.name] = pa.Column(_DTYPES[col.kind], checks=checks, nullable=nullable)
    return pa.DataFrameSchema(columns, strict=False, coerce=False, name=contract.table)
