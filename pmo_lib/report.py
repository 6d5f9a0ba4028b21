"""What a report notebook calls: open the report (config + data + header), then show sentences,
charts and tables, and record the headline figures that the runner puts in the manifest.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pmo_lib import charts, formatting, ingest_log, store, workbook
from pmo_lib.catalog import HEADLINES_MIME, REPORTS, absent
from pmo_lib.data import PortfolioData, Snapshot
from pmo_lib.errors import PMOError
from pmo_lib.params import PROJECT_ROOT, ReportConfig
from pmo_lib.portal import facts_html
from pmo_lib.tables import MAX_CELL_CHARS, html_table

PROJECT_COLUMNS = {"project_id": "Project", "project_name": "Name", "project_manager": "Manager"}
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def _display(bundle: Mapping[str, object]) -> None:
    from IPython.display import display

    display(dict(bundle), raw=True)


TEMPLATE_DIR = Path(__file__).parent / "templates" / "pmo"
# JupyterLab's MathJax reads mathjax_ignore, older versions and nbconvert tex2jax_ignore: without
# them "$1.1M to $1.2M" would be typeset as LaTeX between the dollars.
NO_MATHS = "tex2jax_ignore mathjax_ignore"


def lab_stylesheet() -> str:
    """The page stylesheet's own rules (pmo-*, rag cells), for JupyterLab: the exported HTML
    loads the whole file, but its rules for the notebook's chrome (jp-*) and print would restyle
    the lab itself. Screen-only rules (@media screen) keep their own."""
    text = (TEMPLATE_DIR / "report.css").read_text(encoding="utf-8")
    return "\n".join(_own_rules(re.sub(r"/\*.*?\*/", "", text, flags=re.S)))


def _own_rules(text: str) -> list[str]:
    rules, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                rule = text[start : i + 1].strip()
                selector, body = rule.split("{", 1)
                if selector.strip() == "@media screen":
                    if inner := _own_rules(body[: body.rindex("}")]):
                        rules.append(f"@media screen {{ {' '.join(inner)} }}")
                elif not selector.startswith("@") and ("pmo" in selector or ".rag" in selector):
                    rules.append(rule)
                start = i + 1
    return rules


def lab_assets() -> str:
    """What JupyterLab needs of the exported page, shown once above the report: the page's
    rules, and the script that makes long tables sortable, searchable and paged (the same
    explore.js the HTML runs; it also sets up the tables that render later, as the filter panel
    re-renders sections), with lab.js, which brings a linked section of another notebook into
    view. JupyterLab runs them because the output comes from the analyst's own kernel."""
    scripts = "".join(
        f"<script>{(TEMPLATE_DIR / name).read_text(encoding='utf-8')}</script>"
        for name in ("explore.js", "lab.js")
    )
    return f"<style>{lab_stylesheet()}</style>{scripts}"


def _html(markup: str) -> None:
    _display({"text/html": f'<div class="{NO_MATHS}">{markup}</div>', "text/plain": ""})


