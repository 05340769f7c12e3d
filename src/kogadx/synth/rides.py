"""Synthetic のるーと古賀 booking-system exports: virtual stops, members and ride requests.

Everything here is SYNTHETIC: stop names and places are plausible inventions (only the two JR
stations and the city hall use public coordinates, DOMAIN.md §1), members are drawn from the
synthetic residents register, and demand follows an explicit intensity written in this module's
docstrings and parameters. Ridership of the real service is UNCONFIRMED (DOMAIN.md §2).

Demand model (``generate_ride_requests``), per stop s and hour start t (JST)::

    λ_city(t) = R · ramp(t) · daily_share(day type) · hour_profile(day type, hour)
                · holiday/school/pension/event/year-end factors · weather factor
    λ(s, t)   = λ_city(t) · [a(h) · w_home(s) + (1 − a(h)) · w_poi(s)]
    λ(z, t)   = Σ_{s ∈ z} λ(s, t)          (z = town or stop cluster)

- R = ``plateau_requests_per_week`` (400 requests a week in params.yaml, an assumption: a few hundred
  rides a week for a 3–4 van fleet), split over the week so that a weekend/holiday day carries
  ``weekend_day_factor`` of a weekday's demand.
- ramp(t) = floor + (1 − floor) / (1 + exp(−(d − midpoint)/scale)), d = days since 2022-10-01.
- hour_profile: morning peak (hospital, shopping), lunch dip, afternoon return trips; zero
  outside service hours (weekdays 9–17, weekends/holidays 8–18).
- a(h): share of outbound trips (home → facility) falling from 0.8 at opening to 0.2 at closing;
  w_home ∝ members living at the stop, w_poi ∝ facility attractiveness by kind.
- weather (hour's precipitation / temperature): 1 ≤ p < heavy → ``rain_factor`` (people who
  would walk ride), p ≥ ``heavy_rain_mm`` → ``heavy_rain_factor`` (people stay home),
  T ≥ ``heat_c`` → ``heat_factor``.
Counts are Poisson(λ(z, t)) per zone-hour; each request then gets an origin stop within the zone,
a trip type, a member, a destination, times and an outcome.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from kogadx.demand.features import service_calendar, stop_zones
from kogadx.geo.reference import CRS_GEOGRAPHIC, CRS_METRIC, split_chome
from kogadx.idcodes import luhn_check_digit
from kogadx.synth.params import DemandWorld, RideIntensity, Rides
from kogadx.weather import weather_by_hour_start

LAUNCH_DATE = "2022-10-01"
SERVICE_BASE_NAMES = ("花鶴丘", "日吉", "美明", "鹿部")

# Fixed places with public coordinates (DOMAIN.md §1).
FIXED_STOPS = (
    ("JR古賀駅", 33.732828, 130.466902, "station"),
    ("JRししぶ駅", 33.721885, 130.458487, "station"),
    ("古賀市役所", 33.72875, 130.47, "city_hall"),
)
# Invented facilities (names are synthetic): (name template, kind, base name of its town or None).
FACILITY_STOPS = (
    ("花鶴丘公民館", "community_centre", "花鶴丘"),
    ("日吉公民館", "community_centre", "日吉"),
    ("美明公民館", "community_centre", "美明"),
    ("鹿部公民館", "community_centre", "鹿部"),
    ("花鶴丘スーパー前", "supermarket", "花鶴丘"),
    ("日吉ショッピングセンター", "supermarket", "日吉"),
    ("美明スーパー前", "supermarket", "美明"),
    ("古賀西病院前", "hospital", "日吉"),
    ("花鶴丘クリニック前", "clinic", "花鶴丘"),
    ("美明クリニック前", "clinic", "美明"),
    ("花鶴丘公園", "park", "花鶴丘"),
    ("日吉中央公園", "park", "日吉"),
    ("鹿部公園", "park", "鹿部"),
)
# Attractiveness of a stop as a trip destination / return-trip origin, by kind (assumption).
POI_WEIGHT = {
    "station": 6.0, "hospital": 8.0, "supermarket": 6.0, "clinic": 3.0, "city_hall": 3.0,
    "community_centre": 2.0, "park": 0.5, "bus_stop": 0.3, "residential": 0.1,
}
STOP_COLUMNS = ["stop_id", "stop_name", "lat", "lon", "town_code", "town_name", "kind"]
MEMBER_COLUMNS = ["会員ID", "氏名", "生年月日", "電話番号", "住所", "支払方法", "クレジットカード番号",
                  "住民票コード", "登録日"]
REQUEST_COLUMNS = ["予約ID", "会員ID", "予約日時", "希望乗車日時", "乗車停留所ID", "降車停留所ID", "人数",
                   "結果", "実乗車日時", "実降車日時", "車両ID", "運賃", "支払方法"]
PAYMENT_METHODS = ("現金", "クレジットカード", "交通系IC")
# 411111: the BIN payment gateways document for test Visa numbers; used so that no synthetic
# number can be a real card. All generated numbers are Luhn-valid.
TEST_CARD_PREFIX = "411111"


# --- stops -------------------------------------------------------------------------------------

def _service_area(towns_polygons: gpd.GeoDataFrame, base_names: Sequence[str]) -> gpd.GeoDataFrame:
    if "base_name" in towns_polygons.columns:
        base = towns_polygons["base_name"].astype(str)
    else:
        base = towns_polygons["town_name"].astype(str).map(lambda n: split_chome(n)[0])
    area = towns_polygons[base.isin(list(base_names)).to_numpy()].to_crs(CRS_METRIC)
    if area.empty:
        raise ValueError(f"サービス区域の町丁目 ({', '.join(base_names)}) が towns_polygons にありません")
    return area.assign(base=base[base.isin(list(base_names))].to_numpy())


def _random_point(rng: np.random.Generator, polygon, existing: list, min_spacing_m: float, tries: int = 400):
    minx, miny, maxx, maxy = polygon.bounds
    prepared = shapely.prepared.prep(polygon.buffer(-30.0) if polygon.buffer(-30.0).area > 0 else polygon)
    spacing = min_spacing_m
    for attempt in range(tries):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        p = Point(x, y)
        if not prepared.contains(p):
            continue
        if all(p.distance(q) >= spacing for q in existing):
            return p
        if attempt % 100 == 99:
            spacing *= 0.8  # crowded town: relax the spacing rather than fail
    raise ValueError("停留所の位置を決められません (区域が狭すぎます)")


def generate_stops(
    rng: np.random.Generator,
    towns_polygons: gpd.GeoDataFrame,
    bus_stops: gpd.GeoDataFrame,
    config: Rides = Rides(),
    *,
    service_base_names: Sequence[str] = SERVICE_BASE_NAMES,
    min_spacing_m: float = 120.0,
) -> pd.DataFrame:
    """The virtual stop master (``STOP_COLUMNS``): ``config.n_stops`` stops in total, including
    the two JR stations (DOMAIN.md: "63 virtual stops, including JR古賀駅 and JRししぶ駅").

    Order: the fixed places (stations, city hall), invented facilities (community centres,
    supermarkets, a hospital, clinics, parks) placed randomly inside their town, fixed-route
    bus stops that lie inside the service area (kind ``bus_stop``), then residential stops
    spread over the service-area towns in proportion to their area, at least ``min_spacing_m``
    (relaxed in crowded towns) from other stops. Coordinates in EPSG:6668 (6 decimals);
    ``town_code``/``town_name`` from the polygon that contains the stop, so every stop lies
    inside the city boundary (the union of ``towns_polygons``).
    """
    n_stops = config.n_stops
    polys_m = towns_polygons.to_crs(CRS_METRIC)
    area = _service_area(towns_polygons, service_base_names)
    placed: list[tuple[str, Point, str]] = []  # (name, metric point, kind)

    def to_metric(lat: float, lon: float) -> Point:
        return gpd.GeoSeries([Point(lon, lat)], crs=CRS_GEOGRAPHIC).to_crs(CRS_METRIC).iloc[0]

    for name, lat, lon, kind in FIXED_STOPS:
        placed.append((name, to_metric(lat, lon), kind))
    for name, kind, base in FACILITY_STOPS:
        cells = area[area["base"] == base]
        if cells.empty:
            continue
        cell = cells.geometry.iloc[int(rng.integers(len(cells)))]
        placed.append((name, _random_point(rng, cell, [p for _, p, _ in placed], min_spacing_m), kind))
    service_union = area.geometry.union_all()
    bus = bus_stops.to_crs(CRS_METRIC)
    seen = set()
    for name, point in zip(bus["stop_name"].astype(str), bus.geometry, strict=True):
        if len(placed) >= n_stops or name in seen or not service_union.contains(point):
            continue
        if any(point.distance(p) < min_spacing_m / 2 for _, p, _ in placed):
            continue
        seen.add(name)
        placed.append((f"{name}（バス停）", point, "bus_stop"))
    if len(placed) > n_stops:
        raise ValueError(f"固定の停留所だけで {len(placed)} 件あり、n_stops={n_stops} を超えます")
    remaining = n_stops - len(placed)
    weights = area.geometry.area.to_numpy()
    per_town = rng.multinomial(remaining, weights / weights.sum())
    for town_name, cell, k in zip(area["town_name"].astype(str), area.geometry, per_town, strict=True):
        for j in range(k):
            point = _random_point(rng, cell, [p for _, p, _ in placed], min_spacing_m)
            placed.append((f"{town_name}第{j + 1}", point, "residential"))

    pts = gpd.GeoSeries([p for _, p, _ in placed], crs=CRS_METRIC)
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=pts), polys_m[["town_code", "town_name", "geometry"]],
                       how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    if joined["town_code"].isna().any():
        bad = [placed[i][0] for i in np.flatnonzero(joined["town_code"].isna().to_numpy())]
        raise ValueError(f"市の境界の外にある停留所: {bad}")
    geo = pts.to_crs(CRS_GEOGRAPHIC)
    return pd.DataFrame({
        "stop_id": pd.array([f"S{i + 1:03d}" for i in range(len(placed))], dtype="string"),
        "stop_name": pd.array([n for n, _, _ in placed], dtype="string"),
        "lat": np.round(geo.y.to_numpy(), 6),
        "lon": np.round(geo.x.to_numpy(), 6),
        "town_code": joined["town_code"].astype("string").to_numpy(),
        "town_name": joined["town_name"].astype("string").to_numpy(),
        "kind": pd.array([k for _, _, k in placed], dtype="string"),
    })[STOP_COLUMNS]


# --- members -----------------------------------------------------------------------------------

def _ramp(days_since_launch: np.ndarray, floor: float, midpoint_days: float, scale_days: float) -> np.ndarray:
    return floor + (1 - floor) / (1 + np.exp(-(days_since_launch - midpoint_days) / scale_days))


_ERA_START = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019}
_WAREKI = re.compile(r"^(明治|大正|昭和|平成|令和)(元|\d+)年(\d+)月(\d+)日$")
_TOWN_IN_ADDRESS = re.compile(r"古賀市(?P<town>.+?)(?=\d)")


def _parse_wareki(text: str) -> pd.Timestamp | None:
    match = _WAREKI.match(text)
    if not match:
        return None
    era, year, month, day = match.groups()
    try:
        return pd.Timestamp(_ERA_START[era] + (1 if year == "元" else int(year)) - 1, int(month), int(day))
    except ValueError:
        return None


def residents_from_register_export(raw: pd.DataFrame) -> pd.DataFrame:
    """Minimal canonical view of the RAW register export (Japanese headers, 和暦 births) for
    :func:`generate_members` inside the ``synthesize`` stage, before ingest exists.

    NFKC-normalises text (full-width digits, stray spaces), parses 和暦 生年月日, takes
    town_name from 住所, and DROPS rows it cannot read (impossible dates, unknown address
    form) and duplicate 住民票コード — acceptable here because members only need a sample
    of valid residents; ingest is where bad rows get quarantined with reasons.
    Returns resident_code, name, birth_date, phone, address, town_name, town_code.
    """
    norm = {c: raw[c].astype(str).map(lambda v: unicodedata.normalize("NFKC", v).strip())
            for c in ("住民票コード", "氏名", "生年月日", "電話番号", "住所", "町丁目コード")}
    birth = norm["生年月日"].map(_parse_wareki)
    town = norm["住所"].map(lambda a: (m.group("town") if (m := _TOWN_IN_ADDRESS.search(a)) else None))
    frame = pd.DataFrame({
        "resident_code": norm["住民票コード"],
        "name": norm["氏名"].str.replace(r"\s+", " ", regex=True),
        "birth_date": birth,
        "phone": norm["電話番号"],
        "address": norm["住所"],
        "town_name": town,
        "town_code": norm["町丁目コード"],
    })
    ok = frame["birth_date"].notna() & frame["town_name"].notna() & frame["resident_code"].str.fullmatch(r"\d{11}")
    frame = frame[ok].drop_duplicates("resident_code").reset_index(drop=True)
    frame["birth_date"] = pd.to_datetime(frame["birth_date"]).astype("datetime64[ms]")
    return frame.astype({c: "string" for c in frame.columns if c != "birth_date"})


def generate_members(
    rng: np.random.Generator,
    residents: pd.DataFrame,
    stops: pd.DataFrame,
    n_members: int,
    config: Rides = Rides(),
    *,
    reference_date: str = "2024-02-29",
    launch_date: str = LAUNCH_DATE,
    outside_share: float = 0.08,
    service_base_names: Sequence[str] = SERVICE_BASE_NAMES,
    min_age: int = 15,
) -> pd.DataFrame:
    """Registered members as the booking system exports them (``MEMBER_COLUMNS``, all text).

    Drawn without replacement from the residents register (canonical columns, schemas.md):
    ``1 − outside_share`` from the service-area towns (``service_base_names``), the rest from
    other towns; age weights favour older residents (×1 under 40, ×2
    40–64, ×5 65–74, ×7 75+; nobody under ``min_age``). Age is taken at ``reference_date``.
    - 生年月日: Western text YYYY/MM/DD (the booking system is not the 和暦 core system);
    - 電話番号: the register's phone, or a new mobile number when the register has none;
    - 支払方法: 現金 / クレジットカード / 交通系IC, cash more likely for older members;
    - クレジットカード番号: only for card payers, 16-digit Luhn-valid numbers with the test
      prefix ``TEST_CARD_PREFIX`` (never a real card);
    - 住民票コード: copied so that pseudonyms join across tables in the synthetic demo. A real
      booking system does not hold it; with real data the join key would come from a
      record-matching step (name + birth date + address) in the secure zone.
    - 登録日: registration date between ``launch_date`` and ``config.end``, on a logistic ramp
      with the demand's midpoint and scale (``config.intensity``);
    - 会員ID: "K" + 6 digits in registration order (as a booking system numbers them).
    """
    needed = ["resident_code", "name", "birth_date", "phone", "address", "town_name"]
    missing = [c for c in needed if c not in residents.columns]
    if missing:
        raise ValueError(f"residents に列がありません: {missing}")
    age = _age_on(residents["birth_date"], pd.Timestamp(reference_date))
    w = _member_weights(residents, age, outside_share, service_base_names, min_age)
    eligible = int((w > 0).sum())
    if eligible < n_members:
        raise ValueError(f"会員数 {n_members} に対し、対象となる住民が {eligible} 人しかいません")
    chosen = rng.choice(len(residents), size=n_members, replace=False, p=w / w.sum())
    chosen = np.sort(chosen)
    picked = residents.iloc[chosen].reset_index(drop=True)
    days = pd.date_range(launch_date, config.end, freq="D")
    reg_day = _registration_days(rng, len(days), n_members, config.intensity)
    method, cards = _payments(rng, age[chosen])
    phone_draw = rng.integers(0, 10000, size=(n_members, 2))
    phones = [
        p if isinstance(p, str) and p else f"090-{a:04d}-{b:04d}"
        for p, (a, b) in zip(picked["phone"].astype(object).where(picked["phone"].notna(), ""), phone_draw,
                             strict=True)
    ]

    order = np.lexsort((np.arange(n_members), reg_day))
    frame = pd.DataFrame({
        "氏名": picked["name"].astype(str).to_numpy(),
        "生年月日": pd.to_datetime(picked["birth_date"]).dt.strftime("%Y/%m/%d").to_numpy(),
        "電話番号": phones,
        "住所": picked["address"].astype(str).to_numpy(),
        "支払方法": method,
        "クレジットカード番号": cards,
        "住民票コード": picked["resident_code"].astype(str).to_numpy(),
        "登録日": days[reg_day].strftime("%Y/%m/%d"),
    }).iloc[order].reset_index(drop=True)
    frame.insert(0, "会員ID", [f"K{i + 1:06d}" for i in range(n_members)])
    return frame[MEMBER_COLUMNS].astype("string")


def _age_on(birth_dates: pd.Series, on: pd.Timestamp) -> np.ndarray:
    """Age in whole years on the day ``on``."""
    birth = pd.to_datetime(birth_dates)
    month, day = birth.dt.month.to_numpy(), birth.dt.day.to_numpy()
    return on.year - birth.dt.year.to_numpy() - ((month > on.month) | ((month == on.month) & (day > on.day)))


def _member_weights(residents: pd.DataFrame, age: np.ndarray, outside_share: float,
                    service_base_names: Sequence[str], min_age: int) -> np.ndarray:
    """Draw weight of each resident: by age, ``outside_share`` of the mass outside the service area."""
    age_w = np.select([age < min_age, age < 40, age < 65, age < 75], [0.0, 1.0, 2.0, 5.0], 7.0)
    base = residents["town_name"].astype(str).map(lambda t: split_chome(t)[0])
    in_area = base.isin(list(service_base_names)).to_numpy()
    return age_w * np.where(in_area, (1 - outside_share) / max(1, (age_w * in_area).sum()),
                            outside_share / max(1, (age_w * ~in_area).sum()))


def _registration_days(rng: np.random.Generator, n_days: int, n_members: int,
                       intensity: RideIntensity) -> np.ndarray:
    """Registration day index of each member: inverse-CDF draw from the logistic ramp."""
    ramp = _ramp(np.arange(n_days), 0.02, intensity.ramp_midpoint_days, intensity.ramp_scale_days)
    cdf = np.cumsum(ramp) / ramp.sum()
    reg_day = np.searchsorted(cdf, rng.random(n_members))
    return np.minimum(reg_day, n_days - 1)


def _payments(rng: np.random.Generator, member_age: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Payment method (cash more likely with age) and, for card payers, a test card number."""
    n_members = len(member_age)
    p_cash = np.clip(0.25 + 0.008 * (member_age - 40), 0.2, 0.75)
    u = rng.random(n_members)
    method = np.where(u < p_cash, "現金", np.where(u < p_cash + (1 - p_cash) * 0.55, "クレジットカード", "交通系IC"))
    card_body = rng.integers(0, 10, size=(n_members, 9))
    cards = []
    for i in range(n_members):
        if method[i] == "クレジットカード":
            partial = TEST_CARD_PREFIX + "".join(map(str, card_body[i]))
            cards.append(partial + str(luhn_check_digit(partial)))
        else:
            cards.append("")
    return method, cards


