"""Zone × hour demand panel for のるーと古賀, and the service calendar it shares with the generator.

Definitions (used identically by the synthetic generator's truth and by the panel):
- time: the START of the hour, JST naive (datetime64[us]); the panel covers every hour of every
  day in the period, 00:00–23:00. Hours outside service hours are KEPT with ``in_service`` = 0
  (y is then 0 by construction) so that every zone has a regular hourly series (season 24 / 168)
  for seasonal-naive and MSTL models; models may filter on ``in_service``.
- y: the number of ride REQUESTS whose desired pickup time falls in the hour, counted in the
  zone of the ORIGIN stop, whatever the outcome (completed, cancelled, no-show and rejected all
  count): the fleet has to be sized for the demand that arrives, not only the demand it served.
  ``count_outcomes`` can restrict this.
- zone: ``zone_level="town"`` — the 町丁目 (town_code) holding the origin stop;
  ``"stop_cluster"`` — k-means clusters of the stops in EPSG:6670 (``n_clusters``), labelled
  C01… in west→east order of their centroids, so labels do not depend on k-means internals.
- weather: the JMA series is keyed by observation time (end of hour); the panel hour starting
  at t takes the observation at t + 1 h (precipitation that fell during the hour).
- NO lags or rolling means here: they depend on the forecast horizon, so the forecast engine
  adds them at/after the horizon.

Service hours (DOMAIN.md §2): weekdays 09:00–17:00, weekends and national holidays 08:00–18:00
(an hour is in service when it starts at or after the opening and before the closing time).
School summer holiday (DOMAIN.md §1): about 25 days ending 19 August (UNCONFIRMED exact dates;
parameters). Pension day: the 15th of even months, or the preceding business day when the 15th
falls on a weekend or holiday (年金支給日の規則).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import holidays
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from kogadx.compute import PANDAS, Engine
from kogadx.demand.params import FeaturesParams, defaults_of
from kogadx.geo.reference import CRS_GEOGRAPHIC, CRS_METRIC

# Raw booking-system headers (Japanese) → canonical names used inside the demand package.
RIDE_COLUMNS_RAW_TO_CANONICAL = {
    "予約ID": "request_id",
    "会員ID": "member_id",
    "予約日時": "requested_at",
    "希望乗車日時": "desired_pickup_at",
    "乗車停留所ID": "origin_stop_id",
    "降車停留所ID": "destination_stop_id",
    "人数": "passengers",
    "結果": "outcome",
    "実乗車日時": "actual_pickup_at",
    "実降車日時": "actual_dropoff_at",
    "車両ID": "vehicle_id",
    "運賃": "fare_yen",
    "支払方法": "payment_method",
}
OUTCOMES = ("完了", "キャンセル", "無断キャンセル", "配車不可")
PANEL_COLUMNS = [
    "zone", "time", "y",
    "hour", "dow", "month", "is_holiday", "day_type", "is_school_holiday", "is_pension_day",
    "is_event", "in_service",
    "temperature_c", "precipitation_mm",
    "population", "share_65plus", "distance_to_station_m",
]
_DEFAULTS = defaults_of(FeaturesParams)


def _date_range(start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D").as_unit("us")


def next_period_calendar(last_time: str | pd.Timestamp, steps_h: int, features: FeaturesParams) -> pd.DataFrame:
    """The service calendar (:func:`service_calendar`, settings from the ``features`` params)
    for the ``steps_h`` hours after ``last_time``: what the next-period forecast knows in
    advance (holidays, service hours, events), instead of copying last week."""
    last = pd.Timestamp(last_time).floor("h")
    end = last + pd.Timedelta(hours=int(steps_h))
    calendar = params_calendar(last.normalize(), end.normalize(), features)
    return calendar[(calendar["time"] > last) & (calendar["time"] <= end)].reset_index(drop=True)


def params_calendar(start: str | pd.Timestamp, end: str | pd.Timestamp, features: FeaturesParams) -> pd.DataFrame:
    """:func:`service_calendar` with the calendar settings of the ``features`` params (the
    panel and the next-period forecast use the same ones)."""
    return service_calendar(start, end, weekday_hours=features.weekday_hours, weekend_hours=features.weekend_hours,
                            school_holiday_end=features.school_holiday_end,
                            school_holiday_days=features.school_holiday_days, event_dates=features.event_dates)


def national_holidays(start: str | pd.Timestamp, end: str | pd.Timestamp) -> set[pd.Timestamp]:
    """Japanese national holidays (incl. substitute holidays) via ``holidays`` (JP)."""
    years = range(pd.Timestamp(start).year, pd.Timestamp(end).year + 1)
    jp = holidays.country_holidays("JP", years=list(years))
    return {pd.Timestamp(d) for d in jp}


def pension_days(start: str | pd.Timestamp, end: str | pd.Timestamp) -> set[pd.Timestamp]:
    """Public pension payment days: the 15th of even months, moved back to the preceding
    business day when the 15th is a weekend or national holiday."""
    lo, hi = pd.Timestamp(start) - pd.Timedelta(days=10), pd.Timestamp(end) + pd.Timedelta(days=10)
    hol = national_holidays(lo, hi)
    result = set()
    for month_start in pd.date_range(lo.replace(day=1), hi, freq="MS"):
        if month_start.month % 2:
            continue
        day = month_start.replace(day=15)
        while day.day_of_week >= 5 or day in hol:
            day -= pd.Timedelta(days=1)
        result.add(day)
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    return {d for d in result if first <= d <= last}


def school_summer_holidays(
    start: str | pd.Timestamp, end: str | pd.Timestamp, *, end_month_day: str, length_days: int
) -> set[pd.Timestamp]:
    """Koga's short school summer holiday: ``length_days`` days ending on ``end_month_day``."""
    result = set()
    for year in range(pd.Timestamp(start).year, pd.Timestamp(end).year + 1):
        last = pd.Timestamp(f"{year}-{end_month_day}")
        result.update(pd.date_range(last - pd.Timedelta(days=length_days - 1), last, freq="D"))
    return result


