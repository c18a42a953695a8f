"""Server reply rules, as data: (command, reply code, enhanced code, reply text) -> advice.

Each rule names the conditions that must all hold and the advice to give. Rules are checked in
order, most specific first; provider rules (in `provider_rules`) come before these generic ones.
Only the SERVER's reply text is searched (`pattern`), never the text of Python's own exceptions.

`kind` is the SMTP step the reply answered: banner, helo, starttls, auth, mail, rcpt, data, other.
Fix texts may use {port}, {host}, {starttls_port} and {ssl_port}; they are filled from the context.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from mailgui.core.diagnosis_types import Action, Category
from mailgui.core.status_codes import EnhancedCode

A = Action


@dataclass(frozen=True)
class Advice:
    """What a matched rule says and offers."""

    category: Category
    title: str
    hint: str
    fixes: tuple[str, ...]
    help_url: str | None = None
    retryable: bool | None = None  # None: decided by the reply class (4xx yes, 5xx no)
    actions: tuple[Action, ...] | None = None  # None: the category's defaults
    field: str | None = None
    suggest: str | None = None  # "starttls" | "ssl" | "submission": filled from the context


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


STARTTLS_FIRST = Advice(
    Category.STARTTLS,
    "The server wants an encrypted connection first",
    "The server refuses to go on until the connection is encrypted with STARTTLS, and this "
    "account is set to talk to it without encryption.",
    (
        "Set Security to STARTTLS and Port to {starttls_port}.",
        "Or, if the provider offers it, set Security to SSL/TLS and Port to 465.",
    ),
    retryable=False,
    field="smtp.security",
    suggest="starttls",
)
ENCRYPTION_FOR_AUTH = Advice(
    Category.STARTTLS,
    "The server only accepts a password over an encrypted connection",
    "The server will not take a password over an unencrypted connection.",
    (
        "Set Security to STARTTLS and Port to {starttls_port}.",
        "Or set Security to SSL/TLS and Port to 465.",
    ),
    retryable=False,
    field="smtp.security",
    suggest="starttls",
)
SIGN_IN_REQUIRED = Advice(
    Category.AUTH,
    "The server wants you to sign in before sending",
    "The server only sends mail for users who have signed in, and this session had not signed in.",
    (
        "Turn on sign-in for this account and enter your user name and password.",
        "Use the provider's outgoing (submission) server: port 587 with STARTTLS or port 465 "
        "with SSL/TLS.",
    ),
    retryable=False,
    actions=(A.EDIT_ACCOUNT, A.ENTER_PASSWORD, A.TEST_CONNECTION),
    field="smtp.username",
)
RELAY_DENIED = Advice(
    Category.AUTH,
    "The server will not pass your mail on (relaying denied)",
    "The server only accepts mail for its own addresses from people who have not signed in. "
    "Either this session did not sign in, or this is the incoming mail server (MX, port 25) "
    "rather than the outgoing one.",
    (
        "Turn on sign-in for this account and enter your user name and password.",
        "Use the provider's outgoing server: Security STARTTLS with Port 587 "
        "(or SSL/TLS with Port 465).",
    ),
    retryable=False,
    actions=(A.EDIT_ACCOUNT, A.ENTER_PASSWORD, A.TEST_CONNECTION),
    field="smtp.port",
    suggest="submission",
)
TOO_BIG = Advice(
    Category.SIZE,
    "The message is too big for the server",
    "The server refused the message because of its size. Attachments grow by about a third "
    "when sent.",
    (
        "Remove or shrink attachments (compress pictures, zip documents).",
        "Share large files with a link instead of attaching them.",
        "Split the attachments across several messages.",
    ),
    retryable=False,
    actions=(A.EDIT_MESSAGE,),
    field="attachments",
)
RATE_LIMITED = Advice(
    Category.RATE_LIMIT,
    "The server is limiting how much you can send right now",
    "The server has paused this account or connection for a while: too many messages, "
    "recipients, connections or sign-in attempts in a short time, or a daily sending limit.",
    (
        "Wait and try again later (limits usually reset within an hour, daily limits "
        "within 24 hours).",
        "Send to fewer recipients at a time.",
        "If this keeps happening, ask the provider about its sending limits.",
    ),
    retryable=True,
    actions=(A.RETRY,),
)
SERVER_BUSY = Advice(
    Category.RATE_LIMIT,
    "The server is busy and closed the connection",
    "The server said it cannot serve this connection right now (reply 421). This is usually "
    "temporary: the server is overloaded, restarting, or limiting connections.",
    ("Wait a few minutes and try again.", "If it keeps happening, check the provider's status."),
    retryable=True,
    actions=(A.RETRY, A.TEST_CONNECTION),
)
SENDER_NOT_ALLOWED = Advice(
    Category.SENDER,
    "The server does not let this account send from this address",
    "The server refused the sender (From) address: accounts may only send from their own "
    "address or from aliases the provider has verified.",
    (
        "Use your account's own address, or a verified alias, as the From address.",
        "Check that Email in the account settings is the address you sign in with.",
    ),
    retryable=False,
    actions=(A.EDIT_ACCOUNT, A.EDIT_MESSAGE),
    field="email",
)
SENDER_INVALID = Advice(
    Category.SENDER,
    "The server does not accept the sender address",
    "The server says the sender (From) address is not valid.",
    (
        "Check the email address in the account settings for typos.",
        "Use an address on a domain that exists and receives mail.",
    ),
    retryable=False,
    actions=(A.EDIT_ACCOUNT,),
    field="email",
)
MAILBOX_UNKNOWN = Advice(
    Category.RECIPIENTS,
    "The recipient's mailbox does not exist",
    "The receiving server says there is no mailbox with this address.",
    ("Check the address for typos.", "Ask the person for their current address."),
    retryable=False,
    actions=(A.EDIT_MESSAGE,),
    field="to",
)
RCPT_DOMAIN = Advice(
    Category.RECIPIENTS,
    "The recipient's domain does not accept mail",
    "The part after @ does not exist or does not accept mail.",
    ("Check the part after @ for typos (for example gmial.com instead of gmail.com).",),
    retryable=False,
    actions=(A.EDIT_MESSAGE,),
    field="to",
)
RCPT_SYNTAX = Advice(
    Category.RECIPIENTS,
    "A recipient address is not written correctly",
    "The server could not read a recipient address.",
    ("Check the address: one address per entry, like name@example.com.",),
    retryable=False,
    actions=(A.EDIT_MESSAGE,),
    field="to",
)
MAILBOX_FULL = Advice(
    Category.RECIPIENTS,
    "The recipient's mailbox is full",
    "The recipient's mailbox has no room for new messages.",
    ("Try again later, or tell the person another way that their mailbox is full.",),
    retryable=True,
    actions=(A.RETRY, A.EDIT_MESSAGE),
    field="to",
)
MAILBOX_DISABLED = Advice(
    Category.RECIPIENTS,
    "The recipient's mailbox is disabled",
    "The recipient's mailbox exists but does not accept messages (closed or disabled).",
    ("Ask the person for an address they use now.",),
    retryable=False,
    actions=(A.EDIT_MESSAGE,),
    field="to",
)
TOO_MANY_RCPTS = Advice(
    Category.RECIPIENTS,
    "The message has too many recipients",
    "The server accepts only a limited number of recipients per message.",
    ("Send the message in smaller batches.", "Use a mailing list for large groups."),
    retryable=False,
    actions=(A.EDIT_MESSAGE,),
    field="to",
)
RCPT_POLICY = Advice(
    Category.RECIPIENTS,
    "The recipient's server refused the message by policy",
    "The server will not accept mail for this recipient from you (a block or a policy).",
    ("Check the address.", "Contact the recipient another way and ask them to allow you."),
    retryable=False,
    actions=(A.EDIT_MESSAGE,),
    field="to",
)
SENDER_AUTH_CHECKS = Advice(
    Category.DATA,
    "The message failed the checks that prove who sent it",
    "The receiving side checked whether your domain allows this server to send for it (SPF, "
    "DKIM, DMARC or reverse DNS) and the check failed.",
    (
        "Send through your own domain's or provider's outgoing server.",
        "If you run the domain, publish SPF, DKIM and DMARC records for the server you use.",
    ),
    retryable=False,
    actions=(A.EDIT_ACCOUNT,),
)
CONTENT_FORMAT = Advice(
    Category.DATA,
    "The server cannot handle the message's format",
    "The server refused the message because of how its content is encoded or what it contains.",
    ("Remove unusual attachments and try again.", "Send a short plain-text test message."),
    retryable=False,
    actions=(A.EDIT_MESSAGE,),
)
SPAM_POLICY = Advice(
    Category.DATA,
    "The server refused the message as spam or by policy",
    "The server looked at the message and refused it: it may look like spam, contain a "
    "blocked link or attachment, or break the provider's sending policy.",
    (
        "Remove links, shortened URLs and attachments such as programs or archives, then "
        "send again.",
        "Send a short test message to yourself to see whether sending works at all.",
        "If it keeps happening, contact the provider and give them the details below.",
    ),
    retryable=False,
    actions=(A.EDIT_MESSAGE,),
)
BANNER_REFUSED = Advice(
    Category.CONNECT,
    "The server refused the connection",
    "The server answered but refused to talk to this computer. Often your network's public "
    "address is on a block list, or the server only accepts certain networks.",
    (
        "Check Host and Port: mail apps use the provider's outgoing server on port 587 "
        "(STARTTLS) or 465 (SSL/TLS), not port 25.",
        "Try another network, or turn a VPN off (or on).",
        "Ask the server's administrator to allow your address.",
    ),
    retryable=False,
    actions=(A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    field="smtp.host",
)
GREETING_REFUSED = Advice(
    Category.PROTOCOL,
    "The server refused mailgui's greeting",
    "The server rejected the greeting (EHLO and HELO) in which this computer introduces itself. "
    "Some servers demand a proper host name there, others block whole networks.",
    (
        "Check Host and Port are the provider's outgoing server (port 587 or 465).",
        "Try again from another network.",
        "Ask the server's administrator; give them the details below.",
    ),
    actions=(A.EDIT_ACCOUNT, A.TEST_CONNECTION, A.RETRY),
    field="smtp.host",
)
STARTTLS_UNAVAILABLE = Advice(
    Category.STARTTLS,
    "The server could not start encryption",
    "The server offered STARTTLS but then refused to start it.",
    (
        "Try again in a few minutes.",
        "Or set Security to SSL/TLS and Port to 465, if the provider offers it.",
    ),
    actions=(A.RETRY, A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    field="smtp.security",
    suggest="ssl",
)
AUTH_METHOD = Advice(
    Category.AUTH_UNAVAILABLE,
    "The server does not accept this way of signing in",
    "The server did not accept the sign-in method (PLAIN, LOGIN or CRAM-MD5) it was asked for.",
    (
        "Check that this is the provider's outgoing server and port.",
        "If the provider only allows OAuth2 sign-in, mailgui cannot sign in there yet; use an "
        "app password if the provider offers one.",
    ),
    retryable=False,
    actions=(A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    field="smtp.host",
)
APP_PASSWORD = Advice(
    Category.AUTH,
    "The server wants an app password",
    "The server says the sign-in method is too weak for this account. Providers say this when "
    "two-step verification is on and a normal password is used in a mail app.",
    (
        "Create an app password (app-specific password) in your provider's account security "
        "settings and enter it as the password here.",
        "Check the user name: usually your full email address.",
    ),
    retryable=False,
    actions=(A.ENTER_PASSWORD, A.EDIT_ACCOUNT),
    field="smtp.password",
)
PASSWORD_TRANSITION = Advice(
    Category.AUTH,
    "You need to change or confirm your password first",
    "The server says a password change is needed before mail apps may sign in.",
    (
        "Sign in to your provider's website and follow its steps to change or confirm your "
        "password.",
        "Then enter the new password here.",
    ),
    retryable=False,
    actions=(A.ENTER_PASSWORD,),
    field="smtp.password",
)
ACCOUNT_DISABLED = Advice(
    Category.AUTH,
    "The account is disabled",
    "The server says this user account is disabled, so it cannot sign in or send.",
    (
        "Sign in to your provider's website to see why, or contact your administrator.",
        "Check the user name is the right account.",
    ),
    retryable=False,
    actions=(A.EDIT_ACCOUNT,),
    field="smtp.username",
)
BAD_CREDENTIALS = Advice(
    Category.AUTH,
    "The user name or password was not accepted",
    "The server refused the sign-in: the user name or the password is wrong, or the provider "
    "wants a special app password for mail apps.",
    (
        "Enter the password again (check Caps Lock and the keyboard layout).",
        "Check the user name: most providers want the full email address.",
        "If your account uses two-step verification, create an app password and use it here.",
    ),
    retryable=False,
    actions=(A.ENTER_PASSWORD, A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    field="smtp.password",
)
AUTH_TEMPORARY = Advice(
    Category.AUTH,
    "Signing in failed for a temporary reason",
    "The server could not check the sign-in right now.",
    ("Wait a few minutes and try again.",),
    retryable=True,
    actions=(A.RETRY, A.ENTER_PASSWORD),
    field="smtp.password",
)

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
