"""Many writers, one truth (issue 18): two ingests of different as-of dates at once while an
analyst's reads go on, on DuckDB (the second writer waits for the first) and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pmo_lib import demo, store
from pmo_lib.data import load_portfolio

ROOT = Path(__file__).resolve().parent.parent
DATES = ("2026-11-30", "2026-12-31")


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    return demo.export_demo(tmp_path_factory.mktemp("exports"))


def _backend(request, tmp_path) -> str:
    if request.param == "duckdb":
        path = tmp_path / "s.duckdb"
        demo.build_demo_store(path)
        return str(path)
    from tests.pg_server import pg_bin

    pytest.importorskip("psycopg", reason="the dev extra installs psycopg")
    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed here (Debian package postgresql)")
    server = request.getfixturevalue("server")
    url = server.url(server.new_database())
    demo.build_demo_store(url)
    return url


@pytest.fixture(scope="module")
def server():
    from tests.pg_server import Server, pg_bin

    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed here (Debian package postgresql)")
    started = Server().start()
    yield started
    started.stop()


@pytest.fixture(params=["duckdb", "postgresql"])
def source(request, tmp_path) -> str:
    return _backend(request, tmp_path)


def test_two_ingests_at_once_both_land_while_an_analyst_reads(source, exports):
    env = {**os.environ, store.WAIT_ENV: "60"}
    holder = None
    if not store.is_server(source):  # a third writer holds DuckDB's lock as the two start
        from tests.test_hardening_runtime import _hold_write_lock

        holder = _hold_write_lock(Path(source), 3.0)
    ingests = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "run_reports.py"), "ingest", str(exports)]
            + ["--as-of", day, "--source", source],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for day in DATES
    ]
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def analyst() -> None:  # an open kernel that keeps reading the latest snapshot
        while not done.is_set():
            try:
                data = load_portfolio("Data & Analytics", source=source)
                seen.append(len(data.current["projects"]))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            time.sleep(0.05)

    reader = threading.Thread(target=analyst)
    reader.start()
    try:
        results = [p.communicate(timeout=180) for p in ingests]
        if holder is not None:
            holder.wait(timeout=30)
    finally:
        done.set()
        reader.join(30)
    for process, (_, err) in zip(ingests, results, strict=True):
        assert process.returncode == 0, err
    said = "".join(err for _, err in results)
    if holder is not None:  # what waited for the lock (at least the first) said so
        assert "another process is using the store; waiting up to 60 s" in said, said
    assert not errors, errors[0]
    assert seen and all(n > 0 for n in seen)
    dates = [d.date().isoformat() for d in store.list_snapshots(source)["as_of"]]
    assert dates[-2:] == list(DATES) and len(dates) == 5
    latest = load_portfolio(None, source=source)
    assert latest.current.as_of.date().isoformat() == DATES[-1]
    assert len(latest.current["projects"]) == len(
        load_portfolio(None, DATES[0], source).current["projects"]
    )
