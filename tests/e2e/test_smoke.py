"""`mailgui --smoke` as a real subprocess: the check every installer build runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mailgui

pytestmark = pytest.mark.gui

OK_LINE = re.compile(
    rf"^mailgui {re.escape(mailgui.__version__)} smoke ok: window shown in \d+ ms, "
    r"keyring (?P<keyring>[^,]+), OpenSSL (?P<openssl>\S+) \((?P<cas>\d+) CAs\), "
    r"resources (?P<files>\d+) files, sandbox send check \d+ ms$"
)


def smoke_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    """A clean environment: offscreen Qt, temp folders of this test, no display."""
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env.update(QT_QPA_PLATFORM="offscreen", LANG="C.UTF-8", TMPDIR=str(tmp_path))
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=90, check=False
    )


def test_smoke_prints_one_line_and_exits_0(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "mailgui", "--smoke"], smoke_env(tmp_path), tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    match = OK_LINE.match(lines[0])
    assert match, lines[0]
    assert int(match["cas"]) > 0
    assert int(match["files"]) >= 10  # icons alone are 12 files
    # the temporary config folder is gone afterwards
    assert not list(tmp_path.glob("mailgui-smoke-*"))


def test_smoke_reports_the_fail_keyring_backend_without_failing(tmp_path: Path) -> None:
    env = smoke_env(tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    result = run([sys.executable, "-m", "mailgui", "--smoke"], env, tmp_path)

    assert result.returncode == 0, result.stderr
    match = OK_LINE.match(result.stdout.strip())
    assert match, result.stdout
    assert match["keyring"] == "fail (no OS keyring running)"


@pytest.mark.keyring
def test_smoke_names_the_secret_service_backend(tmp_path: Path, secret_service_daemon) -> None:  # type: ignore[no-untyped-def]
    env = dict(secret_service_daemon.env)
    env.pop("PYTHON_KEYRING_BACKEND", None)  # let keyring pick the best backend itself
    env.update(QT_QPA_PLATFORM="offscreen", LANG="C.UTF-8", TMPDIR=str(tmp_path))
    result = run([sys.executable, "-m", "mailgui", "--smoke"], env, tmp_path)

    assert result.returncode == 0, result.stderr
    match = OK_LINE.match(result.stdout.strip())
    assert match, result.stdout
    assert match["keyring"] == "SecretService"


REQUIRE_KEYRING = "MAILGUI_SMOKE_REQUIRE_KEYRING"
ROUND_TRIP = re.compile(r"^SecretService \(password round trip ok in \d+ ms\)$")


@pytest.mark.keyring
def test_smoke_round_trips_a_password_when_a_keyring_is_required(  # type: ignore[no-untyped-def]
    tmp_path: Path, secret_service
) -> None:
    # `secret_service` points DBUS_SESSION_BUS_ADDRESS at the private bus; the subprocess
    # inherits it. Without PYTHON_KEYRING_BACKEND, keyring picks the backend as an installed
    # app would.
    env = smoke_env(tmp_path, PYTHON_KEYRING_BACKEND=None, **{REQUIRE_KEYRING: "1"})
    result = run([sys.executable, "-m", "mailgui", "--smoke"], env, tmp_path)

    assert result.returncode == 0, result.stderr
    match = OK_LINE.match(result.stdout.strip())
    assert match, result.stdout
    assert ROUND_TRIP.match(match["keyring"]), match["keyring"]
    # the throwaway password was really stored under its own service, and deleted again
    assert secret_service.items({"service": "mailgui-smoke"}) == []
    assert secret_service.items({"service": "mailgui"}) == []


def test_smoke_fails_when_a_keyring_is_required_but_there_is_none(tmp_path: Path) -> None:
    env = smoke_env(
        tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", **{REQUIRE_KEYRING: "1"}
    )
    result = run([sys.executable, "-m", "mailgui", "--smoke"], env, tmp_path)

    assert result.returncode == 1, result.stdout
    assert result.stdout == ""
    assert f"smoke FAILED: keyring: {REQUIRE_KEYRING}=1 needs the " in result.stderr
    assert "but the active one is fail (no OS keyring running)" in result.stderr
    assert not list(tmp_path.glob("mailgui-smoke-*"))


@pytest.mark.keyring
def test_smoke_fails_fast_when_the_required_keyring_is_locked(  # type: ignore[no-untyped-def]
    tmp_path: Path, locked_keyring
) -> None:
    # Nobody answers the unlock prompt on the private bus: a clear failure, not a hang.
    env = smoke_env(tmp_path, PYTHON_KEYRING_BACKEND=None, **{REQUIRE_KEYRING: "1"})
    result = run([sys.executable, "-m", "mailgui", "--smoke"], env, tmp_path)

    assert result.returncode == 1, result.stdout
    assert "smoke FAILED: keyring: password round trip: KeyringLocked" in result.stderr
    assert locked_keyring.items({"service": "mailgui-smoke"}) == []


def test_smoke_fails_with_the_reason_when_the_keyring_cannot_load(tmp_path: Path) -> None:
    env = smoke_env(tmp_path, PYTHON_KEYRING_BACKEND="no_such_module.Keyring")
    result = run([sys.executable, "-m", "mailgui", "--smoke"], env, tmp_path)

    assert result.returncode == 1
    assert result.stdout == ""
    assert "smoke FAILED: keyring: ModuleNotFoundError" in result.stderr
    assert "no_such_module" in result.stderr


def test_smoke_fails_when_a_bundle_lacks_its_resources(tmp_path: Path) -> None:
    # What a frozen build without its data files looks like: resources_dir() follows
    # sys._MEIPASS, which then points at an empty folder.
    empty = tmp_path / "bundle"
    empty.mkdir()
    code = (
        "import sys; sys._MEIPASS = sys.argv[1]\n"
        "from mailgui.app import main\n"
        "sys.exit(main(['--smoke']))"
    )
    result = run([sys.executable, "-c", code, str(empty)], smoke_env(tmp_path), tmp_path)

    assert result.returncode == 1
    assert "smoke FAILED: resources: folder not found" in result.stderr
    assert not list(tmp_path.glob("mailgui-smoke-*"))


def test_smoke_shows_the_window_on_a_real_x_server(tmp_path: Path) -> None:
    if shutil.which("xvfb-run") is None:
        if os.environ.get("CI"):
            pytest.fail("xvfb-run is missing on CI (Debian package xvfb)")
        pytest.skip("xvfb-run is not installed (Debian package xvfb)")
    env = smoke_env(tmp_path, QT_QPA_PLATFORM=None)
    result = run(["xvfb-run", "-a", sys.executable, "-m", "mailgui", "--smoke"], env, tmp_path)

    assert result.returncode == 0, result.stderr
    assert OK_LINE.match(result.stdout.strip()), result.stdout
