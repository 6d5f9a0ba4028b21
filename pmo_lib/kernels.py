"""Warm kernels: one Jupyter kernel kept across a worker's jobs, the report libraries imported
once as it starts (_PRELOAD), its namespace reset before each job (_RESET); a kernel that dies,
hangs or grows too large is replaced (pmo_lib.render.execute_job). A module of its own, on the
standard library alone until a kernel starts: a run that renders in its own process starts its
kernel before it imports pandas and reads the store (pmo_lib.cli), and the kernel's imports
then run beside the run's own."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

# -- dying with the run -------------------------------------------------------------------------
# A run killed outright (kill -9, the OOM killer) cannot stop its workers, nor they their kernels:
# each process asks Linux to kill it when its parent dies (the parent-death signal), and a worker
# also watches its parent, for systems without that signal.
PR_SET_PDEATHSIG = 1
_KERNELS: list = []  # this worker's kernel managers (each kernel leads its own process group)
# Run before a kernel starts (python -c): set the signal, check the worker still lives, then
# become the kernel (exec keeps the signal).
_KERNEL_GUARD = """import ctypes, os, signal, sys
try:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)
except (AttributeError, OSError):
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(1)
os.execv(sys.argv[2], sys.argv[2:])
"""


def die_with_parent(parent: int, poll: float = 1.0) -> None:
    """Have this process killed as soon as its parent (pid parent) dies, however it dies."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux: the watchdog alone
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the signal was set
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        for manager in list(_KERNELS):
            process = getattr(manager.provisioner, "process", None)
            with contextlib.suppress(AttributeError, OSError):
                os.killpg(process.pid, signal.SIGKILL)
        os._exit(1)

    threading.Thread(target=watch, name="pmo-parent-watch", daemon=True).start()


@functools.cache
def _kernel_manager_class():
    """KernelManager whose kernels die with this worker (on Linux: through _KERNEL_GUARD)."""
    from jupyter_client.manager import KernelManager

    class GuardedKernelManager(KernelManager):
        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            command = super().format_kernel_cmd(extra_arguments)
            if not sys.platform.startswith("linux"):
                return command  # ipykernel polls its parent (JPY_PARENT_PID) on its own
            guard = [sys.executable, "-I", "-S", "-c", _KERNEL_GUARD, str(os.getpid())]
            return [*guard, *command]

    return GuardedKernelManager


def _ipc_path() -> str:
    """A private socket path per kernel: the default (kernel-ipc in the cwd) collides between
    workers."""
    import uuid

    return str(Path(tempfile.gettempdir()) / f"pmo-kernel-{uuid.uuid4().hex[:12]}")


# -- warm kernels (one per worker process, kept across its jobs) --------------------------------
# The store a report reads, secret and all (the notebook's own parameter is redacted): set for a
# run's kernels and read by pmo_lib.data.
SOURCE_ENV = "PMO_SOURCE"
BATCH_ENV = "PMO_BATCH"  # set for a batch run's kernels: never show widgets (pmo_lib.filters)
KERNEL_MAX_MB_ENV = "PMO_KERNEL_MAX_MB"  # a kernel grown past this is replaced after its job
JOB_TIMEOUT_ENV = "PMO_JOB_TIMEOUT"  # seconds one cell of a report may run
# Run as a kernel starts (its exec_lines): the report libraries every job would import again.
_PRELOAD = """import importlib, pkgutil
import pandas, plotly.graph_objects, duckdb
import pmo_lib, pmo_lib.report, pmo_lib.sections
for _m in pkgutil.iter_modules(pmo_lib.sections.__path__):
    importlib.import_module("pmo_lib.sections." + _m.name)
del importlib, pkgutil, _m
import gc as _gc
_gc.freeze()  # what is loaded now lives as long as the kernel: no collection scans it again
del _gc
"""
# Run before each job: what the previous job defined goes, the modules stay; the job's folder
# is the working directory. pmo_lib's snapshot cache (keyed by store, date and portfolio) stays
# for the next job of the same portfolio, and goes before another portfolio's: a kept cache of
# every portfolio a kernel ran made each collection, and so each job, slower (1,167 pages:
# 0.4 s a job at the first hundred, 1.4 s at the last). The metrics' remembered results go
# with it: they hold snapshots' frames; kept for the next job of the same portfolio, they answer
# it where it asks about the same rows (pmo_lib.memo: a keyed snapshot is known by its key).
# Once another portfolio's tables are forgotten, what is left lives as long as the kernel (the
# modules jobs imported, scipy's 400 among them): it is frozen, as _PRELOAD's imports are, so
# that no collection scans it again (each collection cost 10 ms at a kernel's first job, 80 ms
# at its 24th). A failed job's traceback (IPython keeps it in sys.last_*, with its frames and
# their tables) goes first: frozen, what it holds would never be collected.
_RESET = """get_ipython().reset(new_session=True)
import gc as _gc, os as _os, pmo_lib.memo
_os.chdir({folder!r})
if {forget!r}:
    import pmo_lib.data
    pmo_lib.data.forget_snapshots()
    pmo_lib.memo.forget()
import sys as _sys
_sys.last_type = _sys.last_value = _sys.last_traceback = _sys.last_exc = None
_gc.collect()
if {forget!r}:
    _gc.freeze()
del _gc, _os, _sys
"""


