"""Send overhead of the SMTP engine against bare smtplib.send_message.

Sends the same ~20 MB message to a local aiosmtpd server (in a child process, so its memory
does not count) through `mailgui.core.smtp.send_message` and through bare `smtplib`,
alternating, and prints the median times, their ratio (aim: <= 1.10) and the peak memory
increase of each as a multiple of the message size (aim: <= 3x).

    python benchmarks/send_overhead.py [--rounds 7] [--mb 20]
"""

from __future__ import annotations

import argparse
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailgui.core.accounts import Security, ServerSettings  # noqa: E402
from mailgui.core.message import BuiltMessage, Draft, build_message  # noqa: E402
from mailgui.core.smtp import send_message, serialize_message  # noqa: E402


def serve() -> None:
    """Child process: an aiosmtpd server that discards what it receives."""
    from tests.smtp_servers import SmtpServer

    server = SmtpServer("plain", size_limit=None)
    server._record = lambda message: None  # type: ignore[method-assign]
    server.start()
    print(server.port, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()


def make_built(megabytes: float, folder: Path) -> BuiltMessage:
    attachment = folder / "payload.bin"
    # base64 grows by 4/3 (plus line ends): pick the raw size that gives `megabytes` on the wire.
    attachment.write_bytes(os.urandom(int(megabytes * 1024 * 1024 * 0.74)))
    draft = Draft(
        from_addr="alice@example.com",
        to=("bob@example.com",),
        subject="benchmark",
        body="A large attachment follows.\n",
        attachments=(str(attachment),),
    )
    return build_message(draft)


def engine_send(port: int, built: BuiltMessage) -> None:
    settings = ServerSettings(host="127.0.0.1", port=port, security=Security.NONE)
    result = send_message(settings, None, built, timeout=60, progress=lambda sent, total: None)
    if not result.ok:
        raise SystemExit(f"engine send failed: {result.error!r}")


def bare_send(port: int, built: BuiltMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.send_message(built.message, built.envelope_from, list(built.recipients))


def timed(fn: Callable[[], None]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def peak_increase(fn: Callable[[], None]) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--mb", type=float, default=20.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return 0

    child = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    port = int(child.stdout.readline())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            built = make_built(args.mb, Path(tmp))
        size = len(serialize_message(built))
        print(f"message: {size / 1e6:.1f} MB on the wire, {args.rounds} rounds, port {port}")
        runs = {
            "engine": lambda: engine_send(port, built),
            "smtplib": lambda: bare_send(port, built),
        }
        for fn in runs.values():  # warm up both paths once
            fn()
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, fn in runs.items():
                times[name].append(timed(fn))
        peaks = {name: peak_increase(fn) for name, fn in runs.items()}
    finally:
        child.stdin.close()
        child.wait(10)

    medians = {name: statistics.median(values) for name, values in times.items()}
    for name in runs:
        print(
            f"{name:8s} median {medians[name] * 1000:7.1f} ms   "
            f"peak memory +{peaks[name] / 1e6:6.1f} MB = {peaks[name] / size:4.2f}x message"
        )
    ratio = medians["engine"] / medians["smtplib"]
    print(f"time ratio engine/smtplib: {ratio:.3f} (aim <= 1.10)")
    print(f"engine peak memory: {peaks['engine'] / size:.2f}x message size (aim <= 3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
