"""The batch engine (issue 17): warm kernels that render what fresh ones render, a lost kernel
replaced and its job retried, nothing re-rendered that did not change."""

from __future__ import annotations

import json
import logging
import os
import random
import re
import tempfile
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import nbformat
import pandas as pd
import psutil
import pytest

from pmo_lib import kept, kernels, runner, scopes, store
from tests.conftest import copy_of
from tests.test_runner import AS_OF, _notebook, toy_project  # noqa: F401  (a fixture)

DA = "Data & Analytics"
INFRA = "Infrastructure & Cloud"


def _comparable(page: str) -> str:
    """A page less what changes from one rendering to the next: the time it was made and the
    random ids plotly gives its charts' divs and papermill its parameters cell."""
    page = re.sub(r"cell-id=[0-9a-f]{8}", "cell-id", page)
    page = re.sub(r"\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}", "<time>", page)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", page)


def test_one_reused_kernel_renders_what_fresh_kernels_render(demo_store, tmp_path):
    options = runner.Options(
        source=demo_store,
        outputs=tmp_path / "plan",
        portfolios=("function", "data-analytics", "customer-channels"),
        reports=("health", "spend", "portfolio_summary"),
        levels=("function", "portfolio"),
        customers=False,
    )
    jobs, _ = runner.plan(options)
    assert len(jobs) == 9

    def render(order, where: str, kernel_per_job: bool) -> dict:
        pages = {}
        kernel = runner.WarmKernel()
        try:
            for job in order:
                job = replace(job, out_dir=str(tmp_path / where / job.scope))
                if kernel_per_job:
                    kernel.stop()
                result = runner.execute_job(job, False, False, kernel)
                assert result.status == "ok", result.error
                page = (Path(job.out_dir) / f"{job.report}.html").read_text(encoding="utf-8")
                pages[job.name] = (_comparable(page), result.headlines)
        finally:
            kernel.stop()
        return pages

    fresh = render(jobs, "fresh", kernel_per_job=True)
    shuffled = list(jobs)
    random.Random(17).shuffle(shuffled)
    assert shuffled != jobs
    reused = render(shuffled, "reused", kernel_per_job=False)
    for name, (page, headlines) in fresh.items():
        assert reused[name][1] == headlines, name
        assert reused[name][0] == page, name
    # and no portfolio's page shows another portfolio's projects
    with duckdb.connect(str(demo_store), read_only=True) as con:
        ids = dict(
            con.execute(
                "SELECT portfolio, list(project_id) FROM projects WHERE as_of = $a GROUP BY 1",
                {"a": date.fromisoformat(AS_OF)},
            ).fetchall()
        )
    da = reused["data-analytics/health"][0]
    assert any(f">{i}<" in da for i in ids[DA])
    assert not any(f">{i}<" in da for p, pids in ids.items() if p != DA for i in pids)


def test_a_kernel_keeps_a_portfolios_tables_for_its_next_job_only(demo_store, tmp_path):
    """The snapshot cache serves the next job of the same portfolio; before another
    portfolio's job it goes (a cache of every portfolio a kernel ran slowed each job)."""
    options = runner.Options(
        source=demo_store,
        outputs=tmp_path,
        portfolios=("data-analytics",),
        reports=("data_quality",),
        levels=("portfolio",),
        customers=False,
    )
    jobs, _ = runner.plan(options)
    kernel = runner.WarmKernel()

    def held(portfolios: set) -> None:
        kernel._run(
            "import pmo_lib.data\n"
            "held = {k[2] for k in pmo_lib.data._stored_tables._entries}\n"
            f"assert held == {portfolios!r}, held",
            30,
        )

    try:
        assert runner.execute_job(jobs[0], False, False, kernel).status == "ok"
        held({DA})
        folder = str(Path(jobs[0].notebook).parent)
        kernel.ready(folder, DA)  # the portfolio's next job
        held({DA})
        kernel.ready(folder, "Customer Channels")
        held(set())
        with pytest.raises(kernels.KernelLost, match="AssertionError"):
            held({DA})  # the check itself can fail
    finally:
        kernel.stop()


