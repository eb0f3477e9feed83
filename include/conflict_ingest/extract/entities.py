"""Actor, target and location names: normalised short names read from a sentence or its page."""

from __future__ import annotations

import bisect
import dataclasses
import functools
import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from conflict_ingest.extract import gazetteer

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
    r"(?:\s+and\s+[A-Z][\w’'-]*(?:\s+(?:ez-|al-|el-|as-|ad-)?[A-Z][\w’'-]*){0,2})?)"
)
SUBJECT_PLACE_RE = re.compile(r"^(?P<place>[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)\s+(?:saw|recorded|suffered|had)\b")
ANAPHORIC_PLACE_RE = re.compile(
    r"\b(?:in|across|at|on|into|near|around|outside)\s+the\s+(?:same\s+)?(?:city|town|village|province|region|area)\b"
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
        # month abbreviations that follow a place in datelines and dates ("in Kabul City Dec. 3")
        "Jan",
        "Feb",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
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
    return [(m.pos, m.name) for m in _place_matches(sentence)]


@dataclass(frozen=True)
class _PlaceMatch:
    pos: int
    name: str  # "Archi"
    full: str  # with the subdivision stated with it: "Archi district, Kunduz province" (else ``name``)
    unit: (
        str  # with the local unit the text writes with it: "Archi district", "village of Sar Kalay" (else "")
    )


def _place_matches(sentence: str) -> list[_PlaceMatch]:
    """``places_in`` with what the text writes right after each place: its unit and subdivision."""
    out: list[_PlaceMatch] = []
    subj = SUBJECT_PLACE_RE.match(sentence)
    if subj and subj.group("place") not in NOT_PLACES:
        out.append(_PlaceMatch(0, subj.group("place"), subj.group("place"), ""))
    for m in PLACE_PREPOSITION_RE.finditer(sentence):
        raw = m.group("place").strip()
        if re.search(r"[’']s$", raw) and _next_word(sentence, m.end("place")) in POSSESSIVE_NON_PLACE_NOUNS:
            continue
        place = _clean_place(raw)
        if place:
            last = raw.rsplit(None, 1)[-1].lower()
            unit = last if last in LOCAL_UNITS else _next_word(sentence, m.end("place"))
            unit = f"{place} {unit}" if unit in LOCAL_UNITS else ""
            before = m.group("prep").split(None, 1)[0].lower()
            if not unit and before in LOCAL_UNITS and m.group("prep").lower().endswith(" of"):
                unit = f"{before} of {place}"  # "the village of Sar Kalay"
            full = _with_subdivision(sentence, m.start("place"), m.end("place"), place)
            out.append(_PlaceMatch(m.start(), place, full, unit))
    return out


def _with_subdivision(sentence: str, start: int, end: int, place: str) -> str:
    """``place`` with the subdivision the text states right after it, in the text's own words: "in Archi
    district, Kunduz province" -> "Archi district, Kunduz province" (not "Archi")."""
    tail = _SUBDIVISION_TAIL_AT.match(sentence, end)
    if tail is None or _stated_subdivision(tail.group("name"), tail.group("unit")) is None:
        return place
    return " ".join(sentence[start : tail.end()].split())


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
    full: dict[
        str, str
    ]  # a place with the subdivision stated with it ("Archi" -> "Archi district, Kunduz province")
    units: dict[str, str]  # a place with the local unit the text writes with it ("Archi" -> "Archi district")
    anaphoric_country: bool
    anaphoric_place: bool


@functools.lru_cache(maxsize=16)
def _sentence_places(sentence: str) -> _Places:
    matches = _place_matches(sentence)
    found = [(m.pos, m.name) for m in matches]
    return _Places(
        places=found,
        full={m.name: m.full for m in matches if m.full != m.name},
        units={m.name: m.unit for m in matches if m.unit},
        starts=[s for s, _p in found],
        near=[k for k, (s, _p) in enumerate(found) if sentence[s : s + 4].lower() == "near"],
        anaphoric_country=bool(ANAPHORIC_COUNTRY_RE.search(sentence)),
        anaphoric_place=bool(ANAPHORIC_PLACE_RE.search(sentence)),
    )


# ---------------------------------------------------------------------------------------------------------------
# Where: the first-level subdivision (admin1) and country of a record's place, from the text and the gazetteer.

#: Words that name a first-level subdivision after its name ("Kunduz province", "Kharkiv oblast"). After one of
#: the first group any name is a subdivision; after "state" or "region" only one the gazetteer knows ("Borno
#: State", "Kurdistan Region"), as "Islamic State" or "the Gulf region" are not.
SUBDIVISION_UNITS = frozenset({"province", "governorate", "oblast", "prefecture"})
# Units below the first level that the text writes after a place's name ("Archi district").
LOCAL_UNITS = ("district", "village", "town", "valley", "area")

_UNIT_WORDS = r"(?i:province|governorate|oblast|prefecture|state|region)"
_NAME = r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){0,2}"
# "..., Kunduz province" / "... district of Laghman Province", read right after a place (see ``places_in``).
# A district may stand between them: "the X school in Y district of Z province".
_LOCAL_UNIT_WORDS = r"(?i:districts?|villages?|towns?|valley|area|city)"
_JOIN = r"(?:\s*,\s*|\s+(?:of|in)\s+(?:the\s+)?)"
_SUBDIVISION_TAIL_AT = re.compile(
    rf"(?:\s+{_LOCAL_UNIT_WORDS})?(?:{_JOIN}{_NAME}\s+{_LOCAL_UNIT_WORDS})?"
    rf"{_JOIN}(?P<name>{_NAME})\s+(?P<unit>{_UNIT_WORDS})\b(?![’'-])"
)
_UNIT_RE = re.compile(rf"\b{_UNIT_WORDS}\b(?![’'-])")
# The name before a unit word, read in a bounded window that ends at it ("in Kunduz " -> "Kunduz").
_NAME_BEFORE_RE = re.compile(rf"(?<![\w’'-])(?P<name>{_NAME})\s+$")
_NAME_AFTER_AT = re.compile(rf"\s+of\s+(?:the\s+)?(?P<name>{_NAME})\b")
NAME_WINDOW_CHARS = 80
# Words a name before a unit may start with that are not part of it ("In Helmand province").
_LEADING_NON_NAMES = frozenset(
    {"in", "on", "at", "near", "the", "of", "across", "around", "outside", "into", "from", "throughout", "and"}
)  # fmt: skip
# A dateline: "KABUL, Afghanistan (date) -" or "KHARKIV, Ukraine -" opening a block.
_DATELINE_RE = re.compile(r"^[A-Z][A-Z .’'-]{1,40},\s+(?P<country>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\b")
_DIRECTIONS = frozenset(
    {
        "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central", "northeastern",
        "northwestern", "southeastern", "southwestern", "northeast", "northwest", "southeast", "southwest", "the",
    }
)  # fmt: skip
_PART_TRAILING = frozenset(
    {"district", "districts", "city", "town", "village", "valley", "area", "air", "base", "airbase", "refinery", "port"}
)  # fmt: skip
_PART_SPLIT_RE = re.compile(r",\s*|\s+and\s+|\s+of\s+")


