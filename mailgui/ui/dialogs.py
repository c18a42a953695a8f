"""The one module that builds every dialog and message box of mailgui.

Everything is shown with `open()` (never `exec()`), so the event loop and the tests keep running.
`HEADLESS = True` (or MAILGUI_NO_DIALOGS=1) is the single switch for tests and smoke runs: dialogs
are still built and returned, but recorded in `recorded` instead of being shown, and links are
recorded instead of opening a browser.
"""

from __future__ import annotations

import html
import logging
import os
import platform
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import PySide6
from PySide6.QtCore import Qt, QUrl, Signal, Slot, qVersion
from PySide6.QtGui import QDesktopServices, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

import mailgui
from mailgui.core.diagnosis_types import Diagnosis
from mailgui.core.resources import resource_path
from mailgui.ui.error_dialog import ErrorDialog, severity, window_title_for

__all__ = [
    "HEADLESS",
    "ErrorDialog",
    "PasswordDialog",
    "Recorded",
    "about",
    "app_icon",
    "ask_password",
    "confirm",
    "open_url",
    "recorded",
    "show_error",
    "show_info",
]

log = logging.getLogger(__name__)

HEADLESS: bool = os.environ.get("MAILGUI_NO_DIALOGS", "") == "1"


@dataclass
class Recorded:
    """A dialog (or link) that HEADLESS mode kept off the screen."""

    kind: str  # "error", "password", "confirm", "info", "about" or "url"
    title: str
    text: str
    widget: QWidget | None = None


recorded: list[Recorded] = []

# Parentless dialogs would be garbage-collected (and vanish) as soon as the caller drops them.
_alive: set[QWidget] = set()


def _present(dialog: QDialog, kind: str, title: str, text: str) -> None:
    if HEADLESS:
        recorded.append(Recorded(kind, title, text, dialog))
        log.info("dialog not shown (headless): %s: %s", title, text)
        return
    if dialog.parent() is None:
        _alive.add(dialog)
        dialog.finished.connect(lambda _result: _alive.discard(dialog))
    dialog.open()


def open_url(url: str) -> None:
    """Open a help link in the user's browser (recorded instead when HEADLESS)."""
    if HEADLESS:
        recorded.append(Recorded("url", url, url))
        return
    QDesktopServices.openUrl(QUrl(url))


# -- errors ---------------------------------------------------------------------------------


def show_error(
    parent: QWidget | None,
    diagnosis: Diagnosis,
    *,
    transcript: str = "",
    window_title: str | None = None,
) -> ErrorDialog:
    """Build the error dialog for `diagnosis`, open it (non-blocking) and return it.

    Connect `actionRequested(str)` to act on the chosen Action value.
    """
    dialog = ErrorDialog(diagnosis, parent, transcript=transcript, window_title=window_title)
    _present(dialog, "error", dialog.windowTitle(), diagnosis.title)
    if HEADLESS:
        log.warning(
            "%s: %s (%s)", window_title_for(diagnosis), diagnosis.title, severity(diagnosis)
        )
    return dialog


# -- password -------------------------------------------------------------------------------

KEYRING_UNAVAILABLE_NOTE = (
    "No keyring is available on this computer, so mailgui keeps the password only until it closes."
)


