"""What the news-search discovery kinds share (``gdelt_doc``: :mod:`.gdelt`, ``reliefweb``: :mod:`.reliefweb`).

A search source asks a JSON API for the articles of the run's day instead of reading a feed. Its
requests go through the same :class:`~conflict_ingest.fetch.client.Fetcher` as every page (robots.txt,
the source's rate limit, timeouts, the size cap, private addresses refused unless the source sets
``allow_private``), reading JSON (:data:`~conflict_ingest.fetch.client.JSON_API`) instead of HTML.
The URLs an API returns are third-party input: each must pass the URL rule of every configured or
queued URL (:func:`conflict_ingest.inputs.check_page_url`) or it is dropped, and each page is then
fetched by the fetch stage under the fetcher's address rules like any other page.

The keys of a search source are validated when the sources file is loaded; the parsed, JSON-safe
form is kept in ``Source.search`` (it travels with the run's plan as JSON).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from conflict_ingest.errors import ConfigError
from conflict_ingest.sources.base import DiscoveryError, Fetcher

if TYPE_CHECKING:
    from conflict_ingest.fetch.client import FetchResult
    from conflict_ingest.sources.registry import Source

logger = logging.getLogger(__name__)

# A backslash that starts no JSON escape: GDELT titles carry some ("Invalid \escape" in its issue tracker).
INVALID_ESCAPE_RE = re.compile(r'\\(?!["\\/bfnrtu])')
MESSAGE_CHARS = 300  # how much of an API's error message a DiscoveryError quotes
URL_PARAMETERS_REFUSED = "put the search parameters in the source's keys, not in url"


# --- keys ------------------------------------------------------------------------------------------------


def text(raw: Mapping[str, Any], key: str, label: str, *, required: bool = False) -> str | None:
    """A non-empty string key (stripped), or None when absent and not required."""
    value = raw.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{label}: {key} is required for a {raw.get('kind')} source")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{label}: {key} must be non-empty text, got {value!r}")
    return value.strip()


def text_list(
    raw: Mapping[str, Any], key: str, label: str, *, pattern: re.Pattern[str] | None = None
) -> list[str]:
    """A list of non-empty strings (a single string is a list of one); duplicates dropped, order kept."""
    value = raw.get(key)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{label}: {key} must be a non-empty list of text, got {value!r}")
    out: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{label}: {key}[{i}] must be non-empty text, got {item!r}")
        item = item.strip()
        if pattern is not None and not pattern.fullmatch(item):
            raise ConfigError(f"{label}: {key}[{i}] {item!r} must match {pattern.pattern}")
        if item not in out:
            out.append(item)
    return out


def whole(raw: Mapping[str, Any], key: str, label: str, *, default: int, low: int, high: int) -> int:
    """A whole number in ``[low, high]`` (``default`` when absent)."""
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise ConfigError(f"{label}: {key} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{label}: {key} must be between {low} and {high}, got {value!r}")
    return int(value)


def check_api_url(url: str | None, label: str) -> None:
    """The API endpoint carries no query string: every parameter comes from a key (one place to read)."""
    if url is not None and (urlsplit(url).query or urlsplit(url).fragment):
        raise ConfigError(f"{label}: url {url!r} has a query string; {URL_PARAMETERS_REFUSED}")


# --- requests and answers ----------------------------------------------------------------------------------


def fetch_api(source: Source, url: str, fetcher: Fetcher) -> FetchResult:
    """GET one API request through the fetcher with the source's settings, reading JSON."""
    from conflict_ingest.fetch.client import JSON_API

    return fetcher.fetch(url, **source.fetch_kwargs(), accept=JSON_API)


def body_text(result: FetchResult) -> str:
    return result.body.decode("utf-8", errors="replace").strip()


def short(message: str) -> str:
    """An API's message on one line, cut to :data:`MESSAGE_CHARS`."""
    message = " ".join(message.split())
    return message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 3] + "..."


def parse_json(text_body: str, where: str) -> Any:
    """Parse an API's JSON; control characters in strings are tolerated, and one repair is tried
    (stray backslashes escaped). Anything else is a :class:`DiscoveryError` saying where it broke."""
    try:
        return json.loads(text_body, strict=False)
    except json.JSONDecodeError as exc:
        repaired = INVALID_ESCAPE_RE.sub(r"\\\\", text_body)
        if repaired != text_body:
            try:
                value = json.loads(repaired, strict=False)
            except json.JSONDecodeError:
                pass
            else:
                logger.warning("%s: invalid JSON escapes (%s); read with the backslashes escaped", where, exc)
                return value
        raise DiscoveryError(
            f"{where}: malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno}; "
            f"{len(text_body)} characters: {short(text_body[:80])!r})"
        ) from None


def page_url(value: Any) -> str | None:
    """An article URL from an API answer if it passes the URL rule of every input, else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    from conflict_ingest.inputs import InputError, check_page_url

    try:
        return check_page_url(value)
    except InputError:
        return None
