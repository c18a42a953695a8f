"""`mailgui --smoke`: prove that an installed or frozen mailgui has what it needs to run.

One run opens the real main window on a throw-away config folder and checks the pieces a
packaging mistake breaks first: bundled resources (and Qt's SVG plugins that draw the icon), the
keyring machinery, the TLS trust store, and a full connection check against the built-in sandbox
server (what a first launch starts). It prints ONE line and exits 0, or prints the failed
check and its reason and exits 1. CI runs it on every installer it builds.

The keyring check is that the keyring library and this platform's native backend load; which
backend is *active* is only reported. A headless CI machine has no Secret Service, so the active
backend there is "fail", and that is not a packaging fault (the app then explains "no keyring").
With MAILGUI_SMOKE_REQUIRE_KEYRING=1 (CI sets it for a second run inside a private, unlocked
Secret Service) the native backend must be the active one and must store, return and delete a
random throwaway password: that proves the installed app really reaches a keyring.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import secrets
import shutil
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mailgui import __version__

EXPOSE_TIMEOUT_MS = 10_000
SANDBOX_TIMEOUT_S = 10.0
REQUIRE_KEYRING_ENV = "MAILGUI_SMOKE_REQUIRE_KEYRING"
ROUND_TRIP_SERVICE = "mailgui-smoke"  # never the app's own service: no real password is touched
# A Secret Service waiting for an unlock prompt nobody answers must not hang the smoke run.
ROUND_TRIP_TIMEOUT_S = 20.0
# The keyring backend module that must be importable on each platform (the bundle would
# otherwise silently fall back to "no keyring" on a user's desktop that has one).
NATIVE_KEYRING = {
    "linux": ("keyring.backends.SecretService", "secretstorage"),
    "win32": ("keyring.backends.Windows", "win32ctypes.pywin32.win32cred"),
    "darwin": ("keyring.backends.macOS", "keyring.backends.macOS.api"),
}


class SmokeFailure(Exception):
    """One check failed; the message is the reason printed to the user."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


def ensure_platform() -> None:
    """Fall back to Qt's offscreen platform where no display server is reachable."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def check_resources() -> int:
    """Bundled resources are reachable; returns how many files there are."""
    from mailgui.core.resources import resources_dir

    root = resources_dir()
    if not root.is_dir():
        raise SmokeFailure("resources", f"folder not found: {root}")
    files = [
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.name != "__init__.py"
    ]
    for needed in ("icons/mailgui.svg", "icons/hicolor/256x256/apps/io.github.mailgui.MailGui.png"):
        if not (root / needed).is_file():
            raise SmokeFailure("resources", f"missing {needed} in {root}")
    return len(files)


def check_icon() -> None:
    """The SVG icon renders: needs Qt's svg icon engine and image format plugins in a bundle."""
    from PySide6.QtGui import QIcon

    from mailgui.core.resources import resource_path

    icon = QIcon(str(resource_path("icons", "mailgui.svg")))
    if icon.isNull() or icon.pixmap(64, 64).isNull():
        raise SmokeFailure("icon", "the SVG app icon does not render (Qt svg plugins missing?)")


def check_keyring() -> str:
    """The keyring library and the native backend load; returns the active backend's name."""
    try:
        import keyring

        backend = keyring.get_keyring()
        for module in NATIVE_KEYRING.get(sys.platform, ()):
            importlib.import_module(module)
    except Exception as exc:  # any import or configuration error is the finding
        raise SmokeFailure("keyring", f"{type(exc).__name__}: {exc}") from exc
    backends = getattr(backend, "backends", None) or [backend]  # a chainer lists its members
    name = "+".join(type(b).__module__.rsplit(".", 1)[-1] for b in backends)
    return name if name != "fail" else "fail (no OS keyring running)"


