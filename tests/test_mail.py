"""The monthly digest, sent to a real SMTP server the test starts on the loopback address
(aiosmtpd) with STARTTLS on a certificate made for it (trustme) and a login; the test reads
what the server received."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl

import duckdb
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from pmo_lib import demo
from pmo_lib.params import params_dir
from run_reports import main

PASSWORD = "s3cret-mail-Pw"
NASTY = "<script>alert(1)</script> Ledger"  # a project name no page or mail may run


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def _login(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"pmo" and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(tmp_path):
    ca = trustme.CA()
    served = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=_login,
        auth_require_tls=True,
    )
    controller.start()
    yield inbox, controller.port, ca_file
    controller.stop()


@pytest.fixture
def deployment(tmp_path, smtp):
    """A demo store with a red project given a nasty name, and params that mail two scopes."""
    _, port, ca_file = smtp
    store = tmp_path / "pmo.duckdb"
    demo.build_demo_store(store)
    with duckdb.connect(str(store)) as con:  # PRJ-00041 is computed red in the demo
        con.execute("UPDATE projects SET project_name = ? WHERE project_id = 'PRJ-00041'", [NASTY])
    params = tmp_path / "params"
    shutil.copytree(params_dir(), params)
    server = f"  host: 127.0.0.1\n  port: {port}\n  user: pmo\n  ca_file: {ca_file}\n"
    with (params / "function.yaml").open("a") as f:
        f.write(f"mail:\n  to: [cio-office@example.com]\n{server}")
    with (params / "data-analytics.yaml").open("a") as f:
        f.write(f"mail:\n  to: [da-lead@example.com, da-pmo@example.com]\n{server}")
    return store, params


def _run(deployment, tmp_path, *extra) -> int:
    store, params = deployment
    args = ["--source", str(store), "--params", str(params), "--outputs", str(tmp_path / "out")]
    args += ["--portfolio", "function", "--portfolio", "data-analytics"]
    args += ["--level", "function", "--level", "portfolio", "--report", "health", *extra]
    return main(args)


def test_each_scope_gets_its_digest_once_with_new_alerts_only(
    deployment, smtp, tmp_path, monkeypatch
):
    inbox, _, _ = smtp
    monkeypatch.setenv("PMO_SMTP_PASSWORD", PASSWORD)
    assert _run(deployment, tmp_path) == 0
    by_to = {m["To"]: m for m in inbox.messages}
    assert set(by_to) == {"cio-office@example.com", "da-lead@example.com, da-pmo@example.com"}
    da = by_to["da-lead@example.com, da-pmo@example.com"]
    assert da["Subject"].startswith("PMO Reports · Data & Analytics · 31 Oct 2026:")
    text = da.get_body(("plain",)).get_content()
    page = da.get_body(("html",)).get_content()
    assert "- Computed red: 13" in text and "New alerts:" in text
    assert f"{NASTY} is computed red" in text  # plain text: the name as it is
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Ledger" in page
    assert "/2026-10-31/data-analytics/health.html" in page  # a link to each report
    assert PASSWORD not in da.as_string()
    # the same run again: this month's digests went, no alert is new: nothing sent
    assert _run(deployment, tmp_path) == 0
    assert len(inbox.messages) == 2


def test_dry_run_writes_eml_files_and_no_mail_sends_nothing(deployment, smtp, tmp_path):
    inbox, _, _ = smtp
    assert _run(deployment, tmp_path, "--no-mail") == 0
    drafts = tmp_path / "drafts"
    assert _run(deployment, tmp_path, "--mail-dry-run", str(drafts)) == 0
    assert inbox.messages == []
    files = sorted(p.name for p in drafts.iterdir())
    assert files == ["data-analytics.eml", "function.eml"]
    msg = email.message_from_bytes(
        (drafts / "function.eml").read_bytes(), policy=email.policy.default
    )
    assert msg["To"] == "cio-office@example.com" and msg.is_multipart()


def test_a_wrong_password_is_said_without_it(deployment, smtp, tmp_path, monkeypatch, capsys):
    inbox, port, _ = smtp
    monkeypatch.setenv("PMO_SMTP_PASSWORD", "not-" + PASSWORD)
    assert _run(deployment, tmp_path) == 2
    err = capsys.readouterr().err
    assert f"mail: the digest of function was not sent through 127.0.0.1:{port}" in err
    assert PASSWORD not in err and inbox.messages == []


def test_a_bad_address_is_refused_naming_the_file(deployment, tmp_path, capsys):
    store, params = deployment
    (params / "customer-channels.yaml").write_text(
        "portfolio: Customer Channels\nmail:\n  to: [not-an-address]\n"
    )
    assert _run(deployment, tmp_path) == 2
    err = capsys.readouterr().err
    assert "customer-channels.yaml" in err and "'not-an-address' is not an e-mail address" in err
