"""The next-period forecast uses the calendar it knows in advance (holidays, service hours)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kogadx.demand.features import next_period_calendar, service_calendar
from kogadx.demand.forecast import extend_future
from kogadx.demand.lags import GROUP, TIME, PanelSpec, prepare_panel
from kogadx.demand.params import FeaturesParams

FEATURES = FeaturesParams(start="2024-10-01", end="2024-10-13", weekday_hours=(9, 17), weekend_hours=(8, 18),
                          school_holiday_end="08-19", school_holiday_days=25, event_dates=())


def _panel(last_day: str) -> pd.DataFrame:
    """Two zones, two weeks of hourly counts ending on ``last_day`` with calendar columns."""
    cal = service_calendar(pd.Timestamp(last_day) - pd.Timedelta(days=13), last_day)
    rng = np.random.default_rng(1)
    frames = [cal.assign(zone=z, y=rng.poisson(1.0, len(cal)) * cal["in_service"]) for z in ("A", "B")]
    return pd.concat(frames, ignore_index=True)


def test_next_period_calendar_covers_the_following_hours_with_the_holiday():
    # 2024-10-14 is スポーツの日 (a Monday national holiday): weekend hours 8–18
    cal = next_period_calendar("2024-10-13 23:00", 48, FEATURES)
    assert len(cal) == 48 and cal["time"].iloc[0] == pd.Timestamp("2024-10-14 00:00")
    monday = cal[cal["time"].dt.day == 14]
    assert set(monday["is_holiday"]) == {1} and set(monday["day_type"]) == {"土日祝"}
    assert monday.loc[monday["in_service"] == 1, "hour"].tolist() == list(range(8, 18))
    tuesday = cal[cal["time"].dt.day == 15]
    assert set(tuesday["is_holiday"]) == {0}
    assert tuesday.loc[tuesday["in_service"] == 1, "hour"].tolist() == list(range(9, 17))


def test_extend_future_takes_known_calendar_instead_of_last_weeks_copy():
    frame = _panel("2024-10-13")  # the next day is the holiday
    panel = prepare_panel(frame, PanelSpec("time", "y", group_col="zone", freq="h"))
    naive = extend_future(panel, 24)
    known = extend_future(panel, 24, next_period_calendar("2024-10-13 23:00", 24, FEATURES))
    nxt = pd.Timestamp("2024-10-14")
    for out in (naive, known):
        assert len(out) == len(panel.frame) + 2 * 24
        assert out.loc[out[TIME] >= nxt, "y"].isna().all()
        # the past is untouched
        pd.testing.assert_frame_equal(out[out[TIME] < nxt].reset_index(drop=True),
                                      panel.frame.reset_index(drop=True), check_dtype=False)
    a_naive = naive[(naive[GROUP] == "A") & (naive[TIME] >= nxt)]
    a_known = known[(known[GROUP] == "A") & (known[TIME] >= nxt)]
    # last week's Monday (Oct 7) was a working day: the copy says so, the calendar knows better
    assert set(a_naive["is_holiday"]) == {0} and a_naive.loc[a_naive["in_service"] == 1, "hour"].min() == 9
    assert set(a_known["is_holiday"]) == {1} and a_known.loc[a_known["in_service"] == 1, "hour"].min() == 8
    assert set(a_known["day_type"].astype(str)) == {"土日祝"}
    assert a_known["day_type"].dtype == panel.frame["day_type"].dtype
    assert a_known["is_holiday"].dtype == panel.frame["is_holiday"].dtype
