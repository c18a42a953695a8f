"""mailgui's own typed errors. `diagnosis.explain()` knows every one of them.

They are `Exception`s but deliberately not `OSError`s, so that they never hide among the socket
and smtplib errors when the diagnosis table is checked most-specific-first.
"""

from __future__ import annotations


class MailguiError(Exception):
    """Base of every error mailgui raises on purpose."""


class Cancelled(MailguiError):
    """The user cancelled the operation; not a failure to explain as one."""

    def __init__(self, stage: str | None = None) -> None:
        super().__init__(f"cancelled during {stage}" if stage else "cancelled")
        self.stage = stage


class InsecureAuthRefused(MailguiError):
    """A password would have crossed an unencrypted connection and the account did not allow it."""

    def __init__(self, host: str, port: int, *, starttls_offered: bool | None = None) -> None:
        super().__init__(f"refusing to send a password unencrypted to {host}:{port}")
        self.host = host
        self.port = port
        # Whether this server's EHLO offered STARTTLS (None: not known); sharpens the advice.
        self.starttls_offered = starttls_offered


class MessageTooBig(MailguiError):
    """The message is larger than the SIZE the server announced in EHLO."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"message is {size} bytes, server accepts at most {limit}")
        self.size = size
        self.limit = limit


class CertificatePinMismatch(MailguiError):
    """The server showed a certificate other than the one pinned for it."""

    def __init__(self, host: str, port: int, expected: str, actual: str) -> None:
        super().__init__(f"certificate of {host}:{port} does not match the pinned fingerprint")
        self.host = host
        self.port = port
        self.expected = expected
        self.actual = actual


class InputError(MailguiError):
    """Something the user typed or chose is not usable; `field` names it for the UI."""

    def __init__(self, field: str, message: str, value: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.value = value


class KeyringError(MailguiError):
    """Base of credential store failures. Messages never contain a secret."""


class KeyringUnavailable(KeyringError):
    """No usable OS keyring (no Secret Service, no backend)."""


class KeyringLocked(KeyringError):
    """The keyring exists but is locked and was not unlocked."""


class KeyringAccessDenied(KeyringError):
    """The keyring refused access (the user dismissed the prompt, or policy forbids it)."""


class ConfigCorrupt(MailguiError):
    """The account file could not be read; it was moved aside to `backup`, never wiped."""

    def __init__(self, path: str, backup: str | None, reason: str) -> None:
        where = f"; kept as {backup}" if backup else ""
        super().__init__(f"cannot read {path}: {reason}{where}")
        self.path = path
        self.backup = backup
        self.reason = reason


class ConfigTooNew(ConfigCorrupt):
    """The account file was written by a newer mailgui. It is left in place, untouched, and this
    session may not overwrite it (`backup` is always None: nothing was moved)."""

    def __init__(self, path: str, version: int, supported: int) -> None:
        super().__init__(
            path,
            None,
            f"it was written by a newer version of mailgui (format {version}; this version "
            f"understands up to format {supported}), so it is left as it is and not overwritten",
        )
        self.version = version
        self.supported = supported


class ConfigWriteError(MailguiError):
    """A settings file could not be written (a full disk, no permission); nothing was changed."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason
