"""Checks for what people and queues hand the pipeline: page URLs and days.

One check per kind of input, shared by every way in (the nightly DAG's form, the urgent queue,
the CLI), so a rule tightened here holds everywhere. Errors are :class:`InputError` (a
``ValueError``) with a message a person can act on, and never repeat a secret: a URL is shown
without its ``user:password@`` part.

No Airflow import here.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from conflict_ingest.errors import ConflictIngestError

__all__ = [
    "ALLOWED_SCHEMES",
    "MAX_DAYS_AHEAD",
    "MAX_URL_CHARS",
    "MIN_DAY",
    "InputError",
    "check_day",
    "check_page_url",
    "parse_day",
    "redact_userinfo",
    "without_userinfo",
]

#: URL schemes a person or a queue may ask for.
ALLOWED_SCHEMES = frozenset({"http", "https"})
#: Longest URL accepted.
MAX_URL_CHARS = 2048
#: Characters that never belong in a URL we fetch (whitespace and control characters).
BAD_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")
#: Characters of a URL shown in an error message.
SHOWN_URL_CHARS = 200
#: The earliest day a run may cover (no web news source the pipeline reads is older).
MIN_DAY = dt.date(1990, 1, 1)
#: A day may be at most this far after today, UTC (producers in time zones ahead of UTC).
MAX_DAYS_AHEAD = 1
#: A day as a form, a message or the CLI gives it.
DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: A URL's scheme (only when slashes follow it), slashes and authority (up to the path, query or fragment).
_AUTHORITY = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*:(?=[/\\]))?(?P<slashes>[/\\]*)(?P<authority>[^/\\?#]*)"
)
#: ``scheme://user:password@`` in free text (an error message, a log line).
_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@?#]*@")


class InputError(ConflictIngestError, ValueError):
    """An input that breaks a rule; the message says which, without repeating a secret."""


def redact_userinfo(text: str) -> str:
    """``text`` with the ``user:password@`` part of every URL in it replaced by ``***@``."""
    return _USERINFO_IN_TEXT.sub(r"\g<scheme>***@", text)


def without_userinfo(url: str) -> str:
    """``url`` with any ``user:password@`` before its host replaced by ``***@``; works on malformed
    URLs too (``http:\\\\user:pw@host``, no scheme), where :func:`urllib.parse.urlsplit` may not."""
    m = _AUTHORITY.match(url)
    if m is None or "@" not in m["authority"]:
        return url
    host = m["authority"].rsplit("@", 1)[1]
    return f"{m['scheme'] or ''}{m['slashes']}***@{host}{url[m.end() :]}"


def _shown(url: str) -> str:
    """A URL as an error message may show it: no credentials, bounded, quoted."""
    shown = without_userinfo(url)
    if len(shown) > SHOWN_URL_CHARS:
        return repr(shown[:SHOWN_URL_CHARS]) + "..."
    return repr(shown)


def check_page_url(raw: object) -> str:
    """One URL of a page to fetch: a string, http(s), with a host, no credentials, no whitespace or
    control characters, at most :data:`MAX_URL_CHARS`. Returns it stripped of surrounding blanks.

    Where it points (private, loopback, metadata addresses) is checked later by the fetcher, after
    DNS resolution and on every redirect.
    """
    if not isinstance(raw, str):
        raise InputError(f"a URL must be a string, got {type(raw).__name__}")
    url = raw.strip()
    if not url:
        raise InputError("empty URL")
    if len(url) > MAX_URL_CHARS:
        raise InputError(f"URL longer than {MAX_URL_CHARS} characters: {_shown(url)}")
    if BAD_URL_CHARS.search(url):
        raise InputError(f"URL contains whitespace or control characters: {_shown(url)}")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        raise InputError(f"malformed URL {_shown(url)}") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise InputError(f"not an http(s) URL: {_shown(url)}")
    if not parts.hostname:
        raise InputError(f"URL without a host: {_shown(url)}")
    if "\\" in parts.netloc:  # browsers read "\" as "/": http://evil.example\@good.example is ambiguous
        raise InputError(f"malformed URL (backslash in its host part): {_shown(url)}")
    if "@" in parts.netloc:
        raise InputError(f"URL with credentials refused: {_shown(url)}")
    return url


def check_day(day: dt.date, *, today: dt.date | None = None) -> dt.date:
    """``day`` if a run may cover it: from :data:`MIN_DAY` to ``today`` (UTC unless given) plus
    :data:`MAX_DAYS_AHEAD`; else :class:`InputError` naming the bound."""
    today = today or dt.datetime.now(dt.UTC).date()
    latest = (
        today + dt.timedelta(days=MAX_DAYS_AHEAD)
        if today < dt.date.max - dt.timedelta(MAX_DAYS_AHEAD)
        else dt.date.max
    )
    if day < MIN_DAY:
        raise InputError(
            f"day {day.isoformat()} is before {MIN_DAY.isoformat()}, the earliest day a run may cover"
        )
    if day > latest:
        raise InputError(
            f"day {day.isoformat()} is in the future: the latest day a run may cover is {latest.isoformat()} "
            f"(today {today.isoformat()} UTC + {MAX_DAYS_AHEAD})"
        )
    return day


def parse_day(raw: object, *, today: dt.date | None = None) -> dt.date:
    """A day given as ``YYYY-MM-DD`` (surrounding blanks ignored), a calendar date within
    :func:`check_day`'s bounds; else :class:`InputError`."""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return check_day(raw, today=today)
    if not isinstance(raw, str) or not DAY_RE.fullmatch(raw.strip()):
        raise InputError(f"day must be a date YYYY-MM-DD, got {str(raw)[:40]!r}")
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError(f"day is not a calendar date: {raw.strip()!r}") from None
    return check_day(day, today=today)
