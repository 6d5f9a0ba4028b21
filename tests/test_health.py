"""The health rules engine, rule by rule, on hand-made projects, including missing data."""

from __future__ import annotations

import pandas as pd

from pmo_lib.data import Snapshot
from pmo_lib.metrics import health as h
from pmo_lib.params import config_for
from pmo_lib.schema import TABLES
from tests.conftest import frame

AS_OF = pd.Timestamp("2026-10-31")
PARAMS = config_for(None).health  # the documented defaults in params/defaults.yaml


def snapshot(**tables: list[dict]) -> Snapshot:
    return Snapshot(AS_OF, {name: frame(name, tables.get(name, [])) for name in TABLES})


def project(pid: str, **values) -> dict:
    row = {
        "project_id": pid,
        "project_name": pid.lower(),
        "portfolio": "D",
        "status": "Active",
        "project_manager": "Ann",
        "baseline_start": "2026-01-01",
        "baseline_finish": "2026-12-31",
        "forecast_finish": "2026-12-31",
        "budget_at_completion": 1200.0,
        "percent_complete": 50.0,
        "last_status_update": "2026-10-25",
        "reported_rag": "Green",
    }
    return {**row, **values}


def on_track(pid: str) -> list[dict]:
    """Financials that give CPI = SPI = 1 at 50 % complete: PV = AC = EV = 600."""
    return [
        {"project_id": pid, "period": f"2026-{m:02d}-01", "measure": measure, "amount": 60.0}
        for m in range(1, 11)
        for measure in ("plan", "actual")
    ]


def one_risk(pid: str, **values) -> dict:
    return {
        "item_id": f"R-{pid}",
        "project_id": pid,
        "kind": "Risk",
        "title": "t",
        "status": "Closed",
        **values,
    }


def rate(*projects: dict, **tables) -> pd.DataFrame:
    pids = [p["project_id"] for p in projects]
    tables.setdefault("financials", [row for pid in pids for row in on_track(pid)])
    tables.setdefault("risks", [one_risk(pid) for pid in pids])
    tables.setdefault(
        "milestones",
        [{"project_id": pid, "milestone": "M1", "baseline_date": "2026-12-01"} for pid in pids],
    )
    return h.assess(snapshot(projects=list(projects), **tables), PARAMS).set_index("project_id")


def test_a_project_on_track_is_green_everywhere():
    row = rate(project("P1")).loc["P1"]
    assert (row["spi"], row["cpi"], row["vac_pct"]) == (1.0, 1.0, 0.0)
    assert [row[d] for d in h.DIMENSIONS] == ["Green"] * 4 and row["overall"] == "Green"
    assert row["reasons"] == "" and not row["reported_better"]


def test_slip_thresholds_exactly():
    rows = rate(
        project("A", forecast_finish="2027-01-14"),
        project("B", forecast_finish="2027-01-15"),
        project("C", forecast_finish="2027-02-13"),
        project("D", forecast_finish="2027-02-14"),
        project("E", forecast_finish="2026-11-30"),
        project("F", forecast_finish=None),
    )
    # slips 14, 15, 44, 45 days; E finishes early (green); F has no forecast (no data)
    assert rows["rag_slip"].to_dict() == {
        "A": "Green",
        "B": "Amber",
        "C": "Amber",
        "D": "Red",
        "E": "Green",
        "F": "No data",
    }
    assert "Finish slip 45 days (red)" in rows.loc["D", "reasons"]


