"""Benefits realisation on a hand case: to date, expected, status, ROI and the page's words."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_lib.metrics import benefits as b
from tests.conftest import frame

AS_OF = pd.Timestamp("2026-10-31")  # closed months: up to October 2026


def rows(project: str, benefit: str, kind: str, values: dict[str, tuple], **extra) -> list[dict]:
    return [
        {
            "project_id": project,
            "benefit": benefit,
            "benefit_type": kind,
            "period": month,
            "planned_value": planned,
            "realised_value": realised,
            **extra,
        }
        for month, (planned, realised) in values.items()
    ]


@pytest.fixture
def case():
    benefits = frame(
        "benefits",
        rows(
            "P1",
            "Licence savings",
            "Financial",
            {
                "2026-08-01": (100.0, 80.0),
                "2026-09-01": (100.0, 90.0),
                "2026-10-01": (100.0, 70.0),
                "2026-11-01": (100.0, None),
                "2026-12-01": (100.0, None),
            },
            owner="CFO",
        )
        + rows(
            "P1",
            "Hours saved",
            "Non-financial",
            {"2026-09-01": (50.0, None), "2026-10-01": (50.0, None)},
            measure="hours",
        )
        + rows(
            "P2",
            "Revenue",
            "Financial",
            {"2026-11-01": (1000.0, None), "2026-12-01": (1000.0, None)},
        ),
    )
    projects = frame(
        "projects",
        [
            {"project_id": "P1", "project_name": "One", "portfolio": "A", "status": "Active"},
            {"project_id": "P2", "project_name": "Two", "portfolio": "B", "status": "Active"},
        ],
    )
    cost = pd.Series({"P1": 400.0, "P2": 1000.0})
    return benefits, projects, cost


def test_each_benefit_to_date_expected_and_status(case):
    benefits, projects, cost = case
    got = b.per_benefit(benefits, AS_OF, at_risk_pct=20).set_index("benefit")
    licence = got.loc["Licence savings"]
    assert (licence["planned_to_date"], licence["realised_to_date"]) == (300.0, 240.0)
    assert (licence["planned_total"], licence["expected_total"]) == (500.0, 440.0)  # 240 + 200
    assert licence["realised_pct"] == pytest.approx(80.0)
    assert licence["status"] == "On track"  # 80 % is not below 100 − 20
    assert got.loc["Hours saved", "status"] == "Not reported"  # due, nothing recorded: not 0
    assert pd.isna(got.loc["Hours saved", "realised_to_date"])
    assert got.loc["Revenue", "status"] == "Not yet due" and pd.isna(
        got.loc["Revenue", "realised_pct"]
    )
    assert list(got["status"]) == ["Not reported", "On track", "Not yet due"]  # worst first
    stricter = b.per_benefit(benefits, AS_OF, at_risk_pct=10).set_index("benefit")
    assert stricter.loc["Licence savings", "status"] == "At risk"  # 80 % < 90 %


def test_roi_and_totals_count_financial_benefits_only(case):
    benefits, projects, cost = case
    result = b.analyse(benefits, projects, AS_OF, cost, 20)
    p = result.projects.set_index("project_id")
    assert p.loc["P1", "expected_total"] == 440.0  # the hours are not money
    assert p.loc["P1", "roi_pct"] == pytest.approx(10.0)  # (440 − 400) / 400
    assert p.loc["P2", "roi_pct"] == pytest.approx(100.0)  # (2,000 − 1,000) / 1,000
    totals = result.totals
    assert totals["planned_to_date"] == 300.0 and totals["realised_to_date"] == 240.0
    assert totals["realised_pct"] == pytest.approx(80.0)
    assert totals["roi_pct"] == pytest.approx(100 * (2440 - 1400) / 1400)
    assert b.headlines(result) == {"benefits_realised_pct": 80.0, "benefits_at_risk": 1}
    portfolios = result.portfolios.set_index("portfolio")
    assert portfolios.loc["B", "expected_total"] == 2000.0 and pd.isna(
        portfolios.loc["B", "realised_pct"]
    )


def test_no_benefits_is_blank_not_zero(case):
    _, projects, cost = case
    result = b.analyse(frame("benefits", []), projects, AS_OF, cost, 20)
    assert not result.has_benefits
    assert b.headlines(result) == {"benefits_realised_pct": None, "benefits_at_risk": None}
    only_hours = frame("benefits", rows("P1", "Hours", "Non-financial", {"2026-09-01": (5.0, 5.0)}))
    result = b.analyse(only_hours, projects, AS_OF, cost, 20)
    assert result.totals["realised_pct"] is None and result.totals["roi_pct"] is None
    assert b.headlines(result) == {"benefits_realised_pct": None, "benefits_at_risk": 0}


def test_a_benefits_export_is_checked_like_every_table(tmp_path):
    from pmo_lib import demo
    from pmo_lib.errors import DataValidationError
    from pmo_lib.validate import load_folder

    folder = demo.export_demo(tmp_path / "exports")
    frames, _ = load_folder(folder)
    assert len(frames["benefits"]) > 100  # the demo promises benefits on about half its projects
    text = (folder / "benefits.csv").read_text().splitlines()
    header = text[0].split(",")
    broken = text[1].split(",")
    broken[header.index("benefit_type")] = "Savings"
    broken[header.index("project_id")] = "PRJ-99999"
    (folder / "benefits.csv").write_text("\n".join([text[0], ",".join(broken), *text[2:]]) + "\n")
    with pytest.raises(DataValidationError) as caught:
        load_folder(folder)
    said = [str(p) for p in caught.value.problems]
    assert any("benefits.csv" in p and "benefit_type" in p and "Savings" in p for p in said)
    assert any("benefits.csv" in p and "PRJ-99999" in p for p in said)  # no such project


def test_an_older_store_without_the_benefits_table_reads_as_none(tmp_path):
    import duckdb

    from pmo_lib import data, demo, store

    path = tmp_path / "old.duckdb"
    demo.build_demo_store(path)
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE benefits")
    loaded = data.load_portfolio(None, source=path)
    assert loaded.current["benefits"].empty and len(loaded.current["projects"]) == 149
    assert store.row_counts(path, loaded.current.as_of.date(), None)["benefits"] == 0


def test_a_benefits_tracker_in_its_own_shape_maps_through_a_mapping(tmp_path):
    from datetime import date

    from pmo_lib import mapping

    (tmp_path / "projects.csv").write_text(
        "ID,Name,Portfolio,State,Start,Finish,Budget\n"
        "P1,Ledger,Finance IT,Active,2026-01-01,2026-12-31,1000\n"
    )
    (tmp_path / "tracker.csv").write_text(  # one row per benefit and month, in millions
        "Project,Benefit,Kind,Month,Plan ($m),Actual ($m)\n"
        "P1,Licence savings,£,Sep 2026,0.5,0.4\n"
        "P1,Licence savings,£,Oct 2026,0.5,\n"
        "P1,Hours saved,hrs,Oct 2026,120,90\n"
    )
    (tmp_path / "mapping.yaml").write_text(
        """description: a benefits tracker beside a project list
