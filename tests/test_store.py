"""The DuckDB store: snapshots per as_of, replace in one transaction, scoped loads."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from pmo_lib import store
from pmo_lib.data import load_portfolio
from pmo_lib.errors import PMOError
from tests.conftest import frame


def _snapshot(budget: float, portfolio: str = "Digital") -> dict[str, pd.DataFrame]:
    return {
        "projects": frame(
            "projects",
            [
                {
                    "project_id": "P1",
                    "project_name": "Alpha",
                    "portfolio": portfolio,
                    "status": "Active",
                    "budget_at_completion": budget,
                },
                {
                    "project_id": "P2",
                    "project_name": "Beta",
                    "portfolio": "Infra",
                    "status": "Active",
                    "budget_at_completion": 7.0,
                },
            ],
        ),
        "risks": frame(
            "risks",
            [
                {
                    "item_id": "R1",
                    "project_id": "P2",
                    "kind": "Risk",
                    "title": "Late",
                    "status": "Open",
                }
            ],
        ),
    }


def _budgets(path, as_of: date) -> list[float]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [
            r[0]
            for r in con.execute(
                "SELECT budget_at_completion FROM projects WHERE as_of = ? ORDER BY project_id",
                [as_of],
            ).fetchall()
        ]


def test_snapshots_are_kept_per_as_of_and_reingest_replaces(tmp_path):
    path = tmp_path / "s.duckdb"
    store.write_snapshot(path, _snapshot(1.0), date(2026, 1, 31), "test")
    store.write_snapshot(path, _snapshot(2.0), date(2026, 2, 28), "test")
    store.write_snapshot(path, _snapshot(3.0), date(2026, 2, 28), "test")
    assert list(pd.to_datetime(store.list_snapshots(path)["as_of"]).dt.day) == [31, 28]
    assert _budgets(path, date(2026, 1, 31)) == [1.0, 7.0]
    assert _budgets(path, date(2026, 2, 28)) == [3.0, 7.0]


def test_a_failed_ingest_leaves_the_store_exactly_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "s.duckdb"
    store.write_snapshot(path, _snapshot(1.0), date(2026, 1, 31), "test")
    before = store.list_snapshots(path)
    broken = _snapshot(9.0)
    broken["risks"] = broken["risks"].assign(
        probability=pd.array(["high"], dtype="str")
    )  # fails in INSERT, after projects
    with pytest.raises(duckdb.Error):
        store.write_snapshot(path, broken, date(2026, 1, 31), "test")
    assert _budgets(path, date(2026, 1, 31)) == [1.0, 7.0]
    pd.testing.assert_frame_equal(store.list_snapshots(path), before)


def test_a_failed_first_ingest_leaves_no_store_behind(tmp_path):
    path = tmp_path / "new.duckdb"
    broken = _snapshot(1.0)
    broken["risks"] = broken["risks"].assign(probability=pd.array(["high"], dtype="str"))
    with pytest.raises(duckdb.Error):
        store.write_snapshot(path, broken, date(2026, 1, 31), "test")
    assert not path.exists()


def test_a_load_holds_only_the_portfolio_and_the_previous_snapshot(tmp_path):
    path = tmp_path / "s.duckdb"
    store.write_snapshot(path, _snapshot(1.0), date(2026, 1, 31), "test")
    store.write_snapshot(path, _snapshot(2.0), date(2026, 2, 28), "test")
    data = load_portfolio("Digital", source=path)
    assert data.current.as_of == pd.Timestamp("2026-02-28")
    assert data.previous.as_of == pd.Timestamp("2026-01-31")
    assert list(data.current["projects"]["project_id"]) == ["P1"]
    assert data.current["risks"].empty  # R1 belongs to P2 of Infra
    assert list(data.previous["projects"]["budget_at_completion"]) == [1.0]
    assert load_portfolio("Digital", as_of="2026-01-31", source=path).previous is None
    whole = load_portfolio(None, source=path)
    assert sorted(whole.current["projects"]["project_id"]) == ["P1", "P2"]


def test_a_snapshot_reads_back_as_written_in_the_model_dtypes(tmp_path):
    """Read straight from Arrow (dates as datetime64, numbers nullable): the edges of the
    range, blanks, a column blank throughout and a missing optional table come back as
    written, every column in the model's dtype."""
    written = {
        "projects": frame(
            "projects",
            [
                {
                    "project_id": "P1",
                    "portfolio": "Digital",
                    "status": "Active",
                    "baseline_start": pd.Timestamp("1900-01-01"),
                    "baseline_finish": pd.Timestamp("9999-12-31"),
                    "budget_at_completion": 1.5,
                    "percent_complete": None,
                },
                {
                    "project_id": "P2",
                    "portfolio": "Digital",
                    "status": "Active",
                    "baseline_start": None,
                    "baseline_finish": pd.Timestamp("2026-02-28 00:00:00"),
                    "budget_at_completion": None,
                    "percent_complete": None,
                },
            ],
        ),
        "milestones": frame(
            "milestones",
            [
                {"project_id": "P1", "milestone": "Gate 1", "is_gate": True},
                {"project_id": "P2", "milestone": "Go-live", "is_gate": None},
            ],
        ),
    }
    path = tmp_path / "s.duckdb"
    store.write_snapshot(path, written, date(2026, 2, 28), "test")
    read = store.load_tables(path, date(2026, 2, 28), None)
    for name, table in store.TABLES.items():
        assert {c: str(d) for c, d in read[name].dtypes.items()} == table.dtypes, name
    for name, rows in written.items():
        pd.testing.assert_frame_equal(read[name], rows, check_exact=True)
    projects = read["projects"]
    assert projects["baseline_finish"].tolist() == [
        pd.Timestamp("9999-12-31"),
        pd.Timestamp("2026-02-28"),
    ]
    assert projects["percent_complete"].isna().all() and projects["baseline_start"].isna()[1]
    assert read["milestones"]["is_gate"].tolist()[0] is True
    assert read["milestones"]["is_gate"].isna()[1]


