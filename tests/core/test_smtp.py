"""The SMTP engine against real loopback servers: modes, AUTH, TLS, pinning, results."""

from __future__ import annotations

import datetime
import smtplib
import ssl

import pytest

from mailgui.core.accounts import Security
from mailgui.core.errors import CertificatePinMismatch, InsecureAuthRefused, MessageTooBig
from mailgui.core.smtp import (
    Capabilities,
    check,
    fetch_certificate,
    send_message,
    serialize_message,
)
from mailgui.core.stages import StageStatus
from tests.smtp_servers import PASSWORD, SENDER, USER, cert_sha256, make_message

T = 5.0  # timeout for tests that should succeed fast


def names(result):
    return [(s.name, s.status.value) for s in result.stages]


@pytest.mark.parametrize("mode", ["starttls", "ssl", "plain"])
def test_send_in_each_mode(smtp_server_factory, mode):
    server = smtp_server_factory(mode)
    built = make_message()
    password = server.password or None
    result = send_message(server.settings(), password, built, timeout=T)
    assert result.error is None
    assert result.ok
    assert not result.partial
    (received,) = server.wait_for_messages(1)
    assert received.mail_from == SENDER
    assert received.rcpt_tos == ["bob@example.com"]
    assert received.data == serialize_message(built)
    assert b"\r\n.a line starting with a dot\r\n" in received.data
    assert result.recipients["bob@example.com"].accepted
    assert result.recipients["bob@example.com"].code == 250
    stages = [name for name, _ in names(result)]
    assert stages[:2] == ["dns", "connect"]
    assert stages[-3:] == ["envelope", "data", "quit"]
    assert all(s.status is not StageStatus.FAILED for s in result.stages)
    if mode != "plain":
        assert result.tls is not None
        assert result.tls.verified_by == "ca"
        assert result.tls.version.startswith("TLSv1.")
        assert "localhost" in result.tls.names


def test_check_stages_and_details(starttls_server):
    result = check(starttls_server.settings(), PASSWORD, timeout=T, dry_run_from=SENDER)
    assert result.ok, result.error
    assert names(result) == [
        ("dns", "passed"),
        ("connect", "passed"),
        ("ehlo", "passed"),
        ("starttls", "passed"),
        ("auth", "passed"),
        ("envelope", "passed"),
        ("quit", "passed"),
    ]
    details = {s.name: s.detail for s in result.stages}
    assert details["connect"].startswith("connected to 127.0.0.1:")
    assert "STARTTLS" in details["ehlo"]
    assert "TLSv1" in details["starttls"]
    assert "AUTH LOGIN PLAIN" in details["starttls"]
    assert "PLAIN" in details["auth"]
    assert result.capabilities is not None
    assert result.capabilities.auth == {"PLAIN", "LOGIN"}
    assert result.capabilities.size == 32 * 1024 * 1024
    assert result.failed_stage is None
    assert [c.split()[0] for c in starttls_server.commands][-3:] == ["RCPT", "RSET", "QUIT"]


def test_check_without_password_skips_auth(plain_server):
    result = check(plain_server.settings(), None, timeout=T)
    assert result.ok
    skipped = {s.name for s in result.stages if s.status is StageStatus.SKIPPED}
    assert skipped == {"starttls", "auth", "envelope"}


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_auth_mechanisms(smtp_server_factory, mode, mechanism):
    server = smtp_server_factory(mode, mechanisms=(mechanism,))
    result = check(server.settings(), PASSWORD, timeout=T)
    assert result.ok, result.error
    assert f"AUTH {mechanism}" in server.commands
    assert f"({mechanism})" in next(s.detail for s in result.stages if s.name == "auth")


def test_utf8_password(smtp_server_factory):
    server = smtp_server_factory("ssl", users={USER: "pässwörd-€"})
    result = check(server.settings(), "pässwörd-€", timeout=T)
    assert result.ok, result.error


def test_wrong_password(starttls_server):
    result = check(starttls_server.settings(), "wrong", timeout=T)
    assert isinstance(result.error, smtplib.SMTPAuthenticationError)
    assert result.error.smtp_code == 535
    assert result.failed_stage == "auth"
    assert not result.ok


