"""`mailgui autoconfig ADDRESS`: print the candidate server settings for an address.

Exit codes: 0 settings found (something better than a guess), 2 bad address or usage,
3 nothing found but guesses (or the provider offers no SMTP at all), 130 interrupted.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from mailgui.core.autoconfig import (
    DEFAULT_TIMEOUT,
    AutoconfigResult,
    Candidate,
    LookupOptions,
    Source,
    lookup,
)
from mailgui.core.errors import InputError

EXIT_FOUND = 0
EXIT_USAGE = 2
EXIT_ONLY_GUESSES = 3
EXIT_INTERRUPTED = 130


def _host_port(text: str) -> tuple[str, int]:
    """'127.0.0.1:5353', '[::1]:53' or '192.0.2.1' (port 53) -> (ip, port)."""
    host, port = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected an IP address with an optional port, e.g. 127.0.0.1:5353"
        ) from None
    if not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"{text!r}: port must be 1-65535")
    return host, number


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError("timeout must be between 0 and 600 seconds")
    return value


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `autoconfig` subcommand on an argparse subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "autoconfig",
        help="find the server settings for an email address",
        description="Look up SMTP and IMAP settings for an address: built-in provider data, the "
        "provider's autoconfig file, the Thunderbird ISP database, DNS SRV and MX records, and "
        "finally guessed names. Exit 0 when settings were found, 2 for a bad address, "
        "3 when there is nothing but guesses, 130 when interrupted.",
    )
    parser.add_argument("address", help="the email address, e.g. name@example.com")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--offline", action="store_true", help="use only the built-in provider data (no network)"
    )
    parser.add_argument(
        "--dns-server",
        type=_host_port,
        metavar="HOST:PORT",
        help="ask this DNS server (an IP address) instead of the system's",
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"overall time limit in seconds (default {DEFAULT_TIMEOUT:g})",
    )
    # For tests and corporate mirrors: send every HTTPS lookup to this base URL, and trust an
    # extra CA. Hidden from --help because ordinary users never need them.
    parser.add_argument(
        "--http-base",
        metavar="URL",
        help="send the autoconfig and ISPDB requests to this HTTPS base URL instead (a "
        "company mirror or proxy); the real host name becomes the first path segment",
    )
    parser.add_argument(
        "--ca-file", help="trust this CA certificate file (PEM) as well for the HTTPS lookups"
    )
    parser.set_defaults(handler=run)
    return parser


def options_from(args: argparse.Namespace) -> LookupOptions:
    return LookupOptions(
        timeout=args.timeout,
        offline=args.offline,
        dns_server=args.dns_server,
        http_base=args.http_base,
        ca_file=args.ca_file,
    )


def run(args: argparse.Namespace, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Run the lookup for parsed arguments and print the result; returns the exit code.

    Same signature as the other subcommand handlers of mailgui.cli (stdin is not used).
    """
    out = out or sys.stdout
    try:
        result = lookup(args.address, options_from(args))
    except InputError as exc:
        if args.json:
            error = {"field": exc.field, "message": exc.message}
            json.dump({"error": error, "candidates": []}, out)
            out.write("\n")
        else:
            print(f"mailgui autoconfig: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mailgui autoconfig: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.json:
        json.dump(result.to_json(), out, indent=2)
        out.write("\n")
    else:
        print_text(result, out)
    return EXIT_FOUND if result.found else EXIT_ONLY_GUESSES


def _server_line(kind: str, c: Candidate) -> str:
    s = c.smtp if kind == "SMTP" else c.imap
    assert s is not None
    return f"{kind} {s.host}:{s.port} {s.security.label}, user {s.username}"


def print_text(result: AutoconfigResult, out: TextIO) -> None:
    best = result.best
    title = f"Settings for {result.address.address}"
    if best is not None and best.provider:
        title += f" ({best.provider})"
    print(title, file=out)
    for notice in result.notices:
        print(f"  ! {notice}", file=out)
    if not result.candidates:
        print("  nothing found", file=out)
    for number, c in enumerate(result.candidates, 1):
        flags = ", ".join(s.value for s in c.all_sources)
        if not c.verified:
            flags += ", unverified"
        print(f"{number:3}. {_server_line('SMTP', c)}  [{flags}]", file=out)
        if c.imap is not None:
            print(f"     {_server_line('IMAP', c)}", file=out)
    if best is not None and (best.notes or best.help_links):
        print("Sign-in notes:", file=out)
        for note in best.notes:
            print(f"  - {note}", file=out)
        for link in best.help_links:
            print(f"  - {link.label}: {link.url}", file=out)
    if best is not None and best.source is Source.GUESS:
        print("Nothing was published for this domain: these are guesses.", file=out)
        print("Run `mailgui probe` to find out which one answers.", file=out)
    print("Sources:", file=out)
    for status in result.statuses:
        print(f"  {status.source.value:<11} {status.describe()}", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry (tests, debugging): `python -m mailgui.cli_autoconfig ADDRESS ...`."""
    parser = argparse.ArgumentParser(prog="mailgui")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["autoconfig", *(sys.argv[1:] if argv is None else argv)])
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
