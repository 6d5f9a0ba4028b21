"""One job into one page: the report's notebook run by nbclient (with papermill's parameters)
in this process's warm kernel, its headline figures taken, its HTML exported by nbconvert and
written whole. A pool worker imports this module alone, with nothing of pandas, DuckDB or the
store (pmo_lib.runner plans the jobs and hands them out; importing it took a worker's start 0.9
s of CPU beside its kernel's imports). With pmo_lib.kernels (nbclient's client of the warm
kernel), the only module that touches papermill, nbclient and nbconvert.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import math
import numbers
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pmo_lib import kept, kernels
from pmo_lib.catalog import HEADLINES_MIME, REPORTS
from pmo_lib.errors import env_number, no_space, no_space_text
from pmo_lib.kernels import (
    BATCH_ENV,
    JOB_TIMEOUT_ENV,
    KERNEL_MAX_MB_ENV,
    SOURCE_ENV,
    KernelLost,
    WarmKernel,
    die_with_parent,
    warm_kernel,
)

# jsonschema (under nbformat) compiles rfc3987_syntax's grammars when imported: 0.8 s of every
# run's and worker's start, for an "iri" format check that notebooks never make. Without the
# module, jsonschema leaves that one check out.
sys.modules.setdefault("rfc3987_syntax", None)

log = logging.getLogger("pmo_reports")

TEMPLATES_DIR = Path(__file__).parent / "templates"
ASSETS = "assets"


@dataclass(frozen=True)
class Job:
    report: str
    scope: str  # the scope's folder under the run's: function, data-analytics/bi-reporting, ...
    level: str  # function, portfolio, sub_portfolio, program or customer
    portfolio: str | None  # None = whole function
    title: str  # the scope's title: Data & Analytics › BI & Reporting
    notebook: str
    out_dir: str  # outputs/<as_of>/<scope>
    as_of: str
    compare_to: str = ""  # the snapshot compared with ("" when there is none earlier)
    sub_portfolio: str = ""
    program: str = ""
    customer: str = ""
    parent: str = ""  # the folder of the scope above
    params_dir: str = ""
    source: str = ""  # as the notebook gets it: redacted of secrets
    fingerprint: str = ""
    nav: tuple[tuple[str, str, bool], ...] = ()  # the navigation bar: (title, href, this page)
    absent: tuple[str, ...] = ()  # tables the report needs that the scope's data lacks
    empty: bool = False  # the scope has no rows in the snapshot: a "no data" page

    @property
    def name(self) -> str:
        return f"{self.scope}/{self.report}"

    @property
    def depth(self) -> int:
        """How many folders below the run's folder its pages are."""
        return self.scope.count("/") + 1

    @property
    def html_path(self) -> Path:
        return Path(self.out_dir) / f"{self.report}.html"

    @property
    def xlsx_path(self) -> Path:
        return Path(self.out_dir) / f"{self.report}.xlsx"

    @property
    def ipynb_path(self) -> Path:
        return Path(self.out_dir) / f"{self.report}.ipynb"

    @property
    def parameters(self) -> dict[str, str]:
        """What the notebook gets, and records: the CONTRACT (and the customer of a customer
        page)."""
        values = {
            "portfolio": self.portfolio or "",
            "level": self.level,
            "sub_portfolio": self.sub_portfolio,
            "program": self.program,
            "as_of": self.as_of,
            "compare_to": self.compare_to,
            "params_dir": self.params_dir,
            "source": self.source,
            "workbook": str(self.xlsx_path),
        }
        if self.level == "customer":
            values["customer"] = self.customer
        return values


@dataclass
class Result:
    job: str
    report: str
    scope: str  # the scope's folder under the run's
    portfolio: str | None
    status: str  # ok, partial (rendered, but some tables it needs are absent), failed, no data
    seconds: float
    fingerprint: str
    error: str = ""
    html: str = ""
    ipynb: str = ""
    reused: bool = False
    headlines: dict = field(default_factory=dict)
    absent: list = field(default_factory=list)  # status partial: the tables it lacked
    level: str = ""  # function, portfolio, sub_portfolio, program or customer
    title: str = ""  # the scope's title
    parent: str = ""  # the folder of the scope above ("" at the top)
    sub_portfolio: str = ""
    program: str = ""
    customer: str = ""

    @classmethod
    def of(cls, job: Job, status: str) -> Result:
        return cls(
            job.name,
            job.report,
            job.scope,
            job.portfolio,
            status,
            0.0,
            job.fingerprint,
            absent=list(job.absent),
            level=job.level,
            title=job.title,
            parent=job.parent,
            sub_portfolio=job.sub_portfolio,
            program=job.program,
            customer=job.customer,
        )


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write to a temporary file beside path, then rename: a reader sees the old or the new file."""
    write_all_atomic({path: content})


def write_all_atomic(files: dict[Path, str | bytes]) -> None:
    """Write several files all or none: every temporary file first, then the renames (which
    need no space). A full disk leaves each file as it was."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            mode = "wb" if isinstance(content, bytes) else "w"
            encoding = {} if mode == "wb" else {"encoding": "utf-8"}
            with os.fdopen(fd, mode, **encoding) as handle:
                handle.write(content)
            os.chmod(tmp, 0o644)
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise


def plotly_asset_name() -> str:
    import plotly

    return f"plotly-{plotly.__version__}.min.js"


def set_env(name: str, value: str | None) -> None:
    """Set a variable of this process's environment (None: unset), which its kernel inherits."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def start_worker(parent: int, folder: str, environ: Mapping[str, str | None]) -> None:
    """A pool worker's start (its initializer): its warm kernel starts first (in folder, the
    notebooks'), and imports the report libraries while the worker imports papermill and builds
    its exporter. environ: what the worker and its kernel inherit besides (None: unset): the
    store and the plan's facts["kernel_env"]."""
    die_with_parent(parent)
    for name, value in environ.items():
        set_env(name, value)
    os.environ.setdefault(
        "PYDEVD_DISABLE_FILE_VALIDATION", "1"
    )  # silences debugpy's frozen-modules note
    logging.getLogger("papermill").setLevel(logging.WARNING)
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    os.environ[BATCH_ENV] = "1"  # as execute_job sets it: the kernel inherits it
    warm_kernel().start(folder)
    atexit.register(_leave)  # run first at exit (last registered)
    import papermill  # noqa: F401  (imported once per worker, while its kernel starts)

    _exporter()


def _leave() -> None:
    """A pool worker's exit once its work is done: its kernel stopped, it leaves without
    tearing down its modules and sockets one by one (0.3 s at the end of every run; its
    results were sent as each job ended)."""
    if kernels._WARM is not None:
        kernels._WARM.stop()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(0)


def take_headlines(nb) -> dict:
    """Remove the headline outputs from the executed notebook and return their figures."""
    figures: dict = {}
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if HEADLINES_MIME in data:
                figures.update(data[HEADLINES_MIME])
            else:
                kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    return figures


def _mark_page_breaks(nb) -> None:
    """Printed, every section after the first starts a page (the print stylesheet reads the tag)."""
    sections = [
        c
        for c in nb.cells
        if c.get("cell_type") == "markdown" and c.get("source", "").lstrip().startswith("## ")
    ]
    for cell in sections[1:]:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "pmo-new-page" not in tags:
            tags.append("pmo-new-page")


def _strip_for_readers(nb) -> None:
    """What readers must not see: warnings text on stderr (kept in the .ipynb for analysts)."""
    for cell in nb.cells:
        if "outputs" in cell:
            cell["outputs"] = [
                o
                for o in cell["outputs"]
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]


@functools.cache
def _exporter():
    """One HTML exporter per worker process: building it (templates, CSS) costs more than
    exporting."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        """nbconvert's HTML exporter less its last step, which parses the whole page again with
        BeautifulSoup only to give <img> tags alt text (a report has none) and outputs and
        markdown cells a tabindex (added here by a pattern): 13 of the 21 s of a 7 MB page at
        100× the demo."""

        def from_notebook_node(self, nb, resources=None, **kw):
            resources = self._init_resources(resources)  # what HTMLExporter does before ...
            self.register_filter("highlight_code", Highlight2HTML(parent=self))
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources
                ),
            )
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _tidy(html), resources

    return ReportExporter(
        template_name="pmo",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


_CLASSES = re.compile(r'class="([^"]*)"')
# an output's or a markdown cell's opening tag: keyboard users can move to each, as in nbconvert
_FOCUSABLE = re.compile(
    r'(<div class="[^"]*\b(?:jp-OutputArea-output|jp-Cell-inputWrapper)\b[^"]*")'
)


def _tidy(html: str) -> str:
    """What nbconvert's BeautifulSoup pass did to a page, by patterns: class lists with single
    spaces (the template leaves doubles: "jp-MarkdownOutput  celltag_…") and a tabindex on
    outputs and markdown cells."""
    html = _CLASSES.sub(lambda m: f'class="{" ".join(m.group(1).split())}"', html)
    return _FOCUSABLE.sub(r'\1 tabindex="0"', html)


def contents(nb) -> list[tuple[str, str]]:
    """The report's sections (its ## headings) with nbconvert's anchor ids, for a table of
    contents."""
    found = []
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            for line in cell.get("source", "").splitlines():
                if line.startswith("## "):
                    text = line[3:].strip()
                    found.append((text, text.replace(" ", "-")))
    return found


def export_html(
    nb,
    title: str,
    plotly_src: str | None,
    plotly_inline: str | None,
    nav: list[tuple[str, str, bool]] | None = None,
) -> str:
    exporter = _exporter()
    nb.metadata["title"] = title
    resources = {
        "pmo_css": (TEMPLATES_DIR / "pmo" / "report.css").read_text(encoding="utf-8"),
        "plotly_js_src": plotly_src,
        "plotly_js_inline": plotly_inline,
        "pmo_explore_js": (TEMPLATES_DIR / "pmo" / "explore.js").read_text(encoding="utf-8"),
        "pmo_nav": nav or [],
        "pmo_toc": contents(nb),
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def plain(value: object) -> object:
    """A value as JSON can hold it exactly: numpy numbers as Python ones, inf and nan as null
    (never the text "inf"), containers walked."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None
    return str(value)


