"""What a report shows for a choice of scope and snapshots: the logic behind the filter panel
of JupyterLab and Voila (pmo_lib.panel), kept apart from the widgets so that it is tested on its
own.

A choice names a portfolio (empty: the whole function), optionally one of its sub-portfolios and
programs, the as-of snapshot (empty: the latest) and the snapshot to compare with (empty: the one
before it); a customer page also names its customer. Loading goes through data.snapshot_tables,
which reads each snapshot of a portfolio from the store once: narrowing to a sub-portfolio or
program reloads nothing.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from pmo_lib.data import PortfolioData, load_portfolio, resolve_source
from pmo_lib.errors import PMOError
from pmo_lib.kernels import BATCH_ENV
from pmo_lib.params import ReportConfig, config_for, load_all, pick_config
from pmo_lib.store import list_snapshots

# set in the kernels of a front end for people: JupyterLab (jupyter_server) and Voila
FRONT_END_ENV = ("JPY_SESSION_NAME", "VOILA_BASE_URL", "VOILA_KERNEL_ID")


@dataclass(frozen=True)
class Choice:
    portfolio: str = ""
    sub_portfolio: str = ""
    program: str = ""
    as_of: str = ""  # YYYY-MM-DD; empty = the latest snapshot
    compare_to: str = ""  # YYYY-MM-DD; empty = the snapshot before as_of
    customer: str = ""  # a customer page's customer (demand.customer); empty = every customer


LEVELS = ("function", "portfolio", "sub_portfolio", "program", "customer")


def level_of(choice: Choice) -> str:
    """The level of the hierarchy a choice shows: the lowest part it names."""
    if choice.customer:
        return "customer"
    if choice.program:
        return "program"
    if choice.sub_portfolio:
        return "sub_portfolio"
    return "portfolio" if choice.portfolio else "function"


def check_level(level: str, choice: Choice) -> None:
    """A level given with a choice (the runner passes both) must be the one the choice names."""
    if not level:
        return
    if level not in LEVELS:
        raise PMOError(f"level '{level}': expected one of {', '.join(LEVELS)}")
    implied = level_of(choice)
    if level != implied:
        raise PMOError(
            f"level '{level}' does not match the scope chosen (portfolio '{choice.portfolio}',"
            f" sub_portfolio '{choice.sub_portfolio}', program '{choice.program}', customer"
            f" '{choice.customer}'), which is a {implied.replace('_', '-')} scope"
        )


@dataclass(frozen=True)
class Options:
    """What each filter offers, given the choice: (label, value) pairs."""

    portfolios: list[tuple[str, str]]
    sub_portfolios: list[str]
    programs: list[str]
    snapshots: list[str]
    comparisons: list[str]  # snapshots before the chosen as_of


def in_jupyterlab() -> bool:
    """True in a kernel that an interactive front end started for a person, where the filter
    panel shows: JupyterLab (or Notebook), whose jupyter_server names the session in
    JPY_SESSION_NAME, or Voila (`make dashboard`), which gives its kernels VOILA_BASE_URL (and
    sets VOILA_KERNEL_ID before the notebook runs). Papermill, nbclient and the runner set
    neither, and the runner's PMO_BATCH rules widgets out whatever else is set."""
    return (
        any(os.environ.get(name) for name in FRONT_END_ENV)
        and not os.environ.get(BATCH_ENV)
        and "ipykernel" in sys.modules
    )


def sub_portfolios(data: PortfolioData) -> list[str]:
    now = data.current
    known = set(now["projects"]["sub_portfolio"].dropna()) | set(
        now["demand"]["sub_portfolio"].dropna()
    )
    return sorted(known)


def customers(data: PortfolioData) -> list[str]:
    """The customers (requesting business units) of the scope's demand in the as-of snapshot."""
    return sorted(set(data.current["demand"]["customer"].dropna()))


def programs(data: PortfolioData, sub_portfolio: str = "") -> list[str]:
    projects = data.current["projects"]
    if sub_portfolio:
        projects = projects[projects["sub_portfolio"] == sub_portfolio]
    return sorted(set(projects["program"].dropna()))