class KernelLost(Exception):
    """The kernel died, hung past the timeout or could not be reset: replace it, retry once."""


class WarmKernel:
    """A kernel that runs one job after another with the report libraries imported once. The
    namespace is reset before each job; a kernel that dies, hangs or grows past
    $PMO_KERNEL_MAX_MB is replaced (see execute_job)."""

    def __init__(self) -> None:
        self.km = None
        self.kc = None
        self.jobs = 0
        self.portfolio: str | None = None  # the last job's (None: the function's)
        self.folder: str | None = None  # where it was started
        self.booting = False  # started, and not yet known to be ready

    def start(self, folder: str) -> None:
        """Start the kernel, which imports the report libraries as it starts (_PRELOAD); ready()
        waits for it, so that a worker builds its exporter meanwhile."""
        # An asynchronous client: nbclient's watch for a dead kernel runs beside its wait for
        # output (a blocking client would wait for a dead kernel's output for ever).
        self.km = _kernel_manager_class()(
            kernel_name="python3",
            transport="ipc",
            ip=_ipc_path(),
            client_class="jupyter_client.asynchronous.AsyncKernelClient",
        )
        _KERNELS.append(self.km)
        # no history database: a batch kernel never recalls its input, and kernels side by
        # side would share one SQLite file; no output cache (Out, _1, ...): none is read, and
        # the reset before each job collected garbage once more to empty it (40-80 ms a job)
        self.km.start_kernel(
            cwd=folder,
            extra_arguments=[
                "--HistoryManager.enabled=False",
                "--InteractiveShell.cache_size=0",
                f"--IPKernelApp.exec_lines={_PRELOAD}",
            ],
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        self.folder, self.booting = folder, True

    def _booted(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            run_sync(self.kc.wait_for_ready)(timeout=300)
        except (TimeoutError, RuntimeError) as exc:
            raise KernelLost(f"the kernel did not start: {exc}") from exc
        self.booting = False

    def _run(self, code: str, timeout: float) -> None:
        from jupyter_core.utils import run_sync

        try:
            reply = run_sync(self.kc.execute_interactive)(
                code, silent=True, store_history=False, timeout=timeout, output_hook=lambda m: None
            )
        except (TimeoutError, RuntimeError) as exc:
            raise KernelLost(f"the kernel did not answer: {exc}") from exc
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise KernelLost(f"{content.get('ename')}: {content.get('evalue')}")

    def environ(self, values: Mapping[str, str | None]) -> None:
        """Set (None: unset) these variables in the kernel's environment, once it has booted
        (a kernel started before the run's plan learns the plan's afterwards)."""
        if self.booting:
            self._booted()
        code = "import os as _os\n" + "".join(
            f"_os.environ.pop({name!r}, None)\n"
            if value is None
            else f"_os.environ[{name!r}] = {value!r}\n"
            for name, value in values.items()
        )
        self._run(code + "del _os\n", 60)

    def ready(self, folder: str, portfolio: str | None = None) -> None:
        """Alive, reset and in folder, for a job of portfolio: started (or replaced) when it is
        not."""
        if self.km is None or not self.km.is_alive():
            self.stop()
            self.start(folder)
        if self.booting:
            self._booted()
        if self.jobs or folder != self.folder:
            forget = portfolio != self.portfolio
            self._run(_RESET.format(folder=folder, forget=forget), 60)
            self.folder = folder
        self.portfolio = portfolio

    def execute(self, nb, timeout: float):
        from nbclient import NotebookClient

        client = NotebookClient(
            nb, km=self.km, timeout=timeout, kernel_name="python3", record_timing=False
        )
        client.kc = self.kc  # the kernel's one client: none made (and left open) per job
        self.jobs += 1
        return client.execute()

    def rss(self) -> int:
        import psutil

        try:
            return psutil.Process(self.km.provisioner.process.pid).memory_info().rss
        except (AttributeError, psutil.Error):
            return 0

    def stop(self) -> None:
        if self.km is None:
            return
        with contextlib.suppress(Exception):
            self.kc.stop_channels()
        with contextlib.suppress(Exception):
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
            self.km.cleanup_resources()
        with contextlib.suppress(ValueError):
            _KERNELS.remove(self.km)
        self.km = self.kc = None
        self.jobs = 0
        self.booting = False


_WARM: WarmKernel | None = None


def warm_kernel() -> WarmKernel:
    """This process's warm kernel (made at its first job, stopped when the process exits)."""
    global _WARM
    if _WARM is None:
        _WARM = WarmKernel()
        atexit.register(_WARM.stop)
    return _WARM


def started_now(folder: str) -> WarmKernel | None:
    """A kernel started at once in folder, for a run that will render in this process: it
    inherits $PMO_BATCH (no filter panel); what the run's plan finds later (the store, where
    answers are kept) is told it then (WarmKernel.environ). None when it cannot start: the run
    starts one where it needs one, and says why if that fails too."""
    kernel = WarmKernel()
    saved = os.environ.get(BATCH_ENV)
    os.environ[BATCH_ENV] = "1"
    try:
        kernel.start(folder)
    except Exception:  # noqa: BLE001
        kernel.stop()
        return None
    finally:
        if saved is None:
            os.environ.pop(BATCH_ENV, None)
        else:
            os.environ[BATCH_ENV] = saved
    return kernel
