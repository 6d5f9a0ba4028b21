"""Read an export file and check it against the data model, collecting every problem at once."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Collection
from datetime import date, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from pmo_lib.errors import DataValidationError, PMOError, Problem
from pmo_lib.safe_yaml import clip
from pmo_lib.schema import ID_LENGTH, TABLES, Column, Table

READERS = (".csv", ".xlsx", ".parquet")
TRUE_WORDS = {"true", "yes", "y", "1", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "f"}


def normalise_column_name(name: object) -> str:
    """'Project ID ' and 'project_id' name the same column: case and spacing do not matter."""
    return re.sub(r"[\s_\-]+", "_", str(name).strip().lower())


def find_table_files(folder: Path) -> dict[str, Path]:
    """Map table name -> export file in folder (projects.csv, Projects.xlsx, ...)."""
    if not folder.is_dir():
        raise PMOError(f"{folder}: no such folder of exports")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        table = normalise_column_name(path.stem)
        if path.suffix.lower() not in READERS or table not in TABLES:
            continue
        if table in found:
            raise PMOError(
                f"{folder}: two files for table '{table}': {found[table].name} and {path.name};"
                " expected one file per table"
            )
        found[table] = path
    return found


def read_export(path: Path) -> tuple[pd.DataFrame, int]:
    """Read a CSV / XLSX / Parquet export as text cells; returns the frame and the file row of its
    first data row."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig"
            )
            return frame, 2
        if suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=object, engine="openpyxl")
            return frame, 2
        if suffix == ".parquet":
            return pd.read_parquet(path), 1
    except (
        ValueError,
        OSError,
        UnicodeDecodeError,
        pd.errors.ParserError,
        zipfile.BadZipFile,
    ) as exc:
        raise PMOError(f"{path.name}: cannot be read as {suffix[1:].upper()}: {exc}") from exc
    raise PMOError(f"{path.name}: unsupported file type; expected one of {', '.join(READERS)}")


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _parse(value: object, kind: str) -> object:
    """One cell to its Python value; raises ValueError when it does not fit the type."""
    if kind == "str":
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # Excel turns 1001 into 1001.0
        return str(value).strip()
    if kind == "float":
        number = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(value)
        return number
    if kind == "int":
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
        if not number.is_integer() or abs(number) >= 2**63:  # a whole number the store holds
            raise ValueError(value)
        return int(number)
    if kind == "date":
        if isinstance(value, str) and not re.fullmatch(
            r"\d{4}-\d{2}-\d{2}([ T]00:00(:00)?)?", value.strip()
        ):
            raise ValueError(value)
        stamp = pd.Timestamp(value)
        if stamp is pd.NaT:
            raise ValueError(value)
        return stamp.normalize()
    if kind == "bool":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(value)
    raise AssertionError(kind)


def rule_broken(parsed: object, column: Column) -> str | None:
    """What a parsed value breaks of the column's rules (its bounds, allowed values, min and
    max, the first of a month), said as what was expected; None when it keeps them all."""
    return checks(column)[1](parsed)


Check = Callable[[object], str | None]


@cache
def checks(column: Column) -> tuple[Check, Check]:
    """The column's two checks of a parsed value (bounds; every rule), made once per column."""
    longest, limit, window = column.longest, column.limit, column.window
    low, high = (pd.Timestamp(d) for d in window) if window else (None, None)
    allowed, least, most, month = column.allowed, column.min, column.max, column.month_start
    describe = column.describe()

    def bounds(parsed: object) -> str | None:
        if longest is not None and isinstance(parsed, str) and len(parsed) > longest:
            return f"text of at most {longest:,} characters (it has {len(parsed):,})"
        if window and isinstance(parsed, date):
            day = parsed if isinstance(parsed, pd.Timestamp) else pd.Timestamp(parsed)
            if not low <= day <= high:
                return f"a date from {window[0].isoformat()} to {window[1].isoformat()}"
        if limit is not None and isinstance(parsed, int | float) and abs(parsed) > limit:
            return f"a number from {-limit if least is None else least:,.0f} to {limit:,.0f}"
        return None

    def rules(parsed: object) -> str | None:
        if (why := bounds(parsed)) is not None:
            return why
        if (
            allowed
            and parsed not in allowed
            or least is not None
            and parsed < least
            or most is not None
            and parsed > most
            or month
            and parsed.day != 1
        ):
            return describe
        return None

    return bounds, rules


