"""Sources are data: ``include/sources.yaml`` says which sites to read and how to find their articles.

A source is a feed (RSS 2.0, RSS 1.0/RDF or Atom), a sitemap (a ``urlset`` or a ``sitemapindex``,
followed to a bounded depth) or a fixed list of URLs. :func:`discover` turns one source and one
data interval ``[start, end)`` into the article URLs published in it, by the dates the feed or
sitemap gives; ``urls`` sources yield all their URLs on every run. The news-search kinds ``gdelt_doc``
and ``reliefweb`` ask an API for the day's articles instead (:mod:`.gdelt`, :mod:`.reliefweb`).

Feeds and sitemaps are parsed with :mod:`defusedxml` (no entity expansion, no external entities).
The feed's declared ``kind`` is a hint: the document's root element decides how it is read.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element  # type only; parsing goes through defusedxml

import yaml
from dateutil import parser as date_parser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring

from conflict_ingest.errors import ConfigError, ConflictIngestError
from conflict_ingest.settings import (
    DEFAULT_FETCH_MAX_BYTES,
    DEFAULT_FETCH_TIMEOUT_S,
    DEFAULT_RATE_LIMIT_PER_S,
)
from conflict_ingest.sources.families import DEFAULT_FAMILY, FAMILY_RE

if TYPE_CHECKING:
    from conflict_ingest.fetch.client import Accept, FetchResult

logger = logging.getLogger(__name__)

KINDS = ("rss", "atom", "sitemap", "urls", "gdelt_doc", "reliefweb")
# News-search APIs (sources/gdelt.py, sources/reliefweb.py): their own keys are kept in Source.search.
SEARCH_KINDS = ("gdelt_doc", "reliefweb")
FEED_KINDS = ("rss", "atom", "sitemap")
SOURCE_ID_RE = re.compile(r"\A[a-z0-9][a-z0-9-]*\Z")  # \Z: "$" would accept a trailing newline
ENV_REF_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

DEFAULTS: dict[str, Any] = {
    "rate_limit_per_s": DEFAULT_RATE_LIMIT_PER_S,
    "timeout_s": DEFAULT_FETCH_TIMEOUT_S,
    "max_bytes": DEFAULT_FETCH_MAX_BYTES,
}
DEFAULT_KEYS = frozenset({"rate_limit_per_s", "timeout_s", "max_bytes", "allow_private", "max_sitemaps"})
SOURCE_KEYS = frozenset(
    {
        "id",
        "kind",
        "url",
        "urls",
        "allow_private",
        "rate_limit_per_s",
        "timeout_s",
        "max_bytes",
        "max_sitemaps",
        "enabled",
        "description",
        "family",
        # catalogue metadata for people, optional: who publishes the source, when and how its URL and
        # format were last checked (validated here; the pipeline does not use them)
        "owner",
        "last_checked",
        "checked_how",
    }
)
TOP_KEYS = frozenset({"defaults", "sources"})

# An "&" that starts no entity or character reference (invalid XML, common in feed URLs).
BARE_AMPERSAND_RE = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9._-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
MAX_SITEMAPS = 20  # sitemap files read per source and run, the index included
MAX_SITEMAP_DEPTH = 3  # index -> index -> urlset

# Where feeds keep an entry's date, most telling first (local element names, namespaces ignored).
# Sitemaps: <news:publication_date> of a Google News sitemap, else <lastmod>.
RSS_DATE_TAGS = ("pubDate", "date", "published", "updated")  # dc:date for RSS 1.0 / RDF
ATOM_DATE_TAGS = ("published", "updated", "issued", "modified")


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
class Source:
    """One configured source (a row of ``sources.yaml`` with the defaults applied)."""

    id: str
    kind: str
    url: str | None = None
    urls: tuple[str, ...] = ()
    allow_private: bool = False
    rate_limit_per_s: float | None = DEFAULT_RATE_LIMIT_PER_S
    timeout_s: float = DEFAULT_FETCH_TIMEOUT_S
    max_bytes: int = DEFAULT_FETCH_MAX_BYTES
    max_sitemaps: int = MAX_SITEMAPS
    enabled: bool = True
    description: str | None = None
    family: str = DEFAULT_FAMILY
    # a search kind's own keys, validated (gdelt_doc, reliefweb); left out of the hash (a dict)
    search: dict[str, Any] | None = field(default=None, hash=False)

    def fetch_kwargs(self) -> dict[str, Any]:
        """This source's settings as keyword arguments of ``Fetcher.fetch``."""
        return {
            "allow_private": self.allow_private,
            "rate_limit_per_s": self.rate_limit_per_s,
            "timeout_s": self.timeout_s,
            "max_bytes": self.max_bytes,
        }


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


