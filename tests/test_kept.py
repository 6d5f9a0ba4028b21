"""Figures kept from one batch run to the next (pmo_lib/kept.py): the function's comparison reads
a portfolio's row again only while everything it comes from is the same."""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pmo_lib import data, kept, store
from pmo_lib.metrics import health, summary
from pmo_lib.params import load_all
from tests.conftest import copy_of
from tests.test_batch import DA, INFRA, _nudge
from tests.test_runner import AS_OF


def _counted(calls: list) -> callable:
    def compute() -> dict:
        calls.append(1)
        return {"count": 3, "money": 1234.5, "blank": None, "nan": float("nan"), "name": "x"}

    return compute


def _parts(path: Path) -> list:
    return json.loads(json.loads(path.read_text())["key"])


def test_nothing_is_kept_outside_a_batch_run(monkeypatch, tmp_path):
    monkeypatch.delenv(kept.CACHE_ENV, raising=False)
    calls: list = []
    kept.value(("a",), _counted(calls))
    kept.value(("a",), _counted(calls))
    assert len(calls) == 2 and not list(tmp_path.iterdir())
    assert kept.data_prints("/no/such/store", None, ["A"]) == {}  # and no query made


def test_figures_are_kept_by_their_parts_and_a_damaged_file_is_made_again(monkeypatch, tmp_path):
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    calls: list = []
    first = kept.value(("a", 1), _counted(calls))
    again = kept.value(("a", 1), _counted(calls))
    assert len(calls) == 1
    assert {k: v for k, v in again.items() if k != "nan"} == {
        "count": 3,
        "money": 1234.5,
        "blank": None,
        "name": "x",
    }
    assert [type(again[k]) for k in first] == [type(first[k]) for k in first]  # 3 stays an int
    kept.value(("a", 2), _counted(calls))
    assert len(calls) == 2
    (path,) = [
        p
        for p in (tmp_path / "kept").iterdir()
        if json.loads(json.loads(p.read_text())["key"])[1] == 1
    ]
    path.write_text("{not json")
    assert kept.value(("a", 1), _counted(calls))["count"] == 3
    assert len(calls) == 3 and json.loads(path.read_text())["value"]["count"] == 3


def test_a_result_json_would_not_give_back_as_it_was_is_not_kept(monkeypatch, tmp_path):
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    calls: list = []

    def compute() -> dict:
        calls.append(1)
        return {"count": pd.NA}

    kept.value(("b",), compute)
    kept.value(("b",), compute)
    assert len(calls) == 2 and not (tmp_path / "kept").exists()


def test_figures_unused_for_ninety_days_are_pruned(monkeypatch, tmp_path):
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path))
    for parts in (("old",), ("read",), ("new",)):
        kept.value(parts, _counted([]))
    named = {_parts(p)[0]: p for p in tmp_path.iterdir()}
    long_ago = time.time() - 91 * 86400
    for path in (named["old"], named["read"]):
        os.utime(path, (long_ago, long_ago))
    calls: list = []
    kept.value(("read",), _counted(calls))  # read today: kept 90 days more
    assert calls == []
    # what a killed run leaves is gone after a day: a half-written file, its plan's prints
    left = [tmp_path / ".x.json.tmp", tmp_path / f"{kept.PLAN_PRINTS}0123.json"]
    for path in left:
        path.write_text("{}")
        os.utime(path, (time.time() - 2 * 86400,) * 2)
    assert kept.prune(tmp_path) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [named["read"].name, named["new"].name]
    )
    assert kept.prune(tmp_path / "none") == 0  # no folder yet: nothing to do


def _comparison(path: Path, config) -> pd.DataFrame:
    data.forget_snapshots()
    function = data.load_portfolio(None, AS_OF, path)
    now = function.current
    prints = kept.data_prints(path, now.as_of.date(), summary.portfolios(now))
    past = health.Past.of(data.all_snapshots(function))
    return summary.by_portfolio(now, data.resource_load(function), config, past, None, prints)


@pytest.fixture
def spied(monkeypatch) -> list[str]:
    """The portfolios whose comparison row was computed, not read."""
    computed: list[str] = []
    figures = summary.figures

    def spy(now, load, portfolio, *args):
        computed.append(portfolio)
        return figures(now, load, portfolio, *args)

    monkeypatch.setattr(summary, "figures", spy)
    return computed


