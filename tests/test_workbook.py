"""The Excel workbook's data rows, written a column at a time: the very XML XlsxWriter writes
cell by cell (its constant-memory mode), for every kind of value a report's table holds."""

from __future__ import annotations

import math
import numbers
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from pmo_lib import workbook


def _by_xlsxwriter(path, sheets) -> None:
    """The workbook as XlsxWriter writes it cell by cell (pmo_lib's writer before it wrote rows
    a column at a time): the reference."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    formats = {
        "money": book.add_format({"num_format": workbook.MONEY_FORMAT}),
        "date": book.add_format({"num_format": workbook.DATE_FORMAT}),
        "time": book.add_format({"num_format": workbook.TIME_FORMAT}),
        "quoted": book.add_format({"quote_prefix": True}),
    }
    for fmt in formats.values():  # the styles in the order pmo_lib's writer numbers them
        fmt._get_xf_index()
    for name, (frame, money, dates) in sheets.items():
        ws = book.add_worksheet(name)
        workbook._write_header(ws, frame)
        number = [formats["money"] if c in money else None for c in frame.columns]
        when = [formats["date"] if c in dates else formats["time"] for c in frame.columns]
        values = [frame[c].tolist() for c in frame.columns]
        for r, row in enumerate(zip(*values, strict=True), start=1):
            for c, value in enumerate(row):
                if value is None or value is pd.NaT or value is pd.NA:
                    continue
                if isinstance(value, str):
                    if value.startswith(workbook.FORMULA_STARTS):
                        ws.write_string(r, c, value, formats["quoted"])
                    else:
                        ws.write_string(r, c, value)
                elif isinstance(value, bool | np.bool_):
                    ws.write_boolean(r, c, bool(value))
                elif isinstance(value, numbers.Real):
                    if math.isfinite(value):
                        ws.write_number(r, c, float(value), number[c])
                elif isinstance(value, datetime | date):
                    ws.write_datetime(r, c, value, when[c])
                elif isinstance(value, timedelta):
                    ws.write_number(r, c, value / timedelta(days=1), number[c])
                else:
                    ws.write_string(r, c, str(value))
    book.close()


def _sheets_xml(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as book:
        return {n: book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/")}


LONG = "é" * 20000 + "😀" * 7000  # past Excel's 32,767 UTF-16 units: cut, not split
TEXTS = [
    "plain",
    None,
    " leading",
    "trailing ",
    "line\nbreak\n",
    "a & b < c > d \"q\" 'q'",
    "bell\x07 and tab\tinside",
    "_x0041_ looks escaped",
    "\ufffe\uffff",
    '=HYPERLINK("http://x")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\tlead tab",
    "\rlead cr",
    LONG,
    "",
]
STAMPS = [
    "2026-03-31",
    None,
    "1900-01-01 06:00",
    "1900-02-28",
    "1900-03-01",
    "9999-12-31",
    "2026-01-01 12:30:15.250001",
    "1970-01-01",
    "2000-02-29 23:59:59",
    None,
    "2026-10-31",
    "2026-11-01",
    "2026-12-01",
    None,
    "2027-01-01",
    "2027-02-01",
    None,
]
N = len(TEXTS)


def _every_kind() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "name": pd.array(TEXTS, dtype="str"),
            "amount": [1.5, np.nan, np.inf, -np.inf, -0.0, 1e-7, 1e22, 123456789.123, 0.1 + 0.2]
            + [-3.0, 2.5, np.nan, 7.0, 8.0, 9.0, 1 / 3, np.nan],
            "count": pd.array([1, None, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, None]),
            "flag": [True, False] * 8 + [True],
            "maybe": pd.array([True, None, False] * 5 + [None, None], dtype="boolean"),
            "due": pd.to_datetime(STAMPS, format="ISO8601").astype("datetime64[us]"),
            "when": pd.to_datetime(STAMPS, format="ISO8601").astype("datetime64[us]"),
            "mixed": pd.Series(
                [np.int64(5), None, np.float64(2.5), date(2026, 1, 2), datetime(2026, 1, 2, 3)]
                + [timedelta(days=1.5), True, np.bool_(False), "=x", Decimal("1.10"), pd.NaT]
                + [pd.NA, float("nan"), np.float32(0.1), 10**20, "text", ["a", 1]],
                dtype=object,
            ),
            "took": pd.to_timedelta([1.5, None] * 8 + [2], unit="D"),
            "ratio32": np.array([0.1] * N, dtype="float32"),
        }
    )
    return frame


@pytest.mark.parametrize(
    "frame",
    [
        _every_kind(),
        _every_kind().iloc[:0],  # no rows: the header alone
        _every_kind().iloc[:, :1],  # one column
        pd.DataFrame({"x": [np.nan, np.nan], "y": pd.array([None, None], dtype="str")}),
        pd.DataFrame(  # a blank row is not written, and the dimension ends at the last cell
            {"x": [1.0, np.nan, 2.0, np.nan], "y": pd.array(["a", None, None, None], dtype="str")}
        ),
        pd.DataFrame(),  # no columns
    ],
    ids=["every kind", "no rows", "one column", "blank rows only", "blank rows", "no columns"],
)
def test_the_rows_written_a_column_at_a_time_are_xlsxwriter_s_own(tmp_path, frame):
    table = workbook.sheet(frame, None)
    sheets = {"T": (table, {"amount", "took", "mixed"}, {"due"}), "Again": (table, set(), set())}
    ours = workbook.write(tmp_path / "ours.xlsx", sheets)
    _by_xlsxwriter(tmp_path / "theirs.xlsx", sheets)
    mine, theirs = _sheets_xml(ours), _sheets_xml(tmp_path / "theirs.xlsx")
    assert mine.keys() == theirs.keys()
    for name in mine:
        assert mine[name] == theirs[name], name


def test_rows_written_a_few_at_a_time_are_the_same(tmp_path, monkeypatch):
    """A sheet's rows go to the file a few thousand at a time: across those boundaries (here
    every third row, blank rows among them) the sheet is XlsxWriter's own."""
    monkeypatch.setattr(workbook, "_ROWS_AT_ONCE", 3)
    table = workbook.sheet(_every_kind(), None)
    blank = pd.DataFrame({"x": [1.0, np.nan, np.nan, np.nan, 2.0, np.nan, np.nan]})
    sheets = {"T": (table, {"amount"}, {"due"}), "B": (blank, set(), set())}
    ours = workbook.write(tmp_path / "ours.xlsx", sheets)
    _by_xlsxwriter(tmp_path / "theirs.xlsx", sheets)
    assert _sheets_xml(ours) == _sheets_xml(tmp_path / "theirs.xlsx")