def test_cpi_and_spi_bands_count_underrun_and_overrun():
    def with_actual(pid: str, monthly: float) -> list[dict]:
        return [
            {"project_id": pid, "period": f"2026-{m:02d}-01", "measure": "plan", "amount": 60.0}
            for m in range(1, 11)
        ] + [
            {
                "project_id": pid,
                "period": f"2026-{m:02d}-01",
                "measure": "actual",
                "amount": monthly,
            }
            for m in range(1, 11)
        ]

    # EV = 600: AC 600/0.95 -> CPI 0.95 (green edge), AC 600/0.94 -> amber, AC 600/1.2 -> CPI 1.2
    # (underrun, red)
    rows = rate(
        project("A"),
        project("B"),
        project("C"),
        financials=with_actual("A", 60 / 0.95)
        + with_actual("B", 60 / 0.94)
        + with_actual("C", 60 / 1.2),
    )
    assert rows["cpi"].round(4).to_dict() == {"A": 0.95, "B": 0.94, "C": 1.2}
    assert rows["rag_cpi"].to_dict() == {"A": "Green", "B": "Amber", "C": "Red"}
    # VAC% = 1 - 1/CPI: A -5.26 % amber, B -6.4 % amber, C +16.7 % red (an underrun counts)
    assert rows["rag_vac"].to_dict() == {"A": "Amber", "B": "Amber", "C": "Red"}
    spi = rate(
        project("A", percent_complete=55.0),
        project("B", percent_complete=56.0),
        project("C", percent_complete=40.0),
    )
    assert spi["spi"].round(4).to_dict() == {"A": 1.1, "B": 1.12, "C": 0.8}
    assert spi["rag_spi"].to_dict() == {"A": "Amber", "B": "Red", "C": "Red"}


def test_missing_data_is_its_own_status_never_silently_green():
    rows = rate(
        project("NB", baseline_start=None, baseline_finish=None),
        project("NP", percent_complete=None),
        project("NR"),
        project("NU", last_status_update=None),
        risks=[one_risk("NB"), one_risk("NP"), one_risk("NU")],  # NR has an empty risk register
    )
    assert rows.loc["NB", "rag_slip"] == "No data" and rows.loc["NB", "rag_baseline"] == "Red"
    assert rows.loc["NP", ["rag_spi", "rag_cpi", "rag_vac"]].tolist() == ["No data"] * 3
    assert rows.loc["NP", "cost"] == "No data" and rows.loc["NP", "overall"] == "No data"
    assert rows.loc["NR", "risk"] == "No data" and rows.loc["NR", "overall"] == "No data"
    assert (
        rows.loc["NU", "rag_stale_update"] == "No data" and rows.loc["NU", "governance"] == "Green"
    )  # baseline rule has data
    assert not rows.loc["NR", "reported_better"]  # "No data" is not compared with the reported RAG


def test_risks_issues_artifacts_updates_and_milestones():
    risks = [
        {
            "item_id": f"H{i}",
            "project_id": "P1",
            "kind": "Risk",
            "title": "t",
            "probability": 5,
            "impact": 3,
            "status": "Open",
        }
        for i in range(3)
    ] + [
        {
            "item_id": "M1",
            "project_id": "P1",
            "kind": "Risk",
            "title": "t",
            "probability": 2,
            "impact": 7 // 2,
            "status": "Open",
        },
        {
            "item_id": "X1",
            "project_id": "P1",
            "kind": "Risk",
            "title": "t",
            "probability": 5,
            "impact": 5,
            "status": "Closed",
        },
        {
            "item_id": "I1",
            "project_id": "P2",
            "kind": "Issue",
            "title": "t",
            "status": "Open",
            "due_date": "2026-10-30",
        },
        {
            "item_id": "I2",
            "project_id": "P2",
            "kind": "Issue",
            "title": "t",
            "status": "Mitigating",
            "due_date": "2026-10-31",
        },
    ]
    milestones = [
        {
            "project_id": "P1",
            "milestone": "G1",
            "is_gate": True,
            "baseline_date": "2026-03-01",
            "actual_date": "2026-03-05",
        },
        {
            "project_id": "P2",
            "milestone": "M1",
            "baseline_date": "2026-09-01",
            "forecast_date": "2026-10-01",
        },  # overdue
        {
            "project_id": "P2",
            "milestone": "M2",
            "baseline_date": "2026-09-01",
            "forecast_date": "2026-11-15",
        },  # late, not overdue
    ]
    artifacts = [
        {"project_id": "P1", "gate": "G1", "artifact": a, "status": "Missing"}
        for a in ("A", "B", "C")
    ]
    rows = rate(
        project("P1", last_status_update="2026-10-17"),
        project("P2", last_status_update="2026-09-30"),
        risks=risks,
        milestones=milestones,
        artifacts=artifacts,
    )
    assert rows.loc["P1", ["open_high_risks", "rag_high_risks"]].tolist() == [3.0, "Red"]
    assert rows.loc["P2", ["overdue_issues", "rag_overdue_issues"]].tolist() == [1.0, "Amber"]
    assert rows.loc["P1", ["missing_artifacts", "rag_missing_artifacts"]].tolist() == [3.0, "Red"]
    assert rows.loc["P1", ["status_age_days", "rag_stale_update"]].tolist() == [
        14.0,
        "Green",
    ]  # 14 days: not yet stale
    assert rows.loc["P2", ["status_age_days", "rag_stale_update"]].tolist() == [31.0, "Red"]
    assert rows.loc["P2", ["overdue_milestones", "rag_overdue_milestones"]].tolist() == [
        1.0,
        "Amber",
    ]
    assert rows.loc["P1", "overdue_milestones"] == 0 and rows.loc["P1", "overall"] == "Red"
    ms = h.milestone_status(
        snapshot(projects=[project("P1"), project("P2")], milestones=milestones)
    ).set_index("milestone")
    assert ms.loc["M2", "late"] and not ms.loc["M2", "overdue"] and ms.loc["M2", "slip_days"] == 75


