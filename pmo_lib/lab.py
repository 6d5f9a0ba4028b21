"""What `make lab` configures in the Jupyter server (jupyter_lab_config.py): notebooks are saved
without what running them produced, so JupyterLab's autosave never dirties the tracked notebooks
nor leaves widget outputs that break the next open ("Error displaying widget: model not found").

strip_outputs (a pre-save hook) takes out outputs, execution counts, widget state, the kernel's
language details and output-view metadata. keep_layout (a post-save hook) then puts back the
file's own bytes when the save changed nothing else: Jupyter writes notebooks in its own JSON
layout, which differs from the committed one, so an unchanged notebook stays unchanged for git.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

CELL_VIEW_STATE = ("execution", "scrolled", "collapsed")  # what only outputs or a run give
_before: dict[str, bytes] = {}  # os path -> the file's bytes before the save in progress


def strip_notebook(nb: dict) -> dict:
    """The notebook (a dict, changed in place) without what running it produced."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in CELL_VIEW_STATE:
            cell.get("metadata", {}).pop(key, None)
    meta = nb.get("metadata", {})
    meta.pop("widgets", None)  # the widget state JupyterLab can save with the notebook
    if isinstance(meta.get("language_info"), dict):  # the kernel's version and the like
        meta["language_info"] = {"name": meta["language_info"].get("name", "python")}
    return nb


def strip_outputs(model: dict, path: str = "", contents_manager=None, **_) -> None:
    """Pre-save hook: strip a notebook before it is written; remember the file's bytes."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    strip_notebook(model["content"])
    if contents_manager is not None and hasattr(contents_manager, "_get_os_path"):
        os_path = contents_manager._get_os_path(path.strip("/"))
        try:
            _before[os_path] = Path(os_path).read_bytes()
        except OSError:  # a new notebook
            _before.pop(os_path, None)


def keep_layout(model: dict, os_path: str, contents_manager=None, **_) -> None:
    """Post-save hook: when the saved notebook says what the file said before (only the JSON
    layout differs), write the old bytes back, keeping the saved file's time (JupyterLab
    checks it to notice changes made by others)."""
    before = _before.pop(os_path, None)
    if before is None or model.get("type") != "notebook":
        return
    path = Path(os_path)
    try:
        after = path.read_bytes()
        same = before == after or _canonical(before) == _canonical(after)
    except (OSError, ValueError):
        return
    if same and before != after:
        stat = path.stat()
        path.write_bytes(before)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _canonical(text: bytes) -> str:
    """A notebook's content whatever its JSON layout (sources as one string or as lines)."""
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return json.dumps(nb, sort_keys=True)
