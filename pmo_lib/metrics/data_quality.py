"""Data-quality checks: the records a PMO asks owners to fix, and a score per portfolio.

Each check is a pure function (Snapshot, thresholds) -> issues, one row per record to fix,
with the columns in ISSUE_COLUMNS. Issues on financials, allocations and gate artifacts are
raised against their project, so every issue belongs to a project, a demand request or a risk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from pandas.api.typing import DataFrameGroupBy

from pmo_lib import data, formatting, hierarchy
from pmo_lib.data import Snapshot
from pmo_lib.memo import same_arguments
from pmo_lib.metrics.health import gate_artifacts
from pmo_lib.params import Thresholds
from pmo_lib.periods import is_closed_month

ISSUE_COLUMNS = ["check", "record_type", "record_id", "record_name", "owner", "detail"]
OPEN_PROJECT = ("Proposed", "Active", "On Hold")
DECIDED_DEMAND = ("Assessment", "Approved", "In Delivery", "Delivered")
UNASSIGNED = "(no project manager)"
DEMAND_OWNER = "Demand management"


@dataclass(frozen=True)
class Check:
    key: str
    label: str  # what the page calls it
    rule: str  # the rule in words, shown on the page
    find: Callable[[Snapshot, Thresholds], pd.DataFrame]
    reads: tuple[tuple[str, str], ...] = ()  # (table, column): blank throughout = not assessed
    table: str = "projects"  # the records it checks: no rows in scope, no figure


def _issues(
    frame: pd.DataFrame,
    check: str,
    record_type: str,
    id_col: str,
    name_col: str,
    owner: pd.Series,
    detail: pd.Series,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "check": check,
            "record_type": record_type,
            "record_id": frame[id_col].astype("str"),
            "record_name": frame[name_col].astype("str"),
            "owner": owner.fillna(UNASSIGNED).astype("str"),
            "detail": detail.astype("str"),
        },
        columns=ISSUE_COLUMNS,
    ).reset_index(drop=True)


def _project_issues(projects: pd.DataFrame, check: str, detail: pd.Series) -> pd.DataFrame:
    return _issues(
        projects,
        check,
        "project",
        "project_id",
        "project_name",
        projects["project_manager"],
        detail,
    )


def _on_projects(
    snapshot: Snapshot,
    rows: pd.DataFrame,
    check: str,
    describe: Callable[[DataFrameGroupBy], pd.Series],
) -> pd.DataFrame:
    """One issue per project that has offending child rows (financials, allocations, ...);
    describe turns the rows grouped by project into each project's detail (one aggregation for
    all projects, not a call per project: at 100x that took seconds)."""
    if rows.empty:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    detail = describe(rows.groupby("project_id", sort=True))
    hit = snapshot["projects"].set_index("project_id").loc[list(detail.index)].reset_index()
    return _project_issues(hit, check, pd.Series(list(detail), dtype="str"))


def _fmt_date(value: pd.Timestamp) -> str:
    return "none" if pd.isna(value) else value.strftime("%d %b %Y")


def _dates(series: pd.Series) -> pd.Series:
    """Dates as text for a detail column (an empty series stays a text series)."""
    return pd.Series(formatting.each_once(_fmt_date, series), index=series.index, dtype="str")


def no_baseline(snapshot: Snapshot, _: Thresholds) -> pd.DataFrame:
    """Open projects missing a baseline date the data carries: where the source has no baseline
    finish at all (blank in every row), only the start is checked, and the other way round."""
    p = snapshot["projects"]
    carried = [c for c in ("baseline_start", "baseline_finish") if p[c].notna().any()]
    missing = p[carried].isna().any(axis=1) if carried else pd.Series(False, index=p.index)
    p = p[p["status"].isin(OPEN_PROJECT) & missing]
    detail = (
        "baseline start " + _dates(p["baseline_start"]) + ", finish " + _dates(p["baseline_finish"])
    )
    return _project_issues(p, "no_baseline", detail)


def no_budget(snapshot: Snapshot, _: Thresholds) -> pd.DataFrame:
    p = snapshot["projects"]
    p = p[
        p["status"].isin(OPEN_PROJECT)
        & (p["budget_at_completion"].isna() | (p["budget_at_completion"] == 0))
    ]
    detail = pd.Series(
        [
            "no budget at completion" if pd.isna(b) else "budget at completion is 0"
            for b in p["budget_at_completion"]
        ],
        index=p.index,
        dtype="str",
    )
    return _project_issues(p, "no_budget", detail)


def stale_status(snapshot: Snapshot, thresholds: Thresholds) -> pd.DataFrame:
    p = snapshot["projects"]
    age = (snapshot.as_of - p["last_status_update"]).dt.days
    p = p[
        p["status"].isin(("Active", "On Hold"))
        & (age.isna() | (age > thresholds.stale_status_days))
    ]
    age = age[p.index]
    detail = pd.Series(
        ["never updated" if pd.isna(d) else f"last update {int(d)} days ago" for d in age],
        index=p.index,
        dtype="str",
    )
    return _project_issues(p, "stale_status", detail)


def forecast_before_start(snapshot: Snapshot, _: Thresholds) -> pd.DataFrame:
    p = snapshot["projects"]
    p = p[(p["forecast_finish"] < p["baseline_start"]).fillna(False)]
    detail = (
        "forecast finish "
        + _dates(p["forecast_finish"])
        + " is before baseline start "
        + _dates(p["baseline_start"])
    )
    return _project_issues(p, "forecast_before_start", detail)


def _ended(projects: pd.DataFrame) -> pd.DataFrame:
    """Closed and cancelled projects with the date work should have stopped."""
    p = projects[projects["status"].isin(("Closed", "Cancelled"))]
    end = p["actual_finish"].fillna(p["last_status_update"])
    return pd.DataFrame({"project_id": p["project_id"], "end": end}).dropna()


# The rows of a closed or cancelled project dated after it ended (as _ended dates it), in SQL:
# the first cut of the checks below in the store's query, so they never read a million rows.
_AFTER_END = (
    "EXISTS (SELECT 1 FROM projects AS p WHERE p.as_of = $a AND p.project_id = {0}.project_id"
    " AND p.status IN ('Closed', 'Cancelled')"
    " AND {0}.period > coalesce(p.actual_finish, p.last_status_update))"
)


def actuals_after_close(snapshot: Snapshot, _: Thresholds) -> pd.DataFrame:
    f = data.rows_where(
        snapshot,
        "financials",
        "measure = 'actual' AND amount > 0 AND " + _AFTER_END.format("financials"),
    )
    f = f[(f["measure"] == "actual") & (f["amount"] > 0)].merge(
        _ended(snapshot["projects"]), on="project_id"
    )
    f = f[f["period"] > f["end"]]
    return _on_projects(
        snapshot,
        f,
        "actuals_after_close",
        lambda g: (
            g["period"].nunique().astype("str")
            + " month(s) of actuals after the project ended on "
            + _dates(g["end"].first())
        ),
    )


def forecast_in_closed_month(snapshot: Snapshot, _: Thresholds) -> pd.DataFrame:
    # a closed month is on or before as-of; a blank amount is not 0
    where = "measure = 'forecast' AND amount IS DISTINCT FROM 0 AND period <= $a"
    f = data.rows_where(snapshot, "financials", where)
    f = f[
        (f["measure"] == "forecast")
        & (f["amount"] != 0)
        & is_closed_month(f["period"], snapshot.as_of)
    ]
    return _on_projects(
        snapshot,
        f,
        "forecast_in_closed_month",
        lambda g: (
            "forecast left in "
            + g["period"].nunique().astype("str")
            + " closed month(s), latest "
            + g["period"].max().dt.strftime("%b %Y")
        ),
    )


def allocations_to_closed_projects(snapshot: Snapshot, _: Thresholds) -> pd.DataFrame:
    where = "planned_hours > 0 AND " + _AFTER_END.format("allocations")
    a = data.rows_where(snapshot, "allocations", where)
    a = a[a["planned_hours"] > 0].merge(_ended(snapshot["projects"]), on="project_id")
    a = a[a["period"] > a["end"]]
    return _on_projects(
        snapshot,
        a,
        "allocations_to_closed_projects",
        lambda g: (
            g["planned_hours"].sum().map("{:,.0f}".format)
            + " hours booked for "
            + g["resource_id"].nunique().astype("str")
            + " people after the project ended"
        ),
    )


def demand_without_customer(snapshot: Snapshot, _: Thresholds) -> pd.DataFrame:
    d = snapshot["demand"]
    d = d[d["customer"].isna() | (d["customer"].str.strip() == "")]
    return _issues(
        d,
        "demand_without_customer",
        "demand",
        "demand_id",
        "title",
        pd.Series(DEMAND_OWNER, index=d.index),
        "no customer, stage " + d["stage"],
    )


def demand_without_estimate(snapshot: Snapshot, _: Thresholds) -> pd.DataFrame:
    d = snapshot["demand"]
    d = d[d["stage"].isin(DECIDED_DEMAND) & d["estimated_cost"].isna()]
    return _issues(
        d,
        "demand_without_estimate",
        "demand",
        "demand_id",
        "title",
        pd.Series(DEMAND_OWNER, index=d.index),
        "no estimated cost, stage " + d["stage"],
    )


def _risk_issues(
    snapshot: Snapshot, risks: pd.DataFrame, check: str, detail: pd.Series
) -> pd.DataFrame:
    owners = snapshot["projects"].set_index("project_id")["project_manager"]
    return _issues(
        risks, check, "risk", "item_id", "title", risks["project_id"].map(owners), detail
    )


def risk_without_owner(snapshot: Snapshot, _: Thresholds) -> pd.DataFrame:
    r = snapshot["risks"]
    r = r[(r["status"] != "Closed") & (r["owner"].isna() | (r["owner"].str.strip() == ""))]
    return _risk_issues(
        snapshot, r, "risk_without_owner", r["kind"] + " on " + r["project_id"] + " has no owner"
    )


def risk_past_due(snapshot: Snapshot, _: Thresholds) -> pd.DataFrame:
    r = snapshot["risks"]
    r = r[(r["status"] != "Closed") & (r["due_date"] < snapshot.as_of).fillna(False)]
    days = (snapshot.as_of - r["due_date"]).dt.days
    return _risk_issues(
        snapshot,
        r,
        "risk_past_due",
        r["kind"]
        + " due "
        + _dates(r["due_date"])
        + ", "
        + days.astype("Int64").astype("str")
        + " days ago",
    )


def gate_missing_artifacts(snapshot: Snapshot, _: Thresholds) -> pd.DataFrame:
    a = gate_artifacts(
        snapshot
    )  # the artifacts of gates already passed, as the health report sees them
    a = a[a["status"] == "Missing"].sort_values(["project_id", "gate", "artifact"])
    per_gate = a.groupby(["project_id", "gate"], sort=False)["artifact"].agg(", ".join)
    per_gate = per_gate.reset_index()
    per_gate["text"] = per_gate["gate"].astype("str") + ": " + per_gate["artifact"]
    return _on_projects(
        snapshot, per_gate, "gate_missing_artifacts", lambda g: g["text"].agg("; ".join)
    )


CHECKS: dict[str, Check] = {
    c.key: c
    for c in (
        Check(
            "no_baseline",
            "Project without baseline",
            "an open project (proposed, active, on hold) has no baseline start or finish",
            no_baseline,
            reads=(("projects", "baseline_start"), ("projects", "baseline_finish")),
        ),
        Check(
            "no_budget",
            "Project without budget",
            "an open project's budget at completion is blank or zero",
            no_budget,
            reads=(("projects", "budget_at_completion"),),
        ),
        Check(
            "stale_status",
            "Stale status update",
            "an active or on-hold project's last status update is older than {stale_status_days}"
            " days (or missing)",
            stale_status,
            reads=(("projects", "last_status_update"),),
        ),
        Check(
            "forecast_before_start",
            "Forecast finish before baseline start",
            "a project's forecast finish falls before its baseline start",
            forecast_before_start,
            reads=(("projects", "baseline_start"),),
        ),
        Check(
            "actuals_after_close",
            "Actuals on closed or cancelled project",
            "actual spend is booked in a month after a closed or cancelled project ended",
            actuals_after_close,
            table="financials",
        ),
        Check(
            "forecast_in_closed_month",
            "Forecast in a closed month",
            "a forecast amount remains in a month that is closed (its last day is on or before the"
            " as-of date)",
            forecast_in_closed_month,
            table="financials",
        ),
        Check(
            "allocations_to_closed_projects",
            "Allocation to closed project",
            "people are booked to a closed or cancelled project after it ended",
            allocations_to_closed_projects,
            table="allocations",
        ),
        Check(
            "demand_without_customer",
            "Demand without customer",
            "a demand request names no customer",
            demand_without_customer,
            reads=(("demand", "customer"),),
            table="demand",
        ),
        Check(
            "demand_without_estimate",
            "Demand without estimate",
            "a request in assessment or later has no estimated cost",
            demand_without_estimate,
            reads=(("demand", "estimated_cost"),),
            table="demand",
        ),
        Check(
            "risk_without_owner",
            "Risk or issue without owner",
            "an open risk or issue has no owner",
            risk_without_owner,
            reads=(("risks", "owner"),),
            table="risks",
        ),
        Check(
            "risk_past_due",
            "Risk or issue past due",
            "an open risk or issue is past its due date",
            risk_past_due,
            reads=(("risks", "due_date"),),
            table="risks",
        ),
        Check(
            "gate_missing_artifacts",
            "Gate passed with missing artifacts",
            "a gate was passed while an artifact it requires is still missing",
            gate_missing_artifacts,
            table="artifacts",
        ),
    )
}


def not_assessed(snapshot: Snapshot) -> list[Check]:
    """The checks this data cannot support: every column they read is blank in every row of a
    table that has rows (the source has no such column, as a mapping that does not map it).
    Flagging every record for it would say nothing about how well the data is kept."""
    out = []
    for check in CHECKS.values():
        columns = [(t, c) for t, c in check.reads if snapshot.rows(t)]
        if columns and all(snapshot[t][c].isna().all() for t, c in columns):
            out.append(check)
    return out


def unsupported(snapshot: Snapshot) -> dict[str, str]:
    """check key -> why this data cannot support it: no records of its table in scope, or every
    column it reads blank throughout. Such a check has no figure (not 0) and is not charted."""
    out = {
        c.key: f"no {c.table.replace('_', ' ')} in this data"
        for c in CHECKS.values()
        if snapshot.rows(c.table) == 0
    }
    for check in not_assessed(snapshot):
        out.setdefault(check.key, "the column it reads is blank in every row")
    return out


@same_arguments(size=4)  # the data-quality page and the summary's KPI trail ask alike
def find_issues(snapshot: Snapshot, thresholds: Thresholds) -> pd.DataFrame:
    """Every data-quality issue of a snapshot, one row per record to fix (see ISSUE_COLUMNS);
    checks the data cannot support (not_assessed) find nothing."""
    skipped = {c.key for c in not_assessed(snapshot)}
    found = [c.find(snapshot, thresholds) for c in CHECKS.values() if c.key not in skipped]
    found = [f for f in found if len(f)]
    if not found:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in ISSUE_COLUMNS})
    return pd.concat(found, ignore_index=True)


def records_checked(snapshot: Snapshot) -> int:
    """How many records the score is over: projects, demand requests and risks/issues."""
    return len(snapshot["projects"]) + len(snapshot["demand"]) + len(snapshot["risks"])


def score(snapshot: Snapshot, issues: pd.DataFrame) -> float | None:
    """Percentage of records (projects, demand, risks) with no data-quality issue; None when
    there are none, or when the data supports no check at all (a 100 % would say nothing)."""
    total = records_checked(snapshot)
    if total == 0 or len(unsupported(snapshot)) == len(CHECKS):
        return None
    affected = len(issues[["record_type", "record_id"]].drop_duplicates())
    return 100.0 * (total - affected) / total


def counts_by_check(issues: pd.DataFrame) -> pd.DataFrame:
    """Issue count per check, every check listed (zero included), in CHECKS order."""
    counts = issues["check"].value_counts().reindex(list(CHECKS), fill_value=0)
    return pd.DataFrame(
        {
            "check": list(CHECKS),
            "label": [c.label for c in CHECKS.values()],
            "issues": counts.to_numpy().astype(int),
        }
    )


def change_since(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Per check: issues now, then, the change, and how many are new and how many were fixed."""
    now = counts_by_check(current)
    if previous is None:
        return now.assign(previous=pd.NA, change=pd.NA, new=pd.NA, fixed=pd.NA)
    then = counts_by_check(previous).set_index("check")["issues"]
    keys = ["check", "record_type", "record_id"]
    merged = (
        current[keys]
        .drop_duplicates()
        .merge(previous[keys].drop_duplicates(), how="outer", on=keys, indicator=True)
    )
    new = merged[merged["_merge"] == "left_only"]["check"].value_counts()
    fixed = merged[merged["_merge"] == "right_only"]["check"].value_counts()
    return now.assign(
        previous=now["check"].map(then).astype(int),
        change=lambda d: d["issues"] - d["previous"],
        new=now["check"].map(new).fillna(0).astype(int),
        fixed=now["check"].map(fixed).fillna(0).astype(int),
    )


