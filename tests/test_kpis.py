"""The KPI scorecard: formulas, status, sparklines and the catalogue's checks, on hand cases."""

from __future__ import annotations

import pandas as pd
import pytest

from pmo_lib.errors import PMOError
from pmo_lib.metrics import kpis
from pmo_lib.params import Kpi, config_for


def test_a_formula_is_arithmetic_over_figures_and_blank_when_they_are(monkeypatch):
    monkeypatch.setattr(kpis, "FIGURES", frozenset({"a", "b", "zero", "none", "missing", "text"}))
    figures = {"a": 3, "b": 4, "zero": 0, "none": None, "text": "n/a"}
    assert kpis.evaluate("100 * a / b", figures) == 75.0
    assert kpis.evaluate("-(a - b) * 2", figures) == 2.0
    assert kpis.evaluate("a / zero", figures) is None  # no division by zero: blank
    assert kpis.evaluate("a + none", figures) is None  # a blank figure: blank, not 0
    assert kpis.evaluate("a + missing", figures) is None
    assert kpis.evaluate("a + text", figures) is None
    with pytest.raises(PMOError, match="projects_on_shedule is no figure"):
        kpis.names_in("100 * projects_on_shedule / a")
    with pytest.raises(PMOError, match=r"only figure names, numbers, .* not Call"):
        kpis.evaluate("__import__('os')", figures)
    with pytest.raises(PMOError, match="not arithmetic"):
        kpis.names_in("a +")


@pytest.mark.parametrize(
    ("value", "better", "expected"),
    [
        (85, "higher", "Green"),
        (80, "higher", "Green"),  # at the amber threshold: not below it
        (75, "higher", "Amber"),
        (59, "higher", "Red"),
        (None, "higher", "No data"),
        (30, "lower", "Green"),
        (61, "lower", "Amber"),
        (91, "lower", "Red"),
    ],
)
def test_status_against_the_thresholds(value, better, expected):
    amber, red = (80, 60) if better == "higher" else (60, 90)
    assert kpis.status(value, amber, red, better) == expected


def test_a_sparkline_spans_the_values_shown():
    assert kpis.sparkline([1, 2, 3]) == "▁▅█"
    assert kpis.sparkline([5, None, 5]) == "▄ ▄"  # flat: the middle; blank: a space
    assert kpis.sparkline([None]) == ""


def test_the_scorecard_rates_each_kpi_now_and_keeps_its_trend(monkeypatch):
    monkeypatch.setattr(kpis, "FIGURES", frozenset({"on", "rated", "lead"}))
    catalogue = {
        "On schedule": Kpi(
            definition="share on schedule",
            formula="100 * on / rated",
            unit="percent",
            target=80,
            amber=80,
            red=60,
            better="higher",
        ),
        "Lead time": Kpi(
            definition="days to decide",
            formula="lead",
            unit="days",
            target=45,
            amber=60,
            red=90,
            better="lower",
        ),
    }
    trail = [
        (pd.Timestamp("2026-08-31"), {"on": 6, "rated": 10, "lead": 40}),
        (pd.Timestamp("2026-09-30"), {"on": 7, "rated": 10, "lead": None}),
        (pd.Timestamp("2026-10-31"), {"on": 9, "rated": 10, "lead": None}),
    ]
    card = kpis.scorecard(catalogue, trail).set_index("kpi")
    assert card.loc["On schedule", "value"] == 90.0 and card.loc["On schedule", "status"] == "Green"
    assert card.loc["On schedule", "trend"] == [60.0, 70.0, 90.0]
    assert card.loc["On schedule", "sparkline"] == "▁▃█"
    assert pd.isna(card.loc["Lead time", "value"]) and card.loc["Lead time", "status"] == "No data"


def test_the_default_catalogue_validates_and_a_portfolio_overrides_a_target(tmp_path):
    import shutil

    from pmo_lib.params import params_dir

    folder = tmp_path / "params"
    shutil.copytree(params_dir(), folder)
    defaults = config_for(None, folder).kpis
    assert {"Projects on schedule", "Benefits realised", "Data-quality score"} <= set(defaults)
    for kpi in defaults.values():
        kpis.names_in(kpi.formula)  # every default formula is plain arithmetic
    (folder / "data-analytics.yaml").write_text(
        "portfolio: Data & Analytics\nkpis:\n  Projects on schedule:\n    target: 90\n"
    )
    mine = config_for("data-analytics", folder).kpis["Projects on schedule"]
    assert mine.target == 90 and mine.red == defaults["Projects on schedule"].red
    (folder / "data-analytics.yaml").write_text(
        "portfolio: Data & Analytics\nkpis:\n  Projects on schedule:\n    red: 95\n"
    )
    with pytest.raises(PMOError, match="red threshold 95 is better than its amber threshold"):
        config_for("data-analytics", folder)


