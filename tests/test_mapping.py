"""Mapping files: conversions computed by hand, a synthetic export with every kind of mess, the
errors a user can make, and the three real example datasets ingested, totalled and rendered."""

from __future__ import annotations

import csv
import json
import logging
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import run_reports
from pmo_lib import mapping, store
from pmo_lib.errors import PMOError
from pmo_lib.params import PROJECT_ROOT
from pmo_lib.schema import DATE_MAX

EXAMPLES = PROJECT_ROOT / "tests" / "data" / "examples"  # as in ../shared/data/examples
SOURCES = PROJECT_ROOT / "params" / "sources"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("£12,131.50", 12131.5),
        ("$1.2M", 1_200_000),
        ("(1,234)", -1234),
        ("-1,234", -1234),
        ("USD 3,000", 3000),
        ("€0.5bn", 500_000_000),
        ("2.5k", 2500),
        (" 865 ", 865),
        (1234.5, 1234.5),
    ],
)
def test_money_written_as_text(text, amount):
    assert mapping.parse_money(text) == pytest.approx(amount)


@pytest.mark.parametrize("text", ["12abc", "(12", "£", "1.2.3"])
def test_money_that_is_not(text):
    with pytest.raises(ValueError):
        mapping.parse_money(text)


@pytest.mark.parametrize(
    ("text", "mode", "day"),
    [
        ("5/02/2016 5:00:00 PM", "day-first", "2016-02-05"),
        ("30/03/2016", "day-first", "2016-03-30"),
        ("2016-05-25 17:00:00", "day-first", "2016-05-25"),  # ISO in a day-first column
        ("9/1/2019 0:00", "month-first", "2019-09-01"),
        ("45000", "excel", "2023-03-15"),
        (45000, "day-first", "2023-03-15"),  # a serial number among day-first text
        ("02-Nov-04", "%d-%b-%y", "2004-11-02"),
    ],
)
def test_dates_in_the_ways_spreadsheets_write_them(text, mode, day):
    assert mapping.parse_date(text, mode) == pd.Timestamp(day)


@pytest.mark.parametrize(("text", "mode"), [("31/31/2020", "day-first"), ("5/2/2016", "iso")])
def test_dates_that_are_not(text, mode):
    with pytest.raises(ValueError):
        mapping.parse_date(text, mode)


# -- a synthetic export with the usual mess ----------------------------------------------------
MESSY_MAPPING = """
description: a finance export and a PPM export
files:
  - file: ppm*.csv
    encoding: cp1252
    separator: ";"
    header_row: 2                # row 1 is a title
    skip_rows: [3]               # row 3 explains the columns
    snapshots: {column: Period, date: day-first}
    tables:
      projects:
        constants: {portfolio: Capital}
        columns:
          project_id: Ref
          project_name: Title
          status: {from: State, values: {Live: Active, Parked: On Hold, Done: Closed}}
          reported_rag: {from: RAG, values: {Amber/Red: Red, G: Green, A: Amber, R: Red}}
          baseline_start: {from: Start, date: day-first}
          baseline_finish: {from: Finish, date: day-first}
          budget_at_completion: {from: Budget, money: true}
      financials:
        constants: {measure: plan, expense_type: Capex}
        columns:
          project_id: Ref
          period: {date: "%b-%y"}
          amount: {money: true}
        unpivot: {pattern: "^Plan (\\\\w{3}-\\\\d{2})$", label_to: period, value_to: amount}
"""
# cp1252: "Café" has é = 0xE9; money as text; one period split into two snapshots
MESSY_ROWS = [
    ["PPM export, all projects", "", "", "", "", "", "", "", "", ""],
    [
        "Period",
        "Ref",
        "Title",
        "State",
        "RAG",
        "Start",
        "Finish",
        "Budget",
        "Plan Jul-26",
        "Plan Aug-26",
    ],
    ["reporting month", "id", "name", "state", "rag", "", "", "GBP", "", ""],
    [
        "31/07/2026",
        "P1",
        "Café refit",
        "Live",
        "Amber/Red",
        "1/07/2026",
        "30/06/2027",
        "£1,200.50",
        "£100",
        "(50)",
    ],
    ["31/07/2026", "P2", "Payroll", "Parked", "G", "45474", "", "$1.2M", "$1k", ""],
    [
        "31/08/2026",
        "P1",
        "Café refit",
        "Live",
        "A",
        "1/07/2026",
        "30/06/2027",
        "£1,300",
        "£100",
        "£120",
    ],
    ["31/08/2026", "P2", "Payroll", "Done", "G", "45474", "", "$1.2M", "$1k", "$1k"],
]