def test_a_kernel_keeps_remembered_results_for_the_same_portfolio_only(demo_store, tmp_path):
    """The metrics' remembered results stay for the next job of the same portfolio (which asks
    about the same rows: pmo_lib.memo knows a batch snapshot by its key) and go, with the
    portfolio's tables, before another portfolio's job: they hold snapshots' frames."""
    options = runner.Options(
        source=demo_store,
        outputs=tmp_path,
        portfolios=("data-analytics",),
        reports=("health",),
        levels=("portfolio",),
        customers=False,
    )
    jobs, _ = runner.plan(options)
    kernel = runner.WarmKernel()
    remembered = (
        "import pmo_lib.memo\nkept = sum(map(len, pmo_lib.memo._KEPT))\nassert kept {}, kept"
    )
    folder = str(Path(jobs[0].notebook).parent)
    try:
        assert runner.execute_job(jobs[0], False, False, kernel).status == "ok"
        kernel._run(remembered.format("> 0"), 30)  # health remembered its assessment
        kernel.ready(folder, DA)  # the same portfolio's next job
        kernel._run(remembered.format("> 0"), 30)
        kernel.ready(folder, INFRA)  # another portfolio's
        kernel._run(remembered.format("== 0"), 30)
    finally:
        kernel.stop()


def test_a_kernel_imports_the_report_libraries_as_it_starts(tmp_path):
    """A worker starts its kernel before it builds its exporter: the kernel has imported every
    report's sections by the time it is ready, in the folder it was started in."""
    kernel = runner.WarmKernel()
    try:
        kernel.start(str(tmp_path))
        assert kernel.booting
        kernel.ready(str(tmp_path))
        assert not kernel.booting
        kernel._run(
            "import os, sys\n"
            "assert {'pmo_lib.sections.health', 'pmo_lib.sections.portfolio_summary', 'plotly',"
            " 'duckdb'} <= set(sys.modules)\n"
            f"assert os.getcwd() == {str(tmp_path)!r}, os.getcwd()",
            30,
        )
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        kernel.ready(str(elsewhere))  # a first job in another folder: moved there
        kernel._run(f"import os\nassert os.getcwd() == {str(elsewhere)!r}, os.getcwd()", 30)
    finally:
        kernel.stop()


def test_one_job_at_a_time_logs_no_line_of_nbclients(toy_project, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)  # as the command line sets it
    assert runner.run(replace(toy_project, jobs=1, portfolios=("function",))) == 1
    said = [record.getMessage() for record in caplog.records]
    assert not [line for line in said if "Executing notebook" in line]


def test_a_kernel_that_dies_is_replaced_and_its_job_run_again(toy_project):  # noqa: F811
    notebooks = toy_project.notebooks_dir
    marker = notebooks / "died-once"
    _notebook(
        notebooks / "fine.ipynb",
        f"import os, pathlib\nmarker = pathlib.Path({str(marker)!r})\n"
        "if not marker.exists():\n    marker.write_text('x')\n    os._exit(1)\n"
        "print('pid', os.getpid())",
    )
    _notebook(notebooks / "broken.ipynb", "import os\nos._exit(1)")  # dies every time
    assert runner.run(replace(toy_project, jobs=1, keep_ipynb=True)) == 1
    run_dir = toy_project.outputs / "2026-02-28"
    jobs = {j["job"]: j for j in json.loads((run_dir / "manifest.json").read_text())["jobs"]}
    assert marker.exists() and jobs["function/fine"]["status"] == "ok"
    assert jobs["function/broken"]["status"] == "failed"
    assert "kernel died" in jobs["function/broken"]["error"].lower()


def test_a_job_that_hangs_is_stopped_and_run_once_more(toy_project, monkeypatch):  # noqa: F811
    notebooks = toy_project.notebooks_dir
    marker = notebooks / "hung-once"
    _notebook(
        notebooks / "fine.ipynb",
        f"import pathlib, time\nmarker = pathlib.Path({str(marker)!r})\n"
        "if not marker.exists():\n    marker.write_text('x')\n    time.sleep(60)\nprint('done')",
    )
    monkeypatch.setenv(kernels.JOB_TIMEOUT_ENV, "3")
    options = replace(toy_project, jobs=1, portfolios=("function",), reports=("fine",))
    assert runner.run(options) == 0
    assert marker.exists()


