"""The pages of the connection wizard: settings, the live stage ladder, the result, the certificate.

Pages only show things and forward clicks to the wizard (mailgui.ui.wizard), which owns the
settings being tested, the background jobs and the results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWizardPage,
)

from mailgui.core.accounts import DEFAULT_SMTP_PORTS, Security, ServerSettings
from mailgui.core.imap import ImapResult
from mailgui.core.probe import ProbeResult, StageEvent, planned_stages
from mailgui.core.stages import StageResult, StageStatus
from mailgui.ui.wizard_certificate import CertificatePage
from mailgui.ui.wizard_result import ResultPage
from mailgui.ui.wizard_widgets import (
    IMAP_SECTION,
    SMTP_SECTION,
    STAGE_LABELS,
    STATUS_COLORS,
    make_button,
    status_icon,
    status_of,
    wrapping_label,
)

if TYPE_CHECKING:
    from mailgui.ui.wizard import ConnectionWizard


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
        self.status = wrapping_label("ladderStatus")
        self.transcript = QPlainTextEdit()
        self.transcript.setObjectName("wizardTranscript")
        self.transcript.setAccessibleName("wizardTranscript")
        self.transcript.setReadOnly(True)
        self.transcript.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.transcript.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.stop = make_button("wizardStopButton", "Stop")
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
            self.status.setStyleSheet(f"color: {STATUS_COLORS['failed']}")
        elif result.ok and imap is not None and not imap.ok:
            title = imap.diagnosis.title if imap.diagnosis else "failed"
            label = STAGE_LABELS.get(imap.failed_stage or "", imap.failed_stage or "")
            self.status.setText(
                f"Sending works. Incoming mail stopped at “{label}”: {title}. "
                "Press Next for what to do."
            )
            self.status.setStyleSheet(f"color: {STATUS_COLORS['failed']}; font-weight: bold")
        elif result.ok:
            total = sum(s.duration_ms for s in [*result.stages, *(imap.stages if imap else [])])
            self.status.setText(f"Every step passed ({total:.0f} ms). Press Next for details.")
            self.status.setStyleSheet(f"color: {STATUS_COLORS['passed']}; font-weight: bold")
        else:
            title = result.diagnosis.title if result.diagnosis else "failed"
            label = STAGE_LABELS.get(result.failed_stage or "", result.failed_stage or "")
            self.status.setText(f"Stopped at “{label}”: {title}. Press Next for what to do.")
            self.status.setStyleSheet(f"color: {STATUS_COLORS['failed']}; font-weight: bold")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.running and self.wiz.probe_result is not None


__all__ = [
    "IMAP_SECTION",
    "SMTP_SECTION",
    "STAGE_LABELS",
    "CertificatePage",
    "LadderPage",
    "ResultPage",
    "SettingsPage",
    "StageStatus",
    "status_icon",
    "status_of",
]
