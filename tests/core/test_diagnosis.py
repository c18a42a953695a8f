"""explain() on constructed exceptions: every category, the traps, and the provider rules.

Fast table tests. tests/core/test_diagnosis_real.py produces the same exceptions over real
sockets.
"""

from __future__ import annotations

import errno
import smtplib
import socket
import ssl
from dataclasses import dataclass
from typing import Any

import pytest

from mailgui.core.accounts import Account, Security, ServerSettings
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
    ConfigCorrupt,
    InputError,
    InsecureAuthRefused,
    KeyringAccessDenied,
    KeyringLocked,
    KeyringUnavailable,
    MessageTooBig,
)

C = DiagnosisContext
S = Security
GMAIL = C(host="smtp.gmail.com", port=465, security=S.SSL, email="me@gmail.com", stage="auth")
OFFICE = C(host="smtp.office365.com", port=587, security=S.STARTTLS, stage="auth")


def auth_error(code: int, text: str) -> smtplib.SMTPAuthenticationError:
    return smtplib.SMTPAuthenticationError(code, text.encode())


def with_context(error: BaseException, cause: BaseException) -> BaseException:
    error.__context__ = cause
    return error


def cert_error(code: int) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_code = code
    error.reason = "CERTIFICATE_VERIFY_FAILED"
    return error


def ssl_error(reason: str, cls: type[ssl.SSLError] = ssl.SSLError) -> ssl.SSLError:
    error = cls(1, "ssl failure")
    error.reason = reason
    return error


@dataclass
class Case:
    error: BaseException
    ctx: DiagnosisContext | None
    category: Category
    fix: str | None = None  # words expected in the fixes
    suggestion: dict[str, Any] | None = None
    provider: str | None = None
    help_url: str | None = None
    retryable: bool | None = None
    action: Action | None = None
    field: str | None = None


