"""Spend against the FY Plan and Outlook, earned value, and financial hygiene.

Definitions (DESIGN.md): a closed month is one whose last day is on or before as_of; YTD = the
fiscal year's closed months; full-year Outlook = actuals of closed months + forecast of the open
months; variance = Outlook − Plan; run-rate projection = YTD actual + mean monthly actual of the
last three closed months × months remaining. Earned value is over the project's life to as_of.
Every total is a sum of the per-project figures of `fy_of_months`, so the levels reconcile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmo_lib import hierarchy, memo
from pmo_lib.metrics import benefits
from pmo_lib.periods import FiscalYear, fiscal_year, is_closed_month, last_closed_month
from pmo_lib.store import CHECK_DTYPES, MONTH_DTYPES

PROJECT_COLUMNS = [
    "project_id",
    "project_name",
    "portfolio",
    "sub_portfolio",
    "program",
    "project_manager",
    "status",
]
FY_COLUMNS = [
    "fy_plan",
    "ytd_plan",
    "ytd_actual",
    "fy_forecast",
    "fy_forecast_closed",
    "fy_outlook",
    "fy_variance",
]


def _divided(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator on float arrays, blank (NaN) where the denominator is zero or
    blank: never inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return numerator / np.where(denominator != 0, denominator, np.nan)


def _floats(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype="float64", na_value=np.nan)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """_divided on two columns of one frame."""
    return pd.Series(_divided(_floats(numerator), _floats(denominator)), index=numerator.index)


def variance_pct(variance: pd.Series, plan: pd.Series) -> pd.Series:
    """100 × variance / plan, blank when there is no plan."""
    return 100 * _ratio(variance, plan)


def _unbooked(f: pd.DataFrame, closed: pd.Series) -> pd.Series:
    """Rows whose project has no actual row in their month when that month is closed."""
    booked = pd.MultiIndex.from_frame(
        f.loc[(f["measure"] == "actual") & closed, ["project_id", "period"]]
    )
    return pd.Series(
        ~pd.MultiIndex.from_frame(f[["project_id", "period"]]).isin(booked), index=f.index
    )


def project_months(financials: pd.DataFrame) -> pd.DataFrame:
    """Per project and month with financial rows: its plan, actual and forecast summed (blank
    amounts as nothing) and whether it has an actual row (booked): all the per-project figures
    below read of a million rows. A snapshot read whole from a store has it summed by the store
    instead (months_of); rows without a project or month (the store holds none) count nowhere."""
    f = financials.loc[
        financials["project_id"].notna() & financials["period"].notna(),
        ["project_id", "period", "measure", "amount"],
    ]
    amount = f["amount"].astype("float64")
    parts = pd.DataFrame(
        {
            "project_id": f["project_id"],
            "period": f["period"],
            **{m: amount.where(f["measure"] == m, 0.0) for m in ("plan", "actual", "forecast")},
            "booked": f["measure"] == "actual",
        }
    )
    out = parts.groupby(["project_id", "period"], as_index=False, sort=True).agg(
        plan=("plan", "sum"),
        actual=("actual", "sum"),
        forecast=("forecast", "sum"),
        booked=("booked", "any"),
    )
    return out.astype(MONTH_DTYPES)


def project_checks(financials: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The project-months the hygiene checks list: forecast rows not zero (a blank one too: NaN
    != 0) in a closed month, and negative amounts (how many, their total); only those with
    either. A snapshot read whole from a store has them counted by the store (checks_of)."""
    f = financials.loc[
        financials["project_id"].notna() & financials["period"].notna(),
        ["project_id", "period", "measure", "amount"],
    ]
    amount = f["amount"].astype("float64")
    negative = amount < 0
    parts = pd.DataFrame(
        {
            "project_id": f["project_id"],
            "period": f["period"],
            "stale_forecast_rows": (f["measure"] == "forecast")
            & is_closed_month(f["period"], as_of)
            & (amount != 0),
            "negative_rows": negative,
            "negative_amount": amount.where(negative, 0.0),
        }
    )
    out = parts.groupby(["project_id", "period"], as_index=False, sort=True).sum()
    out = out[(out["stale_forecast_rows"] > 0) | (out["negative_rows"] > 0)]
    return out.reset_index(drop=True).astype(CHECK_DTYPES)


