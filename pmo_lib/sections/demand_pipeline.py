"""The sections of the demand pipeline report: each renders one part of the page from report.view,
so the notebook shows them in order and the JupyterLab filter panel re-renders them in place."""

from __future__ import annotations

from dataclasses import replace

from pmo_lib import charts, data
from pmo_lib.metrics import demand, planner
from pmo_lib.narrative import demand_pipeline as words
from pmo_lib.report import Report, needs


def analyse(report: Report) -> demand.Pipeline:
    """Everything the sections show, computed once per data the report holds."""
    return demand.analyse(
        report.now, report.before, report.config.demand, report.config.fiscal_year_start_month
    )


def history_source(report: Report) -> None:
    """Which history the flow and lead times come from."""
    report.notice(words.source(report.view.history_used))


@needs("demand")
def funnel(report: Report) -> None:
    """Funnel."""
    view = report.view
    report.chart(charts.demand_funnel(view.funnel, "Requests that reached each stage"))
    report.say(words.funnel(view.funnel, view.outcomes, report.config.currency))


@needs("demand", quietly=True)
def funnel_table(report: Report) -> None:
    """Funnel."""
    view = report.view
    report.table(
        view.funnel,
        {
            "stage": "Stage",
            "requests": "Requests now",
            "estimated_cost": "Estimated cost now",
            "reached": "Reached",
            "conversion": "Conversion",
        },
        counts=["requests", "reached"],
        money=["estimated_cost"],
        shares=["conversion"],
    )
    report.chart(
        charts.demand_outcomes(
            view.outcomes, "Rejected and withdrawn requests, by the stage they left"
        ),
        missing="No request has been rejected or withdrawn.",
    )


@needs("demand")
def flow(report: Report) -> None:
    """Flow over time."""
    view = report.view
    report.chart(charts.demand_flow(view.flow, "Arrivals, decisions and deliveries per month"))
    report.say(words.flow(view.flow))
    report.chart(
        charts.cumulative_flow(
            view.cumulative, "Cumulative flow: requests in each stage at month end"
        ),
        missing=(
            "The cumulative flow needs the demand stage history, which this snapshot does not have."
        ),
    )


@needs("demand")
def ageing(report: Report) -> None:
    """Ageing against SLA."""
    view = report.view
    report.chart(
        charts.demand_ageing(
            view.aged, demand.OPEN, "Open requests within and past their stage SLA"
        )
        if len(view.aged)
        else None,
        missing="There are no open requests.",
    )
    report.say(words.ageing(view.late, view.aged))


@needs("demand", quietly=True)
def past_sla(report: Report) -> None:
    """Ageing against SLA."""
    view = report.view
    report.table(
        view.late,
        {
            "demand_id": "Request",
            "title": "Title",
            "customer": "Customer",
            "sub_portfolio": "Sub-portfolio",
            "stage": "Stage",
            "age_days": "Days in stage",
            "sla_days": "SLA (days)",
            "days_over_sla": "Days over SLA",
        },
        counts=["age_days", "sla_days", "days_over_sla"],
        caption="Requests past SLA, oldest first",
        empty="No request is past its stage SLA.",
    )


@needs("demand")
def lead_times(report: Report) -> None:
    """Lead time."""
    view = report.view
    report.table(
        view.lead_summary,
        {
            "measure": "Lead time",
            "requests": "Requests",
            "median_days": "Median",
            "p85_days": "85th percentile",
        },
        counts=["requests"],
        days=["median_days", "p85_days"],
    )
    report.say(words.lead_times(view.lead_summary, view.median_lead_12m))


@needs("demand", quietly=True)
def lead_time_charts(report: Report) -> None:
    """Lead time."""
    view = report.view
    report.chart(charts.lead_time_trend(view.lead_by_quarter, "Lead time to decision by quarter"))
    report.chart(charts.lead_time_distribution(view.leads, "Distribution of lead times"))


