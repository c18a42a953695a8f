"""New account from an address: look the settings up, show where we looked, fill the form.

The lookup (mailgui.core.autoconfig) runs as a Job on a pool thread; each source's progress comes
back through a queued signal so the list of sources updates live. Nothing here decides which
settings are right: the dialog shows the candidates core ranked, best first, and the user picks.
"""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import Property, QObject, Qt, Signal, Slot
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QStyle,
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
)
from mailgui.core.autoconfig import (
    AutoconfigResult,
    Candidate,
    LookupOptions,
    Source,
    SourceState,
    SourceStatus,
    lookup,
    parse_address,
)
from mailgui.core.errors import Cancelled, InputError
from mailgui.ui import dialogs
from mailgui.ui.compose import ERROR_STYLE, set_invalid
from mailgui.ui.jobs import Job, JobContext, JobRunner

NOTES_STYLE = """
QLabel#newAccountNotes {
    background: palette(alternate-base); border: 1px solid palette(mid);
    border-left: 4px solid #d29922; border-radius: 3px; padding: 8px;
}
"""
_STATE_ICONS = {
    SourceState.PENDING: QStyle.StandardPixmap.SP_ArrowRight,
    SourceState.RUNNING: QStyle.StandardPixmap.SP_BrowserReload,
    SourceState.FOUND: QStyle.StandardPixmap.SP_DialogApplyButton,
    SourceState.NOT_FOUND: QStyle.StandardPixmap.SP_DialogNoButton,
    SourceState.FAILED: QStyle.StandardPixmap.SP_MessageBoxWarning,
    SourceState.TIMED_OUT: QStyle.StandardPixmap.SP_MessageBoxWarning,
    SourceState.SKIPPED: QStyle.StandardPixmap.SP_MediaSkipForward,
    SourceState.CANCELLED: QStyle.StandardPixmap.SP_DialogCancelButton,
}
_SOURCE_WORDS = {
    Source.BUNDLED: "built in",
    Source.AUTOCONFIG: "provider's autoconfig",
    Source.ISPDB: "Thunderbird database",
    Source.SRV: "DNS SRV",
    Source.MX: "via the domain's MX",
    Source.GUESS: "guess, not verified yet",
}


def candidate_label(c: Candidate) -> str:
    where = ", ".join(_SOURCE_WORDS[s] for s in c.all_sources)
    who = f"{c.provider}: " if c.provider else ""
    return f"{c.smtp.host}:{c.smtp.port} {c.smtp.security.label}  ({who}{where})"


class _StatusBridge(QObject):
    """Lives in the GUI thread; the lookup emits into it from the pool thread (queued)."""

    status = Signal(object)


# A host name: dot-separated labels of letters (any script), digits and hyphens; or an IP.
_HOST = re.compile(r"^(?=.{1,253}$)([^\W_]([\w-]{0,61}[^\W_])?)(\.[^\W_]([\w-]{0,61}[^\W_])?)*\.?$")


def host_problem(host: str) -> str | None:
    """Why `host` cannot be a server name, or None when it can."""
    if not host:
        return "Enter the server name."
    if "://" in host or "/" in host or "@" in host or ":" in host:
        return "Only the server name, e.g. smtp.example.com (no scheme, port or path)."
    if not _HOST.match(host):
        return "This is not a server name: use letters, digits, dots and hyphens."
    return None


