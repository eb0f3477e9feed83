"""Actor, target and location names: normalised short names read from a sentence or its page."""

from __future__ import annotations

import bisect
import functools
import logging
import re
from collections import Counter
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# (pattern, name) in priority order: the first that matches a sentence names its actor.
ACTOR_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bSaudi[- ]led\b|\bSaudi\b.{0,20}\bcoalition\b", re.I), "Saudi-led coalition"),
    (re.compile(r"\bU\.?S\.?,? UK and France\b|\bUnited States, Britain and France\b"), "US, UK and France"),
    (re.compile(r"\bU\.?S\.? and (?:UK|U\.K\.|British|Britain)\b|\bAmerican and British\b"), "US and UK"),
    (re.compile(r"\bNATO\b"), "NATO"),
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
        re.compile(
            r"\bIsraeli (?:jets|military|army|air force|aircraft|forces|warplanes|strikes|drones?)\b|\bIDF\b|"
            r"\bIsrael\b(?:[’']s)?\s+(?:military\s+|air\s+force\s+|army\s+)?(?:struck|hit|launched|carried\s+out|"
            r"conducted|bombed|attacked|fired|pounded|targeted)\b"
        ),
        "Israel",
    ),
    (
        re.compile(
            r"(?<!\bon )(?<!\bat )(?<!\binto )(?<!\bagainst )(?<!\bin )"
            r"\b(?:Iran(?:ian)?s?\b(?![- ](?:backed|aligned|allied|linked|supported|proxies|forces))|Tehran\b|IRGC\b)"
        ),
        "Iran",
    ),
    (re.compile(r"\bHouthis?\b.{0,30}\b(?:fired|launched)\b"), "Houthis"),
    (re.compile(r"\bHezbollah\b.{0,30}\b(?:fired|launched)\b"), "Hezbollah"),
    # rockets fired at Israel with no other party named come from Gaza's armed groups
    (
        re.compile(r"\b(?:fired|launched)\b[^.;]{0,60}\bat (?:southern |northern |central )?Israel\b"),
        "Palestinian militants",
    ),
    (
        re.compile(r"\bBritish\b|\bBritain\b|\bRoyal Air Force\b|\bRAF\b|\bU\.K\.|\bUK\b|\bUnited Kingdom\b"),
        "United Kingdom",
    ),
    (
        re.compile(
            r"\bU\.S\.|\bUS\b|\bUnited States\b|\bAmerican\b|\bAFRICOM\b|\bAfrica Command\b|\bPentagon\b"
        ),
        "United States",
    ),
)
# Reporting clauses: the source of a figure, set off by commas, or "according to ...".
ATTRIBUTION_RE = re.compile(
    r"(?:^|,)\s*(?:(?:the|a|an|its|their)\s+)?(?:[\w.’'-]+\s+){0,6}?(?:said|says|say|reported|reports|announced|"
    r"claimed|claims|stated|confirmed|added|estimated)\b(?:\s+(?:in|on|at)\s+[^,.;]*)?(?=\s*(?:[,.;]|$))"
    r"|,?\s*\baccording\s+to\s+[^,.;]*",
    re.I,
)
# Where an organisation sits is not who acts ("a Britain-based monitoring group").
HOME_BASE_RE = re.compile(r"\b[\w.]+-(?:based|headquartered)\b")
# Ground forces that fight alongside an air campaign: a toll credited to them "assisted by"
# coalition aircraft belongs to both ("Iraqi Army and US-led coalition").
GROUND_FORCE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bIraqi (?:[Aa]rmy|security forces|troops|forces)\b"), "Iraqi Army"),
    (re.compile(r"\bSyrian Democratic Forces\b|\bSyria Democratic Forces\b|\bSDF\b"), "SDF"),
    (re.compile(r"\bPeshmerga\b"), "Peshmerga"),
)
AIR_SUPPORT_ACTORS = frozenset({"US-led coalition", "United States"})
JOINT_ACTION_RE = re.compile(r"\b(?:by|with)\b[^.;]*\b(?:assisted|backed|supported|aided)\s+by\b", re.I)

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
    (re.compile(r"\b(?:at|on|into) (?:northern |southern |central )?Israel\b"), "Israel"),
    (re.compile(r"\bUkrain"), "Ukraine"),
)
PLACE_PREPOSITION_RE = re.compile(
    r"\b(?P<prep>(?i:in|near|around|across|over|outside|at|retake|recapture|liberate|"
    r"(?:strikes?|airstrikes?|air\s+strikes?|raids?|air\s+raids?|attacks?|bombardment|shelling)\s+on|"
    r"(?:city|town|village|province|governorate)\s+of|"
    r"(?:north|south|east|west|northeast|northwest|southeast|southwest)(?:ern)?\s+of))\s+(?:the\s+)?"
    r"(?:(?:Syrian|Iraqi|Afghan|Yemeni|Somali)\s+(?:city|town|province|village)\s+of\s+)?"
    r"(?:[A-Z][\w-]*[’']s\s+)?"
    r"(?P<place>(?:northeastern|northwestern|southeastern|southwestern|northern|southern|eastern|western|central)?\s?"
    r"[A-Z][\w’'-]*(?:\s+(?:ez-|al-|el-|as-|ad-)?[A-Z][\w’'-]*){0,3}"
    r"(?:\s+(?:air\s+base|airbase|base|refinery|port))?"
    r"(?:\s+and\s+[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){0,2})?)"
)
SUBJECT_PLACE_RE = re.compile(r"^(?P<place>[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)\s+(?:saw|recorded|suffered|had)\b")
ANAPHORIC_PLACE_RE = re.compile(
    r"\b(?:in|across|at|on|into|near|around|outside)\s+the\s+(?:city|town|village|province|region|area)\b"
    r"|\bthere\b",
    re.I,
)
ANAPHORIC_COUNTRY_RE = re.compile(r"\b(?:in|across|at|on|into|over|throughout)\s+the\s+country\b", re.I)
#: Countries (and territories) of the air wars the pipeline reads: "the country" refers to the last named.
COUNTRIES = frozenset(
    [
        "Afghanistan", "Iraq", "Syria", "Yemen", "Somalia", "Libya", "Lebanon", "Israel", "Iran", "Ukraine",
        "Russia", "Pakistan", "Sudan", "South Sudan", "Myanmar", "Mali", "Niger", "Nigeria", "Ethiopia",
        "Saudi Arabia", "Jordan", "Egypt", "Turkey", "Armenia", "Azerbaijan", "Gaza", "Palestine", "Kenya",
    ]
)  # fmt: skip
# Nouns after a possessive name that make it a party's, not a place ("in Washington's view").
POSSESSIVE_NON_PLACE_NOUNS = frozenset(
    [
        "view", "views", "eyes", "opinion", "policy", "decision", "strategy", "position", "response", "approach",
        "account", "assessment", "words", "claim", "claims", "campaign", "war", "offensive", "support", "behalf",
        "favour", "favor", "interest", "interests", "name",
    ]
)  # fmt: skip
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
        "Congress",
        "Iron",
        "Dome",
    ]
)
# Adjectives of peoples and names of institutions that look like places after "at"/"in".
NOT_PLACES = NOT_PLACES | frozenset(
    [
        "Houthi",
        "Houthis",
        "Israeli",
        "Palestinian",
        "Russian",
        "American",
        "British",
        "Syrian",
        "Iraqi",
        "Health",
        "Ministry",
        "Defence",
        "Defense",
    ]
)
PLACE_TRAILING_WORDS = frozenset({"governorate", "province", "region", "city", "town", "district"})