def shown(value: object) -> object:
    """A cell as a problem shows it: a date as YYYY-MM-DD, long text cut (never echoed whole)."""
    if isinstance(value, datetime):
        return iso_day(value)
    return clip(value)


def iso_day(stamp: datetime) -> str:
    """YYYY-MM-DD, also for a timestamp Python's date cannot hold (the year -711)."""
    return f"{stamp.year:04d}-{stamp.month:02d}-{stamp.day:02d}"


def check_value(value: object, column: Column) -> object:
    """One value as the column's type, if it fits the column's rules; raises ValueError."""
    parsed = _parse(value, column.type)
    if rule_broken(parsed, column) is not None:
        raise ValueError(value)
    return parsed


def coerce_table(
    raw: pd.DataFrame,
    table: Table,
    file_label: str,
    first_row: int = 2,
    rows: list[int] | None = None,
    labels: dict[str, str] | None = None,
    check_keys: bool = True,
    blank_bad: Collection[str] = (),
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Rename columns to the model, parse each cell to its type and check the per-cell rules.

    rows: each raw row's number in its source file (default: first_row onwards); labels: the
    name a problem gives each column (default: the model's; a mapping names the source column).
    blank_bad: model columns whose bad cells (not parsed, not allowed, out of bounds, or a date
    before the date it must follow) are blanked rather than kept: their problems are returned
    with blanked=True. Returns the typed frame (only model columns, extra columns ignored;
    index = source rows), the problems found (each with its cause), and the names of the
    ignored extra columns.
    """
    rows = list(rows) if rows is not None else list(range(first_row, first_row + len(raw)))
    labels = labels or {}
    problems: list[Problem] = []
    by_name: dict[str, str] = {}
    for original in raw.columns:
        key = normalise_column_name(original)
        if key in by_name:
            problems.append(
                Problem(file_label, None, str(original), None, f"one column named '{key}'")
            )
        by_name[key] = original
    extra = [str(by_name[k]) for k in by_name if k not in table.column_names]
    missing = [c for c in table.required_columns if c not in by_name]
    for name in missing:
        problems.append(
            Problem(file_label, None, name, None, f"a required column '{name}' (it is missing)")
        )

    typed: dict[str, list] = {}
    for column in table.columns:
        if column.name not in by_name:
            typed[column.name] = [None] * len(raw)
            continue
        values: list = []
        label = labels.get(column.name, column.name)
        broken = checks(column)[1]  # rule_broken for this column
        for row, value in zip(rows, raw[by_name[column.name]].tolist(), strict=True):
            if is_blank(value):
                if column.required and not column.blank_ok:
                    problems.append(
                        Problem(
                            file_label, row, label, "", column.describe(), cause="blank required"
                        )
                    )
                values.append(None)
                continue
            try:
                parsed = _parse(value, column.type)
            except (ValueError, TypeError, OverflowError):
                problems.append(
                    Problem(
                        file_label,
                        row,
                        label,
                        shown(value),
                        column.describe(),
                        blanked=column.name in blank_bad,
                    )
                )
                values.append(None)
                continue
            if (why := broken(parsed)) is not None:
                blank = column.name in blank_bad
                problems.append(Problem(file_label, row, label, shown(value), why, blanked=blank))
                if blank:
                    parsed = None
            values.append(parsed)
        typed[column.name] = values
    frame = pd.DataFrame(typed, index=pd.Index(rows, dtype="int64"))
    frame = frame.astype(table.dtypes)

    for earlier, later in table.date_order:
        bad = frame[earlier].notna() & frame[later].notna() & (frame[earlier] > frame[later])
        positions = np.flatnonzero(bad.to_numpy())
        for pos in positions:
            problems.append(
                Problem(
                    file_label,
                    int(frame.index[pos]),
                    labels.get(later, later),
                    iso_day(frame[later].iloc[pos]),
                    f"a date on or after {labels.get(earlier, earlier)}"
                    f" ({iso_day(frame[earlier].iloc[pos])})",
                    blanked=later in blank_bad,
                )
            )
        if later in blank_bad and len(positions):  # the later date is the one reported
            frame.iloc[positions, frame.columns.get_loc(later)] = pd.NaT
    if check_keys and all(c in by_name for c in table.key):
        problems.extend(duplicate_keys(frame, table, file_label))
    return frame, problems, extra


def duplicate_keys(frame: pd.DataFrame, table: Table, file_label: str) -> list[Problem]:
    """A row whose key repeats an earlier row's."""
    if frame.empty:
        return []
    dup = frame.duplicated(subset=list(table.key), keep="first").to_numpy()
    problems = []
    for pos in np.flatnonzero(dup):
        key = ", ".join(f"{c}={clip(frame[c].iloc[pos], ID_LENGTH)}" for c in table.key)
        problems.append(
            Problem(
                file_label,
                int(frame.index[pos]),
                table.key[0],
                key,
                "a unique " + "+".join(table.key),
                cause="duplicate key",
            )
        )
    return problems


def check_references(
    frames: dict[str, pd.DataFrame],
    labels: dict[str, str],
    existing: dict[str, set[str]] | None = None,
) -> list[Problem]:
    """Every foreign key (project_id, resource_id, demand_id) must name a row of its target
    table."""
    problems: list[Problem] = []
    for name, frame in frames.items():
        problems.extend(orphans(name, frame, frames, labels, existing)[1])
    return problems


def orphans(
    name: str,
    frame: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    labels: dict[str, str],
    existing: dict[str, set[str]] | None = None,
) -> tuple[np.ndarray, list[Problem]]:
    """The rows of table name whose references name no row of their target table: a boolean
    mask by position, and one problem per source row and value (cause "orphan")."""
    mask = np.zeros(len(frame), dtype=bool)
    problems: list[Problem] = []
    for ref in TABLES[name].references:
        if ref.target in frames:
            known = set(frames[ref.target][ref.target_column].dropna())
        else:
            known = (existing or {}).get(ref.target, set())
        column = frame[ref.column]
        bad = (column.notna() & ~column.isin(known)).to_numpy(dtype=bool)
        mask |= bad
        for pos in np.flatnonzero(bad):
            problems.append(
                Problem(
                    labels[name],
                    int(frame.index[pos]),
                    ref.column,
                    clip(column.iloc[pos], ID_LENGTH),  # an ID refused for its length: cut
                    f"a {ref.target_column} listed in {labels.get(ref.target, ref.target)}",
                    cause="orphan",
                )
            )
    return mask, list(dict.fromkeys(problems))  # an unpivoted source row: once


def no_projects(
    frames: dict[str, pd.DataFrame], labels: dict[str, str], period: object = None
) -> str | None:
    """When projects has no rows but other tables have rows naming a project: one line saying
    so (rather than each of those rows as an orphan); else None."""
    if len(frames.get("projects", ())):
        return None
    naming = {}
    for name, frame in frames.items():
        refs = [r.column for r in TABLES[name].references if r.target == "projects"]
        if refs and len(frame):
            count = int(frame[refs].notna().any(axis=1).sum())
            if count:
                naming[labels.get(name, name)] = count
    if not naming:
        return None
    parts = [f"{n:,} row(s) of {file}" for file, n in naming.items()]
    when = f" for {period}" if period else ""
    return (
        f"{labels.get('projects', 'projects')}: no data rows{when} (a header only), yet"
        f" {', '.join(parts)} name a project: a snapshot needs its projects; nothing was loaded"
    )


def load_folder(folder: Path) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Read and validate every export in folder; raise DataValidationError listing all problems.

    Returns the typed frames by table name (tables without a file are absent) and notes on
    what was ignored (extra columns).
    """
    files = find_table_files(Path(folder))
    if "projects" not in files:  # every snapshot needs it; the other tables may be absent
        raise PMOError(
            f"{folder}: no file for table 'projects' (expected projects.csv, .xlsx or .parquet);"
            f" found: {', '.join(p.name for p in files.values()) or 'no export files'}"
        )
    frames: dict[str, pd.DataFrame] = {}
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    notes: list[str] = []
    for name, path in files.items():
        raw, first_row = read_export(path)
        frame, found, extra = coerce_table(raw, TABLES[name], path.name, first_row)
        frames[name] = frame
        labels[name] = path.name
        problems.extend(found)
        if extra:
            notes.append(f"{path.name}: ignored extra columns {', '.join(extra)}")
    if (why := no_projects(frames, labels)) is not None:
        raise PMOError(why)  # first, and alone: every other row would be an orphan
    problems.extend(check_references(frames, labels))
    if problems:
        raise DataValidationError(problems)
    return frames, notes
