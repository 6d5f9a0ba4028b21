"""Turn a folder of someone else's exports into the canonical tables, as a mapping file says.

A mapping (params/sources/<name>.yaml) lists the files to read and, per file, how to read it
(encoding, separator, header and note rows) and which canonical tables it feeds: per table, the
column each canonical column comes from, with its conversions (value maps, date formats, money
written as text, unit scales, spellings merged, placeholders read as blank, the first non-blank
of several columns, a text built from several), constants, an unpivot of wide columns into rows,
and a group-by. A column of the file may split it into reporting periods, one snapshot each; or
the file is dated by the mapping or by its own name. A file pattern may match several files:
their rows are stacked; and several file rules may feed one table: their rows are put together
per snapshot, and the table's key checked over them all.

Two kinds of error: a mapping error (unknown table, column or key; a value map that leaves
values unmapped) names the mapping file and the key; a data problem (a date or amount that does
not parse, a rule of the model broken) names the source file, its row as a spreadsheet shows
it (header = row 1), the source column, the value and what was expected, all of them at once.
With bad_rows: skip or bad_cells: blank a data problem leaves its row out or its cell blank
instead of stopping the load, and says so in the snapshot's ingest log (pmo_lib.ingest_log).
"""

from __future__ import annotations

import calendar
import codecs
import difflib
import fnmatch
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from numbers import Real
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from dateutil import parser as dateparser
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pmo_lib import ingest_log, safe_yaml
from pmo_lib.errors import PMOError, Problem
from pmo_lib.safe_yaml import clip
from pmo_lib.schema import DATE_MAX, DATE_MIN, TABLES, Column
from pmo_lib.validate import (
    check_value,
    checks,
    coerce_table,
    duplicate_keys,
    is_blank,
    iso_day,
    no_projects,
    orphans,
    shown,
)

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
DATE_MODES = ("iso", "day-first", "month-first", "excel")
CellPolicy = Literal["refuse", "blank"]


# -- the mapping file ------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _date_mode(value: str | None) -> str | None:
    if value is not None and value not in DATE_MODES and "%" not in value:
        raise ValueError(f"expected one of {', '.join(DATE_MODES)} or a format with %")
    return value


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
    return value


def _encoding(value: str) -> str:
    try:
        codecs.lookup(value)
    except (LookupError, ValueError, TypeError):
        raise ValueError(
            f"unknown encoding {safe_yaml.clip(value)!r}; e.g. utf-8-sig, utf-8, cp1252, latin-1,"
            " utf-16"
        ) from None
    return value


def _error_handler(value: str) -> str:
    try:
        codecs.lookup_error(value)
    except (LookupError, ValueError, TypeError):
        raise ValueError(
            f"unknown error handler {safe_yaml.clip(value)!r}; expected strict, replace or ignore"
        ) from None
    return value


def _separator(value: str) -> str:
    """One character, or (as pandas reads it) a regular expression such as '\\s+'."""
    if not value:
        raise ValueError("expected a character such as ',', ';', '|' or '\\t'")
    if len(value) > 1:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(
                "a separator of more than one character is read as a regular expression, and"
                f" {safe_yaml.clip(value)!r} is not one: {exc}"
            ) from None
    return value


class ColumnRule(_Strict):
    """Where one canonical column comes from, and how its cells convert."""

    source: str | list[str] | None = Field(
        None,
        alias="from",
        description="source column (a header, 'Header#2' for its second column, or '#5' for the"
        " fifth column); a list takes the first non-blank",
    )
    first_present: list[tuple[str, str]] | None = Field(
        None, description="[[value, source column], ...]: the value of the first non-blank column"
    )
    date: str | None = Field(
        None, description="iso, day-first, month-first, excel, or a strftime format like %d-%b-%y"
    )
    money: bool = Field(False, description="amounts as text: £12,131.50, $1.2M, (1,234)")
    scale: float | None = Field(
        None, gt=0, description="multiply the number after parsing: 1000000 for money in £m"
    )
    month: bool = Field(False, description="a date moved to the first day of its month")
    minus_days: str | None = Field(None, description="a source column of days to subtract")
    template: str | None = Field(
        None,
        description="a text built from several source columns: '{School} (District {District})'",
    )
    blank_values: list[str | int | float] | None = Field(
        None,
        description="placeholders read as blank: ['0', 'n/a', 'TBD'] (stripped, any case; a"
        " number matches by value)",
    )
    values: dict[str, Any] | None = Field(
        None,
        description="source word -> our word, case-insensitive; '*' maps any other ('*': '*'"
        " keeps it as it is)",
    )
    same_case: bool = Field(
        False,
        description="values differing only in case or spacing take their most frequent spelling",
    )
    default: Any = Field(None, description="the value of a blank cell")
    bad_cells: CellPolicy | None = Field(
        None, description="refuse or blank, for this column (default: the mapping's bad_cells)"
    )

    _known_date = field_validator("date")(_date_mode)


class Unpivot(_Strict):
    """Wide columns to rows: each chosen column of a source row gives one output row."""

    columns: dict[str, str] | None = Field(None, description="source column -> its label")
    pattern: str | None = Field(
        None, description="regex choosing columns; the label is group 1, or the whole name"
    )
    label_to: str = Field(description="canonical column that takes the label")
    value_to: str = Field(description="canonical column that takes the cell")

    _pattern = field_validator("pattern")(_regex)


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

    _check_encoding = field_validator("encoding")(_encoding)
    _check_errors = field_validator("encoding_errors")(_error_handler)
    _check_separator = field_validator("separator")(_separator)


class Join(ReadRule):
    key: str = Field(description="column in both files; the joined file has one row per value")


class SnapshotRule(_Strict):
    column: str = Field(description="source column naming each row's reporting period")
    date: str = "iso"

    _known_date = field_validator("date")(_date_mode)


class AsOfFromName(_Strict):
    """A file's snapshot date made from its name: regex groups filled into a template."""

    pattern: str = Field(description="regex searched in the file name, e.g. '^(\\d{4})_'")
    template: str = Field(description="'{1}-06-30': {1} is group 1, {0} the whole match")
    date: str = "iso"

    _pattern = field_validator("pattern")(_regex)
    _known_date = field_validator("date")(_date_mode)


class FileRule(ReadRule):
    join: list[Join] = []
    snapshots: SnapshotRule | None = None
    as_of: date | None = Field(None, description="the snapshot date of this file's rows")
    as_of_from_name: AsOfFromName | None = None
    tables: dict[str, TableRule]

    @model_validator(mode="after")
    def _one_date(self) -> FileRule:
        given = [k for k in ("snapshots", "as_of", "as_of_from_name") if getattr(self, k)]
        if len(given) > 1:
            raise ValueError(f"give one of snapshots, as_of, as_of_from_name (not {given})")
        return self


