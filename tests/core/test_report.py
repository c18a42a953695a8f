"""The shareable report: readable in three formats, and never a secret in any of them."""

from __future__ import annotations

import base64
import json

import pytest

from mailgui.core.accounts import Account, Security, ServerSettings
from mailgui.core.discovery import PortChoice, discover
from mailgui.core.probe import run_ladder
from mailgui.core.report import FORMATS, build_report, format_for_path, render, versions
from tests.smtp_servers import PASSWORD, USER, SmtpServer


def forbidden(user: str, password: str) -> list[str]:
    b64 = base64.b64encode
    return [
        password,
        b64(password.encode()).decode(),
        b64(f"\0{user}\0{password}".encode()).decode(),
        b64(f"{user}\0{user}\0{password}".encode()).decode(),
    ]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_no_secret_in_any_format(mechanism: str) -> None:
    with SmtpServer("starttls", mechanisms=(mechanism,)) as server:
        settings = server.settings()
        smtp = run_ladder(settings, PASSWORD, email=USER, timeout=3, mx_timeout=0)
        assert smtp.ok, smtp.diagnosis
        assert any(f"AUTH {mechanism}" in line for line in smtp.transcript.to_json())
        found = discover(
            settings,
            email=USER,
            password=PASSWORD,
            hosts=["localhost"],
            ports=[PortChoice(server.port, Security.STARTTLS)],
            timeout=2,
        )
        failed = run_ladder(settings, PASSWORD + "x", email=USER, timeout=3, mx_timeout=0)
    account = Account("Work", USER, settings)
    for result in (smtp, failed):
        report = build_report(
            account=account,
            smtp=result,
            discovery=found,
            qt_version="6.x",
            secrets=[PASSWORD, PASSWORD + "x"],
        )
        for fmt in FORMATS:
            text = render(report, fmt)
            for secret in forbidden(USER, PASSWORD) + forbidden(USER, PASSWORD + "x"):
                assert secret not in text, (fmt, mechanism)


def test_report_content(starttls_server: SmtpServer) -> None:
    result = run_ladder(starttls_server.settings(), "wrong", email=USER, timeout=3, mx_timeout=0)
    account = Account("Work", USER, starttls_server.settings())
    report = build_report(account=account, smtp=result, qt_version="6.9.9", secrets=["wrong"])
    assert report["versions"]["qt"] == "6.9.9"
    assert set(report["versions"]) >= {"mailgui", "python", "qt", "openssl", "os"}
    data = json.loads(render(report, "json"))
    assert data["smtp"]["failed_stage"] == "auth"
    assert data["smtp"]["diagnosis"]["category"] == "auth"
    assert data["smtp"]["tls"]["sha256"]
    assert data["smtp"]["capabilities"]["auth"] == ["LOGIN", "PLAIN"]
    text = render(report, "text")
    assert "SMTP connection test: failed at auth" in text
    assert "What to try:" in text
    assert "[FAIL] auth" in text
    assert "SHA-256:" in text
    assert "AUTH PLAIN ***" in text
    markdown = render(report, "markdown")
    assert markdown.startswith("# mailgui connection report")
    assert "| auth | failed |" in markdown
    assert "```" in markdown
    assert "id" not in data["account"]


def test_cli_versions_say_na_for_qt() -> None:
    assert versions()["qt"] == "n/a"
    report = build_report(account=Account("x", "x@example.test", ServerSettings(host="h")))
    assert report["smtp"] is None
    assert "n/a" in render(report, "text")


def test_format_for_path_and_unknown_format() -> None:
    assert format_for_path("r.JSON") == "json"
    assert format_for_path("r.md") == "markdown"
    assert format_for_path("r.txt") == "text"
    with pytest.raises(ValueError, match="unknown report format"):
        render({}, "pdf")


def _table_rows(markdown: str, header: str) -> list[str]:
    lines = markdown.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _unescaped_pipes(row: str) -> int:
    # A pipe separates cells unless a backslash escapes it (and "\\" is an escaped backslash).
    count, i = 0, 0
    while i < len(row):
        if row[i] == "\\":
            i += 2
            continue
        count += row[i] == "|"
        i += 1
    return count


