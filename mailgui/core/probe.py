"""The staged SMTP connection test ("the ladder"), one event per stage, cancellable.

DNS (the host's addresses, with the MX of the address's domain as context), TCP, TLS, EHLO,
STARTTLS, AUTH, an envelope dry run (MAIL FROM and RCPT TO the account's own address, then
RSET: nothing is sent and no stranger's address is used), optionally a test message to oneself,
QUIT. Built on `SmtpSession`'s steps; this module adds the events, the MX context, the
certificate shown on a TLS failure, and the diagnosis of the first failure.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mailgui.core.accounts import Account, AuthMethod, Security, ServerSettings
from mailgui.core.cancel import CancelToken
from mailgui.core.diagnosis import Category, Diagnosis, DiagnosisContext, explain
from mailgui.core.errors import Cancelled, CertificatePinMismatch
from mailgui.core.smtp import Capabilities, SmtpSession, TlsInfo
from mailgui.core.stages import StageName, StageResult, StageStatus
from mailgui.core.transcript import Transcript, scrub_exception

# The order a ladder shows before it runs (the UI draws these rows up front).
SMTP_STAGES: tuple[str, ...] = (
    StageName.DNS,
    StageName.CONNECT,
    StageName.TLS,
    StageName.EHLO,
    StageName.STARTTLS,
    StageName.AUTH,
    StageName.ENVELOPE,
    StageName.DATA,
    StageName.QUIT,
)
# Failures that mean "wrong port or security mode" rather than "wrong password": worth a search.
DISCOVERY_CATEGORIES = frozenset(
    {
        Category.CONNECT,
        Category.TIMEOUT,
        Category.TLS_MODE,
        Category.STARTTLS,
        Category.AUTH_UNAVAILABLE,
        Category.DISCONNECTED,
        Category.INSECURE,
    }
)
MX_TIMEOUT = 2.0


@dataclass(frozen=True)
class StageEvent:
    """A stage started (`result` None) or ended (passed / failed / skipped)."""

    name: str
    result: StageResult | None = None

    @property
    def started(self) -> bool:
        return self.result is None


EventCallback = Callable[[StageEvent], None]


@dataclass
class ProbeResult:
    ok: bool
    settings: ServerSettings
    email: str | None
    stages: list[StageResult]
    transcript: Transcript
    capabilities: Capabilities | None = None
    tls: TlsInfo | None = None  # the verified connection's TLS
    certificate: TlsInfo | None = None  # what an untrusted server showed (to pin or not)
    mx: list[str] = field(default_factory=list)
    error: BaseException | None = field(default=None, repr=False)
    failed_stage: str | None = None
    diagnosis: Diagnosis | None = None
    suggested_host: str | None = None  # a name the certificate is valid for
    test_message_sent: bool = False

    @property
    def cancelled(self) -> bool:
        return isinstance(self.error, Cancelled)

    @property
    def worth_discovery(self) -> bool:
        """Failed for port or security reasons: "Find working settings" may fix it."""
        return self.diagnosis is not None and self.diagnosis.category in DISCOVERY_CATEGORIES

    @property
    def certificate_untrusted(self) -> bool:
        return self.certificate is not None and isinstance(
            self.error, ssl.SSLCertVerificationError | CertificatePinMismatch
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "host": self.settings.host,
            "port": self.settings.port,
            "security": self.settings.security.value,
            "stages": [s.to_json() for s in self.stages],
            "failed_stage": self.failed_stage,
            "diagnosis": self.diagnosis.to_json() if self.diagnosis else None,
            "capabilities": self.capabilities.to_json() if self.capabilities else None,
            "tls": self.tls.to_json() if self.tls else None,
            "certificate": self.certificate.to_json() if self.certificate else None,
            "suggested_host": self.suggested_host,
            "mx": list(self.mx),
            "test_message_sent": self.test_message_sent,
            "transcript": self.transcript.to_json(),
        }


def run_ladder(
    settings: ServerSettings,
    password: str | None = None,
    *,
    email: str | None = None,
    timeout: float = 15.0,
    cancel: CancelToken | None = None,
    on_event: EventCallback | None = None,
    transcript: Transcript | None = None,
    dry_run: bool = True,
    send_test: bool = False,
    mx_timeout: float = MX_TIMEOUT,
) -> ProbeResult:
    """Run every stage in order and stop at the first failure. Never raises."""
    ladder = _Ladder(settings, password, email, timeout, cancel, on_event, transcript)
    return ladder.run(dry_run=dry_run, send_test=send_test, mx_timeout=mx_timeout)


def run_account(account: Account, password: str | None, **options: Any) -> ProbeResult:
    """The ladder for an account's SMTP settings, with its address for MX and the dry run."""
    return run_ladder(account.smtp, password, email=account.email or None, **options)


def trust_certificate(settings: ServerSettings, certificate: TlsInfo) -> ServerSettings:
    """Settings that accept exactly this certificate (for this host and port) from now on."""
    return settings.replace(pinned_sha256=certificate.sha256)


