"""A server that quotes the password back: the engine scrubs the exception at the source, so the
diagnosis (outbox file, error dialog, Copy details, CLI) never carries it, in any form."""

from __future__ import annotations

import base64
import imaplib
import json
import smtplib
import traceback
from collections.abc import Callable

import pytest

from mailgui.core.accounts import Security
from mailgui.core.diagnosis import DiagnosisContext, explain, explain_partial
from mailgui.core.discovery import PortChoice, discover
from mailgui.core.imap import ImapProtocolError, imap_diagnosis
from mailgui.core.probe import run_ladder
from mailgui.core.smtp import check, send_message
from mailgui.core.transcript import REDACTED, Transcript, scrub_exception
from tests.smtp_servers import PASSWORD, USER, SmtpServer, make_message


def b64(data: str) -> str:
    return base64.b64encode(data.encode()).decode()


def forms(user: str, password: str) -> list[str]:
    """The password as a server could echo it: plain, base64, inside the PLAIN blob."""
    return [
        password,
        b64(password),
        b64(f"\0{user}\0{password}"),
        b64(f"{user}\0{user}\0{password}"),
    ]


ECHOES = {
    "plain": PASSWORD,
    "base64": b64(PASSWORD),
    "plain-blob": b64(f"\0{USER}\0{PASSWORD}"),
}


def every_trace(error: BaseException | None) -> str:
    """Everything a user, a file or a log could see of the error and its diagnosis."""
    assert error is not None
    diagnosis = explain(error, DiagnosisContext(host="localhost", username=USER))
    return "\n".join(
        [
            json.dumps(diagnosis.to_json(), ensure_ascii=False),
            diagnosis.to_text(),
            str(error),
            repr(error),
            repr(error.args),
            "".join(traceback.format_exception(error)),
        ]
    )


def assert_clean(text: str) -> None:
    for secret in forms(USER, PASSWORD):
        assert secret not in text


@pytest.mark.parametrize("echo", list(ECHOES))
def test_auth_reply_echoing_the_password(echo: str) -> None:
    reply = f"535 5.7.8 Password {ECHOES[echo]} is wrong"
    with SmtpServer("starttls", fail={"AUTH": reply}) as server:
        settings = server.settings()
        runs: dict[str, Callable[[], BaseException | None]] = {
            "check": lambda: check(settings, PASSWORD, timeout=5).error,
            "send": lambda: send_message(settings, PASSWORD, make_message(), timeout=5).error,
            "ladder": lambda: (
                run_ladder(settings, PASSWORD, email=USER, timeout=5, mx_timeout=0).error
            ),
        }
        for name, run in runs.items():
            error = run()
            assert isinstance(error, smtplib.SMTPAuthenticationError), name
            assert REDACTED in error.smtp_error.decode(), name
            assert_clean(every_trace(error))
        ladder = run_ladder(settings, PASSWORD, email=USER, timeout=5, mx_timeout=0)
        assert ladder.diagnosis is not None
        assert_clean(json.dumps(ladder.to_json()))
        found = discover(
            settings,
            email=USER,
            password=PASSWORD,
            hosts=["localhost"],
            ports=[PortChoice(server.port, Security.STARTTLS)],
            timeout=3,
        )
    signed_in = [a for a in found.attempts if a.auth_checked]
    assert signed_in
    assert signed_in[0].error is not None
    assert_clean(every_trace(signed_in[0].error))
    assert_clean(json.dumps(found.to_json()))


@pytest.mark.parametrize("command", ["MAIL", "RCPT", "DATA", "DATA_END"])
def test_envelope_and_data_replies_echoing_the_password(command: str) -> None:
    reply = f"554 5.7.1 Rejected: {PASSWORD} ({b64(PASSWORD)})"
    expected = {
        "MAIL": smtplib.SMTPSenderRefused,
        "RCPT": smtplib.SMTPRecipientsRefused,
        "DATA": smtplib.SMTPDataError,
        "DATA_END": smtplib.SMTPDataError,
    }[command]
    with SmtpServer("starttls", fail={command: reply}) as server:
        result = send_message(server.settings(), PASSWORD, make_message(), timeout=5)
        assert isinstance(result.error, expected), result.error
        assert_clean(every_trace(result.error))
        assert_clean("\n".join(f"{s.name} {s.detail}" for s in result.stages))
        if command in ("MAIL", "RCPT"):
            dry = check(server.settings(), PASSWORD, timeout=5, dry_run_from=USER)
            assert isinstance(dry.error, expected), dry.error
            assert_clean(every_trace(dry.error))
    if isinstance(result.error, smtplib.SMTPRecipientsRefused):
        assert_clean(repr(result.error.recipients))
        assert_clean(repr(result.recipients))


