"""Plotly figures for the reports. Charts draw what the metrics computed; they compute nothing."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

TEMPLATE = "plotly_white"
COLOURS = {"issues": "#c0392b", "previous": "#95a5a6", "bar": "#2e86c1"}


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        template=TEMPLATE,
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
    return _layout(fig, title, "Issues", "Owner", height=120 + 26 * max(len(shown), 1))