def test_the_comparison_reads_a_portfolios_row_until_its_data_changes(
    demo_store, tmp_path, monkeypatch, spied
):
    path = copy_of(demo_store, tmp_path)
    config = load_all()[0]
    assert config.is_function
    monkeypatch.delenv(kept.CACHE_ENV, raising=False)
    computed = _comparison(path, config)  # as JupyterLab computes it: nothing kept
    assert len(spied) == 4
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    spied.clear()
    pd.testing.assert_frame_equal(_comparison(path, config), computed)
    assert len(spied) == 4 and len(list((tmp_path / "kept").iterdir())) == 4
    spied.clear()
    pd.testing.assert_frame_equal(_comparison(path, config), computed)  # every row read
    assert spied == []

    _nudge(path, DA)  # one portfolio's spend changes: its row, and only its, is computed
    changed = _comparison(path, config)
    assert spied == [DA]
    monkeypatch.delenv(kept.CACHE_ENV)
    pd.testing.assert_frame_equal(changed, _comparison(path, config))
    row = changed.set_index("portfolio")
    assert row.loc[DA, "ytd_actual"] != computed.set_index("portfolio").loc[DA, "ytd_actual"]

    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    spied.clear()
    other = config.model_copy(update={"title": "Another function"})
    _comparison(path, other)  # other parameters: every row computed again
    assert len(spied) == 4


def test_a_kernel_takes_its_plans_prints_while_the_store_is_as_it_was(
    demo_store, tmp_path, monkeypatch
):
    path = copy_of(demo_store, tmp_path)
    day = date.fromisoformat(AS_OF)
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    by_date = store.scope_prints_and_rows(path, day, [None, DA, INFRA], by_date=True)[0]
    prints = {name: found[AS_OF] for name, found in by_date.items()}
    assert prints == store.scope_prints(path, day, [None, DA, INFRA])
    written = kept.put_prints(tmp_path / "kept", path, day, by_date)
    asked: list = []
    computed = store.scope_prints_and_rows

    def spied(store_path, up_to, portfolios, by_date=False):
        asked.append(portfolios)
        return computed(store_path, up_to, portfolios, by_date)

    monkeypatch.setattr(store, "scope_prints_and_rows", spied)
    assert kept.data_prints(path, day, [DA]) == {DA: prints[DA]}
    assert asked == [[DA]]  # another run's prints (or none) are never read: computed
    monkeypatch.setenv(kept.PRINTS_ENV, str(written))
    asked.clear()
    assert kept.data_prints(path, day, [DA, INFRA]) == {DA: prints[DA], INFRA: prints[INFRA]}
    assert kept.prints_by_date(path, day, [None]) == {None: by_date[None]}  # the function's too
    assert asked == []
    both = kept.data_prints(path, day, [DA, "Customer Channels"])
    assert asked == [["Customer Channels"]]  # one the plan did not print
    assert both == store.scope_prints(path, day, [DA, "Customer Channels"])
    _nudge(path, DA)  # an ingest during the run: the store is not as the plan read it
    asked.clear()
    assert kept.data_prints(path, day, [DA]) == computed(path, day, [DA])[0]
    assert asked == [[DA]]
    # a server's address is written without its password
    assert "s3cret" not in kept._store_name("postgresql://pmo:s3cret@db.example:5432/pmo")


def test_a_kept_row_follows_what_the_functions_past_says_of_the_portfolios_projects(
    demo_store, tmp_path, monkeypatch
):
    """A project that sat in another portfolio in the first snapshot keeps its first forecast
    finish from there: a change to it moves this portfolio's row though not its print."""
    path = copy_of(demo_store, tmp_path)
    day = date.fromisoformat(AS_OF)
    with duckdb.connect(str(path)) as con:
        first = con.execute("SELECT min(as_of) FROM snapshots").fetchone()[0]
        (pid,) = con.execute(
            "SELECT min(n.project_id) FROM projects n JOIN projects f USING (project_id)"
            " WHERE n.as_of = $a AND f.as_of = $f AND n.portfolio = $p AND n.status = 'Active'",
            {"a": day, "f": first, "p": DA},
        ).fetchone()
        # no baseline finishes: the slip is rated against each project's first forecast finish
        con.execute("UPDATE projects SET baseline_finish = NULL WHERE portfolio = $p", {"p": DA})
        con.execute(
            "UPDATE projects SET portfolio = $i WHERE project_id = $id AND as_of = $f",
            {"i": INFRA, "id": pid, "f": first},
        )
    config = load_all()[0]
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    before = _comparison(path, config)
    printed = store.scope_prints(path, day, [DA])
    with duckdb.connect(str(path)) as con:  # its first forecast finish a year and more earlier
        con.execute(
            "UPDATE projects SET forecast_finish = forecast_finish - INTERVAL 400 DAY"
            " WHERE project_id = $id AND as_of = $f",
            {"id": pid, "f": first},
        )
    assert store.scope_prints(path, day, [DA]) == printed  # not in the portfolio's rows
    after = _comparison(path, config)
    monkeypatch.delenv(kept.CACHE_ENV)
    pd.testing.assert_frame_equal(after, _comparison(path, config))
    rag = ["rag_red", "rag_amber", "rag_green"]
    assert (
        not before.set_index("portfolio")
        .loc[DA, rag]
        .equals(after.set_index("portfolio").loc[DA, rag])
    )  # the change shows


