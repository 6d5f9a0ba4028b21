"""The example mappings against their own data broken in the ways real exports break: a renamed,
dropped or repeated header, notes where dates and amounts should be, a file with a header only
or nothing at all, a short or long row, stray bytes, the wrong encoding, the wrong separator.
Each load either succeeds or stops with a PMOError whose message names what is wrong: never
another exception, never a pandas object printed. The data is trimmed when copied, so the
whole module runs in seconds."""

from __future__ import annotations

import csv
import fnmatch
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import run_reports
from pmo_lib import ingest_log, mapping
from pmo_lib.errors import PMOError
from pmo_lib.params import PROJECT_ROOT
from pmo_lib.schema import TABLES

EXAMPLES = PROJECT_ROOT / "tests" / "data" / "examples"
SOURCES = PROJECT_ROOT / "params" / "sources"
DATA_ROWS = 80  # rows kept of each example file
NOTE = "Exempt under Section 26 of the FOI Act (see note 3)"


@dataclass(frozen=True)
class File:
    """How an example file is read (as its mapping says), to copy and break it."""

    encoding: str
    separator: str = ","
    header_row: int = 1
    join_key: str | None = None  # a joined file: kept for the keys of the rows kept


def _examples() -> dict[str, tuple[Path, dict[str, File]]]:
    """Each example mapping of params/sources with the folder of tests/data/examples that holds
    its files: {mapping name: (folder, {file name: File})}, the main file first."""
    found = {}
    for path in sorted(SOURCES.glob("*.yaml")):
        try:
            rules = mapping.load_mapping(path).files
        except PMOError:
            continue  # a mapping that does not load is its own tests' business
        for folder in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
            names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".csv")
            files: dict[str, File] = {}
            for rule in rules:
                for name in fnmatch.filter(names, rule.file):
                    files[name] = File(rule.encoding, rule.separator, rule.header_row)
                for join in rule.join:
                    for name in fnmatch.filter(names, join.file):
                        files[name] = File(join.encoding, join.separator, join.header_row, join.key)
            wanted = [r.file for r in rules] + [j.file for r in rules for j in r.join]
            if all(fnmatch.filter(names, pattern) for pattern in wanted):
                found[path.stem] = (folder, files)
                break
    return found


CASES = _examples()
assert {"nyc_capital_projects", "melbourne_water_capital_delivery", "sip_task_effort"} <= set(CASES)

Rows = list[list[str]]


def _read(path: Path, file: File) -> Rows:
    with path.open(encoding=file.encoding, errors="replace", newline="") as handle:
        return list(csv.reader(handle, delimiter=file.separator))


def _write(path: Path, rows: Rows, file: File) -> None:
    with path.open("w", encoding=file.encoding, errors="replace", newline="") as handle:
        csv.writer(handle, delimiter=file.separator).writerows(rows)


def _columns(name: str) -> dict[str, set[str]]:
    """The source columns the mapping reads as dates, as money, as the reporting period, and
    at all."""
    found: dict[str, set[str]] = {"date": set(), "money": set(), "any": set(), "period": set()}
    for file_rule in mapping.load_mapping(SOURCES / f"{name}.yaml").files:
        if file_rule.snapshots:
            found["period"].add(file_rule.snapshots.column)
        for table, table_rule in file_rule.tables.items():
            for target, rule in table_rule.columns.items():
                is_date = TABLES[table].column(target).type == "date"
                if isinstance(rule, str):
                    found["any"].add(rule)
                    found["date" if is_date else "any"].add(rule)
                    continue
                names = [rule.source] if isinstance(rule.source, str) else list(rule.source or [])
                names += [c for _, c in rule.first_present or []]
                found["any"].update(names)
                if rule.date or is_date and not rule.values and not rule.first_present:
                    found["date"].update(names)
                if rule.money:
                    found["money"].update(names)
    return found


def _copy(name: str, folder: Path) -> dict[str, Rows]:
    """The example's files, trimmed to the header, the rows above it, its note rows and
    DATA_ROWS rows (a joined file to the keys of the rows kept), written to folder."""
    source, files = CASES[name]
    folder.mkdir(parents=True, exist_ok=True)
    kept: dict[str, Rows] = {}
    for file, how in files.items():
        rows = _read(source / file, how)
        top, header = rows[: how.header_row], rows[how.header_row - 1]
        if how.join_key and how.join_key in header:
            at = header.index(how.join_key)
            keys: set[str] = set()
            for other in kept.values():  # the files read so far: header first
                if how.join_key in other[0]:
                    i = other[0].index(how.join_key)
                    keys |= {r[i] for r in other[1:] if i < len(r)}
            rows = top + [r for r in rows[how.header_row :] if at < len(r) and r[at] in keys]
        else:
            rows = rows[: how.header_row + 2 + DATA_ROWS]
        _write(folder / file, rows, how)
        kept[file] = rows[how.header_row - 1 :]
    return kept


