"""The window's account glue: keyring calls off the GUI thread, the new-account dialog wired to
saving and testing, and a restored draft that still knows its Outbox item."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit, QWizard

from mailgui.core.accounts import Account, AuthMethod
from mailgui.core.credentials import MemoryStore, smtp_key
from mailgui.core.outbox import Outbox
from tests.smtp_servers import PASSWORD, SmtpServer
from tests.ui.conftest import SENDER, click, error_dialog, open_window, type_message

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


class PromptingStore(MemoryStore):
    """A keyring that blocks every call, as the Secret Service does while its unlock prompt is
    open (a real prompt needs a person to answer it). Records whether each call ran on the GUI
    thread; the gate has a bound so a regression fails instead of hanging."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.calls: list[tuple[str, bool]] = []

    def _prompt(self, what: str) -> None:
        self.calls.append((what, threading.current_thread() is threading.main_thread()))
        self.gate.wait(5)

    def get_password(self, key: str) -> str | None:
        self._prompt("get")
        return super().get_password(key)

    def set_password(self, key: str, password: str) -> None:
        self._prompt("set")
        super().set_password(key, password)

    def delete_password(self, key: str) -> None:
        self._prompt("delete")
        super().delete_password(key)


def test_a_keyring_prompt_never_freezes_the_window(
    qtbot: Any, config_dir: Path, starttls_server: SmtpServer
) -> None:
    store = PromptingStore()
    window = open_window(qtbot, config_dir, credentials=store)
    account = Account(name="Alice", email=SENDER, smtp=starttls_server.settings())
    MemoryStore.set_password(store, smtp_key(account), PASSWORD)  # saved in an earlier session
    window.accounts.save(account)
    window.compose.set_accounts(window.accounts.accounts(), account.id)
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject="Prompted")

    started = time.monotonic()
    click(qtbot, window, "sendButton")
    assert time.monotonic() - started < 1.0  # back at once: the read waits on a worker
    qtbot.waitUntil(lambda: bool(store.calls), timeout=5000)
    assert window.send_controller.busy
    assert starttls_server.received == []
    store.gate.set()  # the user unlocks the keyring
    qtbot.waitUntil(lambda: len(starttls_server.received) == 1, timeout=10000)

    window.account_ctl.remove_account(account.id)  # the delete runs there too
    qtbot.waitUntil(lambda: ("delete", False) in store.calls, timeout=5000)
    assert store.calls
    assert not any(on_gui for _what, on_gui in store.calls), store.calls


def test_a_send_right_after_save_uses_the_password_being_saved(
    qtbot: Any, config_dir: Path, starttls_server: SmtpServer
) -> None:
    store = PromptingStore()  # the save stays blocked until the end of the test
    window = open_window(qtbot, config_dir, credentials=store)
    account = Account(name="Alice", email=SENDER, smtp=starttls_server.settings())
    window.account_ctl.save_account(account, PASSWORD)
    window.compose.set_accounts(window.accounts.accounts(), account.id)
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject="Quick")
    click(qtbot, window, "sendButton")
    qtbot.waitUntil(lambda: len(starttls_server.received) == 1, timeout=10000)
    assert ("set", False) in store.calls
    store.gate.set()
    qtbot.waitUntil(lambda: not window.accounts.keyring.busy, timeout=10000)
    assert MemoryStore.get_password(store, smtp_key(account)) == PASSWORD


def test_new_account_dialog_saves_and_opens_the_wizard(qtbot: Any, window: Any) -> None:
    from mailgui.ui.new_account import NewAccountDialog

    window.new_account_from_address()
    dialog = window.findChild(NewAccountDialog)
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog._runner is window.jobs  # the window's pool: shut down with the window
    dialog.findChild(QLineEdit, "newAccountName").setText("Jane")
    dialog.findChild(QLineEdit, "newAccountEmail").setText("jane@example.com")
    dialog.findChild(QLineEdit, "newAccountPassword").setText(PASSWORD)
    dialog.smtp.host.setText("smtp.example.com")
    dialog.testConnection = True
    assert dialog.create_button.isEnabled()
    dialog.create_button.click()

    saved = window.accounts.saved_accounts()
    assert [(a.name, a.email) for a in saved] == [("Jane", "jane@example.com")]
    assert window.account_pane.list.count() == 1
    qtbot.waitUntil(lambda: window.findChild(QWizard, "connectionWizard") is not None)
    wizard = window.findChild(QWizard, "connectionWizard")
    assert wizard.isVisible()
    assert wizard.account.id == saved[0].id
    assert wizard.password == PASSWORD
    qtbot.waitUntil(lambda: not window.accounts.keyring.busy, timeout=5000)
    primary = window.accounts.keyring.store.primary
    assert primary.get_password(smtp_key(saved[0])) == PASSWORD
    wizard.reject()


def test_new_account_without_test_opens_no_wizard(qtbot: Any, window: Any) -> None:
    from mailgui.ui.new_account import NewAccountDialog

    window.new_account_from_address()
    dialog = window.findChild(NewAccountDialog)
    dialog.findChild(QLineEdit, "newAccountEmail").setText("jo@example.com")
    dialog.smtp.host.setText("smtp.example.com")
    dialog.testConnection = False
    dialog.create_button.click()
    assert [a.email for a in window.accounts.saved_accounts()] == ["jo@example.com"]
    assert window.findChild(QWizard, "connectionWizard") is None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_restored_draft_still_replaces_its_outbox_item(
    qtbot: Any, config_dir: Path, plain_server: SmtpServer
) -> None:
    good = plain_server.settings().replace(auth=AuthMethod.NONE)
    account = Account(name="Alice", email=SENDER, smtp=good.replace(port=_free_port()))
    first = open_window(qtbot, config_dir, credentials=MemoryStore())
    first.accounts.save(account)
    first.compose.set_accounts(first.accounts.accounts(), account.id)
    type_message(qtbot, first, composeTo="bob@example.com", composeSubject="Once only")
    click(qtbot, first, "sendButton")
    error_dialog(qtbot, first).close()
    qtbot.waitUntil(lambda: len(Outbox(config_dir).items()) == 1)
    item_id = Outbox(config_dir).items()[0].id
    assert first.compose.outbox_id == item_id
    first.shutdown()  # quit with the failed message still open in the compose pane
    first.close()

    second = open_window(qtbot, config_dir, credentials=MemoryStore())
    assert second.compose.subject.text() == "Once only"
    assert second.compose.outbox_id == item_id  # the restored draft knows where it came from
    second.accounts.save(account.replace(smtp=good))  # the user fixes the port
    click(qtbot, second, "sendButton")
    qtbot.waitUntil(lambda: len(plain_server.received) == 1, timeout=10000)
    qtbot.waitUntil(lambda: not second.send_controller.busy)
    assert Outbox(config_dir).items() == []  # sent, so no copy stays behind
    assert second.draft_link.saved() is None
