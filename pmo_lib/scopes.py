"""The scopes a run renders, each in its own folder: the function, the portfolios, their
sub-portfolios and programs (the levels the parameters choose), and customer pages.

A scope's folder sits under its parent's (outputs/<as_of>/<portfolio>/<sub-portfolio>/...), so
its pages link up to the parent, across to its siblings and down to its children with relative
links. Names that make the same folder name get distinct ones. Kept apart from the runner, which
plans jobs from these scopes, so that it is tested without kernels.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace

from pmo_lib.catalog import CUSTOMER_REPORT, REPORTS
from pmo_lib.data import Snapshot
from pmo_lib.errors import PMOError
from pmo_lib.params import ReportConfig

LEVELS = ("function", "portfolio", "sub_portfolio", "program", "customer")
CUSTOMERS = "customers"  # the folder of a scope's customer pages
RESERVED = frozenset({CUSTOMERS, "assets"})  # never a child scope's folder
MAX_SLUG = 60
UP, ACROSS, DOWN = "↑", "↔", "↓"  # before a scope's name on the navigation bar


def slugify(text: str) -> str:
    """A folder name for a name: ASCII letters and digits joined by '-', at most 60 characters
    ('Données & IA' -> 'donnees-ia'); 'unnamed' when nothing is left."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:MAX_SLUG].strip("-")
    return slug or "unnamed"


def distinct_slugs(names: Iterable[str], taken: Iterable[str] = RESERVED) -> dict[str, str]:
    """A distinct folder name per name, none of them in taken: names that make the same one
    ('BI & Reporting', 'BI Reporting') get '-2', '-3', ... in the order of the names."""
    used = set(taken)
    out: dict[str, str] = {}
    for name in sorted(set(names)):
        base = slugify(name)
        slug, n = base, 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        out[name] = slug
    return out


@dataclass(frozen=True)
class Scope:
    """One scope of a run: what its reports show and where they go."""

    path: str  # its folder under the run's: function, data-analytics, data-analytics/bi-reporting
    level: str  # function, portfolio, sub_portfolio, program or customer
    config: ReportConfig  # the parameters of its portfolio's file (or the function's)
    sub_portfolio: str = ""
    program: str = ""
    customer: str = ""
    parent: str = ""  # the path of the scope above it ("" for the function)
    empty: bool = False  # no projects and no demand in the snapshot: a "no data" page
    rows: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def name(self) -> str:
        """Its own name: the customer's, program's, sub-portfolio's or portfolio's."""
        return self.customer or self.program or self.sub_portfolio or self.config.title

    @property
    def title(self) -> str:
        """Its name under its parents' names: 'Data & Analytics › BI & Reporting'."""
        parts = [self.config.title, self.sub_portfolio, self.program, self.customer]
        return " › ".join(p for p in parts if p)

    @property
    def reports(self) -> tuple[str, ...]:
        return (CUSTOMER_REPORT,) if self.level == "customer" else tuple(self.config.reports)

    @property
    def depth(self) -> int:
        """How many folders down from the run's folder."""
        return self.path.count("/") + 1


@dataclass(frozen=True)
class Wanted:
    """What a run asks for beyond the parameters (run_reports.py options)."""

    levels: tuple[str, ...] = ()  # every file's levels overridden; empty = the parameters'
    customers: bool | None = None  # every file's customers overridden; None = the parameters'
    sub_portfolios: tuple[str, ...] = ()  # only these sub-portfolios (name or folder name)
    programs: tuple[str, ...] = ()  # only these programs (name or folder name)

    @property
    def on_demand(self) -> bool:
        return bool(self.sub_portfolios or self.programs)


def _matches(name: str, slug: str, wanted: tuple[str, ...]) -> bool:
    return not wanted or name in wanted or slug in wanted


Keep = Callable[[str | None, tuple, Callable[[], list[dict]]], list[dict]]


def _computed(portfolio: str | None, parts: tuple, compute: Callable[[], list[dict]]) -> list[dict]:
    return compute()


