"""Name resolution and TCP connect with a deadline and cancellation.

`getaddrinfo` has no timeout and a blocking `connect` cannot be interrupted, so resolution runs
in a helper thread that we stop waiting for at the deadline, and connect runs non-blocking
while the cancel token is polled. Shared by SMTP and IMAP.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import threading
import time
from dataclasses import dataclass

from mailgui.core.cancel import CancelToken
from mailgui.core.errors import Cancelled

_POLL = 0.05  # how often a wait looks at the cancel token (seconds)

Address = tuple[int, int, int, tuple[str, int] | tuple[str, int, int, int]]


@dataclass(frozen=True)
class Resolved:
    host: str
    port: int
    addresses: tuple[Address, ...]  # (family, type, proto, sockaddr)

    @property
    def ips(self) -> list[str]:
        return list(dict.fromkeys(str(a[3][0]) for a in self.addresses))


def resolve(host: str, port: int, timeout: float, cancel: CancelToken | None = None) -> Resolved:
    """getaddrinfo bounded by `timeout`. A resolver that does not answer in time gives
    `socket.gaierror(EAI_AGAIN)`, what the system resolver itself reports for a timeout."""
    box: list[object] = []
    done = threading.Event()

    def work() -> None:
        try:
            box.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # handed to the waiting thread below
            box.append(exc)
        finally:
            done.set()

    # A daemon thread: if the resolver hangs past the deadline, it must not keep us alive.
    threading.Thread(target=work, name=f"resolve {host}", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not done.wait(min(_POLL, max(0.0, deadline - time.monotonic()))):
        if cancel is not None and cancel.cancelled:
            raise Cancelled("dns")
        if time.monotonic() >= deadline:
            raise socket.gaierror(
                socket.EAI_AGAIN, f"resolving {host} timed out after {timeout:g} s"
            )
    result = box[0]
    if isinstance(result, BaseException):
        raise result
    infos = result if isinstance(result, list) else []
    addresses = tuple((fam, typ, proto, addr) for fam, typ, proto, _, addr in infos)
    return Resolved(host, port, addresses)


def open_connection(
    resolved: Resolved, timeout: float, cancel: CancelToken | None = None
) -> socket.socket:
    """Connect to the first address that answers, within `timeout` overall.

    The socket comes back blocking with `timeout` set on it (every later read and write
    times out individually) and attached to `cancel`. Errors are the real ones:
    ConnectionRefusedError, TimeoutError, OSError(EHOSTUNREACH), ...
    """
    deadline = time.monotonic() + timeout
    last_error: OSError | None = None
    for family, type_, proto, sockaddr in resolved.addresses:
        sock = socket.socket(family, type_, proto)
        try:
            _connect(sock, sockaddr, deadline, cancel)
        except BaseException as exc:
            if cancel is not None:
                cancel.detach(sock)
            sock.close()
            if isinstance(exc, OSError) and time.monotonic() < deadline:
                last_error = exc
                continue
            raise
        sock.settimeout(timeout)
        # Each command is one write; without NODELAY a short write after a long one (the end
        # of DATA) waits for the peer's delayed ACK, about 40 ms on Linux.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    if last_error is not None:
        raise last_error
    raise OSError(errno.EADDRNOTAVAIL, f"no address found for {resolved.host}")


def _connect(
    sock: socket.socket,
    sockaddr: tuple[str, int] | tuple[str, int, int, int],
    deadline: float,
    cancel: CancelToken | None,
) -> None:
    if cancel is not None:
        cancel.attach(sock)
    sock.setblocking(False)
    err = sock.connect_ex(sockaddr)
    if err not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
        raise OSError(err, os.strerror(err))
    if err != 0:
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_WRITE)
            while True:
                if cancel is not None and cancel.cancelled:
                    raise Cancelled("connect")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(errno.ETIMEDOUT, f"connect to {sockaddr[0]} timed out")
                if selector.select(min(_POLL, remaining)):
                    break
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            # OSError picks the matching subclass (ConnectionRefusedError, ...).
            raise OSError(err, os.strerror(err))
    sock.setblocking(True)
