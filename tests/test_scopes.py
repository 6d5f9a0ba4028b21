"""The scopes a run renders, their folders and navigation, and the portal's tree: on hand-made
snapshots and manifests, without kernels."""

from __future__ import annotations

import posixpath
import re

import pandas as pd
import pytest

from pmo_lib import portal, scopes
from pmo_lib.data import Snapshot
from pmo_lib.errors import PMOError
from pmo_lib.params import config_for
from pmo_lib.schema import TABLES
from tests.conftest import frame

FUNCTION = config_for(None)
DA = config_for("data-analytics")
AS_OF = pd.Timestamp("2026-10-31")


def snapshot(projects: list[dict], demand: list[dict] = ()) -> Snapshot:
    tables = {name: frame(name, []) for name in TABLES}
    tables["projects"] = frame(
        "projects", [{"portfolio": "Data & Analytics", "status": "Active", **p} for p in projects]
    )
    tables["demand"] = frame(
        "demand",
        [{"portfolio": "Data & Analytics", "stage": "Submitted", **d} for d in demand],
    )
    return Snapshot(AS_OF, tables)


NOW = snapshot(
    [
        {"project_id": "P1", "sub_portfolio": "BI & Reporting", "program": "Insight"},
        {"project_id": "P2", "sub_portfolio": "BI Reporting", "program": "Insight"},
        {"project_id": "P3", "sub_portfolio": "BI Reporting", "program": "Insight!"},
        {"project_id": "P4", "sub_portfolio": None, "program": "Loose"},
        {"project_id": "P5", "sub_portfolio": "Customers", "program": None},
    ],
    [
        {"demand_id": "D1", "customer": "Finance", "sub_portfolio": "Demand Only"},
        {"demand_id": "D2", "customer": "Finance & Risk"},
        {"demand_id": "D3", "customer": None},
    ],
)


def plan(wanted: scopes.Wanted | None = None, known=None, configs=(FUNCTION, DA)):
    return scopes.plan(list(configs), lambda portfolio: NOW, wanted or scopes.Wanted(), known)


def test_slugs_are_plain_folder_names_and_names_that_make_one_get_distinct_ones():
    assert scopes.slugify("Données & IA") == "donnees-ia"
    assert scopes.slugify("数据") == scopes.slugify("") == "unnamed"
    assert scopes.slugify("x" * 100) == "x" * 60
    assert scopes.distinct_slugs(["BI Reporting", "BI & Reporting", "BI Reporting 2"]) == {
        "BI & Reporting": "bi-reporting",
        "BI Reporting": "bi-reporting-2",
        "BI Reporting 2": "bi-reporting-2-2",
    }
    assert scopes.distinct_slugs(["Customers", "Assets"]) == {  # reserved folder names
        "Assets": "assets-2",
        "Customers": "customers-2",
    }


def test_the_default_levels_render_the_function_portfolios_and_sub_portfolios():
    planned = plan()
    assert [(s.path, s.level, s.parent) for s in planned] == [
        ("function", "function", ""),
        ("function/customers/finance", "customer", "function"),
        ("function/customers/finance-risk", "customer", "function"),
        ("data-analytics", "portfolio", "function"),
        ("data-analytics/bi-reporting", "sub_portfolio", "data-analytics"),
        ("data-analytics/bi-reporting-2", "sub_portfolio", "data-analytics"),
        ("data-analytics/customers-2", "sub_portfolio", "data-analytics"),
        ("data-analytics/demand-only", "sub_portfolio", "data-analytics"),
    ]
    bi = planned[5]
    assert bi.title == "Data & Analytics › BI Reporting" and bi.name == "BI Reporting"
    assert bi.rows["projects"] == 2 and not bi.empty and bi.depth == 2
    assert bi.reports == tuple(DA.reports)
    assert planned[1].reports == ("customer",) and planned[1].title == "IT Function › Finance"
    demand_only = planned[-1]
    assert demand_only.rows["projects"] == 0 and demand_only.rows["demand"] == 1


def test_programs_on_request_sit_under_their_sub_portfolio_or_the_portfolio():
    programs = [
        (s.path, s.sub_portfolio, s.program, s.parent)
        for s in plan(scopes.Wanted(levels=("program",), customers=False))
    ]
    bi, bi2 = "data-analytics/bi-reporting", "data-analytics/bi-reporting-2"
    assert programs == [
        (f"{bi}/insight", "BI & Reporting", "Insight", bi),
        (f"{bi2}/insight", "BI Reporting", "Insight", bi2),
        (f"{bi2}/insight-2", "BI Reporting", "Insight!", bi2),
        ("data-analytics/loose", "", "Loose", "data-analytics"),
    ]  # fmt: skip


def test_one_scope_on_demand_and_one_that_the_snapshot_lacks():
    only = plan(scopes.Wanted(sub_portfolios=("bi-reporting-2",)))
    assert [s.path for s in only] == ["data-analytics/bi-reporting-2"]
    program = plan(scopes.Wanted(sub_portfolios=("BI Reporting",), programs=("Insight",)))
    assert [s.path for s in program] == ["data-analytics/bi-reporting-2/insight"]
    earlier = plan(
        scopes.Wanted(sub_portfolios=("Mainframe",)),
        known=lambda portfolio, level: {"Mainframe"} if level == "sub_portfolio" else set(),
    )
    assert [(s.path, s.empty) for s in earlier] == [("data-analytics/mainframe", True)]
    with pytest.raises(PMOError, match=r"--sub-portfolio Nope: .* BI & Reporting, BI Reporting"):
        plan(scopes.Wanted(sub_portfolios=("Nope",)))


