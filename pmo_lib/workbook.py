"""The Excel download beside each report: every table of the page, one sheet each, with money,
counts and dates as typed cells (not text) so that stakeholders can sum and filter them."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


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


def _as_text(ws) -> None:
    """Every text cell stays text: openpyxl stores a string that starts with "=" as a live
    formula (=HYPERLINK(...), =cmd|...), so a name typed into the source would run in the
    reader's Excel. A text cell that starts like a formula (=, +, -, @, tab, CR: OWASP) is
    typed as a string and carries Excel's quote prefix, so it shows exactly what was typed and
    stays text even when edited; numbers and dates keep their types."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type in ("f", "s", "inlineStr") and str(cell.value).startswith(
                FORMULA_STARTS
            ):
                cell.data_type = "s"
                cell.quotePrefix = True


def write(path: Path, sheets: dict[str, tuple[pd.DataFrame, set[str], set[str]]]) -> Path:
    """Write the sheets (frame, money columns, date columns) atomically to path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".xlsx")
    os.close(fd)
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, (frame, money, dates) in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=False)
                ws = writer.sheets[name]
                _as_text(ws)
                for i, column in enumerate(frame.columns, start=1):
                    width = (
                        max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)]) + 2
                    )
                    ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(
                        width, 60
                    )
                    fmt = (
                        MONEY_FORMAT
                        if column in money
                        else (DATE_FORMAT if column in dates else None)
                    )
                    if fmt:
                        for cell in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                            cell[0].number_format = fmt
                ws.freeze_panes = "A2"
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