def service_calendar(
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    *,
    weekday_hours: Sequence[int] = _DEFAULTS["weekday_hours"],
    weekend_hours: Sequence[int] = _DEFAULTS["weekend_hours"],
    school_holiday_end: str = _DEFAULTS["school_holiday_end"],
    school_holiday_days: int = _DEFAULTS["school_holiday_days"],
    event_dates: Iterable[str] = _DEFAULTS["event_dates"],
) -> pd.DataFrame:
    """One row per hour (hour START, JST naive) of the days ``start`` … ``end`` inclusive.

    The settings default to those of the ``features`` params (:class:`FeaturesParams`).

    Columns: time, hour, dow (0=Mon), month, is_holiday (national holiday), day_type
    ("平日" or "土日祝"), is_school_holiday, is_pension_day, is_event, in_service (0/1 ints).
    """
    days = _date_range(start, end)
    if len(days) == 0:
        raise ValueError(f"service_calendar: empty period {start} … {end}")
    hol = national_holidays(days[0], days[-1])
    school = school_summer_holidays(days[0], days[-1], end_month_day=school_holiday_end,
                                    length_days=school_holiday_days)
    pension = pension_days(days[0], days[-1])
    events = {pd.Timestamp(d).normalize() for d in event_dates}
    day_frame = pd.DataFrame({"date": days})
    day_frame["is_holiday"] = day_frame["date"].isin(hol).astype("int8")
    weekend = (day_frame["date"].dt.day_of_week >= 5) | (day_frame["is_holiday"] == 1)
    day_frame["day_type"] = pd.array(np.where(weekend, "土日祝", "平日"), dtype="string")
    day_frame["is_school_holiday"] = day_frame["date"].isin(school).astype("int8")
    day_frame["is_pension_day"] = day_frame["date"].isin(pension).astype("int8")
    day_frame["is_event"] = day_frame["date"].isin(events).astype("int8")
    day_frame["open_h"] = np.where(weekend, weekend_hours[0], weekday_hours[0])
    day_frame["close_h"] = np.where(weekend, weekend_hours[1], weekday_hours[1])

    hours = np.tile(np.arange(24), len(days))
    frame = day_frame.loc[np.repeat(np.arange(len(days)), 24)].reset_index(drop=True)
    frame["time"] = (frame["date"] + pd.to_timedelta(hours, unit="h")).astype("datetime64[us]")
    frame["hour"] = hours.astype("int8")
    frame["dow"] = frame["time"].dt.day_of_week.astype("int8")
    frame["month"] = frame["time"].dt.month.astype("int8")
    frame["in_service"] = ((hours >= frame["open_h"]) & (hours < frame["close_h"])).astype("int8")
    return frame[["time", "hour", "dow", "month", "is_holiday", "day_type", "is_school_holiday",
                  "is_pension_day", "is_event", "in_service"]]


