"""Numbers as news pages write them: digits with separators, words, scaled figures, and hedges.

``find_numbers`` returns every number mention in a piece of text with its character span, so the
extractor can look at the words around it. ``qualifier_before`` reads the hedge in front of a
number ("more than", "about", "up to") into one of the contract's qualifiers.
"""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass

from conflict_ingest.extract.lexicon import VAGUE_QUANTITIES

logger = logging.getLogger(__name__)

UNITS: dict[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES: dict[str, int] = {
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
}
# Fixed phrases that name an exact quantity.
PHRASE_NUMBERS: dict[str, int] = {
    "a dozen": 12,
    "one dozen": 12,
    "a hundred": 100,
    "a thousand": 1_000,
    "a score of": 20,
}
DOZEN_MULTIPLE = 12

# Hedges, longest first within each class; matched right before the number.
QUALIFIER_PHRASES: tuple[tuple[str, str], ...] = (
    ("a minimum of", "at_least"),
    ("no fewer than", "at_least"),
    ("no less than", "at_least"),
    ("more than", "at_least"),
    ("greater than", "at_least"),
    ("upwards of", "at_least"),
    ("in excess of", "at_least"),
    ("at least", "at_least"),
    ("over", "at_least"),
    ("passed", "at_least"),
    ("surpassed", "at_least"),
    ("exceeded", "at_least"),
    ("topped", "at_least"),
    ("a maximum of", "at_most"),
    ("as many as", "at_most"),
    ("fewer than", "at_most"),
    ("less than", "at_most"),
    ("up to", "at_most"),
    ("at most", "at_most"),
    ("approximately", "approximate"),
    ("an estimated", "approximate"),
    ("estimated", "approximate"),
    ("roughly", "approximate"),
    ("nearly", "approximate"),
    ("almost", "approximate"),
    ("around", "approximate"),
    ("about", "approximate"),
    ("some", "approximate"),
    ("close to", "approximate"),
    ("just under", "approximate"),
    ("just over", "approximate"),
    ("nearer", "approximate"),
)
# Hedges stated a little before the number ("the group's minimum estimate was 348").
QUALIFIER_CONTEXT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bminimum (?:estimate|count|toll|figure)\b[^.;]{0,40}$", re.I), "at_least"),
    (re.compile(r"\bmaximum (?:estimate|count|toll|figure)\b[^.;]{0,40}$", re.I), "at_most"),
)
# How far back from a number ``qualifier_before`` reads: more than the longest hedge (and its word boundary),
# and more than the longest match of a QUALIFIER_CONTEXT pattern.
_QUALIFIER_WINDOW = max(len(p) for p, _q in QUALIFIER_PHRASES) + 2
_QUALIFIER_CONTEXT_WINDOW = 80

_SEP = r"[,\u00a0\u202f\u2009 ]"
_DIGITS_RE = re.compile(
    r"(?<![\w.,/$€£:-])(?P<num>\d{1,3}(?:" + _SEP + r"\d{3}(?!\d))+|\d+)(?:\.(?P<frac>\d+))?"
    r"(?:\s*(?P<scale>million|billion|thousand|bn|m)\b)?",
    re.I,
)
_WORD_ALT = "|".join(sorted([*UNITS, *TENS], key=len, reverse=True))
_WORD_RE = re.compile(
    r"\b(?P<phrase>a dozen|one dozen|a hundred|a thousand)\b"
    r"|\b(?P<mult>(?:" + _WORD_ALT + r")) dozen\b"
    r"|\b(?P<tens>" + "|".join(TENS) + r")(?:[- ](?P<unit>" + "|".join(list(UNITS)[1:10]) + r"))?\b"
    r"(?:\s+(?P<tscale>thousand|million))?"
    r"|\b(?P<word>" + "|".join(UNITS) + r")\b(?:\s+(?P<wscale>hundred|thousand|million))?",
    re.I,
)


@dataclass(frozen=True)
class NumberMention:
    """One number in a text: its value, where it sits, and how it was written."""

    value: int
    start: int
    end: int
    text: str
    is_word: bool
    has_fraction: bool = False
    vague: bool = False  # a vague quantity ("several"): ``value`` is its lower bound, ``text`` its words


# A vague quantity word; "of" after it is part of it unless a partitive follows ("dozens of them").
_VAGUE_RE = re.compile(
    r"(?<![\w-])(?P<q>"
    + "|".join(
        re.escape(q.removesuffix(" of")).replace(r"\ ", r"\s+")
        for q in sorted(VAGUE_QUANTITIES, key=len, reverse=True)
    )
    + r")(?P<of>\s+of(?!\s+(?:the|them|those|these|which|whom|its|their|us|you)\b))?(?![\w-])",
    re.I,
)
_VAGUE_BY_WORDS = {q.removesuffix(" of"): v for q, v in VAGUE_QUANTITIES.items()}
# Words before a vague word that make it no quantity ("as many as 30", "how many", "so many").
_NOT_VAGUE_BEFORE_RE = re.compile(r"\b(?:as|how|so|too|not|without|with\s+many)\s*$", re.I)
_NOT_VAGUE_AFTER_RE = re.compile(r"\s*(?:as|more|times|other|others|fewer|less)\b", re.I)


