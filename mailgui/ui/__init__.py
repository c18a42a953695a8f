"""PySide6 widgets. `from mailgui.ui import MainWindow` builds the whole window.

The export is lazy so that importing a single module (say `mailgui.ui.dialogs`) does not pull in
every pane.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailgui.ui.main_window import MainWindow

__all__ = ["MainWindow"]


def __getattr__(name: str) -> Any:
    if name == "MainWindow":
        from mailgui.ui.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
