"""The built-in SMTP sandbox: a real SMTP server on loopback, so the app works without an account.

It speaks STARTTLS with a bundled certificate, requires AUTH (user "sandbox", password
"mailgui-demo-password", a public demo credential), keeps every message it receives on disk,
and can make the next send fail in a chosen way (`simulate`) so every error dialog can be seen
without a real provider.
The server runs an asyncio loop in a background thread (aiosmtpd's Controller).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
import ssl
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cached_property
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import (
    SMTP,
    AuthResult,
    Envelope,
    LoginPassword,
    Session,
    TLSSetupException,
    syntax,
)

from mailgui.core.accounts import Account, Security, ServerSettings
from mailgui.core.fileio import atomic_write_json
from mailgui.core.resources import resource_path
from mailgui.core.sandbox_failures import (
    APP_PASSWORD_REPLY,
    SIZE_REPLY,
    WRONG_PASSWORD_REPLY,
    SandboxFailure,
    recipient_refused_reply,
    sender_refused_reply,
)

__all__ = ["Sandbox", "SandboxFailure", "SandboxMessage", "certificate_path"]

log = logging.getLogger(__name__)


class _QuietDeprecation(logging.Filter):
    # aiosmtpd logs this warning itself on every successful AUTH; it is not ours to act on.
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Session.login_data is deprecated")


logging.getLogger("mail.log").addFilter(_QuietDeprecation())

STOP_TIMEOUT = 2.0  # stop() never waits longer than this for the server thread
IDLE_TIMEOUT = 60.0  # the server drops a silent client after this long, like a real one
SIZE_LIMIT = 25 * 1024 * 1024  # announced in EHLO SIZE, the usual provider limit


def certificate_path(name: str) -> Path:
    """A bundled sandbox PEM file: "ca.pem", "server.pem", "untrusted.pem", ..."""
    return resource_path("sandbox", name)


@dataclass(frozen=True)
class SandboxMessage:
    """One message the sandbox received, as it arrived on the wire."""

    id: str
    received: float  # Unix time
    envelope_from: str
    recipients: tuple[str, ...]
    raw: bytes

    @cached_property
    def parsed(self) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(message, EmailMessage)
        return message

    @property
    def subject(self) -> str:
        return str(self.parsed.get("Subject", ""))

    @property
    def from_header(self) -> str:
        return str(self.parsed.get("From", ""))

    @property
    def to_header(self) -> str:
        return str(self.parsed.get("To", ""))

    @property
    def body_text(self) -> str:
        part = self.parsed.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        try:
            return str(part.get_content())
        except (LookupError, ValueError):  # unknown charset or broken encoding
            payload = part.get_payload(decode=True)
            return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""

    @property
    def attachments(self) -> tuple[str, ...]:
        """File names of the attachments."""
        return tuple(part.get_filename() or "unnamed" for part in self.parsed.iter_attachments())


class _MessageFolder:
    """Messages on disk: <id>.eml (the raw bytes) plus <id>.json (envelope and time)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def add(self, envelope_from: str, recipients: tuple[str, ...], raw: bytes) -> SandboxMessage:
        received = time.time()
        # Time first, so names sort in arrival order; random suffix so names never collide.
        message_id = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
        message = SandboxMessage(message_id, received, envelope_from, recipients, raw)
        self.folder.mkdir(parents=True, exist_ok=True)
        _atomic_write_bytes(self.folder / f"{message_id}.eml", raw)
        # The metadata goes last: a message is listed only once both files are complete.
        meta = {"id": message_id, "received": received, "from": envelope_from}
        meta["recipients"] = list(recipients)
        atomic_write_json(self.folder / f"{message_id}.json", meta)
        return message

    def load(self) -> list[SandboxMessage]:
        if not self.folder.is_dir():
            return []
        found: list[SandboxMessage] = []
        for meta_path in self.folder.glob("*.json"):
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                raw = meta_path.with_suffix(".eml").read_bytes()
                found.append(
                    SandboxMessage(
                        id=str(meta["id"]),
                        received=float(meta["received"]),
                        envelope_from=str(meta["from"]),
                        recipients=tuple(str(r) for r in meta["recipients"]),
                        raw=raw,
                    )
                )
            except (OSError, ValueError, KeyError, TypeError) as error:
                log.warning("skipping unreadable sandbox message %s: %s", meta_path.name, error)
        found.sort(key=lambda m: (m.received, m.id), reverse=True)
        return found

    def delete(self, message_id: str) -> None:
        for suffix in (".json", ".eml"):  # metadata first: never list a message without body
            with contextlib.suppress(FileNotFoundError):
                (self.folder / f"{message_id}{suffix}").unlink()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


