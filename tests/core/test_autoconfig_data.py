"""The bundled provider data: complete, consistent, and offline-usable."""

from __future__ import annotations

import json
import re

import pytest

from mailgui.core.accounts import Security
from mailgui.core.autoconfig import LookupOptions, Source, lookup
from mailgui.core.autoconfig_bundled import (
    find_by_domain,
    find_by_mx,
    load_providers,
    parse_providers,
    providers_file,
)
from mailgui.core.autoconfig_model import is_hostname

RAW = json.loads(providers_file().read_text(encoding="utf-8"))
ENTRIES = RAW["providers"]
# Ports that differ from the usual pairing, each documented by its provider.
DOCUMENTED_PORTS = {("proton-bridge", 1025), ("proton-bridge", 1143)}
USUAL = {465: "ssl", 993: "ssl", 587: "starttls", 143: "starttls"}
REQUIRED_PROVIDERS = [
    ("gmail.com", "smtp.gmail.com"),
    ("hotmail.com", "smtp-mail.outlook.com"),
    ("outlook.com", "smtp-mail.outlook.com"),
    ("yahoo.com", "smtp.mail.yahoo.com"),
    ("aol.com", "smtp.aol.com"),
    ("icloud.com", "smtp.mail.me.com"),
    ("fastmail.com", "smtp.fastmail.com"),
    ("zoho.com", "smtp.zoho.com"),
    ("zoho.eu", "smtp.zoho.eu"),
    ("gmx.net", "mail.gmx.net"),
    ("web.de", "smtp.web.de"),
    ("yandex.com", "smtp.yandex.com"),
    ("proton.me", "127.0.0.1"),
    ("mail.ru", "smtp.mail.ru"),
    ("comcast.net", "smtp.comcast.net"),
    ("posteo.de", "posteo.de"),
    ("mailbox.org", "smtp.mailbox.org"),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_every_entry_is_complete(entry: dict) -> None:
    for key in ("id", "name", "domains", "mx", "smtp", "imap", "username", "notes", "links"):
        assert key in entry, key
    assert entry["domains"] or entry["mx"], "an entry must be reachable by domain or by MX"
    assert entry["username"] in ("address", "localpart")
    assert entry.get("imap_username", "address") in ("address", "localpart")
    if entry.get("unsupported"):
        assert not entry["smtp"]
    else:
        assert entry["smtp"], "SMTP endpoints"
        assert entry["imap"], "IMAP endpoints"
    for endpoint in entry["smtp"] + entry["imap"]:
        host, port, security = endpoint["host"], endpoint["port"], endpoint["security"]
        assert host == "127.0.0.1" or (is_hostname(host) and "." in host), host
        assert Security(security) is not Security.NONE, "bundled settings are always encrypted"
        if (entry["id"], port) not in DOCUMENTED_PORTS:
            assert USUAL.get(port) == security, f"{host}:{port} with {security}"
    for link in entry["links"]:
        assert link["label"].strip()
        assert re.match(r"^https://[a-z0-9.-]+\.[a-z]{2,}(/\S*)?$", link["url"]), link["url"]
    for domain in entry["domains"]:
        assert domain == domain.lower()
        assert is_hostname(domain)
    for note in entry["notes"]:
        assert note.strip()
        assert "\n" not in note


def test_ids_and_domains_are_unique() -> None:
    ids = [e["id"] for e in ENTRIES]
    assert len(ids) == len(set(ids))
    domains = [d for e in ENTRIES for d in e["domains"]]
    assert len(domains) == len(set(domains)), "one domain, one provider"


def test_the_loader_reads_every_entry() -> None:
    assert len(load_providers()) == len(ENTRIES) == len(parse_providers(RAW))


@pytest.mark.parametrize(("domain", "smtp_host"), REQUIRED_PROVIDERS)
def test_required_providers_are_known(domain: str, smtp_host: str) -> None:
    provider = find_by_domain(domain)
    assert provider is not None
    assert provider.smtp[0].host == smtp_host


@pytest.mark.parametrize(
    ("mx", "provider_id"),
    [
        ("aspmx.l.google.com", "google-workspace"),
        ("alt1.aspmx.l.google.com", "google-workspace"),
        ("aspmx2.googlemail.com", "google-workspace"),
        ("contoso-com.mail.protection.outlook.com", "microsoft-365"),
        ("mx.zoho.eu", "zoho-org-eu"),
        ("in1-smtp.messagingengine.com", "fastmail"),
        ("mx01.mail.icloud.com", "icloud"),
        ("mxext1.mailbox.org", "mailbox-org"),
    ],
)
def test_mx_hosts_map_to_providers(mx: str, provider_id: str) -> None:
    provider = find_by_mx(mx)
    assert provider is not None
    assert provider.id == provider_id


def test_mx_suffix_matching_needs_a_label_boundary() -> None:
    assert find_by_mx("evilmessagingengine.com") is None
    assert find_by_mx("mail.protection.outlook.com.attacker.test") is None


def test_gmail_offline_gives_app_password_note() -> None:
    result = lookup("Alice@gmail.com", LookupOptions(offline=True))
    best = result.best
    assert best is not None
    assert best.source is Source.BUNDLED
    assert (best.smtp.host, best.smtp.port, best.smtp.security) == (
        "smtp.gmail.com",
        465,
        Security.SSL,
    )
    assert best.smtp.username == "Alice@gmail.com"
    assert any("app password" in n for n in best.notes)
    assert any(link.url == "https://myaccount.google.com/apppasswords" for link in best.help_links)
    assert [c.smtp.port for c in result.candidates] == [465, 587]
    assert result.found


def test_localpart_username_and_per_protocol_forms() -> None:
    webde = lookup("max.mustermann@web.de", LookupOptions(offline=True)).best
    assert webde is not None
    assert webde.smtp.username == "max.mustermann"
    icloud = lookup("emily@icloud.com", LookupOptions(offline=True)).best
    assert icloud is not None
    assert icloud.imap is not None
    assert (icloud.smtp.username, icloud.imap.username) == ("emily@icloud.com", "emily")


def test_oauth2_only_provider_is_flagged() -> None:
    best = lookup("someone@hotmail.com", LookupOptions(offline=True)).best
    assert best is not None
    assert best.oauth2_only
    assert any("OAuth2" in n for n in best.notes)


def test_provider_without_smtp_gives_a_notice_and_no_guesses() -> None:
    result = lookup("someone@tutanota.com", LookupOptions(offline=True))
    assert result.candidates == ()
    assert result.notices
    assert "IMAP" in result.notices[0]
    assert not result.found
