"""The sections of the executive summary: each renders one part of the page from report.view, so
the notebook shows them in order and the JupyterLab filter panel re-renders them in place."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pmo_lib import charts, data, kept
from pmo_lib.catalog import EXPLAINED_IN
from pmo_lib.data import Snapshot
from pmo_lib.metrics import dependencies, forecast, health, kpis, summary
from pmo_lib.narrative import portfolio_summary as words
from pmo_lib.report import Report
from pmo_lib.sections.health import draw_roadmap


@dataclass(frozen=True)
class SummaryView:
    load: pd.DataFrame  # hours booked per person and month, in every portfolio
    figures: dict  # the detailed reports' headline figures now
    previous_figures: dict | None  # ... at the snapshot compared with
    past: health.Past  # what earlier snapshots say of each project (health's change-based rules)
    landing: forecast.Forecast  # where active projects will land: the health page's forecasts
    scorecard: pd.DataFrame  # kpis.scorecard: each KPI now, against target, over the snapshots

    @property
    def headlines(self) -> dict:
        return self.figures


def analyse(report: Report) -> SummaryView:
    """Everything the sections show, computed once per data the report holds. The snapshots
    before the report's own come first, one at a time (each one's tables let go once its
    figures are done), so that the report's own are never held beside an earlier one's."""
    config = report.config
    load = data.resource_load(report.data)
    history = data.all_snapshots(report.data)
    past = health.Past.of(history)

    def load_of(then: Snapshot) -> pd.DataFrame:  # every person's bookings then
        if then.as_of == report.now.as_of:
            return load
        return data.resource_load(report.data, snapshot=then)

    before = None
    if report.before is not None:
        before = summary.headlines_of(
            report.before, load_of(report.before), config.portfolio, config, past
        )
    known = {report.before.as_of: before} if before is not None else {}
    # in a batch run, each earlier snapshot's figures kept for the next
    earlier = kpis.earlier_figures(history, load_of, config, past, known)
    now = summary.headlines_of(report.now, load, config.portfolio, config, past)
    landing = forecast.forecast(report.now, history)  # the health and spend pages' forecasts
    outlook = forecast.fy_outlook_range(
        report.now, landing, config.fiscal_year_start_month, config.spend.outlook_range_seed
    )
    now.update(forecast.headlines(landing, outlook))
    links = health.dependency_links(report.now, data.dependency_ends(report.data))
    now.update(dependencies.headlines(links, report.now.rows("dependencies") > 0))
    trail = kpis.trail(history, load_of, config, past, {report.now.as_of: now}, earlier)
    scorecard = kpis.scorecard(config.kpis, trail)
    return SummaryView(load, now, before, past, landing, scorecard)


def key_figures(report: Report) -> None:
    """Key figures."""
    now = report.view.figures
    before = report.view.previous_figures
    previous_as_of = report.before.as_of if report.before else None
    report.kpis(words.tiles(summary.tiles(now, before), report.config.currency, previous_as_of))


def scorecard(report: Report) -> None:
    """KPI scorecard."""
    card = report.view.scorecard
    if card.empty:
        report.notice(
            "No KPIs in the parameters: add a `kpis:` catalogue to defaults.yaml (the shipped"
            " one lists the usual service-delivery KPIs) to see the scorecard."
        )
        return
    currency = report.config.currency
    shown = card.assign(
        value_text=[
            kpis.as_text(v, u, currency) for v, u in zip(card["value"], card["unit"], strict=True)
        ],
        target_text=[
            ("≥ " if b == "higher" else "≤ ") + kpis.as_text(t, u, currency)
            for t, u, b in zip(card["target"], card["unit"], card["better"], strict=True)
        ],
        thresholds=[
            f"amber {'below' if b == 'higher' else 'above'} {kpis.as_text(a, u, currency)},"
            f" red {'below' if b == 'higher' else 'above'} {kpis.as_text(r, u, currency)}"
            for a, r, u, b in zip(
                card["amber"], card["red"], card["unit"], card["better"], strict=True
            )
        ],
        trend_text=[
            f"{s}  ({' → '.join(kpis.as_text(v, u, currency) or '–' for v in t)})" if s else ""
            for s, t, u in zip(card["sparkline"], card["trend"], card["unit"], strict=True)
        ],
    )
    report.say(words.scorecard(card))
    report.table(
        shown,
        {
            "kpi": "KPI",
            "value_text": "Now",
            "target_text": "Target",
            "status": "Status",
            "trend_text": "Trend over the snapshots",
            "thresholds": "Thresholds",
            "definition": "Definition",
        },
        rags=["status"],
    )


def changes(report: Report) -> None:
    """What changed since last period."""
    previous_as_of = report.before.as_of if report.before else None
    for sentence in words.changes(
        summary.changes(report.now, report.before, report.config, report.view.past),
        report.config.currency,
        previous_as_of,
        frozenset(t for t in words.CHANGES_NEED if not report.now.rows(t)),
    ):
        report.say(sentence)


def life_cycle(report: Report) -> None:
    """Life cycle at a glance."""
    fig = charts.lifecycle(summary.lifecycle(report.now), "From demand to delivery to closure")
    # The legend above the bars, right of the title: below, it covered the slanted stage names.
    fig.update_layout(
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1}
    )
    report.chart(fig)


def roadmap(report: Report) -> None:
    """Life cycle at a glance: the roadmap, as the health report draws it."""
    config = report.config
    assessed = health.assess(report.now, config.health, config.spend.eac_formula, report.view.past)
    draw_roadmap(report, assessed, report.view.landing)


def exceptions(report: Report) -> None:
    """Exceptions needing a decision."""
    found = summary.exceptions(
        report.now,
        report.config.portfolio,
        report.config,
        past=report.view.past,
    )
    report.table(
        with_links(
            words.exceptions(found, report.config.currency),
            lab=report.interactive,  # in JupyterLab, the link opens the notebook at the section
        ),
        {"area": "Area", "item": "Item", "why": "Why"},
        links={"item": "href"},
        empty="Nothing needs a decision.",
    )


def section_link(report: str, section: str, lab: bool = False) -> str:
    """A relative link to a section of a sibling report: its page (report.html) beside this one,
    or in JupyterLab (lab) its notebook beside this one, which the lab opens at that heading.
    Both use the same heading ids (nbconvert's and JupyterLab's: spaces become dashes)."""
    return f"{report}.{'ipynb' if lab else 'html'}#{section.replace(' ', '-')}"


def with_links(found: pd.DataFrame, lab: bool = False) -> pd.DataFrame:
    """Rows by area with the report and section that explain them (catalog.EXPLAINED_IN) and
    the link to it."""
    report = found["area"].map(lambda area: EXPLAINED_IN[area][0])
    section = found["area"].map(lambda area: EXPLAINED_IN[area][1])
    return found.assign(
        report=report,
        section=section,
        href=[section_link(r, s, lab) for r, s in zip(report, section, strict=True)],
    )


FIGURE_COLUMNS = {  # the comparison tables' figures, after the names
    "active_projects": "Active",
    "rag_red": "Red",
    "rag_amber": "Amber",
    "rag_green": "Green",
    "rag_no_data": "No data",
    "budget_at_completion": "Budget at completion",
    "fy_plan": "FY Plan",
    "fy_outlook": "Outlook",
    "fy_variance": "Variance",
    "demand_open_count": "Backlog",
    "planned_utilisation_next_month": "Util. next month",
    "open_high_risks": "High risks",
}
FIGURE_FORMATS = {
    "counts": [
        "active_projects",
        "rag_red",
        "rag_amber",
        "rag_green",
        "rag_no_data",
        "demand_open_count",
        "open_high_risks",
    ],
    "money": ["budget_at_completion", "fy_plan", "fy_outlook", "fy_variance"],
    "percent": ["planned_utilisation_next_month"],
}


def comparison(report: Report) -> None:
    """Portfolio comparison (in an enterprise store, the functions first)."""
    load, functions = report.view.load, report.data.functions
    if functions and report.config.is_function:
        by_function = summary.by_function(
            report.now, load, report.config, report.view.past, functions
        )
        report.table(
            by_function,
            _with_figures(by_function, {"function": "Function", **FIGURE_COLUMNS}),
            **FIGURE_FORMATS,
            caption="Functions",
        )
    prints = None
    if report.config.is_function:  # a batch run keeps each portfolio's row for the next
        names = summary.portfolios(report.now)
        prints = kept.data_prints(report.data.store, report.now.as_of.date(), names)
    side_by_side = summary.comparison(
        report.now, load, report.config, report.view.past, functions, prints
    )
    names = {"function": "Function", "portfolio": "Portfolio"} if functions else {}
    report.table(
        side_by_side,
        _with_figures(side_by_side, {**names, "portfolio": "Portfolio", **FIGURE_COLUMNS}),
        **FIGURE_FORMATS,
        caption="Portfolios" if functions else "",
        empty="This page covers one portfolio; the whole-function page compares them.",
    )
    subs = summary.by_sub_portfolio(report.now, report.config, report.view.past)
    report.table(
        subs,
        _with_figures(
            subs,
            {
                "portfolio": "Portfolio",
                "sub_portfolio": "Sub-portfolio",
                "projects": "Active",
                "Red": "Red",
                "Amber": "Amber",
                "Green": "Green",
                "No data": "No data",
                "fy_plan": "FY Plan",
                "fy_outlook": "Outlook",
                "fy_variance": "Variance",
            },
        ),
        counts=["projects", "Red", "Amber", "Green", "No data"],
        money=["fy_plan", "fy_outlook", "fy_variance"],
        caption="Sub-portfolios",
    )


def _with_figures(frame: pd.DataFrame, columns: dict[str, str]) -> dict[str, str]:
    """The columns that hold a figure in some row: a column the data cannot fill (FY Plan
    without financials, backlog without demand) is left out rather than shown blank."""
    return {c: t for c, t in columns.items() if c not in frame or frame[c].notna().any()}
