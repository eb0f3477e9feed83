"""Hostile and broken web servers on 127.0.0.1: each fault ends in a clear reason, nothing else breaks.

The server here speaks HTTP by hand over a socket, so it can misbehave the way real sites do:
never answer, drip bytes, reset the connection mid-body, lie about sizes, encodings and types.
Each connection serves one request and closes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import os
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conflict_ingest.clean.cleaner import clean_html
from conflict_ingest.fetch.client import Fetcher
from conflict_ingest.pipeline.clean import clean_stage
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.discover import discover_stage
from conflict_ingest.pipeline.extract import extract_stage
from conflict_ingest.pipeline.fetch import fetch_failures, fetch_stage
from conflict_ingest.sources.registry import Source
from conflict_ingest.storage.store import ObjectStore

ROOT = Path(__file__).resolve().parents[2]
SEED_HTML = (
    ROOT / "include/sample_site/articles/us-coalition-airstrikes-isis-mosul-record-level.html"
).read_bytes()
SEED_CANONICAL = b"https://www.ct-news.example/articles/us-coalition-airstrikes-isis-mosul-record-level.htm"
MAX_BYTES = 5_000_000
TWENTY_MB = 20 * 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40

Behaviour = Callable[[socket.socket, dict[str, str], threading.Event], None]


def article(name: str) -> bytes:
    """The seed article under its own canonical URL (so each variant is its own page)."""
    return SEED_HTML.replace(SEED_CANONICAL, f"https://news.example/{name}.htm".encode())


# --- a server that misbehaves on purpose -------------------------------------------------------------


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()] + ["Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    content_type: str | None = "text/html; charset=utf-8",
    length: bool = True,
) -> Behaviour:
    def run(sock: socket.socket, _h: dict[str, str], _stop: threading.Event) -> None:
        out = dict(headers or {})
        if content_type:
            out.setdefault("Content-Type", content_type)
        if length:
            out["Content-Length"] = str(len(body))
        sock.sendall(_head(status, out) + body)

    return run


def sequence(*behaviours: Behaviour) -> Behaviour:
    """Play the behaviours in order, the last one repeating."""
    queue = list(behaviours)
    lock = threading.Lock()

    def run(sock: socket.socket, h: dict[str, str], stop: threading.Event) -> None:
        with lock:
            current = queue.pop(0) if len(queue) > 1 else queue[0]
        current(sock, h, stop)

    return run


def never_answer(_sock: socket.socket, _h: dict[str, str], stop: threading.Event) -> None:
    stop.wait(10)


def drip(body: bytes, every_s: float) -> Behaviour:
    def run(sock: socket.socket, _h: dict[str, str], stop: threading.Event) -> None:
        sock.sendall(_head(200, {"Content-Type": "text/html", "Content-Length": str(len(body))}))
        for i in range(len(body)):
            if stop.wait(every_s):
                return
            sock.sendall(body[i : i + 1])

    return run


def reset_mid_body(body: bytes) -> Behaviour:
    def run(sock: socket.socket, _h: dict[str, str], _stop: threading.Event) -> None:
        sock.sendall(_head(200, {"Content-Type": "text/html", "Content-Length": str(len(body))}))
        sock.sendall(body[: len(body) // 2])
        time.sleep(0.05)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
        sock.close()

    return run


def stream_forever(chunk: bytes) -> Behaviour:
    """No Content-Length: the body goes on until the client hangs up (or 64 MB)."""

    def run(sock: socket.socket, _h: dict[str, str], stop: threading.Event) -> None:
        sock.sendall(_head(200, {"Content-Type": "text/html"}))
        for _ in range(64 * 1024 * 1024 // len(chunk)):
            if stop.is_set():
                return
            sock.sendall(chunk)

    return run


@dataclass
class FaultSite:
    routes: dict[str, Behaviour] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    base: str = ""

    def url(self, path: str) -> str:
        return self.base + path

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.hits if p == path)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    site: FaultSite


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        line = self.rfile.readline(65537)
        if not line:
            return
        path = line.decode("latin-1").split(" ")[1]
        headers: dict[str, str] = {}
        while (raw := self.rfile.readline(65537)) not in (b"\r\n", b"\n", b""):
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        site = self.server.site
        site.hits.append((path, headers))
        behaviour = site.routes.get(path, respond(404, b"not found", content_type="text/plain"))
        with contextlib.suppress(OSError):
            behaviour(self.connection, headers, site.stop)


@pytest.fixture
def faulty() -> Iterator[FaultSite]:
    site = FaultSite()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = site
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield site
    site.stop.set()
    server.shutdown()
    server.server_close()


def make_fetcher(**kwargs: object) -> Fetcher:
    options: dict[str, object] = {
        "allow_private": True,
        "rate_limit_per_s": None,
        "backoff_s": 0.05,
        "timeout_s": 0.5,
        "retries": 1,
        "body_deadline_s": 1.0,
        "max_bytes": MAX_BYTES,
    }
    options.update(kwargs)
    return Fetcher(**options)  # type: ignore[arg-type]


def gzip_bomb() -> bytes:
    return gzip.compress(b"<html><body>" + b" " * (6 * MAX_BYTES) + b"</body></html>", compresslevel=9)


# --- the faults, one by one, at the fetcher --------------------------------------------------------------

# path -> (behaviour factory, what the error must say). Shared with the pipeline test below.
FAULTS: dict[str, tuple[Callable[[], Behaviour], str]] = {
    "/busy-always": (
        lambda: respond(429, b"slow down", {"Retry-After": "0"}, content_type="text/plain"),
        "HTTP 429 after 2 attempts",
    ),
    "/never-answers": (lambda: never_answer, "timed out after 0.5s (ReadTimeout); gave up after 2 attempts"),
    "/drips": (lambda: drip(article("drip") * 4, 0.02), "timed out: body not complete within 1s"),
    "/resets": (lambda: reset_mid_body(article("reset")), "body read failed: connection"),
    "/truncated-gzip": (
        lambda: respond(200, gzip.compress(article("trunc"))[:-40], {"Content-Encoding": "gzip"}),
        "body read failed: truncated gzip body (the compressed stream ends early); gave up after 2 attempts",
    ),
    "/twenty-mb": (
        lambda: respond(200, b"<html><body>" + b"x" * TWENTY_MB),
        f"refused: Content-Length {TWENTY_MB + 12} exceeds max_bytes {MAX_BYTES}",
    ),
    "/twenty-mb-streamed": (
        lambda: stream_forever(b"<p>" + b"y" * 65_533),
        f"body exceeds max_bytes {MAX_BYTES} (cut at {MAX_BYTES} bytes)",
    ),
    "/bomb": (
        lambda: respond(200, gzip_bomb(), {"Content-Encoding": "gzip"}),
        f"decompressed body exceeds max_bytes {MAX_BYTES}",
    ),
    "/image-as-html": (
        lambda: respond(200, PNG, content_type="text/html"),
        "refused: body is a PNG image, not text (served as text/html)",
    ),
    "/noise-as-html": (
        lambda: respond(200, os.urandom(4000).replace(b"\x89", b"\x00"), content_type="text/html"),
        "refused: body is binary data",
    ),
    "/loop-a": (lambda: respond(302, headers={"Location": "/loop-b"}, content_type=None), "redirect loop"),
    "/to-metadata": (
        lambda: respond(
            302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}, content_type=None
        ),
        "refused: 169.254.169.254 is a cloud metadata address",
    ),
    "/zero-bytes": (lambda: respond(200, b""), "empty body (HTTP 200)"),
}


def install(site: FaultSite, paths: list[str]) -> None:
    for path in paths:
        site.routes[path] = FAULTS[path][0]()
    site.routes["/loop-b"] = respond(302, headers={"Location": "/loop-a"}, content_type=None)


@pytest.mark.parametrize("path", list(FAULTS))
def test_each_fault_ends_in_a_clear_reason(faulty: FaultSite, path: str) -> None:
    install(faulty, [path])
    started = time.monotonic()
    result = make_fetcher().fetch(faulty.url(path))
    elapsed = time.monotonic() - started
    assert not result.ok()
    assert FAULTS[path][1] in (result.error or ""), result.error
    assert elapsed < 4.0  # every fault is bounded by timeouts, caps and the retry count
    if result.body:  # a cut body is never more than the cap
        assert result.bytes <= MAX_BYTES


def test_body_deadline_stops_a_dripping_server_that_never_idles_long(faulty: FaultSite) -> None:
    faulty.routes["/drips"] = drip(b"<html>" + b"z" * 10_000, 0.05)
    started = time.monotonic()
    result = make_fetcher(timeout_s=0.5, body_deadline_s=0.6, retries=3).fetch(faulty.url("/drips"))
    assert (result.error or "").startswith("timed out: body not complete within 0.6s")
    assert 0.55 < time.monotonic() - started < 1.5
    assert faulty.count("/drips") == 1  # a drip is not retried: it would drip again
    assert 0 < result.bytes < 10_006


def test_429_with_retry_after_then_200_succeeds_after_waiting(faulty: FaultSite) -> None:
    faulty.routes["/busy"] = sequence(
        respond(429, b"", {"Retry-After": "1"}, content_type="text/plain"), respond(200, article("busy"))
    )
    result = make_fetcher(backoff_s=0.01).fetch(faulty.url("/busy"))
    assert result.ok(), result.error
    assert result.body == article("busy")
    assert result.attempts == 2
    assert faulty.count("/busy") == 2


def test_503_then_200_succeeds(faulty: FaultSite) -> None:
    faulty.routes["/flaky"] = sequence(respond(503, b"down"), respond(200, article("flaky")))
    result = make_fetcher().fetch(faulty.url("/flaky"))
    assert result.ok(), result.error
    assert result.body == article("flaky")


def test_reset_mid_body_is_retried_and_recovers(faulty: FaultSite) -> None:
    faulty.routes["/once"] = sequence(reset_mid_body(article("once")), respond(200, article("once")))
    result = make_fetcher(retries=1).fetch(faulty.url("/once"))
    assert result.ok(), result.error
    assert result.body == article("once")
    assert result.attempts == 2


def test_gzip_bomb_never_inflates_past_the_cap(faulty: FaultSite) -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 100_000  # tiny on the wire, 30 MB inflated
    faulty.routes["/bomb"] = respond(200, bomb, {"Content-Encoding": "gzip"})
    result = make_fetcher(max_bytes=200_000).fetch(faulty.url("/bomb"))
    assert result.error == "decompressed body exceeds max_bytes 200000 (cut at 200000 bytes)"
    assert result.bytes == 200_000


def test_deflate_with_and_without_zlib_header_is_decoded(faulty: FaultSite) -> None:
    import zlib

    page = article("deflate")
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    faulty.routes["/zlib"] = respond(200, zlib.compress(page), {"Content-Encoding": "deflate"})
    faulty.routes["/raw"] = respond(200, raw.compress(page) + raw.flush(), {"Content-Encoding": "deflate"})
    fetcher = make_fetcher()
    assert fetcher.fetch(faulty.url("/zlib")).body == page
    assert fetcher.fetch(faulty.url("/raw")).body == page


def test_unknown_content_encoding_is_refused(faulty: FaultSite) -> None:
    faulty.routes["/br"] = respond(200, b"\x1b\x00\x00", {"Content-Encoding": "br"})
    result = make_fetcher().fetch(faulty.url("/br"))
    assert result.error == "refused: unsupported content encoding 'br'"


def test_utf16_page_with_bom_is_text_not_binary(faulty: FaultSite) -> None:
    page = "\ufeff<html><body><p>Coalition jets struck.</p></body></html>".encode("utf-16-le")
    faulty.routes["/u16"] = respond(200, page, content_type="text/html")
    result = make_fetcher().fetch(faulty.url("/u16"))
    assert result.ok(), result.error
    assert result.body == page


def test_malformed_empty_and_mislabelled_pages_clean_without_crashing(faulty: FaultSite) -> None:
    wrong = wrong_charset_page()
    faulty.routes["/malformed"] = respond(200, MALFORMED)
    faulty.routes["/empty-doc"] = respond(200, b"<html></html>")
    faulty.routes["/wrong-charset"] = respond(200, wrong, content_type="text/html; charset=utf-8")
    fetcher = make_fetcher()
    for path in ("/malformed", "/empty-doc", "/wrong-charset"):
        result = fetcher.fetch(faulty.url(path))
        assert result.ok(), (path, result.error)
        page = clean_html(result.body, result.final_url, content_type=result.content_type)
        assert isinstance(page.text, str)
    mislabelled = clean_html(wrong, faulty.url("/wrong-charset"), content_type="text/html; charset=utf-8")
    assert "Mosul \u2014 a caf\u00e9 reopened" in mislabelled.text  # windows-1252 bytes read right
    assert "\ufffd" not in mislabelled.text


MALFORMED = (
    b"<html><head><title>Broken</head><body><p>Coalition aircraft conducted 12 strikes "
    b"<div><table><tr><td>cell</p></span>&&&<<<>>> <p <b>unclosed <script>var x = '</div>"
)


def wrong_charset_page() -> bytes:
    """A windows-1252 page whose header and <meta> both claim UTF-8."""
    text = article("wrong-charset").decode("utf-8")
    text = text.replace(
        "<p>Kurdish-led",
        "<p>In Mosul \u2014 a caf\u00e9 reopened near the front.</p>\n      <p>Kurdish-led",
    )
    return text.encode("cp1252")


# --- a batch mixing good and faulty URLs, through the pipeline stages on S3 --------------------------


GOOD = {
    "/good": lambda: respond(200, article("good")),
    "/busy-then-ok": lambda: sequence(
        respond(429, b"", {"Retry-After": "1"}, content_type="text/plain"), respond(200, article("busy"))
    ),
    "/503-then-ok": lambda: sequence(respond(503, b"down"), respond(200, article("flaky"))),
    "/wrong-charset": lambda: respond(200, wrong_charset_page(), content_type="text/html; charset=utf-8"),
}
PARSEABLE_WITHOUT_RECORDS = {
    "/malformed": lambda: respond(200, MALFORMED),
    "/empty-doc": lambda: respond(200, b"<html></html>"),
}


def test_batch_of_good_and_faulty_urls_keeps_good_pages_and_reports_every_fault(
    faulty: FaultSite, store: ObjectStore
) -> None:
    install(faulty, list(FAULTS))
    for path, make in {**GOOD, **PARSEABLE_WITHOUT_RECORDS}.items():
        faulty.routes[path] = make()
    paths = [*GOOD, *PARSEABLE_WITHOUT_RECORDS, *FAULTS]
    source = Source(
        id="faulty",
        kind="urls",
        urls=tuple(faulty.url(p) for p in paths),
        allow_private=True,
        rate_limit_per_s=None,
        timeout_s=0.5,
        max_bytes=MAX_BYTES,
    )
    run = RunContext(day=dt.date(2016, 12, 1), run_id="manual__faults")
    # every fault sits on one host here: no per-host failure budget, so each URL shows its own reason
    # (the budget has its own test below)
    fetcher = make_fetcher(max_host_failures=None)

    started = time.monotonic()
    (batch_key,) = discover_stage(store, run, source, fetcher, batch_size=100)
    fetched_summary = fetch_stage(store, batch_key, fetcher, source)
    cleaned_summary = clean_stage(store, fetched_summary["key"])
    extracted_summary = extract_stage(store, cleaned_summary["key"])
    elapsed = time.monotonic() - started

    # every faulty URL has its reason, in the batch's fetched/ object and in the run's failures
    fetched = store.get_json(fetched_summary["key"])
    reasons = {e["url"]: e["error"] for e in fetched["errors"]}
    assert set(reasons) == {faulty.url(p) for p in FAULTS}
    for path, (_, expected) in FAULTS.items():
        assert expected in reasons[faulty.url(path)], (path, reasons[faulty.url(path)])
    assert {(f["source_id"], f["url"], f["error"]) for f in fetch_failures(store, run)} == {
        ("faulty", u, r) for u, r in reasons.items()
    }
    assert fetched_summary["errors"] == len(FAULTS)
    assert {f["url"]: f["error"] for f in fetched_summary["failed"]} == reasons
    assert len(json.dumps(fetched_summary)) < 8_000  # small enough for XCom

    # the good and the merely odd pages went on, each once
    good_urls = {faulty.url(p) for p in (*GOOD, *PARSEABLE_WITHOUT_RECORDS)}
    assert {p["url"] for p in fetched["pages"]} == good_urls
    assert (cleaned_summary["pages"], cleaned_summary["errors"], cleaned_summary["abandoned"]) == (
        len(good_urls),
        0,
        0,
    )
    assert extracted_summary["errors"] == 0

    records = store.get_jsonl_gz(extracted_summary["key"])
    by_url: dict[str, int] = {}
    for rec in records:
        by_url[rec["source_url"]] = by_url.get(rec["source_url"], 0) + 1
    for path in GOOD:
        assert by_url.get(faulty.url(path), 0) > 0, f"no records for {path}"
    for path in PARSEABLE_WITHOUT_RECORDS:
        assert by_url.get(faulty.url(path), 0) == 0
    assert set(by_url) <= good_urls

    # nothing half-written: the raw zone holds exactly the fetched pages, each with its sidecar
    raw = sorted(store.list_keys("raw/source=faulty/"))
    pages = {k for k in raw if k.endswith(".html.gz")}
    sidecars = {k for k in raw if k.endswith(".json")}
    assert {p.removesuffix(".html.gz") for p in pages} == {s.removesuffix(".json") for s in sidecars}
    assert pages == {p["raw_key"] for p in fetched["pages"]}
    for key in sidecars:
        meta = store.get_json(key)
        assert set(meta["seen_urls"]) <= good_urls
        assert meta["error"] is None and meta["status"] == 200
    assert elapsed < 15


def test_page_with_entity_bomb_and_external_entity_is_cleaned_without_expanding(faulty: FaultSite) -> None:
    levels = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        levels.append(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">')
    page = (
        f'<?xml version="1.0"?><!DOCTYPE html [{"".join(levels)}'
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<html><head><title>Bomb &lol9;</title></head><body><p>Coalition aircraft conducted 12 strikes "
        "near Mosul. &lol9; &xxe;</p></body></html>"
    ).encode()
    faulty.routes["/bomb.html"] = respond(200, page)
    result = make_fetcher().fetch(faulty.url("/bomb.html"))
    assert result.ok(), result.error
    started = time.monotonic()
    cleaned = clean_html(result.body, result.final_url, content_type=result.content_type)
    assert time.monotonic() - started < 2.0
    assert "lollol" not in cleaned.text + cleaned.title
    assert "root:" not in cleaned.text
    assert len(cleaned.text) < 1000


# --- hostile servers: deadlines, header floods, empty answers, slow hosts (issue 11) -------------------


def drip_headers(every_s: float, give_up_s: float) -> Behaviour:
    """A status line, then a header block one byte at a time (never idle long enough for a read
    timeout); the server gives up after ``give_up_s`` and closes without a body."""

    def run(sock: socket.socket, _h: dict[str, str], stop: threading.Event) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\n")
        started = time.monotonic()
        block = b"Content-Type: text/html\r\n" + b"X-Slow: " + b"z" * 10_000 + b"\r\n\r\n"
        for i in range(len(block)):
            if stop.wait(every_s) or time.monotonic() - started > give_up_s:
                return
            sock.sendall(block[i : i + 1])

    return run


def flood_headers(count: int, size: int, body: bytes) -> Behaviour:
    """``count`` junk headers of ``size`` bytes each, then a small page."""

    def run(sock: socket.socket, _h: dict[str, str], _stop: threading.Event) -> None:
        junk = {f"X-Junk-{i}": "j" * size for i in range(count)}
        head = _head(
            200, {"Content-Type": "text/html", "ETag": '"v1"', **junk, "Content-Length": str(len(body))}
        )
        sock.sendall(head + body)

    return run


def test_headers_dripped_a_byte_at_a_time_are_cut_off_at_the_deadline(faulty: FaultSite) -> None:
    faulty.routes["/drip-headers"] = drip_headers(0.02, give_up_s=4.0)
    started = time.monotonic()
    result = make_fetcher(timeout_s=0.5, body_deadline_s=1.0, retries=2).fetch(faulty.url("/drip-headers"))
    elapsed = time.monotonic() - started
    assert not result.ok()
    assert result.error == "timed out: response headers not complete within 1s"
    assert 0.9 < elapsed < 2.5  # the deadline, not the server, ended it
    assert faulty.count("/drip-headers") == 1  # a drip is not retried: it would drip again


def test_cli_fetch_exits_non_zero_for_dripped_empty_or_truncated_answers(
    faulty: FaultSite, capsys: pytest.CaptureFixture[str]
) -> None:
    from conflict_ingest.cli import main

    faulty.routes["/drip-headers"] = drip_headers(0.02, give_up_s=3.0)
    faulty.routes["/empty"] = respond(200, b"")
    faulty.routes["/no-length-no-body"] = respond(200, b"", length=False)
    faulty.routes["/truncated"] = respond(
        200, b"<html>" + b"a" * 94, {"Content-Length": "5000"}, length=False
    )
    expected = {
        "/drip-headers": "timed out: response headers not complete within 1.5s",
        "/empty": "empty body (HTTP 200)",
        "/no-length-no-body": "empty body (HTTP 200)",
        "/truncated": "body read failed: connection closed before the whole body arrived",
    }
    for path, error in expected.items():
        started = time.monotonic()
        code = main(["fetch", "--allow-private", "--ignore-robots", "--timeout", "0.5", faulty.url(path)])
        out = json.loads(capsys.readouterr().out)
        assert code == 1, (path, out)
        assert out["ok"] is False and out["sha256"] is None
        assert (out["error"] or "").startswith(error), (path, out["error"])
        assert out["status"] == (None if path == "/drip-headers" else 200)  # no complete header block
        assert time.monotonic() - started < 2.9  # never waits for the server to give up


def test_header_block_over_the_cap_is_refused(faulty: FaultSite) -> None:
    faulty.routes["/flood"] = flood_headers(80, 60_000, article("flood"))  # 4.8 MB of headers
    result = make_fetcher().fetch(faulty.url("/flood"))
    assert result.error == "refused: response headers exceed 65536 bytes"
    assert result.headers == {} and result.body == b""
    assert len(json.dumps(result.to_json())) < 2_000
    small = make_fetcher(max_bytes=10_000).fetch(faulty.url("/flood"))  # the cap never passes max_bytes
    assert small.error == "refused: response headers exceed 10000 bytes"


def test_only_useful_headers_are_kept_with_a_page(faulty: FaultSite, store: ObjectStore) -> None:
    from conflict_ingest.storage.raw import store_raw_page

    faulty.routes["/junk"] = flood_headers(40, 1_500, article("junk"))  # 60 KB: under the cap
    result = make_fetcher().fetch(faulty.url("/junk"))
    assert result.ok(), result.error
    assert result.body == article("junk")
    assert set(result.headers) == {"content-type", "etag", "content-length"}
    assert result.headers["etag"] == '"v1"'
    key, _ = store_raw_page(store, source_id="junk", day=dt.date(2016, 12, 1), url=result.url, result=result)
    sidecar = store.get_bytes(key.removesuffix(".html.gz") + ".json")
    assert len(sidecar) < 2_000
    assert b"X-Junk" not in sidecar and b"x-junk" not in sidecar


def test_superscript_digits_in_numeric_headers_are_not_numbers(faulty: FaultSite) -> None:
    faulty.routes["/busy"] = sequence(
        respond(429, b"", {"Retry-After": "\u00b2"}, content_type="text/plain"), respond(200, article("busy"))
    )
    faulty.routes["/length"] = respond(200, article("length"), {"Content-Length": "\u00b2"}, length=False)
    fetcher = make_fetcher()
    busy = fetcher.fetch(faulty.url("/busy"))
    assert busy.ok(), busy.error
    assert busy.attempts == 2 and busy.body == article("busy")
    length = fetcher.fetch(faulty.url("/length"))  # no usable length: read to the end of the stream
    assert length.ok(), length.error
    assert length.body == article("length")


def test_slow_host_is_deferred_after_three_failures_in_a_row_without_more_requests(faulty: FaultSite) -> None:
    paths = [f"/slow-{i}" for i in range(6)]
    for path in paths:
        faulty.routes[path] = never_answer
    fetcher = make_fetcher(timeout_s=0.3, retries=3, body_deadline_s=None, respect_robots=False)
    started = time.monotonic()
    results = [fetcher.fetch(faulty.url(p)) for p in paths]
    elapsed = time.monotonic() - started
    assert len(faulty.hits) == 3  # three timeouts, then nothing more for that host
    key = faulty.base
    assert results[0].error == (
        "timed out after 0.3s (ReadTimeout); gave up after 3 attempts "
        f"(deferred: host {key} failed 3 times in a row (last: timed out after 0.3s (ReadTimeout)))"
    )
    for result in results[1:]:
        assert (
            result.error
            == f"deferred: host {key} failed 3 times in a row (last: timed out after 0.3s (ReadTimeout))"
        )
        assert result.attempts == 0 and result.status is None
    assert elapsed < 3 * 0.3 + 0.05 + 0.1 + 1.0  # three timeouts and two backoffs, not 6 x 4 attempts


def test_a_host_that_answers_between_failures_keeps_its_budget(faulty: FaultSite) -> None:
    faulty.routes["/slow"] = never_answer
    faulty.routes["/good"] = respond(200, article("good"))
    fetcher = make_fetcher(timeout_s=0.3, retries=1, respect_robots=False)
    assert not fetcher.fetch(faulty.url("/slow")).ok()  # two timeouts
    assert fetcher.fetch(faulty.url("/good")).ok()  # an answer: the count starts again
    again = fetcher.fetch(faulty.url("/slow"))
    assert (again.error or "").startswith("timed out after 0.3s")
    assert fetcher.fetch(faulty.url("/good")).ok()
    assert faulty.count("/good") == 2 and faulty.count("/slow") == 4


def test_total_retry_after_wait_per_host_is_capped(faulty: FaultSite) -> None:
    faulty.routes["/busy-a"] = respond(429, b"", {"Retry-After": "1"}, content_type="text/plain")
    faulty.routes["/busy-b"] = respond(429, b"", {"Retry-After": "1"}, content_type="text/plain")
    fetcher = make_fetcher(retries=5, max_retry_after_per_host_s=1.5, respect_robots=False)
    started = time.monotonic()
    first = fetcher.fetch(faulty.url("/busy-a"))
    second = fetcher.fetch(faulty.url("/busy-b"))
    elapsed = time.monotonic() - started
    deferral = f"deferred: host {faulty.base} asked for 2s of Retry-After waits, over the cap of 1.5s"
    assert first.error == f"HTTP 429: Retry-After 1s ({deferral})"
    assert second.error == deferral and second.attempts == 0
    assert faulty.count("/busy-a") == 2 and faulty.count("/busy-b") == 0
    assert elapsed < 2.0  # one wait of 1 s, not five
