"""A deterministic demo dataset: a fictitious IT service-delivery function, in several snapshots.

A seeded "true" history is generated once (projects with their real slips and overruns, demand
with its full stage history, risks with their closing dates); each snapshot is that history as
it was known on its as_of date. So closed months stay the same between snapshots while forecasts
drift, projects slip and turn red, demand moves stage and risks open and close. It also holds the
awkward cases of real data (see AWKWARD below), and `size` scales every count for benchmarks.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pmo_lib.params import DEFAULT_PARAMS_DIR
from pmo_lib.periods import last_closed_month, month_start
from pmo_lib.schema import TABLES
from pmo_lib.scopes import slugify
from pmo_lib.store import write_snapshot

log = logging.getLogger(__name__)

SNAPSHOTS = (pd.Timestamp("2026-08-31"), pd.Timestamp("2026-09-30"), pd.Timestamp("2026-10-31"))
HORIZON_START = pd.Timestamp("2024-07-01")  # 36 months: FY2025..FY2027 with a July start
HORIZON_MONTHS = 36

PORTFOLIOS: dict[str, list[str]] = {
    "Customer Channels": ["Web & Mobile", "Contact Centre", "CRM"],
    "Enterprise Platforms": ["ERP", "HR Systems", "Finance Systems"],
    "Infrastructure & Cloud": ["Cloud", "Network", "End-User Computing", "Data Centre"],
    "Data & Analytics": ["Data Platform", "BI & Reporting"],
}
PROGRAMS: dict[str, list[str]] = {
    "Customer Channels": ["Digital Front Door", "Contact Centre Modernisation", "Customer 360"],
    "Enterprise Platforms": ["ERP Upgrade", "People Systems", "Finance Transformation"],
    "Infrastructure & Cloud": ["Cloud First", "Network Refresh", "Modern Workplace"],
    "Data & Analytics": ["Data Foundations", "Insight Everywhere", "AI Enablement"],
}
CUSTOMERS = (
    "Retail Banking",
    "Finance",
    "Human Resources",
    "Operations",
    "Marketing",
    "Legal & Risk",
    "Customer Service",
    "Procurement",
    "Executive Office",
)
PROJECT_WORDS = (
    "Portal",
    "Migration",
    "Upgrade",
    "Automation",
    "Integration",
    "Replacement",
    "Rollout",
    "Consolidation",
    "Analytics",
    "Self-Service",
    "Modernisation",
    "Onboarding",
)
SUBJECTS = (
    "Payments",
    "Mobile App",
    "Payroll",
    "Data Warehouse",
    "Identity",
    "Email",
    "CRM",
    "Billing",
    "Network Core",
    "Service Desk",
    "Claims",
    "Reporting",
    "Laptop Fleet",
    "Telephony",
    "Document Management",
    "Supplier Portal",
    "General Ledger",
    "Backup",
    "API Gateway",
    "Search",
)
MANAGERS = (
    "Alex Morgan",
    "Priya Shah",
    "Tom Becker",
    "Maria Lopez",
    "Chen Wei",
    "Fatima Noor",
    "James O'Brien",
    "Sofia Rossi",
    "Daniel Kim",
    "Aisha Bello",
    "Lars Jensen",
    "Emma Dubois",
    "Ravi Patel",
    "Hannah Weiss",
    "Kofi Mensah",
    "Olivia Brown",
    "Mateo Garcia",
    "Yuki Tanaka",
)
GATES = {
    "Gate 1 - Business Case": ("Project Charter", "Business Case"),
    "Gate 2 - Design Approval": ("Solution Design", "Test Strategy"),
    "Gate 3 - Go-Live Readiness": ("Test Plan", "Deployment Plan", "Operational Acceptance"),
    "Gate 4 - Closure": ("Closure Report", "Lessons Learned"),
}
MILESTONES = {  # name -> share of the baseline duration at which it falls
    "Gate 1 - Business Case": 0.05,
    "Requirements signed off": 0.2,
    "Gate 2 - Design Approval": 0.3,
    "Build complete": 0.65,
    "Gate 3 - Go-Live Readiness": 0.85,
    "Gate 4 - Closure": 1.0,
}
RISK_TITLES = (
    "Key supplier may miss delivery date",
    "Scope creep from business stakeholders",
    "Test environment not available",
    "Loss of key technical resource",
    "Integration defects",
    "Data migration quality below target",
    "Budget approval delayed",
    "Security review findings",
    "Licence costs above estimate",
    "Dependency on another project's release",
)
ROLES = {  # role -> team, hourly rate for employees
    "Project Manager": ("Delivery Management", 95.0),
    "Business Analyst": ("Business Analysis", 80.0),
    "Developer": ("Engineering", 85.0),
    "Tester": ("Quality Engineering", 70.0),
    "Solution Architect": ("Architecture", 120.0),
    "Data Engineer": ("Data Engineering", 90.0),
    "Infrastructure Engineer": ("Infrastructure", 85.0),
}
VENDORS = ("Acme Consulting", "Northwind IT", "Globex Services", "Initech Outsourcing")

# The awkward cases real data holds, by project index modulo 150 (so they scale with size).
AWKWARD = {
    "no_baseline": (10, 61),
    "zero_budget": (12, 20),
    "over_budget": (5, 22, 40, 71, 99, 120),
    "stale_update": (9, 31, 57, 83, 111, 140),
    "forecast_in_closed_month": (17, 64),
    "actuals_after_close": (4, 28),
    "no_plan": (44,),
    "forecast_before_start": (52,),
    "credit": (2,),
}


@dataclass(frozen=True)
class World:
    """The true history behind every snapshot."""

    projects: pd.DataFrame
    demand: pd.DataFrame
    stage_history: pd.DataFrame
    budget_lines: pd.DataFrame
    noise: np.ndarray
    milestones: pd.DataFrame
    artifacts: pd.DataFrame
    risks: pd.DataFrame
    resources: pd.DataFrame
    allocations: pd.DataFrame
    benefits: pd.DataFrame
    decisions: pd.DataFrame
    actions: pd.DataFrame
    changes: pd.DataFrame
    dependencies: pd.DataFrame


def _months(start: pd.Timestamp, count: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=count, freq="MS")


def _is_awkward(index: int, case: str) -> bool:
    return index % 150 in AWKWARD[case]


def _projects(rng: np.random.Generator, count: int) -> pd.DataFrame:
    rows = []
    names = list(PORTFOLIOS)
    weights = np.array([0.3, 0.25, 0.25, 0.2])
    for i in range(count):
        portfolio = names[rng.choice(4, p=weights)]
        sub = PORTFOLIOS[portfolio][rng.integers(len(PORTFOLIOS[portfolio]))]
        program = None if rng.random() < 0.15 else PROGRAMS[portfolio][rng.integers(3)]
        start = HORIZON_START + pd.Timedelta(days=int(rng.integers(0, 900)))
        months = int(rng.integers(4, 25))
        finish = start + pd.DateOffset(months=months) - pd.Timedelta(days=1)
        slip = int(rng.choice([0, 0, 0, 0, 0, 0, 0, 7, 14, 30, 60, 120]))
        overrun = float(rng.choice([0.96, 0.98, 1.0, 1.0, 1.0, 1.0, 1.02, 1.04, 1.08, 1.2]))
        if _is_awkward(i, "over_budget"):
            overrun = 1.4
        true_finish = finish + pd.Timedelta(days=slip)
        fate = rng.random()
        cancel_date = (
            start + (true_finish - start) * float(rng.uniform(0.2, 0.6)) if fate < 0.06 else None
        )
        on_hold = 0.06 <= fate < 0.11
        rows.append(
            {
                "project_id": f"PRJ-{i + 1:05d}",
                "project_name": (
                    f"{SUBJECTS[rng.integers(len(SUBJECTS))]}"
                    f" {PROJECT_WORDS[rng.integers(len(PROJECT_WORDS))]} {i + 1}"
                ),
                "program": program,
                "portfolio": portfolio,
                "sub_portfolio": sub,
                "project_manager": MANAGERS[rng.integers(len(MANAGERS))],
                "baseline_start": start.normalize(),
                "baseline_finish": finish.normalize(),
                "true_finish": true_finish.normalize(),
                "cancel_date": cancel_date.normalize() if cancel_date is not None else pd.NaT,
                "on_hold": on_hold,
                "slip_days": slip,
                "overrun": overrun,
                "monthly_budget": float(
                    rng.choice([20_000, 35_000, 50_000, 80_000, 120_000, 200_000])
                ),
                "optimism": rng.random(),
                "update_lag": int(rng.choice([2, 3, 5, 7, 9, 12, 16, 21])),
                "proposed_until": (
                    start - pd.Timedelta(days=int(rng.integers(30, 120)))
                ).normalize(),
            }
        )
    frame = pd.DataFrame(rows)
    frame["baseline_months"] = (
        (frame["baseline_finish"].dt.year - frame["baseline_start"].dt.year) * 12
        + frame["baseline_finish"].dt.month
        - frame["baseline_start"].dt.month
        + 1
    )
    frame["budget_at_completion"] = frame["monthly_budget"] * frame["baseline_months"]
    frame["demand_id"] = None
    return frame


def _budget_lines(rng: np.random.Generator, projects: pd.DataFrame) -> pd.DataFrame:
    """Per project, 2-3 cost lines (category, expense type, share of the monthly budget)."""
    lines = []
    options = [
        ("Labor", "Opex"),
        ("Labor", "Capex"),
        ("Vendor", "Opex"),
        ("Hardware", "Capex"),
        ("Software", "Capex"),
        ("Other", "Opex"),
    ]
    for pid in projects["project_id"]:
        picks = rng.choice(len(options), size=int(rng.integers(2, 4)), replace=False)
        shares = rng.dirichlet(np.ones(len(picks)))
        for pick, share in zip(picks, shares, strict=True):
            lines.append(
                {
                    "project_id": pid,
                    "cost_category": options[pick][0],
                    "expense_type": options[pick][1],
                    "share": float(share),
                }
            )
    return pd.DataFrame(lines)


def _demand(
    rng: np.random.Generator, count: int, projects: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Requests over 24 months with their full (true) stage history."""
    names = list(PORTFOLIOS)
    start = SNAPSHOTS[-1] - pd.DateOffset(months=24)
    rows, history = [], []
    for i in range(count):
        portfolio = names[rng.integers(4)]
        submitted = (start + pd.Timedelta(days=int(rng.integers(0, 730)))).normalize()
        did = f"DEM-{i + 1:05d}"
        path = ["Submitted", "Triage", "Assessment", "Approved", "In Delivery", "Delivered"]
        outcome = rng.random()
        if outcome < 0.12:
            path = path[: int(rng.integers(2, 4))] + ["Rejected"]
        elif outcome < 0.18:
            path = path[: int(rng.integers(1, 4))] + ["Withdrawn"]
        when = submitted
        stuck_in_triage = i % 40 == 7
        for stage in path:
            history.append({"demand_id": did, "stage": stage, "entered_date": when})
            if stuck_in_triage and stage == "Triage":
                break
            wait = {
                "Submitted": 7,
                "Triage": 20,
                "Assessment": 45,
                "Approved": 40,
                "In Delivery": 200,
            }.get(stage, 30)
            when = (when + pd.Timedelta(days=int(rng.gamma(2.0, wait / 2.0)) + 1)).normalize()
        cost = float(rng.choice([50_000, 120_000, 250_000, 400_000, 750_000, 1_500_000]))
        rows.append(
            {
                "demand_id": did,
                "title": (
                    f"{SUBJECTS[rng.integers(len(SUBJECTS))]}"
                    f" {PROJECT_WORDS[rng.integers(len(PROJECT_WORDS))]} request {i + 1}"
                ),
                "customer": None if i % 53 == 11 else CUSTOMERS[rng.integers(len(CUSTOMERS))],
                "portfolio": portfolio,
                "sub_portfolio": PORTFOLIOS[portfolio][rng.integers(len(PORTFOLIOS[portfolio]))],
                "submitted_date": submitted,
                "estimated_cost": None if i % 37 == 5 else cost,
                "value_score": float(rng.integers(10, 100)),
                "priority": ["High", "Medium", "Low"][rng.choice(3, p=[0.25, 0.5, 0.25])],
            }
        )
    demand = pd.DataFrame(rows)
    hist = pd.DataFrame(history)
    # Delivered or in-delivery requests point at a project of their portfolio.
    started = hist[hist["stage"] == "In Delivery"]["demand_id"]
    demand["project_id"] = None
    free = {p: list(g["project_id"]) for p, g in projects.groupby("portfolio")}
    for did in started:
        idx = int(did.split("-")[1]) - 1
        pool = free.get(demand.at[idx, "portfolio"], [])
        if pool:
            demand.at[idx, "project_id"] = pool.pop(0)
    return demand, hist


