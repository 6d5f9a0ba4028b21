"""Calendar rules shared by every report: closed months and fiscal years."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


def month_start(day: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(year=day.year, month=day.month, day=1)


def month_end(period: pd.Series) -> pd.Series:
    """The last day of each period's month."""
    return period + pd.offsets.MonthEnd(0)


def is_closed_month(period: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """A month is closed when its last day is on or before as_of: its actuals are booked."""
    return month_end(period) <= as_of


def last_closed_month(as_of: pd.Timestamp) -> pd.Timestamp:
    """The first day of the last month closed on as_of (see is_closed_month): as_of's own month
    when as_of is its last day (31 Oct -> 1 Oct), else the month before (30 Oct -> 1 Sep)."""
    return month_start(as_of + pd.Timedelta(days=1)) - pd.DateOffset(months=1)


@dataclass(frozen=True)
class FiscalYear:
    """The fiscal year containing a date: named by the calendar year in which it ends."""

    name: str  # e.g. FY2027
    start: pd.Timestamp  # first day of its first month
    end: pd.Timestamp  # last day of its last month

    def months(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=12, freq="MS")


def fiscal_year(day: pd.Timestamp, start_month: int) -> FiscalYear:
    """FY2027 with start month 4 runs 1 Apr 2026 - 31 Mar 2027; with start month 1 it is 2027."""
    day = pd.Timestamp(day)
    first_year = day.year if day.month >= start_month else day.year - 1
    start = pd.Timestamp(year=first_year, month=start_month, day=1)
    end = start + pd.DateOffset(years=1) - pd.Timedelta(days=1)
    return FiscalYear(f"FY{end.year}", start, end)
