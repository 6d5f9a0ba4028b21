"""The sections of the customer page: one requesting business unit's requests by stage and age,
the projects that deliver them with their computed RAG and forecast finish, and what changed
since the previous snapshot. Each renders one part of the page from report.view; the sentences
are pmo_lib.narrative.customer's."""

from __future__ import annotations

from pmo_lib import data
from pmo_lib.metrics import customer
from pmo_lib.narrative import customer as words
from pmo_lib.report import PROJECT_COLUMNS, Report, needs


def analyse(report: Report) -> customer.CustomerView:
    """Everything the sections show, computed once per data the report holds."""
    config = report.config
    return customer.analyse(
        report.now,
        report.before,
        data.all_snapshots(report.data),
        report.data.customer,
        config.demand,
        config.health,
        config.spend.eac_formula,
    )


def summary(report: Report) -> None:
    """At a glance."""
    view = report.view
    report.kpis(words.tiles(view.headlines))
    report.say(words.summary(view))


@needs("demand")
def requests(report: Report) -> None:
    """Requests by stage and age."""
    view = report.view
    if not view.history_used:
        report.notice(
            "There is no stage history in this snapshot: a request's age in stage counts from"
            " its decision date once decided, else from its submission."
        )
    report.table(
        view.by_stage,
        {
            "stage": "Stage",
            "requests": "Requests",
            "estimated_cost": "Estimated cost",
            "median_age_days": "Median age in stage",
            "oldest_age_days": "Oldest",
            "past_sla": "Past SLA",
        },
        counts=["requests", "past_sla"],
        money=["estimated_cost"],
        days=["median_age_days", "oldest_age_days"],
        caption="Requests by stage",
        empty="No request.",
    )
    report.table(
        view.oldest,
        {
            "demand_id": "Request",
            "title": "Title",
            **({} if view.customer else {"customer": "Customer"}),
            "sub_portfolio": "Sub-portfolio",
            "stage": "Stage",
            "age_days": "Days in stage",
            "sla_days": "SLA (days)",
            "days_over_sla": "Against SLA (days)",
        },
        counts=["age_days", "sla_days"],
        signed=["days_over_sla"],
        caption="Open requests, longest in their stage first",
        empty="No open request.",
    )


def projects(report: Report) -> None:
    """Projects that deliver them."""
    view = report.view
    report.table(
        view.projects,
        {
            **PROJECT_COLUMNS,
            "status": "Status",
            "computed_rag": "Computed",
            "reported_rag": "Reported",
            "percent_complete": "% complete",
            "baseline_finish": "Baseline finish",
            "forecast_finish": "Forecast finish",
            "slip_days": "Slip",
            "requests": "Requests",
            **({} if view.customer else {"customers": "Customers"}),
        },
        rags=["computed_rag", "reported_rag"],
        percent=["percent_complete"],
        dates=["baseline_finish", "forecast_finish"],
        days=["slip_days"],
        caption="Projects delivering the requests",
        empty="No request names a project yet.",
    )
    if text := words.unmatched(view):
        report.say(text)


def changes(report: Report) -> None:
    """What changed since last period."""
    view = report.view
    report.say(words.changes(view, report.before.as_of if report.before else None))
    if report.before is None:
        return
    c = view.changes
    report.table(
        c["moved"],
        {"demand_id": "Request", "title": "Title", "previous_stage": "Was", "stage": "Now"},
        caption="Requests that moved stage",
        empty="No request moved stage.",
    )
    report.table(
        c["new"],
        {
            "demand_id": "Request",
            "title": "Title",
            "stage": "Stage",
            "estimated_cost": "Estimated cost",
        },
        money=["estimated_cost"],
        caption="New requests",
        empty="No new request.",
    )
    report.table(
        c["rag"],
        {**PROJECT_COLUMNS, "was": "Was", "computed_rag": "Now"},
        rags=["was", "computed_rag"],
        caption="Projects whose computed RAG changed",
        empty="No delivering project changed its computed RAG.",
    )
    report.table(
        c["finish"],
        {
            **PROJECT_COLUMNS,
            "previous_finish": "Was forecast",
            "forecast_finish": "Now forecast",
            "moved_days": "Moved (days)",
        },
        dates=["previous_finish", "forecast_finish"],
        signed=["moved_days"],
        caption="Projects whose forecast finish moved",
        empty="No delivering project's forecast finish moved.",
    )