def write_messy(folder: Path, rows=MESSY_ROWS, mapping_text=MESSY_MAPPING) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "ppm_export.csv").open("w", encoding="cp1252", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    path = folder / "messy.yaml"
    path.write_text(mapping_text, encoding="utf-8")
    return path


def test_a_messy_export_maps_into_snapshots(tmp_path):
    path = write_messy(tmp_path)
    mapped = mapping.map_folder(path, tmp_path)
    assert mapped.problems == []
    assert [s.as_of for s in mapped.snapshots] == [date(2026, 7, 31), date(2026, 8, 31)]
    july = mapped.snapshots[0].frames
    p = july["projects"].set_index("project_id")
    assert p.loc["P1", "project_name"] == "Café refit"
    assert p.loc["P1", "status"] == "Active" and p.loc["P2", "status"] == "On Hold"
    assert p.loc["P1", "reported_rag"] == "Red" and p.loc["P2", "reported_rag"] == "Green"
    assert p.loc["P1", "baseline_start"] == pd.Timestamp("2026-07-01")
    assert p.loc["P2", "baseline_start"] == pd.Timestamp("2024-07-01")  # Excel serial 45474
    assert p.loc["P1", "budget_at_completion"] == 1200.5
    assert p.loc["P2", "budget_at_completion"] == 1_200_000
    f = july["financials"].sort_values(["project_id", "period"])
    assert f[["project_id", "period", "amount"]].values.tolist() == [
        ["P1", pd.Timestamp("2026-07-01"), 100.0],
        ["P1", pd.Timestamp("2026-08-01"), -50.0],
        ["P2", pd.Timestamp("2026-07-01"), 1000.0],  # a blank month is no row
    ]
    assert set(f["measure"]) == {"plan"} and set(f["expense_type"]) == {"Capex"}
    # rows as the file numbers them: title 1, header 2, notes 3, data from 4
    assert list(july["projects"].index) == [4, 5]
    assert mapped.snapshots[1].frames["projects"].set_index("project_id").loc["P2", "status"] == (
        "Closed"
    )


def test_every_problem_in_mapped_data_names_file_row_column_value_and_expectation(tmp_path):
    rows = [list(r) for r in MESSY_ROWS]
    rows[3][5] = "31/31/2026"  # row 4: no such date
    rows[4][7] = "lots"  # row 5: not an amount
    rows[5][8] = "£1,2,0"  # row 6: a monthly amount that does not parse
    rows[6][1] = ""  # row 7: no project id
    path = write_messy(tmp_path, rows)
    shown = [str(p) for p in mapping.map_folder(path, tmp_path).problems]
    assert all(s.startswith("ppm_export.csv, row ") for s in shown)
    assert len(shown) == 4  # the blank id of row 7 feeds two tables and is reported once
    assert any(
        s.startswith("ppm_export.csv, row 4, column 'Start': got '31/31/2026'") for s in shown
    )
    assert any(s.startswith("ppm_export.csv, row 5, column 'Budget': got 'lots'") for s in shown)
    assert (
        "ppm_export.csv, row 6, column 'Plan Jul-26': got '£1,2,0'; expected an amount"
        " (12,131.50, £12,131.50, $1.2M, (1,234))" in shown
    )
    assert any(s.startswith("ppm_export.csv, row 7, column 'Ref'") for s in shown)


def _broken(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("      projects:", "      projekts:", "key 'files[0].tables.projekts': unknown table"),
        (
            "          project_name: Title",
            "          project_title: Title",
            "key 'files[0].tables.projects': unknown column 'project_title' of projects",
        ),
        (
            "          project_name: Title",
            "          project_name: Name",
            "key 'files[0].tables.projects.columns.project_name': column 'Name' is not in"
            " ppm_export.csv",
        ),
        (
            "Done: Closed}",
            "Parked: On Hold}",
            "key 'files[0].tables.projects.columns.status.values': leaves 'Done' (1 rows) unmapped",
        ),
        ("    separator:", "    seperator:", "key 'files[0].seperator': unknown key"),
        ("  - file: ppm*.csv", "  - file: finance*.csv", "key 'files[0].file': no file in"),
        (
            "          status: {from:",
            "          state: {from:",
            "key 'files[0].tables.projects': unknown column 'state'",
        ),
    ],
)
def test_a_mapping_error_names_the_mapping_file_and_the_key(tmp_path, old, new, message):
    path = write_messy(tmp_path, mapping_text=_broken(MESSY_MAPPING, old, new))
    with pytest.raises(PMOError) as caught:
        mapping.map_folder(path, tmp_path)
    assert f"{path}: {message}" in str(caught.value)


def test_an_encoding_that_does_not_fit_says_which_key_to_set(tmp_path):
    path = write_messy(
        tmp_path, mapping_text=_broken(MESSY_MAPPING, "encoding: cp1252", "encoding: utf-8")
    )
    with pytest.raises(PMOError, match=r"is not utf-8; set 'files\[0\].encoding'"):
        mapping.map_folder(path, tmp_path)


def test_check_loads_nothing_and_lists_every_problem(tmp_path, capsys):
    rows = [list(r) for r in MESSY_ROWS]
    rows[3][5] = "31/31/2026"
    path = write_messy(tmp_path, rows)
    db = tmp_path / "pmo.duckdb"
    code = run_reports.main(
        ["ingest", str(tmp_path), "--mapping", str(path), "--check", "--source", str(db)]
    )
    out = capsys.readouterr().out
    assert code == 1 and not db.exists()
    assert "2026-07-31: projects 2, financials 3" in out
    assert "problem: ppm_export.csv, row 4, column 'Start': got '31/31/2026'" in out
    assert "2 snapshot(s), 1 problem(s): would stop the load; nothing was loaded." in out
    # the load itself refuses, naming the same problem
    assert (
        run_reports.main(["ingest", str(tmp_path), "--mapping", str(path), "--source", str(db)])
        == 2
    )
    assert "row 4, column 'Start'" in capsys.readouterr().err


# -- the real examples -------------------------------------------------------------------------
def _ingest(name: str, folder: str, db: Path) -> None:
    code = run_reports.main(
        [
            "ingest",
            str(EXAMPLES / folder),
            "--mapping",
            str(SOURCES / f"{name}.yaml"),
            "--source",
            str(db),
        ]
    )
    assert code == 0


def _stored(db: Path, query: str) -> pd.DataFrame:
    with store.connect_read_only(db) as con:
        return con.execute(query).df()


def test_nyc_capital_projects_totals_per_period_equal_the_source(tmp_path):
    db = tmp_path / "nyc.duckdb"
    _ingest("nyc_capital_projects", "nyc_capital_projects_dashboard", db)
    raw = pd.read_csv(
        EXAMPLES / "nyc_capital_projects_dashboard" / "Capital_Projects.csv",
        encoding="cp1252",
        encoding_errors="replace",
        skiprows=[1, 2],
    )
    raw["as_of"] = pd.to_datetime(raw["Date Reported As Of"], format="%m/%d/%Y %H:%M")
    budget = pd.to_numeric(raw["Budget Forecast"])
    finish = pd.to_datetime(raw["Forecast Completion"], format="%m/%d/%Y", errors="coerce")
    # skipped and listed by --check: the one negative budget
    kept = raw[~(budget < 0)]
    assert len(raw) - len(kept) == 1
    expected = kept.groupby("as_of").agg(
        projects=("PID", "size"), budget=("Budget Forecast", "sum")
    )
    stored = _stored(
        db,
        "SELECT as_of, count(*) AS projects, sum(budget_at_completion) AS budget FROM projects"
        " GROUP BY as_of ORDER BY as_of",
    ).set_index("as_of")
    assert len(stored) == 15
    assert stored["projects"].tolist() == expected["projects"].tolist()
    assert stored["budget"].to_numpy() == pytest.approx(expected["budget"].to_numpy())
    # a finish in 2108 (a typo for 2018, outside the date window of the model) is blanked and
    # logged (bad_cells: blank on the date columns); its project stays in its period
    late = raw[finish > pd.Timestamp(DATE_MAX)]
    assert late["Forecast Completion"].tolist() == ["10/21/2108"]
    pid, period = late["PID"].iloc[0], late["as_of"].iloc[0]
    assert period == pd.Timestamp("2018-03-01") and expected.loc[period, "projects"] == 212
    row = _stored(
        db,
        f"SELECT * FROM projects WHERE as_of = '{period.date()}' AND project_id = '{pid}'",
    ).iloc[0]
    assert pd.isna(row["forecast_finish"]) and pd.isna(row["baseline_finish"])
    log = store.load_ingest_log(db, period.date())
    assert log[["file", "row", "column", "value", "action"]].values.tolist() == [
        ["Capital_Projects.csv", 1616, "Forecast Completion", "10/21/2108", "cell blanked"]
    ]


