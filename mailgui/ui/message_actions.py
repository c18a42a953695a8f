"""The compose and Outbox glue of the main window: send, new message, the error dialog's actions
(edit, retry, enter the password, test), and retrying or editing a message from the Outbox."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import replace
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Slot

from mailgui.ui.send_controller import ActionContext, SendRequest

if TYPE_CHECKING:
    from mailgui.ui.main_window import MainWindow

MESSAGE_FIELDS = {"from", "to", "cc", "bcc", "subject", "body", "attachments"}


def address_key(text: str) -> str:
    """One address as the envelope carries it, to compare a draft's entry with a refused one.

    The local part is kept as is (it may be case-sensitive); the domain is IDNA-encoded and
    lowercased, so "Info <info@Bücher.de>" matches "info@xn--bcher-kva.de".
    """
    address = parseaddr(text)[1] or text.strip()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    with contextlib.suppress(UnicodeError):  # a name IDNA cannot encode: compare it as typed
        domain = domain.encode("idna").decode("ascii")
    return f"{local}@{domain.lower()}"


class MessageActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.compose = window.compose
        self.send_controller = window.send_controller

    def connect(self) -> None:
        window, outbox = self.window, self.window.outbox
        self.compose.sendRequested.connect(self.send)
        self.compose.cancelRequested.connect(self.send_controller.cancel)
        self.send_controller.actionRequested.connect(self.handle_action)
        self.send_controller.composeDone.connect(self.compose_sent)
        self.send_controller.outboxLinked.connect(self.outbox_linked)
        outbox.retryRequested.connect(self.retry_outbox)
        outbox.editRequested.connect(self.edit_outbox)
        outbox.deleted.connect(self.outbox_deleted)
        window.send_controller.outboxChanged.connect(outbox.refresh)
        window.send_controller.sentChanged.connect(outbox.refresh_sent)

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text)

    def _show_compose(self) -> None:
        self.window.tabs.setCurrentWidget(self.window.compose_stack)

    # compose and send
    @Slot()
    def send(self) -> None:
        account = self.window.accounts.get(self.compose.account_id())
        if account is None:
            self._show_compose()
            self._status("Add an account first: there is nothing to send with.")
            return
        bad = self.compose.validate_addresses(require_recipient=True)
        if bad:
            self.compose.focus_field(bad)
            self._status("Fix the address marked in red, then send again.")
            return
        draft = self.compose.draft(account.email)
        self.send_controller.send(
            SendRequest(draft, account, self.compose.outbox_id, from_compose=True)
        )

    @Slot(object)
    def compose_sent(self, request: SendRequest) -> None:
        """The compose pane's message was sent. The pane stayed editable while it was sending:
        clear it only if it still holds exactly what was sent, so nothing typed since is lost."""
        compose = self.compose
        unchanged = (
            compose.account_id() == request.account.id
            and compose.draft(request.draft.from_addr) == request.draft
        )
        if unchanged:
            compose.clear()
        else:
            if compose.outbox_id and compose.outbox_id == request.outbox_id:
                compose.outbox_id = None  # that Outbox copy was sent and removed
                self.window.draft_link.save()
            self._status("Message sent. What you changed while it was sending is kept as a draft.")
        if self.window.autosaver is not None:
            self.window.autosaver.flush()

    @Slot(str)
    def outbox_linked(self, item_id: str) -> None:
        self.compose.outbox_id = item_id
        self.window.draft_link.save()

    @Slot()
    def new_message(self) -> None:
        if self.compose.is_empty() or self.compose.outbox_id:
            self._start_new_message()
            return
        from mailgui.ui import dialogs

        dialogs.confirm(
            self.window,
            "New message",
            "Discard the message you are writing?",
            self._start_new_message,
        )

    def _start_new_message(self) -> None:
        self.compose.clear()
        self._show_compose()
        self.compose.edits["to"].setFocus()

    # the error dialog's actions
    @Slot(str, object)
    def handle_action(self, action: str, context: ActionContext) -> None:
        window = self.window
        diagnosis, account, request = context.diagnosis, context.account, context.request
        field = getattr(diagnosis, "field", None)
        sandbox = window.accounts.is_sandbox(account)
        if sandbox and action in ("enter-password", "retry"):
            # Its password is fixed and its sign-in failure was simulated (once): resend as is.
            self._resend_or_test(request, account)
        elif sandbox and action == "edit-account" and field not in MESSAGE_FIELDS:
            self._sandbox_is_fixed()
        elif action == "edit-account" and field not in MESSAGE_FIELDS and account is not None:
            window.edit_account(account.id, field)
            suggestion = getattr(diagnosis, "suggestion", None)
            if suggestion:
                changes = window.editor.apply_suggestion(suggestion)
                self._status(f"Suggested: {changes}. Check, then Save.")
        elif action == "trust-certificate" and account is not None:
            window.account_ctl.trust_certificate(account, context.certificate, diagnosis)
        elif action in ("test-connection", "trust-certificate"):
            window.test_connection(account)
        elif action == "retry" and request is not None:
            self.send_controller.send(request)
        elif action == "enter-password" and account is not None:
            retry = functools.partial(self._resend, request) if request else None
            window.accounts.ask_password(account, "The server did not accept the password.", retry)
        elif action in ("edit-message", "edit-account"):
            self._edit_message(diagnosis, request, field or "to")

    def _resend(self, request: SendRequest, _password: str | None = None) -> None:
        self.send_controller.send(request)

    def _resend_or_test(self, request: SendRequest | None, account: Any) -> None:
        if request is not None:
            self.send_controller.send(request)
        else:
            self.window.test_connection(account)

    def _sandbox_is_fixed(self) -> None:
        """The Sandbox's editor is read-only: say so instead of opening it greyed out."""
        from mailgui.ui import dialogs

        text = (
            "The Sandbox's settings are fixed: there is nothing to edit. To see other errors, "
            "choose Sandbox → Simulate failure, then send again."
        )
        self._status(text)
        dialogs.show_info(self.window, "Sandbox settings", text)

    def _edit_message(self, diagnosis: Any, request: SendRequest | None, field: str) -> None:
        if request is not None and (not request.from_compose or self.compose.is_empty()):
            draft = request.draft
            refused = {address_key(r.address) for r in getattr(diagnosis, "refused", ())}
            if refused:  # partly sent: only the refused recipients still need it
                everyone = (*draft.to, *draft.cc, *draft.bcc)
                kept = tuple(a for a in everyone if address_key(a) in refused)
                draft = replace(draft, to=kept, cc=(), bcc=())
            self.compose.load_draft(draft, request.account.id, request.outbox_id)
        self._show_compose()
        QTimer.singleShot(0, functools.partial(self.compose.focus_field, field))

    # the Outbox
    @Slot(object)
    def retry_outbox(self, item: Any) -> None:
        accounts = self.window.accounts
        account = accounts.get(item.account_id) or accounts.get(self.compose.account_id())
        if account is None:
            self._status("This message's account no longer exists: edit it.")
            return
        self.send_controller.send(SendRequest(item.draft, account, item.id, from_compose=False))

    @Slot(object)
    def edit_outbox(self, item: Any) -> None:
        load = functools.partial(self._load_outbox_item, item)
        if self.compose.is_empty() or self.compose.outbox_id:
            load()
        else:
            from mailgui.ui import dialogs

            dialogs.confirm(
                self.window,
                "Edit message",
                "Replace the message you are writing with this one?",
                load,
            )

    def _load_outbox_item(self, item: Any) -> None:
        self.compose.load_draft(item.draft, item.account_id, item.id)
        self._show_compose()
        self.compose.edits["to"].setFocus()

    @Slot(str)
    def outbox_deleted(self, item_id: str) -> None:
        if self.compose.outbox_id == item_id:
            self.compose.outbox_id = None
            self.window.draft_link.save()
