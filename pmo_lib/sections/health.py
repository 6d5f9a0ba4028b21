"""The sections of the health report: each renders one part of the page from report.view, so the
notebook shows them in order and the JupyterLab filter panel re-renders them in place."""

from __future__ import annotations

from pmo_lib import charts, data
from pmo_lib.metrics import forecast, health
from pmo_lib.narrative import health as words
from pmo_lib.report import PROJECT_COLUMNS, Report, needs


def analyse(report: Report) -> health.HealthView:
    """Everything the sections show, computed once per data the report holds."""
    return health.analyse(
        report.now,
        report.before,
        data.all_snapshots(report.data),
        report.config.health,
        report.config.spend.eac_formula,
        data.dependency_ends(report.data),
    )


def matrix(report: Report) -> None:
    """Health matrix."""
    view = report.view
    report.kpis(words.tiles(view.headlines))
    report.notices("What this data lets the rules rate:", view.derived)
    report.say(words.matrix(view.headlines))
    report.table(
        _with_words(report, health.matrix(view.assessed)),
        {
            **PROJECT_COLUMNS,
            "schedule": "Schedule",
            "cost": "Cost",
            "risk": "Risk",
            "governance": "Governance",
            "overall": "Computed",
            "reported_rag": "Reported",
            "reasons": "Why",
            **_words_column(report),
        },
        rags=["schedule", "cost", "risk", "governance", "overall", "reported_rag"],
        empty="No active project.",
    )


def _with_words(report: Report, frame):
    """frame with the manager's latest words, when the data has status reports."""
    reports = report.now["status_reports"]
    return health.with_words(frame, reports) if len(reports) else frame


def _words_column(report: Report) -> dict[str, str]:
    return {"manager_says": "Manager says"} if len(report.now["status_reports"]) else {}


def trend(report: Report) -> None:
    """RAG summary and trend."""
    view = report.view
    report.chart(
        charts.rag_bars(
            view.by_sub_portfolio, "label", "Computed RAG by sub-portfolio", "Sub-portfolio"
        )
    )
    report.chart(charts.rag_bars(view.by_program, "label", "Computed RAG by program", "Program"))
    report.chart(
        charts.rag_bars(
            view.trend.assign(snapshot=view.trend["as_of"].dt.strftime("%d %b %Y")),
            "snapshot",
            "Computed RAG by snapshot",
            "Snapshot",
        )
    )
    report.say(words.trend(view.trend, view.changed))
    report.table(
        view.changed,
        {
            **PROJECT_COLUMNS,
            "was": "Was",
            "now": "Now",
        },
        rags=["was", "now"],
        caption="Projects whose computed RAG changed since the previous snapshot",
        empty="No project changed colour.",
    )


def schedule(report: Report) -> None:
    """Schedule."""
    view = report.view
    report.chart(
        charts.finish_slip(view.assessed, "Forecast finish against baseline (25 largest slips)")
    )
    report.say(
        words.schedule(
            view.assessed,
            health.late_milestones(view.milestones),
            view.due,
            has_milestones=report.now.rows("milestones") > 0,
        )
    )


def roadmap(report: Report) -> None:
    """Schedule: the roadmap."""
    draw_roadmap(report, report.view.assessed, report.view.landing)


def draw_roadmap(report: Report, assessed, landing: forecast.Forecast) -> None:
    """The roadmap of these assessed projects (health.assess) with their P80 finish (the
    forecasts'), and what it leaves out: in the health report and the executive summary."""
    p80 = landing.projects.set_index("project_id")["p80_finish"]
    drawn = health.roadmap(assessed, report.now["milestones"], p80_finish=p80)
    title = "Roadmap: start to forecast finish"
    report.chart(
        charts.roadmap(drawn.bars, drawn.milestones, report.as_of, title)
        if len(drawn.bars)
        else None,
        missing="No active project has both a start and a finish date to draw.",
    )
    if said := words.roadmap(drawn):
        report.say(said)


@needs("milestones", quietly=True)
def milestones(report: Report) -> None:
    """Schedule."""
    view = report.view
    report.table(
        health.late_milestones(view.milestones),
        {
            "project_id": "Project",
            "project_name": "Name",
            "milestone": "Milestone",
            "baseline_date": "Baseline",
            "forecast_date": "Forecast",
            "actual_date": "Actual",
            "slip_days": "Slip (days)",
            "overdue_text": "Overdue",
        },
        dates=["baseline_date", "forecast_date", "actual_date"],
        counts=["slip_days"],
        caption="Late and overdue milestones of active projects",
        empty="No milestone is late.",
    )
    report.table(
        view.due,
        {
            "window": "Due",
            "due_date": "Date",
            "project_id": "Project",
            "project_name": "Name",
            "milestone": "Milestone",
            "project_manager": "Manager",
        },
        dates=["due_date"],
        caption="Milestones due in the next 90 days",
        empty="No milestone falls due in the next 90 days.",
    )


