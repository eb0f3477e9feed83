"""Time expressions in a sentence, resolved to the days they cover.

``find_time_expressions`` reads one sentence and returns every time expression it holds
("on Tuesday and Wednesday", "in October", "since Aug. 8", "through Sept. 30", "in the 24 hours
to Wednesday", "the first 48 hours of the escalation") with its span and its days, resolved
against a :class:`PeriodContext`: the reference day (the article's publication day, or a live-blog
entry's own day), the year the article is about, and the start days of events the page has named.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from conflict_ingest.extract.numbers import UNITS, word_value

logger = logging.getLogger(__name__)

MONTHS: dict[str, int] = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
WEEKDAYS: dict[str, int] = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
# Verbs that name the start of an event ("the campaign began on Aug. 8").
START_VERBS = r"(?:began|begun|begins|started|starts|flared|flared up|erupted|broke out|opened|kicked off|got under way|was launched|were launched|launched|invaded)"
# A reporting verb right before a day says when something was said, not when it happened.
REPORTING_BEFORE = re.compile(
    r"\b(?:said|says|say|announced|reported|told\s+\w+|added|stated|confirmed|speaking|spoke|wrote|tweeted|"
    r"statement|release|briefing|update)\s+(?:(?:in|at)\s+(?:a|an|its|their|the|his|her)\s+(?:[\w-]+\s+){0,2}"
    r"(?:release|statement|briefing|update|report|interview|post)\s+)?(?:late\s+|early\s+)?(?:on\s+)?$",
    re.I,
)
DAY_PARTS = r"(?:\s+(?:morning|afternoon|evening|night|local time))?"
CUMULATIVE_CUES = re.compile(r"\b(?:so far|to date|running total|in all|cumulative|since then)\b", re.I)

_MONTH_RE = (
    r"(?P<{p}mon>January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept\.|Sep\.|Oct\.|Nov\.|Dec\.)(?![A-Za-z])"
)
_WEEKDAY_RE = r"(?P<{p}wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_YEAR_RE = r"(?P<{p}year>(?:19[5-9]\d|20\d\d))(?![\d-])"


def _atom(p: str) -> str:
    """One point or unit of time: a date, a month, a weekday, a year, today/yesterday."""
    mon = _MONTH_RE.format(p=p)
    return (
        r"(?:(?P<" + p + r"mid>mid-|early |late |the end of |the beginning of |the start of )?"
        r"(?:"
        + mon
        + r"\s+(?P<"
        + p
        + r"d1>\d{1,2})(?!\d)(?:st|nd|rd|th)?(?:,?\s+(?P<"
        + p
        + r"y1>(?:19|20)\d\d))?"
        r"|(?P<"
        + p
        + r"d2>\d{1,2})(?!\d)(?:st|nd|rd|th)?\s+(?P<"
        + p
        + r"mon2>January|February|March|April|May|June|"
        r"July|August|September|October|November|December)(?![A-Za-z])(?:,?\s+(?P<"
        + p
        + r"y2>(?:19|20)\d\d))?"
        r"|(?P<" + p + r"mon3>January|February|March|April|May|June|July|August|September|October|November|"
        r"December)(?![A-Za-z])(?:\s+(?P<" + p + r"y3>(?:19|20)\d\d))?"
        r"|"
        + _WEEKDAY_RE.format(p=p)
        + r"(?:,\s+(?P<"
        + p
        + r"wmon>[A-Z][a-z]{2,8}\.?)\s+(?P<"
        + p
        + r"wd_d>\d{1,2}))?"
        + DAY_PARTS
        + r"|(?P<"
        + p
        + r"rel>today|yesterday|tonight|this morning|last night)"
        r"|(?<![\d,.$-])" + _YEAR_RE.format(p=p) + r"))"
    )


ATOM_RE = re.compile(r"(?<![\w-])" + _atom(""))
SPAN_RE = re.compile(
    r"(?<![\w-])(?P<pre>(?i:between |from ))?"
    + _atom("a_")
    + r"(?:\s+and\s+(?:ran\s+)?(?:into\s+)?(?:again\s+(?:on\s+)?|(?:early|late)\s+(?:on\s+)?)?|\s+to\s+|\s+through\s+|"
    r"\s*[-–]\s*|\s+until\s+|\s+into\s+)" + _atom("b_"),
)
BETWEEN_RE = re.compile(
    r"\b(?i:between)\s+(?P<lead>(?:[\w’'.-]+\s+){0,8}?)" + _atom("a_") + r"\s+and\s+" + _atom("b_"),
)
HOURS_TO_RE = re.compile(
    r"\b(?i:in|over|during)\s+the\s+(?P<n>\w+)\s+hours\s+(?:to|until|up to|ending)\s+(?:\w+\s+)?"
    + _atom("b_")
)
PAST_HOURS_RE = re.compile(
    r"\b(?i:in|over|during)\s+the\s+(?:past|last|previous|preceding)\s+(?P<n>\w+)\s+(?P<unit>hours|days)\b"
)
PAST_DAY_RE = re.compile(
    r"\b(?i:in|over|during)\s+the\s+(?i:past|last|previous|preceding)\s+(?i:day|night)\b"
)
# "in the week to Friday", "in the ten days to March 3", "in the two weeks ending Sunday"
PERIOD_TO_RE = re.compile(
    r"\b(?i:in|over|during)\s+the\s+(?:(?P<n>\w+)\s+)?(?P<unit>(?i:week|weeks|days))\s+(?i:to|until|up\s+to|ending)\s+"
    + _atom("b_")
)
_MONTH_FULL = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept\.|Sep\.|Oct\.|Nov\.|Dec\.)(?![A-Za-z])"
)
# "June 21 to 22", "June 21-22, 2025", "12 and 13 October": two days of one month
DAY_RANGE_RE = re.compile(
    r"(?<![\w-])(?:(?P<mon>"
    + _MONTH_FULL
    + r")\s+(?P<d1>\d{1,2})\s*(?:to|-|\u2013|and)\s*(?P<d2>\d{1,2})(?![\d:])"
    r"|(?P<e1>\d{1,2})\s*(?:to|-|\u2013|and)\s*(?P<e2>\d{1,2})\s+(?P<mon2>" + _MONTH_FULL + r"))"
    r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"
)
# "during the war", "throughout the campaign": from the page's event start (or its war's) to the reference day
DURING_WAR_RE = re.compile(
    r"\b(?:during|throughout|over\s+the\s+course\s+of)\s+the\s+(?:[\w-]+\s+)?"
    r"(?:war|conflict|campaign|offensive|hostilities)\b",
    re.I,
)
PAST_WEEKS_RE = re.compile(
    r"\b(?i:in|over|during)\s+the\s+(?i:past|last|previous|preceding)\s+(?:(?P<n>\w+)\s+(?i:weeks)|(?i:fortnight))\b"
)
# "the last week of the month", "the first week of May": seven days of a month, not the week before the reference day
WEEK_OF_MONTH_RE = re.compile(
    r"\b(?:the\s+)?(?P<part>first|second|third|last|final)\s+week\s+of\s+(?:(?P<this>the|that|this)\s+month\b|"
    + _MONTH_RE.format(p="")
    + r"(?:\s+(?P<year>(?:19|20)\d\d))?)",
    re.I,
)
# "the highest monthly figure since records began", "the deadliest day since the war began": a comparison
SINCE_COMPARISON_RE = re.compile(
    r"\b(?:highest|lowest|deadliest|worst|largest|biggest|heaviest|fiercest|bloodiest|fewest|"
    r"first\s+time|longest|quietest)\b[^,;.]{0,60}$",
    re.I,
)
# "in February last year": a month of the year before the reference year (or of this year)
MONTH_YEAR_WORDS_RE = re.compile(r"\s+(?P<which>last|this)\s+year\b", re.I)
OVERNIGHT_ALONE_RE = re.compile(r"\b(?i:overnight)\b(?!\s+(?:into|to)\b)")
OVERNIGHT_RE = re.compile(r"\b(?i:overnight)\s+(?:into|to)\s+" + _atom("b_"))
LAST_WEEK_RE = re.compile(r"\b(?:last|past|previous)\s+week\b", re.I)
THIS_WEEK_RE = re.compile(r"\bthis\s+week\b", re.I)
LAST_MONTH_RE = re.compile(r"\blast\s+month\b", re.I)
THIS_MONTH_RE = re.compile(r"\bthis\s+month\b", re.I)
LAST_YEAR_RE = re.compile(r"\blast\s+year\b", re.I)
THIS_YEAR_RE = re.compile(r"\b(?:so\s+far\s+)?this\s+year\b", re.I)
LAST_MONTHNAME_RE = re.compile(r"\blast\s+" + _MONTH_RE.format(p=""))
MONTH_BEFORE_RE = re.compile(
    r"\b(?:the\s+month\s+before(?:\s+that)?|the\s+previous\s+month|a\s+month\s+earlier)\b", re.I
)
PART_OF_YEAR_RE = re.compile(
    r"\b(?:the\s+)?(?P<part>first|second|third|fourth|last)\s+(?P<unit>quarter|half|(?P<n>two|three|four|five|six|"
    r"seven|eight|nine|ten|eleven|\d{1,2})\s+months)"
    r"(?:\s+of\s+(?:the\s+year|(?P<year>(?:19|20)\d\d)))?",
    re.I,
)
N_DAY_OP_RE = re.compile(r"\b(?P<n>\d+|[a-z]+)-day\b", re.I)
FIRST_N_RE = re.compile(
    r"\b(?:the\s+)?first\s+(?:(?P<n>\w+)\s+)?(?P<unit>hours|days|week|weeks|night|nights)"
    r"(?:\s+of\s+(?:the\s+)?(?P<of>\w+)|(?=\s+alone\b|\s*,))",
    re.I,
)
# "in the six months before it took effect on April 2", "in the ten days before March 3"
PERIOD_BEFORE_RE = re.compile(
    r"\b(?i:in|over|during)\s+the\s+(?P<n>\w+)\s+(?P<unit>(?i:months|weeks|days))\s+(?i:before|preceding|prior\s+to)\s+"
)
OVER_N_DAYS_RE = re.compile(
    r"\b(?:over|during|in)\s+(?:the\s+)?(?P<n>\w+)\s+days\s+of\s+(?:the\s+)?(?:fighting|war|conflict|escalation|"
    r"operation|offensive|campaign|violence|hostilities)\b",
    re.I,
)
LOOKBACK_RE = re.compile(
    r"\b(?:those|these|the\s+same|the)\s+(?P<n>\w+)\s+days(?:[’']|\b)|\b(?P<n2>\w+)\s+days[’']\s+total\b",
    re.I,
)
SINCE_RE = re.compile(r"\bsince\b", re.I)
# "since our last update on Friday", "since the previous briefing on March 4": since a report of the teller's own
SINCE_LAST_REPORT_RE = re.compile(
    r"\b(?i:since)\s+(?i:our|the|my|their|its|this\s+paper[’']s)\s+(?i:last|previous|latest|most\s+recent)\s+"
    r"(?i:update|briefing|report|bulletin|statement|summary|release|press\s+conference)\s+(?i:on|of)\s+"
    + _atom("b_")
)
CLAUSE_END_RE = re.compile(r"[,;]|\.(?:\s|$)")
# An event named after "since" by a noun phrase ("since the alliance took command ... on March 31").
SINCE_EVENT_START_RE = re.compile(r"\s+(?:the|its|their|his|her|[A-Z][\w-]*[’']s)\s")
SINCE_EVENT_MAX_CHARS = 100
# What may stand between "since" and its date: "the start of the war in", "the coup in", "the
# offensive began on" (an event named by a short noun phrase, with or without its start verb).
SINCE_EVENT_RE = re.compile(
    r"\s+(?:the\s+(?:(?:start|beginning|outbreak)\s+of\s+[^,;]{0,60}?|(?:[\w’'-]+\s+){0,3}?[\w’'-]+"
    r"(?:\s+" + START_VERBS + r")?)\s+(?:in|on)\s+)?"
)
# How far back from a date ``_is_reporting`` (and the bare-month test) read: more than any of their matches
# on a page's text (whose whitespace the cleaner collapses), so reading only that far gives the same answer
# as reading the whole sentence before the date, in time that does not grow with the sentence.
LOOKBACK_CHARS = 240
# A month word standing alone (no day, year or preposition) is a name after a capitalised word ("Theresa
# May", "Prime Minister May", a headline's "Thousands March") and a name or a verb before these words.
NAME_BEFORE_RE = re.compile(r"\b[A-Z][\w.’'-]*\s+$")
NOT_A_MONTH_AFTER_RE = re.compile(
    r"\s+(?:said|says|told|tells|added|wrote|announced|insisted|argued|urged|warned|spoke|was\s+asked|"
    r"be|have|has\s+said|not|on\s+(?!\d)|to\s+(?!\d|[A-Z][a-z]+\s+\d)|through\s+the|against|toward|towards)\b|[’']s\s+(?:government|cabinet|office|party|husband|speech|deal)\b"
)
BARE_MONTH_PREP_RE = re.compile(r"\b(?:in|during|for|of|last|through|since|until|by)\s+$", re.I)
CUTOFF_RE = re.compile(
    r"\b(?i:through|thru|by|until|till|to|up\s+to|as\s+of)\s+(?i:the\s+end\s+of\s+)?" + _atom("b_")
)
SINCE_START_VERB_RE = re.compile(r"\b" + START_VERBS + r"\b(?:\s+(?:on|in)\s+|\s+)?")
# "since the invasion", "since the start of the war": an event named by a noun, with no date of its own.
SINCE_NOUN_RE = re.compile(
    r"\s+(?:the\s+)?(?:(?:start|beginning|outbreak|onset)\s+of\s+(?:the\s+)?)?(?:[\w’'-]+\s+){0,2}?"
    r"(?:war|invasion|conflict|campaign|offensive|air\s+war|fighting|hostilities|escalation|intervention)\b"
    r"(?!\s+(?:in|on)\s+(?:\d|[A-Z]))",
    re.I,
)
# "since the start of the year" / "since the beginning of this month": from the first of the reference's.
SINCE_CALENDAR_RE = re.compile(
    r"\s+(?:the\s+)?(?:start|beginning)\s+of\s+(?:the|this)\s+(?P<unit>year|month)\b", re.I
)
WEEKEND_RE = re.compile(
    r"\b(?P<fri>(?i:on\s+)?Friday(?:\s+night)?\s+(?:and|through|into)\s+)?"
    r"(?i:(?:over|during|at|on|through|across|into)\s+)?(?i:the|this|last|that)\s+(?i:weekend)\b"
)
# A day told relative to the incident's day, stated in an earlier sentence.
RELATIVE_DAY_RE = re.compile(
    r"\b(?P<n>two|three|four|five|six|\d)\s+days\s+(?P<dir>later|earlier|before|after)\b(?!\s+(?:the|a|an)\b)|"
    r"\b(?P<next>the\s+(?:next|following)\s+(?:day|morning|night)|a\s+day\s+later)\b|"
    r"\b(?P<prev>the\s+(?:previous|preceding)\s+(?:day|night)|the\s+day\s+before|a\s+day\s+earlier)\b|"
    r"\b(?P<same>(?:later|earlier)\s+(?:that|the\s+same)\s+day|that\s+(?:same\s+)?(?:day|night|morning)|"
    r"the\s+same\s+day)\b",
    re.I,
)
START_RE = re.compile(r"\b" + START_VERBS + r"\s+(?:on\s+|in\s+)?" + _atom("b_"))
#: A dateline at the start of a paragraph: a place in capitals, an optional region, then a date (in
#: parentheses or not), an optional agency, and a dash: "KABUL, Afghanistan (Oct. 3, 2010) - ",
#: "BEIRUT, March 3 (Reuters) - ". The date is group ``date`` (an ``ATOM_RE`` match is taken from it).
DATELINE_RE = re.compile(
    r"\s*[A-Z][A-Z.'’-]+(?:\s+[A-Z][A-Z.'’-]+){0,3}(?:,\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2})?"
    r"(?:,\s*|\s*\(\s*)(?P<date>[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s+(?:19|20)\d\d)?)\s*\)?"
    r"(?:\s*\((?:[A-Z][\w.]*\s?){1,3}\))?\s*(?:(?:[-\u2013\u2014]|--)\s|$)"
)


@dataclass(frozen=True)
class TimeExpr:
    """A time expression found in a sentence and the days it covers."""

    start: int
    end: int
    period_start: dt.date | None
    period_end: dt.date | None
    kind: str  # day, span, month, year, since, cutoff, relative, anchor, lookback
    cumulative: bool = False
    bare_month: bool = False
    lookback_days: int = 0


@dataclass
class PeriodContext:
    """What resolving a time expression needs besides the sentence."""

    ref: dt.date | None = None
    year: int | None = None
    anchors: list[dt.date] = field(default_factory=list)
    last_month: tuple[int, int] | None = None
    #: the start day of the war the page is about (:func:`conflict_ingest.extract.context.conflict_start`)
    conflict_start: dt.date | None = None
    #: the days of the incident the page is telling, as stated by an earlier sentence ("On Friday, ...")
    event_days: tuple[dt.date, dt.date] | None = None

    @property
    def since_start(self) -> dt.date | None:
        """Where "since the war began" starts: the last event start the page named, else its war's start."""
        return self.anchors[-1] if self.anchors else self.conflict_start

    @property
    def ref_year(self) -> int | None:
        return self.ref.year if self.ref else self.year


