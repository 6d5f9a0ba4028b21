"""The health report's sentences and tiles: computed RAG, trend, schedule, risks and issues,
gates and the watch list."""

from __future__ import annotations

import pandas as pd

from pmo_lib import formatting as fmt
from pmo_lib.data import among


def tiles(headlines: dict) -> list[tuple[str, str, str]]:
    """Active projects and the computed RAG counts, No data beside red, amber and green."""
    h = headlines
    return [
        ("Active projects", fmt.count(h["active_projects"]), "rated by the rules below"),
        ("Computed red", fmt.count(h["rag_red"]), "act now"),
        ("Computed amber", fmt.count(h["rag_amber"]), "watch"),
        ("Computed green", fmt.count(h["rag_green"]), "on track"),
        ("No data to rate", fmt.count(h["rag_no_data"]), "missing what the rules read"),
    ]


def matrix(headlines: dict) -> str:
    if not headlines["active_projects"]:
        return "There are no active projects."
    h = headlines
    return (
        f"Of {fmt.count(h['active_projects'])} active projects, the rules rate"
        f" **{fmt.count(h['rag_red'])} red**, {fmt.count(h['rag_amber'])} amber and"
        f" {fmt.count(h['rag_green'])} green"
        + (f", and {fmt.count(h['rag_no_data'])} lack the data to rate" if h["rag_no_data"] else "")
        + f". **{fmt.count(h['reported_better_than_computed'])}** project managers report a better"
        " status than the rules compute."
    )


def trend(trend: pd.DataFrame, changed: pd.DataFrame) -> str:
    if len(trend) < 2:
        return "There is only one snapshot, so there is no trend yet."
    first, last = trend.iloc[0], trend.iloc[-1]
    worse = (
        int(
            (
                changed["now"].map({"Green": 0, "No data": 1, "Amber": 2, "Red": 3})
                > changed["was"].map({"Green": 0, "No data": 1, "Amber": 2, "Red": 3})
            ).sum()
        )
        if len(changed)
        else 0
    )
    return (
        f"Red projects went from {fmt.count(first['Red'])} on {fmt.date(first['as_of'])} to"
        f" {fmt.count(last['Red'])} on {fmt.date(last['as_of'])}. Since the previous snapshot"
        f" {fmt.count(len(changed))} projects changed colour, {fmt.count(worse)} of them for the"
        " worse."
    )


def schedule(
    assessed: pd.DataFrame, late: pd.DataFrame, due: pd.DataFrame, has_milestones: bool = True
) -> str:
    """Slipped projects (only those with a slip to measure) and, where the data has milestones,
    what is overdue and due soon."""
    measured = assessed["slip_days"].notna() if len(assessed) else pd.Series(dtype=bool)
    if not measured.any():
        text = "No active project has both a forecast and a baseline finish, so no slip is measured"
    else:
        slipped = assessed[assessed["slip_days"] > 0]
        text = (
            f"{fmt.count(len(slipped))} of {fmt.count(int(measured.sum()))} active projects with a"
            " measurable slip forecast to finish after their baseline"
        )
        if len(slipped):
            text += f", by a median of {slipped['slip_days'].median():.0f} days"
    if not has_milestones:
        return text + ". The data has no milestones, so none is reported overdue or due soon."
    overdue = int(late["overdue"].sum()) if len(late) else 0
    soon = due["window"].value_counts()
    return text + (
        f". {fmt.count(overdue)} milestones are overdue; {fmt.count(soon.get('next 30 days', 0))}"
        f" fall due in the next 30 days, {fmt.count(soon.get('31–60 days', 0))} in 31–60 and"
        f" {fmt.count(soon.get('61–90 days', 0))} in 61–90 days."
    )


def risks(register: pd.DataFrame, as_of: pd.Timestamp) -> str:
    open_ = register[register["status"] != "Closed"]
    risks, issues = open_[open_["kind"] == "Risk"], open_[open_["kind"] == "Issue"]
    high = int((risks["score"] >= 15).sum())
    late = int((issues["days_past_due"] > 0).sum())
    return (
        f"{fmt.count(len(risks))} risks are open, **{fmt.count(high)}** of them high (score 15 or"
        f" more), and {fmt.count(len(issues))} issues, {fmt.count(late)} past their due date."
    )


def gates(gates: pd.DataFrame, gaps: pd.DataFrame) -> str:
    if gates.empty:
        return "No gate has been passed yet."
    return (
        f"{fmt.count(gaps['project_id'].nunique())} projects passed a gate without every required"
        f" artifact approved; {fmt.count(int(gates['Missing'].sum()))} artifacts are still missing."
    )


