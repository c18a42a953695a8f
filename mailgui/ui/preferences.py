"""A small preferences dialog (shown with open(), never exec())."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mailgui.ui.settings import Preferences


class PreferencesDialog(QDialog):
    changed = Signal(object)  # Preferences

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self.setWindowTitle("Preferences")
        self.timeout = QSpinBox(self)
        self.timeout.setObjectName("prefSendTimeout")
        self.timeout.setAccessibleName("Send timeout in seconds")
        self.timeout.setToolTip("How long to wait for the server at each step before giving up")
        self.timeout.setRange(5, 600)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(prefs.send_timeout)
        self.check_addresses = QCheckBox("Check addresses while I type", self)
        self.check_addresses.setObjectName("prefCheckAddresses")
        self.check_addresses.setAccessibleName("Check addresses while typing")
        self.check_addresses.setToolTip("Mark a mistyped address under the field right away")
        self.check_addresses.setChecked(prefs.check_addresses_as_you_type)
        self.remember = QCheckBox("Start with the account I used last", self)
        self.remember.setObjectName("prefRememberAccount")
        self.remember.setAccessibleName("Remember the last used account")
        self.remember.setToolTip("Otherwise the first account in the list is chosen")
        self.remember.setChecked(prefs.remember_last_account)
        form = QFormLayout()
        form.addRow("Server &timeout:", self.timeout)
        form.addRow("", self.check_addresses)
        form.addRow("", self.remember)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.accepted.connect(self._emit)

    def preferences(self) -> Preferences:
        return Preferences(
            send_timeout=self.timeout.value(),
            check_addresses_as_you_type=self.check_addresses.isChecked(),
            remember_last_account=self.remember.isChecked(),
        )

    @Slot()
    def _emit(self) -> None:
        self.changed.emit(self.preferences())