def checks_of(snapshot) -> pd.DataFrame:
    """project_checks of a snapshot: counted in the store's query for a scope read whole from a
    store, else from its rows."""
    from pmo_lib import data, store

    closed = last_closed_month(snapshot.as_of).date()
    return data.summed(
        snapshot,
        "financial_checks",
        lambda path, day, portfolio: store.financial_checks(path, day, portfolio, closed),
        lambda snapshot: project_checks(snapshot["financials"], snapshot.as_of),
        "financials",
    )


def months_of(snapshot) -> pd.DataFrame:
    """project_months of a snapshot, computed once for it: by the store's query for a snapshot
    read whole from a store (an earlier snapshot's million financial rows are then never read,
    at 100x), else from its rows (data.summed)."""
    from pmo_lib import data, store

    return data.summed(
        snapshot,
        "financial_months",
        store.financial_months,
        lambda snapshot: project_months(snapshot["financials"]),
        "financials",
    )


@memo.same_arguments(size=8)  # the page, its forecasts and the summary ask again
def fy_of_months(months: pd.DataFrame, as_of: pd.Timestamp, fy: FiscalYear | None) -> pd.DataFrame:
    """Per project with financial rows in the fiscal year (fy None: over its whole life): plan,
    YTD plan and actual, remaining forecast, Outlook and variance (Outlook − Plan), from
    project_months.

    A closed month in which a project has a forecast but no actual row (a register that
    publishes one forecast per year, or actuals not yet booked) counts its forecast in the
    Outlook, not as zero; `fy_forecast_closed` holds that part so the page can say so."""
    m = months
    if fy is not None:
        m = m[(m["period"] >= fy.start) & (m["period"] <= fy.end)]
    closed = is_closed_month(m["period"], as_of)
    parts = pd.DataFrame(
        {
            "project_id": m["project_id"],
            "fy_plan": m["plan"],
            "ytd_plan": m["plan"].where(closed, 0.0),
            "ytd_actual": m["actual"].where(closed, 0.0),
            "fy_forecast": m["forecast"].where(~closed, 0.0),
            "fy_forecast_closed": m["forecast"].where(closed & ~m["booked"], 0.0),
        }
    )
    out = parts.groupby("project_id", as_index=False, sort=True).sum()
    out["fy_forecast"] = out["fy_forecast"] + out["fy_forecast_closed"]
    out["fy_outlook"] = out["ytd_actual"] + out["fy_forecast"]
    out["fy_variance"] = out["fy_outlook"] - out["fy_plan"]
    return out


@memo.same_arguments(size=8)  # the page, its forecasts and the summary ask again
def fy_by_project(
    financials: pd.DataFrame, as_of: pd.Timestamp, fy: FiscalYear, by: str = "project_id"
) -> pd.DataFrame:
    """fy_of_months of these rows; or per another column (`by`: the mix by cost category or
    expense type), the same figures from the rows themselves."""
    if by == "project_id":
        return fy_of_months(project_months(financials), as_of, fy)
    # the rows of the year, with only the columns asked for: taking every text column of a
    # million rows (at 100x) costs more than the sums
    in_year = (financials["period"] >= fy.start) & (financials["period"] <= fy.end)
    f = financials.loc[in_year, ["project_id", "period", "measure", "amount", by]]
    closed = is_closed_month(f["period"], as_of)
    amount = f["amount"].astype("float64")
    is_actual = f["measure"] == "actual"
    forecast = f["measure"] == "forecast"
    parts = pd.DataFrame(
        {
            by: f[by].astype(object).fillna("(not given)"),
            "fy_plan": amount.where(f["measure"] == "plan", 0.0),
            "ytd_plan": amount.where((f["measure"] == "plan") & closed, 0.0),
            "ytd_actual": amount.where(is_actual & closed, 0.0),
            "fy_forecast": amount.where(forecast & ~closed, 0.0),
            "fy_forecast_closed": amount.where(forecast & closed & _unbooked(f, closed), 0.0),
        }
    )
    out = parts.groupby(by, as_index=False, sort=True).sum()
    out["fy_forecast"] = out["fy_forecast"] + out["fy_forecast_closed"]
    out["fy_outlook"] = out["ytd_actual"] + out["fy_forecast"]
    out["fy_variance"] = out["fy_outlook"] - out["fy_plan"]
    return out


