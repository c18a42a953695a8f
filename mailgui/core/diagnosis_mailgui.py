"""Diagnose mailgui's own errors (`mailgui.core.errors`): they carry typed fields, not text."""

from __future__ import annotations

from mailgui.core.accounts import Security
from mailgui.core.diagnosis_network import make, stage_of
from mailgui.core.diagnosis_replies import port_of, starttls_port
from mailgui.core.diagnosis_types import Action, Category, Diagnosis, DiagnosisContext
from mailgui.core.errors import (
    CertificatePinMismatch,
    ConfigCorrupt,
    ConfigTooNew,
    ConfigWriteError,
    InputError,
    InsecureAuthRefused,
    KeyringAccessDenied,
    KeyringError,
    KeyringLocked,
    KeyringUnavailable,
    MailguiError,
    MessageTooBig,
)

A = Action
MESSAGE_FIELDS = frozenset({"from", "to", "cc", "bcc", "subject", "body", "attachments"})
ADDRESS_FIELDS = frozenset({"from", "to", "cc", "bcc", "email"})
FIELD_LABELS = {
    "from": "From",
    "to": "To",
    "cc": "Cc",
    "bcc": "Bcc",
    "subject": "Subject",
    "body": "message text",
    "attachments": "attachments",
    "email": "Email",
    "name": "Account name",
    "smtp.host": "Host",
    "smtp.port": "Port",
    "smtp.security": "Security",
    "smtp.username": "User name",
    "smtp.password": "Password",
    "imap.host": "IMAP host",
    "imap.port": "IMAP port",
    "imap.username": "IMAP user name",
    "imap.password": "IMAP password",
    # command-line options (mailgui check / send)
    "account": "the account name",
    "host": "--host",
    "port": "--port",
    "password": "the password option",
}


def _mb(size: object) -> str:
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return "?"
    return f"{size / 1_000_000:.1f} MB"


def _insecure(error: InsecureAuthRefused, ctx: DiagnosisContext) -> Diagnosis:
    host = ctx.host or getattr(error, "host", None) or "the server"
    port = port_of(ctx) or getattr(error, "port", None)
    port = port if isinstance(port, int) and not isinstance(port, bool) else None
    offered = getattr(error, "starttls_offered", None)
    suggestion: dict[str, object]
    if offered is True and port:
        # The server said it can encrypt this very connection: only Security changes.
        first = (
            "The server offers STARTTLS on this port: set Security to STARTTLS and keep "
            f"Port {port}."
        )
        suggestion = {"security": Security.STARTTLS.value, "port": port}
    elif offered is False and port == 587:
        first = (
            "The server offers no encryption on port 587: set Security to SSL/TLS and Port "
            "to 465, or check Host is the provider's outgoing server."
        )
        suggestion = {"security": Security.SSL.value, "port": 465}
    elif offered is False:
        where_ = f"port {port}" if port else "this port"
        first = (
            f"The server offers no encryption on {where_}: set Security to STARTTLS and Port "
            "to 587, or Security to SSL/TLS and Port to 465."
        )
        suggestion = {"security": Security.STARTTLS.value, "port": 587}
    else:
        target = starttls_port(port)
        first = f"Set Security to STARTTLS and Port to {target} (or SSL/TLS with Port 465)."
        suggestion = {"security": Security.STARTTLS.value, "port": target}
    return make(
        Category.INSECURE,
        "Your password was not sent: the connection is not encrypted",
        f"The connection to {host}{f' port {port}' if port else ''} is not encrypted, so "
        "anyone on the network could read the password. mailgui stopped before sending it.",
        (
            first,
            "Only for a trusted server on your own computer or network: allow sending the "
            "password without encryption in the account settings.",
        ),
        stage_of(error, ctx) or "auth",
        field="smtp.security",
        suggestion=suggestion,
        ctx=ctx,
    )


def _too_big(error: MessageTooBig, ctx: DiagnosisContext) -> Diagnosis:
    size, limit = getattr(error, "size", None), getattr(error, "limit", None)
    return make(
        Category.SIZE,
        "The message is too big for this server",
        f"The message is {_mb(size)} as sent, and the server accepts at most {_mb(limit)} "
        "(it says so when mailgui connects). Attachments grow by about a third when sent. "
        "Nothing was sent.",
        (
            "Remove or shrink attachments (compress pictures, zip documents).",
            "Share large files with a link instead of attaching them.",
            "Split the attachments across several messages.",
        ),
        stage_of(error, ctx) or "envelope",
        actions=(A.EDIT_MESSAGE,),
        field="attachments",
        ctx=ctx,
    )


def _pin_mismatch(error: CertificatePinMismatch, ctx: DiagnosisContext) -> Diagnosis:
    expected = str(getattr(error, "expected", "") or "")[:16]
    actual = str(getattr(error, "actual", "") or "")[:16]
    return make(
        Category.CERTIFICATE,
        "The server's certificate has changed",
        "The server showed a different certificate from the one you chose to trust "
        f"(trusted {expected}..., now {actual}...). Either the server's administrator replaced "
        "it, or someone is intercepting the connection. Nothing was sent.",
        (
            "Ask the server's administrator whether the certificate was replaced, and compare "
            "the new fingerprint.",
            "Only if it matches: trust the new certificate.",
        ),
        stage_of(error, ctx) or "tls",
        actions=(A.TRUST_CERTIFICATE, A.EDIT_ACCOUNT, A.TEST_CONNECTION),
        field="smtp.pinned_sha256",
        ctx=ctx,
    )