CASES: dict[str, Case] = {
    # --- sign-in
    "535 5.7.8 generic": Case(
        auth_error(535, "5.7.8 Error: authentication failed"),
        C(host="mail.example.com", stage="auth"),
        Category.AUTH,
        fix="password",
        retryable=False,
        action=Action.ENTER_PASSWORD,
        field="smtp.password",
    ),
    "535 gmail bad credentials": Case(
        auth_error(
            535,
            "5.7.8 Username and Password not accepted. Learn more at\n"
            "5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp",
        ),
        GMAIL,
        Category.AUTH,
        fix="app password",
        provider="Gmail",
        help_url="https://support.google.com/accounts/answer/185833",
    ),
    "534 gmail app password": Case(
        auth_error(
            534,
            "5.7.9 Application-specific password required. Learn more at\n"
            "5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor",
        ),
        GMAIL,
        Category.AUTH,
        fix="App passwords",
        provider="Gmail",
        help_url="https://support.google.com/accounts/answer/185833",
    ),
    "534 gmail found by reply text only": Case(
        auth_error(534, "5.7.9 Application-specific password required. support.google.com"),
        C(host="mail.example.com"),
        Category.AUTH,
        fix="app password",
        provider="Gmail",
    ),
    "534 5.7.9 generic": Case(
        auth_error(534, "5.7.9 Please use an application specific password"),
        C(host="mail.example.net"),
        Category.AUTH,
        fix="app password",
    ),
    "microsoft 5.7.139": Case(
        auth_error(535, "5.7.139 Authentication unsuccessful, basic authentication is disabled."),
        OFFICE,
        Category.AUTH,
        fix="SMTP AUTH",
        provider="Microsoft 365 / Outlook.com",
        help_url="https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/"
        "authenticated-client-smtp-submission",
    ),
    "microsoft 5.7.139 unknown host": Case(
        auth_error(535, "5.7.139 Authentication unsuccessful, the user credentials were incorrect"),
        C(host="mail.contoso.example"),
        Category.AUTH,
        fix="OAuth2",
        provider="Microsoft 365 / Outlook.com",
    ),
    "microsoft SmtpClientAuthentication disabled": Case(
        auth_error(
            535,
            "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
            "for the Tenant.",
        ),
        C(email="me@outlook.com"),
        Category.AUTH,
        fix="administrator",
        provider="Microsoft 365 / Outlook.com",
    ),
    "microsoft 5.7.3": Case(
        auth_error(535, "5.7.3 Authentication unsuccessful [AM0PR01CA0001.eurprd01.prod]"),
        OFFICE,
        Category.AUTH,
        fix="multi-factor",
        provider="Microsoft 365 / Outlook.com",
    ),
    "4.7.12 password transition": Case(
        auth_error(432, "4.7.12 A password transition is needed"),
        C(host="mail.example.com"),
        Category.AUTH,
        fix="change or confirm your password",
        field="smtp.password",
    ),
    "5.7.13 account disabled": Case(
        auth_error(535, "5.7.13 User account disabled"),
        C(host="mail.example.com"),
        Category.AUTH,
        fix="administrator",
        field="smtp.username",
        retryable=False,
    ),
    "5.7.11 encryption required": Case(
        auth_error(538, "5.7.11 Encryption required for requested authentication mechanism"),
        C(host="mail.example.com", port=587, security=S.NONE),
        Category.STARTTLS,
        fix="STARTTLS",
        suggestion={"security": "starttls", "port": 587},
        field="smtp.security",
    ),
    "454 too many login attempts": Case(
        auth_error(454, "4.7.0 Too many login attempts, please try again later."),
        GMAIL,
        Category.RATE_LIMIT,
        retryable=True,
        action=Action.RETRY,
    ),
    "yahoo app password": Case(
        auth_error(535, "5.7.0 (#AUTH005) Too many bad auth attempts."),
        C(host="smtp.mail.yahoo.com"),
        Category.AUTH,
        fix="Generate app password",
        provider="Yahoo Mail",
        help_url="https://help.yahoo.com/kb/SLN15241.html",
    ),
    "aol app password": Case(
        auth_error(535, "5.7.0 (#AUTH005) Too many bad auth attempts."),
        C(email="me@aol.com"),
        Category.AUTH,
        provider="AOL Mail",
        help_url="https://help.aol.com/articles/Create-and-manage-app-password",
    ),
    "icloud app-specific password": Case(
        auth_error(535, "5.7.8 Error: authentication failed"),
        C(host="smtp.mail.me.com", email="me@icloud.com"),
        Category.AUTH,
        fix="App-Specific Passwords",
        provider="iCloud Mail",
        help_url="https://support.apple.com/102654",
    ),
    "zoho regional": Case(
        auth_error(535, "Authentication Failed"),
        C(host="smtp.zoho.com", email="me@example.eu"),
        Category.AUTH,
        fix="smtp.zoho.eu",
        provider="Zoho Mail",
        help_url="https://www.zoho.com/mail/help/zoho-smtp.html",
    ),
    "gmx enable imap first": Case(
        auth_error(535, "Authentication credentials invalid"),
        C(host="mail.gmx.net"),
        Category.AUTH,
        fix="POP3/IMAP",
        provider="GMX",
        help_url="https://hilfe.gmx.net/pop-imap/einschalten.html",
    ),
    "web.de enable imap first": Case(
        auth_error(535, "Authentication credentials invalid"),
        C(email="me@web.de"),
        Category.AUTH,
        fix="POP3/IMAP",
        provider="WEB.DE",
        help_url="https://hilfe.web.de/pop-imap/einschalten.html",
    ),
    "fastmail app password": Case(
        auth_error(535, "5.7.8 Authentication failed"),
        C(host="smtp.fastmail.com"),
        Category.AUTH,
        fix="App passwords",
        provider="Fastmail",
    ),
    "unknown auth method": Case(
        auth_error(504, "5.5.4 Unrecognized authentication type"),
        C(host="mail.example.com"),
        Category.AUTH_UNAVAILABLE,
    ),
    "temporary auth failure": Case(
        auth_error(454, "4.3.0 Temporary authentication failure"),
        C(host="mail.example.com"),
        Category.AUTH,
        retryable=True,
        action=Action.RETRY,
    ),
    # --- envelope: sender
    "530 starttls first at MAIL": Case(
        smtplib.SMTPSenderRefused(530, b"5.7.0 Must issue a STARTTLS command first.", "a@b.c"),
        C(host="smtp.gmail.com", port=587, security=S.NONE, stage="envelope"),
        Category.STARTTLS,
        fix="Set Security to STARTTLS",
        suggestion={"security": "starttls", "port": 587},
        field="smtp.security",
    ),
    "530 starttls first on port 25 suggests 587": Case(
        smtplib.SMTPSenderRefused(530, b"Must issue a STARTTLS command first", "a@b.c"),
        C(host="mail.example.com", port=25, security=S.NONE),
        Category.STARTTLS,
        suggestion={"security": "starttls", "port": 587},
    ),
    "530 authentication required": Case(
        smtplib.SMTPSenderRefused(530, b"5.7.0 Authentication required", "a@b.c"),
        C(host="mail.example.com", port=587, security=S.STARTTLS),
        Category.AUTH,
        fix="sign-in",
        action=Action.ENTER_PASSWORD,
    ),
    "552 at MAIL is size": Case(
        smtplib.SMTPSenderRefused(552, b"5.3.4 Message size exceeds fixed limit", "a@b.c"),
        C(),
        Category.SIZE,
        fix="attachments",
        action=Action.EDIT_MESSAGE,
        field="attachments",
    ),
    "553 from not allowed": Case(
        smtplib.SMTPSenderRefused(
            553, b"5.7.1 <x@y.z>: Sender address rejected: not owned by user me@y.z", "x@y.z"
        ),
        C(host="mail.example.com"),
        Category.SENDER,
        fix="From address",
        field="email",
    ),
    "550 5.7.1 sender by code": Case(
        smtplib.SMTPSenderRefused(550, b"5.7.1 Refused", "x@y.z"),
        C(host="mail.example.com"),
        Category.SENDER,
    ),
    "501 5.1.7 bad sender": Case(
        smtplib.SMTPSenderRefused(501, b"5.1.7 Bad sender address syntax", "x"),
        C(),
        Category.SENDER,
        field="email",
    ),
    "gmail daily quota 5.4.5": Case(
        smtplib.SMTPSenderRefused(550, b"5.4.5 Daily user sending quota exceeded.", "a@gmail.com"),
        C(email="a@gmail.com"),
        Category.RATE_LIMIT,
        retryable=True,
        help_url="https://support.google.com/mail/answer/22839",
    ),
    "microsoft send as denied": Case(
        smtplib.SMTPDataError(
            554,
            b"5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied",
        ),
        C(host="smtp.office365.com"),
        Category.SENDER,
        fix="Send As",
    ),
    "microsoft 5.7.57 not authenticated": Case(
        smtplib.SMTPSenderRefused(
            530, b"5.7.57 Client not authenticated to send mail.", "a@contoso.example"
        ),
        C(host="mail.contoso.example", port=587, security=S.STARTTLS),
        Category.AUTH,
        provider="Microsoft 365 / Outlook.com",
    ),
    "icloud from not yours": Case(
        smtplib.SMTPSenderRefused(550, b"5.7.0 From address is not one of your addresses", "x"),
        C(email="me@icloud.com"),
        Category.SENDER,
        fix="iCloud",
        provider="iCloud Mail",
    ),
    "zoho relaying disallowed": Case(
        smtplib.SMTPSenderRefused(553, b"Relaying disallowed. Invalid Domain - example.org", "x"),
        C(host="smtp.zoho.com"),
        Category.SENDER,
        fix="verified alias",
        provider="Zoho Mail",
    ),
    "gmx sender not allowed": Case(
        smtplib.SMTPSenderRefused(550, b"Sender address is not allowed.", "x"),
        C(host="mail.gmx.net"),
        Category.SENDER,
        provider="GMX",
    ),
    "421 at MAIL": Case(
        smtplib.SMTPSenderRefused(421, b"4.7.0 Try again later, closing connection.", "x"),
        C(),
        Category.RATE_LIMIT,
        retryable=True,
    ),
    "451 greylisted": Case(
        smtplib.SMTPSenderRefused(451, b"4.7.1 Greylisted, please try again later", "x"),
        C(),
        Category.RATE_LIMIT,
        retryable=True,
    ),
    "450 is a rate limit": Case(
        smtplib.SMTPSenderRefused(
            450, b"4.2.1 The user you are trying to contact is receiving mail too fast", "x"
        ),
        C(),
        Category.RATE_LIMIT,
        retryable=True,
    ),
    # --- data
    "552 at DATA is size": Case(
        smtplib.SMTPDataError(552, b"5.3.4 Error: message file too big"),
        C(stage="data"),
        Category.SIZE,
        fix="Share large files",
    ),
    "552 at DATA without enhanced code": Case(
        smtplib.SMTPDataError(552, b"Message size exceeds maximum permitted"),
        C(stage="data"),
        Category.SIZE,
    ),
    "554 5.7.1 spam": Case(
        smtplib.SMTPDataError(554, b"5.7.1 Message rejected as spam by Content Filtering."),
        C(stage="data"),
        Category.DATA,
        fix="links",
        retryable=False,
    ),
    "550 5.7.26 dmarc": Case(
        smtplib.SMTPDataError(550, b"5.7.26 Unauthenticated email is not accepted"),
        C(stage="data"),
        Category.DATA,
        fix="DMARC",
    ),
    "451 at DATA retryable": Case(
        smtplib.SMTPDataError(451, b"4.3.0 Error: queue file write error"),
        C(stage="data"),
        Category.DATA,
        retryable=True,
        action=Action.RETRY,
    ),
    "gmail 550 5.7.1 unsolicited": Case(
        smtplib.SMTPDataError(
            550, b"5.7.1 [1.2.3.4] Our system has detected that this message is likely unsolicited"
        ),
        C(host="smtp.gmail.com"),
        Category.DATA,
        provider="Gmail",
    ),
    # --- connection and greeting
    "banner 554": Case(
        smtplib.SMTPConnectError(554, b"mx.example.com ESMTP not accepting messages"),
        C(host="mx.example.com", port=25, stage="connect"),
        Category.CONNECT,
        fix="587",
        retryable=False,
    ),
    "banner 421": Case(
        smtplib.SMTPConnectError(421, b"4.7.0 Too many concurrent connections"),
        C(stage="connect"),
        Category.RATE_LIMIT,
        retryable=True,
    ),
    "banner garbage": Case(
        smtplib.SMTPConnectError(-1, b"* OK IMAP4rev1 Service Ready"),
        C(port=143, stage="connect"),
        Category.PROTOCOL,
        fix="Port",
        field="smtp.port",
    ),
    "helo refused": Case(
        smtplib.SMTPHeloError(501, b"5.5.2 Syntax: HELO hostname"),
        C(stage="ehlo"),
        Category.PROTOCOL,
        fix="Host and Port",
    ),
    "helo temporary": Case(
        smtplib.SMTPHeloError(451, b"4.3.2 Please try later"),
        C(stage="ehlo"),
        Category.RATE_LIMIT,
        retryable=True,
    ),
    "starttls 454 (base SMTPResponseException)": Case(
        smtplib.SMTPResponseException(454, b"4.7.0 TLS not available due to local problem"),
        C(stage="starttls", port=587, security=S.STARTTLS),
        Category.STARTTLS,
        retryable=True,
        suggestion={"security": "ssl", "port": 465},
    ),
    "unknown 5xx still explained": Case(
        smtplib.SMTPResponseException(599, b"something odd"),
        C(stage="quit"),
        Category.PROTOCOL,
        retryable=False,
    ),
    "unknown 4xx retryable": Case(
        smtplib.SMTPResponseException(466, b"odd"),
        C(stage="data"),
        Category.DATA,
        retryable=True,
    ),
    # --- not supported
    "AUTH not offered before STARTTLS": Case(
        smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server."),
        C(host="mail.example.com", port=587, security=S.NONE, stage="auth"),
        Category.AUTH_UNAVAILABLE,
        fix="STARTTLS",
        suggestion={"security": "starttls", "port": 587},
        field="smtp.security",
    ),
    "AUTH not offered on encrypted port 25": Case(
        smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server."),
        C(host="mx.example.com", port=25, security=S.STARTTLS, stage="auth"),
        Category.AUTH_UNAVAILABLE,
        fix="587",
        suggestion={"security": "starttls", "port": 587},
    ),
    "STARTTLS not offered": Case(
        smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
        C(host="mail.example.com", port=587, security=S.STARTTLS, stage="starttls"),
        Category.STARTTLS,
        fix="SSL/TLS",
        suggestion={"security": "ssl", "port": 465},
    ),
    "SMTPUTF8 not offered": Case(
        smtplib.SMTPNotSupportedError("SMTPUTF8 not supported by server"),
        C(stage="envelope"),
        Category.INPUT,
        fix="plain letters",
        action=Action.EDIT_MESSAGE,
    ),
    "bare SMTPException at auth": Case(
        smtplib.SMTPException("No suitable authentication method found."),
        C(stage="auth"),
        Category.AUTH_UNAVAILABLE,
        fix="OAuth2",
    ),
    "bare SMTPException elsewhere": Case(
        smtplib.SMTPException("odd"),
        C(stage="data"),
        Category.PROTOCOL,
    ),
    # --- disconnections and timeouts
    "plain on 465 times out at the banner": Case(
        with_context(
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed: timed out"),
            TimeoutError("timed out"),
        ),
        C(host="smtp.gmail.com", port=465, security=S.NONE, stage="connect", timeout=10),
        Category.TLS_MODE,
        fix="SSL/TLS",
        suggestion={"security": "ssl", "port": 465},
        field="smtp.security",
    ),
    "starttls on 465 times out at the banner": Case(
        with_context(smtplib.SMTPServerDisconnected("x"), TimeoutError("timed out")),
        C(port=465, security=S.STARTTLS, stage="connect"),
        Category.TLS_MODE,
        suggestion={"security": "ssl", "port": 465},
    ),
    "465 closed at once without SSL": Case(
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        C(port=465, security=S.NONE, stage="connect"),
        Category.TLS_MODE,
    ),
    "read timeout later": Case(
        with_context(smtplib.SMTPServerDisconnected("x"), TimeoutError()),
        C(port=587, security=S.STARTTLS, stage="data", timeout=5),
        Category.TIMEOUT,
        retryable=True,
        action=Action.RETRY,
    ),
    "disconnected mid-DATA": Case(
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        C(port=587, security=S.STARTTLS, stage="data"),
        Category.DISCONNECTED,
        fix="again",
        retryable=True,
    ),
    "disconnected during auth": Case(
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        C(stage="auth"),
        Category.DISCONNECTED,
        action=Action.ENTER_PASSWORD,
    ),
    "connection reset mid-session": Case(
        ConnectionResetError(errno.ECONNRESET, "reset"),
        C(stage="envelope"),
        Category.DISCONNECTED,
        retryable=True,
    ),
    "broken pipe in data": Case(
        BrokenPipeError(errno.EPIPE, "pipe"),
        C(stage="data"),
        Category.DISCONNECTED,
        retryable=True,
    ),
    "connect timeout": Case(
        TimeoutError("timed out"),
        C(host="smtp.example.com", port=587, stage="connect", timeout=2),
        Category.TIMEOUT,
        fix="firewall",
        retryable=True,
    ),
    "connect timeout on port 25": Case(
        TimeoutError("timed out"),
        C(host="smtp.example.com", port=25, security=S.NONE, stage="connect"),
        Category.TIMEOUT,
        fix="port 25",
        suggestion={"security": "starttls", "port": 587},
    ),
    "ETIMEDOUT errno": Case(
        OSError(errno.ETIMEDOUT, "Connection timed out"),
        C(stage="connect"),
        Category.TIMEOUT,
    ),
    "read timeout": Case(
        TimeoutError(),
        C(stage="envelope"),
        Category.TIMEOUT,
        retryable=True,
    ),
    # --- socket level
    "connection refused": Case(
        ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
        C(host="smtp.example.com", port=2525, security=S.STARTTLS, stage="connect"),
        Category.CONNECT,
        fix="Port",
        suggestion={"security": "starttls", "port": 587},
        field="smtp.port",
    ),
    "connection refused on localhost": Case(
        ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
        C(host="127.0.0.1", port=1025, security=S.STARTTLS),
        Category.CONNECT,
        fix="Bridge",
    ),
    "dns name unknown": Case(
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
        C(host="smtp.gmial.com", email="me@gmail.com", stage="dns"),
        Category.DNS,
        fix="Set Host to smtp.gmail.com",
        suggestion={"host": "smtp.gmail.com"},
        field="smtp.host",
        retryable=False,
    ),
    "dns temporary": Case(
        socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
        C(host="smtp.example.com"),
        Category.DNS,
        fix="internet connection",
        retryable=True,
    ),
    "dns url typed as host": Case(
        socket.gaierror(socket.EAI_NONAME, "x"),
        C(host="smtp://mail.example.com"),
        Category.DNS,
        fix="smtp://",
    ),
    "network unreachable": Case(
        OSError(errno.ENETUNREACH, "Network is unreachable"),
        C(stage="connect"),
        Category.CONNECT,
        retryable=True,
    ),
    # --- TLS
    "cert self-signed": Case(
        cert_error(18),
        C(host="127.0.0.1", port=1025, stage="starttls"),
        Category.CERTIFICATE,
        fix="fingerprint",
        action=Action.TRUST_CERTIFICATE,
        field="smtp.pinned_sha256",
    ),
    "cert self-signed in chain": Case(
        cert_error(19), C(), Category.CERTIFICATE, fix="CA file", action=Action.TRUST_CERTIFICATE
    ),
    "cert expired": Case(
        cert_error(10), C(), Category.CERTIFICATE, fix="date", action=Action.TRUST_CERTIFICATE
    ),
    "cert unknown issuer": Case(
        cert_error(20), C(), Category.CERTIFICATE, fix="chain", action=Action.TRUST_CERTIFICATE
    ),
    "cert hostname mismatch with provider": Case(
        cert_error(62),
        C(host="gmail.com", email="me@gmail.com"),
        Category.CERTIFICATE,
        fix="smtp.gmail.com",
        suggestion={"host": "smtp.gmail.com"},
        field="smtp.host",
    ),
    "cert hostname mismatch with certificate names": Case(
        cert_error(62),
        C(host="mail.example.org", cert_names=("*.hosting.example", "hosting.example")),
        Category.CERTIFICATE,
        suggestion={"host": "hosting.example"},
    ),
    "cert not yet valid": Case(cert_error(9), C(), Category.CERTIFICATE, fix="date and time"),
    "cert unknown code": Case(cert_error(4242), C(), Category.CERTIFICATE),
    "wrong version number on 587": Case(
        ssl_error("WRONG_VERSION_NUMBER"),
        C(host="smtp.example.com", port=587, security=S.SSL, stage="tls"),
        Category.TLS_MODE,
        fix="Set Security to STARTTLS and Port to 587",
        suggestion={"security": "starttls", "port": 587},
        field="smtp.security",
    ),
    "wrong version number on 25": Case(
        ssl_error("WRONG_VERSION_NUMBER"),
        C(port=25, security=S.SSL),
        Category.TLS_MODE,
        suggestion={"security": "starttls", "port": 587},
    ),
    "outdated tls": Case(
        ssl_error("TLSV1_ALERT_PROTOCOL_VERSION"), C(), Category.PROTOCOL, fix="TLS 1.2"
    ),
    "ssl eof on a non-465 ssl port": Case(
        ssl_error("UNEXPECTED_EOF_WHILE_READING", ssl.SSLEOFError),
        C(port=2525, security=S.SSL),
        Category.TLS_MODE,
        suggestion={"security": "starttls", "port": 2525},
    ),
    "ssl eof on 465": Case(
        ssl_error("UNEXPECTED_EOF_WHILE_READING", ssl.SSLEOFError),
        C(port=465, security=S.SSL),
        Category.DISCONNECTED,
        retryable=True,
    ),
    "other ssl error": Case(
        ssl_error("SOMETHING_NEW"),
        C(port=465, security=S.SSL),
        Category.TLS_MODE,
        suggestion={"security": "starttls", "port": 587},
    ),
    # --- mailgui's own errors
    "cancelled": Case(Cancelled("data"), C(), Category.CANCELLED, fix="again", action=Action.RETRY),
    "insecure auth refused": Case(
        InsecureAuthRefused("mail.example.com", 25),
        C(host="mail.example.com", port=25, security=S.NONE),
        Category.INSECURE,
        fix="STARTTLS",
        suggestion={"security": "starttls", "port": 587},
        field="smtp.security",
    ),
    "message too big": Case(
        MessageTooBig(30_000_000, 10_000_000),
        C(),
        Category.SIZE,
        fix="attachments",
        field="attachments",
        action=Action.EDIT_MESSAGE,
    ),
    "pin mismatch": Case(
        CertificatePinMismatch("h", 465, "aa" * 32, "bb" * 32),
        C(),
        Category.CERTIFICATE,
        fix="fingerprint",
        field="smtp.pinned_sha256",
        action=Action.TRUST_CERTIFICATE,
    ),
    "input error": Case(
        InputError("to", "“bob@” is not a valid address", "bob@"),
        C(),
        Category.INPUT,
        fix="To",
        field="to",
        action=Action.EDIT_MESSAGE,
    ),
    "input error on an account field": Case(
        InputError("smtp.host", "Host is empty"),
        C(),
        Category.INPUT,
        field="smtp.host",
        action=Action.EDIT_ACCOUNT,
    ),
    "keyring unavailable": Case(
        KeyringUnavailable("no backend"),
        C(),
        Category.KEYRING,
        fix="Secret Service",
        action=Action.ENTER_PASSWORD,
    ),
    "keyring locked": Case(KeyringLocked("locked"), C(), Category.KEYRING, fix="Unlock"),
    "keyring access denied": Case(
        KeyringAccessDenied("denied"), C(), Category.KEYRING, fix="allow mailgui"
    ),
    "config corrupt": Case(
        ConfigCorrupt("/x/accounts.json", "/x/accounts.json.corrupt", "bad JSON"),
        C(),
        Category.INPUT,
        fix="Add your accounts again",
    ),
    # --- everything else
    "non-ascii password": Case(
        UnicodeEncodeError("ascii", "pässword", 1, 2, "ordinal not in range"),
        C(stage="auth"),
        Category.INPUT,
        field="smtp.password",
    ),
    "port overflow": Case(OverflowError("port must be 0-65535."), C(), Category.INPUT),
    "anything else": Case(RuntimeError("boom"), None, Category.PROTOCOL, retryable=True),
    "keyboard interrupt": Case(KeyboardInterrupt(), None, Category.CANCELLED),
}