def test_overall_ranking_and_reported_better():
    dims = pd.DataFrame(
        {"a": ["Green", "Green", "Amber", "No data"], "b": ["Green", "No data", "No data", "Red"]}
    )
    assert h.overall(dims).tolist() == ["Green", "No data", "Amber", "Red"]
    assert h.worst(
        pd.DataFrame({"x": ["No data", "Green"], "y": ["No data", "No data"]})
    ).tolist() == ["No data", "Green"]
    # Not rated and blank cells are left out; a row with nothing else is Not rated (a dimension)
    # or No data (the overall); Red beats every other colour
    rules = pd.DataFrame(
        {
            "x": ["Not rated", "Not rated", None, "Amber", "Green"],
            "y": ["Not rated", "No data", "Not rated", "Red", float("nan")],
        }
    )
    assert h.worst(rules).tolist() == ["Not rated", "No data", "Not rated", "Red", "Green"]
    assert h.overall(rules).tolist() == ["No data", "No data", "No data", "Red", "Green"]
    assert (
        h.worst(rules.iloc[:0]).tolist() == [] and h.overall(rules[[]]).tolist() == ["No data"] * 5
    )
    rows = rate(
        project("A", reported_rag="Green", forecast_finish="2027-03-01"),
        project("B", reported_rag="Red"),
        project("C", reported_rag=None),
    )
    assert rows["reported_better"].to_dict() == {"A": True, "B": False, "C": False}
    watch = h.watch_list(rows.reset_index(), 10)
    assert watch["project_id"].tolist() == ["A"] and watch.loc[0, "why"].startswith(
        "Reported green, computed red. Finish slip 60 days (red)"
    )


def test_summaries_trend_changes_and_gates():
    rows = rate(
        project("A", sub_portfolio="S1", forecast_finish="2027-03-01"),
        project("B", sub_portfolio="S1"),
        project("C", sub_portfolio=None),
    )
    table = h.summary(rows.reset_index(), "sub_portfolio").set_index("sub_portfolio")
    assert (
        table.loc["S1", ["Green", "Red", "projects"]].tolist() == [1, 1, 2]
        and table.loc["(no sub-portfolio)", "Green"] == 1
    )
    before = rows.reset_index().assign(overall=["Green", "Green", "Amber"])
    changed = h.changed(rows.reset_index(), before)
    assert changed[["project_id", "was", "now"]].values.tolist() == [
        ["A", "Green", "Red"],
        ["C", "Amber", "Green"],
    ]
    trend = h.trend([(snapshot(), before), (snapshot(), rows.reset_index())])
    assert trend[["Green", "Amber", "Red"]].values.tolist() == [[2, 1, 0], [2, 0, 1]]
    snap = snapshot(
        projects=[project("P1")],
        milestones=[
            {
                "project_id": "P1",
                "milestone": "G1",
                "is_gate": True,
                "baseline_date": "2026-03-01",
                "actual_date": "2026-03-05",
            }
        ],
        artifacts=[
            {"project_id": "P1", "gate": "G1", "artifact": "Charter", "status": "Approved"},
            {"project_id": "P1", "gate": "G1", "artifact": "Case", "status": "Submitted"},
        ],
    )
    gates = h.gate_summary(h.gate_artifacts(snap))
    assert gates[["gate", "Approved", "Submitted", "Missing"]].values.tolist() == [["G1", 1, 1, 0]]
    assert h.passed_with_missing(h.gate_artifacts(snap), snap["projects"])[
        "not_approved"
    ].tolist() == ["Case"]