def test_melbourne_water_gate_dates_and_cost_equal_the_source(tmp_path):
    db = tmp_path / "mw.duckdb"
    _ingest("melbourne_water_capital_delivery", "melbourne_water_capital_delivery", db)
    raw = pd.read_csv(
        EXAMPLES / "melbourne_water_capital_delivery" / "Capital_Delivery_Project_deidentified.csv",
        encoding="utf-8-sig",
    )
    demand = _stored(db, "SELECT * FROM demand")
    assert len(demand) == len(raw) == 445
    assert demand["estimated_cost"].sum() == pytest.approx(raw["FFC"].sum())
    assert _stored(db, "SELECT sum(budget_at_completion) s FROM projects")["s"][0] == pytest.approx(
        raw["FFC"].sum()
    )
    gates = ["BNI", "PBC", "BCA", "Tender Closed", "Stage1"]
    history = _stored(db, "SELECT stage, count(*) n FROM demand_stage_history GROUP BY stage")
    assert history["n"].sum() == raw[gates].notna().sum().sum()
    row = _stored(db, "SELECT * FROM demand WHERE demand_id = 'Q05388'").iloc[0]
    assert row["submitted_date"] == pd.Timestamp("2016-02-05")  # 5/02/2016 5:00:00 PM, day first


def test_sip_hours_equal_the_source(tmp_path):
    db = tmp_path / "sip.duckdb"
    _ingest("sip_task_effort", "sip_task_effort", db)
    raw = pd.read_csv(EXAMPLES / "sip_task_effort" / "Sip-task-info.csv", encoding="cp1252")
    hours = _stored(db, "SELECT sum(actual_hours) a, sum(planned_hours) p FROM allocations")
    assert hours["a"][0] == pytest.approx(raw["DeveloperHoursActual"].sum())
    assert hours["p"][0] == pytest.approx(raw["DeveloperHoursActual"].sum())
    assert _stored(db, "SELECT count(*) n FROM resources")["n"][0] == raw["DeveloperID"].nunique()
    assert _stored(db, "SELECT count(*) n FROM projects")["n"][0] == raw["ProjectCode"].nunique()
    demand = _stored(db, "SELECT count(*) n FROM demand")["n"][0]
    assert demand == raw["TaskNumber"].nunique() - 45  # 45 tasks started before their estimate


EXAMPLE_RUNS = [
    (
        "nyc_capital_projects",
        "nyc_capital_projects_dashboard",
        "NYC Capital Projects",
        ["health", "spend"],
    ),
    (
        "melbourne_water_capital_delivery",
        "melbourne_water_capital_delivery",
        "Melbourne Water Capital",
        ["demand_pipeline"],
    ),
    ("sip_task_effort", "sip_task_effort", "SiP Software", ["resourcing"]),
]


@pytest.mark.parametrize(("name", "folder", "portfolio", "reports"), EXAMPLE_RUNS)
def test_each_example_renders_the_reports_its_data_feeds(
    tmp_path, monkeypatch, name, folder, portfolio, reports
):
    db = tmp_path / "store.duckdb"
    _ingest(name, folder, db)
    params = tmp_path / "params"
    params.mkdir()
    shutil.copy(PROJECT_ROOT / "params" / "defaults.yaml", params)
    shutil.copy(PROJECT_ROOT / "params" / "function.yaml", params)
    (params / "own.yaml").write_text(f"portfolio: {portfolio}\n", encoding="utf-8")
    argv = [
        "--source",
        str(db),
        "--params",
        str(params),
        "--outputs",
        str(tmp_path / "out"),
        "--portfolio",
        "own",
        "--level",
        "portfolio",  # not each sub-portfolio of the example
        "--jobs",
        "2",
    ]
    for report in [*reports, "data_quality"]:
        argv += ["--report", report]
    monkeypatch.setenv("PMO_PARAMS", str(params))  # restored after the test
    assert run_reports.main(argv) == 0
    run = next((tmp_path / "out").glob("*/manifest.json"))
    jobs = json.loads(run.read_text())["jobs"]
    assert {j["status"] for j in jobs} <= {"ok", "partial"}
    for job in jobs:
        page = (run.parent / "own" / job["html"]).read_text()
        assert f"<h1>{portfolio}" in page and "Traceback" not in page
        if job["status"] == "partial":
            assert "Partial data: this snapshot has no" in page
            assert "partial" in (run.parent / "index.html").read_text()


