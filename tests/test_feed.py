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


# -- the enterprise: two functions' feeds in one store ------------------------------------------
def _function_feed(tmp_path, demo_store_path, title: str, as_of: str, name: str):
    """A feed of one function (its params' title names it) at one as-of date."""
    import shutil

    from pmo_lib.params import params_dir

    params = tmp_path / f"params-{title}"
    if not params.exists():
        shutil.copytree(params_dir(), params)
        text = (
            (params / "function.yaml").read_text().replace("title: IT Function", f"title: {title}")
        )
        (params / "function.yaml").write_text(text)
    to = tmp_path / name
    args = ["export", "--source", str(demo_store_path), "--params", str(params), "--to", str(to)]
    assert run_reports.main([*args, "--as-of", as_of]) == 0
    return to


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory):
    """Group IT (the demo, seed 42) at two dates and Retail IT (seed 7) at the latest, fed into
    one enterprise store."""
    from pmo_lib import demo

    tmp = tmp_path_factory.mktemp("enterprise")
    stores = {"Group IT": tmp / "group.duckdb", "Retail IT": tmp / "retail.duckdb"}
    demo.build_demo_store(stores["Group IT"], seed=42)
    demo.build_demo_store(stores["Retail IT"], seed=7)
    feeds = [
        _function_feed(tmp, stores["Group IT"], "Group IT", "2026-09-30", "group-sep"),
        _function_feed(tmp, stores["Group IT"], "Group IT", "2026-10-31", "group-oct"),
        _function_feed(tmp, stores["Retail IT"], "Retail IT", "2026-10-31", "retail-oct"),
    ]
    path = tmp / "enterprise.duckdb"
    args = ["ingest", "--source", str(path), "--feed", *map(str, feeds)]
    assert run_reports.main(args) == 0
    return path, stores, feeds


def test_two_functions_feeds_make_one_store_with_each_function_above_its_portfolios(enterprise):
    from pmo_lib.metrics import spend

    path, stores, feeds = enterprise
    snapshots = store.list_snapshots(path)
    assert [str(d.date()) for d in snapshots["as_of"]] == ["2026-09-30", "2026-10-31"]
    assert snapshots["source"].iloc[-1].startswith("feeds: Group IT (written ")
    oct31 = pd.Timestamp("2026-10-31").date()
    whole = store.load_tables(path, oct31, None)
    own = {f: store.load_tables(s, oct31, None) for f, s in stores.items()}
    for name in TABLES:  # every row of both, none lost, none merged
        assert len(whole[name]) == len(own["Group IT"][name]) + len(own["Retail IT"][name])
    assert whole["projects"]["project_id"].is_unique  # both have PRJ-00001: kept apart
    assert "group-it/PRJ-00001" in set(whole["projects"]["project_id"])
    assert "retail-it/PRJ-00001" in set(whole["projects"]["project_id"])
    functions = store.load_functions(path, oct31)
    assert functions["Retail IT › Data & Analytics"] == "Retail IT" and len(functions) == 8
    assert set(store.load_functions(path, pd.Timestamp("2026-09-30").date()).values()) == {
        "Group IT"
    }  # September: only Group IT's feed had it
    # the roll-up: enterprise → function → portfolio, to the cent of each function's own figures
    loaded = data.load_portfolio(None, source=path)
    view = spend.analyse(
        loaded.current,
        loaded.previous,
        7,
        config_for(None).spend,
        "Global PMO",
        functions=loaded.functions,
    )
    tree = view.rollup
    assert tree.loc[0, "name"] == "Global PMO"
    by_function = tree[tree["level"] == 1].set_index("name")
    for function, feed_folder in zip(["Group IT", "Retail IT"], feeds[1:], strict=True):
        figures = pd.read_parquet(feed_folder / "headlines.parquet")
        own_outlook = figures.query("scope == 'function' and figure == 'fy_outlook'")["value"]
        assert by_function.loc[function, "fy_outlook"] == pytest.approx(
            own_outlook.item(), abs=0.005
        )
    assert tree.loc[0, "fy_outlook"] == pytest.approx(by_function["fy_outlook"].sum(), abs=0.005)
    portfolios = tree[tree["level"] == 2]
    assert (portfolios["name"] == "Data & Analytics").sum() == 2  # its own name, under each
    assert tree["level"].max() == 5  # projects one level further down


def test_the_enterprise_summary_compares_functions_then_portfolios(enterprise):
    path, _, feeds = enterprise
    loaded = data.load_portfolio(None, source=path)
    past = health.Past.of(data.all_snapshots(loaded))
    load = data.resource_load(loaded)
    config = config_for(None)
    functions = summary.by_function(loaded.current, load, config, past, loaded.functions)
    assert list(functions["function"]) == ["Group IT", "Retail IT"]
    for row, feed_folder in zip(functions.itertuples(), feeds[1:], strict=True):
        figures = pd.read_parquet(feed_folder / "headlines.parquet")
        own = figures[figures["scope"] == "function"].set_index("figure")["value"]
        assert row.active_projects == own["active_projects"]  # 74 and the other function's
        assert row.rag_red == own["rag_red"]
    portfolios = summary.comparison(loaded.current, load, config, past, loaded.functions)
    assert list(portfolios.columns[:2]) == ["function", "portfolio"]
    assert len(portfolios) == 8 and set(portfolios["function"]) == {"Group IT", "Retail IT"}
    # one function's own store: no functions, no function column
    assert summary.by_function(loaded.current, load, config, past, {}).empty


