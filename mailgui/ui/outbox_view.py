"""The Outbox (failed messages with their error: retry, edit, delete) and the Sent log."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from mailgui.core.outbox import OutboxItem, SentRecord


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def _recipients(draft_or_map: object) -> str:
    if isinstance(draft_or_map, dict):
        return ", ".join(draft_or_map)
    fields = [getattr(draft_or_map, f, ()) for f in ("to", "cc", "bcc")]
    return ", ".join(addr for field in fields for addr in field)


def _empty_label(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setEnabled(False)  # the palette's quiet colour, right in light and dark themes
    return label


class _ListWithEmptyState(QWidget):
    def __init__(self, tree: QTreeWidget, empty_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.tree = tree
        self.stack = QStackedWidget(self)
        self.empty = _empty_label(empty_text, self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(tree)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack, 1)

    def show_list(self, has_items: bool) -> None:
        self.stack.setCurrentWidget(self.tree if has_items else self.empty)


class OutboxView(QWidget):
    retryRequested = Signal(str)
    editRequested = Signal(str)
    deleteRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outboxView")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("outboxList")
        self.tree.setAccessibleName("Outbox")
        self.tree.setToolTip("Messages that could not be sent yet, with the reason")
        self.tree.setHeaderLabels(["Subject", "To", "Problem", "Attempts", "Created"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.body = _ListWithEmptyState(
            self.tree,
            "The Outbox is empty.\nMessages that fail to send wait here with the reason, "
            "so you can fix the problem and send them again.",
            self,
        )
        self.detail = QLabel(self)
        self.detail.setObjectName("outboxDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = self._button(
            "Send &again",
            "outboxRetryButton",
            "Retry sending",
            "Try to send the selected message again",
        )
        self.edit_button = self._button(
            "&Edit", "outboxEditButton", "Edit message", "Open the message in the compose pane"
        )
        self.delete_button = self._button(
            "&Delete…",
            "outboxDeleteButton",
            "Delete message",
            "Delete the selected message (asks first)",
        )
        row = QHBoxLayout()
        row.addWidget(self.detail, 1)
        row.addWidget(self.retry_button)
        row.addWidget(self.edit_button)
        row.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body, 1)
        layout.addLayout(row)
        self.retry_button.clicked.connect(self._retry)
        self.edit_button.clicked.connect(self._edit)
        self.delete_button.clicked.connect(self._delete)
        self.tree.itemActivated.connect(self._edit)
        self.tree.currentItemChanged.connect(self._selection)
        self.set_items([])

    def _button(self, text: str, name: str, accessible: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.setToolTip(tip)
        return button

    def set_items(self, items: list[OutboxItem]) -> None:
        self.tree.clear()
        for item in items:
            problem = (item.last_error or {}).get("title", "Not sent")
            row = QTreeWidgetItem(
                [
                    item.draft.subject or "(no subject)",
                    _recipients(item.draft),
                    str(problem),
                    str(item.attempts),
                    _when(item.created),
                ]
            )
            row.setData(0, Qt.ItemDataRole.UserRole, item.id)
            explanation = (item.last_error or {}).get("explanation", "")
            row.setData(2, Qt.ItemDataRole.UserRole, explanation)
            row.setToolTip(2, explanation)
            self.tree.addTopLevelItem(row)
        for column in range(4):
            self.tree.resizeColumnToContents(column)
        self.body.show_list(bool(items))
        if items:
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self._selection()

    def current_id(self) -> str | None:
        row = self.tree.currentItem()
        return str(row.data(0, Qt.ItemDataRole.UserRole)) if row else None

    @Slot()
    def _selection(self) -> None:
        row = self.tree.currentItem()
        for button in (self.retry_button, self.edit_button, self.delete_button):
            button.setEnabled(row is not None)
        self.detail.setText(str(row.data(2, Qt.ItemDataRole.UserRole)) if row else "")

    @Slot()
    def _retry(self) -> None:
        if self.current_id():
            self.retryRequested.emit(self.current_id())

    @Slot()
    def _edit(self) -> None:
        if self.current_id():
            self.editRequested.emit(self.current_id())

    @Slot()
    def _delete(self) -> None:
        if self.current_id():
            self.deleteRequested.emit(self.current_id())


class SentView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sentView")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("sentList")
        self.tree.setAccessibleName("Sent messages")
        self.tree.setToolTip("Messages sent from this computer, with the server's reply")
        self.tree.setHeaderLabels(["Time", "Subject", "Recipients", "Server reply"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.body = _ListWithEmptyState(self.tree, "Nothing sent yet.", self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body, 1)

    def set_records(self, records: list[SentRecord]) -> None:
        self.tree.clear()
        for rec in records:
            parts = []
            for addr, info in rec.recipients.items():
                if info.get("accepted"):
                    parts.append(addr)
                else:
                    parts.append(f"{addr} (refused: {info.get('code')} {info.get('message')})")
            row = QTreeWidgetItem(
                [
                    _when(rec.time),
                    rec.subject or "(no subject)",
                    ", ".join(parts),
                    rec.server_reply,
                ]
            )
            row.setToolTip(2, "\n".join(parts))
            self.tree.addTopLevelItem(row)
        for column in range(3):
            self.tree.resizeColumnToContents(column)
        self.body.show_list(bool(records))


class OutboxController(QObject):
    """Fills both views from the files and asks before deleting; retry and edit go to the window."""

    retryRequested = Signal(object)  # OutboxItem
    editRequested = Signal(object)  # OutboxItem
    deleted = Signal(str)  # item id
    countChanged = Signal(int)

    def __init__(
        self, config_dir: Path, outbox_view: OutboxView, sent_view: SentView, widget: QWidget
    ) -> None:
        super().__init__(widget)
        self._config_dir = config_dir
        self._widget = widget
        self.outbox_view = outbox_view
        self.sent_view = sent_view
        outbox_view.retryRequested.connect(self._retry)
        outbox_view.editRequested.connect(self._edit)
        outbox_view.deleteRequested.connect(self._confirm_delete)

    def _outbox(self) -> Any:
        from mailgui.core.outbox import Outbox  # imports address validation: not at start-up

        return Outbox(self._config_dir)

    @Slot()
    def refresh(self) -> None:
        items = self._outbox().items()
        self.outbox_view.set_items(items)
        self.countChanged.emit(len(items))

    @Slot()
    def refresh_sent(self) -> None:
        from mailgui.core.outbox import SentLog

        self.sent_view.set_records(SentLog(self._config_dir).items())

    @Slot(str)
    def _retry(self, item_id: str) -> None:
        item = self._outbox().get(item_id)
        if item is not None:
            self.retryRequested.emit(item)

    @Slot(str)
    def _edit(self, item_id: str) -> None:
        item = self._outbox().get(item_id)
        if item is not None:
            self.editRequested.emit(item)

    @Slot(str)
    def _confirm_delete(self, item_id: str) -> None:
        from mailgui.ui import dialogs

        dialogs.confirm(
            self._widget,
            "Delete message",
            "Delete this message from the Outbox? It has not been sent.",
            functools.partial(self.delete, item_id),
        )

    def delete(self, item_id: str) -> None:
        self._outbox().remove(item_id)
        self.deleted.emit(item_id)
        self.refresh()
