"""Decode one SMTP server reply (code + text) into a Diagnosis, by rule tables and code class."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mailgui.core.accounts import Security
from mailgui.core.diagnosis_advice import Advice
from mailgui.core.diagnosis_rules import GENERIC_RULES, ReplyRule, matches
from mailgui.core.diagnosis_types import (
    Action,
    Category,
    Diagnosis,
    DiagnosisContext,
    RefusedRecipient,
)
from mailgui.core.provider_rules import PROVIDER_RULES
from mailgui.core.providers import PROVIDERS_BY_KEY, Provider, detect_provider
from mailgui.core.status_codes import (
    EnhancedCode,
    enhanced_meaning,
    parse_enhanced,
    reply_class,
    reply_meaning,
)

A = Action
MAX_REPLY = 2000
# Long runs of base64 could be an AUTH payload a server echoed back: never show them.
_BASE64_RUN = re.compile(r"(?<![\w/+.=:-])[A-Za-z0-9+/]{20,}={0,2}(?![\w/+=])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")

# The category a reply falls into when no rule matched, by the step it answered.
KIND_CATEGORY: dict[str, Category] = {
    "banner": Category.CONNECT,
    "helo": Category.PROTOCOL,
    "starttls": Category.STARTTLS,
    "auth": Category.AUTH,
    "mail": Category.SENDER,
    "rcpt": Category.RECIPIENTS,
    "data": Category.DATA,
    "other": Category.PROTOCOL,
}
KIND_STAGE: dict[str, str] = {
    "banner": "connect",
    "helo": "ehlo",
    "starttls": "starttls",
    "auth": "auth",
    "mail": "envelope",
    "rcpt": "envelope",
    "data": "data",
}
KIND_WHAT: dict[str, str] = {
    "banner": "when mailgui connected",
    "helo": "to mailgui's greeting",
    "starttls": "when asked to start encryption",
    "auth": "when mailgui signed in",
    "mail": "to the sender address",
    "rcpt": "to a recipient address",
    "data": "to the message itself",
    "other": "to a command",
}
DEFAULT_ACTIONS: dict[Category, tuple[Action, ...]] = {
    Category.DNS: (A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    Category.CONNECT: (A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    Category.TIMEOUT: (A.RETRY, A.TEST_CONNECTION, A.EDIT_ACCOUNT),
    Category.TLS_MODE: (A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    Category.CERTIFICATE: (A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    Category.STARTTLS: (A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    Category.AUTH_UNAVAILABLE: (A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    Category.AUTH: (A.ENTER_PASSWORD, A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    Category.SENDER: (A.EDIT_ACCOUNT, A.EDIT_MESSAGE),
    Category.RECIPIENTS: (A.EDIT_MESSAGE,),
    Category.DATA: (A.EDIT_MESSAGE,),
    Category.SIZE: (A.EDIT_MESSAGE,),
    Category.RATE_LIMIT: (A.RETRY,),
    Category.DISCONNECTED: (A.RETRY, A.TEST_CONNECTION),
    Category.PROTOCOL: (A.TEST_CONNECTION, A.EDIT_ACCOUNT),
    Category.INSECURE: (A.EDIT_ACCOUNT, A.TEST_CONNECTION),
    Category.KEYRING: (A.RETRY, A.ENTER_PASSWORD),
    Category.INPUT: (A.EDIT_ACCOUNT,),
    Category.CANCELLED: (A.RETRY,),
}


def decode_reply(raw: object) -> str:
    """Server reply bytes or text -> readable text (multi-line joined with newlines)."""
    if isinstance(raw, bytes | bytearray | memoryview):
        text = bytes(raw).decode("utf-8", errors="replace")
    elif isinstance(raw, str):
        text = raw
    else:
        return ""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip()[:MAX_REPLY]


def scrub(text: str) -> str:
    """Hide anything that might be an echoed credential (long base64 runs)."""
    return _BASE64_RUN.sub("***", text)


def as_code(value: object) -> int | None:
    """A usable reply code (100..999), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 100 <= value <= 999 else None


def security_of(ctx: DiagnosisContext) -> Security | None:
    try:
        return Security(ctx.security) if ctx.security is not None else None
    except (ValueError, TypeError):
        return None


def port_of(ctx: DiagnosisContext) -> int | None:
    port = ctx.port
    return port if isinstance(port, int) and not isinstance(port, bool) and port > 0 else None


def starttls_port(port: int | None) -> int:
    """The port to use with STARTTLS: keep the user's, unless it belongs to another mode."""
    return 587 if port in (None, 25, 465) or port is None or port > 65535 else port


def ssl_port(port: int | None) -> int:
    return 465 if port in (None, 25, 587) or port is None or port > 65535 else port


