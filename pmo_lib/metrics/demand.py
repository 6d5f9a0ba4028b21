"""Demand pipeline metrics: funnel and conversion, flow, ageing against SLA, lead time,
prioritisation, customers and changes between snapshots (definitions in DESIGN.md).

Every function takes the demand table (and the stage history when there is one) and returns a
small frame. Without a stage history the functions fall back on the current stage and the
request's own dates; `uses_history` says which applies, so the page can say it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pmo_lib import hierarchy
from pmo_lib.data import Snapshot, among
from pmo_lib.metrics.spend import months_of, position_of_months
from pmo_lib.params import DemandParams, DemandScoring
from pmo_lib.schema import DEMAND_STAGES, DEMAND_TERMINAL

PIPELINE = list(DEMAND_STAGES)  # Submitted ... Delivered, in order
TERMINAL = list(DEMAND_TERMINAL)  # Rejected, Withdrawn
OPEN = PIPELINE[:-1]  # not delivered and not terminal: the open demand
BACKLOG = ["Submitted", "Triage", "Assessment", "Approved"]  # open and not yet in delivery
APPROVED_OR_LATER = ["Approved", "In Delivery", "Delivered"]
PRIORITY_POINTS = {"High": 1.0, "Medium": 0.5, "Low": 0.0}


def uses_history(history: pd.DataFrame | None) -> bool:
    return history is not None and not history.empty


def _lookup(ids: pd.Series, values: pd.Series) -> pd.Series:
    """values (indexed by id) for each of ids, keeping the values' dtype (blank where absent)."""
    return values.reindex(ids.to_numpy()).set_axis(ids.index).astype("datetime64[us]")


def _stage_index(stage: pd.Series) -> pd.Series:
    return stage.map({s: i for i, s in enumerate(PIPELINE)})