def error_line(exc: BaseException) -> str:
    if no_space(exc):
        name = getattr(exc, "filename", None)
        where = f" writing {Path(name).name}" if name else ""
        return f"{no_space_text(exc)}{where}: free some space and run again"
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    lines = [line for line in f"{ename}: {evalue}".strip().splitlines() if line.strip()]
    return lines[-1] if lines else ename


def execute_job(
    job: Job, keep_ipynb: bool, self_contained: bool, kernel: WarmKernel | None = None
) -> Result:
    """Run one notebook in the warm kernel (this process's, unless one is given) and publish
    its HTML; never raises for a notebook error. A kernel lost during the job (dead, hung past
    $PMO_JOB_TIMEOUT, unable to reset) is replaced and the job run once more."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    started = time.perf_counter()
    kernel = kernel or warm_kernel()
    result = Result.of(job, "partial" if job.absent else "ok")
    os.environ[BATCH_ENV] = "1"  # the kernel inherits it: no filter panel, ever
    timeout = env_number(JOB_TIMEOUT_ENV, 600)
    folder = str(Path(job.notebook).parent)
    nb = None
    try:
        Path(job.out_dir).mkdir(parents=True, exist_ok=True)
        for attempt in (1, 2):
            nb = parameterize_notebook(
                load_notebook_node(job.notebook),
                job.parameters,
                kernel_name="python3",
                language="python",
            )
            try:
                kernel.ready(folder, job.portfolio)
                kernel.execute(nb, timeout)
                break
            except (DeadKernelError, CellTimeoutError, KernelLost) as exc:
                kernel.stop()
                if attempt == 2:
                    raise KernelLost(f"the kernel was lost twice: {error_line(exc)}") from exc
                log.warning("%s: %s; a new kernel runs it again", job.name, error_line(exc))
        if kernel.rss() > env_number(KERNEL_MAX_MB_ENV, 1500) * 1024 * 1024:
            kernel.stop()  # the next job starts a new one
        result.headlines = {k: plain(v) for k, v in take_headlines(nb).items()}
        if keep_ipynb:
            write_atomic(job.ipynb_path, nbformat.writes(nb))
            result.ipynb = job.ipynb_path.name
        _strip_for_readers(nb)
        _mark_page_breaks(nb)
        plotly_src = None
        if not self_contained:
            plotly_src = f"{'../' * job.depth}{ASSETS}/{plotly_asset_name()}"
        inline = None
        if self_contained:
            from plotly.offline import get_plotlyjs

            inline = get_plotlyjs()
        title = f"{REPORTS.get(job.report, job.report)} — {job.title} — {job.as_of}"
        write_atomic(job.html_path, export_html(nb, title, plotly_src, inline, list(job.nav)))
        result.html = job.html_path.name
    except Exception as exc:  # a failed report is recorded, and the others go on
        result.status = "failed"
        result.error = error_line(exc)
        if nb is not None:  # kept for debugging, as far as it ran (a full disk: not kept)
            with contextlib.suppress(OSError):
                write_atomic(job.ipynb_path, nbformat.writes(nb))
                result.ipynb = job.ipynb_path.name
    result.seconds = round(time.perf_counter() - started, 2)
    return result


_ONE_AT_A_TIME = threading.Lock()  # one warm kernel per process: a Dask worker's threads queue


def execute_group(
    jobs: list[Job], keep_ipynb: bool, self_contained: bool, source: str = ""
) -> list[Result]:
    """A worker's task: jobs of one scope, one after another in its warm kernel. source: the
    store, for a worker that the run did not start (a Dask worker)."""
    with _ONE_AT_A_TIME:
        if source:
            os.environ[SOURCE_ENV] = source
            for name in (kept.CACHE_ENV, kept.PRINTS_ENV):  # a Dask worker's kernel keeps none
                os.environ.pop(name, None)
            logging.getLogger("papermill").setLevel(logging.WARNING)
            logging.getLogger("traitlets").setLevel(logging.ERROR)
        return [execute_job(job, keep_ipynb, self_contained) for job in jobs]
