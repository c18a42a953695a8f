"""Parsing clientConfig XML: placeholders, ordering, and refusal of unsafe or broken input."""

from __future__ import annotations

import pytest

from mailgui.core.accounts import AuthMethod, Security
from mailgui.core.autoconfig_model import Source, SourceFailed, parse_address
from mailgui.core.autoconfig_xml import parse_client_config
from tests.lookup_servers import BILLION_LAUGHS, EXTERNAL_ENTITY, client_config

ADDRESS = parse_address("jane.doe@example.test")


def test_valid_document_with_placeholders() -> None:
    data = client_config(
        "example.test",
        smtp=[("smtp.%EMAILDOMAIN%", 587, "STARTTLS"), ("smtp2.example.test", 465, "SSL")],
        username="%EMAILLOCALPART%",
        extra='<documentation url="https://help.example.test/mail"><descr lang="en">Help'
        "</descr></documentation>",
    )
    candidates = parse_client_config(data, ADDRESS, Source.AUTOCONFIG)
    assert [(c.smtp.host, c.smtp.port, c.smtp.security) for c in candidates] == [
        ("smtp.example.test", 587, Security.STARTTLS),
        ("smtp2.example.test", 465, Security.SSL),
    ]
    first = candidates[0]
    assert first.smtp.username == "jane.doe"
    assert first.imap is not None
    assert first.imap.host == "imap.example.test"
    assert first.provider == "Example Mail"
    assert first.source is Source.AUTOCONFIG
    assert [link.url for link in first.help_links] == ["https://help.example.test/mail"]


def test_plain_servers_go_last_and_carry_a_warning() -> None:
    data = client_config(
        "example.test", smtp=[("smtp.example.test", 25, "plain"), ("smtp.example.test", 465, "SSL")]
    )
    candidates = parse_client_config(data, ADDRESS, Source.ISPDB)
    assert [c.smtp.security for c in candidates] == [Security.SSL, Security.NONE]
    assert any("without encryption" in n for n in candidates[1].notes)


def test_oauth2_only_and_no_password_auth() -> None:
    oauth = parse_client_config(
        client_config("example.test", auth="OAuth2"), ADDRESS, Source.ISPDB
    )[0]
    assert oauth.oauth2_only
    assert any("OAuth2" in n for n in oauth.notes)
    ip_auth = parse_client_config(
        client_config("example.test", auth="client-IP-address"), ADDRESS, Source.ISPDB
    )[0]
    assert ip_auth.smtp.auth is AuthMethod.NONE


def test_enable_instructions_become_notes_and_links() -> None:
    data = client_config("example.test").replace(
        b"</clientConfig>",
        b'<enable visiturl="https://mail.example.test/settings/imap"><instruction>Turn on IMAP'
        b" first</instruction></enable></clientConfig>",
    )
    c = parse_client_config(data, ADDRESS, Source.AUTOCONFIG)[0]
    assert "Turn on IMAP first" in c.notes
    assert c.help_links[-1].url == "https://mail.example.test/settings/imap"


@pytest.mark.parametrize(
    "data",
    [
        b"<clientConfig><emailProvider>",  # truncated
        b"not xml at all",
        b"<other/>",
        b"<clientConfig/>",
    ],
)
def test_malformed_documents_are_rejected(data: bytes) -> None:
    with pytest.raises(SourceFailed):
        parse_client_config(data, ADDRESS, Source.AUTOCONFIG)


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entity_tricks_are_refused(data: bytes) -> None:
    with pytest.raises(SourceFailed, match="unsafe XML"):
        parse_client_config(data, ADDRESS, Source.AUTOCONFIG)


@pytest.mark.parametrize(
    "smtp",
    [
        [("smtp.example.test;rm -rf", 465, "SSL")],
        [("smtp.example.test", 0, "SSL")],
        [("smtp.example.test", 70000, "SSL")],
        [("smtp.example.test", 465, "MAGIC")],
        [],
    ],
)
def test_unusable_servers_are_dropped(smtp: list[tuple[str, int, str]]) -> None:
    with pytest.raises(SourceFailed, match="no usable SMTP"):
        parse_client_config(client_config("example.test", smtp=smtp), ADDRESS, Source.ISPDB)


def test_plain_http_help_links_are_dropped() -> None:
    data = client_config(
        "example.test", extra='<documentation url="http://help.example.test/"></documentation>'
    )
    assert parse_client_config(data, ADDRESS, Source.ISPDB)[0].help_links == ()
