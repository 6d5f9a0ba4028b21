"""The enterprise feed: `export` writes one snapshot as Parquet, the headline figures per scope
and a schema file, whole or not at all."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

import run_reports
from pmo_lib import data, feed, store
from pmo_lib.errors import PMOError
from pmo_lib.metrics import health, summary
from pmo_lib.params import config_for
from pmo_lib.schema import TABLES


def test_a_feed_holds_the_snapshot_the_figures_and_its_schema(demo_store, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    to = tmp_path / "feed"
    assert run_reports.main(["export", "--source", str(demo_store), "--to", str(to)]) == 0
    manifest = json.loads((to / "feed.json").read_text())
    assert manifest["feed_version"] == feed.FEED_VERSION and manifest["as_of"] == "2026-10-31"
    assert manifest["function"] == "IT Function"
    assert manifest["source"] == "demo (seed 42, size 1)"
    stored = store.load_tables(demo_store, pd.Timestamp("2026-10-31").date(), None)
    for name, table in TABLES.items():
        written = manifest["tables"][name]
        assert [c["name"] for c in written["columns"]] == table.column_names
        back = pd.read_parquet(to / written["file"])
        assert written["rows"] == len(back) == len(stored[name])
        pd.testing.assert_frame_equal(back, stored[name])  # same rows, columns and types
    figures = pd.read_parquet(to / "headlines.parquet")
    assert set(figures["scope"]) == {
        "function",
        "data-analytics",
        "customer-channels",
        "enterprise-platforms",
        "infrastructure-cloud",
    }
    whole = data.load_portfolio(None, source=demo_store)
    config = config_for(None)
    expected = summary.figures(
        whole.current,
        data.resource_load(whole),
        None,
        config,
        health.Past.of(data.all_snapshots(whole)),
    )
    got = figures[figures["scope"] == "function"].set_index("figure")["value"]
    assert got["active_projects"] == expected["active_projects"] == 74
    assert got["fy_outlook"] == pytest.approx(expected["fy_outlook"])
    assert figures[figures["scope"] == "function"]["portfolio"].isna().all()
    said = caplog.text
    assert "Wrote the feed of 2026-10-31" in said and "projects 149" in said
    # again: replaced whole, nothing left beside it
    assert run_reports.main(["export", "--source", str(demo_store), "--to", str(to)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed"]


def test_export_errors_are_said(demo_store, tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert run_reports.main(["export", "--source", str(demo_store), "--to", str(other)]) == 2
    err = capsys.readouterr().err
    assert "the folder holds other files; give a new or empty folder" in err
    assert (other / "notes.txt").read_text() == "mine"
    to = tmp_path / "feed"
    args = ["export", "--source", str(demo_store), "--to", str(to), "--as-of", "2026-10-15"]
    assert run_reports.main(args) == 2
    err = capsys.readouterr().err
    assert "as_of 2026-10-15: no snapshot with that date" in err and not to.exists()
    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "feed.json").write_text(json.dumps({"feed_version": feed.FEED_VERSION + 1}))
    with pytest.raises(PMOError, match="is newer than this command reads"):
        feed.read_manifest(newer)
    with pytest.raises(PMOError, match="not a PMO Reports feed"):
        feed.read_manifest(other)