class Mapping(_Strict):
    description: str = ""
    bad_rows: Literal["refuse", "skip"] = Field(
        "refuse",
        description="refuse: any problem stops the load; skip: load the other rows, log these",
    )
    bad_cells: CellPolicy = Field(
        "refuse",
        description="blank: a cell that does not convert is blanked and logged, its row kept",
    )
    as_of: date | None = Field(None, description="snapshot date when the data has no period")
    files: list[FileRule] = Field(min_length=1)


_MODELS = {
    Mapping: "the top level",
    FileRule: "a file",
    Join: "a join",
    SnapshotRule: "snapshots",
    AsOfFromName: "as_of_from_name",
    TableRule: "a table",
    Unpivot: "unpivot",
    ColumnRule: "a column rule",
}
KEYS_OF: dict[str, list[str]] = {}  # key -> where it belongs
for _model, _where in _MODELS.items():
    for _name, _field in _model.model_fields.items():
        for _k in {_name, _field.alias} - {None}:
            KEYS_OF.setdefault(_k, []).append(_where)
KNOWN_KEYS = sorted(KEYS_OF)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """'; did you mean 'X'?' or "; 'a  b' differs from 'a b' only in spacing", else ''."""
    known = list(dict.fromkeys(str(k) for k in known))
    squeezed = "".join(name.split())
    for other in known:
        if other == name:
            continue
        if "".join(other.split()) == squeezed:
            return f"; '{name}' differs from '{other}' only in spacing"
        if "".join(other.split()).casefold() == squeezed.casefold():
            how = "case" if other.casefold() == name.casefold() else "case and spacing"
            return f"; '{name}' differs from '{other}' only in {how}"
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _blankable(column: Column) -> bool:
    """A cell of this column may be blank: a bad one can be blanked."""
    return not (column.required and not column.blank_ok)


def load_mapping(path: Path | str) -> Mapping:
    """Read and validate a mapping file; every error names the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise PMOError(f"{path}: no such mapping file")
    raw = safe_yaml.load(path, "mapping file") or {}
    try:
        mapping = Mapping.model_validate(raw)
    except ValidationError as exc:
        raise PMOError("\n".join(_validation_lines(path, exc))) from None
    problems = []
    for i, file_rule in enumerate(mapping.files):
        for name, rule in file_rule.tables.items():
            where = f"files[{i}].tables.{name}"
            if name not in TABLES:
                problems.append(
                    f"{path}: key '{where}': unknown table; tables are {', '.join(TABLES)}"
                    + did_you_mean(name, TABLES)
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
                        f" its columns are {', '.join(columns)}" + did_you_mean(column, columns)
                    )
            given = set(named)
            for column in TABLES[name].columns:
                if column.required and not column.blank_ok and column.name not in given:
                    problems.append(
                        f"{path}: key '{where}': no rule for the required column '{column.name}'"
                        " (map it in columns, or set it in constants)"
                    )
            for target, how in rule.columns.items():
                if isinstance(how, str) or target not in columns:
                    continue
                spec = TABLES[name].column(target)
                sources = [k for k in ("source", "first_present", "template") if getattr(how, k)]
                if len(sources) > 1:
                    given = " and ".join("from" if k == "source" else k for k in sources)
                    problems.append(
                        f"{path}: key '{where}.columns.{target}': give one of from,"
                        f" first_present, template (not {given})"
                    )
                if how.template is not None:
                    try:
                        template_parts(how.template)
                    except ValueError as exc:
                        problems.append(f"{path}: key '{where}.columns.{target}.template': {exc}")
                if how.scale is not None and spec.type not in ("float", "int"):
                    problems.append(
                        f"{path}: key '{where}.columns.{target}.scale': {target} is not a number"
                        f" ({spec.describe()})"
                    )
                if how.bad_cells == "blank" and not _blankable(spec):
                    problems.append(
                        f"{path}: key '{where}.columns.{target}.bad_cells': {target} must not"
                        " be blank, so its bad cells cannot be blanked (bad_rows: skip leaves"
                        " such rows out)"
                    )
            for target, value in rule.constants.items():
                if target not in columns or is_blank(value):
                    continue
                spec = TABLES[name].column(target)
                try:
                    check_value(value, spec)
                except (ValueError, TypeError, OverflowError):
                    problems.append(
                        f"{path}: key '{where}.constants.{target}': got {shown(value)!r}; expected"
                        f" {spec.describe()}"
                    )
            if rule.sum and not rule.group_by:
                problems.append(f"{path}: key '{where}.sum': needs group_by")
    if problems:
        raise PMOError("\n".join(problems))
    return mapping


_RULE_SHAPE = "expected a source column name, or a rule like {from: <column>, ...}"


def _validation_lines(path: Path, exc: ValidationError) -> list[str]:
    """One line per error, naming the key; a column rule (a name or a rule) reads as one."""
    lines: list[str] = []
    for error in exc.errors():
        loc = list(error["loc"])
        message = error["msg"]
        # a column rule is a name (str) or a rule (ColumnRule): pydantic tries both
        tags = [
            i
            for i, p in enumerate(loc)
            if p in ("str", "ColumnRule") and loc[i - 2 : i - 1] == ["columns"]
        ]
        if tags:
            i = tags[0]
            tag, loc = loc[i], loc[:i] + loc[i + 1 :]
            if tag == "str" and isinstance(error.get("input"), dict):
                continue  # a rule was meant: its own errors say what is wrong
            if tag == "str" or len(loc) == i:
                message = _RULE_SHAPE
        key = _key(*loc)
        message = message.removeprefix("Value error, ")
        if error["type"] == "extra_forbidden" and str(loc[-1]) in KEYS_OF:
            where = " or ".join(dict.fromkeys(KEYS_OF[str(loc[-1])]))
            line = f"{path}: key '{key}': not a key here; '{loc[-1]}' is a key of {where}"
        elif error["type"] == "extra_forbidden":
            line = f"{path}: key '{key}': unknown key" + did_you_mean(str(loc[-1]), KNOWN_KEYS)
        else:
            line = f"{path}: key '{key}': {message}"
        if line not in lines:
            lines.append(line)
    return lines


def _key(*parts: object) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_TEMPLATE_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def template_parts(template: str) -> list[tuple[str, bool]]:
    """'{School} (District {District})' -> [('School', True), (' (District ', False),
    ('District', True), (')', False)]: source columns (True) and text between them; '{{' and
    '}}' are a brace. Raises ValueError for a lone brace, an empty {} or no column at all."""
    parts: list[tuple[str, bool]] = []
    text, at = "", 0
    for match in _TEMPLATE_TOKEN.finditer(template):
        text += template[at : match.start()]
        at = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            text += token[0]
        elif match.group(1) is None:
            raise ValueError(
                f"a lone '{token}' in {clip(template)!r}: a column is written {{Column}}, a brace"
                f" {token * 2}"
            )
        elif not match.group(1).strip():
            raise ValueError(f"'{{}}' in {clip(template)!r} names no column: write {{Column}}")
        else:
            if text:
                parts.append((text, False))
            text = ""
            parts.append((match.group(1).strip(), True))
    text += template[at:]
    if text:
        parts.append((text, False))
    if not any(is_column for _, is_column in parts):
        raise ValueError(
            f"{clip(template)!r} names no source column ({{Column}}); a fixed value is a constant"
        )
    return parts


# -- reading a source file ---------------------------------------------------------------------
@dataclass
class Source:
    """Source rows read as text cells. The index identifies each row: for one file, its row
    number as the file shows it; for several files stacked, a running id, and origin gives each
    id's (file, row)."""

    name: str  # the file name, or the stacked files' names joined with ", "
    frame: pd.DataFrame
    origin: dict[int, tuple[str, int]] | None = None
    headers: dict[str, list[str]] = field(default_factory=dict)  # file -> its column names

    def where(self, row: int) -> tuple[str, int]:
        return self.origin[row] if self.origin else (self.name, int(row))

    def locate(self, problem: Problem) -> Problem:
        """The problem as the user sees it: its own file and row number."""
        if problem.row is None or not self.origin:
            return problem
        file, row = self.origin[problem.row]
        return replace(problem, file=file, row=row)


