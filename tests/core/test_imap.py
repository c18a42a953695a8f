"""The IMAP ladder against a real dovecot on loopback (tests/imap_server.py)."""

from __future__ import annotations

import asyncio
import base64
import imaplib
import ssl
import threading
import time
from collections.abc import Iterator

import pytest

from mailgui.core.accounts import Security, ServerSettings
from mailgui.core.cancel import CancelToken
from mailgui.core.diagnosis import Category, DiagnosisContext
from mailgui.core.errors import Cancelled, CertificatePinMismatch, InsecureAuthRefused
from mailgui.core.imap import ImapProtocolError, check_imap, imap_diagnosis
from mailgui.core.stages import StageResult
from tests.imap_server import INBOX_MESSAGES, USERS, ImapServer, require_dovecot
from tests.smtp_servers import RawServer, SilentServer

pytestmark = pytest.mark.imap
USER = "alice@example.test"
PASSWORD = USERS[USER]


def settings(server: ImapServer, security: Security, **changes: object) -> ServerSettings:
    port = server.ssl_port if security is Security.SSL else server.port
    base = ServerSettings(
        host=server.hostname, port=port, security=security, username=USER, ca_file=server.ca_file
    )
    return base.replace(**changes)


def names(stages: list[StageResult]) -> list[str]:
    return [s.name for s in stages]


@pytest.mark.parametrize("security", [Security.SSL, Security.STARTTLS])
def test_ladder_passes(imap_server: ImapServer, security: Security) -> None:
    events: list[tuple[str, bool]] = []
    result = check_imap(
        settings(imap_server, security),
        PASSWORD,
        timeout=5,
        on_stage=lambda name, done: events.append((name, done is not None)),
    )
    assert result.ok, result.diagnosis
    tls_stage = "tls" if security is Security.SSL else "starttls"
    expected = ["dns", "connect", "capability", "login", "list", "inbox", "quit"]
    expected.insert(2 if security is Security.SSL else 3, tls_stage)
    assert names(result.stages) == expected
    assert all(s.status == "passed" for s in result.stages)
    assert [n for n, done in events if done] == expected
    assert result.inbox_messages == INBOX_MESSAGES
    assert "INBOX" in result.mailboxes
    assert result.tls is not None
    assert result.tls.verified_by == "ca"
    assert "IMAP4REV1" in result.capabilities
    text = result.transcript.to_text()
    assert PASSWORD not in text
    assert "LOGIN ***" in text
    assert result.to_json()["inbox_messages"] == INBOX_MESSAGES


def test_wrong_password(imap_server: ImapServer) -> None:
    result = check_imap(settings(imap_server, Security.SSL), "wrong-password", timeout=5)
    assert not result.ok
    assert result.failed_stage == "login"
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.AUTH
    assert "AUTHENTICATIONFAILED" in (result.diagnosis.server_reply or "")
    assert "wrong-password" not in result.transcript.to_text()


def test_untrusted_certificate(imap_server: ImapServer) -> None:
    result = check_imap(settings(imap_server, Security.SSL, ca_file=None), PASSWORD, timeout=5)
    assert result.failed_stage == "tls"
    assert isinstance(result.error, ssl.SSLCertVerificationError)
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.CERTIFICATE


def test_pinned_certificate(imap_server: ImapServer) -> None:
    ok = check_imap(settings(imap_server, Security.SSL), PASSWORD, timeout=5)
    assert ok.tls is not None
    pinned = settings(imap_server, Security.STARTTLS, ca_file=None, pinned_sha256=ok.tls.sha256)
    again = check_imap(pinned, PASSWORD, timeout=5)
    assert again.ok
    assert again.tls is not None
    assert again.tls.verified_by == "pin"
    wrong = check_imap(pinned.replace(pinned_sha256="00" * 32), PASSWORD, timeout=5)
    assert isinstance(wrong.error, CertificatePinMismatch)
    assert wrong.failed_stage == "starttls"


def test_ssl_on_the_plain_port_is_the_wrong_tls_mode(imap_server: ImapServer) -> None:
    wrong = settings(imap_server, Security.SSL, port=imap_server.port)
    result = check_imap(wrong, PASSWORD, timeout=3)
    assert result.failed_stage == "tls"
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.TLS_MODE
    # the advice speaks of IMAP's ports, not SMTP's
    suggestion = result.diagnosis.suggestion or {}
    assert suggestion.get("port") in (None, 143)


def test_starttls_on_the_tls_port_times_out_as_wrong_mode(imap_server: ImapServer) -> None:
    wrong = settings(imap_server, Security.STARTTLS, port=imap_server.ssl_port)
    result = check_imap(wrong, PASSWORD, timeout=0.5)
    assert result.failed_stage == "capability"
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.TLS_MODE


