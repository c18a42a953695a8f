"""A connection report a help desk can read: plain text, Markdown or JSON.

Built from the results' own `to_json()` shapes, so the three formats say the same thing. The
engine already scrubs secrets at the source (transcript lines, exceptions, replies); the report
scrubs once more, but only text that came from outside: server replies, transcript lines, stage
details that quote the server, certificate fields, capabilities. mailgui's own wording (titles,
explanations, fixes, field and stage names, skip reasons) is never touched, so a password that
is a common word ("password") neither garbles the report nor gives itself away.
"""

from __future__ import annotations

import datetime
import json
import platform
import re
import ssl
import sys
from collections.abc import Iterable
from typing import Any, Protocol

from mailgui import __version__
from mailgui.core.accounts import Account
from mailgui.core.transcript import Transcript

FORMATS = ("text", "markdown", "json")


class _HasJson(Protocol):
    def to_json(self) -> dict[str, Any]: ...


def versions(qt: str = "n/a") -> dict[str, str]:
    """Versions worth quoting in a support ticket. Qt comes from the UI; the CLI says n/a."""
    return {
        "mailgui": __version__,
        "python": platform.python_version(),
        "qt": qt,
        "openssl": ssl.OPENSSL_VERSION,
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "platform": sys.platform,
    }


def build_report(
    *,
    account: Account | None = None,
    smtp: _HasJson | None = None,
    imap: _HasJson | None = None,
    discovery: _HasJson | None = None,
    qt_version: str = "n/a",
    secrets: Iterable[str] = (),
) -> dict[str, Any]:
    """The report as one JSON-ready dict; `secrets` are scrubbed from every string in it."""
    report: dict[str, Any] = {
        "report": "mailgui connection report",
        "generated": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "versions": versions(qt_version),
        "account": _account(account),
        "smtp": smtp.to_json() if smtp else None,
        "imap": imap.to_json() if imap else None,
        "discovery": discovery.to_json() if discovery else None,
    }
    scrubber = Transcript(secrets=[s for s in secrets if s])
    for side in ("smtp", "imap"):
        report[side] = _scrub_session(report[side], scrubber)
    report["discovery"] = _scrub_discovery(report["discovery"], scrubber)
    # A help desk needs to know that a custom CA is used, not where the user's files live:
    # the CA file's full path becomes its name, wherever it shows up.
    paths = {p: file_name(p) for p in _ca_files(account) if file_name(p) != p}
    shortened: dict[str, Any] = _replace_paths(report, paths)
    return shortened


def file_name(path: str) -> str:
    """The last part of a path, with either separator (a Windows path read anywhere)."""
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1] or path


def render(report: dict[str, Any], fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _Writer(markdown=True).document(report)
    if fmt == "text":
        return _Writer(markdown=False).document(report)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")


def format_for_path(path: str) -> str:
    """Pick the format from a file name: .json, .md/.markdown, anything else plain text."""
    lower = path.lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".md", ".markdown")):
        return "markdown"
    return "text"


def _account(account: Account | None) -> dict[str, Any] | None:
    if account is None:
        return None
    data = account.to_dict()
    data.pop("id", None)
    return data


def _ca_files(account: Account | None) -> list[str]:
    if account is None:
        return []
    sides = (account.smtp, getattr(account, "imap", None))
    return [s.ca_file for s in sides if s is not None and s.ca_file]


# Session keys whose values are mailgui's own (or the user's settings); every other key of a
# session (transcript, capabilities, tls, certificate, mx, mailboxes, ...) is outside text.
_OWN_SESSION_KEYS = frozenset(
    {"ok", "host", "port", "security", "failed_stage", "test_message_sent", "inbox_messages"}
)
# Stages whose passed detail quotes the server (replies, capabilities, certificate fields).
# A failed stage's detail quotes an exception, outside text too; a skip reason is mailgui's.
_SERVER_DETAIL_STAGES = frozenset(
    {"tls", "starttls", "ehlo", "envelope", "data", "quit", "capability"}
)
# Discovery outcomes whose detail quotes the server or an exception (the rest are fixed words).
_SERVER_DETAIL_OUTCOMES = frozenset({"works", "protocol", "certificate", "no-starttls"})


def _scrub_session(data: dict[str, Any] | None, scrubber: Transcript) -> dict[str, Any] | None:
    if data is None:
        return None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in _OWN_SESSION_KEYS:
            out[key] = value
        elif key == "stages":
            out[key] = [_scrub_stage(s, scrubber) for s in value or []]
        elif key == "diagnosis":
            out[key] = _scrub_diagnosis(value, scrubber)
        else:
            out[key] = _scrub(value, scrubber)
    return out