# --- configuration ---------------------------------------------------------------------------------------


def expand_env(value: str, *, where: str, environ: Mapping[str, str] | None = None) -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}`` (an empty variable takes the default, as in the shell)."""
    env = os.environ if environ is None else environ

    def repl(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = env.get(name, "")
        if value:
            return value
        if default is not None:
            return default
        raise ConfigError(f"{where}: environment variable {name} is not set and has no default")

    return ENV_REF_RE.sub(repl, value)


def _expand_tree(node: Any, where: str, environ: Mapping[str, str] | None) -> Any:
    if isinstance(node, str):
        return expand_env(node, where=where, environ=environ)
    if isinstance(node, list):
        return [_expand_tree(v, f"{where}[{i}]", environ) for i, v in enumerate(node)]
    if isinstance(node, dict):
        return {k: _expand_tree(v, f"{where}.{k}", environ) for k, v in node.items()}
    return node


def _number(value: Any, where: str, *, integer: bool = False, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a {'whole ' if integer else ''}number, got {value!r}")
    if integer and not float(value).is_integer():
        raise ConfigError(f"{where} must be a whole number, got {value!r}")
    if value <= 0:
        raise ConfigError(f"{where} must be positive, got {value!r}")
    return int(value) if integer else float(value)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    return value


def _http_url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a URL string, got {value!r}")
    from conflict_ingest.inputs import InputError, check_page_url

    try:  # one URL rule for configured sources, the form and the queue (no credentials, no blanks)
        return check_page_url(value)
    except InputError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def non_empty_text(value: Any, where: str) -> str:
    """``value`` if it is text with something in it (catalogue fields such as ``owner``)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be non-empty text, got {value!r}")
    return value


