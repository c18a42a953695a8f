"""The main window: composes the panes, menus and status bar, and routes dialog actions.

Work that needs slow imports (drafts and outbox pull in address validation, the sandbox pulls in
aiosmtpd) runs right after the first show, so the window appears quickly.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from mailgui.ui.account_editor import AccountEditor
from mailgui.ui.account_list import AccountListPane, AccountManager, Welcome
from mailgui.ui.compose import ComposePane
from mailgui.ui.jobs import JobRunner
from mailgui.ui.outbox_view import OutboxController, OutboxView, SentView
from mailgui.ui.sandbox_view import SandboxHost, SandboxView, SimulateFailureMenu
from mailgui.ui.send_controller import ActionContext, SendController, SendRequest
from mailgui.ui.settings import Preferences, UiSettings

if TYPE_CHECKING:
    from mailgui.core.accounts import Account
    from mailgui.core.credentials import CredentialStore

MESSAGE_FIELDS = {"from", "to", "cc", "bcc", "subject", "body", "attachments"}
SHUTDOWN_WAIT_MS = 3000
AFTER_SHOW_FALLBACK_MS = 1000


def _module_available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


class _AfterFirstPaint(QObject):
    """Calls `callback` on the turn of the event loop after the window's first paint."""

    def __init__(self, window: QWidget, callback: Any) -> None:
        super().__init__(window)
        self._callback = callback
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)
        return False


