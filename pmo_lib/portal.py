"""The index pages a run writes: outputs/<as_of>/index.html and outputs/index.html.

Plain, self-contained HTML with relative links, so a copied or e-mailed folder still works.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from pmo_lib import formatting
from pmo_lib.catalog import REPORTS

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


def run_index(manifest: dict) -> str:
    """A grid of scopes × reports with each report's status and link, for one as_of."""
    jobs = manifest["jobs"]
    reports = list(dict.fromkeys(j["report"] for j in jobs))
    scopes = list(dict.fromkeys(j["scope"] for j in jobs))
    by_key = {(j["scope"], j["report"]): j for j in jobs}
    head = "<th>Computed RAG</th><th>Spend variance</th>" + "".join(
        f"<th>{html.escape(REPORTS.get(r, r))}</th>" for r in reports
    )
    rows = []
    for scope in scopes:
        first = next(j for j in jobs if j["scope"] == scope)
        name = first["portfolio"] or "IT Function (all portfolios)"
        figures: dict = {}
        for job in jobs:
            if job["scope"] == scope:
                figures.update(job.get("headlines") or {})
        cells = [
            f"<td>{_rag_cell(figures)}</td>",
            f"<td class='num'>{_variance_cell(figures)}</td>",
        ]
        for report in reports:
            job = by_key.get((scope, report))
            if job is None:
                cells.append("<td></td>")
                continue
            status = job["status"]
            lacks = (
                f' title="no {html.escape(", ".join(job["absent"]))} in the data"'
                if job.get("absent")
                else ""
            )
            label = f'<span class="status {STATUS_CLASS.get(status, "")}"{lacks}>{html.escape(status)}</span>'
            if job.get("absent"):
                label += f'<span class="error">no {html.escape(", ".join(job["absent"]))}</span>'

            link = (
                f'<a href="{html.escape(scope)}/{html.escape(job["html"])}">open</a> '
                if job.get("html")
                else ""
            )
            if job.get("ipynb") and status == "failed":
                link += f'<a href="{html.escape(scope)}/{html.escape(job["ipynb"])}">notebook</a> '
            error = (
                f'<span class="error">{html.escape(job["error"])}</span>'
                if job.get("error")
                else ""
            )
            score = job.get("headlines", {}).get("dq_score")
            figure = f" score {formatting.percent(score)}" if score is not None else ""
            cells.append(
                f"<td>{link}{label}{figure} <small>{job['seconds']:.1f}s</small>{error}</td>"
            )
        rows.append(f"<tr><th>{html.escape(name)}</th>{''.join(cells)}</tr>")
    previous = manifest.get("previous_as_of")
    facts = facts_html(
        [
            ("As of", formatting.date(manifest["as_of"])),
            ("Compared with", formatting.date(previous) if previous else "none"),
            ("Generated", formatting.timestamp(manifest["generated_at"])),
            ("Data source", manifest["source"]),
        ]
    )
    body = (
        f"<header class='pmo-header'><p class='pmo-kicker'>PMO Reports</p><h1>Reports as of {formatting.date(manifest['as_of'])}</h1>{facts}</header>"
        f"{_ingest_notice(manifest.get('ingest'))}"
        f"<table class='pmo-table'><thead><tr><th>Portfolio</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "<p><a href='../index.html'>All runs</a> · <a href='manifest.json'>manifest.json</a></p>"
    )
    return _page(f"PMO Reports — {manifest['as_of']}", body)


def _ingest_notice(counts: dict | None) -> str:
    """What the snapshot's ingest left out, when it left out anything."""
    if not counts or not (counts["rows_left_out"] or counts["cells_blanked"]):
        return ""
    causes = ", ".join(f"{cause} {n:,}" for cause, n in counts["by_cause"].items())
    rows = f"{counts['rows_left_out']:,} source rows left out" + (f" ({causes})" if causes else "")
    return (
        f"<p class='pmo-notice'>{html.escape(rows)} and {counts['cells_blanked']:,} cells blanked"
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
        f'<span class="status {css}">{figures[key]} {name.lower()}</span>'
        for name, key, css in parts
        if figures.get(key) is not None and (key != "rag_no_data" or figures[key])
    )


def _variance_cell(figures: dict) -> str:
    if figures.get("fy_variance") is None:
        return ""
    plan = figures.get("fy_plan") or 0
    pct = f" ({formatting.percent(100 * figures['fy_variance'] / plan)})" if plan else ""
    return html.escape(formatting.money(figures["fy_variance"], compact=True) + pct)


def runs_index(outputs: Path) -> str:
    """Every run under outputs/, newest as_of first."""
    rows = []
    for manifest_path in sorted(Path(outputs).glob("*/manifest.json"), reverse=True):
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        statuses = [j["status"] for j in manifest["jobs"]]
        summary = ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))
        folder = manifest_path.parent.name
        rows.append(
            f"<tr><td><a href='{html.escape(folder)}/index.html'>{formatting.date(manifest['as_of'])}</a></td>"
            f"<td>{formatting.timestamp(manifest['generated_at'])}</td><td>{html.escape(summary)}</td></tr>"
        )
    body = (
        "<header class='pmo-header'><p class='pmo-kicker'>PMO Reports</p><h1>Report runs</h1></header>"
        "<table class='pmo-table'><thead><tr><th>As of</th><th>Generated</th><th>Reports</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return _page("PMO Reports — runs", body)
