"""Plotly figures for the reports. Charts draw what the metrics computed; they compute nothing."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from pmo_lib.formatting import cut

TEMPLATE = "plotly_white"
# Every chart takes it as plotly's default template, which plotly applies when the chart is
# written, without the deep copy of the whole template that layout template=... makes (7 ms a
# chart, a tenth of a page's time at 1x). In a kernel that imports pmo_lib, the analyst's own
# plotly charts take it too.
pio.templates.default = TEMPLATE
# The one palette of every chart: each colour by name, and the charts name it. Red, amber and
# green are the RAG colours (and the page's rag-* cells); navy, blue and the blue-greys carry the
# ordinary series; the pale ones shade heat maps.
PALETTE = {
    "red": "#ba2525",
    "amber": "#f0b429",
    "green": "#2f8132",
    "navy": "#0b4f8a",  # actuals, deliveries, the main series
    "blue": "#2680c2",  # planned hours, delivery, a second series
    "sky": "#9fb3c8",  # arrivals, early demand stages
    "slate": "#627d98",
    "mist": "#bcccdc",  # plans, no data, non-project work
    "steel": "#829ab1",  # the plan line
    "grey": "#7b8794",  # reference lines and their notes
    "stone": "#a39e93",  # withdrawn
    "white": "#fff",
    "pale_red": "#ffe3e3",
    "pale_amber": "#fff3c4",
    "pale_green": "#e3f9e5",
    "brick": "#c0392b",  # data-quality issues
    "silver": "#95a5a6",  # the previous snapshot
    "cobalt": "#2e86c1",  # single-series bars
}
COLOURS = {"issues": PALETTE["brick"], "previous": PALETTE["silver"], "bar": PALETTE["cobalt"]}


MAX_LABEL_CHARS = 120  # a longer label is cut: a chart never carries a megabyte name
_TRACE_TEXT = ("x", "y", "text", "hovertext", "name", "labels", "customdata", "legendgrouptitle")


def _escape(value: object) -> object:
    """Text as plotly must show it: its labels understand a few HTML tags (<a href>, <span
    style>, <b>, <br>), so a name typed as markup would become a live link or styling."""
    if isinstance(value, str):
        return html.escape(cut(value, MAX_LABEL_CHARS), quote=False)
    if isinstance(value, tuple | list | np.ndarray | pd.Series | pd.Index):
        items = list(value)
        if any(isinstance(v, str | tuple | list | np.ndarray) for v in items):
            return [_escape(v) for v in items]
    return value


def escape_data_text(fig: go.Figure) -> go.Figure:
    """Escape every text a chart shows that data can reach: trace labels, categories, names,
    hover text and custom data, annotations, tick labels and titles. Numbers and dates pass
    unchanged. Report.chart calls it on every figure, so no chart can be missed."""
    for trace in fig.data:
        for attr in _TRACE_TEXT:
            if attr in trace and trace[attr] is not None:
                value = trace[attr]
                if attr == "legendgrouptitle":
                    if value.text:
                        value.text = html.escape(value.text, quote=False)
                    continue
                trace[attr] = _escape(value)
    layout = fig.layout
    if layout.title and layout.title.text:
        layout.title.text = html.escape(layout.title.text, quote=False)
    for note in layout.annotations or ():
        if note.text:
            note.text = html.escape(note.text, quote=False)
    for axis in (a for a in layout if a.startswith(("xaxis", "yaxis"))):
        ax = layout[axis]
        if ax.ticktext is not None:
            ax.ticktext = _escape(ax.ticktext)
        if ax.categoryarray is not None:  # the same names as the escaped data, or extra rows
            ax.categoryarray = _escape(ax.categoryarray)
        if ax.title and ax.title.text:
            ax.title.text = html.escape(ax.title.text, quote=False)
    return fig


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        height=height,
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, automargin=True)
    return fig


def issue_counts(counts: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars of issues per check, this snapshot beside the previous one when given.

    counts: label, issues and optionally previous (from data_quality.change_since).
    """
    ordered = counts.iloc[::-1]
    fig = go.Figure()
    if "previous" in ordered and ordered["previous"].notna().any():
        fig.add_bar(
            y=ordered["label"],
            x=ordered["previous"].astype(float),
            orientation="h",
            name="Previous snapshot",
            marker_color=COLOURS["previous"],
            hovertemplate="%{y}: %{x} issues (previous)<extra></extra>",
        )
    fig.add_bar(
        y=ordered["label"],
        x=ordered["issues"],
        orientation="h",
        name="This snapshot",
        marker_color=COLOURS["issues"],
        text=ordered["issues"],
        textposition="outside",
        hovertemplate="%{y}: %{x} issues<extra></extra>",
    )
    fig.update_layout(barmode="group")
    return _layout(fig, title, "Issues (records to fix)", "", height=120 + 34 * len(ordered))


