"""The runner end to end: real notebooks through papermill and nbconvert, in worker processes."""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from pmo_lib import runner, store
from pmo_lib.catalog import CUSTOMER_REPORT, REPORTS
from pmo_lib.data import all_snapshots, dependency_ends, load_portfolio
from pmo_lib.errors import PMOError
from pmo_lib.metrics import (
    benefits,
    demand,
    dependencies,
    forecast,
    health,
    raid,
    resourcing,
    spend,
)
from pmo_lib.metrics import data_quality as dq
from pmo_lib.params import config_for, params_dir
from pmo_lib.report import clean_figure
from run_reports import main
from tests.conftest import write_csv
from tests.test_store import _snapshot

AS_OF = "2026-10-31"
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SCOPE_REPORTS = [r for r in REPORTS if r != CUSTOMER_REPORT]  # rendered per scope


@pytest.fixture(scope="module")
def rendered(demo_store, tmp_path_factory):
    """Every report of the function and one portfolio (the levels below and the customer pages
    are tested apart, on a report or two)."""
    outputs = tmp_path_factory.mktemp("outputs")
    code = runner.run(
        runner.Options(
            source=demo_store,
            outputs=outputs,
            portfolios=("data-analytics", "function"),
            jobs=2,
            levels=("function", "portfolio"),
            customers=False,
        )
    )
    return code, outputs / AS_OF


def test_a_run_renders_each_scope_and_writes_the_manifest_and_indexes(rendered, demo_store):
    code, run_dir = rendered
    assert code == 0
    manifest = json.loads((run_dir / "manifest.json").read_text())
    expected = [
        (f"{scope}/{report}", "ok")
        for scope in ("function", "data-analytics")
        for report in SCOPE_REPORTS
    ]
    assert [(j["job"], j["status"]) for j in manifest["jobs"]] == expected
    assert len(expected) == 12
    assert all(
        j["seconds"] > 0 and len(j["fingerprint"]) == 16 and j["error"] == ""
        for j in manifest["jobs"]
    )
    index = (run_dir / "index.html").read_text()
    assert 'href="data-analytics/data_quality.html"' in index and "Data &amp; Analytics" in index
    # the store by its name: no local folder on a page or in the manifest
    assert manifest["source"] == "pmo.duckdb" and str(demo_store.parent) not in index
    assert f"href='{AS_OF}/index.html'" in (run_dir.parent / "index.html").read_text()


def test_headline_figures_are_exact_and_match_the_metrics(rendered, demo_store):
    _, run_dir = rendered
    jobs = {j["job"]: j for j in json.loads((run_dir / "manifest.json").read_text())["jobs"]}
    data = load_portfolio("Data & Analytics", source=demo_store)
    config, now = config_for("data-analytics"), data.current
    figures = jobs["data-analytics/data_quality"]["headlines"]
    assert figures == exact(dq.headlines(now, dq.find_issues(now, config.thresholds)))
    others = (
        v for k, v in figures.items() if k not in ("dq_issues_total", "dq_score") and v is not None
    )
    assert figures["dq_issues_total"] == sum(others)
    expected = demand.headlines(
        now["demand"], now["demand_stage_history"], now.as_of, config.demand
    )
    assert jobs["data-analytics/demand_pipeline"]["headlines"] == exact(expected)
    whole = jobs["function/demand_pipeline"]["headlines"]
    assert whole["demand_open_count"] > expected["demand_open_count"]
    position = spend.fy_position(now["financials"], now.as_of, config.fiscal_year_start_month)
    ev = spend.earned_value(now["projects"], now["financials"], now.as_of)
    totals = spend.earned_value_total(ev[ev["status"] == "Active"])
    landing = forecast.forecast(now, all_snapshots(data))  # from the snapshots' track record
    fy = spend.fiscal_year(now.as_of, config.fiscal_year_start_month)
    per_project = spend.fy_by_project(now["financials"], now.as_of, fy)
    outlook = forecast.outlook_range(landing, per_project, fy.end, now.as_of)
    assert jobs["data-analytics/spend"]["headlines"] == exact(
        {
            **{
                k: position[k]
                for k in (
                    "fy_plan",
                    "ytd_plan",
                    "ytd_actual",
                    "fy_outlook",
                    "fy_variance",
                    "fy_run_rate_projection",
                )
            },
            "cpi": totals["cpi"],
            "spi": totals["spi"],
            "budget_at_completion": float(now["projects"]["budget_at_completion"].sum()),
            "fy_outlook_p10": outlook["p10"],
            "fy_outlook_p90": outlook["p90"],
            **benefits.headlines(
                benefits.analyse(
                    now["benefits"],
                    now["projects"],
                    now.as_of,
                    forecast.cost_at_completion(now),
                    config.spend.benefits_at_risk_pct,
                )
            ),
        }
    )
    assert outlook["p10"] < outlook["p50"] < outlook["p90"]
    register, milestones = health.risk_register(now), health.milestone_status(now)
    assessed = health.assess(now, config.health, config.spend.eac_formula)
    assert jobs["data-analytics/health"]["headlines"] == exact(
        {
            **health.headlines(assessed, register, milestones),
            "p80_overrun_projects": forecast.overruns(landing),
            **raid.headlines(raid.analyse(now, forecast.cost_at_completion(now))),
            **dependencies.headlines(
                dependencies.links(
                    now["dependencies"],
                    pd.concat(
                        [
                            dependencies.local_ends(now["projects"], now["milestones"]),
                            dependency_ends(data),
                        ],
                        ignore_index=True,
                    ),
                ),
                True,
            ),
        }
    )
    assert forecast.overruns(landing) > 0
    load = store.resource_load(demo_store, now.as_of.date(), list(now["resources"]["resource_id"]))
    view = resourcing.analyse(now, data.previous, load, config.portfolio, config.resourcing)
    assert jobs["data-analytics/resourcing"]["headlines"] == exact(view.headlines)


