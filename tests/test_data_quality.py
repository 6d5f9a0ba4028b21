"""Data-quality checks on small hand-made snapshots, each with its expected records."""

from __future__ import annotations

import pandas as pd

from pmo_lib.data import Snapshot
from pmo_lib.metrics import data_quality as dq
from pmo_lib.params import Thresholds
from pmo_lib.schema import TABLES
from tests.conftest import frame

AS_OF = pd.Timestamp("2026-10-31")
LIMITS = Thresholds(stale_status_days=30)


def snapshot(as_of: pd.Timestamp = AS_OF, **tables: list[dict]) -> Snapshot:
    return Snapshot(as_of, {name: frame(name, tables.get(name, [])) for name in TABLES})


def project(pid: str, **values) -> dict:
    row = {
        "project_id": pid,
        "project_name": f"Project {pid}",
        "portfolio": "D",
        "status": "Active",
        "project_manager": "Ann",
        "baseline_start": "2026-01-01",
        "baseline_finish": "2026-12-31",
        "budget_at_completion": 100.0,
        "last_status_update": "2026-10-20",
    }
    return {**row, **values}


def found(check, snap: Snapshot) -> list[tuple[str, str]]:
    issues = check(snap, LIMITS)
    assert list(issues.columns) == dq.ISSUE_COLUMNS
    return list(zip(issues["record_id"], issues["detail"], strict=True))


def test_projects_without_baseline_or_budget_only_while_open():
    snap = snapshot(
        projects=[
            project("P1", baseline_start=None),
            project("P2", budget_at_completion=0.0),
            project("P3", budget_at_completion=None, status="Proposed"),
            project("P4", baseline_finish=None, status="Closed"),
        ]
    )
    assert found(dq.no_baseline, snap) == [("P1", "baseline start none, finish 31 Dec 2026")]
    assert found(dq.no_budget, snap) == [
        ("P2", "budget at completion is 0"),
        ("P3", "no budget at completion"),
    ]


def test_stale_status_uses_the_threshold_and_flags_missing_updates():
    snap = snapshot(
        projects=[
            project("P1", last_status_update="2026-10-01"),  # 30 days: not stale
            project("P2", last_status_update="2026-09-30"),  # 31 days: stale
            project("P3", last_status_update=None),
            project("P4", last_status_update="2026-01-01", status="Closed"),
        ]
    )
    assert found(dq.stale_status, snap) == [
        ("P2", "last update 31 days ago"),
        ("P3", "never updated"),
    ]


def test_forecast_finish_before_baseline_start():
    snap = snapshot(
        projects=[project("P1", forecast_finish="2025-12-01"), project("P2", forecast_finish=None)]
    )
    assert found(dq.forecast_before_start, snap) == [
        ("P1", "forecast finish 01 Dec 2025 is before baseline start 01 Jan 2026")
    ]


def test_actuals_and_allocations_after_a_project_ended():
    snap = snapshot(
        projects=[
            project("P1", status="Closed", actual_finish="2026-06-15"),
            project("P2"),
            project("P3", status="Cancelled", last_status_update="2026-05-10"),
        ],
        financials=[
            {
                "project_id": "P1",
                "period": "2026-06-01",
                "measure": "actual",
                "amount": 5.0,
            },  # in its last month: fine
            {"project_id": "P1", "period": "2026-07-01", "measure": "actual", "amount": 5.0},
            {"project_id": "P1", "period": "2026-08-01", "measure": "actual", "amount": 5.0},
            {"project_id": "P2", "period": "2026-08-01", "measure": "actual", "amount": 5.0},
            {
                "project_id": "P3",
                "period": "2026-07-01",
                "measure": "plan",
                "amount": 5.0,
            },  # plan, not actual
        ],
        resources=[
            {
                "resource_id": "R1",
                "role": "Dev",
                "team": "T",
                "employment_type": "Employee",
                "monthly_capacity_hours": 150.0,
            }
        ],
        allocations=[
            {
                "resource_id": "R1",
                "project_id": "P3",
                "period": "2026-06-01",
                "planned_hours": 10.0,
            },
            {"resource_id": "R1", "project_id": "P3", "period": "2026-07-01", "planned_hours": 0.0},
            {
                "resource_id": "R1",
                "project_id": "P2",
                "period": "2026-07-01",
                "planned_hours": 10.0,
            },
        ],
    )
    assert found(dq.actuals_after_close, snap) == [
        ("P1", "2 month(s) of actuals after the project ended on 15 Jun 2026")
    ]
    assert found(dq.allocations_to_closed_projects, snap) == [
        ("P3", "10 hours booked for 1 people after the project ended")
    ]


