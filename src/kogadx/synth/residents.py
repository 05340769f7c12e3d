"""Synthetic residents register (住民基本台帳-like extract) for Koga City.

Households first, then people: each household gets a type (single, couple, couple with
children, single parent, three generations), a town, an address and members whose ages
follow the type. Hillside districts (花鶴丘, 日吉, 美明, 鹿部) and rural 大字 are older than the
station areas. All values are fake; names come from Faker's ja_JP lists.

The export mimics a core system: Japanese headers, 和暦 birth dates, CP932 when written.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from faker.providers.person.ja_JP import Provider as NameProvider
from japanera import EraDate

from kogadx.geo.reference import CRS_GEOGRAPHIC, CRS_METRIC
from kogadx.idcodes import my_number_check_digit
from kogadx.progress import steps
from kogadx.synth.params import Residents

RAW_COLUMNS = [
    "個人番号", "住民票コード", "氏名", "氏名カナ", "生年月日", "性別",
    "住所", "町丁目コード", "世帯番号", "続柄", "電話番号",
]

# Household types: (name, share among non-single households). Shares loosely follow the
# 2020 census household composition for Japan; the single share is solved so that the
# expected household size equals population / households.
_MULTI_TYPES = {"couple": 0.33, "couple_children": 0.40, "single_parent": 0.13, "three_generation": 0.14}


@dataclass(frozen=True)
class ResidentsTruth:
    """What the generator intended: totals and the faults it planted (for evaluation)."""

    population: int
    households: int
    faults: pd.DataFrame  # line, kind, column
    register: pd.DataFrame  # the clean register in canonical columns (before faults)


@functools.cache  # residents share birth dates: japanera's era lookup is the slow part
def to_wareki(date: dt.date) -> str:
    """'1968-05-02' → '昭和43年5月2日'; the first year of an era is written 元年."""
    era_date = EraDate.from_date(date)
    era = era_date.era.kanji
    year = era_date.era.absolute_year_to_relative_year(date.year)
    year_text = "元" if year == 1 else str(year)
    return f"{era}{year_text}年{date.month}月{date.day}日"


def _unique_digits(rng: np.random.Generator, n: int, digits: int) -> np.ndarray:
    """n distinct random integers with exactly ``digits`` digits (no leading zero)."""
    low, high = 10 ** (digits - 1), 10**digits
    values = np.unique(rng.integers(low, high, size=int(n * 1.05) + 10))
    while len(values) < n:
        values = np.unique(np.concatenate([values, rng.integers(low, high, size=n)]))
    return rng.permutation(values)[:n]


def town_weights(towns: gpd.GeoDataFrame, config: Residents) -> np.ndarray:
    """Relative population of each town: denser near stations, denser in 丁目 (built-up) towns."""
    metric = towns.to_crs(CRS_METRIC)
    centroids = metric.geometry.representative_point()
    stations = config.stations_latlon
    station_points = gpd.GeoSeries(
        gpd.points_from_xy([s[1] for s in stations], [s[0] for s in stations]), crs=CRS_GEOGRAPHIC
    ).to_crs(CRS_METRIC)
    distance_km = np.min(np.stack([centroids.distance(p).to_numpy() for p in station_points]), axis=0) / 1000
    built_up = np.where(towns["chome"].to_numpy() > 0, 1.0, config.rural_density_factor)
    area_km2 = np.clip(metric.geometry.area.to_numpy() / 1e6, 0.05, None)
    return built_up * np.exp(-distance_km / config.density_decay_km) * area_km2 ** config.area_exponent


def generate_residents(
    rng: np.random.Generator,
    towns: gpd.GeoDataFrame,
    config: Residents,
    scale: float = 1.0,
) -> tuple[pd.DataFrame, ResidentsTruth]:
    """Generate the raw register export (Japanese headers, all text) and the truth.

    ``towns`` are town polygons (town_code, town_name, base_name, chome, geometry);
    ``config.households`` is scaled by ``scale`` (the household size is kept).
    """
    n_households = max(1, round(config.households * scale))
    reference = dt.date.fromisoformat(config.reference_date)
    household_type = _household_types(rng, n_households, config)
    town_index, is_ageing = _household_towns(rng, towns, n_households, config)
    household_ids = _unique_digits(rng, n_households, 8)
    elder_p = np.where(is_ageing, config.elderly_share_ageing, config.elderly_share_other)
    frame = _people(rng, household_type, elder_p, config)
    n_people = len(frame)
    # Birth date: age at the reference date, day within the year uniform.
    days_back = frame["age"].to_numpy() * 365.25 + rng.integers(0, 365, size=n_people)
    birth = [reference - dt.timedelta(days=int(d)) for d in days_back]
    name, kana = _person_names(rng, frame)
    my_base = _unique_digits(rng, n_people, 11)
    my_numbers = [f"{b:011d}{my_number_check_digit(f'{b:011d}')}" for b in my_base]
    resident_codes = [f"{c:011d}" for c in _unique_digits(rng, n_people, 11)]
    addresses = _addresses(rng, towns, town_index)
    phones = _phones(rng, frame, n_households, config)

    town_of_person = town_index[frame["household"].to_numpy()]
    raw = pd.DataFrame(
        {
            "個人番号": my_numbers,
            "住民票コード": resident_codes,
            "氏名": name,
            "氏名カナ": kana,
            "生年月日": [to_wareki(b) for b in birth],
            "性別": frame["sex"].to_numpy(),
            "住所": [addresses[h] for h in frame["household"]],
            "町丁目コード": towns["town_code"].to_numpy()[town_of_person],
            "世帯番号": [f"{household_ids[h]:08d}" for h in frame["household"]],
            "続柄": frame["relationship"].to_numpy(),
            "電話番号": phones,
        }
    )
    register = pd.DataFrame(
        {
            "my_number": raw["個人番号"], "resident_code": raw["住民票コード"], "name": raw["氏名"],
            "name_kana": raw["氏名カナ"], "birth_date": pd.to_datetime(pd.Series(birth)).astype("datetime64[ms]"),
            "sex": raw["性別"], "address": raw["住所"],
            "town_name": towns["town_name"].to_numpy()[town_of_person], "town_code": raw["町丁目コード"],
            "household_id": raw["世帯番号"], "relationship": raw["続柄"], "phone": raw["電話番号"],
        }
    )
    raw, faults = inject_register_faults(rng, raw, towns, config.fault_rate)
    truth = ResidentsTruth(population=n_people, households=n_households, faults=faults, register=register)
    return raw, truth


def _multi_sizes(config: Residents) -> dict[str, float]:
    """Expected size of each household type with more than one member."""
    return {
        "couple": 2.0,
        "couple_children": 2.0 + config.mean_children,
        "single_parent": 1.0 + config.mean_children,
        "three_generation": 2.0 + config.mean_children + config.mean_elders_in_three_generation,
    }


def _household_types(rng: np.random.Generator, n_households: int, config: Residents) -> np.ndarray:
    """Type of each household; the single share solved so that E[size] == population / households."""
    target_size = config.population / config.households
    multi_sizes = _multi_sizes(config)
    m_rest = sum(_MULTI_TYPES[t] * multi_sizes[t] for t in _MULTI_TYPES) / sum(_MULTI_TYPES.values())
    p_single = (m_rest - target_size) / (m_rest - 1.0)
    type_names = ["single", *_MULTI_TYPES]
    type_probs = np.array([p_single, *[(1 - p_single) * s / sum(_MULTI_TYPES.values()) for s in _MULTI_TYPES.values()]])
    return rng.choice(type_names, size=n_households, p=type_probs)


def _household_towns(rng: np.random.Generator, towns: gpd.GeoDataFrame, n_households: int,
                     config: Residents) -> tuple[np.ndarray, np.ndarray]:
    """Town (row of ``towns``) of each household, and whether it is an ageing district or a 大字."""
    weights = town_weights(towns, config)
    town_index = rng.choice(len(towns), size=n_households, p=weights / weights.sum())
    ageing_bases = set(config.ageing_districts)
    # per town once, then gathered per household (a row lookup per household took seconds)
    town_ageing = np.array([(base in ageing_bases) or chome == 0
                            for base, chome in zip(towns["base_name"], towns["chome"], strict=True)], dtype=bool)
    is_ageing = town_ageing[town_index]
    return town_index, is_ageing


def _people(rng: np.random.Generator, household_type: np.ndarray, elder_p: np.ndarray,
            config: Residents) -> pd.DataFrame:
    """One row per person: household, age, sex, relationship, surname (name, kana) pair."""
    last_names = list(NameProvider.last_name_pairs)
    rows: list[tuple] = []
    for h in steps(range(len(household_type)), desc="世帯を生成", unit="世帯", min_interval=5.0):
        surname = last_names[int(rng.integers(0, len(last_names), size=1)[0])]
        elderly = rng.random() < elder_p[h]
        for age, sex, relation in _household_members(rng, household_type[h], elderly, config):
            rows.append((h, age, sex, relation, surname))
    return pd.DataFrame(rows, columns=["household", "age", "sex", "relationship", "surname"])


def _household_members(rng: np.random.Generator, kind: str, elderly: bool,
                       config: Residents) -> list[tuple[int, str, str]]:
    """(age, sex, relationship) of each member of one household of type ``kind``."""
    members: list[tuple[int, str, str]] = []
    if kind == "single":
        age = int(rng.integers(65, 96)) if elderly else int(rng.integers(19, 65))
        members.append((age, "男" if rng.random() < 0.48 else "女", "世帯主"))
    elif kind == "couple":
        age = int(rng.integers(65, 92)) if elderly else int(rng.integers(25, 65))
        members.append((age, "男", "世帯主"))
        members.append((int(np.clip(age - rng.integers(-2, 5), 20, 99)), "女", "妻"))
    elif kind in ("couple_children", "single_parent", "three_generation"):
        head_age = int(rng.integers(30, 67)) if kind != "three_generation" else int(rng.integers(40, 64))
        if kind == "single_parent":
            head_sex = "女" if rng.random() < 0.85 else "男"
            members.append((head_age, head_sex, "世帯主"))
        else:
            members.append((head_age, "男", "世帯主"))
            members.append((int(np.clip(head_age - rng.integers(-2, 5), 20, 99)), "女", "妻"))
        n_children = 1 + rng.poisson(config.mean_children - 1.0)
        for _ in range(n_children):
            child_age = int(rng.integers(0, max(1, head_age - 21)))
            members.append((child_age, "男" if rng.random() < 0.51 else "女", "子"))
        if kind == "three_generation":
            n_elders = 1 + rng.poisson(config.mean_elders_in_three_generation - 1.0)
            for k in range(min(n_elders, 2)):
                elder_age = int(np.clip(head_age + rng.integers(24, 34), 60, 100))
                father = k == 0 and n_elders > 1
                members.append((elder_age, "男" if father else "女", "父" if father else "母"))
    return members


def _person_names(rng: np.random.Generator, people: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Full names and kana: the household's surname and a given name by sex (Faker's ja_JP lists)."""
    male_names = list(NameProvider.first_name_male_pairs)
    female_names = list(NameProvider.first_name_female_pairs)
    firsts = []
    for sex in people["sex"]:
        pairs = male_names if sex == "男" else female_names
        firsts.append(pairs[int(rng.integers(0, len(pairs), size=1)[0])])
    name = [f"{sn[0]} {fn[0]}" for sn, fn in zip(people["surname"], firsts, strict=True)]
    kana = [f"{sn[1]} {fn[1]}" for sn, fn in zip(people["surname"], firsts, strict=True)]
    return name, kana


