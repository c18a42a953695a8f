"""The built-in Sandbox's account is fixed: a simulated sign-in failure never asks for a password
that cannot work (nor keeps one typed anyway), and "Edit account" / "Apply to account" say why
nothing can change instead of opening a greyed-out editor or doing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QListWidget, QMessageBox

from mailgui.core.sandbox import Sandbox
from mailgui.core.sandbox_failures import SandboxFailure
from tests.ui.conftest import child, click, error_dialog, open_window, type_message

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


@pytest.fixture
def sandbox_window(qtbot: Any, config_dir: Path) -> Any:
    from mailgui.core.credentials import MemoryStore

    window = open_window(qtbot, config_dir, credentials=MemoryStore(), sandbox=True)
    qtbot.waitUntil(lambda: window.accounts.get("sandbox") is not None, timeout=10000)
    return window


def fail_once(qtbot: Any, window: Any, subject: str) -> Any:
    """Simulate a wrong password, send, and return the error dialog."""
    window.simulate_menu.chosen.emit(SandboxFailure.WRONG_PASSWORD)
    type_message(qtbot, window, composeTo="friend@example.com", composeSubject=subject)
    click(qtbot, window, "sendButton")
    dialog = error_dialog(qtbot, window)
    assert dialog.diagnosis.category == "auth"
    qtbot.waitUntil(lambda: not window.send_controller.busy)
    return dialog


def visible_info(window: Any) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox, "infoDialog") if b.isVisible()]


def test_simulated_wrong_password_offers_retry_not_a_password_prompt(
    qtbot: Any, sandbox_window: Any
) -> None:
    from mailgui.ui.dialogs import PasswordDialog

    window = sandbox_window
    dialog = fail_once(qtbot, window, "First")
    assert dialog.action_button("enter-password") is None
    assert dialog.action_button("retry") is not None
    click(qtbot, dialog, "errorActionRetry")
    messages = child(window, QListWidget, "sandboxMessages")
    qtbot.waitUntil(lambda: messages.count() == 1, timeout=10000)
    qtbot.waitUntil(lambda: not window.send_controller.busy)

    # An older dialog (or any caller) asking to enter the password just resends as is.
    dialog = fail_once(qtbot, window, "Second")
    dialog.actionRequested.emit("enter-password")
    qtbot.waitUntil(lambda: messages.count() == 2, timeout=10000)
    assert not [d for d in window.findChildren(PasswordDialog) if d.isVisible()]
    sandbox = window.accounts.get("sandbox")
    assert window.accounts.known_password(sandbox) == Sandbox.PASSWORD


def test_a_password_typed_for_the_sandbox_never_replaces_its_own(
    qtbot: Any, sandbox_window: Any
) -> None:
    window = sandbox_window
    sandbox = window.accounts.get("sandbox")
    prompt = window.accounts.ask_password(sandbox, "The server did not accept the password.")
    prompt.passwordEntered.emit("a-guess", True)  # what typing and OK in the prompt emits
    assert window.accounts.known_password(sandbox) == Sandbox.PASSWORD
    qtbot.waitUntil(lambda: not window.accounts.keyring.busy)
    type_message(qtbot, window, composeTo="friend@example.com", composeSubject="Still works")
    click(qtbot, window, "sendButton")
    messages = child(window, QListWidget, "sandboxMessages")
    qtbot.waitUntil(lambda: messages.count() == 1, timeout=10000)


def test_edit_account_for_the_sandbox_explains_instead(qtbot: Any, sandbox_window: Any) -> None:
    window = sandbox_window
    dialog = fail_once(qtbot, window, "Edit")
    compose_tab = window.tabs.currentWidget()
    dialog.actionRequested.emit("edit-account")
    qtbot.waitUntil(lambda: bool(visible_info(window)))
    assert "Simulate failure" in visible_info(window)[-1].text()
    assert "Simulate failure" in window.statusBar().currentMessage()
    assert window.tabs.currentWidget() is compose_tab  # no greyed-out editor


def test_applying_wizard_results_to_the_sandbox_says_why_not(
    qtbot: Any, sandbox_window: Any
) -> None:
    from mailgui.ui.wizard import ConnectionWizard

    window = sandbox_window
    sandbox = window.accounts.get("sandbox")
    window.test_connection(sandbox)
    qtbot.waitUntil(lambda: window.account_ctl.last_wizard is not None)
    wizard: ConnectionWizard = window.account_ctl.last_wizard
    changed = sandbox.replace(smtp=sandbox.smtp.replace(port=2525))
    wizard.applyToAccount.emit(changed, "")
    boxes = [b for b in wizard.findChildren(QMessageBox, "infoDialog") if b.isVisible()]
    assert boxes
    assert "fixed" in boxes[-1].text()
    assert "fixed" in window.statusBar().currentMessage()
    assert window.accounts.get("sandbox").smtp.port == sandbox.smtp.port
    wizard.reject()


def test_editing_the_sandbox_from_the_list_focuses_what_still_works(
    qtbot: Any, sandbox_window: Any
) -> None:
    window = sandbox_window
    window.edit_account("sandbox")
    assert window.tabs.currentWidget() is window.editor
    qtbot.waitUntil(lambda: window.focusWidget() is window.editor.test_button)