def test_small_reads_are_remembered_until_the_store_changes(tmp_path):
    """list_snapshots, load_ingest_log and load_functions are read once per store version: a
    caller that changes what it got does not change the next answer, and a new ingest shows."""
    path = tmp_path / "s.duckdb"
    store.write_snapshot(path, _snapshot(1.0), date(2026, 1, 31), "test")
    first = store.list_snapshots(path)
    first.loc[0, "source"] = "changed by a caller"
    assert store.list_snapshots(path)["source"].tolist() == ["test"]
    store.write_snapshot(path, _snapshot(2.0), date(2026, 2, 28), "test")
    assert len(store.list_snapshots(path)) == 2
    store.write_snapshot(path, _snapshot(2.0), date(2026, 2, 28), "again")
    assert store.list_snapshots(path)["source"].tolist() == ["test", "again"]
    # a commit still in DuckDB's write-ahead log (not checkpointed into the file) shows too
    with duckdb.connect(str(path)) as con:
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        con.execute(
            "INSERT INTO snapshots SELECT * REPLACE (DATE '2026-03-31' AS as_of, 'logged' AS"
            " source) FROM snapshots WHERE as_of = DATE '2026-02-28'"
        )
    assert store.list_snapshots(path)["source"].tolist() == ["test", "again", "logged"]


def test_the_tables_a_store_holds_are_asked_once_per_state_of_the_file(tmp_path, monkeypatch):
    """Every read asks which of the model's tables the store holds (an older store lacks the
    optional ones): asked once, until the file changes."""
    path = tmp_path / "s.duckdb"
    day = date(2026, 1, 31)
    store.write_snapshot(path, _snapshot(1.0), day, "test")
    optional = sorted(store.OPTIONAL_TABLES)[0]
    assert optional in store.stored_tables(path)
    asked, real = [], store._stored_tables
    monkeypatch.setattr(store, "_stored_tables", lambda con: asked.append(1) or real(con))
    store.load_tables(path, day, None)
    store.rows_where(path, day, None, "projects", "TRUE")
    store.row_counts(path, day, None)
    assert asked == []
    with duckdb.connect(str(path)) as con:  # as a store written before the table was
        con.execute(f"DROP TABLE {optional}")
    assert optional not in store.stored_tables(path) and asked == [1]
    assert store.load_tables(path, day, None)[optional].empty
    assert store.row_counts(path, day, None, [optional]) == {optional: 0}


def test_asking_for_a_missing_snapshot_or_store(tmp_path):
    path = tmp_path / "s.duckdb"
    store.write_snapshot(path, _snapshot(1.0), date(2026, 1, 31), "test")
    with pytest.raises(
        PMOError, match=r"as_of 2026-03-31: no snapshot with that date .* it has 2026-01-31"
    ):
        load_portfolio(None, as_of="2026-03-31", source=path)
    with pytest.raises(PMOError, match="expected a date YYYY-MM-DD"):
        load_portfolio(None, as_of="March", source=path)
    with pytest.raises(PMOError, match="no store there; run `python run_reports.py demo`"):
        load_portfolio(None, source=tmp_path / "none.duckdb")


