"""The executive summary's words: its tiles, what changed since the previous snapshot and why
each exception needs a decision."""

from __future__ import annotations

import pandas as pd

from pmo_lib import formatting as fmt
from pmo_lib.metrics.summary import Changes, Exceptions


def tiles(
    tiles: pd.DataFrame, currency: str, previous_as_of: pd.Timestamp | None
) -> list[tuple[str, str, str]]:
    shown = []
    for t in tiles.itertuples():
        value = tile_value(t.value, t.kind, currency)
        if t.change is None or pd.isna(t.change) or previous_as_of is None:
            note = "no earlier snapshot" if previous_as_of is None else ""
        elif (change := tile_value(abs(t.change), t.kind, currency)) == tile_value(
            0, t.kind, currency
        ):  # no change, or one that shows as none ("▼ 0 days" for 0.4 days)
            note = f"no change since {fmt.date(previous_as_of)}"
        else:
            arrow = "▲" if t.change > 0 else "▼"
            note = f"{arrow} {change} since {fmt.date(previous_as_of)}"
        shown.append((t.label, value, note))
    return shown


def tile_value(value: object, kind: str, currency: str) -> str:
    """A tile's figure as shown: money, percent, days or count; "n/a" when blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "n/a"
    return {
        "money": lambda v: fmt.money(v, currency, compact=True),
        "percent": fmt.percent,
        "days": lambda v: f"{v:.0f} days",
        "count": fmt.count,
    }[kind](value)


def exceptions(found: Exceptions, currency: str) -> pd.DataFrame:
    """The summary's exceptions (metrics.summary.Exceptions) as rows: area, item and why, in
    words; health's why is its own rules' reasons."""
    rows = [
        ("Health", f"{r.project_id} {r.project_name}", r.why) for r in found.health.itertuples()
    ]
    rows += [
        (
            "Spend",
            f"{r.project_id} {r.project_name}",
            f"Outlook {fmt.money(r.fy_outlook, currency)} against a plan of"
            f" {fmt.money(r.fy_plan, currency)} ({r.reason})",
        )
        for r in found.spend.itertuples()
    ]
    rows += [
        (
            "Demand",
            f"{r.demand_id} {r.title}",
            f"{r.age_days} days in {r.stage} (SLA {r.sla_days:.0f})",
        )
        for r in found.demand.itertuples()
    ]
    rows += [
        ("Resourcing", r.role, f"short {r.next_3_months:,.0f} hours over the next 3 months")
        for r in found.resourcing.itertuples()
    ]
    return pd.DataFrame(rows, columns=["area", "item", "why"])


# The tables whose sentences changes() leaves out when the data lacks them (absent).
CHANGES_NEED = ("financials", "risks")


def changes(
    ch: Changes, currency: str, previous_as_of: pd.Timestamp | None, absent: frozenset = frozenset()
) -> list[str]:
    """What changed since last period, one sentence per kind of change; absent names the tables
    the data lacks, whose sentences would only say zero."""
    if previous_as_of is None:
        return ["There is no earlier snapshot to compare with."]
    out = []

    def names(frame: pd.DataFrame, id_col: str, name_col: str, top: int = 3) -> str:
        listed = ", ".join(f"{r[id_col]} {r[name_col]}" for _, r in frame.head(top).iterrows())
        return listed + (f" and {len(frame) - top} more" if len(frame) > top else "")

    out.append(
        f"**{fmt.count(len(ch.turned_red))}** projects turned red"
        + (f": {names(ch.turned_red, 'project_id', 'project_name')}" if len(ch.turned_red) else "")
        + f"; {fmt.count(len(ch.recovered))} recovered from red"
        + (f": {names(ch.recovered, 'project_id', 'project_name')}" if len(ch.recovered) else "")
        + "."
    )
    if "financials" not in absent:
        if len(ch.outlook_moves):
            top = ch.outlook_moves.iloc[0]
            moved = len(ch.outlook_moves)
            out.append(
                f"The largest Outlook movement is {top['project_id']} {top['project_name']}:"
                f" {'up' if top['outlook_change'] > 0 else 'down'}"
                f" {fmt.money(abs(top['outlook_change']), currency, compact=True)} to"
                f" {fmt.money(top['fy_outlook'], currency, compact=True)};"
                f" {fmt.count(moved)} {'project' if moved == 1 else 'projects'} moved past the"
                " exception threshold."
            )
        else:
            out.append("No project's Outlook moved past the exception threshold.")
    if "risks" not in absent:
        out.append(
            f"{fmt.count(len(ch.new_high_risks))} new high risks"
            + (
                f", among them {names(ch.new_high_risks, 'item_id', 'title', 2)}"
                if len(ch.new_high_risks)
                else ""
            )
            + "."
        )
    if "demand" not in absent:
        approved = (
            int(ch.decided["stage"].isin(["Approved", "In Delivery", "Delivered"]).sum())
            if len(ch.decided)
            else 0
        )
        rejected = int((ch.decided["stage"] == "Rejected").sum()) if len(ch.decided) else 0
        out.append(
            f"Demand: {fmt.count(approved)} requests approved and {fmt.count(rejected)} rejected."
        )
    if "milestones" not in absent:
        out.append(
            f"{fmt.count(len(ch.gates_passed))} gate reviews passed"
            + (
                f", e.g. {ch.gates_passed.iloc[0]['project_id']}"
                f" {ch.gates_passed.iloc[0]['milestone']}"
                if len(ch.gates_passed)
                else ""
            )
            + "."
        )
    return out


def scorecard(card: pd.DataFrame) -> str:
    """The scorecard in one sentence: how many KPIs at each status."""
    counts = card["status"].value_counts()
    parts = [f"{counts[s]} {s.lower()}" for s in ("Red", "Amber", "Green") if counts.get(s, 0)]
    blank = int(counts.get("No data", 0))
    text = f"Of {fmt.count(len(card))} KPIs, " + (", ".join(parts) or "none rated")
    if blank:
        text += f"; {fmt.count(blank)} without the data to compute {'it' if blank == 1 else 'them'}"
    return text + (
        ". Green: no worse than the amber threshold (the target's tolerance); amber: no worse"
        " than the red one; red: beyond it. Each KPI is computed the same way for every snapshot,"
        " oldest first in the trend."
    )
