"""The August calendar of the 現況届: the joint venue week and the rest of August's weekdays.

The venue opens on the first Monday on or after ``venue_start_day`` August (DOMAIN.md §10: one
week in August); it runs ``venue_days`` weekdays in a row. The rest of August's weekdays
(public holidays excluded, e.g. 山の日) are served at the ordinary counter.
"""

from __future__ import annotations

import datetime as dt

import holidays


def venue_dates(year: int, venue_days: int, venue_start_day: int = 1) -> list[dt.date]:
    """The venue's days: ``venue_days`` weekdays (holidays skipped) from the first Monday."""
    day = dt.date(year, 8, venue_start_day)
    while day.weekday() != 0:
        day += dt.timedelta(days=1)
    off = holidays.country_holidays("JP", years=year)
    days: list[dt.date] = []
    while len(days) < venue_days:
        if day.weekday() < 5 and day not in off:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def rest_of_august(year: int, venue: list[dt.date]) -> list[dt.date]:
    """Weekdays of August that are neither holidays nor venue days (the ordinary counter)."""
    off = holidays.country_holidays("JP", years=year)
    taken = set(venue)
    return [d for d in (dt.date(year, 8, k) for k in range(1, 32))
            if d.weekday() < 5 and d not in off and d not in taken]


def day_slots(year: int, venue_days: int, venue_start_day: int = 1) -> list[tuple[dt.date, str, int]]:
    """Every counter day of August in order: (date, ``venue`` | ``regular``, position in its part)."""
    venue = venue_dates(year, venue_days, venue_start_day)
    rest = rest_of_august(year, venue)
    return [(d, "venue", k) for k, d in enumerate(venue)] + [(d, "regular", k) for k, d in enumerate(rest)]
