"""The demo data: deterministic, valid against the model, holding the awkward cases of real data."""

from __future__ import annotations

import pandas as pd

from pmo_lib import demo, store
from pmo_lib.data import load_portfolio
from pmo_lib.validate import load_folder


def test_the_same_seed_gives_the_same_data(tmp_path):
    world = demo.build_world(seed=7, size=0.2)
    again = demo.build_world(seed=7, size=0.2)
    a = demo.snapshot_tables(world, demo.SNAPSHOTS[-1], 2, 3)
    b = demo.snapshot_tables(again, demo.SNAPSHOTS[-1], 2, 3)
    assert store.fingerprint(a) == store.fingerprint(b)
    assert store.fingerprint(a) != store.fingerprint(
        demo.snapshot_tables(demo.build_world(seed=8, size=0.2), demo.SNAPSHOTS[-1], 2, 3)
    )


def test_demo_exports_pass_ingest_validation(tmp_path):
    folder = demo.export_demo(tmp_path / "exports")
    frames, notes = load_folder(folder)
    assert notes == []
    assert len(frames["projects"]) == 149 and len(frames["demand"]) == 800


def test_the_demo_has_the_shape_and_awkward_cases_asked_for(demo_store):
    data = load_portfolio(None, source=demo_store)
    now, before = data.current, data.previous
    projects = now["projects"]
    assert len(store.list_snapshots(demo_store)) == 3
    assert projects["portfolio"].nunique() == 4 and projects["program"].nunique() == 12
    assert set(projects["status"]) == {"Proposed", "Active", "On Hold", "Closed", "Cancelled"}
    assert projects["baseline_start"].isna().any()  # no baseline
    assert (projects["budget_at_completion"] == 0).any()  # zero budget
    assert ((now.as_of - projects["last_status_update"]).dt.days > 60).any()  # stale updates
    assert set(now["resources"]["employment_type"]) == {"Employee", "Contractor", "Vendor"}
    assert now["demand"]["stage"].eq("Triage").sum() > 10  # demand stuck in triage
    assert set(now["financials"]["measure"]) == {"plan", "forecast", "actual"}
    # Realistic change between snapshots: slips, RAG moves, demand moves stage, risks open and
    # close.
    merged = projects.merge(before["projects"], on="project_id", suffixes=("", "_before"))
    assert (merged["forecast_finish"] > merged["forecast_finish_before"]).any()
    assert (merged["reported_rag"] != merged["reported_rag_before"]).any()
    stages = now["demand"].merge(before["demand"], on="demand_id", suffixes=("", "_before"))
    assert (stages["stage"] != stages["stage_before"]).sum() > 10
    risks = now["risks"].merge(before["risks"], on="item_id", suffixes=("", "_before"))
    assert ((risks["status"] == "Closed") & (risks["status_before"] != "Closed")).any()
    assert len(now["risks"]) > len(before["risks"])


def test_size_scales_the_counts():
    small = demo.build_world(size=0.1)
    large = demo.build_world(size=0.5)
    assert len(large.projects) == 5 * len(small.projects)
    assert isinstance(large.projects["baseline_start"].iloc[0], pd.Timestamp)


def test_a_demo_of_many_portfolios_with_its_parameter_files(tmp_path, capsys):
    from pmo_lib import store
    from run_reports import main

    source, params = tmp_path / "many.duckdb", tmp_path / "params"
    code = main(
        ["demo", "--source", str(source), "--portfolios", "8", "--write-params", str(params)]
    )
    assert code == 0
    as_of = store.list_snapshots(source)["as_of"].iloc[-1].date()
    named = store.portfolios_with_data(source, as_of)
    assert len(named) == 8 and "Data & Analytics 2" in named
    assert len(list(params.glob("*.yaml"))) == 8 + 2  # and defaults, function
    assert main(["--source", str(source), "--params", str(params), "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in named)
    assert main(["demo", "--source", str(source), "--portfolios", "0"]) == 2
    assert "--portfolios 0: give 1 or more" in capsys.readouterr().err
    assert len(store.list_snapshots(source)) == 3  # refused before anything was removed
