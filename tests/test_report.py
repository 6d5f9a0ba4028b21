"""Page parts: formatted tables and numbers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from pmo_lib import formatting, hierarchy
from pmo_lib.report import clean_figure
from pmo_lib.tables import html_table


def test_numbers_read_as_money_percentages_counts_and_dates():
    assert formatting.money(1234567.4) == "$1,234,567"
    assert formatting.money(-2500, "GBP") == "-£2,500"
    assert formatting.money(1_250_000, compact=True) == "$1.2M"
    assert formatting.money(float("inf")) == "" and formatting.money(None) == ""
    assert formatting.percent(85.94) == "85.9%"
    assert (
        formatting.signed(-3) == "−3"
        and formatting.signed(4) == "+4"
        and formatting.signed(0) == "0"
    )
    assert (
        formatting.date(pd.Timestamp("2026-10-31")) == "31 Oct 2026"
        and formatting.date(pd.NaT) == ""
    )


def test_a_table_formats_escapes_and_caps_its_rows():
    frame = pd.DataFrame(
        {
            "name": ["<b>A</b>", "B", "C"],
            "cost": [1000.0, None, 3.5],
            "when": pd.to_datetime(["2026-01-02", None, "2026-03-04"]),
        }
    )
    page = html_table(frame, {"name": "Project", "cost": "Cost"}, "USD", money=["cost"], max_rows=2)
    assert "&lt;b&gt;A&lt;/b&gt;" in page and "<b>A</b>" not in page
    assert '<td class="num">$1,000</td>' in page and '<td class="num"></td>' in page
    assert "C" not in page.split("</table>")[0].split("<tbody>")[1]
    assert "The first 2 rows are shown; 1 more are not." in page
    assert "when" not in page  # only the columns asked for
    assert (
        html_table(frame.iloc[:0], None, "USD", empty="Nothing to fix.")
        == '<p class="pmo-empty">Nothing to fix.</p>'
    )


def test_workbook_sheet_names_are_excel_safe_and_unique(tmp_path):
    from openpyxl import load_workbook

    from pmo_lib import workbook

    assert (
        workbook.sheet_name("Spend: FY Plan / Outlook [draft]", [])
        == "Spend  FY Plan   Outlook  dr"
    )
    name = workbook.sheet_name("Requests past SLA, oldest first and more words", [])
    assert len(name) <= 31 and not set("[]:*?/\\") & set(name)
    assert workbook.sheet_name("Issues", ["issues"]) == "Issues 2"
    frame = pd.DataFrame(
        {
            "cost": pd.array([1.5, None], dtype="Float64"),
            "when": pd.to_datetime(["2026-01-02", None]),
        }
    )
    sheets = {
        "Costs": (workbook.sheet(frame, {"cost": "Cost", "when": "When"}), {"Cost"}, {"When"})
    }
    book = load_workbook(workbook.write(tmp_path / "t.xlsx", sheets))
    ws = book["Costs"]
    assert ws["A2"].value == 1.5 and ws["A2"].number_format == "#,##0.00" and ws["A3"].value is None
    assert ws["B2"].value.year == 2026 and ws["B2"].number_format == "yyyy-mm-dd"
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]


def test_long_tables_are_explorable_with_raw_sort_keys():
    frame = pd.DataFrame(
        {
            "name": [f"P{i}" for i in range(20)],
            "cost": [1000.0 * i for i in range(20)],
            "when": pd.to_datetime(["2026-01-02"] * 20),
        }
    )
    page = html_table(frame, None, "USD", money=["cost"], dates=["when"])
    assert page.startswith('<div class="pmo-table-wrap"><table class="pmo-table pmo-explore">')
    assert (
        '<td class="num" data-sort="19000.0">$19,000</td>' in page
    )  # sorts by number, shows money
    assert 'data-sort="2026-01-02">02 Jan 2026</td>' in page
    assert '<td class="">P3</td>' in page  # text sorts by its own text
    short = html_table(frame.head(5), None, "USD", money=["cost"])
    assert short.startswith('<div class="pmo-table-wrap"><table class="pmo-table">')
    assert "data-sort" not in short
    capped = html_table(pd.DataFrame({"n": range(6000)}), None, "USD", counts=["n"])
    assert "The first 5,000 rows are shown; 1,000 more are not." in capped


def test_a_repeated_text_or_date_is_formatted_once_and_reads_as_each_cell():
    """formatting.each_once formats a text or a date once per distinct value (a date column at
    100x repeats a few hundred dates), and every cell still reads as its own value would alone:
    the same instant in two time zones, 0.0 beside -0.0, blanks."""
    from pmo_lib import tables

    calls = []

    def date(value):
        calls.append(value)
        return formatting.date(value)

    days = pd.to_datetime(["2026-01-02", "2026-03-04"] * 3000)
    frame = pd.DataFrame({"when": days, "who": ["Ann", "Bo"] * 3000})
    shown = tables._cells(frame, "when", "", date, False, None, False)
    assert len(calls) == 2 and len(shown) == 6000
    assert shown[:2] == ['<td class="">02 Jan 2026</td>', '<td class="">04 Mar 2026</td>']
    zones = [
        pd.Timestamp("2026-01-01 00:00", tz="UTC"),
        pd.Timestamp("2026-01-01 01:00", tz="Europe/Paris"),  # the same instant
    ]
    both = formatting.each_once(formatting.timestamp, zones)
    assert both == ["01 Jan 2026 00:00", "01 Jan 2026 01:00"]
    numbers = formatting.each_once(formatting.percent, [0.0, -0.0, None, float("nan"), 0.0])
    assert numbers == [formatting.percent(v) for v in [0.0, -0.0, None, float("nan"), 0.0]]
    mixed = formatting.each_once(tables._sort_key, [True, 1, "x", pd.Timestamp("2026-01-02"), "x"])
    assert mixed == ["1", "1.0", None, "2026-01-02", None]


def test_what_changed_leaves_out_what_the_data_cannot_say():
    """A dataset without financials, risks, demand or milestones would read '0 new high risks':
    those sentences go; the page's partial-data notice says what is absent."""
    import pandas as pd

    from pmo_lib.metrics.summary import Changes
    from pmo_lib.narrative import portfolio_summary as words

    nothing = pd.DataFrame(columns=["project_id", "project_name", "item_id", "title", "stage"])
    changes = Changes(*([nothing] * 6))
    when = pd.Timestamp("2026-09-30")
    full = words.changes(changes, "USD", when)
    assert len(full) == 5 and "0 new high risks." in full
    partial = words.changes(
        changes, "USD", when, frozenset({"financials", "risks", "demand", "milestones"})
    )
    assert partial == ["**0** projects turned red; 0 recovered from red."]
    assert words.changes(changes, "USD", None) == ["There is no earlier snapshot to compare with."]