def issues_by_owner(owners: pd.DataFrame, title: str, top: int = 15) -> go.Figure:
    """Bars of issue counts for the owners with the most issues."""
    shown = owners.head(top).iloc[::-1]
    fig = go.Figure(
        go.Bar(
            y=shown["owner"],
            x=shown["issues"],
            orientation="h",
            marker_color=COLOURS["bar"],
            text=shown["issues"],
            textposition="outside",
            hovertemplate="%{y}: %{x} issues<extra></extra>",
        )
    )
    fig.update_xaxes(range=[0, max(shown["issues"].max() if len(shown) else 0, 1) * 1.15])
    return _layout(fig, title, "Issues", "Owner", height=120 + 26 * max(len(shown), 1))


STAGE_COLOURS = {
    "Submitted": PALETTE["sky"],
    "Triage": PALETTE["slate"],
    "Assessment": PALETTE["amber"],
    "Approved": PALETTE["green"],
    "In Delivery": PALETTE["blue"],
    "Delivered": PALETTE["navy"],
    "Rejected": PALETTE["red"],
    "Withdrawn": PALETTE["stone"],
}


def demand_funnel(funnel: pd.DataFrame, title: str) -> go.Figure:
    """Requests that reached each pipeline stage, with the stage-to-stage conversion as text."""
    text = [
        f"{r.reached:,}" + ("" if pd.isna(r.conversion) else f" · {r.conversion:.0%} converted")
        for r in funnel.itertuples()
    ]
    fig = go.Figure(
        go.Funnel(
            y=funnel["stage"],
            x=funnel["reached"],
            text=text,
            textinfo="text",
            marker={"color": [STAGE_COLOURS[s] for s in funnel["stage"]]},
            hovertemplate="%{y}: %{x} requests reached this stage<extra></extra>",
        )
    )
    return _layout(fig, title, "Requests that reached the stage", "")


def demand_outcomes(outcomes: pd.DataFrame, title: str) -> go.Figure | None:
    """Rejected and withdrawn requests by the stage they left from (None when there are none)."""
    if outcomes.empty or not outcomes["requests"].sum():
        return None
    fig = go.Figure()
    for outcome, rows in outcomes.groupby("outcome"):
        fig.add_bar(
            x=rows["left_from"],
            y=rows["requests"],
            name=outcome,
            marker_color=STAGE_COLOURS.get(outcome),
            text=rows["requests"],
            textposition="outside",
            hovertemplate=f"{outcome} from %{{x}}: %{{y}}<extra></extra>",
        )
    fig.update_layout(barmode="group")
    return _layout(fig, title, "Stage the request left from", "Requests", height=340)


def demand_flow(flow: pd.DataFrame, title: str) -> go.Figure:
    fig = go.Figure()
    for column, colour in (
        ("arrivals", PALETTE["sky"]),
        ("decisions", PALETTE["amber"]),
        ("deliveries", PALETTE["navy"]),
    ):
        fig.add_scatter(
            x=flow["month"],
            y=flow[column],
            name=column.capitalize(),
            mode="lines+markers",
            line={"color": colour},
            hovertemplate=f"%{{x|%b %Y}}: %{{y}} {column}<extra></extra>",
        )
    fig.update_xaxes(tickformat="%b %Y")
    return _layout(fig, title, "Month", "Requests", height=360)


def cumulative_flow(cfd: pd.DataFrame | None, title: str) -> go.Figure | None:
    """Stacked areas of requests in each stage at each month end (None without stage history)."""
    if cfd is None:
        return None
    fig = go.Figure()
    for stage in [c for c in STAGE_COLOURS if c in cfd.columns]:
        fig.add_scatter(
            x=cfd["month_end"],
            y=cfd[stage],
            name=stage,
            stackgroup="stages",
            mode="lines",
            line={"width": 0.5, "color": STAGE_COLOURS[stage]},
            hovertemplate=f"%{{x|%d %b %Y}}: %{{y}} in {stage}<extra></extra>",
        )
    fig.update_xaxes(tickformat="%b %Y")
    return _layout(fig, title, "Month end", "Requests", height=420)