def _pids(run_dir: Path, names: list[str]) -> list[str]:
    found = []
    for name in names:
        nb = nbformat.read(run_dir / f"{name}.ipynb", as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        found.append(re.search(r"pid (\d+)", text).group(1))
    return found


def test_jobs_share_a_warm_kernel_until_it_grows_past_its_limit(toy_project, monkeypatch):  # noqa: F811
    notebooks = toy_project.notebooks_dir
    for name in ("fine", "broken"):
        _notebook(notebooks / f"{name}.ipynb", "import os\nprint('pid', os.getpid())")
    options = replace(toy_project, jobs=1, portfolios=("function",), keep_ipynb=True)
    assert runner.run(options) == 0
    run_dir = toy_project.outputs / "2026-02-28" / "function"
    first, second = _pids(run_dir, ["fine", "broken"])
    assert first == second  # one kernel for both jobs
    monkeypatch.setenv(kernels.KERNEL_MAX_MB_ENV, "1")  # every kernel is past it after a job
    assert runner.run(replace(options, force=True)) == 0
    first, second = _pids(run_dir, ["fine", "broken"])
    assert first != second


def test_jobs_of_a_scope_go_together_and_every_worker_gets_work():
    jobs = [
        runner.Job(report, scope, "portfolio", None, scope, "", "", AS_OF)
        for scope in ("function", "a", "b")
        for report in ("spend", "health", "demand")
    ]
    many = [replace(j, scope=f"{j.scope}{n}") for n in range(4) for j in jobs]  # 12 scopes
    groups = runner.by_scope(many, workers=2)
    assert [len(g) for g in groups] == [3] * 12  # a scope each: its reports share one kernel
    assert all(len({j.scope for j in g}) == 1 for g in groups)
    few = runner.by_scope(jobs, workers=2)  # 3 scopes, 2 workers: cut so both have work
    assert [len(g) for g in few] == [2, 2, 2, 1, 1, 1]  # no last run: the longer groups first
    assert all(len({j.scope for j in g}) == 1 for g in few)
    # jobs that take alike (here none in the last run: each its mean) are cut by count alone
    assert [len(g) for g in runner.by_scope(jobs, 2, {"other/job": 3.0})] == [2, 2, 2, 1, 1, 1]
    # by the last run's seconds (a job it lacks counts as their mean, 2.3 s): no group over a
    # third of a worker's share (20.7 s / 6) or two jobs of the mean (4.6 s), unless one job
    # is; the portfolio with the most work first (B 12.3 s, the function 6.9, A 1.5), within it
    # the longest group
    owned = [replace(j, portfolio=j.scope.upper() if j.scope != "function" else None) for j in jobs]
    took = {"b/spend": 9.0, "b/health": 1.0, "a/spend": 0.5, "a/health": 0.5, "a/demand": 0.5}
    timed = runner.by_scope(owned, workers=2, seconds=took)
    assert [[j.name for j in g] for g in timed] == [
        ["b/spend"],  # 9 s, alone
        ["b/health", "b/demand"],  # 3.3
        ["function/spend", "function/health"],  # 4.6
        ["function/demand"],  # 2.3
        ["a/spend", "a/health"],  # 1.0: two jobs at most (6 groups' worth)
        ["a/demand"],  # 0.5
    ]


def test_a_pools_workers_keep_to_a_portfolio_then_help_where_most_work_is_left():
    def job(portfolio: str | None, report: str) -> runner.Job:
        scope = (portfolio or "function").lower()
        return runner.Job(report, scope, "portfolio", portfolio, scope, "", "", AS_OF)

    jobs = [job(p, r) for p in (None, "A", "B") for r in ("spend", "health", "demand")]
    jobs.insert(4, replace(job("A", "spend"), scope="a/sub", level="sub_portfolio"))
    took = {"b/spend": 1.0, "b/health": 5.0, "b/demand": 2.0, "a/sub/spend": 0.5}
    backlog = runner.Backlog(jobs, took)  # a job not in the last run: their mean, 2.125 s
    assert len(backlog) == 10
    taken: list[tuple[int, str]] = []

    def take(worker: int) -> None:
        taken.append((worker, backlog.take(worker).name))

    take(0)  # the most work left: B (8 s), its longest job first
    take(1)  # the most left of the others: A (6.9 s) before the function (6.4 s)
    take(0)
    take(0)  # B done: worker 0 takes the function, which no worker is on
    take(1)
    take(1)
    take(1)  # A done (its sub-portfolio's job with it); the function is worker 0's: it helps
    take(0)
    take(1)
    take(0)
    assert taken == [
        (0, "b/health"),
        (1, "a/spend"),
        (0, "b/demand"),
        (0, "b/spend"),
        (1, "a/health"),
        (1, "a/demand"),
        (1, "a/sub/spend"),
        (0, "function/spend"),
        (1, "function/health"),
        (0, "function/demand"),
    ]
    assert len(backlog) == 0 and backlog.take(0) is None and backlog.take(1) is None


def test_a_worker_that_dies_fails_its_job_and_the_others_go_on(toy_project):  # noqa: F811
    notebooks = toy_project.notebooks_dir  # the kernel takes its worker process down with it
    _notebook(
        notebooks / "broken.ipynb", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
    )
    assert runner.run(replace(toy_project, jobs=2)) == 1
    run_dir = toy_project.outputs / "2026-02-28"
    jobs = {j["job"]: j for j in json.loads((run_dir / "manifest.json").read_text())["jobs"]}
    assert jobs["function/fine"]["status"] == "ok"
    assert jobs["function/broken"]["status"] == "failed"
    assert jobs["function/broken"]["error"].startswith("its worker process died")
    assert (run_dir / "function" / "fine.html").exists()
    assert not (run_dir / "function" / "broken.html").exists()


# -- what a rerun renders again ---------------------------------------------------------------
def _nudge(path: Path, portfolio: str) -> None:
    """One portfolio's spend changes in the latest snapshot, as a re-ingest would change it."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            "UPDATE financials SET amount = amount + 1000 WHERE as_of = $a AND project_id IN"
            " (SELECT project_id FROM projects WHERE as_of = $a AND portfolio = $p)",
            {"a": date.fromisoformat(AS_OF), "p": portfolio},
        )


def test_a_scopes_print_changes_with_its_rows_only(demo_store, tmp_path):
    path = copy_of(demo_store, tmp_path)
    portfolios = [None, DA, "Customer Channels", "Infrastructure & Cloud"]
    before = store.scope_prints(path, date.fromisoformat(AS_OF), portfolios)
    assert len(set(before.values())) == 4
    _nudge(path, DA)
    after = store.scope_prints(path, date.fromisoformat(AS_OF), portfolios)
    assert [after[p] != before[p] for p in portfolios] == [True, True, False, False]
    # an earlier snapshot the reports' trends read counts too; a later one does not
    assert store.scope_prints(path, date(2026, 9, 30), portfolios) == store.scope_prints(
        demo_store, date(2026, 9, 30), portfolios
    )
    # the same queries count each scope's rows of the as-of snapshot, as row_counts does
    day = date.fromisoformat(AS_OF)
    prints, rows = store.scope_prints_and_rows(path, day, portfolios)
    assert prints == after
    for portfolio in portfolios:
        assert rows[portfolio] == store.row_counts(path, day, portfolio), portfolio
    assert 0 < rows[DA]["allocations"] < rows[None]["allocations"]
    # and each scope's print at every snapshot up to as_of, from the same queries
    by_date, same_rows = store.scope_prints_and_rows(path, day, portfolios, by_date=True)
    assert same_rows == rows
    assert list(by_date[DA]) == ["2026-08-31", "2026-09-30", AS_OF]
    for earlier in by_date[DA]:
        at = store.scope_prints(path, date.fromisoformat(earlier), portfolios)
        assert {p: by_date[p][earlier] for p in portfolios} == at, earlier
    assert by_date[DA]["2026-09-30"] != by_date[DA][AS_OF]


def test_rows_are_printed_by_joins_as_the_scope_filters_would(demo_store, tmp_path, monkeypatch):
    """A table whose rows hang off a project, a request or a person joins them once for every
    scope; the prints and counts equal the generic, correlated filters', also with an id two
    portfolios share and with unassigned (BAU) bookings."""
    path = copy_of(demo_store, tmp_path)
    with duckdb.connect(str(path)) as con:  # one project id in two portfolios
        con.execute(
            "UPDATE projects SET project_id = (SELECT min(project_id) FROM projects"
            " WHERE portfolio = $p) WHERE portfolio = 'Customer Channels' AND project_id ="
            " (SELECT min(project_id) FROM projects WHERE portfolio = 'Customer Channels')",
            {"p": DA},
        )
        # a Data & Analytics person booked on an Infrastructure project (the demo has none),
        # and a person whose id is twice in one snapshot, homed in two portfolios
        con.execute(
            "UPDATE allocations SET project_id = (SELECT min(project_id) FROM projects"
            " WHERE portfolio = 'Infrastructure & Cloud' AND as_of = $a) WHERE as_of = $a"
            " AND project_id IS NOT NULL AND resource_id = (SELECT min(resource_id)"
            " FROM resources WHERE portfolio = $p AND as_of = $a)",
            {"a": date.fromisoformat(AS_OF), "p": DA},
        )
        con.execute(
            "INSERT INTO resources SELECT * REPLACE ('Customer Channels' AS portfolio)"
            " FROM resources WHERE as_of = $a AND resource_id = (SELECT max(resource_id)"
            " FROM resources WHERE portfolio = $p AND as_of = $a)",
            {"a": date.fromisoformat(AS_OF), "p": DA},
        )
    portfolios = [None, DA, "Customer Channels", "Infrastructure & Cloud"]
    day = date.fromisoformat(AS_OF)
    joined = store.scope_prints_and_rows(path, day, portfolios)
    with duckdb.connect(str(path), read_only=True) as con:  # the cases are there
        assert con.execute(
            "SELECT count(*) FROM allocations a JOIN projects p USING (as_of, project_id)"
            " JOIN resources r USING (as_of, resource_id) WHERE p.portfolio <> r.portfolio"
            " AND a.as_of = $a",
            {"a": day},
        ).fetchone()[0]
    monkeypatch.setattr(store, "_joined_scopes", lambda where, table, row_hash: None)
    assert store.scope_prints_and_rows(path, day, portfolios) == joined


class _ClockAnHourOn(runner.datetime):
    @classmethod
    def now(cls, tz=None):
        return runner.datetime.now(tz) + timedelta(hours=1)


def test_a_rerun_renders_only_the_changed_portfolios_jobs_and_nothing_costs_nothing(
    demo_store, tmp_path, monkeypatch, capsys
):
    path = copy_of(demo_store, tmp_path)
    options = runner.Options(
        source=path,
        outputs=tmp_path / "out",
        reports=("data_quality",),
        levels=("function", "portfolio"),
        customers=False,
        jobs=2,
    )
    assert runner.run(options) == 0
    capsys.readouterr()

    def no(*args, **kwargs):
        raise AssertionError("nothing to render: no worker, no kernel")

    run_dir = tmp_path / "out" / AS_OF
    first = json.loads((run_dir / "manifest.json").read_text())["generated_at"]
    index = (run_dir / "index.html").read_text()
    with monkeypatch.context() as m:
        m.setattr(runner, "ProcessPoolExecutor", no)
        m.setattr(runner.WarmKernel, "start", no)
        m.setattr(runner, "datetime", _ClockAnHourOn)
        assert runner.run(options) == 0
    said = capsys.readouterr().out
    assert "5 reports unchanged" in said, said
    # nothing rendered: the pages were generated when they were, and the index says so (an
    # index written again with a new time would be uploaded again for nothing)
    assert json.loads((run_dir / "manifest.json").read_text())["generated_at"] == first
    assert (run_dir / "index.html").read_text() == index

    _nudge(path, DA)
    assert runner.run(options) == 0
    manifest = json.loads((tmp_path / "out" / AS_OF / "manifest.json").read_text())
    rendered = sorted(j["job"] for j in manifest["jobs"] if not j["reused"])
    assert rendered == ["data-analytics/data_quality", "function/data_quality"]


def test_a_setting_that_is_not_a_positive_number_is_named(toy_project, monkeypatch):  # noqa: F811
    from pmo_lib import data
    from pmo_lib.errors import PMOError

    monkeypatch.setenv(data.CACHE_ENV, "lots")
    with pytest.raises(PMOError, match=r"\$PMO_CACHE_MB is 'lots': expected a positive number"):
        data._stored_tables.put(("k",), pd.DataFrame())
    monkeypatch.delenv(data.CACHE_ENV)
    monkeypatch.setenv(kernels.JOB_TIMEOUT_ENV, "-1")
    with pytest.raises(PMOError, match=r"\$PMO_JOB_TIMEOUT is '-1': expected a positive number"):
        runner.run(replace(toy_project, jobs=1, portfolios=("function",), reports=("fine",)))


def test_the_plan_narrows_the_functions_snapshot_only_when_most_portfolios_are_planned(
    demo_store, tmp_path, monkeypatch
):
    """All portfolios: the function's snapshot read once and narrowed to each; one portfolio:
    its own rows read alone (not a large store's every row)."""
    from pmo_lib import data

    read: list[str | None] = []
    real = store.load_tables

    def spied(path, day, portfolio, names=None):
        read.append(portfolio)
        return real(path, day, portfolio, names)

    monkeypatch.setattr(store, "load_tables", spied)

    def planned(portfolios: tuple[str, ...]) -> set:
        data.forget_snapshots()
        read.clear()
        options = runner.Options(
            source=demo_store,
            outputs=tmp_path / "plan",
            portfolios=portfolios,
            levels=("portfolio", "sub_portfolio"),
            customers=False,
        )
        jobs, _ = runner.plan(options)
        assert any(j.level == "sub_portfolio" for j in jobs)
        return set(read)

    assert planned(("data-analytics",)) == {DA}
    every = ("data-analytics", "customer-channels", "infrastructure-cloud", "enterprise-platforms")
    assert planned(every) == {None}


def test_a_rerun_reads_the_unchanged_portfolios_comparison_rows_and_renders_the_same_page(
    demo_store, tmp_path
):
    path = copy_of(demo_store, tmp_path)
    options = runner.Options(
        source=path,
        outputs=tmp_path / "out",
        reports=("portfolio_summary",),
        levels=("function", "portfolio"),
        customers=False,
        jobs=1,
    )
    assert runner.run(options) == 0
    figures = tmp_path / "out" / kept.IN_OUTPUTS

    def rows() -> int:
        keys = [json.loads(json.loads(p.read_text())["key"]) for p in figures.iterdir()]
        return sum(key[0] == "comparison" for key in keys)

    assert rows() == 4  # the function's comparison: a row per portfolio
    written = {p.name: p.stat().st_ino for p in figures.iterdir()}
    _nudge(path, DA)
    assert runner.run(options) == 0
    assert rows() == 5  # Data & Analytics' row computed again, kept anew
    # the others read, not written again (a file written anew is a new inode); the plan's
    # prints were the run's own and are gone
    again = {p.name: p.stat().st_ino for p in figures.iterdir()}
    assert len(set(written.items()) & set(again.items())) >= 3
    assert not list(figures.glob(f"{kept.PLAN_PRINTS}*"))
    forced = replace(options, outputs=tmp_path / "forced", force=True)
    assert runner.run(forced) == 0
    assert not (tmp_path / "forced" / kept.IN_OUTPUTS).exists()  # --force computes everything
    page = "function/portfolio_summary.html"
    read = (tmp_path / "out" / AS_OF / page).read_text(encoding="utf-8")
    assert _comparable(read) == _comparable(
        (tmp_path / "forced" / AS_OF / page).read_text(encoding="utf-8")
    )


def test_a_plan_reads_the_scopes_of_a_portfolio_whose_rows_did_not_change(
    demo_store, tmp_path, monkeypatch
):
    path = copy_of(demo_store, tmp_path)
    options = runner.Options(
        source=path,
        outputs=tmp_path / "out",
        levels=("function", "portfolio", "sub_portfolio", "program"),
        customers=True,
    )
    counted: list[str] = []
    below = scopes._below

    def spied(config, *args):
        counted.append(config.portfolio)
        return below(config, *args)

    monkeypatch.setattr(scopes, "_below", spied)
    first, _ = runner.plan(options)
    assert sorted(counted) == sorted([DA, "Customer Channels", "Enterprise Platforms", INFRA])
    assert {j.level for j in first} == set(scopes.LEVELS)
    counted.clear()
    assert runner.plan(options)[0] == first and counted == []  # every portfolio's read
    _nudge(path, DA)
    again, _ = runner.plan(options)
    assert counted == [DA]
    assert again == runner.plan(replace(options, force=True))[0]  # as if nothing were kept
    assert [j.name for j in again] == [j.name for j in first]


def test_workers_stop_their_kernels_and_leave_nothing_behind(demo_store, tmp_path):
    sockets = Path(tempfile.gettempdir())
    before = set(sockets.glob("pmo-kernel-*"))
    options = runner.Options(
        source=demo_store,
        outputs=tmp_path / "out",
        portfolios=("data-analytics", "customer-channels"),
        reports=("data_quality",),
        levels=("portfolio",),
        customers=False,
        jobs=2,
    )
    assert runner.run(options) == 0
    # each worker stopped its kernel as it left (a kernel killed with its worker would leave
    # its sockets), and no worker or kernel outlives the run
    assert set(sockets.glob("pmo-kernel-*")) == before
    left = psutil.Process().children(recursive=True)
    assert [p for p in left if "resource_tracker" not in " ".join(p.cmdline())] == []


def test_force_and_a_dry_run_keep_nothing(demo_store, tmp_path, monkeypatch):
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "named"))  # even where one is named
    options = runner.Options(
        source=demo_store,
        outputs=tmp_path / "out",
        levels=("function", "portfolio", "sub_portfolio"),
        customers=True,
    )
    dry, _ = runner.plan(options, dry_run=True)
    forced, facts = runner.plan(replace(options, force=True))
    assert dry == forced == runner.plan(options)[0]
    assert facts["kernel_env"] == {kept.CACHE_ENV: None, kept.PRINTS_ENV: None}
    assert not (tmp_path / "named").exists()
    # the third plan's only: its prints, each portfolio's scopes, the function's customers
    assert len(list((tmp_path / "out" / kept.IN_OUTPUTS).iterdir())) == 1 + 4 + 1


