"""The ingest log: every source row an ingest left out and every cell it blanked, per snapshot.

A mapped ingest (pmo_lib.mapping) may load a snapshot without some of its source rows
(bad_rows: skip) or with some cells blanked (bad_cells: blank). Nothing of that is silent: each
is one entry of the snapshot's log, stored beside it (pmo_lib.store, table ingest_log) so that
a report can say what its numbers leave out. The native ingest is all-or-nothing: its log is
empty.

One entry per finding, every value as text:

- table:     the canonical table the row was meant for (projects, financials, ...)
- file:      the source file, as named in the folder
- row:       the row as the file numbers it (header = row 1)
- column:    the source column of the finding (for an orphan, the canonical reference column)
- value:     the cell as found, str(value)
- action:    "row left out" or "cell blanked"
- cause:     "bad cell" (did not convert, or broke a rule of the model), "orphan" (names a
             project / demand / resource its table does not hold, e.g. because that row was
             left out: `expected` says so), "duplicate key", "blank required"
- expected:  what a valid value looks like
- portfolio: the row's portfolio when known (its own, or its project's, demand's or
             resource's), else blank

A row left out for two reasons has two entries; summary() counts it once, under its first.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pmo_lib.errors import Problem

COLUMNS = ("table", "file", "row", "column", "value", "action", "cause", "expected", "portfolio")
ROW_LEFT_OUT = "row left out"
CELL_BLANKED = "cell blanked"
ACTIONS = (ROW_LEFT_OUT, CELL_BLANKED)
CAUSES = ("bad cell", "orphan", "duplicate key", "blank required")
DTYPES = {**dict.fromkeys(COLUMNS, "str"), "row": "Int64"}


def empty() -> pd.DataFrame:
    """A log with no entries (the columns, typed)."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in DTYPES.items()})


def from_problems(
    problems: Iterable[Problem],
    table: str,
    portfolios: Iterable[str | None] | None = None,
    action: str | None = None,
) -> pd.DataFrame:
    """Log entries for these findings about rows of table. portfolios: each problem's row's
    portfolio (None = unknown); action: the same for all, else each problem's own (a blanked
    problem's cell was blanked, any other left its row out)."""
    problems = list(problems)
    portfolios = list(portfolios) if portfolios is not None else [None] * len(problems)
    if len(portfolios) != len(problems):
        raise ValueError("one portfolio per problem")
    if action is not None and action not in ACTIONS:
        raise ValueError(f"action: expected one of {', '.join(ACTIONS)}")
    rows = [
        {
            "table": table,
            "file": p.file,
            "row": p.row,
            "column": p.column,
            "value": "" if p.value is None else str(p.value),
            "action": action or (CELL_BLANKED if p.blanked else ROW_LEFT_OUT),
            "cause": p.cause,
            "expected": p.expected,
            "portfolio": portfolio,
        }
        for p, portfolio in zip(problems, portfolios, strict=True)
    ]
    if not rows:
        return empty()
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(DTYPES)


def concat(logs: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Several logs as one, entries in order, each listed once."""
    logs = [log for log in logs if len(log)]
    if not logs:
        return empty()
    return pd.concat(logs, ignore_index=True).drop_duplicates(ignore_index=True).astype(DTYPES)


def summary(log: pd.DataFrame | None, portfolio: str | None = None) -> dict:
    """{"rows_left_out": int, "cells_blanked": int, "by_cause": {cause: rows left out}}.

    Rows are source rows (file and row: a row that fed two tables and was left out of both
    counts once, as does an unpivoted row); each counts under the cause of its first entry, so
    by_cause adds up to rows_left_out (causes without rows are absent). Cells
    blanked are always cause "bad cell". portfolio: only the entries of rows of that portfolio;
    None = the whole function.
    """
    log = scoped(log, portfolio)
    # a source row is counted once, however many tables it fed (a Jira row feeds demand and
    # its stage history): "1,662 source rows left out", not 3,324
    out = log[log["action"] == ROW_LEFT_OUT].drop_duplicates(["file", "row"])
    blanked = log[log["action"] == CELL_BLANKED].drop_duplicates(["table", "file", "row", "column"])
    counts = out["cause"].value_counts()
    order = [c for c in CAUSES if c in counts.index] + sorted(set(counts.index) - set(CAUSES))
    return {
        "rows_left_out": len(out),
        "cells_blanked": len(blanked),
        "by_cause": {cause: int(counts[cause]) for cause in order},
    }


def scoped(log: pd.DataFrame | None, portfolio: str | None = None) -> pd.DataFrame:
    """The entries about rows of this portfolio (None: all of them; no log: none)."""
    if log is None:
        return empty()
    if portfolio is None:
        return log
    return log[log["portfolio"].eq(portfolio).fillna(False).to_numpy(dtype=bool)]


def by_cause(log: pd.DataFrame | None) -> pd.DataFrame:
    """Entries counted per action, cause and table: columns action, cause, table, entries."""
    log = empty() if log is None else log
    counts = log.groupby(["action", "cause", "table"]).size().rename("entries").reset_index()
    rank = {v: i for i, v in enumerate((*ACTIONS, *CAUSES))}
    order = counts[["action", "cause"]].map(lambda v: rank.get(v, len(rank)))
    counts = counts.assign(_a=order["action"], _c=order["cause"])
    counts = counts.sort_values(["_a", "_c", "table"]).drop(columns=["_a", "_c"])
    return counts.reset_index(drop=True).astype(
        {"action": "str", "cause": "str", "table": "str", "entries": "int64"}
    )


def banner(log: pd.DataFrame | None, portfolio: str | None = None) -> str:
    """A sentence for the top of a report when the ingest left out rows or blanked cells of
    this portfolio (None: the whole function); '' when it did not."""
    said = describe(
        scoped(log, portfolio), rows="source row(s)", cells="cell(s) that did not convert"
    )
    if not said:
        return ""
    return (
        f"The ingest of this snapshot {said.replace('; ', ' and ')}: the figures here leave them"
        " out; the data-quality report lists each one."
    )


def describe(
    log: pd.DataFrame, portfolio: str | None = None, rows: str = "row(s)", cells: str = "cell(s)"
) -> str:
    """'left out 3 rows (bad cell 1, orphan 2); blanked 2 cells', or '' for an empty log."""
    found = summary(log, portfolio)
    parts = []
    if found["rows_left_out"]:
        causes = ", ".join(f"{cause} {n:,}" for cause, n in found["by_cause"].items())
        parts.append(f"left out {found['rows_left_out']:,} {rows} ({causes})")
    if found["cells_blanked"]:
        parts.append(f"blanked {found['cells_blanked']:,} {cells}")
    return "; ".join(parts)


def entry_text(entry: pd.Series | dict) -> str:
    """One entry as a line: 'row left out (orphan): financials.csv, row 7, column ...'."""
    where = f"{entry['file']}"
    if not pd.isna(entry["row"]):
        where += f", row {int(entry['row'])}"
    if not pd.isna(entry["column"]) and entry["column"]:
        where += f", column '{entry['column']}'"
    return (
        f"{entry['action']} ({entry['cause']}): {where}: got {entry['value']!r};"
        f" expected {entry['expected']}"
    )