def watch(watch: pd.DataFrame) -> str:
    if watch.empty:
        return "No project needs discussing at the next review."
    return (
        f"These {fmt.count(len(watch))} projects need discussing at the next review, those reported"
        " better than computed first."
    )


def roadmap(drawn) -> str:
    """What the roadmap draws and what it leaves out ("" when it draws nothing: the notice in
    its place says so)."""
    if drawn.bars.empty:
        return ""
    text = (
        f"Each bar runs from a project's baseline start to its forecast finish (its baseline"
        f" finish when there is no forecast), coloured by its computed RAG; the tick is the"
        f" baseline finish, diamonds are open milestones (filled: gates), in lanes by"
        f" sub-portfolio. Drawn: {fmt.count(len(drawn.bars))} projects."
    )
    whiskers = int((drawn.bars["p80_finish"] > drawn.bars["finish"]).sum())
    if whiskers:
        text += (
            f" For {fmt.count(whiskers)} of them a line runs on to the P80 finish, the date"
            " comparable projects' track record says it will meet four times in five (the"
            " health report's 'Where projects will land' shows how it is forecast)."
        )
    if drawn.cut:
        text += (
            f" {fmt.count(drawn.cut)} more are left out to keep the chart readable: it shows the"
            " largest budgets."
        )
    if drawn.undrawn:
        one = drawn.undrawn == 1
        text += (
            f" {fmt.count(drawn.undrawn)} active project{'' if one else 's'}"
            f" {'has' if one else 'have'} no start or finish date to draw."
        )
    return text


def landing_method(result) -> str:
    """How the forecasts are made, with the numbers behind them."""
    from pmo_lib.metrics import forecast

    return (
        "Each active project's finish and final cost are forecast from how comparable projects"
        " moved between this store's snapshots: the days their forecast finish slipped per day"
        " elapsed, and the growth of their cost at completion (actuals booked plus forecasts)"
        f" per day elapsed — {fmt.count(len(result.moves))} movements from"
        f" {fmt.count(result.snapshots)} snapshots. P50 finish = the forecast finish plus the"
        " median slip rate of its class times its days to go; P80 uses the rate four in five"
        " movements stayed within; the costs grow likewise. Comparable = same life-cycle stage,"
        " budget third and portfolio; a class with fewer than"
        f" {forecast.MIN_CLASS} movements widens to stage and budget third, then stage, then all"
        " projects (the table names the class used and its movements)."
    )


def landing_needs_history(result) -> str:
    if result.snapshots < 2:
        return (
            "Forecasts need history: this store has one snapshot, so there is no track record"
            " of how projects move. The table shows where each project stands now; P50 and P80"
            " appear once a second snapshot is loaded."
        )
    return (
        "Forecasts need history: no project was active in one snapshot and present in the next,"
        " so there is no track record yet. The table shows where each project stands now."
    )


def landing(result, currency: str) -> str:
    """How many active projects land later than forecast and above budget at P80."""
    p = result.projects
    rated = p["p80_finish"].notna()
    late = int((p["p80_finish"] > p["baseline_finish"]).sum())
    with_baseline = int((rated & p["baseline_finish"].notna()).sum())
    budgeted = p["budget"] > 0
    over = int((budgeted & (p["p80_cost"] > p["budget"] + 0.005)).sum())
    rated_cost = int((budgeted & p["p80_cost"].notna()).sum())
    wider = int((p["schedule_class"] == "all projects").sum())
    text = (
        f"At P80, **{fmt.count(late)}** of the {fmt.count(with_baseline)} active projects with a"
        f" baseline finish land after it, and **{fmt.count(over)}** of the"
        f" {fmt.count(rated_cost)} with a budget cost more than it."
    )
    if wider:
        text += (
            f" {fmt.count(wider)} {'is' if wider == 1 else 'are'} compared with all projects:"
            " {} own classes hold too few movements.".format("its" if wider == 1 else "their")
        )
    unrated = int((~rated).sum())
    if unrated:
        text += f" {fmt.count(unrated)} have no forecast (no forecast finish, or no class)."
    return text


def calibration(back_test: pd.DataFrame) -> str:
    """How often the P80 finish dates forecast at earlier snapshots held."""
    if back_test.empty or not back_test["forecast"].sum():
        return (
            "How often these forecasts come true is shown once the store holds three snapshots:"
            " forecasts made at an earlier one are checked against the latest."
        )
    parts = [
        f"of {fmt.count(row.forecast)} P80 finish dates forecast at {fmt.date(row.forecast_at)},"
        f" {fmt.share(row.share)} held"
        for row in back_test.itertuples()
        if row.forecast
    ]
    return (
        "Checked against the latest snapshot (the project finished, or still stood forecast, on"
        " or before its P80): " + "; ".join(parts) + "."
    )


