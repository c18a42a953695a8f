"""The built-in SMTP sandbox, driven by plain smtplib with a verifying TLS context."""

from __future__ import annotations

import base64
import datetime as dt
import smtplib
import ssl
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailgui.core.accounts import Security
from mailgui.core.sandbox import Sandbox, SandboxFailure, SandboxMessage, certificate_path

TO = ("ann@sandbox.example", "bob@sandbox.example")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path / "sandbox")
    box.start()
    try:
        yield box
    finally:
        box.stop()


def make_message(subject: str = "Hello", to: tuple[str, ...] = TO) -> EmailMessage:
    message = EmailMessage()
    message["From"] = Sandbox.EMAIL
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content("Hi there.\nThis is the sandbox.\n")
    return message


def tls_context(box: Sandbox) -> ssl.SSLContext:
    ca_file = box.account().smtp.ca_file
    assert ca_file is not None
    return ssl.create_default_context(cafile=ca_file)


def send(
    box: Sandbox,
    message: EmailMessage | None = None,
    *,
    password: str = Sandbox.PASSWORD,
    timeout: float = 5.0,
) -> dict[str, tuple[int, bytes]]:
    """Send like the app does: connect to the account's host, STARTTLS (verified), AUTH, send."""
    settings = box.account().smtp
    with smtplib.SMTP(settings.host, settings.port, timeout=timeout) as client:
        client.starttls(context=tls_context(box))
        client.login(settings.username, password)
        return client.send_message(message or make_message())


def test_account_points_at_the_running_server(sandbox: Sandbox) -> None:
    account = sandbox.account()
    assert account.id == Sandbox.ACCOUNT_ID == "sandbox"
    assert account.name == "Sandbox"
    assert account.email.endswith(".example")
    assert account.smtp.host == "127.0.0.1"
    assert account.smtp.port == sandbox.port > 0
    assert account.smtp.security is Security.STARTTLS
    assert account.smtp.username == "sandbox"
    assert account.smtp.ca_file is not None
    assert Path(account.smtp.ca_file).is_file()
    assert account.smtp.pinned_sha256 is None


def test_send_is_stored_and_reported(sandbox: Sandbox) -> None:
    seen: list[SandboxMessage] = []
    sandbox.on_message = seen.append
    message = make_message("Quarterly report")
    message.add_attachment(b"1,2,3\n", maintype="text", subtype="csv", filename="numbers.csv")
    assert send(sandbox, message) == {}

    [stored] = sandbox.messages()
    assert seen == [stored]
    assert stored.envelope_from == Sandbox.EMAIL
    assert stored.recipients == TO
    assert stored.subject == "Quarterly report"
    assert stored.from_header == Sandbox.EMAIL
    assert "This is the sandbox." in stored.body_text
    assert stored.attachments == ("numbers.csv",)
    assert b"Subject: Quarterly report\r\n" in stored.raw


def test_messages_survive_a_restart_newest_first(tmp_path: Path) -> None:
    with Sandbox(tmp_path) as box:
        send(box, make_message("first"))
        send(box, make_message("second"))
    again = Sandbox(tmp_path)
    assert [m.subject for m in again.messages()] == ["second", "first"]
    with again:  # and it keeps receiving after the restart, on a new port
        send(again, make_message("third"))
    assert [m.subject for m in Sandbox(tmp_path).messages()] == ["third", "second", "first"]


def test_unreadable_message_files_are_skipped(sandbox: Sandbox) -> None:
    send(sandbox)
    (sandbox.data_dir / "messages" / "broken.json").write_text("{not json", encoding="utf-8")
    assert len(sandbox.messages()) == 1


def test_delete_removes_a_message(sandbox: Sandbox) -> None:
    send(sandbox)
    [stored] = sandbox.messages()
    sandbox.delete(stored.id)
    assert sandbox.messages() == []


def test_wrong_password_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        send(sandbox, password="not-the-password")
    assert caught.value.smtp_code == 535
    assert caught.value.smtp_error.startswith(b"5.7.8")


def test_starttls_is_required_before_mail(sandbox: Sandbox) -> None:
    settings = sandbox.account().smtp
    with smtplib.SMTP(settings.host, settings.port, timeout=5) as client:
        client.ehlo()
        assert not client.has_extn("auth")  # AUTH is only offered inside TLS
        with pytest.raises(smtplib.SMTPSenderRefused) as caught:
            client.sendmail(Sandbox.EMAIL, list(TO), b"Subject: x\r\n\r\nx\r\n")
    assert caught.value.smtp_code == 530


def test_authentication_is_required(sandbox: Sandbox) -> None:
    settings = sandbox.account().smtp
    with smtplib.SMTP(settings.host, settings.port, timeout=5) as client:
        client.starttls(context=tls_context(sandbox))
        with pytest.raises(smtplib.SMTPSenderRefused) as caught:
            client.send_message(make_message())
    assert caught.value.smtp_code == 530


