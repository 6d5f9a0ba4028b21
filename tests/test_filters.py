"""The filter logic (choice → data) apart from the widgets, then the panel driven headless."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from pmo_lib import data, filters, store
from pmo_lib.errors import PMOError
from pmo_lib.metrics import spend
from pmo_lib.report import open_report
from pmo_lib.sections import spend as spend_sections

DA = "Data & Analytics"


class Loads(list):
    """The snapshots (day, portfolio) whose tables reads reached the store, in the order first
    read; tables: every read's (day, portfolio, table); reads: how many reads."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple] = []
        self.reads = 0


@pytest.fixture
def loads(monkeypatch):
    """Count the snapshot reads that reach the store, from an empty cache."""
    from pmo_lib.panel import stop_warming

    stop_warming()  # no panel of an earlier test reads meanwhile
    data._stored_tables.cache_clear()
    calls = Loads()
    real = store.load_tables

    def counted(path, day, portfolio, names=None):
        if (day, portfolio) not in calls:
            calls.append((day, portfolio))
        calls.tables += [(day, portfolio, name) for name in names or store.TABLES]
        calls.reads += 1
        return real(path, day, portfolio, names)

    monkeypatch.setattr(store, "load_tables", counted)
    return calls


def test_a_program_keeps_its_projects_what_hangs_off_them_and_their_demand(demo_store):
    whole = data.load_portfolio(DA, source=demo_store)
    narrowed = whole.narrowed(None, "AI Enablement").current
    projects = narrowed["projects"]
    assert set(projects["program"]) == {"AI Enablement"}
    assert len(projects) == (whole.current["projects"]["program"] == "AI Enablement").sum()
    for table in ("financials", "milestones", "risks", "artifacts"):
        assert set(narrowed[table]["project_id"]) <= set(projects["project_id"]), table
        assert not narrowed[table].empty, table
    # demand has no program of its own: the requests that became one of the program's projects
    assert set(narrowed["demand"]["project_id"]) <= set(projects["project_id"])
    became = whole.current["demand"]["project_id"].isin(projects["project_id"]).sum()
    assert len(narrowed["demand"]) == became > 0


def test_sub_portfolio_and_program_narrow_together(demo_store):
    config, both = filters.load(
        filters.Choice(DA, "BI & Reporting", "Data Foundations"), demo_store
    )
    projects = both.current["projects"]
    assert config.portfolio == DA and len(projects) == 9
    assert set(projects["sub_portfolio"]) == {"BI & Reporting"}
    assert set(both.previous["projects"]["program"]) <= {"Data Foundations"}
    for snapshot in data.all_snapshots(both):  # what the trends and the Outlook drift read
        assert set(snapshot["projects"]["program"]) <= {"Data Foundations"}
        assert set(snapshot["financials"]["project_id"]) <= set(snapshot["projects"]["project_id"])


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        (
            filters.Choice(DA, program="Moonshots"),
            "program 'Moonshots': not a program of Data & Analytics on 2026-10-31; it has:"
            " AI Enablement, Data Foundations, Insight Everywhere",
        ),
        (
            filters.Choice(DA, sub_portfolio="Mainframe"),
            "sub_portfolio 'Mainframe': not a sub-portfolio of Data & Analytics on 2026-10-31;"
            " it has: BI & Reporting, Data Platform",
        ),
        (
            filters.Choice(DA, compare_to="2026-10-31"),
            "compare_to 2026-10-31: no earlier snapshot with that date in",
        ),
        (filters.Choice(DA, compare_to="31/08/2026"), "compare_to '31/08/2026': expected a date"),
    ],
)
def test_a_choice_that_does_not_exist_says_what_does(demo_store, choice, message):
    with pytest.raises(PMOError, match="^" + message.replace("(", r"\(")):
        filters.load(choice, demo_store)


def test_the_comparison_snapshot_can_be_any_earlier_one(demo_store):
    _, default = filters.load(filters.Choice(DA), demo_store)
    _, chosen = filters.load(filters.Choice(DA, compare_to="2026-08-31"), demo_store)
    assert default.previous.as_of == pd.Timestamp("2026-09-30")
    assert chosen.previous.as_of == pd.Timestamp("2026-08-31")
    assert chosen.current.as_of == pd.Timestamp("2026-10-31")


