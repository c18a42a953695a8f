"""Stage results: what every staged operation (check, send, probe) reports, step by step."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class StageStatus(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class StageName(enum.StrEnum):
    """Stable stage names (used in JSON output and diagnoses)."""

    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    EHLO = "ehlo"
    STARTTLS = "starttls"
    AUTH = "auth"
    ENVELOPE = "envelope"  # MAIL FROM / RCPT TO (and RSET in a dry run)
    DATA = "data"
    QUIT = "quit"
    # IMAP ladder
    CAPABILITY = "capability"
    LOGIN = "login"
    LIST = "list"
    INBOX = "inbox"


@dataclass(frozen=True)
class StageResult:
    name: str
    status: StageStatus
    duration_ms: float
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "duration_ms": round(self.duration_ms, 1),
            "detail": self.detail,
        }