def month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _month_of(name: str | None) -> int | None:
    if not name:
        return None
    return MONTHS.get(name.lower().rstrip("."))


def _year_for(ctx: PeriodContext, month: int, day: int | None = None) -> int | None:
    """The year of a month (or day) stated without one: the latest not after the reference day."""
    if ctx.ref is None:
        return ctx.year
    y = ctx.ref.year
    if (month, day or 1) > (ctx.ref.month, ctx.ref.day):
        y -= 1
    return y


def _weekday_on_or_before(ref: dt.date, weekday: int) -> dt.date:
    return ref - dt.timedelta(days=(ref.weekday() - weekday) % 7)


def _small_int(word: str | None) -> int | None:
    if not word:
        return None
    if word.isdigit():
        return int(word)
    return (
        word_value(word.lower()) if word.lower() in UNITS or "-" in word or " " in word else word_value(word)
    )


def resolve_atom(m: re.Match[str], p: str, ctx: PeriodContext) -> tuple[dt.date, dt.date, str] | None:
    """The days one atom (group prefix ``p``) covers, and its kind."""
    g = m.groupdict()
    if g.get(p + "mon") and g.get(p + "d1"):
        return _dated_day(g[p + "mon"], g[p + "d1"], g.get(p + "y1"), ctx)
    if g.get(p + "d2") and g.get(p + "mon2"):
        return _dated_day(g[p + "mon2"], g[p + "d2"], g.get(p + "y2"), ctx)
    if g.get(p + "mon3"):
        return _named_month(g[p + "mon3"], g.get(p + "y3"), (g.get(p + "mid") or "").strip().lower(), ctx)
    if g.get(p + "wd"):
        return _weekday(g, p, ctx)
    if g.get(p + "rel"):
        if ctx.ref is None:
            return None
        rel = g[p + "rel"].lower()
        d = ctx.ref - dt.timedelta(days=1) if rel in ("yesterday", "last night") else ctx.ref
        return d, d, "day"
    if g.get(p + "year"):
        y = int(g[p + "year"])
        return dt.date(y, 1, 1), dt.date(y, 12, 31), "year"
    return None


