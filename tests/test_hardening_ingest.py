"""Issue 14, the ingest side: what a careless or hostile export, mapping or parameters file must
not do — empty a snapshot, load absurd amounts, dates or 50 MB cells, blow up YAML aliases, or
crash with a traceback. Each case goes through the real command (run_reports.main) or loader."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

import run_reports
from pmo_lib import mapping, store
from pmo_lib.errors import DataValidationError, PMOError
from pmo_lib.params import PROJECT_ROOT, load_config, params_dir
from pmo_lib.schema import DATE_MAX, DATE_MIN, HOURS_LIMIT, ID_LENGTH, MONEY_LIMIT, TEXT_LENGTH
from pmo_lib.validate import load_folder

HEADER = (
    "project_id,project_name,portfolio,status,baseline_start,baseline_finish,budget_at_completion"
)


def _project(i: int, **cells: str) -> str:
    row = {
        "project_id": f"P{i}",
        "project_name": f"Project {i}",
        "portfolio": "Digital",
        "status": "Active",
        "baseline_start": "2026-01-01",
        "baseline_finish": "2026-12-31",
        "budget_at_completion": "1000",
        **cells,
    }
    return ",".join(row[c] for c in HEADER.split(","))


def _folder(folder: Path, projects: int | list[str], **tables: str) -> Path:
    """An export folder: projects.csv with n projects (or these rows), and other tables' CSVs."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [_project(i) for i in range(1, projects + 1)] if isinstance(projects, int) else projects
    (folder / "projects.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def _ingest(folder: Path, db: Path, as_of: str, *options: str) -> int:
    return run_reports.main(
        ["ingest", str(folder), "--as-of", as_of, "--source", str(db), *options]
    )


def _projects_in(db: Path, as_of: str) -> int:
    return store.row_counts(db, date.fromisoformat(as_of), None)["projects"]


def _problems(folder: Path) -> list[str]:
    with pytest.raises(DataValidationError) as caught:
        load_folder(folder)
    return [str(p) for p in caught.value.problems]


# -- 2. an ingest must not empty or gut a snapshot --------------------------------------------
def test_a_header_only_projects_export_is_refused_and_the_snapshot_kept(tmp_path, capsys):
    db = tmp_path / "pmo.duckdb"
    assert _ingest(_folder(tmp_path / "full", 149), db, "2026-10-31") == 0
    empty = _folder(tmp_path / "empty", [])
    capsys.readouterr()

    assert _ingest(empty, db, "2026-10-31") == 2
    err = capsys.readouterr().err
    assert err == (
        "error: snapshot 2026-10-31: projects would go from 149 rows (snapshot 2026-10-31,"
        " which it replaces) to 0: refused; give --allow-shrink to load it anyway\n"
    )
    assert _projects_in(db, "2026-10-31") == 149  # nothing was written

    # a new as-of date compares with the latest earlier snapshot
    assert _ingest(empty, db, "2026-11-30") == 2
    assert "from 149 rows (snapshot 2026-10-31) to 0: refused" in capsys.readouterr().err
    assert [d.date() for d in store.list_snapshots(db)["as_of"]] == [date(2026, 10, 31)]

    # --check says so too, and loads nothing
    assert _ingest(empty, db, "2026-10-31", "--check") == 1
    assert "refused: snapshot 2026-10-31: projects would go from 149" in capsys.readouterr().out

    # on purpose: --allow-shrink
    assert _ingest(empty, db, "2026-10-31", "--allow-shrink") == 0
    assert _projects_in(db, "2026-10-31") == 0


def test_a_snapshot_shrinking_past_the_threshold_is_refused_unless_allowed(tmp_path, capsys):
    db = tmp_path / "pmo.duckdb"
    assert _ingest(_folder(tmp_path / "full", 10), db, "2026-10-31") == 0
    four = _folder(tmp_path / "four", 4)
    capsys.readouterr()
    assert _ingest(four, db, "2026-11-30") == 2
    assert capsys.readouterr().err == (
        "error: snapshot 2026-11-30: projects would go from 10 rows (snapshot 2026-10-31) to 4,"
        " 60.0 % fewer (more than --max-shrink-pct 50): refused; give --allow-shrink to load it"
        " anyway\n"
    )
    assert _ingest(four, db, "2026-11-30", "--max-shrink-pct", "60") == 0
    assert _projects_in(db, "2026-11-30") == 4
    # a snapshot earlier than every stored one has nothing to compare with
    assert _ingest(_folder(tmp_path / "one", 1), db, "2026-01-31") == 0
    # the threshold is a percentage
    with pytest.raises(SystemExit):
        _ingest(four, db, "2026-12-31", "--max-shrink-pct", "150")


def test_a_first_snapshot_without_projects_is_refused(tmp_path, capsys):
    db = tmp_path / "pmo.duckdb"
    assert _ingest(_folder(tmp_path / "empty", []), db, "2026-10-31") == 2
    assert "snapshot 2026-10-31: projects would have 0 rows: refused" in capsys.readouterr().err
    assert not db.exists()


def test_a_mapped_ingest_compares_each_period_with_the_one_before(tmp_path, capsys):
    rows = ["Period,ID,Name"]
    rows += [f"2026-09-30,P{i},Project {i}" for i in range(10)]
    rows += [f"2026-10-31,P{i},Project {i}" for i in range(3)]
    (tmp_path / "ppm.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(
        textwrap.dedent(
            """
            files:
              - file: ppm.csv
                snapshots: {column: Period}
                tables:
                  projects:
                    constants: {portfolio: Digital, status: Active}
                    columns: {project_id: ID, project_name: Name}
            """
        ),
        encoding="utf-8",
    )
    db = tmp_path / "pmo.duckdb"
    argv = ["ingest", str(tmp_path), "--mapping", str(tmp_path / "m.yaml"), "--source", str(db)]
    assert run_reports.main(argv) == 2
    assert (
        "snapshot 2026-10-31: projects would go from 10 rows (snapshot 2026-09-30) to 3, 70.0 %"
        " fewer" in capsys.readouterr().err
    )
    assert not db.exists()  # refused before anything was written
    assert run_reports.main([*argv, "--allow-shrink"]) == 0


def test_projects_without_rows_is_said_once_not_as_thousands_of_orphans(tmp_path, capsys):
    financials = "project_id,period,measure,amount\n" + "".join(
        f"P{i},2026-10-01,actual,{i}\n" for i in range(3000)
    )
    folder = _folder(tmp_path, [], financials=financials)
    with pytest.raises(PMOError) as caught:
        load_folder(folder)
    assert str(caught.value) == (
        "projects.csv: no data rows (a header only), yet 3,000 row(s) of financials.csv name a"
        " project: a snapshot needs its projects; nothing was loaded"
    )
    assert _ingest(folder, tmp_path / "pmo.duckdb", "2026-10-31", "--check") == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_mapped_projects_file_without_rows_is_said_once(tmp_path):
    (tmp_path / "projects.csv").write_text("ID,Name\n", encoding="utf-8")
    (tmp_path / "costs.csv").write_text(
        "ID,Month,Cost\n" + "".join(f"P{i},2026-10-01,5\n" for i in range(500)), encoding="utf-8"
    )
    (tmp_path / "m.yaml").write_text(
        textwrap.dedent(
            """
            as_of: 2026-10-31
            files:
              - file: projects.csv
                tables:
                  projects:
                    constants: {portfolio: Digital, status: Active}
                    columns: {project_id: ID, project_name: Name}
              - file: costs.csv
                tables:
                  financials:
                    constants: {measure: actual}
                    columns: {project_id: ID, period: Month, amount: Cost}
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(PMOError, match=r"^projects.csv: no data rows for 2026-10-31 \(a header"):
        mapping.map_folder(tmp_path / "m.yaml", tmp_path)


# -- 5. non-finite and absurd amounts ----------------------------------------------------------
BOUND = f"{MONEY_LIMIT:,.0f}"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1e308", f"a number from -{BOUND} to {BOUND}"),
        ("-2e13", f"a number from -{BOUND} to {BOUND}"),
        ("inf", "a number"),
        ("-Infinity", "a number"),
        ("nan", "a number"),
    ],
)
def test_a_non_finite_or_absurd_amount_is_refused_naming_the_bound(tmp_path, amount, expected):
    folder = _folder(
        tmp_path, 1, financials=f"project_id,period,measure,amount\nP1,2026-10-01,plan,{amount}\n"
    )
    assert _problems(folder) == [
        f"financials.csv, row 2, column 'amount': got '{amount}'; expected {expected}"
    ]


def test_budgets_and_hours_have_their_bounds_and_amounts_within_them_load(tmp_path):
    folder = _folder(
        tmp_path,
        [_project(1, budget_at_completion="1e14"), _project(2, budget_at_completion="9.9e12")],
        resources="""
            resource_id,role,team,employment_type,monthly_capacity_hours
            R1,Dev,A,Employee,2000000
            R2,Dev,A,Employee,160
            """,
        allocations="""
            resource_id,project_id,period,planned_hours
            R2,P2,2026-10-01,1e6
            """,
    )
    assert _problems(folder) == [
        f"projects.csv, row 2, column 'budget_at_completion': got '1e14'; expected a number from"
        f" 0 to {BOUND}",
        f"resources.csv, row 2, column 'monthly_capacity_hours': got '2000000'; expected a number"
        f" from 0 to {HOURS_LIMIT:,.0f}",
    ]


def test_a_mapped_amount_beyond_the_bound_names_the_source_text_or_is_blanked(tmp_path):
    mapping_path = _mapped(
        tmp_path,
        "ID,Name,Budget\nP1,A,£1e308\nP2,B,$2.5bn\nP3,C,inf\n",
        "budget_at_completion: {from: Budget, money: true}",
    )
    shown = [str(p) for p in mapping.map_folder(mapping_path, tmp_path).problems]
    assert shown == [
        f"p.csv, row 2, column 'Budget': got '£1e308'; expected a number from 0 to {BOUND}",
        "p.csv, row 4, column 'Budget': got 'inf'; expected " + mapping.MONEY_TEXT,
    ]
    blanked = _mapped(
        tmp_path,
        "ID,Name,Budget\nP1,A,£1e308\nP2,B,$2.5bn\n",
        "budget_at_completion: {from: Budget, money: true, bad_cells: blank}",
    )
    snap = mapping.map_folder(blanked, tmp_path).snapshots[0]
    budgets = snap.frames["projects"]["budget_at_completion"]
    assert budgets.isna().tolist() == [True, False] and budgets.iloc[1] == 2.5e9
    entry = snap.log.iloc[0]
    assert (entry["row"], entry["value"], entry["action"]) == (2, "£1e308", "cell blanked")


def _mapped(tmp_path: Path, csv_text: str, *rules: str, top: str = "") -> Path:
    """A one-file mapping of p.csv into projects: ID and Name mapped, and these column rules."""
    (tmp_path / "p.csv").write_text(csv_text, encoding="utf-8")
    lines = "\n".join(f"          {r}" for r in ("project_id: ID", "project_name: Name", *rules))
    path = tmp_path / "m.yaml"
    path.write_text(
        f"as_of: 2026-10-31\n{top}files:\n  - file: p.csv\n    tables:\n      projects:\n"
        f"        constants: {{portfolio: Digital, status: Active}}\n        columns:\n{lines}\n",
        encoding="utf-8",
    )
    return path


# -- 6. unbounded cells ------------------------------------------------------------------------
def test_a_huge_name_is_refused_without_echoing_it(tmp_path):
    name = "N" * 5_000_000
    folder = _folder(tmp_path, [_project(1, project_name=name), _project(2, project_id="I" * 201)])
    with pytest.raises(DataValidationError) as caught:
        load_folder(folder)
    message = str(caught.value)
    assert len(message) < 1000
    assert [str(p) for p in caught.value.problems] == [
        f"projects.csv, row 3, column 'project_id': got '{'I' * 80}…'; expected text of at most"
        f" {ID_LENGTH} characters (it has 201)",
        f"projects.csv, row 2, column 'project_name': got '{'N' * 80}…'; expected text of at most"
        f" {TEXT_LENGTH:,} characters (it has 5,000,000)",
    ]
    # an over-long ID another table names is cut there too
    financials = f"project_id,period,measure,amount\n{'I' * 1_000_000},2026-10-01,plan,1\n"
    (folder / "financials.csv").write_text(financials, encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        load_folder(folder)
    assert len(str(caught.value)) < 2000
    # at the bound, it loads
    ok = _folder(tmp_path / "ok", [_project(1, project_name="N" * TEXT_LENGTH)])
    assert load_folder(ok)[0]["projects"]["project_name"].str.len().tolist() == [TEXT_LENGTH]


def test_a_huge_cell_of_a_mapped_file_is_cut_in_problems_and_in_the_ingest_log(tmp_path):
    junk = "x" * 1_000_000
    path = _mapped(
        tmp_path,
        f"ID,Name,Owner,Start\nP1,A,{junk},{junk}\nP2,B,Ann,2026-01-01\n",
        "project_manager: Owner",
        "baseline_start: {from: Start, date: day-first}",
        top="bad_cells: blank\n",
    )
    snap = mapping.map_folder(path, tmp_path).snapshots[0]
    assert snap.frames["projects"]["project_manager"].isna().tolist() == [True, False]
    assert snap.log["value"].str.len().max() == 81  # 80 characters and '…'
    assert set(snap.log["column"]) == {"Owner", "Start"}


# -- 7. YAML alias bombs -----------------------------------------------------------------------
def _bomb(last: str) -> str:
    """Nine levels of nine aliases: 9**9 (387 million) nodes from about 400 bytes."""
    levels = "abcdefghi"
    text = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for parent, child in zip(levels, levels[1:], strict=False):
        text += f"{child}: &{child} [{', '.join(['*' + parent] * 9)}]\n"
    return text + f"{last}: *i\n"


def _load_under_a_memory_limit(code: str, path: Path) -> tuple[str, float]:
    """Run code (which loads path) in a fresh Python allowed 512 MB more than after its imports,
    for at most 60 s; return what it printed and the seconds the load took."""
    script = textwrap.dedent(
        f"""
        import resource, sys, time
        from pathlib import Path
        from pmo_lib.errors import PMOError
        from pmo_lib.mapping import load_mapping
        from pmo_lib.params import load_config
        with open("/proc/self/statm") as f:
            used = int(f.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (used + 512 * 2**20, resource.RLIM_INFINITY))
        start = time.perf_counter()
        try:
            {code}
            print("LOADED")
        except PMOError as exc:
            print(exc)
        except MemoryError:
            print("MemoryError")
        print(f"{{time.perf_counter() - start:.3f}}")
        """
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *said, seconds = done.stdout.strip().splitlines()
    return "\n".join(said), float(seconds)


def test_a_params_alias_bomb_is_refused_fast_within_a_memory_limit(tmp_path):
    params = tmp_path / "params"
    params.mkdir()
    (params / "defaults.yaml").write_text((params_dir() / "defaults.yaml").read_text())
    bomb = params / "bomb.yaml"
    bomb.write_text(_bomb("currency"), encoding="utf-8")
    assert len(bomb.read_bytes()) < 400
    said, seconds = _load_under_a_memory_limit(f"load_config(Path({str(bomb)!r}))", bomb)
    assert said == (
        f"{bomb}, line 2: an alias (*a) is not allowed; write the value out where it is used"
    )
    assert seconds < 1
    with pytest.raises(PMOError, match=r"line 2: an alias \(\*a\) is not allowed"):
        load_config(bomb)  # in this process too


def test_a_mapping_alias_bomb_is_refused_fast_within_a_memory_limit(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(
        _bomb("description") + "files:\n  - {file: x.csv, tables: {}}\n", encoding="utf-8"
    )
    said, seconds = _load_under_a_memory_limit(f"load_mapping(Path({str(bomb)!r}))", bomb)
    assert said.startswith(f"{bomb}, line 2: an alias (*a) is not allowed")
    assert seconds < 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("base: &b {x: 1}\nother:\n  <<: *b\n", r"line 3: an alias \(\*b\) is not allowed"),
        ("a: " + "[" * 20_000 + "]" * 20_000 + "\n", "not valid YAML: nested too deeply"),
        ("a: " + "9" * 10_000 + "\n", "not valid YAML: Exceeds the limit"),
        ("a: '" + "x" * 1_000_001 + "'\n", r"1,000,007 bytes; a mapping file is at most 1,000,000"),
    ],
)
def test_other_yaml_that_could_exhaust_the_loader_is_refused(tmp_path, text, message):
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PMOError, match=message):
        mapping.load_mapping(path)


def test_a_long_bad_parameter_is_cut_in_the_message(tmp_path):
    params = tmp_path / "params"
    params.mkdir()
    (params / "defaults.yaml").write_text((params_dir() / "defaults.yaml").read_text())
    (params / "x.yaml").write_text(f"currency: {'E' * 100_000}\n", encoding="utf-8")
    with pytest.raises(PMOError) as caught:
        load_config(params / "x.yaml")
    assert len(str(caught.value)) < 400
    assert f"(got '{'E' * 80}…')" in str(caught.value)


# -- 12. mapping mistakes that gave tracebacks -------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "key", "message"),
    [
        ("encoding: not-a-codec", "files[0].encoding", "unknown encoding 'not-a-codec'"),
        (
            "encoding_errors: bogus-handler",
            "files[0].encoding_errors",
            "unknown error handler 'bogus-handler'",
        ),
        (
            'separator: "(("',
            "files[0].separator",
            "a separator of more than one character is read as a regular expression, and '(('",
        ),
        ('separator: ""', "files[0].separator", "expected a character such as"),
        (
            "unpivot_pattern",
            "files[0].tables.financials.unpivot.pattern",
            "not a regular expression",
        ),
        (
            "as_of_from_name: {pattern: '((', template: '{1}'}",
            "files[0].as_of_from_name.pattern",
            "not a regular expression",
        ),
        (
            "join: [{file: p.csv, key: ID, encoding: nope}]",
            "files[0].join[0].encoding",
            "unknown encoding 'nope'",
        ),
    ],
)
def test_a_bad_reading_rule_is_a_mapping_error_naming_the_key(tmp_path, rule, key, message):
    (tmp_path / "p.csv").write_text("ID,Name,Jan-26\nP1,A,5\n", encoding="utf-8")
    tables = "{financials: {constants: {measure: plan}, columns: {project_id: ID}, unpivot: "
    tables += "{pattern: '((', label_to: period, value_to: amount}}}"
    if rule != "unpivot_pattern":
        tables = "{projects: {constants: {portfolio: D, status: Active}, columns: "
        tables += "{project_id: ID, project_name: Name}}}"
    lines = ["as_of: 2026-10-31", "files:", "  - file: p.csv", f"    tables: {tables}"]
    if rule != "unpivot_pattern":
        lines.append(f"    {rule}")
    path = tmp_path / "m.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(PMOError) as caught:
        mapping.map_folder(path, tmp_path)
    assert f"{path}: key '{key}': {message}" in str(caught.value)


# -- 14. implausible dates ---------------------------------------------------------------------
WINDOW = f"a date from {DATE_MIN} to {DATE_MAX}"


def test_dates_outside_the_window_are_refused_naming_it(tmp_path):
    folder = _folder(
        tmp_path,
        [
            _project(1, baseline_finish="9999-12-31"),
            _project(2, baseline_start="1900-01-01"),
            _project(3, baseline_start="1600-01-01", baseline_finish="1601-01-01"),
            _project(4, baseline_start="1950-01-01", baseline_finish="2100-12-31"),
        ],
    )
    assert _problems(folder) == [
        f"projects.csv, row 3, column 'baseline_start': got '1900-01-01'; expected {WINDOW}",
        f"projects.csv, row 4, column 'baseline_start': got '1600-01-01'; expected {WINDOW}",
        f"projects.csv, row 2, column 'baseline_finish': got '9999-12-31'; expected {WINDOW}",
        f"projects.csv, row 4, column 'baseline_finish': got '1601-01-01'; expected {WINDOW}",
    ]


def test_a_mapped_date_outside_the_window_is_blanked_and_logged_with_bad_cells_blank(tmp_path):
    csv_text = "ID,Name,Finish,Days\nP1,A,31/12/9999,0\nP2,B,01/01/1900,0\nP3,C,30/06/2027,1e6\n"
    rules = ("forecast_finish: {from: Finish, date: day-first}",)
    refused = mapping.map_folder(_mapped(tmp_path, csv_text, *rules), tmp_path)
    assert [str(p) for p in refused.problems] == [
        f"p.csv, row 2, column 'Finish': got '31/12/9999'; expected {WINDOW}",
        f"p.csv, row 3, column 'Finish': got '01/01/1900'; expected {WINDOW}",
    ]
    rules += ("baseline_finish: {from: Finish, date: day-first, minus_days: Days}",)
    path = _mapped(tmp_path, csv_text, *rules, top="bad_cells: blank\n")
    snap = mapping.map_folder(path, tmp_path).snapshots[0]
    projects = snap.frames["projects"]
    assert projects["forecast_finish"].isna().tolist() == [True, True, False]
    assert projects["baseline_finish"].isna().all()  # 30/06/2027 less a million days
    log = snap.log[["row", "column", "value", "action", "expected"]].values.tolist()
    assert log == [
        [2, "Finish", "31/12/9999", "cell blanked", WINDOW],
        [3, "Finish", "01/01/1900", "cell blanked", WINDOW],
        [
            4,
            "Days",
            "1e6",
            "cell blanked",
            f"a number of days (to subtract from Finish) that leaves {WINDOW}"
            " (it gives -711-08-02)",
        ],
    ]


def test_a_reporting_period_or_snapshot_date_outside_the_window_is_refused(tmp_path, capsys):
    (tmp_path / "ppm.csv").write_text(
        "Period,ID,Name\n2026-10-31,P1,A\n9999-12-31,P2,B\n", encoding="utf-8"
    )
    (tmp_path / "m.yaml").write_text(
        "files:\n  - file: ppm.csv\n    snapshots: {column: Period}\n    tables:\n"
        "      projects:\n        constants: {portfolio: D, status: Active}\n"
        "        columns: {project_id: ID, project_name: Name}\n",
        encoding="utf-8",
    )
    mapped = mapping.map_folder(tmp_path / "m.yaml", tmp_path)
    assert [str(p) for p in mapped.problems] == [
        f"ppm.csv, row 3, column 'Period': got '9999-12-31'; expected {WINDOW} (the row's"
        " reporting period)"
    ]
    db = tmp_path / "pmo.duckdb"
    assert _ingest(_folder(tmp_path / "x", 1), db, "2101-01-01") == 2
    assert capsys.readouterr().err == f"error: snapshot date 2101-01-01: expected {WINDOW}\n"
    assert not db.exists()
