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
