"""Provider-specific reply rules, as data: what Gmail, Microsoft, Yahoo & co. mean and want.

Checked before the generic rules of `diagnosis_rules`, and only for the provider recognised by
`providers.detect_provider` (host, email domain, or markers in the reply). A rule marked
`any_provider` carries a code that only that provider uses (Microsoft's 5.7.139), so it also
names the provider when nothing else did.
"""

from __future__ import annotations

from mailgui.core.diagnosis_advice import RATE_LIMITED, SENDER_NOT_ALLOWED, SPAM_POLICY, Advice
from mailgui.core.diagnosis_rules import ReplyRule, rule
from mailgui.core.diagnosis_types import Action, Category
from mailgui.core.providers import (
    AOL_APP_PASSWORD_URL,
    APPLE_APP_PASSWORD_URL,
    FASTMAIL_APP_PASSWORD_URL,
    GMX_ENABLE_URL,
    GOOGLE_APP_PASSWORD_URL,
    GOOGLE_SENDING_LIMITS_URL,
    MICROSOFT_SMTP_AUTH_URL,
    WEBDE_ENABLE_URL,
    YAHOO_APP_PASSWORD_URL,
    ZOHO_SMTP_URL,
)

A = Action
_PASSWORD_ACTIONS = (A.ENTER_PASSWORD, A.EDIT_ACCOUNT, A.TEST_CONNECTION)


def _app_password(name: str, where: str, url: str | None, extra: str = "") -> Advice:
    return Advice(
        Category.AUTH,
        f"{name} needs an app password",
        f"{name} does not accept your normal password from mail apps; it wants an app "
        f"password that you create in your account's security settings.{extra}",
        (
            f"Create an app password: {where}.",
            "Enter that app password as the password here (letters only, no spaces).",
            "Use your full email address as the user name.",
        ),
        help_url=url,
        retryable=False,
        actions=_PASSWORD_ACTIONS,
        field="smtp.password",
    )


