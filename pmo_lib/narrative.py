"""Generated sentences that say what a section shows, with its numbers."""

from __future__ import annotations

import pandas as pd

from pmo_lib import formatting as fmt
from pmo_lib.metrics.data_quality import Assessment


def dq_score(a: Assessment, previous_as_of: pd.Timestamp | None) -> str:
    if a.score is None and a.records:
        return (
            "This data carries none of what the checks read (see below), so there is no"
            " data-quality score: it would be 100 % for want of anything to check."
        )
    if a.score is None:
        return "There are no projects, demand requests or risks to check in this snapshot."
    affected = a.issues[["record_type", "record_id"]].drop_duplicates().shape[0]
    text = (
        f"The data-quality score is **{fmt.percent(a.score)}**: {fmt.count(a.records - affected)} of"
        f" {fmt.count(a.records)} records (projects, demand requests, risks and issues) have no open"
        f" data-quality issue, and {fmt.count(len(a.issues))} issues on {fmt.count(affected)} records need fixing."
    )
    if a.previous_score is not None and previous_as_of is not None:
        delta = a.score - a.previous_score
        direction = "up" if delta > 0 else ("down" if delta < 0 else "unchanged")
        amount = f" {abs(delta):.1f} points" if delta else ""
        text += f" That is {direction}{amount} from {fmt.percent(a.previous_score)} on {fmt.date(previous_as_of)}."
    return text


def dq_ingest(counts: dict) -> str:
    """What the ingest of this snapshot left out, in a sentence (counts: ingest_log.summary)."""
    rows, cells = counts["rows_left_out"], counts["cells_blanked"]
    if not rows and not cells:
        return "The ingest loaded every source row and cell of this snapshot: nothing was left out."
    causes = ", ".join(f"{n:,} {cause}" for cause, n in counts["by_cause"].items())
    return (
        f"The ingest left out **{rows:,} source rows** and blanked **{cells:,} cells** that did"
        f" not fit the data model ({causes}). The figures of every report leave them out;"
        " fix them at the source, or in the mapping file, and ingest again."
    )


def dq_by_kind(a: Assessment) -> str:
    counts = a.change[a.change["issues"] > 0].sort_values("issues", ascending=False)
    if counts.empty:
        return "No check found anything to fix."
    top = counts.head(3)
    listed = ", ".join(f"{r.label.lower()} ({fmt.count(r.issues)})" for r in top.itertuples())
    text = f"The most common problems are {listed}."
    if a.previous_issues is not None:
        new, fixed = int(a.change["new"].sum()), int(a.change["fixed"].sum())
        text += f" Since the previous snapshot **{fmt.count(new)}** issues are new and **{fmt.count(fixed)}** were fixed."
    return text


def dq_owners(owners: pd.DataFrame) -> str:
    if owners.empty:
        return "No owner has anything to fix."
    top = owners.iloc[0]
    return (
        f"{fmt.count(len(owners))} owners have records to fix; **{top['owner']}** has the most,"
        f" {fmt.count(top['issues'])} issues on {fmt.count(top['records'])} records."
    )


def demand_source(history_used: bool) -> str:
    if history_used:
        return "Stage ages, conversions, deliveries and the cumulative flow come from the demand stage history."
    return (
        "There is no demand stage history in this snapshot, so ages count from the decision date (approved and"
        " later) or the submission date, conversions use each request's current stage (rejected and withdrawn"
        " requests count as submitted only), and deliveries and the cumulative flow cannot be shown."
    )