def find_files(folder: Path, pattern: str, mapping_file: Path, key: str) -> list[Path]:
    """The files of folder whose name matches pattern (at least one; Excel lock files aside)."""
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("~$"))
    matches = [folder / n for n in names if fnmatch.fnmatch(n, pattern)]
    if not matches:
        raise PMOError(
            f"{mapping_file}: key '{key}': no file in {folder} matches '{pattern}'; it holds"
            f" {', '.join(names) or 'nothing'}" + did_you_mean(pattern, names)
        )
    return matches


def find_file(folder: Path, pattern: str, mapping_file: Path, key: str) -> Path:
    """The one file of folder whose name matches pattern."""
    matches = find_files(folder, pattern, mapping_file, key)
    if len(matches) != 1:
        raise PMOError(
            f"{mapping_file}: key '{key}': {len(matches)} files in {folder} match '{pattern}'"
            f" ({', '.join(p.name for p in matches)}); expected one"
        )
    return matches[0]


def read_source(path: Path, rule: ReadRule, mapping_file: Path, key: str) -> Source:
    """Read a CSV or XLSX whole as text, then take the header row and drop the note rows.

    A header that repeats names its second column 'Header#2', its third 'Header#3', ...
    """
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
            f" is not {rule.encoding}{_bom_hint(path, rule)}; set '{key}.encoding' to the file's"
            f" encoding in {mapping_file}, or encoding_errors: replace"
        ) from exc
    except pd.errors.ParserError as exc:
        raise PMOError(
            f"{path.name}: cannot be read as a CSV separated by {rule.separator!r} in"
            f" {rule.encoding}{_bom_hint(path, rule)}: {str(exc).strip()}; check"
            f" '{key}.separator' and '{key}.encoding' in {mapping_file}"
        ) from exc
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
        raise PMOError(f"{path.name}: cannot be read: {str(exc).strip()}") from exc
    except LookupError as exc:  # an unknown encoding or error handler
        raise PMOError(f"{mapping_file}: key '{key}.encoding': {exc}") from exc
    except Exception as exc:  # openpyxl's own errors for a file that is not a workbook
        if type(exc).__module__.startswith("openpyxl"):
            raise PMOError(f"{path.name}: cannot be read: {exc}") from exc
        raise
    cells.index = pd.RangeIndex(1, len(cells) + 1)  # row numbers as the file shows them
    if rule.header_row > len(cells):
        raise PMOError(f"{mapping_file}: key '{key}.header_row': {path.name} has {len(cells)} rows")
    header: list[str] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(cells.loc[rule.header_row]):
        name = str(value).strip() if not is_blank(value) else f"(column {i + 1})"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1 or name in header:
            n = seen[name]
            while f"{name}#{n}" in header:
                n += 1
            name = f"{name}#{n}"
        header.append(name)
    data = cells.loc[rule.header_row + 1 :]
    data = data.drop(index=[r for r in rule.skip_rows if r in data.index])
    data.columns = header
    if len(data):  # rows with nothing in any cell are no rows
        blank = data.astype("string").fillna("").apply(lambda c: c.str.strip().eq(""))
        data = data[~blank.all(axis=1).to_numpy(dtype=bool)]
    return Source(path.name, data, headers={path.name: header})


def _bom_hint(path: Path, rule: ReadRule) -> str:
    """' (it starts with a UTF-16 byte order mark)' when it does and the rule says otherwise."""
    try:
        with path.open("rb") as handle:
            start = handle.read(2)
    except OSError:
        return ""
    if start in (b"\xff\xfe", b"\xfe\xff") and "16" not in rule.encoding:
        return " (it starts with a UTF-16 byte order mark: encoding: utf-16)"
    return ""


def _stack(sources: list[Source]) -> Source:
    """Several files' rows as one source; each row keeps its own file and row number."""
    if len(sources) == 1:
        return sources[0]
    origin: dict[int, tuple[str, int]] = {}
    frames = []
    for src in sources:
        ids = range(len(origin), len(origin) + len(src.frame))
        origin.update(zip(ids, ((src.name, int(r)) for r in src.frame.index), strict=True))
        frames.append(src.frame.set_axis(pd.Index(ids, dtype="int64"), axis=0))
    frame = pd.concat(frames, sort=False)
    headers = {name: cols for src in sources for name, cols in src.headers.items()}
    return Source(", ".join(s.name for s in sources), frame, origin, headers)


