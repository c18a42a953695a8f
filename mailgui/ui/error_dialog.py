"""The error dialog: renders a `Diagnosis` (built by core) without adding any wording of its own
about the failure. Only `mailgui.ui.dialogs` creates it; everything else calls `show_error()`.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpacerItem,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from mailgui.core.diagnosis_types import Action, Category, Diagnosis

# Button words for each action the diagnosis may ask for.
ACTION_LABELS: dict[Action, str] = {
    Action.ENTER_PASSWORD: "Enter password…",
    Action.EDIT_ACCOUNT: "Edit account…",
    Action.TEST_CONNECTION: "Test connection",
    Action.TRUST_CERTIFICATE: "Trust certificate…",
    Action.EDIT_MESSAGE: "Edit message",
    Action.RETRY: "Retry",
}

_CONNECTION = {
    Category.DNS,
    Category.CONNECT,
    Category.TIMEOUT,
    Category.TLS_MODE,
    Category.CERTIFICATE,
    Category.STARTTLS,
    Category.DISCONNECTED,
    Category.PROTOCOL,
}
_SIGN_IN = {Category.AUTH, Category.AUTH_UNAVAILABLE, Category.INSECURE}
_WINDOW_TITLES: dict[Category, str] = {
    **dict.fromkeys(_CONNECTION, "Connection problem"),
    **dict.fromkeys(_SIGN_IN, "Sign-in problem"),
    Category.RECIPIENTS: "Delivery problem",
    Category.KEYRING: "Password storage problem",
    Category.INPUT: "Check the message",
    Category.CANCELLED: "Cancelled",
}
_WARNINGS = {Category.RECIPIENTS, Category.RATE_LIMIT, Category.KEYRING, Category.INPUT}

TEXT_WIDTH = 460  # pixels for the text column: about 70 characters per line

# A URL ends at white space, markup or any quote mark (core quotes replies with “…”).

_URL = re.compile(r"https?://[^\s<>\"'“”‘’«»]+")
_TRAILING = ".,;:!?)]}"


def window_title_for(diagnosis: Diagnosis) -> str:
    """The title-bar text: the kind of trouble, in two or three words."""
    return _WINDOW_TITLES.get(diagnosis.category, "Could not send")


def severity(diagnosis: Diagnosis) -> str:
    """ "information", "warning" or "error": picks the dialog's icon."""
    if diagnosis.category is Category.CANCELLED:
        return "information"
    if diagnosis.category in _WARNINGS or diagnosis.retryable:
        return "warning"
    return "error"