def demand_ageing(aged: pd.DataFrame, stages: list[str], title: str) -> go.Figure:
    """Open requests per stage, within and past their stage's SLA."""
    counts = (
        aged.groupby(["stage", "past_sla"])
        .size()
        .unstack(fill_value=0)
        .reindex(stages, fill_value=0)
    )
    fig = go.Figure()
    for past, name, colour in (
        (False, "Within SLA", PALETTE["green"]),
        (True, "Past SLA", PALETTE["red"]),
    ):
        values = counts[past] if past in counts.columns else pd.Series(0, index=counts.index)
        fig.add_bar(
            x=counts.index,
            y=values,
            name=name,
            marker_color=colour,
            text=values,
            textposition="inside",
            hovertemplate=f"%{{x}}: %{{y}} requests {name.lower()}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    return _layout(fig, title, "Current stage", "Open requests", height=360)


def lead_time_distribution(leads: pd.DataFrame, title: str) -> go.Figure:
    fig = go.Figure()
    for column, name, colour in (
        ("decision_days", "Submitted → decision", PALETTE["amber"]),
        ("delivery_days", "Submitted → delivery", PALETTE["navy"]),
    ):
        values = leads[column].dropna().astype(float)
        if len(values):
            fig.add_histogram(
                x=values,
                name=name,
                marker_color=colour,
                opacity=0.7,
                xbins={"size": 15},
                hovertemplate="%{x} days: %{y} requests<extra></extra>",
            )
    fig.update_layout(barmode="overlay")
    return _layout(fig, title, "Lead time (days)", "Requests", height=360)


def lead_time_trend(by_quarter: pd.DataFrame, title: str) -> go.Figure:
    fig = go.Figure()
    for column, name, dash in (
        ("median_days", "Median", "solid"),
        ("p85_days", "85th percentile", "dash"),
    ):
        fig.add_scatter(
            x=by_quarter["quarter"],
            y=by_quarter[column],
            name=name,
            mode="lines+markers",
            line={"color": PALETTE["navy"], "dash": dash},
            hovertemplate=f"%{{x}}: {name.lower()} %{{y:.0f}} days<extra></extra>",
        )
    return _layout(
        fig, title, "Quarter of decision", "Days from submission to decision", height=340
    )


def demand_by_customer(customers: pd.DataFrame, title: str) -> go.Figure:
    shown = customers.iloc[::-1]
    text = [
        f"{r.requests} · {'' if pd.isna(r.approval_rate) else f'{r.approval_rate:.0%} approved'}"
        for r in shown.itertuples()
    ]
    fig = go.Figure(
        go.Bar(
            y=shown["customer"],
            x=shown["requests"],
            orientation="h",
            marker_color=COLOURS["bar"],
            text=text,
            textposition="outside",
            hovertemplate="%{y}: %{x} requests<extra></extra>",
        )
    )
    fig.update_xaxes(range=[0, max(shown["requests"].max(), 1) * 1.25])  # room for the labels
    return _layout(fig, title, "Requests", "Customer", height=120 + 30 * max(len(shown), 1))


def demand_vs_capacity(vs: dict | None, title: str, currency_symbol: str = "$") -> go.Figure | None:
    if vs is None:
        return None
    labels = ["Approved, not started (estimated cost)", "FY budget headroom (Plan − Outlook)"]
    values = [vs["approved_cost"], vs["headroom"]]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=values,
            marker_color=[
                PALETTE["green"],
                PALETTE["navy"] if vs["headroom"] >= 0 else PALETTE["red"],
            ],
            text=[f"{currency_symbol}{v / 1e6:,.1f}M" for v in values],
            textposition="outside",
            hovertemplate="%{x}: %{y:,.0f}<extra></extra>",
        )
    )
    fig.update_yaxes(tickprefix=currency_symbol)
    return _layout(fig, title, "", "Amount", height=360)


MONEY_TICKS = {"exponentformat": "B"}  # $1.2M, $3B: d3's SI format ("~s") read $3G


