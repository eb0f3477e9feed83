"""Polite, safe HTTP for news pages and feeds.

:class:`Fetcher` wraps a ``requests`` session with what a crawler of other people's sites owes them
and owes itself:

- a User-Agent that names the project and a contact URL;
- a per-host rate limit (minimum interval between requests to one host, raised to the host's
  robots.txt ``Crawl-delay`` when that is longer);
- robots.txt, fetched once per host and cached (a missing robots.txt allows everything;
  401/403 forbid everything; a robots.txt that cannot be read after retries forbids the host);
- retries with exponential backoff on connection errors, timeouts, 5xx and 429, honouring
  ``Retry-After`` up to a cap; no retry on other 4xx;
- connect/read timeouts and one deadline over each whole exchange (connect, status line, headers,
  body): a server that drips its headers a byte at a time is cut off like one that drips its body;
- a cap on the response's header block (never more than ``max_bytes``), and only a short list of
  useful headers, each size-bounded, kept with a page;
- an empty answer (a 2xx without a body) or a truncated one (fewer bytes than Content-Length) is an
  error, never a success;
- a per-host failure budget: after ``max_host_failures`` consecutive timeouts or connection failures
  a host's remaining URLs are deferred at once, without network I/O; the total ``Retry-After`` wait
  a host may ask for is capped too;
- no ``~/.netrc`` and no proxy from the environment (``trust_env`` off): a proxy only when passed
  explicitly, and the target's addresses are checked all the same;
- a size cap enforced while streaming, on the decompressed bytes (gzip and deflate are decoded
  here, chunk by chunk, so a compression bomb never inflates past the cap and a truncated
  compressed body is detected);
- bodies that are not text refused even when labelled ``text/html`` (binary signatures, NUL and
  control bytes in the first bytes, as browsers sniff);
- a body read that breaks (connection reset, truncated gzip, read timeout) retried like a failed
  connection;
- redirects followed by hand, each hop re-checked (scheme, address, robots), loops detected;
- only HTML and XML content types accepted, unless the caller asks for more (an :class:`Accept`:
  :data:`SITEMAPS` adds plain text and gzip files, :data:`JSON_API` reads JSON);
- no private, loopback, link-local, reserved or metadata addresses unless ``allow_private``
  (see :mod:`conflict_ingest.fetch.safety`);
- conditional GET (``If-None-Match`` / ``If-Modified-Since``): 304 is a success with no body.

:meth:`Fetcher.fetch` never raises for network or HTTP trouble: the :class:`FetchResult` carries
an ``error`` that says what went wrong.
"""

from __future__ import annotations

import builtins
import codecs
import datetime as dt
import email.utils
import logging
import re
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests
import urllib3.exceptions

from conflict_ingest.errors import ConflictIngestError
from conflict_ingest.fetch.safety import (
    Exchange,
    GuardedHTTPAdapter,
    Resolver,
    UnsafeURLError,
    address_policy,
    check_url,
    redact_url,
)
from conflict_ingest.fetch.slots import MACHINE_SLOTS, HostSlots
from conflict_ingest.settings import (
    DEFAULT_FETCH_MAX_BYTES,
    DEFAULT_FETCH_TIMEOUT_S,
    DEFAULT_RATE_LIMIT_PER_S,
    DEFAULT_USER_AGENT,
)

logger = logging.getLogger(__name__)


# Media types the pipeline can parse: pages, feeds and sitemaps. Any "+xml" type is accepted too.
ALLOWED_MEDIA_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "application/xml",
        "text/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
    }
)
ACCEPT_HEADER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.1"
# Content codings decoded here (never brotli/zstd: they are not asked for).
ACCEPT_ENCODING = "gzip, deflate"
IDENTITY_ENCODINGS = frozenset({"", "identity"})
GZIP_ENCODINGS = frozenset({"gzip", "x-gzip"})
DEFLATE_ENCODINGS = frozenset({"deflate"})
# Gzip files (not a gzip Content-Encoding): what :data:`SITEMAPS` accepts, handed over undecoded.
GZIP_MEDIA_TYPES = frozenset({"application/gzip", "application/x-gzip"})
GZIP_MAGIC = b"\x1f\x8b"
# Response headers never kept with a page (they may carry session tokens).
UNRECORDED_HEADERS = frozenset({"set-cookie", "set-cookie2"})
# Response headers kept with a page (its raw sidecar, XCom): validators, type, dates, caching. A server
# may send megabytes of headers; the sidecar keeps these, each cut at MAX_KEPT_HEADER_CHARS.
KEPT_HEADERS = frozenset(
    {
        "age",
        "cache-control",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-type",
        "date",
        "etag",
        "expires",
        "last-modified",
        "link",
        "location",
        "retry-after",
        "server",
        "vary",
        "x-robots-tag",
    }
)
MAX_KEPT_HEADER_CHARS = 1024
# The status line and headers of one response; never more than the fetch's max_bytes either.
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
# Consecutive timeouts / connection failures after which a host's remaining URLs are deferred.
DEFAULT_MAX_HOST_FAILURES = 3
# Total Retry-After wait one host may impose on one fetcher (one batch).
DEFAULT_MAX_RETRY_AFTER_PER_HOST_S = 120.0
ASCII_DIGITS = re.compile(r"[0-9]+")

