"""The network sources of autoconfig, each a plain blocking function bounded by a deadline.

Each returns a SourceAnswer (candidates may be empty: "nothing found") or raises SourceFailed.
The orchestrator (autoconfig.py) runs them concurrently and stops waiting at the deadline.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from mailgui.core.accounts import Security, ServerSettings
from mailgui.core.autoconfig_bundled import find_by_mx
from mailgui.core.autoconfig_dns import (
    in_domain,
    make_resolver,
    mx_hosts,
    registrable_domain,
    srv_targets,
)
from mailgui.core.autoconfig_http import HttpStatus, fetch
from mailgui.core.autoconfig_model import (
    CancelLike,
    Candidate,
    EmailAddress,
    LookupOptions,
    Source,
    SourceAnswer,
    SourceFailed,
)
from mailgui.core.autoconfig_xml import parse_client_config


def _absent(exc: SourceFailed) -> bool:
    """Failures that just mean "this domain publishes no such file"."""
    return (isinstance(exc, HttpStatus) and exc.not_found) or exc.reason == "host not found"


def autoconfig_xml(
    address: EmailAddress,
    options: LookupOptions,
    deadline: float,
    cancel: CancelLike | None = None,
    *,
    domain: str | None = None,
    source: Source = Source.AUTOCONFIG,
) -> SourceAnswer:
    """The provider's own config file: autoconfig.<domain>, then <domain>/.well-known."""
    domain = domain or address.domain
    urls = [
        f"https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={quote(address.address)}",
        f"https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
    ]
    errors: list[SourceFailed] = []
    for url in urls:
        try:
            body = fetch(url, options, deadline=deadline, cancel=cancel)
            return SourceAnswer(
                candidates=parse_client_config(body, address, source),
                detail=url.split("?")[0].removeprefix("https://"),
            )
        except SourceFailed as exc:
            errors.append(exc)
            if exc.timed_out:
                break
    real = [e for e in errors if not _absent(e)]
    if real:  # a broken or unsafe file says more than a missing one
        raise real[0]
    return SourceAnswer(detail=f"no config file published for {domain}")


def ispdb(
    address: EmailAddress,
    options: LookupOptions,
    deadline: float,
    cancel: CancelLike | None = None,
    *,
    domain: str | None = None,
    source: Source = Source.ISPDB,
) -> SourceAnswer:
    """Thunderbird's public ISP database (or a mirror at options.ispdb_url)."""
    domain = domain or address.domain
    url = options.ispdb_url.rstrip("/") + "/" + domain
    try:
        body = fetch(url, options, deadline=deadline, cancel=cancel)
    except SourceFailed as exc:
        if isinstance(exc, HttpStatus) and exc.not_found:
            return SourceAnswer(detail=f"{domain} is not in the database")
        raise
    return SourceAnswer(candidates=parse_client_config(body, address, source))


def _foreign_note(host: str, domain: str) -> str:
    return (
        f"The DNS records for {domain} point to {host}, outside that domain. DNS answers can be "
        "forged: check that this server belongs to your provider before sending your password."
    )


def srv(
    address: EmailAddress,
    options: LookupOptions,
    deadline: float,
    cancel: CancelLike | None = None,
) -> SourceAnswer:
    """RFC 6186 / RFC 8314 SRV records; implicit TLS (submissions, imaps) preferred."""
    resolver = make_resolver(options)
    domain = address.domain
    smtp_targets = [
        (t, Security.SSL) for t in srv_targets(resolver, "submissions", domain, deadline)
    ]
    smtp_targets += [
        (t, Security.STARTTLS) for t in srv_targets(resolver, "submission", domain, deadline)
    ]
    if not smtp_targets:
        return SourceAnswer(detail="no submission records")
    imap: ServerSettings | None = None
    for service, security in (("imaps", Security.SSL), ("imap", Security.STARTTLS)):
        if cancel is not None and cancel.cancelled:
            raise SourceFailed("cancelled")
        found = srv_targets(resolver, service, domain, deadline)
        if found:
            imap = ServerSettings(
                host=found[0].host, port=found[0].port, security=security, username=address.address
            )
            break
    candidates = []
    for target, security in smtp_targets:
        verified = in_domain(target.host, domain)
        candidates.append(
            Candidate(
                source=Source.SRV,
                smtp=ServerSettings(
                    host=target.host, port=target.port, security=security, username=address.address
                ),
                imap=imap,
                notes=() if verified else (_foreign_note(target.host, domain),),
                verified=verified,
            )
        )
    return SourceAnswer(candidates=candidates)


def mx(
    address: EmailAddress,
    options: LookupOptions,
    deadline: float,
    cancel: CancelLike | None = None,
) -> SourceAnswer:
    """Who receives the domain's mail: a known provider, or the MX's own domain's config."""
    resolver = make_resolver(options)
    hosts = mx_hosts(resolver, address.domain, deadline)
    if not hosts:
        return SourceAnswer(detail="no MX records")
    for host in hosts:
        provider = find_by_mx(host)
        if provider is not None:
            answer = SourceAnswer(
                candidates=provider.candidates(address, Source.MX),
                detail=f"{host} is {provider.name}",
            )
            if provider.unsupported:
                answer.notices.append(provider.unsupported)
            return answer
    base = registrable_domain(hosts[0])
    if base == address.domain:
        return SourceAnswer(detail=f"mail goes to the domain's own server {hosts[0]}")
    # The domain of the MX host may publish settings for the mail it hosts (Thunderbird does
    # the same); hosts outside that domain are flagged as unverified.
    for lookup in (autoconfig_xml, ispdb):
        if cancel is not None and cancel.cancelled:
            raise SourceFailed("cancelled")
        try:
            answer = lookup(address, options, deadline, cancel, domain=base, source=Source.MX)
        except SourceFailed as exc:
            if exc.timed_out:
                raise
            continue
        if answer.candidates:
            answer.candidates = [_mx_checked(c, base) for c in answer.candidates]
            answer.detail = f"settings of {base}, which receives this domain's mail"
            return answer
    return SourceAnswer(detail=f"{hosts[0]}: no settings published for {base}")


def _mx_checked(candidate: Candidate, base: str) -> Candidate:
    if in_domain(candidate.smtp.host, base):
        return candidate
    return replace(
        candidate,
        verified=False,
        notes=(*candidate.notes, _foreign_note(candidate.smtp.host, base)),
    )


def guesses(address: EmailAddress) -> list[Candidate]:
    """Common names, unverified: the connection wizard probes which (if any) answers."""
    domain = address.domain
    note = (
        "No published settings were found, so these server names are guesses from the domain. "
        "The connection test will find out which one answers."
    )
    candidates = []
    for prefix, imap_prefix in (("smtp", "imap"), ("mail", "mail")):
        imap = ServerSettings(
            host=f"{imap_prefix}.{domain}",
            port=993,
            security=Security.SSL,
            username=address.address,
        )
        for port, security in ((465, Security.SSL), (587, Security.STARTTLS)):
            candidates.append(
                Candidate(
                    source=Source.GUESS,
                    smtp=ServerSettings(
                        host=f"{prefix}.{domain}",
                        port=port,
                        security=security,
                        username=address.address,
                    ),
                    imap=imap,
                    notes=(note,),
                    verified=False,
                )
            )
    return candidates
