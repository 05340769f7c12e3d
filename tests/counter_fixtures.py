"""A tiny 現況届 world for the counter tests: households and past logs, as the privacy stage hands them over."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kogadx.rng import stream_rng
from kogadx.synth.counter import HOUSEHOLD_HEADERS, LOG_HEADERS, generate_counter
from kogadx.synth.params import CounterSynth
from kogadx.synth.survey import toy_register, toy_towns


def tiny_counter_world(n_households: int = 120, years: tuple[int, ...] = (2021, 2022, 2023, 2024),
                       seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(raw households, raw log, pseudonymized-like households, pseudonymized-like log) minus the raw log."""
    towns = toy_towns({"花鶴丘": 2, "日吉": 2})
    register = toy_register(stream_rng(seed, "register"), towns, 2_000)
    config = CounterSynth(n_households=n_households, years=years)
    raw_h, raw_log, _ = generate_counter(stream_rng(seed, "counter"), register, config, 1.0, dt.date(2024, 2, 29))
    return raw_h, *pseudonymized_like(raw_h, raw_log)


def pseudonymized_like(raw_h: pd.DataFrame, raw_log: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the pseudonymize stage writes: canonical names, contact columns deleted, ids replaced."""
    h = raw_h.rename(columns={v: k for k, v in HOUSEHOLD_HEADERS.items()})
    ids = {c: f"C{i:05d}" for i, c in enumerate(h["case_number"])}
    h = h.drop(columns=["name", "phone"]).assign(
        case_number=h["case_number"].map(ids), resident_code=[f"P{i:05d}" for i in range(len(h))])
    h = h.rename(columns={"resident_code": "person_id"})
    log = raw_log.rename(columns={v: k for k, v in LOG_HEADERS.items()})
    log = log.assign(case_number=log["case_number"].map(ids), year=log["year"].astype(int),
                     counter=log["counter"].astype(int),
                     **{c: pd.to_datetime(log[c]).dt.floor("min") for c in ("arrived_at", "called_at", "ended_at")})
    return h, log
