"""explain() never raises: arbitrary exception types, codes, replies and contexts."""

from __future__ import annotations

import smtplib
import socket
import ssl
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailgui.core.accounts import Security
from mailgui.core.diagnosis import Category, Diagnosis, DiagnosisContext, explain, explain_partial
from mailgui.core.errors import (
    Cancelled,
    CertificatePinMismatch,
    ConfigCorrupt,
    InputError,
    InsecureAuthRefused,
    KeyringAccessDenied,
    KeyringLocked,
    KeyringUnavailable,
    MailguiError,
    MessageTooBig,
)

codes = st.one_of(
    st.integers(),
    st.integers(min_value=-1, max_value=999),
    st.sampled_from([421, 450, 451, 452, 454, 500, 530, 534, 535, 550, 552, 553, 554]),
    st.none(),
    st.text(max_size=5),
    st.floats(allow_nan=True),
)
enhanced = st.builds(
    "{}.{}.{} ".format,
    st.sampled_from([2, 4, 5, 9]),
    st.integers(0, 1000),
    st.integers(0, 1000),
)
replies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300),
    st.builds(lambda e, t: (e + t).encode(), enhanced, st.text(max_size=200)),
    st.builds(
        lambda e, t: e + t,
        enhanced,
        st.sampled_from(
            [
                "STARTTLS first",
                "Relay access denied",
                "too many connections",
                "https://support.google.com/mail/?p=BadCredentials",
                "basic authentication is disabled",
                "quota exceeded",
                "\n5.7.8 second line",
            ]
        ),
    ),
    st.none(),
    st.integers(),
)
texts = st.one_of(st.none(), st.text(max_size=40), st.integers(), st.binary(max_size=10))
securities = st.one_of(st.none(), st.sampled_from(list(Security)), st.text(max_size=8))
contexts = st.one_of(
    st.none(),
    st.builds(
        DiagnosisContext,
        host=texts,
        port=st.one_of(st.none(), st.integers(), st.sampled_from([25, 465, 587, 2525])),
        security=securities,
        username=texts,
        email=st.one_of(texts, st.sampled_from(["me@gmail.com", "me@outlook.com", "x@gmx.de"])),
        stage=st.one_of(
            st.none(),
            st.text(max_size=10),
            st.sampled_from(
                ["dns", "connect", "tls", "ehlo", "starttls", "auth", "envelope", "data", "quit"]
            ),
        ),
        timeout=st.one_of(st.none(), st.floats(allow_nan=True), st.integers()),
        uses_password=st.one_of(st.none(), st.booleans()),
        cert_names=st.lists(st.text(max_size=20), max_size=3).map(tuple),
    ),
)


def _cert(code: Any) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "x")
    error.verify_code = code
    return error


def _ssl(reason: Any, cls: type[ssl.SSLError]) -> ssl.SSLError:
    error = cls(1, "x")
    error.reason = reason
    return error


def _recipients(data: Any) -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused(data)


recipient_maps = st.one_of(
    st.dictionaries(st.text(max_size=30), st.tuples(codes, replies), max_size=5),
    st.dictionaries(st.text(max_size=10), replies, max_size=3),
    st.none(),
    st.integers(),
)