def _money_axis(fig: go.Figure, axis: str, symbol: str) -> None:
    """Money on an axis reads $1.2M, $3B (never $3G)."""
    getattr(fig, f"update_{axis}axes")(tickprefix=symbol, **MONEY_TICKS)


def _monthly_bars(
    frame: pd.DataFrame, x: str, series: list[tuple[str, str, str, str]], barmode: str
) -> go.Figure:
    """Bars per month for each (column, name, colour, hover text after the value) series."""
    fig = go.Figure()
    for column, name, colour, hover in series:
        fig.add_bar(
            x=frame[x],
            y=frame[column],
            name=name,
            marker_color=colour,
            hovertemplate=f"%{{x|%b %Y}}: %{{y:,.0f}} {hover}<extra></extra>",
        )
    fig.update_layout(barmode=barmode)
    fig.update_xaxes(tickformat="%b %Y")
    return fig


def monthly_burn(burn: pd.DataFrame, title: str, symbol: str) -> go.Figure:
    """Plan, actual (closed months) and forecast (open months) per month of the fiscal year."""
    series = [
        ("plan", "Plan", PALETTE["mist"], "plan"),
        ("actual", "Actual", PALETTE["navy"], "actual"),
        ("forecast", "Forecast", PALETTE["amber"], "forecast"),
    ]
    fig = _monthly_bars(burn, "month", series, "group")
    _money_axis(fig, "y", symbol)
    return _layout(fig, title, "Month", "Spend per month", height=380)


def cumulative_burn(burn: pd.DataFrame, title: str, symbol: str) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(
        x=burn["month"],
        y=burn["cumulative_plan"],
        name="Cumulative plan",
        mode="lines+markers",
        line={"color": PALETTE["steel"], "dash": "dash"},
        hovertemplate="%{x|%b %Y}: plan to date %{y:,.0f}<extra></extra>",
    )
    fig.add_scatter(
        x=burn["month"],
        y=burn["cumulative_outlook"],
        name="Actual, then forecast",
        mode="lines+markers",
        line={"color": PALETTE["navy"]},
        hovertemplate="%{x|%b %Y}: actual and forecast to date %{y:,.0f}<extra></extra>",
    )
    fig.update_xaxes(tickformat="%b %Y")
    _money_axis(fig, "y", symbol)
    return _layout(fig, title, "Month", "Cumulative spend", height=360)


def plan_vs_outlook(frame: pd.DataFrame, by: str, title: str, symbol: str) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(
        x=frame[by],
        y=frame["fy_plan"],
        name="FY Plan",
        marker_color=PALETTE["mist"],
        hovertemplate="%{x} plan: %{y:,.0f}<extra></extra>",
    )
    fig.add_bar(
        x=frame[by],
        y=frame["fy_outlook"],
        name="Outlook",
        marker_color=PALETTE["navy"],
        hovertemplate="%{x} outlook: %{y:,.0f}<extra></extra>",
    )
    fig.update_layout(barmode="group")
    _money_axis(fig, "y", symbol)
    return _layout(fig, title, "", "Amount", height=340)


def cpi_spi_quadrant(ev: pd.DataFrame, title: str) -> go.Figure:
    """CPI against SPI per project; the lines at 1.0 split under/over budget and ahead/behind."""
    shown = ev.dropna(subset=["cpi", "spi"])
    fig = go.Figure(
        go.Scatter(
            x=shown["spi"],
            y=shown["cpi"],
            mode="markers",
            text=shown["project_id"] + " " + shown["project_name"],
            marker={
                "size": 9,
                "color": PALETTE["blue"],
                "line": {"width": 1, "color": PALETTE["white"]},
            },
            hovertemplate="%{text}<br>SPI %{x:.2f}, CPI %{y:.2f}<extra></extra>",
        )
    )
    fig.add_hline(y=1, line={"color": PALETTE["grey"], "dash": "dot"})
    fig.add_vline(x=1, line={"color": PALETTE["grey"], "dash": "dot"})
    for x, y, text in (
        (0.02, 0.98, "under budget, behind"),
        (0.98, 0.98, "under budget, ahead"),
        (0.02, 0.02, "over budget, behind"),
        (0.98, 0.02, "over budget, ahead"),
    ):
        fig.add_annotation(
            xref="paper",
            yref="paper",
            x=x,
            y=y,
            text=text,
            showarrow=False,
            font={"color": PALETTE["grey"], "size": 11},
            xanchor="left" if x < 0.5 else "right",
        )
    return _layout(
        fig,
        title,
        "SPI (schedule performance, EV ÷ PV)",
        "CPI (cost performance, EV ÷ AC)",
        height=460,
    )


