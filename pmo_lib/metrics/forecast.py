"""Where projects will land: reference-class forecasts from the store's own snapshots.

The track record is how projects' forecast finish and cost at completion moved between
consecutive snapshots: per project and pair of snapshots, the days of slip per day elapsed
(slip rate) and the growth of its cost at completion per day elapsed (growth rate, a share of
that cost; cost at completion = actuals booked in closed months + forecasts of the others, over
the project's life, as the spend report counts the Outlook; the budget where there are no
financials). An active project's P50 and P80 finish are its forecast finish plus the 50th and
80th percentile slip rate of comparable projects times its days to go; its P50 and P80 final
cost, its cost at completion now grown by the percentiles of the growth rate over the same days.
Comparable = same life-cycle stage, budget band (a third of the scope's budgets) and portfolio;
with fewer than MIN_CLASS movements, the class widens to stage and band, then stage, then every
project, and the page says which was used. A Monte Carlo (DRAWS seeded draws, vectorised) rolls
the growth up to the fiscal year's Outlook range. With one snapshot there is no track record:
every forecast is blank and said so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmo_lib.data import Snapshot, among
from pmo_lib.memo import same_arguments

MIN_CLASS = 10  # movements a class needs before it is used
DRAWS = 5_000  # Monte Carlo draws
SEED = 20_261  # the draws' seed unless the params give one: same store and seed, same figures
LEVELS = (  # from the narrowest class to the widest
    ("lifecycle_stage", "band", "portfolio"),
    ("lifecycle_stage", "band"),
    ("lifecycle_stage",),
    (),
)
BANDS = ("lower third by budget", "middle third by budget", "upper third by budget")
NO_BAND = "no budget"
HORIZON_DAYS = 90  # key milestones due within this many days get a probability


def _bands(budget: pd.Series, edges: tuple[float, float] | None) -> pd.Series:
    """Each budget's third of the scope's budgets; blank budgets are NO_BAND."""
    out = pd.Series(NO_BAND, index=budget.index, dtype="str")
    if edges is None:
        return out
    value = budget.astype("float64")
    out[value.notna()] = BANDS[1]
    out[value <= edges[0]] = BANDS[0]
    out[value > edges[1]] = BANDS[2]
    return out


def _edges(budget: pd.Series) -> tuple[float, float] | None:
    value = budget.astype("float64").dropna()
    if value.empty:
        return None
    return float(value.quantile(1 / 3)), float(value.quantile(2 / 3))


@same_arguments(size=4)  # the back-test asks again for the same snapshots
def cost_at_completion(snapshot: Snapshot) -> pd.Series:
    """Per project_id: actuals of closed months + forecasts of the others over its whole life
    (the Outlook's rule, every year at once); the budget at completion where it has no financial
    row."""
    from pmo_lib.metrics.spend import fy_of_months, months_of

    projects, months = snapshot["projects"], months_of(snapshot)
    budget = projects.drop_duplicates("project_id").set_index("project_id")["budget_at_completion"]
    budget = budget.astype("float64")
    if months.empty:
        return budget
    cost = fy_of_months(months, snapshot.as_of, None).set_index("project_id")["fy_outlook"]
    return cost.astype("float64").reindex(budget.index.union(cost.index)).fillna(budget)


def movements(history: list[Snapshot]) -> pd.DataFrame:
    """Per project active at the earlier of two consecutive snapshots and present at the later:
    its class attributes then (stage, budget, portfolio), the days between, the slip rate
    (forecast finish moved ÷ days) and the growth rate (cost at completion moved ÷ that cost ÷
    days); blank where the data has no forecast finish or cost on either side.

    In a batch run, a pair of snapshots with keys (Snapshot.key: their rows' prints) has its
    movements kept for the next run: a month's run then reads no earlier snapshot's financials
    (at 100x, 1 million rows each)."""
    from pmo_lib import kept

    columns = ["project_id", "lifecycle_stage", "portfolio", "budget", "as_of", "slip_rate"]
    costs = [functools.cache(functools.partial(cost_at_completion, s)) for s in history]
    pairs = []
    for i, (earlier, later) in enumerate(zip(history, history[1:], strict=False)):
        compute = functools.partial(_pair, earlier, later, costs[i], costs[i + 1])
        if earlier.key is None or later.key is None:
            moved = compute()
        else:
            parts = ("movements", earlier.key, later.key)
            moved = _from_plain(kept.value(parts, functools.partial(_plain, compute)), earlier)
        if moved is not None:
            pairs.append(moved)
    if not pairs:
        return pd.DataFrame(columns=[*columns, "growth_rate"]).astype(
            {"budget": "float64", "slip_rate": "float64", "growth_rate": "float64"}
        )
    return pd.concat(pairs, ignore_index=True)


def _pair(
    earlier: Snapshot, later: Snapshot, cost_then: Callable, cost_later: Callable
) -> pd.DataFrame | None:
    """movements' rows of two consecutive snapshots (None: no project in both, or no days
    between); cost_then(), cost_later(): their costs at completion."""
    a, b = earlier["projects"], later["projects"]
    a = a[a["status"] == "Active"]
    both = a.merge(
        b[["project_id", "forecast_finish", "budget_at_completion"]],
        on="project_id",
        suffixes=("", "_later"),
    )
    days = (later.as_of - earlier.as_of).days
    if both.empty or days <= 0:
        return None
    moved = (both["forecast_finish_later"] - both["forecast_finish"]).dt.days
    budget = both["budget_at_completion"].astype("float64")
    cost = both["project_id"].map(cost_then()).astype("float64")
    growth = both["project_id"].map(cost_later()).astype("float64") / cost.where(cost > 0)
    return pd.DataFrame(
        {
            "project_id": both["project_id"],
            "lifecycle_stage": both["lifecycle_stage"].astype(object).fillna("(none)"),
            "portfolio": both["portfolio"].astype(object).fillna("(none)"),
            "budget": budget,
            "as_of": earlier.as_of,
            "slip_rate": moved.astype("float64") / days,
            "growth_rate": (growth - 1) / days,
        }
    )


_KEPT_COLUMNS = ("project_id", "lifecycle_stage", "portfolio", "budget", "slip_rate", "growth_rate")


def _plain(compute: Callable[[], pd.DataFrame | None]) -> dict:
    """A pair's movements (compute: _pair) as JSON keeps them exactly (floats by their
    shortest repr)."""
    moved = compute()
    if moved is None:
        return {"none": True}
    return {column: moved[column].tolist() for column in _KEPT_COLUMNS}


def _from_plain(kept: dict, earlier: Snapshot) -> pd.DataFrame | None:
    """_pair's frame again, column types and all, from _plain's."""
    if kept.get("none"):
        return None
    return pd.DataFrame(
        {
            "project_id": pd.Series(
                kept["project_id"], dtype=earlier["projects"]["project_id"].dtype
            ),
            "lifecycle_stage": pd.Series(kept["lifecycle_stage"], dtype=object),
            "portfolio": pd.Series(kept["portfolio"], dtype=object),
            "budget": pd.Series(kept["budget"], dtype="float64"),
            "as_of": earlier.as_of,
            "slip_rate": pd.Series(kept["slip_rate"], dtype="float64"),
            "growth_rate": pd.Series(kept["growth_rate"], dtype="float64"),
        }
    )


def classes(
    projects: pd.DataFrame, moves: pd.DataFrame, rate: str
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Per project (index aligned with projects): the class used for this rate (its words, the
    movements it holds) and its key; and per key the class's rates (for the draws). The
    narrowest class with MIN_CLASS movements wins; none with enough: blank."""
    known = moves.dropna(subset=[rate])
    edges = _edges(pd.concat([known["budget"], projects["budget_at_completion"]]))
    known = known.assign(band=_bands(known["budget"], edges))
    who = projects.assign(
        band=_bands(projects["budget_at_completion"], edges),
        lifecycle_stage=projects["lifecycle_stage"].astype(object).fillna("(none)"),
        portfolio=projects["portfolio"].astype(object).fillna("(none)"),
    )
    chosen = pd.DataFrame(
        {"class": pd.Series(pd.NA, index=who.index, dtype="str"), "class_size": 0, "key": ""},
        index=who.index,
    )
    rates: dict[str, np.ndarray] = {}
    for level in LEVELS:
        open_ = chosen["key"] == ""
        if not open_.any():
            break
        columns = list(level)
        if columns:
            sizes = known.groupby(columns, sort=False).size().rename("size").reset_index()
            found = who.loc[open_, columns].merge(sizes, on=columns, how="left")
            found.index = who.index[open_]
        else:
            found = pd.DataFrame({"size": len(known)}, index=who.index[open_])
        found = found[found["size"].fillna(0) >= MIN_CLASS]
        if found.empty:
            continue
        labels = _joined(found, columns, ", ") if columns else "all projects"
        keys = "|".join(columns) + "|" + (_joined(found, columns, "|") if columns else "")
        chosen.loc[found.index, "class"] = labels
        chosen.loc[found.index, "class_size"] = found["size"].astype(int)
        chosen.loc[found.index, "key"] = keys
        if not columns:
            rates[keys] = known[rate].to_numpy()
            continue
        pools = {
            (k if isinstance(k, tuple) else (k,)): g.to_numpy()
            for k, g in known.groupby(columns, sort=False)[rate]
        }
        for key, values in zip(
            keys, found[columns].itertuples(index=False, name=None), strict=True
        ):
            rates.setdefault(key, pools[values])
    return chosen, rates


