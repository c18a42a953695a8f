"""The compose pane: From, To/Cc/Bcc with inline checks, subject, body, attachments, send row.

It only edits a `Draft`; sending is the SendController's job and saving drafts is DraftAutosaver's.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMimeData, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailgui.ui.attachments import AttachmentPanel, human_size

if TYPE_CHECKING:
    from mailgui.core.accounts import Account
    from mailgui.core.drafts import DraftStore
    from mailgui.core.message import Draft

# One red that reads on light and dark palettes alike; everything else comes from the palette.
ERROR_RED = "#e5534b"
# For a dialog that styles its invalid fields and role="error" labels with one sheet.
ERROR_STYLE = f"""
QLineEdit[invalid="true"] {{ border: 1px solid {ERROR_RED}; border-radius: 3px; padding: 2px; }}
QLabel[role="error"] {{ color: {ERROR_RED}; }}
QLabel[warning="true"] {{ color: {ERROR_RED}; }}
"""
# Applied to an invalid field alone: a window-wide style sheet would slow every paint.
_INVALID_FIELD = f"border: 1px solid {ERROR_RED}; border-radius: 3px; padding: 2px;"
ADDRESS_FIELDS = ("to", "cc", "bcc")


def local_files(mime: QMimeData) -> list[str]:
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


def set_invalid(widget: QWidget, message: str | None, label: QLabel | None = None) -> None:
    """Red border on `widget` and the message in `label` (hidden when valid)."""
    invalid = bool(message)
    if widget.property("invalid") is not invalid:  # restyling is costly: only on a change
        widget.setProperty("invalid", invalid)
        if isinstance(widget, QLineEdit):
            widget.setStyleSheet(_INVALID_FIELD if invalid else "")
        else:
            widget.style().unpolish(widget)
            widget.style().polish(widget)
    widget.setAccessibleDescription(message or "")
    if label is not None:
        label.setText(message or "")
        label.setVisible(invalid)


def paint_red(label: QLabel, red: bool = True) -> None:
    """Error text colour for one label, from its palette (no style sheet)."""
    parent = label.parentWidget()
    palette = parent.palette() if parent is not None else QPalette()
    if red:
        palette.setColor(QPalette.ColorRole.WindowText, QColor(ERROR_RED))
    label.setPalette(palette)


def error_label(parent: QWidget, name: str) -> QLabel:
    """A hidden, word-wrapped, red label shown under a field when it is wrong."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setProperty("role", "error")
    label.setWordWrap(True)
    paint_red(label)
    label.hide()
    return label


class BodyEdit(QPlainTextEdit):
    """Plain-text body; files dropped on it become attachments instead of inserted paths."""

    filesDropped = Signal(list)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return bool(local_files(source)) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        files = local_files(source)
        if files:
            self.filesDropped.emit(files)
        else:
            super().insertFromMimeData(source)


