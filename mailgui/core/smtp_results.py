"""The typed results of an SMTP session: EHLO capabilities, per-recipient results, the session
result, and the message shape `send` needs. Re-exported by mailgui.core.smtp."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage, Message
from typing import Any, Protocol

from mailgui.core.errors import Cancelled
from mailgui.core.smtp_tls import TlsInfo
from mailgui.core.stages import StageResult
from mailgui.core.transcript import Transcript


@dataclass(frozen=True)
class Capabilities:
    """What the server announced in its EHLO reply."""

    starttls: bool = False
    auth: frozenset[str] = frozenset()
    size: int | None = None  # None: no limit announced (or SIZE 0, which means the same)
    eightbitmime: bool = False
    smtputf8: bool = False
    pipelining: bool = False
    raw: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, features: Mapping[str, str]) -> Capabilities:
        """From smtplib's `esmtp_features` (lowercase keyword -> parameters)."""
        feats = {str(k).lower(): str(v).strip() for k, v in features.items()}
        size_text = feats.get("size", "")
        size = int(size_text) if size_text.isdigit() and int(size_text) > 0 else None
        auth = frozenset(m.upper() for m in feats.get("auth", "").split())
        return cls(
            starttls="starttls" in feats,
            auth=auth,
            size=size,
            eightbitmime="8bitmime" in feats,
            smtputf8="smtputf8" in feats,
            pipelining="pipelining" in feats,
            raw=tuple(feats.items()),
        )

    def summary(self) -> str:
        parts = []
        if self.starttls:
            parts.append("STARTTLS")
        if self.auth:
            parts.append("AUTH " + " ".join(sorted(self.auth)))
        if self.size:
            parts.append(f"SIZE {self.size}")
        for flag, name in (
            (self.eightbitmime, "8BITMIME"),
            (self.smtputf8, "SMTPUTF8"),
            (self.pipelining, "PIPELINING"),
        ):
            if flag:
                parts.append(name)
        return ", ".join(parts) or "no extensions"

    def to_json(self) -> dict[str, Any]:
        return {
            "starttls": self.starttls,
            "auth": sorted(self.auth),
            "size": self.size,
            "8bitmime": self.eightbitmime,
            "smtputf8": self.smtputf8,
            "pipelining": self.pipelining,
            "raw": {k: v for k, v in self.raw},
        }


@dataclass(frozen=True)
class RecipientResult:
    address: str
    accepted: bool
    code: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "accepted": self.accepted,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class SessionResult:
    ok: bool
    stages: list[StageResult]
    capabilities: Capabilities | None
    tls: TlsInfo | None
    recipients: dict[str, RecipientResult]
    transcript: Transcript
    error: BaseException | None  # the ORIGINAL exception object (Cancelled included)
    failed_stage: str | None

    @property
    def partial(self) -> bool:
        """Sent, but some recipients were refused."""
        return self.ok and any(not r.accepted for r in self.recipients.values())

    @property
    def cancelled(self) -> bool:
        return isinstance(self.error, Cancelled)


class SendableMessage(Protocol):
    """What `send` needs of mailgui.core.message.BuiltMessage."""

    @property
    def message(self) -> EmailMessage | Message: ...
    @property
    def envelope_from(self) -> str: ...
    @property
    def recipients(self) -> tuple[str, ...]: ...
    @property
    def smtputf8(self) -> bool: ...
    @property
    def size(self) -> int: ...
