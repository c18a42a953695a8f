"""Headless front end over the same core the window uses: `mailgui check|send|probe|autoconfig`.

Every command prints stages as they happened, then a diagnosis when something failed; `--json`
prints one object instead. Exit codes say which stage failed (see EXIT_CODES and the README).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from mailgui.core.accounts import Account, AuthMethod, Security, ServerSettings

# One code per failing stage, plus the outcomes that are not a stage. Documented in the README.
EXIT_OK = 0
EXIT_INPUT = 2
EXIT_PARTIAL = 11
EXIT_KEYRING = 12
EXIT_CANCELLED = 130
EXIT_CODES: dict[str, int] = {
    "dns": 3,
    "connect": 4,
    "tls": 5,
    "ehlo": 6,
    "starttls": 7,
    "auth": 8,
    "envelope": 9,
    "data": 10,
}
# When a failure carries no stage, its category still says where it belongs.
CATEGORY_EXIT: dict[str, int] = {
    "input": EXIT_INPUT,
    "keyring": EXIT_KEYRING,
    "cancelled": EXIT_CANCELLED,
    "dns": 3,
    "connect": 4,
    "timeout": 4,
    "certificate": 5,
    "tls-mode": 5,
    "protocol": 6,
    "disconnected": 6,
    "starttls": 7,
    "auth": 8,
    "auth-unavailable": 8,
    "insecure": 8,
    "sender": 9,
    "recipients": 9,
    "rate-limit": 9,
    "data": 10,
    "size": 10,
}

# Every `check --json` object has these keys, also when it stopped before connecting.
CHECK_KEYS: dict[str, Any] = {
    "capabilities": None,
    "tls": None,
    "certificate": None,
    "suggested_host": None,
    "mx": [],
    "imap": None,
    "report": None,
}

# IMAP stages share the SMTP stages' exit codes by what they do.
IMAP_STAGE_AS_SMTP = {"capability": "ehlo", "login": "auth", "list": "ehlo", "inbox": "ehlo"}

MARKS = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}


class CliInputError(Exception):
    """A problem with the command line itself; reported as an `input` diagnosis, exit 2."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------------------------------------
# Parsing


def _connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection (or --account)")
    group.add_argument("--account", metavar="NAME", help="use a saved account (name or id)")
    group.add_argument("--config-dir", type=Path, help="where saved accounts live")
    group.add_argument("--host", help="SMTP server name")
    group.add_argument("--port", type=int, help="port (default: 465 for ssl, 587 for starttls)")
    group.add_argument(
        "--security",
        choices=[s.value for s in Security],
        help="ssl = implicit TLS, starttls = upgrade after connecting, none = unencrypted",
    )
    group.add_argument("--user", help="user name for AUTH (default: no authentication)")
    secret = group.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-env", metavar="VAR", help="read the password from this environment variable"
    )
    secret.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin",
    )
    group.add_argument("--ca-file", help="trust this CA certificate file (PEM) as well")
    group.add_argument(
        "--pin", metavar="SHA256", help="accept exactly this certificate fingerprint"
    )
    group.add_argument(
        "--allow-insecure-auth",
        action="store_true",
        help="allow sending the password over an unencrypted connection (not recommended)",
    )
    group.add_argument(
        "--timeout", type=float, default=30.0, help="seconds for each network operation (30)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailgui",
        description="Check and use SMTP servers without the window. Exit codes: 0 ok, 2 bad "
        "input, 3 dns, 4 connect, 5 tls, 6 ehlo, 7 starttls, 8 auth, 9 envelope, 10 data, "
        "11 some recipients refused, 12 keyring, 130 cancelled.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check", help="connect, TLS, EHLO, AUTH, QUIT and explain what failed"
    )
    _connection_options(check)
    check.add_argument(
        "--dry-run-from",
        metavar="ADDRESS",
        help="the address for the envelope dry run: MAIL FROM and RCPT TO it, then RSET; "
        "nothing is sent (default: the account's address, or --user when it is one)",
    )
    check.add_argument("--no-dry-run", action="store_true", help="skip the envelope dry run")
    check.add_argument("--imap", action="store_true", help="also check the account's IMAP server")
    check.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="write a shareable report (.json, .md, or plain text); never contains a password",
    )
    check.set_defaults(handler=run_check)

    send = commands.add_parser("send", help="send one message and report every recipient")
    _connection_options(send)
    send.add_argument("--from", dest="from_addr", help="sender (default: the account's address)")
    send.add_argument("--to", action="append", default=[], help="recipient (repeatable)")
    send.add_argument("--cc", action="append", default=[], help="copy to (repeatable)")
    send.add_argument("--bcc", action="append", default=[], help="blind copy (repeatable)")
    send.add_argument("--subject", default="", help="subject line")
    body = send.add_mutually_exclusive_group()
    body.add_argument("--body", default=None, help="message text")
    body.add_argument("--body-file", type=Path, help="read the message text from this file")
    send.add_argument("--attach", action="append", default=[], help="attach a file (repeatable)")
    send.set_defaults(handler=run_send)

    for module_name in ("mailgui.cli_probe", "mailgui.cli_autoconfig"):
        _register_optional(commands, module_name)
    return parser


