"""Real SMTP servers on loopback for tests: aiosmtpd + trustme, ephemeral ports, no mocks.

Fixtures (registered through ``pytest_plugins`` in tests/conftest.py):

- ``smtp_ca``: the trusted test CA (``.ca`` a trustme.CA, ``.path`` its PEM file). Pass
  ``ca_file=smtp_ca.path`` (or use ``server.settings()``, which already does).
- ``starttls_server``: STARTTLS on a plain port; AUTH PLAIN/LOGIN only after TLS and required.
- ``ssl_server``: implicit TLS (SMTPS); AUTH PLAIN/LOGIN required.
- ``plain_server``: no TLS, no AUTH (a local relay).
- ``smtp_server_factory(mode="starttls", **options)``: any other variant, stopped after the test.
- ``silent_server`` (accepts TCP, never speaks), ``closing_server`` (closes at once),
  ``garbage_server_factory(greeting=b"...", replies=[b"...", ...])``.

``SmtpServer(mode, **options)`` (also a context manager) options:

- ``users={"user": "password"}`` (default ``{USER: PASSWORD}`` for starttls/ssl, none for plain);
  ``auth=True`` on a plain server offers AUTH without TLS (for the insecure-auth tests);
  ``auth_required`` (default: True when there are users); ``mechanisms=("PLAIN", "LOGIN")``.
- ``cert="good" | "untrusted" | "expired" | "wronghost"``.
- ``fail={"COMMAND": reply}`` answers that command with ``reply`` instead of handling it.
  Commands: BANNER, EHLO, HELO, STARTTLS, AUTH, MAIL, RCPT, DATA (at the DATA command),
  DATA_END (after the message was received), RSET, QUIT, NOOP. A reply is a string (lines
  separated by "\\n" are sent as a multi-line reply), or ``DISCONNECT`` to close without a reply.
  ``"RCPT"`` may also be ``{address: reply}`` to refuse only those recipients.
- ``delay=seconds`` before every reply (banner included) or ``delay={"MAIL": 5.0, ...}``.
- ``data_rate=bytes_per_second`` reads DATA slowly; ``disconnect_in_data=n`` drops the
  connection after n bytes of message data.
- ``size_limit=n`` announced as SIZE and enforced (None: no SIZE); ``smtputf8=False``.

After a test: ``server.received`` (list of ``Received(mail_from, rcpt_tos, data)``),
``server.wait_for_messages(n)``, ``server.commands`` (command lines seen, AUTH arguments cut),
``server.settings(**overrides)`` (a ServerSettings for "localhost", its port, mode and CA),
``server.password``. Raw servers have ``.settings(security=Security.NONE, **overrides)``.

Helpers: ``USER`` / ``PASSWORD`` (the default account), ``SENDER``, ``make_message(to=...,
body=...)`` (a real BuiltMessage), ``cert_sha256(kind)`` (the fingerprint to pin),
``trusted_ca()``, ``server_context(kind)``, ``DISCONNECT``.

Example::

    def test_send(starttls_server):
        settings = starttls_server.settings()          # username USER, ca_file set
        result = send_message(settings, PASSWORD, make_message(), timeout=5)
        assert result.ok, result.error
        assert starttls_server.wait_for_messages(1)[0].rcpt_tos == ["bob@example.com"]
"""

from __future__ import annotations

import asyncio
import atexit
import datetime
import hashlib
import re
import shutil
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session

from mailgui.core.accounts import Security, ServerSettings

if TYPE_CHECKING:
    from mailgui.core.message import BuiltMessage

HOST = "localhost"  # the name in the certificates; the servers bind 127.0.0.1
BIND = "127.0.0.1"
USER = "alice@example.test"
PASSWORD = "Tr0ub4dor&3-secret"
SENDER = "alice@example.com"
DISCONNECT = "<disconnect>"  # a `fail` reply that closes the connection instead of answering
DEFAULT_SIZE_LIMIT = 32 * 1024 * 1024

