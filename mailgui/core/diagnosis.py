"""`explain(error, context) -> Diagnosis`: any failure turned into plain words and data.

A table checked most specific first, by `isinstance` (every smtplib, ssl and socket error is an
`OSError`, so the order matters), then by errno, ssl verify code / reason, reply code, enhanced
status code and provider. The text of Python's own messages is never searched; the server's reply
text is, for provider rules. `explain` never raises: whatever goes wrong inside gives a generic
diagnosis instead.
"""

from __future__ import annotations

import dataclasses
import smtplib
import ssl
from collections.abc import Callable, Mapping
from typing import Any

from mailgui.core.accounts import Security
from mailgui.core.diagnosis_mailgui import explain_mailgui_error
from mailgui.core.diagnosis_network import (
    SMTPLIB_STAGES,
    explain_closed,
    explain_os_error,
    explain_timeout,
    is_timeout,
    make,
    raised_in,
    smtplib_call,
    stage_of,
    where,
)
from mailgui.core.diagnosis_replies import (
    DEFAULT_ACTIONS,
    describe_refused,
    explain_reply,
    port_of,
    refused_list,
    security_of,
    ssl_port,
    starttls_port,
)
from mailgui.core.diagnosis_tls import explain_cert, explain_ssl
from mailgui.core.diagnosis_types import (
    Action,
    Category,
    Diagnosis,
    DiagnosisContext,
    RefusedRecipient,
)
from mailgui.core.errors import Cancelled, MailguiError

__all__ = [
    "Action",
    "Category",
    "Diagnosis",
    "DiagnosisContext",
    "RefusedRecipient",
    "explain",
    "explain_partial",
]

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
# When every recipient is refused for one of these, the reason is not the addresses.
NOT_ABOUT_ADDRESSES = frozenset(
    {Category.AUTH, Category.STARTTLS, Category.RATE_LIMIT, Category.AUTH_UNAVAILABLE}
)


def _reply(kind: str) -> Handler:
    def handler(error: smtplib.SMTPResponseException, ctx: DiagnosisContext) -> Diagnosis:
        code = getattr(error, "smtp_code", None)
        raw = getattr(error, "smtp_error", None)
        stage = ctx.stage if isinstance(ctx.stage, str) and ctx.stage else None
        return explain_reply(kind, code, raw, ctx, stage)

    return handler


def _response(error: smtplib.SMTPResponseException, ctx: DiagnosisContext) -> Diagnosis:
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
    return _reply(kind)(error, ctx)


def _recipients_refused(error: smtplib.SMTPRecipientsRefused, ctx: DiagnosisContext) -> Diagnosis:
    recipients = getattr(error, "recipients", None)
    items: Mapping[Any, Any] = recipients if isinstance(recipients, Mapping) else {}
    refused, diagnoses = refused_list(items, ctx)
    if not diagnoses:
        return make(
            Category.RECIPIENTS,
            "The server refused the recipients",
            "The server refused every recipient, so the message was not sent.",
            ("Check the addresses in To, Cc and Bcc.", "Send again."),
            "envelope",
            actions=(A.EDIT_MESSAGE,),
            field="to",
            ctx=ctx,
        )
    listing = describe_refused(refused)
    # Everyone refused for a reason that is not about the addresses (relaying denied, encrypt
    # first, a rate limit): that reason is the diagnosis.
    shared = {d.category for d in diagnoses}
    first = diagnoses[0]
    if len(shared) == 1 and first.category in NOT_ABOUT_ADDRESSES:
        return _replace(
            first,
            explanation=f"{first.explanation} The message was not sent. Refused: {listing}.",
            refused=tuple(refused),
        )
    fixes: list[str] = []
    for d in diagnoses:
        fixes += [f for f in d.fixes if f not in fixes]
    fixes.append("Correct the addresses and send the message again.")
    one = len(refused) == 1
    return Diagnosis(
        category=Category.RECIPIENTS,
        title="The server refused the recipient" if one else "The server refused all recipients",
        explanation="The message was not sent: the server refused "
        + ("the only recipient" if one else f"all {len(refused)} recipients")
        + f". {listing}.",
        fixes=tuple(fixes[:6]),
        reply_code=first.reply_code,
        enhanced_code=first.enhanced_code,
        enhanced_meaning=first.enhanced_meaning,
        server_reply="\n".join(f"{r.address}: {r.server_reply}" for r in refused[:50]),
        provider=first.provider,
        help_url=first.help_url,
        stage="envelope",
        retryable=all(d.retryable for d in diagnoses),
        actions=(A.EDIT_MESSAGE, A.RETRY)
        if all(d.retryable for d in diagnoses)
        else (A.EDIT_MESSAGE,),
        field="to",
        refused=tuple(refused),
    )


