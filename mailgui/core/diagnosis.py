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

from mailgui.core.diagnosis_mailgui import explain_mailgui_error
from mailgui.core.diagnosis_network import (
    explain_os_error,
    make,
    stage_of,
    where,
)
from mailgui.core.diagnosis_replies import (
    describe_refused,
    refused_list,
)
from mailgui.core.diagnosis_smtp import (
    explain_disconnected,
    explain_not_supported,
    explain_overflow,
    explain_response,
    explain_smtp_base,
    explain_unicode,
    reply_handler,
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

# When every recipient is refused for one of these, the reason is not the addresses.
NOT_ABOUT_ADDRESSES = frozenset(
    {Category.AUTH, Category.STARTTLS, Category.RATE_LIMIT, Category.AUTH_UNAVAILABLE}
)


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
    (smtplib.SMTPAuthenticationError, reply_handler("auth")),
    (smtplib.SMTPSenderRefused, reply_handler("mail")),
    (smtplib.SMTPDataError, reply_handler("data")),
    (smtplib.SMTPConnectError, reply_handler("banner")),
    (smtplib.SMTPHeloError, reply_handler("helo")),
    (smtplib.SMTPResponseException, explain_response),
    (smtplib.SMTPNotSupportedError, explain_not_supported),
    (smtplib.SMTPServerDisconnected, explain_disconnected),
    (smtplib.SMTPException, explain_smtp_base),
    (ssl.SSLCertVerificationError, lambda e, c: explain_cert(e, c, stage_of(e, c))),
    (ssl.SSLError, lambda e, c: explain_ssl(e, c, stage_of(e, c))),
    (OSError, explain_os_error),
    (UnicodeError, explain_unicode),
    (OverflowError, explain_overflow),
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
    # An empty tuple is a decision (nothing the user can change here); only junk is dropped.
    actions = tuple(a for a in d.actions if isinstance(a, Action))
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