# -- converting cells --------------------------------------------------------------------------
_NUMBER = r"(\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d+)?|\.\d+)(e[+-]?\d+)?"
_MONEY = re.compile(
    r"^(?P<neg>-)?\(?(?P<neg2>-)?\s*(?P<cur>[A-Z]{3}\s?|[£$€¥])?\s*(?P<neg3>-)?\s*"
    rf"(?P<num>{_NUMBER})"
    r"\s*(?P<unit>k|m|mn|bn|b)?\s*\)?$",
    re.IGNORECASE,
)
_UNITS = {"k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}
MONEY_TEXT = "an amount (12,131.50, £12,131.50, $1.2M, (1,234))"


def parse_money(value: object) -> float:
    """'£12,131.50' -> 12131.5; '$1.2M' -> 1200000; '(1,234)' and '-1,234' -> -1234;
    '2.0E-6' -> 0.000002."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    match = _MONEY.match(text)
    if not match or (text.startswith("(") != text.endswith(")")):
        raise ValueError(value)
    number = float(match["num"].replace(",", ""))
    number *= _UNITS.get((match["unit"] or "").lower(), 1)
    if number in (float("inf"), float("-inf")):
        raise ValueError(value)
    negative = text.startswith("(") or any(match[g] for g in ("neg", "neg2", "neg3"))
    return -number if negative else number


def parse_number(value: object) -> float:
    """'1,234.5' -> 1234.5; '1.5e3' -> 1500; a number stays itself. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(value)
    number = float(value) if isinstance(value, int | float) else float(str(value).replace(",", ""))
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(value)
    return number


_ISO = re.compile(
    r"^(\d{4}-\d{2}-\d{2})([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$",
    re.IGNORECASE,
)
_ISO_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<mon>\d{1,2})$")
_MONTH_YEAR = (
    re.compile(r"^(?P<mon>[a-z]{3,9})\.?[\s\-/',.]*(?P<year>\d{4}|\d{2})$", re.IGNORECASE),
    re.compile(r"^(?P<year>\d{4})[\s\-/.]+(?P<mon>[a-z]{3,9})\.?$", re.IGNORECASE),
    re.compile(r"^(?P<year>\d{4})[/.](?P<mon>\d{1,2})$"),
    re.compile(r"^(?P<mon>\d{1,2})[-/.](?P<year>\d{4})$"),
)
_MONTHS = {
    **{m.lower(): i for i, m in enumerate(calendar.month_abbr) if m},
    **{m.lower(): i for i, m in enumerate(calendar.month_name) if m},
    "sept": 9,
}
DATE_TEXT_LENGTH = 64  # 'Wednesday, 31 December 2025 23:59:59.999999 +02:00' is 49
_SERIAL = re.compile(r"^\d{4,5}(\.\d+)?$")
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))  # a missing day is the 1st


def _month_year(match: re.Match) -> pd.Timestamp:
    """The first of the month a month-year match names (May-15, Jan 2019, 2019-05, 05/2019)."""
    mon, year = match["mon"], int(match["year"])
    month = int(mon) if mon.isdigit() else _MONTHS.get(mon.lower())
    if not month or not 1 <= month <= 12:
        raise ValueError(match.string)
    if len(match["year"]) == 2:
        year += 2000 if year <= 68 else 1900  # as strptime's %y
    return pd.Timestamp(year=year, month=month, day=1)


def parse_date(value: object, mode: str) -> pd.Timestamp:
    """A date cell in any of the ways spreadsheets write them: ISO (always understood; a time
    and zone are dropped, the calendar date kept as written), ISO year-month, an Excel serial
    number, or text day-first / month-first (a month and year alone is the first of the month)
    / in a strftime format. Raises ValueError."""
    if isinstance(value, pd.Timestamp | datetime | date):
        return pd.Timestamp(value).normalize()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (EXCEL_EPOCH + timedelta(days=float(value))).normalize()
    text = str(value).strip()
    if len(text) > DATE_TEXT_LENGTH:  # no date is written in more: not parsed
        raise ValueError(text[:DATE_TEXT_LENGTH])
    return _parse_date_text(text, mode)


@lru_cache(maxsize=65536)
def _parse_date_text(text: str, mode: str) -> pd.Timestamp:
    if match := _ISO.match(text):
        return pd.Timestamp(match[1])
    if "%" not in mode and (match := _ISO_MONTH.match(text)) and mode != "excel":
        return _month_year(match)
    if _SERIAL.match(text) and mode in ("excel", "day-first", "month-first"):
        return (EXCEL_EPOCH + timedelta(days=float(text))).normalize()
    if mode in ("excel", "iso"):
        raise ValueError(text)
    if "%" in mode:
        return pd.Timestamp(datetime.strptime(text, mode)).normalize()
    for pattern in _MONTH_YEAR:
        if match := pattern.match(text):
            return _month_year(match)
    try:  # twice, with different defaults: a part the text lacks shows as a difference
        first, second = (
            dateparser.parse(text, dayfirst=mode == "day-first", default=d) for d in _DEFAULTS
        )
    except (dateparser.ParserError, OverflowError, ValueError, TypeError) as exc:
        raise ValueError(text) from exc
    if (first.year, first.month) != (second.year, second.month):
        raise ValueError(text)  # no year, or no month: not a date
    return pd.Timestamp(first).normalize()


def describe_date(mode: str) -> str:
    return {
        "iso": "a date YYYY-MM-DD",
        "day-first": "a date, day first (31/01/2026, 31-Jan-2026) or YYYY-MM-DD",
        "month-first": "a date, month first (01/31/2026) or YYYY-MM-DD",
        "excel": "an Excel date serial number or YYYY-MM-DD",
    }.get(mode, f"a date like {mode}")


def _same_spelling(cells: pd.Series, universe: pd.Series) -> pd.Series:
    """Each value as the most frequent spelling (first seen on a tie) among the values of
    universe that differ from it only in case or spacing."""
    counts: dict[str, dict[str, int]] = {}
    for value in universe:
        if not isinstance(value, str) or is_blank(value):  # a number or date is as it is
            continue
        spelling = " ".join(str(value).split())
        kinds = counts.setdefault("".join(spelling.split()).casefold(), {})
        kinds[spelling] = kinds.get(spelling, 0) + 1
    chosen = {k: max(v, key=v.get) for k, v in counts.items()}  # max keeps the first of a tie

    def one(value: object) -> object:
        if not isinstance(value, str) or is_blank(value):
            return value
        return chosen.get("".join(str(value).split()).casefold(), value)

    return cells.map(one)


# -- one table from one file -------------------------------------------------------------------
@dataclass
class Built:
    table: str
    file: str  # the source's name (files joined with ", " when stacked)
    frame: pd.DataFrame  # canonical columns, typed; index = source row ids; rows left out gone
    problems: list[Problem] = field(default_factory=list)  # they stop the load
    blanked: list[Problem] = field(default_factory=list)  # cells blanked, rows kept
    left_out: list[Problem] = field(default_factory=list)  # bad_rows: skip; rows left out
    src: Source | None = None
    full: pd.DataFrame | None = None  # every row, before any was left out or grouped
    labels: dict[str, str] = field(default_factory=dict)  # canonical column -> source column
    # several file rules feeding the table: each one's row ids and labels
    parts: list[tuple[range, dict[str, str]]] = field(default_factory=list)

    def said(self, problem: Problem) -> Problem:
        """A problem as the user sees it: its source file and row, and for one found on the
        canonical table (an orphan, a duplicate key) the source column."""
        labels = next((own for ids, own in self.parts if problem.row in ids), self.labels)
        if problem.cause in ("orphan", "duplicate key") and problem.column in labels:
            problem = replace(problem, column=labels[problem.column])
        return self.src.locate(problem) if self.src else problem


class MappingError(PMOError):
    pass


def _listed(names: Iterable[object]) -> str:
    """Column names for a message, each cut to a readable length."""
    return ", ".join(str(clip(str(n))) for n in names)


