"""Project health: a computed RAG per dimension from rules with thresholds, beside the manager's
reported RAG; schedule, risks and issues, gate reviews and the watch list.

Every rule gives Green, Amber, Red or "No data" with the number behind it. A dimension is the
worst of its rules that have data ("No data" when none has); the overall RAG ranks Red > Amber >
No data > Green across the dimensions, so missing data is never silently green.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from pmo_lib import hierarchy
from pmo_lib.data import Snapshot, among
from pmo_lib.memo import same_arguments
from pmo_lib.metrics import dependencies, forecast, raid
from pmo_lib.metrics.spend import ev_of_months, months_of
from pmo_lib.params import HealthParams

GREEN, AMBER, RED, NO_DATA = "Green", "Amber", "Red", "No data"
NOT_RATED = "Not rated"  # a rule (or dimension) the scope's data cannot support at all
RAGS = [GREEN, AMBER, RED, NO_DATA]
SEVERITY = {GREEN: 0, NO_DATA: 1, AMBER: 2, RED: 3}  # for the overall RAG
MONTHLY_DAYS = 31  # the cadence the staleness thresholds are written for
REPORTED_RANK = {GREEN: 0, AMBER: 1, RED: 2}
DIMENSIONS = ["schedule", "cost", "risk", "governance"]
HIGH_RISK = 15  # risk score (probability × impact) of a high risk, DESIGN.md


@dataclass(frozen=True)
class Rule:
    key: str
    dimension: str
    label: str
    measure: str  # column holding the number behind the colour
    rag: Callable[[pd.Series, HealthParams], pd.Series]
    describe: Callable[[HealthParams], str]  # the rule in words, with its thresholds
    needs: str = ""  # what the rule reads, for "not rated for this data: ..."
    has_data: str = ""  # column whose blanks mean "no data" (default: the measure)


def _bands(value: pd.Series, amber_at: float, red_at: float) -> pd.Series:
    """Green below amber_at, Amber from amber_at, Red from red_at; No data where value is blank."""
    value = value.astype("float64")
    out = np.select(
        [value.isna(), value >= red_at, value >= amber_at], [NO_DATA, RED, AMBER], GREEN
    )
    return pd.Series(out, index=value.index)


def _index_band(value: pd.Series, p: HealthParams) -> pd.Series:
    """An index (CPI, SPI) is green within 1 ± green band, amber within 1 ± amber band, red outside:
    an underrun counts as much as an overrun."""
    distance = (value.astype("float64") - 1).abs().round(9)  # 1.1 - 1 is 0.10000000000000009
    out = np.select(
        [distance.isna(), distance > p.index_amber_band, distance > p.index_green_band],
        [NO_DATA, RED, AMBER],
        GREEN,
    )
    return pd.Series(out, index=value.index)


RULES: list[Rule] = [
    Rule(
        "slip",
        "schedule",
        "Finish slip",
        "slip_days",
        lambda v, p: _bands(v.clip(lower=0), p.slip_days_amber, p.slip_days_red),
        lambda p: (
            f"forecast finish later than baseline finish: amber from {p.slip_days_amber} days, red"
            f" from {p.slip_days_red}; no baseline or forecast = no data"
        ),
        needs="a baseline finish and a forecast finish",
    ),
    Rule(
        "overdue_milestones",
        "schedule",
        "Overdue milestones",
        "overdue_milestones",
        lambda v, p: _bands(v, p.overdue_milestones_amber, p.overdue_milestones_red),
        lambda p: (
            "milestones whose forecast date has passed with no actual date: amber from"
            f" {p.overdue_milestones_amber}, red from {p.overdue_milestones_red}; no milestones ="
            " no data"
        ),
        needs="milestones",
    ),
    Rule(
        "spi",
        "schedule",
        "SPI",
        "spi",
        _index_band,
        lambda p: (
            f"schedule performance index EV ÷ PV: green within 1 ± {p.index_green_band:g}, amber"
            f" within 1 ± {p.index_amber_band:g}, red outside; no plan to date or no percent"
            " complete = no data"
        ),
        needs="percent complete and a plan to date",
    ),
    Rule(
        "vac",
        "cost",
        "Variance at completion",
        "vac_pct",
        lambda v, p: _bands(v.abs(), p.vac_pct_amber, p.vac_pct_red),
        lambda p: (
            f"(BAC − EAC) ÷ BAC: green within ±{p.vac_pct_amber:g} %, amber within"
            f" ±{p.vac_pct_red:g} %, red beyond; no budget or no EAC = no data"
        ),
        needs="percent complete, a budget and actuals",
    ),
    Rule(
        "cpi",
        "cost",
        "CPI",
        "cpi",
        _index_band,
        lambda p: (
            f"cost performance index EV ÷ AC: green within 1 ± {p.index_green_band:g}, amber within"
            f" 1 ± {p.index_amber_band:g}, red outside; no actuals = no data"
        ),
        needs="percent complete and actuals",
    ),
    Rule(
        "budget_growth",
        "cost",
        "Budget change (derived)",
        "budget_growth_pct",
        lambda v, p: _bands(v.abs(), p.vac_pct_amber, p.vac_pct_red),
        lambda p: (
            "only when cost cannot be rated on EAC and CPI (no financials or no percent complete):"
            " budget at completion against the project's first snapshot: green within"
            f" ±{p.vac_pct_amber:g} %, amber within ±{p.vac_pct_red:g} %, red beyond"
        ),
        needs="a budget at completion in more than one snapshot",
    ),
    Rule(
        "high_risks",
        "risk",
        "Open high risks",
        "open_high_risks",
        lambda v, p: _bands(v, p.open_high_risks_amber, p.open_high_risks_red),
        lambda p: (
            f"open risks scoring {HIGH_RISK} or more (probability × impact): amber from"
            f" {p.open_high_risks_amber}, red from {p.open_high_risks_red}; an empty risk register"
            " = no data"
        ),
        needs="a risk register",
    ),
    Rule(
        "overdue_issues",
        "risk",
        "Overdue issues",
        "overdue_issues",
        lambda v, p: _bands(v, p.overdue_issues_amber, p.overdue_issues_red),
        lambda p: (
            f"open issues past their due date: amber from {p.overdue_issues_amber}, red from"
            f" {p.overdue_issues_red}; an empty risk register = no data"
        ),
        needs="a risk register",
    ),
    Rule(
        "missing_artifacts",
        "governance",
        "Missing gate artifacts",
        "missing_artifacts",
        lambda v, p: _bands(v, p.missing_artifacts_amber, p.missing_artifacts_red),
        lambda p: (
            "artifacts still missing for gates already passed: amber from"
            f" {p.missing_artifacts_amber}, red from {p.missing_artifacts_red}"
        ),
        needs="gate milestones and their artifacts",
        has_data="gate_checked",
    ),
    Rule(
        "stale_update",
        "governance",
        "Status update age",
        "status_age_days",
        lambda v, p: _bands(v, p.stale_update_amber_days + 1, p.stale_update_red_days + 1),
        lambda p: (
            f"days since the last status update: amber after {p.stale_update_amber_days}, red after"
            f" {p.stale_update_red_days}; never updated = no data"
        ),
        needs="a last status update date",
    ),
    Rule(
        "baseline",
        "governance",
        "Baseline",
        "missing_baseline",
        lambda v, p: pd.Series(np.where(v.astype(bool), RED, GREEN), index=v.index),
        lambda p: "a project without a baseline start and finish is red",
        needs="baseline dates",
        has_data="baseline_finish",
    ),
]


def _highest(colours: pd.DataFrame, order: list[str], otherwise: str) -> pd.Series:
    """Per row, the colour latest in `order` among its cells (Not rated and blank cells left
    out); `otherwise` when none is left. In numpy: a scope's assessment runs once per portfolio
    on the function's page, where pandas' replace and map on a few dozen rows took most of it."""
    cells = colours.to_numpy(dtype=object)
    rank = np.full(cells.shape, -1)
    for position, colour in enumerate(order):
        rank[cells == colour] = position
    top = rank.max(axis=1, initial=-1)
    named = np.asarray([*order, otherwise], dtype=object)[top]  # -1: the last, `otherwise`
    return pd.Series(named, index=colours.index, dtype=object)


def worst(rags: pd.DataFrame) -> pd.Series:
    """A dimension: the worst colour among rules with data; No data when none has; Not rated
    when none of its rules is rated for this data."""
    return _highest(rags, [NO_DATA, GREEN, AMBER, RED], NOT_RATED)


def overall(dimensions: pd.DataFrame) -> pd.Series:
    """Red > Amber > No data > Green across the rated dimensions (No data when none is rated)."""
    return _highest(dimensions, sorted(SEVERITY, key=SEVERITY.get), NO_DATA)


@dataclass(frozen=True)
class Past:
    """What the snapshots up to the report's say about each project: when it was first seen,
    and its first budget at completion and forecast finish (with the snapshot that gave them);
    and how many days apart the snapshots come (None with one snapshot)."""

    first: pd.DataFrame  # index project_id: seen, budget, budget_as_of, finish, finish_as_of
    cadence_days: float | None = None
    # the keys of the snapshots it was made of, when each has one (a batch run): pmo_lib.memo
    # knows it by them
    key: tuple | None = field(default=None, compare=False)
    memo_by_key: ClassVar[bool] = True

    @classmethod
    def of(cls, history: list[Snapshot]) -> Past:
        frames = [
            s["projects"][["project_id", "budget_at_completion", "forecast_finish"]].assign(
                as_of=s.as_of
            )
            for s in history
            if len(s["projects"])
        ]
        dates = sorted({s.as_of for s in history})
        gaps = pd.Series(dates).diff().dt.days.dropna()
        cadence = float(gaps.median()) if len(gaps) else None
        keys = [s.key for s in history]
        key = ("past", *keys) if keys and None not in keys else None
        if not frames:
            return cls(_no_past(), cadence, key)
        rows = pd.concat(frames, ignore_index=True).sort_values("as_of", kind="stable")
        seen = rows.groupby("project_id")["as_of"].min()
        budget = rows.dropna(subset=["budget_at_completion"]).drop_duplicates("project_id")
        finish = rows.dropna(subset=["forecast_finish"]).drop_duplicates("project_id")
        first = pd.DataFrame({"seen": seen})
        first["budget"] = budget.set_index("project_id")["budget_at_completion"].astype("float64")
        first["budget_as_of"] = budget.set_index("project_id")["as_of"]
        first["finish"] = finish.set_index("project_id")["forecast_finish"]
        first["finish_as_of"] = finish.set_index("project_id")["as_of"]
        return cls(first, cadence, key)

    def print_of(self, project_ids: pd.Series) -> str:
        """A digest of what this past says of these projects, and of the staleness allowance
        its cadence gives: what an answer kept for a scope's projects also depends on (their
        first budget or finish may come from a snapshot where they sat in another portfolio).
        The allowance, not the cadence: monthly snapshots' median gap swings between 30 and
        30.5 days as months are added, and would change every key each month."""
        ids = self.first.index
        rows = self.first[among(pd.Series(ids, index=ids), project_ids).to_numpy()]
        # dates in one unit: the same dates in seconds or microseconds hash apart
        rows = rows.astype({c: "datetime64[us]" for c in rows if rows[c].dtype.kind == "M"})
        hashed = np.sort(pd.util.hash_pandas_object(rows, index=True).to_numpy())
        digest = hashlib.sha256(hashed.tobytes())
        digest.update(f"{len(rows)}|{stale_allowance(self)}".encode())
        return digest.hexdigest()[:16]

    @classmethod
    def budgets(cls, budgets: dict[str, float], as_of: str = "2000-01-01") -> Past:
        """A past of first budgets only, all seen at as_of (for hand-made cases)."""
        first = _no_past().reindex(pd.Index(list(budgets), name="project_id"))
        first["seen"] = first["budget_as_of"] = pd.Timestamp(as_of)
        first["budget"] = pd.Series(budgets, dtype="float64")
        return cls(first)


def _no_past() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "seen": pd.Series(dtype="datetime64[us]"),
            "budget": pd.Series(dtype="float64"),
            "budget_as_of": pd.Series(dtype="datetime64[us]"),
            "finish": pd.Series(dtype="datetime64[us]"),
            "finish_as_of": pd.Series(dtype="datetime64[us]"),
        },
        index=pd.Index([], name="project_id", dtype="str"),
    )


def _earlier(p: pd.DataFrame, past: Past, value: str, as_of: pd.Timestamp) -> pd.Series:
    """Per project, its first `value` (budget or finish) when an earlier snapshot gave it; blank
    for a project first seen now: a change-based rule has nothing to compare it with."""
    first = past.first
    given = first[value].where(first[f"{value}_as_of"] < as_of)
    return p["project_id"].map(given)


def _share(column: pd.Series) -> float:
    """The share of rows with a value (1.0 for no rows: nothing is missing)."""
    return float(column.notna().mean()) if len(column) else 1.0


def measures(
    now: Snapshot,
    eac_formula: str = "BAC/CPI",
    past: Past | None = None,
    min_rated_pct: float = 10,
) -> pd.DataFrame:
    """The numbers behind the rules, per active project. Where the scope's data has (nearly) no
    baseline finish, the forecast finish of the project's first snapshot serves as its baseline
    (slip_basis says which); where it cannot rate cost on EAC and CPI (no financials, or no
    percent complete), cost is derived from the budget at completion's change since the
    project's first snapshot. A project first seen now has no change to rate (blank)."""
    as_of = now.as_of
    past = past or Past(_no_past())
    enough = min_rated_pct / 100
    p = now["projects"]
    p = p[p["status"] == "Active"].copy()
    p["slip_days"] = (p["forecast_finish"] - p["baseline_finish"]).dt.days.astype("float64")
    p["slip_basis"] = "baseline"
    if _share(p["baseline_finish"]) < enough and len(p):
        first_finish = _earlier(p, past, "finish", as_of)
        p["slip_days"] = (p["forecast_finish"] - first_finish).dt.days.astype("float64")
        p["slip_basis"] = "first snapshot"
    m = now["milestones"]
    overdue = m[(m["forecast_date"].fillna(m["baseline_date"]) < as_of) & m["actual_date"].isna()]
    has_milestones = among(p["project_id"], m["project_id"].unique())
    p["overdue_milestones"] = (
        p["project_id"]
        .map(overdue.groupby("project_id").size())
        .fillna(0)
        .where(has_milestones)
        .astype("float64")
    )
    ev = ev_of_months(p, months_of(now), as_of, eac_formula).set_index("project_id")
    for column in ("spi", "cpi", "eac"):
        p[column] = p["project_id"].map(ev[column]).astype("float64")
    p.loc[p["percent_complete"].isna().to_numpy(), ["spi", "cpi", "eac"]] = (
        np.nan
    )  # no progress, no earned value
    bac, eac = p["budget_at_completion"].astype("float64"), p["eac"]
    p["vac_pct"] = (100 * (bac - eac) / bac.where(bac > 0)).astype("float64")
    r = now["risks"]
    open_ = r[r["status"] != "Closed"]
    high = open_[(open_["kind"] == "Risk") & (open_["probability"] * open_["impact"] >= HIGH_RISK)]
    late = open_[(open_["kind"] == "Issue") & (open_["due_date"] < as_of)]
    has_register = among(p["project_id"], r["project_id"].unique())
    p["open_high_risks"] = (
        p["project_id"]
        .map(high.groupby("project_id").size())
        .fillna(0)
        .where(has_register)
        .astype("float64")
    )
    p["overdue_issues"] = (
        p["project_id"]
        .map(late.groupby("project_id").size())
        .fillna(0)
        .where(has_register)
        .astype("float64")
    )
    missing = gate_artifacts(now)
    missing = missing[missing["status"] == "Missing"]
    p["missing_artifacts"] = (
        p["project_id"].map(missing.groupby("project_id").size()).fillna(0).astype("float64")
    )
    p["gate_checked"] = 1.0 if len(now["artifacts"]) else np.nan  # no artifacts: nothing checked
    p["status_age_days"] = (as_of - p["last_status_update"]).dt.days.astype("float64")
    p["missing_baseline"] = p["baseline_start"].isna() | p["baseline_finish"].isna()
    if baseline_start_absent(now):  # the data carries no baseline start: judge the finish
        p["missing_baseline"] = p["baseline_finish"].isna()
    p["budget_growth_pct"] = np.nan
    if len(p) and _share(p["vac_pct"]) < enough and _share(p["cpi"]) < enough:
        first = _earlier(p, past, "budget", as_of).astype("float64")
        p["budget_growth_pct"] = (100 * (bac - first) / first.where(first > 0)).astype("float64")
    return p.reset_index(drop=True)


