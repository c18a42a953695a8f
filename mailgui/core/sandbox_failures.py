"""The failures the sandbox can simulate, and the exact replies it gives for them.

The replies copy what real servers say (Postfix, Gmail), so the sandbox shows the same dialogs a
user would meet with a real provider. Each failure is consumed at the point of the SMTP dialogue
where a real server would fail that way (see `SandboxFailure.stage`).
"""

from __future__ import annotations

import enum


class SandboxFailure(enum.StrEnum):
    """One way the NEXT send through the sandbox should fail."""

    WRONG_PASSWORD = "wrong-password"
    APP_PASSWORD_REQUIRED = "app-password-required"
    SENDER_REFUSED = "sender-refused"
    ONE_RECIPIENT_REFUSED = "one-recipient-refused"
    ALL_RECIPIENTS_REFUSED = "all-recipients-refused"
    MESSAGE_TOO_BIG = "message-too-big"
    DISCONNECT_DURING_DATA = "disconnect-during-data"
    NO_ANSWER = "no-answer"
    UNTRUSTED_CERTIFICATE = "untrusted-certificate"

    @property
    def label(self) -> str:
        """Human words for a menu entry."""
        return _LABELS[self]

    @property
    def stage(self) -> str:
        """Where in the SMTP dialogue the failure is consumed: connect, auth or envelope."""
        if self is SandboxFailure.UNTRUSTED_CERTIFICATE:
            return "connect"
        if self in (SandboxFailure.WRONG_PASSWORD, SandboxFailure.APP_PASSWORD_REQUIRED):
            return "auth"
        return "envelope"


_LABELS: dict[SandboxFailure, str] = {
    SandboxFailure.WRONG_PASSWORD: "Wrong password",
    SandboxFailure.APP_PASSWORD_REQUIRED: "App password required",
    SandboxFailure.SENDER_REFUSED: "Sender address refused",
    SandboxFailure.ONE_RECIPIENT_REFUSED: "One recipient refused",
    SandboxFailure.ALL_RECIPIENTS_REFUSED: "All recipients refused",
    SandboxFailure.MESSAGE_TOO_BIG: "Message too big",
    SandboxFailure.DISCONNECT_DURING_DATA: "Connection lost while sending",
    SandboxFailure.NO_ANSWER: "Server stops answering",
    SandboxFailure.UNTRUSTED_CERTIFICATE: "Untrusted certificate",
}

# Replies. Multi-line replies use CRLF between lines, as they go on the wire.
WRONG_PASSWORD_REPLY = "535 5.7.8 Error: authentication failed: Invalid user name or password"
# Gmail's own wording and help link, so the demo shows what a Gmail user really meets.
APP_PASSWORD_REPLY = (
    "534-5.7.9 Application-specific password required. Learn more at\r\n"
    "534 5.7.9 https://support.google.com/mail/?p=InvalidSecondFactor"
)
SIZE_REPLY = "552 5.3.4 Error: message file too big"


def sender_refused_reply(address: str) -> str:
    return f"553 5.7.1 <{address}>: Sender address rejected: not owned by the signed-in user"


def recipient_refused_reply(address: str) -> str:
    return (
        f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"
    )
