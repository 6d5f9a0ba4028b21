"""The Excel download beside each report: every table of the page, one sheet each, with money,
counts and dates as typed cells (not text) so that stakeholders can sum and filter them."""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd h:mm:ss"  # a date and time outside the date columns


def sheet_name(title: str, taken: Iterable[str]) -> str:
    """An Excel-safe, unique sheet name (31 characters, no []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:28] or "Table"
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        name, n = f"{base[:26]} {n}", n + 1
    return name


def sheet(frame: pd.DataFrame, columns: Mapping[str, str] | None) -> pd.DataFrame:
    """The table as shown (picked and renamed columns), with its raw typed values."""
    columns = dict(columns or {c: c for c in frame.columns})
    out = frame[list(columns)].rename(columns=columns).copy()
    for column in out.columns:
        if str(out[column].dtype) in ("Float64", "Int64"):
            out[column] = out[column].astype("float64")
        elif str(out[column].dtype) == "boolean":
            out[column] = out[column].astype("object")
    return out.reset_index(drop=True)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write(path: Path, sheets: dict[str, tuple[pd.DataFrame, set[str], set[str]]]) -> Path:
    """Write the sheets (frame, money columns, date columns) atomically to path.

    XlsxWriter writes the workbook: its styles, and each sheet's header row, column widths and
    frozen pane. The data rows are written a column at a time as the XML XlsxWriter writes in
    its constant-memory mode (tested equal, cell for cell): at 100x a health page's workbook
    holds half a million cells, 3.4 s through XlsxWriter's cell calls and 0.5 s so. Every text
    cell is a string, never a formula: one that starts like a formula (=, +, -, @, tab, CR:
    OWASP's list) carries Excel's quote prefix, so =HYPERLINK(...) typed into the source shows
    as typed and stays text even when edited; numbers and dates keep their types."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".xlsx")
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(
            tmp,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        formats = {
            "money": book.add_format({"num_format": MONEY_FORMAT}),
            "date": book.add_format({"num_format": DATE_FORMAT}),
            "time": book.add_format({"num_format": TIME_FORMAT}),
            "quoted": book.add_format({"quote_prefix": True}),
        }
        # each format's index in the workbook's styles, as a cell written with it would take
        styles = {name: f' s="{fmt._get_xf_index()}"' for name, fmt in formats.items()}
        with contextlib.ExitStack() as files:
            rows = []  # each sheet's data rows: a file of their XML, the last row, the columns
            for name, (frame, money, dates) in sheets.items():
                _write_header(book.add_worksheet(name), frame)
                xml = files.enter_context(tempfile.TemporaryFile(dir=path.parent))
                rows.append((xml, *_rows(frame, money, dates, styles, xml)))
            book.close()
            _add_rows(Path(tmp), rows)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _write_header(ws, frame: pd.DataFrame) -> None:
    for i, column in enumerate(frame.columns):
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)]) + 2
        ws.set_column(i, i, min(width, 60))
        ws.write_string(0, i, str(column))
    ws.freeze_panes(1, 0)


_ROWS_AT_ONCE = 5000  # the rows whose cells are held at once (at 100x a sheet has 17,000)


def _rows(
    frame: pd.DataFrame, money: set[str], dates: set[str], styles: dict[str, str], sink
) -> tuple[int, int]:
    """Write the XML of a sheet's data rows (the header is row 1) to sink (a binary file), a
    column's cells at a time for a few thousand rows at a time; return the sheet's last row
    with a cell and its column count (its dimension)."""
    from xlsxwriter.utility import xl_col_to_name

    letters = [xl_col_to_name(c) for c in range(len(frame.columns))]
    last = 1
    for start in range(0, len(frame) if letters else 0, _ROWS_AT_ONCE):
        part = frame.iloc[start : start + _ROWS_AT_ONCE]
        numbers = [str(r) for r in range(start + 2, start + len(part) + 2)]
        columns = [
            _column_cells(
                part[name],
                [f"{letter}{n}" for n in numbers],
                styles["money"] if name in money else "",
                styles["date"] if name in dates else styles["time"],
                styles["quoted"],
            )
            for letter, name in zip(letters, frame.columns, strict=True)
        ]
        out = []
        for n, cells in zip(numbers, zip(*columns, strict=True), strict=True):
            row = "".join(cells)
            if row:  # a row without a cell is not written
                out.append(f'<row r="{n}">{row}</row>')
                last = int(n)
        sink.write("".join(out).encode("utf-8"))
    return last, len(frame.columns)


def _column_cells(column: pd.Series, refs: list[str], number: str, when: str, quoted: str):
    """Each cell of a column as XML ("" for a blank: None, NaN, NaT, NA, infinity), typed by
    the column's dtype, or cell by cell for an object column. number: the style of its numbers
    (money or none), when: of its dates."""
    kind = column.dtype.kind
    if kind in "fiu":
        return [
            f'<c r="{ref}"{number}><v>{v:.16G}</v></c>' if math.isfinite(v) else ""
            for ref, v in zip(refs, column.astype("float64").tolist(), strict=True)
        ]
    if kind == "b":
        return [
            f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
            for ref, v in zip(refs, column.tolist(), strict=True)
        ]
    if kind == "M" and getattr(column.dtype, "tz", None) is None:
        return [
            "" if math.isnan(v) else f'<c r="{ref}"{when}><v>{v:.16G}</v></c>'
            for ref, v in zip(refs, _serials(column).tolist(), strict=True)
        ]
    if isinstance(column.dtype, pd.StringDtype):
        return [
            _text_cell(ref, v, quoted) if isinstance(v, str) else ""
            for ref, v in zip(refs, column.tolist(), strict=True)
        ]
    return [
        _cell(ref, v, number, when, quoted) for ref, v in zip(refs, column.tolist(), strict=True)
    ]


