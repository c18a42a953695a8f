"""The SMTP stage ladder against real aiosmtpd servers on loopback."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from mailgui.core.accounts import Account, AuthMethod, Security, ServerSettings
from mailgui.core.cancel import CancelToken
from mailgui.core.diagnosis import Category
from mailgui.core.errors import Cancelled, CertificatePinMismatch
from mailgui.core.probe import (
    LiveTranscript,
    StageEvent,
    host_from_certificate,
    planned_stages,
    run_account,
    run_ladder,
    trust_certificate,
)
from mailgui.core.stages import StageStatus
from tests.smtp_servers import PASSWORD, USER, SilentServer, SmtpServer, cert_sha256

FAST = {"timeout": 3.0, "mx_timeout": 0.0}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def statuses(result) -> dict[str, str]:
    return {s.name: s.status.value for s in result.stages}


def test_all_stages_pass_with_one_event_per_stage(starttls_server: SmtpServer) -> None:
    events: list[StageEvent] = []
    result = run_ladder(
        starttls_server.settings(), PASSWORD, email=USER, on_event=events.append, **FAST
    )
    assert result.ok, result.diagnosis
    assert statuses(result) == {
        "dns": "passed",
        "connect": "passed",
        "ehlo": "passed",
        "starttls": "passed",
        "auth": "passed",
        "envelope": "passed",
        "data": "skipped",
        "quit": "passed",
    }
    ended = [e.result for e in events if e.result is not None]
    assert ended == result.stages  # exactly one end event per stage, in order
    assert [e.name for e in events if e.started][:2] == ["dns", "ehlo"]
    assert all(s.duration_ms >= 0 for s in result.stages)
    assert result.tls is not None
    assert result.tls.verified_by == "ca"
    assert result.capabilities is not None
    assert "PLAIN" in result.capabilities.auth
    # The dry run names nobody but the account itself, and nothing is sent.
    assert starttls_server.received == []
    rcpts = [c for c in starttls_server.commands if c.startswith("RCPT")]
    assert rcpts == [f"RCPT TO:<{USER}>"]
    assert "RSET" in starttls_server.commands
    assert "DATA" not in starttls_server.commands
    assert PASSWORD not in result.transcript.to_text()


def test_ssl_ladder_has_a_tls_stage(ssl_server: SmtpServer) -> None:
    result = run_ladder(ssl_server.settings(), PASSWORD, email=USER, **FAST)
    assert result.ok
    assert statuses(result)["tls"] == "passed"
    assert statuses(result)["starttls"] == "skipped"
    tls_detail = next(s.detail for s in result.stages if s.name == "tls")
    assert "TLSv1" in tls_detail
    assert "valid for localhost" in tls_detail
    assert "issuer O=mailgui test CA trusted" in tls_detail
    assert [s.name for s in result.stages] == planned_stages(Security.SSL)


def test_send_a_test_message_to_myself(starttls_server: SmtpServer) -> None:
    result = run_ladder(starttls_server.settings(), PASSWORD, email=USER, send_test=True, **FAST)
    assert result.ok
    assert result.test_message_sent
    (message,) = starttls_server.wait_for_messages(1)
    assert message.rcpt_tos == [USER]
    assert message.mail_from == USER
    assert statuses(result)["data"] == "passed"


def test_without_password_auth_is_skipped(starttls_server: SmtpServer) -> None:
    account = Account("t", USER, starttls_server.settings(auth=AuthMethod.NONE))
    result = run_account(account, None, **FAST)
    assert statuses(result)["auth"] == "skipped"


def test_dns_failure() -> None:
    result = run_ladder(ServerSettings(host="no-such-host.invalid", port=25), None, **FAST)
    assert not result.ok
    assert result.failed_stage == "dns"
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.DNS
    assert not result.worth_discovery


def test_mx_lookup_failure_is_not_fatal(starttls_server: SmtpServer) -> None:
    result = run_ladder(
        starttls_server.settings(),
        PASSWORD,
        email="me@mx-does-not-exist.invalid",
        timeout=3.0,
        mx_timeout=1.0,
    )
    assert result.ok
    assert result.mx == []
    assert "MX of mx-does-not-exist.invalid: none found" in result.stages[0].detail


def test_closed_port_fails_at_connect() -> None:
    result = run_ladder(ServerSettings(host="localhost", port=closed_port()), None, **FAST)
    assert result.failed_stage == "connect"
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.CONNECT
    assert result.worth_discovery


def test_untrusted_certificate_is_shown_and_can_be_pinned() -> None:
    with SmtpServer("ssl", cert="untrusted") as server:
        first = run_ladder(server.settings(), PASSWORD, email=USER, **FAST)
        assert first.failed_stage == "tls"
        assert first.diagnosis is not None
        assert first.diagnosis.category is Category.CERTIFICATE
        cert = first.certificate
        assert cert is not None
        assert first.certificate_untrusted
        assert cert.sha256 == cert_sha256("untrusted")
        assert "localhost" in cert.names
        assert "untrusted" in cert.issuer
        assert cert.not_after
        assert cert.subject
        pinned = trust_certificate(server.settings(), cert)
        assert pinned.pinned_sha256 == cert.sha256
        again = run_ladder(pinned, PASSWORD, email=USER, **FAST)
        assert again.ok
        assert again.tls is not None
        assert again.tls.verified_by == "pin"
    # Another certificate on the same host and port: refused again.
    with SmtpServer("ssl", cert="good") as other:
        changed = run_ladder(
            other.settings(pinned_sha256=cert.sha256), PASSWORD, email=USER, **FAST
        )
        assert isinstance(changed.error, CertificatePinMismatch)
        assert changed.certificate is not None
        assert changed.certificate.sha256 == cert_sha256()


def test_certificate_for_another_name_offers_that_name() -> None:
    with SmtpServer("starttls", cert="wronghost") as server:
        result = run_ladder(server.settings(), PASSWORD, email=USER, **FAST)
    assert result.failed_stage == "starttls"
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.CERTIFICATE
    assert result.suggested_host == "otherhost.test"


def test_ehlo_refused() -> None:
    with SmtpServer("starttls", fail={"EHLO": "554 5.7.1 go away"}) as server:
        result = run_ladder(server.settings(), PASSWORD, email=USER, **FAST)
    assert result.failed_stage == "ehlo"
    assert result.diagnosis is not None
    assert result.diagnosis.reply_code == 554


def test_starttls_not_offered(plain_server: SmtpServer) -> None:
    settings = plain_server.settings(security=Security.STARTTLS)
    result = run_ladder(settings, PASSWORD, email=USER, **FAST)
    assert result.failed_stage == "starttls"
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.STARTTLS
    assert result.worth_discovery


def test_wrong_password() -> None:
    with SmtpServer("starttls") as server:
        result = run_ladder(server.settings(), "not-the-password", email=USER, **FAST)
    assert result.failed_stage == "auth"
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.AUTH
    assert result.diagnosis.reply_code == 535
    assert not result.worth_discovery


def test_recipient_refused_in_dry_run() -> None:
    fail = {"RCPT": "550 5.1.1 <alice@example.test>: Recipient address rejected"}
    with SmtpServer("starttls", fail=fail) as server:
        result = run_ladder(server.settings(), PASSWORD, email=USER, **FAST)
    assert result.failed_stage == "envelope"
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.RECIPIENTS


def test_cancel_while_waiting_for_a_silent_server(silent_server: SilentServer) -> None:
    token = CancelToken()
    threading.Timer(0.2, token.cancel).start()
    started = time.monotonic()
    result = run_ladder(
        silent_server.settings(Security.SSL), None, timeout=10.0, mx_timeout=0, cancel=token
    )
    assert time.monotonic() - started < 2.0
    assert isinstance(result.error, Cancelled)
    assert result.cancelled
    assert result.failed_stage == "tls"


def test_live_transcript_reports_redacted_lines(starttls_server: SmtpServer) -> None:
    lines: list[str] = []
    transcript = LiveTranscript(lines.append)
    result = run_ladder(
        starttls_server.settings(), PASSWORD, email=USER, transcript=transcript, **FAST
    )
    assert result.ok
    assert lines == transcript.to_json()
    assert any("AUTH PLAIN ***" in line for line in lines)


@pytest.mark.parametrize(
    ("host", "names", "expected"),
    [
        ("mail.example.org", ("smtp.example.com", "*.example.com"), "smtp.example.com"),
        ("mail.example.org", ("*.example.com",), "mail.example.com"),
        ("x", ("127.0.0.1",), None),
    ],
)
def test_host_from_certificate(host: str, names: tuple[str, ...], expected: str | None) -> None:
    assert host_from_certificate(host, names) == expected


def test_stage_status_values_are_stable() -> None:
    assert {s.value for s in StageStatus} == {"passed", "failed", "skipped"}
