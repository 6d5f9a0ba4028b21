"""What `make lab` configures (jupyter_lab_config.py, pmo_lib/lab.py) and what the report pages
render for JupyterLab, without a browser (tests/test_browser.py drives the real lab)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
from traitlets.config import PyFileConfigLoader

from pmo_lib import lab

ROOT = Path(__file__).resolve().parent.parent


def _run(nb: dict) -> dict:
    """The notebook as JupyterLab holds it after Run All: outputs, counts, widget state."""
    nb = json.loads(json.dumps(nb))
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = i + 1
        cell["outputs"] = [
            {"output_type": "display_data", "data": {"text/plain": "VBox()"}, "metadata": {}}
        ]
        cell["metadata"]["execution"] = {"iopub.status.busy": "2026-11-26T06:00:00Z"}
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb["metadata"]["language_info"] = {"name": "python", "version": "3.11.9", "mimetype": "x"}
    return nb


def _manager(root: Path):
    return SimpleNamespace(_get_os_path=lambda path: str(root / path))


def _save(root: Path, name: str, model: dict) -> None:
    """What jupyter_server's file manager does on save, with the two hooks."""
    lab.strip_outputs(model, path=name, contents_manager=_manager(root))
    path = root / name
    nbformat.write(nbformat.from_dict(model["content"]), path, version=nbformat.NO_CONVERT)
    lab.keep_layout({"type": "notebook"}, os_path=str(path))


def test_a_run_notebook_is_saved_without_outputs_and_an_unchanged_one_byte_for_byte(tmp_path):
    for source in sorted((ROOT / "notebooks").glob("*.ipynb")):
        committed = source.read_bytes()
        (tmp_path / source.name).write_bytes(committed)
        _save(tmp_path, source.name, {"type": "notebook", "content": _run(json.loads(committed))})
        assert (tmp_path / source.name).read_bytes() == committed, source.name


def test_an_edited_notebook_keeps_the_edit_and_loses_the_outputs(tmp_path):
    source = ROOT / "notebooks" / "spend.ipynb"
    (tmp_path / "spend.ipynb").write_bytes(source.read_bytes())
    nb = _run(json.loads(source.read_text()))
    nb["cells"][1]["source"] = "# my question\n" + "".join(nb["cells"][1]["source"])
    _save(tmp_path, "spend.ipynb", {"type": "notebook", "content": nb})
    saved = json.loads((tmp_path / "spend.ipynb").read_text())
    assert "".join(saved["cells"][1]["source"]).startswith("# my question")
    code = [c for c in saved["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert all("execution" not in c["metadata"] for c in code)
    assert "widgets" not in saved["metadata"]
    assert saved["metadata"]["language_info"] == {"name": "python"}


def test_a_file_that_had_outputs_is_not_put_back(tmp_path):
    source = ROOT / "notebooks" / "spend.ipynb"
    dirty = _run(json.loads(source.read_text()))
    (tmp_path / "spend.ipynb").write_text(json.dumps(dirty))
    _save(tmp_path, "spend.ipynb", {"type": "notebook", "content": json.loads(json.dumps(dirty))})
    saved = json.loads((tmp_path / "spend.ipynb").read_text())
    assert all(not c.get("outputs") for c in saved["cells"])


def test_other_files_are_saved_as_given():
    model = {"type": "file", "content": "a,b\n1,2\n", "format": "text"}
    lab.strip_outputs(model, path="x.csv")
    assert model["content"] == "a,b\n1,2\n"


def test_make_lab_starts_jupyterlab_with_the_repository_config():
    assert "--config=jupyter_lab_config.py" in (ROOT / "Makefile").read_text()
    config = PyFileConfigLoader("jupyter_lab_config.py", path=str(ROOT)).load_config()
    assert config.ContentsManager.pre_save_hook == "pmo_lib.lab.strip_outputs"
    assert config.ContentsManager.post_save_hook == "pmo_lib.lab.keep_layout"
