"""The demand planner's panel in JupyterLab and Voila (ipywidgets): change the budget, pin
requests in or out and change the scoring weights, and the planner solves again in place.

The logic is pmo_lib.metrics.planner's (and demand.prioritise's for the weights); this module
only holds the widgets. Under papermill and the runner there is no panel (Report.interactive).
"""

from __future__ import annotations

import html
import time

import ipywidgets as widgets
import pandas as pd

from pmo_lib import formatting as fmt
from pmo_lib.metrics import demand, planner
from pmo_lib.narrative import demand_pipeline as words
from pmo_lib.tables import html_table

BUDGET_UNIT, HOURS_UNIT = planner.BUDGET_UNIT, planner.HOURS_UNIT


class PlannerPanel:
    def __init__(
        self,
        backlog: pd.DataFrame,
        inputs: planner.Inputs,
        scoring,
        currency: str,
    ) -> None:
        self.backlog, self.inputs, self.scoring, self.currency = backlog, inputs, scoring, currency
        style = {"description_width": "initial"}
        ids = list(inputs.candidates["demand_id"])
        self.budget = widgets.FloatText(
            value=max(inputs.budget or 0.0, 0.0), description="Budget", style=style
        )
        self.pinned_in = widgets.SelectMultiple(options=ids, description="Pin in", style=style)
        self.pinned_out = widgets.SelectMultiple(options=ids, description="Pin out", style=style)
        weights = scoring.model_dump() if hasattr(scoring, "model_dump") else dict(scoring)
        self.weights = {
            name: widgets.FloatSlider(
                value=float(weights[name]),
                min=0,
                max=1,
                step=0.05,
                description=name.replace("_weight", " weight").capitalize(),
                style=style,
            )
            for name in ("value_weight", "cost_weight", "priority_weight")
        }
        self.result = widgets.HTML()
        self.result.add_class("mathjax_ignore")  # "$1.2M to $3.4M" is not maths
        self.result.add_class("tex2jax_ignore")
        self.last_seconds: float | None = None
        for control in (self.budget, self.pinned_in, self.pinned_out, *self.weights.values()):
            control.observe(lambda _change: self.solve(), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.budget, *self.weights.values()]),
                widgets.HBox([self.pinned_in, self.pinned_out]),
                self.result,
            ]
        )
        self.solve()

    def candidates(self) -> pd.DataFrame:
        """The candidates scored with the panel's weights (demand.prioritise's rule)."""
        weights = self.scoring.model_copy(
            update={name: slider.value for name, slider in self.weights.items()}
        )
        scores = demand.prioritise(self.backlog, weights).set_index("demand_id")["score"]
        return self.inputs.candidates.assign(score=self.inputs.candidates["demand_id"].map(scores))

    def solve(self) -> planner.Plan:
        started = time.perf_counter()
        candidates = self.candidates()
        pins_in, pins_out = tuple(self.pinned_in.value), tuple(self.pinned_out.value)
        plan = planner.solve(candidates, self.budget.value, self.inputs.capacity, pins_in, pins_out)
        more = planner.one_more(candidates, plan, BUDGET_UNIT, HOURS_UNIT, pins_in, pins_out)
        self.last_seconds = time.perf_counter() - started
        self.result.value = self._page(plan, more)
        return plan

    def _page(self, plan: planner.Plan, more: dict) -> str:
        if plan.status == "infeasible":
            said = f"No plan: {plan.reason}."
        else:
            said = words.planner_result(plan, more, self.currency, BUDGET_UNIT, HOURS_UNIT)
        said = html.escape(said).replace("**", "")
        columns = {
            "demand_id": "Request",
            "title": "Title",
            "cost": "Estimated cost",
            "score": "Score",
        }
        chosen = html_table(
            plan.chosen,
            columns,
            self.currency,
            money=["cost"],
            counts=["score"],
            caption="Recommended",
            empty="None.",
        )
        left = html_table(
            plan.left_out,
            {**columns, "why": "Kept out by"},
            self.currency,
            money=["cost"],
            counts=["score"],
            caption="Left out, and why",
            empty="None.",
        )
        timing = f"solved in {fmt.count(round(self.last_seconds * 1000))} ms"
        return f'<p class="pmo-say">{said} ({timing})</p>{chosen}{left}'
