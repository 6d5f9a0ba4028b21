"""Shared fixtures: a demo store built once per test session, and small hand-made tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pmo_lib import demo
from pmo_lib.schema import TABLES


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("store") / "pmo.duckdb"
    demo.build_demo_store(path)
    return path


def copy_of(store: Path, folder: Path) -> Path:
    """A copy of a store that a test may change (the session's demo store stays as built)."""
    path = folder / "s.duckdb"
    shutil.copy(store, path)
    return path


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """A canonical table from a few hand-written rows (missing columns blank, model dtypes)."""
    spec = TABLES[table]
    data = pd.DataFrame(rows, columns=spec.column_names)
    for column in spec.columns:
        if column.type == "date":
            data[column.name] = pd.to_datetime(data[column.name])
    return data.astype(spec.dtypes)


def write_csv(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path