def test_forecasts_left_in_closed_months():
    snap = snapshot(
        projects=[project("P1"), project("P2")],
        financials=[
            {
                "project_id": "P1",
                "period": "2026-10-01",
                "measure": "forecast",
                "amount": 5.0,
            },  # October closes on 31 Oct
            {"project_id": "P1", "period": "2026-09-01", "measure": "forecast", "amount": 5.0},
            {
                "project_id": "P2",
                "period": "2026-11-01",
                "measure": "forecast",
                "amount": 5.0,
            },  # open month: fine
        ],
    )
    assert found(dq.forecast_in_closed_month, snap) == [
        ("P1", "forecast left in 2 closed month(s), latest Oct 2026")
    ]


def test_demand_without_customer_or_estimate():
    base = {"portfolio": "D", "submitted_date": "2026-01-01"}
    snap = snapshot(
        demand=[
            {**base, "demand_id": "D1", "title": "A", "stage": "Submitted", "customer": None},
            {
                **base,
                "demand_id": "D2",
                "title": "B",
                "stage": "Submitted",
                "customer": "HR",
            },  # no estimate yet: fine
            {**base, "demand_id": "D3", "title": "C", "stage": "Assessment", "customer": "HR"},
            {
                **base,
                "demand_id": "D4",
                "title": "D",
                "stage": "Approved",
                "customer": "HR",
                "estimated_cost": 5.0,
            },
        ]
    )
    assert found(dq.demand_without_customer, snap) == [("D1", "no customer, stage Submitted")]
    assert found(dq.demand_without_estimate, snap) == [
        ("D3", "no estimated cost, stage Assessment")
    ]


def test_risks_without_owner_or_past_due_while_open():
    base = {"project_id": "P1", "kind": "Risk", "title": "Late"}
    snap = snapshot(
        projects=[project("P1")],
        risks=[
            {**base, "item_id": "R1", "status": "Open", "owner": None, "due_date": "2026-11-30"},
            {
                **base,
                "item_id": "R2",
                "status": "Mitigating",
                "owner": "Bo",
                "due_date": "2026-10-21",
            },
            {**base, "item_id": "R3", "status": "Closed", "owner": None, "due_date": "2026-01-01"},
            {
                **base,
                "item_id": "R4",
                "status": "Open",
                "owner": "Bo",
                "due_date": "2026-10-31",
            },  # due today: not past
        ],
    )
    assert found(dq.risk_without_owner, snap) == [("R1", "Risk on P1 has no owner")]
    assert found(dq.risk_past_due, snap) == [("R2", "Risk due 21 Oct 2026, 10 days ago")]
    assert list(dq.risk_past_due(snap, LIMITS)["owner"]) == ["Ann"]  # the project's manager


def test_gates_passed_with_missing_artifacts():
    snap = snapshot(
        projects=[project("P1")],
        milestones=[
            {
                "project_id": "P1",
                "milestone": "G1",
                "is_gate": True,
                "baseline_date": "2026-02-01",
                "actual_date": "2026-02-10",
            },
            {"project_id": "P1", "milestone": "G2", "is_gate": True, "baseline_date": "2026-12-01"},
        ],
        artifacts=[
            {"project_id": "P1", "gate": "G1", "artifact": "Charter", "status": "Missing"},
            {"project_id": "P1", "gate": "G1", "artifact": "Business case", "status": "Approved"},
            {
                "project_id": "P1",
                "gate": "G2",
                "artifact": "Design",
                "status": "Missing",
            },  # gate not passed yet
        ],
    )
    assert found(dq.gate_missing_artifacts, snap) == [("P1", "G1: Charter")]


