"""Live-blog timestamps: the time each entry of a live page was posted."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from typing import Any

from conflict_ingest.clean import dates
from conflict_ingest.clean.blocks import _Candidate, _tag
from conflict_ingest.clean.budget import _tick
from conflict_ingest.clean.constants import DATE_LINE_MAX_WORDS, SKIP_TAGS, TIMESTAMP_CLASS_RE
from conflict_ingest.clean.metadata import _AncestorFlag, _is_chrome, _time_value, _words_within

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Live-blog timestamps.
# --------------------------------------------------------------------------------------------------


#: A clock time printed alone as an entry's stamp: "14:05", "14.05", "14h05", "2:05pm", "2.05 p.m.", "08:15 BST".
TIME_ONLY_RE = re.compile(
    r"(?P<H>\d{1,2})[:.h](?P<M>[0-5]\d)(?:\s*(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?(?:\s+(?:[A-Z]{2,5}|GMT[+-]\d{1,2}))?"
)
_HEADING_MONTH = "|".join(sorted((re.escape(m) for m in dates.MONTHS), key=len, reverse=True))
_HEADING_WEEKDAY = (
    r"(?P<wd>mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|urday|sday|rsday)?\.?,?\s+"
)
#: A heading that names a day and nothing else: "Tuesday 11 October", "11 October 2022", "Tuesday, October 11",
#: "Oct. 11, 2022", "11th of October".
DAY_HEADING_RE = re.compile(
    r"(?:" + _HEADING_WEEKDAY + r")?(?:the\s+)?"
    r"(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>" + _HEADING_MONTH + r")\.?"
    r"|(?P<m2>" + _HEADING_MONTH + r")\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?)"
    r"(?:,?\s+(?P<y>(?:19|20)\d\d))?",
    re.I,
)
_WEEKDAY_NUM = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
#: How far from the publication day a day heading may lie: a live page starts on its publication day (a
#: day before, across time zones) and may run for months; a date outside is another date (a site clock).
DAY_HEADING_BEFORE = dt.timedelta(days=1)
DAY_HEADING_AFTER = dt.timedelta(days=400)
#: A day heading is this short (words).
DAY_HEADING_MAX_WORDS = 6


def _clock(text: str) -> tuple[int, int] | None:
    """Hour and minute of a stamp that prints a clock time only ("14:05", "2.05pm"), else None."""
    m = TIME_ONLY_RE.fullmatch(text.strip())
    if not m:
        return None
    hour, minute = int(m["H"]), int(m["M"])
    if m["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m["ampm"].lower() == "p" else 0)
    return (hour, minute) if hour <= 23 else None


def _heading_or_chrome(el: Any) -> bool:
    return _tag(el) == "header" or _is_chrome(el)


class _DayHeadings:
    """The day named by the latest day heading above an element, in document order: a live page that
    groups its entries under "Tuesday 11 October" and stamps each entry with "14:05" only dates the
    entry on that day. Headings in the site's chrome (masthead, top bar, clock, nav, header, footer)
    and before the page's ``<h1>`` are the site's date, not a day of the page; so is a day far from
    the publication day (:data:`DAY_HEADING_BEFORE`, :data:`DAY_HEADING_AFTER`)."""

    def __init__(self, root: Any, published: str | None) -> None:
        self.published = dt.date.fromisoformat(published[:10]) if published else None
        self.after_h1 = root.find(".//h1") is None
        self.in_chrome = _AncestorFlag(_heading_or_chrome)
        self.day: dt.date | None = None

    def note(self, el: Any) -> None:
        """Read ``el`` as a possible day heading (its own text must start it, and be all of it)."""
        if _tag(el) == "h1":
            self.after_h1 = True
            return
        if not self.after_h1 or not (el.text or "").strip() or _tag(el) in SKIP_TAGS:
            return
        text = _words_within(el, DAY_HEADING_MAX_WORDS)
        m = DAY_HEADING_RE.fullmatch(text) if text else None
        if m is None or self.in_chrome(el):
            return
        day = self._day(m)
        if day is not None:
            self.day = day

    def _day(self, m: re.Match[str]) -> dt.date | None:
        mon = dates.MONTHS.get((m["m1"] or m["m2"]).lower().rstrip("."))
        day = int(m["d1"] or m["d2"])
        if mon is None:
            return None
        pub = self.published
        if m["y"]:
            years = [int(m["y"])]
        elif pub is not None:
            years = [pub.year - 1, pub.year, pub.year + 1]
        else:
            return None
        found = [d for y in years if (d := dates.make_date(y, mon, day)) is not None]
        if m["wd"]:  # a weekday decides the year when it matches only one
            weekday = _WEEKDAY_NUM[m["wd"][:3].lower()]
            found = [d for d in found if d.weekday() == weekday] or found
        if pub is not None:
            found = [d for d in found if pub - DAY_HEADING_BEFORE <= d <= pub + DAY_HEADING_AFTER]
            found.sort(key=lambda d: abs((d - pub).days))
        return found[0] if found else None

    def stamp(self, text: str) -> str | None:
        """The entry's stamp when ``text`` is a clock time alone and a day heading is above it."""
        clock = _clock(text) if self.day is not None else None
        if clock is None or self.day is None:
            return None
        return f"{self.day.isoformat()}T{clock[0]:02d}:{clock[1]:02d}:00"


def _stamp_elements(root: Any, published: str | None = None) -> Iterator[tuple[Any, str]]:
    """<time> elements (and elements with a datetime attribute) with their value; when a page has
    none, short elements whose class marks a date or time and whose text is a date. A stamp that
    prints a clock time only ("14:05") takes the day of the day heading above it (:class:`_DayHeadings`)."""
    found = False
    days = _DayHeadings(root, published)
    for el in root.iter():
        _tick("timestamps")
        if not isinstance(el.tag, str):
            continue
        if el.tag == "time" or el.get("datetime"):
            value = _time_value(el) or days.stamp(el.get("datetime") or _words_within(el, 3) or "")
            if value:
                found = True
                yield el, value
                continue
        days.note(el)
    if found:
        return
    days = _DayHeadings(root, published)
    for el in root.iter():
        _tick("timestamps")
        if not isinstance(el.tag, str) or el.tag in SKIP_TAGS:
            continue
        cls = el.get("class")
        if cls and TIMESTAMP_CLASS_RE.search(cls):
            text = _words_within(el, DATE_LINE_MAX_WORDS)
            if text:
                value = dates.parse_text_date(text) or days.stamp(text)
                if value:
                    yield el, value
                    continue
        days.note(el)


def _timestamps(root: Any, kept: list[_Candidate], published: str | None = None) -> dict[int, str]:
    """Each kept block's entry timestamp: the one stamp in the nearest ancestor that holds any.
    Only used when the blocks carry at least two different stamps (a live blog). ``published`` (the
    page's publication date) gives a day heading without a year its year."""
    stamps_under: dict[Any, set[str]] = {}
    for t, value in _stamp_elements(root, published):
        anc = t.getparent()
        while anc is not None:
            _tick("timestamps")
            stamps_under.setdefault(anc, set()).add(value)
            anc = anc.getparent()
    if not stamps_under:
        return {}
    result: dict[int, str] = {}
    for c in kept:
        el = c.owner
        while el is not None:
            found = stamps_under.get(el)
            if found:
                if len(found) == 1:
                    result[id(c)] = next(iter(found))
                break
            el = el.getparent()
    if len(set(result.values())) < 2:
        return {}
    return result