def narrow(data: PortfolioData, title: str, sub_portfolio: str, program: str) -> PortfolioData:
    """The data of one sub-portfolio and/or program of the portfolio; an unknown one is an error
    that lists the known ones."""
    if sub_portfolio and sub_portfolio not in (known := sub_portfolios(data)):
        raise PMOError(
            f"sub_portfolio '{sub_portfolio}': not a sub-portfolio of {title} on"
            f" {data.current.as_of.date()}; it has: {', '.join(known) or 'none'}"
        )
    if program and program not in (known := programs(data, sub_portfolio)):
        within = f"{title} › {sub_portfolio}" if sub_portfolio else title
        raise PMOError(
            f"program '{program}': not a program of {within} on {data.current.as_of.date()};"
            f" it has: {', '.join(known) or 'none'}"
        )
    if not (sub_portfolio or program):
        return data
    return data.narrowed(sub_portfolio, program)


def focus(data: PortfolioData, title: str, customer: str) -> PortfolioData:
    """The data with a customer page's customer set (the data is not narrowed: see
    PortfolioData.customer); an unknown customer is an error that lists the known ones."""
    if not customer:
        return data
    if customer not in (known := customers(data)):
        raise PMOError(
            f"customer '{customer}': no demand of {title} on {data.current.as_of.date()} has"
            f" this customer; it has: {', '.join(known) or 'none'}"
        )
    return replace(data, customer=customer)


def load(
    choice: Choice,
    source: str | Path | None = None,
    params_dir: str | Path | None = None,
    level: str = "",
) -> tuple[ReportConfig, PortfolioData]:
    """The parameters and data of a choice; every part of it must exist. params_dir: the folder
    of parameter files (empty: $PMO_PARAMS, else params/); level: the level the caller expects
    the choice to name (empty: any)."""
    check_level(level, choice)
    config = config_for(choice.portfolio or None, params_dir or None)
    data = load_portfolio(
        config.portfolio, choice.as_of or None, source or None, choice.compare_to or None
    )
    data = narrow(data, config.title, choice.sub_portfolio, choice.program)
    return config, focus(data, config.title, choice.customer)


def options(
    choice: Choice,
    data: PortfolioData,
    configs: list[ReportConfig] | None = None,
    dates: list[str] | None = None,
) -> Options:
    """What each filter can offer once the choice's portfolio is loaded (data: not narrowed)."""
    if dates is None:
        dates = [d.date().isoformat() for d in pd.to_datetime(list_snapshots(data.store)["as_of"])]
    as_of = data.current.as_of.date().isoformat()
    return Options(
        portfolios=[(c.title, c.portfolio or "") for c in configs or load_all()],
        sub_portfolios=sub_portfolios(data),
        programs=programs(data, choice.sub_portfolio),
        snapshots=dates,
        comparisons=[d for d in dates if d < as_of],
    )


@dataclass(frozen=True)
class Resolved:
    choice: Choice  # as settled: parts the new scope does not have are dropped
    config: ReportConfig
    data: PortfolioData  # narrowed to the choice
    options: Options


def resolve(
    choice: Choice, source: str | Path | None = None, params_dir: str | Path | None = None
) -> Resolved:
    """The panel's step: load the choice's portfolio (from the cache when unchanged), drop the
    parts of the choice that the new scope lacks (another portfolio's sub-portfolio, a
    comparison that is not earlier than as_of), and narrow."""
    configs = load_all(params_dir or None)
    config = pick_config(configs, choice.portfolio or None, params_dir or None)
    path = resolve_source(source)
    dates = [d.date().isoformat() for d in pd.to_datetime(list_snapshots(path)["as_of"])]
    as_of = choice.as_of if choice.as_of in dates else ""
    latest = as_of or (dates[-1] if dates else "")
    compare_to = choice.compare_to if choice.compare_to and choice.compare_to < latest else ""
    whole = load_portfolio(config.portfolio, as_of or None, path, compare_to or None)
    sub = choice.sub_portfolio if choice.sub_portfolio in sub_portfolios(whole) else ""
    program = choice.program if choice.program in programs(whole, sub) else ""
    customer = choice.customer if choice.customer in customers(whole) else ""
    settled = replace(
        choice,
        sub_portfolio=sub,
        program=program,
        as_of=as_of,
        compare_to=compare_to,
        customer=customer,
    )
    return Resolved(
        settled,
        config,
        focus(narrow(whole, config.title, sub, program), config.title, customer),
        options(settled, whole, configs, dates),
    )
