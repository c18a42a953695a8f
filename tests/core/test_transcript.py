"""The transcript: both directions, timestamps, and never the password in any form."""

from __future__ import annotations

import base64
import re

import pytest

from mailgui.core.smtp import check, send_message
from mailgui.core.transcript import Direction, Transcript
from tests.smtp_servers import PASSWORD, USER, make_message


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def forbidden_forms(user: str, password: str) -> list[str]:
    return [
        password,
        b64(password),
        b64(f"\0{user}\0{password}"),  # the AUTH PLAIN blob
        b64(f"{user}\0{password}"),
    ]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_password_never_in_a_real_session(smtp_server_factory, mechanism):
    server = smtp_server_factory("starttls", mechanisms=(mechanism,))
    result = send_message(server.settings(), PASSWORD, make_message(), timeout=5)
    assert result.ok, result.error
    text = result.transcript.to_text()
    for form in forbidden_forms(USER, PASSWORD):
        assert form not in text
    assert f"C: AUTH {mechanism}" in text
    assert "235 2.7.0 Authentication successful" in text
    # Stage details and the whole JSON export are clean too.
    blob = " ".join(s.detail for s in result.stages) + " ".join(result.transcript.to_json())
    for form in forbidden_forms(USER, PASSWORD):
        assert form not in blob


def test_failed_auth_is_redacted_too(starttls_server):
    result = check(starttls_server.settings(), PASSWORD + "x", timeout=5)
    text = result.transcript.to_text()
    for form in forbidden_forms(USER, PASSWORD + "x"):
        assert form not in text
    assert "535" in text


def test_message_data_is_summarized(plain_server):
    built = make_message(body="TOP-SECRET-BODY-CONTENT\n")
    result = send_message(plain_server.settings(), None, built, timeout=5)
    text = result.transcript.to_text()
    assert "TOP-SECRET-BODY-CONTENT" not in text
    assert re.search(r"C: <\d+ bytes of message data>", text)
    assert "S: 250 2.0.0 OK queued" in text


def test_lines_have_directions_and_rising_timestamps(plain_server):
    result = check(plain_server.settings(), None, timeout=5)
    lines = result.transcript.lines
    assert {line.direction for line in lines} == {
        Direction.CLIENT,
        Direction.SERVER,
        Direction.INFO,
    }
    stamps = [line.elapsed for line in lines]
    assert stamps == sorted(stamps)
    assert all(
        re.fullmatch(r"\+\d+\.\d{3} [CS*]: .*", entry) for entry in result.transcript.to_json()
    )


def test_auth_arguments_and_challenge_answers_are_redacted():
    t = Transcript(secrets=["hunter2"])
    t.client("AUTH PLAIN " + b64("\0bob\0hunter2"))
    t.client("AUTH LOGIN " + b64("bob"))
    t.server("334 UGFzc3dvcmQ6")
    t.client(b64("hunter2"))
    t.server("235 ok")
    t.client("MAIL FROM:<bob@example.com>")
    assert [line.text for line in t.lines] == [
        "AUTH PLAIN ***",
        "AUTH LOGIN ***",
        "334 UGFzc3dvcmQ6",
        "***",
        "235 ok",
        "MAIL FROM:<bob@example.com>",
    ]


def test_secret_anywhere_is_redacted():
    t = Transcript()
    t.add_secret("s3cr3t!")
    t.info("server said s3cr3t! back")
    t.server("500 unknown " + b64("s3cr3t!"))
    t.server("500 weird " + b64("prefix-s3cr3t!-suffix"))
    t.client("XCMD " + b64("\0user\0s3cr3t!"))
    text = t.to_text()
    assert "s3cr3t!" not in text
    assert b64("s3cr3t!") not in text
    assert text.count("***") == 4
    assert t.redact("a s3cr3t! b") == "a *** b"


def test_imap_style_login_is_redacted():
    t = Transcript(secrets=["pw-123"])
    t.client('a1 LOGIN bob "pw-123"')
    t.client("a2 AUTHENTICATE PLAIN " + b64("\0bob\0pw-123"))
    assert [line.text for line in t.lines] == ["a1 LOGIN ***", "a2 AUTHENTICATE PLAIN ***"]


def test_non_secret_text_is_untouched():
    t = Transcript(secrets=["hunter2"])
    t.server("250-AUTH PLAIN LOGIN")
    t.client("EHLO [127.0.0.1]")
    assert [line.text for line in t.lines] == ["250-AUTH PLAIN LOGIN", "EHLO [127.0.0.1]"]


def test_scrubbing_an_exception_keeps_recipient_addresses() -> None:
    import smtplib

    from mailgui.core.transcript import scrub_exception

    error = smtplib.SMTPRecipientsRefused(
        {"bob@mail.example.org": (550, b"5.1.1 mail for bob refused, password mail is wrong")}
    )
    scrub_exception(error, ["mail"])
    assert list(error.recipients) == ["bob@mail.example.org"]
    code, reply = error.recipients["bob@mail.example.org"]
    assert code == 550
    assert b"password *** is wrong" in reply