def test_heat_map_and_headlines():
    risks = [
        {
            "item_id": "R1",
            "project_id": "P1",
            "kind": "Risk",
            "title": "t",
            "probability": 5,
            "impact": 4,
            "status": "Open",
        },
        {
            "item_id": "R2",
            "project_id": "P1",
            "kind": "Risk",
            "title": "t",
            "probability": 5,
            "impact": 4,
            "status": "Mitigating",
        },
        {
            "item_id": "R3",
            "project_id": "P1",
            "kind": "Risk",
            "title": "t",
            "probability": 1,
            "impact": 1,
            "status": "Closed",
        },
    ]
    snap = snapshot(projects=[project("P1")], risks=risks)
    register = h.risk_register(snap)
    grid = h.heat_map(register)
    assert (
        grid.loc[5, 4] == 2 and grid.to_numpy().sum() == 2 and list(grid.index) == [5, 4, 3, 2, 1]
    )
    figures = h.headlines(h.assess(snap, PARAMS), register, h.milestone_status(snap))
    assert (
        figures["active_projects"] == 1
        and figures["open_high_risks"] == 2
        and figures["overdue_milestones"] is None  # no milestones at all: no figure
    )
    with_one = snapshot(
        projects=[project("P1")],
        milestones=[{"project_id": "P1", "milestone": "M", "baseline_date": "2027-01-31"}],
    )
    counted = h.headlines(h.assess(with_one, PARAMS), register, h.milestone_status(with_one))
    assert counted["overdue_milestones"] == 0
    # risk amber (two open high risks); schedule green (no slip; SPI and milestones without data);
    # cost no data
    assert (figures["rag_amber"], figures["rag_red"], figures["rag_no_data"]) == (1, 0, 0)
    empty = h.assess(snapshot(), PARAMS)
    assert (
        h.counts(empty) == {"Green": 0, "Amber": 0, "Red": 0, "No data": 0}
        and h.watch_list(empty, 5).empty
    )


def test_without_financials_or_a_risk_register_cost_and_overall_are_derived_and_said():
    """Budgets 1000 first; now 1040 (+4 %: green), 1070 (+7 %: amber), 880 (−12 %: red)."""
    projects = [
        project("P1", budget_at_completion=1040.0, reported_rag=None),
        project("P2", budget_at_completion=1070.0, reported_rag=None),
        project("P3", budget_at_completion=880.0, reported_rag=None),
    ]
    first = h.Past.budgets({"P1": 1000.0, "P2": 1000.0, "P3": 1000.0})
    now = snapshot(projects=projects)
    rated = h.assess(now, PARAMS, past=first).set_index("project_id")
    assert rated["budget_growth_pct"].round(6).tolist() == [4.0, 7.0, -12.0]
    assert rated["cost"].tolist() == ["Green", "Amber", "Red"]
    assert rated["risk"].tolist() == ["Not rated"] * 3  # no register: shown, not held against it
    assert rated["overall"].tolist() == ["Green", "Amber", "Red"]
    assert rated.loc["P3", "reasons"] == "Budget change (derived) -12.0 % (red)"
    said = " ".join(h.derivations(now, rated, first))
    assert "no risk register" in said and "budget at completion has moved" in said


def test_with_financials_and_risks_nothing_is_derived():
    p = project("P1", budget_at_completion=1200.0)
    now = snapshot(projects=[p], financials=on_track("P1"), risks=[one_risk("P1")])
    assessed = h.assess(now, PARAMS, past=h.Past.budgets({"P1": 600.0}))
    rated = assessed.iloc[0]
    assert pd.isna(rated["budget_growth_pct"])  # doubling the budget only counts without EAC
    assert rated["overall"] == "Green"
    # no gate artifacts in the data: that rule alone is not rated, and the page says so
    (said,) = h.derivations(now, assessed, None)
    assert said.startswith("Not rated for this data") and "Missing gate artifacts" in said


