"""`mailgui probe`: find working SMTP settings headless; plus the extras of `mailgui check`.

`add_parser(subparsers)` registers the subcommand; `run(args)` runs it. For `mailgui check`
the lead's CLI calls `full_check(...)` (the stage ladder with the envelope dry run, optionally
the IMAP ladder, optionally a report file) and prints `FullCheck.to_json()` or its text.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from mailgui.core.accounts import Account, AuthMethod, Security, ServerSettings

EXIT_OK, EXIT_INPUT, EXIT_CANCELLED = 0, 2, 130
# probe: nothing worked -> the code of the most telling reason (same table as `check`).
OUTCOME_EXIT = {"dns": 3, "certificate": 5, "auth-failed": 8, "no-auth": 8}
STAGE_EXIT = {
    "dns": 3,
    "connect": 4,
    "tls": 5,
    "ehlo": 6,
    "capability": 6,
    "starttls": 7,
    "auth": 8,
    "login": 8,
    "envelope": 9,
    "data": 10,
    "list": 6,
    "inbox": 6,
    "quit": 6,
}
CATEGORY_EXIT = {"cancelled": EXIT_CANCELLED, "input": EXIT_INPUT, "keyring": 12}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "probe",
        help="try ports 465/587/25/2525 in parallel and recommend working settings",
        description="Probe host x port x security in parallel; print every combination with "
        "its outcome, and the recommended settings. With a password, only the best one or two "
        "are tried with it.",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--host", help="the SMTP server name to probe")
    target.add_argument(
        "--email", help="an address: probe smtp.DOMAIN and mail.DOMAIN (and --server if given)"
    )
    parser.add_argument("--server", help="with --email: also probe this host name first")
    parser.add_argument("--user", help="user name to sign in with (default: the address)")
    parser.add_argument(
        "--password-env", metavar="VAR", help="read the password from this environment variable"
    )
    parser.add_argument("--ca-file", help="trust this CA certificate file (PEM) as well")
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="seconds for each try (default 5)"
    )
    parser.add_argument(
        "--time-limit", type=float, help="seconds for the whole search (default: about 2 tries)"
    )
    parser.add_argument(
        "--ports",
        metavar="LIST",
        help="port:security pairs in order of preference "
        "(default 465:ssl,587:starttls,25:starttls,2525:starttls)",
    )
    parser.add_argument(
        "--allow-plain",
        action="store_true",
        help="also try without encryption (the password is still never sent unencrypted)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)
    return parser


def parse_ports(text: str) -> list[Any]:
    """'465:ssl,587:starttls' -> [PortChoice, ...]; ValueError with a plain message."""
    from mailgui.core.discovery import PortChoice

    choices = []
    for item in text.split(","):
        port_text, _, security_text = item.strip().partition(":")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{item!r} is not PORT:SECURITY with a port from 1 to 65535")
        try:
            security = Security(security_text or "starttls")
        except ValueError:
            raise ValueError(f"{security_text!r} is not one of ssl, starttls, none") from None
        choices.append(PortChoice(int(port_text), security))
    return choices


def run(args: argparse.Namespace, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """`mailgui probe`: exit 0 when something works, else the code of the telling reason."""
    from mailgui.core.discovery import DEFAULT_PORTS, candidate_hosts, discover

    out = out or sys.stdout
    try:
        ports = parse_ports(args.ports) if args.ports else list(DEFAULT_PORTS)
        password = _password(args.password_env)
    except ValueError as exc:
        return _input_error(str(exc), args.json, out)
    email = args.email or ""
    user = args.user or email
    host = args.host or args.server or ""
    base = ServerSettings(
        host=host,
        username=user,
        auth=AuthMethod.PASSWORD if (password or user) else AuthMethod.NONE,
        ca_file=args.ca_file,
    )
    hosts = candidate_hosts(host, email)
    try:
        result = discover(
            base,
            email=email or None,
            password=password,
            hosts=hosts,
            ports=ports,
            allow_plain=args.allow_plain,
            timeout=args.timeout,
            time_limit=args.time_limit,
        )
    except KeyboardInterrupt:
        return EXIT_CANCELLED
    data = result.to_json()
    code = _probe_exit(data)
    data["exit_code"] = code
    if args.json:
        json.dump(data, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        _print_probe(data, out)
    return code


def _password(var: str | None) -> str | None:
    if not var:
        return None
    value = os.environ.get(var)
    if value is None:
        raise ValueError(f"The environment variable {var} is not set.")
    return value


def _input_error(message: str, as_json: bool, out: TextIO) -> int:
    if as_json:
        json.dump({"ok": False, "error": {"category": "input", "message": message}}, out)
        out.write("\n")
    else:
        out.write(f"{message}\n")
    return EXIT_INPUT


def _probe_exit(data: dict[str, Any]) -> int:
    if data["cancelled"]:
        return EXIT_CANCELLED
    outcomes = [a["outcome"] for a in data["attempts"]]
    if data["ranked"]:
        return EXIT_OK
    for outcome in ("auth-failed", "certificate", "no-auth"):
        if outcome in outcomes:
            return OUTCOME_EXIT[outcome]
    if outcomes and all(o == "dns" for o in outcomes):
        return OUTCOME_EXIT["dns"]
    return STAGE_EXIT["connect"]


def _print_probe(data: dict[str, Any], out: TextIO) -> None:
    for a in data["attempts"]:
        where = f"{a['host']}:{a['port']} {a['security']}"
        mark = "ok  " if a["outcome"] == "works" else "--  "
        out.write(f"[{mark}] {where:<36} {a['reason']:<48} {a['duration_ms']:>7.0f} ms")
        out.write(f"  {a['detail']}\n" if a["detail"] and a["detail"] != a["reason"] else "\n")
    rec = data.get("recommended")
    count = len(data["attempts"])
    noun = "combination" if count == 1 else "combinations"
    out.write(f"\nSearched {count} {noun} in {data['elapsed_ms']:.0f} ms.\n")
    if rec:
        out.write(f"Recommended: {rec['host']} port {rec['port']} {rec['security']}\n")
        if any(a["outcome"] == "auth-failed" for a in data["attempts"]) and not data["ranked"]:
            out.write("These settings answer, but the server refused the user name or password.\n")
    else:
        out.write("Nothing worked. The reasons are listed above.\n")


# ---------------------------------------------------------------------------------------------
# For `mailgui check`: the ladder with the envelope dry run, IMAP, and a report file


@dataclass
class FullCheck:
    smtp: Any  # ProbeResult
    imap: Any | None  # ImapResult
    report_path: Path | None
    exit_code: int

    @property
    def ok(self) -> bool:
        return bool(self.smtp.ok and (self.imap is None or self.imap.ok))

    def to_json(self) -> dict[str, Any]:
        """The `check --json` object: ok, stages, diagnosis, transcript as before, plus
        capabilities, tls, certificate, mx, imap (or null) and report (the file written)."""
        smtp = self.smtp.to_json()
        return {
            "ok": self.ok,
            "stages": smtp["stages"],
            "diagnosis": smtp["diagnosis"],
            "transcript": smtp["transcript"],
            "capabilities": smtp["capabilities"],
            "tls": smtp["tls"],
            "certificate": smtp["certificate"],
            "suggested_host": smtp["suggested_host"],
            "mx": smtp["mx"],
            "imap": self.imap.to_json() if self.imap is not None else None,
            "report": str(self.report_path) if self.report_path else None,
            "exit_code": self.exit_code,
        }

    def to_text(self) -> str:
        from mailgui.core.report import build_report, render

        return render(build_report(smtp=self.smtp, imap=self.imap), "text")


def full_check(
    account: Account,
    password: str | None,
    *,
    imap: bool = False,
    imap_password: str | None = None,
    dry_run: bool = True,
    report_path: Path | None = None,
    timeout: float = 30.0,
    qt_version: str = "n/a",
) -> FullCheck:
    """The SMTP ladder (with the envelope dry run from the account's own address when
    `dry_run`), the IMAP ladder when `imap`, and the report written to `report_path`
    (.json, .md or text by its suffix). Never raises for network trouble; OSError from
    writing the report file propagates."""
    from mailgui.core.imap import check_imap, imap_settings_for
    from mailgui.core.probe import run_ladder

    smtp = run_ladder(
        account.smtp, password, email=account.email or None, timeout=timeout, dry_run=dry_run
    )
    imap_result = None
    if imap:
        imap_result = check_imap(
            imap_settings_for(account),
            imap_password if imap_password is not None else password,
            email=account.email or None,
            timeout=timeout,
        )
    written = None
    if report_path is not None:
        from mailgui.core.fileio import atomic_write_text
        from mailgui.core.report import build_report, format_for_path, render

        secrets = [s for s in (password, imap_password) if s]
        report = build_report(
            account=account, smtp=smtp, imap=imap_result, qt_version=qt_version, secrets=secrets
        )
        atomic_write_text(report_path, render(report, format_for_path(str(report_path))))
        written = report_path
    return FullCheck(smtp, imap_result, written, check_exit_code(smtp, imap_result))


def check_exit_code(smtp: Any, imap: Any | None = None) -> int:
    """0, or the code of the first failing stage (SMTP first, then IMAP)."""
    for result in (smtp, imap):
        if result is None or result.ok:
            continue
        category = result.diagnosis.category.value if result.diagnosis else None
        if category in CATEGORY_EXIT:
            return CATEGORY_EXIT[category]
        return STAGE_EXIT.get(result.failed_stage or "", 1)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run `probe` on its own (handy while the main CLI is elsewhere)."""
    parser = argparse.ArgumentParser(prog="mailgui")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    return run(args)
