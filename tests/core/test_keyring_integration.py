"""KeyringStore against a real gnome-keyring on a private D-Bus bus (tests/keyring_service.py)."""

from __future__ import annotations

import os
import time

import keyring
import pytest
from keyring.backends import fail

from mailgui.core.accounts import Account
from mailgui.core.credentials import (
    KeyringStore,
    MemoryStore,
    SessionFallbackStore,
    smtp_key,
)
from mailgui.core.errors import (
    KeyringAccessDenied,
    KeyringError,
    KeyringLocked,
    KeyringUnavailable,
)
from tests.keyring_service import (
    PROMPTER_NAMES,
    RefusingPrompter,
    SecretService,
    require_tools,
)

PASSWORD = "pä$$ wörd-🙂-1"


@pytest.mark.keyring
@pytest.mark.timeout(30)
def test_set_get_delete_through_real_secret_service(secret_service: SecretService) -> None:
    account = Account(name="Work", email="me@example.com")
    key = smtp_key(account)
    store = KeyringStore()
    assert store.get_password(key) is None

    store.set_password(key, PASSWORD)
    assert store.get_password(key) == PASSWORD
    # It really is in gnome-keyring, under service "mailgui" with the key as the user name.
    items = secret_service.items({"service": "mailgui", "username": key})
    assert [secret for _, _, secret in items] == [PASSWORD.encode()]

    store.set_password(key, "second")  # replaces, never duplicates
    assert store.get_password(key) == "second"
    assert len(secret_service.items({"service": "mailgui", "username": key})) == 1

    store.delete_password(key)
    assert store.get_password(key) is None
    assert secret_service.items({"service": "mailgui", "username": key}) == []
    store.delete_password(key)  # deleting what is not there is fine


@pytest.mark.keyring
@pytest.mark.timeout(30)
def test_services_do_not_see_each_other(secret_service: SecretService) -> None:
    KeyringStore(service="mailgui-test-a").set_password("k", "a")
    assert KeyringStore(service="mailgui-test-b").get_password("k") is None
    assert KeyringStore(service="mailgui-test-a").get_password("k") == "a"
    KeyringStore(service="mailgui-test-a").delete_password("k")


@pytest.mark.keyring
@pytest.mark.timeout(30)
def test_locked_keyring_raises_keyring_locked_fast(locked_keyring: SecretService) -> None:
    store = KeyringStore()
    started = time.monotonic()
    with pytest.raises(KeyringLocked) as read:
        store.get_password("acct:smtp")
    with pytest.raises(KeyringLocked) as write:
        store.set_password("acct:smtp", PASSWORD)
    # No prompter is reachable on the private bus: the unlock prompt is dismissed at once.
    assert time.monotonic() - started < 5
    for error in (read.value, write.value):
        assert PASSWORD not in str(error)
        assert PASSWORD not in repr(error)
        assert "acct:smtp" in str(error)
    assert locked_keyring.is_locked()


@pytest.mark.keyring
@pytest.mark.timeout(30)
def test_session_fallback_after_locked_keyring(locked_keyring: SecretService) -> None:
    store = SessionFallbackStore(KeyringStore())
    with pytest.raises(KeyringLocked):
        store.set_password("acct:smtp", PASSWORD)
    # The caller asked the user, who chose "this session only".
    store.remember_for_session("acct:smtp", PASSWORD)
    assert store.is_session_only("acct:smtp")
    assert store.get_password("acct:smtp") == PASSWORD

    locked_keyring.unlock()
    store.set_password("acct:smtp", "kept")  # now it reaches the keyring
    assert not store.is_session_only("acct:smtp")
    assert KeyringStore().get_password("acct:smtp") == "kept"
    store.delete_password("acct:smtp")
    locked_keyring.lock()  # the fixture unlocks again at teardown


@pytest.mark.keyring
@pytest.mark.timeout(30)
def test_unlock_restores_access(locked_keyring: SecretService) -> None:
    locked_keyring.unlock()
    assert not locked_keyring.is_locked()
    store = KeyringStore()
    store.set_password("acct:imap", PASSWORD)
    assert store.get_password("acct:imap") == PASSWORD
    store.delete_password("acct:imap")


def _default_alias(service: SecretService) -> str:
    from secretstorage.defines import SS_PATH
    from secretstorage.util import DBusAddressWrapper

    with service.connection() as conn:
        wrapper = DBusAddressWrapper(SS_PATH, "org.freedesktop.Secret.Service", conn)
        (path,) = wrapper.call("ReadAlias", "s", "default")
        return str(path)


def _collections(service: SecretService) -> list[str]:
    import secretstorage

    with service.connection() as conn:
        return sorted(c.collection_path for c in secretstorage.get_all_collections(conn))