def with_projects(projects: pd.DataFrame, per_project: pd.DataFrame) -> pd.DataFrame:
    """Every project (zeros where it has no rows this year) with its hierarchy and manager."""
    out = projects[PROJECT_COLUMNS].merge(per_project, on="project_id", how="left")
    out[FY_COLUMNS] = out[FY_COLUMNS].fillna(0.0).astype("float64")
    out = hierarchy.named(out, "program")
    out["fy_variance_pct"] = variance_pct(out["fy_variance"], out["fy_plan"])
    return out


def monthly_actuals(months: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Total actual spend per closed month (every closed month with rows), from
    project_months."""
    closed = months[is_closed_month(months["period"], as_of)]
    return closed.groupby("period")["actual"].sum().astype("float64").sort_index()


def run_rate_projection(
    months: pd.DataFrame, as_of: pd.Timestamp, fy: FiscalYear, ytd_actual: float
) -> float:
    """YTD actual + mean monthly actual of the last three closed months × months left in the year.

    The three months are the last three closed calendar months, wherever the year starts; a
    month without actuals counts as zero.
    """
    last_closed = last_closed_month(as_of)
    three = pd.date_range(end=last_closed, periods=3, freq="MS")
    actuals = monthly_actuals(months, as_of).reindex(three, fill_value=0.0)
    closed_in_year = sum(1 for m in fy.months() if m <= last_closed)
    return float(ytd_actual + actuals.mean() * (12 - closed_in_year))


def fy_position(
    financials: pd.DataFrame, as_of: pd.Timestamp, start_month: int
) -> dict[str, float | str | None]:
    """position_of_months of these rows."""
    return position_of_months(project_months(financials), as_of, start_month)


def position_of_months(
    months: pd.DataFrame, as_of: pd.Timestamp, start_month: int
) -> dict[str, float | str | None]:
    """The fiscal year containing as_of: FY Plan, YTD plan and actual, Outlook, variance (and %),
    headroom (Plan − Outlook) and the run-rate projection, from project_months."""
    fy = fiscal_year(as_of, start_month)
    totals = fy_of_months(months, as_of, fy)[FY_COLUMNS].sum()
    plan, outlook = float(totals["fy_plan"]), float(totals["fy_outlook"])
    return {
        "fiscal_year": fy.name,
        "fy_plan": plan,
        "ytd_plan": float(totals["ytd_plan"]),
        "ytd_actual": float(totals["ytd_actual"]),
        "fy_outlook": outlook,
        "fy_variance": outlook - plan,
        "fy_variance_pct": 100 * (outlook - plan) / plan if plan else None,
        "fy_headroom": plan - outlook,
        "fy_forecast_closed": float(totals["fy_forecast_closed"]),
        "fy_run_rate_projection": run_rate_projection(
            months, as_of, fy, float(totals["ytd_actual"])
        ),
    }


def monthly_burn(financials: pd.DataFrame, as_of: pd.Timestamp, fy: FiscalYear) -> pd.DataFrame:
    """burn_of_months of these rows."""
    return burn_of_months(project_months(financials), as_of, fy)


def burn_of_months(months: pd.DataFrame, as_of: pd.Timestamp, fy: FiscalYear) -> pd.DataFrame:
    """Per month of the fiscal year: plan, actual (closed months), forecast (open months, and
    closed months a project has no actual for), and the cumulative plan and cumulative
    actual-then-forecast (the path to the Outlook), from project_months."""
    every = fy.months()
    m = months[(months["period"] >= fy.start) & (months["period"] <= fy.end)]
    closed = is_closed_month(m["period"], as_of)
    parts = pd.DataFrame(
        {
            "period": m["period"],
            "plan": m["plan"],
            "actual": m["actual"].where(closed, 0.0),
            "forecast": m["forecast"].where(~closed | ~m["booked"], 0.0),
        }
    )
    table = parts.groupby("period")[["plan", "actual", "forecast"]].sum()
    table = table.reindex(index=every, fill_value=0.0).astype("float64")
    table["cumulative_plan"] = table["plan"].cumsum()
    table["cumulative_outlook"] = (table["actual"] + table["forecast"]).cumsum()
    table["closed"] = is_closed_month(pd.Series(every), as_of).to_numpy()
    return table.rename_axis("month").reset_index()


TREE = ["portfolio", "sub_portfolio", "program", "project_id"]  # the roll-up's levels 1-4
NO_FUNCTION = "(no function)"  # an enterprise store's portfolio that no feed named


def _natural_ranks(values: pd.Series) -> pd.Series:
    """Each value's place in natural order (District 7 before District 10; equal keys: the one
    seen first first)."""
    unique = pd.Series(values.unique(), dtype=object)
    order = unique[hierarchy.natural_key(unique).sort_values(kind="stable").index]
    return values.map(pd.Series(np.arange(len(order)), index=order.to_numpy()))


def roll_up(
    projects: pd.DataFrame,
    function_name: str = "IT Function",
    columns: list[str] = FY_COLUMNS,
    functions: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The hierarchy from the function down to projects, each level's figures the sum of the level
    below (blank where no project below has a figure): rows in tree order with level
    (0 function … 4 project), name, key (the full path) and the figures. In an enterprise store
    (functions: portfolio -> function), the top is the enterprise and each function is a level
    above its portfolios (0 enterprise, 1 function … 5 project). One group-by per level (a loop
    over nodes took 36 s at 30,000 projects)."""
    tree = ["function", *TREE] if functions else TREE
    frame = hierarchy.named(projects, "program")
    if functions:
        frame = frame.assign(function=frame["portfolio"].map(functions).fillna(NO_FUNCTION))
    frame = frame[[*tree, "project_name", *columns]]
    ranks = [f"rank_{level}" for level in tree]
    frame = frame.assign(
        **{rank: _natural_ranks(frame[level]) for rank, level in zip(ranks, tree, strict=True)}
    )
    sums = frame[columns].astype("float64").sum(min_count=1)
    nodes = [
        pd.DataFrame(
            {"level": [0], "name": [function_name], "key": [()], "projects": [len(frame)]}
            | {c: [float(sums[c])] for c in columns}
        )
    ]
    for depth in range(1, len(tree) + 1):
        keys = tree[:depth]
        groups = frame.groupby(keys, sort=False, dropna=False)
        level = groups[columns].sum(min_count=1).astype("float64")
        level[ranks[:depth]] = groups[ranks[:depth]].first()
        level["projects"] = groups.size()
        level = level.reset_index()
        level["level"] = depth
        level["key"] = list(zip(*(level[k] for k in keys), strict=True))
        level["name"] = level[keys[-1]].astype(str)
        if functions and keys[-1] == "portfolio":  # "Group IT › Data & Analytics" under Group IT
            level["name"] = [
                n.removeprefix(f + hierarchy.SEPARATOR)
                for f, n in zip(level["function"], level["name"], strict=True)
            ]
        if keys[-1] == "project_id":
            names = groups["project_name"].first().astype(object).to_numpy()
            level["name"] = [
                f"{i} {n}" if pd.notna(n) and str(n) else str(i)
                for i, n in zip(level["project_id"], names, strict=True)
            ]
        nodes.append(level)
    out = pd.concat(nodes, ignore_index=True)
    out[ranks] = out[ranks].fillna(-1)  # a parent before its children
    out = out.sort_values(ranks, kind="stable")[["level", "name", "key", "projects", *columns]]
    out = out.reset_index(drop=True)
    if "fy_variance" in columns:
        out["fy_variance_pct"] = variance_pct(out["fy_variance"], out["fy_plan"])
    return out