def _addresses(rng: np.random.Generator, towns: gpd.GeoDataFrame, town_index: np.ndarray) -> list[str]:
    """Address per household: 番 / 号 in 丁目 towns, 番地 in 大字."""
    n_households = len(town_index)
    ban = rng.integers(1, 40, size=n_households)
    go = rng.integers(1, 30, size=n_households)
    chiban = rng.integers(1, 2500, size=n_households)
    chome = towns["chome"].tolist()
    town_name = towns["town_name"].tolist()
    addresses = []
    for h in range(n_households):
        t = int(town_index[h])
        if chome[t] > 0:
            addresses.append(f"福岡県古賀市{town_name[t]}{ban[h]}番{go[h]}号")
        else:
            addresses.append(f"福岡県古賀市{town_name[t]}{chiban[h]}番地")
    return addresses


def _phones(rng: np.random.Generator, people: pd.DataFrame, n_households: int, config: Residents) -> list[str]:
    """A mobile number for some adults, else the household's landline if it has one, else blank."""
    landline = rng.random(n_households) < config.landline_share
    landline_numbers = [f"092-94{rng.integers(0, 10)}-{rng.integers(0, 10000):04d}" for _ in range(n_households)]
    phones = []
    for h, age in zip(people["household"], people["age"], strict=True):
        if age >= 16 and rng.random() < config.mobile_share_adults:
            phones.append(f"0{rng.choice([70, 80, 90])}-{rng.integers(0, 10000):04d}-{rng.integers(0, 10000):04d}")
        elif landline[h]:
            phones.append(landline_numbers[h])
        else:
            phones.append("")
    return phones