def _milestones(projects: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for p in projects.itertuples():
        span = p.baseline_finish - p.baseline_start
        for name, share in MILESTONES.items():
            base = (p.baseline_start + span * share).normalize()
            true = (base + pd.Timedelta(days=int(p.slip_days * share))).normalize()
            rows.append(
                {
                    "project_id": p.project_id,
                    "milestone": name,
                    "is_gate": name in GATES,
                    "baseline_date": base,
                    "true_date": true,
                    "share": share,
                }
            )
    return pd.DataFrame(rows)


def _artifacts(rng: np.random.Generator, projects: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for i, pid in enumerate(projects["project_id"]):
        for gate, required in GATES.items():
            for artifact in required:
                # A few projects pass gates without every artifact approved.
                missing = (
                    i % 11 == 4 and artifact in ("Test Strategy", "Lessons Learned")
                ) or rng.random() < 0.03
                rows.append(
                    {"project_id": pid, "gate": gate, "artifact": artifact, "missing": missing}
                )
    return pd.DataFrame(rows)


def _risks(rng: np.random.Generator, count: int, projects: pd.DataFrame) -> pd.DataFrame:
    live = projects[projects["baseline_start"] < SNAPSHOTS[-1]].reset_index(drop=True)
    rows = []
    for i in range(count):
        p = live.iloc[int(rng.integers(len(live)))]
        end = min(p["true_finish"], SNAPSHOTS[-1])
        span = max((end - p["baseline_start"]).days, 1)
        raised = (p["baseline_start"] + pd.Timedelta(days=int(rng.integers(0, span)))).normalize()
        life = int(rng.gamma(2.0, 45.0)) + 5
        kind = "Issue" if rng.random() < 0.3 else "Risk"
        rows.append(
            {
                "item_id": f"{'ISS' if kind == 'Issue' else 'RSK'}-{i + 1:05d}",
                "project_id": p["project_id"],
                "kind": kind,
                "title": RISK_TITLES[rng.integers(len(RISK_TITLES))],
                "probability": int(rng.integers(1, 6)),
                "impact": int(rng.integers(1, 6)),
                "owner": None if i % 29 == 3 else MANAGERS[rng.integers(len(MANAGERS))],
                "raised_date": raised,
                "due_date": (raised + pd.Timedelta(days=int(rng.integers(20, 120)))).normalize(),
                "true_close": (raised + pd.Timedelta(days=life)).normalize()
                if rng.random() < 0.8
                else pd.NaT,
                "mitigating_after": (raised + pd.Timedelta(days=int(life * 0.4))).normalize(),
            }
        )
    return pd.DataFrame(rows)


FINANCIAL_BENEFITS = ("Licence savings", "Running cost savings", "Revenue uplift")
OTHER_BENEFITS = {"Staff hours saved": "hours", "Customer satisfaction": "NPS points"}
BENEFIT_MONTHS = 24  # months of benefits planned after the baseline finish


def _benefits(rng: np.random.Generator, projects: pd.DataFrame) -> pd.DataFrame:
    """The benefits each of about half the projects promised: per benefit its monthly plan from
    the month after the baseline finish, and how much of it the project truly delivers (none
    when cancelled), from the month after its true finish, the first two months at half pace."""
    rows = []
    for p in projects.itertuples():
        if rng.random() >= 0.5:
            continue
        count = 1 + int(rng.random() < 0.4)
        for n in range(count):
            financial = n == 0 or rng.random() < 0.5
            if financial:
                name = FINANCIAL_BENEFITS[rng.integers(len(FINANCIAL_BENEFITS))]
                measure, monthly = None, round(p.monthly_budget * float(rng.uniform(0.3, 1.1)), -2)
            else:
                name = list(OTHER_BENEFITS)[rng.integers(len(OTHER_BENEFITS))]
                measure = OTHER_BENEFITS[name]
                monthly = float(rng.integers(40, 400)) if measure == "hours" else 2.0
            realises = 0.0 if pd.notna(p.cancel_date) else float(rng.uniform(0.45, 1.15))
            rows.append(
                {
                    "project_id": p.project_id,
                    "benefit": name,
                    "benefit_type": "Financial" if financial else "Non-financial",
                    "measure": measure,
                    "owner": MANAGERS[rng.integers(len(MANAGERS))],
                    "planned_from": month_start(p.baseline_finish) + pd.DateOffset(months=1),
                    "realised_from": month_start(p.true_finish) + pd.DateOffset(months=1),
                    "monthly": monthly,
                    "realises": realises,
                }
            )
    out = pd.DataFrame(rows)
    return out.drop_duplicates(["project_id", "benefit"]).reset_index(drop=True)


def _benefits_view(world: World, projects: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The plan of every month; what was realised in each closed month (0 before delivery),
    blank in the open ones."""
    b = world.benefits[world.benefits["project_id"].isin(projects["project_id"])]
    offsets = np.arange(BENEFIT_MONTHS)
    long = b.loc[b.index.repeat(BENEFIT_MONTHS)].reset_index(drop=True)
    step = np.tile(offsets, len(b))
    month = long["planned_from"].dt.year * 12 + long["planned_from"].dt.month - 1 + step
    long["period"] = pd.to_datetime({"year": month // 12, "month": month % 12 + 1, "day": 1})
    delivered_month = long["realised_from"].dt.year * 12 + long["realised_from"].dt.month - 1
    delivered = month >= delivered_month
    ramp = np.where(month < delivered_month + 2, 0.5, 1.0)
    realised = (long["monthly"] * long["realises"] * ramp).where(delivered, 0.0).round(2)
    closed = (long["period"] + pd.offsets.MonthEnd(0)) <= as_of
    long["planned_value"] = long["monthly"]
    long["realised_value"] = realised.where(closed)
    return long


DECISIONS = (
    "Choose the hosting option",
    "Approve the vendor shortlist",
    "Agree the data retention rule",
    "Sign off the cut-over window",
    "Decide on the legacy system's retirement",
    "Fund the extra test cycle",
)
DECISION_OUTCOMES = ("Approved", "Option B chosen", "Deferred to next quarter", "Rejected")
ACTIONS = (
    "Send the updated plan to the steering group",
    "Confirm the test environment booking",
    "Chase the supplier's delivery note",
    "Update the risk register",
    "Book the go-live readiness review",
    "Share the benefits tracker with finance",
)
CHANGES = (
    "Additional integration scope",
    "Regulatory reporting added",
    "Move to the cloud hosting option",
    "Extra migration cycle",
)


def _days(rng: np.random.Generator, low: int, high: int) -> pd.Timedelta:
    return pd.Timedelta(days=int(rng.integers(low, high)))


def _raid(
    rng: np.random.Generator, projects: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Decisions (some taken late, some never), actions (some never done) and change requests:
    most projects that truly slip or overrun raise one, and most are approved, covering part of
    the slip and overrun; a few others ask for small changes."""
    decisions, actions, changes = [], [], []
    for p in projects.itertuples():
        life = max((p.true_finish - p.baseline_start).days, 30)
        for _ in range(int(rng.random() < 0.5) + int(rng.random() < 0.25)):
            raised = p.baseline_start + _days(rng, 0, int(life * 0.8) + 1)
            needed = raised + _days(rng, 14, 60)
            taken = rng.random() >= 0.15
            decisions.append(
                {
                    "decision_id": f"DEC-{len(decisions) + 1:05d}",
                    "project_id": p.project_id,
                    "title": DECISIONS[rng.integers(len(DECISIONS))],
                    "owner": MANAGERS[rng.integers(len(MANAGERS))],
                    "raised_date": raised,
                    "needed_by": needed,
                    "true_decided": needed + _days(rng, -10, 40) if taken else pd.NaT,
                    "outcome": DECISION_OUTCOMES[rng.integers(len(DECISION_OUTCOMES))],
                }
            )
        for _ in range(int(rng.integers(0, 5))):
            raised = p.baseline_start + _days(rng, 0, life + 1)
            due = raised + _days(rng, 7, 45)
            done = rng.random() >= 0.2
            actions.append(
                {
                    "action_id": f"ACT-{len(actions) + 1:05d}",
                    "project_id": p.project_id,
                    "title": ACTIONS[rng.integers(len(ACTIONS))],
                    "owner": None if rng.random() < 0.05 else MANAGERS[rng.integers(len(MANAGERS))],
                    "raised_date": raised,
                    "due_date": due,
                    "true_done": raised + _days(rng, 1, max(int((due - raised).days) + 30, 2))
                    if done
                    else pd.NaT,
                }
            )
        troubled = p.slip_days > 0 or p.overrun > 1
        if (troubled and rng.random() < 0.7) or (not troubled and rng.random() < 0.15):
            share = float(rng.uniform(0.3, 0.9))
            raised = p.baseline_start + _days(rng, int(life * 0.2), int(life * 0.6) + 1)
            fate = rng.random()
            status = "Approved" if fate < 0.7 else "Raised" if fate < 0.85 else "Rejected"
            cost = p.budget_at_completion * max(p.overrun - 1, 0.02) * share
            changes.append(
                {
                    "change_id": f"CR-{len(changes) + 1:05d}",
                    "project_id": p.project_id,
                    "title": CHANGES[rng.integers(len(CHANGES))],
                    "true_status": status,
                    "cost_impact": round(cost, -2),
                    "schedule_impact_days": int(round(p.slip_days * share)),
                    "scope_impact": "Scope added",
                    "raised_date": raised,
                    "true_decided": raised + _days(rng, 10, 40),
                }
            )
    return pd.DataFrame(decisions), pd.DataFrame(actions), pd.DataFrame(changes)


def _raid_views(
    world: World, projects: pd.DataFrame, as_of: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    """The decisions, actions and change requests as known on as_of."""
    kept = projects["project_id"]

    def known(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["project_id"].isin(kept) & (frame["raised_date"] <= as_of)].copy()

    d, a, c = known(world.decisions), known(world.actions), known(world.changes)
    decided = d["true_decided"] <= as_of
    d["decided_date"] = d["true_decided"].where(decided)
    d["outcome"] = d["outcome"].where(decided)
    a["done_date"] = a["true_done"].where(a["true_done"] <= as_of)
    settled = c["true_decided"] <= as_of
    c["status"] = c["true_status"].where(settled | (c["true_status"] == "Raised"), "Raised")
    c["approved_date"] = c["true_decided"].where(settled & (c["true_status"] == "Approved"))
    return {"decisions": d, "actions": a, "change_requests": c}


RAG_REASONS = {
    "Green": (
        "On track against the plan",
        "Milestones met this month; budget on plan",
        "Team confident of the go-live date",
    ),
    "Amber": (
        "Build running two weeks late; recovery plan agreed",
        "Supplier delivery slipped; mitigation in place",
        "Cost pressure from extra testing",
    ),
    "Red": (
        "Go-live at risk: critical defects still open",
        "Overrun needs a change request to the board",
        "Key supplier cannot meet the date",
    ),
}
ACCOMPLISHMENTS = (
    "Completed the design review",
    "Finished the second build sprint",
    "Migrated the test data",
    "Signed the supplier contract",
    "Ran the user acceptance workshops",
)
NEXT_STEPS = (
    "Start system integration testing",
    "Prepare the go-live readiness review",
    "Confirm the cut-over plan",
    "Close the open design questions",
)
DECISIONS_NEEDED = (None, None, "Approve the extra test cycle", "Agree the revised cut-over date")
REPORTS_KEPT = 3  # monthly status reports per project in a snapshot: the latest and two before


def _status_reports_view(projects: pd.DataFrame) -> pd.DataFrame:
    """Each open project's last monthly status reports, the latest on its last status update,
    in the words its reported RAG calls for (an optimistic manager's green reads green)."""
    p = projects[projects["status"].isin(["Active", "On Hold"])]
    p = p.dropna(subset=["last_status_update", "reported_rag"])
    rows = []
    for r in p.itertuples():
        n = int(r.project_id.split("-")[1])
        for k in range(REPORTS_KEPT):
            reasons = RAG_REASONS[r.reported_rag]
            reason = reasons[(n + k) % len(reasons)]
            if n % 150 == 33 and k == 0:  # a manager who writes at length
                reason = " ".join([reason + "."] * 12)
            rows.append(
                {
                    "project_id": r.project_id,
                    "report_date": r.last_status_update - pd.Timedelta(days=30 * k),
                    "reported_rag": r.reported_rag,
                    "rag_reason": reason,
                    "accomplishments": ACCOMPLISHMENTS[(n + k) % len(ACCOMPLISHMENTS)],
                    "next_steps": NEXT_STEPS[(n + k) % len(NEXT_STEPS)],
                    "decisions_needed": DECISIONS_NEEDED[(n + k) % len(DECISIONS_NEEDED)],
                }
            )
    return pd.DataFrame(rows, columns=TABLES["status_reports"].column_names)


SUPPLIED = "Build complete"  # the supplier's milestone a dependency waits on
WAITING = "Gate 3 - Go-Live Readiness"  # the consumer's milestone that waits


def _dependencies(
    rng: np.random.Generator, projects: pd.DataFrame, milestones: pd.DataFrame
) -> pd.DataFrame:
    """About a third of the projects wait on another's build before their go-live readiness
    (planned in that order), one in five of those on another portfolio's project; a few wait on
    a deliverable that is no milestone."""
    dates = milestones.pivot_table(
        index="project_id", columns="milestone", values="baseline_date", aggfunc="first"
    )
    build, ready = dates[SUPPLIED], dates[WAITING]
    portfolio = projects.set_index("project_id")["portfolio"]
    rows = []
    for pid in projects["project_id"]:
        if rng.random() >= 0.33:
            continue
        across = rng.random() < 0.2
        same = portfolio == portfolio[pid]
        # planned with little room to spare: a slip on either side can make it late
        room = (ready[pid] - build).dt.days
        fits = (room > 0) & (room <= 60) & (build.index != pid) & (~same if across else same)
        candidates = build.index[fits.reindex(build.index, fill_value=False)]
        if not len(candidates):
            continue
        supplier = candidates[rng.integers(len(candidates))]
        deliverable = rng.random() < 0.1
        rows.append(
            {
                "dependency_id": f"DEP-{len(rows) + 1:05d}",
                "project_id": pid,
                "milestone": WAITING,
                "needed_by": pd.NaT,
                "supplier_project_id": supplier,
                "supplier_milestone": "Interface specification" if deliverable else SUPPLIED,
                "description": "Needs the supplier's build in place before go-live readiness",
            }
        )
    return pd.DataFrame(rows, columns=TABLES["dependencies"].column_names)


def _resources(
    rng: np.random.Generator, count: int, projects: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = list(PORTFOLIOS)
    roles = list(ROLES)
    rows = []
    for i in range(count):
        role = roles[rng.choice(len(roles), p=[0.12, 0.14, 0.3, 0.14, 0.06, 0.12, 0.12])]
        kind = ["Employee", "Contractor", "Vendor"][rng.choice(3, p=[0.6, 0.25, 0.15])]
        team, rate = ROLES[role]
        portfolio = None if rng.random() < 0.2 else names[rng.integers(4)]
        rows.append(
            {
                "resource_id": f"RES-{i + 1:05d}",
                "name": f"{MANAGERS[i % len(MANAGERS)].split()[0]} {chr(65 + i % 26)}. {i + 1}",
                "role": role,
                "team": team,
                "portfolio": portfolio,
                "employment_type": kind,
                "vendor": VENDORS[rng.integers(len(VENDORS))] if kind == "Vendor" else None,
                "monthly_capacity_hours": 80.0 if rng.random() < 0.08 else 152.0,
                "hourly_rate": rate * {"Employee": 1.0, "Contractor": 1.5, "Vendor": 1.3}[kind],
                "overbooked": i % 12 == 5,
            }
        )
    resources = pd.DataFrame(rows)
    months = pd.DataFrame(
        {"period": _months(SNAPSHOTS[-1] - pd.DateOffset(months=12) + pd.Timedelta(days=1), 19)}
    )
    by_portfolio = {p: g["project_id"].to_numpy() for p, g in projects.groupby("portfolio")}
    everyone = projects["project_id"].to_numpy()
    pairs = []
    for r in resources.itertuples():
        pool = by_portfolio[r.portfolio] if isinstance(r.portfolio, str) else everyone
        for pid in rng.choice(pool, size=min(3, len(pool)), replace=False):
            pairs.append((r.resource_id, pid))
    work = pd.DataFrame(pairs, columns=["resource_id", "project_id"]).merge(months, how="cross")
    life = projects.set_index("project_id")
    month_end = work["period"] + pd.offsets.MonthEnd(0)
    live = (life.loc[work["project_id"], "baseline_start"].to_numpy() <= month_end.to_numpy()) & (
        (life.loc[work["project_id"], "true_finish"] + pd.Timedelta(days=10)).to_numpy()
        >= work["period"].to_numpy()
    )
    work = work[live].copy()
    per = resources.set_index("resource_id")
    load = np.where(per["overbooked"], 1.15, rng.uniform(0.55, 0.95, len(per)))
    per = per.assign(
        hours=per["monthly_capacity_hours"] * load, bau=rng.uniform(0.05, 0.25, len(per))
    )
    share = work.groupby(["resource_id", "period"])["project_id"].transform("count")
    r = per.loc[work["resource_id"]]
    work["planned_hours"] = (
        r["hours"].to_numpy() * (1 - r["bau"].to_numpy()) / share.to_numpy()
    ).round(1)
    bau = per[["hours", "bau"]].reset_index().merge(months, how="cross")
    bau = bau.assign(project_id=None, planned_hours=(bau["hours"] * bau["bau"]).round(1))
    alloc = pd.concat(
        [bau[["resource_id", "project_id", "period", "planned_hours"]], work], ignore_index=True
    )
    alloc["noise"] = rng.uniform(0.75, 1.15, len(alloc))
    return resources, alloc.sort_values(["resource_id", "period"], kind="stable").reset_index(
        drop=True
    )


def build_world(seed: int = 42, size: float = 1.0, portfolios: int = 4) -> World:
    """The true history; every count scales with size (1 = about 150 projects). portfolios
    above 4 (for benchmarks of many scopes) splits each of the four into copies: see
    split_portfolios."""
    rng = np.random.default_rng(seed)
    projects = _projects(rng, max(int(150 * size), 8))
    demand, history = _demand(rng, max(int(800 * size), 20), projects)
    for did, pid in demand.dropna(subset=["project_id"])[["demand_id", "project_id"]].itertuples(
        index=False
    ):
        projects.loc[projects["project_id"] == pid, "demand_id"] = did
    budget_lines = _budget_lines(rng, projects)
    noise = rng.uniform(0.95, 1.05, size=(len(budget_lines), HORIZON_MONTHS))
    resources, allocations = _resources(rng, max(int(250 * size), 10), projects)
    if portfolios > len(PORTFOLIOS):
        projects, demand, resources = split_portfolios(projects, demand, resources, portfolios)
    milestones = _milestones(projects)
    return World(
        projects=projects,
        demand=demand,
        stage_history=history,
        budget_lines=budget_lines,
        noise=noise,
        milestones=milestones,
        artifacts=_artifacts(rng, projects),
        risks=_risks(rng, max(int(400 * size), 20), projects),
        resources=resources,
        allocations=allocations,
        # its own generator: the tables above stay as they were before benefits were added
        benefits=_benefits(np.random.default_rng([seed, 20]), projects),
        **dict(
            zip(
                ("decisions", "actions", "changes"),
                _raid(np.random.default_rng([seed, 21]), projects),
                strict=True,
            )
        ),
        dependencies=_dependencies(np.random.default_rng([seed, 22]), projects, milestones),
    )


def portfolio_names(portfolios: int) -> list[str]:
    """The demo's portfolios: the four, or with portfolios > 4 each of them in
    ceil(portfolios / 4) numbered copies ("Data & Analytics 2")."""
    copies = math.ceil(portfolios / len(PORTFOLIOS))
    if copies <= 1:
        return list(PORTFOLIOS)
    return [f"{name} {k + 1}" for name in PORTFOLIOS for k in range(copies)]


def split_portfolios(
    projects: pd.DataFrame, demand: pd.DataFrame, resources: pd.DataFrame, portfolios: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Each portfolio in numbered copies, its projects, demand and people dealt out in turn (a
    request keeps its project's portfolio); sub-portfolios and programs keep their names, so
    they repeat across portfolios, as real exports' do."""
    copies = math.ceil(portfolios / len(PORTFOLIOS))

    def deal(frame: pd.DataFrame) -> pd.Series:
        k = pd.Series(np.arange(len(frame)) % copies + 1, index=frame.index).astype(str)
        return frame["portfolio"] + " " + k

    projects = projects.assign(portfolio=deal(projects))
    own = demand["project_id"].map(projects.set_index("project_id")["portfolio"])
    demand = demand.assign(portfolio=own.where(own.notna(), deal(demand)))
    return projects, demand, resources.assign(portfolio=deal(resources))


def write_params(folder: Path | str, portfolios: int) -> list[Path]:
    """A parameters file per demo portfolio (a copy of params/'s defaults and function files
    first): what a benchmark of many scopes runs with."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("defaults.yaml", "function.yaml"):
        shutil.copy(DEFAULT_PARAMS_DIR / name, folder / name)
    written = []
    for name in portfolio_names(portfolios):
        path = folder / f"{slugify(name)}.yaml"
        path.write_text(f"portfolio: {json.dumps(name)}\n", encoding="utf-8")
        written.append(path)
    return written


def _project_view(world: World, as_of: pd.Timestamp, k: int, n: int) -> pd.DataFrame:
    """Projects as their managers reported them on as_of (snapshot k of n)."""
    p = world.projects.copy()
    known = (k + 1) / n  # how much of the true slip and overrun has surfaced by now
    p = p[p["proposed_until"] <= as_of].copy()
    slip_now = (p["slip_days"] * known).round().astype(int)
    forecast = p["baseline_finish"] + pd.to_timedelta(slip_now, unit="D")
    finished = p["true_finish"] <= as_of
    cancelled = p["cancel_date"].notna() & (p["cancel_date"] <= as_of)
    started = p["baseline_start"] <= as_of
    status = np.select(
        [cancelled, finished, ~started, p["on_hold"] & (k == n - 1)],
        ["Cancelled", "Closed", "Proposed", "On Hold"],
        "Active",
    )

    # Progress in whole closed months over the true life, as the monthly plan and actuals count it.
    def month_number(day: pd.Series) -> pd.Series:
        return day.dt.year * 12 + day.dt.month

    last_closed = last_closed_month(as_of)
    elapsed = (last_closed.year * 12 + last_closed.month) - month_number(p["baseline_start"]) + 1
    life = (month_number(p["true_finish"]) - month_number(p["baseline_start"]) + 1).clip(lower=1)
    done = (elapsed / life).clip(0, 1).where(p["true_finish"] > as_of, 1.0)
    stage = np.select(
        [done >= 1, done > 0.3, done > 0.05], ["Close", "Execute", "Plan"], "Initiate"
    )
    cost_ratio = 1 + (p["overrun"] - 1) * known
    worst = np.maximum(slip_now / 30.0, (cost_ratio - 1) * 20)
    computed = np.select([worst >= 3, worst >= 1], ["Red", "Amber"], "Green")
    reported = np.where((p["optimism"] > 0.6) & (computed != "Green"), "Green", computed)
    lag = p["update_lag"] + np.where(
        [_is_awkward(i, "stale_update") for i in p.index], 90 + 15 * k, 0
    )
    out = pd.DataFrame(
        {
            "project_id": p["project_id"],
            "project_name": p["project_name"],
            "program": p["program"],
            "portfolio": p["portfolio"],
            "sub_portfolio": p["sub_portfolio"],
            "project_manager": p["project_manager"],
            "status": status,
            "lifecycle_stage": np.where(status == "Proposed", "Initiate", stage),
            "baseline_start": p["baseline_start"],
            "baseline_finish": p["baseline_finish"],
            "forecast_finish": forecast.where(status != "Cancelled"),
            "actual_finish": p["true_finish"].where(finished & ~cancelled),
            "budget_at_completion": p["budget_at_completion"],
            "percent_complete": (done * 100).round(0),
            "last_status_update": (as_of - pd.to_timedelta(lag, unit="D")).clip(upper=as_of),
            "reported_rag": np.where(np.isin(status, ["Active", "On Hold"]), reported, None),
            "demand_id": p["demand_id"],
        }
    )
    for i in out.index:
        if _is_awkward(i, "no_baseline"):
            out.loc[i, ["baseline_start", "baseline_finish"]] = pd.NaT
        if _is_awkward(i, "zero_budget"):
            out.loc[i, "budget_at_completion"] = 0.0
        if _is_awkward(i, "forecast_before_start"):
            out.loc[i, "forecast_finish"] = out.at[i, "baseline_start"] - pd.Timedelta(days=20)
    return out.reset_index(drop=True)


def _financials_view(
    world: World, projects: pd.DataFrame, as_of: pd.Timestamp, k: int, n: int
) -> pd.DataFrame:
    truth = world.projects.set_index("project_id")
    lines = world.budget_lines.reset_index(drop=True)
    keep = lines["project_id"].isin(projects["project_id"])
    months = _months(HORIZON_START, HORIZON_MONTHS)
    last_closed = last_closed_month(as_of)
    t = truth.loc[lines["project_id"]]
    start = t["baseline_start"].to_numpy()
    base_end = t["baseline_finish"].to_numpy()
    true_end = np.where(t["cancel_date"].notna(), t["cancel_date"], t["true_finish"]).astype(
        "datetime64[ns]"
    )
    m = months.to_numpy()[None, :]
    month_end = (months + pd.offsets.MonthEnd(0)).to_numpy()[None, :]
    in_plan = (month_end >= start[:, None]) & (m <= base_end[:, None])
    in_life = (month_end >= start[:, None]) & (m <= true_end[:, None])
    monthly = (t["monthly_budget"].to_numpy() * lines["share"].to_numpy())[:, None]
    idx = np.array([int(pid.split("-")[1]) - 1 for pid in lines["project_id"]])
    plan = np.where(in_plan, monthly, 0.0)
    # A slipping project spreads its cost over the longer life: it burns slower, not more.
    stretch = (
        (t["baseline_finish"] - t["baseline_start"]).dt.days
        / (t["true_finish"] - t["baseline_start"]).dt.days
    ).to_numpy()
    actual = monthly * (t["overrun"].to_numpy() * stretch)[:, None] * world.noise
    known = (k + 1) / n
    estimate = monthly * (1 + (t["overrun"].to_numpy()[:, None] - 1) * known)
    closed = m <= np.datetime64(last_closed)
    late_actuals = (
        np.isin(idx % 150, AWKWARD["actuals_after_close"])[:, None]
        & (m > true_end[:, None])
        & (m <= true_end[:, None] + np.timedelta64(70, "D"))
    )
    actual = np.where((in_life & closed) | (late_actuals & closed), actual, 0.0)
    stale_fc = (
        np.isin(idx % 150, AWKWARD["forecast_in_closed_month"])[:, None]
        & closed
        & (m > np.datetime64(last_closed) - np.timedelta64(95, "D"))
    )
    forecast = np.where((in_life & ~closed) | (stale_fc & in_life), estimate, 0.0)
    plan = np.where(np.isin(idx % 150, AWKWARD["no_plan"])[:, None], 0.0, plan)
    frames = []
    for measure, values in (("plan", plan), ("actual", actual), ("forecast", forecast)):
        rows, cols = np.nonzero((values > 0) & keep.to_numpy()[:, None])
        frames.append(
            pd.DataFrame(
                {
                    "project_id": lines["project_id"].to_numpy()[rows],
                    "period": months.to_numpy()[cols],
                    "measure": measure,
                    "amount": np.round(values[rows, cols], 2),
                    "cost_category": lines["cost_category"].to_numpy()[rows],
                    "expense_type": lines["expense_type"].to_numpy()[rows],
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    # A vendor credit: a negative actual, which spend hygiene asks finance to check.
    credited = out[
        (out["measure"] == "actual")
        & out["project_id"].map(lambda p: int(p[4:]) % 150 == AWKWARD["credit"][0])
    ]
    if len(credited):
        used = set(zip(credited["cost_category"], credited["expense_type"], strict=True))
        category, expense = next(
            (c, e)
            for c in ("Vendor", "Other", "Software")
            for e in ("Opex", "Capex")
            if (c, e) not in used
        )
        credit = credited.iloc[[-1]].assign(
            amount=-round(float(credited["amount"].iloc[-1]) * 0.3, 2),
            cost_category=category,
            expense_type=expense,
        )
        out = pd.concat([out, credit], ignore_index=True)
    return out


def _milestones_view(
    world: World, projects: pd.DataFrame, as_of: pd.Timestamp, k: int, n: int
) -> pd.DataFrame:
    m = world.milestones[world.milestones["project_id"].isin(projects["project_id"])].copy()
    known = (k + 1) / n
    slip = (m["true_date"] - m["baseline_date"]) * known
    forecast = (m["baseline_date"] + slip).dt.normalize()
    reached = m["true_date"] <= as_of
    # Some managers forget to record an actual date: the milestone shows overdue.
    forgotten = reached & (m["project_id"].str[-1] == "7") & (m["share"] > 0.6)
    return pd.DataFrame(
        {
            "project_id": m["project_id"],
            "milestone": m["milestone"],
            "is_gate": m["is_gate"],
            "baseline_date": m["baseline_date"],
            "forecast_date": forecast.where(~reached | forgotten, m["true_date"]),
            "actual_date": m["true_date"].where(reached & ~forgotten),
        }
    )


def _artifacts_view(world: World, milestones: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    a = world.artifacts.merge(
        milestones[["project_id", "milestone", "actual_date", "baseline_date"]],
        left_on=["project_id", "gate"],
        right_on=["project_id", "milestone"],
    )
    passed = a["actual_date"].notna()
    soon = (a["baseline_date"] - as_of).dt.days < 60
    status = np.select(
        [passed & ~a["missing"], passed, soon], ["Approved", "Missing", "Submitted"], "Missing"
    )
    out = a[passed | soon]
    return pd.DataFrame(
        {
            "project_id": out["project_id"],
            "gate": out["gate"],
            "artifact": out["artifact"],
            "status": status[(passed | soon).to_numpy()],
            "due_date": (out["baseline_date"] - pd.Timedelta(days=14)).dt.normalize(),
        }
    )


def _risks_view(world: World, projects: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    r = world.risks[
        (world.risks["raised_date"] <= as_of)
        & world.risks["project_id"].isin(projects["project_id"])
    ]
    closed = r["true_close"].notna() & (r["true_close"] <= as_of)
    status = np.select([closed, r["mitigating_after"] <= as_of], ["Closed", "Mitigating"], "Open")
    return pd.DataFrame(
        {
            "item_id": r["item_id"],
            "project_id": r["project_id"],
            "kind": r["kind"],
            "title": r["title"],
            "probability": r["probability"],
            "impact": r["impact"],
            "status": status,
            "owner": r["owner"],
            "raised_date": r["raised_date"],
            "due_date": r["due_date"],
            "closed_date": r["true_close"].where(closed),
        }
    )


def _allocations_view(
    world: World, projects: pd.DataFrame, as_of: pd.Timestamp, k: int
) -> pd.DataFrame:
    a = world.allocations
    horizon = month_start(as_of) + pd.DateOffset(months=6)
    a = a[
        (a["period"] <= horizon)
        & (a["project_id"].isna() | a["project_id"].isin(projects["project_id"]))
    ]
    closed = (a["period"] + pd.offsets.MonthEnd(0)) <= as_of
    # Future bookings are re-planned a little at every snapshot.
    drift = np.where(closed, 1.0, 1.0 + 0.04 * k * np.sign(a["noise"] - 0.95))
    planned = (a["planned_hours"] * drift).round(1)
    return pd.DataFrame(
        {
            "resource_id": a["resource_id"],
            "project_id": a["project_id"],
            "period": a["period"],
            "planned_hours": planned,
            "actual_hours": (a["planned_hours"] * a["noise"]).round(1).where(closed),
        }
    )


def snapshot_tables(world: World, as_of: pd.Timestamp, k: int, n: int) -> dict[str, pd.DataFrame]:
    """The canonical tables as known on as_of (snapshot k of n), typed as the model says."""
    projects = _project_view(world, as_of, k, n)
    history = world.stage_history[world.stage_history["entered_date"] <= as_of]
    current = (
        history.sort_values("entered_date").groupby("demand_id").tail(1).set_index("demand_id")
    )
    demand = world.demand[world.demand["submitted_date"] <= as_of].copy()
    demand["stage"] = demand["demand_id"].map(current["stage"])
    decided = history[history["stage"].isin(["Approved", "Rejected"])].set_index("demand_id")[
        "entered_date"
    ]
    demand["decision_date"] = demand["demand_id"].map(decided)
    demand["project_id"] = demand["project_id"].where(
        demand["stage"].isin(["In Delivery", "Delivered"])
    )
    demand["project_id"] = demand["project_id"].where(
        demand["project_id"].isin(projects["project_id"])
    )
    milestones = _milestones_view(world, projects, as_of, k, n)
    resources = world.resources
    frames = {
        "projects": projects,
        "demand": demand,
        "demand_stage_history": history,
        "financials": _financials_view(world, projects, as_of, k, n),
        "milestones": milestones,
        "risks": _risks_view(world, projects, as_of),
        "artifacts": _artifacts_view(world, milestones, as_of),
        "resources": resources,
        "allocations": _allocations_view(world, projects, as_of, k),
        "benefits": _benefits_view(world, projects, as_of),
        **_raid_views(world, projects, as_of),
        "status_reports": _status_reports_view(projects),
        "dependencies": world.dependencies[
            world.dependencies["project_id"].isin(projects["project_id"])
            & world.dependencies["supplier_project_id"].isin(projects["project_id"])
        ],
    }
    return {
        name: frame[TABLES[name].column_names].reset_index(drop=True).astype(TABLES[name].dtypes)
        for name, frame in frames.items()
    }


def build_demo_store(
    store: Path | str, seed: int = 42, size: float = 1.0, portfolios: int = 4
) -> list[pd.Timestamp]:
    """(Re)build the demo store: one snapshot per SNAPSHOTS date. Returns the as_of dates."""
    world = build_world(seed, size, portfolios)
    for k, as_of in enumerate(SNAPSHOTS):
        frames = snapshot_tables(world, as_of, k, len(SNAPSHOTS))
        write_snapshot(store, frames, as_of.date(), source=f"demo (seed {seed}, size {size:g})")
    return list(SNAPSHOTS)


def export_demo(folder: Path | str, seed: int = 42, size: float = 1.0) -> Path:
    """Write the latest demo snapshot as CSV exports, one file per table, as a user would supply."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    world = build_world(seed, size)
    frames = snapshot_tables(world, SNAPSHOTS[-1], len(SNAPSHOTS) - 1, len(SNAPSHOTS))
    for name, frame in frames.items():
        out = frame.copy()
        for column in TABLES[name].columns:
            if column.type == "date":
                out[column.name] = out[column.name].dt.strftime("%Y-%m-%d")
        out.to_csv(folder / f"{name}.csv", index=False)
    return folder