def exceptions(
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    variance_pct_limit: float,
    min_amount: float,
    change_pct_limit: float,
) -> pd.DataFrame:
    """Projects whose variance, or whose Outlook change since the previous snapshot, passes the
    thresholds: |variance %| ≥ limit and |variance| ≥ min amount, or |Outlook change %| ≥ limit
    and |change| ≥ min amount. Largest absolute variance first."""
    out = current.copy()
    before = (
        previous.set_index("project_id")["fy_outlook"]
        if previous is not None
        else pd.Series(dtype="float64")
    )
    out["previous_outlook"] = out["project_id"].map(before).astype("float64")
    out["outlook_change"] = out["fy_outlook"] - out["previous_outlook"]
    out["outlook_change_pct"] = 100 * _ratio(out["outlook_change"], out["previous_outlook"])
    by_variance = (out["fy_variance_pct"].abs() >= variance_pct_limit) & (
        out["fy_variance"].abs() >= min_amount
    )
    plan_missing = (out["fy_plan"] == 0) & (
        out["fy_outlook"].abs() >= min_amount
    )  # no plan at all: always an exception
    by_change = (out["outlook_change_pct"].abs() >= change_pct_limit) & (
        out["outlook_change"].abs() >= min_amount
    )
    out["reason"] = np.select(
        [(by_variance | plan_missing) & by_change, by_variance | plan_missing, by_change],
        ["variance and Outlook change", "variance", "Outlook change"],
        "",
    )
    hit = out[out["reason"] != ""]
    return hit.reindex(hit["fy_variance"].abs().sort_values(ascending=False).index).reset_index(
        drop=True
    )


