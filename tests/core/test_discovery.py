"""Parallel discovery of working settings against real loopback servers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from mailgui.core.accounts import AuthMethod, Security, ServerSettings
from mailgui.core.cancel import CancelToken
from mailgui.core.discovery import (
    DEFAULT_PORTS,
    Attempt,
    Candidate,
    Outcome,
    PortChoice,
    candidate_hosts,
    discover,
    make_candidates,
    probe_candidate,
    rank,
)
from tests.smtp_servers import PASSWORD, USER, SilentServer, SmtpServer, TricklingServer

TRY = 1.0  # per-try timeout in these tests


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def four_roles() -> Iterator[tuple[list[PortChoice], SmtpServer]]:
    """Roles of 465/587/25/2525: only "587" works; "465" refuses (closed port), "25" is
    silent, "2525" speaks implicit TLS although STARTTLS is expected (wrong TLS mode)."""
    with SmtpServer("starttls") as works, SilentServer() as silent, SmtpServer("ssl") as tls:
        ports = [
            PortChoice(closed_port(), Security.SSL),
            PortChoice(works.port, Security.STARTTLS),
            PortChoice(silent.port, Security.STARTTLS),
            PortChoice(tls.port, Security.STARTTLS),
        ]
        yield ports, works


def base(server: SmtpServer) -> ServerSettings:
    return server.settings(port=1, security=Security.SSL)  # the account's wrong settings


def by_port(attempts: list[Attempt]) -> dict[int, Attempt]:
    return {a.candidate.port: a for a in attempts}


def test_one_of_four_works_and_each_loser_says_why(four_roles) -> None:
    ports, works = four_roles
    started = time.monotonic()
    result = discover(
        base(works), email=USER, password=PASSWORD, hosts=["localhost"], ports=ports, timeout=TRY
    )
    elapsed = time.monotonic() - started
    outcomes = {port: a.outcome for port, a in by_port(result.attempts).items()}
    assert outcomes == {
        ports[0].port: Outcome.REFUSED,
        ports[1].port: Outcome.WORKS,
        ports[2].port: Outcome.NO_ANSWER,
        ports[3].port: Outcome.WRONG_TLS_MODE,
    }
    assert result.best is not None
    assert result.best.candidate.port == works.port
    assert result.best.auth_checked
    assert "signed in" in result.best.detail
    assert result.settings == base(works).replace(port=works.port, security=Security.STARTTLS)
    # Parallel: about one try, not the sum of them (the silent one costs a whole try).
    assert elapsed < TRY + 0.8
    assert result.elapsed_ms / 1000 <= elapsed + 0.01
    data = result.to_json()
    assert data["recommended"] == {"host": "localhost", "port": works.port, "security": "starttls"}
    assert {a["outcome"] for a in data["attempts"]} == {
        "refused",
        "works",
        "no-answer",
        "wrong-tls-mode",
    }


def test_password_is_tried_on_the_winners_only(four_roles) -> None:
    ports, works = four_roles
    discover(base(works), password=PASSWORD, hosts=["localhost"], ports=ports, timeout=TRY)
    # one sign-in on the winner; the raw probe itself never authenticates
    assert sum(1 for c in works.commands if c.startswith("AUTH")) == 1


def test_wrong_password_on_the_winner(four_roles) -> None:
    ports, works = four_roles
    result = discover(base(works), password="wrong", hosts=["localhost"], ports=ports, timeout=TRY)
    winner = by_port(result.attempts)[works.port]
    assert winner.outcome is Outcome.AUTH_FAILED
    assert result.ranked == []
    assert result.best is winner


def test_ssl_on_a_starttls_port_is_the_wrong_tls_mode(starttls_server: SmtpServer) -> None:
    candidate = Candidate("localhost", starttls_server.port, Security.SSL, 0)
    attempt = probe_candidate(candidate, starttls_server.settings(), timeout=TRY)
    assert attempt.outcome is Outcome.WRONG_TLS_MODE
    assert "STARTTLS" in attempt.detail


def test_no_starttls_offered(plain_server: SmtpServer) -> None:
    candidate = Candidate("localhost", plain_server.port, Security.STARTTLS, 0)
    attempt = probe_candidate(candidate, plain_server.settings(), timeout=TRY)
    assert attempt.outcome is Outcome.NO_STARTTLS


def test_no_auth_offered(smtp_server_factory) -> None:
    server = smtp_server_factory("ssl", auth=False, users={})
    candidate = Candidate("localhost", server.port, Security.SSL, 0)
    settings = server.settings(username=USER, auth=AuthMethod.PASSWORD)
    attempt = probe_candidate(candidate, settings, timeout=TRY)
    assert attempt.outcome is Outcome.NO_AUTH


@pytest.mark.parametrize("at", ["banner", "ehlo"])
def test_a_reply_that_never_ends_loses_within_the_try_timeout(at: str) -> None:
    # Lines every 0.3 s: each read succeeds, only the per-reply deadline ends the try.
    with TricklingServer(at=at, interval=0.3) as server:
        candidate = Candidate("localhost", server.port, Security.STARTTLS, 0)
        started = time.monotonic()
        attempt = probe_candidate(candidate, server.settings(), timeout=TRY)
        elapsed = time.monotonic() - started
    assert elapsed < TRY + 1.0
    assert attempt.outcome is Outcome.PROTOCOL
    assert "Reply never ended" in attempt.detail


def test_untrusted_certificate_loses(smtp_server_factory) -> None:
    server = smtp_server_factory("ssl", cert="untrusted")
    candidate = Candidate("localhost", server.port, Security.SSL, 0)
    attempt = probe_candidate(candidate, server.settings(), timeout=TRY)
    assert attempt.outcome is Outcome.CERTIFICATE


def test_pinned_certificate_is_used_on_its_own_endpoint(smtp_server_factory) -> None:
    from tests.smtp_servers import cert_sha256

    server = smtp_server_factory("ssl", cert="untrusted")
    pinned = server.settings(pinned_sha256=cert_sha256("untrusted"))
    result = discover(
        pinned, hosts=["localhost"], ports=[PortChoice(server.port, Security.SSL)], timeout=TRY
    )
    assert result.best is not None
    assert result.best.tls is not None
    assert result.best.tls.verified_by == "pin"
    assert result.settings is not None
    assert result.settings.pinned_sha256 == pinned.pinned_sha256


def test_plain_candidates_only_when_allowed() -> None:
    plain = make_candidates(["h"], DEFAULT_PORTS, allow_plain=True)
    assert len(make_candidates(["h"], DEFAULT_PORTS)) == 4
    assert [c.security for c in plain].count(Security.NONE) == 3
    assert all(c.preference >= 4 for c in plain if c.security is Security.NONE)


def test_plain_winner_never_gets_the_password(smtp_server_factory) -> None:
    server = smtp_server_factory("plain", auth=True)
    result = discover(
        server.settings(username=USER),
        password=PASSWORD,
        hosts=["localhost"],
        ports=[PortChoice(server.port, Security.STARTTLS)],
        allow_plain=True,
        timeout=TRY,
    )
    assert result.best is not None
    assert result.best.candidate.security is Security.NONE
    assert not result.best.auth_checked
    assert not any(c.startswith("AUTH") for c in server.commands)


def test_candidate_hosts() -> None:
    assert candidate_hosts("Mail.Example.com.", "me@example.org") == [
        "mail.example.com",
        "smtp.example.org",
        "mail.example.org",
    ]
    assert candidate_hosts(None, "me@example.org") == ["smtp.example.org", "mail.example.org"]
    assert candidate_hosts("smtp.example.org", "me@example.org")[0] == "smtp.example.org"


def test_ranking_prefers_implicit_tls_then_submission() -> None:
    def works(port: int, security: Security, pref: int, auth: bool = True) -> Attempt:
        from mailgui.core.smtp import Capabilities

        caps = Capabilities(auth=frozenset({"PLAIN"}) if auth else frozenset())
        return Attempt(Candidate("h", port, security, pref), Outcome.WORKS, capabilities=caps)

    attempts = [
        works(25, Security.STARTTLS, 2),
        works(587, Security.STARTTLS, 1),
        works(465, Security.SSL, 0, auth=False),
        Attempt(Candidate("h", 2525, Security.STARTTLS, 3), Outcome.REFUSED),
    ]
    assert [a.candidate.port for a in rank(attempts)] == [465, 587, 25]


def test_unknown_host_is_a_dns_outcome() -> None:
    result = discover(
        ServerSettings(host="nothing.invalid"),
        hosts=["nothing.invalid"],
        ports=[PortChoice(25, Security.STARTTLS), PortChoice(587, Security.STARTTLS)],
        timeout=TRY,
    )
    assert {a.outcome for a in result.attempts} == {Outcome.DNS}
    assert result.best is None
    assert result.settings is None


def test_overall_limit_and_cancel(silent_server: SilentServer) -> None:
    ports = [PortChoice(silent_server.port, Security.SSL)] * 3
    started = time.monotonic()
    result = discover(
        ServerSettings(host="localhost"),
        hosts=["localhost"],
        ports=ports,
        timeout=5.0,
        time_limit=0.5,
    )
    assert time.monotonic() - started < 1.5
    assert {a.outcome for a in result.attempts} == {Outcome.NO_ANSWER}
    token = CancelToken()
    threading.Timer(0.2, token.cancel).start()
    started = time.monotonic()
    cancelled = discover(
        ServerSettings(host="localhost"),
        hosts=["localhost"],
        ports=ports,
        timeout=5.0,
        cancel=token,
    )
    assert time.monotonic() - started < 1.5
    assert cancelled.cancelled
    assert {a.outcome for a in cancelled.attempts} == {Outcome.CANCELLED}