def _register_optional(commands: Any, module_name: str) -> None:
    """Subcommands that live in their own modules register themselves here."""
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return
    module.add_parser(commands)


# ---------------------------------------------------------------------------------------------
# Shared plumbing


def _read_password(args: argparse.Namespace, stdin: TextIO) -> str | None:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            raise CliInputError(
                "password", f"The environment variable {args.password_env} is not set."
            )
        return value
    if args.password_stdin:
        return stdin.readline().rstrip("\r\n")
    return None


def _settings_from_args(args: argparse.Namespace) -> tuple[Account, str | None, bool]:
    """The account to use, the password given on the command line, and whether it is saved."""
    if args.account:
        from mailgui.core.account_store import AccountStore, default_config_dir

        store = AccountStore(args.config_dir or default_config_dir())
        account = store.find(args.account)
        if account is None:
            raise CliInputError("account", f'There is no saved account named "{args.account}".')
        return account, None, True
    if not args.host:
        raise CliInputError("host", "Give --host (and --security) or --account NAME.")
    security = Security(args.security or "starttls")
    port = args.port or {Security.SSL: 465, Security.STARTTLS: 587, Security.NONE: 25}[security]
    if not 0 < port < 65536:
        raise CliInputError("port", f"Port {port} is not between 1 and 65535.")
    settings = ServerSettings(
        host=args.host,
        port=port,
        security=security,
        username=args.user or "",
        auth=AuthMethod.PASSWORD if args.user else AuthMethod.NONE,
        ca_file=args.ca_file,
        pinned_sha256=args.pin,
        allow_insecure_auth=args.allow_insecure_auth,
    )
    user = args.user or ""
    email = getattr(args, "from_addr", None) or (user if "@" in user else "")
    return Account(name=args.host, email=email, smtp=settings), None, False


def _override_account(account: Account, args: argparse.Namespace) -> Account:
    """Command-line connection options win over a saved account's settings."""
    changes: dict[str, Any] = {}
    if args.host:
        changes["host"] = args.host
    if args.port:
        changes["port"] = args.port
    if args.security:
        changes["security"] = Security(args.security)
    if args.user:
        changes["username"] = args.user
    if args.ca_file:
        changes["ca_file"] = args.ca_file
    if args.pin:
        changes["pinned_sha256"] = args.pin
    if args.allow_insecure_auth:
        changes["allow_insecure_auth"] = True
    return account.replace(smtp=account.smtp.replace(**changes)) if changes else account


def _password_for(account: Account, given: str | None, saved: bool) -> str | None:
    if given is not None or account.smtp.auth is AuthMethod.NONE:
        return given
    if not saved:
        return None
    from mailgui.core.credentials import KeyringStore, smtp_key

    return KeyringStore().get_password(smtp_key(account))


def exit_code(category: str | None, stage: str | None) -> int:
    """The documented exit code: by failing stage, except outcomes that are not a stage.

    TLS trouble is 5 wherever the handshake happened (at connect for SSL/TLS, or after
    STARTTLS), so scripts can tell "encryption or certificate" apart from "STARTTLS missing".
    """
    if category in ("input", "keyring", "cancelled", "certificate", "tls-mode"):
        return CATEGORY_EXIT[category]
    if stage in EXIT_CODES:
        return EXIT_CODES[stage]
    return CATEGORY_EXIT.get(category or "", 1)


