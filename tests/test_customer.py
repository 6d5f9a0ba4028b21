"""The customer view's metrics and sentences on hand-computed cases, and its computed RAG against
the health report's on the demo data."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_lib import data
from pmo_lib.metrics import customer, health
from pmo_lib.narrative import customer as words
from pmo_lib.params import config_for
from tests.conftest import frame

AS_OF = pd.Timestamp("2026-10-31")
SINCE = pd.Timestamp("2026-09-30")
SLA = config_for(None).demand.sla_days  # Submitted 10, Triage 30, Assessment 60, Approved 45


def request(demand_id, customer_name, stage, project_id=None, **extra):
    return {
        "demand_id": demand_id,
        "title": f"Request {demand_id}",
        "customer": customer_name,
        "portfolio": "Data & Analytics",
        "stage": stage,
        "submitted_date": "2026-09-01",
        "project_id": project_id,
        **extra,
    }


DEMAND = frame(
    "demand",
    [
        request("D1", "Finance", "Triage", estimated_cost=100),  # 60 days in Triage: 30 past
        request(
            "D2", "Finance", "In Delivery", "P1", decision_date="2026-08-15", estimated_cost=200
        ),
        request("D3", "Finance", "Delivered", "P2", decision_date="2026-06-01"),
        request("D4", "Finance", "Rejected", decision_date="2026-09-10", estimated_cost=10),
        request("D5", "Marketing", "Assessment", "P1"),
        request("D6", "Finance", "Approved", "P9", decision_date="2026-10-01", estimated_cost=50),
    ],
)
BEFORE = frame(
    "demand",
    [
        request("D1", "Finance", "Submitted"),
        request("D2", "Finance", "Approved", "P1", decision_date="2026-08-15"),
        request("D3", "Finance", "In Delivery", "P2", decision_date="2026-06-01"),
        request("D4", "Finance", "Rejected", decision_date="2026-09-10"),
    ],
)
PROJECTS = frame(
    "projects",
    [
        {
            "project_id": "P1",
            "project_name": "Ledger",
            "portfolio": "Data & Analytics",
            "status": "Active",
            "reported_rag": "Green",
            "baseline_finish": "2026-12-31",
            "forecast_finish": "2027-01-30",  # 30 days late
            "percent_complete": 40,
        },
        {
            "project_id": "P2",
            "project_name": "Close",
            "portfolio": "Data & Analytics",
            "status": "Closed",
            "baseline_finish": "2026-06-30",
            "forecast_finish": "2026-06-30",
        },
    ],
)
ASSESSED = pd.DataFrame({"project_id": ["P1"], "overall": [health.RED]})  # active ones only


def finance() -> tuple[pd.DataFrame, pd.DataFrame]:
    wanted = customer.requests(DEMAND, "Finance")
    return wanted, customer.delivering(wanted, PROJECTS, ASSESSED)


def test_requests_by_stage_with_their_age_and_sla():
    wanted = customer.requests(DEMAND, "Finance")
    assert list(wanted["demand_id"]) == ["D1", "D2", "D3", "D4", "D6"]
    aged = customer.demand_metrics.ageing(wanted, None, AS_OF, SLA)
    stages = customer.by_stage(wanted, aged).set_index("stage")
    assert list(stages.index) == ["Triage", "Approved", "In Delivery", "Delivered", "Rejected"]
    assert stages["requests"].tolist() == [1, 1, 1, 1, 1]
    assert stages["estimated_cost"].tolist()[:3] == [100.0, 50.0, 200.0]
    assert pd.isna(stages.loc["Delivered", "estimated_cost"])  # no estimate: blank, not $0
    # no stage history: age from the decision date once decided, else from submission
    assert stages["median_age_days"].tolist()[:3] == [60, 30, 77]
    assert stages["past_sla"].tolist()[:3] == [1, 0, 0]
    assert stages[["median_age_days", "past_sla"]].iloc[3:].isna().all().all()
    oldest = customer.oldest_open(aged)
    assert oldest["demand_id"].tolist() == ["D2", "D1", "D6"]
    assert oldest["days_over_sla"].tolist()[1:] == [30, -15]


def test_the_projects_that_deliver_them_with_computed_rag_and_forecast_finish():
    _, projects = finance()
    assert projects[["project_id", "slip_days", "requests", "customers"]].values.tolist() == [
        ["P1", 30, "D2", "Finance"],
        ["P2", 0, "D3", "Finance"],
    ]
    assert projects["computed_rag"].iloc[0] == "Red"
    assert pd.isna(projects["computed_rag"].iloc[1])  # closed: health rates active projects
    every = customer.delivering(DEMAND, PROJECTS, ASSESSED).set_index("project_id")
    assert every.loc["P1", "requests"] == "D2, D5"
    assert every.loc["P1", "customers"] == "Finance, Marketing"
    assert customer.unmatched(DEMAND, PROJECTS)["demand_id"].tolist() == ["D6"]


def test_headlines_count_the_customers_requests_and_projects():
    wanted, projects = finance()
    aged = customer.demand_metrics.ageing(wanted, None, AS_OF, SLA)
    assert customer.headlines(wanted, aged, projects) == {
        "requests_total": 5,
        "requests_open": 3,  # Triage, In Delivery, Approved
        "requests_past_sla": 1,
        "requests_delivered": 1,
        "projects_delivering": 2,
        "projects_late": 1,
        "projects_red": 1,
        "projects_amber": 0,
        "projects_green": 0,
        "projects_no_data": 0,
    }
    none = customer.requests(DEMAND, "Nobody")
    figures = customer.headlines(none, aged.iloc[:0], projects.iloc[:0])
    assert set(figures.values()) == {None}  # no request: no figure, never 0
    unlinked = customer.requests(DEMAND, "Finance").assign(project_id=None)
    figures = customer.headlines(unlinked, aged, projects.iloc[:0])
    assert figures["requests_open"] == 3 and figures["projects_delivering"] is None


def test_what_changed_since_the_previous_snapshot():
    wanted, projects = finance()
    before_projects = pd.DataFrame(
        {
            "project_id": ["P1"],
            "computed_rag": [health.AMBER],
            "forecast_finish": [pd.Timestamp("2027-01-15")],
        }
    )
    before = customer.requests(BEFORE, "Finance")
    c = customer.changes(wanted, before, SINCE, AS_OF, projects, before_projects)
    moved = c["moved"].set_index("demand_id")["previous_stage"].to_dict()
    assert moved == {"D1": "Submitted", "D2": "Approved", "D3": "In Delivery"}
    assert c["new"]["demand_id"].tolist() == ["D6"]
    assert c["decided"]["demand_id"].tolist() == ["D6"]  # decided 1 Oct, after 30 Sep
    assert c["rag"][["project_id", "was", "computed_rag"]].values.tolist() == [
        ["P1", "Amber", "Red"]
    ]
    assert c["finish"][["project_id", "moved_days"]].values.tolist() == [["P1", 15]]
    assert c["new_projects"]["project_id"].tolist() == ["P2"]
    first = customer.changes(wanted, None, None, AS_OF, projects, None)
    assert all(frame.empty for frame in first.values())


def test_the_sentences_say_the_figures():
    wanted, projects = finance()
    aged = customer.demand_metrics.ageing(wanted, None, AS_OF, SLA)
    view = customer.CustomerView(
        customer="Finance",
        history_used=False,
        requests=wanted,
        aged=aged,
        by_stage=customer.by_stage(wanted, aged),
        oldest=customer.oldest_open(aged),
        projects=projects,
        unmatched=customer.unmatched(wanted, PROJECTS),
        changes=customer.changes(wanted, None, None, AS_OF, projects, None),
        headlines=customer.headlines(wanted, aged, projects),
    )
    assert words.summary(view) == (
        "**Finance** has **3 open requests** (1 past their stage SLA) and 1 delivered, of 5."
        " **2 projects** deliver them (computed RAG of the active ones: 1 red); 1 is forecast"
        " to finish after its baseline."
    )
    assert words.unmatched(view) == (
        "1 request names a project that is not among this scope's projects: P9."
    )
    assert words.changes(view, None) == "There is no earlier snapshot to compare with."
    assert words.changes(view, SINCE).startswith("Since 30 Sep 2026: **0 new requests**")


@pytest.fixture(scope="module")
def whole(demo_store):
    return data.load_portfolio(None, source=demo_store)


def test_a_customers_projects_have_the_health_reports_computed_rag(whole):
    config = config_for(None)
    history = data.all_snapshots(whole)
    view = customer.analyse(
        whole.current, whole.previous, history, "Finance", config.demand, config.health
    )
    report = health.analyse(whole.current, whole.previous, history, config.health)
    rated = report.assessed.set_index("project_id")["overall"]
    shown = view.projects.dropna(subset=["computed_rag"]).set_index("project_id")["computed_rag"]
    assert len(shown) > 3 and shown.to_dict() == rated[shown.index].to_dict()
    finance = whole.current["demand"]
    finance = finance[finance["customer"] == "Finance"]
    assert view.headlines["requests_total"] == len(finance)
    linked = set(finance["project_id"].dropna()) & set(whole.current["projects"]["project_id"])
    assert set(view.projects["project_id"]) == linked


def test_changes_without_delivering_projects_now_or_before():
    """Found by the property suite: no project delivers the customer's requests in either
    snapshot (an empty map of finishes is float): nothing changed, no crash."""
    wanted, projects = finance()
    none_now, none_before = projects.iloc[:0], projects.iloc[:0][["project_id", "forecast_finish"]]
    none_before = none_before.assign(computed_rag=pd.Series(dtype="str"))
    before = customer.requests(BEFORE, "Finance")
    c = customer.changes(wanted, before, SINCE, AS_OF, none_now, none_before)
    assert c["rag"].empty and c["finish"].empty and c["new_projects"].empty


def test_the_sentences_and_tiles_of_a_customer_with_nothing():
    from types import SimpleNamespace

    keys = ["requests_open", "requests_past_sla", "projects_delivering", "projects_red"]
    empty = SimpleNamespace(
        customer="",
        headlines={"requests_total": 0, "projects_late": None, **dict.fromkeys(keys, None)},
        unmatched=pd.DataFrame(columns=["demand_id", "project_id"]),
    )
    assert words.summary(empty) == "Every customer has no request in this snapshot."
    assert words.unmatched(empty) == ""
    assert [value for _, value, _ in words.tiles(empty.headlines)] == ["n/a"] * 5
    one = SimpleNamespace(
        customer="Finance",
        headlines={
            "requests_total": 1,
            "requests_open": 1,
            "requests_past_sla": 0,
            "requests_delivered": 0,
            "projects_delivering": 0,
        },
    )
    assert words.summary(one) == (
        "**Finance** has **1 open request** (0 past their stage SLA) and 0 delivered, of 1. No"
        " request names a project that delivers it yet."
    )