def exact(figures: dict) -> dict:
    """Figures as the manifest carries them (exact to the cent, blank as null)."""
    return {k: clean_figure(v) for k, v in figures.items()}


@pytest.mark.parametrize(
    "report, charts",
    [
        ("portfolio_summary", 2),  # life cycle, roadmap
        ("data_quality", 2),
        ("demand_pipeline", 9),
        ("spend", 6),
        ("health", 8),  # ... the roadmap and the dependency network
        ("resourcing", 7),
    ],
)
def test_the_html_is_a_clean_offline_report_for_its_portfolio_only(
    rendered, demo_store, report, charts
):
    _, run_dir = rendered
    page = (run_dir / "data-analytics" / f"{report}.html").read_text()
    # header: portfolio, report and as-of date
    assert "<h1>Data &amp; Analytics <small>(portfolio)</small></h1>" in page
    assert "31 Oct 2026" in page and REPORTS[report] in page
    # no code, no traceback, no warnings text
    for text in (
        "import pmo_lib",
        "open_report(",
        "Traceback",
        "Warning",
        'class="highlight hl-ipython3',
        '<div class="jp-CodeMirrorEditor',
        'jp-RenderedText" data-mime-type="application/vnd.jupyter.stderr',
        "Error displaying widget",
        "application/vnd.jupyter.widget",
    ):
        assert text not in page, text
    # every chart there, drawn by the run's own plotly.js
    assert page.count("Plotly.newPlot(") == charts
    src = re.search(r'<script[^>]*src="([^"]+)"', page).group(1)
    assert (
        src.startswith("../assets/plotly-")
        and (run_dir / "data-analytics" / src).resolve().exists()
    )
    assert not re.search(r"<(script|link)[^>]*(src|href)=[\"']?(https?:)?//", page)
    # no MathJax loaded or configured (the class telling the lab's MathJax to keep off is fine)
    assert "mathjax" not in page.lower().replace("mathjax_ignore", "")
    assert "require.min.js" not in page
    assert page.count("function setUp(table)") == 1  # the page's own table script, inline
    # nothing of any other portfolio: ids or names, in text, chart data or anywhere else
    everyone = load_portfolio(None, source=demo_store).current
    ours = load_portfolio("Data & Analytics", source=demo_store).current
    # a dependency across portfolios names its far end (id and name, nothing more): allowed
    linked = {*ours["dependencies"]["project_id"], *ours["dependencies"]["supplier_project_id"]}
    foreign_projects = everyone["projects"][
        ~everyone["projects"]["project_id"].isin({*ours["projects"]["project_id"], *linked})
    ]
    foreign_demand = everyone["demand"][
        ~everyone["demand"]["demand_id"].isin(ours["demand"]["demand_id"])
    ]
    foreign_risks = everyone["risks"][~everyone["risks"]["item_id"].isin(ours["risks"]["item_id"])]
    leaks = [
        x
        for x in [
            *foreign_projects["project_id"],
            *foreign_projects["project_name"],
            *foreign_demand["demand_id"],
            *foreign_demand["title"],
            *foreign_risks["item_id"],
        ]
        if re.search(
            re.escape(html.escape(x)) + r"(?![\w])", page
        )  # "request 7" is not "request 752"
    ]
    assert leaks == []
    own = [*ours["projects"]["project_id"], *ours["demand"]["demand_id"], *ours["risks"]["item_id"]]
    assert any(x in page for x in own)  # the check above would pass on an empty page