GMAIL_APP_PASSWORD = _app_password(
    "Gmail",
    "Google Account, Security, 2-Step Verification, App passwords",
    GOOGLE_APP_PASSWORD_URL,
    " Your account has 2-Step Verification on, so Google asks for one.",
)
GMAIL_BAD_CREDENTIALS = Advice(
    Category.AUTH,
    "Gmail did not accept the user name or password",
    "Google refused the sign-in. With 2-Step Verification on, Gmail only accepts an app "
    "password from mail apps, never your normal Google password.",
    (
        "Create an app password (Google Account, Security, App passwords) and enter it here: "
        "16 letters, no spaces.",
        "Check the user name is your full Gmail address.",
        "If you already use an app password, create a new one: changing your Google password "
        "revokes the old ones.",
    ),
    help_url=GOOGLE_APP_PASSWORD_URL,
    retryable=False,
    actions=_PASSWORD_ACTIONS,
    field="smtp.password",
)
GMAIL_WEB_LOGIN = Advice(
    Category.AUTH,
    "Google wants you to confirm this sign-in in a browser",
    "Google blocked the sign-in until you confirm it on the web.",
    (
        "Sign in to Gmail in a web browser and confirm any security alert about this sign-in.",
        "Then use an app password here (Google Account, Security, App passwords).",
    ),
    help_url=GOOGLE_APP_PASSWORD_URL,
    retryable=False,
    actions=_PASSWORD_ACTIONS,
    field="smtp.password",
)
GMAIL_LIMIT = Advice(
    Category.RATE_LIMIT,
    "Gmail's sending limit was reached",
    "Gmail limits how many messages and recipients an account may send per day. The limit "
    "resets within 24 hours.",
    ("Wait up to 24 hours and send again.", "Send to fewer recipients per message."),
    help_url=GOOGLE_SENDING_LIMITS_URL,
    retryable=True,
    actions=(A.RETRY,),
)
MS_BASIC_AUTH_OFF = Advice(
    Category.AUTH,
    "Password sign-in for SMTP is switched off",
    "Microsoft has switched off password (basic) sign-in for SMTP, for this mailbox or for "
    "the whole organisation. The password may well be right.",
    (
        "Work or school account: ask your Microsoft 365 administrator to enable Authenticated "
        "SMTP (SMTP AUTH) for your mailbox.",
        "Personal Outlook.com or Hotmail account: Microsoft only allows OAuth2 sign-in, which "
        "mailgui does not support yet; send through another account or the Outlook app.",
    ),
    help_url=MICROSOFT_SMTP_AUTH_URL,
    retryable=False,
    actions=(A.EDIT_ACCOUNT,),
    field="smtp.password",
)
MS_AUTH_FAILED = Advice(
    Category.AUTH,
    "Microsoft did not accept the sign-in",
    "Microsoft refused the sign-in: the password is wrong, the account uses multi-factor "
    "sign-in, or SMTP sign-in is switched off for the mailbox.",
    (
        "Check the password by signing in at outlook.office.com, then enter it here.",
        "Check the user name is your full email address.",
        "If your account uses multi-factor sign-in, use an app password if your organisation "
        "allows them.",
        "Ask your administrator whether Authenticated SMTP (SMTP AUTH) is on for your mailbox.",
    ),
    help_url=MICROSOFT_SMTP_AUTH_URL,
    retryable=False,
    actions=_PASSWORD_ACTIONS,
    field="smtp.password",
)
MS_NOT_AUTHENTICATED = Advice(
    Category.AUTH,
    "Microsoft wants you to sign in before sending",
    "Microsoft 365 only sends for signed-in users, and this session had not signed in.",
    (
        "Turn on sign-in for this account and enter your user name and password.",
        "Use smtp.office365.com, Port 587, Security STARTTLS.",
    ),
    help_url=MICROSOFT_SMTP_AUTH_URL,
    retryable=False,
    actions=_PASSWORD_ACTIONS,
    field="smtp.username",
)
MS_SEND_AS = Advice(
    Category.SENDER,
    "Not allowed to send as this address",
    "Microsoft 365 refused the From address: your mailbox has no permission to send as it.",
    (
        "Use your own mailbox address as the From address.",
        "Ask your administrator for Send As permission on the other address.",
    ),
    help_url=MICROSOFT_SMTP_AUTH_URL,
    retryable=False,
    actions=(A.EDIT_ACCOUNT, A.EDIT_MESSAGE),
    field="email",
)
MS_QUOTA = Advice(
    Category.RATE_LIMIT,
    "Microsoft's sending limit was reached",
    "Microsoft limits how many messages and recipients a mailbox may send in a day or a "
    "minute. The limit resets by itself.",
    ("Wait (up to 24 hours) and send again.", "Send to fewer recipients per message."),
    retryable=True,
    actions=(A.RETRY,),
)
ICLOUD_SENDER = Advice(
    Category.SENDER,
    "iCloud does not let you send from this address",
    "iCloud Mail only sends from your iCloud address or an alias set up in iCloud Mail.",
    (
        "Use your iCloud address (or an iCloud alias) as the From address.",
        "Check Email in the account settings.",
    ),
    help_url=APPLE_APP_PASSWORD_URL,
    retryable=False,
    actions=(A.EDIT_ACCOUNT, A.EDIT_MESSAGE),
    field="email",
)
ZOHO_AUTH = Advice(
    Category.AUTH,
    "Zoho did not accept the sign-in",
    "Zoho refused the sign-in. With two-factor authentication on, Zoho wants an "
    "app-specific password; Zoho accounts also live in a region with its own server.",
    (
        "Create an app-specific password in Zoho Accounts (Security, App Passwords) and "
        "enter it here.",
        "Use your region's server: smtp.zoho.com, smtp.zoho.eu, smtp.zoho.in, "
        "smtp.zoho.com.au or smtp.zoho.jp.",
        "Check that IMAP/SMTP access is allowed in the Zoho Mail settings.",
    ),
    help_url=ZOHO_SMTP_URL,
    retryable=False,
    actions=_PASSWORD_ACTIONS,
    field="smtp.password",
)
ZOHO_SENDER = Advice(
    Category.SENDER,
    "Zoho does not let you send from this address",
    "Zoho only sends from the account's own address or an alias verified in Zoho Mail.",
    (
        "Use the address you sign in with, or a verified alias, as the From address.",
        "Check that the user name and the From address belong to the same Zoho account.",
    ),
    help_url=ZOHO_SMTP_URL,
    retryable=False,
    actions=(A.EDIT_ACCOUNT, A.EDIT_MESSAGE),
    field="email",
)
ZOHO_BLOCKED = Advice(
    Category.RATE_LIMIT,
    "Zoho has blocked sending from this account",
    "Zoho stopped outgoing mail for this account, usually after unusual sending activity.",
    ("Sign in to Zoho Mail on the web and follow the steps to unblock sending.",),
    help_url=ZOHO_SMTP_URL,
    retryable=False,
    actions=(A.RETRY,),
)


