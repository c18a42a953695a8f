"""smtplib.SMTP with a transcript, cancellation, UTF-8 AUTH and a streaming DATA with progress.

Everything protocol-level stays smtplib's (command formatting, EHLO parsing, STARTTLS, MAIL/RCPT,
sendmail's envelope logic); only the byte I/O around it is ours.
"""

from __future__ import annotations

import base64
import binascii
import copy
import email.policy
import re
import smtplib
import time
from collections.abc import Callable, Iterable, Iterator
from email.base64mime import body_encode as encode_base64
from email.generator import BytesGenerator
from email.message import Message

from mailgui.core.cancel import CancelToken
from mailgui.core.transcript import Transcript

CHUNK = 64 * 1024
_MAXLINE = 8192  # smtplib's own limit for a reply line
# Caps on one (multi-line) reply: a real EHLO answer has a few dozen lines and a few KiB. A
# server that sends continuation lines forever would otherwise hold the session forever.
MAX_REPLY_LINES = 1000
MAX_REPLY_BYTES = 256 * 1024
_RECV = 16 * 1024
_MAXCHALLENGE = 5
_LEADING_DOT = re.compile(rb"(?m)^\.")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what email.generator splits lines on
_BLOCK = 1024 * 1024

Progress = Callable[[int, int], None]


class WirePayload:
    """A serialized message as a list of byte segments: built without one big contiguous
    buffer (and its reallocations), streamed by `WireSMTP.data` chunk by chunk."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self._size = 0

    def write(self, data: bytes | WirePayload) -> int:
        if isinstance(data, WirePayload):  # a sub-part rendered by _LeanGenerator
            self.parts.extend(data.parts)
        elif data:
            self.parts.append(data)
        self._size += len(data)
        return len(data)

    def getvalue(self) -> WirePayload:
        # email.generator renders each part into a fresh buffer and then writes
        # buffer.getvalue() into its parent: handing over the segments avoids a copy per level.
        return self

    def __len__(self) -> int:
        return self._size

    def isascii(self) -> bool:
        return all(part.isascii() for part in self.parts)

    def endswith(self, suffix: bytes) -> bool:
        tail = b"".join(self.parts[-len(suffix) :])[-len(suffix) :]
        return tail == suffix

    def tobytes(self) -> bytes:
        return b"".join(self.parts)

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The payload again, as bytes chunks of `size` (the last one shorter)."""
        yield from _rechunk(self.parts, size)


def _rechunk(parts: Iterable[bytes], size: int) -> Iterator[bytes]:
    pending = bytearray()
    for part in parts:
        view = memoryview(part)
        pos = 0
        if pending:
            pos = min(size - len(pending), len(part))
            pending += view[:pos]
            if len(pending) < size:
                continue
            yield bytes(pending)
            pending = bytearray()
        while len(part) - pos >= size:
            yield bytes(view[pos : pos + size])
            pos += size
        pending += view[pos:]
    if pending:
        yield bytes(pending)


class _LeanGenerator(BytesGenerator):
    """BytesGenerator with the same output and less memory: parts are rendered into segment
    lists instead of one buffer per nesting level (each copied into its parent), and line
    endings are converted in 1 MiB blocks (the stock code first splits a whole part into a
    list of line strings: 35 MB for a 20 MB attachment).

    Only used when every multipart already has its boundary: choosing one needs the
    rendered text of the sub-parts as a single bytes object.
    """

    def _new_buffer(self) -> WirePayload:
        return WirePayload()

    def _write_lines(self, lines: str) -> None:
        if len(lines) <= _BLOCK:
            super()._write_lines(lines)  # type: ignore[misc]
            return
        start, end_of_text = 0, len(lines)
        while start < end_of_text:
            end = min(start + _BLOCK, end_of_text)
            if end < end_of_text:
                # Cut just after a LF so that no CRLF pair is split between two blocks.
                cut = lines.rfind("\n", start, end)
                end = cut + 1 if cut >= 0 else lines.find("\n", end) + 1 or end_of_text
            self.write(_LINE_BREAK.sub(self._NL, lines[start:end]))  # type: ignore[attr-defined]
            start = end


def serialize_parts(message: Message, smtputf8: bool) -> WirePayload:
    """The message as it goes on the wire: CRLF line ends, no Bcc header, UTF-8 headers only
    when the message needs SMTPUTF8 (what smtplib.send_message does, with less memory)."""
    msg = message
    if "Bcc" in msg or "Resent-Bcc" in msg:
        msg = copy.copy(msg)  # deleting assigns a new header list: the original keeps its Bcc
        del msg["Bcc"]
        del msg["Resent-Bcc"]
    base = msg.policy if isinstance(msg.policy, email.policy.EmailPolicy) else email.policy.SMTP
    policy = base.clone(linesep="\r\n", utf8=smtputf8)
    payload = WirePayload()
    lean = all(part.get_boundary() for part in msg.walk() if part.is_multipart())
    generator = _LeanGenerator if lean else BytesGenerator
    generator(payload, policy=policy).flatten(msg, linesep="\r\n")
    return payload