def check(d: Diagnosis, case: Case) -> None:
    assert d.category == case.category, d
    assert d.title
    assert d.explanation
    assert d.fixes
    if case.fix is not None:
        assert any(case.fix.lower() in f.lower() for f in d.fixes), d.fixes
    if case.suggestion is not None:
        assert d.suggestion == case.suggestion
    if case.provider is not None:
        assert d.provider == case.provider
    if case.help_url is not None:
        assert d.help_url == case.help_url
    if case.retryable is not None:
        assert d.retryable is case.retryable
    if case.action is not None:
        assert case.action in d.actions
    if case.field is not None:
        assert d.field == case.field


@pytest.mark.parametrize("name", list(CASES))
def test_explain(name: str) -> None:
    case = CASES[name]
    check(explain(case.error, case.ctx), case)


def test_every_category_is_covered_by_a_case() -> None:
    seen = {c.category for c in CASES.values()} | {Category.RECIPIENTS}
    assert seen == set(Category)


def test_reply_details_are_decoded() -> None:
    error = auth_error(
        535,
        "5.7.8 Username and Password not accepted. Learn more at\n"
        "5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp",
    )
    d = explain(error, GMAIL)
    assert d.reply_code == 535
    assert d.enhanced_code == "5.7.8"
    assert d.enhanced_meaning is not None
    assert "not accepted" in d.enhanced_meaning
    assert d.server_reply is not None
    assert d.server_reply.startswith("535 5.7.8 Username")
    assert "\n" in d.server_reply  # multi-line reply kept whole
    # The explanation quotes the whole reply on one line, without the repeated code.
    assert "Learn more at https://support.google.com/mail/?p=BadCredentials" in d.explanation
    assert d.stage == "auth"
    assert d.hint
    assert "2-Step Verification" in d.hint


