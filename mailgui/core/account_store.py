"""The accounts file: versioned JSON under the user's config folder, written atomically.

A file that cannot be read is moved aside (never deleted, never silently replaced by an empty
list) and reported with `ConfigCorrupt`. A file from a newer mailgui is not damaged: it stays where
it is, `ConfigTooNew` says so, and the store refuses to save for the rest of the session, so that
running an older version never costs the newer one its accounts. Passwords are never part of the
file: they live in the keyring.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import platformdirs

from mailgui.core.accounts import Account
from mailgui.core.errors import ConfigCorrupt, ConfigTooNew, InputError
from mailgui.core.fileio import atomic_write_json

log = logging.getLogger(__name__)

APP_NAME = "mailgui"
ACCOUNTS_FILE = "accounts.json"
SCHEMA_VERSION = 1

# Stable ids for accounts migrated from the pre-release format, so that keyring keys derived
# from them stay the same even if the migrated file could not be written back.
_MIGRATION_NAMESPACE = uuid.UUID("6f1d3c3e-6a44-4f0e-9d55-2b8f0a1c7e21")


def default_config_dir() -> Path:
    """The platform's per-user config folder for mailgui (e.g. ~/.config/mailgui on Linux)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=True))


def _migrate_0_to_1(data: Any) -> dict[str, Any]:
    """Pre-release files were a bare list of flat accounts without ids.

    [{"name", "email", "smtp_host", "smtp_port", "smtp_security", "smtp_username"}, ...]
    """
    if not isinstance(data, list):
        raise ValueError("the pre-release format must be a list of accounts")
    accounts = []
    for index, old in enumerate(data, start=1):
        if not isinstance(old, dict):
            raise ValueError(f"account {index} is not a JSON object")
        smtp = {
            "host": old.get("smtp_host", ""),
            "port": old.get("smtp_port", 587),
            "security": old.get("smtp_security", "starttls"),
            "username": old.get("smtp_username", ""),
        }
        seed = f"{old.get('name', '')}\n{old.get('email', '')}\n{index}"
        accounts.append(
            {
                "id": uuid.uuid5(_MIGRATION_NAMESPACE, seed).hex,
                "name": old.get("name"),
                "email": old.get("email", ""),
                "smtp": smtp,
                "imap": None,
            }
        )
    return {"schema": 1, "accounts": accounts}


# MIGRATIONS[n] turns a version-n document into a version-(n+1) document.
MIGRATIONS: dict[int, Callable[[Any], dict[str, Any]]] = {0: _migrate_0_to_1}


def migrate(data: Any) -> tuple[dict[str, Any], int]:
    """Bring a parsed document to SCHEMA_VERSION; returns it and the version it started at.

    Raises ValueError (with a reason in plain words) for shapes it cannot handle.
    """
    version = _schema_of(data)
    start = version
    if version > SCHEMA_VERSION:
        raise NewerSchema(version)
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ValueError(f"there is no way to upgrade format version {version}")
        data = step(data)
        version += 1
    if not isinstance(data, dict):
        raise ValueError("the file does not contain an object with a list of accounts")
    return data, start