def _cell(ref: str, value, number: str, when: str, quoted: str) -> str:
    """One cell of an object column, by its value's type."""
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, str):
        return _text_cell(ref, value, quoted)
    if isinstance(value, bool | np.bool_):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Real):  # numpy's too
        value = float(value)
        return f'<c r="{ref}"{number}><v>{value:.16G}</v></c>' if math.isfinite(value) else ""
    if isinstance(value, datetime | date):
        return f'<c r="{ref}"{when}><v>{_serial(value):.16G}</v></c>'
    if isinstance(value, timedelta):  # a duration: days, as a number
        return f'<c r="{ref}"{number}><v>{value / timedelta(days=1):.16G}</v></c>'
    return _text_cell(ref, str(value), "")


# What XlsxWriter does to a text cell's string: at most 32,767 UTF-16 units; a control character
# as _xHHHH_ (and a literal _xHHHH_ as _x005F_xHHHH_); &, < and > escaped; leading or trailing
# whitespace kept. Unlike XlsxWriter, a text that looks like rich-text XML (<r>...</r>) is
# escaped too: written as is, a name typed so would corrupt the sheet.
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_NEEDS_WORK = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LEADING, _TRAILING = re.compile(r"^\s"), re.compile(r"\s$")
_MOST_UTF16 = 32767


def _text_cell(ref: str, text: str, quoted: str) -> str:
    style = quoted if text.startswith(FORMULA_STARTS) else ""
    if len(text) > _MOST_UTF16 // 2:
        text = _utf16_cut(text)
    if _NEEDS_WORK.search(text):
        text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        keep = _LEADING.search(text) or _TRAILING.search(text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    else:
        keep = _LEADING.search(text) or _TRAILING.search(text)
    space = ' xml:space="preserve"' if keep else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _utf16_cut(text: str) -> str:
    """The text cut to Excel's most, 32,767 UTF-16 units (a character above U+FFFF is two)."""
    length = 0
    for index, char in enumerate(text):
        length += 2 if ord(char) > 0xFFFF else 1
        if length > _MOST_UTF16:
            return text[:index]
    return text


_EPOCH = datetime(1899, 12, 31)  # Excel's day 0 (1900 date system)
_DAY_US = 86_400_000_000


def _serial(value: datetime | date) -> float:
    """A date or time as Excel's serial number of days, as XlsxWriter converts it."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise TypeError(f"Excel has no time zones: {value} (make it naive first)")
        moment = value
    else:
        moment = datetime.fromordinal(value.toordinal())
    delta = moment - _EPOCH
    serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
    if isinstance(value, datetime) and moment.date() == date(1900, 1, 1):
        serial -= 1  # XlsxWriter: Excel keeps a time of 1 Jan 1900 as 1899-12-31 + time
    return serial + 1 if serial > 59 else serial  # Excel's 29 Feb 1900, which never was


def _serials(column: pd.Series) -> np.ndarray:
    """_serial of every value of a datetime64 column (NaN for NaT), in whole arrays."""
    stamps = column.to_numpy(dtype="datetime64[us]")  # 9999-12-31, a placeholder, fits
    blank = np.isnat(stamps)
    us = stamps.astype("int64") - np.datetime64(_EPOCH, "us").astype("int64")
    days, rest = np.divmod(us, _DAY_US)
    seconds, micro = np.divmod(rest, 1_000_000)
    serial = days + (seconds.astype("float64") + micro.astype("float64") / 1e6) / 86400
    on_first = (stamps >= np.datetime64("1900-01-01")) & (stamps < np.datetime64("1900-01-02"))
    serial = np.where(on_first, serial - 1, serial)
    serial = np.where(serial > 59, serial + 1, serial)
    return np.where(blank, np.nan, serial)


def _add_rows(path: Path, rows: list[tuple]) -> None:
    """Put each sheet's data rows (file, last row, columns: _rows, in the order the sheets
    were added) into the workbook XlsxWriter wrote with their header rows only, and each
    sheet's dimension; the rows copied from their file, a megabyte at a time."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    with zipfile.ZipFile(path) as book:
        parts = [(info, book.read(info)) for info in book.infolist()]
    with zipfile.ZipFile(path, "w") as book:
        for info, content in parts:
            sheet = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            xml, last, width = rows[int(sheet.group(1)) - 1] if sheet else (None, 1, 0)
            text = content.decode("utf-8") if sheet else ""
            if "</sheetData>" not in text:  # not a sheet, or one without columns: no rows
                book.writestr(info, content)
                continue
            if last > 1:  # the header's dimension, A1:K1, to the last row written
                end = xl_rowcol_to_cell(last - 1, width - 1)
                text = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{end}"/>', text)
            head, tail = text.split("</sheetData>", 1)
            with book.open(info, "w") as member:
                member.write(head.encode("utf-8"))
                xml.seek(0)
                shutil.copyfileobj(xml, member, 1 << 20)
                member.write(("</sheetData>" + tail).encode("utf-8"))
