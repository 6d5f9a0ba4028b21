"""Plan, execute and publish the reports: each job rendered by pmo_lib.render (its notebook
run by nbclient with papermill's parameters in a warm kernel, nbconvert to HTML).

Each job is one report for one scope
(the function, a portfolio, a sub-portfolio, a program or a customer: pmo_lib.scopes). The plan
comes first and decides what is unchanged since the last run (each job's fingerprint covers its
notebook, parameters, the library's code and its portfolio's rows: store.scope_prints); a run
with nothing to render starts nothing. The rest runs in this process (--jobs 1) or in worker
processes, one job at a time to the worker whose kernel holds its portfolio (Backlog), each worker
with one kernel kept across its jobs (WarmKernel). A
failing job does not stop the others, and every output file is written atomically. Everything a
notebook reads travels as a papermill parameter (CONTRACT), so the executed notebook records it.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import logging
import math
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from pmo_lib import data, ingest_log, kept, kernels, portal, scopes, store
from pmo_lib.catalog import CUSTOMER_REPORT, absent
from pmo_lib.data import SOURCE_ENV, resolve_as_of
from pmo_lib.errors import PMOError
from pmo_lib.kernels import (
    BATCH_ENV,
    KernelLost,
    WarmKernel,
)
from pmo_lib.params import (
    NOTEBOOKS_DIR,
    ReportConfig,
    check_portfolios_known,
    load_all,
    params_dir,
)
from pmo_lib.render import (
    ASSETS,
    Job,
    Result,
    error_line,
    execute_group,
    execute_job,
    plain,
    plotly_asset_name,
    set_env,
    start_worker,
    write_all_atomic,
    write_atomic,
)

# The runner-notebook contract: every report notebook declares these in its parameters cell,
# and the runner passes each one (docs/architecture.md). A customer page also takes `customer`.
CONTRACT = (
    "portfolio",  # name as in the data; "" = the whole function
    "level",  # function, portfolio, sub_portfolio, program or customer
    "sub_portfolio",  # "" = all
    "program",  # "" = all
    "as_of",  # YYYY-MM-DD, the snapshot reported on
    "compare_to",  # YYYY-MM-DD, the snapshot compared with ("" = none earlier)
    "params_dir",  # the folder of parameter files
    "source",  # the store, redacted of secrets (the kernel takes the secret from $PMO_SOURCE)
    "workbook",  # where the page's Excel workbook goes
)
CUSTOMER_PARAMETERS = ("customer",)


@dataclass(frozen=True)
class Options:
    source: Path | str  # a DuckDB file or a postgresql:// URL
    outputs: Path
    as_of: str = ""
    portfolios: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()
    jobs: int = 0
    keep_ipynb: bool = False
    self_contained: bool = False
    force: bool = False
    params_dir: Path = field(default_factory=params_dir)  # $PMO_PARAMS, else params/, when made
    notebooks_dir: Path = NOTEBOOKS_DIR
    compare_to: str = ""  # the snapshot to compare with; "" = the one before as_of
    levels: tuple[str, ...] = ()  # override every parameters file's levels
    customers: bool | None = None  # override every parameters file's customers
    sub_portfolios: tuple[str, ...] = ()  # on demand: these sub-portfolios' scopes only
    programs: tuple[str, ...] = ()  # on demand: these programs' scopes only
    executor: str = "local"  # local (this machine's processes) or dask
    scheduler: str = ""  # dask: the scheduler's address (tcp://host:8786); "" = a LocalCluster
    pdf: bool = False  # also write a PDF pack per scope (pmo_lib/pdf.py)


# -- writing files ---------------------------------------------------------------------------
def write_plotly_asset(run_dir: Path) -> Path:
    """plotly.js once per run folder; reports reference it relatively."""
    from plotly.offline import get_plotlyjs

    path = run_dir / ASSETS / plotly_asset_name()
    if not path.exists():
        write_atomic(path, get_plotlyjs())
    return path


# -- planning --------------------------------------------------------------------------------
def _pick(configs: list[ReportConfig], wanted: tuple[str, ...]) -> list[ReportConfig]:
    """The scopes named by --portfolio (name, slug, or 'function'), in their usual order."""
    if not wanted:
        return configs

    def names(c: ReportConfig) -> set[str]:
        return {c.slug, c.portfolio or "function"}

    for name in wanted:
        if not any(name in names(c) for c in configs):
            known = ", ".join(c.portfolio or c.slug for c in configs)
            raise PMOError(f"--portfolio {name}: unknown portfolio; known: {known}")
    return [c for c in configs if names(c) & set(wanted)]


def _known_names(source: Path) -> Callable[[str, str], set[str]]:
    """known(portfolio, level): the sub-portfolio or program names a portfolio has in any
    snapshot (for a scope asked for by name that the as-of snapshot lacks)."""

    def known(portfolio: str, level: str) -> set[str]:
        query = (
            "SELECT DISTINCT sub_portfolio FROM projects WHERE portfolio = $p"
            " UNION SELECT DISTINCT sub_portfolio FROM demand WHERE portfolio = $p"
            if level == "sub_portfolio"
            else "SELECT DISTINCT program FROM projects WHERE portfolio = $p"
        )
        with store.reading(source) as con:
            return {r[0] for r in con.execute(query, {"p": portfolio}).fetchall() if r[0]}

    return known


def notebook_parameters(notebook: Path) -> set[str]:
    """The names the notebook's parameters cell (tagged "parameters") assigns, read without
    papermill (whose import costs more than a run with nothing to render)."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get(
            "tags", []
        ):
            source = cell.get("source", "")
            names = set()
            for node in ast.parse(source if isinstance(source, str) else "".join(source)).body:
                targets = node.targets if isinstance(node, ast.Assign) else [node]
                for target in targets:
                    target = getattr(target, "target", target)
                    if isinstance(target, ast.Name):
                        names.add(target.id)
            return names
    return set()


