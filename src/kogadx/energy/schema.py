"""Column names and fuel definitions shared by the energy package.

Raw exports carry Japanese headers; the package works on canonical English columns.
Each fuel has a native metering unit (what a business reads off its bill) and the unit
in which the 温対法 emission factor is stated; the conversion between the two is explicit
in :data:`UNIT_TO_FACTOR_UNIT`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fuel:
    """One energy source: canonical key, raw header, native unit, factor unit, scope."""

    key: str
    header: str
    label: str
    unit: str
    factor_unit: str
    scope: int


FUELS: tuple[Fuel, ...] = (
    Fuel("electricity", "電力使用量(kWh)", "電力", "kWh", "kWh", 2),
    Fuel("city_gas", "都市ガス(m3)", "都市ガス", "m3", "千m3", 1),
    Fuel("lpg", "LPG(kg)", "LPG", "kg", "t", 1),
    Fuel("kerosene", "灯油(L)", "灯油", "L", "kL", 1),
    Fuel("gasoline", "ガソリン(L)", "ガソリン", "L", "kL", 1),
    Fuel("diesel", "軽油(L)", "軽油", "L", "kL", 1),
    Fuel("a_heavy_oil", "A重油(L)", "A重油", "L", "kL", 1),
)
FUEL_BY_KEY: dict[str, Fuel] = {f.key: f for f in FUELS}
FUEL_KEYS: tuple[str, ...] = tuple(f.key for f in FUELS)
FUEL_LABELS: dict[str, str] = {f.key: f.label for f in FUELS}

# Divisor from the native metering unit to the unit the emission factor is stated in.
# kWh -> kWh (1), m3 -> 千m3 (1000), kg -> t (1000), L -> kL (1000).
UNIT_TO_FACTOR_UNIT: dict[tuple[str, str], int] = {
    ("kWh", "kWh"): 1,
    ("m3", "千m3"): 1000,
    ("kg", "t"): 1000,
    ("L", "kL"): 1000,
}

# Raw (Japanese) headers of the business master and the monthly energy export.
BUSINESS_HEADERS: dict[str, str] = {
    "事業所ID": "business_id",
    "事業所名": "business_name",
    "業種コード": "sector_code",
    "業種名": "sector_name",
    "従業員数": "employees",
    "延床面積": "floor_area_m2",
    "町丁目コード": "town_code",
    "電力供給事業者": "electricity_supplier",
    "電力メニュー": "electricity_menu",
    "対策実施月": "intervention_month",
    "担当者氏名": "contact_name",
    "電話番号": "contact_phone",
    "メールアドレス": "contact_email",
}
CONTACT_HEADERS: tuple[str, ...] = ("担当者氏名", "電話番号", "メールアドレス")

ENERGY_HEADERS: dict[str, str] = {
    "事業所ID": "business_id",
    "年月": "year_month",
    "稼働日数": "operating_days",
    "生産量(t)": "production_t",
    **{f.header: f.key for f in FUELS},
}


def convert_to_factor_unit(amount: float, unit: str, factor_unit: str) -> float:
    """Convert a metered amount to the emission factor's unit (e.g. 1,500 m3 → 1.5 千m3).

    Raises ``ValueError`` for a pair not in :data:`UNIT_TO_FACTOR_UNIT`, so a new unit
    is never silently treated as 1:1.
    """
    try:
        divisor = UNIT_TO_FACTOR_UNIT[(unit, factor_unit)]
    except KeyError as exc:
        raise ValueError(f"単位換算が定義されていません: {unit} → {factor_unit}") from exc
    return amount / divisor
