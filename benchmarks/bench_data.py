#!/usr/bin/env python3
"""Demo data at scale: build time, store size, and a report's load and data-quality time.

Prints one line per size. Usage: python benchmarks/bench_data.py [--sizes 1 10 100]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pmo_lib import demo  # noqa: E402
from pmo_lib.data import load_portfolio  # noqa: E402
from pmo_lib.metrics import data_quality as dq  # noqa: E402
from pmo_lib.params import config_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10])
    args = parser.parse_args()
    thresholds = config_for(None).thresholds
    print(
        f"{'size':>5} {'build s':>8} {'store MB':>9} {'load 1 pf s':>12} {'dq 1 pf s':>10}"
        f" {'load all s':>11} {'dq all s':>9} {'peak RSS MB':>12}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "pmo.duckdb"
            started = time.perf_counter()
            demo.build_demo_store(store, size=size)
            build = time.perf_counter() - started
            timings = []
            for portfolio in ("Data & Analytics", None):
                started = time.perf_counter()
                data = load_portfolio(portfolio, source=store)
                loaded = time.perf_counter() - started
                started = time.perf_counter()
                dq.assess(data.current, data.previous, thresholds)
                timings += [loaded, time.perf_counter() - started]
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{size:>5g} {build:>8.1f} {store.stat().st_size / 1e6:>9.1f} {timings[0]:>12.2f}"
                f" {timings[1]:>10.2f}"
                f" {timings[2]:>11.2f} {timings[3]:>9.2f} {peak:>12.0f}"
            )


if __name__ == "__main__":
    main()
