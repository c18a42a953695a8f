"""The dialog factory's other dialogs: password prompt, confirm, info, about, headless mode."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QMessageBox

import mailgui
from mailgui.ui import dialogs

pytestmark = [
    pytest.mark.gui,
    # Qt's offscreen platform says this for every top-level window it shows; it is not ours.
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

REASON = "The server refused the saved password."


@pytest.fixture(autouse=True)
def real_dialogs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(dialogs, "HEADLESS", False)
    yield
    for widget in list(dialogs._alive):
        widget.close()


def open_password(qtbot, **kwargs: object) -> dialogs.PasswordDialog:
    dialog = dialogs.ask_password(None, "Sandbox", REASON, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)
    return dialog


def test_password_dialog_emits_password_and_remember(qtbot) -> None:
    dialog = open_password(qtbot)
    field = dialog.findChild(QLineEdit, "passwordField")
    remember = dialog.findChild(QCheckBox, "rememberPassword")
    assert field is not None
    assert remember is not None
    assert field.echoMode() == QLineEdit.EchoMode.Password
    assert remember.isEnabled()
    assert remember.isChecked()
    assert dialog.findChild(QLabel, "keyringNote") is None
    assert REASON in dialog.reason_label.text()
    assert not dialog.ok_button.isEnabled()  # nothing typed yet
    qtbot.keyClicks(field, "s3cret pass")
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(dialog.passwordEntered, timeout=1000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["s3cret pass", True]
    assert field.text() == ""  # not kept around after handing it over
    assert not dialog.isVisible()


def test_password_dialog_can_skip_the_keyring(qtbot) -> None:
    dialog = open_password(qtbot)
    dialog.remember.setChecked(False)
    qtbot.keyClicks(dialog.field, "pw")
    with qtbot.waitSignal(dialog.passwordEntered, timeout=1000) as blocker:
        qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    assert blocker.args == ["pw", False]


def test_password_dialog_without_keyring(qtbot) -> None:
    dialog = open_password(qtbot, keyring_available=False)
    assert not dialog.remember.isEnabled()
    assert not dialog.remember.isChecked()
    note = dialog.findChild(QLabel, "keyringNote")
    assert note is not None
    assert note.isVisible()
    assert "keyring" in note.text().lower()
    assert "until it closes" in note.text()
    dialog.remember.setChecked(True)  # even if forced, a disabled box never asks to store
    qtbot.keyClicks(dialog.field, "pw")
    with qtbot.waitSignal(dialog.passwordEntered, timeout=1000) as blocker:
        dialog.ok_button.click()
    assert blocker.args == ["pw", False]


def test_password_dialog_cancel_emits_nothing(qtbot) -> None:
    dialog = open_password(qtbot)
    emitted: list[object] = []
    dialog.passwordEntered.connect(lambda *args: emitted.append(args))
    qtbot.keyClicks(dialog.field, "pw")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert emitted == []
    assert dialog.field.text() == ""


def test_confirm_runs_on_yes_only_when_agreed(qtbot) -> None:
    calls: list[str] = []
    box = dialogs.confirm(None, "Delete account?", "Delete Sandbox?", lambda: calls.append("yes"))
    qtbot.addWidget(box)
    qtbot.waitExposed(box)
    assert box.objectName() == "confirmDialog"
    assert box.text() == "Delete Sandbox?"
    no = box.findChild(type(box.defaultButton()), "confirmNoButton")
    assert box.defaultButton() is no  # the safe answer is the default
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert calls == []
    assert not box.isVisible()

    box = dialogs.confirm(None, "Delete account?", "Delete Sandbox?", lambda: calls.append("yes"))
    qtbot.addWidget(box)
    yes = box.findChild(type(box.defaultButton()), "confirmYesButton")
    assert yes is not None
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    assert calls == ["yes"]


def test_show_info(qtbot) -> None:
    box = dialogs.show_info(None, "Sent", "Your message was sent <to> everyone.")
    qtbot.addWidget(box)
    qtbot.waitExposed(box)
    assert box.isVisible()
    assert box.windowTitle() == "Sent"
    assert box.textFormat() == Qt.TextFormat.PlainText  # text from outside is never markup
    assert box.icon() == QMessageBox.Icon.Information
    box.button(QMessageBox.StandardButton.Ok).click()
    assert not box.isVisible()


def test_about_lists_versions_and_icon(qtbot) -> None:
    box = dialogs.about(None)
    qtbot.addWidget(box)
    qtbot.waitExposed(box)
    text = box.text()
    for expected in (mailgui.__version__, qVersion(), ssl.OPENSSL_VERSION, "PySide6", "Python"):
        assert expected in text
    assert not box.iconPixmap().isNull()
    assert box.windowTitle() == "About mailgui"


def test_about_without_icons(qtbot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(dialogs, "resource_path", lambda *parts: tmp_path.joinpath(*parts))
    assert dialogs.app_icon().isNull()
    box = dialogs.about(None)
    qtbot.addWidget(box)
    assert box.icon() == QMessageBox.Icon.Information


def test_headless_records_every_kind(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialogs, "HEADLESS", True)
    monkeypatch.setattr(dialogs, "recorded", [])
    widgets = [
        dialogs.ask_password(None, "Sandbox", REASON),
        dialogs.confirm(None, "Quit?", "Quit now?", lambda: None),
        dialogs.show_info(None, "Saved", "Account saved."),
        dialogs.about(None),
    ]
    for widget in widgets:
        qtbot.addWidget(widget)
        assert not widget.isVisible()
    assert [r.kind for r in dialogs.recorded] == ["password", "confirm", "info", "about"]
    assert dialogs.recorded[2].text == "Account saved."


def test_parentless_dialogs_stay_alive_until_closed(qtbot) -> None:
    box = dialogs.show_info(None, "Hello", "World")
    qtbot.addWidget(box)
    assert box in dialogs._alive
    box.button(QMessageBox.StandardButton.Ok).click()
    assert box not in dialogs._alive
