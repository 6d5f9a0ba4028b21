#!/usr/bin/env python3
"""The analyst's loop and the mapping engine: seconds per filter change, per report, in the
kernel (what the panel's status line reports; the browser adds its drawing), and seconds to map
each example dataset.

Usage: python benchmarks/bench_analyst.py [--source STORE]   (default: a fresh demo store)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pmo_lib import demo, filters, mapping, panel, report  # noqa: E402
from pmo_lib.params import NOTEBOOKS_DIR as NOTEBOOKS  # noqa: E402
from pmo_lib.params import PROJECT_ROOT  # noqa: E402

REPORTS = ["spend", "health", "demand_pipeline", "resourcing", "data_quality", "portfolio_summary"]
CHANGES = [  # (dropdown, value): the loop an analyst walks through
    ("portfolio", "Data & Analytics"),
    ("program", "AI Enablement"),
    ("sub_portfolio", "BI & Reporting"),
    ("compare_to", "2026-08-31"),
    ("as_of", "2026-09-30"),
    ("portfolio", ""),
]
EXAMPLES = [
    ("nyc_capital_projects", "nyc_capital_projects_dashboard"),
    ("melbourne_water_capital_delivery", "melbourne_water_capital_delivery"),
    ("sip_task_effort", "sip_task_effort"),
]


def run_notebook(name: str, source: Path) -> report.Report:
    """Run a report notebook's cells as JupyterLab would (interactive), returning its report."""
    cells = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    namespace: dict = {}
    exec(code[0], namespace)  # the parameters cell
    namespace["source"] = str(source)
    with mock.patch.object(filters, "in_jupyterlab", lambda: True):
        for cell in code[1:]:
            exec(cell, namespace)
    return namespace["report"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path)
    args = parser.parse_args()
    source = args.source
    if source is None:
        source = Path(tempfile.mkdtemp()) / "pmo.duckdb"
        demo.build_demo_store(source)
    quiet = mock.patch.object(report, "_display", lambda bundle: None)
    hidden = mock.patch.object(panel, "display", lambda widget: None)
    print(f"{'report':<18} {'open s':>7} {'change s (median)':>18} {'slowest s':>10}")
    cleared = mock.patch("ipywidgets.Output.clear_output", lambda *a, **k: None)  # no kernel
    with quiet, hidden, cleared, mock.patch("IPython.display.display", lambda *a, **k: None):
        for name in REPORTS:
            started = time.perf_counter()
            page = run_notebook(name, source)
            opened = time.perf_counter() - started
            seconds = []
            for dropdown, value in CHANGES:
                getattr(page.panel, dropdown).value = value
                seconds.append(page.panel.last_seconds)
            print(
                f"{name:<18} {opened:>7.2f} {statistics.median(seconds):>18.2f}"
                f" {max(seconds):>10.2f}"
            )
    print(f"\n{'mapping':<34} {'seconds':>8} {'snapshots':>10} {'rows':>9}")
    for name, folder in EXAMPLES:
        started = time.perf_counter()
        mapped = mapping.map_folder(
            PROJECT_ROOT / "params" / "sources" / f"{name}.yaml",
            PROJECT_ROOT / "tests" / "data" / "examples" / folder,
        )
        rows = sum(len(f) for s in mapped.snapshots for f in s.frames.values())
        print(
            f"{name:<34} {time.perf_counter() - started:>8.2f} {len(mapped.snapshots):>10}"
            f" {rows:>9,}"
        )


if __name__ == "__main__":
    main()