def _not_supported(error: smtplib.SMTPNotSupportedError, ctx: DiagnosisContext) -> Diagnosis:
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


def _disconnected(error: smtplib.SMTPServerDisconnected, ctx: DiagnosisContext) -> Diagnosis:
    cause = error.__cause__ or error.__context__
    if is_timeout(cause):
        call = smtplib_call(error)
        stage = stage_of(error, ctx)
        banner = (
            SMTPLIB_STAGES.get(call) == "connect" if call else stage in (None, "connect", "banner")
        )
        return explain_timeout(error, ctx, banner)
    return explain_closed(error, ctx)


def _smtp_base(error: smtplib.SMTPException, ctx: DiagnosisContext) -> Diagnosis:
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


def _unicode(error: UnicodeError, ctx: DiagnosisContext) -> Diagnosis:
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


def _overflow(error: OverflowError, ctx: DiagnosisContext) -> Diagnosis:
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


def _cancelled(error: BaseException, ctx: DiagnosisContext) -> Diagnosis:
    stage = getattr(error, "stage", None)
    stage = stage if isinstance(stage, str) and stage else stage_of(error, ctx)
    sending = stage == "data"
    return make(
        Category.CANCELLED,
        "Cancelled",
        "You cancelled"
        + (f" during the “{stage}” step" if stage else "")
        + (". The message was not sent." if sending else ". Nothing else was changed."),
        ("Start again when you are ready.",),
        stage,
        actions=(A.RETRY,),
        ctx=ctx,
    )


def _unexpected(error: BaseException, ctx: DiagnosisContext) -> Diagnosis:
    return make(
        Category.PROTOCOL,
        "Something unexpected went wrong",
        f"mailgui hit an unexpected problem ({type(error).__name__}) while talking to "
        f"{where(ctx)}.",
        (
            "Try again.",
            "Run Test connection to see each step.",
            "If it keeps happening, copy the details and report it.",
        ),
        stage_of(error, ctx),
        retryable=True,
        ctx=ctx,
    )


# Most specific first. mailgui's own errors are not OSErrors; smtplib's are.
TABLE: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], Handler], ...] = (
    ((Cancelled, KeyboardInterrupt), _cancelled),
    (MailguiError, explain_mailgui_error),
    (smtplib.SMTPRecipientsRefused, _recipients_refused),
    (smtplib.SMTPAuthenticationError, _reply("auth")),
    (smtplib.SMTPSenderRefused, _reply("mail")),
    (smtplib.SMTPDataError, _reply("data")),
    (smtplib.SMTPConnectError, _reply("banner")),
    (smtplib.SMTPHeloError, _reply("helo")),
    (smtplib.SMTPResponseException, _response),
    (smtplib.SMTPNotSupportedError, _not_supported),
    (smtplib.SMTPServerDisconnected, _disconnected),
    (smtplib.SMTPException, _smtp_base),
    (ssl.SSLCertVerificationError, lambda e, c: explain_cert(e, c, stage_of(e, c))),
    (ssl.SSLError, lambda e, c: explain_ssl(e, c, stage_of(e, c))),
    (OSError, explain_os_error),
    (UnicodeError, _unicode),
    (OverflowError, _overflow),
)


