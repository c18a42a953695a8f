"""Every exception explain() knows, produced for real over loopback sockets, then explained.

Plain `smtplib` against the shared servers of tests/smtp_servers.py (aiosmtpd + trustme), plus
mailgui's own engine (`mailgui.core.smtp.check` / `send_message`) for mailgui's error types and
the context the engine reports. No mocks: each test asserts the exception class it really got,
then the category and the fix that matters.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from mailgui.core.accounts import Security, ServerSettings
from mailgui.core.cancel import CancelToken
from mailgui.core.diagnosis import (
    Action,
    Category,
    Diagnosis,
    DiagnosisContext,
    explain,
    explain_partial,
)
from mailgui.core.errors import (
    Cancelled,
    CertificatePinMismatch,
    InputError,
    InsecureAuthRefused,
    MessageTooBig,
)
from mailgui.core.smtp import SessionResult, check, send_message
from tests.smtp_servers import (
    HOST,
    PASSWORD,
    USER,
    ClosingServer,
    GarbageServer,
    RawServer,
    SilentServer,
    SmtpServer,
    TestCA,
    make_message,
)

Factory = Callable[..., SmtpServer]
T = 2.0  # socket timeout for operations that should answer at once
SHORT = 1.0  # for the tests that wait for a timeout
SENDER = "alice@example.test"


def ctx_for(
    server: SmtpServer | RawServer, security: Security, stage: str | None = None, **extra: object
) -> DiagnosisContext:
    return DiagnosisContext(
        host=server.host,
        port=server.port,
        security=security,
        stage=stage,
        **extra,  # type: ignore[arg-type]
    )


def client_context(ca: TestCA) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca.path)


def raised(call: Callable[[], object]) -> BaseException:
    """Run `call` and return what it raised (the test fails if it raised nothing)."""
    try:
        call()
    except BaseException as exc:  # the whole point: capture the real exception object
        return exc
    pytest.fail("expected an exception")


def has_fix(d: Diagnosis, words: str) -> bool:
    return any(words.lower() in fix.lower() for fix in d.fixes)


def engine_ctx(
    settings: ServerSettings, result: SessionResult, **extra: object
) -> DiagnosisContext:
    names = result.tls.names if result.tls is not None else ()
    return DiagnosisContext.for_settings(
        settings,
        SENDER,
        result.failed_stage,
        cert_names=tuple(names),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


# --- smtplib.SMTPNotSupportedError ---------------------------------------------------------


def test_starttls_not_offered(plain_server: SmtpServer, smtp_ca: TestCA) -> None:
    with smtplib.SMTP(HOST, plain_server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.starttls(context=client_context(smtp_ca)))
    assert type(error) is smtplib.SMTPNotSupportedError
    d = explain(error, ctx_for(plain_server, Security.STARTTLS))  # stage read from the traceback
    assert d.category == Category.STARTTLS
    assert d.stage == "starttls"
    assert d.suggestion is not None
    assert d.suggestion["security"] == "ssl"


def test_auth_not_offered_before_starttls(starttls_server: SmtpServer) -> None:
    with smtplib.SMTP(HOST, starttls_server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.login(USER, PASSWORD))
    assert type(error) is smtplib.SMTPNotSupportedError
    d = explain(error, ctx_for(starttls_server, Security.NONE))
    assert d.category == Category.AUTH_UNAVAILABLE
    assert has_fix(d, "Set Security to STARTTLS")
    assert d.suggestion == {"security": "starttls", "port": starttls_server.port}


def test_smtputf8_not_offered(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory("plain", smtputf8=False)
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = "bücher@example.com"
    message.set_content("hi")
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.send_message(message))
    assert type(error) is smtplib.SMTPNotSupportedError
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == Category.INPUT
    assert Action.EDIT_MESSAGE in d.actions
    assert has_fix(d, "plain letters")


# --- smtplib.SMTPServerDisconnected and timeouts -------------------------------------------


def test_plain_to_implicit_tls_times_out_at_the_banner(ssl_server: SmtpServer) -> None:
    error = raised(lambda: smtplib.SMTP(HOST, ssl_server.port, timeout=SHORT))
    assert type(error) is smtplib.SMTPServerDisconnected
    assert isinstance(error.__context__, TimeoutError)
    d = explain(error, ctx_for(ssl_server, Security.NONE, timeout=SHORT))
    assert d.category == Category.TLS_MODE
    assert has_fix(d, "Set Security to SSL/TLS")
    assert d.suggestion == {"security": "ssl", "port": ssl_server.port}
    assert d.field == "smtp.security"


def test_plain_to_implicit_tls_through_the_engine(ssl_server: SmtpServer) -> None:
    settings = ssl_server.settings(security=Security.NONE, port=ssl_server.port)
    result = check(settings, None, timeout=SHORT)
    assert isinstance(result.error, smtplib.SMTPServerDisconnected)
    assert result.failed_stage == "connect"
    d = explain(result.error, engine_ctx(settings, result, timeout=SHORT))
    assert d.category == Category.TLS_MODE
    assert d.suggestion is not None
    assert d.suggestion["security"] == "ssl"


def test_silent_server(silent_server: SilentServer) -> None:
    error = raised(lambda: smtplib.SMTP(HOST, silent_server.port, timeout=SHORT))
    assert type(error) is smtplib.SMTPServerDisconnected
    d = explain(error, ctx_for(silent_server, Security.STARTTLS))
    # Silence at the banner is what an implicit-TLS port does to a plain client.
    assert d.category == Category.TLS_MODE
    # With SSL/TLS already on, silence is a plain timeout.
    tls = ssl.create_default_context()
    error = raised(lambda: smtplib.SMTP_SSL(HOST, silent_server.port, timeout=SHORT, context=tls))
    assert isinstance(error, TimeoutError)
    d = explain(error, ctx_for(silent_server, Security.SSL))
    assert d.category == Category.TIMEOUT
    assert d.stage == "tls"
    assert d.retryable


def test_read_timeout_later_in_the_session(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory("plain", delay={"MAIL": 3.0})
    with smtplib.SMTP(HOST, server.port, timeout=SHORT) as smtp:
        error = raised(lambda: smtp.sendmail(SENDER, ["bob@example.com"], b"Subject: x\r\n\r\nx"))
        assert type(error) is smtplib.SMTPServerDisconnected
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == Category.TIMEOUT
    assert d.stage == "envelope"
    assert d.retryable
    assert Action.RETRY in d.actions


def test_raw_read_timeout(silent_server: SilentServer) -> None:
    with socket.create_connection(("127.0.0.1", silent_server.port), timeout=0.3) as sock:
        error = raised(lambda: sock.recv(1))
    assert isinstance(error, TimeoutError)
    d = explain(error, ctx_for(silent_server, Security.NONE, stage="ehlo"))
    assert d.category == Category.TIMEOUT
    assert d.title == "The server stopped answering"


def test_connect_timeout_when_nobody_accepts() -> None:
    # A listener whose accept queue is full drops new SYNs: connecting times out.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    held = [socket.create_connection(("127.0.0.1", port), timeout=T)]
    try:
        error = raised(lambda: held.append(socket.create_connection(("127.0.0.1", port), 0.3)))
        assert isinstance(error, TimeoutError)
        ctx = DiagnosisContext(host="127.0.0.1", port=port, security=Security.STARTTLS)
        d = explain(error, ctx)
        assert d.category == Category.TIMEOUT
        assert d.stage == "connect"
        assert has_fix(d, "firewall")
    finally:
        for sock in held:
            sock.close()
        listener.close()


def test_closed_at_once(closing_server: ClosingServer) -> None:
    error = raised(lambda: smtplib.SMTP(HOST, closing_server.port, timeout=T))
    assert type(error) is smtplib.SMTPServerDisconnected
    d = explain(error, ctx_for(closing_server, Security.STARTTLS))
    assert d.category == Category.DISCONNECTED
    assert d.stage == "connect"
    assert d.retryable


def test_disconnect_mid_data(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory("plain", disconnect_in_data=2000)
    body = b"Subject: big\r\n\r\n" + b"x" * 78 + b"\r\n"
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.sendmail(SENDER, ["bob@example.com"], body * 5000))
    assert type(error) is smtplib.SMTPServerDisconnected
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == Category.DISCONNECTED
    assert d.stage == "data"
    assert has_fix(d, "again")
    assert d.retryable


def test_connection_reset_or_broken_pipe(closing_server: ClosingServer) -> None:
    with socket.create_connection(("127.0.0.1", closing_server.port), timeout=T) as sock:
        assert sock.recv(1) == b""  # the server hung up

        def keep_writing() -> None:
            for _ in range(200):
                sock.sendall(b"RCPT TO:<bob@example.com>\r\n")

        error = raised(keep_writing)
    assert isinstance(error, ConnectionResetError | BrokenPipeError)
    d = explain(error, ctx_for(closing_server, Security.NONE, stage="envelope"))
    assert d.category == Category.DISCONNECTED
    assert d.retryable


# --- smtplib.SMTPResponseException (the base class) ----------------------------------------


def test_starttls_refused_raises_the_base_class(
    smtp_server_factory: Factory, smtp_ca: TestCA
) -> None:
    server = smtp_server_factory(
        "starttls", fail={"STARTTLS": "454 4.7.0 TLS not available due to local problem"}
    )
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.starttls(context=client_context(smtp_ca)))
    assert type(error) is smtplib.SMTPResponseException
    d = explain(error, ctx_for(server, Security.STARTTLS))
    assert d.category == Category.STARTTLS
    assert d.reply_code == 454
    assert d.enhanced_code == "4.7.0"
    assert d.retryable
    assert has_fix(d, "SSL/TLS")


def test_line_too_long_raises_the_base_class(
    garbage_server_factory: Callable[..., GarbageServer],
) -> None:
    server = garbage_server_factory(greeting=b"220 " + b"x" * 9000 + b"\r\n")
    error = raised(lambda: smtplib.SMTP(HOST, server.port, timeout=T))
    assert type(error) is smtplib.SMTPResponseException
    d = explain(error, DiagnosisContext(host=HOST, port=server.port, security=Security.NONE))
    assert d.category == Category.PROTOCOL
    assert d.field == "smtp.port"


# --- smtplib.SMTPException (the bare class) -----------------------------------------------


def test_no_usable_auth_mechanism(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(
        "plain", fail={"EHLO": "250-mx.example.test\n250 AUTH XOAUTH2 GSSAPI"}
    )
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.login(USER, PASSWORD))
    assert type(error) is smtplib.SMTPException
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == Category.AUTH_UNAVAILABLE
    assert has_fix(d, "OAuth2")


# --- smtplib.SMTPSenderRefused --------------------------------------------------------------


def test_530_starttls_first(starttls_server: SmtpServer) -> None:
    with smtplib.SMTP(HOST, starttls_server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.sendmail(SENDER, ["bob@example.com"], b"Subject: x\r\n\r\nx"))
    assert type(error) is smtplib.SMTPSenderRefused
    assert error.smtp_code == 530
    d = explain(error, ctx_for(starttls_server, Security.NONE))
    assert d.category == Category.STARTTLS
    assert has_fix(d, "Set Security to STARTTLS")
    assert d.suggestion == {"security": "starttls", "port": starttls_server.port}


def test_size_refused_at_mail_from(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory("plain", size_limit=1000)
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        message = b"Subject: big\r\n\r\n" + b"x" * 5000
        error = raised(lambda: smtp.sendmail(SENDER, ["bob@example.com"], message))
    assert type(error) is smtplib.SMTPSenderRefused
    assert error.smtp_code == 552
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == Category.SIZE
    assert has_fix(d, "attachments")
    assert d.field == "attachments"


def test_from_not_allowed(smtp_server_factory: Factory) -> None:
    reply = "553 5.7.1 <boss@example.test>: Sender address rejected: not owned by user alice"
    server = smtp_server_factory("plain", fail={"MAIL": reply})
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.sendmail("boss@example.test", ["bob@example.com"], b"x"))
    assert type(error) is smtplib.SMTPSenderRefused
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == Category.SENDER
    assert d.enhanced_code == "5.7.1"
    assert has_fix(d, "From address")
    assert d.field == "email"


def test_daily_quota(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(
        "plain", fail={"MAIL": "550-5.4.5 Daily user sending limit exceeded.\n550 5.4.5  gsmtp"}
    )
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.sendmail(SENDER, ["bob@example.com"], b"x"))
    assert type(error) is smtplib.SMTPSenderRefused
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == Category.RATE_LIMIT
    assert d.retryable
    assert d.provider == "Gmail"


# --- smtplib.SMTPRecipientsRefused and partial refusals ------------------------------------

REFUSALS = {
    "nobody@example.com": "550 5.1.1 <nobody@example.com>: Recipient address rejected: "
    "User unknown in local recipient table",
    "full@example.com": "452 4.2.2 <full@example.com>: Mailbox full",
}


def test_all_recipients_refused(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory("plain", fail={"RCPT": REFUSALS})
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.sendmail(SENDER, list(REFUSALS), b"Subject: x\r\n\r\nx"))
    assert type(error) is smtplib.SMTPRecipientsRefused
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == Category.RECIPIENTS
    assert {r.address: r.code for r in d.refused} == {
        "nobody@example.com": 550,
        "full@example.com": 452,
    }
    assert "nobody@example.com" in d.explanation
    assert "full@example.com" in d.explanation
    assert has_fix(d, "typos")
    assert not server.received


def test_some_recipients_refused(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory("plain", fail={"RCPT": REFUSALS})
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        refused = smtp.sendmail(
            SENDER, ["bob@example.com", "nobody@example.com"], b"Subject: x\r\n\r\nx"
        )
    assert list(refused) == ["nobody@example.com"]  # sent to bob, refused for nobody
    d = explain_partial(
        {"bob@example.com": (250, b"OK"), **refused}, ctx_for(server, Security.NONE)
    )
    assert d.category == Category.RECIPIENTS
    assert d.title == "1 of 2 recipients was refused"
    assert [r.code for r in d.refused] == [550]


def test_partial_through_the_engine(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory("plain", fail={"RCPT": REFUSALS})
    settings = server.settings()
    built = make_message(to=("bob@example.com", "nobody@example.com"))
    result = send_message(settings, None, built, timeout=T)
    assert result.ok
    assert result.partial
    d = explain_partial(result.recipients, DiagnosisContext.for_settings(settings, SENDER))
    assert [(r.address, r.code) for r in d.refused] == [("nobody@example.com", 550)]
    assert "does not exist" in d.refused[0].reason


def test_relay_denied_for_everyone(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory(
        "plain", fail={"RCPT": "554 5.7.1 <bob@example.com>: Relay access denied"}
    )
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.sendmail(SENDER, ["bob@example.com"], b"x"))
    assert type(error) is smtplib.SMTPRecipientsRefused
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == Category.AUTH  # not the address: this session did not sign in
    assert d.refused
    assert d.refused[0].code == 554


# --- smtplib.SMTPDataError -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "category", "retryable"),
    [
        ("554 5.7.1 Message rejected as spam by Content Filtering", Category.DATA, False),
        ("552 5.3.4 Error: message file too big", Category.SIZE, False),
        ("451 4.3.0 Error: queue file write error", Category.DATA, True),
    ],
)
def test_data_refused(
    smtp_server_factory: Factory, reply: str, category: Category, retryable: bool
) -> None:
    server = smtp_server_factory("plain", fail={"DATA_END": reply})
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.sendmail(SENDER, ["bob@example.com"], b"Subject: x\r\n\r\nx"))
    assert type(error) is smtplib.SMTPDataError
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == category
    assert d.retryable is retryable
    assert d.stage == "data"


# --- smtplib.SMTPConnectError, SMTPHeloError ------------------------------------------------


@pytest.mark.parametrize(
    ("banner", "category"),
    [
        ("554 5.7.1 mx.example.test ESMTP not accepting connections", Category.CONNECT),
        ("421 4.7.0 Too many concurrent connections, try again later", Category.RATE_LIMIT),
    ],
)
def test_banner_refused(smtp_server_factory: Factory, banner: str, category: Category) -> None:
    server = smtp_server_factory("plain", fail={"BANNER": banner})
    error = raised(lambda: smtplib.SMTP(HOST, server.port, timeout=T))
    assert type(error) is smtplib.SMTPConnectError
    d = explain(error, ctx_for(server, Security.NONE, stage="connect"))
    assert d.category == category
    assert d.reply_code == int(banner[:3])


def test_ehlo_and_helo_refused(smtp_server_factory: Factory) -> None:
    no = "550 5.7.1 Go away: your host name is not acceptable"
    server = smtp_server_factory("plain", fail={"EHLO": no, "HELO": no})
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(smtp.ehlo_or_helo_if_needed)
    assert type(error) is smtplib.SMTPHeloError
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == Category.PROTOCOL
    assert d.stage == "ehlo"
    assert has_fix(d, "Host and Port")


# --- smtplib.SMTPAuthenticationError -------------------------------------------------------


def test_wrong_password(ssl_server: SmtpServer, smtp_ca: TestCA) -> None:
    tls = client_context(smtp_ca)
    with smtplib.SMTP_SSL(HOST, ssl_server.port, timeout=T, context=tls) as smtp:
        error = raised(lambda: smtp.login(USER, "not-the-password"))
    assert type(error) is smtplib.SMTPAuthenticationError
    assert error.smtp_code == 535
    d = explain(error, ctx_for(ssl_server, Security.SSL))
    assert d.category == Category.AUTH
    assert Action.ENTER_PASSWORD in d.actions
    assert d.field == "smtp.password"
    assert "not-the-password" not in d.to_text()


def test_gmail_app_password_needed(smtp_server_factory: Factory, smtp_ca: TestCA) -> None:
    reply = (
        "534-5.7.9 Application-specific password required. Learn more at\n"
        "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp"
    )
    server = smtp_server_factory("ssl", fail={"AUTH": reply})
    tls = client_context(smtp_ca)
    with smtplib.SMTP_SSL(HOST, server.port, timeout=T, context=tls) as smtp:
        error = raised(lambda: smtp.login(USER, PASSWORD))
    assert type(error) is smtplib.SMTPAuthenticationError
    assert error.smtp_code == 534
    d = explain(error, ctx_for(server, Security.SSL, email="me@gmail.com"))
    assert d.category == Category.AUTH
    assert d.provider == "Gmail"
    assert d.enhanced_code == "5.7.9"
    assert d.help_url == "https://support.google.com/accounts/answer/185833"
    assert has_fix(d, "app password")


def test_microsoft_basic_auth_disabled(smtp_server_factory: Factory, smtp_ca: TestCA) -> None:
    reply = "535 5.7.139 Authentication unsuccessful, basic authentication is disabled."
    server = smtp_server_factory("ssl", fail={"AUTH": reply})
    tls = client_context(smtp_ca)
    with smtplib.SMTP_SSL(HOST, server.port, timeout=T, context=tls) as smtp:
        error = raised(lambda: smtp.login(USER, PASSWORD))
    assert type(error) is smtplib.SMTPAuthenticationError
    d = explain(error, ctx_for(server, Security.SSL))
    assert d.provider == "Microsoft 365 / Outlook.com"
    assert has_fix(d, "SMTP AUTH")


# --- socket errors -------------------------------------------------------------------------


def test_connection_refused(free_port: int) -> None:
    error = raised(lambda: smtplib.SMTP("127.0.0.1", free_port, timeout=T))
    assert isinstance(error, ConnectionRefusedError)
    d = explain(error, DiagnosisContext(host="127.0.0.1", port=free_port, security=Security.SSL))
    assert d.category == Category.CONNECT
    assert d.stage == "connect"
    assert has_fix(d, "Port")
    assert has_fix(d, "Bridge")


def test_name_that_does_not_exist() -> None:
    error = raised(lambda: smtplib.SMTP("mailgui-test.invalid", 587, timeout=T))
    assert isinstance(error, socket.gaierror)
    d = explain(error, DiagnosisContext(host="mailgui-test.invalid", port=587))
    assert d.category == Category.DNS
    assert d.stage == "dns"
    assert d.field == "smtp.host"


# --- TLS -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cert", "code", "trust"),
    [("untrusted", 20, True), ("expired", 10, True), ("wronghost", 62, False)],
)
def test_certificate_failures(
    smtp_server_factory: Factory, smtp_ca: TestCA, cert: str, code: int, trust: bool
) -> None:
    server = smtp_server_factory("ssl", cert=cert)
    tls = client_context(smtp_ca)
    error = raised(lambda: smtplib.SMTP_SSL(HOST, server.port, timeout=T, context=tls))
    assert isinstance(error, ssl.SSLCertVerificationError)
    assert error.verify_code == code
    d = explain(error, ctx_for(server, Security.SSL))
    assert d.category == Category.CERTIFICATE
    assert d.stage == "tls"
    assert (Action.TRUST_CERTIFICATE in d.actions) is trust


def test_certificate_failure_after_starttls(smtp_server_factory: Factory, smtp_ca: TestCA) -> None:
    server = smtp_server_factory("starttls", cert="expired")
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.starttls(context=client_context(smtp_ca)))
    assert isinstance(error, ssl.SSLCertVerificationError)
    d = explain(error, ctx_for(server, Security.STARTTLS))
    assert d.category == Category.CERTIFICATE
    assert d.stage == "starttls"
    assert "expired" in d.title


def test_wrong_host_suggests_the_certificate_name(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory("ssl", cert="wronghost")
    settings = server.settings()
    result = check(settings, PASSWORD, timeout=T)
    assert isinstance(result.error, ssl.SSLCertVerificationError)
    d = explain(result.error, engine_ctx(settings, result))
    assert d.category == Category.CERTIFICATE
    assert d.suggestion == {"host": "otherhost.test"}
    assert Action.TRUST_CERTIFICATE not in d.actions


def test_ssl_to_a_starttls_port(starttls_server: SmtpServer, smtp_ca: TestCA) -> None:
    tls = client_context(smtp_ca)
    error = raised(lambda: smtplib.SMTP_SSL(HOST, starttls_server.port, timeout=T, context=tls))
    assert type(error) is ssl.SSLError
    assert error.reason == "WRONG_VERSION_NUMBER"
    d = explain(error, ctx_for(starttls_server, Security.SSL))
    assert d.category == Category.TLS_MODE
    assert has_fix(d, "Set Security to STARTTLS")
    assert d.suggestion == {"security": "starttls", "port": starttls_server.port}


# --- mailgui's own errors, raised by the engine over real connections ----------------------


def test_insecure_auth_refused(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory("plain", auth=True, users={USER: PASSWORD})
    settings = server.settings(username=USER)
    result = check(settings, PASSWORD, timeout=T)
    assert isinstance(result.error, InsecureAuthRefused)
    d = explain(result.error, engine_ctx(settings, result))
    assert d.category == Category.INSECURE
    assert d.suggestion is not None
    assert d.suggestion["security"] == "starttls"
    assert PASSWORD not in d.to_text()


def test_insecure_auth_where_the_server_offers_starttls(smtp_server_factory: Factory) -> None:
    # A STARTTLS server spoken to with Security "none": encrypting this port is the fix.
    server = smtp_server_factory("starttls")
    settings = server.settings(security=Security.NONE)
    result = check(settings, PASSWORD, timeout=T)
    assert isinstance(result.error, InsecureAuthRefused)
    assert result.error.starttls_offered is True
    d = explain(result.error, engine_ctx(settings, result))
    assert d.category == Category.INSECURE
    assert d.suggestion == {"security": "starttls", "port": server.port}
    assert has_fix(d, "offers STARTTLS on this port: set Security to STARTTLS")
    assert has_fix(d, f"keep Port {server.port}")


def test_insecure_auth_where_the_server_offers_no_starttls(smtp_server_factory: Factory) -> None:
    # No STARTTLS in EHLO: "STARTTLS on the same port" would fail next; point elsewhere.
    server = smtp_server_factory("plain", auth=True, users={USER: PASSWORD})
    settings = server.settings(username=USER)
    result = check(settings, PASSWORD, timeout=T)
    assert result.capabilities is not None
    assert not result.capabilities.starttls
    assert isinstance(result.error, InsecureAuthRefused)
    assert result.error.starttls_offered is False
    d = explain(result.error, engine_ctx(settings, result))
    assert d.suggestion == {"security": "starttls", "port": 587}
    assert not has_fix(d, f"Port to {server.port}")
    assert not has_fix(d, "keep Port")
    assert has_fix(d, "offers no encryption")
    assert has_fix(d, "Port to 587")
    assert has_fix(d, "SSL/TLS and Port to 465")


def test_message_too_big(smtp_server_factory: Factory) -> None:
    server = smtp_server_factory("plain", size_limit=2000)
    settings = server.settings()
    result = send_message(settings, None, make_message(body="x" * 5000 + "\n"), timeout=T)
    assert isinstance(result.error, MessageTooBig)
    d = explain(result.error, engine_ctx(settings, result))
    assert d.category == Category.SIZE
    assert d.field == "attachments"


def test_pin_mismatch(ssl_server: SmtpServer) -> None:
    settings = ssl_server.settings(pinned_sha256="00" * 32)
    result = check(settings, PASSWORD, timeout=T)
    assert isinstance(result.error, CertificatePinMismatch)
    d = explain(result.error, engine_ctx(settings, result))
    assert d.category == Category.CERTIFICATE
    assert d.field == "smtp.pinned_sha256"


def test_cancelled(starttls_server: SmtpServer) -> None:
    token = CancelToken()
    token.cancel()
    settings = starttls_server.settings()
    result = check(settings, PASSWORD, timeout=T, cancel=token)
    assert isinstance(result.error, Cancelled)
    d = explain(result.error, engine_ctx(settings, result))
    assert d.category == Category.CANCELLED


def test_engine_reports_wrong_password(starttls_server: SmtpServer) -> None:
    settings = starttls_server.settings()
    result = check(settings, "wrong", timeout=T)
    assert isinstance(result.error, smtplib.SMTPAuthenticationError)
    d = explain(result.error, engine_ctx(settings, result))
    assert d.category == Category.AUTH
    assert d.stage == "auth"


def test_input_error_from_the_engine(starttls_server: SmtpServer) -> None:
    settings = starttls_server.settings(username="")
    result = check(settings, PASSWORD, timeout=T)
    assert isinstance(result.error, InputError)
    d = explain(result.error, engine_ctx(settings, result))
    assert d.category == Category.INPUT
    assert d.field == "smtp.username"
    assert Action.EDIT_ACCOUNT in d.actions


# --- the rest: what else really comes out of a socket --------------------------------------


def test_ssl_to_a_server_that_hangs_up(closing_server: ClosingServer) -> None:
    tls = ssl.create_default_context()
    error = raised(lambda: smtplib.SMTP_SSL(HOST, closing_server.port, timeout=T, context=tls))
    assert isinstance(error, ssl.SSLEOFError | ConnectionResetError)
    d = explain(error, ctx_for(closing_server, Security.SSL))
    if isinstance(error, ssl.SSLError):
        # SSL/TLS on a port that is not 465 and hangs up: maybe a STARTTLS port.
        assert d.category == Category.TLS_MODE
        assert d.suggestion == {"security": "starttls", "port": closing_server.port}
    else:
        assert d.category == Category.DISCONNECTED


def test_non_ascii_password_is_not_repeated(smtp_server_factory: Factory) -> None:
    secret = "pässwörd-Geheimnis"
    server = smtp_server_factory("plain", auth=True, users={USER: secret})
    with smtplib.SMTP(HOST, server.port, timeout=T) as smtp:
        error = raised(lambda: smtp.login(USER, secret))
    assert isinstance(error, UnicodeEncodeError)  # smtplib encodes AUTH PLAIN as ASCII
    d = explain(error, ctx_for(server, Security.NONE))
    assert d.category == Category.INPUT
    assert d.stage == "auth"
    assert d.field == "smtp.password"
    assert "pässwörd" not in d.to_text()
    assert "pässwörd" not in str(d.to_json())


def test_port_out_of_range() -> None:
    # socket.connect checks the range; getaddrinfo does not (it wraps 70000 to 4464), so
    # a port is validated before it gets this far in the app.
    with socket.socket() as sock:
        error = raised(lambda: sock.connect(("127.0.0.1", 70000)))
    assert isinstance(error, OverflowError)
    d = explain(error, DiagnosisContext(host="127.0.0.1", port=70000))
    assert d.category == Category.INPUT
    assert d.field == "smtp.port"
