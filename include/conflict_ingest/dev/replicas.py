"""Local replicas of the news-search APIs: real HTTP servers on 127.0.0.1 answering as the real ones do.

- :class:`GdeltReplica` answers ``GET /api/v2/doc/doc`` like the GDELT DOC 2.0 API in article-list
  mode: ``{"articles": [...]}`` (``url``, ``url_mobile``, ``title``, ``seendate`` ``YYYYMMDDTHHMMSSZ``,
  ``socialimage``, ``domain``, ``language``, ``sourcecountry``) for the articles whose ``seendate`` is in
  ``[startdatetime, enddatetime)``, newest first, at most ``maxrecords`` (at most 250; more is refused
  with a text message, as GDELT does), ``sourcelang:`` in the query applied; ``{}`` when none match.
  The words of the query are not matched: every article stands for a hit.
- :class:`ReliefWebReplica` answers ``GET /v2/reports`` like the ReliefWeb API: the documented
  envelope (``totalCount``, ``count``, ``data`` of ``{id, score, fields, href}``, ``links``), the
  bracketed ``filter`` (date ranges, values with ``OR``/``AND``, nested condition groups),
  ``fields[include][]``, ``sort[]``, ``limit`` (at most 1000) and ``offset``; HTTP 403 for an appname it
  was not told to approve, 410 for ``/v1/``.

Both can be told what to answer next, in order, before they answer normally again (:meth:`script`)
or for every request (``always``): :data:`GDELT_ANSWERS` / :data:`RELIEFWEB_ANSWERS` — an empty body,
``{}``, the rate-limit message as text (HTTP 200) or with 429, malformed JSON, a query error. Each keeps
the requests it received (``requests``: path, parsed parameters and ``time.monotonic()`` of arrival), for
tests to check what was asked, and when.

Tests use them; so can a demo of ``conflict-ingest sources check --discover`` (point a source's ``url``
at ``replica.api_url`` with ``allow_private: true``).
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conflict_ingest.dev.stack import LocalHTTPServer

logger = logging.getLogger(__name__)

GDELT_PATH = "/api/v2/doc/doc"
RELIEFWEB_PATH = "/v2/reports"
GDELT_MAX_RECORDS = 250
RELIEFWEB_MAX_LIMIT = 1000
# GDELT's own words (the message its API answers instead of results).
GDELT_RATE_LIMIT_MESSAGE = (
    "Please limit requests to one every 5 seconds or contact kalev.leetaru5@gmail.com for larger queries."
)
GDELT_OR_MESSAGE = "Queries containing OR'd terms must be surrounded by ()."
GDELT_ANSWERS = (
    "normal",
    "empty_body",  # HTTP 200, no body: no articles
    "empty_object",  # {}: no articles
    "rate_limit_text",  # HTTP 200, the rate-limit message as text/plain
    "rate_limit_429",  # HTTP 429 with the message
    "malformed",  # truncated JSON
    "query_error",  # HTTP 200, a one-line text/html message about the query
)
RELIEFWEB_ANSWERS = ("normal", "rate_limit_429", "malformed", "empty_body", "server_error")


# --- shared ----------------------------------------------------------------------------------------------


def nest(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """PHP-style bracketed parameters as nested values: ``a[b][0][c]=x`` -> ``{"a": {"b": {"0": {"c":
    "x"}}}}``; ``a[]=x&a[]=y`` -> ``{"a": ["x", "y"]}``; dicts keyed 0..n-1 are turned into lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head] + ([p.rstrip("]") for p in ("[" + rest).split("[")[1:]] if rest else [])
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":  # "[]": append
                node.append(value)
                break
            if last:
                node[part] = value
                break
            nxt = parts[i + 1]
            node = node.setdefault(part, [] if nxt == "" else {})
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node) and sorted(int(k) for k in node) == list(range(len(node))):
            return [node[str(i)] for i in range(len(node))]
        return node
    if isinstance(node, list):
        return [_listify(v) for v in node]
    return node


@dataclass
class _Replica(LocalHTTPServer):
    """A local HTTP server (:class:`~conflict_ingest.dev.stack.LocalHTTPServer`, on 127.0.0.1) whose
    handler calls :meth:`answer`."""

    always: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    _script: deque[str] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, *answers: str) -> None:
        """Answer the next requests with these, in order, then normally again."""
        with self._lock:
            self._script.extend(answers)

    def _next_answer(self) -> str:
        with self._lock:
            return self._script.popleft() if self._script else (self.always or "normal")

    def handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        replica = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/robots.txt":
                    self._send(404, "text/plain", b"not found")
                    return
                params = parse_qsl(parts.query, keep_blank_values=True)
                with replica._lock:
                    replica.requests.append({"path": parts.path, "params": params, "at": time.monotonic()})
                status, content_type, body = replica.answer(parts.path, params)
                self._send(status, content_type, body)

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                logger.debug("replica: " + format, *args)

        return Handler

    def answer(self, path: str, params: list[tuple[str, str]]) -> tuple[int, str, bytes]:
        raise NotImplementedError