def test_the_function_report_covers_every_portfolio(rendered):
    _, run_dir = rendered
    for report in SCOPE_REPORTS:
        page = (run_dir / "function" / f"{report}.html").read_text()
        assert "IT Function <small>(whole IT function, all portfolios)</small>" in page


def test_every_level_of_the_demo_has_the_tables_its_reports_need(demo_store, tmp_path):
    """The demo carries every table: no job at any level is planned as partial (a plan that
    read the scopes from part of the tables once marked 720 of 1,167 pages partial)."""
    jobs, _ = runner.plan(
        runner.Options(
            source=demo_store,
            outputs=tmp_path,
            portfolios=("data-analytics", "function"),
            levels=("function", "portfolio", "sub_portfolio", "program"),
            customers=True,
        )
    )
    levels = {job.level for job in jobs}
    assert levels == {"function", "portfolio", "sub_portfolio", "program", "customer"}
    demand = {"demand", "demand_stage_history"}  # a program has none: demand names no program
    lacking = [
        (job.scope, job.report, job.absent)
        for job in jobs
        if set(job.absent) - (demand if job.level == "program" else set())
    ]
    assert lacking == []


def test_an_unchanged_rerun_reuses_its_reports_and_force_renders_again(demo_store, tmp_path):
    options = runner.Options(
        source=demo_store,
        outputs=tmp_path,
        portfolios=("data-analytics",),
        reports=("data_quality",),
        jobs=1,
    )
    assert runner.run(options) == 0
    html = tmp_path / AS_OF / "data-analytics" / "data_quality.html"
    stamp = html.stat().st_mtime_ns
    assert runner.run(options) == 0
    manifest = json.loads((tmp_path / AS_OF / "manifest.json").read_text())
    assert manifest["jobs"][0]["reused"] is True and html.stat().st_mtime_ns == stamp
    assert manifest["jobs"][0]["headlines"]["dq_issues_total"] > 0
    assert runner.run(replace(options, force=True)) == 0
    manifest = json.loads((tmp_path / AS_OF / "manifest.json").read_text())
    assert manifest["jobs"][0]["reused"] is False and html.stat().st_mtime_ns != stamp


def _notebook(path: Path, body: str, declared: tuple[str, ...] = runner.CONTRACT) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("\n".join(f'{name} = ""' for name in declared))
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


@pytest.fixture
def toy_project(tmp_path):
    """Two tiny reports (one fails) and two scopes over a two-snapshot store."""
    notebooks, params = tmp_path / "notebooks", tmp_path / "params"
    notebooks.mkdir()
    params.mkdir()
    _notebook(notebooks / "fine.ipynb", 'print("all good for", portfolio or "the function")')
    _notebook(notebooks / "broken.ipynb", 'raise ValueError("the vendor file has no totals")')
    defaults = (params_dir() / "defaults.yaml").read_text()
    (params / "defaults.yaml").write_text(
        re.sub(r"reports:.*?\nlevels", "reports: [fine, broken]\nlevels", defaults, flags=re.S)
    )
    (params / "function.yaml").write_text("portfolio: null\n")
    (params / "infra.yaml").write_text("portfolio: Infra\nreports: [fine]\n")
    source = tmp_path / "s.duckdb"
    store.write_snapshot(source, _snapshot(1.0), date(2026, 1, 31), "test")
    store.write_snapshot(
        source, {"projects": _snapshot(2.0)["projects"].iloc[:1]}, date(2026, 2, 28), "test"
    )  # Infra gone
    return runner.Options(
        source=source, outputs=tmp_path / "out", jobs=2, params_dir=params, notebooks_dir=notebooks
    )


