#!/usr/bin/env python3
"""PMO Reports command line: `pmo-reports` when installed, `python run_reports.py` in a checkout.

pmo-reports [run] [options]                 render the reports (default command)
pmo-reports ingest FOLDER --as-of D         load a folder of exports as snapshot D
pmo-reports ingest --feed DIR [DIR ...]     load functions' feeds into an enterprise store
pmo-reports export --to DIR                 write one snapshot as the enterprise feed
pmo-reports demo                            (re)build the demo store
pmo-reports init DIR                        write a working folder for a deployment
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import sys
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

from pmo_lib.errors import PMOError

log = logging.getLogger("pmo_reports")
COMMANDS = ("run", "ingest", "demo", "export", "init")
SOURCE_HELP = (
    "the store: a DuckDB file or a postgresql:// URL (default: $PMO_SOURCE, else data/pmo.duckdb)"
)
DEFAULT_MAX_SHRINK_PCT = 50.0  # ingest: a snapshot losing more of its projects is refused


def _source(value: str | None) -> Path:
    from pmo_lib.data import resolve_source

    return resolve_source(value)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date YYYY-MM-DD") from None


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"'{text}' is not a percentage from 0 to 100")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="pmo-reports",
        description="Render, ingest or build demo data for PMO Reports, or set up a folder.",
    )
    sub = top.add_subparsers(dest="command")
    run = sub.add_parser("run", help="render the reports (the default command)")
    run.add_argument(
        "--portfolio",
        action="append",
        default=[],
        help="a portfolio name or slug, or 'function' (repeatable; default all)",
    )
    run.add_argument(
        "--sub-portfolio",
        action="append",
        default=[],
        help="render this sub-portfolio's scope only (name or folder name; repeatable; within"
        " --portfolio if given)",
    )
    run.add_argument(
        "--program",
        action="append",
        default=[],
        help="render this program's scope only (name or folder name; repeatable; within"
        " --portfolio and --sub-portfolio if given)",
    )
    run.add_argument(
        "--level",
        action="append",
        default=[],
        choices=["function", "portfolio", "sub_portfolio", "program"],
        help="render these levels, whatever the parameters' levels say (repeatable)",
    )
    run.add_argument(
        "--customers",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="render the customer pages, or not (--no-customers), whatever the parameters say",
    )
    run.add_argument(
        "--report",
        action="append",
        default=[],
        help="a report name, e.g. data_quality (repeatable; default all)",
    )
    run.add_argument("--as-of", default="", help="snapshot date YYYY-MM-DD (default: the latest)")
    run.add_argument(
        "--compare-to",
        default="",
        help="the earlier snapshot to compare with, YYYY-MM-DD (default: the one before --as-of)",
    )
    run.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="where the jobs run: this machine's processes (default) or a Dask cluster",
    )
    run.add_argument(
        "--scheduler",
        default="",
        help="--executor dask: the scheduler's address, e.g. tcp://host:8786 (default: a"
        " LocalCluster of --jobs workers started for the run)",
    )
    run.add_argument(
        "--jobs", type=int, default=0, help="worker processes (default: the number of cores)"
    )
    run.add_argument(
        "--source",
        help=SOURCE_HELP,
    )
    run.add_argument(
        "--outputs",
        default="outputs",
        help="output folder, or object storage such as s3://bucket/prefix (rendered in a local"
        " staging folder, then uploaded whole; default: outputs)",
    )
    run.add_argument(
        "--params", help="folder of parameter files (default: $PMO_PARAMS, else params/)"
    )
    run.add_argument(
        "--list", action="store_true", help="list the portfolios and reports, then stop"
    )
    run.add_argument(
        "--dry-run", action="store_true", help="show the jobs that would run, then stop"
    )
    run.add_argument(
        "--keep-ipynb", action="store_true", help="keep every executed notebook beside its HTML"
    )
    run.add_argument(
        "--self-contained", action="store_true", help="inline plotly.js in each report (for e-mail)"
    )
    run.add_argument(
        "--force", action="store_true", help="re-render reports whose inputs have not changed"
    )
    run.add_argument(
        "--no-mail", action="store_true", help="send no digest after the run (params: mail)"
    )
    run.add_argument(
        "--mail-dry-run",
        type=Path,
        metavar="DIR",
        help="write each digest as a .eml file in DIR instead of sending it",
    )
    run.add_argument(
        "--pdf",
        action="store_true",
        help="also write one PDF per scope (summary first, then each report) with a headless"
        " Chromium (Debian: apt-get install chromium; or PMO_CHROMIUM=path)",
    )
    ingest = sub.add_parser(
        "ingest", help="load a folder of CSV / XLSX / Parquet exports into the store"
    )
    ingest.add_argument("folder", type=Path, nargs="?", help="the folder of exports")
    ingest.add_argument(
        "--feed",
        type=Path,
        nargs="+",
        metavar="DIR",
        help="load these functions' feeds (pmo-reports export) into one enterprise store, in"
        " place of a folder of exports: portfolios roll up to their function",
    )
    ingest.add_argument(
        "--as-of",
        type=_iso_date,
        help="the snapshot date YYYY-MM-DD (with --mapping: default from the data or the mapping)",
    )
    ingest.add_argument(
        "--mapping",
        type=Path,
        help=(
            "a mapping file (params/sources/<name>.yaml) turning the folder's own files into our"
            " tables"
        ),
    )
    ingest.add_argument(
        "--check",
        action="store_true",
        help="load nothing: print what would be loaded per table and every problem found",
    )
    ingest.add_argument(
        "--source",
        help=SOURCE_HELP,
    )
    ingest.add_argument(
        "--max-shrink-pct",
        type=_percent,
        default=DEFAULT_MAX_SHRINK_PCT,
        help="refuse a snapshot with more than this %% fewer projects than the snapshot it"
        " replaces, else the latest earlier one (default: %(default)g)",
    )
    ingest.add_argument(
        "--allow-shrink",
        action="store_true",
        help="load a snapshot even if it has no projects, or shrinks by more than --max-shrink-pct",
    )
    demo = sub.add_parser("demo", help="(re)build the demo store")
    demo.add_argument(
        "--source",
        help=SOURCE_HELP,
    )
    demo.add_argument(
        "--size", type=float, default=1.0, help="scale factor (10 and 100 for benchmarks)"
    )
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument(
        "--portfolios",
        type=int,
        default=4,
        help="portfolios (above 4: each of the four split in numbered copies, for benchmarks of"
        " many scopes; give --write-params to get their parameter files)",
    )
    demo.add_argument(
        "--write-params",
        type=Path,
        help="write a parameters folder for the demo's portfolios here (run with --params)",
    )
    demo.add_argument(
        "--export", type=Path, help="also write the latest snapshot as CSV exports to this folder"
    )
    export = sub.add_parser(
        "export", help="write one snapshot as the enterprise feed (Parquet and feed.json)"
    )
    export.add_argument("--to", type=Path, required=True, help="the feed's folder")
    export.add_argument("--as-of", help="snapshot date YYYY-MM-DD (default: the latest)")
    export.add_argument("--source", help=SOURCE_HELP)
    export.add_argument(
        "--params", help="folder of parameter files (default: $PMO_PARAMS, else params/)"
    )
    init = sub.add_parser("init", help="write a working folder (params, data, outputs, README)")
    init.add_argument("folder", type=Path, help="a new (or empty) folder")
    return top


def command() -> NoReturn:
    """The command line (run_reports.py, `pmo-reports`): main(), then out at once. What it
    wrote is closed and its exit handlers run (the log flushed, a kernel stopped), but Python's
    teardown of every module and object is skipped: 0.25 s of a 100x page's command, as each
    pool worker skips it (pmo_lib.render's _leave)."""
    code = main()
    atexit._run_exitfuncs()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS + ("-h", "--help"):
        argv = ["run", *argv]
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        return {
            "run": cmd_run,
            "ingest": cmd_ingest,
            "demo": cmd_demo,
            "export": cmd_export,
            "init": cmd_init,
        }[args.command](args)
    except PMOError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a storage fault: its real cause once, not a traceback
        problem = _storage_trouble(exc, getattr(args, "source", None))
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        return 2


def _storage_trouble(exc: Exception, source: str | None) -> str | None:
    """What a full disk, or a damaged or busy store met outside pmo_lib.store, means."""
    from pmo_lib import store

    if store.no_space(exc):
        where = getattr(exc, "filename", None) or "a file"
        return f"{store.no_space_text(exc)} writing {where}; free some space and run again"
    try:
        path: object = _source(source)
    except PMOError:
        path = source
    problem = store.trouble(path, exc)
    return str(problem) if problem is not None else None


def cmd_init(args: argparse.Namespace) -> int:
    from pmo_lib.deploy import init_folder

    folder = init_folder(args.folder)
    print(
        f"Wrote {folder}: read its README.md, then run `pmo-reports demo` and `pmo-reports run`"
        " inside it."
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pmo_lib import feed
    from pmo_lib.params import load_all, params_dir

    folder = Path(args.params).resolve() if args.params else params_dir()
    configs = load_all(folder)
    function = next((c for c in configs if c.portfolio is None), None)
    written = feed.export(
        _source(args.source),
        args.as_of,
        args.to,
        configs,
        function.title if function else "IT Function",
    )
    tables = ", ".join(f"{n} {t['rows']:,}" for n, t in written["tables"].items() if t["rows"])
    log.info(
        "Wrote the feed of %s to %s: %s; %d headline figures for %d scopes.",
        written["as_of"],
        args.to,
        tables,
        written["headlines"]["rows"],
        len(written["headlines"]["scopes"]),
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pmo_lib import demo, store

    if args.portfolios < 1:
        raise PMOError(f"--portfolios {args.portfolios}: give 1 or more")
    path = _source(args.source)
    store.clear(path)
    dates = demo.build_demo_store(path, seed=args.seed, size=args.size, portfolios=args.portfolios)
    if args.write_params:
        written = demo.write_params(args.write_params, args.portfolios)
        log.info(
            "Wrote %d portfolio parameter files to %s: render them with --params %s.",
            len(written),
            args.write_params,
            args.write_params,
        )
    log.info(
        "Built the demo store %s: %d snapshots (%s), size %g, seed %d.",
        store.redact(str(path)),
        len(dates),
        ", ".join(d.date().isoformat() for d in dates),
        args.size,
        args.seed,
    )
    if args.export:
        demo.export_demo(args.export, seed=args.seed, size=args.size)
        log.info("Wrote the latest demo snapshot as CSV exports to %s.", args.export)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from pmo_lib import ingest_log, mapping, store, validate
    from pmo_lib.errors import DataValidationError

    path = _source(args.source)
    if args.feed and (args.folder or args.mapping or args.as_of):
        raise PMOError(
            "ingest --feed: the feeds say their functions and dates; give no folder, --mapping"
            " or --as-of with it"
        )
    if not args.feed and not args.folder:
        raise PMOError("ingest: give a folder of exports (or --feed DIR ... for enterprise feeds)")
    sources: dict[date, str] = {}
    functions: dict[date, object] = {}
    source = str(args.folder.resolve()) if args.folder else ""
    if args.feed:
        from pmo_lib import feed

        fed = feed.enterprise_snapshots(args.feed)
        feed.check_replaces_whole(fed, path)
        dates = feed.dates_by_function(fed)
        if len({tuple(d) for d in dates.values()}) > 1:
            log.info(
                "The feeds' dates differ (%s): each snapshot holds only the functions whose feed"
                " has its date.",
                "; ".join(f"{f} {', '.join(d)}" for f, d in dates.items()),
            )
        snapshots = [(s.as_of, s.frames, ingest_log.empty()) for s in fed]
        sources = {s.as_of: s.source for s in fed}
        functions = {s.as_of: s.functions for s in fed}
        problems, notes = [], [note for s in fed for note in s.notes]
    elif args.mapping:
        mapped = mapping.map_folder(args.mapping, args.folder, args.as_of)
        snapshots = [(s.as_of, s.frames, s.log) for s in mapped.snapshots]
        problems, notes = mapped.problems, mapped.notes
        source += f" (mapping {args.mapping.name})"
    else:
        if not args.as_of:
            raise PMOError(
                "ingest: give --as-of YYYY-MM-DD (or --mapping, whose data may date itself)"
            )
        try:
            frames, notes = validate.load_folder(args.folder)
            problems = []
        except DataValidationError as exc:
            if not args.check:
                raise
            frames, notes, problems = {}, [], exc.problems
        snapshots = [(args.as_of, frames, ingest_log.empty())]  # all or nothing: no log
    for note in notes:
        log.info(note)
    _check_dates(as_of for as_of, _, _ in snapshots)
    refusals = (
        [] if args.allow_shrink or problems else _shrinks(path, snapshots, args.max_shrink_pct)
    )
    if args.check:
        for as_of, frames, entries in snapshots:
            counts = ", ".join(f"{name} {len(f):,}" for name, f in frames.items())
            print(f"{as_of}: {counts or 'nothing'}")
            if len(entries):
                print(f"  {ingest_log.describe(entries)}:")
                for _, entry in entries.iterrows():
                    print(f"  - {ingest_log.entry_text(entry)}")
        for problem in problems:
            print(f"problem: {problem}")
        for refusal in refusals:
            print(f"refused: {refusal}")
        verdict = "would stop the load" if problems or refusals else "nothing stops the load"
        print(
            f"{len(snapshots)} snapshot(s), {len(problems)} problem(s): {verdict}; nothing was"
            " loaded."
        )
        return 1 if problems or refusals else 0
    if problems:
        raise DataValidationError(problems)
    if refusals:
        raise PMOError("\n".join(refusals))
    said: list[str] = []
    for as_of, frames, entries in snapshots:
        counts = store.write_snapshot(
            path,
            frames,
            as_of,
            source=sources.get(as_of, source),
            log=entries,
            functions=functions.get(as_of),
        )
        shown = ", ".join(f"{name} {n:,}" for name, n in counts.items() if n)
        absent = [name for name, n in counts.items() if not n]
        log.info(
            "Loaded snapshot %s into %s: %s.%s%s",
            as_of,
            store.redact(str(path)),
            shown,
            f" No rows for: {', '.join(absent)}." if absent and absent != said else "",
            f" {ingest_log.describe(entries).capitalize()}; --check lists them."
            if len(entries)
            else "",
        )
        said = absent
    return 0


def _check_dates(dates: Iterable[date]) -> None:
    """Every snapshot date within the model's date window (9999-12-31 is no reporting date)."""
    from pmo_lib.schema import DATE_MAX, DATE_MIN

    for as_of in dates:
        if not DATE_MIN <= as_of <= DATE_MAX:
            raise PMOError(f"snapshot date {as_of}: expected a date from {DATE_MIN} to {DATE_MAX}")


def _shrinks(path: Path | str, snapshots: list, max_pct: float) -> list[str]:
    """Why each snapshot of this ingest is refused for its projects: none at all, or more than
    max_pct % fewer than the snapshot it replaces (else the latest earlier one, in the store or
    in this ingest). One line per snapshot refused."""
    from pmo_lib import store

    stored: list[date] = []
    if store.exists(path):
        try:
            stored = [_as_date(d) for d in store.list_snapshots(path)["as_of"]]
        except PMOError:
            stored = []  # not a store yet: nothing to compare with (writing says what is wrong)
    incoming = {as_of: len(frames.get("projects", ())) for as_of, frames, _ in snapshots}

    def projects(as_of: date) -> int:
        return store.row_counts(path, as_of, None)["projects"]

    refusals = []
    for as_of, rows in sorted(incoming.items()):
        if as_of in stored:  # the snapshot it replaces
            before, how, old = as_of, f"snapshot {as_of}, which it replaces", projects(as_of)
        else:  # the latest earlier one: this ingest's (written first), else the store's
            before = max((d for d in {*stored, *incoming} if d < as_of), default=None)
            how = f"snapshot {before}"
            if before is None:
                old = 0
            else:
                old = incoming[before] if before in incoming else projects(before)
        shrink = 100 * (old - rows) / old if old else 0.0
        if rows == 0 and old == 0:
            why = f"snapshot {as_of}: projects would have 0 rows"
        elif rows == 0 or shrink > max_pct:
            why = f"snapshot {as_of}: projects would go from {old:,} rows ({how}) to {rows:,}"
            if rows:
                why += f", {shrink:.1f} % fewer (more than --max-shrink-pct {max_pct:g})"
        else:
            continue
        refusals.append(why + ": refused; give --allow-shrink to load it anyway")
    return refusals


def _as_date(value: object) -> date:
    """A store's as_of (a pandas Timestamp or a date) as a date."""
    return value.date() if isinstance(value, datetime) else value


def cmd_run(args: argparse.Namespace) -> int:
    early = _kernel_first(args)
    try:
        return _run(args, early)
    finally:
        if early is not None:
            early.stop()  # the run stops it; this, if the run failed before it began


def _kernel_first(args: argparse.Namespace):
    """With --force --jobs 1 every page renders in this process: its kernel starts before the
    run imports pandas and reads the store, and the kernel's imports (1.3 s) run beside the
    run's (a 100x page 0.4 s sooner). None for any other run (runner.run decides)."""
    if args.dry_run or args.list or not args.force or args.jobs != 1 or args.executor != "local":
        return None
    from pmo_lib import kernels, paths

    return kernels.started_now(str(paths.NOTEBOOKS_DIR))


def _run(args: argparse.Namespace, early) -> int:
    from pmo_lib import demo, remote, runner, store
    from pmo_lib.params import load_all, params_dir

    folder = Path(args.params).resolve() if args.params else params_dir()
    if args.list:
        for config in load_all(folder):
            levels = ", ".join(config.levels) + (", customers" if config.customers else "")
            print(
                f"{config.slug:<24} {config.portfolio or '(whole function)':<28}"
                f" {', '.join(config.reports)} [{levels}]"
            )
        return 0
    if args.scheduler and args.executor != "dask":
        raise PMOError("--scheduler: give --executor dask too (the local pool has no scheduler)")
    if args.pdf:
        from pmo_lib import pdf

        pdf.need_browser()  # said before anything renders
    bucket = args.outputs if remote.is_remote(args.outputs) else None
    if bucket:
        remote.filesystem(bucket)  # a missing driver or a bad URL is said before any rendering
    path = _source(args.source)
    if not args.source and not store.exists(path):
        log.info(
            "No data configured (no store at %s): building the demo store first.",
            store.redact(str(path)),
        )
        demo.build_demo_store(path)
    options = runner.Options(
        source=path,
        outputs=remote.staging_folder(bucket) if bucket else Path(args.outputs),
        as_of=args.as_of,
        portfolios=tuple(args.portfolio),
        reports=tuple(args.report),
        jobs=args.jobs,
        keep_ipynb=args.keep_ipynb,
        self_contained=args.self_contained,
        force=args.force,
        params_dir=folder,
        compare_to=args.compare_to,
        levels=tuple(args.level),
        customers=args.customers,
        sub_portfolios=tuple(args.sub_portfolio),
        programs=tuple(args.program),
        pdf=args.pdf,
        executor=args.executor,
        scheduler=args.scheduler,
    )
    code = runner.run(options, dry_run=args.dry_run, early=early)
    if bucket and not args.dry_run:
        uploaded, unchanged = remote.upload(options.outputs, bucket)
        print(
            f"Uploaded {uploaded} file{'' if uploaded == 1 else 's'} to {store.redact(bucket)}"
            f" ({unchanged} unchanged).",
            flush=True,
        )
    if not args.no_mail and not args.dry_run:
        _mail_digests(options, folder, args.mail_dry_run)
    return code


def _mail_digests(options, params_folder: Path, dry_run: Path | None) -> None:
    """After a run: each scope's digest to its subscribers (mail.to), or as .eml files."""
    import json

    from pmo_lib import data, mail, store
    from pmo_lib.params import load_all

    configs = [c for c in load_all(params_folder) if c.mail.to]
    if not configs:
        return
    day, _ = data.resolve_as_of(
        store.list_snapshots(options.source), options.as_of or None, options.source
    )
    run_dir = options.outputs.resolve() / day.date().isoformat()
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    ledger = mail.read_ledger(options.outputs)
    found = mail.digests(run_dir, manifest, configs, options.source, ledger)
    if dry_run:
        written = mail.write_eml(found, configs, dry_run)
        log.info("Wrote %d digest(s) to %s; nothing was sent.", len(written), dry_run)
        return
    if not found:
        mail.write_ledger(options.outputs, ledger, [], manifest["as_of"])  # alerts that ended
        log.info("No digest to send: this month's went already and no alert is new.")
        return
    mail.send(
        found,
        configs,
        sent=lambda d: mail.write_ledger(options.outputs, ledger, [d], manifest["as_of"]),
    )
    log.info(
        "Sent %d digest(s): %s.",
        len(found),
        ", ".join(f"{d.scope} to {len(d.to)} ({d.new_alerts} new alerts)" for d in found),
    )


if __name__ == "__main__":
    sys.exit(main())
