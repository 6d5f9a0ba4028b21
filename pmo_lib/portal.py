"""The index pages a run writes: outputs/<as_of>/index.html and outputs/index.html.

Plain, self-contained HTML with relative links, so a copied or e-mailed folder still works.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

from pmo_lib import formatting
from pmo_lib.catalog import REPORTS
from pmo_lib.store import display_source

CSS_FILE = Path(__file__).parent / "templates" / "pmo" / "report.css"
STATUS_CLASS = {"ok": "ok", "partial": "amber", "failed": "failed", "no data": "nodata"}
PAGE_CSS = """
body { max-width: 1180px; margin: 0 auto; padding: 24px 32px; font-family: "Segoe UI", Roboto, Arial, sans-serif; color: #1f2933; }
.status { padding: 2px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.status.ok { background: #e3f9e5; color: #207227; }
.status.failed { background: #ffe3e3; color: #a61b1b; }
.status.nodata { background: #f0f4f8; color: #52606d; }
.status.amber { background: #fff3c4; color: #8d5b00; }
.error { color: #a61b1b; font-size: 12px; display: block; }
"""


def facts_html(facts: list[tuple[str, str]]) -> str:
    """The label/value row under a page title (as-of date, comparison, freshness, ...)."""
    items = "".join(
        f'<div><span class="pmo-label">{html.escape(k)}</span><span class="pmo-value">{html.escape(v)}</span></div>'
        for k, v in facts
    )
    return f'<div class="pmo-facts">{items}</div>'


def _page(title: str, body: str) -> str:
    css = CSS_FILE.read_text(encoding="utf-8") + PAGE_CSS
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1.0"><style>{css}</style></head>'
        f"<body>{body}</body></html>"
    )


def no_data_page(report: str, scope_title: str, as_of: str) -> str:
    """What a reader sees for a portfolio with no rows in the snapshot: a page, not a crash."""
    title = REPORTS.get(report, report)
    body = (
        f'<header class="pmo-header"><p class="pmo-kicker">PMO Reports · {html.escape(title)}</p>'
        f"<h1>{html.escape(scope_title)}</h1></header>"
        f'<p class="pmo-notice">No data for {html.escape(scope_title)} in the snapshot of'
        f" {formatting.date(as_of)}: the store holds no projects or demand for this portfolio on that"
        " date. Check the portfolio name in its parameters file and in the exports.</p>"
        '<p><a href="../index.html">Back to all reports</a></p>'
    )
    return _page(f"{title} — {scope_title} — no data", body)


def _number(value: object) -> float | None:
    """A manifest figure as a finite number, None for anything else (null, inf, nan, a word):
    one odd figure blanks its cell, never the page."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # ints, floats, numpy numbers, and numbers written as text
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


_HUGE = 1e15  # beyond this, a figure is shown in scientific notation, not 300 digits


def _money(value: object) -> str:
    number = _number(value)
    if number is None:
        return ""
    if abs(number) >= _HUGE:
        return f"{'-' if number < 0 else ''}${abs(number):.2e}"
    return formatting.money(number, compact=True)


def _count(value: object) -> str:
    number = _number(value)
    if number is None:
        return ""
    return f"{number:.2e}" if abs(number) >= _HUGE else f"{round(number):,}"


def _percent(value: object) -> str:
    number = _number(value)
    if number is None:
        return ""
    return f"{number:.2e}%" if abs(number) >= _HUGE else formatting.percent(number)


def _when(value: object, show=formatting.date) -> str:
    """A date of the manifest, or the text as it is when it is not one."""
    try:
        return show(value)
    except (TypeError, ValueError, OverflowError):
        return str(value or "")


def _text(value: object) -> str:
    return html.escape("" if value is None else str(value))


def run_index(manifest: dict) -> str:
    """A grid of scopes × reports with each report's status and link, for one as_of. Any
    figure may be odd (null, inf, nan, 1e308, a word): its cell is blank or shown as it is,
    and the page is written."""
    jobs = [j for j in manifest.get("jobs") or [] if isinstance(j, dict)]
    reports = list(dict.fromkeys(str(j.get("report", "")) for j in jobs))
    scopes = list(dict.fromkeys(str(j.get("scope", "")) for j in jobs))
    by_key = {(str(j.get("scope", "")), str(j.get("report", ""))): j for j in jobs}
    head = "<th>Computed RAG</th><th>Spend variance</th>" + "".join(
        f"<th>{html.escape(REPORTS.get(r, r))}</th>" for r in reports
    )
    rows = []
    for scope in scopes:
        first = next(j for j in jobs if str(j.get("scope", "")) == scope)
        name = first.get("portfolio") or "IT Function (all portfolios)"
        figures: dict = {}
        for job in jobs:
            if str(job.get("scope", "")) == scope and isinstance(job.get("headlines"), dict):
                figures.update(job["headlines"])
        cells = [
            f"<td>{_rag_cell(figures)}</td>",
            f"<td class='num'>{_variance_cell(figures)}</td>",
        ]
        for report in reports:
            job = by_key.get((scope, report))
            if job is None:
                cells.append("<td></td>")
                continue
            status = str(job.get("status", ""))
            absent = job.get("absent") if isinstance(job.get("absent"), list) else []
            lacks = (
                f' title="no {_text(", ".join(map(str, absent)))} in the data"' if absent else ""
            )
            label = (
                f'<span class="status {STATUS_CLASS.get(status, "")}"{lacks}>{_text(status)}</span>'
            )
            if absent:
                label += f'<span class="error">no {_text(", ".join(map(str, absent)))}</span>'

            link = (
                f'<a href="{_text(scope)}/{_text(job["html"])}">open</a> '
                if job.get("html")
                else ""
            )
            if job.get("ipynb") and status == "failed":
                link += f'<a href="{_text(scope)}/{_text(job["ipynb"])}">notebook</a> '
            error = f'<span class="error">{_text(job["error"])}</span>' if job.get("error") else ""
            headlines = job.get("headlines") if isinstance(job.get("headlines"), dict) else {}
            score = _percent(headlines.get("dq_score"))
            figure = f" score {score}" if score else ""
            seconds = _number(job.get("seconds"))
            took = f" <small>{seconds:.1f}s</small>" if seconds is not None else ""
            cells.append(f"<td>{link}{label}{figure}{took}{error}</td>")
        rows.append(f"<tr><th>{_text(name)}</th>{''.join(cells)}</tr>")
    previous = manifest.get("previous_as_of")
    facts = facts_html(
        [
            ("As of", _when(manifest.get("as_of"))),
            ("Compared with", _when(previous) if previous else "none"),
            ("Generated", _when(manifest.get("generated_at"), formatting.timestamp)),
            ("Data source", display_source(str(manifest.get("source") or ""))),
        ]
    )
    body = (
        f"<header class='pmo-header'><p class='pmo-kicker'>PMO Reports</p><h1>Reports as of {html.escape(_when(manifest.get('as_of')))}</h1>{facts}</header>"
        f"{_ingest_notice(manifest.get('ingest'))}"
        f"<table class='pmo-table'><thead><tr><th>Portfolio</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "<p><a href='../index.html'>All runs</a> · <a href='manifest.json'>manifest.json</a></p>"
    )
    return _page(f"PMO Reports — {manifest.get('as_of')}", body)


def _ingest_notice(counts: object) -> str:
    """What the snapshot's ingest left out, when it left out anything."""
    if not isinstance(counts, dict):
        return ""
    left_out, blanked = _number(counts.get("rows_left_out")), _number(counts.get("cells_blanked"))
    if not (left_out or blanked):
        return ""
    by_cause = counts.get("by_cause") if isinstance(counts.get("by_cause"), dict) else {}
    causes = ", ".join(f"{cause} {_count(n)}" for cause, n in by_cause.items())
    rows = f"{_count(left_out or 0)} source rows left out" + (f" ({causes})" if causes else "")
    return (
        f"<p class='pmo-notice'>{html.escape(rows)} and {_count(blanked or 0)} cells blanked"
        " at ingest: every report leaves them out; the data-quality reports list each one.</p>"
    )


def _rag_cell(figures: dict) -> str:
    if "rag_red" not in figures:
        return ""
    parts = [
        ("Red", "rag_red", "failed"),
        ("Amber", "rag_amber", "amber"),
        ("Green", "rag_green", "ok"),
        ("No data", "rag_no_data", "nodata"),
    ]
    return " ".join(
        f'<span class="status {css}">{html.escape(_count(figures.get(key)))} {name.lower()}</span>'
        for name, key, css in parts
        if _number(figures.get(key)) is not None and (key != "rag_no_data" or figures[key])
    )


def _variance_cell(figures: dict) -> str:
    variance, plan = _number(figures.get("fy_variance")), _number(figures.get("fy_plan"))
    if variance is None:
        return ""
    share = 100 * variance / plan if plan else None  # inf when 1e308 / 1e-10: not shown
    pct = f" ({_percent(share)})" if _number(share) is not None else ""
    return html.escape(_money(variance) + pct)


def runs_index(outputs: Path) -> str:
    """Every run under outputs/, newest as_of first."""
    rows = []
    for manifest_path in sorted(Path(outputs).glob("*/manifest.json"), reverse=True):
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # unreadable, cut short, not JSON: not a run to list
            continue
        if not isinstance(manifest, dict):
            continue
        jobs = manifest.get("jobs") if isinstance(manifest.get("jobs"), list) else []
        statuses = [str(j.get("status")) for j in jobs if isinstance(j, dict)]
        summary = ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))
        folder = manifest_path.parent.name
        rows.append(
            f"<tr><td><a href='{html.escape(folder)}/index.html'>{html.escape(_when(manifest.get('as_of')))}</a></td>"
            f"<td>{html.escape(_when(manifest.get('generated_at'), formatting.timestamp))}</td><td>{html.escape(summary)}</td></tr>"
        )
    body = (
        "<header class='pmo-header'><p class='pmo-kicker'>PMO Reports</p><h1>Report runs</h1></header>"
        "<table class='pmo-table'><thead><tr><th>As of</th><th>Generated</th><th>Reports</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return _page("PMO Reports — runs", body)
