"""PostgreSQL as the store (issue 18), against a real server the tests start (tests/pg_server.py):
the same snapshots, the same figures to the cent, one transaction per ingest, no password shown."""

from __future__ import annotations

import json
import threading
import time
from datetime import date

import pandas as pd
import pytest

from pmo_lib import demo, runner, store
from pmo_lib.errors import PMOError
from run_reports import main
from tests.pg_server import Server, pg_bin
from tests.test_runner import AS_OF, NOTEBOOKS
from tests.test_store import _snapshot

psycopg = pytest.importorskip("psycopg", reason="the dev extra installs psycopg")
if pg_bin() is None:
    pytest.skip(
        "PostgreSQL is not installed here (Debian package postgresql; .ci/run installs it)",
        allow_module_level=True,
    )

DA = "Data & Analytics"
PASSWORD = "s3cret-Pw0rd"


@pytest.fixture(scope="module")
def server():
    started = Server().start()
    yield started
    started.stop()


@pytest.fixture
def pg(server) -> str:
    """A new, empty database's URL, with a password in it (the server trusts local users; the
    password is there to prove it is never shown)."""
    return server.url(server.new_database(), password=PASSWORD)


@pytest.fixture(scope="module")
def pg_demo(server) -> str:
    url = server.url(server.new_database(), password=PASSWORD)
    demo.build_demo_store(url)
    return url


def test_the_demo_reads_back_from_postgresql_as_from_duckdb(pg_demo, demo_store):
    dates = list(store.list_snapshots(demo_store)["as_of"])
    served = store.list_snapshots(pg_demo)
    assert list(served["as_of"]) == dates
    assert list(served["fingerprint"]) == list(store.list_snapshots(demo_store)["fingerprint"])
    for day, portfolio in [(dates[-1], None), (dates[-1], DA), (dates[0], "Customer Channels")]:
        mine, theirs = (
            store.load_tables(demo_store, day, portfolio),
            store.load_tables(pg_demo, day, portfolio),
        )
        for name in mine:
            pd.testing.assert_frame_equal(
                theirs[name].reset_index(drop=True), mine[name].reset_index(drop=True), obj=name
            )
        assert store.row_counts(pg_demo, day, portfolio) == store.row_counts(
            demo_store, day, portfolio
        )
    latest = dates[-1].date()
    assert store.portfolios_with_data(pg_demo, latest) == store.portfolios_with_data(
        demo_store, latest
    )
    people = list(store.load_tables(demo_store, latest, DA)["resources"]["resource_id"])
    pd.testing.assert_frame_equal(
        store.resource_load(pg_demo, latest, people)
        .sort_values(["resource_id", "period"])
        .reset_index(drop=True),
        store.resource_load(demo_store, latest, people)
        .sort_values(["resource_id", "period"])
        .reset_index(drop=True),
    )
    prints = store.scope_prints(pg_demo, latest, [None, DA, "Customer Channels"])
    assert len(set(prints.values())) == 3


def test_the_sums_and_cuts_summed_in_the_query_are_duckdbs(pg_demo, demo_store):
    """What a large store's pages ask of the store's query (at 100x; at 1x the rows read
    anyway give them): the financial months, checks and mix, the bookings per person and per
    project, and the data-quality and resourcing cuts, on PostgreSQL as on DuckDB."""
    from pmo_lib.metrics import data_quality

    day = store.list_snapshots(demo_store)["as_of"].max().date()
    closed, year = date(2026, 10, 1), (date(2026, 4, 1), date(2027, 3, 31))
    cut = "measure = 'actual' AND amount > 0 AND " + data_quality._AFTER_END.format("financials")
    asks = {
        "financial_months": lambda src, p: store.financial_months(src, day, p),
        "financial_checks": lambda src, p: store.financial_checks(src, day, p, closed),
        "financial_mix": lambda src, p: store.financial_mix(
            src, day, p, "expense_type", year, closed
        ),
        "by person": lambda src, p: store.booked_months(src, day, p, "resource_id"),
        "by project": lambda src, p: store.booked_months(src, day, p, "project_id"),
        "after the end": lambda src, p: store.rows_where(src, day, p, "financials", cut),
        "bookings of": lambda src, p: store.rows_among(
            src, day, p, "allocations", "resource_id", ["RES-00001", "RES-00002", "nobody"]
        ),
    }
    for portfolio in (None, DA):
        for name, ask in asks.items():
            mine, theirs = ask(demo_store, portfolio), ask(pg_demo, portfolio)
            assert len(mine) or portfolio is not None, name  # the function has some of each
            pd.testing.assert_frame_equal(
                theirs.reset_index(drop=True),
                mine.reset_index(drop=True),
                check_exact=False,
                rtol=1e-12,
                obj=f"{name} {portfolio}",
            )