def test_a_dataset_without_any_baseline_start_is_judged_on_the_finish():
    now = snapshot(
        projects=[
            project("P1", baseline_start=None),
            project("P2", baseline_start=None, baseline_finish=None),
        ]
    )
    rated = h.assess(now, PARAMS).set_index("project_id")
    assert rated["missing_baseline"].tolist() == [False, True]
    assert "no baseline start" in " ".join(h.derivations(now, rated.reset_index(), None))


def test_the_summary_rates_a_dataset_without_financials_as_the_health_report_does():
    """+7 % budget growth and no financials: amber on the health page and in the summary, and
    no spend figures (not zeros)."""
    from pmo_lib.metrics import summary

    config = config_for(None)
    now = snapshot(projects=[project("P1", budget_at_completion=1070.0, reported_rag=None)])
    first = h.Past.budgets({"P1": 1000.0})
    load = pd.DataFrame(
        {
            "resource_id": pd.Series(dtype="str"),
            "period": pd.Series(dtype="datetime64[us]"),
            "planned_hours": pd.Series(dtype="float64"),
        }
    )
    figures = summary.figures(now, load, None, config, first)
    rated = h.assess(now, config.health, past=first)
    assert rated["overall"].tolist() == ["Amber"]
    assert figures["rag_amber"] == 1 and figures["rag_green"] == 0
    assert figures["fy_plan"] is None and figures["fy_variance"] is None


def test_a_rule_without_data_for_nearly_every_project_is_not_rated_and_said():
    """Ten projects, percent complete only on P0 (10 %: still rated, the threshold), then on none
    (0 %: SPI, CPI and VAC not rated, and with no earlier snapshot cost is not rated at all)."""
    some = [project(f"P{i}", percent_complete=50.0 if i == 0 else None) for i in range(10)]
    rows = rate(*some)
    assert rows.loc["P0", "rag_spi"] == "Green" and rows.loc["P1", "rag_spi"] == "No data"
    assert rows.loc["P1", "overall"] == "No data"  # a gap where a peer has data stays a finding
    none = [project(f"P{i}", percent_complete=None) for i in range(10)]
    rows = rate(*none)
    assert set(rows["rag_spi"]) == set(rows["rag_cpi"]) == set(rows["rag_vac"]) == {"Not rated"}
    assert set(rows["overall"]) == {"Green"}  # on-time, no risks: what is rated is green
    said = " ".join(h.derivations(snapshot(projects=none), rows.reset_index()))
    assert "Not rated for this data" in said and "SPI (needs percent complete" in said
    # cost would fall back on the budget change, but there is no earlier snapshot either
    assert "Budget change (derived) (needs a budget at completion in more than one" in said
    assert set(rows["cost"]) == {"Not rated"}


def test_financials_without_percent_complete_rate_cost_on_the_budget_change():
    """Financials exist but percent complete does not: +7 % budget since the first snapshot is
    amber; a project first seen now has no change to rate (No data, not Green)."""
    past = h.Past.budgets({"P1": 1000.0})
    now = snapshot(
        projects=[
            project("P1", budget_at_completion=1070.0, percent_complete=None),
            project("P2", budget_at_completion=500.0, percent_complete=None),
        ],
        financials=on_track("P1") + on_track("P2"),
    )
    rated = h.assess(now, PARAMS, past=past).set_index("project_id")
    assert rated.loc["P1", ["rag_budget_growth", "cost"]].tolist() == ["Amber", "Amber"]
    assert pd.isna(rated.loc["P2", "budget_growth_pct"]) and rated.loc["P2", "cost"] == "No data"


def test_without_baselines_the_first_snapshot_serves_as_baseline():
    """No baseline finish anywhere: P1's forecast finish was 2026-12-31 in the first snapshot and
    is 2027-02-14 now (45 days: red); P2 is first seen now (no slip to rate)."""
    first = Snapshot(
        pd.Timestamp("2026-09-30"),
        {
            name: frame(
                name,
                [project("P1", baseline_finish=None, baseline_start=None)]
                if name == "projects"
                else [],
            )
            for name in TABLES
        },
    )
    now = snapshot(
        projects=[
            project("P1", baseline_start=None, baseline_finish=None, forecast_finish="2027-02-14"),
            project("P2", baseline_start=None, baseline_finish=None),
        ]
    )
    past = h.Past.of([first, now])
    rated = h.assess(now, PARAMS, past=past).set_index("project_id")
    assert rated.loc["P1", ["slip_days", "rag_slip"]].tolist() == [45.0, "Red"]
    assert pd.isna(rated.loc["P2", "slip_days"]) and rated.loc["P2", "rag_slip"] == "No data"
    assert set(rated["rag_baseline"]) == {"Not rated"}  # not red for the data's lack
    said = " ".join(h.derivations(now, rated.reset_index(), past))
    assert "first snapshot it appears in serves as its baseline" in said


