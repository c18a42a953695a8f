"""Find working SMTP settings: try host x port x security in parallel and say why each one lost.

Candidates start staggered (Happy-Eyeballs style) so a fast answer is not stuck behind a silent
port, and the whole search is bounded by one time limit and one cancel token. The raw phase never
sends a password: it only connects, reads the greeting, negotiates TLS and reads EHLO. The real
password is tried afterwards on the ranked winners alone (the top one or two), through the same
`check()` the rest of the app uses, and never over plaintext without the account's consent.
"""

from __future__ import annotations

import contextlib
import enum
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mailgui.core.accounts import AuthMethod, Security, ServerSettings
from mailgui.core.cancel import CancelToken
from mailgui.core.errors import CertificatePinMismatch
from mailgui.core.net import Address, Resolved, open_connection, resolve
from mailgui.core.smtp import Capabilities, check
from mailgui.core.smtp_tls import TlsInfo, check_pin, make_tls_context, tls_info, verified_by


class Outcome(enum.StrEnum):
    """Why a combination won or lost. Values are stable (JSON, CLI)."""

    WORKS = "works"
    REFUSED = "refused"  # nothing listens: connection refused
    NO_ANSWER = "no-answer"  # filtered, or accepts TCP and never speaks
    DNS = "dns"  # the name does not resolve
    WRONG_TLS_MODE = "wrong-tls-mode"  # SSL/TLS on a STARTTLS port or the other way round
    NO_STARTTLS = "no-starttls"
    CERTIFICATE = "certificate"  # certificate invalid (untrusted, expired, other name, pin)
    NO_AUTH = "no-auth"  # no AUTH offered although the account signs in
    AUTH_FAILED = "auth-failed"
    PROTOCOL = "protocol"  # it answered, but not as a usable SMTP server
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Outcome.WORKS: "works",
    Outcome.REFUSED: "connection refused (nothing listens on this port)",
    Outcome.NO_ANSWER: "no answer (filtered, or the server never spoke)",
    Outcome.DNS: "host name not found",
    Outcome.WRONG_TLS_MODE: "wrong TLS mode for this port",
    Outcome.NO_STARTTLS: "STARTTLS not offered",
    Outcome.CERTIFICATE: "certificate invalid",
    Outcome.NO_AUTH: "no AUTH offered",
    Outcome.AUTH_FAILED: "authentication failed",
    Outcome.PROTOCOL: "not a usable SMTP answer",
    Outcome.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class PortChoice:
    """One port and security mode to try. Order in the list is the order of preference."""

    port: int
    security: Security


# Implicit TLS first (RFC 8314), then submission with STARTTLS, then the relay and the alternative.
DEFAULT_PORTS: tuple[PortChoice, ...] = (
    PortChoice(465, Security.SSL),
    PortChoice(587, Security.STARTTLS),
    PortChoice(25, Security.STARTTLS),
    PortChoice(2525, Security.STARTTLS),
)


@dataclass(frozen=True)
class Candidate:
    host: str
    port: int
    security: Security
    preference: int  # position of its port choice; lower is better

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port} {self.security.label}"

    def settings(self, base: ServerSettings) -> ServerSettings:
        same = (base.host, base.port) == (self.host, self.port)
        return base.replace(
            host=self.host,
            port=self.port,
            security=self.security,
            # A pin belongs to one host and port; it says nothing about another endpoint.
            pinned_sha256=base.pinned_sha256 if same else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "security": self.security.value}


@dataclass
class Attempt:
    candidate: Candidate
    outcome: Outcome = Outcome.NO_ANSWER
    detail: str = ""
    duration_ms: float = 0.0
    address: str | None = None
    capabilities: Capabilities | None = None
    tls: TlsInfo | None = None
    auth_checked: bool = False  # the real password was tried here (winners only)
    error: BaseException | None = field(default=None, repr=False)

    @property
    def auth_offered(self) -> bool:
        return bool(self.capabilities and self.capabilities.auth)

    @property
    def verified(self) -> bool:
        return self.tls is not None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.candidate.to_json(),
            "outcome": self.outcome.value,
            "reason": self.outcome.label,
            "detail": self.detail,
            "duration_ms": round(self.duration_ms, 1),
            "address": self.address,
            "auth_offered": sorted(self.capabilities.auth) if self.capabilities else [],
            "tls": self.tls.to_json() if self.tls else None,
            "auth_checked": self.auth_checked,
        }