def baseline_start_absent(now: Snapshot) -> bool:
    projects = now["projects"]
    return bool(len(projects)) and projects["baseline_start"].isna().all()


def assessed_dimensions(now: Snapshot) -> list[str]:
    """The dimensions the overall RAG takes: risk only when the data has a risk register."""
    return [d for d in DIMENSIONS if not (d == "risk" and now["risks"].empty)]


def stale_allowance(past: Past | None) -> int:
    """Days added to the staleness thresholds when snapshots come less often than monthly: a
    yearly extract is not stale because it is yearly."""
    if past is None or past.cadence_days is None:
        return 0
    return max(0, round(past.cadence_days) - MONTHLY_DAYS)


def not_rated(assessed: pd.DataFrame) -> list[Rule]:
    """The rules the scope's data cannot support (not rated for any project)."""
    if assessed.empty:
        return []
    return [r for r in RULES if assessed[f"rag_{r.key}"].eq(NOT_RATED).all()]


def derivations(
    now: Snapshot, assessed: pd.DataFrame, past: Past | None = None, min_rated_pct: float = 10
) -> list[str]:
    """What the assessment derived or left out because the data lacks a table or a column."""
    notes = []
    if now["risks"].empty:
        notes.append(
            "There is no risk register in this data, so the overall RAG is taken from schedule,"
            " cost and governance only; add a risks file to rate risk."
        )
    derived_cost = len(assessed) and assessed["rag_budget_growth"].ne(NOT_RATED).any()
    if derived_cost:
        why = "no financials" if months_of(now).empty else "no percent complete"
        notes.append(
            f"This data has {why}, so cost is derived from how far each project's budget at"
            " completion has moved since the first snapshot that gave it (a project first seen in"
            " this snapshot has no change to rate yet); add monthly plan, forecast and actual and"
            " percent complete to rate cost on EAC and CPI."
        )
    derived_slip = len(assessed) and (assessed["slip_basis"] == "first snapshot").all()
    if derived_slip and assessed["slip_days"].notna().any():  # some project has a past
        notes.append(
            "This data has (nearly) no baseline finish, so each project's forecast finish in the"
            " first snapshot it appears in serves as its baseline for the finish slip (a project"
            " first seen in this snapshot has no slip to rate yet)."
        )
    if baseline_start_absent(now) and not (
        len(assessed) and assessed["rag_baseline"].eq(NOT_RATED).all()
    ):
        notes.append(
            "The data carries no baseline start, so the baseline rule checks the baseline finish"
            " only."
        )
    if allowance := stale_allowance(past):
        notes.append(
            f"Snapshots come about every {past.cadence_days:.0f} days, so a status update counts as"
            f" stale {allowance} days later than the thresholds below say."
        )
    skipped = [
        r for r in not_rated(assessed) if r.key != "budget_growth" or _ev_cost_gone(assessed)
    ]
    if skipped:
        shown = "; ".join(f"{r.label} (needs {r.needs})" for r in skipped)
        notes.append(
            f"Not rated for this data — fewer than {min_rated_pct:g} % of the active projects have"
            f" what these rules read, so they do not colour the overall RAG: {shown}."
        )
    return notes


