"""Diagnose network, TLS and certificate failures: socket, ssl and timeout errors.

Decided by exception type, errno, the ssl `verify_code` / `reason` attributes, the stage and the
port / security settings; never by the (locale-dependent) text of Python's messages.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from types import TracebackType

from mailgui.core.accounts import DEFAULT_SMTP_PORTS, Security
from mailgui.core.diagnosis_replies import (
    DEFAULT_ACTIONS,
    port_of,
    security_of,
    ssl_port,
)
from mailgui.core.diagnosis_types import Action, Category, Diagnosis, DiagnosisContext
from mailgui.core.providers import detect_provider

A = Action

# smtplib method -> stage. The innermost one found in a traceback tells where it failed.
SMTPLIB_STAGES: dict[str, str] = {
    "connect": "connect",
    "starttls": "starttls",
    "login": "auth",
    "auth": "auth",
    "ehlo_or_helo_if_needed": "ehlo",
    "ehlo": "ehlo",
    "helo": "ehlo",
    "mail": "envelope",
    "rcpt": "envelope",
    "_rset": "envelope",
    "rset": "envelope",
    "data": "data",
    "sendmail": "envelope",
    "send_message": "envelope",
    "quit": "quit",
    "read_banner": "connect",
}
# smtplib itself, and mailgui's subclass of smtplib.SMTP (same method names).
SMTP_MODULES = ("smtplib", "mailgui.core.smtp_wire")
EARLY_STAGES = frozenset({"dns", "connect", "tls", "ehlo", "banner"})
UNREACHABLE_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "EHOSTDOWN", "EADDRNOTAVAIL")
    if hasattr(errno, name)
)
RESET_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ECONNRESET", "EPIPE", "ECONNABORTED") if hasattr(errno, name)
)


def trace(error: BaseException) -> list[tuple[str, str]]:
    """(module, function) of each traceback frame, innermost first."""
    frames: list[tuple[str, str]] = []
    tb: TracebackType | None = error.__traceback__
    while tb is not None and len(frames) < 200:
        module = tb.tb_frame.f_globals.get("__name__", "")
        frames.append((str(module), tb.tb_frame.f_code.co_name))
        tb = tb.tb_next
    frames.reverse()
    return frames


def smtplib_call(error: BaseException) -> str | None:
    """The innermost smtplib method the error came out of (e.g. "login"), if any."""
    for module, function in trace(error):
        if module in SMTP_MODULES and function in SMTPLIB_STAGES:
            return function
    return None


def raised_in(error: BaseException, module: str, *functions: str) -> bool:
    modules = SMTP_MODULES if module == "smtplib" else (module,)
    return any(m in modules and f in functions for m, f in trace(error))


def infer_stage(error: BaseException) -> str | None:
    """The stage, read from where the error was raised."""
    call = smtplib_call(error)
    if raised_in(error, "socket", "getaddrinfo"):
        return "dns"
    if raised_in(error, "ssl", "do_handshake", "wrap_socket", "_create"):
        return "starttls" if call == "starttls" else "tls"
    if raised_in(error, "socket", "create_connection"):
        return "connect"
    return SMTPLIB_STAGES.get(call) if call else None


def stage_of(error: BaseException, ctx: DiagnosisContext) -> str | None:
    given = ctx.stage if isinstance(ctx.stage, str) and ctx.stage else None
    return given or infer_stage(error)


def is_timeout(error: BaseException | None) -> bool:
    return isinstance(error, TimeoutError) or (
        isinstance(error, OSError) and error.errno == errno.ETIMEDOUT
    )


def where(ctx: DiagnosisContext) -> str:
    host = ctx.host if isinstance(ctx.host, str) and ctx.host else "the server"
    port = port_of(ctx)
    return f"{host} port {port}" if port else host


def seconds(ctx: DiagnosisContext) -> str:
    t = ctx.timeout
    if isinstance(t, int | float) and not isinstance(t, bool) and 0 < t < 1e6:
        return f" within {t:g} seconds"
    return ""


def make(
    category: Category,
    title: str,
    explanation: str,
    fixes: tuple[str, ...],
    stage: str | None,
    *,
    retryable: bool = False,
    actions: tuple[Action, ...] | None = None,
    field: str | None = None,
    suggestion: dict[str, object] | None = None,
    ctx: DiagnosisContext | None = None,
) -> Diagnosis:
    provider = None
    if ctx is not None:
        host = ctx.host if isinstance(ctx.host, str) else None
        email = ctx.email if isinstance(ctx.email, str) else None
        provider = detect_provider(host, email)
    return Diagnosis(
        category=category,
        title=title,
        explanation=explanation,
        fixes=fixes,
        provider=provider.name if provider else None,
        stage=stage,
        retryable=retryable,
        actions=DEFAULT_ACTIONS[category] if actions is None else actions,
        field=field,
        suggestion=dict(suggestion) if suggestion else None,
    )


def expects_implicit_tls(ctx: DiagnosisContext, stage: str | None) -> Diagnosis:
    """Plain or STARTTLS spoken to a port that wants SSL/TLS from the first byte."""
    port = port_of(ctx)
    return make(
        Category.TLS_MODE,
        "The server expects SSL/TLS from the start",
        f"mailgui connected to {where(ctx)} but the server never sent its greeting"
        f"{seconds(ctx)}. That is what a server that expects encryption from the first byte "
        "(SSL/TLS, usually on port 465) does when it is spoken to without it.",
        (
            f"Set Security to SSL/TLS and keep Port {ssl_port(port)}.",
            "Or set Security to STARTTLS and Port to 587, if the provider offers it.",
            "If neither helps, the server may be overloaded: try again later.",
        ),
        stage or "connect",
        field="smtp.security",
        suggestion={"security": Security.SSL.value, "port": ssl_port(port)},
        ctx=ctx,
    )


def explain_timeout(error: BaseException, ctx: DiagnosisContext, banner: bool) -> Diagnosis:
    stage = stage_of(error, ctx)
    security = security_of(ctx)
    port = port_of(ctx)
    if banner and security != Security.SSL:
        return expects_implicit_tls(ctx, stage)
    if stage in (None, "dns", "connect") and not banner:
        fixes = [
            "Check Host and Port in the account settings.",
            "Check your internet connection, firewall and VPN.",
            "Try again later: the server may be down.",
        ]
        suggestion: dict[str, object] | None = None
        if port == 25:
            fixes.insert(
                0,
                "Many internet providers block port 25: set Port to 587 with STARTTLS "
                "(or 465 with SSL/TLS).",
            )
            suggestion = {"security": Security.STARTTLS.value, "port": 587}
        return make(
            Category.TIMEOUT,
            "The server did not answer",
            f"mailgui could not open a connection to {where(ctx)}{seconds(ctx)}: nothing "
            "answered. A firewall may block the port, the host name may be wrong, or the "
            "server is down.",
            tuple(fixes),
            stage or "connect",
            retryable=True,
            field="smtp.port" if suggestion else "smtp.host",
            suggestion=suggestion,
            ctx=ctx,
        )
    if stage in ("tls", "starttls"):
        return make(
            Category.TIMEOUT,
            "Setting up encryption took too long",
            f"The connection to {where(ctx)} was open, but setting up encryption did not "
            f"finish{seconds(ctx)}.",
            (
                "Try again later.",
                "Check that Port and Security match: 465 with SSL/TLS, or 587 with STARTTLS.",
            ),
            stage,
            retryable=True,
            ctx=ctx,
        )
    sending = stage == "data"
    return make(
        Category.TIMEOUT,
        "The server stopped answering",
        f"The server at {where(ctx)} stopped answering{seconds(ctx)}"
        + (
            " while the message was being sent. It may or may not have been delivered: check "
            "before sending it again."
            if sending
            else ", partway through the conversation."
        ),
        (
            "Try again later.",
            "Check your internet connection.",
            "If it happens with large messages only, make the message smaller.",
        ),
        stage,
        retryable=True,
        ctx=ctx,
    )


def explain_closed(error: BaseException, ctx: DiagnosisContext) -> Diagnosis:
    """The server (or the network) closed the connection."""
    stage = stage_of(error, ctx)
    security = security_of(ctx)
    port = port_of(ctx)
    if port == 465 and security != Security.SSL and stage in (None, *EARLY_STAGES):
        return expects_implicit_tls(ctx, stage)
    if stage in (None, "connect", "ehlo", "tls", "banner"):
        return make(
            Category.DISCONNECTED,
            "The server closed the connection right away",
            f"{where(ctx).capitalize()} accepted the connection and then closed it before "
            "mail could be sent. Servers do that when they limit connections, block your "
            "network, or expect a different kind of encryption.",
            (
                "Wait a few minutes and try again.",
                "Check Port and Security: 465 with SSL/TLS, or 587 with STARTTLS.",
                "Try another network or turn a VPN off.",
            ),
            stage,
            retryable=True,
            ctx=ctx,
        )
    if stage == "auth":
        return make(
            Category.DISCONNECTED,
            "The server hung up during sign-in",
            "The server closed the connection while mailgui was signing in. Some servers do "
            "that after a wrong password or after too many attempts.",
            ("Check the password and enter it again.", "Wait a few minutes and try again."),
            stage,
            retryable=True,
            actions=(A.ENTER_PASSWORD, A.RETRY),
            field="smtp.password",
            ctx=ctx,
        )
    if stage == "data":
        return make(
            Category.DISCONNECTED,
            "The connection broke while sending the message",
            "The server closed the connection while the message was being sent, so it was "
            "most likely not delivered.",
            (
                "Send the message again.",
                "If it keeps happening with large attachments, make the message smaller.",
                "Check your internet connection.",
            ),
            stage,
            retryable=True,
            actions=(A.RETRY, A.EDIT_MESSAGE),
            ctx=ctx,
        )
    return make(
        Category.DISCONNECTED,
        "The server closed the connection",
        "The connection to the server ended unexpectedly partway through.",
        ("Try again.", "Check your internet connection.", "Run Test connection to see each step."),
        stage,
        retryable=True,
        ctx=ctx,
    )


def explain_dns(error: socket.gaierror | socket.herror, ctx: DiagnosisContext) -> Diagnosis:
    host = ctx.host if isinstance(ctx.host, str) else ""
    temporary = error.errno == getattr(socket, "EAI_AGAIN", -3)
    fixes: list[str] = []
    suggestion: dict[str, object] | None = None
    if any(c in host for c in "@/: ") and not _is_ip(host):
        fixes.append(
            "Host must be a server name like smtp.example.com: no @, spaces, "
            '"smtp://" or port number.'
        )
    provider = detect_provider(None, ctx.email if isinstance(ctx.email, str) else None)
    if provider and provider.smtp_host and provider.smtp_host != host:
        fixes.append(f"Set Host to {provider.smtp_host} ({provider.name}'s outgoing server).")
        suggestion = {"host": provider.smtp_host}
    if temporary:
        title = "Could not look up the server name right now"
        text = (
            f"Your computer could not ask the name service (DNS) for “{host or 'the server'}”. "
            "This is usually a temporary network problem."
        )
        fixes[:0] = ["Check your internet connection, then try again."]
    else:
        title = "The server name does not exist"
        text = (
            f"No server called “{host or '(empty)'}” could be found (a DNS lookup failed). "
            "The name is probably mistyped, or you are offline."
        )
        fixes += [
            "Check Host for typos (for example smtp.gmail.com, smtp.office365.com).",
            "Check your internet connection.",
        ]
    return make(
        Category.DNS,
        title,
        text,
        tuple(fixes),
        "dns",
        retryable=temporary,
        field="smtp.host",
        suggestion=suggestion,
        ctx=ctx,
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def explain_refused(error: BaseException, ctx: DiagnosisContext) -> Diagnosis:
    host = ctx.host if isinstance(ctx.host, str) else ""
    port = port_of(ctx)
    security = security_of(ctx)
    fixes = [
        "Check Port: outgoing mail uses 587 (STARTTLS) or 465 (SSL/TLS); 25 is for servers.",
        "Check Host is the outgoing (SMTP) server, not the incoming (IMAP) one.",
    ]
    if _is_loopback(host):
        fixes.insert(
            0,
            "The server runs on this computer: make sure it is started (for "
            "example Proton Mail Bridge).",
        )
    suggestion: dict[str, object] | None = None
    if security is not None and port is not None and port != DEFAULT_SMTP_PORTS[security]:
        suggestion = {"security": security.value, "port": DEFAULT_SMTP_PORTS[security]}
    elif port == 465:
        suggestion = {"security": Security.STARTTLS.value, "port": 587}
    elif port == 587:
        suggestion = {"security": Security.SSL.value, "port": 465}
    return make(
        Category.CONNECT,
        "Nothing accepts connections on this port",
        f"{where(ctx).capitalize()} refused the connection: the computer exists, but no mail "
        "server listens on that port.",
        tuple(fixes),
        stage_of(error, ctx) or "connect",
        field="smtp.port",
        suggestion=suggestion,
        ctx=ctx,
    )


def explain_unreachable(error: OSError, ctx: DiagnosisContext) -> Diagnosis:
    return make(
        Category.CONNECT,
        "The network cannot reach the server",
        f"Your computer has no route to {where(ctx)}: you may be offline, or a network, VPN or "
        "firewall is in the way.",
        (
            "Check your internet connection.",
            "Turn a VPN off (or on) and try again.",
            "Check Host in the account settings.",
        ),
        stage_of(error, ctx) or "connect",
        retryable=True,
        field="smtp.host",
        ctx=ctx,
    )


def explain_os_error(error: OSError, ctx: DiagnosisContext) -> Diagnosis:
    """Socket-level errors, most specific first (TLS errors go to `diagnosis_tls` first)."""
    if isinstance(error, socket.gaierror | socket.herror):
        return explain_dns(error, ctx)
    if isinstance(error, ConnectionRefusedError) or error.errno == errno.ECONNREFUSED:
        return explain_refused(error, ctx)
    if is_timeout(error):
        call = smtplib_call(error)
        banner = (
            raised_in(error, "smtplib", "getreply") and SMTPLIB_STAGES.get(call or "") == "connect"
        )
        return explain_timeout(error, ctx, banner)
    if isinstance(error, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return explain_closed(error, ctx)
    if error.errno in RESET_ERRNOS:
        return explain_closed(error, ctx)
    if error.errno in UNREACHABLE_ERRNOS:
        return explain_unreachable(error, ctx)
    stage = stage_of(error, ctx)
    if stage in (None, "dns", "connect"):
        return make(
            Category.CONNECT,
            "Could not connect to the server",
            f"Connecting to {where(ctx)} failed with a network error.",
            ("Check Host and Port.", "Check your internet connection.", "Try again later."),
            stage or "connect",
            retryable=True,
            field="smtp.host",
            ctx=ctx,
        )
    return explain_closed(error, ctx)
