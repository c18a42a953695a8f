"""Account settings from an email address, so nobody has to know what "587 STARTTLS" means.

`lookup()` tries, best first: the bundled provider data, the provider's own autoconfig XML, the
Thunderbird ISPDB, DNS SRV records, the domain's MX, and finally guessed names. The network
sources run concurrently on daemon threads under ONE overall deadline; whatever has not answered
by then is reported as timed out and never waited for (a hung server cannot hold the caller).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from mailgui.core import autoconfig_sources as sources
from mailgui.core.autoconfig_bundled import find_by_domain
from mailgui.core.autoconfig_http import describe
from mailgui.core.autoconfig_model import (
    DEFAULT_TIMEOUT,
    CancelLike,
    Candidate,
    EmailAddress,
    HelpLink,
    LookupOptions,
    Source,
    SourceAnswer,
    SourceFailed,
    SourceState,
    SourceStatus,
    parse_address,
)
from mailgui.core.errors import Cancelled

__all__ = [
    "DEFAULT_TIMEOUT",
    "AutoconfigResult",
    "Candidate",
    "HelpLink",
    "LookupOptions",
    "Source",
    "SourceFailed",
    "SourceState",
    "SourceStatus",
    "lookup",
    "merge_candidates",
    "parse_address",
]

StatusCallback = Callable[[SourceStatus], None]
_NETWORK = (Source.AUTOCONFIG, Source.ISPDB, Source.SRV, Source.MX)
_POLL = 0.05  # how often the waiting loop looks at the cancel token

_FUNCTIONS: dict[Source, Callable[..., SourceAnswer]] = {
    Source.AUTOCONFIG: sources.autoconfig_xml,
    Source.ISPDB: sources.ispdb,
    Source.SRV: sources.srv,
    Source.MX: sources.mx,
}


@dataclass(frozen=True)
class AutoconfigResult:
    address: EmailAddress
    candidates: tuple[Candidate, ...]  # best first
    statuses: tuple[SourceStatus, ...]  # one per source, in Source order
    notices: tuple[str, ...] = ()  # provider-wide messages (e.g. "offers no SMTP at all")
    elapsed: float = 0.0

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def found(self) -> bool:
        """True when something better than a guess was found."""
        return any(c.source is not Source.GUESS for c in self.candidates)

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address.address,
            "candidates": [c.to_json() for c in self.candidates],
            "sources": [s.to_json() for s in self.statuses],
            "notices": list(self.notices),
            "elapsed_s": round(self.elapsed, 3),
        }


def merge_candidates(candidates: list[Candidate]) -> list[Candidate]:
    """Order by source rank (stable) and merge those with the same (host, port, security)."""
    merged: dict[tuple[str, int, str], Candidate] = {}
    for c in sorted(candidates, key=lambda c: c.source.rank):
        first = merged.get(c.key)
        if first is None:
            merged[c.key] = replace(c, sources=c.all_sources)
            continue
        merged[c.key] = replace(
            first,
            sources=first.all_sources + tuple(s for s in c.all_sources if s not in first.sources),
            imap=first.imap or c.imap,
            notes=first.notes + tuple(n for n in c.notes if n not in first.notes),
            help_links=first.help_links
            + tuple(h for h in c.help_links if h not in first.help_links),
            provider=first.provider or c.provider,
            # the same endpoint vouched for by a trusted source is trusted
            verified=first.verified or c.verified,
        )
    return list(merged.values())


class _Run:
    """The bookkeeping of one lookup: statuses, answers, the callback (caller's thread only)."""

    def __init__(self, on_status: StatusCallback | None) -> None:
        self.on_status = on_status
        self.statuses = {s: SourceStatus(s, SourceState.PENDING) for s in Source}
        self.candidates: list[Candidate] = []
        self.notices: list[str] = []

    def set(self, status: SourceStatus) -> None:
        self.statuses[status.source] = status
        if self.on_status is not None:
            self.on_status(status)

    def record(self, source: Source, outcome: SourceAnswer | BaseException, ms: float) -> None:
        if isinstance(outcome, SourceAnswer):
            self.candidates += outcome.candidates
            self.notices += [n for n in outcome.notices if n not in self.notices]
            state = SourceState.FOUND if outcome.candidates else SourceState.NOT_FOUND
            self.set(SourceStatus(source, state, outcome.detail, len(outcome.candidates), ms))
            return
        failure = describe(outcome)
        state = SourceState.TIMED_OUT if failure.timed_out else SourceState.FAILED
        self.set(SourceStatus(source, state, failure.reason, 0, ms))

    def close_open(self, state: SourceState, detail: str) -> None:
        for source, status in self.statuses.items():
            if not status.state.done:
                self.set(SourceStatus(source, state, detail))


def _start(
    source: Source,
    address: EmailAddress,
    options: LookupOptions,
    deadline: float,
    cancel: CancelLike | None,
    results: queue.Queue[tuple[Source, SourceAnswer | BaseException, float]],
) -> None:
    def work() -> None:
        started = time.monotonic()
        outcome: SourceAnswer | BaseException
        try:
            outcome = _FUNCTIONS[source](address, options, deadline, cancel)
        except BaseException as exc:  # reported as a status, the thread must not die loudly
            outcome = exc
        results.put((source, outcome, (time.monotonic() - started) * 1000))

    # Daemon threads: a source stuck past the deadline is abandoned, never joined, and cannot
    # keep the process alive (its own socket timeouts end it soon after anyway).
    threading.Thread(target=work, name=f"autoconfig-{source.value}", daemon=True).start()


def lookup(
    address: str | EmailAddress,
    options: LookupOptions | None = None,
    *,
    cancel: CancelLike | None = None,
    on_status: StatusCallback | None = None,
) -> AutoconfigResult:
    """Find candidate settings for `address`; never takes longer than options.timeout (+ε).

    Raises InputError("email", ...) for an unusable address and Cancelled when `cancel` fires.
    `on_status` is called on the calling thread each time a source changes state.
    """
    options = options or LookupOptions()
    parsed = address if isinstance(address, EmailAddress) else parse_address(address)
    started = time.monotonic()
    deadline = started + options.timeout
    run = _Run(on_status)

    provider = find_by_domain(parsed.domain)
    if provider is not None:
        found = provider.candidates(parsed, Source.BUNDLED)
        run.candidates += found
        if provider.unsupported:
            run.notices.append(provider.unsupported)
        state = SourceState.FOUND if found else SourceState.NOT_FOUND
        run.set(SourceStatus(Source.BUNDLED, state, provider.name, len(found)))
        # Curated data for this very domain beats anything the network could add.
        run.close_open(SourceState.SKIPPED, f"known provider: {provider.name}")
        return _finish(run, parsed, started)

    run.set(SourceStatus(Source.BUNDLED, SourceState.NOT_FOUND, "not a known provider domain"))
    if options.offline:
        for source in _NETWORK:
            run.set(SourceStatus(source, SourceState.SKIPPED, "offline"))
    else:
        results: queue.Queue[tuple[Source, SourceAnswer | BaseException, float]] = queue.Queue()
        for source in _NETWORK:
            run.set(SourceStatus(source, SourceState.RUNNING))
            _start(source, parsed, options, deadline, cancel, results)
        _collect(run, results, deadline, options.timeout, cancel)

    if cancel is not None and cancel.cancelled:
        run.close_open(SourceState.CANCELLED, "")
        raise Cancelled("autoconfig")
    if any(c.source is not Source.GUESS for c in run.candidates) or run.notices:
        run.set(SourceStatus(Source.GUESS, SourceState.SKIPPED, "not needed"))
    else:
        guessed = sources.guesses(parsed)
        run.candidates += guessed
        run.set(SourceStatus(Source.GUESS, SourceState.FOUND, "unverified", len(guessed)))
    return _finish(run, parsed, started)


def _collect(
    run: _Run,
    results: queue.Queue[tuple[Source, SourceAnswer | BaseException, float]],
    deadline: float,
    timeout: float,
    cancel: CancelLike | None,
) -> None:
    """Take answers until all are in, a better source cannot change the winner, or time is up."""
    while True:
        waiting = [s for s in _NETWORK if not run.statuses[s].state.done]
        if not waiting:
            return
        found_ranks = [c.source.rank for c in run.candidates]
        if found_ranks and all(s.rank >= min(found_ranks) for s in waiting):
            # Everything still running ranks below what we already have: only alternatives
            # could come, and the user should not wait for them.
            run.close_open(SourceState.SKIPPED, "not needed: better settings found")
            return
        if cancel is not None and cancel.cancelled:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            run.close_open(SourceState.TIMED_OUT, f"no answer within {timeout:g} s")
            return
        try:
            source, outcome, ms = results.get(timeout=min(_POLL, left))
        except queue.Empty:
            continue
        run.record(source, outcome, ms)


def _finish(run: _Run, address: EmailAddress, started: float) -> AutoconfigResult:
    return AutoconfigResult(
        address=address,
        candidates=tuple(merge_candidates(run.candidates)),
        statuses=tuple(run.statuses[s] for s in Source),
        notices=tuple(run.notices),
        elapsed=time.monotonic() - started,
    )