# Leading bytes of binary formats that servers hand out labelled as HTML.
BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"RIFF", "a RIFF file (WebP, WAV or AVI)"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an ELF executable"),
    (b"MZ\x90\x00", "a Windows executable"),
    (b"OggS", "an Ogg media file"),
    (b"ID3", "an MP3 file"),
    (b"\x1a\x45\xdf\xa3", "a Matroska/WebM video"),
)
# Byte-order marks of text encodings whose bytes include NUL (UTF-16/32): text, not binary.
TEXT_BOMS = (
    codecs.BOM_UTF8,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
)
SNIFF_BYTES = 1445  # the "resource header" browsers sniff (WHATWG MIME Sniffing)
# WHATWG "binary data bytes": C0 controls other than TAB, LF, FF, CR and ESC.
BINARY_CONTROL_BYTES = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
MAX_CONTROL_BYTE_SHARE = 0.02  # a stray control byte in a page is tolerated; 2% of them is not text

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
TOO_MANY_REQUESTS = 429
NOT_RETRIED_5XX = frozenset({501, 505})  # "not implemented" and "version not supported" will not change
NOT_MODIFIED = 304

ROBOTS_PATH = "/robots.txt"
ROBOTS_MAX_BYTES = 512_000
ROBOTS_CACHE_TTL_S = 3600.0
ROBOTS_FAILURE_TTL_S = 60.0  # an unreadable robots.txt forbids the host, but only for a minute
MAX_CRAWL_DELAY_S = 30.0
CHUNK_BYTES = 64 * 1024


@dataclass
class FetchResult:
    """What one fetch produced. ``body`` is the decompressed payload (empty on error or 304)."""

    url: str
    final_url: str
    status: int | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: builtins.bytes = b""
    error: str | None = None
    fetched_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    elapsed_s: float = 0.0
    attempts: int = 0
    redirects: list[str] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return len(self.body)

    def ok(self) -> bool:
        if self.error is not None or self.status is None:
            return False
        return 200 <= self.status < 300 or self.status == NOT_MODIFIED

    @property
    def not_modified(self) -> bool:
        return self.status == NOT_MODIFIED

    def to_json(self) -> dict[str, Any]:
        """Everything but the body, JSON-serialisable (for the raw zone's sidecar and XCom).

        URLs have any ``user:password@`` removed."""
        return {
            "url": redact_url(self.url),
            "final_url": redact_url(self.final_url),
            "status": self.status,
            "bytes": self.bytes,
            "content_type": self.content_type,
            "error": self.error,
            "fetched_at": self.fetched_at.isoformat(),
            "elapsed_s": round(self.elapsed_s, 3),
            "attempts": self.attempts,
            "redirects": [redact_url(u) for u in self.redirects],
            "headers": dict(self.headers),
        }


@dataclass
class _Robots:
    parser: RobotFileParser | None  # None: everything allowed (no robots.txt)
    loaded_at: float
    crawl_delay: float | None
    refusal: str | None = None  # set when the whole host is forbidden (robots.txt unreadable)


