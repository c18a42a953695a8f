"""The window as a whole: automation names, menus, settings, attachments, drag and drop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel, QMenu, QWidget

from mailgui.core.credentials import MemoryStore
from tests.ui.conftest import open_window

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]

AUTOMATION_NAMES = [
    "accountList",
    "addAccountButton",
    "accountName",
    "accountEmail",
    "smtpHost",
    "smtpPort",
    "smtpSecurity",
    "smtpUsername",
    "smtpPassword",
    "saveAccountButton",
    "testConnectionButton",
    "composeFrom",
    "composeTo",
    "composeCc",
    "composeBcc",
    "composeSubject",
    "composeBody",
    "attachmentList",
    "sendButton",
    "sendProgress",
    "cancelSendButton",
]


def test_automation_contract(window: Any) -> None:
    assert window.objectName() == "mainWindow"
    for name in AUTOMATION_NAMES:
        widget = window.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName(), f"{name} has no accessible name"
        assert widget.toolTip(), f"{name} has no tooltip"


def test_every_focusable_control_has_an_accessible_name(window: Any) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit

    kinds = (QAbstractButton, QLineEdit, QComboBox, QPlainTextEdit)
    for widget in window.findChildren(QWidget):
        if isinstance(widget, kinds) and widget.focusPolicy() != Qt.FocusPolicy.NoFocus:
            named = widget.accessibleName() or (
                isinstance(widget, QAbstractButton) and widget.text()
            )
            # Line edits inside spin boxes / combo boxes belong to a named parent.
            parent_named = widget.parent() is not None and widget.parent().accessibleName()
            assert named or parent_named, widget.objectName() or repr(widget)


def test_menus_and_shortcuts(window: Any) -> None:
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["File", "Edit", "Accounts", "Sandbox", "Help"]
    shortcuts = {
        a.text().replace("&", ""): a.shortcut().toString()
        for menu in menus.values()
        for a in menu.actions()
    }
    assert shortcuts["New message"] == "Ctrl+N"
    assert shortcuts["Send"] == "Ctrl+Return"
    assert shortcuts["Quit"] == "Ctrl+Q"
    assert shortcuts["Preferences…"] == "Ctrl+,"
    assert "Test connection…" in shortcuts
    assert "Add account…" in shortcuts
    simulate = window.findChild(QMenu, "simulateFailureMenu")
    from mailgui.core.sandbox_failures import SandboxFailure

    labels = [a.text() for a in simulate.actions() if not a.isSeparator()]
    assert labels[1:] == [f.label for f in SandboxFailure]


def test_geometry_and_last_account_are_remembered(qtbot: Any, config_dir: Path) -> None:
    from mailgui.core.accounts import Account, ServerSettings

    first = open_window(qtbot, config_dir, credentials=MemoryStore())
    for name in ("One", "Two"):
        first.accounts.save(
            Account(
                name=name,
                email=f"{name.lower()}@example.com",
                smtp=ServerSettings(host="smtp.example.com"),
            )
        )
    first.compose.from_combo.setCurrentIndex(1)
    first.resize(760, 500)
    size = first.size()
    first.close()
    assert "geometry" in (config_dir / "mailgui.ini").read_text()

    second = open_window(qtbot, config_dir, credentials=MemoryStore())
    assert second.size() == size
    assert second.compose.from_combo.currentText().startswith("Two")


def test_preferences_are_kept_apart_and_applied(qtbot: Any, window: Any) -> None:
    window.show_preferences()
    from mailgui.ui.preferences import PreferencesDialog

    dialog = window.findChild(PreferencesDialog)
    dialog.timeout.setValue(42)
    dialog.accept()
    assert window.prefs.send_timeout == 42
    text = (window.config_dir / "mailgui.ini").read_text()
    assert "send_timeout=42" in text
    assert "[preferences]" in text


def test_drop_files_onto_the_compose_pane(qtbot: Any, window: Any, tmp_path: Path) -> None:
    from mailgui.core.accounts import Account, ServerSettings

    window.accounts.save(
        Account(name="A", email="a@example.com", smtp=ServerSettings(host="smtp.example.com"))
    )
    files = []
    for name, size in (("a.pdf", 1536), ("b.png", 3 * 1024 * 1024)):
        path = tmp_path / name
        path.write_bytes(b"0" * size)
        files.append(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in files])
    # Qt delivers a drop only inside a real drag session, so the handlers get the events here.
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.compose.dragEnterEvent(event)
    assert event.isAccepted()
    window.compose.dropEvent(event)
    assert window.compose.body.canInsertFromMimeData(mime)
    window.compose.body.insertFromMimeData(mime)  # dropped on the body: same files, no text
    items = [
        window.compose.attachments.list.item(i).text()
        for i in range(window.compose.attachments.list.count())
    ]
    assert items == ["a.pdf  (1.5 KB)", "b.png  (3.0 MB)"]
    assert window.compose.body.toPlainText() == ""  # not pasted as text

    summary = window.findChild(QLabel, "attachmentSummary")
    assert "2 files" in summary.text()
    window.compose.attachments.set_size_limit(2 * 1024 * 1024)
    assert window.compose.attachments.over_limit
    assert "refuse" in summary.text()
    window.compose.attachments.list.setCurrentRow(1)
    window.compose.attachments.remove_selected()
    assert not window.compose.attachments.over_limit


def test_size_limit_learned_from_a_send(qtbot: Any, window: Any, smtp_server_factory: Any) -> None:
    from tests.ui.conftest import add_account, click, type_message

    server = smtp_server_factory("starttls", size_limit=1024 * 1024)
    account = add_account(window, server)
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject="x")
    click(qtbot, window, "sendButton")
    qtbot.waitUntil(
        lambda: window.send_controller.size_limits.get(account.id) == 1024 * 1024, timeout=10000
    )
    assert window.compose.attachments._limit == 1024 * 1024
