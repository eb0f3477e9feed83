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
START_VERBS = r"(?:began|begun|begins|started|starts|flared|flared up|erupted|broke out|opened|kicked off|got under way|was launched|were launched|launched)"
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
    r"Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept\.|Sep\.|Oct\.|Nov\.|Dec\.)"
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
        r"July|August|September|October|November|December)(?:,?\s+(?P<" + p + r"y2>(?:19|20)\d\d))?"
        r"|(?P<" + p + r"mon3>January|February|March|April|May|June|July|August|September|October|November|"
        r"December)(?:\s+(?P<" + p + r"y3>(?:19|20)\d\d))?"
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
    + r"(?:\s+and\s+(?:ran\s+)?(?:into\s+)?|\s+to\s+|\s+through\s+|"
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
    r"\b(?:the\s+)?(?P<part>first|second|third|fourth|last)\s+(?P<unit>quarter|half|six months|three months)"
    r"(?:\s+of\s+(?:the\s+year|(?P<year>(?:19|20)\d\d)))?",
    re.I,
)
N_DAY_OP_RE = re.compile(r"\b(?P<n>\d+|[a-z]+)-day\b", re.I)
FIRST_N_RE = re.compile(
    r"\b(?:the\s+)?first\s+(?:(?P<n>\w+)\s+)?(?P<unit>hours|days|week|weeks)\s+of\s+(?:the\s+)?\w+", re.I
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
BARE_MONTH_PREP_RE = re.compile(r"\b(?:in|during|for|of|last|through|since|until|by)\s+$", re.I)
CUTOFF_RE = re.compile(
    r"\b(?i:through|thru|by|until|till|to|up\s+to|as\s+of)\s+(?i:the\s+end\s+of\s+)?" + _atom("b_")
)
SINCE_START_VERB_RE = re.compile(r"\b" + START_VERBS + r"\b(?:\s+(?:on|in)\s+|\s+)?")
START_RE = re.compile(r"\b" + START_VERBS + r"\s+(?:on\s+|in\s+)?" + _atom("b_"))


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


def resolve_atom(m: re.Match[str], p: str, ctx: PeriodContext) -> tuple[dt.date, dt.date, str] | None:  # noqa: C901
    """The days one atom (group prefix ``p``) covers, and its kind."""
    g = m.groupdict()
    mid = (g.get(p + "mid") or "").strip().lower()
    if g.get(p + "mon") and g.get(p + "d1"):
        mon = _month_of(g[p + "mon"])
        day = int(g[p + "d1"])
        year = int(g[p + "y1"]) if g.get(p + "y1") else (_year_for(ctx, mon, day) if mon else None)
        return _day(year, mon, day)
    if g.get(p + "d2") and g.get(p + "mon2"):
        mon = _month_of(g[p + "mon2"])
        day = int(g[p + "d2"])
        year = int(g[p + "y2"]) if g.get(p + "y2") else (_year_for(ctx, mon, day) if mon else None)
        return _day(year, mon, day)
    if g.get(p + "mon3"):
        mon = _month_of(g[p + "mon3"])
        if mon is None:
            return None
        year = int(g[p + "y3"]) if g.get(p + "y3") else _year_for(ctx, mon)
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
    if g.get(p + "wd"):
        if g.get(p + "wmon") and g.get(p + "wd_d"):
            mon = _month_of(g[p + "wmon"])
            if mon:
                day = int(g[p + "wd_d"])
                return _day(_year_for(ctx, mon, day), mon, day)
        if ctx.ref is None:
            return None
        d = _weekday_on_or_before(ctx.ref, WEEKDAYS[g[p + "wd"].lower()])
        return d, d, "day"
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


def find_time_expressions(sentence: str, ctx: PeriodContext) -> tuple[list[TimeExpr], TimeExpr | None]:  # noqa: C901
    """Bindable time expressions in ``sentence`` and the sentence's cut-off, if any.

    Also records event start days in ``ctx.anchors`` and the last month named in ``ctx.last_month``.
    """
    taken = _Taken(len(sentence))
    out: list[TimeExpr] = []
    free = taken.free

    def add(a: int, b: int, ps: dt.date | None, pe: dt.date | None, kind: str, **kw: object) -> None:
        taken.append((a, b))
        if ps is not None and pe is not None:
            out.append(TimeExpr(a, b, ps, pe, kind, **kw))  # type: ignore[arg-type]

    semicolons = [i for i, ch in enumerate(sentence) if ch == ";"]
    atom_anywhere: list[bool] = []  # whether the sentence holds any date (computed once, when first asked)
    month_atoms: list[tuple[int, tuple[int, int]]] | None = None  # (end, (year, month)) of month atoms

    ref = ctx.ref
    # "the 12-day operation ... which began on Aug. 20"
    n_day = N_DAY_OP_RE.search(sentence)
    start_m = START_RE.search(sentence)
    if n_day and start_m and not SINCE_RE.search(sentence[: start_m.start()]):
        n = _small_int(n_day.group("n"))
        got = resolve_atom(start_m, "b_", ctx)
        if n and got:
            ctx.anchors.append(got[0])
            add(
                min(n_day.start(), start_m.start()),
                max(n_day.end(), start_m.end()),
                got[0],
                got[0] + dt.timedelta(days=n - 1),
                "span",
            )
    # since ...
    for sm in SINCE_RE.finditer(sentence):
        if not free(sm.start(), sm.end()):
            continue
        # the clause after "since" (up to the next semicolon), read in place: no copy of the sentence's rest
        c0 = sm.end()
        k = bisect.bisect_left(semicolons, c0)
        c1 = semicolons[k] if k < len(semicolons) else len(sentence)
        direct = SINCE_EVENT_RE.match(sentence, c0, c1)
        am = ATOM_RE.match(sentence, direct.end(), c1) if direct else None
        if am is None:
            vm = SINCE_START_VERB_RE.search(sentence, c0, min(c1, c0 + 120))
            am = ATOM_RE.match(sentence, vm.end(), c1) if vm else None
            if vm and am is None:
                # "since the attack ... began" without a date: the page's event start.
                if ctx.anchors:
                    add(sm.start(), vm.end(), ctx.anchors[-1], ref, "since", cumulative=True)
                else:
                    taken.append((sm.start(), vm.end()))
                continue
        if am is None:
            am = _since_event_date(sentence, c0, c1)
        if am is None:
            continue
        got = resolve_atom(am, "", ctx)
        end = am.end()
        if got:
            ctx.anchors.append(got[0])
            add(sm.start(), end, got[0], ref, "since", cumulative=True)
        else:
            taken.append((sm.start(), end))
    # between X and Y
    for bm in BETWEEN_RE.finditer(sentence):
        if not free(bm.start(), bm.end()):
            continue
        a = resolve_atom(bm, "a_", ctx)
        b = resolve_atom(bm, "b_", ctx)
        if a and b and a[0] <= b[1]:
            if bm.group("lead") and re.search(r"\b(?:start|beginning)\b", bm.group("lead")):
                ctx.anchors.append(a[0])
            add(bm.start(), bm.end(), a[0], b[1], "span")
    # in the 24 hours to Wednesday
    for hm in HOURS_TO_RE.finditer(sentence):
        b = resolve_atom(hm, "b_", ctx)
        n = _small_int(hm.group("n"))
        if b and n and free(hm.start(), hm.end()):
            add(hm.start(), hm.end(), b[1] - dt.timedelta(days=max(1, math.ceil(n / 24))), b[1], "span")
    for om in OVERNIGHT_RE.finditer(sentence):
        b = resolve_atom(om, "b_", ctx)
        if b and free(om.start(), om.end()):
            add(om.start(), om.end(), b[0] - dt.timedelta(days=1), b[1], "span")
    for om in OVERNIGHT_ALONE_RE.finditer(sentence):
        if not (ref and free(om.start(), om.end())):
            continue
        if not atom_anywhere:
            atom_anywhere.append(bool(ATOM_RE.search(sentence)))
        if not atom_anywhere[0]:
            add(om.start(), om.end(), ref - dt.timedelta(days=1), ref, "span")
    for pm in PAST_HOURS_RE.finditer(sentence):
        n = _small_int(pm.group("n"))
        if n and ref and free(pm.start(), pm.end()):
            days = max(1, math.ceil(n / 24)) if pm.group("unit") == "hours" else n
            add(pm.start(), pm.end(), ref - dt.timedelta(days=days), ref, "span")
    # first 48 hours of the escalation / first week of the operation
    for fm in FIRST_N_RE.finditer(sentence):
        if not free(fm.start(), fm.end()):
            continue
        unit = fm.group("unit").lower()
        n = _small_int(fm.group("n")) if fm.group("n") else 1
        if not n or not ctx.anchors:
            continue
        a0 = ctx.anchors[-1]
        if unit == "hours":
            span = max(1, math.ceil(n / 24))
            add(fm.start(), fm.end(), a0, a0 + dt.timedelta(days=span), "span")
        elif unit in ("week", "weeks"):
            add(fm.start(), fm.end(), a0, a0 + dt.timedelta(days=7 * n - 1), "span")
        else:
            add(fm.start(), fm.end(), a0, a0 + dt.timedelta(days=n - 1), "span")
    for om in OVER_N_DAYS_RE.finditer(sentence):
        n = _small_int(om.group("n"))
        if n and ref and free(om.start(), om.end()):
            start = ctx.anchors[-1] if ctx.anchors else ref - dt.timedelta(days=n - 1)
            add(om.start(), om.end(), start, ref, "span")
    for lm in LOOKBACK_RE.finditer(sentence):
        n = _small_int(lm.group("n") or lm.group("n2"))
        if n and free(lm.start(), lm.end()):
            taken.append((lm.start(), lm.end()))
            out.append(TimeExpr(lm.start(), lm.end(), None, None, "lookback", lookback_days=n))
    # Event starts that are not "since" ranges: remember, never bind.
    for st in START_RE.finditer(sentence):
        if free(st.start(), st.end()):
            got = resolve_atom(st, "b_", ctx)
            if got:
                ctx.anchors.append(got[0])
            taken.append((st.start(), st.end()))
    # Spans of two atoms: "Tuesday and Wednesday", "October and November", "June 18 and Aug. 30".
    for sp in SPAN_RE.finditer(sentence):
        if not free(sp.start(), sp.end()):
            continue
        a = resolve_atom(sp, "a_", ctx)
        b = resolve_atom(sp, "b_", ctx)
        if a and b and a[0] <= b[1] and (a[2] == b[2] or {a[2], b[2]} <= {"day", "month"}):
            add(sp.start(), sp.end(), a[0], b[1], "span")
    # Cut-offs.
    cutoff: TimeExpr | None = None
    for cm in CUTOFF_RE.finditer(sentence):
        if not free(cm.start(), cm.end()):
            continue
        got = resolve_atom(cm, "b_", ctx)
        taken.append((cm.start(), cm.end()))
        if got:
            cutoff = TimeExpr(cm.start(), cm.end(), None, got[1], "cutoff", cumulative=True)
    # Relative spans.
    if ref:
        for rm in LAST_WEEK_RE.finditer(sentence):
            if free(rm.start(), rm.end()):
                add(rm.start(), rm.end(), ref - dt.timedelta(days=7), ref - dt.timedelta(days=1), "span")
        for rm in THIS_WEEK_RE.finditer(sentence):
            if free(rm.start(), rm.end()):
                add(
                    rm.start(), rm.end(), ref - dt.timedelta(days=ref.weekday()), ref, "span", cumulative=True
                )
        for rm in LAST_MONTH_RE.finditer(sentence):
            if free(rm.start(), rm.end()):
                first = (ref.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
                add(rm.start(), rm.end(), *month_span(first.year, first.month), "month")
        for rm in THIS_MONTH_RE.finditer(sentence):
            if free(rm.start(), rm.end()):
                add(rm.start(), rm.end(), ref.replace(day=1), ref, "month", cumulative=True)
    ry = ctx.ref_year
    if ry:
        for rm in LAST_YEAR_RE.finditer(sentence):
            if free(rm.start(), rm.end()):
                add(rm.start(), rm.end(), dt.date(ry - 1, 1, 1), dt.date(ry - 1, 12, 31), "year")
        for rm in THIS_YEAR_RE.finditer(sentence):
            if free(rm.start(), rm.end()):
                add(
                    rm.start(),
                    rm.end(),
                    dt.date(ry, 1, 1),
                    ref or dt.date(ry, 12, 31),
                    "year",
                    cumulative=True,
                )
        for rm in PART_OF_YEAR_RE.finditer(sentence):
            if not free(rm.start(), rm.end()):
                continue
            y = int(rm.group("year")) if rm.group("year") else ry
            part, unit = rm.group("part").lower(), rm.group("unit").lower()
            idx = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}[part]
            size = {"quarter": 3, "three months": 3, "half": 6, "six months": 6}[unit]
            count = 12 // size
            if idx == -1:
                idx = count - 1
            if idx >= count:
                continue
            m0 = idx * size + 1
            add(rm.start(), rm.end(), dt.date(y, m0, 1), month_span(y, m0 + size - 1)[1], "span")
    for lm in LAST_MONTHNAME_RE.finditer(sentence):
        mon = _month_of(lm.group("mon"))
        if mon and free(lm.start(), lm.end()) and ry:
            y = ry - 1 if ref is None or mon >= ref.month else ry
            add(lm.start(), lm.end(), *month_span(y, mon), "month")
    for mb in MONTH_BEFORE_RE.finditer(sentence):
        if free(mb.start(), mb.end()):
            if month_atoms is None:
                month_atoms = _month_atoms(sentence, ctx)
            i = bisect.bisect_right(month_atoms, (mb.start(), (10_000, 13))) - 1
            prev = month_atoms[i][1] if i >= 0 else ctx.last_month
            if prev:
                y, mon = prev
                mon -= 1
                if mon == 0:
                    y, mon = y - 1, 12
                add(mb.start(), mb.end(), *month_span(y, mon), "month")
    # Single atoms.
    for am in ATOM_RE.finditer(sentence):
        if not free(am.start(), am.end()):
            continue
        if _is_reporting(sentence, am.start()):
            taken.append((am.start(), am.end()))
            continue
        got = resolve_atom(am, "", ctx)
        if got is None:
            continue
        bare = (
            bool(am.group("mon3"))
            and not am.group("y3")
            and not BARE_MONTH_PREP_RE.search(sentence, max(0, am.start() - LOOKBACK_CHARS), am.start())
        )
        add(am.start(), am.end(), got[0], got[1], got[2], bare_month=bare)
    out.sort(key=lambda e: e.start)
    last = [e for e in out if e.kind == "month" and e.period_start]
    if last and last[-1].period_start:
        ctx.last_month = (last[-1].period_start.year, last[-1].period_start.month)
    return out, cutoff


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
