"""The canonical data model: one declaration per table, read by validation, the store and the demo.

A column's type, whether it is required, its allowed values and bounds stand on its own line,
so adding a column is one line here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

ColumnType = Literal["str", "int", "float", "date", "bool"]

# Plausible data: what lies beyond these bounds is a typo, a placeholder or an attack, and is
# refused at ingest (pmo_lib.validate) like any other bad cell, the message stating the bound.
MONEY_LIMIT = 1e13  # |amount| of a money column (ten trillion in the store's currency)
HOURS_LIMIT = 1e6  # hours of one person in one month (or of a team's capacity)
DATE_MIN = date(1950, 1, 1)  # every date column: 1900-01-01 and 9999-12-31 are placeholders
DATE_MAX = date(2100, 12, 31)
ID_LENGTH = 200  # characters of an ID (project_id, demand_id, item_id, resource_id)
TEXT_LENGTH = 2000  # characters of any other text: a name, a title, an owner

DUCKDB_TYPES: dict[str, str] = {
    "str": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "date": "DATE",
    "bool": "BOOLEAN",
}
PANDAS_DTYPES: dict[str, str] = {
    "str": "str",
    "int": "Int64",
    "float": "Float64",
    "date": "datetime64[us]",
    "bool": "boolean",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "str"
    required: bool = False  # the column must be present in the file
    blank_ok: bool = (
        False  # a required column whose cells may still be blank (checked by data quality)
    )
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    month_start: bool = False  # a date that must be the first day of a month
    limit: float | None = None  # a number's size: |value| <= limit (MONEY_LIMIT, HOURS_LIMIT)
    max_length: int | None = None  # text: at most this many characters (default TEXT_LENGTH)

    @property
    def longest(self) -> int | None:
        """The most characters a text cell may hold (None: not text)."""
        return (self.max_length or TEXT_LENGTH) if self.type == "str" else None

    @property
    def window(self) -> tuple[date, date] | None:
        """The earliest and latest date a date cell may hold (None: not a date)."""
        return (DATE_MIN, DATE_MAX) if self.type == "date" else None

    def describe(self) -> str:
        """What a valid value looks like, for error messages."""
        parts = {
            "str": "text",
            "int": "a whole number",
            "float": "a number",
            "date": "a date (YYYY-MM-DD)",
            "bool": "true/false",
        }[self.type]
        if self.allowed:
            parts = "one of " + ", ".join(self.allowed)
        if self.min is not None and self.max is not None:
            parts += f" from {self.min:g} to {self.max:g}"
        elif self.min is not None:
            parts += f" >= {self.min:g}"
        if self.month_start:
            parts += " on the first day of a month"
        return parts


@dataclass(frozen=True)
class Reference:
    """columns[i] of this table must exist in target.target_columns[i] (blank is allowed)."""

    column: str
    target: str
    target_column: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    date_order: tuple[tuple[str, str], ...] = ()  # (earlier, later): earlier <= later when both set
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def dtypes(self) -> dict[str, str]:
        """pandas dtypes of the columns (nullable, so a blank stays blank)."""
        return {c.name: PANDAS_DTYPES[c.type] for c in self.columns}


PROJECT_STATUSES = ("Proposed", "Active", "On Hold", "Closed", "Cancelled")
LIFECYCLE_STAGES = ("Initiate", "Plan", "Execute", "Close")
RAG = ("Green", "Amber", "Red")
DEMAND_STAGES = ("Submitted", "Triage", "Assessment", "Approved", "In Delivery", "Delivered")
DEMAND_TERMINAL = ("Rejected", "Withdrawn")
MEASURES = ("plan", "forecast", "actual")
COST_CATEGORIES = ("Labor", "Vendor", "Hardware", "Software", "Other")
EXPENSE_TYPES = ("Capex", "Opex")
RISK_KINDS = ("Risk", "Issue")
RISK_STATUSES = ("Open", "Mitigating", "Closed")
ARTIFACT_STATUSES = ("Approved", "Submitted", "Missing")
EMPLOYMENT_TYPES = ("Employee", "Contractor", "Vendor")
BENEFIT_TYPES = ("Financial", "Non-financial")
CHANGE_STATUSES = ("Raised", "Approved", "Rejected", "Withdrawn")

C = Column


# Column kinds with their bounds (N802: named like C, the columns they declare read as a table)
def ID(name: str, **rules) -> Column:  # noqa: N802
    """An ID column: text of at most ID_LENGTH characters."""
    return Column(name, max_length=ID_LENGTH, **rules)


def MONEY(name: str, **rules) -> Column:  # noqa: N802
    """An amount of money: a number of at most MONEY_LIMIT either side of zero."""
    return Column(name, "float", limit=MONEY_LIMIT, **rules)


def HOURS(name: str, **rules) -> Column:  # noqa: N802
    """Hours (in a month): a number of at most HOURS_LIMIT."""
    return Column(name, "float", limit=HOURS_LIMIT, **rules)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "projects",
            (
                ID("project_id", required=True),
                C("project_name", required=True),
                C("program"),
                C("portfolio", required=True),
                C("sub_portfolio"),
                C("project_manager"),
                C("status", required=True, allowed=PROJECT_STATUSES),
                C("lifecycle_stage", allowed=LIFECYCLE_STAGES),
                C("baseline_start", "date", required=True, blank_ok=True),
                C("baseline_finish", "date", required=True, blank_ok=True),
                C("forecast_finish", "date"),
                C("actual_finish", "date"),
                MONEY("budget_at_completion", required=True, blank_ok=True, min=0),
                C("percent_complete", "float", min=0, max=100),
                C("last_status_update", "date"),
                C("reported_rag", allowed=RAG),
                ID("demand_id"),
            ),
            key=("project_id",),
            date_order=(("baseline_start", "baseline_finish"),),
            description="one row per project; program groups projects",
        ),
        Table(
            "demand",
            (
                ID("demand_id", required=True),
                C("title", required=True),
                C("customer"),
                C("portfolio", required=True),
                C("sub_portfolio"),
                C("stage", required=True, allowed=DEMAND_STAGES + DEMAND_TERMINAL),
                C("submitted_date", "date", required=True),
                C("decision_date", "date"),
                MONEY("estimated_cost", min=0),
                C("value_score", "float", min=0, max=100),
                C("priority", allowed=("High", "Medium", "Low")),
                ID("project_id"),
            ),
            key=("demand_id",),
            date_order=(("submitted_date", "decision_date"),),
            description="one row per customer request",
        ),
        Table(
            "demand_stage_history",
            (
                ID("demand_id", required=True),
                C("stage", required=True, allowed=DEMAND_STAGES + DEMAND_TERMINAL),
                C("entered_date", "date", required=True),
            ),
            key=("demand_id", "stage"),
            references=(Reference("demand_id", "demand", "demand_id"),),
            description="when each request entered each stage",
        ),
        Table(
            "financials",
            (
                ID("project_id", required=True),
                C("period", "date", required=True, month_start=True),
                C("measure", required=True, allowed=MEASURES),
                # credits and reversals are negative; spend hygiene flags them
                MONEY("amount", required=True),
                C("cost_category", allowed=COST_CATEGORIES),
                C("expense_type", allowed=EXPENSE_TYPES),
            ),
            key=("project_id", "period", "measure", "cost_category", "expense_type"),
            references=(Reference("project_id", "projects", "project_id"),),
            description="monthly plan (FY Plan), forecast (Outlook) and actual spend",
        ),
        Table(
            "milestones",
            (
                ID("project_id", required=True),
                C("milestone", required=True),
                C("is_gate", "bool"),
                C("baseline_date", "date", required=True),
                C("forecast_date", "date"),
                C("actual_date", "date"),
            ),
            key=("project_id", "milestone"),
            references=(Reference("project_id", "projects", "project_id"),),
            description="milestones; gates are stage-gate reviews",
        ),
        Table(
            "risks",
            (
                ID("item_id", required=True),
                ID("project_id", required=True),
                C("kind", required=True, allowed=RISK_KINDS),
                C("title", required=True),
                C("probability", "int", min=1, max=5),
                C("impact", "int", min=1, max=5),
                C("status", required=True, allowed=RISK_STATUSES),
                C("owner"),
                C("raised_date", "date"),
                C("due_date", "date"),
                C("closed_date", "date"),
            ),
            key=("item_id",),
            references=(Reference("project_id", "projects", "project_id"),),
            date_order=(("raised_date", "closed_date"),),
            description="risks and issues in one table",
        ),
        Table(
            "artifacts",
            (
                ID("project_id", required=True),
                C("gate", required=True),
                C("artifact", required=True),
                C("status", required=True, allowed=ARTIFACT_STATUSES),
                C("due_date", "date"),
            ),
            key=("project_id", "gate", "artifact"),
            references=(Reference("project_id", "projects", "project_id"),),
            description="what each gate review requires",
        ),
        Table(
            "resources",
            (
                ID("resource_id", required=True),
                C("name"),
                C("role", required=True),
                C("team", required=True),
                C("portfolio"),
                C("employment_type", required=True, allowed=EMPLOYMENT_TYPES),
                C("vendor"),
                HOURS("monthly_capacity_hours", required=True, min=0),
                MONEY("hourly_rate", min=0),
            ),
            key=("resource_id",),
            description=(
                "people and vendor staff; portfolio = home portfolio, blank for shared teams"
            ),
        ),
        Table(
            "allocations",
            (
                ID("resource_id", required=True),
                ID("project_id"),
                C("period", "date", required=True, month_start=True),
                HOURS("planned_hours", required=True, min=0),
                HOURS("actual_hours", min=0),
            ),
            key=("resource_id", "project_id", "period"),
            references=(
                Reference("resource_id", "resources", "resource_id"),
                Reference("project_id", "projects", "project_id"),
            ),
            description="planned (booked) and actual (timesheet) hours; blank project = BAU work",
        ),
        Table(
            "benefits",
            (
                ID("project_id", required=True),
                C("benefit", required=True),
                C("benefit_type", required=True, allowed=BENEFIT_TYPES),
                C("measure"),  # the unit of a non-financial benefit: hours saved, NPS points
                C("period", "date", required=True, month_start=True),
                C("planned_value", "float", limit=MONEY_LIMIT),
                C("realised_value", "float", limit=MONEY_LIMIT),
                C("owner"),
            ),
            key=("project_id", "benefit", "period"),
            references=(Reference("project_id", "projects", "project_id"),),
            description=(
                "benefits planned and realised by month (financial in the dataset's currency,"
                " non-financial in their measure); optional"
            ),
        ),
        Table(
            "decisions",
            (
                ID("decision_id", required=True),
                ID("project_id", required=True),
                C("title", required=True),
                C("owner"),
                C("raised_date", "date"),
                C("needed_by", "date"),
                C("decided_date", "date"),
                C("outcome"),
            ),
            key=("decision_id",),
            references=(Reference("project_id", "projects", "project_id"),),
            date_order=(("raised_date", "decided_date"),),
            description="decisions a project needs: raised, needed by, decided and the outcome",
        ),
        Table(
            "actions",
            (
                ID("action_id", required=True),
                ID("project_id", required=True),
                C("title", required=True),
                C("owner"),
                C("raised_date", "date"),
                C("due_date", "date"),
                C("done_date", "date"),
            ),
            key=("action_id",),
            references=(Reference("project_id", "projects", "project_id"),),
            date_order=(("raised_date", "done_date"),),
            description="actions from reviews and boards: owner, due and done",
        ),
        Table(
            "change_requests",
            (
                ID("change_id", required=True),
                ID("project_id", required=True),
                C("title", required=True),
                C("status", required=True, allowed=CHANGE_STATUSES),
                MONEY("cost_impact"),  # + adds to the budget, − gives some back
                C("schedule_impact_days", "int", min=-3650, max=3650),
                C("scope_impact"),
                C("raised_date", "date"),
                C("approved_date", "date"),
            ),
            key=("change_id",),
            references=(Reference("project_id", "projects", "project_id"),),
            date_order=(("raised_date", "approved_date"),),
            description="change requests and their impact on cost, schedule and scope",
        ),
        Table(
            "status_reports",
            (
                ID("project_id", required=True),
                C("report_date", "date", required=True),
                C("reported_rag", allowed=RAG),
                C("rag_reason"),
                C("accomplishments"),
                C("next_steps"),
                C("decisions_needed"),
            ),
            key=("project_id", "report_date"),
            references=(Reference("project_id", "projects", "project_id"),),
            description="the project manager's own words each period, beside the numbers",
        ),
        Table(
            "dependencies",
            (
                ID("dependency_id", required=True),
                ID("project_id", required=True),  # the project that waits
                C("milestone"),  # its milestone that needs the delivery
                C("needed_by", "date"),  # else that milestone's forecast (or baseline) date
                ID("supplier_project_id", required=True),  # the project that delivers
                C("supplier_milestone", required=True),  # its milestone or deliverable
                C("description"),
            ),
            key=("dependency_id",),
            references=(
                Reference("project_id", "projects", "project_id"),
                Reference("supplier_project_id", "projects", "project_id"),
            ),
            description="one project's milestone waiting on another project's delivery",
        ),
    )
}
# Added after the first stores: an older store lacks them, and reads them as empty.
OPTIONAL_TABLES = frozenset(
    {"benefits", "decisions", "actions", "change_requests", "status_reports", "dependencies"}
)

assert all(
    c.limit is not None or (c.min is not None and c.max is not None)
    for t in TABLES.values()
    for c in t.columns
    if c.type in ("int", "float")
), "every number column needs a bound: limit=, or min= and max="
