"""The one background-job pattern: a QRunnable whose signals object lives in the GUI thread.

The job function runs on a pool thread and calls core only; it never touches a widget. Its
result or the exception OBJECT travels back through queued signals to @Slot receivers in the GUI
thread, so the UI can `explain()` the error instead of parsing text. Sends go through a pool with a
single thread so two sessions never race on one account.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

# Progress is throttled on the worker side: at most one signal per interval (plus the last one),
# so a 20 MB send never floods the GUI thread's event queue.
PROGRESS_INTERVAL_S = 0.05


def _new_token() -> Any:
    from mailgui.core.cancel import CancelToken  # small, Qt-free; imported when a job is made

    return CancelToken()


@dataclass
class JobContext:
    """What a job function may use: the cancel token and a throttled progress reporter."""

    cancel: Any = field(default_factory=_new_token)
    progress: Callable[[int, int], None] = lambda _done, _total: None


class JobSignals(QObject):
    """Lives in the GUI thread; emitted from the pool thread, delivered queued."""

    progress = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception object itself
    finished = Signal()


class Job(QRunnable):
    """Run `fn(context)` on a pool thread; report progress, the result or the exception."""

    def __init__(self, fn: Callable[[JobContext], Any], name: str = "job") -> None:
        super().__init__()
        self.setAutoDelete(False)  # the runner keeps the Python object until `finished`
        self.name = name
        self.signals = JobSignals()
        self._fn = fn
        self.context = JobContext(progress=self._report)
        self._last_emit = 0.0

    def cancel(self) -> None:
        self.context.cancel.cancel()

    @property
    def cancelled(self) -> bool:
        return bool(self.context.cancel.cancelled)

    def _report(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last_emit < PROGRESS_INTERVAL_S:
            return
        self._last_emit = now
        self.signals.progress.emit(int(done), int(total))

    def run(self) -> None:  # pool thread
        try:
            result = self._fn(self.context)
        except BaseException as exc:  # reported as an object, never swallowed
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()


class JobRunner(QObject):
    """Owns the pools: one single-thread pool for sends, one small pool for everything else."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.send_pool = QThreadPool(self)
        self.send_pool.setMaxThreadCount(1)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(4)
        self._active: dict[int, Job] = {}

    def submit(self, job: Job, *, send: bool = False) -> Job:
        self._active[id(job)] = job
        job.signals.finished.connect(self._forget)
        (self.send_pool if send else self.pool).start(job)
        return job

    @Slot()
    def _forget(self) -> None:
        sender = self.sender()
        for key, job in list(self._active.items()):
            if job.signals is sender:
                del self._active[key]

    @property
    def active(self) -> list[Job]:
        return list(self._active.values())

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Cancel every job and wait for the pools, at most `timeout_ms` in total."""
        for job in self.active:
            job.cancel()
        deadline = time.monotonic() + timeout_ms / 1000
        done = self.send_pool.waitForDone(timeout_ms)
        left = max(0, int((deadline - time.monotonic()) * 1000))
        return self.pool.waitForDone(left) and done
