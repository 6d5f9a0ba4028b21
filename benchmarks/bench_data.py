#!/usr/bin/env python3
"""Demo data at scale: build time, store size, a report's load and data-quality time, and each
function-level page from command to file with its peak memory.

Prints one line per size, then one per size and page. Usage:
python benchmarks/bench_data.py [--sizes 1 10 100] [--pages spend health] [--store S.duckdb]
  [--months 12]
(--store: use that store, built by the demo at the first size given, instead of building one
per run: the 100x store takes minutes to build. --months: also the function's executive summary
on a store that many monthly snapshots deep, the demo's first copied back month by month: a
first run of the month before the latest, the month after (the latest, as the next month's
run), the latest again after one portfolio's financials changed in it, and with --force.)
"""

from __future__ import annotations

import argparse
import resource
import shutil
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


def page(
    store: Path, report: str, outputs: Path, force: bool = True, as_of: str = ""
) -> tuple[float, float]:
    """Seconds from command to file of the function's page of one report (--jobs 1, rendered
    afresh unless force is False; of the latest snapshot unless as_of names one), and the peak
    RSS in MB of the runner or its kernel."""
    command = [sys.executable, str(ROOT / "run_reports.py"), "--source", str(store)]
    command += ["--outputs", str(outputs), "--portfolio", "function", "--report", report]
    command += ["--level", "function", "--no-customers", "--no-mail", "--jobs", "1"]
    command += ["--force"] if force else []
    command += ["--as-of", as_of] if as_of else []
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


def deepen(store: Path, months: int, into: Path) -> Path:
    """A copy of store with monthly snapshots before its first, copies of it, until it holds
    `months` snapshots (a PMO that many months in)."""
    import duckdb

    deep = into / f"deep-{months}.duckdb"
    shutil.copyfile(store, deep)
    with duckdb.connect(str(deep)) as con:
        first, held = con.execute("SELECT min(as_of), count(*) FROM snapshots").fetchone()
        tables = con.execute(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'as_of'"
        ).fetchall()
        for back in range(1, months - held + 1):
            for (table,) in tables:
                names = con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $t"
                    " ORDER BY ordinal_position",
                    {"t": table},
                ).fetchall()
                picked = ", ".join(
                    f"last_day(as_of - INTERVAL ({back}) MONTH)::DATE"
                    if name == "as_of"
                    else f"fingerprint || '-{back}'"
                    if (table, name) == ("snapshots", "fingerprint")
                    else f'"{name}"'
                    for (name,) in names
                )
                con.execute(
                    f"INSERT INTO {table} SELECT {picked} FROM {table} WHERE as_of = $f",
                    {"f": first},
                )
    return deep


def history_lines(store: Path, months: int, tmp: Path) -> None:
    """The function's summary on a store `months` snapshots deep: a first run (of the month
    before the latest), the month after (the latest snapshot, as the next month's scheduled
    run: the earlier snapshots' KPI figures and forecast movements kept), the latest snapshot
    again after one portfolio's financials changed in it, and --force."""
    import duckdb

    deep = deepen(store, months, tmp)
    outputs = tmp / f"deep-{months}-out"
    with duckdb.connect(str(deep), read_only=True) as con:
        before = con.execute(
            "SELECT as_of FROM snapshots ORDER BY as_of DESC LIMIT 1 OFFSET 1"
        ).fetchone()[0]
    first = page(deep, "portfolio_summary", outputs, force=False, as_of=before.isoformat())
    after = page(deep, "portfolio_summary", outputs, force=False)
    with duckdb.connect(str(deep)) as con:
        con.execute(
            "UPDATE financials SET amount = amount + 1000 WHERE as_of = (SELECT max(as_of) FROM"
            " snapshots) AND project_id IN (SELECT project_id FROM projects WHERE as_of ="
            " (SELECT max(as_of) FROM snapshots) AND portfolio = 'Data & Analytics')"
        )
    changed = page(deep, "portfolio_summary", outputs, force=False)
    forced = page(deep, "portfolio_summary", outputs)
    print(
        f"\n{'snapshots':>9} {'executive summary':<20} {'command to file s':>18}"
        f" {'peak RSS MB':>12}"
    )
    for said, (seconds, peak) in (
        ("first run", first),
        ("the month after", after),
        ("latest changed", changed),
        ("--force", forced),
    ):
        print(f"{months:>9} {said:<20} {seconds:>18.1f} {peak:>12.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--pages", nargs="*", default=FUNCTION_PAGES, choices=FUNCTION_PAGES)
    parser.add_argument("--store", type=Path, help="a demo store already built (one size)")
    parser.add_argument("--months", type=int, help="also the summary this many snapshots deep")
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
        if args.months:
            history_lines(
                args.store or Path(tmp) / f"pmo-{sizes[-1]:g}.duckdb", args.months, Path(tmp)
            )


if __name__ == "__main__":
    main()
