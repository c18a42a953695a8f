"""Advice, as data: what to say and offer for each kind of server refusal.

Used by the reply rules (`diagnosis_rules`, `provider_rules`). Fix texts may use {port},
{host}, {starttls_port} and {ssl_port}; they are filled from the context.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailgui.core.diagnosis_types import Action, Category

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