def mix(financials: pd.DataFrame, as_of: pd.Timestamp, fy: FiscalYear, by: str) -> pd.DataFrame:
    """FY Plan and Outlook by expense type or cost category (blank shown as "(not given)")."""
    return fy_by_project(financials, as_of, fy, by)[[by, "fy_plan", "fy_outlook"]]


def mix_of(snapshot, fy: FiscalYear, by: str) -> pd.DataFrame:
    """mix of a snapshot: summed in the store's query for a scope read whole from a store (its
    financial rows not read), else from its rows."""
    from pmo_lib import data, store

    def query(path, day, portfolio) -> pd.DataFrame:
        year = (fy.start.date(), fy.end.date())
        closed = last_closed_month(snapshot.as_of).date()
        return store.financial_mix(path, day, portfolio, by, year, closed)

    return data.summed(
        snapshot,
        f"financial_mix:{by}:{fy.name}",
        query,
        lambda snapshot: mix(snapshot["financials"], snapshot.as_of, fy, by),
        "financials",
    )


# -- earned value -----------------------------------------------------------------------------
EAC_FORMULAS = {
    "BAC/CPI": "EAC = BAC ÷ CPI (the cost performance so far continues)",
    "AC+(BAC-EV)": "EAC = AC + (BAC − EV) (the remaining work is done at budget rate)",
}


def _indices(frame: pd.DataFrame, eac_formula: str) -> pd.DataFrame:
    """frame (bac, pv, ev, ac) with CV, SV, CPI, SPI, EAC, ETC, VAC and TCPI added, in numpy: a
    scope's figures ask for these for every project and for the totals."""
    bac, pv, ev, ac = (_floats(frame[c]) for c in ("bac", "pv", "ev", "ac"))
    cpi = _divided(ev, ac)
    eac = _divided(bac, cpi) if eac_formula == "BAC/CPI" else ac + (bac - ev)
    added = {
        "cv": ev - ac,
        "sv": ev - pv,
        "cpi": cpi,
        "spi": _divided(ev, pv),
        "eac": eac,
        "etc": eac - ac,
        "vac": bac - eac,
        "tcpi": _divided(bac - ev, bac - ac),
    }
    kept = frame.drop(columns=list(added), errors="ignore")
    return pd.concat([kept, pd.DataFrame(added, index=frame.index)], axis=1)