def test_staleness_follows_the_snapshot_cadence():
    """Yearly snapshots (365 days apart): thresholds move by 365 − 31 = 334 days, so an update
    300 days old is green and one 350 days old amber (14 + 334 = 348); monthly data keeps 14/30."""
    yearly = [
        Snapshot(pd.Timestamp(d), {name: frame(name, []) for name in TABLES})
        for d in ("2024-10-31", "2025-10-31", "2026-10-31")
    ]
    past = h.Past.of(yearly)
    assert past.cadence_days == 365 and h.stale_allowance(past) == 334
    now = snapshot(
        projects=[
            project("P1", last_status_update="2026-01-04"),  # 300 days
            project("P2", last_status_update="2025-11-15"),  # 350 days
        ]
    )
    rated = h.assess(now, PARAMS, past=past).set_index("project_id")
    assert rated["status_age_days"].tolist() == [300.0, 350.0]
    assert rated["rag_stale_update"].tolist() == ["Green", "Amber"]
    assert h.assess(now, PARAMS)["rag_stale_update"].tolist() == ["Red", "Red"]


def test_sub_portfolio_and_program_names_shared_by_two_portfolios_stay_apart():
    rows = rate(
        project("A", portfolio="Cloud", sub_portfolio="Data", program="Core"),
        project("B", portfolio="Apps", sub_portfolio="Data", program="Core"),
        project("C", portfolio="Apps", sub_portfolio="Data", program="Core"),
        project("D", portfolio="Apps", sub_portfolio="Web", program="Portal"),
    ).reset_index()
    subs = h.summary(rows, "sub_portfolio").set_index("label")
    assert subs["projects"].to_dict() == {"Apps › Data": 2, "Web": 1, "Cloud › Data": 1}
    programs = h.summary(rows, "program").set_index("label")
    assert programs["projects"].to_dict() == {
        "Apps › Data › Core": 2,
        "Portal": 1,
        "Cloud › Data › Core": 1,
    }


def test_the_summary_counts_each_sub_portfolio_under_its_own_portfolio():
    """Two portfolios share the sub-portfolio name "Data": 1 and 2 active projects, not 3 each."""
    from pmo_lib.metrics import summary

    now = snapshot(
        projects=[
            project("A", portfolio="Cloud", sub_portfolio="Data"),
            project("B", portfolio="Apps", sub_portfolio="Data"),
            project("C", portfolio="Apps", sub_portfolio="Data"),
        ],
        financials=on_track("A") + on_track("B") + on_track("C"),
    )
    table = summary.by_sub_portfolio(now, config_for(None)).set_index(
        ["portfolio", "sub_portfolio"]
    )
    assert table["projects"].to_dict() == {("Apps", "Data"): 2, ("Cloud", "Data"): 1}
    assert table.loc[("Apps", "Data"), "fy_plan"] == 2 * 240.0  # FY from July: 4 months of 60
    bare = summary.by_sub_portfolio(snapshot(projects=[project("A")]), config_for(None))
    assert pd.isna(bare.loc[0, "fy_plan"])  # no financials: blank, not 0


# -- the report's sentences (pmo_lib.narrative.health) -------------------------------------------
def test_the_matrix_and_watch_sentences_on_hand_made_counts():
    from pmo_lib.narrative import health as words

    counts = {
        "active_projects": 12,
        "rag_red": 2,
        "rag_amber": 3,
        "rag_green": 6,
        "rag_no_data": 1,
        "reported_better_than_computed": 4,
    }
    assert words.matrix(counts) == (
        "Of 12 active projects, the rules rate **2 red**, 3 amber and 6 green, and 1 lack the"
        " data to rate. **4** project managers report a better status than the rules compute."
    )
    assert words.matrix({**counts, "rag_no_data": 0, "rag_green": 7}) == (
        "Of 12 active projects, the rules rate **2 red**, 3 amber and 7 green. **4** project"
        " managers report a better status than the rules compute."
    )
    assert words.matrix({**counts, "active_projects": 0}) == "There are no active projects."
    assert words.tiles(counts)[4] == ("No data to rate", "1", "missing what the rules read")
    watch = pd.DataFrame({"project_id": ["P1", "P2"]})
    assert words.watch(watch) == (
        "These 2 projects need discussing at the next review, those reported better than"
        " computed first."
    )
    assert words.watch(watch.iloc[:0]) == "No project needs discussing at the next review."


