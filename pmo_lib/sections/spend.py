"""The sections of the spend report: each renders one part of the page from report.view, so the
notebook shows them in order and the JupyterLab filter panel re-renders them in place."""

from __future__ import annotations

import pandas as pd

from pmo_lib import charts, data
from pmo_lib.metrics import spend
from pmo_lib.narrative import spend as words
from pmo_lib.report import PROJECT_COLUMNS, Report, needs


def analyse(report: Report) -> spend.SpendView:
    """Everything the sections show, computed once per data the report holds."""
    return spend.analyse(
        report.now,
        report.before,
        report.config.fiscal_year_start_month,
        report.config.spend,
        report.config.title,
        data.all_snapshots(report.data),
        report.data.functions,
    )


def headline(report: Report) -> None:
    """Headline."""
    view = report.view
    currency = report.config.currency
    if not view.has_financials:
        previous = report.before.as_of if report.before else None
        report.kpis(words.budget_tiles(view.budgets, previous, currency))
        report.say(words.budgets(view.budgets, currency))
        return
    report.kpis(words.tiles(view.position, currency))
    report.say(words.headline(view.position, currency))


@needs("financials")
def burn(report: Report) -> None:
    """Monthly burn."""
    view = report.view
    currency = report.config.currency
    symbol = report.currency_symbol
    report.chart(
        charts.monthly_burn(
            view.burn, f"{view.fy.name}: plan, actual and forecast by month", symbol
        )
    )
    report.chart(
        charts.cumulative_burn(view.burn, f"{view.fy.name}: cumulative spend against plan", symbol)
    )
    report.say(words.burn(view.burn, currency))


def rollup(report: Report) -> None:
    """Roll-up."""
    view = report.view
    currency = report.config.currency
    if not view.has_financials:
        report.table(
            spend.indented(view.budgets),
            {
                "label": spend.levels_heading(report.data.functions),
                "bac": "Budget at completion",
                "bac_before": "Previous snapshot (same projects)",
                "bac_change": "Change",
            },
            money=["bac", "bac_before", "bac_change"],
            caption="Budget at completion by level",
        )
        return
    report.say(words.rollup(view.rollup, currency))
    report.table(
        spend.indented(view.rollup),
        {
            "label": spend.levels_heading(report.data.functions),
            "fy_plan": "FY Plan",
            "ytd_actual": "YTD Actual",
            "fy_outlook": "Outlook",
            "fy_variance": "Variance",
            "fy_variance_pct": "Variance %",
        },
        money=["fy_plan", "ytd_actual", "fy_outlook", "fy_variance"],
        percent=["fy_variance_pct"],
    )


@needs("financials")
def exceptions(report: Report) -> None:
    """Exceptions."""
    view = report.view
    currency = report.config.currency
    report.say(words.exceptions(view.exceptions, report.config.spend, currency))
    report.table(
        view.exceptions,
        {
            **PROJECT_COLUMNS,
            "fy_plan": "FY Plan",
            "fy_outlook": "Outlook",
            "fy_variance": "Variance",
            "fy_variance_pct": "Variance %",
            "outlook_change": "Outlook change",
            "reason": "Why listed",
        },
        money=["fy_plan", "fy_outlook", "fy_variance", "outlook_change"],
        percent=["fy_variance_pct"],
        empty="No project passes the exception thresholds.",
    )


@needs("financials")
def mix(report: Report) -> None:
    """Mix."""
    view = report.view
    currency = report.config.currency
    symbol = report.currency_symbol
    report.chart(
        charts.plan_vs_outlook(
            view.by_expense_type, "expense_type", "Capex and opex: FY Plan against Outlook", symbol
        )
    )
    report.chart(
        charts.plan_vs_outlook(
            view.by_category,
            "cost_category",
            "Spend by cost category: FY Plan against Outlook",
            symbol,
        )
    )
    report.say(words.mix(view.by_expense_type, currency))


@needs("financials")
def earned_value(report: Report) -> None:
    """Earned value."""
    view = report.view
    currency = report.config.currency
    report.say(
        words.ev(
            view.ev_total,
            spend.EAC_FORMULAS[report.config.spend.eac_formula],
            spend.quadrant(view.ev_total["cpi"], view.ev_total["spi"]),
            len(view.ev),
            currency,
        )
    )
    report.chart(
        charts.cpi_spi_quadrant(view.ev, "Cost and schedule performance of active projects")
    )