def _ev_cost_gone(assessed: pd.DataFrame) -> bool:
    return bool(assessed["rag_vac"].eq(NOT_RATED).all() and assessed["rag_cpi"].eq(NOT_RATED).all())


@same_arguments(size=4)
def assess(
    now: Snapshot,
    params: HealthParams,
    eac_formula: str = "BAC/CPI",
    past: Past | None = None,
) -> pd.DataFrame:
    """Every active project with its measures, a RAG per rule (rag_<rule>), per dimension and
    overall, the reasons in words, and whether the reported RAG is better than the computed one
    (rate's frame and the reasons)."""
    p = rate(now, params, eac_formula, past)
    rags = [f"rag_{r.key}" for r in RULES]
    # only a project with an amber or red rule has reasons (a row dict each: 15,000 at 100x)
    hit = p[rags].isin((AMBER, RED)).any(axis=1) if len(p) else pd.Series(dtype=bool)
    words = pd.Series("", index=p.index, dtype="str")
    if hit.any():
        fired = p.loc[hit, rags + sorted({r.measure for r in RULES})]
        words.loc[hit] = [reasons(row) for row in fired.to_dict("records")]
    p.insert(p.columns.get_loc("reported_better"), "reasons", words)
    return p


@same_arguments(size=4)
def rate(
    now: Snapshot,
    params: HealthParams,
    eac_formula: str = "BAC/CPI",
    past: Past | None = None,
) -> pd.DataFrame:
    """assess without the reasons in words, which a count of RAGs does not need (the summary
    rates three snapshots and every portfolio; at 100x the words took 0.1 s a time). A rule
    whose input is blank for (nearly) every active project in scope is "Not rated" and does
    not colour its dimension; a project without data where its peers have it stays "No data",
    which the overall ranks above Green."""
    p = measures(now, eac_formula, past, params.min_rated_pct)
    if allowance := stale_allowance(past):
        params = params.model_copy(
            update={
                "stale_update_amber_days": params.stale_update_amber_days + allowance,
                "stale_update_red_days": params.stale_update_red_days + allowance,
            }
        )
    enough = params.min_rated_pct / 100
    for rule in RULES:
        column = p[rule.has_data or rule.measure] if len(p) else pd.Series(dtype="float64")
        if rule.key == "baseline" and len(p) and (p["slip_basis"] == "first snapshot").all():
            rated = False  # the data has no baselines to check
        else:
            rated = _share(column) >= enough and not (len(p) and column.isna().all())
        if not len(p):
            p[f"rag_{rule.key}"] = pd.Series(dtype="str")
        elif rated:
            p[f"rag_{rule.key}"] = rule.rag(p[rule.measure], params).to_numpy()
        else:
            p[f"rag_{rule.key}"] = NOT_RATED
    for dimension in DIMENSIONS:
        columns = [f"rag_{r.key}" for r in RULES if r.dimension == dimension]
        p[dimension] = worst(p[columns]) if len(p) else pd.Series(dtype="str")
    p["overall"] = overall(p[assessed_dimensions(now)]) if len(p) else pd.Series(dtype="str")
    rank = p["reported_rag"].map(REPORTED_RANK)
    computed = p["overall"].map(REPORTED_RANK)
    p["reported_better"] = (rank < computed).fillna(False).astype(bool)
    return p