def test_partly_refused_recipient_echoing_the_password() -> None:
    refused = {"carol@example.com": f"550 5.1.1 no such user ({PASSWORD})"}
    with SmtpServer("starttls", fail={"RCPT": refused}) as server:
        built = make_message(to=("bob@example.com", "carol@example.com"))
        result = send_message(server.settings(), PASSWORD, built, timeout=5)
    assert result.ok, result.error
    assert result.partial
    assert REDACTED in result.recipients["carol@example.com"].message
    diagnosis = explain_partial(result.recipients)
    assert_clean(json.dumps(diagnosis.to_json()) + repr(result.recipients))


def test_scrub_exception_on_imap_errors() -> None:
    secret = "hunter2-imap"
    error = imaplib.IMAP4.error(f"[AUTHENTICATIONFAILED] password {secret} is wrong".encode())
    error.__cause__ = ValueError(f"cause {b64(secret)}")
    assert scrub_exception(error, [secret]) is error
    assert secret not in str(error)
    assert secret not in repr(error)
    assert b64(secret) not in "".join(traceback.format_exception(error))
    diagnosis = imap_diagnosis(error, DiagnosisContext(stage="login", username=USER))
    assert secret not in json.dumps(diagnosis.to_json())
    assert diagnosis.server_reply
    assert REDACTED in diagnosis.server_reply

    protocol = ImapProtocolError("LIST", f"NO {b64(f'{chr(0)}bob{chr(0)}{secret}')}")
    scrub_exception(protocol, Transcript([secret]))
    assert REDACTED in protocol.reply
    assert REDACTED in str(protocol)

    # The password inside imaplib's own encoding failure (the whole LOGIN line in .object).
    try:
        f'LOGIN bob "{secret}é"'.encode("ascii")
    except UnicodeEncodeError as exc:
        encoding_error = exc
    scrub_exception(encoding_error, [secret])
    assert secret not in str(encoding_error.object)


def test_scrub_exception_leaves_unrelated_errors_alone() -> None:
    error = smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials \xff")
    scrub_exception(error, ["hunter2"])
    assert error.smtp_error == b"5.7.8 bad credentials \xff"
    assert error.args == (535, b"5.7.8 bad credentials \xff")
    scrub_exception(error, [])  # no secrets: nothing to do
    assert str(error) == str((535, b"5.7.8 bad credentials \xff"))


@pytest.mark.parametrize("password", ["a", "5", "E", "550", "Q"])
def test_a_short_password_does_not_change_a_tls_diagnosis(
    starttls_server: SmtpServer, password: str
) -> None:
    # SSL/TLS spoken to a STARTTLS port: ssl's reason WRONG_VERSION_NUMBER decides the advice.
    settings = starttls_server.settings(security=Security.SSL)
    result = check(settings, password, timeout=5)
    assert getattr(result.error, "reason", None) == "WRONG_VERSION_NUMBER"
    diagnosis = explain(result.error, DiagnosisContext.for_settings(settings))
    assert diagnosis.category.value == "tls-mode"


@pytest.mark.parametrize("password", ["a", "e", "5"])
def test_a_short_password_leaves_the_server_reply_readable(
    smtp_server_factory: Callable[..., SmtpServer], password: str
) -> None:
    server = smtp_server_factory(
        "plain", fail={"RCPT": "554 5.7.1 <bob@example.org>: Relay access denied"}
    )
    built = make_message(to=("bob@example.org",))
    result = send_message(server.settings(), None, built, timeout=5)
    assert isinstance(result.error, smtplib.SMTPRecipientsRefused)
    scrub_exception(result.error, [password])
    (code, reply) = result.error.recipients["bob@example.org"]
    assert reply == b"5.7.1 <bob@example.org>: Relay access denied"
    assert (
        explain(result.error).title
        == explain(smtplib.SMTPRecipientsRefused({"bob@example.org": (code, reply)})).title
    )


def test_a_short_password_echoed_on_its_own_is_still_scrubbed() -> None:
    error = smtplib.SMTPAuthenticationError(535, b"5.7.8 Password x9 is wrong")
    scrub_exception(error, ["x9"])
    assert error.smtp_error == f"5.7.8 Password {REDACTED} is wrong".encode()
    assert error.smtp_code == 535


def test_the_refused_sender_address_is_kept() -> None:
    error = smtplib.SMTPSenderRefused(553, b"5.7.1 alice not allowed", "alice@example.com")
    scrub_exception(error, ["alice"])
    assert error.sender == "alice@example.com"
    assert error.args[2] == "alice@example.com"
    assert b"alice" not in error.smtp_error