@dataclass(frozen=True)
class Where:
    """Where a record's count happened: the place as stated, its first-level subdivision and country."""

    location: str | None
    admin1: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class StatedSubdivision:
    """A first-level subdivision the text states: "Kunduz province" (its words), "Kunduz", "AF"."""

    phrase: str
    admin1: str
    country: str | None


def _stated_subdivision(name: str, unit: str, countries: tuple[str, ...] = ()) -> StatedSubdivision | None:
    """ "Kunduz" + "province" -> Kunduz, AF. A name the gazetteer does not know is a subdivision only after
    "province", "governorate", "oblast" or "prefecture" (its country then unknown)."""
    words = name.split()
    cut = max((i + 1 for i, w in enumerate(words) if w.lower() in _LEADING_NON_NAMES), default=0)
    words = words[cut:]  # a headline's capitals: "Kill Five In Paktika Province" -> "Paktika"
    while words and words[0].lower() in _DIRECTIONS:
        words.pop(0)
    if not words or words[0] in NOT_PLACES or words[-1] in NOT_PLACES:
        return None
    name = " ".join(words)
    if gazetteer.is_region(name):
        return None  # "the Gulf region" (Papua New Guinea's Gulf province is not meant)
    sub = gazetteer.find_subdivision(name, countries, stated=True)
    if sub is not None:
        return StatedSubdivision(f"{name} {unit}", sub.name, sub.country)
    if unit.lower() in SUBDIVISION_UNITS and gazetteer.country_code(name) is None:
        return StatedSubdivision(f"{name} {unit}", gazetteer.plain(name), None)
    return None


