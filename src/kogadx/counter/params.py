"""Params of the ``counter`` stage (section ``counter`` of params.yaml), checked at load."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from kogadx.params import section

Share = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]


@section
class CounterScenario:
    """One way to run the counter week.

    ``online_uptake``: share of households that submit the three other documents online before
    coming (their visit is shortened by ``counter.online_saving``); ``venue_days``: days of the
    venue (the week's visitors spread over them); ``appointment_share``: share of the venue's
    visitors who book a slot in ``appointment_hours`` (arriving evenly spaced, not at random).
    """

    name: str
    online_uptake: Share = 0.0
    venue_days: Annotated[int, Field(ge=1, le=15)] = 5
    appointment_share: Share = 0.0
    appointment_hours: tuple[Annotated[int, Field(ge=0, le=24)], Annotated[int, Field(ge=0, le=24)]] = (13, 16)


@section
class CounterParams:
    """Section ``counter``: forecast, queue and staffing of the 現況届 counter week (issue #22)."""

    SECTION: ClassVar[str] = "counter"

    seed: int
    target_year: Annotated[int, Field(ge=2000, le=2100)] = 2025
    target_households: Annotated[int, Field(ge=0)] | None = None  # None: the households table's count
    venue_days: Annotated[int, Field(ge=1, le=15)] = 5  # of the past years' venues
    open_hours: tuple[Annotated[int, Field(ge=0, le=24)], Annotated[int, Field(ge=0, le=24)]] = (9, 17)
    interval_level: Annotated[float, Field(gt=0, lt=1)] = 0.8
    backtest_years: Annotated[int, Field(ge=1)] = 2  # the last this many past years, each on the earlier ones
    wait_target_min: Positive = 15.0  # the 90th-percentile wait to keep
    wait_quantile: Annotated[float, Field(gt=0, lt=1)] = 0.9
    online_saving: Share = 0.4  # UNCONFIRMED: share of a visit's minutes saved by documents sent online
    staff_per_counter: Positive = 1.0
    max_counters: Annotated[int, Field(ge=1)] = 20
    replications: Annotated[int, Field(ge=1)] = 20  # simulated weeks per scenario
    scenarios: tuple[CounterScenario, ...] = (
        CounterScenario(name="オンライン 0 %"),
        CounterScenario(name="オンライン 30 %", online_uptake=0.3),
        CounterScenario(name="オンライン 60 %", online_uptake=0.6),
        CounterScenario(name="会場 2 週間 (オンライン 30 %)", online_uptake=0.3, venue_days=10),
        CounterScenario(name="午前は予約制 (オンライン 30 %)", online_uptake=0.3, appointment_share=0.3,
                        appointment_hours=(9, 12)),
    )