def _resolve(src: Source, column: str, mapping_file: Path, key: str) -> str:
    """The name in src.frame of a source column: a header, 'Header#2', or '#5' (5th column)."""
    headers = src.headers or {src.name: list(src.frame.columns)}
    if match := re.fullmatch(r"#(\d+)", column.strip()):
        n = int(match[1])
        names = set()
        for file, columns in headers.items():
            if not 1 <= n <= len(columns):
                raise MappingError(
                    f"{mapping_file}: key '{key}': column {column}: {file} has {len(columns)}"
                    " columns"
                )
            names.add(columns[n - 1])
        if len(names) > 1:
            raise MappingError(
                f"{mapping_file}: key '{key}': column {column} is not the same column in every"
                f" file ({', '.join(sorted(names))}); name it by its header"
            )
        return names.pop()
    for file, columns in headers.items():
        if column not in columns:
            hashed = [c for c in columns if re.match(re.escape(column) + r"\s+#", c)]
            if hashed:  # `from: Project #` reads as 'Project': the rest is a comment
                hint = f"; a ' #' starts a YAML comment: quote the name ('{clip(hashed[0])}')"
            else:
                hint = did_you_mean(column, columns)
            if others := [f for f, cols in headers.items() if column in cols]:
                hint += (
                    f"; {others[0]} has it, but the files one pattern matches share its rules:"
                    f" give {file} a file rule of its own (several may feed one table)"
                )
            one = columns[0] if len(columns) == 1 else ""
            if seps := [repr(c) for c in (";", "\t", "|", ",") if c in one]:
                hint += (
                    f"; its header is one column holding {' and '.join(seps)}: set the"
                    f" separator of {file} in {mapping_file}"
                )
            raise MappingError(
                f"{mapping_file}: key '{key}': column '{column}' is not in {file}; it has:"
                f" {_listed(columns)}{hint}"
            )
    return column


def _source_column(
    src: Source, column: str, mapping_file: Path, key: str, rows: pd.DataFrame | None = None
) -> pd.Series:
    """A source column (of these rows, a slice of the file); a mapping error if it is not there."""
    name = _resolve(src, column, mapping_file, key)
    return (src.frame if rows is None else rows)[name]


_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$", re.IGNORECASE)


def placeholder_test(blank_values: Iterable[object] | None) -> Callable[[object], bool]:
    """Whether a cell is blank, or one of these placeholders: its text stripped, in any case;
    a number matching by value ('0' is 0, 0.0 and '0.00')."""
    texts = {str(v).strip().casefold() for v in blank_values or ()}
    by_value = {float(t) for t in texts if _PLAIN_NUMBER.match(t)}

    def test(value: object) -> bool:
        if is_blank(value):
            return True
        if not texts:
            return False
        if isinstance(value, Real) and not isinstance(value, bool):
            return float(value) in by_value
        text = str(value).strip().casefold()
        if text in texts:
            return True
        return bool(by_value) and bool(_PLAIN_NUMBER.match(text)) and float(text) in by_value

    return test


def _cells(
    src: Source,
    rule: ColumnRule,
    column: str,
    rows: pd.DataFrame,
    mapping_file: Path,
    key: str,
) -> pd.Series:
    """A source column's cells of these rows, a placeholder (blank_values) blank."""
    cells = _source_column(src, column, mapping_file, key, rows)
    if rule.blank_values:
        placeholder = cells.map(placeholder_test(rule.blank_values)).to_numpy(dtype=bool)
        cells = cells.astype(object).mask(placeholder, None)
    return cells


def _template_text(value: object) -> str:
    """A cell as it reads in a template: 13.0 (an Excel number) is '13', a date YYYY-MM-DD."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp | datetime) and value == pd.Timestamp(value).normalize():
        return pd.Timestamp(value).date().isoformat()
    return str(value).strip()


def _templated(
    src: Source, rule: ColumnRule, rows: pd.DataFrame, mapping_file: Path, key: str
) -> pd.Series:
    """The template filled in from each row's cells; blank where every cell it names is."""
    texts = [""] * len(rows)
    filled = [False] * len(rows)
    for part, is_column in template_parts(rule.template or ""):
        if not is_column:
            texts = [t + part for t in texts]
            continue
        cells = _cells(src, rule, part, rows, mapping_file, f"{key}.template").tolist()
        for i, value in enumerate(cells):
            if not is_blank(value):
                texts[i] += _template_text(value)
                filled[i] = True
    return pd.Series(
        [t if f else None for t, f in zip(texts, filled, strict=True)],
        index=rows.index,
        dtype=object,
    )


def _pick(
    src: Source, rule: ColumnRule, rows: pd.DataFrame, mapping_file: Path, key: str
) -> tuple[pd.Series, str]:
    """The cells a rule takes from these rows, and the name a problem gives their column."""
    if rule.first_present:
        picked = pd.Series([None] * len(rows), index=rows.index, dtype=object)
        for value, column in reversed(rule.first_present):
            present = ~_cells(src, rule, column, rows, mapping_file, key).map(is_blank)
            picked[present.to_numpy(dtype=bool)] = value
        return picked, "/".join(c for _, c in rule.first_present)
    if rule.template:
        return _templated(src, rule, rows, mapping_file, key), rule.template
    names = [rule.source] if isinstance(rule.source, str) else list(rule.source or [])
    if not names:
        raise MappingError(
            f"{mapping_file}: key '{key}': needs 'from', 'first_present' or 'template'"
        )
    names = [_resolve(src, name, mapping_file, key) for name in names]  # '#5': its header
    cells = _cells(src, rule, names[0], rows, mapping_file, key)
    for other in names[1:]:
        more = _cells(src, rule, other, rows, mapping_file, key)
        cells = cells.where(~cells.map(is_blank), more)
    return cells, names[0] if len(names) == 1 else " / ".join(names)


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
    blank: bool = False,
) -> pd.Series:
    """The canonical column target for these source rows, converted; problems collected.
    blank: a cell that does not convert is blanked (its problem says blanked), not refused."""
    spec = TABLES[table].column(target)
    universe = cells
    if cells is None:
        cells, label = _pick(src, rule, rows, mapping_file, key)
        if rule.same_case and not rule.first_present:  # spellings counted over the whole file
            universe = _pick(src, rule, src.frame, mapping_file, key)[0]
    per_row = cells.attrs.get("columns") or [label] * len(cells)  # unpivot: each cell's column
    out = cells.astype(object).where(~cells.map(is_blank), rule.default)
    if rule.same_case and universe is not None:
        out = _same_spelling(out, universe)
    if rule.values is not None:
        out = _map_values(out, rule.values, spec.allowed, mapping_file, key)
    steps: list[Callable[[object], object]] = []
    expected = ""
    if rule.money:
        steps.append(parse_money)
        expected = MONEY_TEXT
    elif rule.scale is not None:
        steps.append(parse_number)
        expected = "a number (1,234.5, 1.5e3)"
    if rule.scale is not None:
        steps.append(lambda v, s=rule.scale: v * s)
    if rule.date or (spec.type == "date" and not rule.values):
        mode = rule.date or "iso"
        steps.append(lambda v, m=mode: parse_date(v, m))
        expected = describe_date(mode)
    failed: list[int] = []
    if steps:
        bounds = checks(spec)[0]  # 9999-12-31, 1e308: refused naming the source text
        values = []
        for row, value, column in zip(rows.index, out, per_row, strict=True):
            if value is None:
                values.append(None)
                continue
            original = value
            try:
                for step in steps:
                    value = step(value)
                why = bounds(value)
            except (ValueError, TypeError, OverflowError):
                why = expected
            if why is not None:
                problems.append(
                    Problem(src.name, int(row), column, shown(original), why, blanked=blank)
                )
                failed.append(int(row))
                value = None
            values.append(value)
        out = pd.Series(values, index=rows.index, dtype=object)
    if rule.minus_days:
        days = _source_column(src, rule.minus_days, mapping_file, key, rows)
        date_bounds = checks(spec)[0]
        values = []
        for row, value, count in zip(rows.index, out, days, strict=True):
            if value is None or is_blank(count):
                values.append(None)  # no days given: the date cannot be worked out
                continue
            why = f"a number of days (to subtract from {label})"
            try:
                value = value - pd.Timedelta(days=parse_number(count))
                if (broken := date_bounds(value)) is not None:
                    why += f" that leaves {broken} (it gives {iso_day(value)})"
                else:
                    why = None
            except (ValueError, TypeError, OverflowError):
                pass
            if why is not None:
                problems.append(
                    Problem(src.name, int(row), rule.minus_days, shown(count), why, blanked=blank)
                )
                failed.append(int(row))
                value = None
            values.append(value)
        out = pd.Series(values, index=rows.index, dtype=object)
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
    keep = fallback == "*"  # '*': '*' keeps any other value as it is
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
            return value if keep else fallback
        unmapped[str(value)] = unmapped.get(str(value), 0) + 1
        return value

    out = cells.map(one)
    if unmapped:
        words = ", ".join(f"'{clip(v)}' ({n} rows)" for v, n in sorted(unmapped.items())[:12])
        raise MappingError(
            f"{mapping_file}: key '{key}.values': leaves {words} unmapped; map each, or add"
            f" '*': <value> for any other"
        )
    return out