def by_owner(issues: pd.DataFrame) -> pd.DataFrame:
    """Issues per owner, most first: the list a PMO sends round each month."""
    if issues.empty:
        return pd.DataFrame(columns=["owner", "issues", "records"])
    grouped = issues.groupby("owner").agg(
        issues=("check", "size"), records=("record_id", "nunique")
    )
    return grouped.sort_values(["issues", "records"], ascending=False).reset_index()


def headlines(snapshot: Snapshot, issues: pd.DataFrame) -> dict[str, float | int | None]:
    """The manifest's figures: dq_issues_total, dq_score and dq_<check> per check."""
    figures: dict[str, float | int | None] = {
        "dq_issues_total": len(issues),
        "dq_score": score(snapshot, issues),
    }
    skipped = unsupported(snapshot)
    for row in counts_by_check(issues).itertuples():
        # a check the data cannot support (no records, or a column it does not carry): no
        # figure, not a reassuring 0
        figures[f"dq_{row.check}"] = None if row.check in skipped else int(row.issues)
    return figures


@dataclass(frozen=True)
class Assessment:
    """Everything the data-quality report shows, for one snapshot and the one before."""

    issues: pd.DataFrame
    previous_issues: pd.DataFrame | None
    score: float | None
    previous_score: float | None
    records: int
    change: pd.DataFrame  # per check the data supports
    unsupported: dict[str, str]  # check key -> why this data cannot support it


