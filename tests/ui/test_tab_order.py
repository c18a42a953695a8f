"""Keyboard reachability: Tab walks the compose pane and the account editor in reading order,
with no invisible stops in between."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from mailgui.core.accounts import Account, ServerSettings

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]

COMPOSE = [
    "composeFrom",
    "composeTo",
    "composeCc",
    "composeBcc",
    "composeSubject",
    "composeBody",
    "addAttachmentButton",
]
EDITOR = [
    "accountName",
    "accountEmail",
    "smtpHost",
    "smtpSecurity",
    "smtpPort",
    "smtpUsername",
    "smtpPassword",
    "smtpAuth",
    "smtpCaFile",
    "smtpCaFileButton",
    "smtpPinnedSha256",
    "smtpAllowInsecureAuth",
    "imapToggle",
    "imapHost",
    "imapSecurity",
    "imapPort",
    "imapUsername",
    "saveAccountButton",
    "testConnectionButton",
]


def tab_walk(qtbot: Any, start: QWidget, steps: int) -> list[str]:
    """Focus `start`, press Tab `steps` times; the objectName of each widget that had focus."""
    start.setFocus()
    qtbot.waitUntil(start.hasFocus)
    names = []
    for _ in range(steps):
        widget = QApplication.focusWidget()
        assert widget is not None
        names.append(widget.objectName())
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    return names


@pytest.fixture
def ready(window: Any) -> Any:
    account = Account("Alice", "alice@example.com", ServerSettings(host="smtp.example.com"))
    window.accounts.save(account)
    window.activateWindow()
    return window


def test_compose_tab_order(qtbot: Any, ready: Any, tmp_path: Path) -> None:
    window = ready
    window.tabs.setCurrentWidget(window.compose_stack)
    walked = tab_walk(qtbot, window.compose.from_combo, len(COMPOSE) + 1)
    assert walked == [*COMPOSE, "sendButton"]  # Tab leaves the body: it types no tab

    note = tmp_path / "note.txt"
    note.write_text("x")
    window.compose.attachments.add_paths([str(note)])
    walked = tab_walk(qtbot, window.compose.from_combo, len(COMPOSE) + 2)
    assert walked == [*COMPOSE, "attachmentList", "sendButton"]
    assert window.compose.body.toPlainText() == ""


def test_account_editor_tab_order(qtbot: Any, ready: Any) -> None:
    window = ready
    window.tabs.setCurrentWidget(window.editor)
    window.editor.set_imap_expanded(True)
    walked = tab_walk(qtbot, window.editor.name, len(EDITOR) + 1)
    assert walked[: len(EDITOR)] == EDITOR
    # After the last button the focus leaves the editor for the next real control.
    assert walked[-1], "an unnamed (invisible) stop after the editor's buttons"