@needs("demand")
def backlog(report: Report) -> None:
    """Prioritisation."""
    view = report.view
    report.say(demand.scoring_rule(report.config.demand.scoring))
    report.say(words.backlog(view.ranked, report.config.currency))
    report.table(
        view.ranked.head(25),
        {
            "rank": "Rank",
            "demand_id": "Request",
            "title": "Title",
            "customer": "Customer",
            "stage": "Stage",
            "value_score": "Value",
            "estimated_cost": "Estimated cost",
            "priority": "Priority",
            "score": "Score",
        },
        counts=["rank", "value_score", "score"],
        money=["estimated_cost"],
        caption="Top 25 of the backlog",
        empty="The backlog is empty.",
    )


@needs("demand")
def customers(report: Report) -> None:
    """Customers."""
    view = report.view
    report.chart(
        charts.demand_by_customer(view.customers, "Requests by customer, with approval rate")
    )
    report.say(words.customers(view.customers))


@needs("demand")
def capacity(report: Report) -> None:
    """Demand vs capacity."""
    view = report.view
    report.chart(
        charts.demand_vs_capacity(view.capacity, "Approved demand against FY budget headroom"),
        missing="There is no spend data in this snapshot, so the budget headroom is unknown.",
    )
    report.say(words.capacity(view.capacity, view.fiscal, report.config.currency))


@needs("demand")
def approvals(report: Report) -> None:
    """Which requests to approve."""
    view, currency = report.view, report.config.currency
    if view.capacity is None:
        report.notice(
            "There is no spend data in this snapshot, so the budget headroom is unknown and the"
            " planner cannot weigh requests against it."
        )
        return
    inputs = planner.inputs(
        view.ranked,
        view.capacity,
        report.now["resources"],
        data.resource_load(report.data),
        report.as_of,
    )
    report.say(words.planner_method(inputs, currency))
    plan = planner.solve(inputs.candidates, max(inputs.budget, 0.0), inputs.capacity)
    more = planner.one_more(inputs.candidates, plan, planner.BUDGET_UNIT, planner.HOURS_UNIT)
    plan = replace(plan, budget=inputs.budget)
    report.say(words.planner_result(plan, more, currency, planner.BUDGET_UNIT, planner.HOURS_UNIT))
    columns = {
        "demand_id": "Request",
        "title": "Title",
        "customer": "Customer",
        "stage": "Stage",
        "cost": "Estimated cost",
        "score": "Score",
    }
    if inputs.budget > 0 and plan.found:
        report.table(
            plan.chosen,
            columns,
            money=["cost"],
            counts=["score"],
            caption="Recommended for approval",
            empty="No request fits.",
        )
        report.table(
            plan.left_out,
            {**columns, "why": "Kept out by"},
            money=["cost"],
            counts=["score"],
            caption="Left out, and why",
            empty="Every request fits.",
        )
    report.table(
        planner.ladder(inputs),
        {
            "budget": "Budget",
            "approved": "Requests approved",
            "cost": "Their cost",
            "score": "Score",
            "score_share": "Share of all score",
            "binds": "What binds",
        },
        money=["budget", "cost"],
        counts=["approved", "score"],
        shares=["score_share"],
        caption="Scenarios: what each budget would approve",
        empty="No request awaiting a decision has a cost estimate.",
    )
    if report.interactive and len(inputs.candidates):  # JupyterLab, Voila: try other choices
        from IPython.display import display

        from pmo_lib.planner_panel import PlannerPanel

        report.say("Try another budget, pin requests in or out, or weigh the score differently:")
        display(
            PlannerPanel(
                report.now["demand"], inputs, report.config.demand.scoring, currency
            ).widget
        )


@needs("demand")
def changes(report: Report) -> None:
    """Changes since the previous snapshot."""
    view = report.view
    report.say(words.changes(view.changes, report.before.as_of if report.before else None))
    if report.before is None:  # nothing to list: the sentence said so
        return
    report.table(
        view.changes["moved"],
        {
            "demand_id": "Request",
            "title": "Title",
            "customer": "Customer",
            "previous_stage": "Was",
            "stage": "Now",
        },
        caption="Requests that moved stage",
        empty="No request moved stage.",
    )
    report.table(
        view.changes["new"],
        {
            "demand_id": "Request",
            "title": "Title",
            "customer": "Customer",
            "stage": "Stage",
            "estimated_cost": "Estimated cost",
        },
        money=["estimated_cost"],
        caption="New requests",
        empty="No new requests.",
    )