def outlook_drift(by_portfolio: pd.DataFrame, title: str, symbol: str) -> go.Figure:
    fig = go.Figure()
    for portfolio, rows in by_portfolio.groupby("portfolio"):
        fig.add_scatter(
            x=rows["as_of"],
            y=rows["fy_outlook"],
            name=portfolio,
            mode="lines+markers",
            hovertemplate=f"{portfolio} %{{x|%d %b %Y}}: %{{y:,.0f}}<extra></extra>",
        )
    fig.update_xaxes(tickformat="%d %b %Y", tickvals=sorted(by_portfolio["as_of"].unique()))
    _money_axis(fig, "y", symbol)
    return _layout(fig, title, "Snapshot", "Full-year Outlook", height=360)


RAG_COLOURS = {
    "Green": PALETTE["green"],
    "Amber": PALETTE["amber"],
    "Red": PALETTE["red"],
    "No data": PALETTE["mist"],
}


def rag_bars(table: pd.DataFrame, by: str, title: str, x_title: str, top: int = 25) -> go.Figure:
    """Stacked bars of projects per computed RAG (columns Green, Amber, Red, No data) by a key;
    past `top` groups, the largest are shown and the rest are one bar ("N others")."""
    colours = [c for c in RAG_COLOURS if c in table]
    if len(table) > top:
        ranked = table.assign(_n=table[colours].sum(axis=1)).sort_values(
            ["_n", by], ascending=[False, True], kind="stable"
        )
        rest = ranked.iloc[top - 1 :]
        other = {by: f"{len(rest):,} others", **{c: int(rest[c].sum()) for c in colours}}
        table = pd.concat([ranked.iloc[: top - 1], pd.DataFrame([other])], ignore_index=True)
    fig = go.Figure()
    for rag, colour in RAG_COLOURS.items():
        if rag in table:
            fig.add_bar(
                x=table[by].astype("str"),
                y=table[rag],
                name=rag,
                marker_color=colour,
                text=table[rag].where(table[rag] > 0),
                textposition="inside",
                hovertemplate=f"%{{x}}: %{{y}} {rag.lower()}<extra></extra>",
            )
    fig.update_layout(barmode="stack")
    return _layout(fig, title, x_title, "Active projects", height=360)


def finish_slip(assessed: pd.DataFrame, title: str, top: int = 25) -> go.Figure:
    shown = (
        assessed.dropna(subset=["slip_days"])
        .sort_values("slip_days", ascending=False)
        .head(top)
        .iloc[::-1]
    )
    fig = go.Figure(
        go.Bar(
            y=shown["project_id"] + " " + shown["project_name"],
            x=shown["slip_days"],
            orientation="h",
            marker_color=[RAG_COLOURS.get(r, PALETTE["mist"]) for r in shown["rag_slip"]],
            text=shown["slip_days"].round(0).astype(int),
            textposition="outside",
            hovertemplate="%{y}: %{x} days<extra></extra>",
        )
    )
    return _layout(
        fig,
        title,
        "Forecast finish − baseline finish (days)",
        "",
        height=140 + 24 * max(len(shown), 1),
    )


