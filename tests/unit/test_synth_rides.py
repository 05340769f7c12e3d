"""Synthetic のるーと古賀 stops, members and ride requests."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from kogadx.demand.features import service_calendar
from kogadx.geo.reference import (
    load_reference_boundary,
    load_reference_bus_stops,
    load_reference_towns,
    split_chome,
    town_polygons,
)
from kogadx.idcodes import is_luhn_valid as luhn_valid
from kogadx.io import write_parquet
from kogadx.rng import stream_rng
from kogadx.synth.params import RideIntensity, Rides
from kogadx.synth.rides import (
    MEMBER_COLUMNS,
    REQUEST_COLUMNS,
    SERVICE_BASE_NAMES,
    STOP_COLUMNS,
    TEST_CARD_PREFIX,
    city_intensity,
    generate_members,
    generate_ride_requests,
    generate_stops,
)
from kogadx.synth.weather import generate_hourly_weather

START, END = "2023-07-17", "2023-08-13"  # four weeks incl. Marine Day and the school holiday
# Members register early (ramp midpoint 5 days after launch); demand is at its plateau (−200).
MEMBERS = Rides(end=END, intensity=RideIntensity(ramp_midpoint_days=5))
RIDES = Rides(start=START, end=END, intensity=RideIntensity(ramp_midpoint_days=-200))


def make_residents(n: int, seed: int = 0) -> pd.DataFrame:
    """A small register with the canonical columns of schemas.md."""
    rng = np.random.default_rng(seed)
    towns = load_reference_towns()
    t = rng.integers(0, len(towns), n)
    birth = pd.Timestamp("1930-01-01") + pd.to_timedelta(rng.integers(0, 365 * 90, n), unit="D")
    text = {
        "my_number": [f"{i:012d}" for i in range(n)],
        "resident_code": [f"{10**10 + i:011d}" for i in range(n)],
        "name": [f"古賀 花子{i}" for i in range(n)],
        "name_kana": ["コガ ハナコ"] * n,
        "sex": ["女"] * n,
        "address": [f"福岡県古賀市{towns.town_name.iloc[k]}{i % 30 + 1}番{i % 7 + 1}号" for i, k in enumerate(t)],
        "town_name": towns.town_name.iloc[t].to_list(),
        "town_code": towns.town_code.iloc[t].to_list(),
        "household_id": [str(i) for i in range(n)],
        "relationship": ["世帯主"] * n,
        "phone": np.where(rng.random(n) < 0.3, "", "092-940-1234").tolist(),
    }
    frame = pd.DataFrame({k: pd.array(v, dtype="string") for k, v in text.items()})
    frame["birth_date"] = birth.astype("datetime64[ms]")
    return frame


@pytest.fixture(scope="module")
def world():
    towns = load_reference_towns()
    polygons = town_polygons(towns, load_reference_boundary())
    stops = generate_stops(stream_rng(11, "stops"), polygons, load_reference_bus_stops())
    residents = make_residents(8000)
    members = generate_members(stream_rng(11, "members"), residents, stops, 400, MEMBERS)
    weather = generate_hourly_weather(stream_rng(11, "weather"), START, END)
    requests, truth = generate_ride_requests(stream_rng(11, "rides"), members, stops, weather, RIDES)
    return {"polygons": polygons, "stops": stops, "residents": residents, "members": members,
            "weather": weather, "requests": requests, "truth": truth}


def test_stops_63_inside_boundary_at_plausible_places(world) -> None:
    stops = world["stops"]
    assert list(stops.columns) == STOP_COLUMNS
    assert len(stops) == 63 and stops["stop_id"].is_unique
    boundary = load_reference_boundary().geometry.iloc[0]
    import shapely
    assert all(boundary.contains(shapely.Point(x, y)) for x, y in zip(stops["lon"], stops["lat"], strict=True))
    stations = stops[stops["kind"] == "station"].set_index("stop_name")
    assert stations.loc["JR古賀駅", ["lat", "lon"]].tolist() == [33.732828, 130.466902]
    assert stations.loc["JRししぶ駅", ["lat", "lon"]].tolist() == [33.721885, 130.458487]
    assert {"hospital", "supermarket", "community_centre", "park", "city_hall"} <= set(stops["kind"])
    others = stops[~stops["kind"].isin(["station", "city_hall"])]
    bases = others["town_name"].map(lambda n: split_chome(n)[0])
    assert bases.isin(SERVICE_BASE_NAMES).all()
    assert set(bases) == set(SERVICE_BASE_NAMES)
    assert stops["town_code"].str.fullmatch(r"40223\d{6}").all()


def test_members_drawn_from_register_older_and_local(world) -> None:
    members, residents = world["members"], world["residents"]
    assert list(members.columns) == MEMBER_COLUMNS and len(members) == 400
    assert members["会員ID"].is_unique and members["住民票コード"].is_unique
    joined = members.merge(residents, left_on="住民票コード", right_on="resident_code", how="left", validate="1:1")
    assert joined["resident_code"].notna().all()
    assert (joined["氏名"] == joined["name"]).all()
    assert (joined["生年月日"] == joined["birth_date"].dt.strftime("%Y/%m/%d")).all()
    assert members["生年月日"].str.fullmatch(r"\d{4}/\d{2}/\d{2}").all()
    in_area = joined["town_name"].map(lambda n: split_chome(n)[0]).isin(SERVICE_BASE_NAMES)
    assert in_area.mean() > 0.8
    ref = pd.Timestamp("2024-02-29")
    old_members = ((ref - joined["birth_date"]).dt.days / 365.25 >= 65).mean()
    old_register = ((ref - residents["birth_date"]).dt.days / 365.25 >= 65).mean()
    assert old_members > old_register + 0.1
    assert set(members["支払方法"]) <= {"現金", "クレジットカード", "交通系IC"}
    card = members["支払方法"] == "クレジットカード"
    assert card.any() and (~card).any()
    numbers = members.loc[card, "クレジットカード番号"]
    assert numbers.str.fullmatch(r"\d{16}").all() and numbers.str.startswith(TEST_CARD_PREFIX).all()
    assert numbers.map(luhn_valid).all()
    assert (members.loc[~card, "クレジットカード番号"] == "").all()
    assert members["電話番号"].str.len().gt(0).all()
    assert members["登録日"].is_monotonic_increasing


def test_luhn_rejects_a_changed_digit() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_requests_consistent_with_calendar_and_outcomes(world) -> None:
    req, members, stops = world["requests"], world["members"], world["stops"]
    assert list(req.columns) == REQUEST_COLUMNS and req["予約ID"].is_unique
    assert len(req) > 300
    assert set(req["結果"]) <= {"完了", "キャンセル", "無断キャンセル", "配車不可"}
    assert req["会員ID"].isin(members["会員ID"]).all()
    assert req["乗車停留所ID"].isin(stops["stop_id"]).all() and req["降車停留所ID"].isin(stops["stop_id"]).all()
    assert (req["乗車停留所ID"] != req["降車停留所ID"]).all()
    desired = pd.to_datetime(req["希望乗車日時"], format="%Y/%m/%d %H:%M")
    requested = pd.to_datetime(req["予約日時"], format="%Y/%m/%d %H:%M:%S")
    assert (requested <= desired).all()
    cal = service_calendar(START, END).set_index("time")
    assert (cal.loc[desired.dt.floor("h").to_numpy(), "in_service"].to_numpy() == 1).all()
    registered = dict(zip(members["会員ID"], members["登録日"], strict=True))
    reg = pd.to_datetime(req["会員ID"].map(registered), format="%Y/%m/%d")
    assert (reg <= requested).all()
    done = req["結果"] == "完了"
    pickup = pd.to_datetime(req.loc[done, "実乗車日時"], format="%Y/%m/%d %H:%M")
    dropoff = pd.to_datetime(req.loc[done, "実降車日時"], format="%Y/%m/%d %H:%M")
    assert (pickup >= desired[done]).all() and (dropoff > pickup).all()
    assert (req.loc[~done, ["実乗車日時", "実降車日時"]] == "").all().all()
    assert (req.loc[done, "運賃"].astype(int) == 200 * req.loc[done, "人数"].astype(int)).all()
    assert (req.loc[~done, "運賃"] == "0").all()
    assert (req.loc[req["結果"] == "配車不可", "車両ID"] == "").all()
    assert req.loc[done, "車両ID"].str.fullmatch(r"V[1-4]").all()
    payment = dict(zip(members["会員ID"], members["支払方法"], strict=True))
    assert (req["支払方法"] == req["会員ID"].map(payment)).all()


def test_truth_intensity_matches_counts(world) -> None:
    truth, req, stops = world["truth"], world["requests"], world["stops"]
    cal = service_calendar(START, END)
    assert len(truth) == len(cal) * stops["town_code"].nunique()
    merged = truth.merge(cal[["time", "in_service"]], on="time")
    assert (merged.loc[merged["in_service"] == 0, "lambda"] == 0).all()
    total = truth["lambda"].sum()
    assert abs(len(req) - total) < 4 * np.sqrt(total)  # Poisson
    # Per zone, counts follow λ (origin stop's town).
    zone_of = dict(zip(stops["stop_id"], stops["town_code"], strict=True))
    counts = req["乗車停留所ID"].map(zone_of).value_counts()
    lam = truth.groupby("zone")["lambda"].sum()
    assert np.corrcoef(counts.reindex(lam.index, fill_value=0), lam)[0, 1] > 0.9


def test_intensity_effects_have_the_documented_direction() -> None:
    cal = service_calendar("2024-06-10", "2024-06-16")  # Mon–Sun, no holiday
    dry = pd.DataFrame({"time": cal["time"], "precipitation_mm": 0.0, "temperature_c": 25.0})
    base = city_intensity(cal, dry)
    rain = city_intensity(cal, dry.assign(precipitation_mm=3.0))
    heavy = city_intensity(cal, dry.assign(precipitation_mm=25.0))
    heat = city_intensity(cal, dry.assign(temperature_c=35.0))
    service = cal["in_service"].to_numpy() == 1
    assert (base[~service] == 0).all() and (base[service] > 0).all()
    assert (rain[service] > base[service]).all()
    assert (heavy[service] < base[service]).all()
    assert (heat[service] < base[service]).all()
    day = cal["time"].dt.normalize()
    daily = pd.Series(base).groupby(day.to_numpy()).sum()
    assert daily.iloc[:5].min() > daily.iloc[5:].max()  # weekdays busier than the weekend
    # Ramp-up: the same week a year after launch carries more demand than just after launch.
    early = city_intensity(service_calendar("2022-10-03", "2022-10-09"), None).sum()
    late = city_intensity(service_calendar("2023-10-02", "2023-10-08"), None).sum()
    assert late > 3 * early
    pension = service_calendar("2024-08-13", "2024-08-16")  # pension day Thu 15 Aug 2024
    lam = pd.Series(city_intensity(pension, None)).groupby(pension["time"].dt.day.to_numpy()).sum()
    assert lam[15] > 1.2 * lam[14]


def test_same_seed_byte_identical(world, tmp_path) -> None:
    def run():
        stops = generate_stops(stream_rng(11, "stops"), world["polygons"], load_reference_bus_stops())
        members = generate_members(stream_rng(11, "members"), world["residents"], stops, 400, MEMBERS)
        return stops, members, *generate_ride_requests(stream_rng(11, "rides"), members, stops, world["weather"],
                                                       RIDES)
    first = (world["stops"], world["members"], world["requests"], world["truth"])
    second = run()
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        pd.testing.assert_frame_equal(a, b)
        pa_, pb_ = write_parquet(a, tmp_path / f"a{i}.parquet"), write_parquet(b, tmp_path / f"b{i}.parquet")
        assert hashlib.sha256(pa_.read_bytes()).digest() == hashlib.sha256(pb_.read_bytes()).digest()
    other = generate_ride_requests(stream_rng(12, "rides"), world["members"], world["stops"], world["weather"],
                                   RIDES)[0]
    assert not other.equals(world["requests"])


def test_register_export_adapter_parses_wareki_and_drops_unreadable_rows() -> None:
    from kogadx.synth.rides import residents_from_register_export

    raw = pd.DataFrame({
        "住民票コード": ["12345678901", "１２３４５６７８９０２", "12345678903", "12345678901"],
        "氏名": ["古賀 太郎", "古賀  花子", "古賀 次郎", "古賀 太郎"],
        "生年月日": ["昭和18年5月2日", "平成元年1月8日", "昭和40年2月30日", "昭和18年5月2日"],
        "電話番号": ["092-940-1111", "", "090-1111-2222", "092-940-1111"],
        "住所": ["福岡県古賀市花鶴丘一丁目1番2号", "福岡県古賀市日吉二丁目３番4号", "福岡県古賀市美明一丁目5番6号",
               "福岡県古賀市花鶴丘一丁目1番2号"],
        "町丁目コード": ["40223000901", "40223002502", "40223002701", "40223000901"],
    })
    frame = residents_from_register_export(raw)
    assert frame["resident_code"].tolist() == ["12345678901", "12345678902"]  # bad date and duplicate dropped
    assert frame["birth_date"].tolist() == [pd.Timestamp("1943-05-02"), pd.Timestamp("1989-01-08")]
    assert frame["town_name"].tolist() == ["花鶴丘一丁目", "日吉二丁目"]
    assert frame["name"].tolist() == ["古賀 太郎", "古賀 花子"]