class ComposePane(QWidget):
    sendRequested = Signal()
    cancelRequested = Signal()
    changed = Signal()
    accountChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composePane")
        self.setAcceptDrops(True)
        self.outbox_id: str | None = None  # set while editing a message from the Outbox
        self._loading = False

        self.from_combo = QComboBox(self)
        self._name(self.from_combo, "composeFrom", "From", "The account that sends this message")
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("&From:", self.from_combo)
        tips = {
            "to": "Recipients, separated by commas",
            "cc": "Copy to these recipients (everyone sees them)",
            "bcc": "Blind copy: these recipients are hidden from the others",
        }
        for field in ADDRESS_FIELDS:
            edit = QLineEdit(self)
            self._name(edit, f"compose{field.title()}", field.title(), tips[field])
            edit.setPlaceholderText("name@example.com, Other Person <other@example.com>")
            error = error_label(self, f"compose{field.title()}Error")
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(edit)
            box.addWidget(error)
            label = QLabel(f"&{field.title()}:", self)
            label.setBuddy(edit)  # a layout row gets no buddy by itself: keep Alt+T working
            form.addRow(label, box)
            self.edits[field] = edit
            self.errors[field] = error
            edit.textChanged.connect(self._address_edited)
        self.subject = QLineEdit(self)
        self._name(self.subject, "composeSubject", "Subject", "What the message is about")
        form.addRow("&Subject:", self.subject)
        self.body = BodyEdit(self)
        self._name(self.body, "composeBody", "Message body", "The message text (plain text)")
        self.body.setTabChangesFocus(True)  # Tab leaves the body, so every control is reachable
        self.attachments = AttachmentPanel(self)

        self.send_button = QPushButton("Send", self)
        self._name(self.send_button, "sendButton", "Send", "Send this message (Ctrl+Return)")
        self.send_button.setDefault(False)
        self.progress = QProgressBar(self)
        self._name(self.progress, "sendProgress", "Send progress", "Bytes sent so far")
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel", self)
        self._name(self.cancel_button, "cancelSendButton", "Cancel sending", "Stop sending now")
        self.hint = QLabel("Ctrl+Return sends. Drafts are saved automatically.", self)
        self.hint.setObjectName("composeHint")
        self.hint.setEnabled(False)  # the palette's disabled text colour: quiet in both themes
        row = QHBoxLayout()
        row.addWidget(self.send_button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.hint, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.attachments)
        layout.addLayout(row)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(400)
        self._check_timer.timeout.connect(self.validate_addresses)
        self.send_button.clicked.connect(self.sendRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.from_combo.currentIndexChanged.connect(self._from_changed)
        self.subject.textChanged.connect(self._edited)
        self.body.textChanged.connect(self._edited)
        self.body.filesDropped.connect(self.attachments.add_paths)
        self.attachments.changed.connect(self._edited)
        self.check_as_you_type = True
        self.set_sending(False)
        widgets = [self.from_combo, *self.edits.values(), self.subject, self.body]
        widgets += [self.attachments.add_button, self.attachments.remove_button]
        widgets += [self.attachments.list, self.send_button, self.cancel_button]
        for first, second in itertools.pairwise(widgets):
            QWidget.setTabOrder(first, second)

    @staticmethod
    def _name(widget: QWidget, object_name: str, accessible: str, tip: str) -> None:
        widget.setObjectName(object_name)
        widget.setAccessibleName(accessible)
        widget.setToolTip(tip)

    # accounts
    def set_accounts(self, accounts: list[Account], current_id: str | None = None) -> None:
        keep = current_id or self.account_id()
        self.from_combo.blockSignals(True)
        self.from_combo.clear()
        for account in accounts:
            self.from_combo.addItem(f"{account.name} <{account.email}>", account.id)
        index = self.from_combo.findData(keep) if keep else -1
        self.from_combo.setCurrentIndex(max(index, 0) if accounts else -1)
        self.from_combo.blockSignals(False)
        self._from_changed()

    def account_id(self) -> str | None:
        data = self.from_combo.currentData()
        return str(data) if data else None

    @Slot()
    def _from_changed(self) -> None:
        self.accountChanged.emit(self.account_id() or "")
        self._edited()

    # the draft
    def draft(self, from_addr: str = "") -> Draft:
        from mailgui.core.message import Draft, split_addresses

        def items(field: str) -> tuple[str, ...]:
            return tuple(split_addresses(self.edits[field].text()))

        return Draft(
            from_addr=from_addr,
            to=items("to"),
            cc=items("cc"),
            bcc=items("bcc"),
            subject=self.subject.text(),
            body=self.body.toPlainText(),
            attachments=tuple(self.attachments.paths()),
        )

    def is_empty(self) -> bool:
        texts = [e.text().strip() for e in self.edits.values()]
        texts += [self.subject.text().strip(), self.body.toPlainText().strip()]
        return not any(texts) and not self.attachments.paths()

    def load_draft(
        self, draft: Draft, account_id: str | None = None, outbox_id: str | None = None
    ) -> None:
        self._loading = True
        try:
            if account_id:
                index = self.from_combo.findData(account_id)
                if index >= 0:
                    self.from_combo.setCurrentIndex(index)
            for field in ADDRESS_FIELDS:
                self.edits[field].setText(", ".join(getattr(draft, field)))
            self.subject.setText(draft.subject)
            self.body.setPlainText(draft.body)
            self.attachments.set_paths(list(draft.attachments))
            self.outbox_id = outbox_id
        finally:
            self._loading = False
        for field in ADDRESS_FIELDS:
            set_invalid(self.edits[field], None, self.errors[field])
        self.changed.emit()

    def clear(self) -> None:
        from mailgui.core.message import Draft

        self.load_draft(Draft())
        self.outbox_id = None

    @Slot()
    def _edited(self) -> None:
        if not self._loading:
            self.changed.emit()

    @Slot()
    def _address_edited(self) -> None:
        if self._loading:
            return
        if self.check_as_you_type:
            self._check_timer.start()
        self.changed.emit()

    # validation
    def validate_addresses(self, *, require_recipient: bool = False) -> str | None:
        """Check To/Cc/Bcc; show each problem under its field. Returns the first bad field."""
        from mailgui.core.errors import InputError
        from mailgui.core.message import split_addresses, validate_address

        first: str | None = None
        any_recipient = False
        for field in ADDRESS_FIELDS:
            problem = None
            try:
                for item in split_addresses(self.edits[field].text()):
                    validate_address(item, field)
                    any_recipient = True
            except InputError as exc:
                problem = exc.message
            set_invalid(self.edits[field], problem, self.errors[field])
            first = first or (field if problem else None)
        if require_recipient and not first and not any_recipient:
            set_invalid(self.edits["to"], "Add at least one recipient.", self.errors["to"])
            first = "to"
        return first

    def focus_field(self, field: str) -> bool:
        """Focus the compose control for a message field name ("to", "subject", ...)."""
        widgets: dict[str, QWidget] = {
            "from": self.from_combo,
            "subject": self.subject,
            "body": self.body,
            "attachments": self.attachments.list
            if self.attachments.list.count()
            else self.attachments.add_button,
            **self.edits,
        }
        widget = widgets.get(field)
        if widget is None:
            return False
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    # sending state
    def set_sending(self, sending: bool) -> None:
        self.send_button.setEnabled(not sending)
        self.progress.setVisible(sending)
        self.cancel_button.setVisible(sending)
        self.cancel_button.setEnabled(sending)
        self.hint.setVisible(not sending)
        if sending:
            self.progress.setRange(0, 0)  # busy until the first byte count arrives
            self.progress.setFormat("Connecting…")

    def set_progress(self, done: int, total: int) -> None:
        if total <= 0:
            return
        # QProgressBar holds an int: count in KB so messages past 2 GB still fit.
        self.progress.setRange(0, max(1, total // 1024))
        self.progress.setValue(done // 1024)
        self.progress.setFormat(f"{human_size(done)} of {human_size(total)} (%p%)")

    # drag and drop anywhere on the pane
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = local_files(event.mimeData())
        if files:
            self.attachments.add_paths(files)
            event.acceptProposedAction()


class DraftAutosaver(QObject):
    """Saves the compose pane's draft about a second after the last edit (and on flush)."""

    def __init__(self, pane: ComposePane, store: DraftStore, sender: Any) -> None:
        super().__init__(pane)
        self._pane = pane
        self._store = store
        self._sender = sender  # callable: account id -> from address
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.flush)
        pane.changed.connect(self._timer.start)

    @Slot()
    def flush(self) -> None:
        self._timer.stop()
        account_id = self._pane.account_id()
        if self._pane.is_empty():
            self._store.clear()
        else:
            self._store.save(self._pane.draft(self._sender(account_id)), account_id)

    def restore(self) -> bool:
        saved = self._store.load()
        if saved is None:
            return False
        draft, account_id = saved
        self._pane.load_draft(draft, account_id)
        self._timer.stop()
        return True