def test_bytes_with_bad_utf8_are_decoded() -> None:
    d = explain(smtplib.SMTPDataError(554, b"5.7.1 refus\xe9 \xff\r\n"), C(stage="data"))
    assert d.server_reply is not None
    assert "refus" in d.server_reply
    assert "\r" not in d.server_reply


def test_recipients_refused_lists_each() -> None:
    error = smtplib.SMTPRecipientsRefused(
        {
            "bob@example.com": (550, b"5.1.1 <bob@example.com>: Recipient address rejected"),
            "carol@nowhere.invalid": (
                450,
                b"4.1.2 <carol@nowhere.invalid>: Recipient address rejected: Domain not found",
            ),
        }
    )
    d = explain(error, C(stage="envelope"))
    assert d.category == Category.RECIPIENTS
    assert [r.address for r in d.refused] == ["bob@example.com", "carol@nowhere.invalid"]
    assert [r.code for r in d.refused] == [550, 450]
    assert d.refused[0].enhanced_code == "5.1.1"
    assert "bob@example.com" in d.explanation
    assert "carol@nowhere.invalid" in d.explanation
    assert "does not exist" in d.refused[0].reason
    assert d.retryable is False
    assert d.field == "to"
    assert d.reply_code == 550  # the first refusal's code: the exception has none of its own


