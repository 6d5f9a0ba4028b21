"""The rest of the RAID log: decisions, actions and change requests.

- A decision is overdue when it is not decided (no decided date and no outcome) and its
  needed-by date has passed.
- An action is overdue when it is not done and its due date has passed; they are counted by
  owner ("(no owner)" for none). Both count for open projects only (active, on hold, proposed).
- Approved changes move the baseline: per active project, the baseline + approved changes
  (budget at completion + the approved cost impacts; baseline finish + the approved schedule
  impacts) against the forecast (cost at completion, forecast finish). Of the variance against
  the original baseline, the approved part is what the approved changes account for, the rest
  is unapproved: "$400k over its baseline, $250k of it approved".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmo_lib import hierarchy
from pmo_lib.data import among

NO_OWNER = "(no owner)"


def decisions_overdue(decisions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Undecided decisions past their needed-by date, longest overdue first."""
    undecided = (
        decisions["decided_date"].isna() & decisions["outcome"].isna()
    )  # an outcome: decided
    late = decisions[undecided & (decisions["needed_by"] < as_of)]
    late = late.assign(days_overdue=(as_of - late["needed_by"]).dt.days.astype("int64"))
    late = hierarchy.sort_naturally(late, ["days_overdue", "decision_id"], [False, True])
    return late.reset_index(drop=True)


def actions_overdue(actions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Open actions past their due date, longest overdue first."""
    late = actions[actions["done_date"].isna() & (actions["due_date"] < as_of)]
    late = late.assign(
        days_overdue=(as_of - late["due_date"]).dt.days.astype("int64"),
        owner=late["owner"].astype(object).fillna(NO_OWNER),
    )
    late = hierarchy.sort_naturally(late, ["days_overdue", "action_id"], [False, True])
    return late.reset_index(drop=True)


def overdue_by_owner(late: pd.DataFrame) -> pd.DataFrame:
    """actions_overdue per owner: how many, and the longest overdue; most first."""
    if late.empty:
        return pd.DataFrame(columns=["owner", "overdue", "longest_days"])
    out = (
        late.groupby("owner")
        .agg(overdue=("action_id", "size"), longest_days=("days_overdue", "max"))
        .reset_index()
    )
    return out.sort_values(["overdue", "longest_days", "owner"], ascending=[False, False, True])


def approved_changes(
    changes: pd.DataFrame, projects: pd.DataFrame, cost_at_completion: pd.Series
) -> pd.DataFrame:
    """Per active project with an approved change: the approved cost and schedule impacts, its
    baseline + approved changes, its forecast, and how much of the variance was approved."""
    approved = changes[changes["status"] == "Approved"]
    columns = [
        "project_id",
        "project_name",
        "approved_changes",
        "approved_cost",
        "approved_days",
        "budget_at_completion",
        "rebaselined_budget",
        "cost_at_completion",
        "cost_variance",
        "unapproved_cost",
        "baseline_finish",
        "rebaselined_finish",
        "forecast_finish",
        "slip_days",
        "unapproved_days",
    ]
    active = projects[projects["status"] == "Active"].drop_duplicates("project_id")
    approved = approved[among(approved["project_id"], active["project_id"])]
    if approved.empty:
        return pd.DataFrame(columns=columns)
    grouped = approved.astype(
        {"cost_impact": "Float64", "schedule_impact_days": "Float64"}
    ).groupby("project_id")
    per = pd.DataFrame(
        {
            "approved_changes": grouped.size(),
            "approved_cost": grouped["cost_impact"].sum(min_count=1),
            "approved_days": grouped["schedule_impact_days"].sum(min_count=1),
        }
    ).reset_index()
    out = per.merge(
        active[
            [
                "project_id",
                "project_name",
                "budget_at_completion",
                "baseline_finish",
                "forecast_finish",
            ]
        ],
        on="project_id",
    )
    budget = out["budget_at_completion"].astype("float64")
    out["rebaselined_budget"] = budget + out["approved_cost"].fillna(0)
    out["cost_at_completion"] = out["project_id"].map(cost_at_completion).astype("float64")
    out["cost_variance"] = out["cost_at_completion"] - budget
    out["unapproved_cost"] = out["cost_at_completion"] - out["rebaselined_budget"]
    days = pd.to_timedelta(out["approved_days"].fillna(0), unit="D")
    out["rebaselined_finish"] = out["baseline_finish"] + days
    out["slip_days"] = (out["forecast_finish"] - out["baseline_finish"]).dt.days.astype("Float64")
    out["unapproved_days"] = (out["forecast_finish"] - out["rebaselined_finish"]).dt.days.astype(
        "Float64"
    )
    out = hierarchy.sort_naturally(out, "project_id")
    return out[columns].reset_index(drop=True)


def approved_share(changes_view: pd.DataFrame) -> dict:
    """Over the projects with approved changes and a cost variance (a budget and a cost at
    completion): the variance against the original baseline, the approved part, and its share
    (blank when there is no variance to explain, or no approved change says its cost)."""
    known = changes_view[changes_view["cost_variance"].notna()]
    variance = known["cost_variance"].astype("float64").sum(min_count=1)
    approved = known["approved_cost"].astype("float64").sum(min_count=1)
    share = (
        approved / variance if pd.notna(variance) and variance > 0 and pd.notna(approved) else None
    )
    return {
        "variance": None if pd.isna(variance) else float(variance),
        "approved": None if pd.isna(approved) else float(approved),
        "share": None if share is None else float(np.clip(share, 0, None)),
    }


@dataclass(frozen=True)
class Raid:
    decisions: pd.DataFrame  # every decision of the scope
    actions: pd.DataFrame
    changes: pd.DataFrame  # every change request
    decisions_overdue: pd.DataFrame
    actions_overdue: pd.DataFrame
    actions_by_owner: pd.DataFrame
    approved: pd.DataFrame  # approved_changes

    @property
    def is_empty(self) -> bool:
        return self.decisions.empty and self.actions.empty and self.changes.empty


OPEN_PROJECTS = ("Active", "On Hold", "Proposed")  # whose decisions and actions still count


def analyse(now, cost_at_completion: pd.Series) -> Raid:
    """now: a data.Snapshot. Decisions and actions of closed or cancelled projects are history,
    not overdue: only those of open projects count."""
    projects = now["projects"]
    open_ids = set(projects.loc[projects["status"].isin(OPEN_PROJECTS), "project_id"])
    decisions = now["decisions"][among(now["decisions"]["project_id"], open_ids)]
    actions = now["actions"][among(now["actions"]["project_id"], open_ids)]
    late_actions = actions_overdue(actions, now.as_of)
    return Raid(
        decisions=decisions.reset_index(drop=True),
        actions=actions.reset_index(drop=True),
        changes=now["change_requests"],
        decisions_overdue=decisions_overdue(decisions, now.as_of),
        actions_overdue=late_actions,
        actions_by_owner=overdue_by_owner(late_actions),
        approved=approved_changes(now["change_requests"], now["projects"], cost_at_completion),
    )


def headlines(raid: Raid) -> dict:
    """The manifest's figures; blank where the scope has no such table's rows. The approved
    change cost is the active projects' (as the page's table shows them)."""
    approved = raid.approved["approved_cost"]
    return {
        "decisions_overdue": None if raid.decisions.empty else len(raid.decisions_overdue),
        "actions_overdue": None if raid.actions.empty else len(raid.actions_overdue),
        "approved_change_cost": (
            None
            if raid.changes.empty
            else float(approved.astype("float64").sum(min_count=1))
            if approved.notna().any()
            else None
        ),
    }
