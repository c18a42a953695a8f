"""The connection wizard's result page: what failed and why, and the search for settings that
work (each attempt listed as it comes in)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWizardPage,
)

from mailgui.core.discovery import Attempt, DiscoveryResult, Outcome
from mailgui.core.imap import ImapResult
from mailgui.ui.wizard_widgets import (
    IMAP_SECTION,
    STATUS_COLORS,
    make_button,
    show_diagnosis,
    status_icon,
    wrapping_label,
)

if TYPE_CHECKING:
    from mailgui.ui.wizard import ConnectionWizard


class ResultPage(QWizardPage):
    """The diagnosis and its fixes, the certificate offer, the search for working settings."""

    def __init__(self, wizard: ConnectionWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Result")
        self.setSubTitle("What happened, and what to do about it.")
        self.title = wrapping_label("resultTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.explanation = wrapping_label("resultExplanation")
        self.fixes = wrapping_label("resultFixes")
        self.fixes.setTextFormat(Qt.TextFormat.RichText)
        self.reply = wrapping_label("resultServerReply")
        self.reply.setStyleSheet("color: #555")
        self.trust_note = wrapping_label("trustSavedNote")
        self.trust_note.hide()

        self.cert_box = QGroupBox("Certificate")
        self.cert_text = wrapping_label("resultCertificate")
        self.trust = make_button("trustCertificateButton", "Trust this certificate…")
        self.trust.clicked.connect(self.wiz.show_certificate)
        self.use_host = make_button("useCertificateHostButton", "Use this name")
        self.use_host.clicked.connect(self.wiz.use_suggested_host)
        cert_row = QHBoxLayout()
        cert_row.addWidget(self.cert_text, 1)
        cert_row.addWidget(self.use_host)
        cert_row.addWidget(self.trust)
        self.cert_box.setLayout(cert_row)

        self.imap_box = QGroupBox(IMAP_SECTION)
        self.imap_box.setObjectName("imapResultBox")
        self.imap_title = wrapping_label("imapResultTitle")
        bold = self.imap_title.font()
        bold.setBold(True)
        self.imap_title.setFont(bold)
        self.imap_explanation = wrapping_label("imapResultExplanation")
        self.imap_fixes = wrapping_label("imapResultFixes")
        self.imap_fixes.setTextFormat(Qt.TextFormat.RichText)
        self.imap_reply = wrapping_label("imapResultServerReply")
        self.imap_reply.setStyleSheet("color: #555")
        imap_layout = QVBoxLayout()
        for label in (self.imap_title, self.imap_explanation, self.imap_fixes, self.imap_reply):
            imap_layout.addWidget(label)
        self.imap_box.setLayout(imap_layout)
        self.imap_box.hide()

        self.search_box = QGroupBox("Working settings")
        self.find = make_button("findSettingsButton", "Find working settings")
        self.find.clicked.connect(self.wiz.start_discovery)
        self.search_status = wrapping_label("discoveryStatus")
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
        self.recommended = wrapping_label("discoveryRecommendation")
        self.apply_recommended = make_button("applyRecommendedButton", "Apply to account")
        self.apply_recommended.clicked.connect(self.wiz.apply_recommended)
        self.test_recommended = make_button("testRecommendedButton", "Test these settings")
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

        self.apply = make_button("applyButton", "Apply to account")
        self.apply.clicked.connect(self.wiz.apply_current)
        self.copy = make_button("copyReportButton", "Copy report")
        self.copy.clicked.connect(self.wiz.copy_report)
        self.save = make_button("saveReportButton", "Save report…")
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
        layout.addWidget(self.trust_note)
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
            self.title.setStyleSheet(f"color: {STATUS_COLORS['passed']}")
            caps = result.capabilities.summary() if result.capabilities else ""
            self.explanation.setText(f"{where} accepted every step. Server offers: {caps}.")
            self.fixes.setText("")
            self.reply.setText("")
            imap = self.wiz.imap_result
            if imap is not None and not imap.ok:
                self.title.setText("Sending works; incoming mail does not")
                self.title.setStyleSheet(f"color: {STATUS_COLORS['failed']}")
        elif diagnosis is not None:
            self.title.setStyleSheet(f"color: {STATUS_COLORS['failed']}")
            show_diagnosis(diagnosis, self.title, self.explanation, self.fixes, self.reply)
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
        self.apply.setText(self.wiz.apply_label())
        self.refresh_trust_note()
        self.refresh_discovery()

    def refresh_trust_note(self) -> None:
        """Whether the certificate trusted in this wizard is kept with the account already."""
        result, wiz = self.wiz.probe_result, self.wiz
        pin = result.settings.pinned_sha256 if result is not None else None
        if result is None or wiz.trusted_pin is None or pin != wiz.trusted_pin:
            self.trust_note.hide()
            return
        where = f"{result.settings.host}:{result.settings.port}"
        if wiz.pin_saved_for == (result.settings.host, result.settings.port):
            self.trust_note.setText(f"Trusted and saved for {where}.")
        else:
            keep = wiz.apply_label()
            self.trust_note.setText(f"Trusted for {where} in this test only: “{keep}” keeps it.")
        self.trust_note.show()

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
            self.imap_title.setStyleSheet(f"color: {STATUS_COLORS['passed']}")
            self.imap_explanation.setText(
                f"Signed in and found {len(imap.mailboxes)} folders"
                + (f", {count} messages in the inbox." if count is not None else ".")
            )
            self.imap_fixes.setText("")
            self.imap_reply.setText("")
        elif imap.diagnosis is not None:
            self.imap_title.setStyleSheet(f"color: {STATUS_COLORS['failed']}")
            show_diagnosis(imap.diagnosis, *labels)
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
