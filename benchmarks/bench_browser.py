#!/usr/bin/env python3
"""Click to settled page in the analyst's JupyterLab, per report, in a real browser.

JupyterLab is started as `make lab` starts it (tests/test_browser.py's start_lab: a copy of the
notebooks, a fresh demo store, the lab's default settings but for the news pop-up) and driven
with Playwright in the Debian chromium. Each report is opened and Run All; then the portfolio is
changed in the filter panel several times. One change is timed in the page, from the moment the
dropdown's new value is dispatched (the click) to the last change of the notebook's DOM before
the page is settled: the status line says "Showing <portfolio>", the kernel is idle, every chart
is drawn, every long table is set up (paged) and nothing has changed for QUIET_MS. Also printed:
when the status line said so (the kernel's work and its messages; the rest is the browser
drawing the sections), and the kernel's part alone (the seconds the status line reports). Not a
test: it prints figures. Run it on a quiet machine: it prints the load average before and after.

Usage: python benchmarks/bench_browser.py [--size 1] [--changes 5] [--reports spend,health]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pmo_lib import demo  # noqa: E402

REPORTS = ["spend", "portfolio_summary", "health", "demand_pipeline", "resourcing", "data_quality"]
# The portfolios chosen in turn: each is a first visit (its snapshots read from the store) but
# the last, the whole function the report opened on (cached).
PORTFOLIOS = [
    "Data & Analytics",
    "Infrastructure & Cloud",
    "Customer Channels",
    "Enterprise Platforms",
    "IT Function",
]
QUIET_MS = 400  # no change of the page for this long: settled
# The analyst's lab: JupyterLab's defaults (cells drawn with content-visibility), no news pop-up.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False}
}
CLICK = """([label]) => {
  const nb = window.jupyterapp.shell.currentWidget.content.node;
  const select = Array.from(nb.querySelectorAll('.widget-dropdown'))
    .find(d => d.querySelector('label') && d.querySelector('label').textContent === 'Portfolio')
    .querySelector('select');
  const index = Array.from(select.options)
    .findIndex(o => o.text.replace(/\\u00a0/g, ' ') === label);
  if (index < 0) throw new Error('no portfolio ' + label);
  const clock = window.__pmoClock = {start: performance.now(), last: performance.now()};
  if (window.__pmoWatch) window.__pmoWatch.disconnect();
  const status = () => Array.from(nb.querySelectorAll('.widget-html'))
    .map(h => h.textContent.replace(/\\u00a0/g, ' ')).join(' ');
  window.__pmoWatch = new MutationObserver(() => {
    clock.last = performance.now();
    if (!clock.said && status().includes('Showing ' + label)) clock.said = clock.last;
  });
  window.__pmoWatch.observe(
    nb, {subtree: true, childList: true, attributes: true, characterData: true});
  select.selectedIndex = index;
  select.dispatchEvent(new Event('input', {bubbles: true}));
  select.dispatchEvent(new Event('change', {bubbles: true}));
}"""
SETTLED = """([label, quiet]) => {
  const w = window.jupyterapp.shell.currentWidget;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const nb = w.content.node;
  const status = Array.from(nb.querySelectorAll('.widget-html'))
    .map(h => h.textContent.replace(/\\u00a0/g, ' ')).join(' ');
  if (!status.includes('Showing ' + label) || status.includes('Updating…')) return false;
  if (Array.from(nb.querySelectorAll('.js-plotly-plot')).some(p => !p.querySelector('.main-svg')))
    return false;
  if (nb.querySelectorAll('table.pmo-explore').length
      !== nb.querySelectorAll('table.pmo-explore[data-pmo-explore]').length) return false;
  return performance.now() - window.__pmoClock.last >= quiet;
}"""
STATUS = """() => Array.from(window.jupyterapp.shell.currentWidget.content.node
  .querySelectorAll('.widget-html')).map(h => h.textContent).join(' ')"""


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1.0, help="demo data scale factor")
    parser.add_argument("--changes", type=int, default=len(PORTFOLIOS), help="changes per report")
    parser.add_argument("--reports", default=",".join(REPORTS))
    args = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright
        from test_browser import CHROMIUM, KERNEL_IDLE, RUN_DONE, start_lab
    except ImportError as exc:
        sys.exit(f"needs the dev extra (playwright): {exc}")
    if not CHROMIUM.exists():
        sys.exit(f"needs {CHROMIUM} (Debian package chromium)")
    portfolios = (PORTFOLIOS * (args.changes // len(PORTFOLIOS) + 1))[: args.changes]
    print(f"before: {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        store = home / "pmo.duckdb"
        demo.build_demo_store(store, size=args.size)
        (home / "lab").mkdir()
        with start_lab(store, home / "lab", SETTINGS) as lab, sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox"] if os.geteuid() == 0 else [],
            )
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            print(
                f"\n{'report':<18} {'settled s':>10} {'slowest s':>10} {'status s':>9}"
                f" {'kernel s':>9}   (medians of {len(portfolios)} portfolio changes)"
            )
            for name in args.reports.split(","):
                page.goto(f"{lab.url}/lab/tree/{name}.ipynb?reset&token={lab.token}")
                page.wait_for_function(KERNEL_IDLE, timeout=60_000)
                page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
                page.wait_for_timeout(300)
                page.wait_for_function(RUN_DONE, timeout=120_000, polling=200)
                page.wait_for_timeout(1000)
                settled, said, kernel = [], [], []
                for portfolio in portfolios:
                    page.evaluate(CLICK, [portfolio])
                    page.wait_for_function(
                        SETTLED, arg=[portfolio, QUIET_MS], timeout=60_000, polling=50
                    )
                    clock = page.evaluate("() => window.__pmoClock")
                    settled.append((clock["last"] - clock["start"]) / 1000)
                    said.append((clock.get("said", clock["last"]) - clock["start"]) / 1000)
                    status = re.search(r"updated in ([\d.]+) s", page.evaluate(STATUS))
                    kernel.append(float(status[1]) if status else float("nan"))
                median = statistics.median
                print(
                    f"{name:<18} {median(settled):>10.2f} {max(settled):>10.2f}"
                    f" {median(said):>9.2f} {median(kernel):>9.2f}"
                )
                lab.shut_down_kernels()
                time.sleep(0.5)
            chromium.close()
    print(f"\nafter: {load()}")


if __name__ == "__main__":
    main()
