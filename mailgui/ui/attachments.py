"""The attachment list of the compose pane: add (checked at once), remove, sizes, and the limits
that would make the send fail: mailgui's own cap on all attachments and the server's SIZE."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

# Base64 grows a file by 4/3 plus line breaks; the estimate is what the server will count.
ENCODING_OVERHEAD = 1.37


def human_size(size: int) -> str:
    """1536 -> '1.5 KB' (1024-based, as file managers show it)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "bytes":
                return f"{int(value)} bytes"
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover


def _file_size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


class AttachmentList(QListWidget):
    """The list itself; Delete and Backspace ask to remove the selected files."""

    deletePressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (
            event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            and self.selectedItems()
        ):
            self.deletePressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


def _max_total() -> int:
    from mailgui.core import message  # read at use: email parsing stays out of start-up

    return message.MAX_ATTACHMENT_BYTES


class AttachmentPanel(QWidget):
    """List of attached files with their sizes; warns when the total passes the server's SIZE."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._limit: int | None = None
        self.list = AttachmentList(self)
        self.list.setObjectName("attachmentList")
        self.list.setAccessibleName("Attachments")
        self.list.setToolTip("Files sent with this message. Drop files here to attach them.")
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.deletePressed.connect(self.remove_selected)
        self.add_button = QPushButton("Attach files…", self)
        self.add_button.setObjectName("addAttachmentButton")
        self.add_button.setAccessibleName("Attach files")
        self.add_button.setToolTip("Choose files to send with this message")
        self.add_button.clicked.connect(self.choose_files)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setObjectName("removeAttachmentButton")
        self.remove_button.setAccessibleName("Remove attachment")
        self.remove_button.setToolTip("Remove the selected attachments (Delete)")
        self.remove_button.clicked.connect(self.remove_selected)
        self.summary = QLabel(self)
        self.summary.setObjectName("attachmentSummary")
        self.summary.setAccessibleName("Attachment size")
        self.summary.setWordWrap(True)
        # Files that could not be attached, and why; shown until the next add or removal.
        self.notice = QLabel(self)
        self.notice.setObjectName("attachmentNotice")
        self.notice.setAccessibleName("Attachment problem")
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addWidget(self.notice)
        layout.addLayout(buttons)
        self.list.itemSelectionChanged.connect(self._update)
        self._update()

    def paths(self) -> list[str]:
        return [
            str(self.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.list.count())
        ]

    def set_paths(self, paths: list[str] | tuple[str, ...]) -> None:
        self.list.clear()
        self.add_paths(paths)

    def add_paths(self, paths: list[str] | tuple[str, ...]) -> None:
        """Attach the files that can be sent; say under the list why any other was not added."""
        from mailgui.core.errors import InputError
        from mailgui.core.message import check_attachment_file

        known = set(self.paths())
        problems: list[str] = []
        for path in paths:
            if path in known or not path:
                continue
            try:
                size = check_attachment_file(path)
            except InputError as exc:
                problems.append(f"{exc.message} It was not attached.")
                continue
            known.add(path)
            item = QListWidgetItem(f"{Path(path).name}  ({human_size(size)})")
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip(path)
            self.list.addItem(item)
        self._show_notice(problems)
        self._update()
        self.changed.emit()

    def _show_notice(self, problems: list[str]) -> None:
        text = "\n".join(f"⚠ {problem}" for problem in problems)
        self.notice.setText(text)
        self.notice.setAccessibleDescription(text)
        self.notice.setVisible(bool(problems))
        if problems:
            from mailgui.ui.compose import paint_red

            paint_red(self.notice)

    @Slot()
    def choose_files(self) -> None:
        dialog = QFileDialog(self, "Attach files")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(self.add_paths)
        dialog.open()

    @Slot()
    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self._show_notice([])
        self._update()
        self.changed.emit()

    def set_size_limit(self, limit: int | None) -> None:
        """The server's SIZE from the last check or send of the chosen account, if known."""
        self._limit = limit
        self._update()

    def total_size(self) -> int:
        return sum(_file_size(p) for p in self.paths())

    @property
    def over_limit(self) -> bool:
        """More than the server's SIZE, once encoded (the send would likely be refused)."""
        return self._limit is not None and self.total_size() * ENCODING_OVERHEAD > self._limit

    @property
    def over_cap(self) -> bool:
        """More than mailgui sends in one message (building it would refuse)."""
        return self.total_size() > _max_total()

    def _update(self) -> None:
        self.remove_button.setEnabled(bool(self.list.selectedItems()))
        count = self.list.count()
        self.list.setVisible(count > 0)
        if count:  # as tall as its rows (up to four), so the body keeps the space
            rows = min(count, 4) * max(self.list.sizeHintForRow(0), 1)
            self.list.setFixedHeight(rows + 2 * self.list.frameWidth() + 2)
        warning = False
        if not count:
            text = "No attachments. Drop files here or use Attach files…"
        else:
            total = self.total_size()
            text = f"{count} file{'s' if count != 1 else ''}, {human_size(total)}"
            if self.over_cap:  # checked first: this one fails for certain, on any server
                warning = True
                text = (
                    f"⚠ {text}: all attachments together may be at most "
                    f"{_max_total() // 2**20} MB. Remove files or share a link instead."
                )
            elif self._limit is not None:
                text += f" (server accepts up to {human_size(self._limit)})"
                if self.over_limit:
                    warning = True
                    text = (
                        f"⚠ {text}. Encoded for sending this is about "
                        f"{human_size(int(total * ENCODING_OVERHEAD))}: the server will likely "
                        "refuse it. Remove files or share a link instead."
                    )
        self.summary.setText(text)
        if self.summary.property("warning") is not warning:
            from mailgui.ui.compose import paint_red

            self.summary.setProperty("warning", warning)
            paint_red(self.summary, warning)
        self.summary.setAccessibleDescription(text)
