"""A real IMAP server on loopback for tests: Debian's dovecot, configured in a temporary folder.

`ImapServer` writes its own dovecot.conf (free ports on 127.0.0.1, a passwd-file with {PLAIN}
passwords, Maildir under the temporary folder, a trustme certificate for "localhost"), runs
`dovecot -F -c conf` in the foreground and stops it at teardown. When dovecot is not installed the
fixtures skip with a visible reason, except under CI (env CI=true), where that is a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

DOVECOT_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
USERS = {"alice@example.test": "imap-secret-1", "bob@example.test": "imap-secret-2"}
INBOX_MESSAGES = 3

CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = mailgui-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
  default_fields = uid={mail_uid} gid={mail_gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # The auth process cannot reach the penalty socket, so it turns the growing delay after a
  # failed login off (wrong-password tests would otherwise slow every later login by 2-15 s).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  user = {internal_user}
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
"""


def find_dovecot() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return next((p for p in DOVECOT_CANDIDATES if os.access(p, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_dovecot() -> str:
    """The dovecot binary, or a visible skip (a failure under CI, where it must be installed)."""
    binary = find_dovecot()
    if binary is None:
        reason = "dovecot is not installed (Debian: apt-get install dovecot-imapd)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason + "; CI must run the IMAP tests")
        pytest.skip(reason)
    return binary


def _message(number: int) -> bytes:
    return (
        f"From: sender{number}@example.test\r\nTo: alice@example.test\r\n"
        f"Subject: test message {number}\r\nMessage-ID: <m{number}@example.test>\r\n"
        f"Date: Sat, 28 Nov 2026 12:00:0{number} +0000\r\n\r\nbody {number}\r\n"
    ).encode()


class ImapServer:
    """dovecot serving IMAP (plain + STARTTLS) and IMAPS on free loopback ports."""

    host = "127.0.0.1"
    hostname = "localhost"  # the name in the certificate

    def __init__(self, binary: str, users: dict[str, str] | None = None) -> None:
        self.binary = binary
        self.users = dict(users or USERS)
        self.ca = trustme.CA()
        self.root = Path(tempfile.mkdtemp(prefix="mailgui-dovecot-"))
        self.port = free_port()
        self.ssl_port = free_port()
        self.ca_file = str(self.root / "ca.pem")
        self.process: subprocess.Popen[bytes] | None = None

    def _write_config(self) -> Path:
        root = self.root
        # Mail processes run as an unprivileged user when we are root, so the folder must be
        # traversable by it (mkdtemp makes it 0700).
        root.chmod(0o755)
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir()
        self.ca.cert_pem.write_to_path(self.ca_file)
        cert = self.ca.issue_cert("localhost", "127.0.0.1")
        cert.private_key_pem.write_to_path(str(root / "key.pem"))
        (root / "cert.pem").write_bytes(b"".join(b.bytes() for b in cert.cert_chain_pems))
        import pwd  # here, not at the top: dovecot is POSIX-only, and Windows has no pwd

        if os.geteuid() == 0:
            login_user, internal_user, mail_user = "dovenull", "dovecot", "dovecot"
        else:
            login_user = internal_user = mail_user = pwd.getpwuid(os.geteuid()).pw_name
        entry = pwd.getpwnam(mail_user)
        lines = [f"{user}:{{PLAIN}}{password}::::::" for user, password in self.users.items()]
        (root / "users").write_text("\n".join(lines) + "\n")
        for user in self.users:
            box = root / "mail" / user
            for sub in ("cur", "new", "tmp"):
                (box / sub).mkdir(parents=True)
            for n in range(1, INBOX_MESSAGES + 1):
                (box / "new" / f"{1700000000 + n}.M{n}P1.test").write_bytes(_message(n))
        if os.geteuid() == 0:
            for path in [root / "mail", *(root / "mail").rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid)
        conf = root / "dovecot.conf"
        conf.write_text(
            CONF.format(
                root=root,
                port=self.port,
                ssl_port=self.ssl_port,
                login_user=login_user,
                internal_user=internal_user,
                mail_uid=entry.pw_uid,
                mail_gid=entry.pw_gid,
            )
        )
        return conf

    def start(self) -> ImapServer:
        conf = self._write_config()
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()}")
            if self._answers(self.port) and self._answers(self.ssl_port):
                return self
            time.sleep(0.05)  # waiting for a subprocess, not polling Qt
        self.stop()
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def _answers(self, port: int) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((self.host, port), 0.5):
            return True
        return False

    def log(self) -> str:
        path = self.root / "dovecot.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        if self.process and self.process.stderr and self.process.poll() is not None:
            text += self.process.stderr.read().decode(errors="replace")
        return text[-4000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process and self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ImapServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """One dovecot for the whole session (starting one takes a few hundred ms)."""
    with ImapServer(require_dovecot()) as server:
        yield server