MODES = ("starttls", "ssl", "plain")
CERT_KINDS = ("good", "untrusted", "expired", "wronghost")


def make_message(
    *,
    to: tuple[str, ...] = ("bob@example.com",),
    body: str = "Hello Bob,\n.a line starting with a dot\n",
    subject: str = "engine test",
    sender: str = SENDER,
) -> BuiltMessage:
    """A real BuiltMessage (mailgui.core.message.build_message) to send in tests."""
    from mailgui.core.message import Draft, build_message

    return build_message(Draft(from_addr=sender, to=to, subject=subject, body=body))


# --- certificates -------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCA:
    """A trustme CA and the path of its PEM file (what a client passes as ca_file)."""

    __test__ = False  # not a test class for pytest
    ca: trustme.CA
    path: str


_tmpdir = Path(tempfile.mkdtemp(prefix="mailgui-smtp-tests-"))
atexit.register(shutil.rmtree, _tmpdir, ignore_errors=True)
_cert_lock = threading.Lock()
_cas: dict[str, TestCA] = {}
_server_contexts: dict[str, ssl.SSLContext] = {}
_leaf_pem: dict[str, str] = {}


def _ca(name: str) -> TestCA:
    with _cert_lock:
        if name not in _cas:
            ca = trustme.CA(organization_name=f"mailgui test CA {name}")
            path = _tmpdir / f"{name}-ca.pem"
            ca.cert_pem.write_to_path(str(path))
            _cas[name] = TestCA(ca, str(path))
        return _cas[name]


def trusted_ca() -> TestCA:
    """The CA the tests trust (the one to pass as ca_file)."""
    return _ca("trusted")


def server_context(cert: str = "good") -> ssl.SSLContext:
    """A server-side SSL context presenting the certificate kind `cert`."""
    if cert not in CERT_KINDS:
        raise ValueError(f"cert must be one of {CERT_KINDS}")
    trusted, untrusted = trusted_ca(), _ca("untrusted")
    with _cert_lock:
        if cert not in _server_contexts:
            now = datetime.datetime.now(datetime.UTC)
            if cert == "good":
                leaf = trusted.ca.issue_cert(HOST, "127.0.0.1")
            elif cert == "untrusted":
                leaf = untrusted.ca.issue_cert(HOST, "127.0.0.1")
            elif cert == "expired":
                leaf = trusted.ca.issue_cert(
                    HOST,
                    "127.0.0.1",
                    not_before=now - datetime.timedelta(days=30),
                    not_after=now - datetime.timedelta(days=1),
                )
            else:
                leaf = trusted.ca.issue_cert("otherhost.test")
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            leaf.configure_cert(ctx)
            _leaf_pem[cert] = leaf.cert_chain_pems[0].bytes().decode("ascii")
            _server_contexts[cert] = ctx
        return _server_contexts[cert]


def cert_sha256(cert: str = "good") -> str:
    """SHA-256 (hex) of the DER certificate a server with `cert` presents (for pin tests)."""
    server_context(cert)
    der = ssl.PEM_cert_to_DER_cert(_leaf_pem[cert])
    return hashlib.sha256(der).hexdigest()


