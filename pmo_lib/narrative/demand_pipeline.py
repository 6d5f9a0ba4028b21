"""The demand pipeline's sentences: funnel, flow, ageing against SLA, lead times, backlog,
customers, demand against budget headroom and what changed."""

from __future__ import annotations

import pandas as pd

from pmo_lib import formatting as fmt


def source(history_used: bool) -> str:
    if history_used:
        return (
            "Stage ages, conversions, deliveries and the cumulative flow come from the demand stage"
            " history."
        )
    return (
        "There is no demand stage history in this snapshot, so ages count from the decision date"
        " (approved and later) or the submission date, conversions use each request's current stage"
        " (rejected and withdrawn requests count as submitted only), and deliveries and the"
        " cumulative flow cannot be shown."
    )


def funnel(funnel: pd.DataFrame, outcomes: pd.DataFrame, currency: str) -> str:
    open_ = funnel[funnel["stage"] != "Delivered"]
    weakest = funnel.dropna(subset=["conversion"]).sort_values("conversion").head(1)
    worth = (
        "(no request carries an estimate)"
        if open_["estimated_cost"].isna().all()
        else f"worth **{fmt.money(open_['estimated_cost'].sum(), currency, compact=True)}** in"
        " estimates"
    )
    text = (
        f"**{fmt.count(open_['requests'].sum())}** requests are open {worth};"
        f" {fmt.count(funnel.iloc[-1]['requests'])} have been delivered."
    )
    if "recorded" in funnel and not funnel["recorded"].all():
        skipped = ", ".join(funnel.loc[~funnel["recorded"], "stage"])
        text += (
            f" The stage history never records {skipped}: requests pass through them by"
            " implication, so no conversion is given there."
        )
    if len(weakest):
        w = weakest.iloc[0]
        text += (
            f" The lowest conversion is into {w['stage']}: {w['conversion']:.0%} of the requests"
            " that left the stage before it."
        )
    if len(outcomes):
        by = outcomes.groupby("outcome")["requests"].sum()
        text += " " + " and ".join(f"{fmt.count(n)} were {o.lower()}" for o, n in by.items()) + "."
    return text


def flow(flow: pd.DataFrame) -> str:
    last = flow.tail(3)
    return (
        f"Over the last three months {fmt.count(last['arrivals'].sum())} requests arrived,"
        f" {fmt.count(last['decisions'].sum())} were decided and"
        f" {fmt.count(last['deliveries'].sum())} delivered (in {len(flow)} months:"
        f" {fmt.count(flow['arrivals'].sum())} arrivals, {fmt.count(flow['decisions'].sum())}"
        f" decisions, {fmt.count(flow['deliveries'].sum())} deliveries)."
    )


def ageing(late: pd.DataFrame, aged: pd.DataFrame) -> str:
    if aged.empty:
        return "There are no open requests."
    if late.empty:
        return f"All {fmt.count(len(aged))} open requests are within their stage's SLA."
    top = late.iloc[0]
    worst = late.groupby("stage").size().sort_values(ascending=False)
    return (
        f"**{fmt.count(len(late))}** of {fmt.count(len(aged))} open requests are past their stage's"
        f" SLA, most of them in {worst.index[0]} ({fmt.count(worst.iloc[0])}). The oldest,"
        f" {top['demand_id']} “{top['title']}”, has been in {top['stage']} for"
        f" {fmt.count(top['age_days'])} days against an SLA of {fmt.count(top['sla_days'])}."
    )


def lead_times(summary: pd.DataFrame, median_12m: float | None) -> str:
    parts = []
    for r in summary.itertuples():
        if r.requests:
            parts.append(
                f"{r.measure.lower()} takes a median of {r.median_days:.0f} days (85th percentile"
                f" {r.p85_days:.0f}) over {fmt.count(r.requests)} requests"
            )
    if not parts:
        return "No request has been decided yet."
    text = "From submission, " + "; ".join(parts) + "."
    if median_12m is not None:
        text += (
            " For requests decided in the last 12 months the median to decision is"
            f" **{median_12m:.0f} days**."
        )
    return text


def backlog(ranked: pd.DataFrame, currency: str) -> str:
    if ranked.empty:
        return "The backlog is empty."
    top = ranked.head(10)
    cost = (
        "have no estimates"
        if top["estimated_cost"].isna().all()
        else f"would cost {fmt.money(top['estimated_cost'].sum(), currency, compact=True)} in"
        " estimates"
    )
    return (
        f"The backlog holds {fmt.count(len(ranked))} requests not yet in delivery. The top ten"
        f" score {top['score'].min():.0f}–{top['score'].max():.0f} and {cost}; first is"
        f" {top.iloc[0]['demand_id']} “{top.iloc[0]['title']}”."
    )