class _ServerForm(QObject):
    """Host, port, security and user name of one server; the port follows the security.

    It starts on the usual security and port for its protocol (never the spin box's minimum),
    so a form filled by hand without a lookup is already sensible.
    """

    def __init__(
        self, prefix: str, ports: dict[Security, int], default: Security, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._ports = ports
        self._default = default
        self.host = QLineEdit(parent)
        self.port = QSpinBox(parent)
        self.port.setRange(1, 65535)
        self.security = QComboBox(parent)
        for sec in Security:
            self.security.addItem(sec.label, sec.value)  # a QVariant keeps str, not the enum
        self.username = QLineEdit(parent)
        for widget, name in (
            (self.host, "Host"),
            (self.port, "Port"),
            (self.security, "Security"),
            (self.username, "Username"),
        ):
            widget.setObjectName(f"newAccount{prefix}{name}")
            widget.setAccessibleName(f"{prefix.upper()} {name.lower()}")
        self.security.activated.connect(self._security_chosen)
        self.fill(None)

    def add_to(self, grid: QGridLayout, row: int, label: str) -> None:
        grid.addWidget(QLabel(label), row, 0)
        for column, widget in enumerate((self.host, self.port, self.security, self.username), 1):
            grid.addWidget(widget, row, column)

    @Slot(int)
    def _security_chosen(self, index: int) -> None:
        self.port.setValue(self._ports[Security(self.security.itemData(index))])

    def fill(self, settings: ServerSettings | None, username: str = "") -> None:
        if settings is None:
            port = self._ports[self._default]
            settings = ServerSettings(host="", port=port, security=self._default, username="")
        self.host.setText(settings.host)
        self.port.setValue(settings.port)
        self.security.setCurrentIndex(self.security.findData(settings.security.value))
        self.username.setText(settings.username or username)
        # A long name would show its end: show where it starts.
        self.host.setCursorPosition(0)
        self.username.setCursorPosition(0)

    def settings(self, auth: AuthMethod) -> ServerSettings:
        return ServerSettings(
            host=self.host.text().strip(),
            port=self.port.value(),
            security=Security(self.security.currentData()),
            username=self.username.text().strip(),
            auth=auth,
        )


class _WrappedLabel(QLabel):
    """A word-wrapped label that is always as tall as its text needs at its width.

    In a grid row spanning several columns Qt does not ask a label for its height-for-width, so
    a long text (the Gmail app-password link) would be cut off.
    """

    def fit(self) -> None:
        width = self.width() if self.isVisible() and self.width() > 50 else self.sizeHint().width()
        self.setMinimumHeight(max(0, self.heightForWidth(width)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        needed = max(0, self.heightForWidth(event.size().width()))
        if needed != self.minimumHeight():
            self.setMinimumHeight(needed)


class NewAccountDialog(QDialog):
    """Name, address, password -> looked-up settings -> `accountCreated(Account, password)`."""

    accountCreated = Signal(object, str)
    # Emitted right after accountCreated when "Test the connection now" is ticked, so the main
    # window can connect it straight to its connection test / wizard.
    testRequested = Signal(object, str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        options: LookupOptions | None = None,
        runner: JobRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("newAccountDialog")
        self.setWindowTitle("New account from address")
        self.setStyleSheet(ERROR_STYLE + NOTES_STYLE)
        self.setMinimumWidth(720)
        self._options = options or LookupOptions()
        self._own_runner = runner is None
        self._runner = runner or JobRunner(self)
        self._job: Job | None = None
        self._result: AutoconfigResult | None = None
        self._looked_up = ""
        self._username_default = ""  # what the user-name fields were filled with from the address
        self._needs_confirm = False
        self._bridge = _StatusBridge(self)
        self._bridge.status.connect(self._show_status)
        self._build()

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        intro = QLabel(
            "Type your address and password. mailgui looks up the server settings for you.", self
        )
        intro.setWordWrap(True)
        self.name = self._line("newAccountName", "Your name", "e.g. Jane Doe (shown to recipients)")
        self.email = self._line("newAccountEmail", "Email address", "name@example.com")
        self.password = self._line("newAccountPassword", "Password", "")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.email_error = QLabel(self)
        self.email_error.setProperty("role", "error")
        self.email_error.setVisible(False)
        self.lookup_button = QPushButton("Find settings", self)
        self.lookup_button.setObjectName("newAccountLookupButton")
        self.cancel_lookup_button = QPushButton("Stop", self)
        self.cancel_lookup_button.setObjectName("newAccountCancelLookup")
        self.cancel_lookup_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.lookup_button)
        buttons.addWidget(self.cancel_lookup_button)
        buttons.addStretch(1)
        top = QFormLayout()
        top.addRow("Your name:", self.name)
        top.addRow("Email address:", self.email)
        top.addRow("", self.email_error)
        top.addRow("Password:", self.password)
        top.addRow("", buttons)

        self.sources = QListWidget(self)
        self.sources.setObjectName("newAccountSources")
        self.sources.setAccessibleName("Where mailgui looked")
        self.sources.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.sources.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._rows: dict[Source, QListWidgetItem] = {}
        for source in Source:
            item = QListWidgetItem(self.sources)
            self._rows[source] = item
            self._set_row(SourceStatus(source, SourceState.PENDING))
        self.sources.setFixedHeight(self.sources.sizeHintForRow(0) * len(Source) + 6)
        looked = QGroupBox("Where mailgui looks", self)
        QVBoxLayout(looked).addWidget(self.sources)

        self.candidates = QComboBox(self)
        self.candidates.setObjectName("newAccountCandidates")
        self.candidates.setAccessibleName("Settings found")
        self.notes = _WrappedLabel(self)
        self.notes.setObjectName("newAccountNotes")
        self.notes.setAccessibleName("Sign-in notes")
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.TextFormat.RichText)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.notes.setOpenExternalLinks(False)  # through dialogs.open_url (headless-aware)
        self.notes.linkActivated.connect(self._open_link)
        self.notes.setVisible(False)
        self.smtp = _ServerForm("Smtp", DEFAULT_SMTP_PORTS, Security.STARTTLS, self)
        self.imap = _ServerForm("Imap", DEFAULT_IMAP_PORTS, Security.SSL, self)
        self.smtp_error = QLabel(self)
        self.smtp_error.setObjectName("newAccountSmtpError")
        self.smtp_error.setProperty("role", "error")
        self.smtp_error.setVisible(False)
        self.confirm = QCheckBox("I checked that these server names belong to my provider", self)
        self.confirm.setObjectName("newAccountConfirm")
        self.confirm.setVisible(False)
        found = QGroupBox("Settings", self)
        grid = QGridLayout(found)
        grid.addWidget(QLabel("Use:"), 0, 0)
        grid.addWidget(self.candidates, 0, 1, 1, 4)
        grid.addWidget(self.notes, 1, 0, 1, 5)
        for column, title in enumerate(("Server", "Port", "Security", "User name"), 1):
            header = QLabel(title)
            header.setEnabled(False)  # a quiet column caption
            grid.addWidget(header, 2, column)
        self.smtp.add_to(grid, 3, "Sending (SMTP):")
        self.imap.add_to(grid, 4, "Receiving (IMAP):")
        grid.addWidget(self.smtp_error, 5, 1, 1, 4)
        grid.addWidget(self.confirm, 6, 0, 1, 5)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(4, 3)

        self.test_now = QCheckBox("Test the connection now", self)
        self.test_now.setObjectName("newAccountTestNow")
        self.test_now.setChecked(True)
        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.create_button = self.button_box.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText("Create account")
        self.create_button.setObjectName("newAccountCreate")
        self.button_box.accepted.connect(self._create)
        self.button_box.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(looked)
        layout.addWidget(found)
        bottom = QHBoxLayout()
        bottom.addWidget(self.test_now)
        bottom.addStretch(1)
        bottom.addWidget(self.button_box)
        layout.addLayout(bottom)

        self.lookup_button.clicked.connect(self.start_lookup)
        self.cancel_lookup_button.clicked.connect(self.cancel_lookup)
        self.email.editingFinished.connect(self._email_done)
        self.candidates.currentIndexChanged.connect(self._candidate_chosen)
        self.email.textChanged.connect(self._email_edited)
        for widget in (self.email, self.smtp.host, self.imap.host, self.smtp.username):
            widget.textChanged.connect(self._update_buttons)
        self.confirm.toggled.connect(self._update_buttons)
        self._update_buttons()

    def _line(self, name: str, accessible: str, placeholder: str) -> QLineEdit:
        line = QLineEdit(self)
        line.setObjectName(name)
        line.setAccessibleName(accessible)
        line.setPlaceholderText(placeholder)
        return line

    # -- public ---------------------------------------------------------------------------
    def _get_test(self) -> bool:
        return self.test_now.isChecked()

    def _set_test(self, value: bool) -> None:
        self.test_now.setChecked(value)

    # Read by the main window after accountCreated: open the connection wizard or not.
    testConnection = Property(bool, _get_test, _set_test)

    @property
    def lookup_result(self) -> AutoconfigResult | None:
        return self._result

    @property
    def busy(self) -> bool:
        return self._job is not None

    def account(self) -> Account:
        """The account as the form stands now."""
        address = self.email.text().strip()
        current = self.candidates.currentData()
        auth = current.smtp.auth if isinstance(current, Candidate) else AuthMethod.PASSWORD
        imap = self.imap.settings(AuthMethod.PASSWORD)
        return Account(
            name=self.name.text().strip() or address,
            email=address,
            smtp=self.smtp.settings(auth),
            imap=imap if imap.host else None,
        )

    # -- lookup ---------------------------------------------------------------------------
    @Slot(str)
    def _email_edited(self, text: str) -> None:
        """The user names follow the address until the user types another one."""
        for form in (self.smtp, self.imap):
            if form.username.text() in ("", self._username_default):
                form.username.setText(text.strip())
                form.username.setCursorPosition(0)
        self._username_default = text.strip()

    @Slot()
    def _email_done(self) -> None:
        text = self.email.text().strip()
        if text and text != self._looked_up and not self.busy:
            self.start_lookup()

    @Slot()
    def start_lookup(self) -> None:
        try:
            address = parse_address(self.email.text())
        except InputError as exc:
            set_invalid(self.email, exc.message, self.email_error)
            return
        set_invalid(self.email, None, self.email_error)
        self.cancel_lookup()
        self._looked_up = self.email.text().strip()
        for source in Source:
            self._set_row(SourceStatus(source, SourceState.PENDING))
        options, bridge = self._options, self._bridge

        def work(context: JobContext) -> AutoconfigResult:  # pool thread: core only
            return lookup(address, options, cancel=context.cancel, on_status=bridge.status.emit)

        job = Job(work, name="autoconfig")
        job.signals.succeeded.connect(self._lookup_done)
        job.signals.failed.connect(self._lookup_failed)
        self._job = job
        self._update_buttons()
        self._runner.submit(job)

    @Slot()
    def cancel_lookup(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None
            self._update_buttons()

    def _current_job(self) -> bool:
        return self._job is not None and self.sender() is self._job.signals

    @Slot(object)
    def _show_status(self, status: SourceStatus) -> None:
        self._set_row(status)

    def _set_row(self, status: SourceStatus) -> None:
        item = self._rows[status.source]
        item.setText(f"{status.source.label}: {status.describe()}")
        item.setIcon(self.style().standardIcon(_STATE_ICONS[status.state]))
        item.setData(Qt.ItemDataRole.UserRole, status.state.value)
        quiet = status.state in (SourceState.PENDING, SourceState.SKIPPED)
        role = QPalette.ColorRole.PlaceholderText if quiet else QPalette.ColorRole.Text
        item.setForeground(self.palette().brush(role))

    @Slot(object)
    def _lookup_done(self, result: AutoconfigResult) -> None:
        if not self._current_job():
            return
        self._job = None
        self._result = result
        for status in result.statuses:
            self._set_row(status)
        self.candidates.blockSignals(True)
        self.candidates.clear()
        for candidate in result.candidates:
            self.candidates.addItem(candidate_label(candidate), candidate)
        self.candidates.blockSignals(False)
        if result.candidates:
            self.candidates.setCurrentIndex(0)
            self._candidate_chosen(0)
        else:
            self._show_notes(list(result.notices) or ["No settings found: fill them in below."])
        self._update_buttons()

    @Slot(object)
    def _lookup_failed(self, error: BaseException) -> None:
        if not self._current_job():
            return
        self._job = None
        if isinstance(error, InputError):
            set_invalid(self.email, error.message, self.email_error)
        elif not isinstance(error, Cancelled):
            self._show_notes(
                [f"The lookup failed ({type(error).__name__}). Fill in the settings below."]
            )
        self._update_buttons()

    # -- candidates -----------------------------------------------------------------------
    @Slot(int)
    def _candidate_chosen(self, index: int) -> None:
        candidate = self.candidates.itemData(index)
        if not isinstance(candidate, Candidate):
            return
        address = self.email.text().strip()
        self.smtp.fill(candidate.smtp, address)
        self.imap.fill(candidate.imap, address)
        notes = list(self._result.notices) if self._result else []
        notes += list(candidate.notes)
        if not candidate.verified and candidate.source is not Source.GUESS:
            notes.append(
                "These settings did not come from a trusted source. Check the server names "
                "before your password is sent there."
            )
        self._show_notes(notes, candidate)
        self._needs_confirm = not candidate.verified and candidate.source is not Source.GUESS
        self.confirm.setChecked(False)
        self.confirm.setVisible(self._needs_confirm)
        self._update_buttons()

    def _show_notes(self, notes: list[str], candidate: Candidate | None = None) -> None:
        parts = [f"<p>{html.escape(n)}</p>" for n in notes]
        if candidate is not None and candidate.help_links:
            links = " · ".join(
                f'<a href="{html.escape(link.url, quote=True)}">{html.escape(link.label)}</a>'
                for link in candidate.help_links
            )
            parts.append(f"<p>{links}</p>")
        self.notes.setText("".join(parts))
        self.notes.setVisible(bool(parts))
        self.notes.fit()

    @Slot(str)
    def _open_link(self, url: str) -> None:
        dialogs.open_url(url)

    # -- finishing ------------------------------------------------------------------------
    def settings_problem(self) -> str | None:
        """What keeps the server settings from being usable (shown under them), or None."""
        smtp_host = self.smtp.host.text().strip()
        problem = host_problem(smtp_host) if smtp_host else None
        imap_host = self.imap.host.text().strip()
        if problem is None and imap_host and host_problem(imap_host):
            problem = f"Receiving server: {host_problem(imap_host)}"
        if problem is None and smtp_host and not self.smtp.username.text().strip():
            problem = "Enter the user name (usually your address)."
        return problem

    @Slot()
    def _update_buttons(self, *_: Any) -> None:
        self.lookup_button.setEnabled(not self.busy)
        self.cancel_lookup_button.setEnabled(self.busy)
        problem = self.settings_problem()
        set_invalid(self.smtp.host, problem, self.smtp_error)
        ready = bool(self.email.text().strip() and self.smtp.host.text().strip()) and not problem
        if self._needs_confirm and not self.confirm.isChecked():
            ready = False
        self.create_button.setEnabled(ready and not self.busy)
        self.create_button.setToolTip(problem or "")

    @Slot()
    def _create(self) -> None:
        try:
            parse_address(self.email.text())
        except InputError as exc:
            set_invalid(self.email, exc.message, self.email_error)
            return
        account, password = self.account(), self.password.text()
        self.accountCreated.emit(account, password)
        if self.test_now.isChecked():
            self.testRequested.emit(account, password)
        self.accept()

    def done(self, result: int) -> None:
        self.cancel_lookup()
        if self._own_runner:
            self._runner.shutdown(timeout_ms=2000)  # the lookup sees the cancel within 50 ms
        super().done(result)