def test_an_xlsx_export_with_real_date_cells_and_serial_numbers(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Projects as of October"])  # a title row
    sheet.append(["Ref", "Title", "State", "Start", "Finish", "Budget"])
    sheet.append(["P1", "Data hub", "Live", date(2026, 1, 5), 46387, "£12,131.50"])
    sheet.append(["P2", "CRM", "Done", "05/02/2026", None, 900])
    book.save(tmp_path / "ppm.xlsx")
    path = tmp_path / "x.yaml"
    path.write_text(
        """
as_of: 2026-10-31
files:
  - file: ppm.xlsx
    header_row: 2
    tables:
      projects:
        constants: {portfolio: Capital}
        columns:
          project_id: Ref
          project_name: Title
          status: {from: State, values: {Live: Active, Done: Closed}}
          baseline_start: {from: Start, date: day-first}
          baseline_finish: {from: Finish, date: excel}
          budget_at_completion: {from: Budget, money: true}
""",
        encoding="utf-8",
    )
    mapped = mapping.map_folder(path, tmp_path)
    assert mapped.problems == [] and mapped.snapshots[0].as_of == date(2026, 10, 31)
    p = mapped.snapshots[0].frames["projects"].set_index("project_id")
    assert p.loc["P1", "baseline_start"] == pd.Timestamp("2026-01-05")  # a date cell
    assert p.loc["P1", "baseline_finish"] == pd.Timestamp("2026-12-31")  # serial 46387
    assert p.loc["P2", "baseline_start"] == pd.Timestamp("2026-02-05")  # day first
    assert p["budget_at_completion"].tolist() == [12131.5, 900.0]
    assert list(p.index) == ["P1", "P2"] and list(mapped.snapshots[0].frames["projects"].index) == [
        3,
        4,
    ]


def test_a_mapping_without_a_snapshot_date_says_how_to_give_one(tmp_path):
    path = write_messy(
        tmp_path,
        mapping_text=_broken(
            MESSY_MAPPING, "    snapshots: {column: Period, date: day-first}\n", ""
        ),
    )
    with pytest.raises(
        PMOError, match=r"no snapshot date: give --as-of YYYY-MM-DD, or 'as_of' in the mapping"
    ):
        mapping.map_folder(path, tmp_path)
    mapped = mapping.map_folder(path, tmp_path, as_of=date(2026, 8, 31))
    assert [s.as_of for s in mapped.snapshots] == [date(2026, 8, 31)]


def test_check_works_on_native_exports_too(tmp_path, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "projects.csv").write_text(
        "project_id,project_name,portfolio,status,baseline_start,baseline_finish,budget_at_completion\n"
        "P1,Hub,Capital,Running,2026-01-01,2026-12-31,100\n",
        encoding="utf-8",
    )
    db = tmp_path / "pmo.duckdb"
    code = run_reports.main(
        ["ingest", str(folder), "--as-of", "2026-10-31", "--check", "--source", str(db)]
    )
    out = capsys.readouterr().out
    assert code == 1 and not db.exists()
    assert "problem: projects.csv, row 2, column 'status': got 'Running'" in out


# -- nothing lost silently: bad_cells, bad_rows and the ingest log ------------------------------
CELLS_MAPPING = """
as_of: 2026-10-31
bad_rows: skip
bad_cells: blank
files:
  - file: projects.csv
    tables:
      projects:
        columns:
          project_id: ID
          project_name: Name
          portfolio: Portfolio
          status: Status
          baseline_start: {from: Start, date: day-first}
          budget_at_completion: {from: Budget (£m), money: true, scale: 1000000}
          percent_complete: Complete
  - file: financials.csv
    tables:
      financials:
        constants: {measure: plan}
        columns:
          project_id: Project
          period: {date: day-first}
          amount: {money: true}
        unpivot: {pattern: '^(\\w{3}-\\d{2})$', label_to: period, value_to: amount}
"""
CELLS_PROJECTS = """ID,Name,Portfolio,Status,Start,Budget (£m),Complete
PRJ-1,Hub,Digital,Active,2026-01-05,1.5,50
PRJ-2,CRM,Infra,Active,"Exempt under Section 26 of the FOI Act",n/a,150
PRJ-3,Data,Digital,Running,2026-02-01,2,10
"""
CELLS_FINANCIALS = """Project,Jan-26,Feb-26
PRJ-1,"1,000",1.2e3
PRJ-2,lots,300
PRJ-3,500,
PRJ-9,5,6
"""


def write_cells(folder: Path, mapping_text: str = CELLS_MAPPING) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "projects.csv").write_text(CELLS_PROJECTS, encoding="utf-8")
    (folder / "financials.csv").write_text(CELLS_FINANCIALS, encoding="utf-8")
    path = folder / "cells.yaml"
    path.write_text(mapping_text, encoding="utf-8")
    return path


def _entries(log: pd.DataFrame) -> list[tuple]:
    return [
        (r.table, r.file, r.row, r.column, r.value, r.action, r.cause, r.portfolio)
        for r in log.astype(object).where(log.notna(), None).itertuples()
    ]


def test_bad_cells_blank_keeps_the_row_and_logs_the_cell(tmp_path):
    from pmo_lib import ingest_log

    mapped = mapping.map_folder(write_cells(tmp_path), tmp_path)
    assert mapped.problems == []
    snap = mapped.snapshots[0]
    p = snap.frames["projects"].set_index("project_id")
    assert list(p.index) == ["PRJ-1", "PRJ-2"]  # PRJ-3's status cannot be blanked: left out
    assert p.loc["PRJ-1", "budget_at_completion"] == 1_500_000  # £m scaled
    assert pd.isna(p.loc["PRJ-2", "baseline_start"]) and pd.isna(
        p.loc["PRJ-2", "budget_at_completion"]
    )
    assert pd.isna(p.loc["PRJ-2", "percent_complete"])  # 150: out of bounds, blanked
    f = snap.frames["financials"]
    assert sorted(zip(f["period"].dt.month, f["amount"], strict=True)) == [(1, 1000.0), (2, 1200.0)]
    assert _entries(snap.log) == [
        ("projects", "projects.csv", 3, "Start", "Exempt under Section 26 of the FOI Act",
         "cell blanked", "bad cell", "Infra"),
        ("projects", "projects.csv", 3, "Budget (£m)", "n/a", "cell blanked", "bad cell", "Infra"),
        ("projects", "projects.csv", 3, "Complete", "150", "cell blanked", "bad cell", "Infra"),
        ("projects", "projects.csv", 4, "Status", "Running", "row left out", "bad cell",
         "Digital"),
        # amount must not be blank: the row is left out, both months
        ("financials", "financials.csv", 3, "Jan-26", "lots", "row left out", "bad cell",
         "Infra"),
        ("financials", "financials.csv", 4, "Project", "PRJ-3", "row left out", "orphan",
         "Digital"),
        ("financials", "financials.csv", 5, "Project", "PRJ-9", "row left out", "orphan", None),
    ]  # fmt: skip
    orphan = snap.log[snap.log["value"] == "PRJ-3"].iloc[0]
    assert orphan["expected"] == (
        "a project_id listed in projects.csv (PRJ-3 was left out for a bad cell)"
    )
    assert ingest_log.summary(snap.log) == {
        "rows_left_out": 4,
        "cells_blanked": 3,
        "by_cause": {"bad cell": 2, "orphan": 2},
    }
    assert ingest_log.summary(snap.log, "Digital") == {
        "rows_left_out": 2,
        "cells_blanked": 0,
        "by_cause": {"bad cell": 1, "orphan": 1},
    }
    assert ingest_log.summary(snap.log, "Infra")["cells_blanked"] == 3


