"""Start-up time: process start to the main window's first paint, mailgui vs a bare QMainWindow.

    python benchmarks/startup.py [--runs 7]

Each run is a fresh subprocess (offscreen); the two kinds alternate so that disk cache and CPU
frequency affect both alike. Prints the medians and their ratio (aim: at most 1.3).

Python's bytecode cache is on for both (in a temporary folder, never in the source tree), as it
is for an installed or bundled app, even when the calling shell sets PYTHONDONTWRITEBYTECODE:
compiling mailgui's sources on every start adds ~30 ms that users never pay.
`--no-bytecode-cache` measures that case.
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
from mailgui.ui.application import finish_identity_after_paint, make_application
APP = make_application()
from mailgui.ui.main_window import MainWindow
WINDOW = MainWindow(Path(os.environ["BENCH_CONFIG"]))
spy = FirstPaint()
WINDOW.installEventFilter(spy)
finish_identity_after_paint(WINDOW)
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


def one_run(code: str, config: Path, pycache: Path | None = None) -> float:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        BENCH_CONFIG=str(config),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        LANG="C.UTF-8",
    )
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
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
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="compile every module on every start (as with PYTHONDONTWRITEBYTECODE=1)",
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailgui-bench-") as tmp:
        config = Path(tmp) / "config"
        config.mkdir()
        pycache = None if options.no_bytecode_cache else Path(tmp) / "pycache"
        prepare_config(config)
        one_run(BARE, config, pycache)  # warm the disk cache (and bytecode cache) for both
        one_run(MAILGUI, config, pycache)
        bare: list[float] = []
        app: list[float] = []
        for _ in range(options.runs):
            bare.append(one_run(BARE, config, pycache))
            app.append(one_run(MAILGUI, config, pycache))
    result = {
        "runs": options.runs,
        "bytecode_cache": pycache is not None,
        "bare_median_ms": round(statistics.median(bare) * 1000, 1),
        "bare_spread_ms": [round(min(bare) * 1000, 1), round(max(bare) * 1000, 1)],
        "mailgui_median_ms": round(statistics.median(app) * 1000, 1),
        "mailgui_spread_ms": [round(min(app) * 1000, 1), round(max(app) * 1000, 1)],
        "ratio": round(statistics.median(app) / statistics.median(bare), 2),
    }
    if options.json:
        print(json.dumps(result))
    else:
        cache = "bytecode cache on" if result["bytecode_cache"] else "no bytecode cache"
        print(
            f"bare QMainWindow first paint: {result['bare_median_ms']} ms (median of "
            f"{options.runs}, {cache}; range {result['bare_spread_ms']})"
        )
        print(
            f"mailgui main window first paint: {result['mailgui_median_ms']} ms "
            f"(range {result['mailgui_spread_ms']})"
        )
        print(f"ratio: {result['ratio']} (aim: <= 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
