"""Cancellation from another thread: a token that also unblocks sockets stuck in a read."""

from __future__ import annotations

import socket
import threading

from mailgui.core.errors import Cancelled


def _fileno(sock: socket.socket | int) -> int:
    return sock if isinstance(sock, int) else sock.fileno()


def _shutdown_fd(fd: int) -> None:
    # Shut the connection down by file descriptor rather than through the socket object: an
    # SSL wrap (STARTTLS) detaches the original object, but the descriptor stays the same.
    # shutdown() makes a read or write blocked in another thread return at once.
    try:
        sock = socket.socket(fileno=fd)
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected yet, or already gone: nothing to unblock
    finally:
        sock.detach()


class CancelToken:
    """Thread-safe cancel flag. Sockets attached to it are shut down when it is cancelled,
    so a session blocked in a read ends promptly; the session then reports `Cancelled`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._fds: set[int] = set()

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            for fd in self._fds:
                _shutdown_fd(fd)

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self, stage: str | None = None) -> None:
        if self._event.is_set():
            raise Cancelled(stage)

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to `timeout` seconds; True once cancelled."""
        return self._event.wait(timeout)

    def attach(self, sock: socket.socket | int) -> None:
        """Shut `sock` down on cancel (at once if already cancelled)."""
        fd = _fileno(sock)
        if fd < 0:
            return
        with self._lock:
            self._fds.add(fd)
            if self._event.is_set():
                _shutdown_fd(fd)

    def detach(self, sock: socket.socket | int | None = None) -> None:
        """Forget `sock` (all sockets when None). Call before closing it: the descriptor
        number could otherwise be reused by an unrelated file."""
        with self._lock:
            if sock is None:
                self._fds.clear()
            else:
                self._fds.discard(_fileno(sock))
