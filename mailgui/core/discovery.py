"""Find working SMTP settings: try host x port x security in parallel and say why each one lost.

Candidates start staggered (Happy-Eyeballs style) so a fast answer is not stuck behind a silent
port, and the whole search is bounded by one time limit and one cancel token. The raw phase never
sends a password: it only connects, reads the greeting, negotiates TLS and reads EHLO (one try is
`discovery_attempt.probe_candidate`). The real password is tried afterwards on the ranked winners
alone (the top one or two), through the same `check()` the rest of the app uses, and never over
plaintext without the account's consent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from mailgui.core.accounts import AuthMethod, Security, ServerSettings
from mailgui.core.cancel import CancelToken
from mailgui.core.discovery_attempt import NameCache, brief_error, probe_candidate
from mailgui.core.discovery_model import (
    DEFAULT_PORTS,
    Attempt,
    Candidate,
    DiscoveryResult,
    Outcome,
    PortChoice,
)
from mailgui.core.smtp import check

__all__ = [
    "DEFAULT_PORTS",
    "Attempt",
    "Candidate",
    "DiscoveryResult",
    "NameCache",
    "Outcome",
    "PortChoice",
    "candidate_hosts",
    "discover",
    "make_candidates",
    "probe_candidate",
    "rank",
]


def candidate_hosts(host: str | None, email: str | None) -> list[str]:
    """The given host, then smtp.DOMAIN and mail.DOMAIN of the address, without repeats."""
    hosts: list[str] = []
    domain = email.rpartition("@")[2].strip().lower() if email and "@" in email else ""
    for name in (host, f"smtp.{domain}" if domain else "", f"mail.{domain}" if domain else ""):
        name = (name or "").strip().rstrip(".").lower()
        if name and name not in hosts:
            hosts.append(name)
    return hosts


def make_candidates(
    hosts: Sequence[str], ports: Sequence[PortChoice] = DEFAULT_PORTS, *, allow_plain: bool = False
) -> list[Candidate]:
    """host x port list; unencrypted variants of the STARTTLS ports only when allowed."""
    choices = list(ports)
    if allow_plain:
        choices += [
            PortChoice(p.port, Security.NONE) for p in ports if p.security is Security.STARTTLS
        ]
    return [
        Candidate(host, choice.port, choice.security, preference)
        for host in hosts
        for preference, choice in enumerate(choices)
    ]


def rank(attempts: Sequence[Attempt]) -> list[Attempt]:
    """What worked, best first: port preference, AUTH offered, then a CA-verified certificate."""
    works = [a for a in attempts if a.outcome is Outcome.WORKS]
    return sorted(
        works,
        key=lambda a: (
            a.candidate.preference,
            not a.auth_offered,
            not (a.tls is not None and a.tls.verified_by == "ca"),
            a.duration_ms,
        ),
    )


def discover(
    base: ServerSettings,
    *,
    email: str | None = None,
    password: str | None = None,
    hosts: Sequence[str] | None = None,
    ports: Sequence[PortChoice] = DEFAULT_PORTS,
    allow_plain: bool = False,
    timeout: float = 5.0,
    time_limit: float | None = None,
    stagger: float = 0.05,
    auth_top: int = 2,
    cancel: CancelToken | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> DiscoveryResult:
    """Probe every candidate in parallel and recommend the best one. Never raises.

    `timeout` bounds each try, `time_limit` the whole search (default: one try plus the
    staggered starts plus the sign-in of the winners). `ports` lists the port choices in order
    of preference (tests map ephemeral ports to the roles of 465/587/25/2525). `on_attempt` is
    called from worker threads as each verdict comes in.
    """
    cancel = cancel or CancelToken()
    started = time.monotonic()
    candidates = make_candidates(
        list(hosts) if hosts else candidate_hosts(base.host, email), ports, allow_plain=allow_plain
    )
    if time_limit is None:
        time_limit = 2 * timeout + stagger * len(candidates)
    deadline = started + time_limit
    search = _Search(candidates, base, timeout, deadline, cancel, on_attempt)
    search.run(stagger)
    attempts = search.attempts()
    ranked = rank(attempts)
    if password and base.auth is AuthMethod.PASSWORD and ranked and not cancel.cancelled:
        _sign_in(ranked[: max(1, auth_top)], base, password, timeout, deadline, cancel)
        ranked = rank(attempts)
    best = ranked[0] if ranked else None
    if best is None:  # right settings, wrong password: still worth recommending
        best = next((a for a in attempts if a.outcome is Outcome.AUTH_FAILED), None)
    return DiscoveryResult(
        attempts=attempts,
        ranked=ranked,
        best=best,
        settings=best.candidate.settings(base) if best else None,
        elapsed_ms=(time.monotonic() - started) * 1000,
        cancelled=cancel.cancelled,
    )


class _Search:
    def __init__(
        self,
        candidates: list[Candidate],
        base: ServerSettings,
        timeout: float,
        deadline: float,
        cancel: CancelToken,
        on_attempt: Callable[[Attempt], None] | None,
    ) -> None:
        self.candidates = candidates
        self.base = base
        self.timeout = timeout
        self.deadline = deadline
        self.cancel = cancel
        self.on_attempt = on_attempt
        self.names = NameCache()
        self.tokens = [CancelToken() for _ in candidates]
        self.done: dict[int, Attempt] = {}
        self.settled: set[int] = set()  # tries whose TCP connect has settled
        self.changed = threading.Condition()

    def run(self, stagger: float) -> None:
        threads = []
        for index in range(len(self.candidates)):
            if index:
                self._pause(stagger, index - 1)
            if self._stopping():
                break
            thread = threading.Thread(
                target=self._work, args=(index,), name=f"discover {index}", daemon=True
            )
            thread.start()
            threads.append(thread)
        with self.changed:
            while len(self.done) < len(threads) and not self._stopping():
                self.changed.wait(min(0.05, max(0.0, self.deadline - time.monotonic())))
        with self.changed:
            unfinished = [i for i in range(len(self.candidates)) if i not in self.done]
        for index in unfinished:  # stragglers past the time limit, or the user's cancel
            self.tokens[index].cancel()
        for thread in threads:
            thread.join(timeout=1.0)

    def _pause(self, stagger: float, previous: int) -> None:
        """Wait `stagger` before the next start; less once the previous try's TCP connect has
        settled (connected or failed), as Happy Eyeballs does: the delay keeps connection
        attempts from piling up, a connection waiting for a greeting costs nothing more."""
        until = time.monotonic() + stagger
        with self.changed:
            while (
                time.monotonic() < until and previous not in self.settled and not self._stopping()
            ):
                self.changed.wait(min(0.05, until - time.monotonic()))

    def _stopping(self) -> bool:
        return self.cancel.cancelled or time.monotonic() >= self.deadline

    def _work(self, index: int) -> None:
        candidate = self.candidates[index]
        try_timeout = min(self.timeout, max(0.05, self.deadline - time.monotonic()))

        def settled() -> None:
            with self.changed:
                self.settled.add(index)
                self.changed.notify_all()

        attempt = probe_candidate(
            candidate,
            self.base,
            timeout=try_timeout,
            cancel=self.tokens[index],
            names=self.names,
            on_connected=settled,
        )
        with self.changed:
            self.settled.add(index)
            self.done[index] = attempt
            self.changed.notify_all()
        if self.on_attempt is not None:
            self.on_attempt(attempt)

    def attempts(self) -> list[Attempt]:
        result = []
        with self.changed:
            for index, candidate in enumerate(self.candidates):
                attempt = self.done.get(index)
                if attempt is None:
                    attempt = Attempt(candidate)
                    if self.cancel.cancelled:
                        attempt.outcome, attempt.detail = Outcome.CANCELLED, "cancelled"
                    else:
                        attempt.detail = "no answer within the overall time limit"
                elif attempt.outcome is Outcome.CANCELLED and not self.cancel.cancelled:
                    attempt.outcome = Outcome.NO_ANSWER
                    attempt.detail = "no answer within the overall time limit"
                result.append(attempt)
        return result


def _sign_in(
    winners: list[Attempt],
    base: ServerSettings,
    password: str,
    timeout: float,
    deadline: float,
    cancel: CancelToken,
) -> None:
    """Try the real password on the winners only (in parallel), never over plaintext unasked."""

    def work(attempt: Attempt) -> None:
        settings = attempt.candidate.settings(base)
        if settings.security is Security.NONE and not settings.allow_insecure_auth:
            attempt.detail += "; not signed in (no encryption, and the account does not allow it)"
            return
        left = max(0.5, min(timeout, deadline - time.monotonic()))
        result = check(settings, password, timeout=left, cancel=cancel)
        attempt.auth_checked = True
        if result.ok:
            attempt.detail += "; signed in"
        elif result.failed_stage == "auth":
            attempt.outcome, attempt.error = Outcome.AUTH_FAILED, result.error
            attempt.detail = "the server refused the user name or password"
        elif result.error is not None:
            attempt.outcome, attempt.error = Outcome.PROTOCOL, result.error
            attempt.detail = f"failed at {result.failed_stage}: {brief_error(result.error)}"

    threads = [threading.Thread(target=work, args=(a,), daemon=True) for a in winners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout + 1)