Break = Callable[[Rows, dict[str, set[str]], random.Random], Rows | bytes]


def _set_cells(rows: Rows, columns: set[str], value: Callable[[int], str]) -> Rows:
    header = rows[0]
    out = [list(r) for r in rows]
    for i, column in enumerate(header):
        if column in columns:
            for n, row in enumerate(out[1:], start=1):
                if n % 3 == 0 and i < len(row):
                    row[i] = value(n)
    return out


def _mapped(rows: Rows, cols: dict[str, set[str]]) -> list[int]:
    return [i for i, c in enumerate(rows[0]) if c in cols["any"]] or [0]


BREAKS: dict[str, Break] = {
    "header renamed": lambda rows, cols, rnd: [
        [c + " (old)" if i == _mapped(rows, cols)[0] else c for i, c in enumerate(rows[0])],
        *rows[1:],
    ],
    "header spaced": lambda rows, cols, rnd: [
        [c.replace(" ", "  ") if c in cols["any"] else c.lower() for c in rows[0]],
        *rows[1:],
    ],
    "column dropped": lambda rows, cols, rnd: [
        [c for i, c in enumerate(r) if i != _mapped(rows, cols)[-1]] for r in rows
    ],
    "header repeated": lambda rows, cols, rnd: [
        [
            rows[0][_mapped(rows, cols)[0]] if i == len(rows[0]) - 1 else c
            for i, c in enumerate(rows[0])
        ],
        *rows[1:],
    ],
    "column repeated": lambda rows, cols, rnd: [[*r, *r[:3]] for r in rows],
    "notes in date cells": lambda rows, cols, rnd: _set_cells(rows, cols["date"], lambda n: NOTE),
    "notes in the period column": lambda rows, cols, rnd: _set_cells(
        rows, cols["period"], lambda n: NOTE
    ),
    "notes in money cells": lambda rows, cols, rnd: _set_cells(
        rows, cols["money"], lambda n: ["n/a", "TBC", "£1,2,3", "(12", "1e999", "-"][n % 6]
    ),
    "odd numbers": lambda rows, cols, rnd: _set_cells(
        rows, cols["money"] | cols["date"], lambda n: ["2.0E-6", "1.5e3", "May-15", "0"][n % 4]
    ),
    "every mapped cell a note": lambda rows, cols, rnd: _set_cells(
        rows, cols["any"] | cols["period"], lambda n: NOTE
    ),
    "header only": lambda rows, cols, rnd: rows[:1],
    "empty file": lambda rows, cols, rnd: b"",
    "a row cut short": lambda rows, cols, rnd: [
        *rows[:5],
        rows[5][: len(rows[5]) // 2],
        *rows[6:],
    ],
    "a row too long": lambda rows, cols, rnd: [*rows[:5], [*rows[5], "x", "y"], *rows[6:]],
    "random bytes in cells": lambda rows, cols, rnd: _bytes_in_cells(rows, rnd),
    "utf-16": lambda rows, cols, rnd: _text(rows).encode("utf-16"),
    "semicolons": lambda rows, cols, rnd: _text(rows, ";").encode("utf-8"),
    "a binary file": lambda rows, cols, rnd: bytes(rnd.randrange(256) for _ in range(3000)),
}

CELL_BREAKS = {  # applied to every file of the example, the others to its main file
    "notes in date cells",
    "notes in the period column",
    "notes in money cells",
    "odd numbers",
    "every mapped cell a note",
    "random bytes in cells",
}
assert set(BREAKS) >= CELL_BREAKS


def _text(rows: Rows, separator: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator).writerows(rows)
    return buffer.getvalue()


def _bytes_in_cells(rows: Rows, rnd: random.Random) -> bytes:
    text = _text(rows).encode("utf-8", errors="replace")
    out = bytearray(text)
    for _ in range(12):
        at = rnd.randrange(len(out) // 10, len(out))
        out[at : at + 1] = bytes(
            rnd.choice([0, 0x81, 0x9D, 0xC3, 0xFF, 0x22, 0x0A]) for _ in range(3)
        )
    return bytes(out)


def _apply(name: str, folder: Path, how: str, file: str | None = None) -> None:
    """Copy the example to folder and break it: its main file (or this one), or for a break
    of cells, every file."""
    _copy(name, folder)
    files = [file] if file else list(CASES[name][1])
    if not file and how not in CELL_BREAKS:
        files = files[:1]
    for one in files:
        spec = CASES[name][1][one]
        rows = _read(folder / one, spec)
        top, rows = rows[: spec.header_row - 1], rows[spec.header_row - 1 :]  # rows[0]: header
        broken = BREAKS[how](rows, _columns(name), random.Random(f"{name}/{how}/{one}"))
        if isinstance(broken, bytes):
            (folder / one).write_bytes(broken)
        else:
            _write(folder / one, top + broken, spec)


def _map(mapping_file: Path, folder: Path) -> mapping.Mapped | None:
    """map_folder: success, or a PMOError that reads as a message. Anything else fails."""
    try:
        mapped = mapping.map_folder(mapping_file, folder)
    except PMOError as exc:
        message = str(exc)
        assert message and "Traceback" not in message and "dtype:" not in message, message
        return None
    for problem in mapped.problems:
        text = str(problem)
        assert problem.file and "dtype:" not in text and "\n" not in text.strip(), text
    for snapshot in mapped.snapshots:
        assert tuple(snapshot.log.columns) == ingest_log.COLUMNS
        assert not snapshot.log["value"].str.contains("dtype:").any()
        assert snapshot.log["action"].isin(ingest_log.ACTIONS).all()
        assert snapshot.log["cause"].isin(ingest_log.CAUSES).all()
    return mapped


def _blanking(name: str, folder: Path) -> Path:
    """The example mapping with bad_cells: blank and bad_rows: skip."""
    text = (SOURCES / f"{name}.yaml").read_text(encoding="utf-8")
    text = "bad_cells: blank\n" + text
    if "\nbad_rows:" not in text:
        text = "bad_rows: skip\n" + text
    path = folder / f"{name}_blank.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("how", list(BREAKS))
@pytest.mark.parametrize("name", list(CASES))
def test_a_broken_export_is_a_message_never_a_traceback(tmp_path, name, how):
    folder = tmp_path / "data"
    _apply(name, folder, how)
    _map(SOURCES / f"{name}.yaml", folder)
    _map(_blanking(name, tmp_path), folder)


@pytest.mark.parametrize("how", ["column dropped", "notes in date cells", "random bytes in cells"])
def test_the_joined_file_broken_too(tmp_path, how):
    folder = tmp_path / "data"
    _apply("sip_task_effort", folder, how, file="est-act-dates.csv")
    _map(SOURCES / "sip_task_effort.yaml", folder)


@pytest.mark.parametrize("name", list(CASES))
def test_the_trimmed_examples_load_as_they_are(tmp_path, name):
    folder = tmp_path / "data"
    _copy(name, folder)
    mapped = _map(SOURCES / f"{name}.yaml", folder)
    assert mapped is not None and mapped.problems == [] and mapped.snapshots


@pytest.mark.parametrize("name", list(CASES))
def test_notes_in_date_cells_are_blanked_or_left_out_and_logged(tmp_path, name):
    if not _columns(name)["date"]:
        pytest.skip("the mapping reads no dates")
    _copy(name, tmp_path / "as is")
    before = _map(_blanking(name, tmp_path), tmp_path / "as is")
    folder = tmp_path / "data"
    _apply(name, folder, "notes in date cells")
    mapped = _map(_blanking(name, tmp_path), folder)
    assert mapped is not None and mapped.problems == []
    log = ingest_log.concat(s.log for s in mapped.snapshots)
    found = ingest_log.summary(log)
    assert found["cells_blanked"] + found["rows_left_out"] > 0
    # every entry is a note, or was there before the notes (or is an orphan of a row left out)
    known = set(ingest_log.concat(s.log for s in before.snapshots)["value"]) | {NOTE}
    assert set(log.loc[log["cause"] != "orphan", "value"]) <= known
    kept = sum(len(f) for s in mapped.snapshots for f in s.frames.values())
    assert kept > 0


@pytest.mark.parametrize(
    ("name", "how"),
    [("nyc_capital_projects", "notes in money cells"), ("sip_task_effort", "header repeated")],
)
def test_ingest_check_on_a_broken_export_exits_with_a_message(tmp_path, capsys, name, how):
    folder = tmp_path / "data"
    _apply(name, folder, how)
    db = tmp_path / "pmo.duckdb"
    argv = ["ingest", str(folder), "--mapping", str(SOURCES / f"{name}.yaml"), "--source", str(db)]
    code = run_reports.main([*argv, "--check"])
    captured = capsys.readouterr()
    assert code in (0, 1, 2) and not db.exists()
    assert "Traceback" not in captured.err + captured.out
    assert "dtype:" not in captured.err + captured.out
    if code == 2:
        assert captured.err.startswith("error: ")
