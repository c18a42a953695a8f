"""smtplib.SMTP with a transcript, cancellation, UTF-8 AUTH and a streaming DATA with progress.

Everything protocol-level stays smtplib's (command formatting, EHLO parsing, STARTTLS, MAIL/RCPT,
sendmail's envelope logic); only the byte I/O around it is ours.
"""

from __future__ import annotations

import base64
import binascii
import re
import smtplib
from collections.abc import Callable
from email.base64mime import body_encode as encode_base64

from mailgui.core.cancel import CancelToken
from mailgui.core.transcript import Transcript

CHUNK = 64 * 1024
_MAXLINE = 8192  # smtplib's own limit for a reply line
_MAXCHALLENGE = 5
_LEADING_DOT = re.compile(rb"(?m)^\.")

Progress = Callable[[int, int], None]


class WireSMTP(smtplib.SMTP):
    """One SMTP connection. The caller opens the socket (see net.open_connection) and hands it
    over with `use_socket`; nothing here resolves names or connects on its own."""

    def __init__(self, transcript: Transcript, cancel: CancelToken, timeout: float) -> None:
        # A placeholder name: smtplib would otherwise call socket.getfqdn(), a DNS lookup
        # without a timeout. The session sets the real EHLO name once connected.
        super().__init__(local_hostname="localhost", timeout=timeout)
        self.transcript = transcript
        self.cancel = cancel
        self.progress: Progress | None = None
        self.before_data: Callable[[], None] | None = None
        self.rcpt_replies: dict[str, tuple[int, bytes]] = {}
        self.data_reply: tuple[int, bytes] | None = None
        self.auth_mechanism: str | None = None

    def use_socket(self, sock: object, host: str) -> None:
        self.sock = sock  # type: ignore[assignment]
        self.file = None
        self._host = host

    def read_banner(self) -> tuple[int, bytes]:
        code, msg = self.getreply()
        if code != 220:
            self.close()
            raise smtplib.SMTPConnectError(code, msg)
        return code, msg

    # -- I/O with the transcript ---------------------------------------------------------
    def putcmd(self, cmd: str, args: str = "") -> None:
        self.cancel.raise_if_cancelled()
        self.transcript.client(f"{cmd} {args}" if args else cmd)
        super().putcmd(cmd, args)

    def getreply(self) -> tuple[int, bytes]:
        """smtplib's reply reader, logging each line as it arrives."""
        if self.sock is None:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        if self.file is None:
            self.file = self.sock.makefile("rb")
        lines: list[bytes] = []
        errcode = -1
        while True:
            try:
                line: bytes = self.file.readline(_MAXLINE + 1)
            except OSError as exc:
                self.transcript.info(f"connection lost: {exc}")
                self.close()
                raise smtplib.SMTPServerDisconnected(
                    "Connection unexpectedly closed: " + str(exc)
                ) from exc
            if not line:
                self.transcript.info("connection closed by the server")
                self.close()
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            if len(line) > _MAXLINE:
                self.transcript.server(f"<reply line over {_MAXLINE} bytes>")
                self.close()
                raise smtplib.SMTPResponseException(500, "Line too long.")
            self.transcript.server(line.rstrip(b"\r\n").decode("utf-8", "replace"))
            lines.append(line[4:].strip(b" \t\r\n"))
            try:
                errcode = int(line[:3])
            except ValueError:
                errcode = -1  # not a reply code: do not read on (smtplib does the same)
                break
            if line[3:4] != b"-":
                break
        return errcode, b"\n".join(lines)

    # -- AUTH: smtplib's loop, but UTF-8 credentials (RFC 4616) instead of ASCII only -------
    def auth(
        self,
        mechanism: str,
        authobject: smtplib._AuthObject,
        *,
        initial_response_ok: bool = True,
    ) -> tuple[int, bytes]:
        mechanism = mechanism.upper()
        self.auth_mechanism = mechanism
        initial = authobject() if initial_response_ok else None
        if initial is not None:
            code, resp = self.docmd("AUTH", f"{mechanism} {_b64(initial)}")
            self._auth_challenge_count = 1
        else:
            code, resp = self.docmd("AUTH", mechanism)
            self._auth_challenge_count = 0
        while code == 334:
            self._auth_challenge_count += 1
            try:
                challenge = base64.decodebytes(resp)
            except (binascii.Error, ValueError):
                raise smtplib.SMTPResponseException(code, resp) from None
            code, resp = self.docmd(_b64(authobject(challenge)))
            if self._auth_challenge_count > _MAXCHALLENGE:
                raise smtplib.SMTPException(
                    f"Server AUTH mechanism infinite loop. Last response: {code} {resp!r}"
                )
        if code in (235, 503):
            return code, resp
        raise smtplib.SMTPAuthenticationError(code, resp)

    # -- envelope / data -----------------------------------------------------------------
    def rcpt(self, recip: str, options: object = ()) -> tuple[int, bytes]:
        reply = super().rcpt(recip, options)  # type: ignore[arg-type]
        self.rcpt_replies[recip] = reply
        return reply

    def data(self, msg: object) -> tuple[int, bytes]:
        """DATA, streaming the (already CRLF) message in chunks: dot-stuffing per chunk, no
        second full copy, progress after each chunk, the cancel token checked in between."""
        if self.before_data is not None:
            self.before_data()
        payload = msg if isinstance(msg, bytes) else _as_bytes(msg)
        self.putcmd("data")
        code, repl = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, repl)
        sock = self.sock
        if sock is None:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        total = len(payload)
        view = memoryview(payload)
        at_line_start = True
        sent = 0
        while sent < total:
            self.cancel.raise_if_cancelled()
            end = min(sent + CHUNK, total)
            starts_with_dot = payload[sent] == 0x2E  # "."
            if starts_with_dot or payload.find(b"\n.", sent, end) >= 0:
                chunk = _LEADING_DOT.sub(b"..", payload[sent:end])
                if starts_with_dot and not at_line_start:
                    chunk = chunk[1:]  # that dot continues a line of the previous chunk
                sock.sendall(chunk)
            else:
                sock.sendall(view[sent:end])  # zero-copy: nothing to stuff here
            at_line_start = payload[end - 1] == 0x0A
            sent = end
            if self.progress is not None:
                self.progress(sent, total)
        # The terminator goes last, after the final progress call and cancel check: until it
        # is sent, the server discards the message, so a cancel or a failing callback never
        # leaves a half-decided send behind. (The socket has TCP_NODELAY: no Nagle wait.)
        self.cancel.raise_if_cancelled()
        sock.sendall(b".\r\n" if payload.endswith(b"\r\n") else b"\r\n.\r\n")
        self.transcript.client(f"<{total} bytes of message data>")
        self.transcript.client(".")
        self.data_reply = self.getreply()
        return self.data_reply


def _b64(text: str) -> str:
    return encode_base64(text.encode("utf-8"), eol="")


def _as_bytes(msg: object) -> bytes:
    if isinstance(msg, str):
        # smtplib's rule for str messages: fix line endings, ASCII only.
        return re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", msg).encode("ascii")
    return bytes(memoryview(msg))  # type: ignore[arg-type]
