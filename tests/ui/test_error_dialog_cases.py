"""One real Diagnosis per Category, made by explain() from a real failure.

Most failures are real: the built-in sandbox (with its failure simulator) and the app's own SMTP
engine produce them on loopback, with the engine's redacted transcript. The rest (DNS, a few
server replies, keyring, input, cancel) are the exception objects core would raise.
"""

from __future__ import annotations

import functools
import smtplib
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mailgui.core.accounts import Account, Security, ServerSettings
from mailgui.core.diagnosis import Category, Diagnosis, DiagnosisContext, explain, explain_partial
from mailgui.core.errors import Cancelled, InputError, KeyringUnavailable
from mailgui.core.message import Draft, build_message
from mailgui.core.sandbox import Sandbox, SandboxFailure
from mailgui.core.smtp import send_message

TO = ("ann@mailgui.example", "bob@mailgui.example")


@dataclass(frozen=True)
class Case:
    diagnosis: Diagnosis
    transcript: str = ""


def _send(
    account: Account,
    failure: SandboxFailure | None = None,
    *,
    settings: ServerSettings | None = None,
    password: str | None = Sandbox.PASSWORD,
    timeout: float = 5.0,
    sandbox: Sandbox,
) -> Case:
    """Send through the engine, exactly as the app does, and explain what went wrong."""
    sandbox.simulate(failure)
    settings = settings or account.smtp
    built = build_message(Draft(from_addr=account.email, to=TO, subject="Report", body="Hi."))
    result = send_message(settings, password, built, timeout=timeout)
    context = DiagnosisContext.for_settings(
        settings, account.email, result.failed_stage, timeout=timeout
    )
    if result.ok and result.partial:
        diagnosis = explain_partial(result.recipients, context)
    else:
        assert result.error is not None, "the send was expected to fail"
        diagnosis = explain(result.error, context)
    return Case(diagnosis, result.transcript.to_text())


def _explain(error: BaseException, stage: str) -> Case:
    settings = ServerSettings(host="smtp.exmaple.com", port=587, security=Security.STARTTLS)
    context = DiagnosisContext.for_settings(settings, "you@example.org", stage)
    return Case(explain(error, context))


@functools.cache
def real_cases() -> dict[Category, Case]:
    """Category -> a realistic case. Built once per test run (about a second)."""
    cases: dict[Category, Case] = {}
    with tempfile.TemporaryDirectory() as folder, Sandbox(Path(folder)) as box:
        account = box.account()
        smtp = account.smtp

        def send(failure: SandboxFailure | None = None, **kwargs: object) -> Case:
            return _send(account, failure, sandbox=box, **kwargs)  # type: ignore[arg-type]

        cases[Category.AUTH] = send(SandboxFailure.APP_PASSWORD_REQUIRED)
        cases[Category.SENDER] = send(SandboxFailure.SENDER_REFUSED)
        cases[Category.RECIPIENTS] = send(SandboxFailure.ONE_RECIPIENT_REFUSED)
        cases[Category.SIZE] = send(SandboxFailure.MESSAGE_TOO_BIG)
        cases[Category.DISCONNECTED] = send(SandboxFailure.DISCONNECT_DURING_DATA)
        cases[Category.TIMEOUT] = send(SandboxFailure.NO_ANSWER, timeout=0.3)
        cases[Category.CERTIFICATE] = send(SandboxFailure.UNTRUSTED_CERTIFICATE)
        cases[Category.TLS_MODE] = send(settings=smtp.replace(security=Security.SSL))
        plain = smtp.replace(security=Security.NONE)
        cases[Category.STARTTLS] = send(settings=plain, password=None)
        cases[Category.INSECURE] = send(settings=plain)
        cases[Category.AUTH_UNAVAILABLE] = send(settings=plain.replace(allow_insecure_auth=True))
        with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        cases[Category.CONNECT] = send(settings=smtp.replace(port=closed_port))

    sender = "you@example.org"
    cases[Category.DNS] = _explain(
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "connect"
    )
    cases[Category.DATA] = _explain(
        smtplib.SMTPDataError(554, b"5.6.0 Message content rejected"), "data"
    )
    cases[Category.RATE_LIMIT] = _explain(
        smtplib.SMTPSenderRefused(451, b"4.7.0 Too many messages, slow down", sender), "envelope"
    )
    cases[Category.PROTOCOL] = _explain(smtplib.SMTPHeloError(501, b"Syntax error"), "ehlo")
    cases[Category.KEYRING] = _explain(KeyringUnavailable("no Secret Service is running"), "auth")
    cases[Category.INPUT] = _explain(
        InputError("to", "ann(at)example.org is not an email address.", "ann(at)example.org"),
        "envelope",
    )
    cases[Category.CANCELLED] = _explain(Cancelled("data"), "data")
    return cases


def test_every_category_has_a_real_case() -> None:
    cases = real_cases()
    assert set(cases) == set(Category)
    for category, case in cases.items():
        assert case.diagnosis.category is category, (category, case.diagnosis.title)
        assert case.diagnosis.title
        assert case.diagnosis.fixes


def test_sandbox_cases_carry_a_redacted_transcript() -> None:
    auth = real_cases()[Category.AUTH]
    assert "534-5.7.9" in auth.transcript
    assert "C: AUTH PLAIN ***" in auth.transcript
    assert "mailgui-demo.localhost" in auth.transcript
