"""Dependencies between projects and the points of contention they make.

A dependency: a project (the consumer) needs another project's (the supplier's) milestone or
deliverable by a date — its own `needed_by`, else the forecast (else baseline) date of its
milestone that waits. The supplier's date is its milestone's actual date when met, else its
forecast, else its baseline; a deliverable that is not one of the supplier's milestones is due
by the supplier's forecast finish. A dependency is a point of contention when the supplier's
date falls after the consumer's need: late by the days between. A slip there hits the consumer
and every project that, directly or through others, waits on the consumer.

In a portfolio's report, a dependency with one end in another portfolio shows that end's
project name and milestone dates only (store.dependency_ends), nothing else of the other
portfolio.
"""

from __future__ import annotations

from collections import deque

import pandas as pd

from pmo_lib import hierarchy
from pmo_lib.data import among

END_COLUMNS = [
    "project_id",
    "milestone",
    "project_name",
    "portfolio",
    "status",
    "forecast_finish",
    "baseline_date",
    "forecast_date",
    "actual_date",
]
STATUSES = ("Late", "Dates missing", "On time", "Delivered")  # worst first


def missing_ends(deps: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """The (project_id, milestone) ends of these dependencies whose project is not in
    projects: what a scoped report asks the store for (store.dependency_ends)."""
    ends = pd.concat(
        [
            deps[["project_id", "milestone"]],
            deps[["supplier_project_id", "supplier_milestone"]].set_axis(
                ["project_id", "milestone"], axis=1
            ),
        ],
        ignore_index=True,
    )
    return ends[~among(ends["project_id"], projects["project_id"])].drop_duplicates()


def local_ends(projects: pd.DataFrame, milestones: pd.DataFrame) -> pd.DataFrame:
    """The scope's own projects with each of their milestones' dates (and a row with a blank
    milestone per project, for an end that names none)."""
    p = projects.drop_duplicates("project_id")[
        ["project_id", "project_name", "portfolio", "status", "forecast_finish"]
    ]
    with_milestones = p.merge(
        milestones[["project_id", "milestone", "baseline_date", "forecast_date", "actual_date"]],
        on="project_id",
    )
    bare = p.assign(milestone=None, baseline_date=pd.NaT, forecast_date=pd.NaT, actual_date=pd.NaT)
    return pd.concat([with_milestones, bare], ignore_index=True)[END_COLUMNS]


def _date(end: pd.DataFrame) -> pd.Series:
    return end["actual_date"].fillna(end["forecast_date"]).fillna(end["baseline_date"])


def links(deps: pd.DataFrame, ends: pd.DataFrame) -> pd.DataFrame:
    """One row per dependency: who waits (consumer_*), for what (supplier_*), the dates on
    both sides, days late and status; worst first."""
    columns = [
        "dependency_id",
        "consumer_id",
        "consumer_name",
        "consumer_portfolio",
        "consumer_milestone",
        "needed",
        "supplier_id",
        "supplier_name",
        "supplier_portfolio",
        "supplier_milestone",
        "supplier_date",
        "days_late",
        "status",
    ]
    if deps.empty:
        return pd.DataFrame(columns=columns)
    ends = ends.assign(
        milestone=ends["milestone"].astype(object), date=_date(ends).astype("datetime64[us]")
    )
    by_milestone = ends.dropna(subset=["milestone"]).drop_duplicates(["project_id", "milestone"])
    by_project = ends.drop_duplicates("project_id").set_index("project_id")
    d = deps.reset_index(drop=True)
    consumer = (
        d[["project_id", "milestone"]]
        .astype(object)
        .merge(by_milestone[["project_id", "milestone", "date"]], how="left")
    )
    supplier = (
        d[["supplier_project_id", "supplier_milestone"]]
        .astype(object)
        .set_axis(["project_id", "milestone"], axis=1)
        .merge(by_milestone[["project_id", "milestone", "date", "actual_date"]], how="left")
    )
    # a deliverable that is not one of the supplier's milestones: due by its forecast finish
    finish = d["supplier_project_id"].map(by_project["forecast_finish"]).astype("datetime64[us]")
    supplier_date = supplier["date"].fillna(finish)
    needed = d["needed_by"].fillna(consumer["date"]).astype("datetime64[us]")
    late = (supplier_date - needed).dt.days
    out = pd.DataFrame(
        {
            "dependency_id": d["dependency_id"],
            "consumer_id": d["project_id"],
            "consumer_name": d["project_id"].map(by_project["project_name"]),
            "consumer_portfolio": d["project_id"].map(by_project["portfolio"]),
            "consumer_milestone": d["milestone"],
            "needed": needed,
            "supplier_id": d["supplier_project_id"],
            "supplier_name": d["supplier_project_id"].map(by_project["project_name"]),
            "supplier_portfolio": d["supplier_project_id"].map(by_project["portfolio"]),
            "supplier_milestone": d["supplier_milestone"],
            "supplier_date": supplier_date,
        }
    )
    delivered = supplier["actual_date"].notna()
    out["status"] = "On time"
    out.loc[needed.isna() | supplier_date.isna(), "status"] = "Dates missing"
    out.loc[(late > 0) & ~delivered, "status"] = "Late"
    out.loc[delivered, "status"] = "Delivered"
    out["days_late"] = late.where(out["status"] == "Late").astype("Int64")
    order = out["status"].map({s: i for i, s in enumerate(STATUSES)})
    out = hierarchy.sort_naturally(
        out.assign(_order=order, _late=-late.fillna(0)), ["_order", "_late", "dependency_id"]
    )
    return out.drop(columns=["_order", "_late"])[columns].reset_index(drop=True)


def downstream(found: pd.DataFrame, start: str) -> list[str]:
    """Every project that waits, directly or through others, on start (breadth first; start
    itself not included; a cycle in the data is followed once)."""
    return _downstream(_waiting(found), start)


def _waiting(found: pd.DataFrame) -> dict[str, list[str]]:
    """supplier -> the projects that wait on it directly."""
    waiting: dict[str, list[str]] = {}
    for supplier, consumer in zip(
        found["supplier_id"].tolist(), found["consumer_id"].tolist(), strict=True
    ):
        waiting.setdefault(supplier, []).append(consumer)
    return waiting


def _downstream(waiting: dict[str, list[str]], start: str) -> list[str]:
    seen, queue, order = {start}, deque([start]), []
    while queue:
        for consumer in waiting.get(queue.popleft(), []):
            if consumer not in seen:
                seen.add(consumer)
                order.append(consumer)
                queue.append(consumer)
    return order


def contention(found: pd.DataFrame) -> pd.DataFrame:
    """The late dependencies with the projects a slip there would hit: the consumer, then
    everything waiting on it."""
    late = found[found["status"] == "Late"].copy()
    waiting = _waiting(found)  # built once: at 100x, once per late dependency took seconds
    late["hits"] = [
        ", ".join([consumer, *_downstream(waiting, consumer)])
        for consumer in late["consumer_id"].tolist()
    ]
    return late.reset_index(drop=True)


def headlines(found: pd.DataFrame, has_table: bool) -> dict:
    return {"dependencies_late": int((found["status"] == "Late").sum()) if has_table else None}
