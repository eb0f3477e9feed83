"""What a page says about time as a whole, before its sentences are read one by one.

A sentence's counts take the days the sentence states (:mod:`conflict_ingest.extract.periods`); what the
page as a whole tells them is read here, once per page:

- the dateline ("KABUL, Afghanistan (Oct. 3, 2010) - ..." or "BEIRUT, March 3 -"): the day the report was
  filed, the reference day when the page declares no publication date, and the year of a dateline that
  states none;
- the conflict the page is about, and its start day, from :data:`CONFLICT_STARTS` (a small table of
  well-known start dates), for "since the war began" when the page names no start of its own;
- the article's subject period: the year or month its title (or, failing that, its first paragraph) is
  about ("The air war in 2017"), for a total that states no period of its own ("a total of 1,200 strikes").
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from conflict_ingest.extract.periods import (
    ATOM_RE,
    DATELINE_RE,
    PeriodContext,
    TimeExpr,
    find_time_expressions,
    resolve_atom,
)

logger = logging.getLogger(__name__)

#: How far a dateline may be from the declared publication day and still be the page's reference day.
DATELINE_TRUST_DAYS = 31
#: A date right after an article names an event ("the June 2 attack"), not the time of the sentence's own.
NAMING_BEFORE_RE = re.compile(r"\b(?:the|a|an|its|their|this|that)\s+$", re.I)
#: A sentence about what is to come, not about the incident told.
FUTURE_RE = re.compile(
    r"\b(?:will|shall|due\s+to|expected\s+to|scheduled\s+to|set\s+to|plans?\s+to|planned\s+to|is\s+to|are\s+to)\b",
    re.I,
)
#: Words of a total whose period the sentence leaves unstated ("a total of 1,200 strikes", "in all").
TOTAL_CUES_RE = re.compile(
    r"\b(?:total\s+of|in\s+total|in\s+all|all\s+told|altogether|overall|total(?:l?ed|l?ing))\b", re.I
)


@dataclass(frozen=True)
class Conflict:
    """A well-known war or campaign: the words that name it on a page, the day it began, and the years
    in which "since the war began" on a page that names it means this one."""

    name: str
    cues: re.Pattern[str]
    start: dt.date
    until: dt.date | None = None


#: Well-known start days of wars and air campaigns (public facts, as data): a page naming one of these
#: (the most named, among those under way on the reference day) reads "since the war began" from it.
CONFLICT_STARTS: tuple[Conflict, ...] = (
    Conflict(
        "Russia's full-scale invasion of Ukraine",
        re.compile(r"\bUkrain\w*|\bKyiv\b|\bKiev\b", re.I),
        dt.date(2022, 2, 24),
    ),
    Conflict(
        "Gaza war (the 7 October 2023 Hamas attack)",
        re.compile(r"\bGaza\b|\bHamas\b", re.I),
        dt.date(2023, 10, 7),
    ),
    Conflict(
        "Operation Inherent Resolve (air strikes against the Islamic State)",
        re.compile(r"\bISIS\b|\bISIL\b|\bIslamic State\b|\bDaesh\b|\bInherent Resolve\b", re.I),
        dt.date(2014, 8, 8),
    ),
    Conflict("Syrian civil war", re.compile(r"\bSyria\w*\b", re.I), dt.date(2011, 3, 15)),
    Conflict(
        "Iraq war (the 2003 invasion)",
        re.compile(r"\bIraq\w*\b", re.I),
        dt.date(2003, 3, 20),
        dt.date(2011, 12, 18),
    ),
    Conflict(
        "Saudi-led intervention in Yemen",
        re.compile(r"\bYemen\w*\b|\bHouthis?\b", re.I),
        dt.date(2015, 3, 26),
    ),
    Conflict(
        "War in Afghanistan (2001-2021)",
        re.compile(r"\bAfghan\w*\b|\bTaliban\b", re.I),
        dt.date(2001, 10, 7),
        dt.date(2021, 8, 30),
    ),
)


def conflict_start(texts: Sequence[str], ref: dt.date | None) -> dt.date | None:
    """The start day of the conflict the page names most, among those under way on ``ref``."""
    if ref is None:
        return None
    best: tuple[int, dt.date] | None = None
    for c in CONFLICT_STARTS:
        if ref < c.start or (c.until is not None and ref > c.until + dt.timedelta(days=365)):
            continue
        n = sum(len(c.cues.findall(t)) for t in texts)
        if n and (best is None or n > best[0]):
            best = (n, c.start)
    return best[1] if best else None


def dateline_day(texts: Sequence[str], year: int | None, published: dt.date | None = None) -> dt.date | None:
    """The day of the first paragraph's dateline ("KABUL, Afghanistan (Oct. 3, 2010) - ", or a dateline
    standing alone as a paragraph). A dateline without its year takes the year that puts it nearest the
    publication day (else ``year``). Only the first few paragraphs are looked at."""
    for text in texts[:8]:
        m = DATELINE_RE.match(text)
        if m is None:
            continue
        am = ATOM_RE.match(text, m.start("date"), m.end("date"))
        got = resolve_atom(am, "", PeriodContext(year=year)) if am else None
        if got is None or got[2] != "day":
            return None
        day = got[0]
        if published is not None and not am.group("y1"):  # type: ignore[union-attr]
            candidates = []
            for y in (published.year - 1, published.year, published.year + 1):
                try:
                    candidates.append(day.replace(year=y))
                except ValueError:  # Feb. 29
                    continue
            day = min(candidates, key=lambda d: abs((d - published).days), default=day)
        return day
    return None


def subject_period(title: str, lead: str, ctx: PeriodContext) -> tuple[dt.date, dt.date] | None:
    """The one year or month the title (else the first paragraph's first sentence) is about: "The air war
    in 2017" gives 2017-01-01..2017-12-31; a text naming several gives none, and days (the news of the
    day) do not count."""
    for text in (title, lead):
        if not text:
            continue
        probe = PeriodContext(ref=ctx.ref, year=ctx.year)
        exprs, _cut = find_time_expressions(text, probe)
        spans = {
            (e.period_start, e.period_end)
            for e in exprs
            if e.kind in ("year", "month") and e.period_start and e.period_end and not e.cumulative
        }
        if len(spans) == 1 and not any(e.kind == "since" or e.cumulative for e in exprs):
            start, end = spans.pop()
            if start and end:
                return start, end
        if spans:
            return None
    return None


def incident_days(exprs: Sequence[TimeExpr], sentence: str) -> tuple[dt.date, dt.date] | None:
    """The days of the incident a sentence without a count tells ("On Tuesday, forces raided ..."): its
    first day or span that is no running total and does not name another event ("the June 2 attack"),
    carried to the counts of later sentences. A sentence about what is to come ("talks will resume on
    Monday") tells no incident."""
    if exprs and FUTURE_RE.search(sentence):
        return None
    for e in exprs:
        if e.kind in ("day", "span") and not e.cumulative and e.period_start and e.period_end:
            if NAMING_BEFORE_RE.search(sentence, max(0, e.start - 12), e.start):
                continue
            return e.period_start, e.period_end
    return None


@dataclass(frozen=True)
class PageTimes:
    """The page-level time facts the reader starts from."""

    ref: dt.date | None
    year: int | None
    conflict_start: dt.date | None
    subject: tuple[dt.date, dt.date] | None


def page_times(
    title: str, texts: Sequence[str], published: dt.date | None, fallback_year: int | None
) -> PageTimes:
    """The reference day (the publication day, else the dateline's), the year, the conflict's start and
    the subject period of a page whose paragraphs are ``texts``."""
    ref = published
    dateline = dateline_day(texts, published.year if published else fallback_year, published)
    if dateline and (ref is None or abs((dateline - ref).days) <= DATELINE_TRUST_DAYS):
        ref = dateline  # the text's own filing day, over a stamp a few days off (a month's first day)
    year = ref.year if ref else fallback_year
    ctx = PeriodContext(ref=ref, year=year)
    lead = texts[0] if texts else ""
    if lead and DATELINE_RE.match(lead):
        lead = lead[DATELINE_RE.match(lead).end() :]  # type: ignore[union-attr]
    lead = re.split(r"(?<=[.!?])\s+(?=[A-Z])", lead, maxsplit=1)[0]
    return PageTimes(ref, year, conflict_start(texts, ref), subject_period(title, lead, ctx))
