"""Shared test setup. Qt must never try to reach a display it does not have: without
QT_QPA_PLATFORM or DISPLAY, Qt aborts the whole pytest process, so default to offscreen here,
before anything imports Qt."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")
# Tests never touch the developer's real keyring or config folder.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

# Fixture modules, each owning one kind of real server on loopback.
pytest_plugins = [
    "tests.smtp_servers",
    "tests.keyring_service",
    "tests.imap_server",
    "tests.lookup_servers",
]
