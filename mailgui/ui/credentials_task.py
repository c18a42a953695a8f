"""Keyring reads, writes and deletes on a worker thread, results back by signal.

With a locked keyring the Secret Service may show an unlock prompt, and the D-Bus call blocks
until the user answers it: on the GUI thread that would freeze the window. So every keyring
call the UI makes runs on a one-thread pool of its own (one thread keeps a save and a later
read of the same key in order), built on the house job pattern (mailgui.ui.jobs).

A password handed to `store()` is answered from memory until its write has finished, so a send
that starts right after "Save" finds it without waiting for (or racing) the keyring.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from mailgui.core.errors import KeyringError
from mailgui.ui.jobs import Job, JobContext, JobRunner

if TYPE_CHECKING:
    from mailgui.core.credentials import CredentialStore, SessionFallbackStore

FetchCallback = Callable[[str | None, KeyringError | None], Any]


class _Pending:
    """Passwords handed over for saving whose keyring write has not finished yet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, str] = {}

    def put(self, key: str, password: str) -> None:
        with self._lock:
            self._values[key] = password

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._values.get(key)

    def drop(self, key: str, password: str | None = None) -> None:
        """Forget `key` (only if it still holds `password`, when given: a newer save wins)."""
        with self._lock:
            if password is None or self._values.get(key) == password:
                self._values.pop(key, None)

    def __repr__(self) -> str:  # never the passwords
        with self._lock:
            return f"_Pending(keys={sorted(self._values)!r})"


class _Fetch(QObject):
    """Receives one read's result in the GUI thread and hands it to the caller's callback."""

    def __init__(self, parent: QObject, callback: FetchCallback) -> None:
        super().__init__(parent)
        self._callback = callback

    @Slot(object)
    def done(self, password: object) -> None:
        self._callback(None if password is None else str(password), None)

    @Slot(object)
    def failed(self, error: BaseException) -> None:
        if not isinstance(error, KeyringError):
            raise error  # a bug, not a keyring state: let the excepthook show it
        self._callback(None, error)

    @Slot()
    def finished(self) -> None:
        self.deleteLater()


class _Write(QObject):
    """Receives one write's (or delete's) outcome in the GUI thread."""

    def __init__(self, keeper: CredentialsTask, key: str, password: str | None) -> None:
        super().__init__(keeper)
        self._keeper = keeper
        self._key = key
        self._password = password

    @Slot(object)
    def done(self, _result: object) -> None:
        self._keeper._written(self._key, self._password, None)

    @Slot(object)
    def failed(self, error: BaseException) -> None:
        if not isinstance(error, KeyringError):
            raise error
        self._keeper._written(self._key, self._password, error)

    @Slot()
    def finished(self) -> None:
        self.deleteLater()


class CredentialsTask(QObject):
    """The UI's only door to the keyring: get / set / delete, each on the keyring thread."""

    saveFailed = Signal(object)  # KeyringError: the password is kept for this session instead
    settled = Signal()  # every queued keyring call has finished (tests wait on it)

    def __init__(self, credentials: CredentialStore | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._credentials = credentials
        self._store: SessionFallbackStore | None = None
        self._pending = _Pending()
        self.runner = JobRunner(self)
        self.runner.pool.setMaxThreadCount(1)

    @property
    def store(self) -> SessionFallbackStore:
        # Built on first use: importing keyring costs start-up time the window does not need.
        # Building it never talks to the keyring (the backend is chosen on the first call).
        if self._store is None:
            from mailgui.core.credentials import KeyringStore, SessionFallbackStore

            self._store = SessionFallbackStore(self._credentials or KeyringStore())
        return self._store

    @property
    def busy(self) -> bool:
        return bool(self.runner.active)

    def known(self, key: str) -> str | None:
        """A password known without asking the keyring: being saved, or session-only."""
        pending = self._pending.get(key)
        if pending is not None:
            return pending
        store = self.store
        return store.memory.get_password(key) if store.is_session_only(key) else None

    def getter(self, key: str) -> Callable[[], str | None]:
        """A function for a worker thread: the password now, from memory or the keyring."""
        store, pending = self.store, self._pending

        def get() -> str | None:
            value = pending.get(key)
            return value if value is not None else store.get_password(key)

        return get

    def fetch(self, key: str, callback: FetchCallback) -> None:
        """`callback(password or None, KeyringError or None)`, later, in the GUI thread."""
        known = self.known(key)
        if known is not None:
            callback(known, None)
            return
        get = self.getter(key)
        receiver = _Fetch(self, callback)
        self._submit(Job(lambda _ctx: get(), "keyring read"), receiver)

    def store_password(self, key: str, password: str, *, remember: bool) -> None:
        """Keyring when `remember` (memory for this session if that fails), else memory only."""
        store = self.store
        if not remember:
            store.remember_for_session(key, password)
            return
        self._pending.put(key, password)

        def write(_ctx: JobContext) -> None:
            store.set_password(key, password)

        self._submit(Job(write, "keyring save"), _Write(self, key, password))

    def forget(self, key: str) -> None:
        """Delete the password; a keyring that cannot be reached leaves nothing to clean up."""
        self._pending.drop(key)
        store = self.store

        def delete(_ctx: JobContext) -> None:
            store.delete_password(key)

        self._submit(Job(delete, "keyring delete"), _Write(self, key, None))

    def _submit(self, job: Job, receiver: Any) -> None:
        job.signals.succeeded.connect(receiver.done)
        job.signals.failed.connect(receiver.failed)
        job.signals.finished.connect(receiver.finished)
        job.signals.finished.connect(self._job_finished)
        self.runner.submit(job)

    def _written(self, key: str, password: str | None, error: KeyringError | None) -> None:
        if password is None:  # a delete: its failure needs no words
            return
        if error is not None and self._pending.get(key) == password:
            self.store.remember_for_session(key, password)
        self._pending.drop(key, password)
        if error is not None:
            self.saveFailed.emit(error)

    @Slot()
    def _job_finished(self) -> None:
        # The runner forgets the job in its own slot, which may run after this one.
        finished = self.sender()
        if not [job for job in self.runner.active if job.signals is not finished]:
            self.settled.emit()

    def shutdown(self, timeout_ms: int) -> bool:
        return self.runner.shutdown(timeout_ms)
