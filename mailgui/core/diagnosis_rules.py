"""Server reply rules, as data: (command, reply code, enhanced code, reply text) -> advice.

Each rule names the conditions that must all hold and the advice to give. Rules are checked in
order, most specific first; provider rules (in `provider_rules`) come before these generic ones.
Only the SERVER's reply text is searched (`pattern`), never the text of Python's own exceptions.

`kind` is the SMTP step the reply answered: banner, helo, starttls, auth, mail, rcpt, data, other.
The advice itself lives in `diagnosis_advice`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from mailgui.core.diagnosis_advice import (
    ACCOUNT_DISABLED,
    APP_PASSWORD,
    AUTH_METHOD,
    AUTH_TEMPORARY,
    BAD_CREDENTIALS,
    BANNER_REFUSED,
    CONTENT_FORMAT,
    ENCRYPTION_FOR_AUTH,
    GREETING_REFUSED,
    MAILBOX_DISABLED,
    MAILBOX_FULL,
    MAILBOX_UNKNOWN,
    PASSWORD_TRANSITION,
    RATE_LIMITED,
    RCPT_DOMAIN,
    RCPT_POLICY,
    RCPT_SYNTAX,
    RELAY_DENIED,
    SENDER_AUTH_CHECKS,
    SENDER_INVALID,
    SENDER_NOT_ALLOWED,
    SERVER_BUSY,
    SIGN_IN_REQUIRED,
    SPAM_POLICY,
    STARTTLS_FIRST,
    STARTTLS_UNAVAILABLE,
    TOO_BIG,
    TOO_MANY_RCPTS,
    Advice,
)
from mailgui.core.status_codes import EnhancedCode


@dataclass(frozen=True)
class ReplyRule:
    """Conditions (all must hold) -> advice."""

    advice: Advice
    kinds: frozenset[str] = frozenset()
    codes: frozenset[int] = frozenset()
    enhanced: tuple[str, ...] = ()  # any of: "5.7.8" exact, "x.7.8" any class, "x.7" subject
    pattern: str | None = None  # searched case-insensitively in the server's reply text
    klass: int | None = None  # reply class 4 or 5
    provider: str | None = None  # provider key; None for generic rules
    any_provider: bool = False  # code unique to `provider`: match (and name it) even if unknown
    insecure_only: bool = False  # only when the connection was not encrypted


def rule(
    advice: Advice,
    *kinds: str,
    codes: Iterable[int] = (),
    enhanced: Iterable[str] = (),
    pattern: str | None = None,
    klass: int | None = None,
    provider: str | None = None,
    any_provider: bool = False,
    insecure_only: bool = False,
) -> ReplyRule:
    """Shorthand: rule(advice, "mail", "rcpt", codes={530}, pattern="starttls")."""
    return ReplyRule(
        advice,
        kinds=frozenset(kinds),
        codes=frozenset(codes),
        enhanced=tuple(enhanced),
        pattern=pattern,
        klass=klass,
        provider=provider,
        any_provider=any_provider,
        insecure_only=insecure_only,
    )


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def enhanced_matches(wanted: str, code: EnhancedCode | None) -> bool:
    if code is None:
        return False
    parts = wanted.split(".")
    if parts[0] == "x":
        rest = parts[1:]
        if len(rest) == 1:
            return str(code.subject) == rest[0]
        return code.key == ".".join(rest)
    return str(code) == wanted


def matches(
    r: ReplyRule,
    kind: str,
    code: int | None,
    enhanced: EnhancedCode | None,
    text: str,
    *,
    insecure: bool,
) -> bool:
    if r.kinds and kind not in r.kinds:
        return False
    if r.codes and code not in r.codes:
        return False
    if r.klass is not None:
        klass = code // 100 if code is not None else (enhanced.klass if enhanced else None)
        if klass != r.klass:
            return False
    if r.enhanced and not any(enhanced_matches(w, enhanced) for w in r.enhanced):
        return False
    if r.pattern is not None and not _compiled(r.pattern).search(text):
        return False
    return not (r.insecure_only and not insecure)


_STARTTLS_TEXT = r"starttls|tls first|encryption (is )?required|must (use|issue).{0,20}tls"
_AUTH_TEXT = r"authenticat|auth(entication)? required|sign[ -]?in|log ?in|not logged"
_RATE_TEXT = (
    r"too many|rate.?limit|\brate\b|quota|sending limit|limit exceeded|exceeded.{0,20}limit|"
    r"throttl|try (again )?later|temporarily (deferred|blocked|rejected)|greylist|graylist"
)
_SENDER_TEXT = (
    r"not owned|not allowed to send|send ?as|not permitted|not authori[sz]ed to send|"
    r"sender address rejected|sender.{0,40}not.{0,20}(allowed|verified|permitted|authori)|"
    r"from address|envelope.?sender|does ?n[o']t match|not (one of )?your|relaying disallowed"
)
_SPAM_TEXT = r"spam|policy|blocked|virus|malware|phish|suspicious|reputation|content"
ENVELOPE = ("mail", "rcpt", "data")

GENERIC_RULES: tuple[ReplyRule, ...] = (
    # Encryption first: servers say it with 530, 554 or 5.7.0 and the word STARTTLS.
    rule(STARTTLS_FIRST, "mail", "rcpt", "data", "auth", "helo", pattern=_STARTTLS_TEXT, klass=5),
    rule(ENCRYPTION_FOR_AUTH, "auth", enhanced=("x.7.11", "x.7.10")),
    rule(ENCRYPTION_FOR_AUTH, "auth", codes={538}),
    rule(STARTTLS_FIRST, "mail", "rcpt", "data", enhanced=("x.7.10",)),
    # Sizes before anything else at MAIL / DATA.
    rule(TOO_BIG, "mail", "data", enhanced=("x.3.4", "x.2.3")),
    rule(MAILBOX_FULL, "mail", "rcpt", "data", enhanced=("x.2.2",)),
    rule(TOO_BIG, "mail", "data", codes={552, 523}),
    # Limits.
    rule(TOO_MANY_RCPTS, "rcpt", "mail", "data", enhanced=("x.5.3",)),
    rule(TOO_MANY_RCPTS, "rcpt", codes={452}, pattern=r"recipient"),
    rule(RATE_LIMITED, enhanced=("x.4.5",)),
    rule(RATE_LIMITED, codes={450}),  # "try again later": limits, greylisting, busy mailboxes
    rule(RATE_LIMITED, codes={421}, pattern=_RATE_TEXT),
    rule(SERVER_BUSY, codes={421}),
    rule(RATE_LIMITED, pattern=_RATE_TEXT, klass=4),
    rule(RATE_LIMITED, "mail", "rcpt", "data", "auth", enhanced=("4.7.0",)),
    rule(RATE_LIMITED, "mail", "data", "auth", pattern=r"quota|too many (messages|login|auth)"),
    # Sign-in.
    rule(APP_PASSWORD, "auth", enhanced=("x.7.9",)),
    rule(APP_PASSWORD, "auth", codes={534}),
    rule(PASSWORD_TRANSITION, "auth", enhanced=("x.7.12",)),
    rule(PASSWORD_TRANSITION, "auth", codes={432}),
    rule(ACCOUNT_DISABLED, "auth", "mail", enhanced=("x.7.13",)),
    rule(AUTH_METHOD, "auth", codes={504}),
    rule(AUTH_METHOD, "auth", enhanced=("x.5.4", "x.7.4")),
    rule(AUTH_TEMPORARY, "auth", klass=4),
    rule(BAD_CREDENTIALS, "auth", klass=5),
    # Envelope: relaying and signing in.
    rule(RELAY_DENIED, "rcpt", "mail", pattern=r"relay"),
    rule(SIGN_IN_REQUIRED, "mail", "rcpt", "data", codes={530}),
    rule(SIGN_IN_REQUIRED, "mail", "rcpt", enhanced=("x.7.0",), pattern=_AUTH_TEXT),
    # Sender.
    rule(SENDER_INVALID, "mail", enhanced=("x.1.7", "x.1.8")),
    rule(SENDER_NOT_ALLOWED, "mail", "data", pattern=_SENDER_TEXT, klass=5),
    rule(SENDER_NOT_ALLOWED, "mail", codes={553}),
    rule(SENDER_NOT_ALLOWED, "mail", enhanced=("x.7.1",)),
    # Recipients.
    rule(MAILBOX_UNKNOWN, "rcpt", enhanced=("x.1.1", "x.1.6")),
    rule(RCPT_DOMAIN, "rcpt", enhanced=("x.1.2", "x.1.10", "x.4.4")),
    rule(RCPT_SYNTAX, "rcpt", enhanced=("x.1.3",)),
    rule(MAILBOX_DISABLED, "rcpt", enhanced=("x.2.1",)),
    rule(RCPT_SYNTAX, "rcpt", codes={501, 553, 555}),
    rule(
        MAILBOX_UNKNOWN,
        "rcpt",
        pattern=r"user unknown|unknown user|no such (user|mailbox)|does not exist|not found",
    ),
    rule(RCPT_POLICY, "rcpt", enhanced=("x.7",), klass=5),
    # Content.
    rule(SENDER_AUTH_CHECKS, "data", enhanced=("x.7.20", "x.7.21", "x.7.22", "x.7.23")),
    rule(SENDER_AUTH_CHECKS, "data", enhanced=("x.7.24", "x.7.25", "x.7.26", "x.7.27")),
    rule(CONTENT_FORMAT, "data", enhanced=("x.6",)),
    rule(SPAM_POLICY, "data", enhanced=("x.7",), klass=5),
    rule(SPAM_POLICY, "data", pattern=_SPAM_TEXT, klass=5),
    rule(SPAM_POLICY, "data", codes={554}),
    # Connection and greeting.
    rule(BANNER_REFUSED, "banner", klass=5),
    rule(GREETING_REFUSED, "helo", klass=5),
    rule(STARTTLS_UNAVAILABLE, "starttls"),
)