def build_table(
    src: Source,
    rows: pd.DataFrame,
    table: str,
    rule: TableRule,
    mapping_file: Path,
    key: str,
    bad_rows: str = "refuse",
    bad_cells: str = "refuse",
    check_keys: bool = True,
) -> Built:
    """One canonical table from these rows of a source file.

    bad_cells: blank (or a column's own bad_cells) blanks a cell that does not convert or
    breaks a rule, when its column may be blank; bad_rows: skip leaves out a row with any other
    problem (before group_by merges rows, and before the key is checked for duplicates).
    check_keys=False leaves the key to be checked once the rows of every rule feeding the table
    are together (keys_checked)."""
    problems: list[Problem] = []
    spec = TABLES[table]
    columns: dict[str, pd.Series] = {}
    labels: dict[str, str] = {}
    blank_bad: set[str] = set()

    def blanks(target: str, how: ColumnRule) -> bool:
        if (how.bad_cells or bad_cells) == "blank" and _blankable(spec.column(target)):
            blank_bad.add(target)
            return True
        return False

    base = rows
    if rule.unpivot:
        value_rule = rule.columns.get(rule.unpivot.value_to)
        placeholders = None if isinstance(value_rule, str | None) else value_rule.blank_values
        base, label_cells, value_cells = _unpivot(
            src, rows, rule.unpivot, mapping_file, key, placeholder_test(placeholders)
        )
        expanded = replace(src, frame=base)
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
                blanks(target, how),
            )
        src = expanded
    for target, how in rule.columns.items():
        if rule.unpivot and target in (rule.unpivot.label_to, rule.unpivot.value_to):
            continue
        how = ColumnRule(source=how) if isinstance(how, str) else how
        columns[target] = _convert(
            src,
            base,
            table,
            target,
            how,
            mapping_file,
            f"{key}.columns.{target}",
            problems,
            blank=blanks(target, how),
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
        check_keys=False,
        blank_bad=blank_bad,
    )
    failed = {
        (row, labels[target])
        for target, cells in columns.items()
        for row in cells.attrs.get("failed", ())
    }
    # a cell that did not convert is blank now: its conversion problem says it already
    problems.extend(p for p in found if not (p.value == "" and (p.row, p.column) in failed))
    problems = list(dict.fromkeys(problems))
    blanked = [p for p in problems if p.blanked]
    bad = [p for p in problems if not p.blanked]
    full, left_out = frame, []
    if bad_rows == "skip":
        left_out = [p for p in bad if p.row is not None]
        bad = [p for p in bad if p.row is None]
        frame = frame[~frame.index.isin({p.row for p in left_out})]
    if rule.group_by and len(frame):
        frame = _grouped(frame, rule.group_by, rule.sum)
    built = Built(table, src.name, frame, bad, blanked, left_out, src, full, labels)
    return keys_checked(built, bad_rows) if check_keys else built


def keys_checked(built: Built, bad_rows: str) -> Built:
    """A row whose key repeats an earlier row's is a problem, or with bad_rows: skip left out
    (the first stays)."""
    duplicates = duplicate_keys(built.frame, TABLES[built.table], built.file)
    if not duplicates:
        return built
    if bad_rows == "skip":
        kept = ~built.frame.duplicated(subset=list(TABLES[built.table].key), keep="first")
        return replace(
            built,
            frame=built.frame[kept.to_numpy()],
            left_out=[*built.left_out, *duplicates],
        )
    return replace(built, problems=[*built.problems, *duplicates])


def combined(parts: list[Built]) -> Built:
    """The rows of several file rules feeding one table, one after the other (in the order of
    the rules): each row keeps its own file and row number for messages and the log."""
    if len(parts) == 1:
        return parts[0]
    origin: dict[int, tuple[str, int]] = {}
    frames, fulls, spans = [], [], []
    problems: list[Problem] = []
    blanked: list[Problem] = []
    left_out: list[Problem] = []
    for part in parts:
        rows = [*part.full.index, *(p.row for p in part.problems + part.blanked + part.left_out)]
        ids = [int(r) for r in dict.fromkeys(rows) if r is not None]
        start = len(origin)
        new = {old: start + i for i, old in enumerate(ids)}
        origin.update((new[old], part.src.where(old)) for old in ids)
        spans.append((range(start, len(origin)), part.labels))

        def moved(problem: Problem, new: dict[int, int] = new) -> Problem:
            return problem if problem.row is None else replace(problem, row=new[problem.row])

        problems += map(moved, part.problems)
        blanked += map(moved, part.blanked)
        left_out += map(moved, part.left_out)
        frames.append(part.frame.set_axis(pd.Index(part.frame.index.map(new), dtype="int64")))
        fulls.append(part.full.set_axis(pd.Index(part.full.index.map(new), dtype="int64")))
    dtypes = TABLES[parts[0].table].dtypes

    def together(pieces: list[pd.DataFrame]) -> pd.DataFrame:
        filled = [f for f in pieces if len(f)] or pieces[:1]
        return pd.concat(filled).astype(dtypes)

    name = ", ".join(dict.fromkeys(p.file for p in parts))
    src = Source(name, pd.DataFrame(), origin)
    return Built(
        parts[0].table,
        name,
        together(frames),
        problems,
        blanked,
        left_out,
        src,
        together(fulls),
        parts[0].labels,
        spans,
    )


