"""Review fixes in the main window: keyboard shortcuts, the built-in Sandbox account's buttons,
and no attribute shadowing QObject.sender()."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QPushButton

from mailgui.core.credentials import MemoryStore
from mailgui.ui.send_controller import SendController
from tests.ui.conftest import add_account, child, open_window

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


def test_send_controller_does_not_shadow_qobject_sender(window: Any) -> None:
    assert isinstance(window.send_controller, SendController)
    assert callable(window.sender)  # QObject.sender(), as Qt means it


def test_shortcuts_exist_and_never_clash(qtbot: Any, window: Any) -> None:
    assert window.test_connection_action.shortcut().toString() == "Ctrl+T"
    assert window.add_account_action.shortcut().toString() == "Ctrl+Shift+A"
    assert window.view_sandbox_action.shortcut().toString() == "Ctrl+Shift+M"
    keys = [a.shortcut().toString() for a in window.findChildren(QAction) if a.shortcut()]
    keys += [b.shortcut().toString() for b in window.findChildren(QAbstractButton) if b.shortcut()]
    keys = [k for k in keys if k.startswith("Ctrl")]  # Alt+letter mnemonics are per widget
    assert len(keys) == len(set(keys)), keys

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(
        window,
        Qt.Key.Key_M,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.sandbox_view)
    qtbot.keyClick(
        window,
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.editor)


def test_sandbox_account_cannot_be_removed_or_duplicated(
    qtbot: Any, config_dir: Path, starttls_server: Any
) -> None:
    window = open_window(qtbot, config_dir, credentials=MemoryStore(), sandbox=True)
    qtbot.waitUntil(lambda: window.accounts.get("sandbox") is not None, timeout=10000)
    pane = window.account_pane
    remove = child(window, QPushButton, "removeAccountButton")
    duplicate = child(window, QPushButton, "duplicateAccountButton")
    pane.set_accounts(window.accounts.accounts(), "sandbox")
    assert pane.current_id() == "sandbox"
    assert not remove.isEnabled()
    assert not duplicate.isEnabled()
    assert "built in" in remove.toolTip()
    assert "built in" in duplicate.toolTip()

    account = add_account(window, starttls_server)
    pane.set_accounts(window.accounts.accounts(), account.id)
    assert remove.isEnabled()
    assert duplicate.isEnabled()
    assert "built in" not in remove.toolTip()
