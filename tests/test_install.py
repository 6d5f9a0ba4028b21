"""The installable command (issue 18): the wheel carries notebooks, templates and default
parameters; `pmo-reports init` writes a working folder where demo and run work."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from this checkout, installed without its dependencies into a new
    virtual environment that borrows this one's (a .pth file): its pmo_lib is the wheel's."""
    tmp = tmp_path_factory.mktemp("install")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps"]
        + ["--quiet", "-w", str(tmp / "dist")],
        check=True,
        cwd=tmp,
    )
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next((tmp / "dist").glob("pmo_reports-*.whl"))
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True
    )
    return venv


def test_the_wheel_carries_the_notebooks_templates_and_default_parameters(installed):
    wheel = next((installed.parent / "dist").glob("pmo_reports-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        assert f"pmo_lib/notebooks/{notebook.name}" in names
    for params in (ROOT / "params").rglob("*.yaml"):
        assert f"pmo_lib/default_params/{params.relative_to(ROOT / 'params')}" in names
    assert "pmo_lib/templates/pmo/report.css" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "pmo-reports = pmo_lib.cli:command" in zipfile.ZipFile(wheel).read(entry).decode()


def test_init_then_demo_then_run_in_the_working_folder(installed, tmp_path):
    command = installed / "bin" / "pmo-reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMO_")}
    env["PATH"] = f"{installed / 'bin'}:{env['PATH']}"
    # the borrowed dependencies' data files (nbconvert's base templates) stay in this venv
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")

    def pmo(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(command), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
        )

    done = pmo("init", "site")
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site"
    assert (site / "params" / "defaults.yaml").exists() and (site / "README.md").exists()
    assert list((site / "params" / "sources").glob("*.yaml"))
    again = pmo("init", "site")
    assert again.returncode == 2 and "already exists" in again.stderr
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import pmo_lib; print(pmo_lib.__file__)"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(installed) in where  # the wheel's package, not this checkout
    assert pmo("demo", cwd=site).returncode == 0
    assert (site / "data" / "pmo.duckdb").exists()
    done = pmo(
        "run", "--portfolio", "function", "--report", "data_quality", "--jobs", "1", cwd=site
    )
    assert done.returncode == 0, done.stderr + done.stdout
    pages = list((site / "outputs").glob("*/function/data_quality.html"))
    assert pages and "Data quality" in pages[0].read_text(encoding="utf-8")