def test_the_largest_outlook_movement_says_which_way_and_counts_only_outlook_changes(demo_store):
    """A project listed for having no plan, its Outlook unchanged, is no Outlook movement (the
    demo's Data & Analytics page read "PRJ-00045 ...: $0 to $346.8k; 1 projects moved"); a
    movement reads up or down, by how much, to what."""
    from pmo_lib import data
    from pmo_lib.metrics import health, summary
    from pmo_lib.metrics.summary import Changes
    from pmo_lib.narrative import portfolio_summary as words
    from pmo_lib.params import load_all

    config = next(c for c in load_all() if c.portfolio == "Data & Analytics")
    scope = data.load_portfolio("Data & Analytics", "2026-10-31", demo_store)
    past = health.Past.of(data.all_snapshots(scope))
    found = summary.changes(scope.current, scope.previous, config, past).outlook_moves
    assert "PRJ-00045" not in set(found["project_id"])  # no plan, Outlook unchanged
    assert (found["outlook_change"].abs() >= config.spend.exception_min_amount).all()
    moves = pd.DataFrame(
        {"project_id": ["P2"], "fy_outlook": [400_000.0], "reason": ["Outlook change"]}
    )
    moves = moves.assign(project_name="Billing", outlook_change=[300_000.0])
    nothing = pd.DataFrame(columns=["project_id", "project_name", "item_id", "title", "stage"])
    said = words.changes(
        Changes(nothing, nothing, moves, nothing, nothing, nothing),
        "USD",
        pd.Timestamp("2026-09-30"),
    )
    assert (
        "The largest Outlook movement is P2 Billing: up $300.0k to $400.0k; 1 project moved past"
        " the exception threshold." in said
    )
    down = moves.assign(outlook_change=[-300_000.0], fy_outlook=[100_000.0])
    said = words.changes(
        Changes(nothing, nothing, down, nothing, nothing, nothing),
        "USD",
        pd.Timestamp("2026-09-30"),
    )
    assert "P2 Billing: down $300.0k to $100.0k; 1 project moved" in said[1]


