"""Helpers for the window tests: a MainWindow on a temporary config folder, an account for a real
loopback SMTP server, and typing into the compose pane the way a user would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QPushButton, QWidget

from mailgui.core.accounts import Account
from mailgui.core.credentials import MemoryStore
from mailgui.ui.main_window import MainWindow
from tests.smtp_servers import PASSWORD, SmtpServer

SENDER = "alice@example.com"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    return path


def open_window(qtbot: Any, config_dir: Path, **options: Any) -> MainWindow:
    window = MainWindow(config_dir=config_dir, **options)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    window.show()
    qtbot.waitUntil(lambda: window.ready, timeout=5000)
    return window


@pytest.fixture
def window(qtbot: Any, config_dir: Path) -> Iterator[MainWindow]:
    # MemoryStore is the core's own session store: most tests are not about the keyring.
    return open_window(qtbot, config_dir, credentials=MemoryStore())


def add_account(window: MainWindow, server: SmtpServer, **smtp: Any) -> Account:
    # The SMTP login stays USER; the address is an example.com one because address validation
    # (rightly) refuses the special-use .test domain for real mail.
    account = Account(name="Alice", email=SENDER, smtp=server.settings(**smtp))
    window.accounts.save(account, PASSWORD)
    window.compose.set_accounts(window.accounts.accounts(), account.id)
    return account


def child(window: QWidget, kind: type, name: str) -> Any:
    widget = window.findChild(kind, name)
    assert widget is not None, f"no {kind.__name__} named {name}"
    return widget


def type_message(qtbot: Any, window: MainWindow, **fields: str) -> None:
    """Type into the compose fields (composeTo=..., composeSubject=..., composeBody=...)."""
    for name, text in fields.items():
        kind = QPlainTextEdit if name == "composeBody" else QLineEdit
        widget = child(window, kind, name)
        widget.setFocus()
        for number, line in enumerate(text.split("\n")):
            if number:  # QTest types ASCII only: a line break is the Return key
                qtbot.keyClick(widget, Qt.Key.Key_Return)
            qtbot.keyClicks(widget, line)


def click(qtbot: Any, window: QWidget, name: str) -> None:
    button = child(window, QPushButton, name)
    assert button.isEnabled(), f"{name} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def error_dialog(qtbot: Any, window: QWidget) -> Any:
    """The error dialog the window opened (waits for it)."""
    from mailgui.ui.error_dialog import ErrorDialog

    found: list[Any] = []

    def opened() -> bool:
        found[:] = [d for d in window.findChildren(ErrorDialog) if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(opened, timeout=10000)
    return found[-1]
