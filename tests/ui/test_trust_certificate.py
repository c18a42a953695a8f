""" "Trust certificate…" from the error dialog: straight to the certificate page with the
certificate the failed send saw, and trusting pins it on the account so the next send works."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton

from mailgui.core.accounts import normalize_fingerprint
from mailgui.core.outbox import Outbox
from tests.smtp_servers import cert_sha256
from tests.ui.conftest import add_account, click, error_dialog, type_message

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


def open_wizard(qtbot: Any, window: Any) -> Any:
    from mailgui.ui.wizard import ConnectionWizard

    found: list[Any] = []

    def opened() -> bool:
        found[:] = [w for w in window.findChildren(ConnectionWizard) if w.isVisible()]
        return bool(found)

    qtbot.waitUntil(opened, timeout=10000)
    return found[-1]


def trust_on_page(qtbot: Any, wizard: Any) -> None:
    assert wizard.currentId() == wizard.CERTIFICATE  # no Next, wait, Next first
    sha = wizard.findChild(QLabel, "cert_sha256").text().replace("\n", ":")
    assert normalize_fingerprint(sha) == normalize_fingerprint(cert_sha256("untrusted"))
    trust = wizard.findChild(QPushButton, "trustAndTestButton")
    assert trust.text() == "Trust this certificate"
    assert not trust.isEnabled()  # only after the user says they checked the fingerprint
    wizard.findChild(QCheckBox, "trustConfirm").setChecked(True)
    click(qtbot, wizard, "trustAndTestButton")
    qtbot.waitUntil(lambda: not wizard.isVisible())


def test_trust_from_the_error_dialog_then_send_again(
    qtbot: Any, window: Any, smtp_server_factory: Any
) -> None:
    server = smtp_server_factory("starttls", cert="untrusted")
    account = add_account(window, server)
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject="Pinned")
    click(qtbot, window, "sendButton")
    dialog = error_dialog(qtbot, window)
    assert dialog.diagnosis.category == "certificate"
    assert server.received == []
    qtbot.waitUntil(lambda: not window.send_controller.busy)

    dialog.actionRequested.emit("trust-certificate")
    trust_on_page(qtbot, open_wizard(qtbot, window))

    saved = window.accounts.get(account.id)
    assert normalize_fingerprint(saved.smtp.pinned_sha256) == normalize_fingerprint(
        cert_sha256("untrusted")
    )
    assert "pinned_sha256" in (window.config_dir / "accounts.json").read_text()
    assert "trusted" in window.statusBar().currentMessage()

    click(qtbot, window, "sendButton")  # the message stayed in the pane
    qtbot.waitUntil(lambda: len(server.received) == 1, timeout=10000)
    qtbot.waitUntil(lambda: not window.send_controller.busy)
    assert Outbox(window.config_dir).items() == []


def test_without_a_kept_certificate_it_is_fetched_on_a_worker(
    qtbot: Any, window: Any, smtp_server_factory: Any
) -> None:
    server = smtp_server_factory("starttls", cert="untrusted")
    account = add_account(window, server)
    window.account_ctl.trust_certificate(account, None, None)
    trust_on_page(qtbot, open_wizard(qtbot, window))
    assert window.accounts.get(account.id).smtp.pinned_sha256