def test_all_recipients_refused_for_relaying_is_a_sign_in_problem() -> None:
    error = smtplib.SMTPRecipientsRefused(
        {"a@x.example": (554, b"5.7.1 <a@x.example>: Relay access denied")}
    )
    d = explain(error, C(host="mx.example.com", port=25, security=S.NONE))
    assert d.category == Category.AUTH
    assert d.suggestion == {"security": "starttls", "port": 587}
    assert d.refused
    assert d.refused[0].code == 554
    assert "a@x.example" in d.explanation


def test_recipients_refused_with_a_malformed_payload() -> None:
    d = explain(smtplib.SMTPRecipientsRefused(None), C())  # type: ignore[arg-type]
    assert d.category == Category.RECIPIENTS
    d = explain(smtplib.SMTPRecipientsRefused({"x": "nonsense"}), C())  # type: ignore[dict-item]
    assert d.category == Category.RECIPIENTS
    assert d.refused[0].address == "x"


@dataclass
class FakeRecipientResult:  # the shape of mailgui.core.smtp.RecipientResult
    address: str
    accepted: bool
    code: int | None
    message: str


def test_explain_partial() -> None:
    results = {
        "ok@example.com": FakeRecipientResult("ok@example.com", True, 250, "OK"),
        "bad@example.com": FakeRecipientResult(
            "bad@example.com", False, 550, "5.1.1 <bad@example.com>: User unknown"
        ),
        "full@example.com": FakeRecipientResult(
            "full@example.com", False, 452, "4.2.2 Mailbox full"
        ),
    }
    d = explain_partial(results, C(stage="envelope"))
    assert d.category == Category.RECIPIENTS
    assert d.title == "2 of 3 recipients were refused"
    assert "sent to the other recipients" in d.explanation
    assert {r.address: r.code for r in d.refused} == {
        "bad@example.com": 550,
        "full@example.com": 452,
    }
    assert "ok@example.com" not in d.explanation
    assert Action.EDIT_MESSAGE in d.actions
    assert d.retryable is False  # one of them is permanent


