"""NewAccountDialog: type an address, watch the sources, get a filled form and an Account."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QDialog, QLabel, QLineEdit, QListWidget

from mailgui.core.accounts import Account, Security
from mailgui.core.autoconfig import LookupOptions
from mailgui.ui import dialogs
from mailgui.ui.new_account import NewAccountDialog
from tests.lookup_servers import DnsServer, HttpsServer, Route, client_config

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


def make_dialog(qtbot, options: LookupOptions) -> NewAccountDialog:  # type: ignore[no-untyped-def]
    dialog = NewAccountDialog(None, options=options)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def fill(dialog: NewAccountDialog, name: str, email: str, password: str) -> None:
    dialog.findChild(QLineEdit, "newAccountName").setText(name)
    dialog.findChild(QLineEdit, "newAccountEmail").setText(email)
    dialog.findChild(QLineEdit, "newAccountPassword").setText(password)


def source_rows(dialog: NewAccountDialog) -> list[str]:
    sources = dialog.findChild(QListWidget, "newAccountSources")
    return [sources.item(i).text() for i in range(sources.count())]


def wait_for_result(qtbot, dialog: NewAccountDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: dialog.lookup_result is not None and not dialog.busy, timeout=10000)


def test_gmail_offline_fills_the_form_and_creates_the_account(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, LookupOptions(offline=True))
    fill(dialog, "Jane Doe", "jane.doe@gmail.com", "app-password-value")
    dialog.lookup_button.click()
    wait_for_result(qtbot, dialog)

    assert dialog.findChild(QLineEdit, "newAccountSmtpHost").text() == "smtp.gmail.com"
    combo = dialog.findChild(QComboBox, "newAccountCandidates")
    assert combo.count() == 2
    assert "smtp.gmail.com:587" in combo.itemText(1)
    notes = dialog.findChild(QLabel, "newAccountNotes")
    assert "app password" in notes.text()
    assert 'href="https://myaccount.google.com/apppasswords"' in notes.text()
    assert "found 2" in source_rows(dialog)[0]

    combo.setCurrentIndex(1)  # the alternative: 587 STARTTLS
    assert dialog.smtp.port.value() == 587
    assert dialog.testConnection is True

    tests: list[tuple[Account, str]] = []
    dialog.testRequested.connect(lambda a, p: tests.append((a, p)))
    with qtbot.waitSignal(dialog.accountCreated, timeout=2000) as signal:
        dialog.create_button.click()
    account, password = signal.args
    assert isinstance(account, Account)
    assert (account.name, account.email) == ("Jane Doe", "jane.doe@gmail.com")
    assert (account.smtp.host, account.smtp.port, account.smtp.security) == (
        "smtp.gmail.com",
        587,
        Security.STARTTLS,
    )
    assert account.smtp.security is Security.STARTTLS
    assert account.smtp.username == "jane.doe@gmail.com"
    assert account.imap is not None
    assert account.imap.host == "imap.gmail.com"
    assert password == "app-password-value"
    assert tests == [(account, password)]  # "Test the connection now" is on by default
    assert dialog.result() == QDialog.DialogCode.Accepted.value


def test_help_link_opens_through_the_dialog_factory(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(dialogs, "HEADLESS", True)
    monkeypatch.setattr(dialogs, "recorded", [])
    dialog = make_dialog(qtbot, LookupOptions(offline=True))
    fill(dialog, "", "me@yahoo.com", "x")
    dialog.lookup_button.click()
    wait_for_result(qtbot, dialog)
    dialog.notes.linkActivated.emit("https://login.yahoo.com/account/security")
    assert [r.title for r in dialogs.recorded] == ["https://login.yahoo.com/account/security"]


def test_lookup_against_local_servers_shows_each_source(
    qtbot, https_server: HttpsServer, dns_server: DnsServer, lookup_options: LookupOptions
) -> None:  # type: ignore[no-untyped-def]
    https_server.route(
        "autoconfig.corp.test",
        "/mail/config-v1.1.xml",
        Route(client_config("corp.test", smtp=[("smtp.corp.test", 587, "STARTTLS")])),
    )
    dns_server.add("_submissions._tcp.corp.test", "SRV", "0 1 465 smtp.corp.test.")
    dialog = make_dialog(qtbot, lookup_options)
    fill(dialog, "Ops", "ops@corp.test", "pw")
    dialog.lookup_button.click()
    assert dialog.busy
    assert dialog.cancel_lookup_button.isEnabled()
    wait_for_result(qtbot, dialog)
    rows = source_rows(dialog)
    assert rows[1].startswith("Provider's autoconfig file: found 1")
    assert all("waiting" not in row and "looking" not in row for row in rows)
    assert dialog.smtp.host.text() == "smtp.corp.test"
    assert dialog.account().smtp.security is Security.STARTTLS
    assert dialog.create_button.isEnabled()


def test_unverified_settings_need_confirmation(
    qtbot, dns_server: DnsServer, lookup_options: LookupOptions
) -> None:  # type: ignore[no-untyped-def]
    dns_server.add("_submissions._tcp.odd.test", "SRV", "0 1 465 smtp.elsewhere.test.")
    dialog = make_dialog(qtbot, lookup_options)
    fill(dialog, "", "me@odd.test", "pw")
    dialog.lookup_button.click()
    wait_for_result(qtbot, dialog)
    assert dialog.smtp.host.text() == "smtp.elsewhere.test"
    assert dialog.confirm.isVisible()
    assert not dialog.create_button.isEnabled()
    dialog.confirm.setChecked(True)
    assert dialog.create_button.isEnabled()


def test_cancel_stops_a_hanging_lookup(qtbot, lookup_options: LookupOptions) -> None:  # type: ignore[no-untyped-def]
    with DnsServer(mode="silent") as silent:
        options = dataclasses.replace(lookup_options, dns_server=silent.address, timeout=30)
        dialog = make_dialog(qtbot, options)
        fill(dialog, "", "me@slow.test", "pw")
        dialog.lookup_button.click()
        qtbot.waitUntil(lambda: "looking" in source_rows(dialog)[3], timeout=5000)
        dialog.cancel_lookup_button.click()
        assert not dialog.busy
        assert dialog.lookup_button.isEnabled()
        qtbot.waitUntil(lambda: "cancelled" in source_rows(dialog)[3], timeout=3000)
        assert dialog.lookup_result is None


def test_bad_address_is_shown_inline(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, LookupOptions(offline=True))
    fill(dialog, "", "not-an-address", "pw")
    dialog.lookup_button.click()
    assert not dialog.busy
    assert dialog.email.property("invalid") is True
    assert dialog.email_error.isVisible()
    assert "name@example.com" in dialog.email_error.text()


def test_screenshot(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, LookupOptions(offline=True))
    fill(dialog, "Jane Doe", "jane.doe@gmail.com", "secret-value")
    dialog.lookup_button.click()
    wait_for_result(qtbot, dialog)
    dialog.resize(dialog.sizeHint())
    assert dialogs.grab(dialog, tmp_path / "new-account.png")
    assert (tmp_path / "new-account.png").stat().st_size > 10_000


def test_no_test_requested_when_unticked(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, LookupOptions(offline=True))
    fill(dialog, "", "me@posteo.de", "pw")
    dialog.lookup_button.click()
    wait_for_result(qtbot, dialog)
    dialog.testConnection = False
    assert not dialog.test_now.isChecked()
    tests: list[object] = []
    dialog.testRequested.connect(lambda a, p: tests.append(a))
    with qtbot.waitSignal(dialog.accountCreated, timeout=2000) as signal:
        dialog.create_button.click()
    assert signal.args[0].name == "me@posteo.de"  # no name typed: the address stands in
    assert signal.args[0].smtp.host == "posteo.de"
    assert tests == []
