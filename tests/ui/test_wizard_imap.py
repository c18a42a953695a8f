"""The wizard's IMAP ladder against a real dovecot on loopback: live rows under their own section,
the failure explained on the result page, and the IMAP part in the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mailgui.core.accounts import Account, Security, ServerSettings
from mailgui.core.diagnosis import Category
from mailgui.ui.wizard import ConnectionWizard
from mailgui.ui.wizard_pages import IMAP_SECTION, SMTP_SECTION, status_of
from tests.imap_server import INBOX_MESSAGES, USERS, ImapServer
from tests.smtp_servers import PASSWORD, USER, SmtpServer

pytestmark = [pytest.mark.gui, pytest.mark.imap, pytest.mark.qt_log_ignore("propagateSizeHints")]
IMAP_PASSWORD = USERS[USER]


def account_for(smtp: SmtpServer, imap: ImapServer) -> Account:
    incoming = ServerSettings(
        host=imap.hostname,
        port=imap.ssl_port,
        security=Security.SSL,
        username=USER,
        ca_file=imap.ca_file,
    )
    return Account("Work", USER, smtp.settings(), imap=incoming)


def run_wizard(qtbot, account: Account, imap_password: str) -> ConnectionWizard:
    wizard = ConnectionWizard(account, PASSWORD)
    qtbot.addWidget(wizard)
    wizard.mx_timeout = 0
    wizard.timeout = 5.0
    wizard.show()
    page = wizard.settings_page
    assert page.check_imap.isChecked()  # the account has IMAP settings
    assert page.imap_password.isVisibleTo(wizard)
    page.imap_password.setText(imap_password)
    with qtbot.waitSignal(wizard.testFinished, timeout=15_000):
        wizard.next()
    return wizard


def imap_statuses(wizard: ConnectionWizard) -> dict[str, str | None]:
    return {name: status_of(item) for name, item in wizard.ladder_page.imap_rows.items()}


def test_imap_ladder_passes_in_the_same_view(
    qtbot: Any, starttls_server: SmtpServer, imap_server: ImapServer, tmp_path: Path
) -> None:
    wizard = run_wizard(qtbot, account_for(starttls_server, imap_server), IMAP_PASSWORD)
    ladder = wizard.ladder_page
    assert wizard.probe_result is not None
    assert wizard.probe_result.ok
    assert wizard.imap_result is not None
    assert wizard.imap_result.ok
    assert list(ladder.sections) == [SMTP_SECTION, IMAP_SECTION]
    tree = ladder.tree
    header = tree.indexOfTopLevelItem(ladder.sections[IMAP_SECTION])
    assert all(tree.indexOfTopLevelItem(item) < header for item in ladder.rows.values())
    assert all(tree.indexOfTopLevelItem(item) > header for item in ladder.imap_rows.values())
    assert imap_statuses(wizard) == dict.fromkeys(
        ["dns", "connect", "tls", "capability", "login", "list", "inbox", "quit"], "passed"
    )
    transcript = ladder.transcript.toPlainText()
    assert "LOGIN ***" in transcript
    assert IMAP_PASSWORD not in transcript
    assert PASSWORD not in transcript
    assert "Every step passed" in ladder.status.text()

    wizard.next()
    page = wizard.result_page
    assert page.title.text() == "Everything works"
    assert page.imap_box.isVisibleTo(wizard)
    assert page.imap_title.text() == "Incoming mail works"
    assert f"{INBOX_MESSAGES} messages" in page.imap_explanation.text()

    report = json.loads(wizard.report("json"))
    assert report["imap"]["ok"] is True
    assert report["imap"]["inbox_messages"] == INBOX_MESSAGES
    text = wizard.report("text")
    assert IMAP_PASSWORD not in text
    assert PASSWORD not in text

    wizard.resize(900, 720)
    wizard.back()  # the ladder page, with both sections
    shot = tmp_path / "wizard-imap.png"
    assert wizard.grab().save(str(shot))
    assert shot.stat().st_size > 10_000


def test_wrong_imap_password_is_explained(
    qtbot: Any, starttls_server: SmtpServer, imap_server: ImapServer
) -> None:
    wizard = run_wizard(qtbot, account_for(starttls_server, imap_server), "wrong-imap-password")
    assert wizard.probe_result is not None
    assert wizard.probe_result.ok
    imap = wizard.imap_result
    assert imap is not None
    assert not imap.ok
    assert imap.failed_stage == "login"
    statuses = imap_statuses(wizard)
    assert statuses["login"] == "failed"
    assert statuses["list"] is None  # never ran
    assert "Incoming mail stopped" in wizard.ladder_page.status.text()

    wizard.next()
    page = wizard.result_page
    assert page.title.text() == "Sending works; incoming mail does not"
    assert imap.diagnosis is not None
    assert imap.diagnosis.category is Category.AUTH
    assert page.imap_title.text() == imap.diagnosis.title
    assert page.imap_explanation.text() == imap.diagnosis.explanation
    assert "What to try" in page.imap_fixes.text()
    assert page.imap_fixes.isVisibleTo(wizard)
    report = json.loads(wizard.report("json"))
    assert report["imap"]["failed_stage"] == "login"
    assert report["imap"]["diagnosis"]["category"] == "auth"
    assert "wrong-imap-password" not in wizard.report("text")


def test_imap_unticked_by_default_without_imap_settings(
    qtbot: Any, starttls_server: SmtpServer
) -> None:
    wizard = ConnectionWizard(Account("Work", USER, starttls_server.settings()), PASSWORD)
    qtbot.addWidget(wizard)
    wizard.mx_timeout = 0
    wizard.show()
    assert not wizard.settings_page.check_imap.isChecked()
    assert not wizard.settings_page.imap_password.isVisibleTo(wizard)
    with qtbot.waitSignal(wizard.testFinished, timeout=15_000):
        wizard.next()
    assert wizard.imap_result is None
    assert wizard.ladder_page.sections == {}