def test_text_that_looks_like_rich_text_xml_stays_text(tmp_path):
    """XlsxWriter writes a text <r>...</r> into the sheet as XML (rich text): a name typed so
    would corrupt the workbook or put its own markup in. Ours is escaped like any text."""
    import openpyxl

    evil = "<r><rPr><b/></rPr><t>bold</t></r>"
    table = pd.DataFrame({"name": pd.array([evil, "<r>x</r>"], dtype="str")})
    path = workbook.write(tmp_path / "t.xlsx", {"T": (table, set(), set())})
    xml = _sheets_xml(path)["xl/worksheets/sheet1.xml"]
    assert "<rPr>" not in xml and "&lt;r&gt;x&lt;/r&gt;" in xml
    cells = openpyxl.load_workbook(path)["T"]
    assert [c.value for c in cells["A"][1:]] == [evil, "<r>x</r>"]


def test_excel_serial_numbers_of_dates_as_xlsxwriter_converts_them():
    """Day 1 is 1 Jan 1900, 60 the 29 Feb 1900 Excel believes in; times are fractions."""
    from xlsxwriter.utility import _datetime_to_excel_datetime

    values = [
        datetime(1900, 1, 1, 6),
        date(1900, 1, 1),
        datetime(1900, 2, 28),
        datetime(1900, 3, 1),
        date(2026, 10, 31),
        datetime(2026, 10, 31, 18, 0, 0, 1),
        datetime(9999, 12, 31),
    ]
    expected = [_datetime_to_excel_datetime(v, False, False) for v in values]
    assert [workbook._serial(v) for v in values] == expected
    assert workbook._serial(date(1900, 3, 1)) == 61 and workbook._serial(date(1900, 2, 28)) == 59
    stamps = pd.Series(pd.to_datetime([v for v in values if isinstance(v, datetime)]))
    dated = [e for v, e in zip(values, expected, strict=True) if isinstance(v, datetime)]
    assert workbook._serials(stamps).tolist() == dated
    with pytest.raises(TypeError, match="Excel has no time zones"):
        workbook._serial(datetime(2026, 1, 1, tzinfo=__import__("datetime").timezone.utc))
