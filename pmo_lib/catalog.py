"""The reports the suite knows, and the channel their headline figures travel on.

Kept apart from pmo_lib.report so that the runner and portal can read it without plotly.
"""

from collections.abc import Callable

REPORTS: dict[str, str] = {  # report name (= notebook file stem) -> title on the page
    "portfolio_summary": "Executive summary",
    "data_quality": "Data quality",
    "demand_pipeline": "Demand pipeline",
    "spend": "Spend",
    "health": "Health",
    "resourcing": "Resourcing",
    "customer": "Customer view",
}
# Where the executive summary's exceptions are explained: area -> (report, heading of the
# section in that report's notebook). The summary links each item to the heading's anchor.
EXPLAINED_IN: dict[str, tuple[str, str]] = {
    "Health": ("health", "6. Watch list"),
    "Spend": ("spend", "4. Exceptions"),
    "Demand": ("demand_pipeline", "3. Ageing against SLA"),
    "Resourcing": ("resourcing", "4. Shortfall forecast by role"),
}
CUSTOMER_REPORT = "customer"  # rendered once per customer (customers: true), not per scope
HEADLINES_MIME = "application/vnd.pmo.headlines+json"

# What each report's sections need from the data: table -> what it shows. A snapshot without one
# of these tables (for the report's scope) renders the rest, says on the page what is absent,
# and the portal marks the report "partial".
NEEDS: dict[str, dict[str, str]] = {
    "portfolio_summary": {
        "financials": "the spend figures",
        "demand": "the demand figures",
        "allocations": "the resourcing figures",
    },
    "data_quality": {},
    "demand_pipeline": {
        "demand": "the funnel, ageing, lead times, backlog and customers",
        "demand_stage_history": "the flow over time and exact lead times",
        "financials": "the demand against budget headroom",
    },
    "spend": {"financials": "every spend section (plan, forecast and actual by month)"},
    "health": {
        "milestones": "the overdue and upcoming milestones",
        "risks": "the risk and issue sections and the risk dimension",
        "artifacts": "the gate reviews",
        "financials": "the cost dimension on EAC and CPI",
    },
    "resourcing": {
        "resources": "the people, teams and capacity",
        "allocations": "the booked and actual hours",
    },
    "customer": {
        "demand": "the customer's requests, the projects that deliver them and their changes",
    },
}


def absent(report: str, rows: Callable[[str], int | None]) -> dict[str, str]:
    """The tables a report needs that have no rows (rows(table): its row count in the scope;
    asked for those tables only, so a snapshot reads no other)."""
    return {t: what for t, what in NEEDS.get(report, {}).items() if not rows(t)}