def _fmt(rule: Rule, value: object) -> str:
    if value is None or (not isinstance(value, bool) and pd.isna(value)):
        return "no data"
    if rule.measure in ("spi", "cpi"):
        return f"{float(value):.2f}"
    if rule.measure in ("vac_pct", "budget_growth_pct"):
        return f"{float(value):+.1f} %"
    if rule.measure == "missing_baseline":
        return "missing" if value else "set"
    return f"{float(value):.0f}"


def reasons(row: Mapping) -> str:
    """The rules that fired (amber or red) in words, worst first: 'Finish slip 62 days (red)'."""
    fired = [
        (row[f"rag_{r.key}"], r, row[r.measure])
        for r in RULES
        if row[f"rag_{r.key}"] in (AMBER, RED)
    ]
    fired.sort(key=lambda item: -SEVERITY[item[0]])
    unit = {"slip_days": " days", "status_age_days": " days since update"}
    return "; ".join(
        f"{r.label} {_fmt(r, v)}{unit.get(r.measure, '')} ({rag.lower()})" for rag, r, v in fired
    )


def rules_table(params: HealthParams) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dimension": [r.dimension.capitalize() for r in RULES],
            "rule": [r.label for r in RULES],
            "thresholds": [r.describe(params) for r in RULES],
        }
    )


