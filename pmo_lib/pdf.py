"""The PDF pack: one PDF per scope, the executive summary first, then each report, for leaders
who read on paper or offline.

Each page is printed by a headless Chromium (the Debian package `chromium`, or the browser
`PMO_CHROMIUM` names) from the rendered HTML, with the report's print rules (charts, tiles and
table rows are never split across pages, each section after the first starts a page) and a
footer in every page's margin: the scope, the report and the as-of date on the left, "Page n
of m" on the right (CSS page-margin boxes). The pages are joined with pypdf, one bookmark per
report, written beside the pack and renamed into place: a reader never sees half a PDF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pmo_lib import formatting
from pmo_lib.catalog import REPORTS
from pmo_lib.errors import PMOError

PACK = "report-pack.pdf"  # in each scope's folder
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_SECONDS = 180  # one page's print at most
NO_BROWSER = (
    "--pdf needs a headless Chromium to print the pages, and none was found: install it (Debian"
    " and Ubuntu: `apt-get install chromium`) or set PMO_CHROMIUM to the browser's path"
)


def find_browser() -> str | None:
    """The Chromium to print with: PMO_CHROMIUM, else the first of BROWSERS on the PATH."""
    named = os.environ.get("PMO_CHROMIUM")
    if named:
        return named if Path(named).exists() or shutil.which(named) else None
    return next((found for b in BROWSERS if (found := shutil.which(b))), None)


def need_browser() -> str:
    browser = find_browser()
    if browser is None:
        raise PMOError(NO_BROWSER)
    return browser


def _css_text(text: str) -> str:
    """text as a CSS string's content: every character but letters, digits, spaces and plain
    punctuation escaped by code point, so that data (a name with "</style>") stays text."""
    safe = set(" .,:;!?()&·-_'")
    return "".join(
        c if c.isalnum() or c in safe else f"\\{ord(c):x} " for c in text.replace("\n", " ")
    )


def footer_css(left: str) -> str:
    """The page-margin rules: left = scope · report · as-of date; right = Page n of m."""
    return (
        "<style>@page { size: A4 landscape; margin: 12mm 12mm 14mm 12mm;"
        f' @bottom-left {{ content: "{_css_text(left)}"; font: 9px sans-serif; color: #52606d; }}'
        ' @bottom-right { content: "Page " counter(page) " of " counter(pages);'
        " font: 9px sans-serif; color: #52606d; } }</style>"
    )


def print_page(browser: str, page: Path, out: Path, footer: str) -> None:
    """Print one rendered page to out, with the footer; a copy of the page beside it (so that
    its relative links to plotly.js hold) carries the footer's rules and is removed after."""
    html = page.read_text(encoding="utf-8")
    styled = html.replace("</head>", footer_css(footer) + "</head>", 1)
    copy = page.with_name(f".{page.stem}.print.html")
    copy.write_text(styled, encoding="utf-8")
    command = [
        browser,
        "--headless",
        "--disable-gpu",
        "--no-pdf-header-footer",
        "--run-all-compositor-stages-before-draw",
        "--virtual-time-budget=20000",
        f"--print-to-pdf={out}",
        copy.resolve().as_uri(),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PRINT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise PMOError(f"{page}: Chromium did not print it in {PRINT_SECONDS} s") from exc
    finally:
        copy.unlink(missing_ok=True)
    if not out.exists() or out.stat().st_size == 0:
        said = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PMOError(f"{page}: Chromium printed no PDF ({said[0]})")


def write_pack(browser: str, scope_dir: Path, pages: list[tuple[str, str]], footer: str) -> Path:
    """One scope's pack from its pages [(report, html file)], in that order; returns its path."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    with tempfile.TemporaryDirectory(prefix="pmo-pdf-") as tmp:
        for report, html in pages:
            printed = Path(tmp) / f"{report}.pdf"
            title = REPORTS.get(report, report)
            print_page(browser, scope_dir / html, printed, f"{footer} · {title}")
            first = len(writer.pages)
            writer.append(str(printed))
            writer.add_outline_item(title=title, page_number=first)
        target = scope_dir / PACK
        partial = target.with_name(f".{PACK}.writing")
        with partial.open("wb") as out:
            writer.write(out)
        partial.replace(target)
    return target


def write_packs(run_dir: Path, manifest: dict) -> list[Path]:
    """A pack per scope of the run's manifest: its summary first, then its other pages in the
    run's order (failed pages are left out)."""
    browser = need_browser()
    scopes: dict[str, list[dict]] = {}
    for job in manifest["jobs"]:
        if job["status"] != "failed" and job.get("html"):
            scopes.setdefault(job["scope"], []).append(job)
    as_of = formatting.date(manifest["as_of"])
    written = []
    for scope, jobs in scopes.items():
        jobs = sorted(jobs, key=lambda j: j["report"] != "portfolio_summary")  # stable
        title = jobs[0].get("title") or scope
        pages = [(j["report"], j["html"]) for j in jobs]
        written.append(write_pack(browser, run_dir / scope, pages, f"{title} · as of {as_of}"))
    return written