def _dated_day(
    month: str, day_text: str, year_text: str | None, ctx: PeriodContext
) -> tuple[dt.date, dt.date, str] | None:
    """ "Oct. 17" or "17 October" (with or without its year)."""
    mon = _month_of(month)
    day = int(day_text)
    year = int(year_text) if year_text else (_year_for(ctx, mon, day) if mon else None)
    return _day(year, mon, day)


def _named_month(
    month: str, year_text: str | None, mid: str, ctx: PeriodContext
) -> tuple[dt.date, dt.date, str] | None:
    """ "October", "October 2019", "mid-October", "the end of October"."""
    mon = _month_of(month)
    if mon is None:
        return None
    year = int(year_text) if year_text else _year_for(ctx, mon)
    if year is None:
        return None
    first, last = month_span(year, mon)
    if mid == "mid-":
        d = dt.date(year, mon, 15)
        return d, d, "day"
    if mid in ("the end of", "late"):
        return (last, last, "day") if mid == "the end of" else (first, last, "month")
    if mid in ("the beginning of", "the start of"):
        return first, first, "day"
    return first, last, "month"


def _weekday(g: dict[str, str | None], p: str, ctx: PeriodContext) -> tuple[dt.date, dt.date, str] | None:
    """ "Tuesday" (the latest on or before the reference day) or "Tuesday, Oct. 17"."""
    wmon, wd_d = g.get(p + "wmon"), g.get(p + "wd_d")
    if wmon and wd_d:
        mon = _month_of(wmon)
        if mon:
            day = int(wd_d)
            return _day(_year_for(ctx, mon, day), mon, day)
    if ctx.ref is None:
        return None
    d = _weekday_on_or_before(ctx.ref, WEEKDAYS[str(g[p + "wd"]).lower()])
    return d, d, "day"