class MainWindow(QMainWindow):
    initialized = Signal()  # drafts, outbox and sent log loaded (just after the first show)

    def __init__(
        self,
        config_dir: Path | None = None,
        *,
        credentials: CredentialStore | None = None,
        sandbox: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if config_dir is None:
            from mailgui.core.account_store import default_config_dir

            config_dir = default_config_dir()
        self.config_dir = Path(config_dir)
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.setObjectName("mainWindow")
        self.setAccessibleName("mailgui")
        self.setWindowTitle("mailgui")
        self.settings = UiSettings(self.config_dir)
        self.prefs = self.settings.preferences()
        self.jobs = JobRunner(self)
        self.accounts = AccountManager(self.config_dir, credentials, self)
        self.sender = SendController(
            self.jobs, self.accounts, self.config_dir, self, lambda: float(self.prefs.send_timeout)
        )
        self.autosaver: Any = None
        self.ready = False
        self._closed = False
        self._want_sandbox = sandbox

        self.account_pane = AccountListPane(self)
        self.compose = ComposePane(self)
        self.compose.check_as_you_type = self.prefs.check_addresses_as_you_type
        self.welcome = Welcome(self)
        self.welcome.lookup_button.setVisible(_module_available("mailgui.ui.new_account"))
        self.compose_stack = QStackedWidget(self)
        self.compose_stack.addWidget(self.welcome)
        self.compose_stack.addWidget(self.compose)
        self.editor = AccountEditor(self)
        self.outbox_view = OutboxView(self)
        self.sent_view = SentView(self)
        self.outbox = OutboxController(self.config_dir, self.outbox_view, self.sent_view, self)
        self.sandbox_view = SandboxView(self)
        self.simulate_menu = SimulateFailureMenu(self)
        self.sandbox_host = SandboxHost(
            self.config_dir, self.jobs, self.sandbox_view, self.simulate_menu, self
        )
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("mainTabs")
        self.tabs.setAccessibleName("Views")
        for widget, title in (
            (self.compose_stack, "&Compose"),
            (self.editor, "&Account"),
            (self.outbox_view, "&Outbox"),
            (self.sent_view, "Se&nt"),
            (self.sandbox_view, "Sand&box"),
        ):
            self.tabs.addTab(widget, title)
        splitter = QSplitter(self)
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(self.account_pane)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 860])
        self.setCentralWidget(splitter)
        self._build_menus()
        self._connect()
        self.statusBar().setObjectName("statusBar")

        geometry = self.settings.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1100, 720)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        last = self.settings.last_account if self.prefs.remember_last_account else None
        self._refresh_accounts(compose_account=last)
        # Drafts, Outbox and the sandbox wait for the first paint, so they never delay it; the
        # timer covers a window that is built but never shown.
        _AfterFirstPaint(self, self._after_show)
        QTimer.singleShot(AFTER_SHOW_FALLBACK_MS, self._after_show)

    # construction
    def _action(
        self, menu: Any, text: str, slot: Any, shortcut: Any = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip or text.replace("&", "").rstrip("…"))
        action.setStatusTip(action.toolTip())
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&New message", self.new_message, "Ctrl+N")
        self.send_action = self._action(
            file_menu, "&Send", self.send, "Ctrl+Return", "Send the message being written"
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q")
        edit_menu = bar.addMenu("&Edit")
        self._action(edit_menu, "&Preferences…", self.show_preferences, "Ctrl+,")
        accounts_menu = bar.addMenu("&Accounts")
        self._action(accounts_menu, "&Add account…", self.add_account)
        self.new_from_address_action = self._action(
            accounts_menu,
            "&New account from address…",
            self.new_account_from_address,
            tip="Type your address; mailgui looks the server settings up",
        )
        self.new_from_address_action.setVisible(_module_available("mailgui.ui.new_account"))
        self._action(accounts_menu, "&Test connection…", self.test_current_account)
        sandbox_menu = bar.addMenu("&Sandbox")
        self.start_sandbox_action = self._action(
            sandbox_menu, "&Start the sandbox", self.start_sandbox
        )
        self._action(sandbox_menu, "&View received messages", self.show_sandbox)
        sandbox_menu.addMenu(self.simulate_menu)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About mailgui", self.show_about)

    def _connect(self) -> None:
        pane = self.account_pane
        pane.addRequested.connect(self.add_account)
        pane.editRequested.connect(self.edit_account)
        pane.currentChanged.connect(self._account_selected)
        pane.duplicateRequested.connect(self._duplicate_account)
        pane.removeRequested.connect(self._confirm_remove)
        self.accounts.changed.connect(self._refresh_accounts)
        self.welcome.add_button.clicked.connect(self.add_account)
        self.welcome.lookup_button.clicked.connect(self.new_account_from_address)
        self.welcome.sandbox_button.clicked.connect(self.start_sandbox)
        self.editor.saveRequested.connect(self._save_account)
        self.editor.testRequested.connect(self.test_connection)
        self.compose.sendRequested.connect(self.send)
        self.compose.cancelRequested.connect(self.sender.cancel)
        self.compose.accountChanged.connect(self._compose_account_changed)
        self.sender.busyChanged.connect(self._busy_changed)
        self.sender.progress.connect(self.compose.set_progress)
        self.sender.statusMessage.connect(self.statusBar().showMessage)
        self.sender.actionRequested.connect(self.handle_action)
        self.sender.outboxChanged.connect(self.outbox.refresh)
        self.sender.sentChanged.connect(self.outbox.refresh_sent)
        self.sender.composeDone.connect(self._compose_sent)
        self.sender.outboxLinked.connect(self._outbox_linked)
        self.sender.capabilitiesKnown.connect(self._size_limit_known)
        self.outbox.retryRequested.connect(self._retry_outbox)
        self.outbox.editRequested.connect(self._edit_outbox)
        self.outbox.deleted.connect(self._outbox_deleted)
        self.outbox.countChanged.connect(self._outbox_count)
        self.sandbox_host.started.connect(self._sandbox_started)
        self.sandbox_host.statusMessage.connect(self.statusBar().showMessage)

    @Slot()
    def _after_show(self) -> None:
        if self.autosaver is not None or self._closed:
            return
        from mailgui.core.drafts import DraftStore
        from mailgui.ui.compose import DraftAutosaver

        self.autosaver = DraftAutosaver(self.compose, DraftStore(self.config_dir), self._from_addr)
        if self.autosaver.restore():
            self.statusBar().showMessage("Restored the message you were writing.")
        self.outbox.refresh()
        self.outbox.refresh_sent()
        if self.accounts.load_error is not None:
            from mailgui.core.diagnosis import explain
            from mailgui.ui import dialogs

            dialogs.show_error(self, explain(self.accounts.load_error))
        if self._want_sandbox:
            self.start_sandbox()
        self.ready = True
        self.initialized.emit()

    def start_sandbox_when_shown(self) -> None:
        """Start the sandbox once the window is up (first launch without an account)."""
        if self.ready:
            self.start_sandbox()
        else:
            self._want_sandbox = True

    # accounts
    def _from_addr(self, account_id: str | None) -> str:
        account = self.accounts.get(account_id)
        return account.email if account else ""

    @Slot()
    def _refresh_accounts(self, compose_account: str | None = None) -> None:
        accounts = self.accounts.accounts()
        self.account_pane.set_accounts(accounts)
        self.compose.set_accounts(accounts, compose_account)
        self.compose_stack.setCurrentWidget(self.compose if accounts else self.welcome)
        editing = self.editor.editing
        if editing is not None and self.accounts.get(editing.id) is None:
            self.editor.load(None)
        elif editing is None and accounts and not self.editor.name.text():
            self.editor.load(accounts[0])

    @Slot(str)
    def _account_selected(self, account_id: str) -> None:
        account = self.accounts.get(account_id)
        if account is not None:
            self.editor.load(account)

    @Slot()
    def add_account(self) -> None:
        self.editor.load(None)
        self.tabs.setCurrentWidget(self.editor)
        self.editor.name.setFocus()

    @Slot(str)
    def edit_account(self, account_id: str, field: str | None = None) -> None:
        account = self.accounts.get(account_id)
        if account is not None:
            self.editor.load(account)
        self.tabs.setCurrentWidget(self.editor)
        # A closing dialog hands focus back to what had it: focus on the next turn of the loop.
        QTimer.singleShot(0, functools.partial(self._focus_editor_field, field))

    def _focus_editor_field(self, field: str | None) -> None:
        if not (field and self.editor.focus_field(field)):
            self.editor.name.setFocus()

    def _save_account(self, account: Account, password: str) -> None:
        self.accounts.save(account, password)
        self.account_pane.set_accounts(self.accounts.accounts(), account.id)
        self.editor.load(account)
        if self.compose.account_id() is None:
            self.compose.set_accounts(self.accounts.accounts(), account.id)
        self.statusBar().showMessage(f"Account “{account.name}” saved.")

    @Slot(str)
    def _duplicate_account(self, account_id: str) -> None:
        copy = self.accounts.duplicate(account_id)
        if copy is not None:
            self.account_pane.set_accounts(self.accounts.accounts(), copy.id)
            self.edit_account(copy.id)
            self.statusBar().showMessage("Account copied. Enter its password before sending.")

    @Slot(str)
    def _confirm_remove(self, account_id: str) -> None:
        from mailgui.ui import dialogs

        account = self.accounts.get(account_id)
        if account is None or self.accounts.is_sandbox(account):
            self.statusBar().showMessage("The Sandbox account is built in and stays.")
            return
        dialogs.confirm(
            self,
            "Remove account",
            f"Remove the account “{account.name}” ({account.email})? Its saved password is "
            "deleted from the keyring. Messages in the Outbox stay.",
            functools.partial(self._remove_account, account_id),
        )

    def _remove_account(self, account_id: str) -> None:
        self.accounts.remove(account_id)
        self.statusBar().showMessage("Account removed.")

    @Slot()
    def new_account_from_address(self) -> None:
        from mailgui.ui.new_account import NewAccountDialog

        dialog = NewAccountDialog(self)
        dialog.accountCreated.connect(self._account_created)
        dialog.testRequested.connect(self.test_connection)
        dialog.open()

    def _account_created(self, account: Account, password: str) -> None:
        self._save_account(account, password)

    @Slot()
    def test_current_account(self) -> None:
        if self.editor.validate() and (self.editor.editing or self.editor.name.text()):
            self.test_connection(self.editor.account(), self.editor.password.text())
        else:
            self.tabs.setCurrentWidget(self.editor)
            self.statusBar().showMessage("Fill in the account settings first.")

    def test_connection(self, account: Account | None, password: str = "") -> None:
        if account is None:
            return
        if not password:
            password = self.accounts.lookup_password(account)[0] or ""
        if _module_available("mailgui.ui.wizard"):
            from mailgui.ui.wizard import ConnectionWizard

            wizard = ConnectionWizard(account, password or None, self)
            wizard.applyToAccount.connect(self._apply_wizard)
            wizard.open()
        elif password or account.smtp.auth.value == "none":
            self.sender.check(account, password or None)
        else:
            self.accounts.request_password(
                account,
                "Enter the password to test the connection.",
                functools.partial(self.sender.check, account),
            )

    def _apply_wizard(self, account: Account) -> None:
        if self.accounts.is_sandbox(account):
            return
        # A password typed in the editor for this (maybe still unsaved) account is kept too.
        editing = self.editor.editing
        same = editing is None or editing.id == account.id
        self._save_account(account, self.editor.password.text() if same else "")
        self.tabs.setCurrentWidget(self.editor)

    # compose and send
    @Slot(str)
    def _compose_account_changed(self, account_id: str) -> None:
        self.compose.attachments.set_size_limit(self.sender.size_limits.get(account_id))
        if account_id and self.prefs.remember_last_account:
            self.settings.last_account = account_id

    @Slot(str)
    def _size_limit_known(self, account_id: str) -> None:
        if account_id == self.compose.account_id():
            self._compose_account_changed(account_id)

    @Slot()
    def send(self) -> None:
        account = self.accounts.get(self.compose.account_id())
        if account is None:
            self.tabs.setCurrentWidget(self.compose_stack)
            self.statusBar().showMessage("Add an account first: there is nothing to send with.")
            return
        bad = self.compose.validate_addresses(require_recipient=True)
        if bad:
            self.compose.focus_field(bad)
            self.statusBar().showMessage("Fix the address marked in red, then send again.")
            return
        draft = self.compose.draft(account.email)
        self.sender.send(SendRequest(draft, account, self.compose.outbox_id, from_compose=True))

    @Slot(bool)
    def _busy_changed(self, busy: bool) -> None:
        self.compose.set_sending(busy)
        self.send_action.setEnabled(not busy)
        if not busy:
            self.sandbox_host.sync_menu()  # a simulated failure is used once

    @Slot()
    def _compose_sent(self) -> None:
        self.compose.clear()
        if self.autosaver is not None:
            self.autosaver.flush()

    @Slot(str)
    def _outbox_linked(self, item_id: str) -> None:
        self.compose.outbox_id = item_id

    @Slot()
    def new_message(self) -> None:
        if self.compose.is_empty() or self.compose.outbox_id:
            self._start_new_message()
            return
        from mailgui.ui import dialogs

        dialogs.confirm(
            self, "New message", "Discard the message you are writing?", self._start_new_message
        )

    def _start_new_message(self) -> None:
        self.compose.clear()
        self.tabs.setCurrentWidget(self.compose_stack)
        self.compose.edits["to"].setFocus()

    # the dialog's actions
    def handle_action(self, action: str, context: ActionContext) -> None:
        diagnosis, account, request = context.diagnosis, context.account, context.request
        field = getattr(diagnosis, "field", None)
        if action == "edit-account" and field not in MESSAGE_FIELDS and account is not None:
            self.edit_account(account.id, field)
            suggestion = getattr(diagnosis, "suggestion", None)
            if suggestion and not self.accounts.is_sandbox(account):
                changes = self.editor.apply_suggestion(suggestion)
                self.statusBar().showMessage(f"Suggested: {changes}. Check, then Save.")
        elif action in ("test-connection", "trust-certificate"):
            self.test_connection(account)
        elif action == "retry" and request is not None:
            self.sender.send(request)
        elif action == "enter-password" and account is not None:
            retry = functools.partial(self._resend, request) if request else None
            self.accounts.ask_password(account, "The server did not accept the password.", retry)
        elif action in ("edit-message", "edit-account"):
            self._edit_message(diagnosis, request, field or "to")

    def _resend(self, request: SendRequest, _password: str | None = None) -> None:
        self.sender.send(request)

    def _edit_message(self, diagnosis: Any, request: SendRequest | None, field: str) -> None:
        if request is not None and (not request.from_compose or self.compose.is_empty()):
            draft = request.draft
            refused = {r.address for r in getattr(diagnosis, "refused", ())}
            if refused:  # partly sent: only the refused recipients still need it
                from dataclasses import replace

                draft = replace(
                    draft,
                    to=tuple(
                        a
                        for a in (*draft.to, *draft.cc, *draft.bcc)
                        if any(r in a for r in refused)
                    ),
                    cc=(),
                    bcc=(),
                )
            self.compose.load_draft(draft, request.account.id, request.outbox_id)
        self.tabs.setCurrentWidget(self.compose_stack)
        QTimer.singleShot(0, functools.partial(self.compose.focus_field, field))

    # outbox
    @Slot(object)
    def _retry_outbox(self, item: Any) -> None:
        account = self.accounts.get(item.account_id) or self.accounts.get(self.compose.account_id())
        if account is None:
            self.statusBar().showMessage("This message's account no longer exists: edit it.")
            return
        self.sender.send(SendRequest(item.draft, account, item.id, from_compose=False))

    @Slot(object)
    def _edit_outbox(self, item: Any) -> None:
        load = functools.partial(self._load_outbox_item, item)
        if self.compose.is_empty() or self.compose.outbox_id:
            load()
        else:
            from mailgui.ui import dialogs

            dialogs.confirm(
                self, "Edit message", "Replace the message you are writing with this one?", load
            )

    def _load_outbox_item(self, item: Any) -> None:
        self.compose.load_draft(item.draft, item.account_id, item.id)
        self.tabs.setCurrentWidget(self.compose_stack)
        self.compose.edits["to"].setFocus()

    @Slot(str)
    def _outbox_deleted(self, item_id: str) -> None:
        if self.compose.outbox_id == item_id:
            self.compose.outbox_id = None

    @Slot(int)
    def _outbox_count(self, count: int) -> None:
        index = self.tabs.indexOf(self.outbox_view)
        self.tabs.setTabText(index, f"&Outbox ({count})" if count else "&Outbox")

    # sandbox
    @Slot()
    def start_sandbox(self) -> None:
        self.sandbox_host.start()

    @Slot()
    def show_sandbox(self) -> None:
        self.tabs.setCurrentWidget(self.sandbox_view)

    @Slot(object)
    def _sandbox_started(self, sandbox: Any) -> None:
        self.accounts.set_sandbox(sandbox.account(), sandbox.PASSWORD)
        self.start_sandbox_action.setEnabled(False)
        if self.compose.account_id() is None or len(self.accounts.accounts()) == 1:
            self.compose.set_accounts(self.accounts.accounts(), sandbox.ACCOUNT_ID)

    # preferences, about
    @Slot()
    def show_preferences(self) -> None:
        from mailgui.ui.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.prefs, self)
        dialog.changed.connect(self._preferences_changed)
        dialog.open()

    @Slot(object)
    def _preferences_changed(self, prefs: Preferences) -> None:
        self.prefs = prefs
        self.settings.save_preferences(prefs)
        self.compose.check_as_you_type = prefs.check_addresses_as_you_type

    @Slot()
    def show_about(self) -> None:
        from mailgui.ui import dialogs

        dialogs.about(self)

    # shutdown
    def shutdown(self) -> None:
        """Save state, cancel jobs, wait for the pools (bounded), stop the sandbox. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self.autosaver is not None:
            self.autosaver.flush()
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.jobs.shutdown(SHUTDOWN_WAIT_MS)
        self.sandbox_host.stop()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        event.accept()
