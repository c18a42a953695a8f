"""Each network source against real local servers: HTTPS (trustme CA) and UDP DNS."""

from __future__ import annotations

import dataclasses
import time

import pytest

from mailgui.core.accounts import Security
from mailgui.core.autoconfig_http import fetch
from mailgui.core.autoconfig_model import LookupOptions, Source, SourceFailed, parse_address
from mailgui.core.autoconfig_sources import autoconfig_xml, ispdb, mx, srv
from tests.lookup_servers import (
    BILLION_LAUGHS,
    DnsServer,
    HttpsServer,
    Route,
    client_config,
)

ADDRESS = parse_address("jane@example.test")
CONFIG_PATH = "/mail/config-v1.1.xml"
WELL_KNOWN = "/.well-known/autoconfig/mail/config-v1.1.xml"


def deadline(seconds: float = 4.0) -> float:
    return time.monotonic() + seconds


# ------------------------------------------------------------------------------- HTTPS


def test_autoconfig_subdomain_is_tried_first_with_the_address(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    https_server.route("autoconfig.example.test", CONFIG_PATH, Route(client_config("example.test")))
    answer = autoconfig_xml(ADDRESS, lookup_options, deadline())
    assert [c.smtp.host for c in answer.candidates] == ["smtp.example.test"]
    assert https_server.requests == [
        "/autoconfig.example.test/mail/config-v1.1.xml?emailaddress=jane%40example.test"
    ]


def test_well_known_is_the_fallback(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    https_server.route("example.test", WELL_KNOWN, Route(client_config("example.test")))
    answer = autoconfig_xml(ADDRESS, lookup_options, deadline())
    assert answer.candidates
    assert answer.candidates[0].source is Source.AUTOCONFIG
    assert len(https_server.requests) == 2


def test_nothing_published_is_not_a_failure(lookup_options: LookupOptions) -> None:
    answer = autoconfig_xml(ADDRESS, lookup_options, deadline())
    assert answer.candidates == []
    assert "no config file" in answer.detail


def test_malformed_xml_is_reported(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    https_server.route("autoconfig.example.test", CONFIG_PATH, Route(b"<clientConfig><oops"))
    with pytest.raises(SourceFailed, match="malformed XML"):
        autoconfig_xml(ADDRESS, lookup_options, deadline())


def test_entity_expansion_attack_is_refused(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    https_server.route("autoconfig.example.test", CONFIG_PATH, Route(BILLION_LAUGHS))
    with pytest.raises(SourceFailed, match="unsafe XML"):
        autoconfig_xml(ADDRESS, lookup_options, deadline())


@pytest.mark.parametrize("mode", ["normal", "no-length"])
def test_huge_answers_are_cut_off_at_the_cap(
    https_server: HttpsServer, lookup_options: LookupOptions, mode: str
) -> None:
    huge = client_config("example.test") + b" " * (300 * 1024)
    https_server.route("autoconfig.example.test", CONFIG_PATH, Route(huge, mode=mode))
    with pytest.raises(SourceFailed, match="larger than 256 KiB"):
        fetch(
            "https://autoconfig.example.test/mail/config-v1.1.xml",
            lookup_options,
            deadline=deadline(),
        )


def test_slow_server_is_abandoned_at_the_deadline(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    https_server.route("autoconfig.example.test", CONFIG_PATH, Route(mode="slow"))
    started = time.monotonic()
    with pytest.raises(SourceFailed) as info:
        fetch(
            "https://autoconfig.example.test/mail/config-v1.1.xml",
            lookup_options,
            deadline=deadline(1.0),
        )
    assert info.value.timed_out
    assert time.monotonic() - started < 2.0


def test_untrusted_certificate_is_refused(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    https_server.route("autoconfig.example.test", CONFIG_PATH, Route(client_config("example.test")))
    without_ca = dataclasses.replace(lookup_options, ca_file=None)
    with pytest.raises(SourceFailed, match="certificate not trusted"):
        autoconfig_xml(ADDRESS, without_ca, deadline())


def test_redirect_to_plain_http_is_refused(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    https_server.route(
        "autoconfig.example.test",
        CONFIG_PATH,
        Route(status=302, headers={"Location": "http://attacker.test/config.xml"}),
    )
    with pytest.raises(SourceFailed, match="not an https"):
        fetch(
            "https://autoconfig.example.test/mail/config-v1.1.xml",
            lookup_options,
            deadline=deadline(),
        )


def test_https_redirect_is_followed(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    https_server.route(
        "autoconfig.example.test",
        CONFIG_PATH,
        Route(status=301, headers={"Location": "https://config.example.test/mail.xml"}),
    )
    https_server.route("config.example.test", "/mail.xml", Route(client_config("example.test")))
    answer = autoconfig_xml(ADDRESS, lookup_options, deadline())
    assert answer.candidates


def test_ispdb_lookup_and_absence(https_server: HttpsServer, lookup_options: LookupOptions) -> None:
    assert ispdb(ADDRESS, lookup_options, deadline()).candidates == []
    https_server.route(
        "autoconfig.thunderbird.net", "/v1.1/example.test", Route(client_config("example.test"))
    )
    answer = ispdb(ADDRESS, lookup_options, deadline())
    assert answer.candidates[0].source is Source.ISPDB


# --------------------------------------------------------------------------------- DNS


def test_srv_records_by_priority_and_weight_preferring_implicit_tls(
    dns_server: DnsServer, lookup_options: LookupOptions
) -> None:
    dns_server.add("_submission._tcp.example.test", "SRV", "0 1 587 submit.example.test.")
    dns_server.add(
        "_submissions._tcp.example.test",
        "SRV",
        "20 1 465 backup.example.test.",
        "10 5 465 heavy.example.test.",
        "10 1 465 light.example.test.",
    )
    dns_server.add("_imaps._tcp.example.test", "SRV", "0 1 993 imap.example.test.")
    answer = srv(ADDRESS, lookup_options, deadline())
    assert [(c.smtp.host, c.smtp.security) for c in answer.candidates] == [
        ("heavy.example.test", Security.SSL),
        ("light.example.test", Security.SSL),
        ("backup.example.test", Security.SSL),
        ("submit.example.test", Security.STARTTLS),
    ]
    first = answer.candidates[0]
    assert first.imap is not None
    assert (first.imap.host, first.imap.port) == (
        "imap.example.test",
        993,
    )
    assert first.smtp.username == "jane@example.test"
    assert first.verified


def test_srv_dot_target_means_not_offered(
    dns_server: DnsServer, lookup_options: LookupOptions
) -> None:
    dns_server.add("_submissions._tcp.example.test", "SRV", "0 0 0 .")
    dns_server.add("_submission._tcp.example.test", "SRV", "0 1 587 smtp.example.test.")
    answer = srv(ADDRESS, lookup_options, deadline())
    assert [(c.smtp.port, c.smtp.security) for c in answer.candidates] == [(587, Security.STARTTLS)]


def test_srv_pointing_outside_the_domain_is_unverified(
    dns_server: DnsServer, lookup_options: LookupOptions
) -> None:
    dns_server.add("_submissions._tcp.example.test", "SRV", "0 1 465 mail.elsewhere.test.")
    candidate = srv(ADDRESS, lookup_options, deadline()).candidates[0]
    assert not candidate.verified
    assert "outside" in candidate.notes[0]


def test_refusing_dns_server_is_a_failure(lookup_options: LookupOptions) -> None:
    with DnsServer(mode="refuse") as refusing:
        options = dataclasses.replace(lookup_options, dns_server=refusing.address)
        with pytest.raises(SourceFailed, match="refused"):
            srv(ADDRESS, options, deadline())


def test_silent_dns_server_times_out_by_the_deadline(lookup_options: LookupOptions) -> None:
    with DnsServer(mode="silent") as silent:
        options = dataclasses.replace(lookup_options, dns_server=silent.address)
        started = time.monotonic()
        with pytest.raises(SourceFailed) as info:
            mx(ADDRESS, options, deadline(1.0))
        assert info.value.timed_out
        assert time.monotonic() - started < 2.0


def test_mx_of_a_known_provider(dns_server: DnsServer, lookup_options: LookupOptions) -> None:
    dns_server.add(
        "example.test",
        "MX",
        "10 alt1.aspmx.l.google.com.",
        "1 aspmx.l.google.com.",
    )
    answer = mx(ADDRESS, lookup_options, deadline())
    best = answer.candidates[0]
    assert best.provider == "Google Workspace"
    assert best.source is Source.MX
    assert (best.smtp.host, best.smtp.username) == ("smtp.gmail.com", "jane@example.test")
    assert "aspmx.l.google.com" in answer.detail


def test_mx_domain_publishes_settings(
    dns_server: DnsServer, https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    dns_server.add("example.test", "MX", "10 mx1.hoster.test.")
    https_server.route(
        "autoconfig.hoster.test",
        CONFIG_PATH,
        Route(client_config("hoster.test", name="Hoster")),
    )
    best = mx(ADDRESS, lookup_options, deadline()).candidates[0]
    assert (best.smtp.host, best.source, best.verified) == ("smtp.hoster.test", Source.MX, True)


def test_cancel_token_unblocks_a_hanging_download(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    import threading

    from mailgui.core.cancel import CancelToken

    https_server.route("autoconfig.example.test", CONFIG_PATH, Route(mode="slow"))
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    slow = dataclasses.replace(lookup_options, http_timeout=30.0)
    started = time.monotonic()
    with pytest.raises(SourceFailed):
        fetch(
            "https://autoconfig.example.test/mail/config-v1.1.xml",
            slow,
            deadline=deadline(30),
            cancel=token,
        )
    assert time.monotonic() - started < 2.0


def test_an_answer_cut_short_is_not_used(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    https_server.route(
        "autoconfig.example.test", CONFIG_PATH, Route(client_config("example.test"), mode="short")
    )
    with pytest.raises(SourceFailed, match="cut short"):
        autoconfig_xml(ADDRESS, lookup_options, deadline())
