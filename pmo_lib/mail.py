"""The monthly digest: after a run, one e-mail per subscriber list (a scope's `mail.to`).

Each digest holds the scope's key figures with their change since the previous snapshot, the new
alerts, the projects to discuss and a link to each of the scope's reports, as HTML with a
plain-text part. Alerts — a project computed red, the Outlook past the FY Plan by more than
`mail.outlook_over_plan_pct`, a decision overdue — are sent once: the ledger
(outputs/.mail-sent.json) keeps each scope's alerts still standing, and a digest lists only those
it did not hold; an alert whose condition ends leaves the ledger, so that it is sent again if it
comes back. A scope's digest for an as-of date goes once, unless it has new alerts.

Mail goes over SMTP with STARTTLS (mail.host, port, user; the password from PMO_SMTP_PASSWORD,
never a file); `--mail-dry-run DIR` writes each message as a .eml file instead and sends
nothing. Every text from the data is escaped in the HTML part.
"""

from __future__ import annotations

import html
import json
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pandas as pd

from pmo_lib import formatting as fmt
from pmo_lib.catalog import REPORTS
from pmo_lib.errors import PMOError
from pmo_lib.narrative.portfolio_summary import tile_value

LEDGER = ".mail-sent.json"
PASSWORD_VARIABLE = "PMO_SMTP_PASSWORD"
SECONDS = 30  # the SMTP server's answer, at most
TILES = [  # (label, headline key, kind, is a rise good?)
    ("Active projects", "active_projects", "count", None),
    ("Computed red", "rag_red", "count", False),
    ("FY Plan", "fy_plan", "money", None),
    ("Outlook", "fy_outlook", "money", None),
    ("Variance (Outlook − Plan)", "fy_variance", "money", False),
    ("Demand backlog", "demand_open_count", "count", None),
    ("Benefits realised to date", "benefits_realised_pct", "percent", True),
    ("Decisions overdue", "decisions_overdue", "count", False),
]
WATCH_SHOWN = 8  # projects to discuss, at most


@dataclass
class Digest:
    scope: str
    title: str
    to: list[str]
    subject: str
    text: str
    html: str
    alerts: list[str] = field(default_factory=list)  # the keys of every alert standing now
    new_alerts: int = 0


def tiles(now: dict, before: dict | None, currency: str) -> list[tuple[str, str, str]]:
    """(label, value, change) for the digest's figures; change blank without a previous one."""
    out = []
    for label, key, kind, _ in TILES:
        value, earlier = now.get(key), (before or {}).get(key)
        change = ""
        if value is not None and earlier is not None and value != earlier:
            sign = "▲" if value > earlier else "▼"
            change = f"{sign} {tile_value(abs(value - earlier), kind, currency)}"
        out.append((label, tile_value(value, kind, currency), change))
    return out


def alerts(now_figures: dict, assessed: pd.DataFrame, decisions_late: pd.DataFrame, pct: float):
    """Every alert standing now: {key: sentence}."""
    out = {}
    for r in assessed[assessed["overall"] == "Red"].itertuples():
        out[f"red:{r.project_id}"] = f"{r.project_id} {r.project_name} is computed red: {r.reasons}"
    plan, outlook = now_figures.get("fy_plan"), now_figures.get("fy_outlook")
    if plan and outlook is not None and outlook > plan * (1 + pct / 100):
        over = 100 * (outlook - plan) / plan
        out["outlook_over_plan"] = (
            f"The Outlook passes the FY Plan by {fmt.percent(over)} (more than {pct:g} %)"
        )
    for r in decisions_late.itertuples():
        out[f"decision:{r.decision_id}"] = (
            f"Decision {r.decision_id} ({r.title}) for {r.project_id} is {r.days_overdue} days"
            " overdue"
        )
    return out


def _link(base: str, run_dir: Path, as_of: str, scope: str, page: str) -> str:
    if base:
        return f"{base.rstrip('/')}/{as_of}/{scope}/{page}"
    return (run_dir / scope / page).resolve().as_uri()


def compose(
    title: str,
    as_of: str,
    figures: list[tuple[str, str, str]],
    new: list[str],
    watch: pd.DataFrame,
    links: list[tuple[str, str]],
) -> tuple[str, str, str]:
    """Subject, plain text and HTML of one digest (every data text escaped in the HTML)."""
    day = fmt.date(as_of)
    red = next((v for label, v, _ in figures if label == "Computed red"), "n/a")
    subject = f"PMO Reports · {title} · {day}: {red} computed red, {len(new)} new alerts"
    lines = [f"{title}: the month to {day}", ""]
    lines += [
        f"- {label}: {value}" + (f" ({change})" if change else "")
        for label, value, change in figures
    ]
    lines += ["", "New alerts:" if new else "No new alerts."]
    lines += [f"- {a}" for a in new]
    if len(watch):
        lines += ["", "To discuss:"]
        lines += [f"- {r.project_id} {r.project_name}: {r.why}" for r in watch.itertuples()]
    lines += ["", "Reports:"] + [f"- {name}: {url}" for name, url in links]
    text = "\n".join(lines) + "\n"
    e = lambda t: html.escape(str(t))  # noqa: E731
    rows = "".join(
        f"<tr><td>{e(label)}</td><td style='text-align:right'><b>{e(value)}</b></td>"
        f"<td style='color:#52606d'>{e(change)}</td></tr>"
        for label, value, change in figures
    )
    parts = [
        f"<h2 style='color:#1f4e79'>{e(title)} <small>as of {e(day)}</small></h2>",
        f"<table cellpadding='4' style='border-collapse:collapse'>{rows}</table>",
        "<h3>New alerts</h3>"
        + (
            "<ul>" + "".join(f"<li>{e(a)}</li>" for a in new) + "</ul>"
            if new
            else "<p>No new alerts.</p>"
        ),
    ]
    if len(watch):
        parts.append(
            "<h3>To discuss</h3><ul>"
            + "".join(
                f"<li><b>{e(r.project_id)} {e(r.project_name)}</b>: {e(r.why)}</li>"
                for r in watch.itertuples()
            )
            + "</ul>"
        )
    parts.append(
        "<h3>Reports</h3><ul>"
        + "".join(f"<li><a href='{e(url)}'>{e(name)}</a></li>" for name, url in links)
        + "</ul>"
    )
    body = (
        "<!DOCTYPE html><html><body style='font-family:sans-serif;color:#1f2933'>"
        + "".join(parts)
        + "</body></html>"
    )
    return subject, text, body