def _day(year: int | None, mon: int | None, day: int) -> tuple[dt.date, dt.date, str] | None:
    if year is None or mon is None:
        return None
    try:
        d = dt.date(year, mon, day)
    except ValueError:
        return None
    return d, d, "day"


def _is_reporting(sentence: str, start: int) -> bool:
    return bool(REPORTING_BEFORE.search(sentence, max(0, start - LOOKBACK_CHARS), start))


class _Taken:
    """The spans of a sentence already read as a time expression: ``free(a, b)`` says whether ``[a, b)``
    overlaps none of them, in time proportional to ``b - a`` (a mark per character, not a list to scan)."""

    def __init__(self, size: int) -> None:
        self._marks = bytearray(size + 1)
        self._spans: list[tuple[int, int]] = []
        self._empty: list[tuple[int, int]] = []

    def append(self, span: tuple[int, int]) -> None:
        a, b = span
        self._spans.append(span)
        if b > a:
            self._marks[a:b] = b"\x01" * (b - a)
        else:
            self._empty.append(span)  # marks no character: compared one by one (no pattern matches empty)

    def free(self, a: int, b: int) -> bool:
        if b <= a:  # an empty span: the plain rule (no pattern here matches empty, so never in practice)
            return all(b <= s or a >= e for s, e in self._spans)
        return self._marks.find(1, a, b) == -1 and all(b <= s or a >= e for s, e in self._empty)


def _month_atoms(sentence: str, ctx: PeriodContext) -> list[tuple[int, tuple[int, int]]]:
    """(end, (year, month)) of every date in ``sentence`` that names a month, left to right."""
    out: list[tuple[int, tuple[int, int]]] = []
    for am in ATOM_RE.finditer(sentence):
        got = resolve_atom(am, "", ctx)
        if got and got[2] == "month":
            out.append((am.end(), (got[0].year, got[0].month)))
    return out


class _Claims:
    """What the time rules of one sentence share: the spans already claimed, the expressions found, the
    sentence's cut-off, and facts about the sentence computed once, when a rule first asks."""

    def __init__(self, sentence: str) -> None:
        self.taken = _Taken(len(sentence))
        self.found: list[TimeExpr] = []
        self.cutoff: TimeExpr | None = None
        self.semicolons = [i for i, ch in enumerate(sentence) if ch == ";"]
        self._sentence = sentence
        self.body_start = 0  # where the sentence starts after its dateline, if any
        self._atom_anywhere: bool | None = None
        self._month_atoms: list[tuple[int, tuple[int, int]]] | None = None

    def free(self, a: int, b: int) -> bool:
        """Whether ``[a, b)`` overlaps no span claimed so far."""
        return self.taken.free(a, b)

    def claim(self, a: int, b: int) -> None:
        """Claim ``[a, b)`` without binding it to any days (a later rule will not read it)."""
        self.taken.append((a, b))

    def add(self, a: int, b: int, ps: dt.date | None, pe: dt.date | None, kind: str, **kw: object) -> None:
        """Claim ``[a, b)`` and, when its days are known, record it as an expression."""
        self.taken.append((a, b))
        if ps is not None and pe is not None:
            self.found.append(TimeExpr(a, b, ps, pe, kind, **kw))  # type: ignore[arg-type]

    def atom_anywhere(self) -> bool:
        """Whether the sentence holds any date at all."""
        if self._atom_anywhere is None:
            self._atom_anywhere = bool(ATOM_RE.search(self._sentence, self.body_start))
        return self._atom_anywhere

    def month_atoms(self, ctx: PeriodContext) -> list[tuple[int, tuple[int, int]]]:
        """(end, (year, month)) of every month the sentence names, left to right."""
        if self._month_atoms is None:
            self._month_atoms = _month_atoms(self._sentence, ctx)
        return self._month_atoms


