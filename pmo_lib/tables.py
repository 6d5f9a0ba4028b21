"""The HTML tables of the pages: formatted cells, RAG colours, links, and the raw sort keys that
let the page's script (templates/pmo/explore.js) sort, search and page a long table offline.
Report.table calls html_table and also keeps the frame, unformatted, for the Excel workbook."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from pmo_lib import formatting

MAX_CELL_CHARS = 300  # a longer text cell is cut on the page (the workbook keeps it whole)
EXPLORE_ROWS = 15  # longer tables are sortable, searchable and paged in the browser
MAX_ROWS = 500  # rows shown of a static table ...
MAX_EXPLORE_ROWS = 5000  # ... and of an explorable one


def html_table(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None,
    currency: str,
    *,
    money: Iterable[str] = (),
    percent: Iterable[str] = (),
    counts: Iterable[str] = (),
    dates: Iterable[str] = (),
    signed: Iterable[str] = (),
    shares: Iterable[str] = (),
    days: Iterable[str] = (),
    ratios: Iterable[str] = (),
    rags: Iterable[str] = (),
    months: Iterable[str] = (),
    links: Mapping[str, str] | None = None,
    caption: str = "",
    empty: str = "Nothing to show.",
    max_rows: int | None = None,
    explorable: bool | None = None,
) -> str:
    """An HTML table of `frame` with formatted cells.

    What to show:
      columns: frame column -> heading, in the order shown; None shows every column as named.
      currency: the ISO code money columns are shown in (USD, GBP, EUR ...).

    How a column reads (each names frame columns; a column in none is shown as text, an `_id`
    column on one line). Numbers are right-aligned and, in an explorable table, sort by value:
      money: amounts in `currency` ($1,234,567).
      percent: values already in percent (85.9%).
      counts: whole numbers with separators (1,234).
      signed: changes with their sign (+4, −3, 0).
      shares: fractions shown as percent (0.25 -> 25%).
      days: durations (45 days).
      ratios: indices such as CPI and SPI, two decimals (0.95).
      dates: days (31 Oct 2026); months: months (Oct 2026). Both sort by their ISO date.
      rags: RAG names (Red, Amber, Green, No data): a cell takes the class rag-<name>, which
        the page colours.
    A column named in several lists takes the last of money, percent, counts, signed, shares,
    days, ratios, dates, months.

    Around the rows:
      links: shown column -> frame column holding the href its cells link to.
      caption: a title above the table ("" for none; also names its sheet in the workbook).
      empty: said instead of the table when the frame has no rows.

    Long tables:
      explorable: sortable, searchable and paged in the browser; None means when the frame has
        more than EXPLORE_ROWS rows.
      max_rows: the rows shown at most (default MAX_ROWS, MAX_EXPLORE_ROWS when explorable);
        past it the first rows show, and the page says how many more there are.
    Text longer than MAX_CELL_CHARS is cut; every cell is escaped."""
    columns = dict(columns or {c: c for c in frame.columns})
    if frame.empty:
        return f'<p class="pmo-empty">{html.escape(empty)}</p>'
    explorable = len(frame) > EXPLORE_ROWS if explorable is None else explorable
    max_rows = max_rows or (MAX_EXPLORE_ROWS if explorable else MAX_ROWS)
    hidden = max(len(frame) - max_rows, 0)
    frame = frame.head(max_rows)
    kinds: dict[str, tuple[str, Callable[[object], str] | None]] = {}
    for name in money:
        kinds[name] = ("num", lambda v: formatting.money(v, currency))
    for names, fmt in (
        (percent, formatting.percent),
        (counts, formatting.count),
        (signed, formatting.signed),
        (shares, formatting.share),
        (days, formatting.days),
        (ratios, formatting.ratio),
    ):
        for column in names:
            kinds[column] = ("num", fmt)
    for column in dates:
        kinds[column] = ("", formatting.date)
    for column in months:
        kinds[column] = ("", formatting.month)
    rag_columns = set(rags)
    head = "".join(
        f'<th class="{kinds.get(c, ("",))[0]}">{html.escape(t)}</th>' for c, t in columns.items()
    )
    # a column at a time (each cell formatted, escaped and wrapped), then joined into rows: a
    # cell at a time, the long tables of a page at 100x took seconds
    by_column = [
        _cells(
            frame, column, *kinds.get(column, ("", None)), column in rag_columns, links, explorable
        )
        for column in columns
    ]
    rows = ["<tr>" + "".join(cells) + "</tr>" for cells in zip(*by_column, strict=True)]
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    more = (
        f'<p class="pmo-empty">The first {max_rows:,} rows are shown; {hidden:,} more are not.</p>'
        if hidden
        else ""
    )
    css = "pmo-table pmo-explore" if explorable else "pmo-table"
    table = (
        f'<table class="{css}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return f'<div class="pmo-table-wrap">{table}</div>{more}'


def _cells(
    frame: pd.DataFrame,
    column: str,
    css: str,
    fmt: Callable[[object], str] | None,
    rag: bool,
    links: Mapping[str, str] | None,
    explorable: bool,
) -> list[str]:
    """One column's <td> cells: formatted (fmt, else as text), cut and escaped, coloured as a
    RAG, linked, and with the raw value to sort by in an explorable table."""
    values = frame[column].tolist()
    texts = formatting.each_once(fmt or _text, values)
    plain = css or ("id" if column.endswith("_id") else "")  # PRJ-00102 on one line
    if rag:
        classes = [f"rag rag-{t.lower().replace(' ', '-')}" if t else plain for t in texts]
    else:
        classes = [plain] * len(texts)
    shown_of: dict[str, str] = {}  # a text repeated down the column is escaped once
    shown = [
        shown_of.get(t) or shown_of.setdefault(t, html.escape(formatting.cut(t, MAX_CELL_CHARS)))
        for t in texts
    ]
    if links and column in links:
        hrefs = [html.escape(str(h)) for h in frame[links[column]].tolist()]
        shown = [f'<a href="{h}">{t}</a>' for h, t in zip(hrefs, shown, strict=True)]
    if explorable and fmt is not None:
        keys = formatting.each_once(_sort_key, values)
        sorts = [f' data-sort="{html.escape(k)}"' if k is not None else "" for k in keys]
    else:
        sorts = [""] * len(texts)
    return [f'<td class="{c}"{k}>{t}</td>' for c, k, t in zip(classes, sorts, shown, strict=True)]


def _text(value: object) -> str:
    """A cell with no format: its text, blank for a missing value."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def _sort_key(value: object) -> str | None:
    """The raw value a browser sorts a formatted cell by: a number, or an ISO date."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return str(int(value))
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        return None
