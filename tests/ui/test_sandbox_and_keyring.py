"""The built-in sandbox in the window, and the keyring-locked path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QListWidget

from mailgui.core.sandbox_failures import SandboxFailure
from tests.smtp_servers import PASSWORD, SmtpServer
from tests.ui.conftest import child, click, error_dialog, open_window, type_message

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


@pytest.fixture
def sandbox_window(qtbot: Any, config_dir: Path) -> Any:
    from mailgui.core.credentials import MemoryStore

    window = open_window(qtbot, config_dir, credentials=MemoryStore(), sandbox=True)
    qtbot.waitUntil(lambda: window.accounts.get("sandbox") is not None, timeout=10000)
    return window


def test_sandbox_receives_and_shows_messages(qtbot: Any, sandbox_window: Any) -> None:
    window = sandbox_window
    assert window.compose.account_id() == "sandbox"
    accounts_file = window.config_dir / "accounts.json"
    assert not accounts_file.exists() or "sandbox" not in accounts_file.read_text()
    type_message(
        qtbot,
        window,
        composeTo="friend@example.com",
        composeSubject="Hi sandbox",
        composeBody="first message",
    )
    click(qtbot, window, "sendButton")
    messages = child(window, QListWidget, "sandboxMessages")
    qtbot.waitUntil(lambda: messages.count() == 1, timeout=10000)
    assert "Hi sandbox" in messages.item(0).text()
    assert "first message" in window.sandbox_view.preview.toPlainText()
    window.shutdown()
    assert not window.sandbox_host.running


def test_simulated_failure_shows_its_dialog_once(qtbot: Any, sandbox_window: Any) -> None:
    window = sandbox_window
    window.simulate_menu.chosen.emit(SandboxFailure.WRONG_PASSWORD)
    assert window.sandbox_host.sandbox.pending_failure is SandboxFailure.WRONG_PASSWORD
    type_message(qtbot, window, composeTo="friend@example.com", composeSubject="Will fail")
    click(qtbot, window, "sendButton")
    dialog = error_dialog(qtbot, window)
    assert dialog.diagnosis.category == "auth"
    assert dialog.diagnosis.fixes
    dialog.close()
    qtbot.waitUntil(lambda: not window.send_controller.busy)
    # Used once: retrying from the Outbox now goes through.
    click(qtbot, window, "outboxRetryButton")
    messages = child(window, QListWidget, "sandboxMessages")
    qtbot.waitUntil(lambda: messages.count() == 1, timeout=10000)
    qtbot.waitUntil(lambda: window.outbox_view.tree.topLevelItemCount() == 0)


def test_locked_keyring_asks_for_a_session_password(
    qtbot: Any, config_dir: Path, locked_keyring: Any, starttls_server: SmtpServer
) -> None:
    from mailgui.core.accounts import Account
    from mailgui.ui.dialogs import PasswordDialog

    window = open_window(qtbot, config_dir)  # the real KeyringStore, on a locked keyring
    account = Account(name="Alice", email="alice@example.com", smtp=starttls_server.settings())
    window.accounts.save(account)
    window.compose.set_accounts(window.accounts.accounts(), account.id)
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject="Locked")
    click(qtbot, window, "sendButton")

    explained = error_dialog(qtbot, window)
    assert explained.diagnosis.category == "keyring"
    prompt = window.findChild(PasswordDialog)
    assert prompt is not None
    assert prompt.isVisible()
    assert not prompt.remember.isEnabled()  # no keyring: this session only
    prompt.field.setText(PASSWORD)
    prompt.accept()
    qtbot.waitUntil(lambda: len(starttls_server.received) == 1, timeout=10000)
    qtbot.waitUntil(lambda: not window.send_controller.busy)

    # Explained once: the next send neither explains again nor asks again.
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject="Again")
    click(qtbot, window, "sendButton")
    qtbot.waitUntil(lambda: len(starttls_server.received) == 2, timeout=10000)
    keyring_dialogs = [
        d for d in window.findChildren(type(explained)) if d.diagnosis.category == "keyring"
    ]
    assert len(keyring_dialogs) == 1
    assert len(window.findChildren(PasswordDialog)) == 1
    for path in config_dir.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
