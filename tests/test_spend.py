"""Spend metrics on small hand-computed cases: fiscal years, Outlook, run rate, roll-up, earned
value."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_lib.data import Snapshot
from pmo_lib.metrics import spend
from pmo_lib.periods import fiscal_year
from tests.conftest import frame


def fin(pid: str, period: str, measure: str, amount: float, **values) -> dict:
    return {"project_id": pid, "period": period, "measure": measure, "amount": amount, **values}


@pytest.mark.parametrize(
    "day, start, name, first, last",
    [
        ("2026-10-31", 1, "FY2026", "2026-01-01", "2026-12-31"),
        ("2026-01-31", 1, "FY2026", "2026-01-01", "2026-12-31"),  # first month of the year
        ("2026-12-31", 1, "FY2026", "2026-01-01", "2026-12-31"),  # last month of the year
        ("2026-10-31", 4, "FY2027", "2026-04-01", "2027-03-31"),
        ("2026-04-30", 4, "FY2027", "2026-04-01", "2027-03-31"),
        ("2026-03-31", 4, "FY2026", "2025-04-01", "2026-03-31"),
        ("2026-10-31", 10, "FY2027", "2026-10-01", "2027-09-30"),
        ("2026-09-30", 10, "FY2026", "2025-10-01", "2026-09-30"),
    ],
)
def test_fiscal_years(day, start, name, first, last):
    fy = fiscal_year(pd.Timestamp(day), start)
    assert (fy.name, fy.start, fy.end) == (name, pd.Timestamp(first), pd.Timestamp(last))
    assert len(fy.months()) == 12 and fy.months()[0] == fy.start


# FY with start month 4, as_of 31 May 2026: April and May are closed, June - March are open.
AS_OF = pd.Timestamp("2026-05-31")
ROWS = frame(
    "financials",
    [
        fin("P1", "2026-04-01", "plan", 100.0),
        fin("P1", "2026-05-01", "plan", 100.0),
        fin("P1", "2026-06-01", "plan", 100.0),
        fin("P1", "2026-04-01", "actual", 120.0),
        fin("P1", "2026-05-01", "actual", 90.0),
        fin("P1", "2026-06-01", "forecast", 130.0),
        fin("P1", "2026-05-01", "forecast", 999.0),  # stale: a closed month
        fin("P1", "2026-03-01", "actual", 50.0),
        fin("P1", "2026-02-01", "actual", 40.0),  # last FY
        fin("P2", "2026-05-01", "actual", 10.0),  # no plan at all
        fin("P2", "2027-04-01", "plan", 500.0),  # next FY
    ],
)


def test_fy_position_ytd_outlook_variance_and_run_rate():
    pos = spend.fy_position(ROWS, AS_OF, 4)
    assert pos["fiscal_year"] == "FY2027"
    assert pos["fy_plan"] == 300.0 and pos["ytd_plan"] == 200.0
    assert pos["ytd_actual"] == 220.0  # 120 + 90 + 10
    assert pos["fy_outlook"] == 350.0  # 220 + 130 (the stale forecast in May does not count)
    assert pos["fy_variance"] == 50.0 and pos["fy_variance_pct"] == pytest.approx(50 / 3)
    # last three closed months Mar, Apr, May: (50 + 120 + 100) / 3 = 90 a month, 10 months left
    assert pos["fy_run_rate_projection"] == pytest.approx(220 + 90 * 10)


def test_as_of_in_the_first_and_last_month_of_the_year():
    first = spend.fy_position(ROWS, pd.Timestamp("2026-04-15"), 4)  # April not closed yet
    assert first["ytd_actual"] == 0 and first["ytd_plan"] == 0
    assert (
        first["fy_outlook"] == 130.0 + 999.0
    )  # May is open now: its forecast counts; April's actual is not booked
    # run rate: Jan (0), Feb (40), Mar (50) -> 30 a month x 12 months left
    assert first["fy_run_rate_projection"] == pytest.approx(30 * 12)
    last = spend.fy_position(ROWS, pd.Timestamp("2027-03-31"), 4)  # every month closed
    # June is closed with a forecast and no actual: its forecast stays in the Outlook, said apart
    assert last["ytd_actual"] == 220.0 and last["fy_outlook"] == 350.0
    assert last["fy_forecast_closed"] == 130.0
    assert last["fy_run_rate_projection"] == 220.0


def test_a_register_with_one_forecast_a_year_keeps_it_in_the_outlook():
    """A yearly return: plan 1,000 and forecast 1,100 dated the year's first month, which is
    closed, with no actuals: the Outlook is 1,100 (not 0, not a -100 % variance)."""
    rows = frame(
        "financials",
        [
            fin("P1", "2026-04-01", "plan", 1000.0),
            fin("P1", "2026-04-01", "forecast", 1100.0),
            fin("P2", "2026-04-01", "plan", 500.0),
            fin("P2", "2026-04-01", "forecast", 450.0),
            fin("P2", "2026-04-01", "actual", 400.0),  # booked: the actual wins
        ],
    )
    pos = spend.fy_position(rows, pd.Timestamp("2026-10-31"), 4)
    assert pos["fy_outlook"] == 1100.0 + 400.0 and pos["fy_forecast_closed"] == 1100.0
    assert pos["ytd_actual"] == 400.0 and pos["fy_variance"] == 0.0
    burn = spend.monthly_burn(
        rows, pd.Timestamp("2026-10-31"), fiscal_year(pd.Timestamp("2026-10-31"), 4)
    )
    april = burn.iloc[0]
    assert (april["actual"], april["forecast"]) == (400.0, 1100.0)


def test_monthly_burn_and_mix():
    fy = fiscal_year(AS_OF, 4)
    burn = spend.monthly_burn(ROWS, AS_OF, fy).set_index("month")
    assert list(burn.loc["2026-05-01", ["plan", "actual", "forecast"]]) == [100.0, 100.0, 0.0]
    assert burn.loc["2026-06-01", "forecast"] == 130.0 and burn["closed"].sum() == 2
    assert (
        burn["cumulative_outlook"].iloc[-1] == 350.0 and burn["cumulative_plan"].iloc[-1] == 300.0
    )
    rows = ROWS.assign(expense_type=pd.array(["Capex"] * 6 + [None] * 5, dtype="str"))
    m = spend.mix(rows, AS_OF, fy, "expense_type").set_index("expense_type")
    assert m.loc["Capex", "fy_plan"] == 300.0 and m.loc["Capex", "fy_outlook"] == 340.0
    assert m.loc["(not given)", "fy_outlook"] == 10.0


def _projects(*rows: dict) -> pd.DataFrame:
    base = {"portfolio": "A", "status": "Active", "project_manager": "Ann"}
    return frame("projects", [{**base, "project_name": r["project_id"].lower(), **r} for r in rows])


def test_the_roll_up_reconciles_to_the_cent_at_every_level():
    projects = _projects(
        {"project_id": "P1", "sub_portfolio": "S1", "program": "G1"},
        {"project_id": "P2", "sub_portfolio": "S1", "program": None},
        {"project_id": "P3", "portfolio": "B", "sub_portfolio": "S2", "program": "G2"},
        {
            "project_id": "P4",
            "portfolio": "B",
            "sub_portfolio": "S2",
            "program": "G2",
        },  # no financials
    )
    rows = frame(
        "financials",
        [
            fin("P1", "2026-04-01", "actual", 0.10),
            fin("P1", "2026-04-01", "plan", 0.20),
            fin("P2", "2026-05-01", "actual", 1234.57),
            fin("P3", "2026-06-01", "forecast", 0.01),
            fin("P3", "2026-04-01", "plan", 99.99),
        ],
    )
    per = spend.with_projects(projects, spend.fy_by_project(rows, AS_OF, fiscal_year(AS_OF, 4)))
    tree = spend.roll_up(per, "Function")
    assert list(tree["level"]) == [0, 1, 2, 3, 4, 3, 4, 1, 2, 3, 4, 4]
    assert tree.loc[tree["name"] == "(no program)", "projects"].item() == 1
    for _, row in tree.iterrows():
        children = tree[
            (tree["level"] == row["level"] + 1)
            & tree["key"].map(lambda k, key=row["key"]: k[: len(key)] == key)
        ]
        if len(children):
            for column in spend.FY_COLUMNS:
                assert round(children[column].sum(), 2) == round(row[column], 2), (
                    row["name"],
                    column,
                )
    top = tree.iloc[0]
    raw_actual = rows.loc[rows["measure"] == "actual", "amount"].sum()
    assert round(top["ytd_actual"], 2) == round(raw_actual, 2) == 1234.67
    assert round(top["fy_outlook"], 2) == 1234.68 and round(top["fy_plan"], 2) == 100.19


def test_earned_value_per_project_and_for_the_group():
    projects = _projects(
        {"project_id": "P1", "budget_at_completion": 1000.0, "percent_complete": 50.0},
        {"project_id": "P2", "budget_at_completion": 0.0, "percent_complete": 10.0},  # zero budget
        {
            "project_id": "P3",
            "budget_at_completion": 400.0,
            "percent_complete": 0.0,
        },  # no plan, no actuals
    )
    rows = frame(
        "financials",
        [
            fin("P1", "2026-04-01", "plan", 300.0),
            fin("P1", "2026-05-01", "plan", 300.0),
            fin("P1", "2026-06-01", "plan", 400.0),
            fin("P1", "2026-04-01", "actual", 250.0),
            fin("P1", "2026-05-01", "actual", 375.0),
            fin("P2", "2026-05-01", "actual", 80.0),
            fin("P2", "2026-05-01", "plan", 100.0),
        ],
    )
    ev = spend.earned_value(projects, rows, AS_OF).set_index("project_id")
    p1 = ev.loc["P1"]
    # PV 600 (closed months), EV 500, AC 625: CV -125, SV -100, CPI 0.8, SPI 5/6, EAC 1250, ETC 625,
    # VAC -250, TCPI 500/375
    assert (p1["pv"], p1["ev"], p1["ac"], p1["cv"], p1["sv"]) == (
        600.0,
        500.0,
        625.0,
        -125.0,
        -100.0,
    )
    assert p1["cpi"] == pytest.approx(0.8) and p1["spi"] == pytest.approx(5 / 6)
    assert (p1["eac"], p1["etc"], p1["vac"]) == pytest.approx((1250.0, 625.0, -250.0))
    assert p1["tcpi"] == pytest.approx(500 / 375)
    p2 = ev.loc["P2"]  # EV 0: CPI 0, so EAC = BAC / 0 is blank, not inf
    assert p2["cpi"] == 0.0 and pd.isna(p2["eac"]) and pd.isna(p2["etc"]) and pd.isna(p2["vac"])
    p3 = ev.loc["P3"]  # nothing spent or planned: CPI, SPI, EAC blank
    assert pd.isna(p3["cpi"]) and pd.isna(p3["spi"]) and pd.isna(p3["eac"]) and p3["tcpi"] == 1.0
    assert (
        not ev[["cpi", "spi", "eac", "etc", "vac", "tcpi"]]
        .isin([float("inf"), float("-inf")])
        .any()
        .any()
    )
    total = spend.earned_value_total(ev.reset_index())
    # sums: BAC 1400, PV 700, EV 500, AC 705 -> CPI 500/705, SPI 500/700 (not the mean of the
    # projects' ratios)
    assert total["cpi"] == pytest.approx(500 / 705) and total["spi"] == pytest.approx(500 / 700)
    assert total["eac"] == pytest.approx(1400 / (500 / 705))
    other = spend.earned_value(projects, rows, AS_OF, "AC+(BAC-EV)").set_index("project_id")
    assert other.loc["P1", "eac"] == 625 + 500
    assert (
        spend.quadrant(0.8, 1.1) == "over budget, ahead of schedule"
        and spend.quadrant(None, 1) == "no data"
    )


def test_exceptions_by_variance_and_by_outlook_change():
    current = pd.DataFrame(
        {
            "project_id": ["A", "B", "C", "D"],
            "project_name": list("abcd"),
            "project_manager": "Ann",
            "fy_plan": [1000.0, 1000.0, 0.0, 1000.0],
            "fy_outlook": [1200.0, 1050.0, 600.0, 1090.0],
        }
    )
    current["fy_variance"] = current["fy_outlook"] - current["fy_plan"]
    current["fy_variance_pct"] = spend.variance_pct(current["fy_variance"], current["fy_plan"])
    previous = pd.DataFrame({"project_id": ["A", "B", "D"], "fy_outlook": [1200.0, 900.0, 1090.0]})
    found = spend.exceptions(
        current, previous, variance_pct_limit=10, min_amount=100, change_pct_limit=10
    )
    # A: +20 % and 200 -> variance; B: +5 % but moved 150 (16.7 %) -> Outlook change; C: no plan,
    # 600 -> variance;
    # D: +9 % -> not listed. Largest absolute variance first.
    assert list(zip(found["project_id"], found["reason"], strict=True)) == [
        ("C", "variance"),
        ("A", "variance"),
        ("B", "Outlook change"),
    ]
    assert spend.exceptions(current, None, 10, 100, 10)["project_id"].tolist() == ["C", "A"]


def test_financial_hygiene_rules():
    projects = _projects(
        {"project_id": "P1", "percent_complete": 40.0},
        {"project_id": "P2", "percent_complete": 100.0},
        {"project_id": "P3", "status": "Closed"},
    )
    rows = frame(
        "financials",
        [
            fin("P1", "2026-04-01", "plan", 10.0),
            fin("P1", "2026-05-01", "forecast", 5.0),  # stale forecast, none ahead
            fin("P3", "2026-04-01", "actual", 7.0),
            fin("P3", "2026-05-01", "actual", -2.0),  # no plan, and a credit
        ],
    )
    found = spend.hygiene(projects, rows, AS_OF)
    assert list(zip(found["project_id"], found["rule"], strict=True)) == [
        ("P3", "actuals_without_plan"),
        ("P1", "forecast_in_closed_month"),
        ("P3", "negative_amount"),
        ("P1", "no_remaining_forecast"),
    ]
    assert (
        found.loc[found["rule"] == "negative_amount", "detail"].item()
        == "1 negative amount(s), total -2.00"
    )


def test_outlook_drift_and_largest_moves():
    projects = _projects({"project_id": "P1"}, {"project_id": "P2"})
    history = [
        Snapshot(
            pd.Timestamp("2026-04-30"),
            {
                "financials": frame(
                    "financials",
                    [
                        fin("P1", "2026-06-01", "forecast", 100.0),
                        fin("P2", "2026-06-01", "forecast", 50.0),
                    ],
                )
            },
        ),
        Snapshot(
            pd.Timestamp("2026-05-31"),
            {
                "financials": frame(
                    "financials",
                    [
                        fin("P1", "2026-06-01", "forecast", 160.0),
                        fin("P2", "2026-06-01", "forecast", 45.0),
                    ],
                )
            },
        ),
    ]
    drift = spend.outlook_drift(history, projects, fiscal_year(AS_OF, 4))
    assert spend.drift_by_portfolio(drift)["fy_outlook"].tolist() == [150.0, 205.0]
    moves = spend.largest_moves(drift)
    assert list(zip(moves["project_id"], moves["change"], strict=True)) == [
        ("P1", 60.0),
        ("P2", -5.0),
    ]


# -- the report's sentences (pmo_lib.narrative.spend) --------------------------------------------
POSITION = {
    "fiscal_year": "FY2027",
    "fy_plan": 1_000_000.0,
    "ytd_plan": 450_000.0,
    "ytd_actual": 500_000.0,
    "fy_outlook": 1_200_000.0,
    "fy_variance": 200_000.0,
    "fy_variance_pct": 20.0,
    "fy_forecast_closed": 0.0,
    "fy_run_rate_projection": 1_100_000.0,
}


def test_the_headline_says_outlook_against_plan_and_the_run_rate():
    from pmo_lib.narrative import spend as words

    assert words.headline(POSITION, "USD") == (
        "For FY2027 the Outlook is **$1.2M**, $200.0k (20.0%) above the FY Plan of $1.0M. Spend"
        " to date is $500.0k against a YTD plan of $450.0k. At the run rate of the last three"
        " months the year would end at $1.1M, $100.0k below the managers' Outlook."
    )
    no_plan = {**POSITION, "fy_variance_pct": None, "fy_forecast_closed": 25_000.0}
    assert words.headline(no_plan, "USD") == (
        "For FY2027 the Outlook is **$1.2M**, $200.0k above the FY Plan of $1.0M. Spend to date"
        " is $500.0k against a YTD plan of $450.0k. The Outlook includes $25.0k of forecasts for"
        " closed months that have no actuals booked (taken as the best figure there is). At the"
        " run rate of the last three months the year would end at $1.1M, $100.0k below the"
        " managers' Outlook."
    )
    assert words.tiles(no_plan, "USD")[4] == ("Variance", "$200.0k", "Outlook − Plan")


def test_the_exceptions_sentence_leaves_out_a_blank_manager_and_says_when_none_pass():
    from types import SimpleNamespace

    from pmo_lib.narrative import spend as words

    limits = SimpleNamespace(
        exception_variance_pct=10.0, exception_min_amount=50_000.0, exception_outlook_change_pct=5.0
    )
    rule = (
        "A project is listed when |Outlook − Plan| is at least 10.0% of its plan and $50,000, when"
        " it has no plan but an Outlook of at least that amount, or when its Outlook moved 5.0%"
        " and that amount since the previous snapshot."
    )
    found = pd.DataFrame(
        {
            "project_id": ["P1", "P2"],
            "project_name": ["Ledger", "Payroll"],
            "project_manager": [None, "Ann Lee"],
            "fy_variance": [250_000.0, -60_000.0],
        }
    )
    assert words.exceptions(found, limits, "USD") == (
        rule + " **2** projects do; the largest variance is P1 Ledger, $250.0k."
    )
    assert words.exceptions(found.iloc[::-1], limits, "USD") == (
        rule + " **2** projects do; the largest variance is P2 Payroll (Ann Lee), -$60.0k."
    )
    assert words.exceptions(found.iloc[:0], limits, "USD") == (
        rule + " No project passes these thresholds."
    )
    assert words.drift(found.iloc[:0], 1, "USD") == (
        "There is only one snapshot, so the Outlook has no history yet."
    )
    assert words.drift(found.iloc[:0], 3, "USD") == (
        "No project's Outlook moved across the 3 snapshots."
    )
    assert words.hygiene(found.iloc[:0]) == "No financial hygiene issue found."


def test_the_last_closed_month_is_the_latest_month_is_closed_month_accepts():
    from pmo_lib.periods import is_closed_month, last_closed_month

    assert last_closed_month(pd.Timestamp("2026-10-31")) == pd.Timestamp("2026-10-01")
    assert last_closed_month(pd.Timestamp("2026-10-30")) == pd.Timestamp("2026-09-01")
    assert last_closed_month(pd.Timestamp("2027-01-01")) == pd.Timestamp("2026-12-01")
    assert last_closed_month(pd.Timestamp("2028-02-29")) == pd.Timestamp("2028-02-01")
    months = pd.Series(pd.date_range("2025-01-01", "2028-12-01", freq="MS"))
    for day in pd.date_range("2026-01-01", "2028-03-31", freq="D"):
        assert months[is_closed_month(months, day)].max() == last_closed_month(day), day


# -- the per-project, per-month sums the store computes (store.financial_months) --------------
MONTH_ROWS = [
    fin("P1", "2026-09-01", "plan", 100.0, cost_category="Labour"),
    fin("P1", "2026-09-01", "actual", 50.0, cost_category="Labour"),
    fin("P1", "2026-09-01", "actual", 40.0, cost_category="Software"),
    fin("P1", "2026-09-01", "forecast", 95.0),  # closed and booked: not in the Outlook
    fin("P1", "2026-10-01", "plan", 100.0),
    fin("P1", "2026-10-01", "forecast", 80.0),  # closed, no actual row: counts in the Outlook
    fin("P1", "2026-10-01", "forecast", 0.0, cost_category="Software"),  # zero: no hygiene row
    fin("P1", "2026-11-01", "plan", 100.0),
    fin("P1", "2026-11-01", "forecast", 120.0),  # open month
    fin("P2", "2026-10-01", "actual", None),  # an actual row with a blank amount: booked, 0
    fin("P2", "2026-10-01", "plan", -10.0),  # a credit
    fin("P2", "2026-10-01", "forecast", None),  # blank, in a closed month: a hygiene row
]
MONTHS_BY_HAND = pd.DataFrame(
    {
        "project_id": ["P1", "P1", "P1", "P2"],
        "period": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-11-01", "2026-10-01"]),
        "plan": [100.0, 100.0, 100.0, -10.0],
        "actual": [90.0, 0.0, 0.0, 0.0],
        "forecast": [95.0, 80.0, 120.0, 0.0],
        "booked": [True, False, False, True],
    }
).astype(spend.MONTH_DTYPES)
# what the hygiene checks list: forecasts not zero in closed months (the blank one of P2
# too; not P1's zero, nor November's open one), and the credit
CHECKS_BY_HAND = pd.DataFrame(
    {
        "project_id": ["P1", "P1", "P2"],
        "period": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-10-01"]),
        "stale_forecast_rows": [1, 1, 1],
        "negative_rows": [0, 0, 1],
        "negative_amount": [0.0, 0.0, -10.0],
    }
).astype(spend.CHECK_DTYPES)


def _month_store(tmp_path):
    from datetime import date

    from pmo_lib import store

    path = tmp_path / "months.duckdb"
    projects = frame(
        "projects",
        [
            {"project_id": "P1", "project_name": "One", "portfolio": "A", "status": "Active"},
            {"project_id": "P2", "project_name": "Two", "portfolio": "B", "status": "Active"},
        ],
    )
    frames = {"projects": projects, "financials": frame("financials", MONTH_ROWS)}
    store.write_snapshot(path, frames, date(2026, 10, 31), "test")
    return path


def test_project_months_by_hand_in_pandas_and_in_the_store(tmp_path):
    from datetime import date

    from pmo_lib import store

    path = _month_store(tmp_path)
    in_pandas = spend.project_months(frame("financials", MONTH_ROWS))
    pd.testing.assert_frame_equal(in_pandas, MONTHS_BY_HAND)
    pd.testing.assert_frame_equal(
        store.financial_months(path, date(2026, 10, 31), None), MONTHS_BY_HAND
    )
    only_a = store.financial_months(path, date(2026, 10, 31), "A")  # the portfolio's scope
    pd.testing.assert_frame_equal(only_a, MONTHS_BY_HAND.iloc[:3])
    rows_checks = spend.project_checks(frame("financials", MONTH_ROWS), pd.Timestamp("2026-10-31"))
    pd.testing.assert_frame_equal(rows_checks, CHECKS_BY_HAND)
    stored = store.financial_checks(path, date(2026, 10, 31), None, date(2026, 10, 1))
    pd.testing.assert_frame_equal(stored, CHECKS_BY_HAND)

    fy = fiscal_year(pd.Timestamp("2026-10-31"), 4)
    got = spend.fy_of_months(MONTHS_BY_HAND, pd.Timestamp("2026-10-31"), fy).set_index("project_id")
    assert got.loc["P1"].to_dict() == {
        "fy_plan": 300.0,
        "ytd_plan": 200.0,
        "ytd_actual": 90.0,
        "fy_forecast": 200.0,  # 120 open + the 80 of October, closed without an actual
        "fy_forecast_closed": 80.0,
        "fy_outlook": 290.0,
        "fy_variance": -10.0,
    }
    assert got.loc["P2", "fy_outlook"] == 0.0 and got.loc["P2", "fy_variance"] == 10.0
    rows = spend.fy_by_project(frame("financials", MONTH_ROWS), pd.Timestamp("2026-10-31"), fy)
    pd.testing.assert_frame_equal(rows.set_index("project_id"), got)

    # the mix summed in the store's query, as the rows give it
    for by in ("cost_category", "expense_type"):
        in_store = store.financial_mix(
            path,
            date(2026, 10, 31),
            None,
            by,
            (date(2026, 4, 1), date(2027, 3, 31)),
            date(2026, 10, 1),
        )
        from_rows = spend.mix(frame("financials", MONTH_ROWS), pd.Timestamp("2026-10-31"), fy, by)
        pd.testing.assert_frame_equal(in_store, from_rows.reset_index(drop=True))
        if by == "cost_category":  # the 80 of October counts (no actual), the 95 of Sept not
            assert in_store.values.tolist() == [
                ["(not given)", 190.0, 200.0],
                ["Labour", 100.0, 50.0],
                ["Software", 0.0, 40.0],
            ]


def test_a_stored_snapshot_s_sums_come_from_the_store_and_equal_its_rows(demo_store, monkeypatch):
    """At function and portfolio scope the sums come from the store's query (the rows are not
    read); narrowed to a sub-portfolio, from the rows; every one equal to the rows' sums."""
    from pmo_lib import data
    from pmo_lib.data import load_portfolio

    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # each table read alone, as at 100x
    data.forget_snapshots()
    for portfolio in (None, "Data & Analytics"):
        data = load_portfolio(portfolio, source=demo_store)
        for snapshot in (data.current, data.previous):
            months = spend.months_of(snapshot)
            assert not snapshot.tables.has_read("financials")
            assert spend.months_of(snapshot) is months  # once per snapshot
            from_rows = spend.project_months(snapshot["financials"])
            pd.testing.assert_frame_equal(months, from_rows, check_exact=False, rtol=1e-12)
            fy = fiscal_year(snapshot.as_of, 4)
            for by in ("cost_category", "expense_type"):
                pd.testing.assert_frame_equal(
                    spend.mix_of(snapshot, fy, by),
                    spend.mix(snapshot["financials"], snapshot.as_of, fy, by),
                    check_exact=False,
                    rtol=1e-12,
                )
            projects = snapshot["projects"]
            checks = spend.checks_of(snapshot)
            pd.testing.assert_frame_equal(
                checks,
                spend.project_checks(snapshot["financials"], snapshot.as_of),
                check_exact=False,
                rtol=1e-12,
            )
            pd.testing.assert_frame_equal(
                spend.hygiene_of_months(projects, months, checks, snapshot.as_of),
                spend.hygiene(projects, snapshot["financials"], snapshot.as_of),
            )
    narrowed = data.current.in_sub_portfolio("BI & Reporting")
    months = spend.months_of(narrowed)
    assert narrowed.tables.has_read("financials") and len(months)
    assert set(months["project_id"]) <= set(narrowed["projects"]["project_id"])


