"""Discovery kind ``reliefweb``: ReliefWeb's reports of the run's day (the ReliefWeb API, version 2).

One request is a GET of ``url`` (``https://api.reliefweb.int/v2/reports``) with the parameters in its
query string, as ReliefWeb documents them (apidoc.reliefweb.int, "Parameters"; POST takes the same
as JSON, but the fetcher only GETs)::

    ?appname=APPNAME&query[value]=QUERY
     &filter[operator]=AND
     &filter[conditions][0][field]=date.created
     &filter[conditions][0][value][from]=DAYT00:00:00+00:00&...[value][to]=DAYT23:59:59+00:00
     &filter[conditions][1][field]=country.iso3&filter[conditions][1][value][]=UKR&...[operator]=OR
     &fields[include][]=title&fields[include][]=url&fields[include][]=url_alias&fields[include][]=date
     &sort[]=date.created:asc&sort[]=id:asc&limit=N&offset=K

and answers ``{"totalCount", "count", "data": [{"id", "score", "fields": {...}, "href"}], "links"}``.
Pages are read by ``offset`` until ``totalCount`` is reached, at most ``max_requests`` of them.

What the API asks, and how this module answers it:

- ``appname`` on every call; since 1 November 2025 it must be **pre-approved** by ReliefWeb (request
  one with their form); an appname they do not know is refused with HTTP 403, reported as such;
- version 1 is retired (HTTP 410): a ``/v1/`` URL is refused when the sources file loads;
- ``limit`` is at most 1000; the quota is 1000 calls a day per appname (``max_requests`` bounds a
  source's share);
- an error is JSON with ``error.message``: quoted in the :class:`DiscoveryError`.

Each report is a :class:`Discovered`: its page on reliefweb.int (``url_alias``, else ``url``), its date
(``date.created``, or ``date.original`` with ``date_field: original``) and its title.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from conflict_ingest.errors import ConfigError
from conflict_ingest.sources import search
from conflict_ingest.sources.base import (
    Discovered,
    DiscoveryError,
    Fetcher,
    in_window,
    parse_feed_date,
)

if TYPE_CHECKING:
    from conflict_ingest.sources.registry import Source

logger = logging.getLogger(__name__)

OPTION_KEYS = frozenset(
    {"appname", "query", "countries", "themes", "languages", "date_field", "max_records", "max_requests"}
)
API_MAX_LIMIT = 1000  # "Valid values are between 0 and 1000"
DEFAULT_LIMIT = 100
DEFAULT_MAX_REQUESTS = 10
MAX_REQUESTS = 100  # of ReliefWeb's 1000 calls a day per appname
DATE_FIELDS = ("created", "original")
FIELDS = ("title", "url", "url_alias", "date.created", "date.original")
ISO3_RE = re.compile(r"[A-Z]{3}")
LANGUAGE_RE = re.compile(r"[a-z]{2}")
APPNAME_RE = re.compile(r"[^\s\x00-\x1f\x7f]+")
APPNAME_HELP = (
    "since 1 November 2025 ReliefWeb answers only pre-approved appnames: request one at "
    'https://apidoc.reliefweb.int/parameters#appname and set it here (for example "${RELIEFWEB_APPNAME}")'
)
STATUS_HINTS = {
    403: f"ReliefWeb refused the appname; {APPNAME_HELP}",
    410: "this API version is retired; use https://api.reliefweb.int/v2/reports",
    429: "rate limited; ReliefWeb allows 1000 calls a day per appname",
}


@dataclasses.dataclass(frozen=True)
class Options:
    """A ``reliefweb`` source's keys, validated."""

    appname: str
    query: str | None = None
    countries: list[str] = dataclasses.field(default_factory=list)
    themes: list[str] = dataclasses.field(default_factory=list)
    languages: list[str] = dataclasses.field(default_factory=list)
    date_field: str = "created"
    max_records: int = DEFAULT_LIMIT
    max_requests: int = DEFAULT_MAX_REQUESTS

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Options:
        return cls(**(data or {}))