@dataclass
class Report:
    """One report for one portfolio (or the function) at one as_of date."""

    name: str
    config: ReportConfig
    data: PortfolioData
    source: str = ""  # as given to open_report: the filter panel reloads from it
    workbook: str = ""  # where the footer writes the workbook of the page's tables ("" = none)
    interactive: bool = False  # in JupyterLab: sections render into widgets the panel refreshes
    sections: object = field(default=None, repr=False)  # the report's pmo_lib.sections module
    sheets: dict = field(
        default_factory=dict
    )  # workbook sheet name -> (frame, money columns, date columns)
    _view: object = field(default=None, repr=False)
    _rendered: list = field(default_factory=list, repr=False)  # (output widget, section)
    panel: object = field(default=None, repr=False)  # the filter panel, once shown

    @property
    def view(self):
        """What the report's sections show (its sections module's analyse), computed once per
        data the report holds."""
        if self._view is None:
            if self.sections is None:
                raise PMOError(_pass_sections(self.name))
            self._view = self.sections.analyse(self)
        return self._view

    @property
    def currency_symbol(self) -> str:
        return formatting.CURRENCY_SYMBOLS.get(self.config.currency, "")

    # -- sections and the filter panel ---------------------------------------------------------
    def section(self, render: Callable[[Report], None]) -> None:
        """Show one section of the page. In JupyterLab it renders into an output widget, which
        the filter panel re-renders in place when a choice changes; elsewhere it renders once.
        A section marked with `needs` shows one notice instead when its tables are empty."""
        if not self.interactive:
            self._show(render)
            return
        from IPython.display import display
        from ipywidgets import Output

        out = Output()
        display(out)
        self._rendered.append((out, render))
        self._render_into(out, render)

    def _render_into(self, out, render: Callable[[Report], None]) -> None:
        with out:
            try:
                self._show(render)
            except PMOError as exc:
                self.notice(str(exc))

    def _show(self, render: Callable[[Report], None]) -> None:
        with store.held(self.data.store):  # the section's reads share one open store
            self._show_held(render)

    def _show_held(self, render: Callable[[Report], None]) -> None:
        missing = [t for t in getattr(render, "needs", ()) if not self.now.rows(t)]
        if not missing:
            render(self)
        elif not getattr(render, "quietly", False):
            self.notice(
                f"No {' or '.join(t.replace('_', ' ') for t in missing)} in this data for this"
                " scope: this section has nothing to show."
            )

    def filter_panel(self) -> None:
        """In JupyterLab, show the panel that chooses portfolio, sub-portfolio, program, as-of and
        comparison snapshots and re-renders the sections in place. Under papermill or the
        runner it shows nothing, and the report renders statically."""
        if not self.interactive:
            return
        from pmo_lib.panel import FilterPanel

        self.panel = FilterPanel(self)
        self.panel.show()

    def refilter(self, config: ReportConfig, data: PortfolioData) -> None:
        """Hold other data (another choice in the filter panel) and re-render every section."""
        self.config, self.data, self._view, self.sheets = config, data, None, {}
        for out, render in self._rendered:
            out.clear_output(wait=True)
            self._render_into(out, render)

    @property
    def title(self) -> str:
        return REPORTS.get(self.name, self.name.replace("_", " ").capitalize())

    @property
    def now(self) -> Snapshot:
        return self.data.current

    @property
    def before(self) -> Snapshot | None:
        return self.data.previous

    @property
    def as_of(self) -> pd.Timestamp:
        return self.data.current.as_of

    def money(self, value: object, compact: bool = False) -> str:
        return formatting.money(value, self.config.currency, compact)

    # -- page parts ---------------------------------------------------------------------------
    def header(self) -> None:
        """The page header: what, which scope, as of when, compared with what, how fresh."""
        self.section(Report._header)

    def _header(self) -> None:
        before = formatting.date(self.before.as_of) if self.before else "no earlier snapshot"
        facts = [
            ("As of", formatting.date(self.as_of)),
            ("Compared with", before),
            ("Data loaded", formatting.timestamp(self.data.ingested_at)),
            ("Generated", formatting.timestamp(datetime.now())),
        ]
        scope = "whole IT function, all portfolios" if self.config.is_function else "portfolio"
        name = html.escape(self.config.title)
        if self.data.sub_portfolio:
            name, scope = f"{name} › {html.escape(self.data.sub_portfolio)}", "sub-portfolio"
        if self.data.program:
            name, scope = f"{name} › {html.escape(self.data.program)}", "program"
        if self.data.customer:
            name, scope = f"{name} › {html.escape(self.data.customer)}", "customer"
        _html(
            '<header class="pmo-header">'
            f'<p class="pmo-kicker">PMO Reports · {html.escape(self.title)}</p>'
            f"<h1>{name} <small>({scope})</small></h1>"
            f"{facts_html(facts)}</header>"
        )
        if banner := ingest_log.banner(self.data.ingest_log, self.config.portfolio):
            self.notice(banner)
        if self.data.current.is_empty:
            self.notice(
                f"No data for {self.config.title} in the snapshot of {formatting.date(self.as_of)}."
            )
        elif missing := absent(self.name, self.now.rows):
            shown = "; ".join(f"no {table} rows, so not {what}" for table, what in missing.items())
            self.notice(
                f"Partial data: this snapshot has {shown}. The other sections are complete;"
                " load those tables (run_reports.py ingest, or a mapping file) to show the rest."
            )

    def say(self, *sentences: str) -> None:
        """A generated paragraph (plain text; **bold** marks the key figures)."""
        text = formatting.cut(" ".join(s for s in sentences if s), 5 * MAX_CELL_CHARS)
        parts = html.escape(text).split("**")
        marked = "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))
        _html(f'<p class="pmo-say">{marked}</p>')

    def kpis(self, tiles: Iterable[tuple[str, str, str]]) -> None:
        """Headline tiles: (label, value, note under it)."""
        cells = "".join(
            f'<div class="pmo-kpi"><span class="pmo-label">{html.escape(label)}</span>'
            f'<span class="pmo-kpi-value">{html.escape(value)}</span>'
            f'<span class="pmo-kpi-note">{html.escape(note)}</span></div>'
            for label, value, note in tiles
        )
        _html(f'<div class="pmo-kpis">{cells}</div>')

    def notice(self, text: str) -> None:
        _html(f'<p class="pmo-notice">{html.escape(text)}</p>')

    def notices(self, heading: str, items: Iterable[str]) -> None:
        """Several notices in one box, under a heading (nothing when there are none)."""
        items = [i for i in items if i]
        if not items:
            return
        listed = "".join(f"<li>{html.escape(i)}</li>" for i in items)
        _html(f'<div class="pmo-notice"><p>{html.escape(heading)}</p><ul>{listed}</ul></div>')

    def chart(self, fig: go.Figure | None, missing: str = "") -> None:
        """A plotly chart, never through a CDN. In the HTML it is a div that draws with the
        plotly.js the runner puts in the page; in JupyterLab and Voila (interactive) it goes
        once, as plotly's mimetype, which their plotly renderer draws (a second, HTML copy
        would double what each filter change sends). A chart the data cannot feed (None)
        shows the `missing` notice instead."""
        if fig is None:
            self.notice(missing or "This chart needs data the snapshot does not have.")
            return
        fig = charts.escape_data_text(fig)
        if self.interactive:
            spec = json.loads(fig.to_json())
            spec["config"] = PLOTLY_CONFIG
            _display({"application/vnd.plotly.v1+json": spec, "text/plain": ""})
            return
        div = fig.to_html(
            full_html=False, include_plotlyjs=False, include_mathjax=False, config=PLOTLY_CONFIG
        )
        _display({"text/html": f'<div class="pmo-chart">{div}</div>', "text/plain": ""})

    def table(
        self, frame: pd.DataFrame, columns: Mapping[str, str] | None = None, **formats
    ) -> None:
        """A formatted table: columns maps frame columns to headings (and picks them); formats
        name the columns shown as money, percent, counts, dates ... (see tables.html_table).
        The table also goes, unformatted and whole, into the report's Excel workbook."""
        _html(html_table(frame, columns, self.config.currency, **formats))
        self._keep(frame, columns, formats)

    def _keep(self, frame: pd.DataFrame, columns: Mapping[str, str] | None, formats: dict) -> None:
        if frame.empty:
            return
        headings = dict(columns or {c: c for c in frame.columns})
        title = formats.get("caption") or next(iter(headings.values()))
        name = workbook.sheet_name(title, self.sheets)
        money = {headings[c] for c in formats.get("money", ()) if c in headings}
        dates = {
            headings[c]
            for c in [*formats.get("dates", ()), *formats.get("months", ())]
            if c in headings
        }
        self.sheets[name] = (workbook.sheet(frame, headings), money, dates)

    def save_workbook(self, path: str | Path) -> Path:
        """Write every table shown so far to an Excel workbook, one sheet each."""
        return workbook.write(Path(path), self.sheets)

    def record(self, figures: Mapping[str, float | int | None]) -> None:
        """Hand the report's headline figures to the runner's manifest: money exact to the cent
        (sums of float amounts carry noise such as 66730000.07000001: rounded to 6 decimals,
        which keeps ratios precise and cents exact), blank as null, never as 0."""
        clean = {k: clean_figure(v) for k, v in figures.items()}
        _display({HEADLINES_MIME: clean, "text/plain": ""})

    def footer(self) -> None:
        """Run parameters, and the link to the workbook of the page's tables (under the runner)."""
        self.section(Report._footer)

    def _footer(self) -> None:
        facts = {
            "report": self.name,
            "portfolio": self.config.portfolio or "(whole function)",
            "sub-portfolio": self.data.sub_portfolio or "(all)",
            "program": self.data.program or "(all)",
            "as_of": self.as_of.date().isoformat(),
            "previous snapshot": self.before.as_of.date().isoformat() if self.before else "none",
            "parameters": str(_relative(self.config.file)),
            "data source": store.display_source(self.data.source),
            "currency": self.config.currency,
        }
        items = " · ".join(f"{k}: {html.escape(str(v))}" for k, v in facts.items())
        download = ""
        target = self.workbook
        if target and self.sheets:  # under the runner: the workbook goes beside the HTML
            self.save_workbook(target)
            name = html.escape(Path(target).name)
            download = (
                f'<p class="pmo-download"><a href="{name}" download>Download the tables of'
                f" this report (Excel, {len(self.sheets)} sheets)</a></p>"
            )
        _html(f'<footer class="pmo-footer">{download}<p>Run parameters — {items}</p></footer>')