def test_resolve_offers_what_the_scope_has_and_drops_what_it_lacks(demo_store):
    resolved = filters.resolve(
        filters.Choice(DA, "BI & Reporting", "AI Enablement", "2026-09-30", "2026-09-30"),
        demo_store,
    )
    o = resolved.options
    assert ("IT Function", "") in o.portfolios and ("Data & Analytics", DA) in o.portfolios
    assert o.sub_portfolios == ["BI & Reporting", "Data Platform"]
    assert o.programs == ["AI Enablement", "Data Foundations", "Insight Everywhere"]
    assert o.snapshots == ["2026-08-31", "2026-09-30", "2026-10-31"]
    assert o.comparisons == ["2026-08-31"]
    # a comparison not earlier than as_of falls back to the one before
    assert resolved.choice.compare_to == "" and resolved.data.previous.as_of == pd.Timestamp(
        "2026-08-31"
    )
    # another portfolio: Data & Analytics' sub-portfolio and program do not exist there
    moved = filters.resolve(filters.Choice("Infrastructure & Cloud", "BI & Reporting"), demo_store)
    assert moved.choice.sub_portfolio == "" and moved.choice.program == ""
    assert set(moved.data.current["projects"]["portfolio"]) == {"Infrastructure & Cloud"}


def test_narrowing_reloads_nothing_and_a_new_snapshot_loads_only_itself(demo_store, loads):
    def read(choice: filters.Choice) -> None:
        chosen = filters.resolve(choice, demo_store).data
        for snapshot in (chosen.current, chosen.previous):
            [snapshot[t] for t in ("projects", "demand", "financials", "risks")]

    read(filters.Choice(DA))
    dates = sorted(pd.to_datetime(store.list_snapshots(demo_store)["as_of"]).dt.date)
    assert loads == [(dates[-1], DA), (dates[-2], DA)]  # as_of and the one before
    tables = len(loads.tables)
    read(filters.Choice(DA, "BI & Reporting", "AI Enablement"))
    assert len(loads.tables) == tables
    read(filters.Choice(DA, compare_to="2026-08-31"))
    assert loads[2:] == [(pd.Timestamp("2026-08-31").date(), DA)]


def test_a_report_reads_only_the_tables_it_shows(demo_store, loads, monkeypatch):
    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # every table alone, as at 100x
    report = open_report(
        "spend", None, source=str(demo_store), interactive=False, sections=spend_sections
    )
    report.filter_panel()
    for section in (spend_sections.headline, spend_sections.burn, spend_sections.benefits):
        report.section(section)
    # the financial figures are summed in the store's query: no financial row is read
    assert {table for *_, table in loads.tables} == {"projects", "benefits"}
    assert len(loads.tables) == len(set(loads.tables))  # each read once


@pytest.mark.parametrize("name", ["resourcing", "data_quality", "portfolio_summary"])
def test_a_portfolio_s_resourcing_quality_and_summary_pages_read_no_financial_row_or_booking(
    name, demo_store, loads, monkeypatch
):
    """Their figures are summed, and the rows they list cut, in the store's queries: the whole
    page, every section its notebook shows, reads no snapshot's financial rows or bookings (at
    100x a million each)."""
    import importlib
    import json
    import re

    from pmo_lib.params import PROJECT_ROOT

    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # every table alone, as at 100x
    data.forget_snapshots()
    sections = importlib.import_module(f"pmo_lib.sections.{name}")
    report = open_report(name, DA, source=str(demo_store), interactive=False, sections=sections)
    notebook = json.loads((PROJECT_ROOT / "notebooks" / f"{name}.ipynb").read_text())
    shown = [
        section
        for cell in notebook["cells"]
        for section in re.findall(r"sections\.(\w+)\)", "".join(cell["source"]))
    ]
    assert len(shown) >= 5
    for section in shown:
        report.section(getattr(sections, section))
    read = {table for *_, table in loads.tables}
    assert "projects" in read and not read & {"financials", "allocations"}