def test_money_reads_right_at_every_magnitude():
    m = lambda v: formatting.money(v, "GBP", compact=True)  # noqa: E731
    assert [m(40.5), m(950), m(40_500), m(999_960), m(40_500_000), m(7.2e9)] == [
        "£40.50",
        "£950",
        "£40.5k",
        "£1.0M",  # not "£1,000.0k"
        "£40.5M",
        "£7.2bn",
    ]
    assert formatting.money(-0.001) == "$0" and formatting.money(-0.4) == "-$0.40"  # no "-$0"


def test_manifest_figures_are_exact_to_the_cent_and_never_inf():
    assert clean_figure(66730000.07000001) == 66730000.07
    assert clean_figure(0.1 + 0.2) == 0.3 and clean_figure(7) == 7
    assert clean_figure(float("inf")) is None and clean_figure(float("nan")) is None
    assert clean_figure(None) is None


def test_ids_sort_as_people_read_them():
    ids = pd.Series(["PRJ-10", "PRJ-2", "PRJ-100", "prj-1", "10", "9", None])
    ordered = ids.iloc[hierarchy.natural_key(ids).argsort(kind="stable")].tolist()
    assert ordered[:6] == ["9", "10", "prj-1", "PRJ-2", "PRJ-10", "PRJ-100"]
    assert pd.isna(ordered[6])  # blank last
    frame = pd.DataFrame({"rank": [1, 1, 0], "project_id": ["P-10", "P-2", "P-30"]})
    sorted_ = hierarchy.sort_naturally(frame, ["rank", "project_id"])
    assert sorted_["project_id"].tolist() == ["P-30", "P-2", "P-10"]


def test_natural_order_ranks_ids_as_natural_key_orders_them():
    """natural_order (the sort key of sort_naturally) gives natural_key's order: in Arrow for
    1,000 IDs or more that are text then a number, the general way for any other shape or a
    short column, blanks last and equal keys equal."""
    rng = np.random.default_rng(7)
    prefixes = ["PRJ-", "prj-", "Prj_", "D", "AB-", "ab", "É-", "é-"]
    ids = [
        f"{rng.choice(prefixes)}{rng.integers(0, 5000):0{rng.integers(1, 6)}d}" for _ in range(3000)
    ]
    shapes = {
        "text then a number": ids + [None] * 20,
        "other shapes too": ids + ["10", "PRJ-1a", "", "x", None],
        "numbers as text": ["10", "9", "010", None],
        "one blank": [None],
        # digits of another script: natural_key reads "１2" as 12 (the general way)
        "other digits": ids + ["PRJ-１2", "PRJ-20", "PRJ-12", "PRJ-٣", "①5", "A-2"],
        # 18 digits beside a blank: no float in between (2**53 + 1 and 2**53 apart)
        "long numbers": ids + ["X9007199254740993", "X9007199254740992", None, "X1"],
        "short": ["PRJ-10", "prj-2", None, "PRJ-1"],
    }
    for name, values in shapes.items():
        column = pd.Series(values, dtype="str")
        order = hierarchy.natural_order(column)
        keys = hierarchy.natural_key(column)
        expected = column.iloc[keys.argsort(kind="stable")].tolist()
        assert column.iloc[order.argsort(kind="stable")].tolist() == expected, name
        same = keys.duplicated(keep=False)  # PRJ-7 and prj-007: one key, one rank
        for k in set(keys[same]):
            assert order[keys == k].nunique() == 1, (name, k)
    as_object = pd.Series(["P-10", "P-2", None], dtype=object)  # not Arrow: the general way
    assert as_object.iloc[hierarchy.natural_order(as_object).argsort()].tolist()[:2] == [
        "P-2",
        "P-10",
    ]