class _SandboxSMTP(SMTP):
    """One client connection. Holds the failure claimed for the current mail transaction."""

    def __init__(self, sandbox: Sandbox, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.sandbox = sandbox
        self.failure: SandboxFailure | None = None  # claimed for the current transaction
        self.auth_failure: SandboxFailure | None = None  # claimed for this connection's AUTH
        self.refused_one = False

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        envelope = self.envelope
        if (
            self.failure is SandboxFailure.DISCONNECT_DURING_DATA
            and envelope is not None
            and envelope.rcpt_tos
            and not arg
        ):
            self.failure = None
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            # Let the first line of the message arrive, then hang up in the middle of it.
            with contextlib.suppress(TimeoutError, asyncio.IncompleteReadError, ValueError):
                await asyncio.wait_for(self._reader.readuntil(b"\r\n"), timeout=2.0)
            if isinstance(self.transport, asyncio.Transport):
                self.transport.abort()
            # Stop the command loop now, or it would read the rest of the message as commands
            # before connection_lost() arrives.
            self.transport = None
            return
        await super().smtp_DATA(arg)


class _Handler:
    """aiosmtpd hooks: envelope and data decisions, including the simulated failures."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_MAIL(
        self,
        server: _SandboxSMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        server.refused_one = False
        server.failure = self.sandbox._take(stage="envelope")
        if server.failure is SandboxFailure.NO_ANSWER:
            server.failure = None
            # Never answer. The client times out; closing the connection or stop() cancels this.
            await asyncio.Event().wait()
        if server.failure is SandboxFailure.SENDER_REFUSED:
            server.failure = None
            return sender_refused_reply(address)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self,
        server: _SandboxSMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refuse = server.failure is SandboxFailure.ALL_RECIPIENTS_REFUSED or (
            server.failure is SandboxFailure.ONE_RECIPIENT_REFUSED and not server.refused_one
        )
        if refuse:
            server.refused_one = True
            return recipient_refused_reply(address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_RSET(self, server: _SandboxSMTP, session: Session, envelope: Envelope) -> str:
        server.failure = None
        return "250 2.0.0 Ok"

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, TLSSetupException):  # e.g. the client refused our certificate
            log.info("sandbox: TLS handshake failed: %s", error.__cause__)
            return "421 4.7.0 TLS handshake failed"
        log.error("sandbox: session error", exc_info=error)
        return "451 4.3.0 Internal error in the sandbox"

    async def handle_DATA(self, server: _SandboxSMTP, session: Session, envelope: Envelope) -> str:
        failure, server.failure = server.failure, None
        if failure is SandboxFailure.MESSAGE_TOO_BIG:
            return SIZE_REPLY
        raw = envelope.original_content or b""
        message = self.sandbox._deliver(
            str(envelope.mail_from), tuple(str(r) for r in envelope.rcpt_tos), raw
        )
        return f"250 2.0.0 Ok: queued as {message.id}"


class _Controller(Controller):
    """aiosmtpd's threaded controller, plus: port 0, a TLS context per connection, quick stop."""

    def __init__(self, sandbox: Sandbox, host: str, port: int) -> None:
        self.sandbox = sandbox
        self.connections: weakref.WeakSet[_SandboxSMTP] = weakref.WeakSet()
        super().__init__(_Handler(sandbox), hostname=host, port=port, ready_timeout=5.0)

    def factory(self) -> _SandboxSMTP:
        connection = _SandboxSMTP(
            self.sandbox,
            self.handler,
            # A name of its own, so transcripts read as the demo server's, not a real provider's.
            hostname="mailgui-demo.localhost",
            ident="mailgui demo server ESMTP",
            tls_context=self.sandbox._tls_context_for_next_connection(),
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=self.sandbox._authenticate,
            data_size_limit=SIZE_LIMIT,
            enable_SMTPUTF8=True,
            timeout=IDLE_TIMEOUT,
            loop=self.loop,
        )
        self.connections.add(connection)
        return connection

    def _trigger_server(self) -> None:
        # The stock controller connects to the port it was given; with port 0 learn the real one.
        server = self.server
        if self.port == 0 and isinstance(server, asyncio.Server) and server.sockets:
            self.port = int(server.sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]

    def _shutdown(self) -> None:
        # Runs in the loop thread. Drop every client first: a hung NO_ANSWER session or an open
        # connection must not keep the loop (or server.wait_closed()) waiting.
        for connection in list(self.connections):
            original = getattr(connection, "_original_transport", None)
            for transport in (connection.transport, original):
                if isinstance(transport, asyncio.Transport):
                    transport.abort()
        self.cancel_tasks()

    def stop(self, no_assert: bool = False) -> None:
        thread = self._thread
        if thread is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            self.loop.call_soon_threadsafe(self._shutdown)
        thread.join(timeout=STOP_TIMEOUT)
        if thread.is_alive():
            log.warning("sandbox server thread did not stop within %.1f s", STOP_TIMEOUT)
        self._thread = None
        self._cleanup()  # type: ignore[no-untyped-call]


class Sandbox:
    """A local SMTP server with an error simulator; see the module docstring."""

    ACCOUNT_ID = "sandbox"
    USERNAME = "sandbox"
    # A public demo credential for a loopback-only server, not a secret. Transcripts redact the
    # password wherever it appears, so it must not be a word the server or the user also says.
    PASSWORD = "mailgui-demo-password"
    EMAIL = "you@mailgui.example"  # .example is reserved (RFC 2606): clearly fake, valid syntax

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.on_message: Callable[[SandboxMessage], None] | None = None
        self._folder = _MessageFolder(self.data_dir / "messages")
        self._lock = threading.Lock()
        self._pending: SandboxFailure | None = None
        self._controller: _Controller | None = None
        self._accepting = False  # ignore simulations for the controller's own start-up probe
        self._trusted_tls = self._server_context("server")
        self._untrusted_tls = self._server_context("untrusted")

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start listening; `port` then holds the real port. Starting twice is harmless."""
        if self._controller is not None:
            return
        # "localhost" may resolve to two addresses (and port 0 would then give two ports); the
        # certificate names both, so listen on the IPv4 loopback and keep the name for clients.
        bind = "127.0.0.1" if self.host == "localhost" else self.host
        controller = _Controller(self, bind, self.port)
        controller.start()
        self._controller = controller
        self.port = controller.port
        self._accepting = True
        log.info("sandbox SMTP server listening on %s:%d", self.host, self.port)

    def stop(self) -> None:
        """Stop the server within a couple of seconds at most, whatever clients are doing."""
        controller, self._controller = self._controller, None
        self._accepting = False
        if controller is not None:
            controller.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- account and messages ----------------------------------------------------------------

    def account(self) -> Account:
        """The sandbox account. The port is only meaningful once the server was started."""
        return Account(
            id=self.ACCOUNT_ID,
            name="Sandbox",
            email=self.EMAIL,
            smtp=ServerSettings(
                host=self.host,
                port=self.port,
                security=Security.STARTTLS,
                username=self.USERNAME,
                ca_file=str(certificate_path("ca.pem")),
            ),
        )

    def messages(self) -> list[SandboxMessage]:
        """Every message received so far (also before a restart), newest first."""
        return self._folder.load()

    def delete(self, message_id: str) -> None:
        self._folder.delete(message_id)

    # -- failure simulation ------------------------------------------------------------------

    def simulate(self, failure: SandboxFailure | None) -> None:
        """Make the NEXT send fail this way (None: no failure). Used once, then reset."""
        with self._lock:
            self._pending = SandboxFailure(failure) if failure is not None else None

    @property
    def pending_failure(self) -> SandboxFailure | None:
        with self._lock:
            return self._pending

    def _take(self, stage: str) -> SandboxFailure | None:
        """Consume the pending failure if it belongs to this stage of the dialogue."""
        with self._lock:
            failure = self._pending
            if failure is None or failure.stage != stage or not self._accepting:
                return None
            self._pending = None
            return failure

    # -- server callbacks (run in the server thread) ---------------------------------------

    def _tls_context_for_next_connection(self) -> ssl.SSLContext:
        if self._take(stage="connect") is SandboxFailure.UNTRUSTED_CERTIFICATE:
            return self._untrusted_tls
        return self._trusted_tls

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        # smtplib retries with the next mechanism after a 535, so the failure holds for every
        # AUTH attempt of this connection, not just the first.
        assert isinstance(server, _SandboxSMTP)
        if server.auth_failure is None:
            server.auth_failure = self._take(stage="auth")
        failure = server.auth_failure
        if failure is SandboxFailure.APP_PASSWORD_REQUIRED:
            return AuthResult(success=False, handled=False, message=APP_PASSWORD_REPLY)
        if failure is SandboxFailure.WRONG_PASSWORD or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False, message=WRONG_PASSWORD_REPLY)
        ok = hmac.compare_digest(auth_data.login, self.USERNAME.encode()) and hmac.compare_digest(
            auth_data.password, self.PASSWORD.encode()
        )
        if not ok:
            return AuthResult(success=False, handled=False, message=WRONG_PASSWORD_REPLY)
        return AuthResult(success=True, auth_data=auth_data)

    def _deliver(
        self, envelope_from: str, recipients: tuple[str, ...], raw: bytes
    ) -> SandboxMessage:
        message = self._folder.add(envelope_from, recipients, raw)
        callback = self.on_message
        if callback is not None:
            try:
                callback(message)
            except Exception:  # a broken listener must not turn a delivered mail into a 451
                log.exception("sandbox on_message callback failed")
        return message

    @staticmethod
    def _server_context(name: str) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(certificate_path(f"{name}.pem"), certificate_path(f"{name}.key"))
        return context