def test_small_tables_are_read_together_and_large_ones_alone(demo_store, loads, monkeypatch):
    day = store.list_snapshots(demo_store)["as_of"].iloc[-1].date()
    data.snapshot_tables(demo_store, day, DA)["risks"]  # the demo: every table in one read
    assert sorted(loads.tables) == sorted((day, DA, name) for name in store.TABLES)
    assert loads.reads == 1
    data._stored_tables.cache_clear()
    loads.tables.clear()
    rows = store.row_counts(demo_store, day, None)
    smallest = sorted(store.TABLES, key=rows.get)[:4]
    assert "projects" in smallest
    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", sum(rows[n] for n in smallest))
    tables = data.snapshot_tables(demo_store, day, DA)
    tables["financials"]
    assert loads.tables == [(day, DA, "financials")]
    tables["projects"]
    assert sorted(loads.tables[1:]) == sorted((day, DA, name) for name in smallest)
    tables["dependencies"]
    assert loads.reads == 3


def test_a_snapshot_replaced_while_a_report_reads_it_is_said(demo_store, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # risks not read with projects
    path = tmp_path / "pmo.duckdb"
    shutil.copy(demo_store, path)
    day = store.list_snapshots(path)["as_of"].iloc[-1].date()
    tables = data.snapshot_tables(path, day, DA)
    read = tables["projects"]
    frames = store.load_tables(path, day, None)
    store.write_snapshot(path, {**frames, "risks": frames["risks"].iloc[1:]}, day, "again")
    with pytest.raises(
        PMOError,
        match=rf"the snapshot of {day} in .*pmo.duckdb was loaded again while this report read"
        " it: run the report again",
    ):
        tables["risks"]
    assert tables["projects"] is read  # what was read stays as read
    now = data.snapshot_tables(path, day, None)["risks"]
    assert len(now) == len(frames["risks"]) - 1


def test_the_panel_shows_only_in_a_jupyterlab_kernel(monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/analyst/notebooks/spend.ipynb")
    monkeypatch.delenv(filters.BATCH_ENV, raising=False)
    monkeypatch.setitem(__import__("sys").modules, "ipykernel", object())
    assert filters.in_jupyterlab()
    monkeypatch.setenv(filters.BATCH_ENV, "1")
    assert not filters.in_jupyterlab()  # the runner
    monkeypatch.delenv(filters.BATCH_ENV)
    monkeypatch.delenv("JPY_SESSION_NAME")
    assert not filters.in_jupyterlab()  # papermill, nbclient


def test_a_static_report_has_no_panel(demo_store):
    report = open_report(
        "spend", DA, source=str(demo_store), interactive=False, sections=spend_sections
    )
    report.filter_panel()
    assert report.panel is None


def test_the_panel_re_renders_every_section_for_the_new_choice(demo_store, loads):
    report = open_report(
        "spend", DA, source=str(demo_store), interactive=True, sections=spend_sections
    )
    seen = []
    report.section(lambda r: seen.append((r.data.sub_portfolio, r.data.program, r.view)))
    report.filter_panel()
    panel = report.panel
    assert panel.portfolio.value == DA and panel.sub_portfolio.value == ""
    panel.warming.join()
    read = len(loads)

    panel.program.value = "AI Enablement"
    panel.warming.join()
    assert len(loads) == read  # same snapshots: nothing read again
    assert report.data.program == "AI Enablement"
    assert seen[-1][:2] == (None, "AI Enablement")
    expected = spend.analyse(
        report.now,
        report.before,
        report.config.fiscal_year_start_month,
        report.config.spend,
        report.config.title,
    ).headlines
    assert seen[-1][2].headlines["fy_plan"] == pytest.approx(expected["fy_plan"])
    assert seen[-1][2].headlines["fy_plan"] < seen[0][2].headlines["fy_plan"]
    assert "Data &amp; Analytics › AI Enablement as of 2026-10-31" in panel.status.value
    assert panel.last_seconds is not None

    panel.portfolio.value = "Infrastructure & Cloud"  # the program does not exist there
    assert panel.program.value == "" and report.config.portfolio == "Infrastructure & Cloud"
    assert set(report.now["projects"]["portfolio"]) == {"Infrastructure & Cloud"}
    assert len(seen) == 3


def test_while_the_analyst_reads_the_panel_reads_the_other_portfolios_snapshots(demo_store, loads):
    report = open_report(
        "spend", None, source=str(demo_store), interactive=True, sections=spend_sections
    )
    report.section(lambda r: None)
    report.filter_panel()
    report.panel.warming.join()
    dates = sorted(pd.to_datetime(store.list_snapshots(demo_store)["as_of"]).dt.date)
    portfolios = [None, *store.portfolios_with_data(demo_store, dates[-1])]
    # every snapshot of every portfolio offered: the report's own first (as-of, then those its
    # forecasts read), then the others' as-of and compared ones first
    assert sorted(loads, key=str) == sorted([(d, p) for p in portfolios for d in dates], key=str)
    own = {(d, None) for d in dates}
    assert loads[0] == (dates[-1], None) and set(loads[: len(own)]) == own
    assert loads[len(own) : len(own) + 2 * (len(portfolios) - 1)] == [
        (d, p) for p in portfolios[1:] for d in (dates[-1], dates[-2])
    ]
    read = len(loads)
    report.panel.portfolio.value = DA  # a first visit, but already read
    assert len(loads) == read
    assert set(report.now["projects"]["portfolio"]) == {DA}


def test_a_choice_stops_the_prefetch_at_the_next_snapshot(demo_store, loads):
    stopped = iter([False, True])
    day = store.list_snapshots(demo_store)["as_of"].iloc[-1].date()
    assert (
        data.prefetch(demo_store, [day], [None, DA, "Customer Channels"], lambda: next(stopped))
        == 1
    )
    assert loads == [(day, None)]


def test_the_snapshot_cache_drops_the_least_recently_used_past_its_limit(
    demo_store, loads, monkeypatch
):
    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # a table at a time
    days = sorted(pd.to_datetime(store.list_snapshots(demo_store)["as_of"]).dt.date)
    data.snapshot_tables(demo_store, days[-1], DA)["projects"]
    one = len(loads.tables)
    monkeypatch.setenv(data.CACHE_ENV, "0.000001")  # room for one table only
    data.snapshot_tables(demo_store, days[-2], DA)["projects"]
    data.snapshot_tables(demo_store, days[-2], DA)["projects"]  # kept: the last one read
    assert len(loads.tables) == one + 1
    data.snapshot_tables(demo_store, days[-1], DA)["projects"]  # dropped: read again
    assert loads.tables[-1] == (days[-1], DA, "projects") and len(loads.tables) == one + 2


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "string[python]", object])
def test_among_answers_as_pandas_isin_does(dtype):
    column = pd.Series(["a", "b", None, "c", "a"], dtype=dtype, index=[10, 11, 12, 13, 14])
    asked = [
        {"a"},
        ["a", None],  # a blank asked for matches the blank cell
        ["c", float("nan")],
        [1, "b"],  # not text: not looked for
        [],
        pd.Series(["b", "c"], dtype="str"),
        {pd.NA, "x"},
        ("a", pd.NaT),
        np.array(["c", None], dtype=object),
        pd.Index(["b"]),
        [b"a", "c"],  # bytes are not text
        [bytearray(b"a"), memoryview(b"b"), "c"],
        [True, "a"],
        {f"id-{i}" for i in range(5000)} | {"b"},
    ]
    for values in asked:
        expected = column.isin(values)
        found = data.among(column, values)
        assert found.tolist() == expected.tolist(), values
        assert list(found.index) == list(column.index)


