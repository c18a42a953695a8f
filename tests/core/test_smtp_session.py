"""SmtpSession used step by step, and: the connection is always closed, whatever happened."""

from __future__ import annotations

import os
import smtplib
import threading
import time

import pytest

from mailgui.core.cancel import CancelToken
from mailgui.core.errors import Cancelled
from mailgui.core.smtp import SmtpSession, check, send_message
from tests.smtp_servers import PASSWORD, make_message

needs_proc = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="counting open descriptors needs /proc"
)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def settled_fds(limit: int) -> int:
    """Open descriptors once the in-process servers closed their ends (they do so
    asynchronously, a moment after the client): bounded wait, then the count."""
    deadline = time.monotonic() + 3.0
    while open_fds() > limit and time.monotonic() < deadline:
        time.sleep(0.02)
    return open_fds()


def test_step_by_step(starttls_server):
    with SmtpSession(starttls_server.settings(), PASSWORD, timeout=5) as session:
        session.connect()
        caps = session.ehlo()
        assert caps.starttls
        assert not caps.auth  # AUTH is only offered after STARTTLS on this server
        session.starttls()
        assert session.capabilities is not None
        assert session.capabilities.auth == {"PLAIN", "LOGIN"}
        assert session.encrypted
        session.authenticate()
        result = session.send(make_message())
        assert result["bob@example.com"].accepted
        session.quit()
    assert [s.name for s in session.stages] == [
        "dns", "connect", "ehlo", "starttls", "auth", "envelope", "data", "quit",
    ]  # fmt: skip
    assert "password" not in repr(session).lower()
    assert PASSWORD not in repr(session)


def test_starttls_without_explicit_ehlo(starttls_server):
    with SmtpSession(starttls_server.settings(), PASSWORD, timeout=5) as session:
        session.connect()
        session.starttls()  # runs EHLO first by itself
        session.authenticate()


def test_dry_run_envelope_refused(smtp_server_factory):
    server = smtp_server_factory("plain", fail={"RCPT": "550 5.1.1 unknown"})
    result = check(server.settings(), None, timeout=5, dry_run_from="alice@example.com")
    assert isinstance(result.error, smtplib.SMTPRecipientsRefused)
    assert result.failed_stage == "envelope"


@needs_proc
def test_connections_are_always_closed(smtp_server_factory, silent_server):
    good = smtp_server_factory("starttls")
    slow = smtp_server_factory("starttls", delay={"MAIL": 5.0})
    bad_cert = smtp_server_factory("ssl", cert="untrusted")
    # Warm up lazily created things (certificates, resolver thread machinery).
    check(good.settings(), PASSWORD, timeout=5)
    before = open_fds()

    def boom(sent: int, total: int) -> None:
        raise RuntimeError("callback failed")

    outcomes = [
        check(good.settings(), PASSWORD, timeout=5),
        check(good.settings(), "wrong", timeout=5),
        check(good.settings(pinned_sha256="11" * 32), PASSWORD, timeout=5),
        check(bad_cert.settings(), PASSWORD, timeout=5),
        check(silent_server.settings(), None, timeout=0.3),
        send_message(good.settings(), PASSWORD, make_message(), timeout=5, progress=boom),
    ]
    token = CancelToken()
    threading.Timer(0.2, token.cancel).start()
    outcomes.append(send_message(slow.settings(), PASSWORD, make_message(), cancel=token))
    assert outcomes[0].ok
    assert isinstance(outcomes[-2].error, RuntimeError)
    assert isinstance(outcomes[-1].error, Cancelled)
    assert [o.ok for o in outcomes].count(True) == 1
    assert settled_fds(before) <= before


def test_session_closes_on_exception_in_the_with_block(starttls_server):
    opened = []

    def use_and_fail() -> None:
        with SmtpSession(starttls_server.settings(), timeout=5) as session:
            session.connect()
            session.starttls()
            opened.append((session, session._smtp.sock))
            raise KeyError("caller bug")

    with pytest.raises(KeyError):
        use_and_fail()
    ((session, sock),) = opened
    assert sock is not None
    assert sock.fileno() == -1  # closed
    assert session._smtp.sock is None