def linkify(text: str) -> str:
    """Plain text to HTML with every http(s) URL as a clickable link."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        out.append(html.escape(text[last : match.start()]))
        out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>')
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out).replace("\n", "<br>")


def details_text(diagnosis: Diagnosis, transcript: str = "") -> str:
    """The technical part: exact server reply, codes, stage, refused recipients, transcript."""
    lines: list[str] = []
    if diagnosis.stage:
        lines.append(f"Stage: {diagnosis.stage}")
    if diagnosis.reply_code is not None:
        lines.append(f"Reply code: {diagnosis.reply_code}")
    if diagnosis.enhanced_code:
        meaning = f" ({diagnosis.enhanced_meaning})" if diagnosis.enhanced_meaning else ""
        lines.append(f"Enhanced status code: {diagnosis.enhanced_code}{meaning}")
    if diagnosis.provider:
        lines.append(f"Provider: {diagnosis.provider}")
    lines.append(f"Category: {diagnosis.category.value}")
    if diagnosis.server_reply:
        lines += ["", "Server reply:", diagnosis.server_reply]
    if diagnosis.refused:
        lines += ["", "Refused recipients:"]
        lines += [
            f"  {r.address}: {r.reason}" + (f" [{r.server_reply}]" if r.server_reply else "")
            for r in diagnosis.refused
        ]
    if transcript.strip():
        lines += ["", "Transcript (passwords removed):", transcript.rstrip()]
    return "\n".join(lines)


class ErrorDialog(QDialog):
    """Shows one Diagnosis: what happened, what to try, the server's own words, and actions."""

    actionRequested = Signal(str)  # an Action value, e.g. "edit-account"

    def __init__(
        self,
        diagnosis: Diagnosis,
        parent: QWidget | None = None,
        *,
        transcript: str = "",
        window_title: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.diagnosis = diagnosis
        self.transcript = transcript
        self.setObjectName("errorDialog")
        self.setWindowTitle(window_title or window_title_for(diagnosis))
        self.setAccessibleName(self.windowTitle())
        self.setAccessibleDescription(diagnosis.title)
        self.setSizeGripEnabled(True)
        self._action_buttons: dict[Action, QPushButton] = {}

        body = QVBoxLayout()
        body.setSpacing(10)
        self.title_label = self._label("errorTitle", "Error", html.escape(diagnosis.title))
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.title_label.setFont(font)
        body.addWidget(self.title_label)
        self.explanation_label = self._label(
            "errorExplanation", "Explanation", linkify(diagnosis.explanation)
        )
        body.addWidget(self.explanation_label)
        hint = self._hint_html()
        self.hint_label: QLabel | None = None
        if hint:
            self.hint_label = self._label("errorHint", "Provider hint", hint)
            body.addWidget(self.hint_label)
        self.fixes_label = self._label("errorFixes", "What to try", self._fixes_html())
        body.addWidget(self.fixes_label)
        if diagnosis.retryable:
            body.addWidget(
                self._label(
                    "errorRetryHint",
                    "Try again later",
                    "This is usually temporary: try again later.",
                )
            )

        # A readable line length; the layout (not a fixed minimum) then also makes room for
        # every button, so no button text is ever cut.
        body.addSpacerItem(QSpacerItem(TEXT_WIDTH, 0, QSizePolicy.Policy.Minimum))
        # Extra height (word-wrapped labels over-estimate it) goes below the text, not between.
        body.addStretch(1)

        top = QHBoxLayout()
        top.setSpacing(16)
        icon = QLabel(self)
        icon.setObjectName("errorIcon")
        icon.setAccessibleName(f"{severity(diagnosis).capitalize()} icon")
        icon.setPixmap(self._icon().pixmap(48, 48))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(body, 1)

        self.details = QPlainTextEdit(self)
        self.details.setObjectName("errorDetails")
        self.details.setAccessibleName("Technical details")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setPlainText(details_text(diagnosis, transcript))
        self.details.setMinimumHeight(160)
        self.details.setVisible(False)

        self.details_button = QPushButton("Show details", self)
        self.details_button.setObjectName("errorDetailsButton")
        self.details_button.setAccessibleName("Show details")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self.set_details_visible)
        self.copy_button = QPushButton("Copy details", self)
        self.copy_button.setObjectName("errorCopyButton")
        self.copy_button.setAccessibleName("Copy details")
        self.copy_button.clicked.connect(self.copy_details)

        self.buttons = QDialogButtonBox(self)
        self.buttons.setObjectName("errorButtons")
        self._add_action_buttons()
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setObjectName("errorCloseButton")
        self.close_button.setAccessibleName("Close")
        self.buttons.rejected.connect(self.reject)

        details_row = QHBoxLayout()
        details_row.addWidget(self.details_button)
        details_row.addWidget(self.copy_button)
        details_row.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(14)
        layout.addLayout(top)
        layout.addLayout(details_row)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.buttons)
        self._set_default_button()
        # Never squeeze a text below the height it needs at the text column's width (a small
        # screen, or a tall details area, would otherwise cut lines off).
        for label in self.findChildren(QLabel):
            if label.wordWrap():
                label.setMinimumHeight(max(0, label.heightForWidth(TEXT_WIDTH)))

    # -- public API --------------------------------------------------------------------------

    def action_button(self, action: Action | str) -> QPushButton | None:
        """The button for this action, or None when the diagnosis does not offer it."""
        return self._action_buttons.get(Action(action))

    @property
    def offered_actions(self) -> tuple[Action, ...]:
        return tuple(self._action_buttons)

    @Slot(bool)
    def set_details_visible(self, visible: bool) -> None:
        self.details.setVisible(visible)
        self.details_button.setText("Hide details" if visible else "Show details")
        self.details_button.setAccessibleName(self.details_button.text())
        if self.details_button.isChecked() != visible:
            self.details_button.setChecked(visible)
        self.adjustSize()

    def copy_text(self) -> str:
        """What "Copy details" puts on the clipboard: only the diagnosis and the transcript,
        which core has already stripped of credentials."""
        return f"{self.diagnosis.to_text()}\n\n{details_text(self.diagnosis, self.transcript)}\n"

    @Slot()
    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.copy_text())
        self.copy_button.setText("Copied")

    # -- building blocks ---------------------------------------------------------------------

    def _label(self, name: str, accessible: str, rich: str) -> QLabel:
        label = QLabel(rich, self)
        label.setObjectName(name)
        label.setAccessibleName(accessible)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        label.setOpenExternalLinks(False)  # links go through dialogs.open_url (a test seam)
        label.linkActivated.connect(self._open_link)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        return label

    def _fixes_html(self) -> str:
        parts = []
        if self.diagnosis.fixes:
            items = "".join(f"<li>{linkify(fix)}</li>" for fix in self.diagnosis.fixes)
            parts.append(f"<b>What to try</b><ol style='margin-top:4px'>{items}</ol>")
        if self.diagnosis.help_url:
            url = html.escape(self.diagnosis.help_url, quote=True)
            who = (
                f"{html.escape(self.diagnosis.provider)} help"
                if self.diagnosis.provider
                else "Help"
            )
            parts.append(f'{who}: <a href="{url}">{html.escape(self.diagnosis.help_url)}</a>')
        return "".join(parts)

    def _hint_html(self) -> str:
        diagnosis = self.diagnosis
        hint = diagnosis.hint
        if hint and hint not in diagnosis.explanation:  # core may have woven it in already
            who = f"<b>{html.escape(diagnosis.provider)}:</b> " if diagnosis.provider else ""
            return who + linkify(hint)
        if diagnosis.provider:
            return f"Provider: <b>{html.escape(diagnosis.provider)}</b>"
        return ""

    def _icon(self) -> QIcon:
        pixmap = {
            "information": QStyle.StandardPixmap.SP_MessageBoxInformation,
            "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
            "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
        }[severity(self.diagnosis)]
        return self.style().standardIcon(pixmap)

    def _add_action_buttons(self) -> None:
        for action in dict.fromkeys(self.diagnosis.actions):  # keep order, drop repeats
            button = self.buttons.addButton(
                ACTION_LABELS.get(action, action.value), QDialogButtonBox.ButtonRole.ActionRole
            )
            name = "".join(word.capitalize() for word in action.value.split("-"))
            button.setObjectName(f"errorAction{name}")
            button.setAccessibleName(ACTION_LABELS.get(action, action.value).rstrip("…"))
            button.setProperty("action", action.value)
            button.clicked.connect(self._action_clicked)
            self._action_buttons[action] = button

    def _set_default_button(self) -> None:
        # Enter triggers the first suggested action, but never "Trust certificate": trusting
        # must always be a deliberate click.
        for button in self.buttons.buttons():
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
        for action, button in self._action_buttons.items():
            if action is not Action.TRUST_CERTIFICATE:
                button.setDefault(True)
                return
        self.close_button.setDefault(True)

    @Slot()
    def _action_clicked(self) -> None:
        button = self.sender()
        value = button.property("action") if button is not None else None
        if value:
            self.actionRequested.emit(str(value))
            self.accept()

    @Slot(str)
    def _open_link(self, url: str) -> None:
        from mailgui.ui import dialogs  # the one seam that tests and smoke runs patch

        dialogs.open_url(url)