# --- ride requests -----------------------------------------------------------------------------

def _hour_profile(hours: np.ndarray, open_h: np.ndarray, close_h: np.ndarray) -> np.ndarray:
    """Relative request rate by hour inside service hours (assumption): morning peak one to
    two hours after opening, lunch dip, smaller afternoon peak, tail before closing."""
    rel = (hours - open_h) / np.maximum(close_h - open_h, 1)  # 0 at opening, <1 inside
    shape = (1.0 + 0.9 * np.exp(-((rel - 0.15) / 0.12) ** 2) + 0.5 * np.exp(-((rel - 0.65) / 0.12) ** 2)
             - 0.3 * np.exp(-((rel - 0.42) / 0.06) ** 2))
    return np.where((hours >= open_h) & (hours < close_h), shape, 0.0)


def _service_hours(calendar: pd.DataFrame, config: Rides) -> tuple[np.ndarray, np.ndarray]:
    """Opening and closing hour (hour starts) of each calendar row, by day type."""
    weekend = (calendar["day_type"] == "土日祝").to_numpy()
    open_h = np.where(weekend, config.weekend_hours[0], config.weekday_hours[0])
    close_h = np.where(weekend, config.weekend_hours[1], config.weekday_hours[1])
    return open_h, close_h


def city_intensity(
    calendar: pd.DataFrame,
    weather_hourly: pd.DataFrame | None,
    config: Rides = Rides(),
    *,
    launch_date: str = LAUNCH_DATE,
) -> np.ndarray:
    """Expected requests per hour for the whole service (one value per calendar row).

    ``calendar`` from :func:`kogadx.demand.features.service_calendar`; ``weather_hourly``
    keyed by hour START (see :func:`kogadx.weather.weather_by_hour_start`). The demand model
    is ``config.intensity`` over the service hours of ``config``.
    ``holiday_factor`` applies on national holidays on top of the weekend/holiday day type;
    ``year_end_factor`` on 29 Dec – 3 Jan.
    """
    intensity = config.intensity
    weekend = (calendar["day_type"] == "土日祝").to_numpy()
    open_h, close_h = _service_hours(calendar, config)
    profile = _hour_profile(calendar["hour"].to_numpy(), open_h, close_h)
    # Normalise the profile per day type so that it sums to one over a day.
    hours = np.arange(24)
    norm_wd = _hour_profile(hours, np.full(24, config.weekday_hours[0]), np.full(24, config.weekday_hours[1])).sum()
    norm_we = _hour_profile(hours, np.full(24, config.weekend_hours[0]), np.full(24, config.weekend_hours[1])).sum()
    profile = profile / np.where(weekend, norm_we, norm_wd)
    weekday_daily = intensity.plateau_requests_per_week / (5 + 2 * intensity.weekend_day_factor)
    daily = np.where(weekend, intensity.weekend_day_factor * weekday_daily, weekday_daily)
    days_since = ((calendar["time"] - pd.Timestamp(launch_date)).dt.days).to_numpy()
    lam = daily * profile * _ramp(days_since, intensity.ramp_floor, intensity.ramp_midpoint_days,
                                  intensity.ramp_scale_days)
    lam = np.where(days_since < 0, 0.0, lam)
    lam *= np.where(calendar["is_holiday"].to_numpy() == 1, intensity.holiday_factor, 1.0)
    lam *= np.where(calendar["is_school_holiday"].to_numpy() == 1, intensity.school_holiday_factor, 1.0)
    lam *= np.where(calendar["is_pension_day"].to_numpy() == 1, intensity.pension_day_factor, 1.0)
    lam *= np.where(calendar["is_event"].to_numpy() == 1, intensity.event_factor, 1.0)
    md = calendar["time"].dt.month.to_numpy() * 100 + calendar["time"].dt.day.to_numpy()
    lam *= np.where((md >= 1229) | (md <= 103), intensity.year_end_factor, 1.0)
    world = config.world
    lam *= 1.0 + world.growth_per_year * np.clip(days_since, 0, None) / 365.25
    if weather_hourly is not None:
        wx = calendar[["time"]].merge(weather_hourly[["time", "precipitation_mm", "temperature_c"]], on="time",
                                      how="left")
        p = wx["precipitation_mm"].fillna(0.0).to_numpy()
        t = wx["temperature_c"].fillna(20.0).to_numpy()
        lam *= weather_factor(p, t, intensity)
    return lam


