"""Decisions, actions and change requests on hand cases: overdue, by owner, approved changes
against the baseline."""

from __future__ import annotations

import pandas as pd

from pmo_lib.data import Snapshot
from pmo_lib.metrics import raid
from pmo_lib.schema import TABLES
from tests.conftest import frame

AS_OF = pd.Timestamp("2026-10-31")


def snapshot(**tables) -> Snapshot:
    projects = [
        {
            "project_id": "P1",
            "project_name": "One",
            "portfolio": "A",
            "status": "Active",
            "baseline_finish": "2027-01-31",
            "forecast_finish": "2027-03-31",  # 59 days late
            "budget_at_completion": 1000.0,
        },
        {
            "project_id": "P2",
            "project_name": "Two",
            "portfolio": "A",
            "status": "Closed",
            "baseline_finish": "2026-06-30",
            "budget_at_completion": 500.0,
        },
    ]
    rows = {"projects": projects, **tables}
    return Snapshot(AS_OF, {name: frame(name, rows.get(name, [])) for name in TABLES})


def test_decisions_and_actions_overdue_and_by_owner():
    now = snapshot(
        decisions=[
            {"decision_id": "D1", "project_id": "P1", "title": "Vendor", "needed_by": "2026-10-01"},
            {"decision_id": "D2", "project_id": "P1", "title": "Scope", "needed_by": "2026-10-20"},
            {  # decided: not overdue
                "decision_id": "D3",
                "project_id": "P1",
                "title": "Hosting",
                "needed_by": "2026-09-01",
                "decided_date": "2026-09-15",
            },
            {"decision_id": "D4", "project_id": "P1", "title": "Later", "needed_by": "2026-12-01"},
        ],
        actions=[
            {
                "action_id": "A1",
                "project_id": "P1",
                "title": "a",
                "owner": "Ann",
                "due_date": "2026-10-30",
            },
            {
                "action_id": "A2",
                "project_id": "P1",
                "title": "b",
                "owner": "Ann",
                "due_date": "2026-09-30",
            },
            {"action_id": "A3", "project_id": "P1", "title": "c", "due_date": "2026-10-01"},
            {
                "action_id": "A4",
                "project_id": "P1",
                "title": "d",
                "owner": "Bo",
                "due_date": "2026-09-01",
                "done_date": "2026-09-05",
            },
        ],
    )
    result = raid.analyse(now, pd.Series(dtype="float64"))
    late = result.decisions_overdue
    assert list(late["decision_id"]) == ["D1", "D2"] and list(late["days_overdue"]) == [30, 11]
    assert list(result.actions_overdue["action_id"]) == ["A2", "A3", "A1"]
    owners = result.actions_by_owner.set_index("owner")
    assert owners.loc["Ann", "overdue"] == 2 and owners.loc["Ann", "longest_days"] == 31
    assert owners.loc["(no owner)", "overdue"] == 1
    figures = raid.headlines(result)
    assert figures == {"decisions_overdue": 2, "actions_overdue": 3, "approved_change_cost": None}


def test_approved_changes_explain_part_of_the_variance():
    now = snapshot(
        change_requests=[
            {
                "change_id": "C1",
                "project_id": "P1",
                "title": "More scope",
                "status": "Approved",
                "cost_impact": 150.0,
                "schedule_impact_days": 28,
            },
            {
                "change_id": "C2",
                "project_id": "P1",
                "title": "Extra reports",
                "status": "Approved",
                "cost_impact": 50.0,
            },
            {  # not approved: not counted
                "change_id": "C3",
                "project_id": "P1",
                "title": "Rejected",
                "status": "Rejected",
                "cost_impact": 999.0,
                "schedule_impact_days": 99,
            },
            {  # a closed project: not an active one
                "change_id": "C4",
                "project_id": "P2",
                "title": "Old",
                "status": "Approved",
                "cost_impact": 10.0,
            },
        ],
    )
    cost = pd.Series({"P1": 1400.0, "P2": 510.0})
    result = raid.analyse(now, cost)
    row = result.approved.set_index("project_id").loc["P1"]
    assert (row["approved_changes"], row["approved_cost"], row["approved_days"]) == (2, 200.0, 28)
    assert row["rebaselined_budget"] == 1200.0  # 1,000 + 200
    assert (row["cost_variance"], row["unapproved_cost"]) == (
        400.0,
        200.0,
    )  # 1,400 − 1,000; − 1,200
    assert row["rebaselined_finish"] == pd.Timestamp("2027-02-28")  # 31 Jan + 28 days
    assert (row["slip_days"], row["unapproved_days"]) == (59, 31)
    assert list(result.approved["project_id"]) == ["P1"]
    assert raid.approved_share(result.approved) == {
        "variance": 400.0,
        "approved": 200.0,
        "share": 0.5,
    }
    assert raid.headlines(result)["approved_change_cost"] == 200.0  # active projects: not P2


def test_no_raid_tables_is_blank_not_zero():
    result = raid.analyse(snapshot(), pd.Series(dtype="float64"))
    assert result.is_empty
    assert raid.headlines(result) == {
        "decisions_overdue": None,
        "actions_overdue": None,
        "approved_change_cost": None,
    }
    assert raid.approved_share(result.approved)["share"] is None


def test_the_words_tell_approved_from_unapproved_variance():
    from pmo_lib.narrative import health as words

    now = snapshot(
        change_requests=[
            {
                "change_id": "C1",
                "project_id": "P1",
                "title": "More scope",
                "status": "Approved",
                "cost_impact": 150.0,
            }
        ],
        decisions=[  # P2 is closed: its open decision is history, not overdue
            {"decision_id": "D9", "project_id": "P2", "title": "Old", "needed_by": "2026-01-01"}
        ],
    )
    said = words.raid(raid.analyse(now, pd.Series({"P1": 1400.0})), "USD")
    assert said == (
        "Approved changes move the baseline of 1 active project by $150; they stand $400 over"
        " their original budgets, 38% of it approved and $250 not."
    )
    all_approved = words.raid(raid.analyse(now, pd.Series({"P1": 1100.0})), "USD")
    assert all_approved.endswith("they stand $100 over their original budgets, all of it approved.")


def test_a_schedule_only_change_and_a_decision_with_an_outcome_but_no_date():
    from pmo_lib.narrative import health as words

    now = snapshot(
        change_requests=[
            {
                "change_id": "C1",
                "project_id": "P1",
                "title": "Later go-live",
                "status": "Approved",
                "schedule_impact_days": 30,
            }
        ],
        decisions=[
            {
                "decision_id": "D1",
                "project_id": "P1",
                "title": "Vendor",
                "needed_by": "2026-09-01",
                "outcome": "Vendor B",  # decided; the date was not recorded
            }
        ],
    )
    log = raid.analyse(now, pd.Series({"P1": 1500.0}))
    assert log.decisions_overdue.empty
    share = raid.approved_share(log.approved)
    assert share == {"variance": 500.0, "approved": None, "share": None}
    said = words.raid(log, "USD")
    assert (
        "Approved changes move the baseline of 1 active project (no approved cost impact"
        " recorded); they stand $500 over their original budgets, none of it explained by an"
        " approved cost." in said
    )
