"""How numbers and dates read on a report page: money, percentages, counts, dates."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import pandas as pd

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "AUD": "A$",
    "CAD": "C$",
    "NZD": "NZ$",
    "JPY": "¥",
    "INR": "₹",
}


def _missing(value: object) -> bool:
    try:
        return (
            value is None
            or bool(pd.isna(value))
            or (isinstance(value, float) and math.isinf(value))
        )
    except (TypeError, ValueError):
        return False


def money(value: object, currency: str = "USD", compact: bool = False) -> str:
    """$1,234,567 (or $1.2M when compact: k, M, bn); cents below 100 ($0.45, not $0); never
    "-$0"; blank for a missing value."""
    if _missing(value):
        return ""
    amount = float(value)
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    size = abs(amount)
    if compact:
        for limit, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
            if round(size / limit, 1) >= 1:
                shown = f"{size / limit:,.1f}{suffix}"
                break
        else:
            shown = _small(size)
    else:
        shown = f"{size:,.0f}" if size >= 100 else _small(size)
    sign = "-" if amount < 0 and shown.strip("0.,") else ""
    return f"{sign}{symbol}{shown}"


def _small(size: float) -> str:
    """An amount under 100 (or under a thousand, compact): cents only where it has them."""
    whole = round(size)
    return f"{whole:,}" if abs(size - whole) < 0.005 else f"{size:,.2f}"


def cut(text: str, limit: int) -> str:
    """Text of at most limit characters: a longer one ends in '…' (a page never carries a
    megabyte name)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def percent(value: object, digits: int = 1) -> str:
    """A percentage given on the 0-100 scale: 85.9 -> '85.9%'."""
    return "" if _missing(value) else f"{float(value):.{digits}f}%"


def share(value: object, digits: int = 0) -> str:
    """A fraction as a percentage: 0.934 -> '93%'."""
    return "" if _missing(value) else f"{100 * float(value):.{digits}f}%"


def days(value: object) -> str:
    return "" if _missing(value) else f"{float(value):,.0f} days"


def ratio(value: object) -> str:
    """An index such as CPI: two decimals, blank when undefined."""
    return "" if _missing(value) else f"{float(value) + 0.0:.2f}"  # + 0.0 turns -0.0 into 0.0


def count(value: object) -> str:
    return "" if _missing(value) else f"{int(value):,}"


def signed(value: object) -> str:
    """A change with its direction: +3, −2, 0."""
    if _missing(value):
        return ""
    number = int(value)
    return f"+{number:,}" if number > 0 else (f"−{abs(number):,}" if number < 0 else "0")


def date(value: object) -> str:
    """31 Oct 2026: unambiguous for every reader."""
    return "" if _missing(value) else pd.Timestamp(value).strftime("%d %b %Y")


def month(value: object) -> str:
    """Oct 2026: for monthly periods."""
    return "" if _missing(value) else pd.Timestamp(value).strftime("%b %Y")


def timestamp(value: object) -> str:
    return "" if _missing(value) else pd.Timestamp(value).strftime("%d %b %Y %H:%M")


def each_once(function: Callable[[object], str | None], values: Iterable) -> list:
    """function of each value; of a text or a date once (a page table's dates, or a data-quality
    check's, repeat a few hundred dates over 40,000 rows at 100x). A date is known with its time
    zone (one instant reads apart in two zones); numbers are formatted each (0.0 and -0.0 are
    equal keys, and a format may tell them apart)."""
    done: dict = {}
    out = []
    for value in values:
        kind = type(value)
        if kind is str or kind is pd.Timestamp:
            key = (value, value.tzinfo) if kind is pd.Timestamp else value
            text = done.get(key, _NONE)
            if text is _NONE:
                text = done[key] = function(value)
        else:
            text = function(value)
        out.append(text)
    return out


_NONE = object()
