#!/usr/bin/env python3
"""The demand planner's cost: seconds for one solve, for 'one more unit' of each constraint and
for the scenario ladder, at 250 to 4,000 candidates with seven roles (what the demand page and
the JupyterLab panel run). A page weighs at most planner.MAX_CANDIDATES.

Usage: python benchmarks/bench_planner.py [--sizes 250 500 1000 2000 4000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pmo_lib.metrics import planner  # noqa: E402

ROLES = ["Developer", "Tester", "Business Analyst", "Architect", "Data Engineer", "PM", "Infra"]


def candidates(size: int, seed: int = 7) -> planner.Inputs:
    """Requests like the demo's: cost 20k-2m, score 5-99, hours split across seven roles as a
    blended rate of 95 an hour; free hours that hold about a third of the candidates' hours."""
    rng = np.random.default_rng(seed)
    cost = rng.lognormal(np.log(250_000), 0.8, size).clip(20_000, 2_000_000).round(-3)
    frame = pd.DataFrame(
        {
            "demand_id": [f"DEM-{i:05d}" for i in range(size)],
            "cost": cost,
            "score": rng.uniform(5, 99, size).round(1),
        }
    )
    share = rng.dirichlet(np.ones(len(ROLES)))
    hours = cost / 95.0
    for role, part in zip(ROLES, share, strict=True):
        frame[f"hours_{role}"] = hours * part
    capacity = {r: float(frame[f"hours_{r}"].sum() / 3) for r in ROLES}
    return planner.Inputs(frame, float(cost.sum() / 4), capacity, 95.0, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000, 2000, 4000])
    args = parser.parse_args()
    print(f"{'candidates':>10} {'solve s':>8} {'one more s':>11} {'ladder s':>9} {'status':>10}")
    for size in args.sizes:
        inputs = candidates(size)
        started = time.perf_counter()
        plan = planner.solve(inputs.candidates, inputs.budget, inputs.capacity)
        solved = time.perf_counter() - started
        started = time.perf_counter()
        planner.one_more(inputs.candidates, plan, planner.BUDGET_UNIT, planner.HOURS_UNIT)
        more = time.perf_counter() - started
        started = time.perf_counter()
        planner.ladder(inputs)
        ladder = time.perf_counter() - started
        print(f"{size:>10} {solved:>8.2f} {more:>11.2f} {ladder:>9.2f} {plan.status:>10}")


if __name__ == "__main__":
    main()