def _switch_on_access(name: str, url: str, user_hint: str) -> Advice:
    return Advice(
        Category.AUTH,
        f"{name} did not accept the sign-in",
        f"{name} refused the sign-in. {name} only lets mail apps sign in after POP3/IMAP "
        "access has been switched on once in its web settings.",
        (
            f"Sign in to {name} on the web, open Settings, POP3/IMAP, and allow access by "
            "mail apps.",
            "Enter your password again here.",
            user_hint,
        ),
        help_url=url,
        retryable=False,
        actions=_PASSWORD_ACTIONS,
        field="smtp.password",
    )


GMX_AUTH = _switch_on_access(
    "GMX", GMX_ENABLE_URL, "Use your full GMX email address as the user name."
)
WEBDE_AUTH = _switch_on_access(
    "WEB.DE", WEBDE_ENABLE_URL, "Use your WEB.DE address (or the part before @) as the user name."
)
GMX_SENDER = Advice(
    Category.SENDER,
    "The provider does not let you send from this address",
    "GMX and WEB.DE only send from your own address or addresses you have confirmed there.",
    ("Use your own address as the From address.", "Check Email in the account settings."),
    retryable=False,
    actions=(A.EDIT_ACCOUNT, A.EDIT_MESSAGE),
    field="email",
)
PROTON_AUTH = Advice(
    Category.AUTH,
    "Proton Mail Bridge did not accept the sign-in",
    "Proton Mail works with mail apps through Proton Mail Bridge, which has its own password.",
    (
        "Open Proton Mail Bridge and copy the password it shows for this address.",
        "Use Host 127.0.0.1 and the SMTP port shown in Bridge (usually 1025).",
    ),
    retryable=False,
    actions=_PASSWORD_ACTIONS,
    field="smtp.password",
)
_SENDER_TEXT = r"not (one of )?your|not allowed|not (verified|permitted|authori)|sender|from"
_YAHOO_WHERE = "Yahoo Account Info, Account Security, Generate app password"

