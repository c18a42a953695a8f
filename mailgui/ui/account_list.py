"""Accounts: the list pane, and the manager that keeps accounts.json and passwords apart.

Passwords go to the OS keyring through mailgui.core.credentials, always on the keyring thread
(mailgui.ui.credentials_task) so an unlock prompt never freezes the window. When the keyring is
missing or locked, the manager explains that once and keeps passwords in memory for this
session only: never a plaintext fallback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailgui.core.accounts import Account
from mailgui.core.errors import ConfigCorrupt, KeyringError
from mailgui.ui.credentials_task import CredentialsTask

if TYPE_CHECKING:
    from mailgui.core.credentials import CredentialStore


class AccountManager(QObject):
    """Owns the account list (file + the sandbox account) and the password lookups."""

    changed = Signal()

    def __init__(
        self, config_dir: Path, credentials: CredentialStore | None, parent: QWidget
    ) -> None:
        super().__init__(parent)
        from mailgui.core.account_store import AccountStore

        self._widget = parent
        self._store = AccountStore(config_dir)
        self.keyring = CredentialsTask(credentials, self)
        self.keyring.saveFailed.connect(self._on_save_failed)
        self._keyring_explained = False
        self._sandbox: Account | None = None
        # The sandbox's own demo password: fixed, so nothing typed by the user ever replaces it.
        self._sandbox_password: str | None = None
        self.load_error: ConfigCorrupt | None = None
        try:
            self._accounts = self._store.load()
        except ConfigCorrupt as exc:  # kept aside by the store; the window explains it
            self._accounts = []
            self.load_error = exc

    # the list
    def accounts(self) -> list[Account]:
        return [*self._accounts, *([self._sandbox] if self._sandbox else [])]

    def saved_accounts(self) -> list[Account]:
        return list(self._accounts)

    def get(self, account_id: str | None) -> Account | None:
        return next((a for a in self.accounts() if a.id == account_id), None)

    def is_sandbox(self, account: Account | None) -> bool:
        return account is not None and self._sandbox is not None and account.id == self._sandbox.id

    def set_sandbox(self, account: Account | None, password: str | None = None) -> None:
        """The built-in sandbox account: never written to accounts.json, password in memory."""
        self._sandbox = account
        self._sandbox_password = password if account is not None else None
        self.changed.emit()

    def save(self, account: Account, password: str = "") -> bool:
        """Save the account (password to the keyring); False when it could not be written
        (the reason was shown to the user)."""
        if self.is_sandbox(account):
            return False
        updated = list(self._accounts)
        index = next((i for i, a in enumerate(updated) if a.id == account.id), None)
        if index is None:
            updated.append(account)
        else:
            updated[index] = account
        if not self._persist(updated):
            return False
        if password:
            self.store_password(account, password, remember=True)
        self.changed.emit()
        return True

    def duplicate(self, account_id: str) -> Account | None:
        account = self.get(account_id)
        if account is None:
            return None
        copy = Account(
            name=f"{account.name} (copy)", email=account.email, smtp=account.smtp, imap=account.imap
        )
        self.save(copy)
        return copy

    def remove(self, account_id: str) -> bool:
        """Remove the account and forget its password; False when nothing was removed."""
        account = self.get(account_id)
        if account is None or self.is_sandbox(account):
            return False
        if not self._persist([a for a in self._accounts if a.id != account_id]):
            return False
        self.forget_password(account)
        self.changed.emit()
        return True

    def _persist(self, accounts: list[Account]) -> bool:
        """Write the list; when the file may not be written (say, it belongs to a newer
        mailgui), explain why and keep the list as it was."""
        from mailgui.core.errors import ConfigWriteError, MailguiError

        error: MailguiError
        try:
            self._store.save(accounts)
        except ConfigCorrupt as exc:
            error = exc
        except OSError as exc:  # a full disk, no permission: not a network problem
            error = ConfigWriteError(str(self._store.path), exc.strerror or type(exc).__name__)
        else:
            self._accounts = accounts
            return True
        from mailgui.core.diagnosis import explain
        from mailgui.ui import dialogs

        dialogs.show_error(self._widget, explain(error))
        return False

    # passwords: every keyring call runs on the keyring thread (mailgui.ui.credentials_task)
    @staticmethod
    def _key(account: Account) -> str:
        from mailgui.core.credentials import smtp_key

        return smtp_key(account)

    @Slot(object)
    def _on_save_failed(self, error: KeyringError) -> None:
        self.explain_keyring(error)

    def forget_password(self, account: Account) -> None:
        self.keyring.forget(self._key(account))

    def known_password(self, account: Account) -> str | None:
        """The password if known without asking the keyring (being saved, or session-only)."""
        if self.is_sandbox(account) and self._sandbox_password is not None:
            return self._sandbox_password
        return self.keyring.known(self._key(account))

    def password_getter(self, account: Account) -> Callable[[], str | None]:
        """For a worker thread: reads the password (may raise KeyringError)."""
        if self.is_sandbox(account) and self._sandbox_password is not None:
            fixed = self._sandbox_password  # the Sandbox's own, never the keyring's
            return lambda: fixed
        return self.keyring.getter(self._key(account))

    def fetch_password(
        self, account: Account, callback: Callable[[str | None, KeyringError | None], Any]
    ) -> None:
        """`callback(password, error)` later, in the GUI thread; the read runs off it."""
        if self.is_sandbox(account) and self._sandbox_password is not None:
            callback(self._sandbox_password, None)
            return
        self.keyring.fetch(self._key(account), callback)

    def store_password(self, account: Account, password: str, *, remember: bool) -> None:
        """Keyring when `remember` (memory for this session if it fails), else memory only.

        The Sandbox's password is fixed (the demo credential its server checks): a password
        typed for it is ignored, or one wrong guess would break every later sandbox send."""
        if self.is_sandbox(account):
            return
        self.keyring.store_password(self._key(account), password, remember=remember)

    def explain_keyring(self, error: KeyringError) -> None:
        """Show the keyring diagnosis once per session; later failures stay quiet."""
        if self._keyring_explained:
            return
        self._keyring_explained = True
        from mailgui.core.diagnosis import explain
        from mailgui.ui import dialogs

        dialogs.show_error(self._widget, explain(error))

    def password_missing(
        self,
        account: Account,
        reason: str,
        callback: Callable[[str | None], Any],
        on_cancel: Callable[[], Any] | None,
        error: KeyringError | None,
    ) -> None:
        """No password from the keyring: explain a keyring failure once, then ask the user."""
        if error is not None:
            self.explain_keyring(error)  # once; the password dialog then says "this session"
        self.ask_password(account, reason, callback, on_cancel, keyring_ok=error is None)

    def ask_password(
        self,
        account: Account,
        reason: str,
        callback: Callable[[str | None], Any] | None = None,
        on_cancel: Callable[[], Any] | None = None,
        *,
        keyring_ok: bool = True,
    ) -> Any:
        from mailgui.ui import dialogs

        dialog = dialogs.ask_password(
            self._widget, account.name, reason, keyring_available=keyring_ok
        )
        dialog.passwordEntered.connect(functools.partial(self._password_entered, account, callback))
        if on_cancel is not None:
            dialog.rejected.connect(on_cancel)
        return dialog

    def _password_entered(
        self,
        account: Account,
        callback: Callable[[str | None], Any] | None,
        password: str,
        remember: bool,
    ) -> None:
        self.store_password(account, password, remember=remember)
        if callback is not None:
            callback(password)

    def shutdown(self, timeout_ms: int) -> bool:
        return self.keyring.shutdown(timeout_ms)


DUPLICATE_TIP = "Copy the selected account"
REMOVE_TIP = "Remove the selected account (asks first)"


class AccountListPane(QWidget):
    """The account list with Add / Edit / Duplicate / Remove and an empty-state prompt."""

    addRequested = Signal()
    editRequested = Signal(str)
    duplicateRequested = Signal(str)
    removeRequested = Signal(str)
    currentChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountPane")
        title = QLabel("<b>Accounts</b>", self)
        self.list = QListWidget(self)
        self.list.setObjectName("accountList")
        self.list.setAccessibleName("Accounts")
        self.list.setToolTip("Your accounts. Double-click or press Enter to edit one.")
        self.empty = QLabel(
            "No account yet.\nAdd one to start sending, or try the Sandbox from the Sandbox menu.",
            self,
        )
        self.empty.setObjectName("accountListEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_button = self._button(
            "&Add…", "addAccountButton", "Add account", "Add an account with an empty settings form"
        )
        self.edit_button = self._button(
            "&Edit", "editAccountButton", "Edit account", "Edit the selected account"
        )
        self.duplicate_button = self._button(
            "D&uplicate", "duplicateAccountButton", "Duplicate account", DUPLICATE_TIP
        )
        self.remove_button = self._button(
            "&Remove…", "removeAccountButton", "Remove account", REMOVE_TIP
        )
        # Set by the account controller: account id -> is it built in (the Sandbox)?
        self.is_builtin: Callable[[str], bool] = lambda _account_id: False
        row1 = QHBoxLayout()
        row1.addWidget(self.add_button)
        row1.addWidget(self.edit_button)
        row2 = QHBoxLayout()
        row2.addWidget(self.duplicate_button)
        row2.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty, 1)
        layout.addLayout(row1)
        layout.addLayout(row2)

        self.add_button.clicked.connect(self.addRequested)
        self.edit_button.clicked.connect(self._edit)
        self.duplicate_button.clicked.connect(self._duplicate)
        self.remove_button.clicked.connect(self._remove)
        self.list.itemActivated.connect(self._edit)
        self.list.currentItemChanged.connect(self._current_changed)
        self.set_accounts([])

    def _button(self, text: str, name: str, accessible: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.setToolTip(tip)
        return button

    def set_accounts(self, accounts: list[Account], current_id: str | None = None) -> None:
        keep = current_id or self.current_id()
        self.list.blockSignals(True)
        self.list.clear()
        for account in accounts:
            item = QListWidgetItem(f"{account.name}\n{account.email}")
            item.setData(Qt.ItemDataRole.UserRole, account.id)
            item.setToolTip(f"{account.email} via {account.smtp.host}:{account.smtp.port}")
            self.list.addItem(item)
            if account.id == keep:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self.list.blockSignals(False)
        self.list.setVisible(bool(accounts))
        self.empty.setVisible(not accounts)
        self._update_buttons()

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def _update_buttons(self) -> None:
        current = self.current_id()
        self.edit_button.setEnabled(current is not None)
        builtin = current is not None and self.is_builtin(current)
        for button, tip, why in (
            (self.duplicate_button, DUPLICATE_TIP, "a copy would point at a port that changes"),
            (self.remove_button, REMOVE_TIP, "it cannot be removed"),
        ):
            button.setEnabled(current is not None and not builtin)
            # A disabled button still shows its tooltip: say why it is greyed out.
            button.setToolTip(f"The Sandbox account is built in: {why}." if builtin else tip)

    @Slot()
    def _current_changed(self) -> None:
        self._update_buttons()
        self.currentChanged.emit(self.current_id() or "")

    @Slot()
    def _edit(self) -> None:
        if self.current_id():
            self.editRequested.emit(self.current_id())

    @Slot()
    def _duplicate(self) -> None:
        if self.current_id():
            self.duplicateRequested.emit(self.current_id())

    @Slot()
    def _remove(self) -> None:
        if self.current_id():
            self.removeRequested.emit(self.current_id())


class Welcome(QWidget):
    """The empty state: no account yet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        title = QLabel("<h2>Welcome to mailgui</h2>", self)
        text = QLabel(
            "Add an account to start sending mail. When something goes wrong, mailgui tells you "
            "what happened and how to fix it.<br><br>No account at hand? The <b>Sandbox</b> is a "
            "mail server on this computer: send to it and try every error dialog safely.",
            self,
        )
        text.setWordWrap(True)
        self.add_button = self._button(
            "Add an account…", "emptyAddAccountButton", "Enter the server settings yourself"
        )
        self.lookup_button = self._button(
            "New account from address…",
            "emptyNewFromAddress",
            "Type your address; mailgui looks the settings up",
        )
        self.sandbox_button = self._button(
            "Try the sandbox", "emptyTrySandbox", "Start a local test server with a ready account"
        )
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (title, text, self.add_button, self.lookup_button, self.sandbox_button):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
            if widget is text:
                layout.addSpacing(12)
        text.setFixedWidth(520)
        # A centred layout item gets no height-for-width: size the wrapped text explicitly.
        text.setFixedHeight(text.heightForWidth(520))
        layout.addStretch(2)

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAccessibleName(text.rstrip("…"))
        button.setToolTip(tip)
        button.setMinimumWidth(260)
        return button