def test_explain_partial_with_smtplib_tuples() -> None:
    d = explain_partial({"a@x": (550, b"5.1.1 unknown"), "b@x": (250, b"ok")})
    assert d.title == "1 of 2 recipients was refused"
    assert [r.address for r in d.refused] == ["a@x"]


def test_explain_partial_never_raises() -> None:
    assert explain_partial(None).title  # type: ignore[arg-type]
    assert explain_partial({}).category == Category.RECIPIENTS


def test_context_constructors() -> None:
    settings = ServerSettings(host="smtp.gmail.com", port=465, security=S.SSL, username="u@x")
    ctx = C.for_settings(settings, "me@gmail.com", "auth")
    assert (ctx.host, ctx.port, ctx.security, ctx.username, ctx.stage) == (
        "smtp.gmail.com",
        465,
        S.SSL,
        "u@x",
        "auth",
    )
    account = Account(name="A", email="me@gmail.com", smtp=settings)
    ctx = C.for_account(account, "connect")
    assert ctx.email == "me@gmail.com"
    assert ctx.stage == "connect"
    assert ctx.uses_password is True


def test_to_json_and_text() -> None:
    d = explain(auth_error(535, "5.7.8 bad"), GMAIL)
    data = d.to_json()
    for key in (
        "category",
        "title",
        "explanation",
        "fixes",
        "reply_code",
        "enhanced_code",
        "provider",
        "help_url",
        "actions",
        "suggestion",
        "field",
        "retryable",
    ):
        assert key in data
    assert data["category"] == "auth"
    assert data["reply_code"] == 535
    assert all(isinstance(a, str) for a in data["actions"])
    text = d.to_text()
    assert "1. " in text
    assert d.help_url is not None
    assert d.help_url in text


