"""What the connection wizard learns is kept with the account: a certificate trusted during the
test is pinned on the saved account at once (Finish is enough), and a password corrected in the
wizard can be saved to the keyring with its button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit, QWizard

from mailgui.core.account_store import AccountStore
from mailgui.core.accounts import Account, normalize_fingerprint
from mailgui.core.credentials import MemoryStore, smtp_key
from tests.smtp_servers import PASSWORD, cert_sha256
from tests.ui.conftest import SENDER, add_account, click, open_window, type_message

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


def open_wizard(qtbot: Any, window: Any, account: Account) -> Any:
    window.account_ctl.last_wizard = None
    window.test_connection(account)  # reads the saved password, then opens the wizard
    qtbot.waitUntil(lambda: window.account_ctl.last_wizard is not None, timeout=5000)
    wizard = window.account_ctl.last_wizard
    wizard.mx_timeout = 0  # no MX lookup of example.com from the test machine
    wizard.timeout = 5.0
    qtbot.waitUntil(wizard.isVisible)
    return wizard


def run_ladder(qtbot: Any, wizard: Any) -> Any:
    with qtbot.waitSignal(wizard.testFinished, timeout=15000) as done:
        wizard.next()  # entering the ladder page starts the test
    return done.args[0]


def send_one(qtbot: Any, window: Any, server: Any, subject: str) -> None:
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject=subject)
    click(qtbot, window, "sendButton")
    qtbot.waitUntil(lambda: len(server.received) == 1, timeout=10000)
    qtbot.waitUntil(lambda: not window.send_controller.busy)


def test_a_certificate_trusted_in_the_wizard_is_saved_on_finish(
    qtbot: Any, window: Any, smtp_server_factory: Any
) -> None:
    server = smtp_server_factory("starttls", cert="untrusted")
    account = add_account(window, server)
    wizard = open_wizard(qtbot, window, account)
    assert run_ladder(qtbot, wizard).certificate_untrusted
    wizard.next()  # the result page
    click(qtbot, wizard, "trustCertificateButton")
    assert wizard.currentId() == wizard.CERTIFICATE
    wizard.certificate_page.confirm.setChecked(True)
    with qtbot.waitSignal(wizard.testFinished, timeout=15000) as again:
        click(qtbot, wizard, "trustAndTestButton")
    assert again.args[0].ok
    wizard.next()  # the result page again: it says the pin is kept, no Apply needed
    note = wizard.findChild(QLabel, "trustSavedNote")
    assert note.isVisibleTo(wizard)
    assert note.text() == f"Trusted and saved for {server.host}:{server.port}."
    assert not wizard.result_page.apply.isVisibleTo(wizard)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: not wizard.isVisible())

    expected = normalize_fingerprint(cert_sha256("untrusted"))
    stored = AccountStore(window.config_dir).load()
    assert [normalize_fingerprint(a.smtp.pinned_sha256) for a in stored] == [expected]
    assert window.accounts.get(account.id).smtp.pinned_sha256 == expected
    send_one(qtbot, window, server, "Pinned")


def test_a_password_corrected_in_the_wizard_is_saved(
    qtbot: Any, config_dir: Path, starttls_server: Any
) -> None:
    store = MemoryStore()
    window = open_window(qtbot, config_dir, credentials=store)
    account = Account(name="Alice", email=SENDER, smtp=starttls_server.settings())
    window.accounts.save(account, "an-old-password")
    window.compose.set_accounts(window.accounts.accounts(), account.id)
    qtbot.waitUntil(lambda: store.get_password(smtp_key(account)) == "an-old-password")

    wizard = open_wizard(qtbot, window, account)
    field = wizard.findChild(QLineEdit, "wizardPassword")
    assert field.text() == "an-old-password"  # the saved (wrong) one, prefilled
    field.clear()
    qtbot.keyClicks(field, PASSWORD)
    assert run_ladder(qtbot, wizard).ok
    wizard.next()
    apply = wizard.result_page.apply
    assert apply.isVisibleTo(wizard)  # the settings are the same; the password is new
    assert apply.text() == "Save password"
    click(qtbot, wizard, "applyButton")
    qtbot.waitUntil(lambda: store.get_password(smtp_key(account)) == PASSWORD, timeout=5000)
    assert "Password" in window.statusBar().currentMessage()
    wizard.button(QWizard.WizardButton.FinishButton).click()

    send_one(qtbot, window, starttls_server, "Right password")