def reached(demand: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """One row per request and pipeline stage: True when the request got to that stage.

    With history: it entered the stage or any later one. Without: its current stage is that
    stage or later (a rejected or withdrawn request counts as having reached Submitted only).
    """
    ids = demand["demand_id"]
    if uses_history(history):
        h = history[among(history["demand_id"], ids) & history["stage"].isin(PIPELINE)]
        furthest = _stage_index(h["stage"]).groupby(h["demand_id"]).max()
        furthest = ids.map(furthest).fillna(0)
    else:
        furthest = _stage_index(demand["stage"]).fillna(0)
    return pd.DataFrame(
        {s: (furthest >= i).to_numpy() for i, s in enumerate(PIPELINE)}, index=ids.to_numpy()
    )


def funnel(demand: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """Per pipeline stage: requests now in it and their estimated cost (blank when no request
    has an estimate), requests that reached it, and the conversion = reached / left the stage
    before it (blank for the first stage, and next to a stage the history never recorded)."""
    got_to = reached(demand, history)
    now = demand.groupby("stage")["estimated_cost"].agg(["size", "sum"])
    estimated = demand["estimated_cost"].notna().any()
    # with a history, a stage no request was ever seen in is implied, not recorded: no
    # conversion into or out of it (a Jira export goes from created straight to done)
    # (from the columns' unique values: a set of every row took 0.3 s at 100x the demo)
    seen = (
        set(history["stage"].unique()) | set(demand["stage"].unique())
        if uses_history(history)
        else None
    )
    rows = []
    for i, stage in enumerate(PIPELINE):
        current = int(now["size"].get(stage, 0))
        recorded = seen is None or stage in seen
        conversion = None
        if i and recorded and (seen is None or PIPELINE[i - 1] in seen):
            before = PIPELINE[i - 1]
            left = int(got_to[before].sum()) - int(now["size"].get(before, 0))
            conversion = got_to[stage].sum() / left if left else None
        rows.append(
            {
                "stage": stage,
                "requests": current,
                "estimated_cost": float(now["sum"].get(stage, 0.0)) if estimated else None,
                "reached": int(got_to[stage].sum()),
                "conversion": None if conversion is None else float(conversion),
                "recorded": recorded,
            }
        )
    return pd.DataFrame(rows)


def outcomes(demand: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """Rejected and withdrawn requests with their cost and, from the history, the stage they
    left."""
    ended = demand[demand["stage"].isin(TERMINAL)]
    left_from = pd.Series("unknown (no stage history)", index=ended.index, dtype="str")
    if uses_history(history):
        h = history[
            among(history["demand_id"], ended["demand_id"].unique())
            & history["stage"].isin(PIPELINE)
        ]
        last = h.sort_values("entered_date").groupby("demand_id")["stage"].last()
        left_from = ended["demand_id"].map(last).fillna("unknown").astype("str")
    table = pd.DataFrame(
        {
            "outcome": ended["stage"],
            "left_from": left_from,
            "estimated_cost": ended["estimated_cost"],
        }
    )
    grouped = table.groupby(["outcome", "left_from"]).agg(
        requests=("outcome", "size"), estimated_cost=("estimated_cost", "sum")
    )
    return grouped.reset_index().astype({"estimated_cost": float})


def stage_entered(demand: pd.DataFrame, history: pd.DataFrame | None) -> pd.Series:
    """When each request entered its current stage (indexed like demand).

    Without history: the decision date for decided stages, else the submission date.
    """
    if uses_history(history):
        h = history.merge(demand[["demand_id", "stage"]], on=["demand_id", "stage"])
        entered = h.groupby("demand_id")["entered_date"].max()
        return _lookup(demand["demand_id"], entered)
    decided = demand["stage"].isin(APPROVED_OR_LATER + TERMINAL) & demand["decision_date"].notna()
    return demand["decision_date"].where(decided, demand["submitted_date"])


def ageing(
    demand: pd.DataFrame,
    history: pd.DataFrame | None,
    as_of: pd.Timestamp,
    sla_days: dict[str, int],
) -> pd.DataFrame:
    """Open requests with their age in the current stage (days), the stage's SLA and how far past
    it.

    Requests with an unknown entry date get a blank age and are never past SLA.
    """
    open_ = demand[demand["stage"].isin(OPEN)]
    age = (as_of - stage_entered(open_, history)).dt.days
    sla = open_["stage"].map(sla_days).astype("Float64")
    out = open_[
        ["demand_id", "title", "customer", "sub_portfolio", "stage", "estimated_cost"]
    ].assign(age_days=age.astype("Int64"), sla_days=sla)
    over = (out["age_days"] - out["sla_days"]).astype("Float64")
    return out.assign(
        days_over_sla=over, past_sla=(over > 0).fillna(False).astype(bool)
    ).reset_index(drop=True)


def past_sla(aged: pd.DataFrame) -> pd.DataFrame:
    """The requests past their stage's SLA, oldest first."""
    return (
        aged[aged["past_sla"]]
        .pipe(hierarchy.sort_naturally, ["age_days", "demand_id"], ascending=[False, True])
        .reset_index(drop=True)
    )


def lead_times(demand: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """Per request: days from submission to decision, and to delivery (from the history)."""
    out = demand[["demand_id", "stage", "submitted_date", "decision_date"]].copy()
    out["decision_days"] = (out["decision_date"] - out["submitted_date"]).dt.days.astype("Float64")
    delivered = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
    if uses_history(history):
        d = history[history["stage"] == "Delivered"].groupby("demand_id")["entered_date"].min()
        delivered = _lookup(out["demand_id"], d)
    out["delivered_date"] = delivered
    out["delivery_days"] = (delivered - out["submitted_date"]).dt.days.astype("Float64")
    return out


def percentile(values: pd.Series, q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation; None when there are no values."""
    clean = pd.to_numeric(values, errors="coerce").dropna().astype(float)
    return float(clean.quantile(q / 100.0)) if len(clean) else None


def lead_time_summary(leads: pd.DataFrame) -> pd.DataFrame:
    """Median and 85th percentile of each lead time, with how many requests it is over."""
    rows = []
    for column, label in (
        ("decision_days", "Submitted → decision"),
        ("delivery_days", "Submitted → delivery"),
    ):
        values = leads[column].dropna()
        rows.append(
            {
                "measure": label,
                "requests": len(values),
                "median_days": percentile(values, 50),
                "p85_days": percentile(values, 85),
            }
        )
    return pd.DataFrame(rows)


def median_decision_lead_time(
    leads: pd.DataFrame, as_of: pd.Timestamp, months: int = 12
) -> float | None:
    """Median submitted → decision days over requests decided in the last `months` months."""
    window = (leads["decision_date"] > as_of - pd.DateOffset(months=months)) & (
        leads["decision_date"] <= as_of
    )
    return percentile(leads.loc[window.fillna(False), "decision_days"], 50)


def lead_time_by_quarter(leads: pd.DataFrame) -> pd.DataFrame:
    """Median and 85th percentile of submitted → decision days, by quarter of the decision."""
    decided = leads.dropna(subset=["decision_date", "decision_days"])
    if decided.empty:
        return pd.DataFrame(columns=["quarter", "requests", "median_days", "p85_days"])
    quarter = decided["decision_date"].dt.to_period("Q").astype("str")
    grouped = decided.groupby(quarter)["decision_days"]
    return (
        pd.DataFrame(
            {
                "requests": grouped.size(),
                "median_days": grouped.apply(lambda v: percentile(v, 50)),
                "p85_days": grouped.apply(lambda v: percentile(v, 85)),
            }
        )
        .rename_axis("quarter")
        .reset_index()
    )


def _month(series: pd.Series) -> pd.Series:
    return series.dt.to_period("M").dt.to_timestamp()


def flow(
    demand: pd.DataFrame, history: pd.DataFrame | None, as_of: pd.Timestamp, months: int
) -> pd.DataFrame:
    """Arrivals (submitted), decisions and deliveries per month, for the last `months` months."""
    index = pd.date_range(end=_month(pd.Series([as_of])).iloc[0], periods=months, freq="MS")
    counts = {
        "arrivals": _month(demand["submitted_date"].dropna()).value_counts(),
        "decisions": _month(demand["decision_date"].dropna()).value_counts(),
    }
    leads = lead_times(demand, history)
    counts["deliveries"] = _month(leads["delivered_date"].dropna()).value_counts()
    return (
        pd.DataFrame({k: v.reindex(index, fill_value=0).astype(int) for k, v in counts.items()})
        .rename_axis("month")
        .reset_index()
    )


def cumulative_flow(
    history: pd.DataFrame, demand: pd.DataFrame, as_of: pd.Timestamp, months: int
) -> pd.DataFrame:
    """Requests in each stage at each month end (or at as_of for the current month), from the
    history."""
    h = history[among(history["demand_id"], demand["demand_id"].unique())].sort_values(
        ["demand_id", "entered_date"]
    )
    ends = pd.date_range(end=as_of, periods=months, freq="ME")
    ends = ends.append(pd.DatetimeIndex([as_of])) if ends[-1] != as_of else ends
    rows = []
    for end in ends:
        known = h[h["entered_date"] <= end]
        current = known.groupby("demand_id")["stage"].last().value_counts()
        rows.append({"month_end": end, **{s: int(current.get(s, 0)) for s in PIPELINE + TERMINAL}})
    return pd.DataFrame(rows)


def prioritise(demand: pd.DataFrame, weights: DemandScoring) -> pd.DataFrame:
    """The open backlog (not yet in delivery) ranked by the weighted score, highest first.

    score = 100 × (w_v·value/100 + w_c·(1 − cost/largest cost) + w_p·priority points)
            / (w_v + w_c + w_p);
    a missing value, cost or priority scores 0 on its part.
    """
    backlog = demand[demand["stage"].isin(BACKLOG)].copy()
    total = weights.value_weight + weights.cost_weight + weights.priority_weight
    value_part = (backlog["value_score"] / 100).fillna(0)
    largest = backlog["estimated_cost"].max()
    if pd.notna(largest) and largest > 0:
        cost_part = (1 - backlog["estimated_cost"] / largest).fillna(0)
    else:
        cost_part = pd.Series(0.0, index=backlog.index)
    priority_part = backlog["priority"].map(PRIORITY_POINTS).fillna(0).astype(float)
    weighted = (
        weights.value_weight * value_part
        + weights.cost_weight * cost_part
        + weights.priority_weight * priority_part
    )
    backlog["score"] = (100 * weighted / total).astype(float) if total else 0.0
    backlog = hierarchy.sort_naturally(
        backlog, ["score", "demand_id"], ascending=[False, True]
    ).reset_index(drop=True)
    backlog.insert(0, "rank", range(1, len(backlog) + 1))
    return backlog


def scoring_rule(weights: DemandScoring) -> str:
    return (
        f"Score = 100 × ({weights.value_weight:g} × value score / 100 + {weights.cost_weight:g} ×"
        f" (1 − estimated cost ÷ the largest estimate in the backlog) + {weights.priority_weight:g}"
        " × priority points (High 1, Medium 0.5, Low 0)) ÷"
        f" {weights.value_weight + weights.cost_weight + weights.priority_weight:g}; a missing"
        " value, cost or priority scores 0 on its part."
    )


def by_customer(demand: pd.DataFrame) -> pd.DataFrame:
    """Per customer: requests, estimated cost, decisions, approvals and approval rate (approved /
    decided)."""
    d = demand.assign(
        customer=demand["customer"].fillna("(no customer)"),
        approved=demand["stage"].isin(APPROVED_OR_LATER),
        rejected=demand["stage"] == "Rejected",
    )
    grouped = d.groupby("customer").agg(
        requests=("demand_id", "size"),
        estimated_cost=("estimated_cost", "sum"),
        approved=("approved", "sum"),
        rejected=("rejected", "sum"),
    )
    decided = grouped["approved"] + grouped["rejected"]
    grouped["approval_rate"] = (grouped["approved"] / decided.where(decided > 0)).astype(float)
    return (
        grouped.astype({"estimated_cost": float})
        .sort_values(["requests", "estimated_cost"], ascending=False)
        .reset_index()
    )


def demand_vs_capacity(demand: pd.DataFrame, fy: dict) -> dict[str, float]:
    """Estimated cost of approved, not-started demand against the FY budget headroom (Plan −
    Outlook)."""
    waiting = demand[demand["stage"] == "Approved"]
    cost = float(waiting["estimated_cost"].sum())
    headroom = float(fy["fy_headroom"])
    return {
        "approved_not_started": len(waiting),
        "approved_cost": cost,
        "headroom": headroom,
        "gap": headroom - cost,
    }


def changes(
    now: pd.DataFrame, before: pd.DataFrame | None, since: pd.Timestamp | None, as_of: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    """Requests that moved stage, new requests, and decisions taken since the previous snapshot."""
    empty = now.iloc[:0]
    if before is None or since is None:
        return {
            "moved": empty.assign(previous_stage=pd.Series(dtype="str")),
            "new": empty,
            "decided": empty,
        }
    merged = now.merge(
        before[["demand_id", "stage"]], on="demand_id", how="left", suffixes=("", "_before")
    )
    moved = merged[merged["stage_before"].notna() & (merged["stage"] != merged["stage_before"])]
    moved = moved.rename(columns={"stage_before": "previous_stage"})
    new = now[~among(now["demand_id"], before["demand_id"].unique())]
    decided = now[(now["decision_date"] > since) & (now["decision_date"] <= as_of)]
    return {
        "moved": moved.reset_index(drop=True),
        "new": new.reset_index(drop=True),
        "decided": decided.reset_index(drop=True),
    }


def headlines(
    demand: pd.DataFrame, history: pd.DataFrame | None, as_of: pd.Timestamp, params: DemandParams
) -> dict[str, float | int | None]:
    """The manifest's figures for the demand pipeline (none without any request)."""
    if demand.empty:
        return dict.fromkeys(
            [
                "demand_open_count",
                "demand_open_estimated_cost",
                "demand_past_sla_count",
                "demand_median_lead_time_days",
            ]
        )
    open_ = demand[demand["stage"].isin(OPEN)]
    aged = ageing(demand, history, as_of, params.sla_days)
    return {
        "demand_open_count": len(open_),
        # no estimate on any request: the data carries none, so no figure (not $0)
        "demand_open_estimated_cost": (
            None if demand["estimated_cost"].isna().all() else float(open_["estimated_cost"].sum())
        ),
        "demand_past_sla_count": int(aged["past_sla"].sum()),
        "demand_median_lead_time_days": median_decision_lead_time(
            lead_times(demand, history), as_of
        ),
    }


@dataclass(frozen=True)
class Pipeline:
    """Everything the demand pipeline report shows, computed once from a snapshot pair."""

    history_used: bool
    funnel: pd.DataFrame
    outcomes: pd.DataFrame
    flow: pd.DataFrame
    cumulative: pd.DataFrame | None  # None without stage history
    aged: pd.DataFrame
    late: pd.DataFrame
    leads: pd.DataFrame
    lead_summary: pd.DataFrame
    lead_by_quarter: pd.DataFrame
    median_lead_12m: float | None
    ranked: pd.DataFrame
    customers: pd.DataFrame
    fiscal: dict | None  # None without financials
    capacity: dict | None
    changes: dict[str, pd.DataFrame]
    headlines: dict


def analyse(
    now: Snapshot, before: Snapshot | None, params: DemandParams, fiscal_year_start_month: int
) -> Pipeline:
    demand, history = now["demand"], now["demand_stage_history"]
    history = history if uses_history(history) else None
    leads = lead_times(demand, history)
    aged = ageing(demand, history, now.as_of, params.sla_days)
    months = months_of(now)
    fiscal = position_of_months(months, now.as_of, fiscal_year_start_month) if len(months) else None
    return Pipeline(
        history_used=history is not None,
        funnel=funnel(demand, history),
        outcomes=outcomes(demand, history),
        flow=flow(demand, history, now.as_of, params.flow_months),
        cumulative=cumulative_flow(history, demand, now.as_of, params.flow_months)
        if history is not None
        else None,
        aged=aged,
        late=past_sla(aged),
        leads=leads,
        lead_summary=lead_time_summary(leads),
        lead_by_quarter=lead_time_by_quarter(leads),
        median_lead_12m=median_decision_lead_time(leads, now.as_of),
        ranked=prioritise(demand, params.scoring),
        customers=by_customer(demand),
        fiscal=fiscal,
        capacity=demand_vs_capacity(demand, fiscal) if fiscal else None,
        changes=changes(
            demand,
            before["demand"] if before else None,
            before.as_of if before else None,
            now.as_of,
        ),
        headlines=headlines(demand, history, now.as_of, params),
    )
