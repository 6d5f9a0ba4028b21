"""The organisation's levels under the function: portfolio › sub-portfolio › program › project.

A name is unique only under its parent (two portfolios may each have a "Data Platform"
sub-portfolio), so every group-by uses the full key down to its level, and a label carries the
parent's name wherever the bare name would be ambiguous.
"""

from __future__ import annotations

import re

import pandas as pd

LEVELS = ["portfolio", "sub_portfolio", "program"]
NO_NAME = {
    "portfolio": "(no portfolio)",
    "sub_portfolio": "(no sub-portfolio)",
    "program": "(no program)",
}
SEPARATOR = " › "


def key(level: str) -> list[str]:
    """The columns that identify a group at this level: the level and every level above it."""
    return LEVELS[: LEVELS.index(level) + 1]


def named(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    """The frame with blank names in the key of this level shown as "(no …)" (a group-by would
    drop blank keys, and with them rows)."""
    columns = key(level)
    return frame.assign(**{c: frame[c].astype(object).fillna(NO_NAME[c]) for c in columns})


def labels(frame: pd.DataFrame, level: str) -> pd.Series:
    """Each row's name at this level, with its parents' names before it where the same name
    sits under more than one parent in the frame ("Cloud › Data Platform")."""
    columns = key(level)
    frame = named(frame, level)
    out = frame[level].astype(str)
    if len(columns) == 1 or frame.empty:
        return out
    parents = frame[columns[0]].astype(str)
    for column in columns[1:-1]:  # joined a column at a time: a row at a time took 0.45 s at 100x
        parents = parents + SEPARATOR + frame[column].astype(str)
    ambiguous = parents.groupby(out).transform("nunique") > 1
    return out.where(~ambiguous, parents + SEPARATOR + out)


def natural_key(values: pd.Series) -> pd.Series:
    """A sort key that orders IDs as people read them: PRJ-2 before PRJ-10, 10 before 100."""

    def one(value: object) -> tuple:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ((2, ""),)
        parts = re.split(r"(\d+)", str(value).casefold())
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p != "")

    return values.map(one)


def sort_naturally(
    frame: pd.DataFrame, by: list[str] | str, ascending: bool | list[bool] = True
) -> pd.DataFrame:
    """frame.sort_values, with ID columns (…_id, and record_id) in natural order."""

    def key(column: pd.Series) -> pd.Series:
        return natural_key(column) if str(column.name).endswith("_id") else column

    return frame.sort_values(by, ascending=ascending, key=key, kind="stable")