def stated_subdivisions(text: str, countries: tuple[str, ...] = ()) -> list[tuple[int, StatedSubdivision]]:
    """First-level subdivisions ``text`` names with their unit word, and where: "in Kunduz province",
    "Kharkiv oblast", "the province of Nineveh". Each unit word is read with a bounded window before it."""
    out: list[tuple[int, StatedSubdivision]] = []
    for m in _UNIT_RE.finditer(text):
        unit = m.group(0)
        before = _NAME_BEFORE_RE.search(text, max(0, m.start() - NAME_WINDOW_CHARS), m.start())
        got = _stated_subdivision(before.group("name"), unit, countries) if before else None
        if got is None:
            after = _NAME_AFTER_AT.match(text, m.end())
            got = _stated_subdivision(after.group("name"), unit, countries) if after else None
            if got is not None:  # in the text's words: "the province of Nineveh"
                got = dataclasses.replace(got, phrase=f"{unit} of {got.phrase[: -len(unit) - 1]}")
        if got is not None:
            out.append((m.start(), got))
    return out


def _parts(location: str) -> list[str]:
    """The names a location string joins ("northern Iraq and Syria" -> "Iraq", "Syria")."""
    out = []
    for part in _PART_SPLIT_RE.split(location):
        words = part.split()
        while words and words[0].lower() in _DIRECTIONS:
            words.pop(0)
        while words and words[-1].lower() in _PART_TRAILING:
            words.pop()
        if words:
            out.append(" ".join(words))
    return out