def _declared(notebook: Path, cache: dict[str, set[str]], customer: bool) -> None:
    """The notebook's parameters cell must declare every parameter of the contract."""
    if str(notebook) not in cache:
        cache[str(notebook)] = notebook_parameters(notebook)
    wanted = CONTRACT + (CUSTOMER_PARAMETERS if customer else ())
    missing = [p for p in wanted if p not in cache[str(notebook)]]
    if missing:
        raise PMOError(
            f"{notebook}: its parameters cell does not declare {', '.join(missing)} (every"
            f" report notebook takes {', '.join(wanted)}: docs/architecture.md)"
        )


def plan(options: Options, dry_run: bool = False) -> tuple[list[Job], dict]:
    """Validate everything a run needs before any kernel starts; return the jobs and run facts.
    A dry run writes nothing (no scopes kept for the next run)."""
    logging.getLogger("papermill").setLevel(logging.WARNING)
    params = Path(options.params_dir).resolve()
    configs = load_all(params, options.notebooks_dir)
    store.verify(options.source)  # a damaged store stops the run here, not in every report
    snapshots = store.list_snapshots(options.source)
    current, previous = resolve_as_of(
        snapshots, options.as_of or None, options.source, options.compare_to or None
    )
    with store.reading(options.source) as con:
        known = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT portfolio FROM projects"
                " UNION SELECT DISTINCT portfolio FROM demand"
            ).fetchall()
        }
    check_portfolios_known(configs, known)
    function = next((c.slug for c in configs if c.is_function), "")  # the portfolios' parent
    configs = _pick(configs, options.portfolios)
    day = current.date()
    with_data = set(store.portfolios_with_data(options.source, day))
    whole = functools.cache(
        lambda: data.Snapshot(current, data.snapshot_tables(options.source, day, None))
    )
    # Most of the store's portfolios planned: the function's snapshot read once and narrowed to
    # each, as its reports narrow it (the same rows: 48 portfolios' reads took 12 s, this 6);
    # a few: each read alone (one portfolio of a large store need not hold all its rows).
    many = 2 * len({c.portfolio for c in configs if not c.is_function}) >= len(known - {None})

    def snapshot(portfolio: str | None) -> data.Snapshot:
        if portfolio is None:
            return whole()
        if many:
            return whole().in_portfolio(portfolio)
        return data.Snapshot(current, data.snapshot_tables(options.source, day, portfolio))

    # Each job's data print is its portfolio's (the function's: everything), over every
    # snapshot up to as_of: one portfolio's change re-renders its jobs and the function's only.
    by_date, counts = store.scope_prints_and_rows(
        options.source, day, list({c.portfolio: 0 for c in configs}), by_date=True
    )
    prints = {portfolio: found[day.isoformat()] for portfolio, found in by_date.items()}
    folder = "" if dry_run else figures_folder(options)
    # the function's comparison and the KPI trails in the kernels ask for them again
    plan_prints = kept.put_prints(Path(folder), options.source, day, by_date) if folder else None

    def keep(portfolio: str | None, parts: tuple, compute: Callable[[], list[dict]]):
        """A portfolio's scopes as the last run planned them while its rows are the same (48
        portfolios' sub-portfolios and programs counted: 1.3 s of a run)."""
        if not folder:
            return compute()
        return kept.value((*parts, prints[portfolio], day.isoformat()), compute, Path(folder))

    planned = scopes.plan(
        configs,
        snapshot,
        scopes.Wanted(options.levels, options.customers, options.sub_portfolios, options.programs),
        _known_names(options.source),
        function,
        keep,
    )
    data.forget_snapshots()  # the workers read their own: the plan holds no snapshot for the run
    by_path = {s.path: s for s in planned}
    code_print = kept.code_print()
    run_dir = options.outputs.resolve() / day.isoformat()  # absolute: kernels run elsewhere
    source = store.redact(str(options.source))  # the secret, if any, stays in the environment
    compare_to = previous.date().isoformat() if previous is not None else ""
    declared: dict[str, set[str]] = {}
    jobs = []
    for scope in planned:
        config = scope.config
        rows = (
            counts[config.portfolio]
            if scope.level in ("function", "portfolio", "customer")
            else scope.rows
        )
        empty = scope.empty or (scope.level == "portfolio" and config.portfolio not in with_data)
        for report in scope.reports:
            if options.reports and report not in options.reports:
                continue
            notebook = options.notebooks_dir / f"{report}.ipynb"
            _declared(notebook, declared, report == CUSTOMER_REPORT)
            job = Job(
                report=report,
                scope=scope.path,
                level=scope.level,
                portfolio=config.portfolio,
                title=scope.title,
                notebook=str(notebook),
                out_dir=str(run_dir / scope.path),
                as_of=day.isoformat(),
                compare_to=compare_to,
                sub_portfolio=scope.sub_portfolio,
                program=scope.program,
                customer=scope.customer,
                parent=scope.parent,
                params_dir=str(params),
                source=source,
                nav=tuple(scopes.navigation(scope, report, by_path)),
                absent=tuple(absent(report, rows.get)),
                empty=empty,
            )
            digest = hashlib.sha256()
            for part in (
                notebook.read_bytes(),
                config.model_dump_json().encode(),
                prints[config.portfolio].encode(),
                code_print.encode(),
                str(options.self_contained).encode(),
                json.dumps([job.parameters, job.nav]).encode(),
            ):
                digest.update(part)
            jobs.append(replace(job, fingerprint=digest.hexdigest()[:16]))
    if options.reports:
        unknown = set(options.reports) - {j.report for j in jobs}
        if unknown:
            raise PMOError(
                f"--report {', '.join(sorted(unknown))}: not a report of the chosen scopes"
            )
    facts = {
        "as_of": day.isoformat(),
        "previous_as_of": compare_to or None,
        "run_dir": run_dir,
        "portfolios_with_data": with_data,
        # an enterprise store's portfolio -> function, for the portal's function headings
        "functions": store.load_functions(options.source, day),
        "source": store.display_source(options.source),  # no local folders on a page
        # what the snapshot's ingest left out or blanked (counted per cause), for every reader
        "ingest": ingest_log.summary(store.load_ingest_log(options.source, day)),
        # what the run's kernels inherit: where answers are kept, and this plan's prints
        "kernel_env": {
            kept.CACHE_ENV: folder or None,
            kept.PRINTS_ENV: str(plan_prints) if plan_prints else None,
        },
    }
    return jobs, facts


