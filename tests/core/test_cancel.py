"""Cancellation from another thread ends a session promptly with a distinct Cancelled outcome."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from mailgui.core.cancel import CancelToken
from mailgui.core.errors import Cancelled
from mailgui.core.smtp import check, send_message
from tests.smtp_servers import PASSWORD, make_message


def cancel_after(token: CancelToken, seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, token.cancel)
    timer.start()
    return timer


def test_token_basics():
    token = CancelToken()
    assert not token.cancelled
    token.raise_if_cancelled("connect")
    token.cancel()
    assert token.cancelled
    assert token.wait(0)
    with pytest.raises(Cancelled) as info:
        token.raise_if_cancelled("auth")
    assert info.value.stage == "auth"


def test_attached_socket_unblocks_a_blocked_read():
    token = CancelToken()
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(10)
        token.attach(a)
        cancel_after(token, 0.2)
        started = time.monotonic()
        assert a.recv(10) == b""  # shutdown makes the blocked read return at once
        assert time.monotonic() - started < 1.0


def test_attach_after_cancel_shuts_down_at_once():
    token = CancelToken()
    token.cancel()
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(5)
        token.attach(a)
        assert a.recv(10) == b""


def test_detached_socket_is_left_alone():
    token = CancelToken()
    a, b = socket.socketpair()
    with a, b:
        token.attach(a)
        token.detach(a)
        token.cancel()
        b.sendall(b"x")
        assert a.recv(1) == b"x"


def test_cancel_during_slow_reply(smtp_server_factory):
    server = smtp_server_factory("starttls", delay={"MAIL": 10.0})
    token = CancelToken()
    cancel_after(token, 0.3)
    started = time.monotonic()
    result = send_message(server.settings(), PASSWORD, make_message(), timeout=30, cancel=token)
    elapsed = time.monotonic() - started
    assert isinstance(result.error, Cancelled)
    assert result.cancelled
    assert result.error.stage == "envelope"
    assert result.failed_stage == "envelope"
    assert elapsed < 1.0
    assert not result.ok


def test_cancel_while_waiting_for_a_silent_banner(silent_server):
    token = CancelToken()
    cancel_after(token, 0.2)
    started = time.monotonic()
    result = check(silent_server.settings(), None, timeout=30, cancel=token)
    assert isinstance(result.error, Cancelled)
    assert result.failed_stage == "connect"
    assert time.monotonic() - started < 1.0


def test_cancel_during_a_slow_data_phase(smtp_server_factory):
    server = smtp_server_factory("ssl", data_rate=200_000)  # about 10 s for this message
    built = make_message(body="z" * 76 + "\n" * 1 + ("line\n" * 400_000))
    token = CancelToken()
    seen: list[int] = []

    def progress(sent: int, total: int) -> None:
        seen.append(sent)
        if len(seen) == 3:
            cancel_after(token, 0.2)

    started = time.monotonic()
    result = send_message(
        server.settings(), PASSWORD, built, timeout=30, cancel=token, progress=progress
    )
    assert isinstance(result.error, Cancelled)
    assert result.failed_stage == "data"
    assert time.monotonic() - started < 3.0
    assert server.received == []


def test_cancel_before_start():
    token = CancelToken()
    token.cancel()
    from mailgui.core.accounts import Security, ServerSettings

    result = check(ServerSettings(host="localhost", port=9, security=Security.NONE), cancel=token)
    assert isinstance(result.error, Cancelled)
    assert result.failed_stage == "dns"


def test_cancel_during_dns(monkeypatch):
    real = socket.getaddrinfo

    def hanging(*args, **kwargs):
        time.sleep(2)
        return real(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    from mailgui.core.accounts import Security, ServerSettings

    token = CancelToken()
    cancel_after(token, 0.2)
    started = time.monotonic()
    result = check(ServerSettings(host="localhost", port=9, security=Security.NONE), cancel=token)
    assert isinstance(result.error, Cancelled)
    assert result.failed_stage == "dns"
    assert time.monotonic() - started < 1.0


def test_exception_in_progress_callback_closes_the_session(plain_server):
    class Boom(Exception):
        pass

    def progress(sent: int, total: int) -> None:
        raise Boom()

    result = send_message(plain_server.settings(), None, make_message(), progress=progress)
    assert isinstance(result.error, Boom)
    assert result.failed_stage == "data"
    assert plain_server.received == []
