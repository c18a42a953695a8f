"""Account list and editor: every field, port follows security, validation, keyring."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QListWidget, QPushButton

from mailgui.core.accounts import Security
from tests.ui.conftest import child, click, open_window

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]

SECRET = "correct-horse-battery-staple-42"


def fill_editor(qtbot: Any, window: Any, password: str = SECRET) -> None:
    click(qtbot, window, "addAccountButton")
    for name, text in (
        ("accountName", "Work"),
        ("accountEmail", "me@example.com"),
        ("smtpHost", "smtp.example.com"),
        ("smtpUsername", "me"),
        ("smtpPassword", password),
    ):
        edit = child(window, QLineEdit, name)
        edit.clear()
        qtbot.keyClicks(edit, text)


def test_empty_state_prompts_to_add_an_account(qtbot: Any, window: Any) -> None:
    assert window.compose_stack.currentWidget() is window.welcome
    assert child(window, QLabel, "accountListEmpty").isVisible()
    click(qtbot, window, "emptyAddAccountButton")
    assert window.tabs.currentWidget() is window.editor
    assert child(window, QLineEdit, "accountName").hasFocus()


def test_port_follows_security_unless_typed(qtbot: Any, window: Any) -> None:
    click(qtbot, window, "addAccountButton")
    security = child(window, QComboBox, "smtpSecurity")
    port = child(window, QLineEdit, "smtpPort")
    security.setCurrentIndex(security.findData(Security.SSL.value))
    assert port.text() == "465"
    security.setCurrentIndex(security.findData(Security.NONE.value))
    assert port.text() == "25"
    security.setCurrentIndex(security.findData(Security.STARTTLS.value))
    assert port.text() == "587"
    port.clear()
    qtbot.keyClicks(port, "2525")
    security.setCurrentIndex(security.findData(Security.SSL.value))
    assert port.text() == "2525"


def test_inline_validation_blocks_save(qtbot: Any, window: Any) -> None:
    fill_editor(qtbot, window)
    save = child(window, QPushButton, "saveAccountButton")
    assert save.isEnabled()
    email = child(window, QLineEdit, "accountEmail")
    email.clear()
    qtbot.keyClicks(email, "not-an-address")
    assert child(window, QLabel, "accountEmailError").isVisible()
    assert not save.isEnabled()
    assert "Fix 1 field" in child(window, QLabel, "accountEditorSummary").text()
    email.clear()
    qtbot.keyClicks(email, "me@example.com")
    port = child(window, QLineEdit, "smtpPort")
    port.clear()
    qtbot.keyClicks(port, "70000")
    assert "65535" in child(window, QLabel, "smtpPortError").text()
    assert not save.isEnabled()
    port.clear()
    qtbot.keyClicks(port, "587")
    child(window, QLineEdit, "smtpHost").clear()
    assert child(window, QLabel, "smtpHostError").isVisible()
    assert not save.isEnabled()


def test_insecure_auth_shows_a_warning(qtbot: Any, window: Any) -> None:
    fill_editor(qtbot, window)
    security = child(window, QComboBox, "smtpSecurity")
    security.setCurrentIndex(security.findData(Security.NONE.value))
    warning = child(window, QLabel, "insecureAuthWarning")
    assert not warning.isVisible()
    child(window, QCheckBox, "smtpAllowInsecureAuth").setChecked(True)
    assert warning.isVisible()
    assert "unencrypted" in warning.text()


def test_add_duplicate_remove(qtbot: Any, window: Any) -> None:
    fill_editor(qtbot, window)
    click(qtbot, window, "saveAccountButton")
    accounts_file = json.loads((window.config_dir / "accounts.json").read_text())
    assert [a["name"] for a in accounts_file["accounts"]] == ["Work"]
    assert accounts_file["accounts"][0]["smtp"]["username"] == "me"
    listing = child(window, QListWidget, "accountList")
    assert listing.count() == 1
    assert window.compose_stack.currentWidget() is window.compose

    click(qtbot, window, "duplicateAccountButton")
    assert listing.count() == 2
    assert "Work (copy)" in [a.name for a in window.accounts.accounts()]

    click(qtbot, window, "removeAccountButton")
    from PySide6.QtWidgets import QMessageBox

    box = window.findChild(QMessageBox, "confirmDialog")
    assert box is not None
    assert "Remove the account" in box.text()
    assert listing.count() == 2  # nothing happens before the user agrees
    qtbot.mouseClick(box.findChild(QPushButton, "confirmYesButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: listing.count() == 1)


def test_password_goes_to_the_keyring_only(
    qtbot: Any, config_dir: Path, secret_service: Any
) -> None:
    window = open_window(qtbot, config_dir)  # the real KeyringStore on the test Secret Service
    fill_editor(qtbot, window)
    click(qtbot, window, "saveAccountButton")
    account = window.accounts.saved_accounts()[0]
    from mailgui.core.credentials import KeyringStore, smtp_key

    # The write runs on the keyring thread, never in the window's.
    qtbot.waitUntil(lambda: not window.accounts.keyring.busy, timeout=10000)
    assert KeyringStore().get_password(smtp_key(account)) == SECRET
    window.shutdown()
    encoded = base64.b64encode(SECRET.encode())
    files = [p for p in config_dir.rglob("*") if p.is_file()]
    assert files, "the config folder should hold the account file at least"
    for path in files:
        data = path.read_bytes()
        assert SECRET.encode() not in data, path
        assert encoded not in data, path


def test_edit_account_focuses_the_named_field(qtbot: Any, window: Any) -> None:
    fill_editor(qtbot, window)
    click(qtbot, window, "saveAccountButton")
    account = window.accounts.saved_accounts()[0]
    window.tabs.setCurrentWidget(window.compose_stack)
    for field, name in (
        ("smtp.security", "smtpSecurity"),
        ("smtp.port", "smtpPort"),
        ("smtp.host", "smtpHost"),
        ("smtp.username", "smtpUsername"),
        ("email", "accountEmail"),
        ("smtp.password", "smtpPassword"),
    ):
        window.edit_account(account.id, field)
        assert window.tabs.currentWidget() is window.editor
        qtbot.waitUntil(lambda n=name: getattr(window.focusWidget(), "objectName", str)() == n)


def test_test_connection_opens_the_wizard_and_applies_its_result(qtbot: Any, window: Any) -> None:
    from PySide6.QtWidgets import QWizard

    fill_editor(qtbot, window)
    click(qtbot, window, "saveAccountButton")
    click(qtbot, window, "testConnectionButton")
    qtbot.waitUntil(lambda: window.findChild(QWizard, "connectionWizard") is not None)
    wizard = window.findChild(QWizard, "connectionWizard")
    assert wizard.isVisible()
    account = window.accounts.saved_accounts()[0]
    assert wizard.account.id == account.id
    pinned = account.replace(smtp=account.smtp.replace(port=2525))
    wizard.applyToAccount.emit(pinned, "")
    assert window.accounts.saved_accounts()[0].smtp.port == 2525
    assert child(window, QLineEdit, "smtpPort").text() == "2525"
    wizard.reject()


def test_without_the_wizard_test_connection_runs_a_check(
    qtbot: Any, window: Any, starttls_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.ui.conftest import add_account

    monkeypatch.setattr("mailgui.ui.account_controller._module_available", lambda _name: False)
    account = add_account(window, starttls_server)
    window.edit_account(account.id)
    click(qtbot, window, "testConnectionButton")

    def passed() -> bool:
        box = window.findChild(QMessageBox, "infoDialog")
        return box is not None and box.isVisible()

    qtbot.waitUntil(passed, timeout=10000)
    text = window.findChild(QMessageBox, "infoDialog").text()
    assert "auth" in text
    assert "ehlo" in text


def test_wrong_security_suggestion_is_filled_in(qtbot: Any, window: Any) -> None:
    fill_editor(qtbot, window)
    click(qtbot, window, "saveAccountButton")
    account = window.accounts.saved_accounts()[0]
    from mailgui.core.diagnosis import Action, Category, Diagnosis
    from mailgui.ui.send_controller import ActionContext

    diagnosis = Diagnosis(
        category=Category.TLS_MODE,
        title="t",
        explanation="e",
        fixes=("f",),
        actions=(Action.EDIT_ACCOUNT,),
        field="smtp.security",
        suggestion={"security": "ssl", "port": 465},
    )
    window.handle_action("edit-account", ActionContext(diagnosis, account))
    assert child(window, QComboBox, "smtpSecurity").currentData() == "ssl"
    assert child(window, QLineEdit, "smtpPort").text() == "465"
    assert window.accounts.saved_accounts()[0].smtp.port == 587  # not saved until Save