# -- executing one job (in a worker process) ---------------------------------------------------
def expected_seconds(jobs: list[Job], seconds: Mapping[str, float] | None) -> dict[str, float]:
    """What each job is expected to take: its seconds in the last run, else the mean of those
    (1 s each without a last run)."""
    took = {name: t for name, t in (seconds or {}).items() if math.isfinite(t) and t >= 0}
    usual = sum(took.values()) / len(took) if took else 1.0
    return {job.name: took.get(job.name, usual) for job in jobs}


def by_scope(
    jobs: list[Job], workers: int, seconds: Mapping[str, float] | None = None
) -> list[list[Job]]:
    """The jobs grouped by scope (one worker, one kernel and one snapshot cache for a scope's
    reports), each group cut to at most a third of a worker's share of the run: in jobs, and in
    the seconds the jobs took in the last run (a job not in it: their mean) where some take far
    longer than others, so that every worker has work when the scopes are few and no scope's
    long reports run one after another while the other workers wait (the function's six after
    one portfolio changed). The portfolio with the most work first, and within it the longest
    groups: a kernel moving to another portfolio reads its tables again."""
    expected = expected_seconds(jobs, seconds)
    size = max(1, math.ceil(len(jobs) / (3 * workers)))
    total = sum(expected.values())
    # at least `size` jobs of the mean time: jobs that take alike are cut by count alone
    budget = max(total / (3 * workers), size * total / max(1, len(jobs))) * (1 + 1e-9)
    scoped: dict[str, list[Job]] = {}
    for job in jobs:
        scoped.setdefault(job.scope, []).append(job)
    groups: list[list[Job]] = []
    for scope_jobs in scoped.values():
        group: list[Job] = []
        for job in scope_jobs:
            load = sum(expected[j.name] for j in group) + expected[job.name]
            if group and (len(group) == size or load > budget):
                groups.append(group)
                group = []
            group.append(job)
        groups.append(group)

    def seconds_of(group: list[Job]) -> float:
        return sum(expected[job.name] for job in group)

    per_portfolio: dict[str | None, float] = {}
    for group in groups:
        owner = group[0].portfolio
        per_portfolio[owner] = per_portfolio.get(owner, 0.0) + seconds_of(group)
    return sorted(groups, key=lambda g: (-per_portfolio[g[0].portfolio], -seconds_of(g)))


