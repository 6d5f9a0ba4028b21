"""The index pages a run writes: outputs/<as_of>/index.html (every scope, as a tree), one
index per scope (outputs/<as_of>/<scope>/index.html: the scope and the scopes below it) and
outputs/index.html (the runs).

Plain, self-contained HTML with relative links, so a copied or e-mailed folder still works.
"""

from __future__ import annotations

import html
import json
import math
import posixpath
import re
from pathlib import Path

from pmo_lib import formatting
from pmo_lib.catalog import REPORTS
from pmo_lib.store import display_source

CSS_FILE = Path(__file__).parent / "templates" / "pmo" / "report.css"
STATUS_CLASS = {"ok": "ok", "partial": "amber", "failed": "failed", "no data": "nodata"}
PAGE_CSS = """
body { max-width: 1180px; margin: 0 auto; padding: 24px 32px; \
font-family: "Segoe UI", Roboto, Arial, sans-serif; color: #1f2933; }
.status { padding: 2px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.status.ok { background: #e3f9e5; color: #207227; }
.status.failed { background: #ffe3e3; color: #a61b1b; }
.status.nodata { background: #f0f4f8; color: #52606d; }
.status.amber { background: #fff3c4; color: #8d5b00; }
.error { color: #a61b1b; font-size: 12px; display: block; }
.pmo-crumbs { font-size: 13px; margin: 4px 0 12px; }
"""
LEVEL_INDENT = {"function": 0, "portfolio": 1, "sub_portfolio": 2, "program": 3}
LEVEL_NAMES = {
    "function": "function",
    "portfolio": "portfolio",
    "sub_portfolio": "sub-portfolio",
    "program": "program",
}
_SCOPE_PATH = re.compile(r"[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*", re.I)


def facts_html(facts: list[tuple[str, str]]) -> str:
    """The label/value row under a page title (as-of date, comparison, freshness, ...)."""
    items = "".join(
        f'<div><span class="pmo-label">{html.escape(k)}</span>'
        f'<span class="pmo-value">{html.escape(v)}</span></div>'
        for k, v in facts
    )
    return f'<div class="pmo-facts">{items}</div>'


def _page(title: str, body: str) -> str:
    css = CSS_FILE.read_text(encoding="utf-8") + PAGE_CSS
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        f"<style>{css}</style></head>"
        f"<body>{body}</body></html>"
    )