@pytest.mark.keyring
@pytest.mark.timeout(30)
def test_declining_to_create_a_keyring_is_access_denied(
    new_secret_service: SecretService,
) -> None:
    # A new system: no keyring yet. gnome-keyring asks the user for the new keyring's password;
    # the user clicks Cancel. That is a refusal, and mailgui must say so (not "no keyring").
    assert _default_alias(new_secret_service) == "/"
    store = KeyringStore()
    started = time.monotonic()
    with RefusingPrompter(new_secret_service.address) as prompter:
        with pytest.raises(KeyringAccessDenied) as write:
            store.set_password("acct:smtp", PASSWORD)
        with pytest.raises(KeyringAccessDenied) as read:
            store.get_password("acct:smtp")
    assert time.monotonic() - started < 5
    # gnome-keyring really asked, once per attempt, for a new keyring's password.
    assert [p.kind for p in prompter.prompts] == ["password", "password"]
    assert all(p.properties.get("password-new") is True for p in prompter.prompts)
    for error in (write.value, read.value):
        assert "acct:smtp" in str(error)
        assert "dismissed" in str(error)
        assert PASSWORD not in str(error)
        assert PASSWORD not in repr(error)
    assert _default_alias(new_secret_service) == "/"  # nothing was created
    assert _collections(new_secret_service) == ["/org/freedesktop/secrets/collection/session"]

    # With no prompter at all, gnome-keyring dismisses the prompt itself: the same refusal.
    with pytest.raises(KeyringAccessDenied):
        store.set_password("acct:smtp", PASSWORD)


@pytest.mark.keyring
@pytest.mark.timeout(30)
def test_refused_unlock_prompt_leaves_the_keyring_locked(
    locked_keyring: SecretService, refusing_prompter: RefusingPrompter
) -> None:
    store = KeyringStore()
    started = time.monotonic()
    with pytest.raises(KeyringLocked) as info:
        store.get_password("acct:smtp")
    assert time.monotonic() - started < 5
    # The user was asked for the keyring's existing password and said no.
    assert [p.kind for p in refusing_prompter.prompts] == ["password"]
    assert not refusing_prompter.prompts[0].properties.get("password-new")
    assert PASSWORD not in str(info.value)
    assert locked_keyring.is_locked()


@pytest.mark.keyring
@pytest.mark.timeout(30)
def test_no_real_prompter_can_appear_on_the_private_bus(secret_service: SecretService) -> None:
    # gcr-prompter would open a window (under Xvfb) and wait for a click that never comes.
    from jeepney.bus_messages import message_bus

    with secret_service.connection() as conn:
        (activatable,) = conn.send_and_get_reply(message_bus.ListActivatableNames()).body
        assert not set(PROMPTER_NAMES) & set(activatable)
        for name in PROMPTER_NAMES:
            assert conn.send_and_get_reply(message_bus.NameHasOwner(name)).body == (False,)
    for variable in ("DISPLAY", "WAYLAND_DISPLAY", "GNOME_KEYRING_TEST_PROMPTER"):
        assert variable not in secret_service.env


def test_fail_backend_is_keyring_unavailable() -> None:
    # tests/conftest.py makes the fail backend the default: no keyring at all.
    store = KeyringStore(backend=fail.Keyring())
    for call in (
        lambda: store.get_password("acct:smtp"),
        lambda: store.set_password("acct:smtp", PASSWORD),
        lambda: store.delete_password("acct:smtp"),
    ):
        with pytest.raises(KeyringUnavailable) as info:
            call()
        assert PASSWORD not in str(info.value)


def test_default_backend_in_tests_is_not_a_real_keyring() -> None:
    assert os.environ["PYTHON_KEYRING_BACKEND"] == "keyring.backends.fail.Keyring"
    with pytest.raises(KeyringUnavailable):
        KeyringStore().get_password("anything")


def test_session_fallback_without_any_keyring() -> None:
    store = SessionFallbackStore(KeyringStore(backend=fail.Keyring()), MemoryStore())
    with pytest.raises(KeyringError):
        store.get_password("acct:smtp")
    store.remember_for_session("acct:smtp", PASSWORD)
    assert store.get_password("acct:smtp") == PASSWORD
    store.delete_password("acct:smtp")  # keyring failure on delete is tolerated here
    assert not store.is_session_only("acct:smtp")
    with pytest.raises(KeyringError):
        store.get_password("acct:smtp")


def test_selected_backend_is_restored_after_keyring_tests() -> None:
    assert not type(keyring.get_keyring()).__module__.endswith("SecretService")


def test_missing_tools_skip_locally_and_fail_in_ci() -> None:
    def nothing(_: str) -> None:
        return None

    with pytest.raises(pytest.skip.Exception, match="gnome-keyring-daemon"):
        require_tools(which=nothing, env={})
    with pytest.raises(pytest.fail.Exception, match="CI must run"):
        require_tools(which=nothing, env={"CI": "true"})
    require_tools(which=lambda tool: f"/bin/{tool}", env={"CI": "true"})  # all present
