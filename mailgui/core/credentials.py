"""Where passwords live: the OS keyring, or (by the user's explicit choice) memory for one session.

There is deliberately no plaintext fallback. A keyring failure becomes one of the typed errors in
`mailgui.core.errors` so the UI can explain it; messages name the key, never the password.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import keyring
import keyring.errors

from mailgui.core.accounts import Account
from mailgui.core.errors import (
    KeyringAccessDenied,
    KeyringError,
    KeyringLocked,
    KeyringUnavailable,
)

SERVICE = "mailgui"

# Backends that would write passwords to a file (keyrings.alt) or silently drop them (null).
_REFUSED_MODULE_PREFIXES = ("keyrings.alt",)
_UNAVAILABLE_BACKENDS = ("keyring.backends.fail", "keyring.backends.null")


def smtp_key(account: Account | str) -> str:
    """The keyring user name under which the account's SMTP password is stored."""
    return f"{_account_id(account)}:smtp"


def imap_key(account: Account | str) -> str:
    """The keyring user name under which the account's IMAP password is stored."""
    return f"{_account_id(account)}:imap"


def _account_id(account: Account | str) -> str:
    return account if isinstance(account, str) else account.id


@runtime_checkable
class CredentialStore(Protocol):
    def get_password(self, key: str) -> str | None: ...

    def set_password(self, key: str, password: str) -> None: ...

    def delete_password(self, key: str) -> None: ...


def forget_account(store: CredentialStore, account: Account | str) -> None:
    """Delete both passwords of an account (when the account itself is deleted)."""
    store.delete_password(smtp_key(account))
    store.delete_password(imap_key(account))


