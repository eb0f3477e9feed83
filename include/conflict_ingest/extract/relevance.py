"""Is this page, and this statement, about armed conflict?

A count becomes a record only when it belongs to a military action, its toll, or political violence.
Two questions, both answered from general English vocabulary (never a page, site or name):

**Page level** (:func:`page_relevance`): the words of the title and the text are counted by *term
family* (:data:`CONFLICT_TERMS`: airstrike, troops, insurgents, shelling, ceasefire...; and the families
of other domains in :data:`OTHER_DOMAINS`: disease, accidents and disasters, markets, sport, products,
history). A title word weighs :data:`TITLE_WEIGHT` words of the text. A page is read for counts when
its conflict vocabulary is dense enough (:data:`MIN_CONFLICT_SCORE` in all and
:data:`MIN_CONFLICT_PER_1000` per 1,000 words) and no other domain outweighs it
(:data:`DOMINANCE`). The reason says which rule decided, with the terms that weighed most:
``"conflict terms 21.4/1000 words: insurgents x3, forces x2"``, ``"no armed-conflict vocabulary"``,
``"dominant topic: disease (virus x9, pandemic x4)"``.

**Statement level** (:func:`statement_relevance`): on a page that is read, a sentence that names the
cause of its count in another domain ("died of the virus", "a traffic accident", "a storm", "six
strikes in a row in the fourth game", "the price dropped") and no armed action gives no record.

Both are linear: the text is split into words once and each word (and each pair of words) is looked
up in a dictionary.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Vocabulary. One entry per word form (no stemming); the value is the term's weight. Pairs of words
# are written with a space and weigh as one term.
# --------------------------------------------------------------------------------------------------


def _split(text: str, sep: str | None = None) -> list[str]:
    """The entries of a word table written as one string (words, or pairs of words between ``sep``)."""
    return text.split(sep)


#: Words of armed conflict and political violence (weight 1; words also common elsewhere weigh less).
CONFLICT_TERMS: dict[str, float] = {
    **dict.fromkeys(
        _split(
            "airstrike airstrikes air-strike air-strikes bombing bombings bombardment "
            "bombardments bombed troops soldier soldiers insurgent insurgents insurgency "
            "militant militants rebel rebels militia militias militiamen jihadist jihadists "
            "terrorist terrorists terrorism gunman gunmen shelling shelled artillery mortar "
            "mortars ceasefire cease-fire truce warplane warplanes military army armies "
            "infantry paratroopers marines airpower sorties sortie insurgent-held rebel-held "
            "militant-held warfare wartime battlefield frontline front-line invasion "
            "combatants hostilities munitions explosive explosives ied ieds grenade grenades "
            "sniper snipers airbase airbases gunships gunship detonated ambush ambushed "
            "suicide-bomber peacekeepers peacekeeping annexation counterinsurgency "
            "counter-terrorism counterterrorism extremists paramilitary ammunition rifle "
            "rifles suicide-attack servicemen servicemembers"
        ),
        1.0,
    ),
    **dict.fromkeys(
        _split(
            "air strike|air strikes|drone strike|drone strikes|missile strike|missile strikes|"
            "security forces|coalition forces|armed forces|government forces|special forces|"
            "ground forces|enemy forces|opposition forces|pro-government forces|rocket attack|"
            "rocket attacks|suicide bomber|suicide bombers|roadside bomb|car bomb|armed group|"
            "armed groups|fighter jets|air raid|air raids|military operation|"
            "security operation|security force|combined force|suicide bomb|suicide bombing|"
            "weapons cache|air force|air forces|coalition force|international force|joint force|"
            "shots fired|search operation|clearing operation|clearance operation|explosive device|"
            "explosive devices|service member|service members",
            "|",
        ),
        1.0,
    ),
    **dict.fromkeys(
        _split(
            "attack attacks attacked war offensive fighters fighting clashes raid raids "
            "missile missiles rocket rockets drone drones forces weapons casualties killed "
            "combat battle strike strikes struck targets coalition occupation siege patrol "
            "cache wounded bomb bombs bombers detained captured"
        ),
        0.5,
    ),
}

#: Families of other domains whose strong presence means the page is not about armed conflict.
OTHER_DOMAINS: dict[str, dict[str, float]] = {
    "disease": dict.fromkeys(
        _split(
            "virus viruses coronavirus covid covid-19 pandemic epidemic outbreak outbreaks "
            "infection infections infected disease diseases vaccine vaccines vaccination "
            "vaccinated plague flu influenza cholera ebola measles malaria tuberculosis "
            "symptoms patients hospitalized hospitalizations quarantine lockdown bacteria "
            "bacterial transmission contagious"
        ),
        1.0,
    ),
    "accident or disaster": dict.fromkeys(
        _split(
            "crash crashes crashed collision accident accidents derailed derailment motorist "
            "motorists pileup capsized drowned drowning stampede storm storms hurricane "
            "typhoon cyclone tornado tornadoes earthquake quake floods flooding landslide "
            "landslides wildfire wildfires avalanche tsunami heatwave blizzard"
        ),
        1.0,
    ),
    "markets": dict.fromkeys(
        _split(
            "price prices priced stock stocks shares investor investors investing investment "
            "market markets revenue earnings profit profits dividend dividends inflation "
            "retail discount savings retirement portfolio economists"
        ),
        1.0,
    ),
    "sport": dict.fromkeys(
        _split(
            "match matches season league team teams tournament championship coach players "
            "player scored goal goals innings pitcher quarterback touchdown touchdowns frames "
            "bowling bowler bowlers pins playoff playoffs stadium referee striker midfielder "
            "inning strikeouts wickets olympics medal"
        ),
        1.0,
    ),
    "products": dict.fromkeys(
        _split(
            "app apps smartphone smartphones phone phones device devices software laptop "
            "laptops battery gadget console consoles headphones earbuds users features "
            "browser subscription gaming streaming download downloads camera"
        ),
        1.0,
    ),
    "history": dict.fromkeys(
        _split(
            "century centuries anniversary ancient medieval historian historians "
            "archaeologists archaeological museum dynasty"
        ),
        1.0,
    ),
}

#: Families counted only where their word is written in lower case: a capitalised weather word is a
#: name (an aircraft such as a "Tornado" or "Typhoon", a missile, a named storm's first mention).
COMMON_NOUNS_ONLY: frozenset[str] = frozenset({"accident or disaster"})

#: A title word weighs this many words of the text (the title says what the page is about).
TITLE_WEIGHT = 3.0
#: The least weighted conflict score a page read for counts has (e.g. "insurgents" and "troops" once).
MIN_CONFLICT_SCORE = 2.0
#: The least conflict score per 1,000 words of a page read for counts.
MIN_CONFLICT_PER_1000 = 6.0
#: A page with fewer words than this (a brief, a snippet) is too short to judge by density: one
#: conflict term is enough, unless another domain's vocabulary outweighs it.
MIN_JUDGED_WORDS = 60
#: Pages shorter than this count as this long (a short page's density is not inflated by one word).
MIN_WORDS = 150
#: Another domain outweighs the conflict vocabulary when its score is more than this times conflict's.
DOMINANCE = 1.5
#: The terms a reason lists.
TERMS_IN_REASON = 3

# Statement level: the words that name a count's cause in another domain, and the armed actions that
# keep a statement read whatever else it says.

#: Words naming a non-conflict cause of a statement's count, by domain (one word or a pair).
STATEMENT_CAUSES: dict[str, frozenset[str]] = {
    "disease": frozenset(
        _split(
            "virus coronavirus covid covid-19 pandemic epidemic outbreak infection infections "
            "infected disease diseases vaccine vaccines plague flu influenza cholera ebola "
            "measles malaria tuberculosis overdose overdoses"
        )
    ),
    "accident or disaster": frozenset(
        _split(
            "crash crashes crashed collision accident accidents derailed derailment pileup "
            "capsized drowned stampede storm hurricane typhoon cyclone tornado earthquake "
            "quake flood floods flooding landslide wildfire avalanche tsunami heatwave "
            "blizzard"
        )
    ),
    "sport": frozenset(
        _split(
            "frames innings inning bowling bowler pins touchdown touchdowns quarterback "
            "pitcher strikeouts wickets playoff playoffs tournament league"
        )
    ),
    "markets": frozenset(
        ["price", "prices", "priced", "shares", "stock", "stocks", "investors", "discount", "revenue"]
    ),
    "products": frozenset(
        ["app", "apps", "smartphone", "smartphones", "console", "titles", "laptop", "gadget", "earbuds"]
    ),
}

#: Words of an armed action or its perpetrators: a statement naming one is read even beside a cause
#: word above ("the crash of a helicopter shot down by insurgents").
STATEMENT_ACTIONS: frozenset[str] = frozenset(
    _split(
        "airstrike airstrikes attack attacks attacked bombing bombings bombed bomb bombs "
        "shelling shelled artillery mortar mortars rocket rockets missile missiles gunfire "
        "gunmen gunman ambush ambushed clashes fighting insurgents insurgent militants "
        "militant rebels rebel shot explosion explosive explosives ied blast detonated raid "
        "raids offensive combat sniper grenade warplane warplanes sorties sortie munitions "
        "bombardment bombardments gunships"
    )
    + _split("air strike|drone strike|shot down", "|")
)

#: The first words of the pairs the tables name ("air" of "air strike"): only these start a pair.
_PAIR_HEADS = frozenset(
    term.split(" ", 1)[0]
    for table in (CONFLICT_TERMS, *OTHER_DOMAINS.values())
    for term in table
    if " " in term
)
_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")
_NUMBER_RE = re.compile(r"\d")


@dataclass(frozen=True)
class Relevance:
    """Whether a page (or a statement) is read for counts, and why in a few words."""

    read: bool
    reason: str

    @property
    def kind(self) -> str:
        """The reason without its figures, for tallies: ``"conflict terms"``, ``"dominant topic: disease"``."""
        return re.split(r" \d| \(", self.reason, maxsplit=1)[0].removesuffix(":")

    def to_json(self) -> dict[str, object]:
        return {"read": self.read, "reason": self.reason}


def _words(text: str) -> list[str]:
    """The words of ``text`` as written (their case is kept)."""
    return _WORD_RE.findall(text)


@dataclass(frozen=True)
class _Bag:
    """The words of a text counted once: all of them lower-cased (with the pairs the tables name), and
    those written in lower case."""

    words: Counter[str]
    lower: Counter[str]
    size: int


def _bag(text: str) -> _Bag:
    tokens = _words(text)
    lowered = [t.lower() for t in tokens]
    words = Counter(lowered)
    words.update(f"{a} {b}" for a, b in zip(lowered, lowered[1:], strict=False) if a in _PAIR_HEADS)
    return _Bag(words, Counter(t for t in tokens if t.islower()), len(tokens))


def _terms(bag: _Bag, table: dict[str, float], *, lower_only: bool = False) -> Counter[str]:
    """How often each term of ``table`` occurs in the bag (single words and pairs); with ``lower_only``,
    only words written in lower case count."""
    counts = bag.lower if lower_only else bag.words
    return Counter({t: n for t in table if (n := counts[t])})


def _score(text: Counter[str], title: Counter[str], table: dict[str, float]) -> float:
    return sum(table[t] * n for t, n in text.items()) + TITLE_WEIGHT * sum(
        table[t] * n for t, n in title.items()
    )


def _top(text: Counter[str], title: Counter[str]) -> str:
    both = sorted((text + title).items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{t} x{n}" for t, n in both[:TERMS_IN_REASON])


def page_relevance(title: str, text: str) -> Relevance:
    """Whether a page is about armed conflict (a war, an attack, a military operation, political
    violence), from the density of its conflict vocabulary weighed against other domains'. The rules,
    in order: another domain outweighs conflict (:data:`DOMINANCE`); no conflict vocabulary at all; a
    page under :data:`MIN_JUDGED_WORDS` words is read; too little conflict vocabulary
    (:data:`MIN_CONFLICT_SCORE`, :data:`MIN_CONFLICT_PER_1000`) is not read; the rest is read.

    >>> page_relevance("Troops push into the city", "Artillery shelled the outskirts as troops advanced.").read
    True
    >>> page_relevance("Virus cases rise", "The outbreak has infected 300 and killed 12.").reason
    'dominant topic: disease (infected x1, outbreak x1, virus x1; conflict terms: killed x1)'
    """
    body, head = _bag(text), _bag(title)
    words = body.size + head.size
    c_text, c_title = _terms(body, CONFLICT_TERMS), _terms(head, CONFLICT_TERMS)
    conflict = _score(c_text, c_title, CONFLICT_TERMS)
    per_1000 = 1000.0 * conflict / max(words, MIN_WORDS)
    terms = _top(c_text, c_title)
    best, best_score, best_terms = "", 0.0, ""
    for domain, table in OTHER_DOMAINS.items():
        lower_only = domain in COMMON_NOUNS_ONLY
        o_text, o_title = (
            _terms(body, table, lower_only=lower_only),
            _terms(head, table, lower_only=lower_only),
        )
        score = _score(o_text, o_title, table)
        if score > best_score:
            best, best_score, best_terms = domain, score, _top(o_text, o_title)
    if best_score > DOMINANCE * conflict:
        if conflict == 0:
            return Relevance(False, "no armed-conflict vocabulary")
        return Relevance(False, f"dominant topic: {best} ({best_terms}; conflict terms: {terms or 'none'})")
    if conflict == 0:
        return Relevance(False, "no armed-conflict vocabulary")
    if words < MIN_JUDGED_WORDS:
        return Relevance(True, f"too short to judge by density ({words} words): {terms}")
    if conflict < MIN_CONFLICT_SCORE or per_1000 < MIN_CONFLICT_PER_1000:
        return Relevance(False, f"little armed-conflict vocabulary {per_1000:.1f}/1000 words ({terms})")
    return Relevance(True, f"conflict terms {per_1000:.1f}/1000 words: {terms}")


def statement_relevance(sentence: str) -> Relevance:
    """Whether a statement's counts belong to an armed action: a sentence naming a cause in another
    domain and no armed action is not read.

    >>> statement_relevance("Four people died when a truck hit a bus, a road accident, police said.").read
    False
    >>> statement_relevance("Militants attacked the checkpoint, killing four.").read
    True
    """
    actions = STATEMENT_ACTIONS
    prev = ""
    cause: tuple[str, str] | None = None
    for word in _words(sentence):
        w = word.lower()
        pair = f"{prev} {w}" if prev else ""
        if w in actions or pair in actions:
            return Relevance(True, f"armed action: {pair if pair in actions else w}")
        if cause is None:
            for domain, cues in STATEMENT_CAUSES.items():
                if w in cues and not (domain in COMMON_NOUNS_ONLY and w != word):
                    cause = (domain, w)
                    break
            else:
                if w == "cases" and _NUMBER_RE.match(prev):  # "201 cases": a count of infections
                    cause = ("disease", "cases")
        prev = w
    if cause is not None:
        return Relevance(False, f"cause in another domain: {cause[0]} ({cause[1]})")
    return Relevance(True, "no other cause named")


#: The language the count rules are written for; a page known to be in another gives no records.
RULES_LANGUAGE = "en"


def page_verdict(page: object) -> Relevance:
    """Whether the extractor reads a cleaned page for counts: its language (when known) must be
    :data:`RULES_LANGUAGE` (else the reason is ``"language: de"``), and the page must be about armed
    conflict (:func:`page_relevance` on its title and text, or its blocks' text)."""
    language = getattr(page, "language", None)
    if language is not None and language != RULES_LANGUAGE:
        return Relevance(False, f"language: {language}")
    title = str(getattr(page, "title", "") or "")
    text = str(getattr(page, "text", "") or "")
    if not text:
        text = "\n\n".join(str(getattr(b, "text", "")) for b in getattr(page, "blocks", ()))
    return page_relevance(title, text)
