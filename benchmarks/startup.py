"""Start-up time: process start to the main window's first paint, mailgui vs a bare QMainWindow.

    python benchmarks/startup.py [--runs 7]

Each run is a fresh subprocess (offscreen); the two kinds alternate so that disk cache and CPU
frequency affect both alike. Prints the medians and their ratio (aim: at most 1.3).
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

ROOT = Path(__file__).resolve().parents[1]

# The child reports the time of the first paint of the main window, measured against the
# parent's clock reading just before the process was spawned (BENCH_T0).
_REPORT = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and obj is WINDOW:
            print(time.time() - float(os.environ["BENCH_T0"]), flush=True)
            QTimer.singleShot(0, APP.quit)
            obj.removeEventFilter(self)
        return False
"""

BARE = (
    _REPORT
    + """
from PySide6.QtWidgets import QApplication, QMainWindow
APP = QApplication(sys.argv[:1])
WINDOW = QMainWindow()
WINDOW.resize(1100, 720)
spy = FirstPaint()
WINDOW.installEventFilter(spy)
WINDOW.show()
APP.exec()
"""
)

# What `mailgui --config-dir DIR` does (mailgui.app -> mailgui.ui.application.run), with the
# paint spy added before show().
MAILGUI = (
    _REPORT
    + """
from pathlib import Path
import mailgui.app
from mailgui.ui.application import make_application
APP = make_application()
from mailgui.ui.main_window import MainWindow
WINDOW = MainWindow(Path(os.environ["BENCH_CONFIG"]))
spy = FirstPaint()
WINDOW.installEventFilter(spy)
WINDOW.show()
APP.exec()
WINDOW.shutdown()
"""
)


def prepare_config(folder: Path) -> None:
    """One saved account, so the run is a normal start (no first-launch sandbox)."""
    sys.path.insert(0, str(ROOT))
    from mailgui.core.account_store import AccountStore
    from mailgui.core.accounts import Account, ServerSettings

    AccountStore(folder).save(
        [
            Account(
                name="Bench",
                email="bench@example.com",
                smtp=ServerSettings(host="smtp.example.com"),
            )
        ]
    )


def one_run(code: str, config: Path) -> float:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        BENCH_CONFIG=str(config),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        LANG="C.UTF-8",
    )
    env["BENCH_T0"] = repr(time.time())
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailgui-bench-") as tmp:
        config = Path(tmp)
        prepare_config(config)
        one_run(BARE, config)  # warm the disk cache for both
        one_run(MAILGUI, config)
        bare: list[float] = []
        app: list[float] = []
        for _ in range(options.runs):
            bare.append(one_run(BARE, config))
            app.append(one_run(MAILGUI, config))
    result = {
        "runs": options.runs,
        "bare_median_ms": round(statistics.median(bare) * 1000, 1),
        "mailgui_median_ms": round(statistics.median(app) * 1000, 1),
        "ratio": round(statistics.median(app) / statistics.median(bare), 2),
    }
    if options.json:
        print(json.dumps(result))
    else:
        print(
            f"bare QMainWindow first paint: {result['bare_median_ms']} ms (median of "
            f"{options.runs})"
        )
        print(f"mailgui main window first paint: {result['mailgui_median_ms']} ms")
        print(f"ratio: {result['ratio']} (aim: <= 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