def risk_heat_map(grid: pd.DataFrame, title: str) -> go.Figure:
    """5 × 5 probability × impact grid of open risks, coloured by score band."""
    probability, impact = grid.index.to_numpy(), grid.columns.to_numpy()
    score = probability[:, None] * impact[None, :]
    band = (score >= 15) * 2 + ((score >= 8) & (score < 15)) * 1
    fig = go.Figure(
        go.Heatmap(
            z=band,
            x=[f"Impact {i}" for i in impact],
            y=[f"Probability {p}" for p in probability],
            text=grid.to_numpy(),
            texttemplate="%{text}",
            colorscale=[
                [0, PALETTE["pale_green"]],
                [0.5, PALETTE["pale_amber"]],
                [1, PALETTE["pale_red"]],
            ],
            showscale=False,
            hovertemplate="%{y}, %{x}: %{text} open risks<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    return _layout(fig, title, "Impact", "Probability", height=420)


def opened_closed(flow: pd.DataFrame, title: str) -> go.Figure:
    series = [
        ("opened", "Raised", PALETTE["red"], "raised"),
        ("closed", "Closed", PALETTE["green"], "closed"),
    ]
    fig = _monthly_bars(flow, "month", series, "group")
    return _layout(fig, title, "Month", "Risks and issues", height=340)


def capacity_vs_demand(by_month: pd.DataFrame, title: str) -> go.Figure:
    series = [
        ("planned_hours", "Planned (allocated)", PALETTE["blue"], "h planned"),
        ("actual_hours", "Actual (timesheets)", PALETTE["navy"], "h actual"),
    ]
    fig = _monthly_bars(by_month, "period", series, "group")
    fig.add_scatter(
        x=by_month["period"],
        y=by_month["capacity_hours"],
        name="Capacity",
        mode="lines+markers",
        line={"color": PALETTE["red"], "width": 3},
        hovertemplate="%{x|%b %Y}: %{y:,.0f} h capacity<extra></extra>",
    )
    fig.update_yaxes(tickformat="~s")
    return _layout(fig, title, "Month", "Hours", height=380)


def utilisation_heat_map(
    table: pd.DataFrame, by: str, value: str, title: str, over: float, under: float
) -> go.Figure:
    """Team (or role) × month utilisation (%), coloured under-used / in range / over-allocated."""
    grid = table.pivot_table(index=by, columns="period", values=value, aggfunc="sum")
    z = grid.to_numpy(dtype="float64")
    text = [["" if np.isnan(v) else f"{v:.0f}%" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[c.strftime("%b %Y") for c in grid.columns],
            y=grid.index.astype("str"),
            text=text,
            texttemplate="%{text}",
            zmin=0,
            zmax=max(over * 1.3, 1),
            colorscale=[
                [0, PALETTE["pale_amber"]],
                [under / (over * 1.3), PALETTE["pale_green"]],
                [over / (over * 1.3), PALETTE["pale_green"]],
                [min(over * 1.05 / (over * 1.3), 1), PALETTE["pale_red"]],
                [1, PALETTE["red"]],
            ],
            hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
            colorbar={"title": {"text": "%"}},
            xgap=2,
            ygap=2,
        )
    )
    return _layout(fig, title, "Month", "", height=140 + 32 * max(len(grid), 1))


def shortfall_by_role(short: pd.DataFrame, title: str) -> go.Figure:
    fig = go.Figure()
    for column, name, colour in (
        ("next_3_months", "Next 3 months", PALETTE["amber"]),
        ("next_6_months", "Next 6 months", PALETTE["red"]),
    ):
        fig.add_bar(
            x=short["role"],
            y=short[column],
            name=name,
            marker_color=colour,
            hovertemplate=f"%{{x}}: %{{y:,.0f}} h ({name.lower()})<extra></extra>",
        )
    fig.update_layout(barmode="group")
    return _layout(fig, title, "Role", "Planned − capacity (hours; above 0 = short)", height=360)


def workforce_mix(mix: pd.DataFrame, title: str, symbol: str) -> go.Figure:
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("FTE (home resources)", "Cost of timesheet hours")
    )
    colours = [PALETTE["navy"], PALETTE["blue"], PALETTE["amber"]]
    fig.add_bar(
        x=mix["employment_type"],
        y=mix["fte"],
        marker_color=colours,
        row=1,
        col=1,
        showlegend=False,
        hovertemplate="%{x}: %{y:.1f} FTE<extra></extra>",
    )
    fig.add_bar(
        x=mix["employment_type"],
        y=mix["cost"],
        marker_color=colours,
        row=1,
        col=2,
        showlegend=False,
        hovertemplate="%{x}: %{y:,.0f}<extra></extra>",
    )
    fig.update_yaxes(title_text="FTE", row=1, col=1)
    fig.update_yaxes(title_text="Cost", tickprefix=symbol, **MONEY_TICKS, row=1, col=2)
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        height=360,
        margin={"l": 10, "r": 20, "t": 80, "b": 40},
    )
    return fig


def project_share(share: pd.DataFrame, title: str) -> go.Figure:
    series = [
        ("project_hours", "Project work", PALETTE["blue"], "h on projects"),
        ("bau_hours", "Non-project (BAU) work", PALETTE["mist"], "h non-project"),
    ]
    fig = _monthly_bars(share, "period", series, "stack")
    return _layout(fig, title, "Month", "Planned hours", height=340)