class _Failure(ConflictIngestError):
    """Internal: ends a fetch with ``error`` (and, when a response was seen, its status).

    ``retryable`` marks a connection or body read that broke in transit: the hop is tried again.
    ``host_failure`` marks a timeout or connection failure: it counts against the host's budget."""

    def __init__(
        self,
        error: str,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        *,
        retryable: bool = False,
        host_failure: bool = False,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.retryable = retryable
        self.host_failure = host_failure


@dataclass
class _Retry:
    """Internal: a retryable status (429, 5xx) and what the server asked us to wait."""

    status: int
    headers: dict[str, str]
    retry_after: float | None


class _Decoder:
    """Undoes one content coding chunk by chunk, never producing more than it is asked for."""

    def __init__(self, coding: str | None, status: int) -> None:
        self.coding = (coding or "").strip().lower()
        self.status = status
        self._z: Any = None
        self._raw_fallback = False
        self._seen = b""
        self.fed = 0
        if self.coding in GZIP_ENCODINGS:
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding in DEFLATE_ENCODINGS:
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
            self._raw_fallback = True  # many servers send raw deflate without the zlib header
        elif self.coding not in IDENTITY_ENCODINGS:
            raise _Failure(f"refused: unsupported content encoding {self.coding!r}", status)

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode ``data``; at most ``limit`` bytes come back (more input stays unconsumed)."""
        self.fed += len(data)
        if self._z is None:
            return data[:limit]
        if self._raw_fallback:
            self._seen += data
        try:
            out: bytes = self._z.decompress(data, limit)
        except zlib.error as exc:
            if not self._raw_fallback:
                raise _Failure(f"body read failed: corrupt {self.coding} data ({exc})", self.status) from None
            self._raw_fallback = False
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            seen, self._seen = self._seen, b""
            return self.feed(seen, limit)
        if self.fed >= 2:  # the zlib header was accepted
            self._raw_fallback = False
            self._seen = b""
        while self._z.eof and self._z.unused_data and len(out) < limit and self.coding in GZIP_ENCODINGS:
            rest = self._z.unused_data  # concatenated gzip members are one body
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += self._z.decompress(rest, limit - len(out))
        return out

    @property
    def pending(self) -> bool:
        """Input was held back because the output limit was reached."""
        return self._z is not None and bool(self._z.unconsumed_tail)

    def finish(self) -> None:
        if self._z is not None and self.fed and not self._z.eof:
            raise _Failure(
                f"body read failed: truncated {self.coding} body (the compressed stream ends early)",
                self.status,
                retryable=True,
            )


def binary_kind(body: bytes) -> str | None:
    """What a body that is not text looks like (``"a PNG image"``), or None for text."""
    head = body[:SNIFF_BYTES]
    if head.startswith(TEXT_BOMS):
        return None
    for signature, label in BINARY_SIGNATURES:
        if head.startswith(signature):
            return label
    if b"\x00" in head:
        return "binary data (NUL bytes)"
    controls = sum(1 for byte in head if byte in BINARY_CONTROL_BYTES)
    if head and controls > MAX_CONTROL_BYTE_SHARE * len(head):
        return "binary data (control bytes)"
    return None


def media_type(content_type: str | None) -> str | None:
    """``"text/html; charset=utf-8"`` -> ``"text/html"``."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


@dataclass(frozen=True)
class Accept:
    """What one fetch reads: its media types (and any ``+suffix`` type), whether an empty 2xx body is an
    answer, whether a gzip file is handed over as it came, and the ``Accept`` header it sends.

    :data:`PAGES` (pages and feeds) unless a caller says otherwise: sitemaps (``sources.sitemaps``, also
    robots.txt and plain-text sitemaps) pass :data:`SITEMAPS`, a JSON search API (``sources.gdelt``,
    ``sources.reliefweb``) passes :data:`JSON_API`. ``raw_gzip``: a body that is gzip data (its magic
    bytes; a gzip *file*, not a gzip ``Content-Encoding``, which is always decoded here) is not refused as
    binary but handed over undecoded, for the caller to decompress under its own cap."""

    media_types: frozenset[str] = ALLOWED_MEDIA_TYPES
    suffixes: tuple[str, ...] = ("+xml",)
    empty_ok: bool = False
    raw_gzip: bool = False
    header: str = ACCEPT_HEADER

    def allows(self, mt: str | None) -> bool:
        return mt is None or mt in self.media_types or mt.endswith(self.suffixes)


PAGES = Accept()
# Sitemaps as servers hand them out: XML, plain text (robots.txt, text sitemaps), gzip files (by type, or
# as a bare octet stream); a gzip body comes back undecoded. Anything else binary is still refused.
SITEMAPS = Accept(
    media_types=ALLOWED_MEDIA_TYPES | {"text/plain", "application/octet-stream"} | GZIP_MEDIA_TYPES,
    raw_gzip=True,
)
# JSON, and the plain-text or HTML messages an API answers instead (GDELT's rate-limit and query errors);
# an empty body is GDELT's "no articles".
JSON_API = Accept(
    media_types=frozenset({"application/json", "text/json", "text/plain", "text/html"}),
    suffixes=("+json",),
    empty_ok=True,
    header="application/json, text/plain;q=0.5, */*;q=0.1",
)


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if ASCII_DIGITS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def header_int(value: str | None) -> int | None:
    """A non-negative integer header value (ASCII digits only: ``"²"`` is not a number), or None."""
    if value is None:
        return None
    value = value.strip()
    return int(value) if ASCII_DIGITS.fullmatch(value) else None


def is_retryable_status(status: int) -> bool:
    """429 and 5xx (but not 501/505) are worth another try."""
    return status == TOO_MANY_REQUESTS or (500 <= status < 600 and status not in NOT_RETRIED_5XX)


def host_key(url: str) -> str:
    """``scheme://host:port`` — the unit of rate limiting and robots.txt."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


class Fetcher:
    """A polite HTTP client for one run (one batch: the per-host failure budget lasts as long as
    the fetcher). Safe to share between threads.

    ``deadline_s`` bounds one attempt's whole exchange (connect, headers, body; default
    ``body_deadline_s``, else 3 x the timeout). ``max_header_bytes`` caps a response's header block.
    ``max_host_failures`` consecutive timeouts or connection failures defer a host's remaining URLs
    (None: never); ``max_retry_after_per_host_s`` caps the total Retry-After wait per host.
    ``proxies`` (``{"http": ..., "https": ...}``) is the only way to use a proxy: the environment's
    proxy variables and ``~/.netrc`` are never read. ``resolver`` turns a host and port into
    addresses (default :func:`conflict_ingest.fetch.safety.resolve`).
    """

    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout_s: float = DEFAULT_FETCH_TIMEOUT_S,
        max_bytes: int = DEFAULT_FETCH_MAX_BYTES,
        max_redirects: int = 5,
        retries: int = 3,
        backoff_s: float = 0.5,
        rate_limit_per_s: float | None = DEFAULT_RATE_LIMIT_PER_S,
        allow_private: bool = False,
        respect_robots: bool = True,
        max_retry_after_s: float = 60.0,
        body_deadline_s: float | None = None,
        session: requests.Session | None = None,
        deadline_s: float | None = None,
        max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
        max_host_failures: int | None = DEFAULT_MAX_HOST_FAILURES,
        max_retry_after_per_host_s: float = DEFAULT_MAX_RETRY_AFTER_PER_HOST_S,
        proxies: dict[str, str] | None = None,
        resolver: Resolver | None = None,
        host_slots: HostSlots | None = MACHINE_SLOTS,
    ) -> None:
        self.user_agent = user_agent
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.retries = retries
        self.backoff_s = backoff_s
        self.rate_limit_per_s = rate_limit_per_s
        self.allow_private = allow_private
        self.respect_robots = respect_robots
        self.max_retry_after_s = max_retry_after_s
        self.body_deadline_s = body_deadline_s
        self.deadline_s = deadline_s
        self.max_header_bytes = max_header_bytes
        self.max_host_failures = max_host_failures
        self.max_retry_after_per_host_s = max_retry_after_per_host_s
        self.resolver = resolver
        # requests to one host are spaced across this machine's processes (None: this fetcher only)
        self.host_slots = host_slots
        self._session = session or self._new_session(proxies)
        self._lock = threading.Lock()
        self._host_failures: dict[str, int] = {}  # consecutive timeouts / connection failures
        self._host_last_failure: dict[str, str] = {}
        self._host_retry_after: dict[str, float] = {}  # Retry-After seconds waited, per host
        self._deferred: dict[str, str] = {}  # host -> why its remaining URLs are deferred
        self._next_slot: dict[str, float] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    @staticmethod
    def _new_session(proxies: dict[str, str] | None = None) -> requests.Session:
        session = requests.Session()
        # No ~/.netrc (it would send credentials to whatever host a page names) and no proxy
        # variables (a proxy resolves and connects on its own, past the connect-time checks).
        session.trust_env = False
        if proxies:
            session.proxies.update(proxies)
        adapter = GuardedHTTPAdapter(max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public ---------------------------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        allow_private: bool | None = None,
        rate_limit_per_s: float | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        timeout_s: float | None = None,
        max_bytes: int | None = None,
        accept: Accept | None = None,
    ) -> FetchResult:
        """GET ``url`` (an HTML page, feed or sitemap). Never raises for network/HTTP problems.

        ``allow_private``, ``rate_limit_per_s``, ``timeout_s`` and ``max_bytes`` override the
        fetcher's defaults for this call (a source's own settings); ``accept`` says what the
        answer may be: :data:`PAGES` (the default: HTML and XML), :data:`SITEMAPS` (plain text and
        gzip files too, a gzip body handed over undecoded) or :data:`JSON_API`.
        """
        url = url.strip()
        accept = accept or PAGES
        headers: dict[str, str] = {"Accept": accept.header}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        result = self._get(
            url,
            allow_private=self.allow_private if allow_private is None else allow_private,
            rate=self.rate_limit_per_s if rate_limit_per_s is None else rate_limit_per_s,
            timeout_s=timeout_s or self.timeout_s,
            max_bytes=max_bytes or self.max_bytes,
            extra_headers=headers,
            check_robots=self.respect_robots,
            check_type=accept,
        )
        shown = redact_url(url)
        if result.error:
            logger.warning("fetch %s failed: %s", shown, result.error)
        else:
            logger.info(
                "fetched %s: %s, %d bytes, %.2fs", shown, result.status, result.bytes, result.elapsed_s
            )
        return result

    # --- the request loop -----------------------------------------------------------------------------

    def _get(
        self,
        url: str,
        *,
        allow_private: bool,
        rate: float | None,
        timeout_s: float,
        max_bytes: int,
        extra_headers: dict[str, str],
        check_robots: bool,
        check_type: Accept | None,
    ) -> FetchResult:
        started = time.monotonic()
        result = FetchResult(url=url, final_url=url)
        try:
            self._follow(
                result, allow_private, rate, timeout_s, max_bytes, extra_headers, check_robots, check_type
            )
        except _Failure as failure:
            result.error = failure.error
            result.status = failure.status if failure.status is not None else result.status
            if failure.headers:
                result.headers = failure.headers
        except Exception as exc:  # a malformed URL or header must not end a whole batch
            logger.exception("unexpected error fetching %s", redact_url(url))
            result.error = f"fetch failed: {type(exc).__name__}: {_short(exc)}"
        result.elapsed_s = time.monotonic() - started
        return result

    def _follow(
        self,
        result: FetchResult,
        allow_private: bool,
        rate: float | None,
        timeout_s: float,
        max_bytes: int,
        extra_headers: dict[str, str],
        check_robots: bool,
        check_type: Accept | None,
    ) -> None:
        current = result.url
        seen = {current}
        while True:
            result.final_url = current
            self._check_deferred(host_key(current))
            try:
                check_url(current, allow_private=allow_private, resolver=self.resolver)
            except UnsafeURLError as exc:
                raise _Failure(str(exc)) from None
            if check_robots:
                self._check_robots(current, allow_private, rate, timeout_s)
            redirect = self._request(
                result, current, allow_private, rate, timeout_s, max_bytes, extra_headers, check_type
            )
            if redirect is None:
                return
            status, location = redirect
            target = urljoin(current, location.strip())
            if target in seen:
                raise _Failure(f"redirect loop: {redact_url(target)} was already visited", status)
            if len(result.redirects) >= self.max_redirects:
                raise _Failure(f"too many redirects (more than {self.max_redirects})", status)
            result.redirects.append(target)
            seen.add(target)
            current = target

    def _request(
        self,
        result: FetchResult,
        url: str,
        allow_private: bool,
        rate: float | None,
        timeout_s: float,
        max_bytes: int,
        extra_headers: dict[str, str],
        check_type: Accept | None,
    ) -> tuple[int, str] | None:
        """One hop, with retries: ``(status, Location)`` for a redirect, else None once the
        response (body included) is in ``result``."""
        headers = {
            "User-Agent": self.user_agent,
            "Accept": ACCEPT_HEADER,
            "Accept-Encoding": ACCEPT_ENCODING,
            **extra_headers,
        }
        key = host_key(url)
        attempts = self.retries + 1
        shown = redact_url(url)
        deadline = self.deadline_s or self.body_deadline_s or 3 * timeout_s
        header_cap = min(self.max_header_bytes, max_bytes)
        for attempt in range(attempts):
            self._check_deferred(key)
            self._throttle(key, rate)
            result.attempts += 1
            result.fetched_at = dt.datetime.now(dt.UTC)
            last = attempt == attempts - 1
            broken: _Failure | None = None
            with (
                address_policy(allow_private=allow_private, resolver=self.resolver),
                Exchange(deadline, header_cap) as exchange,
            ):
                try:
                    outcome = self._attempt(
                        result, url, headers, key, exchange, timeout_s, max_bytes, check_type
                    )
                except _Failure as failure:
                    if failure.host_failure:
                        deferral = self._host_failed(key, failure.error)
                        if deferral and failure.retryable:
                            failure.error = (
                                f"{failure.error}; gave up after {_attempts(attempt + 1)} ({deferral})"
                            )
                            failure.retryable = False
                    if not failure.retryable:
                        raise
                    broken = failure
            if broken is not None:
                if last:
                    raise _Failure(
                        f"{broken.error}; gave up after {_attempts(attempts)}", broken.status, broken.headers
                    )
                self._sleep_backoff(shown, attempt, broken.error)
                continue
            if isinstance(outcome, _Retry):
                if last:
                    raise _Failure(
                        f"HTTP {outcome.status} after {_attempts(attempts)}", outcome.status, outcome.headers
                    )
                delay = self.backoff_s * (2**attempt)
                if outcome.retry_after is not None:
                    self._spend_retry_after(key, outcome)
                    delay = max(delay, outcome.retry_after)
                logger.info("HTTP %s from %s; retrying in %.2fs", outcome.status, shown, delay)
                time.sleep(delay)
                continue
            return outcome
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self,
        result: FetchResult,
        url: str,
        headers: dict[str, str],
        key: str,
        exchange: Exchange,
        timeout_s: float,
        max_bytes: int,
        check_type: Accept | None,
    ) -> _Retry | tuple[int, str] | None:
        """One request under ``exchange``: a retryable status, a redirect, or None (read into
        ``result``). Transport trouble is a retryable :class:`_Failure` that counts against the host."""
        try:
            response = self._session.get(
                url,
                headers=headers,
                timeout=(timeout_s, timeout_s),
                stream=True,
                allow_redirects=False,
            )
        except UnsafeURLError as exc:
            raise _Failure(str(exc)) from None
        except requests.RequestException as exc:
            if exchange.headers_too_large:
                raise _Failure(
                    f"refused: response headers exceed {exchange.max_header_bytes} bytes"
                ) from None
            if exchange.expired:
                raise _Failure(
                    f"timed out: response headers not complete within {exchange.deadline_s:g}s",
                    host_failure=True,
                ) from None
            if isinstance(exc, requests.Timeout):
                reason = f"timed out after {timeout_s:g}s ({type(exc).__name__})"
            elif isinstance(exc, requests.ConnectionError):
                reason = f"connection error: {_short(exc)}"
            else:
                raise _Failure(f"request failed: {_short(exc)}") from None
            raise _Failure(reason, retryable=True, host_failure=True) from None

        status = response.status_code
        if exchange.expired:  # the deadline cut the header block short: what was parsed is not the answer
            response.close()
            raise _Failure(
                f"timed out: response headers not complete within {exchange.deadline_s:g}s",
                host_failure=True,
            )
        if is_retryable_status(status):
            resp_headers = _headers(response)
            response.close()
            self._host_answered(key)
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.max_retry_after_s:
                raise _Failure(
                    f"HTTP {status}: Retry-After {retry_after:g}s exceeds the cap of {self.max_retry_after_s:g}s",
                    status,
                    resp_headers,
                )
            return _Retry(status, resp_headers, retry_after)
        if status in REDIRECT_STATUSES:
            location = response.headers.get("Location")
            response.close()
            self._host_answered(key)
            if not location:
                raise _Failure(f"HTTP {status} redirect without a Location header", status)
            return status, location
        try:
            self._read(result, response, exchange, max_bytes, check_type)
        except _Failure as failure:
            if not failure.host_failure:
                self._host_answered(key)
            raise
        self._host_answered(key)
        return None

    # --- the per-host failure budget ------------------------------------------------------------------

    def _check_deferred(self, key: str) -> None:
        with self._lock:
            deferral = self._deferred.get(key)
        if deferral:
            raise _Failure(deferral)

    def _host_failed(self, key: str, reason: str) -> str | None:
        """Count a timeout or connection failure; the deferral reason once the budget is spent."""
        with self._lock:
            failures = self._host_failures.get(key, 0) + 1
            self._host_failures[key] = failures
            if self.max_host_failures is not None and failures >= self.max_host_failures:
                self._deferred.setdefault(
                    key, f"deferred: host {key} failed {failures} times in a row (last: {reason})"
                )
                logger.warning("%s: deferring its remaining URLs", self._deferred[key])
                return self._deferred[key]
        return None

    def _host_answered(self, key: str) -> None:
        with self._lock:
            self._host_failures[key] = 0

    def _spend_retry_after(self, key: str, retry: _Retry) -> None:
        """Add ``retry``'s Retry-After to the host's total, or defer the host when it would pass the cap."""
        assert retry.retry_after is not None
        with self._lock:
            total = self._host_retry_after.get(key, 0.0) + retry.retry_after
            if total > self.max_retry_after_per_host_s:
                self._deferred.setdefault(
                    key,
                    f"deferred: host {key} asked for {total:g}s of Retry-After waits, over the cap of "
                    f"{self.max_retry_after_per_host_s:g}s",
                )
                deferral = self._deferred[key]
            else:
                self._host_retry_after[key] = total
                return
        logger.warning("%s: deferring its remaining URLs", deferral)
        raise _Failure(
            f"HTTP {retry.status}: Retry-After {retry.retry_after:g}s ({deferral})",
            retry.status,
            retry.headers,
        )

    def _sleep_backoff(self, url: str, attempt: int, reason: str) -> None:
        delay = self.backoff_s * (2**attempt)
        logger.info("%s for %s; retrying in %.2fs", reason, url, delay)
        time.sleep(delay)

    def _read(
        self,
        result: FetchResult,
        response: requests.Response,
        exchange: Exchange,
        max_bytes: int,
        check_type: Accept | None,
    ) -> None:
        result.status = response.status_code
        result.headers = _headers(response)
        result.content_type = response.headers.get("Content-Type")
        result.body = b""
        try:
            if response.status_code == NOT_MODIFIED:
                return
            if response.status_code >= 400:
                raise _Failure(f"HTTP {response.status_code}", response.status_code)
            if not 200 <= response.status_code < 300:
                raise _Failure(f"unexpected HTTP status {response.status_code}", response.status_code)
            mt = media_type(result.content_type)
            if check_type and not check_type.allows(mt):
                raise _Failure(f"refused: content type {mt}", response.status_code)
            declared = header_int(response.headers.get("Content-Length"))
            if declared is not None and declared > max_bytes:
                raise _Failure(
                    f"refused: Content-Length {declared} exceeds max_bytes {max_bytes}", response.status_code
                )
            result.body = self._stream(response, exchange, max_bytes, result, declared)
            if check_type and not result.body and not check_type.empty_ok:
                raise _Failure(f"empty body (HTTP {response.status_code})", response.status_code)
            kind = binary_kind(result.body) if check_type else None
            gzip_asked = check_type is not None and check_type.raw_gzip
            if kind is not None and gzip_asked and result.body.startswith(GZIP_MAGIC):
                kind = None  # asked for: a gzipped sitemap, decompressed (under its own cap) by the caller
            if kind is not None:
                result.body = b""
                raise _Failure(
                    f"refused: body is {kind}, not text (served as {mt or 'no content type'})",
                    response.status_code,
                )
        finally:
            response.close()

    def _stream(
        self,
        response: requests.Response,
        exchange: Exchange,
        max_bytes: int,
        result: FetchResult,
        declared: int | None,
    ) -> bytes:
        """Read the body as it arrives, decoding it here so both caps apply to decoded bytes."""
        status = response.status_code
        decoder = _Decoder(response.headers.get("Content-Encoding"), status)
        chunks: list[bytes] = []
        total = 0

        def take(data: bytes) -> None:
            nonlocal total
            out = decoder.feed(data, max_bytes - total + 1)
            while True:
                if total + len(out) > max_bytes:
                    chunks.append(out[: max_bytes - total])
                    result.body = b"".join(chunks)
                    what = "decompressed body" if decoder.coding not in IDENTITY_ENCODINGS else "body"
                    raise _Failure(f"{what} exceeds max_bytes {max_bytes} (cut at {max_bytes} bytes)", status)
                chunks.append(out)
                total += len(out)
                if not decoder.pending:
                    return
                out = decoder.feed(b"", max_bytes - total + 1)

        def timed_out() -> _Failure:
            result.body = b"".join(chunks)
            return _Failure(
                f"timed out: body not complete within {exchange.deadline_s:g}s", status, host_failure=True
            )

        try:
            while True:
                data = response.raw.read1(CHUNK_BYTES, decode_content=False)
                if not data:
                    break
                take(data)
                if exchange.remaining() <= 0:
                    raise timed_out()
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            if exchange.expired:
                raise timed_out() from None
            result.body = b"".join(chunks)
            raise _Failure(
                f"body read failed: {_body_error(exc)}", status, retryable=True, host_failure=True
            ) from None
        if exchange.expired:  # the deadline closed the connection: what arrived is not the whole body
            raise timed_out()
        if declared is not None and decoder.fed < declared:
            result.body = b"".join(chunks)
            raise _Failure(
                f"body read failed: truncated body ({decoder.fed} of {declared} bytes of Content-Length "
                "arrived)",
                status,
                retryable=True,
                host_failure=True,
            )
        decoder.finish()
        return b"".join(chunks)

    # --- politeness -----------------------------------------------------------------------------------

    def _throttle(self, key: str, rate: float | None) -> None:
        interval = 1.0 / rate if rate and rate > 0 else 0.0
        robots = self._robots.get(key)
        if robots is not None and robots.crawl_delay:
            interval = max(interval, min(robots.crawl_delay, MAX_CRAWL_DELAY_S))
        if interval <= 0:
            return
        wait = self._shared_wait(key, interval)
        if wait is None:
            with self._lock:
                now = time.monotonic()
                slot = max(now, self._next_slot.get(key, 0.0))
                self._next_slot[key] = slot + interval
            wait = slot - now
        if wait > 0:
            logger.debug("rate limit: waiting %.2fs for %s", wait, key)
            time.sleep(wait)

    def _shared_wait(self, key: str, interval: float) -> float | None:
        """The wait for this host's next slot on this machine (:class:`HostSlots`); None when the slots
        are off or their folder cannot be written (then this fetcher spaces its own requests)."""
        if self.host_slots is None:
            return None
        try:
            return self.host_slots.reserve(key, interval)
        except OSError as err:
            logger.warning(
                "host slots in %s unusable (%s): spacing this process's requests only",
                self.host_slots.directory,
                err,
            )
            self.host_slots = None
            return None

    def _check_robots(self, url: str, allow_private: bool, rate: float | None, timeout_s: float) -> None:
        key = host_key(url)
        robots = self._robots_for(url, key, allow_private, rate, timeout_s)
        if robots.refusal:
            raise _Failure(robots.refusal)
        if robots.parser is not None and not robots.parser.can_fetch(self.user_agent, url):
            raise _Failure(f"refused: disallowed by robots.txt ({key}{ROBOTS_PATH})")

    def _robots_for(
        self, url: str, key: str, allow_private: bool, rate: float | None, timeout_s: float
    ) -> _Robots:
        with self._lock:
            host_lock = self._robots_locks.setdefault(key, threading.Lock())
        with host_lock:
            cached = self._robots.get(key)
            if cached is not None:
                ttl = ROBOTS_FAILURE_TTL_S if cached.refusal else ROBOTS_CACHE_TTL_S
                if time.monotonic() - cached.loaded_at < ttl:
                    return cached
            robots = self._load_robots(urljoin(url, ROBOTS_PATH), allow_private, rate, timeout_s)
            self._robots[key] = robots
            return robots

    def _load_robots(
        self, robots_url: str, allow_private: bool, rate: float | None, timeout_s: float
    ) -> _Robots:
        result = self._get(
            robots_url,
            allow_private=allow_private,
            rate=rate,
            timeout_s=timeout_s,
            max_bytes=ROBOTS_MAX_BYTES,
            extra_headers={},
            check_robots=False,
            check_type=None,
        )
        refusal = None
        parsed: RobotFileParser | None = None
        status = result.status
        if status is not None and 200 <= status < 300:  # a robots.txt over the size cap: its first part
            parsed = RobotFileParser(robots_url)
            parsed.parse(result.body.decode("utf-8", errors="replace").splitlines())
        elif status in (401, 403):
            refusal = f"refused: robots.txt forbids all access (HTTP {status})"
        elif status is not None and 400 <= status < 500:
            pass  # no robots.txt: everything is allowed
        else:
            refusal = f"refused: robots.txt could not be read ({result.error or f'HTTP {status}'})"
        delay = parsed.crawl_delay(self.user_agent) if parsed else None
        logger.info("robots.txt %s: HTTP %s%s", robots_url, status, f", crawl-delay {delay}" if delay else "")
        return _Robots(
            parser=parsed,
            loaded_at=time.monotonic(),
            crawl_delay=float(delay) if delay else None,
            refusal=refusal,
        )


def _headers(response: requests.Response) -> dict[str, str]:
    """The response headers worth keeping with a page (:data:`KEPT_HEADERS`), each size-bounded."""
    kept: dict[str, str] = {}
    for name, value in response.headers.items():
        key = name.lower()
        if key in KEPT_HEADERS and key not in UNRECORDED_HEADERS:
            kept[key] = value[:MAX_KEPT_HEADER_CHARS]
    return kept


def _body_error(exc: BaseException) -> str:
    """A short reason for a body read that broke (urllib3 nests the cause in its arguments)."""
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError | TimeoutError):
        return "read timed out"
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        cause = next((a for a in exc.args if isinstance(a, BaseException)), None)
        if cause is not None and "IncompleteRead" in type(cause).__name__:
            return f"connection closed before the whole body arrived ({_short(cause)})"
        if isinstance(cause, ConnectionResetError):
            return "connection reset by the server"
        return f"connection broken ({_short(cause or exc)})"
    return _short(exc)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _attempts(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"
