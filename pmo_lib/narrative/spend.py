"""The spend report's sentences and tiles: FY position, burn, roll-up, exceptions, mix, earned
value, Outlook drift and financial hygiene."""

from __future__ import annotations

import pandas as pd

from pmo_lib import formatting as fmt


def budget_tiles(
    budgets: pd.DataFrame, previous_as_of: pd.Timestamp | None, currency: str
) -> list[tuple[str, str, str]]:
    """Tiles for data with budgets but no financials: what the budgets are and how they moved."""
    top = budgets.iloc[0]
    leaves = budgets[(budgets["level"] == budgets["level"].max()) & (budgets["level"] > 0)]
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


def budgets(budgets: pd.DataFrame, currency: str) -> str:
    top = budgets.iloc[0]
    if pd.isna(top["bac"]):
        return (
            "This data has neither financials nor budgets at completion, so there is no spend to"
            " show."
        )
    m = lambda v: fmt.money(v, currency, compact=True)  # noqa: E731
    text = (
        "This data has no monthly financials (plan, forecast, actual), so FY Plan, Outlook and"
        " spend to date cannot be shown. Its projects' budgets at completion add up to"
        f" **{m(top['bac'])}**"
    )
    if pd.notna(top["bac_change"]):
        direction = "up" if top["bac_change"] > 0 else "down"
        text += (
            f", {direction} {m(abs(top['bac_change']))} on the projects the previous snapshot also"
            " had"
        )
        if top["bac_change"] == 0:
            text = text.replace(f", {direction} {m(0)} on", ", unchanged on")
    return text + "; the table below gives them by level."


def headline(position: dict, currency: str) -> str:
    m = lambda v: fmt.money(v, currency, compact=True)  # noqa: E731
    direction = "above" if position["fy_variance"] > 0 else "below"
    pct = (
        ""
        if position["fy_variance_pct"] is None
        else f" ({fmt.percent(abs(position['fy_variance_pct']))})"
    )
    text = (
        f"For {position['fiscal_year']} the Outlook is **{m(position['fy_outlook'])}**,"
        f" {m(abs(position['fy_variance']))}{pct} {direction} the FY Plan of"
        f" {m(position['fy_plan'])}. Spend to date is {m(position['ytd_actual'])} against a YTD"
        f" plan of {m(position['ytd_plan'])}."
    )
    if position.get("fy_forecast_closed"):
        text += (
            f" The Outlook includes {m(position['fy_forecast_closed'])} of forecasts for closed"
            " months that have no actuals booked (taken as the best figure there is)."
        )
    gap = position["fy_run_rate_projection"] - position["fy_outlook"]
    side = "above" if gap > 0 else "below"
    return (
        text + " At the run rate of the last three months the year would end at"
        f" {m(position['fy_run_rate_projection'])}, {m(abs(gap))} {side} the managers' Outlook."
    )


def burn(burn: pd.DataFrame, currency: str) -> str:
    closed = burn[burn["closed"]]
    if closed.empty:
        return "No month of this fiscal year is closed yet."
    last = closed.iloc[-1]
    return (
        f"{len(closed)} of 12 months are closed. In {last['month']:%B %Y} actual spend was"
        f" {fmt.money(last['actual'], currency, compact=True)} against a plan of"
        f" {fmt.money(last['plan'], currency, compact=True)}; the open months carry"
        f" {fmt.money(burn.loc[~burn['closed'], 'forecast'].sum(), currency, compact=True)} of"
        " forecast."
    )


def rollup(rollup: pd.DataFrame, currency: str) -> str:
    children = rollup[rollup["level"] == (2 if (rollup["level"] == 1).sum() == 1 else 1)]
    if children.empty:
        return ""
    worst = children.sort_values("fy_variance", ascending=False).iloc[0]
    return (
        f"The largest overrun against plan at the level below is {worst['name']}: Outlook"
        f" {fmt.money(worst['fy_outlook'], currency, compact=True)} against a plan of"
        f" {fmt.money(worst['fy_plan'], currency, compact=True)}"
        f" ({fmt.percent(worst['fy_variance_pct']) or 'no plan'})."
    )