def test_score_counts_records_not_issues():
    snap = snapshot(
        projects=[
            project("P1", baseline_start=None, last_status_update=None),
            project("P2"),
            project("P3"),
        ],
        demand=[
            {
                "demand_id": "D1",
                "title": "A",
                "portfolio": "D",
                "stage": "Triage",
                "submitted_date": "2026-01-01",
            },
            {
                "demand_id": "D2",
                "title": "B",
                "customer": "Finance",
                "portfolio": "D",
                "stage": "Triage",
                "submitted_date": "2026-01-01",
            },
        ],
    )
    issues = dq.find_issues(snap, LIMITS)
    # P1 has two issues, D1 one (no customer): 2 of 5 records affected.
    assert sorted(issues["check"]) == ["demand_without_customer", "no_baseline", "stale_status"]
    assert dq.score(snap, issues) == 60.0
    figures = dq.headlines(snap, issues)
    assert (
        figures["dq_issues_total"] == 3
        and figures["dq_no_baseline"] == 1
        and figures["dq_risk_past_due"] is None  # no risks: no figure, not 0
    )
    assert len(figures) == 2 + len(dq.CHECKS)


def test_change_since_the_previous_snapshot():
    before = snapshot(
        pd.Timestamp("2026-09-30"),
        projects=[
            project("P1", baseline_start=None),
            project("P2", baseline_start=None),
            project("P5"),
        ],
    )
    now = snapshot(
        projects=[
            project("P1", baseline_start=None),
            project("P3", baseline_start=None),
            project("P4", baseline_start=None),
            project("P5"),
        ]
    )
    a = dq.assess(now, before, LIMITS)
    row = a.change.set_index("check").loc["no_baseline"]
    assert (row["issues"], row["previous"], row["change"], row["new"], row["fixed"]) == (
        3,
        2,
        1,
        2,
        1,
    )


def test_an_empty_snapshot_has_no_issues_and_no_score():
    snap = snapshot()
    a = dq.assess(snap, None, LIMITS)
    assert a.issues.empty and list(a.issues.columns) == dq.ISSUE_COLUMNS
    assert a.score is None
    assert a.change.empty  # no record of any table: no check is assessed
    assert dq.by_owner(a.issues).empty


def test_a_column_the_source_does_not_carry_is_not_assessed_and_not_held_against_the_score():
    """No project has a last status update (the export has no such column): the staleness check
    is not assessed, so three otherwise clean projects score 100 %, not 0 %."""
    snap = snapshot(projects=[project(f"P{i}", last_status_update=None) for i in range(3)])
    assert [c.key for c in dq.not_assessed(snap)] == ["stale_status"]
    issues = dq.find_issues(snap, LIMITS)
    assert issues.empty and dq.score(snap, issues) == 100.0
    one_blank = snapshot(projects=[project("P1", last_status_update=None), project("P2")])
    assert dq.find_issues(one_blank, LIMITS)["check"].tolist() == ["stale_status"]


def test_a_source_without_baseline_finish_is_checked_on_the_start_only():
    """The source carries baseline starts but no finish at all: only a missing start is an
    issue (P2), not every project; checks on absent tables have no figure and no chart row."""
    snap = snapshot(
        projects=[
            project("P1", baseline_finish=None),
            project("P2", baseline_start=None, baseline_finish=None),
        ]
    )
    issues = dq.find_issues(snap, LIMITS)
    assert issues.loc[issues["check"] == "no_baseline", "record_id"].tolist() == ["P2"]
    a = dq.assess(snap, None, LIMITS)
    assert "risk_without_owner" in a.unsupported and "risk_without_owner" not in set(
        a.change["check"]
    )
    assert a.unsupported["risk_without_owner"] == "no risks in this data"


# -- the report's sentences (pmo_lib.narrative.data_quality) -----------------------------------
def _assessment(score, previous_score, records, issues, change=None):
    from pmo_lib.metrics.data_quality import Assessment

    found = pd.DataFrame(issues, columns=["record_type", "record_id"])
    return Assessment(
        issues=found,
        previous_issues=None,
        score=score,
        previous_score=previous_score,
        records=records,
        change=change if change is not None else pd.DataFrame(),
        unsupported={},
    )


