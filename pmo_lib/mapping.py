"""Turn a folder of someone else's exports into the canonical tables, as a mapping file says.

A mapping (params/sources/<name>.yaml) lists the files to read and, per file, how to read it
(encoding, separator, header and note rows) and which canonical tables it feeds: per table, the
column each canonical column comes from, with its conversions (value maps, date formats, money
written as text, the first non-blank of several columns), constants, an unpivot of wide columns
into rows, and a group-by. A column of the file may split it into reporting periods, one
snapshot each. Nothing here knows any particular dataset: that is the mapping file's job.

Two kinds of error: a mapping error (unknown table, column or key; a value map that leaves
values unmapped) names the mapping file and the key; a data problem (a date or amount that does
not parse, a rule of the model broken) names the source file, its row as a spreadsheet shows
it (header = row 1), the source column, the value and what was expected, all of them at once.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from dateutil import parser as dateparser
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pmo_lib.errors import PMOError, Problem
from pmo_lib.schema import TABLES
from pmo_lib.validate import check_references, coerce_table, duplicate_keys, is_blank

SOURCES_DIR = "sources"  # under params/
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
DATE_MODES = ("iso", "day-first", "month-first", "excel")


# -- the mapping file ------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ColumnRule(_Strict):
    """Where one canonical column comes from, and how its cells convert."""

    source: str | list[str] | None = Field(
        None, alias="from", description="source column; a list takes the first non-blank"
    )
    first_present: list[tuple[str, str]] | None = Field(
        None, description="[[value, source column], ...]: the value of the first non-blank column"
    )
    date: str | None = Field(
        None, description="iso, day-first, month-first, excel, or a strftime format like %d-%b-%y"
    )
    money: bool = Field(False, description="amounts as text: £12,131.50, $1.2M, (1,234)")
    month: bool = Field(False, description="a date moved to the first day of its month")
    minus_days: str | None = Field(None, description="a source column of days to subtract")
    values: dict[str, Any] | None = Field(
        None, description="source word -> our word, case-insensitive; '*' maps any other"
    )
    default: Any = Field(None, description="the value of a blank cell")

    @field_validator("date")
    @classmethod
    def _known_date(cls, value: str | None) -> str | None:
        if value is not None and value not in DATE_MODES and "%" not in value:
            raise ValueError(f"expected one of {', '.join(DATE_MODES)} or a format with %")
        return value


class Unpivot(_Strict):
    """Wide columns to rows: each chosen column of a source row gives one output row."""

    columns: dict[str, str] | None = Field(None, description="source column -> its label")
    pattern: str | None = Field(
        None, description="regex choosing columns; the label is group 1, or the whole name"
    )
    label_to: str = Field(description="canonical column that takes the label")
    value_to: str = Field(description="canonical column that takes the cell")


class TableRule(_Strict):
    columns: dict[str, ColumnRule | str] = {}
    constants: dict[str, Any] = {}
    unpivot: Unpivot | None = None
    group_by: list[str] = Field([], description="canonical key columns; rows are merged")
    sum: list[str] = Field([], description="with group_by: columns summed (others: first row)")


class ReadRule(_Strict):
    file: str = Field(description="file name or glob in the folder")
    encoding: str = "utf-8-sig"
    encoding_errors: str = Field("strict", description="strict, or replace undecodable bytes")
    separator: str = ","
    header_row: int = Field(1, ge=1, description="the row holding the column names")
    skip_rows: list[int] = Field([], description="rows (as numbered in the file) that are notes")
    sheet: str | int = 0


class Join(ReadRule):
    key: str = Field(description="column in both files; the joined file has one row per value")


class SnapshotRule(_Strict):
    column: str = Field(description="source column naming each row's reporting period")
    date: str = "iso"


class FileRule(ReadRule):
    join: list[Join] = []
    snapshots: SnapshotRule | None = None
    tables: dict[str, TableRule]


class Mapping(_Strict):
    description: str = ""
    bad_rows: Literal["refuse", "skip"] = Field(
        "refuse",
        description="refuse: any problem stops the load; skip: load the other rows, list these",
    )
    as_of: date | None = Field(None, description="snapshot date when the data has no period")
    files: list[FileRule] = Field(min_length=1)


def load_mapping(path: Path | str) -> Mapping:
    """Read and validate a mapping file; every error names the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise PMOError(f"{path}: no such mapping file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PMOError(f"{path}: not valid YAML: {exc}") from exc
    try:
        mapping = Mapping.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            key = _key(*error["loc"])
            if error["type"] == "extra_forbidden":
                lines.append(f"{path}: key '{key}': unknown key")
            else:
                lines.append(f"{path}: key '{key}': {error['msg']}")
        raise PMOError("\n".join(lines)) from None
    problems = []
    for i, file_rule in enumerate(mapping.files):
        for name, rule in file_rule.tables.items():
            where = f"files[{i}].tables.{name}"
            if name not in TABLES:
                problems.append(
                    f"{path}: key '{where}': unknown table; tables are {', '.join(TABLES)}"
                )
                continue
            columns = TABLES[name].column_names
            named = [*rule.columns, *rule.constants, *rule.group_by, *rule.sum]
            if rule.unpivot:
                named += [rule.unpivot.label_to, rule.unpivot.value_to]
            for column in dict.fromkeys(named):
                if column not in columns:
                    problems.append(
                        f"{path}: key '{where}': unknown column '{column}' of {name};"
                        f" its columns are {', '.join(columns)}"
                    )
            given = set(named)
            for column in TABLES[name].columns:
                if column.required and not column.blank_ok and column.name not in given:
                    problems.append(
                        f"{path}: key '{where}': no rule for the required column '{column.name}'"
                        " (map it in columns, or set it in constants)"
                    )
            if rule.sum and not rule.group_by:
                problems.append(f"{path}: key '{where}.sum': needs group_by")
    if problems:
        raise PMOError("\n".join(problems))
    return mapping


def _key(*parts: object) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# -- reading a source file ---------------------------------------------------------------------
@dataclass
class Source:
    """One source file read as text cells; index = row numbers as the file shows them."""

    name: str
    frame: pd.DataFrame


def find_file(folder: Path, pattern: str, mapping_file: Path, key: str) -> Path:
    matches = sorted(p for p in folder.iterdir() if fnmatch.fnmatch(p.name, pattern))
    if len(matches) != 1:
        found = ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"
        what = "no file" if not matches else f"{len(matches)} files"
        raise PMOError(
            f"{mapping_file}: key '{key}': {what} in {folder} match '{pattern}'; it holds {found}"
        )
    return matches[0]


def read_source(path: Path, rule: ReadRule, mapping_file: Path, key: str) -> Source:
    """Read a CSV or XLSX whole as text, then take the header row and drop the note rows."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            cells = pd.read_excel(path, header=None, dtype=object, sheet_name=rule.sheet)
        else:
            cells = pd.read_csv(
                path,
                header=None,
                dtype=str,
                keep_default_na=False,
                sep=rule.separator,
                encoding=rule.encoding,
                encoding_errors=rule.encoding_errors,
                skip_blank_lines=False,
            )
    except UnicodeDecodeError as exc:
        raise PMOError(
            f"{path.name}: byte {exc.object[exc.start : exc.start + 1]!r} at offset {exc.start}"
            f" is not {rule.encoding}; set '{key}.encoding' to the file's encoding in"
            f" {mapping_file}, or encoding_errors: replace"
        ) from exc
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise PMOError(f"{path.name}: cannot be read: {exc}") from exc
    cells.index = pd.RangeIndex(1, len(cells) + 1)  # row numbers as the file shows them
    if rule.header_row > len(cells):
        raise PMOError(f"{mapping_file}: key '{key}.header_row': {path.name} has {len(cells)} rows")
    header = [
        str(v).strip() if not is_blank(v) else f"(column {i + 1})"
        for i, v in enumerate(cells.loc[rule.header_row])
    ]
    data = cells.loc[rule.header_row + 1 :]
    data = data.drop(index=[r for r in rule.skip_rows if r in data.index])
    data.columns = header
    text = data.astype("string").fillna("")
    empty = text.apply(lambda column: column.str.strip().eq("")).all(axis=1)
    return Source(path.name, data[~empty] if len(data) else data)


# -- converting cells --------------------------------------------------------------------------
_MONEY = re.compile(
    r"^(?P<neg>-)?\(?-?\s*(?P<cur>[A-Z]{3}\s?|[£$€¥])?\s*"
    r"(?P<num>\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d+)?|\.\d+)"
    r"\s*(?P<unit>k|m|mn|bn|b)?\s*\)?$",
    re.IGNORECASE,
)
_UNITS = {"k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}


def parse_money(value: object) -> float:
    """'£12,131.50' -> 12131.5; '$1.2M' -> 1200000; '(1,234)' and '-1,234' -> -1234."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    match = _MONEY.match(text)
    if not match or (text.startswith("(") != text.endswith(")")):
        raise ValueError(value)
    number = float(match["num"].replace(",", "").replace(" ", ""))
    number *= _UNITS.get((match["unit"] or "").lower(), 1)
    negative = text.startswith("(") or text.startswith("-") or "(-" in text or "-" in text[:6]
    return -number if negative else number


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_SERIAL = re.compile(r"^\d{4,5}(\.\d+)?$")


def parse_date(value: object, mode: str) -> pd.Timestamp:
    """A date cell in any of the ways spreadsheets write them: ISO (always understood), an
    Excel serial number, or text day-first / month-first / in a strftime format; a time of day
    is dropped. Raises ValueError."""
    if isinstance(value, pd.Timestamp | datetime | date):
        return pd.Timestamp(value).normalize()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (EXCEL_EPOCH + timedelta(days=float(value))).normalize()
    text = str(value).strip()
    if _ISO.match(text):
        return pd.Timestamp(text).normalize()
    if _SERIAL.match(text) and mode in ("excel", "day-first", "month-first"):
        return (EXCEL_EPOCH + timedelta(days=float(text))).normalize()
    if mode == "excel" or mode == "iso":
        raise ValueError(value)
    if "%" in mode:
        return pd.Timestamp(datetime.strptime(text, mode)).normalize()
    try:
        parsed = dateparser.parse(text, dayfirst=mode == "day-first")
    except (dateparser.ParserError, OverflowError) as exc:
        raise ValueError(value) from exc
    return pd.Timestamp(parsed).normalize()


def describe_date(mode: str) -> str:
    return {
        "iso": "a date YYYY-MM-DD",
        "day-first": "a date, day first (31/01/2026, 31-Jan-2026) or YYYY-MM-DD",
        "month-first": "a date, month first (01/31/2026) or YYYY-MM-DD",
        "excel": "an Excel date serial number or YYYY-MM-DD",
    }.get(mode, f"a date like {mode}")


# -- one table from one file -------------------------------------------------------------------
@dataclass
class Built:
    table: str
    file: str
    frame: pd.DataFrame  # canonical columns, typed; index = source rows
    problems: list[Problem] = field(default_factory=list)


class MappingError(PMOError):
    pass


def _source_column(
    src: Source, column: str, mapping_file: Path, key: str, rows: pd.DataFrame | None = None
) -> pd.Series:
    """A source column (of these rows, a slice of the file); a mapping error if it is not there."""
    if column not in src.frame.columns:
        raise MappingError(
            f"{mapping_file}: key '{key}': column '{column}' is not in {src.name}; it has:"
            f" {', '.join(c for c in src.frame.columns)}"
        )
    return (src.frame if rows is None else rows)[column]


def _convert(
    src: Source,
    rows: pd.DataFrame,
    table: str,
    target: str,
    rule: ColumnRule,
    mapping_file: Path,
    key: str,
    problems: list[Problem],
    cells: pd.Series | None = None,
    label: str | None = None,
) -> pd.Series:
    """The canonical column target for these source rows, converted; problems collected."""
    spec = TABLES[table].column(target)
    if cells is None:
        if rule.first_present:
            picked = pd.Series([None] * len(rows), index=rows.index, dtype=object)
            for value, column in reversed(rule.first_present):
                present = ~_source_column(src, column, mapping_file, key, rows).map(is_blank)
                picked[present.to_numpy()] = value
            cells, label = picked, "/".join(c for _, c in rule.first_present)
        else:
            names = [rule.source] if isinstance(rule.source, str) else list(rule.source or [])
            if not names:
                raise MappingError(f"{mapping_file}: key '{key}': needs 'from' or 'first_present'")
            cells = _source_column(src, names[0], mapping_file, key, rows)
            for other in names[1:]:
                more = _source_column(src, other, mapping_file, key, rows)
                cells = cells.where(~cells.map(is_blank), more)
            label = names[0] if len(names) == 1 else " / ".join(names)
    per_row = cells.attrs.get("columns") or [label] * len(cells)  # unpivot: each cell's column
    out = cells.astype(object).where(~cells.map(is_blank), rule.default)
    if rule.values is not None:
        out = _map_values(out, rule.values, spec.allowed, mapping_file, key)
    converters: list[tuple[Callable[[object], object], str]] = []
    if rule.money:
        converters.append((parse_money, "an amount (12,131.50, £12,131.50, $1.2M, (1,234))"))
    if rule.date or (spec.type == "date" and not rule.values):
        mode = rule.date or "iso"
        converters.append((lambda v, m=mode: parse_date(v, m), describe_date(mode)))
    failed: list[int] = []
    if converters:
        values = []
        for row, value, column in zip(rows.index, out, per_row, strict=True):
            if value is None:
                values.append(None)
                continue
            try:
                for convert, _ in converters:
                    value = convert(value)
            except (ValueError, TypeError, OverflowError):
                problems.append(Problem(src.name, int(row), column, value, converters[-1][1]))
                failed.append(int(row))
                value = None
            values.append(value)
        out = pd.Series(values, index=rows.index, dtype=object)
    if rule.minus_days:
        days = pd.to_numeric(
            _source_column(src, rule.minus_days, mapping_file, key, rows),
            errors="coerce",
        )
        out = pd.Series(
            [
                None if v is None or pd.isna(d) else v - pd.Timedelta(days=float(d))
                for v, d in zip(out, days, strict=True)
            ],
            index=rows.index,
            dtype=object,
        )
    if rule.month:
        out = out.map(lambda v: None if v is None else pd.Timestamp(v).replace(day=1))
    out.attrs["label"] = label
    out.attrs["failed"] = failed  # rows whose cell did not convert (now blank)
    return out


def _map_values(
    cells: pd.Series, values: dict, allowed: tuple | None, mapping_file: Path, key: str
) -> pd.Series:
    lookup = {str(k).strip().lower(): v for k, v in values.items() if k != "*"}
    fallback = values.get("*")
    ours = {a.lower(): a for a in allowed or ()}
    unmapped: dict[str, int] = {}

    def one(value: object) -> object:
        if value is None:
            return None
        word = str(value).strip().lower()
        if word in lookup:
            return lookup[word]
        if word in ours:
            return ours[word]
        if "*" in values:
            return fallback
        unmapped[str(value)] = unmapped.get(str(value), 0) + 1
        return value

    out = cells.map(one)
    if unmapped:
        shown = ", ".join(f"'{v}' ({n} rows)" for v, n in sorted(unmapped.items())[:12])
        raise MappingError(
            f"{mapping_file}: key '{key}.values': leaves {shown} unmapped; map each, or add"
            f" '*': <value> for any other"
        )
    return out


def build_table(
    src: Source, rows: pd.DataFrame, table: str, rule: TableRule, mapping_file: Path, key: str
) -> Built:
    """One canonical table from these rows of a source file."""
    problems: list[Problem] = []
    spec = TABLES[table]
    columns: dict[str, pd.Series] = {}
    labels: dict[str, str] = {}
    base = rows
    if rule.unpivot:
        base, label_cells, value_cells = _unpivot(src, rows, rule.unpivot, mapping_file, key)
        expanded = Source(src.name, base)
        for target, cells in (
            (rule.unpivot.label_to, label_cells),
            (rule.unpivot.value_to, value_cells),
        ):
            how = rule.columns.get(target, ColumnRule())
            how = ColumnRule(source=None) if isinstance(how, str) else how
            columns[target] = _convert(
                expanded,
                base,
                table,
                target,
                how,
                mapping_file,
                f"{key}.columns.{target}",
                problems,
                cells,
                cells.attrs["label"],
            )
        src = expanded
    for target, how in rule.columns.items():
        if rule.unpivot and target in (rule.unpivot.label_to, rule.unpivot.value_to):
            continue
        how = ColumnRule(source=how) if isinstance(how, str) else how
        columns[target] = _convert(
            src, base, table, target, how, mapping_file, f"{key}.columns.{target}", problems
        )
    for target, value in rule.constants.items():
        columns[target] = pd.Series([value] * len(base), index=base.index, dtype=object)
        labels[target] = f"{target} (constant)"
    for target, cells in columns.items():
        labels.setdefault(target, f"{cells.attrs.get('label', target)}")
    raw = pd.DataFrame({k: v.to_numpy() for k, v in columns.items()}, index=base.index)
    for column in spec.columns:  # a required column that may be blank: blank when not mapped
        if column.required and column.name not in raw:
            raw[column.name] = None
    frame, found, _ = coerce_table(
        raw.reset_index(drop=True),
        spec,
        src.name,
        rows=list(base.index),
        labels=labels,
        check_keys=not rule.group_by,
    )
    failed = {
        (row, labels[target])
        for target, cells in columns.items()
        for row in cells.attrs.get("failed", ())
    }
    # a cell that did not convert is blank now: its conversion problem says it already
    problems.extend(p for p in found if not (p.value == "" and (p.row, p.column) in failed))
    if rule.group_by and len(frame):
        frame = _grouped(frame, rule.group_by, rule.sum)
        problems.extend(duplicate_keys(frame, spec, src.name))
    return Built(table, src.name, frame, problems)


def _unpivot(
    src: Source, rows: pd.DataFrame, rule: Unpivot, mapping_file: Path, key: str
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    if rule.columns:
        chosen = rule.columns
        for column in chosen:
            _source_column(src, column, mapping_file, f"{key}.unpivot.columns.{column}")
    elif rule.pattern:
        regex = re.compile(rule.pattern)
        chosen = {}
        for column in src.frame.columns:
            if match := regex.search(column):
                chosen[column] = match.group(1) if regex.groups else column
        if not chosen:
            raise MappingError(
                f"{mapping_file}: key '{key}.unpivot.pattern': no column of {src.name} matches"
                f" '{rule.pattern}'"
            )
    else:
        raise MappingError(f"{mapping_file}: key '{key}.unpivot': needs columns or pattern")
    parts, labels, values, names = [], [], [], []
    for column, label in chosen.items():
        cells = rows[column]
        kept = ~cells.map(is_blank)
        parts.append(rows[kept])
        names += [column] * int(kept.sum())
        labels.append(pd.Series([label] * int(kept.sum()), index=rows.index[kept], dtype=object))
        values.append(cells[kept].astype(object))
    base = pd.concat(parts) if parts else rows.iloc[0:0]
    label_cells = pd.concat(labels) if labels else pd.Series(dtype=object)
    value_cells = pd.concat(values) if values else pd.Series(dtype=object)
    label_cells.attrs["label"] = "column name"
    label_cells.attrs["columns"] = value_cells.attrs["columns"] = names
    value_cells.attrs["label"] = ", ".join(list(chosen)[:3]) + (", …" if len(chosen) > 3 else "")
    return base, label_cells, value_cells


def _grouped(frame: pd.DataFrame, keys: list[str], sums: list[str]) -> pd.DataFrame:
    """One row per key: summed columns added up (blank when all blank), the others their first
    non-blank value; each row keeps the source row of its group's first row."""
    grouped = frame.assign(_row=frame.index).groupby(keys, dropna=False, sort=False)
    agg = {c: "first" for c in frame.columns if c not in keys and c not in sums}
    out = grouped.agg({**agg, "_row": "first"})
    for column in sums:
        out[column] = grouped[column].sum(min_count=1)
    out = out.reset_index()
    rows = out.pop("_row").to_numpy()
    out = out[list(frame.columns)]
    out.index = pd.Index(rows, dtype="int64")
    return out.astype(frame.dtypes.to_dict())


# -- the whole folder --------------------------------------------------------------------------
@dataclass
class Snapshot:
    as_of: date
    frames: dict[str, pd.DataFrame]
    files: dict[str, str]  # table -> source file


@dataclass
class Mapped:
    snapshots: list[Snapshot]
    problems: list[Problem]  # they stop the load
    notes: list[str]
    skipped: list[Problem] = field(default_factory=list)  # bad_rows: skip; rows left out


def map_folder(mapping_file: Path | str, folder: Path | str, as_of: date | None = None) -> Mapped:
    """Read the folder through the mapping: one snapshot per reporting period (or one at as_of,
    the mapping's as_of, else the error says how to give one). Problems are collected, not
    raised, so that --check can list them all."""
    mapping_file, folder = Path(mapping_file), Path(folder)
    mapping = load_mapping(mapping_file)
    if not folder.is_dir():
        raise PMOError(f"{folder}: no such folder of exports")
    by_period: dict[date, dict[str, Built]] = {}
    problems: list[Problem] = []
    for i, file_rule in enumerate(mapping.files):
        key = f"files[{i}]"
        path = find_file(folder, file_rule.file, mapping_file, f"{key}.file")
        src = read_source(path, file_rule, mapping_file, key)
        for j, join in enumerate(file_rule.join):
            src = _joined(src, folder, join, mapping_file, f"{key}.join[{j}]")
        for period, rows, found in _periods(src, file_rule, mapping, as_of, mapping_file, key):
            problems.extend(found)
            for name, rule in file_rule.tables.items():
                built = build_table(src, rows, name, rule, mapping_file, f"{key}.tables.{name}")
                problems.extend(built.problems)
                tables = by_period.setdefault(period, {})
                if name in tables:
                    raise MappingError(
                        f"{mapping_file}: key '{key}.tables.{name}': table {name} is already fed"
                        f" by {tables[name].file}; one file per table"
                    )
                tables[name] = built
    snapshots, notes, skipped = [], [], []
    for period in sorted(by_period):
        tables = by_period[period]
        frames = {name: b.frame for name, b in tables.items()}
        labels = {name: b.file for name, b in tables.items()}
        if mapping.bad_rows == "skip":  # a bad row leaves its own table, not the others
            for name, built in tables.items():
                bad = [p for p in built.problems if p.row is not None]
                frames[name] = _without(frames[name], bad)
                skipped.extend(bad)
                problems = [p for p in problems if p not in bad]
            for name in list(frames):
                targets = {r.target for r in TABLES[name].references} & set(frames)
                orphans = check_references(
                    {name: frames[name], **{t: frames[t] for t in targets}}, labels
                )
                frames[name] = _without(frames[name], orphans)
                skipped.extend(orphans)
        else:
            problems.extend(check_references(frames, labels))
        missing = [t for t in TABLES if t not in frames]
        if "projects" not in frames:
            raise MappingError(
                f"{mapping_file}: no file feeds the table 'projects', which every snapshot needs"
            )
        snapshots.append(Snapshot(period, frames, labels))
        if missing and not notes:
            notes.append(f"No source for: {', '.join(missing)} (stored empty).")
    if skipped:
        rows = len({(p.file, p.row) for p in skipped})
        notes.append(f"Skipped {rows:,} source rows with problems (bad_rows: skip); see --check.")
    unique = list(dict.fromkeys(problems))  # a row that feeds two tables is reported once
    return Mapped(snapshots, unique, notes, skipped)


def _without(frame: pd.DataFrame, bad: list[Problem]) -> pd.DataFrame:
    """The frame less the source rows that have a problem."""
    return frame[~frame.index.isin({p.row for p in bad})]


def _joined(src: Source, folder: Path, join: Join, mapping_file: Path, key: str) -> Source:
    other = read_source(
        find_file(folder, join.file, mapping_file, f"{key}.file"), join, mapping_file, key
    )
    for s in (src, other):
        _source_column(s, join.key, mapping_file, f"{key}.key")
    extra = other.frame.drop_duplicates(subset=[join.key]).set_index(join.key)
    extra = extra[[c for c in extra.columns if c not in src.frame.columns]]
    joined = src.frame.join(extra, on=join.key)
    joined.index = src.frame.index
    return Source(src.name, joined)


def _periods(
    src: Source,
    rule: FileRule,
    mapping: Mapping,
    as_of: date | None,
    mapping_file: Path,
    key: str,
):
    """(as_of, rows, problems) per reporting period of the file."""
    if rule.snapshots is None:
        chosen = as_of or mapping.as_of
        if chosen is None:
            raise PMOError(
                f"{mapping_file}: no snapshot date: give --as-of YYYY-MM-DD, or 'as_of' in the"
                f" mapping, or '{key}.snapshots' naming the column of the reporting period"
            )
        yield chosen, src.frame, []
        return
    column = _source_column(src, rule.snapshots.column, mapping_file, f"{key}.snapshots.column")
    dates, problems = {}, []
    for row, value in column.items():
        try:
            dates[row] = parse_date(value, rule.snapshots.date).date()
        except (ValueError, TypeError, OverflowError):
            problems.append(
                Problem(
                    src.name,
                    int(row),
                    rule.snapshots.column,
                    value,
                    describe_date(rule.snapshots.date),
                )
            )
    periods = pd.Series(dates, dtype=object)
    first = True
    for period in sorted(set(periods)):
        if as_of and period != as_of:
            continue
        rows = src.frame.loc[periods.index[(periods == period).to_numpy()]]
        yield period, rows, problems if first else []
        first = False
