"""Demand pipeline metrics on small hand-made cases, with and without stage history."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_lib.metrics import demand as dm
from pmo_lib.params import DemandParams, DemandScoring
from tests.conftest import frame

AS_OF = pd.Timestamp("2026-10-31")
SLA = {"Submitted": 10, "Triage": 30, "Assessment": 60, "Approved": 45}
PARAMS = DemandParams(
    sla_days=SLA,
    scoring=DemandScoring(value_weight=0.5, cost_weight=0.2, priority_weight=0.3),
    flow_months=6,
)


def request(did: str, stage: str, submitted: str = "2026-01-01", **values) -> dict:
    return {
        "demand_id": did,
        "title": f"Request {did}",
        "portfolio": "D",
        "stage": stage,
        "submitted_date": submitted,
        **values,
    }


# Five requests: D1 delivered, D2 approved, D3 rejected at assessment, D4 in triage, D5 withdrawn at
# triage.
DEMAND = frame(
    "demand",
    [
        request("D1", "Delivered", decision_date="2026-02-15", estimated_cost=100.0, customer="HR"),
        request(
            "D2",
            "Approved",
            "2026-03-01",
            decision_date="2026-04-30",
            estimated_cost=200.0,
            customer="HR",
        ),
        request(
            "D3",
            "Rejected",
            "2026-02-01",
            decision_date="2026-03-03",
            estimated_cost=50.0,
            customer="Finance",
        ),
        request("D4", "Triage", "2026-09-01", estimated_cost=None, customer=None),
        request("D5", "Withdrawn", "2026-05-01", estimated_cost=10.0, customer="Finance"),
    ],
)
HISTORY = frame(
    "demand_stage_history",
    [
        {"demand_id": "D1", "stage": s, "entered_date": d}
        for s, d in [
            ("Submitted", "2026-01-01"),
            ("Triage", "2026-01-05"),
            ("Assessment", "2026-01-20"),
            ("Approved", "2026-02-15"),
            ("In Delivery", "2026-03-01"),
            ("Delivered", "2026-06-30"),
        ]
    ]
    + [
        {"demand_id": "D2", "stage": s, "entered_date": d}
        for s, d in [
            ("Submitted", "2026-03-01"),
            ("Triage", "2026-03-10"),
            ("Assessment", "2026-04-01"),
            ("Approved", "2026-04-30"),
        ]
    ]
    + [
        {"demand_id": "D3", "stage": s, "entered_date": d}
        for s, d in [
            ("Submitted", "2026-02-01"),
            ("Triage", "2026-02-05"),
            ("Assessment", "2026-02-10"),
            ("Rejected", "2026-03-03"),
        ]
    ]
    + [
        {"demand_id": "D4", "stage": s, "entered_date": d}
        for s, d in [("Submitted", "2026-09-01"), ("Triage", "2026-09-15")]
    ]
    + [
        {"demand_id": "D5", "stage": s, "entered_date": d}
        for s, d in [
            ("Submitted", "2026-05-01"),
            ("Triage", "2026-05-03"),
            ("Withdrawn", "2026-05-20"),
        ]
    ],
)


def test_funnel_conversion_with_history():
    f = dm.funnel(DEMAND, HISTORY).set_index("stage")
    assert list(f["reached"]) == [5, 5, 3, 2, 1, 1]
    # Into Triage: 5 reached / 5 left Submitted. Into Assessment: 3 / (5 reached Triage - 1 still
    # there).
    # Into Approved: 2 / 3 left Assessment. Into In Delivery: 1 / (2 - 1 still approved).
    assert f.loc["Triage", "conversion"] == 1.0
    assert f.loc["Assessment", "conversion"] == pytest.approx(3 / 4)
    assert f.loc["Approved", "conversion"] == pytest.approx(2 / 3)
    assert f.loc["In Delivery", "conversion"] == 1.0
    assert pd.isna(f.loc["Submitted", "conversion"])
    assert f.loc["Approved", "requests"] == 1 and f.loc["Approved", "estimated_cost"] == 200.0
    assert f.loc["Triage", "estimated_cost"] == 0.0  # D4 has no estimate


def test_funnel_falls_back_on_the_current_stage():
    f = dm.funnel(DEMAND, None).set_index("stage")
    # Rejected and withdrawn count as submitted only: reached = 5, 3 (D1, D2, D4), 2, 2, 1, 1.
    assert list(f["reached"]) == [5, 3, 2, 2, 1, 1]
    assert f.loc["Triage", "conversion"] == pytest.approx(3 / 5)
    assert f.loc["Assessment", "conversion"] == pytest.approx(2 / 2)


def test_outcomes_by_the_stage_left():
    o = dm.outcomes(DEMAND, HISTORY)
    assert list(o.itertuples(index=False, name=None)) == [
        ("Rejected", "Assessment", 1, 50.0),
        ("Withdrawn", "Triage", 1, 10.0),
    ]
    assert set(dm.outcomes(DEMAND, None)["left_from"]) == {"unknown (no stage history)"}


def test_no_rejected_or_withdrawn_request_draws_no_empty_chart():
    from pmo_lib import charts

    delivered = DEMAND[~DEMAND["stage"].isin(["Rejected", "Withdrawn"])]
    none = dm.outcomes(delivered, HISTORY)
    assert none.empty and charts.demand_outcomes(none, "t") is None
    assert charts.demand_outcomes(dm.outcomes(DEMAND, HISTORY), "t") is not None


def test_ageing_against_sla_with_and_without_history():
    aged = dm.ageing(DEMAND, HISTORY, AS_OF, SLA).set_index("demand_id")
    assert list(aged.index) == ["D2", "D4"]  # open: approved and triage
    assert (
        aged.loc["D2", "age_days"] == 184 and aged.loc["D2", "days_over_sla"] == 139
    )  # 30 Apr -> 31 Oct
    assert (
        aged.loc["D4", "age_days"] == 46 and aged.loc["D4", "past_sla"]
    )  # 15 Sep -> 31 Oct, SLA 30
    assert list(dm.past_sla(aged.reset_index())["demand_id"]) == ["D2", "D4"]  # oldest first
    fallback = dm.ageing(DEMAND, None, AS_OF, SLA).set_index("demand_id")
    assert fallback.loc["D2", "age_days"] == 184  # from the decision date
    assert fallback.loc["D4", "age_days"] == 60  # from the submission date


def test_a_request_with_missing_dates_is_never_past_sla():
    d = frame("demand", [request("X", "Approved", decision_date=None)])
    h = frame(
        "demand_stage_history",
        [{"demand_id": "X", "stage": "Submitted", "entered_date": "2026-01-01"}],
    )
    aged = dm.ageing(d, h, AS_OF, SLA)  # history lacks the Approved entry
    assert pd.isna(aged.loc[0, "age_days"]) and not aged.loc[0, "past_sla"]


def test_lead_times_and_percentiles():
    leads = dm.lead_times(DEMAND, HISTORY).set_index("demand_id")
    assert leads.loc["D1", "decision_days"] == 45 and leads.loc["D1", "delivery_days"] == 180
    assert leads.loc["D2", "decision_days"] == 60 and leads.loc["D3", "decision_days"] == 30
    assert pd.isna(leads.loc["D4", "decision_days"])
    summary = dm.lead_time_summary(leads.reset_index()).set_index("measure")
    # decision days 30, 45, 60: median 45; p85 = 45 + 0.7 x 15 = 55.5 (linear interpolation)
    assert summary.loc["Submitted → decision", "median_days"] == 45
    assert summary.loc["Submitted → decision", "p85_days"] == pytest.approx(55.5)
    assert summary.loc["Submitted → delivery", "requests"] == 1
    assert dm.percentile(pd.Series([], dtype=float), 50) is None
    # last 12 months up to 31 Oct 2026: all three decisions
    assert dm.median_decision_lead_time(leads.reset_index(), AS_OF) == 45
    assert (
        dm.median_decision_lead_time(leads.reset_index(), pd.Timestamp("2027-04-01")) == 60
    )  # only D2's (30 Apr 2026)
    quarters = dm.lead_time_by_quarter(leads.reset_index())
    assert list(quarters["quarter"]) == ["2026Q1", "2026Q2"] and list(quarters["median_days"]) == [
        37.5,
        60.0,
    ]


def test_flow_and_cumulative_flow():
    f = dm.flow(DEMAND, HISTORY, AS_OF, 12).set_index("month")
    assert f.loc["2026-01-01", "arrivals"] == 1 and f.loc["2026-02-01", "decisions"] == 1
    assert f.loc["2026-06-01", "deliveries"] == 1 and f["arrivals"].sum() == 5
    cfd = dm.cumulative_flow(HISTORY, DEMAND, AS_OF, 3).set_index("month_end")
    assert cfd.loc["2026-08-31"].to_dict() == {
        "Submitted": 0,
        "Triage": 0,
        "Assessment": 0,
        "Approved": 1,
        "In Delivery": 0,
        "Delivered": 1,
        "Rejected": 1,
        "Withdrawn": 1,
    }
    assert cfd.loc["2026-10-31", "Triage"] == 1


def test_prioritisation_by_weighted_score():
    d = frame(
        "demand",
        [
            request("A", "Triage", value_score=80.0, estimated_cost=100.0, priority="High"),
            request("B", "Assessment", value_score=40.0, estimated_cost=400.0, priority="Low"),
            request("C", "Approved", value_score=None, estimated_cost=None, priority="Medium"),
            request(
                "Z", "In Delivery", value_score=100.0, estimated_cost=1.0, priority="High"
            ),  # not backlog
        ],
    )
    ranked = dm.prioritise(d, PARAMS.scoring).set_index("demand_id")
    # A: 100 x (0.5x0.8 + 0.2x(1-100/400) + 0.3x1) / 1 = 85; B: 100 x (0.5x0.4 + 0 + 0) = 20; C: 100
    # x 0.3x0.5 = 15
    assert ranked["score"].to_dict() == pytest.approx({"A": 85.0, "B": 20.0, "C": 15.0})
    assert list(ranked["rank"]) == [1, 2, 3]
    assert "0.5 × value score" in dm.scoring_rule(PARAMS.scoring)
    assert dm.prioritise(d.iloc[:0], PARAMS.scoring).empty


def test_customers_and_approval_rate():
    c = dm.by_customer(DEMAND).set_index("customer")
    assert c.loc["HR", "requests"] == 2 and c.loc["HR", "approval_rate"] == 1.0
    assert (
        c.loc["Finance", "approval_rate"] == 0.0
    )  # one rejected, the withdrawn one is not a decision
    assert pd.isna(c.loc["(no customer)", "approval_rate"])


def test_demand_vs_capacity_and_changes():
    vs = dm.demand_vs_capacity(DEMAND, {"fy_headroom": 150.0})
    assert vs == {
        "approved_not_started": 1,
        "approved_cost": 200.0,
        "headroom": 150.0,
        "gap": -50.0,
    }
    before = DEMAND[DEMAND["demand_id"] != "D4"].assign(
        stage=lambda d: d["stage"].replace({"Approved": "Assessment"})
    )
    ch = dm.changes(DEMAND, before, pd.Timestamp("2026-04-01"), AS_OF)
    assert list(ch["moved"]["demand_id"]) == ["D2"] and list(ch["moved"]["previous_stage"]) == [
        "Assessment"
    ]
    assert list(ch["new"]["demand_id"]) == ["D4"] and list(ch["decided"]["demand_id"]) == ["D2"]
    assert all(v.empty for v in dm.changes(DEMAND, None, None, AS_OF).values())


def test_headlines_and_empty_input():
    h = dm.headlines(DEMAND, HISTORY, AS_OF, PARAMS)
    assert h == {
        "demand_open_count": 2,
        "demand_open_estimated_cost": 200.0,
        "demand_past_sla_count": 2,
        "demand_median_lead_time_days": 45.0,
    }
    empty = frame("demand", [])
    # no request at all (a dataset without demand): no figures, not a reassuring zero
    assert dm.headlines(empty, None, AS_OF, PARAMS) == {
        "demand_open_count": None,
        "demand_open_estimated_cost": None,
        "demand_past_sla_count": None,
        "demand_median_lead_time_days": None,
    }
    assert dm.funnel(empty, None)["reached"].sum() == 0
    assert dm.flow(empty, None, AS_OF, 6)["arrivals"].sum() == 0
    assert dm.by_customer(empty).empty


def test_a_report_narrowed_to_a_sub_portfolio_and_without_history(demo_store):
    from pmo_lib import open_report
    from pmo_lib.data import Snapshot
    from pmo_lib.errors import PMOError
    from pmo_lib.sections import demand_pipeline as sections

    report = open_report(
        "demand_pipeline",
        "data-analytics",
        source=str(demo_store),
        sub_portfolio="BI & Reporting",
        sections=sections,
    )
    now = report.now
    assert set(now["demand"]["sub_portfolio"]) == {"BI & Reporting"} and set(
        now["projects"]["sub_portfolio"]
    ) == {"BI & Reporting"}
    assert set(now["demand_stage_history"]["demand_id"]) <= set(now["demand"]["demand_id"])
    assert set(report.before["demand"]["sub_portfolio"]) == {"BI & Reporting"}
    with pytest.raises(
        PMOError,
        match=r"sub_portfolio 'Payroll': not a sub-portfolio of Data & Analytics .* it has: BI &"
        r" Reporting, Data Platform",
    ):
        open_report(
            "demand_pipeline",
            "data-analytics",
            source=str(demo_store),
            sub_portfolio="Payroll",
            sections=sections,
        )
    no_history = Snapshot(
        now.as_of, {**now.tables, "demand_stage_history": now["demand_stage_history"].iloc[:0]}
    )
    pipeline = dm.analyse(
        no_history, None, report.config.demand, report.config.fiscal_year_start_month
    )
    assert not pipeline.history_used and pipeline.cumulative is None
    assert pipeline.flow["deliveries"].sum() == 0 and pipeline.headlines["demand_open_count"] > 0
    assert all(v.empty for v in pipeline.changes.values())


# -- the report's sentences (pmo_lib.narrative.demand_pipeline) --------------------------------
def test_the_ageing_and_changes_sentences_on_hand_made_requests():
    from pmo_lib.narrative import demand_pipeline as words

    aged = pd.DataFrame(
        {
            "demand_id": ["D1", "D2", "D3"],
            "title": ["New CRM", "Data lake", "Portal"],
            "stage": ["Triage", "Triage", "Assessment"],
            "age_days": [1200, 40, 10],
            "sla_days": [30.0, 30.0, 60.0],
        }
    )
    late = aged.iloc[:2]
    assert words.ageing(late, aged) == (
        "**2** of 3 open requests are past their stage's SLA, most of them in Triage (2). The"
        " oldest, D1 “New CRM”, has been in Triage for 1,200 days against an SLA of 30."
    )
    assert words.ageing(late.iloc[:0], aged) == (
        "All 3 open requests are within their stage's SLA."
    )
    assert words.ageing(late.iloc[:0], aged.iloc[:0]) == "There are no open requests."
    decided = pd.DataFrame({"stage": ["Approved", "Delivered", "Rejected"]})
    changed = {"moved": aged.iloc[:1], "new": aged, "decided": decided}
    assert words.changes(changed, pd.Timestamp("2026-09-30")) == (
        "Since 30 Sep 2026: **3** new requests, **1** moved stage, and 3 decisions were taken"
        " (2 approved, 1 rejected)."
    )
    assert words.changes(changed, None) == "There is no earlier snapshot to compare with."


def test_the_capacity_and_backlog_sentences_and_their_blank_cases():
    from pmo_lib.narrative import demand_pipeline as words

    fiscal = {"fiscal_year": "FY2027"}
    covered = {"approved_not_started": 4, "approved_cost": 2_500_000.0, "headroom": 3e6, "gap": 5e5}
    assert words.capacity(covered, fiscal, "USD") == (
        "4 approved requests have not started; their estimates total **$2.5M**. The FY2027"
        " budget headroom (Plan − Outlook) is $3.0M, which covers them."
    )
    over = {**covered, "headroom": -150_000.0, "gap": -2_650_000.0}
    assert words.capacity(over, fiscal, "USD").endswith(
        "The FY2027 Outlook is already above the Plan by $150.0k, so there is no budget headroom"
        " to start them this year."
    )
    assert words.capacity(None, fiscal, "USD") == words.capacity(covered, None, "USD") == ""
    ranked = pd.DataFrame(
        {
            "demand_id": ["D7", "D3"],
            "title": ["Chatbot", "Portal"],
            "score": [88.4, 61.0],
            "estimated_cost": [None, None],
        }
    )
    assert words.backlog(ranked, "USD") == (
        "The backlog holds 2 requests not yet in delivery. The top ten score 61–88 and have no"
        " estimates; first is D7 “Chatbot”."
    )
    assert words.backlog(ranked.iloc[:0], "USD") == "The backlog is empty."
    assert words.source(True) == (
        "Stage ages, conversions, deliveries and the cumulative flow come from the demand stage"
        " history."
    )