@dataclass
class DiscoveryResult:
    attempts: list[Attempt]
    ranked: list[Attempt]  # what worked, best first
    best: Attempt | None
    settings: ServerSettings | None  # the recommendation, ready to apply to the account
    elapsed_ms: float
    cancelled: bool = False

    def to_json(self) -> dict[str, Any]:
        best = self.best
        return {
            "ok": best is not None,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "cancelled": self.cancelled,
            "attempts": [a.to_json() for a in self.attempts],
            "ranked": [a.candidate.to_json() for a in self.ranked],
            "recommended": best.candidate.to_json() if best else None,
            "settings": self.settings.to_dict() if self.settings else None,
        }


def candidate_hosts(host: str | None, email: str | None) -> list[str]:
    """The given host, then smtp.DOMAIN and mail.DOMAIN of the address, without repeats."""
    hosts: list[str] = []
    domain = email.rpartition("@")[2].strip().lower() if email and "@" in email else ""
    for name in (host, f"smtp.{domain}" if domain else "", f"mail.{domain}" if domain else ""):
        name = (name or "").strip().rstrip(".").lower()
        if name and name not in hosts:
            hosts.append(name)
    return hosts


def make_candidates(
    hosts: Sequence[str], ports: Sequence[PortChoice] = DEFAULT_PORTS, *, allow_plain: bool = False
) -> list[Candidate]:
    """host x port list; unencrypted variants of the STARTTLS ports only when allowed."""
    choices = list(ports)
    if allow_plain:
        choices += [
            PortChoice(p.port, Security.NONE) for p in ports if p.security is Security.STARTTLS
        ]
    return [
        Candidate(host, choice.port, choice.security, preference)
        for host in hosts
        for preference, choice in enumerate(choices)
    ]


def rank(attempts: Sequence[Attempt]) -> list[Attempt]:
    """What worked, best first: port preference, AUTH offered, then a CA-verified certificate."""
    works = [a for a in attempts if a.outcome is Outcome.WORKS]
    return sorted(
        works,
        key=lambda a: (
            a.candidate.preference,
            not a.auth_offered,
            not (a.tls is not None and a.tls.verified_by == "ca"),
            a.duration_ms,
        ),
    )


# ---------------------------------------------------------------------------------------------
# One candidate, without a password


class _Lost(Exception):
    def __init__(self, outcome: Outcome, detail: str, error: BaseException | None = None) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail
        self.error = error


def probe_candidate(
    candidate: Candidate,
    base: ServerSettings,
    *,
    timeout: float,
    cancel: CancelToken | None = None,
    local_hostname: str = "mailgui.localhost",
    names: _NameCache | None = None,
    on_connected: Callable[[], None] | None = None,
) -> Attempt:
    """Connect, greet, negotiate TLS and read EHLO; classify the outcome. Never raises.

    `on_connected` is called once the TCP connect has settled (either way)."""
    cancel = cancel or CancelToken()
    attempt = Attempt(candidate)
    start = time.monotonic()
    deadline = start + timeout
    sock: socket.socket | None = None
    try:
        try:
            sock = _connect(candidate, attempt, deadline, cancel, names or _NameCache())
        finally:
            if on_connected is not None:
                on_connected()
        settings = candidate.settings(base)
        sock = _classify(candidate, settings, attempt, sock, deadline, local_hostname)
    except _Lost as lost:
        attempt.outcome, attempt.detail, attempt.error = lost.outcome, lost.detail, lost.error
    except OSError as exc:  # anything the classifier did not foresee still gets an outcome
        attempt.outcome, attempt.detail, attempt.error = Outcome.PROTOCOL, _brief(exc), exc
    finally:
        cancel.detach()
        if sock is not None:
            sock.close()
        attempt.duration_ms = (time.monotonic() - start) * 1000
    if cancel.cancelled and attempt.outcome is not Outcome.WORKS:
        attempt.outcome, attempt.detail = Outcome.CANCELLED, "cancelled"
    return attempt


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Lost(Outcome.NO_ANSWER, "no answer within the time limit")
    return left


def _connect(
    candidate: Candidate,
    attempt: Attempt,
    deadline: float,
    cancel: CancelToken,
    names: _NameCache,
) -> socket.socket:
    try:
        resolved = names.get(candidate.host, candidate.port, _left(deadline), cancel)
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_AGAIN:
            raise _Lost(Outcome.NO_ANSWER, "the name lookup timed out", exc) from exc
        raise _Lost(Outcome.DNS, f"{candidate.host} does not resolve", exc) from exc
    try:
        sock = open_connection(resolved, _left(deadline), cancel)
    except ConnectionRefusedError as exc:
        raise _Lost(Outcome.REFUSED, "connection refused", exc) from exc
    except TimeoutError as exc:
        raise _Lost(Outcome.NO_ANSWER, "no answer to the connection (filtered?)", exc) from exc
    except OSError as exc:
        raise _Lost(Outcome.NO_ANSWER, _brief(exc), exc) from exc
    attempt.address = str(sock.getpeername()[0])
    return sock


