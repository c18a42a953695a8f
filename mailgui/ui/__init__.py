"""PySide6 widgets. `from mailgui.ui import MainWindow` builds the whole window.

The export is lazy so that importing a single module (say `mailgui.ui.dialogs`) does not pull in
every pane.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailgui.ui.main_window import MainWindow

__all__ = ["MainWindow"]


def _keep_none_alive() -> None:
    """Work around a PySide6 6.12 bug that would crash long sessions on Python 3.11.

    On Python 3.11 every call of a Qt method returning void drops one reference to None, and
    every `Signal.emit()` one to True (seen with PySide6 6.12.0: `QLineEdit.setText`,
    `QTimer.start`, `processEvents`, `emit`, ...). From 3.12 on these objects are immortal and the
    bug is invisible; on 3.11 the count reaches zero after some thousands of calls and Python
    aborts with "deallocating None" (or True). Raising the counts far out of reach is what 3.12's
    immortal objects do; these singletons are never freed either way.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    # ob_refcnt is the first field of every CPython object, and id() is its address.
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40


_keep_none_alive()


def __getattr__(name: str) -> Any:
    if name == "MainWindow":
        from mailgui.ui.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