def clean_figure(value: object) -> int | float | None:
    """A headline figure for JSON: null when blank or not finite, ints kept, floats rounded."""
    if value is None or pd.isna(value):
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    number = float(value)
    return round(number, 6) if np.isfinite(number) else None


def needs(*tables: str, quietly: bool = False):
    """Mark a section as showing nothing the data cannot support: without rows in these tables
    (for the report's scope) it shows one notice instead of empty charts and zeros; `quietly`
    for a section whose heading an earlier section already explained."""

    def mark(render: Callable[[Report], None]) -> Callable[[Report], None]:
        render.needs, render.quietly = tables, quietly
        return render

    return mark


def _relative(path: str) -> str:
    """A file as a page shows it: relative to the project, else by its name alone."""
    return store.shown_path(path, PROJECT_ROOT)


def _pass_sections(name: str) -> str:
    return (
        f"open_report('{name}', ...) needs the report's sections module: write"
        f" `from pmo_lib.sections import {name} as sections` and pass"
        f" `open_report('{name}', ..., sections=sections)`, as the report's notebook does"
    )


def _check_sections(name: str, sections: object) -> None:
    """The notebook hands open_report the sections module it imports (no import by name here:
    the sections modules import this one)."""
    if sections is None:
        raise PMOError(_pass_sections(name))
    if not callable(getattr(sections, "analyse", None)):
        raise PMOError(
            f"sections={getattr(sections, '__name__', sections)!r} is not a report's sections"
            " module: it has no analyse(report)"
        )
    module = getattr(sections, "__name__", "")
    if module.startswith("pmo_lib.sections.") and module.rsplit(".", 1)[1] != name:
        raise PMOError(
            f"open_report('{name}', ...) was given the sections of another report ({module})"
        )


