"""Japanese names for the columns a report lists (the privacy report's column inventory).

The raw exports' own headers come from the ingest contracts (氏名, 生年月日 …); the rest are the
project's derived or reference columns. A reader sees 「氏名 (name)」, never only ``name``.
"""

from __future__ import annotations

from kogadx.energy.schema import FUEL_LABELS
from kogadx.ingest.contracts import CONTRACTS

# Reference and derived columns that no contract names in Japanese.
EXTRA_LABELS = {
    "town_code": "町丁目コード", "town_name": "町丁目名", "kind": "種別", "lat": "緯度", "lon": "経度",
    "stop_id": "停留所ID", "stop_name": "停留所名", "area_m2": "面積 (m²)", "geometry": "境界 (図形)",
    "households": "世帯数", "population": "人口", "precipitation_mm": "降水量 (mm)",
    "relative_humidity_pct": "相対湿度 (%)", "sunshine_h": "日照時間 (時間)", "temperature_c": "気温 (℃)",
    "time": "日時", "wind_direction": "風向", "wind_speed_ms": "風速 (m/s)", "person_id": "仮ID",
    "age": "年齢", "age_band": "年齢層",
}


def column_label(table: str, column: str) -> str:
    """「氏名 (name)」: the Japanese name a person knows, with the file's column name after it."""
    contract = CONTRACTS.get(table)
    raw = {c.name: c.raw for c in contract.columns} if contract is not None else {}
    japanese = raw.get(column) if raw.get(column, column) != column else None
    japanese = japanese or FUEL_LABELS.get(column) or EXTRA_LABELS.get(column)
    return f"{japanese} ({column})" if japanese else column
