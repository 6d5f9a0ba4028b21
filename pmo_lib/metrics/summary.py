"""The executive summary: the detailed reports' own figures, side by side and against the
previous snapshot. Nothing here computes a metric of its own; it calls the report modules.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd

from pmo_lib import hierarchy, kept
from pmo_lib.data import Snapshot, among
from pmo_lib.metrics import benefits, demand, health, raid, resourcing, spend
from pmo_lib.params import ReportConfig

LIFECYCLE = ["Initiate", "Plan", "Execute", "Close"]


HEADLINES_OF = ("health", "spend", "benefits", "raid", "demand_pipeline", "resourcing")
# the reports whose headlines the comparison tables show (tested against FIGURE_COLUMNS): a
# function of 48 portfolios spent a third of its comparison on the others' (benefits, RAID)
COMPARED = ("health", "spend", "demand_pipeline", "resourcing")


def figures(
    now: Snapshot,
    load: pd.DataFrame,
    portfolio: str | None,
    config: ReportConfig,
    past: health.Past | None = None,
    reports: tuple[str, ...] = HEADLINES_OF,
) -> dict:
    """Every headline of the detailed reports (of these reports) for one snapshot, under the
    reports' own names."""
    out: dict = {}
    if "health" in reports:
        assessed = health.rate(now, config.health, config.spend.eac_formula, past)
        register, milestones = health.risk_register(now), health.milestone_status(now)
        out.update(health.headlines(assessed, register, milestones))
    if "spend" in reports:
        out.update(spend.headlines(now, config.fiscal_year_start_month, config.spend.eac_formula))
    if "benefits" in reports:
        out.update(benefits.headlines(spend.benefits_of(now, config.spend)))
    if "raid" in reports:
        out.update(raid.headlines(health.raid_of(now)))
    if "demand_pipeline" in reports:
        history = now["demand_stage_history"]
        out.update(
            demand.headlines(
                now["demand"],
                history if demand.uses_history(history) else None,
                now.as_of,
                config.demand,
            )
        )
    if "resourcing" in reports:
        out.update(resourcing.headlines(now, load, portfolio, config.resourcing))
    return out


TILES = [  # (label, headline key, kind, is a rise good?)
    ("Active projects", "active_projects", "count", None),
    ("Computed red", "rag_red", "count", False),
    ("Computed amber", "rag_amber", "count", False),
    ("Computed green", "rag_green", "count", True),
    ("No data to rate", "rag_no_data", "count", False),
    ("Budget at completion", "budget_at_completion", "money", None),
    ("FY Plan", "fy_plan", "money", None),
    ("YTD Actual", "ytd_actual", "money", None),
    ("Outlook", "fy_outlook", "money", None),
    ("Variance (Outlook − Plan)", "fy_variance", "money", False),
    ("Outlook at P90 (Monte Carlo)", "fy_outlook_p90", "money", None),
    ("Over budget at P80", "p80_overrun_projects", "count", False),
    ("Demand backlog", "demand_open_count", "count", None),
    ("Backlog value", "demand_open_estimated_cost", "money", None),
    ("Median lead time to decision", "demand_median_lead_time_days", "days", False),
    ("Planned utilisation next month", "planned_utilisation_next_month", "percent", None),
    ("Open high risks", "open_high_risks", "count", False),
    ("Benefits realised to date", "benefits_realised_pct", "percent", True),
]


def headlines_of(
    snapshot: Snapshot,
    load: pd.DataFrame,
    portfolio: str | None,
    config: ReportConfig,
    past: health.Past | None = None,
) -> dict:
    """A snapshot's headline figures (figures, of every report); past feeds health's
    change-based rules (see health.Past). In a batch run they are kept under the snapshot's key
    (Snapshot.key), as the KPI trail keeps its own: a month's run reads none of the previous
    snapshot's large tables (at 100x a million bookings) for figures its run a month before
    computed."""
    compute = functools.partial(figures, snapshot, load, portfolio, config, past)
    if snapshot.key is None:
        return compute()
    seen = past.print_of(snapshot["projects"]["project_id"]) if past else ""
    parts = ("headlines", snapshot.key, seen, HEADLINES_OF, config.model_dump_json())
    return kept.value(parts, compute)


