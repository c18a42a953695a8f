"""One SMTP session over smtplib: connect per security mode with verified TLS, EHLO, STARTTLS,
AUTH (never in the clear unless allowed), send with per-recipient results, check, transcript.

Errors are the original smtplib / ssl / socket exception objects (diagnosis is table-driven on
them), plus mailgui.core.errors types. `check()` and `send_message()` never raise.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable, Iterable
from types import TracebackType

from mailgui.core.accounts import AuthMethod, Security, ServerSettings
from mailgui.core.cancel import CancelToken
from mailgui.core.errors import Cancelled, InputError, InsecureAuthRefused, MessageTooBig
from mailgui.core.net import open_connection, resolve
from mailgui.core.smtp_results import (
    Capabilities,
    RecipientResult,
    SendableMessage,
    SessionResult,
)
from mailgui.core.smtp_tls import (
    TlsInfo,
    check_pin,
    make_tls_context,
    tls_info,
    unverified_context,
    verified_by,
)
from mailgui.core.smtp_wire import Progress, WireSMTP, serialize_parts
from mailgui.core.stages import StageName, StageResult, StageStatus
from mailgui.core.transcript import Transcript, scrub_exception

__all__ = [
    "Capabilities",
    "RecipientResult",
    "SendableMessage",
    "SessionResult",
    "SmtpSession",
    "TlsInfo",
    "check",
    "fetch_certificate",
    "make_tls_context",
    "send_message",
    "serialize_message",
]

DEFAULT_TIMEOUT = 30.0


def serialize_message(built: SendableMessage) -> bytes:
    """The message exactly as `send` puts it on the wire (before dot-stuffing)."""
    return serialize_parts(built.message, built.smtputf8).tobytes()


class _Stage:
    """Times one stage and records it on the session, passed or failed. Turns any error seen
    while the cancel token is set into `Cancelled(stage)` (the original stays its cause)."""

    def __init__(self, session: SmtpSession, name: str) -> None:
        self.session = session
        self.name = name
        self.detail = ""
        self.start = 0.0

    def __enter__(self) -> _Stage:
        self.start = time.perf_counter()
        if self.session.cancel.cancelled:
            self._record(StageStatus.FAILED, "cancelled")
            self.session.failed_stage = self.name
            raise Cancelled(self.name)
        return self

    def next(self, name: str, detail: str = "") -> None:
        """Close this stage as passed and continue timing under `name`."""
        self._record(StageStatus.PASSED, self.detail)
        self.name, self.detail, self.start = name, detail, time.perf_counter()

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self._record(StageStatus.PASSED, self.detail)
            return
        if not isinstance(exc, Exception):
            return  # KeyboardInterrupt and friends pass through untouched
        # A server may quote the password back in its reply: clean the exception itself, in
        # place, before the diagnosis, the outbox, a dialog or the CLI ever sees it.
        scrub_exception(exc, self.session.transcript)
        mapped: BaseException = exc
        cancelled = self.session.cancel.cancelled or isinstance(exc, Cancelled)
        if cancelled and not (isinstance(exc, Cancelled) and exc.stage == self.name):
            mapped = Cancelled(self.name)
        self.session.failed_stage = self.name
        self._record(StageStatus.FAILED, describe_error(mapped))
        if mapped is not exc:
            raise mapped from exc

    def _record(self, status: StageStatus, detail: str) -> None:
        ms = (time.perf_counter() - self.start) * 1000
        text = self.session.transcript.redact(detail)
        self.session.stages.append(StageResult(self.name, status, ms, text))


def describe_error(exc: BaseException) -> str:
    """A one-line, secret-free description for a stage detail."""
    if isinstance(exc, Cancelled):
        return "cancelled"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        msg = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return f"{type(exc).__name__}: {exc.smtp_code} {msg}".replace("\n", " ")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        items = [f"{a}: {c} {_text(m)}" for a, (c, m) in exc.recipients.items()]
        return "SMTPRecipientsRefused: " + "; ".join(items)
    return f"{type(exc).__name__}: {exc}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _address_literal(ip: str) -> str:
    # EHLO with the local address literal: no DNS lookup, nothing about the machine leaked.
    return f"[IPv6:{ip}]" if ":" in ip else f"[{ip}]"


class SmtpSession:
    """One SMTP session, step by step (each step records a StageResult). A context manager
    that always closes the socket."""

    def __init__(
        self,
        settings: ServerSettings,
        password: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        cancel: CancelToken | None = None,
        transcript: Transcript | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.settings = settings
        self._password = password
        self.timeout = timeout
        self.cancel = cancel or CancelToken()
        self.transcript = transcript if transcript is not None else Transcript()
        if password:
            self.transcript.add_secret(password)
        self.local_hostname = local_hostname
        self.stages: list[StageResult] = []
        self.capabilities: Capabilities | None = None
        self.tls: TlsInfo | None = None
        self.recipients: dict[str, RecipientResult] = {}
        self.failed_stage: str | None = None
        self.encrypted = False
        self._fd: int | None = None
        self._smtp = WireSMTP(self.transcript, self.cancel, timeout)

    def __repr__(self) -> str:  # never shows the password
        s = self.settings
        return f"<SmtpSession {s.host}:{s.port} {s.security.value}>"

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- steps ---------------------------------------------------------------------------
    def connect(self) -> None:
        """Resolve (stage dns), connect and read the greeting (connect); for SSL the TLS
        handshake comes before the greeting (tls)."""
        s = self.settings
        with _Stage(self, StageName.DNS) as stage:
            # getaddrinfo quietly wraps port 70000 round to 4464: refuse it before it does.
            if not 0 < s.port < 65536:
                raise InputError("smtp.port", f"Port {s.port} is not between 1 and 65535.", "")
            if not s.host.strip():
                raise InputError("smtp.host", "The server name is empty.", "")
            resolved = resolve(s.host, s.port, self.timeout, self.cancel)
            stage.detail = f"{s.host} -> {', '.join(resolved.ips)}"
        with _Stage(self, StageName.CONNECT) as stage:
            self.transcript.info(f"connecting to {s.host}:{s.port} ({s.security.label})")
            started = time.perf_counter()
            sock = open_connection(resolved, self.timeout, self.cancel)
            self._fd = sock.fileno()
            self._smtp.use_socket(sock, s.host)
            ip, port = sock.getpeername()[:2]
            self._smtp.local_hostname = self.local_hostname or _address_literal(
                sock.getsockname()[0]
            )
            ms = (time.perf_counter() - started) * 1000
            stage.detail = f"connected to {ip}:{port} in {ms:.0f} ms"
            if s.security is not Security.SSL:
                self._smtp.read_banner()
        if s.security is Security.SSL:
            with _Stage(self, StageName.TLS) as stage:
                # The greeting of an implicit-TLS server arrives inside TLS: part of this stage.
                self._handshake(lambda ctx: self._wrap(ctx))
                stage.detail = self._tls_detail()
                self._smtp.read_banner()

    def ehlo(self) -> Capabilities:
        with _Stage(self, StageName.EHLO) as stage:
            caps = self._ehlo()
            stage.detail = caps.summary()
        return caps

    def starttls(self) -> None:
        """STARTTLS (SMTPNotSupportedError when the server does not offer it), then EHLO."""
        with _Stage(self, StageName.STARTTLS) as stage:
            if self.capabilities is None:
                self._ehlo()
            self._handshake(lambda ctx: self._smtp.starttls(context=ctx))
            caps = self._ehlo()
            stage.detail = f"{self._tls_detail()}; EHLO: {caps.summary()}"

    def authenticate(self) -> None:
        """AUTH with the user name and password; InsecureAuthRefused, before any AUTH byte,
        on an unencrypted connection unless the account allows it."""
        s = self.settings
        with _Stage(self, StageName.AUTH) as stage:
            if not self.encrypted and not s.allow_insecure_auth:
                caps = self.capabilities
                offered = caps.starttls if caps is not None else None
                raise InsecureAuthRefused(s.host, s.port, starttls_offered=offered)
            if not s.username:
                raise InputError("smtp.username", "A user name is needed to sign in.", "")
            if self._password is None:
                raise InputError("smtp.password", "A password is needed to sign in.", None)
            try:
                self._smtp.login(s.username, self._password)
            finally:
                self._smtp.password = ""  # smtplib keeps it on the object otherwise
            mechanism = self._smtp.auth_mechanism or "?"
            stage.detail = f"signed in as {s.username} ({mechanism})"

    def send(
        self, built: SendableMessage, progress: Progress | None = None
    ) -> dict[str, RecipientResult]:
        """MAIL, RCPT (stage envelope), DATA (stage data). Some recipients refused: they are
        in the result as not accepted; all refused: SMTPRecipientsRefused."""
        caps = self.capabilities or Capabilities()
        with _Stage(self, StageName.ENVELOPE) as stage:
            if built.smtputf8 and not caps.smtputf8:
                raise smtplib.SMTPNotSupportedError(
                    "The message needs SMTPUTF8 (international addresses), "
                    "which the server does not offer."
                )
            # Serialized once, here; its length is the SIZE check (reading `built.size` first
            # would serialize a message.BuiltMessage a second time).
            flat = serialize_parts(built.message, built.smtputf8)
            if caps.size and len(flat) > caps.size:
                raise MessageTooBig(len(flat), caps.size)
            options: list[str] = []
            if built.smtputf8:
                options += ["SMTPUTF8", "BODY=8BITMIME"]
            elif caps.eightbitmime and not flat.isascii():
                options.append("BODY=8BITMIME")
            rcpts = list(built.recipients)
            stage.detail = f"{len(rcpts)} recipient(s) accepted"

            def envelope_done() -> None:
                refused = len(rcpts) - sum(
                    1 for r in rcpts if self._smtp.rcpt_replies.get(r, (0, b""))[0] in (250, 251)
                )
                if refused:
                    stage.detail = f"{len(rcpts) - refused} of {len(rcpts)} recipient(s) accepted"
                stage.next(StageName.DATA)

            self._smtp.before_data = envelope_done
            self._smtp.progress = progress
            try:
                # sendmail only needs len() and hands the payload on to our data().
                self._smtp.sendmail(built.envelope_from, rcpts, flat, options)  # type: ignore[arg-type]
            except smtplib.SMTPRecipientsRefused:
                self._fill_recipients(rcpts)
                raise
            finally:
                self._smtp.before_data = None
                self._smtp.progress = None
            self._fill_recipients(rcpts)
            code, reply = self._smtp.data_reply or (0, b"")
            stage.detail = f"{len(flat)} bytes sent: {code} {_text(reply)}".replace("\n", " ")
        return dict(self.recipients)

    def dry_run_envelope(self, sender: str, recipient: str) -> None:
        """MAIL FROM, RCPT TO, RSET: would the server take this envelope?"""
        with _Stage(self, StageName.ENVELOPE) as stage:
            code, resp = self._smtp.mail(sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, resp, sender)
            code, resp = self._smtp.rcpt(recipient)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: (code, resp)})
            self._smtp.rset()
            stage.detail = f"MAIL FROM and RCPT TO accepted: {code} {_text(resp)}"

    def quit(self) -> None:
        with _Stage(self, StageName.QUIT) as stage:
            code, resp = self._smtp.quit()
            stage.detail = f"{code} {_text(resp)}".replace("\n", " ")
        self.close()

    def skip(self, name: str, reason: str) -> None:
        self.stages.append(StageResult(name, StageStatus.SKIPPED, 0.0, reason))

    def close(self) -> None:
        """Close the connection; safe to call any number of times."""
        if self._fd is not None:
            self.cancel.detach(self._fd)
            self._fd = None
        self._smtp.close()

    def result(self, error: BaseException | None) -> SessionResult:
        return SessionResult(
            ok=error is None,
            stages=list(self.stages),
            capabilities=self.capabilities,
            tls=self.tls,
            recipients=dict(self.recipients),
            transcript=self.transcript,
            error=error,
            failed_stage=self.failed_stage if error is not None else None,
        )

    # -- internals -----------------------------------------------------------------------
    def _ehlo(self) -> Capabilities:
        code, resp = self._smtp.ehlo()
        if code != 250:
            raise smtplib.SMTPHeloError(code, resp)
        self.capabilities = Capabilities.parse(self._smtp.esmtp_features)
        return self.capabilities

    def _wrap(self, ctx: ssl.SSLContext) -> None:
        sock = self._smtp.sock
        assert sock is not None
        self._smtp.use_socket(
            ctx.wrap_socket(sock, server_hostname=self.settings.host), self.settings.host
        )

    def _handshake(self, do: Callable[[ssl.SSLContext], object]) -> None:
        ctx = make_tls_context(self.settings)
        try:
            do(ctx)
        except BaseException:
            # A failed handshake closes the descriptor: forget it before it can be reused.
            self.close()
            raise
        sock = self._smtp.sock
        if not isinstance(sock, ssl.SSLSocket):
            raise ssl.SSLError("TLS handshake did not produce a TLS socket")
        # Describe first (so a pin mismatch still shows the certificate), then check the pin
        # before a single byte more goes out.
        self.tls = tls_info(sock, "none" if self.settings.pinned_sha256 else "ca")
        check_pin(sock, self.settings)
        self.tls = tls_info(sock, verified_by(self.settings))
        self.encrypted = True
        self.transcript.info(f"TLS: {self._tls_detail()}")

    def _tls_detail(self) -> str:
        info = self.tls
        if info is None:
            return ""
        how = "pinned certificate" if info.verified_by == "pin" else "certificate verified"
        return f"{info.summary()}, {how} ({info.subject or info.sha256[:16]})"

    def _fill_recipients(self, rcpts: Iterable[str]) -> None:
        for address in rcpts:
            code, msg = self._smtp.rcpt_replies.get(address, (None, b""))
            accepted = code in (250, 251)
            message = self.transcript.redact(_text(msg or b""))
            self.recipients[address] = RecipientResult(address, accepted, code, message)

    def add_certificate_details(self, error: BaseException) -> None:
        """After a failed verification, fetch the certificate unverified to show it."""
        if not isinstance(error, ssl.SSLCertVerificationError) or self.tls is not None:
            return
        s = self.settings
        try:
            self.tls = fetch_certificate(s.host, s.port, s.security, min(self.timeout, 10.0))
        except Exception:  # only extra detail for the report; the error stays the verification one
            self.tls = None


def _auth_wanted(settings: ServerSettings, password: str | None) -> str | None:
    """None when AUTH should run, else the reason to skip it."""
    if settings.auth is not AuthMethod.PASSWORD:
        return "the account signs in without a password"
    if password is None:
        return "no password given"
    return None


def check(
    settings: ServerSettings,
    password: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    cancel: CancelToken | None = None,
    dry_run_from: str | None = None,
    transcript: Transcript | None = None,
) -> SessionResult:
    """Connection test: connect, TLS, EHLO, STARTTLS, AUTH, optional envelope dry run, QUIT.
    Never raises: a failure is in `.error` (the original exception) and `.failed_stage`."""
    session = SmtpSession(settings, password, timeout=timeout, cancel=cancel, transcript=transcript)
    error: BaseException | None = None
    try:
        with session:
            _open(session)
            if dry_run_from:
                session.dry_run_envelope(dry_run_from, dry_run_from)
            else:
                session.skip(StageName.ENVELOPE, "no sender address given for a dry run")
            _quit_quietly(session)
    except Exception as exc:
        error = scrub_exception(exc, session.transcript)
        session.add_certificate_details(exc)
    return session.result(error)


def send_message(
    settings: ServerSettings,
    password: str | None,
    built: SendableMessage,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
    transcript: Transcript | None = None,
) -> SessionResult:
    """Send one message. Never raises; see SessionResult (ok, partial, recipients, error)."""
    session = SmtpSession(settings, password, timeout=timeout, cancel=cancel, transcript=transcript)
    error: BaseException | None = None
    try:
        with session:
            _open(session)
            session.send(built, progress)
            _quit_quietly(session)
    except Exception as exc:
        error = scrub_exception(exc, session.transcript)
        session.add_certificate_details(exc)
    return session.result(error)


def _open(session: SmtpSession) -> None:
    settings = session.settings
    session.connect()
    session.ehlo()
    if settings.security is Security.STARTTLS:
        session.starttls()
    elif settings.security is Security.NONE:
        session.skip(StageName.STARTTLS, "security is none: the connection is not encrypted")
    reason = _auth_wanted(settings, session._password)
    if reason is None:
        session.authenticate()
    else:
        session.skip(StageName.AUTH, reason)


def _quit_quietly(session: SmtpSession) -> None:
    # The work is done (a message accepted is sent, whatever QUIT says): a failing QUIT is
    # recorded as its stage but never turns the result into a failure.
    try:
        session.quit()
    except Exception:
        session.failed_stage = None
    finally:
        session.close()


def fetch_certificate(
    host: str, port: int, security: Security, timeout: float = DEFAULT_TIMEOUT
) -> TlsInfo:
    """Connect WITHOUT verification only to show the user the certificate (subject, names,
    dates, fingerprint) so they can decide to pin it. Never use this connection for mail."""
    if security is Security.NONE:
        raise ValueError("security 'none' has no certificate to fetch")
    smtp = WireSMTP(Transcript(), CancelToken(), timeout)
    sock = open_connection(resolve(host, port, timeout), timeout)
    try:
        smtp.use_socket(sock, host)
        ctx = unverified_context()
        if security is Security.SSL:
            smtp.use_socket(ctx.wrap_socket(sock, server_hostname=host), host)
        else:
            smtp.read_banner()
            smtp.ehlo()
            smtp.starttls(context=ctx)
        tls_sock = smtp.sock
        if not isinstance(tls_sock, ssl.SSLSocket):
            raise ssl.SSLError("no TLS socket")
        return tls_info(tls_sock, "none")
    finally:
        smtp.close()
        sock.close()
