"""The DuckDB store: snapshots per as_of, replace in one transaction, scoped loads."""

from __future__ import annotations

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


def test_passwords_in_a_source_url_are_redacted():
    assert (
        store.redact("postgresql://pmo:s3cret@db.local/pmo") == "postgresql://pmo:***@db.local/pmo"
    )
    assert store.redact("data/pmo.duckdb") == "data/pmo.duckdb"