def stop_zones(stops: pd.DataFrame, zone_level: str, n_clusters: int) -> pd.Series:
    """Zone label per stop (index aligned with ``stops``).

    ``town``: the stop's ``town_code``. ``stop_cluster``: k-means on EPSG:6670 coordinates
    (metres), ``n_clusters`` clusters, deterministic (fixed random_state, n_init=10), relabelled
    C01… by centroid easting then northing.
    """
    if zone_level == "town":
        return stops["town_code"].astype("string").rename("zone")
    if zone_level != "stop_cluster":
        raise ValueError(f"zone_level は 'town' か 'stop_cluster' です: {zone_level!r}")
    if len(stops) < n_clusters:
        raise ValueError(f"停留所数 {len(stops)} がクラスタ数 {n_clusters} より少ない")
    points = gpd.GeoSeries(gpd.points_from_xy(stops["lon"], stops["lat"]), crs=CRS_GEOGRAPHIC).to_crs(CRS_METRIC)
    xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    km = KMeans(n_clusters=n_clusters, n_init=10, random_state=0).fit(xy)
    order = np.lexsort((km.cluster_centers_[:, 1], km.cluster_centers_[:, 0]))
    rank = np.empty(n_clusters, dtype=int)
    rank[order] = np.arange(n_clusters)
    labels = [f"C{rank[k] + 1:02d}" for k in km.labels_]
    return pd.Series(pd.array(labels, dtype="string"), index=stops.index, name="zone")


def residents_town_aggregate(residents: pd.DataFrame, elderly_age: int = 65) -> pd.DataFrame:
    """Per-town population and share aged 65+ from the pseudonymized register.

    ``residents`` needs ``town_code`` and ``age`` (years, at the register's reference date).
    Returns town_code, population, share_65plus.
    """
    missing = [c for c in ("town_code", "age") if c not in residents.columns]
    if missing:
        raise ValueError(f"residents に必要な列がありません: {missing}")
    frame = pd.DataFrame({"town_code": residents["town_code"].astype("string"),
                          "elderly": pd.to_numeric(residents["age"], errors="coerce") >= elderly_age})
    grouped = frame.groupby("town_code", observed=True)["elderly"]
    return pd.DataFrame({"population": grouped.size(), "share_65plus": grouped.mean()}).reset_index()


def zone_attributes(
    stops: pd.DataFrame,
    towns: gpd.GeoDataFrame,
    residents_agg: pd.DataFrame | None,
    zones: pd.Series,
    *,
    zone_level: str,
) -> pd.DataFrame:
    """population, share_65plus and distance_to_station_m (EPSG:6670, metres) per zone.

    Town zones: the town's population and share from ``residents_agg`` (falling back to the
    towns table's ``population``); distance from the town polygon's centroid to the nearest
    stop of kind ``station``. Cluster zones: each town's population is split equally over its
    stops, then summed per cluster (share_65plus population-weighted); distance from the
    cluster's stop centroid.
    """
    towns_attr = town_attributes(towns, residents_agg)
    stop_points = gpd.GeoSeries(gpd.points_from_xy(stops["lon"], stops["lat"]), crs=CRS_GEOGRAPHIC).to_crs(CRS_METRIC)
    is_station = (stops["kind"] == "station").to_numpy() if "kind" in stops.columns else np.zeros(len(stops), bool)
    if not is_station.any():
        raise ValueError("停留所に kind='station' (駅) がありません: distance_to_station_m を計算できません")
    stations = stop_points[is_station]

    def nearest_station(point) -> float:
        return float(min(point.distance(s) for s in stations))

    if zone_level == "town":
        towns_m = towns.to_crs(CRS_METRIC).set_index(towns["town_code"].astype("string"))
        rows = []
        for zone in sorted(zones.dropna().unique()):
            if zone in towns_m.index:
                centroid = towns_m.geometry.get(zone).centroid
            else:
                centroid = stop_points[(zones == zone).to_numpy()].union_all().centroid
            rows.append({
                "zone": zone,
                "population": towns_attr["population"].get(zone, np.nan),
                "share_65plus": towns_attr["share_65plus"].get(zone, np.nan),
                "distance_to_station_m": round(nearest_station(centroid), 1),
            })
        return pd.DataFrame(rows)

    town_codes = stops["town_code"].astype("string")
    stops_per_town = town_codes.value_counts()
    pop_share = town_codes.map(lambda c: towns_attr["population"].get(c, np.nan) / stops_per_town[c])
    share65 = town_codes.map(lambda c: towns_attr["share_65plus"].get(c, np.nan))
    frame = pd.DataFrame({"zone": zones.to_numpy(), "pop": pop_share.to_numpy(dtype=float),
                          "s65": share65.to_numpy(dtype=float)})
    rows = []
    for zone in sorted(frame["zone"].unique()):
        sel = (frame["zone"] == zone).to_numpy()
        pops = frame.loc[sel, "pop"].fillna(0.0).to_numpy()
        s65 = frame.loc[sel, "s65"].to_numpy()
        ok = ~np.isnan(s65)
        share = float(np.average(s65[ok], weights=pops[ok])) if ok.any() and pops[ok].sum() > 0 else np.nan
        centroid = stop_points[sel].union_all().centroid
        rows.append({
            "zone": zone,
            "population": float(pops.sum()),
            "share_65plus": share,
            "distance_to_station_m": round(nearest_station(centroid), 1),
        })
    return pd.DataFrame(rows)


