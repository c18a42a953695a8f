"""The account editor: every field of `Account`, inline validation, port follows security."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mailgui.core.accounts import (
    DEFAULT_IMAP_PORTS,
    DEFAULT_SMTP_PORTS,
    Account,
    AuthMethod,
    Security,
    ServerSettings,
    normalize_fingerprint,
)
from mailgui.ui.compose import error_label, paint_red, set_invalid

# Diagnosis.field -> objectName of the control that fixes it.
FIELD_WIDGETS = {
    "name": "accountName",
    "email": "accountEmail",
    "smtp.host": "smtpHost",
    "smtp.port": "smtpPort",
    "smtp.security": "smtpSecurity",
    "smtp.username": "smtpUsername",
    "smtp.password": "smtpPassword",
    "smtp.auth": "smtpAuth",
    "smtp.ca_file": "smtpCaFile",
    "smtp.pinned_sha256": "smtpPinnedSha256",
    "smtp.allow_insecure_auth": "smtpAllowInsecureAuth",
    "imap.host": "imapHost",
    "imap.port": "imapPort",
    "imap.security": "imapSecurity",
    "imap.username": "imapUsername",
}
SANDBOX_ID = "sandbox"
_HOST = re.compile(r"^[A-Za-z0-9_.\-\[\]:]+$")
INSECURE_WARNING = (
    "⚠ With security set to None your password crosses the network unencrypted: anyone on the "
    "way can read it. Only allow this for a server on your own machine or a trusted network."
)


class AccountEditor(QWidget):
    saveRequested = Signal(object, str)  # Account, password ("" = keep the stored one)
    testRequested = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountEditor")
        self._account: Account | None = None
        self._loading = False
        self._port_typed = {"smtp": False, "imap": False}
        self._errors: dict[str, QLabel] = {}
        self._fields: dict[str, QWidget] = {}

        self.title = QLabel(self)
        self.title.setObjectName("accountEditorTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.name = self._line(
            form,
            "accountName",
            "&Name:",
            "Account name",
            "Your name as recipients see it, and the account's label here",
        )
        self.email = self._line(
            form,
            "accountEmail",
            "&Email address:",
            "Email address",
            "The address mail is sent from",
        )
        self.host = self._line(
            form,
            "smtpHost",
            "SMTP &server:",
            "SMTP server",
            "Outgoing server name, e.g. smtp.example.com",
        )
        self.security = self._combo(
            form,
            "smtpSecurity",
            "S&ecurity:",
            "SMTP security",
            "SSL/TLS (port 465), STARTTLS (port 587) or none (port 25)",
        )
        self.port = self._line(
            form,
            "smtpPort",
            "&Port:",
            "SMTP port",
            "Usually 465 for SSL/TLS, 587 for STARTTLS, 25 for none",
        )
        self.username = self._line(
            form,
            "smtpUsername",
            "&User name:",
            "SMTP user name",
            "Login name; empty means the email address",
        )
        self.password = self._line(
            form,
            "smtpPassword",
            "Pass&word:",
            "SMTP password",
            "Saved in your system keyring, never in a file",
        )
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.auth = QComboBox(self)
        self._register(
            form,
            self.auth,
            "smtpAuth",
            "&Authentication:",
            "Authentication method",
            "Password login, or none for servers that accept mail without login",
        )
        for method, label in ((AuthMethod.PASSWORD, "Password"), (AuthMethod.NONE, "None")):
            self.auth.addItem(label, method.value)
        self.ca_file = QLineEdit(self)
        self.ca_file.setPlaceholderText("System certificates")
        self.ca_button = QPushButton("Browse…", self)
        self.ca_button.setObjectName("smtpCaFileButton")
        self.ca_button.setAccessibleName("Choose CA file")
        self.ca_button.setToolTip("Choose a PEM file with the certificate authority to trust")
        ca_row = QHBoxLayout()
        ca_row.setContentsMargins(0, 0, 0, 0)
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(self.ca_button)
        ca_box = QWidget(self)
        ca_box.setLayout(ca_row)
        self._register(
            form,
            self.ca_file,
            "smtpCaFile",
            "&CA file:",
            "CA file",
            "Extra certificate authority for a private server (PEM). Optional.",
            row_widget=ca_box,
        )
        self.pin = self._line(
            form,
            "smtpPinnedSha256",
            "Pinned certi&ficate:",
            "Pinned certificate fingerprint",
            "SHA-256 of the one certificate to accept for this server. "
            "Optional; set by Test connection when you trust a certificate.",
        )
        self.pin.setPlaceholderText("None (verify with certificate authorities)")
        self.insecure = QCheckBox("Allow sending the password without encryption", self)
        self._register(
            form,
            self.insecure,
            "smtpAllowInsecureAuth",
            "",
            "Allow insecure login",
            "Only for a server on your own machine or network",
        )
        self.insecure_warning = QLabel(INSECURE_WARNING, self)
        self.insecure_warning.setObjectName("insecureAuthWarning")
        paint_red(self.insecure_warning)
        self.insecure_warning.setWordWrap(True)
        form.addRow("", self.insecure_warning)

        self.imap_toggle = QToolButton(self)
        self.imap_toggle.setObjectName("imapToggle")
        self.imap_toggle.setAccessibleName("Show incoming mail settings")
        self.imap_toggle.setText("Incoming mail (IMAP, optional)")
        self.imap_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.imap_toggle.setCheckable(True)
        self.imap_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.imap_toggle.setToolTip("Show or hide the IMAP settings")
        self.imap_box = QWidget(self)
        imap_form = QFormLayout(self.imap_box)
        imap_form.setContentsMargins(16, 0, 0, 0)
        self.imap_host = self._line(
            imap_form,
            "imapHost",
            "Server:",
            "IMAP server",
            "Incoming server, e.g. imap.example.com; empty: no IMAP",
        )
        self.imap_security = self._combo(
            imap_form,
            "imapSecurity",
            "Security:",
            "IMAP security",
            "SSL/TLS (993) or STARTTLS (143)",
        )
        self.imap_port = self._line(
            imap_form, "imapPort", "Port:", "IMAP port", "Usually 993 for SSL/TLS, 143 for STARTTLS"
        )
        self.imap_username = self._line(
            imap_form,
            "imapUsername",
            "User name:",
            "IMAP user name",
            "Empty means the email address",
        )
        self.imap_box.hide()

        self.summary = QLabel(self)
        self.summary.setObjectName("accountEditorSummary")
        paint_red(self.summary)
        self.summary.setWordWrap(True)
        self.save_button = QPushButton("Save", self)
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.setObjectName("saveAccountButton")
        self.save_button.setAccessibleName("Save account")
        self.save_button.setToolTip("Save the account, Ctrl+S (the password goes to the keyring)")
        self.test_button = QPushButton("&Test connection…", self)
        self.test_button.setObjectName("testConnectionButton")
        self.test_button.setAccessibleName("Test connection")
        self.test_button.setToolTip(
            "Connect to the server with these settings and report each step"
        )
        buttons = QHBoxLayout()
        buttons.setContentsMargins(9, 0, 9, 9)
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.save_button)

        inner = QWidget(self)
        inner_layout = QVBoxLayout(inner)
        inner_layout.addWidget(self.title)
        inner_layout.addLayout(form)
        inner_layout.addWidget(self.imap_toggle)
        inner_layout.addWidget(self.imap_box)
        inner_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # The area itself is no Tab stop (it would be an invisible one); it still scrolls to
        # whichever field inside it takes the focus.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

        for edit in (
            self.name,
            self.email,
            self.host,
            self.port,
            self.username,
            self.pin,
            self.ca_file,
            self.imap_host,
            self.imap_port,
            self.imap_username,
        ):
            edit.textChanged.connect(self.validate)
        self.port.textEdited.connect(self._smtp_port_typed)
        self.imap_port.textEdited.connect(self._imap_port_typed)
        self.security.currentIndexChanged.connect(self._smtp_security_changed)
        self.imap_security.currentIndexChanged.connect(self._imap_security_changed)
        self.auth.currentIndexChanged.connect(self.validate)
        self.insecure.toggled.connect(self.validate)
        self.ca_button.clicked.connect(self.choose_ca_file)
        self.imap_toggle.toggled.connect(self.set_imap_expanded)
        self.save_button.clicked.connect(self._save)
        self.test_button.clicked.connect(self._test)
        self.load(None)

    # construction helpers
    def _register(
        self,
        form: QFormLayout,
        widget: QWidget,
        object_name: str,
        label: str,
        accessible: str,
        tip: str,
        row_widget: QWidget | None = None,
    ) -> None:
        widget.setObjectName(object_name)
        widget.setAccessibleName(accessible)
        widget.setToolTip(tip)
        error = error_label(self, f"{object_name}Error")
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(row_widget or widget)
        box.addWidget(error)
        caption = QLabel(label, self)
        caption.setBuddy(widget)  # a layout row gets no buddy by itself: keep Alt+key working
        form.addRow(caption, box)
        self._errors[object_name] = error
        self._fields[object_name] = widget

    def _line(
        self, form: QFormLayout, name: str, label: str, accessible: str, tip: str
    ) -> QLineEdit:
        edit = QLineEdit(self)
        self._register(form, edit, name, label, accessible, tip)
        return edit

    def _combo(
        self, form: QFormLayout, name: str, label: str, accessible: str, tip: str
    ) -> QComboBox:
        combo = QComboBox(self)
        for security in Security:
            combo.addItem(security.label, security.value)
        self._register(form, combo, name, label, accessible, tip)
        return combo

    # loading and reading back
    def load(self, account: Account | None, *, has_password: bool = False) -> None:
        """Show `account` (None: a new, empty one)."""
        self._account = account
        self._loading = True
        smtp = account.smtp if account else ServerSettings()
        self.title.setText(f"Account: {account.name}" if account else "New account")
        self.name.setText(account.name if account else "")
        self.email.setText(account.email if account else "")
        self.host.setText(smtp.host)
        self._set_combo(self.security, smtp.security.value)
        self.port.setText(str(smtp.port))
        self.username.setText(smtp.username)
        self._set_combo(self.auth, smtp.auth.value)
        self.password.clear()
        self.password.setPlaceholderText(
            "Saved in the keyring (type to replace)" if has_password else "Not saved yet"
        )
        self.ca_file.setText(smtp.ca_file or "")
        self.pin.setText(smtp.pinned_sha256 or "")
        self.insecure.setChecked(smtp.allow_insecure_auth)
        imap = account.imap if account else None
        self.imap_host.setText(imap.host if imap else "")
        self._set_combo(self.imap_security, (imap.security if imap else Security.SSL).value)
        self.imap_port.setText(str(imap.port if imap else DEFAULT_IMAP_PORTS[Security.SSL]))
        self.imap_username.setText(imap.username if imap else "")
        self._port_typed = {"smtp": False, "imap": False}
        self.set_imap_expanded(imap is not None)
        builtin = account is not None and account.id == SANDBOX_ID
        for widget in self._fields.values():
            widget.setEnabled(not builtin)
        self.ca_button.setEnabled(not builtin)
        self._loading = False
        self.validate()

    @staticmethod
    def _set_combo(combo: QComboBox, value: str) -> None:
        combo.setCurrentIndex(max(0, combo.findData(value)))

    @property
    def editing(self) -> Account | None:
        return self._account

    def account(self) -> Account:
        """The account as the fields describe it (ids kept); call validate() first."""
        try:
            port = int(self.port.text())
        except ValueError:
            port = DEFAULT_SMTP_PORTS[Security(self.security.currentData())]
        smtp = ServerSettings(
            host=self.host.text().strip(),
            port=port,
            security=Security(self.security.currentData()),
            username=self.username.text().strip(),
            auth=AuthMethod(self.auth.currentData()),
            ca_file=self.ca_file.text().strip() or None,
            pinned_sha256=normalize_fingerprint(self.pin.text()),
            allow_insecure_auth=self.insecure.isChecked(),
        )
        imap = None
        if self.imap_host.text().strip():
            imap_security = Security(self.imap_security.currentData())
            try:
                imap_port = int(self.imap_port.text())
            except ValueError:
                imap_port = DEFAULT_IMAP_PORTS[imap_security]
            imap = ServerSettings(
                host=self.imap_host.text().strip(),
                port=imap_port,
                security=imap_security,
                username=self.imap_username.text().strip(),
            )
        fields = {"name": self.name.text().strip(), "email": self.email.text().strip()}
        if self._account is not None:
            return self._account.replace(smtp=smtp, imap=imap, **fields)
        return Account(smtp=smtp, imap=imap, **fields)

    # behaviour
    @Slot()
    def _smtp_port_typed(self) -> None:
        self._port_typed["smtp"] = True

    @Slot()
    def _imap_port_typed(self) -> None:
        self._port_typed["imap"] = True

    def _follow_security(
        self, kind: str, edit: QLineEdit, combo: QComboBox, defaults: dict[Security, int]
    ) -> None:
        # The usual port follows the security choice unless the user typed a port of their own.
        typed_own = self._port_typed[kind] and edit.text().strip() not in {
            "",
            *(str(p) for p in defaults.values()),
        }
        if not typed_own:
            edit.setText(str(defaults[Security(combo.currentData())]))
            self._port_typed[kind] = False
        self.validate()

    @Slot()
    def _smtp_security_changed(self) -> None:
        self._follow_security("smtp", self.port, self.security, DEFAULT_SMTP_PORTS)

    @Slot()
    def _imap_security_changed(self) -> None:
        self._follow_security("imap", self.imap_port, self.imap_security, DEFAULT_IMAP_PORTS)

    @Slot(bool)
    def set_imap_expanded(self, expanded: bool) -> None:
        self.imap_toggle.blockSignals(True)
        self.imap_toggle.setChecked(expanded)
        self.imap_toggle.blockSignals(False)
        self.imap_toggle.setArrowType(
            Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow
        )
        self.imap_box.setVisible(expanded)

    @Slot()
    def choose_ca_file(self) -> None:
        dialog = QFileDialog(self, "Choose a CA certificate file")
        dialog.setNameFilters(["Certificates (*.pem *.crt *.cer)", "All files (*)"])
        dialog.fileSelected.connect(self.ca_file.setText)
        dialog.open()

    def problems(self) -> dict[str, str]:
        """objectName -> what is wrong with that field."""
        found: dict[str, str] = {}
        if not self.name.text().strip():
            found["accountName"] = "Give the account a name."
        email = self.email.text().strip()
        if not email:
            found["accountEmail"] = "Enter the email address."
        elif not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", email):
            found["accountEmail"] = "This is not an email address (like name@example.com)."
        host = self.host.text().strip()
        if not host:
            found["smtpHost"] = "Enter the outgoing (SMTP) server name."
        elif not _HOST.match(host):
            found["smtpHost"] = "A server name has no spaces or special characters."
        found.update(_port_problem("smtpPort", self.port.text()))
        pin = normalize_fingerprint(self.pin.text())
        if pin and not re.fullmatch(r"[0-9a-f]{64}", pin):
            found["smtpPinnedSha256"] = "A SHA-256 fingerprint is 64 hexadecimal characters."
        ca = self.ca_file.text().strip()
        if ca and not Path(ca).is_file():
            found["smtpCaFile"] = "This file does not exist."
        if self.imap_host.text().strip():
            found.update(_port_problem("imapPort", self.imap_port.text()))
        return found

    @Slot()
    def validate(self) -> bool:
        if self._loading:  # load() validates once at the end, not once per field
            return True
        found = self.problems()
        for name, widget in self._fields.items():
            set_invalid(widget, found.get(name), self._errors[name])
        insecure_link = Security(self.security.currentData()) is Security.NONE
        self.insecure_warning.setVisible(self.insecure.isChecked() and insecure_link)
        builtin = self._account is not None and self._account.id == SANDBOX_ID
        if builtin:
            self.summary.setText("The built-in Sandbox account cannot be changed.")
        elif found:
            self.summary.setText(
                f"Fix {len(found)} field{'s' if len(found) > 1 else ''} marked in red to save."
            )
        else:
            self.summary.setText("")
        self.save_button.setEnabled(not found and not builtin)
        self.save_button.setToolTip(self.summary.text() or "Save the account (Ctrl+S)")
        self.test_button.setEnabled(not found)
        return not found

    def apply_suggestion(self, suggestion: dict[str, object]) -> str:
        """Fill in a diagnosis' suggested settings (not saved); returns what changed, in words."""
        changed = []
        security = suggestion.get("security")
        if security:
            self._set_combo(self.security, str(security))
            changed.append(f"security {Security(str(security)).label}")
        port = suggestion.get("port")
        if port:
            self.port.setText(str(port))
            self._port_typed["smtp"] = True
            changed.append(f"port {port}")
        host = suggestion.get("host")
        if host:
            self.host.setText(str(host))
            changed.append(f"server {host}")
        self.validate()
        return ", ".join(changed)

    def focus_field(self, field: str) -> bool:
        """Focus the control for a Diagnosis.field such as "smtp.password"."""
        name = FIELD_WIDGETS.get(field, field)
        widget = self._fields.get(name)
        if widget is None:
            return False
        if name.startswith("imap"):
            self.set_imap_expanded(True)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        if isinstance(widget, QLineEdit):
            widget.selectAll()
        return True

    @Slot()
    def _save(self) -> None:
        if self.validate():
            self.saveRequested.emit(self.account(), self.password.text())

    @Slot()
    def _test(self) -> None:
        if self.validate():
            self.testRequested.emit(self.account(), self.password.text())


def _port_problem(name: str, text: str) -> dict[str, str]:
    try:
        port = int(text.strip())
    except ValueError:
        return {name: "The port is a number from 1 to 65535."}
    if not 1 <= port <= 65535:
        return {name: "The port is a number from 1 to 65535."}
    return {}
