"""Outputs in object storage: `--outputs s3://bucket/prefix` against a local S3 server that the
test starts (moto's server on the loopback address; no AWS account, no network)."""

from __future__ import annotations

import json

import pytest

import run_reports
from pmo_lib import kept, remote
from pmo_lib.errors import PMOError

moto_server = pytest.importorskip("moto.server", reason="the [dev] extra installs moto[server]")
s3fs = pytest.importorskip("s3fs", reason="the [s3] extra installs s3fs")


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A local S3 endpoint with a bucket 'pmo', and the environment that points fsspec at it."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.setenv(remote.STAGING_ENV, str(tmp_path_factory.mktemp("staging")))
        fs = s3fs.S3FileSystem(endpoint_url=env["AWS_ENDPOINT_URL"])
        fs.mkdir("pmo")
        yield fs
    server.stop()


def _run(demo_store, outputs, *more):
    return run_reports.main(
        [
            "run",
            "--source",
            str(demo_store),
            "--portfolio",
            "data-analytics",
            "--report",
            "data_quality",
            "--level",
            "portfolio",
            "--jobs",
            "1",
            "--outputs",
            outputs,
            *more,
        ]
    )


def test_reports_are_uploaded_whole_and_an_unchanged_run_uploads_nothing(s3, demo_store, capsys):
    assert _run(demo_store, "s3://pmo/monthly") == 0
    said = capsys.readouterr().out
    found = sorted(s3.find("pmo/monthly"))
    run = [p for p in found if p.endswith("/manifest.json") and p.count("/") == 3][0]
    manifest = json.loads(s3.cat(run))
    page = manifest["jobs"][0]
    assert page["status"] == "ok"
    day = run.split("/")[2]
    html = s3.cat(f"pmo/monthly/{day}/{page['scope']}/{page['html']}").decode()
    assert "Data quality" in html and html.rstrip().endswith("</html>")  # the whole page
    assert "pmo/monthly/index.html" in found
    assert "files to s3://pmo/monthly (0 unchanged)" in said
    # nothing changed: nothing rendered, nothing uploaded again
    assert _run(demo_store, "s3://pmo/monthly") == 0
    again = capsys.readouterr().out
    assert "unchanged since the last run, nothing rendered" in again
    assert "Uploaded 1 file to s3://pmo/monthly (6 unchanged)" in again  # the run's manifest


def test_a_missing_bucket_is_said_and_the_reports_stay_in_the_staging_folder(
    s3, demo_store, capsys
):
    assert _run(demo_store, "s3://no-such-bucket/pmo") == 2
    err = capsys.readouterr().err
    assert "uploading to s3://no-such-bucket/pmo stopped after 0 files" in err
    assert "the next run uploads what is missing" in err
    assert "Traceback" not in err


def test_an_unknown_scheme_is_refused_before_anything_renders(demo_store, capsys):
    assert _run(demo_store, "nosuch://bucket/pmo") == 2
    err = capsys.readouterr().err
    assert "--outputs nosuch://bucket/pmo:" in err and "Traceback" not in err
    with pytest.raises(PMOError, match="--outputs nosuch://bucket/pmo"):
        remote.filesystem("nosuch://bucket/pmo")


def test_the_runners_kept_figures_are_not_uploaded(s3, tmp_path):
    folder = tmp_path / "staged"
    (folder / kept.IN_OUTPUTS).mkdir(parents=True)
    (folder / kept.IN_OUTPUTS / "0123.json").write_text("{}")
    (folder / "index.html").write_text("<html></html>")
    assert remote.upload(folder, "s3://pmo/kept") == (1, 0)
    assert s3.find("pmo/kept") == ["pmo/kept/index.html"]
