"""The demand scenario planner: which candidate requests to approve under the FY budget headroom
and each role's free hours, to get the most of the backlog's score.

An exact answer, not a greedy one: a 0-1 integer programme solved by scipy.optimize.milp (HiGHS
underneath). Maximise the sum of the chosen requests' scores (demand.prioritise's rule) subject
to: their estimated cost within the budget, and, per role, the hours they need within the role's
free hours. Requests pinned in must be chosen, pinned out must not. A request without a cost
estimate cannot be weighed against the budget: it is left out and said so. Each request left
out is listed with the constraint that keeps it out (the one it would break if added to the
recommendation); between equal scores the request ranked first wins. `one_more` re-solves with
one more unit of each constraint to say what it would admit; `ladder` solves at several budgets.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

BUDGET = "budget"
BUDGET_UNIT = 250_000  # "what one more unit admits": this much more budget ...
HOURS_UNIT = 160  # ... or this many more hours of a role (about one person-month)
MAX_CANDIDATES = 1_000  # the highest-ranked requests weighed; an exact answer over 9,000 took
# HiGHS minutes (0.3 s at 1,000, 3 s at 4,000 on 2 cores): benchmarks/bench_planner.py
SECONDS = 10.0  # a solve stops here and keeps the best set found so far (said on the page)


@dataclass(frozen=True)
class Plan:
    status: str  # optimal, best found (stopped at SECONDS), infeasible, empty (no candidate)
    chosen: pd.DataFrame  # the recommended requests: demand_id, cost, score, hours per role
    left_out: pd.DataFrame  # the others, with why (the constraint that keeps each out)
    budget: float
    capacity: dict[str, float]  # role -> free hours
    cost: float = 0.0  # of the recommended set
    score: float = 0.0  # its total score
    binding: list[str] = field(default_factory=list)  # constraints that keep a request out
    reason: str = ""  # why infeasible
    gap: float = 0.0  # best found: how far below the best possible score it may lie (share)

    @property
    def found(self) -> bool:
        """A recommended set exists (optimal, or the best found in the time allowed)."""
        return self.status in ("optimal", "best found")


def solve(
    candidates: pd.DataFrame,
    budget: float,
    capacity: dict[str, float] | None = None,
    pinned_in: tuple[str, ...] = (),
    pinned_out: tuple[str, ...] = (),
) -> Plan:
    """candidates: demand_id, cost, score and, per role in capacity, a column hours_<role>
    (missing: 0 hours). capacity: role -> free hours (None or empty: budget alone)."""
    capacity = dict(capacity or {})
    rows = candidates.reset_index(drop=True)
    no_cost = rows["cost"].isna()
    unweighable = rows[no_cost].assign(why="no cost estimate: it cannot be weighed")
    rows = rows[~no_cost].reset_index(drop=True)
    for role in capacity:
        column = f"hours_{role}"
        rows[column] = rows[column].fillna(0.0) if column in rows else 0.0
    if rows.empty:
        return Plan("empty", rows, unweighable, budget, capacity)
    both = sorted(set(pinned_in) & set(pinned_out))
    unknown = sorted(set(pinned_in) - set(rows["demand_id"]))
    if both:
        said = f"pinned both in and out: {', '.join(both)}"
    elif budget < 0:
        said = f"the budget is negative ({budget:,.0f})"
    elif unknown:
        said = f"pinned in but not a candidate with a cost estimate: {', '.join(unknown)}"
    else:
        said = ""
    if said:
        return _infeasible(rows, unweighable, budget, capacity, said)
    names = [BUDGET, *capacity]
    needs = np.vstack(
        [rows["cost"].to_numpy(float)]
        + [rows[f"hours_{role}"].to_numpy(float) for role in capacity]
    )
    limits = np.array([budget, *capacity.values()], dtype=float)
    lower = rows["demand_id"].isin(pinned_in).to_numpy(float)
    upper = (~rows["demand_id"].isin(pinned_out)).to_numpy(float)
    # equal scores: the request listed first (demand.prioritise's rank) is preferred; the
    # solver's gap is 0 so that so small a preference is kept
    tie_break = 1e-3 * np.arange(len(rows), 0, -1) / len(rows)
    objective = -(rows["score"].fillna(0).to_numpy(float) + tie_break)
    found = _solved(objective, needs, limits, lower, upper)
    stopped = found["status"] == 1 and found["x"] is not None  # time limit, with a feasible set
    if (found["status"] != 0 and not stopped) or found["x"] is None:
        pinned = needs[:, lower == 1].sum(axis=1)
        broken = [n for n, need, limit in zip(names, pinned, limits, strict=True) if need > limit]
        what = ", ".join(broken) or "the constraints"
        return _infeasible(
            rows,
            unweighable,
            budget,
            capacity,
            f"the requests pinned in need more than the {what} allows",
        )
    take = np.array(found["x"], dtype=bool)
    used = needs[:, take].sum(axis=1)
    left = rows[~take].copy()
    left["why"] = [
        "pinned out"
        if demand_id in pinned_out
        else " and ".join(
            _label(n)
            for n, need, u, limit in zip(names, needs[:, i], used, limits, strict=True)
            if u + need > limit + 1e-9
        )
        or "its score adds less than what it would displace"
        for i, demand_id in zip(np.flatnonzero(~take), left["demand_id"], strict=True)
    ]
    return Plan(
        "best found" if stopped else "optimal",
        rows[take].reset_index(drop=True),
        pd.concat([left, unweighable], ignore_index=True),
        budget,
        capacity,
        cost=float(used[0]),
        score=float(rows.loc[take, "score"].fillna(0).sum()),
        binding=[  # what keeps at least one request out
            n
            for n, need, u, limit in zip(names, needs, used, limits, strict=True)
            if ((u + need[~take]) > limit + 1e-9).any()
        ],
        gap=float(found["gap"] or 0.0) if stopped else 0.0,
    )


def _solved(
    objective: np.ndarray,
    needs: np.ndarray,
    limits: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> dict:
    """milp's answer to the 0-1 programme (minimise objective, needs @ x <= limits, lower <= x <=
    upper): its status, x (0 or 1 per request; None without a feasible set) and gap. In a batch
    run an exact answer (optimal, or infeasible) is kept for the next run under a digest of the
    programme (pmo_lib.kept; scipy's version is in the code's print): the function's scenario
    ladder is the same programme again when only the financials changed. An answer stopped at
    the time limit is not kept: another run may find better."""
    from pmo_lib import kept

    digest = hashlib.sha256()
    for part in (objective, needs, limits, lower, upper):
        array = np.ascontiguousarray(part, dtype=float)
        digest.update(f"{array.shape};".encode())
        digest.update(array.tobytes())
    return kept.value(
        ("planner", digest.hexdigest()),
        lambda: _milp(objective, needs, limits, lower, upper),
        keep=lambda answer: answer["status"] != 1,
    )


def _milp(objective, needs, limits, lower, upper) -> dict:
    from scipy.optimize import Bounds, LinearConstraint, milp

    found = milp(
        objective,
        integrality=np.ones(len(objective)),
        bounds=Bounds(lower, upper),
        constraints=LinearConstraint(needs, -np.inf, limits),
        options={"mip_rel_gap": 0, "time_limit": SECONDS},
    )
    return {
        "status": int(found.status),
        "x": None if found.x is None else [int(v) for v in np.round(found.x)],
        "gap": None if found.mip_gap is None else float(found.mip_gap),
    }


def _infeasible(
    rows: pd.DataFrame, unweighable: pd.DataFrame, budget: float, capacity: dict, reason: str
) -> Plan:
    """No plan: nothing chosen, every candidate listed, the reason in words."""
    left = pd.concat([rows.assign(why=""), unweighable], ignore_index=True)
    return Plan("infeasible", rows.iloc[0:0], left, budget, capacity, reason=reason)


def _label(name: str) -> str:
    return "the budget" if name == BUDGET else f"{name} hours"


def one_more(
    candidates: pd.DataFrame,
    plan: Plan,
    budget_unit: float,
    hours_unit: float,
    pinned_in: tuple[str, ...] = (),
    pinned_out: tuple[str, ...] = (),
) -> dict[str, list[str]]:
    """Per constraint (budget, then each role), the requests that one more unit of it would
    add to the recommendation (budget_unit of money, hours_unit of hours); [] when none."""
    if not plan.found:
        return {}
    before = set(plan.chosen["demand_id"])
    admits = {}
    for name in [BUDGET, *plan.capacity]:
        if name not in plan.binding:  # it keeps no request out: one more unit admits none
            admits[name] = []
            continue
        budget = plan.budget + (budget_unit if name == BUDGET else 0)
        capacity = {
            role: hours + (hours_unit if role == name else 0)
            for role, hours in plan.capacity.items()
        }
        wider = solve(candidates, budget, capacity, pinned_in, pinned_out)
        admits[name] = sorted(set(wider.chosen["demand_id"]) - before)
    return admits


CANDIDATE_STAGES = ("Submitted", "Triage", "Assessment")  # awaiting the approval decision


@dataclass(frozen=True)
class Inputs:
    candidates: pd.DataFrame  # demand_id, title, customer, stage, cost, score, hours_<role>
    budget: float | None  # FY headroom left after approved, not-started demand (None: unknown)
    capacity: dict[str, float]  # role -> free hours over the coming months ({}: budget alone)
    rate: float | None  # blended hourly rate that turns a request's cost into hours
    months: int
    not_weighed: int = 0  # requests awaiting a decision ranked below the MAX_CANDIDATES weighed


def inputs(
    ranked: pd.DataFrame,
    vs_budget: dict | None,
    resources: pd.DataFrame,
    load: pd.DataFrame,
    as_of: pd.Timestamp,
    months: int = 3,
) -> Inputs:
    """What the planner weighs, from the demand report's ranked backlog (demand.prioritise), its
    demand against budget (demand.demand_vs_capacity) and the scope's people with their planned
    hours in any portfolio (data.resource_load).

    A request's hours: its estimated cost ÷ the scope's blended hourly rate (its people's rates
    weighted by their planned hours in the coming months), split across roles as those planned
    hours are. A role's free hours: its people's capacity over the coming `months` months less
    the hours already planned for them, never below 0. Without people, rates or plans: {} (the
    planner weighs the budget alone). Only the MAX_CANDIDATES highest-ranked requests are
    weighed; how many more await a decision is `not_weighed`."""
    wanted = ranked[ranked["stage"].isin(CANDIDATE_STAGES)]
    not_weighed = max(len(wanted) - MAX_CANDIDATES, 0)
    wanted = wanted.head(MAX_CANDIDATES)
    candidates = wanted[["demand_id", "title", "customer", "stage", "estimated_cost", "score"]]
    candidates = candidates.rename(columns={"estimated_cost": "cost"}).reset_index(drop=True)
    budget = None if vs_budget is None else float(vs_budget["gap"])
    start = (as_of + pd.offsets.MonthBegin(1)).normalize()
    coming = pd.date_range(start, periods=months, freq="MS")
    people = resources.dropna(subset=["role"])
    planned = load[load["period"].isin(coming)].merge(
        people[["resource_id", "role", "hourly_rate"]], on="resource_id"
    )
    hours = planned["planned_hours"].sum()
    priced = planned[planned["hourly_rate"] > 0]  # a rate of 0 or none prices no hour
    if people.empty or not hours or priced["planned_hours"].sum() == 0:
        return Inputs(candidates, budget, {}, None, months, not_weighed)
    rate = float(
        (priced["hourly_rate"] * priced["planned_hours"]).sum() / priced["planned_hours"].sum()
    )
    share = planned.groupby("role")["planned_hours"].sum() / hours
    capacity_hours = people.groupby("role")["monthly_capacity_hours"].sum() * months
    free = (capacity_hours - planned.groupby("role")["planned_hours"].sum()).fillna(capacity_hours)
    capacity = {str(r): max(float(h), 0.0) for r, h in free.items() if pd.notna(h)}
    for role in capacity:
        candidates[f"hours_{role}"] = candidates["cost"] / rate * float(share.get(role, 0.0))
    return Inputs(candidates, budget, capacity, rate, months, not_weighed)


def ladder(inputs: Inputs, shares: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)) -> pd.DataFrame:
    """Scenarios: the best set at budgets of these shares of the candidates' total estimated
    cost (rounded to two significant figures), within the same free hours. Per budget: requests
    approved, their cost and score, the share of the candidates' whole score, what binds."""
    costed = inputs.candidates.dropna(subset=["cost"])
    total, whole = float(costed["cost"].sum()), float(costed["score"].fillna(0).sum())
    budgets = [float(f"{total * share:.2g}") if total > 0 else 0.0 for share in shares]
    # the solver lets go of Python while it works: the budgets side by side, a core each (at
    # 100x the demo four exact solves took 3 s of the demand page one after another)
    with ThreadPoolExecutor(max_workers=max(1, min(len(budgets), os.cpu_count() or 1))) as pool:
        plans = list(pool.map(lambda b: solve(inputs.candidates, b, inputs.capacity), budgets))
    rows = []
    for budget, plan in zip(budgets, plans, strict=True):
        rows.append(
            {
                "budget": budget,
                "approved": len(plan.chosen),
                "cost": plan.cost,
                "score": plan.score,
                "score_share": plan.score / whole if whole else None,
                "binds": ", ".join(_label(n) for n in plan.binding) or "nothing",
            }
        )
    return pd.DataFrame(rows).astype({"score_share": "Float64"})
