"""A real, private Secret Service (gnome-keyring on its own D-Bus session bus) for tests.

The bus uses a minimal configuration with no service directories: nothing is ever
D-Bus-activated on it. That keeps the developer's real keyring out of reach, and it makes a
locked keyring fail fast: gnome-keyring cannot reach a prompter (gcr-prompter) on this bus, so
every unlock prompt is dismissed at once instead of waiting for a human who is not there. (The
daemons get no DISPLAY either.) Tests that need a user's answer register `RefusingPrompter`.

Fixtures:
- `secret_service_daemon` (session): starts dbus-daemon + gnome-keyring-daemon once.
- `secret_service` (function): points this process at that bus (DBUS_SESSION_BUS_ADDRESS) and
  selects keyring's SecretService backend for one test, restoring both afterwards, so tests that
  expect "no keyring" (the default in tests/conftest.py) never see it.
- `locked_keyring` (function): the same, with the default collection locked; unlocked again after.
- `new_secret_service` (function): a daemon of its own with no keyring yet, selected likewise.
- `refusing_prompter` (function): `RefusingPrompter` on the shared bus: every prompt gnome-keyring
  shows is answered "Cancel", as by a user who refuses.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

KEYRING_PASSWORD = "mailgui-test-keyring"  # unlocks the throwaway test keyring only
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
TOOLS = ("dbus-daemon", "gnome-keyring-daemon")

# Never inherited by the daemons: a display or a real bus would let a real prompter or the
# developer's own keyring in; GNOME_KEYRING_TEST_PROMPTER would send prompts elsewhere.
_DROPPED_ENV = frozenset(
    {"DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "GNOME_KEYRING_TEST_PROMPTER"}
)

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def require_tools(
    which: Callable[[str], str | None] = shutil.which, env: dict[str, str] | None = None
) -> None:
    """Skip (visibly) when the Secret Service tools are missing; in CI, fail instead."""
    env = dict(os.environ) if env is None else env
    missing = [tool for tool in TOOLS if which(tool) is None]
    try:
        import secretstorage  # noqa: F401
    except ImportError:
        missing.append("the SecretStorage Python package")
    if not missing:
        return
    reason = (
        f"real keyring tests need {', '.join(missing)} "
        "(Debian/Ubuntu: apt-get install dbus gnome-keyring)"
    )
    if env.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI must run the keyring tests, but {reason}", pytrace=False)
    pytest.skip(reason)


def _read_line(stream: Any, timeout: float) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError(f"no output within {timeout} s")
    return str(stream.readline().decode().strip())


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT)


class SecretService:
    """dbus-daemon + gnome-keyring-daemon in a throwaway home. Use start() / stop()."""

    def __init__(
        self, root: Path, password: str = KEYRING_PASSWORD, *, create_login: bool = True
    ) -> None:
        self.root = root
        self.password = password
        # False: a first start with no keyring at all, as on a new system; the first use then
        # has to create one, and gnome-keyring prompts for its password.
        self.create_login = create_login
        self.address = ""
        self.env: dict[str, str] = {}
        self.start_seconds = 0.0
        self._bus: subprocess.Popen[bytes] | None = None
        self._keyring: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        started = time.monotonic()
        dirs = {name: self.root / name for name in ("home", "data", "cache", "config", "run")}
        for path in dirs.values():
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.chmod(0o700)  # gnome-keyring refuses a runtime dir others can read
        env = {key: value for key, value in os.environ.items() if key not in _DROPPED_ENV}
        env.update(
            HOME=str(dirs["home"]),
            XDG_DATA_HOME=str(dirs["data"]),
            XDG_CACHE_HOME=str(dirs["cache"]),
            XDG_CONFIG_HOME=str(dirs["config"]),
            XDG_RUNTIME_DIR=str(dirs["run"]),
        )
        config = self.root / "bus.conf"
        config.write_text(_BUS_CONFIG.format(socket=dirs["run"] / "bus"), encoding="utf-8")
        log = (self.root / "daemons.log").open("ab")
        try:
            self._bus = subprocess.Popen(
                ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                start_new_session=True,
            )
            self.address = _read_line(self._bus.stdout, START_TIMEOUT)
            env["DBUS_SESSION_BUS_ADDRESS"] = self.address
            unlock = ["--unlock"] if self.create_login else []
            self._keyring = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", *unlock, "--components=secrets"],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=log,
                env=env,
                start_new_session=True,
            )
            assert self._keyring.stdin is not None
            if self.create_login:
                # --unlock reads the login keyring's password from stdin (creating it if new).
                self._keyring.stdin.write(self.password.encode())
            self._keyring.stdin.close()
            self.env = env
            self._wait_until_ready(started + START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        finally:
            log.close()
        self.start_seconds = time.monotonic() - started

    def _wait_until_ready(self, deadline: float) -> None:
        # Polling a daemon's readiness is fine here: no Qt event loop is involved.
        while True:
            with self.connection() as conn:
                from secretstorage import check_service_availability

                if check_service_availability(conn):
                    return
            if self._keyring is not None and self._keyring.poll() is not None:
                raise RuntimeError(
                    f"gnome-keyring-daemon exited with {self._keyring.returncode}; "
                    f"see {self.root / 'daemons.log'}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"the Secret Service did not start in {START_TIMEOUT} s")
            time.sleep(0.01)

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        """A jeepney connection to this private bus (whatever os.environ says)."""
        from jeepney.io.blocking import open_dbus_connection
        from secretstorage.util import add_match_rules

        conn = open_dbus_connection(self.address)
        try:
            add_match_rules(conn)
            yield conn
        finally:
            conn.close()

    def is_locked(self) -> bool:
        import secretstorage

        with self.connection() as conn:
            return bool(secretstorage.get_default_collection(conn).is_locked())

    def lock(self) -> None:
        import secretstorage

        with self.connection() as conn:
            secretstorage.get_default_collection(conn).lock()

    def unlock(self) -> None:
        """Unlock without a prompt, through gnome-keyring's own (unofficial) interface."""
        from secretstorage.defines import SS_PATH
        from secretstorage.util import DBusAddressWrapper, format_secret, open_session

        with self.connection() as conn:
            service = DBusAddressWrapper(SS_PATH, "org.freedesktop.Secret.Service", conn)
            (path,) = service.call("ReadAlias", "s", "default")
            internal = DBusAddressWrapper(
                SS_PATH, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface", conn
            )
            secret = format_secret(open_session(conn), self.password.encode(), "text/plain")
            internal.call("UnlockWithMasterPassword", "o(oayays)", path, secret)

    def items(self, attributes: dict[str, str]) -> list[tuple[str, dict[str, str], bytes]]:
        """(label, attributes, secret) of every stored item matching `attributes`."""
        import secretstorage

        with self.connection() as conn:
            collection = secretstorage.get_default_collection(conn)
            return [
                (item.get_label(), dict(item.get_attributes()), bytes(item.get_secret()))
                for item in collection.search_items(attributes)
            ]

    def clear(self) -> None:
        """Delete every stored item, so tests sharing the daemon cannot see each other's."""
        import secretstorage

        with self.connection() as conn:
            for item in secretstorage.get_default_collection(conn).get_all_items():
                item.delete()

    def stop(self) -> None:
        _stop(self._keyring)
        _stop(self._bus)
        for process in (self._keyring, self._bus):
            if process is not None and process.stdout is not None:
                process.stdout.close()