def _dispatch(error: BaseException, ctx: DiagnosisContext) -> Diagnosis:
    for types, handler in TABLE:
        if isinstance(error, types):
            return handler(error, ctx)
    return _unexpected(error, ctx)


def _replace(d: Diagnosis, **changes: Any) -> Diagnosis:
    return dataclasses.replace(d, **changes)


def _checked(d: Diagnosis) -> Diagnosis:
    """Guarantee the promises: a valid category and non-empty title, explanation and fixes."""
    category = d.category if isinstance(d.category, Category) else Category.PROTOCOL
    fixes = tuple(f for f in d.fixes if isinstance(f, str) and f.strip())
    actions = tuple(a for a in d.actions if isinstance(a, Action)) or DEFAULT_ACTIONS[category]
    return _replace(
        d,
        category=category,
        title=d.title.strip() if isinstance(d.title, str) and d.title.strip() else "It failed",
        explanation=d.explanation.strip()
        if isinstance(d.explanation, str) and d.explanation.strip()
        else "The operation failed.",
        fixes=fixes or ("Try again.",),
        actions=actions,
    )


def _fallback(error: object) -> Diagnosis:
    try:
        name = type(error).__name__
    except Exception:  # pragma: no cover - type() of anything has a name
        name = "error"
    return Diagnosis(
        category=Category.PROTOCOL,
        title="Something unexpected went wrong",
        explanation=f"mailgui could not work out what this error ({name}) means.",
        fixes=(
            "Try again.",
            "Run Test connection to see each step.",
            "If it keeps happening, copy the details and report it.",
        ),
        retryable=True,
        actions=(Action.RETRY, Action.TEST_CONNECTION),
    )


def explain(error: BaseException, context: DiagnosisContext | None = None) -> Diagnosis:
    """Turn any failure into a Diagnosis. Never raises."""
    try:
        ctx = context if isinstance(context, DiagnosisContext) else DiagnosisContext()
        return _checked(_dispatch(error, ctx))
    except Exception:  # the decoder must never fail: an unexplained error beats a crash
        return _fallback(error)


def explain_partial(
    recipients: Mapping[str, Any], context: DiagnosisContext | None = None
) -> Diagnosis:
    """Sent, but some recipients were refused: list each with its code and reason."""
    try:
        ctx = context if isinstance(context, DiagnosisContext) else DiagnosisContext()
        items: Mapping[Any, Any] = recipients if isinstance(recipients, Mapping) else {}
        refused, diagnoses = refused_list(items, ctx)
        total = len(items)
        if not refused:
            return Diagnosis(
                Category.RECIPIENTS,
                "All recipients were accepted",
                "The server accepted every recipient.",
                ("Nothing to do.",),
                stage="envelope",
            )
        counted = (
            f"{len(refused)} of {total} recipients" if total > len(refused) else ("Some recipients")
        )
        fixes: list[str] = []
        for d in diagnoses:
            fixes += [f for f in d.fixes if f not in fixes]
        fixes.append("Send the message again to the corrected addresses only.")
        retryable = all(d.retryable for d in diagnoses)
        first = diagnoses[0]
        return _checked(
            Diagnosis(
                category=Category.RECIPIENTS,
                title=f"{counted} {'was' if len(refused) == 1 else 'were'} refused"
                if total > len(refused)
                else "Some recipients were refused",
                explanation="The message was sent to the other recipients, but not to: "
                f"{describe_refused(refused)}.",
                fixes=tuple(fixes[:6]),
                reply_code=first.reply_code,
                enhanced_code=first.enhanced_code,
                enhanced_meaning=first.enhanced_meaning,
                server_reply="\n".join(f"{r.address}: {r.server_reply}" for r in refused[:50]),
                provider=first.provider,
                help_url=first.help_url,
                stage="envelope",
                retryable=retryable,
                actions=(A.EDIT_MESSAGE, A.RETRY) if retryable else (A.EDIT_MESSAGE,),
                field="to",
                refused=tuple(refused),
            )
        )
    except Exception:  # never fail while reporting a failure
        return _fallback(recipients)
