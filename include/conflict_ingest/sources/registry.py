"""Sources are data: ``include/sources.yaml`` says which sites to read and how to find their articles.

A source is a feed (RSS 0.9x/1.0/2.0 or Atom: :mod:`~conflict_ingest.sources.feeds`), a sitemap (a
``urlset`` or ``sitemapindex`` followed to a bounded depth, gzipped or plain text, or the sitemaps a
robots.txt names: :mod:`~conflict_ingest.sources.sitemaps`), a news-search API asked for the day's
articles (``gdelt_doc``: :mod:`~conflict_ingest.sources.gdelt`, ``reliefweb``:
:mod:`~conflict_ingest.sources.reliefweb`) or a fixed list of URLs. This module
validates the file (:func:`load_sources`) and :func:`discover` turns one source and one data interval
``[start, end)`` into the article URLs published in it: :data:`DISCOVERERS` says which module reads
a kind; the entries it returns are kept when their date falls in the window. ``urls`` sources yield
all their URLs on every run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conflict_ingest.errors import ConfigError
from conflict_ingest.settings import (
    DEFAULT_FETCH_MAX_BYTES,
    DEFAULT_FETCH_TIMEOUT_S,
    DEFAULT_RATE_LIMIT_PER_S,
)
from conflict_ingest.sources import feeds, gdelt, reliefweb, sitemaps
from conflict_ingest.sources.base import (  # re-exported: what other modules import from here
    Discovered,
    DiscoveryError,
    Fetcher,
    day_of,
    in_window,
    parse_feed_date,
)
from conflict_ingest.sources.families import DEFAULT_FAMILY, FAMILY_RE
from conflict_ingest.sources.sitemaps import MAX_SITEMAP_DEPTH, MAX_SITEMAPS

__all__ = [
    "DISCOVERERS",
    "KINDS",
    "MAX_SITEMAPS",
    "MAX_SITEMAP_DEPTH",
    "SEARCH_KINDS",
    "Discovered",
    "DiscoveryError",
    "Fetcher",
    "Source",
    "day_of",
    "discover",
    "in_window",
    "load_sources",
    "parse_feed_date",
    "parse_sources",
]

logger = logging.getLogger(__name__)

KINDS = ("rss", "atom", "sitemap", "urls", "gdelt_doc", "reliefweb")
FEED_KINDS = ("rss", "atom", "sitemap")
#: A news-search kind's own keys and their validator (raw entry, label -> the keys kept in ``Source.search``).
SearchOptions = tuple[frozenset[str], Callable[[dict[str, Any], str], dict[str, Any]]]
SEARCH_OPTIONS: dict[str, SearchOptions] = {
    "gdelt_doc": (gdelt.OPTION_KEYS, gdelt.parse_options),
    "reliefweb": (reliefweb.OPTION_KEYS, reliefweb.parse_options),
}
SEARCH_KINDS = tuple(SEARCH_OPTIONS)
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
    search = SEARCH_OPTIONS[kind][1](raw, label) if kind in SEARCH_OPTIONS else None
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
    if isinstance(kind, str) and kind in SEARCH_OPTIONS:
        return SEARCH_OPTIONS[kind][0]
    return frozenset()


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


# --- discovery -------------------------------------------------------------------------------------------

#: How each fetched kind is read: ``(source, start, end, fetcher)`` -> every entry the source's
#: documents give, dated or not (:func:`discover` keeps those dated inside the window). The declared
#: kind picks the reader; the document decides how it is read (a feed URL serving a sitemap is
#: read as a sitemap, and the other way round). The news-search kinds ask their API for the window
#: (their entries are dated and inside it already).
Discoverer = Callable[[Source, dt.date, dt.date, Fetcher], list[Discovered]]
DISCOVERERS: dict[str, Discoverer] = {
    "rss": feeds.discover,
    "atom": feeds.discover,
    "sitemap": sitemaps.discover,
    "gdelt_doc": gdelt.discover,
    "reliefweb": reliefweb.discover,
}


def discover(source: Source, start: dt.date, end: dt.date, fetcher: Fetcher) -> list[Discovered]:
    """Article URLs of ``source`` whose feed/sitemap/search date falls in ``[start, end)`` (UTC days).

    A ``urls`` source yields all its URLs every time (with no date). Entries without a usable
    date are skipped (logged). Raises :class:`DiscoveryError` when the feed/sitemap cannot be
    fetched or is not a feed or sitemap, or a search API's answer cannot be read; a feed with no
    entry in the window gives an empty list.
    """
    if isinstance(start, dt.datetime) or isinstance(end, dt.datetime):
        raise TypeError("discover takes dates, not datetimes")
    if end <= start:
        raise ValueError(f"empty window: start {start} is not before end {end}")
    if source.kind == "urls":
        return [Discovered(url=u) for u in source.urls]
    entries = DISCOVERERS[source.kind](source, start, end, fetcher)
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
