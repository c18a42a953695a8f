"""Accounts saved by a newer mailgui are shown as such and never overwritten by this one."""

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mailgui.core.accounts import Account, ServerSettings
from mailgui.ui import MainWindow, dialogs

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


def test_a_newer_accounts_file_is_explained_and_left_alone(
    tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dialogs, "HEADLESS", True)
    monkeypatch.setattr(dialogs, "recorded", [])
    newer = {"schema": 99, "accounts": [{"name": "From the future", "email": "a@example.com"}]}
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(newer), encoding="utf-8")
    window = MainWindow(config_dir=tmp_path)
    qtbot.addWidget(window)

    def error_titles() -> list[str]:
        return [r.text for r in dialogs.recorded if r.kind == "error"]

    qtbot.waitUntil(lambda: any("newer mailgui" in t for t in error_titles()), timeout=5000)

    before = path.read_bytes()
    account = Account(name="New", email="new@example.com", smtp=ServerSettings(host="smtp.x.org"))
    window.accounts.save(account)
    assert path.read_bytes() == before  # not overwritten
    assert window.accounts.saved_accounts() == []  # and not pretended to be saved
    assert sum("newer mailgui" in t for t in error_titles()) == 2  # at start, and on save
    assert not list(tmp_path.glob("accounts.json.corrupt-*"))


def test_an_account_that_cannot_be_written_is_not_reported_as_saved(
    as_ordinary_user: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dialogs, "HEADLESS", True)
    monkeypatch.setattr(dialogs, "recorded", [])
    config = as_ordinary_user / "config"
    config.mkdir()
    window = MainWindow(config_dir=config)
    qtbot.addWidget(window)
    config.chmod(0o500)  # a real PermissionError when the accounts file is written
    try:
        account = Account(name="New", email="new@example.com", smtp=ServerSettings(host="x.org"))
        window.account_ctl.save_account(account, "")
    finally:
        config.chmod(0o700)
    assert window.accounts.saved_accounts() == []
    assert "not saved" in window.statusBar().currentMessage()
    errors = [r.text for r in dialogs.recorded if r.kind == "error"]
    assert errors == ["Your accounts could not be saved"]


def test_a_wizard_result_that_cannot_be_written_is_not_reported_as_saved(
    as_ordinary_user: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dialogs, "HEADLESS", True)
    monkeypatch.setattr(dialogs, "recorded", [])
    config = as_ordinary_user / "config"
    config.mkdir()
    window = MainWindow(config_dir=config)
    qtbot.addWidget(window)
    account = Account(name="A", email="a@example.com", smtp=ServerSettings(host="x.org"))
    assert window.accounts.save(account)
    config.chmod(0o500)
    try:
        # Same settings, a corrected password: the write fails, so nothing may claim success.
        window.account_ctl.apply_wizard(account, "corrected-password")
        assert not window.accounts.remove(account.id)
    finally:
        config.chmod(0o700)
    assert "saved" not in window.statusBar().currentMessage().replace("not saved", "")
    assert window.accounts.known_password(account) is None
    assert [a.id for a in window.accounts.saved_accounts()] == [account.id]