def open_report(
    name: str,
    portfolio: str = "",
    as_of: str = "",
    source: str = "",
    sub_portfolio: str = "",
    program: str = "",
    compare_to: str = "",
    interactive: bool | None = None,
    customer: str = "",
    level: str = "",
    params_dir: str = "",
    workbook: str = "",
    sections: object = None,
) -> Report:
    """Validate the parameters, load the portfolio's data, show the page header and record the
    headline figures.

    portfolio: name or slug, empty for the whole function; as_of: YYYY-MM-DD, empty for the
    latest snapshot; source: a DuckDB store, empty for $PMO_SOURCE or data/pmo.duckdb;
    sub_portfolio, program: narrow the report to one of the portfolio's; compare_to: the earlier
    snapshot to compare with, empty for the one before as_of; interactive: render sections
    into widgets for the filter panel (default: only when running in JupyterLab); customer: a
    customer page's customer; level: the scope's level, checked against the names given
    (empty: any); params_dir: the folder of parameter files (empty: $PMO_PARAMS, else
    params/); workbook: where the footer writes the page's tables (empty: nowhere). The runner
    passes every one of these (docs/architecture.md). sections: the report's sections module,
    which the notebook imports (`from pmo_lib.sections import spend as sections`); required.
    """
    from pmo_lib import filters

    _check_sections(name, sections)
    choice = filters.Choice(portfolio, sub_portfolio, program, as_of, compare_to, customer)
    config, data = filters.load(choice, source, params_dir, level)
    if interactive is None:
        interactive = filters.in_jupyterlab()
    report = Report(
        name,
        config,
        data,
        source=source,
        interactive=interactive,
        workbook=workbook,
        sections=sections,
    )
    if interactive:  # the exported page has these; the lab needs the page's rules and script
        _display({"text/html": lab_assets(), "text/plain": ""})
    report.header()
    with store.held(data.store):  # the analysis' reads share one open store
        report.record(
            sections.headlines(report) if hasattr(sections, "headlines") else report.view.headlines
        )
    return report
