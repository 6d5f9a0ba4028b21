"""The reports as Voila dashboards (`make dashboard`, issue 15), in a real browser.

Voila is started as `make dashboard` starts it (the repository's voila.json: loopback only, a
token, no code, the kernel client that lets a report's output widgets render) on a free port, on
a copy of notebooks/ in a temporary folder reading the session's demo store; Playwright drives
the Debian chromium with the helpers of tests/test_browser.py. The spend dashboard must show its
tiles and the filter panel, no code and no parameters, no widget or console errors, and a
portfolio chosen in the panel must change the tiles.
"""

from __future__ import annotations

import html as markup
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_browser import (  # noqa: F401 (fixtures)
    CHROMIUM,
    SEEN,
    _free_port,
    browser,
    jupyter_env,
    page,
)

from pmo_lib import filters

ROOT = Path(__file__).resolve().parent.parent
# Voila's lab template asks a CDN for Font Awesome (no report uses its icons); offline, as here,
# that request fails, which is no fault of the dashboard.
CDN_FONTS = "Failed to load resource: net::ERR_NAME_NOT_RESOLVED"
IDLE = """() => {
  const status = Array.from(document.querySelectorAll('.widget-html'))
    .map(w => w.textContent).join(' ');
  return status.includes('Showing') && !status.includes('Updating…');
}"""


def test_the_panel_shows_in_a_voila_kernel_and_never_in_batch(monkeypatch):
    """Voila gives its kernels VOILA_BASE_URL (and sets VOILA_KERNEL_ID); the runner's
    PMO_BATCH rules the panel out even there."""
    for name in filters.FRONT_END_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(filters.BATCH_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "ipykernel", object())
    assert not filters.in_jupyterlab()  # papermill, nbclient: neither front end
    monkeypatch.setenv("VOILA_BASE_URL", "/")
    assert filters.in_jupyterlab()
    monkeypatch.setenv(filters.BATCH_ENV, "1")
    assert not filters.in_jupyterlab()
    monkeypatch.delenv(filters.BATCH_ENV)
    monkeypatch.delenv("VOILA_BASE_URL")
    monkeypatch.setenv("VOILA_KERNEL_ID", "0e4b5a2c")
    assert filters.in_jupyterlab()


def test_make_dashboard_serves_the_notebooks_with_voila_json():
    """The Makefile runs voila on notebooks/ from the repository's root, where Voila reads
    voila.json: loopback only, behind a token, sources stripped, the sliced shell client."""
    recipe = (ROOT / "Makefile").read_text().split("\ndashboard:", 1)[1].split("\n\n", 1)[0]
    assert "/voila notebooks --port=$(DASHBOARD_PORT)" in recipe
    config = json.loads((ROOT / "voila.json").read_text())
    assert config["Voila"]["ip"] == "127.0.0.1" and config["Voila"]["auto_token"] is True
    assert config["VoilaConfiguration"]["strip_sources"] is True
    assert config["AsyncKernelManager"]["client_class"] == "pmo_lib.dashboard.DashboardKernelClient"


