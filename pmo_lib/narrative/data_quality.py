"""The data-quality report's sentences: the score, what the checks found, who has what to fix
and what the ingest left out."""

from __future__ import annotations

import pandas as pd

from pmo_lib import formatting as fmt
from pmo_lib.metrics.data_quality import Assessment


def score(a: Assessment, previous_as_of: pd.Timestamp | None) -> str:
    if a.score is None and a.records:
        return (
            "This data carries none of what the checks read (see below), so there is no"
            " data-quality score: it would be 100 % for want of anything to check."
        )
    if a.score is None:
        return "There are no projects, demand requests or risks to check in this snapshot."
    affected = a.issues[["record_type", "record_id"]].drop_duplicates().shape[0]
    text = (
        f"The data-quality score is **{fmt.percent(a.score)}**: {fmt.count(a.records - affected)}"
        f" of {fmt.count(a.records)} records (projects, demand requests, risks and issues) have no"
        f" open data-quality issue, and {fmt.count(len(a.issues))} issues on {fmt.count(affected)}"
        " records need fixing."
    )
    if a.previous_score is not None and previous_as_of is not None:
        delta = a.score - a.previous_score
        direction = "up" if delta > 0 else ("down" if delta < 0 else "unchanged")
        amount = f" {abs(delta):.1f} points" if delta else ""
        text += (
            f" That is {direction}{amount} from {fmt.percent(a.previous_score)} on"
            f" {fmt.date(previous_as_of)}."
        )
    return text


def ingest(counts: dict) -> str:
    """What the ingest of this snapshot left out, in a sentence (counts: ingest_log.summary)."""
    rows, cells = counts["rows_left_out"], counts["cells_blanked"]
    if not rows and not cells:
        return "The ingest loaded every source row and cell of this snapshot: nothing was left out."
    causes = ", ".join(f"{n:,} {cause}" for cause, n in counts["by_cause"].items())
    return (
        f"The ingest left out **{rows:,} source rows** and blanked **{cells:,} cells** that did not"
        f" fit the data model ({causes}). The figures of every report leave them out; fix them at"
        " the source, or in the mapping file, and ingest again."
    )


def by_kind(a: Assessment) -> str:
    counts = a.change[a.change["issues"] > 0].sort_values("issues", ascending=False)
    if counts.empty:
        return "No check found anything to fix."
    top = counts.head(3)
    listed = ", ".join(f"{r.label.lower()} ({fmt.count(r.issues)})" for r in top.itertuples())
    text = f"The most common problems are {listed}."
    if a.previous_issues is not None:
        new, fixed = int(a.change["new"].sum()), int(a.change["fixed"].sum())
        text += (
            f" Since the previous snapshot **{fmt.count(new)}** issues are new and"
            f" **{fmt.count(fixed)}** were fixed."
        )
    return text


def owners(owners: pd.DataFrame) -> str:
    if owners.empty:
        return "No owner has anything to fix."
    top = owners.iloc[0]
    return (
        f"{fmt.count(len(owners))} owners have records to fix; **{top['owner']}** has the most,"
        f" {fmt.count(top['issues'])} issues on {fmt.count(top['records'])} records."
    )