def test_missing_user_name_is_input_error(starttls_server):
    from mailgui.core.errors import InputError

    result = check(starttls_server.settings(username=""), PASSWORD, timeout=T)
    assert isinstance(result.error, InputError)
    assert result.error.field == "smtp.username"


def test_insecure_auth_refused_before_any_auth_bytes(smtp_server_factory):
    server = smtp_server_factory("plain", auth=True)
    result = check(server.settings(), PASSWORD, timeout=T)
    assert isinstance(result.error, InsecureAuthRefused)
    assert result.failed_stage == "auth"
    assert not any(c.startswith("AUTH") for c in server.commands)


def test_insecure_auth_with_opt_in(smtp_server_factory):
    server = smtp_server_factory("plain", auth=True)
    result = check(server.settings(allow_insecure_auth=True), PASSWORD, timeout=T)
    assert result.ok, result.error
    assert "AUTH PLAIN" in server.commands


def test_starttls_required_but_not_offered(plain_server):
    settings = plain_server.settings(security=Security.STARTTLS)
    result = check(settings, PASSWORD, timeout=T)
    assert isinstance(result.error, smtplib.SMTPNotSupportedError)
    assert result.failed_stage == "starttls"
    assert [c.split()[0] for c in plain_server.commands] == ["EHLO"]


@pytest.mark.parametrize("mode", ["ssl", "starttls"])
def test_pinned_certificate_matches(smtp_server_factory, mode):
    # A certificate from a CA nobody trusts is accepted when it is exactly the pinned one.
    server = smtp_server_factory(mode, cert="untrusted")
    pin = cert_sha256("untrusted")
    settings = server.settings(ca_file=None, pinned_sha256=pin.upper())
    result = check(settings, PASSWORD, timeout=T)
    assert result.ok, result.error
    assert result.tls is not None
    assert result.tls.verified_by == "pin"
    assert result.tls.sha256 == pin
    assert "localhost" in result.tls.names


@pytest.mark.parametrize("mode", ["ssl", "starttls"])
def test_pinned_certificate_mismatch(smtp_server_factory, mode):
    server = smtp_server_factory(mode, cert="good")
    settings = server.settings(pinned_sha256="00" * 32)
    result = check(settings, PASSWORD, timeout=T)
    assert isinstance(result.error, CertificatePinMismatch)
    assert result.error.actual == cert_sha256("good")
    assert result.error.expected == "00" * 32
    assert result.failed_stage == ("tls" if mode == "ssl" else "starttls")
    # Nothing after the handshake: no EHLO over TLS, no AUTH.
    expected = [] if mode == "ssl" else ["EHLO", "STARTTLS"]
    assert [c.split()[0] for c in server.commands] == expected
    assert result.tls is not None
    assert result.tls.verified_by == "none"


def test_ca_file_is_what_makes_the_test_ca_trusted(ssl_server):
    result = check(ssl_server.settings(ca_file=None), PASSWORD, timeout=T)
    assert isinstance(result.error, ssl.SSLCertVerificationError)
    assert result.error.verify_code == 20  # unable to get local issuer certificate


@pytest.mark.parametrize(
    ("cert", "verify_code"),
    [("untrusted", 20), ("expired", 10), ("wronghost", 62)],
)
@pytest.mark.parametrize("mode", ["ssl", "starttls"])
def test_bad_certificates(smtp_server_factory, mode, cert, verify_code):
    server = smtp_server_factory(mode, cert=cert)
    result = check(server.settings(), PASSWORD, timeout=T)
    assert isinstance(result.error, ssl.SSLCertVerificationError)
    assert result.error.verify_code == verify_code
    assert result.failed_stage == ("tls" if mode == "ssl" else "starttls")
    assert not any(c.startswith(("AUTH", "MAIL")) for c in server.commands)
    # The certificate is fetched again, unverified, to show the user what it is.
    assert result.tls is not None
    assert result.tls.verified_by == "none"
    assert result.tls.sha256 == cert_sha256(cert)