def weather_factor(precip_mm: np.ndarray, temp_c: np.ndarray, intensity: RideIntensity) -> np.ndarray:
    """Smooth, nonlinear weather effect on demand (assumption).

    Rain: a boost peaking at ``rain_peak_mm`` (people who would walk ride), fading with more
    rain, times a drop that saturates towards ``heavy_rain_factor`` in a downpour (half of it
    at ``heavy_rain_mm``). Temperature: a Gaussian fall away from ``comfort_c`` on the hot
    side (``heat_factor`` at ``heat_c``) and below ``cold_c``.
    """
    p = np.clip(np.asarray(precip_mm, dtype="float64"), 0.0, None)
    t = np.asarray(temp_c, dtype="float64")
    x = p / intensity.rain_peak_mm
    boost = 1.0 + (intensity.rain_factor - 1.0) * x * np.exp(1.0 - x)
    drop = 1.0 - (1.0 - intensity.heavy_rain_factor) * p**2 / (p**2 + intensity.heavy_rain_mm**2)
    hot_scale = (intensity.heat_c - intensity.comfort_c) / np.sqrt(-np.log(intensity.heat_factor))
    hot = np.exp(-(np.clip(t - intensity.comfort_c, 0, None) / hot_scale) ** 2)
    cold = np.exp(-(np.clip(intensity.cold_c - t, 0, None) / 10.0) ** 2)
    return boost * drop * hot * cold