def test_bad_cells_refuse_is_the_default_and_a_column_may_say_otherwise(tmp_path):
    text = _broken(CELLS_MAPPING, "bad_cells: blank\n", "").replace("bad_rows: skip\n", "")
    text = _broken(
        text,
        "baseline_start: {from: Start, date: day-first}",
        "baseline_start: {from: Start, date: day-first, bad_cells: blank}",
    )
    mapped = mapping.map_folder(write_cells(tmp_path, text), tmp_path)
    shown = [str(p) for p in mapped.problems]
    # the Start note is blanked (its column says so); every other bad cell stops the load
    assert not any("'Start'" in s for s in shown)
    assert "projects.csv, row 3, column 'Budget (£m)': got 'n/a'; expected an amount" in shown[0]
    assert any(s.startswith("projects.csv, row 4, column 'Status': got 'Running'") for s in shown)
    # the orphan PRJ-9 (two monthly rows) is one problem, its value printed as a value
    orphans = [s for s in shown if "PRJ-9" in s]
    assert orphans == [
        "financials.csv, row 5, column 'Project': got 'PRJ-9'; expected a project_id listed in"
        " projects.csv"
    ]
    assert _entries(mapped.snapshots[0].log) == [
        ("projects", "projects.csv", 3, "Start", "Exempt under Section 26 of the FOI Act",
         "cell blanked", "bad cell", "Infra"),
    ]  # fmt: skip


def test_a_column_that_must_not_be_blank_cannot_say_bad_cells_blank(tmp_path):
    text = _broken(CELLS_MAPPING, "project_id: ID", "project_id: {from: ID, bad_cells: blank}")
    with pytest.raises(PMOError) as caught:
        mapping.map_folder(write_cells(tmp_path, text), tmp_path)
    assert (
        "key 'files[0].tables.projects.columns.project_id.bad_cells': project_id must not be"
        " blank, so its bad cells cannot be blanked" in str(caught.value)
    )


def test_ingest_prints_and_stores_what_it_left_out(tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO)
    path = write_cells(tmp_path)
    db = tmp_path / "pmo.duckdb"
    argv = ["ingest", str(tmp_path), "--mapping", str(path), "--source", str(db)]
    assert run_reports.main([*argv, "--check"]) == 0
    out = capsys.readouterr().out
    assert "2026-10-31: projects 2, financials 2" in out
    assert "left out 4 row(s) (bad cell 2, orphan 2); blanked 3 cell(s):" in out
    assert (
        "- row left out (orphan): financials.csv, row 5, column 'Project': got 'PRJ-9';"
        " expected a project_id listed in projects.csv" in out
    )
    assert out.count("PRJ-9") == 1 and "dtype" not in out
    assert "- cell blanked (bad cell): projects.csv, row 3, column 'Complete': got '150'" in out
    assert run_reports.main(argv) == 0
    assert "Left out 4 row(s) (bad cell 2, orphan 2); blanked 3 cell(s)" in caplog.text
    log = store.load_ingest_log(db, date(2026, 10, 31))
    assert len(log) == 7 and set(log["action"]) == {"row left out", "cell blanked"}


