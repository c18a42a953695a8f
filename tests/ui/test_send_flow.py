"""The send flow through the real window against real loopback SMTP servers."""

from __future__ import annotations

import email
import html
import socket
from email import policy
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QProgressBar, QPushButton

from mailgui.core.accounts import AuthMethod
from mailgui.core.outbox import Outbox, SentLog
from tests.smtp_servers import SmtpServer
from tests.ui.conftest import add_account, child, click, error_dialog, open_window, type_message

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_send_reaches_the_server(
    qtbot: Any, window: Any, starttls_server: SmtpServer, tmp_path: Path
) -> None:
    add_account(window, starttls_server)
    attachment = tmp_path / "report.txt"
    attachment.write_text("quarterly numbers\n")
    type_message(
        qtbot,
        window,
        composeTo="bob@example.com",
        composeCc="carol@example.com",
        composeBcc="dave@example.com",
        composeSubject="Hello Bob",
        composeBody="Dear Bob,\nsee attached.",
    )
    window.compose.attachments.add_paths([str(attachment)])
    assert "report.txt" in window.compose.attachments.list.item(0).text()
    assert "bytes" in window.compose.attachments.list.item(0).text()

    click(qtbot, window, "sendButton")
    qtbot.waitUntil(lambda: len(starttls_server.received) == 1, timeout=10000)
    received = starttls_server.received[0]
    assert sorted(received.rcpt_tos) == [
        "bob@example.com",
        "carol@example.com",
        "dave@example.com",
    ]
    message = email.message_from_bytes(received.data, policy=policy.default)
    assert message["Subject"] == "Hello Bob"
    assert message["To"] == "bob@example.com"
    assert message["Cc"] == "carol@example.com"
    assert message["Bcc"] is None
    assert b"dave@example.com" not in received.data
    body = message.get_body(("plain",))
    assert body is not None
    assert "see attached." in body.get_content()
    names = [part.get_filename() for part in message.iter_attachments()]
    assert names == ["report.txt"]

    qtbot.waitUntil(lambda: "sent to 3 recipients" in window.statusBar().currentMessage())
    qtbot.waitUntil(lambda: window.compose.is_empty())
    records = SentLog(window.config_dir).items()
    assert len(records) == 1
    assert records[0].subject == "Hello Bob"
    assert records[0].server_reply.startswith("250")
    assert window.sent_view.tree.topLevelItemCount() == 1


def test_ctrl_return_sends(qtbot: Any, window: Any, plain_server: SmtpServer) -> None:
    add_account(window, plain_server, auth=AuthMethod.NONE)
    type_message(
        qtbot,
        window,
        composeTo="bob@example.com",
        composeSubject="Shortcut",
        composeBody="sent with the keyboard",
    )
    body = child(window, QPlainTextEdit, "composeBody")
    qtbot.keyClick(body, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(plain_server.received) == 1, timeout=10000)
    assert b"sent with the keyboard" in plain_server.received[0].data
    assert "\n" not in body.toPlainText()  # Ctrl+Return sent; it did not type a line break


def test_invalid_address_is_shown_under_the_field(
    qtbot: Any, window: Any, starttls_server: SmtpServer
) -> None:
    add_account(window, starttls_server)
    type_message(qtbot, window, composeTo="bob@@example", composeSubject="x")
    error = child(window, QLabel, "composeToError")
    qtbot.waitUntil(error.isVisible)
    assert error.text()
    assert child(window, QLineEdit, "composeTo").property("invalid") is True
    click(qtbot, window, "sendButton")
    assert starttls_server.received == []
    assert "Fix the address" in window.statusBar().currentMessage()


