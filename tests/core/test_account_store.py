"""The accounts file: round trip, migration, corrupt files kept aside, no passwords inside."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from mailgui.core import account_store
from mailgui.core.account_store import (
    ACCOUNTS_FILE,
    MIGRATIONS,
    SCHEMA_VERSION,
    AccountStore,
    default_config_dir,
)
from mailgui.core.accounts import Account, Security, ServerSettings
from mailgui.core.credentials import MemoryStore, smtp_key
from mailgui.core.errors import ConfigCorrupt, ConfigTooNew, InputError

WORK = Account(
    name="Work",
    email="me@example.com",
    smtp=ServerSettings(host="smtp.example.com", port=465, security=Security.SSL, username="me"),
    imap=ServerSettings(host="imap.example.com", port=993, security=Security.SSL),
)
HOME = Account(name="Home", email="me@example.org")


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{ACCOUNTS_FILE}.corrupt-*"))


def test_default_config_dir_is_per_user_and_named_for_the_app() -> None:
    path = default_config_dir()
    assert path.name == "mailgui"
    assert path.is_absolute()


def test_missing_file_is_an_empty_list(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "cfg")
    assert store.path == tmp_path / "cfg" / ACCOUNTS_FILE
    assert store.load() == []


def test_round_trip_and_file_shape(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    store.save([WORK, HOME])
    assert store.load() == [WORK, HOME]
    data = json.loads(store.path.read_text(encoding="utf-8"))
    assert data["schema"] == SCHEMA_VERSION
    assert [a["id"] for a in data["accounts"]] == [WORK.id, HOME.id]
    if os.name == "posix":  # Windows has no such modes (its ACLs inherit from the folder)
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.tmp"))  # the atomic write left nothing behind


def test_no_password_ever_reaches_the_file(tmp_path: Path) -> None:
    secret = "Sup3r-Secret-Pa55"
    passwords = MemoryStore()
    passwords.set_password(smtp_key(WORK), secret)
    store = AccountStore(tmp_path)
    store.save([WORK, HOME])
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert files == [store.path]
    content = store.path.read_bytes()
    assert secret.encode() not in content

    def keys(node: object) -> list[str]:
        if isinstance(node, dict):
            return [*node, *(k for value in node.values() for k in keys(value))]
        if isinstance(node, list):
            return [k for value in node for k in keys(value)]
        return []

    names = keys(json.loads(content))
    assert "host" in names  # the scan does see the nested settings
    assert not [name for name in names if "pass" in name.lower() or "secret" in name.lower()]


def test_save_replaces_previous_content(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    store.save([WORK, HOME])
    store.save([HOME])
    assert store.load() == [HOME]


def test_find_by_id_name_and_email(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    store.save([WORK, HOME])
    assert store.find(WORK.id) == WORK
    assert store.find("work") == WORK
    assert store.find(" Home ") == HOME
    assert store.find("ME@EXAMPLE.ORG") == HOME
    assert store.find("nobody") is None


def test_find_ambiguous_name_asks_for_the_id(tmp_path: Path) -> None:
    twin = Account(name="Work", email="other@example.com")
    store = AccountStore(tmp_path)
    store.save([WORK, twin])
    with pytest.raises(InputError) as info:
        store.find("Work")
    assert info.value.field == "account"
    assert WORK.id in info.value.message
    assert twin.id in info.value.message
    assert store.find(twin.id) == twin


def test_migration_from_pre_release_list(tmp_path: Path) -> None:
    old = [
        {
            "name": "Old",
            "email": "old@example.com",
            "smtp_host": "mail.example.com",
            "smtp_port": 465,
            "smtp_security": "ssl",
            "smtp_username": "old",
        }
    ]
    store = AccountStore(tmp_path)
    store.path.write_text(json.dumps(old), encoding="utf-8")
    (account,) = store.load()
    assert account.name == "Old"
    assert account.smtp == ServerSettings(
        host="mail.example.com", port=465, security=Security.SSL, username="old"
    )
    # The upgraded file is written back (ids must stay stable: keyring keys depend on them),
    # and the original is kept beside it.
    data = json.loads(store.path.read_text(encoding="utf-8"))
    assert data["schema"] == SCHEMA_VERSION
    assert json.loads((tmp_path / f"{ACCOUNTS_FILE}.schema-0.bak").read_text()) == old
    assert store.load() == [account]


def test_migrated_ids_are_stable_even_when_write_back_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = [{"name": "Old", "email": "old@example.com"}]
    store = AccountStore(tmp_path)
    store.path.write_text(json.dumps(old), encoding="utf-8")

    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(13, "read-only")

    monkeypatch.setattr(account_store, "atomic_write_json", refuse)
    first = store.load()
    second = store.load()
    assert first == second
    assert json.loads(store.path.read_text(encoding="utf-8")) == old  # left untouched


def test_migration_table_steps_one_version_each() -> None:
    assert set(MIGRATIONS) == set(range(SCHEMA_VERSION))


@pytest.mark.parametrize(
    ("content", "reason_words"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
        (b'"just a string"', "list of accounts"),
        (b'{"accounts": []}', "format version"),
        (b'{"schema": 1, "accounts": {}}', '"accounts"'),
        (b'{"schema": 1, "accounts": [{"email": "x@example.com"}]}', "account 1 has no 'name'"),
        (b'{"schema": 1, "accounts": [{"name": "A", "smtp": {"port": "x"}}]}', "invalid setting"),
        (b'{"schema": 1, "accounts": [42]}', "account 1 is not"),
        (b"", "not valid JSON"),
    ],
)
def test_unreadable_file_is_moved_aside_and_reported(
    tmp_path: Path, content: bytes, reason_words: str
) -> None:
    store = AccountStore(tmp_path)
    store.path.write_bytes(content)
    with pytest.raises(ConfigCorrupt) as info:
        store.load()
    error = info.value
    assert reason_words in error.reason
    assert error.path == str(store.path)
    (backup,) = backups(tmp_path)
    assert error.backup == str(backup)
    assert backup.read_bytes() == content  # kept byte for byte, never deleted
    assert not store.path.exists()  # and never silently replaced by an empty list

    assert store.load() == []  # the next start begins empty...
    store.save([HOME])  # ...and a save writes a fresh file
    assert store.load() == [HOME]
    assert backup.read_bytes() == content


def test_two_corruptions_keep_two_backups(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    for content in (b"{1", b"{2"):
        store.path.write_bytes(content)
        with pytest.raises(ConfigCorrupt):
            store.load()
    assert sorted(p.read_bytes() for p in backups(tmp_path)) == [b"{1", b"{2"]


def test_a_folder_in_place_of_the_file_is_moved_aside(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    store.path.mkdir()
    with pytest.raises(ConfigCorrupt) as info:
        store.load()
    assert "folder" in info.value.reason
    assert Path(str(info.value.backup)).is_dir()


@pytest.mark.skipif(
    os.name != "posix", reason="chmod(0) does not make a file unreadable on Windows"
)
def test_permission_denied_is_reported_and_kept(as_ordinary_user: Path) -> None:
    tmp_path = as_ordinary_user
    store = AccountStore(tmp_path)
    store.save([WORK])
    store.path.chmod(0)
    with pytest.raises(ConfigCorrupt) as info:
        store.load()
    assert "permission denied" in info.value.reason
    assert len(backups(tmp_path)) == 1


def test_permission_denied_reason_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root ignores file modes, so inject the error the kernel gives an ordinary user.
    store = AccountStore(tmp_path)
    store.save([WORK])

    def denied() -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store, "_read_bytes", denied)
    with pytest.raises(ConfigCorrupt) as info:
        store.load()
    assert "permission denied" in info.value.reason
    (backup,) = backups(tmp_path)
    assert AccountStore(tmp_path).load() == []
    assert json.loads(backup.read_text())["accounts"]


def test_file_that_cannot_be_moved_aside_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AccountStore(tmp_path)
    store.path.write_bytes(b"{broken")

    def no_rename(*_: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(account_store.os, "rename", no_rename)
    with pytest.raises(ConfigCorrupt) as info:
        store.load()
    assert info.value.backup is None
    with pytest.raises(ConfigCorrupt, match="could not be moved aside"):
        store.save([HOME])
    assert store.path.read_bytes() == b"{broken"


def test_newer_schema_written_after_load_is_never_overwritten(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    store.save([WORK])
    newer = {"schema": SCHEMA_VERSION + 1, "accounts": [], "future": True}
    store.path.write_text(json.dumps(newer), encoding="utf-8")  # a newer mailgui saved meanwhile
    with pytest.raises(ConfigTooNew, match="newer version"):
        store.save([HOME])
    assert json.loads(store.path.read_text(encoding="utf-8")) == newer


def test_corrupt_file_found_at_save_time_is_kept_aside(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    store.path.write_bytes(b"{half-written by another tool")
    store.save([HOME])
    assert store.load() == [HOME]
    (backup,) = backups(tmp_path)
    assert backup.read_bytes() == b"{half-written by another tool"


def test_newer_schema_is_left_in_place_and_the_store_becomes_read_only(tmp_path: Path) -> None:
    # A newer mailgui wrote this; an older one running meanwhile must not cost it its accounts.
    store = AccountStore(tmp_path)
    newer = {"schema": SCHEMA_VERSION + 1, "accounts": [{"future": "shape"}], "extra": [1]}
    content = json.dumps(newer).encode("utf-8")
    store.path.write_bytes(content)

    with pytest.raises(ConfigTooNew) as info:
        store.load()
    error = info.value
    assert isinstance(error, ConfigCorrupt)  # existing handlers still catch it
    assert error.version == SCHEMA_VERSION + 1
    assert error.supported == SCHEMA_VERSION
    assert error.backup is None  # nothing was moved
    assert error.path == str(store.path)
    assert "newer version of mailgui" in error.reason
    assert backups(tmp_path) == []
    assert store.path.read_bytes() == content
    assert store.read_only is not None

    # The session goes on with no accounts, but a save must not replace the newer file...
    with pytest.raises(ConfigTooNew, match="newer version"):
        store.save([HOME])
    assert store.path.read_bytes() == content
    # ...not even after the newer file went away meanwhile: this session stays read-only.
    store.path.unlink()
    with pytest.raises(ConfigTooNew):
        store.save([HOME])
    assert not store.path.exists()

    # Loading again reports the same, and a fresh store (the next start) sees it just the same.
    store.path.write_bytes(content)
    with pytest.raises(ConfigTooNew):
        store.load()
    with pytest.raises(ConfigTooNew):
        AccountStore(tmp_path).load()
    assert store.path.read_bytes() == content
    assert backups(tmp_path) == []


def test_newer_schema_find_reports_too_new_and_moves_nothing(tmp_path: Path) -> None:
    store = AccountStore(tmp_path)
    store.path.write_text(json.dumps({"schema": SCHEMA_VERSION + 5, "accounts": []}), "utf-8")
    with pytest.raises(ConfigTooNew):
        store.find("Home")
    assert store.path.exists()
    assert backups(tmp_path) == []


def test_too_new_error_message_names_both_versions() -> None:
    error = ConfigTooNew("/cfg/accounts.json", 7, 1)
    assert str(error).startswith("cannot read /cfg/accounts.json: ")
    assert "format 7" in str(error)
    assert "up to format 1" in str(error)
    assert "kept as" not in str(error)