# -- the mapping language -----------------------------------------------------------------------
def _one_file_mapping(tmp_path: Path, csv_text: str, columns: str, extra: str = "") -> Path:
    (tmp_path / "p.csv").write_text(csv_text, encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(
        f"""
as_of: 2026-10-31
files:
  - file: p.csv
{extra}    tables:
      projects:
        constants: {{status: Active}}
        columns:
{columns}
""",
        encoding="utf-8",
    )
    return path


def _projects(path: Path, folder: Path) -> pd.DataFrame:
    mapped = mapping.map_folder(path, folder)
    assert mapped.problems == [], [str(p) for p in mapped.problems]
    return mapped.snapshots[0].frames["projects"]


def test_scale_multiplies_a_number_after_parsing(tmp_path):
    path = _one_file_mapping(
        tmp_path,
        'ID,Name,Dept,£m,Done\nP1,A,X,1.25,0.5\nP2,B,X,"£2,000.5",1\n',
        "          project_id: ID\n          project_name: Name\n          portfolio: Dept\n"
        "          budget_at_completion: {from: £m, money: true, scale: 1000000}\n"
        "          percent_complete: {from: Done, scale: 100}\n",
    )
    p = _projects(path, tmp_path)
    assert p["budget_at_completion"].tolist() == [1_250_000.0, 2_000_500_000.0]
    assert p["percent_complete"].tolist() == [50.0, 100.0]


def test_scale_on_a_column_that_is_not_a_number_is_a_mapping_error(tmp_path):
    path = _one_file_mapping(
        tmp_path,
        "ID,Name,Dept\nP1,A,X\n",
        "          project_id: ID\n          project_name: {from: Name, scale: 10}\n"
        "          portfolio: Dept\n",
    )
    with pytest.raises(PMOError, match=r"columns.project_name.scale': project_name is not a num"):
        mapping.map_folder(path, tmp_path)


DATED_MAPPING = """
files:
  - file: "*_projects.csv"
    as_of_from_name: {pattern: '^(\\d{4})_', template: '{1}-06-30'}
    tables:
      projects:
        constants: {status: Active}
        columns: {project_id: ID, project_name: Name, portfolio: Dept}
"""


def test_each_file_named_with_its_year_is_its_own_snapshot(tmp_path):
    (tmp_path / "2024_projects.csv").write_text("ID,Name,Dept\nP1,A,X\n", encoding="utf-8")
    (tmp_path / "2025_projects.csv").write_text("ID,Name,Dept\nP1,A,X\nP2,B,Y\n", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(DATED_MAPPING, encoding="utf-8")
    mapped = mapping.map_folder(tmp_path / "m.yaml", tmp_path)
    assert [(s.as_of, len(s.frames["projects"])) for s in mapped.snapshots] == [
        (date(2024, 6, 30), 1),
        (date(2025, 6, 30), 2),
    ]
    assert mapped.snapshots[1].files == {"projects": "2025_projects.csv"}
    # --as-of picks one of them; one the data does not have says which it has
    only = mapping.map_folder(tmp_path / "m.yaml", tmp_path, as_of=date(2025, 6, 30))
    assert [s.as_of for s in only.snapshots] == [date(2025, 6, 30)]
    with pytest.raises(PMOError, match="has no such period; it has 2024-06-30, 2025-06-30"):
        mapping.map_folder(tmp_path / "m.yaml", tmp_path, as_of=date(2025, 7, 31))
    (tmp_path / "old_projects.csv").write_text("ID,Name,Dept\n", encoding="utf-8")
    with pytest.raises(
        PMOError, match=r"key 'files\[0\].as_of_from_name.pattern': old_projects.csv does not"
    ):
        mapping.map_folder(tmp_path / "m.yaml", tmp_path)


def test_files_matching_one_pattern_are_stacked_each_row_keeping_its_file(tmp_path):
    (tmp_path / "north.csv").write_text("ID,Name,Dept\nP1,A,X\nP2,B,X\n", encoding="utf-8")
    (tmp_path / "south.csv").write_text(
        "ID,Name,Dept,Start\nP3,C,Y,2026-01-01\nP1,D,Y,soon\n", encoding="utf-8"
    )
    (tmp_path / "m.yaml").write_text(
        """
files:
  - file: "*.csv"
    as_of: 2026-03-31
    tables:
      projects:
        constants: {status: Active}
        columns:
          project_id: ID
          project_name: Name
          portfolio: Dept
          baseline_start: {from: Start, date: iso}
""",
        encoding="utf-8",
    )
    with pytest.raises(PMOError, match=r"column 'Start' is not in north.csv"):
        mapping.map_folder(tmp_path / "m.yaml", tmp_path)
    (tmp_path / "north.csv").write_text("ID,Name,Dept,Start\nP1,A,X,\nP2,B,X,\n", encoding="utf-8")
    mapped = mapping.map_folder(tmp_path / "m.yaml", tmp_path)
    assert mapped.snapshots[0].as_of == date(2026, 3, 31)
    assert sorted(str(p) for p in mapped.problems) == [
        "south.csv, row 3, column 'ID': got 'project_id=P1'; expected a unique project_id",
        "south.csv, row 3, column 'Start': got 'soon'; expected a date YYYY-MM-DD",
    ]
    assert mapped.snapshots[0].files == {"projects": "north.csv, south.csv"}
    assert list(mapped.snapshots[0].frames["projects"].index) == [2, 3, 2, 3]


def test_no_file_matching_is_still_an_error_with_a_hint(tmp_path):
    (tmp_path / "m.yaml").write_text(DATED_MAPPING, encoding="utf-8")
    (tmp_path / "2024_Projects.csv").write_text("ID,Name,Dept\n", encoding="utf-8")
    with pytest.raises(
        PMOError,
        match=r"key 'files\[0\].file': no file in .* matches '\*_projects.csv'; it holds"
        r" 2024_Projects.csv, m.yaml",
    ):
        mapping.map_folder(tmp_path / "m.yaml", tmp_path)
    path = _one_file_mapping(
        tmp_path,
        "ID,Name,Dept\n",
        "          project_id: ID\n          project_name: Name\n          portfolio: Dept\n",
    )
    path.write_text(path.read_text().replace("file: p.csv", "file: P.csv"))
    with pytest.raises(PMOError, match="'P.csv' differs from 'p.csv' only in case"):
        mapping.map_folder(path, tmp_path)


def test_duplicate_headers_are_numbered_and_any_column_is_addressable_by_position(tmp_path):
    path = _one_file_mapping(
        tmp_path,
        "ID,Name,Name,Dept,Budget\nP1,short,The long name,X,10\n",
        "          project_id: ID\n          project_name: Name#2\n"
        "          portfolio: '#4'\n          budget_at_completion: '#5'\n",
    )
    p = _projects(path, tmp_path)
    assert p[["project_name", "portfolio", "budget_at_completion"]].values.tolist() == [
        ["The long name", "X", 10.0]
    ]
    (tmp_path / "p.csv").write_text("ID,Name,Name,Dept,Budget\nP1,short,long,X,lots\n")
    shown = [str(p) for p in mapping.map_folder(path, tmp_path).problems]
    assert shown == ["p.csv, row 2, column 'Budget': got 'lots'; expected a number >= 0"]
    path.write_text(path.read_text().replace("'#5'", "'#9'"))
    with pytest.raises(PMOError, match=r"budget_at_completion': column #9: p.csv has 5 columns"):
        mapping.map_folder(path, tmp_path)


@pytest.mark.parametrize(
    ("text", "mode", "day"),
    [
        ("2011-01-10T00:00:00Z", "iso", "2011-01-10"),
        ("2011-01-10T13:45:00+02:00", "iso", "2011-01-10"),
        ("2011-01-10T23:30:00.5-05:00", "day-first", "2011-01-10"),  # the date as written
        ("May-15", "day-first", "2015-05-01"),
        ("Jan 2019", "month-first", "2019-01-01"),
        ("2019-05", "iso", "2019-05-01"),
        ("05/2019", "day-first", "2019-05-01"),
        ("Sept 2019", "day-first", "2019-09-01"),
    ],
)
def test_iso_date_times_and_month_year_dates(text, mode, day):
    assert mapping.parse_date(text, mode) == pd.Timestamp(day)


@pytest.mark.parametrize("text", ["15-May", "26", "Exempt under Section 26", "2019-13"])
def test_a_date_without_a_year_or_month_is_not_a_date(text):
    with pytest.raises(ValueError):
        mapping.parse_date(text, "day-first")


@pytest.mark.parametrize(
    ("text", "amount"),
    [("2.0E-6", 0.000002), ("1.5e3", 1500), ("-1.5e3", -1500), ("£1.2E+3", 1200)],
)
def test_money_in_scientific_notation(text, amount):
    assert mapping.parse_money(text) == pytest.approx(amount)


def test_same_case_merges_spellings_into_the_most_frequent(tmp_path):
    path = _one_file_mapping(
        tmp_path,
        "ID,Name,Dept\nP1,A,DfT\nP2,B,DFT\nP3,C, dft \nP4,D,DfT\nP5,E,Home  office\n"
        "P6,F,Home Office\n",
        "          project_id: ID\n          project_name: Name\n"
        "          portfolio: {from: Dept, same_case: true}\n",
    )
    p = _projects(path, tmp_path)
    assert p["portfolio"].tolist() == ["DfT"] * 4 + ["Home office"] * 2  # a tie: first seen


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "project_name: Project Name",
            "project_name: Project  Name",
            "column 'Project  Name' is not in p.csv; it has: ID, Project Name, Dept;"
            " 'Project  Name' differs from 'Project Name' only in spacing",
        ),
        ("portfolio: Dept", "portfolio: Dpet", "did you mean 'Dept'?"),
        (
            "  - file: p.csv",
            "  - file: p.csv\n    separator: ';'",
            "it has: ID,Project Name,Dept; its header is one column holding ',': set the"
            " separator of p.csv",
        ),
        ("      projects:", "      project:", "unknown table; tables are"),
        ("      projects:", "      project:", "did you mean 'projects'?"),
        (
            "    tables:",
            "    seperator: ';'\n    tables:",
            "unknown key; did you mean 'separator'?",
        ),
        (
            "    tables:",
            "    group_by: [project_id]\n    tables:",
            "key 'files[0].group_by': not a key here; 'group_by' is a key of a table",
        ),
        ("portfolio: Dept", "portfolo: Dept", "unknown column 'portfolo' of projects;"),
        (
            "{status: Active}",
            "{status: Live}",
            "key 'files[0].tables.projects.constants.status': got 'Live'; expected one of",
        ),
        ("portfolio: Dept", "portfolio: {form: Dept}", "unknown key; did you mean 'from'?"),
    ],
)
def test_a_name_not_found_says_which_was_meant(tmp_path, old, new, message):
    path = _one_file_mapping(
        tmp_path,
        "ID,Project Name,Dept\nP1,A,X\n",
        "          project_id: ID\n          project_name: Project Name\n"
        "          portfolio: Dept\n",
    )
    path.write_text(_broken(path.read_text(), old, new))
    with pytest.raises(PMOError) as caught:
        mapping.map_folder(path, tmp_path)
    assert message in str(caught.value)
    assert "Input should be a valid string" not in str(caught.value)


