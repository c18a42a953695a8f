"""Mail providers, as data: how to recognise them and where their help pages are.

A provider is recognised from the server host name, else from the email address's domain, else
from markers in the server's own reply (a help link, a trailer such as "gsmtp"). Host names and
domains match by brand ("zoho" in smtp.zoho.eu or zoho.com.au) or by exact domain suffix
("me.com", which would be far too loose as a brand).

The per-provider reply rules (reply pattern -> plain hint and help link) live in
`provider_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailgui.core.accounts import Security

# Second-level labels of country domains such as .co.uk or .com.au: skipped to find the brand.
_GENERIC_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "ac", "ne", "or", "gov", "edu"})

MICROSOFT_SMTP_AUTH_URL = (
    "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/"
    "authenticated-client-smtp-submission"
)
OUTLOOK_SETTINGS_URL = (
    "https://support.microsoft.com/office/"
    "pop-imap-and-smtp-settings-for-outlook-com-d088b986-291d-42b8-9564-9c414e2aa040"
)
GOOGLE_APP_PASSWORD_URL = "https://support.google.com/accounts/answer/185833"
GOOGLE_BAD_CREDENTIALS_URL = "https://support.google.com/mail/?p=BadCredentials"
GOOGLE_SENDING_LIMITS_URL = "https://support.google.com/mail/answer/22839"
YAHOO_APP_PASSWORD_URL = "https://help.yahoo.com/kb/SLN15241.html"
AOL_APP_PASSWORD_URL = "https://help.aol.com/articles/Create-and-manage-app-password"
APPLE_APP_PASSWORD_URL = "https://support.apple.com/102654"
ZOHO_SMTP_URL = "https://www.zoho.com/mail/help/zoho-smtp.html"
GMX_ENABLE_URL = "https://hilfe.gmx.net/pop-imap/einschalten.html"
WEBDE_ENABLE_URL = "https://hilfe.web.de/pop-imap/einschalten.html"
FASTMAIL_APP_PASSWORD_URL = "https://www.fastmail.help/hc/en-us/articles/360058752854"


@dataclass(frozen=True)
class Provider:
    """What we know about one mail provider."""

    key: str
    name: str
    brands: tuple[str, ...] = ()  # brand label, any top-level domain: "gmx" -> gmx.net, gmx.de
    suffixes: tuple[str, ...] = ()  # exact domains, also matching their subdomains
    reply_markers: tuple[str, ...] = ()  # lowercase text that only this provider's replies have
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: Security | None = None
    password_url: str | None = None  # app password / sign-in help
    access_url: str | None = None  # where to switch on IMAP/SMTP access, when needed
    limits_url: str | None = None
    sign_in: str = ""  # one plain sentence on how mail apps sign in

    @property
    def help_url(self) -> str | None:
        return self.password_url or self.access_url


PROVIDERS: tuple[Provider, ...] = (
    Provider(
        "gmail",
        "Gmail",
        brands=("gmail", "googlemail", "google"),
        reply_markers=("support.google.com", "gsmtp", "google.com/mail"),
        smtp_host="smtp.gmail.com",
        smtp_port=465,
        smtp_security=Security.SSL,
        password_url=GOOGLE_APP_PASSWORD_URL,
        limits_url=GOOGLE_SENDING_LIMITS_URL,
        sign_in="Gmail accepts an app password (with 2-Step Verification on) or OAuth2; "
        "the user name is your full Gmail address.",
    ),
    Provider(
        "microsoft",
        "Microsoft 365 / Outlook.com",
        brands=("outlook", "hotmail", "live", "msn", "office365", "windowslive"),
        suffixes=("outlook.office.com", "office.com", "onmicrosoft.com"),
        reply_markers=("microsoft", "outlook.com", "office365", "exchange online", "onmicrosoft"),
        smtp_host="smtp.office365.com",
        smtp_port=587,
        smtp_security=Security.STARTTLS,
        password_url=MICROSOFT_SMTP_AUTH_URL,
        access_url=OUTLOOK_SETTINGS_URL,
        sign_in="Microsoft accounts sign in with OAuth2; password sign-in for SMTP works only "
        "where the administrator has switched SMTP AUTH on.",
    ),
    Provider(
        "yahoo",
        "Yahoo Mail",
        brands=("yahoo", "ymail", "rocketmail", "yahoodns"),
        reply_markers=("help.yahoo.com", "yahooinc.com", "yahoo.com/"),
        smtp_host="smtp.mail.yahoo.com",
        smtp_port=465,
        smtp_security=Security.SSL,
        password_url=YAHOO_APP_PASSWORD_URL,
        sign_in="Yahoo Mail needs an app password made in your Yahoo account security settings.",
    ),
    Provider(
        "aol",
        "AOL Mail",
        brands=("aol", "aim"),
        reply_markers=("help.aol.com",),
        smtp_host="smtp.aol.com",
        smtp_port=465,
        smtp_security=Security.SSL,
        password_url=AOL_APP_PASSWORD_URL,
        sign_in="AOL Mail needs an app password made in your AOL account security settings.",
    ),
    Provider(
        "icloud",
        "iCloud Mail",
        brands=("icloud",),
        suffixes=("me.com", "mac.com", "mail.me.com"),
        reply_markers=("icloud", "support.apple.com"),
        smtp_host="smtp.mail.me.com",
        smtp_port=587,
        smtp_security=Security.STARTTLS,
        password_url=APPLE_APP_PASSWORD_URL,
        sign_in="iCloud Mail needs an app-specific password, and the SMTP user name is your "
        "full iCloud address.",
    ),
    Provider(
        "zoho",
        "Zoho Mail",
        brands=("zoho", "zohomail"),
        reply_markers=("zoho",),
        smtp_host="smtp.zoho.com",
        smtp_port=465,
        smtp_security=Security.SSL,
        password_url=ZOHO_SMTP_URL,
        sign_in="Zoho needs an app-specific password when two-factor authentication is on, and "
        "uses a server per region (smtp.zoho.com, .eu, .in, .com.au, .jp).",
    ),
    Provider(
        "gmx",
        "GMX",
        brands=("gmx",),
        reply_markers=("gmx",),
        smtp_host="mail.gmx.net",
        smtp_port=465,
        smtp_security=Security.SSL,
        access_url=GMX_ENABLE_URL,
        sign_in="GMX lets mail apps sign in only after POP3/IMAP access is switched on once "
        "in the GMX web settings.",
    ),
    Provider(
        "webde",
        "WEB.DE",
        suffixes=("web.de",),
        reply_markers=("web.de",),
        smtp_host="smtp.web.de",
        smtp_port=587,
        smtp_security=Security.STARTTLS,
        access_url=WEBDE_ENABLE_URL,
        sign_in="WEB.DE lets mail apps sign in only after POP3/IMAP access is switched on once "
        "in the WEB.DE web settings.",
    ),
    Provider(
        "fastmail",
        "Fastmail",
        brands=("fastmail", "messagingengine"),
        reply_markers=("fastmail", "messagingengine"),
        smtp_host="smtp.fastmail.com",
        smtp_port=465,
        smtp_security=Security.SSL,
        password_url=FASTMAIL_APP_PASSWORD_URL,
        sign_in="Fastmail needs an app password made in Settings, Privacy & Security.",
    ),
    Provider(
        "yandex",
        "Yandex Mail",
        brands=("yandex",),
        suffixes=("ya.ru",),
        reply_markers=("yandex",),
        smtp_host="smtp.yandex.com",
        smtp_port=465,
        smtp_security=Security.SSL,
        sign_in="Yandex Mail needs an app password, and access by mail apps switched on in the "
        "Yandex Mail settings.",
    ),
    Provider(
        "proton",
        "Proton Mail",
        brands=("proton", "protonmail"),
        suffixes=("pm.me",),
        reply_markers=("proton",),
        smtp_host="127.0.0.1",
        smtp_port=1025,
        smtp_security=Security.STARTTLS,
        sign_in="Proton Mail works with mail apps only through Proton Mail Bridge, with the "
        "password that Bridge shows (not your Proton password).",
    ),
)

PROVIDERS_BY_KEY: dict[str, Provider] = {p.key: p for p in PROVIDERS}


def _clean_domain(value: str | None) -> str:
    """Lowercase host or domain without port, brackets or trailing dot; '' if unusable."""
    if not isinstance(value, str):
        return ""
    text = value.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = text.strip("[]<> ").rstrip(".")
    if ":" in text and text.count(":") == 1:  # host:port, not an IPv6 literal
        text = text.split(":", 1)[0]
    return text if "." in text and " " not in text else ""


def _brand(domain: str) -> str:
    labels = domain.split(".")
    if len(labels) < 2:
        return ""
    labels = labels[:-1]  # the top-level domain
    if len(labels) >= 2 and labels[-1] in _GENERIC_SECOND_LEVEL:
        labels = labels[:-1]
    return labels[-1]


def provider_for_domain(value: str | None) -> Provider | None:
    """The provider owning a host name or an email domain (or address), if known."""
    domain = _clean_domain(value)
    if not domain:
        return None
    for provider in PROVIDERS:
        if any(domain == s or domain.endswith("." + s) for s in provider.suffixes):
            return provider
    brand = _brand(domain)
    for provider in PROVIDERS:
        if brand in provider.brands:
            return provider
    return None


def provider_from_reply(text: str | None) -> Provider | None:
    """The provider whose replies carry a marker found in this reply text, if any."""
    if not text:
        return None
    lowered = text.lower()
    for provider in PROVIDERS:
        if any(marker in lowered for marker in provider.reply_markers):
            return provider
    return None


def detect_provider(
    host: str | None = None, email: str | None = None, reply: str | None = None
) -> Provider | None:
    """Provider from the server host, else the email domain, else the server's reply text."""
    return provider_for_domain(host) or provider_for_domain(email) or provider_from_reply(reply)
