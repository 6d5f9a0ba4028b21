"""Dependencies and points of contention on a hand case, and a cross-portfolio dependency in
both portfolios' pages without the other portfolio's other rows."""

from __future__ import annotations

import pandas as pd

from pmo_lib.metrics import dependencies as dep
from tests.conftest import frame

T = pd.Timestamp


def case():
    projects = frame(
        "projects",
        [
            {"project_id": p, "project_name": n, "portfolio": "A", "status": "Active", **x}
            for p, n, x in (
                ("P1", "Platform", {"forecast_finish": "2027-06-30"}),
                ("P2", "Portal", {}),
                ("P3", "Reports", {}),
                ("P4", "Mobile", {}),
            )
        ],
    )
    milestones = frame(
        "milestones",
        [
            {
                "project_id": "P1",
                "milestone": "API ready",
                "baseline_date": "2026-11-01",
                "forecast_date": "2026-12-15",
            },
            {
                "project_id": "P1",
                "milestone": "Data ready",
                "baseline_date": "2026-09-01",
                "actual_date": "2026-10-20",
            },
            {"project_id": "P2", "milestone": "Build", "baseline_date": "2026-12-01"},
            {
                "project_id": "P3",
                "milestone": "Build",
                "baseline_date": "2027-01-10",
                "forecast_date": "2027-02-01",
            },
        ],
    )
    deps = frame(
        "dependencies",
        [
            # P2's build (1 Dec) waits on P1's API (forecast 15 Dec): 14 days late
            {
                "dependency_id": "D1",
                "project_id": "P2",
                "milestone": "Build",
                "supplier_project_id": "P1",
                "supplier_milestone": "API ready",
            },
            # P3 needs P2's build by its own needed_by date: on time (1 Dec ≤ 5 Dec)
            {
                "dependency_id": "D2",
                "project_id": "P3",
                "needed_by": "2026-12-05",
                "supplier_project_id": "P2",
                "supplier_milestone": "Build",
            },
            # P4 waits on P3's "Docs", not a milestone of P3: due by its forecast finish (blank)
            {
                "dependency_id": "D3",
                "project_id": "P4",
                "needed_by": "2027-01-01",
                "supplier_project_id": "P3",
                "supplier_milestone": "Docs",
            },
            # met already: delivered, even though the actual date is after the need
            {
                "dependency_id": "D4",
                "project_id": "P4",
                "needed_by": "2026-10-01",
                "supplier_project_id": "P1",
                "supplier_milestone": "Data ready",
            },
            # P4 → P2: P4 waits on P2's build, so a slip at D1 reaches P4 too
            {
                "dependency_id": "D5",
                "project_id": "P4",
                "needed_by": "2027-03-01",
                "supplier_project_id": "P2",
                "supplier_milestone": "Build",
            },
        ],
    )
    return projects, milestones, deps


def test_each_dependency_is_late_on_time_delivered_or_missing_dates():
    projects, milestones, deps = case()
    found = dep.links(deps, dep.local_ends(projects, milestones)).set_index("dependency_id")
    assert found.loc["D1", "needed"] == T("2026-12-01")  # the consumer milestone's date
    assert found.loc["D1", "supplier_date"] == T("2026-12-15")
    assert (found.loc["D1", "status"], found.loc["D1", "days_late"]) == ("Late", 14)
    assert found.loc["D2", "status"] == "On time" and pd.isna(found.loc["D2", "days_late"])
    assert found.loc["D3", "status"] == "Dates missing"  # P3 has no forecast finish
    assert found.loc["D4", "status"] == "Delivered"
    assert list(found.index) == ["D1", "D3", "D2", "D5", "D4"]  # worst first


def test_a_slip_hits_the_consumer_and_everything_waiting_on_it():
    projects, milestones, deps = case()
    found = dep.links(deps, dep.local_ends(projects, milestones))
    late = dep.contention(found)
    assert list(late["dependency_id"]) == ["D1"]
    assert late.loc[0, "hits"] == "P2, P3, P4"  # P3 and P4 wait on P2
    assert dep.headlines(found, True) == {"dependencies_late": 1}
    assert dep.headlines(found.iloc[:0], False) == {"dependencies_late": None}
    cyclic = pd.DataFrame({"supplier_id": ["A", "B"], "consumer_id": ["B", "A"]})
    assert dep.downstream(cyclic, "A") == ["B"]  # a cycle is followed once


def test_the_other_portfolios_end_is_asked_for_alone():
    projects, milestones, deps = case()
    mine = projects[projects["project_id"].isin(["P2", "P3", "P4"])]
    assert dep.missing_ends(deps, mine).to_dict("records") == [
        {"project_id": "P1", "milestone": "API ready"},
        {"project_id": "P1", "milestone": "Data ready"},
    ]


def test_a_dependency_across_portfolios_shows_in_both_without_the_rest(demo_store):
    from pmo_lib import data

    whole = data.load_portfolio(None, source=demo_store).current
    home = whole["projects"].set_index("project_id")["portfolio"]
    deps = whole["dependencies"]
    across = deps[deps["project_id"].map(home) != deps["supplier_project_id"].map(home)]
    assert len(across), "the demo has dependencies across portfolios"
    one = across.iloc[0]
    for mine, theirs in (
        (one["project_id"], one["supplier_project_id"]),
        (one["supplier_project_id"], one["project_id"]),
    ):
        scoped = data.load_portfolio(home[mine], source=demo_store)
        now = scoped.current
        assert one["dependency_id"] in set(now["dependencies"]["dependency_id"])
        assert theirs not in set(now["projects"]["project_id"])  # no other portfolio's rows
        assert theirs not in set(now["milestones"]["project_id"])
        ends = data.dependency_ends(scoped)
        wanted = set(dep.missing_ends(now["dependencies"], now["projects"])["project_id"])
        assert set(ends["project_id"]) == wanted  # the far ends asked for, nothing more
        assert set(ends.columns) == set(dep.END_COLUMNS)
        local = dep.local_ends(now["projects"], now["milestones"])
        found = dep.links(now["dependencies"], pd.concat([local, ends], ignore_index=True))
        row = found.set_index("dependency_id").loc[one["dependency_id"]]
        name = whole["projects"].set_index("project_id").loc[theirs, "project_name"]
        assert name in (row["consumer_name"], row["supplier_name"])  # the far end named
        assert pd.notna(row["needed"]) and pd.notna(row["supplier_date"])  # and dated


def test_the_dependencies_sentence():
    from pmo_lib.narrative import health as words

    projects, milestones, deps = case()
    found = dep.links(deps, dep.local_ends(projects, milestones))
    said = words.dependencies(found, dep.contention(found), {"P2", "P3", "P4"})
    assert said.startswith(
        "5 dependencies link this scope's projects, 2 of them with a project outside this scope."
    )
    assert (
        "**1** is a point of contention: the delivery is due after the date it is needed, the"
        " worst by 14 days (P1's API ready for P2), which would hit P2, P3, P4." in said
    )
    assert said.endswith("1 cannot be judged: a date is missing on one side.")


def test_none_late_says_how_many_cannot_be_judged():
    from pmo_lib.narrative import health as words

    projects, milestones, deps = case()
    found = dep.links(deps, dep.local_ends(projects, milestones))
    calm = found[found["status"] != "Late"]
    said = words.dependencies(calm, dep.contention(calm), {"P1", "P2", "P3", "P4"})
    assert said == (
        "4 dependencies link this scope's projects. None is late: of those with both dates, every"
        " supplier's date is on or before the date it is needed. 1 cannot be judged: a date is"
        " missing on one side."
    )
