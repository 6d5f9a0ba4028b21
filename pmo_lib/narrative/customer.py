"""The customer page's words: its tiles, where the customer's demand stands and how the
projects that deliver it are doing, requests naming a project outside the scope, and what
changed."""

from __future__ import annotations

from pmo_lib import formatting as fmt
from pmo_lib.metrics import customer


def _who(view: customer.CustomerView) -> str:
    return view.customer or "Every customer"


def _plural(n: int, word: str, many: str = "") -> str:
    return f"{fmt.count(n)} {word if n == 1 else many or word + 's'}"


def tiles(h: dict) -> list[tuple[str, str, str]]:
    """The page's tiles, from the customer's headline figures."""
    return [
        ("Open requests", fmt.count(h["requests_open"]) or "n/a", "not yet delivered"),
        ("Past SLA", fmt.count(h["requests_past_sla"]) or "n/a", "open, by stage SLA"),
        (
            "Projects delivering",
            fmt.count(h["projects_delivering"]) or "n/a",
            "named by the requests",
        ),
        ("Red", fmt.count(h["projects_red"]) or "n/a", "computed RAG"),
        ("Late", fmt.count(h["projects_late"]) or "n/a", "forecast after baseline finish"),
    ]


def summary(view: customer.CustomerView) -> str:
    """Where the customer's demand stands and how the projects that deliver it are doing."""
    h = view.headlines
    if not h["requests_total"]:
        return f"{_who(view)} has no request in this snapshot."
    text = (
        f"**{_who(view)}** has **{_plural(h['requests_open'], 'open request')}**"
        f" ({fmt.count(h['requests_past_sla'])} past their stage SLA) and"
        f" {fmt.count(h['requests_delivered'])} delivered, of {fmt.count(h['requests_total'])}."
    )
    if not h["projects_delivering"]:
        return text + " No request names a project that delivers it yet."
    rags = ", ".join(
        f"{fmt.count(h[key])} {rag.lower()}" for rag, key in customer.RAG_KEYS.items() if h[key]
    )
    late = h["projects_late"]
    return (
        text
        + f" **{_plural(h['projects_delivering'], 'project')}** deliver them"
        + (f" (computed RAG of the active ones: {rags})" if rags else "")
        + f"; {_plural(late, 'is', 'are')} forecast to finish after"
        f" {'its' if late == 1 else 'their'}"
        " baseline."
    )


def unmatched(view: customer.CustomerView) -> str:
    rows = view.unmatched
    if rows.empty:
        return ""
    named = ", ".join(sorted(set(rows["project_id"])))
    return (
        f"{_plural(len(rows), 'request names', 'requests name')} a project that is not among this"
        f" scope's projects: {fmt.cut(named, 200)}."
    )


def changes(view: customer.CustomerView, previous_as_of) -> str:
    if previous_as_of is None:
        return "There is no earlier snapshot to compare with."
    c = view.changes
    return (
        f"Since {fmt.date(previous_as_of)}: **{_plural(len(c['new']), 'new request')}**,"
        f" {fmt.count(len(c['moved']))} moved stage and {_plural(len(c['decided']), 'decision')}"
        f" taken; {_plural(len(c['new_projects']), 'project')} newly delivering,"
        f" **{fmt.count(len(c['rag']))}** with a changed computed RAG and"
        f" {fmt.count(len(c['finish']))} with a moved forecast finish."
    )
