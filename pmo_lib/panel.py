"""The filter panel an analyst sees above a report in JupyterLab (ipywidgets). A change of choice
goes through pmo_lib.filters (loading only what changed) and re-renders the report's sections
in place. Under papermill and the runner no panel is made: see Report.filter_panel."""

from __future__ import annotations

import atexit
import html
import threading
import time
import warnings
from dataclasses import replace
from datetime import date
from pathlib import Path

import ipywidgets as widgets
from IPython.display import display

from pmo_lib import filters
from pmo_lib.data import prefetch
from pmo_lib.errors import PMOError

ALL = "(all)"
_WARMING: list[tuple[threading.Event, threading.Thread]] = []  # every panel's prefetch
PREVIOUS = "(the one before)"
LATEST = "(latest)"


class FilterPanel:
    def __init__(self, report) -> None:
        self.report = report
        data = report.data
        self.choice = filters.Choice(
            portfolio=report.config.portfolio or "",
            sub_portfolio=data.sub_portfolio or "",
            program=data.program or "",
            as_of=data.current.as_of.date().isoformat(),
            compare_to=data.previous.as_of.date().isoformat() if data.previous else "",
        )
        style = {"description_width": "initial"}
        layout = widgets.Layout(width="auto", min_width="14em")
        make = lambda label: widgets.Dropdown(description=label, style=style, layout=layout)  # noqa: E731
        self.portfolio = make("Portfolio")
        self.sub_portfolio = make("Sub-portfolio")
        self.program = make("Program")
        self.as_of = make("As of")
        self.compare_to = make("Compared with")
        self.status = widgets.HTML()
        self.status.add_class("mathjax_ignore")  # a name with two "$" is not maths
        self.status.add_class("tex2jax_ignore")
        self.last_seconds: float | None = None
        self._quiet = False
        self.warming: threading.Thread | None = None  # the prefetch of the other portfolios
        self._stop_warming = threading.Event()
        # the params folder the report was opened with, not the default one
        self.params_dir = Path(report.config.file).parent
        resolved = filters.resolve(self.choice, report.source, self.params_dir)
        if resolved.choice.compare_to == (resolved.options.comparisons or [""])[-1]:
            # the snapshot before as_of: the default, offered as "(the one before)", which
            # follows the as-of date when it changes (a date chosen in the list stays)
            resolved = replace(resolved, choice=replace(resolved.choice, compare_to=""))
        self._offer(resolved)
        self._warm(resolved)
        for dropdown in self._dropdowns:
            dropdown.observe(self._changed, names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.portfolio, self.sub_portfolio, self.program]),
                widgets.HBox([self.as_of, self.compare_to]),
                self.status,
            ]
        )

    @property
    def _dropdowns(self) -> list[widgets.Dropdown]:
        return [self.portfolio, self.sub_portfolio, self.program, self.as_of, self.compare_to]

    def show(self) -> None:
        display(self.widget)

    def _offer(self, resolved: filters.Resolved) -> None:
        """Set every dropdown's options and value to the resolved choice, without re-firing."""
        self._quiet = True
        try:
            o, c = resolved.options, resolved.choice
            self.portfolio.options = o.portfolios
            self.portfolio.value = c.portfolio
            self.sub_portfolio.options = [(ALL, ""), *((s, s) for s in o.sub_portfolios)]
            self.sub_portfolio.value = c.sub_portfolio
            self.program.options = [(ALL, ""), *((p, p) for p in o.programs)]
            self.program.value = c.program
            self.as_of.options = [(LATEST, ""), *((d, d) for d in reversed(o.snapshots))]
            self.as_of.value = c.as_of if c.as_of != (o.snapshots or [""])[-1] else ""
            self.compare_to.options = [(PREVIOUS, ""), *((d, d) for d in reversed(o.comparisons))]
            self.compare_to.value = c.compare_to if c.compare_to in o.comparisons else ""
        finally:
            self._quiet = False
        self.choice = resolved.choice

    def _changed(self, _change) -> None:
        if self._quiet:
            return
        self.apply(
            filters.Choice(
                portfolio=self.portfolio.value,
                sub_portfolio=self.sub_portfolio.value,
                program=self.program.value,
                as_of=self.as_of.value,
                compare_to=self.compare_to.value,
            )
        )

    def apply(self, choice: filters.Choice) -> None:
        """Show the report for this choice: resolve it, then re-render every section."""
        started = time.perf_counter()
        self._stop_warming.set()  # the prefetch yields to the analyst's choice
        self.status.value = '<p class="pmo-say">Updating…</p>'
        try:
            resolved = filters.resolve(choice, self.report.source, self.params_dir)
        except PMOError as exc:
            self.status.value = f'<p class="pmo-notice">{html.escape(str(exc))}</p>'
            return
        self._offer(resolved)
        self.report.refilter(resolved.config, resolved.data)
        self.last_seconds = time.perf_counter() - started
        self.status.value = (
            f'<p class="pmo-say">Showing {html.escape(_scope(resolved))} · updated in'
            f" {self.last_seconds:.1f} s</p>"
        )
        self._warm(resolved)

    def _warm(self, resolved: filters.Resolved) -> None:
        """While the analyst reads, read into the snapshot cache what choosing another
        portfolio needs: each portfolio's as-of and compared snapshots, then its earlier ones
        (the trends'). A thread, stopped at the next snapshot when a choice comes in; it only
        warms the cache (pmo_lib.data.prefetch), so a failure here is the next load's to report."""
        data = resolved.data
        path = data.store
        days = [data.current.as_of.date()]
        if data.previous is not None:
            days.append(data.previous.as_of.date())
        snapshots = map(date.fromisoformat, reversed(resolved.options.snapshots))
        rest = [day for day in snapshots if day < days[0] and day not in days]
        portfolios = [value or None for _, value in resolved.options.portfolios]
        stop = threading.Event()
        self._stop_warming = stop

        def warm() -> None:
            # a warning here would land, as stderr, in whichever cell runs meanwhile
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    prefetch(path, days, portfolios, stop.is_set)
                    prefetch(path, rest, portfolios, stop.is_set)
                except Exception:  # noqa: BLE001 - a cache warm-up: the real load reports
                    return

        self.warming = threading.Thread(target=warm, name="pmo-prefetch", daemon=True)
        _WARMING[:] = [(e, t) for e, t in _WARMING if t.is_alive()]
        _WARMING.append((stop, self.warming))
        self.warming.start()


@atexit.register
def stop_warming() -> None:
    """Stop every panel's prefetch and wait for it (a kernel that exits while DuckDB reads in a
    thread aborts)."""
    for stop, _ in _WARMING:
        stop.set()
    for _, thread in _WARMING:
        thread.join(timeout=10)
    _WARMING.clear()


def _scope(resolved: filters.Resolved) -> str:
    parts = [resolved.config.title, resolved.choice.sub_portfolio, resolved.choice.program]
    data = resolved.data
    compared = data.previous.as_of.date().isoformat() if data.previous else "nothing"
    return (
        " › ".join(p for p in parts if p)
        + f" as of {data.current.as_of.date().isoformat()}, compared with {compared}"
    )
