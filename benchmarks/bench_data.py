#!/usr/bin/env python3
"""Demo data at scale: build time, store size, a report's load and data-quality time, and each
function-level page from command to file with its peak memory.

Prints one line per size, then one per size and page. Usage:
python benchmarks/bench_data.py [--sizes 1 10 100] [--pages spend health] [--store S.duckdb]
(--store: use that store, built by the demo at the first size given, instead of building one
per run: the 100x store takes minutes to build.)
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pmo_lib import demo  # noqa: E402
from pmo_lib.catalog import REPORTS  # noqa: E402
from pmo_lib.data import load_portfolio  # noqa: E402
from pmo_lib.metrics import data_quality as dq  # noqa: E402
from pmo_lib.params import config_for  # noqa: E402

FUNCTION_PAGES = [r for r in REPORTS if r != "customer"]
# Runs one command and prints the largest resident set of it and every process it waited for
# (the runner and its kernel), in kilobytes.
_PEAK = (
    "import resource, subprocess, sys;"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
    "sys.stderr.write(done.stderr[-2000:] if done.returncode else '');"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
    "sys.exit(done.returncode)"
)


def page(store: Path, report: str, outputs: Path) -> tuple[float, float]:
    """Seconds from command to file of the function's page of one report (--jobs 1, rendered
    afresh), and the peak RSS in MB of the runner or its kernel."""
    command = [sys.executable, str(ROOT / "run_reports.py"), "--source", str(store)]
    command += ["--outputs", str(outputs), "--portfolio", "function", "--report", report]
    command += ["--level", "function", "--no-customers", "--no-mail", "--jobs", "1", "--force"]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *command], capture_output=True, text=True, cwd=ROOT
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{report} at {store} failed: {done.stderr}")
    return seconds, int(done.stdout.split()[-1]) / 1024


def load_line(store: Path, size: float, build: float) -> None:
    thresholds = config_for(None).thresholds
    timings = []
    for portfolio in ("Data & Analytics", None):
        started = time.perf_counter()
        data = load_portfolio(portfolio, source=store)
        for table in data.current.tables:  # every table: what the data-quality checks may read
            data.current[table]
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        dq.assess(data.current, data.previous, thresholds)
        timings += [loaded, time.perf_counter() - started]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{size:>5g} {build:>8.1f} {store.stat().st_size / 1e6:>9.1f} {timings[0]:>12.2f}"
        f" {timings[1]:>10.2f} {timings[2]:>11.2f} {timings[3]:>9.2f} {peak:>12.0f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--pages", nargs="*", default=FUNCTION_PAGES, choices=FUNCTION_PAGES)
    parser.add_argument("--store", type=Path, help="a demo store already built (one size)")
    args = parser.parse_args()
    sizes = args.sizes[:1] if args.store else args.sizes
    print(
        f"{'size':>5} {'build s':>8} {'store MB':>9} {'load 1 pf s':>12} {'dq 1 pf s':>10}"
        f" {'load all s':>11} {'dq all s':>9} {'peak RSS MB':>12}"
    )
    pages = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            store = args.store or Path(tmp) / f"pmo-{size:g}.duckdb"
            started = time.perf_counter()
            if not args.store:
                demo.build_demo_store(store, size=size)
            load_line(store, size, time.perf_counter() - started)
            for report in args.pages:
                pages.append((size, report, *page(store, report, Path(tmp) / "out")))
        print(f"\n{'size':>5} {'function page':<20} {'command to file s':>18} {'peak RSS MB':>12}")
        for size, report, seconds, peak in pages:
            print(f"{size:>5g} {report:<20} {seconds:>18.1f} {peak:>12.0f}")


if __name__ == "__main__":
    main()