@pytest.mark.parametrize(
    "source, shown",
    [
        ("postgresql://pmo:s3cret@db.local/pmo", "postgresql://pmo:***@db.local/pmo"),
        # a password holding @ and : is cut at the last @, not the first
        ("postgresql://user:p@ss:w0rd@host:5432/db", "postgresql://user:***@host:5432/db"),
        ("duckdb://user:secret@host/pmo.duckdb", "duckdb://user:***@host/pmo.duckdb"),
        # secrets as query parameters, whatever their case or encoding
        (
            "mysql://db/pmo?user=x&password=se%26cret&ssl=1",
            "mysql://db/pmo?user=x&password=***&ssl=1",
        ),
        (
            "https://api.example/v1?Token=abc&page=2#top",
            "https://api.example/v1?Token=***&page=2#top",
        ),
        ("mssql://h/db?api_key=k1;x=1", "mssql://h/db?api_key=***;x=1"),
        # key=value settings outside a URL (a libpq DSN), quoted or not
        ("host=db user=pmo password=s3cret dbname=pmo", "host=db user=pmo password=*** dbname=pmo"),
        ("host=db password='a b c'", "host=db password=***"),
        # a URL inside a longer text, as an ingest records its source
        ("postgresql://u:pw@h/db (mapping cc.yaml)", "postgresql://u:***@h/db (mapping cc.yaml)"),
        # nothing secret: as it was
        ("postgresql://pmo@db.local/pmo", "postgresql://pmo@db.local/pmo"),
        ("https://x.example/?compass=north", "https://x.example/?compass=north"),
        ("data/pmo.duckdb", "data/pmo.duckdb"),
    ],
)
def test_passwords_in_a_source_are_redacted(source, shown):
    assert store.redact(source) == shown
    assert store.redact(shown) == shown  # redacting twice changes nothing


def test_a_source_is_shown_without_local_folders():
    from pmo_lib.params import PROJECT_ROOT

    assert store.display_source(PROJECT_ROOT / "data" / "pmo.duckdb") == "data/pmo.duckdb"
    assert store.display_source("/srv/pmo/data/pmo.duckdb") == "pmo.duckdb"
    assert store.display_source("/srv/exports/oct (mapping cc.yaml)") == "oct (mapping cc.yaml)"
    assert store.display_source("demo (seed 42, size 1)") == "demo (seed 42, size 1)"
    assert store.display_source("duckdb://u:pw@h/x.duckdb") == "duckdb://u:***@h/x.duckdb"


# -- the ingest log ------------------------------------------------------------------------------
def _log(*entries: tuple) -> pd.DataFrame:
    from pmo_lib import ingest_log
    from pmo_lib.errors import Problem

    problems = [
        Problem(file, row, column, value, "a thing", cause=cause, blanked=blanked)
        for _, file, row, column, value, cause, blanked, _ in entries
    ]
    parts = [
        ingest_log.from_problems([p], e[0], [e[-1]]) for p, e in zip(problems, entries, strict=True)
    ]
    return ingest_log.concat(parts)


LOG = (
    ("projects", "p.csv", 4, "Status", "Running", "bad cell", False, "Digital"),
    ("projects", "p.csv", 4, "Budget", 12.5, "bad cell", False, "Digital"),  # same row again
    ("projects", "p.csv", 3, "Start", "Exempt", "bad cell", True, "Infra"),
    ("financials", "f.csv", 9, "Project", "P3", "orphan", False, "Digital"),
    ("financials", "f.csv", 10, "Project", "P9", "orphan", False, None),
)


def test_the_ingest_log_counts_rows_once_and_per_portfolio():
    from pmo_lib import ingest_log

    log = _log(*LOG)
    assert tuple(log.columns) == ingest_log.COLUMNS
    assert log["value"].tolist() == ["Running", "12.5", "Exempt", "P3", "P9"]  # as text
    assert log["action"].tolist() == ["row left out"] * 2 + ["cell blanked"] + ["row left out"] * 2
    assert ingest_log.summary(log) == {
        "rows_left_out": 3,
        "cells_blanked": 1,
        "by_cause": {"bad cell": 1, "orphan": 2},
    }
    assert ingest_log.summary(log, "Digital") == {
        "rows_left_out": 2,
        "cells_blanked": 0,
        "by_cause": {"bad cell": 1, "orphan": 1},
    }
    assert ingest_log.summary(log, "Infra")["cells_blanked"] == 1
    assert ingest_log.scoped(log, "Infra")["column"].tolist() == ["Start"]
    assert ingest_log.scoped(None, "Infra").empty and len(ingest_log.scoped(log)) == 5
    assert ingest_log.by_cause(log).values.tolist() == [
        ["row left out", "bad cell", "projects", 2],  # entries, not rows
        ["row left out", "orphan", "financials", 2],
        ["cell blanked", "bad cell", "projects", 1],
    ]
    assert ingest_log.banner(log, "Infra") == (
        "The ingest of this snapshot blanked 1 cell(s) that did not convert: the figures here"
        " leave them out; the data-quality report lists each one."
    )
    assert ingest_log.banner(log).startswith(
        "The ingest of this snapshot left out 3 source row(s) (bad cell 1, orphan 2) and blanked"
    )
    assert ingest_log.banner(log, "Elsewhere") == ingest_log.banner(None) == ""
    assert ingest_log.summary(ingest_log.empty()) == {
        "rows_left_out": 0,
        "cells_blanked": 0,
        "by_cause": {},
    }


