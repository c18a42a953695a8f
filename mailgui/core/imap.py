"""The IMAP ladder: connect, TLS, CAPABILITY, LOGIN, LIST and the INBOX count, stage by stage.

Built on imaplib with the socket made here, so every operation has a timeout, TLS is verified
with the same context as SMTP (CA file or pinned fingerprint), the connection can be cancelled
from another thread, and the protocol log goes through the redacting `Transcript`.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mailgui.core.accounts import (
    DEFAULT_IMAP_PORTS,
    Account,
    AuthMethod,
    Security,
    ServerSettings,
)
from mailgui.core.cancel import CancelToken
from mailgui.core.diagnosis import Action, Category, Diagnosis, DiagnosisContext, explain
from mailgui.core.errors import Cancelled, InsecureAuthRefused
from mailgui.core.net import open_connection, resolve
from mailgui.core.smtp_tls import TlsInfo, check_pin, make_tls_context, tls_info, verified_by
from mailgui.core.stages import StageName, StageResult, StageStatus
from mailgui.core.transcript import Transcript, scrub_exception

StageCallback = Callable[[str, StageResult | None], None]  # (name, None) = started


class ImapProtocolError(Exception):
    """The server answered something other than OK to a command of the ladder."""

    def __init__(self, command: str, reply: str) -> None:
        super().__init__(f"{command}: {reply}")
        self.command = command
        self.reply = reply


class _Client(imaplib.IMAP4):
    """imaplib over a socket we opened, with every line copied to the transcript."""

    def __init__(self, sock: socket.socket, host: str, port: int, transcript: Transcript) -> None:
        self._given_sock = sock
        self._transcript = transcript
        super().__init__(host, port, timeout=sock.gettimeout())

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return self._given_sock

    def send(self, data: Any) -> None:
        text = bytes(data).decode("utf-8", "replace").rstrip("\r\n")
        if text:
            self._transcript.client(text)
        super().send(data)

    def _get_line(self) -> bytes:
        line: bytes = super()._get_line()  # type: ignore[misc]
        self._transcript.server(line.decode("utf-8", "replace"))
        return line


@dataclass
class ImapResult:
    ok: bool
    stages: list[StageResult]
    transcript: Transcript
    capabilities: tuple[str, ...] = ()
    tls: TlsInfo | None = None
    mailboxes: list[str] = field(default_factory=list)
    inbox_messages: int | None = None
    address: str | None = None
    error: BaseException | None = None
    failed_stage: str | None = None
    diagnosis: Diagnosis | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "stages": [s.to_json() for s in self.stages],
            "capabilities": list(self.capabilities),
            "tls": self.tls.to_json() if self.tls else None,
            "mailboxes": self.mailboxes,
            "inbox_messages": self.inbox_messages,
            "address": self.address,
            "failed_stage": self.failed_stage,
            "diagnosis": self.diagnosis.to_json() if self.diagnosis else None,
            "transcript": self.transcript.to_json(),
        }


class _Ladder:
    def __init__(
        self,
        settings: ServerSettings,
        cancel: CancelToken,
        transcript: Transcript,
        on_stage: StageCallback | None,
    ) -> None:
        self.settings = settings
        self.cancel = cancel
        self.transcript = transcript
        self.on_stage = on_stage
        self.stages: list[StageResult] = []
        self.current: str | None = None
        self._started = 0.0

    def begin(self, name: str) -> None:
        self.cancel.raise_if_cancelled(name)
        self.current = name
        self._started = time.monotonic()
        if self.on_stage:
            self.on_stage(name, None)

    def end(self, detail: str, status: StageStatus = StageStatus.PASSED) -> None:
        assert self.current is not None
        result = StageResult(
            self.current, status, (time.monotonic() - self._started) * 1000, detail
        )
        self.stages.append(result)
        self.current = None
        if self.on_stage:
            self.on_stage(result.name, result)

    def skip(self, name: str, detail: str) -> None:
        result = StageResult(name, StageStatus.SKIPPED, 0.0, detail)
        self.stages.append(result)
        if self.on_stage:
            self.on_stage(name, result)


def check_imap(
    settings: ServerSettings,
    password: str | None,
    *,
    email: str | None = None,
    timeout: float = 30.0,
    cancel: CancelToken | None = None,
    transcript: Transcript | None = None,
    on_stage: StageCallback | None = None,
) -> ImapResult:
    """Run the IMAP ladder; never raises. The first failure carries its Diagnosis."""
    cancel = cancel or CancelToken()
    transcript = transcript or Transcript()
    if password:
        transcript.add_secret(password)
    ladder = _Ladder(settings, cancel, transcript, on_stage)
    result = ImapResult(ok=False, stages=ladder.stages, transcript=transcript)
    client: _Client | None = None
    try:
        client = _run(ladder, settings, password, timeout, result)
        result.ok = True
    except BaseException as exc:
        error: BaseException = exc
        if cancel.cancelled and not isinstance(exc, Cancelled):
            error = Cancelled(ladder.current)
        if not isinstance(error, Exception):
            raise
        # The server may quote the password back: clean the exception in place first.
        scrub_exception(error, transcript)
        failed = ladder.current or (ladder.stages[-1].name if ladder.stages else "connect")
        if ladder.current is not None:
            ladder.end(_brief(error), StageStatus.FAILED)
        result.error, result.failed_stage = error, failed
        context = DiagnosisContext.for_settings(settings, email, failed, timeout=timeout)
        result.diagnosis = imap_diagnosis(error, context)
    finally:
        cancel.detach()
        if client is not None:
            with contextlib.suppress(OSError):
                client.shutdown()
    return result


def _run(
    ladder: _Ladder,
    settings: ServerSettings,
    password: str | None,
    timeout: float,
    result: ImapResult,
) -> _Client:
    ladder.begin(StageName.DNS)
    resolved = resolve(settings.host, settings.port, timeout, ladder.cancel)
    ladder.end(", ".join(resolved.ips))

    ladder.begin(StageName.CONNECT)
    sock = open_connection(resolved, timeout, ladder.cancel)
    result.address = str(sock.getpeername()[0])
    ladder.end(f"{result.address} port {settings.port}")

    if settings.security is Security.SSL:
        ladder.begin(StageName.TLS)
        sock = _wrap(sock, settings, result)
        ladder.end(_tls_detail(result.tls))

    ladder.begin(StageName.CAPABILITY)
    client = _Client(sock, settings.host, settings.port, ladder.transcript)
    ladder.end(" ".join(client.capabilities))

    if settings.security is Security.STARTTLS:
        ladder.begin(StageName.STARTTLS)
        if "STARTTLS" not in client.capabilities:
            raise ImapProtocolError("STARTTLS", "the server does not offer STARTTLS")
        context = make_tls_context(settings)
        client.starttls(ssl_context=context)
        assert isinstance(client.sock, ssl.SSLSocket)
        check_pin(client.sock, settings)
        result.tls = tls_info(client.sock, verified_by(settings))
        ladder.end(_tls_detail(result.tls))
    result.capabilities = tuple(client.capabilities)

    if settings.auth is AuthMethod.NONE or not password:
        ladder.skip(StageName.LOGIN, "no password given")
        for name in (StageName.LIST, StageName.INBOX):
            ladder.skip(name, "needs a login")
        _logout(ladder, client)
        return client

    ladder.begin(StageName.LOGIN)
    if settings.security is Security.NONE and not settings.allow_insecure_auth:
        offered = "STARTTLS" in client.capabilities
        raise InsecureAuthRefused(settings.host, settings.port, starttls_offered=offered)
    ladder.end(_sign_in(client, settings.username, password))

    ladder.begin(StageName.LIST)
    typ, data = client.list()
    _ok("LIST", typ, data)
    result.mailboxes = [_mailbox_name(item) for item in data if isinstance(item, bytes)]
    count = len(result.mailboxes)
    ladder.end(f"{count} folder" if count == 1 else f"{count} folders")

    ladder.begin(StageName.INBOX)
    typ, status = client.status("INBOX", "(MESSAGES)")
    _ok("STATUS INBOX", typ, status)
    match = re.search(rb"MESSAGES\s+(\d+)", _first(status))
    if match is None:  # some servers answer STATUS oddly; SELECT read-only always counts
        typ, selected = client.select("INBOX", readonly=True)
        _ok("SELECT INBOX", typ, selected)
        match = re.match(rb"(\d+)", _first(selected))
    result.inbox_messages = int(match.group(1)) if match else None
    ladder.end(f"{result.inbox_messages} messages in INBOX")
    _logout(ladder, client)
    return client


def _sign_in(client: _Client, user: str, password: str) -> str:
    """LOGIN, or AUTHENTICATE PLAIN when LOGIN cannot carry the credentials: imaplib's LOGIN
    encodes ASCII only, while SASL PLAIN is UTF-8 (RFC 4616). Returns the stage detail."""
    plain = "AUTH=PLAIN" in client.capabilities
    ascii_only = user.isascii() and password.isascii()
    if plain and ("LOGINDISABLED" in client.capabilities or not ascii_only):
        # The blob goes out after the "+" continuation, which the transcript always redacts.
        blob = f"\0{user}\0{password}".encode()
        client.authenticate("PLAIN", lambda _challenge: blob)
        return f"AUTHENTICATE PLAIN as {user}"
    if not ascii_only:
        # imaplib's LOGIN would fail with an encoding error naming neither cause nor cure.
        raise ImapProtocolError(
            "LOGIN",
            "the user name or password has non-ASCII characters, which IMAP LOGIN cannot carry, "
            "and the server does not offer AUTH=PLAIN",
        )
    client.login(user, password)
    return f"LOGIN as {user}"


def _logout(ladder: _Ladder, client: _Client) -> None:
    ladder.begin(StageName.QUIT)
    client.logout()
    ladder.end("LOGOUT")


def _wrap(sock: socket.socket, settings: ServerSettings, result: ImapResult) -> ssl.SSLSocket:
    context = make_tls_context(settings)
    try:
        tls = context.wrap_socket(sock, server_hostname=settings.host)
    except BaseException:
        sock.close()
        raise
    try:
        check_pin(tls, settings)
    except BaseException:
        tls.close()
        raise
    result.tls = tls_info(tls, verified_by(settings))
    return tls


def _ok(command: str, typ: str, data: list[Any]) -> None:
    if typ != "OK":
        raise ImapProtocolError(command, _decode(data))


def _first(data: list[Any]) -> bytes:
    return data[0] if data and isinstance(data[0], bytes) else b""


def _mailbox_name(item: bytes) -> str:
    # (\HasNoChildren) "." INBOX  /  (\Flags) "/" "Folder name"
    match = re.match(rb'\([^)]*\)\s+(?:"[^"]*"|NIL)\s+(.*)$', item)
    name = match.group(1) if match else item
    return name.decode("utf-8", "replace").strip().strip('"')


def _decode(data: list[Any]) -> str:
    parts = [d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d) for d in data]
    return " ".join(parts)[:300]


def _tls_detail(tls: TlsInfo | None) -> str:
    if tls is None:
        return ""
    return f"{tls.version} {tls.cipher}, certificate for {', '.join(tls.names[:3])}"


def _brief(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, imaplib.IMAP4.error) and exc.args and isinstance(exc.args[0], bytes):
        text = exc.args[0].decode("utf-8", "replace")
    return f"{type(exc).__name__}: {text}"[:300]


# ---------------------------------------------------------------------------------------------
# Diagnosis of IMAP-specific failures. Socket, TLS and mailgui errors go to the shared explain();
# what only IMAP says (tagged NO/BAD replies, response codes) is mapped here, by the server's
# machine-readable response code (RFC 5530), never by the wording of a message.

_RESPONSE_CODE = re.compile(r"\[([A-Z-]+)")


def imap_diagnosis(error: BaseException, context: DiagnosisContext) -> Diagnosis:
    """Explain an IMAP failure with the same categories as SMTP. Never raises."""
    try:
        return _imap_diagnosis(error, context)
    except Exception:  # a diagnosis must always come back, even for the unforeseen
        return explain(error, context)


def _imap_diagnosis(error: BaseException, context: DiagnosisContext) -> Diagnosis:
    stage = context.stage
    host = context.host or "the server"
    reply = _brief(error).partition(": ")[2]
    if isinstance(error, ImapProtocolError) and error.command == "STARTTLS":
        return Diagnosis(
            Category.STARTTLS,
            "The IMAP server does not offer STARTTLS",
            f"{host} did not offer to encrypt this connection with STARTTLS.",
            (
                "Use SSL/TLS on port 993 instead.",
                "Check the server name and port with your provider.",
            ),
            stage=stage,
            actions=(Action.EDIT_ACCOUNT, Action.TEST_CONNECTION),
            field="imap.security",
            suggestion={"security": Security.SSL.value, "port": DEFAULT_IMAP_PORTS[Security.SSL]},
        )
    if (
        isinstance(error, TimeoutError)
        and stage == StageName.CAPABILITY
        and context.security is not Security.SSL
    ):
        # Connected, then silence: an implicit-TLS port waits for our TLS hello, not a command.
        return Diagnosis(
            Category.TLS_MODE,
            "The IMAP server expects SSL/TLS from the start",
            f"{host} accepted the connection but never greeted: this port most likely wants an "
            "encrypted connection at once (SSL/TLS), not STARTTLS or plain text.",
            ("Choose SSL/TLS (port 993).", "Or use port 143 with STARTTLS."),
            stage=stage,
            actions=(Action.EDIT_ACCOUNT, Action.TEST_CONNECTION),
            field="imap.security",
            suggestion={"security": Security.SSL.value, "port": DEFAULT_IMAP_PORTS[Security.SSL]},
        )
    if isinstance(error, imaplib.IMAP4.abort):
        return Diagnosis(
            Category.DISCONNECTED,
            "The IMAP server closed the connection",
            f"{host} ended the conversation unexpectedly ({reply or 'no reason given'}).",
            ("Try again in a moment.", "Check the port and security mode."),
            server_reply=reply or None,
            stage=stage,
            retryable=True,
            actions=(Action.RETRY, Action.EDIT_ACCOUNT),
        )
    if isinstance(error, imaplib.IMAP4.error | ImapProtocolError):
        codes = set(_RESPONSE_CODE.findall(reply))
        if stage == StageName.LOGIN or codes & {"AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED"}:
            if "PRIVACYREQUIRED" in codes:
                return _insecure_login(context, reply)
            return Diagnosis(
                Category.AUTH,
                "The IMAP server did not accept the user name or password",
                f"{host} refused to sign in as {context.username or 'this user'}.",
                (
                    "Check the password (many providers need an app password for mail apps).",
                    "Check the user name: usually the full email address.",
                    "Make sure IMAP access is switched on in the provider's web settings.",
                ),
                server_reply=reply or None,
                stage=stage,
                actions=(Action.ENTER_PASSWORD, Action.EDIT_ACCOUNT),
                field="imap.password",
            )
        return Diagnosis(
            Category.PROTOCOL,
            "The IMAP server gave an unexpected answer",
            f"{host} answered a command of the {stage or 'IMAP'} step with an error.",
            ("Check that this is an IMAP server and port.", "Try again later."),
            server_reply=reply or None,
            stage=stage,
            actions=(Action.EDIT_ACCOUNT, Action.RETRY),
        )
    diagnosis = explain(error, context)
    return _for_imap(diagnosis)


def _insecure_login(context: DiagnosisContext, reply: str) -> Diagnosis:
    return Diagnosis(
        Category.INSECURE,
        "The IMAP server wants an encrypted connection before the password",
        "Signing in over an unencrypted connection was refused.",
        ("Use SSL/TLS on port 993, or STARTTLS on port 143.",),
        server_reply=reply or None,
        stage=context.stage,
        actions=(Action.EDIT_ACCOUNT,),
        field="imap.security",
        suggestion={"security": Security.SSL.value, "port": DEFAULT_IMAP_PORTS[Security.SSL]},
    )


def _for_imap(diagnosis: Diagnosis) -> Diagnosis:
    """The shared decoder speaks of SMTP fields and ports; point them at the IMAP side."""
    import dataclasses

    field_name = diagnosis.field
    if field_name and field_name.startswith("smtp."):
        field_name = "imap." + field_name.removeprefix("smtp.")
    suggestion = dict(diagnosis.suggestion) if diagnosis.suggestion else None
    if suggestion and "security" in suggestion and "port" in suggestion:
        with contextlib.suppress(ValueError):
            suggestion["port"] = DEFAULT_IMAP_PORTS[Security(suggestion["security"])]
    return dataclasses.replace(diagnosis, field=field_name, suggestion=suggestion)


def imap_settings_for(account: Account) -> ServerSettings:
    """The account's IMAP settings, or a guess from its SMTP ones (imap.DOMAIN, 993, SSL)."""
    if account.imap is not None:
        return account.imap
    host = account.smtp.host
    for prefix in ("smtp.", "mail.", "smtp-mail."):
        if host.startswith(prefix):
            host = "imap." + host[len(prefix) :]
            break
    return ServerSettings(
        host=host,
        port=993,
        security=Security.SSL,
        username=account.smtp_login,
        ca_file=account.smtp.ca_file,
        allow_insecure_auth=account.smtp.allow_insecure_auth,
    )
