"""Synthetic 現況届 households and their past reception logs (issue #22).

Households (secure zone): an applicant drawn from the register (住民票コード, 氏名, 電話番号),
their town, and what drives when they come and how long the visit takes: working pattern,
number of children, a change since last year, documents missing, online pre-submission.

The reception log of each past year is made by actually serving the households: each chooses
the venue week (``venue_share``) or a later weekday, a day and an hour from its working pattern,
and is then served first come, first served at the day's counters by
:func:`kogadx.counter.queue.serve`. Call and end times are therefore those of a real queue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kogadx.counter.calendar import day_slots
from kogadx.counter.queue import serve
from kogadx.synth.params import CounterSynth

# Arrival-hour weights 9:00 … 16:00 by working pattern (UNCONFIRMED): full-time workers come at
# lunch or after work, part-timers around their shifts, others in the morning.
HOUR_PROFILES: dict[str, tuple[float, ...]] = {
    "正規": (0.5, 0.4, 0.4, 1.7, 0.5, 0.5, 1.0, 1.9),
    "パート": (0.8, 1.2, 1.2, 0.7, 1.2, 1.2, 0.9, 0.6),
    "自営": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "無職": (1.2, 1.4, 1.3, 0.6, 1.0, 1.0, 0.8, 0.5),
}
HOUSEHOLD_HEADERS = {"case_number": "受給者番号", "resident_code": "住民票コード", "name": "氏名", "phone": "電話番号",
                     "town_code": "町丁目コード", "town_name": "町丁目", "work": "就労形態", "children": "子どもの数",
                     "change": "前年からの変更", "missing_docs": "不足書類数", "online": "事前オンライン提出"}
LOG_HEADERS = {"reception_id": "受付番号", "case_number": "受給者番号", "year": "年度", "venue": "会場",
               "arrived_at": "到着日時", "called_at": "呼出日時", "ended_at": "終了日時", "case_type": "案件種別",
               "counter": "窓口番号"}
VENUE_LABELS = {"venue": "特設会場", "regular": "通常窓口"}


@dataclass(frozen=True)
class CounterTruth:
    """What the generator intended: per-visit service minutes before rounding, per year."""

    visits: pd.DataFrame


def _hour_profile(hours: int, work: str) -> np.ndarray:
    base = np.asarray(HOUR_PROFILES[work], dtype=float)
    # Other opening hours: stretch the 8-hour profile over them.
    profile = np.interp(np.linspace(0, len(base) - 1, hours), np.arange(len(base)), base)
    return profile / profile.sum()


def generate_households(rng: np.random.Generator, register: pd.DataFrame, n: int, config: CounterSynth,
                        reference: dt.date) -> pd.DataFrame:
    """The households in canonical columns (applicants are adults 20–55 of distinct households)."""
    birth = pd.Series(pd.to_datetime(register["birth_date"]))
    age = reference.year - birth.dt.year - ((birth.dt.month * 100 + birth.dt.day)
                                            > reference.month * 100 + reference.day)
    household = "household_id" if "household_id" in register.columns else "resident_code"
    adults = register[(age >= 20) & (age <= 55)].drop_duplicates(household)
    pick = adults.iloc[np.sort(rng.choice(len(adults), size=min(n, len(adults)), replace=False))]
    m = len(pick)
    works = list(config.work_shares)
    shares = np.asarray([config.work_shares[w] for w in works], dtype=float)
    return pd.DataFrame({
        "case_number": [f"J{100001 + k}" for k in range(m)],
        "resident_code": pick["resident_code"].to_numpy(), "name": pick["name"].to_numpy(),
        "phone": pick["phone"].to_numpy(), "town_code": pick["town_code"].to_numpy(),
        "town_name": pick["town_name"].to_numpy(),
        "work": rng.choice(works, size=m, p=shares / shares.sum()),
        "children": 1 + rng.poisson(config.mean_children - 1.0, m),
        "change": np.where(rng.random(m) < config.change_share, "有", "無"),
        "missing_docs": rng.poisson(config.missing_doc_rate, m),
        "online": np.where(rng.random(m) < config.online_share, "有", "無"),
    })


def service_minutes(rng: np.random.Generator, changed: np.ndarray, missing: np.ndarray, children: np.ndarray,
                    config: CounterSynth) -> np.ndarray:
    """Service minutes of visits: lognormal around the drivers' mean (mean preserved)."""
    mean = (config.service_base_min + config.service_per_change_min * changed
            + config.service_per_missing_doc_min * missing + config.service_per_child_min * (children - 1))
    sigma = config.service_sigma
    return mean * rng.lognormal(-sigma**2 / 2, sigma, len(mean))