def lifecycle(stages: pd.DataFrame, title: str) -> go.Figure:
    """Demand by stage, then delivery by lifecycle stage, then closure, in one line."""
    colours = {"Demand": PALETTE["sky"], "Delivery": PALETTE["blue"], "Closure": PALETTE["navy"]}
    fig = go.Figure()
    for phase, rows in stages.groupby("phase", sort=False):
        fig.add_bar(
            x=[f"{phase}: {s}" for s in rows["stage"]],
            y=rows["count"],
            name=phase,
            marker_color=colours.get(phase),
            text=rows["count"],
            textposition="outside",
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    return _layout(fig, title, "", "Requests or projects", height=380)


def roadmap(bars: pd.DataFrame, marks: pd.DataFrame, today: pd.Timestamp, title: str) -> go.Figure:
    """A portfolio timeline: each project a bar from start to forecast finish coloured by its
    computed RAG, its baseline finish a tick behind it, a whisker on to its P80 finish where
    that is later, open milestones as diamonds (gates filled), swimlanes by sub-portfolio (the
    lane names the rows), and today's line."""
    # long names would squeeze the timeline: lane and name cut, the project's id kept whole
    lane = bars["lane"].map(lambda text: cut(text, 24))
    name = bars["project_name"].fillna("").map(lambda text: cut(text, 32))
    rows = lane + " › " + bars["project_id"] + " " + name
    order = list(rows)
    fig = go.Figure()
    for rag, colour in RAG_COLOURS.items():
        mine = bars["overall"] == rag
        if not mine.any():
            continue
        fig.add_bar(
            y=rows[mine],
            base=bars.loc[mine, "start"],
            x=(bars.loc[mine, "finish"] - bars.loc[mine, "start"]).dt.total_seconds() * 1000,
            orientation="h",
            name=rag,
            marker_color=colour,
            customdata=bars.loc[mine, ["start", "finish"]].apply(
                lambda c: c.dt.strftime("%d %b %Y")
            ),
            hovertemplate="%{y}<br>%{customdata[0]} to %{customdata[1]}<extra></extra>",
        )
    baseline = bars.dropna(subset=["baseline_finish"])
    if len(baseline):
        fig.add_scatter(
            y=rows[baseline.index],
            x=baseline["baseline_finish"],
            mode="markers",
            marker={"symbol": "line-ns-open", "size": 14, "color": PALETTE["navy"]},
            name="Baseline finish",
            hovertemplate="%{y}: baseline finish %{x|%d %b %Y}<extra></extra>",
        )
    later = bars[bars["p80_finish"] > bars["finish"]] if "p80_finish" in bars else bars.iloc[:0]
    if len(later):  # a whisker from the forecast finish to the P80 finish
        row, gap = list(rows[later.index]), [None] * len(later)
        fig.add_scatter(
            y=[v for trio in zip(row, row, gap, strict=True) for v in trio],
            x=[v for t in zip(later["finish"], later["p80_finish"], gap, strict=True) for v in t],
            mode="lines+markers",
            line={"color": PALETTE["slate"], "width": 2},
            marker={"symbol": "line-ns-open", "size": [0, 10, 0] * len(later)},
            name="To P80 finish",
            connectgaps=False,
            hoverinfo="skip",
        )
    if len(marks):
        shown = marks.merge(bars.assign(row=rows)[["project_id", "row"]], on="project_id")
        gates = shown["is_gate"].fillna(False).astype(bool)
        fig.add_scatter(
            y=shown["row"],
            x=shown["date"],
            mode="markers",
            marker={
                "symbol": ["diamond" if g else "diamond-open" for g in gates],
                "size": 9,
                "color": PALETTE["slate"],
            },
            name="Milestone (filled: gate)",
            text=shown["milestone"],
            hovertemplate="%{y}: %{text} %{x|%d %b %Y}<extra></extra>",
        )
    fig.add_shape(
        type="line",
        x0=today,
        x1=today,
        y0=0,
        y1=1,
        yref="paper",
        line={"color": PALETTE["red"], "dash": "dot", "width": 1.5},
    )
    fig.add_annotation(
        x=today,
        y=1,
        yref="paper",
        text="Today",
        showarrow=False,
        yanchor="bottom",
        font={"color": PALETTE["red"]},
    )
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1])
    fig.update_xaxes(type="date")
    fig.update_layout(barmode="overlay")
    fig = _layout(fig, title, "", "", height=180 + 22 * max(len(bars), 1))
    # the legend above the plot, right of the title (below, it would sit under the long list)
    fig.update_layout(
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1}
    )
    return fig