@needs("financials", quietly=True)
def earned_value_table(report: Report) -> None:
    """Earned value."""
    view = report.view
    report.table(
        view.ev,
        {
            **PROJECT_COLUMNS,
            "bac": "BAC",
            "pv": "PV",
            "ev": "EV",
            "ac": "AC",
            "cv": "CV",
            "sv": "SV",
            "cpi": "CPI",
            "spi": "SPI",
            "eac": "EAC",
            "etc": "ETC",
            "vac": "VAC",
            "tcpi": "TCPI",
        },
        money=["bac", "pv", "ev", "ac", "cv", "sv", "eac", "etc", "vac"],
        ratios=["cpi", "spi", "tcpi"],
        empty="No active project.",
    )


@needs("financials")
def outlook_range(report: Report) -> None:
    """Outlook range."""
    view = report.view
    if view.landing is None or not view.landing.has_history:
        report.notice(
            "An Outlook range needs history: with one snapshot there is no track record of how"
            " projects' costs move, so the Outlook above is the only figure."
        )
        return
    report.say(words.outlook_range(view.outlook_range, view.fy.name, report.config.currency))
    if view.outlook_range:
        r = view.outlook_range
        report.table(
            pd.DataFrame(
                {
                    "what": ["P10", "P50", "P90", "Outlook now", "FY Plan"],
                    "amount": [r["p10"], r["p50"], r["p90"], r["outlook"], r["plan"]],
                }
            ),
            {"what": "", "amount": view.fy.name},
            money=["amount"],
            caption=f"{view.fy.name} Outlook range",
        )


@needs("financials")
def outlook_drift(report: Report) -> None:
    """Outlook drift."""
    view = report.view
    currency = report.config.currency
    symbol = report.currency_symbol
    drift = view.drift
    moves = spend.largest_moves(drift)
    report.chart(
        charts.outlook_drift(
            spend.drift_by_portfolio(drift), f"{view.fy.name} Outlook by snapshot", symbol
        )
    )
    report.say(words.drift(moves, drift["as_of"].nunique(), currency))
    report.table(
        moves,
        {
            **PROJECT_COLUMNS,
            "first": "First snapshot",
            "last": "This snapshot",
            "change": "Change",
        },
        money=["first", "last", "change"],
        caption="Projects whose Outlook moved most",
        empty="No Outlook moved.",
    )


@needs("financials")
def hygiene(report: Report) -> None:
    """Financial hygiene."""
    view = report.view
    report.say(words.hygiene(view.hygiene))
    report.table(
        view.hygiene,
        {
            **PROJECT_COLUMNS,
            "rule_text": "Rule",
            "detail": "Detail",
        },
        empty="No financial hygiene issue.",
    )


@needs("benefits")
def benefits(report: Report) -> None:
    """Benefits realisation."""
    result = report.view.benefits
    currency = report.config.currency
    report.say(words.benefits(result, currency))
    money = ["planned_to_date", "realised_to_date", "planned_total", "expected_total"]
    figures = {
        "planned_to_date": "Planned to date",
        "realised_to_date": "Realised to date",
        "realised_pct": "Realised %",
        "planned_total": "Planned in all",
        "expected_total": "Expected",
        "cost_at_completion": "Cost at completion",
        "roi_pct": "ROI",
    }
    if result.portfolios["portfolio"].nunique() > 1:
        report.table(
            result.portfolios,
            {"portfolio": "Portfolio", **figures},
            money=[*money, "cost_at_completion"],
            percent=["realised_pct", "roi_pct"],
            caption="Financial benefits by portfolio",
        )
    report.table(
        result.projects,
        {"project_id": "Project", "project_name": "Name", **figures},
        money=[*money, "cost_at_completion"],
        percent=["realised_pct", "roi_pct"],
        caption="Financial benefits by project",
        empty="No financial benefit in this scope.",
    )
    report.table(
        result.at_risk,
        {
            "project_id": "Project",
            "benefit": "Benefit",
            "benefit_type": "Type",
            "measure": "Measure",
            "owner": "Owner",
            "planned_to_date": "Planned to date",
            "realised_to_date": "Realised to date",
            "realised_pct": "Realised %",
            "status": "Status",
        },
        counts=["planned_to_date", "realised_to_date"],
        percent=["realised_pct"],
        caption="Benefits at risk or not reported (financial ones in the dataset's currency)",
        empty="No benefit is at risk.",
    )