def _input(error: InputError, ctx: DiagnosisContext) -> Diagnosis:
    field = getattr(error, "field", None)
    field = field if isinstance(field, str) and field else None
    label = FIELD_LABELS.get(field or "", field or "a field")
    message = getattr(error, "message", None)
    message = message.strip() if isinstance(message, str) and message.strip() else ""
    value = getattr(error, "value", None)
    # Only addresses are repeated back; anything else might be a secret.
    shown = (
        f" (“{value[:200]}”)"
        if field in ADDRESS_FIELDS and isinstance(value, str) and value and "password" not in label
        else ""
    )
    in_message = field in MESSAGE_FIELDS
    return make(
        Category.INPUT,
        f"Check {label}",
        (message or f"{label} is not usable as it is.") + shown,
        (f"Correct {label} and try again.",),
        stage_of(error, ctx),
        actions=(A.EDIT_MESSAGE,) if in_message else (A.EDIT_ACCOUNT,),
        field=field,
        ctx=ctx,
    )


def _keyring(error: KeyringError, ctx: DiagnosisContext) -> Diagnosis:
    stage = stage_of(error, ctx)
    if isinstance(error, KeyringLocked):
        return make(
            Category.KEYRING,
            "Your keyring is locked",
            "mailgui keeps passwords in your system keyring, and the keyring is locked.",
            (
                "Unlock the keyring when your system asks (usually with your login password).",
                "Then try again.",
                "Or type the account password for this session only.",
            ),
            stage,
            actions=(A.RETRY, A.ENTER_PASSWORD),
            field="smtp.password",
            ctx=ctx,
        )
    if isinstance(error, KeyringAccessDenied):
        return make(
            Category.KEYRING,
            "Access to the keyring was refused",
            "The system keyring refused to give mailgui the password: the prompt was "
            "dismissed, or a policy forbids access.",
            (
                "Try again and allow mailgui when the keyring asks.",
                "Or type the account password for this session only.",
            ),
            stage,
            actions=(A.RETRY, A.ENTER_PASSWORD),
            field="smtp.password",
            ctx=ctx,
        )
    if isinstance(error, KeyringUnavailable):
        return make(
            Category.KEYRING,
            "No keyring is available to store passwords",
            "mailgui stores passwords only in the system keyring, and none is available. It "
            "never writes passwords to a file.",
            (
                "On Linux, install and start a Secret Service keyring such as GNOME Keyring or "
                "KWallet, then try again.",
                "Or type the account password for this session only.",
            ),
            stage,
            actions=(A.ENTER_PASSWORD, A.RETRY),
            field="smtp.password",
            ctx=ctx,
        )
    return make(
        Category.KEYRING,
        "The keyring did not work",
        "mailgui could not read or store the password in the system keyring.",
        ("Try again.", "Or type the account password for this session only."),
        stage,
        actions=(A.RETRY, A.ENTER_PASSWORD),
        field="smtp.password",
        ctx=ctx,
    )


def _config_write(error: ConfigWriteError, ctx: DiagnosisContext) -> Diagnosis:
    return make(
        Category.INPUT,
        "Your accounts could not be saved",
        f"mailgui could not write {error.path}: {error.reason}. The file on disk was not "
        "changed, so nothing saved earlier is lost.",
        (
            "Free some disk space, or check that you may write to that folder.",
            "Then save the account again.",
        ),
        None,
        actions=(),
        ctx=ctx,
    )


def _config_too_new(error: ConfigTooNew, ctx: DiagnosisContext) -> Diagnosis:
    path = error.path if isinstance(error.path, str) else ""
    return make(
        Category.INPUT,
        "Your accounts were saved by a newer mailgui",
        f"The account settings file {path} was written by a newer version of mailgui (format "
        f"{error.version}; this version reads up to format {error.supported}). It was left as "
        "it is and this version will not change it, so the newer version still finds your "
        "accounts.",
        (
            "Go back to the newer version of mailgui.",
            "Until then, accounts cannot be added or changed in this version.",
        ),
        None,
        actions=(),  # nothing in this version can fix it
        ctx=ctx,
    )


def _config(error: ConfigCorrupt, ctx: DiagnosisContext) -> Diagnosis:
    path = getattr(error, "path", None)
    backup = getattr(error, "backup", None)
    kept = (
        f" The damaged file was kept as {backup}, so nothing is lost."
        if isinstance(backup, str) and backup
        else ""
    )
    return make(
        Category.INPUT,
        "Your saved accounts could not be read",
        f"The account settings file {path if isinstance(path, str) else ''} is damaged or "
        f"from an unknown version, so mailgui started without it.{kept}",
        (
            "Add your accounts again (passwords stay in the keyring).",
            "Or restore the kept file from a backup and restart mailgui.",
        ),
        None,
        actions=(A.EDIT_ACCOUNT,),
        ctx=ctx,
    )


def explain_mailgui_error(error: MailguiError, ctx: DiagnosisContext) -> Diagnosis:
    """Most specific first; Cancelled is handled by the caller."""
    if isinstance(error, InsecureAuthRefused):
        return _insecure(error, ctx)
    if isinstance(error, MessageTooBig):
        return _too_big(error, ctx)
    if isinstance(error, CertificatePinMismatch):
        return _pin_mismatch(error, ctx)
    if isinstance(error, InputError):
        return _input(error, ctx)
    if isinstance(error, KeyringError):
        return _keyring(error, ctx)
    if isinstance(error, ConfigWriteError):
        return _config_write(error, ctx)
    if isinstance(error, ConfigTooNew):
        return _config_too_new(error, ctx)
    if isinstance(error, ConfigCorrupt):
        return _config(error, ctx)
    return make(
        Category.PROTOCOL,
        "Something went wrong",
        f"mailgui stopped with an error ({type(error).__name__}).",
        ("Try again.", "If it keeps happening, copy the details and report it."),
        stage_of(error, ctx),
        retryable=True,
        ctx=ctx,
    )