@pytest.fixture(scope="module")
def dashboard(demo_store, tmp_path_factory):
    """Voila as `make dashboard` starts it (voila.json), on a copy of the notebooks and the demo
    store; yields the address of the spend dashboard, with its token."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (Debian package chromium; .ci/run installs it)")
    home = tmp_path_factory.mktemp("dashboard")
    shutil.copytree(ROOT / "notebooks", home / "notebooks")
    port, token = _free_port(), secrets.token_hex(16)
    env = jupyter_env(home, demo_store)
    command = [
        sys.executable,
        "-m",
        "voila",
        "notebooks",
        f"--port={port}",
        f"--Voila.config_file_paths=['{ROOT}']",  # voila.json, as from the root in make
        f"--Voila.token={token}",  # known to the test (make dashboard has Voila make one)
    ]
    log = (home / "voila.log").open("w")
    process = subprocess.Popen(
        command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/?token={token}", timeout=5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "Voila did not start:\n" + (home / "voila.log").read_text()
                    ) from None
                time.sleep(0.3)
        yield {"url": url, "token": token, "log": home / "voila.log"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # Voila and the kernels it started
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_the_spend_dashboard(dashboard, page):  # noqa: F811 (the page fixture)
    """Tiles and panel, no code, no errors; another portfolio in the panel changes the tiles."""
    page.goto(_render(dashboard, "spend"), timeout=90_000)
    page.wait_for_selector(".pmo-kpi", timeout=60_000)
    portfolio = page.locator(".widget-dropdown:has(label:text-is('Portfolio')) select").first
    portfolio.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # the last outputs drawn
    seen = page.evaluate(SEEN.replace("window.jupyterapp.shell.currentWidget.node", "document"))
    assert seen["tiles"], "no tiles"
    assert seen["maths"] == 0 and not seen["errors"], seen["errors"]
    assert "Error displaying widget" not in page.locator("body").inner_text()
    assert seen["explored"] == seen["explorable"] == seen["bars"] > 0, "tables not explorable"
    _check_no_code(page)
    before = seen["tiles"]
    labels = [t.replace("\xa0", " ") for t in portfolio.evaluate(_OPTIONS)]
    portfolio.select_option(index=labels.index("Data & Analytics"))
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.widget-html'))"
        ".some(w => w.textContent.replace(/\\u00a0/g, ' ').includes('Showing Data & Analytics'))",
        timeout=30_000,
        polling=100,
    )
    page.wait_for_function(IDLE, timeout=30_000, polling=100)
    page.wait_for_timeout(500)
    after = page.evaluate(SEEN.replace("window.jupyterapp.shell.currentWidget.node", "document"))
    assert after["tiles"] and after["tiles"] != before, "the tiles did not change"
    assert not after["errors"] and "Error displaying widget" not in after["text"], after["errors"]
    errors = [e for e in page.console_errors if e != CDN_FONTS]
    assert not errors, f"console errors {errors}\n{dashboard['log'].read_text()[-3000:]}"


_OPTIONS = "s => Array.from(s.options).map(o => o.text)"


def _render(dashboard: dict, name: str) -> str:
    return f"{dashboard['url']}/voila/render/{name}.ipynb?token={dashboard['token']}"


def test_a_link_opens_the_linked_dashboard_at_its_section(dashboard, page):  # noqa: F811
    """The summary's exception link opens the health dashboard (a new tab, Voila's way with
    links) and, once its cells are shown, brings the linked section into view."""
    page.goto(_render(dashboard, "portfolio_summary"), timeout=90_000)
    link = page.locator("table.pmo-table a[href*='health.ipynb#']").first
    link.wait_for(timeout=60_000)
    with page.context.expect_page(timeout=10_000) as opened:
        link.click()
    health = opened.value
    section = health.url.split("#", 1)[1]
    assert health.url.split("#")[0].split("?")[0].endswith("/voila/render/health.ipynb")
    in_view = """id => { const h = document.getElementById(decodeURIComponent(id));
      if (!h) return false; const r = h.getBoundingClientRect();
      return r.height > 0 && r.top >= 0 && r.top < 300; }"""
    health.wait_for_function(in_view, arg=section, timeout=60_000, polling=200)
    health.wait_for_timeout(2500)  # every cell drawn: the section is still in view
    assert health.evaluate(in_view, section), "the section was pushed out of view"
    health.close()


def _check_no_code(tab) -> None:
    """No code cell shows its source, the parameters cell included: no editor, no prompt, and
    no line of any code cell in the page."""
    assert tab.locator(".jp-CodeCell .jp-InputArea, .cm-editor, .jp-InputPrompt").count() == 0
    html = markup.unescape(tab.content())
    cells = json.loads((ROOT / "notebooks" / "spend.ipynb").read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"].get("tags", [])
    lines = {line.strip() for c in code for line in "".join(c["source"]).splitlines()}
    shown = [line for line in lines if len(line) >= 12 and line in html]
    assert not shown, f"code shown in the dashboard: {shown}"