def test_wrong_password_explains_and_keeps_the_message(
    qtbot: Any, window: Any, smtp_server_factory: Any
) -> None:
    server = smtp_server_factory(
        "starttls", fail={"AUTH": "535 5.7.8 Error: authentication failed"}
    )
    add_account(window, server)
    type_message(
        qtbot, window, composeTo="bob@example.com", composeSubject="Kept", composeBody="not lost"
    )
    click(qtbot, window, "sendButton")
    dialog = error_dialog(qtbot, window)
    assert dialog.diagnosis.category == "auth"
    assert dialog.findChild(QLabel, "errorTitle").text()
    assert dialog.findChild(QLabel, "errorFixes").text()
    actions = dialog.offered_actions
    assert "edit-account" in actions or "enter-password" in actions
    # Nothing is lost: the message waits in the Outbox with its error.
    items = Outbox(window.config_dir).items()
    assert len(items) == 1
    assert items[0].draft.subject == "Kept"
    assert items[0].last_error["category"] == "auth"
    assert window.outbox_view.tree.topLevelItemCount() == 1
    assert not window.compose.is_empty()

    # "Edit account" opens the editor with the password field focused.
    button = dialog.action_button("edit-account")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.editor)
    password = child(window, QLineEdit, "smtpPassword")
    assert dialog.diagnosis.field == "smtp.password"
    qtbot.waitUntil(lambda: window.focusWidget() is password)


def test_connection_refused_then_retry_from_outbox(
    qtbot: Any, window: Any, plain_server: SmtpServer
) -> None:
    account = add_account(window, plain_server)
    good = plain_server.settings().replace(auth=AuthMethod.NONE)
    window.accounts.save(account.replace(smtp=good.replace(port=_free_port())))
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject="Retry me")
    click(qtbot, window, "sendButton")
    dialog = error_dialog(qtbot, window)
    assert dialog.diagnosis.category in ("connect", "timeout")
    assert "retry" in dialog.offered_actions or "test-connection" in dialog.offered_actions
    dialog.close()
    qtbot.waitUntil(lambda: window.outbox_view.tree.topLevelItemCount() == 1)

    window.accounts.save(account.replace(smtp=good))  # the user fixes the port
    window.tabs.setCurrentWidget(window.outbox_view)
    click(qtbot, window, "outboxRetryButton")
    qtbot.waitUntil(lambda: len(plain_server.received) == 1, timeout=10000)
    qtbot.waitUntil(lambda: window.outbox_view.tree.topLevelItemCount() == 0)
    assert Outbox(window.config_dir).items() == []


def test_one_recipient_refused_is_not_plain_success(
    qtbot: Any, window: Any, smtp_server_factory: Any
) -> None:
    server = smtp_server_factory(
        "starttls", fail={"RCPT": {"nobody@example.com": "550 5.1.1 No such user"}}
    )
    add_account(window, server)
    type_message(
        qtbot, window, composeTo="bob@example.com, nobody@example.com", composeSubject="Partly"
    )
    click(qtbot, window, "sendButton")
    dialog = error_dialog(qtbot, window)
    assert dialog.diagnosis.category == "recipients"
    assert [r.address for r in dialog.diagnosis.refused] == ["nobody@example.com"]
    status = window.statusBar().currentMessage()
    assert "1 of 2" in status
    assert "nobody@example.com" in status
    assert len(server.received) == 1
    record = SentLog(window.config_dir).items()[0]
    assert record.refused == ["nobody@example.com"]


def test_cancel_a_slow_send(
    qtbot: Any, window: Any, smtp_server_factory: Any, tmp_path: Path
) -> None:
    server = smtp_server_factory("starttls", data_rate=64 * 1024)
    add_account(window, server)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (4 * 1024 * 1024))
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject="Big")
    window.compose.attachments.add_paths([str(big)])
    click(qtbot, window, "sendButton")
    progress = child(window, QProgressBar, "sendProgress")
    qtbot.waitUntil(lambda: progress.isVisible() and progress.value() > 0, timeout=10000)
    click(qtbot, window, "cancelSendButton")
    qtbot.waitUntil(lambda: not window.send_controller.busy, timeout=3000)
    assert child(window, QPushButton, "sendButton").isEnabled()
    assert "cancelled" in window.statusBar().currentMessage()
    assert server.received == []
    assert Outbox(window.config_dir).items() == []
    assert not window.compose.is_empty()  # still there to send later