def suggestion_for(kind: str | None, ctx: DiagnosisContext) -> dict[str, Any] | None:
    port = port_of(ctx)
    if kind == "starttls":
        return {"security": Security.STARTTLS.value, "port": starttls_port(port)}
    if kind == "ssl":
        return {"security": Security.SSL.value, "port": ssl_port(port)}
    if kind == "submission":
        return {"security": Security.STARTTLS.value, "port": 587}
    return None


def fill(text: str, ctx: DiagnosisContext) -> str:
    port = port_of(ctx)
    values = {
        "port": str(port) if port else "the port",
        "host": ctx.host if isinstance(ctx.host, str) and ctx.host else "the server",
        "starttls_port": str(starttls_port(port)),
        "ssl_port": str(ssl_port(port)),
    }
    try:
        return text.format_map(values)
    except (KeyError, ValueError, IndexError):
        return text


def is_insecure(ctx: DiagnosisContext) -> bool:
    return security_of(ctx) == Security.NONE


@dataclass(frozen=True)
class Reply:
    """One decoded server reply."""

    kind: str
    code: int | None
    text: str
    enhanced: EnhancedCode | None
    provider: Provider | None

    @property
    def one_line(self) -> str:
        """The whole reply on one line, continuation lines without their repeated code."""
        lines = self.text.splitlines()
        if not lines:
            return ""
        prefix = str(self.enhanced) if self.enhanced else None
        parts = [lines[0].strip()]
        for line in lines[1:]:
            line = line.strip()
            if prefix and line.startswith(prefix):
                line = line[len(prefix) :].strip()
            if line:
                parts.append(line)
        joined = " ".join(parts)
        return joined if len(joined) <= 300 else joined[:297] + "..."

    @property
    def shown(self) -> str:
        """The reply as the server sent it, with its code in front."""
        if not self.text:
            return str(self.code) if self.code else ""
        if self.code and not self.text.startswith(str(self.code)):
            return f"{self.code} {self.text}"
        return self.text


def read_reply(kind: str, code: object, raw: object, ctx: DiagnosisContext) -> Reply:
    text = decode_reply(raw)
    if kind == "auth":
        text = scrub(text)
    number = as_code(code)
    enhanced = parse_enhanced(text, number)
    host = ctx.host if isinstance(ctx.host, str) else None
    email = ctx.email if isinstance(ctx.email, str) else None
    return Reply(kind, number, text, enhanced, detect_provider(host, email, text))


def find_rule(reply: Reply, ctx: DiagnosisContext) -> tuple[ReplyRule | None, Provider | None]:
    insecure = is_insecure(ctx)
    provider = reply.provider
    for r in PROVIDER_RULES:
        if provider is not None and r.provider != provider.key:
            continue
        if provider is None and not r.any_provider:
            continue
        if matches(r, reply.kind, reply.code, reply.enhanced, reply.text, insecure=insecure):
            return r, provider or PROVIDERS_BY_KEY.get(r.provider or "")
    for r in GENERIC_RULES:
        if matches(r, reply.kind, reply.code, reply.enhanced, reply.text, insecure=insecure):
            return r, provider
    return None, provider


def klass_of(reply: Reply) -> int | None:
    klass = reply_class(reply.code)
    if klass is None and reply.enhanced is not None:
        klass = reply.enhanced.klass
    return klass


def fallback_advice(reply: Reply) -> Advice:
    """No rule matched: say what the code class means, for the step it answered."""
    category = KIND_CATEGORY.get(reply.kind, Category.PROTOCOL)
    klass = klass_of(reply)
    what = KIND_WHAT.get(reply.kind, "to a command")
    if klass == 4:
        return Advice(
            category,
            "The server had a temporary problem",
            f"The server answered {what} with a temporary failure. Trying again later "
            "usually works.",
            ("Wait a few minutes and try again.", "If it keeps failing, contact the provider."),
            retryable=True,
            actions=(A.RETRY, *DEFAULT_ACTIONS[category]),
        )
    if klass == 5:
        return Advice(
            category,
            "The server refused the request",
            f"The server answered {what} with a permanent refusal; sending it again unchanged "
            "will fail the same way.",
            (
                "Read the server's reply below: it usually names the reason.",
                "Check the account settings and the addresses, then try again.",
                "If it is still unclear, send the details below to the provider.",
            ),
            retryable=False,
        )
    if reply.kind == "rcpt":
        return Advice(
            Category.RECIPIENTS,
            "The server refused this recipient",
            "The server refused the recipient without a reply code mailgui understands.",
            ("Check the address for typos.", "Read the server's reply below."),
            retryable=False,
            field="to",
        )
    return Advice(
        Category.PROTOCOL,
        "The server gave an answer mailgui does not understand",
        f"The server's answer {what} was not a valid SMTP reply. The port may belong to "
        "another kind of server, or something between you and the server interferes.",
        (
            "Check Host and Port: outgoing mail uses 587 (STARTTLS) or 465 (SSL/TLS).",
            "Run Test connection to see each step.",
        ),
        retryable=False,
        field="smtp.port",
    )


