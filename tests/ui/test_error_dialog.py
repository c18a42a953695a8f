"""The error dialog, once for every diagnosis category."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QGuiApplication, QTextDocument
from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QPushButton, QWidget

from mailgui.core.diagnosis import Action, Category, Diagnosis
from mailgui.core.transcript import Transcript
from mailgui.ui import dialogs
from mailgui.ui.dialogs import ErrorDialog
from tests.ui.test_error_dialog_cases import real_cases

pytestmark = [
    pytest.mark.gui,
    # Qt's offscreen platform says this for every top-level window it shows; it is not ours.
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

SECRET = "correct horse battery staple"


def diagnosis_for(category: Category) -> Diagnosis:
    return real_cases()[category].diagnosis


def redacted_transcript() -> str:
    """A real, redacting transcript of a failed sign-in that saw the password go by."""
    transcript = Transcript(secrets=[SECRET])
    transcript.info("connected to 127.0.0.1:587")
    transcript.server("220 sandbox.mailgui mailgui sandbox ESMTP")
    transcript.client("EHLO client.local")
    transcript.server("250-sandbox.mailgui")
    transcript.server("250 AUTH LOGIN PLAIN")
    plain = base64.b64encode(f"\0you@mailgui.example\0{SECRET}".encode()).decode()
    transcript.client(f"AUTH PLAIN {plain}")
    transcript.server("535 5.7.8 Error: authentication failed")
    return transcript.to_text()


def plain(label: QLabel) -> str:
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText()


def child_label(dialog: QDialog, name: str) -> QLabel:
    label = dialog.findChild(QLabel, name)
    assert label is not None, name
    return label


@pytest.fixture(autouse=True)
def real_dialogs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(dialogs, "HEADLESS", False)
    yield
    for widget in list(dialogs._alive):
        widget.close()


@pytest.fixture
def opened_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    urls: list[str] = []
    monkeypatch.setattr(dialogs, "open_url", urls.append)
    return urls


def open_dialog(qtbot, diagnosis: Diagnosis, transcript: str = "") -> ErrorDialog:
    dialog = dialogs.show_error(None, diagnosis, transcript=transcript)
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)
    return dialog


@pytest.mark.parametrize("category", list(Category), ids=str)
def test_dialog_renders_every_category(qtbot, category: Category) -> None:
    case = real_cases()[category]
    diagnosis = case.diagnosis
    dialog = open_dialog(qtbot, diagnosis, case.transcript)

    assert dialog.objectName() == "errorDialog"
    assert dialog.isVisible()  # open(), not exec(): the test goes on while it is shown
    assert dialog.windowTitle()
    assert plain(child_label(dialog, "errorTitle")) == diagnosis.title
    assert plain(child_label(dialog, "errorExplanation")) == diagnosis.explanation
    fixes = plain(child_label(dialog, "errorFixes"))
    for fix in diagnosis.fixes:
        assert fix in fixes
    assert dialog.offered_actions == diagnosis.actions
    for action in diagnosis.actions:
        button = dialog.action_button(action)
        assert button is not None
        assert button.isVisible()
        assert button.accessibleName()
    for action in set(Action) - set(diagnosis.actions):
        assert dialog.action_button(action) is None
    details = dialog.findChild(QPlainTextEdit, "errorDetails")
    assert details is not None
    assert not details.isVisible()
    if case.transcript:
        assert case.transcript.strip().splitlines()[-1] in details.toPlainText()
    if diagnosis.server_reply:
        assert diagnosis.server_reply in details.toPlainText()
    for name in ("errorTitle", "errorExplanation", "errorFixes", "errorIcon", "errorDetails"):
        assert dialog.findChild(QWidget, name).accessibleName(), name


@pytest.mark.parametrize("category", list(Category), ids=str)
def test_each_action_emits_and_closes(qtbot, category: Category) -> None:
    diagnosis = diagnosis_for(category)
    assert diagnosis.actions, "every category offers at least one way forward"
    for action in diagnosis.actions:
        dialog = open_dialog(qtbot, diagnosis)
        button = dialog.action_button(action)
        assert button is not None
        with qtbot.waitSignal(dialog.actionRequested, timeout=1000) as blocker:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert blocker.args == [action.value]
        assert not dialog.isVisible()
        assert dialog.result() == QDialog.DialogCode.Accepted


def test_window_titles_and_icons(qtbot) -> None:
    expected = {
        Category.AUTH: ("Sign-in problem", "Error icon"),
        Category.CERTIFICATE: ("Connection problem", "Error icon"),
        Category.TLS_MODE: ("Connection problem", "Error icon"),
        Category.SIZE: ("Could not send", "Error icon"),
        Category.SENDER: ("Could not send", "Error icon"),
        Category.RECIPIENTS: ("Delivery problem", "Warning icon"),
        Category.TIMEOUT: ("Connection problem", "Warning icon"),  # retryable
        Category.CANCELLED: ("Cancelled", "Information icon"),
    }
    for category, (title, icon_name) in expected.items():
        dialog = open_dialog(qtbot, diagnosis_for(category))
        assert dialog.windowTitle() == title
        icon = child_label(dialog, "errorIcon")
        assert icon.accessibleName() == icon_name
        assert not icon.pixmap().isNull()
        dialog.close()


def test_retryable_shows_try_again_later(qtbot) -> None:
    timeout = diagnosis_for(Category.TIMEOUT)
    assert timeout.retryable
    dialog = open_dialog(qtbot, timeout)
    assert "try again later" in plain(child_label(dialog, "errorRetryHint")).lower()
    dialog = open_dialog(qtbot, diagnosis_for(Category.AUTH))
    assert dialog.findChild(QLabel, "errorRetryHint") is None


def test_details_toggle_shows_the_servers_words(qtbot) -> None:
    case = real_cases()[Category.AUTH]
    diagnosis = case.diagnosis
    dialog = open_dialog(qtbot, diagnosis, case.transcript)
    toggle = dialog.findChild(QPushButton, "errorDetailsButton")
    details = dialog.findChild(QPlainTextEdit, "errorDetails")
    assert toggle is not None
    assert details is not None
    assert toggle.text() == "Show details"
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert details.isVisible()
    assert details.isReadOnly()
    assert toggle.text() == "Hide details"
    text = details.toPlainText()
    assert diagnosis.server_reply is not None
    assert diagnosis.server_reply in text
    assert "Reply code: 534" in text
    assert f"Enhanced status code: 5.7.9 ({diagnosis.enhanced_meaning})" in text
    assert "Stage: auth" in text
    assert "Provider: Gmail" in text
    assert "C: AUTH PLAIN ***" in text
    assert "S: 534-5.7.9 Application-specific password required" in text
    metrics = QFontMetrics(details.font())  # monospace: every letter is as wide as any other
    assert metrics.horizontalAdvance("iiii") == metrics.horizontalAdvance("MMMM")
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert not details.isVisible()
    assert toggle.text() == "Show details"


def test_copy_details_has_everything_but_the_password(qtbot) -> None:
    diagnosis = diagnosis_for(Category.AUTH)
    dialog = open_dialog(qtbot, diagnosis, redacted_transcript())
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    copy = dialog.findChild(QPushButton, "errorCopyButton")
    assert copy is not None
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    text = clipboard.text()
    assert diagnosis.title in text
    assert diagnosis.fixes[0] in text
    assert "Application-specific password required" in text
    assert "EHLO client.local" in text
    assert "C: AUTH PLAIN ***" in text
    assert SECRET not in text
    assert base64.b64encode(SECRET.encode()).decode() not in text
    assert base64.b64encode(f"\0you@mailgui.example\0{SECRET}".encode()).decode() not in text
    assert copy.text() == "Copied"


def test_refused_recipients_are_listed(qtbot) -> None:
    diagnosis = diagnosis_for(Category.RECIPIENTS)
    dialog = open_dialog(qtbot, diagnosis)
    dialog.set_details_visible(True)
    details = dialog.findChild(QPlainTextEdit, "errorDetails")
    assert details is not None
    [refused] = diagnosis.refused
    assert refused.address == "ann@mailgui.example"
    assert f"ann@mailgui.example: {refused.reason}" in details.toPlainText()


def test_links_are_clickable(qtbot, opened_urls: list[str]) -> None:
    diagnosis = diagnosis_for(Category.AUTH)
    assert diagnosis.help_url
    dialog = open_dialog(qtbot, diagnosis)
    fixes = child_label(dialog, "errorFixes")
    assert f'<a href="{diagnosis.help_url}">' in fixes.text()
    assert fixes.textInteractionFlags() & Qt.TextInteractionFlag.LinksAccessibleByMouse
    assert fixes.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    # The URL inside the quoted server reply is a link too, without the closing quote mark.
    explanation = child_label(dialog, "errorExplanation")
    reply_url = "https://support.google.com/mail/?p=InvalidSecondFactor"
    assert f'<a href="{reply_url}">' in explanation.text()
    assert explanation.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    fixes.linkActivated.emit(diagnosis.help_url)
    explanation.linkActivated.emit(reply_url)
    assert opened_urls == [diagnosis.help_url, reply_url]
    # The provider hint is already part of the explanation, so only the provider is named.
    assert plain(child_label(dialog, "errorHint")) == "Provider: Gmail"


def test_urls_inside_fixes_become_links(qtbot) -> None:
    diagnosis = Diagnosis(
        Category.AUTH,
        "Gmail needs an app password",
        "Your account uses 2-Step Verification.",
        ("Create one (https://myaccount.google.com/apppasswords), then enter it here.",),
        provider="Gmail",
        hint="Only app passwords work with 2-Step Verification.",
    )
    dialog = open_dialog(qtbot, diagnosis)
    fixes = child_label(dialog, "errorFixes").text()
    assert '<a href="https://myaccount.google.com/apppasswords">' in fixes
    assert plain(child_label(dialog, "errorFixes")).count("apppasswords") == 1
    hint = plain(child_label(dialog, "errorHint"))
    assert hint == "Gmail: Only app passwords work with 2-Step Verification."


def test_server_text_is_never_markup(qtbot) -> None:
    nasty = Diagnosis(
        Category.PROTOCOL,
        "<b>bold</b> & <i>co</i>",
        "Reply was <script>alert(1)</script>",
        ("Try <a href='x'>this</a>",),
    )
    dialog = open_dialog(qtbot, nasty)
    assert plain(child_label(dialog, "errorTitle")) == nasty.title
    assert plain(child_label(dialog, "errorExplanation")) == nasty.explanation
    assert "<a href='x'>" not in child_label(dialog, "errorFixes").text()


def test_escape_closes_without_an_action(qtbot) -> None:
    dialog = open_dialog(qtbot, diagnosis_for(Category.AUTH))
    emitted: list[str] = []
    dialog.actionRequested.connect(emitted.append)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert emitted == []


def test_close_button(qtbot) -> None:
    dialog = open_dialog(qtbot, diagnosis_for(Category.DNS))
    close = dialog.findChild(QPushButton, "errorCloseButton")
    assert close is not None
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_trust_certificate_is_never_the_default(qtbot) -> None:
    diagnosis = diagnosis_for(Category.CERTIFICATE)
    assert diagnosis.actions[0] is Action.TRUST_CERTIFICATE
    dialog = open_dialog(qtbot, diagnosis)
    trust = dialog.action_button(Action.TRUST_CERTIFICATE)
    assert trust is not None
    assert not trust.isDefault()
    emitted: list[str] = []
    dialog.actionRequested.connect(emitted.append)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert emitted == [diagnosis.actions[1].value]


def test_no_actions_means_only_close(qtbot) -> None:
    bare = Diagnosis(Category.PROTOCOL, "Odd reply", "The server said something odd.", ())
    dialog = open_dialog(qtbot, bare)
    assert dialog.offered_actions == ()
    close = dialog.findChild(QPushButton, "errorCloseButton")
    assert close is not None
    assert close.isDefault()
    assert plain(child_label(dialog, "errorFixes")) == ""


def test_headless_records_instead_of_showing(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialogs, "HEADLESS", True)
    monkeypatch.setattr(dialogs, "recorded", [])
    diagnosis = diagnosis_for(Category.SIZE)
    dialog = dialogs.show_error(None, diagnosis)
    qtbot.addWidget(dialog)
    assert not dialog.isVisible()
    [record] = dialogs.recorded
    assert (record.kind, record.text, record.widget) == ("error", diagnosis.title, dialog)
    dialogs.open_url("https://example.org/help")
    assert dialogs.recorded[-1].kind == "url"