def _joined(frame: pd.DataFrame, columns: list[str], sep: str) -> pd.Series:
    """Each row's values of these columns as text, joined by sep (column-wise: a row-wise agg
    calls Python once per row)."""
    text = [frame[c].astype(str) for c in columns]
    out = text[0]
    for more in text[1:]:
        out = out + sep + more
    return out


def _percentile(rates: dict[str, np.ndarray], keys: pd.Series, q: float) -> pd.Series:
    table = {k: float(np.quantile(v, q)) for k, v in rates.items()}
    return keys.map(table).astype("float64")


@dataclass(frozen=True)
class Forecast:
    projects: pd.DataFrame  # per active project: finish and cost, now, P50 and P80, classes
    moves: pd.DataFrame  # the track record (movements)
    snapshots: int  # how many snapshots the track record comes from
    slip_rates: dict[str, np.ndarray]
    growth_rates: dict[str, np.ndarray]

    @property
    def has_history(self) -> bool:
        return self.snapshots >= 2 and not self.moves.empty


def forecast(now: Snapshot, history: list[Snapshot]) -> Forecast:
    """Every active project's P50 and P80 finish and final cost (from its cost at completion
    now)."""
    history = [s for s in history if s.as_of <= now.as_of]
    moves = movements(history)
    active = now["projects"][now["projects"]["status"] == "Active"].reset_index(drop=True)
    out = active[
        ["project_id", "project_name", "portfolio", "lifecycle_stage", "baseline_finish"]
    ].copy()
    out["forecast_finish"] = active["forecast_finish"]
    out["budget"] = active["budget_at_completion"].astype("float64")
    out["cost_basis"] = out["project_id"].map(cost_at_completion(now)).astype("float64")
    to_go = (active["forecast_finish"] - now.as_of).dt.days.clip(lower=0).astype("float64")
    out["days_to_go"] = to_go
    slip, slip_rates = classes(active, moves, "slip_rate")
    growth, growth_rates = classes(active, moves, "growth_rate")
    out["schedule_class"], out["schedule_class_size"] = slip["class"], slip["class_size"]
    out["cost_class"], out["cost_class_size"] = growth["class"], growth["class_size"]
    out["slip_key"], out["growth_key"] = slip["key"], growth["key"]
    for q, name in ((0.5, "p50"), (0.8, "p80")):
        days = (_percentile(slip_rates, slip["key"], q) * to_go).round()
        out[f"{name}_finish"] = out["forecast_finish"] + pd.to_timedelta(days, unit="D")
        grown = 1 + _percentile(growth_rates, growth["key"], q) * to_go
        out[f"{name}_cost"] = out["cost_basis"] * grown
    return Forecast(out, moves, len(history), slip_rates, growth_rates)