# -- several file rules feeding one table -------------------------------------------------------
TWO_RULES = """
as_of: 2026-03-31
files:
  - file: north.csv
    tables:
      projects:
        constants: {status: Active}
        columns: {project_id: ID, project_name: Name, portfolio: Dept}
  - file: south.csv
    tables:
      projects:
        constants: {status: Active, portfolio: South}
        columns:
          project_id: Ref
          project_name: Title
          baseline_start: {from: Start, date: iso}
      financials:
        constants: {measure: plan}
        columns: {project_id: Ref, period: Month, amount: Amount}
"""


def _two_files(tmp_path: Path, south: str, mapping_text: str = TWO_RULES) -> Path:
    (tmp_path / "north.csv").write_text("ID,Name,Dept\nP1,A,X\nP2,B,X\n", encoding="utf-8")
    (tmp_path / "south.csv").write_text(south, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(mapping_text, encoding="utf-8")
    return tmp_path / "m.yaml"


def test_several_file_rules_feed_one_table_each_row_keeping_its_file_and_row(tmp_path):
    south = "Ref,Title,Start,Month,Amount\nP3,C,2026-01-01,2026-01-01,10\nP1,D,soon,2026-01-01,5\n"
    path = _two_files(tmp_path, south)
    mapped = mapping.map_folder(path, tmp_path)
    # the duplicate across the files is said once, in the source column of its own rule
    assert sorted(str(p) for p in mapped.problems) == [
        "south.csv, row 3, column 'Ref': got 'project_id=P1'; expected a unique project_id",
        "south.csv, row 3, column 'Start': got 'soon'; expected a date YYYY-MM-DD",
    ]
    (tmp_path / "south.csv").write_text(
        "Ref,Title,Start,Month,Amount\nP3,C,2026-01-01,2026-01-01,10\nP4,D,,2026-01-01,5\n"
        "P9,E,,2026-02-01,x\n",
        encoding="utf-8",
    )
    mapped = mapping.map_folder(path, tmp_path)
    assert [str(p) for p in mapped.problems] == [
        "south.csv, row 4, column 'Amount': got 'x'; expected a number"
    ]
    (tmp_path / "south.csv").write_text(
        "Ref,Title,Start,Month,Amount\nP3,C,2026-01-01,2026-01-01,10\nP4,D,,2026-01-01,5\n",
        encoding="utf-8",
    )
    snap = mapping.map_folder(path, tmp_path).snapshots[0]
    projects = snap.frames["projects"]
    assert projects[["project_id", "portfolio"]].values.tolist() == [
        ["P1", "X"],
        ["P2", "X"],
        ["P3", "South"],
        ["P4", "South"],
    ]
    assert list(projects.index) == [2, 3, 2, 3]  # each row as its own file numbers it
    assert projects["baseline_start"].tolist()[2] == pd.Timestamp("2026-01-01")
    assert snap.files == {"projects": "north.csv, south.csv", "financials": "south.csv"}
    assert len(snap.frames["financials"]) == 2  # P3 and P4 are projects: no orphan


def test_rows_of_several_rules_left_out_are_logged_with_their_own_file(tmp_path):
    south = (
        "Ref,Title,Start,Month,Amount\nP3,C,2026-01-01,2026-01-01,10\nP1,D,,2026-01-01,5\n"
        "P3,E,,2026-02-01,7\n"
    )
    path = _two_files(tmp_path, south, "bad_rows: skip\n" + TWO_RULES)
    mapped = mapping.map_folder(path, tmp_path)
    assert mapped.problems == []
    snap = mapped.snapshots[0]
    assert snap.frames["projects"]["project_id"].tolist() == ["P1", "P2", "P3"]  # firsts stay
    assert _entries(snap.log) == [
        ("projects", "south.csv", 3, "Ref", "project_id=P1", "row left out", "duplicate key",
         "South"),
        ("projects", "south.csv", 4, "Ref", "project_id=P3", "row left out", "duplicate key",
         "South"),
    ]  # fmt: skip
    # a financial row of a project left out stays: P1 and P3 are still projects
    assert len(snap.frames["financials"]) == 3


def test_a_column_missing_from_one_file_of_a_pattern_says_to_give_it_its_own_rule(tmp_path):
    (tmp_path / "a_north.csv").write_text("ID,Name,Dept\nP1,A,X\n", encoding="utf-8")
    (tmp_path / "a_south.csv").write_text("ID,Name,Dept,Start\nP2,B,Y,\n", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(
        DATED_MAPPING.replace('"*_projects.csv"', "a_*.csv")
        .replace("    as_of_from_name: {pattern: '^(\\d{4})_', template: '{1}-06-30'}\n", "")
        .replace("portfolio: Dept}", "portfolio: Dept, baseline_start: Start}"),
        encoding="utf-8",
    )
    with pytest.raises(PMOError) as caught:
        mapping.map_folder(tmp_path / "m.yaml", tmp_path, as_of=date(2026, 3, 31))
    assert (
        "column 'Start' is not in a_north.csv; it has: ID, Name, Dept; a_south.csv has it, but"
        " the files one pattern matches share its rules: give a_north.csv a file rule of its own"
        " (several may feed one table)" in str(caught.value)
    )


# -- value maps that keep, placeholders, templates ---------------------------------------------
def test_a_value_map_with_star_to_star_keeps_every_other_value(tmp_path):
    path = _one_file_mapping(
        tmp_path,
        "ID,Name,Region\nP1,A,Africa East\nP2,B,South Asia\nP3,C, africa west \nP4,D,\n",
        "          project_id: ID\n          project_name: Name\n"
        "          portfolio: {from: Region, default: Other, values: {Africa East: Eastern"
        " Africa, Africa West: Western Africa, '*': '*'}}\n",
    )
    p = _projects(path, tmp_path)
    assert p["portfolio"].tolist() == ["Eastern Africa", "South Asia", "Western Africa", "Other"]


def test_blank_values_are_placeholders_read_as_blank_before_conversion(tmp_path):
    path = _one_file_mapping(
        tmp_path,
        "ID,Name,Dept,Cost,Start,Alt\nP1,A,X,0,TBD,2026-01-05\nP2,B,X,0.00,2026-02-01,\n"
        "P3,C,X, N/A ,n/a,\nP4,D,X,1500,,2026-03-01\nP5,E,X,(0),,\n",
        "          project_id: ID\n          project_name: Name\n          portfolio: Dept\n"
        "          budget_at_completion: {from: Cost, money: true, blank_values: ['0', n/a]}\n"
        "          baseline_start: {from: [Start, Alt], blank_values: [tbd, N/A]}\n",
    )
    mapped = mapping.map_folder(path, tmp_path)
    assert mapped.problems == []
    p = mapped.snapshots[0].frames["projects"]
    # '0', '0.00' (a number matches by value) and ' N/A ' (stripped, any case) are blank, not
    # $0; '(0)' is no placeholder: it converts
    assert p["budget_at_completion"].isna().tolist() == [True, True, True, False, False]
    assert p["budget_at_completion"].tolist()[3:] == [1500.0, 0.0]
    # a placeholder is blank, so the next column of a list is taken
    assert p["baseline_start"].tolist()[:4] == [
        pd.Timestamp("2026-01-05"),
        pd.Timestamp("2026-02-01"),
        pd.NaT,
        pd.Timestamp("2026-03-01"),
    ]
    assert mapped.snapshots[0].log.empty  # a placeholder is no bad cell: nothing logged


def test_blank_values_of_an_unpivot_make_no_row_and_numbers_from_excel_match_by_value(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["ID", "Name", "Dept", "Cost", "Jan-26", "Feb-26"])
    book.active.append(["P1", "A", "X", 0, "n/a", 1200])
    book.active.append(["P2", "B", "X", 0.0, 0, 300.5])
    book.save(tmp_path / "p.xlsx")
    (tmp_path / "m.yaml").write_text(
        """
as_of: 2026-10-31
files:
  - file: p.xlsx
    tables:
      projects:
        constants: {status: Active}
        columns:
          project_id: ID
          project_name: Name
          portfolio: Dept
          budget_at_completion: {from: Cost, blank_values: [0]}
      financials:
        constants: {measure: plan}
        columns:
          project_id: ID
          period: {date: "%b-%y"}
          amount: {blank_values: ["0", N/A]}
        unpivot: {pattern: '^\\w{3}-\\d{2}$', label_to: period, value_to: amount}
""",
        encoding="utf-8",
    )
    mapped = mapping.map_folder(tmp_path / "m.yaml", tmp_path)
    assert mapped.problems == []
    frames = mapped.snapshots[0].frames
    assert frames["projects"]["budget_at_completion"].isna().all()
    f = frames["financials"]
    assert sorted(zip(f["project_id"], f["amount"], strict=True)) == [("P1", 1200.0), ("P2", 300.5)]


def test_a_template_builds_a_text_from_several_columns(tmp_path):
    path = _one_file_mapping(
        tmp_path,
        "ID,School,District,Dept\nP1,PROJECT #1,22,X\nP2,PROJECT #1,11,X\nP3,I.S. 653,,X\n"
        "P4,,,X\nP5,TBD,TBD,X\n",
        "          project_id: ID\n"
        "          project_name: {template: '{School} (District {District}) {{sic}}',"
        " blank_values: [TBD], default: unnamed}\n"
        "          portfolio: {template: 'District {District}', default: Citywide}\n"
        "          sub_portfolio: {template: '{Dept}-{ID}'}\n",
    )
    p = _projects(path, tmp_path)
    assert p["project_name"].tolist() == [
        "PROJECT #1 (District 22) {sic}",
        "PROJECT #1 (District 11) {sic}",
        "I.S. 653 (District ) {sic}",  # one cell blank: the others still make the value
        "unnamed",  # every cell blank: blank (here the default)
        "unnamed",  # placeholders are blank
    ]
    assert p["portfolio"].tolist() == [
        "District 22",
        "District 11",
        "Citywide",
        "Citywide",
        "District TBD",
    ]
    assert p["sub_portfolio"].tolist()[0] == "X-P1"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "{template: '{Scool} (District {District})'}",
            "key 'files[0].tables.projects.columns.project_name.template': column 'Scool' is not"
            " in p.csv; it has: ID, School, District; did you mean 'School'?",
        ),
        (
            "{template: '{School} (District {District)'}",
            "key 'files[0].tables.projects.columns.project_name.template': a lone '{' in",
        ),
        (
            "{template: 'School {}'}",
            "key 'files[0].tables.projects.columns.project_name.template': '{}' in 'School {}'"
            " names no column",
        ),
        (
            "{template: 'School'}",
            "key 'files[0].tables.projects.columns.project_name.template': 'School' names no"
            " source column ({Column}); a fixed value is a constant",
        ),
        (
            "{from: School, template: '{School}'}",
            "key 'files[0].tables.projects.columns.project_name': give one of from,"
            " first_present, template (not from and template)",
        ),
    ],
)
def test_a_template_that_does_not_fit_is_a_mapping_error_naming_the_key(tmp_path, rule, message):
    path = _one_file_mapping(
        tmp_path,
        "ID,School,District\nP1,PS 1,2\n",
        f"          project_id: ID\n          project_name: {rule}\n"
        "          portfolio: District\n",
    )
    with pytest.raises(PMOError) as caught:
        mapping.map_folder(path, tmp_path)
    assert f"{path}: {message}" in str(caught.value)


def test_an_unquoted_hash_in_a_column_name_says_to_quote_it(tmp_path):
    path = _one_file_mapping(
        tmp_path,
        "Project #,Name,Dept\nP1,A,X\n",
        "          project_id: Project #\n          project_name: Name\n"
        "          portfolio: Dept\n",
    )
    with pytest.raises(PMOError) as caught:
        mapping.map_folder(path, tmp_path)
    assert (
        "key 'files[0].tables.projects.columns.project_id': column 'Project' is not in p.csv;"
        " it has: Project #, Name, Dept; a ' #' starts a YAML comment: quote the name"
        " ('Project #')" in str(caught.value)
    )
    path.write_text(path.read_text().replace("project_id: Project #", "project_id: 'Project #'"))
    assert _projects(path, tmp_path)["project_id"].tolist() == ["P1"]
