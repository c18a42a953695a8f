"""Values shared by the autoconfig sources and their orchestrator: candidates, statuses, options."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol

from mailgui.core.accounts import ServerSettings
from mailgui.core.errors import InputError

DEFAULT_TIMEOUT = 8.0
ISPDB_URL = "https://autoconfig.thunderbird.net/v1.1/"


class Source(enum.StrEnum):
    """Where a candidate came from, best first (the order is the ranking)."""

    BUNDLED = "bundled"
    AUTOCONFIG = "autoconfig"
    ISPDB = "ispdb"
    SRV = "srv"
    MX = "mx"
    GUESS = "guess"

    @property
    def rank(self) -> int:
        # bundled data and the provider's own XML are equally authoritative
        return {"bundled": 0, "autoconfig": 0, "ispdb": 1, "srv": 2, "mx": 3, "guess": 4}[
            self.value
        ]

    @property
    def label(self) -> str:
        return {
            "bundled": "Known providers (built in)",
            "autoconfig": "Provider's autoconfig file",
            "ispdb": "Thunderbird ISP database",
            "srv": "DNS SRV records",
            "mx": "Mail exchanger (MX) of the domain",
            "guess": "Common server names (guess)",
        }[self.value]


class SourceState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    FOUND = "found"
    NOT_FOUND = "not-found"
    FAILED = "failed"
    TIMED_OUT = "timed-out"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def done(self) -> bool:
        return self not in (SourceState.PENDING, SourceState.RUNNING)


@dataclass(frozen=True)
class SourceStatus:
    """What one source did: for the live list in the dialog and the CLI summary."""

    source: Source
    state: SourceState
    detail: str = ""
    count: int = 0
    duration_ms: float = 0.0

    def describe(self) -> str:
        if self.state is SourceState.FOUND:
            text = f"found {self.count}"
            return f"{text} ({self.detail})" if self.detail else text
        words = {
            SourceState.PENDING: "waiting",
            SourceState.RUNNING: "looking…",
            SourceState.NOT_FOUND: "nothing found",
            SourceState.FAILED: "failed",
            SourceState.TIMED_OUT: "timed out",
            SourceState.SKIPPED: "skipped",
            SourceState.CANCELLED: "cancelled",
        }[self.state]
        return f"{words}: {self.detail}" if self.detail else words

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source.value,
            "state": self.state.value,
            "detail": self.detail,
            "count": self.count,
            "duration_ms": round(self.duration_ms, 1),
        }


@dataclass(frozen=True)
class HelpLink:
    label: str
    url: str

    def to_json(self) -> dict[str, str]:
        return {"label": self.label, "url": self.url}


@dataclass(frozen=True)
class Candidate:
    """One complete configuration to offer. `sources` lists every source that agreed on it."""

    source: Source
    smtp: ServerSettings
    imap: ServerSettings | None = None
    notes: tuple[str, ...] = ()
    help_links: tuple[HelpLink, ...] = ()
    provider: str | None = None
    # False when the settings came through a channel an attacker could forge (a DNS answer
    # pointing outside the domain, a guess): the user must confirm before a password goes there.
    verified: bool = True
    sources: tuple[Source, ...] = ()
    oauth2_only: bool = False

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.smtp.host.lower().rstrip("."), self.smtp.port, self.smtp.security.value)

    @property
    def all_sources(self) -> tuple[Source, ...]:
        return self.sources or (self.source,)

    def to_json(self) -> dict[str, Any]:
        def server(s: ServerSettings | None) -> dict[str, Any] | None:
            if s is None:
                return None
            return {
                "host": s.host,
                "port": s.port,
                "security": s.security.value,
                "username": s.username,
            }

        return {
            "source": self.source.value,
            "sources": [s.value for s in self.all_sources],
            "provider": self.provider,
            "smtp": server(self.smtp),
            "imap": server(self.imap),
            "notes": list(self.notes),
            "help_links": [link.to_json() for link in self.help_links],
            "verified": self.verified,
            "oauth2_only": self.oauth2_only,
        }


class CancelLike(Protocol):
    """What lookups need of a cancel token (mailgui.core.cancel.CancelToken fits)."""

    @property
    def cancelled(self) -> bool: ...


@dataclass(frozen=True)
class LookupOptions:
    timeout: float = DEFAULT_TIMEOUT  # one overall deadline for the whole lookup
    offline: bool = False  # bundled data (and guesses) only
    dns_server: tuple[str, int] | None = None  # (host, port); None = the system resolver
    # Send every HTTPS lookup to this base instead, the original host becoming the first path
    # segment: https://base/autoconfig.example.com/mail/config-v1.1.xml (tests, proxies).
    http_base: str | None = None
    ispdb_url: str = ISPDB_URL
    ca_file: str | None = None  # trusted in addition to the system CAs
    http_timeout: float = 4.0  # per network operation, always also bounded by the deadline
    max_bytes: int = 256 * 1024


@dataclass(frozen=True)
class EmailAddress:
    address: str  # as the user should sign in with it (normalised)
    local: str
    domain: str  # lowercase, IDNA (ASCII) form: what DNS and URLs need

    def expand(self, template: str) -> str:
        """Fill the Thunderbird placeholders used in usernames and host names."""
        return (
            template.replace("%EMAILADDRESS%", self.address)
            .replace("%EMAILLOCALPART%", self.local)
            .replace("%EMAILDOMAIN%", self.domain)
        )


def parse_address(text: str) -> EmailAddress:
    """Validate an address for lookups; InputError("email", ...) when it cannot be one."""
    value = (text or "").strip()
    if value.count("@") != 1:
        raise InputError("email", "Enter an address like name@example.com.", value)
    local, _, domain = value.rpartition("@")
    if not local or not domain or any(c.isspace() for c in value):
        raise InputError("email", "Enter an address like name@example.com.", value)
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InputError("email", f"“{domain}” is not a valid domain name.", value) from None
    if not is_hostname(ascii_domain) or "." not in ascii_domain:
        raise InputError("email", f"“{domain}” is not a valid domain name.", value)
    return EmailAddress(address=f"{local}@{domain.rstrip('.')}", local=local, domain=ascii_domain)


def is_hostname(name: str) -> bool:
    """A DNS host name in ASCII form (letters, digits, hyphens; labels of 1-63)."""
    name = name.rstrip(".")
    if not name or len(name) > 253:
        return False
    for label in name.split("."):
        if not 0 < len(label) <= 63 or label.startswith("-") or label.endswith("-"):
            return False
        if not all(c.isascii() and (c.isalnum() or c == "-") for c in label):
            return False
    return True


class SourceFailed(Exception):
    """A source could not answer; `reason` is short human text for the status list."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out


@dataclass
class SourceAnswer:
    """What a source function returns: candidates plus notices not tied to one candidate."""

    candidates: list[Candidate] = field(default_factory=list)
    detail: str = ""
    notices: list[str] = field(default_factory=list)
