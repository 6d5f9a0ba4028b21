"""The sections of the resourcing report: each renders one part of the page from report.view, so
the notebook shows them in order and the JupyterLab filter panel re-renders them in place."""

from __future__ import annotations

from pmo_lib import charts, data
from pmo_lib.metrics import resourcing
from pmo_lib.narrative import resourcing as words
from pmo_lib.report import PROJECT_COLUMNS, Report, needs


def analyse(report: Report) -> resourcing.ResourcingView:
    """Everything the sections show, computed once per data the report holds."""
    return resourcing.analyse(
        report.now,
        report.before,
        data.resource_load(report.data),
        report.config.portfolio,
        report.config.resourcing,
    )


def scope_note(report: Report) -> None:
    """Whose hours the page counts."""
    report.notice(words.scope(report.config.portfolio))


@needs("resources")
def capacity(report: Report) -> None:
    """Capacity against demand."""
    view = report.view
    report.chart(
        charts.capacity_vs_demand(view.by_month, "Capacity, planned and actual hours by month")
    )
    report.say(words.capacity(view.by_month, view.coming))
    report.table(
        view.by_month,
        {
            "period": "Month",
            "capacity_hours": "Capacity (h)",
            "planned_hours": "Planned (h)",
            "actual_hours": "Actual (h)",
            "availability_hours": "Available (h)",
            "planned_utilisation": "Planned util.",
            "actual_utilisation": "Actual util.",
        },
        months=["period"],
        counts=["capacity_hours", "planned_hours", "actual_hours", "availability_hours"],
        percent=["planned_utilisation", "actual_utilisation"],
    )


@needs("resources", "allocations")
def utilisation(report: Report) -> None:
    """Utilisation by team and role."""
    view = report.view
    params = report.config.resourcing
    report.chart(
        charts.utilisation_heat_map(
            view.by_team,
            "team",
            "planned_utilisation",
            "Planned utilisation by team",
            params.over_allocation_pct,
            params.under_use_pct,
        )
    )
    report.chart(
        charts.utilisation_heat_map(
            view.by_team[view.by_team["period"].isin(view.closed)],
            "team",
            "actual_utilisation",
            "Actual utilisation by team (closed months)",
            params.over_allocation_pct,
            params.under_use_pct,
        )
    )
    report.chart(
        charts.utilisation_heat_map(
            view.by_role,
            "role",
            "planned_utilisation",
            "Planned utilisation by role",
            params.over_allocation_pct,
            params.under_use_pct,
        )
    )


@needs("allocations")
def over_and_under_allocated(report: Report) -> None:
    """Over- and under-allocated people (coming months)."""
    view = report.view
    report.say(words.people(view.over, view.under, view.coming))
    report.table(
        view.over,
        {
            "period": "Month",
            "name": "Person",
            "role": "Role",
            "team": "Team",
            "monthly_capacity_hours": "Capacity (h)",
            "total_planned_hours": "Booked (h)",
            "utilisation": "Utilisation",
            "over_hours": "Over by (h)",
            "bookings": "Bookings here",
        },
        months=["period"],
        counts=["monthly_capacity_hours", "total_planned_hours", "over_hours"],
        percent=["utilisation"],
        caption="Booked above capacity",
        empty="Nobody is booked above capacity.",
    )
    report.table(
        view.under,
        {
            "name": "Person",
            "role": "Role",
            "team": "Team",
            "employment_type": "Type",
            "monthly_capacity_hours": "Capacity (h)",
            "total_planned_hours": "Booked (h)",
            "utilisation": "Utilisation",
        },
        counts=["monthly_capacity_hours", "total_planned_hours"],
        percent=["utilisation"],
        caption="Below the under-use threshold next month",
        empty="Nobody is under-used next month.",
    )


@needs("allocations")
def shortfall(report: Report) -> None:
    """Shortfall forecast by role."""
    view = report.view
    report.chart(charts.shortfall_by_role(view.shortfall, "Shortfall by role"))
    report.say(words.shortfall(view.shortfall))
    report.table(
        view.shortfall,
        {
            "role": "Role",
            "next_3_months": "Next 3 months (h)",
            "next_6_months": "Next 6 months (h)",
        },
        counts=["next_3_months", "next_6_months"],
    )


@needs("resources")
def workforce_mix(report: Report) -> None:
    """Workforce mix."""
    view = report.view
    report.chart(
        charts.workforce_mix(
            view.mix,
            "Employees, contractors and vendors",
            report.currency_symbol,
        )
    )
    report.say(words.mix(view.mix, view.vendors, report.config.currency))
    report.table(
        view.vendors,
        {"vendor": "Vendor", "actual_hours": "Hours", "cost": "Cost"},
        counts=["actual_hours"],
        money=["cost"],
        caption="Vendor spend (closed months)",
        empty="No vendor hours.",
    )


@needs("allocations")
def plan_against_actual(report: Report) -> None:
    """Plan against actual."""
    view = report.view
    report.say(words.plan_actual(view.plan_actual, view.unplanned))
    report.table(
        view.plan_actual,
        {
            **PROJECT_COLUMNS,
            "status": "Status",
            "planned_hours": "Planned (h)",
            "actual_hours": "Actual (h)",
            "difference": "Difference (h)",
            "actual_pct_of_plan": "Actual % of plan",
        },
        counts=["planned_hours", "actual_hours"],
        signed=["difference"],
        percent=["actual_pct_of_plan"],
        caption="Planned and timesheet hours per project, closed months, largest difference first",
        empty="No project hours in the closed months.",
    )


@needs("allocations")
def project_and_non_project(report: Report) -> None:
    """Project and non-project work."""
    view = report.view
    report.chart(
        charts.project_share(view.project_share, "Hours on projects and on non-project work")
    )
    report.say(words.bau(view.project_share, view.coming))


@needs("allocations")
def changes(report: Report) -> None:
    """Changes since the previous snapshot."""
    view = report.view
    report.say(words.changes(view.changes, report.before.as_of if report.before else None))
    report.table(
        view.changes["hours"],
        {
            "period": "Month",
            "before": "Booked then (h)",
            "now": "Booked now (h)",
            "change": "Change (h)",
        },
        months=["period"],
        counts=["before", "now"],
        signed=["change"],
        empty="No earlier snapshot.",
    )
    report.table(
        view.changes["people"],
        {"resource_id": "Resource", "name": "Person", "change": "Change"},
        caption="People and capacity",
        empty="No change in people or capacity.",
    )
