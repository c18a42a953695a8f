"""The connection wizard: test an account step by step, explain the failure, find settings.

`ConnectionWizard(account, password, parent)`; `applyToAccount(Account, password)` carries the
updated account (new SMTP settings, a pinned certificate) and a corrected password ("" when
unchanged) for the main window to save; `pinTrusted(Account)` says a certificate was trusted,
so the window can store the pin with the saved account at once. After the SMTP
ladder the IMAP ladder runs too when "Also check incoming mail" is ticked. Network work
runs on the house job pool (mailgui.ui.jobs); stage events, transcript lines and discovery
verdicts cross to the GUI thread as queued signals and land in @Slot methods here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget, QWizard

if TYPE_CHECKING:
    from mailgui.core.diagnosis import Diagnosis
    from mailgui.core.smtp import TlsInfo

from mailgui.core.accounts import Account, AuthMethod, ServerSettings
from mailgui.core.discovery import (
    DEFAULT_PORTS,
    Attempt,
    DiscoveryResult,
    Outcome,
    PortChoice,
    discover,
)
from mailgui.core.imap import ImapResult, check_imap
from mailgui.core.probe import (
    MX_TIMEOUT,
    LiveTranscript,
    ProbeResult,
    StageEvent,
    run_ladder,
    trust_certificate,
)
from mailgui.core.report import build_report, format_for_path, render
from mailgui.core.transcript import Transcript
from mailgui.ui.jobs import Job, JobContext, JobRunner
from mailgui.ui.wizard_pages import CertificatePage, LadderPage, ResultPage, SettingsPage


class _Signals(QObject):
    """Lives in the GUI thread; emitted from pool threads, so delivery is queued."""

    stage = Signal(object)  # StageEvent
    line = Signal(str)  # one redacted transcript line
    attempt = Signal(object)  # a discovery Attempt as it comes in
    imap_stage = Signal(str, object)  # IMAP stage name, StageResult (None: started)


class ConnectionWizard(QWizard):
    SETTINGS, TEST, RESULT, CERTIFICATE = range(4)

    applyToAccount = Signal(object, str)  # the updated Account, a new password ("": unchanged)
    pinTrusted = Signal(object)  # the Account with the certificate just trusted pinned
    testFinished = Signal(object)  # ProbeResult (for tests and the status bar)
    discoveryFinished = Signal(object)  # DiscoveryResult

    def __init__(
        self, account: Account | None, password: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("connectionWizard")
        self.setAccessibleName("connectionWizard")
        self.setWindowTitle("Connection test")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.resize(820, 640)
        self.account = account
        self.password = password
        self.original_password = password
        self.tested_password: str | None = None  # what the last ladder signed in with
        self.trusted_pin: str | None = None  # trusted in this wizard (a SHA-256)
        self.pin_saved_for: tuple[str, int] | None = None  # stored with the account by the window
        self.email = account.email if account else ""
        self.original = account.smtp if account else ServerSettings(host="")
        self.settings = self.original
        # Knobs (tests shorten them and map the discovery roles to ephemeral ports).
        self.timeout = 15.0
        self.mx_timeout = MX_TIMEOUT
        self.discovery_timeout = 5.0
        self.discovery_time_limit: float | None = None
        self.discovery_ports: list[PortChoice] = list(DEFAULT_PORTS)
        self.discovery_hosts: list[str] | None = None
        self.send_test = False
        self.check_imap = account is not None and account.imap is not None
        self.imap_password: str | None = None  # None: the same password as for SMTP
        # Opened from "Trust certificate…": trusting pins and closes, nothing is tested again.
        self.pin_only = False

        self.probe_result: ProbeResult | None = None
        self.imap_result: ImapResult | None = None
        self.discovery: DiscoveryResult | None = None
        self.discovery_running = False
        self._test_job: Job | None = None
        self._discovery_job: Job | None = None
        self.runner = JobRunner(self)
        self.signals = _Signals(self)
        self.signals.stage.connect(self._on_stage)
        self.signals.line.connect(self._on_line)
        self.signals.attempt.connect(self._on_attempt)
        self.signals.imap_stage.connect(self._on_imap_stage)

        self.settings_page = SettingsPage(self)
        self.ladder_page = LadderPage(self)
        self.result_page = ResultPage(self)
        self.certificate_page = CertificatePage(self)
        self.setPage(self.SETTINGS, self.settings_page)
        self.setPage(self.TEST, self.ladder_page)
        self.setPage(self.RESULT, self.result_page)
        self.setPage(self.CERTIFICATE, self.certificate_page)
        self.settings_page.load(self.settings, self.email, password)
        self.finished.connect(self._shutdown)

    # -- settings -------------------------------------------------------------------------
    def take_settings(self, settings: ServerSettings, *, email: str, password: str | None) -> None:
        """What the settings page says (called when leaving it)."""
        if password and settings.auth is AuthMethod.NONE:
            settings = settings.replace(auth=AuthMethod.PASSWORD)
        if settings.host != self.settings.host or settings.port != self.settings.port:
            settings = settings.replace(pinned_sha256=None)  # a pin belongs to one endpoint
        self.settings = settings
        self.email = email
        self.password = password
        self.send_test = self.settings_page.send_test.isChecked()
        self.check_imap = self.settings_page.check_imap.isChecked()
        self.imap_password = self.settings_page.imap_password.text() or None

    def imap_settings(self) -> ServerSettings | None:
        """What the IMAP ladder tests: the account's IMAP settings, or a guess from SMTP."""
        if not self.check_imap:
            return None
        from mailgui.core.imap import imap_settings_for

        settings = imap_settings_for(self.updated_account(self.settings))
        return settings if settings.host else None

    def updated_account(self, settings: ServerSettings) -> Account:
        if self.account is not None:
            return self.account.replace(smtp=settings, email=self.email or self.account.email)
        return Account(name=self.email or settings.host, email=self.email, smtp=settings)

    # -- the ladder -----------------------------------------------------------------------
    @Slot()
    def start_test(self) -> None:
        """Run the ladder for the current settings on a pool thread."""
        self.cancel_jobs()
        self.probe_result = None
        self.imap_result = None
        imap = self.imap_settings()
        self.ladder_page.reset(self.settings, imap)
        settings, password, email = self.settings, self.password, self.email or None
        self.tested_password = password
        imap_password = self.imap_password or password
        signals, send_test = self.signals, self.send_test
        timeout, mx_timeout = self.timeout, self.mx_timeout
        search = self._discovery_call()

        def work(context: JobContext) -> tuple[ProbeResult, DiscoveryResult | None, Any]:
            nonlocal settings
            transcript = LiveTranscript(signals.line.emit)
            found = None
            if not settings.host:  # only an address: search first, then test the winner
                found = search(context)
                first = found.attempts[0].candidate.host if found.attempts else ""
                settings = found.settings or settings.replace(host=first)
            smtp = run_ladder(
                settings,
                password,
                email=email,
                timeout=timeout,
                cancel=context.cancel,
                on_event=signals.stage.emit,
                transcript=transcript,
                send_test=send_test,
                mx_timeout=mx_timeout,
            )
            incoming = None
            if imap is not None and not smtp.cancelled:  # a failed SMTP says nothing of IMAP
                signals.line.emit(f"* Incoming mail (IMAP): {imap.host}:{imap.port}")
                incoming = check_imap(
                    imap,
                    imap_password,
                    email=email,
                    timeout=timeout,
                    cancel=context.cancel,
                    transcript=LiveTranscript(signals.line.emit),
                    on_stage=signals.imap_stage.emit,
                )
            return smtp, found, incoming

        job = Job(work, "connection test")
        job.signals.succeeded.connect(self._test_done)
        job.signals.failed.connect(self._test_failed)
        self._test_job = job
        self.runner.submit(job)

    @Slot(object)
    def _on_stage(self, event: StageEvent) -> None:
        self.ladder_page.on_stage(event)

    @Slot(str, object)
    def _on_imap_stage(self, name: str, result: Any) -> None:
        self.ladder_page.on_imap_stage(name, result)

    @Slot(str)
    def _on_line(self, line: str) -> None:
        self.ladder_page.on_line(line)

    @Slot(object)
    def _test_done(self, outcome: tuple[ProbeResult, DiscoveryResult | None, Any]) -> None:
        result, found, incoming = outcome
        if found is not None:
            self.discovery = found
        self._test_job = None
        self.probe_result = result
        self.imap_result = incoming
        self.settings = result.settings
        self.ladder_page.finish(result, imap=incoming)
        if self.currentId() == self.RESULT:
            self.result_page.refresh()
        self.testFinished.emit(result)

    @Slot(object)
    def _test_failed(self, error: BaseException) -> None:
        # run_ladder never raises; this is a bug path, still shown rather than swallowed.
        self._test_job = None
        self.ladder_page.finish(None, error)

    def rerun(self, settings: ServerSettings) -> None:
        """Test `settings` again: back to the ladder page, start over."""
        self.settings = settings
        self.settings_page.load(settings, self.email, self.password)
        while self.currentId() not in (self.TEST, self.SETTINGS, -1):
            self.back()
        if self.currentId() == self.TEST:
            self.start_test()
        else:
            self.next()  # entering the ladder page starts the test

    # -- discovery ------------------------------------------------------------------------
    def should_discover(self) -> bool:
        result = self.probe_result
        return bool(
            result is not None
            and result.worth_discovery
            and self.discovery is None
            and not self.discovery_running
        )

    def _discovery_call(self) -> Any:
        base = self.settings
        email, password = self.email or None, self.password
        hosts, ports = self.discovery_hosts, list(self.discovery_ports)
        timeout, limit = self.discovery_timeout, self.discovery_time_limit
        signals = self.signals

        def search(context: JobContext) -> DiscoveryResult:
            return discover(
                base,
                email=email,
                password=password,
                hosts=hosts,
                ports=ports,
                allow_plain=base.allow_insecure_auth,
                timeout=timeout,
                time_limit=limit,
                cancel=context.cancel,
                on_attempt=signals.attempt.emit,
            )

        return search

    @Slot()
    def start_discovery(self) -> None:
        if self.discovery_running:
            return
        self.discovery = None
        self.discovery_running = True
        self.result_page.refresh_discovery()
        self.result_page.table.setRowCount(0)
        job = Job(self._discovery_call(), "find working settings")
        job.signals.succeeded.connect(self._discovery_done)
        job.signals.failed.connect(self._discovery_failed)
        self._discovery_job = job
        self.runner.submit(job)

    @Slot(object)
    def _on_attempt(self, attempt: Attempt) -> None:
        if self.discovery_running:
            self.result_page.add_attempt(attempt)

    @Slot(object)
    def _discovery_done(self, result: DiscoveryResult) -> None:
        self._discovery_job = None
        self.discovery_running = False
        self.discovery = result
        self.result_page.refresh_discovery()
        self.discoveryFinished.emit(result)

    @Slot(object)
    def _discovery_failed(self, error: BaseException) -> None:
        self._discovery_job = None
        self.discovery_running = False
        self.result_page.refresh_discovery()
        self.result_page.search_status.setText(f"The search could not run: {error}")

    @Slot()
    def apply_recommended(self) -> None:
        if self.discovery is not None and self.discovery.settings is not None:
            best = self.discovery.best
            works = best is not None and best.outcome is Outcome.WORKS
            changed = works and self.password_changed(self.password or "")
            password = (self.password or "") if changed else ""
            self.applyToAccount.emit(self.updated_account(self.discovery.settings), password)

    @Slot()
    def test_recommended(self) -> None:
        if self.discovery is not None and self.discovery.settings is not None:
            self.rerun(self.discovery.settings)

    # -- certificates ---------------------------------------------------------------------
    def untrusted_certificate(self) -> bool:
        return bool(self.probe_result and self.probe_result.certificate_untrusted)

    @Slot()
    def show_certificate(self) -> None:
        if self.untrusted_certificate() and self.currentId() == self.RESULT:
            self.next()

    def start_on_certificate(self, certificate: TlsInfo, diagnosis: Diagnosis | None) -> None:
        """Open straight on the certificate page with what a failed send saw (before open()).

        The failed session already holds the certificate, so no new connection is needed; a
        re-test could even pass (a one-shot sandbox failure) and leave nothing to pin.
        """
        self.probe_result = ProbeResult(
            ok=False,
            settings=self.settings,
            email=self.email or None,
            stages=[],
            transcript=Transcript(),
            certificate=certificate,
            diagnosis=diagnosis,
            failed_stage="tls",
        )
        self.pin_only = True
        self.certificate_page.trust.setText("Trust this certificate")
        self.setStartId(self.CERTIFICATE)

    @Slot()
    def trust_certificate(self) -> None:
        result = self.probe_result
        if result is None or result.certificate is None:
            return
        pinned = trust_certificate(result.settings, result.certificate)
        if self.pin_only:
            self.settings = pinned
            self.applyToAccount.emit(self.updated_account(pinned), "")
            self.accept()
            return
        self.trusted_pin = pinned.pinned_sha256
        # The window stores the pin with a saved account now and calls pin_saved(): trusting
        # must not depend on also finding "Apply to account" before Finish.
        self.pinTrusted.emit(self.updated_account(pinned))
        self.rerun(pinned)

    def pin_saved(self, settings: ServerSettings) -> None:
        """The window stored `settings.pinned_sha256` with the account (host and port)."""
        self.pin_saved_for = (settings.host, settings.port)
        same = (self.original.host, self.original.port) == self.pin_saved_for
        if same:  # nothing left to apply for the pin itself
            self.original = self.original.replace(pinned_sha256=settings.pinned_sha256)

    @Slot()
    def use_suggested_host(self) -> None:
        result = self.probe_result
        if result is not None and result.suggested_host:
            self.rerun(result.settings.replace(host=result.suggested_host, pinned_sha256=None))

    # -- applying -------------------------------------------------------------------------
    def password_changed(self, password: str | None = None) -> bool:
        """Did the user type a password other than the account's (and test with it)?"""
        password = self.tested_password if password is None else password
        return bool(password) and password != self.original_password

    def can_apply_current(self) -> bool:
        result = self.probe_result
        changed = result is not None and result.settings != self.original
        return bool(result and result.ok and (changed or self.password_changed()))

    def apply_label(self) -> str:
        result = self.probe_result
        settings = result is not None and result.settings != self.original
        if self.password_changed():
            return "Save password and settings" if settings else "Save password"
        return "Apply to account"

    @Slot()
    def apply_current(self) -> None:
        if self.probe_result is not None:
            password = (self.tested_password or "") if self.password_changed() else ""
            self.applyToAccount.emit(self.updated_account(self.probe_result.settings), password)

    # -- the report -----------------------------------------------------------------------
    def report(self, fmt: str = "text") -> str:
        account = self.updated_account(self.settings)
        data = build_report(
            account=account,
            smtp=self.probe_result,
            imap=self.imap_result,
            discovery=self.discovery,
            qt_version=qVersion(),
            secrets=[s for s in (self.password, self.imap_password) if s],
        )
        return render(data, fmt)

    @Slot()
    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report("text"))

    @Slot()
    def ask_report_path(self) -> None:
        dialog = QFileDialog(self, "Save report", str(Path.home() / "mailgui-report.txt"))
        dialog.setObjectName("saveReportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["Text (*.txt)", "Markdown (*.md)", "JSON (*.json)"])
        dialog.fileSelected.connect(self.save_report)
        dialog.open()  # never exec(): the window and the running jobs keep going

    @Slot(str)
    def save_report(self, path: str) -> None:
        from mailgui.core.fileio import atomic_write_text

        atomic_write_text(Path(path), self.report(format_for_path(path)), mode=0o600)

    # -- jobs -----------------------------------------------------------------------------
    @Slot()
    def cancel_jobs(self) -> None:
        for job in (self._test_job, self._discovery_job):
            if job is not None:
                job.cancel()

    @property
    def busy(self) -> bool:
        return bool(self.runner.active)

    @Slot()
    def _shutdown(self) -> None:
        self.runner.shutdown(timeout_ms=3000)