def _json(status: int, value: Any) -> tuple[int, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps(value).encode()


# --- GDELT -------------------------------------------------------------------------------------------------


def gdelt_articles(
    day: dt.date, count: int, base_url: str, *, language: str = "English", step_minutes: int = 15
) -> list[dict[str, Any]]:
    """``count`` articles seen on ``day``, one every ``step_minutes`` from 00:00 UTC (wrapping round the
    day), their pages at ``base_url/news/N.html``."""
    host = urlsplit(base_url).hostname or "news.example"
    out = []
    for n in range(count):
        minutes = (n * step_minutes) % (24 * 60)
        seen = dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(minutes=minutes, seconds=n // 96)
        out.append(
            {
                "url": f"{base_url}/news/{day:%Y%m%d}-{n}.html",
                "url_mobile": "",
                "title": f"Air strikes reported, story {n}",
                "seendate": seen.strftime("%Y%m%dT%H%M%SZ"),
                "socialimage": "",
                "domain": host,
                "language": language,
                "sourcecountry": "United Kingdom",
            }
        )
    return out


def _gdelt_time(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


@dataclass
class GdeltReplica(_Replica):
    """The GDELT DOC 2.0 API's article list, on 127.0.0.1 (see the module's docstring)."""

    articles: list[dict[str, Any]] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return self.url + GDELT_PATH

    def answer(self, path: str, params: list[tuple[str, str]]) -> tuple[int, str, bytes]:
        if path != GDELT_PATH:
            return 404, "text/plain", b"not found"
        kind = self._next_answer()
        if kind == "empty_body":
            return 200, "application/json; charset=utf-8", b""
        if kind == "empty_object":
            return _json(200, {})
        if kind == "rate_limit_text":
            return 200, "text/plain; charset=utf-8", GDELT_RATE_LIMIT_MESSAGE.encode()
        if kind == "rate_limit_429":
            return 429, "text/plain; charset=utf-8", GDELT_RATE_LIMIT_MESSAGE.encode()
        if kind == "malformed":
            return (
                200,
                "application/json; charset=utf-8",
                b'{"articles": [{"url": "https://news.example/a", "ti',
            )
        if kind == "query_error":
            return 200, "text/html; charset=utf-8", b"The specified phrase is too short.\n"
        return self._search(dict(params))

    def _search(self, args: dict[str, str]) -> tuple[int, str, bytes]:
        def refuse(message: str) -> tuple[int, str, bytes]:
            return 200, "text/html; charset=utf-8", message.encode()

        query = args.get("query", "")
        if " OR " in query and not query.lstrip().startswith("("):
            return refuse(GDELT_OR_MESSAGE)
        if args.get("mode", "").lower() != "artlist" or args.get("format", "").lower() != "json":
            return refuse("This replica answers mode=ArtList&format=json only.")
        maxrecords = int(args.get("maxrecords", "75") or 75)
        if maxrecords > GDELT_MAX_RECORDS:
            return refuse(f"Invalid MAXRECORDS: the maximum is {GDELT_MAX_RECORDS}.")
        start = _gdelt_time(args.get("startdatetime", ""))
        end = _gdelt_time(args.get("enddatetime", ""))
        if start is None or end is None:
            return refuse("Invalid STARTDATETIME or ENDDATETIME: YYYYMMDDHHMMSS.")
        language = next(
            (w.split(":", 1)[1].lower() for w in query.split() if w.lower().startswith("sourcelang:")), None
        )
        hits = []
        for article in self.articles:
            seen = dt.datetime.strptime(article["seendate"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            if start <= seen < end and (language is None or article["language"].lower() == language):
                hits.append(article)
        hits.sort(key=lambda a: a["seendate"], reverse=True)
        if not hits:
            return _json(200, {})
        return _json(200, {"articles": hits[:maxrecords]})


# --- ReliefWeb ---------------------------------------------------------------------------------------------


def reliefweb_reports(
    day: dt.date,
    count: int,
    *,
    countries: Iterable[tuple[str, str]] = (("UKR", "Ukraine"),),
    theme: str = "Protection and Human Rights",
    language: str = "en",
    first_id: int = 4_100_000,
) -> list[dict[str, Any]]:
    """``count`` reports created on ``day`` (one every 10 minutes), tagged with ``countries`` ((ISO3,
    name) pairs), ``theme`` and ``language``, as the API's report documents."""
    tags = [{"iso3": iso3.lower(), "name": name} for iso3, name in countries]
    slug = "-".join(tags[0]["name"].lower().split()) if tags else "world"
    out = []
    for n in range(count):
        created = dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(minutes=10 * n % (24 * 60))
        rid = first_id + n
        out.append(
            {
                "id": rid,
                "title": f"{tags[0]['name'] if tags else 'World'}: shelling and air strikes, update {n}",
                "url": f"https://reliefweb.int/node/{rid}",
                "url_alias": f"https://reliefweb.int/report/{slug}/update-{rid}",
                "date": {
                    "created": created.isoformat(),
                    "original": (created - dt.timedelta(days=1)).isoformat(),
                },
                "country": tags,
                "theme": [{"name": theme}],
                "language": [{"code": language}],
            }
        )
    return out


def _values(report: dict[str, Any], field_name: str) -> list[str]:
    """A report's values for a dotted field (``country.iso3`` -> every tagged country's iso3)."""
    node: Any = report
    for part in field_name.split("."):
        if isinstance(node, list):
            node = [item.get(part) for item in node if isinstance(item, dict)]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return []
    items = node if isinstance(node, list) else [node]
    return [str(v) for v in items if v is not None]


def _sort_key(field_name: str, report: dict[str, Any]) -> str:
    return (_values(report, field_name) or [""])[0]


def _matches(report: dict[str, Any], condition: dict[str, Any]) -> bool:
    operator = str(condition.get("operator", "AND")).upper()
    if "conditions" in condition:
        results = [_matches(report, c) for c in condition["conditions"]]
        return any(results) if operator == "OR" else all(results)
    values = _values(report, condition["field"])
    wanted = condition.get("value")
    if isinstance(wanted, dict):  # a range of dates
        stamps = [dt.datetime.fromisoformat(v) for v in values]
        low = dt.datetime.fromisoformat(wanted["from"]) if "from" in wanted else None
        high = dt.datetime.fromisoformat(wanted["to"]) if "to" in wanted else None
        return any((low is None or low <= s) and (high is None or s <= high) for s in stamps)
    wanted_list = wanted if isinstance(wanted, list) else [wanted]
    lowered = {v.lower() for v in values}
    hits = [str(w).lower() in lowered for w in wanted_list]
    return any(hits) if operator == "OR" else all(hits)


@dataclass
class ReliefWebReplica(_Replica):
    """The ReliefWeb API's reports list, on 127.0.0.1 (see the module's docstring)."""

    reports: list[dict[str, Any]] = field(default_factory=list)
    approved: frozenset[str] = frozenset({"conflict-ingest-test"})

    @property
    def api_url(self) -> str:
        return self.url + RELIEFWEB_PATH

    def answer(self, path: str, params: list[tuple[str, str]]) -> tuple[int, str, bytes]:
        if path.startswith("/v1/"):
            return _json(
                410, {"status": 410, "error": {"type": "GoneHttpException", "message": "API v1 is gone."}}
            )
        if path != RELIEFWEB_PATH:
            return 404, "text/plain", b"not found"
        args = nest(params)
        if args.get("appname") not in self.approved:
            return _json(
                403,
                {
                    "status": 403,
                    "error": {
                        "type": "AccessDeniedHttpException",
                        "message": "Unknown or unapproved appname.",
                    },
                },
            )
        kind = self._next_answer()
        if kind == "rate_limit_429":
            return _json(
                429, {"status": 429, "error": {"type": "TooManyRequests", "message": "Quota exceeded."}}
            )
        if kind == "server_error":
            return _json(500, {"status": 500, "error": {"type": "Error", "message": "Internal error."}})
        if kind == "malformed":
            return 200, "application/json", b'{"totalCount": 3, "data": [{"id": "1", "fields": {"title": "x'
        if kind == "empty_body":
            return 200, "application/json", b""
        return self._search(args)

    def _search(self, args: dict[str, Any]) -> tuple[int, str, bytes]:
        def error(message: str) -> tuple[int, str, bytes]:
            return _json(
                400, {"status": 400, "error": {"type": "BadRequestHttpException", "message": message}}
            )

        try:
            limit = int(args.get("limit", 10))
            offset = int(args.get("offset", 0))
        except ValueError:
            return error("Invalid limit or offset.")
        if not 0 <= limit <= RELIEFWEB_MAX_LIMIT:
            return error(f'Invalid "limit" specified. Valid values are between 0 and {RELIEFWEB_MAX_LIMIT}')
        hits = list(self.reports)
        if "filter" in args:
            try:
                hits = [r for r in hits if _matches(r, args["filter"])]
            except (KeyError, TypeError, ValueError) as exc:
                return error(f"Invalid filter: {exc}")
        for spec in reversed(args.get("sort", [])):
            name, _, direction = spec.partition(":")
            hits.sort(key=functools.partial(_sort_key, name), reverse=direction == "desc")
        include = args.get("fields", {}).get("include", ["title"])
        page = hits[offset : offset + limit]
        data = [
            {
                "id": str(r["id"]),
                "score": 1,
                "fields": self._fields(r, include),
                "href": f"{self.api_url}/{r['id']}",
            }
            for r in page
        ]
        return _json(
            200,
            {
                "time": 1,
                "href": self.api_url,
                "links": {"self": {"href": self.api_url}},
                "totalCount": len(hits),
                "count": len(data),
                "data": data,
            },
        )

    @staticmethod
    def _fields(report: dict[str, Any], include: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": report["id"]}
        for name in include:
            head, _, sub = name.partition(".")
            if head not in report:
                continue
            if sub and isinstance(report[head], dict):
                out.setdefault(head, {})[sub] = report[head].get(sub)
            else:
                out[head] = report[head]
        return out
