"""Regenerate the screenshots in docs/screenshots/ (offscreen, fixed window size).

    python scripts/screenshots.py [--out docs/screenshots]

Every state is built with the real widgets; the sandbox shot uses the real sandbox server.
Look at the PNGs after running this: a screenshot nobody looked at proves nothing.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

SIZE = (1100, 720)
ROOT = Path(__file__).resolve().parents[1]


def settle(ms: int = 150) -> None:
    """Let queued signals, layouts and paints run."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    QCoreApplication.processEvents()


def save(widget: QWidget, out: Path, name: str) -> None:
    settle()
    path = out / name
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def new_window(config: Path, **options: object) -> object:
    from mailgui.core.credentials import MemoryStore
    from mailgui.ui import MainWindow

    window = MainWindow(config_dir=config, credentials=MemoryStore(), **options)
    window.resize(*SIZE)
    window.show()
    settle(300)
    return window


def example_account() -> object:
    from mailgui.core.accounts import Account, Security, ServerSettings

    return Account(
        name="Ada Lovelace",
        email="ada@example.com",
        smtp=ServerSettings(
            host="smtp.example.com",
            port=587,
            security=Security.STARTTLS,
            username="ada@example.com",
        ),
    )


def shots(out: Path, work: Path) -> None:
    from mailgui.core.diagnosis import DiagnosisContext, explain
    from mailgui.ui import dialogs

    # 1. first start, no account
    window = new_window(work / "empty")
    save(window, out, "main-empty.png")
    window.shutdown()
    window.close()

    # 2. with an account (its editor), 3. composing with attachments, 4. mid-send
    window = new_window(work / "account")
    account = example_account()
    window.accounts.save(account, "not-a-real-password")
    window.compose.set_accounts(window.accounts.accounts(), account.id)
    window.edit_account(account.id)
    save(window, out, "main-account.png")

    files = work / "files"
    files.mkdir()
    for name, size in (("minutes.pdf", 182_000), ("site-photo.jpg", 3_400_000)):
        (files / name).write_bytes(b"\0" * size)
    window.tabs.setCurrentWidget(window.compose_stack)
    compose = window.compose
    compose.edits["to"].setText("Charles Babbage <charles@example.com>")
    compose.edits["cc"].setText("mary@example.com")
    compose.subject.setText("Notes on the Analytical Engine")
    compose.body.setPlainText(
        "Dear Charles,\n\nattached are the minutes of Tuesday's meeting and a photo of the "
        "site.\n\nBest,\nAda"
    )
    compose.attachments.add_paths([str(p) for p in sorted(files.iterdir())])
    compose.attachments.set_size_limit(25 * 1024 * 1024)
    save(window, out, "compose-attachments.png")

    compose.set_sending(True)
    compose.set_progress(2_100_000, 4_900_000)
    window.statusBar().showMessage("Sending with Ada Lovelace…")
    save(window, out, "sending-progress.png")
    compose.set_sending(False)

    # 5. the error dialog for an authentication failure
    error = smtplib.SMTPAuthenticationError(
        535,
        b"5.7.8 Username and Password not accepted. For more information, go to\n"
        b"5.7.8  https://support.google.com/mail/?p=BadCredentials",
    )
    gmail = account.replace(
        email="ada@gmail.com",
        smtp=account.smtp.replace(host="smtp.gmail.com", username="ada@gmail.com"),
    )
    diagnosis = explain(error, DiagnosisContext.for_account(gmail, stage="auth"))
    transcript = (
        "+0.000 S: 220 smtp.gmail.com ESMTP ready\n+0.012 C: EHLO ada-laptop\n"
        "+0.031 S: 250-smtp.gmail.com at your service\n+0.031 S: 250 AUTH LOGIN PLAIN\n"
        "+0.040 C: AUTH PLAIN ***\n+0.210 S: 535-5.7.8 Username and Password not accepted."
    )
    dialog = dialogs.show_error(window, diagnosis, transcript=transcript)
    dialog.show()
    save(dialog, out, "error-auth.png")
    dialog.close()
    window.shutdown()
    window.close()

    # 6. the sandbox viewer, after two real sends through the sandbox
    window = new_window(work / "sandbox", sandbox=True)
    deadline = 100
    while window.accounts.get("sandbox") is None and deadline:
        settle(50)
        deadline -= 1
    for to, subject in (
        ("friend@example.com", "Lunch on Friday?"),
        ("team@example.com", "Weekly report"),
    ):
        window.compose.set_accounts(window.accounts.accounts(), "sandbox")
        window.compose.edits["to"].setText(to)
        window.compose.subject.setText(subject)
        window.compose.body.setPlainText(f"Hello,\n\nthis is “{subject}”, sent to the sandbox.")
        window.send()
        for _ in range(200):
            settle(25)
            if not window.send_controller.busy:
                break
    window.show_sandbox()
    save(window, out, "sandbox-viewer.png")
    window.shutdown()
    window.close()

    # 7. dark mode: everything comes from the palette, so a dark palette must be enough (the
    # offscreen platform reports no colour scheme, so the dark palette is given directly here,
    # as a desktop's dark theme gives it to Fusion); the one error red must read on it too.
    app = QApplication.instance()
    light = app.palette()
    app.setPalette(dark_palette())
    window = new_window(work / "dark")
    window.accounts.save(account, "not-a-real-password")
    window.compose.set_accounts(window.accounts.accounts(), account.id)
    window.compose.edits["to"].setText("charles@@example")
    window.compose.edits["cc"].setText("mary@example.com")
    window.compose.subject.setText("Dark mode")
    window.compose.body.setPlainText("The address above is wrong on purpose.")
    window.compose.attachments.add_paths([str(p) for p in sorted(files.iterdir())])
    window.compose.attachments.set_size_limit(2 * 1024 * 1024)
    window.compose.validate_addresses()
    save(window, out, "compose-dark.png")
    window.shutdown()
    window.close()
    app.setPalette(light)


def dark_palette() -> object:
    from PySide6.QtGui import QColor, QPalette

    roles = QPalette.ColorRole
    palette = QPalette()
    for role, colour in (
        (roles.Window, "#2b2b2b"),
        (roles.WindowText, "#e6e6e6"),
        (roles.Base, "#1e1e1e"),
        (roles.AlternateBase, "#262626"),
        (roles.Text, "#e6e6e6"),
        (roles.Button, "#353535"),
        (roles.ButtonText, "#e6e6e6"),
        (roles.Highlight, "#2f65ca"),
        (roles.HighlightedText, "#ffffff"),
        (roles.PlaceholderText, "#8a8a8a"),
        (roles.Light, "#505050"),
        (roles.Mid, "#3a3a3a"),
        (roles.Dark, "#202020"),
        (roles.ToolTipBase, "#353535"),
        (roles.ToolTipText, "#e6e6e6"),
        (roles.Link, "#7aa7ff"),
    ):
        palette.setColor(role, QColor(colour))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    from mailgui.ui.application import make_application

    app = make_application([sys.argv[0]])
    with tempfile.TemporaryDirectory(prefix="mailgui-shots-") as tmp:
        shots(options.out, Path(tmp))
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