def test_the_reports_figures_are_duckdbs_to_the_cent(pg_demo, demo_store, tmp_path, capsys):
    def figures(source, folder) -> dict:
        options = runner.Options(
            source=source,
            outputs=tmp_path / folder,
            portfolios=("function", "data-analytics"),
            reports=("spend", "health", "data_quality", "portfolio_summary"),
            levels=("function", "portfolio"),
            customers=False,
            jobs=2,
        )
        assert runner.run(options) == 0
        jobs = json.loads((tmp_path / folder / AS_OF / "manifest.json").read_text())["jobs"]
        return {j["job"]: (j["status"], j["headlines"]) for j in jobs}

    served = figures(pg_demo, "pg")
    assert served == figures(demo_store, "duckdb")
    assert served["function/spend"][1]["fy_plan"] > 0
    pages = (tmp_path / "pg" / AS_OF).rglob("*.html")
    seen = [p.read_text(encoding="utf-8") for p in pages]
    seen.append((tmp_path / "pg" / AS_OF / "manifest.json").read_text())
    seen.append(capsys.readouterr().out)
    kept = list((tmp_path / "pg" / ".cache").rglob("*.json"))  # the answers kept for next time
    assert kept
    seen += [p.read_text(encoding="utf-8") for p in kept]
    assert not [text for text in seen if PASSWORD in text]
    assert any("postgresql://postgres:***@" in text for text in seen)


def test_a_failed_ingest_changes_nothing(pg):
    first = _snapshot(1.0)
    store.write_snapshot(pg, first, date(2026, 1, 31), "test")
    broken = _snapshot(2.0)  # fails after the old rows of that date were deleted
    broken["projects"] = broken["projects"].astype({"budget_at_completion": "object"})
    broken["projects"].loc[broken["projects"].index[-1], "budget_at_completion"] = "n/a"
    with pytest.raises(PMOError, match="was not written, and the store is as it was") as caught:
        store.write_snapshot(pg, broken, date(2026, 1, 31), "again")
    assert PASSWORD not in str(caught.value)
    snapshots = store.list_snapshots(pg)
    assert list(snapshots["source"]) == ["test"]
    kept = store.load_tables(pg, date(2026, 1, 31), None)
    assert kept["projects"]["budget_at_completion"].sum() == pytest.approx(8.0)
    assert len(kept["risks"]) == len(first["risks"])


def test_readers_see_the_last_committed_snapshot_while_an_ingest_runs(pg):
    store.write_snapshot(pg, _snapshot(1.0), date(2026, 1, 31), "first")
    inside, release = threading.Event(), threading.Event()
    real = store.PgConnection.register

    def slow_register(self, name, frame):  # the ingest pauses inside its transaction
        real(self, name, frame)
        if name == "incoming" and not inside.is_set():
            inside.set()
            release.wait(30)

    errors: list[BaseException] = []

    def ingest() -> None:
        try:
            store.write_snapshot(pg, _snapshot(2.0), date(2026, 2, 28), "second")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    store.PgConnection.register = slow_register
    try:
        writer = threading.Thread(target=ingest)
        writer.start()
        assert inside.wait(30)
        assert list(store.list_snapshots(pg)["source"]) == ["first"]  # not yet committed
        assert store.load_tables(pg, date(2026, 2, 28), None)["projects"].empty
        release.set()
        writer.join(30)
    finally:
        store.PgConnection.register = real
    assert not errors
    assert list(store.list_snapshots(pg)["source"]) == ["first", "second"]