def counts(assessed: pd.DataFrame) -> dict[str, int]:
    values = assessed["overall"].value_counts() if len(assessed) else pd.Series(dtype=int)
    return {rag: int(values.get(rag, 0)) for rag in RAGS}


def summary(assessed: pd.DataFrame, by: str) -> pd.DataFrame:
    """Projects per computed overall RAG, by sub-portfolio or program: grouped on the full
    hierarchy key (a name repeated under two portfolios is two rows), with a `label` that names
    the parent where the bare name would be ambiguous."""
    columns = [*hierarchy.key(by), "label", *RAGS, "projects"]
    if assessed.empty:
        return pd.DataFrame(columns=columns)
    keyed = hierarchy.named(assessed, by).assign(label=hierarchy.labels(assessed, by))
    table = keyed.pivot_table(
        index=[*hierarchy.key(by), "label"],
        columns="overall",
        values="project_id",
        aggfunc="count",
        fill_value=0,
    )
    table = table.reindex(columns=RAGS, fill_value=0)
    table["projects"] = table.sum(axis=1)
    return table.reset_index().rename_axis(columns=None)[columns]


def trend(snapshots: list[tuple[Snapshot, pd.DataFrame]]) -> pd.DataFrame:
    """Counts of computed RAG per snapshot: [(snapshot, its assessment), ...] oldest first."""
    return pd.DataFrame([{"as_of": s.as_of, **counts(a)} for s, a in snapshots])


def changed(now: pd.DataFrame, before: pd.DataFrame | None) -> pd.DataFrame:
    """Projects whose computed overall RAG changed since the previous snapshot."""
    if before is None:
        return pd.DataFrame(columns=["project_id", "project_name", "project_manager", "was", "now"])
    merged = now.merge(
        before[["project_id", "overall"]], on="project_id", how="left", suffixes=("", "_before")
    )
    moved = merged[
        merged["overall_before"].notna() & (merged["overall"] != merged["overall_before"])
    ]
    out = moved.rename(columns={"overall_before": "was", "overall": "now"})[
        ["project_id", "project_name", "project_manager", "was", "now"]
    ]
    return hierarchy.sort_naturally(out, "project_id").reset_index(drop=True)


# -- schedule ---------------------------------------------------------------------------------
def milestone_status(now: Snapshot) -> pd.DataFrame:
    """Every milestone of the snapshot's projects with its slip (forecast or actual − baseline)
    and whether it is late (after baseline) or overdue (forecast passed, no actual)."""
    m = now["milestones"].merge(
        now["projects"][["project_id", "project_name", "project_manager", "status"]],
        on="project_id",
    )
    expected = m["actual_date"].fillna(m["forecast_date"]).fillna(m["baseline_date"])
    m["slip_days"] = (expected - m["baseline_date"]).dt.days.astype("float64")
    m["late"] = (m["slip_days"] > 0).fillna(False)
    m["overdue"] = (m["forecast_date"].fillna(m["baseline_date"]) < now.as_of) & m[
        "actual_date"
    ].isna()
    return m