def test_the_code_print_follows_pythons_and_the_packages_versions(monkeypatch):
    from importlib import metadata

    kept.code_print.cache_clear()
    before = kept.code_print()
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "9.9" if name == "pandas" else real(name))
    kept.code_print.cache_clear()
    assert kept.code_print() != before  # a pandas upgrade: every page and kept answer anew
    monkeypatch.undo()
    kept.code_print.cache_clear()
    assert kept.code_print() == before


def _scorecard(path: Path, portfolio: str | None) -> pd.DataFrame:
    from pmo_lib import memo
    from pmo_lib.report import open_report
    from pmo_lib.sections import portfolio_summary as sections

    data.forget_snapshots()
    memo.forget()
    report = open_report(
        "portfolio_summary", portfolio, AS_OF, str(path), interactive=False, sections=sections
    )
    return report.view.scorecard


def _spy_on_figures(monkeypatch) -> tuple[list[str], list[str]]:
    """The snapshots (YYYY-MM-DD) whose KPI-trail figures and whose headline figures are
    computed, in order, from here on."""
    from pmo_lib.metrics import kpis

    computed_for: list[str] = []
    headlines_for: list[str] = []
    figures, headlines = kpis.snapshot_figures, summary.figures

    def spy(now, *args):
        computed_for.append(str(now.as_of.date()))
        return figures(now, *args)

    def headlines_spy(now, *args, **kwargs):
        headlines_for.append(str(now.as_of.date()))
        return headlines(now, *args, **kwargs)

    monkeypatch.setattr(kpis, "snapshot_figures", spy)
    monkeypatch.setattr(summary, "figures", headlines_spy)
    return computed_for, headlines_for


def test_the_kpi_trail_keeps_an_earlier_snapshots_figures_until_its_rows_change(
    demo_store, tmp_path, monkeypatch
):
    """A month's run computes the KPI trail's new snapshot only: an earlier snapshot's figures,
    and the previous snapshot's headlines the tiles compare with, are read while its rows and
    those before it (the scope's print up to it) are the same."""

    path = copy_of(demo_store, tmp_path)
    computed_for, headlines_for = _spy_on_figures(monkeypatch)
    monkeypatch.delenv(kept.CACHE_ENV, raising=False)
    card = _scorecard(path, DA)  # as JupyterLab computes it: nothing kept
    # the snapshot compared with first, then the earlier ones newest first, each let go once
    # done, and the report's own last: one snapshot's tables at a time
    assert computed_for == ["2026-09-30", "2026-08-31", AS_OF]
    assert headlines_for == ["2026-09-30", "2026-08-31", AS_OF]
    assert card["trend"].map(len).eq(3).all()
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    computed_for.clear()
    pd.testing.assert_frame_equal(_scorecard(path, DA), card)
    computed_for.clear()
    headlines_for.clear()
    pd.testing.assert_frame_equal(_scorecard(path, DA), card)
    assert computed_for == [AS_OF]  # the earlier snapshots' figures read
    assert headlines_for == []  # now's and the previous snapshot's headlines read

    _nudge(path, DA)  # the latest snapshot changes: the earlier ones' figures still read
    computed_for.clear()
    headlines_for.clear()
    nudged = _scorecard(path, DA)
    assert computed_for == [AS_OF] and headlines_for == [AS_OF]
    monkeypatch.delenv(kept.CACHE_ENV)
    pd.testing.assert_frame_equal(nudged, _scorecard(path, DA))

    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    with duckdb.connect(str(path)) as con:  # the first snapshot's rows change: computed again
        con.execute(
            "UPDATE projects SET percent_complete = 0 WHERE as_of = '2026-08-31'"
            " AND portfolio = $p",
            {"p": DA},
        )
    computed_for.clear()
    changed = _scorecard(path, DA)
    assert sorted(computed_for) == ["2026-08-31", "2026-09-30", AS_OF]
    monkeypatch.delenv(kept.CACHE_ENV)
    pd.testing.assert_frame_equal(changed, _scorecard(path, DA))
    # another scope of the same portfolio is another key
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    computed_for.clear()
    _scorecard(path, None)
    assert sorted(computed_for) == ["2026-08-31", "2026-09-30", AS_OF]


