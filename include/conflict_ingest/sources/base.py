"""What discovery of every kind shares: the entry it yields, its error, the fetcher it needs, dates.

:mod:`~conflict_ingest.sources.feeds` reads RSS and Atom, :mod:`~conflict_ingest.sources.sitemaps`
sitemaps; both fetch through the project's :class:`~conflict_ingest.fetch.client.Fetcher` (the
:class:`Fetcher` protocol here) and both look at an XML document's prolog with :func:`xml_root`
first, which refuses entity declarations (billion laughs, external entities) before any parser
sees the document. The news-search kinds (:mod:`~conflict_ingest.sources.gdelt`,
:mod:`~conflict_ingest.sources.reliefweb`) yield the same entries through the same protocol. What a
fetch may read is the fetcher's ``accept`` (:class:`~conflict_ingest.fetch.client.Accept`): feeds the
default, sitemaps ``SITEMAPS``, search APIs ``JSON_API``. :mod:`~conflict_ingest.sources.registry`
re-exports these names.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin, urlsplit
from xml.parsers import expat

from dateutil import parser as date_parser

from conflict_ingest.errors import ConflictIngestError

if TYPE_CHECKING:
    from conflict_ingest.fetch.client import Accept, FetchResult
    from conflict_ingest.sources.registry import Source

logger = logging.getLogger(__name__)

FEED_ROOTS = frozenset({"rss", "RDF", "channel", "feed"})  # RSS 0.9x/2.0, RSS 1.0 (rdf:RDF), Atom
SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
# Used when expat cannot read the prolog (an encoding it does not know): the first tag, and any entity.
FIRST_TAG_RE = re.compile(rb"<([A-Za-z_][\w.:-]*)")
ENTITY_DECL_RE = re.compile(rb"<!ENTITY", re.IGNORECASE)
UNKNOWN_ENCODING = expat.errors.codes[expat.errors.XML_ERROR_UNKNOWN_ENCODING]


class Fetcher(Protocol):
    """What discovery needs from :class:`conflict_ingest.fetch.client.Fetcher`."""

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
    ) -> FetchResult: ...


class DiscoveryError(ConflictIngestError, RuntimeError):
    """A source's feed, sitemap or search API answer could not be fetched or read."""


@dataclass(frozen=True)
class Discovered:
    """An article URL found by discovery, with the date the feed/sitemap gives it."""

    url: str
    published: dt.date | dt.datetime | None = None
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "title": self.title,
        }


def fetch_document(
    source: Source, url: str, fetcher: Fetcher, *, accept: Accept | None = None
) -> FetchResult:
    """``url`` fetched with the source's settings (and ``accept``, when given: the fetcher's
    :data:`~conflict_ingest.fetch.client.PAGES` otherwise); a failure is a :class:`DiscoveryError`."""
    kwargs = source.fetch_kwargs()
    if accept is not None:
        kwargs["accept"] = accept
    result = fetcher.fetch(url, **kwargs)
    if not result.ok() or result.not_modified:
        raise DiscoveryError(f"source {source.id!r}: cannot fetch {url}: {result.error or result.status}")
    return result


# --- dates ---------------------------------------------------------------------------------------------


def parse_feed_date(text: str | None) -> dt.date | dt.datetime | None:
    """RFC 822 (RSS ``pubDate``), ISO 8601 / W3C datetime (Atom, sitemaps); a bare day gives a date."""
    if not text or not text.strip():
        return None
    text = " ".join(text.split())
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return date_parser.parse(text)
    except (ValueError, OverflowError):
        logger.debug("unparseable feed date %r", text)
        return None


def day_of(value: dt.date | dt.datetime) -> dt.date:
    """The UTC day of a feed date (naive datetimes are taken as UTC)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.date()
    return value


def in_window(value: dt.date | dt.datetime | None, start: dt.date, end: dt.date) -> bool:
    return value is not None and start <= day_of(value) < end


# --- the XML guard -------------------------------------------------------------------------------------


class _RootFound(ConflictIngestError):  # a signal that stops expat at the root element, not an error
    def __init__(self, name: str) -> None:
        self.name = name


def xml_root(body: bytes, where: str) -> str | None:
    """The local name of an XML document's root element, or None when the body is not XML.

    Only the prolog is read (expat stops at the root's start tag), so this costs next to nothing.
    A document that declares an entity (the billion-laughs bomb, an external entity) is refused
    with a :class:`DiscoveryError` whatever parser would read it next: feedparser's own defence is
    a regular expression over the prolog, sitemaps are read with defusedxml. A DOCTYPE without
    entity declarations (RSS 0.91's Netscape DTD) is fine: no DTD is ever fetched.
    """
    body = body.lstrip()  # blank lines before the XML declaration are common and harmless
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def start(name: str, attrs: Any) -> None:
        raise _RootFound(name.rsplit(" ", 1)[-1])

    def entity(name: str, *args: Any) -> None:
        raise DiscoveryError(f"{where}: refused XML (declares entity {name!r}; entities are never expanded)")

    parser.StartElementHandler = start
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    try:
        parser.Parse(body, True)
    except _RootFound as found:
        return found.name
    except (expat.ExpatError, ValueError, LookupError) as exc:  # an encoding expat cannot read: the others
        head = body.removeprefix(codecs.BOM_UTF8).lstrip()
        if not head.startswith(b"<"):
            return None  # plain text (or nothing): not XML
        if not isinstance(exc, expat.ExpatError) or exc.code == UNKNOWN_ENCODING:
            return _root_by_pattern(head, where)
        raise DiscoveryError(f"{where}: not well-formed XML ({exc})") from exc
    if body.startswith(b"<"):  # pragma: no cover - expat reports a document without an element
        raise DiscoveryError(f"{where}: not well-formed XML (no root element)")
    return None


def _root_by_pattern(head: bytes, where: str) -> str | None:
    """The root of a document in an encoding expat does not know (ASCII-compatible ones: gb2312, ...)."""
    for match in FIRST_TAG_RE.finditer(head):
        if ENTITY_DECL_RE.search(head, 0, match.start()):
            raise DiscoveryError(f"{where}: refused XML (declares an entity; entities are never expanded)")
        return match.group(1).decode("ascii").rsplit(":", 1)[-1]
    raise DiscoveryError(f"{where}: not well-formed XML (no root element)")


def http_url(raw: str | None, base: str) -> str | None:
    """``raw`` made absolute against ``base`` (a feed's or sitemap's own URL), when it is an http(s) URL."""
    if not raw or not raw.strip():
        return None
    url = urljoin(base, raw.strip())
    return url if urlsplit(url).scheme in ("http", "https") else None
