"""pmo_lib.memo: a metric asked again about the very same objects answers from memory."""

from __future__ import annotations

import pandas as pd

from pmo_lib.memo import same_arguments


def test_the_same_objects_are_answered_once_and_equal_ones_are_not_the_same():
    calls = []

    @same_arguments(size=2)
    def total(frame: pd.DataFrame, column: str = "x") -> pd.DataFrame:
        calls.append(column)
        return frame.assign(total=frame[column].sum())

    frame = pd.DataFrame({"x": [1, 2], "y": [3, 4]})
    first = total(frame, column="x")
    again = total(frame, column="x")
    assert calls == ["x"] and again["total"].tolist() == [3, 3]
    again["total"] = 0  # a caller's change stays its own
    assert total(frame, column="x")["total"].tolist() == [3, 3] and calls == ["x"]
    assert first["total"].tolist() == [3, 3]
    total(frame.copy(), column="x")  # equal data, another object: computed
    total(frame, column="y")  # another argument: computed
    assert calls == ["x", "x", "y"]
    total(frame, column="x")  # dropped: only the last two are kept
    assert calls == ["x", "x", "y", "x"]


def test_an_immutable_argument_is_known_by_its_value_a_frame_by_its_identity():
    from pmo_lib.periods import fiscal_year

    calls = []

    @same_arguments(size=4)
    def plan(frame: pd.DataFrame, as_of: pd.Timestamp, fy) -> float:
        calls.append(fy.name)
        return float(frame["x"].sum())

    frame = pd.DataFrame({"x": [1.0, 2.0]})
    day = pd.Timestamp("2026-10-31")
    assert plan(frame, day, fiscal_year(day, 4)) == 3.0
    # a fiscal year and a date made again: equal values, the same answer
    assert plan(frame, pd.Timestamp("2026-10-31"), fiscal_year(day, 4)) == 3.0
    assert len(calls) == 1
    plan(frame, day, fiscal_year(day, 1))  # another year
    plan(frame.copy(), day, fiscal_year(day, 4))  # equal data, another object
    assert len(calls) == 3


def test_forget_drops_every_remembered_result_and_what_it_held():
    import weakref

    from pmo_lib import memo

    calls = []

    @same_arguments(size=4)
    def total(frame: pd.DataFrame) -> float:
        calls.append(1)
        return float(frame["x"].sum())

    frame = pd.DataFrame({"x": [1.0, 2.0]})
    held = weakref.ref(frame)
    assert total(frame) == total(frame) == 3.0 and len(calls) == 1
    memo.forget()
    assert total(frame) == 3.0 and len(calls) == 2  # asked again after forget: computed
    memo.forget()
    del frame
    assert held() is None  # no remembered result keeps the frame alive


def test_a_keyed_snapshot_is_known_by_its_key_one_without_a_key_by_its_identity():
    from pmo_lib.data import Snapshot
    from pmo_lib.metrics import health

    calls = []

    @same_arguments(size=4)
    def count(snapshot: Snapshot, past: health.Past | None = None) -> int:
        calls.append(1)
        return len(snapshot["projects"])

    projects = pd.DataFrame({"project_id": ["P1", "P2"], "budget_at_completion": [1.0, 2.0]})
    projects["forecast_finish"] = pd.Timestamp("2027-01-31")
    day = pd.Timestamp("2026-10-31")
    key = ("scope", "A", "2026-10-31", "print-1")
    # a batch kernel's next job of the portfolio: its own objects, the same rows (the same key)
    assert count(Snapshot(day, {"projects": projects}, key)) == 2
    assert count(Snapshot(day, {"projects": projects.copy()}, key)) == 2
    assert len(calls) == 1
    count(Snapshot(day, {"projects": projects}, (*key[:3], "print-2")))  # other rows: computed
    unkeyed = Snapshot(day, {"projects": projects})  # JupyterLab, a test's frames: no key
    count(unkeyed)
    count(unkeyed)
    count(Snapshot(day, {"projects": projects}))  # equal, another object: computed
    assert len(calls) == 4
    # a past made of keyed snapshots is known by their keys; of any unkeyed one, by identity
    history = [Snapshot(day, {"projects": projects}, key)]
    first, again = health.Past.of(history), health.Past.of(list(history))
    assert first.key == again.key == ("past", key) and first is not again
    now = history[0]
    count(now, first)
    count(now, again)
    assert len(calls) == 5
    assert health.Past.of([unkeyed, *history]).key is None