def _emit(report: dict[str, Any], as_json: bool, out: TextIO) -> None:
    if as_json:
        json.dump(report, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    _emit_stages(report["stages"], out)
    for addr, info in (report.get("recipients") or {}).items():
        verdict = "accepted" if info["accepted"] else f"REFUSED {info['code']} {info['message']}"
        out.write(f"  {addr}: {verdict}\n")
    imap = report.get("imap")
    if imap is not None:
        out.write("IMAP:\n")
        _emit_stages(imap["stages"], out)
    if report.get("report"):
        out.write(f"Report written to {report['report']}\n")
    diagnosis = report.get("diagnosis") or (imap or {}).get("diagnosis")
    if diagnosis:
        _emit_diagnosis(diagnosis, out)
    elif report["ok"]:
        out.write("\nAll good.\n" if not report.get("recipients") else "\nSent.\n")


def _emit_stages(stages: list[dict[str, Any]], out: TextIO) -> None:
    for stage in stages:
        mark = MARKS.get(stage["status"], stage["status"])
        out.write(
            f"[{mark}] {stage['name']:<10} {stage['duration_ms']:>8.1f} ms  {stage['detail']}\n"
        )


def _emit_diagnosis(diagnosis: dict[str, Any], out: TextIO) -> None:
    out.write(f"\n{diagnosis['title']}\n{diagnosis['explanation']}\n")
    reply = diagnosis.get("server_reply") or ""
    if reply and " ".join(reply.split()[1:3]) not in diagnosis["explanation"]:
        out.write(f"The server said: {reply}\n")  # only when the explanation did not quote it
    if diagnosis.get("enhanced_code"):
        meaning = diagnosis.get("enhanced_meaning") or ""
        out.write(f"Status {diagnosis['enhanced_code']}: {meaning}\n")
    if diagnosis["fixes"]:
        out.write("What to try:\n")
        for number, fix in enumerate(diagnosis["fixes"], 1):
            out.write(f"  {number}. {fix}\n")
    if diagnosis.get("help_url"):
        out.write(f"More help: {diagnosis['help_url']}\n")


def _failure_report(error: BaseException) -> dict[str, Any]:
    """A failure before any connection was made (bad input, keyring)."""
    from mailgui.core.diagnosis import explain

    return {"ok": False, "stages": [], "diagnosis": explain(error).to_json(), "transcript": []}


def _run_guarded(
    args: argparse.Namespace,
    stdin: TextIO,
    out: TextIO,
    body: Callable[[Account, str | None], dict[str, Any]],
) -> int:
    """Resolve account and password, run `body`, print, and turn the outcome into an exit code."""
    from mailgui.core.errors import ConfigCorrupt, InputError, KeyringError

    try:
        account, given, saved = _settings_from_args(args)
        account = _override_account(account, args) if saved else account
        password = _read_password(args, stdin) if given is None else given
        password = _password_for(account, password, saved)
    except CliInputError as exc:
        return _finish(_failure_report(InputError(exc.field, str(exc))), args, out)
    except ConfigCorrupt as exc:  # the saved accounts cannot be read: say so, no traceback
        return _finish(_failure_report(exc), args, out)
    except KeyringError as exc:
        report = _failure_report(exc)
        # The window would ask for the password for this session; a command line carries it.
        diagnosis = report["diagnosis"]
        diagnosis["fixes"] = [
            "Give the password with --password-env VAR or --password-stdin instead.",
            *(f for f in diagnosis["fixes"] if "this session" not in f),
        ]
        diagnosis["actions"] = []
        return _finish(report, args, out)
    report = body(account, password)
    return _finish(report, args, out)


def _report_exit_code(report: dict[str, Any]) -> int:
    if report["ok"]:
        partial = any(not r["accepted"] for r in (report.get("recipients") or {}).values())
        return EXIT_PARTIAL if partial else EXIT_OK
    diagnosis = report.get("diagnosis")
    if diagnosis:
        return exit_code(diagnosis.get("category"), diagnosis.get("stage"))
    imap = report.get("imap")
    if imap and not imap["ok"]:  # sending works; receiving does not
        imap_diagnosis = imap.get("diagnosis") or {}
        stage = imap.get("failed_stage")
        return exit_code(imap_diagnosis.get("category"), IMAP_STAGE_AS_SMTP.get(stage or "", stage))
    return 1


def _finish(report: dict[str, Any], args: argparse.Namespace, out: TextIO) -> int:
    """Give every `check` object the same keys, whatever stage it stopped at, add the exit
    code the process returns, and print."""
    if args.command == "check":
        for key, empty in CHECK_KEYS.items():
            report.setdefault(key, empty)
    code = _report_exit_code(report)
    report["exit_code"] = code
    _emit(report, args.json, out)
    return code


def _session_report(result: Any, account: Account) -> dict[str, Any]:
    """Shape a SessionResult into the documented JSON object."""
    from mailgui.core.diagnosis import DiagnosisContext, explain, explain_partial

    report: dict[str, Any] = {
        "ok": bool(result.ok),
        "stages": [stage.to_json() for stage in result.stages],
        "diagnosis": None,
        "transcript": result.transcript.to_json(),
    }
    # The certificate's names let a host name mismatch suggest a name it is valid for.
    names = tuple(result.tls.names) if result.tls is not None else ()
    context = DiagnosisContext.for_account(account, stage=result.failed_stage, cert_names=names)
    if result.error is not None:
        diagnosis = explain(result.error, context).to_json()
        # The stage the session failed in is the truth for the exit code.
        diagnosis["stage"] = result.failed_stage or diagnosis.get("stage")
        report["diagnosis"] = diagnosis
    elif result.partial:
        report["diagnosis"] = explain_partial(result.recipients, context).to_json()
    return report


# ---------------------------------------------------------------------------------------------
# Commands


def run_check(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    """The stage ladder (DNS with MX, connect, TLS, EHLO, STARTTLS, AUTH, envelope dry run,
    QUIT), optionally the IMAP ladder, and the shareable report."""
    from mailgui.cli_probe import full_check

    def body(account: Account, password: str | None) -> dict[str, Any]:
        if args.dry_run_from:
            account = account.replace(email=args.dry_run_from)
        result = full_check(
            account,
            password,
            imap=args.imap,
            dry_run=not args.no_dry_run and bool(account.email),
            report_path=args.report,
            timeout=args.timeout,
        )
        report = result.to_json()
        smtp_diagnosis = report["diagnosis"]
        if smtp_diagnosis is not None:
            smtp_diagnosis["stage"] = result.smtp.failed_stage or smtp_diagnosis.get("stage")
        return report

    return _run_guarded(args, stdin, out, body)


def run_send(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    from mailgui.core.errors import InputError
    from mailgui.core.message import Draft, build_message
    from mailgui.core.smtp import send_message

    def body(account: Account, password: str | None) -> dict[str, Any]:
        try:
            text = args.body_file.read_text("utf-8") if args.body_file else (args.body or "")
        except (OSError, UnicodeDecodeError) as exc:
            error: BaseException = InputError(
                "body", f"Cannot read the message text from {args.body_file}: {exc.strerror or exc}"
            )
            return _failure_report(error)
        draft = Draft(
            from_addr=args.from_addr or account.email,
            to=tuple(args.to),
            cc=tuple(args.cc),
            bcc=tuple(args.bcc),
            subject=args.subject,
            body=text,
            attachments=tuple(args.attach),
        )
        try:
            built = build_message(draft)
        except InputError as exc:
            return _failure_report(exc)
        result = send_message(account.smtp, password, built, timeout=args.timeout)
        report = _session_report(result, account)
        report["recipients"] = {
            addr: {"accepted": r.accepted, "code": r.code, "message": r.message}
            for addr, r in result.recipients.items()
        }
        return report

    return _run_guarded(args, stdin, out, body)


def main(
    argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, out: TextIO | None = None
) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    handler = args.handler
    try:
        return int(handler(args, stdin or sys.stdin, out or sys.stdout))
    except KeyboardInterrupt:
        return EXIT_CANCELLED