def test_the_ingest_log_is_stored_with_its_snapshot_and_replaced_with_it(tmp_path):
    from pmo_lib import ingest_log

    path = tmp_path / "s.duckdb"
    log = _log(*LOG)
    store.write_snapshot(path, _snapshot(1.0), date(2026, 1, 31), "test", log=log)
    store.write_snapshot(path, _snapshot(1.0), date(2026, 2, 28), "test")
    pd.testing.assert_frame_equal(store.load_ingest_log(path, date(2026, 1, 31)), log)
    assert store.load_ingest_log(path, date(2026, 2, 28)).empty
    first = store.list_snapshots(path)["fingerprint"].tolist()
    assert first[0] != first[1]  # same tables, but one has a log: a report may say so
    # a failed re-ingest leaves the log as it was; a good one replaces it
    broken = _snapshot(9.0)
    broken["risks"] = broken["risks"].assign(probability=pd.array(["high"], dtype="str"))
    with pytest.raises(duckdb.Error):
        store.write_snapshot(path, broken, date(2026, 1, 31), "test", log=log.iloc[:1])
    assert len(store.load_ingest_log(path, date(2026, 1, 31))) == len(LOG)
    store.write_snapshot(path, _snapshot(1.0), date(2026, 1, 31), "test", log=log.iloc[:1])
    assert store.load_ingest_log(path, date(2026, 1, 31))["value"].tolist() == ["Running"]
    store.write_snapshot(path, _snapshot(1.0), date(2026, 1, 31), "test")
    loaded = store.load_ingest_log(path, date(2026, 1, 31))
    assert loaded.empty and tuple(loaded.columns) == ingest_log.COLUMNS


def test_a_store_from_before_the_ingest_log_is_read_as_it_is(tmp_path):
    from pmo_lib import ingest_log

    path = tmp_path / "old.duckdb"
    store.write_snapshot(path, _snapshot(1.0), date(2026, 1, 31), "test")
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE ingest_log")
    before = path.read_bytes()
    log = store.load_ingest_log(path, date(2026, 1, 31))
    assert log.empty and tuple(log.columns) == ingest_log.COLUMNS
    assert dict(log.dtypes) == {c: ingest_log.DTYPES[c] for c in ingest_log.COLUMNS}
    assert path.read_bytes() == before  # read only
    assert _budgets(path, date(2026, 1, 31)) == [1.0, 7.0]


@pytest.mark.parametrize("named", ["", "mimalloc"])
def test_arrow_memory_comes_from_the_system_allocator_unless_a_pool_is_named(named):
    import os
    import subprocess
    import sys

    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pmo_lib.store, pyarrow; print(pyarrow.default_memory_pool().backend_name)",
        ],
        env={**os.environ, "ARROW_DEFAULT_MEMORY_POOL": named},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == (named or "system")


def test_a_held_store_is_opened_once_for_a_block_of_reads_and_let_go_after(
    demo_store, tmp_path, monkeypatch
):
    """store.held (a page's section): the block's first read opens the file, the others join
    it; a block that reads nothing opens nothing; what a read brought into DuckDB's memory is
    let go; after the block the file is free to write, in this process too."""
    path = tmp_path / "s.duckdb"
    shutil.copy(demo_store, path)
    day = date(2026, 10, 31)
    opened, real = [], store._connect
    monkeypatch.setattr(store, "_connect", lambda *a, **k: opened.append(a) or real(*a, **k))
    with store.held(path):
        pass
    assert opened == []
    with store.held(path), store.held(path):  # nested: one hold
        store.load_tables(path, day, None)  # every table: 6 MB of blocks, were they kept
        store.load_tables(path, date(2026, 9, 30), None)
        anchor = store._HELD[str(path)][0]
        kept = anchor.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
        store.load_tables(path, day, None, ["allocations"])
        store.row_counts(path, day, "Data & Analytics")
        assert store._HELD[str(path)][0] is anchor  # the later reads joined it
    assert opened  # the first read opened the file (its own connection, and one held beside)
    assert kept < 2 << 20  # the blocks the reads brought in: let go
    assert str(path) not in store._HELD
    with duckdb.connect(str(path)) as con:  # a writer: nothing of the block left open
        con.execute("DELETE FROM risks WHERE as_of = $d", {"d": day})
    assert store.row_counts(path, day, None, ["risks"]) == {"risks": 0}
