"""Calendar rules shared by every report: closed months (and, later, fiscal years)."""

from __future__ import annotations

import pandas as pd


def month_end(period: pd.Series) -> pd.Series:
    """The last day of each period's month."""
    return period + pd.offsets.MonthEnd(0)


def is_closed_month(period: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """A month is closed when its last day is on or before as_of: its actuals are booked."""
    return month_end(period) <= as_of