def case_types(changed: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """案件種別 as the counter records it."""
    return np.where(changed > 0, "変更あり", np.where(missing > 0, "書類不足", "変更なし"))


def _year_visits(rng: np.random.Generator, households: pd.DataFrame, year: int, config: CounterSynth) -> pd.DataFrame:
    """One past year's visits: who comes, on which day and minute, with what service time."""
    n_year = max(1, round(len(households) * (1 + config.yearly_change) ** (year - max(config.years) - 1)))
    who = households.iloc[np.sort(rng.choice(len(households), size=min(n_year, len(households)), replace=False))]
    slots = day_slots(year, config.venue_days)
    venue_idx = [i for i, s in enumerate(slots) if s[1] == "venue"]
    regular_idx = [i for i, s in enumerate(slots) if s[1] == "regular"]
    weights = np.resize(np.asarray(config.venue_day_weights, dtype=float), len(venue_idx))
    m = len(who)
    at_venue = rng.random(m) < config.venue_share
    day = np.where(at_venue, rng.choice(venue_idx, size=m, p=weights / weights.sum()),
                   rng.choice(regular_idx, size=m) if regular_idx else venue_idx[-1])
    first, last = config.open_hours
    hours = last - first
    hour = np.array([rng.choice(hours, p=_hour_profile(hours, w)) for w in who["work"]])
    minute = hour * 60 + rng.uniform(0, 60, m)
    # This year's circumstances are drawn afresh at the household's rates (the table is this year's).
    changed = (rng.random(m) < config.change_share).astype(int)
    missing = rng.poisson(config.missing_doc_rate, m)
    service = service_minutes(rng, changed, missing, who["children"].to_numpy(), config)
    return pd.DataFrame({"case_number": who["case_number"].to_numpy(), "year": year, "slot": day,
                         "date": [slots[d][0] for d in day], "venue": [slots[d][1] for d in day],
                         "minute": minute, "service": service, "case_type": case_types(changed, missing)})


def generate_counter(rng: np.random.Generator, register: pd.DataFrame, config: CounterSynth,
                     scale: float, reference: dt.date) -> tuple[pd.DataFrame, pd.DataFrame, CounterTruth]:
    """Raw households and reception-log exports (Japanese headers, text) and the truth."""
    households = generate_households(rng, register, max(60, round(config.n_households * scale)), config, reference)
    visits = pd.concat([_year_visits(rng, households, y, config) for y in config.years], ignore_index=True)
    first = config.open_hours[0]
    parts = []
    for (_, venue), day in visits.groupby(["date", "venue"], sort=True):
        counters = config.venue_counters if venue == "venue" else config.regular_counters
        start, counter = serve(day["minute"].to_numpy(), day["service"].to_numpy(), servers=counters)
        parts.append(day.assign(start=start, counter=counter))
    served = pd.concat(parts).sort_values(["date", "minute"], kind="stable").reset_index(drop=True)
    base = pd.to_datetime(served["date"]) + pd.Timedelta(hours=first)

    def stamp(minutes: pd.Series) -> pd.Series:
        return (base + pd.to_timedelta(minutes.round(2), unit="min")).dt.floor("s").dt.strftime("%Y-%m-%d %H:%M:%S")

    log = pd.DataFrame({
        "reception_id": [f"U{k + 1:06d}" for k in range(len(served))], "case_number": served["case_number"],
        "year": served["year"].astype(str), "venue": served["venue"].map(VENUE_LABELS),
        "arrived_at": stamp(served["minute"]), "called_at": stamp(served["start"]),
        "ended_at": stamp(served["start"] + served["service"]), "case_type": served["case_type"],
        "counter": served["counter"].astype(str),
    })
    raw_households = households.assign(children=households["children"].astype(str),
                                       missing_docs=households["missing_docs"].astype(str))
    return (raw_households.rename(columns=HOUSEHOLD_HEADERS), log.rename(columns=LOG_HEADERS),
            CounterTruth(served))
