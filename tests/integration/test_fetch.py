"""The fetcher against real, misbehaving HTTP servers on 127.0.0.1."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import serve_http

from conflict_ingest.cli import main
from conflict_ingest.fetch.client import DEFAULT_USER_AGENT, Fetcher
from conflict_ingest.fetch.safety import UnsafeURLError, address_policy
from conflict_ingest.pipeline.clean import clean_stage
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.discover import discover_stage
from conflict_ingest.pipeline.extract import extract_stage
from conflict_ingest.pipeline.fetch import fetch_stage
from conflict_ingest.sources.registry import Source
from conflict_ingest.storage.keys import raw_index_key, raw_meta_key
from conflict_ingest.storage.store import ObjectStore

HTML = b"<!DOCTYPE html><html><head><title>t</title></head><body><p>Coalition jets struck.</p></body></html>"


@dataclass
class Reply:
    status: int = 200
    body: bytes = HTML
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay_s: float = 0.0
    send_length: bool = True


@dataclass
class Hit:
    at: float
    path: str
    headers: dict[str, str]


Route = list[Reply] | Callable[[dict[str, str]], Reply]


class Site:
    """Scripted responses per path; a list is played in order, its last reply repeating."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.base = ""

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def count(self, path: str) -> int:
        return sum(1 for h in self.hits if h.path == path)

    def times(self, path: str) -> list[float]:
        return [h.at for h in self.hits if h.path == path]

    def next_reply(self, path: str, headers: dict[str, str]) -> Reply:
        with self.lock:
            self.hits.append(Hit(time.monotonic(), path, headers))
            route = self.routes.get(path)
            if route is None:
                return Reply(404, b"<html><body>not found</body></html>")
            if callable(route):
                return route(headers)
            return route.pop(0) if len(route) > 1 else route[0]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reply = site.next_reply(self.path, {k.lower(): v for k, v in self.headers.items()})
            if reply.delay_s:
                time.sleep(reply.delay_s)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.send_length:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    with serve_http(_handler(s)) as s.base:
        yield s


def make_fetcher(**kwargs: object) -> Fetcher:
    options: dict[str, object] = {
        "allow_private": True,
        "rate_limit_per_s": None,
        "backoff_s": 0.05,
        "timeout_s": 2.0,
        "retries": 2,
    }
    options.update(kwargs)
    return Fetcher(**options)  # type: ignore[arg-type]


def test_html_page_is_fetched_with_project_user_agent(site: Site) -> None:
    site.route("/a.html", Reply())
    result = make_fetcher().fetch(site.base + "/a.html")
    assert result.ok(), result.error
    assert result.status == 200
    assert result.body == HTML
    assert result.bytes == len(HTML)
    assert result.content_type == "text/html; charset=utf-8"
    assert result.final_url == site.base + "/a.html"
    assert result.fetched_at.tzinfo is not None
    page_hit = next(h for h in site.hits if h.path == "/a.html")
    assert page_hit.headers["user-agent"] == DEFAULT_USER_AGENT
    assert "+https://" in DEFAULT_USER_AGENT and DEFAULT_USER_AGENT.startswith("conflict-ingest/")
    meta = result.to_json()
    assert "body" not in meta
    assert {"url", "final_url", "status", "bytes", "content_type", "error", "fetched_at"} <= set(meta)
    assert meta["bytes"] == len(HTML) and meta["error"] is None


def test_429_is_retried_after_the_retry_after_delay(site: Site) -> None:
    site.route("/busy", Reply(429, b"slow down", {"Retry-After": "1", "Content-Type": "text/plain"}), Reply())
    result = make_fetcher().fetch(site.base + "/busy")
    assert result.ok(), result.error
    assert result.attempts == 2
    first, second = site.times("/busy")
    assert second - first >= 0.95  # waited for Retry-After, not just the 0.05 s backoff


def test_retry_after_beyond_cap_gives_up_without_waiting(site: Site) -> None:
    site.route("/busy", Reply(429, b"", {"Retry-After": "3600"}), Reply())
    started = time.monotonic()
    result = make_fetcher(max_retry_after_s=5).fetch(site.base + "/busy")
    assert not result.ok()
    assert result.status == 429
    assert "Retry-After 3600" in (result.error or "") and "cap" in (result.error or "")
    assert site.count("/busy") == 1
    assert time.monotonic() - started < 2


