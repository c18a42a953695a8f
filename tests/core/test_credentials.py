"""Credential stores without a Secret Service: error mapping, refusals, the session fallback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keyring
import keyring.errors
import pytest
import secretstorage.exceptions as ss
from keyring.backend import KeyringBackend

from mailgui.core.accounts import Account
from mailgui.core.credentials import (
    CredentialStore,
    KeyringStore,
    MemoryStore,
    SessionFallbackStore,
    check_backend,
    forget_account,
    imap_key,
    smtp_key,
    translate_error,
)
from mailgui.core.errors import (
    KeyringAccessDenied,
    KeyringError,
    KeyringLocked,
    KeyringUnavailable,
)

SECRET = "hunter2-s3cr3t"


class DictBackend(KeyringBackend):
    """A working in-process keyring backend (stands in for macOS / Windows ones)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.data:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.data[(service, username)]


class RaisingBackend(DictBackend):
    """Raises the given exception on every call, as a broken or locked keyring would."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


class PlaintextFileKeyring(DictBackend):
    pass


PlaintextFileKeyring.__module__ = "keyrings.alt.file"


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def test_keys_are_per_account_and_protocol() -> None:
    account = Account(name="Work", email="me@example.com", id="abc123")
    assert smtp_key(account) == "abc123:smtp"
    assert imap_key(account) == "abc123:imap"
    assert smtp_key("abc123") == "abc123:smtp"
    for store in (MemoryStore(), KeyringStore(), SessionFallbackStore(MemoryStore())):
        assert isinstance(store, CredentialStore)


def test_keyring_store_round_trip_and_missing_delete() -> None:
    backend = DictBackend()
    store = KeyringStore(backend=backend)
    store.set_password("a:smtp", SECRET)
    assert backend.data == {("mailgui", "a:smtp"): SECRET}
    assert store.get_password("a:smtp") == SECRET
    store.delete_password("a:smtp")
    assert store.get_password("a:smtp") is None
    store.delete_password("a:smtp")  # PasswordDeleteError for a missing item is not an error


def test_delete_error_while_password_still_there_is_reported() -> None:
    class StubbornBackend(DictBackend):
        def delete_password(self, service: str, username: str) -> None:
            raise keyring.errors.PasswordDeleteError("denied")

    backend = StubbornBackend()
    backend.data[("mailgui", "a:smtp")] = SECRET
    with pytest.raises(KeyringError) as info:
        KeyringStore(backend=backend).delete_password("a:smtp")
    assert SECRET not in str(info.value)


def test_forget_account_deletes_both_keys() -> None:
    store = MemoryStore()
    account = Account(name="W", email="w@example.com")
    store.set_password(smtp_key(account), "1")
    store.set_password(imap_key(account), "2")
    store.set_password("other:smtp", "3")
    forget_account(store, account)
    assert store.get_password(smtp_key(account)) is None
    assert store.get_password(imap_key(account)) is None
    assert store.get_password("other:smtp") == "3"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (keyring.errors.NoKeyringError("none"), KeyringUnavailable),
        (keyring.errors.InitError("no collection"), KeyringUnavailable),
        (keyring.errors.KeyringLocked("locked"), KeyringLocked),
        (ss.LockedException("Collection is locked!"), KeyringLocked),
        (ss.PromptDismissedException("Prompt dismissed."), KeyringAccessDenied),
        (ss.SecretServiceNotAvailableException("gone"), KeyringUnavailable),
        (keyring.errors.PasswordSetError("refused"), KeyringAccessDenied),
        (keyring.errors.KeyringError("odd"), KeyringError),
        (ss.ItemNotFoundException("odd"), KeyringError),
        (ConnectionResetError(104, "reset"), KeyringUnavailable),
    ],
)
def test_errors_map_to_typed_errors(error: Exception, expected: type[KeyringError]) -> None:
    store = KeyringStore(backend=RaisingBackend(error))
    with pytest.raises(expected) as info:
        store.set_password("acct:smtp", SECRET)
    assert type(info.value) is expected
    assert info.value.__cause__ is error
    assert SECRET not in str(info.value)
    assert "acct:smtp" in str(info.value)


def test_declined_keyring_creation_wrapped_by_keyring_is_access_denied() -> None:
    # keyring wraps secretstorage's PromptDismissedException from creating the default
    # collection in an InitError; that is a refusal, not a missing keyring.
    try:
        try:
            raise ss.PromptDismissedException("Prompt dismissed.")
        except ss.PromptDismissedException as dismissed:
            raise keyring.errors.InitError("Failed to create the collection") from dismissed
    except keyring.errors.InitError as wrapped:
        error = wrapped
    store = KeyringStore(backend=RaisingBackend(error))
    with pytest.raises(KeyringAccessDenied, match="prompt was dismissed") as info:
        store.get_password("acct:smtp")
    assert info.value.__cause__ is error


def test_dbus_error_names_map_to_typed_errors() -> None:
    class DBusErrorResponse(Exception):  # the shape of jeepney.wrappers.DBusErrorResponse
        def __init__(self, name: str) -> None:
            super().__init__(name)
            self.name = name

    locked = translate_error(DBusErrorResponse("org.freedesktop.Secret.Error.IsLocked"), "x", "k")
    denied = translate_error(DBusErrorResponse("org.freedesktop.DBus.Error.AccessDenied"), "x", "k")
    other = translate_error(DBusErrorResponse("org.example.Weird"), "x", "k")
    assert type(locked) is KeyringLocked
    assert type(denied) is KeyringAccessDenied
    assert type(other) is KeyringError


def test_programming_errors_are_not_disguised() -> None:
    store = KeyringStore(backend=RaisingBackend(TypeError("bug")))
    with pytest.raises(TypeError):
        store.get_password("k")


def test_plaintext_file_backend_is_refused_before_use() -> None:
    backend = PlaintextFileKeyring()
    store = KeyringStore(backend=backend)
    with pytest.raises(KeyringUnavailable, match="file"):
        store.set_password("a:smtp", SECRET)
    assert backend.data == {}  # nothing written anywhere
    with pytest.raises(KeyringUnavailable):
        store.get_password("a:smtp")


def test_globally_selected_plaintext_backend_is_refused(restore_keyring: None) -> None:
    keyring.set_keyring(PlaintextFileKeyring())
    with pytest.raises(KeyringUnavailable):
        KeyringStore().get_password("a:smtp")


def test_null_and_fail_backends_are_unavailable() -> None:
    from keyring.backends import fail, null

    for backend in (null.Keyring(), fail.Keyring()):
        with pytest.raises(KeyringUnavailable):
            check_backend(backend)
    check_backend(DictBackend())  # an ordinary backend passes


def test_chainer_with_plaintext_member_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends import chainer

    members: list[Any] = [DictBackend(), PlaintextFileKeyring()]
    monkeypatch.setattr(chainer.ChainerBackend, "backends", members)
    with pytest.raises(KeyringUnavailable):
        check_backend(chainer.ChainerBackend())
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [DictBackend()])
    check_backend(chainer.ChainerBackend())


def test_memory_store_is_session_only_and_repr_hides_passwords() -> None:
    store = MemoryStore()
    store.set_password("a", SECRET)
    assert store.get_password("a") == SECRET
    assert "a" in store
    assert SECRET not in repr(store)
    store.delete_password("a")
    store.delete_password("a")
    assert store.get_password("a") is None
    assert MemoryStore().get_password("a") is None  # nothing shared between instances


def test_session_fallback_is_explicit() -> None:
    primary = KeyringStore(backend=RaisingBackend(keyring.errors.KeyringLocked("locked")))
    store = SessionFallbackStore(primary)
    with pytest.raises(KeyringLocked):
        store.set_password("a:smtp", SECRET)
    # Nothing was kept silently.
    assert not store.is_session_only("a:smtp")
    assert store.memory.get_password("a:smtp") is None
    with pytest.raises(KeyringLocked):
        store.get_password("a:smtp")

    store.remember_for_session("a:smtp", SECRET)
    assert store.is_session_only("a:smtp")
    assert store.session_only_keys() == frozenset({"a:smtp"})
    assert store.get_password("a:smtp") == SECRET
    assert SECRET not in repr(store)


def test_session_fallback_prefers_the_keyring_once_it_works() -> None:
    backend = DictBackend()
    store = SessionFallbackStore(KeyringStore(backend=backend))
    store.remember_for_session("a:smtp", "typed-this-session")
    store.set_password("a:smtp", SECRET)  # the keyring works again
    assert not store.is_session_only("a:smtp")
    assert store.memory.get_password("a:smtp") is None
    assert backend.data[("mailgui", "a:smtp")] == SECRET
    assert store.get_password("a:smtp") == SECRET
    store.delete_password("a:smtp")
    assert backend.data == {}


def test_session_fallback_delete_reports_keyring_errors_for_keyring_keys() -> None:
    store = SessionFallbackStore(
        KeyringStore(backend=RaisingBackend(keyring.errors.NoKeyringError("none")))
    )
    with pytest.raises(KeyringUnavailable):
        store.delete_password("a:smtp")
