"""Shared test setup. Qt must never try to reach a display it does not have: without
QT_QPA_PLATFORM or DISPLAY, Qt aborts the whole pytest process, so default to offscreen here,
before anything imports Qt."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")
# Tests never touch the developer's real keyring, config or data folders.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
_SCRATCH_HOME = tempfile.mkdtemp(prefix="mailgui-tests-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_SCRATCH_HOME, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_SCRATCH_HOME, "data")
os.environ["XDG_CACHE_HOME"] = os.path.join(_SCRATCH_HOME, "cache")

# Fixture modules, each owning one kind of real server on loopback.
pytest_plugins = [
    "tests.smtp_servers",
    "tests.keyring_service",
    "tests.imap_server",
    "tests.lookup_servers",
]


@pytest.fixture
def as_ordinary_user() -> Iterator[Path]:
    """Run the test body with an ordinary user's file permissions, in a folder it may use.

    Root ignores file modes, so permission errors could never happen for real in CI. Changing
    only the effective uid (the saved uid stays 0) lets the test come back to root afterwards.
    The folder is outside pytest's private (mode 700) temporary tree so that user can reach it.
    Windows has no uids (and no geteuid): there the test just gets the folder.
    """
    folder = Path(tempfile.mkdtemp(prefix="mailgui-user-"))
    folder.chmod(0o777)
    switched = hasattr(os, "geteuid") and os.geteuid() == 0
    if switched:
        os.setegid(65534)
        os.seteuid(65534)
    try:
        yield folder
    finally:
        if switched:
            os.seteuid(0)
            os.setegid(0)
        shutil.rmtree(folder, ignore_errors=True)