as_of: 2026-10-31
files:
  - file: projects.csv
    tables:
      projects:
        columns:
          project_id: ID
          project_name: Name
          portfolio: Portfolio
          status: State
          baseline_start: Start
          baseline_finish: Finish
          budget_at_completion: Budget
  - file: tracker.csv
    tables:
      benefits:
        columns:
          project_id: Project
          benefit: Benefit
          benefit_type: {from: Kind, values: {"£": Financial, "hrs": Non-financial}}
          period: {from: Month, date: "%b %Y", month: true}
          planned_value: {from: "Plan ($m)", scale: 1000000}
          realised_value: {from: "Actual ($m)", scale: 1000000}
"""
    )
    mapped = mapping.map_folder(tmp_path / "mapping.yaml", tmp_path)
    assert mapped.problems == [], mapped.problems
    (snapshot,) = mapped.snapshots
    assert snapshot.as_of == date(2026, 10, 31)
    got = snapshot.frames["benefits"].set_index(["benefit", "period"])
    assert got.loc[("Licence savings", pd.Timestamp("2026-09-01")), "realised_value"] == 400_000
    assert pd.isna(got.loc[("Licence savings", pd.Timestamp("2026-10-01")), "realised_value"])
    assert got.loc[("Hours saved", pd.Timestamp("2026-10-01")), "benefit_type"] == "Non-financial"


def test_the_benefits_sentence(case):
    from pmo_lib.narrative import spend as words

    benefits, projects, cost = case
    said = words.benefits(b.analyse(benefits, projects, AS_OF, cost, 20), "USD")
    assert said.startswith(
        "Financial benefits planned to date: **$300**, $240 realised (80% of the plan of the"
        " months reported)."
    )
    assert (
        "For the projects with a cost at completion, realised so far plus the plans of the months"
        " to come: $2.4k against $1.4k (ROI 74%)." in said
    )
    assert said.endswith(
        "Of 3 benefits, 0 are at risk (realised 20 % or more behind plan to date) and 1 due but"
        " not reported."
    )
    later = b.analyse(benefits[benefits["project_id"] == "P2"], projects, AS_OF, cost, 20)
    assert words.benefits(later, "USD").startswith("No financial benefit is due yet.")


def test_a_month_not_reported_yet_is_not_counted_as_nothing_realised():
    benefits = frame(
        "benefits",
        rows(
            "P1",
            "Savings",
            "Financial",
            {
                "2026-08-01": (100.0, 100.0),
                "2026-09-01": (100.0, 100.0),
                "2026-10-01": (100.0, None),  # closed, not reported yet
            },
        )
        + rows("P2", "Other", "Financial", {"2026-10-01": (100.0, None)}),  # nothing reported
    )
    got = b.per_benefit(benefits, AS_OF, 20).set_index("benefit")
    assert got.loc["Savings", "realised_pct"] == 100.0  # 200 of the 200 reported months' plan
    assert got.loc["Savings", "status"] == "On track"
    assert got.loc["Other", "status"] == "Not reported" and pd.isna(
        got.loc["Other", "realised_pct"]
    )
    projects = frame(
        "projects",
        [
            {"project_id": "P1", "project_name": "One", "portfolio": "A", "status": "Active"},
            {"project_id": "P2", "project_name": "Two", "portfolio": "A", "status": "Active"},
        ],
    )
    result = b.analyse(benefits, projects, AS_OF, pd.Series({"P2": 50.0}), 20)
    assert result.totals["realised_pct"] == 100.0  # not 200 / 400 = 50 %
    # ROI over the projects with a cost only: P2 expects nothing yet reported against 50
    assert result.totals["cost_at_completion"] == 50.0
    assert result.totals["expected_costed"] is None and result.totals["roi_pct"] is None
