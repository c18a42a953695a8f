"""DNS for autoconfig: RFC 6186 / RFC 8314 SRV records and MX, with dnspython, time-bounded."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.resolver

from mailgui.core.autoconfig_model import LookupOptions, SourceFailed, is_hostname

# Second-level labels under which registries hand out names (example.co.uk): the registrable
# domain of mx1.example.co.uk is example.co.uk, not co.uk. A short list is enough for MX hosts.
_TWO_LEVEL_SUFFIXES = {
    "co.uk", "org.uk", "ac.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp", "ne.jp",
    "or.jp", "co.za", "com.br", "com.cn", "net.cn", "co.in", "co.kr", "com.tr", "com.mx",
    "com.ar", "com.sg", "com.tw", "co.il",
}  # fmt: skip


@dataclass(frozen=True)
class SrvTarget:
    host: str
    port: int
    priority: int
    weight: int


def make_resolver(options: LookupOptions) -> Any:
    """A resolver for the system's DNS servers, or for options.dns_server when set."""
    try:
        if options.dns_server is not None:
            resolver = dns.resolver.Resolver(configure=False)
            host, port = options.dns_server
            resolver.nameservers = [host]
            resolver.port = port
        else:
            resolver = dns.resolver.Resolver()
    except dns.resolver.NoResolverConfiguration as exc:
        raise SourceFailed("no DNS server configured") from exc
    resolver.cache = None
    resolver.timeout = min(options.http_timeout, 3.0)  # per server attempt
    return resolver


def _query(resolver: Any, name: str, rdtype: str, deadline: float) -> list[Any]:
    """The answer records, [] for no such name / no records; SourceFailed otherwise."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise SourceFailed("no answer in time", timed_out=True)
    try:
        answer = resolver.resolve(
            name, rdtype, lifetime=left, search=False, raise_on_no_answer=False
        )
    except dns.resolver.NXDOMAIN:
        return []
    except dns.resolver.NoAnswer:
        return []
    except dns.exception.Timeout as exc:
        raise SourceFailed("DNS server did not answer in time", timed_out=True) from exc
    except dns.resolver.NoNameservers as exc:
        raise SourceFailed("DNS server refused or failed the query") from exc
    except dns.exception.DNSException as exc:
        raise SourceFailed(f"DNS error ({type(exc).__name__})") from exc
    return list(answer.rrset) if answer.rrset is not None else []


def srv_targets(resolver: Any, service: str, domain: str, deadline: float) -> list[SrvTarget]:
    """Targets of _service._tcp.domain by priority (lowest first), then weight (highest first).

    A single record with target "." means the service is deliberately not offered: [].
    """
    records = _query(resolver, f"_{service}._tcp.{domain}.", "SRV", deadline)
    targets = []
    for rr in records:
        host = rr.target.to_text(omit_final_dot=True).lower()
        if host in ("", ".") or not is_hostname(host) or not 0 < rr.port < 65536:
            continue
        targets.append(SrvTarget(host=host, port=rr.port, priority=rr.priority, weight=rr.weight))
    targets.sort(key=lambda t: (t.priority, -t.weight))
    return targets


def mx_hosts(resolver: Any, domain: str, deadline: float) -> list[str]:
    """MX hosts of the domain by preference; [] when there are none (or a null MX)."""
    records = _query(resolver, f"{domain}.", "MX", deadline)
    ordered = sorted(records, key=lambda rr: rr.preference)
    hosts = []
    for rr in ordered:
        host = rr.exchange.to_text(omit_final_dot=True).lower()
        if host and host != "." and is_hostname(host):
            hosts.append(host)
    return hosts


def registrable_domain(host: str) -> str:
    """mx1.mail.example.co.uk -> example.co.uk (a small built-in suffix list, no PSL download)."""
    labels = host.lower().rstrip(".").split(".")
    take = 3 if ".".join(labels[-2:]) in _TWO_LEVEL_SUFFIXES else 2
    return ".".join(labels[-take:])


def in_domain(host: str, domain: str) -> bool:
    host, domain = host.lower().rstrip("."), domain.lower().rstrip(".")
    return host == domain or host.endswith("." + domain)