def test_503_then_200_is_retried_with_backoff(site: Site) -> None:
    site.route("/flaky", Reply(503, b"down", {"Content-Type": "text/html"}), Reply())
    result = make_fetcher(backoff_s=0.2).fetch(site.base + "/flaky")
    assert result.ok(), result.error
    assert result.body == HTML
    assert result.attempts == 2
    first, second = site.times("/flaky")
    assert second - first >= 0.18


def test_persistent_5xx_gives_up_after_retries(site: Site) -> None:
    site.route("/down", Reply(502, b"bad gateway", {"Content-Type": "text/html"}))
    result = make_fetcher(retries=2).fetch(site.base + "/down")
    assert not result.ok()
    assert result.status == 502
    assert site.count("/down") == 3
    assert "HTTP 502 after 3 attempts" in (result.error or "")


def test_501_is_not_retried(site: Site) -> None:
    site.route("/x", Reply(501, b"no", {"Content-Type": "text/html"}))
    result = make_fetcher(retries=3).fetch(site.base + "/x")
    assert result.error == "HTTP 501"
    assert site.count("/x") == 1


def test_404_is_not_retried(site: Site) -> None:
    result = make_fetcher(retries=3).fetch(site.base + "/missing.html")
    assert not result.ok()
    assert result.status == 404
    assert result.error == "HTTP 404"
    assert site.count("/missing.html") == 1


def test_redirect_is_followed_and_final_url_reported(site: Site) -> None:
    site.route("/old", Reply(301, b"", {"Location": "/new"}))
    site.route("/new", Reply())
    result = make_fetcher().fetch(site.base + "/old")
    assert result.ok(), result.error
    assert result.final_url == site.base + "/new"
    assert result.redirects == [site.base + "/new"]
    assert result.body == HTML


def test_redirect_loop_is_detected(site: Site) -> None:
    site.route("/a", Reply(302, b"", {"Location": "/b"}))
    site.route("/b", Reply(302, b"", {"Location": "/a"}))
    result = make_fetcher(max_redirects=10).fetch(site.base + "/a")
    assert not result.ok()
    assert "redirect loop" in (result.error or "")
    assert site.count("/a") == 1 and site.count("/b") == 1


def test_redirect_chain_longer_than_limit_is_refused(site: Site) -> None:
    for i in range(8):
        site.route(f"/r{i}", Reply(302, b"", {"Location": f"/r{i + 1}"}))
    site.route("/r8", Reply())
    result = make_fetcher(max_redirects=3).fetch(site.base + "/r0")
    assert not result.ok()
    assert "too many redirects" in (result.error or "")
    assert site.count("/r4") == 0


def test_redirect_to_metadata_address_is_refused(site: Site) -> None:
    site.route("/go", Reply(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}))
    started = time.monotonic()
    result = make_fetcher(timeout_s=5).fetch(site.base + "/go")
    assert not result.ok()
    assert (result.error or "").startswith("refused: 169.254.169.254 is")
    assert result.final_url == "http://169.254.169.254/latest/meta-data/"
    assert time.monotonic() - started < 2  # refused before any connection attempt


def test_redirect_to_other_scheme_is_refused(site: Site) -> None:
    site.route("/go", Reply(302, b"", {"Location": "file:///etc/passwd"}))
    result = make_fetcher().fetch(site.base + "/go")
    assert not result.ok()
    assert "scheme 'file'" in (result.error or "")


def test_non_html_content_type_is_refused(site: Site) -> None:
    site.route("/report.pdf", Reply(200, b"%PDF-1.4 ...", {"Content-Type": "application/pdf"}))
    result = make_fetcher().fetch(site.base + "/report.pdf")
    assert not result.ok()
    assert result.error == "refused: content type application/pdf"
    assert result.body == b""


def test_xml_feed_content_types_are_accepted(site: Site) -> None:
    site.route("/feed", Reply(200, b"<rss/>", {"Content-Type": "application/rss+xml"}))
    site.route("/sitemap.xml", Reply(200, b"<urlset/>", {"Content-Type": "text/xml"}))
    fetcher = make_fetcher()
    assert fetcher.fetch(site.base + "/feed").ok()
    assert fetcher.fetch(site.base + "/sitemap.xml").ok()


def test_oversize_body_is_cut_with_clear_error(site: Site) -> None:
    big = b"<html><body>" + b"x" * 50_000 + b"</body></html>"
    site.route("/big", Reply(200, big, send_length=False))
    result = make_fetcher(max_bytes=10_000).fetch(site.base + "/big")
    assert not result.ok()
    assert "exceeds max_bytes 10000" in (result.error or "")
    assert result.bytes == 10_000
    assert result.body == big[:10_000]