class MemoryStore:
    """Passwords kept in this process only; gone when the app quits. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._passwords: dict[str, str] = {}

    def get_password(self, key: str) -> str | None:
        with self._lock:
            return self._passwords.get(key)

    def set_password(self, key: str, password: str) -> None:
        with self._lock:
            self._passwords[key] = password

    def delete_password(self, key: str) -> None:
        with self._lock:
            self._passwords.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._passwords.clear()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._passwords

    def __repr__(self) -> str:  # never the passwords themselves
        with self._lock:
            return f"MemoryStore(keys={sorted(self._passwords)!r})"


def _module_of(backend: object) -> str:
    return type(backend).__module__


def _member_backends(backend: object) -> list[object]:
    """The backends a chainer backend delegates to (itself for an ordinary backend)."""
    members = getattr(type(backend), "backends", None) if _is_chainer(backend) else None
    return list(members) if members else [backend]


def _is_chainer(backend: object) -> bool:
    return _module_of(backend) == "keyring.backends.chainer"


def check_backend(backend: object) -> None:
    """Refuse a backend that would store passwords in a file, or that cannot store them at all."""
    for member in _member_backends(backend):
        module = _module_of(member)
        if module.startswith(_REFUSED_MODULE_PREFIXES):
            raise KeyringUnavailable(
                f"The only keyring available ({module}) keeps passwords in a file on disk. "
                "mailgui does not store passwords that way; install or unlock a system keyring."
            )
    if all(_module_of(m).startswith(_UNAVAILABLE_BACKENDS) for m in _member_backends(backend)):
        raise KeyringUnavailable(
            "No system keyring is available to store passwords "
            "(on Linux: a Secret Service such as GNOME Keyring or KWallet)."
        )


class KeyringStore:
    """Passwords in the OS keyring through the `keyring` package.

    The keyring's user-name field holds the key (see `smtp_key`); the service is `service`.
    `backend` defaults to whatever `keyring.get_keyring()` returns at call time.
    """

    def __init__(self, service: str = SERVICE, backend: Any | None = None) -> None:
        self.service = service
        self._backend = backend

    @property
    def backend(self) -> Any:
        backend = self._backend if self._backend is not None else keyring.get_keyring()
        check_backend(backend)
        return backend

    def get_password(self, key: str) -> str | None:
        result = self._call("read", key, lambda b: b.get_password(self.service, key))
        return None if result is None else str(result)

    def set_password(self, key: str, password: str) -> None:
        self._call("save", key, lambda b: b.set_password(self.service, key, password))

    def delete_password(self, key: str) -> None:
        """Delete the password; deleting one that is not there is not an error."""
        try:
            self._call("delete", key, lambda b: b.delete_password(self.service, key))
        except KeyringError as exc:
            if not isinstance(exc.__cause__, keyring.errors.PasswordDeleteError):
                raise
            # Backends report "nothing to delete" this way; anything else is a real failure.
            if self.get_password(key) is not None:
                raise

    def _call(self, action: str, key: str, op: Callable[[Any], Any]) -> Any:
        backend = self.backend
        try:
            return op(backend)
        except Exception as exc:
            mapped = translate_error(exc, action, key)
            if mapped is None:
                raise
            raise mapped from exc

    def __repr__(self) -> str:
        return f"KeyringStore(service={self.service!r})"


def _optional_secretstorage() -> dict[str, type[BaseException]]:
    try:
        from secretstorage import exceptions as ss
    except ImportError:  # not on Windows / macOS, and not needed there
        return {}
    return {
        "locked": ss.LockedException,
        "dismissed": ss.PromptDismissedException,
        "unavailable": ss.SecretServiceNotAvailableException,
        "other": ss.SecretStorageException,
    }


# D-Bus error names (protocol identifiers, not human text) that say what went wrong.
_DBUS_LOCKED = {"org.freedesktop.Secret.Error.IsLocked"}
_DBUS_DENIED = {"org.freedesktop.DBus.Error.AccessDenied"}


def translate_error(exc: BaseException, action: str, key: str) -> KeyringError | None:
    """The typed mailgui error for a keyring failure, or None if `exc` is not one."""
    where = f"Could not {action} the password for {key} in the system keyring"
    ss = _optional_secretstorage()
    if isinstance(exc, KeyringError):
        return exc
    if isinstance(exc, keyring.errors.KeyringLocked) or (
        "locked" in ss and isinstance(exc, ss["locked"])
    ):
        return KeyringLocked(f"{where}: the keyring is locked and was not unlocked.")
    if "dismissed" in ss and _caused_by(exc, ss["dismissed"]):
        # Also when `keyring` wrapped it (InitError "Failed to create the collection"): on a
        # system with no keyring yet, the user declined the prompt to create one.
        return KeyringAccessDenied(f"{where}: the keyring's prompt was dismissed.")
    if isinstance(exc, keyring.errors.NoKeyringError | keyring.errors.InitError) or (
        "unavailable" in ss and isinstance(exc, ss["unavailable"])
    ):
        return KeyringUnavailable(f"{where}: no system keyring is available.")
    if isinstance(exc, keyring.errors.PasswordSetError):
        return KeyringAccessDenied(f"{where}: the keyring refused to store it.")
    dbus_name = _dbus_error_name(exc)
    if dbus_name in _DBUS_LOCKED:
        return KeyringLocked(f"{where}: the keyring is locked.")
    if dbus_name in _DBUS_DENIED:
        return KeyringAccessDenied(f"{where}: access was denied.")
    if isinstance(exc, keyring.errors.KeyringError) or (
        "other" in ss and isinstance(exc, ss["other"])
    ):
        return KeyringError(f"{where}: {type(exc).__name__}.")
    if dbus_name is not None:
        return KeyringError(f"{where}: D-Bus error {dbus_name}.")
    if isinstance(exc, OSError):  # the connection to the keyring service broke
        return KeyringUnavailable(f"{where}: the keyring service could not be reached.")
    return None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether `exc`, or an exception it was raised from, is a `kind`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False


def _dbus_error_name(exc: BaseException) -> str | None:
    # jeepney.wrappers.DBusErrorResponse carries the D-Bus error name; duck-typed so that
    # jeepney stays an optional, Linux-only dependency.
    name = getattr(exc, "name", None)
    if type(exc).__name__ == "DBusErrorResponse" and isinstance(name, str):
        return name
    return None


class SessionFallbackStore:
    """The keyring first; memory for this session only when the user chose that explicitly.

    Reads and writes go to `primary` and raise its `KeyringError`s. The caller may then ask the
    user and call `remember_for_session(key, password)`: from then on that key is answered from
    memory (`is_session_only(key)` is True) until a keyring save succeeds or the app quits.
    """

    def __init__(self, primary: CredentialStore, memory: MemoryStore | None = None) -> None:
        self.primary = primary
        self.memory = memory if memory is not None else MemoryStore()
        self._lock = threading.Lock()
        self._session_only: set[str] = set()

    def get_password(self, key: str) -> str | None:
        if self.is_session_only(key):
            return self.memory.get_password(key)
        return self.primary.get_password(key)

    def set_password(self, key: str, password: str) -> None:
        self.primary.set_password(key, password)
        with self._lock:
            self._session_only.discard(key)
        self.memory.delete_password(key)

    def delete_password(self, key: str) -> None:
        was_session_only = self.is_session_only(key)
        with self._lock:
            self._session_only.discard(key)
        self.memory.delete_password(key)
        if was_session_only:
            # The keyring may be unusable right now; still try so no stale copy survives there.
            try:
                self.primary.delete_password(key)
            except KeyringError:
                return
        else:
            self.primary.delete_password(key)

    def remember_for_session(self, key: str, password: str) -> None:
        """Keep `password` in memory only, until the app quits. Never written anywhere."""
        self.memory.set_password(key, password)
        with self._lock:
            self._session_only.add(key)

    def is_session_only(self, key: str) -> bool:
        with self._lock:
            return key in self._session_only

    def session_only_keys(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._session_only)

    def __repr__(self) -> str:
        return f"SessionFallbackStore(primary={self.primary!r}, memory={self.memory!r})"