def _to_fullwidth_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))


def inject_register_faults(
    rng: np.random.Generator, raw: pd.DataFrame, towns: gpd.GeoDataFrame, rate: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Plant the faults a real core-system export shows, at ``rate`` per kind.

    Kinds: fullwidth_digits and stray_spaces (fixable: ingest must normalise them),
    unknown_town, impossible_date and duplicate_row (bad records: ingest must quarantine).
    Returns the faulty export and a log (line in the CSV file, kind, column, expected).
    """
    raw = raw.copy()
    n = len(raw)
    k = max(1, int(round(n * rate)))
    chosen = rng.choice(n, size=min(n, 4 * k), replace=False)
    groups = np.array_split(chosen, 4)
    log = []
    for i in groups[0]:
        raw.at[i, "住所"] = _to_fullwidth_digits(raw.at[i, "住所"])
        log.append((i, "fullwidth_digits", "住所", "normalise"))
    for i in groups[1]:
        raw.at[i, "氏名"] = "　" + raw.at[i, "氏名"].replace(" ", "　　") + " "
        log.append((i, "stray_spaces", "氏名", "normalise"))
    for i in groups[2]:
        fake_town = str(rng.choice(["幻町", "新古賀台", "東美明"])) + "一丁目"
        raw.at[i, "住所"] = f"福岡県古賀市{fake_town}{rng.integers(1, 30)}番{rng.integers(1, 20)}号"
        raw.at[i, "町丁目コード"] = ""
        log.append((i, "unknown_town", "住所", "quarantine"))
    for i in groups[3]:
        impossible = ["平成31年2月30日", "昭和64年3月1日", "令和2年13月1日", "昭和50年4月31日"]
        raw.at[i, "生年月日"] = str(rng.choice(impossible))
        log.append((i, "impossible_date", "生年月日", "quarantine"))
    faults = pd.DataFrame(log, columns=["row", "kind", "column", "expected"])
    # Duplicates: exact copies inserted right after their original.
    dup_rows = rng.choice(n, size=k, replace=False)
    dup_set = set(int(d) for d in dup_rows)
    order = []
    dup_log = []
    for i in range(n):
        order.append(i)
        if i in dup_set:
            order.append(i)
            dup_log.append((len(order) - 1, "duplicate_row", "", "quarantine"))
    out = raw.iloc[order].reset_index(drop=True)
    # Map planted rows (positions before duplication) to their final positions.
    position = {}
    seen = set()
    for pos, i in enumerate(order):
        if i not in seen:
            position[i] = pos
            seen.add(i)
    faults["row"] = faults["row"].map(position)
    faults = pd.concat([faults, pd.DataFrame(dup_log, columns=faults.columns)], ignore_index=True)
    faults["line"] = faults["row"] + 2  # header is line 1
    return out, faults.sort_values(["line", "kind"]).reset_index(drop=True)[["line", "kind", "column", "expected"]]