def landing_table(result: Forecast) -> pd.DataFrame:
    """The projects as the page lists them: the schedule class with its movements ("Plan (16)"),
    the latest P80 finish against the forecast first."""
    p = result.projects
    shown = p.assign(
        schedule_class=p["schedule_class"] + " (" + p["schedule_class_size"].astype(str) + ")"
    )
    later = (p["p80_finish"] - p["forecast_finish"]).dt.days.fillna(-1)
    return shown.loc[later.sort_values(ascending=False, kind="stable").index].reset_index(drop=True)


def overruns(result: Forecast) -> int | None:
    """Active projects with a budget whose P80 final cost passes it (blank without a track
    record)."""
    if not result.has_history:
        return None
    p = result.projects
    return int(((p["budget"] > 0) & (p["p80_cost"] > p["budget"] + 0.005)).sum())


def outlook_range(
    result: Forecast,
    per_project: pd.DataFrame,
    fy_end: pd.Timestamp,
    as_of: pd.Timestamp,
    seed: int = SEED,
) -> dict | None:
    """The fiscal year's Outlook as DRAWS draws see it: each active project's remaining FY
    forecast (Outlook − YTD actual) grown by a growth rate drawn from its class, times the days
    from the as-of date to the FY end (or its finish, if sooner); everything else as it stands.
    P10, P50, P90 and the chance the total stays within the current Outlook and within the FY
    Plan; the same seed gives the same figures. None without a track record or FY figures."""
    if not result.has_history or per_project.empty:
        return None
    p = per_project[["project_id", "fy_outlook", "ytd_actual", "fy_plan"]].astype(
        {"fy_outlook": "float64", "ytd_actual": "float64", "fy_plan": "float64"}
    )
    outlook, plan = float(p["fy_outlook"].sum()), float(p["fy_plan"].sum())
    f = result.projects.set_index("project_id")
    remaining = (p["fy_outlook"] - p["ytd_actual"].fillna(0)).clip(lower=0).fillna(0)
    key = p["project_id"].map(f["growth_key"]).fillna("")
    to_fy_end = max((fy_end - as_of).days, 0)
    days = p["project_id"].map(f["days_to_go"]).clip(upper=to_fy_end).fillna(0)
    rng = np.random.default_rng(seed)
    totals = np.full(DRAWS, outlook)
    for k, rates in result.growth_rates.items():
        mine = (key == k).to_numpy()
        if not mine.any():
            continue
        drawn = rates[rng.integers(0, len(rates), size=(DRAWS, int(mine.sum())))]
        totals += (drawn * (remaining[mine] * days[mine]).to_numpy()).sum(axis=1)
    return {
        "p10": float(np.quantile(totals, 0.1)),
        "p50": float(np.quantile(totals, 0.5)),
        "p90": float(np.quantile(totals, 0.9)),
        "outlook": outlook,
        "plan": plan,
        "holds": float((totals <= outlook + 0.005).mean()),
        "within_plan": float((totals <= plan + 0.005).mean()) if plan else None,
        "drawn_projects": int(key.ne("").sum()),
        "seed": seed,
    }


