"""`mailgui autoconfig` as a user runs it: a subprocess, JSON shape and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.lookup_servers import DnsServer, HttpsServer, Route, client_config


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailgui", "autoconfig", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def local(https_server: HttpsServer, dns_server: DnsServer) -> list[str]:
    host, port = dns_server.address
    return [
        "--dns-server",
        f"{host}:{port}",
        "--http-base",
        https_server.base_url,
        "--ca-file",
        https_server.ca_file,
        "--timeout",
        "4",
    ]


def assert_shape(candidate: dict) -> None:
    assert {"source", "smtp", "imap", "notes", "verified"} <= set(candidate)
    assert set(candidate["smtp"]) == {"host", "port", "security", "username"}
    assert candidate["imap"] is None or set(candidate["imap"]) == {
        "host",
        "port",
        "security",
        "username",
    }
    assert isinstance(candidate["notes"], list)
    assert isinstance(candidate["verified"], bool)
    assert candidate["source"] in {"bundled", "autoconfig", "ispdb", "srv", "mx", "guess"}


def test_offline_json_for_a_known_provider() -> None:
    result = run_cli("me@gmail.com", "--json", "--offline")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for candidate in data["candidates"]:
        assert_shape(candidate)
    first = data["candidates"][0]
    assert first["source"] == "bundled"
    assert first["provider"] == "Gmail"
    assert first["smtp"] == {
        "host": "smtp.gmail.com",
        "port": 465,
        "security": "ssl",
        "username": "me@gmail.com",
    }
    assert first["verified"] is True
    assert any("app password" in note for note in first["notes"])
    assert [s["source"] for s in data["sources"]] == [
        "bundled",
        "autoconfig",
        "ispdb",
        "srv",
        "mx",
        "guess",
    ]


def test_json_from_the_local_servers(https_server: HttpsServer, dns_server: DnsServer) -> None:
    https_server.route(
        "autoconfig.cli.test", "/mail/config-v1.1.xml", Route(client_config("cli.test"))
    )
    result = run_cli("a@cli.test", "--json", *local(https_server, dns_server))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["candidates"][0]["source"] == "autoconfig"
    assert data["candidates"][0]["smtp"]["host"] == "smtp.cli.test"


def test_only_guesses_exit_3(https_server: HttpsServer, dns_server: DnsServer) -> None:
    result = run_cli("a@empty.test", "--json", *local(https_server, dns_server))
    assert result.returncode == 3, result.stderr
    data = json.loads(result.stdout)
    assert data["candidates"]
    assert {c["source"] for c in data["candidates"]} == {"guess"}
    assert all(c["verified"] is False for c in data["candidates"])


def test_text_output_names_sources(https_server: HttpsServer, dns_server: DnsServer) -> None:
    dns_server.add("_submission._tcp.txt.test", "SRV", "0 1 587 mail.txt.test.")
    result = run_cli("a@txt.test", *local(https_server, dns_server))
    assert result.returncode == 0, result.stderr
    assert "SMTP mail.txt.test:587 STARTTLS, user a@txt.test  [srv]" in result.stdout
    assert "srv         found 1" in result.stdout


@pytest.mark.parametrize("args", [["not-an-address"], ["a@b.test", "--dns-server", "dns.test"]])
def test_bad_input_exits_2(args: list[str]) -> None:
    result = run_cli(*args, "--offline")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