def demand_funnel(funnel: pd.DataFrame, outcomes: pd.DataFrame, currency: str) -> str:
    open_ = funnel[funnel["stage"] != "Delivered"]
    weakest = funnel.dropna(subset=["conversion"]).sort_values("conversion").head(1)
    worth = (
        "(no request carries an estimate)"
        if open_["estimated_cost"].isna().all()
        else f"worth **{fmt.money(open_['estimated_cost'].sum(), currency, compact=True)}** in estimates"
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
        text += f" The lowest conversion is into {w['stage']}: {w['conversion']:.0%} of the requests that left the stage before it."
    if len(outcomes):
        by = outcomes.groupby("outcome")["requests"].sum()
        text += " " + " and ".join(f"{fmt.count(n)} were {o.lower()}" for o, n in by.items()) + "."
    return text


def demand_flow(flow: pd.DataFrame) -> str:
    last = flow.tail(3)
    return (
        f"Over the last three months {fmt.count(last['arrivals'].sum())} requests arrived,"
        f" {fmt.count(last['decisions'].sum())} were decided and {fmt.count(last['deliveries'].sum())} delivered"
        f" (in {len(flow)} months: {fmt.count(flow['arrivals'].sum())} arrivals, {fmt.count(flow['decisions'].sum())}"
        f" decisions, {fmt.count(flow['deliveries'].sum())} deliveries)."
    )


def demand_ageing(late: pd.DataFrame, aged: pd.DataFrame) -> str:
    if aged.empty:
        return "There are no open requests."
    if late.empty:
        return f"All {fmt.count(len(aged))} open requests are within their stage's SLA."
    top = late.iloc[0]
    worst = late.groupby("stage").size().sort_values(ascending=False)
    return (
        f"**{fmt.count(len(late))}** of {fmt.count(len(aged))} open requests are past their stage's SLA, most of them in"
        f" {worst.index[0]} ({fmt.count(worst.iloc[0])}). The oldest, {top['demand_id']} “{top['title']}”, has been in"
        f" {top['stage']} for {fmt.count(top['age_days'])} days against an SLA of {fmt.count(top['sla_days'])}."
    )


def demand_lead_times(summary: pd.DataFrame, median_12m: float | None) -> str:
    parts = []
    for r in summary.itertuples():
        if r.requests:
            parts.append(
                f"{r.measure.lower()} takes a median of {r.median_days:.0f} days (85th percentile {r.p85_days:.0f}) over {fmt.count(r.requests)} requests"
            )
    if not parts:
        return "No request has been decided yet."
    text = "From submission, " + "; ".join(parts) + "."
    if median_12m is not None:
        text += f" For requests decided in the last 12 months the median to decision is **{median_12m:.0f} days**."
    return text


def demand_backlog(ranked: pd.DataFrame, currency: str) -> str:
    if ranked.empty:
        return "The backlog is empty."
    top = ranked.head(10)
    cost = (
        "have no estimates"
        if top["estimated_cost"].isna().all()
        else f"would cost {fmt.money(top['estimated_cost'].sum(), currency, compact=True)} in estimates"
    )
    return (
        f"The backlog holds {fmt.count(len(ranked))} requests not yet in delivery. The top ten score"
        f" {top['score'].min():.0f}–{top['score'].max():.0f} and {cost};"
        f" first is {top.iloc[0]['demand_id']} “{top.iloc[0]['title']}”."
    )


def demand_customers(customers: pd.DataFrame) -> str:
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
        text += f" Approval rates run from {low['approval_rate']:.0%} ({low['customer']}) to {high['approval_rate']:.0%} ({high['customer']})."
    return text


def demand_capacity(vs: dict | None, fiscal: dict | None, currency: str) -> str:
    if vs is None or fiscal is None:
        return ""
    fiscal_year = fiscal["fiscal_year"]
    cost, headroom = (
        fmt.money(vs["approved_cost"], currency, compact=True),
        fmt.money(vs["headroom"], currency, compact=True),
    )
    text = f"{fmt.count(vs['approved_not_started'])} approved requests have not started; their estimates total **{cost}**."
    if vs["headroom"] < 0:
        return (
            text
            + f" The {fiscal_year} Outlook is already above the Plan by {fmt.money(-vs['headroom'], currency, compact=True)}, so there is no budget headroom to start them this year."
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


def demand_changes(changed: dict, previous_as_of: pd.Timestamp | None) -> str:
    if previous_as_of is None:
        return "There is no earlier snapshot to compare with."
    moved, new, decided = changed["moved"], changed["new"], changed["decided"]
    approved = int(decided["stage"].isin(["Approved", "In Delivery", "Delivered"]).sum())
    rejected = int((decided["stage"] == "Rejected").sum())
    return (
        f"Since {fmt.date(previous_as_of)}: **{fmt.count(len(new))}** new requests, **{fmt.count(len(moved))}** moved stage, and"
        f" {fmt.count(len(decided))} decisions were taken ({fmt.count(approved)} approved, {fmt.count(rejected)} rejected)."
    )


def spend_budget_tiles(
    budgets: pd.DataFrame, previous_as_of: pd.Timestamp | None, currency: str
) -> list[tuple[str, str, str]]:
    """Tiles for data with budgets but no financials: what the budgets are and how they moved."""
    top = budgets.iloc[0]
    leaves = budgets[budgets["level"] == 4]
    with_budget = int((leaves["bac"] > 0).sum())  # as data quality counts it: blank or 0 is none
    since = (
        f"since {fmt.date(previous_as_of)}" if previous_as_of is not None else "no earlier snapshot"
    )
    return [
        (
            "Budget at completion",
            fmt.money(top["bac"], currency, compact=True) or "n/a",
            "all projects in scope",
        ),
        (
            "Projects with a budget",
            f"{with_budget:,} of {len(leaves):,}",
            "budget at completion given",
        ),
        ("Budget change", fmt.money(top["bac_change"], currency, compact=True) or "n/a", since),
    ]


def spend_budgets(budgets: pd.DataFrame, currency: str) -> str:
    top = budgets.iloc[0]
    if pd.isna(top["bac"]):
        return "This data has neither financials nor budgets at completion, so there is no spend to show."
    m = lambda v: fmt.money(v, currency, compact=True)  # noqa: E731
    text = (
        "This data has no monthly financials (plan, forecast, actual), so FY Plan, Outlook and"
        f" spend to date cannot be shown. Its projects' budgets at completion add up to **{m(top['bac'])}**"
    )
    if pd.notna(top["bac_change"]):
        direction = "up" if top["bac_change"] > 0 else "down"
        text += f", {direction} {m(abs(top['bac_change']))} on the projects the previous snapshot also had"
        if top["bac_change"] == 0:
            text = text.replace(f", {direction} {m(0)} on", ", unchanged on")
    return text + "; the table below gives them by level."


def spend_headline(position: dict, currency: str) -> str:
    m = lambda v: fmt.money(v, currency, compact=True)  # noqa: E731
    direction = "above" if position["fy_variance"] > 0 else "below"
    pct = (
        ""
        if position["fy_variance_pct"] is None
        else f" ({fmt.percent(abs(position['fy_variance_pct']))})"
    )
    text = (
        f"For {position['fiscal_year']} the Outlook is **{m(position['fy_outlook'])}**, {m(abs(position['fy_variance']))}{pct}"
        f" {direction} the FY Plan of {m(position['fy_plan'])}. Spend to date is {m(position['ytd_actual'])} against a YTD plan"
        f" of {m(position['ytd_plan'])}."
    )
    if position.get("fy_forecast_closed"):
        text += (
            f" The Outlook includes {m(position['fy_forecast_closed'])} of forecasts for closed"
            " months that have no actuals booked (taken as the best figure there is)."
        )
    gap = position["fy_run_rate_projection"] - position["fy_outlook"]
    side = "above" if gap > 0 else "below"
    return (
        text
        + f" At the run rate of the last three months the year would end at {m(position['fy_run_rate_projection'])}, {m(abs(gap))} {side} the managers' Outlook."
    )


def spend_burn(burn: pd.DataFrame, currency: str) -> str:
    closed = burn[burn["closed"]]
    if closed.empty:
        return "No month of this fiscal year is closed yet."
    last = closed.iloc[-1]
    return (
        f"{len(closed)} of 12 months are closed. In {last['month']:%B %Y} actual spend was {fmt.money(last['actual'], currency, compact=True)}"
        f" against a plan of {fmt.money(last['plan'], currency, compact=True)}; the open months carry"
        f" {fmt.money(burn.loc[~burn['closed'], 'forecast'].sum(), currency, compact=True)} of forecast."
    )


def spend_rollup(rollup: pd.DataFrame, currency: str) -> str:
    children = rollup[rollup["level"] == (2 if (rollup["level"] == 1).sum() == 1 else 1)]
    if children.empty:
        return ""
    worst = children.sort_values("fy_variance", ascending=False).iloc[0]
    return (
        f"The largest overrun against plan at the level below is {worst['name']}: Outlook {fmt.money(worst['fy_outlook'], currency, compact=True)}"
        f" against a plan of {fmt.money(worst['fy_plan'], currency, compact=True)} ({fmt.percent(worst['fy_variance_pct']) or 'no plan'})."
    )


def _blank(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or str(value) == ""


def spend_exceptions(exceptions: pd.DataFrame, params, currency: str) -> str:
    rule = (
        f"A project is listed when |Outlook − Plan| is at least {fmt.percent(params.exception_variance_pct)} of its plan and"
        f" {fmt.money(params.exception_min_amount, currency)}, when it has no plan but an Outlook of at least that amount, or when"
        f" its Outlook moved {fmt.percent(params.exception_outlook_change_pct)} and that amount since the previous snapshot."
    )
    if exceptions.empty:
        return rule + " No project passes these thresholds."
    top = exceptions.iloc[0]
    manager = f" ({top['project_manager']})" if not _blank(top["project_manager"]) else ""
    return rule + (
        f" **{fmt.count(len(exceptions))}** projects do; the largest variance is {top['project_id']} {top['project_name']}"
        f"{manager}, {fmt.money(top['fy_variance'], currency, compact=True)}."
    )


def spend_mix(by_type: pd.DataFrame, currency: str) -> str:
    if by_type.empty or by_type["fy_outlook"].sum() == 0:
        return ""
    capex = by_type.loc[by_type["expense_type"] == "Capex", "fy_outlook"].sum()
    share = 100 * capex / by_type["fy_outlook"].sum()
    return f"Capital spend is {fmt.percent(share)} of the Outlook ({fmt.money(capex, currency, compact=True)})."


def spend_ev(total: dict, formula_text: str, quadrant: str, projects: int, currency: str) -> str:
    if total["cpi"] is None and total["spi"] is None:
        return (
            "Earned value needs actuals and plan to date; there are none for the active projects."
        )
    return (
        f"Across {fmt.count(projects)} active projects CPI is **{fmt.ratio(total['cpi'])}** and SPI **{fmt.ratio(total['spi'])}**"
        f" ({quadrant}), from summed EV {fmt.money(total['ev'], currency, compact=True)}, AC {fmt.money(total['ac'], currency, compact=True)}"
        f" and PV {fmt.money(total['pv'], currency, compact=True)}. {formula_text}: EAC {fmt.money(total['eac'], currency, compact=True)}"
        f" against a BAC of {fmt.money(total['bac'], currency, compact=True)}. Group indices come from summed values, never from averaging projects' ratios."
    )


def spend_drift(moves: pd.DataFrame, snapshots: int, currency: str) -> str:
    if snapshots < 2:
        return "There is only one snapshot, so the Outlook has no history yet."
    if moves.empty:
        return f"No project's Outlook moved across the {snapshots} snapshots."
    top = moves.iloc[0]
    return (
        f"Across {snapshots} snapshots the Outlook of {top['project_id']} {top['project_name']} moved most:"
        f" {fmt.money(top['first'], currency, compact=True)} → {fmt.money(top['last'], currency, compact=True)}."
    )


def spend_hygiene(found: pd.DataFrame) -> str:
    if found.empty:
        return "No financial hygiene issue found."
    counts = found.groupby("rule").size()
    return (
        f"**{fmt.count(found['project_id'].nunique())}** projects need attention: "
        + ", ".join(f"{fmt.count(n)} × {rule.replace('_', ' ')}" for rule, n in counts.items())
        + "."
    )


def spend_tiles(position: dict, currency: str) -> list[tuple[str, str, str]]:
    m = lambda v: fmt.money(v, currency, compact=True)  # noqa: E731
    pct = "" if position["fy_variance_pct"] is None else fmt.percent(position["fy_variance_pct"])
    return [
        (f"{position['fiscal_year']} Plan", m(position["fy_plan"]), "the FY budget"),
        ("YTD Plan", m(position["ytd_plan"]), "closed months"),
        ("YTD Actual", m(position["ytd_actual"]), "booked spend"),
        ("Outlook", m(position["fy_outlook"]), "actuals + forecast"),
        ("Variance", m(position["fy_variance"]), f"Outlook − Plan {pct}".strip()),
        ("Run-rate projection", m(position["fy_run_rate_projection"]), "last 3 months' pace"),
    ]


def health_tiles(headlines: dict) -> list[tuple[str, str, str]]:
    """Active projects and the computed RAG counts, No data beside red, amber and green."""
    h = headlines
    return [
        ("Active projects", fmt.count(h["active_projects"]), "rated by the rules below"),
        ("Computed red", fmt.count(h["rag_red"]), "act now"),
        ("Computed amber", fmt.count(h["rag_amber"]), "watch"),
        ("Computed green", fmt.count(h["rag_green"]), "on track"),
        ("No data to rate", fmt.count(h["rag_no_data"]), "missing what the rules read"),
    ]


def health_matrix(headlines: dict) -> str:
    if not headlines["active_projects"]:
        return "There are no active projects."
    h = headlines
    return (
        f"Of {fmt.count(h['active_projects'])} active projects, the rules rate **{fmt.count(h['rag_red'])} red**,"
        f" {fmt.count(h['rag_amber'])} amber and {fmt.count(h['rag_green'])} green"
        + (f", and {fmt.count(h['rag_no_data'])} lack the data to rate" if h["rag_no_data"] else "")
        + f". **{fmt.count(h['reported_better_than_computed'])}** project managers report a better status than the rules compute."
    )


def health_trend(trend: pd.DataFrame, changed: pd.DataFrame) -> str:
    if len(trend) < 2:
        return "There is only one snapshot, so there is no trend yet."
    first, last = trend.iloc[0], trend.iloc[-1]
    worse = (
        int(
            (
                changed["now"].map({"Green": 0, "No data": 1, "Amber": 2, "Red": 3})
                > changed["was"].map({"Green": 0, "No data": 1, "Amber": 2, "Red": 3})
            ).sum()
        )
        if len(changed)
        else 0
    )
    return (
        f"Red projects went from {fmt.count(first['Red'])} on {fmt.date(first['as_of'])} to {fmt.count(last['Red'])} on {fmt.date(last['as_of'])}."
        f" Since the previous snapshot {fmt.count(len(changed))} projects changed colour, {fmt.count(worse)} of them for the worse."
    )


def health_schedule(
    assessed: pd.DataFrame, late: pd.DataFrame, due: pd.DataFrame, has_milestones: bool = True
) -> str:
    """Slipped projects (only those with a slip to measure) and, where the data has milestones,
    what is overdue and due soon."""
    measured = assessed["slip_days"].notna() if len(assessed) else pd.Series(dtype=bool)
    if not measured.any():
        text = "No active project has both a forecast and a baseline finish, so no slip is measured"
    else:
        slipped = assessed[assessed["slip_days"] > 0]
        text = (
            f"{fmt.count(len(slipped))} of {fmt.count(int(measured.sum()))} active projects with a"
            " measurable slip forecast to finish after their baseline"
        )
        if len(slipped):
            text += f", by a median of {slipped['slip_days'].median():.0f} days"
    if not has_milestones:
        return text + ". The data has no milestones, so none is reported overdue or due soon."
    overdue = int(late["overdue"].sum()) if len(late) else 0
    soon = due["window"].value_counts()
    return text + (
        f". {fmt.count(overdue)} milestones are overdue; {fmt.count(soon.get('next 30 days', 0))} fall due in the next 30 days,"
        f" {fmt.count(soon.get('31–60 days', 0))} in 31–60 and {fmt.count(soon.get('61–90 days', 0))} in 61–90 days."
    )


def health_risks(register: pd.DataFrame, as_of: pd.Timestamp) -> str:
    open_ = register[register["status"] != "Closed"]
    risks, issues = open_[open_["kind"] == "Risk"], open_[open_["kind"] == "Issue"]
    high = int((risks["score"] >= 15).sum())
    late = int((issues["days_past_due"] > 0).sum())
    return (
        f"{fmt.count(len(risks))} risks are open, **{fmt.count(high)}** of them high (score 15 or more), and"
        f" {fmt.count(len(issues))} issues, {fmt.count(late)} past their due date."
    )


def health_gates(gates: pd.DataFrame, gaps: pd.DataFrame) -> str:
    if gates.empty:
        return "No gate has been passed yet."
    return (
        f"{fmt.count(gaps['project_id'].nunique())} projects passed a gate without every required artifact approved;"
        f" {fmt.count(int(gates['Missing'].sum()))} artifacts are still missing."
    )


def health_watch(watch: pd.DataFrame) -> str:
    if watch.empty:
        return "No project needs discussing at the next review."
    return f"These {fmt.count(len(watch))} projects need discussing at the next review, those reported better than computed first."


def resourcing_scope(portfolio: str | None) -> str:
    if portfolio is None:
        return "The whole function: every resource's capacity and every booking."
    return (
        f"Capacity counts the people whose home portfolio is {portfolio}. Allocation counts every hour booked to"
        f" {portfolio}'s projects — by its own people and by people from shared teams or other portfolios — plus the"
        " non-project work of its own people. Shared people's capacity is not counted here; their hours on this"
        " portfolio's projects are. A person's load counts every hour booked to them, in any portfolio."
    )


def resourcing_capacity(by_month: pd.DataFrame, coming: pd.DatetimeIndex) -> str:
    ahead = by_month[by_month["period"].isin(coming)]
    if ahead.empty:
        return ""
    nxt = ahead.iloc[0]
    util = fmt.percent(nxt["planned_utilisation"]) or "not defined (no capacity)"
    short = ahead[ahead["availability_hours"] < 0]
    text = (
        f"Next month ({nxt['period']:%B %Y}) {fmt.count(nxt['planned_hours'])} hours are booked against a capacity of"
        f" {fmt.count(nxt['capacity_hours'])}: planned utilisation **{util}**."
    )
    if len(short):
        text += f" Bookings exceed capacity in {len(short)} of the next {len(ahead)} months."
    return text


def resourcing_people(over: pd.DataFrame, under: pd.DataFrame, coming: pd.DatetimeIndex) -> str:
    nxt = coming[0]
    over_next = over[over["period"] == nxt]
    under_next = under[under["period"] == nxt]
    text = f"In {nxt:%B %Y} **{fmt.count(over_next['resource_id'].nunique())}** people are booked above capacity"
    if len(over_next):
        top = over_next.iloc[0]
        text += f" (most: {top['name']}, {fmt.count(top['over_hours'])} hours over)"
    return (
        text
        + f" and {fmt.count(under_next['resource_id'].nunique())} below the under-use threshold."
    )


def resourcing_shortfall(short: pd.DataFrame) -> str:
    gaps = short[short["next_6_months"] > 0]
    if gaps.empty:
        return "No role is booked beyond its capacity over the next six months."
    top = gaps.iloc[0]
    return (
        f"{fmt.count(len(gaps))} roles are short over the next six months; the largest gap is {top['role']}:"
        f" **{fmt.count(top['next_6_months'])} hours** ({fmt.count(top['next_3_months'])} in the next three) — the staffing"
        " request to take to resource and vendor management."
    )


def resourcing_mix(mix: pd.DataFrame, vendors: pd.DataFrame, currency: str) -> str:
    total_fte = mix["fte"].sum()
    if not total_fte and not mix["cost"].sum():
        return ""
    parts = ", ".join(f"{r.employment_type.lower()}s {r.fte:.1f} FTE" for r in mix.itertuples())
    text = f"Home resources: {parts}. Timesheet cost over the closed months: {fmt.money(mix['cost'].sum(), currency, compact=True)}"
    if len(vendors):
        text += f", of which {fmt.money(vendors['cost'].sum(), currency, compact=True)} to vendors (most to {vendors.iloc[0]['vendor']})"
    return text + "."


def resourcing_plan_actual(plan_actual: pd.DataFrame, unplanned: pd.DataFrame) -> str:
    if plan_actual.empty:
        return "No project hours were planned or booked in the closed months."
    planned, actual = plan_actual["planned_hours"].sum(), plan_actual["actual_hours"].sum()
    return (
        f"In the closed months {fmt.count(actual)} timesheet hours were booked against {fmt.count(planned)} planned"
        f" ({fmt.percent(100 * actual / planned) if planned else 'no plan'}). {fmt.count(len(unplanned))} bookings have hours without an allocation."
    )


def resourcing_bau(share: pd.DataFrame, coming: pd.DatetimeIndex) -> str:
    ahead = share[share["period"].isin(coming)]
    if ahead.empty or (ahead["project_hours"] + ahead["bau_hours"]).sum() == 0:
        return ""
    pct = 100 * ahead["project_hours"].sum() / (ahead["project_hours"] + ahead["bau_hours"]).sum()
    return f"Over the next {len(ahead)} months {fmt.percent(pct)} of the booked hours go to projects and the rest to non-project work."


def resourcing_changes(changes: dict, previous_as_of: pd.Timestamp | None) -> str:
    if previous_as_of is None:
        return "There is no earlier snapshot to compare with."
    hours = changes["hours"]
    delta = hours["change"].sum() if len(hours) else 0
    direction = "more" if delta > 0 else "fewer"
    return (
        f"Since {fmt.date(previous_as_of)}, bookings for the coming months carry {fmt.count(abs(delta))} {direction} hours;"
        f" {fmt.count(len(changes['people']))} changes in people or capacity."
    )


def summary_tiles(
    tiles: pd.DataFrame, currency: str, previous_as_of: pd.Timestamp | None
) -> list[tuple[str, str, str]]:
    shown = []
    for t in tiles.itertuples():
        value = _tile_value(t.value, t.kind, currency)
        if t.change is None or pd.isna(t.change) or previous_as_of is None:
            note = "no earlier snapshot" if previous_as_of is None else ""
        elif (change := _tile_value(abs(t.change), t.kind, currency)) == _tile_value(
            0, t.kind, currency
        ):  # no change, or one that shows as none ("▼ 0 days" for 0.4 days)
            note = f"no change since {fmt.date(previous_as_of)}"
        else:
            arrow = "▲" if t.change > 0 else "▼"
            note = f"{arrow} {change} since {fmt.date(previous_as_of)}"
        shown.append((t.label, value, note))
    return shown


def _tile_value(value: object, kind: str, currency: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "n/a"
    return {
        "money": lambda v: fmt.money(v, currency, compact=True),
        "percent": fmt.percent,
        "days": lambda v: f"{v:.0f} days",
        "count": fmt.count,
    }[kind](value)


def summary_exceptions(found, currency: str) -> pd.DataFrame:
    """The summary's exceptions (metrics.summary.Exceptions) as rows: area, item and why, in
    words; health's why is its own rules' reasons."""
    rows = [
        ("Health", f"{r.project_id} {r.project_name}", r.why) for r in found.health.itertuples()
    ]
    rows += [
        (
            "Spend",
            f"{r.project_id} {r.project_name}",
            f"Outlook {fmt.money(r.fy_outlook, currency)} against a plan of"
            f" {fmt.money(r.fy_plan, currency)} ({r.reason})",
        )
        for r in found.spend.itertuples()
    ]
    rows += [
        (
            "Demand",
            f"{r.demand_id} {r.title}",
            f"{r.age_days} days in {r.stage} (SLA {r.sla_days:.0f})",
        )
        for r in found.demand.itertuples()
    ]
    rows += [
        ("Resourcing", r.role, f"short {r.next_3_months:,.0f} hours over the next 3 months")
        for r in found.resourcing.itertuples()
    ]
    return pd.DataFrame(rows, columns=["area", "item", "why"])


def summary_changes(
    ch, currency: str, previous_as_of: pd.Timestamp | None, absent: frozenset = frozenset()
) -> list[str]:
    """What changed since last period, one sentence per kind of change; absent names the tables
    the data lacks, whose sentences would only say zero."""
    if previous_as_of is None:
        return ["There is no earlier snapshot to compare with."]
    out = []

    def names(frame: pd.DataFrame, id_col: str, name_col: str, top: int = 3) -> str:
        listed = ", ".join(f"{r[id_col]} {r[name_col]}" for _, r in frame.head(top).iterrows())
        return listed + (f" and {len(frame) - top} more" if len(frame) > top else "")

    out.append(
        f"**{fmt.count(len(ch.turned_red))}** projects turned red"
        + (f": {names(ch.turned_red, 'project_id', 'project_name')}" if len(ch.turned_red) else "")
        + f"; {fmt.count(len(ch.recovered))} recovered from red"
        + (f": {names(ch.recovered, 'project_id', 'project_name')}" if len(ch.recovered) else "")
        + "."
    )
    if "financials" not in absent:
        if len(ch.outlook_moves):
            top = ch.outlook_moves.iloc[0]
            out.append(
                f"The largest Outlook movement is {top['project_id']} {top['project_name']}: {fmt.money(top['outlook_change'], currency, compact=True)}"
                f" to {fmt.money(top['fy_outlook'], currency, compact=True)}; {fmt.count(len(ch.outlook_moves))} projects moved past the exception threshold."
            )
        else:
            out.append("No project's Outlook moved past the exception threshold.")
    if "risks" not in absent:
        out.append(
            f"{fmt.count(len(ch.new_high_risks))} new high risks"
            + (
                f", among them {names(ch.new_high_risks, 'item_id', 'title', 2)}"
                if len(ch.new_high_risks)
                else ""
            )
            + "."
        )
    if "demand" not in absent:
        approved = (
            int(ch.decided["stage"].isin(["Approved", "In Delivery", "Delivered"]).sum())
            if len(ch.decided)
            else 0
        )
        rejected = int((ch.decided["stage"] == "Rejected").sum()) if len(ch.decided) else 0
        out.append(
            f"Demand: {fmt.count(approved)} requests approved and {fmt.count(rejected)} rejected."
        )
    if "milestones" not in absent:
        out.append(
            f"{fmt.count(len(ch.gates_passed))} gate reviews passed"
            + (
                f", e.g. {ch.gates_passed.iloc[0]['project_id']} {ch.gates_passed.iloc[0]['milestone']}"
                if len(ch.gates_passed)
                else ""
            )
            + "."
        )
    return out