def checked_date(value: Any, where: str) -> dt.date:
    """A calendar day, as YAML writes it (``2026-12-06``) or as ISO text (``"2026-12-06"``)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{where} must be a date (YYYY-MM-DD), got {value!r}")


def _check_keys(mapping: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"
        )


def parse_sources(data: Any, *, environ: Mapping[str, str] | None = None) -> list[Source]:
    """Validate a loaded ``sources.yaml`` document. Raises ValueError naming the source and field."""
    if not isinstance(data, dict):
        raise ConfigError("sources file must be a mapping with a 'sources' list")
    _check_keys(data, TOP_KEYS, "sources file")
    raw_defaults = data.get("defaults") or {}
    if not isinstance(raw_defaults, dict):
        raise ConfigError("defaults must be a mapping")
    _check_keys(raw_defaults, DEFAULT_KEYS, "defaults")
    defaults = {**DEFAULTS, **_expand_tree(raw_defaults, "defaults", environ)}
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise ConfigError("sources must be a non-empty list")

    sources: list[Source] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_sources):
        label = f"sources[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{label} must be a mapping, got {type(raw).__name__}")
        sid = raw.get("id")
        if not isinstance(sid, str) or not SOURCE_ID_RE.fullmatch(sid):
            raise ConfigError(f"{label}.id must match [a-z0-9][a-z0-9-]*, got {sid!r}")
        label = f"source {sid!r}"
        if sid in seen:
            raise ConfigError(f"{label}: duplicate id")
        seen.add(sid)
        _check_keys(raw, SOURCE_KEYS | kind_keys(raw.get("kind")), label)
        merged = {**defaults, **_expand_tree(raw, label, environ)}
        sources.append(_build_source(sid, merged, label))
    return sources


def _build_source(sid: str, raw: dict[str, Any], label: str) -> Source:
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{label}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    url: str | None = None
    urls: tuple[str, ...] = ()
    if kind == "urls":
        if raw.get("url") is not None:
            raise ConfigError(f"{label}: a 'urls' source lists its pages in urls, not url")
        raw_urls = raw.get("urls")
        if not isinstance(raw_urls, list) or not raw_urls:
            raise ConfigError(f"{label}: urls must be a non-empty list of URLs")
        urls = tuple(dict.fromkeys(_http_url(u, f"{label}: urls[{i}]") for i, u in enumerate(raw_urls)))
    else:
        if raw.get("urls") is not None:
            raise ConfigError(f"{label}: a {kind!r} source takes one url, not urls")
        url = _http_url(raw.get("url"), f"{label}: url")
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        raise ConfigError(f"{label}: description must be text")
    family = raw.get("family", DEFAULT_FAMILY)
    if not isinstance(family, str) or not FAMILY_RE.fullmatch(family):
        raise ConfigError(f"{label}: family must match [a-z0-9][a-z0-9_]*, got {family!r}")
    for key in ("owner", "checked_how"):
        if raw.get(key) is not None:
            non_empty_text(raw[key], f"{label}: {key}")
    if raw.get("last_checked") is not None:
        checked_date(raw["last_checked"], f"{label}: last_checked")
    search = _search_module(kind).parse_options(raw, label) if kind in SEARCH_KINDS else None
    return Source(
        id=sid,
        kind=kind,
        url=url,
        urls=urls,
        allow_private=_bool(raw.get("allow_private", False), f"{label}: allow_private"),
        rate_limit_per_s=_number(raw.get("rate_limit_per_s"), f"{label}: rate_limit_per_s", allow_none=True),
        timeout_s=_number(raw.get("timeout_s"), f"{label}: timeout_s"),
        max_bytes=_number(raw.get("max_bytes"), f"{label}: max_bytes", integer=True),
        max_sitemaps=_number(raw.get("max_sitemaps", MAX_SITEMAPS), f"{label}: max_sitemaps", integer=True),
        enabled=_bool(raw.get("enabled", True), f"{label}: enabled"),
        description=description,
        family=family,
        search=search,
    )


def kind_keys(kind: Any) -> frozenset[str]:
    """The keys a kind takes besides :data:`SOURCE_KEYS` (a search kind's query, filters, page size)."""
    keys: frozenset[str] = _search_module(kind).OPTION_KEYS
    return keys


def _search_module(kind: Any) -> Any:
    """The module of a search kind (imported on use: it imports this one); a stand-in with no keys else."""
    if kind == "gdelt_doc":
        from conflict_ingest.sources import gdelt

        return gdelt
    if kind == "reliefweb":
        from conflict_ingest.sources import reliefweb

        return reliefweb
    return _NoSearch


class _NoSearch:
    OPTION_KEYS: frozenset[str] = frozenset()


def load_sources(
    path: str | Path, *, environ: Mapping[str, str] | None = None, include_disabled: bool = False
) -> list[Source]:
    """Read and validate ``sources.yaml``; ``${VAR:-default}`` references are expanded at load time.

    Disabled sources (``enabled: false``) are validated but left out unless ``include_disabled``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read sources file {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        sources = parse_sources(data, environ=environ)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return [s for s in sources if include_disabled or s.enabled]


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


# --- XML -------------------------------------------------------------------------------------------------


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(elem: Element, name: str) -> list[Element]:
    return [c for c in elem if _local(c.tag) == name]


def _child_text(elem: Element, names: Iterable[str]) -> str | None:
    """Text of the first direct child named one of ``names`` (tried in order), or None."""
    for name in names:
        for node in elem:
            if _local(node.tag) == name and node.text and node.text.strip():
                return node.text.strip()
    return None


def _news_text(entry: Element, name: str) -> str | None:
    """A Google News sitemap field (``<news:news><news:NAME>``) of a sitemap ``<url>``."""
    for news in _children(entry, "news"):
        text = _child_text(news, (name,))
        if text:
            return text
    return None


def parse_xml(body: bytes, where: str) -> Element:
    """Parse a feed or sitemap with defusedxml: no entity expansion, no DTD-declared entities.

    Feeds in the wild often carry bare ``&`` in URLs; a document that is not well-formed is
    parsed once more with those escaped (``&`` that does not start a reference -> ``&amp;``).
    """
    body = body.lstrip()
    try:
        return _safe_parse(body)
    except DefusedXmlException as exc:
        raise DiscoveryError(f"{where}: refused XML ({type(exc).__name__}: {exc})") from exc
    except ParseError as exc:
        repaired = BARE_AMPERSAND_RE.sub(b"&amp;", body)
        if repaired != body:
            try:
                root = _safe_parse(repaired)
            except (ParseError, DefusedXmlException):
                pass
            else:
                logger.warning("%s: not well-formed XML (%s); read with bare '&' escaped", where, exc)
                return root
        raise DiscoveryError(f"{where}: not well-formed XML ({exc})") from exc


def _safe_parse(body: bytes) -> Element:
    root: Element = safe_fromstring(body)
    return root


def _clean_url(raw: str | None, base: str) -> str | None:
    if not raw or not raw.strip():
        return None
    url = urljoin(base, raw.strip())
    return url if urlsplit(url).scheme in ("http", "https") else None


def parse_rss(root: Element, base_url: str) -> list[Discovered]:
    """RSS 2.0 ``<item>`` (also RSS 1.0/RDF items, which sit beside the channel)."""
    out: list[Discovered] = []
    for item in root.iter():
        if _local(item.tag) != "item":
            continue
        link = _child_text(item, ("link",))
        if link is None:
            guid = next((g for g in _children(item, "guid") if g.get("isPermaLink", "true") != "false"), None)
            link = guid.text if guid is not None else None
        url = _clean_url(link or item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"), base_url)
        if url is None:
            continue
        date_text = _child_text(item, RSS_DATE_TAGS)
        out.append(
            Discovered(url=url, published=parse_feed_date(date_text), title=_child_text(item, ("title",)))
        )
    return out


def _atom_link(entry: Element) -> str | None:
    links = _children(entry, "link")
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("type", "text/html") in (
            "text/html",
            "application/xhtml+xml",
        ):
            return link.get("href")
    return links[0].get("href") if links else None


def parse_atom(root: Element, base_url: str) -> list[Discovered]:
    """Atom ``<entry>``: the alternate link, ``published`` (else ``updated``) and the title."""
    out: list[Discovered] = []
    for entry in root.iter():
        if _local(entry.tag) != "entry":
            continue
        url = _clean_url(_atom_link(entry), base_url)
        if url is None:
            continue
        date_text = _child_text(entry, ATOM_DATE_TAGS)
        title = next((c.text.strip() for c in _children(entry, "title") if c.text and c.text.strip()), None)
        out.append(Discovered(url=url, published=parse_feed_date(date_text), title=title))
    return out


def parse_sitemap(root: Element, base_url: str) -> tuple[list[Discovered], list[Discovered]]:
    """A ``urlset`` gives pages; a ``sitemapindex`` gives child sitemaps. Returns (pages, sitemaps)."""
    pages: list[Discovered] = []
    children: list[Discovered] = []
    kind = _local(root.tag)
    entry_tag = "url" if kind == "urlset" else "sitemap"
    for entry in _children(root, entry_tag):
        url = _clean_url(_child_text(entry, ("loc",)), base_url)
        if url is None:
            continue
        date_text = _news_text(entry, "publication_date") or _child_text(entry, ("lastmod",))
        found = Discovered(url=url, published=parse_feed_date(date_text), title=_news_text(entry, "title"))
        (pages if kind == "urlset" else children).append(found)
    return pages, children


# --- discovery -------------------------------------------------------------------------------------------


@dataclass
class _Walk:
    source: Source
    start: dt.date
    end: dt.date
    fetcher: Fetcher
    sitemaps_read: int = 0
    visited: set[str] = field(default_factory=set)


def _fetch_xml(walk: _Walk, url: str) -> Element:
    source = walk.source
    result = walk.fetcher.fetch(url, **source.fetch_kwargs())
    if not result.ok() or result.not_modified:
        raise DiscoveryError(f"source {source.id!r}: cannot fetch {url}: {result.error or result.status}")
    return parse_xml(result.body, f"source {source.id!r}: {url}")


def _read_document(walk: _Walk, url: str, depth: int) -> list[Discovered]:
    root = _fetch_xml(walk, url)
    kind = _local(root.tag)
    if kind in ("rss", "RDF", "channel"):
        return parse_rss(root, url)
    if kind == "feed":
        return parse_atom(root, url)
    if kind in ("urlset", "sitemapindex"):
        pages, children = parse_sitemap(root, url)
        for child in children:
            pages.extend(_read_child_sitemap(walk, child, depth + 1))
        return pages
    raise DiscoveryError(f"source {walk.source.id!r}: {url} is neither a feed nor a sitemap (root <{kind}>)")


def _read_child_sitemap(walk: _Walk, child: Discovered, depth: int) -> list[Discovered]:
    sid = walk.source.id
    if child.url in walk.visited:
        return []
    if child.published is not None and day_of(child.published) < walk.start:
        logger.debug("source %s: skipping sitemap %s, last modified before %s", sid, child.url, walk.start)
        return []
    if depth > MAX_SITEMAP_DEPTH:
        logger.warning(
            "source %s: sitemap %s nested deeper than %d; skipped", sid, child.url, MAX_SITEMAP_DEPTH
        )
        return []
    if walk.sitemaps_read >= walk.source.max_sitemaps:
        logger.warning("source %s: read %d sitemaps; %s skipped", sid, walk.source.max_sitemaps, child.url)
        return []
    walk.visited.add(child.url)
    walk.sitemaps_read += 1
    return _read_document(walk, child.url, depth)


def discover(source: Source, start: dt.date, end: dt.date, fetcher: Fetcher) -> list[Discovered]:
    """Article URLs of ``source`` whose feed/sitemap date falls in ``[start, end)`` (UTC days).

    A ``urls`` source yields all its URLs every time (with no date). Entries without a usable
    date are skipped (logged). Raises :class:`DiscoveryError` when the feed/sitemap cannot be
    fetched or is not a feed or sitemap; a feed with no entry in the window gives an empty list.
    """
    if isinstance(start, dt.datetime) or isinstance(end, dt.datetime):
        raise TypeError("discover takes dates, not datetimes")
    if end <= start:
        raise ValueError(f"empty window: start {start} is not before end {end}")
    if source.kind == "urls":
        return [Discovered(url=u) for u in source.urls]
    if source.kind in SEARCH_KINDS:
        found_by_search: list[Discovered] = _search_module(source.kind).discover(source, start, end, fetcher)
        return found_by_search
    if source.url is None:  # pragma: no cover - load_sources guarantees it
        raise ValueError(f"source {source.id!r} has no url")

    walk = _Walk(source=source, start=start, end=end, fetcher=fetcher, sitemaps_read=1, visited={source.url})
    entries = _read_document(walk, source.url, depth=0)
    found: dict[str, Discovered] = {}
    undated = 0
    for entry in entries:
        if entry.published is None:
            undated += 1
            continue
        if in_window(entry.published, start, end):
            found.setdefault(entry.url, entry)
    if undated:
        logger.warning("source %s: %d entries without a date were skipped", source.id, undated)
    logger.info("source %s: %d of %d entries in [%s, %s)", source.id, len(found), len(entries), start, end)
    return list(found.values())