@dataclass
class PagePlaces:
    """What a page has stated so far about where (read in page order), to place the counts of its sentences.

    Rules, in order, for a count whose sentence gives ``location``:
    1. ``subdivision in location``: "Archi district, Kunduz province" -> Kunduz, AF.
    2. ``gazetteer``: a country, a known city or subdivision ("Mosul" -> Nineveh, IQ; "Syria" -> SY).
    3. ``page subdivision for a local place``: a place the gazetteer does not know takes the subdivision the
       page stated with it before, else the page's last stated one (while no place elsewhere is named) when
       the text calls it a district, village, ... or the page names one subdivision only: "in Archi
       district" after "Kunduz province" -> "Archi district, Kunduz province", Kunduz, AF.
    4. ``page subdivision for a placeless toll``: "killing two", the toll of one day's incident (not a running
       total, not a strike tally: the reader decides ``carry``), on a page that has named one subdivision
       only -> the page's stated place ("Archi district, Kunduz province").

    The page's title and short headings are read too, in page order (``note(..., heading=True)``): they state
    a subdivision only with its unit word or by its own name ("Kunduz province: ...", "... in Kunduz"), never
    by a town in it, so rules 3 and 4 may take a province the body itself does not repeat.
    """

    countries: list[str] = field(default_factory=list)  # named on the page, in order, distinct
    admins: set[str] = field(default_factory=set)  # the subdivisions stated (admin1 and country)
    context: StatedSubdivision | None = None  # the last subdivision stated, while no place elsewhere is named
    context_place: str | None = None  # the fullest place stated in it ("Archi district, Kunduz province")
    # "archi" -> (Kunduz, "Archi district, Kunduz province"): a place and its subdivision, stated together
    local: dict[str, tuple[StatedSubdivision, str]] = field(default_factory=dict)

    def note(self, sentence: str, *, heading: bool = False) -> None:
        """Read what ``sentence`` states about where: a dateline's country, subdivisions, the places it names.
        A ``heading`` (the page's title, a section heading) states a subdivision only by its unit word or its
        own name ("Kunduz province: ...", "... in Kunduz"), not by a town in it (the town is not the page's
        place)."""
        dateline = None if heading else _DATELINE_RE.match(sentence)
        if dateline:
            self._country(gazetteer.country_code(dateline.group("country")))
        for _pos, stated in stated_subdivisions(sentence, tuple(self.countries)):
            self._stated(stated, stated.phrase)
        found = _sentence_places(sentence)
        for _pos, place in found.places:
            full = found.full.get(place)
            inner = stated_subdivisions(full, tuple(self.countries)) if full else []
            if full and inner:  # "Archi district, Kunduz province": Archi lies in Kunduz
                self._stated(inner[-1][1], full)
                self.local[gazetteer.name_key(place)] = (inner[-1][1], full)
                continue
            where, _known = self._resolve(place)
            self._country(where.country)
            own = not heading or gazetteer.names_subdivision(place, where.admin1, where.country)
            if where.admin1 is not None and where.country is not None and own:  # "in Kandahar", "near Mosul"
                self._stated(StatedSubdivision(place, where.admin1, where.country), place)
                continue
            ctx = self.context
            if ctx is not None and (
                (where.country is not None and ctx.country is not None and where.country != ctx.country)
                or (where.admin1 is not None and where.admin1 != ctx.admin1)
            ):
                self.context = None  # the page has moved to a place elsewhere

    def _country(self, code: str | None) -> None:
        if code and code not in self.countries:
            self.countries.append(code)

    def _stated(self, stated: StatedSubdivision, place: str) -> None:
        self._country(stated.country)
        self.admins.add(f"{stated.admin1}|{stated.country}")
        same = self.context is not None and self.context.admin1 == stated.admin1
        if not same or len(place) > len(self.context_place or ""):
            self.context_place = place
        if not same or self.context is None or len(stated.phrase) > len(self.context.phrase):
            self.context = stated  # "Kunduz province" stays the phrase when "Kunduz" follows

    def _resolve(self, location: str) -> tuple[Where, bool]:
        """Rules 1 and 2: the subdivision and country ``location`` itself gives, and whether it names a known
        place (a country, region, known city or subdivision)."""
        countries = tuple(self.countries)
        stated = stated_subdivisions(location, countries)
        if stated:
            got = stated[-1][1]
            return Where(location, got.admin1, got.country or self._one_country()), True
        admins: set[str] = set()
        codes: set[str] = set()
        known = False
        for part in _parts(location):
            if gazetteer.is_region(part):
                known = True
                continue
            code = gazetteer.country_code(part)
            sub = None if code else _known_subdivision(part, countries)
            if sub is not None:
                admins.add(sub.name)
                code = sub.country
            if code is not None:
                codes.add(code)
                known = True
        # a name the gazetteer does not know beside known ones ("Abu Kamal and Qasr") is read by the known ones
        admin1 = next(iter(admins)) if len(admins) == 1 and len(codes) == 1 else None
        return Where(location, admin1, next(iter(codes)) if len(codes) == 1 else None), known

    def where(self, location: str | None, sentence: str, *, carry: bool) -> Where:
        """The record's place: ``location`` as the text states it, with its admin1 and country (rules above).
        ``carry``: the count belongs to the page's incident (not a running total), so rule 4 may apply. A
        placeless count gets no country from the page alone: a page about a war names both sides' countries
        (rockets fired "at Israel", deaths in Gaza), and which one a count belongs to is not stated."""
        if location:
            full = _sentence_places(sentence).full.get(location)
            got, known = self._resolve(full or location)  # rules 1 and 2
            if known:
                return got
            return self._local_place(location, sentence) or got
        placed = self._page_place() if carry else None
        return placed or Where(None)

    def _local_place(self, location: str, sentence: str) -> Where | None:
        """Rule 3: a place the gazetteer does not know lies in the subdivision the page stated with it before,
        else in the page's current subdivision when the text calls it a district (village, ...) or the page
        states one subdivision only."""
        parts = _parts(location)
        together = self.local.get(gazetteer.name_key(parts[0])) if parts else None
        if together is not None:  # as the page stated it before: "Archi district, Kunduz province"
            stated, place = together
            return Where(place, stated.admin1, stated.country or self._one_country())
        unit = _local_unit(sentence, location)
        ctx = self.context
        if ctx is None or not (unit or len(self.admins) == 1):
            return None
        return Where(f"{unit or location}, {ctx.phrase}", ctx.admin1, ctx.country or self._one_country())

    def _page_place(self) -> Where | None:
        """Rule 4: a placeless count of the page's incident takes the page's one stated subdivision."""
        ctx = self.context
        if ctx is None or len(self.admins) != 1:
            return None
        return Where(self.context_place, ctx.admin1, ctx.country or self._one_country())

    def _one_country(self) -> str | None:
        return self.countries[0] if len(self.countries) == 1 else None


def _known_subdivision(name: str, countries: tuple[str, ...]) -> gazetteer.Subdivision | None:
    """The subdivision of ``name``, or of the known town it opens: "Kabul Intercontinental Hotel", "Mosul Dam",
    "Kandahar City" -> Kabul, Nineveh, Kandahar (what follows the town names a part of it)."""
    got = gazetteer.find_subdivision(name, countries)
    words = name.split()
    for n in (2, 1):
        if got is None and len(words) > n:
            got = gazetteer.find_subdivision(" ".join(words[:n]), countries)
    return got


def _local_unit(sentence: str, location: str) -> str:
    """``location`` with the local unit the sentence writes with it ("Archi" -> "Archi district", "Sar Kalay"
    -> "village of Sar Kalay"), else ""."""
    return _sentence_places(sentence).units.get(location, "")