def _scrub_stage(stage: dict[str, Any], scrubber: Transcript) -> dict[str, Any]:
    status = stage.get("status")
    quotes_server = status == "failed" or (
        status == "passed" and stage.get("name") in _SERVER_DETAIL_STAGES
    )
    if not quotes_server:
        return stage
    return {**stage, "detail": _scrub(stage.get("detail", ""), scrubber)}


def _scrub_diagnosis(d: dict[str, Any] | None, scrubber: Transcript) -> dict[str, Any] | None:
    """Only what the server said; the rest is mailgui's wording (and the engine has already
    scrubbed the exception a diagnosis quotes)."""
    if d is None:
        return None
    out = dict(d)
    out["server_reply"] = _scrub(d.get("server_reply"), scrubber)
    if isinstance(d.get("refused"), list):
        out["refused"] = [
            {**r, "server_reply": _scrub(r.get("server_reply"), scrubber)}
            if isinstance(r, dict)
            else _scrub(r, scrubber)
            for r in d["refused"]
        ]
    return out


def _scrub_discovery(d: dict[str, Any] | None, scrubber: Transcript) -> dict[str, Any] | None:
    if d is None:
        return None
    attempts = []
    for attempt in d.get("attempts") or []:
        a = dict(attempt)
        if a.get("outcome") in _SERVER_DETAIL_OUTCOMES:
            a["detail"] = _scrub(a.get("detail", ""), scrubber)
        a["tls"] = _scrub(a.get("tls"), scrubber)
        attempts.append(a)
    return {**d, "attempts": attempts}


def _scrub(value: Any, scrubber: Transcript) -> Any:
    if isinstance(value, str):
        return scrubber.redact(value)
    if isinstance(value, dict):
        return {k: _scrub(v, scrubber) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v, scrubber) for v in value]
    return value


def _replace_paths(value: Any, paths: dict[str, str]) -> Any:
    if not paths:
        return value
    if isinstance(value, str):
        for path, name in paths.items():
            value = value.replace(path, name)
        return value
    if isinstance(value, dict):
        return {k: _replace_paths(v, paths) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace_paths(v, paths) for v in value]
    return value


