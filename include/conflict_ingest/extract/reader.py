"""Text -> strike-count records.

The extractor reads a cleaned page block by block (paragraphs, live-blog entries, table rows),
splits blocks into sentences and looks at every number: the noun or verb it counts decides the
metric ("14 strikes", "released 3,038 weapons", "52 fighters were killed"), numbers without a noun
take the metric of the count they continue ("3,038 weapons in October and 2,709 in November",
"Two more, southeast of Irbil"), and everything else (dates, ages, money, percentages, targets,
aircraft) gives nothing. Each count gets the period its sentence states, or the one of the event it
belongs to (see :mod:`conflict_ingest.extract.periods`), and the page's actor, target and place.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import itertools
import logging
import re
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from conflict_ingest.contract import CASUALTY_METRICS, Metric, Qualifier, Victim
from conflict_ingest.errors import ConflictIngestError
from conflict_ingest.extract import lexicon as lx
from conflict_ingest.extract.context import TOTAL_CUES_RE, incident_days, page_times
from conflict_ingest.extract.entities import (
    PagePlaces,
    country_of,
    find_actor,
    find_target,
    location_for,
    page_default,
    places_in,
    without_attribution,
)
from conflict_ingest.extract.numbers import (
    NumberMention,
    find_numbers,
    find_vague_quantities,
    qualifier_before,
)
from conflict_ingest.extract.periods import (
    CUMULATIVE_CUES,
    PeriodContext,
    TimeExpr,
    date_from_url,
    day_range_span,
    find_time_expressions,
    parse_reference_date,
    year_from_text,
)
from conflict_ingest.extract.relevance import page_verdict, statement_relevance
from conflict_ingest.records import Extraction

logger = logging.getLogger(__name__)

ANNOTATED_BLOCK_KINDS = frozenset({"p", "table_row"})
# A title or heading this short may state the page's place ("Security forces kill five in Kunduz province").
HEADING_MAX_CHARS = 160
ABBREVIATIONS = frozenset(
    [
        "u.s",
        "u.n",
        "u.k",
        "e.u",
        "mr",
        "mrs",
        "ms",
        "dr",
        "gen",
        "lt",
        "col",
        "maj",
        "brig",
        "sgt",
        "capt",
        "adm",
        "cmdr",
        "rep",
        "sen",
        "gov",
        "st",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "no",
        "vol",
        "fig",
        "approx",
        "est",
        "inc",
        "corp",
        "ltd",
        "co",
        "jr",
        "sr",
        "vs",
        "etc",
        "fla",
        "calif",
        "mass",
        "ga",
        "va",
        "wash",
        "ft",
        "mt",
    ]
)
SENTENCE_END_RE = re.compile(r"[.!?][”\"’')\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
TOKEN_RE = re.compile(r"[A-Za-z0-9][\w’'.-]*|[,;:()\u2013\u2014]|[“”\"]")
QUOTE_CHARS = frozenset('“”"')
MAX_NP_TOKENS = 5
AFTER_VERB_WINDOW = 5
SUM_LOOKBACK = 12
#: CPU seconds (of the extracting thread) one page may take; a page over it is abandoned with
#: :class:`PageBudgetExceeded`. Normal pages take milliseconds; the limit is for hostile ones.
PAGE_CPU_BUDGET_S = 10.0
# How far back from a number the patterns that end at it ("Resolution 2254", "including six", "the
# number of strikes was 12") read: more than any of their matches on a page's text (whose whitespace the
# cleaner collapses), so reading only that far gives the answer reading the whole sentence before it would,
# in time that does not grow with the sentence.
SHORT_LOOKBACK_CHARS = 80
LONG_LOOKBACK_CHARS = 240
# A clause opener is read from a bounded tail too (see ``_continues_previous``).
OPENER_LOOKBACK_CHARS = 300


class PageBudgetExceeded(ConflictIngestError):
    """A page took more CPU time than its budget: extraction gave up on it (the reason is the message)."""

    def __init__(self, url: str | None, spent_s: float, budget_s: float) -> None:
        super().__init__(f"extraction abandoned after {spent_s:.1f} s of CPU (budget {budget_s:g} s)")
        self.url = url
        self.spent_s = spent_s
        self.budget_s = budget_s


class _Budget:
    """A cooperative CPU deadline: ``check()`` raises once the thread has spent more than the budget.

    It reads the calling thread's own CPU clock (tasks may share a process), and needs no signal."""

    EVERY = 32  # calls of ``check`` per reading of the clock (a system call; each call is little work)

    def __init__(self, budget_s: float | None, url: str | None) -> None:
        self.budget_s = budget_s
        self.url = url
        self.start = time.thread_time()
        self._calls = 0

    def check(self) -> None:
        if self.budget_s is None:
            return
        self._calls += 1
        if self._calls % self.EVERY:
            return
        spent = time.thread_time() - self.start
        if spent > self.budget_s:
            raise PageBudgetExceeded(self.url, spent, self.budget_s)


