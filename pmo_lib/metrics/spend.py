"""Spend against the FY Plan and Outlook (definitions in DESIGN.md: closed months, Outlook)."""

from __future__ import annotations

import pandas as pd

from pmo_lib.periods import fiscal_year, is_closed_month


def fy_position(
    financials: pd.DataFrame, as_of: pd.Timestamp, start_month: int
) -> dict[str, float | str]:
    """The fiscal year containing as_of: FY Plan, YTD plan and actual, and the full-year Outlook.

    YTD = the fiscal year's closed months; Outlook = actuals of closed months + forecast of the
    months still open; variance = Outlook - Plan; headroom = Plan - Outlook (what is left to commit).
    """
    fy = fiscal_year(as_of, start_month)
    f = financials[(financials["period"] >= fy.start) & (financials["period"] <= fy.end)]
    closed = is_closed_month(f["period"], as_of)

    def total(measure: str, mask: pd.Series | None = None) -> float:
        rows = f[f["measure"] == measure] if mask is None else f[(f["measure"] == measure) & mask]
        return float(rows["amount"].sum())

    plan = total("plan")
    ytd_actual = total("actual", closed)
    outlook = ytd_actual + total("forecast", ~closed)
    return {
        "fiscal_year": fy.name,
        "fy_plan": plan,
        "ytd_plan": total("plan", closed),
        "ytd_actual": ytd_actual,
        "fy_outlook": outlook,
        "fy_variance": outlook - plan,
        "fy_headroom": plan - outlook,
    }