def test_oversize_declared_length_is_refused_before_reading(site: Site) -> None:
    site.route("/big", Reply(200, b"y" * 20_000))
    result = make_fetcher(max_bytes=10_000).fetch(site.base + "/big")
    assert result.error == "refused: Content-Length 20000 exceeds max_bytes 10000"
    assert result.body == b""


def test_decompressed_size_is_capped(site: Site) -> None:
    bomb = gzip.compress(b"<html>" + b"\0" * 2_000_000)
    assert len(bomb) < 10_000
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    site.route("/bomb", Reply(200, bomb, headers))
    result = make_fetcher(max_bytes=100_000).fetch(site.base + "/bomb")
    assert not result.ok()
    assert "exceeds max_bytes 100000" in (result.error or "")
    assert result.bytes == 100_000


def test_gzip_page_is_decompressed(site: Site) -> None:
    site.route(
        "/z", Reply(200, gzip.compress(HTML), {"Content-Type": "text/html", "Content-Encoding": "gzip"})
    )
    result = make_fetcher().fetch(site.base + "/z")
    assert result.ok(), result.error
    assert result.body == HTML


def test_robots_disallow_refuses_without_requesting_the_page(site: Site) -> None:
    site.route(
        "/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"})
    )
    site.route("/private/x.html", Reply())
    site.route("/public.html", Reply())
    fetcher = make_fetcher()
    refused = fetcher.fetch(site.base + "/private/x.html")
    allowed = fetcher.fetch(site.base + "/public.html")
    assert not refused.ok()
    assert "disallowed by robots.txt" in (refused.error or "")
    assert site.count("/private/x.html") == 0
    assert allowed.ok(), allowed.error
    assert site.count("/robots.txt") == 1  # cached per host


def test_robots_rules_for_our_agent_apply(site: Site) -> None:
    robots = b"User-agent: conflict-ingest\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    site.route("/robots.txt", Reply(200, robots, {"Content-Type": "text/plain"}))
    site.route("/a.html", Reply())
    result = make_fetcher().fetch(site.base + "/a.html")
    assert "disallowed by robots.txt" in (result.error or "")
    assert make_fetcher(respect_robots=False).fetch(site.base + "/a.html").ok()


def test_missing_robots_txt_allows_everything(site: Site) -> None:
    site.route("/a.html", Reply())
    result = make_fetcher().fetch(site.base + "/a.html")
    assert result.ok(), result.error
    assert site.count("/robots.txt") == 1


def test_robots_txt_forbidden_refuses_the_host(site: Site) -> None:
    site.route("/robots.txt", Reply(403, b"no", {"Content-Type": "text/plain"}))
    site.route("/a.html", Reply())
    result = make_fetcher().fetch(site.base + "/a.html")
    assert "robots.txt forbids" in (result.error or "")
    assert site.count("/a.html") == 0


def test_robots_crawl_delay_spaces_requests(site: Site) -> None:
    robots = b"User-agent: *\nCrawl-delay: 1\n"
    site.route("/robots.txt", Reply(200, robots, {"Content-Type": "text/plain"}))
    site.route("/a.html", Reply())
    fetcher = make_fetcher()
    fetcher.fetch(site.base + "/a.html")
    fetcher.fetch(site.base + "/a.html")
    first, second = site.times("/a.html")
    assert second - first >= 0.95


def test_loopback_is_refused_unless_allowed(site: Site) -> None:
    site.route("/a.html", Reply())
    fetcher = make_fetcher(allow_private=False)
    refused = fetcher.fetch(site.base + "/a.html")
    assert refused.error == "refused: 127.0.0.1 is a loopback address"
    assert refused.status is None
    assert site.hits == []
    assert fetcher.fetch(site.base + "/a.html", allow_private=True).ok()


def test_localhost_name_is_resolved_and_refused(site: Site) -> None:
    port = site.base.rsplit(":", 1)[1]
    result = make_fetcher(allow_private=False).fetch(f"http://localhost:{port}/a.html")
    assert (result.error or "").startswith("refused: ")
    assert "loopback" in (result.error or "")
    assert site.hits == []