# gcr's prompter protocol (gcr/gcr-dbus-constants.h): gnome-keyring asks whoever owns one of
# these names to show its prompts. gcr-prompter is the real owner, D-Bus-activated on a desktop
# bus; the private bus above has no service directories, so only `RefusingPrompter` can own it.
PROMPTER_NAMES = ("org.gnome.keyring.SystemPrompter", "org.gnome.keyring.PrivatePrompter")
PROMPTER_PATH = "/org/gnome/keyring/Prompter"
PROMPTER_INTERFACE = "org.gnome.keyring.internal.Prompter"
CALLBACK_INTERFACE = "org.gnome.keyring.internal.Prompter.Callback"
# The secret exchange's Diffie-Hellman group (RFC 3526 1536-bit MODP, generator 2).
_DH_PRIME = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF",
    16,
)


_DO_NOT_QUEUE = 4  # RequestName flag and reply, from the D-Bus specification
_PRIMARY_OWNER = 1


@dataclass
class PromptSeen:
    """One prompt gnome-keyring asked the prompter to show."""

    kind: str  # "password" or "confirm"
    properties: dict[str, Any] = field(default_factory=dict)


class RefusingPrompter:
    """A stand-in for gcr-prompter on the private bus whose user answers every prompt "Cancel".

    gnome-keyring really asks it (BeginPrompting, PerformPrompt) and really receives the refusal
    (PromptReady "no"), exactly as from a user who dismissed the dialog. `prompts` records what
    was asked. Use as a context manager; it serves the bus on a thread of its own.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self.prompts: list[PromptSeen] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self._public = b""
        self.failure: BaseException | None = None  # raised again on exit: a test must see it

    def __enter__(self) -> RefusingPrompter:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        private = secrets.randbits(1535) | 1
        value = pow(2, private, _DH_PRIME)
        self._public = value.to_bytes((value.bit_length() + 7) // 8, "big")
        self._conn = open_dbus_connection(self.address)
        try:
            for name in PROMPTER_NAMES:
                request = message_bus.RequestName(name, _DO_NOT_QUEUE)
                reply = self._conn.send_and_get_reply(request, timeout=START_TIMEOUT)
                if reply.body != (_PRIMARY_OWNER,):
                    raise RuntimeError(f"could not own {name} on the test bus: {reply.body}")
        except BaseException:
            self._conn.close()
            raise
        self._thread = threading.Thread(target=self._serve, name="refusing-prompter", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
        self._conn.close()  # the bus drops the names with the connection
        if self.failure is not None:
            raise RuntimeError("the test prompter failed") from self.failure

    def _exchange(self) -> str:
        # gcr's secret-exchange key file; a refusal carries our public value and no secret.
        return f"[sx-aes-1]\npublic={base64.b64encode(self._public).decode()}\n"

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType

        while not self._stop.is_set():
            try:
                message = self._conn.receive(timeout=0.05)
            except TimeoutError:
                continue
            except OSError:  # connection closed
                return
            header = message.header
            if header.message_type != MessageType.method_call:
                continue
            if header.fields.get(HeaderFields.path) != PROMPTER_PATH:
                continue
            fields = header.fields
            try:
                self._handle(message, fields[HeaderFields.member], fields[HeaderFields.sender])
            except Exception as exc:  # kept for __exit__; the test then fails at its timeout
                self.failure = exc
                return

    def _handle(self, message: Any, member: str, sender: str) -> None:
        from jeepney import DBusAddress, new_error, new_method_call, new_method_return

        callback_path = message.body[0]
        callback = DBusAddress(callback_path, bus_name=sender, interface=CALLBACK_INTERFACE)
        if member == "BeginPrompting":
            self._conn.send(new_method_return(message))
            self._conn.send(
                new_method_call(callback, "PromptReady", "sa{sv}s", ("", {}, self._exchange()))
            )
        elif member == "PerformPrompt":
            _, kind, properties, _exchange = message.body
            self.prompts.append(PromptSeen(kind, {k: v for k, (_, v) in properties.items()}))
            self._conn.send(new_method_return(message))
            self._conn.send(
                new_method_call(callback, "PromptReady", "sa{sv}s", ("no", {}, self._exchange()))
            )
        elif member == "StopPrompting":
            self._conn.send(new_method_return(message))
            self._conn.send(new_method_call(callback, "PromptDone"))
        else:
            self._conn.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))


@contextlib.contextmanager
def _running(create_login: bool = True) -> Iterator[SecretService]:
    require_tools()
    root = Path(tempfile.mkdtemp(prefix="mailgui-keyring-"))
    service = SecretService(root, create_login=create_login)
    try:
        service.start()
        yield service
    finally:
        service.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _selected(service: SecretService, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point this process's keyring at `service` until the block ends."""
    import keyring
    from keyring.backends import SecretService as secret_service_backend

    previous = keyring.get_keyring()  # before the environment points at the test bus
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    keyring.set_keyring(secret_service_backend.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def secret_service_daemon() -> Iterator[SecretService]:
    with _running() as service:
        yield service


@pytest.fixture
def secret_service(
    secret_service_daemon: SecretService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretService]:
    """The private Secret Service, selected as this process's keyring for one test."""
    with _selected(secret_service_daemon, monkeypatch):
        if secret_service_daemon.is_locked():  # a previous test may have failed half-way
            secret_service_daemon.unlock()
        secret_service_daemon.clear()  # every test starts with an empty keyring
        yield secret_service_daemon


@pytest.fixture
def new_secret_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretService]:
    """A Secret Service of its own that has no keyring yet (a new system), selected for one test.

    The first use has to create the default keyring, and gnome-keyring prompts for it.
    """
    with _running(create_login=False) as service, _selected(service, monkeypatch):
        yield service


@pytest.fixture
def refusing_prompter(secret_service: SecretService) -> Iterator[RefusingPrompter]:
    """The shared private Secret Service, whose prompts the user now answers with Cancel."""
    with RefusingPrompter(secret_service.address) as prompter:
        yield prompter


@pytest.fixture
def locked_keyring(secret_service: SecretService) -> Iterator[SecretService]:
    """The private Secret Service with its default collection locked."""
    secret_service.lock()
    assert secret_service.is_locked()
    try:
        yield secret_service
    finally:
        secret_service.unlock()