def town_attributes(towns: gpd.GeoDataFrame, residents_agg: pd.DataFrame | None) -> pd.DataFrame:
    """population and share_65plus per town_code (index): from ``residents_agg``, the towns
    table's ``population`` where the register has no one."""
    towns_attr = pd.DataFrame({"town_code": towns["town_code"].astype("string")})
    if "population" in towns.columns:
        towns_attr["population"] = towns["population"].to_numpy(dtype=float)
    else:
        towns_attr["population"] = np.nan
    towns_attr["share_65plus"] = np.nan
    if residents_agg is not None and len(residents_agg):
        agg = residents_agg[["town_code", "population", "share_65plus"]].copy()
        agg["town_code"] = agg["town_code"].astype("string")
        agg["population"] = agg["population"].astype(float)
        agg["share_65plus"] = agg["share_65plus"].astype(float)
        towns_attr = towns_attr.drop(columns=["population", "share_65plus"]).merge(agg, on="town_code", how="outer")
        if "population" in towns.columns:
            fallback = dict(zip(towns["town_code"].astype(str), towns["population"].astype(float), strict=True))
            missing = towns_attr["population"].isna()
            if missing.any():
                towns_attr.loc[missing, "population"] = (
                    towns_attr.loc[missing, "town_code"].astype(str).map(fallback).astype(float).to_numpy()
                )
    return towns_attr.set_index("town_code")


COUNTED_REQUEST_COLUMNS = ("desired_pickup_at", "origin_stop_id", "outcome")


def counted_request_columns(available: list[str]) -> list[str]:
    """The columns of the ride requests :func:`build_demand_panel` reads (canonical or raw
    Japanese headers): a reader takes only these, so the panel of a national-scale booking log
    does not hold its personal columns in memory (issue #25)."""
    wanted = set(COUNTED_REQUEST_COLUMNS)
    return [c for c in available if c in wanted or RIDE_COLUMNS_RAW_TO_CANONICAL.get(c) in wanted]


def canonical_ride_requests(requests: pd.DataFrame, first_row: int = 0) -> pd.DataFrame:
    """Rename raw Japanese headers to canonical names (already-canonical columns pass through)
    and parse ``desired_pickup_at`` to datetime64[us]. Raises ValueError naming the column and
    first bad row (counted from ``first_row``, the position of a partition's first row) when a
    timestamp cannot be read."""
    frame = requests.rename(columns={k: v for k, v in RIDE_COLUMNS_RAW_TO_CANONICAL.items() if k in requests.columns})
    needed = ["desired_pickup_at", "origin_stop_id", "outcome"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"ride_requests に必要な列がありません: {missing} (希望乗車日時 / 乗車停留所ID / 結果)")
    if not pd.api.types.is_datetime64_any_dtype(frame["desired_pickup_at"]):
        parsed = pd.to_datetime(frame["desired_pickup_at"], errors="coerce", format="mixed")
        bad = parsed.isna() & frame["desired_pickup_at"].notna() & (frame["desired_pickup_at"].astype("string") != "")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"ride_requests 行 {first_row + row + 1} 列 desired_pickup_at (希望乗車日時): "
                             "日時として読めません: "
                             f"{frame['desired_pickup_at'].iloc[row]!r}")
        frame["desired_pickup_at"] = parsed
    frame["desired_pickup_at"] = frame["desired_pickup_at"].astype("datetime64[us]")
    return frame


@dataclass
class PartitionCounts:
    """:class:`RequestCounts` of one partition: requests per zone and hour, the outcomes not in
    ``OUTCOMES``, and the first request whose origin stop is unknown (row position, stop ID)."""

    counts: pd.DataFrame
    unknown_outcomes: set[str]
    unknown_origin: tuple[int, str] | None


