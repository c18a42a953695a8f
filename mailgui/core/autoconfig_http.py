"""HTTPS GET for the autoconfig sources: verified TLS, bounded size, bounded time, no downgrade.

Only https:// is ever fetched, redirects included: an autoconfig answer decides where the user's
password goes, so a plain-HTTP hop (which anyone on the path could rewrite) is refused.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from urllib.parse import urljoin, urlsplit

from mailgui.core.autoconfig_model import CancelLike, LookupOptions, SourceFailed
from mailgui.core.smtp_tls import verified_context

MAX_REDIRECTS = 3
USER_AGENT = "mailgui-autoconfig/1"


class HttpStatus(SourceFailed):
    """The server answered with a status other than 200."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status

    @property
    def not_found(self) -> bool:
        return self.status in (404, 410)


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's trusted CAs (verification on), plus an extra CA file when given."""
    return verified_context(ca_file)


def map_url(url: str, http_base: str | None) -> str:
    """With a base URL set, send the request there, keeping the real host as first path segment."""
    if not http_base or url.startswith(http_base.rstrip("/") + "/"):
        return url
    parts = urlsplit(url)
    tail = parts.path or "/"
    if parts.query:
        tail += "?" + parts.query
    return f"{http_base.rstrip('/')}/{parts.hostname}{tail}"


def describe(exc: BaseException) -> SourceFailed:
    """Short, stable words for the status list; decided by exception type, never by its text."""
    if isinstance(exc, SourceFailed):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SourceFailed(f"certificate not trusted ({exc.verify_message})")
    if isinstance(exc, ssl.SSLError):
        return SourceFailed("TLS handshake failed")
    if isinstance(exc, socket.gaierror):
        return SourceFailed("host not found")
    if isinstance(exc, ConnectionRefusedError):
        return SourceFailed("connection refused")
    if isinstance(exc, TimeoutError):
        return SourceFailed("no answer in time", timed_out=True)
    if isinstance(exc, http.client.HTTPException | ConnectionError):
        return SourceFailed("connection closed or bad HTTP answer")
    if isinstance(exc, OSError):
        return SourceFailed(f"network error ({type(exc).__name__})")
    return SourceFailed(f"unexpected error ({type(exc).__name__})")


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise SourceFailed("no answer in time", timed_out=True)
    return left


def fetch(
    url: str,
    options: LookupOptions,
    *,
    deadline: float,
    cancel: CancelLike | None = None,
) -> bytes:
    """GET an https URL; at most options.max_bytes of body, else SourceFailed."""
    context = tls_context(options.ca_file)
    for _ in range(MAX_REDIRECTS + 1):
        # Checked before any base-URL rewriting, so a test setup cannot hide a downgrade.
        if urlsplit(url).scheme != "https" or not urlsplit(url).hostname:
            raise SourceFailed("refused: not an https:// address")
        target = map_url(url, options.http_base)
        try:
            status, location, body = _get_once(target, context, options, deadline, cancel)
        except SourceFailed:
            raise
        except (OSError, http.client.HTTPException) as exc:
            raise describe(exc) from exc
        if status in (301, 302, 303, 307, 308) and location:
            url = urljoin(url, location)
            continue
        if status != 200:
            raise HttpStatus(status)
        return body
    raise SourceFailed("too many redirects")


def _get_once(
    url: str,
    context: ssl.SSLContext,
    options: LookupOptions,
    deadline: float,
    cancel: CancelLike | None,
) -> tuple[int, str | None, bytes]:
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    timeout = min(options.http_timeout, _remaining(deadline))
    assert parts.hostname is not None
    conn = http.client.HTTPSConnection(
        parts.hostname, parts.port or 443, timeout=timeout, context=context
    )
    attached: int | None = None
    try:
        conn.connect()
        # http.client drops conn.sock once a response says "Connection: close"; keep our own
        # handle so every later read still gets a deadline-bounded timeout.
        sock = conn.sock
        attach = getattr(cancel, "attach", None)
        if attach is not None and sock is not None:
            # CancelToken shuts an attached socket down on cancel(): a blocked read ends now.
            attached = sock.fileno()
            attach(attached)
        conn.request(
            "GET", path, headers={"User-Agent": USER_AGENT, "Accept": "application/xml, text/xml"}
        )
        response = conn.getresponse()
        if response.status != 200:
            return response.status, response.getheader("Location"), b""
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > options.max_bytes:
            raise SourceFailed(f"answer larger than {options.max_bytes // 1024} KiB")
        return 200, None, _read_capped(sock, response, options, deadline, cancel)
    finally:
        detach = getattr(cancel, "detach", None)
        if attached is not None and detach is not None:
            detach(attached)  # before close, so a reused descriptor number is never shut down
        conn.close()


def _read_capped(
    sock: socket.socket | None,
    response: http.client.HTTPResponse,
    options: LookupOptions,
    deadline: float,
    cancel: CancelLike | None,
) -> bytes:
    # read1() returns after one network read, so a server that trickles bytes is still stopped
    # by the deadline, and never more than max_bytes + 1 is held in memory.
    chunks: list[bytes] = []
    size = 0
    while True:
        if cancel is not None and cancel.cancelled:
            raise SourceFailed("cancelled")
        if sock is not None:
            sock.settimeout(min(options.http_timeout, _remaining(deadline)))
        chunk = response.read1(min(16384, options.max_bytes + 1 - size))
        if not chunk:
            if cancel is not None and cancel.cancelled:  # the token shut the socket down
                raise SourceFailed("cancelled")
            if response.length:  # http.client counts down what Content-Length promised
                raise SourceFailed("answer cut short")
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > options.max_bytes:
            raise SourceFailed(f"answer larger than {options.max_bytes // 1024} KiB")