@needs("risks")
def risks(report: Report) -> None:
    """Risks and issues."""
    view = report.view
    report.chart(charts.risk_heat_map(view.heat, "Open risks by probability and impact"))
    report.say(words.risks(view.register, report.as_of))
    report.table(
        health.top_risks(view.register),
        {
            "item_id": "Risk",
            "title": "Title",
            "project_id": "Project",
            "owner": "Owner",
            "probability": "P",
            "impact": "I",
            "score": "Score",
            "status": "Status",
            "due_date": "Due",
        },
        counts=["probability", "impact", "score"],
        dates=["due_date"],
        caption="Top open risks by score",
        empty="No open risk.",
    )


@needs("risks", quietly=True)
def issues(report: Report) -> None:
    """Risks and issues."""
    view = report.view
    report.table(
        health.open_issues(view.register),
        {
            "item_id": "Issue",
            "title": "Title",
            "project_id": "Project",
            "owner": "Owner",
            "raised_date": "Raised",
            "age_days": "Age (days)",
            "due_date": "Due",
            "days_past_due": "Days past due",
        },
        dates=["raised_date", "due_date"],
        counts=["age_days", "days_past_due"],
        caption="Open issues, most overdue first",
        empty="No open issue.",
    )
    report.chart(
        charts.opened_closed(view.risk_flow, "Risks and issues raised and closed per month")
    )


@needs("artifacts")
def gates(report: Report) -> None:
    """Gate reviews."""
    view = report.view
    report.say(words.gates(view.gates, view.gate_gaps))
    report.table(
        view.gates,
        {
            "gate": "Gate",
            "Approved": "Approved",
            "Submitted": "Submitted",
            "Missing": "Missing",
            "projects_with_missing": "Projects with missing",
        },
        counts=["Approved", "Submitted", "Missing", "projects_with_missing"],
        empty="No gate passed yet.",
    )
    report.table(
        view.gate_gaps,
        {
            **PROJECT_COLUMNS,
            "gate": "Gate",
            "passed": "Passed",
            "not_approved": "Not approved",
        },
        dates=["passed"],
        caption="Gates passed without every artifact approved",
        empty="Every passed gate has its artifacts approved.",
    )


def watch_list(report: Report) -> None:
    """Watch list."""
    view = report.view
    report.say(words.watch(view.watch))
    report.table(
        _with_words(report, view.watch),
        {
            **PROJECT_COLUMNS,
            "overall": "Computed",
            "reported_rag": "Reported",
            "why": "Why it is on the list",
            **_words_column(report),
        },
        rags=["overall", "reported_rag"],
        empty="Nothing to discuss.",
    )


def landing(report: Report) -> None:
    """Where projects will land."""
    view, currency = report.view, report.config.currency
    result = view.landing
    if not result.has_history:
        report.notice(words.landing_needs_history(result))
    else:
        report.say(
            words.landing_method(result),
            words.landing(result, currency),
            words.calibration(view.calibration),
        )
    columns = {
        "project_id": "Project",
        "project_name": "Name",
        "schedule_class": "Compared with (movements)",
        "baseline_finish": "Baseline finish",
        "forecast_finish": "Forecast finish",
        "p50_finish": "P50 finish",
        "p80_finish": "P80 finish",
        "budget": "Budget",
        "cost_basis": "Cost at completion now",
        "p50_cost": "P50 cost",
        "p80_cost": "P80 cost",
    }
    caption = "Where each active project will land, latest P80 finish first"
    if not result.has_history:  # where each stands now: nothing to forecast from
        columns = {k: v for k, v in columns.items() if not k.startswith(("p50", "p80", "sched"))}
        caption = "Where each active project stands now"
    report.table(
        forecast.landing_table(result),
        columns,
        dates=["baseline_finish", "forecast_finish", "p50_finish", "p80_finish"],
        money=["budget", "cost_basis", "p50_cost", "p80_cost"],
        caption=caption,
        empty="No active project.",
    )
    if result.has_history:
        report.table(
            view.milestone_odds,
            {
                "project_id": "Project",
                "milestone": "Milestone",
                "baseline_date": "Baseline",
                "forecast_date": "Forecast",
                "held_to": "To be met by",
                "chance_met": "Chance met",
            },
            dates=["baseline_date", "forecast_date", "held_to"],
            shares=["chance_met"],
            caption=f"Milestones due in the next {forecast.HORIZON_DAYS} days, least likely first",
            empty=f"No open milestone is due in the next {forecast.HORIZON_DAYS} days.",
        )


