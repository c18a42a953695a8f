"""The GUI entry point: the QApplication, its identity, icon and theme, then the main window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

DESKTOP_FILE = "io.github.mailgui.MailGui"
IDENTITY_FALLBACK_MS = 1000


def apply_theme(app: QApplication) -> None:
    """Follow the OS light/dark choice with the palette, never with hard-coded colours.

    Fusion draws from the palette Qt derives from the platform's colour scheme (and updates it
    when the user switches), so dark mode works on Linux and Windows; macOS's own style does the
    same natively.
    """
    # Replacing a style that is Fusion already would only cost start-up time (~4 ms).
    if sys.platform != "darwin" and app.style().name().lower() != "fusion":
        app.setStyle("Fusion")


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setDesktopFileName(DESKTOP_FILE)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("mailgui")
    app.setOrganizationName("mailgui")
    apply_theme(app)
    # The icon comes from the dialogs module, whose imports (ssl, the error dialog) and icon
    # files cost ~20 ms, and the version from importlib.metadata (~15 ms): both wait until the
    # main window has been painted (see `finish_identity_after_paint`), or a second at most.
    identity = _Identity(app)
    QTimer.singleShot(IDENTITY_FALLBACK_MS, identity, identity.finish)
    return app


class _Identity(QObject):
    """Sets the rest of the application's identity (version, icon) once."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName("mailguiIdentity")
        self._app = app
        self._done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # A timer 0 started before the paint would run before it; this one runs after.
            QTimer.singleShot(0, self, self.finish)
        return False

    @Slot()
    def finish(self) -> None:
        if self._done:
            return
        self._done = True
        from mailgui import __version__
        from mailgui.ui.dialogs import app_icon

        self._app.setApplicationVersion(__version__)
        self._app.setWindowIcon(app_icon())


def finish_identity_after_paint(window: QWidget) -> None:
    """Set the version and icon on the turn of the event loop after `window` is first painted.

    The filter sits on the window itself: an application-wide Python event filter would see
    every event of building the window (thousands) and cost more than it saves.
    """
    app = QApplication.instance()
    identity = app.findChild(_Identity, "mailguiIdentity") if app is not None else None
    if identity is not None:
        window.installEventFilter(identity)


def run(config_dir: Path | None, sandbox: bool) -> int:
    """Show the main window and run until it closes. The sandbox starts when asked for, and on a
    first launch (no saved account) so the app works on a fresh machine."""
    app = make_application()
    from mailgui.ui.main_window import MainWindow

    window = MainWindow(config_dir, sandbox=sandbox)
    if not window.accounts.saved_accounts() and window.accounts.load_error is None:
        window.start_sandbox_when_shown()
    app.aboutToQuit.connect(window.shutdown)
    finish_identity_after_paint(window)
    window.show()
    return app.exec()
