"""`mailgui check` and `mailgui send` against real servers on loopback: output, JSON, exit codes."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from mailgui.cli import EXIT_CODES, main
from mailgui.core.account_store import AccountStore
from mailgui.core.accounts import Account, Security
from tests.smtp_servers import PASSWORD, USER, SmtpServer


def run(argv: list[str], stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), out=out)
    return code, out.getvalue()


def run_json(argv: list[str], stdin: str = "") -> tuple[int, dict[str, Any]]:
    code, text = run([*argv, "--json"], stdin)
    return code, json.loads(text)


def conn(server: SmtpServer, security: str | None = None, user: bool = True) -> list[str]:
    settings = server.settings()
    args = [
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--security",
        security or settings.security.value,
        "--ca-file",
        str(settings.ca_file),
        "--timeout",
        "3",
    ]
    if user:
        args += ["--user", USER, "--password-env", "MAILGUI_TEST_PASSWORD"]
    return args


@pytest.fixture(autouse=True)
def password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILGUI_TEST_PASSWORD", PASSWORD)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_check_passes_every_stage_and_never_prints_the_password(
    starttls_server: SmtpServer,
) -> None:
    code, report = run_json(["check", *conn(starttls_server)])
    assert code == 0
    assert report["ok"] is True
    assert report["diagnosis"] is None
    names = [s["name"] for s in report["stages"]]
    for stage in ("connect", "ehlo", "starttls", "auth", "quit"):
        assert stage in names
    assert all(s["status"] in ("passed", "skipped") for s in report["stages"])
    assert all(isinstance(s["duration_ms"], float | int) for s in report["stages"])
    dumped = json.dumps(report)
    assert PASSWORD not in dumped
    assert any("AUTH" in line for line in report["transcript"])


def test_check_human_output_lists_stages(starttls_server: SmtpServer) -> None:
    code, text = run(["check", *conn(starttls_server)])
    assert code == 0
    assert "[ok  ] starttls" in text
    assert "[ok  ] auth" in text
    assert PASSWORD not in text


def test_password_from_stdin(ssl_server: SmtpServer) -> None:
    args = conn(ssl_server)
    args[args.index("--password-env") : args.index("--password-env") + 2] = ["--password-stdin"]
    code, report = run_json(["check", *args], stdin=PASSWORD + "\n")
    assert code == 0, report["diagnosis"]


def test_wrong_password_is_auth_exit_8_with_fix(
    starttls_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILGUI_TEST_PASSWORD", "not-the-password")
    code, report = run_json(["check", *conn(starttls_server)])
    assert code == EXIT_CODES["auth"] == 8
    assert report["diagnosis"]["category"] == "auth"
    assert report["diagnosis"]["reply_code"] == 535
    assert report["diagnosis"]["fixes"]
    assert "not-the-password" not in json.dumps(report)


def test_ssl_against_a_starttls_port_is_tls_exit_5(starttls_server: SmtpServer) -> None:
    code, report = run_json(["check", *conn(starttls_server, security="ssl")])
    assert code == 5
    assert report["diagnosis"]["category"] == "tls-mode"
    assert "STARTTLS" in " ".join(report["diagnosis"]["fixes"])


def test_untrusted_certificate_is_exit_5(smtp_server_factory: Any) -> None:
    server = smtp_server_factory(mode="starttls", cert="untrusted")
    code, report = run_json(["check", *conn(server)])
    assert code == 5
    assert report["diagnosis"]["category"] == "certificate"


def test_closed_port_is_connect_exit_4() -> None:
    code, report = run_json(
        ["check", "--host", "127.0.0.1", "--port", str(closed_port()), "--security", "none"]
    )
    assert code == 4
    assert report["diagnosis"]["category"] == "connect"


def test_unknown_host_is_dns_exit_3() -> None:
    code, report = run_json(["check", "--host", "no-such-host.invalid", "--timeout", "5"])
    assert code == 3
    assert report["diagnosis"]["category"] == "dns"


def test_silent_server_times_out_within_the_timeout(silent_server: Any) -> None:
    code, report = run_json(
        [
            "check",
            "--host",
            "127.0.0.1",
            "--port",
            str(silent_server.port),
            "--security",
            "none",
            "--timeout",
            "1",
        ]
    )
    # A server that never greets is what an SSL/TLS port looks like to plain SMTP, so the
    # diagnosis may call it a security-mode problem (exit 5) rather than a plain timeout (4).
    assert (report["diagnosis"]["category"], code) in (("timeout", 4), ("tls-mode", 5))
    assert sum(s["duration_ms"] for s in report["stages"]) < 5000


def test_send_delivers_with_attachment_and_no_bcc_header(
    starttls_server: SmtpServer, tmp_path: Path
) -> None:
    attachment = tmp_path / "rapport-été.txt"
    attachment.write_text("numbers\n", encoding="utf-8")
    code, report = run_json(
        [
            "send",
            *conn(starttls_server),
            "--from",
            "alice@example.com",
            "--to",
            "bob@example.test",
            "--bcc",
            "carol@example.test",
            "--subject",
            "Quarterly numbers",
            "--body",
            "See attached.",
            "--attach",
            str(attachment),
        ]
    )
    assert code == 0, report["diagnosis"]
    assert set(report["recipients"]) == {"bob@example.test", "carol@example.test"}
    assert all(r["accepted"] for r in report["recipients"].values())
    (received,) = starttls_server.wait_for_messages(1)
    parsed = message_from_bytes(received.data, policy=default_policy)
    assert parsed["Subject"] == "Quarterly numbers"
    assert parsed["Bcc"] is None
    assert b"carol@example.test" not in received.data
    names = [part.get_filename() for part in parsed.iter_attachments()]
    assert names == ["rapport-été.txt"]


def test_send_partial_refusal_is_exit_11_and_lists_the_reason(
    smtp_server_factory: Any,
) -> None:
    server = smtp_server_factory(
        mode="starttls",
        fail={"RCPT": {"nobody@example.test": "550 5.1.1 <nobody@example.test>: User unknown"}},
    )
    code, text = run(
        [
            "send",
            *conn(server),
            "--from",
            "alice@example.com",
            "--to",
            "bob@example.test",
            "--to",
            "nobody@example.test",
            "--body",
            "hi",
        ]
    )
    assert code == 11
    assert "bob@example.test: accepted" in text
    assert "nobody@example.test: REFUSED 550" in text


def test_send_bad_address_is_input_exit_2_before_connecting(plain_server: SmtpServer) -> None:
    code, report = run_json(
        ["send", *conn(plain_server, user=False), "--from", "a@example.com", "--to", "bob@"]
    )
    assert code == 2
    assert report["diagnosis"]["category"] == "input"
    assert "bob@" in report["diagnosis"]["explanation"] + " ".join(report["diagnosis"]["fixes"])
    assert report["stages"] == []
    assert plain_server.received == []


def test_missing_password_variable_is_input(plain_server: SmtpServer) -> None:
    args = conn(plain_server)
    args[args.index("MAILGUI_TEST_PASSWORD")] = "MAILGUI_UNSET_VARIABLE"
    code, report = run_json(["check", *args])
    assert code == 2
    assert "MAILGUI_UNSET_VARIABLE" in report["diagnosis"]["explanation"]


def test_saved_account_without_a_keyring_is_exit_12(
    starttls_server: SmtpServer, tmp_path: Path
) -> None:
    # tests/conftest.py selects keyring's fail backend: no keyring at all.
    account = Account(name="Work", email=USER, smtp=starttls_server.settings())
    AccountStore(tmp_path).save([account])
    code, report = run_json(["check", "--account", "Work", "--config-dir", str(tmp_path)])
    assert code == 12
    assert report["diagnosis"]["category"] == "keyring"


def test_saved_account_with_password_on_the_command_line(
    starttls_server: SmtpServer, tmp_path: Path
) -> None:
    account = Account(name="Work", email=USER, smtp=starttls_server.settings())
    AccountStore(tmp_path).save([account])
    code, report = run_json(
        [
            "check",
            "--account",
            "work",
            "--config-dir",
            str(tmp_path),
            "--password-env",
            "MAILGUI_TEST_PASSWORD",
        ]
    )
    assert code == 0, report["diagnosis"]
    assert account.smtp.security is Security.STARTTLS


def test_unknown_account_is_input(tmp_path: Path) -> None:
    code, report = run_json(["check", "--account", "Nope", "--config-dir", str(tmp_path)])
    assert code == 2
    assert "Nope" in report["diagnosis"]["explanation"]


def test_python_m_mailgui_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mailgui", "check", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--password-env" in result.stdout
    assert "--password " not in result.stdout  # never a password in argv


def test_wrong_host_name_suggests_a_name_the_certificate_is_valid_for(
    smtp_server_factory: Any,
) -> None:
    server = smtp_server_factory(mode="starttls", cert="wronghost")
    code, report = run_json(["check", *conn(server)])
    assert code == 5
    assert report["diagnosis"]["category"] == "certificate"
    assert "otherhost.test" in json.dumps(report["diagnosis"])


def test_port_out_of_range_is_input() -> None:
    code, report = run_json(["check", "--host", "localhost", "--port", "70000"])
    assert code == 2
    assert "70000" in report["diagnosis"]["explanation"]


def saved_account_with_imap(
    smtp: SmtpServer, imap: Any, folder: Path, imap_user: str = "alice@example.test"
) -> None:
    from mailgui.core.accounts import ServerSettings

    account = Account(
        name="Work",
        email=USER,
        smtp=smtp.settings(),
        imap=ServerSettings(
            host=imap.hostname,
            port=imap.ssl_port,
            security=Security.SSL,
            username=imap_user,
            ca_file=imap.ca_file,
        ),
    )
    AccountStore(folder).save([account])


@pytest.mark.imap
def test_check_with_imap_and_a_report(
    starttls_server: SmtpServer, imap_server: Any, tmp_path: Path
) -> None:
    from tests.imap_server import USERS

    saved_account_with_imap(starttls_server, imap_server, tmp_path)
    report_file = tmp_path / "report.md"
    args = ["check", "--account", "Work", "--config-dir", str(tmp_path)]
    args += ["--password-env", "MAILGUI_TEST_PASSWORD", "--imap", "--report", str(report_file)]
    # One password for both servers here: the IMAP user has its own, so IMAP LOGIN fails.
    code, report = run_json(args)
    assert report["ok"] is False
    assert [s["status"] for s in report["stages"] if s["name"] == "envelope"] == ["passed"]
    assert report["imap"]["failed_stage"] == "login"
    assert report["imap"]["diagnosis"]["category"] == "auth"
    assert code == 8
    text = report_file.read_text(encoding="utf-8")
    assert "envelope" in text
    assert PASSWORD not in text
    assert USERS["alice@example.test"] not in text


@pytest.mark.imap
def test_check_imap_passes_with_its_password(
    starttls_server: SmtpServer,
    imap_server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.imap_server import INBOX_MESSAGES, USERS

    # A server whose SMTP login takes the IMAP user's password too, as most providers do.
    smtp = SmtpServer("starttls", users={USER: USERS["alice@example.test"]})
    with smtp:
        saved_account_with_imap(smtp, imap_server, tmp_path)
        monkeypatch.setenv("MAILGUI_TEST_PASSWORD", USERS["alice@example.test"])
        code, text = run(
            [
                "check",
                "--account",
                "Work",
                "--config-dir",
                str(tmp_path),
                "--password-env",
                "MAILGUI_TEST_PASSWORD",
                "--imap",
            ]
        )
    assert code == 0, text
    assert "IMAP:" in text
    assert f"{INBOX_MESSAGES}" in text
    assert "All good." in text


def test_dry_run_refusal_is_envelope_exit_9(smtp_server_factory: Any) -> None:
    server = smtp_server_factory(
        mode="starttls", fail={"RCPT": "550 5.7.1 Relaying denied for this address"}
    )
    code, report = run_json(["check", *conn(server), "--dry-run-from", "alice@example.com"])
    assert code == 9
    envelope = [s for s in report["stages"] if s["name"] == "envelope"]
    assert envelope[0]["status"] == "failed"
    assert server.received == []  # a dry run never sends a message


def test_unreadable_accounts_file_is_explained_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "accounts.json").write_text("{ this is not json", encoding="utf-8")
    code, report = run_json(["check", "--account", "Work", "--config-dir", str(tmp_path)])
    assert code == 2
    assert report["ok"] is False
    assert report["diagnosis"]["title"]
    assert "accounts.json" in json.dumps(report["diagnosis"])
    # The damaged file is kept (moved aside), never silently deleted.
    assert list(tmp_path.glob("accounts.json.corrupt-*"))


CHECK_SHAPE = {
    "ok",
    "stages",
    "diagnosis",
    "transcript",
    "capabilities",
    "tls",
    "certificate",
    "suggested_host",
    "mx",
    "imap",
    "report",
    "exit_code",
}


def test_check_json_has_one_shape_and_its_exit_code(
    starttls_server: SmtpServer, smtp_server_factory: Any, tmp_path: Path
) -> None:
    untrusted = smtp_server_factory(mode="starttls", cert="untrusted")
    runs = [
        ["check", *conn(starttls_server)],  # passes
        ["check", *conn(untrusted)],  # fails after connecting (STARTTLS handshake)
        ["check", "--host", "localhost", "--port", "70000"],  # fails before connecting
        ["check", "--account", "Nope", "--config-dir", str(tmp_path)],  # unknown account
    ]
    for argv in runs:
        code, report = run_json(argv)
        assert set(report) == CHECK_SHAPE, argv
        assert report["exit_code"] == code, argv
    assert [run_json(argv)[0] for argv in runs] == [0, 5, 2, 2]


def test_keyring_failure_in_the_cli_says_how_to_pass_the_password(
    starttls_server: SmtpServer, tmp_path: Path
) -> None:
    AccountStore(tmp_path).save([Account(name="Work", email=USER, smtp=starttls_server.settings())])
    code, report = run_json(["check", "--account", "Work", "--config-dir", str(tmp_path)])
    assert code == 12
    assert "--password-env" in report["diagnosis"]["fixes"][0]
    assert not any("this session" in fix for fix in report["diagnosis"]["fixes"])
    assert report["diagnosis"]["actions"] == []