def test_the_workbook_keeps_each_cell_s_type_and_leaves_missing_values_blank(tmp_path):
    """Numbers stay numbers (NaN and infinity: blank cells), whole numbers and flags keep their
    type, text stays text, dates are dates; a sheet's header row is frozen."""
    import openpyxl

    from pmo_lib import workbook

    table = workbook.sheet(
        pd.DataFrame(
            {
                "name": pd.array(["A", None, "C"], dtype="str"),
                "count": pd.array([1, None, 3], dtype="Int64"),
                "ratio": [0.5, float("nan"), float("inf")],
                "late": pd.array([True, None, False], dtype="boolean"),
                "due": pd.to_datetime(["2026-03-31", None, "2026-04-30"]),
                "mixed": pd.Series([np.int64(5), None, np.float64(2.5)], dtype=object),
                "took": pd.to_timedelta([1.5, None, 2], unit="D"),
            }
        ),
        None,
    )
    path = workbook.write(tmp_path / "t.xlsx", {"T": (table, set(), {"due"})})
    ws = openpyxl.load_workbook(path)["T"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [c.value for c in ws[1]] == ["name", "count", "ratio", "late", "due", "mixed", "took"]
    assert rows[0][:4] == ["A", 1, 0.5, True] and rows[0][4].date().isoformat() == "2026-03-31"
    assert rows[0][5:] == [5, 1.5] and rows[2][5:] == [2.5, 2]  # numbers, whatever their type
    assert rows[1] == [None] * 7
    assert rows[2][2] is None and rows[2][3] is False
    assert ws["E2"].number_format == "yyyy-mm-dd" and ws.freeze_panes == "A2"


def test_text_that_looks_like_a_formula_is_written_to_excel_as_text(tmp_path):
    """OWASP formula injection: names typed as =HYPERLINK(...), =cmd|..., +1, -2, @SUM, tab or
    CR stay text (no <f> element, quote-prefixed); numbers stay numbers."""
    import zipfile

    import openpyxl

    from pmo_lib import workbook

    names = ['=HYPERLINK("http://x","click")', "=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)"]
    names += ["\tx", "\rx", "plain"]
    table = pd.DataFrame({"name": names, "amount": [-1.5, 2, 3, 4, 5, 6, 7, 8]})
    path = workbook.write(tmp_path / "t.xlsx", {"T": (table, {"amount"}, set())})
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    cells = openpyxl.load_workbook(path)["T"]
    read = [c.value for c in cells["A"][1:]]
    assert read[:6] + read[7:] == names[:6] + names[7:] and read[6].endswith("x")  # XML: CR→LF
    assert [c.quotePrefix for c in cells["A"][1:]] == [True] * 7 + [False]
    assert [c.data_type for c in cells["B"][1:]] == ["n"] * 8 and cells["B"][1].value == -1.5


def test_data_text_in_charts_is_shown_as_text_not_markup(monkeypatch):
    """A name typed as <a href> or <span style> reaches plotly as escaped text in every label,
    category, hover, legend, tick and title of the rendered chart."""
    import json

    from pmo_lib import charts, report

    evil = '<a href="http://evil.example">click</a><span style="font-size:99px">big</span>'
    table = pd.DataFrame(
        {"label": [evil, "B & C"], "Green": [1, 0], "Amber": [0, 1], "Red": [0, 0]}
    )
    owners = pd.DataFrame({"owner": [evil], "issues": [3], "records": [2]})
    shown = []
    monkeypatch.setattr(report, "_display", shown.append)
    for fig in (
        charts.rag_bars(table, "label", f"RAG by {evil}", "Sub-portfolio"),
        charts.issues_by_owner(owners, "Issues per owner"),
    ):
        for interactive in (False, True):  # the page's div, the lab's plotly mimetype
            report.Report.chart(SimpleNamespace(interactive=interactive), fig)
    assert len(shown) == 4
    for bundle in shown:
        assert len([m for m in bundle if m != "text/plain"]) == 1  # each chart sent once
        text = bundle.get("text/html") or json.dumps(bundle["application/vnd.plotly.v1+json"])
        assert "<a href" not in text and "<span style" not in text
        assert "\\u003ca href" not in text  # plotly's JSON escaping of "<"
        assert "&lt;a href=" in text or "&amp;lt;a href=" in text


def test_long_text_is_cut_on_the_page_and_in_charts():
    from pmo_lib import charts

    huge = "x" * 100_000
    page = html_table(pd.DataFrame({"name": [huge]}), None, "USD")
    assert len(page) < 1_000 and "x" * 299 + "…" in page
    fig = charts.escape_data_text(
        charts.rag_bars(pd.DataFrame({"label": [huge], "Red": [1]}), "label", "t", "x")
    )
    assert fig.data[0].x[0] == "x" * 119 + "…"


def test_open_report_takes_the_sections_the_notebook_imports_and_imports_none_by_name():
    """No hidden loop: the sections modules import pmo_lib.report, so report.py never imports
    them; the notebook passes the module it imports, and forgetting it says what to write."""
    import ast
    import json
    from pathlib import Path

    import pytest

    from pmo_lib.errors import PMOError
    from pmo_lib.report import open_report
    from pmo_lib.sections import health, spend

    root = Path(__file__).resolve().parents[1]
    tree = ast.parse((root / "pmo_lib" / "report.py").read_text())
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {m for m in imported if m and "sections" in m} and "importlib" not in imported
    with pytest.raises(PMOError, match=r"pass `open_report\('spend', \.\.\., sections=sections\)`"):
        open_report("spend", "Data & Analytics")
    with pytest.raises(PMOError, match="sections of another report"):
        open_report("spend", "Data & Analytics", sections=health)
    with pytest.raises(PMOError, match="no analyse"):
        open_report("spend", "Data & Analytics", sections=pd)
    assert callable(spend.analyse)
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        cells = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]
        calls = [c for c in cells if "open_report(" in c]
        if path.stem == "explore":
            assert not calls  # the scratch pad calls metrics, not a report
            continue
        assert len(calls) == 1 and "sections=sections," in calls[0], path.name
        assert f"from pmo_lib.sections import {path.stem} as sections" in calls[0], path.name