def fy_outlook_range(
    now: Snapshot, landing: Forecast, start_month: int, seed: int = SEED
) -> dict | None:
    """outlook_range for the as-of date's fiscal year, from the snapshot's financials (None
    without financial rows)."""
    from pmo_lib.metrics.spend import fy_of_months, months_of
    from pmo_lib.periods import fiscal_year

    months = months_of(now)
    if months.empty:
        return None
    fy = fiscal_year(now.as_of, start_month)
    per_project = fy_of_months(months, now.as_of, fy)
    return outlook_range(landing, per_project, fy.end, now.as_of, seed)


def headlines(landing: Forecast, outlook: dict | None) -> dict:
    """The forecasts' manifest figures: health's and spend's, which the summary repeats."""
    return {
        "p80_overrun_projects": overruns(landing),
        "fy_outlook_p10": outlook["p10"] if outlook else None,
        "fy_outlook_p90": outlook["p90"] if outlook else None,
    }


def milestone_odds(result: Forecast, milestones: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Open milestones of active projects forecast within HORIZON_DAYS: the chance each is met
    by the date it holds to — its baseline, or its forecast where that is later (a milestone
    already past its baseline is asked to hold its new date) — from the share of its project's
    schedule class whose slip rate × days to the milestone keeps it by then. Blank without a
    class."""
    columns = ["project_id", "milestone", "forecast_date", "baseline_date", "held_to", "chance_met"]
    if milestones.empty or not result.has_history:
        return pd.DataFrame(columns=columns)
    m = milestones[
        milestones["actual_date"].isna()
        & (milestones["forecast_date"] > as_of)
        & (milestones["forecast_date"] <= as_of + pd.Timedelta(days=HORIZON_DAYS))
    ]
    f = result.projects.set_index("project_id")
    m = m[among(m["project_id"], f.index.unique())].copy()
    committed = m["baseline_date"].where(m["baseline_date"] >= m["forecast_date"])
    committed = committed.fillna(m["forecast_date"])
    m["held_to"] = committed
    to_go = (m["forecast_date"] - as_of).dt.days.astype("float64")
    slack = (committed - m["forecast_date"]).dt.days.astype("float64")
    keys = m["project_id"].map(f["slip_key"]).fillna("")
    m["chance_met"] = [
        float((result.slip_rates[k] * days <= s).mean()) if k in result.slip_rates else np.nan
        for k, days, s in zip(keys, to_go, slack, strict=True)
    ]
    m["chance_met"] = m["chance_met"].astype("Float64")
    return m.sort_values(["chance_met", "forecast_date"])[columns].reset_index(drop=True)


def calibration(history: list[Snapshot]) -> pd.DataFrame:
    """The back-test: for each earlier snapshot with a track record before it, the P80 finish
    dates forecast then (from the movements up to it), and how many held at the latest snapshot
    — the project finished on or before its P80, or still stood forecast on or before it."""
    rows = []
    if len(history) < 3:
        return pd.DataFrame(columns=["forecast_at", "forecast", "held", "share"])
    latest = history[-1]["projects"].set_index("project_id")
    stood = latest["actual_finish"].fillna(latest["forecast_finish"])
    stood = stood[~stood.index.duplicated()]
    for i in range(1, len(history) - 1):
        then = forecast(history[i], history[: i + 1]).projects.dropna(subset=["p80_finish"])
        now = then["project_id"].map(stood)
        known = now.notna()
        held = int((now[known] <= then.loc[known, "p80_finish"]).sum())
        rows.append(
            {
                "forecast_at": history[i].as_of,
                "forecast": int(known.sum()),
                "held": held,
                "share": held / int(known.sum()) if known.any() else np.nan,
            }
        )
    return pd.DataFrame(rows).astype({"share": "Float64"})
