"""Data access for the PBL notebooks: the shareable zone only, by construction.

Students work on pseudonymized data (仮名加工情報) under the agreement between Koga City
and the university. Every helper here resolves its path against the project root
(:func:`kogadx.paths.find_project_root`, which honours ``KOGADX_ROOT``), follows symlinks
and ``..``, and refuses anything that lands in the secure zone
(:data:`kogadx.paths.SECURE_DIRS`) or outside the shareable zone
(:data:`kogadx.paths.SHAREABLE_DIRS`). Nothing is read at import time.

Students work from a **student bundle** (``make student-bundle``, :mod:`kogadx.pbl.bundle`): a
theme folder ``data/student_bundle/<theme>/`` holding only what that theme's notebooks read.
The root is then that folder (``KOGADX_BUNDLE``, or its ``bundle.json`` found upwards from the
working folder), the secure zone is simply absent, and a project path that the bundle answers
with an extract (``data/pseudonymized/residents.parquet`` → the age-band residents) is read
from the extract (:func:`bundle_path`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from kogadx.paths import BUNDLE_MARKER, SECURE_DIRS, SHAREABLE_DIRS, find_project_root

__all__ = [
    "SecureZoneError",
    "OutsideShareableZoneError",
    "project_root",
    "shareable_path",
    "read_table",
    "read_json",
    "load_metrics",
    "input_fingerprint",
    "list_shareable_files",
    "bundle_info",
    "bundle_path",
    "age_band_start",
    "load_residents",
    "load_anonymized_residents",
    "load_members",
    "load_ride_requests",
    "load_stop_trips",
    "load_stops",
    "load_towns",
    "load_weather",
    "load_demand_panel",
    "load_demand_forecast",
    "load_businesses",
    "load_business_energy",
    "load_survey",
    "load_co2_table",
    "load_wellbeing_table",
    "load_counter_log",
    "load_counter_table",
    "load_regulation_review",
]

SECURE_MESSAGE = (
    "{path} は安全管理区域 ({zone}) のファイルです。ここには氏名・住所・マイナンバーなどの個人情報や"
    "削除情報等が含まれ、個人情報保護法第66条 (行政機関等の保有個人情報の安全管理措置) と"
    "古賀市との協定 (委託契約) により、市の管理区域の外では扱えません。PBL では共有ゾーン "
    "({shareable}) の仮名加工済みデータだけを使ってください。"
)
OUTSIDE_MESSAGE = (
    "{path} は共有ゾーン ({shareable}) の外にあります。PBL のデータ読み込み関数は共有ゾーンの"
    "ファイルだけを読みます (協定で大学と共有してよい範囲)。"
)


class SecureZoneError(PermissionError):
    """A path resolves into the secure zone (personal data, 削除情報等)."""


class OutsideShareableZoneError(PermissionError):
    """A path is neither in the secure zone nor in the shareable zone."""


def project_root() -> Path:
    """The project root (``KOGADX_ROOT`` if set, else the folder holding ``dvc.yaml``)."""
    return find_project_root()


def _key(path: Path) -> str:
    # Windows paths compare case-insensitively; normcase is a no-op elsewhere.
    return os.path.normcase(str(path))


def _is_within(path: Path, folder: Path) -> bool:
    p, f = _key(path), _key(folder)
    return p == f or p.startswith(f.rstrip(os.sep) + os.sep)


def _zone_roots(root: Path, dirs: tuple[str, ...]) -> list[tuple[str, Path]]:
    """Each zone folder both as written and as resolved (a zone folder may itself be a link)."""
    out = []
    for rel in dirs:
        literal = root / rel
        out.append((rel, Path(os.path.abspath(literal))))
        out.append((rel, literal.resolve()))
    return out


def shareable_path(path: str | os.PathLike[str], root: Path | None = None) -> Path:
    """Resolve ``path`` (relative to the project root, or absolute) and check its zone.

    Returns the resolved path. Raises :class:`SecureZoneError` when the path, after
    following ``..`` and symlinks, is in (or is) a secure-zone folder, and
    :class:`OutsideShareableZoneError` when it is not inside a shareable-zone folder.
    """
    root = Path(root) if root is not None else project_root()
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = root / candidate
    lexical = Path(os.path.abspath(candidate))  # ``..`` removed, links not followed
    resolved = candidate.resolve()  # links followed (strict=False: a missing file still resolves)
    shown = str(path)
    shareable_text = ", ".join(SHAREABLE_DIRS)
    for zone, folder in _zone_roots(root, SECURE_DIRS):
        if _is_within(lexical, folder) or _is_within(resolved, folder):
            raise SecureZoneError(SECURE_MESSAGE.format(path=shown, zone=zone, shareable=shareable_text))
    if not any(_is_within(resolved, folder) for _, folder in _zone_roots(root, SHAREABLE_DIRS)):
        raise OutsideShareableZoneError(OUTSIDE_MESSAGE.format(path=shown, shareable=shareable_text))
    return resolved


def bundle_info(root: Path | None = None) -> dict[str, Any] | None:
    """The root's ``bundle.json`` when the root is a student bundle's theme folder (else None):
    theme, notebooks, ``replaces`` (project path → the extract that answers it), file MD5s."""
    root = Path(root) if root is not None else project_root()
    marker = root / BUNDLE_MARKER
    return json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else None


def bundle_path(path: str | os.PathLike[str], root: Path | None = None) -> str | os.PathLike[str]:
    """In a student bundle, the extract that stands in for a project path (e.g. the age-band
    residents for ``data/pseudonymized/residents.parquet``); the path itself otherwise."""
    info = bundle_info(root)
    if not info or Path(path).is_absolute():
        return path
    return str(info.get("replaces", {}).get(Path(path).as_posix(), path))


def age_band_start(bands: pd.Series) -> pd.Series:
    """First year of each age band of the student bundle ("65-69" → 65, "90+" → 90; missing → NaN,
    which compares False, so a filter such as ``>= 65`` leaves it out)."""
    return pd.to_numeric(bands.astype("string").str.extract(r"^(\d+)")[0], errors="coerce").astype("float64")


def _existing(path: str | os.PathLike[str], root: Path | None = None) -> Path:
    path = bundle_path(path, root)
    resolved = shareable_path(path, root)
    if not resolved.exists():
        raise FileNotFoundError(
            f"{path} がありません。プロジェクトのフォルダで `dvc repro` (または共有データの `dvc pull`) を"
            "実行してから、もう一度試してください。"
        )
    return resolved


def _is_geoparquet(path: Path) -> bool:
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    return b"geo" in metadata


def read_table(path: str | os.PathLike[str], columns: list[str] | None = None,
               root: Path | None = None) -> pd.DataFrame:
    """Read a Parquet (GeoParquet → GeoDataFrame), CSV (UTF-8, BOM allowed) or JSON table
    from the shareable zone. ``path`` is relative to the project root or absolute."""
    resolved = _existing(path, root)
    suffix = resolved.suffix.lower()
    if suffix == ".parquet":
        if _is_geoparquet(resolved):
            import geopandas as gpd

            return gpd.read_parquet(resolved, columns=columns)
        return pd.read_parquet(resolved, columns=columns)
    if suffix == ".csv":
        return pd.read_csv(resolved, usecols=columns, encoding="utf-8-sig")
    if suffix == ".json":
        return pd.read_json(resolved)
    raise ValueError(f"{path}: 読めない形式です (.parquet / .csv / .json のみ)")


def read_json(path: str | os.PathLike[str], root: Path | None = None) -> Any:
    """Parsed JSON (UTF-8) from the shareable zone, e.g. ``metrics/demand.json``."""
    return json.loads(_existing(path, root).read_text(encoding="utf-8"))


def load_metrics(stage: str, root: Path | None = None) -> dict[str, Any]:
    """``metrics/<stage>.json`` written by a DVC stage (e.g. ``"demand"``, ``"co2"``)."""
    return read_json(f"metrics/{stage}.json", root)


def input_fingerprint(path: str | os.PathLike[str], root: Path | None = None) -> dict[str, str]:
    """MLflow tags that say which data a notebook run read: the file's MD5 (how DVC hashes a
    binary file) and, when ``dvc.lock`` lists the file as a stage output, the MD5 recorded
    there (``"記録なし"`` otherwise). Equal values mean the run used the data the pipeline
    produced; different values mean the file or the lock is out of date."""
    import hashlib

    import yaml

    root = Path(root) if root is not None else project_root()
    file = _existing(path, root)
    digest = hashlib.md5(file.read_bytes(), usedforsecurity=False).hexdigest()
    key = Path(path).as_posix()
    recorded = "記録なし"
    lock = root / "dvc.lock"
    bundle = bundle_info(root)
    if bundle and key in bundle.get("files", {}):  # a bundle records the MD5 its source had in the project
        recorded = str(bundle["files"][key])
    elif lock.is_file():
        stages = (yaml.safe_load(lock.read_text(encoding="utf-8")) or {}).get("stages", {})
        for stage in stages.values():
            for out in stage.get("outs", []) or []:
                if out.get("path") == key:
                    recorded = str(out.get("md5") or out.get("hash") or recorded)
    return {f"input_md5:{key}": digest, f"dvc_lock_md5:{key}": recorded}


def list_shareable_files(root: Path | None = None) -> pd.DataFrame:
    """Every file in the shareable zone: zone folder, path (relative, POSIX), size (KB).

    Symlinks that point into the secure zone are left out (they could not be read anyway).
    """
    root = Path(root) if root is not None else project_root()
    rows = []
    for zone in SHAREABLE_DIRS:
        folder = root / zone
        if not folder.is_dir():
            continue
        for file in sorted(folder.rglob("*")):
            if not file.is_file() or file.name.startswith("."):
                continue
            try:
                shareable_path(file, root)
            except PermissionError:
                continue
            rows.append({"zone": zone, "path": file.relative_to(root).as_posix(),
                         "size_kb": round(file.stat().st_size / 1024, 1)})
    return pd.DataFrame(rows, columns=["zone", "path", "size_kb"])


# --- named tables (paths as dvc.yaml writes them) ---------------------------------------


def load_residents(root: Path | None = None) -> pd.DataFrame:
    """Pseudonymized register: person_id, age, sex, town_code, town_name, household_id, relationship."""
    return read_table("data/pseudonymized/residents.parquet", root=root)


def load_anonymized_residents(root: Path | None = None) -> pd.DataFrame:
    """Anonymized release (k-anonymity, l-diversity on 世帯人員): age band, sex, town_code, relationship,
    household_size. A 行政機関等匿名加工情報 candidate: given only through a proposal and contract, not open data."""
    return read_table("data/anonymized/residents.parquet", root=root)


def load_members(root: Path | None = None) -> pd.DataFrame:
    """のるーと古賀 members (pseudonymized): member_id, age, payment_method, person_id, town."""
    return read_table("data/pseudonymized/members.parquet", root=root)


def load_ride_requests(root: Path | None = None) -> pd.DataFrame:
    """のるーと古賀 booking log (pseudonymized member_id, times floored to the minute)."""
    return read_table("data/pseudonymized/ride_requests.parquet", root=root)


def load_stop_trips(root: Path | None = None) -> pd.DataFrame:
    """Student bundle (theme ``mobility``): origin and destination stop of every booking, nothing
    else (no time, no person, no outcome), for the stop map and exercise 3 of notebook 02."""
    return read_table("data/student/stop_trips.parquet", root=root)


def load_stops(root: Path | None = None) -> pd.DataFrame:
    """Virtual stops: stop_id, stop_name, lat, lon (JGD2011 degrees), town_code, town_name, kind."""
    return read_table("data/pseudonymized/stops.parquet", root=root)


def load_towns(root: Path | None = None):
    """Towns (町丁目) GeoDataFrame: town_code, town_name, population, households, area_m2,
    geometry (EPSG:6668)."""
    return read_table("data/pseudonymized/towns.parquet", root=root)


def load_weather(root: Path | None = None) -> pd.DataFrame:
    """Hourly weather: time, temperature_c (°C), precipitation_mm, wind, sunshine, humidity."""
    return read_table("data/pseudonymized/weather.parquet", root=root)


def load_demand_panel(root: Path | None = None) -> pd.DataFrame:
    """Zone × hour demand panel (``features`` stage): zone, time, y (requests/hour), calendar,
    weather and zone attributes."""
    return read_table("data/features/demand_panel.parquet", root=root)


def load_demand_forecast(root: Path | None = None) -> pd.DataFrame:
    """Next-period forecast of the ``forecast`` stage (zone × hour)."""
    return read_table("data/features/demand_forecast.parquet", root=root)


def load_businesses(root: Path | None = None) -> pd.DataFrame:
    """Business master (GX×DX): business_id, sector, employees, floor_area_m2, town_code."""
    return read_table("data/pseudonymized/businesses.parquet", root=root)


def load_business_energy(root: Path | None = None) -> pd.DataFrame:
    """Monthly energy use per business in native units (kWh, m3, kg, L) as exported."""
    return read_table("data/pseudonymized/business_energy.parquet", root=root)


def load_survey(root: Path | None = None) -> pd.DataFrame:
    """Well-being survey (pseudonymized): person_id, age, sex, town, 0–10 and 1–5 answers."""
    return read_table("data/pseudonymized/survey.parquet", root=root)


def load_co2_table(name: str, root: Path | None = None) -> pd.DataFrame:
    """A table of the ``co2`` stage, e.g. ``"degree_days"``, ``"baseline_models"``."""
    return read_table(f"data/features/co2/{name}.parquet", root=root)


def load_wellbeing_table(name: str, root: Path | None = None) -> pd.DataFrame:
    """A table of the ``wellbeing`` stage, e.g. ``"survey_weights"``, ``"driver_importance"``."""
    return read_table(f"data/features/wellbeing/{name}.parquet", root=root)


def load_counter_log(root: Path | None = None) -> pd.DataFrame:
    """現況届 reception log of past years (pseudonymized): arrival, call and end times, counter."""
    return read_table("data/pseudonymized/counter_log.parquet", root=root)


def load_counter_table(name: str, root: Path | None = None) -> pd.DataFrame:
    """A table of the ``counter`` stage, e.g. ``"arrival_forecast"``, ``"staffing_plan"``."""
    return read_table(f"data/features/counter/{name}.parquet", root=root)


def load_regulation_review(root: Path | None = None) -> pd.DataFrame:
    """The ranked review list of the ``regulation_scan`` stage: sheet 見直し候補 of
    ``reports/regulation/review.xlsx`` (every clause of the scanned 例規 in rank order: 順位,
    上位の目安, 法令名, 条項, 確率 (スコア when the ranker is not calibrated), 類型の候補 …).
    Public ordinance texts only; no staff decision is filled in yet."""
    resolved = _existing("reports/regulation/review.xlsx", root)
    return pd.read_excel(resolved, sheet_name="見直し候補", engine="openpyxl")  # kogadx.regulation.review.REVIEW_SHEET
