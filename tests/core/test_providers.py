"""Provider detection from host, email domain and reply text."""

import pytest

from mailgui.core.provider_rules import PROVIDER_RULES
from mailgui.core.providers import (
    PROVIDERS,
    PROVIDERS_BY_KEY,
    detect_provider,
    provider_for_domain,
    provider_from_reply,
)


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("smtp.gmail.com", "gmail"),
        ("gmail.com", "gmail"),
        ("someone@googlemail.com", "gmail"),
        ("aspmx.l.google.com", "gmail"),
        ("smtp.office365.com", "microsoft"),
        ("smtp-mail.outlook.com", "microsoft"),
        ("me@hotmail.co.uk", "microsoft"),
        ("me@live.de", "microsoft"),
        ("contoso-com.mail.protection.outlook.com", "microsoft"),
        ("smtp.mail.yahoo.com", "yahoo"),
        ("me@yahoo.co.jp", "yahoo"),
        ("smtp.aol.com", "aol"),
        ("me@icloud.com", "icloud"),
        ("me@me.com", "icloud"),
        ("me@mac.com", "icloud"),
        ("smtp.mail.me.com", "icloud"),
        ("smtp.zoho.eu", "zoho"),
        ("smtp.zoho.com.au", "zoho"),
        ("me@zohomail.in", "zoho"),
        ("mail.gmx.net", "gmx"),
        ("me@gmx.de", "gmx"),
        ("me@gmx.com", "gmx"),
        ("smtp.web.de", "webde"),
        ("me@web.de", "webde"),
        ("smtp.fastmail.com", "fastmail"),
        ("me@yandex.ru", "yandex"),
        ("me@proton.me", "proton"),
        ("SMTP.GMAIL.COM.", "gmail"),
        ("smtp.gmail.com:587", "gmail"),
    ],
)
def test_provider_for_domain(value: str, key: str) -> None:
    provider = provider_for_domain(value)
    assert provider is not None
    assert provider.key == key


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        "localhost",
        "mail.example.com",
        "gmail.example.com",  # a brand label that is not the registrable domain
        "someme.com",  # "me.com" must match whole labels only
        "notweb.de",
        "192.0.2.1",
        "not a host",
    ],
)
def test_unknown_domains(value: str | None) -> None:
    assert provider_for_domain(value) is None


def test_reply_markers() -> None:
    gmail = provider_from_reply("5.7.8 https://support.google.com/mail/?p=BadCredentials - gsmtp")
    assert gmail is not None
    assert gmail.key == "gmail"
    microsoft = provider_from_reply("5.7.139 Authentication unsuccessful [AM0PR.prod.outlook.com]")
    assert microsoft is not None
    assert microsoft.key == "microsoft"
    # An address in a reply does not name the provider: only markers of its servers do.
    assert provider_from_reply("550 5.1.1 <bob@example.com>: User unknown") is None


def test_detect_provider_prefers_host_then_email_then_reply() -> None:
    both = detect_provider("smtp.office365.com", "me@gmail.com", "gsmtp")
    assert both is not None
    assert both.key == "microsoft"
    by_email = detect_provider("mail.example.com", "me@gmail.com", None)
    assert by_email is not None
    assert by_email.key == "gmail"
    by_reply = detect_provider("mail.example.com", "me@example.com", "x - gsmtp")
    assert by_reply is not None
    assert by_reply.key == "gmail"
    assert detect_provider(None, None, None) is None


def test_provider_data_is_complete() -> None:
    assert {"gmail", "microsoft", "yahoo", "aol", "icloud", "zoho", "gmx", "webde"} <= set(
        PROVIDERS_BY_KEY
    )
    for provider in PROVIDERS:
        assert provider.name
        assert provider.sign_in
        for url in (provider.password_url, provider.access_url, provider.limits_url):
            assert url is None or url.startswith("https://")


def test_every_provider_rule_names_a_known_provider_with_help() -> None:
    for rule in PROVIDER_RULES:
        assert rule.provider in PROVIDERS_BY_KEY
        assert rule.advice.fixes
        assert rule.advice.help_url is None or rule.advice.help_url.startswith("https://")