def find_vague_quantities(text: str) -> list[NumberMention]:
    """Every vague quantity in ``text`` ("several", "a few", "dozens of"), as mentions whose ``value`` is the
    lower bound :data:`~conflict_ingest.extract.lexicon.VAGUE_QUANTITIES` gives and whose ``text`` is the
    words as written (without "of"); a mention ends after its "of", so the noun it counts follows it."""
    found: list[NumberMention] = []
    for m in _VAGUE_RE.finditer(text):
        if _NOT_VAGUE_BEFORE_RE.search(text, max(0, m.start() - 20), m.start()):
            continue
        if not m.group("of") and _NOT_VAGUE_AFTER_RE.match(text, m.end()):
            continue
        words = m.group("q")
        found.append(
            NumberMention(
                value=_VAGUE_BY_WORDS[" ".join(words.lower().split())],
                start=m.start(),
                end=m.end(),
                text=words,
                is_word=True,
                vague=True,
            )
        )
    return found


def _scale_value(word: str | None) -> int:
    if not word:
        return 1
    w = word.lower()
    if w in ("m", "million"):
        return SCALES["million"]
    if w in ("bn", "billion"):
        return SCALES["billion"]
    return SCALES.get(w, 1)


def parse_digits(text: str) -> int | None:
    """'3,038' -> 3038, '3 038' -> 3038, '1.2 million' -> 1200000; None when not a number."""
    m = _DIGITS_RE.fullmatch(text.strip())
    if not m:
        return None
    return _digits_value(m)


def _digits_value(m: re.Match[str]) -> int:
    whole = re.sub(_SEP, "", m.group("num"))
    frac = m.group("frac") or ""
    scale = _scale_value(m.group("scale"))
    if frac and scale > 1:
        return round(float(f"{whole}.{frac}") * scale)
    return int(whole) * scale


def word_value(text: str) -> int | None:
    """'nine' -> 9, 'Twenty-one' -> 21, 'a dozen' -> 12; None for anything else."""
    m = _WORD_RE.fullmatch(text.strip())
    return _word_match_value(m) if m else None


def _word_match_value(m: re.Match[str]) -> int:
    if m.group("phrase"):
        return PHRASE_NUMBERS[" ".join(m.group("phrase").lower().split())]
    if m.group("mult"):
        base = UNITS.get(m.group("mult").lower()) or TENS[m.group("mult").lower()]
        return base * DOZEN_MULTIPLE
    if m.group("tens"):
        val = TENS[m.group("tens").lower()] + (UNITS[m.group("unit").lower()] if m.group("unit") else 0)
        return val * _scale_value(m.group("tscale"))
    return UNITS[m.group("word").lower()] * _scale_value(m.group("wscale"))


def find_numbers(text: str) -> list[NumberMention]:
    """Every number mention in ``text``, left to right, with non-overlapping spans."""
    found: list[NumberMention] = []
    for m in _DIGITS_RE.finditer(text):
        raw = m.group(0)
        # A decimal without a scale word ("19.5") is not a count; keep it so callers can skip it.
        found.append(
            NumberMention(
                value=_digits_value(m),
                start=m.start(),
                end=m.end(),
                text=raw,
                is_word=False,
                has_fraction=bool(m.group("frac")) and not m.group("scale"),
            )
        )
    # Digit mentions are left to right and never overlap: the one that could overlap a word match is the
    # last starting before the word's end (a bisect, not a scan of them all).
    starts = [n.start for n in found]
    for m in _WORD_RE.finditer(text):
        i = bisect.bisect_left(starts, m.end()) - 1
        if i >= 0 and m.start() < found[i].end:
            continue
        found.append(
            NumberMention(
                value=_word_match_value(m), start=m.start(), end=m.end(), text=m.group(0), is_word=True
            )
        )
    found.sort(key=lambda n: n.start)
    return found


def qualifier_before(text: str, start: int) -> tuple[str, int]:
    """The qualifier a hedge right before ``start`` gives, and where that hedge begins."""
    # Only the end of the text before ``start`` can hold a hedge: read a window of it, never a copy of
    # the whole prefix (a sentence of thousands of numbers would make that quadratic).
    end = start
    while end > 0 and text[end - 1].isspace():
        end -= 1
    lo = max(0, end - _QUALIFIER_WINDOW)
    low = text[lo:end].lower()
    whole = lo == 0  # the window is the whole of the text before the hedge
    for phrase, qual in QUALIFIER_PHRASES:
        if low.endswith(phrase) and (
            (whole and len(low) == len(phrase))
            or (len(low) > len(phrase) and not low[-len(phrase) - 1].isalnum())
        ):
            return qual, end - len(phrase)
    for pattern, qual in QUALIFIER_CONTEXT:
        if pattern.search(text, max(0, end - _QUALIFIER_CONTEXT_WINDOW), end):
            return qual, start
    return "exact", start
