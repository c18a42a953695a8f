"""TLS for mail sessions: the verified context, certificate pinning and what a handshake showed."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import ssl
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mailgui.core.accounts import ServerSettings, normalize_fingerprint
from mailgui.core.errors import CertificatePinMismatch

# OpenSSL's long attribute names -> the short ones people know from certificate viewers.
_SHORT_NAMES = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "stateOrProvinceName": "ST",
    "localityName": "L",
    "emailAddress": "E",
}


@dataclass(frozen=True)
class TlsInfo:
    """What the TLS handshake showed (also for a certificate that failed verification)."""

    version: str
    cipher: str
    subject: str
    names: tuple[str, ...]
    issuer: str
    not_before: str  # ISO 8601, UTC
    not_after: str
    sha256: str  # of the DER certificate, lowercase hex
    verified_by: str  # "ca", "pin", or "none" (fetched without verification)

    @property
    def sha256_colons(self) -> str:
        """The fingerprint as certificate viewers print it (AB:CD:...)."""
        return ":".join(self.sha256[i : i + 2] for i in range(0, len(self.sha256), 2)).upper()

    def summary(self) -> str:
        return f"{self.version} {self.cipher}".strip()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "cipher": self.cipher,
            "subject": self.subject,
            "names": list(self.names),
            "issuer": self.issuer,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "sha256": self.sha256,
            "verified_by": self.verified_by,
        }


def make_tls_context(settings: ServerSettings) -> ssl.SSLContext:
    """The client context for `settings`: system CAs plus the account's CA file, with host
    name checking; or, when a fingerprint is pinned, a context that only fetches the
    certificate (the caller must then call `check_pin` right after the handshake)."""
    if normalize_fingerprint(settings.pinned_sha256):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # replaced by the exact fingerprint match
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx
    return verified_context(settings.ca_file)


def verified_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A verifying client context: the system's CAs, plus `ca_file` when given.

    A frozen app on macOS (and a python.org build without its certificate step) finds no CA at
    the OpenSSL default paths, which would make every server look untrusted. There, and only
    when the system store is empty, the certifi bundle stands in for it.
    """
    ctx = ssl.create_default_context()
    if not ctx.cert_store_stats().get("x509_ca"):
        try:
            import certifi
        except ImportError:
            pass
        else:
            ctx.load_verify_locations(cafile=certifi.where())
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    return ctx


def unverified_context() -> ssl.SSLContext:
    """Only for showing a certificate to the user (fetch_certificate); never for a session."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def verified_by(settings: ServerSettings) -> str:
    return "pin" if normalize_fingerprint(settings.pinned_sha256) else "ca"


def peer_sha256(sock: ssl.SSLSocket) -> str:
    der = sock.getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest() if der else ""


def check_pin(sock: ssl.SSLSocket, settings: ServerSettings) -> None:
    """Raise CertificatePinMismatch unless the peer certificate is the pinned one."""
    expected = normalize_fingerprint(settings.pinned_sha256)
    if not expected:
        return
    actual = peer_sha256(sock)
    if actual != expected:
        raise CertificatePinMismatch(settings.host, settings.port, expected, actual)


def tls_info(sock: ssl.SSLSocket, verified: str) -> TlsInfo:
    """Describe the handshake on `sock` and the certificate it showed."""
    der = sock.getpeercert(binary_form=True) or b""
    cipher = sock.cipher()
    details = sock.getpeercert() or decode_certificate(der)
    return _info(details, der, sock.version() or "", cipher[0] if cipher else "", verified)


def _info(details: dict[str, Any], der: bytes, version: str, cipher: str, verified: str) -> TlsInfo:
    names = tuple(str(value) for _kind, value in details.get("subjectAltName", ()))
    return TlsInfo(
        version=version,
        cipher=cipher,
        subject=_dn(details.get("subject", ())),
        names=names,
        issuer=_dn(details.get("issuer", ())),
        not_before=_iso(details.get("notBefore")),
        not_after=_iso(details.get("notAfter")),
        sha256=hashlib.sha256(der).hexdigest() if der else "",
        verified_by=verified,
    )


def decode_certificate(der: bytes) -> dict[str, Any]:
    """Parse a DER certificate into the dict shape of `SSLSocket.getpeercert()`.

    The ssl module only parses certificates it verified; for one we did not verify (pinned
    or fetched to show the user) it offers `_ssl._test_decode_cert(path)`. Should that
    private helper ever go away, we return {} and the caller still has the fingerprint.
    """
    decoder = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if not der or decoder is None:
        return {}
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(ssl.DER_cert_to_PEM_cert(der))
        result = decoder(path)
        return result if isinstance(result, dict) else {}
    except (ssl.SSLError, OSError, ValueError):
        return {}
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _dn(rdns: Iterable[Any]) -> str:
    parts = []
    for rdn in rdns:
        for key, value in rdn:
            parts.append(f"{_SHORT_NAMES.get(key, key)}={value}")
    return ", ".join(parts)


def _iso(value: object) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        seconds = ssl.cert_time_to_seconds(value)
    except ValueError:
        return value
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