def _blank(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or str(value) == ""


def exceptions(exceptions: pd.DataFrame, params, currency: str) -> str:
    rule = (
        "A project is listed when |Outlook − Plan| is at least"
        f" {fmt.percent(params.exception_variance_pct)} of its plan and"
        f" {fmt.money(params.exception_min_amount, currency)}, when it has no plan but an Outlook"
        " of at least that amount, or when its Outlook moved"
        f" {fmt.percent(params.exception_outlook_change_pct)} and that amount since the previous"
        " snapshot."
    )
    if exceptions.empty:
        return rule + " No project passes these thresholds."
    top = exceptions.iloc[0]
    manager = f" ({top['project_manager']})" if not _blank(top["project_manager"]) else ""
    return rule + (
        f" **{fmt.count(len(exceptions))}** projects do; the largest variance is"
        f" {top['project_id']} {top['project_name']}{manager},"
        f" {fmt.money(top['fy_variance'], currency, compact=True)}."
    )


def mix(by_type: pd.DataFrame, currency: str) -> str:
    if by_type.empty or by_type["fy_outlook"].sum() == 0:
        return ""
    capex = by_type.loc[by_type["expense_type"] == "Capex", "fy_outlook"].sum()
    share = 100 * capex / by_type["fy_outlook"].sum()
    return (
        f"Capital spend is {fmt.percent(share)} of the Outlook"
        f" ({fmt.money(capex, currency, compact=True)})."
    )


def ev(total: dict, formula_text: str, quadrant: str, projects: int, currency: str) -> str:
    if total["cpi"] is None and total["spi"] is None:
        return (
            "Earned value needs actuals and plan to date; there are none for the active projects."
        )
    return (
        f"Across {fmt.count(projects)} active projects CPI is **{fmt.ratio(total['cpi'])}** and SPI"
        f" **{fmt.ratio(total['spi'])}** ({quadrant}), from summed EV"
        f" {fmt.money(total['ev'], currency, compact=True)}, AC"
        f" {fmt.money(total['ac'], currency, compact=True)} and PV"
        f" {fmt.money(total['pv'], currency, compact=True)}. {formula_text}: EAC"
        f" {fmt.money(total['eac'], currency, compact=True)} against a BAC of"
        f" {fmt.money(total['bac'], currency, compact=True)}. Group indices come from summed"
        " values, never from averaging projects' ratios."
    )


def drift(moves: pd.DataFrame, snapshots: int, currency: str) -> str:
    if snapshots < 2:
        return "There is only one snapshot, so the Outlook has no history yet."
    if moves.empty:
        return f"No project's Outlook moved across the {snapshots} snapshots."
    top = moves.iloc[0]
    return (
        f"Across {snapshots} snapshots the Outlook of {top['project_id']} {top['project_name']}"
        f" moved most: {fmt.money(top['first'], currency, compact=True)} →"
        f" {fmt.money(top['last'], currency, compact=True)}."
    )


def hygiene(found: pd.DataFrame) -> str:
    if found.empty:
        return "No financial hygiene issue found."
    counts = found.groupby("rule").size()
    return (
        f"**{fmt.count(found['project_id'].nunique())}** projects need attention: "
        + ", ".join(f"{fmt.count(n)} × {rule.replace('_', ' ')}" for rule, n in counts.items())
        + "."
    )


def tiles(position: dict, currency: str) -> list[tuple[str, str, str]]:
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


def outlook_range(r: dict | None, fy_name: str, currency: str) -> str:
    """The Monte Carlo's range in words, with the method."""
    from pmo_lib.metrics import forecast

    if not r:
        return f"No {fy_name} Outlook to draw a range around."
    money = lambda v: fmt.money(v, currency, compact=True)  # noqa: E731
    plan = (
        f"; within the FY Plan of {money(r['plan'])}, {fmt.share(r['within_plan'])}"
        if r["within_plan"] is not None
        else ""
    )
    return (
        f"Drawing each of the {fmt.count(r['drawn_projects'])} active projects' cost growth"
        f" {forecast.DRAWS:,} times (seed {r['seed']}) from the movements of comparable projects"
        " (the health report's 'Where projects will land' says how they are compared), applied to"
        " what each"
        f" still forecasts for {fy_name} up to its year end: the {fy_name} Outlook lands between"
        f" **{money(r['p10'])}** (P10) and **{money(r['p90'])}** (P90), median"
        f" {money(r['p50'])}. The chance it stays within today's Outlook of {money(r['outlook'])}"
        f" is {fmt.share(r['holds'])}{plan}."
    )


def benefits(result, currency: str) -> str:
    """Benefits realisation in words: the financial figures, what is at risk, and how."""
    m = lambda v: fmt.money(v, currency, compact=True)  # noqa: E731
    t = result.totals
    counted = len(result.benefits)
    at_risk = result.benefits["status"].value_counts()
    parts = []
    if t["planned_to_date"]:
        if t["realised_to_date"] is None:
            realised = "no realised value reported"
        else:
            realised = f"{m(t['realised_to_date'])} realised"
            if t["realised_pct"] is not None:
                realised += (
                    f" ({fmt.percent(t['realised_pct'], 0)} of the plan of the months reported)"
                )
        parts.append(
            f"Financial benefits planned to date: **{m(t['planned_to_date'])}**, {realised}."
        )
    elif t["expected_total"] is not None:
        parts.append("No financial benefit is due yet.")
    if t["expected_costed"] is not None and t["cost_at_completion"]:
        parts.append(
            f"For the projects with a cost at completion, realised so far plus the plans of the"
            f" months to come: {m(t['expected_costed'])} against {m(t['cost_at_completion'])}"
            f" (ROI {fmt.percent(t['roi_pct'], 0) or 'n/a'})."
        )
    risky, silent = int(at_risk.get("At risk", 0)), int(at_risk.get("Not reported", 0))
    parts.append(
        f"Of {fmt.count(counted)} benefits, {fmt.count(risky)} {'is' if risky == 1 else 'are'}"
        f" at risk (realised {result.at_risk_pct:g} % or more behind plan to date) and"
        f" {fmt.count(silent)} due but not reported."
    )
    return " ".join(parts)
