"""lookup() end to end against the local servers: ranking, merging, deadline, cancel."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from mailgui.core.accounts import Security, ServerSettings
from mailgui.core.autoconfig import (
    Candidate,
    LookupOptions,
    Source,
    SourceState,
    SourceStatus,
    lookup,
    merge_candidates,
)
from mailgui.core.errors import Cancelled, InputError
from tests.lookup_servers import DnsServer, HttpsServer, Route, client_config

CONFIG_PATH = "/mail/config-v1.1.xml"


def states(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {s.source.value: s.state.value for s in result.statuses}


def test_domain_with_only_srv_records(dns_server: DnsServer, lookup_options: LookupOptions) -> None:
    dns_server.add("_submissions._tcp.srvonly.test", "SRV", "0 1 465 mail.srvonly.test.")
    dns_server.add("_imaps._tcp.srvonly.test", "SRV", "0 1 993 mail.srvonly.test.")
    result = lookup("ann@srvonly.test", lookup_options)
    best = result.best
    assert best is not None
    assert best.source is Source.SRV
    assert (best.smtp.host, best.smtp.port, best.smtp.security) == (
        "mail.srvonly.test",
        465,
        Security.SSL,
    )
    assert result.found
    assert states(result)["autoconfig"] == "not-found"
    assert states(result)["srv"] == "found"
    assert states(result)["guess"] == "skipped"


def test_domain_with_only_an_mx_at_a_known_provider(
    dns_server: DnsServer, lookup_options: LookupOptions
) -> None:
    dns_server.add("mxonly.test", "MX", "5 mxonly-test.mail.protection.outlook.com.")
    result = lookup("ceo@mxonly.test", lookup_options)
    best = result.best
    assert best is not None
    assert best.source is Source.MX
    assert best.provider == "Microsoft 365"
    assert (best.smtp.host, best.smtp.port) == ("smtp.office365.com", 587)
    assert best.smtp.username == "ceo@mxonly.test"
    assert any("SMTP AUTH" in note for note in best.notes)


def test_domain_with_only_autoconfig_xml(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    https_server.route(
        "autoconfig.xmlonly.test",
        CONFIG_PATH,
        Route(client_config("xmlonly.test", smtp=[("smtp.xmlonly.test", 587, "STARTTLS")])),
    )
    result = lookup("bo@xmlonly.test", lookup_options)
    best = result.best
    assert best is not None
    assert best.source is Source.AUTOCONFIG
    assert best.verified
    assert (best.smtp.host, best.smtp.security) == ("smtp.xmlonly.test", Security.STARTTLS)
    # the top source answered: nothing lower ranked is waited for or mixed in
    assert all(c.source is Source.AUTOCONFIG for c in result.candidates)


def test_domain_with_nothing_gets_unverified_guesses(lookup_options: LookupOptions) -> None:
    result = lookup("x@nothing.test", lookup_options)
    assert not result.found
    assert [(c.smtp.host, c.smtp.port) for c in result.candidates] == [
        ("smtp.nothing.test", 465),
        ("smtp.nothing.test", 587),
        ("mail.nothing.test", 465),
        ("mail.nothing.test", 587),
    ]
    assert all(c.source is Source.GUESS and not c.verified for c in result.candidates)
    assert states(result)["guess"] == "found"


def test_same_endpoint_from_two_sources_is_merged(
    dns_server: DnsServer, https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    dns_server.add("_submissions._tcp.both.test", "SRV", "0 1 465 smtp.both.test.")
    dns_server.add("_submission._tcp.both.test", "SRV", "0 1 587 smtp.both.test.")
    https_server.route(
        "autoconfig.thunderbird.net", "/v1.1/both.test", Route(client_config("both.test"))
    )
    result = lookup("x@both.test", lookup_options)
    assert [(c.smtp.port, c.all_sources) for c in result.candidates] == [
        (465, (Source.ISPDB, Source.SRV)),
        (587, (Source.SRV,)),
    ]


def test_merge_keeps_the_best_and_trusts_a_verified_twin() -> None:
    smtp = ServerSettings(host="SMTP.a.test", port=465, security=Security.SSL)
    srv = Candidate(Source.SRV, smtp, verified=False, notes=("srv",))
    bundled = Candidate(Source.BUNDLED, smtp.replace(host="smtp.a.test"), notes=("b",))
    merged = merge_candidates([srv, bundled])
    assert len(merged) == 1
    assert merged[0].source is Source.BUNDLED
    assert merged[0].verified
    assert merged[0].notes == ("b", "srv")


def test_hanging_sources_do_not_delay_the_result(
    https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    for host in ("autoconfig.hang.test", "hang.test"):
        https_server.route(host, CONFIG_PATH, Route(mode="slow"))
    https_server.route("autoconfig.thunderbird.net", "/v1.1/hang.test", Route(mode="slow"))
    with DnsServer(mode="silent") as silent:
        options = dataclasses.replace(
            lookup_options, dns_server=silent.address, timeout=1.5, http_timeout=10.0
        )
        started = time.monotonic()
        result = lookup("x@hang.test", options)
        elapsed = time.monotonic() - started
    assert elapsed < options.timeout + 1.0
    assert elapsed >= options.timeout - 0.1  # it really waited for them, then gave up
    assert {states(result)[s] for s in ("autoconfig", "ispdb", "srv", "mx")} == {"timed-out"}
    assert result.best is not None
    assert result.best.source is Source.GUESS


def test_status_callback_reports_each_source_live(
    dns_server: DnsServer, lookup_options: LookupOptions
) -> None:
    dns_server.add("_submission._tcp.live.test", "SRV", "0 1 587 smtp.live.test.")
    seen: list[SourceStatus] = []
    lookup("x@live.test", lookup_options, on_status=seen.append)
    assert seen[0] == SourceStatus(Source.BUNDLED, SourceState.NOT_FOUND, seen[0].detail)
    running = {s.source for s in seen if s.state is SourceState.RUNNING}
    assert running == {Source.AUTOCONFIG, Source.ISPDB, Source.SRV, Source.MX}
    final = {s.source: s.state for s in seen}
    assert all(state.done for state in final.values())
    assert final[Source.SRV] is SourceState.FOUND


def test_cancel_stops_the_lookup_quickly(lookup_options: LookupOptions) -> None:
    class Token:
        def __init__(self) -> None:
            self.event = threading.Event()

        @property
        def cancelled(self) -> bool:
            return self.event.is_set()

    token = Token()
    with DnsServer(mode="silent") as silent:
        options = dataclasses.replace(lookup_options, dns_server=silent.address, timeout=10.0)
        threading.Timer(0.3, token.event.set).start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            lookup("x@cancel.test", options, cancel=token)
        assert time.monotonic() - started < 1.5


def test_offline_touches_no_network(
    dns_server: DnsServer, https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    result = lookup("x@offline.test", dataclasses.replace(lookup_options, offline=True))
    assert dns_server.queries == []
    assert https_server.requests == []
    assert states(result)["srv"] == "skipped"


def test_known_domain_skips_the_network(
    dns_server: DnsServer, https_server: HttpsServer, lookup_options: LookupOptions
) -> None:
    result = lookup("x@gmail.com", lookup_options)
    assert dns_server.queries == []
    assert https_server.requests == []
    assert result.best is not None
    assert result.best.smtp.host == "smtp.gmail.com"


@pytest.mark.parametrize(
    "bad", ["", "no-at-sign", "a@b@c.test", "a@nodot", "a b@x.test", "a@-x.test"]
)
def test_bad_addresses_are_input_errors(bad: str) -> None:
    with pytest.raises(InputError) as info:
        lookup(bad, LookupOptions(offline=True))
    assert info.value.field == "email"


def test_international_domain_is_looked_up_in_ascii(lookup_options: LookupOptions) -> None:
    result = lookup("jörg@bücher.test", dataclasses.replace(lookup_options, offline=True))
    assert result.address.domain == "xn--bcher-kva.test"
    assert result.candidates[0].smtp.host == "smtp.xn--bcher-kva.test"
