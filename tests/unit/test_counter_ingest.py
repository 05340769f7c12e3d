"""The counter tables' contracts: a reception log that is not a queue, or a bad household row, is quarantined
with its line and reason (rows in = rows out + quarantined), and no name reaches a reason."""

from __future__ import annotations

import pytest

from kogadx.ingest.contracts import CONTRACTS
from kogadx.ingest.core import ingest_table
from tests.counter_fixtures import tiny_counter_world


@pytest.fixture(scope="module")
def raw():
    households, _, _ = tiny_counter_world(n_households=60, years=(2024,))
    return households


def _log_rows():
    import datetime as dt

    from kogadx.rng import stream_rng
    from kogadx.synth.counter import generate_counter
    from kogadx.synth.params import CounterSynth
    from kogadx.synth.survey import toy_register, toy_towns

    register = toy_register(stream_rng(1, "r"), toy_towns({"日吉": 2}), 400)
    _, log, _ = generate_counter(stream_rng(1, "c"), register, CounterSynth(n_households=60, years=(2024,)), 1.0,
                                 dt.date(2024, 2, 29))
    return log


def test_a_visit_called_before_it_arrived_is_quarantined():
    log = _log_rows()
    log.loc[3, "呼出日時"] = "2024-08-05 08:00:00"
    log.loc[5, "終了日時"] = "2024-08-01 09:00:00"
    result = ingest_table(log, CONTRACTS["counter_log"], source="counter/reception_log.csv")
    assert result.rows_in == len(log) == len(result.valid) + result.rows_quarantined
    reasons = dict(zip(result.quarantine["line"], result.quarantine["reason"], strict=True))
    assert "呼出が到着より前です" in reasons[5] and "終了が呼出より前です" in reasons[7]


def test_a_bad_household_row_is_quarantined_without_its_name(raw):
    bad = raw.copy()
    bad.loc[2, "子どもの数"] = "-1"
    bad.loc[4, "就労形態"] = "会社員"
    result = ingest_table(bad, CONTRACTS["counter_households"], source="counter/households.csv")
    assert result.rows_in == len(bad) == len(result.valid) + result.rows_quarantined
    assert set(result.quarantine["line"]) == {4, 6}
    assert not any(name in reason for name in bad["氏名"] for reason in result.quarantine["reason"])