def test_the_command_line_builds_the_demo_and_renders_without_showing_the_password(
    pg, tmp_path, capsys
):
    assert main(["demo", "--source", pg]) == 0
    out = tmp_path / "out"
    code = main(
        ["run", "--source", pg, "--outputs", str(out), "--portfolio", "function"]
        + ["--report", "data_quality", "--no-customers", "--jobs", "1", "--keep-ipynb"]
    )
    assert code == 0
    said = capsys.readouterr()
    texts = [said.out, said.err] + [
        p.read_text(encoding="utf-8")
        for p in out.rglob("*")
        if p.suffix in (".html", ".json", ".ipynb")
    ]
    assert not [t for t in texts if PASSWORD in t]


def test_a_server_that_cannot_be_reached_is_said_without_the_password(tmp_path):
    url = f"postgresql://pmo:{PASSWORD}@/pmo?host={tmp_path}&port=1"
    with pytest.raises(PMOError, match="cannot connect to the store") as caught:
        store.list_snapshots(url)
    assert PASSWORD not in str(caught.value) and "postgresql://pmo:***@" in str(caught.value)


def test_the_filter_panel_and_the_exploration_notebook_read_the_server(pg_demo, tmp_path):
    import nbformat
    import papermill

    from pmo_lib import filters

    resolved = filters.resolve(filters.Choice(DA, "BI & Reporting"), pg_demo)
    assert set(resolved.data.current["projects"]["sub_portfolio"]) == {"BI & Reporting"}
    assert resolved.options.snapshots == ["2026-08-31", "2026-09-30", "2026-10-31"]
    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / "explore.ipynb"),
        str(out),
        parameters={"source": pg_demo},
        progress_bar=False,
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
    )
    outputs = [o for c in nbformat.read(out, as_version=4).cells for o in c.get("outputs", [])]
    assert outputs and not [o for o in outputs if o.get("output_type") == "error"]


def test_an_ingest_during_a_batch_changes_no_page_of_it(server, tmp_path):
    url = server.url(server.new_database(), password=PASSWORD)
    demo.build_demo_store(url)
    options = runner.Options(
        source=url,
        outputs=tmp_path / "out",
        portfolios=("function", "data-analytics"),
        reports=("data_quality", "spend"),
        levels=("function", "portfolio"),
        customers=False,
        jobs=2,
        as_of=AS_OF,  # the month the scheduled batch renders
    )
    code: list[int] = []
    batch = threading.Thread(target=lambda: code.append(runner.run(options)))
    batch.start()
    run_dir = tmp_path / "out" / AS_OF
    deadline = time.monotonic() + 60
    while not run_dir.exists() and time.monotonic() < deadline:  # planned: rendering now
        time.sleep(0.05)
    later = store.load_tables(url, date(2026, 10, 31), None)
    store.write_snapshot(url, later, date(2026, 11, 30), "ingested during the batch")
    batch.join(300)
    assert code == [0]
    jobs = json.loads((tmp_path / "out" / AS_OF / "manifest.json").read_text())["jobs"]
    assert {j["status"] for j in jobs} == {"ok"} and len(jobs) == 4
    assert list(store.list_snapshots(url)["source"])[-1] == "ingested during the batch"


def test_a_malformed_url_or_an_unknown_date_never_shows_the_password(pg_demo):
    with pytest.raises(PMOError) as caught:
        store.list_snapshots("postgresql://alice:s3%zzcret@localhost/db")
    assert "s3%zzcret" not in str(caught.value) and "cannot connect" in str(caught.value)
    from pmo_lib.data import load_portfolio

    with pytest.raises(PMOError, match="no snapshot with that date") as caught:
        load_portfolio(None, "2099-01-01", pg_demo)
    assert PASSWORD not in str(caught.value)


def test_enterprise_feeds_load_into_postgresql_with_their_functions(pg, demo_store, tmp_path):
    from tests.test_feed import _function_feed

    feeds = [
        _function_feed(tmp_path, demo_store, "Group IT", "2026-10-31", "group"),
        _function_feed(tmp_path, demo_store, "Retail IT", "2026-10-31", "retail"),
    ]
    assert main(["ingest", "--source", pg, "--feed", *map(str, feeds)]) == 0
    day = date(2026, 10, 31)
    functions = store.load_functions(pg, day)
    assert len(functions) == 8 and functions["Retail IT › Data & Analytics"] == "Retail IT"
    whole = store.load_tables(pg, day, None)["projects"]
    assert len(whole) == 2 * 149 and whole["project_id"].is_unique
    assert store.load_functions(demo_store, day) == {}  # one function's own store: none
