"""Which Outbox item the message being written came from, kept across a restart.

The draft store saves the message and its account only. Without the Outbox item id, a draft
restored after a restart looks like a new message: sending it would leave the old copy in the
Outbox (a duplicate), and a failure would add a second one. The id lives in the UI's INI file
under its own key, next to the window state; it is not a secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Slot

if TYPE_CHECKING:
    from mailgui.ui.compose import ComposePane

KEY = "draft/outbox_id"


class DraftOutboxLink(QObject):
    """Writes `compose.outbox_id` whenever the compose pane changes; restores it after a draft."""

    def __init__(self, settings_path: Path, compose: ComposePane, parent: QObject) -> None:
        super().__init__(parent)
        self._compose = compose
        self._qs = QSettings(str(settings_path), QSettings.Format.IniFormat)
        self._active = False  # nothing is written before the saved draft was restored

    def saved(self) -> str | None:
        value = self._qs.value(KEY)
        return str(value) if value else None

    def restore(self, saved_id: str | None, config_dir: Path) -> None:
        """After the draft was restored: link it again to its Outbox item, if that still exists."""
        if saved_id:
            from mailgui.core.outbox import Outbox

            if Outbox(config_dir).get(saved_id) is not None:
                self._compose.outbox_id = saved_id
        self._active = True
        self._compose.changed.connect(self.save)
        self.save()

    @Slot()
    def save(self) -> None:
        if not self._active:
            return
        outbox_id = self._compose.outbox_id
        if outbox_id == self.saved():
            return
        if outbox_id:
            self._qs.setValue(KEY, outbox_id)
        else:
            self._qs.remove(KEY)
        self._qs.sync()
