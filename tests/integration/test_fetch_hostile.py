"""The fetcher's connections: no credentials or proxies from the environment, and connections go
only to addresses that were checked (issue 11). Real servers on 127.0.0.x."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conflict_ingest.fetch.client import Fetcher
from conflict_ingest.fetch.safety import IPAddress

HTML = b"<!DOCTYPE html><html><head><title>t</title></head><body><p>Coalition jets struck.</p></body></html>"


@dataclass
class Recorder:
    """A server that answers every GET with a page and records what it was sent."""

    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""
    port: int = 0


@contextlib.contextmanager
def serve(host: str = "127.0.0.1") -> Iterator[Recorder]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            recorder.hits.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(HTML)))
            self.end_headers()
            self.wfile.write(HTML)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    recorder.port = server.server_address[1]
    recorder.base = f"http://{host}:{recorder.port}"
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site() -> Iterator[Recorder]:
    with serve() as recorder:
        yield recorder


@pytest.fixture
def proxy() -> Iterator[Recorder]:
    with serve() as recorder:
        yield recorder


def fetcher(**kwargs: object) -> Fetcher:
    options: dict[str, object] = {
        "allow_private": True,
        "rate_limit_per_s": None,
        "respect_robots": False,
        "timeout_s": 1.0,
        "retries": 0,
    }
    options.update(kwargs)
    return Fetcher(**options)  # type: ignore[arg-type]


def test_netrc_credentials_are_never_sent(
    site: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login alice password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    result = fetcher().fetch(site.base + "/a.html")
    assert result.ok(), result.error
    ((path, headers),) = site.hits
    assert path == "/a.html"
    assert "authorization" not in headers


def test_proxy_variables_are_ignored(
    site: Recorder, proxy: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy.base)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    result = fetcher().fetch(site.base + "/a.html")
    assert result.ok(), result.error
    assert proxy.hits == []  # the proxy never saw the request: it went straight to the checked address
    assert [p for p, _ in site.hits] == ["/a.html"]


def test_explicit_proxy_is_used_and_the_target_is_still_checked(proxy: Recorder) -> None:
    public = ipaddress.ip_address("93.184.216.34")
    internal = ipaddress.ip_address("10.0.0.5")

    def resolver(host: str, port: int) -> list[IPAddress]:
        return [public] if host == "news.test" else [internal]

    with fetcher(allow_private=False, proxies={"http": proxy.base}, resolver=resolver) as f:
        good = f.fetch("http://news.test/a.html")
        bad = f.fetch("http://intranet.test/secrets.html")
    assert good.ok(), good.error
    assert good.body == HTML
    assert bad.error == "refused: 10.0.0.5 is a private address"
    # the proxy saw the public target only (absolute-form request line), never the private one
    assert [p for p, _ in proxy.hits] == ["http://news.test/a.html"]


def test_rebound_name_never_gets_a_connection_to_the_forbidden_address() -> None:
    # The name resolves to a public address for the URL check, then to a loopback address (a
    # listening socket on 127.0.0.2) when the connection is made. No TCP handshake may reach it.
    forbidden = socket.socket()
    forbidden.bind(("127.0.0.2", 0))
    forbidden.listen(8)
    forbidden.settimeout(0.3)
    port = forbidden.getsockname()[1]
    answers = [ipaddress.ip_address("93.184.216.34")]
    calls: list[str] = []

    def rebinding(host: str, _port: int) -> list[IPAddress]:
        calls.append(host)
        return [answers[0]] if len(calls) == 1 else [ipaddress.ip_address("127.0.0.2")]

    with forbidden, fetcher(allow_private=False, resolver=rebinding, retries=1) as f:
        result = f.fetch(f"http://rebind.test:{port}/a.html")
        assert result.error == "refused: 127.0.0.2 is a loopback address"
        assert len(calls) == 2  # checked for the URL, resolved and checked again to connect
        with pytest.raises(TimeoutError):
            forbidden.accept()  # nothing ever connected


def test_connection_goes_to_the_checked_address_under_the_requested_name(site: Recorder) -> None:
    # "news.test" is not in any DNS: the page arrives only because the socket is connected to the
    # address the resolver gave and checked, while the request still names the host.
    def resolver(host: str, _port: int) -> list[IPAddress]:
        assert host == "news.test"
        return [ipaddress.ip_address("127.0.0.1")]

    with fetcher(resolver=resolver) as f:
        result = f.fetch(f"http://news.test:{site.port}/a.html")
    assert result.ok(), result.error
    ((path, headers),) = site.hits
    assert path == "/a.html"
    assert headers["host"] == f"news.test:{site.port}"


def test_kept_alive_connection_is_under_the_next_exchange_deadline_too() -> None:
    # The first answer keeps the connection open; the second request on that same connection gets
    # a header block dripped a byte at a time. The deadline covers reused connections as well.
    page = b"<html><body><p>Coalition jets struck.</p></body></html>"
    connections: list[socket.socket] = []
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve() -> None:
        conn, _ = listener.accept()
        connections.append(conn)
        reader = conn.makefile("rb")
        with contextlib.suppress(OSError):
            for number in (1, 2):
                while reader.readline() not in (b"\r\n", b""):
                    pass
                if number == 1:
                    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(
                        page
                    )
                    conn.sendall(head + page)
                    continue
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for _ in range(60):  # 3 s of drip, then the server gives up
                    if stop.wait(0.05):
                        break
                    conn.sendall(b"X")
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with fetcher(timeout_s=0.5, body_deadline_s=1.0) as f:
            first = f.fetch(base + "/a.html")
            assert first.ok(), first.error
            second = f.fetch(base + "/b.html")
        assert second.error == "timed out: response headers not complete within 1s"
        assert second.elapsed_s < 1.8
        assert len(connections) == 1  # the same connection served both
    finally:
        stop.set()
        listener.close()
        thread.join(2)