def test_a_failing_notebook_is_recorded_and_the_others_go_on(toy_project):
    assert runner.run(toy_project) == 1
    run_dir = toy_project.outputs / "2026-02-28"
    jobs = {j["job"]: j for j in json.loads((run_dir / "manifest.json").read_text())["jobs"]}
    assert jobs["function/fine"]["status"] == "ok"
    failed = jobs["function/broken"]
    assert (
        failed["status"] == "failed"
        and failed["error"] == "ValueError: the vendor file has no totals"
    )
    kept = nbformat.read(run_dir / "function" / "broken.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in kept.cells for o in c.get("outputs", []))
    assert not (run_dir / "function" / "broken.html").exists()
    assert "the vendor file has no totals" in (run_dir / "index.html").read_text()
    # Infra has no rows in this snapshot: a clear page, not a crash.
    assert jobs["infra/fine"]["status"] == "no data"
    assert (
        "No data for Infra in the snapshot of 28 Feb 2026"
        in (run_dir / "infra" / "fine.html").read_text()
    )
    assert sorted(p.name for p in run_dir.rglob(".*")) == []  # no temporary files left behind


def test_every_input_travels_as_a_parameter_and_a_secret_stays_in_the_environment(
    toy_project, monkeypatch
):
    jobs, _ = runner.plan(toy_project)
    fine = next(j for j in jobs if j.name == "infra/fine")
    assert fine.parameters == {
        "portfolio": "Infra",
        "level": "portfolio",
        "sub_portfolio": "",
        "program": "",
        "as_of": "2026-02-28",
        "compare_to": "2026-01-31",
        "params_dir": str(toy_project.params_dir.resolve()),
        "source": str(toy_project.source),
        "workbook": str(toy_project.outputs.resolve() / "2026-02-28" / "infra" / "fine.xlsx"),
    }
    assert all(set(j.parameters) == set(runner.CONTRACT) for j in jobs)


def test_a_redacted_source_is_the_environments_when_it_is_the_same_source(monkeypatch):
    from pmo_lib import data

    monkeypatch.setenv(data.SOURCE_ENV, "duckdb://pmo:s3cret@host/pmo.duckdb")
    assert "s3cret" in str(data.resolve_source("duckdb://pmo:***@host/pmo.duckdb"))
    assert "s3cret" not in str(data.resolve_source("duckdb://pmo:***@other/pmo.duckdb"))
    assert data.resolve_source("/srv/x.duckdb") == Path("/srv/x.duckdb")


def test_a_notebook_without_the_contract_is_refused_before_any_kernel(toy_project):
    _notebook(toy_project.notebooks_dir / "fine.ipynb", "pass", ("portfolio", "as_of"))
    with pytest.raises(PMOError, match=r"fine.ipynb: its parameters cell does not declare level"):
        runner.plan(toy_project)


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    runner.write_atomic(target, "good")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        runner.write_atomic(target, "half")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_cli_exit_codes_and_messages(demo_store, tmp_path, capsys):
    args = ["--source", str(demo_store), "--outputs", str(tmp_path / "o")]
    assert main([*args, "--as-of", "2026-13-01"]) == 2
    assert "as_of '2026-13-01': expected a date YYYY-MM-DD" in capsys.readouterr().err
    assert main([*args, "--portfolio", "Payments"]) == 2
    assert "--portfolio Payments: unknown portfolio" in capsys.readouterr().err
    assert main([*args, "--dry-run", "--portfolio", "data-analytics"]) == 0
    assert "data-analytics/data_quality" in capsys.readouterr().out
    assert not (tmp_path / "o").exists()  # a dry run writes nothing
    bad = tmp_path / "exports"
    bad.mkdir()
    (bad / "projects.csv").write_text("project_id,project_name\nP1,Alpha\n")
    assert (
        main(["ingest", str(bad), "--as-of", "2026-01-31", "--source", str(tmp_path / "x.duckdb")])
        == 2
    )
    err = capsys.readouterr().err
    assert "projects.csv, column 'portfolio'; expected a required column 'portfolio'" in err
    assert not (tmp_path / "x.duckdb").exists()


def test_the_demand_notebook_runs_for_a_sub_portfolio(demo_store, tmp_path):
    import papermill

    out = tmp_path / "sub.ipynb"
    params = {
        "portfolio": "Data & Analytics",
        "sub_portfolio": "BI & Reporting",
        "source": str(demo_store),
    }
    papermill.execute_notebook(
        str(NOTEBOOKS / "demand_pipeline.ipynb"),
        str(out),
        parameters=params,
        progress_bar=False,
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
    )
    text = out.read_text()
    assert "Data &amp; Analytics › BI &amp; Reporting" in text
    assert '"output_type": "error"' not in text and '"name": "stderr"' not in text
    # plain papermill, outside the runner: still no filter panel, no widget output
    assert "application/vnd.jupyter.widget" not in text


def test_the_summary_tiles_are_the_detailed_reports_own_figures(rendered):
    _, run_dir = rendered
    jobs = json.loads((run_dir / "manifest.json").read_text())["jobs"]
    for scope in ("function", "data-analytics"):
        summary = next(j for j in jobs if j["job"] == f"{scope}/portfolio_summary")["headlines"]
        detailed = {}
        for j in jobs:
            if j["scope"] == scope and j["report"] not in ("portfolio_summary", "data_quality"):
                detailed.update(j["headlines"])
        assert summary == detailed  # one source of truth: same names, same exact numbers


def test_index_and_navigation_links_resolve(rendered):
    _, run_dir = rendered
    index = (run_dir / "index.html").read_text()
    links = re.findall(r'href="([^"#]+)"', index) + re.findall(r"href='([^'#]+)'", index)
    assert len(links) >= 12
    for link in links:
        assert (run_dir / link).resolve().exists(), link
    assert " red</span>" in index  # the headline RAG per portfolio
    page = (run_dir / "data-analytics" / "health.html").read_text()
    nav = re.findall(r'<nav class="pmo-nav">(.*?)</nav>', page, re.S)[0]
    for link in re.findall(r'href="([^"]+)"', nav):
        assert (run_dir / "data-analytics" / link).resolve().exists(), link
    assert '<table class="pmo-table pmo-explore">' in page  # the long health matrix is explorable
    toc = re.findall(r'<nav class="pmo-toc">(.*?)</nav>', page, re.S)[0]
    anchors = re.findall(r'href="#([^"]+)"', toc)
    assert len(anchors) == 11  # sections 1-10 and the rules
    for anchor in anchors:
        assert f'id="{anchor}"' in page, anchor
    assert (
        page.count("jp-MarkdownOutput celltag_pmo-new-page") == len(anchors) - 1
    )  # printed: a page per section after the first
    summary = (run_dir / "data-analytics" / "portfolio_summary.html").read_text()
    targets = re.findall(r'href="([a-z_]+\.html)#([^"]+)"', summary)
    assert targets
    for name, anchor in targets:
        assert f'id="{anchor}"' in (run_dir / "data-analytics" / name).read_text(), (name, anchor)


def test_each_report_writes_a_typed_workbook_of_its_tables(rendered, demo_store):
    from openpyxl import load_workbook

    _, run_dir = rendered
    jobs = {j["job"]: j for j in json.loads((run_dir / "manifest.json").read_text())["jobs"]}
    path = run_dir / "data-analytics" / "spend.xlsx"
    assert 'href="spend.xlsx"' in (run_dir / "data-analytics" / "spend.html").read_text()
    book = load_workbook(path)
    assert len(book.sheetnames) >= 5
    rollup = book[book.sheetnames[0]]
    headings = [c.value for c in rollup[1]]
    plan = rollup.cell(row=2, column=headings.index("FY Plan") + 1)
    assert isinstance(plan.value, float) and plan.number_format == "#,##0.00"
    assert plan.value == pytest.approx(
        jobs["data-analytics/spend"]["headlines"]["fy_plan"], abs=0.005
    )
    late = load_workbook(run_dir / "data-analytics" / "health.xlsx")
    sheet = next(late[n] for n in late.sheetnames if n.startswith("Late and overdue"))
    baseline = [c.value for c in sheet[1]].index("Baseline") + 1
    assert hasattr(sheet.cell(row=2, column=baseline).value, "year")  # a date, not text
    # the workbook of a portfolio holds only that portfolio's rows
    everyone = load_portfolio(None, source=demo_store).current["projects"]
    foreign = set(everyone.loc[everyone["portfolio"] != "Data & Analytics", "project_id"])
    for name in ("spend", "health", "resourcing", "data_quality"):
        book = load_workbook(run_dir / "data-analytics" / f"{name}.xlsx", read_only=True)
        values = {
            str(v)
            for ws in book
            for row in ws.iter_rows(values_only=True)
            for v in row
            if v is not None
        }
        assert not any(v in foreign or v.split(" ")[0] in foreign for v in values), name


def test_the_exploration_notebook_runs(demo_store, tmp_path):
    import papermill

    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / "explore.ipynb"),
        str(out),
        parameters={"source": str(demo_store)},
        progress_bar=False,
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any(
        "application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs
    )  # the chart shows in JupyterLab