def test_navigation_links_up_across_and_down_relatively():
    planned = {s.path: s for s in plan(scopes.Wanted(customers=False))}
    bi = planned["data-analytics/bi-reporting"]
    assert scopes.navigation(bi, "spend", planned) == [
        ("All reports", "../../index.html", False),
        ("↑ Data & Analytics", "../spend.html", False),
        *[(t, f"{r}.html", r == "spend") for r, t in _titles(DA.reports)],
        ("↔ BI Reporting", "../bi-reporting-2/spend.html", False),
        ("↔ Customers", "../customers-2/spend.html", False),
        ("↔ Demand Only", "../demand-only/spend.html", False),
    ]
    top = scopes.navigation(planned["function"], "health", planned)
    assert ("↓ Data & Analytics", "../data-analytics/health.html", False) in top
    assert not any(title.startswith("↑") for title, _, _ in top)


def _titles(reports):
    from pmo_lib.catalog import REPORTS

    return [(r, REPORTS[r]) for r in reports]


def _job(scope, level, parent, report="spend", **extra):
    return {
        "job": f"{scope}/{report}",
        "report": report,
        "scope": scope,
        "portfolio": extra.pop("portfolio", "Data & Analytics"),
        "status": "ok",
        "seconds": 1.0,
        "html": f"{report}.html",
        "headlines": extra.pop("headlines", {}),
        "level": level,
        "parent": parent,
        "title": extra.pop("title", scope),
        **extra,
    }


MANIFEST = {
    "as_of": "2026-10-31",
    "jobs": [
        _job("function", "function", "", portfolio=None, title="IT Function"),
        _job("data-analytics", "portfolio", "function", title="Data & Analytics"),
        _job(
            "data-analytics/bi-reporting",
            "sub_portfolio",
            "data-analytics",
            sub_portfolio="BI & Reporting",
            title="Data & Analytics › BI & Reporting",
            headlines={"fy_variance": 10.0, "fy_plan": 100.0, "rag_red": 1, "rag_amber": 0},
        ),
        _job(
            "function/customers/finance",
            "customer",
            "function",
            report="customer",
            portfolio=None,
            customer="Finance",
            title="IT Function › Finance",
            headlines={"requests_open": 3, "projects_delivering": 2, "projects_red": 1},
        ),
    ],
}


def test_the_portal_is_a_tree_with_figures_per_row_and_an_index_per_scope():
    index = portal.run_index(MANIFEST)
    rows = re.findall(r"<tr><th([^>]*)>(.*?)</tr>", index.split("<tbody>")[1].split("</tbody>")[0])
    assert [(style, re.sub("<[^>]+>", "", row.split("</th>")[0])) for style, row in rows] == [
        ("", "IT Function (all portfolios)"),
        (' style="padding-left: 2em"', "Data &amp; Analytics"),
        (' style="padding-left: 3.5em"', "BI &amp; Reporting sub-portfolio"),
    ]
    bi = rows[2][1]
    assert 'href="data-analytics/bi-reporting/index.html"' in bi
    assert "$10 (10.0%)" in bi and "1 red" in bi  # variance and computed RAG on the row
    customers = index.split("<h2>Customers</h2>")[1]
    assert 'href="function/customers/finance/customer.html"' in customers and "1 red" in customers
    pages = portal.scope_indexes(MANIFEST)
    assert list(pages) == ["function", "data-analytics", "data-analytics/bi-reporting"]
    # read once for all the pages (portal._Tree), each page is what the scope's index alone is
    assert pages == {scope: portal.run_index(MANIFEST, scope) for scope in pages}
    da = pages["data-analytics"]
    assert "Data &amp; Analytics — reports as of 31 Oct 2026" in da
    assert "<a href='../index.html'>All reports</a> › <a href='../function/index.html'>" in da
    assert 'href="bi-reporting/spend.html"' in da and "Finance" not in da
    assert 'href="../data-analytics/index.html"' in pages["function"]  # portfolios below it
    assert 'href="customers/finance/customer.html"' in pages["function"]


def test_a_scope_folder_from_an_odd_manifest_is_never_written_outside_the_run():
    odd = {
        "as_of": "2026-10-31",
        "jobs": [_job("../x", "portfolio", ""), _job("/etc", "portfolio", "")],
    }
    assert portal.scope_indexes(odd) == {}
    assert 'href="../x/index.html"' not in portal.run_index(odd)


@pytest.mark.parametrize(
    "path, start",
    [
        ("function", "function"),
        ("data-analytics", "function"),
        ("data-analytics/bi", "data-analytics"),
        ("data-analytics", "data-analytics/bi/crm"),
        ("infra/cloud", "data-analytics/bi"),
        ("data-analytics/bi-2", "data-analytics/bi"),
        ("a/customers/finance", "a/b/c"),
    ],
)
def test_a_scopes_relative_folder_is_posixpaths(path, start):
    assert scopes.relative(path, start) == posixpath.relpath(path, start)
