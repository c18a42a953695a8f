"""Thunderbird clientConfig XML (autoconfig files and the ISPDB), parsed defensively.

The document comes from the network: defusedxml refuses DTDs, entity declarations and external
references (no "billion laughs", no file disclosure), and every host name and port is checked
before it can become a place we send a password to.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from mailgui.core.accounts import AuthMethod, Security, ServerSettings
from mailgui.core.autoconfig_model import (
    Candidate,
    EmailAddress,
    HelpLink,
    Source,
    SourceFailed,
    is_hostname,
)

_SOCKET_TYPES = {"SSL": Security.SSL, "STARTTLS": Security.STARTTLS, "PLAIN": Security.NONE}
_NO_PASSWORD_AUTH = {"none", "client-ip-address", "tls-client-cert"}


def _text(node: Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""


def _server(node: Element, address: EmailAddress) -> tuple[ServerSettings, bool] | None:
    """ServerSettings for one <incomingServer>/<outgoingServer>, and whether it is OAuth2-only.

    None when the entry is unusable (bad host, bad port, unknown socket type).
    """
    host = address.expand(_text(node.find("hostname"))).lower().rstrip(".")
    port_text = _text(node.find("port"))
    security = _SOCKET_TYPES.get(_text(node.find("socketType")).upper())
    if not is_hostname(host) or not port_text.isdigit() or security is None:
        return None
    port = int(port_text)
    if not 0 < port < 65536:
        return None
    auths = [_text(a).lower() for a in node.findall("authentication")] or ["password-cleartext"]
    oauth2_only = all(a == "oauth2" for a in auths)
    auth = AuthMethod.NONE if all(a in _NO_PASSWORD_AUTH for a in auths) else AuthMethod.PASSWORD
    username = address.expand(_text(node.find("username")) or "%EMAILADDRESS%")
    settings = ServerSettings(host=host, port=port, security=security, username=username, auth=auth)
    return settings, oauth2_only


def parse_document(data: bytes) -> Element:
    """Parse untrusted XML; SourceFailed when it is malformed or uses DTD/entity features."""
    try:
        root: Any = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True)
    except defusedxml.DefusedXmlException as exc:
        raise SourceFailed(f"refused unsafe XML ({type(exc).__name__})") from exc
    except (ParseError, ValueError) as exc:
        raise SourceFailed("malformed XML") from exc
    if not isinstance(root, Element) or root.tag != "clientConfig":
        raise SourceFailed("not a clientConfig document")
    return root


def parse_client_config(data: bytes, address: EmailAddress, source: Source) -> list[Candidate]:
    """Candidates from a clientConfig document: one per usable SMTP server, best first."""
    root = parse_document(data)
    provider_node = root.find("emailProvider")
    if provider_node is None:
        raise SourceFailed("no emailProvider in the document")
    name = _text(provider_node.find("displayName")) or _text(provider_node.find("displayShortName"))
    imap: ServerSettings | None = None
    for node in provider_node.findall("incomingServer"):
        if node.get("type") == "imap":
            parsed = _server(node, address)
            if parsed is not None:
                imap = parsed[0]
                break

    links: list[HelpLink] = []
    notes: list[str] = []
    for doc in provider_node.findall("documentation"):
        url = (doc.get("url") or "").strip()
        if url.startswith("https://"):  # a plain-http help link could be rewritten in transit
            links.append(HelpLink(label=_text(doc.find("descr")) or "Provider help", url=url))
    for enable in root.findall("enable") + provider_node.findall("enable"):
        url = (enable.get("visiturl") or "").strip()
        instruction = _text(enable.find("instruction"))
        if instruction:
            notes.append(instruction)
        if url.startswith("https://"):
            links.append(HelpLink(label=instruction or "Enable mail access first", url=url))

    candidates: list[Candidate] = []
    for node in provider_node.findall("outgoingServer"):
        if node.get("type") != "smtp":
            continue
        parsed = _server(node, address)
        if parsed is None:
            continue
        smtp, oauth2_only = parsed
        extra: list[str] = []
        if oauth2_only:
            extra.append(
                f"{name or 'This provider'} accepts only OAuth2 sign-in for SMTP, which mailgui "
                "does not support yet; a password will be refused."
            )
        if smtp.security is Security.NONE:
            extra.append("This server is listed without encryption; prefer an encrypted one.")
        candidates.append(
            Candidate(
                source=source,
                smtp=smtp,
                imap=imap,
                notes=tuple(notes + extra),
                help_links=tuple(links),
                provider=name or None,
                verified=True,
                oauth2_only=oauth2_only,
            )
        )
    if not candidates:
        raise SourceFailed("no usable SMTP server in the document")
    # unencrypted entries go last, whatever order the file lists them in
    candidates.sort(key=lambda c: c.smtp.security is Security.NONE)
    return candidates