def plan(
    configs: list[ReportConfig],
    snapshot: Callable[[str | None], Snapshot],
    wanted: Wanted = Wanted(),
    known: Callable[[str, str], set[str]] | None = None,
    function: str | None = None,
    keep: Keep = _computed,
) -> list[Scope]:
    """Every scope to render, parents before their children. snapshot(portfolio) gives the
    as-of snapshot of a portfolio (None: the function), read only for the levels below a
    portfolio and for customers; known(portfolio, level) the sub-portfolio or program names a
    portfolio has in any snapshot (for a scope asked for by name that the as-of snapshot lacks:
    a "no data" page, not an error); function: the function's folder, the portfolios' parent
    (default: the function's among configs); keep(portfolio, parts, compute): the scopes below
    a portfolio (as plain dicts), which the runner keeps by the portfolio's data print."""
    if function is None:
        function = next((c.slug for c in configs if c.is_function), "")
    top = function
    scopes: list[Scope] = []
    for config in configs:
        levels = set(wanted.levels or config.levels)
        customers = config.customers if wanted.customers is None else wanted.customers
        if wanted.on_demand:
            levels = {"program"} if wanted.programs else {"sub_portfolio"}
            customers = False
        if config.is_function:
            if "function" in levels:
                scopes.append(Scope(config.slug, "function", config))
            if customers:
                scopes += _kept(
                    keep,
                    config,
                    ("customers",),
                    lambda c=config: _customers(c, c.slug, snapshot(None)),
                )
            continue
        own = Scope(config.slug, "portfolio", config, parent=top)
        if "portfolio" in levels:
            scopes.append(own)
        if not ({"sub_portfolio", "program"} & levels or customers):
            continue

        def below(config=config, own=own, levels=levels, customers=customers) -> list[Scope]:
            now = snapshot(config.portfolio)
            found = _customers(config, own.path, now) if customers else []
            return found + _below(config, own, now, levels, wanted, known)

        # asked for by name, a scope may be known from a later snapshot (known): not kept
        parts = ("scopes below", sorted(levels), customers)
        scopes += below() if wanted.on_demand else _kept(keep, config, parts, below)
    if wanted.on_demand and not scopes:
        raise PMOError(_unknown(configs, snapshot, wanted))
    return scopes


def _unknown(
    configs: list[ReportConfig], snapshot: Callable[[str | None], Snapshot], wanted: Wanted
) -> str:
    """What to say when no scope has the names asked for: the names there are."""
    column = "program" if wanted.programs else "sub_portfolio"
    what = column.replace("_", "-")
    there = set()
    for config in configs:
        if not config.is_function:
            now = snapshot(config.portfolio)
            there |= _names(now["projects"][column])
            if column == "sub_portfolio":
                there |= _names(now["demand"][column])
    names = ", ".join(wanted.programs or wanted.sub_portfolios)
    known = ", ".join(sorted(there, key=str.casefold)) or "none"
    return f"--{what} {names}: not a {what} of the chosen portfolios; they have: {known}"


def _customers(config: ReportConfig, parent: str, now: Snapshot) -> list[Scope]:
    names = distinct_slugs(now["demand"]["customer"].dropna(), taken=())
    return [
        Scope(f"{parent}/{CUSTOMERS}/{slug}", "customer", config, customer=name, parent=parent)
        for name, slug in names.items()
    ]


def _names(frame_values: Iterable) -> set[str]:
    return {str(v) for v in frame_values if isinstance(v, str) and v}


def _below(
    config: ReportConfig,
    own: Scope,
    now: Snapshot,
    levels: set[str],
    wanted: Wanted,
    known: Callable[[str, str], set[str]] | None,
) -> list[Scope]:
    """The sub-portfolio and program scopes of one portfolio, in folder order."""
    projects, demand = now["projects"], now["demand"]
    subs = _names(projects["sub_portfolio"]) | _names(demand["sub_portfolio"])
    # programs by sub-portfolio ("" for programs of projects without one)
    programs: dict[str, set[str]] = {}
    for sub, program in zip(projects["sub_portfolio"], projects["program"], strict=True):
        if isinstance(program, str) and program:
            programs.setdefault(sub if isinstance(sub, str) else "", set()).add(program)
    absent: set[str] = set()  # asked for by name, known in another snapshot, not in this one
    if wanted.on_demand:
        ever = known or (lambda portfolio, level: set())
        for name in wanted.sub_portfolios:
            if name not in subs and name in ever(config.portfolio or "", "sub_portfolio"):
                subs.add(name)
                absent.add(name)
        if wanted.programs and not wanted.sub_portfolios:
            for name in wanted.programs:
                held = any(name in p for p in programs.values())
                if not held and name in ever(config.portfolio or "", "program"):
                    programs.setdefault("", set()).add(name)
                    absent.add(name)
    sub_slugs = distinct_slugs(subs | programs.get("", set()))
    scopes: list[Scope] = []
    for sub in sorted(subs, key=str.casefold):
        path = f"{own.path}/{sub_slugs[sub]}"
        if "sub_portfolio" in levels and _matches(sub, sub_slugs[sub], wanted.sub_portfolios):
            sub_scope = Scope(path, "sub_portfolio", config, sub_portfolio=sub, parent=own.path)
            scopes.append(_rows(sub_scope, now, sub in absent))
        if "program" not in levels:
            continue
        if not _matches(sub, sub_slugs[sub], wanted.sub_portfolios):
            continue
        slugs = distinct_slugs(programs.get(sub, set()))
        for program in sorted(programs.get(sub, set()), key=str.casefold):
            if _matches(program, slugs[program], wanted.programs):
                scope = Scope(
                    f"{path}/{slugs[program]}",
                    "program",
                    config,
                    sub_portfolio=sub,
                    program=program,
                    parent=path,
                )
                scopes.append(_rows(scope, now, program in absent))
    if "program" in levels and not wanted.sub_portfolios:
        for program in sorted(programs.get("", set()), key=str.casefold):
            if _matches(program, sub_slugs[program], wanted.programs):
                scope = Scope(
                    f"{own.path}/{sub_slugs[program]}",
                    "program",
                    config,
                    program=program,
                    parent=own.path,
                )
                scopes.append(_rows(scope, now, program in absent))
    return scopes


