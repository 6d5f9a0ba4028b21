"""Resourcing metrics on hand-made cases: part-time and zero capacity, months without actuals,
and how a portfolio counts shared people."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from pmo_lib.data import Snapshot
from pmo_lib.metrics import resourcing as rs
from pmo_lib.params import config_for
from pmo_lib.schema import TABLES
from tests.conftest import frame

AS_OF = pd.Timestamp("2026-10-31")
PARAMS = config_for(None).resourcing
CLOSED, COMING = rs.windows(AS_OF, 2, 3)  # Sep, Oct closed; Nov, Dec, Jan coming


def person(rid: str, home: str | None, capacity: float, **values) -> dict:
    return {
        "resource_id": rid,
        "name": f"Person {rid}",
        "role": values.pop("role", "Developer"),
        "team": "Eng",
        "portfolio": home,
        "employment_type": values.pop("employment_type", "Employee"),
        "monthly_capacity_hours": capacity,
        "hourly_rate": values.pop("hourly_rate", 100.0),
        **values,
    }


def booking(
    rid: str, pid: str | None, period: str, planned: float, actual: float | None = None
) -> dict:
    return {
        "resource_id": rid,
        "project_id": pid,
        "period": period,
        "planned_hours": planned,
        "actual_hours": actual,
    }


PROJECTS = [
    {
        "project_id": p,
        "project_name": p.lower(),
        "portfolio": "A",
        "status": "Active",
        "project_manager": "Ann",
    }
    for p in ("P1", "P2")
]
RESOURCES = [
    person("R1", "A", 160.0),  # full time
    person(
        "R2", "A", 80.0, role="Tester", employment_type="Contractor", hourly_rate=150.0
    ),  # part time
    person("R3", "A", 0.0, role="Tester"),  # zero capacity (on leave)
    person(
        "S1", None, 160.0, employment_type="Vendor", vendor="Acme", hourly_rate=120.0
    ),  # shared team
]
ALLOCATIONS = [
    booking("R1", "P1", "2026-09-01", 100.0, 110.0),
    booking("R1", None, "2026-09-01", 20.0, 20.0),
    booking("R1", "P1", "2026-10-01", 120.0, None),  # closed month without a timesheet
    booking("R1", "P1", "2026-11-01", 150.0),
    booking("R1", "P2", "2026-11-01", 30.0),  # 180 of 160: over
    booking("R2", "P2", "2026-11-01", 40.0),  # 40 of 80: 50 %
    booking("R3", "P2", "2026-11-01", 10.0),  # booked with zero capacity
    booking("S1", "P1", "2026-09-01", 50.0, 60.0),
    booking("S1", "P2", "2026-11-01", 100.0),
]
NOW = Snapshot(
    AS_OF,
    {
        **{name: frame(name, []) for name in TABLES},
        "projects": frame("projects", PROJECTS),
        "resources": frame("resources", RESOURCES),
        "allocations": frame("allocations", ALLOCATIONS),
    },
)
# S1 also works 90 hours for another portfolio in November: only the total reaches this report.
LOAD = pd.DataFrame(
    {
        "resource_id": ["R1", "R2", "R3", "S1"],
        "period": pd.to_datetime(["2026-11-01"] * 4),
        "planned_hours": [180.0, 40.0, 10.0, 190.0],
    }
)


def test_windows_are_the_closed_and_the_coming_months():
    assert list(CLOSED.strftime("%Y-%m")) == ["2026-09", "2026-10"]
    assert list(COMING.strftime("%Y-%m")) == ["2026-11", "2026-12", "2027-01"]
    closed, coming = rs.windows(pd.Timestamp("2026-10-15"), 1, 3)  # October is not closed yet
    assert closed[0] == pd.Timestamp("2026-09-01") and coming[0] == pd.Timestamp("2026-10-01")


def test_capacity_counts_home_people_and_allocation_counts_the_portfolios_work():
    by_month = rs.monthly(NOW, "A", CLOSED.append(COMING)).set_index("period")
    nov = by_month.loc["2026-11-01"]
    assert nov["capacity_hours"] == 240.0  # R1 160 + R2 80 + R3 0; the shared S1 is not counted
    assert nov["planned_hours"] == 330.0  # 180 + 40 + 10 + S1's 100 on this portfolio's project
    assert nov["availability_hours"] == -90.0 and nov["planned_utilisation"] == pytest.approx(137.5)
    assert pd.isna(nov["actual_hours"]) and pd.isna(nov["actual_utilisation"])  # not closed yet
    oct_ = by_month.loc["2026-10-01"]
    assert (
        oct_["actual_hours"] == 0.0 and oct_["actual_utilisation"] == 0.0
    )  # closed, no timesheets
    sep = by_month.loc["2026-09-01"]
    assert sep["actual_hours"] == 190.0 and sep["actual_utilisation"] == pytest.approx(
        100 * 190 / 240
    )
    whole = rs.monthly(NOW, None, COMING).set_index("period")
    assert whole.loc["2026-11-01", "capacity_hours"] == 400.0  # the function counts everyone


def test_people_load_part_time_zero_capacity_and_shared_people():
    people = rs.people_load(NOW, LOAD, COMING, "A")
    nov = people[people["period"] == "2026-11-01"].set_index("resource_id")
    assert (
        nov.loc["R1", "utilisation"] == pytest.approx(112.5) and nov.loc["R1", "over_hours"] == 20.0
    )
    assert nov.loc["R2", "utilisation"] == 50.0  # part time: 40 of 80
    assert pd.isna(nov.loc["R3", "utilisation"])  # zero capacity: blank, not a division by zero
    assert nov.loc["S1", "total_planned_hours"] == 190.0 and nov.loc["S1", "hours_here"] == 100.0
    over = rs.over_allocated(people, 100)
    assert over[["resource_id", "over_hours"]].values.tolist() == [["S1", 30.0], ["R1", 20.0]]
    assert rs.under_used(people[people["period"] == "2026-11-01"], 70)["resource_id"].tolist() == [
        "R2"
    ]
    bookings = rs.over_on_projects(NOW, over).set_index("resource_id")["bookings"]
    assert bookings["R1"] == "P1 p1 150 h; P2 p2 30 h" and bookings["S1"] == "P2 p2 100 h"
    # a project without a name (a frame built by hand; a store refuses it): its id alone
    unnamed = replace(
        NOW, tables={**NOW.tables, "projects": NOW["projects"].assign(project_name=None)}
    )
    assert rs.over_on_projects(unnamed, over).set_index("resource_id")["bookings"]["S1"] == (
        "P2 100 h"
    )


def test_shortfall_by_role_over_three_and_six_months():
    by_role = rs.monthly(NOW, "A", COMING, "role")
    short = rs.shortfall(by_role, COMING).set_index("role")
    # Developer: Nov 180 + 100 (S1) - 160, Dec and Jan 0 - 160 each; Tester: Nov 50 - 80, then -80,
    # -80
    assert short.loc["Developer", "next_3_months"] == 120 - 160 - 160
    assert short.loc["Tester", "next_3_months"] == -30 - 80 - 80
    assert (
        short.loc["Developer", "next_6_months"] == short.loc["Developer", "next_3_months"]
    )  # only 3 months known


def test_the_summary_s_role_shortfall_is_the_analysis_own():
    params = config_for(None).resourcing.model_copy(update={"past_months": 2, "next_months": 3})
    for portfolio in ("A", None):
        whole = rs.analyse(NOW, None, LOAD, portfolio, params).shortfall
        pd.testing.assert_frame_equal(rs.role_shortfall(NOW, portfolio, params), whole)
    assert (
        rs.role_shortfall(NOW, "A", params).set_index("role").loc["Developer", "next_3_months"]
        == 120 - 160 - 160
    )


def test_workforce_mix_vendor_spend_plan_vs_actual():
    mix = rs.workforce_mix(NOW, "A", CLOSED, 160).set_index("employment_type")
    assert mix.loc["Employee", "people"] == 2 and mix.loc["Employee", "fte"] == 1.0  # 160 + 0 hours
    assert mix.loc["Contractor", "fte"] == 0.5 and mix.loc["Vendor", "people"] == 0
    assert (
        mix.loc["Employee", "cost"] == (110 + 20) * 100.0
        and mix.loc["Vendor", "cost"] == 60 * 120.0
    )
    assert rs.vendor_spend(NOW, CLOSED).values.tolist() == [["Acme", 60.0, 7200.0]]
    pva = rs.plan_vs_actual(NOW, CLOSED).set_index("project_id")
    assert pva.loc["P1", ["planned_hours", "actual_hours", "difference"]].tolist() == [
        270.0,
        170.0,
        -100.0,
    ]
    share = rs.project_vs_bau(None, NOW, CLOSED).set_index("period")
    assert share.loc["2026-09-01", ["project_hours", "bau_hours"]].tolist() == [150.0, 20.0]
    assert share.loc["2026-09-01", "project_share"] == pytest.approx(100 * 150 / 170)


def test_headlines_and_changes():
    view = rs.analyse(
        NOW, None, LOAD, "A", PARAMS.model_copy(update={"past_months": 2, "next_months": 3})
    )
    assert view.headlines == {
        "capacity_hours_next_month": 240.0,
        "planned_hours_next_month": 330.0,
        "planned_utilisation_next_month": pytest.approx(137.5),
        "over_allocated_people_next_month": 2,
        "actual_hours_last_month": 0.0,  # October: closed, no timesheets
    }
    before = Snapshot(
        pd.Timestamp("2026-09-30"),
        {**NOW.tables, "resources": frame("resources", RESOURCES[:1] + [person("R2", "A", 60.0)])},
    )
    ch = rs.changes(NOW, before, COMING, "A")
    assert ch["people"]["change"].tolist() == ["joined", "capacity 60 → 80 h/month"]
    assert ch["hours"]["change"].sum() == 0.0


def test_empty_scope():
    empty = Snapshot(AS_OF, {name: frame(name, []) for name in TABLES})
    view = rs.analyse(empty, None, LOAD.iloc[:0], "A", PARAMS)
    # no people, no bookings, no timesheets: no figures, not zeros
    assert set(view.headlines.values()) == {None}
    assert view.over.empty and view.shortfall.empty


# -- the report's sentences (pmo_lib.narrative.resourcing) ---------------------------------------
def test_the_capacity_and_shortfall_sentences_on_hand_made_months():
    from pmo_lib.narrative import resourcing as words

    coming = pd.date_range("2026-11-01", periods=3, freq="MS")
    by_month = pd.DataFrame(
        {
            "period": pd.date_range("2026-10-01", periods=4, freq="MS"),
            "planned_hours": [900, 1_650, 1_400, 1_000],
            "capacity_hours": [1_500, 1_500, 1_500, 1_500],
            "planned_utilisation": [60.0, 110.0, 93.3, 66.7],
            "availability_hours": [600, -150, 100, 500],
        }
    )
    assert words.capacity(by_month, coming) == (
        "Next month (November 2026) 1,650 hours are booked against a capacity of 1,500: planned"
        " utilisation **110.0%**. Bookings exceed capacity in 1 of the next 3 months."
    )
    no_capacity = by_month.assign(planned_utilisation=None, availability_hours=0)
    assert words.capacity(no_capacity, coming).endswith(
        "planned utilisation **not defined (no capacity)**."
    )
    assert words.capacity(by_month.iloc[:1], coming) == ""  # nothing ahead: no sentence
    short = pd.DataFrame(
        {
            "role": ["Data Engineer", "Tester"],
            "next_3_months": [120.0, 0.0],
            "next_6_months": [300.0, 0.0],
        }
    )
    assert words.shortfall(short) == (
        "1 roles are short over the next six months; the largest gap is Data Engineer: **300"
        " hours** (120 in the next three) — the staffing request to take to resource and vendor"
        " management."
    )
    assert words.shortfall(short.iloc[1:]) == (
        "No role is booked beyond its capacity over the next six months."
    )


def test_the_most_over_booked_person_is_named_by_id_when_the_export_has_no_names():
    from pmo_lib.narrative import resourcing as words

    coming = pd.date_range("2026-11-01", periods=3, freq="MS")
    over = pd.DataFrame(
        {"resource_id": ["R7"], "name": [None], "period": [coming[0]], "over_hours": [19.0]}
    )
    under = over.iloc[:0]
    said = words.people(over, under, coming)
    assert "(most: R7, 19 hours over)" in said  # the property test found "most: nan"
    named = over.assign(name="Ann Lee")
    assert "(most: Ann Lee, 19 hours over)" in words.people(named, under, coming)


def test_the_scope_changes_and_bau_sentences_and_their_blank_cases():
    from pmo_lib.narrative import resourcing as words

    assert words.scope(None) == "The whole function: every resource's capacity and every booking."
    assert words.scope("Data & Analytics").startswith(
        "Capacity counts the people whose home portfolio is Data & Analytics. Allocation counts"
        " every hour booked to Data & Analytics's projects"
    )
    changes = {"hours": pd.DataFrame({"change": [-40.0, 10.0]}), "people": pd.DataFrame(index=[0])}
    assert words.changes(changes, pd.Timestamp("2026-09-30")) == (
        "Since 30 Sep 2026, bookings for the coming months carry 30 fewer hours; 1 changes in"
        " people or capacity."
    )
    assert words.changes(changes, None) == "There is no earlier snapshot to compare with."
    coming = pd.date_range("2026-11-01", periods=2, freq="MS")
    share = pd.DataFrame(
        {"period": coming, "project_hours": [300.0, 300.0], "bau_hours": [100.0, 100.0]}
    )
    assert words.bau(share, coming) == (
        "Over the next 2 months 75.0% of the booked hours go to projects and the rest to"
        " non-project work."
    )
    assert words.bau(share.assign(project_hours=0.0, bau_hours=0.0), coming) == ""


def _booked(by: str, rows: list[tuple]) -> pd.DataFrame:
    columns = [by, "period", "planned_hours", "actual_hours", "project_hours", "bau_hours"]
    frame_ = pd.DataFrame(rows, columns=columns)
    return frame_.assign(period=pd.to_datetime(frame_["period"])).astype(
        {by: "str", "period": "datetime64[us]", **dict.fromkeys(columns[2:], "float64")}
    )


NAN = float("nan")
BY_PERSON = _booked(  # ALLOCATIONS summed per person and month, by hand
    "resource_id",
    [
        ("R1", "2026-09-01", 120.0, 130.0, 100.0, 20.0),
        ("R1", "2026-10-01", 120.0, NAN, 120.0, 0.0),  # no timesheet: blank, not 0
        ("R1", "2026-11-01", 180.0, NAN, 180.0, 0.0),
        ("R2", "2026-11-01", 40.0, NAN, 40.0, 0.0),
        ("R3", "2026-11-01", 10.0, NAN, 10.0, 0.0),
        ("S1", "2026-09-01", 50.0, 60.0, 50.0, 0.0),
        ("S1", "2026-11-01", 100.0, NAN, 100.0, 0.0),
    ],
)
BY_PROJECT = _booked(  # and per project and month (R1's non-project 20 hours: no project)
    "project_id",
    [
        ("P1", "2026-09-01", 150.0, 170.0, 150.0, 0.0),
        ("P1", "2026-10-01", 120.0, NAN, 120.0, 0.0),
        ("P1", "2026-11-01", 150.0, NAN, 150.0, 0.0),
        ("P2", "2026-11-01", 180.0, NAN, 180.0, 0.0),
    ],
)


def _stored(tmp_path, snapshot: Snapshot = NOW):
    from datetime import date

    from pmo_lib import store

    path = tmp_path / "bookings.duckdb"
    frames = {name: snapshot[name] for name in ("projects", "resources", "allocations")}
    store.write_snapshot(path, frames, date(2026, 10, 31), "test")
    return path


def test_bookings_summed_per_person_and_project_by_hand_in_pandas_and_in_the_store(tmp_path):
    from datetime import date

    from pmo_lib import store

    path = _stored(tmp_path)
    for by, by_hand in (("resource_id", BY_PERSON), ("project_id", BY_PROJECT)):
        pd.testing.assert_frame_equal(rs.booked_months(NOW["allocations"], by), by_hand)
        for portfolio in (None, "A"):
            pd.testing.assert_frame_equal(
                store.booked_months(path, date(2026, 10, 31), portfolio, by), by_hand
            )
    with pytest.raises(ValueError, match="by 'team'"):
        store.booked_months(path, date(2026, 10, 31), None, "team")


def test_the_analysis_from_the_store_s_sums_is_the_analysis_from_the_rows(tmp_path, monkeypatch):
    """Read from a store, the analysis takes the bookings' sums from the query and the few rows
    it lists (over-booked people's bookings, hours without a plan) by their own queries: every
    figure and table the rows give, and the bookings never read whole."""
    import dataclasses

    from pmo_lib import data

    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # each table read alone, as at 100x
    params = PARAMS.model_copy(update={"past_months": 2, "next_months": 3})
    unplanned = booking("R2", "P1", "2026-09-01", 0.0, 12.0)  # timesheet hours, no plan
    now = replace(
        NOW, tables={**NOW.tables, "allocations": frame("allocations", [*ALLOCATIONS, unplanned])}
    )
    loaded = data.load_portfolio("A", source=_stored(tmp_path, now))
    stored = rs.analyse(loaded.current, None, LOAD, "A", params)
    assert not loaded.current.tables.has_read("allocations")
    rows = rs.analyse(now, None, LOAD, "A", params)
    for field in dataclasses.fields(rows):
        mine, theirs = getattr(stored, field.name), getattr(rows, field.name)
        if isinstance(mine, pd.DataFrame):
            pd.testing.assert_frame_equal(mine, theirs, obj=field.name)
        elif field.name != "changes":
            assert list(mine) == list(theirs), field.name
    assert len(stored.over) == 2 and stored.over["bookings"].notna().all()
    assert stored.unplanned[["resource_id", "actual_hours"]].values.tolist() == [["R2", 12.0]]


def test_the_demo_s_resourcing_from_the_store_is_its_rows(demo_store, monkeypatch):
    """The resourcing page of a portfolio and the function, each snapshot read whole from the
    store: no snapshot's bookings read, and every figure the rows give (to float rounding)."""
    import dataclasses

    from pmo_lib import data

    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # each table read alone, as at 100x
    data.forget_snapshots()
    for portfolio in (None, "Data & Analytics"):
        loaded = data.load_portfolio(portfolio, source=demo_store)
        load = data.resource_load(loaded)
        params = config_for(portfolio).resourcing
        view = rs.analyse(loaded.current, loaded.previous, load, portfolio, params)
        assert not any(s.tables.has_read("allocations") for s in data.all_snapshots(loaded))
        now, before = (
            Snapshot(s.as_of, {t: s[t] for t in s.tables})
            for s in (loaded.current, loaded.previous)
        )
        rows = rs.analyse(now, before, load, portfolio, params)
        assert len(view.over) and len(view.plan_actual) and len(view.vendors)
        for field in dataclasses.fields(rows):
            mine, theirs = getattr(view, field.name), getattr(rows, field.name)
            for key in mine if isinstance(mine, dict) else [None]:
                left, right = (mine, theirs) if key is None else (mine[key], theirs[key])
                if isinstance(left, pd.DataFrame):
                    pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-12)
                elif key is None and not isinstance(left, dict):
                    assert list(left) == list(right), field.name
                else:
                    assert left == pytest.approx(right, nan_ok=True), (field.name, key)
