"""GUI responsiveness while sending: the longest gap in the Qt event loop during a 20 MB send.

    python benchmarks/ui_stall.py [--size-mb 20] [--rate-mb 8]

The real MainWindow and SendController send a message with a 20 MB attachment over STARTTLS +
AUTH to a deliberately slow local SMTP server (the test suite's aiosmtpd server, reading at
`--rate-mb` MB/s), which runs in a separate process so that its own work does not compete with
the GUI process for the interpreter lock. A 5 ms QTimer records the time between its ticks; the
longest interval while the send runs is the stall (aim: under 50 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = """
import json, sys, threading
from tests.smtp_servers import SmtpServer, PASSWORD
server = SmtpServer("starttls", data_rate=int(sys.argv[1]), size_limit=None)
with server:
    print(json.dumps({"settings": server.settings().to_dict(), "password": PASSWORD}), flush=True)
    sys.stdin.readline()  # runs until the parent closes stdin
"""


class GapMeter:
    """Intervals between the ticks of a 5 ms timer; a long one means the GUI thread was busy."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self.ends: list[float] = []  # when each gap ended
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self.ends.append(now)
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self.ends.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return list(self.gaps)


def run_loop_until(condition: object, timeout: float) -> None:
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        loop.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=20)
    parser.add_argument("--rate-mb", type=float, default=8, help="server read rate, MB/s")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from mailgui.core.accounts import Account, ServerSettings
    from mailgui.core.credentials import MemoryStore
    from mailgui.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(int(options.rate_mb * 1024 * 1024))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        info = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        with tempfile.TemporaryDirectory(prefix="mailgui-stall-") as tmp:
            work = Path(tmp)
            attachment = work / "big.bin"
            attachment.write_bytes(os.urandom(int(options.size_mb * 1024 * 1024)))
            window = MainWindow(work / "config", credentials=MemoryStore())
            window.resize(1100, 720)
            window.show()
            run_loop_until(lambda: window.ready, 10)
            account = Account(
                name="Bench",
                email="bench@example.com",
                smtp=ServerSettings.from_dict(info["settings"]),
            )
            window.accounts.save(account, info["password"])
            window.compose.set_accounts(window.accounts.accounts(), account.id)
            window.compose.edits["to"].setText("bob@example.com")
            window.compose.subject.setText("20 MB")
            window.compose.attachments.add_paths([str(attachment)])
            progress: list[float] = []  # arrival times of progress signals
            window.send_controller.progress.connect(
                lambda _d, _t: progress.append(time.perf_counter())
            )

            meter = GapMeter()
            meter.start()
            run_loop_until(lambda: False, 0.5)  # idle baseline
            idle = meter.stop()

            meter.start()
            started = time.perf_counter()
            window.send()
            run_loop_until(lambda: window.send_controller.busy, 5)
            run_loop_until(lambda: not window.send_controller.busy, 300)
            elapsed = time.perf_counter() - started
            gaps = meter.stop()
            first_byte = progress[0] if progress else float("inf")
            # Before the first progress signal the worker builds the message (core.message);
            # after it, bytes are on the wire (core.smtp).
            building = [g for g, end in zip(gaps, meter.ends, strict=True) if end <= first_byte]
            sending = [g for g, end in zip(gaps, meter.ends, strict=True) if end > first_byte]
            status = window.statusBar().currentMessage()
            window.shutdown()
            window.close()
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(10)
    result = {
        "size_mb": options.size_mb,
        "send_seconds": round(elapsed, 2),
        "longest_gap_ms": round(max(gaps) * 1000, 1),
        "p99_gap_ms": round(sorted(gaps)[int(len(gaps) * 0.99)] * 1000, 1),
        "median_gap_ms": round(statistics.median(gaps) * 1000, 1),
        "idle_longest_gap_ms": round(max(idle) * 1000, 1),
        "longest_gap_building_ms": round(max(building, default=0) * 1000, 1),
        "longest_gap_transfer_ms": round(max(sending, default=0) * 1000, 1),
        "progress_signals": len(progress),
        "status": status,
    }
    if options.json:
        print(json.dumps(result))
    else:
        print(f"sent {options.size_mb:g} MB in {result['send_seconds']} s: {status}")
        print(
            f"longest event-loop gap while sending: {result['longest_gap_ms']} ms "
            f"(p99 {result['p99_gap_ms']} ms, median {result['median_gap_ms']} ms; "
            f"idle longest {result['idle_longest_gap_ms']} ms) (aim: < 50 ms)"
        )
        print(
            f"  while building the message: {result['longest_gap_building_ms']} ms; "
            f"while transferring: {result['longest_gap_transfer_ms']} ms"
        )
        print(f"progress signals delivered: {result['progress_signals']}")
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