def customers(customers: pd.DataFrame) -> str:
    if customers.empty:
        return "No requests."
    named = customers[customers["customer"] != "(no customer)"]
    if named.empty:
        return "No request names its customer, so demand cannot be shown by customer."
    top = named.iloc[0]
    rated = named.dropna(subset=["approval_rate"])
    text = f"{top['customer']} raised the most requests ({fmt.count(top['requests'])})."
    if len(rated) > 1:
        low, high = (
            rated.sort_values("approval_rate").iloc[0],
            rated.sort_values("approval_rate").iloc[-1],
        )
        text += (
            f" Approval rates run from {low['approval_rate']:.0%} ({low['customer']}) to"
            f" {high['approval_rate']:.0%} ({high['customer']})."
        )
    return text


def capacity(vs: dict | None, fiscal: dict | None, currency: str) -> str:
    if vs is None or fiscal is None:
        return ""
    fiscal_year = fiscal["fiscal_year"]
    cost, headroom = (
        fmt.money(vs["approved_cost"], currency, compact=True),
        fmt.money(vs["headroom"], currency, compact=True),
    )
    text = (
        f"{fmt.count(vs['approved_not_started'])} approved requests have not started; their"
        f" estimates total **{cost}**."
    )
    if vs["headroom"] < 0:
        return (
            text + f" The {fiscal_year} Outlook is already above the Plan by"
            f" {fmt.money(-vs['headroom'], currency, compact=True)}, so there is no budget headroom"
            " to start them this year."
        )
    verdict = (
        "covers them"
        if vs["gap"] >= 0
        else f"falls short by {fmt.money(-vs['gap'], currency, compact=True)}"
    )
    return (
        text
        + f" The {fiscal_year} budget headroom (Plan − Outlook) is {headroom}, which {verdict}."
    )


def changes(changed: dict, previous_as_of: pd.Timestamp | None) -> str:
    if previous_as_of is None:
        return "There is no earlier snapshot to compare with."
    moved, new, decided = changed["moved"], changed["new"], changed["decided"]
    approved = int(decided["stage"].isin(["Approved", "In Delivery", "Delivered"]).sum())
    rejected = int((decided["stage"] == "Rejected").sum())
    return (
        f"Since {fmt.date(previous_as_of)}: **{fmt.count(len(new))}** new requests,"
        f" **{fmt.count(len(moved))}** moved stage, and {fmt.count(len(decided))} decisions were"
        f" taken ({fmt.count(approved)} approved, {fmt.count(rejected)} rejected)."
    )


def planner_method(inputs, currency: str) -> str:
    """How the planner chooses, with the numbers it uses."""
    text = (
        "The planner chooses among the requests awaiting a decision (Submitted, Triage,"
        " Assessment) the set with the highest total score (the prioritisation rule above) whose"
        " estimated cost fits the budget"
    )
    if inputs.capacity:
        rate = fmt.money(inputs.rate, currency)
        text += (
            f" and whose hours fit each role's free hours over the next {inputs.months} months"
            " (capacity less the hours already planned). A request's hours are its estimated cost"
            f" ÷ the blended rate of {rate} an hour, split across roles as the planned hours are"
        )
    else:
        text += (
            "; this scope has no people with planned hours and rates, so it weighs the budget alone"
        )
    text += ". It is exact (integer programming, HiGHS), not best-first."
    if inputs.not_weighed:
        weighed = len(inputs.candidates)
        text += (
            f" It weighs the {fmt.count(weighed)} highest-ranked of the"
            f" {fmt.count(weighed + inputs.not_weighed)} requests awaiting a decision; the other"
            f" {fmt.count(inputs.not_weighed)} are not weighed (an exact answer over more takes"
            " the solver minutes)."
        )
    return text


def planner_result(plan, more: dict, currency: str, budget_unit: float, hours_unit: float) -> str:
    money = lambda v: fmt.money(v, currency, compact=True)  # noqa: E731
    if plan.status == "empty":
        return "No request awaiting a decision has a cost estimate: there is nothing to weigh."
    if plan.budget <= 0:
        return (
            "There is no budget left this year for new approvals: the FY headroom (Plan − Outlook)"
            f" less the approved requests not yet started is {money(plan.budget)}. The scenarios"
            " below show what each budget would approve."
        )
    chosen, left = len(plan.chosen), len(plan.left_out)
    text = (
        f"Within {money(plan.budget)}, approving **{fmt.count(chosen)}** of"
        f" {fmt.count(chosen + left)} requests gives the most score: {plan.score:,.0f} points for"
        f" {money(plan.cost)}."
    )
    if plan.status == "best found":
        text += (
            " (The best set the solver found in the time it is given: its score is within"
            f" {fmt.share(plan.gap, 2)} of the best possible.)"
        )
    if plan.binding:
        held = ", ".join("the budget" if b == "budget" else f"{b} hours" for b in plan.binding)
        text += f" What keeps the others out: {held}."
    for name, admitted in more.items():
        if not admitted:
            continue
        unit = (
            money(budget_unit) + " more budget"
            if name == "budget"
            else (f"{hours_unit:,.0f} more {name} hours")
        )
        text += f" {unit} would admit {', '.join(admitted)}."
    return text
