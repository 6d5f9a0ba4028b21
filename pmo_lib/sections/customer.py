"""The sections of the customer page: one requesting business unit's requests by stage and age,
the projects that deliver them with their computed RAG and forecast finish, and what changed
since the previous snapshot. Each renders one part of the page from report.view; the sentences
are written here, beside the sections that say them."""

from __future__ import annotations

from pmo_lib import data
from pmo_lib import formatting as fmt
from pmo_lib.metrics import customer
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


def _who(view: customer.CustomerView) -> str:
    return view.customer or "Every customer"


def _plural(n: int, word: str, many: str = "") -> str:
    return f"{fmt.count(n)} {word if n == 1 else many or word + 's'}"


def summary_sentence(view: customer.CustomerView) -> str:
    """Where the customer's demand stands and how the projects that deliver it are doing."""
    h = view.headlines
    if not h["requests_total"]:
        return f"{_who(view)} has no request in this snapshot."
    text = (
        f"**{_who(view)}** has **{_plural(h['requests_open'], 'open request')}**"
        f" ({fmt.count(h['requests_past_sla'])} past their stage SLA) and"
        f" {fmt.count(h['requests_delivered'])} delivered, of {fmt.count(h['requests_total'])}."
    )
    if not h["projects_delivering"]:
        return text + " No request names a project that delivers it yet."
    rags = ", ".join(
        f"{fmt.count(h[key])} {rag.lower()}" for rag, key in customer.RAG_KEYS.items() if h[key]
    )
    late = h["projects_late"]
    return (
        text
        + f" **{_plural(h['projects_delivering'], 'project')}** deliver them"
        + (f" (computed RAG of the active ones: {rags})" if rags else "")
        + f"; {_plural(late, 'is', 'are')} forecast to finish after {'its' if late == 1 else 'their'}"
        " baseline."
    )


def summary(report: Report) -> None:
    """At a glance."""
    view = report.view
    h = view.headlines
    report.kpis(
        [
            ("Open requests", fmt.count(h["requests_open"]) or "n/a", "not yet delivered"),
            ("Past SLA", fmt.count(h["requests_past_sla"]) or "n/a", "open, by stage SLA"),
            (
                "Projects delivering",
                fmt.count(h["projects_delivering"]) or "n/a",
                "named by the requests",
            ),
            ("Red", fmt.count(h["projects_red"]) or "n/a", "computed RAG"),
            ("Late", fmt.count(h["projects_late"]) or "n/a", "forecast after baseline finish"),
        ]
    )
    report.say(summary_sentence(view))


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


def unmatched_sentence(view: customer.CustomerView) -> str:
    rows = view.unmatched
    if rows.empty:
        return ""
    named = ", ".join(sorted(set(rows["project_id"])))
    return (
        f"{_plural(len(rows), 'request names', 'requests name')} a project that is not among"
        f" this scope's projects: {fmt.cut(named, 200)}."
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
    if text := unmatched_sentence(view):
        report.say(text)


def changes_sentence(view: customer.CustomerView, previous_as_of) -> str:
    if previous_as_of is None:
        return "There is no earlier snapshot to compare with."
    c = view.changes
    return (
        f"Since {fmt.date(previous_as_of)}: **{_plural(len(c['new']), 'new request')}**,"
        f" {fmt.count(len(c['moved']))} moved stage and {_plural(len(c['decided']), 'decision')}"
        f" taken; {_plural(len(c['new_projects']), 'project')} newly delivering,"
        f" **{fmt.count(len(c['rag']))}** with a changed computed RAG and"
        f" {fmt.count(len(c['finish']))} with a moved forecast finish."
    )


def changes(report: Report) -> None:
    """What changed since last period."""
    view = report.view
    report.say(changes_sentence(view, report.before.as_of if report.before else None))
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