class NewerSchema(ValueError):
    """`migrate` met a format from a newer mailgui; the store turns it into `ConfigTooNew`."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"it was written by a newer version of mailgui (format {version}; "
            f"this version understands up to format {SCHEMA_VERSION})"
        )
        self.version = version


def _schema_of(data: Any) -> int:
    if isinstance(data, list):
        return 0
    if not isinstance(data, dict):
        raise ValueError("the file does not contain an object with a list of accounts")
    schema = data.get("schema")
    if isinstance(schema, bool) or not isinstance(schema, int) or schema < 0:
        raise ValueError('the file has no valid format version ("schema")')
    return schema


def _parse_accounts(document: dict[str, Any]) -> list[Account]:
    raw = document.get("accounts")
    if not isinstance(raw, list):
        raise ValueError('the file has no list of "accounts"')
    accounts = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"account {index} is not a JSON object")
        try:
            accounts.append(Account.from_dict(item))
        except KeyError as exc:
            raise ValueError(f"account {index} has no {exc.args[0]!r}") from exc
        except (TypeError, ValueError) as exc:
            raise ValueError(f"account {index} has an invalid setting ({exc})") from exc
    return accounts


class AccountStore:
    """Loads and saves the account list in `config_dir / accounts.json`."""

    def __init__(self, config_dir: Path | None = None) -> None:
        self.config_dir = Path(config_dir) if config_dir is not None else default_config_dir()
        self.path = self.config_dir / ACCOUNTS_FILE
        # Set once a file from a newer mailgui was seen: every later save() refuses with it.
        self.read_only: ConfigTooNew | None = None

    def load(self) -> list[Account]:
        """The saved accounts; [] when there is no file yet.

        Raises ConfigCorrupt after moving an unreadable file aside, and ConfigTooNew (leaving
        the file alone and making this store read-only) for a file from a newer mailgui.
        """
        try:
            raw = self._read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            self._fail(f"the file could not be read ({_os_reason(exc)})")
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            self._fail("the file is not valid UTF-8 text")
        except json.JSONDecodeError as exc:
            self._fail(f"the file is not valid JSON (line {exc.lineno}, column {exc.colno})")
        try:
            document, started_at = migrate(data)
            accounts = _parse_accounts(document)
        except NewerSchema as exc:
            raise self._too_new(exc.version) from None
        except ValueError as exc:
            self._fail(str(exc))
        if started_at < SCHEMA_VERSION:
            self._write_back_migrated(raw, started_at, accounts)
        return accounts

    def save(self, accounts: Iterable[Account]) -> None:
        """Write the list atomically.

        Raises ConfigTooNew instead when this session has seen a file from a newer mailgui, or
        one is there now: overwriting it would lose what the newer version saved.
        """
        seen = self.read_only
        if seen is not None:  # a fresh exception each time, not one growing traceback
            raise ConfigTooNew(seen.path, seen.version, seen.supported)
        self._guard_existing()
        document = {"schema": SCHEMA_VERSION, "accounts": [a.to_dict() for a in accounts]}
        atomic_write_json(self.path, document)

    def find(self, name_or_id: str) -> Account | None:
        """The account with this id, or else this name (or e-mail address), ignoring case."""
        accounts = self.load()
        for account in accounts:
            if account.id == name_or_id:
                return account
        wanted = name_or_id.strip().casefold()
        for attribute in ("name", "email"):
            matches = [a for a in accounts if getattr(a, attribute).casefold() == wanted]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                ids = ", ".join(a.id for a in matches)
                raise InputError(
                    "account",
                    f'Several accounts match "{name_or_id}". Use the account id instead: {ids}.',
                    name_or_id,
                )
        return None

    # -- internals -------------------------------------------------------------------------

    def _read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def _too_new(self, version: int) -> ConfigTooNew:
        self.read_only = ConfigTooNew(str(self.path), version, SCHEMA_VERSION)
        return self.read_only

    def _fail(self, reason: str) -> NoReturn:
        backup = self._move_aside()
        raise ConfigCorrupt(str(self.path), str(backup) if backup else None, reason)

    def _move_aside(self) -> Path | None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for attempt in range(1000):
            suffix = f".corrupt-{stamp}" + (f"-{attempt}" if attempt else "")
            backup = self.path.with_name(self.path.name + suffix)
            if backup.exists():
                continue
            try:
                os.rename(self.path, backup)
            except OSError as exc:
                log.warning("could not move %s aside: %s", self.path, _os_reason(exc))
                return None
            return backup
        return None

    def _guard_existing(self) -> None:
        """Before a save: never overwrite a newer format; move an unreadable file aside."""
        try:
            raw = self._read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            reason = f"the file could not be read ({_os_reason(exc)})"
        else:
            try:
                version = _schema_of(json.loads(raw.decode("utf-8")))
            except (ValueError, UnicodeDecodeError):
                reason = "the file is not a valid accounts file"
            else:
                if version > SCHEMA_VERSION:
                    raise self._too_new(version)
                return
        if self._move_aside() is None:
            # Writing now would destroy the only copy of what is there.
            raise ConfigCorrupt(str(self.path), None, f"{reason}, and it could not be moved aside")
        log.warning("moved unreadable %s aside before saving: %s", self.path, reason)

    def _write_back_migrated(self, raw: bytes, version: int, accounts: list[Account]) -> None:
        # Keep the old file next to the new one; a failed write leaves the old file in place.
        backup = self.path.with_name(f"{self.path.name}.schema-{version}.bak")
        try:
            if not backup.exists():
                fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(raw)
            self.save(accounts)
        except (OSError, ConfigCorrupt) as exc:
            log.warning("could not write the upgraded %s: %s", self.path, exc)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder, not a file"
    return exc.strerror or type(exc).__name__
