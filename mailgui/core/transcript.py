"""The protocol log of a session, both directions, with the credentials taken out.

Shared by SMTP and IMAP. Redaction happens when a line is added, so a secret never lives in
the transcript, not even for a moment: AUTH arguments, client lines answering a 334 challenge,
and anything equal to a registered secret, its base64, or a base64 token whose decoded bytes
contain a secret (the PLAIN "\\0user\\0password" blob, a LOGIN answer) become ``***``.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

REDACTED = "***"

# Commands whose arguments carry credentials (SMTP AUTH; IMAP AUTHENTICATE / LOGIN are tagged,
# so IMAP callers register the password as a secret as well).
_AUTH_COMMAND = re.compile(r"^(?P<cmd>AUTH(?:ENTICATE)?)(?P<rest>\s.*)?$", re.IGNORECASE)
_IMAP_LOGIN = re.compile(r"^(?P<tag>\S+\s+LOGIN)(?P<rest>\s.*)?$", re.IGNORECASE)
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/]{4,}={0,2}")


class Direction(enum.StrEnum):
    CLIENT = "C"
    SERVER = "S"
    INFO = "*"


@dataclass(frozen=True)
class TranscriptLine:
    elapsed: float  # seconds since the transcript started
    direction: Direction
    text: str

    def __str__(self) -> str:
        return f"+{self.elapsed:.3f} {self.direction.value}: {self.text}"


class Transcript:
    """A thread-safe, redacting protocol log."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._lines: list[TranscriptLine] = []
        self._secrets: list[str] = []
        self._variants: list[str] = []
        self._answering_challenge = False
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, secret: str) -> None:
        """Register a value that must never appear (a password, a token)."""
        if not secret:
            return
        with self._lock:
            if secret in self._secrets:
                return
            self._secrets.append(secret)
            raw = secret.encode("utf-8")
            for variant in (secret, base64.b64encode(raw).decode("ascii")):
                if variant not in self._variants:
                    self._variants.append(variant)
            # Longest first, so a longer variant is never half-replaced by a shorter one.
            self._variants.sort(key=len, reverse=True)

    def client(self, text: str) -> None:
        with self._lock:
            if self._answering_challenge:
                # The answer to a 334 challenge is always credential material.
                text = REDACTED if text.strip() else text
            else:
                text = self._redact_command(text)
            self._append(Direction.CLIENT, text)

    def server(self, text: str) -> None:
        with self._lock:
            # A 334 (SMTP) or "+ " (IMAP) continuation means the next client line answers it.
            self._answering_challenge = text.startswith(("334", "+ ")) or text == "+"
            self._append(Direction.SERVER, text)

    def info(self, text: str) -> None:
        with self._lock:
            self._append(Direction.INFO, text)

    @property
    def lines(self) -> list[TranscriptLine]:
        with self._lock:
            return list(self._lines)

    def to_text(self) -> str:
        return "\n".join(str(line) for line in self.lines)

    def to_json(self) -> list[str]:
        return [str(line) for line in self.lines]

    def redact(self, text: str) -> str:
        """`text` with every registered secret (and its encodings) replaced."""
        with self._lock:
            return self._scrub(text)

    # -- internals (lock held)
    def _append(self, direction: Direction, text: str) -> None:
        elapsed = time.monotonic() - self._start
        self._lines.append(TranscriptLine(elapsed, direction, self._scrub(text)))

    def _redact_command(self, text: str) -> str:
        match = _AUTH_COMMAND.match(text)
        if match and match.group("rest"):
            words = match.group("rest").split()
            # Keep the mechanism name (useful in a diagnosis); drop everything after it.
            kept = f"{match.group('cmd')} {words[0]}"
            return f"{kept} {REDACTED}" if len(words) > 1 else kept
        match = _IMAP_LOGIN.match(text)
        if match and match.group("rest"):
            return f"{match.group('tag')} {REDACTED}"
        return text

    def _scrub(self, text: str) -> str:
        if not self._secrets:
            return text
        for variant in self._variants:
            text = text.replace(variant, REDACTED)
        return _B64_TOKEN.sub(self._scrub_token, text)

    def _scrub_token(self, match: re.Match[str]) -> str:
        token = match.group(0)
        try:
            decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        except (binascii.Error, ValueError):
            return token
        for secret in self._secrets:
            if secret.encode("utf-8") in decoded:
                return REDACTED
        return token