# failure -> (exception type, reply code or None)
EXPECTED: dict[SandboxFailure, tuple[type[BaseException], int | None]] = {
    SandboxFailure.WRONG_PASSWORD: (smtplib.SMTPAuthenticationError, 535),
    SandboxFailure.APP_PASSWORD_REQUIRED: (smtplib.SMTPAuthenticationError, 534),
    SandboxFailure.SENDER_REFUSED: (smtplib.SMTPSenderRefused, 553),
    SandboxFailure.ALL_RECIPIENTS_REFUSED: (smtplib.SMTPRecipientsRefused, None),
    SandboxFailure.MESSAGE_TOO_BIG: (smtplib.SMTPDataError, 552),
    SandboxFailure.DISCONNECT_DURING_DATA: (smtplib.SMTPServerDisconnected, None),
    SandboxFailure.NO_ANSWER: (smtplib.SMTPServerDisconnected, None),
    SandboxFailure.UNTRUSTED_CERTIFICATE: (ssl.SSLCertVerificationError, None),
}


@pytest.mark.parametrize("failure", list(EXPECTED), ids=str)
def test_simulated_failure_happens_once(sandbox: Sandbox, failure: SandboxFailure) -> None:
    error_type, code = EXPECTED[failure]
    sandbox.simulate(failure)
    assert sandbox.pending_failure is failure
    with pytest.raises(error_type) as caught:
        send(sandbox, timeout=0.5 if failure is SandboxFailure.NO_ANSWER else 5.0)
    if code is not None:
        assert getattr(caught.value, "smtp_code", None) == code
    assert sandbox.pending_failure is None
    assert sandbox.messages() == []  # nothing was delivered
    assert send(sandbox) == {}  # and the next send works again
    assert len(sandbox.messages()) == 1


def test_app_password_reply_looks_like_gmail(sandbox: Sandbox) -> None:
    sandbox.simulate(SandboxFailure.APP_PASSWORD_REQUIRED)
    with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        send(sandbox)
    text = caught.value.smtp_error.decode()
    assert text.startswith("5.7.9 Application-specific password required")
    assert "https://support.google.com/mail/" in text
    assert "\n" in text  # a real multi-line reply, joined by smtplib


def test_untrusted_certificate_is_self_signed(sandbox: Sandbox) -> None:
    sandbox.simulate(SandboxFailure.UNTRUSTED_CERTIFICATE)
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        send(sandbox)
    assert caught.value.verify_code == 18  # self-signed certificate


def test_all_recipients_refused_lists_each(sandbox: Sandbox) -> None:
    sandbox.simulate(SandboxFailure.ALL_RECIPIENTS_REFUSED)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
        send(sandbox)
    assert set(caught.value.recipients) == set(TO)
    assert {code for code, _ in caught.value.recipients.values()} == {550}


def test_one_recipient_refused_is_a_partial_success(sandbox: Sandbox) -> None:
    sandbox.simulate(SandboxFailure.ONE_RECIPIENT_REFUSED)
    refused = send(sandbox)
    assert list(refused) == [TO[0]]
    code, text = refused[TO[0]]
    assert code == 550
    assert text.startswith(b"5.1.1")
    [stored] = sandbox.messages()
    assert stored.recipients == TO[1:]
    assert sandbox.pending_failure is None
    assert send(sandbox) == {}


def test_simulation_waits_for_its_stage(sandbox: Sandbox) -> None:
    # A connection that only signs in does not use up an envelope failure.
    sandbox.simulate(SandboxFailure.SENDER_REFUSED)
    settings = sandbox.account().smtp
    with smtplib.SMTP(settings.host, settings.port, timeout=5) as client:
        client.starttls(context=tls_context(sandbox))
        client.login(settings.username, Sandbox.PASSWORD)
    assert sandbox.pending_failure is SandboxFailure.SENDER_REFUSED
    with pytest.raises(smtplib.SMTPSenderRefused):
        send(sandbox)


def test_simulate_none_clears(sandbox: Sandbox) -> None:
    sandbox.simulate(SandboxFailure.WRONG_PASSWORD)
    sandbox.simulate(None)
    assert sandbox.pending_failure is None
    assert send(sandbox) == {}


def test_stop_is_prompt_while_a_client_waits_for_no_answer(sandbox: Sandbox) -> None:
    sandbox.simulate(SandboxFailure.NO_ANSWER)
    errors: list[BaseException] = []
    mail_sent = threading.Event()

    def client() -> None:
        settings = sandbox.account().smtp
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
                smtp.starttls(context=tls_context(sandbox))
                smtp.login(settings.username, Sandbox.PASSWORD)
                mail_sent.set()
                smtp.send_message(make_message())
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=client)
    thread.start()
    assert mail_sent.wait(5)
    # The client is now inside MAIL FROM, which the server never answers.
    deadline = time.monotonic() + 5
    while sandbox.pending_failure is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    sandbox.stop()
    assert time.monotonic() - started < 1.0
    thread.join(5)
    assert not thread.is_alive()  # the client was released long before its 30 s timeout
    assert len(errors) == 1
    assert isinstance(errors[0], smtplib.SMTPServerDisconnected)
    assert not sandbox.running
    sandbox.stop()  # stopping twice is harmless


