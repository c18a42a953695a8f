"""The values a diagnosis is made of: categories, UI actions, the context and the result.

Kept apart from `diagnosis` so that the rule tables (`providers`, `diagnosis_replies`, ...) can
use them without importing the decoder. `mailgui.core.diagnosis` re-exports everything here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mailgui.core.accounts import AuthMethod, Security

if TYPE_CHECKING:
    from mailgui.core.accounts import Account, ServerSettings


class Category(enum.StrEnum):
    """What kind of failure it was. Stable strings: the CLI and the UI key on them."""

    DNS = "dns"
    CONNECT = "connect"
    TIMEOUT = "timeout"
    TLS_MODE = "tls-mode"
    CERTIFICATE = "certificate"
    STARTTLS = "starttls"
    AUTH_UNAVAILABLE = "auth-unavailable"
    AUTH = "auth"
    SENDER = "sender"
    RECIPIENTS = "recipients"
    DATA = "data"
    SIZE = "size"
    RATE_LIMIT = "rate-limit"
    DISCONNECTED = "disconnected"
    PROTOCOL = "protocol"
    INSECURE = "insecure"
    KEYRING = "keyring"
    INPUT = "input"
    CANCELLED = "cancelled"


class Action(enum.StrEnum):
    """Buttons the error dialog may offer."""

    EDIT_ACCOUNT = "edit-account"
    TEST_CONNECTION = "test-connection"
    RETRY = "retry"
    ENTER_PASSWORD = "enter-password"
    TRUST_CERTIFICATE = "trust-certificate"
    EDIT_MESSAGE = "edit-message"


@dataclass(frozen=True)
class DiagnosisContext:
    """What we knew when it failed. Never holds a password."""

    host: str | None = None
    port: int | None = None
    security: Security | None = None
    username: str | None = None
    email: str | None = None
    stage: str | None = None
    timeout: float | None = None
    # Extra, optional facts that make the advice sharper.
    uses_password: bool | None = None  # the account signs in (AuthMethod.PASSWORD)
    cert_names: tuple[str, ...] = ()  # names in the server certificate, when the engine saw it

    @classmethod
    def for_settings(
        cls,
        settings: ServerSettings,
        email: str | None = None,
        stage: str | None = None,
        *,
        timeout: float | None = None,
        cert_names: tuple[str, ...] = (),
    ) -> DiagnosisContext:
        return cls(
            host=settings.host or None,
            port=settings.port,
            security=settings.security,
            username=settings.username or email or None,
            email=email or None,
            stage=stage,
            timeout=timeout,
            uses_password=settings.auth == AuthMethod.PASSWORD,
            cert_names=tuple(cert_names),
        )

    @classmethod
    def for_account(
        cls,
        account: Account,
        stage: str | None = None,
        *,
        timeout: float | None = None,
        cert_names: tuple[str, ...] = (),
    ) -> DiagnosisContext:
        """Context for the account's SMTP server. Pass `cert_names` (SessionResult.tls.names)
        after a certificate failure so a name mismatch can suggest the right host."""
        return cls.for_settings(
            account.smtp, account.email, stage, timeout=timeout, cert_names=cert_names
        )


@dataclass(frozen=True)
class RefusedRecipient:
    """One refused recipient: its address, the server's code and a plain reason."""

    address: str
    code: int | None
    enhanced_code: str | None
    reason: str
    server_reply: str

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "code": self.code,
            "enhanced_code": self.enhanced_code,
            "reason": self.reason,
            "server_reply": self.server_reply,
        }


@dataclass(frozen=True)
class Diagnosis:
    """A failure turned into data: what happened, what the server said, what to do."""

    category: Category
    title: str
    explanation: str
    fixes: tuple[str, ...]
    reply_code: int | None = None
    enhanced_code: str | None = None
    enhanced_meaning: str | None = None
    server_reply: str | None = None
    provider: str | None = None
    help_url: str | None = None
    stage: str | None = None
    retryable: bool = False
    actions: tuple[Action, ...] = ()
    # What to change: "smtp.password", "smtp.security", "smtp.port", "smtp.host",
    # "smtp.username", "smtp.pinned_sha256", "email", or a message field ("to", "from", ...).
    field: str | None = None
    suggestion: dict[str, Any] | None = None  # e.g. {"security": "ssl", "port": 465}
    hint: str | None = None  # the provider-specific advice, also woven into `explanation`
    refused: tuple[RefusedRecipient, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "title": self.title,
            "explanation": self.explanation,
            "fixes": list(self.fixes),
            "reply_code": self.reply_code,
            "enhanced_code": self.enhanced_code,
            "enhanced_meaning": self.enhanced_meaning,
            "server_reply": self.server_reply,
            "provider": self.provider,
            "hint": self.hint,
            "help_url": self.help_url,
            "stage": self.stage,
            "retryable": self.retryable,
            "actions": [a.value for a in self.actions],
            "field": self.field,
            "suggestion": dict(self.suggestion) if self.suggestion else None,
            "refused": [r.to_json() for r in self.refused],
        }

    def to_text(self) -> str:
        """Plain text for "Copy details" and the CLI."""
        lines = [self.title, "", self.explanation, ""]
        lines += [f"{n}. {fix}" for n, fix in enumerate(self.fixes, 1)]
        if self.help_url:
            lines += ["", f"Help: {self.help_url}"]
        if self.server_reply:
            code = " ".join(str(c) for c in (self.reply_code, self.enhanced_code) if c)
            lines += ["", f"Server reply{f' ({code})' if code else ''}: {self.server_reply}"]
            if self.enhanced_meaning:
                lines.append(f"Meaning: {self.enhanced_meaning}")
        return "\n".join(lines)