def rule_dateline(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """KABUL, March 17 - Forces raided a compound: the dateline's day is when the report was filed, never bound."""
    m = DATELINE_RE.match(sentence)
    if m is not None:
        claims.claim(m.start("date"), m.end("date"))
        claims.body_start = m.end()


def rule_n_day_operation(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """The 12-day operation, which began on Aug. 20: a span of n days from its start (an anchor)."""
    n_day = N_DAY_OP_RE.search(sentence)
    start_m = START_RE.search(sentence)
    if not (n_day and start_m) or SINCE_RE.search(sentence[: start_m.start()]):
        return
    n = _small_int(n_day.group("n"))
    got = resolve_atom(start_m, "b_", ctx)
    if n and got:
        ctx.anchors.append(got[0])
        claims.add(
            min(n_day.start(), start_m.start()),
            max(n_day.end(), start_m.end()),
            got[0],
            got[0] + dt.timedelta(days=n - 1),
            "span",
        )


def rule_since_comparison(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """The deadliest month since records began: a comparison, not the period of the count it follows."""
    for sm in SINCE_RE.finditer(sentence):
        if not claims.free(sm.start(), sm.end()):
            continue
        if SINCE_COMPARISON_RE.search(sentence, max(0, sm.start() - 80), sm.start()):
            stop = CLAUSE_END_RE.search(sentence, sm.end())
            claims.claim(sm.start(), stop.start() if stop else len(sentence))


def rule_since_last_report(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Since our previous briefing on Thursday: from that day to the reference day, cumulative (no event start)."""
    for rm in SINCE_LAST_REPORT_RE.finditer(sentence):
        got = resolve_atom(rm, "b_", ctx) if claims.free(rm.start(), rm.end()) else None
        if got and ctx.ref and got[0] <= ctx.ref:
            claims.add(rm.start(), rm.end(), got[0], ctx.ref, "since", cumulative=True)


def rule_since(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Since the attack began Oct. 17: from that day (an anchor) to the reference day, cumulative."""
    for sm in SINCE_RE.finditer(sentence):
        if not claims.free(sm.start(), sm.end()):
            continue
        # the clause after "since" (up to the next semicolon), read in place: no copy of the sentence's rest
        c0 = sm.end()
        k = bisect.bisect_left(claims.semicolons, c0)
        c1 = claims.semicolons[k] if k < len(claims.semicolons) else len(sentence)
        direct = SINCE_EVENT_RE.match(sentence, c0, c1)
        am = ATOM_RE.match(sentence, direct.end(), c1) if direct else None
        if am is None:
            comma = sentence.find(",", c0, c1)  # the start verb of the since clause, not of the main one
            vm = SINCE_START_VERB_RE.search(sentence, c0, min(c1 if comma < 0 else comma, c0 + 120))
            am = ATOM_RE.match(sentence, vm.end(), c1) if vm else None
            if vm and am is None:
                am = _since_event_date(sentence, c0, c1)  # "since the army launched its push north in August"
            if vm and am is None:
                # "since the attack ... began" without a date: the page's event start (or its war's).
                if ctx.since_start and ctx.ref:
                    claims.add(sm.start(), vm.end(), ctx.since_start, ctx.ref, "since", cumulative=True)
                else:
                    claims.claim(sm.start(), vm.end())
                continue
        if am is None:
            am = _since_event_date(sentence, c0, c1)
        if am is None:
            continue
        got = resolve_atom(am, "", ctx)
        end = am.end()
        yw = MONTH_YEAR_WORDS_RE.match(sentence, end, c1) if am.group("mon3") and not am.group("y3") else None
        if got and yw and ctx.ref_year:  # "since the invasion began in February last year"
            y = ctx.ref_year - (1 if yw.group("which").lower() == "last" else 0)
            got = (got[0].replace(year=y), got[1].replace(year=y), got[2])
            end = yw.end()
        if got:
            ctx.anchors.append(got[0])
            claims.add(sm.start(), end, got[0], ctx.ref, "since", cumulative=True)
        else:
            claims.claim(sm.start(), end)


def rule_since_event(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Since the invasion: from the page's event start (or its war's start) to the reference day, cumulative."""
    ref = ctx.ref
    for sm in SINCE_RE.finditer(sentence):
        cm = SINCE_CALENDAR_RE.match(sentence, sm.end(), min(len(sentence), sm.end() + 60))
        if cm is not None and ref is not None and claims.free(sm.start(), cm.end()):
            first = ref.replace(month=1, day=1) if cm.group("unit").lower() == "year" else ref.replace(day=1)
            claims.add(sm.start(), cm.end(), first, ref, "since", cumulative=True)
            continue
        nm = SINCE_NOUN_RE.match(sentence, sm.end(), min(len(sentence), sm.end() + 80))
        if nm is None or not claims.free(sm.start(), nm.end()):
            continue
        if ctx.since_start and ctx.ref and ctx.since_start <= ctx.ref:
            claims.add(sm.start(), nm.end(), ctx.since_start, ctx.ref, "since", cumulative=True)
        else:
            claims.claim(sm.start(), nm.end())


def rule_between(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Between the start of the war on Oct. 7 and Nov. 24: a span (its first day an anchor after "start")."""
    for bm in BETWEEN_RE.finditer(sentence):
        if not claims.free(bm.start(), bm.end()):
            continue
        a = resolve_atom(bm, "a_", ctx)
        b = resolve_atom(bm, "b_", ctx)
        if a and b and a[0] <= b[1]:
            if bm.group("lead") and re.search(r"\b(?:start|beginning)\b", bm.group("lead")):
                ctx.anchors.append(a[0])
            claims.add(bm.start(), bm.end(), a[0], b[1], "span")


def rule_hours_to(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """In the 24 hours to Wednesday: the days those hours cover, ending on that day."""
    for hm in HOURS_TO_RE.finditer(sentence):
        b = resolve_atom(hm, "b_", ctx)
        n = _small_int(hm.group("n"))
        if b and n and claims.free(hm.start(), hm.end()):
            claims.add(
                hm.start(), hm.end(), b[1] - dt.timedelta(days=max(1, math.ceil(n / 24))), b[1], "span"
            )


def rule_overnight_into(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Overnight into Wednesday: that day and the one before."""
    for om in OVERNIGHT_RE.finditer(sentence):
        b = resolve_atom(om, "b_", ctx)
        if b and claims.free(om.start(), om.end()):
            claims.add(om.start(), om.end(), b[0] - dt.timedelta(days=1), b[1], "span")


def rule_overnight_alone(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Strikes overnight (in a sentence naming no date): the reference day and the one before."""
    ref = ctx.ref
    for om in OVERNIGHT_ALONE_RE.finditer(sentence):
        if ref and claims.free(om.start(), om.end()) and not claims.atom_anywhere():
            claims.add(om.start(), om.end(), ref - dt.timedelta(days=1), ref, "span")


def rule_past_hours(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """In the past 48 hours: the days before the reference day, up to it."""
    ref = ctx.ref
    for pm in PAST_HOURS_RE.finditer(sentence):
        n = _small_int(pm.group("n"))
        if n and ref and claims.free(pm.start(), pm.end()):
            days = max(1, math.ceil(n / 24)) if pm.group("unit") == "hours" else n
            claims.add(pm.start(), pm.end(), ref - dt.timedelta(days=days), ref, "span")


def rule_past_day(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """In the past day: the day before the reference day and that day, like "the past 24 hours"."""
    ref = ctx.ref
    for pm in PAST_DAY_RE.finditer(sentence):
        if ref and claims.free(pm.start(), pm.end()):
            claims.add(pm.start(), pm.end(), ref - dt.timedelta(days=1), ref, "span")


def rule_period_to(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """In the week to Friday (or the ten days to March 3): the days that end on that day."""
    for pm in PERIOD_TO_RE.finditer(sentence):
        b = resolve_atom(pm, "b_", ctx)
        if b is None or not claims.free(pm.start(), pm.end()):
            continue
        n = _small_int(pm.group("n")) if pm.group("n") else 1
        if n:
            days = n if pm.group("unit").lower() == "days" else 7 * n
            claims.add(pm.start(), pm.end(), b[1] - dt.timedelta(days=days - 1), b[1], "span")


def rule_period_before(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """In the six months before it took effect on April 2: the months that end the day before that day."""
    for pm in PERIOD_BEFORE_RE.finditer(sentence):
        n = _small_int(pm.group("n"))
        head = re.split(r"[,;]", sentence[pm.end() : pm.end() + 100], maxsplit=1)[0]
        am = ATOM_RE.match(sentence, pm.end())
        if am is None:
            on = re.search(r"\b(?:on|in)\s+", head)
            am = ATOM_RE.match(sentence, pm.end() + on.end()) if on else None
        got = resolve_atom(am, "", ctx) if am else None
        if not (n and got and am) or not claims.free(pm.start(), am.end()):
            continue
        end = got[0] - dt.timedelta(days=1)
        unit = pm.group("unit").lower()
        if unit == "months":
            y, m = divmod(got[0].year * 12 + got[0].month - 1 - n, 12)
            start = got[0].replace(year=y, month=m + 1, day=min(got[0].day, calendar.monthrange(y, m + 1)[1]))
        else:
            start = got[0] - dt.timedelta(days=n * (7 if unit == "weeks" else 1))
        claims.add(pm.start(), am.end(), start, end, "span")


def rule_past_weeks(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Over the past fortnight (or the past three weeks): the days back from the reference day, up to it."""
    ref = ctx.ref
    for pm in PAST_WEEKS_RE.finditer(sentence):
        n = _small_int(pm.group("n")) if pm.group("n") else 2
        if n and ref and claims.free(pm.start(), pm.end()):
            claims.add(pm.start(), pm.end(), ref - dt.timedelta(days=7 * n), ref, "span")


def rule_week_of_month(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """In the last week of February (or of the month named before): seven days of that month."""
    for wm in WEEK_OF_MONTH_RE.finditer(sentence):
        if not claims.free(wm.start(), wm.end()):
            continue
        ym: tuple[int, int] | None = None
        if wm.group("mon"):
            mon = _month_of(wm.group("mon"))
            y = int(wm.group("year")) if wm.group("year") else (_year_for(ctx, mon) if mon else None)
            ym = (y, mon) if y and mon else None
        else:
            ym = ctx.last_month or ((ctx.ref.year, ctx.ref.month) if ctx.ref else None)
        if ym is None:
            claims.claim(wm.start(), wm.end())
            continue
        first, last = month_span(*ym)
        part = wm.group("part").lower()
        if part in ("last", "final"):
            claims.add(wm.start(), wm.end(), last - dt.timedelta(days=6), last, "span")
        else:
            start = first + dt.timedelta(days=7 * {"first": 0, "second": 1, "third": 2}[part])
            claims.add(wm.start(), wm.end(), start, start + dt.timedelta(days=6), "span")


def rule_first_n(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """The first 48 hours of the escalation (its first week, its first night; of a month): a span from its start."""
    for fm in FIRST_N_RE.finditer(sentence):
        if not claims.free(fm.start(), fm.end()):
            continue
        unit = fm.group("unit").lower()
        n = _small_int(fm.group("n")) if fm.group("n") else 1
        mon = _month_of(fm.group("of"))
        year = _year_for(ctx, mon) if mon else None
        if not n or not (ctx.anchors or year):
            continue
        a0 = (
            dt.date(year, mon, 1) if year and mon else ctx.anchors[-1]
        )  # "the first three weeks of September"
        if unit == "hours":
            days = max(1, math.ceil(n / 24))
        elif unit in ("week", "weeks"):
            days = 7 * n - 1
        elif unit in ("night", "nights"):
            days = n  # a night runs into the next day: "the first night of strikes" is two days
        else:
            days = n - 1
        claims.add(fm.start(), fm.end(), a0, a0 + dt.timedelta(days=days), "span")


def rule_over_n_days(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Over the 12 days of fighting: from the last event start (or n days back) to the reference day."""
    ref = ctx.ref
    for om in OVER_N_DAYS_RE.finditer(sentence):
        n = _small_int(om.group("n"))
        if n and ref and claims.free(om.start(), om.end()):
            start = ctx.anchors[-1] if ctx.anchors else ref - dt.timedelta(days=n - 1)
            claims.add(om.start(), om.end(), start, ref, "span")


def rule_lookback(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Those 12 days: a look back of n days, resolved by the reader (no days of its own)."""
    for lm in LOOKBACK_RE.finditer(sentence):
        n = _small_int(lm.group("n") or lm.group("n2"))
        if n and claims.free(lm.start(), lm.end()):
            claims.claim(lm.start(), lm.end())
            claims.found.append(TimeExpr(lm.start(), lm.end(), None, None, "lookback", lookback_days=n))


def rule_event_start(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """The campaign began on Aug. 8: an event start, remembered as an anchor, never bound to a count."""
    for st in START_RE.finditer(sentence):
        if claims.free(st.start(), st.end()):
            got = resolve_atom(st, "b_", ctx)
            if got:
                ctx.anchors.append(got[0])
            claims.claim(st.start(), st.end())


def rule_day_range(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """On the night of June 21 to 22 (or 12 and 13 October, Oct. 3-5): two days of one month and those between."""
    for dm in DAY_RANGE_RE.finditer(sentence):
        if not claims.free(dm.start(), dm.end()):
            continue
        mon = _month_of(dm.group("mon") or dm.group("mon2"))
        d1, d2 = int(dm.group("d1") or dm.group("e1")), int(dm.group("d2") or dm.group("e2"))
        if mon is None or not 1 <= d1 < d2 <= 31:
            continue
        year = int(dm.group("year")) if dm.group("year") else _year_for(ctx, mon, d2)
        a, b = _day(year, mon, d1), _day(year, mon, d2)
        if a and b:
            claims.add(dm.start(), dm.end(), a[0], b[1], "span")


def rule_two_atom_span(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """On Tuesday and Wednesday (or October and November, June 18 and Aug. 30): a span of two dates."""
    for sp in SPAN_RE.finditer(sentence):
        if not claims.free(sp.start(), sp.end()):
            continue
        a = resolve_atom(sp, "a_", ctx)
        b = resolve_atom(sp, "b_", ctx)
        if a and b and a[0] <= b[1] and (a[2] == b[2] or {a[2], b[2]} <= {"day", "month"}):
            claims.add(sp.start(), sp.end(), a[0], b[1], "span")


def rule_during_war(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """During the war: from the page's event start (or its war's start) to the reference day, cumulative."""
    for wm in DURING_WAR_RE.finditer(sentence):
        if claims.free(wm.start(), wm.end()) and ctx.since_start and ctx.ref and ctx.since_start <= ctx.ref:
            claims.add(wm.start(), wm.end(), ctx.since_start, ctx.ref, "since", cumulative=True)


def rule_cutoff(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Through Sept. 30: the sentence's cut-off (the last one wins), cumulative, never bound."""
    for cm in CUTOFF_RE.finditer(sentence):
        if not claims.free(cm.start(), cm.end()):
            continue
        got = resolve_atom(cm, "b_", ctx)
        claims.claim(cm.start(), cm.end())
        if got:
            claims.cutoff = TimeExpr(cm.start(), cm.end(), None, got[1], "cutoff", cumulative=True)


def rule_weekend(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Over the weekend (after "on Friday"): the last Saturday and Sunday, from that Friday when told before."""
    ref = ctx.ref
    if ref is None:
        return
    for wm in WEEKEND_RE.finditer(sentence):
        if not claims.free(wm.start(), wm.end()):
            continue
        sat = _weekday_on_or_before(ref, 5)
        end = min(sat + dt.timedelta(days=1), ref)
        start = sat - dt.timedelta(days=1) if wm.group("fri") else sat
        told = [ctx.event_days[0]] if ctx.event_days else []
        for day in told + ctx.anchors[-1:]:
            if sat - dt.timedelta(days=1) <= day < start:
                start = day  # "on Friday ... over the weekend" (or "began on Friday"): one span from Friday
        claims.add(wm.start(), wm.end(), start, end, "span")


def rule_relative_day(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """The next day (after "on Friday", or two days later): the day after the incident's day an earlier sentence stated."""
    told = ctx.event_days
    for rm in RELATIVE_DAY_RE.finditer(sentence):
        if told is None or not claims.free(rm.start(), rm.end()):
            continue
        if rm.group("n"):
            n = _small_int(rm.group("n")) or 0
            later = rm.group("dir").lower() in ("later", "after")
            d = told[1] + dt.timedelta(days=n) if later else told[0] - dt.timedelta(days=n)
        elif rm.group("next"):
            d = told[1] + dt.timedelta(days=1)
        elif rm.group("prev"):
            d = told[0] - dt.timedelta(days=1)
        else:
            d = told[1]
        claims.add(rm.start(), rm.end(), d, d, "day")


def rule_last_week(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Last week: the seven days before the reference day."""
    ref = ctx.ref
    if ref is None:
        return
    for rm in LAST_WEEK_RE.finditer(sentence):
        if claims.free(rm.start(), rm.end()):
            claims.add(rm.start(), rm.end(), ref - dt.timedelta(days=7), ref - dt.timedelta(days=1), "span")


def rule_this_week(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """This week: from Monday to the reference day, cumulative."""
    ref = ctx.ref
    if ref is None:
        return
    for rm in THIS_WEEK_RE.finditer(sentence):
        if claims.free(rm.start(), rm.end()):
            monday = ref - dt.timedelta(days=ref.weekday())
            claims.add(rm.start(), rm.end(), monday, ref, "span", cumulative=True)


def rule_last_month(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Last month: the calendar month before the reference day's."""
    ref = ctx.ref
    if ref is None:
        return
    for rm in LAST_MONTH_RE.finditer(sentence):
        if claims.free(rm.start(), rm.end()):
            first = (ref.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            claims.add(rm.start(), rm.end(), *month_span(first.year, first.month), "month")


def rule_this_month(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """This month: from the first of the reference day's month to that day, cumulative."""
    ref = ctx.ref
    if ref is None:
        return
    for rm in THIS_MONTH_RE.finditer(sentence):
        if claims.free(rm.start(), rm.end()):
            claims.add(rm.start(), rm.end(), ref.replace(day=1), ref, "month", cumulative=True)


def rule_month_last_year(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """In October last year: that month of the year before the reference year."""
    ry = ctx.ref_year
    if not ry:
        return
    for am in ATOM_RE.finditer(sentence):
        yw = MONTH_YEAR_WORDS_RE.match(sentence, am.end())
        if not (am.group("mon3") and not am.group("y3") and yw) or not claims.free(am.start(), yw.end()):
            continue
        mon = _month_of(am.group("mon3"))
        if mon:
            y = ry - 1 if yw.group("which").lower() == "last" else ry
            claims.add(am.start(), yw.end(), *month_span(y, mon), "month")


def rule_last_year(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Last year: the calendar year before the reference year."""
    ry = ctx.ref_year
    if not ry:
        return
    for rm in LAST_YEAR_RE.finditer(sentence):
        if claims.free(rm.start(), rm.end()):
            claims.add(rm.start(), rm.end(), dt.date(ry - 1, 1, 1), dt.date(ry - 1, 12, 31), "year")


def rule_this_year(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """So far this year: from Jan. 1 to the reference day (or the year's end), cumulative."""
    ry = ctx.ref_year
    if not ry:
        return
    for rm in THIS_YEAR_RE.finditer(sentence):
        if claims.free(rm.start(), rm.end()):
            end = ctx.ref or dt.date(ry, 12, 31)
            claims.add(rm.start(), rm.end(), dt.date(ry, 1, 1), end, "year", cumulative=True)


def rule_part_of_year(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """The first quarter of 2020 (or the second half of the year): those months."""
    ry = ctx.ref_year
    if not ry:
        return
    for rm in PART_OF_YEAR_RE.finditer(sentence):
        if not claims.free(rm.start(), rm.end()):
            continue
        y = int(rm.group("year")) if rm.group("year") else ry
        part, unit = rm.group("part").lower(), rm.group("unit").lower()
        idx = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}[part]
        size = {"quarter": 3, "half": 6}.get(unit) or _small_int(rm.group("n")) or 0
        if not 0 < size <= 12 or (rm.group("n") and part not in ("first", "last")):
            continue
        if idx == -1:
            m0 = 13 - size  # the last quarter, half or n months of the year
        elif size * (idx + 1) > 12:
            continue
        else:
            m0 = idx * size + 1
        if not rm.group("year") and ctx.ref is not None and dt.date(y, m0, 1) > ctx.ref:
            y -= 1  # "the second half of the year" in a January article: the year just ended
        claims.add(rm.start(), rm.end(), dt.date(y, m0, 1), month_span(y, m0 + size - 1)[1], "span")


def rule_last_monthname(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """Strikes last October: the latest October before the reference day's month."""
    ry = ctx.ref_year
    for lm in LAST_MONTHNAME_RE.finditer(sentence):
        mon = _month_of(lm.group("mon"))
        if mon and claims.free(lm.start(), lm.end()) and ry:
            y = ry - 1 if ctx.ref is None or mon >= ctx.ref.month else ry
            claims.add(lm.start(), lm.end(), *month_span(y, mon), "month")


def rule_month_before(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """In October, and 30 the month before: the month before the last month named (here or earlier)."""
    for mb in MONTH_BEFORE_RE.finditer(sentence):
        if not claims.free(mb.start(), mb.end()):
            continue
        month_atoms = claims.month_atoms(ctx)
        i = bisect.bisect_right(month_atoms, (mb.start(), (10_000, 13))) - 1
        prev = month_atoms[i][1] if i >= 0 else ctx.last_month
        if prev:
            y, mon = prev
            mon -= 1
            if mon == 0:
                y, mon = y - 1, 12
            claims.add(mb.start(), mb.end(), *month_span(y, mon), "month")


def rule_single_atom(sentence: str, ctx: PeriodContext, claims: _Claims) -> None:
    """On Tuesday (or on Oct. 17, in October, in 2019, yesterday): one date; "said Tuesday" is not one."""
    for am in ATOM_RE.finditer(sentence):
        if not claims.free(am.start(), am.end()):
            continue
        if _is_reporting(sentence, am.start()):
            claims.claim(am.start(), am.end())
            continue
        got = resolve_atom(am, "", ctx)
        if got is None:
            continue
        bare = (
            bool(am.group("mon3"))
            and not am.group("y3")
            and not BARE_MONTH_PREP_RE.search(sentence, max(0, am.start() - LOOKBACK_CHARS), am.start())
        )
        if bare and not am.group("mid") and not _month_stands_alone(sentence, am.start(), am.end()):
            claims.claim(am.start(), am.end())  # "Maya", "May said", "thousands March": a name or a verb
            continue
        claims.add(am.start(), am.end(), got[0], got[1], got[2], bare_month=bare)


def _month_stands_alone(sentence: str, a: int, b: int) -> bool:
    """Whether a month word with no day, year or preposition is still a month ("June remained the peak
    month", "January, with 2,718"), not a name ("Theresa May", "May said") or a verb ("Thousands March")."""
    if NAME_BEFORE_RE.search(sentence, max(0, a - 40), a):
        return False
    return not NOT_A_MONTH_AFTER_RE.match(sentence, b)


TimeRule = Callable[[str, PeriodContext, _Claims], None]
# The rules in the order they read a sentence: a rule reads only what earlier rules left free, so a
# longer or more specific phrase comes before the parts it is made of ("since Oct. 17" before "Oct. 17").
# A new rule goes where its phrase must win over the rules after it; test it in tests/unit/test_time_rules.py.
TIME_RULES: tuple[TimeRule, ...] = (
    rule_dateline,
    rule_n_day_operation,
    rule_since_comparison,
    rule_since_last_report,
    rule_since,
    rule_since_event,
    rule_between,
    rule_hours_to,
    rule_overnight_into,
    rule_overnight_alone,
    rule_past_hours,
    rule_past_day,
    rule_period_to,
    rule_period_before,
    rule_past_weeks,
    rule_week_of_month,
    rule_first_n,
    rule_over_n_days,
    rule_lookback,
    rule_event_start,
    rule_day_range,
    rule_two_atom_span,
    rule_during_war,
    rule_cutoff,
    rule_weekend,
    rule_relative_day,
    rule_last_week,
    rule_this_week,
    rule_last_month,
    rule_this_month,
    rule_month_last_year,
    rule_last_year,
    rule_this_year,
    rule_part_of_year,
    rule_last_monthname,
    rule_month_before,
    rule_single_atom,
)


def find_time_expressions(sentence: str, ctx: PeriodContext) -> tuple[list[TimeExpr], TimeExpr | None]:
    """Bindable time expressions in ``sentence`` and the sentence's cut-off, if any: each rule of
    :data:`TIME_RULES` in turn claims the phrases it reads.

    Also records event start days in ``ctx.anchors`` and the last month named in ``ctx.last_month``.
    """
    claims = _Claims(sentence)
    for rule in TIME_RULES:
        rule(sentence, ctx, claims)
    out = _joined_days(sentence, sorted(claims.found, key=lambda e: e.start))
    last = [e for e in out if e.kind == "month" and e.period_start]
    if last and last[-1].period_start:
        ctx.last_month = (last[-1].period_start.year, last[-1].period_start.month)
    return out, claims.cutoff


# What joins two days told as one incident's: "that night and again on Thursday", "yesterday and today".
DAYS_JOIN_RE = re.compile(r"\s+and\s+(?:again\s+|also\s+)?(?:(?:early|late)\s+)?(?:on\s+)?", re.I)


def _joined_days(sentence: str, exprs: list[TimeExpr]) -> list[TimeExpr]:
    """Two days that different rules read, joined by "and (again) (on)" ("that night and again on
    Thursday"), are one span from the first to the second."""
    out: list[TimeExpr] = []
    for e in exprs:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "day"
            and e.kind == "day"
            and prev.period_start
            and e.period_start
            and e.period_end
            and 0 < (e.period_start - prev.period_start).days <= 7
            and DAYS_JOIN_RE.fullmatch(sentence, prev.end, e.start)
        ):
            out[-1] = TimeExpr(prev.start, e.end, prev.period_start, e.period_end, "span")
            continue
        out.append(e)
    return out


def _since_event_date(sentence: str, pos: int, endpos: int) -> re.Match[str] | None:
    """The date of the event named after "since" ("since the alliance took command of the operation on
    March 31"): the first "in/on <date>" before the clause's first comma. The clause is
    ``sentence[pos:endpos]``, read in place."""
    if not SINCE_EVENT_START_RE.match(sentence, pos, endpos):
        return None
    head = re.split(r"[,;]", sentence[pos : min(endpos, pos + SINCE_EVENT_MAX_CHARS)], maxsplit=1)[0]
    for m in re.finditer(r"\b(?:in|on)\s+", head):
        am = ATOM_RE.match(sentence, pos + m.end(), endpos)
        if am is not None:
            return am
    return None


def parse_reference_date(value: str | None) -> dt.date | None:
    """The day of an ISO date/datetime (as printed, local time) or a compact YYYYMMDD."""
    if not value:
        return None
    v = value.strip()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", v) or re.match(r"(\d{4})(\d{2})(\d{2})\b", v)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


URL_DATE_RE = re.compile(
    r"/((?:19|20)\d\d)[/-](\d{1,2})[/-](\d{1,2})(?:/|-|$)|[/=_-]((?:19|20)\d\d)(\d\d)(\d\d)(?!\d)"
)


def date_from_url(url: str | None) -> dt.date | None:
    """A publication day written into an article URL (/2019/12/30/ or 2019-09-16 or 20170407)."""
    if not url:
        return None
    for m in URL_DATE_RE.finditer(url):
        parts = m.groups()
        y, mo, d = (parts[0], parts[1], parts[2]) if parts[0] else (parts[3], parts[4], parts[5])
        try:
            return dt.date(int(y), int(mo), int(d))
        except (TypeError, ValueError):
            continue
    return None


YEAR_IN_TEXT_RE = re.compile(r"(?<![\d$,.-])((?:19[5-9]|20\d)\d)(?![\d-])")


def year_from_text(texts: list[str]) -> int | None:
    """The year an undated article is about: the latest year its body mentions."""
    years = [int(m.group(1)) for t in texts for m in YEAR_IN_TEXT_RE.finditer(t)]
    return max(years) if years else None


_RANGE_MONTH = r"(?P<mon>(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?)(?![A-Za-z])"
_RANGE_DAY = r"(?P<{g}>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
_RANGE_SEP = r"\s*(?:[-–—]|\bto\b|\buntil\b|\bthrough\b|\bthru\b)\s*"
_RANGE_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d)(?!\d))?"
DAY_RANGE_RES = (
    # "3-9 March", "24 to 31 March 2024", "3rd-9th March"
    re.compile(
        r"(?<![\w.,/])" + _RANGE_DAY.format(g="d1") + _RANGE_SEP + _RANGE_DAY.format(g="d2") + r"\s+"
        r"" + _RANGE_MONTH + _RANGE_YEAR,
        re.I,
    ),
    # "March 17-23", "Mar 3 - 9", "April 1 through 6, 2022"
    re.compile(
        r"(?<![\w.])"
        + _RANGE_MONTH
        + r"\s+"
        + _RANGE_DAY.format(g="d1")
        + _RANGE_SEP
        + _RANGE_DAY.format(g="d2")
        + r"(?![\w/])"
        + _RANGE_YEAR,
        re.I,
    ),
)


def day_range_span(text: str, ctx: PeriodContext) -> tuple[dt.date, dt.date] | None:
    """The days a range of days within one month covers ("3-9 March", "March 17-23", "24 to 31 March"),
    first to last; the year as stated, else as for a single day of that month (:func:`_year_for`).

    Used for a table's first cell, where such a range names the span the row's counts cover (the sentence
    rules read "3-9 March" as its last day only)."""
    for rx in DAY_RANGE_RES:
        m = rx.search(text)
        if not m:
            continue
        mon = _month_of(m.group("mon"))
        d1, d2 = int(m.group("d1")), int(m.group("d2"))
        if mon is None or not 1 <= d1 < d2:
            continue
        year = int(m.group("year")) if m.group("year") else _year_for(ctx, mon, d2)
        if year is None or d2 > calendar.monthrange(year, mon)[1]:
            continue
        return dt.date(year, mon, d1), dt.date(year, mon, d2)
    return None