def test_stop_is_prompt_with_an_idle_connection(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    box.start()
    settings = box.account().smtp
    client = smtplib.SMTP(settings.host, settings.port, timeout=5)
    try:
        client.ehlo()
        started = time.monotonic()
        box.stop()
        assert time.monotonic() - started < 1.0
    finally:
        client.close()


def test_stop_without_start_and_restart(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    box.stop()
    box.start()
    box.start()  # idempotent
    first_port = box.port
    box.stop()
    box.start()
    try:
        assert box.port > 0
        send(box)
    finally:
        box.stop()
    assert first_port > 0


def test_failure_labels_are_words() -> None:
    labels = [failure.label for failure in SandboxFailure]
    assert len(set(labels)) == len(labels)
    assert all(label and label[0].isupper() for label in labels)
    assert SandboxFailure("no-answer") is SandboxFailure.NO_ANSWER


def test_bundled_certificates() -> None:
    from cryptography import x509  # dev-time dependency, like the generator script

    ca = x509.load_pem_x509_certificate(certificate_path("ca.pem").read_bytes())
    leaf = x509.load_pem_x509_certificate(certificate_path("server.pem").read_bytes())
    rogue = x509.load_pem_x509_certificate(certificate_path("untrusted.pem").read_bytes())
    assert leaf.issuer == ca.subject
    assert rogue.issuer == rogue.subject  # self-signed, trusted by nobody
    for cert in (leaf, rogue):
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == ["localhost"]
        assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
        assert cert.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=365 * 15)
    assert not certificate_path("ca.key").exists()  # the CA key was thrown away
    assert (certificate_path("README.md")).is_file()


# -- through the app's own engine (mailgui.core.smtp + message) ---------------------------------


def engine_send(box: Sandbox, *, timeout: float = 5.0, subject: str = "Via engine"):  # type: ignore[no-untyped-def]
    from mailgui.core.message import Draft, build_message
    from mailgui.core.smtp import send_message

    built = build_message(Draft(from_addr=Sandbox.EMAIL, to=TO, subject=subject, body="Hello."))
    return send_message(box.account().smtp, Sandbox.PASSWORD, built, timeout=timeout)


def test_engine_sends_to_the_sandbox(sandbox: Sandbox) -> None:
    result = engine_send(sandbox)
    assert result.ok, result.error
    assert not result.partial
    assert result.tls is not None
    assert result.tls.verified_by == "ca"  # the bundled CA, not a pin or no check at all
    assert [m.subject for m in sandbox.messages()] == ["Via engine"]
    # The demo password is public, but the engine still redacts the AUTH exchange.
    transcript = result.transcript.to_text()
    assert "AUTH" in transcript
    pw = Sandbox.PASSWORD
    for login in (f"\0sandbox\0{pw}", f"sandbox\0sandbox\0{pw}", pw):
        assert base64.b64encode(login.encode()).decode() not in transcript


ENGINE_EXPECTED: dict[SandboxFailure, tuple[type[BaseException], str]] = {
    SandboxFailure.WRONG_PASSWORD: (smtplib.SMTPAuthenticationError, "auth"),
    SandboxFailure.APP_PASSWORD_REQUIRED: (smtplib.SMTPAuthenticationError, "auth"),
    SandboxFailure.SENDER_REFUSED: (smtplib.SMTPSenderRefused, "envelope"),
    SandboxFailure.ALL_RECIPIENTS_REFUSED: (smtplib.SMTPRecipientsRefused, "envelope"),
    SandboxFailure.MESSAGE_TOO_BIG: (smtplib.SMTPDataError, "data"),
    SandboxFailure.DISCONNECT_DURING_DATA: (smtplib.SMTPServerDisconnected, "data"),
    SandboxFailure.NO_ANSWER: (smtplib.SMTPServerDisconnected, "envelope"),
    SandboxFailure.UNTRUSTED_CERTIFICATE: (ssl.SSLCertVerificationError, "starttls"),
}


@pytest.mark.parametrize("failure", list(ENGINE_EXPECTED), ids=str)
def test_engine_sees_each_simulated_failure(sandbox: Sandbox, failure: SandboxFailure) -> None:
    error_type, stage = ENGINE_EXPECTED[failure]
    sandbox.simulate(failure)
    result = engine_send(sandbox, timeout=0.5 if failure is SandboxFailure.NO_ANSWER else 5.0)
    assert not result.ok
    assert isinstance(result.error, error_type), repr(result.error)
    assert result.failed_stage == stage
    assert engine_send(sandbox).ok  # and the next send works again


def test_engine_partial_success(sandbox: Sandbox) -> None:
    sandbox.simulate(SandboxFailure.ONE_RECIPIENT_REFUSED)
    result = engine_send(sandbox)
    assert result.ok
    assert result.partial
    assert not result.recipients[TO[0]].accepted
    assert result.recipients[TO[0]].code == 550
    assert result.recipients[TO[1]].accepted


def test_localhost_name_works_with_the_certificate(tmp_path: Path) -> None:
    with Sandbox(tmp_path, host="localhost") as box:
        assert box.account().smtp.host == "localhost"
        assert send(box) == {}