def test_server_text_with_pipes_keeps_the_markdown_table_intact(smtp_server_factory) -> None:
    reply = "535 5.7.8 Bad credentials | see https://help.example/a|b \\| c"
    server = smtp_server_factory("starttls", fail={"AUTH": reply})
    result = run_ladder(server.settings(), PASSWORD, email=USER, timeout=3, mx_timeout=0)
    assert result.failed_stage == "auth"
    markdown = render(build_report(smtp=result, secrets=[PASSWORD]), "markdown")
    rows = _table_rows(markdown, "| stage | result | time | detail |")
    assert len(rows) > 3
    assert all(_unescaped_pipes(row) == 5 for row in rows), rows
    auth_row = next(row for row in rows if row.startswith("| auth |"))
    assert "Bad credentials \\| see https://help.example/a\\|b \\\\\\| c" in auth_row


def test_markdown_cells_escape_line_breaks() -> None:
    class Result:
        def to_json(self) -> dict[str, object]:
            stage = {"name": "ehlo", "status": "failed", "duration_ms": 3, "detail": "a\nb|c\r\nd"}
            return {"ok": False, "failed_stage": "ehlo", "stages": [stage]}

    markdown = render(build_report(smtp=Result()), "markdown")
    rows = _table_rows(markdown, "| stage | result | time | detail |")
    assert rows[-1] == "| ehlo | failed | 3 ms | a<br>b\\|c<br>d |"


def test_ca_file_path_is_reduced_to_its_name(starttls_server: SmtpServer) -> None:
    settings = starttls_server.settings()
    ca_path = settings.ca_file
    assert ca_path
    assert "/" in ca_path
    folder, name = ca_path.rsplit("/", 1)

    class Result:  # a detail quoting the path, as an error about the file would
        def to_json(self) -> dict[str, object]:
            stage = {"name": "tls", "status": "failed", "duration_ms": 1, "detail": ca_path}
            return {"ok": False, "failed_stage": "tls", "stages": [stage], "transcript": [ca_path]}

    imap = settings.replace(ca_file="C:\\Users\\someone\\certs\\corp-ca.pem")
    account = Account("Work", USER, settings, imap=imap)
    report = build_report(account=account, smtp=Result())
    assert report["account"]["smtp"]["ca_file"] == name
    assert report["account"]["imap"]["ca_file"] == "corp-ca.pem"
    for fmt in FORMATS:
        text = render(report, fmt)
        assert folder not in text, fmt
        assert "someone" not in text, fmt
        assert name in text, fmt


def test_common_word_password_keeps_mailguis_own_words() -> None:
    """Password "password": only outside text is scrubbed, so mailgui's wording stays intact
    (and does not give the password away), while the AUTH payload never appears."""
    password = "password"
    reply = "535 5.7.8 Invalid user name or password"
    with SmtpServer("starttls", users={USER: password}, fail={"AUTH": reply}) as server:
        settings = server.settings()
        result = run_ladder(settings, password, email=USER, timeout=3, mx_timeout=0)
    assert result.failed_stage == "auth"
    assert result.diagnosis is not None
    account = Account("Work", USER, settings)
    report = build_report(account=account, smtp=result, qt_version="6.x", secrets=[password])
    for fmt in FORMATS:
        text = render(report, fmt)
        for secret in forbidden(USER, password)[1:]:  # the word itself is mailgui's too
            assert secret not in text, fmt
        assert "app password" in text, fmt  # a fix: mailgui's own wording
        assert result.diagnosis.title in text, fmt
        assert "***" not in result.diagnosis.title
        assert "Invalid user name or ***" in text, fmt  # the server's reply is scrubbed
    text = render(report, "text")
    assert "auth: password" in text  # the account's sign-in method, a field value of mailgui's
    assert "auth: ***" not in text
    for fix in result.diagnosis.fixes:
        assert fix in text