def server_said(reply: Reply) -> str:
    line = reply.one_line
    if not line:
        return "The server gave no reason."
    code = f" ({reply.code})" if reply.code and not line.startswith(str(reply.code)) else ""
    return f"The server replied{code}: “{line}”."


def code_note(reply: Reply) -> str | None:
    if reply.enhanced is not None:
        return enhanced_meaning(reply.enhanced)
    meaning = reply_meaning(reply.code)
    return f"{meaning[0].upper()}{meaning[1:]}." if meaning else None


def explain_reply(
    kind: str, code: object, raw: object, ctx: DiagnosisContext, stage: str | None
) -> Diagnosis:
    """Diagnose one reply (`kind` is the SMTP step it answered)."""
    reply = read_reply(kind, code, raw, ctx)
    matched, provider = find_rule(reply, ctx)
    advice = matched.advice if matched is not None else fallback_advice(reply)
    return build(
        advice, reply, ctx, stage, provider, provider_rule=bool(matched and matched.provider)
    )


def build(
    advice: Advice,
    reply: Reply,
    ctx: DiagnosisContext,
    stage: str | None,
    provider: Provider | None,
    *,
    provider_rule: bool = False,
    extra: str = "",
) -> Diagnosis:
    hint = None
    help_url = advice.help_url
    if provider is not None and not provider_rule and advice.category == Category.AUTH:
        # A generic sign-in failure at a known provider: add how that provider signs in.
        hint = provider.sign_in
        help_url = help_url or provider.help_url
    elif provider_rule:
        hint = advice.hint
    if help_url is None and provider is not None:
        help_url = next(iter(_URL.findall(reply.text)), None)
    parts = [fill(advice.hint, ctx)]
    if hint and hint != advice.hint:
        parts.append(hint)
    if extra:
        parts.append(extra)
    parts.append(server_said(reply))
    klass = klass_of(reply)
    retryable = advice.retryable if advice.retryable is not None else klass == 4
    return Diagnosis(
        category=advice.category,
        title=advice.title,
        explanation=" ".join(p for p in parts if p),
        fixes=tuple(fill(f, ctx) for f in advice.fixes),
        reply_code=reply.code,
        enhanced_code=str(reply.enhanced) if reply.enhanced else None,
        enhanced_meaning=code_note(reply),
        server_reply=reply.shown or None,
        provider=provider.name if provider else None,
        help_url=help_url,
        stage=stage or KIND_STAGE.get(reply.kind),
        retryable=retryable,
        actions=advice.actions or DEFAULT_ACTIONS[advice.category],
        field=advice.field,
        suggestion=suggestion_for(advice.suggest, ctx),
        hint=hint,
    )


def refused_list(
    items: Mapping[Any, Any], ctx: DiagnosisContext
) -> tuple[list[RefusedRecipient], list[Diagnosis]]:
    """Per-recipient reasons from {address: (code, reply)} or {address: RecipientResult}."""
    refused: list[RefusedRecipient] = []
    diagnoses: list[Diagnosis] = []
    for address, value in list(items.items())[:500]:
        if getattr(value, "accepted", False) is True:
            continue
        if isinstance(value, tuple | list) and len(value) >= 2:
            code, raw = value[0], value[1]
        else:
            code, raw = getattr(value, "code", None), getattr(value, "message", value)
        if (number := as_code(code)) is not None and number < 300:
            continue  # accepted (250 / 251)
        d = explain_reply("rcpt", code, raw, ctx, "envelope")
        reason = d.title if d.category == Category.RECIPIENTS else f"{d.title} ({d.category})"
        refused.append(
            RefusedRecipient(
                address=str(address)[:320],
                code=d.reply_code,
                enhanced_code=d.enhanced_code,
                reason=reason,
                server_reply=d.server_reply or "",
            )
        )
        diagnoses.append(d)
    return refused, diagnoses


def describe_refused(refused: list[RefusedRecipient]) -> str:
    lines = []
    for r in refused[:20]:
        code = " ".join(str(c) for c in (r.code, r.enhanced_code) if c)
        lines.append(f"{r.address}: {r.reason}" + (f" ({code})" if code else ""))
    more = f"; and {len(refused) - 20} more" if len(refused) > 20 else ""
    return "; ".join(lines) + more