@pytest.mark.parametrize("mode", ["ssl", "starttls"])
def test_fetch_certificate(smtp_server_factory, mode):
    server = smtp_server_factory(mode, cert="expired")
    info = fetch_certificate("localhost", server.port, server.security, timeout=T)
    assert info.sha256 == cert_sha256("expired")
    assert info.names == ("localhost", "127.0.0.1")
    assert "mailgui test CA trusted" in info.issuer
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert info.not_before < info.not_after < now  # expired, in ISO 8601
    assert info.verified_by == "none"
    assert len(info.sha256_colons) == 95


def test_some_recipients_refused(smtp_server_factory):
    server = smtp_server_factory(
        "starttls", fail={"RCPT": {"nobody@example.com": "550 5.1.1 <nobody@example.com>: no"}}
    )
    built = make_message(to=("bob@example.com", "nobody@example.com"))
    result = send_message(server.settings(), PASSWORD, built, timeout=T)
    assert result.ok
    assert result.partial
    refused = result.recipients["nobody@example.com"]
    assert (refused.accepted, refused.code) == (False, 550)
    assert "5.1.1" in refused.message
    assert result.recipients["bob@example.com"].accepted
    assert server.wait_for_messages(1)[0].rcpt_tos == ["bob@example.com"]


def test_all_recipients_refused(smtp_server_factory):
    server = smtp_server_factory("starttls", fail={"RCPT": "550 5.7.1 Relay access denied"})
    built = make_message(to=("bob@example.com", "carol@example.com"))
    result = send_message(server.settings(), PASSWORD, built, timeout=T)
    assert isinstance(result.error, smtplib.SMTPRecipientsRefused)
    assert set(result.error.recipients) == {"bob@example.com", "carol@example.com"}
    assert result.failed_stage == "envelope"
    assert not result.partial
    assert all(r.code == 550 and not r.accepted for r in result.recipients.values())
    assert server.received == []


def test_size_is_checked_before_mail_from(smtp_server_factory):
    server = smtp_server_factory("starttls", size_limit=1000)
    built = make_message(body="x" * 2000)
    result = send_message(server.settings(), PASSWORD, built, timeout=T)
    assert isinstance(result.error, MessageTooBig)
    assert result.error.limit == 1000
    assert result.error.size > 1000
    assert result.failed_stage == "envelope"
    assert not any(c.startswith("MAIL") for c in server.commands)


def test_smtputf8_needed_but_missing(smtp_server_factory):
    server = smtp_server_factory("starttls", smtputf8=False)
    built = make_message(to=("jörg@example.com",))
    assert built.smtputf8
    result = send_message(server.settings(), PASSWORD, built, timeout=T)
    assert isinstance(result.error, smtplib.SMTPNotSupportedError)
    assert result.failed_stage == "envelope"


def test_smtputf8_sent(starttls_server):
    built = make_message(to=("jörg@example.com",))
    result = send_message(starttls_server.settings(), PASSWORD, built, timeout=T)
    assert result.ok, result.error
    assert starttls_server.wait_for_messages(1)[0].rcpt_tos == ["jörg@example.com"]
    assert any("SMTPUTF8" in c for c in starttls_server.commands if c.startswith("MAIL"))


def test_progress_and_dot_stuffing_across_chunks(plain_server):
    # Lines starting with dots land on and around the 64 KiB chunk boundaries.
    lines = [("." * (i % 3 + 1)) + "x" * (i % 97) for i in range(6000)]
    built = make_message(body="\n".join(lines) + "\n")
    calls: list[tuple[int, int]] = []
    result = send_message(
        plain_server.settings(), None, built, timeout=T, progress=lambda s, t: calls.append((s, t))
    )
    assert result.ok, result.error
    flat = serialize_message(built)
    assert len(calls) >= 5
    assert all(total == len(flat) for _, total in calls)
    sent = [s for s, _ in calls]
    assert sent == sorted(sent)
    assert sent[-1] == len(flat)
    assert plain_server.wait_for_messages(1)[0].data == flat