def test_the_summary_says_why_each_exception_needs_a_decision():
    """The summary's metrics give numbers (metrics.summary.Exceptions); the words, with money in
    the report's currency, are the page's."""
    from pmo_lib.metrics.summary import Exceptions
    from pmo_lib.narrative import portfolio_summary as words

    found = Exceptions(
        health=pd.DataFrame(
            {"project_id": ["P1"], "project_name": ["Ledger"], "why": ["Schedule: slip 40 days."]}
        ),
        spend=pd.DataFrame(
            {
                "project_id": ["P2"],
                "project_name": ["Payroll"],
                "fy_plan": [1_000_000.0],
                "fy_outlook": [1_250_000.5],
                "reason": ["variance"],
            }
        ),
        demand=pd.DataFrame(
            {
                "demand_id": ["D9"],
                "title": ["New CRM"],
                "stage": ["Triage"],
                "age_days": [45],
                "sla_days": [30.0],
            }
        ),
        resourcing=pd.DataFrame({"role": ["Data Engineer"], "next_3_months": [1234.4]}),
    )
    rows = words.exceptions(found, "GBP")
    assert rows.to_dict("records") == [
        {"area": "Health", "item": "P1 Ledger", "why": "Schedule: slip 40 days."},
        {
            "area": "Spend",
            "item": "P2 Payroll",
            "why": "Outlook £1,250,000 against a plan of £1,000,000 (variance)",
        },
        {"area": "Demand", "item": "D9 New CRM", "why": "45 days in Triage (SLA 30)"},
        {
            "area": "Resourcing",
            "item": "Data Engineer",
            "why": "short 1,234 hours over the next 3 months",
        },
    ]
    nothing = Exceptions(*(frame.iloc[:0] for frame in vars(found).values()))
    empty = words.exceptions(nothing, "GBP")
    assert empty.empty and list(empty.columns) == ["area", "item", "why"]


def test_every_table_option_is_a_keyword_and_documented():
    import inspect

    parameters = inspect.signature(html_table).parameters.values()
    options = [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert len(options) == 15 and [p.name for p in parameters][:3] == [
        "frame",
        "columns",
        "currency",
    ]
    doc = inspect.getdoc(html_table)
    assert [name for name in options if f"{name}:" not in doc] == []


def test_charts_name_every_colour_from_one_palette():
    import ast
    import re
    from pathlib import Path

    from pmo_lib import charts

    source = (Path(__file__).resolve().parents[1] / "pmo_lib" / "charts.py").read_text()
    tree = ast.parse(source)
    palette = next(
        n
        for n in tree.body
        if isinstance(n, ast.Assign)
        and isinstance(n.targets[0], ast.Name)
        and n.targets[0].id == "PALETTE"
    )
    outside = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"#[0-9a-fA-F]{3,8}", node.value)
        and not palette.lineno <= node.lineno <= palette.end_lineno
    ]
    assert outside == []
    assert len(set(charts.PALETTE.values())) == len(charts.PALETTE)  # one name per colour
    assert set(charts.RAG_COLOURS.values()) <= set(charts.PALETTE.values())
