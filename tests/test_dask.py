"""Jobs on a Dask cluster (issue 18): a 2-worker LocalCluster, one worker killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from dataclasses import replace

import pytest

from pmo_lib import kernels, runner
from tests.test_runner import AS_OF

distributed = pytest.importorskip("distributed", reason="the dev extra installs distributed")


@pytest.fixture
def options(demo_store, tmp_path):
    return runner.Options(
        source=demo_store,
        outputs=tmp_path / "local",
        portfolios=("function", "data-analytics", "customer-channels"),
        reports=("data_quality", "spend"),
        levels=("function", "portfolio"),
        customers=False,
        jobs=2,
    )


def _manifest(outputs) -> dict:
    jobs = json.loads((outputs / AS_OF / "manifest.json").read_text())["jobs"]
    return {j["job"]: (j["status"], j["headlines"]) for j in jobs}


def test_a_run_on_a_cluster_survives_a_killed_worker_with_the_local_pools_figures(
    options, tmp_path
):
    assert runner.run(options) == 0
    local = _manifest(options.outputs)
    assert len(local) == 6
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = replace(
            options, outputs=tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address
        )
        code: list[int] = []
        run = threading.Thread(target=lambda: code.append(runner.run(on_dask)))
        run.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # a worker with its kernel started: kill it
            busy = client.run(lambda: kernels._WARM is not None and kernels._WARM.km is not None)
            if any(busy.values()):
                break
            time.sleep(0.2)
        else:
            pytest.fail("no worker started a kernel within 120 s")
        victim = next(address for address, has in busy.items() if has)
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        run.join(timeout=300)
        assert code == [0]
    assert _manifest(tmp_path / "dask") == local  # every report ok, the same figures


def test_without_a_scheduler_a_local_cluster_is_started_for_the_run(options, tmp_path):
    on_dask = replace(
        options, outputs=tmp_path / "dask", executor="dask", reports=("data_quality",)
    )
    assert runner.run(on_dask) == 0
    statuses = {status for status, _ in _manifest(tmp_path / "dask").values()}
    assert statuses == {"ok"}
    assert (tmp_path / "dask" / AS_OF / "data-analytics" / "data_quality.html").exists()
