"""The send flow: build and send on the one-thread pool, show progress, and deal with the result.

Success goes to the status bar and the Sent log. A partial success is listed recipient by
recipient and never shown as a plain success. A failure is explained (`diagnosis.explain`), shown
in the error dialog, and the message is kept in the Outbox with its error.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from mailgui.ui.jobs import Job, JobContext, JobRunner

if TYPE_CHECKING:
    from collections.abc import Callable

    from mailgui.core.accounts import Account
    from mailgui.core.message import Draft
    from mailgui.ui.account_list import AccountManager


@dataclass
class SendRequest:
    draft: Draft
    account: Account
    outbox_id: str | None = None
    from_compose: bool = True


@dataclass
class ActionContext:
    """What a dialog's action button refers to."""

    diagnosis: Any
    account: Account | None
    request: SendRequest | None = None
    # The certificate a failed verification showed (TlsInfo, verified_by "none"), kept with the
    # failure so "Trust certificate…" can show it without another connection.
    certificate: Any = None


@dataclass(frozen=True)
class NeedPassword:
    """The send job found no password (or the keyring failed): ask the user, then send."""

    error: BaseException | None = None


def _send_job(
    request: SendRequest,
    password: str | None,
    fetch: Callable[[], str | None] | None,
    timeout: float,
    ctx: JobContext,
) -> Any:
    """Pool thread: core calls only. `fetch` reads the password from the keyring first (it may
    block on an unlock prompt: here, not in the window)."""
    from mailgui.core.errors import KeyringError
    from mailgui.core.message import build_message
    from mailgui.core.smtp import send_message

    if fetch is not None:
        try:
            password = fetch()
        except KeyringError as exc:
            return NeedPassword(exc)
        if password is None:
            return NeedPassword()
        ctx.cancel.raise_if_cancelled("auth")
    account = request.account
    draft = request.draft
    if not draft.from_addr:
        from dataclasses import replace

        draft = replace(draft, from_addr=account.email)
    built = build_message(draft, from_name=account.name or None)
    settings = account.smtp.replace(username=account.smtp_login)
    return send_message(
        settings, password, built, timeout=timeout, cancel=ctx.cancel, progress=ctx.progress
    )


def _check_job(account: Account, password: str | None, timeout: float, ctx: JobContext) -> Any:
    from mailgui.core.smtp import check

    settings = account.smtp.replace(username=account.smtp_login)
    return check(settings, password, timeout=timeout, cancel=ctx.cancel)


def unverified_certificate(result: Any) -> Any:
    """The TlsInfo of a certificate that failed verification, if the session saw one."""
    tls = getattr(result, "tls", None)
    return tls if tls is not None and tls.verified_by == "none" else None


def server_reply(result: Any) -> str:
    """The server's last positive reply before QUIT (its answer to the message data)."""
    reply = ""
    for line in result.transcript.lines:
        direction = str(getattr(line.direction, "value", line.direction))
        if direction == "C" and line.text.strip().upper() == "QUIT":
            break
        if direction == "S" and line.text[:1] == "2":
            reply = line.text
    return reply


def sandbox_diagnosis(diagnosis: Any) -> Any:
    """The Sandbox's sign-in failures are simulated and its password is fixed: a password
    prompt could not help, so "Enter password" becomes "Retry" (the simulation is used once)."""
    from dataclasses import replace

    from mailgui.core.diagnosis_types import Action

    actions = getattr(diagnosis, "actions", ())
    if Action.ENTER_PASSWORD not in actions:
        return diagnosis
    swapped = (Action.RETRY if a is Action.ENTER_PASSWORD else a for a in actions)
    return replace(diagnosis, actions=tuple(dict.fromkeys(swapped)))