def test_a_portfolio_narrowed_from_the_function_has_the_rows_the_store_reads_for_it(demo_store):
    """The run's plan narrows the function's snapshot to each portfolio instead of reading
    each: the same rows in every table, people shared across portfolios and dependencies
    across them included."""
    day = store.list_snapshots(demo_store)["as_of"].max().date()
    whole = data.Snapshot(pd.Timestamp(day), data.snapshot_tables(demo_store, day, None))
    for portfolio in sorted(set(whole["projects"]["portfolio"])):
        narrowed = whole.in_portfolio(portfolio)
        read = data.snapshot_tables(demo_store, day, portfolio)
        for name, frame in read.items():
            ours = narrowed[name]
            assert len(ours) == len(frame), (portfolio, name)
            columns = list(frame.columns)
            pd.testing.assert_frame_equal(
                ours.sort_values(columns).reset_index(drop=True),
                frame.sort_values(columns).reset_index(drop=True),
                check_like=True,
            )
    # the comparison means something: the demo has people and dependencies across portfolios
    deps = whole["dependencies"]
    owner = whole["projects"].set_index("project_id")["portfolio"]
    assert (deps["project_id"].map(owner) != deps["supplier_project_id"].map(owner)).any()


def test_a_portfolio_s_scope_reads_from_the_store_what_the_function_has_not_read(
    demo_store, monkeypatch
):
    """The summary's comparison takes each portfolio's scope of the function's snapshot: the
    tables the function has read narrowed in memory, the others (the million bookings and
    financial rows at 100x) read in the portfolio's scope from the store, its sums the store's:
    the very rows, in the very order, that narrowing gives."""
    day = store.list_snapshots(demo_store)["as_of"].max().date()
    whole = data.Snapshot(pd.Timestamp(day), data.snapshot_tables(demo_store, day, None))
    small = whole.portfolio_scope(DA)  # at 1x no table is worth reading per portfolio
    assert small.tables.stored is None and small.key == whole.in_portfolio(DA).key
    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # every table alone, as at 100x
    monkeypatch.setattr(data, "SCOPE_READ_ROWS", 0)  # and every one as large as the bookings
    data.forget_snapshots()
    whole = data.Snapshot(pd.Timestamp(day), data.snapshot_tables(demo_store, day, None))
    whole["projects"], whole["demand"], whole["milestones"]  # what the function's page read
    scopes = {p: whole.portfolio_scope(p) for p in sorted(set(whole["projects"]["portfolio"]))}
    frames = {p: {n: scope[n] for n in scope.tables} for p, scope in scopes.items()}
    counts = {p: {n: scope.rows(n) for n in scope.tables} for p, scope in scopes.items()}
    sums = {p: spend.months_of(scope) for p, scope in scopes.items()}
    assert not whole.tables.has_read("allocations") and not whole.tables.has_read("financials")
    for portfolio, scope in scopes.items():
        narrowed = whole.in_portfolio(portfolio)
        assert scope.key == narrowed.key
        for name, frame in frames[portfolio].items():
            pd.testing.assert_frame_equal(frame, narrowed[name], obj=f"{portfolio} {name}")
            assert counts[portfolio][name] == len(frame)
        pd.testing.assert_frame_equal(
            sums[portfolio], spend.project_months(narrowed["financials"]), rtol=1e-12
        )
    assert whole.portfolio_scope(DA).tables.has_read("projects") is False  # read when asked


def test_a_narrowed_snapshot_counts_its_rows_without_building_them(demo_store):
    """The run's plan counts every scope's rows of every table: counted from the rows kept,
    the same as the frames the report then builds."""
    day = store.list_snapshots(demo_store)["as_of"].max().date()
    whole = data.Snapshot(pd.Timestamp(day), data.snapshot_tables(demo_store, day, None))
    da = whole.in_portfolio(DA)
    subs = sorted(set(da["projects"]["sub_portfolio"].dropna()))
    programs = sorted(set(da["projects"]["program"].dropna()))
    for narrowed in [da.in_sub_portfolio(s) for s in subs] + [da.in_program(p) for p in programs]:
        counted = {name: narrowed.rows(name) for name in narrowed.tables}
        assert "none read yet" in repr(narrowed.tables)  # counting built no frame
        assert counted == {name: len(narrowed[name]) for name in narrowed.tables}
        assert narrowed.rows("projects") > 0 and not narrowed.is_empty
    assert da.in_program("no such program").is_empty