def due_soon(milestones: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Open milestones due in the next 30, 60 and 90 days (by forecast date, else baseline)."""
    due = milestones["forecast_date"].fillna(milestones["baseline_date"])
    days = (due - as_of).dt.days
    open_ = milestones["actual_date"].isna() & (days >= 0) & (days <= 90)
    out = milestones[open_].assign(due_date=due[open_], days_to_due=days[open_].astype(int))
    out["window"] = np.select(
        [out["days_to_due"] <= 30, out["days_to_due"] <= 60],
        ["next 30 days", "31–60 days"],
        "61–90 days",
    )
    return hierarchy.sort_naturally(out, ["due_date", "project_id"]).reset_index(drop=True)


# -- risks and issues -------------------------------------------------------------------------
def risk_register(now: Snapshot) -> pd.DataFrame:
    r = now["risks"].merge(
        now["projects"][["project_id", "project_name"]], on="project_id", how="left"
    )
    r["score"] = (r["probability"] * r["impact"]).astype("Float64")
    score = r["score"].astype("float64").fillna(0)  # blank: "Not scored", set below
    r["band"] = np.select([score >= HIGH_RISK, score >= 8], ["High", "Medium"], "Low")
    r.loc[r["score"].isna(), "band"] = "Not scored"
    r["age_days"] = (now.as_of - r["raised_date"]).dt.days.astype("Float64")
    r["days_past_due"] = (
        (now.as_of - r["due_date"]).dt.days.astype("Float64").where(r["status"] != "Closed")
    )
    return r


def heat_map(register: pd.DataFrame) -> pd.DataFrame:
    """Open risks counted by probability (rows 5..1) and impact (columns 1..5)."""
    open_ = register[(register["kind"] == "Risk") & (register["status"] != "Closed")].dropna(
        subset=["probability", "impact"]
    )
    grid = pd.crosstab(open_["probability"].astype(int), open_["impact"].astype(int))
    return grid.reindex(index=[5, 4, 3, 2, 1], columns=[1, 2, 3, 4, 5], fill_value=0)


def opened_closed(register: pd.DataFrame, as_of: pd.Timestamp, months: int = 12) -> pd.DataFrame:
    months_index = pd.date_range(end=as_of.to_period("M").to_timestamp(), periods=months, freq="MS")
    opened = register["raised_date"].dropna().dt.to_period("M").dt.to_timestamp().value_counts()
    closed = register["closed_date"].dropna().dt.to_period("M").dt.to_timestamp().value_counts()
    return pd.DataFrame(
        {
            "month": months_index,
            "opened": opened.reindex(months_index, fill_value=0).to_numpy(),
            "closed": closed.reindex(months_index, fill_value=0).to_numpy(),
        }
    )


# -- gate reviews -----------------------------------------------------------------------------
def gate_artifacts(now: Snapshot) -> pd.DataFrame:
    """Artifacts of the gates each project has passed (gate milestone with an actual date)."""
    m = now["milestones"]
    passed = m[m["is_gate"].fillna(False) & (m["actual_date"] <= now.as_of).fillna(False)]
    return now["artifacts"].merge(
        passed[["project_id", "milestone", "actual_date"]],
        left_on=["project_id", "gate"],
        right_on=["project_id", "milestone"],
    )


def gate_summary(artifacts: pd.DataFrame) -> pd.DataFrame:
    """Per gate passed: artifacts approved, submitted and missing, and projects with any missing."""
    if artifacts.empty:
        return pd.DataFrame(
            columns=["gate", "Approved", "Submitted", "Missing", "projects_with_missing"]
        )
    table = artifacts.pivot_table(
        index="gate", columns="status", values="artifact", aggfunc="count", fill_value=0
    )
    table = table.reindex(columns=["Approved", "Submitted", "Missing"], fill_value=0)
    missing = artifacts[artifacts["status"] == "Missing"].groupby("gate")["project_id"].nunique()
    table["projects_with_missing"] = missing.reindex(table.index, fill_value=0)
    return table.reset_index().rename_axis(columns=None)


def passed_with_missing(artifacts: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    missing = artifacts[artifacts["status"] != "Approved"]
    if missing.empty:
        return pd.DataFrame(
            columns=[
                "project_id",
                "project_name",
                "project_manager",
                "gate",
                "passed",
                "not_approved",
            ]
        )
    grouped = missing.groupby(["project_id", "gate"]).agg(
        passed=("actual_date", "first"), not_approved=("artifact", lambda a: ", ".join(sorted(a)))
    )
    out = grouped.reset_index().merge(
        projects[["project_id", "project_name", "project_manager"]], on="project_id"
    )
    return hierarchy.sort_naturally(
        out, ["passed", "project_id"], ascending=[False, True]
    ).reset_index(drop=True)


# -- watch list -------------------------------------------------------------------------------
def watch_list(assessed: pd.DataFrame, size: int) -> pd.DataFrame:
    """The projects to discuss: computed red, or reported better than computed, then amber;
    most rules fired first. The reason is the rules that fired, in words."""
    if assessed.empty:
        return assessed.assign(why=pd.Series(dtype="str"))
    fired = assessed[[f"rag_{r.key}" for r in RULES]].isin([AMBER, RED]).sum(axis=1)
    red = assessed[[f"rag_{r.key}" for r in RULES]].eq(RED).sum(axis=1)
    candidates = assessed.assign(fired=fired, reds=red, severity=assessed["overall"].map(SEVERITY))
    candidates = candidates[
        (candidates["overall"].isin([RED, AMBER])) | candidates["reported_better"]
    ]
    candidates = candidates.sort_values(
        ["reported_better", "severity", "reds", "fired", "project_id"],
        ascending=[False, False, False, False, True],
    )
    why = candidates["reasons"].where(
        ~candidates["reported_better"],
        "Reported "
        + candidates["reported_rag"].fillna("").str.lower()
        + ", computed "
        + candidates["overall"].str.lower()
        + ". "
        + candidates["reasons"],
    )
    return candidates.assign(why=why).head(size).reset_index(drop=True)


# -- the managers' words (status_reports) --------------------------------------------------
WORDS_SHOWN = 160  # characters of a manager's words in the matrix and the watch list
WORDS = ["rag_reason", "accomplishments", "next_steps", "decisions_needed"]


def latest_words(reports: pd.DataFrame) -> pd.DataFrame:
    """Each project's latest status report (one row per project_id)."""
    latest = reports.sort_values(["project_id", "report_date"], kind="stable")
    return latest.drop_duplicates("project_id", keep="last").reset_index(drop=True)


def with_words(frame: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """frame (per project) with the manager's latest words: manager_says (the reason given for
    the reported RAG, else the accomplishments; cut to WORDS_SHOWN characters) and words_date."""
    latest = latest_words(reports).set_index("project_id")
    said = latest["rag_reason"].astype(object).fillna(latest["accomplishments"])
    said = said.map(
        lambda t: (
            t if not isinstance(t, str) or len(t) <= WORDS_SHOWN else t[: WORDS_SHOWN - 1] + "…"
        )
    )
    return frame.assign(
        manager_says=frame["project_id"].map(said).astype("str"),
        words_date=frame["project_id"].map(latest["report_date"]).astype("datetime64[us]"),
    )


def disagreements(assessed: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Active projects whose manager's reported RAG and the computed one are two colours apart
    (reported green, computed red, or the other way), with the manager's latest words: reported
    better than computed first."""
    gap = assessed["overall"].map(REPORTED_RANK) - assessed["reported_rag"].map(REPORTED_RANK)
    apart = assessed[gap.abs() == 2].assign(better=gap[gap.abs() == 2] > 0)
    latest = latest_words(reports).set_index("project_id")
    for column in [*WORDS, "report_date"]:
        apart[column] = apart["project_id"].map(latest[column])
    apart = hierarchy.sort_naturally(apart, ["better", "project_id"], [False, True])
    columns = ["project_id", "project_name", "reported_rag", "overall", *WORDS, "report_date"]
    return apart[columns].reset_index(drop=True)


def headlines(
    assessed: pd.DataFrame, register: pd.DataFrame, milestones: pd.DataFrame
) -> dict[str, int | None]:
    c = counts(assessed)
    active = set(assessed["project_id"])
    open_high = register[
        (register["kind"] == "Risk")
        & (register["status"] != "Closed")
        & (register["score"] >= HIGH_RISK)
    ]
    overdue = milestones[milestones["overdue"] & among(milestones["project_id"], active)]
    return {
        "active_projects": len(assessed),
        "rag_green": c[GREEN],
        "rag_amber": c[AMBER],
        "rag_red": c[RED],
        "rag_no_data": c[NO_DATA],
        "reported_better_than_computed": int(assessed["reported_better"].sum()),
        # no register or no milestones at all: no figure, not a reassuring zero
        "open_high_risks": len(open_high) if len(register) else None,
        "overdue_milestones": len(overdue) if len(milestones) else None,
    }


@dataclass(frozen=True)
class HealthView:
    assessed: pd.DataFrame
    previous: pd.DataFrame | None
    by_sub_portfolio: pd.DataFrame
    by_program: pd.DataFrame
    trend: pd.DataFrame
    changed: pd.DataFrame
    milestones: pd.DataFrame
    due: pd.DataFrame
    register: pd.DataFrame
    heat: pd.DataFrame
    risk_flow: pd.DataFrame
    gates: pd.DataFrame
    gate_gaps: pd.DataFrame
    watch: pd.DataFrame
    headlines: dict
    derived: list[str]  # what was derived or left out for lack of data, in sentences
    landing: forecast.Forecast  # where active projects will land (P50, P80)
    calibration: pd.DataFrame  # how often earlier P80 finish dates held
    milestone_odds: pd.DataFrame  # the chance each milestone due soon is met
    raid: raid.Raid  # decisions, actions and change requests
    dependencies: pd.DataFrame  # dependencies.links: every dependency, worst first
    contention: pd.DataFrame  # the late ones, with the projects a slip would hit


def analyse(
    now: Snapshot,
    before: Snapshot | None,
    history: list[Snapshot],
    params: HealthParams,
    eac_formula: str = "BAC/CPI",
    elsewhere: pd.DataFrame | None = None,
) -> HealthView:
    """Everything the health report shows; history = every snapshot up to now, oldest first;
    elsewhere = the ends of the scope's dependencies outside it (store.dependency_ends)."""
    past = Past.of(history)
    assessed = assess(now, params, eac_formula, past)
    previous = rate(before, params, eac_formula, past) if before is not None else None
    trail = [
        (
            s,
            assessed
            if s.as_of == now.as_of
            else (
                previous
                if before is not None and s.as_of == before.as_of
                else rate(s, params, eac_formula, past)
            ),
        )
        for s in history
    ]
    milestones = milestone_status(now)
    register = risk_register(now)
    artifacts = gate_artifacts(now)
    landing = forecast.forecast(now, history)
    log = raid_of(now)
    links = dependency_links(now, elsewhere)
    return HealthView(
        assessed=assessed,
        previous=previous,
        by_sub_portfolio=summary(assessed, "sub_portfolio"),
        by_program=summary(assessed, "program"),
        trend=trend(trail),
        changed=changed(assessed, previous),
        milestones=milestones,
        due=due_soon(milestones[milestones["status"] == "Active"], now.as_of),
        register=register,
        heat=heat_map(register),
        risk_flow=opened_closed(register, now.as_of),
        gates=gate_summary(artifacts),
        gate_gaps=passed_with_missing(artifacts, now["projects"]),
        watch=watch_list(assessed, params.watch_list_size),
        headlines={
            **headlines(assessed, register, milestones),
            "p80_overrun_projects": forecast.overruns(landing),
            **raid.headlines(log),
            **dependencies.headlines(links, not now["dependencies"].empty),
        },
        derived=derivations(now, assessed, past, params.min_rated_pct),
        landing=landing,
        calibration=forecast.calibration(history),
        milestone_odds=forecast.milestone_odds(landing, milestones, now.as_of),
        raid=log,
        dependencies=links,
        contention=dependencies.contention(links),
    )


def dependency_links(now: Snapshot, elsewhere: pd.DataFrame | None) -> pd.DataFrame:
    """dependencies.links of the snapshot, with the far ends outside it (elsewhere)."""
    ends = dependencies.local_ends(now["projects"], now["milestones"])
    if elsewhere is not None and len(elsewhere):
        ends = pd.concat([ends, elsewhere[dependencies.END_COLUMNS]], ignore_index=True)
    return dependencies.links(now["dependencies"], ends)


def raid_of(now: Snapshot) -> raid.Raid:
    """The snapshot's decisions, actions and changes (approved changes against the cost at
    completion the forecasts use)."""
    changes = now["change_requests"]
    cost = forecast.cost_at_completion(now) if len(changes) else pd.Series(dtype="float64")
    return raid.analyse(now, cost)


def top_risks(register: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    open_ = register[(register["kind"] == "Risk") & (register["status"] != "Closed")]
    return (
        open_.sort_values(["score", "raised_date"], ascending=[False, True])
        .head(top)
        .reset_index(drop=True)
    )


def open_issues(register: pd.DataFrame) -> pd.DataFrame:
    """Open issues, the most overdue first, then the oldest."""
    issues = register[(register["kind"] == "Issue") & (register["status"] != "Closed")]
    return issues.sort_values(
        ["days_past_due", "age_days"], ascending=False, na_position="last"
    ).reset_index(drop=True)


def late_milestones(milestones: pd.DataFrame) -> pd.DataFrame:
    """Milestones of active projects that slipped or are overdue, largest slip first."""
    late = milestones[
        (milestones["status"] == "Active") & (milestones["late"] | milestones["overdue"])
    ]
    late = late.sort_values(["overdue", "slip_days"], ascending=False).reset_index(drop=True)
    return late.assign(overdue_text=np.where(late["overdue"], "overdue", ""))


def matrix(assessed: pd.DataFrame) -> pd.DataFrame:
    """The health matrix: worst computed RAG first, then by project."""
    order = assessed["overall"].map(SEVERITY)
    ordered = hierarchy.sort_naturally(
        assessed.assign(_order=order), ["_order", "project_id"], ascending=[False, True]
    )
    return ordered.drop(columns="_order").reset_index(drop=True)


ROADMAP_MOST = 60  # projects drawn at most; past that, the largest budgets


@dataclass(frozen=True)
class Roadmap:
    bars: pd.DataFrame  # lane, project_id, project_name, start, finish, baseline_finish, overall,
    # p80_finish
    milestones: pd.DataFrame  # project_id, milestone, date, is_gate: open, within the bars' span
    undrawn: int  # active projects without a start or a finish date
    cut: int  # projects left out past ROADMAP_MOST


def roadmap(
    assessed: pd.DataFrame,
    milestones: pd.DataFrame,
    most: int = ROADMAP_MOST,
    p80_finish: pd.Series | None = None,
) -> Roadmap:
    """The active projects as bars from baseline start to forecast finish (the baseline finish
    when there is no forecast), with their baseline finish, computed RAG, P80 finish (per
    project_id, from forecast.forecast; blank without one) and open milestones (forecast date,
    else baseline), in swimlanes by sub-portfolio. Projects without a start or a finish are
    counted, not drawn; past `most` projects, those with the largest budgets."""
    if p80_finish is None:
        p80_finish = pd.Series(dtype="datetime64[ns]")
    p80_finish = p80_finish[~p80_finish.index.duplicated()]
    frame = assessed.assign(
        finish=assessed["forecast_finish"].fillna(assessed["baseline_finish"]),
        lane=assessed["sub_portfolio"].fillna("(no sub-portfolio)"),
        p80_finish=p80_finish.reindex(assessed["project_id"]).to_numpy(),
    )
    dated = frame.dropna(subset=["baseline_start", "finish"])
    undrawn = len(frame) - len(dated)
    cut = max(len(dated) - most, 0)
    if cut:
        dated = dated.sort_values(
            ["budget_at_completion", "project_id"], ascending=[False, True], na_position="last"
        ).head(most)
    bars = dated.rename(columns={"baseline_start": "start"})[
        [
            "lane",
            "project_id",
            "project_name",
            "start",
            "finish",
            "baseline_finish",
            "overall",
            "p80_finish",
        ]
    ]
    bars = hierarchy.sort_naturally(bars, ["lane", "start", "project_id"]).reset_index(drop=True)
    marks = milestones[
        among(milestones["project_id"], bars["project_id"].unique())
        & milestones["actual_date"].isna()
    ]
    marks = marks.assign(date=marks["forecast_date"].fillna(marks["baseline_date"])).dropna(
        subset=["date"]
    )
    return Roadmap(
        bars,
        marks[["project_id", "milestone", "date", "is_gate"]].reset_index(drop=True),
        undrawn,
        cut,
    )