@pytest.mark.parametrize(
    ("fail", "error", "stage", "code"),
    [
        ({"BANNER": "554 5.7.1 go away"}, smtplib.SMTPConnectError, "connect", 554),
        ({"EHLO": "421 4.3.2 shutting down"}, smtplib.SMTPHeloError, "ehlo", 421),
        ({"AUTH": "534 5.7.9 Application-specific password required"},
         smtplib.SMTPAuthenticationError, "auth", 534),
        ({"MAIL": "530 5.7.0 Must issue a STARTTLS command first."},
         smtplib.SMTPSenderRefused, "envelope", 530),
        ({"DATA": "554 5.5.1 no valid recipients"}, smtplib.SMTPDataError, "data", 554),
        ({"DATA_END": "552 5.3.4 Error: message file too big"},
         smtplib.SMTPDataError, "data", 552),
    ],
)  # fmt: skip
def test_injected_failures(smtp_server_factory, fail, error, stage, code):
    server = smtp_server_factory("starttls", fail=fail)
    result = send_message(server.settings(), PASSWORD, make_message(), timeout=T)
    assert isinstance(result.error, error)
    assert result.error.smtp_code == code
    assert result.failed_stage == stage
    assert not result.ok


def test_disconnect_in_data(smtp_server_factory):
    server = smtp_server_factory("plain", disconnect_in_data=10)
    result = send_message(server.settings(), None, make_message(body="y" * 200_000), timeout=T)
    assert isinstance(result.error, (smtplib.SMTPServerDisconnected, ConnectionError))
    assert result.failed_stage == "data"


def test_failing_quit_does_not_fail_a_sent_message(smtp_server_factory):
    server = smtp_server_factory("plain", fail={"QUIT": "<disconnect>"})
    result = send_message(server.settings(), None, make_message(), timeout=T)
    assert result.ok
    assert result.error is None
    assert server.wait_for_messages(1)


def test_capabilities_parse():
    caps = Capabilities.parse(
        {
            "size": "10240000",
            "auth": " PLAIN login",
            "8bitmime": "",
            "smtputf8": "",
            "pipelining": "",
            "starttls": "",
        }
    )
    assert caps.size == 10240000
    assert caps.auth == {"PLAIN", "LOGIN"}
    assert caps.starttls
    assert caps.eightbitmime
    assert caps.smtputf8
    assert caps.pipelining
    assert (
        caps.summary()
        == "STARTTLS, AUTH LOGIN PLAIN, SIZE 10240000, 8BITMIME, SMTPUTF8, PIPELINING"
    )
    assert caps.to_json()["auth"] == ["LOGIN", "PLAIN"]
    assert Capabilities.parse({"size": "0"}).size is None
    assert Capabilities.parse({"size": "abc"}).size is None
    assert Capabilities.parse({}) == Capabilities()


@pytest.mark.parametrize("multipart", [False, True])
def test_lean_serialization_is_byte_identical_to_the_stdlib(multipart):
    import email.policy
    from email.message import EmailMessage

    from mailgui.core.message import BuiltMessage

    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = SENDER
    msg["To"] = "bob@example.com"
    msg["Bcc"] = "hidden@example.com"
    msg["Subject"] = "big"
    # Over the 1 MiB block size, lines of varying length, a dot line at many offsets.
    body = "".join(
        f"{'.' if i % 7 == 0 else ''}line {i} " + "x" * (i % 120) + "\n" for i in range(40_000)
    )
    msg.set_content(body)
    if multipart:
        msg.add_attachment(bytes(range(256)) * 8000, maintype="application", subtype="octet-stream")
    reference = msg.as_bytes(policy=email.policy.SMTP)  # also fixes the multipart boundary
    built = BuiltMessage(msg, SENDER, ("bob@example.com",), False, len(reference))
    flat = serialize_message(built)
    expected = reference.replace(b"Bcc: hidden@example.com\r\n", b"")
    assert len(flat) > 2 * 1024 * 1024
    assert flat == expected
    assert msg["Bcc"] == "hidden@example.com"  # the caller's message keeps its Bcc
