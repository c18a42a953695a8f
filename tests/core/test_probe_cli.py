"""`mailgui probe` and the `mailgui check` extras (full_check) against loopback servers."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest

from mailgui.cli import main
from mailgui.cli_probe import check_exit_code, full_check, parse_ports
from mailgui.core.accounts import Account, Security, ServerSettings
from mailgui.core.imap import imap_settings_for
from tests.imap_server import USERS, ImapServer
from tests.smtp_servers import PASSWORD, USER, SilentServer, SmtpServer


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["probe", *argv], out=out)
    return code, out.getvalue()


def test_probe_json_lists_every_combination(starttls_server: SmtpServer) -> None:
    with SilentServer() as silent:
        refused = closed_port()
        ports = f"{refused}:ssl,{starttls_server.port}:starttls,{silent.port}:starttls"
        code, text = run(
            "--host", "localhost", "--ports", ports, "--ca-file", starttls_server.ca_file,
            "--timeout", "0.5", "--json",
        )  # fmt: skip
    assert code == 0
    data = json.loads(text)
    assert [a["outcome"] for a in data["attempts"]] == ["refused", "works", "no-answer"]
    assert data["recommended"] == {
        "host": "localhost", "port": starttls_server.port, "security": "starttls"
    }  # fmt: skip
    assert data["settings"]["port"] == starttls_server.port
    assert data["exit_code"] == 0


def test_probe_text_and_password(monkeypatch, starttls_server: SmtpServer) -> None:
    monkeypatch.setenv("SMTP_PW", PASSWORD)
    ports = f"{closed_port()}:ssl,{starttls_server.port}:starttls"
    code, text = run(
        "--email", USER, "--server", "localhost", "--password-env", "SMTP_PW", "--ports", ports,
        "--ca-file", starttls_server.ca_file, "--timeout", "1",
    )  # fmt: skip
    assert code == 0
    assert "connection refused" in text
    assert "signed in" in text
    assert f"Recommended: localhost port {starttls_server.port} starttls" in text
    assert "smtp.example.test" in text  # the address's domain was tried too (and not found)
    assert PASSWORD not in text
    monkeypatch.setenv("SMTP_PW", "wrong")
    code, text = run(
        "--host", "localhost", "--user", USER, "--password-env", "SMTP_PW", "--ports", ports,
        "--ca-file", starttls_server.ca_file, "--timeout", "1",
    )  # fmt: skip
    assert code == 8
    assert "refused the user name or password" in text


def test_probe_nothing_works_and_bad_input() -> None:
    code, text = run("--host", "localhost", "--ports", f"{closed_port()}:ssl", "--timeout", "1")
    assert code == 4
    assert "Nothing worked" in text
    code, text = run("--host", "localhost", "--ports", "465:tls")
    assert code == 2
    assert "not one of ssl, starttls, none" in text
    code, _ = run("--host", "localhost", "--password-env", "MAILGUI_NOT_SET_ANYWHERE")
    assert code == 2
    with pytest.raises(ValueError, match="PORT:SECURITY"):
        parse_ports("x:ssl")


def test_full_check_with_dry_run_and_report(starttls_server: SmtpServer, tmp_path: Path) -> None:
    account = Account("Work", USER, starttls_server.settings())
    report = tmp_path / "report.md"
    result = full_check(account, PASSWORD, report_path=report, timeout=3)
    assert result.ok
    assert result.exit_code == 0
    data = result.to_json()
    assert {s["name"]: s["status"] for s in data["stages"]}["envelope"] == "passed"
    assert data["imap"] is None
    assert data["report"] == str(report)
    text = report.read_text()
    assert text.startswith("# mailgui connection report")
    assert PASSWORD not in text
    assert "qt**: n/a" in text
    failed = full_check(account, "wrong", dry_run=False, timeout=3)
    assert failed.exit_code == 8
    assert failed.to_json()["diagnosis"]["category"] == "auth"
    skipped = {s.name: s.status.value for s in failed.smtp.stages}
    assert "envelope" not in skipped  # stopped at auth


@pytest.mark.imap
def test_full_check_with_imap(imap_server: ImapServer, starttls_server: SmtpServer) -> None:
    imap = ServerSettings(
        host="localhost", port=imap_server.ssl_port, security=Security.SSL, username=USER,
        ca_file=imap_server.ca_file,
    )  # fmt: skip
    account = Account("Work", USER, starttls_server.settings(), imap=imap)
    result = full_check(account, PASSWORD, imap=True, imap_password=USERS[USER], timeout=3)
    assert result.ok
    assert result.to_json()["imap"]["inbox_messages"] == 3
    wrong = full_check(account, PASSWORD, imap=True, imap_password="nope", timeout=3)
    assert wrong.exit_code == 8
    assert check_exit_code(wrong.smtp, wrong.imap) == 8


def test_imap_settings_guess() -> None:
    account = Account("W", USER, ServerSettings(host="smtp.example.test", username="u"))
    guessed = imap_settings_for(account)
    assert (guessed.host, guessed.port, guessed.security) == (
        "imap.example.test",
        993,
        Security.SSL,
    )
    assert guessed.username == "u"