class SendController(QObject):
    busyChanged = Signal(bool)
    progress = Signal(int, int)
    statusMessage = Signal(str)
    actionRequested = Signal(str, object)  # Action value, ActionContext
    outboxChanged = Signal()
    sentChanged = Signal()
    composeDone = Signal(object)  # the SendRequest sent from the compose pane (after the status)
    outboxLinked = Signal(str)  # the compose pane's message now lives in the Outbox as this id
    capabilitiesKnown = Signal(str)  # account id whose SIZE limit was learned

    def __init__(
        self,
        jobs: JobRunner,
        accounts: AccountManager,
        config_dir: Path,
        widget: QWidget,
        timeout: Callable[[], float],
    ) -> None:
        super().__init__(widget)
        self._jobs = jobs
        self._accounts = accounts
        self._config_dir = config_dir
        self._widget = widget
        self._timeout = timeout
        self._job: Job | None = None
        self._request: SendRequest | None = None
        self._check_account: Account | None = None
        self._waiting_for_password = False
        self.size_limits: dict[str, int] = {}  # account id -> SIZE from EHLO, memory only
        self.last_dialog: Any = None

    @property
    def busy(self) -> bool:
        return self._job is not None

    def _outbox(self) -> Any:
        from mailgui.core.outbox import Outbox

        return Outbox(self._config_dir)

    # sending
    def send(self, request: SendRequest) -> None:
        if self.busy:
            self.statusMessage.emit("Already sending; wait for it to finish or cancel it.")
            return
        from mailgui.core.accounts import AuthMethod

        self._request = request
        self.busyChanged.emit(True)
        self.statusMessage.emit(f"Sending with {request.account.name}…")
        account = request.account
        if account.smtp.auth is AuthMethod.NONE:
            self._start(None)
            return
        known = self._accounts.known_password(account)
        if known is not None:
            self._start(known)
        else:  # the job reads the keyring on its thread, then sends
            self._start(None, self._accounts.password_getter(account))

    @Slot()
    def _password_cancelled(self) -> None:
        if self._job is None and self._request is not None:
            self._waiting_for_password = False
            self._request = None
            self.busyChanged.emit(False)
            self.statusMessage.emit("Not sent: no password. The message is kept.")

    def _start(self, password: str | None, fetch: Callable[[], str | None] | None = None) -> None:
        request = self._request
        if request is None:
            return
        self._waiting_for_password = False
        timeout = self._timeout()  # read here: the job must not reach back into the window
        job = Job(lambda ctx: _send_job(request, password, fetch, timeout, ctx), "send")
        job.signals.progress.connect(self._on_progress)
        job.signals.succeeded.connect(self._on_result)
        job.signals.failed.connect(self._on_exception)
        job.signals.finished.connect(self._on_finished)
        self._job = job
        self._jobs.submit(job, send=True)

    @Slot()
    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.statusMessage.emit("Cancelling…")
        elif self._request is not None:  # still waiting for a password
            self._waiting_for_password = False
            self._request = None
            self.busyChanged.emit(False)

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.emit(done, total)

    @Slot()
    def _on_finished(self) -> None:
        if self._job is None or self._job.signals is not self.sender():
            return
        self._job = None
        if self._waiting_for_password:  # the request stays; the password dialog is open
            return
        self._request = None
        self.busyChanged.emit(False)

    def _need_password(self, request: SendRequest, need: NeedPassword) -> None:
        from mailgui.core.errors import KeyringError

        self._waiting_for_password = True
        error = need.error if isinstance(need.error, KeyringError) else None
        self._accounts.password_missing(
            request.account,
            "Enter the password to send this message.",
            self._start,
            self._password_cancelled,
            error,
        )

    def _remember_size(self, account: Account, result: Any) -> None:
        caps = getattr(result, "capabilities", None)
        if caps is not None and caps.size:
            self.size_limits[account.id] = int(caps.size)
            self.capabilitiesKnown.emit(account.id)

    @Slot(object)
    def _on_result(self, result: Any) -> None:
        request = self._request
        if request is None:
            return
        if isinstance(result, NeedPassword):
            self._need_password(request, result)
            return
        self._remember_size(request.account, result)
        if result.error is not None:
            self._failed(request, result.error, result)
            return
        self._record_sent(request, result)
        if request.outbox_id:
            self._outbox().remove(request.outbox_id)
            self.outboxChanged.emit()
        total = len(result.recipients)
        refused = [r for r in result.recipients.values() if not r.accepted]
        if result.partial and refused:
            from mailgui.core.diagnosis import DiagnosisContext, explain_partial

            context = DiagnosisContext.for_account(request.account, stage="envelope")
            diagnosis = explain_partial(result.recipients, context)
            names = "; ".join(
                f"{r.address} ({' '.join(str(x) for x in (r.code, r.message) if x)})"
                for r in refused
            )
            self.statusMessage.emit(
                f"Sent to {total - len(refused)} of {total} recipients. Refused: {names}."
            )
            self._show(diagnosis, request.account, request, result.transcript.to_text())
        else:
            self.statusMessage.emit(
                f"Message sent to {total} recipient{'s' if total != 1 else ''}"
                f" via {request.account.smtp.host}."
            )
        if request.from_compose:  # last: the pane may add to the status message
            self.composeDone.emit(request)

    @Slot(object)
    def _on_exception(self, error: BaseException) -> None:
        # build_message (InputError) or an unexpected bug; send_message itself never raises.
        if self._request is not None:
            self._failed(self._request, error, None)

    def _failed(self, request: SendRequest, error: BaseException, result: Any) -> None:
        from mailgui.core.diagnosis import DiagnosisContext, explain
        from mailgui.core.errors import Cancelled, InputError

        if isinstance(error, Cancelled):
            self.statusMessage.emit("Sending cancelled. The message was not sent and is kept.")
            return
        stage = getattr(result, "failed_stage", None)
        diagnosis = explain(error, DiagnosisContext.for_account(request.account, stage=stage))
        if not isinstance(error, InputError):
            self._keep_in_outbox(request, diagnosis.to_json())
        self.statusMessage.emit(f"Not sent: {diagnosis.title}")
        self._show(
            diagnosis,
            request.account,
            request,
            result.transcript.to_text() if result else "",
            unverified_certificate(result),
        )

    def _keep_in_outbox(self, request: SendRequest, error: dict[str, Any]) -> None:
        outbox = self._outbox()
        item = outbox.get(request.outbox_id) if request.outbox_id else None
        if item is not None:
            item = item.with_failure(error)
            outbox.update(item)
        else:
            item = outbox.add(request.draft, request.account.id, error)
        request.outbox_id = item.id
        if request.from_compose:
            self.outboxLinked.emit(item.id)
        self.outboxChanged.emit()

    def _record_sent(self, request: SendRequest, result: Any) -> None:
        from mailgui.core.outbox import SentLog, SentRecord

        recipients = {
            addr: {"accepted": r.accepted, "code": r.code, "message": r.message}
            for addr, r in result.recipients.items()
        }
        SentLog(self._config_dir).record(
            SentRecord(
                account_id=request.account.id,
                from_addr=request.account.email,
                subject=request.draft.subject,
                time=time.time(),
                recipients=recipients,
                server_reply=server_reply(result),
            )
        )
        self.sentChanged.emit()

    # dialogs and their actions
    def _show(
        self,
        diagnosis: Any,
        account: Account | None,
        request: SendRequest | None,
        transcript: str,
        certificate: Any = None,
    ) -> None:
        from mailgui.ui import dialogs

        if self._accounts.is_sandbox(account):
            diagnosis = sandbox_diagnosis(diagnosis)
        dialog = dialogs.show_error(self._widget, diagnosis, transcript=transcript)
        context = ActionContext(diagnosis, account, request, certificate)
        dialog.actionRequested.connect(functools.partial(self._dialog_action, context))
        self.last_dialog = dialog

    def _dialog_action(self, context: ActionContext, action: str) -> None:
        self.actionRequested.emit(action, context)

    # connection check (when the wizard is not available)
    def check(self, account: Account, password: str | None) -> None:
        self._check_account = account
        timeout = self._timeout()
        job = Job(lambda ctx: _check_job(account, password, timeout, ctx), "check")
        job.signals.succeeded.connect(self._on_check)
        job.signals.failed.connect(self._on_check_exception)
        self.statusMessage.emit(f"Testing {account.smtp.host}:{account.smtp.port}…")
        self._jobs.submit(job)

    @Slot(object)
    def _on_check(self, result: Any) -> None:
        from mailgui.ui import dialogs

        account = self._check_account
        if account is None:
            return
        self._remember_size(account, result)
        if result.error is None:
            passed = ", ".join(s.name for s in result.stages)
            self.statusMessage.emit("Connection test passed.")
            dialogs.show_info(self._widget, "Connection works", f"Every step passed: {passed}.")
            return
        from mailgui.core.diagnosis import DiagnosisContext, explain

        context = DiagnosisContext.for_account(account, stage=result.failed_stage)
        self.statusMessage.emit("Connection test failed.")
        self._show(
            explain(result.error, context),
            account,
            None,
            result.transcript.to_text(),
            unverified_certificate(result),
        )

    @Slot(object)
    def _on_check_exception(self, error: BaseException) -> None:
        from mailgui.core.diagnosis import explain

        self._show(explain(error), self._check_account, None, "")