def test_conditional_get_returns_304_with_empty_body(site: Site) -> None:
    def conditional(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'}, send_length=False)
        return Reply(200, HTML, {"Content-Type": "text/html", "ETag": '"v1"'})

    site.routes["/page"] = conditional
    fetcher = make_fetcher()
    first = fetcher.fetch(site.base + "/page")
    assert first.status == 200 and first.headers["etag"] == '"v1"'
    again = fetcher.fetch(
        site.base + "/page", etag=first.headers["etag"], last_modified="Thu, 01 Dec 2016 00:00:00 GMT"
    )
    assert again.status == 304
    assert again.ok() and again.not_modified
    assert again.body == b""
    last = site.hits[-1].headers
    assert last["if-none-match"] == '"v1"'
    assert last["if-modified-since"] == "Thu, 01 Dec 2016 00:00:00 GMT"


def test_rate_limit_spaces_requests_to_one_host(site: Site) -> None:
    site.route("/a.html", Reply())
    fetcher = make_fetcher(rate_limit_per_s=5.0, respect_robots=False)
    for _ in range(3):
        assert fetcher.fetch(site.base + "/a.html").ok()
    t = site.times("/a.html")
    assert t[1] - t[0] >= 0.18 and t[2] - t[1] >= 0.18


def test_per_call_rate_limit_overrides_default(site: Site) -> None:
    site.route("/a.html", Reply())
    fetcher = make_fetcher(rate_limit_per_s=0.2, respect_robots=False)  # 5 s apart by default
    started = time.monotonic()
    for _ in range(3):
        assert fetcher.fetch(site.base + "/a.html", rate_limit_per_s=50.0).ok()
    assert time.monotonic() - started < 1.0


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = make_fetcher(retries=2, respect_robots=False).fetch(f"http://127.0.0.1:{port}/a.html")
    assert not result.ok()
    assert result.status is None
    assert result.attempts == 3
    assert "connection error" in (result.error or "")


def test_slow_server_times_out(site: Site) -> None:
    site.route("/slow", Reply(delay_s=1.5))
    started = time.monotonic()
    result = make_fetcher(timeout_s=0.3, retries=0, respect_robots=False).fetch(site.base + "/slow")
    assert not result.ok()
    assert "timed out" in (result.error or "")
    assert time.monotonic() - started < 1.4


def test_unsupported_scheme_is_refused() -> None:
    result = make_fetcher().fetch("ftp://127.0.0.1/file.html")
    assert result.error == "refused: scheme 'ftp' is not http or https"


def test_connection_to_forbidden_address_is_refused_even_after_url_check(site: Site) -> None:
    # DNS rebinding: the name checked before the request may resolve elsewhere at connect time.
    # The session's adapter resolves again, checks and connects only to a checked address.
    site.route("/a.html", Reply())
    session = Fetcher._new_session()
    with (
        address_policy(allow_private=False),
        pytest.raises(UnsafeURLError, match="refused: 127.0.0.1 is a loopback"),
    ):
        session.get(site.base + "/a.html", timeout=2)
    assert site.count("/a.html") == 0
    with address_policy(allow_private=True):
        assert session.get(site.base + "/a.html", timeout=2).status_code == 200
    assert site.count("/a.html") == 1


def test_connected_peer_is_checked_again_after_the_handshake() -> None:
    # The second line of defence: a socket whose peer is forbidden is closed and refused.
    from conflict_ingest.fetch.safety import _check_peer

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client = socket.create_connection(server.getsockname(), timeout=2)
        with (
            address_policy(allow_private=False),
            pytest.raises(UnsafeURLError, match="connected peer 127.0.0.1"),
        ):
            _check_peer(client, proxied=False)
        assert client.fileno() == -1  # closed
        with address_policy(allow_private=True):
            other = socket.create_connection(server.getsockname(), timeout=2)
            _check_peer(other, proxied=False)
            other.close()


# --- across runs: conditional GET from the raw zone's index; one page at several URLs ------------------

ARTICLE = (
    Path(__file__).resolve().parents[2]
    / "include/sample_site/articles/us-coalition-airstrikes-isis-mosul-record-level.html"
).read_bytes()


def urls_source(source_id: str, urls: list[str]) -> Source:
    return Source(id=source_id, kind="urls", urls=tuple(urls), allow_private=True, rate_limit_per_s=None)


def run_batch(store: ObjectStore, run: RunContext, source: Source, fetcher: Fetcher) -> dict[str, Any]:
    """discover -> fetch -> clean -> extract for one small source; the fetched object and the records."""
    (batch_key,) = discover_stage(store, run, source, fetcher, batch_size=50)
    fetched_summary = fetch_stage(store, batch_key, fetcher, source)
    cleaned = clean_stage(store, fetched_summary["key"])
    extracted = extract_stage(store, cleaned["key"])
    return {
        "summary": fetched_summary,
        "fetched": store.get_json(fetched_summary["key"]),
        "cleaned": store.get_jsonl_gz(cleaned["key"]),
        "records": store.get_jsonl_gz(extracted["key"]),
    }


def test_unchanged_page_is_not_downloaded_again_on_the_next_run(site: Site, store: ObjectStore) -> None:
    version = {"etag": '"v1"', "body": ARTICLE}
    bodies_sent: list[str] = []

    def conditional(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == version["etag"]:
            return Reply(304, b"", {"ETag": str(version["etag"])}, send_length=False)
        bodies_sent.append(str(version["etag"]))
        return Reply(
            200,
            bytes(version["body"]),  # type: ignore[arg-type]
            {
                "Content-Type": "text/html; charset=utf-8",
                "ETag": str(version["etag"]),
                "Last-Modified": "Thu, 01 Dec 2016 10:00:00 GMT",
            },
        )

    site.routes["/story.html"] = conditional
    source = urls_source("cond", [site.base + "/story.html"])
    fetcher = make_fetcher()

    first = run_batch(store, RunContext(dt.date(2016, 12, 1), "r1"), source, fetcher)
    second = run_batch(store, RunContext(dt.date(2016, 12, 2), "r2"), source, fetcher)

    assert bodies_sent == ['"v1"']  # the body crossed the network once
    asked = [h.headers for h in site.hits if h.path == "/story.html"]
    assert "if-none-match" not in asked[0]
    assert asked[1]["if-none-match"] == '"v1"'
    assert asked[1]["if-modified-since"] == "Thu, 01 Dec 2016 10:00:00 GMT"
    (page1,) = first["fetched"]["pages"]
    (page2,) = second["fetched"]["pages"]
    assert page2["raw_key"] == page1["raw_key"] and page2["sha256"] == page1["sha256"]
    assert page2["not_modified"] is True and page1["not_modified"] is False
    assert second["summary"]["not_modified"] == 1 and second["summary"]["errors"] == 0
    # the stored page was still processed: same records as the first run
    assert first["records"], "the article gives records"
    assert {r["record_id"] for r in second["records"]} == {r["record_id"] for r in first["records"]}
    assert len(list(store.list_keys("raw/source=cond/dt=2016-12-02/"))) == 0  # nothing stored twice

    # the page changes: downloaded whole, stored, and the index follows
    version.update(etag='"v2"', body=ARTICLE.replace(b"3,038 weapons", b"3,039 weapons"))
    third = run_batch(store, RunContext(dt.date(2016, 12, 3), "r3"), source, fetcher)
    (page3,) = third["fetched"]["pages"]
    assert bodies_sent == ['"v1"', '"v2"']
    assert page3["raw_key"] != page1["raw_key"] and page3["not_modified"] is False
    index = store.get_json(raw_index_key("cond", site.base + "/story.html"))
    assert index["etag"] == '"v2"' and index["raw_key"] == page3["raw_key"]
    assert any(r["count"] == 3039 for r in third["records"])


def test_missing_raw_page_is_fetched_whole_instead_of_trusting_a_304(site: Site, store: ObjectStore) -> None:
    def conditional(headers: dict[str, str]) -> Reply:
        if headers.get("if-modified-since"):
            return Reply(304, b"", {}, send_length=False)
        return Reply(
            200, ARTICLE, {"Content-Type": "text/html", "Last-Modified": "Thu, 01 Dec 2016 10:00:00 GMT"}
        )

    site.routes["/story.html"] = conditional
    source = urls_source("gone", [site.base + "/story.html"])
    fetcher = make_fetcher()
    first = run_batch(store, RunContext(dt.date(2016, 12, 1), "r1"), source, fetcher)
    (page,) = first["fetched"]["pages"]
    store.delete([page["raw_key"]])  # e.g. expired by a lifecycle rule
    again = run_batch(store, RunContext(dt.date(2016, 12, 2), "r2"), source, fetcher)
    assert "if-modified-since" not in site.hits[-1].headers
    (page2,) = again["fetched"]["pages"]
    assert page2["not_modified"] is False and store.exists(page2["raw_key"])
    assert again["records"]


def test_page_at_two_urls_is_stored_once_and_gives_one_set_of_records(site: Site, store: ObjectStore) -> None:
    # the article declares its canonical URL on the site that serves it (a canonical on another site is refused)
    canonical = site.base + "/articles/record-level.htm"
    article = ARTICLE.replace(
        b"https://www.ct-news.example/articles/us-coalition-airstrikes-isis-mosul-record-level.htm",
        canonical.encode(),
    )
    reply = Reply(200, article, {"Content-Type": "text/html; charset=utf-8"})
    site.route("/a/story.html", reply)
    site.route("/a/story.html?utm_source=feed", reply)
    site.route("/partner/story.html", reply)  # the same article syndicated by another source
    fetcher = make_fetcher()
    day = dt.date(2016, 12, 1)
    own = run_batch(
        store,
        RunContext(day, "r1"),
        urls_source("own", [site.base + "/a/story.html", site.base + "/a/story.html?utm_source=feed"]),
        fetcher,
    )
    partner = run_batch(
        store, RunContext(day, "r1"), urls_source("partner", [site.base + "/partner/story.html"]), fetcher
    )

    # one page, processed once, every URL kept (in the batch and in the raw sidecar)
    (page,) = own["fetched"]["pages"]
    both = [site.base + "/a/story.html", site.base + "/a/story.html?utm_source=feed"]
    assert page["seen_urls"] == both
    assert len(own["cleaned"]) == 1
    raw = [k for k in store.list_keys("raw/source=own/") if k.endswith(".html.gz")]
    assert raw == [page["raw_key"]]
    assert store.get_json(raw_meta_key(page["raw_key"]))["seen_urls"] == both
    # the records: one set, keyed by the canonical URL, the same from the syndicating source
    ids = [r["record_id"] for r in own["records"]]
    assert ids and len(ids) == len(set(ids))
    assert {r["canonical_url"] for r in own["records"]} == {canonical}
    assert {r["record_id"] for r in partner["records"]} == set(ids)
    assert len({r["record_id"] for r in own["records"] + partner["records"]}) == len(ids)


# --- the same fetcher from the shell -------------------------------------------------------------------


def test_cli_fetch_prints_the_result_as_json(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.route("/a.html", Reply())
    code = main(["fetch", "--allow-private", site.base + "/a.html"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["ok"] is True and out["refused"] is False and out["error"] is None
    assert out["status"] == 200 and out["bytes"] == len(HTML)
    assert out["sha256"] == hashlib.sha256(HTML).hexdigest()
    assert "body" not in out


def test_cli_fetch_says_refused_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fetch", "http://169.254.169.254/latest/meta-data/"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["error"] == "refused: 169.254.169.254 is a link-local address"
    assert out["refused"] is True and out["ok"] is False and out["status"] is None


def test_cli_fetch_refuses_loopback_unless_allowed(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONFLICT_INGEST_ALLOW_PRIVATE_URLS", raising=False)
    site.route("/a.html", Reply())
    assert main(["fetch", site.base + "/a.html"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["error"] == "refused: 127.0.0.1 is a loopback address"
    assert site.hits == []


def test_cli_fetch_reports_a_fault_with_its_reason(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.route("/x.pdf", Reply(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}))
    assert main(["fetch", "--allow-private", "--ignore-robots", site.base + "/x.pdf"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["error"] == "refused: content type application/pdf" and out["status"] == 200


def test_clean_reads_pages_ahead_in_order_and_a_missing_page_loses_only_itself(store: ObjectStore) -> None:
    import gzip

    pages = []
    for i in range(20):  # more pages than the read-ahead depth
        raw_key = f"raw/source=t/dt=2016-12-01/page-{i:02d}.html.gz"
        if i != 7:
            body = f"<html><head><title>Page {i}</title></head><body><p>Story number {i}.</p></body></html>"
            store.put_bytes(raw_key, gzip.compress(body.encode()))
        url = f"https://news.example/{i}"
        pages.append({"url": url, "final_url": url, "raw_key": raw_key, "content_type": "text/html"})
    fetched_key = "work/dt=2016-12-01/run=t/fetched/t-00000.json"
    store.put_json(fetched_key, {"source_id": "t", "day": "2016-12-01", "pages": pages, "errors": []})

    summary = clean_stage(store, fetched_key)

    rows = store.get_jsonl_gz(summary["key"])
    assert summary["errors"] == 1 and summary["pages"] == 19
    assert [r["title"] for r in rows] == [f"Page {i}" for i in range(20) if i != 7]
    assert all(f"Story number {r['title'].split()[-1]}." in r["text"] for r in rows)