def test_the_risk_trend_and_gate_sentences_and_their_nothing_cases():
    from pmo_lib.narrative import health as words

    register = pd.DataFrame(
        {
            "kind": ["Risk", "Risk", "Risk", "Issue", "Issue"],
            "status": ["Open", "Open", "Closed", "Open", "Open"],
            "score": [20, 6, 25, None, None],
            "days_past_due": [None, None, None, 3, None],
        }
    )
    assert words.risks(register, pd.Timestamp("2026-10-31")) == (
        "2 risks are open, **1** of them high (score 15 or more), and 2 issues, 1 past their"
        " due date."
    )
    trend = pd.DataFrame({"as_of": pd.to_datetime(["2026-09-30", "2026-10-31"]), "Red": [3, 5]})
    changed = pd.DataFrame({"was": ["Green", "Red"], "now": ["Red", "Amber"]})
    assert words.trend(trend, changed) == (
        "Red projects went from 3 on 30 Sep 2026 to 5 on 31 Oct 2026. Since the previous"
        " snapshot 2 projects changed colour, 1 of them for the worse."
    )
    assert words.trend(trend.iloc[:1], changed.iloc[:0]) == (
        "There is only one snapshot, so there is no trend yet."
    )
    gates = pd.DataFrame({"Missing": [2, 0, 1]})
    gaps = pd.DataFrame({"project_id": ["P1", "P1", "P3"]})
    assert words.gates(gates, gaps) == (
        "2 projects passed a gate without every required artifact approved; 3 artifacts are"
        " still missing."
    )
    assert words.gates(gates.iloc[:0], gaps.iloc[:0]) == "No gate has been passed yet."


def test_the_roadmap_draws_dated_projects_in_lanes_and_counts_the_rest():
    import pandas as pd

    from pmo_lib import charts
    from pmo_lib.metrics import health as h
    from pmo_lib.narrative import health as words

    t = pd.Timestamp
    assessed = pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P3"],
            "project_name": ["One", "Two", "Three"],
            "sub_portfolio": ["R & D", None, "R & D"],
            "baseline_start": [t("2026-01-01"), t("2026-02-01"), pd.NaT],
            "baseline_finish": [t("2026-05-31"), t("2026-05-31"), t("2026-09-30")],
            "forecast_finish": [t("2026-06-30"), pd.NaT, t("2026-10-31")],
            "budget_at_completion": [10.0, 20.0, 30.0],
            "overall": ["Red", "Green", "Amber"],
        }
    )
    milestones = pd.DataFrame(
        {
            "project_id": ["P1", "P1", "P2", "P3"],
            "milestone": ["Build", "Start", "Go-live", "Design"],
            "is_gate": [False, True, True, False],
            "baseline_date": [t("2026-03-01"), t("2026-01-15"), t("2026-05-01"), t("2026-04-01")],
            "forecast_date": [t("2026-04-01"), t("2026-01-15"), pd.NaT, t("2026-04-01")],
            "actual_date": [pd.NaT, t("2026-01-20"), pd.NaT, pd.NaT],
        }
    )
    drawn = h.roadmap(assessed, milestones)
    assert drawn.undrawn == 1 and drawn.cut == 0  # P3 has no start
    assert list(drawn.bars["project_id"]) == ["P2", "P1"]  # lane "(no sub-portfolio)" first
    assert list(drawn.bars["lane"]) == ["(no sub-portfolio)", "R & D"]
    assert list(drawn.bars["finish"]) == [t("2026-05-31"), t("2026-06-30")]  # no forecast: baseline
    assert drawn.milestones.set_index("milestone")["date"].to_dict() == {
        "Build": t("2026-04-01"),  # the forecast; "Start" is done, "Design" is P3's
        "Go-live": t("2026-05-01"),  # no forecast: the baseline
    }
    assert drawn.bars["p80_finish"].isna().all()  # no forecasts given: no whisker
    assert "P80" not in words.roadmap(drawn)
    p80 = pd.Series([t("2026-08-15"), t("2026-05-01")], index=["P1", "P2"])  # P2: before finish
    forecast = h.roadmap(assessed, milestones, p80_finish=p80)
    assert list(forecast.bars["p80_finish"]) == [t("2026-05-01"), t("2026-08-15")]
    whisker = charts.roadmap(forecast.bars, forecast.milestones, t("2026-03-15"), "Roadmap")
    (line,) = [trace for trace in whisker.data if trace.name == "To P80 finish"]
    assert list(line.x) == [t("2026-06-30"), t("2026-08-15"), None]  # P1 only: P2's is earlier
    assert "For 1 of them a line runs on to the P80 finish" in words.roadmap(forecast)
    largest = h.roadmap(assessed, milestones, most=1)
    assert list(largest.bars["project_id"]) == ["P2"] and largest.cut == 1
    fig = charts.escape_data_text(
        charts.roadmap(drawn.bars, drawn.milestones, t("2026-03-15"), "Roadmap")
    )
    rows = {y for trace in fig.data for y in trace.y}
    assert set(fig.layout.yaxis.categoryarray) == rows  # one row per project, names escaped
    assert "R &amp; D › P1 One" in rows


