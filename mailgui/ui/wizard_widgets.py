"""Small pieces the connection wizard's pages share: stage names, status badges, labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QTreeWidgetItem,
)

from mailgui.core.diagnosis import Diagnosis

if TYPE_CHECKING:
    pass

STAGE_LABELS = {
    "dns": "Look up the server",
    "connect": "Connect",
    "tls": "Encrypt (TLS)",
    "ehlo": "Greet (EHLO)",
    "starttls": "Encrypt (STARTTLS)",
    "auth": "Sign in",
    "envelope": "Try sender and recipient",
    "data": "Send a test message",
    "quit": "Say goodbye",
    "capability": "Ask what it supports",
    "login": "Sign in",
    "list": "List the folders",
    "inbox": "Count the inbox",
}
SMTP_SECTION = "Outgoing mail (SMTP)"
IMAP_SECTION = "Incoming mail (IMAP)"
STATUS_COLORS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "skipped": "#9e9e9e",
    "running": "#1565c0",
    "waiting": "#cfd8dc",
}
_GLYPHS = {"passed": "✓", "failed": "✗", "skipped": "–", "running": "…", "waiting": ""}


def status_icon(status: str) -> QIcon:
    """A small round badge per status, drawn here so it looks the same under every style."""
    pixmap = QPixmap(18, 18)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(STATUS_COLORS.get(status, "#9e9e9e")))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, 16, 16)
    painter.setPen(QColor("white"))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(12)
    painter.setFont(font)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, _GLYPHS.get(status, ""))
    painter.end()
    return QIcon(pixmap)


def wrapping_label(name: str, text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setAccessibleName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def make_button(name: str, text: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAccessibleName(text.rstrip("…"))
    return button


def escape_html(text: str) -> str:
    import html

    return html.escape(text)


def show_diagnosis(
    diagnosis: Diagnosis, title: QLabel, explanation: QLabel, fixes: QLabel, reply: QLabel
) -> None:
    title.setText(diagnosis.title)
    explanation.setText(diagnosis.explanation)
    items = "".join(f"<li>{escape_html(fix)}</li>" for fix in diagnosis.fixes)
    fixes.setText(f"<b>What to try:</b><ol>{items}</ol>" if items else "")
    server = diagnosis.server_reply or ""
    reply.setText(f"The server said: {server}" if server else "")


def status_of(item: QTreeWidgetItem) -> str | None:
    """The status a ladder row shows (for tests and accessibility)."""
    value = item.data(1, Qt.ItemDataRole.UserRole)
    return str(value) if value else None