def test_the_score_sentence_says_the_records_the_issues_and_the_change():
    from pmo_lib.narrative import data_quality as words

    three_on_two = [("project", "P1"), ("project", "P1"), ("risk", "R4")]
    a = _assessment(80.0, 85.0, 10, three_on_two)
    assert words.score(a, pd.Timestamp("2026-09-30")) == (
        "The data-quality score is **80.0%**: 8 of 10 records (projects, demand requests, risks"
        " and issues) have no open data-quality issue, and 3 issues on 2 records need fixing."
        " That is down 5.0 points from 85.0% on 30 Sep 2026."
    )
    assert words.score(a, None).endswith("3 issues on 2 records need fixing.")  # no comparison
    assert words.score(_assessment(None, None, 0, []), None) == (
        "There are no projects, demand requests or risks to check in this snapshot."
    )
    assert words.score(_assessment(None, None, 4, []), None).startswith(
        "This data carries none of what the checks read"
    )


def test_the_owner_kind_and_ingest_sentences_and_their_nothing_cases():
    from pmo_lib.narrative import data_quality as words

    owners = pd.DataFrame({"owner": ["Ann Lee", "Bo Chen"], "issues": [3, 1], "records": [2, 1]})
    assert words.owners(owners) == (
        "2 owners have records to fix; **Ann Lee** has the most, 3 issues on 2 records."
    )
    assert words.owners(owners.iloc[:0]) == "No owner has anything to fix."
    change = pd.DataFrame(
        {
            "label": ["Missing owner", "Stale status", "Nothing"],
            "issues": [4, 7, 0],
            "new": [1, 2, 0],
            "fixed": [0, 3, 0],
        }
    )
    assert words.by_kind(_assessment(90.0, None, 10, [], change)) == (
        "The most common problems are stale status (7), missing owner (4)."
    )
    assert words.by_kind(_assessment(100.0, None, 10, [], change.iloc[2:])) == (
        "No check found anything to fix."
    )
    nothing = {"rows_left_out": 0, "cells_blanked": 0, "by_cause": {}}
    assert words.ingest(nothing) == (
        "The ingest loaded every source row and cell of this snapshot: nothing was left out."
    )
    some = {"rows_left_out": 1200, "cells_blanked": 3, "by_cause": {"bad date": 1203}}
    assert words.ingest(some) == (
        "The ingest left out **1,200 source rows** and blanked **3 cells** that did not fit the"
        " data model (1,203 bad date). The figures of every report leave them out; fix them at"
        " the source, or in the mapping file, and ingest again."
    )


def test_the_issues_of_one_snapshot_are_found_once_for_the_page_and_the_summary(monkeypatch):
    """The data-quality page and the summary's KPI trail ask for the same snapshot's issues:
    found once (memo), and again for another snapshot or other limits."""
    looked: list[int] = []
    not_assessed = dq.not_assessed

    def counted(snapshot):
        looked.append(1)
        return not_assessed(snapshot)

    monkeypatch.setattr(dq, "not_assessed", counted)
    dq.find_issues.cache_clear()
    snap = snapshot(projects=[project("P1", last_status_update=None), project("P2")])
    first = dq.find_issues(snap, LIMITS)
    again = dq.find_issues(snap, LIMITS)
    pd.testing.assert_frame_equal(first, again)
    assert len(looked) == 1 and first["check"].tolist() == ["stale_status"]
    dq.find_issues(snapshot(projects=[project("P1")]), LIMITS)
    dq.find_issues(snap, LIMITS.model_copy(update={"stale_status_days": 1}))
    assert len(looked) == 3


