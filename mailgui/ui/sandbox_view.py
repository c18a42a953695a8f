"""The built-in sandbox in the window: start/stop it, show what it received, simulate failures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mailgui.ui.jobs import Job, JobContext, JobRunner


def _start_sandbox(data_dir: Path, created: list[Any], _ctx: JobContext) -> Any:
    from mailgui.core.sandbox import Sandbox  # imports aiosmtpd: only when the sandbox is wanted

    sandbox = Sandbox(data_dir)
    created.append(sandbox)  # so stop() finds it even if the window closes before it is reported
    sandbox.start()
    return sandbox


class SandboxHost(QObject):
    """Owns the Sandbox: starts it on the pool, keeps its view and failure menu current, relays
    its server-thread callback to the GUI thread, and stops it."""

    started = Signal(object)  # the Sandbox
    messageReceived = Signal(object)  # SandboxMessage, delivered in the GUI thread (queued)
    statusMessage = Signal(str)

    def __init__(
        self,
        config_dir: Path,
        jobs: JobRunner,
        view: SandboxView,
        menu: SimulateFailureMenu,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.data_dir = config_dir / "sandbox"
        self._jobs = jobs
        self._widget = parent
        self.view = view
        self.menu = menu
        self.sandbox: Any = None
        self._starting = False
        self._created: list[Any] = []
        view.startRequested.connect(self.start)
        menu.chosen.connect(self._simulate)
        self.messageReceived.connect(self._refresh)

    @property
    def running(self) -> bool:
        return self.sandbox is not None

    @Slot()
    def start(self) -> None:
        if self.sandbox is not None or self._starting:
            return
        self._starting = True
        self.statusMessage.emit("Starting the sandbox…")
        job = Job(lambda ctx: _start_sandbox(self.data_dir, self._created, ctx), "sandbox")
        job.signals.succeeded.connect(self._on_started)
        job.signals.failed.connect(self._on_failed)
        self._jobs.submit(job)

    @Slot(object)
    def _on_started(self, sandbox: Any) -> None:
        self._starting = False
        if sandbox not in self._created:  # stopped meanwhile (the window closed)
            return
        self.sandbox = sandbox
        # Called in the server's thread: a signal hop brings it to the GUI thread.
        sandbox.on_message = self.messageReceived.emit
        self.view.set_running(True, f"{sandbox.host}:{sandbox.port}")
        self._refresh()
        self.started.emit(sandbox)
        self.statusMessage.emit(f"Sandbox running on {sandbox.host}:{sandbox.port}.")

    @Slot(object)
    def _on_failed(self, error: BaseException) -> None:
        self._starting = False
        from mailgui.core.diagnosis import explain
        from mailgui.ui import dialogs

        dialogs.show_error(self._widget, explain(error))

    @Slot()
    def _refresh(self) -> None:
        self.view.set_messages(self.messages())

    @Slot(object)
    def _simulate(self, failure: Any) -> None:
        if self.sandbox is None:
            self.start()
            self.menu.reset()
            self.statusMessage.emit("Starting the sandbox; choose the failure again.")
            return
        self.sandbox.simulate(failure)
        if failure is None:
            self.statusMessage.emit("The Sandbox sends normally again.")
            return
        message = f"The next send through the Sandbox will fail: {failure.label}."
        if failure.name == "NO_ANSWER":
            # Otherwise the user stares at a progress bar for the whole timeout wondering.
            message += " mailgui waits for the send timeout (Preferences) before it gives up."
        self.statusMessage.emit(message)

    def sync_menu(self) -> None:
        """Back to "Send normally" once the simulated failure was used."""
        if self.sandbox is not None and self.sandbox.pending_failure is None:
            self.menu.reset()

    def messages(self) -> list[Any]:
        return self.sandbox.messages() if self.sandbox is not None else []

    def stop(self) -> None:
        self.sandbox = None
        while self._created:
            sandbox = self._created.pop()
            sandbox.on_message = None
            sandbox.stop()


class SimulateFailureMenu(QMenu):
    """ "Simulate failure ▸": the next send through the sandbox fails the chosen way."""

    chosen = Signal(object)  # SandboxFailure or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Simulate &failure", parent)
        self.setObjectName("simulateFailureMenu")
        self.setToolTipsVisible(True)
        self._group = QActionGroup(self)
        self._group.setExclusive(True)
        self.aboutToShow.connect(self._populate)
        self._populate()

    @Slot()
    def _populate(self) -> None:
        if self.actions():
            return
        # The enum lives in a small module without aiosmtpd, so the menu costs nothing.
        from mailgui.core.sandbox_failures import SandboxFailure

        self._add("Send normally", None).setChecked(True)
        self.addSeparator()
        for failure in SandboxFailure:
            self._add(failure.label, failure)

    def _add(self, text: str, failure: Any) -> QAction:
        action = QAction(text, self)
        action.setCheckable(True)
        action.setData(failure.value if failure is not None else "")
        action.setToolTip("The next message sent through the Sandbox fails this way")
        action.triggered.connect(self._triggered)
        self._group.addAction(action)
        self.addAction(action)
        return action

    @Slot()
    def _triggered(self) -> None:
        from mailgui.core.sandbox_failures import SandboxFailure

        action = self._group.checkedAction()
        value = action.data() if action else ""
        self.chosen.emit(SandboxFailure(value) if value else None)

    def reset(self) -> None:
        """Back to "Send normally" (a simulated failure is used once)."""
        if self.actions():
            self.actions()[0].setChecked(True)


class SandboxView(QWidget):
    """Messages the sandbox received, newest first, with a preview."""

    startRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sandboxView")
        self._messages: list[Any] = []
        self.status = QLabel(self)
        self.status.setObjectName("sandboxStatus")
        self.status.setWordWrap(True)
        self.start_button = QPushButton("Start the sandbox", self)
        self.start_button.setObjectName("startSandboxButton")
        self.start_button.setAccessibleName("Start the sandbox")
        self.start_button.setToolTip("Start a local test mail server with its own account")
        self.start_button.clicked.connect(self.startRequested)
        self.list = QListWidget(self)
        self.list.setObjectName("sandboxMessages")
        self.list.setAccessibleName("Messages received by the sandbox")
        self.list.setToolTip("Every message the sandbox server received, newest first")
        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("sandboxPreview")
        self.preview.setAccessibleName("Message preview")
        self.preview.setReadOnly(True)
        self.preview.setPlaceholderText("Select a message to see it here.")
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.list)
        splitter.addWidget(self.preview)
        splitter.setSizes([200, 300])
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.list.currentRowChanged.connect(self._show)
        self.set_running(False, None)

    def set_running(self, running: bool, address: str | None) -> None:
        self.start_button.setVisible(not running)
        if running:
            self.status.setText(
                f"The sandbox is a mail server on this computer ({address}). Mail sent with the "
                "Sandbox account lands here and goes nowhere else. Use Sandbox ▸ Simulate failure "
                "to see how mailgui explains each kind of problem."
            )
        else:
            self.status.setText(
                "The sandbox is not running. Start it to try mailgui without a real account."
            )

    def set_messages(self, messages: list[Any]) -> None:
        self._messages = list(messages)
        self.list.clear()
        for message in self._messages:
            stamp = time.strftime("%H:%M:%S", time.localtime(message.received))
            text = (
                f"{stamp}  {message.subject or '(no subject)'}  →  {', '.join(message.recipients)}"
            )
            QListWidgetItem(text, self.list)
        if not self._messages:
            self.preview.clear()
        else:
            self.list.setCurrentRow(0)

    @Slot(int)
    def _show(self, row: int) -> None:
        if not 0 <= row < len(self._messages):
            self.preview.clear()
            return
        message = self._messages[row]
        lines = [
            f"From: {message.from_header}",
            f"To: {message.to_header}",
            f"Envelope: {message.envelope_from} → {', '.join(message.recipients)}",
            f"Subject: {message.subject}",
            f"Size: {len(message.raw)} bytes",
        ]
        if message.attachments:
            lines.append(f"Attachments: {', '.join(message.attachments)}")
        self.preview.setPlainText("\n".join(lines) + "\n\n" + message.body_text)