def test_managers_words_latest_cut_and_where_they_disagree_with_the_numbers():
    from pmo_lib.narrative import health as words

    reports = frame(
        "status_reports",
        [
            {"project_id": "P1", "report_date": "2026-09-30", "rag_reason": "Old news"},
            {"project_id": "P1", "report_date": "2026-10-30", "rag_reason": "x" * 200},
            {"project_id": "P2", "report_date": "2026-10-15", "accomplishments": "Built it"},
            {"project_id": "P3", "report_date": "2026-10-15", "rag_reason": "All fine"},
        ],
    )
    assessed = pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P3", "P4"],
            "project_name": ["One", "Two", "Three", "Four"],
            "reported_rag": ["Green", "Red", "Green", "Green"],
            "overall": ["Red", "Green", "Amber", "Red"],
        }
    )
    shown = h.with_words(assessed, reports).set_index("project_id")
    assert shown.loc["P1", "manager_says"] == "x" * 159 + "…"  # the latest, cut to 160
    assert shown.loc["P2", "manager_says"] == "Built it"  # no reason given: what was done
    assert pd.isna(shown.loc["P4", "manager_says"]) and pd.isna(shown.loc["P4", "words_date"])
    apart = h.disagreements(assessed, reports)
    assert list(apart["project_id"]) == ["P1", "P4", "P2"]  # reported better first; P3 is one apart
    assert apart.loc[0, "rag_reason"] == "x" * 200  # whole in the section
    said = words.managers_words(apart, 4)
    assert said.startswith(
        "3 of 4 active projects are reported two colours away from what their numbers say: 2"
        " reported green but computed red, 1 reported red but computed green."
    )
    assert "at most one colour apart" in words.managers_words(apart.iloc[:0], 4)


def test_rating_is_assessing_without_the_reasons_in_words(demo_store):
    """The counts (the summary's three snapshots and every portfolio's row) rate without the
    words: the same frame as assess, less its reasons column, which sits where it did."""
    from pmo_lib.data import load_portfolio

    loaded = load_portfolio(None, source=demo_store)
    params = config_for(None).health
    for snapshot in (loaded.current, loaded.previous):
        assessed = h.assess(snapshot, params)
        rated = h.rate(snapshot, params)
        assert "reasons" not in rated
        pd.testing.assert_frame_equal(assessed.drop(columns="reasons"), rated)
        columns = list(assessed.columns)
        assert columns.index("reasons") + 1 == columns.index("reported_better")
        fired = assessed[[f"rag_{r.key}" for r in h.RULES]].isin([h.AMBER, h.RED]).any(axis=1)
        assert assessed.loc[fired, "reasons"].str.len().gt(0).all()
        assert assessed.loc[~fired, "reasons"].eq("").all() and fired.any()