def parse_options(raw: dict[str, Any], label: str) -> dict[str, Any]:
    """Validate a ``reliefweb`` source's keys (when the sources file loads); the JSON-safe form."""
    url = raw.get("url")
    search.check_api_url(url, label)
    path = urlsplit(url).path.rstrip("/") if isinstance(url, str) else ""
    if "/v1/" in path + "/" or "/v0/" in path + "/":
        raise ConfigError(f"{label}: url {url!r}: {STATUS_HINTS[410]}")
    if not path.endswith("/reports"):
        raise ConfigError(f"{label}: url {url!r} must be the reports endpoint (…/v2/reports)")
    if raw.get("enabled", True) is False and raw.get("appname") in (None, ""):
        appname = ""  # a disabled source may wait for ReliefWeb's approval: "${RELIEFWEB_APPNAME:-}"
    else:
        appname = search.text(raw, "appname", label, required=True) or ""
    if appname and not APPNAME_RE.fullmatch(appname):
        raise ConfigError(f"{label}: appname must have no blanks or control characters, got {appname!r}")
    date_field = raw.get("date_field", "created")
    if date_field not in DATE_FIELDS:
        raise ConfigError(f"{label}: date_field must be one of {', '.join(DATE_FIELDS)}, got {date_field!r}")
    options = Options(
        appname=appname,
        query=search.text(raw, "query", label),
        countries=search.text_list(raw, "countries", label),
        themes=search.text_list(raw, "themes", label),
        languages=search.text_list(raw, "languages", label, pattern=LANGUAGE_RE),
        date_field=date_field,
        max_records=search.whole(raw, "max_records", label, default=DEFAULT_LIMIT, low=1, high=API_MAX_LIMIT),
        max_requests=search.whole(
            raw, "max_requests", label, default=DEFAULT_MAX_REQUESTS, low=1, high=MAX_REQUESTS
        ),
    )
    return dataclasses.asdict(options)


# --- requests ------------------------------------------------------------------------------------------


def _any_of(field: str, values: list[str]) -> dict[str, Any]:
    return {"field": field, "value": list(values), "operator": "OR"}


def country_condition(countries: list[str]) -> dict[str, Any]:
    """ISO3 codes match ``country.iso3``, other entries ``country.name``; both kinds: either matches."""
    codes = [c for c in countries if ISO3_RE.fullmatch(c)]
    names = [c for c in countries if not ISO3_RE.fullmatch(c)]
    if codes and names:
        return {
            "operator": "OR",
            "conditions": [_any_of("country.iso3", codes), _any_of("country.name", names)],
        }
    return _any_of("country.iso3", codes) if codes else _any_of("country.name", names)