class ReplyOverrun(smtplib.SMTPServerDisconnected):
    """The server started a reply and did not finish it: not within the time limit, or not
    within the line / byte caps. mailgui hung up (hence a disconnect)."""

    def __init__(self, message: str, *, lines: int, size: int, too_long: bool) -> None:
        super().__init__(message)
        self.lines = lines
        self.size = size
        self.too_long = too_long  # True: a cap was hit; False: the time limit


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
        # Our own read buffer (instead of smtplib's makefile) so that a reply can have a
        # deadline. It belongs to one socket: after STARTTLS wraps it, whatever the server
        # sent before the handshake is dropped, never read as if it came over TLS.
        self._rbuf = bytearray()
        self._rsock: object = None
        # An absolute time.monotonic() limit for every reply (on top of `timeout` per reply),
        # for callers with one budget for the whole conversation (discovery).
        self.deadline: float | None = None

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
        """smtplib's reply reader, logging each line as it arrives. The timeout bounds the
        whole reply, not each read, and a reply has at most MAX_REPLY_LINES lines and
        MAX_REPLY_BYTES bytes: a server trickling continuation lines cannot hold us."""
        if self.sock is None:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        deadline = time.monotonic() + self.timeout
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
        lines: list[bytes] = []
        size = 0
        errcode = -1
        try:
            while True:
                try:
                    line = self._readline(deadline, lines, size)
                except ReplyOverrun:
                    raise  # an OSError too (smtplib's exceptions are), but already ours
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
                size += len(line)
                try:
                    errcode = int(line[:3])
                except ValueError:
                    errcode = -1  # not a reply code: do not read on (smtplib does the same)
                    break
                if line[3:4] != b"-":
                    break
                if len(lines) >= MAX_REPLY_LINES or size >= MAX_REPLY_BYTES:
                    raise self._overrun(
                        f"the reply did not end after {len(lines)} lines ({size} bytes)",
                        lines,
                        size,
                        too_long=True,
                    )
        finally:
            sock = self.sock
            if sock is not None:
                sock.settimeout(self.timeout)  # writes keep the plain per-call timeout
        return errcode, b"\n".join(lines)

    def _readline(self, deadline: float, lines: list[bytes], size: int) -> bytes:
        """One line (with its CRLF) from the socket, b"" at EOF, at most _MAXLINE + 1 bytes.
        TimeoutError at the deadline when nothing of the reply came; ReplyOverrun when some
        did (a server that talks but never finishes is not a silent one)."""
        sock = self.sock
        assert sock is not None
        if self._rsock is not sock:
            self._rsock, self._rbuf = sock, bytearray()
        buf = self._rbuf
        while True:
            end = buf.find(b"\n")
            if end >= 0 or len(buf) > _MAXLINE:
                cut = end + 1 if 0 <= end <= _MAXLINE else _MAXLINE + 1
                line = bytes(buf[:cut])
                del buf[:cut]
                return line
            try:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("timed out")
                sock.settimeout(remaining)
                data = sock.recv(_RECV)
            except TimeoutError:
                if lines or buf:
                    raise self._overrun(
                        f"the reply did not end within {self.timeout:g} s",
                        lines,
                        size + len(buf),
                        too_long=False,
                    ) from None
                raise
            if not data:  # EOF: a partial last line first, as readline() would
                line = bytes(buf)
                buf.clear()
                return line
            buf += data

    def _overrun(self, why: str, lines: list[bytes], size: int, *, too_long: bool) -> ReplyOverrun:
        self.transcript.info(f"{why}: hanging up")
        self.close()
        return ReplyOverrun(
            f"Reply never ended: {why}", lines=len(lines), size=size, too_long=too_long
        )

    def close(self) -> None:
        self._rsock, self._rbuf = None, bytearray()
        super().close()

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
        payload = msg if isinstance(msg, WirePayload) else _as_payload(msg)
        self.putcmd("data")
        code, repl = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, repl)
        sock = self.sock
        if sock is None:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        total = len(payload)
        at_line_start = True
        sent = 0
        for chunk in payload.chunks():
            self.cancel.raise_if_cancelled()
            starts_with_dot = chunk.startswith(b".")
            if starts_with_dot or b"\n." in chunk:
                stuffed = _LEADING_DOT.sub(b"..", chunk)
                if starts_with_dot and not at_line_start:
                    stuffed = stuffed[1:]  # that dot continues a line of the previous chunk
                sock.sendall(stuffed)
            else:
                sock.sendall(chunk)
            at_line_start = chunk.endswith(b"\n")
            sent += len(chunk)
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


def _as_payload(msg: object) -> WirePayload:
    payload = WirePayload()
    if isinstance(msg, str):
        # smtplib's rule for str messages: fix line endings, ASCII only.
        payload.write(re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", msg).encode("ascii"))
    else:
        payload.write(bytes(memoryview(msg)))  # type: ignore[arg-type]
    return payload