class PasswordDialog(QDialog):
    """Asks for one account's password. Emits passwordEntered(password, remember_in_keyring)."""

    passwordEntered = Signal(str, bool)

    def __init__(
        self,
        account_name: str,
        reason: str,
        parent: QWidget | None = None,
        *,
        keyring_available: bool = True,
        keyring_note: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("passwordDialog")
        self.setWindowTitle("Password needed")
        self.setAccessibleName("Password needed")
        self.setMinimumWidth(420)

        intro = QLabel(f"<b>Password for {_escape(account_name)}</b>", self)
        intro.setObjectName("passwordTitle")
        intro.setAccessibleName("Password for " + account_name)
        self.reason_label = QLabel(reason, self)
        self.reason_label.setObjectName("passwordReason")
        self.reason_label.setAccessibleName("Why the password is needed")
        self.reason_label.setWordWrap(True)

        self.field = QLineEdit(self)
        self.field.setObjectName("passwordField")
        self.field.setAccessibleName("Password")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setPlaceholderText("Password")

        self.remember = QCheckBox("Remember in the keyring", self)
        self.remember.setObjectName("rememberPassword")
        self.remember.setAccessibleName("Remember in the keyring")
        self.keyring_note: QLabel | None = None
        if keyring_available:
            self.remember.setChecked(True)
        else:
            self.remember.setChecked(False)
            self.remember.setEnabled(False)
            self.keyring_note = QLabel(keyring_note or KEYRING_UNAVAILABLE_NOTE, self)
            self.keyring_note.setObjectName("keyringNote")
            self.keyring_note.setAccessibleName("Keyring unavailable")
            self.keyring_note.setWordWrap(True)
            self.remember.setToolTip(self.keyring_note.text())

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("passwordOkButton")
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.field.textChanged.connect(self._text_changed)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        for widget in (intro, self.reason_label, self.field, self.remember, self.keyring_note):
            if widget is not None:
                layout.addWidget(widget)
        layout.addWidget(self.buttons)
        self.field.setFocus()

    @Slot(str)
    def _text_changed(self, text: str) -> None:
        self.ok_button.setEnabled(bool(text))

    def accept(self) -> None:
        password = self.field.text()
        if not password:
            return
        remember = self.remember.isEnabled() and self.remember.isChecked()
        self.field.clear()  # the dialog does not keep the password once handed over
        super().accept()
        self.passwordEntered.emit(password, remember)

    def reject(self) -> None:
        self.field.clear()
        super().reject()


def ask_password(
    parent: QWidget | None,
    account_name: str,
    reason: str,
    *,
    keyring_available: bool = True,
    keyring_note: str | None = None,
) -> PasswordDialog:
    """Open the password prompt; connect `passwordEntered(str, bool)` for the answer."""
    dialog = PasswordDialog(
        account_name,
        reason,
        parent,
        keyring_available=keyring_available,
        keyring_note=keyring_note,
    )
    _present(dialog, "password", dialog.windowTitle(), reason)
    return dialog


# -- message boxes --------------------------------------------------------------------------


def _message_box(
    parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str, name: str
) -> QMessageBox:
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName(name)
    box.setAccessibleName(title)
    # Plain text unless a caller builds HTML on purpose: a server reply is never markup.
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def confirm(
    parent: QWidget | None,
    title: str,
    text: str,
    on_yes: Callable[[], None],
    *,
    yes_text: str = "Yes",
    no_text: str = "No",
) -> QMessageBox:
    """Ask a yes/no question without blocking; `on_yes()` runs only if the user agrees."""
    box = _message_box(parent, QMessageBox.Icon.Question, title, text, "confirmDialog")
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.YesRole)
    yes.setObjectName("confirmYesButton")
    no = box.addButton(no_text, QMessageBox.ButtonRole.NoRole)
    no.setObjectName("confirmNoButton")
    box.setDefaultButton(no)
    box.setEscapeButton(no)

    def clicked(button: object) -> None:
        if button is yes:
            on_yes()

    box.buttonClicked.connect(clicked)
    _present(box, "confirm", title, text)
    return box


def show_info(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """A short, non-blocking notice with an OK button."""
    box = _message_box(parent, QMessageBox.Icon.Information, title, text, "infoDialog")
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    _present(box, "info", title, text)
    return box


def versions() -> dict[str, str]:
    """Versions of everything that matters in a bug report."""
    return {
        "mailgui": mailgui.__version__,
        "Qt": qVersion(),
        "PySide6": PySide6.__version__,
        "Python": platform.python_version(),
        "OpenSSL": ssl.OPENSSL_VERSION,
    }


def app_icon() -> QIcon:
    """The application icon from resources/icons, or an empty icon when none is bundled."""
    for name in ("mailgui.svg", "mailgui.png"):
        path = resource_path("icons", name)
        if path.is_file():
            icon = QIcon(str(path))
            if not icon.isNull():
                return icon
    return QIcon()


def about(parent: QWidget | None) -> QMessageBox:
    """The About box: what mailgui is, and the versions of its parts."""
    rows = "".join(
        f"<tr><td style='padding-right:12px'>{_escape(k)}</td><td>{_escape(v)}</td></tr>"
        for k, v in versions().items()
    )
    text = (
        f"<h3>mailgui {_escape(mailgui.__version__)}</h3>"
        "<p>A desktop email client that sends mail and explains, in plain words, "
        "why sending failed.</p>"
        f"<table style='margin-top:8px'>{rows}</table>"
    )
    box = _message_box(parent, QMessageBox.Icon.Information, "About mailgui", text, "aboutDialog")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    icon = app_icon()
    if not icon.isNull():
        pixmap: QPixmap = icon.pixmap(64, 64)
        if not pixmap.isNull():
            box.setIconPixmap(pixmap)
    _present(box, "about", "About mailgui", " ".join(f"{k} {v}" for k, v in versions().items()))
    return box


# -- helpers --------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return html.escape(text)


def grab(widget: QWidget, path: str | os.PathLike[str]) -> bool:
    """Save a screenshot of a dialog (works offscreen); used by tests and docs screenshots."""
    widget.ensurePolished()
    layout = widget.layout()
    if layout is not None:
        layout.activate()
    return widget.grab().save(os.fspath(path))
