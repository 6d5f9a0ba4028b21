#!/usr/bin/env python3
"""What the forecasts add to a page: seconds for the reference-class forecast, the back-test,
the Monte Carlo Outlook range and the milestone odds, at function scope, per demo size (the
snapshots already read, as a page has them).

Usage: python benchmarks/bench_forecast.py [--sizes 1 10 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pmo_lib import demo  # noqa: E402
from pmo_lib.data import all_snapshots, load_portfolio  # noqa: E402
from pmo_lib.metrics import forecast, health  # noqa: E402
from pmo_lib.params import config_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10])
    args = parser.parse_args()
    start_month = config_for(None).fiscal_year_start_month
    print(
        f"{'size':>5} {'active':>7} {'movements':>10} {'forecast s':>11} {'back-test s':>12}"
        f" {'range s':>8} {'milestones s':>13} {'total s':>8}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "pmo.duckdb"
            demo.build_demo_store(store, size=size)
            data = load_portfolio(None, source=store)
            history = all_snapshots(data)
            milestones = health.milestone_status(data.current)
            timings = []
            started = time.perf_counter()
            landing = forecast.forecast(data.current, history)
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            forecast.calibration(history)
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            forecast.fy_outlook_range(data.current, landing, start_month)
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            forecast.milestone_odds(landing, milestones, data.current.as_of)
            timings.append(time.perf_counter() - started)
            print(
                f"{size:>5g} {len(landing.projects):>7} {len(landing.moves):>10}"
                + "".join(f" {t:>{w}.2f}" for t, w in zip(timings, (11, 12, 8, 13), strict=True))
                + f" {sum(timings):>8.2f}"
            )


if __name__ == "__main__":
    main()
