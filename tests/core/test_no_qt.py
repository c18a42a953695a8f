"""core/ must never import Qt: import every core module with PySide6 made unimportable."""

import pkgutil
import subprocess
import sys

import mailgui.core

SCRIPT = """
import sys, importlib
class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6" or name.startswith("PySide6."):
            raise ImportError("core must not import Qt: " + name)
        return None
sys.meta_path.insert(0, BlockQt())
for name in sys.argv[1:]:
    importlib.import_module(name)
assert not any(m.startswith("PySide6") for m in sys.modules), "Qt got imported"
print("ok", len(sys.argv) - 1)
"""


def core_modules() -> list[str]:
    return [f"mailgui.core.{info.name}" for info in pkgutil.iter_modules(mailgui.core.__path__)]


def test_core_imports_without_qt() -> None:
    modules = core_modules()
    assert "mailgui.core.accounts" in modules
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, *modules], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ok {len(modules)}"


def test_the_blocker_really_blocks() -> None:
    # The check above is only worth something if importing Qt under the blocker fails.
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, "PySide6.QtCore"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "core must not import Qt" in result.stderr