def _kept(
    keep: Keep, config: ReportConfig, parts: tuple, compute: Callable[[], list[Scope]]
) -> list[Scope]:
    """compute()'s scopes of config's portfolio, through keep as plain dicts (every field but
    the parameters, which are in the key and the same for every scope of the portfolio)."""

    def plain() -> list[dict]:
        return [
            {f.name: getattr(scope, f.name) for f in fields(Scope) if f.name != "config"}
            for scope in compute()
        ]

    found = keep(config.portfolio, (parts[0], config.model_dump_json(), *parts[1:]), plain)
    return [Scope(config=config, **named) for named in found]


def _rows(scope: Scope, now: Snapshot, absent: bool) -> Scope:
    """The scope with its rows per table (narrowed as the report narrows), empty when it has
    no projects and no demand."""
    if absent:
        return replace(scope, empty=True)
    narrowed = now
    if scope.sub_portfolio:
        narrowed = narrowed.in_sub_portfolio(scope.sub_portfolio)
    if scope.program:
        narrowed = narrowed.in_program(scope.program)
    rows = {table: narrowed.rows(table) for table in narrowed.tables}
    return replace(scope, rows=rows, empty=narrowed.is_empty)


# -- navigation ------------------------------------------------------------------------------
def href(here: Scope, there: Scope, report: str) -> str:
    """A relative link from a page of here to there's page of this report (its index when it
    does not render the report)."""
    page = f"{report}.html" if report in there.reports else "index.html"
    return f"{relative(there.path, here.path)}/{page}"


def relative(path: str, start: str) -> str:
    """posixpath.relpath for two scopes' folders (relative, no '.' or '..' in them), without
    its two abspath calls: a plan of 1,167 pages makes 18,000 links."""
    to, here = path.split("/"), start.split("/")
    same = 0
    while same < min(len(to), len(here)) and to[same] == here[same]:
        same += 1
    return "/".join([".."] * (len(here) - same) + to[same:]) or "."


def children(scope: Scope, scopes: Iterable[Scope]) -> list[Scope]:
    """The scopes one level below (customer pages are listed apart, not as children)."""
    return [s for s in scopes if s.parent == scope.path and s.level != "customer"]


def navigation(scope: Scope, report: str, scopes: dict[str, Scope]) -> list[tuple[str, str, bool]]:
    """A page's links: every report of the run, up to the parent, this scope's reports, across
    to the siblings and down to the children (title, href, is this page)."""
    links = [("All reports", "../" * scope.depth + "index.html", False)]
    parent = scopes.get(scope.parent) if scope.parent else None
    if parent is not None:
        links.append((f"{UP} {parent.name}", href(scope, parent, report), False))
    links += [(REPORTS.get(r, r), f"{r}.html", r == report) for r in scope.reports]
    for other in scopes.values():
        if other.parent == scope.parent and other.level == scope.level and other is not scope:
            links.append((f"{ACROSS} {other.name}", href(scope, other, report), False))
    for child in children(scope, scopes.values()):
        links.append((f"{DOWN} {child.name}", href(scope, child, report), False))
    return links
