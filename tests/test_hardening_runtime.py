"""Runtime faults met for real: a killed run, a damaged store, a full disk, a busy store.

Each test uses the real mechanism — kill -9, a truncated or bit-flipped file, a filesystem
that is full, a second process holding DuckDB's write lock — not a mock.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import nbformat
import pytest

from pmo_lib import portal, runner, store
from pmo_lib.data import load_portfolio
from pmo_lib.errors import PMOError
from pmo_lib.store import StoreDamaged
from run_reports import main
from tests.conftest import write_csv
from tests.test_store import _snapshot

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


# -- a damaged store: which store, that it is damaged, what to do; exit 2 ----------------------
def _damaged(demo_store: Path, folder: Path, how: str) -> Path:
    """A copy of the demo store cut to half its length, or with one bit flipped in a block of
    financial amounts (DuckDB checks each block's checksum when it reads it)."""
    path = folder / f"{how}.duckdb"
    shutil.copy(demo_store, path)
    if how == "truncated":
        with open(path, "r+b") as handle:
            handle.truncate(path.stat().st_size // 2)
        return path
    with duckdb.connect(str(demo_store), read_only=True) as con:
        block, offset = con.execute(
            "SELECT block_id, block_offset FROM pragma_storage_info('financials')"
            " WHERE column_name = 'amount' AND block_id >= 0 LIMIT 1"
        ).fetchone()
        block_size = con.execute("PRAGMA database_size").fetchone()[2]
    # DuckDB's file: three 4 KiB headers, then blocks, each an 8-byte checksum and its data.
    position = 3 * 4096 + block * block_size + 8 + offset + 16
    with open(path, "r+b") as handle:
        handle.seek(position)
        byte = handle.read(1)[0]
        handle.seek(position)
        handle.write(bytes([byte ^ 0x04]))
    with duckdb.connect(str(path), read_only=True) as con:  # damage is real, and only there
        assert con.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 3
        with pytest.raises(duckdb.Error, match="checksum"):
            con.execute("SELECT sum(amount) FROM financials").fetchall()
    return path


@pytest.mark.parametrize("how", ["truncated", "bit-flipped"])
def test_a_damaged_store_is_named_and_what_to_do_is_said(demo_store, tmp_path, capsys, how):
    path = _damaged(demo_store, tmp_path, how)
    advice = ("the store is damaged", "Restore it from a backup", "run_reports.py ingest")
    # planning a run (list, dry run and run all plan first)
    assert main(["--source", str(path), "--outputs", str(tmp_path / "o"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: the store is damaged: ")
    assert all(text in err for text in advice) and "Traceback" not in err
    # what every report does: load the snapshots, and read their tables when it needs them
    with pytest.raises(StoreDamaged, match="the store is damaged"):
        load_portfolio(None, source=path).previous["financials"]  # where the flipped bit is
    # ingest into it: refused, and the file left as it was
    before = path.read_bytes()
    exports = tmp_path / "exports"
    write_csv(exports, "projects.csv", PROJECTS_CSV)
    args = ["ingest", str(exports), "--as-of", "2026-01-31", "--source", str(path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert all(text in err for text in advice) and "Traceback" not in err, err
    assert path.read_bytes() == before and not Path(f"{path}.wal").exists()


PROJECTS_CSV = """
project_id,project_name,program,portfolio,sub_portfolio,project_manager,status,baseline_start,baseline_finish,budget_at_completion,percent_complete,last_status_update
PRJ-001,Payroll Upgrade,People Systems,Enterprise Platforms,HR Systems,Ann Lee,Active,\
2026-01-05,2026-12-18,480000,55,2026-01-24
"""


# -- a busy store: wait for the writer, then say who holds it ------------------------------------
def _hold_write_lock(path: Path, seconds: float) -> subprocess.Popen:
    """A second process holding DuckDB's write connection on path for seconds (taken as soon as
    no reader holds the file), then letting go."""
    code = (
        "import duckdb, sys, time\n"
        "while True:\n"
        "    try:\n"
        "        con = duckdb.connect(sys.argv[1])\n"
        "        break\n"
        "    except duckdb.IOException:\n"
        "        time.sleep(0.01)\n"
        "print('held', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
        "con.close()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_busy_store_is_waited_for_then_called_busy(demo_store, tmp_path, monkeypatch, capsys):
    path = tmp_path / "s.duckdb"
    shutil.copy(demo_store, path)
    monkeypatch.setenv(store.WAIT_ENV, "1")
    holder = _hold_write_lock(path, 60)
    try:
        started = time.monotonic()
        assert main(["--source", str(path), "--outputs", str(tmp_path / "o"), "--dry-run"]) == 2
        assert time.monotonic() - started >= 1  # it waited before giving up
        err = capsys.readouterr().err
        assert f"store busy: another process (pid {holder.pid}) is writing it" in err, err
        assert "not a PMO Reports store" not in err and "Traceback" not in err
    finally:
        holder.kill()
        holder.wait()


def test_a_store_released_within_the_wait_is_read(demo_store, tmp_path, monkeypatch):
    path = tmp_path / "s.duckdb"
    shutil.copy(demo_store, path)
    monkeypatch.setenv(store.WAIT_ENV, "10")
    holder = _hold_write_lock(path, 1.0)
    started = time.monotonic()
    assert len(store.list_snapshots(path)) == 3
    assert time.monotonic() - started >= 0.5  # read once the writer had let go
    holder.wait(timeout=10)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_a_writer_taking_the_lock_mid_run_fails_no_report(demo_store, tmp_path):
    """Once the kernels start, a second process takes the write lock for 3 s: every report
    waits for it and renders."""
    path = tmp_path / "s.duckdb"
    shutil.copy(demo_store, path)
    tag = f"PMO_TEST_RUN_{uuid.uuid4().hex}"
    command = [sys.executable, str(ROOT / "run_reports.py"), "--source", str(path)]
    command += ["--outputs", str(tmp_path / "out"), "--jobs", "1", "--portfolio", "function"]
    command += ["--report", "data_quality"]
    env = {**os.environ, tag: "1", store.WAIT_ENV: os.environ.get("PMO_TEST_WAIT", "10")}
    run = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any("ipykernel" in c for c in _tagged(tag).values()):
            assert time.monotonic() < deadline and run.poll() is None, "no kernel started"
            time.sleep(0.05)
        holder = _hold_write_lock(path, 3.0)  # before the kernels' first read
        out, _ = run.communicate(timeout=120)
        holder.wait(timeout=10)
    finally:
        run.kill()
    assert run.returncode == 0, out
    manifest = json.loads((tmp_path / "out" / "2026-10-31" / "manifest.json").read_text())
    assert [j["status"] for j in manifest["jobs"]] == ["ok"]


# -- a full disk: the real cause once, nothing written half ---------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """small_disk(size) mounts a tmpfs of that size (e.g. '2m'): a real filesystem that fills
    up. Needs root; skipped where mounting is not permitted."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        if os.geteuid() != 0 or not shutil.which("mount"):
            pytest.skip("mounting a small tmpfs needs root and mount(8)")
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], check=True)


def _fill(disk: Path, leave: int) -> None:
    """Fill disk until about leave bytes are free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "filler", "wb") as handle, contextlib.suppress(OSError):
        handle.write(b"\0" * max(0, free - leave))


def _exports(folder: Path, projects: int) -> Path:
    """A valid exports folder with this many projects (names that do not compress)."""
    head = PROJECTS_CSV.strip().splitlines()[0]
    rows = [
        f"PRJ-{i:06d},{uuid.uuid4().hex} {uuid.uuid4().hex},Prog {i % 50},Enterprise Platforms,"
        f"HR Systems,{uuid.uuid4().hex[:12]},Active,2026-01-05,2026-12-18,{1000 + i},55,2026-02-20"
        for i in range(projects)
    ]
    write_csv(folder, "projects.csv", "\n".join([head, *rows]))
    return folder


def _ingest_limited(exports: Path, target: Path, limit: int) -> subprocess.CompletedProcess:
    """run_reports.py ingest in a process whose files may not grow past limit bytes (EFBIG)."""
    import resource

    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [sys.executable, str(ROOT / "run_reports.py"), "ingest", str(exports)]
    command += ["--as-of", "2026-02-28", "--source", str(target)]
    return subprocess.run(
        command, cwd=ROOT, preexec_fn=limit_files, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("limit", ["full tmpfs", "file-size limit"])
def test_an_ingest_on_a_full_disk_says_so_once_and_keeps_the_store(
    tmp_path, small_disk, capsys, limit
):
    exports = _exports(tmp_path / "exports", 40_000)
    folder = small_disk("2m") if limit == "full tmpfs" else tmp_path
    path = folder / "s.duckdb"
    store.write_snapshot(path, _snapshot(1.0), date(2026, 1, 31), "test")  # 1.3 MB
    for target in (path, folder / "new.duckdb"):
        if limit == "full tmpfs":
            code = main(["ingest", str(exports), "--as-of", "2026-02-28", "--source", str(target)])
            err = capsys.readouterr().err
            cause = "no space left on device"
        else:
            done = _ingest_limited(exports, target, path.stat().st_size + 300_000)
            code, err = done.returncode, done.stderr
            cause = "no space left on device (a file reached this process's file-size limit)"
        assert code == 2, err
        assert err == f"error: {target}: {cause} while writing the store; nothing of this" + (
            " snapshot was loaded. Free some space, then ingest again\n"
        )
    assert list(store.list_snapshots(path)["as_of"].astype(str)) == ["2026-01-31"]
    store.verify(path)
    assert not (folder / "new.duckdb").exists() and not (folder / "new.duckdb.wal").exists()


def _whole(folder: Path) -> None:
    """Every file under folder is whole: no temporary file, every page ends, every notebook and
    workbook reads."""
    for path in folder.rglob("*"):
        if path.is_dir() or path.name == "filler":
            continue
        assert not path.name.startswith("."), f"left behind: {path}"
        if path.suffix == ".html":
            assert path.read_text().rstrip().endswith("</html>"), f"cut off: {path}"
        elif path.suffix == ".ipynb":
            nbformat.read(path, as_version=4)
        elif path.suffix == ".xlsx":
            assert zipfile.is_zipfile(path), f"cut off: {path}"
        elif path.suffix == ".json":
            json.loads(path.read_text())


@pytest.mark.parametrize("room", ["room for the index", "nearly none"])
def test_a_run_on_a_full_disk_fails_its_reports_and_writes_nothing_half(
    demo_store, small_disk, capsys, room
):
    disk = small_disk("1m")
    if room == "nearly none":
        _fill(disk, 24_000)
    args = ["--source", str(demo_store), "--outputs", str(disk), "--jobs", "1"]
    args += ["--portfolio", "function", "--report", "data_quality"]
    code = main([*args, "--self-contained", "--keep-ipynb"])  # each page holds plotly.js: 5 MB
    out, err = capsys.readouterr()
    assert "failed  function/data_quality" in out and "no space left on device" in out
    assert "Traceback" not in out + err
    _whole(disk)
    run_dir = disk / "2026-10-31"
    written = [(run_dir / name).exists() for name in ("manifest.json", "index.html")]
    assert written in ([True, True], [False, False])  # together, or neither
    if written[0]:
        assert code == 1
        (job,) = json.loads((run_dir / "manifest.json").read_text())["jobs"]
        assert job["status"] == "failed" and job["error"].startswith("no space left on device")
        assert "no space left on device" in (run_dir / "index.html").read_text()
    else:
        assert code == 2 and "the run's manifest.json and index.html were not written" in err
    if room == "room for the index":
        assert written == [True, True]


def test_the_manifest_and_index_are_written_together_or_not_at_all(small_disk):
    disk = small_disk("256k")
    run_dir = disk / "2026-10-31"
    runner.write_all_atomic({run_dir / "manifest.json": "old", run_dir / "index.html": "old"})
    _fill(disk, 8_000)
    manifest = {"as_of": "2026-10-31", "generated_at": "2026-11-03T06:00:00", "jobs": []}
    manifest["source"] = "x" * 20_000  # a manifest that does not fit
    with pytest.raises(PMOError, match="no space left on device: the run's manifest.json and"):
        runner.publish(run_dir, disk, manifest)
    assert [p.read_text() for p in (run_dir / "manifest.json", run_dir / "index.html")] == [
        "old",
        "old",
    ]
    assert sorted(p.name for p in run_dir.iterdir()) == ["index.html", "manifest.json"]


# -- no local paths or passwords on a page ---------------------------------------------------------
def test_footers_and_the_index_show_no_local_folders(tmp_path, monkeypatch):
    from pmo_lib import report as report_module
    from pmo_lib.params import PROJECT_ROOT, config_for

    path = tmp_path / "s.duckdb"
    source = "/srv/pmo/exports/october (mapping cc.yaml)"
    store.write_snapshot(path, _snapshot(1.0), date(2026, 1, 31), source)
    config = config_for("function").model_copy(update={"file": "/srv/pmo/params/cc.yaml"})
    shown: list[str] = []
    monkeypatch.setattr(report_module, "_html", shown.append)
    page = report_module.Report("spend", config, load_portfolio(None, source=path))
    page._footer()
    assert (
        "parameters: cc.yaml" in shown[0] and "data source: october (mapping cc.yaml)" in shown[0]
    )
    assert "/srv" not in shown[0]
    inside = config.model_copy(update={"file": str(PROJECT_ROOT / "params" / "function.yaml")})
    assert report_module._relative(inside.file) == "params/function.yaml"
    manifest = {"as_of": "2026-01-31", "generated_at": "2026-02-03T06:00:00", "jobs": []}
    index = portal.run_index({**manifest, "source": "/srv/pmo/data/pmo.duckdb"})
    assert "pmo.duckdb" in index and "/srv" not in index
    index = portal.run_index({**manifest, "source": "duckdb://pmo:s3cret@host/pmo.duckdb"})
    assert "s3cret" not in index and "duckdb://pmo:***@host/pmo.duckdb" in index


# -- one odd figure never breaks the portal --------------------------------------------------------
ODD = [None, float("inf"), float("-inf"), float("nan"), 1e308, -1e308, "a string", "12.5", True]


def test_the_portal_renders_any_figure(tmp_path):
    jobs = []
    for i, odd in enumerate(ODD):
        headlines = {
            "fy_variance": odd,
            "fy_plan": ODD[-1 - i],
            "rag_red": odd,
            "rag_amber": 3,
            "rag_green": odd,
            "rag_no_data": odd,
            "dq_score": odd,
        }
        for report in ("spend", "data_quality"):
            jobs.append(
                {
                    "job": f"p{i}/{report}",
                    "report": report,
                    "scope": f"p{i}",
                    "portfolio": f"Portfolio <{i}>",
                    "status": "ok",
                    "seconds": odd,
                    "fingerprint": "",
                    "error": "",
                    "html": f"{report}.html",
                    "headlines": headlines,
                }
            )
    manifest = {
        "as_of": "2026-10-31",
        "previous_as_of": float("nan"),
        "generated_at": "not a time",
        "source": None,
        "ingest": {"rows_left_out": float("inf"), "cells_blanked": "x", "by_cause": {"a": 1e308}},
        "jobs": jobs,
    }
    page = portal.run_index(manifest)
    assert page.rstrip().endswith("</html>") and page.count("<tr>") == len(ODD) + 1
    cells = page.split("<tbody>")[1]
    assert "inf" not in cells and "nan" not in cells and "a string" not in cells
    assert "$1.00e+308" in cells and "-$1.00e+308" in cells and "$12.5" in cells
    assert "Portfolio &lt;0&gt;" in cells
    # written as the run writes it: the manifest is strict JSON (inf and nan as null), the
    # index beside it, and the list of runs over it
    run_dir = tmp_path / "2026-10-31"
    runner.publish(run_dir, tmp_path, {**manifest, "jobs": jobs[:2]})
    written = json.loads(
        (run_dir / "manifest.json").read_text(), parse_constant=lambda c: pytest.fail(c)
    )
    assert written["ingest"]["rows_left_out"] is None and written["previous_as_of"] is None
    assert (run_dir / "index.html").exists() and "2026-10-31" in (
        tmp_path / "index.html"
    ).read_text()
    (tmp_path / "2026-09-30").mkdir()
    (tmp_path / "2026-09-30" / "manifest.json").write_text('{"as_of": "2026-09-30", "jobs": [')
    (tmp_path / "2026-08-31").mkdir()
    (tmp_path / "2026-08-31" / "manifest.json").write_text('{"as_of": 7, "jobs": {"a": 1}}')
    assert portal.runs_index(tmp_path).count("<tr>") == 3  # header, 2026-10-31, the odd one


def test_the_command_leaves_at_once_with_its_code_its_output_and_its_log_whole(
    demo_store, tmp_path
):
    """run_reports.py skips Python's teardown once its run is done (cli.command): the exit code
    is the run's, everything printed and logged is there, exit handlers ran (no kernel left)."""
    command = [sys.executable, str(ROOT / "run_reports.py"), "--source", str(demo_store)]
    command += ["--outputs", str(tmp_path / "out"), "--portfolio", "data-analytics"]
    command += ["--report", "data_quality", "--level", "portfolio", "--no-customers"]
    command += ["--no-mail", "--jobs", "1"]
    tag = f"PMO_TEST_RUN_{uuid.uuid4().hex}"
    env = {**os.environ, tag: "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("1 reports for 2026-10-31")
    assert "ok      data-analytics/data_quality" in done.stdout
    assert not _tagged(tag)  # its kernel stopped
    wrong = subprocess.run(
        [*command, "--as-of", "2019-01-31"], cwd=ROOT, capture_output=True, text=True
    )
    assert wrong.returncode == 2 and wrong.stderr.startswith("error: ")