def find_actor(sentence: str) -> str | None:
    """The party that acts in ``sentence``. Who reports the figure ("..., the Israeli military said",
    "according to Ukraine's air force") is only the actor when nobody else is named."""
    plain = HOME_BASE_RE.sub(" ", sentence)
    core = without_attribution(plain)
    for text in (core, plain) if core != plain else (plain,):
        for pattern, name in ACTOR_PATTERNS:
            if pattern.search(text):
                return _joint_actor(sentence, name)
    return None


def without_attribution(sentence: str) -> str:
    """``sentence`` without its reporting clauses ("the Israeli military said", "according to ...")."""
    return ATTRIBUTION_RE.sub(" ", sentence)


def _joint_actor(sentence: str, air_actor: str) -> str:
    """ "killed by the Iraqi Army ... assisted by coalition aircraft" -> both, ground force first."""
    if air_actor not in AIR_SUPPORT_ACTORS or not JOINT_ACTION_RE.search(sentence):
        return air_actor
    for pattern, ground in GROUND_FORCE_PATTERNS:
        if pattern.search(sentence):
            return f"{ground} and {air_actor}"
    return air_actor


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
    """Places named after a preposition (or opening the sentence as its subject), with their positions."""
    out: list[tuple[int, str]] = []
    subj = SUBJECT_PLACE_RE.match(sentence)
    if subj and subj.group("place") not in NOT_PLACES:
        out.append((0, subj.group("place")))
    for m in PLACE_PREPOSITION_RE.finditer(sentence):
        raw = m.group("place").strip()
        if re.search(r"[’']s$", raw) and _next_word(sentence, m.end("place")) in POSSESSIVE_NON_PLACE_NOUNS:
            continue
        place = _clean_place(raw)
        if place:
            out.append((m.start(), place))
    return out


