"""The pages of the connection wizard: settings, the live stage ladder, the result, the certificate.

Pages only show things and forward clicks to the wizard (mailgui.ui.wizard), which owns the
settings being tested, the background jobs and the results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWizardPage,
)

from mailgui.core.accounts import DEFAULT_SMTP_PORTS, Security, ServerSettings
from mailgui.core.diagnosis import Diagnosis
from mailgui.core.discovery import Attempt, DiscoveryResult, Outcome
from mailgui.core.imap import ImapResult
from mailgui.core.probe import ProbeResult, StageEvent, planned_stages
from mailgui.core.smtp_tls import TlsInfo
from mailgui.core.stages import StageResult, StageStatus

if TYPE_CHECKING:
    from mailgui.ui.wizard import ConnectionWizard

STAGE_LABELS = {
    "dns": "Look up the server",
    "connect": "Connect",
    "tls": "Encrypt (TLS)",
    "ehlo": "Greet (EHLO)",
    "starttls": "Encrypt (STARTTLS)",
    "auth": "Sign in",
    "envelope": "Try sender and recipient",
    "data": "Send a test message",
    "quit": "Say goodbye",
    "capability": "Ask what it supports",
    "login": "Sign in",
    "list": "List the folders",
    "inbox": "Count the inbox",
}
SMTP_SECTION = "Outgoing mail (SMTP)"
IMAP_SECTION = "Incoming mail (IMAP)"
_COLORS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "skipped": "#9e9e9e",
    "running": "#1565c0",
    "waiting": "#cfd8dc",
}
_GLYPHS = {"passed": "✓", "failed": "✗", "skipped": "–", "running": "…", "waiting": ""}


def status_icon(status: str) -> QIcon:
    """A small round badge per status, drawn here so it looks the same under every style."""
    pixmap = QPixmap(18, 18)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(_COLORS.get(status, "#9e9e9e")))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, 16, 16)
    painter.setPen(QColor("white"))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(12)
    painter.setFont(font)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, _GLYPHS.get(status, ""))
    painter.end()
    return QIcon(pixmap)


def _wrapping_label(name: str, text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setAccessibleName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _button(name: str, text: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAccessibleName(text.rstrip("…"))
    return button


# -------------------------------------------------------------------------------------------


class SettingsPage(QWizardPage):
    """Prefilled from the account, or just an address and a password."""

    def __init__(self, wizard: ConnectionWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("What to test")
        self.setSubTitle(
            "mailgui checks each step of sending, from finding the server to signing in, "
            "without sending anything (unless you ask for a test message)."
        )
        self.email = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.host = QLineEdit()
        self.host.setPlaceholderText("leave empty to search smtp./mail. of your domain")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.security = QComboBox()
        for mode in Security:
            self.security.addItem(mode.label, mode.value)
        self.username = QLineEdit()
        self.username.setPlaceholderText("usually your full address")
        self.send_test = QCheckBox("Also send a test message to myself")
        self.check_imap = QCheckBox("Also check incoming mail (IMAP)")
        self.check_imap.setToolTip(
            "After sending, test signing in to the incoming mail server too: the account's IMAP "
            "settings, or imap. of your domain on port 993 when it has none."
        )
        self.imap_password = QLineEdit()
        self.imap_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.imap_password.setPlaceholderText("empty: the same password as above")
        for name, widget in (
            ("wizardEmail", self.email),
            ("wizardPassword", self.password),
            ("wizardHost", self.host),
            ("wizardPort", self.port),
            ("wizardSecurity", self.security),
            ("wizardUsername", self.username),
            ("wizardSendTest", self.send_test),
            ("wizardCheckImap", self.check_imap),
            ("wizardImapPassword", self.imap_password),
        ):
            widget.setObjectName(name)
            widget.setAccessibleName(name)
        form = QFormLayout(self)
        form.addRow("Email address:", self.email)
        form.addRow("Password:", self.password)
        form.addRow("SMTP server:", self.host)
        form.addRow("Port:", self.port)
        form.addRow("Security:", self.security)
        form.addRow("User name:", self.username)
        form.addRow("", self.send_test)
        form.addRow("", self.check_imap)
        form.addRow("IMAP password:", self.imap_password)
        self._form = form
        self.check_imap.setChecked(self.wiz.check_imap)
        self.check_imap.toggled.connect(self._imap_toggled)
        self._imap_toggled(self.wiz.check_imap)
        self.security.currentIndexChanged.connect(self._security_changed)
        self.email.textChanged.connect(self.completeChanged)

    def load(self, settings: ServerSettings, email: str, password: str | None) -> None:
        self.email.setText(email)
        self.password.setText(password or "")
        self.host.setText(settings.host)
        self.security.blockSignals(True)
        self.security.setCurrentIndex(max(0, self.security.findData(settings.security.value)))
        self.security.blockSignals(False)
        self.port.setValue(settings.port)
        self.username.setText(settings.username)

    @Slot(bool)
    def _imap_toggled(self, checked: bool) -> None:
        self._form.setRowVisible(self.imap_password, checked)

    @Slot(int)
    def _security_changed(self, _index: int) -> None:
        # Follow the mode with its usual port, unless the user typed an unusual one.
        if self.port.value() in DEFAULT_SMTP_PORTS.values() or self.port.value() == 2525:
            self.port.setValue(DEFAULT_SMTP_PORTS[Security(self.security.currentData())])

    def isComplete(self) -> bool:
        return "@" in self.email.text() or bool(self.host.text().strip())

    def validatePage(self) -> bool:
        self.wiz.take_settings(
            self.wiz.settings.replace(
                host=self.host.text().strip(),
                port=self.port.value(),
                security=Security(self.security.currentData()),
                username=self.username.text().strip() or self.email.text().strip(),
            ),
            email=self.email.text().strip(),
            password=self.password.text() or None,
        )
        return True


# -------------------------------------------------------------------------------------------


class LadderPage(QWizardPage):
    """The stage ladder filling in live, with the transcript beside it."""

    def __init__(self, wizard: ConnectionWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Testing the connection")
        self.setSubTitle("Each step of sending, checked in order. Nothing is sent to anyone.")
        self.rows: dict[str, QTreeWidgetItem] = {}  # SMTP stages
        self.imap_rows: dict[str, QTreeWidgetItem] = {}  # IMAP stages (names overlap SMTP's)
        self.sections: dict[str, QTreeWidgetItem] = {}
        self.running = False
        self.tree = QTreeWidget()
        self.tree.setObjectName("stageList")
        self.tree.setAccessibleName("stageList")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Step", "Time", "Detail"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.status = _wrapping_label("ladderStatus")
        self.transcript = QPlainTextEdit()
        self.transcript.setObjectName("wizardTranscript")
        self.transcript.setAccessibleName("wizardTranscript")
        self.transcript.setReadOnly(True)
        self.transcript.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.transcript.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.stop = _button("wizardStopButton", "Stop")
        self.stop.clicked.connect(self.wiz.cancel_jobs)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.stop)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 3)
        layout.addLayout(row)
        layout.addWidget(QLabel("Conversation with the server (passwords removed):"))
        layout.addWidget(self.transcript, 2)

    def initializePage(self) -> None:
        self.wiz.start_test()

    def reset(self, settings: ServerSettings, imap: ServerSettings | None = None) -> None:
        self.running = True
        self.tree.clear()
        self.rows.clear()
        self.imap_rows.clear()
        self.sections.clear()
        self.transcript.clear()
        self.setSubTitle(
            "Each step of sending, then of receiving, checked in order. Nothing is sent to anyone."
            if imap is not None
            else "Each step of sending, checked in order. Nothing is sent to anyone."
        )
        if imap is not None:
            self._section(SMTP_SECTION, settings)
        for name in planned_stages(settings.security):
            self._row(name).setIcon(0, status_icon("waiting"))
        if imap is not None:
            self._section(IMAP_SECTION, imap)
            for name in planned_stages(imap.security, imap=True):
                self._row(name, self.imap_rows).setIcon(0, status_icon("waiting"))
        where = f"{settings.host}:{settings.port} ({settings.security.label})"
        self.status.setText(f"Testing {where}…" if settings.host else "Searching for the server…")
        self.status.setStyleSheet("")
        self.stop.setEnabled(True)
        self.completeChanged.emit()

    def _section(self, title: str, settings: ServerSettings) -> None:
        """A header row spanning the columns: which server the rows below talk to."""
        where = f"{settings.host}:{settings.port}, {settings.security.label}"
        item = QTreeWidgetItem([f"{title}  ·  {where}" if settings.host else title])
        item.setData(0, Qt.ItemDataRole.UserRole, "section")
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        item.setBackground(0, QColor("#e3eaf0"))  # sets the section apart from its stage rows
        self.tree.addTopLevelItem(item)
        item.setFirstColumnSpanned(True)
        self.sections[title] = item

    def _row(self, name: str, rows: dict[str, QTreeWidgetItem] | None = None) -> QTreeWidgetItem:
        rows = self.rows if rows is None else rows
        item = rows.get(name)
        if item is None:
            item = QTreeWidgetItem([STAGE_LABELS.get(name, name), "", ""])
            item.setData(0, Qt.ItemDataRole.UserRole, name)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if rows is self.rows and self.imap_rows:  # keep SMTP rows above the IMAP section
                self.tree.insertTopLevelItem(
                    self.tree.indexOfTopLevelItem(self.sections[IMAP_SECTION]), item
                )
            else:
                self.tree.addTopLevelItem(item)
            rows[name] = item
        return item

    def on_stage(self, event: StageEvent) -> None:
        self._show_stage(self._row(event.name), event.result)

    def on_imap_stage(self, name: str, result: StageResult | None) -> None:
        self._show_stage(self._row(name, self.imap_rows), result)

    def _show_stage(self, item: QTreeWidgetItem, result: StageResult | None) -> None:
        if result is None:
            item.setIcon(0, status_icon("running"))
            item.setText(2, "…")
            return
        item.setIcon(0, status_icon(result.status.value))
        item.setText(1, f"{result.duration_ms:.0f} ms" if result.status != "skipped" else "")
        item.setText(2, result.detail)
        item.setToolTip(2, result.detail)
        item.setData(1, Qt.ItemDataRole.UserRole, result.status.value)

    def on_line(self, line: str) -> None:
        self.transcript.appendPlainText(line)

    def finish(
        self,
        result: ProbeResult | None,
        error: BaseException | None = None,
        *,
        imap: ImapResult | None = None,
    ) -> None:
        self.running = False
        bar = self.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())  # end on the last reply, where a failure shows
        self.stop.setEnabled(False)
        for item in [*self.rows.values(), *self.imap_rows.values()]:  # never ran: stays grey
            if not item.data(1, Qt.ItemDataRole.UserRole):
                item.setIcon(0, status_icon("waiting"))
                item.setText(2, "not run")
        if result is None:
            self.status.setText(f"The test could not run: {error}")
            self.status.setStyleSheet(f"color: {_COLORS['failed']}")
        elif result.ok and imap is not None and not imap.ok:
            title = imap.diagnosis.title if imap.diagnosis else "failed"
            label = STAGE_LABELS.get(imap.failed_stage or "", imap.failed_stage or "")
            self.status.setText(
                f"Sending works. Incoming mail stopped at “{label}”: {title}. "
                "Press Next for what to do."
            )
            self.status.setStyleSheet(f"color: {_COLORS['failed']}; font-weight: bold")
        elif result.ok:
            total = sum(s.duration_ms for s in [*result.stages, *(imap.stages if imap else [])])
            self.status.setText(f"Every step passed ({total:.0f} ms). Press Next for details.")
            self.status.setStyleSheet(f"color: {_COLORS['passed']}; font-weight: bold")
        else:
            title = result.diagnosis.title if result.diagnosis else "failed"
            label = STAGE_LABELS.get(result.failed_stage or "", result.failed_stage or "")
            self.status.setText(f"Stopped at “{label}”: {title}. Press Next for what to do.")
            self.status.setStyleSheet(f"color: {_COLORS['failed']}; font-weight: bold")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.running and self.wiz.probe_result is not None


# -------------------------------------------------------------------------------------------


class ResultPage(QWizardPage):
    """The diagnosis and its fixes, the certificate offer, the search for working settings."""

    def __init__(self, wizard: ConnectionWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Result")
        self.setSubTitle("What happened, and what to do about it.")
        self.title = _wrapping_label("resultTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.explanation = _wrapping_label("resultExplanation")
        self.fixes = _wrapping_label("resultFixes")
        self.fixes.setTextFormat(Qt.TextFormat.RichText)
        self.reply = _wrapping_label("resultServerReply")
        self.reply.setStyleSheet("color: #555")

        self.cert_box = QGroupBox("Certificate")
        self.cert_text = _wrapping_label("resultCertificate")
        self.trust = _button("trustCertificateButton", "Trust this certificate…")
        self.trust.clicked.connect(self.wiz.show_certificate)
        self.use_host = _button("useCertificateHostButton", "Use this name")
        self.use_host.clicked.connect(self.wiz.use_suggested_host)
        cert_row = QHBoxLayout()
        cert_row.addWidget(self.cert_text, 1)
        cert_row.addWidget(self.use_host)
        cert_row.addWidget(self.trust)
        self.cert_box.setLayout(cert_row)

        self.imap_box = QGroupBox(IMAP_SECTION)
        self.imap_box.setObjectName("imapResultBox")
        self.imap_title = _wrapping_label("imapResultTitle")
        bold = self.imap_title.font()
        bold.setBold(True)
        self.imap_title.setFont(bold)
        self.imap_explanation = _wrapping_label("imapResultExplanation")
        self.imap_fixes = _wrapping_label("imapResultFixes")
        self.imap_fixes.setTextFormat(Qt.TextFormat.RichText)
        self.imap_reply = _wrapping_label("imapResultServerReply")
        self.imap_reply.setStyleSheet("color: #555")
        imap_layout = QVBoxLayout()
        for label in (self.imap_title, self.imap_explanation, self.imap_fixes, self.imap_reply):
            imap_layout.addWidget(label)
        self.imap_box.setLayout(imap_layout)
        self.imap_box.hide()

        self.search_box = QGroupBox("Working settings")
        self.find = _button("findSettingsButton", "Find working settings")
        self.find.clicked.connect(self.wiz.start_discovery)
        self.search_status = _wrapping_label("discoveryStatus")
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("discoveryTable")
        self.table.setAccessibleName("discoveryTable")
        self.table.setHorizontalHeaderLabels(["Server", "Port", "Security", "Result", "Detail"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.recommended = _wrapping_label("discoveryRecommendation")
        self.apply_recommended = _button("applyRecommendedButton", "Apply to account")
        self.apply_recommended.clicked.connect(self.wiz.apply_recommended)
        self.test_recommended = _button("testRecommendedButton", "Test these settings")
        self.test_recommended.clicked.connect(self.wiz.test_recommended)
        top = QHBoxLayout()
        top.addWidget(self.search_status, 1)
        top.addWidget(self.find)
        bottom = QHBoxLayout()
        bottom.addWidget(self.recommended, 1)
        bottom.addWidget(self.test_recommended)
        bottom.addWidget(self.apply_recommended)
        search_layout = QVBoxLayout()
        search_layout.addLayout(top)
        search_layout.addWidget(self.table)
        search_layout.addLayout(bottom)
        self.search_box.setLayout(search_layout)

        self.apply = _button("applyButton", "Apply to account")
        self.apply.clicked.connect(self.wiz.apply_current)
        self.copy = _button("copyReportButton", "Copy report")
        self.copy.clicked.connect(self.wiz.copy_report)
        self.save = _button("saveReportButton", "Save report…")
        self.save.clicked.connect(self.wiz.ask_report_path)
        actions = QHBoxLayout()
        actions.addWidget(self.apply)
        actions.addStretch(1)
        actions.addWidget(self.copy)
        actions.addWidget(self.save)

        layout = self._layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.explanation)
        layout.addWidget(self.fixes)
        layout.addWidget(self.reply)
        layout.addWidget(self.cert_box)
        layout.addWidget(self.imap_box)
        layout.addWidget(self.search_box, 1)
        layout.addStretch(0)  # takes the spare height while the search box is small
        layout.addLayout(actions)

    def initializePage(self) -> None:
        self.refresh()
        if self.wiz.should_discover():
            self.wiz.start_discovery()

    def nextId(self) -> int:
        from mailgui.ui.wizard import ConnectionWizard

        return ConnectionWizard.CERTIFICATE if self.wiz.untrusted_certificate() else -1

    def refresh(self) -> None:
        result = self.wiz.probe_result
        if result is None:
            return
        diagnosis = result.diagnosis
        if result.ok:
            where = (
                f"{result.settings.host}:{result.settings.port} {result.settings.security.label}"
            )
            self.title.setText("Everything works")
            self.title.setStyleSheet(f"color: {_COLORS['passed']}")
            caps = result.capabilities.summary() if result.capabilities else ""
            self.explanation.setText(f"{where} accepted every step. Server offers: {caps}.")
            self.fixes.setText("")
            self.reply.setText("")
            imap = self.wiz.imap_result
            if imap is not None and not imap.ok:
                self.title.setText("Sending works; incoming mail does not")
                self.title.setStyleSheet(f"color: {_COLORS['failed']}")
        elif diagnosis is not None:
            self.title.setStyleSheet(f"color: {_COLORS['failed']}")
            _show_diagnosis(diagnosis, self.title, self.explanation, self.fixes, self.reply)
        self.reply.setVisible(bool(self.reply.text()))
        self.fixes.setVisible(bool(self.fixes.text()))
        self.refresh_imap()
        cert = result.certificate if result.certificate_untrusted else None
        self.cert_box.setVisible(cert is not None)
        if cert is not None:
            names = ", ".join(cert.names) or "no names"
            self.cert_text.setText(
                f"The server showed a certificate for {names}, issued by "
                f"{cert.issuer or 'an unknown issuer'}, which could not be verified."
            )
            suggested = result.suggested_host
            self.use_host.setVisible(bool(suggested))
            self.use_host.setText(f"Use {suggested}" if suggested else "Use this name")
        self.apply.setVisible(self.wiz.can_apply_current())
        self.refresh_discovery()

    def refresh_imap(self) -> None:
        """The IMAP ladder's outcome, explained the same way as the SMTP one."""
        imap: ImapResult | None = self.wiz.imap_result
        self.imap_box.setVisible(imap is not None)
        if imap is None:
            return
        labels = (self.imap_title, self.imap_explanation, self.imap_fixes, self.imap_reply)
        if imap.ok:
            count = imap.inbox_messages
            self.imap_title.setText("Incoming mail works")
            self.imap_title.setStyleSheet(f"color: {_COLORS['passed']}")
            self.imap_explanation.setText(
                f"Signed in and found {len(imap.mailboxes)} folders"
                + (f", {count} messages in the inbox." if count is not None else ".")
            )
            self.imap_fixes.setText("")
            self.imap_reply.setText("")
        elif imap.diagnosis is not None:
            self.imap_title.setStyleSheet(f"color: {_COLORS['failed']}")
            _show_diagnosis(imap.diagnosis, *labels)
        for label in labels[2:]:
            label.setVisible(bool(label.text()))

    def refresh_discovery(self) -> None:
        running = self.wiz.discovery_running
        found: DiscoveryResult | None = self.wiz.discovery
        self.find.setEnabled(not running)
        shown = running or found is not None
        self.table.setVisible(shown)
        # The search box takes the spare height only when it has a table to show.
        self._layout.setStretchFactor(self.search_box, 1 if shown else 0)
        self._layout.setStretch(self._layout.indexOf(self.search_box) + 1, 0 if shown else 1)
        if running:
            self.search_status.setText("Trying the usual ports in parallel…")
        elif found is None:
            self.search_status.setText(
                "Try every usual port and security mode at once and pick what works."
            )
            self.table.setRowCount(0)
            self.table.setVisible(False)
        else:
            self.search_status.setText(
                f"Tried {len(found.attempts)} combinations in {found.elapsed_ms / 1000:.1f} s."
            )
            self.table.setRowCount(0)
            for attempt in found.attempts:
                self.add_attempt(attempt)
        best = found.best if found and not running else None
        if best is not None:
            c = best.candidate
            note = (
                " The server refused the password there, though."
                if best.outcome is Outcome.AUTH_FAILED
                else ""
            )
            self.recommended.setText(
                f"<b>Recommended:</b> {c.host}, port {c.port}, {c.security.label}.{note}"
            )
        elif found is not None and not running:
            self.recommended.setText("Nothing worked; each row says why.")
        else:
            self.recommended.setText("")
        self.apply_recommended.setVisible(best is not None)
        self.test_recommended.setVisible(best is not None)

    def add_attempt(self, attempt: Attempt) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        c = attempt.candidate
        works = attempt.outcome is Outcome.WORKS
        detail = "" if attempt.detail in attempt.outcome.label else attempt.detail
        cells = [c.host, str(c.port), c.security.label, attempt.outcome.label, detail]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if column == 3:
                item.setIcon(status_icon("passed" if works else "failed"))
            self.table.setItem(row, column, item)


