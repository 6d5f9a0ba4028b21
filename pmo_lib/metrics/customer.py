"""Customer view metrics: one requesting business unit's (demand.customer) requests by stage and
age, the projects that deliver them (demand.project_id) with their computed RAG and forecast
finish, and what changed since the previous snapshot.

DataFrame in, numbers out: the words are in pmo_lib/sections/customer.py. The computed RAG is
the scope's (pmo_lib.metrics.health.assess over the scope's projects), so a project shows the
same RAG on its customer's page as on the scope's health report.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pmo_lib import hierarchy
from pmo_lib.data import Snapshot
from pmo_lib.metrics import demand as demand_metrics
from pmo_lib.metrics import health
from pmo_lib.params import DemandParams, HealthParams

STAGES = demand_metrics.PIPELINE + demand_metrics.TERMINAL  # Submitted ... Delivered, Rejected, ...
RAG_KEYS = {
    health.RED: "projects_red",
    health.AMBER: "projects_amber",
    health.GREEN: "projects_green",
    health.NO_DATA: "projects_no_data",
}


def requests(demand: pd.DataFrame, customer: str | None) -> pd.DataFrame:
    """The customer's requests (every request with no customer given)."""
    if not customer:
        return demand.reset_index(drop=True)
    return demand[demand["customer"] == customer].reset_index(drop=True)


def by_stage(demand: pd.DataFrame, aged: pd.DataFrame) -> pd.DataFrame:
    """Per stage the requests are in (pipeline order, then rejected and withdrawn): how many,
    their estimated cost (blank when none has one), and for the open stages the median and
    oldest age in stage (days) and how many are past the stage's SLA."""
    counted = demand.groupby("stage").agg(
        requests=("demand_id", "size"),
        estimated_cost=("estimated_cost", lambda c: c.sum() if c.notna().any() else None),
    )
    ages = aged.groupby("stage").agg(
        median_age_days=("age_days", lambda a: a.astype("Float64").median()),
        oldest_age_days=("age_days", "max"),
        past_sla=("past_sla", "sum"),
    )
    out = counted.join(ages, how="left").reindex([s for s in STAGES if s in counted.index])
    out = out.rename_axis("stage").reset_index()
    return out.astype(
        {
            "requests": "int64",
            "estimated_cost": "float64",
            "median_age_days": "Float64",
            "oldest_age_days": "Int64",
            "past_sla": "Int64",
        }
    )


def oldest_open(aged: pd.DataFrame) -> pd.DataFrame:
    """The open requests, longest in their stage first (unknown ages last)."""
    return hierarchy.sort_naturally(
        aged, ["age_days", "demand_id"], ascending=[False, True]
    ).reset_index(drop=True)


def delivering(
    demand: pd.DataFrame, projects: pd.DataFrame, assessed: pd.DataFrame
) -> pd.DataFrame:
    """The projects the requests became (demand.project_id), one row each: its requests and
    customers, status, computed RAG (for active projects: the ones health assesses) and
    reported RAG, baseline and forecast finish, and the slip in days (forecast - baseline)."""
    linked = demand.dropna(subset=["project_id"])
    per_project = linked.groupby("project_id").agg(
        requests=("demand_id", lambda ids: ", ".join(sorted(ids, key=_natural))),
        customers=("customer", lambda c: ", ".join(sorted(set(c.dropna())))),
    )
    found = projects[projects["project_id"].isin(per_project.index)]
    out = found[
        [
            "project_id",
            "project_name",
            "project_manager",
            "status",
            "reported_rag",
            "baseline_finish",
            "forecast_finish",
            "percent_complete",
        ]
    ].merge(assessed[["project_id", "overall"]], on="project_id", how="left")
    out = out.rename(columns={"overall": "computed_rag"})
    out = out.merge(per_project, left_on="project_id", right_index=True, how="left")
    slip = (out["forecast_finish"] - out["baseline_finish"]).dt.days
    out["slip_days"] = slip.astype("Int64")
    order = out["computed_rag"].map(health.SEVERITY).fillna(-1)
    ordered = hierarchy.sort_naturally(
        out.assign(_order=order), ["_order", "project_id"], ascending=[False, True]
    )
    return ordered.drop(columns="_order").reset_index(drop=True)


def _natural(value: str) -> tuple:
    return hierarchy.natural_key(pd.Series([value])).iloc[0]