def _outbound_share(hours: np.ndarray, open_h: np.ndarray, close_h: np.ndarray) -> np.ndarray:
    rel = np.clip((hours - open_h) / np.maximum(close_h - open_h - 1, 1), 0, 1)
    return 0.8 - 0.6 * rel


@dataclass(frozen=True)
class _Zones:
    """Zones of the stops (index per stop into ``names``) and their home / facility weights."""

    names: np.ndarray
    of_stop: np.ndarray
    home: np.ndarray  # Σ w_home over the zone's stops
    poi: np.ndarray  # Σ w_poi over the zone's stops


@dataclass(frozen=True)
class _Draws:
    """One entry per request: its hour and zone, trip type and the uniform draws used later."""

    hour: np.ndarray  # calendar row
    zone: np.ndarray
    hour_start: np.ndarray
    city_count: np.ndarray  # requests in the whole service in that hour
    is_outbound: np.ndarray
    u_origin: np.ndarray
    u_member: np.ndarray
    u_dest: np.ndarray
    minute: np.ndarray
    lead_minutes: np.ndarray
    lead_seconds: np.ndarray
    passengers: np.ndarray
    outcome_u: np.ndarray
    wait_min: np.ndarray
    vehicle: np.ndarray


def generate_ride_requests(
    rng: np.random.Generator,
    members: pd.DataFrame,
    stops: pd.DataFrame,
    weather: pd.DataFrame | None,
    config: Rides = Rides(),
    scale: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ride requests (raw export, ``REQUEST_COLUMNS``, text values) and the true intensity.

    Days ``config.start`` … ``config.end``; the demand model is ``config.intensity`` (see
    :func:`city_intensity`), multiplied by ``scale`` (tests use small scales or short periods).

    Truth (second value): one row per zone × hour START over the whole period, all 24 hours
    (λ = 0 outside service hours), columns zone, time, lambda (expected requests counted by
    desired pickup hour and origin zone, all outcomes). ``zone`` uses
    :func:`kogadx.demand.features.stop_zones` (``config.zone_level``, ``config.n_clusters``) so
    it matches the demand panel.

    Raw columns: 予約ID ("R" + 8 digits, by request time), 会員ID, 予約日時 (YYYY/MM/DD HH:MM:SS),
    希望乗車日時 / 実乗車日時 / 実降車日時 (YYYY/MM/DD HH:MM, empty unless completed), 乗車停留所ID,
    降車停留所ID, 人数 (1–3), 結果 (完了/キャンセル/無断キャンセル/配車不可), 車両ID (empty when
    no vehicle was assigned), 運賃 (yen; ``fare_yen`` × 人数 when completed, else 0), 支払方法.
    """
    weather_hourly = None if weather is None else weather_by_hour_start(weather)
    calendar = service_calendar(
        config.start, config.end, weekday_hours=config.weekday_hours, weekend_hours=config.weekend_hours,
        school_holiday_end=config.school_holiday_end, school_holiday_days=config.school_holiday_days,
        event_dates=config.event_dates,
    )
    lam_city = scale * city_intensity(calendar, weather_hourly, config)
    outbound = _outbound_share(calendar["hour"].to_numpy(), *_service_hours(calendar, config))

    stops = stops.reset_index(drop=True)
    home, activity = _member_homes(rng, members, stops)
    w_home = np.bincount(home, weights=activity, minlength=len(stops))
    w_home = w_home / w_home.sum()
    w_poi = np.array([POI_WEIGHT.get(k, 0.1) for k in stops["kind"].astype(str)])
    w_poi = w_poi / w_poi.sum()
    zones = _stop_zones(stops, config, w_home, w_poi)
    home_mult, poi_mult = stop_multipliers(stops, calendar, config.world)
    stop_home = w_home[None, :] * home_mult  # hours × stops
    stop_poi = w_poi[None, :] * poi_mult
    member_of_zone = np.eye(len(zones.names))[zones.of_stop]  # stops × zones
    home_z, poi_z = stop_home @ member_of_zone, stop_poi @ member_of_zone  # hours × zones
    lam_base = lam_city[:, None] * (outbound[:, None] * home_z + (1 - outbound[:, None]) * poi_z)
    in_service = calendar["in_service"].to_numpy() == 1
    lam_zone = lam_base + expected_returns(lam_city * outbound * home_z.sum(axis=1), poi_z, in_service,
                                           calendar["time"], config.world)
    truth = pd.DataFrame({
        "zone": pd.array(np.repeat(zones.names[None, :], len(calendar), axis=0).T.ravel(), dtype="string"),
        "time": np.tile(calendar["time"].to_numpy(), len(zones.names)),
        "lambda": lam_zone.T.ravel(),
    })
    truth["time"] = truth["time"].astype("datetime64[us]")

    shock = day_shocks(rng, calendar["time"], len(zones.names), config.world.dispersion_shape)
    counts = rng.poisson(lam_base * shock)
    draws = _draw_requests(rng, counts, calendar["time"].to_numpy(), outbound, home_z, poi_z, config.fleet_size)
    reg_date = pd.to_datetime(members["登録日"].astype(str), format="%Y/%m/%d").to_numpy()
    origin, dest, member = _assign_trips(draws, zones, home, activity, reg_date, stop_home, stop_poi)
    draws, origin, dest, member = _add_returns(rng, draws, origin, dest, member, zones, in_service,
                                               calendar["time"], config)
    frame = _request_export(draws, origin, dest, member, members, stops, reg_date, config, rng)
    return frame, truth


def stop_multipliers(stops: pd.DataFrame, calendar: pd.DataFrame, world: DemandWorld) -> tuple[np.ndarray, np.ndarray]:
    """Hour × stop multipliers of the home and facility weights: clinics' weekly schedule,
    the supermarket's opening day, the stop closed for roadworks (none is a panel feature)."""
    n_hours, n_stops = len(calendar), len(stops)
    home = np.ones((n_hours, n_stops))
    poi = np.ones((n_hours, n_stops))
    times = calendar["time"]
    dow, hour = times.dt.day_of_week.to_numpy(), times.dt.hour.to_numpy()
    clinic = np.asarray(world.clinic_weekday_factor, dtype="float64")[dow]
    clinic = np.where((dow == 5) & (hour >= world.clinic_saturday_close), 0.0, clinic)
    kinds = stops["kind"].astype(str).to_numpy()
    names = stops["stop_name"].astype(str).to_numpy()
    poi[:, kinds == "clinic"] *= clinic[:, None]
    before_opening = (times < pd.Timestamp(world.supermarket_open)).to_numpy()
    closed = ((times >= pd.Timestamp(world.roadworks_start))
              & (times < pd.Timestamp(world.roadworks_end) + pd.Timedelta(days=1))).to_numpy()
    for table in (home, poi):  # a stop not in use serves neither as a home stop nor as a facility
        table[np.ix_(before_opening, names == world.supermarket_stop)] = 0.0
        table[np.ix_(closed, names == world.roadworks_stop)] = 0.0
    return home, poi


def day_shocks(rng: np.random.Generator, times: pd.Series, n_zones: int, shape: float | None) -> np.ndarray:
    """Gamma(shape, 1/shape) demand multiplier per zone × day (mean 1), per hour row."""
    day_index = ((times - times.iloc[0]).dt.days).to_numpy()
    if shape is None:
        return np.ones((len(times), n_zones))
    per_day = rng.gamma(shape, 1.0 / shape, size=(int(day_index.max()) + 1, n_zones))
    return per_day[day_index]


def expected_returns(outbound_city: np.ndarray, poi_z: np.ndarray, in_service: np.ndarray, times: pd.Series,
                     world: DemandWorld) -> np.ndarray:
    """Expected linked return trips per hour × zone: outbound trips ``k`` hours earlier (the same
    day) × ``p_return`` × P(delay k), leaving from the zone of their destination."""
    dest_share = poi_z / np.maximum(poi_z.sum(axis=1, keepdims=True), 1e-12)
    out = np.zeros_like(poi_z)
    day = times.dt.normalize().to_numpy()
    flow = outbound_city[:, None] * dest_share
    for k, prob in enumerate(world.return_delay_probs, start=1):
        if prob <= 0 or k >= len(times):
            continue
        same_day = day[k:] == day[:-k]
        ok = (same_day & in_service[k:]).astype("float64")
        out[k:] += world.p_return * prob * flow[:-k] * ok[:, None]
    return out


def _member_homes(rng: np.random.Generator, members: pd.DataFrame,
                  stops: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Home stop and activity (heavy vs occasional user) of each member.

    The home stop is a random non-station stop in the member's town (address), else any
    residential/bus stop (members from outside the area walk or are driven to one).
    """
    kinds = stops["kind"].astype(str).to_numpy()
    town_names = stops["town_name"].astype(str).to_numpy()
    addresses = members["住所"].astype(str).to_numpy()
    towns_sorted = sorted(set(town_names), key=len, reverse=True)
    home_candidates = {t: np.flatnonzero((town_names == t) & (kinds != "station")) for t in towns_sorted}
    fallback = np.flatnonzero(np.isin(kinds, ["residential", "bus_stop"]))
    home_u = rng.random(len(members))
    home = np.empty(len(members), dtype=int)
    for i, addr in enumerate(addresses):
        town = next((t for t in towns_sorted if t in addr), None)
        cand = home_candidates.get(town) if town else None
        if cand is None or len(cand) == 0:
            cand = fallback
        home[i] = cand[int(home_u[i] * len(cand))]
    activity = rng.gamma(1.2, 1.0, len(members))  # heavy users and occasional users
    return home, activity


def _stop_zones(stops: pd.DataFrame, config: Rides, w_home: np.ndarray, w_poi: np.ndarray) -> _Zones:
    zones = stop_zones(stops, config.zone_level, config.n_clusters).astype(str).to_numpy()
    names = np.array(sorted(set(zones)))
    of_stop = np.searchsorted(names, zones)
    return _Zones(names, of_stop, np.bincount(of_stop, weights=w_home, minlength=len(names)),
                  np.bincount(of_stop, weights=w_poi, minlength=len(names)))


def _draw_requests(rng: np.random.Generator, counts: np.ndarray, hour_starts: np.ndarray, outbound: np.ndarray,
                   home_z: np.ndarray, poi_z: np.ndarray, fleet_size: int) -> _Draws:
    """One entry per request of the counts per hour × zone, and every request's draws (in a
    fixed order, so that the stream is reproducible)."""
    h_idx, z_idx = np.nonzero(counts)
    reps = counts[h_idx, z_idx]
    h_idx = np.repeat(h_idx, reps)
    z_idx = np.repeat(z_idx, reps)
    n = len(h_idx)
    # Trip type: outbound (home → facility) by the zone's share of the hour's outbound mass.
    outbound_mass = outbound[h_idx] * home_z[h_idx, z_idx]
    inbound_mass = (1 - outbound[h_idx]) * poi_z[h_idx, z_idx]
    is_outbound_u = rng.random(n)
    extra = _request_details(rng, n, fleet_size)
    return _Draws(h_idx, z_idx, hour_starts[h_idx], counts.sum(axis=1)[h_idx],
                  is_outbound_u < (outbound_mass / np.maximum(outbound_mass + inbound_mass, 1e-12)), **extra)


def _request_details(rng: np.random.Generator, n: int, fleet_size: int) -> dict[str, np.ndarray]:
    """The per-request uniform draws and times of ``n`` requests (fixed order)."""
    u_origin = rng.random(n)
    u_member = rng.random(n)
    u_dest = rng.random(n)
    minute = rng.integers(0, 60, n)
    lead_kind = rng.random(n)
    lead_minutes = np.where(lead_kind < 0.6, rng.integers(5, 31, n),
                            np.where(lead_kind < 0.9, rng.integers(31, 240, n), rng.integers(240, 1440, n)))
    lead_seconds = rng.integers(0, 60, n)
    passengers = np.where(rng.random(n) < 0.85, 1, np.where(rng.random(n) < 0.8, 2, 3))
    outcome_u = rng.random(n)
    wait_min = np.round(rng.gamma(2.0, 3.0, n)).astype(int)
    vehicle = rng.integers(1, fleet_size + 1, n)
    return {"u_origin": u_origin, "u_member": u_member, "u_dest": u_dest, "minute": minute,
            "lead_minutes": lead_minutes, "lead_seconds": lead_seconds, "passengers": passengers,
            "outcome_u": outcome_u, "wait_min": wait_min, "vehicle": vehicle}


def _pick(cum: np.ndarray, u: float) -> int:
    """Index drawn by the uniform ``u`` from cumulative weights ``cum``."""
    return int(min(np.searchsorted(cum, u * cum[-1], side="right"), len(cum) - 1))


def _assign_trips(draws: _Draws, zones: _Zones, home: np.ndarray, activity: np.ndarray, reg_date: np.ndarray,
                  stop_home: np.ndarray, stop_poi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin stop (within the request's zone), destination stop and member of each request.

    Outbound: from a home stop, by a member living there (already registered), to a facility.
    Return trip: from a facility, by any registered member, to the member's home stop.
    Stop weights are those of the request's hour (``stop_home`` / ``stop_poi``: hours × stops).
    """
    n_stops = stop_home.shape[1]
    members_by_home = {s: np.flatnonzero(home == s) for s in range(n_stops)}
    all_members = np.arange(len(home))
    zone_stops = {z: np.flatnonzero(zones.of_stop == z) for z in range(len(zones.names))}
    n = len(draws.hour)
    origin = np.empty(n, dtype=int)
    dest = np.empty(n, dtype=int)
    member = np.empty(n, dtype=int)
    for i in range(n):
        in_zone = zone_stops[draws.zone[i]]
        w_home, w_poi = stop_home[draws.hour[i]], stop_poi[draws.hour[i]]
        cum_poi_all = np.cumsum(w_poi)
        weights = w_home[in_zone] if draws.is_outbound[i] else w_poi[in_zone]
        if weights.sum() <= 0:
            weights = np.ones(len(in_zone))
        o = in_zone[_pick(np.cumsum(weights), draws.u_origin[i])]
        registered = reg_date <= draws.hour_start[i]
        if draws.is_outbound[i]:
            pool = members_by_home[o]
            pool = pool[registered[pool]]
            if len(pool) == 0:
                pool = all_members[registered] if registered.any() else all_members
            m = pool[_pick(np.cumsum(activity[pool]), draws.u_member[i])]
            d = _pick(cum_poi_all, draws.u_dest[i])
            if d == o:
                d = (d + 1) % n_stops
        else:
            pool = all_members[registered] if registered.any() else all_members
            reachable = pool[w_home[home[pool]] > 0]  # nobody is taken home to a closed stop
            pool = reachable if len(reachable) else pool
            m = pool[_pick(np.cumsum(activity[pool]), draws.u_member[i])]
            d = home[m]
            if d == o:
                d = _pick(cum_poi_all, draws.u_dest[i])
                if d == o:
                    d = (d + 1) % n_stops
        origin[i], dest[i], member[i] = o, d, m
    return origin, dest, member


def _add_returns(rng: np.random.Generator, draws: _Draws, origin: np.ndarray, dest: np.ndarray, member: np.ndarray,
                 zones: _Zones, in_service: np.ndarray, times: pd.Series,
                 config: Rides) -> tuple[_Draws, np.ndarray, np.ndarray, np.ndarray]:
    """Return trips linked to outbound ones: the same rider, from the outbound trip's
    destination back to its origin, 1–3 hours later on the same day within service hours
    (``config.world``). The city's requests per hour (rejection pressure) are recounted."""
    world = config.world
    outbound = np.flatnonzero(draws.is_outbound)
    probs = np.asarray(world.return_delay_probs, dtype="float64")
    returns = rng.random(len(outbound)) < world.p_return * probs.sum()
    delay = 1 + np.searchsorted(np.cumsum(probs) / probs.sum(), rng.random(len(outbound)), side="right")
    delay = np.minimum(delay, len(probs))
    target = draws.hour[outbound] + delay
    day = times.dt.normalize().to_numpy()
    valid = returns & (target < len(times))
    target_c = np.minimum(target, len(times) - 1)
    valid &= in_service[target_c] & (day[target_c] == day[draws.hour[outbound]])
    src = outbound[valid]
    hours = target_c[valid]
    n_new = len(src)
    extra = _request_details(rng, n_new, config.fleet_size)
    hour = np.concatenate([draws.hour, hours])
    city_count = np.bincount(hour, minlength=len(times))
    merged = _Draws(
        hour=hour,
        zone=np.concatenate([draws.zone, zones.of_stop[dest[src]]]),
        hour_start=np.concatenate([draws.hour_start, times.to_numpy()[hours]]),
        city_count=city_count[hour],
        is_outbound=np.concatenate([draws.is_outbound, np.zeros(n_new, dtype=bool)]),
        **{k: np.concatenate([getattr(draws, k), v]) for k, v in extra.items()},
    )
    return (merged, np.concatenate([origin, dest[src]]), np.concatenate([dest, origin[src]]),
            np.concatenate([member, member[src]]))


def _format_times(values: np.ndarray, pattern: str, keep: np.ndarray | None = None) -> np.ndarray:
    """Timestamps as text; blank where ``keep`` is False."""
    text = pd.DatetimeIndex(values).strftime(pattern).to_numpy(dtype=object)
    if keep is not None:
        text = np.where(keep, text, "")
    return text


def _request_export(draws: _Draws, origin: np.ndarray, dest: np.ndarray, member: np.ndarray, members: pd.DataFrame,
                    stops: pd.DataFrame, reg_date: np.ndarray, config: Rides,
                    rng: np.random.Generator | None = None) -> pd.DataFrame:
    """Times, outcome, vehicle and fare of each request, as the booking system exports them.

    Outcome, pick-up / drop-off and vehicle come from serving the requests with the operator's
    dispatcher under variable travel (:func:`kogadx.synth.operations.operate`); the run's
    travel conditions and the causes of rejections are in ``frame.attrs["operations"]``.
    Time order: nobody books before registering — a booking time before the member's
    registration day moves to that day, and a trip the member could only have booked after
    its desired pick-up is not made (dropped).
    """
    from kogadx.synth.operations import operate

    rng = rng if rng is not None else np.random.default_rng(0)
    desired = draws.hour_start + (draws.minute * 60).astype("timedelta64[s]")
    requested = desired - (draws.lead_minutes * 60 + draws.lead_seconds).astype("timedelta64[s]")
    requested = np.maximum(requested, reg_date[member].astype("datetime64[s]")
                           + draws.lead_seconds.astype("timedelta64[s]"))
    keep = requested <= desired
    desired, requested, origin, dest, member = (a[keep] for a in (desired, requested, origin, dest, member))
    passengers, outcome_u = draws.passengers[keep], draws.outcome_u[keep]
    n = len(desired)
    stop_xy = gpd.GeoSeries(gpd.points_from_xy(stops["lon"], stops["lat"]), crs=CRS_GEOGRAPHIC).to_crs(CRS_METRIC)
    xy = np.column_stack([stop_xy.x.to_numpy(), stop_xy.y.to_numpy()])
    depot = gpd.GeoSeries([Point(FIXED_STOPS[0][2], FIXED_STOPS[0][1])], crs=CRS_GEOGRAPHIC).to_crs(CRS_METRIC)
    ops = operate(rng, requested, desired, xy[origin], xy[dest], passengers, outcome_u,
                  (float(depot.x.iloc[0]), float(depot.y.iloc[0])), config)
    requested = ops.requested
    completed = ops.outcome == "完了"

    stop_ids = stops["stop_id"].astype(str).to_numpy()
    payment = members["支払方法"].astype(str).to_numpy()
    order = np.lexsort((np.arange(n), requested))
    frame = pd.DataFrame({
        "会員ID": members["会員ID"].astype(str).to_numpy()[member],
        "予約日時": _format_times(requested, "%Y/%m/%d %H:%M:%S"),
        "希望乗車日時": _format_times(desired, "%Y/%m/%d %H:%M"),
        "乗車停留所ID": stop_ids[origin],
        "降車停留所ID": stop_ids[dest],
        "人数": passengers.astype(str),
        "結果": ops.outcome,
        "実乗車日時": _format_times(ops.pickup, "%Y/%m/%d %H:%M", completed),
        "実降車日時": _format_times(ops.dropoff, "%Y/%m/%d %H:%M", completed),
        "車両ID": np.where(ops.vehicle > 0, np.char.add("V", ops.vehicle.astype(str)), ""),
        "運賃": np.where(completed, config.fare_yen * passengers, 0).astype(str),
        "支払方法": payment[member],
    }).iloc[order].reset_index(drop=True)
    frame.insert(0, "予約ID", [f"R{i + 1:08d}" for i in range(n)])
    frame = frame[REQUEST_COLUMNS].astype("string")
    causes = pd.Series(ops.cause[ops.outcome != "完了"]).value_counts().sort_index()
    frame.attrs["operations"] = {"travel_conditions": ops.conditions.as_dict(),
                                 "n_dropped_booked_after_trip": int((~keep).sum()),
                                 "causes": {str(k): int(v) for k, v in causes.items()}}
    return frame