_NEXT_WORD_RE = re.compile(r"\s*([A-Za-z]+)")


def _next_word(text: str, pos: int) -> str:
    m = _NEXT_WORD_RE.match(text, pos)
    return m.group(1).lower() if m else ""


def country_of(place: str | None) -> str | None:
    """The country a place name is or ends with ("northern Iraq" -> Iraq), when it is one."""
    if not place:
        return None
    for name in COUNTRIES:
        if place == name or place.endswith(" " + name):
            return name
    return None


def location_for(
    sentence: str, pos: int, next_pos: int, previous: str | None = None, previous_country: str | None = None
) -> str | None:
    """The place a count at ``pos`` refers to: the first named after it in its clause (before the next
    count), else the nearest before it ("near X" first), else the first in the sentence; "there" and
    "the city" take ``previous``, the place the page named last; "the country" takes ``previous_country``."""
    # The sentence's places are read once (a page's sentence can hold thousands of counts), and each count
    # finds its own by bisection on their positions.
    found = _sentence_places(sentence)
    semi = sentence.find(";", pos, next_pos)
    colon = sentence.find(":", pos, next_pos)
    clause_end = min([i for i in (semi, colon) if i >= 0] + [next_pos])
    i = bisect.bisect_left(found.starts, pos)
    if i < len(found.starts) and found.starts[i] < clause_end:
        return found.places[i][1]
    if i > 0:  # places before the count: the last "near X", else the last named
        k = bisect.bisect_left(found.near, i) - 1
        return found.places[found.near[k]][1] if k >= 0 else found.places[i - 1][1]
    if found.places:
        return found.places[0][1]
    if found.anaphoric_country:
        return previous_country or previous
    if previous and found.anaphoric_place:
        return previous
    return None


@dataclass(frozen=True)
class _Places:
    """What ``location_for`` reads of a sentence, computed once per sentence."""

    places: list[tuple[int, str]]
    starts: list[int]
    near: list[int]  # indexes (into places) of the places named after "near"
    anaphoric_country: bool
    anaphoric_place: bool


@functools.lru_cache(maxsize=16)
def _sentence_places(sentence: str) -> _Places:
    found = places_in(sentence)
    return _Places(
        places=found,
        starts=[s for s, _p in found],
        near=[k for k, (s, _p) in enumerate(found) if sentence[s : s + 4].lower() == "near"],
        anaphoric_country=bool(ANAPHORIC_COUNTRY_RE.search(sentence)),
        anaphoric_place=bool(ANAPHORIC_PLACE_RE.search(sentence)),
    )