def assess(now: Snapshot, before: Snapshot | None, thresholds: Thresholds) -> Assessment:
    issues = find_issues(now, thresholds)
    earlier = find_issues(before, thresholds) if before is not None else None
    change, skipped = change_since(issues, earlier), unsupported(now)
    return Assessment(
        issues=issues,
        previous_issues=earlier,
        score=score(now, issues),
        previous_score=score(before, earlier) if before is not None else None,
        records=records_checked(now),
        change=change[~change["check"].isin(skipped)].reset_index(drop=True),
        unsupported=skipped,
    )


def rules(thresholds: Thresholds) -> pd.DataFrame:
    """The checks in words, with the thresholds in force, for the page."""
    values = thresholds.model_dump()
    return pd.DataFrame(
        {
            "label": [c.label for c in CHECKS.values()],
            "rule": [c.rule.format(**values) for c in CHECKS.values()],
        }
    )


def records_to_fix(issues: pd.DataFrame) -> pd.DataFrame:
    """The issues as a work list: by owner, then kind of check, then record."""
    labels = {key: check.label for key, check in CHECKS.items()}
    order = {key: i for i, key in enumerate(CHECKS)}
    out = issues.assign(check_label=issues["check"].map(labels), _order=issues["check"].map(order))
    return (
        out.pipe(hierarchy.sort_naturally, ["owner", "_order", "record_id"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )
