"""The analyst's JupyterLab and the rendered pages, in a real browser (issue 15).

JupyterLab is started as `make lab` starts it (the repository's jupyter_lab_config.py), on the
loopback address, a free port and a token, on a copy of notebooks/ in a temporary folder (the
test never touches the tracked notebooks), reading a demo store built for the session. Playwright
drives the Debian chromium (/usr/bin/chromium; `.ci/run` installs it; browser downloads are not
used). Each report notebook is Run All; the test reads what an analyst sees: sentences as text
(no MathJax), no widget errors, no console errors, tables paged and laid out, the filter panel
re-rendering the page, links that open the linked notebook at its section, and a save that leaves
the notebook on disk without outputs. A rendered HTML report is checked the same way.

Commands (Run All, save) go through JupyterLab's command registry (the app is exposed to the
page for the test), which is what its menus and shortcuts call. The lab's own settings are
isolated: cells are not windowed, so that every output is in the page to be checked.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium (Debian package chromium; .ci/run installs it)",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ["spend", "portfolio_summary", "health", "demand_pipeline", "resourcing", "data_quality"]
SETTINGS = {  # the lab's settings for the test: every cell in the page, no news pop-up
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const session = w && w.sessionContext && w.sessionContext.session;
  const kernel = session && session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""
RUN_DONE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const cells = Array.from(w.content.model.cells).filter(c => c.type === 'code');
  return cells.every(c => c.executionCount !== null)
    && !Array.from(w.node.querySelectorAll('.jp-InputPrompt'))
      .some(p => p.textContent.includes('*'));
}"""
SEEN = """() => {
  const nb = window.jupyterapp.shell.currentWidget.node;
  const outputs = Array.from(nb.querySelectorAll('.jp-OutputArea-output'));
  const cells = Array.from(nb.querySelectorAll('table.pmo-table td.num'))
    .filter(td => td.clientWidth > 0 && td.scrollWidth > td.clientWidth + 1);
  const tiles = Array.from(nb.querySelectorAll('.pmo-kpis')).map(
    row => Array.from(row.querySelectorAll('.pmo-kpi')).map(t => t.getBoundingClientRect().width));
  return {
    maths: nb.querySelectorAll(
      '.jp-OutputArea mjx-container, .jp-OutputArea .MathJax, .jp-OutputArea .MathJax_Display'
    ).length,
    text: outputs.map(o => o.textContent).join('\\n'),
    errors: Array.from(nb.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"],'
      + ' .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'
    )).map(e => e.textContent.slice(-1500)),
    says: Array.from(nb.querySelectorAll('.pmo-say')).map(p => p.textContent),
    tiles: Array.from(nb.querySelectorAll('.pmo-kpi')).map(t => t.textContent),
    tile_widths: tiles,
    explorable: nb.querySelectorAll('table.pmo-explore').length,
    explored: nb.querySelectorAll('table.pmo-explore[data-pmo-explore]').length,
    bars: nb.querySelectorAll('.pmo-explore-bar').length,
    overflowing: cells.map(td => td.textContent),
    links: Array.from(nb.querySelectorAll('table.pmo-table a')).map(a => a.getAttribute('href')),
  };
}"""


def jupyter_env(home: Path, store: Path, **more: str) -> dict[str, str]:
    """A Jupyter server's environment for a test: no batch or lab session inherited, the store
    to read, and config, runtime and data folders of its own (no user configuration)."""
    return {
        **{k: v for k, v in os.environ.items() if k not in ("PMO_BATCH", "JPY_SESSION_NAME")},
        "PMO_SOURCE": str(store),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        **more,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, url: str, token: str, folder: Path, process: subprocess.Popen):
        self.url, self.token, self.folder, self.process = url, token, folder, process

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")


@contextmanager
def start_lab(store: Path, home: Path, settings: dict = SETTINGS) -> Iterator[Lab]:
    """JupyterLab as `make lab` starts it (the repository's jupyter_lab_config.py), on a copy of
    the notebooks in home/notebooks and the given store, with the given lab settings; stopped
    with the kernels it started on leaving. Also used by benchmarks/bench_browser.py."""
    folder = home / "notebooks"
    shutil.copytree(ROOT / "notebooks", folder)
    settings_dir = home / "settings"
    for name, values in settings.items():
        path = settings_dir / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = jupyter_env(
        home,
        store,
        JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--config={ROOT / 'jupyter_lab_config.py'}",
        f"--notebook-dir={folder}",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    log = (home / "lab.log").open("w")
    process = subprocess.Popen(
        command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    running = Lab(f"http://127.0.0.1:{port}", token, folder, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                running.api("GET", "/api/status")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "JupyterLab did not start:\n" + (home / "lab.log").read_text()
                    ) from None
                time.sleep(0.3)
        yield running
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the lab and the kernels it started
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def lab(demo_store, tmp_path_factory):
    """JupyterLab as `make lab` starts it, on a copy of the notebooks and the demo store."""
    with start_lab(demo_store, tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


def _open(page, lab: Lab, name: str) -> None:
    page.goto(f"{lab.url}/lab/tree/{name}.ipynb?reset&token={lab.token}")
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)


def _run_all(page) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_timeout(300)
    page.wait_for_function(RUN_DONE, timeout=90_000, polling=200)
    page.wait_for_timeout(500)  # the browser draws the last outputs


def _settle(page) -> None:
    """Wait for the panel's re-render: the kernel idle, and the status line says it is done."""
    page.wait_for_function(KERNEL_IDLE, timeout=30_000)
    page.wait_for_function(
        "() => !document.body.textContent.includes('Updating…')", timeout=30_000, polling=200
    )
    page.wait_for_timeout(500)


def _check_page(seen: dict, name: str) -> None:
    assert seen["maths"] == 0, f"{name}: MathJax typeset report text"
    assert "Error displaying widget" not in seen["text"], name
    assert not seen["errors"], f"{name}: an error or stderr output: {seen['errors']}"
    assert not re.search(r"-\$0(?![\d.,])", seen["text"]), f"{name}: -$0"
    assert not re.search(r"[▲▼] (\$|-)?0(\.0+)?( days|%|k|M)? since", seen["text"]), name
    assert seen["explored"] == seen["explorable"] == seen["bars"], f"{name}: tables not explorable"
    assert not seen["overflowing"], f"{name}: figures overflow their cells: {seen['overflowing']}"
    for row in seen["tile_widths"]:  # no tile stretched alone across a row
        assert max(row) < 1.5 * min(row), f"{name}: tiles {row}"


def _tiles(page) -> list[str]:
    return page.evaluate(SEEN)["tiles"]


def _choose_portfolio(page, portfolio: str) -> None:
    dropdown = page.locator(".widget-dropdown:has(label:text-is('Portfolio')) select").first
    labels = dropdown.evaluate("s => Array.from(s.options).map(o => o.text)")
    dropdown.select_option(index=[t.replace("\xa0", " ") for t in labels].index(portfolio))
    _settle(page)
    status = page.locator(".widget-html:has-text('Showing')").first.text_content()
    assert f"Showing {portfolio}" in status.replace("\xa0", " "), status


def _save_and_check_disk(page, lab: Lab, name: str) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=20_000
    )
    on_disk = lab.folder / f"{name}.ipynb"
    cells = json.loads(on_disk.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code), name
    assert on_disk.read_bytes() == (ROOT / "notebooks" / f"{name}.ipynb").read_bytes(), (
        f"{name}: saving an unchanged notebook changed the file"
    )


@pytest.mark.parametrize("name", REPORTS)
def test_a_report_notebook_in_the_lab(lab, page, name):
    """Run All: the page reads as the HTML does; the panel re-renders it; a save (and the next
    open) carries no outputs."""
    _open(page, lab, name)
    _run_all(page)
    seen = page.evaluate(SEEN)
    _check_page(seen, name)
    if name == "spend":
        assert re.search(r"the Outlook is \$[\d.]+M, \$[\d.]+M \([\d.]+%\)", seen["says"][0])
        assert seen["bars"] >= 2  # the roll-up and earned value are paged in the lab too
        _check_pages_and_search(page, page.locator(".jp-OutputArea table.pmo-explore"))
    if name == "portfolio_summary":
        _check_the_legend_clears_the_axis(page)
        _check_links_open_the_notebook_at_the_section(page, seen["links"])
    if name in ("spend", "portfolio_summary"):
        compared = page.locator(".widget-dropdown:has(label:text-is('Compared with')) select")
        shown = compared.first.evaluate("s => s.options[s.selectedIndex].text")
        assert shown.replace("\xa0", " ") == "(the one before)"  # ipywidgets: no-break spaces
        before = _tiles(page)
        _choose_portfolio(page, "Data & Analytics")
        after = page.evaluate(SEEN)
        assert after["tiles"] != before, f"{name}: the tiles did not change"
        _check_page(after, f"{name} (Data & Analytics)")
    _save_and_check_disk(page, lab, name)
    page.goto("about:blank")
    _open(page, lab, name)  # reopened: nothing broken, nothing left over
    page.wait_for_timeout(500)
    reopened = page.evaluate(SEEN)
    assert "Error displaying widget" not in reopened["text"] and not reopened["text"].strip()
    assert not page.console_errors, f"{name}: console errors {page.console_errors}"
    lab.shut_down_kernels()


def _check_pages_and_search(page, tables) -> None:
    """The longest table shows a page of 25 rows, pages on, a search narrows it, and a click on
    a heading sorts it."""
    bars = tables.locator(
        "xpath=ancestor::div[contains(@class,'pmo-table-wrap')]"
        "/preceding-sibling::div[contains(@class,'pmo-explore-bar')][1]"
    )
    totals = [
        int(re.match(r"\d+ of (\d+)", bars.nth(i).locator(".pmo-explore-count").text_content())[1])
        for i in range(bars.count())
    ]
    longest = totals.index(max(totals))
    table, bar, total = tables.nth(longest), bars.nth(longest), totals[longest]
    count = bar.locator(".pmo-explore-count")
    assert total > 25 and table.locator("tbody tr:visible").count() == 25
    first = table.locator("tbody tr:visible").first.text_content()
    bar.get_by_role("button", name="Next page").click()
    assert "page 2 of" in count.text_content()
    assert table.locator("tbody tr:visible").first.text_content() != first
    bar.get_by_role("searchbox").fill("zzz-no-such-row")
    assert count.text_content().startswith(f"0 of {total} rows")
    bar.get_by_role("searchbox").fill("")
    table.locator("thead th").nth(1).click()  # sorted
    assert table.locator("thead th").nth(1).get_attribute("aria-sort") == "ascending"


def _check_the_legend_clears_the_axis(page) -> None:
    chart = page.locator(".jp-OutputArea .js-plotly-plot:has(.legend)", has_text="Closure").first
    chart.scroll_into_view_if_needed()
    overlaps = chart.evaluate(
        """c => { const legend = c.querySelector('.legend').getBoundingClientRect();
        return Array.from(c.querySelectorAll('.xtick text')).filter(t => {
          const r = t.getBoundingClientRect();
          return r.left < legend.right && legend.left < r.right
            && r.top < legend.bottom && legend.top < r.bottom;
        }).map(t => t.textContent); }"""
    )
    assert not overlaps, f"the life-cycle legend covers {overlaps}"


def _check_links_open_the_notebook_at_the_section(page, links: list[str]) -> None:
    """In the lab the summary's exception links name the notebooks (JupyterLab resolves them to
    its files), and one opens health.ipynb scrolled to its watch list."""
    assert links and all(".ipynb" in href and ".html" not in href for href in links), links
    link = page.locator(".jp-OutputArea table.pmo-table a[href*='health.ipynb']").first
    section = unquote(urlparse(link.get_attribute("href")).fragment)
    link.click()
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.context.path === 'health.ipynb'",
        timeout=20_000,
    )
    heading = page.locator(f"h2[data-jupyter-id='{section}']").first
    page.wait_for_function(
        """h => { const r = h.getBoundingClientRect(); return r.top >= 0 && r.top < 400; }""",
        arg=heading.element_handle(),
        timeout=20_000,
    )
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    page.locator(".lm-TabBar-tab", has_text="portfolio_summary.ipynb").first.click()  # back
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.context.path === 'portfolio_summary.ipynb'",
        timeout=10_000,
    )


def test_a_report_as_a_dashboard_in_the_lab(lab, page):
    """The lab's own Voila (its server extension, the "Render with Voilà" button) shows a report
    as `make dashboard` does: tiles and panel, no code. Its executor needs the kernel client
    that jupyter_lab_config.py names (pmo_lib/dashboard.py): with the stock one, the page never
    finishes loading."""
    page.goto(f"{lab.url}/voila/render/spend.ipynb?token={lab.token}", timeout=60_000)
    page.locator(".widget-dropdown:has(label:text-is('Portfolio')) select").first.wait_for()
    assert page.locator(".pmo-kpi").count() > 0
    assert page.locator(".jp-CodeCell .jp-InputArea, .cm-editor").count() == 0


# -- the rendered HTML -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def rendered(demo_store, tmp_path_factory):
    from pmo_lib import runner

    outputs = tmp_path_factory.mktemp("html")
    options = runner.Options(
        source=demo_store,
        outputs=outputs,
        portfolios=("data-analytics",),
        jobs=2,
        levels=("portfolio",),
        customers=False,
    )
    assert runner.run(options) == 0
    (run_dir,) = [p for p in outputs.iterdir() if p.is_dir() and p.name[:2] == "20"]
    return run_dir / "data-analytics"


def test_a_rendered_report_in_the_browser(rendered, page):
    """Every link of the summary page resolves (files and their sections); a long table pages;
    the page has no console errors and no MathJax."""
    summary = rendered / "portfolio_summary.html"
    page.goto(summary.as_uri())
    page.wait_for_load_state("load")
    hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    assert any(".html#" in h for h in hrefs)  # the exception links
    for href in hrefs:
        target = urlparse(href)
        assert target.scheme == "file", f"a link leaves the page's folder: {href}"
        path = Path(unquote(target.path))
        assert path.exists(), href
        if target.fragment and path.suffix == ".html":
            assert f'id="{unquote(target.fragment)}"' in path.read_text(encoding="utf-8"), href
    assert page.locator("mjx-container, .MathJax").count() == 0
    page.goto((rendered / "spend.html").as_uri())
    page.wait_for_load_state("load")
    assert page.locator(".pmo-explore-bar").count() == page.locator("table.pmo-explore").count()
    _check_pages_and_search(page, page.locator("table.pmo-explore"))
    overflowing = page.evaluate(
        "() => Array.from(document.querySelectorAll('table.pmo-table td.num'))"
        ".filter(td => td.clientWidth > 0 && td.scrollWidth > td.clientWidth + 1).length"
    )
    assert overflowing == 0
    assert not page.console_errors, page.console_errors