def test_a_months_run_reads_the_kpi_trail_the_month_before_kept(demo_store, tmp_path, monkeypatch):
    """As the runner runs them, month after month (each naming its as-of date and the snapshot
    it compares with): September's summary keeps August's figures and its own headlines, and
    October's computes October's alone. A date given as text was once a Timestamp in another
    unit than the store's own, and every kept answer about it was keyed apart: October's run
    computed all three snapshots again."""
    from pmo_lib import memo
    from pmo_lib.report import open_report
    from pmo_lib.sections import portfolio_summary as sections

    path = copy_of(demo_store, tmp_path)
    computed_for, headlines_for = _spy_on_figures(monkeypatch)
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))

    def month(as_of: str, compare_to: str) -> pd.DataFrame:
        data.forget_snapshots()
        memo.forget()
        computed_for.clear()
        headlines_for.clear()
        report = open_report(
            "portfolio_summary",
            DA,
            as_of,
            str(path),
            compare_to=compare_to,
            interactive=False,
            sections=sections,
        )
        return report.view.scorecard

    month("2026-09-30", "2026-08-31")
    assert computed_for == ["2026-08-31", "2026-09-30"]
    card = month(AS_OF, "2026-09-30")
    assert computed_for == ["2026-09-30", AS_OF]  # September's as the earlier one: its KPI
    # figures were the report's own a month ago (not kept: its headlines held forecasts)
    assert headlines_for == [AS_OF]  # August's and September's headlines read
    month(AS_OF, "2026-09-30")
    assert computed_for == [AS_OF] and headlines_for == []
    monkeypatch.delenv(kept.CACHE_ENV)
    pd.testing.assert_frame_equal(month(AS_OF, "2026-09-30"), card)


def test_the_forecasts_keep_each_earlier_pair_of_snapshots_movements(
    demo_store, tmp_path, monkeypatch
):
    """The back-test's movements between two earlier snapshots are read, not computed from
    their financials, while the rows up to the later one are the same; the forecast is the
    same either way."""
    from pmo_lib import memo
    from pmo_lib.metrics import forecast

    path = copy_of(demo_store, tmp_path)
    costed: list[str] = []
    cost = forecast.cost_at_completion

    def spy(snapshot):
        costed.append(str(snapshot.as_of.date()))
        return cost(snapshot)

    monkeypatch.setattr(forecast, "cost_at_completion", spy)

    def landing(portfolio: str | None, sub_portfolio: str | None = None) -> forecast.Forecast:
        data.forget_snapshots()
        memo.forget()
        costed.clear()
        scope = data.load_portfolio(portfolio, AS_OF, path).narrowed(sub_portfolio)
        return forecast.forecast(scope.current, data.all_snapshots(scope))

    monkeypatch.delenv(kept.CACHE_ENV, raising=False)
    assert data.load_portfolio(DA, AS_OF, path).current.key is None  # JupyterLab: no keys
    computed = landing(DA, "BI & Reporting")
    assert set(costed) == {"2026-08-31", "2026-09-30", AS_OF}
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    narrowed = data.load_portfolio(DA, AS_OF, path).narrowed("BI & Reporting")
    assert narrowed.current.key[-1] == ("sub_portfolio", "BI & Reporting")
    for _ in range(2):
        found = landing(DA, "BI & Reporting")
        pd.testing.assert_frame_equal(found.projects, computed.projects)
        pd.testing.assert_frame_equal(found.moves, computed.moves)
    assert costed == [AS_OF]  # both pairs read: only the cost basis now computed
    _nudge(path, DA)  # the latest snapshot changes: the first pair is still read
    landing(DA, "BI & Reporting")
    assert set(costed) == {"2026-09-30", AS_OF}
    landing(DA)  # the whole portfolio: another scope, computed
    assert set(costed) == {"2026-08-31", "2026-09-30", AS_OF}