def test_a_small_store_s_sums_come_from_the_rows_it_reads_anyway(demo_store, monkeypatch):
    """At 1x every table of a snapshot is read together with the first one asked for: its sums
    and cuts come from those rows, with no query of their own (one costs more than the rows)."""
    from pmo_lib import data, store
    from pmo_lib.metrics import resourcing

    def no(*args, **kwargs):
        raise AssertionError("a query for what the rows read anyway give")

    for name in ("financial_months", "financial_checks", "financial_mix", "booked_months"):
        monkeypatch.setattr(store, name, no)
    monkeypatch.setattr(store, "rows_where", no)
    monkeypatch.setattr(store, "rows_among", no)
    data.forget_snapshots()
    loaded = data.load_portfolio("Data & Analytics", source=demo_store)
    now = loaded.current
    assert {"financials", "allocations"} <= now.tables.together
    spend.months_of(now), spend.checks_of(now), resourcing.booked_of(now, "project_id")
    spend.mix_of(now, fiscal_year(now.as_of, 4), "expense_type")
    data.rows_where(now, "allocations", "planned_hours = 0")
    data.rows_among(now, "allocations", "resource_id", ["R1"])


def test_the_spend_page_reads_no_snapshot_s_financial_rows(demo_store, monkeypatch):
    """Every spend figure of a scope read whole is summed in the store: the FY position,
    roll-up, burn, mix, earned value, hygiene, drift and forecasts read no financial row."""
    from pmo_lib import data
    from pmo_lib.params import config_for

    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)
    data.forget_snapshots()
    loaded = data.load_portfolio("Data & Analytics", source=demo_store)
    history = data.all_snapshots(loaded)
    config = config_for("Data & Analytics")
    view = spend.analyse(
        loaded.current,
        loaded.previous,
        config.fiscal_year_start_month,
        config.spend,
        history=history,
    )
    assert len(view.hygiene) and len(view.by_category) and view.has_financials
    assert not any(s.tables.has_read("financials") for s in history)