def test_no_secrets_in_explanations() -> None:
    # A server that echoes the AUTH PLAIN payload back must not make it reach the user.
    import base64

    payload = base64.b64encode(b"\0alice@example.test\0Tr0ub4dor&3-secret").decode()
    d = explain(auth_error(501, f"5.5.2 Cannot decode response {payload}"), C(stage="auth"))
    assert payload not in d.explanation
    assert d.server_reply is not None
    assert payload not in d.server_reply
    # A non-ASCII password that smtplib could not encode is never repeated.
    secret = "pässwörd-very-secret"
    d = explain(UnicodeEncodeError("ascii", secret, 1, 2, "ordinal not in range"), C(stage="auth"))
    assert "pässwörd" not in d.to_text()
    assert "pässwörd" not in str(d.to_json())
    d = explain(InputError("smtp.password", "Password is too long", secret), C())
    assert secret not in d.to_text()


def test_stage_is_read_from_the_traceback_when_not_given() -> None:
    smtp = smtplib.SMTP()  # never connected
    with pytest.raises(smtplib.SMTPServerDisconnected) as info:
        smtp.starttls()  # ehlo_or_helo_if_needed -> ehlo -> send -> not connected
    d = explain(info.value)
    assert d.category == Category.DISCONNECTED
    assert d.stage == "ehlo"


def test_accounts_from_a_newer_version_are_not_called_damaged() -> None:
    from mailgui.core.errors import ConfigTooNew

    d = explain(ConfigTooNew("/home/u/.config/mailgui/accounts.json", 9, 1))
    assert d.category is Category.INPUT
    assert "newer" in d.title
    assert "damaged" not in d.explanation
    assert d.actions == ()
