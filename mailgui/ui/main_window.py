"""The main window: composes the panes, menus and status bar. The glue lives beside it:
accounts in account_controller, compose / Outbox / dialog actions in message_actions.

Work that needs slow imports (drafts and outbox pull in address validation, the sandbox pulls in
aiosmtpd) runs right after the first show, so the window appears quickly.
"""

from __future__ import annotations

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

from mailgui.ui.account_controller import AccountController, _module_available
from mailgui.ui.account_editor import AccountEditor
from mailgui.ui.account_list import AccountListPane, AccountManager, Welcome
from mailgui.ui.compose import ComposePane
from mailgui.ui.draft_link import DraftOutboxLink
from mailgui.ui.jobs import JobRunner
from mailgui.ui.message_actions import MessageActions
from mailgui.ui.outbox_view import OutboxController, OutboxView, SentView
from mailgui.ui.sandbox_view import SandboxHost, SandboxView, SimulateFailureMenu
from mailgui.ui.send_controller import SendController
from mailgui.ui.settings import Preferences, UiSettings

if TYPE_CHECKING:
    from mailgui.core.accounts import Account
    from mailgui.core.credentials import CredentialStore
    from mailgui.ui.send_controller import ActionContext

SHUTDOWN_WAIT_MS = 3000
AFTER_SHOW_FALLBACK_MS = 1000


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
        self.send_controller = SendController(
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
        self.account_ctl = AccountController(self)
        self.messages = MessageActions(self)
        self.draft_link = DraftOutboxLink(self.settings.path, self.compose, self)
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
        self.account_ctl.refresh(compose_account=last)
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
        self.add_account_action = self._action(
            accounts_menu, "&Add account…", self.add_account, "Ctrl+Shift+A"
        )
        self.new_from_address_action = self._action(
            accounts_menu,
            "&New account from address…",
            self.new_account_from_address,
            "Ctrl+Shift+N",
            tip="Type your address; mailgui looks the server settings up",
        )
        self.new_from_address_action.setVisible(_module_available("mailgui.ui.new_account"))
        self.test_connection_action = self._action(
            accounts_menu, "&Test connection…", self.account_ctl.test_current_account, "Ctrl+T"
        )
        sandbox_menu = bar.addMenu("&Sandbox")
        self.start_sandbox_action = self._action(
            sandbox_menu, "&Start the sandbox", self.start_sandbox
        )
        self.view_sandbox_action = self._action(
            sandbox_menu, "&View received messages", self.show_sandbox, "Ctrl+Shift+M"
        )
        sandbox_menu.addMenu(self.simulate_menu)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About mailgui", self.show_about)

    def _connect(self) -> None:
        self.account_ctl.connect()
        self.messages.connect()
        self.welcome.sandbox_button.clicked.connect(self.start_sandbox)
        self.compose.accountChanged.connect(self._compose_account_changed)
        self.send_controller.busyChanged.connect(self._busy_changed)
        self.send_controller.progress.connect(self.compose.set_progress)
        self.send_controller.statusMessage.connect(self.statusBar().showMessage)
        self.send_controller.capabilitiesKnown.connect(self._size_limit_known)
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
        saved_outbox_id = self.draft_link.saved()  # read before the restore rewrites it
        restored = self.autosaver.restore()
        self.draft_link.restore(saved_outbox_id if restored else None, self.config_dir)
        if restored:
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

    # accounts (the glue lives in AccountController)
    def _from_addr(self, account_id: str | None) -> str:
        account = self.accounts.get(account_id)
        return account.email if account else ""

    @Slot()
    def add_account(self) -> None:
        self.account_ctl.add_account()

    def edit_account(self, account_id: str, field: str | None = None) -> None:
        self.account_ctl.edit_account(account_id, field)

    @Slot()
    def new_account_from_address(self) -> None:
        self.account_ctl.new_account_from_address()

    def test_connection(self, account: Account | None, password: str = "") -> None:
        self.account_ctl.test_connection(account, password)

    # compose and send
    @Slot(str)
    def _compose_account_changed(self, account_id: str) -> None:
        self.compose.attachments.set_size_limit(self.send_controller.size_limits.get(account_id))
        if account_id and self.prefs.remember_last_account:
            self.settings.last_account = account_id

    @Slot(str)
    def _size_limit_known(self, account_id: str) -> None:
        if account_id == self.compose.account_id():
            self._compose_account_changed(account_id)

    @Slot(bool)
    def _busy_changed(self, busy: bool) -> None:
        self.compose.set_sending(busy)
        self.send_action.setEnabled(not busy)
        if not busy:
            self.sandbox_host.sync_menu()  # a simulated failure is used once

    @Slot()
    def send(self) -> None:
        self.messages.send()

    @Slot()
    def new_message(self) -> None:
        self.messages.new_message()

    def handle_action(self, action: str, context: ActionContext) -> None:
        self.messages.handle_action(action, context)

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
        self.draft_link.save()
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.jobs.shutdown(SHUTDOWN_WAIT_MS)
        self.accounts.shutdown(SHUTDOWN_WAIT_MS)
        self.sandbox_host.stop()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        event.accept()