def _unpivot(
    src: Source,
    rows: pd.DataFrame,
    rule: Unpivot,
    mapping_file: Path,
    key: str,
    blank: Callable[[object], bool] = is_blank,
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """One row per chosen column of each source row whose cell is not blank (nor, by the
    value column's blank_values, a placeholder)."""
    if rule.columns:
        chosen = {
            _resolve(src, column, mapping_file, f"{key}.unpivot.columns.{column}"): label
            for column, label in rule.columns.items()
        }
    elif rule.pattern:
        regex = re.compile(rule.pattern)
        chosen = {}
        for column in src.frame.columns:
            if match := regex.search(column):
                chosen[column] = match.group(1) if regex.groups else column
        if not chosen:
            raise MappingError(
                f"{mapping_file}: key '{key}.unpivot.pattern': no column of {src.name} matches"
                f" '{rule.pattern}'; it has: {_listed(src.frame.columns)}"
            )
    else:
        raise MappingError(f"{mapping_file}: key '{key}.unpivot': needs columns or pattern")
    parts, labels, values, names = [], [], [], []
    for column, label in chosen.items():
        cells = rows[column]
        kept = ~cells.map(blank).to_numpy(dtype=bool)
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
    frames: dict[str, pd.DataFrame]  # index = each row's source row number
    files: dict[str, str]  # table -> source file(s)
    log: pd.DataFrame = field(default_factory=ingest_log.empty)  # rows left out, cells blanked


@dataclass
class Mapped:
    snapshots: list[Snapshot]
    problems: list[Problem]  # they stop the load
    notes: list[str]
    skipped: list[Problem] = field(default_factory=list)  # rows left out (also in the logs)


def map_folder(mapping_file: Path | str, folder: Path | str, as_of: date | None = None) -> Mapped:
    """Read the folder through the mapping: one snapshot per reporting period or dated file (or
    one at as_of, the mapping's as_of, else the error says how to give one); as_of picks one
    period of data that dates itself. Problems are collected, not raised, so that --check can
    list them all; rows left out and cells blanked go into each snapshot's log."""
    mapping_file, folder = Path(mapping_file), Path(folder)
    mapping = load_mapping(mapping_file)
    if not folder.is_dir():
        raise PMOError(f"{folder}: no such folder of exports")
    by_period: dict[date, dict[str, list[Built]]] = {}
    problems: list[Problem] = []
    notes: list[str] = []
    periods_seen: set[date] = set()
    files_read: list[str] = []
    for i, file_rule in enumerate(mapping.files):
        key = f"files[{i}]"
        paths = find_files(folder, file_rule.file, mapping_file, f"{key}.file")
        for file_date, group in _dated(paths, file_rule, mapping_file, key):
            if file_date is not None:
                periods_seen.add(file_date)
                if as_of and file_date != as_of:
                    continue
            read = [read_source(p, file_rule, mapping_file, key) for p in group]
            notes.extend(f"{r.name}: no data rows (a header only)." for r in read if r.frame.empty)
            src = _stack(read)
            files_read.append(src.name)
            for j, join in enumerate(file_rule.join):
                src = _joined(src, folder, join, mapping_file, f"{key}.join[{j}]")
            chosen, found = _periods(
                src, file_rule, mapping, as_of, file_date, mapping_file, key, periods_seen
            )
            problems.extend(src.locate(p) for p in found)
            for period, rows in chosen:
                for name, rule in file_rule.tables.items():
                    built = build_table(
                        src,
                        rows,
                        name,
                        rule,
                        mapping_file,
                        f"{key}.tables.{name}",
                        mapping.bad_rows,
                        mapping.bad_cells,
                        check_keys=False,
                    )
                    by_period.setdefault(period, {}).setdefault(name, []).append(built)
    snapshots, skipped = [], []
    for period in sorted(by_period):
        tables = {  # the rows of every rule feeding a table, their keys checked together
            name: keys_checked(combined(parts), mapping.bad_rows)
            for name, parts in by_period[period].items()
        }
        if "projects" not in tables:
            raise MappingError(
                f"{mapping_file}: no file feeds the table 'projects', which every snapshot needs"
                f" (none for {period})"
            )
        frames = {name: b.frame for name, b in tables.items()}
        labels = {name: b.file for name, b in tables.items()}
        if tables["projects"].full.empty and (why := no_projects(frames, labels, period)):
            raise PMOError(why)  # said once, not as every other row's orphan
        gone = {name: list(b.left_out) for name, b in tables.items()}
        for b in tables.values():
            problems.extend(b.said(p) for p in b.problems)
        if mapping.bad_rows == "skip":  # a bad row leaves its own table, its orphans theirs
            _leave_out_orphans(tables, frames, labels, gone)
        else:
            for name, frame in frames.items():
                problems.extend(
                    tables[name].said(p) for p in orphans(name, frame, frames, labels)[1]
                )
        log = _log(tables, gone)
        for name, b in tables.items():
            skipped.extend(b.said(p) for p in gone[name])
            if b.src.origin:  # stacked files: each row numbered as its own file numbers it
                frames[name] = frames[name].set_axis(
                    pd.Index([b.src.where(r)[1] for r in frames[name].index], dtype="int64")
                )
        snapshots.append(Snapshot(period, frames, labels, log))
        missing = [t for t in TABLES if t not in frames]
        if missing and not any(n.startswith("No source for") for n in notes):
            notes.append(f"No source for: {', '.join(missing)} (stored empty).")
    if not snapshots and not problems:
        if as_of and periods_seen:
            shown = ", ".join(d.isoformat() for d in sorted(periods_seen))
            raise PMOError(
                f"--as-of {as_of}: the data of {folder} has no such period; it has {shown}"
            )
        raise PMOError(
            f"{folder}: nothing to load: no data rows in {', '.join(files_read) or 'any file'}"
        )
    unique = list(dict.fromkeys(problems))  # a row that feeds two tables is reported once
    return Mapped(snapshots, unique, notes, skipped)


_LEFT_OUT_FOR = {
    "bad cell": "for a bad cell",
    "blank required": "for a blank required cell",
    "duplicate key": "as a duplicate key",
    "orphan": "as an orphan",
}


def _leave_out_orphans(
    tables: dict[str, Built],
    frames: dict[str, pd.DataFrame],
    labels: dict[str, str],
    gone: dict[str, list[Problem]],
) -> None:
    """Leave out (in frames, recorded in gone) every row whose reference names a row its table
    does not hold, until none does: a row left out may orphan others."""
    changed = True
    while changed:
        changed = False
        for name in frames:
            if not TABLES[name].references:
                continue
            mask, found = orphans(name, frames[name], frames, labels)
            if not mask.any():
                continue
            found = [replace(p, expected=p.expected + _why(p, name, tables, gone)) for p in found]
            frames[name] = frames[name][~mask]
            gone[name].extend(found)
            changed = True


def _why(problem: Problem, name: str, tables: dict[str, Built], gone: dict) -> str:
    """' (PRJ-9 was left out for a bad cell)' when the row an orphan names was left out."""
    ref = next(r for r in TABLES[name].references if r.column == problem.column)
    if ref.target not in tables:
        return f" (no file feeds {ref.target})"
    full = tables[ref.target].full
    causes: dict[int, str] = {}
    for p in gone[ref.target]:
        causes.setdefault(p.row, p.cause)
    hit = full[full.index.isin(causes) & full[ref.target_column].eq(problem.value).fillna(False)]
    if hit.empty:
        return ""
    return f" ({problem.value} was left out {_LEFT_OUT_FOR.get(causes[hit.index[0]], '')})"


def _log(tables: dict[str, Built], gone: dict[str, list[Problem]]) -> pd.DataFrame:
    """The snapshot's ingest log: rows left out, and cells blanked in the rows kept."""
    portfolio_of = _portfolios(tables)
    parts = []
    for name, built in tables.items():
        out = {p.row for p in gone[name]}
        entries = [p for p in built.blanked if p.row not in out] + gone[name]
        entries.sort(key=lambda p: (p.row is None, p.row or 0))
        parts.append(
            ingest_log.from_problems(
                [built.said(p) for p in entries],
                name,
                [portfolio_of(name, p.row) for p in entries],
            )
        )
    return ingest_log.concat(parts)


def _portfolios(tables: dict[str, Built]) -> Callable[[str, int | None], str | None]:
    """A row's portfolio: its own, else its project's, demand's or resource's (rows left out
    included, so that an orphan of a project left out still counts for that portfolio)."""
    firsts = {
        name: b.full[~b.full.index.duplicated()] for name, b in tables.items() if b.full is not None
    }
    homes: dict[str, dict] = {}
    for name, frame in firsts.items():
        spec = TABLES[name]
        if "portfolio" in spec.column_names and len(spec.key) == 1:
            known = frame[frame[spec.key[0]].notna() & frame["portfolio"].notna()]
            homes[name] = dict(zip(known[spec.key[0]], known["portfolio"], strict=True))

    def find(name: str, row: int | None) -> str | None:
        frame = firsts.get(name)
        if row is None or frame is None or row not in frame.index:
            return None
        values = frame.loc[row]
        if "portfolio" in values.index and not is_blank(values["portfolio"]):
            return str(values["portfolio"])
        refs = sorted(TABLES[name].references, key=lambda r: r.target != "projects")
        for ref in refs:
            value = values[ref.column]
            if not is_blank(value) and value in homes.get(ref.target, {}):
                return str(homes[ref.target][value])
        return None

    return find


def _joined(src: Source, folder: Path, join: Join, mapping_file: Path, key: str) -> Source:
    other = read_source(
        find_file(folder, join.file, mapping_file, f"{key}.file"), join, mapping_file, key
    )
    mine = _resolve(src, join.key, mapping_file, f"{key}.key")
    theirs = _resolve(other, join.key, mapping_file, f"{key}.key")
    extra = other.frame.drop_duplicates(subset=[theirs]).set_index(theirs)
    extra = extra[[c for c in extra.columns if c not in src.frame.columns]]
    joined = src.frame.join(extra, on=mine)
    joined.index = src.frame.index
    headers = {f: [*cols, *extra.columns] for f, cols in src.headers.items()}
    return replace(src, frame=joined, headers=headers)


def _dated(
    paths: list[Path], rule: FileRule, mapping_file: Path, key: str
) -> list[tuple[date | None, list[Path]]]:
    """The files matched, in groups by their own snapshot date (None: not dated by the file)."""
    if rule.as_of_from_name is None:
        return [(rule.as_of, paths)]
    how = rule.as_of_from_name
    groups: dict[date, list[Path]] = {}
    for path in paths:
        match = re.search(how.pattern, path.name)
        where = f"{mapping_file}: key '{key}.as_of_from_name"
        if not match:
            raise MappingError(f"{where}.pattern': {path.name} does not match '{how.pattern}'")
        try:
            text = how.template.format(
                match.group(0), *(g or "" for g in match.groups()), **match.groupdict()
            )
        except (IndexError, KeyError, ValueError) as exc:
            raise MappingError(
                f"{where}.template': '{how.template}' names a group the pattern does not have"
                f" ({exc}); it has {{0}} to {{{len(match.groups())}}}"
            ) from None
        try:
            stamp = parse_date(text, how.date)
        except (ValueError, TypeError, OverflowError):
            raise MappingError(
                f"{where}.template': '{text}' (from {path.name}) is not {describe_date(how.date)}"
            ) from None
        groups.setdefault(stamp.date(), []).append(path)
    return sorted(groups.items())


def _periods(
    src: Source,
    rule: FileRule,
    mapping: Mapping,
    as_of: date | None,
    file_date: date | None,
    mapping_file: Path,
    key: str,
    seen: set[date],
) -> tuple[list[tuple[date, pd.DataFrame]], list[Problem]]:
    """The file's rows per reporting period, and the rows whose period is not a date."""
    if rule.snapshots is None:
        chosen = file_date or as_of or mapping.as_of
        if chosen is None:
            raise PMOError(
                f"{mapping_file}: no snapshot date: give --as-of YYYY-MM-DD, or 'as_of' in the"
                f" mapping, or '{key}.snapshots' naming the column of the reporting period, or"
                f" '{key}.as_of' / '{key}.as_of_from_name' dating the file"
            )
        return [(chosen, src.frame)], []
    column = _source_column(src, rule.snapshots.column, mapping_file, f"{key}.snapshots.column")
    dates, problems = {}, []
    for row, value in column.items():
        try:
            period = parse_date(value, rule.snapshots.date).date()
            expected = None
            if not DATE_MIN <= period <= DATE_MAX:
                expected = f"a date from {DATE_MIN} to {DATE_MAX}"
        except (ValueError, TypeError, OverflowError):
            expected = describe_date(rule.snapshots.date)
        if expected is None:
            dates[row] = period
        else:
            problems.append(
                Problem(
                    src.name,
                    int(row),
                    rule.snapshots.column,
                    shown(value),
                    expected + " (the row's reporting period)",
                )
            )
    periods = pd.Series(dates, dtype=object)
    seen.update(periods)
    chosen = [
        (period, src.frame.loc[periods.index[(periods == period).to_numpy()]])
        for period in sorted(set(periods))
        if not as_of or period == as_of
    ]
    return chosen, problems
