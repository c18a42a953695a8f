"""The bundled provider settings (resources/providers/providers.json): works fully offline."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailgui.core.accounts import Security, ServerSettings
from mailgui.core.autoconfig_model import Candidate, EmailAddress, HelpLink, Source
from mailgui.core.resources import resource_path


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    security: Security


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    domains: tuple[str, ...]
    mx: tuple[str, ...]  # MX host suffixes that reveal this provider behind a custom domain
    smtp: tuple[Endpoint, ...]
    imap: tuple[Endpoint, ...]
    username: str  # "address" or "localpart"
    imap_username: str
    notes: tuple[str, ...]
    links: tuple[HelpLink, ...]
    oauth2_only: bool = False
    unsupported: str | None = None  # set when the provider offers no SMTP/IMAP at all

    def matches_mx(self, mx_host: str) -> bool:
        host = mx_host.lower().rstrip(".")
        return any(host == s or host.endswith("." + s) for s in self.mx)

    def candidates(self, address: EmailAddress, source: Source) -> list[Candidate]:
        """One candidate per SMTP endpoint, each with the preferred IMAP endpoint."""

        def login(form: str) -> str:
            return address.local if form == "localpart" else address.address

        imap = None
        if self.imap:
            first = self.imap[0]
            imap = ServerSettings(
                host=first.host,
                port=first.port,
                security=first.security,
                username=login(self.imap_username),
            )
        return [
            Candidate(
                source=source,
                smtp=ServerSettings(
                    host=e.host, port=e.port, security=e.security, username=login(self.username)
                ),
                imap=imap,
                notes=self.notes,
                help_links=self.links,
                provider=self.name,
                verified=True,
                oauth2_only=self.oauth2_only,
            )
            for e in self.smtp
        ]


def _endpoints(items: list[dict[str, Any]]) -> tuple[Endpoint, ...]:
    return tuple(
        Endpoint(host=str(i["host"]), port=int(i["port"]), security=Security(i["security"]))
        for i in items
    )


def parse_providers(data: dict[str, Any]) -> tuple[Provider, ...]:
    """Build Provider values from the JSON document (KeyError/ValueError when malformed)."""
    providers = []
    for entry in data["providers"]:
        username = str(entry.get("username", "address"))
        providers.append(
            Provider(
                id=str(entry["id"]),
                name=str(entry["name"]),
                domains=tuple(str(d).lower() for d in entry.get("domains", [])),
                mx=tuple(str(m).lower() for m in entry.get("mx", [])),
                smtp=_endpoints(entry.get("smtp", [])),
                imap=_endpoints(entry.get("imap", [])),
                username=username,
                imap_username=str(entry.get("imap_username", username)),
                notes=tuple(str(n) for n in entry.get("notes", [])),
                links=tuple(
                    HelpLink(label=str(link["label"]), url=str(link["url"]))
                    for link in entry.get("links", [])
                ),
                oauth2_only=bool(entry.get("oauth2_only", False)),
                unsupported=entry.get("unsupported") or None,
            )
        )
    return tuple(providers)


def providers_file() -> Path:
    return resource_path("providers", "providers.json")


@functools.cache
def load_providers() -> tuple[Provider, ...]:
    """The bundled providers, read once per process."""
    with providers_file().open(encoding="utf-8") as f:
        return parse_providers(json.load(f))


def find_by_domain(domain: str) -> Provider | None:
    domain = domain.lower().rstrip(".")
    for provider in load_providers():
        if domain in provider.domains:
            return provider
    return None


def find_by_mx(mx_host: str) -> Provider | None:
    for provider in load_providers():
        if provider.matches_mx(mx_host):
            return provider
    return None