def digests(run_dir: Path, manifest: dict, configs: list, source, ledger: dict) -> list[Digest]:
    """The digest of every scope of the run whose parameters name subscribers."""
    from pmo_lib import data
    from pmo_lib.metrics import health, raid, summary

    jobs = manifest["jobs"]
    as_of = manifest["as_of"]
    out = []
    for config in configs:
        if not config.mail.to:
            continue
        mine = [j for j in jobs if j["scope"] == config.slug and j["status"] != "failed"]
        if not mine:
            continue
        loaded = data.load_portfolio(config.portfolio, as_of, source)
        now, before = loaded.current, loaded.previous
        past = health.Past.of(data.all_snapshots(loaded))
        figures_now = summary.figures(
            now, data.resource_load(loaded), config.portfolio, config, past
        )
        figures_before = (
            summary.figures(
                before, data.resource_load(loaded, previous=True), config.portfolio, config, past
            )
            if before is not None
            else None
        )
        assessed = health.assess(now, config.health, config.spend.eac_formula, past)
        late = raid.analyse(now, pd.Series(dtype="float64")).decisions_overdue
        standing = alerts(figures_now, assessed, late, config.mail.outlook_over_plan_pct)
        held = set(ledger.get("alerts", {}).get(config.slug, []))
        new = [sentence for key, sentence in standing.items() if key not in held]
        if ledger.get("digests", {}).get(config.slug) == as_of and not new:
            # this month's digest went already and nothing new stands: only the alerts that
            # ended leave the ledger (so that they go again if they come back)
            ledger.setdefault("alerts", {})[config.slug] = sorted(standing)
            continue
        links = [
            (
                REPORTS.get(j["report"], j["report"]),
                _link(config.mail.reports_url, run_dir, as_of, config.slug, j["html"]),
            )
            for j in mine
        ]
        watch = health.watch_list(assessed, WATCH_SHOWN)
        subject, text, body = compose(
            config.title,
            as_of,
            tiles(figures_now, figures_before, config.currency),
            new,
            watch,
            links,
        )
        out.append(
            Digest(
                config.slug,
                config.title,
                config.mail.to,
                subject,
                text,
                body,
                list(standing),
                len(new),
            )
        )
    return out


def message(digest: Digest, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = digest.subject
    msg["From"] = sender
    msg["To"] = ", ".join(digest.to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="pmo-reports")
    msg.set_content(digest.text)
    msg.add_alternative(digest.html, subtype="html")
    return msg


def read_ledger(outputs: Path) -> dict:
    path = outputs / LEDGER
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # unreadable: alerts go again rather than never


def write_ledger(outputs: Path, ledger: dict, sent: list[Digest], as_of: str) -> None:
    from pmo_lib.render import write_atomic

    for d in sent:
        ledger.setdefault("digests", {})[d.scope] = as_of
        ledger.setdefault("alerts", {})[d.scope] = sorted(d.alerts)
    write_atomic(outputs / LEDGER, json.dumps(ledger, indent=1))


def send(found: list[Digest], configs: list, sent=lambda digest: None) -> None:
    """Send the digests one by one, calling sent(digest) after each (the ledger is written
    then: a failure later does not send it again); a failure is said with the server's name
    and reason, never the password."""
    by_scope = {c.slug: c.mail for c in configs}
    password = os.environ.get(PASSWORD_VARIABLE, "")
    for d in found:
        mail = by_scope[d.scope]
        context = ssl.create_default_context(cafile=mail.ca_file or None)
        try:
            with smtplib.SMTP(mail.host, mail.port, timeout=SECONDS) as smtp:
                if mail.starttls:
                    smtp.starttls(context=context)
                if mail.user:
                    smtp.login(mail.user, password)
                smtp.send_message(message(d, mail.sender))
            sent(d)
        except (OSError, smtplib.SMTPException) as exc:
            reason = str(exc).replace(password, "***") if password else str(exc)
            raise PMOError(
                f"mail: the digest of {d.scope} was not sent through {mail.host}:{mail.port}:"
                f" {reason}"
            ) from exc


def write_eml(found: list[Digest], configs: list, folder: Path) -> list[Path]:
    """The dry run: each digest as a .eml file in folder; nothing sent."""
    folder.mkdir(parents=True, exist_ok=True)
    by_scope = {c.slug: c.mail for c in configs}
    written = []
    for d in found:
        path = folder / f"{d.scope}.eml"
        path.write_bytes(bytes(message(d, by_scope[d.scope].sender)))
        written.append(path)
    return written
