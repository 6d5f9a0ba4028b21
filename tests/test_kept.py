"""Figures kept from one batch run to the next (pmo_lib/kept.py): the function's comparison reads
a portfolio's row again only while everything it comes from is the same."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pmo_lib import data, kept, store
from pmo_lib.metrics import health, summary
from pmo_lib.params import load_all
from tests.test_batch import DA, INFRA, _nudge
from tests.test_runner import AS_OF


def _counted(calls: list) -> callable:
    def compute() -> dict:
        calls.append(1)
        return {"count": 3, "money": 1234.5, "blank": None, "nan": float("nan"), "name": "x"}

    return compute


def _parts(path: Path) -> list:
    return json.loads(json.loads(path.read_text())["key"])


def test_nothing_is_kept_outside_a_batch_run(monkeypatch, tmp_path):
    monkeypatch.delenv(kept.CACHE_ENV, raising=False)
    calls: list = []
    kept.value(("a",), _counted(calls))
    kept.value(("a",), _counted(calls))
    assert len(calls) == 2 and not list(tmp_path.iterdir())
    assert kept.data_prints("/no/such/store", None, ["A"]) == {}  # and no query made


def test_figures_are_kept_by_their_parts_and_a_damaged_file_is_made_again(monkeypatch, tmp_path):
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    calls: list = []
    first = kept.value(("a", 1), _counted(calls))
    again = kept.value(("a", 1), _counted(calls))
    assert len(calls) == 1
    assert {k: v for k, v in again.items() if k != "nan"} == {
        "count": 3,
        "money": 1234.5,
        "blank": None,
        "name": "x",
    }
    assert [type(again[k]) for k in first] == [type(first[k]) for k in first]  # 3 stays an int
    kept.value(("a", 2), _counted(calls))
    assert len(calls) == 2
    (path,) = [
        p
        for p in (tmp_path / "kept").iterdir()
        if json.loads(json.loads(p.read_text())["key"])[1] == 1
    ]
    path.write_text("{not json")
    assert kept.value(("a", 1), _counted(calls))["count"] == 3
    assert len(calls) == 3 and json.loads(path.read_text())["value"]["count"] == 3


def test_a_result_json_would_not_give_back_as_it_was_is_not_kept(monkeypatch, tmp_path):
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    calls: list = []

    def compute() -> dict:
        calls.append(1)
        return {"count": pd.NA}

    kept.value(("b",), compute)
    kept.value(("b",), compute)
    assert len(calls) == 2 and not (tmp_path / "kept").exists()


def test_figures_unused_for_ninety_days_are_pruned(monkeypatch, tmp_path):
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path))
    kept.value(("old",), _counted([]))
    kept.value(("new",), _counted([]))
    (old,) = [p for p in tmp_path.iterdir() if _parts(p)[0] == "old"]
    long_ago = time.time() - 91 * 86400
    os.utime(old, (long_ago, long_ago))
    assert kept.prune(tmp_path) == 1
    assert len(list(tmp_path.iterdir())) == 1 and not old.exists()


def _comparison(path: Path, config) -> pd.DataFrame:
    data.forget_snapshots()
    function = data.load_portfolio(None, AS_OF, path)
    now = function.current
    prints = kept.data_prints(path, now.as_of.date(), summary.portfolios(now))
    past = health.Past.of(data.all_snapshots(function))
    return summary.by_portfolio(now, data.resource_load(function), config, past, None, prints)


@pytest.fixture
def spied(monkeypatch) -> list[str]:
    """The portfolios whose comparison row was computed, not read."""
    computed: list[str] = []
    figures = summary.figures

    def spy(now, load, portfolio, *args):
        computed.append(portfolio)
        return figures(now, load, portfolio, *args)

    monkeypatch.setattr(summary, "figures", spy)
    return computed


def test_the_comparison_reads_a_portfolios_row_until_its_data_changes(
    demo_store, tmp_path, monkeypatch, spied
):
    path = tmp_path / "s.duckdb"
    shutil.copy(demo_store, path)
    config = load_all()[0]
    assert config.is_function
    monkeypatch.delenv(kept.CACHE_ENV, raising=False)
    computed = _comparison(path, config)  # as JupyterLab computes it: nothing kept
    assert len(spied) == 4
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    spied.clear()
    pd.testing.assert_frame_equal(_comparison(path, config), computed)
    assert len(spied) == 4 and len(list((tmp_path / "kept").iterdir())) == 4
    spied.clear()
    pd.testing.assert_frame_equal(_comparison(path, config), computed)  # every row read
    assert spied == []

    _nudge(path, DA)  # one portfolio's spend changes: its row, and only its, is computed
    changed = _comparison(path, config)
    assert spied == [DA]
    monkeypatch.delenv(kept.CACHE_ENV)
    pd.testing.assert_frame_equal(changed, _comparison(path, config))
    row = changed.set_index("portfolio")
    assert row.loc[DA, "ytd_actual"] != computed.set_index("portfolio").loc[DA, "ytd_actual"]

    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path / "kept"))
    spied.clear()
    other = config.model_copy(update={"title": "Another function"})
    _comparison(path, other)  # other parameters: every row computed again
    assert len(spied) == 4


def test_a_kernel_takes_the_prints_the_plan_kept_and_computes_only_the_others(
    demo_store, tmp_path, monkeypatch
):
    day = date.fromisoformat(AS_OF)
    monkeypatch.setenv(kept.CACHE_ENV, str(tmp_path))
    prints = store.scope_prints(demo_store, day, [None, DA, INFRA])
    kept.put_prints(tmp_path, demo_store, day, prints)
    asked: list = []
    computed = store.scope_prints_and_rows

    def spied(path, up_to, portfolios):
        asked.append(portfolios)
        return computed(path, up_to, portfolios)

    monkeypatch.setattr(store, "scope_prints_and_rows", spied)
    assert kept.data_prints(demo_store, day, [DA, INFRA]) == {DA: prints[DA], INFRA: prints[INFRA]}
    assert asked == []
    both = kept.data_prints(demo_store, day, [DA, "Customer Channels"])
    assert asked == [["Customer Channels"]]
    assert both == store.scope_prints(demo_store, day, [DA, "Customer Channels"])
    # a server's address is kept without its password
    kept.put_prints(tmp_path, "postgresql://pmo:s3cret@db.example/pmo", day, {DA: "x"})
    assert not any("s3cret" in p.read_text() for p in tmp_path.iterdir())
