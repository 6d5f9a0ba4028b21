"""What `make lab` configures (jupyter_lab_config.py, pmo_lib/lab.py) and what the report pages
render for JupyterLab, without a browser (tests/test_browser.py drives the real lab)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
from traitlets.config import PyFileConfigLoader

from pmo_lib import lab
from pmo_lib import report as report_module
from pmo_lib.catalog import EXPLAINED_IN
from pmo_lib.narrative.portfolio_summary import tiles as summary_tiles
from pmo_lib.report import open_report
from pmo_lib.sections import portfolio_summary as summary_sections
from pmo_lib.sections import spend as spend_sections
from pmo_lib.tables import html_table

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("explore.js", "lab.js")


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


# -- what the pages render for the lab ---------------------------------------------------------
def _shown(monkeypatch) -> list[dict]:
    bundles: list[dict] = []
    monkeypatch.setattr(report_module, "_display", bundles.append)
    return bundles


def test_report_outputs_carry_the_classes_both_mathjax_versions_ignore(monkeypatch):
    shown = _shown(monkeypatch)
    report_module._html("<p>$69.4M, $2.7M (4.0%) over $66.7M</p>")
    assert shown[0]["text/html"].startswith('<div class="tex2jax_ignore mathjax_ignore">')


def test_the_lab_gets_the_page_rules_and_the_table_script_but_not_the_notebook_chrome():
    css = report_module.lab_stylesheet()
    assert "table.pmo-table" in css and ".pmo-explore-bar" in css and ".pmo-kpis" in css
    assert "@media screen { tr.pmo-paged-out { display: none; } }" in css  # pages hide rows
    assert "body.jp-Notebook" not in css and ".jp-Cell " not in css and "@media print" not in css
    assets = report_module.lab_assets()
    explore, links = ((ROOT / "pmo_lib" / "templates" / "pmo" / n).read_text() for n in NAMES)
    assert assets == f"<style>{css}</style><script>{explore}</script><script>{links}</script>"


def test_the_lab_shows_the_rules_and_script_once_the_batch_page_never(monkeypatch, demo_store):
    for interactive in (True, False):
        shown = _shown(monkeypatch)
        open_report(
            "spend",
            "Data & Analytics",
            source=str(demo_store),
            interactive=interactive,
            sections=spend_sections,
        )
        assets = [b for b in shown if "<script>" in b.get("text/html", "")]
        assert len(assets) == (1 if interactive else 0)


def test_tables_scroll_in_their_own_box():
    page = html_table(pd.DataFrame({"a": [1.0]}), None, "USD", money=["a"])
    assert page.startswith('<div class="pmo-table-wrap"><table class="pmo-table">')
    assert page.endswith("</table></div>")


def test_exception_links_open_the_report_page_or_in_the_lab_the_notebook():
    link = summary_sections.section_link
    assert link("health", "6. Watch list") == "health.html#6.-Watch-list"
    assert link("health", "6. Watch list", lab=True) == "health.ipynb#6.-Watch-list"
    found = pd.DataFrame({"area": ["Spend"], "item": ["P1 A"], "why": ["over"]})
    linked = summary_sections.with_links(found, lab=True)
    assert list(linked["href"]) == ["spend.ipynb#4.-Exceptions"]
    assert list(linked.columns) == ["area", "item", "why", "report", "section", "href"]
    assert summary_sections.with_links(found.iloc[:0]).empty


def test_every_exception_link_names_a_heading_of_its_report_notebook():
    for report, heading in EXPLAINED_IN.values():
        cells = nbformat.read(ROOT / "notebooks" / f"{report}.ipynb", as_version=4).cells
        headings = [
            line[3:].strip()
            for c in cells
            if c.cell_type == "markdown"
            for line in c.source.splitlines()
            if line.startswith("## ")
        ]
        assert heading in headings, (report, heading)


def test_a_tile_whose_change_shows_as_nothing_says_no_change():
    tiles = pd.DataFrame(
        [
            ("Median lead time", 65.0, 0.4, "days"),
            ("Backlog value", 1_000_000.0, -0.004, "money"),
            ("Active projects", 74, 1, "count"),
            ("Open high risks", 20, None, "count"),
        ],
        columns=["label", "value", "change", "kind"],
    )
    notes = [n for _, _, n in summary_tiles(tiles, "USD", pd.Timestamp("2026-09-30"))]
    assert notes == [
        "no change since 30 Sep 2026",
        "no change since 30 Sep 2026",
        "▲ 1 since 30 Sep 2026",
        "",
    ]


def test_the_panel_offers_the_default_comparison_as_the_one_before(demo_store):
    report = open_report(
        "spend",
        "Data & Analytics",
        source=str(demo_store),
        interactive=True,
        sections=spend_sections,
    )
    report.filter_panel()
    panel = report.panel
    assert panel.compare_to.value == "" and panel.compare_to.label == "(the one before)"
    assert report.before.as_of == pd.Timestamp("2026-09-30")
    panel.as_of.value = "2026-09-30"  # the one before follows the as-of date
    assert report.before.as_of == pd.Timestamp("2026-08-31")
    assert panel.compare_to.label == "(the one before)"
    chosen = open_report(
        "spend",
        "Data & Analytics",
        source=str(demo_store),
        compare_to="2026-08-31",
        interactive=True,
        sections=spend_sections,
    )
    chosen.filter_panel()
    assert chosen.panel.compare_to.value == "2026-08-31"  # a date chosen stays a date
