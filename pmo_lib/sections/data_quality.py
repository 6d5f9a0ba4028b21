"""The sections of the data-quality report: each renders one part of the page from report.view,
so the notebook shows them in order and the JupyterLab filter panel re-renders them in place."""

from __future__ import annotations

from pmo_lib import charts, hierarchy, ingest_log
from pmo_lib.metrics import data_quality as dq
from pmo_lib.narrative import data_quality as words
from pmo_lib.report import Report


def analyse(report: Report) -> dq.Assessment:
    """Everything the sections show, computed once per data the report holds."""
    return dq.assess(report.now, report.before, report.config.thresholds)


def headlines(report: Report) -> dict:
    return dq.headlines(report.now, report.view.issues)


def score(report: Report) -> None:
    """Data-quality score."""
    report.say(words.score(report.view, report.before.as_of if report.before else None))
    if skipped := report.view.unsupported:
        report.notice(
            "Not assessed for this data, so not counted in the score or below: "
            + "; ".join(f"{dq.CHECKS[k].label} ({why})" for k, why in skipped.items())
            + "."
        )
    if ingested := ingest_log.banner(report.data.ingest_log, report.config.portfolio):
        report.notice(
            "The score covers the records that were loaded. " + ingested.split(":")[0] + "."
        )


def by_kind(report: Report) -> None:
    """Issues by kind, and the change since the previous snapshot."""
    view = report.view
    report.chart(
        charts.issue_counts(view.change, "Data-quality issues by kind")
        if len(view.change)
        else None,
        missing="No check applies to this data.",
    )
    report.say(words.by_kind(view))


def by_kind_table(report: Report) -> None:
    """Issues by kind, and the change since the previous snapshot."""
    view = report.view
    report.table(
        view.change,
        {
            "label": "Check",
            "issues": "Issues now",
            "previous": "Previous",
            "change": "Change",
            "new": "New",
            "fixed": "Fixed",
        },
        counts=["issues", "previous", "new", "fixed"],
        signed=["change"],
    )


def by_owner(report: Report) -> None:
    """Records to fix, by owner."""
    view = report.view
    owners = dq.by_owner(view.issues)
    if len(owners):  # else the sentence says that no owner has anything to fix
        report.chart(charts.issues_by_owner(owners, "Issues per owner (top 15)"))
    report.say(words.owners(owners))


def records_to_fix(report: Report) -> None:
    """Records to fix, by owner."""
    view = report.view
    report.table(
        dq.records_to_fix(view.issues),
        {
            "owner": "Owner",
            "check_label": "Issue",
            "record_type": "Record",
            "record_id": "ID",
            "record_name": "Name",
            "detail": "Detail",
        },
        empty="No records to fix.",
    )


def ingest(report: Report) -> None:
    """What the ingest left out."""
    log = ingest_log.scoped(report.data.ingest_log, report.config.portfolio)
    report.say(words.ingest(ingest_log.summary(log)))
    report.table(
        ingest_log.by_cause(log),
        {"action": "What was done", "cause": "Why", "table": "Table", "entries": "Entries"},
        counts=["entries"],
        caption="Left out or blanked at ingest, by cause",
        empty="",
    )
    report.table(
        hierarchy.sort_naturally(log, ["file", "row"]),
        {
            "file": "File",
            "row": "Row",
            "column": "Column",
            "value": "Value",
            "action": "What was done",
            "expected": "Expected",
        },
        caption="Each source row left out and each cell blanked",
        empty="The ingest loaded every source row and cell of this snapshot.",
    )


def checks(report: Report) -> None:
    """The checks."""
    report.table(dq.rules(report.config.thresholds), {"label": "Check", "rule": "Rule"})
