"""Guard against a Qt binding that leaks references to None/True (PySide6 6.12.0 on Python
3.11 does: after some thousands of calls Python aborts with "deallocating None")."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.gui

SCRIPT = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
class Emitter(QObject):
    fired = Signal(int)
emitter = Emitter()
emitter.fired.connect(lambda value: None)
label, timer = QLabel(), QTimer()
before = sys.getrefcount(None), sys.getrefcount(True)
for i in range(3000):
    label.setText("x"); timer.start(1000); timer.stop(); emitter.fired.emit(i)
    app.processEvents()
after = sys.getrefcount(None), sys.getrefcount(True)
print(after[0] - before[0], after[1] - before[1])
"""


def test_qt_calls_do_not_leak_references_to_none_or_true() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-500:]
    none_delta, true_delta = (int(n) for n in result.stdout.split())
    # A few references may come and go; a leak of one per call would be thousands.
    assert abs(none_delta) < 100
    assert abs(true_delta) < 100
