"""The two ways to start mailgui from a shell print the version from the package metadata."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pyproject_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def console_script() -> str:
    """The `mailgui` command installed next to this interpreter (pip's console script)."""
    beside = Path(sys.executable).parent / ("mailgui.exe" if os.name == "nt" else "mailgui")
    found = str(beside) if beside.exists() else shutil.which("mailgui")
    if found is None:
        pytest.fail("the mailgui command is not installed: pip install -e .")
    return found


def test_installed_metadata_matches_pyproject() -> None:
    import mailgui

    assert metadata.version("mailgui") == pyproject_version()
    assert mailgui.__version__ == pyproject_version()


def test_mailgui_command_prints_the_version(tmp_path: Path) -> None:
    result = run([console_script(), "--version"], tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"mailgui {pyproject_version()}"


def test_python_dash_m_prints_the_version(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "mailgui", "--version"], tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"mailgui {pyproject_version()}"


def test_version_does_not_load_qt(tmp_path: Path) -> None:
    # --version and the CLI must work on a machine without Qt's system libraries
    code = (
        "import sys\n"
        "from mailgui.app import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))"
    )
    result = run([sys.executable, "-c", code], tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "mailgui", "--no-such-option"], tmp_path)

    assert result.returncode == 2
    assert "--no-such-option" in result.stderr
