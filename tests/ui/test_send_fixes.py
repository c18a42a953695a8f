"""Review fixes in the send flow: text typed while sending survives, and "Edit message" after a
partial refusal keeps exactly the refused recipients."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QPlainTextEdit

from mailgui.core.drafts import DraftStore
from mailgui.ui.message_actions import address_key
from tests.ui.conftest import add_account, child, click, error_dialog, type_message

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


def test_text_typed_during_a_send_is_kept(
    qtbot: Any, window: Any, smtp_server_factory: Any
) -> None:
    # The server waits before answering MAIL, so the user has time to keep typing.
    server = smtp_server_factory("starttls", delay={"MAIL": 1.0})
    add_account(window, server)
    type_message(
        qtbot, window, composeTo="bob@example.com", composeSubject="Hi", composeBody="First part"
    )
    click(qtbot, window, "sendButton")
    qtbot.waitUntil(lambda: window.send_controller.busy)
    body = child(window, QPlainTextEdit, "composeBody")
    body.setFocus()
    qtbot.keyClicks(body, " and more")
    qtbot.waitUntil(lambda: not window.send_controller.busy, timeout=10000)

    assert len(server.received) == 1
    assert b"and more" not in server.received[0].data
    assert body.toPlainText() == "First part and more"
    assert "kept as a draft" in window.statusBar().currentMessage()
    saved = DraftStore(window.config_dir).load()
    assert saved is not None
    assert saved[0].body == "First part and more"


def test_unchanged_pane_is_cleared_after_the_send(
    qtbot: Any, window: Any, starttls_server: Any
) -> None:
    add_account(window, starttls_server)
    type_message(qtbot, window, composeTo="bob@example.com", composeSubject="Hi")
    click(qtbot, window, "sendButton")
    qtbot.waitUntil(lambda: not window.send_controller.busy, timeout=10000)
    assert window.compose.is_empty()
    assert DraftStore(window.config_dir).load() is None


def test_address_key_normalises_the_domain_only() -> None:
    assert address_key("Bücher <info@Bücher.DE>") == "info@xn--bcher-kva.de"
    assert address_key("info@xn--bcher-kva.de") == "info@xn--bcher-kva.de"
    assert address_key("Ann <Ann@Example.com>") == "Ann@example.com"
    assert address_key("joann@example.com") != address_key("ann@example.com")


@pytest.mark.parametrize(
    ("to", "refused", "expected"),
    [
        # a refused address that is the end of an accepted one
        ("ann@example.com, joann@example.com", "ann@example.com", ("ann@example.com",)),
        # the envelope carries the IDNA form of a domain typed in Unicode
        ("bob@example.com, Bücher <info@bücher.de>", "info@xn--bcher-kva.de", None),
    ],
    ids=["substring", "idn"],
)
def test_edit_message_keeps_only_the_refused(
    qtbot: Any,
    window: Any,
    smtp_server_factory: Any,
    to: str,
    refused: str,
    expected: tuple[str, ...] | None,
) -> None:
    server = smtp_server_factory("starttls", fail={"RCPT": {refused: "550 5.1.1 No such user"}})
    add_account(window, server)
    window.compose.edits["to"].setText(to)  # QTest types ASCII only
    type_message(qtbot, window, composeSubject="Partly")
    click(qtbot, window, "sendButton")
    dialog = error_dialog(qtbot, window)
    assert [r.address for r in dialog.diagnosis.refused] == [refused]
    qtbot.waitUntil(lambda: window.compose.is_empty())

    dialog.actionRequested.emit("edit-message")
    draft = window.compose.draft()
    assert draft.to == (expected or ("Bücher <info@bücher.de>",))
    assert draft.cc == draft.bcc == ()