class _NameCache:
    """Each host is resolved once, however many ports are tried on it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[threading.Event, list[Resolved | BaseException]]] = {}

    def get(self, host: str, port: int, timeout: float, cancel: CancelToken) -> Resolved:
        with self._lock:
            entry = self._entries.get(host)
            owner = entry is None
            if entry is None:
                entry = self._entries[host] = (threading.Event(), [])
        done, box = entry
        if owner:
            try:
                box.append(resolve(host, port, timeout, cancel))
            except BaseException as exc:
                box.append(exc)
            finally:
                done.set()
        elif not done.wait(timeout):
            raise socket.gaierror(socket.EAI_AGAIN, f"resolving {host} timed out")
        found = box[0]
        if isinstance(found, BaseException):
            raise found
        # Same addresses, this candidate's port.
        return Resolved(host, port, tuple(_with_port(a, port) for a in found.addresses))


def _with_port(address: Address, port: int) -> Address:
    family, type_, proto, sockaddr = address
    if len(sockaddr) == 4:  # IPv6: keep flow info and scope id
        return (family, type_, proto, (sockaddr[0], port, sockaddr[2], sockaddr[3]))
    return (family, type_, proto, (sockaddr[0], port))


def _classify(
    candidate: Candidate,
    settings: ServerSettings,
    attempt: Attempt,
    sock: socket.socket,
    deadline: float,
    local_hostname: str,
) -> socket.socket:
    if candidate.security is Security.SSL:
        sock = _handshake(candidate, settings, attempt, sock, deadline, expect_tls=True)
    else:
        _await_greeting(candidate, sock, deadline)
    client = smtplib.SMTP(local_hostname=local_hostname, timeout=_left(deadline))
    client.sock = sock
    # smtplib's STARTTLS uses _host for SNI and the name check; connect() would set it.
    client._host = candidate.host  # type: ignore[attr-defined]
    code, reply = client.getreply()
    if code != 220:
        raise _Lost(Outcome.PROTOCOL, f"greeting {code} {_text(reply)}")
    features = _ehlo(client)
    if candidate.security is Security.STARTTLS:
        if not client.has_extn("starttls"):
            raise _Lost(Outcome.NO_STARTTLS, "the server does not offer STARTTLS here")
        code, reply = client.docmd("STARTTLS")
        if code != 220:
            raise _Lost(Outcome.NO_STARTTLS, f"STARTTLS refused: {code} {_text(reply)}")
        sock = _handshake(candidate, settings, attempt, sock, deadline, expect_tls=False)
        client.sock = sock
        client.file = None
        client.helo_resp = client.ehlo_resp = None
        client.esmtp_features = {}
        client.does_esmtp = False
        features = _ehlo(client)
    attempt.capabilities = Capabilities.parse(features)
    if settings.auth is AuthMethod.PASSWORD and not attempt.capabilities.auth:
        raise _Lost(Outcome.NO_AUTH, "the server offers no AUTH mechanism on this connection")
    with contextlib.suppress(OSError):  # the verdict is in; a rude goodbye changes nothing
        client.docmd("QUIT")
    attempt.outcome = Outcome.WORKS
    mechs = " ".join(sorted(attempt.capabilities.auth)) or "none"
    attempt.detail = f"AUTH {mechs}" + (f", TLS {attempt.tls.version}" if attempt.tls else "")
    return sock


def _ehlo(client: smtplib.SMTP) -> dict[str, str]:
    code, reply = client.ehlo()
    if code != 250:
        raise _Lost(Outcome.PROTOCOL, f"EHLO refused: {code} {_text(reply)}")
    return dict(client.esmtp_features)


def _await_greeting(candidate: Candidate, sock: socket.socket, deadline: float) -> None:
    """Wait for the plaintext greeting; if none comes, check whether the port speaks TLS at once.

    A STARTTLS client on an implicit-TLS port waits for a greeting that never comes (the server
    waits for our ClientHello). Half the time limit goes to waiting, the rest to a TLS hello on
    the same socket: if that handshake works, the port wants SSL/TLS, not STARTTLS.
    """
    sock.settimeout(max(0.05, (deadline - time.monotonic()) / 2))
    try:
        data = sock.recv(1, socket.MSG_PEEK)
    except TimeoutError:
        data = None
    if data == b"":
        raise _Lost(Outcome.PROTOCOL, "the server closed the connection without a greeting")
    if data is not None:
        sock.settimeout(_left(deadline))
        return
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE  # only asks "is this TLS?"; nothing is sent over it
    sock.settimeout(_left(deadline))
    try:
        with probe.wrap_socket(sock, server_hostname=candidate.host, do_handshake_on_connect=True):
            pass
    except (TimeoutError, ssl.SSLError, OSError) as exc:
        raise _Lost(Outcome.NO_ANSWER, "accepted the connection but never spoke", exc) from exc
    raise _Lost(
        Outcome.WRONG_TLS_MODE,
        "this port speaks TLS at once: use SSL/TLS here, not STARTTLS",
    )


def _handshake(
    candidate: Candidate,
    settings: ServerSettings,
    attempt: Attempt,
    sock: socket.socket,
    deadline: float,
    *,
    expect_tls: bool,
) -> socket.socket:
    context = make_tls_context(settings)
    sock.settimeout(_left(deadline))
    try:
        tls = context.wrap_socket(sock, server_hostname=candidate.host)
    except ssl.SSLCertVerificationError as exc:
        raise _Lost(Outcome.CERTIFICATE, exc.verify_message or _brief(exc), exc) from exc
    except ssl.SSLError as exc:
        if expect_tls:
            raise _Lost(
                Outcome.WRONG_TLS_MODE,
                "this port does not speak TLS at once: use STARTTLS here, not SSL/TLS",
                exc,
            ) from exc
        raise _Lost(Outcome.PROTOCOL, f"TLS failed after STARTTLS: {_brief(exc)}", exc) from exc
    except TimeoutError as exc:
        raise _Lost(Outcome.NO_ANSWER, "no answer to the TLS handshake", exc) from exc
    try:
        check_pin(tls, settings)
    except CertificatePinMismatch as exc:
        tls.close()
        raise _Lost(Outcome.CERTIFICATE, "the certificate is not the pinned one", exc) from exc
    attempt.tls = tls_info(tls, verified_by(settings))
    return tls


def _text(reply: bytes) -> str:
    return reply.decode("utf-8", "replace").replace("\n", " ")[:200]


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


# ---------------------------------------------------------------------------------------------
# The search


def discover(
    base: ServerSettings,
    *,
    email: str | None = None,
    password: str | None = None,
    hosts: Sequence[str] | None = None,
    ports: Sequence[PortChoice] = DEFAULT_PORTS,
    allow_plain: bool = False,
    timeout: float = 5.0,
    time_limit: float | None = None,
    stagger: float = 0.05,
    auth_top: int = 2,
    cancel: CancelToken | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> DiscoveryResult:
    """Probe every candidate in parallel and recommend the best one. Never raises.

    `timeout` bounds each try, `time_limit` the whole search (default: one try plus the
    staggered starts plus the sign-in of the winners). `ports` lists the port choices in order
    of preference (tests map ephemeral ports to the roles of 465/587/25/2525). `on_attempt` is
    called from worker threads as each verdict comes in.
    """
    cancel = cancel or CancelToken()
    started = time.monotonic()
    candidates = make_candidates(
        list(hosts) if hosts else candidate_hosts(base.host, email), ports, allow_plain=allow_plain
    )
    if time_limit is None:
        time_limit = 2 * timeout + stagger * len(candidates)
    deadline = started + time_limit
    search = _Search(candidates, base, timeout, deadline, cancel, on_attempt)
    search.run(stagger)
    attempts = search.attempts()
    ranked = rank(attempts)
    if password and base.auth is AuthMethod.PASSWORD and ranked and not cancel.cancelled:
        _sign_in(ranked[: max(1, auth_top)], base, password, timeout, deadline, cancel)
        ranked = rank(attempts)
    best = ranked[0] if ranked else None
    if best is None:  # right settings, wrong password: still worth recommending
        best = next((a for a in attempts if a.outcome is Outcome.AUTH_FAILED), None)
    return DiscoveryResult(
        attempts=attempts,
        ranked=ranked,
        best=best,
        settings=best.candidate.settings(base) if best else None,
        elapsed_ms=(time.monotonic() - started) * 1000,
        cancelled=cancel.cancelled,
    )


class _Search:
    def __init__(
        self,
        candidates: list[Candidate],
        base: ServerSettings,
        timeout: float,
        deadline: float,
        cancel: CancelToken,
        on_attempt: Callable[[Attempt], None] | None,
    ) -> None:
        self.candidates = candidates
        self.base = base
        self.timeout = timeout
        self.deadline = deadline
        self.cancel = cancel
        self.on_attempt = on_attempt
        self.names = _NameCache()
        self.tokens = [CancelToken() for _ in candidates]
        self.done: dict[int, Attempt] = {}
        self.settled: set[int] = set()  # tries whose TCP connect has settled
        self.changed = threading.Condition()

    def run(self, stagger: float) -> None:
        threads = []
        for index in range(len(self.candidates)):
            if index:
                self._pause(stagger, index - 1)
            if self._stopping():
                break
            thread = threading.Thread(
                target=self._work, args=(index,), name=f"discover {index}", daemon=True
            )
            thread.start()
            threads.append(thread)
        with self.changed:
            while len(self.done) < len(threads) and not self._stopping():
                self.changed.wait(min(0.05, max(0.0, self.deadline - time.monotonic())))
        with self.changed:
            unfinished = [i for i in range(len(self.candidates)) if i not in self.done]
        for index in unfinished:  # stragglers past the time limit, or the user's cancel
            self.tokens[index].cancel()
        for thread in threads:
            thread.join(timeout=1.0)

    def _pause(self, stagger: float, previous: int) -> None:
        """Wait `stagger` before the next start; less once the previous try's TCP connect has
        settled (connected or failed), as Happy Eyeballs does: the delay keeps connection
        attempts from piling up, a connection waiting for a greeting costs nothing more."""
        until = time.monotonic() + stagger
        with self.changed:
            while (
                time.monotonic() < until and previous not in self.settled and not self._stopping()
            ):
                self.changed.wait(min(0.05, until - time.monotonic()))

    def _stopping(self) -> bool:
        return self.cancel.cancelled or time.monotonic() >= self.deadline

    def _work(self, index: int) -> None:
        candidate = self.candidates[index]
        try_timeout = min(self.timeout, max(0.05, self.deadline - time.monotonic()))

        def settled() -> None:
            with self.changed:
                self.settled.add(index)
                self.changed.notify_all()

        attempt = probe_candidate(
            candidate,
            self.base,
            timeout=try_timeout,
            cancel=self.tokens[index],
            names=self.names,
            on_connected=settled,
        )
        with self.changed:
            self.settled.add(index)
            self.done[index] = attempt
            self.changed.notify_all()
        if self.on_attempt is not None:
            self.on_attempt(attempt)

    def attempts(self) -> list[Attempt]:
        result = []
        with self.changed:
            for index, candidate in enumerate(self.candidates):
                attempt = self.done.get(index)
                if attempt is None:
                    attempt = Attempt(candidate)
                    if self.cancel.cancelled:
                        attempt.outcome, attempt.detail = Outcome.CANCELLED, "cancelled"
                    else:
                        attempt.detail = "no answer within the overall time limit"
                elif attempt.outcome is Outcome.CANCELLED and not self.cancel.cancelled:
                    attempt.outcome = Outcome.NO_ANSWER
                    attempt.detail = "no answer within the overall time limit"
                result.append(attempt)
        return result


def _sign_in(
    winners: list[Attempt],
    base: ServerSettings,
    password: str,
    timeout: float,
    deadline: float,
    cancel: CancelToken,
) -> None:
    """Try the real password on the winners only (in parallel), never over plaintext unasked."""

    def work(attempt: Attempt) -> None:
        settings = attempt.candidate.settings(base)
        if settings.security is Security.NONE and not settings.allow_insecure_auth:
            attempt.detail += "; not signed in (no encryption, and the account does not allow it)"
            return
        left = max(0.5, min(timeout, deadline - time.monotonic()))
        result = check(settings, password, timeout=left, cancel=cancel)
        attempt.auth_checked = True
        if result.ok:
            attempt.detail += "; signed in"
        elif result.failed_stage == "auth":
            attempt.outcome, attempt.error = Outcome.AUTH_FAILED, result.error
            attempt.detail = "the server refused the user name or password"
        elif result.error is not None:
            attempt.outcome, attempt.error = Outcome.PROTOCOL, result.error
            attempt.detail = f"failed at {result.failed_stage}: {_brief(result.error)}"

    threads = [threading.Thread(target=work, args=(a,), daemon=True) for a in winners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout + 1)