def test_a_run_that_renders_everything_starts_its_kernel_before_the_plan(
    demo_store, tmp_path, monkeypatch
):
    """--jobs 1 with --force, or with no pages yet for the as-of date: the kernel starts before
    the plan (its imports run while the plan reads the store) and learns the plan's prints
    then; a run that may reuse pages starts none before it knows."""
    planned, started = [], []
    real_plan, real_start = runner.plan, runner.WarmKernel.start

    def plan(options, dry_run=False):
        planned.append(len(started))
        return real_plan(options, dry_run)

    def start(self, folder):
        started.append(folder)
        return real_start(self, folder)

    monkeypatch.setattr(runner, "plan", plan)
    monkeypatch.setattr(runner.WarmKernel, "start", start)
    options = runner.Options(
        source=copy_of(demo_store, tmp_path),
        outputs=tmp_path / "out",
        portfolios=("data-analytics",),
        reports=("data_quality",),
        levels=("portfolio",),
        customers=False,
        jobs=1,
    )
    assert runner.run(options) == 0  # no pages yet for the date
    assert planned == [1] and len(started) == 1
    page = (tmp_path / "out" / AS_OF / "data-analytics" / "data_quality.html").read_text()
    assert runner.run(options) == 0  # unchanged: no kernel at all
    assert planned == [1, 1] and len(started) == 1
    assert runner.run(replace(options, force=True)) == 0
    assert planned == [1, 1, 2] and len(started) == 2
    again = (tmp_path / "out" / AS_OF / "data-analytics" / "data_quality.html").read_text()
    assert _comparable(again) == _comparable(page)
    assert runner.run(replace(options, force=True, jobs=2)) == 0  # not in this process
    assert planned[-1] == 2 and len(started) == 3  # started after the plan (the one job)


