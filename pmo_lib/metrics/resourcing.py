"""Resourcing: capacity against allocation, utilisation, over- and under-allocated people,
shortfall by role, workforce mix, plan against actual, project against non-project work.

Definitions as PPM tools use them: availability = capacity − allocation; planned (committed)
utilisation = allocated hours ÷ capacity; actual utilisation = timesheet hours ÷ capacity. A zero
capacity gives a blank utilisation, never a division by zero.

How a portfolio counts people: capacity comes from the resources whose home portfolio it is;
allocation is the hours booked to its projects (by anyone) plus the non-project work of its home
resources. A person's load (for over-allocation) is every hour booked to them, in any portfolio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmo_lib import data, store
from pmo_lib.data import Snapshot
from pmo_lib.memo import same_arguments
from pmo_lib.params import ResourcingParams
from pmo_lib.periods import is_closed_month, last_closed_month


def windows(
    as_of: pd.Timestamp, past: int, ahead: int
) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """The last `past` closed months and the next `ahead` months after them."""
    last_closed = last_closed_month(as_of)
    closed = pd.date_range(end=last_closed, periods=past, freq="MS")
    coming = pd.date_range(start=last_closed + pd.DateOffset(months=1), periods=ahead, freq="MS")
    return closed, coming


def _util(hours: pd.Series, capacity: pd.Series) -> pd.Series:
    capacity = capacity.astype("float64")
    return (100 * hours.astype("float64") / capacity.where(capacity > 0)).astype("float64")


def capacity_by_month(
    resources: pd.DataFrame, months: pd.DatetimeIndex, portfolio: str | None
) -> pd.DataFrame:
    """Capacity hours per resource and month: the home resources of the portfolio (all for the
    function)."""
    home = resources if portfolio is None else resources[resources["portfolio"] == portfolio]
    grid = home[["resource_id", "role", "team", "employment_type", "monthly_capacity_hours"]].merge(
        pd.DataFrame({"period": months}), how="cross"
    )
    return grid.rename(columns={"monthly_capacity_hours": "capacity_hours"})


def booked_months(allocations: pd.DataFrame, by: str = "resource_id") -> pd.DataFrame:
    """Bookings summed per person (by resource_id) or project (by project_id) and month: planned
    hours, timesheet hours (blank where none is given), and the planned hours on projects and on
    other (BAU) work. A snapshot read whole from a store has them summed by the store
    (booked_of)."""
    a = allocations.loc[allocations[by].notna() & allocations["period"].notna()]
    planned = a["planned_hours"].astype("float64")
    on_project = a["project_id"].notna()
    parts = pd.DataFrame(
        {
            by: a[by],
            "period": a["period"],
            "planned_hours": planned,
            "actual_hours": a["actual_hours"].astype("float64"),
            "project_hours": planned.where(on_project),
            "bau_hours": planned.where(~on_project),
        }
    )
    grouped = parts.groupby([by, "period"], sort=True)
    out = grouped[["planned_hours", "project_hours", "bau_hours"]].sum()
    out.insert(1, "actual_hours", grouped["actual_hours"].sum(min_count=1))
    return out.reset_index().astype(store.booked_dtypes(by))


def booked_of(snapshot: Snapshot, by: str = "resource_id") -> pd.DataFrame:
    """booked_months of a snapshot, once for it: by the store's query for a scope read whole
    from a store (its million bookings never read, at 100x), else from its rows."""
    return data.summed(
        snapshot,
        f"booked_months by {by}",
        lambda path, day, portfolio: store.booked_months(path, day, portfolio, by),
        lambda snapshot: booked_months(snapshot["allocations"], by),
        "allocations",
    )


def monthly(
    now: Snapshot, portfolio: str | None, months: pd.DatetimeIndex, by: str | None = None
) -> pd.DataFrame:
    """Per month (and team or role when by is given): capacity, planned and actual hours,
    availability and planned and actual utilisation (%); actuals only for closed months."""
    resources = now["resources"]
    cap = capacity_by_month(resources, months, portfolio)
    booked = booked_of(now)
    alloc = booked.loc[
        booked["period"].isin(months), ["resource_id", "period", "planned_hours", "actual_hours"]
    ]
    if by:  # each person's team or role (a person is one row of resources: its key)
        alloc = alloc.merge(resources[["resource_id", by]], on="resource_id", how="left")
    keys = ["period"] + ([by] if by else [])
    capacity = cap.groupby(keys)["capacity_hours"].sum()
    planned = alloc.groupby(keys)["planned_hours"].sum()
    actual = alloc.groupby(keys)["actual_hours"].sum(min_count=1)
    out = (
        pd.concat([capacity, planned, actual], axis=1)
        .fillna({"capacity_hours": 0.0, "planned_hours": 0.0})
        .reset_index()
    )
    out = out.astype(
        {"capacity_hours": "float64", "planned_hours": "float64", "actual_hours": "float64"}
    )
    closed = is_closed_month(out["period"], now.as_of)
    out["actual_hours"] = out["actual_hours"].where(closed)
    out.loc[closed & out["actual_hours"].isna(), "actual_hours"] = 0.0
    out["availability_hours"] = out["capacity_hours"] - out["planned_hours"]
    out["planned_utilisation"] = _util(out["planned_hours"], out["capacity_hours"])
    out["actual_utilisation"] = _util(out["actual_hours"], out["capacity_hours"])
    return out.sort_values(keys).reset_index(drop=True)


@same_arguments(size=2)  # the function's comparison asks for every portfolio: the same load
def booked_per_month(load: pd.DataFrame) -> pd.Series:
    """Every hour booked to each person per month (load: see people_load), indexed by
    resource_id and period."""
    return (
        load.groupby(["resource_id", "period"])["planned_hours"].sum().rename("total_planned_hours")
    )


def people_load(
    now: Snapshot, load: pd.DataFrame, months: pd.DatetimeIndex, portfolio: str | None
) -> pd.DataFrame:
    """Per person in scope and month: every hour booked to them (load, from the store across all
    portfolios), their capacity and utilisation, and the hours on this portfolio's projects.

    load: resource_id, period, planned_hours (all of a person's bookings; see store.resource_load).
    """
    resources = now["resources"]
    grid = resources[
        [
            "resource_id",
            "name",
            "role",
            "team",
            "portfolio",
            "employment_type",
            "monthly_capacity_hours",
        ]
    ].merge(pd.DataFrame({"period": months}), how="cross")
    totals = booked_per_month(load)  # the months asked for only: a third of them, at 100x
    totals = totals[totals.index.get_level_values("period").isin(months)]
    booked = booked_of(now)
    booked = booked[booked["period"].isin(months)]
    here = booked.set_index(["resource_id", "period"])["project_hours"].rename("hours_here")
    out = grid.join(totals, on=["resource_id", "period"]).join(here, on=["resource_id", "period"])
    out[["total_planned_hours", "hours_here"]] = (
        out[["total_planned_hours", "hours_here"]].fillna(0.0).astype("float64")
    )
    out["utilisation"] = _util(out["total_planned_hours"], out["monthly_capacity_hours"])
    out["over_hours"] = (out["total_planned_hours"] - out["monthly_capacity_hours"]).clip(lower=0)
    return out


def over_allocated(people: pd.DataFrame, limit_pct: float) -> pd.DataFrame:
    """People booked above the over-allocation limit, most over first."""
    over = people[people["utilisation"] > limit_pct]
    return over.sort_values(["over_hours", "period"], ascending=[False, True]).reset_index(
        drop=True
    )


def under_used(people: pd.DataFrame, limit_pct: float) -> pd.DataFrame:
    """People booked below the under-use threshold (zero-capacity people are not listed)."""
    under = people[people["utilisation"] < limit_pct]
    return under.sort_values(["utilisation", "period"]).reset_index(drop=True)


def over_on_projects(now: Snapshot, over: pd.DataFrame) -> pd.DataFrame:
    """For the over-allocated person-months: the hours on each of this portfolio's projects."""
    rows = data.rows_among(now, "allocations", "resource_id", over["resource_id"].unique())
    a = rows.merge(over[["resource_id", "period"]], on=["resource_id", "period"])
    a = a.merge(now["projects"][["project_id", "project_name"]], on="project_id", how="left")
    if a.empty:
        return pd.DataFrame(
            {
                "resource_id": pd.Series(dtype="str"),
                "period": pd.Series(dtype="datetime64[us]"),
                "bookings": pd.Series(dtype="str"),
            }
        )
    a["project"] = np.where(
        a["project_id"].isna(),
        "Non-project work",
        # a project without a name (or not in the scope's projects) by its id alone
        a["project_id"].astype("str") + (" " + a["project_name"].astype("str")).fillna(""),
    )
    a["booking"] = a["project"] + " " + a["planned_hours"].map("{:,.0f}".format) + " h"
    return (
        a.groupby(["resource_id", "period"])["booking"]
        .agg("; ".join)  # one aggregation, not a Python call per person-month
        .rename("bookings")
        .reset_index()
    )


def shortfall(by_role: pd.DataFrame, coming: pd.DatetimeIndex) -> pd.DataFrame:
    """Per role: planned allocation − capacity over the next 3 and 6 months (positive = short)."""
    rows = []
    for role, g in by_role.groupby("role"):
        gap = (
            g.set_index("period")["planned_hours"] - g.set_index("period")["capacity_hours"]
        ).reindex(coming, fill_value=0.0)
        rows.append(
            {
                "role": role,
                "next_3_months": float(gap.iloc[:3].sum()),
                "next_6_months": float(gap.iloc[:6].sum()),
            }
        )
    out = pd.DataFrame(rows, columns=["role", "next_3_months", "next_6_months"])
    return out.sort_values("next_6_months", ascending=False).reset_index(drop=True)


def role_shortfall(now: Snapshot, portfolio: str | None, params: ResourcingParams) -> pd.DataFrame:
    """shortfall per role over the coming months, as analyse gives it, without the rest of the
    analysis (the executive summary's exceptions: at 100x, 0.3 s instead of 1.5)."""
    closed, coming = windows(now.as_of, params.past_months, params.next_months)
    return shortfall(monthly(now, portfolio, closed.append(coming), "role"), coming)


def workforce_mix(
    now: Snapshot, portfolio: str | None, closed: pd.DatetimeIndex, full_time_hours: float
) -> pd.DataFrame:
    """Employees, contractors and vendors: head count and FTE of the home resources, and the cost
    of the timesheet hours on this scope's work in the closed months (hours × rate)."""
    resources = now["resources"]
    home = resources if portfolio is None else resources[resources["portfolio"] == portfolio]
    fte = home.groupby("employment_type").agg(
        people=("resource_id", "size"), capacity=("monthly_capacity_hours", "sum")
    )
    fte["fte"] = fte["capacity"] / full_time_hours
    cost = _actual_cost(now, closed).groupby("employment_type")[["actual_hours", "cost"]].sum()
    out = (
        fte.join(cost, how="outer")
        .fillna(0.0)
        .reindex(["Employee", "Contractor", "Vendor"], fill_value=0.0)
    )
    return out.rename_axis("employment_type").reset_index()[
        ["employment_type", "people", "fte", "actual_hours", "cost"]
    ]


def _actual_cost(now: Snapshot, closed: pd.DatetimeIndex) -> pd.DataFrame:
    booked = booked_of(now)
    a = booked[booked["period"].isin(closed)]
    a = a.merge(
        now["resources"][["resource_id", "employment_type", "vendor", "hourly_rate"]],
        on="resource_id",
        how="left",
    )
    a["actual_hours"] = a["actual_hours"].astype("float64").fillna(0.0)
    a["cost"] = a["actual_hours"] * a["hourly_rate"].astype("float64").fillna(0.0)
    return a


def vendor_spend(now: Snapshot, closed: pd.DatetimeIndex) -> pd.DataFrame:
    a = _actual_cost(now, closed)
    a = a[a["employment_type"] == "Vendor"].assign(
        vendor=lambda d: d["vendor"].fillna("(vendor not named)")
    )
    out = a.groupby("vendor")[["actual_hours", "cost"]].sum().reset_index()
    return out.sort_values("cost", ascending=False).reset_index(drop=True)


def plan_vs_actual(now: Snapshot, closed: pd.DatetimeIndex) -> pd.DataFrame:
    """Per project over the closed months: planned and timesheet hours and the difference."""
    booked = booked_of(now, "project_id")
    a = booked[booked["period"].isin(closed)]
    out = a.groupby("project_id").agg(
        planned_hours=("planned_hours", "sum"), actual_hours=("actual_hours", "sum")
    )
    out = (
        out.astype("float64")
        .reset_index()
        .merge(
            now["projects"][["project_id", "project_name", "project_manager", "status"]],
            on="project_id",
            how="left",
        )
    )
    out["difference"] = out["actual_hours"] - out["planned_hours"]
    out["actual_pct_of_plan"] = _util(out["actual_hours"], out["planned_hours"])
    return out.reindex(out["difference"].abs().sort_values(ascending=False).index).reset_index(
        drop=True
    )


def booked_without_allocation(now: Snapshot) -> pd.DataFrame:
    """Timesheet hours with no planned allocation behind them (planned 0, actual > 0)."""
    a = data.rows_where(now, "allocations", "planned_hours = 0 AND actual_hours > 0")
    hit = a[(a["planned_hours"] == 0) & (a["actual_hours"].fillna(0) > 0)]
    return hit.merge(
        now["resources"][["resource_id", "name"]], on="resource_id", how="left"
    ).reset_index(drop=True)


def project_vs_bau(
    monthly_alloc: pd.DataFrame, now: Snapshot, months: pd.DatetimeIndex
) -> pd.DataFrame:
    """Per month: hours on projects and on non-project (BAU) work, and the project share (%)."""
    booked = booked_of(now)
    table = (
        booked[booked["period"].isin(months)]
        .groupby("period")[["project_hours", "bau_hours"]]
        .sum()
        .reindex(months, fill_value=0.0)
        .astype("float64")
    )
    table["project_share"] = _util(
        table["project_hours"], table["project_hours"] + table["bau_hours"]
    )
    return table.rename_axis("period").reset_index()


def changes(
    now: Snapshot, before: Snapshot | None, coming: pd.DatetimeIndex, portfolio: str | None
) -> dict[str, pd.DataFrame]:
    """Changes since the previous snapshot: planned hours per coming month, and people and
    capacity."""
    if before is None:
        return {
            "hours": pd.DataFrame(columns=["period", "before", "now", "change"]),
            "people": pd.DataFrame(columns=["resource_id", "name", "change"]),
        }

    def planned(s: Snapshot) -> pd.Series:
        a = booked_of(s)
        return (
            a[a["period"].isin(coming)]
            .groupby("period")["planned_hours"]
            .sum()
            .reindex(coming, fill_value=0.0)
        )

    hours = pd.DataFrame({"before": planned(before), "now": planned(now)}).astype("float64")
    hours["change"] = hours["now"] - hours["before"]

    def home(s: Snapshot) -> pd.DataFrame:
        r = s["resources"]
        return (r if portfolio is None else r[r["portfolio"] == portfolio]).set_index("resource_id")

    was, now_ = home(before), home(now)
    rows = [
        {"resource_id": i, "name": now_.at[i, "name"], "change": "joined"}
        for i in now_.index.difference(was.index)
    ]
    rows += [
        {"resource_id": i, "name": was.at[i, "name"], "change": "left"}
        for i in was.index.difference(now_.index)
    ]
    both = now_.index.intersection(was.index)
    moved = both[
        now_.loc[both, "monthly_capacity_hours"].to_numpy()
        != was.loc[both, "monthly_capacity_hours"].to_numpy()
    ]
    rows += [
        {
            "resource_id": i,
            "name": now_.at[i, "name"],
            "change": f"capacity {was.at[i, 'monthly_capacity_hours']:.0f} →"
            f" {now_.at[i, 'monthly_capacity_hours']:.0f} h/month",
        }
        for i in moved
    ]
    return {
        "hours": hours.rename_axis("period").reset_index(),
        "people": pd.DataFrame(rows, columns=["resource_id", "name", "change"]),
    }


@dataclass(frozen=True)
class ResourcingView:
    closed: pd.DatetimeIndex
    coming: pd.DatetimeIndex
    by_month: pd.DataFrame
    by_team: pd.DataFrame
    by_role: pd.DataFrame
    people: pd.DataFrame  # coming months
    over: pd.DataFrame
    under: pd.DataFrame  # next month
    shortfall: pd.DataFrame
    mix: pd.DataFrame
    vendors: pd.DataFrame
    plan_actual: pd.DataFrame
    unplanned: pd.DataFrame
    project_share: pd.DataFrame
    changes: dict
    headlines: dict


@dataclass(frozen=True)
class _Basics:
    """What the headline figures need, and the analysis builds on."""

    closed: pd.DatetimeIndex
    coming: pd.DatetimeIndex
    people: pd.DataFrame
    over: pd.DataFrame
    by_month: pd.DataFrame
    headlines: dict


def _basics(
    now: Snapshot, load: pd.DataFrame, portfolio: str | None, params: ResourcingParams
) -> _Basics:
    closed, coming = windows(now.as_of, params.past_months, params.next_months)
    people = people_load(now, load, coming, portfolio)
    over = over_allocated(people, params.over_allocation_pct)
    by_month = monthly(now, portfolio, closed.append(coming))
    nxt, last = coming[0], closed[-1]
    row_next = (
        by_month[by_month["period"] == nxt].iloc[0] if (by_month["period"] == nxt).any() else None
    )
    row_last = (
        by_month[by_month["period"] == last].iloc[0] if (by_month["period"] == last).any() else None
    )
    resources = now["resources"]
    home = resources if portfolio is None else resources[resources["portfolio"] == portfolio]
    has_people, bookings = len(home) > 0, now.rows("allocations") > 0
    timesheets = bool(booked_of(now)["actual_hours"].notna().any())

    def figure(row: pd.Series | None, column: str, given: bool) -> float | None:
        """A month's figure; None (not 0) when the data has none of what it counts."""
        if not given:
            return None
        return 0.0 if row is None or pd.isna(row[column]) else float(row[column])

    figures = {
        "capacity_hours_next_month": figure(row_next, "capacity_hours", has_people),
        "planned_hours_next_month": figure(row_next, "planned_hours", bookings),
        "planned_utilisation_next_month": None
        if row_next is None
        or not (has_people and bookings)
        or pd.isna(row_next["planned_utilisation"])
        else float(row_next["planned_utilisation"]),
        "over_allocated_people_next_month": int(
            over.loc[over["period"] == nxt, "resource_id"].nunique()
        )
        if bookings
        else None,
        "actual_hours_last_month": figure(row_last, "actual_hours", timesheets),
    }
    return _Basics(closed, coming, people, over, by_month, figures)


def headlines(
    now: Snapshot, load: pd.DataFrame, portfolio: str | None, params: ResourcingParams
) -> dict:
    """The resourcing report's headline figures alone (the executive summary's comparisons and
    KPI trend need no more: the whole analysis per portfolio and snapshot took seconds at 100x)."""
    return _basics(now, load, portfolio, params).headlines


@same_arguments(size=4)
def analyse(
    now: Snapshot,
    before: Snapshot | None,
    load: pd.DataFrame,
    portfolio: str | None,
    params: ResourcingParams,
) -> ResourcingView:
    basics = _basics(now, load, portfolio, params)
    closed, coming, people = basics.closed, basics.coming, basics.people
    months = closed.append(coming)
    over = basics.over.merge(
        over_on_projects(now, basics.over), on=["resource_id", "period"], how="left"
    )
    by_role = monthly(now, portfolio, months, "role")
    nxt = coming[0]
    return ResourcingView(
        closed=closed,
        coming=coming,
        by_month=basics.by_month,
        by_team=monthly(now, portfolio, months, "team"),
        by_role=by_role,
        people=people,
        over=over,
        under=under_used(people[people["period"] == nxt], params.under_use_pct),
        shortfall=shortfall(by_role, coming),
        mix=workforce_mix(now, portfolio, closed, params.full_time_hours),
        vendors=vendor_spend(now, closed),
        plan_actual=plan_vs_actual(now, closed),
        unplanned=booked_without_allocation(now),
        project_share=project_vs_bau(basics.by_month, now, months),
        changes=changes(now, before, coming, portfolio),
        headlines=basics.headlines,
    )
