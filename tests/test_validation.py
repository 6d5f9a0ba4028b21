"""Ingest validation: every kind of bad input gives a message naming file, row, column and value."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_lib.errors import DataValidationError, PMOError
from pmo_lib.validate import load_folder, normalise_column_name
from tests.conftest import write_csv

HEADER = (
    "project_id,project_name,portfolio,status,baseline_start,baseline_finish,budget_at_completion"
)
GOOD = "P1,Alpha,Digital,Active,2026-01-01,2026-12-31,1000"


def _projects(tmp_path, *rows: str, header: str = HEADER):
    write_csv(tmp_path, "projects.csv", "\n".join([header, *rows]))
    return tmp_path


def _problems(folder) -> list[str]:
    with pytest.raises(DataValidationError) as caught:
        load_folder(folder)
    return [str(p) for p in caught.value.problems]


def test_a_valid_file_loads_with_model_types(tmp_path):
    frames, notes = load_folder(_projects(tmp_path, GOOD))
    projects = frames["projects"]
    assert projects.loc[2, "budget_at_completion"] == 1000.0
    assert projects.loc[2, "baseline_start"] == pd.Timestamp("2026-01-01")
    assert notes == []


def test_column_names_match_whatever_the_case_and_spacing(tmp_path):
    header = (
        "Project ID, Project Name ,PORTFOLIO,Status,"
        "Baseline Start,baseline-finish,Budget_At_Completion"
    )
    frames, _ = load_folder(_projects(tmp_path, GOOD, header=header))
    assert list(frames["projects"]["project_id"]) == ["P1"]
    assert normalise_column_name(" Budget At  Completion ") == "budget_at_completion"


def test_extra_columns_are_ignored_and_said_so(tmp_path):
    frames, notes = load_folder(_projects(tmp_path, GOOD + ",x", header=HEADER + ",cost_centre"))
    assert "cost_centre" not in frames["projects"].columns
    assert notes == ["projects.csv: ignored extra columns cost_centre"]


def test_a_missing_required_column_is_named(tmp_path):
    header = HEADER.replace(",status", "")
    row = GOOD.replace(",Active", "")
    assert _problems(_projects(tmp_path, row, header=header)) == [
        "projects.csv, column 'status'; expected a required column 'status' (it is missing)"
    ]


def test_a_bad_date_is_reported_with_its_row_as_in_the_file(tmp_path):
    problems = _problems(
        _projects(tmp_path, GOOD, "P2,Beta,Digital,Active,31/01/2026,2026-12-31,5")
    )
    assert problems == [
        "projects.csv, row 3, column 'baseline_start': got '31/01/2026'; expected a date"
        " (YYYY-MM-DD)"
    ]


def test_a_value_outside_the_allowed_list(tmp_path):
    problems = _problems(_projects(tmp_path, GOOD.replace("Active", "Running")))
    assert problems == [
        "projects.csv, row 2, column 'status': got 'Running'; expected one of Proposed, Active, On"
        " Hold, Closed, Cancelled"
    ]


def test_a_text_amount_is_rejected_and_a_negative_one_kept(tmp_path):
    _projects(tmp_path, GOOD)
    write_csv(
        tmp_path,
        "financials.csv",
        "project_id,period,measure,amount\nP1,2026-01-01,actual,-5\nP1,2026-02-01,plan,lots",
    )
    assert _problems(tmp_path) == [
        "financials.csv, row 3, column 'amount': got 'lots'; expected a number"
    ]
    write_csv(
        tmp_path, "financials.csv", "project_id,period,measure,amount\nP1,2026-01-01,actual,-5"
    )
    frames, _ = load_folder(tmp_path)
    assert frames["financials"].loc[2, "amount"] == -5.0  # a credit: spend hygiene reports it


def test_a_period_must_be_the_first_of_a_month(tmp_path):
    _projects(tmp_path, GOOD)
    write_csv(tmp_path, "financials.csv", "project_id,period,measure,amount\nP1,2026-01-15,plan,5")
    assert _problems(tmp_path) == [
        "financials.csv, row 2, column 'period': got '2026-01-15'; expected a date (YYYY-MM-DD) on"
        " the first day of a month"
    ]


def test_a_duplicate_key(tmp_path):
    assert _problems(_projects(tmp_path, GOOD, GOOD)) == [
        "projects.csv, row 3, column 'project_id': got 'project_id=P1'; expected a unique"
        " project_id"
    ]


def test_a_reference_to_an_unknown_project(tmp_path):
    _projects(tmp_path, GOOD)
    write_csv(
        tmp_path, "risks.csv", "item_id,project_id,kind,title,status\nR1,P9,Risk,Vendor late,Open"
    )
    assert _problems(tmp_path) == [
        "risks.csv, row 2, column 'project_id': got 'P9'; expected a project_id listed in"
        " projects.csv"
    ]


def test_allocations_must_name_known_resources(tmp_path):
    _projects(tmp_path, GOOD)
    write_csv(
        tmp_path,
        "resources.csv",
        "resource_id,role,team,employment_type,monthly_capacity_hours\nR1,Developer,Eng,Employee,150",
    )
    write_csv(
        tmp_path,
        "allocations.csv",
        "resource_id,project_id,period,planned_hours\nR2,P1,2026-01-01,10\nR1,,2026-01-01,-1",
    )
    assert _problems(tmp_path) == [
        "allocations.csv, row 3, column 'planned_hours': got '-1'; expected a number >= 0",
        "allocations.csv, row 2, column 'resource_id': got 'R2'; expected a resource_id listed in"
        " resources.csv",
    ]


def test_dates_out_of_order(tmp_path):
    problems = _problems(_projects(tmp_path, "P1,Alpha,Digital,Active,2026-06-01,2026-01-31,10"))
    assert problems == [
        "projects.csv, row 2, column 'baseline_finish': got '2026-01-31'; expected a date on or"
        " after baseline_start (2026-06-01)"
    ]


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    folder = _projects(
        tmp_path,
        "P1,,Digital,Active,2026-01-01,2026-12-31,x",
        "P2,Beta,,Done,2026-01-01,2026-12-31,5",
    )
    with pytest.raises(DataValidationError) as caught:
        load_folder(folder)
    located = [(p.row, p.column) for p in caught.value.problems]
    assert located == [
        (2, "project_name"),
        (3, "portfolio"),
        (3, "status"),
        (2, "budget_at_completion"),
    ]
    assert str(caught.value).startswith("4 problem(s) in projects.csv; nothing was loaded:")


def test_excel_and_parquet_exports_are_read(tmp_path):
    rows = pd.DataFrame(
        [
            {
                "project_id": 101,
                "project_name": "A",
                "portfolio": "D",
                "status": "Active",
                "baseline_start": pd.Timestamp("2026-01-01"),
                "baseline_finish": pd.Timestamp("2026-03-31"),
                "budget_at_completion": 5.0,
            }
        ]
    )
    rows.to_excel(tmp_path / "Projects.xlsx", index=False)
    frames, _ = load_folder(tmp_path)
    assert list(frames["projects"]["project_id"]) == ["101"]
    (tmp_path / "Projects.xlsx").unlink()
    rows.to_parquet(tmp_path / "projects.parquet")
    frames, _ = load_folder(tmp_path)
    assert frames["projects"].loc[1, "baseline_finish"] == pd.Timestamp("2026-03-31")


def test_an_unreadable_file_and_a_missing_projects_file(tmp_path):
    (tmp_path / "projects.xlsx").write_text("not a workbook")
    with pytest.raises(PMOError, match=r"projects.xlsx: cannot be read as XLSX"):
        load_folder(tmp_path)
    (tmp_path / "projects.xlsx").unlink()
    write_csv(tmp_path, "risks.csv", "item_id\nR1")
    with pytest.raises(PMOError, match=r"no file for table 'projects'.*found: risks.csv"):
        load_folder(tmp_path)
    with pytest.raises(PMOError, match="no such folder"):
        load_folder(tmp_path / "nope")


def test_every_problem_says_its_cause(tmp_path):
    _projects(tmp_path, "P1,,Digital,Active,2026-01-01,2026-12-31,x", GOOD)
    write_csv(tmp_path, "risks.csv", "item_id,project_id,kind,title,status\nR1,P9,Risk,Late,Open")
    with pytest.raises(DataValidationError) as caught:
        load_folder(tmp_path)
    assert [(p.row, p.cause) for p in caught.value.problems] == [
        (2, "blank required"),
        (2, "bad cell"),
        (3, "duplicate key"),
        (2, "orphan"),
    ]
    assert not any(p.blanked for p in caught.value.problems)


def test_coerce_table_blanks_the_bad_cells_of_the_columns_it_is_told():
    from pmo_lib.schema import TABLES
    from pmo_lib.validate import coerce_table

    raw = pd.DataFrame(
        {
            "project_id": ["P1", "P2"],
            "project_name": ["A", "B"],
            "portfolio": ["D", "D"],
            "status": ["Active", "Running"],
            "baseline_start": ["2026-06-01", "soon"],
            "baseline_finish": ["2026-01-31", "2026-12-31"],
            "budget_at_completion": ["-5", "10"],
            "percent_complete": ["50", "150"],
        }
    )
    blank = {"baseline_start", "baseline_finish", "budget_at_completion", "percent_complete"}
    frame, problems, _ = coerce_table(raw, TABLES["projects"], "p.csv", blank_bad=blank)
    found = {(p.row, p.column, p.blanked) for p in problems}
    assert found == {
        (3, "status", False),  # required: cannot be blanked
        (2, "budget_at_completion", True),
        (3, "baseline_start", True),
        (3, "percent_complete", True),
        (2, "baseline_finish", True),  # before its start: the later date is blanked
    }
    assert frame["status"].tolist() == ["Active", "Running"]
    assert frame[sorted(blank)].isna().to_numpy().tolist() == [
        [True, False, True, False],  # baseline_finish, baseline_start, budget, percent
        [False, True, False, True],
    ]


def test_an_orphan_from_one_source_row_of_many_table_rows_is_named_once():
    from pmo_lib.validate import orphans
    from tests.conftest import frame

    projects = frame("projects", [{"project_id": "P1", "portfolio": "D"}])
    financials = frame(
        "financials",
        [
            {"project_id": "P9", "period": "2026-01-01", "measure": "plan", "amount": 1.0},
            {"project_id": "P9", "period": "2026-02-01", "measure": "plan", "amount": 2.0},
            {"project_id": "P1", "period": "2026-02-01", "measure": "plan", "amount": 2.0},
        ],
    ).set_axis([7, 7, 8])  # one wide source row unpivoted into two
    mask, found = orphans(
        "financials",
        financials,
        {"projects": projects, "financials": financials},
        {"projects": "p.csv", "financials": "f.csv"},
    )
    assert mask.tolist() == [True, True, False]
    assert [str(p) for p in found] == [
        "f.csv, row 7, column 'project_id': got 'P9'; expected a project_id listed in p.csv"
    ]