MESSY_MAPPING = """
bad_rows: skip
bad_cells: blank
as_of: 2026-10-31
files:
  - file: register.csv
    tables:
      projects:
        constants: {status: Active}
        columns:
          project_id: ID
          project_name: Name
          portfolio: Dept
          baseline_finish: {from: Finish, date: day-first}
          budget_at_completion: {from: Budget, money: true}
  - file: spend.csv
    tables:
      financials:
        columns:
          project_id: ID
          period: {from: Month, date: iso}
          measure: Measure
          amount: {from: Amount, money: true}
"""


def test_what_the_ingest_left_out_is_on_every_page_in_data_quality_and_the_manifest(
    tmp_path, monkeypatch
):
    """A note in a date cell is blanked (the project stays), a row without an ID is left out,
    and spend on an unknown project is left out as an orphan: the portal, each page's banner,
    the data-quality list and the manifest all say so."""
    folder = tmp_path / "exports"
    write_csv(
        folder,
        "register.csv",
        "ID,Name,Dept,Finish,Budget\n"
        "P1,Alpha,Digital,31/12/2026,£1.5M\n"
        'P2,Beta,Digital,"Exempt under Section 26 (commercial interests)",£2M\n'
        ",Gamma,Digital,31/12/2027,£3M\n",
    )
    write_csv(
        folder,
        "spend.csv",
        "ID,Month,Measure,Amount\n"
        "P1,2026-08-01,plan,100\nP1,2026-08-01,actual,90\nP9,2026-08-01,actual,50\n",
    )
    mapping = tmp_path / "messy.yaml"
    mapping.write_text(MESSY_MAPPING, encoding="utf-8")
    db = tmp_path / "store.duckdb"
    assert main(["ingest", str(folder), "--mapping", str(mapping), "--source", str(db)]) == 0
    params = tmp_path / "params"
    params.mkdir()
    for name in ("defaults.yaml", "function.yaml"):
        (params / name).write_text((params_dir() / name).read_text(encoding="utf-8"))
    argv = ["--source", str(db), "--params", str(params), "--outputs", str(tmp_path / "out")]
    argv += ["--report", "data_quality", "--report", "spend", "--jobs", "1"]
    assert main(argv) == 0
    run_dir = tmp_path / "out" / AS_OF
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["ingest"] == {
        "rows_left_out": 2,
        "cells_blanked": 1,
        "by_cause": {"orphan": 1, "blank required": 1},
    }
    assert (
        "2 source rows left out (orphan 1, blank required 1) and 1 cells blanked"
        in html.unescape((run_dir / "index.html").read_text())
    )
    spend_page = html.unescape((run_dir / "function" / "spend.html").read_text())
    assert (
        "left out 2 source row(s) (orphan 1, blank required 1) and blanked 1 cell(s)" in spend_page
    )
    dq_page = html.unescape((run_dir / "function" / "data_quality.html").read_text())
    assert "Exempt under Section 26 (commercial interests)" in dq_page and "P9" in dq_page
    assert "left out **2 source rows**" not in dq_page and "2 source rows" in dq_page