def raid_log(report: Report) -> None:
    """Decisions, actions and changes."""
    log = report.view.raid
    if log.is_empty:
        report.notice(
            "No decisions, actions or change requests in this data for this scope: this section"
            " has nothing to show."
        )
        return
    report.say(words.raid(log, report.config.currency))
    if not log.decisions.empty:
        report.table(
            log.decisions_overdue,
            {
                "project_id": "Project",
                "decision_id": "Decision",
                "title": "Title",
                "owner": "Owner",
                "needed_by": "Needed by",
                "days_overdue": "Days overdue",
            },
            dates=["needed_by"],
            counts=["days_overdue"],
            caption="Decisions overdue, longest first",
            empty="No decision is overdue.",
        )
    if not log.actions.empty:
        report.table(
            log.actions_by_owner,
            {"owner": "Owner", "overdue": "Overdue actions", "longest_days": "Longest (days)"},
            counts=["overdue", "longest_days"],
            caption="Overdue actions by owner",
            empty="No action is overdue.",
        )
    if not log.changes.empty:
        report.table(
            log.approved,
            {
                "project_id": "Project",
                "project_name": "Name",
                "approved_changes": "Approved changes",
                "budget_at_completion": "Original budget",
                "rebaselined_budget": "Budget + approved",
                "cost_at_completion": "Cost at completion",
                "unapproved_cost": "Not approved",
                "baseline_finish": "Original finish",
                "rebaselined_finish": "Finish + approved",
                "forecast_finish": "Forecast finish",
                "unapproved_days": "Days not approved",
            },
            money=[
                "budget_at_completion",
                "rebaselined_budget",
                "cost_at_completion",
                "unapproved_cost",
            ],
            dates=["baseline_finish", "rebaselined_finish", "forecast_finish"],
            counts=["approved_changes", "unapproved_days"],
            caption="Baseline + approved changes against the forecast, per active project",
            empty="No active project has an approved change request.",
        )


@needs("status_reports")
def managers_words(report: Report) -> None:
    """What managers say."""
    apart = health.disagreements(report.view.assessed, report.now["status_reports"])
    report.say(words.managers_words(apart, len(report.view.assessed)))
    report.table(
        apart,
        {
            "project_id": "Project",
            "project_name": "Name",
            "reported_rag": "Reported",
            "overall": "Computed",
            "rag_reason": "Reason given",
            "accomplishments": "Accomplishments",
            "next_steps": "Next steps",
            "decisions_needed": "Decisions needed",
            "report_date": "Reported on",
        },
        rags=["reported_rag", "overall"],
        dates=["report_date"],
        caption="Words and numbers two colours apart, reported better than computed first",
        empty="No project's report and numbers are two colours apart.",
    )


@needs("dependencies")
def dependencies(report: Report) -> None:
    """Dependencies and points of contention."""
    view = report.view
    in_scope = set(report.now["projects"]["project_id"])
    report.say(words.dependencies(view.dependencies, view.contention, in_scope))
    report.chart(
        charts.dependency_network(
            view.dependencies, in_scope, "Who waits on whom: arrows from supplier to the waiting"
        )
    )
    report.table(
        view.contention,
        {
            "consumer_id": "Waiting project",
            "consumer_name": "Name",
            "needed": "Needed by",
            "supplier_id": "Supplier",
            "supplier_name": "Supplier name",
            "supplier_portfolio": "Supplier portfolio",
            "supplier_milestone": "Milestone or deliverable",
            "supplier_date": "Due",
            "days_late": "Days late",
            "hits": "A slip would hit",
        },
        dates=["needed", "supplier_date"],
        counts=["days_late"],
        caption="Points of contention: deliveries due after they are needed, latest first",
        empty="No dependency is late.",
    )


def rules(report: Report) -> None:
    """The rules."""
    report.table(
        health.rules_table(report.config.health),
        {"dimension": "Dimension", "rule": "Rule", "thresholds": "Colour thresholds"},
    )