# -- the run -----------------------------------------------------------------------------------
def _previous_run(run_dir: Path) -> tuple[dict[str, dict], str | None]:
    """The last run's results by job, and when it generated its pages (None: no such run)."""
    manifest = run_dir / "manifest.json"
    if not manifest.exists():
        return {}, None
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
        return {j["job"]: j for j in recorded["jobs"]}, recorded.get("generated_at")
    except (ValueError, KeyError, TypeError):
        return {}, None


def _reused(recorded: dict) -> Result:
    """A job's result from the previous manifest (keys of older versions ignored)."""
    known = {f.name for f in fields(Result)}
    return Result(**{**{k: v for k, v in recorded.items() if k in known}, "reused": True})


def _no_data_result(job: Job) -> Result:
    started = time.perf_counter()
    result = replace(Result.of(job, "no data"), absent=[])
    try:
        page = portal.no_data_page(job.report, job.title, job.as_of, "../" * job.depth)
        write_atomic(job.html_path, page)
        result.html = job.html_path.name
    except OSError as exc:
        result.status, result.error = "failed", error_line(exc)
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def publish(run_dir: Path, outputs: Path, manifest: dict) -> None:
    """Write the run's manifest and index together, each whole, or neither (a full disk leaves
    both as the last run left them), then the list of runs."""
    manifest = plain(manifest)  # inf and nan as null: JSON, not "inf"
    text = json.dumps(manifest, indent=2, allow_nan=False)
    pages = {run_dir / "manifest.json": text, run_dir / "index.html": portal.run_index(manifest)}
    for scope, page in portal.scope_indexes(manifest).items():  # drill-down: each scope's index
        pages[run_dir / scope / "index.html"] = page
    try:
        write_all_atomic(pages)
    except OSError as exc:
        if not store.no_space(exc):
            raise
        raise PMOError(
            f"{run_dir}: {store.no_space_text(exc)}: the run's manifest.json and index.html were"
            " not written (both are as the last run left them, and so are the scopes' indexes)."
            " Free some space and run again"
        ) from exc
    try:
        write_atomic(outputs / "index.html", portal.runs_index(outputs))
    except OSError as exc:
        if not store.no_space(exc):
            raise
        raise PMOError(
            f"{outputs / 'index.html'}: {store.no_space_text(exc)}: the list of runs was not"
            f" updated (the run's own index is written: {run_dir / 'index.html'}). Free some"
            " space and run again"
        ) from exc


