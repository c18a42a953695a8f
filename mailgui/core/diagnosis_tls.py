"""Diagnose TLS failures: certificate verification (by `verify_code`) and handshake errors
(by the `reason` attribute), including SSL/TLS spoken to a STARTTLS port."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from mailgui.core.accounts import Security
from mailgui.core.diagnosis_network import make, where
from mailgui.core.diagnosis_replies import port_of, security_of, ssl_port, starttls_port
from mailgui.core.diagnosis_types import Action, Category, Diagnosis, DiagnosisContext
from mailgui.core.providers import detect_provider

A = Action
TRUST_ACTIONS = (A.TRUST_CERTIFICATE, A.EDIT_ACCOUNT, A.TEST_CONNECTION)
_CHECK_FINGERPRINT = (
    "Only if you are sure this is the right server: compare the certificate's fingerprint "
    "with one from its administrator, then trust this exact certificate."
)


@dataclass(frozen=True)
class CertCase:
    title: str
    explanation: str
    fixes: tuple[str, ...]
    trust: bool  # offering to pin the certificate makes sense


# OpenSSL X509_V_ERR_* verify codes.
CERT_CASES: dict[int, CertCase] = {
    10: CertCase(
        "The server's certificate has expired",
        "The certificate that proves the server's identity has expired, so mailgui cannot be "
        "sure it is talking to the real server. Usually its administrator forgot to renew it; "
        "sometimes your computer's date is wrong.",
        (
            "Check that your computer's date and time are right.",
            "Tell the server's administrator that the certificate has expired.",
            _CHECK_FINGERPRINT,
        ),
        True,
    ),
    9: CertCase(
        "The server's certificate is not valid yet",
        "The server's certificate only becomes valid in the future. Your computer's clock is "
        "probably wrong.",
        ("Set your computer's date and time correctly, then try again.",),
        False,
    ),
    18: CertCase(
        "The server's certificate is self-signed",
        "The server signed its own certificate instead of getting one from a recognised "
        "authority. That is normal for a server on your own computer or network (such as "
        "Proton Mail Bridge), but on the internet it can also mean someone is intercepting "
        "the connection.",
        (
            "If this server runs on your computer or network and you trust it, check its "
            "fingerprint and trust this exact certificate.",
            "Otherwise check Host: a provider's real server has a certificate from a "
            "recognised authority.",
        ),
        True,
    ),
    19: CertCase(
        "The server's certificate comes from a private authority",
        "The server's certificate was issued by a certificate authority that this computer "
        "does not know, such as an organisation's own authority.",
        (
            "If your organisation runs its own authority, add its certificate file (CA file) "
            "in the account settings.",
            _CHECK_FINGERPRINT,
        ),
        True,
    ),
    20: CertCase(
        "The server's certificate is from an unknown authority",
        "This computer cannot trace the server's certificate back to an authority it "
        "trusts. The server may use a private authority, may not send its full certificate "
        "chain, or something on your network (antivirus, company proxy) is intercepting the "
        "connection.",
        (
            "If your organisation runs its own authority, add its certificate file (CA file) "
            "in the account settings.",
            "Tell the server's administrator to send the full certificate chain.",
            _CHECK_FINGERPRINT,
        ),
        True,
    ),
    62: CertCase(
        "The certificate belongs to a different server name",
        "The server's certificate is not valid for the host name in your settings. You may "
        "have typed another name for the same server, or the connection went somewhere else.",
        ("Use the host name that the server's certificate was issued for.",),
        False,
    ),
    64: CertCase(
        "The certificate does not match this IP address",
        "You connected by IP address, and the server's certificate is issued for a host name.",
        ("Set Host to the server's name (like smtp.example.com) instead of its IP address.",),
        False,
    ),
    23: CertCase(
        "The server's certificate has been revoked",
        "The authority that issued the server's certificate has withdrawn it. Do not trust "
        "this server until its administrator replaces the certificate.",
        ("Tell the server's administrator.", "Check Host for typos."),
        False,
    ),
}
CERT_CASES[21] = CERT_CASES[20]  # unable to verify the first certificate
CERT_CASES[2] = CERT_CASES[20]  # unable to get issuer certificate
CERT_CASES[24] = CERT_CASES[19]  # invalid CA certificate

GENERIC_CERT = CertCase(
    "The server's certificate could not be verified",
    "mailgui could not confirm the server's identity from its certificate, so it did not continue.",
    (
        "Check that your computer's date and time are right.",
        "Check Host for typos.",
        "If your organisation runs its own certificate authority, add its certificate file "
        "(CA file) in the account settings.",
    ),
    False,
)


def right_host(ctx: DiagnosisContext) -> str | None:
    """A better host name for a name mismatch: a certificate name, else the provider's."""
    host = ctx.host if isinstance(ctx.host, str) else ""
    names = [n for n in ctx.cert_names if isinstance(n, str) and n] if ctx.cert_names else []
    for name in names:
        if not name.startswith("*."):
            return name
    for name in names:
        label = host.split(".", 1)[0] if "." in host else "smtp"
        return f"{label}.{name[2:]}"
    email = ctx.email if isinstance(ctx.email, str) else None
    provider = detect_provider(host, email)
    if provider and provider.smtp_host and provider.smtp_host != host:
        return provider.smtp_host
    return None