def test_draft_survives_a_restart(qtbot: Any, config_dir: Path, tmp_path: Path) -> None:
    from mailgui.core.credentials import MemoryStore

    first = open_window(qtbot, config_dir, credentials=MemoryStore())
    type_message(
        qtbot,
        first,
        composeTo="bob@example.com",
        composeSubject="Half written",
        composeBody="to be continued",
    )
    draft_file = config_dir / "drafts" / "current.json"
    qtbot.waitUntil(
        lambda: draft_file.exists() and "continued" in draft_file.read_text(), timeout=5000
    )
    # No orderly shutdown: the autosave alone must have kept it (as after a crash).
    first.autosaver = None
    first.close()

    second = open_window(qtbot, config_dir, credentials=MemoryStore())
    assert child(second, QLineEdit, "composeTo").text() == "bob@example.com"
    assert child(second, QLineEdit, "composeSubject").text() == "Half written"
    assert child(second, QPlainTextEdit, "composeBody").toPlainText() == "to be continued"


@pytest.mark.parametrize(
    ("options", "smtp", "category", "action"),
    [
        ({"mode": "starttls", "cert": "untrusted"}, {}, "certificate", "trust-certificate"),
        ({"mode": "ssl"}, {"security": "starttls"}, "tls-mode", "edit-account"),
        ({"mode": "starttls", "size_limit": 2000}, {}, "size", "edit-message"),
        (
            {"mode": "starttls", "fail": {"MAIL": "553 5.7.1 Sender address rejected"}},
            {},
            "sender",
            "edit-account",
        ),
    ],
    ids=["untrusted-certificate", "wrong-security", "too-big", "sender-refused"],
)
def test_failure_dialogs(
    qtbot: Any,
    window: Any,
    smtp_server_factory: Any,
    options: dict[str, Any],
    smtp: dict[str, Any],
    category: str,
    action: str,
) -> None:
    from mailgui.core.accounts import Security

    mode = options.pop("mode")
    server = smtp_server_factory(mode, **options)
    if "security" in smtp:
        smtp["security"] = Security(smtp["security"])
    add_account(window, server, **smtp)
    # Short: plain SMTP to an implicit-TLS port only ends when the timeout does.
    window.prefs = window.prefs.__class__(send_timeout=1)
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject="x")
    window.compose.body.setPlainText("y" * 4000)  # bigger than the small SIZE above
    click(qtbot, window, "sendButton")
    dialog = error_dialog(qtbot, window)
    assert dialog.diagnosis.category == category
    assert html.unescape(dialog.findChild(QLabel, "errorTitle").text()) == dialog.diagnosis.title
    assert dialog.diagnosis.fixes
    assert dialog.findChild(QLabel, "errorFixes").text()
    assert action in dialog.offered_actions
    assert len(Outbox(window.config_dir).items()) == 1


def test_outbox_edit_and_delete(qtbot: Any, window: Any, plain_server: SmtpServer) -> None:
    from PySide6.QtWidgets import QMessageBox

    account = add_account(window, plain_server, auth=AuthMethod.NONE, port=_free_port())
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject="Edit me")
    click(qtbot, window, "sendButton")
    error_dialog(qtbot, window).close()
    qtbot.waitUntil(lambda: window.outbox_view.tree.topLevelItemCount() == 1)
    window.new_message()
    assert window.compose.is_empty()  # the failed message is safe in the Outbox

    window.tabs.setCurrentWidget(window.outbox_view)
    click(qtbot, window, "outboxEditButton")
    assert window.tabs.currentWidget() is window.compose_stack
    assert child(window, QLineEdit, "composeSubject").text() == "Edit me"
    assert window.compose.account_id() == account.id

    window.tabs.setCurrentWidget(window.outbox_view)
    click(qtbot, window, "outboxDeleteButton")
    box = window.findChild(QMessageBox, "confirmDialog")
    assert box is not None
    assert box.isVisible()
    assert len(Outbox(window.config_dir).items()) == 1
    qtbot.mouseClick(box.findChild(QPushButton, "confirmYesButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.outbox_view.tree.topLevelItemCount() == 0)
    assert Outbox(window.config_dir).items() == []
    assert window.compose.outbox_id is None