def test_the_health_page_reads_no_snapshot_s_financial_rows(demo_store, monkeypatch):
    """Health needs only financial sums (earned value, cost at completion): no snapshot's rows
    are read, not even to ask whether there are any (each table read alone, as at 100x)."""
    from pmo_lib import data
    from pmo_lib.metrics import forecast, health
    from pmo_lib.params import config_for

    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)
    data.forget_snapshots()
    loaded = data.load_portfolio(None, source=demo_store)
    history = data.all_snapshots(loaded)
    past = health.Past.of(history)
    config = config_for(None)
    for snapshot in history:
        health.assess(snapshot, config.health, config.spend.eac_formula, past)
    forecast.forecast(loaded.current, history)
    assert loaded.current.rows("financials") > 0
    assert not any(s.tables.has_read("financials") for s in history)


def test_money_axes_read_billions_as_b_not_the_si_g():
    """At 100x a function's FY Plan runs to billions: the axis reads $3B, not d3's SI $3G."""
    from pmo_lib import charts

    mix = pd.DataFrame({"expense_type": ["Capex", "Opex"], "fy_plan": [3.3e9, 3.2e9]})
    fig = charts.plan_vs_outlook(mix.assign(fy_outlook=[3.4e9, 3.3e9]), "expense_type", "t", "$")
    assert fig.layout.yaxis.tickformat is None and fig.layout.yaxis.exponentformat == "B"
    assert fig.layout.yaxis.tickprefix == "$"