def request_filter(options: Options, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The ``filter`` of a request: the date range (UTC days ``[start, end)``) and the configured facets."""
    last = dt.datetime.combine(end, dt.time(), dt.UTC) - dt.timedelta(seconds=1)
    conditions: list[dict[str, Any]] = [
        {
            "field": f"date.{options.date_field}",
            "value": {
                "from": dt.datetime.combine(start, dt.time(), dt.UTC).isoformat(),
                "to": last.isoformat(),
            },
        }
    ]
    if options.countries:
        conditions.append(country_condition(options.countries))
    if options.themes:
        conditions.append(_any_of("theme.name", options.themes))
    if options.languages:
        conditions.append(_any_of("language.code", options.languages))
    return {"operator": "AND", "conditions": conditions}


def flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    """A nested value as the bracketed GET parameters ReliefWeb reads (``filter[conditions][0][field]``)."""
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in flatten(f"{prefix}[{key}]", item)]
    if isinstance(value, list):
        if all(isinstance(item, dict) for item in value):
            return [pair for i, item in enumerate(value) for pair in flatten(f"{prefix}[{i}]", item)]
        return [(f"{prefix}[]", str(item)) for item in value]
    return [(prefix, str(value))]


def request_url(api_url: str, options: Options, start: dt.date, end: dt.date, offset: int) -> str:
    """The GET URL of one page of reports (``offset`` into the day's list)."""
    params: list[tuple[str, str]] = [("appname", options.appname)]
    if options.query:
        params.append(("query[value]", options.query))
    params += flatten("filter", request_filter(options, start, end))
    params += [("fields[include][]", name) for name in FIELDS]
    params += [("sort[]", f"date.{options.date_field}:asc"), ("sort[]", "id:asc")]
    params += [("limit", str(options.max_records)), ("offset", str(offset))]
    return f"{api_url}?{urlencode(params, quote_via=quote)}"


# --- answers -------------------------------------------------------------------------------------------


def parse_page(text_body: str, where: str) -> tuple[list[dict[str, Any]], int]:
    """A page's reports and the ``totalCount`` of the whole list."""
    if not text_body:
        raise DiscoveryError(f"{where}: empty answer (ReliefWeb always answers a JSON object)")
    data = search.parse_json(text_body, where)
    if not isinstance(data, dict):
        raise DiscoveryError(f"{where}: expected a JSON object with 'data', got {type(data).__name__}")
    error = data.get("error")
    if error is not None:
        message = error.get("message") if isinstance(error, dict) else error
        raise DiscoveryError(f"{where}: ReliefWeb refused the request: {search.short(str(message))!r}")
    reports, total = data.get("data"), data.get("totalCount")
    if not isinstance(reports, list) or isinstance(total, bool) or not isinstance(total, int):
        raise DiscoveryError(f"{where}: the answer has no 'data' list and 'totalCount' number")
    return [r for r in reports if isinstance(r, dict)], total


def to_discovered(report: dict[str, Any], date_field: str) -> Discovered | None:
    fields = report.get("fields")
    if not isinstance(fields, dict):
        return None
    url = search.page_url(fields.get("url_alias")) or search.page_url(fields.get("url"))
    if url is None:
        return None
    dates = fields.get("date")
    raw_date = dates.get(date_field) if isinstance(dates, dict) else None
    published = parse_feed_date(raw_date) if isinstance(raw_date, str) else None
    title = fields.get("title")
    title = " ".join(title.split()) if isinstance(title, str) and title.strip() else None
    return Discovered(url=url, published=published, title=title)


# --- discovery -----------------------------------------------------------------------------------------


def discover(source: Source, start: dt.date, end: dt.date, fetcher: Fetcher) -> list[Discovered]:
    """The reports ReliefWeb lists for ``[start, end)`` (UTC days), page by page."""
    options = Options.from_dict(source.search)
    found: dict[str, Discovered] = {}
    offset = requests = dropped = 0
    total: int | None = None
    while total is None or offset < total:
        if requests >= options.max_requests:
            logger.warning(
                "source %s: request cap of %d reached at %d of %d reports; the day's list is incomplete",
                source.id,
                options.max_requests,
                offset,
                total,
            )
            break
        url = request_url(source.url or "", options, start, end, offset)
        where = f"source {source.id!r}: ReliefWeb reports of {start} (offset {offset})"
        result = search.fetch_api(source, url, fetcher)
        requests += 1
        if not result.ok() or result.not_modified:
            hint = STATUS_HINTS.get(result.status or 0)
            raise DiscoveryError(
                f"{where}: cannot fetch: {result.error or result.status}" + (f" ({hint})" if hint else "")
            )
        reports, total = parse_page(search.body_text(result), where)
        if not reports:
            break
        offset += len(reports)
        for report in reports:
            item = to_discovered(report, options.date_field)
            if item is None or not in_window(item.published, start, end):
                dropped += 1
                continue
            found.setdefault(item.url, item)
    if dropped:
        logger.info("source %s: %d report(s) without a usable URL or date in the day", source.id, dropped)
    logger.info(
        "source %s: %d URLs from %s reports in %d ReliefWeb request(s) for [%s, %s)",
        source.id,
        len(found),
        total,
        requests,
        start,
        end,
    )
    return list(found.values())
