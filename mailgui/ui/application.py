"""The GUI entry point: the QApplication, its identity, icon and theme, then the main window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

DESKTOP_FILE = "io.github.mailgui.MailGui"


def apply_theme(app: QApplication) -> None:
    """Follow the OS light/dark choice with the palette, never with hard-coded colours.

    Fusion draws from the palette Qt derives from the platform's colour scheme (and updates it
    when the user switches), so dark mode works on Linux and Windows; macOS's own style does the
    same natively.
    """
    if sys.platform != "darwin":
        app.setStyle("Fusion")


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    from mailgui import __version__

    QGuiApplication.setDesktopFileName(DESKTOP_FILE)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("mailgui")
    app.setOrganizationName("mailgui")
    app.setApplicationVersion(__version__)
    apply_theme(app)
    # The icon comes from the dialogs module, whose imports (ssl, the error dialog) would delay
    # the first paint: set it on the first turn of the event loop instead.
    QTimer.singleShot(0, _set_icon)
    return app


def _set_icon() -> None:
    from mailgui.ui.dialogs import app_icon

    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.setWindowIcon(app_icon())


def run(config_dir: Path | None, sandbox: bool) -> int:
    """Show the main window and run until it closes. The sandbox starts when asked for, and on a
    first launch (no saved account) so the app works on a fresh machine."""
    app = make_application()
    from mailgui.ui.main_window import MainWindow

    window = MainWindow(config_dir, sandbox=sandbox)
    if not window.accounts.saved_accounts() and window.accounts.load_error is None:
        window.start_sandbox_when_shown()
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    return app.exec()