_FIRST_START = """import json, sys
from pmo_lib import cli, kernels
seen = []
real = kernels.WarmKernel.start
def start(self, folder):
    seen.append("pandas" in sys.modules)
    return real(self, folder)
kernels.WarmKernel.start = start
code = cli.main(sys.argv[1:])
print(json.dumps({"code": code, "pandas_first": seen}))
"""


@pytest.mark.parametrize("force", [True, False])
def test_the_command_starts_a_forced_runs_kernel_before_it_imports_pandas(
    demo_store, tmp_path, force
):
    """--force --jobs 1: the command line starts the kernel first thing, and its imports run
    beside the run's own (pandas, the store, the plan); the page is the same. Without --force
    the run decides (it may reuse every page): the kernel starts after pandas."""
    import subprocess
    import sys

    command = [sys.executable, "-c", _FIRST_START, "--source", str(copy_of(demo_store, tmp_path))]
    command += ["--outputs", str(tmp_path / "out"), "--portfolio", "data-analytics"]
    command += ["--report", "data_quality", "--level", "portfolio", "--no-customers"]
    command += ["--no-mail", "--jobs", "1", *(["--force"] if force else [])]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said == {"code": 0, "pandas_first": [not force]}
    page = tmp_path / "out" / AS_OF / "data-analytics" / "data_quality.html"
    assert "Data quality" in page.read_text()


