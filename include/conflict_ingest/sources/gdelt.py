"""Discovery kind ``gdelt_doc``: the GDELT DOC 2.0 API's article list for the run's day.

One request (GET ``url``, by default ``https://api.gdeltproject.org/api/v2/doc/doc``) is::

    ?query=QUERY sourcelang:LANGUAGE&mode=ArtList&format=json&maxrecords=N&sort=DateDesc
     &startdatetime=YYYYMMDDHHMMSS&enddatetime=YYYYMMDDHHMMSS

and answers ``{"articles": [{"url", "url_mobile", "title", "seendate": "YYYYMMDDTHHMMSSZ",
"socialimage", "domain", "language", "sourcecountry"}, ...]}`` (GDELT's "GDELT DOC 2.0 API Debuts"
post). What the API does besides, and how this module answers it:

- at most 250 articles per request (``maxrecords``; 75 by default) and no offset: a time slice that
  comes back full is split in two halves, breadth first (the whole day, then its halves, then their
  halves), down to :data:`MIN_SLICE` (GDELT updates every 15 minutes), and at most ``max_requests``
  requests per source and run; a full slice that cannot be split, or slices left when the cap is
  reached, are logged (the day's list is then incomplete, never wrong);
- no articles: an empty body or ``{}`` (no ``articles``): an empty list, not an error;
- rate limiting: "Please limit requests to one every 5 seconds", as plain text with HTTP 200 or with
  HTTP 429: the fetcher retries 429 itself (backoff, ``Retry-After``); a 200 with the message is
  asked again up to :data:`RATE_LIMIT_RETRIES` times after the source's rate-limit interval (at least
  :data:`GDELT_INTERVAL_S` on GDELT's own host, whatever ``rate_limit_per_s`` says), then a
  :class:`DiscoveryError`;
- a query it refuses (too short or too common a word, ``OR`` without parentheses) is answered with a
  one-line message as text or HTML: a :class:`DiscoveryError` quoting it;
- only the last three months are searchable: a backfill of an older day finds nothing.

Each article is a :class:`Discovered` (``url``, ``published`` = ``seendate``: when GDELT first saw
it, ``title``), kept when its ``seendate`` falls in the day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import time
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from conflict_ingest.errors import ConfigError
from conflict_ingest.sources import search
from conflict_ingest.sources.base import Discovered, DiscoveryError, Fetcher, in_window

if TYPE_CHECKING:
    from conflict_ingest.sources.registry import Source

logger = logging.getLogger(__name__)

OPTION_KEYS = frozenset({"query", "source_language", "max_records", "max_requests"})
API_MAX_RECORDS = 250  # the API's ceiling for maxrecords
DEFAULT_MAX_REQUESTS = 24  # per source and run: 2 minutes at one request every 5 s
MAX_REQUESTS = 200
MIN_SLICE = dt.timedelta(minutes=15)  # GDELT's update interval: a finer slice finds nothing new
GDELT_HOST = "api.gdeltproject.org"
GDELT_INTERVAL_S = 5.0  # "Please limit requests to one every 5 seconds"
RATE_LIMIT_RETRIES = 2  # a 200 answered with the rate-limit message is asked again this many times
RATE_LIMIT_RE = re.compile(r"limit requests to one every\s+\d+\s+seconds?", re.IGNORECASE)
LANGUAGE_RE = re.compile(r"[A-Za-z]+")
SEENDATE_FORMAT = "%Y%m%dT%H%M%SZ"
DATETIME_FORMAT = "%Y%m%d%H%M%S"


@dataclasses.dataclass(frozen=True)
class Options:
    """A ``gdelt_doc`` source's keys, validated."""

    query: str
    source_language: str | None = None
    max_records: int = API_MAX_RECORDS
    max_requests: int = DEFAULT_MAX_REQUESTS

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Options:
        return cls(**(data or {}))

    @property
    def full_query(self) -> str:
        """The query sent: the configured one, with ``sourcelang:`` appended when a language is set."""
        if self.source_language is None:
            return self.query
        return f"{self.query} sourcelang:{self.source_language}"


def parse_options(raw: dict[str, Any], label: str) -> dict[str, Any]:
    """Validate a ``gdelt_doc`` source's keys (when the sources file loads); the JSON-safe form."""
    search.check_api_url(raw.get("url"), label)
    query = search.text(raw, "query", label, required=True)
    assert query is not None
    if "sourcelang:" in query.lower():
        raise ConfigError(f"{label}: set the language with source_language, not sourcelang: in query")
    language = search.text(raw, "source_language", label)
    if language is not None and not LANGUAGE_RE.fullmatch(language):
        raise ConfigError(f"{label}: source_language must be one word (english, french), got {language!r}")
    options = Options(
        query=query,
        source_language=language.lower() if language else None,
        max_records=search.whole(
            raw, "max_records", label, default=API_MAX_RECORDS, low=1, high=API_MAX_RECORDS
        ),
        max_requests=search.whole(
            raw, "max_requests", label, default=DEFAULT_MAX_REQUESTS, low=1, high=MAX_REQUESTS
        ),
    )
    return dataclasses.asdict(options)


# --- requests ------------------------------------------------------------------------------------------


def request_url(api_url: str, options: Options, start: dt.datetime, end: dt.datetime) -> str:
    """The GET URL of one article-list request for ``[start, end]`` (UTC)."""
    params = [
        ("query", options.full_query),
        ("mode", "ArtList"),
        ("format", "json"),
        ("maxrecords", str(options.max_records)),
        ("sort", "DateDesc"),
        ("startdatetime", _utc(start).strftime(DATETIME_FORMAT)),
        ("enddatetime", _utc(end).strftime(DATETIME_FORMAT)),
    ]
    return f"{api_url}?{urlencode(params, quote_via=quote)}"