def host_from_certificate(host: str, names: tuple[str, ...] | list[str]) -> str | None:
    """A host name the certificate is valid for, to offer instead of `host`."""
    dns_names = [n for n in names if n and not _is_ip(n)]
    exact = [n for n in dns_names if not n.startswith("*.")]
    if exact:
        return exact[0].lower()
    for name in dns_names:  # *.example.com: keep the first label of what the user typed
        label = host.split(".", 1)[0] or "mail"
        return f"{label}.{name[2:]}".lower()
    return None


def _is_ip(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def lookup_mx(domain: str, timeout: float) -> list[str]:
    """MX hosts of `domain`, best first; [] when there are none or DNS does not answer."""
    import dns.exception
    import dns.resolver

    resolver = dns.resolver.Resolver()
    resolver.lifetime = timeout
    resolver.timeout = timeout
    try:
        answer = resolver.resolve(domain, "MX")
    except (dns.exception.DNSException, OSError, ValueError):
        return []
    records = sorted(answer, key=lambda r: (int(r.preference), str(r.exchange)))
    return [str(r.exchange).rstrip(".") for r in records if str(r.exchange) not in ("", ".")]


class _Ladder:
    def __init__(
        self,
        settings: ServerSettings,
        password: str | None,
        email: str | None,
        timeout: float,
        cancel: CancelToken | None,
        on_event: EventCallback | None,
        transcript: Transcript | None,
    ) -> None:
        self.settings = settings
        self.password = password
        self.email = email
        self.timeout = timeout
        self.cancel = cancel or CancelToken()
        self.on_event = on_event
        self.transcript = transcript if transcript is not None else Transcript()
        self.session = SmtpSession(
            settings, password, timeout=timeout, cancel=self.cancel, transcript=self.transcript
        )
        self.stages: list[StageResult] = []
        self._seen = 0
        self._mx: list[str] = []
        self._mx_done = threading.Event()
        self._mx_deadline = 0.0

    def run(self, *, dry_run: bool, send_test: bool, mx_timeout: float) -> ProbeResult:
        result = ProbeResult(False, self.settings, self.email, self.stages, self.transcript)
        self._start_mx(mx_timeout)
        session = self.session
        try:
            with session:
                self._step(StageName.DNS, session.connect)
                self._step(StageName.EHLO, session.ehlo)
                if self.settings.security is Security.STARTTLS:
                    self._step(StageName.STARTTLS, session.starttls)
                else:
                    reason = (
                        "already encrypted (SSL/TLS)"
                        if self.settings.security is Security.SSL
                        else "security is none: the connection is not encrypted"
                    )
                    self._skip(StageName.STARTTLS, reason)
                self._auth()
                self._envelope(dry_run, send_test, result)
                self._step(StageName.QUIT, session.quit)
            result.ok = True
        except Exception as exc:
            self._flush()
            result.error = scrub_exception(exc, self.transcript)
            result.failed_stage = session.failed_stage or (
                self.stages[-1].name if self.stages else StageName.DNS
            )
            self._explain(result)
        result.capabilities = session.capabilities
        if result.ok or result.certificate is None:
            result.tls = session.tls if session.tls and session.tls.verified_by != "none" else None
        self._mx_done.wait(max(0.0, mx_timeout))
        result.mx = list(self._mx)
        return result

    # -- stages
    def _auth(self) -> None:
        if self.settings.auth is not AuthMethod.PASSWORD:
            self._skip(StageName.AUTH, "the account signs in without a password")
        elif not self.password:
            self._skip(StageName.AUTH, "no password given")
        else:
            self._step(StageName.AUTH, self.session.authenticate)

    def _envelope(self, dry_run: bool, send_test: bool, result: ProbeResult) -> None:
        if not self.email:
            self._skip(StageName.ENVELOPE, "no address to try MAIL FROM / RCPT TO with")
            self._skip(StageName.DATA, "nothing is sent in a connection test")
            return
        if send_test:
            from mailgui.core.message import Draft, build_message

            built = build_message(
                Draft(
                    from_addr=self.email,
                    to=(self.email,),
                    subject="mailgui test message",
                    body="This test message was sent by mailgui's connection test to its own "
                    "sender address. Sending works.\n",
                )
            )
            self._step(StageName.ENVELOPE, lambda: self.session.send(built))
            result.test_message_sent = True
            return
        if dry_run:
            # Only the account's own address: no stranger is ever named in a test.
            self._step(
                StageName.ENVELOPE,
                lambda: self.session.dry_run_envelope(self.email or "", self.email or ""),
            )
        else:
            self._skip(StageName.ENVELOPE, "envelope dry run not requested")
        self._skip(StageName.DATA, "nothing is sent in a connection test")

    # -- events
    def _step(self, first: str, call: Callable[[], object]) -> None:
        self._emit(StageEvent(first))
        try:
            call()
        finally:
            self._flush()

    def _skip(self, name: str, reason: str) -> None:
        self.session.skip(name, reason)
        self._flush()

    def _flush(self) -> None:
        """Emit the stages the session recorded since the last flush."""
        for stage in self.session.stages[self._seen :]:
            if stage.name == StageName.DNS:
                stage = self._with_mx(stage)
            elif stage.name in (StageName.TLS, StageName.STARTTLS):
                stage = self._with_certificate(stage)
            self.stages.append(stage)
            self._emit(StageEvent(stage.name, stage))
        self._seen = len(self.session.stages)

    def _emit(self, event: StageEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)

    # -- MX context, looked up alongside the connection
    def _start_mx(self, mx_timeout: float) -> None:
        domain = self.email.rpartition("@")[2] if self.email and "@" in self.email else ""
        if not domain or mx_timeout <= 0:
            self._mx_done.set()
            return

        def work() -> None:
            try:
                self._mx = lookup_mx(domain, mx_timeout)
            finally:
                self._mx_done.set()

        threading.Thread(target=work, name=f"mx {domain}", daemon=True).start()
        self._mx_deadline = time.monotonic() + mx_timeout

    def _with_mx(self, stage: StageResult) -> StageResult:
        if not self.email or "@" not in self.email:
            return stage
        domain = self.email.rpartition("@")[2]
        self._mx_done.wait(max(0.0, self._mx_deadline - time.monotonic()))
        mx = ", ".join(self._mx[:3]) if self._mx else "none found"
        detail = f"{stage.detail}; MX of {domain}: {mx}".lstrip("; ")
        return StageResult(stage.name, stage.status, stage.duration_ms, detail)

    def _with_certificate(self, stage: StageResult) -> StageResult:
        """Add what the TLS row should say about the certificate: its names, issuer, expiry."""
        tls = self.session.tls
        if stage.status is not StageStatus.PASSED or tls is None:
            return stage
        names = ", ".join(tls.names[:4]) + (" …" if len(tls.names) > 4 else "")
        extra = f"valid for {names or '-'} until {tls.not_after or '?'}; issuer {tls.issuer or '?'}"
        return StageResult(stage.name, stage.status, stage.duration_ms, f"{stage.detail}; {extra}")

    # -- the first failure, explained
    def _explain(self, result: ProbeResult) -> None:
        error = result.error
        assert error is not None
        tls = self.session.tls
        if isinstance(error, ssl.SSLCertVerificationError | CertificatePinMismatch):
            if tls is None or tls.verified_by != "none":
                self.session.add_certificate_details(error)
                tls = self.session.tls
            result.certificate = tls
            other_name = isinstance(error, ssl.SSLCertVerificationError) and (
                error.verify_code == 62
                or (tls is not None and not _name_matches(self.settings.host, tls.names))
            )
            if other_name and tls is not None:
                result.suggested_host = host_from_certificate(self.settings.host, tls.names)
        context = DiagnosisContext.for_settings(
            self.settings,
            self.email,
            result.failed_stage,
            timeout=self.timeout,
            cert_names=result.certificate.names if result.certificate else (),
        )
        result.diagnosis = explain(error, context)


def _name_matches(host: str, names: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    for name in names:
        name = name.lower()
        if name == host:
            return True
        if name.startswith("*.") and host.split(".", 1)[-1] == name[2:] and "." in host:
            return True
    return False


class LiveTranscript(Transcript):
    """A Transcript that also hands each new (already redacted) line to `on_line`, so a
    window can show the conversation as it happens. Called on the session's thread."""

    def __init__(self, on_line: Callable[[str], None], secrets: tuple[str, ...] = ()) -> None:
        super().__init__(secrets)
        self._on_line = on_line

    def client(self, text: str) -> None:
        super().client(text)
        self._tell()

    def server(self, text: str) -> None:
        super().server(text)
        self._tell()

    def info(self, text: str) -> None:
        super().info(text)
        self._tell()

    def _tell(self) -> None:
        lines = self.lines
        if lines:
            self._on_line(str(lines[-1]))


def planned_stages(security: Security, *, imap: bool = False) -> list[str]:
    """The rows a ladder will show for this security mode, in order."""
    if imap:
        names = [StageName.DNS, StageName.CONNECT]
        if security is Security.SSL:
            names.append(StageName.TLS)
        names.append(StageName.CAPABILITY)
        if security is Security.STARTTLS:
            names.append(StageName.STARTTLS)
        return [*names, StageName.LOGIN, StageName.LIST, StageName.INBOX, StageName.QUIT]
    names = [StageName.DNS, StageName.CONNECT]
    if security is Security.SSL:
        names.append(StageName.TLS)
    return [
        *names,
        *(n for n in SMTP_STAGES if n not in (StageName.DNS, StageName.CONNECT, StageName.TLS)),
    ]
