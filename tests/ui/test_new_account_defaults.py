"""NewAccountDialog review fixes: sane defaults without a lookup, host validation before "Create",
the sign-in notes never cut off, long host names shown from their start."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from mailgui.core.accounts import Security
from mailgui.core.autoconfig import LookupOptions
from mailgui.ui import dialogs
from mailgui.ui.new_account import NewAccountDialog, host_problem

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def make_dialog(qtbot: Any) -> NewAccountDialog:
    dialog = NewAccountDialog(None, options=LookupOptions(offline=True))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def gmail_lookup(qtbot: Any, dialog: NewAccountDialog) -> None:
    dialog.name.setText("Jane Doe")
    dialog.email.setText("jane.doe@gmail.com")
    dialog.password.setText("app-password-value")
    dialog.lookup_button.click()
    qtbot.waitUntil(lambda: dialog.lookup_result is not None and not dialog.busy, timeout=10000)


def test_without_a_lookup_the_form_has_sane_defaults(qtbot: Any) -> None:
    dialog = make_dialog(qtbot)
    assert (dialog.smtp.port.value(), dialog.smtp.security.currentData()) == (587, "starttls")
    assert (dialog.imap.port.value(), dialog.imap.security.currentData()) == (993, "ssl")
    dialog.email.setText("me@example.org")
    assert dialog.smtp.username.text() == "me@example.org"
    assert not dialog.create_button.isEnabled()  # no server yet

    dialog.smtp.host.setText("https://mail.example.org/")
    assert not dialog.create_button.isEnabled()
    assert dialog.smtp_error.isVisible()
    assert "server name" in dialog.smtp_error.text()

    dialog.smtp.host.setText("mail.example.org")
    assert dialog.create_button.isEnabled()
    assert not dialog.smtp_error.isVisible()
    with qtbot.waitSignal(dialog.accountCreated, timeout=2000) as signal:
        dialog.create_button.click()
    account = signal.args[0]
    assert (account.smtp.port, account.smtp.security) == (587, Security.STARTTLS)
    assert account.smtp.username == "me@example.org"
    assert account.imap is None


def test_a_user_name_typed_by_hand_is_kept(qtbot: Any) -> None:
    dialog = make_dialog(qtbot)
    dialog.email.setText("me@example.org")
    dialog.smtp.username.setText("me")
    dialog.email.setText("me2@example.org")
    assert dialog.smtp.username.text() == "me"
    dialog.smtp.username.setText("")
    dialog.smtp.host.setText("mail.example.org")
    assert not dialog.create_button.isEnabled()  # an empty user name cannot sign in


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("smtp.gmail.com", True),
        ("mail.bücher.de", True),
        ("localhost", True),
        ("127.0.0.1", True),
        ("smtp.example.com:587", False),
        ("smtp example.com", False),
        ("me@example.com", False),
        ("-bad-.example.com", False),
    ],
)
def test_host_problem(host: str, ok: bool) -> None:
    assert (host_problem(host) is None) is ok


def test_gmail_notes_are_not_cut_off_and_hosts_show_their_start(qtbot: Any) -> None:
    dialog = make_dialog(qtbot)
    gmail_lookup(qtbot, dialog)
    # No resize to the size hint first: the dialog as it opens must already fit the notes.
    notes = dialog.findChild(QLabel, "newAccountNotes")
    qtbot.waitUntil(lambda: notes.height() >= notes.heightForWidth(notes.width()))
    assert "apppasswords" in notes.text()
    assert dialog.smtp.host.cursorPosition() == 0
    assert dialog.imap.host.cursorPosition() == 0
    assert dialog.create_button.isEnabled()

    path = SCREENSHOTS / "new-account.png"
    if os.environ.get("MAILGUI_SCREENSHOTS"):  # refresh the picture in docs/ on request only
        assert dialogs.grab(dialog, path)
