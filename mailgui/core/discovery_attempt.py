"""One discovery try without a password: connect, read the greeting, negotiate TLS, read EHLO,
and say why the combination works or loses (an Outcome with a detail). Never sends a password.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable

from mailgui.core.accounts import AuthMethod, Security, ServerSettings
from mailgui.core.cancel import CancelToken
from mailgui.core.discovery_model import Attempt, Candidate, Outcome
from mailgui.core.errors import Cancelled, CertificatePinMismatch
from mailgui.core.net import Address, Resolved, open_connection, resolve
from mailgui.core.smtp import Capabilities
from mailgui.core.smtp_tls import check_pin, make_tls_context, tls_info, verified_by
from mailgui.core.smtp_wire import WireSMTP
from mailgui.core.transcript import Transcript

__all__ = ["NameCache", "brief_error", "probe_candidate"]


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
    names: NameCache | None = None,
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
            sock = _connect(candidate, attempt, deadline, cancel, names or NameCache())
        finally:
            if on_connected is not None:
                on_connected()
        settings = candidate.settings(base)
        sock = _classify(candidate, settings, attempt, sock, deadline, local_hostname, cancel)
    except _Lost as lost:
        attempt.outcome, attempt.detail, attempt.error = lost.outcome, lost.detail, lost.error
    except Cancelled:
        attempt.outcome, attempt.detail = Outcome.CANCELLED, "cancelled"
    except OSError as exc:  # anything the classifier did not foresee still gets an outcome
        attempt.outcome, attempt.detail, attempt.error = Outcome.PROTOCOL, brief_error(exc), exc
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
    names: NameCache,
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
        raise _Lost(Outcome.NO_ANSWER, brief_error(exc), exc) from exc
    attempt.address = str(sock.getpeername()[0])
    return sock


class NameCache:
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
    cancel: CancelToken,
) -> socket.socket:
    if candidate.security is Security.SSL:
        sock = _handshake(candidate, settings, attempt, sock, deadline, expect_tls=True)
    else:
        _await_greeting(candidate, sock, deadline)
    # WireSMTP, not bare smtplib: each reply is bounded in time, lines and bytes, so a server
    # trickling an endless reply loses as PROTOCOL instead of holding the try past its limit.
    client = WireSMTP(Transcript(), cancel, _left(deadline))
    client.deadline = deadline
    client.local_hostname = local_hostname
    client.use_socket(sock, candidate.host)  # _host: SNI and the name check of STARTTLS
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
        client.use_socket(sock, candidate.host)
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
        raise _Lost(Outcome.CERTIFICATE, exc.verify_message or brief_error(exc), exc) from exc
    except ssl.SSLError as exc:
        if expect_tls:
            raise _Lost(
                Outcome.WRONG_TLS_MODE,
                "this port does not speak TLS at once: use STARTTLS here, not SSL/TLS",
                exc,
            ) from exc
        raise _Lost(
            Outcome.PROTOCOL, f"TLS failed after STARTTLS: {brief_error(exc)}", exc
        ) from exc
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


def brief_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]
