"""Runtime faults met for real: a killed run, a damaged store, a full disk, a busy store.

Each test uses the real mechanism — kill -9, a truncated or bit-flipped file, a filesystem
that is full, a second process holding DuckDB's write lock — not a mock.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# -- kill -9 of a run: no worker or kernel outlives it ------------------------------------------
def _tagged(tag: str) -> dict[int, str]:
    """Live processes whose environment carries tag (every process a run starts inherits it):
    pid -> command line. Zombies are dead and left out."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if tag.encode() not in (entry / "environ").read_bytes():
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if state != "Z":
            found[int(entry.name)] = command
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_kill_9_of_a_run_leaves_no_worker_or_kernel_behind(demo_store, tmp_path):
    tag = f"PMO_TEST_RUN_{uuid.uuid4().hex}"
    env = {**os.environ, tag: "1"}
    run = subprocess.Popen(
        [sys.executable, str(ROOT / "run_reports.py"), "--source", str(demo_store)]
        + ["--outputs", str(tmp_path / "out"), "--jobs", "2", "--portfolio", "function"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            procs = _tagged(tag)
            kernels = [p for p, c in procs.items() if "ipykernel" in c]
            if len(kernels) >= 2:
                break
            assert run.poll() is None, "the run ended before its kernels started"
            time.sleep(0.1)
        else:
            pytest.fail(f"no two kernels within 60 s: {procs}")
        workers = [p for p, c in procs.items() if p != run.pid and "ipykernel" not in c]
        assert workers, procs
        run.send_signal(signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 3
        while _tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _tagged(tag) == {}, "survived the run's kill -9"
    finally:
        for pid in [run.pid, *_tagged(tag)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
