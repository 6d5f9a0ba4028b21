"""Three more real exports ingested through their mapping files (params/sources/), their totals
checked against the source files read independently with plain pandas, and every report
rendered from them: the World Bank projects list (ten Excel files stacked, zero costs read as
blank), the NYC School Construction Authority capital plan (two lists feeding projects: $ millions
and month-year dates, and dollars) and a Jira export of two Scrum projects (garbage rows left out
and logged)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import run_reports
from pmo_lib import store
from pmo_lib.params import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "tests" / "data" / "examples"
SOURCES = PROJECT_ROOT / "params" / "sources"

WB = EXAMPLES / "world_bank_projects"
SCA = EXAMPLES / "nyc_sca_school_capital_plan"
JIRA = EXAMPLES / "jira_agile_cycle_times"


def _ingest(name: str, folder: Path, db: Path) -> Path:
    argv = ["ingest", str(folder), "--mapping", str(SOURCES / f"{name}.yaml"), "--source", str(db)]
    assert run_reports.main([*argv, "--check"]) == 0
    assert not db.exists()  # --check loads nothing
    assert run_reports.main(argv) == 0
    return db


def _stored(db: Path, query: str) -> pd.DataFrame:
    with store.connect_read_only(db) as con:
        return con.execute(query).df()


@pytest.fixture(scope="module")
def wb_store(tmp_path_factory) -> Path:
    return _ingest("world_bank_projects", WB, tmp_path_factory.mktemp("wb") / "wb.duckdb")


@pytest.fixture(scope="module")
def sca_store(tmp_path_factory) -> Path:
    return _ingest("nyc_sca_school_capital_plan", SCA, tmp_path_factory.mktemp("sca") / "s.duckdb")


@pytest.fixture(scope="module")
def jira_store(tmp_path_factory) -> Path:
    return _ingest("jira_agile_cycle_times", JIRA, tmp_path_factory.mktemp("jira") / "j.duckdb")


# -- World Bank: ten Excel exports, one snapshot -------------------------------------------------
def _world_bank_source() -> pd.DataFrame:
    """Every project row of the ten workbooks (row 1 a title line, row 2 the header)."""
    files = sorted(WB.glob("*_WB_Projects_*.xlsx"))
    assert len(files) == 10
    return pd.concat([pd.read_excel(f, header=1, dtype=object) for f in files], ignore_index=True)


def test_world_bank_projects_equal_the_ten_files(wb_store):
    raw = _world_bank_source()
    assert len(raw) == 2962 and raw["Project Id"].is_unique
    projects = _stored(wb_store, "SELECT * FROM projects")
    assert projects["as_of"].unique().tolist() == [pd.Timestamp("2022-09-22")]  # one snapshot
    assert sorted(projects["project_id"]) == sorted(raw["Project Id"])

    cost = pd.to_numeric(raw["Current Project Cost"])
    assert projects["budget_at_completion"].sum() == pytest.approx(cost.sum())
    # a cost of 0 is none recorded (blank_values: ["0"]): blank, not $0
    assert (cost == 0).sum() == 1466 and cost.isna().sum() == 9
    assert projects["budget_at_completion"].isna().sum() == 9 + 1466
    assert (projects["budget_at_completion"] == 0).sum() == 0

    statuses = {"Pipeline": "Proposed", "Active": "Active", "Closed": "Closed"}
    statuses["Dropped"] = "Cancelled"
    expected = raw["Project Status"].map(statuses).value_counts().sort_index()
    assert projects["status"].value_counts().sort_index().tolist() == expected.tolist()
    assert projects.loc[projects["status"] == "Cancelled", "lifecycle_stage"].isna().all()

    regions = raw["Region"].replace(
        {"Africa East": "Eastern and Southern Africa", "Africa West": "Western and Central Africa"}
    )
    by_region = raw.assign(region=regions, cost=cost).groupby("region")["cost"].agg(["size", "sum"])
    stored = projects.groupby("portfolio")["budget_at_completion"].agg(["size", "sum"])
    assert stored.index.tolist() == by_region.index.tolist()
    assert stored["size"].tolist() == by_region["size"].tolist()
    assert stored["sum"].to_numpy() == pytest.approx(by_region["sum"].to_numpy())

    # approval dates (ISO with Z) and closing dates (m/d/yyyy h:mm:ss AM) as calendar dates
    approved = pd.to_datetime(raw["Board Approval Date"], utc=True).dt.tz_localize(None)
    closing = pd.to_datetime(raw["Project Closing Date"], format="%m/%d/%Y %I:%M:%S %p")
    dates = raw.assign(start=approved, finish=closing).set_index("Project Id")
    mine = projects.set_index("project_id").loc[dates.index]
    assert mine["baseline_start"].equals(dates["start"].astype(mine["baseline_start"].dtype))
    assert mine["forecast_finish"].equals(dates["finish"].astype(mine["forecast_finish"].dtype))
    assert store.load_ingest_log(wb_store, date(2022, 9, 22)).empty  # nothing left out or blanked


# -- NYC SCA: the capacity and repair lists, $ millions and dollars, month-year dates ----------
BOROUGH_OF_DISTRICT = {
    **dict.fromkeys(["2"], "Manhattan"),
    **dict.fromkeys(["7", "8", "9", "10", "11", "12"], "Bronx"),
    **dict.fromkeys(["13", "14", "15", "19", "20", "21", "22"], "Brooklyn"),
    **dict.fromkeys(["24", "25", "26", "27", "28", "29", "30", "78Q"], "Queens"),
    "31": "Staten Island",
}


def test_sca_capital_plan_totals_equal_the_source(sca_store):
    raw = pd.read_csv(SCA / "capacity_projects.csv", dtype={"District": str})
    repairs = pd.read_csv(SCA / "capital_projects.csv", dtype={"District": str})
    assert len(raw) == 88 and len(repairs) == 303
    projects = _stored(sca_store, "SELECT * FROM projects")
    assert projects["as_of"].unique().tolist() == [pd.Timestamp("2019-06-30")]
    # both lists, fed into projects by two file rules: they share no project number
    assert sorted(projects["project_id"]) == sorted([*raw["Project #"], *repairs["Project #"]])
    assert len(projects) == 88 + 303
    # $ millions to dollars, and dollars
    capacity = raw["Total Est. Comp"].sum() * 1e6
    assert capacity == pytest.approx(7_488_120_000)
    assert repairs["Total"].sum() == 628_037_134
    assert projects["budget_at_completion"].sum() == pytest.approx(
        capacity + repairs["Total"].sum()
    )
    assert projects["budget_at_completion"].sum() == pytest.approx(8_116_157_134)
    by_program = projects.groupby("program")["budget_at_completion"].agg(["size", "sum"])
    assert by_program["size"].to_dict() == {
        "Capacity Program": 88,
        "Capital Improvement Program": 303,
    }
    assert by_program.loc["Capacity Program", "sum"] == pytest.approx(capacity)
    # the plan's buckets add up to its total: appropriated + FY20-24 + needed after
    buckets = raw[["Previous Appropriations", "Funding Req'D FY 20-24", "Needed to Complete"]]
    assert buckets.sum(axis=1).to_numpy() == pytest.approx(raw["Total Est. Comp"], abs=0.011)

    # the borough: from the district in the capacity list, as given in the repair list
    raw["borough"] = raw["District"].map(BOROUGH_OF_DISTRICT)
    raw["cost"] = raw["Total Est. Comp"] * 1e6
    both = pd.concat(
        [raw[["borough", "cost"]], repairs.rename(columns={"Borough": "borough", "Total": "cost"})]
    )
    expected = both.groupby("borough")["cost"].agg(["size", "sum"])
    stored = projects.groupby("portfolio")["budget_at_completion"].agg(["size", "sum"])
    assert stored.index.tolist() == expected.index.tolist()
    assert stored["size"].tolist() == expected["size"].tolist()
    assert stored["sum"].to_numpy() == pytest.approx(expected["sum"].to_numpy())
    # the borough from the district agrees with the Borough column where it is filled
    given = raw.dropna(subset=["Borough"])
    assert len(given) == 12
    assert (given["Borough"].replace({"Mahattan": "Manhattan"}) == given["borough"]).all()
    # ... and with the repair list for every district the two share
    shared = repairs.assign(District=repairs["District"].str.lstrip("0")).merge(
        raw[["District", "borough"]].drop_duplicates(), on="District"
    )
    assert len(shared) and (shared["Borough"] == shared["borough"]).all()
    # districts named alike in both lists ("01" in one is "1" in the other)
    districts = {*raw["District"], *repairs["District"].str.lstrip("0")}
    assert len(districts) == 39
    assert set(projects["sub_portfolio"]) == {f"District {d}" for d in districts}

    # names: the school, its district telling the "PROJECT #n" apart
    mine = projects.set_index("project_id").loc[raw["Project #"]]
    assert (raw["School"] == "PROJECT #1").sum() == 23
    names = (raw["School"] + " (District " + raw["District"] + ")").tolist()
    assert mine["project_name"].tolist() == names and mine["project_name"].is_unique
    fixed = projects.set_index("project_id").loc[repairs["Project #"].iloc[0], "project_name"]
    assert fixed == (
        "P.S. 34 (M034): State of Good Repair - System Replacements - Exterior Masonry"
    )

    design = pd.to_datetime(raw["Design Start"], format="%b-%y")  # May-15 = 1 May 2015
    done = pd.to_datetime(raw["Actual Est. Comp"], format="%b-%y")
    assert (mine["baseline_start"].to_numpy() == design.to_numpy()).all()
    assert (mine["forecast_finish"].to_numpy() == done.to_numpy()).all()
    assert mine["baseline_finish"].isna().all()  # the plan gives no baseline to slip against
    # the repair list gives a fiscal year, no date
    dated = ["baseline_start", "forecast_finish", "baseline_finish"]
    assert projects.set_index("project_id").loc[repairs["Project #"], dated].isna().all().all()
    for table in ("financials", "milestones", "demand"):
        assert _stored(sca_store, f"SELECT count(*) n FROM {table}")["n"][0] == 0
    assert store.load_ingest_log(sca_store, date(2019, 6, 30)).empty


# -- Jira: created -> finished, garbage rows left out -------------------------------------------
def test_jira_tasks_become_delivered_demand_and_garbage_rows_are_logged(jira_store):
    raw = pd.read_csv(JIRA / "jira.csv", parse_dates=["created_date", "finished_date"])
    raw["row"] = raw.index + 2  # the file's row numbers (header = row 1)
    garbage = raw["finished_date"] < raw["created_date"]
    assert garbage.sum() == 1662 and (raw.loc[garbage, "cycle_time_days"] == -1).all()
    kept = raw[~garbage]

    demand = _stored(jira_store, "SELECT * FROM demand").set_index("demand_id")
    assert sorted(demand.index) == sorted(kept["id"])
    assert set(demand["stage"]) == {"Delivered"}
    portfolios = {0: "Scrum project 0", 1: "Scrum project 1"}
    assert (
        demand["portfolio"].value_counts().sort_index().tolist()
        == kept["project"].map(portfolios).value_counts().sort_index().tolist()
        == [1319, 1142]
    )
    mine = demand.loc[kept["id"]]
    days = (mine["decision_date"] - mine["submitted_date"]).dt.days
    assert days.tolist() == kept["cycle_time_days"].tolist()  # decided when finished

    history = _stored(jira_store, "SELECT stage, count(*) n FROM demand_stage_history GROUP BY 1")
    assert dict(zip(history["stage"], history["n"], strict=True)) == {
        "Submitted": len(kept),
        "Delivered": len(kept),
    }
    projects = _stored(jira_store, "SELECT project_id, portfolio FROM projects ORDER BY 1")
    assert projects.values.tolist() == [["P0", "Scrum project 0"], ["P1", "Scrum project 1"]]

    log = store.load_ingest_log(jira_store, date(2019, 8, 31))
    assert set(log["action"]) == {"row left out"}
    counts = log.groupby(["table", "cause"]).size().to_dict()
    assert counts == {("demand", "bad cell"): 1662, ("demand_stage_history", "orphan"): 1662}
    for table in ("demand", "demand_stage_history"):
        rows = log.loc[log["table"] == table, "row"]
        assert sorted(rows) == raw.loc[garbage, "row"].tolist()


# -- every report renders -----------------------------------------------------------------------
RENDERS = [
    ("wb_store", "South Asia"),
    ("sca_store", "Queens"),
    ("jira_store", "Scrum project 1"),
]


@pytest.mark.parametrize(("fixture", "portfolio"), RENDERS)
def test_every_report_renders_ok_or_partial(request, tmp_path, monkeypatch, fixture, portfolio):
    db = request.getfixturevalue(fixture)
    params = tmp_path / "params"
    params.mkdir()
    shutil.copy(PROJECT_ROOT / "params" / "defaults.yaml", params)
    shutil.copy(PROJECT_ROOT / "params" / "function.yaml", params)
    (params / "own.yaml").write_text(f"portfolio: {portfolio}\n", encoding="utf-8")
    monkeypatch.setenv("PMO_PARAMS", str(params))  # restored after the test
    out = tmp_path / "out"
    argv = ["--source", str(db), "--params", str(params), "--outputs", str(out)]
    argv += ["--portfolio", "function", "--portfolio", "own", "--jobs", "2"]
    argv += ["--level", "function", "--level", "portfolio"]  # not each country or district
    assert run_reports.main(argv) == 0
    run = next(out.glob("*/manifest.json"))
    jobs = json.loads(run.read_text())["jobs"]
    reports = {j["report"] for j in jobs}
    assert len(jobs) == 2 * len(reports) >= 12  # every report, for the function and the one
    assert {j["status"] for j in jobs} <= {"ok", "partial"}
    for job in jobs:
        scope = job["scope"]
        assert scope in ("function", "own")
        page = (run.parent / scope / job["html"]).read_text()
        assert "Traceback" not in page
        assert f"<h1>{'IT Function' if scope == 'function' else portfolio}" in page
        if job["status"] == "partial":
            assert "Partial data: this snapshot has no" in page
