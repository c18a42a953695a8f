"""Wrong ports, silent and broken servers: the real exceptions come out, check() never raises."""

from __future__ import annotations

import smtplib
import socket
import ssl
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailgui.core import net
from mailgui.core.accounts import Security, ServerSettings
from mailgui.core.errors import MailguiError
from mailgui.core.smtp import SessionResult, check
from tests.smtp_servers import PASSWORD, GarbageServer


def test_plain_to_implicit_tls_port_times_out_at_the_banner(ssl_server):
    settings = ssl_server.settings(security=Security.NONE)
    started = time.monotonic()
    result = check(settings, None, timeout=1.0)
    elapsed = time.monotonic() - started
    assert isinstance(result.error, smtplib.SMTPServerDisconnected)
    assert "timed out" in str(result.error)
    assert isinstance(result.error.__cause__, TimeoutError)
    assert result.failed_stage == "connect"
    assert 0.9 < elapsed < 3.0


def test_ssl_to_starttls_port_is_wrong_version_number(starttls_server):
    result = check(starttls_server.settings(security=Security.SSL), PASSWORD, timeout=2.0)
    assert isinstance(result.error, ssl.SSLError)
    assert not isinstance(result.error, ssl.SSLCertVerificationError)
    assert result.error.reason == "WRONG_VERSION_NUMBER"
    assert result.failed_stage == "tls"


def test_silent_server_times_out_with_the_configured_timeout(silent_server):
    started = time.monotonic()
    result = check(silent_server.settings(), None, timeout=1.0)
    elapsed = time.monotonic() - started
    assert isinstance(result.error, smtplib.SMTPServerDisconnected)
    assert result.failed_stage == "connect"
    assert 0.9 < elapsed < 2.5


def test_server_closing_at_once(closing_server):
    result = check(closing_server.settings(), None, timeout=2.0)
    assert isinstance(result.error, smtplib.SMTPServerDisconnected)
    assert result.failed_stage == "connect"


def test_connection_refused():
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = check(ServerSettings(host="localhost", port=port, security=Security.NONE), timeout=2)
    assert isinstance(result.error, ConnectionRefusedError)
    assert result.failed_stage == "connect"


def test_unknown_host_fails_at_dns():
    settings = ServerSettings(host="no-such-host.invalid", port=25, security=Security.NONE)
    result = check(settings, None, timeout=3.0)
    assert isinstance(result.error, socket.gaierror)
    assert result.failed_stage == "dns"


def test_dns_resolution_is_bounded(monkeypatch):
    # getaddrinfo has no timeout of its own: a resolver that hangs must not hang us.
    real = socket.getaddrinfo

    def hanging(*args, **kwargs):
        time.sleep(3)
        return real(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    started = time.monotonic()
    with pytest.raises(socket.gaierror) as info:
        net.resolve("localhost", 25, timeout=0.3)
    assert info.value.errno == socket.EAI_AGAIN
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("greeting", "replies", "error"),
    [
        (b"220 hi\r\n", [b"\x00\xff\xfe garbage\r\n"], smtplib.SMTPHeloError),
        (b"hello there\r\n", [], smtplib.SMTPConnectError),
        (b"220 " + b"x" * 9000 + b"\r\n", [], smtplib.SMTPResponseException),
        (b"220-partial\r\n", [], smtplib.SMTPServerDisconnected),
        (b"220 ok\r\n", [b"250-a\r\n250-SIZE nope\r\n250-AUTH \xff\r\n250 x\r\n"], None),
    ],
)
def test_garbage_replies(garbage_server_factory, greeting, replies, error):
    server = garbage_server_factory(greeting, replies, close=False)
    result = check(server.settings(), None, timeout=1.0)
    if error is None:
        # Odd but parseable EHLO: the check runs on until the server stops answering QUIT.
        assert result.ok
        assert result.capabilities is not None
        assert result.capabilities.size is None
    else:
        assert isinstance(result.error, error)


_reply_line = st.one_of(
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"") + b"\r\n"),
    st.builds(
        lambda code, sep, text: f"{code}{sep}{text}\r\n".encode(),
        st.integers(min_value=100, max_value=599),
        st.sampled_from([" ", "-", "", "x"]),
        st.text(max_size=40).map(lambda t: t.replace("\r", "").replace("\n", "")),
    ),
)


@settings(
    max_examples=25,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    greeting=st.one_of(_reply_line, st.binary(max_size=80)),
    replies=st.lists(_reply_line, max_size=6),
    security=st.sampled_from([Security.NONE, Security.STARTTLS]),
)
def test_garbage_never_makes_check_raise(greeting, replies, security):
    with GarbageServer(greeting, replies) as server:
        settings_ = server.settings(security=security, allow_insecure_auth=True)
        result = check(settings_, "pw", timeout=0.5, dry_run_from="a@example.com")
    assert isinstance(result, SessionResult)
    if result.error is not None:
        assert isinstance(result.error, (OSError, smtplib.SMTPException, MailguiError))
        assert result.failed_stage is not None
        assert not result.ok
