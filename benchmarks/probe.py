"""Discovery over 8 combinations where 7 never answer: parallel vs one after the other.

Seven listeners accept TCP and never speak (what a filtered or implicit-TLS port looks like to a
STARTTLS client); one aiosmtpd server answers. Prints both totals, their ratio, and the parallel
total against one per-try timeout (the aim: at most 1.2 times one try).

    python benchmarks/probe.py [--timeout 2.0] [--rounds 3]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time

from aiosmtpd.controller import Controller

from mailgui.core.accounts import AuthMethod, Security, ServerSettings
from mailgui.core.discovery import Outcome, PortChoice, discover, make_candidates, probe_candidate


class _Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def silent_listener() -> socket.socket:
    """Completes the TCP handshake (the kernel does it from the backlog) and never speaks."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0, help="per-try timeout (s)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    port = free_port()
    controller = Controller(_Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    silent = [silent_listener() for _ in range(7)]
    try:
        # The working server first would flatter the parallel run (it would finish at once
        # anyway); put it last, behind all seven silent ones.
        ports = [PortChoice(s.getsockname()[1], Security.STARTTLS) for s in silent]
        ports.append(PortChoice(port, Security.NONE))
        base = ServerSettings(host="127.0.0.1", auth=AuthMethod.NONE)
        hosts = ["127.0.0.1"]
        parallel, sequential = [], []
        for _ in range(args.rounds):
            started = time.monotonic()
            result = discover(base, hosts=hosts, ports=ports, timeout=args.timeout)
            parallel.append(time.monotonic() - started)
            outcomes = sorted(a.outcome.value for a in result.attempts)
            assert outcomes.count(Outcome.NO_ANSWER.value) == 7, outcomes
            assert result.best is not None
            assert result.best.candidate.port == port

            started = time.monotonic()
            for candidate in make_candidates(hosts, ports):
                probe_candidate(candidate, base, timeout=args.timeout)
            sequential.append(time.monotonic() - started)
    finally:
        controller.stop()
        for sock in silent:
            sock.close()

    par, seq = statistics.median(parallel), statistics.median(sequential)
    print(f"combinations: 8 (7 silent, 1 working), per-try timeout {args.timeout:.2f} s")
    print(f"one after the other: {seq:6.2f} s (median of {args.rounds})")
    print(f"parallel, staggered: {par:6.2f} s (median of {args.rounds})")
    print(f"speed-up: {seq / par:5.1f}x")
    print(f"parallel / per-try timeout: {par / args.timeout:.2f} (aim: <= 1.20)")


if __name__ == "__main__":
    main()
