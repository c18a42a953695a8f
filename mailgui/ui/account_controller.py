"""The account glue of the main window: list ↔ editor, save, duplicate, remove, new account from an
address, and the connection test (wizard, or a plain check when the wizard is not installed).

Passwords are read and written through the AccountManager, which does every keyring call on
its own worker thread; what needs a password here waits for a callback instead of blocking.
"""

from __future__ import annotations

import functools
import importlib.util
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Slot

from mailgui.core.accounts import Account, AuthMethod

if TYPE_CHECKING:
    from mailgui.core.errors import KeyringError
    from mailgui.ui.main_window import MainWindow


def _module_available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


class AccountController(QObject):
    """Owns no state of its own beyond the window it wires: accounts live in AccountManager."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.accounts = window.accounts
        self.editor = window.editor
        self.pane = window.account_pane
        self.pane.is_builtin = self._is_builtin
        self.last_wizard: Any = None
        self.last_new_account_dialog: Any = None
        self._pending_trust: tuple[Account, Any] | None = None

    def connect(self) -> None:
        pane, welcome = self.pane, self.window.welcome
        pane.addRequested.connect(self.add_account)
        pane.editRequested.connect(self.edit_account)
        pane.currentChanged.connect(self.account_selected)
        pane.duplicateRequested.connect(self.duplicate_account)
        pane.removeRequested.connect(self.confirm_remove)
        self.accounts.changed.connect(self.refresh)
        welcome.add_button.clicked.connect(self.add_account)
        welcome.lookup_button.clicked.connect(self.new_account_from_address)
        self.editor.saveRequested.connect(self.save_account)
        self.editor.testRequested.connect(self.test_connection)

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text)

    def _is_builtin(self, account_id: str) -> bool:
        return self.accounts.is_sandbox(self.accounts.get(account_id))

    # the list and the editor
    @Slot()
    def refresh(self, compose_account: str | None = None) -> None:
        window, accounts = self.window, self.accounts.accounts()
        self.pane.set_accounts(accounts)
        window.compose.set_accounts(accounts, compose_account)
        window.compose_stack.setCurrentWidget(window.compose if accounts else window.welcome)
        editing = self.editor.editing
        if editing is not None and self.accounts.get(editing.id) is None:
            self.editor.load(None)
        elif editing is None and accounts and not self.editor.name.text():
            self.editor.load(accounts[0])

    @Slot(str)
    def account_selected(self, account_id: str) -> None:
        account = self.accounts.get(account_id)
        if account is not None:
            self.editor.load(account)

    @Slot()
    def add_account(self) -> None:
        self.editor.load(None)
        self.window.tabs.setCurrentWidget(self.editor)
        self.editor.name.setFocus()

    @Slot(str)
    def edit_account(self, account_id: str, field: str | None = None) -> None:
        account = self.accounts.get(account_id)
        if account is not None:
            self.editor.load(account)
        self.window.tabs.setCurrentWidget(self.editor)
        # A closing dialog hands focus back to what had it: focus on the next turn of the loop.
        QTimer.singleShot(0, functools.partial(self._focus_editor_field, field))

    def _focus_editor_field(self, field: str | None) -> None:
        if field and self.editor.focus_field(field):
            return
        # The Sandbox's fields are disabled: focus what still works, not the next enabled
        # widget Qt would pick (the account list's Add button).
        first = self.editor.name if self.editor.name.isEnabled() else self.editor.test_button
        first.setFocus()

    @Slot(object, str)
    def save_account(self, account: Account, password: str) -> bool:
        """Save the account; the password goes to the keyring on the keyring thread.
        False when it could not be written (the reason was shown)."""
        if not self.accounts.save(account, password):
            self._status(f"Account “{account.name}” was not saved.")
            return False
        self.pane.set_accounts(self.accounts.accounts(), account.id)
        self.editor.load(account)
        compose = self.window.compose
        if compose.account_id() is None:
            compose.set_accounts(self.accounts.accounts(), account.id)
        self._status(f"Account “{account.name}” saved.")
        return True

    @Slot(str)
    def duplicate_account(self, account_id: str) -> None:
        copy = self.accounts.duplicate(account_id)
        if copy is not None:
            self.pane.set_accounts(self.accounts.accounts(), copy.id)
            self.edit_account(copy.id)
            self._status("Account copied. Enter its password before sending.")

    @Slot(str)
    def confirm_remove(self, account_id: str) -> None:
        from mailgui.ui import dialogs

        account = self.accounts.get(account_id)
        if account is None or self.accounts.is_sandbox(account):
            self._status("The Sandbox account is built in and stays.")
            return
        dialogs.confirm(
            self.window,
            "Remove account",
            f"Remove the account “{account.name}” ({account.email})? Its saved password is "
            "deleted from the keyring. Messages in the Outbox stay.",
            functools.partial(self.remove_account, account_id),
        )

    def remove_account(self, account_id: str) -> None:
        if self.accounts.remove(account_id):
            self._status("Account removed.")

    # a new account from an address
    @Slot()
    def new_account_from_address(self) -> None:
        from mailgui.ui.new_account import NewAccountDialog

        dialog = NewAccountDialog(self.window, runner=self.window.jobs)
        dialog.accountCreated.connect(self.save_account)
        dialog.testRequested.connect(self.test_connection)
        self.last_new_account_dialog = dialog
        dialog.open()

    # the connection test
    @Slot()
    def test_current_account(self) -> None:
        editor = self.editor
        if editor.validate() and (editor.editing or editor.name.text()):
            self.test_connection(editor.account(), editor.password.text())
        else:
            self.window.tabs.setCurrentWidget(editor)
            self._status("Fill in the account settings first.")

    @Slot(object, str)
    def test_connection(self, account: Account | None, password: str = "") -> None:
        if account is None:
            return
        if password:
            self._test_with(account, password, None)
        else:  # the keyring is read on its own thread; the test opens when the answer is in
            self.accounts.fetch_password(account, functools.partial(self._test_with, account))

    def _test_with(
        self, account: Account, password: str | None, error: KeyringError | None
    ) -> None:
        if _module_available("mailgui.ui.wizard"):
            from mailgui.ui.wizard import ConnectionWizard

            # The wizard has its own password field: a keyring failure needs no dialog here.
            wizard = ConnectionWizard(account, password or None, self.window)
            wizard.applyToAccount.connect(functools.partial(self._wizard_applied, wizard))
            wizard.pinTrusted.connect(functools.partial(self.save_trusted_pin, wizard))
            self.last_wizard = wizard
            wizard.open()
        elif password or account.smtp.auth is AuthMethod.NONE:
            self.window.send_controller.check(account, password or None)
        else:
            self.accounts.password_missing(
                account,
                "Enter the password to test the connection.",
                functools.partial(self.window.send_controller.check, account),
                None,
                error,
            )

    # trusting a certificate that failed verification
    def trust_certificate(
        self, account: Account, certificate: Any = None, diagnosis: Any = None
    ) -> None:
        """Open the wizard on its certificate page; trusting pins the certificate and saves."""
        if not _module_available("mailgui.ui.wizard"):
            self.test_connection(account)
            return
        if certificate is None:  # not kept with the failure: fetch it, on a worker
            self._fetch_certificate(account, diagnosis)
            return
        from mailgui.ui.wizard import ConnectionWizard

        wizard = ConnectionWizard(account, self.accounts.known_password(account), self.window)
        wizard.start_on_certificate(certificate, diagnosis)
        wizard.applyToAccount.connect(self.apply_pin)
        self.last_wizard = wizard
        wizard.open()

    def _fetch_certificate(self, account: Account, diagnosis: Any) -> None:
        from mailgui.core.accounts import Security
        from mailgui.ui.jobs import Job

        smtp = account.smtp
        if smtp.security is Security.NONE:
            self.test_connection(account)
            return
        timeout = min(float(self.window.prefs.send_timeout), 10.0)

        def fetch(_context: Any) -> Any:  # pool thread: core only
            from mailgui.core.smtp import fetch_certificate

            return fetch_certificate(smtp.host, smtp.port, smtp.security, timeout)

        self._pending_trust = (account, diagnosis)
        job = Job(fetch, "fetch certificate")
        job.signals.succeeded.connect(self._certificate_fetched)
        job.signals.failed.connect(self._certificate_fetch_failed)
        self._status(f"Fetching the certificate of {smtp.host}:{smtp.port}…")
        self.window.jobs.submit(job)

    @Slot(object)
    def _certificate_fetched(self, certificate: Any) -> None:
        pending, self._pending_trust = self._pending_trust, None
        if pending is not None:
            self.trust_certificate(pending[0], certificate, pending[1])

    @Slot(object)
    def _certificate_fetch_failed(self, error: BaseException) -> None:
        from mailgui.core.diagnosis import explain
        from mailgui.ui import dialogs

        self._pending_trust = None
        dialogs.show_error(self.window, explain(error))

    @Slot(object, str)
    def apply_pin(self, account: Account, _password: str = "") -> None:
        """Keep only the new pin from the wizard, on the latest saved version of the account."""
        if self.accounts.is_sandbox(account):
            # Its "untrusted certificate" is a one-shot simulation: a pin would outlive it.
            self._status("The Sandbox's certificate problem was simulated: nothing is pinned.")
            return
        self._store_pin(account)

    def save_trusted_pin(self, wizard: Any, account: Account) -> None:
        """A certificate trusted in the wizard's test: store the pin with the saved account now
        (the user may Finish without "Apply to account"), when it is for the saved endpoint."""
        saved = self.accounts.get(account.id)
        if saved is None or self.accounts.is_sandbox(saved):
            return  # an unsaved account keeps it until Apply; the Sandbox never pins
        if (saved.smtp.host, saved.smtp.port) != (account.smtp.host, account.smtp.port):
            return  # trusted for other settings being tried: Apply decides
        pinned = self._store_pin(account)
        if pinned is not None:
            wizard.pin_saved(pinned.smtp)

    def _store_pin(self, account: Account) -> Account | None:
        pin = account.smtp.pinned_sha256
        latest = self.accounts.get(account.id) or account
        pinned = latest.replace(smtp=latest.smtp.replace(pinned_sha256=pin))
        self.accounts.save(pinned)
        if self.accounts.get(pinned.id) != pinned:  # not written (say, a newer accounts file)
            return None
        editing = self.editor.editing
        if editing is not None and editing.id == pinned.id:
            self.editor.load(pinned)  # a later Save from the editor keeps the pin
        self._status(
            f"Certificate trusted for {pinned.smtp.host}:{pinned.smtp.port} and saved. Send again."
        )
        return pinned

    def _wizard_applied(self, wizard: Any, account: Account, password: str = "") -> None:
        self.apply_wizard(account, password, wizard)

    def apply_wizard(self, account: Account, password: str = "", wizard: Any = None) -> None:
        """Save what the wizard found: its settings and, when corrected there, the password."""
        if self.accounts.is_sandbox(account):
            from mailgui.ui import dialogs

            text = (
                "The Sandbox's settings are fixed, so nothing was changed. To try other errors, "
                "choose Sandbox → Simulate failure, then send again."
            )
            self._status(text)
            parent = wizard if wizard is not None and wizard.isVisible() else self.window
            dialogs.show_info(parent, "Sandbox settings", text)
            return
        if not password:
            # A password typed in the editor for this (maybe unsaved) account is kept too.
            editing = self.editor.editing
            same = editing is None or editing.id == account.id
            password = self.editor.password.text() if same else ""
        if not self.save_account(account, password):
            return
        if password:
            self._status(f"Password and settings of “{account.name}” saved.")
        self.window.tabs.setCurrentWidget(self.editor)
