"""The planner's panel (JupyterLab, Voila) driven headless: budget, pins and weights re-solve."""

from __future__ import annotations

from pmo_lib import data
from pmo_lib.metrics import demand, planner
from pmo_lib.params import config_for
from pmo_lib.planner_panel import PlannerPanel

DA = "Data & Analytics"


def _panel(demo_store):
    loaded = data.load_portfolio(DA, source=demo_store)
    config = config_for(DA)
    view = demand.analyse(
        loaded.current, loaded.previous, config.demand, config.fiscal_year_start_month
    )
    inputs = planner.inputs(
        view.ranked,
        view.capacity,
        loaded.current["resources"],
        data.resource_load(loaded),
        loaded.current.as_of,
    )
    return PlannerPanel(loaded.current["demand"], inputs, config.demand.scoring, "USD"), inputs


def test_the_panel_solves_again_for_a_budget_a_pin_and_weights(demo_store):
    panel, inputs = _panel(demo_store)
    assert inputs.budget < 0 and panel.budget.value == 0  # the demo has no headroom left
    assert "There is no budget left this year" in panel.result.value
    panel.budget.value = 5_000_000
    expected = planner.solve(inputs.candidates, 5_000_000, inputs.capacity)
    chosen = list(expected.chosen["demand_id"])
    assert chosen and all(f">{i}<" in panel.result.value for i in chosen)
    assert panel.last_seconds is not None and panel.last_seconds < 5

    panel.pinned_out.value = (chosen[0],)
    assert panel.solve().left_out.set_index("demand_id").loc[chosen[0], "why"] == "pinned out"

    panel.weights["value_weight"].value = 0.0
    rescored = panel.candidates().set_index("demand_id")["score"]
    weights = panel.scoring.model_copy(update={name: s.value for name, s in panel.weights.items()})
    direct = demand.prioritise(panel.backlog, weights).set_index("demand_id")["score"]
    assert (rescored - direct.reindex(rescored.index)).abs().max() < 1e-9


def test_pins_that_cannot_hold_say_so(demo_store):
    panel, inputs = _panel(demo_store)
    panel.budget.value = 1.0
    panel.pinned_in.value = tuple(inputs.candidates["demand_id"][:2])
    assert "No plan: the requests pinned in need more than the budget" in panel.result.value