def explain_cert(
    error: ssl.SSLCertVerificationError, ctx: DiagnosisContext, stage: str | None
) -> Diagnosis:
    code = getattr(error, "verify_code", None)
    case = CERT_CASES.get(code, GENERIC_CERT) if isinstance(code, int) else GENERIC_CERT
    fixes = list(case.fixes)
    suggestion: dict[str, object] | None = None
    field = "smtp.pinned_sha256" if case.trust else "smtp.host"
    if code == 62:
        better = right_host(ctx)
        if better:
            fixes[0] = f"Set Host to {better}, the name the server's certificate is issued for."
            suggestion = {"host": better}
    text = f"{case.explanation} (Server: {where(ctx)}.)"
    return make(
        Category.CERTIFICATE,
        case.title,
        text,
        tuple(fixes),
        stage or "tls",
        actions=TRUST_ACTIONS if case.trust else (A.EDIT_ACCOUNT, A.TEST_CONNECTION),
        field=field,
        suggestion=suggestion,
        ctx=ctx,
    )


def _reason(error: ssl.SSLError) -> str:
    reason = getattr(error, "reason", None)
    return reason.upper() if isinstance(reason, str) else ""


def explain_ssl(error: ssl.SSLError, ctx: DiagnosisContext, stage: str | None) -> Diagnosis:
    reason = _reason(error)
    port = port_of(ctx)
    security = security_of(ctx)
    if reason in WRONG_MODE:
        if stage == "starttls" or security == Security.STARTTLS:
            return make(
                Category.STARTTLS,
                "The server agreed to encrypt but then did not",
                f"After STARTTLS, {where(ctx)} did not set up encryption properly.",
                (
                    f"Set Security to SSL/TLS and Port to {ssl_port(port)}.",
                    "Tell the server's administrator.",
                ),
                stage or "starttls",
                field="smtp.security",
                suggestion={"security": Security.SSL.value, "port": ssl_port(port)},
                ctx=ctx,
            )
        return make(
            Category.TLS_MODE,
            "This port does not use SSL/TLS from the start",
            f"mailgui started encryption at once (SSL/TLS), but the server at {where(ctx)} "
            "answered in plain text. This port expects STARTTLS: a plain start, then "
            "encryption.",
            (
                f"Set Security to STARTTLS and Port to {starttls_port(port)}.",
                "Or keep SSL/TLS and set Port to 465, if the provider offers it.",
            ),
            stage or "tls",
            field="smtp.security",
            suggestion={"security": Security.STARTTLS.value, "port": starttls_port(port)},
            ctx=ctx,
        )
    if reason in WEAK_CERT or reason == "CERTIFICATE_VERIFY_FAILED":
        return make(
            Category.CERTIFICATE,
            GENERIC_CERT.title,
            GENERIC_CERT.explanation
            + (" The certificate uses outdated, weak cryptography." if reason in WEAK_CERT else ""),
            GENERIC_CERT.fixes,
            stage or "tls",
            field="smtp.host",
            ctx=ctx,
        )
    if reason in CLIENT_CERT:
        return make(
            Category.CERTIFICATE,
            "The server wants a client certificate",
            "The server only accepts clients that present their own certificate, which "
            "mailgui does not do.",
            (
                "Use the provider's normal outgoing server and port (587 or 465).",
                "Ask the server's administrator.",
            ),
            stage or "tls",
            field="smtp.host",
            ctx=ctx,
        )
    if reason in OUTDATED:
        return make(
            Category.PROTOCOL,
            "The server's encryption is outdated",
            f"The server at {where(ctx)} and this computer share no secure encryption "
            "method: the server probably only supports old TLS versions that are no longer "
            "considered safe.",
            (
                "Ask the server's administrator to enable TLS 1.2 or newer.",
                "Check Port and Security: 465 with SSL/TLS, or 587 with STARTTLS.",
            ),
            stage or "tls",
            field="smtp.host",
            ctx=ctx,
        )
    eof = isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError) or reason in EOF
    if eof and security == Security.SSL and port != 465:
        return make(
            Category.TLS_MODE,
            "The server hung up while setting up encryption",
            f"The server at {where(ctx)} closed the connection as soon as mailgui started "
            "SSL/TLS. This port may expect STARTTLS instead.",
            (f"Set Security to STARTTLS and Port to {starttls_port(port)}.", "Try again later."),
            stage or "tls",
            retryable=True,
            field="smtp.security",
            suggestion={"security": Security.STARTTLS.value, "port": starttls_port(port)},
            ctx=ctx,
        )
    if eof:
        return make(
            Category.DISCONNECTED,
            "The server hung up while setting up encryption",
            f"The server at {where(ctx)} closed the connection during the encryption handshake.",
            (
                "Try again later.",
                "Check Port and Security: 465 with SSL/TLS, or 587 with STARTTLS.",
            ),
            stage or "tls",
            retryable=True,
            ctx=ctx,
        )
    other = Security.STARTTLS if security == Security.SSL else Security.SSL
    other_port = starttls_port(port) if other == Security.STARTTLS else ssl_port(port)
    return make(
        Category.TLS_MODE,
        "Setting up encryption failed",
        f"The encrypted connection to {where(ctx)} could not be set up.",
        (
            f"Try Security {other.label} with Port {other_port}.",
            "Check your computer's date and time.",
            "Try again later.",
        ),
        stage or "tls",
        field="smtp.security",
        suggestion={"security": other.value, "port": other_port},
        ctx=ctx,
    )


WRONG_MODE = frozenset(
    {"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE"}
)
OUTDATED = frozenset(
    {
        "UNSUPPORTED_PROTOCOL",
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "NO_PROTOCOLS_AVAILABLE",
        "SSLV3_ALERT_HANDSHAKE_FAILURE",
        "NO_SHARED_CIPHER",
        "NO_CIPHERS_AVAILABLE",
        "DH_KEY_TOO_SMALL",
        "NO_SUITABLE_SIGNATURE_ALGORITHM",
    }
)
WEAK_CERT = frozenset({"EE_KEY_TOO_SMALL", "CA_MD_TOO_WEAK", "CA_KEY_TOO_SMALL"})
CLIENT_CERT = frozenset(
    {"TLSV13_ALERT_CERTIFICATE_REQUIRED", "SSLV3_ALERT_BAD_CERTIFICATE", "TLSV1_ALERT_UNKNOWN_CA"}
)
EOF = frozenset({"UNEXPECTED_EOF_WHILE_READING", "EOF_OCCURRED_IN_VIOLATION_OF_PROTOCOL"})