class Progress:
    """A progress bar on a terminal, one line per job otherwise (cron, CI logs)."""

    def __init__(self, total: int):
        self.total, self.done = total, 0
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="report", file=sys.stderr)

    def update(self, result: Result) -> None:
        self.done += 1
        extra = " (unchanged, reused)" if result.reused else ""
        line = (
            f"[{self.done}/{self.total}] {result.status:<7} {result.job}"
            f" {result.seconds:.1f}s{extra}"
        )
        if result.error:
            line += f" — {result.error}"
        if self.bar is not None:
            self.bar.set_postfix_str(result.job)
            self.bar.update()
            if result.status == "failed":
                self.bar.write(line)
        else:
            print(line, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def figures_folder(options: Options) -> str:
    """Where a run's kernels keep figures for the next run (kept.py): none with --force, which
    computes everything again."""
    return "" if options.force else str(options.outputs.resolve() / kept.IN_OUTPUTS)


def _in_this_process(
    jobs: list[Job],
    options: Options,
    progress: Progress,
    kernel_env: Mapping[str, str | None],
    early: WarmKernel | None = None,
) -> list[Result]:
    """--jobs 1, or a single job: run in this process, in one warm kernel for the run (early:
    one started before the plan, told the store and the plan's kernel_env now)."""
    names = (SOURCE_ENV, BATCH_ENV, *kernel_env)
    saved = {name: os.environ.get(name) for name in names}
    # as in a worker: nbclient's "Executing notebook with kernel: python3" is no line of the log
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    os.environ[SOURCE_ENV] = str(options.source)
    for name, value in kernel_env.items():  # a kernel started now (or again) inherits them
        set_env(name, value)
    kernel = early or WarmKernel()
    if early is not None:
        try:
            early.environ({SOURCE_ENV: str(options.source), **kernel_env})
        except KernelLost:  # replaced at the first job's ready(), with this environment
            early.stop()
    results = []
    try:
        for job in jobs:
            results.append(execute_job(job, options.keep_ipynb, options.self_contained, kernel))
            progress.update(results[-1])
    finally:
        kernel.stop()
        for name, value in saved.items():
            set_env(name, value)
    return results


class Backlog:
    """The jobs a pool has still to run, handed out one at a time as workers become free. A
    worker keeps to the portfolio its kernel has read (its snapshot cache serves every report of
    the portfolio and its sub-portfolios and programs) while that has jobs left, the longest
    first; then it takes the portfolio with the most work left that no other worker is on, or,
    with none, helps the one with the most work left. So each portfolio's tables are read once,
    and at the end no worker waits for another's queue: one job at a time is handed out (one
    worker's last three scopes of a changed portfolio, 3.5 s, were the last 3.5 s of a run while
    the other worker waited). seconds: what each job took in the last run (a job not in it: their
    mean)."""

    def __init__(self, jobs: list[Job], seconds: Mapping[str, float] | None = None):
        self.expected = expected_seconds(jobs, seconds)
        self.left: dict[str | None, list[Job]] = {}  # each portfolio's, in plan order first
        for job in jobs:
            self.left.setdefault(job.portfolio, []).append(job)
        for queue in self.left.values():  # the longest first (sort is stable: else plan order)
            queue.sort(key=lambda job: -self.expected[job.name])
        self.on: dict[int, str | None] = {}  # the portfolio each worker's kernel holds

    def __len__(self) -> int:
        return sum(len(queue) for queue in self.left.values())

    def seconds_left(self, portfolio: str | None) -> float:
        return sum(self.expected[job.name] for job in self.left[portfolio])

    def take(self, worker: int) -> Job | None:
        """The next job for worker, None when none is left."""
        waiting = [p for p, queue in self.left.items() if queue]
        if not waiting:
            return None
        if worker not in self.on or self.on[worker] not in waiting:
            held = {p for w, p in self.on.items() if w != worker}
            free = [p for p in waiting if p not in held]
            self.on[worker] = max(free or waiting, key=self.seconds_left)  # ties: plan order
        return self.left[self.on[worker]].pop(0)


def _in_workers(
    jobs: list[Job],
    options: Options,
    progress: Progress,
    workers: int,
    seconds: dict,
    kernel_env: Mapping[str, str | None],
) -> list[Result]:
    """The jobs in worker processes, each with its warm kernel, one job at a time from a
    Backlog (seconds: what each job took in the last run). A worker that dies (its job's
    kernel took it down, the OOM killer) fails that job only: a new worker takes the rest."""
    backlog = Backlog(jobs, seconds)
    start = functools.partial(
        ProcessPoolExecutor,
        1,
        mp_context=get_context("spawn"),
        initializer=start_worker,
        initargs=(
            os.getpid(),
            str(Path(jobs[0].notebook).parent),
            {SOURCE_ENV: str(options.source), **kernel_env},
        ),
    )
    pools = [start() for _ in range(min(workers, len(jobs)))]
    # a pool is shut down in a thread of its own as soon as it has nothing left (its worker
    # stops its kernel while the others work), and the run waits for every one of them
    closing = ThreadPoolExecutor(len(pools))
    running: dict = {}  # future -> (worker, job)

    def hand_out(worker: int) -> None:
        job = backlog.take(worker)
        if job is None:
            closing.submit(pools[worker].shutdown)
            return
        future = pools[worker].submit(
            execute_group, [job], options.keep_ipynb, options.self_contained
        )
        running[future] = (worker, job)

    results = []
    try:
        for worker in range(len(pools)):
            hand_out(worker)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                worker, job = running.pop(future)
                try:
                    finished = future.result()
                except BrokenProcessPool as exc:
                    closing.submit(pools[worker].shutdown)
                    pools[worker] = start()
                    finished = [Result.of(job, "failed")]
                    finished[0].error = f"its worker process died ({error_line(exc)})"
                for result in finished:
                    results.append(result)
                    progress.update(result)
                hand_out(worker)
    finally:
        for pool in pools:  # after an error: what was not started is cancelled
            closing.submit(pool.shutdown, cancel_futures=True)
        closing.shutdown()
    return results


def _on_dask(
    jobs: list[Job], options: Options, progress: Progress, workers: int, seconds: dict
) -> list[Result]:
    """Groups of a scope's jobs as tasks of a Dask cluster: the one at options.scheduler, else a
    LocalCluster of `workers` single-threaded processes started for the run. Each worker keeps
    its warm kernel across tasks; a task whose worker dies is run again by another (Dask's
    scheduler does that). Outputs must be on a folder every worker can write."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise PMOError(
            "--executor dask needs Dask distributed: pip install 'pmo-reports[dask]'"
        ) from exc
    groups = by_scope(jobs, workers, seconds)
    run = uuid.uuid4().hex[:8]  # two runs on one scheduler never share a task's key
    cluster = None
    if options.scheduler:
        client = Client(options.scheduler, timeout=30)
    else:
        cluster = LocalCluster(
            n_workers=min(workers, len(groups)),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    results = []
    try:
        futures = [
            client.submit(
                execute_group,
                group,
                options.keep_ipynb,
                options.self_contained,
                str(options.source),
                pure=False,
                key=f"pmo-{run}-{group[0].name}-{k}".replace("/", "-"),
            )
            for k, group in enumerate(groups)
        ]
        for future in as_completed(futures):
            for result in future.result():
                results.append(result)
                progress.update(result)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def run(options: Options, dry_run: bool = False, early: WarmKernel | None = None) -> int:
    """Render every planned job; returns the exit code (0 all ok, 1 some failed). What is
    unchanged since the last run is decided first: a run with nothing to render starts no
    worker and no kernel. early: a kernel the caller started for this run (pmo_lib.cli, with
    --force --jobs 1), used when it renders in this process and stopped otherwise."""
    started = time.perf_counter()
    early = early or _early_kernel(options, dry_run)
    try:
        jobs, facts = plan(options, dry_run)
        return _run_planned(options, dry_run, jobs, facts, started, early)
    finally:
        if early is not None:
            early.stop()  # a kernel the run did not use (or has done with)


def _early_kernel(options: Options, dry_run: bool) -> WarmKernel | None:
    """A kernel started before the plan, when the run will render in this process and nothing
    of it can be reused: --jobs 1 with --force, or with no pages yet for the as-of date. Its
    imports (1.2-1.5 s) then run on another core while the plan reads the store. None
    otherwise: a run that may find nothing to render starts no kernel."""
    if dry_run or options.jobs != 1 or options.executor != "local":
        return None
    if not options.force:
        try:
            day = resolve_as_of(
                store.list_snapshots(options.source),
                options.as_of or None,
                options.source,
                options.compare_to or None,
            )[0].date()
        except Exception:  # noqa: BLE001 (the plan says what is wrong)
            return None
        if (options.outputs.resolve() / day.isoformat() / "manifest.json").exists():
            return None
    return kernels.started_now(str(Path(options.notebooks_dir).resolve()))


def _run_planned(
    options: Options,
    dry_run: bool,
    jobs: list[Job],
    facts: dict,
    started: float,
    early: WarmKernel | None,
) -> int:
    if dry_run:
        for job in jobs:
            print(f"{job.name}: {job.notebook} -> {job.html_path} {json.dumps(job.parameters)}")
        return 0
    run_dir: Path = facts["run_dir"]
    run_dir.mkdir(parents=True, exist_ok=True)
    earlier, generated_before = _previous_run(run_dir)
    results: list[Result] = []
    progress = Progress(len(jobs))
    to_render = []
    for job in jobs:
        before = earlier.get(job.name)
        if (
            not options.force
            and before
            and before.get("fingerprint") == job.fingerprint
            and before.get("status") in ("ok", "partial", "no data")
            and job.html_path.exists()
        ):
            results.append(_reused(before))
            progress.update(results[-1])
        elif job.empty:
            results.append(_no_data_result(job))
            progress.update(results[-1])
        else:
            to_render.append(job)
    env = facts["kernel_env"]
    if to_render and env[kept.CACHE_ENV]:
        kept.prune(Path(env[kept.CACHE_ENV]))
    if to_render and not options.self_contained:
        try:
            write_plotly_asset(run_dir)
        except OSError as exc:
            if not store.no_space(exc):
                raise
            raise PMOError(
                f"{run_dir}: no space left on device for plotly.js, which every report"
                " needs; nothing was rendered. Free some space and run again"
            ) from exc
    workers = max(1, options.jobs or os.cpu_count() or 1)
    took = {
        name: float(r["seconds"])
        for name, r in earlier.items()
        if isinstance(r.get("seconds"), int | float)
    }
    try:
        if to_render and options.executor == "dask":  # workers elsewhere: nothing kept
            results += _on_dask(to_render, options, progress, workers, took)
        elif len(to_render) == 1 or (to_render and workers == 1):
            results += _in_this_process(to_render, options, progress, env, early)
        elif to_render:
            results += _in_workers(to_render, options, progress, workers, took, env)
    finally:
        if env[kept.PRINTS_ENV]:  # this run's own: no later run reads it
            Path(env[kept.PRINTS_ENV]).unlink(missing_ok=True)
    progress.close()
    order = {job.name: i for i, job in enumerate(jobs)}
    results.sort(key=lambda r: order[r.job])
    # a run that rendered nothing leaves the pages, and the index's "Generated", as they were
    nothing_rendered = bool(results) and all(r.reused for r in results) and generated_before
    manifest = {
        "as_of": facts["as_of"],
        "previous_as_of": facts["previous_as_of"],
        "generated_at": generated_before
        if nothing_rendered
        else datetime.now().isoformat(timespec="seconds"),
        "source": facts["source"],
        "seconds": round(time.perf_counter() - started, 2),
        "ingest": facts["ingest"],
        **({"functions": facts["functions"]} if facts.get("functions") else {}),
        "jobs": [asdict(r) for r in results],
    }
    publish(run_dir, options.outputs, manifest)
    failed = [r for r in results if r.status == "failed"]
    counts = pd.Series([r.status for r in results]).value_counts().to_dict() if results else {}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    if results and all(r.reused for r in results):
        said = f"{len(results)} reports unchanged since the last run, nothing rendered"
    else:
        reused = sum(r.reused for r in results)
        said = f"{len(results)} reports for {facts['as_of']} in {manifest['seconds']:.1f}s:"
        said += f" {summary}" + (f" ({reused} unchanged, reused)" if reused else "")
    print(
        f"{said}. Open {run_dir / 'index.html'}",
        flush=True,
    )
    if options.pdf and results:
        from pmo_lib import pdf

        packs = pdf.write_packs(run_dir, manifest)
        print(
            f"Wrote {len(packs)} PDF pack{'' if len(packs) == 1 else 's'}, one per scope"
            f" ({pdf.PACK} in each scope's folder).",
            flush=True,
        )
    if failed:
        notebooks = [str(run_dir / r.scope / r.ipynb) for r in failed if r.ipynb]
        by_error: dict[str, list[str]] = {}
        for r in failed:  # one cause (a full disk, a busy store) said once, with its reports
            by_error.setdefault(r.error, []).append(r.job)
        print(
            "Failed: "
            + "; ".join(f"{', '.join(names)} ({error})" for error, names in by_error.items())
            + (f". Executed notebooks kept: {', '.join(notebooks)}" if notebooks else ""),
            file=sys.stderr,
        )
    return 1 if failed else 0