@dataclass(frozen=True)
class RequestCounts:
    """The per-request part of :func:`build_demand_panel` on a row partition of the ride
    requests (index = row position; a picklable partition function for
    :meth:`kogadx.compute.Engine.map_partitions`): canonical columns, checks, and the counted
    requests per zone and hour."""

    stop_zone: dict[str, str]
    count_outcomes: tuple[str, ...]

    def __call__(self, requests: pd.DataFrame) -> PartitionCounts:
        first_row = int(requests.index[0]) if len(requests) else 0
        frame = canonical_ride_requests(requests, first_row)
        unknown_outcomes = set(frame["outcome"].dropna().astype(str)) - set(OUTCOMES)
        origin = frame["origin_stop_id"].astype(str)
        unknown = ~origin.isin(self.stop_zone.keys())
        unknown_origin = None
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0])
            unknown_origin = (first_row + row, str(origin.iloc[row]))
        counted = frame[frame["outcome"].isin(list(self.count_outcomes))]
        counts = (
            pd.DataFrame({
                "zone": counted["origin_stop_id"].astype(str).map(self.stop_zone).astype("string"),
                "time": counted["desired_pickup_at"].dt.floor("h").astype("datetime64[us]"),
            })
            .groupby(["zone", "time"], observed=True).size().rename("y").reset_index()
        )
        return PartitionCounts(counts, unknown_outcomes, unknown_origin)


def build_demand_panel(
    requests: pd.DataFrame,
    stops: pd.DataFrame,
    towns: gpd.GeoDataFrame,
    residents_agg: pd.DataFrame | None,
    weather: pd.DataFrame | None,
    params: FeaturesParams,
    running: Engine = PANDAS,
) -> pd.DataFrame:
    """The zone × hour panel (columns ``PANEL_COLUMNS``), sorted by zone then time.

    ``requests``: ride requests with raw Japanese or canonical headers; only the desired pickup
    time, origin stop and outcome are used (no personal column is needed or kept).
    ``stops``: stop_id, lat, lon (EPSG:6668), town_code, kind. ``towns``: GeoDataFrame with
    town_code and polygon geometry. ``residents_agg``: town_code, population, share_65plus.
    ``weather``: JMA-convention hourly series (see module doc); None leaves weather NaN.
    ``params``: the period (``start`` … ``end``, days inclusive), the zones, the outcomes
    counted and the calendar settings.
    Requests whose origin stop is unknown raise ValueError (they would silently vanish).
    ``running``: the engine of the per-request part (:class:`RequestCounts`, pandas or Dask).
    """
    zones = stop_zones(stops, params.zone_level, params.n_clusters)
    stop_zone = dict(zip(stops["stop_id"].astype(str), zones.astype(str), strict=True))
    # Row positions as the index: partitions (pandas or Dask) name a bad row by its position.
    parts = running.map_partitions(requests.reset_index(drop=True), RequestCounts(stop_zone, params.count_outcomes))
    unknown_outcomes = sorted(set().union(*(p.unknown_outcomes for p in parts)))
    if unknown_outcomes:
        raise ValueError(f"ride_requests 列 outcome (結果) に想定外の値: {unknown_outcomes}")
    unknown_origin = next((p.unknown_origin for p in parts if p.unknown_origin is not None), None)
    if unknown_origin is not None:
        row, origin = unknown_origin
        raise ValueError(f"ride_requests 行 {row + 1} 列 origin_stop_id (乗車停留所ID): "
                         f"停留所表にない ID {origin!r}")

    calendar = params_calendar(params.start, params.end, params)
    # A zone-hour's count is the sum of its partitions' counts (integers: any order, same sum).
    counts = (pd.concat([p.counts for p in parts]).groupby(["zone", "time"], observed=True)["y"].sum()
              .reset_index())
    zone_list = pd.Series(sorted(set(zones.astype(str))), dtype="string", name="zone")
    panel = zone_list.to_frame().merge(calendar, how="cross")
    panel = panel.merge(counts, on=["zone", "time"], how="left")
    panel["y"] = panel["y"].fillna(0).astype("int32")

    if weather is not None:
        wx = weather[["time", "temperature_c", "precipitation_mm"]].copy()
        wx["time"] = (wx["time"] - pd.Timedelta(hours=1)).astype("datetime64[us]")  # obs at t+1 → hour t
        panel = panel.merge(wx, on="time", how="left")
    else:
        panel["temperature_c"] = np.nan
        panel["precipitation_mm"] = np.nan

    attrs = zone_attributes(stops, towns, residents_agg, zones, zone_level=params.zone_level)
    attrs["zone"] = attrs["zone"].astype("string")
    panel = panel.merge(attrs, on="zone", how="left")
    panel = panel.sort_values(["zone", "time"], kind="stable").reset_index(drop=True)
    return panel[PANEL_COLUMNS]