def test_the_enterprise_reports_render_with_the_function_level(enterprise, tmp_path):
    from pmo_lib.params import params_dir

    path, _, _ = enterprise
    params = tmp_path / "params"
    params.mkdir()
    (params / "defaults.yaml").write_text((params_dir() / "defaults.yaml").read_text())
    (params / "function.yaml").write_text("portfolio: null\ntitle: Global PMO\n")
    (params / "gr-da.yaml").write_text("portfolio: Group IT › Data & Analytics\n")
    out = tmp_path / "out"
    args = ["--source", str(path), "--params", str(params), "--outputs", str(out)]
    args += ["--report", "spend", "--report", "portfolio_summary", "--level", "function"]
    args += ["--level", "portfolio"]
    assert run_reports.main(args) == 0
    page = (out / "2026-10-31" / "function" / "spend.html").read_text()
    assert "Enterprise / function / portfolio / sub-portfolio / program / project" in page
    summary_page = (out / "2026-10-31" / "function" / "portfolio_summary.html").read_text()
    assert "<caption>Functions</caption>" in summary_page and "Retail IT" in summary_page
    one = (out / "2026-10-31" / "gr-da" / "spend.html").read_text()  # the file names the folder
    assert "retail-it/PRJ-" not in one and "group-it/PRJ-" in one  # one portfolio only
    index = (out / "2026-10-31" / "index.html").read_text()
    assert "Group IT <small>function</small></th></tr>" in index  # the portal's function row
    assert ">Data &amp; Analytics</a>" in index  # the portfolio under it, by its own name


def test_feed_ingest_errors_are_said(enterprise, tmp_path, capsys):
    path, _, feeds = enterprise
    target = str(tmp_path / "e.duckdb")
    twice = ["ingest", "--source", target, "--feed", str(feeds[1]), str(feeds[1])]
    assert run_reports.main(twice) == 2
    err = capsys.readouterr().err
    assert f"{feeds[1]} and {feeds[1]} are both Group IT's feed of 2026-10-31" in err
    assert run_reports.main(["ingest", "--source", target, "--feed", str(tmp_path)]) == 2
    assert "not a PMO Reports feed (no feed.json)" in capsys.readouterr().err
    with_date = ["ingest", "--source", target, "--feed", str(feeds[1]), "--as-of", "2026-10-31"]
    assert run_reports.main(with_date) == 2
    assert "give no folder, --mapping or --as-of with it" in capsys.readouterr().err
    assert run_reports.main(["ingest", "--source", target]) == 2
    assert "give a folder of exports (or --feed DIR" in capsys.readouterr().err
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(feeds[2], broken)
    projects = pd.read_parquet(broken / "projects.parquet").drop(columns="portfolio")
    projects.to_parquet(broken / "projects.parquet")
    assert run_reports.main(["ingest", "--source", target, "--feed", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "projects.parquet" in err and "portfolio" in err
    assert not (tmp_path / "e.duckdb").exists()  # nothing written
    # the enterprise store's October snapshot holds both functions: one alone is refused
    assert run_reports.main(["ingest", "--source", str(path), "--feed", str(feeds[2])]) == 2
    err = capsys.readouterr().err
    assert "the store's snapshot of 2026-10-31 holds Group IT too" in err
    assert len(store.load_functions(path, pd.Timestamp("2026-10-31").date())) == 8  # unchanged


def test_the_portfolio_comparison_shows_each_portfolios_own_headlines(demo_store):
    """The comparison computes only the reports its table shows (summary.COMPARED), and each
    figure is the one every headline of the portfolio gives."""
    from pmo_lib.sections import portfolio_summary as sections

    loaded = data.load_portfolio(None, source=demo_store)
    past = health.Past.of(data.all_snapshots(loaded))
    load = data.resource_load(loaded)
    config = config_for(None)
    table = summary.comparison(loaded.current, load, config, past, loaded.functions)
    assert set(sections.FIGURE_COLUMNS) <= set(table.columns)
    assert len(table) == 4
    for row in table.to_dict("records"):
        name = row["portfolio"]
        every = summary.figures(loaded.current.in_portfolio(name), load, name, config, past)
        for key in sections.FIGURE_COLUMNS:
            if pd.isna(every[key]):
                assert pd.isna(row[key]), (name, key)
            else:
                assert row[key] == pytest.approx(every[key]), (name, key)