def test_a_started_kernel_is_told_variables_for_its_environment(tmp_path):
    kernel = runner.WarmKernel()
    try:
        kernel.start(str(tmp_path))
        kernel.environ({"PMO_TOLD": "it's 'quoted'", "HOME": None})
        kernel._run(
            "import os, pathlib\n"
            "told = os.environ['PMO_TOLD'] + str('HOME' in os.environ)\n"
            "pathlib.Path('env.txt').write_text(told)",
            60,
        )
    finally:
        kernel.stop()
    assert (tmp_path / "env.txt").read_text() == "it's 'quoted'False"


_WORKER = """import json, pickle, sys
from pmo_lib import render
job = pickle.loads(bytes.fromhex(sys.argv[1]))  # as a pool worker gets it: by pmo_lib.render
result = render.execute_job(job, False, True)
heavy = sorted({"pandas", "duckdb", "pmo_lib.runner", "pmo_lib.store"} & set(sys.modules))
print(json.dumps({"status": result.status, "error": result.error, "heavy": heavy}))
"""


@pytest.mark.parametrize("fails", [False, True])
def test_a_worker_renders_a_page_without_importing_pandas_or_the_store(demo_store, tmp_path, fails):
    """What a pool worker imports (pmo_lib.render) leaves pandas, DuckDB and the runner to its
    kernel, whose imports run beside the worker's own (the runner's took 0.9 s of its start);
    a failed job's error line too (a snapshot the store does not hold)."""
    import pickle
    import subprocess
    import sys

    options = runner.Options(
        source=demo_store,
        outputs=tmp_path / "out",
        portfolios=("data-analytics",),
        reports=("data_quality",),
        levels=("portfolio",),
        customers=False,
        force=True,
    )
    jobs, _ = runner.plan(options)
    assert type(jobs[0]).__module__ == "pmo_lib.render"
    job = replace(jobs[0], as_of="1999-01-31") if fails else jobs[0]
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, pickle.dumps(job).hex()],
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            kernels.SOURCE_ENV: str(demo_store),
            kernels.BATCH_ENV: "1",
        },
    )
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said["heavy"] == []
    if fails:
        assert said["status"] == "failed" and "1999-01-31" in said["error"]
    else:
        assert said == {"status": "ok", "error": "", "heavy": []}
        assert "Data quality" in jobs[0].html_path.read_text()


def test_a_kernel_moving_to_another_portfolio_drops_a_failed_jobs_traceback(tmp_path):
    """IPython keeps the last error in sys.last_* with its frames (and their tables): the reset
    before another portfolio's job drops it before it freezes what is left."""
    kernel = runner.WarmKernel()
    try:
        kernel.start(str(tmp_path))
        kernel.ready(str(tmp_path), "Data & Analytics")
        with pytest.raises(kernels.KernelLost, match="ZeroDivisionError"):
            kernel._run("import pandas\nframe = pandas.DataFrame({'a': [1]})\n1 / 0", 60)
        kernel.jobs = 1  # as after a job: the next ready() resets
        kernel.ready(str(tmp_path), "Infrastructure & Cloud")
        kernel._run(
            "import gc, pathlib, sys\n"
            "pathlib.Path('after.txt').write_text("
            "f'{sys.last_traceback is None} {gc.get_freeze_count() > 0}')",
            60,
        )
    finally:
        kernel.stop()
    assert (tmp_path / "after.txt").read_text() == "True True"