def test_the_counts_behind_the_default_kpis():
    from pmo_lib.data import Snapshot
    from pmo_lib.schema import TABLES
    from tests.conftest import frame

    as_of = pd.Timestamp("2026-10-31")
    demand = frame(
        "demand",
        [
            {"demand_id": "D1", "submitted_date": "2026-09-01", "decision_date": "2026-10-01"},
            {"demand_id": "D2", "submitted_date": "2026-05-01", "decision_date": "2026-07-15"},
            {"demand_id": "D3", "submitted_date": "2026-10-20"},
        ],
    )
    now = Snapshot(as_of, {n: demand if n == "demand" else frame(n, []) for n in TABLES})
    assessed = pd.DataFrame(
        {"slip_days": [0.0, 14.0, 15.0, None], "vac_pct": [-4.9, 5.0, None, 1.0]}
    )
    got = kpis.figures(now, assessed, slip_days_amber=15, vac_pct_amber=5)
    assert got == {
        "projects_schedule_rated": 3,
        "projects_on_schedule": 2,  # 0 and 14 days; 15 is the amber threshold
        "projects_cost_rated": 3,
        "projects_on_budget": 2,  # −4.9 % and 1 %; 5 % is amber
        "demand_decided_recently": 1,  # D1; D2 was decided before 2 Aug (90 days back)
        "demand_submitted_recently": 2,  # D1 and D3 within 90 days
    }


def test_outlook_accuracy_compares_the_first_forecast_with_what_closed_projects_cost():
    from pmo_lib.data import Snapshot
    from pmo_lib.schema import TABLES
    from tests.conftest import frame

    def snap(day, status, rows):
        tables = {n: frame(n, []) for n in TABLES}
        tables["projects"] = frame(
            "projects",
            [
                {
                    "project_id": "P1",
                    "project_name": "p",
                    "portfolio": "A",
                    "status": status,
                    "budget_at_completion": 100.0,
                },
            ],
        )
        tables["financials"] = frame("financials", rows)
        return Snapshot(pd.Timestamp(day), tables)

    first = snap(  # September closed: actual 50; October forecast 60 → 110 at completion
        "2026-09-30",
        "Active",
        [
            {"project_id": "P1", "period": "2026-09-01", "measure": "actual", "amount": 50.0},
            {"project_id": "P1", "period": "2026-10-01", "measure": "forecast", "amount": 60.0},
        ],
    )
    last = snap(  # closed: it cost 50 + 50 = 100
        "2026-10-31",
        "Closed",
        [
            {"project_id": "P1", "period": "2026-09-01", "measure": "actual", "amount": 50.0},
            {"project_id": "P1", "period": "2026-10-01", "measure": "actual", "amount": 50.0},
        ],
    )
    assert kpis.outlook_accuracy([first, last]) == pytest.approx(90.0)  # 1 − |110 − 100| / 100
    assert kpis.outlook_accuracy([first]) is None  # one snapshot: nothing to compare
    still_open = snap("2026-10-31", "Active", [])
    assert kpis.outlook_accuracy([first, still_open]) is None  # nothing closed: blank


def test_the_scorecard_on_the_demo_has_every_default_kpi(demo_store, monkeypatch):
    from pmo_lib import data
    from pmo_lib.metrics import health

    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # each table read alone, as at 100x
    data.forget_snapshots()
    loaded = data.load_portfolio(None, source=demo_store)
    history = data.all_snapshots(loaded)
    config = config_for(None)
    past = health.Past.of(history)
    trail = [
        (
            s.as_of,
            kpis.snapshot_figures(
                s, data.resource_load(loaded, snapshot=s), config, past, history[: i + 1]
            ),
        )
        for i, s in enumerate(history)
    ]
    card = kpis.scorecard(config.kpis, trail).set_index("kpi")
    # every financial figure summed in the store's query: no snapshot's rows read
    assert not any(s.tables.has_read("financials") for s in history)
    whole = [data.Snapshot(s.as_of, {t: s[t] for t in s.tables}) for s in history]
    assert kpis.outlook_accuracy(whole) == pytest.approx(trail[-1][1]["outlook_accuracy_pct"])
    assert len(card) == 9 and card["status"].isin(["Green", "Amber", "Red"]).all()
    assert pd.isna(card.loc["Outlook accuracy", "trend"][0])  # the first snapshot has no past
    figures = trail[-1][1]
    on_schedule = 100 * figures["projects_on_schedule"] / figures["projects_schedule_rated"]
    assert card.loc["Projects on schedule", "value"] == pytest.approx(on_schedule)