def _html(text: str) -> str:
    import html

    return html.escape(text)


def _show_diagnosis(
    diagnosis: Diagnosis, title: QLabel, explanation: QLabel, fixes: QLabel, reply: QLabel
) -> None:
    title.setText(diagnosis.title)
    explanation.setText(diagnosis.explanation)
    items = "".join(f"<li>{_html(fix)}</li>" for fix in diagnosis.fixes)
    fixes.setText(f"<b>What to try:</b><ol>{items}</ol>" if items else "")
    server = diagnosis.server_reply or ""
    reply.setText(f"The server said: {server}" if server else "")


# -------------------------------------------------------------------------------------------


class CertificatePage(QWizardPage):
    """The whole certificate, and the choice to trust exactly it for this host and port."""

    def __init__(self, wizard: ConnectionWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Check the server's certificate")
        self.setSubTitle(
            "Your system does not trust this certificate. Trust it only if you know this server "
            "(your own, a company server, a local bridge) and the fingerprint below matches the "
            "one your provider or administrator gives you."
        )
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, label in (
            ("where", "Server"),
            ("problem", "Problem"),
            ("subject", "Subject"),
            ("names", "Valid for"),
            ("issuer", "Issued by"),
            ("not_before", "Valid from"),
            ("not_after", "Valid until"),
            ("sha256", "SHA-256 fingerprint"),
        ):
            value = _wrapping_label(f"cert_{key}")
            self.fields[key] = value
            form.addRow(f"{label}:", value)
        self.fields["sha256"].setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.confirm = QCheckBox()
        self.confirm.setObjectName("trustConfirm")
        self.confirm.setAccessibleName("trustConfirm")
        self.trust = _button("trustAndTestButton", "Trust and test again")
        self.trust.setEnabled(False)
        self.confirm.toggled.connect(self.trust.setEnabled)
        self.trust.clicked.connect(self.wiz.trust_certificate)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(self.confirm)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.trust)
        layout.addLayout(row)
        layout.addStretch(1)

    def initializePage(self) -> None:
        result = self.wiz.probe_result
        cert: TlsInfo | None = result.certificate if result else None
        if result is None or cert is None:
            return
        s = result.settings
        problem = result.diagnosis.title if result.diagnosis else "not verified"
        values = {
            "where": f"{s.host}, port {s.port} ({s.security.label})",
            "problem": problem,
            "subject": cert.subject or "-",
            "names": ", ".join(cert.names) or "-",
            "issuer": cert.issuer or "-",
            "not_before": cert.not_before or "-",
            "not_after": cert.not_after or "-",
            "sha256": _grouped(cert.sha256_colons),
        }
        for key, value in values.items():
            self.fields[key].setText(value)
        self.confirm.setChecked(False)
        self.confirm.setText(
            f"I checked the fingerprint: trust exactly this certificate for {s.host} port {s.port}"
        )


def _grouped(colons: str) -> str:
    """Fingerprint in two lines of 16 bytes, easier to compare by eye."""
    parts = colons.split(":")
    return "\n".join(":".join(parts[i : i + 16]) for i in range(0, len(parts), 16))


def status_of(item: QTreeWidgetItem) -> str | None:
    """The status a ladder row shows (for tests and accessibility)."""
    value = item.data(1, Qt.ItemDataRole.UserRole)
    return str(value) if value else None


__all__ = [
    "CertificatePage",
    "LadderPage",
    "ResultPage",
    "SettingsPage",
    "StageStatus",
    "status_icon",
    "status_of",
]
