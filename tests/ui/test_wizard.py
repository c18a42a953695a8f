"""The connection wizard against real aiosmtpd servers: the ladder, the result, discovery,
certificate pinning, cancel and the report. pytest-qt waits on signals, never sleeps."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from mailgui.core.accounts import Account, Security, ServerSettings
from mailgui.core.diagnosis import Category
from mailgui.core.discovery import Outcome, PortChoice
from mailgui.core.errors import CertificatePinMismatch
from mailgui.ui.wizard import ConnectionWizard
from mailgui.ui.wizard_pages import status_of
from tests.smtp_servers import PASSWORD, USER, SilentServer, SmtpServer

# The offscreen platform plugin says this whenever a top-level window's size limits change.
pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_wizard(qtbot, account: Account | None, password: str | None = PASSWORD):
    wizard = ConnectionWizard(account, password)
    qtbot.addWidget(wizard)
    wizard.mx_timeout = 0
    wizard.timeout = 3.0
    wizard.discovery_timeout = 1.0
    wizard.discovery_hosts = ["localhost"]
    wizard.show()
    return wizard


def run_test(qtbot, wizard: ConnectionWizard):
    with qtbot.waitSignal(wizard.testFinished, timeout=10_000) as blocker:
        wizard.next()  # entering the ladder page starts the test
    return blocker.args[0]


def row_statuses(wizard: ConnectionWizard) -> dict[str, str | None]:
    return {name: status_of(item) for name, item in wizard.ladder_page.rows.items()}


def test_all_stages_pass(qtbot, starttls_server: SmtpServer) -> None:
    wizard = make_wizard(qtbot, Account("Work", USER, starttls_server.settings()))
    assert wizard.objectName() == "connectionWizard"
    assert wizard.settings_page.host.text() == "localhost"
    result = run_test(qtbot, wizard)
    assert result.ok
    assert row_statuses(wizard) == {
        "dns": "passed",
        "connect": "passed",
        "ehlo": "passed",
        "starttls": "passed",
        "auth": "passed",
        "envelope": "passed",
        "data": "skipped",
        "quit": "passed",
    }
    transcript = wizard.ladder_page.transcript.toPlainText()
    assert "AUTH PLAIN ***" in transcript
    assert PASSWORD not in transcript
    assert wizard.ladder_page.isComplete()
    wizard.next()
    assert wizard.currentId() == ConnectionWizard.RESULT
    assert wizard.result_page.title.text() == "Everything works"
    assert not wizard.result_page.cert_box.isVisibleTo(wizard)
    assert wizard.discovery is None  # nothing to search for


def test_gui_thread_stays_responsive(qtbot) -> None:
    with SilentServer() as silent:
        account = Account("Slow", USER, silent.settings(Security.SSL, username=USER))
        wizard = make_wizard(qtbot, account)
        wizard.timeout = 1.0
        started = time.monotonic()
        wizard.next()
        # The ladder runs on a pool thread: the window is back at once, the test still running.
        assert time.monotonic() - started < 0.5
        assert wizard.busy
        assert not wizard.ladder_page.isComplete()
        with qtbot.waitSignal(wizard.testFinished, timeout=10_000) as blocker:
            pass
        assert blocker.args[0].failed_stage == "tls"


def fail_cases() -> Iterator:
    yield pytest.param("dns", {}, Category.DNS, id="dns")
    yield pytest.param("connect", {}, Category.CONNECT, id="tcp")
    yield pytest.param("tls", {"cert": "untrusted"}, Category.CERTIFICATE, id="tls")
    yield pytest.param("ehlo", {"fail": {"EHLO": "554 5.7.1 no"}}, Category.PROTOCOL, id="ehlo")
    yield pytest.param("starttls", {}, Category.STARTTLS, id="starttls")
    yield pytest.param("auth", {}, Category.AUTH, id="auth")
    rcpt = {"fail": {"RCPT": "550 5.1.1 <alice@example.test>: Recipient address rejected"}}
    yield pytest.param("envelope", rcpt, Category.RECIPIENTS, id="envelope")


@pytest.mark.parametrize(("stage", "options", "category"), list(fail_cases()))
def test_failure_at_each_stage(qtbot, stage: str, options: dict, category: Category) -> None:
    mode = {"tls": "ssl", "starttls": "plain"}.get(stage, "starttls")
    with SmtpServer(mode, **options) as server:
        settings = server.settings(username=USER)
        password = PASSWORD
        if stage == "dns":
            settings = settings.replace(host="no-such-host.invalid")
        elif stage == "connect":
            settings = settings.replace(port=closed_port())
        elif stage == "starttls":
            settings = settings.replace(security=Security.STARTTLS)
        elif stage == "auth":
            password = "not-the-password"
        wizard = make_wizard(qtbot, Account("Work", USER, settings), password)
        wizard.discovery_ports = [PortChoice(closed_port(), Security.SSL)]  # keep searches quick
        result = run_test(qtbot, wizard)
        assert result.failed_stage == stage
        assert row_statuses(wizard)[stage] == "failed"
        assert result.diagnosis.category is category
        wizard.next()
        page = wizard.result_page
        assert page.title.text() == result.diagnosis.title
        assert page.explanation.text() == result.diagnosis.explanation
        assert result.diagnosis.fixes[0][:20] in page.fixes.text()
        if result.worth_discovery:  # port/security trouble: the search starts by itself
            qtbot.waitUntil(lambda: wizard.discovery is not None, timeout=10_000)


@pytest.fixture
def four_roles() -> Iterator[tuple[list[PortChoice], SmtpServer]]:
    with SmtpServer("starttls") as works, SilentServer() as silent, SmtpServer("ssl") as tls:
        ports = [
            PortChoice(closed_port(), Security.SSL),  # "465": refused
            PortChoice(works.port, Security.STARTTLS),  # "587": works
            PortChoice(silent.port, Security.STARTTLS),  # "25": silent
            PortChoice(tls.port, Security.STARTTLS),  # "2525": speaks implicit TLS
        ]
        yield ports, works


def test_discovery_finds_the_one_port_that_works(qtbot, four_roles) -> None:
    ports, works = four_roles
    wrong = works.settings(security=Security.SSL)  # SSL on a STARTTLS port
    wizard = make_wizard(qtbot, Account("Work", USER, wrong))
    wizard.discovery_ports = ports
    result = run_test(qtbot, wizard)
    assert result.diagnosis.category is Category.TLS_MODE
    assert result.worth_discovery
    started = time.monotonic()
    with qtbot.waitSignal(wizard.discoveryFinished, timeout=10_000) as blocker:
        wizard.next()  # the result page starts the search by itself
    found = blocker.args[0]
    assert time.monotonic() - started < wizard.discovery_timeout + 1.0
    outcomes = sorted(a.outcome.value for a in found.attempts)
    assert outcomes == ["no-answer", "refused", "works", "wrong-tls-mode"]
    page = wizard.result_page
    assert page.table.rowCount() == 4
    texts = {page.table.item(r, 3).text() for r in range(4)}
    assert Outcome.WRONG_TLS_MODE.label in texts
    assert Outcome.REFUSED.label in texts
    assert f"port {works.port}, STARTTLS" in page.recommended.text()
    with qtbot.waitSignal(wizard.applyToAccount) as applied:
        qtbot.mouseClick(page.apply_recommended, Qt.MouseButton.LeftButton)
    account = applied.args[0]
    assert account.smtp.port == works.port
    assert account.smtp.security is Security.STARTTLS
    assert account.name == "Work"
    assert account.email == USER
    # "Test these settings" runs the ladder again on the recommendation, which passes.
    with qtbot.waitSignal(wizard.testFinished, timeout=10_000) as again:
        qtbot.mouseClick(page.test_recommended, Qt.MouseButton.LeftButton)
    assert again.args[0].ok
    assert wizard.currentId() == ConnectionWizard.TEST


def test_only_an_address_and_a_password(qtbot, four_roles) -> None:
    ports, works = four_roles
    # A new account: no server yet (the CA file stands in for a public CA the system trusts).
    blank = Account("New", "", ServerSettings(host="", ca_file=works.ca_file))
    wizard = make_wizard(qtbot, blank)
    wizard.discovery_ports = ports
    wizard.settings_page.email.setText(USER)
    wizard.settings_page.password.setText(PASSWORD)
    wizard.settings_page.host.clear()
    result = run_test(qtbot, wizard)
    assert result.ok
    assert result.settings.port == works.port
    assert wizard.discovery is not None
    assert wizard.discovery.best is not None


def test_pin_an_untrusted_certificate(qtbot) -> None:
    with SmtpServer("ssl", cert="untrusted") as server:
        wizard = make_wizard(qtbot, Account("Bridge", USER, server.settings()))
        result = run_test(qtbot, wizard)
        assert result.certificate_untrusted
        wizard.next()
        page = wizard.result_page
        assert page.cert_box.isVisibleTo(wizard)
        assert page.trust.isVisibleTo(wizard)
        qtbot.mouseClick(page.trust, Qt.MouseButton.LeftButton)
        assert wizard.currentId() == ConnectionWizard.CERTIFICATE
        cert_page = wizard.certificate_page
        shown = cert_page.fields["sha256"].text().replace("\n", ":").replace(":", "").lower()
        assert shown == result.certificate.sha256
        assert "untrusted" in cert_page.fields["issuer"].text()
        assert not cert_page.trust.isEnabled()  # the user confirms first
        cert_page.confirm.setChecked(True)
        with qtbot.waitSignal(wizard.testFinished, timeout=10_000) as again:
            qtbot.mouseClick(cert_page.trust, Qt.MouseButton.LeftButton)
        pinned = again.args[0]
        assert pinned.ok
        assert pinned.tls.verified_by == "pin"
        assert pinned.settings.pinned_sha256 == result.certificate.sha256
        wizard.next()
        with qtbot.waitSignal(wizard.applyToAccount) as applied:
            qtbot.mouseClick(wizard.result_page.apply, Qt.MouseButton.LeftButton)
        saved = applied.args[0]
        assert saved.smtp.pinned_sha256 == result.certificate.sha256
    # Later, the same host and port shows a different certificate: refused again.
    with SmtpServer("ssl", cert="good") as other:
        changed = saved.replace(smtp=saved.smtp.replace(port=other.port))
        wizard2 = make_wizard(qtbot, changed)
        failed = run_test(qtbot, wizard2)
        assert isinstance(failed.error, CertificatePinMismatch)
        assert failed.diagnosis.category is Category.CERTIFICATE


def test_certificate_for_another_name_offers_it(qtbot) -> None:
    with SmtpServer("starttls", cert="wronghost") as server:
        wizard = make_wizard(qtbot, Account("Work", USER, server.settings()))
        run_test(qtbot, wizard)
        wizard.next()
        button = wizard.result_page.use_host
        assert button.isVisibleTo(wizard)
        assert button.text() == "Use otherhost.test"


def test_stop_cancels_the_test(qtbot, silent_server: SilentServer) -> None:
    account = Account("Slow", USER, silent_server.settings(Security.SSL, username=USER))
    wizard = make_wizard(qtbot, account)
    wizard.timeout = 30.0
    wizard.next()
    qtbot.waitUntil(lambda: "…" in wizard.ladder_page.status.text())
    started = time.monotonic()
    with qtbot.waitSignal(wizard.testFinished, timeout=5_000) as blocker:
        qtbot.mouseClick(wizard.ladder_page.stop, Qt.MouseButton.LeftButton)
    assert time.monotonic() - started < 2.0
    assert blocker.args[0].cancelled
    assert blocker.args[0].diagnosis.category is Category.CANCELLED


def test_copy_and_save_report(qtbot, starttls_server: SmtpServer, tmp_path) -> None:
    wizard = make_wizard(qtbot, Account("Work", USER, starttls_server.settings()))
    run_test(qtbot, wizard)
    wizard.next()
    qtbot.mouseClick(wizard.result_page.copy, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert "mailgui connection report" in copied
    assert "[ok  ] auth" in copied
    assert PASSWORD not in copied
    from PySide6 import QtCore

    assert f"qt: {QtCore.qVersion()}" in copied
    target = tmp_path / "report.json"
    wizard.save_report(str(target))
    data = json.loads(target.read_text())
    assert data["smtp"]["ok"]
    assert PASSWORD not in target.read_text()
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_without_an_account(qtbot) -> None:
    wizard = make_wizard(qtbot, None, None)
    page = wizard.settings_page
    assert not page.isComplete()
    page.email.setText(USER)
    assert page.isComplete()
    assert page.host.text() == ""
