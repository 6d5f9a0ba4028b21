#!/usr/bin/env python3
"""Render the same reports two ways and print the wall time of each and their ratio.

1. The obvious loop: `papermill` CLI then `jupyter nbconvert --to html` CLI, per report, in turn.
2. `run_reports.py --jobs 2` (papermill API in worker processes, nbconvert in process).

Usage: python benchmarks/bench_runner.py [--size 1] [--jobs 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pmo_lib import demo  # noqa: E402
from pmo_lib.params import load_all  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1.0, help="demo data scale factor")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = tmp / "pmo.duckdb"
        demo.build_demo_store(store, size=args.size)
        jobs = [(c.portfolio or "", c.slug, r) for c in load_all() for r in c.reports]
        env = {"PMO_SOURCE": str(store), "PATH": f"{bindir}:/usr/bin:/bin"}

        started = time.perf_counter()
        for portfolio, slug, report in jobs:
            executed = tmp / "loop" / f"{slug}-{report}.ipynb"
            executed.parent.mkdir(exist_ok=True)
            subprocess.run(
                [
                    bindir / "papermill",
                    ROOT / "notebooks" / f"{report}.ipynb",
                    executed,
                    "-p",
                    "portfolio",
                    portfolio,
                    "--cwd",
                    ROOT / "notebooks",
                    "--no-progress-bar",
                ],
                check=True,
                env=env,
                capture_output=True,
            )
            subprocess.run(
                [bindir / "jupyter", "nbconvert", "--to", "html", "--no-input", executed],
                check=True,
                env=env,
                capture_output=True,
            )
        loop = time.perf_counter() - started

        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                ROOT / "run_reports.py",
                "--jobs",
                str(args.jobs),
                "--source",
                store,
                "--outputs",
                tmp / "runner",
                "--force",
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        runner = time.perf_counter() - started

    print(f"{len(jobs)} reports, demo size {args.size:g}")
    print(
        f"obvious loop (papermill CLI + nbconvert CLI, sequential): {loop:6.1f} s "
        f" ({loop / len(jobs):.2f} s per report)"
    )
    print(
        f"run_reports.py --jobs {args.jobs}:                              {runner:6.1f} s "
        f" ({runner / len(jobs):.2f} s per report)"
    )
    print(f"speed-up: {loop / runner:.2f}x")


if __name__ == "__main__":
    main()