# -- the runner-notebook contract ------------------------------------------------------------
def test_the_kernels_use_the_params_folder_of_the_options_not_the_environments(
    demo_store, tmp_path, monkeypatch
):
    """run(Options(params_dir=X)) with nothing in the environment: the pages use X's values,
    and the executed notebook records every parameter it was given, the source redacted."""
    monkeypatch.delenv("PMO_PARAMS", raising=False)
    params = tmp_path / "my params"
    params.mkdir()
    (params / "defaults.yaml").write_text(
        (params_dir() / "defaults.yaml").read_text().replace("currency: USD", "currency: EUR")
    )
    (params / "function.yaml").write_text("portfolio: null\ntitle: Whole IT\n")
    secret = tmp_path / "password=s3cret"  # a source whose name holds a secret
    secret.mkdir()
    source = secret / "pmo.duckdb"
    source.write_bytes(demo_store.read_bytes())
    options = runner.Options(
        source=source,
        outputs=tmp_path / "out",
        reports=("spend",),
        jobs=1,
        keep_ipynb=True,
        params_dir=params,
        levels=("function",),
    )
    assert runner.run(options) == 0
    folder = tmp_path / "out" / AS_OF / "function"
    page = (folder / "spend.html").read_text()
    assert "Whole IT" in page and "currency: EUR" in page and "€" in page
    nb = nbformat.read(folder / "spend.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    recorded = {}
    exec(injected.source, {}, recorded)
    assert recorded == {
        "portfolio": "",
        "level": "function",
        "sub_portfolio": "",
        "program": "",
        "as_of": AS_OF,
        "compare_to": "2026-09-30",
        "params_dir": str(params.resolve()),
        "source": str(tmp_path / "password=***"),
        "workbook": str((folder / "spend.xlsx").resolve()),
    }
    assert "s3cret" not in (folder / "spend.ipynb").read_text()


# -- levels: sub-portfolios and programs in the batch ----------------------------------------
@pytest.fixture(scope="module")
def levels(demo_store, tmp_path_factory):
    """One portfolio at the default levels (portfolio and sub-portfolios), spend only."""
    outputs = tmp_path_factory.mktemp("levels")
    options = runner.Options(
        source=demo_store,
        outputs=outputs,
        portfolios=("data-analytics",),
        reports=("spend",),
        jobs=2,
    )
    return runner.run(options), outputs / AS_OF


def test_each_sub_portfolio_gets_its_folder_figures_and_roll_up(levels, demo_store):
    code, run_dir = levels
    assert code == 0
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert [(j["job"], j["level"], j["parent"]) for j in manifest["jobs"]] == [
        ("data-analytics/spend", "portfolio", "function"),
        ("data-analytics/bi-reporting/spend", "sub_portfolio", "data-analytics"),
        ("data-analytics/data-platform/spend", "sub_portfolio", "data-analytics"),
    ]
    sub = load_portfolio("Data & Analytics", source=demo_store).narrowed("BI & Reporting")
    now, config = sub.current, config_for("data-analytics")
    position = spend.fy_position(now["financials"], now.as_of, config.fiscal_year_start_month)
    job = manifest["jobs"][1]
    assert job["headlines"]["fy_plan"] == clean_figure(position["fy_plan"])
    assert job["title"] == "Data & Analytics › BI & Reporting"
    page = (run_dir / "data-analytics" / "bi-reporting" / "spend.html").read_text()
    assert (
        "<h1>Data &amp; Analytics › BI &amp; Reporting <small>(sub-portfolio)</small></h1>" in page
    )
    # the roll-up lists the sub-portfolio's programs and their projects, and nothing else
    programs = set(now["projects"]["program"].dropna())
    assert programs and all(f"\u2003\u2003\u2003{html.escape(p)}<" in page for p in programs)
    assert all(pid in page for pid in now["projects"]["project_id"])
    other = load_portfolio("Data & Analytics", source=demo_store).narrowed("Data Platform")
    assert not any(pid in page for pid in other.current["projects"]["project_id"])


def test_navigation_goes_up_across_and_down_and_the_portal_drills_down(levels):
    _, run_dir = levels
    sub = run_dir / "data-analytics" / "bi-reporting"
    nav = re.findall(r'<nav class="pmo-nav">(.*?)</nav>', (sub / "spend.html").read_text(), re.S)
    links = dict(
        (html.unescape(t), h) for h, t in re.findall(r'href="([^"]+)"[^>]*>([^<]+)<', nav[0])
    )
    assert links["↑ Data & Analytics"] == "../spend.html"
    assert links["↔ Data Platform"] == "../data-platform/spend.html"
    assert links["All reports"] == "../../index.html"
    top = (run_dir / "data-analytics" / "spend.html").read_text()
    assert 'href="bi-reporting/spend.html">↓ BI &amp; Reporting<' in top
    assert '"../../assets/plotly-' in (sub / "spend.html").read_text()
    index = (run_dir / "index.html").read_text()
    for page in (index, (run_dir / "data-analytics" / "index.html").read_text()):
        for link in re.findall(r'href=["\']([^"\'#]+)["\']', page):
            base = run_dir if page is index else run_dir / "data-analytics"
            assert (base / link).resolve().exists(), link
    assert 'href="data-analytics/bi-reporting/index.html">BI &amp; Reporting</a>' in index
    assert index.count('spend.html">open</a>') == 3  # each row with its variance and link
    row = index.split("BI &amp; Reporting</a>")[1].split("</tr>")[0]
    assert "%)" in row  # its spend variance


def test_names_that_make_one_folder_get_two_and_a_scope_without_rows_a_no_data_page(
    toy_project,
):
    """'BI & Reporting' and 'BI Reporting' both slug to bi-reporting; 'Old' has rows in the
    earlier snapshot only: asked for on demand, it gets the no-data page."""
    source = toy_project.source
    first, second = _snapshot(1.0), _snapshot(2.0)
    first["projects"] = first["projects"].assign(
        portfolio="Infra", sub_portfolio=["Old", "BI & Reporting"]
    )
    second["projects"] = second["projects"].assign(
        portfolio="Infra", sub_portfolio=["BI & Reporting", "BI Reporting"]
    )
    source.unlink()
    store.write_snapshot(source, first, date(2026, 1, 31), "test")
    store.write_snapshot(source, second, date(2026, 2, 28), "test")
    options = replace(toy_project, portfolios=("infra",), reports=("fine",))
    jobs, _ = runner.plan(options)
    assert [(j.scope, j.sub_portfolio) for j in jobs] == [
        ("infra", ""),
        ("infra/bi-reporting", "BI & Reporting"),
        ("infra/bi-reporting-2", "BI Reporting"),
    ]
    on_demand = replace(options, sub_portfolios=("Old", "bi-reporting-2"))
    assert runner.run(on_demand) == 0
    run_dir = toy_project.outputs / "2026-02-28"
    jobs = {j["job"]: j for j in json.loads((run_dir / "manifest.json").read_text())["jobs"]}
    assert list(jobs) == ["infra/bi-reporting-2/fine", "infra/old/fine"]
    assert jobs["infra/old/fine"]["status"] == "no data"
    page = (run_dir / "infra" / "old" / "fine.html").read_text()
    assert "No data for Infra › Old in the snapshot of 28 Feb 2026" in page
    assert 'href="../../index.html"' in page
    assert jobs["infra/bi-reporting-2/fine"]["status"] == "ok"
    with pytest.raises(PMOError, match="--sub-portfolio Nope: .* they have: BI & Reporting, BI"):
        runner.plan(replace(options, sub_portfolios=("Nope",)))


def test_one_scope_on_demand_from_the_command_line(demo_store, tmp_path, capsys):
    argv = ["--source", str(demo_store), "--outputs", str(tmp_path), "--jobs", "1"]
    argv += ["--portfolio", "data-analytics", "--sub-portfolio", "BI & Reporting"]
    argv += ["--program", "AI Enablement", "--compare-to", "2026-08-31", "--report", "spend"]
    assert main([*argv, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.count("/spend:") == 1 and "data-analytics/bi-reporting/ai-enablement/spend" in out
    assert '"program": "AI Enablement"' in out and '"compare_to": "2026-08-31"' in out
    assert main(argv) == 0
    page = (tmp_path / AS_OF / "data-analytics/bi-reporting/ai-enablement/spend.html").read_text()
    assert "BI &amp; Reporting › AI Enablement <small>(program)</small>" in page
    assert "31 Aug 2026" in page  # compared with the snapshot asked for


# -- customers' view ---------------------------------------------------------------------------
def test_a_page_per_customer_linked_from_the_portal(demo_store, tmp_path):
    from pmo_lib import data as data_module
    from pmo_lib.metrics import customer

    options = runner.Options(
        source=demo_store,
        outputs=tmp_path,
        portfolios=("function",),
        reports=("customer",),
        jobs=2,
    )
    assert runner.run(options) == 0
    run_dir = tmp_path / AS_OF
    jobs = json.loads((run_dir / "manifest.json").read_text())["jobs"]
    whole = load_portfolio(None, source=demo_store)
    names = sorted(set(whole.current["demand"]["customer"].dropna()))
    assert [j["customer"] for j in jobs] == names and len(names) == 9
    assert all(j["level"] == "customer" and j["status"] == "ok" for j in jobs)
    finance = next(j for j in jobs if j["customer"] == "Finance")
    assert finance["scope"] == "function/customers/finance"
    config = config_for(None)
    view = customer.analyse(
        whole.current,
        whole.previous,
        data_module.all_snapshots(whole),
        "Finance",
        config.demand,
        config.health,
        config.spend.eac_formula,
    )
    assert finance["headlines"] == exact(view.headlines)
    page = (run_dir / "function" / "customers" / "finance" / "customer.html").read_text()
    assert "<h1>IT Function › Finance <small>(customer)</small></h1>" in page
    assert all(pid in page for pid in view.projects["project_id"])
    others = whole.current["demand"]
    others = others[others["customer"].notna() & (others["customer"] != "Finance")]
    assert not any(f">{d}<" in page for d in others["demand_id"])
    index = (run_dir / "index.html").read_text()
    assert "<h2>Customers</h2>" in index
    assert 'href="function/customers/finance/customer.html">open</a>' in index