NETWORK_MOST = 120  # dependencies drawn at most: the late ones first


def network_columns(found: pd.DataFrame) -> dict[str, int]:
    """Each project's column in the network: 0 for a project that waits on none, else one more
    than the furthest project it waits on (a cycle in the data stops growing after one pass per
    project)."""
    nodes = list(dict.fromkeys([*found["supplier_id"], *found["consumer_id"]]))
    column = dict.fromkeys(nodes, 0)
    edges = list(zip(found["supplier_id"], found["consumer_id"], strict=True))
    for _ in range(len(nodes)):
        moved = False
        for supplier, consumer in edges:
            if column[consumer] < column[supplier] + 1 and column[supplier] < len(nodes):
                column[consumer] = column[supplier] + 1
                moved = True
        if not moved:
            break
    return column


def dependency_network(found: pd.DataFrame, in_scope: set[str], title: str) -> go.Figure:
    """Projects as dots in columns (a project to the right of those it waits on), dependencies
    as arrows from the supplier to the waiting project: red when late, grey when on time or
    delivered or dates are missing. A project outside the scope is a hollow dot."""
    found = found.head(NETWORK_MOST)
    column = network_columns(found)
    names = dict(zip(found["supplier_id"], found["supplier_name"], strict=True))
    names.update(zip(found["consumer_id"], found["consumer_name"], strict=True))
    rows: dict[int, int] = {}
    place = {}
    for node in sorted(column, key=lambda n: (column[n], str(n))):
        rows[column[node]] = rows.get(column[node], -1) + 1
        place[node] = (column[node], -rows[column[node]])
    fig = go.Figure()
    colours = {"Late": PALETTE["red"], "Dates missing": PALETTE["grey"]}
    arrows = []  # set at once: add_annotation one by one re-validates all before it
    for link in found.itertuples():
        (x0, y0), (x1, y1) = place[link.supplier_id], place[link.consumer_id]
        arrows.append(
            {
                "x": x1,
                "y": y1,
                "ax": x0,
                "ay": y0,
                "xref": "x",
                "yref": "y",
                "axref": "x",
                "ayref": "y",
                "showarrow": True,
                "arrowhead": 3,
                "arrowwidth": 2 if link.status == "Late" else 1,
                "arrowcolor": colours.get(link.status, PALETTE["mist"]),
                "standoff": 7,
                "startstandoff": 7,
                "text": "",
            }
        )
    fig.update_layout(annotations=arrows)
    for inside in (True, False):
        nodes = [n for n in place if (n in in_scope) == inside]
        if not nodes:
            continue
        fig.add_scatter(
            x=[place[n][0] for n in nodes],
            y=[place[n][1] for n in nodes],
            mode="markers+text",
            text=[str(n) for n in nodes],
            textposition="top center",
            hovertext=[f"{n} {names.get(n) or ''}".strip() for n in nodes],
            hoverinfo="text",
            marker={
                "size": 12,
                "color": PALETTE["navy"] if inside else PALETTE["white"],
                "line": {"color": PALETTE["navy"], "width": 2},
            },
            name="In this scope" if inside else "Outside this scope",
        )
    fig.add_scatter(  # legend entries for the arrows
        x=[None],
        y=[None],
        mode="lines",
        line={"color": PALETTE["red"], "width": 2},
        name="Late: needed before it is due",
    )
    fig.add_scatter(
        x=[None], y=[None], mode="lines", line={"color": PALETTE["mist"]}, name="On time or met"
    )
    fig.update_xaxes(
        tickvals=sorted(set(column.values())),
        ticktext=[
            f"{c} step{'s' if c != 1 else ''} down the chain" if c else "waits on none"
            for c in sorted(set(column.values()))
        ],
        showgrid=False,
        zeroline=False,
    )
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    height = 200 + 45 * max(rows.values(), default=0)
    return _layout(fig, title, "", "", height=min(max(height, 320), 1400))
