"""Real servers on loopback for the autoconfig tests: an HTTPS server and a DNS server.

- HttpsServer: http.server in a thread behind TLS with a trustme certificate for 127.0.0.1.
  Clients trust it through `ca_file`. Routes map a path (the real host is the first segment,
  the way LookupOptions.http_base rewrites URLs) to a Route: a body, a status, or a behaviour
  ("slow": headers, then a byte every 0.2 s until the server stops).
- DnsServer: a UDP DNS server built with dnspython that answers from a record table, or
  refuses every query (REFUSED), or never answers ("silent").
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
import trustme

# ----------------------------------------------------------------------------------- HTTPS


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    # "normal" | "slow" (trickles forever) | "no-length" (no Content-Length) | "short" (cut off)
    mode: str = "normal"
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        owner.requests.append(self.path)
        route = owner.routes.get(urlsplit(self.path).path)
        if route is None:
            route = Route(status=404, body=b"not found")
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/xml")
        if route.mode == "slow":
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"<?xml")
            self.wfile.flush()
            # A server that never finishes: one byte now and then, until the test ends.
            while not owner.stopping.wait(0.2):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
            return
        if route.mode == "short":  # promises more than it sends, then hangs up
            self.send_header("Content-Length", str(len(route.body) + 100))
        elif route.mode != "no-length":
            self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        # the client may give up early (e.g. on the size cap): that is its right
        with contextlib.suppress(OSError):
            self.wfile.write(route.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HttpsServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients refusing our certificate or hanging up mid-answer are what several tests
        # provoke on purpose; socketserver would print a traceback for each.
        pass


class HttpsServer:
    """A local HTTPS server; `base_url` is what LookupOptions.http_base wants."""

    def __init__(self, ca: trustme.CA, ca_file: Path) -> None:
        self.ca = ca
        self.ca_file = str(ca_file)
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.stopping = threading.Event()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        # The handshake happens in the handler thread, so one stuck client cannot block accept().
        self._httpd.socket = context.wrap_socket(
            self._httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port = self._httpd.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def route(self, host: str, path: str, route: Route) -> None:
        """Serve `route` for https://HOST/PATH (as rewritten under base_url)."""
        self.routes[f"/{host}{path}"] = route

    def start(self) -> HttpsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HttpsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------------------------- DNS


class DnsServer:
    """UDP DNS on 127.0.0.1. mode: "answer" (from `records`), "refuse" or "silent"."""

    def __init__(self, mode: str = "answer") -> None:
        self.mode = mode
        self.records: dict[tuple[str, str], list[str]] = {}
        self.queries: list[tuple[str, str]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.address = ("127.0.0.1", self.port)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def add(self, name: str, rdtype: str, *rdata: str) -> None:
        """e.g. add("_submissions._tcp.example.test", "SRV", "0 1 465 mail.example.test.")"""
        self.records.setdefault((name.lower().rstrip("."), rdtype.upper()), []).extend(rdata)

    def _answer(self, query: dns.message.Message) -> dns.message.Message | None:
        response = dns.message.make_response(query)
        if self.mode == "silent":
            return None
        if self.mode == "refuse":
            response.set_rcode(dns.rcode.REFUSED)
            return response
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        response.flags |= dns.flags.AA
        rdata = self.records.get((name, rdtype))
        if rdata:
            response.answer.append(
                dns.rrset.from_text_list(question.name, 300, "IN", rdtype, rdata)
            )
        elif not any(key[0] == name for key in self.records):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except dns.exception.DNSException:  # garbage is dropped, like a real server would
                continue
            response = self._answer(query)
            if response is not None:
                self._sock.sendto(response.to_wire(), peer)

    def start(self) -> DnsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def lookup_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_server(lookup_ca: trustme.CA, tmp_path: Path) -> Iterator[HttpsServer]:
    ca_file = tmp_path / "lookup-ca.pem"
    lookup_ca.cert_pem.write_to_path(str(ca_file))
    with HttpsServer(lookup_ca, ca_file) as server:
        yield server


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    with DnsServer() as server:
        yield server


@pytest.fixture
def lookup_options(https_server: HttpsServer, dns_server: DnsServer) -> Any:
    """LookupOptions aimed at the local servers (nothing published until a test adds it)."""
    from mailgui.core.autoconfig import LookupOptions

    return LookupOptions(
        timeout=4.0,
        dns_server=dns_server.address,
        http_base=https_server.base_url,
        ca_file=https_server.ca_file,
        http_timeout=2.0,
    )


# ---------------------------------------------------------------------------- XML samples


def client_config(
    domain: str,
    smtp: list[tuple[str, int, str]] | None = None,
    imap: list[tuple[str, int, str]] | None = None,
    *,
    username: str = "%EMAILADDRESS%",
    auth: str = "password-cleartext",
    name: str = "Example Mail",
    extra: str = "",
) -> bytes:
    """A Thunderbird clientConfig document (hosts may use %EMAILDOMAIN%)."""
    smtp = smtp if smtp is not None else [(f"smtp.{domain}", 465, "SSL")]
    imap = imap if imap is not None else [(f"imap.{domain}", 993, "SSL")]

    def server(tag: str, kind: str, host: str, port: int, socket_type: str) -> str:
        return (
            f'<{tag} type="{kind}"><hostname>{host}</hostname><port>{port}</port>'
            f"<socketType>{socket_type}</socketType><authentication>{auth}</authentication>"
            f"<username>{username}</username></{tag}>"
        )

    servers = "".join(server("incomingServer", "imap", *s) for s in imap)
    servers += "".join(server("outgoingServer", "smtp", *s) for s in smtp)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">'
        f'<emailProvider id="{domain}"><domain>{domain}</domain>'
        f"<displayName>{name}</displayName>{servers}{extra}</emailProvider></clientConfig>"
    ).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<clientConfig version="1.1"><emailProvider id="x"><displayName>&lol4;</displayName>
<outgoingServer type="smtp"><hostname>smtp.example.test</hostname><port>465</port>
<socketType>SSL</socketType></outgoingServer></emailProvider></clientConfig>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [<!ENTITY host SYSTEM "file:///etc/hostname">]>
<clientConfig version="1.1"><emailProvider id="x">
<outgoingServer type="smtp"><hostname>&host;</hostname><port>465</port>
<socketType>SSL</socketType></outgoingServer></emailProvider></clientConfig>"""