def test_no_password_over_plaintext_without_consent(imap_server: ImapServer) -> None:
    plain = settings(imap_server, Security.NONE)
    result = check_imap(plain, PASSWORD, timeout=5)
    assert isinstance(result.error, InsecureAuthRefused)
    assert result.failed_stage == "login"
    client_lines = [line for line in result.transcript.to_json() if " C: " in line]
    assert not any("LOGIN" in line for line in client_lines)
    allowed = check_imap(plain.replace(allow_insecure_auth=True), PASSWORD, timeout=5)
    assert allowed.ok
    assert allowed.inbox_messages == INBOX_MESSAGES


def test_without_password_login_is_skipped(imap_server: ImapServer) -> None:
    result = check_imap(settings(imap_server, Security.SSL), None, timeout=5)
    assert result.ok
    assert {s.name: s.status.value for s in result.stages}["login"] == "skipped"


def test_cancel(imap_server: ImapServer) -> None:
    with SilentServer() as silent:
        token = CancelToken()
        threading.Timer(0.2, token.cancel).start()
        started = time.monotonic()
        result = check_imap(
            ServerSettings(host="localhost", port=silent.port, security=Security.SSL),
            PASSWORD,
            timeout=10,
            cancel=token,
        )
    assert time.monotonic() - started < 2
    assert isinstance(result.error, Cancelled)
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.CANCELLED


def test_imap_diagnosis_by_response_code() -> None:
    context = DiagnosisContext(host="imap.example.test", stage="login", username=USER)
    auth = imap_diagnosis(imaplib.IMAP4.error(b"[AUTHENTICATIONFAILED] nope"), context)
    assert auth.category is Category.AUTH
    assert auth.field == "imap.password"
    privacy = imap_diagnosis(imaplib.IMAP4.error(b"[PRIVACYREQUIRED] TLS first"), context)
    assert privacy.category is Category.INSECURE
    lost = imap_diagnosis(imaplib.IMAP4.abort("socket error: EOF"), context)
    assert lost.category is Category.DISCONNECTED


# A correct password with non-ASCII characters: imaplib's LOGIN encodes ASCII only, so the
# ladder must use AUTHENTICATE PLAIN (UTF-8, RFC 4616) when the server offers it.
# (A non-ASCII user name is not tested: dovecot's default auth_username_chars refuses it.)
UTF8_USERS = {"carol@example.test": "pässwörd✓"}


@pytest.fixture(scope="module")
def utf8_imap_server() -> Iterator[ImapServer]:
    with ImapServer(require_dovecot(), users=UTF8_USERS) as server:
        yield server


@pytest.mark.parametrize("user", list(UTF8_USERS))
@pytest.mark.parametrize("security", [Security.SSL, Security.STARTTLS])
def test_non_ascii_credentials_sign_in(
    utf8_imap_server: ImapServer, user: str, security: Security
) -> None:
    password = UTF8_USERS[user]
    result = check_imap(settings(utf8_imap_server, security, username=user), password, timeout=5)
    assert result.ok, (result.diagnosis, result.transcript.to_text())
    login = next(s for s in result.stages if s.name == "login")
    assert login.detail == f"AUTHENTICATE PLAIN as {user}"
    assert result.inbox_messages == INBOX_MESSAGES
    text = result.transcript.to_text()
    assert "AUTHENTICATE PLAIN" in text
    blob = f"\0{user}\0{password}".encode()
    for secret in (
        password,
        base64.b64encode(blob).decode(),
        base64.b64encode(password.encode()).decode(),
    ):
        assert secret not in text


def test_non_ascii_wrong_password_is_an_auth_failure(utf8_imap_server: ImapServer) -> None:
    wrong = "pässwörd✗"
    result = check_imap(
        settings(utf8_imap_server, Security.SSL, username="carol@example.test"), wrong, timeout=5
    )
    assert not result.ok
    assert result.failed_stage == "login"
    assert result.diagnosis is not None
    assert result.diagnosis.category is Category.AUTH
    assert wrong not in result.transcript.to_text()


class _LoginOnlyImap(RawServer):
    """A minimal IMAP server offering LOGIN but no AUTH=PLAIN; records every line it gets."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK ready\r\n")
        while line := await reader.readline():
            self.lines.append(line)
            tag, _, command = line.decode("utf-8", "replace").strip().partition(" ")
            if command.upper() == "CAPABILITY":
                writer.write(b"* CAPABILITY IMAP4rev1 AUTH=LOGIN\r\n")
            writer.write(f"{tag} OK done\r\n".encode())
            await writer.drain()


def test_non_ascii_password_without_plain_is_explained_not_sent() -> None:
    with _LoginOnlyImap() as server:
        plain = server.settings(username="carol@example.test", allow_insecure_auth=True)
        result = check_imap(plain, "pässwörd✓", timeout=5)
    assert result.failed_stage == "login"
    assert isinstance(result.error, ImapProtocolError)
    assert "non-ASCII" in str(result.error)
    assert not any(b"LOGIN" in line or b"AUTHENTICATE" in line for line in server.lines)