def _every_snapshot_held(demo_store):
    """The demo function's snapshots, parameters, past, bookings by snapshot, and each
    snapshot's KPI figures computed holding every snapshot's tables."""
    from pmo_lib import data
    from pmo_lib.metrics import health

    loaded = data.load_portfolio(None, source=demo_store)
    history = data.all_snapshots(loaded)
    config = config_for(None)
    past = health.Past.of(history)

    def load_of(snapshot):
        return data.resource_load(loaded, snapshot=snapshot)

    held = [
        kpis.snapshot_figures(s, load_of(s), config, past, history[: i + 1])
        for i, s in enumerate(history)
    ]
    return history, config, past, load_of, held


def test_the_trail_lets_go_of_each_earlier_snapshot_s_tables_once_its_figures_are_done(
    demo_store,
):
    """A first run over many monthly snapshots holds one earlier snapshot's tables at a time
    (at 100x, 400 MB each), not all of them; the figures are those computed holding them."""
    from pmo_lib import data
    from pmo_lib.metrics import health

    _, config, _, load_of, held = _every_snapshot_held(demo_store)
    fresh = data.all_snapshots(data.load_portfolio(None, source=demo_store))
    # the report's own snapshot and the one before: their headlines computed before (the
    # one before is let go too once its figures are done)
    known = {fresh[-1].as_of: held[-1], fresh[-2].as_of: held[-2]}
    trail = kpis.trail(fresh, load_of, config, health.Past.of(fresh), known)
    assert [figures for _, figures in trail] == held
    earlier = fresh[:-1]
    assert all(s.tables.has_read("projects") for s in earlier)
    assert not any(s.tables.has_read(t) for s in earlier for t in s.tables if t != "projects")
    assert fresh[-1].tables.has_read("milestones")  # the report's own: kept
    # the aggregates of a let-go snapshot go with its tables (at 100x each one's bookings per
    # person and month held 23 MB)
    assert not any(s.tables.sums for s in earlier) and fresh[-1].tables.sums


def test_the_executive_summary_reads_its_own_snapshot_after_the_earlier_ones_are_let_go(
    demo_store, monkeypatch
):
    """The summary's figures of the snapshots before the report's own come first, one at a
    time: no earlier snapshot's tables are held while the report's own are read, and the
    figures are those computed holding every snapshot (the trail's, now and before)."""
    from pmo_lib import data
    from pmo_lib.metrics import summary
    from pmo_lib.report import Report
    from pmo_lib.sections import portfolio_summary

    history, config, past, load_of, held = _every_snapshot_held(demo_store)
    data.forget_snapshots()
    monkeypatch.setattr(data, "READ_TOGETHER_ROWS", 0)  # each table read alone, as at 100x
    reads = []
    real = data._stored_table

    def stored_table(path, day, portfolio, opened, names):
        # the other snapshots' tables (and sums) in the cache as this read begins, but their
        # projects and people (every snapshot's are read for the past and the bookings)
        small = ("projects", "resources")
        held = {key[1] for key in data._stored_tables._entries if key[-1] not in small}
        if names[0] not in small:
            reads.append((day, held - {day}))
        return real(path, day, portfolio, opened, names)

    monkeypatch.setattr(data, "_stored_table", stored_table)
    fresh = data.load_portfolio(None, source=demo_store)
    view = portfolio_summary.analyse(Report("portfolio_summary", config, fresh))
    assert {day for day, _ in reads} == {s.as_of.date() for s in history}
    assert all(not others for _, others in reads), reads  # one snapshot's tables at a time
    trail = dict(kpis.trail(history, load_of, config, past, {}, None))
    assert view.previous_figures == summary.figures(
        history[-2], load_of(history[-2]), None, config, past
    )
    assert [trail[s.as_of] for s in history[:-1]] == held[:-1]


def test_the_scorecard_sentence():
    from pmo_lib.narrative import portfolio_summary as words

    card = pd.DataFrame({"status": ["Red", "Green", "Green", "No data"]})
    said = words.scorecard(card)
    assert said.startswith("Of 4 KPIs, 1 red, 2 green; 1 without the data to compute it.")
