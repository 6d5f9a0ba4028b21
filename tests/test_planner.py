"""The demand scenario planner on hand cases whose optimum is known."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_lib.metrics import planner
from pmo_lib.narrative import demand_pipeline as words


def _candidates(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["demand_id", "cost", "score", "hours_Developer"])


KNAPSACK = _candidates([("A", 6.0, 60.0, 0.0), ("B", 5.0, 50.0, 0.0), ("C", 5.0, 50.0, 0.0)])


def test_the_exact_optimum_beats_taking_the_best_score_first():
    plan = planner.solve(KNAPSACK, budget=10)
    # best first takes A (60) and then nothing fits; B and C together score 100
    assert plan.status == "optimal"
    assert sorted(plan.chosen["demand_id"]) == ["B", "C"]
    assert plan.score == 100 and plan.cost == 10 and plan.binding == ["budget"]
    assert plan.left_out.set_index("demand_id")["why"].to_dict() == {"A": "the budget"}


def test_pins_are_obeyed_and_said():
    plan = planner.solve(KNAPSACK, budget=10, pinned_in=("C",), pinned_out=("B",))
    assert list(plan.chosen["demand_id"]) == ["C"] and plan.score == 50
    assert plan.left_out.set_index("demand_id")["why"].to_dict() == {
        "A": "the budget",
        "B": "pinned out",
    }


def test_pins_that_cannot_all_hold_are_infeasible_and_say_which_constraint():
    plan = planner.solve(KNAPSACK, budget=10, pinned_in=("A", "B"))
    assert plan.status == "infeasible" and plan.chosen.empty
    assert plan.reason == "the requests pinned in need more than the budget allows"
    unknown = planner.solve(KNAPSACK, budget=10, pinned_in=("Z",))
    assert unknown.status == "infeasible" and "Z" in unknown.reason


def test_no_candidate_and_no_cost_estimate():
    assert planner.solve(KNAPSACK.iloc[0:0], budget=10).status == "empty"
    costless = _candidates([("A", None, 60.0, 0.0), ("B", 5.0, 50.0, 0.0)])
    plan = planner.solve(costless, budget=10)
    assert list(plan.chosen["demand_id"]) == ["B"]
    assert plan.left_out.set_index("demand_id")["why"].to_dict() == {
        "A": "no cost estimate: it cannot be weighed"
    }
    only = planner.solve(costless.iloc[:1], budget=10)
    assert only.status == "empty" and list(only.left_out["demand_id"]) == ["A"]


def test_a_roles_hours_bind_and_one_more_unit_of_each_constraint_admits():
    roles = _candidates([("A", 6.0, 60.0, 5.0), ("B", 5.0, 50.0, 5.0), ("C", 5.0, 50.0, 0.0)])
    plan = planner.solve(roles, budget=100, capacity={"Developer": 8})
    assert sorted(plan.chosen["demand_id"]) == ["A", "C"] and plan.score == 110
    assert plan.binding == ["Developer"]  # B would need 10 of 8 hours
    assert plan.left_out.set_index("demand_id")["why"].to_dict() == {"B": "Developer hours"}
    assert planner.one_more(roles, plan, budget_unit=1, hours_unit=2) == {
        "budget": [],
        "Developer": ["B"],
    }
    tight = planner.solve(KNAPSACK, budget=10)
    assert planner.one_more(KNAPSACK, tight, budget_unit=1, hours_unit=0) == {"budget": ["A"]}


def test_a_budget_alone_when_there_are_no_roles():
    plan = planner.solve(KNAPSACK.drop(columns="hours_Developer"), budget=11, capacity=None)
    assert sorted(plan.chosen["demand_id"]) == ["A", "B"] and plan.capacity == {}


def test_what_the_planner_weighs_is_computed_from_people_rates_and_plans():
    ranked = pd.DataFrame(
        {
            "demand_id": ["D1", "D2"],
            "title": ["One", "Two"],
            "customer": ["Finance", "HR"],
            "stage": ["Submitted", "Approved"],  # an approved request is no longer a candidate
            "estimated_cost": [8750.0, 1000.0],
            "score": [80.0, 90.0],
        }
    )
    resources = pd.DataFrame(
        {
            "resource_id": ["R1", "R2", "R3"],
            "role": ["Developer", "Tester", None],
            "monthly_capacity_hours": [100.0, 50.0, 100.0],
            "hourly_rate": [100.0, 50.0, 10.0],
        }
    )
    months = pd.to_datetime(["2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01"])
    load = pd.DataFrame(
        {
            "resource_id": ["R1"] * 4 + ["R2"] * 4,
            "period": list(months) * 2,
            "planned_hours": [999.0, 60, 60, 60, 999.0, 20, 20, 20],  # October is past
        }
    )
    got = planner.inputs(ranked, {"gap": 5000.0}, resources, load, pd.Timestamp("2026-10-31"))
    assert got.budget == 5000 and got.months == 3
    assert got.rate == pytest.approx((100 * 180 + 50 * 60) / 240)  # 87.5 an hour
    assert got.capacity == pytest.approx({"Developer": 300 - 180, "Tester": 150 - 60})
    row = got.candidates.set_index("demand_id").loc["D1"]
    assert list(got.candidates["demand_id"]) == ["D1"]
    assert row["hours_Developer"] == pytest.approx(8750 / 87.5 * 0.75)  # 75 hours
    assert row["hours_Tester"] == pytest.approx(8750 / 87.5 * 0.25)  # 25 hours
    alone = planner.inputs(ranked, None, resources.iloc[0:0], load.iloc[0:0], months[0])
    assert alone.budget is None and alone.capacity == {} and alone.rate is None


def test_the_scenario_ladder_solves_at_shares_of_the_candidates_cost():
    inputs = planner.Inputs(KNAPSACK, 10.0, {}, None, 3)  # candidates cost 16 in all
    ladder = planner.ladder(inputs, shares=(0.5, 1.0))
    assert list(ladder["budget"]) == [8.0, 16.0]
    assert list(ladder["approved"]) == [1, 3] and list(ladder["score"]) == [60.0, 160.0]
    assert list(ladder["binds"]) == ["the budget", "nothing"]
    assert ladder["score_share"].tolist() == pytest.approx([60 / 160, 1.0])
    # solved side by side, in the order of the shares, each as a solve on its own
    shares = (1.0, 0.25, 0.75, 0.5)
    side_by_side = planner.ladder(inputs, shares=shares)
    assert list(side_by_side["budget"]) == [16.0, 4.0, 12.0, 8.0]
    for budget, approved, score in side_by_side[["budget", "approved", "score"]].itertuples(
        index=False
    ):
        alone = planner.solve(KNAPSACK, budget)
        assert (approved, score) == (len(alone.chosen), alone.score)


def test_a_negative_budget_a_double_pin_and_zero_rates_are_said_in_words():
    negative = planner.solve(KNAPSACK, budget=-5)
    assert negative.status == "infeasible" and negative.reason == "the budget is negative (-5)"
    both = planner.solve(KNAPSACK, budget=10, pinned_in=("A",), pinned_out=("A",))
    assert both.reason == "pinned both in and out: A"
    ranked = pd.DataFrame(
        {
            "demand_id": ["D1"],
            "title": ["One"],
            "customer": ["Finance"],
            "stage": ["Submitted"],
            "estimated_cost": [100.0],
            "score": [50.0],
        }
    )
    people = pd.DataFrame(
        {
            "resource_id": ["R1"],
            "role": ["Developer"],
            "monthly_capacity_hours": [100.0],
            "hourly_rate": [0.0],  # no price: hours cannot be derived from cost
        }
    )
    load = pd.DataFrame(
        {"resource_id": ["R1"], "period": [pd.Timestamp("2026-11-01")], "planned_hours": [50.0]}
    )
    free = planner.inputs(ranked, {"gap": 500.0}, people, load, pd.Timestamp("2026-10-31"))
    assert free.capacity == {} and free.rate is None  # the budget alone


def test_equal_requests_go_in_rank_order():
    same = pd.DataFrame(
        {"demand_id": [f"D{i:03d}" for i in range(300)], "cost": 1000.0, "score": 50.0}
    )
    plan = planner.solve(same, budget=20_000)
    assert list(plan.chosen["demand_id"]) == [f"D{i:03d}" for i in range(20)]


def test_only_the_highest_ranked_candidates_are_weighed_and_the_page_says_how_many_are_not(
    monkeypatch,
):
    monkeypatch.setattr(planner, "MAX_CANDIDATES", 2)
    ranked = pd.DataFrame(
        {
            "demand_id": ["D1", "D2", "D3", "D4", "D5"],
            "title": list("abcde"),
            "customer": "Finance",
            "stage": ["Submitted", "Approved", "Triage", "Assessment", "Submitted"],
            "estimated_cost": 100.0,
            "score": [90.0, 80.0, 70.0, 60.0, 50.0],
        }
    )
    people = pd.DataFrame(columns=["resource_id", "role", "monthly_capacity_hours", "hourly_rate"])
    load = pd.DataFrame(columns=["resource_id", "period", "planned_hours"])
    got = planner.inputs(ranked, {"gap": 500.0}, people, load, pd.Timestamp("2026-10-31"))
    assert list(got.candidates["demand_id"]) == ["D1", "D3"] and got.not_weighed == 2
    said = words.planner_method(got, "GBP")
    assert "It weighs the 2 highest-ranked of the 4 requests awaiting a decision" in said
    assert "the other 2 are not weighed" in said


def test_a_plan_stopped_at_the_time_limit_says_how_close_it_is():
    plan = planner.Plan(
        "best found", KNAPSACK.iloc[1:], KNAPSACK.iloc[:1], 10.0, {}, 10.0, 100.0, gap=0.00042
    )
    assert plan.found and planner.one_more(KNAPSACK, plan, 1, 1) == {"budget": []}
    said = words.planner_result(plan, {}, "GBP", 250_000, 160)
    assert "within 0.04% of the best possible" in said
    assert not planner.Plan("infeasible", KNAPSACK, KNAPSACK, 1.0, {}).found


def test_an_exact_answer_is_kept_for_the_next_batch_run_and_one_stopped_at_the_limit_is_not(
    tmp_path, monkeypatch
):
    import types

    import numpy as np
    import scipy.optimize

    from pmo_lib import kept

    real, calls = scipy.optimize.milp, []

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "milp", counted)
    monkeypatch.delenv(kept.CACHE_ENV, raising=False)
    planner.solve(KNAPSACK, budget=10)
    planner.solve(KNAPSACK, budget=10)
    assert len(calls) == 2  # outside a batch run (JupyterLab): solved each time
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path))  # a batch run's kept answers
    first = planner.solve(KNAPSACK, budget=10)
    again = planner.solve(KNAPSACK, budget=10)
    assert len(calls) == 3  # the same programme: the kept answer
    assert (again.status, again.score, again.cost, again.binding) == (
        first.status,
        first.score,
        first.cost,
        first.binding,
    )
    pd.testing.assert_frame_equal(again.chosen, first.chosen)
    pd.testing.assert_frame_equal(again.left_out, first.left_out)
    assert sorted(again.chosen["demand_id"]) == ["B", "C"]
    planner.solve(KNAPSACK, budget=11)  # another budget, another programme: solved
    assert len(calls) == 4
    # a solve stopped at the time limit (HiGHS's status 1, with the best set found) is not kept
    stopped = types.SimpleNamespace(status=1, x=np.array([0.0, 1.0, 1.0]), mip_gap=0.01)
    monkeypatch.setattr(scipy.optimize, "milp", lambda *a, **k: calls.append(1) or stopped)
    assert planner.solve(KNAPSACK, budget=12).status == "best found"
    assert planner.solve(KNAPSACK, budget=12).status == "best found"
    assert len(calls) == 6
