"""Diagnose smtplib errors that are not a plain server refusal: a missing extension
(STARTTLS, AUTH, SMTPUTF8), a dropped connection, the bare base classes, and text smtplib could
not encode. Which case it is comes from where smtplib raised it (the traceback), then the stage.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from typing import Any

from mailgui.core.accounts import Security
from mailgui.core.diagnosis_network import (
    SMTPLIB_STAGES,
    explain_closed,
    explain_timeout,
    is_timeout,
    make,
    raised_in,
    seconds,
    smtplib_call,
    stage_of,
    where,
)
from mailgui.core.diagnosis_replies import (
    explain_reply,
    port_of,
    security_of,
    ssl_port,
    starttls_port,
)
from mailgui.core.diagnosis_types import Action, Category, Diagnosis, DiagnosisContext
from mailgui.core.smtp_wire import ReplyOverrun

A = Action
Handler = Callable[[Any, DiagnosisContext], Diagnosis]

# Stage -> the SMTP step a bare SMTPResponseException answered.
STAGE_KIND = {
    "connect": "banner",
    "ehlo": "helo",
    "starttls": "starttls",
    "auth": "auth",
    "envelope": "mail",
    "data": "data",
}


def reply_handler(kind: str) -> Handler:
    """A handler for a reply exception (smtp_code + smtp_error) answering SMTP step `kind`."""

    def handler(error: smtplib.SMTPResponseException, ctx: DiagnosisContext) -> Diagnosis:
        code = getattr(error, "smtp_code", None)
        raw = getattr(error, "smtp_error", None)
        stage = ctx.stage if isinstance(ctx.stage, str) and ctx.stage else None
        return explain_reply(kind, code, raw, ctx, stage)

    return handler


def explain_response(error: smtplib.SMTPResponseException, ctx: DiagnosisContext) -> Diagnosis:
    """The base class: smtplib raises it for STARTTLS refusals, bad QUIT and over-long lines."""
    if raised_in(error, "smtplib", "getreply"):
        return make(
            Category.PROTOCOL,
            "The server does not speak SMTP",
            f"{where(ctx).capitalize()} sent a line far longer than any mail server would. "
            "This port probably belongs to another kind of service.",
            ("Check Host and Port: outgoing mail uses 587 (STARTTLS) or 465 (SSL/TLS).",),
            stage_of(error, ctx),
            field="smtp.port",
            ctx=ctx,
        )
    call = smtplib_call(error)
    stage = (ctx.stage if isinstance(ctx.stage, str) and ctx.stage else None) or (
        "starttls" if call == "starttls" else "quit" if call is None else None
    )
    kind = "starttls" if call == "starttls" else STAGE_KIND.get(stage or "", "other")
    return reply_handler(kind)(error, ctx)


def explain_not_supported(error: smtplib.SMTPNotSupportedError, ctx: DiagnosisContext) -> Diagnosis:
    """STARTTLS, AUTH or SMTPUTF8 missing: which one, from where smtplib raised it."""
    call = smtplib_call(error)
    stage = stage_of(error, ctx)
    port = port_of(ctx)
    if call == "starttls" or (call is None and stage in ("starttls", "tls")):
        return make(
            Category.STARTTLS,
            "The server does not offer encryption (STARTTLS)",
            f"mailgui asked {where(ctx)} to start encryption, but the server does not offer "
            "STARTTLS on this port.",
            (
                f"Set Security to SSL/TLS and Port to {ssl_port(port)}, if the provider offers it.",
                "Check Host and Port are the provider's outgoing server.",
                "Only for a trusted server on your own computer or network: set Security to None.",
            ),
            "starttls",
            field="smtp.security",
            suggestion={"security": Security.SSL.value, "port": ssl_port(port)},
            ctx=ctx,
        )
    if call in ("login", "auth") or (call is None and stage == "auth"):
        if security_of(ctx) in (None, Security.NONE):
            return make(
                Category.AUTH_UNAVAILABLE,
                "The server only offers sign-in after encryption is on",
                f"{where(ctx).capitalize()} does not offer sign-in on an unencrypted "
                "connection. Most servers only offer it once STARTTLS has encrypted the "
                "connection.",
                (
                    f"Set Security to STARTTLS (Port {starttls_port(port)}).",
                    "Or set Security to SSL/TLS and Port to 465.",
                ),
                "auth",
                field="smtp.security",
                suggestion={"security": Security.STARTTLS.value, "port": starttls_port(port)},
                ctx=ctx,
            )
        return make(
            Category.AUTH_UNAVAILABLE,
            "The server does not offer sign-in here",
            f"{where(ctx).capitalize()} does not offer sign-in at all. Port 25 is usually for "
            "server-to-server mail, where nobody signs in.",
            (
                "Use the provider's outgoing server on Port 587 (STARTTLS) or 465 (SSL/TLS).",
                "If this server needs no password (a local relay), turn sign-in off for this "
                "account.",
            ),
            "auth",
            field="smtp.port",
            suggestion={"security": Security.STARTTLS.value, "port": 587} if port == 25 else None,
            ctx=ctx,
        )
    if call in ("sendmail", "send_message", "mail") or stage in ("envelope", "data"):
        return make(
            Category.INPUT,
            "The server cannot take international addresses",
            "An address in this message contains non-ASCII characters (like ü or 中), and "
            "the server does not support such addresses (it lacks SMTPUTF8).",
            (
                "Use addresses written with plain letters; a domain with accents can be "
                "written in its xn-- form.",
                "Or send through a server that supports international addresses.",
            ),
            stage or "envelope",
            actions=(A.EDIT_MESSAGE, A.EDIT_ACCOUNT),
            field="to",
            ctx=ctx,
        )
    return make(
        Category.PROTOCOL,
        "The server lacks a feature mailgui needs",
        f"{where(ctx).capitalize()} does not offer a feature needed for this step.",
        ("Check Host and Port are the provider's outgoing server.", "Run Test connection."),
        stage,
        ctx=ctx,
    )


def explain_disconnected(error: smtplib.SMTPServerDisconnected, ctx: DiagnosisContext) -> Diagnosis:
    if isinstance(error, ReplyOverrun):
        return explain_overrun(error, ctx)
    cause = error.__cause__ or error.__context__
    if is_timeout(cause):
        call = smtplib_call(error)
        stage = stage_of(error, ctx)
        banner = (
            SMTPLIB_STAGES.get(call) == "connect" if call else stage in (None, "connect", "banner")
        )
        return explain_timeout(error, ctx, banner)
    return explain_closed(error, ctx)


def explain_overrun(error: ReplyOverrun, ctx: DiagnosisContext) -> Diagnosis:
    """The server kept one reply going (time limit or size cap): it talks, so it is not a
    firewall or a wrong TLS mode, but it is not a mail server mailgui can work with."""
    stage = stage_of(error, ctx)
    how = (
        f"sent {error.lines} lines without finishing its reply"
        if error.too_long
        else f"started a reply and did not finish it{seconds(ctx)}"
    )
    return make(
        Category.PROTOCOL,
        "The server's reply never ended",
        f"{where(ctx).capitalize()} {how}, so mailgui hung up. A real mail server answers in "
        "a few lines; this may be another kind of service on that port, or a broken server.",
        (
            "Check Host and Port are the provider's outgoing (SMTP) server.",
            "Try again later: the server may be misbehaving.",
            "If it keeps happening, send the details below to the provider.",
        ),
        stage,
        retryable=True,
        field="smtp.host",
        ctx=ctx,
    )


def explain_smtp_base(error: smtplib.SMTPException, ctx: DiagnosisContext) -> Diagnosis:
    """The bare SMTPException: smtplib raises it when no sign-in method fits."""
    call = smtplib_call(error)
    stage = stage_of(error, ctx)
    if call == "login" or (call is None and stage == "auth"):
        return make(
            Category.AUTH_UNAVAILABLE,
            "The server offers no sign-in method mailgui can use",
            f"{where(ctx).capitalize()} offers sign-in, but only with methods mailgui does "
            "not support (such as OAuth2 or Kerberos); mailgui signs in with PLAIN, LOGIN or "
            "CRAM-MD5.",
            (
                "Check Host and Port are the provider's outgoing server for mail apps.",
                "If the provider only allows OAuth2, create an app password if it offers one.",
                "Ask the server's administrator to allow password sign-in (PLAIN or LOGIN) "
                "over an encrypted connection.",
            ),
            "auth",
            field="smtp.host",
            ctx=ctx,
        )
    return make(
        Category.PROTOCOL,
        "The conversation with the server went wrong",
        f"{where(ctx).capitalize()} answered in a way mailgui did not expect"
        + (" while signing in." if call == "auth" else "."),
        (
            "Try again.",
            "Run Test connection to see each step.",
            "If it keeps happening, send the details below to the provider.",
        ),
        stage,
        retryable=True,
        ctx=ctx,
    )


def explain_unicode(error: UnicodeError, ctx: DiagnosisContext) -> Diagnosis:
    """Text that smtplib could not encode. Never echoes the text: it may be a password."""
    stage = stage_of(error, ctx)
    if stage == "auth":
        return make(
            Category.INPUT,
            "The password or user name has characters the server cannot take",
            "Sign-in can only carry plain characters here, and the user name or password "
            "contains others (like é, ß or an emoji).",
            (
                "Check the user name.",
                "If your password has such characters, use an app password, or change the "
                "password to plain letters, digits and symbols.",
            ),
            stage,
            actions=(A.ENTER_PASSWORD, A.EDIT_ACCOUNT),
            field="smtp.password",
            ctx=ctx,
        )
    in_message = stage in ("envelope", "data")
    return make(
        Category.INPUT,
        "Some text has characters that cannot be sent this way",
        "Part of the message or an address contains characters the server connection cannot carry.",
        ("Check the addresses for accented or non-Latin characters.", "Send again."),
        stage,
        actions=(A.EDIT_MESSAGE,) if in_message else (A.EDIT_ACCOUNT,),
        field="to" if stage == "envelope" else None,
        ctx=ctx,
    )


def explain_overflow(error: OverflowError, ctx: DiagnosisContext) -> Diagnosis:
    return make(
        Category.INPUT,
        "The port number is not valid",
        "Ports are numbers from 1 to 65535.",
        ("Set Port to 587 (STARTTLS) or 465 (SSL/TLS).",),
        stage_of(error, ctx),
        actions=(A.EDIT_ACCOUNT,),
        field="smtp.port",
        ctx=ctx,
    )