def _at_pos(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` (anchored with ``^``) for ``.match(text, pos)``: ``^`` does not match at ``pos``, so it goes.
    Matching at ``pos`` then equals matching the slice ``text[pos:]`` without copying it."""
    return re.compile(re.sub(r"(?<![\[\\])\^", "", pattern.pattern), pattern.flags)


_MONTH_AFTER_AT = _at_pos(lx.MONTH_AFTER_RE)
_TIME_AFTER_AT = _at_pos(lx.TIME_AFTER_RE)
_COMPARATIVE_AT = _at_pos(lx.COMPARATIVE_RE)
_VAGUE_AFTER_AT = _at_pos(lx.VAGUE_AFTER_RE)
_PARTITIVE_AT = _at_pos(lx.PARTITIVE_RE)
_PREDICATE_VICTIM_AT = _at_pos(lx.PREDICATE_VICTIM_RE)
_TOLL_PASSIVE_AT = _at_pos(lx.TOLL_PASSIVE_RE)
_APPOSITIVE_VICTIM_AT = re.compile(r"\s*,\s+(?:all|both|most)\s+(?:of\s+them\s+)?(?P<noun>[a-z]+)\b", re.I)
_LETTER_AT = re.compile(r"[A-Za-z]")
_NO_ANY_BEFORE_RE = re.compile(r"\b(?:no|any|every|each)\s*$", re.I)
_OUT_OF_BEFORE_RE = re.compile(r"\bout\s+of\s*$")
_SIGN_BEFORE_RE = re.compile(r"[#/]\s*$")
_TOLL_WORD_RE = re.compile(r"\btoll\b", re.I)
_PART_OPENER_RE = re.compile(r"of\s+(?:those|these|them)\s*,")
_THERE_WERE_RE = re.compile(r"\bthere\s+(?:were|was|have\s+been|had\s+been)(?:\s+(?:just|only|a\s+mere))?$")
_OPENER_WORD_RE = re.compile(r"(?:^|[,;:]\s*)(?:and|but|another|the remaining|the other|with|of them)$")
_OPENER_WORD_TAIL_RE = re.compile(r"[,;:]\s*(?:and|but|another|the remaining|the other|with|of them)$")
_WORD_DOT_RE = re.compile(r"[\w.]")


def _ends_before(pattern: re.Pattern[str], text: str, end: int, window: int) -> re.Match[str] | None:
    """``pattern`` (ending in ``$``) searched in ``text[:end]``, reading only its last ``window`` characters."""
    return pattern.search(text, max(0, end - window), end)


class BlockLike(Protocol):
    """What the extractor reads of a cleaned block."""

    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def timestamp(self) -> str | None: ...


class PageLike(Protocol):
    """What the extractor reads of a cleaned page (``conflict_ingest.clean.CleanedPage``); its
    ``published_month`` ("YYYY-MM", a page that gives only its month) is read when the page has one."""

    @property
    def title(self) -> str: ...
    @property
    def published_at(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def blocks(self) -> Sequence[BlockLike]: ...


@dataclass(frozen=True)
class _TextBlock:
    """A paragraph of a page that came without blocks (its text split on blank lines)."""

    kind: str
    text: str
    timestamp: str | None = None


#: a paragraph that ends mid-sentence: no closing punctuation (nor a closing quote or bracket after one)
_OPEN_END_RE = re.compile(r"[^.!?:;\"\u201d')\]\s]\s*$")
_LOWER_START_RE = re.compile(r"^\s*[a-z]")
#: words no English sentence ends with: a paragraph ending with one goes on in the next, whatever its case
_DANGLING_END_RE = re.compile(
    r"\b(?:a|an|the|of|in|on|at|to|for|from|by|with|and|or|but|near|into|during|against)\s*$", re.I
)


def _join_wrapped_lines(blocks: list[BlockLike]) -> list[BlockLike]:
    """Paragraphs that are the hard-wrapped lines of one (text pasted from a PDF or an e-mail: "... killed a"
    / "suspected insurgent and ..."): a ``p`` that ends mid-sentence followed by a ``p`` that starts in lower
    case, or a ``p`` ending with a word no sentence ends with ("in", "the"), and the next ``p`` of the same
    timestamp are read as one paragraph. Linear in the number of blocks."""
    out: list[BlockLike] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "p"
            and block.kind == "p"
            and prev.timestamp == block.timestamp
            and (
                (_LOWER_START_RE.match(block.text) and _OPEN_END_RE.search(prev.text[-3:]))
                or _DANGLING_END_RE.search(prev.text[-12:])
            )
        ):
            out[-1] = _TextBlock("p", prev.text.rstrip() + " " + block.text.lstrip(), prev.timestamp)
        else:
            out.append(block)
    return out


@dataclass
class _Count:
    metric: str
    count: int
    qualifier: str
    victim: str | None
    start: int
    end: int
    expr: TimeExpr | None = None
    nested: bool = False  # a sub-count of the toll before it ("including six children")
    count_text: str | None = None  # a vague quantity's words as written ("several")
    refers_back: bool = False  # one victim named as someone already met ("killing him", "the commander")
    ordinal: int = 0  # "a second insurgent was killed": 2 (one of a toll of two or more already stated)
    earlier: bool = False  # the same metric's figure for an earlier period ("up from 48 in May")


@dataclass
class _Table:
    """The table a data row belongs to: its caption and the metric each column counts."""

    caption: str = ""
    caption_metric: str | None = None
    columns: list[str | None] = field(default_factory=list)
    victims: list[Victim | None] = field(default_factory=list)
    spans: list[tuple[dt.date, dt.date]] = field(default_factory=list)

    @functools.cached_property
    def caption_year(self) -> int | None:
        """The one year the caption names (read once per table, not once per row)."""
        years = [int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", self.caption)]
        return years[-1] if len(set(years)) == 1 else None

    first_day: dt.date | None = None  # of the spans, kept as rows come (not recomputed for each row)
    last_day: dt.date | None = None

    def add_span(self, span: tuple[dt.date, dt.date]) -> None:
        self.spans.append(span)
        self.first_day = span[0] if self.first_day is None else min(self.first_day, span[0])
        self.last_day = span[1] if self.last_day is None else max(self.last_day, span[1])


@dataclass
class _State:
    """What earlier sentences on the page tell later ones."""

    last_metric: str | None = None
    last_victim: str | None = None
    last_actor: str | None = None
    last_place: str | None = None
    last_country: str | None = None
    event_period: tuple[dt.date, dt.date] | None = None
    records: list[Extraction] = field(default_factory=list)
    metrics_seen: set[str] = field(default_factory=set)  # the metrics of ``records``
    spans: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    span_by_days: dict[int, tuple[dt.date, dt.date]] = field(
        default_factory=dict
    )  # the last span of each length
    running_totals: set[int] = field(default_factory=set)  # ids of the records that are running totals
    #: the last time the page stated (start, end, whether it is a "since" that runs on), for "since then"
    last_time: tuple[dt.date, dt.date, bool] | None = None
    #: the last days the page stated, in page order (at most TOLD_DAYS_KEPT), for "those eleven days"
    told_days: list[tuple[dt.date, dt.date]] = field(default_factory=list)


#: how many of the days a page stated are kept for "those eleven days" (:func:`_lookback`)
TOLD_DAYS_KEPT = 12


def split_sentences(text: str) -> list[str]:
    """Sentences of a block; abbreviations such as 'U.S.' and 'Sept.' do not end one."""
    out: list[str] = []
    start = 0
    for m in SENTENCE_END_RE.finditer(text):
        token = _word_before_end(text, start, m.start()).lower().rstrip(".")
        if text[m.start()] == "." and (token in ABBREVIATIONS or re.fullmatch(r"[a-z]", token)):
            continue
        out.append(text[start : m.start() + 1].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def _word_before_end(text: str, start: int, stop: int) -> str:
    """The run of word characters and dots that ends a candidate sentence ``text[start : stop + 1]`` (whose
    last character is its end mark): what ``([\\w.]+)[.!?]?$`` finds there, read backwards from ``stop``
    instead of searched from ``start`` (a search that grows with the text before it)."""
    end = stop + 1 if text[stop] == "." else stop
    i = end
    while i > start and _WORD_DOT_RE.match(text, i - 1):
        i -= 1
    return text[i:end]


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


def _word(tok: str) -> str:
    return re.sub(r"[’']s$", "", tok.lower()).strip(".")


def _is_verb(w: str) -> bool:
    return (
        w in lx.WEAPON_VERBS
        or w in lx.KILLED_VERBS
        or w in lx.WOUNDED_VERBS
        or w in lx.STRIKE_VERBS
        or w in lx.GENERAL_VERBS
        or w in ("died", "intercepted", "downed", "fell", "crashed", "shot")
    )


def _noun_phrase(rest: str) -> tuple[list[str], int]:
    """The words of the noun phrase right after a number and where it ends (offset in ``rest``)."""
    words: list[str] = []
    end = 0
    for tok, _s, e in _tokens(rest):
        if tok in QUOTE_CHARS:
            continue
        w = _word(tok)
        if (
            w in ("and", "or")
            and words
            and words[-1] not in lx.METRIC_NOUNS
            and words[-1] not in lx.VICTIM_NOUNS
            and any(t in lx.METRIC_NOUNS for t in _after_words(rest[e:], 2))
        ):
            continue  # "18 ballistic and cruise missiles": two modifiers of one noun
        if not tok[0].isalnum() or w in lx.STOP_WORDS or _is_verb(w) or tok[0].isdigit():
            break
        words.append(w)
        end = e
        if w in lx.METRIC_NOUNS and w.endswith("s"):
            # "three chemical weapons sites": the metric noun only modifies the head after it
            nxt = _after_words(rest[e:], 1)
            if nxt and nxt[0] in lx.COMPOUND_HEADS:
                words.append(nxt[0])
            break
        if len(words) >= MAX_NP_TOKENS:
            break
    return words, end


def _after_words(text: str, limit: int) -> list[str]:
    out: list[str] = []
    for tok, _s, _e in _tokens(text):
        if not tok[0].isalnum() or tok[0].isdigit():
            break
        out.append(_word(tok))
        if len(out) >= limit:
            break
    return out


def _toll_metric(words: Iterable[str]) -> str | None:
    for w in words:
        if w in lx.KILLED_VERBS:
            return Metric.KILLED
        if w in lx.WOUNDED_VERBS:
            return Metric.WOUNDED
    return None


def _not_a_count(sentence: str, n: NumberMention) -> bool:
    # The text before the number is read only as far back as its patterns reach, and the text after it
    # in place (no copies of the sentence around every number).
    s, b, a = sentence, n.start, n.end
    if n.has_fraction:
        return True
    nxt = s[a : a + 1]
    if nxt in ("-", "–") and not n.is_word or (n.is_word and nxt == "-"):
        return True
    if _LETTER_AT.match(s, a) and not n.is_word:
        return True  # ordinals and model names: 1st, 4th, GR4
    w = SHORT_LOOKBACK_CHARS
    if n.is_word and n.value == 1 and _ends_before(_NO_ANY_BEFORE_RE, s, b, w):
        return True
    if (
        _ends_before(lx.CURRENCY_BEFORE_RE, s, b, w)
        or _ends_before(lx.LABEL_BEFORE_RE, s, b, w)
        or _ends_before(lx.MONTH_BEFORE_RE, s, b, w)
    ):
        return True
    if _MONTH_AFTER_AT.match(s, a) or _TIME_AFTER_AT.match(s, a):
        return True
    earlier_figure = bool(_ends_before(lx.EARLIER_FIGURE_BEFORE_RE, s, b, w)) and bool(
        lx.EARLIER_FIGURE_AFTER_RE.match(s, a)
    )  # "up from 48 in May": the same metric's figure for May
    if (
        _COMPARATIVE_AT.match(s, a)
        or _VAGUE_AFTER_AT.match(s, a)
        or _ends_before(lx.RANGE_BEFORE_RE, s, b, w)
        and not earlier_figure
    ):
        return True
    if _ends_before(_OUT_OF_BEFORE_RE, s, b, w) or _ends_before(lx.AGE_BEFORE_RE, s, b, w):
        return True  # "nine out of ten"; "girls aged 9 and 12"
    if _ends_before(lx.AVERAGE_BEFORE_RE, s, b, w) or lx.RATE_AFTER_RE.match(s[a : a + 60]):
        return True  # a rate: "an average of 140 rockets a day"
    if _ends_before(lx.COMBINED_TOLL_BEFORE_RE, s, b, w) or lx.COMBINED_TOLL_AFTER_RE.match(s[a : a + 80]):
        return True  # "killed or injured 23 children": killed and wounded in one figure
    if _ends_before(lx.DIFFERENCE_BEFORE_RE, s, b, w):
        return True  # a difference: "a drop of 43 strikes", "rose by 12"
    return bool(_ends_before(_SIGN_BEFORE_RE, s, b, w) or s.startswith("/", a))


def _predicate_victim(rest: str, pos: int = 0) -> str | None:
    """The class a partitive toll names after its verb ("Three of the dead were children"), read in
    ``rest`` from ``pos``."""
    pred = _PREDICATE_VICTIM_AT.match(rest, pos)
    victim = lx.VICTIM_NOUNS.get(pred.group("noun").lower()) if pred else None
    return victim if victim != Victim.UNSPECIFIED else None


def _is_year(n: NumberMention) -> bool:
    return not n.is_word and re.fullmatch(r"(?:19|20)\d\d", n.text) is not None


# What joins a range's two numbers ("between 10 and 20", "12 to 15", "3 or 4"), and what before its lower
# number makes it a change instead ("rose from 12 to 15").
_RANGE_JOIN_RE = re.compile(r"\s*(?:and|to|or|-|\u2013)\s*")
_CHANGE_BEFORE_RE = re.compile(
    r"\b(?:from|rose|risen|rising|rises|increased|increasing|climbed|grew|jumped|fell|dropped|up|down)\s*$",
    re.I,
)


def _range_lows(s: str, nums: list[NumberMention]) -> dict[int, NumberMention]:
    """For the upper number of each range in the sentence (by index), its lower number: "between 10 and
    20 strikes", "12 to 15 people", "3 or 4 civilians" (never "rose from 12 to 15", "killed 12 and 15")."""
    out: dict[int, NumberMention] = {}
    for i in range(1, len(nums)):
        lo, hi = nums[i - 1], nums[i]
        if lo.vague or hi.vague or lo.has_fraction or hi.has_fraction or not lo.value < hi.value:
            continue
        join = _RANGE_JOIN_RE.fullmatch(s, lo.end, hi.start)
        if join is None or _is_year(lo) or _is_year(hi) or (i - 1) in out:
            continue
        joiner = s[lo.end : hi.start].strip().lower()
        before = _ends_before(lx.RANGE_BEFORE_RE, s, lo.start, SHORT_LOOKBACK_CHARS)
        if joiner == "and" and not (before and before.group(0).lower().startswith("between")):
            continue
        if joiner in ("-", "\u2013") and (lo.is_word or hi.is_word):
            continue
        if _ends_before(_CHANGE_BEFORE_RE, s, lo.start, SHORT_LOOKBACK_CHARS):
            continue
        out[i] = lo
    return out


# Every word a toll can be read from contains one of these (lexicon.KILLED_VERBS, WOUNDED_VERBS, the toll
# nouns of METRIC_NOUNS, "shot dead", "gunned down", "the death of").
_TOLL_STEMS = (
    "kill",
    "die",
    "dead",
    "death",
    "slain",
    "perish",
    "fatalit",
    "wound",
    "injur",
    "hurt",
    "maim",
    "gunned",
)


def _victim_before_verb(words: list[str]) -> str | None:
    """A victim noun that a verb the tables do not know follows in a number's noun phrase ("gunmen" in
    "several gunmen posed a threat"): the noun phrase ends there."""
    for w, nxt in itertools.pairwise(words):
        if w in lx.VICTIM_NOUNS and nxt.endswith("ed") and nxt not in lx.VICTIM_MODIFIERS:
            return w
    return None


def _with_vague(nums: list[NumberMention], vague: list[NumberMention]) -> list[NumberMention]:
    """The sentence's numbers and its vague quantities, left to right; a vague word inside a number ("a
    few" in "a few 100") gives way to it."""
    if not vague:
        return nums
    starts = [n.start for n in nums]
    kept = []
    for v in vague:
        i = bisect.bisect_left(starts, v.end)
        if i and nums[i - 1].end > v.start:
            continue
        kept.append(v)
    return sorted(nums + kept, key=lambda n: n.start)


# One victim stated without a number: the rules below read the whole sentence, each for one phrasing,
# after the number rules; a match that holds a number is left to the number rules ("one civilian was
# killed"). Person nouns are lexicon.SINGULAR_PERSON_NOUNS (their class from lexicon.VICTIM_NOUNS).
_PERSON_ALT = "|".join(sorted(lx.SINGULAR_PERSON_NOUNS, key=len, reverse=True))
_TOLL_VERB_ALT = r"killed|killing|wounded|wounding|injured|injuring|shot\s+dead|gunned\s+down"
# "killed the commander", "killing a senior leader", "wounding him": a toll verb and one person as its object
_ACTIVE_SINGLE_RE = re.compile(
    r"\b(?P<verb>" + _TOLL_VERB_ALT + r")\s+(?:(?P<pron>him|her)\b(?![’'-])|"
    r"(?:the|a|an|another)\s+(?P<mods>(?:[\w’'-]+\s+){0,3}?)(?P<noun>" + _PERSON_ALT + r")\b(?![’'-]))",
    re.I,
)
# "killed Taliban commander Abu X", "killed senior leader, X": a title without an article, then a name
_TITLE_SINGLE_RE = re.compile(
    r"\b(?P<verb>" + _TOLL_VERB_ALT + r")\s+(?P<mods>(?:[\w’'-]+\s+){0,3}?)(?P<noun>" + _PERSON_ALT + r")"
    r",?\s+(?=(?-i:[A-Z][a-z]))",
    re.I,
)
# "killing Abu Karim Zand.": a name of two or three words as the object, ending its clause
_NAME_SINGLE_RE = re.compile(
    r"\b(?P<verb>"
    + _TOLL_VERB_ALT
    + r")\s+(?P<name>[A-Z][a-z’'-]+(?:\s+(?:al-|bin\s+|ibn\s+)?[A-Z][a-z’'-]+){1,2})"
    r"(?=\s*(?:[.,;:]|$|\s+(?:in|during|on|near|and|while|after|when|as)\b))"
)
# "a civilian was killed", "he was wounded", "the commander, a known bomb maker, was killed",
# "he was engaged and killed"
# ("died" is left out: natural deaths and accidents are told with it as often as violent ones)
_PASSIVE_SINGLE_RE = re.compile(
    r"\b(?:was|has\s+been|had\s+been)\s+(?:(?:[a-z]+ly|also|then|later|subsequently)\s+)?"
    r"(?:(?:confirmed|reported)\s+)?"
    r"(?:(?P<first>[a-z]+ed)\s+and\s+)?(?P<verb>" + _TOLL_VERB_ALT + r"|shot\s+and\s+killed)\b",
    re.I,
)
# "confirmed the death of a civilian", "the death of <a name>"
_DEATH_OF_RE = re.compile(
    r"\bthe\s+death\s+of\s+(?:(?:the|a|an)\s+(?P<mods>(?:[\w’'-]+\s+){0,3}?)(?P<noun>" + _PERSON_ALT + r")\b"
    r"(?![’'-])|(?P<name>[A-Z][\w’'-]+))"
)
# The text between two listed victim counts: the first one's noun phrase, then "and" or a comma.
_CONJUNCT_RE = re.compile(r"^[^.;:()\d]*?(?:,\s*and|,|\band)\s*$", re.I)
# A definite object after a toll verb: someone the page has met ("killing the insurgent").
_DEFINITE_RE = re.compile(r"\s+the\b", re.I)
# Words that end a noun phrase: modifiers in a single-victim match may not hold them.
_NOT_A_MODIFIER = frozenset({"and", "or", "of", "in", "on", "at", "with", "by", "from", "to", "was", "were"})
_NOT_A_NAME = frozenset(
    {"it", "this", "that", "which", "what", "there", "one", "who", "nobody", "none", "no"}
)
# Capitalised words that make a name a force or a body of people, not one person.
_FORCE_WORDS = frozenset(
    {
        "Police",
        "Army",
        "Forces",
        "Force",
        "Guard",
        "Guards",
        "Corps",
        "Militia",
        "Security",
        "Troops",
        "State",
    }
)
# Words right before a toll verb that make its single victim no event of the page: a plan, a denial, or a
# deed the subject is blamed for ("responsible for killing a civilian", "did not kill").
_NOT_AN_EVENT_BEFORE = frozenset({"not", "never", "for", "of", "to", "n't"})


def _before_comma(s: str, pos: int) -> int:
    """Where a comma right before ``pos`` (spaces between) stands, or ``pos`` when there is none."""
    i = pos
    while i > 0 and i > pos - 40 and s[i - 1].isspace():
        i -= 1
    return i - 1 if i > 0 and s[i - 1] == "," else pos


def _single_metric(verb: str) -> str:
    return Metric.WOUNDED if verb.lower().startswith(("wound", "injur")) else Metric.KILLED


def _holds_number(nums: list[NumberMention], start: int, end: int) -> bool:
    """Whether a number of the sentence (left to right, not overlapping) lies in ``start:end`` (a bisection)."""
    k = bisect.bisect_right(nums, start, key=lambda n: n.end)
    return k < len(nums) and nums[k].start < end


def _word_before(s: str, pos: int) -> tuple[str, int]:
    """The word right before ``pos`` (skipping spaces) and where it starts; ``("", pos)`` after punctuation."""
    m = re.search(r"([\w’'-]+)\s*$", s[max(0, pos - 40) : pos])
    if not m:
        return "", pos
    return m.group(1), max(0, pos - 40) + m.start(1)


def _words_before_head(s: str, at: int, limit: int = 3) -> tuple[list[str], int]:
    """Up to ``limit`` words of the noun phrase before ``at`` (stopping after punctuation), and where they
    start: "no Afghan civilian" before "was killed"."""
    lo = max(0, at - 60)
    toks = list(re.finditer(r"\S+", s[lo:at]))
    words: list[str] = []
    start = at
    for t in reversed(toks[-limit:]):
        if t.group(0)[-1] in ",;:()\u2013\u2014":
            break
        words.append(_word(t.group(0)))
        start = lo + t.start()
    return words, start


def _clean_modifiers(mods: str | None) -> bool:
    return not any(_word(w) in _NOT_A_MODIFIER for w in (mods or "").split())


def single_object_rule(s: str, nums: list[NumberMention]) -> list[_Count]:
    """One person as a toll verb's object: "killed the commander", "killing him", "wounding a civilian"."""
    out: list[_Count] = []
    for m in _ACTIVE_SINGLE_RE.finditer(s):
        before, _at = _word_before(s, m.start())
        if _word(before) in _NOT_AN_EVENT_BEFORE or before.lower().endswith("n't"):
            continue
        if _holds_number(nums, m.start(), m.end()) or not _clean_modifiers(m.group("mods")):
            continue
        noun = (m.group("noun") or "").lower()
        victim = lx.VICTIM_NOUNS.get(noun, Victim.UNSPECIFIED)
        c = _Count(_single_metric(m.group("verb")), 1, Qualifier.EXACT, victim, m.start(), m.end())
        c.refers_back = bool(m.group("pron")) or _DEFINITE_RE.match(s, m.end("verb")) is not None
        out.append(c)
    return out


def single_subject_rule(s: str, nums: list[NumberMention]) -> list[_Count]:
    """One person as a passive toll's subject: "a civilian was killed", "he was wounded", "Name was killed"."""
    out: list[_Count] = []
    lead = len(s) - len(s.lstrip())  # where the sentence's first word starts
    for m in _PASSIVE_SINGLE_RE.finditer(s):
        head, at = _word_before(s, m.start())
        if head.lower() == "who":  # "the commander, who was killed in ..."
            head, at = _word_before(s, _before_comma(s, at))
        appositive = False
        if not head and _before_comma(s, m.start()) < m.start():
            # an appositive before the verb: "Name, a senior commander, was killed"
            comma = _before_comma(s, m.start())
            inner = s.rfind(",", max(0, comma - 100), comma)
            head, at = _word_before(s, inner) if inner > 0 else ("", m.start())
            appositive = bool(head)
        w = _word(head)
        if not head or w in _NOT_A_NAME:
            continue
        # a name: capitalised, not a victim noun ("Civilians"), not the sentence's first word (any word is
        # capitalised there)
        # (before an appositive, the first word is a name too: "Zand, a commander, was killed")
        name = head[0].isupper() and w not in lx.VICTIM_NOUNS and (at > lead or appositive)
        if not (w in lx.SINGULAR_PERSON_NOUNS or w in ("he", "she") or name):
            continue
        if m.group("first") and m.group("first").lower() in lx.DETENTION_VERBS:
            continue  # "was detained and killed": not read
        subject, sub_start = _words_before_head(s, at)
        # the subject's own words hold no number (an appositive's may: "Zand, 34, was killed")
        sub_end = at + len(head) if appositive else m.end()
        if any(t in lx.NO_VICTIM_WORDS for t in subject) or _holds_number(nums, sub_start, sub_end):
            continue
        victim = lx.VICTIM_NOUNS.get(w, Victim.UNSPECIFIED)
        c = _Count(_single_metric(m.group("verb")), 1, Qualifier.EXACT, victim, at, m.end())
        c.refers_back = w in ("he", "she") or "the" in subject
        c.ordinal = next((lx.ORDINAL_WORDS[t] for t in subject if t in lx.ORDINAL_WORDS), 0)
        out.append(c)
    return out


def titled_name_rule(s: str, nums: list[NumberMention]) -> list[_Count]:
    """A title without an article before a name: "killed senior commander Karim Zand", "killed rebel leader, Zand"."""
    out: list[_Count] = []
    for m in _TITLE_SINGLE_RE.finditer(s):
        before, _at = _word_before(s, m.start())
        if _word(before) in _NOT_AN_EVENT_BEFORE or before.lower().endswith("n't"):
            continue
        if _holds_number(nums, m.start(), m.end()) or not _clean_modifiers(m.group("mods")):
            continue
        victim = lx.VICTIM_NOUNS.get(m.group("noun").lower(), Victim.UNSPECIFIED)
        out.append(_Count(_single_metric(m.group("verb")), 1, Qualifier.EXACT, victim, m.start(), m.end()))
    return out


def named_object_rule(s: str, nums: list[NumberMention]) -> list[_Count]:
    """A person's name of two or three words as a toll verb's object: "the patrol fired, killing Karim Zand."."""
    out: list[_Count] = []
    for m in _NAME_SINGLE_RE.finditer(s):
        before, _at = _word_before(s, m.start())
        if _word(before) in _NOT_AN_EVENT_BEFORE or before.lower().endswith("n't"):
            continue
        if m.group("name").endswith("s") or _holds_number(nums, m.start(), m.end()):
            continue  # "killing Syrians", "killed Islamic State fighters" (a lowercase noun follows: no match)
        if any(w in _FORCE_WORDS for w in m.group("name").split()):
            continue  # a force, not a person: "the blast killed Afghan National Police in the city"
        out.append(
            _Count(
                _single_metric(m.group("verb")), 1, Qualifier.EXACT, Victim.UNSPECIFIED, m.start(), m.end()
            )
        )
    return out


def death_of_rule(s: str, nums: list[NumberMention]) -> list[_Count]:
    """One person's death as a noun: "confirmed the death of a civilian", "the death of <a name>"."""
    out: list[_Count] = []
    for m in _DEATH_OF_RE.finditer(s):
        if _holds_number(nums, m.start(), m.end()) or not _clean_modifiers(m.group("mods")):
            continue
        noun = (m.group("noun") or "").lower()
        if m.group("name") and _word(m.group("name")) in _NOT_A_NAME:
            continue
        victim = lx.VICTIM_NOUNS.get(noun, Victim.UNSPECIFIED)
        c = _Count(Metric.KILLED, 1, Qualifier.EXACT, victim, m.start(), m.end())
        c.refers_back = s[m.start() : m.end()].lower().split()[3:4] == ["the"]
        out.append(c)
    return out


#: The single-victim rules, in order (each a function of the sentence and its numbers).
SINGLE_VICTIM_RULES = (
    single_object_rule,
    titled_name_rule,
    named_object_rule,
    single_subject_rule,
    death_of_rule,
)


def _first_per_span(counts: list[_Count]) -> list[_Count]:
    """Single-victim counts whose spans overlap are one statement: the one that starts first is kept."""
    kept: list[_Count] = []
    for c in sorted(counts, key=lambda c: (c.start, -c.end)):
        if not kept or c.start >= kept[-1].end:
            kept.append(c)
    return kept


# Coordinated victims (rule 20): person phrases joined by "and" as one toll verb's object or passive subject
# are one toll ("killed a commander and his deputy": killed 2). Each phrase is a number and its victim noun,
# or one person: an article and a person noun, a title and a name, "his"/"her" and a person, aide or
# relative noun, or a bare name right before "and his"/"and her".
_COORD_VERB_ALT = r"killed|killing|wounded|wounding|injured|injuring|shot\s+dead|gunned\s+down"
# "killed both the commander and ...": the verb, then where the list starts
_COORD_ACTIVE_RE = re.compile(r"\b(?P<verb>" + _COORD_VERB_ALT + r")\s+(?:both\s+)?(?=[\w’'-])", re.I)
# "... were (both) killed", "... have been wounded": where a passive list must end
_COORD_PASSIVE_RE = re.compile(
    r"\s+(?:were|have\s+been|had\s+been)\s+(?:(?:both|all|also|reportedly|later|then)\s+)?"
    r"(?P<verb>" + _COORD_VERB_ALT + r")\b",
    re.I,
)
_COORD_WORD_RE = re.compile(r"\s*([\w’'-]+)")
_COORD_AND_RE = re.compile(r"\s*,?\s+and\s+(?:also\s+)?", re.I)
_COORD_NAME_RE = re.compile(
    r",?\s+((?:al-|bin\s+|ibn\s+)?[A-Z][a-z’'-]+(?:\s+(?:al-|bin\s+|ibn\s+)?[A-Z][a-z’'-]+){0,2})"
)
_COORD_BARE_NAME_RE = re.compile(
    r"([A-Z][a-z’'-]+(?:\s+(?:al-|bin\s+|ibn\s+)?[A-Z][a-z’'-]+){0,2})(?=\s*,?\s+and\s+(?:his|her)\s)"
)
_COORD_DETS = frozenset({"the", "a", "an", "his", "her"})
_COORD_LEADS = frozenset({"other", "more", "additional"})
# Words after an active list that make its last phrase the subject of a new clause ("and his deputy fled")
_COORD_CLAUSE_WORDS = frozenset(
    {"was", "were", "is", "are", "has", "have", "had", "fled", "escaped", "managed"}
)
_COORD_WINDOW = 120  # how far before a passive verb its subject list may start (characters)


@dataclass
class _Conjunct:
    count: int
    victim: str | None  # None: the class of the phrase before it (an aide, "others")
    definite: bool  # "the ...", "his ...": someone the page may have met
    end: int
    numbered: bool = False  # "two militants": a count the number rules read on their own


def _coord_head(s: str, pos: int, nouns: Collection[str], limit: int) -> tuple[str, int] | None:
    """The first word of ``nouns`` within ``limit`` words from ``pos`` (the words before it modifiers: no
    verb, preposition or digit), and where it ends."""
    for _ in range(limit):
        m = _COORD_WORD_RE.match(s, pos)
        if m is None:
            return None
        tok = m.group(1)
        w = tok.lower()
        if w in nouns:
            # a noun before a noun modifies it: "a rebel commander", "a child soldier"
            nxt = _COORD_WORD_RE.match(s, m.end())
            while nxt is not None and nxt.group(1).lower() in nouns:
                w, m, nxt = nxt.group(1).lower(), nxt, _COORD_WORD_RE.match(s, nxt.end())
            return w, m.end()
        if (
            w in _NOT_A_MODIFIER
            or _is_verb(w)
            or w in lx.DETENTION_VERBS
            or w in _COORD_DETS
            or tok[0].isdigit()
        ):
            return None
        pos = m.end()
    return None


def _number_conjunct(s: str, n: NumberMention) -> _Conjunct | None:
    """An exact number and its victim noun: "two militants", "one other fighter", "three others"."""
    if n.vague or n.value < 1 or qualifier_before(s, n.start)[0] != Qualifier.EXACT:
        return None
    p = n.end
    lead = _COORD_WORD_RE.match(s, p)
    if lead and lead.group(1).lower() in _COORD_LEADS:
        p = lead.end()
    got = _coord_head(s, p, lx.VICTIM_NOUNS, 3)
    if got is None:
        return None
    noun, end = got
    victim = None if noun in lx.INHERITING_VICTIM_NOUNS else lx.VICTIM_NOUNS[noun]
    return _Conjunct(n.value, victim, False, end, numbered=True)


def _possessive_conjunct(s: str, pos: int) -> _Conjunct | None:
    """ "his deputy" (an aide: the class of the person before), "her son", "his driver"."""
    got = _coord_head(s, pos, lx.SINGULAR_PERSON_NOUNS | lx.AIDE_NOUNS | lx.KIN_NOUNS, 3)
    if got is None:
        return None
    noun, end = got
    if noun in lx.AIDE_NOUNS:
        return _Conjunct(1, None, True, end)
    return _Conjunct(1, lx.VICTIM_NOUNS.get(noun, Victim.UNSPECIFIED), True, end)


def _titled_conjunct(s: str, pos: int, definite: bool | None) -> _Conjunct | None:
    """ "a senior commander", "the gunman", "rebel commander Karim Zand" (``definite`` None: no article,
    so a name must follow the title)."""
    got = _coord_head(s, pos, lx.SINGULAR_PERSON_NOUNS, 4)
    if got is None:
        return None
    noun, end = got
    name = _COORD_NAME_RE.match(s, end)
    if name and any(w in _FORCE_WORDS for w in name.group(1).split()):
        name = None
    if name is None and definite is None:
        return None
    victim = lx.VICTIM_NOUNS.get(noun, Victim.UNSPECIFIED)
    return _Conjunct(1, victim, bool(definite) and not name, name.end() if name else end)


def _conjunct(s: str, pos: int, nums_at: dict[int, NumberMention], before_his: bool) -> _Conjunct | None:
    """One person phrase starting at ``pos`` ("a senior commander", "two militants", "his deputy",
    "rebel commander Karim Zand"), or None."""
    n = nums_at.get(pos)
    if n is not None:
        return _number_conjunct(s, n)
    first = _COORD_WORD_RE.match(s, pos)
    if first is None:
        return None
    det = first.group(1).lower()
    if det in ("his", "her"):
        return _possessive_conjunct(s, first.end())
    if det in ("the", "a", "an"):
        return _titled_conjunct(s, first.end(), det == "the")
    titled = _titled_conjunct(s, pos, None)
    if titled is not None or not before_his:
        return titled
    # a bare name, only right before "and his"/"and her": "Karim Zand and his brother"
    bare = _COORD_BARE_NAME_RE.match(s, pos)
    if bare and not any(w in _FORCE_WORDS or _word(w) in _NOT_A_NAME for w in bare.group(1).split()):
        return _Conjunct(1, Victim.UNSPECIFIED, False, bare.end())
    return None


def _conjunct_list(s: str, pos: int, nums_at: dict[int, NumberMention]) -> list[_Conjunct]:
    """Person phrases joined by "and" from ``pos`` (the first at ``pos``); fewer than two is no list."""
    out: list[_Conjunct] = []
    while True:
        c = _conjunct(s, pos, nums_at, before_his=not out)
        if c is None:
            return out if len(out) > 1 else []
        out.append(c)
        sep = _COORD_AND_RE.match(s, c.end)
        if sep is None:
            return out if len(out) > 1 else []
        pos = sep.end()


def _coordinated_count(s: str, verb: str, parts: list[_Conjunct], start: int, end: int) -> _Count | None:
    """The one toll of a list: the sum of its phrases, of their one victim class (none when two classes)."""
    victims: list[str] = []
    for part in parts:
        victim = part.victim if part.victim is not None else (victims[-1] if victims else Victim.UNSPECIFIED)
        victims.append(victim)
    classes = {v for v in victims if v != Victim.UNSPECIFIED}
    if all(p.numbered for p in parts):
        return None  # "Twelve soldiers and three volunteer fighters were killed": each number as stated
    if len(classes) > 1:
        return None  # "killed two soldiers and three civilians": a toll per class, read by the number rules
    victim = victims[0] if len(set(victims)) == 1 else Victim.UNSPECIFIED
    c = _Count(_single_metric(verb), sum(p.count for p in parts), Qualifier.EXACT, victim, start, end)
    c.refers_back = all(p.definite for p in parts)
    return c


def coordinated_toll_rule(s: str, nums: list[NumberMention]) -> list[_Count]:
    """Person phrases joined by "and" as one toll's victims are one toll: "killed a commander and his
    deputy" (2), "two gunmen and a driver were killed" (3); two victim classes stay two tolls."""
    out: list[_Count] = []
    nums_at = {n.start: n for n in nums}
    for m in _COORD_ACTIVE_RE.finditer(s):
        before, _at = _word_before(s, m.start())
        if _word(before) in _NOT_AN_EVENT_BEFORE or before.lower().endswith("n't"):
            continue
        parts = _conjunct_list(s, m.end(), nums_at)
        if not parts:
            continue
        nxt = _COORD_WORD_RE.match(s, parts[-1].end)
        if nxt and s[parts[-1].end : nxt.start(1)].strip() == "":
            w = nxt.group(1).lower()
            if w in _COORD_CLAUSE_WORDS or _is_verb(w) or w in lx.DETENTION_VERBS:
                continue  # "killed the commander and his deputy fled": a new clause's subject
        c = _coordinated_count(s, m.group("verb"), parts, m.end(), parts[-1].end)
        if c is not None:
            out.append(c)
    for m in _COORD_PASSIVE_RE.finditer(s):
        lo = max(0, m.start() - _COORD_WINDOW)
        for t in re.finditer(r"(?<![\w’'-])[\w’'-]", s[lo : m.start()]):
            start = lo + t.start()
            parts = _conjunct_list(s, start, nums_at)
            if not parts or parts[-1].end != m.start():
                continue
            words, _sub = _words_before_head(s, start, 2)
            if any(w in lx.NO_VICTIM_WORDS for w in words):
                break
            c = _coordinated_count(s, m.group("verb"), parts, start, m.end())
            if c is not None:
                out.append(c)
            break
    return out


class _SentenceIndex:
    """What the reader asks of a sentence around each of its numbers, computed once per sentence.

    Questions about the text before a number ("is there a launch verb before it?", "the two words before
    it") are answered from the sentence's tokens and matches, found once, by bisection: the sentence is
    never re-read (or re-tokenised) for each number in it."""

    def __init__(self, sentence: str) -> None:
        self.s = sentence

    @functools.cached_property
    def tokens(self) -> list[tuple[str, int, int]]:
        return _tokens(self.s)

    @functools.cached_property
    def token_ends(self) -> list[int]:
        return [e for _t, _s, e in self.tokens]

    @functools.cached_property
    def words(self) -> list[str]:
        return [_word(t) for t, _s, _e in self.tokens]

    @functools.cached_property
    def lead_space(self) -> int:
        return len(self.s) - len(self.s.lstrip())

    @functools.cached_property
    def semicolons(self) -> list[int]:
        return [i for i, ch in enumerate(self.s) if ch == ";"]

    def _split(self, end: int) -> tuple[int, str | None]:
        """How many whole tokens ``text[:end]`` holds, and the token it cuts (as the prefix tokenises it)."""
        k = bisect.bisect_right(self.token_ends, end)
        if k < len(self.tokens) and self.tokens[k][1] < end:
            return k, self.s[self.tokens[k][1] : end]
        return k, None

    def words_before(self, end: int, limit: int) -> list[str]:
        """The last ``limit`` words before ``end`` (nearest first), stopping at punctuation or a number."""
        k, cut = self._split(end)
        toks = [cut] if cut is not None else []
        out: list[str] = []
        for tok in itertools.chain(toks, (self.tokens[i][0] for i in range(k - 1, -1, -1))):
            if not tok[0].isalnum() or tok[0].isdigit():
                break
            out.append(_word(tok))
            if len(out) >= limit:
                break
        return out

    def _last_index(self, words: frozenset[str]) -> list[int]:
        """For each k, the index of the last token among the first k whose word is in ``words`` (or -1)."""
        out = [-1]
        for i, w in enumerate(self.words):
            out.append(i if w in words else out[-1])
        return out

    @functools.cached_property
    def _last_strike_verb(self) -> list[int]:
        return self._last_index(lx.STRIKE_VERBS)

    @functools.cached_property
    def _last_weapon_verb(self) -> list[int]:
        return self._last_index(lx.WEAPON_VERBS)

    @functools.cached_property
    def has_weapon_verb(self) -> bool:
        return self._last_weapon_verb[-1] >= 0

    def strike_verb_before(self, end: int) -> bool:
        """Whether a strike verb ("struck", "hit") comes before ``end``."""
        k, cut = self._split(end)
        return self._last_strike_verb[k] >= 0 or (cut is not None and _word(cut) in lx.STRIKE_VERBS)

    @functools.cached_property
    def _outcomes(self) -> tuple[list[int], list[int]]:
        found = list(lx.OUTCOME_RE.finditer(self.s))
        return [m.start() for m in found], [m.end() for m in found]

    def outcome_governs(self, end: int) -> bool:
        """Whether the verb governing a listed count ("shot down 99 missiles and 85 drones") is an outcome:
        the last outcome in the count's clause comes after its last launch verb."""
        k = bisect.bisect_left(self.semicolons, end) - 1
        clause_start = self.semicolons[k] + 1 if k >= 0 else 0
        starts, ends = self._outcomes
        j = bisect.bisect_right(ends, end) - 1
        last_outcome = ends[j] if j >= 0 and starts[j] >= clause_start else -1
        t, cut = self._split(end)
        i = self._last_weapon_verb[t]
        last_launch = self.tokens[i][2] if i >= 0 and self.tokens[i][1] >= clause_start else -1
        if cut is not None and _word(cut) in lx.WEAPON_VERBS:
            last_launch = end
        return last_outcome > last_launch

    @functools.cached_property
    def _first(self) -> dict[str, re.Match[str] | None]:
        return {
            "breakdown": lx.BREAKDOWN_RE.search(self.s),
            "death_toll": lx.DEATH_TOLL_RE.search(self.s),
            "toll": _TOLL_WORD_RE.search(self.s),
        }

    def first_before(self, name: str, end: int) -> re.Match[str] | None:
        """The first match of a pattern in ``text[:end]``: the sentence's first, when it ends by ``end``. (Its
        matches end in a word, and ``end`` starts a number or its hedge, so cutting there makes none.)"""
        m = self._first[name]
        return m if m is not None and m.end() <= end else None


@dataclass(frozen=True)
class _Number:
    """One number of a sentence and what the reader's rules read around it (found once, by ``_context``)."""

    n: NumberMention
    qual: str  # its hedge ("at least", "about"), as a Qualifier
    qstart: int  # where the number, or its hedge, starts: the text before it is ``sentence[:qstart]``
    words: list[str]  # the noun phrase right after it ("civilian casualties"), past "of the"/"more"
    tail: str  # the text after that noun phrase, up to the next number
    after: list[str]  # the first words of ``tail``
    prev: list[str]  # the two words before the number's hedge, nearest first
    partitive: bool  # "of them", "of the dead", "of which" right after it

    @property
    def head(self) -> str | None:
        """The noun the number counts ("strikes"), if it has one."""
        return self.words[-1] if self.words else None

    def count(self, metric: str, victim: str | None) -> _Count:
        if self.n.vague:
            return _Count(
                metric,
                self.n.value,
                Qualifier.VAGUE,
                victim,
                self.n.start,
                self.n.end,
                count_text=self.n.text,
            )
        return _Count(metric, self.n.value, self.qual, victim, self.n.start, self.n.end)


class _SentenceReader:
    """Finds the counts in one sentence.

    Each number goes through these rules in order; the first that decides gives its count (or none):

    1. Not a count at all (``_not_a_count``): a fraction, "a 12-day operation", "GR4", "$40 million",
       "Oct. 17", "at 3:30", "more than 40 percent", "between 10 and 20", "+5".
    2. A year counts nothing unless a metric noun follows: "in 2019".
    3. "At least one" is not a stated count.

    A number with a noun after it (``_with_noun``):

    4. A metric noun: "14 strikes", "released 3,038 weapons"; weapons only when released, not
       "intercepted 99 missiles", "has 40 drones" or "sold 200 bombs", and "drones"/"shells" only with a
       launch verb in the sentence or as a breakdown of the salvo just counted
       ("The barrage included 170 drones").
    5. "times" after a strike verb: "struck the town 12 times".
    6. A victim noun with a toll verb, or inside the sentence's toll: "52 fighters were killed",
       "killing 12 civilians", "including six children".

    A number without a noun (``_bare``):

    7. A range is at least its lower number, read with the noun after its upper one ("12 to 15 were
       killed", "between 10 and 20 strikes", "3 or 4 civilians"); a factor counts nothing: "3 times".
    8. "Of which" after a count that is not a toll: "12 strikes, of which 3 hit Mosul".
    9. A toll verb after it: "12 were killed".
    10. A launch verb around it: "fired 40", "40 were launched".
    11. A toll verb before it: "killing 12", "wounding 3".
    12. After a death toll: "the death toll rose to 52".
    13. A lone "one" counts nothing unless a count continues ("one more", "one near Mosul"): "one said".
    14. The end of a tally: "the number of strikes rose to 40"; with no noun, the page's last count
        updated: "By Sunday evening the figure had risen to 240".
    15. The sentence's first count: "3,038 weapons in October and 2,709 in November".
    16. The previous sentence's count, when the number opens its clause: "Two more, southeast of Irbil", or
        its sentence opens with "Of those,": "Of those, the monitor blames about 300 on shelling"; or
        an elliptical answer ending its sentence or followed by "since": "About 65 since June 1." (after
        "How many air raids ...?", whose metric it takes), "In 2020 there were only 120."

    A bare weapons count followed by an outcome counts nothing ("40 ... were shot down"). A count after
    "including" a toll of this sentence, or followed by "of the dead" after a toll, is a sub-count (nested).

    Read alongside the rules above, and after the numbers:

    17. A detention verb governing a number makes it no count, nor its noun a toll: "detained two",
        "captured 30 suspects and killed seven" (killed 7 only).
    18. A vague quantity is read like a number, for tolls only: "several insurgents were killed" (qualifier
        ``vague``, ``count_text`` "several", count the lower bound ``lexicon.VAGUE_QUANTITIES`` gives).
    19. One victim stated without a number, by ``SINGLE_VICTIM_RULES`` in their order: "killing him",
        "a civilian was killed"; "him" or "the commander" after a toll of the page is one already counted.
    20. Victims joined by "and" as one toll verb's object or passive subject are one toll, the sum of its
        parts (``coordinated_toll_rule``): "killed a commander and his deputy" (2), "killed two militants
        and a commander" (3); victims of two classes stay a toll per class ("two soldiers and three
        civilians").
    """

    def __init__(self, sentence: str, state: _State, budget: _Budget | None = None) -> None:
        self.s = sentence
        self.state = state
        self.counts: list[_Count] = []
        self.ix = _SentenceIndex(sentence)
        self._budget = budget
        self._toll_seen = False  # a toll among self.counts
        self._victim: str | None = None  # the victim class of the last toll that is not a sub-count

    def read(self) -> list[_Count]:
        # vague quantities and single victims are tolls only: a sentence with no toll word has none (a
        # substring test, much cheaper than their patterns)
        lowered = self.s.lower()
        tolls_here = any(stem in lowered for stem in _TOLL_STEMS)
        nums = find_numbers(self.s)
        if tolls_here:
            nums = _with_vague(nums, find_vague_quantities(self.s))
        lows = _range_lows(self.s, nums)
        for i, n in enumerate(nums):
            if self._budget is not None:
                self._budget.check()
            low = lows.get(i)
            if i + 1 in lows or (low is None and not n.vague and _not_a_count(self.s, n)):
                continue  # a range's lower number is read with its upper one
            c = self._classify(n, nums[i + 1].start if i + 1 < len(nums) else len(self.s), low)
            if c is not None and n.vague and c.metric not in CASUALTY_METRICS:
                c = None  # only tolls take a vague quantity: "dozens of strikes" is no count
            if c is not None:
                c.earlier = bool(
                    _ends_before(lx.EARLIER_FIGURE_BEFORE_RE, self.s, n.start, SHORT_LOOKBACK_CHARS)
                )
                # nested in a toll stated before it (in this sentence, or the last one for "of the dead")
                before_toll = self._toll_seen
                c.nested = bool(
                    _ends_before(lx.NESTED_BEFORE_RE, self.s, n.start, SHORT_LOOKBACK_CHARS)
                    and before_toll
                    or _PARTITIVE_AT.match(self.s, n.end)
                    and (before_toll or self.state.last_metric in CASUALTY_METRICS)
                )
                self.counts.append(c)
                self._toll_seen = self._toll_seen or c.metric in CASUALTY_METRICS
                if c.victim and not c.nested:
                    self._victim = c.victim
        singles = [c for rule in SINGLE_VICTIM_RULES for c in rule(self.s, nums)] if tolls_here else []
        # "him", "the insurgent" after a toll of the page: one of those already counted, no toll of its own
        if any(c.refers_back for c in singles):
            tolls = self.state.metrics_seen | {c.metric for c in self.counts}
            singles = [c for c in singles if not (c.refers_back and c.metric in tolls)]
        # "a second insurgent was killed" after "killed two insurgents": the second of those two, no toll of
        # its own; after a toll of one ("a soldier was killed ... a second soldier was killed") it is another
        if any(c.ordinal for c in singles):
            stated = [r for r in self.state.records if r.qualifier != Qualifier.VAGUE] + self.counts
            singles = [
                c
                for c in singles
                if not (c.ordinal and any(r.metric == c.metric and r.count >= c.ordinal for r in stated))
            ]
        if singles:
            self.counts = sorted(self.counts + _first_per_span(singles), key=lambda c: c.start)
        if tolls_here and " and " in lowered:
            self._coordinate(nums)
        return self.counts

    def _coordinate(self, nums: list[NumberMention]) -> None:
        """Rule 20: a list of victims of one toll verb replaces the counts read inside it with its sum."""
        for coord in coordinated_toll_rule(self.s, nums):
            inside = [
                c
                for c in self.counts
                if c.metric in CASUALTY_METRICS and c.start < coord.end and c.end > coord.start
            ]
            others = [c for c in self.counts if c not in inside]
            if coord.refers_back and coord.metric in self.state.metrics_seen | {c.metric for c in others}:
                self.counts = others  # "the gunman and his accomplice", already counted on the page
                continue
            self.counts = sorted([*others, coord], key=lambda c: c.start)

    def _recent_victim(self) -> str | None:
        """The victim class of the last toll read so far (this sentence first, then the page); a nested
        sub-count ("including six children") does not set the class of the tolls after it."""
        return self._victim if self._victim else self.state.last_victim

    def _sentence_metric(self) -> tuple[str, str | None] | None:
        if self.counts:
            first = self.counts[0]
            return first.metric, first.victim
        return None

    def _classify(self, n: NumberMention, next_start: int, low: NumberMention | None = None) -> _Count | None:
        x = self._context(n, next_start)
        if low is not None:
            x = self._as_range(x, low)
        if _is_year(n) and not (x.head and x.head in lx.METRIC_NOUNS):
            return None
        if n.value == 1 and x.qual == Qualifier.AT_LEAST:
            return None  # "at least one" is not a stated count
        if x.head is not None:
            return self._with_noun(x, x.head)
        return self._bare(x)

    def _as_range(self, x: _Number, low: NumberMention) -> _Number:
        """A range's upper number read as its lower bound: "between 10 and 20 strikes" is at least 10 strikes,
        read with the words before the lower number and the noun after the upper one."""
        _qual, qstart = qualifier_before(self.s, low.start)
        n = NumberMention(
            value=low.value,
            start=low.start,
            end=x.n.end,
            text=self.s[low.start : x.n.end],
            is_word=low.is_word,
        )
        return replace(x, n=n, qual=Qualifier.AT_LEAST, qstart=qstart, prev=self.ix.words_before(qstart, 2))

    def _context(self, n: NumberMention, next_start: int) -> _Number:
        """What the rules read around ``n``; the text after it is read up to the next number."""
        s = self.s
        qual, qstart = qualifier_before(s, n.start)
        rest = s[n.end : next_start]
        partitive = lx.PARTITIVE_RE.match(rest)
        lead = re.match(r"^\s*(?:more|other|additional|further|remaining)\b", rest, re.I)
        np_start = partitive.end() if partitive else (lead.end() if lead else 0)
        words, np_end = _noun_phrase(rest[np_start:])
        np_end += np_start
        return _Number(
            n=n,
            qual=qual,
            qstart=qstart,
            words=words,
            tail=rest[np_end:],
            after=_after_words(rest[np_end:], AFTER_VERB_WINDOW),
            prev=self.ix.words_before(qstart, 2),
            partitive=bool(partitive),
        )

    def _with_noun(self, x: _Number, head: str) -> _Count | None:
        """Rules 4-6: the noun after the number (``head``) names what it counts."""
        if head in lx.METRIC_NOUNS:
            noun_metric = lx.METRIC_NOUNS[head]
            victim: str | None = None
            if noun_metric == Metric.WEAPONS_RELEASED and not self._weapon_ok(x):
                return None
            if noun_metric in CASUALTY_METRICS:
                victim = (
                    next((lx.VICTIM_MODIFIERS[w] for w in x.words[:-1] if w in lx.VICTIM_MODIFIERS), None)
                    or next(  # "two soldiers sustained injuries": the people before the toll noun
                        (
                            lx.VICTIM_NOUNS[w]
                            for w in x.words[:-1]
                            if lx.VICTIM_NOUNS.get(w) not in (None, Victim.UNSPECIFIED)
                        ),
                        None,
                    )
                )
                if (
                    victim is None
                    and not x.partitive
                    and _ends_before(lx.CIVILIAN_TOLL_BEFORE_RE, self.s, x.n.start, 120)
                ):
                    victim = Victim.CIVILIANS  # "284 civilian casualties ..., including 100 deaths"
                if x.partitive and victim is None:
                    victim = _predicate_victim(self.s, x.n.end)
                victim = victim or (self._recent_victim() if x.partitive else None) or Victim.UNSPECIFIED
            return x.count(noun_metric, victim)
        if head == "times" and self.ix.strike_verb_before(x.n.start):
            return x.count(Metric.STRIKES, None)
        if head not in lx.VICTIM_NOUNS:
            head = _victim_before_verb(x.words) or head  # "several gunmen posed a threat and were killed"
        if head in lx.VICTIM_NOUNS:
            metric = self._victim_noun_metric(x)
            if metric is None:
                return None
            victim = lx.VICTIM_NOUNS[head]
            if head in ("members", "member") and (
                any(_word(w) in lx.ARMED_GROUP_WORDS for w in x.words[:-1])
                or lx.ARMED_GROUP_AFTER_RE.match(x.tail)
            ):
                victim = Victim.COMBATANTS  # "three of the group's members", "members of the militia"
            if head in lx.INHERITING_VICTIM_NOUNS:
                victim = self._recent_victim() or victim
            return x.count(metric, victim)
        return None

    def _detention(self, x: _Number) -> bool:
        """Whether a detention verb governs the number: "detained two", "captured or killed 40 fighters",
        "one man was detained"."""
        for w in self.ix.words_before(
            x.qstart, 3
        ):  # back to a clause's "and": "detained and two were killed"
            if w in lx.DETENTION_VERBS:
                return True
            if w in ("and", "but", "while"):
                break
        for w in x.after:
            if w in lx.DETENTION_VERBS:
                return True
            if w in lx.KILLED_VERBS or w in lx.WOUNDED_VERBS or w in ("and", "but", "while"):
                return False
        return False

    def _victim_noun_metric(self, x: _Number) -> str | None:
        """Rule 6: the toll a victim noun belongs to: a toll verb around it, or the sentence's toll it is
        part of ("including six children")."""
        if self._detention(x):
            return None  # "captured 30 suspects and killed seven": never a toll
        if x.prev[:2] in (["of", "deaths"], ["of", "death"], ["of", "killing"]):
            return Metric.KILLED  # "the deaths of five fighters"
        metric: str | None = _toll_metric(x.prev[:1]) or _toll_metric(x.after) or _toll_metric(x.prev)
        if metric is None:
            later = _TOLL_PASSIVE_AT.match(self.s, x.n.end)
            if later and any(
                _word(w) in lx.DETENTION_VERBS
                for w in self.s[
                    x.n.end : later.start("verb") if later.group("verb") else later.start("verb2")
                ].split()
            ):
                later = None  # "30 suspects were detained and seven were killed"
            metric = _toll_metric([(later.group("verb") or later.group("verb2")).lower()]) if later else None
        if metric is None:
            metric = self._conjunct_metric(x)
        if metric is None:
            sm = self._sentence_metric()
            nested = x.partitive or _ends_before(lx.NESTED_BEFORE_RE, self.s, x.n.start, SHORT_LOOKBACK_CHARS)
            if sm and sm[0] in CASUALTY_METRICS and nested:
                metric = sm[0]
        return metric

    def _conjunct_metric(self, x: _Number) -> str | None:
        """A victim noun listed after a toll's victims with "and" or a comma, no verb between: "killed two
        fighters and three civilians" (the second count takes the first's metric)."""
        last = self.counts[-1] if self.counts else None
        if last is None or last.metric not in CASUALTY_METRICS:
            return None
        between = self.s[last.end : x.qstart]
        if len(between) > 60 or not _CONJUNCT_RE.match(between):
            return None
        if any(_is_verb(_word(t)) or _word(t) in lx.DETENTION_VERBS for t, _a, _b in _tokens(between)):
            return None
        return last.metric

    def _weapon_ok(self, x: _Number) -> bool:
        """Rule 4's test for weapons: released, not intercepted, owned or sold, and (for "drones", "shells")
        with a launch verb in the sentence or as a breakdown of the salvo just counted."""
        n = x.n
        tail = " ".join(x.after)
        if lx.OUTCOME_RE.search(tail) or self.ix.outcome_governs(n.start):
            return False
        window = self.s[max(0, n.start - 60) : n.end + 40]
        owned = x.qual == Qualifier.EXACT and x.prev[:1] in (["has"], ["have"], ["had"])
        if lx.NON_RELEASE_RE.search(window) or owned:
            return False
        if x.head in lx.WEAPON_NOUNS_NEEDING_VERB:
            if self.ix.has_weapon_verb:
                return True
            # a breakdown of the salvo just counted ("The barrage included 170 drones")
            return self.state.last_metric == Metric.WEAPONS_RELEASED and bool(
                self.ix.first_before("breakdown", n.start)
            )
        return True

    def _bare(self, x: _Number) -> _Count | None:
        """Rules 7-16: a number without a noun."""
        if re.match(r"^\s*(?:or|and\s+\d|to\s+\d)\b", x.tail) or (x.after and x.after[0] == "times"):
            return None
        if self._detention(x):
            return None  # "detained two": a detention count is never a toll, nor any other count
        if x.n.vague:
            if x.partitive and x.after[:1] and _toll_metric(x.after[:1]):
                return None  # "several of the wounded were taken to hospital": a part of a toll, no toll
            return self._bare_by_verb(x)  # "several were killed", "killing dozens": a toll verb, or nothing
        got = self._bare_metric(x)
        if (
            got is not None
            and got.metric == Metric.WEAPONS_RELEASED
            and (lx.OUTCOME_RE.search(" ".join(x.after)) or self.ix.outcome_governs(x.n.start))
        ):
            return None  # "fired 1,850 rockets, of which Iron Dome intercepted 400": a subset, no count
        return got

    def _bare_metric(self, x: _Number) -> _Count | None:
        """Rules 8-16, in order: the first that names a metric gives the count."""
        sm = self._sentence_metric()
        if (
            (x.partitive or x.prev[:2] == ["which", "of"])
            and sm is not None
            and sm[0] not in CASUALTY_METRICS
        ):
            # "of which"/"of them" points back at the count before it, whatever verb follows: "3 of them hit
            # Mosul", "of which 40 involved the use of bombs" (a part of the sorties, not a count of bombs).
            return x.count(sm[0], sm[1])
        got = self._bare_by_verb(x)
        if got is not None:
            return got
        if x.partitive and x.after[:1] in (["were"], ["was"]) and x.after[1:2] and x.after[1].endswith("ed"):
            return None  # "two of them were barricaded in a room": what became of a part, no count
        toll_m = self.ix.first_before("death_toll", x.qstart)
        if toll_m and self.ix.first_before("toll", x.qstart):
            said = _APPOSITIVE_VICTIM_AT.match(
                self.s, x.n.end
            )  # "put the toll at nine, all of them fighters"
            named: str | None = lx.VICTIM_NOUNS.get(said.group("noun").lower()) if said else None
            return x.count(
                Metric.KILLED, Victim.CIVILIANS if toll_m.group("civ") else named or Victim.UNSPECIFIED
            )
        if (
            x.n.is_word
            and x.n.value == 1
            and not re.match(r"^\s*(?:more\b|,|near\b|in\b|on\b|of\s+them)", x.tail)
        ):
            return None
        tally_metric = self._tally_metric(x)
        if tally_metric:
            return x.count(tally_metric, Victim.UNSPECIFIED if tally_metric in CASUALTY_METRICS else None)
        last = self.state.last_metric
        if last and _ends_before(lx.FIGURE_ROSE_BEFORE_RE, self.s, x.qstart, SHORT_LOOKBACK_CHARS):
            # "By Sunday evening the figure had risen to 240": the page's last count, updated
            prev = next((r for r in reversed(self.state.records) if r.metric == last), None)
            who: str | None = None
            if last in CASUALTY_METRICS:
                who = (prev.victim if prev else None) or Victim.UNSPECIFIED
            return x.count(last, who)
        if sm is not None:
            if sm[0] in CASUALTY_METRICS and re.search(
                r"\bof\s+(?:whom|them)\s*$", self.s[max(0, x.qstart - 20) : x.qstart]
            ):
                # "1,190, of whom 436 were civilians": the part's own class
                return x.count(sm[0], _predicate_victim(self.s, x.n.end) or sm[1])
            return x.count(sm[0], sm[1])
        if self.state.last_metric and self._continues_previous(x):
            victim = self.state.last_victim if self.state.last_metric in CASUALTY_METRICS else None
            if victim is not None and x.partitive:
                # "... killed 30 people. Eight of them were soldiers.": the part's own class
                victim = _predicate_victim(x.tail) or victim
            return x.count(self.state.last_metric, victim)
        return None

    def _bare_by_verb(self, x: _Number) -> _Count | None:
        """Rules 9-11: a toll verb after the number, a launch verb around it, a toll verb before it."""
        # a toll verb after "and" belongs to the next count: "killed one and wounded two"
        after = list(itertools.takewhile(lambda w: w not in ("and", "but", "or", "while"), x.after[:4]))
        toll = _toll_metric(after)
        if toll:
            victim = (_predicate_victim(x.tail) if x.partitive else None) or self._recent_victim()
            return x.count(toll, victim or Victim.UNSPECIFIED)
        # "killing all four": the verb before "all"
        prev = x.prev[1:] if x.prev[:1] == ["all"] else x.prev
        prev0 = prev[0] if prev else None
        if any(w in lx.WEAPON_VERBS for w in x.after[:3]) or prev0 in lx.WEAPON_VERBS:
            return x.count(Metric.WEAPONS_RELEASED, None)
        if prev0 in lx.KILLED_VERBS:
            return x.count(Metric.KILLED, self._recent_victim() or Victim.UNSPECIFIED)
        if prev0 in lx.WOUNDED_VERBS:
            return x.count(Metric.WOUNDED, self._recent_victim() or Victim.UNSPECIFIED)
        return None

    def _tally_metric(self, x: _Number) -> str | None:
        """Rule 14: the metric noun of a tally the number completes ("the number of strikes rose to 40")."""
        tally = _ends_before(lx.TALLY_BEFORE_RE, self.s, x.qstart, LONG_LOOKBACK_CHARS)
        tally_nouns = [_word(t) for t, _a, _b in _tokens(tally.group("words"))] if tally else []
        return next((lx.METRIC_NOUNS[w] for w in tally_nouns if w in lx.METRIC_NOUNS), None)

    def _continues_previous(self, x: _Number) -> bool:
        """Rule 16: a bare number that opens its clause continues the previous sentence's count."""
        s = self.s
        end = x.qstart
        while end > 0 and s[end - 1].isspace():
            end -= 1
        start = self.ix.lead_space
        if end - start <= OPENER_LOOKBACK_CHARS:
            b = s[start:end].lower()  # the text before the number, stripped
            word_opener = _OPENER_WORD_RE.search(b)
            intro = lx.INTRO_PHRASE_RE.match(b)
        else:
            # A long text before the number: only its end can open a clause (an introductory phrase
            # spans the whole of it, and is short), so only its end is read.
            b = s[end - OPENER_LOOKBACK_CHARS : end].lower()
            word_opener = _OPENER_WORD_TAIL_RE.search(b)
            intro = None
        # a number after a bare comma opens a clause only behind an introductory phrase ("Near Mosul,
        # four ..."), not behind a name ("said Ahmed, 43, a fisherman")
        opener = b == "" or b.endswith((";", ":")) or bool(word_opener) or bool(intro)
        follows = re.match(
            r"^\s*(?:more\b|of\s+them\b|,|;|near\b|in\b|on\b|were\b|was\b|took\b|hit\b|struck\b)", x.tail
        )
        # an elliptical answer: "Roughly 90 since June 1." (after "How many sorties ...?"), "In 2019 there were
        # only 8." (after a sentence counting strikes): the number ends its sentence or a "since" follows
        elliptical = re.match(r"^\s*(?:since\b|so\s+far\b|[.!]?\s*$)", x.tail) and (
            b == "" or b.endswith(":") or _THERE_WERE_RE.search(b)
        )  # (after a speaker's label in a transcript: "GEN. SMITH: About 90 since June 1.")
        # a part of the count before: "Of those, the monitor blames about 300 on shelling."
        part = _PART_OPENER_RE.match(b)
        return (opener or b.endswith("with")) and bool(follows) or bool(elliptical) or bool(part)


class _Exprs:
    """A sentence's time expressions (left to right, not overlapping), indexed so that each count finds the
    one it takes by bisection (``_choose_expr_scan`` filters them all for each count)."""

    def __init__(self, exprs: list[TimeExpr], sentence: str) -> None:
        self.exprs = exprs
        self.sentence = sentence
        self.starts = [e.start for e in exprs]
        self.ends = [e.end for e in exprs]
        # the index relies on order; expressions that overlap (never seen) are chosen by the plain scan
        self.ordered = self.starts == sorted(self.starts) and self.ends == sorted(self.ends)
        self.semicolons = [i for i, ch in enumerate(sentence) if ch == ";"]
        self.following_ok = [i for i, e in enumerate(exprs) if not e.bare_month and e.kind != "lookback"]
        self.preceding_ok = [i for i, e in enumerate(exprs) if e.kind != "lookback"]
        self.lookbacks = [i for i, e in enumerate(exprs) if e.kind == "lookback"]
        self.inner_by_year: dict[int, list[int]] = {}
        for i, e in enumerate(exprs):
            if e.kind in ("month", "day", "span") and e.period_start:
                self.inner_by_year.setdefault(e.period_start.year, []).append(i)

    @staticmethod
    def _first_in(ixs: list[int], lo: int, hi: int) -> int | None:
        k = bisect.bisect_left(ixs, lo)
        return ixs[k] if k < len(ixs) and ixs[k] < hi else None

    @staticmethod
    def _last_in(ixs: list[int], lo: int, hi: int) -> int | None:
        k = bisect.bisect_left(ixs, hi) - 1
        return ixs[k] if k >= 0 and ixs[k] >= lo else None

    def choose(self, counts: list[_Count], idx: int) -> TimeExpr | None:
        """What ``_choose_expr_scan`` returns, found by bisection."""
        if not self.ordered:
            return _choose_expr_scan(counts, idx, self.exprs, self.sentence)
        c, ex, sentence = counts[idx], self.exprs, self.sentence
        k = bisect.bisect_left(self.semicolons, c.start) - 1
        clause_start = self.semicolons[k] + 1 if k >= 0 else 0
        k = bisect.bisect_left(self.semicolons, c.end)
        clause_end = self.semicolons[k] if k < len(self.semicolons) else len(sentence)
        next_count = counts[idx + 1].start if idx + 1 < len(counts) else clause_end
        # the usable expressions (inside the count's clause) are ex[i0:i1]
        i0 = bisect.bisect_left(self.starts, clause_start)
        i1 = max(i0, bisect.bisect_right(self.ends, clause_end))
        j0 = max(i0, bisect.bisect_left(self.starts, c.end))
        first_following = self._first_in(self.following_ok, j0, i1)
        if first_following is not None and ex[first_following].start < next_count:
            # its own: the first following one before the next count with no clause break before it
            brk = lx.CLAUSE_BREAK_RE.search(sentence, c.end, max(c.end, next_count))
            if brk is None or brk.end() > ex[first_following].start:
                return ex[first_following]
        p1 = min(i1, max(i0, bisect.bisect_right(self.ends, c.start)))
        near_i = self._last_in(self.preceding_ok, i0, p1)
        if near_i is not None:
            near = ex[near_i]
            if near.kind == "year" and near.period_start:
                inner = self._last_in(self.inner_by_year.get(near.period_start.year, []), i0, p1)
                if inner is not None:
                    return ex[inner]
            return near
        if first_following is not None and not lx.CLAUSE_BREAK_RE.search(
            sentence, c.end, ex[first_following].start
        ):
            return ex[first_following]
        look = self._first_in(self.lookbacks, i0, i1)
        return ex[look] if look is not None else None


def _choose_expr_scan(
    counts: list[_Count], idx: int, exprs: list[TimeExpr], sentence: str
) -> TimeExpr | None:
    c = counts[idx]
    clause_start = sentence.rfind(";", 0, c.start) + 1
    nxt = sentence.find(";", c.end)
    clause_end = nxt if nxt >= 0 else len(sentence)
    next_count = counts[idx + 1].start if idx + 1 < len(counts) else clause_end
    usable = [e for e in exprs if clause_start <= e.start and e.end <= clause_end]
    following = [e for e in usable if e.start >= c.end and not e.bare_month and e.kind != "lookback"]
    own = [
        e
        for e in following
        if e.start < next_count and not lx.CLAUSE_BREAK_RE.search(sentence, c.end, e.start)
    ]
    if own:
        return own[0]
    # Otherwise the nearest time stated before it in its clause (a month rather than the year around it),
    # and failing that the next one stated for the group it belongs to.
    preceding = [e for e in usable if e.end <= c.start and e.kind != "lookback"]
    if preceding:
        near = preceding[-1]
        if near.kind == "year" and near.period_start:
            inner = [
                e
                for e in preceding
                if e.kind in ("month", "day", "span")
                and e.period_start
                and e.period_start.year == near.period_start.year
            ]
            if inner:
                return inner[-1]
        return near
    if following and not lx.CLAUSE_BREAK_RE.search(sentence, c.end, following[0].start):
        return following[0]  # the time stated for the group the count belongs to, in its own clause
    look = [e for e in usable if e.kind == "lookback"]
    return look[0] if look else None


class _Cues:
    """Words of a sentence that every count in it asks about, looked for once (when first asked)."""

    def __init__(self, sentence: str) -> None:
        self.s = sentence

    @functools.cached_property
    def sum(self) -> bool:
        return bool(lx.SUM_CUES_RE.search(self.s))

    @functools.cached_property
    def cumulative(self) -> bool:
        return bool(CUMULATIVE_CUES.search(self.s))

    @functools.cached_property
    def total(self) -> bool:
        return bool(TOTAL_CUES_RE.search(self.s))

    @functools.cached_property
    def present_perfect(self) -> bool:
        return bool(lx.PRESENT_PERFECT_RE.search(self.s))

    @functools.cached_property
    def since_then(self) -> bool:
        return bool(re.search(r"\bsince\s+then\b", self.s, re.I))

    @functools.cached_property
    def that_time(self) -> bool:
        return bool(lx.THAT_TIME_RE.search(self.s))

    @functools.cached_property
    def running_toll(self) -> bool:
        return bool(lx.RUNNING_TOLL_RE.search(self.s))

    @functools.cached_property
    def refers_back(self) -> re.Match[str] | None:
        return lx.REFERS_BACK_RE.search(self.s)


#: What a count that refers back ("Those raids killed 229", "106 of the dead") takes its period from.
_REFERRED_METRICS: dict[str, frozenset[str]] = {
    "act": frozenset({"strikes", "sorties", "engagements", "weapons_released"}),
    "dead": frozenset({"killed"}),
    "hurt": frozenset({"wounded"}),
}


def _referred_period(state: _State, c: _Count, back: re.Match[str]) -> tuple[dt.date, dt.date] | None:
    """The period of the earlier count a sentence with no time of its own refers back to: the last record
    of the strikes ("Those raids"), the dead ("106 of the dead") or the wounded it names, or, after "A
    further"/"Another", of the same metric (else the last record)."""
    kind = back.lastgroup or ""
    want = _REFERRED_METRICS.get(kind, frozenset({c.metric}))
    dated = [r for r in state.records if r.period_start and r.period_end]
    hit = next((r for r in reversed(dated) if r.metric in want), None)
    if hit is None and kind == "further" and dated:
        hit = dated[-1]
    if hit is not None:  # of one sentence's counts, the incident's rather than the running total it brings
        told = [r for r in dated if r.evidence == hit.evidence and r.metric == hit.metric]
        hit = next((r for r in reversed(told) if id(r) not in state.running_totals), hit)
    return (hit.period_start, hit.period_end) if hit and hit.period_start and hit.period_end else None


def _lookback(state: _State, days: int) -> tuple[dt.date, dt.date] | None:
    """The last span of ``days`` days the page has stated ("those three days"); else the days from a day
    the page told to the last day it told, ``days`` apart, or one more for a start in the evening ("The
    offensive opened on the evening of March 4 ... A truce began on March 14 ... over those ten days")."""
    got = state.span_by_days.get(days)
    if got is not None or not state.told_days:
        return got
    end = state.told_days[-1][1]
    # a span of exactly ``days`` days first ("from Tuesday to Thursday ... those three days")
    for extra in (0, 1):
        for start, _end in reversed(state.told_days):
            if (end - start).days + 1 == days + extra:
                return start, end
    return None


def _sum_period(state: _State, c: _Count) -> tuple[dt.date, dt.date] | None:
    recent = [
        r for r in state.records[-SUM_LOOKBACK:] if r.metric == c.metric and r.period_start and r.period_end
    ]
    for size in (2, 3):
        for combo in itertools.combinations(range(len(recent)), size):
            parts = [recent[i] for i in combo]
            if sum(r.count for r in parts) == c.count:
                starts = [r.period_start for r in parts if r.period_start]
                ends = [r.period_end for r in parts if r.period_end]
                return min(starts), max(ends)
    return None


class _PageExtractor:
    def __init__(self, page: PageLike, url: str | None, budget: _Budget | None = None) -> None:
        self.page = page
        self.url = url
        self.budget = budget or _Budget(None, url)
        all_blocks: list[BlockLike] = _join_wrapped_lines(
            list(page.blocks)
            or [
                _TextBlock("p", " ".join(para.split()))
                for para in re.split(r"\n\s*\n", page.text or "")
                if para.strip()
            ]
        )
        self.all_blocks = all_blocks
        blocks = [b for b in all_blocks if b.kind in ANNOTATED_BLOCK_KINDS]
        texts = [b.text for b in blocks if b.kind == "p"]
        published = parse_reference_date(page.published_at) or date_from_url(url)
        # a page that gives only its month ("2011-07-S-064") gives its year, never a day to count from
        month = getattr(page, "published_month", None)
        month_year = int(month[:4]) if month else None
        times = page_times(
            page.title, texts, published, None if published else month_year or year_from_text(texts)
        )
        self.page_ref, self.year, self.subject = times.ref, times.year, times.subject
        self._texts = texts
        self.ctx = PeriodContext(ref=self.page_ref, year=self.year, conflict_start=times.conflict_start)
        self.state = _State()
        self.superseded: set[tuple[str | None, int]] = set()
        self.places = PagePlaces()  # where the page's counts happened (admin1 and country)
        if len(page.title or "") <= HEADING_MAX_CHARS:
            self.places.note(page.title or "", heading=True)  # "... in Kunduz province": the page's place
        # records whose location the page completes ("Archi" -> "Archi district, Kunduz province"), applied
        # after ``_dedupe``, which reads the place each sentence itself states
        self._placed: dict[int, tuple[Extraction, str | None]] = {}
        # Sentences without a count only leave context behind (event starts, the last month and place
        # named). Reading it is most of the work on pages with no counts, so it waits, in order, with
        # the reference day each sentence had, until a sentence with a count (or a table row) needs it.
        self._pending: list[tuple[str, dt.date | None, int, bool]] = []  # (..., a heading)
        # which live-blog entry (timestamp) the page is in: an incident's day stays in its own entry
        self._entry = 0
        #: the whole battle a sentence's counts are told of ("died in the battle for the city"), when it names one
        self._whole_event: tuple[dt.date, dt.date] | None = None

    @functools.cached_property
    def default_actor(self) -> str | None:
        return page_default(self._texts, find_actor)

    @functools.cached_property
    def default_target(self) -> str | None:
        return page_default(self._texts, find_target)

    def _note_places(self, sentence: str) -> list[str]:
        """Places the sentence names; the last (and its country) becomes the page's current place."""
        named = [p for _pos, p in places_in(sentence)]
        countries = [k for p in named if (k := country_of(p))]
        self.state.last_country = countries[-1] if countries else self.state.last_country
        self.state.last_place = named[-1] if named else self.state.last_place
        self.places.note(sentence)
        return named

    def _catch_up(self) -> None:
        """Read the context the waiting count-less sentences leave, as if read when they were met."""
        ref = self.ctx.ref
        for sentence, sentence_ref, entry, heading in self._pending:
            self.budget.check()
            if heading:
                self.places.note(sentence, heading=True)
                continue
            self.ctx.ref = sentence_ref
            self.ctx.event_days = self.state.event_period
            exprs = find_time_expressions(sentence, self.ctx)[0]
            self._note_time(exprs)
            days = incident_days(exprs, sentence)
            if days and entry == self._entry:
                self.state.event_period = days  # "On Tuesday, forces raided ...": the incident's day
            self._note_places(sentence)
        self._pending.clear()
        self.ctx.ref = ref

    def run(self) -> list[Extraction]:
        last_stamp: str | None = None
        table = _Table()
        for block in self.all_blocks:
            self.budget.check()
            if block.kind == "caption":
                table = _Table(caption=block.text, caption_metric=_metric_in_header(block.text))
                continue
            if block.kind == "table_row" and not re.search(r"\d", block.text.split("|", 1)[-1]):
                table.columns = [_metric_in_header(c) for c in block.text.split("|")]
                table.victims = [_victim_in_header(c) for c in block.text.split("|")]
                continue
            if block.kind != "table_row":
                table = _Table()
            if block.kind == "h" and len(block.text) <= HEADING_MAX_CHARS:
                self._pending.append((block.text, self.ctx.ref, self._entry, True))  # read in page order
            if block.kind not in ANNOTATED_BLOCK_KINDS:
                continue
            stamp = block.timestamp
            if stamp != last_stamp:
                if last_stamp is not None:
                    self.state.event_period = None
                    self._entry += 1
                last_stamp = stamp
            self.ctx.ref = parse_reference_date(stamp) or self.page_ref
            if block.kind == "table_row":
                self._table_row(block.text, table)
                continue
            if lx.CORRECTION_RE.match(block.text):
                self._correction(block.text)
                continue
            for sentence in split_sentences(block.text):
                self.budget.check()
                self._sentence(sentence)
        out = [r for r in self.state.records if (r.metric, r.count) not in self.superseded]
        out = [r for r in out if (None, r.count) not in self.superseded]
        kept = _dedupe(out)
        ids = {id(r) for r in kept}
        dropped = [self._place(r) for r in out if id(r) not in ids]
        return _without_summarised_vague(_most_precise_places([self._place(r) for r in kept], dropped))

    def _place(self, rec: Extraction) -> Extraction:
        got = self._placed.get(id(rec))
        return dataclasses.replace(rec, location=got[1]) if got and got[0] is rec else rec

    def _table_row(self, text: str, table: _Table) -> None:
        """A data row: the first cell names the period, numeric cells are counts of their column's metric
        (or of the caption's metric); the caption gives the place and the year."""
        cells = [c.strip() for c in text.split("|")]
        if len(cells) < 2 or len(cells[0]) > 40:
            return
        self._catch_up()
        year = table.caption_year if table.caption else None
        ctx = PeriodContext(ref=None, year=year) if year else self.ctx
        span = self._row_span(cells[0], ctx)
        if span is not None:
            period: tuple[dt.date | None, dt.date | None] = span
            if span[0] and span[1]:
                table.add_span((span[0], span[1]))
        elif re.match(r"(?i)(?:total|all|overall)\b", cells[0]) and table.spans:
            period = (table.first_day, table.last_day)
        else:
            return
        place = location_for(table.caption, 0, len(table.caption)) if table.caption else None
        for col, cell in enumerate(cells[1:], start=1):
            metric = table.columns[col] if col < len(table.columns) and table.columns[col] else None
            if metric is None and (table.columns and any(table.columns) or col > 1):
                continue
            metric = metric or table.caption_metric
            nums = [n for n in find_numbers(cell) if not n.has_fraction]
            if metric is None or len(nums) != 1 or cell.strip().endswith("%"):
                continue
            victim = Victim.UNSPECIFIED if metric in CASUALTY_METRICS else None
            if victim is not None and col < len(table.victims):
                victim = table.victims[col] or victim  # "Civilians killed": a column of civilians
            self._emit(
                _Count(metric, nums[0].value, Qualifier.EXACT, victim, 0, 0), text, period, location=place
            )

    @staticmethod
    def _row_span(cell: str, ctx: PeriodContext) -> tuple[dt.date | None, dt.date | None] | None:
        """The days a row's first cell names: a range of days in one month ("3-9 March", "March 17-23")
        covers all of them (read first: the sentence rules take such a range for its last day only), else
        the first time expression ("May", "28 May - 3 June")."""
        days = day_range_span(cell, ctx)
        if days is not None:
            return days
        exprs, _cut = find_time_expressions(cell, ctx)
        if exprs and exprs[0].period_start is not None:
            return exprs[0].period_start, exprs[0].period_end
        return None

    def _correction(self, text: str) -> None:
        for sentence in split_sentences(text):
            prev_end = 0
            for n in find_numbers(sentence):
                self.budget.check()
                floor = max(prev_end, n.start - 80)
                lo = max(floor, sentence.rfind(";", floor, n.start) + 1)
                if lx.SUPERSEDED_RE.search(sentence[lo : n.start]):
                    self.superseded.add((None, n.value))
                prev_end = n.end
        before = len(self.state.records)
        for sentence in split_sentences(text):
            self._sentence(sentence)
        fresh = self.state.records[before:]
        del self.state.records[before:]
        stated = {(o.metric, o.count) for o in self.state.records}
        for r in fresh:
            if (None, r.count) in self.superseded:
                continue
            if (r.metric, r.count) in stated:
                continue
            self.state.records.append(r)
            stated.add((r.metric, r.count))

    def _sentence(self, sentence: str) -> None:
        counts = _SentenceReader(sentence, self.state, self.budget).read()
        if counts and not statement_relevance(sentence).read:  # a toll of a disease, a crash, a match
            counts = []
        if not counts:
            asked = _asked_metric(sentence)
            if asked:
                self.state.last_metric = asked  # "How many sorties ...?": the metric of the answer after it
            self._pending.append((sentence, self.ctx.ref, self._entry, False))
            return
        self._catch_up()
        self.ctx.event_days = self.state.event_period
        self.places.note(sentence)
        exprs, cutoff = find_time_expressions(sentence, self.ctx)
        since_then = self._since_then(self.ctx.ref) if _Cues(sentence).since_then else None
        self._whole_event = self._battle_span() if lx.WHOLE_BATTLE_RE.search(sentence) else None
        if since_then is None and _Cues(sentence).that_time and self.state.last_time:
            since_then = self.state.last_time[:2]  # "in that time": the span the page stated last, as stated
        self._note_time(exprs)
        named = [p for _pos, p in places_in(sentence)]
        countries = [k for p in named if (k := country_of(p))]
        actor = find_actor(sentence) or self.state.last_actor or self.default_actor
        target = find_target(sentence) or self.default_target
        self.state.last_actor = actor
        # a toll only a health ministry or a monitor vouches for, tied to nobody's strikes, has no actor
        open_toll = (
            find_actor(without_attribution(sentence)) is None
            and bool(lx.OPEN_SOURCE_RE.search(sentence))
            and not lx.STRIKE_REFERENCE_RE.search(sentence)
        )
        done: list[tuple[dt.date | None, dt.date | None]] = []
        indexed = _Exprs(exprs, sentence)
        cues = _Cues(sentence)
        for i, c in enumerate(counts):
            self.budget.check()
            period, cumulative = self._period(counts, i, indexed, cutoff, cues, since_then)
            if (
                i
                and cumulative
                and done[-1][1]
                and lx.BRINGING_RE.search(sentence, counts[i - 1].end, c.start)
            ):
                period = (period[0], done[-1][1])
            done.append(period)
            nxt = counts[i + 1].start if i + 1 < len(counts) else len(sentence)
            loc = location_for(sentence, c.end, nxt, self.state.last_place, self.state.last_country)
            self.state.last_place = loc or self.state.last_place
            open_actor = open_toll and c.metric in CASUALTY_METRICS
            self._emit(
                c,
                sentence,
                period,
                actor=actor,
                target=target,
                location=loc,
                cumulative=cumulative,
                open_actor=open_actor,
            )
        self.state.last_country = countries[-1] if countries else self.state.last_country

    def _period(
        self,
        counts: list[_Count],
        i: int,
        exprs: _Exprs,
        cutoff: TimeExpr | None,
        cues: _Cues,
        since_then: tuple[dt.date, dt.date] | None = None,
    ) -> tuple[tuple[dt.date | None, dt.date | None], bool]:
        c = counts[i]
        ref = self.ctx.ref
        if cues.sum:
            summed = _sum_period(self.state, c)
            if summed:
                return summed, False
        e = exprs.choose(counts, i)
        if e is not None and e.kind == "lookback":
            got = _lookback(self.state, e.lookback_days)
            if got:
                return got, False
            e = None
        if e is not None and e.period_start is not None:
            start, end = e.period_start, e.period_end
            cumulative = e.cumulative
            if (
                cutoff
                and cutoff.period_end
                and (e.kind in ("since", "year") or e.cumulative)
                and start <= cutoff.period_end
                and (end is None or cutoff.period_end <= end)
            ):
                end = cutoff.period_end
                cumulative = True
            elif e.kind == "day" and cues.cumulative and ref is not None and start <= ref:
                end = ref
                cumulative = True
            elif (
                e.kind == "day"
                and c.metric in CASUALTY_METRICS
                and cues.running_toll
                and self.ctx.since_start
                and self.ctx.since_start < start
            ):
                start, cumulative = self.ctx.since_start, True  # "the overall toll rose to 508 on Monday"
            return (start, end), cumulative
        return self._period_told_elsewhere(c, cutoff, cues, since_then)

    def _period_told_elsewhere(
        self,
        c: _Count,
        cutoff: TimeExpr | None,
        cues: _Cues,
        since_then: tuple[dt.date, dt.date] | None,
    ) -> tuple[tuple[dt.date | None, dt.date | None], bool]:
        """The period of a count its sentence binds to no time expression: a cut-off, "since then", the
        count it refers back to, the page's event start, the subject period, the incident told, or the
        reference day, in that order."""
        ref = self.ctx.ref
        if cutoff and cutoff.period_end:
            anchor = self.ctx.since_start  # a running total "by Aug. 18": from the campaign's start
            if anchor is None or anchor > cutoff.period_end:
                anchor = cutoff.period_end
            return (anchor, cutoff.period_end), True
        if since_then:
            return since_then, True  # "A further 14 had been killed since then" (after "in the first week")
        if self._whole_event:
            return (
                self._whole_event,
                False,
            )  # "died in the battle for the city": its start to the last day told
        referred = _referred_period(self.state, c, cues.refers_back) if cues.refers_back else None
        if referred:
            return referred, (referred[1] - referred[0]).days > 1
        if cues.present_perfect and self.ctx.anchors and ref:
            return (self.ctx.anchors[-1], ref), True
        if self.subject and cues.total:
            return self.subject, True  # "a total of 1,200 strikes" in an article about 2017
        if self.state.event_period:
            return self.state.event_period, False
        return (ref, ref), False

    def _note_time(self, exprs: list[TimeExpr]) -> None:
        dated = [e for e in exprs if e.period_start and e.period_end]
        if dated:
            e = dated[-1]
            assert e.period_start and e.period_end
            self.state.last_time = (e.period_start, e.period_end, e.kind == "since" or e.cumulative)
        told = self.state.told_days
        told.extend((e.period_start, e.period_end) for e in dated if e.period_start and e.period_end)
        del told[:-TOLD_DAYS_KEPT]

    def _battle_span(self) -> tuple[dt.date, dt.date] | None:
        """The span of the battle the page tells ("in the battle for the city"): from its start (the page's
        event start) to the last day the page told, at most the reference day."""
        start, ref = self.ctx.since_start, self.ctx.ref
        if start is None or ref is None:
            return None
        ends = [e for _s, e in self.state.told_days if start <= e <= ref]
        return (start, max(ends)) if ends else None

    def _since_then(self, ref: dt.date | None) -> tuple[dt.date, dt.date] | None:
        """ "Since then": from the last time the page stated to the reference day: the same start after a
        "since" ("since August last year ... Since then, 183 killed"), the day after a closed span ("39 in
        the first week ... 14 since then")."""
        last = self.state.last_time
        if last is None or ref is None:
            return None
        start = last[0] if last[2] else last[1] + dt.timedelta(days=1)
        return (start, ref) if start <= ref else None

    def _emit(
        self,
        c: _Count,
        evidence: str,
        period: tuple[dt.date | None, dt.date | None],
        *,
        actor: str | None = None,
        target: str | None = None,
        location: str | None = None,
        cumulative: bool = False,
        open_actor: bool = False,
    ) -> None:
        start, end = period
        if start and end and end < start:
            start, end = end, start
        # the toll of one incident (a day or a night, not a running total) may take the page's stated place;
        # so may a toll whose day the page does not let us know (no date to anchor it), unless it is a total
        day = bool(start and end and (end - start).days <= 1)
        undated = start is None and end is None
        incident = (day or undated) and not cumulative and c.metric in CASUALTY_METRICS
        where = self.places.where(location, evidence, carry=incident)
        rec = Extraction(
            metric=c.metric,
            count=c.count,
            qualifier=c.qualifier,
            count_text=c.count_text,
            evidence=evidence,
            victim=c.victim if c.metric in CASUALTY_METRICS else None,
            actor=None if open_actor else (actor or self.default_actor),
            target=target or self.default_target,
            location=location,
            admin1=where.admin1,
            country=where.country,
            period_start=start,
            period_end=end,
        )
        self.state.records.append(rec)
        if cumulative or c.earlier:  # neither is the incident a later "Those strikes" refers to
            self.state.running_totals.add(id(rec))
        if where.location != location:
            self._placed[id(rec)] = (rec, where.location)
        self.state.metrics_seen.add(c.metric)
        self.state.last_metric = c.metric
        if c.metric in CASUALTY_METRICS and c.victim and not c.nested:
            self.state.last_victim = c.victim
        if start and end:
            self.state.spans.append((start, end))
            self.state.span_by_days[(end - start).days + 1] = (start, end)
            if not cumulative and not c.earlier:
                self.state.event_period = (start, end)


def _metric_in_header(text: str) -> str | None:
    for tok, _s, _e in _tokens(text):
        w = _word(tok)
        if w in lx.METRIC_NOUNS:
            return lx.METRIC_NOUNS[w]
    low = text.lower()
    if "killed" in low or "deaths" in low:
        return Metric.KILLED
    if "wounded" in low or "injured" in low:
        return Metric.WOUNDED
    return None


_HOW_MANY_RE = re.compile(r"\bhow\s+many\s+((?:[\w-]+\s+){0,2}[\w-]+)\b[^?]*\?", re.I)


def _asked_metric(sentence: str) -> str | None:
    """The metric a question asks for: "How many air strikes were there in May?" -> strikes."""
    m = _HOW_MANY_RE.search(sentence)
    if m is None:
        return None
    return next(
        (lx.METRIC_NOUNS[w] for t, _s, _e in _tokens(m.group(1)) if (w := _word(t)) in lx.METRIC_NOUNS), None
    )


def _victim_in_header(text: str) -> Victim | None:
    """The victim class a column header names ("Civilians killed", "Soldiers wounded", "Civilian deaths")."""
    for tok, _s, _e in _tokens(text):
        w = _word(tok)
        got = lx.VICTIM_NOUNS.get(w) or lx.VICTIM_MODIFIERS.get(w)
        if got is not None:
            return got
    return None


def _dedupe(records: list[Extraction]) -> list[Extraction]:
    """A count restated with the same metric, count, period and place is kept once (first occurrence);
    a restatement that names no place is the same statement."""
    kept: list[Extraction] = []
    # per (metric, count, period): whether a kept record has no place, and the places kept records name
    seen: dict[tuple[object, ...], tuple[list[bool], set[str]]] = {}
    for r in records:
        place = (r.location or "").lower()
        # a vague lower bound is no restatement of the same number stated ("several" is 3, "three" is not it)
        key = (r.metric, r.count, r.period_start, r.period_end, r.qualifier == Qualifier.VAGUE)
        got = seen.get(key)
        if got is not None and (not place or got[0][0] or place in got[1]):
            continue
        if got is None:
            got = seen[key] = ([False], set())
        if r.location:
            got[1].add(r.location.lower())
        else:
            got[0][0] = True
        kept.append(r)
    return kept


# "several others", "dozens more": a vague quantity added to the counts beside it, never a summary of them
_VAGUE_ADDS_RE = re.compile(r"\s+(?:of\s+)?(?:others?|more|additional|further)\b", re.I)
# "one of the insurgents died": a part of a group the page counts elsewhere, never its detail
_PART_OF_RE = re.compile(r"\b(?:\d+|[a-z]+)\s+of\s+(?:the|them|those|these)\b", re.I)


def _overlaps(a: Extraction, b: Extraction) -> bool:
    if a.period_start is None or b.period_start is None:
        return a.period_start is None and b.period_start is None
    return a.period_start <= (b.period_end or b.period_start) and b.period_start <= (
        a.period_end or a.period_start
    )


def _same_place(vague: Extraction, exact: Extraction) -> bool:
    if not vague.location:
        return True
    if vague.admin1 and vague.admin1 == exact.admin1:
        return True
    return vague.location.lower() in (exact.location or "").lower()


def _adds_to_others(r: Extraction) -> bool:
    at = r.evidence.find(r.count_text or "\0")
    return at >= 0 and bool(_VAGUE_ADDS_RE.match(r.evidence, at + len(r.count_text or "")))


def _without_summarised_vague(records: list[Extraction]) -> list[Extraction]:
    """A vague toll that a stated count of the same page details is dropped: "Several militants were killed
    on Monday ... Troops killed three militants near the border" is one toll, three, not three plus "several"
    (summing the two counts the three dead twice). The vague record stays when nothing stated details it:
    another metric or victim class, a period that does not overlap, another place, a stated count in the same
    sentence ("killed two and wounded several", "killed two fighters and several others"), or words that add
    ("several others", "dozens more")."""
    stated = [r for r in records if r.qualifier != Qualifier.VAGUE]
    return [
        r
        for r in records
        if r.qualifier != Qualifier.VAGUE
        or _adds_to_others(r)
        or not any(
            x.metric == r.metric
            and x.evidence != r.evidence
            and not _PART_OF_RE.search(x.evidence)
            and (
                x.victim == r.victim
                or Victim.UNSPECIFIED in (x.victim, r.victim)
                or None in (x.victim, r.victim)
            )
            and _overlaps(r, x)
            and _same_place(r, x)
            for x in stated
        )
    ]


def _most_precise_places(kept: list[Extraction], dropped: list[Extraction]) -> list[Extraction]:
    """A count kept with only a country ("killed two in southern Afghanistan") takes the province of the
    restatement ``_dedupe`` dropped ("... killing two", in Nowzad district, Helmand province): one statement,
    its most precise place."""
    finer: dict[tuple[object, ...], Extraction] = {}
    for r in dropped:
        if r.admin1 and r.country:
            finer.setdefault((r.metric, r.count, r.period_start, r.period_end), r)
    out = []
    for r in kept:
        # only a place of one country or none is refined ("Syria and Iraq" is not a province's)
        twin = finer.get((r.metric, r.count, r.period_start, r.period_end)) if not r.admin1 else None
        if twin and (r.country == twin.country or not r.location):
            r = dataclasses.replace(r, location=twin.location, admin1=twin.admin1, country=twin.country)
        out.append(r)
    return out


def extract_records(
    page: PageLike, url: str | None = None, *, cpu_budget_s: float | None = PAGE_CPU_BUDGET_S
) -> list[Extraction]:
    """Every strike count the page's body states, in page order.

    Raises :class:`PageBudgetExceeded` when the page takes more than ``cpu_budget_s`` seconds of the
    calling thread's CPU time (``None``: no limit). A page in another language than English, or not about
    armed conflict (:func:`~conflict_ingest.extract.relevance.page_verdict`), gives no records."""
    verdict = page_verdict(page)
    if not verdict.read:
        logger.debug("page %s not read for counts: %s", url, verdict.reason)
        return []
    records = _PageExtractor(page, url, _Budget(cpu_budget_s, url)).run()
    logger.debug("extracted %d records from %s", len(records), url)
    return records
