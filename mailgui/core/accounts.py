"""Account and server settings: typed values, no password field (passwords live in the keyring)."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any


class Security(enum.StrEnum):
    """How the connection is encrypted."""

    SSL = "ssl"  # implicit TLS from the first byte (SMTPS 465, IMAPS 993)
    STARTTLS = "starttls"  # plain connect, then upgrade (submission 587)
    NONE = "none"  # no encryption at all

    @property
    def label(self) -> str:
        return {"ssl": "SSL/TLS", "starttls": "STARTTLS", "none": "None"}[self.value]


class AuthMethod(enum.StrEnum):
    PASSWORD = "password"
    NONE = "none"


# The port a user most likely wants for each security mode.
DEFAULT_SMTP_PORTS: dict[Security, int] = {
    Security.SSL: 465,
    Security.STARTTLS: 587,
    Security.NONE: 25,
}
DEFAULT_IMAP_PORTS: dict[Security, int] = {
    Security.SSL: 993,
    Security.STARTTLS: 143,
    Security.NONE: 143,
}


@dataclass(frozen=True)
class ServerSettings:
    """One server endpoint (SMTP or IMAP) of an account."""

    host: str = ""
    port: int = 587
    security: Security = Security.STARTTLS
    username: str = ""
    auth: AuthMethod = AuthMethod.PASSWORD
    ca_file: str | None = None
    # SHA-256 of the server certificate (DER), lowercase hex without separators. When set, the
    # certificate must match it exactly and CA validation is not used for this endpoint.
    pinned_sha256: str | None = None
    # Sending a password over an unencrypted link needs this explicit, per-account opt-in.
    allow_insecure_auth: bool = False

    def replace(self, **changes: Any) -> ServerSettings:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "security": self.security.value,
            "username": self.username,
            "auth": self.auth.value,
            "ca_file": self.ca_file,
            "pinned_sha256": self.pinned_sha256,
            "allow_insecure_auth": self.allow_insecure_auth,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServerSettings:
        return cls(
            host=str(data.get("host", "")),
            port=int(data.get("port", 587)),
            security=Security(data.get("security", "starttls")),
            username=str(data.get("username", "")),
            auth=AuthMethod(data.get("auth", "password")),
            ca_file=data.get("ca_file") or None,
            pinned_sha256=normalize_fingerprint(data.get("pinned_sha256")),
            allow_insecure_auth=bool(data.get("allow_insecure_auth", False)),
        )


def normalize_fingerprint(value: str | None) -> str | None:
    """Accept 'AB:CD:..' or 'abcd..' and return lowercase hex, or None for empty."""
    if not value:
        return None
    return value.replace(":", "").replace(" ", "").strip().lower() or None


def _new_id() -> str:
    import uuid  # only when an account is made: keeps it off the start-up path

    return uuid.uuid4().hex


@dataclass(frozen=True)
class Account:
    """A mail account. There is deliberately no password here."""

    name: str
    email: str
    smtp: ServerSettings = field(default_factory=ServerSettings)
    imap: ServerSettings | None = None
    id: str = field(default_factory=_new_id)

    def replace(self, **changes: Any) -> Account:
        return dataclasses.replace(self, **changes)

    @property
    def smtp_login(self) -> str:
        """The SMTP user name, defaulting to the address as most providers expect."""
        return self.smtp.username or self.email

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "smtp": self.smtp.to_dict(),
            "imap": self.imap.to_dict() if self.imap else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Account:
        imap = data.get("imap")
        return cls(
            id=str(data.get("id") or _new_id()),
            name=str(data["name"]),
            email=str(data.get("email", "")),
            smtp=ServerSettings.from_dict(data.get("smtp") or {}),
            imap=ServerSettings.from_dict(imap) if imap else None,
        )