def keyring_required(environ: dict[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(REQUIRE_KEYRING_ENV, "")
    return value.strip().lower() in {"1", "true", "yes"}


def check_keyring_round_trip(backend_name: str) -> float:
    """Store a random password under a throwaway key, read it back, delete it; returns ms.

    Only run when required: the active backend must then be this platform's native one.
    Neither the password nor anything derived from it is ever printed.
    """
    native = NATIVE_KEYRING.get(sys.platform, ("",))[0].rsplit(".", 1)[-1]
    if native not in backend_name.split("+"):
        raise SmokeFailure(
            "keyring",
            f"{REQUIRE_KEYRING_ENV}=1 needs the {native or 'native'} backend, "
            f"but the active one is {backend_name}",
        )
    outcome: list[BaseException | None] = []
    start = time.perf_counter()
    worker = threading.Thread(
        target=lambda: outcome.append(_round_trip()), name="keyring-round-trip", daemon=True
    )
    worker.start()
    worker.join(ROUND_TRIP_TIMEOUT_S)
    if not outcome:  # the daemon thread is abandoned; the process exits right after
        raise SmokeFailure(
            "keyring",
            f"password round trip: no answer from {native} within {ROUND_TRIP_TIMEOUT_S:.0f} s "
            "(a locked keyring waiting for an unlock prompt?)",
        )
    if outcome[0] is not None:
        error = outcome[0]
        raise SmokeFailure(
            "keyring", f"password round trip: {type(error).__name__}: {error}"
        ) from error
    return (time.perf_counter() - start) * 1000


def _round_trip() -> BaseException | None:
    """The round trip itself (in a worker thread); returns the failure instead of raising."""
    from mailgui.core.credentials import KeyringStore

    store = KeyringStore(service=ROUND_TRIP_SERVICE)
    key = f"smoke-{secrets.token_hex(8)}"
    password = secrets.token_urlsafe(24)
    stored = False
    try:
        store.set_password(key, password)
        stored = True
        if store.get_password(key) != password:  # say that it differs, never what it was
            return RuntimeError(f"the password read back for {key} differs from the one stored")
        store.delete_password(key)
        stored = False
        if store.get_password(key) is not None:
            return RuntimeError(f"the password for {key} is still there after deleting it")
        return None
    except Exception as exc:  # the caller reports it with its type
        return exc
    finally:
        if stored:  # do not leave a throwaway item behind after a failure
            # The original failure is what gets reported, not a failed clean-up.
            with contextlib.suppress(Exception):
                store.delete_password(key)


def check_tls() -> tuple[str, int]:
    """The context sending uses finds a CA store; returns the OpenSSL version and the CA count.

    verified_context(), not a plain default context: its certifi fallback is what gives a frozen
    app on macOS any CAs at all, so that is the thing to prove present in the bundle.
    """
    from mailgui.core.smtp_tls import verified_context

    context = verified_context()
    count = context.cert_store_stats().get("x509_ca", 0)
    if count == 0:  # a hashed CA directory loads lazily: count what it holds instead
        capath = ssl.get_default_verify_paths().capath
        if capath and os.path.isdir(capath):
            count = sum(1 for name in os.listdir(capath) if name.endswith(".0"))
    if count == 0:
        paths = ssl.get_default_verify_paths()
        raise SmokeFailure(
            "tls", f"no CA certificates found (cafile {paths.cafile}, capath {paths.capath})"
        )
    return ssl.OPENSSL_VERSION.split(" ")[1], count


def show_main_window(config_dir: Path) -> float:
    """Build and show the main window; returns milliseconds until it is exposed (Qt's import,
    the application object and the window, as a cold start pays for them)."""
    start = time.perf_counter()
    from PySide6.QtCore import QEventLoop, QTimer

    from mailgui.ui import MainWindow
    from mailgui.ui.application import make_application

    app = make_application()  # the same identity, icon and style as a normal start

    window = MainWindow(config_dir=config_dir)
    window.show()
    loop = QEventLoop()

    def quit_when_exposed() -> None:
        if _exposed(window):
            loop.quit()

    poll = QTimer(interval=5)  # the window system exposes the window a few events after show()
    poll.timeout.connect(quit_when_exposed)
    deadline = QTimer(singleShot=True, interval=EXPOSE_TIMEOUT_MS)
    deadline.timeout.connect(loop.quit)
    poll.start()
    deadline.start()
    if not _exposed(window):
        loop.exec()
    poll.stop()
    deadline.stop()
    elapsed = (time.perf_counter() - start) * 1000
    shown = _exposed(window)
    window.close()
    window.deleteLater()
    app.processEvents()
    if not shown:
        raise SmokeFailure("window", f"main window not shown within {EXPOSE_TIMEOUT_MS} ms")
    return elapsed


def check_sandbox(config_dir: Path) -> float:
    """The built-in sandbox server starts and a full STARTTLS + AUTH check against it passes:
    aiosmtpd, smtplib, TLS with the bundled sandbox CA. Returns milliseconds."""
    from mailgui.core.sandbox import Sandbox
    from mailgui.core.smtp import check

    start = time.perf_counter()
    sandbox = Sandbox(config_dir / "sandbox")
    sandbox.start()
    try:
        # Sandbox.PASSWORD is the sandbox's public demo credential, not a user's secret.
        result = check(sandbox.account().smtp, sandbox.PASSWORD, timeout=SANDBOX_TIMEOUT_S)
    finally:
        sandbox.stop()
    if not result.ok:
        raise SmokeFailure(
            "sandbox", f"{result.failed_stage}: {type(result.error).__name__}: {result.error}"
        )
    return (time.perf_counter() - start) * 1000


def _exposed(window: Any) -> bool:
    handle = window.windowHandle()
    return bool(window.isVisible() and handle is not None and handle.isExposed())


def _run(check: str, step: Callable[[], Any]) -> Any:
    try:
        return step()
    except SmokeFailure:
        raise
    except Exception as exc:  # report any crash as this check's failure, with its type
        raise SmokeFailure(check, f"{type(exc).__name__}: {exc}") from exc


def run_smoke() -> int:
    """Run every check; print one line; 0 when all passed, 1 otherwise."""
    ensure_platform()
    config_dir = Path(tempfile.mkdtemp(prefix="mailgui-smoke-"))
    try:
        files = _run("resources", check_resources)
        keyring_name = _run("keyring", check_keyring)
        if keyring_required():
            trip_ms = _run("keyring", lambda: check_keyring_round_trip(keyring_name))
            keyring_name += f" (password round trip ok in {trip_ms:.0f} ms)"
        openssl, cas = _run("tls", check_tls)
        shown_ms = _run("window", lambda: show_main_window(config_dir))
        _run("icon", check_icon)
        sandbox_ms = _run("sandbox", lambda: check_sandbox(config_dir))
    except SmokeFailure as failure:
        print(f"mailgui {__version__} smoke FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    finally:
        shutil.rmtree(config_dir, ignore_errors=True)
    print(
        f"mailgui {__version__} smoke ok: window shown in {shown_ms:.0f} ms, "
        f"keyring {keyring_name}, OpenSSL {openssl} ({cas} CAs), resources {files} files, "
        f"sandbox send check {sandbox_ms:.0f} ms",
        flush=True,
    )
    return 0
