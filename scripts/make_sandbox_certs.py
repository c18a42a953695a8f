"""Generate the loopback-only certificates of the built-in SMTP sandbox (run once, at dev time).

Writes into resources/sandbox/:
  ca.pem              the sandbox CA certificate (the sandbox account trusts only this file)
  server.pem          leaf certificate for "localhost" and 127.0.0.1, signed by the CA
  server.key          its private key
  untrusted.pem/.key  a self-signed certificate for the same names, for the
                      "untrusted certificate" simulation (nothing trusts it)

The names avoid the word "sandbox" on purpose: it is also the public demo password, and
transcripts redact every occurrence of a password. The CA private key is thrown away after
signing, and the CA carries name constraints (localhost and 127.0.0.1 only), so even the
committed files cannot vouch for any real host.
Everything is valid for 20 years. Needs the `cryptography` package (a dev-time tool only:
the app itself just reads the PEM files).

Usage: python scripts/make_sandbox_certs.py [--out DIR] [--force]
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 20 * 365 + 5  # 20 years, leap days included
DNS_NAME = "localhost"
IP = ipaddress.IPv4Address("127.0.0.1")
FILES = ("ca.pem", "server.pem", "server.key", "untrusted.pem", "untrusted.key")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailgui demo server (loopback only)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _validity() -> tuple[dt.datetime, dt.datetime]:
    # Back-date a day so a machine with a slightly wrong clock still accepts the files.
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    return start, start + dt.timedelta(days=VALID_DAYS)


def _leaf_extensions(builder: x509.CertificateBuilder, key: ec.EllipticCurvePrivateKey):
    san = x509.SubjectAlternativeName([x509.DNSName(DNS_NAME), x509.IPAddress(IP)])
    return (
        builder.add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def make_ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = _validity()
    name = _name("mailgui demo CA")
    constraints = x509.NameConstraints(
        permitted_subtrees=[
            x509.DNSName(DNS_NAME),
            x509.IPAddress(ipaddress.IPv4Network("127.0.0.1/32")),
        ],
        excluded_subtrees=None,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(constraints, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_leaf(
    ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = _validity()
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(DNS_NAME))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    )
    return _leaf_extensions(builder, key).sign(ca_key, hashes.SHA256()), key


def make_self_signed() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = _validity()
    name = _name(DNS_NAME)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
    )
    return _leaf_extensions(builder, key).sign(key, hashes.SHA256()), key


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def main(argv: list[str] | None = None) -> int:
    default_out = Path(__file__).resolve().parents[1] / "resources" / "sandbox"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_out)
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    out: Path = args.out
    existing = [name for name in FILES if (out / name).exists()]
    if existing and not args.force:
        print(f"{out} already has {', '.join(existing)}; use --force to replace them")
        return 1
    out.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = make_ca()
    leaf, leaf_key = make_leaf(ca_cert, ca_key)
    rogue, rogue_key = make_self_signed()
    (out / "ca.pem").write_bytes(_cert_pem(ca_cert))
    (out / "server.pem").write_bytes(_cert_pem(leaf))
    (out / "server.key").write_bytes(_key_pem(leaf_key))
    (out / "untrusted.pem").write_bytes(_cert_pem(rogue))
    (out / "untrusted.key").write_bytes(_key_pem(rogue_key))
    print(f"wrote {', '.join(FILES)} to {out} (CA key discarded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