def test_the_checks_on_financials_and_bookings_are_cut_in_the_store_as_the_rows_give_them(
    tmp_path, monkeypatch
):
    """Read from a store, the checks on the million-row tables (actuals after close, forecasts
    in closed months, bookings after close) take only the rows their query keeps: the issues
    by hand, as from the rows, and neither table read whole."""
    from datetime import date

    from pmo_lib import data, store

    rows = snapshot(
        projects=[
            project("P1", status="Closed", actual_finish="2026-06-15"),
            project("P2", portfolio="E"),
            project("P3", status="Cancelled", actual_finish=None, last_status_update="2026-05-10"),
            project("P4", status="Closed", actual_finish=None, last_status_update=None),
        ],
        financials=[
            {"project_id": "P1", "period": "2026-06-01", "measure": "actual", "amount": 5.0},
            {"project_id": "P1", "period": "2026-07-01", "measure": "actual", "amount": 5.0},
            {"project_id": "P1", "period": "2026-08-01", "measure": "actual", "amount": -5.0},
            {"project_id": "P1", "period": "2026-09-01", "measure": "actual", "amount": 5.0},
            {"project_id": "P2", "period": "2026-08-01", "measure": "actual", "amount": 5.0},
            {"project_id": "P2", "period": "2026-09-01", "measure": "forecast", "amount": None},
            {"project_id": "P2", "period": "2026-08-01", "measure": "forecast", "amount": 0.0},
            {"project_id": "P2", "period": "2026-10-01", "measure": "forecast", "amount": 3.0},
            {"project_id": "P2", "period": "2026-11-01", "measure": "forecast", "amount": 5.0},
            {"project_id": "P3", "period": "2026-07-01", "measure": "plan", "amount": 5.0},
            {"project_id": "P4", "period": "2026-07-01", "measure": "actual", "amount": 5.0},
        ],
        resources=[{"resource_id": "R1", "role": "Dev", "monthly_capacity_hours": 150.0}],
        allocations=[
            {"resource_id": "R1", "project_id": "P3", "period": "2026-06-01", "planned_hours": 8},
            {"resource_id": "R1", "project_id": "P3", "period": "2026-07-01", "planned_hours": 0},
            {"resource_id": "R1", "project_id": "P3", "period": "2026-05-01", "planned_hours": 9},
            {"resource_id": "R1", "project_id": "P2", "period": "2026-07-01", "planned_hours": 7},
            {"resource_id": "R1", "project_id": "P4", "period": "2026-07-01", "planned_hours": 7},
        ],
    )
    by_hand = {
        dq.actuals_after_close: [
            ("P1", "2 month(s) of actuals after the project ended on 15 Jun 2026")
        ],
        # P2's October (closed on the 31st) only: not its blank, its zero or its open month
        dq.forecast_in_closed_month: [
            ("P2", "forecast left in 1 closed month(s), latest Oct 2026")
        ],
        dq.allocations_to_closed_projects: [
            ("P3", "8 hours booked for 1 people after the project ended")
        ],
    }
    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # each table read alone, as at 100x
    path = tmp_path / "dq.duckdb"
    store.write_snapshot(path, dict(rows.tables), AS_OF.date(), "test")
    stored = data.load_portfolio(None, source=path).current
    for check, issues in by_hand.items():
        assert found(check, rows) == issues
        assert found(check, stored) == issues
    assert not stored.tables.has_read("financials") and not stored.tables.has_read("allocations")
    in_e = data.load_portfolio("E", source=path).current  # the portfolio's scope
    assert found(dq.forecast_in_closed_month, in_e) == by_hand[dq.forecast_in_closed_month]
    assert found(dq.actuals_after_close, in_e) == []
    assert store.rows_where(path, date(2026, 10, 31), "E", "allocations", "TRUE").shape[0] == 1


def test_the_demo_s_issues_from_the_store_are_the_rows_issues(demo_store, monkeypatch):
    """At function and portfolio scope, every snapshot: the issues found with the large tables
    cut in the query equal those found on every row, and the large tables are not read."""
    from pmo_lib import data

    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # each table read alone, as at 100x
    data.forget_snapshots()

    seen: set[str] = set()
    for portfolio in (None, "Data & Analytics"):
        loaded = data.load_portfolio(portfolio, source=demo_store)
        for stored in data.all_snapshots(loaded):
            dq.find_issues.cache_clear()
            issues = dq.find_issues(stored, LIMITS)
            assert not stored.tables.has_read("financials")
            assert not stored.tables.has_read("allocations")
            whole = Snapshot(stored.as_of, {name: stored[name] for name in TABLES})
            pd.testing.assert_frame_equal(issues, dq.find_issues(whole, LIMITS))
            seen |= set(issues["check"])
    cut = {"actuals_after_close", "forecast_in_closed_month", "allocations_to_closed_projects"}
    assert cut <= seen