class _Writer:
    def __init__(self, *, markdown: bool) -> None:
        self.md = markdown
        self.out: list[str] = []

    def document(self, report: dict[str, Any]) -> str:
        self.heading(1, "mailgui connection report")
        self.line(f"Generated: {report.get('generated', '')}")
        self.blank()
        self.heading(2, "Versions")
        self.pairs(report.get("versions") or {})
        account = report.get("account")
        if account:
            self.heading(2, "Account")
            self.pairs({"name": account.get("name"), "email": account.get("email")})
            for side in ("smtp", "imap"):
                if account.get(side):
                    self.line(f"{side.upper()} settings:")
                    self.pairs(account[side], indent=1)
        if report.get("smtp"):
            self.session("SMTP", report["smtp"])
        if report.get("imap"):
            self.session("IMAP", report["imap"])
        if report.get("discovery"):
            self.discovery(report["discovery"])
        return "\n".join(self.out).rstrip() + "\n"

    # -- sections
    def session(self, title: str, data: dict[str, Any]) -> None:
        verdict = "works" if data.get("ok") else f"failed at {data.get('failed_stage')}"
        self.heading(2, f"{title} connection test: {verdict}")
        self.stages(data.get("stages") or [])
        facts = {
            "addresses": ", ".join(data.get("addresses") or []) or None,
            "connected to": data.get("address"),
            "MX of the domain": ", ".join(data.get("mx") or []) or None,
            "folders": ", ".join(data.get("mailboxes") or []) or None,
            "messages in INBOX": data.get("inbox_messages"),
        }
        self.pairs({k: v for k, v in facts.items() if v is not None})
        if data.get("diagnosis"):
            self.diagnosis(data["diagnosis"])
        for key, label in (("tls", "TLS"), ("certificate", "Certificate shown by the server")):
            if data.get(key):
                self.heading(3, label)
                self.certificate(data[key])
        caps = data.get("capabilities")
        if caps:
            self.heading(3, "Capabilities")
            if isinstance(caps, dict):
                shown = {k: v for k, v in caps.items() if k != "raw"}
                self.pairs({k: _plain(v) for k, v in shown.items()})
            else:
                self.line(" ".join(str(c) for c in caps))
                self.blank()
        transcript = data.get("transcript") or []
        if transcript:
            self.heading(3, "Transcript (passwords removed)")
            self.block(transcript)

    def stages(self, stages: list[dict[str, Any]]) -> None:
        if not stages:
            return
        if self.md:
            self.line("| stage | result | time | detail |")
            self.line("|---|---|---:|---|")
            for s in stages:
                self.row(s["name"], s["status"], f"{s['duration_ms']} ms", s.get("detail", ""))
        else:
            for s in stages:
                mark = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}.get(s["status"], "?")
                self.line(
                    f"[{mark}] {s['name']:<10} {s['duration_ms']:>8} ms  {s.get('detail', '')}"
                )
        self.blank()

    def diagnosis(self, d: dict[str, Any]) -> None:
        self.heading(3, f"Diagnosis: {d.get('title', '')}")
        self.line(str(d.get("explanation", "")))
        self.blank()
        facts = {
            "category": d.get("category"),
            "stage": d.get("stage"),
            "reply code": d.get("reply_code"),
            "enhanced code": " ".join(
                str(x) for x in (d.get("enhanced_code"), d.get("enhanced_meaning")) if x
            )
            or None,
            "server said": d.get("server_reply"),
            "provider": d.get("provider"),
            "help": d.get("help_url"),
        }
        self.pairs({k: v for k, v in facts.items() if v not in (None, "")})
        fixes = d.get("fixes") or []
        if fixes:
            self.line("What to try:")
            for n, fix in enumerate(fixes, 1):
                self.line(f"{n}. {fix}")
            self.blank()

    def certificate(self, c: dict[str, Any]) -> None:
        self.pairs(
            {
                "protocol": " ".join(x for x in (c.get("version"), c.get("cipher")) if x) or None,
                "subject": c.get("subject"),
                "valid for": ", ".join(c.get("names") or []),
                "issuer": c.get("issuer"),
                "valid from": c.get("not_before"),
                "valid until": c.get("not_after"),
                "SHA-256": c.get("sha256"),
                "verified by": c.get("verified_by"),
            }
        )

    def discovery(self, d: dict[str, Any]) -> None:
        self.heading(2, "Working settings search")
        rec = d.get("recommended")
        if rec:
            self.line(f"Recommended: {rec['host']} port {rec['port']} {rec['security']}")
        else:
            self.line("Nothing worked.")
        self.line(f"Took {d.get('elapsed_ms')} ms.")
        self.blank()
        attempts = d.get("attempts") or []
        if self.md:
            self.line("| host | port | security | outcome | time | detail |")
            self.line("|---|---:|---|---|---:|---|")
            for a in attempts:
                self.row(
                    a["host"],
                    a["port"],
                    a["security"],
                    a["reason"],
                    f"{a['duration_ms']} ms",
                    a.get("detail", ""),
                )
        else:
            for a in attempts:
                where = f"{a['host']}:{a['port']} {a['security']}"
                self.line(f"{where:<34} {a['reason']:<45} {a['detail']}")
        self.blank()

    # -- primitives
    def heading(self, level: int, text: str) -> None:
        if self.md:
            self.out.append(f"{'#' * level} {text}")
        else:
            self.out.append(text)
            self.out.append(("=" if level == 1 else "-") * len(text) if level < 3 else "")
            if level >= 3:
                self.out.pop()
                self.out[-1] = f"{text}:"
        self.blank()

    def line(self, text: str) -> None:
        self.out.append(text)

    def row(self, *cells: object) -> None:
        """One Markdown table row; each cell escaped so server text cannot break the table."""
        self.out.append("| " + " | ".join(md_cell(c) for c in cells) + " |")

    def blank(self) -> None:
        if self.out and self.out[-1] != "":
            self.out.append("")

    def pairs(self, data: dict[str, Any], indent: int = 0) -> None:
        pad = "  " * indent
        for key, value in data.items():
            shown = _plain(value)
            self.out.append(f"{pad}- **{key}**: {shown}" if self.md else f"{pad}{key}: {shown}")
        self.blank()

    def block(self, lines: list[str]) -> None:
        if self.md:
            self.out.append("```")
            self.out.extend(str(x) for x in lines)
            self.out.append("```")
        else:
            self.out.extend(f"  {x}" for x in lines)
        self.blank()


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: "|" escaped, line breaks as <br>."""
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return re.sub(r"\r\n|\r|\n", "<br>", text)
