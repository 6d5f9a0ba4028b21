"""The resourcing report's sentences: scope, capacity, people, shortfall, workforce mix, plan
against timesheets, project against non-project work and what changed."""

from __future__ import annotations

import pandas as pd

from pmo_lib import formatting as fmt


def scope(portfolio: str | None) -> str:
    if portfolio is None:
        return "The whole function: every resource's capacity and every booking."
    return (
        f"Capacity counts the people whose home portfolio is {portfolio}. Allocation counts every"
        f" hour booked to {portfolio}'s projects — by its own people and by people from shared"
        " teams or other portfolios — plus the non-project work of its own people. Shared people's"
        " capacity is not counted here; their hours on this portfolio's projects are. A person's"
        " load counts every hour booked to them, in any portfolio."
    )


def capacity(by_month: pd.DataFrame, coming: pd.DatetimeIndex) -> str:
    ahead = by_month[by_month["period"].isin(coming)]
    if ahead.empty:
        return ""
    nxt = ahead.iloc[0]
    util = fmt.percent(nxt["planned_utilisation"]) or "not defined (no capacity)"
    short = ahead[ahead["availability_hours"] < 0]
    text = (
        f"Next month ({nxt['period']:%B %Y}) {fmt.count(nxt['planned_hours'])} hours are booked"
        f" against a capacity of {fmt.count(nxt['capacity_hours'])}: planned utilisation"
        f" **{util}**."
    )
    if len(short):
        text += f" Bookings exceed capacity in {len(short)} of the next {len(ahead)} months."
    return text


def people(over: pd.DataFrame, under: pd.DataFrame, coming: pd.DatetimeIndex) -> str:
    nxt = coming[0]
    over_next = over[over["period"] == nxt]
    under_next = under[under["period"] == nxt]
    text = (
        f"In {nxt:%B %Y} **{fmt.count(over_next['resource_id'].nunique())}** people are booked"
        " above capacity"
    )
    if len(over_next):
        top = over_next.iloc[0]
        who = top["name"] if isinstance(top["name"], str) and top["name"] else top["resource_id"]
        text += f" (most: {who}, {fmt.count(top['over_hours'])} hours over)"
    return (
        text
        + f" and {fmt.count(under_next['resource_id'].nunique())} below the under-use threshold."
    )


def shortfall(short: pd.DataFrame) -> str:
    gaps = short[short["next_6_months"] > 0]
    if gaps.empty:
        return "No role is booked beyond its capacity over the next six months."
    top = gaps.iloc[0]
    return (
        f"{fmt.count(len(gaps))} roles are short over the next six months; the largest gap is"
        f" {top['role']}: **{fmt.count(top['next_6_months'])} hours**"
        f" ({fmt.count(top['next_3_months'])} in the next three) — the staffing request to take to"
        " resource and vendor management."
    )


def mix(mix: pd.DataFrame, vendors: pd.DataFrame, currency: str) -> str:
    total_fte = mix["fte"].sum()
    if not total_fte and not mix["cost"].sum():
        return ""
    parts = ", ".join(f"{r.employment_type.lower()}s {r.fte:.1f} FTE" for r in mix.itertuples())
    text = (
        f"Home resources: {parts}. Timesheet cost over the closed months:"
        f" {fmt.money(mix['cost'].sum(), currency, compact=True)}"
    )
    if len(vendors):
        text += (
            f", of which {fmt.money(vendors['cost'].sum(), currency, compact=True)} to vendors"
            f" (most to {vendors.iloc[0]['vendor']})"
        )
    return text + "."


def plan_actual(plan_actual: pd.DataFrame, unplanned: pd.DataFrame) -> str:
    if plan_actual.empty:
        return "No project hours were planned or booked in the closed months."
    planned, actual = plan_actual["planned_hours"].sum(), plan_actual["actual_hours"].sum()
    return (
        f"In the closed months {fmt.count(actual)} timesheet hours were booked against"
        f" {fmt.count(planned)} planned"
        f" ({fmt.percent(100 * actual / planned) if planned else 'no plan'})."
        f" {fmt.count(len(unplanned))} bookings have hours without an allocation."
    )


def bau(share: pd.DataFrame, coming: pd.DatetimeIndex) -> str:
    ahead = share[share["period"].isin(coming)]
    if ahead.empty or (ahead["project_hours"] + ahead["bau_hours"]).sum() == 0:
        return ""
    pct = 100 * ahead["project_hours"].sum() / (ahead["project_hours"] + ahead["bau_hours"]).sum()
    return (
        f"Over the next {len(ahead)} months {fmt.percent(pct)} of the booked hours go to projects"
        " and the rest to non-project work."
    )


def changes(changes: dict, previous_as_of: pd.Timestamp | None) -> str:
    if previous_as_of is None:
        return "There is no earlier snapshot to compare with."
    hours = changes["hours"]
    delta = hours["change"].sum() if len(hours) else 0
    direction = "more" if delta > 0 else "fewer"
    return (
        f"Since {fmt.date(previous_as_of)}, bookings for the coming months carry"
        f" {fmt.count(abs(delta))} {direction} hours; {fmt.count(len(changes['people']))} changes"
        " in people or capacity."
    )