def raid(log, currency: str) -> str:
    """The decisions, actions and changes in words (each only when its table has rows)."""
    from pmo_lib.metrics import raid as r

    parts = []
    if not log.decisions.empty:
        late = log.decisions_overdue
        parts.append(
            f"{fmt.count(len(late))} of {fmt.count(len(log.decisions))} decisions"
            f" {'is' if len(late) == 1 else 'are'} overdue (not decided by the date needed)"
            + (
                f", the longest by {fmt.count(late['days_overdue'].max())} days."
                if len(late)
                else "."
            )
        )
    if not log.actions.empty:
        late = log.actions_overdue
        owners = len(log.actions_by_owner)
        parts.append(
            f"{fmt.count(len(late))} of {fmt.count(len(log.actions))} actions"
            f" {'is' if len(late) == 1 else 'are'} overdue"
            + (
                f", held by {fmt.count(owners)} owner{'' if owners == 1 else 's'}."
                if len(late)
                else "."
            )
        )
    if not log.changes.empty:
        approved = log.approved
        share = r.approved_share(approved)
        m = lambda v: fmt.money(v, currency, compact=True)  # noqa: E731
        if approved.empty:
            parts.append("No active project has an approved change request.")
        else:
            cost = approved["approved_cost"].astype("float64").sum(min_count=1)
            text = (
                f"Approved changes move the baseline of {fmt.count(len(approved))} active"
                f" project{'' if len(approved) == 1 else 's'}"
                + (f" by {m(cost)}" if pd.notna(cost) else " (no approved cost impact recorded)")
            )
            if share["variance"] is not None and share["variance"] > 0:
                text += f"; they stand {m(share['variance'])} over their original budgets"
                if share["share"] is None:
                    text += ", none of it explained by an approved cost"
                elif share["share"] >= 1:
                    text += ", all of it approved"
                else:
                    text += (
                        f", {fmt.share(share['share'])} of it approved and"
                        f" {m(share['variance'] - share['approved'])} not"
                    )
            elif share["variance"] is not None:
                text += "; their costs at completion are within their original budgets"
            parts.append(text + ".")
    return " ".join(parts)


def managers_words(apart, active: int) -> str:
    """How many managers' reports and the numbers disagree."""
    if apart.empty:
        return (
            f"For all {fmt.count(active)} active projects, the manager's reported RAG and the"
            " computed one are at most one colour apart."
        )
    better = int((apart["reported_rag"] == "Green").sum())
    worse = len(apart) - better
    text = (
        f"{fmt.count(len(apart))} of {fmt.count(active)} active projects are reported two colours"
        f" away from what their numbers say: {fmt.count(better)} reported green but computed red"
    )
    if worse:
        text += f", {fmt.count(worse)} reported red but computed green"
    return (
        text + ". Their managers' latest words are below; where the words explain the gap, the"
        " numbers may be behind the facts, and where they do not, the report is."
    )


def dependencies(found, late, in_scope: set[str]) -> str:
    """The dependencies in words: how many, how many reach outside the scope, the points of
    contention, and those that cannot be judged."""
    outside = ~among(found["consumer_id"], in_scope) | ~among(found["supplier_id"], in_scope)
    across = int(outside.sum())
    missing = int((found["status"] == "Dates missing").sum())
    text = (
        f"{fmt.count(len(found))} dependenc{'y links' if len(found) == 1 else 'ies link'} this"
        f" scope's projects"
        + (f", {fmt.count(across)} of them with a project outside this scope" if across else "")
        + "."
    )
    unjudged = (
        f" {fmt.count(missing)} cannot be judged: a date is missing on one side." if missing else ""
    )
    if late.empty:
        judged = "of those with both dates, " if missing else ""
        return (
            text + f" None is late: {judged}every supplier's date is on or before the date it is"
            " needed." + unjudged
        )
    worst = late.iloc[0]
    text += (
        f" **{fmt.count(len(late))}** {'is a point' if len(late) == 1 else 'are points'} of"
        f" contention: the delivery is due after the date it is needed, the worst by"
        f" {fmt.count(worst['days_late'])} days ({worst['supplier_id']}'s"
        f" {worst['supplier_milestone']} for {worst['consumer_id']}), which would hit"
        f" {worst['hits']}."
    )
    return text + unjudged
