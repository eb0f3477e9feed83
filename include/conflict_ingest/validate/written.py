"""Numbers as a page writes them, read back from a record's evidence ("1,200", "twelve", "3.5 million").

Why a second number parser beside ``extract/numbers.py``: this is the gate's independent reading of
the evidence. ``evidence_contains_count`` asks whether the evidence sentence states the record's
count; if it asked the extractor's own parser, a bug there (a separator misread, a scale applied
twice, a word number summed wrong) would produce a wrong count *and* confirm it, and the record would
validate itself. So the two readers share no code, and a count passes only when this reader, too,
finds it written in the sentence. This one only answers "which whole numbers does this text write?": it has
no spans, no hedges ("more than", "about") and no notion of which number the sentence is about.

What it accepts:

- digits, plain ("17") or grouped with thousands separators: comma, dot, space, no-break and thin
  spaces, apostrophes ("3,038", "3.038", "3 038", "3'038");
- words, including compounds and joiners ("nine", "twenty-one", "two hundred and five"), "dozen"
  ("a dozen", "three dozen") and word scales ("a million", "two thousand");
- scaled figures: digits, with an optional decimal part, followed by a scale word or abbreviation
  ("1.2 million", "3m", "2.5bn", "12k"), kept only when they come to a whole number.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal, InvalidOperation

logger = logging.getLogger(__name__)


# --- numbers as written ---------------------------------------------------------------------

NUMBER_WORD_UNITS: dict[str, int] = {
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
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
NUMBER_WORD_HUNDRED = "hundred"
NUMBER_WORD_DOZEN = "dozen"
NUMBER_WORD_SCALES: dict[str, int] = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
# Words that may sit inside a spelled-out number ("one hundred and twenty") or before a scale
# ("a dozen", "a million") without ending it.
NUMBER_WORD_JOINERS = frozenset({"and"})
NUMBER_WORD_ARTICLES = frozenset({"a", "an"})
# Scale words and abbreviations after digits: "1.2 million", "3m", "2.5bn", "12k".
DIGIT_SCALES: dict[str, int] = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
}
# Thousands separators seen in the wild: comma, dot, space, no-break and thin spaces, apostrophes.
THOUSANDS_SEPARATORS = ",. \u00a0\u202f\u2009'\u2019"
GROUPED_DIGITS_RE = re.compile(
    r"(?<![\d.,])\d{1,3}(?:[" + re.escape(THOUSANDS_SEPARATORS) + r"]\d{3})+(?!\d)"
)
PLAIN_DIGITS_RE = re.compile(r"\d+")
SCALED_DIGITS_RE = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(" + "|".join(sorted(DIGIT_SCALES, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
WORD_RE = re.compile(r"[a-z]+")


def numbers_in_text(text: str) -> set[int]:
    """Every whole number the text writes, in digits ("3,038", "3 038", "1.2 million") or words
    ("nine", "a dozen", "twenty-one", "two hundred and five")."""
    found: set[int] = set()
    for match in PLAIN_DIGITS_RE.finditer(text):
        found.add(int(match.group()))
    for match in GROUPED_DIGITS_RE.finditer(text):
        found.add(int(re.sub(r"\D", "", match.group())))
    for match in SCALED_DIGITS_RE.finditer(text):
        try:
            value = Decimal(match.group(1).replace(",", ".")) * DIGIT_SCALES[match.group(2).lower()]
        except InvalidOperation:
            continue
        if value == value.to_integral_value():
            found.add(int(value))
    found |= _word_numbers(text)
    return found


def _word_numbers(text: str) -> set[int]:
    found: set[int] = set()
    total = current = 0
    active = False  # inside a spelled-out number
    article = False  # the previous word was "a"/"an"
    for word in [*WORD_RE.findall(text.lower()), ""]:
        if word in NUMBER_WORD_UNITS:
            current += NUMBER_WORD_UNITS[word]
            found.add(NUMBER_WORD_UNITS[word])
            active, article = True, False
        elif word == NUMBER_WORD_HUNDRED and (active or article):
            current = (current or 1) * 100
            active, article = True, False
        elif word == NUMBER_WORD_DOZEN:
            current = (current or 1) * 12
            active, article = True, False
        elif word in NUMBER_WORD_SCALES and (active or article):
            total += (current or 1) * NUMBER_WORD_SCALES[word]
            current = 0
            active, article = True, False
        elif active and word in NUMBER_WORD_JOINERS:
            continue
        else:
            if active:
                found.add(total + current)
            total = current = 0
            active = False
            article = word in NUMBER_WORD_ARTICLES
    return found


def evidence_states_count(evidence: str, count: int) -> bool:
    """True when the evidence sentence writes ``count`` (in digits, with separators, or in words)."""
    return count in numbers_in_text(evidence)


#: The largest count read from one-person phrases and small numbers together ("killed the commander",
#: "a leader and one other insurgent"): people named one by one are few.
MAX_COUNT_OF_PERSONS = 12
_ONE_PERSON_RE = re.compile(r"\b(?:a|an|the|he|she|him|her|his|another)\b", re.I)


def evidence_states_vague_count(evidence: str, words: str | None, count: int) -> bool:
    """True when the evidence writes the vague ``words`` ("several", "dozens") and ``count`` is their lower
    bound in the one documented table (:data:`conflict_ingest.extract.lexicon.VAGUE_QUANTITIES`: data, a
    definition of the words, not the extractor's parser)."""
    from conflict_ingest.extract.lexicon import VAGUE_QUANTITIES

    if not words:
        return False
    said = " ".join(words.lower().split())
    bounds = {key.removesuffix(" of"): value for key, value in VAGUE_QUANTITIES.items()}
    return said in " ".join(evidence.lower().split()) and bounds.get(said.removesuffix(" of")) == count


def evidence_states_persons(evidence: str, count: int) -> bool:
    """True when a small ``count`` can be made of the one-person phrases ("the commander", "him", "a
    civilian") and the small numbers the evidence writes: "killed the commander" states 1, "killed a leader
    and one other insurgent" 2; a count no such reading reaches (30 from "the commander") is not stated."""
    if not 1 <= count <= MAX_COUNT_OF_PERSONS:
        return False
    small = sum(n for n in numbers_in_text(evidence) if n <= MAX_COUNT_OF_PERSONS)
    return count <= small + len(_ONE_PERSON_RE.findall(evidence))