@memo.same_arguments(size=4)  # a scope's health and spend figures ask for the same sums
def _to_date(months: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per project (index), its plan and actual summed over the months closed at as_of, from
    project_months."""
    closed = months[is_closed_month(months["period"], as_of)]
    return closed.groupby("project_id")[["plan", "actual"]].sum()


def earned_value(
    projects: pd.DataFrame,
    financials: pd.DataFrame,
    as_of: pd.Timestamp,
    eac_formula: str = "BAC/CPI",
) -> pd.DataFrame:
    """ev_of_months of these rows."""
    return ev_of_months(projects, project_months(financials), as_of, eac_formula)


def ev_of_months(
    projects: pd.DataFrame,
    months: pd.DataFrame,
    as_of: pd.Timestamp,
    eac_formula: str = "BAC/CPI",
) -> pd.DataFrame:
    """Per project, over its life to as_of: BAC, PV (cumulative plan of closed months), EV
    (percent complete × BAC), AC (cumulative actual), CV, SV, CPI, SPI, EAC, ETC, VAC and TCPI,
    from project_months. Undefined ratios (a zero denominator) are blank."""
    sums = _to_date(months, as_of)
    p = projects[[*PROJECT_COLUMNS, "budget_at_completion", "percent_complete"]].copy()
    p["bac"] = p["budget_at_completion"].astype("float64").fillna(0.0)
    p["pv"] = p["project_id"].map(sums["plan"]).astype("float64").fillna(0.0)
    p["ac"] = p["project_id"].map(sums["actual"]).astype("float64").fillna(0.0)
    p["ev"] = p["percent_complete"].astype("float64").fillna(0.0) / 100 * p["bac"]
    return _indices(p.drop(columns=["budget_at_completion"]), eac_formula)


def earned_value_total(ev: pd.DataFrame, eac_formula: str = "BAC/CPI") -> dict[str, float | None]:
    """Indices of a group from its summed BAC, PV, EV and AC — never an average of ratios."""
    sums = pd.DataFrame([ev[["bac", "pv", "ev", "ac"]].sum()])
    row = _indices(sums, eac_formula).iloc[0]
    return {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}


def quadrant(cpi: float | None, spi: float | None) -> str:
    if cpi is None or spi is None or pd.isna(cpi) or pd.isna(spi):
        return "no data"
    cost = "under budget" if cpi >= 1 else "over budget"
    time = "ahead of schedule" if spi >= 1 else "behind schedule"
    return f"{cost}, {time}"


# -- outlook drift ----------------------------------------------------------------------------
def outlook_drift(snapshots: list, projects: pd.DataFrame, fy: FiscalYear) -> pd.DataFrame:
    """The Outlook for the report's fiscal year as each snapshot saw it, per project.

    snapshots: every snapshot up to the report's (data.all_snapshots), scoped like the report.
    """
    per_snapshot = [(s.as_of, months_of(s)) for s in snapshots]
    frames = [
        fy_of_months(months, as_of, fy)[["project_id", "fy_outlook", "fy_plan"]].assign(as_of=as_of)
        for as_of, months in per_snapshot
        if len(months)
    ]
    if not frames:
        return pd.DataFrame(columns=["as_of", "project_id", "fy_outlook", "fy_plan", "portfolio"])
    out = pd.concat(frames, ignore_index=True)
    return out.merge(
        projects[["project_id", "project_name", "portfolio", "project_manager"]],
        on="project_id",
        how="left",
    )


def drift_by_portfolio(drift: pd.DataFrame) -> pd.DataFrame:
    """The Outlook and Plan per portfolio and snapshot; a project no longer in the current
    snapshot counts under "(no portfolio)" rather than vanishing."""
    named = hierarchy.named(drift, "portfolio")
    return named.groupby(["as_of", "portfolio"], as_index=False)[["fy_outlook", "fy_plan"]].sum()


def largest_moves(drift: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Projects whose Outlook moved most between the first and the last snapshot."""
    if drift.empty:
        return pd.DataFrame(columns=["project_id", "project_name", "first", "last", "change"])
    names = ["project_name", "project_manager"]  # blank names must not drop rows
    drift = drift.assign(**{c: drift[c].astype(object).fillna("") for c in names})
    wide = drift.pivot_table(
        index=["project_id", *names],
        columns="as_of",
        values="fy_outlook",
        aggfunc="sum",
    )
    # first: the Outlook in the first snapshot that had the project (not a zero before it)
    out = pd.DataFrame({"first": wide.bfill(axis=1).iloc[:, 0], "last": wide.iloc[:, -1]})
    out["change"] = out["last"] - out["first"]
    out = out[out["change"].notna() & (out["change"] != 0)]
    out = out.reindex(out["change"].abs().sort_values(ascending=False).index).head(top)
    return out.reset_index()


# -- financial hygiene ------------------------------------------------------------------------
HYGIENE_RULES = {
    "actuals_without_plan": "actual spend is booked to a project that has no plan at all",
    "forecast_in_closed_month": "a forecast amount remains in a month that is closed",
    "no_remaining_forecast": "an active project below 100 % complete forecasts no further spend"
    " (its forecast at completion is not above its actuals to date)",
    "negative_amount": "a plan, forecast or actual amount is negative (a credit or reversal to"
    " check)",
}


def hygiene(projects: pd.DataFrame, financials: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """hygiene_of_months of these rows."""
    months, checks = project_months(financials), project_checks(financials, as_of)
    return hygiene_of_months(projects, months, checks, as_of)


def hygiene_of_months(
    projects: pd.DataFrame, months: pd.DataFrame, checks: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Projects whose financials need attention, one row per project and rule, with a detail,
    from project_months and project_checks."""
    per_project = months.groupby("project_id")
    plan_total, actual_total = per_project["plan"].sum(), per_project["actual"].sum()
    closed = is_closed_month(months["period"], as_of)
    found: list[dict] = []
    for pid, total in actual_total.items():
        if total > 0 and plan_total.get(pid, 0) == 0:
            found.append(
                {
                    "project_id": pid,
                    "rule": "actuals_without_plan",
                    "detail": f"actuals {total:,.2f} with no plan",
                }
            )
    stale = checks[checks["stale_forecast_rows"] > 0]
    for pid, count in stale.groupby("project_id").size().items():  # a row is a project-month
        found.append(
            {
                "project_id": pid,
                "rule": "forecast_in_closed_month",
                "detail": f"{count} closed month(s) with forecast",
            }
        )
    remaining = months[~closed].groupby("project_id")["forecast"].sum()
    active = projects[
        (projects["status"] == "Active") & (projects["percent_complete"].fillna(0) < 100)
    ]
    for row in active.itertuples():
        if remaining.get(row.project_id, 0) <= 0:
            found.append(
                {
                    "project_id": row.project_id,
                    "rule": "no_remaining_forecast",
                    "detail": (
                        "percent complete not given"
                        if pd.isna(row.percent_complete)
                        else f"{row.percent_complete:.0f}% complete"
                    )
                    + ", no forecast for the open months",
                }
            )
    negative = checks[checks["negative_rows"] > 0].groupby("project_id")
    for pid, count, total in negative[["negative_rows", "negative_amount"]].sum().itertuples():
        found.append(
            {
                "project_id": pid,
                "rule": "negative_amount",
                "detail": f"{count} negative amount(s), total {total:,.2f}",
            }
        )
    out = pd.DataFrame(found, columns=["project_id", "rule", "detail"])
    names = projects.set_index("project_id")
    out["project_name"] = out["project_id"].map(names["project_name"])
    out["project_manager"] = out["project_id"].map(names["project_manager"])
    out["rule_text"] = out["rule"].map(HYGIENE_RULES)
    return hierarchy.sort_naturally(out, ["rule", "project_id"]).reset_index(drop=True)


# -- budgets, for data without financials -------------------------------------------------------
BUDGET_COLUMNS = ["bac", "bac_before", "bac_change"]


def budgets(
    projects: pd.DataFrame,
    before: pd.DataFrame | None,
    function_name: str = "IT Function",
    functions: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Budget at completion by level (the roll-up's tree), with its value at the previous
    snapshot and the change, for data that has budgets but no monthly financials. A project
    not in the previous snapshot (or without a budget now) has no previous figure and no change
    (blank), nor does a level with none; so a level's previous figure covers the projects that
    have both, and its change is the sum of theirs."""
    per = projects[PROJECT_COLUMNS].copy()
    per["bac"] = projects["budget_at_completion"].astype("float64")
    earlier = (
        before.set_index("project_id")["budget_at_completion"].astype("float64")
        if before is not None
        else pd.Series(dtype="float64")
    )
    # the same projects on both sides, so that each level's change is now − before
    per["bac_before"] = per["project_id"].map(earlier).astype("float64").where(per["bac"].notna())
    per["bac_change"] = per["bac"] - per["bac_before"]
    return roll_up(per, function_name, BUDGET_COLUMNS, functions)


# -- everything the spend report shows ----------------------------------------------------------
HEADLINE_KEYS = (
    "fy_plan",
    "ytd_plan",
    "ytd_actual",
    "fy_outlook",
    "fy_variance",
    "fy_run_rate_projection",
)


def _headlines(
    position: dict, ev_total: dict, months: pd.DataFrame, projects: pd.DataFrame
) -> dict:
    """No financial rows at all (months: project_months): no figures (not zeros, which would
    read as on plan); the budget at completion of the projects in scope whenever any has
    one."""
    bac = projects["budget_at_completion"].astype("float64").sum(min_count=1)
    budget = {"budget_at_completion": None if pd.isna(bac) else float(bac)}
    if months.empty:
        return {**dict.fromkeys([*HEADLINE_KEYS, "cpi", "spi"]), **budget}
    return {
        **{k: position[k] for k in HEADLINE_KEYS},
        "cpi": ev_total["cpi"],
        "spi": ev_total["spi"],
        **budget,
    }


def headlines(now, start_month: int, eac_formula: str = "BAC/CPI") -> dict:
    """The manifest's figures: FY position and the active projects' CPI and SPI (from sums)."""
    months = months_of(now)
    ev = ev_of_months(now["projects"], months, now.as_of, eac_formula)
    totals = earned_value_total(ev[ev["status"] == "Active"], eac_formula)
    return _headlines(
        position_of_months(months, now.as_of, start_month), totals, months, now["projects"]
    )


@dataclass(frozen=True)
class SpendView:
    fy: FiscalYear
    position: dict
    per_project: pd.DataFrame
    burn: pd.DataFrame
    rollup: pd.DataFrame
    exceptions: pd.DataFrame
    by_expense_type: pd.DataFrame
    by_category: pd.DataFrame
    ev: pd.DataFrame  # active projects
    ev_total: dict
    hygiene: pd.DataFrame
    headlines: dict
    budgets: pd.DataFrame  # budget at completion by level (what data without financials has)
    outlook_range: dict | None = None  # the FY Outlook's P10-P90 by Monte Carlo (forecast)
    landing: object = None  # forecast.Forecast the range comes from
    drift: pd.DataFrame | None = None  # each project's FY Outlook in each snapshot (history)
    benefits: object = None  # benefits.Realisation: planned against realised, ROI

    @property
    def has_financials(self) -> bool:
        return self.headlines["fy_plan"] is not None


def benefits_of(now, params) -> benefits.Realisation:
    """The snapshot's benefits against their plans, ROI on the cost at completion the forecasts
    use (spend params: the at-risk threshold)."""
    from pmo_lib.metrics import forecast

    cost = forecast.cost_at_completion(now) if len(now["benefits"]) else pd.Series(dtype=float)
    return benefits.analyse(
        now["benefits"], now["projects"], now.as_of, cost, params.benefits_at_risk_pct
    )


def analyse(
    now,
    before,
    start_month: int,
    params,
    function_name: str = "IT Function",
    history: list | None = None,
    functions: dict[str, str] | None = None,
) -> SpendView:
    """All the spend report's figures from a snapshot pair (data.Snapshot) and the spend params;
    with history (every snapshot up to now), the Outlook range too."""
    from pmo_lib.metrics import forecast

    as_of = now.as_of
    fy = fiscal_year(as_of, start_month)
    projects, months = now["projects"], months_of(now)
    position = position_of_months(months, as_of, start_month)
    per_project = with_projects(projects, fy_of_months(months, as_of, fy))
    previous = None
    if before is not None:
        previous = fy_of_months(months_of(before), before.as_of, fy)
    ev = ev_of_months(projects, months, as_of, params.eac_formula)
    ev = ev[ev["status"] == "Active"].reset_index(drop=True)
    ev_total = earned_value_total(ev, params.eac_formula)
    headlines = _headlines(position, ev_total, months, projects)
    landing = forecast.forecast(now, history) if history else None
    outlook = None
    if landing:
        outlook = forecast.fy_outlook_range(now, landing, start_month, params.outlook_range_seed)
    figures = forecast.headlines(landing, outlook) if landing else {}
    headlines["fy_outlook_p10"] = figures.get("fy_outlook_p10")
    headlines["fy_outlook_p90"] = figures.get("fy_outlook_p90")
    realisation = benefits_of(now, params)
    headlines.update(benefits.headlines(realisation))
    return SpendView(
        fy=fy,
        position=position,
        per_project=per_project,
        burn=burn_of_months(months, as_of, fy),
        rollup=roll_up(per_project, function_name, functions=functions),
        exceptions=exceptions(
            per_project,
            previous,
            params.exception_variance_pct,
            params.exception_min_amount,
            params.exception_outlook_change_pct,
        ),
        by_expense_type=mix_of(now, fy, "expense_type"),
        by_category=mix_of(now, fy, "cost_category"),
        ev=ev,
        ev_total=ev_total,
        hygiene=hygiene_of_months(projects, months, checks_of(now), as_of),
        headlines=headlines,
        budgets=budgets(
            projects, before["projects"] if before is not None else None, function_name, functions
        ),
        outlook_range=outlook,
        landing=landing,
        drift=outlook_drift(history, projects, fy) if history else None,
        benefits=realisation,
    )


def levels_heading(functions: dict[str, str] | None) -> str:
    """The roll-up table's first column heading: its levels, top down."""
    levels = "portfolio / sub-portfolio / program / project"
    return f"Enterprise / function / {levels}" if functions else f"Function / {levels}"


def indented(rollup: pd.DataFrame) -> pd.DataFrame:
    """The roll-up with a label indented by level, for a table."""
    return rollup.assign(
        label=[
            "\u2003" * level + name
            for level, name in zip(rollup["level"], rollup["name"], strict=True)
        ]
    )
