"""Benefits realisation: what projects promised and what they have delivered so far.

Months count as spend counts them: a month is closed when its last day is on or before the
as-of date. Per benefit:

- planned to date = its planned values of closed months; realised to date = its realised values
  of closed months (blank when none is recorded: not reported is not zero);
- planned total = every month's planned value; expected = realised to date + the planned values
  of open months (the plan stands as the forecast of the months to come);
- realised % = realised to date / the plan of the closed months whose realised value is known
  (a month not reported yet is left out, not counted as nothing realised; blank when none is);
- status: "Not yet due" (nothing planned to date), "Not reported" (due, nothing recorded),
  "At risk" (realised % below 100 − the threshold, spend.benefits_at_risk_pct), else "On track".

Financial benefits (in the dataset's currency) add up by project and portfolio; a non-financial
one (hours saved, NPS points) is compared with its own plan only. ROI per project =
(expected financial benefits − cost at completion) / cost at completion, cost at completion as
the forecasts count it (actuals of closed months + forecasts of open ones; else the budget).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmo_lib import hierarchy
from pmo_lib.periods import is_closed_month

FINANCIAL = "Financial"
STATUSES = ("At risk", "Not reported", "On track", "Not yet due")  # worst first
MONEY = ["planned_to_date", "realised_to_date", "planned_total", "expected_total"]


def _ratio(part: pd.Series, whole: pd.Series) -> pd.Series:
    """part / whole, blank where whole is blank or 0."""
    whole = whole.astype("float64")
    return (part.astype("float64") / whole.where(whole != 0)).astype("Float64")


def per_benefit(benefits: pd.DataFrame, as_of: pd.Timestamp, at_risk_pct: float) -> pd.DataFrame:
    """One row per project and benefit: its figures to date, expected total and status."""
    keys = ["project_id", "benefit"]
    columns = [
        *keys,
        "benefit_type",
        "measure",
        "owner",
        *MONEY,
        "planned_reported",
        "realised_pct",
        "status",
    ]
    if benefits.empty:
        return pd.DataFrame(columns=columns)
    b = benefits.assign(closed=is_closed_month(benefits["period"], as_of).to_numpy())
    planned = b["planned_value"].astype("float64")
    realised = b["realised_value"].astype("float64")
    b = b.assign(
        planned_closed=planned.where(b["closed"]),
        realised_closed=realised.where(b["closed"]),
        # the plan of the closed months whose realised value is known: what realised % is of
        planned_reported=planned.where(b["closed"] & realised.notna()),
        planned_open=planned.where(~b["closed"]),
        planned=planned,
    )
    groups = b.groupby(keys, sort=False, dropna=False)
    out = groups[["benefit_type", "measure", "owner"]].first()
    out["planned_to_date"] = groups["planned_closed"].sum(min_count=1)
    out["realised_to_date"] = groups["realised_closed"].sum(min_count=1)
    out["planned_total"] = groups["planned"].sum(min_count=1)
    out["planned_reported"] = groups["planned_reported"].sum(min_count=1)
    # a plan that starts after the as-of date has planned nothing to date: 0, not blank
    out["planned_to_date"] = out["planned_to_date"].where(
        out["planned_total"].isna(), out["planned_to_date"].fillna(0)
    )
    open_plan = groups["planned_open"].sum(min_count=1)
    out["expected_total"] = out["realised_to_date"].fillna(0) + open_plan.fillna(0)
    nothing = out["realised_to_date"].isna() & open_plan.isna()
    out.loc[nothing, "expected_total"] = np.nan  # no figure behind it
    out = out.reset_index()
    out["realised_pct"] = 100 * _ratio(out["realised_to_date"], out["planned_reported"])
    due = out["planned_to_date"].fillna(0) > 0
    behind = out["realised_pct"].astype("float64") < 100 - at_risk_pct
    out["status"] = np.select(
        [~due, out["realised_to_date"].isna(), behind],
        ["Not yet due", "Not reported", "At risk"],
        "On track",
    )
    order = out["status"].map({s: i for i, s in enumerate(STATUSES)})
    out = hierarchy.sort_naturally(out.assign(_order=order), ["_order", "project_id", "benefit"])
    return out.drop(columns="_order")[columns].reset_index(drop=True)


def per_project(
    benefits: pd.DataFrame, projects: pd.DataFrame, cost_at_completion: pd.Series
) -> pd.DataFrame:
    """Per project with a financial benefit: the financial figures summed, its cost at
    completion (per project_id) and ROI (blank without a cost)."""
    money = benefits[benefits["benefit_type"] == FINANCIAL]
    columns = ["project_id", "project_name", "portfolio", *MONEY, "realised_pct"]
    if money.empty:
        return pd.DataFrame(columns=[*columns, "planned_reported", "cost_at_completion", "roi_pct"])
    summed = [*MONEY, "planned_reported"]
    sums = money.groupby("project_id", sort=False)[summed].sum(min_count=1).reset_index()
    names = projects.drop_duplicates("project_id").set_index("project_id")
    sums["project_name"] = sums["project_id"].map(names["project_name"])
    sums["portfolio"] = sums["project_id"].map(names["portfolio"])
    sums["realised_pct"] = 100 * _ratio(sums["realised_to_date"], sums["planned_reported"])
    cost = sums["project_id"].map(cost_at_completion).astype("float64")
    sums["cost_at_completion"] = cost
    positive = cost.where(cost > 0)
    sums["roi_pct"] = (100 * (sums["expected_total"] - positive) / positive).astype("Float64")
    sums = hierarchy.sort_naturally(sums, "project_id")
    return sums[[*columns, "planned_reported", "cost_at_completion", "roi_pct"]].reset_index(
        drop=True
    )


def by_portfolio(projects_view: pd.DataFrame) -> pd.DataFrame:
    """per_project summed by portfolio, with realised % and ROI of the sums."""
    if projects_view.empty:
        return pd.DataFrame(columns=["portfolio", *MONEY, "realised_pct", "cost_at_completion"])
    named = hierarchy.named(projects_view, "portfolio")
    costed = named["cost_at_completion"].astype("float64") > 0
    named = named.assign(  # ROI compares the same projects' benefits and costs
        expected_costed=named["expected_total"].astype("float64").where(costed)
    )
    sums = (
        named.groupby("portfolio", sort=True)[
            [*MONEY, "planned_reported", "cost_at_completion", "expected_costed"]
        ]
        .sum(min_count=1)
        .reset_index()
    )
    sums["realised_pct"] = 100 * _ratio(sums["realised_to_date"], sums["planned_reported"])
    cost = sums["cost_at_completion"].where(sums["cost_at_completion"] > 0)
    sums["roi_pct"] = (100 * (sums["expected_costed"] - cost) / cost).astype("Float64")
    return sums.drop(columns="expected_costed")


@dataclass(frozen=True)
class Realisation:
    benefits: pd.DataFrame  # per_benefit
    projects: pd.DataFrame  # per_project (financial benefits)
    portfolios: pd.DataFrame  # by_portfolio
    at_risk_pct: float

    @property
    def has_benefits(self) -> bool:
        return not self.benefits.empty

    @property
    def at_risk(self) -> pd.DataFrame:
        return self.benefits[self.benefits["status"].isin(["At risk", "Not reported"])]

    @property
    def totals(self) -> dict:
        """The scope's financial figures (blank without financial benefits)."""
        money = self.benefits[self.benefits["benefit_type"] == FINANCIAL]
        sums = {
            c: money[c].astype("float64").sum(min_count=1) for c in [*MONEY, "planned_reported"]
        }
        out = {k: None if pd.isna(v) else float(v) for k, v in sums.items()}
        reported, realised = out["planned_reported"], out["realised_to_date"]
        out["realised_pct"] = (
            100 * realised / reported if reported and realised is not None else None
        )
        # ROI over the projects with a cost: their benefits against their costs
        p = self.projects
        costed = p[p["cost_at_completion"].astype("float64") > 0]
        cost = costed["cost_at_completion"].astype("float64").sum(min_count=1)
        expected = costed["expected_total"].astype("float64").sum(min_count=1)
        out["cost_at_completion"] = None if pd.isna(cost) else float(cost)
        out["expected_costed"] = None if pd.isna(expected) else float(expected)
        out["roi_pct"] = (
            100 * (expected - cost) / cost if pd.notna(expected) and pd.notna(cost) else None
        )
        return out


def analyse(
    benefits: pd.DataFrame,
    projects: pd.DataFrame,
    as_of: pd.Timestamp,
    cost_at_completion: pd.Series,
    at_risk_pct: float,
) -> Realisation:
    rows = per_benefit(benefits, as_of, at_risk_pct)
    money = per_project(rows, projects, cost_at_completion)
    return Realisation(rows, money, by_portfolio(money), at_risk_pct)


def headlines(result: Realisation) -> dict:
    """The manifest's figures: financial benefits realised to date as a % of planned to date,
    and the benefits at risk or not reported; blank without benefits."""
    if not result.has_benefits:
        return {"benefits_realised_pct": None, "benefits_at_risk": None}
    return {
        "benefits_realised_pct": result.totals["realised_pct"],
        "benefits_at_risk": int(len(result.at_risk)),
    }
