"""The KPI scorecard: service-delivery KPIs from a catalogue in the parameters.

Each KPI (params `kpis`, a portfolio's file may override any of its keys) names a formula over
the headline figures — the manifest's names, plus those `snapshot_figures` adds — in plain
arithmetic (`100 * projects_on_schedule / projects_schedule_rated`), a target, amber and red
thresholds and whether higher or lower is better. Status: with higher better, red below the red
threshold, amber below the amber one, else green (lower better: the other way). A formula whose
figures are blank, or that divides by zero, is blank ("No data"), never 0. The trend is the
KPI in every snapshot up to the as-of date.
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable

import numpy as np
import pandas as pd

from pmo_lib.data import Tables
from pmo_lib.errors import PMOError
from pmo_lib.metrics import spend

_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
SPARKS = "▁▂▃▄▅▆▇█"
FIGURES = frozenset(  # what a formula may read: the summary's headline figures and those below
    [
        "active_projects",
        "rag_green",
        "rag_amber",
        "rag_red",
        "rag_no_data",
        "reported_better_than_computed",
        "open_high_risks",
        "overdue_milestones",
        *spend.HEADLINE_KEYS,
        "cpi",
        "spi",
        "budget_at_completion",
        "benefits_realised_pct",
        "benefits_at_risk",
        "decisions_overdue",
        "actions_overdue",
        "approved_change_cost",
        "demand_open_count",
        "demand_open_estimated_cost",
        "demand_past_sla_count",
        "demand_median_lead_time_days",
        "capacity_hours_next_month",
        "planned_hours_next_month",
        "planned_utilisation_next_month",
        "over_allocated_people_next_month",
        "actual_hours_last_month",
        "projects_schedule_rated",
        "projects_on_schedule",
        "projects_cost_rated",
        "projects_on_budget",
        "demand_decided_recently",
        "demand_submitted_recently",
        "dq_score",
        "outlook_accuracy_pct",
    ]
)
RECENT_DAYS = 90  # demand throughput: requests decided in this many days


def names_in(formula: str) -> set[str]:
    """The figure names a formula reads; a formula that is not plain arithmetic over names and
    numbers is refused, saying what is not allowed."""
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as exc:
        raise PMOError(f"KPI formula {formula!r}: not arithmetic ({exc.msg})") from exc
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif (
            isinstance(node, ast.BinOp)
            and type(node.op) in _OPERATORS
            or isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            or isinstance(node, ast.Constant)
            and isinstance(node.value, int | float)
        ):
            continue
        elif not isinstance(node, ast.Expression | ast.Load | ast.operator | ast.unaryop):
            raise PMOError(
                f"KPI formula {formula!r}: only figure names, numbers, + − × ÷ and brackets are"
                f" allowed, not {type(node).__name__}"
            )
    unknown = sorted(names - FIGURES)
    if unknown:
        raise PMOError(
            f"KPI formula {formula!r}: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'}"
            " no figure; the figures are listed in the README's KPI scorecard section"
        )
    return names


def evaluate(formula: str, figures: dict) -> float | None:
    """The formula's value over these figures; None when a figure it reads is blank or it
    divides by zero."""

    def value(node: ast.AST) -> float | None:
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            got = figures.get(node.id)
            if got is None or isinstance(got, str | bool) or pd.isna(got):
                return None
            return float(got)
        if isinstance(node, ast.UnaryOp):
            inner = value(node.operand)
            return None if inner is None else -inner
        left, right = value(node.left), value(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div) and right == 0:
            return None
        return _OPERATORS[type(node.op)](left, right)

    names_in(formula)
    return value(ast.parse(formula, mode="eval"))


def status(value: float | None, amber: float, red: float, better: str) -> str:
    if value is None or pd.isna(value):
        return "No data"
    if better == "higher":
        return "Red" if value < red else "Amber" if value < amber else "Green"
    return "Red" if value > red else "Amber" if value > amber else "Green"


def sparkline(values: list[float | None]) -> str:
    """Unicode blocks, lowest ▁ to highest █ over the values shown; a blank value is a space."""
    known = [v for v in values if v is not None and not pd.isna(v)]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    return "".join(
        " "
        if v is None or pd.isna(v)
        else SPARKS[int(round((v - low) / span * (len(SPARKS) - 1))) if span else 3]
        for v in values
    )


# -- the figures the KPIs need beyond the manifest's ------------------------------------------
def figures(now, assessed: pd.DataFrame, slip_days_amber: int, vac_pct_amber: float) -> dict:
    """Counts behind the default KPIs: active projects rated on schedule (finish slip known) and
    on it (slip below the health amber threshold); rated on cost (variance at completion known)
    and on budget (VAC within the amber band); demand decided in the last RECENT_DAYS days."""
    slip = assessed.get("slip_days", pd.Series(dtype="float64")).astype("float64")
    vac = assessed.get("vac_pct", pd.Series(dtype="float64")).astype("float64")
    demand = now["demand"]
    since = now.as_of - pd.Timedelta(days=RECENT_DAYS)
    has_demand = not demand.empty
    return {
        "projects_schedule_rated": int(slip.notna().sum()),
        "projects_on_schedule": int((slip < slip_days_amber).sum()),
        "projects_cost_rated": int(vac.notna().sum()),
        "projects_on_budget": int((vac.abs() < vac_pct_amber).sum()),
        "demand_decided_recently": int(demand["decision_date"].between(since, now.as_of).sum())
        if has_demand
        else None,
        "demand_submitted_recently": int(demand["submitted_date"].between(since, now.as_of).sum())
        if has_demand
        else None,
    }


def snapshot_figures(
    now, load: pd.DataFrame, config, past, history: list, headlines: dict | None = None
) -> dict:
    """Every figure a KPI formula may read for one snapshot: the summary's headline figures
    (headlines, when already computed), the counts above, the data-quality score and the
    Outlook accuracy (history: the snapshots up to this one)."""
    from pmo_lib.metrics import data_quality, health, summary

    if headlines is None:
        headlines = summary.figures(now, load, config.portfolio, config, past)
    out = dict(headlines)
    assessed = health.rate(now, config.health, config.spend.eac_formula, past)
    out.update(figures(now, assessed, config.health.slip_days_amber, config.health.vac_pct_amber))
    out["dq_score"] = data_quality.score(now, data_quality.find_issues(now, config.thresholds))
    out["outlook_accuracy_pct"] = outlook_accuracy(history)
    return out


def trail(
    history: list, load_of: Callable, config, past, known: dict, done: dict | None = None
) -> list[tuple[pd.Timestamp, dict]]:
    """(as_of, snapshot_figures) per snapshot of history, oldest first: what the scorecard's
    trend shows. load_of(snapshot): every person's bookings then; known: the headlines already
    computed (the report's own); done: snapshots' figures computed before (earlier_figures).
    In a batch run each snapshot's figures are kept for the next run under its key
    (Snapshot.key: its scope's rows up to it), what the past says of its projects
    (Past.print_of) and the parameters: a PMO two years in has 24 snapshots, and a month's run
    computes the new one only (the one before it was the new one a month ago)."""
    found = dict(done or {})
    # the snapshots whose headlines are known first (their tables are held), then the others
    # newest first; each earlier one's tables let go once its figures are done
    for i in sorted(range(len(history)), key=lambda i: (history[i].as_of not in known, -i)):
        as_of = history[i].as_of
        if as_of not in found:
            found[as_of] = _entry(history, i, load_of, config, past, known.get(as_of))
    return [(snapshot.as_of, found[snapshot.as_of]) for snapshot in history]


def earlier_figures(history: list, load_of: Callable, config, past, known: dict) -> dict:
    """The trail's figures of every snapshot before the last (the report's own), by as_of:
    those whose headlines are known first (their tables are held), then the others newest
    first, each one's tables let go once its figures are done. Computed before the report's
    own snapshot is read, they hold one snapshot's tables at a time: the 100x executive
    summary held the report's own beside each earlier one's."""
    earlier = history[:-1]
    order = sorted(range(len(earlier)), key=lambda i: (earlier[i].as_of not in known, -i))
    return {
        earlier[i].as_of: _entry(history, i, load_of, config, past, known.get(earlier[i].as_of))
        for i in order
    }


def _entry(history: list, i: int, load_of: Callable, config, past, headlines: dict | None):
    """snapshot_figures of history[i] (kept in a batch run, but the report's own: its headlines
    hold this run's forecasts too, which the same snapshot's figures computed as an earlier one
    do not); an earlier snapshot's tables let go once they are done."""
    from pmo_lib import kept

    snapshot, last = history[i], len(history) - 1
    compute = functools.partial(
        _figures_then, snapshot, load_of, config, past, history[: i + 1], headlines
    )
    if snapshot.key is None or i == last:
        figures = compute()
    else:
        seen = past.print_of(snapshot["projects"]["project_id"]) if past else ""
        figures = kept.value(("kpi-trail", snapshot.key, seen, config.model_dump_json()), compute)
    if i != last and isinstance(snapshot.tables, Tables):
        snapshot.tables.release()  # an earlier snapshot's tables, read for its figures
    return figures


def _figures_then(snapshot, load_of: Callable, config, past, history: list, headlines) -> dict:
    return snapshot_figures(snapshot, load_of(snapshot), config, past, history, headlines)


def outlook_accuracy(history: list) -> float | None:
    """How close the earliest snapshot's cost at completion came to what projects that have
    closed since actually cost: 100 × (1 − Σ|forecast − actual| / Σ actual) over the projects
    active then and closed now; blank without such projects."""
    from pmo_lib.metrics import forecast, spend

    if len(history) < 2:
        return None
    first, last = history[0], history[-1]
    then = first["projects"]
    now = last["projects"].drop_duplicates("project_id").set_index("project_id")
    active_then = set(then.loc[then["status"] == "Active", "project_id"])
    closed = [p for p in now.index[now["status"] == "Closed"] if p in active_then]
    if not closed:
        return None
    forecast_then = forecast.cost_at_completion(first).reindex(closed)
    months = spend.months_of(last)  # summed in the store: the rows are not read
    actual = (
        months[months["project_id"].isin(closed)]
        .groupby("project_id")["actual"]
        .sum()
        .reindex(closed)
    )
    both = pd.DataFrame({"then": forecast_then, "actual": actual}).dropna()
    both = both[both["actual"] > 0]
    if both.empty:
        return None
    error = float((both["then"] - both["actual"]).abs().sum() / both["actual"].sum())
    return max(100 * (1 - error), 0.0)  # a forecast off by more than the cost: 0 %, not below


def scorecard(catalogue: dict, trail: list[tuple[pd.Timestamp, dict]]) -> pd.DataFrame:
    """One row per KPI: its definition, value now, target, thresholds, status, the values in
    every snapshot (oldest first) and their sparkline. trail: (as_of, figures) per snapshot."""
    rows = []
    for name, kpi in catalogue.items():
        values = [evaluate(kpi.formula, figures) for _, figures in trail]
        now = values[-1] if values else None
        rows.append(
            {
                "kpi": name,
                "definition": kpi.definition,
                "unit": kpi.unit,
                "value": now,
                "target": kpi.target,
                "amber": kpi.amber,
                "red": kpi.red,
                "better": kpi.better,
                "status": status(now, kpi.amber, kpi.red, kpi.better),
                "trend": values,
                "sparkline": sparkline(values),
            }
        )
    out = pd.DataFrame(rows)
    if not out.empty:
        out["value"] = out["value"].astype("Float64")
    return out


def as_text(value: float | None, unit: str, currency: str) -> str:
    """A KPI value or target as the scorecard shows it."""
    from pmo_lib import formatting as fmt

    if value is None or pd.isna(value):
        return ""
    return {
        "percent": lambda v: fmt.percent(v, 0),
        "days": lambda v: f"{v:,.0f} days",
        "count": lambda v: fmt.count(int(np.round(v))),
        "money": lambda v: fmt.money(v, currency, compact=True),
    }[unit](value)