def split_slice(start: dt.datetime, end: dt.datetime) -> tuple[tuple[dt.datetime, dt.datetime], ...] | None:
    """The two halves of a slice (whole seconds), or None when a half would be under :data:`MIN_SLICE`."""
    if end - start < 2 * MIN_SLICE:
        return None
    middle = start + dt.timedelta(seconds=int((end - start).total_seconds()) // 2)
    return (start, middle), (middle, end)


def parse_seendate(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.strptime(value.strip(), SEENDATE_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def parse_articles(text_body: str, where: str) -> list[dict[str, Any]]:
    """The ``articles`` of an answer: ``[]`` for an empty body or ``{}``; a DiscoveryError when the
    answer is not the documented object."""
    if not text_body:
        return []
    data = search.parse_json(text_body, where)
    if not isinstance(data, dict):
        raise DiscoveryError(f"{where}: expected a JSON object with 'articles', got {type(data).__name__}")
    articles = data.get("articles", [])
    if not isinstance(articles, list):
        raise DiscoveryError(f"{where}: 'articles' is {type(articles).__name__}, not a list")
    return [a for a in articles if isinstance(a, dict)]


def to_discovered(article: dict[str, Any]) -> Discovered | None:
    url = search.page_url(article.get("url"))
    if url is None:
        return None
    title = article.get("title")
    title = " ".join(title.split()) if isinstance(title, str) and title.strip() else None
    return Discovered(url=url, published=parse_seendate(article.get("seendate")), title=title)


# --- discovery -----------------------------------------------------------------------------------------


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC) if value.tzinfo else value


def _rate_wait_s(source: Source) -> float:
    """Seconds between two requests to the API host: the source's interval, at least 5 s on GDELT's own."""
    interval = 1.0 / source.rate_limit_per_s if source.rate_limit_per_s else 0.0
    if (urlsplit(source.url or "").hostname or "").lower() == GDELT_HOST:
        interval = max(interval, GDELT_INTERVAL_S)
    return interval


def polite_source(source: Source) -> Source:
    """``source`` with its rate limit lowered to one request every 5 s when it asks GDELT's own host."""
    interval = _rate_wait_s(source)
    if interval and (not source.rate_limit_per_s or 1.0 / source.rate_limit_per_s < interval):
        return dataclasses.replace(source, rate_limit_per_s=1.0 / interval)
    return source


def _search_slice(
    source: Source, options: Options, fetcher: Fetcher, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    url = request_url(source.url or "", options, start, end)
    where = f"source {source.id!r}: GDELT {start:%Y-%m-%dT%H:%M}Z..{end:%Y-%m-%dT%H:%M}Z"
    for attempt in range(RATE_LIMIT_RETRIES + 1):
        result = search.fetch_api(source, url, fetcher)
        if not result.ok() or result.not_modified:
            hint = " (GDELT asks for one request every 5 seconds)" if result.status == 429 else ""
            raise DiscoveryError(f"{where}: cannot fetch {url}: {result.error or result.status}{hint}")
        body = search.body_text(result)
        if body and not body.startswith(("{", "[")):
            if RATE_LIMIT_RE.search(body):
                if attempt < RATE_LIMIT_RETRIES:
                    logger.warning("%s: rate limited (%s); asking again", where, search.short(body))
                    if not source.rate_limit_per_s:  # no throttle in the fetcher to space the next request
                        time.sleep(GDELT_INTERVAL_S)
                    continue
                raise DiscoveryError(
                    f"{where}: rate limited {attempt + 1} times in a row: {search.short(body)!r}"
                )
            raise DiscoveryError(f"{where}: GDELT refused the request: {search.short(body)!r}")
        return parse_articles(body, where)
    raise AssertionError("unreachable")  # pragma: no cover


def discover(source: Source, start: dt.date, end: dt.date, fetcher: Fetcher) -> list[Discovered]:
    """The articles GDELT lists for ``[start, end)`` (UTC days), time slices split while they come back full."""
    options = Options.from_dict(source.search)
    source = polite_source(source)
    window = (
        dt.datetime.combine(start, dt.time(), dt.UTC),
        dt.datetime.combine(end, dt.time(), dt.UTC),
    )
    pending: deque[tuple[dt.datetime, dt.datetime]] = deque([window])
    found: dict[str, Discovered] = {}
    requests = listed = dropped = 0
    while pending:
        if requests >= options.max_requests:
            logger.warning(
                "source %s: request cap of %d reached; %d time slice(s) not searched, the day's list is "
                "incomplete",
                source.id,
                options.max_requests,
                len(pending),
            )
            break
        slice_start, slice_end = pending.popleft()
        articles = _search_slice(source, options, fetcher, slice_start, slice_end)
        requests += 1
        listed += len(articles)
        if len(articles) >= options.max_records:
            halves = split_slice(slice_start, slice_end)
            if halves is None:
                logger.warning(
                    "source %s: %s..%s still lists %d articles (the maximum) and is not split further; "
                    "some of its articles are not listed",
                    source.id,
                    slice_start.isoformat(),
                    slice_end.isoformat(),
                    len(articles),
                )
            else:
                pending.extend(halves)
        for article in articles:
            item = to_discovered(article)
            if item is None or not in_window(item.published, start, end):
                dropped += 1
                continue
            found.setdefault(item.url, item)
    if dropped:
        logger.info(
            "source %s: %d listed article(s) without a usable URL or date in the day", source.id, dropped
        )
    logger.info(
        "source %s: %d URLs from %d listed articles in %d GDELT request(s) for [%s, %s)",
        source.id,
        len(found),
        listed,
        requests,
        start,
        end,
    )
    return list(found.values())
