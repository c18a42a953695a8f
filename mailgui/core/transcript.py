"""The protocol log of a session, both directions, with the credentials taken out.

Shared by SMTP and IMAP. Redaction happens when a line is added, so a secret never lives in
the transcript, not even for a moment: AUTH arguments, client lines answering a 334 challenge,
and anything equal to a registered secret, its base64, or a base64 token whose decoded bytes
contain a secret (the PLAIN "\\0user\\0password" blob, a LOGIN answer) become ``***``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import enum
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

REDACTED = "***"

# Commands whose arguments carry credentials (SMTP AUTH; IMAP AUTHENTICATE / LOGIN are tagged,
# so IMAP callers register the password as a secret as well).
_AUTH_COMMAND = re.compile(r"^(?P<cmd>AUTH(?:ENTICATE)?)(?P<rest>\s.*)?$", re.IGNORECASE)
_IMAP_LOGIN = re.compile(r"^(?P<tag>\S+\s+LOGIN)(?P<rest>\s.*)?$", re.IGNORECASE)
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/]{4,}={0,2}")
# A secret this short is replaced only where it stands as a token of its own: as a plain
# substring, a password "a" or "5" would turn "Relay access denied" into "Rel***y ***ccess" and
# "5.7.1" into "***.7.1", which garbles the reply, changes its diagnosis and gives the password
# away. Longer secrets are replaced wherever they occur.
_SHORT_SECRET = 6
_TOKEN_CHARS = r"[\w@.]"


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

    def redact_bytes(self, data: bytes) -> bytes:
        """`redact` for raw server bytes; undecodable bytes survive unchanged."""
        text = data.decode("utf-8", "surrogateescape")
        scrubbed = self.redact(text)
        return data if scrubbed == text else scrubbed.encode("utf-8", "surrogateescape")

    @property
    def has_secrets(self) -> bool:
        with self._lock:
            return bool(self._secrets)

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
            if len(variant) >= _SHORT_SECRET:
                text = text.replace(variant, REDACTED)
            else:
                alone = rf"(?<!{_TOKEN_CHARS}){re.escape(variant)}(?!{_TOKEN_CHARS})"
                text = re.sub(alone, REDACTED, text)
        return _B64_TOKEN.sub(self._scrub_token, text)

    def _scrub_token(self, match: re.Match[str]) -> str:
        token = match.group(0)
        # Any payload carrying a secret encodes to at least as many characters as the secret's
        # own base64; a shorter token cannot hold it (and "NUMBER" must not decode to a hit).
        shortest = min(len(base64.b64encode(s.encode("utf-8")).rstrip(b"=")) for s in self._secrets)
        if len(token.rstrip("=")) < shortest:
            return token
        try:
            decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        except (binascii.Error, ValueError):
            return token
        for secret in self._secrets:
            if secret.encode("utf-8") in decoded:
                return REDACTED
        return token


# -- exceptions ------------------------------------------------------------------------------
# A server may quote the password back ("535 Password hunter2 is wrong"); the exception object
# then carries it to the diagnosis, the outbox file, dialogs and the CLI. The engine scrubs it
# here, in place, at the one spot it records a failure, so everything downstream sees it clean.

# OSError keeps errno/strerror/filename in slots str() reads; UnicodeError keeps the text it
# failed on in `object`; smtplib keeps replies in smtp_error, recipients and sender.
_SLOT_ATTRIBUTES = ("strerror", "filename", "filename2", "object", "msg")
# What the diagnosis decides on, and what the user typed, stays exactly as it was: ssl's
# reason and library, the reply code, errno, the refused sender's address.
_KEEP_ATTRIBUTES = frozenset(
    {"reason", "library", "verify_code", "verify_message", "smtp_code", "errno", "sender"}
)


def scrub_exception(exc: BaseException, secrets: Transcript | Iterable[str]) -> BaseException:
    """Replace every secret (and its base64 / PLAIN forms) in `exc`, its arguments, its
    attributes, its notes and its cause / context chain. Returns `exc` itself."""
    redactor = secrets if isinstance(secrets, Transcript) else Transcript(secrets)
    if not redactor.has_secrets:
        return exc
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        _scrub_one(current, redactor)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return exc


def _scrub_one(exc: BaseException, redactor: Transcript) -> None:
    kept = [getattr(exc, name) for name in _KEEP_ATTRIBUTES if hasattr(exc, name)]
    with contextlib.suppress(AttributeError, TypeError):
        exc.args = tuple(
            arg if any(arg is k for k in kept) else _scrub_value(arg, redactor) for arg in exc.args
        )
    for name, value in list(vars(exc).items()) if hasattr(exc, "__dict__") else []:
        if name in _KEEP_ATTRIBUTES:
            continue
        scrubbed = _scrub_value(value, redactor)
        if scrubbed is not value:
            with contextlib.suppress(AttributeError, TypeError):
                setattr(exc, name, scrubbed)
    for name in _SLOT_ATTRIBUTES:
        value = getattr(exc, name, None)
        if isinstance(value, str | bytes):
            scrubbed = _scrub_value(value, redactor)
            if scrubbed is not value:
                with contextlib.suppress(AttributeError, TypeError):
                    setattr(exc, name, scrubbed)
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        notes[:] = [_scrub_value(n, redactor) for n in notes]


def _scrub_value(value: Any, redactor: Transcript) -> Any:
    """A scrubbed copy of `value` (the same object when nothing changed). Dicts are scrubbed in
    place, since an exception may hold the same dict twice (SMTPRecipientsRefused: args[0] and
    .recipients)."""
    if isinstance(value, str):
        scrubbed = redactor.redact(value)
        return value if scrubbed == value else scrubbed
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
        cleaned = redactor.redact_bytes(raw)
        return value if cleaned == raw else type(value)(cleaned)
    if isinstance(value, dict):
        # Keys stay as they are: in SMTPRecipientsRefused they are the recipients' addresses,
        # which the user typed, and a password that happens to be part of one ("mail") must not
        # turn bob@mail.example.org into an address nobody can match any more.
        for key in list(value):
            value[key] = _scrub_value(value[key], redactor)
        return value
    if isinstance(value, tuple | list):
        items = [_scrub_value(v, redactor) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items) if isinstance(value, list) else tuple(items)
    return value