def tiles(now: dict, before: dict | None) -> pd.DataFrame:
    """KPI tiles: value now, value at the previous snapshot and the change."""
    rows = []
    for label, key, kind, rise_good in TILES:
        value = now.get(key)
        previous = before.get(key) if before else None
        change = None if value is None or previous is None else value - previous
        rows.append(
            {
                "label": label,
                "key": key,
                "kind": kind,
                "value": value,
                "previous": previous,
                "change": change,
                "rise_good": rise_good,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Changes:
    turned_red: pd.DataFrame
    recovered: pd.DataFrame
    outlook_moves: pd.DataFrame
    new_high_risks: pd.DataFrame
    decided: pd.DataFrame
    gates_passed: pd.DataFrame


def changes(
    now: Snapshot,
    before: Snapshot | None,
    config: ReportConfig,
    past: health.Past | None = None,
) -> Changes:
    """What changed since the previous snapshot, from the detailed reports' functions."""
    assessed = health.rate(now, config.health, config.spend.eac_formula, past)
    previous = (
        health.rate(before, config.health, config.spend.eac_formula, past)
        if before is not None
        else None
    )
    moved = health.changed(assessed, previous)
    fy = spend.fiscal_year(now.as_of, config.fiscal_year_start_month)
    per_now = spend.with_projects(
        now["projects"], spend.fy_of_months(spend.months_of(now), now.as_of, fy)
    )
    per_before = (
        spend.fy_of_months(spend.months_of(before), before.as_of, fy)
        if before is not None
        else None
    )
    moves = spend.exceptions(
        per_now,
        per_before,
        float("inf"),
        config.spend.exception_min_amount,
        config.spend.exception_outlook_change_pct,
    )
    # an Outlook change past the threshold: not a project listed for having no plan at all
    moves = moves[moves["reason"].str.contains("Outlook change", regex=False)]
    moves = (
        moves.reindex(moves["outlook_change"].abs().sort_values(ascending=False).index)
        .head(5)
        .reset_index(drop=True)
    )
    register = health.risk_register(now)
    high = register[
        (register["kind"] == "Risk")
        & (register["status"] != "Closed")
        & (register["score"] >= health.HIGH_RISK)
    ]
    if before is not None:
        high = high[
            ~among(high["item_id"], before["risks"]["item_id"].unique())
            | among(high["item_id"], _was_low(before))
        ]
    decided = demand.changes(
        now["demand"],
        before["demand"] if before is not None else None,
        before.as_of if before is not None else None,
        now.as_of,
    )["decided"]
    m = now["milestones"]
    since = before.as_of if before is not None else now.as_of
    gates = m[
        m["is_gate"].fillna(False)
        & (m["actual_date"] > since).fillna(False)
        & (m["actual_date"] <= now.as_of).fillna(False)
    ]
    gates = gates.merge(now["projects"][["project_id", "project_name"]], on="project_id")
    return Changes(
        turned_red=moved[moved["now"] == health.RED],
        recovered=moved[(moved["was"] == health.RED) & (moved["now"] != health.RED)],
        outlook_moves=moves,
        new_high_risks=high.reset_index(drop=True),
        decided=decided,
        gates_passed=gates.reset_index(drop=True),
    )


def _was_low(before: Snapshot) -> pd.Series:
    r = before["risks"]
    return r.loc[(r["probability"] * r["impact"]).fillna(0) < health.HIGH_RISK, "item_id"]


def lifecycle(now: Snapshot) -> pd.DataFrame:
    """One line from demand to closure: requests per demand stage, projects per lifecycle stage,
    closed projects. No bars of zeros for what the data does not carry: without demand there
    is no demand phase, and open projects without a lifecycle stage count as "(stage not given)"."""
    rows = []
    if len(now["demand"]):
        d = now["demand"]["stage"].value_counts()
        rows += [
            {"phase": "Demand", "stage": s, "count": int(d.get(s, 0))}
            for s in ["Submitted", "Triage", "Assessment", "Approved"]
        ]
    p = now["projects"]
    stages = p.loc[p["status"].isin(["Proposed", "Active", "On Hold"]), "lifecycle_stage"]
    if stages.notna().any():
        live = stages.value_counts()
        rows += [{"phase": "Delivery", "stage": s, "count": int(live.get(s, 0))} for s in LIFECYCLE]
    if stages.isna().any():
        rows.append(
            {"phase": "Delivery", "stage": "(stage not given)", "count": int(stages.isna().sum())}
        )
    rows.append(
        {"phase": "Closure", "stage": "Closed", "count": int((p["status"] == "Closed").sum())}
    )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Exceptions:
    """The items needing a decision, each area's first rows by its detailed report's own rule
    and order; the summary's page says why and links to the section that explains them."""

    health: pd.DataFrame  # health.watch_list: project_id, project_name, why (its rules in words)
    spend: pd.DataFrame  # spend.exceptions: project_id, project_name, fy_plan, fy_outlook, reason
    demand: pd.DataFrame  # demand.past_sla: demand_id, title, stage, age_days, sla_days
    resourcing: pd.DataFrame  # roles short over the next 3 months: role, next_3_months (hours)


def exceptions(
    now: Snapshot,
    portfolio: str | None,
    config: ReportConfig,
    top: int = 5,
    past: health.Past | None = None,
) -> Exceptions:
    """The items needing a decision: at most `top` per area, from the detailed reports' rules."""
    assessed = health.assess(now, config.health, config.spend.eac_formula, past)
    fy = spend.fiscal_year(now.as_of, config.fiscal_year_start_month)
    per = spend.with_projects(
        now["projects"], spend.fy_of_months(spend.months_of(now), now.as_of, fy)
    )
    found = spend.exceptions(
        per,
        None,
        config.spend.exception_variance_pct,
        config.spend.exception_min_amount,
        config.spend.exception_outlook_change_pct,
    )
    history = now["demand_stage_history"]
    aged = demand.ageing(
        now["demand"],
        history if demand.uses_history(history) else None,
        now.as_of,
        config.demand.sla_days,
    )
    short = resourcing.role_shortfall(now, portfolio, config.resourcing)
    return Exceptions(
        health=health.watch_list(assessed, top),
        spend=found.head(top).reset_index(drop=True),
        demand=demand.past_sla(aged).head(top).reset_index(drop=True),
        resourcing=short[short["next_3_months"] > 0].head(top).reset_index(drop=True),
    )


def portfolios(now: Snapshot) -> list[str]:
    """The portfolios a snapshot has projects or demand in, sorted."""
    return sorted(
        set(now["projects"]["portfolio"].dropna().unique())
        | set(now["demand"]["portfolio"].dropna().unique())
    )


def by_portfolio(
    now: Snapshot,
    load: pd.DataFrame,
    config: ReportConfig,
    past: health.Past | None = None,
    functions: dict[str, str] | None = None,
    prints: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Portfolios side by side on the summary's KPIs (function-level page). load: every person's
    total bookings (the same whatever the scope). In an enterprise store (functions: portfolio
    -> function), each row names its function and the portfolio's own name, function by
    function. prints: the portfolios' data prints (kept.data_prints), under which a batch run
    keeps each row's figures for the next run (a portfolio without one is computed)."""
    rows = []
    for name in portfolios(now):
        row = {"portfolio": name}
        if functions:
            function = functions.get(name, spend.NO_FUNCTION)
            row = {
                "function": function,
                "portfolio": name.removeprefix(function + hierarchy.SEPARATOR),
            }
        narrowed = now.portfolio_scope(name)  # the store's rows and sums where not read
        compute = functools.partial(figures, narrowed, load, name, config, past, COMPARED)
        if prints and name in prints:
            # the row reads the portfolio's rows (its print) and what the function's past says
            # of its projects (a project moved in from another portfolio keeps its first budget)
            seen = past.print_of(narrowed["projects"]["project_id"]) if past else ""
            parts = ("comparison", name, prints[name], seen, str(now.as_of.date()), COMPARED)
            found = kept.value((*parts, config.model_dump_json()), compute)
        else:
            found = compute()
        rows.append({**row, **found})
        narrowed.tables.release(keep=())  # its rows: a copy of the function's, not needed again
    return pd.DataFrame(rows)


def by_function(
    now: Snapshot,
    load: pd.DataFrame,
    config: ReportConfig,
    past: health.Past | None = None,
    functions: dict[str, str] | None = None,
) -> pd.DataFrame:
    """An enterprise's functions side by side on the summary's KPIs, each the sum of its
    portfolios' rows (computed again from them, not added up: medians and rates do not add);
    empty outside an enterprise store."""
    if not functions:
        return pd.DataFrame(columns=["function"])
    members: dict[str, set[str]] = {}
    for portfolio, function in functions.items():
        members.setdefault(function, set()).add(portfolio)
    return pd.DataFrame(
        [
            {
                "function": function,
                **figures(now.in_portfolios(names), load, None, config, past, COMPARED),
            }
            for function, names in sorted(members.items())
        ]
    )


def by_sub_portfolio(
    now: Snapshot, config: ReportConfig, past: health.Past | None = None
) -> pd.DataFrame:
    """Per sub-portfolio (keyed by portfolio and sub-portfolio: a name two portfolios share is
    two rows): active projects, computed RAG counts, FY Plan, Outlook and variance (blank
    without financials)."""
    assessed = health.rate(now, config.health, config.spend.eac_formula, past)
    keys = hierarchy.key("sub_portfolio")
    rag = health.summary(assessed, "sub_portfolio").drop(columns="label")
    fy = spend.fiscal_year(now.as_of, config.fiscal_year_start_month)
    months = spend.months_of(now)
    per = spend.with_projects(now["projects"], spend.fy_of_months(months, now.as_of, fy))
    money = (
        hierarchy.named(per, "sub_portfolio")
        .groupby(keys, as_index=False)[["fy_plan", "fy_outlook", "fy_variance"]]
        .sum()
    )
    if months.empty:  # no financials: no figures, not zeros
        money[["fy_plan", "fy_outlook", "fy_variance"]] = float("nan")
    out = money.merge(rag, on=keys, how="left").fillna({k: 0 for k in health.RAGS + ["projects"]})
    return out.sort_values(keys).reset_index(drop=True)


def comparison(
    now: Snapshot,
    load: pd.DataFrame,
    config: ReportConfig,
    past: health.Past | None = None,
    functions: dict[str, str] | None = None,
    prints: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The portfolios side by side on the function's (or enterprise's) page; empty on a
    portfolio's own page. prints: as by_portfolio's."""
    if config.is_function:
        return by_portfolio(now, load, config, past, functions, prints)
    return pd.DataFrame(columns=["portfolio"])