def unmatched(demand: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """Requests that name a project the scope's projects do not hold (another portfolio's, or
    one missing from the export)."""
    linked = demand.dropna(subset=["project_id"])
    return linked[~linked["project_id"].isin(projects["project_id"].unique())].reset_index(
        drop=True
    )


def changes(
    now: pd.DataFrame,
    before: pd.DataFrame | None,
    since: pd.Timestamp | None,
    as_of: pd.Timestamp,
    projects_now: pd.DataFrame,
    projects_before: pd.DataFrame | None,
) -> dict[str, pd.DataFrame]:
    """Since the previous snapshot: requests that moved stage, new requests and decisions (as
    the demand report counts them), and among the delivering projects those whose computed RAG
    changed, whose forecast finish moved (days, later positive) and those newly delivering."""
    out = demand_metrics.changes(now, before, since, as_of)
    empty = projects_now.iloc[:0]
    if projects_before is None or before is None:
        return {
            **out,
            "rag": empty.assign(was=pd.Series(dtype="str")),
            "finish": empty.assign(
                previous_finish=pd.Series(dtype="datetime64[us]"),
                moved_days=pd.Series(dtype="Int64"),
            ),
            "new_projects": empty,
        }
    earlier = projects_before.set_index("project_id")
    ids = projects_now["project_id"]
    # reindex, not map: pandas cannot map with an empty datetime mapper
    was = earlier["computed_rag"].reindex(ids.to_numpy()).set_axis(ids.index)
    rag = projects_now.assign(was=was)
    rag = rag[
        rag["was"].notna() & rag["computed_rag"].notna() & (rag["was"] != rag["computed_rag"])
    ]
    previous_finish = earlier["forecast_finish"].reindex(ids.to_numpy()).set_axis(ids.index)
    moved = (projects_now["forecast_finish"] - previous_finish).dt.days.astype("Int64")
    finish = projects_now.assign(previous_finish=previous_finish, moved_days=moved)
    finish = finish[finish["moved_days"].fillna(0) != 0]
    new = projects_now[~projects_now["project_id"].isin(earlier.index)]
    return {
        **out,
        "rag": rag.reset_index(drop=True),
        "finish": finish.reset_index(drop=True),
        "new_projects": new.reset_index(drop=True),
    }


def headlines(
    demand: pd.DataFrame, aged: pd.DataFrame, projects: pd.DataFrame
) -> dict[str, int | None]:
    """The manifest's figures of a customer page (the portal's customer table shows them):
    none of the request figures without a request, none of the project figures when no
    request names a project."""
    has_requests, has_projects = len(demand) > 0, demand["project_id"].notna().any()
    rags = projects["computed_rag"].value_counts()
    figures: dict[str, int | None] = {
        "requests_total": len(demand) if has_requests else None,
        "requests_open": int(demand["stage"].isin(demand_metrics.OPEN).sum())
        if has_requests
        else None,
        "requests_past_sla": int(aged["past_sla"].sum()) if has_requests else None,
        "requests_delivered": int((demand["stage"] == "Delivered").sum()) if has_requests else None,
        "projects_delivering": len(projects) if has_projects else None,
        "projects_late": int((projects["slip_days"] > 0).sum()) if has_projects else None,
    }
    for rag, key in RAG_KEYS.items():
        figures[key] = int(rags.get(rag, 0)) if has_projects else None
    return figures


@dataclass(frozen=True)
class CustomerView:
    """Everything a customer page shows, computed once from the scope's snapshots."""

    customer: str | None  # None: every customer of the scope
    history_used: bool  # ages from the stage history (else from the requests' own dates)
    requests: pd.DataFrame
    aged: pd.DataFrame  # the open requests with their age in stage and SLA
    by_stage: pd.DataFrame
    oldest: pd.DataFrame
    projects: pd.DataFrame
    unmatched: pd.DataFrame
    changes: dict[str, pd.DataFrame]
    headlines: dict


def _projects(
    snapshot: Snapshot, wanted: pd.DataFrame, params: HealthParams, eac: str, past: health.Past
) -> pd.DataFrame:
    assessed = health.rate(snapshot, params, eac, past)
    return delivering(wanted, snapshot["projects"], assessed)


def analyse(
    now: Snapshot,
    before: Snapshot | None,
    history: list[Snapshot],
    customer: str | None,
    demand_params: DemandParams,
    health_params: HealthParams,
    eac_formula: str = "BAC/CPI",
) -> CustomerView:
    """The customer page of one customer (None: every customer) from the scope's snapshots;
    history = every snapshot of the scope up to now, oldest first (as the health report
    assesses with it)."""
    history_table = now["demand_stage_history"]
    used = demand_metrics.uses_history(history_table)
    wanted = requests(now["demand"], customer)
    aged = demand_metrics.ageing(
        wanted, history_table if used else None, now.as_of, demand_params.sla_days
    )
    past = health.Past.of(history)
    projects = _projects(now, wanted, health_params, eac_formula, past)
    earlier = None
    if before is not None:
        earlier = _projects(
            before, requests(before["demand"], customer), health_params, eac_formula, past
        )
    return CustomerView(
        customer=customer or None,
        history_used=used,
        requests=wanted,
        aged=aged,
        by_stage=by_stage(wanted, aged),
        oldest=oldest_open(aged),
        projects=projects,
        unmatched=unmatched(wanted, now["projects"]),
        changes=changes(
            wanted,
            requests(before["demand"], customer) if before is not None else None,
            before.as_of if before is not None else None,
            now.as_of,
            projects,
            earlier,
        ),
        headlines=headlines(wanted, aged, projects),
    )