def no_data_page(report: str, scope_title: str, as_of: str, root: str = "../") -> str:
    """What a reader sees for a scope with no rows in the snapshot: a page, not a crash (root:
    the way up to the run's folder)."""
    title = REPORTS.get(report, report)
    body = (
        f'<header class="pmo-header"><p class="pmo-kicker">PMO Reports · {html.escape(title)}</p>'
        f"<h1>{html.escape(scope_title)}</h1></header>"
        f'<p class="pmo-notice">No data for {html.escape(scope_title)} in the snapshot of'
        f" {formatting.date(as_of)}: the store holds no projects or demand for this scope on that"
        " date. Check the name in its parameters file and in the exports.</p>"
        f'<p><a href="{html.escape(root)}index.html">Back to all reports</a></p>'
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


def _jobs(manifest: dict) -> list[dict]:
    return [j for j in manifest.get("jobs") or [] if isinstance(j, dict)]


def _scope_of(job: dict) -> str:
    return str(job.get("scope", ""))


class _Tree:
    """A run's jobs and the scopes they sit in, read once for every index page the run writes
    (1,167 pages: 194 scope indexes, each of which walked every job three times)."""

    def __init__(self, jobs: list[dict]):
        self.jobs = jobs
        self.scopes = [_scope_of(j) for j in jobs]
        self.parents = {
            s: str(j.get("parent") or "") for s, j in zip(self.scopes, jobs, strict=True)
        }
        # a scope's last job with a level that has an index: what the crumbs name
        self.levelled = {
            s: j for s, j in zip(self.scopes, jobs, strict=True) if j.get("level") in LEVEL_INDENT
        }

    def under(self, top: str) -> list[dict]:
        """The jobs of a scope and of every scope below it: by their parents (portfolios sit
        beside the function's folder, not in it), else by folder."""
        if not top:
            return self.jobs
        below = {scope for scope in self.parents if self._below(scope, top)}
        return [j for j, scope in zip(self.jobs, self.scopes, strict=True) if scope in below]

    def _below(self, scope: str, top: str) -> bool:
        seen: set[str] = set()
        while scope and scope not in seen:
            if scope == top or scope.startswith(top + "/"):
                return True
            seen.add(scope)
            scope = self.parents.get(scope, "")
        return False


def _link(path: str, here: str) -> str:
    """A folder under the run's as a link from the folder here ("" = the run's)."""
    return posixpath.relpath(path, here) if here else path


def _safe(scope: str) -> bool:
    """A scope's folder as the runner makes them: names under the run's folder, never '..'."""
    return bool(_SCOPE_PATH.fullmatch(scope)) and ".." not in scope.split("/")


def _scope_name(job: dict) -> str:
    """A scope's own name on its row: the program's, sub-portfolio's or portfolio's."""
    for key in ("program", "sub_portfolio"):
        if job.get(key):
            return str(job[key])
    return str(job.get("portfolio") or f"{job.get('title') or 'IT Function'} (all portfolios)")


def _status_cell(job: dict, here: str) -> str:
    scope = _scope_of(job)
    status = str(job.get("status", ""))
    absent = job.get("absent") if isinstance(job.get("absent"), list) else []
    lacks = f' title="no {_text(", ".join(map(str, absent)))} in the data"' if absent else ""
    label = f'<span class="status {STATUS_CLASS.get(status, "")}"{lacks}>{_text(status)}</span>'
    if absent:
        label += f'<span class="error">no {_text(", ".join(map(str, absent)))}</span>'
    folder = _link(scope, here)
    link = f'<a href="{_text(folder)}/{_text(job["html"])}">open</a> ' if job.get("html") else ""
    if job.get("ipynb") and status == "failed":
        link += f'<a href="{_text(folder)}/{_text(job["ipynb"])}">notebook</a> '
    error = f'<span class="error">{_text(job["error"])}</span>' if job.get("error") else ""
    headlines = job.get("headlines") if isinstance(job.get("headlines"), dict) else {}
    score = _percent(headlines.get("dq_score"))
    figure = f" score {score}" if score else ""
    seconds = _number(job.get("seconds"))
    took = f" <small>{seconds:.1f}s</small>" if seconds is not None else ""
    return f"{link}{label}{figure}{took}{error}"


def _scope_table(jobs: list[dict], here: str, functions: dict | None = None) -> str:
    """Scopes × reports: each scope's computed RAG, spend variance and reports, as a tree
    (indented by level; a scope's name opens its own index, which drills down). In an
    enterprise store (functions: portfolio -> function), a function's heading row comes before
    its portfolios, which show their own names under it."""
    functions = functions if isinstance(functions, dict) else {}
    reports = list(dict.fromkeys(str(j.get("report", "")) for j in jobs))
    scopes: dict[str, list[dict]] = {}  # each scope's jobs, scopes in their first job's order
    for job in jobs:
        scopes.setdefault(_scope_of(job), []).append(job)
    by_key = {(_scope_of(j), str(j.get("report", ""))): j for j in jobs}
    head = "<th>Computed RAG</th><th>Spend variance</th>" + "".join(
        f"<th>{html.escape(REPORTS.get(r, r))}</th>" for r in reports
    )
    rows = []
    heading = None
    for scope, members in scopes.items():
        first = members[0]
        name = _text(_scope_name(first))
        level = str(first.get("level", ""))
        function = functions.get(str(first.get("portfolio") or ""))
        if function and level == "portfolio":
            if function != heading:
                heading = function
                rows.append(
                    f"<tr><th colspan='{len(reports) + 3}'>{html.escape(function)}"
                    " <small>function</small></th></tr>"
                )
            name = _text(_scope_name(first).removeprefix(f"{function} › "))
        if level in LEVEL_INDENT and _safe(scope):
            name = f'<a href="{_text(_link(scope, here))}/index.html">{name}</a>'
            if level != "portfolio" and level != "function":
                name += f" <small>{LEVEL_NAMES[level]}</small>"
        indent = LEVEL_INDENT.get(level, 0)
        style = f' style="padding-left: {0.5 + 1.5 * indent:g}em"' if indent else ""
        figures: dict = {}
        for job in members:
            if isinstance(job.get("headlines"), dict):
                figures.update(job["headlines"])
        cells = [
            f"<td>{_rag_cell(figures)}</td>",
            f"<td class='num'>{_variance_cell(figures)}</td>",
        ]
        for report in reports:
            job = by_key.get((scope, report))
            cells.append("<td></td>" if job is None else f"<td>{_status_cell(job, here)}</td>")
        rows.append(f"<tr><th{style}>{name}</th>{''.join(cells)}</tr>")
    return (
        f"<table class='pmo-table'><thead><tr><th>Scope</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _customer_table(jobs: list[dict], here: str) -> str:
    """One row per customer page: its requests, the projects that deliver them, and the link."""
    if not jobs:
        return ""
    rows = []
    for job in jobs:
        f = job.get("headlines") if isinstance(job.get("headlines"), dict) else {}
        rag = " ".join(
            f'<span class="status {css}">{html.escape(_count(f.get(key)))} {word}</span>'
            for word, key, css in (
                ("red", "projects_red", "failed"),
                ("amber", "projects_amber", "amber"),
                ("green", "projects_green", "ok"),
                ("no data", "projects_no_data", "nodata"),
            )
            if _number(f.get(key))
        )
        within = _text(str(job.get("title", "")).rsplit(" › ", 1)[0])
        rows.append(
            f"<tr><th>{_text(job.get('customer') or job.get('title') or '')}</th>"
            f"<td>{within}</td><td class='num'>{_count(f.get('requests_open'))}</td>"
            f"<td class='num'>{_count(f.get('requests_past_sla'))}</td>"
            f"<td class='num'>{_count(f.get('projects_delivering'))}</td><td>{rag}</td>"
            f"<td class='num'>{_count(f.get('projects_late'))}</td>"
            f"<td>{_status_cell(job, here)}</td></tr>"
        )
    return (
        "<h2>Customers</h2><table class='pmo-table'><thead><tr><th>Customer</th><th>Of</th>"
        "<th>Open requests</th><th>Past SLA</th><th>Projects delivering</th>"
        "<th>Their computed RAG</th><th>Late</th><th>Page</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def run_index(manifest: dict, scope: str = "", tree: _Tree | None = None) -> str:
    """The scopes of one as_of as a tree of rows (function, portfolios, sub-portfolios,
    programs), each with its computed RAG, spend variance and reports, then the customer pages;
    with scope, the index of that scope's folder: it and the scopes below it. Any figure may
    be odd (null, inf, nan, 1e308, a word): its cell is blank or shown as it is, and the page
    is written. tree: the manifest's jobs as scope_indexes reads them once for all its pages."""
    tree = tree or _Tree(_jobs(manifest))
    jobs = tree.under(scope)
    customers = [j for j in jobs if j.get("level") == "customer"]
    others = [j for j in jobs if j.get("level") != "customer"]
    root = "../" * (scope.count("/") + 1) if scope else ""
    previous = manifest.get("previous_as_of")
    facts = facts_html(
        [
            ("As of", _when(manifest.get("as_of"))),
            ("Compared with", _when(previous) if previous else "none"),
            ("Generated", _when(manifest.get("generated_at"), formatting.timestamp)),
            ("Data source", display_source(str(manifest.get("source") or ""))),
        ]
    )
    as_of = html.escape(_when(manifest.get("as_of")))
    heading = f"Reports as of {as_of}"
    crumbs = ""
    if scope:
        own = next((j for j in others if _scope_of(j) == scope), None)
        name = str(own.get("title") or _scope_name(own)) if own else scope
        heading = f"{html.escape(name)} — reports as of {as_of}"
        crumbs = _crumbs(tree, scope, root)
    table = (
        _scope_table(others, scope, manifest.get("functions")) if others or not customers else ""
    )
    body = (
        f"<header class='pmo-header'><p class='pmo-kicker'>PMO Reports</p><h1>{heading}</h1>"
        f"{facts}</header>{crumbs}"
        f"{_ingest_notice(manifest.get('ingest'))}"
        f"{table}"
        f"{_customer_table(customers, scope)}"
        f"<p><a href='{root}../index.html'>All runs</a> · <a href='{root}manifest.json'>"
        "manifest.json</a></p>"
    )
    title = f"PMO Reports — {manifest.get('as_of')}" + (f" — {scope}" if scope else "")
    return _page(title, body)


def _crumbs(tree: _Tree, scope: str, root: str) -> str:
    """All reports › the scopes above › this one, each linking to its index."""
    parents = tree.levelled
    chain, here = [], parents.get(scope, {}).get("parent")
    while here and here in parents and here not in chain and len(chain) < 8:
        chain.insert(0, here)
        here = parents[here].get("parent")
    links = [f"<a href='{root}index.html'>All reports</a>"] + [
        f"<a href='{_text(_link(p, scope))}/index.html'>{_text(_scope_name(parents[p]))}</a>"
        for p in chain
    ]
    return f"<p class='pmo-crumbs'>{' › '.join(links)}</p>"


def scope_indexes(manifest: dict) -> dict[str, str]:
    """Each scope's index page by its folder (the function, portfolios, sub-portfolios and
    programs the run rendered): the drill-down from the run's index."""
    pages = {}
    tree = _Tree(_jobs(manifest))
    for job, scope in zip(tree.jobs, tree.scopes, strict=True):
        if job.get("level") in LEVEL_INDENT and _safe(scope) and scope not in pages:
            pages[scope] = run_index(manifest, scope, tree)
    return pages


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
            f"<tr><td><a href='{html.escape(folder)}/index.html'>"
            f"{html.escape(_when(manifest.get('as_of')))}</a></td>"
            f"<td>{html.escape(_when(manifest.get('generated_at'), formatting.timestamp))}</td>"
            f"<td>{html.escape(summary)}</td></tr>"
        )
    body = (
        "<header class='pmo-header'><p class='pmo-kicker'>PMO Reports</p>"
        "<h1>Report runs</h1></header>"
        "<table class='pmo-table'><thead>"
        "<tr><th>As of</th><th>Generated</th><th>Reports</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return _page("PMO Reports — runs", body)
