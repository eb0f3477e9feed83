"""Actor, target and location names: normalised short names read from a sentence or its page."""

from __future__ import annotations

import logging
import re
from collections import Counter

logger = logging.getLogger(__name__)

# (pattern, name) in priority order: the first that matches a sentence names its actor.
ACTOR_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bSaudi[- ]led\b|\bSaudi\b.{0,20}\bcoalition\b", re.I), "Saudi-led coalition"),
    (re.compile(r"\bU\.?S\.?,? UK and France\b|\bUnited States, Britain and France\b"), "US, UK and France"),
    (re.compile(r"\bU\.?S\.? and (?:UK|U\.K\.|British|Britain)\b|\bAmerican and British\b"), "US and UK"),
    (
        re.compile(
            r"\bU\.?S\.?[- ]led\b|\bcoalition\b|\bpartner[- ]nations?\b|\bpartners\b|\ballied\b|\ballies\b|"
            r"\bCJTF\b|\bInherent Resolve\b|\bAir Forces Central\b|\bAFCENT\b",
            re.I,
        ),
        "US-led coalition",
    ),
    (re.compile(r"\bRussian?\b|\bMoscow\b|\bKremlin\b"), "Russia"),
    (re.compile(r"\bIslamic Jihad\b"), "Palestinian Islamic Jihad"),
    (
        re.compile(r"\bPalestinian militants\b|\bHamas\b|\bfrom Gaza\b|\bfrom the Gaza Strip\b"),
        "Palestinian militants",
    ),
    (
        re.compile(r"\bIsraeli (?:jets|military|army|air force|aircraft|forces|warplanes|strikes)\b|\bIDF\b"),
        "Israel",
    ),
    (re.compile(r"\bIranian?\b|\bTehran\b|\bIRGC\b"), "Iran"),
    (re.compile(r"\bHouthis?\b.{0,30}\b(?:fired|launched)\b"), "Houthis"),
    (re.compile(r"\bBritish\b|\bRoyal Air Force\b|\bRAF\b|\bU\.K\.\b|\bUnited Kingdom\b"), "United Kingdom"),
    (
        re.compile(
            r"\bU\.S\.|\bUS\b|\bUnited States\b|\bAmerican\b|\bAFRICOM\b|\bAfrica Command\b|\bPentagon\b"
        ),
        "United States",
    ),
)
TARGET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bKhorasan\b"), "Khorasan Group"),
    (re.compile(r"\bal-Shabaab\b|\bShabaab\b", re.I), "al-Shabaab"),
    (re.compile(r"\bTaliban\b.{0,20}\bISIS-K\b"), "Taliban and ISIS-K"),
    (re.compile(r"\bIslamic State\b|\bISIS\b|\bISIL\b|\bDaesh\b|\bIS\b"), "ISIS"),
    (re.compile(r"\bHouthis?\b"), "Houthis"),
    (
        re.compile(
            r"\bSyrian government\b|\bAssad\b|\bSyria[’']s\b.{0,30}\bair base\b|\bSyrian (?:army|regime)\b"
        ),
        "Syrian government",
    ),
    (re.compile(r"\bIranian forces\b"), "Iranian forces"),
    (re.compile(r"\b(?:at|on|into) Israel\b"), "Israel"),
    (re.compile(r"\bUkrain"), "Ukraine"),
)
PLACE_PREPOSITION_RE = re.compile(
    r"\b(?:in|near|around|across|over|outside|at|(?:north|south|east|west|northeast|northwest|southeast|southwest)"
    r"(?:ern)?\s+of)\s+(?:the\s+)?(?:(?:Syrian|Iraqi|Afghan|Yemeni|Somali)\s+(?:city|town|province|village)\s+of\s+)?"
    r"(?P<place>(?:northeastern|northwestern|southeastern|southwestern|northern|southern|eastern|western|central)?\s?"
    r"[A-Z][\w’'-]*(?:\s+(?:ez-|al-|el-|as-|ad-)?[A-Z][\w’'-]*){0,3}(?:\s+and\s+[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){0,2})?)"
)
NOT_PLACES = frozenset(
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Islamic",
        "State",
        "ISIS",
        "ISIL",
        "Daesh",
        "Operation",
        "U.S.",
        "US",
        "Central",
        "Command",
        "Air",
        "Forces",
        "The",
        "Pentagon",
        "Washington's",
        "Congress",
        "Iron",
        "Dome",
        "Raqqa's",
        "Mosul's",
    ]
)
PLACE_TRAILING_WORDS = frozenset({"governorate", "province", "region", "city", "town", "district"})


def find_actor(sentence: str) -> str | None:
    for pattern, name in ACTOR_PATTERNS:
        if pattern.search(sentence):
            return name
    return None


def find_target(sentence: str) -> str | None:
    for pattern, name in TARGET_PATTERNS:
        if pattern.search(sentence):
            return name
    return None


def page_default(texts: list[str], finder: object) -> str | None:
    """The name the page's body states most often (the context for elliptical sentences)."""
    counts: Counter[str] = Counter()
    for t in texts:
        name = finder(t)  # type: ignore[operator]
        if name:
            counts[name] += 1
    return counts.most_common(1)[0][0] if counts else None


def _clean_place(raw: str) -> str | None:
    words = raw.split()
    while words and (words[-1] in NOT_PLACES or words[-1].lower() in PLACE_TRAILING_WORDS):
        words.pop()
    if not words or words[0] in NOT_PLACES:
        return None
    place = " ".join(words)
    place = re.sub(r"[’']s$", "", place)
    return place or None


def places_in(sentence: str) -> list[tuple[int, str]]:
    """Places named after a preposition, with their positions."""
    out: list[tuple[int, str]] = []
    for m in PLACE_PREPOSITION_RE.finditer(sentence):
        place = _clean_place(m.group("place").strip())
        if place:
            out.append((m.start(), place))
    return out


def location_for(sentence: str, pos: int, next_pos: int) -> str | None:
    """The place a count at ``pos`` refers to: the first named after it (before the next count), else the
    nearest before it, else the first in the sentence."""
    found = places_in(sentence)
    after = [p for s, p in found if pos <= s < next_pos]
    if after:
        return after[0]
    before = [p for s, p in found if s < pos]
    if before:
        return before[-1]
    return found[0][1] if found else None