# --- the aiosmtpd server ------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class _EphemeralController(Controller):  # type: ignore[misc]
    """A Controller that binds port 0 and reads the real port back before the first connect."""

    def __init__(self, owner: SmtpServer, **kwargs: Any) -> None:
        self.owner = owner
        super().__init__(_Handler(owner), hostname=BIND, port=0, **kwargs)

    def factory(self) -> SMTP:
        return _InjectingSMTP(self.owner, self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        # A bare TCP connect makes asyncio call factory(); no need to wait for the banner.
        socket.create_connection((BIND, self.port), 1.0).close()


class _QuietSession(Session):  # type: ignore[misc]
    """aiosmtpd logs a deprecation warning whenever AUTH succeeds; not our business."""

    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class _Handler:
    """aiosmtpd handler hooks (a separate object: aiosmtpd treats any `auth_*` attribute of
    the handler as an AUTH mechanism)."""

    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        self.owner._record(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        reply = self.owner.fail.get("DATA_END")
        if reply == DISCONNECT:
            server.transport.close()
            return "421 4.4.2 closing"
        return str(reply) if reply else "250 2.0.0 OK queued"


class _InjectingSMTP(SMTP):  # type: ignore[misc]
    """aiosmtpd's SMTP with failure injection, delays, slow DATA and a command log."""

    def __init__(self, owner: SmtpServer, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.owner = owner
        self._create_session = lambda: _QuietSession(self.loop)
        if owner.mode == "ssl" or (owner.mode == "plain" and owner.auth):
            # TLS is already on (ssl), or the test wants AUTH in the clear (plain).
            self._auth_require_tls = False
        self._banner_sent = False
        for name, method in list(self._smtp_methods.items()):
            self._smtp_methods[name] = self._wrap(name, method)
        if owner.data_rate is not None or owner.disconnect_in_data is not None:
            self._smtp_methods["DATA"] = self._wrap("DATA", self._custom_data)

    async def push(self, status: Any) -> None:
        if not self._banner_sent:
            self._banner_sent = True
            await asyncio.sleep(self.owner.delay_for("BANNER"))
            reply = self.owner.fail.get("BANNER")
            if reply is not None:
                await self._reply(reply)
                return
        await super().push(status)

    async def _reply(self, reply: str) -> None:
        if reply == DISCONNECT:
            assert self.transport is not None
            self.transport.close()
            return
        for line in reply.replace("\r\n", "\n").split("\n"):
            await super().push(line)

    def _wrap(self, name: str, method: Callable[[str | None], Any]) -> Callable[..., Any]:
        async def wrapped(arg: str | None) -> None:
            self.owner._log_command(name, arg)
            await asyncio.sleep(self.owner.delay_for(name))
            reply = self.owner.fail.get(name)
            if isinstance(reply, Mapping):
                address = self._rcpt_address(arg)
                reply = reply.get(address) if address else None
            if reply is not None:
                await self._reply(reply)
                return
            await method(arg)

        return wrapped

    def _rcpt_address(self, arg: str | None) -> str | None:
        match = re.search(r"<([^>]*)>", arg or "")
        return match.group(1) if match else None

    async def _custom_data(self, arg: str | None) -> None:
        """DATA that reads slowly and/or drops the connection after some bytes."""
        assert self.envelope is not None
        assert self.transport is not None
        if not self.envelope.rcpt_tos:
            await super().push("503 Error: need RCPT command")
            return
        await super().push("354 End data with <CR><LF>.<CR><LF>")
        buf = bytearray()
        while not (buf == b".\r\n" or buf.endswith(b"\r\n.\r\n")):
            chunk = await self._reader.read(65536)
            if not chunk:
                return
            buf += chunk
            cut = self.owner.disconnect_in_data
            if cut is not None and len(buf) >= cut:
                self.transport.close()
                return
            if self.owner.data_rate:
                await asyncio.sleep(len(chunk) / self.owner.data_rate)
        body = bytes(buf[:-3]) if buf != b".\r\n" else b""
        body = re.sub(rb"(?m)^\.", b"", body)
        self.owner._record(Received(self.envelope.mail_from, list(self.envelope.rcpt_tos), body))
        self.envelope = self._create_envelope()
        await self._reply(self.owner.fail.get("DATA_END") or "250 2.0.0 OK queued")


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1:ephemeral (connect to "localhost"). See module docstring."""

    def __init__(
        self,
        mode: str = "starttls",
        *,
        users: Mapping[str, str] | None = None,
        auth: bool | None = None,
        auth_required: bool | None = None,
        mechanisms: Sequence[str] = ("PLAIN", "LOGIN"),
        cert: str = "good",
        fail: Mapping[str, Any] | None = None,
        delay: float | Mapping[str, float] = 0.0,
        data_rate: float | None = None,
        disconnect_in_data: int | None = None,
        size_limit: int | None = DEFAULT_SIZE_LIMIT,
        smtputf8: bool = True,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        self.auth = (mode != "plain") if auth is None else auth
        if users is None:
            users = {USER: PASSWORD} if self.auth else {}
        self.users = dict(users)
        self.auth_required = bool(self.users) if auth_required is None else auth_required
        self.mechanisms = tuple(m.upper() for m in mechanisms)
        self.cert = cert
        self.fail: dict[str, Any] = {k.upper(): v for k, v in (fail or {}).items()}
        self.delay = delay
        self.data_rate = data_rate
        self.disconnect_in_data = disconnect_in_data
        self.size_limit = size_limit
        self.smtputf8 = smtputf8
        self.host = HOST
        self.port = 0
        self.ca_file = trusted_ca().path
        self.received: list[Received] = []
        self.commands: list[str] = []
        self._cond = threading.Condition()
        self._controller: _EphemeralController | None = None

    # -- lifecycle
    def start(self) -> SmtpServer:
        ctx = server_context(self.cert) if self.mode != "plain" else None
        kwargs: dict[str, Any] = {
            "data_size_limit": self.size_limit,
            "enable_SMTPUTF8": self.smtputf8,
            "server_hostname": "mx.example.test",
            "authenticator": self._authenticate,
            "auth_required": self.auth_required,
            "auth_require_tls": True,
            "auth_exclude_mechanism": [m for m in ("PLAIN", "LOGIN") if m not in self.mechanisms],
            "timeout": 30,
        }
        if not self.auth:
            kwargs["auth_exclude_mechanism"] = ["PLAIN", "LOGIN"]
        if self.mode == "starttls":
            kwargs.update(tls_context=ctx, require_starttls=True)
        controller = _EphemeralController(
            self, ssl_context=ctx if self.mode == "ssl" else None, **kwargs
        )
        controller.start()
        self._controller = controller
        self.port = controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers for tests
    @property
    def security(self) -> Security:
        return {"starttls": Security.STARTTLS, "ssl": Security.SSL, "plain": Security.NONE}[
            self.mode
        ]

    def settings(self, **overrides: Any) -> ServerSettings:
        """ServerSettings pointing at this server (user USER, trusted CA), with overrides."""
        settings = ServerSettings(
            host=self.host,
            port=self.port,
            security=self.security,
            username=next(iter(self.users), ""),
            ca_file=self.ca_file,
        )
        return settings.replace(**overrides)

    @property
    def password(self) -> str:
        return next(iter(self.users.values()), "")

    def wait_for_messages(self, count: int = 1, timeout: float = 5.0) -> list[Received]:
        """Block until `count` messages arrived (AssertionError after `timeout`)."""
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.received) >= count, timeout)
            assert ok, f"expected {count} messages, got {len(self.received)}"
            return list(self.received)

    def delay_for(self, command: str) -> float:
        if isinstance(self.delay, Mapping):
            return float(self.delay.get(command, 0.0))
        return float(self.delay)

    # -- called from the server thread
    def _record(self, message: Received) -> None:
        with self._cond:
            self.received.append(message)
            self._cond.notify_all()

    def _log_command(self, name: str, arg: str | None) -> None:
        # AUTH arguments carry credentials: keep only the mechanism.
        if name == "AUTH" and arg:
            arg = arg.split()[0]
        with self._cond:
            self.commands.append(f"{name} {arg}" if arg else name)

    def _authenticate(
        self, server: SMTP, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            user = data.login.decode("utf-8", "replace")
            password = data.password.decode("utf-8", "replace")
            if user in self.users and self.users[user] == password:
                return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False)


# --- raw TCP servers that do not speak SMTP properly --------------------------------------


class RawServer:
    """A TCP server on 127.0.0.1:ephemeral running `handle(reader, writer)` per connection."""

    def __init__(self) -> None:
        self.host = HOST
        self.port = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            await self.handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def start(self) -> Self:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._client, BIND, 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(5), "raw server did not start"
        return self

    def stop(self) -> None:
        if self._thread is None:
            return

        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            # Let the cancelled handlers finish, or asyncio complains at exit that a pending
            # task was destroyed (after pytest's summary line).
            if tasks:
                await asyncio.wait(tasks, timeout=2)
            self._loop.stop()

        self._loop.call_soon_threadsafe(lambda: self._loop.create_task(shutdown()))
        self._thread.join(5)
        self._thread = None
        self._loop.close()

    def settings(self, security: Security = Security.NONE, **overrides: Any) -> ServerSettings:
        settings = ServerSettings(host=self.host, port=self.port, security=security)
        return settings.replace(**overrides)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SilentServer(RawServer):
    """Accepts TCP connections and never says anything (a firewall black hole, a TLS port)."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(65536):
            pass


class ClosingServer(RawServer):
    """Accepts a TCP connection and closes it at once."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        return


class GarbageServer(RawServer):
    """Sends `greeting` on connect, then one of `replies` per line received; then closes
    (or stays silent with close=False)."""

    def __init__(
        self, greeting: bytes | str = b"", replies: Sequence[bytes | str] = (), close: bool = True
    ) -> None:
        super().__init__()
        self.greeting = _b(greeting)
        self.replies = [_b(r) for r in replies]
        self.close = close

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.greeting:
            writer.write(self.greeting)
            await writer.drain()
        for reply in self.replies:
            line = await reader.readline()
            if not line:
                return
            writer.write(reply)
            await writer.drain()
        if not self.close:
            while await reader.read(65536):
                pass


class TricklingServer(RawServer):
    """Starts a reply and never ends it: a continuation line every `interval` seconds (as
    fast as it can with 0), as the greeting (at="banner") or as the answer to EHLO (at="ehlo",
    after a normal greeting)."""

    def __init__(
        self, at: str = "banner", interval: float = 0.5, line: bytes = b"x", eol: bytes = b"\r\n"
    ) -> None:
        super().__init__()
        if at not in ("banner", "ehlo"):
            raise ValueError("at must be 'banner' or 'ehlo'")
        self.at = at
        self.interval = interval
        self.line = line
        self.eol = eol  # b"": bytes keep coming but the line never ends

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        code = b"220"
        if self.at == "ehlo":
            writer.write(b"220 trickle ESMTP\r\n")
            await writer.drain()
            if not await reader.readline():
                return
            code = b"250"
        while not writer.is_closing():
            writer.write(code + b"-" + self.line + self.eol)
            await writer.drain()
            await asyncio.sleep(self.interval)


def _b(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


# --- pytest fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_ca() -> TestCA:
    return trusted_ca()


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., SmtpServer]]:
    servers: list[SmtpServer] = []

    def make(mode: str = "starttls", **options: Any) -> SmtpServer:
        server = SmtpServer(mode, **options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def starttls_server() -> Iterator[SmtpServer]:
    with SmtpServer("starttls") as server:
        yield server


@pytest.fixture
def ssl_server() -> Iterator[SmtpServer]:
    with SmtpServer("ssl") as server:
        yield server


@pytest.fixture
def plain_server() -> Iterator[SmtpServer]:
    with SmtpServer("plain") as server:
        yield server


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    with SilentServer() as server:
        yield server


@pytest.fixture
def closing_server() -> Iterator[ClosingServer]:
    with ClosingServer() as server:
        yield server


@pytest.fixture
def garbage_server_factory() -> Iterator[Callable[..., GarbageServer]]:
    servers: list[GarbageServer] = []

    def make(greeting: bytes | str = b"", replies: Sequence[bytes | str] = (), **kw: Any) -> Any:
        server = GarbageServer(greeting, replies, **kw)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