PROVIDER_RULES: tuple[ReplyRule, ...] = (
    # Gmail
    rule(GMAIL_APP_PASSWORD, "auth", provider="gmail", enhanced=("x.7.9",)),
    rule(GMAIL_APP_PASSWORD, "auth", provider="gmail", pattern=r"application-specific"),
    rule(GMAIL_WEB_LOGIN, "auth", provider="gmail", enhanced=("x.7.14",)),
    rule(GMAIL_WEB_LOGIN, "auth", provider="gmail", pattern=r"web ?browser|weblogin"),
    rule(GMAIL_BAD_CREDENTIALS, "auth", provider="gmail", klass=5),
    rule(GMAIL_LIMIT, "mail", "rcpt", "data", provider="gmail", enhanced=("5.4.5",)),
    rule(GMAIL_LIMIT, "mail", "rcpt", "data", provider="gmail", pattern=r"sending limit|quota"),
    rule(SPAM_POLICY, "data", provider="gmail", pattern=r"unsolicited|spam|policy", klass=5),
    # Microsoft 365 / Outlook.com
    rule(MS_BASIC_AUTH_OFF, "auth", provider="microsoft", any_provider=True, enhanced=("5.7.139",)),
    rule(
        MS_BASIC_AUTH_OFF,
        "auth",
        provider="microsoft",
        any_provider=True,
        pattern=r"basic auth\w* is disabled|SmtpClientAuthentication is disabled",
    ),
    rule(MS_AUTH_FAILED, "auth", provider="microsoft", klass=5),
    rule(
        MS_NOT_AUTHENTICATED,
        "mail",
        "rcpt",
        "data",
        provider="microsoft",
        any_provider=True,
        enhanced=("5.7.57",),
    ),
    rule(MS_SEND_AS, "mail", "rcpt", "data", provider="microsoft", enhanced=("x.7.60",)),
    rule(MS_SEND_AS, "mail", "data", provider="microsoft", pattern=r"SendAsDenied|send ?as"),
    rule(MS_QUOTA, "mail", "rcpt", "data", provider="microsoft", pattern=r"quota|limit"),
    # Yahoo and AOL (one system)
    rule(
        _app_password("Yahoo Mail", _YAHOO_WHERE, YAHOO_APP_PASSWORD_URL),
        "auth",
        provider="yahoo",
        klass=5,
    ),
    rule(
        _app_password(
            "AOL Mail",
            "AOL Account Info, Account Security, Generate app password",
            AOL_APP_PASSWORD_URL,
        ),
        "auth",
        provider="aol",
        klass=5,
    ),
    rule(RATE_LIMITED, provider="yahoo", pattern=r"TSS0\d|temporarily deferred|too many"),
    rule(SENDER_NOT_ALLOWED, "mail", "data", provider="yahoo", pattern=_SENDER_TEXT, klass=5),
    rule(SENDER_NOT_ALLOWED, "mail", "data", provider="aol", pattern=_SENDER_TEXT, klass=5),
    # iCloud
    rule(
        _app_password(
            "iCloud Mail",
            "Apple Account, Sign-In and Security, App-Specific Passwords",
            APPLE_APP_PASSWORD_URL,
            " The SMTP user name must be your full iCloud address.",
        ),
        "auth",
        provider="icloud",
        klass=5,
    ),
    rule(ICLOUD_SENDER, "mail", "data", provider="icloud", pattern=_SENDER_TEXT, klass=5),
    # Zoho
    rule(ZOHO_BLOCKED, provider="zoho", pattern=r"outgoing.{0,10}blocked|unusual sending"),
    rule(ZOHO_AUTH, "auth", provider="zoho", klass=5),
    rule(ZOHO_SENDER, "mail", "data", provider="zoho", pattern=r"relaying disallowed|invalid dom"),
    rule(ZOHO_SENDER, "mail", provider="zoho", codes={553}),
    # GMX, WEB.DE
    rule(GMX_AUTH, "auth", provider="gmx", klass=5),
    rule(WEBDE_AUTH, "auth", provider="webde", klass=5),
    rule(GMX_SENDER, "mail", "data", provider="gmx", pattern=_SENDER_TEXT, klass=5),
    rule(GMX_SENDER, "mail", "data", provider="webde", pattern=_SENDER_TEXT, klass=5),
    # Fastmail, Yandex, Proton
    rule(
        _app_password(
            "Fastmail",
            "Fastmail Settings, Privacy & Security, App passwords",
            FASTMAIL_APP_PASSWORD_URL,
        ),
        "auth",
        provider="fastmail",
        klass=5,
    ),
    rule(
        _app_password(
            "Yandex Mail",
            "Yandex ID, Security, App passwords; also allow mail apps in the Yandex Mail settings",
            None,
        ),
        "auth",
        provider="yandex",
        klass=5,
    ),
    rule(PROTON_AUTH, "auth", provider="proton", klass=5),
)