errors = st.one_of(
    st.builds(smtplib.SMTPResponseException, codes, replies),
    st.builds(smtplib.SMTPAuthenticationError, codes, replies),
    st.builds(smtplib.SMTPSenderRefused, codes, replies, texts),
    st.builds(smtplib.SMTPDataError, codes, replies),
    st.builds(smtplib.SMTPConnectError, codes, replies),
    st.builds(smtplib.SMTPHeloError, codes, replies),
    st.builds(_recipients, recipient_maps),
    st.builds(smtplib.SMTPNotSupportedError, texts),
    st.builds(smtplib.SMTPServerDisconnected, texts),
    st.builds(smtplib.SMTPException, texts),
    st.builds(_cert, st.one_of(codes, st.sampled_from([2, 9, 10, 18, 19, 20, 21, 23, 62, 64]))),
    st.builds(
        _ssl,
        st.one_of(texts, st.sampled_from(["WRONG_VERSION_NUMBER", "UNEXPECTED_EOF_WHILE_READING"])),
        st.sampled_from([ssl.SSLError, ssl.SSLEOFError, ssl.SSLZeroReturnError]),
    ),
    st.builds(socket.gaierror, st.integers(-20, 20), texts),
    st.builds(ConnectionRefusedError, st.integers(), texts),
    st.builds(ConnectionResetError),
    st.builds(BrokenPipeError),
    st.builds(TimeoutError),
    st.builds(OSError, st.one_of(st.none(), st.integers()), texts),
    st.builds(Cancelled, texts),
    st.builds(InsecureAuthRefused, texts, codes),
    st.builds(MessageTooBig, codes, codes),
    st.builds(CertificatePinMismatch, texts, codes, texts, texts),
    st.builds(InputError, texts, texts, texts),
    st.builds(KeyringUnavailable, texts),
    st.builds(KeyringLocked),
    st.builds(KeyringAccessDenied),
    st.builds(ConfigCorrupt, texts, texts, texts),
    st.builds(MailguiError),
    st.builds(ValueError, texts),
    st.builds(RuntimeError),
    st.builds(KeyError, texts),
    st.builds(
        UnicodeEncodeError,
        st.just("ascii"),
        st.text(max_size=10),
        st.just(0),
        st.just(1),
        st.just("x"),
    ),
    st.builds(OverflowError),
    st.builds(KeyboardInterrupt),
    st.builds(BaseException),
)
causes = st.one_of(st.none(), st.builds(TimeoutError), st.builds(OSError), st.builds(ValueError))


def assert_valid(d: Diagnosis) -> None:
    assert isinstance(d, Diagnosis)
    assert isinstance(d.category, Category)
    assert isinstance(d.title, str)
    assert d.title.strip()
    assert isinstance(d.explanation, str)
    assert d.explanation.strip()
    assert d.fixes
    assert all(isinstance(f, str) and f.strip() for f in d.fixes)
    assert d.reply_code is None or isinstance(d.reply_code, int)
    d.to_json()
    d.to_text()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(error=errors, ctx=contexts, cause=causes)
def test_explain_never_raises(
    error: BaseException, ctx: DiagnosisContext | None, cause: Any
) -> None:
    if cause is not None:
        error.__context__ = cause
    d = explain(error, ctx)
    assert_valid(d)
    # The safety net must not be what answered: that would hide a bug in the decoder.
    assert "could not work out" not in d.explanation


@settings(max_examples=150, deadline=None)
@given(recipients=recipient_maps, ctx=contexts)
def test_explain_partial_never_raises(recipients: Any, ctx: DiagnosisContext | None) -> None:
    d = explain_partial(recipients, ctx)
    assert_valid(d)
    assert "could not work out" not in d.explanation
    assert d.category in (Category.RECIPIENTS, Category.PROTOCOL)


def test_garbage_that_is_not_even_an_exception() -> None:
    assert_valid(explain("not an exception"))  # type: ignore[arg-type]
    assert_valid(explain(None, "not a context"))  # type: ignore[arg-type]


class Hostile(Exception):
    """Blows up on any attribute access or str(): explain must still answer."""

    def __getattribute__(self, name: str) -> Any:
        if name in ("__class__", "__traceback__"):
            return object.__getattribute__(self, name)
        raise RuntimeError("hostile")

    def __str__(self) -> str:
        raise RuntimeError("hostile")


def test_hostile_exception() -> None:
    assert_valid(explain(Hostile()))


class HostileResponse(smtplib.SMTPResponseException):
    @property
    def smtp_code(self) -> int:
        raise RuntimeError("hostile")

    @smtp_code.setter
    def smtp_code(self, value: int) -> None:
        pass


def test_internal_failure_gives_generic_diagnosis() -> None:
    d = explain(HostileResponse(535, b"x"), DiagnosisContext(stage="auth"))
    assert_valid(d)
    assert d.category == Category.PROTOCOL
