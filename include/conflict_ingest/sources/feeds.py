"""RSS and Atom feeds, read by feedparser: RSS 0.9x, 1.0 (RDF) and 2.0, Atom 0.3 and 1.0.

feedparser only parses here: it is handed the bytes the project's own fetcher got (polite,
size-capped, SSRF-safe), as a file object (given ``bytes`` it would first try them as a local file
name), with the response's URL and type as headers so relative links resolve against the feed's
own address. The document's prolog passes :func:`~conflict_ingest.sources.base.xml_root` first,
which refuses entity declarations.

An entry's URL is its link (Atom: the HTML alternate, else its first link; RSS: ``<link>``, else a
``guid`` that is a permalink, else an RSS 1.0 item's ``rdf:about``), resolved against the feed's URL
(and ``xml:base``) and kept only if http(s); an entry without one is skipped. Its date is
the instant feedparser reads (``published_parsed``: RSS ``pubDate``, Atom ``published``/``issued``;
else ``updated_parsed``: ``dc:date``, Atom ``updated``/``modified``), kept in the offset the feed
wrote it in when :func:`~conflict_ingest.sources.base.parse_feed_date` reads the same instant from
the text (the pipeline passes the date on as a page's publication hint, whose printed day is its
local day) or reads the text with an explicit offset where feedparser lost the time. A date
feedparser cannot read is read by ``parse_feed_date`` alone.

A feed URL that serves a sitemap is read as one: the document decides, not the declared kind.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import time
import xml.sax
from typing import TYPE_CHECKING, Any

import feedparser

from conflict_ingest.sources.base import (
    FEED_ROOTS,
    Discovered,
    DiscoveryError,
    Fetcher,
    fetch_document,
    http_url,
    parse_feed_date,
    xml_root,
)

if TYPE_CHECKING:
    from conflict_ingest.sources.registry import Source

logger = logging.getLogger(__name__)

# feedparser's keys for an entry's dates, most telling first (each has a ``<key>_parsed`` twin).
DATE_KEYS = ("published", "updated")
HTML_LINK_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def discover(source: Source, start: dt.date, end: dt.date, fetcher: Fetcher) -> list[Discovered]:
    """Every entry of the source's feed (dated or not; :func:`registry.discover` keeps the window)."""
    if source.url is None:  # pragma: no cover - load_sources guarantees it
        raise ValueError(f"source {source.id!r} has no url")
    result = fetch_document(source, source.url, fetcher)
    where = f"source {source.id!r}: {source.url}"
    if xml_root(result.body, where) not in FEED_ROOTS:
        from conflict_ingest.sources import sitemaps  # a sitemap (or not a feed at all): it says which

        return sitemaps.read_fetched(source, start, end, fetcher, result)
    return parse_feed(result.body, result.final_url or source.url, where, content_type=result.content_type)


def parse_feed(body: bytes, url: str, where: str, *, content_type: str | None = None) -> list[Discovered]:
    """The entries of one feed document fetched from ``url`` (its prolog already checked)."""
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    parsed = feedparser.parse(io.BytesIO(body.lstrip()), response_headers=headers)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    broken = problem if isinstance(problem, xml.sax.SAXException) else None  # not well-formed
    if not parsed.entries and broken is None and not parsed.get("version"):
        raise DiscoveryError(f"{where}: neither a feed nor a sitemap (feedparser knows no such format)")
    out: list[Discovered] = []
    linkless = 0
    for entry in parsed.entries:
        link = _entry_link(entry, str(parsed.get("version") or ""))
        entry_url = http_url(link, url)
        if entry_url is None:
            linkless += 1
            continue
        title = " ".join(str(entry.get("title") or "").split()) or None
        out.append(Discovered(url=entry_url, published=entry_date(entry), title=title))
    if linkless:
        logger.info("%s: %d entries without an http(s) link skipped", where, linkless)
    if broken is not None:
        if not out:
            raise DiscoveryError(f"{where}: not well-formed XML ({broken})")
        logger.warning("%s: not well-formed XML (%s); read with feedparser's lenient parser", where, broken)
    return out


def _entry_link(entry: Any, version: str) -> str | None:
    """Atom: the HTML alternate link, else the first link (never the ``id``: feedparser offers it as
    ``link`` when an entry has no HTML alternate). RSS: ``<link>``, else a permalink ``guid``
    (feedparser's ``link``), else an RSS 1.0 item's ``rdf:about``."""
    links = [lk for lk in entry.get("links") or () if lk.get("href")]
    if version.startswith("atom"):
        for lk in links:
            if lk.get("rel", "alternate") == "alternate" and lk.get("type", "text/html") in HTML_LINK_TYPES:
                return str(lk["href"])
        return str(links[0]["href"]) if links else None
    if entry.get("link"):
        return str(entry["link"])
    if version == "rss10" and entry.get("id"):
        return str(entry["id"])
    return None


def entry_date(entry: Any) -> dt.date | dt.datetime | None:
    """An entry's date (see the module docstring): feedparser's instant, in the feed's own offset."""
    for key in DATE_KEYS:
        raw = entry.get(key)
        parsed: time.struct_time | None = entry.get(f"{key}_parsed")
        if parsed is not None:
            return _as_written(raw, dt.datetime(*parsed[:6], tzinfo=dt.UTC))
        ours = parse_feed_date(raw) if isinstance(raw, str) else None
        if ours is not None:
            return ours
    return None


def _as_written(raw: Any, instant: dt.datetime) -> dt.date | dt.datetime:
    """``instant`` as the feed wrote it (offset, bare day, fraction of a second) when the text agrees.

    When they disagree and the text carries its own UTC offset, the text wins: feedparser's lenient
    handlers can drop what they do not follow (``2016/12/01 16:05:00 +0100`` becomes midnight UTC).
    """
    ours = parse_feed_date(raw) if isinstance(raw, str) else None
    if isinstance(ours, dt.datetime):
        aware = ours if ours.tzinfo is not None else ours.replace(tzinfo=dt.UTC)
        if aware.replace(microsecond=0) == instant or ours.tzinfo is not None:
            return ours
    elif ours is not None and instant == dt.datetime.combine(ours, dt.time(), tzinfo=dt.UTC):
        return ours
    return instant
