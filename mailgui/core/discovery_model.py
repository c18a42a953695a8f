"""What discovery talks about: the candidates tried, the outcome of each try and the result.

Values only; `discovery_attempt` produces an Attempt, `discovery` runs and ranks them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from mailgui.core.accounts import Security, ServerSettings
from mailgui.core.smtp import Capabilities
from mailgui.core.smtp_tls import TlsInfo


class Outcome(enum.StrEnum):
    """Why a combination won or lost. Values are stable (JSON, CLI)."""

    WORKS = "works"
    REFUSED = "refused"  # nothing listens: connection refused
    NO_ANSWER = "no-answer"  # filtered, or accepts TCP and never speaks
    DNS = "dns"  # the name does not resolve
    WRONG_TLS_MODE = "wrong-tls-mode"  # SSL/TLS on a STARTTLS port or the other way round
    NO_STARTTLS = "no-starttls"
    CERTIFICATE = "certificate"  # certificate invalid (untrusted, expired, other name, pin)
    NO_AUTH = "no-auth"  # no AUTH offered although the account signs in
    AUTH_FAILED = "auth-failed"
    PROTOCOL = "protocol"  # it answered, but not as a usable SMTP server
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Outcome.WORKS: "works",
    Outcome.REFUSED: "connection refused (nothing listens on this port)",
    Outcome.NO_ANSWER: "no answer (filtered, or the server never spoke)",
    Outcome.DNS: "host name not found",
    Outcome.WRONG_TLS_MODE: "wrong TLS mode for this port",
    Outcome.NO_STARTTLS: "STARTTLS not offered",
    Outcome.CERTIFICATE: "certificate invalid",
    Outcome.NO_AUTH: "no AUTH offered",
    Outcome.AUTH_FAILED: "authentication failed",
    Outcome.PROTOCOL: "not a usable SMTP answer",
    Outcome.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class PortChoice:
    """One port and security mode to try. Order in the list is the order of preference."""

    port: int
    security: Security


# Implicit TLS first (RFC 8314), then submission with STARTTLS, then the relay and the alternative.
DEFAULT_PORTS: tuple[PortChoice, ...] = (
    PortChoice(465, Security.SSL),
    PortChoice(587, Security.STARTTLS),
    PortChoice(25, Security.STARTTLS),
    PortChoice(2525, Security.STARTTLS),
)


@dataclass(frozen=True)
class Candidate:
    host: str
    port: int
    security: Security
    preference: int  # position of its port choice; lower is better

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port} {self.security.label}"

    def settings(self, base: ServerSettings) -> ServerSettings:
        same = (base.host, base.port) == (self.host, self.port)
        return base.replace(
            host=self.host,
            port=self.port,
            security=self.security,
            # A pin belongs to one host and port; it says nothing about another endpoint.
            pinned_sha256=base.pinned_sha256 if same else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "security": self.security.value}


@dataclass
class Attempt:
    candidate: Candidate
    outcome: Outcome = Outcome.NO_ANSWER
    detail: str = ""
    duration_ms: float = 0.0
    address: str | None = None
    capabilities: Capabilities | None = None
    tls: TlsInfo | None = None
    auth_checked: bool = False  # the real password was tried here (winners only)
    error: BaseException | None = field(default=None, repr=False)

    @property
    def auth_offered(self) -> bool:
        return bool(self.capabilities and self.capabilities.auth)

    @property
    def verified(self) -> bool:
        return self.tls is not None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.candidate.to_json(),
            "outcome": self.outcome.value,
            "reason": self.outcome.label,
            "detail": self.detail,
            "duration_ms": round(self.duration_ms, 1),
            "address": self.address,
            "auth_offered": sorted(self.capabilities.auth) if self.capabilities else [],
            "tls": self.tls.to_json() if self.tls else None,
            "auth_checked": self.auth_checked,
        }


@dataclass
class DiscoveryResult:
    attempts: list[Attempt]
    ranked: list[Attempt]  # what worked, best first
    best: Attempt | None
    settings: ServerSettings | None  # the recommendation, ready to apply to the account
    elapsed_ms: float
    cancelled: bool = False

    def to_json(self) -> dict[str, Any]:
        best = self.best
        return {
            "ok": best is not None,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "cancelled": self.cancelled,
            "attempts": [a.to_json() for a in self.attempts],
            "ranked": [a.candidate.to_json() for a in self.ranked],
            "recommended": best.candidate.to_json() if best else None,
            "settings": self.settings.to_dict() if self.settings else None,
        }
