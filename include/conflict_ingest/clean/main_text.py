"""Main-text selection: which candidate blocks are the article."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

from conflict_ingest.clean import dates
from conflict_ingest.clean.blocks import _Candidate, _is_prose, _tag, _Walk
from conflict_ingest.clean.budget import _tick
from conflict_ingest.clean.constants import (
    BOILERPLATE_CLASS_RE,
    BOILERPLATE_MAX_SHARE,
    BOILERPLATE_ROLES,
    BOILERPLATE_TAGS,
    CLASS_WEIGHT,
    CORRECTION_BLOCKERS_RE,
    CORRECTION_MIN_WORDS,
    CORRECTION_RE,
    DATE_LINE_MAX_WORDS,
    DEK_CLASS_RE,
    DUPLICATE_MIN_WORDS,
    ENTRY_TAGS,
    EXTRA_MIN_WORDS,
    EXTRA_SHARE,
    FURNITURE_LINE_RE,
    FURNITURE_MAX_WORDS,
    LAYOUT_STOP_TAGS,
    LINK_BLOCK_MAX_SHARE,
    MATCH_MIN_SHARE,
    MATCH_NGRAM,
    OWN_MAX_LINK_SHARE,
    POSITIVE_CLASS_RE,
    PROSE_MAX_LINK_SHARE,
    PROSE_MIN_WORDS,
    REPEAT_MAX_LEVELS,
    SIBLING_MIN_SCORE,
    SIBLING_SHARE,
    SOLE_MIN_SHARE,
    SOLE_MIN_WORDS,
    TIME_OF_DAY_RE,
    WORD_RE,
)

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Main-text selection.
# --------------------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in WORD_RE.findall(text)]


def _ngrams(tokens: list[str], n: int = MATCH_NGRAM) -> Iterator[tuple[str, ...]]:
    for i in range(len(tokens) - n + 1):
        yield tuple(tokens[i : i + n])


def _trafilatura_text(tree: Any, url: str | None) -> str | None:
    """trafilatura's verdict on what the main text is (it prunes ``tree`` in place)."""
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        return trafilatura.extract(
            tree,
            url=url,
            fast=True,
            favor_precision=True,
            include_tables=True,
            include_comments=False,
            include_images=False,
            include_links=False,
            with_metadata=False,
            deduplicate=False,
        )
    except Exception as err:  # noqa: BLE001 - third-party extractor must never break cleaning
        logger.warning("trafilatura failed: %s", err)
        return None


def _select(cands: list[_Candidate], main_text: str) -> list[_Candidate]:
    """Keep the candidates trafilatura's text covers. Its n-grams are consumed as they match, so
    text repeated on the page (a hidden copy, a teaser quoting the lead) is kept once."""
    toks = _tokens(main_text)
    grams = Counter(_ngrams(toks))
    # short candidates must appear whole in the text: an index of the runs of tokens they need
    short = {tuple(t) for c in cands if c.link_words == 0 and 0 < len(t := _tokens(c.text)) <= MATCH_NGRAM}
    present = _runs_present(toks, short)
    kept: list[_Candidate] = []
    tables_kept: set[int] = set()
    for c in cands:
        _tick("select")
        ct = _tokens(c.text)
        if not ct:
            continue
        if len(ct) < MATCH_NGRAM + 1:
            ok = c.link_words == 0 and tuple(ct) in present
        else:
            cg = list(_ngrams(ct))
            hits = [g for g in cg if grams[g] > 0]
            ok = len(hits) >= MATCH_MIN_SHARE * len(cg)
            if ok:
                grams.subtract(hits)
        if ok:
            kept.append(c)
            if c.table is not None:
                tables_kept.add(id(c.table))
    kept_ids = {id(c) for c in kept}
    # a table's caption belongs with its rows
    return [c for c in cands if id(c) in kept_ids or (c.kind == "caption" and id(c.table) in tables_kept)]


def _runs_present(toks: list[str], wanted: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """The token runs of ``wanted`` that occur contiguously in ``toks`` (one pass per run length)."""
    found: set[tuple[str, ...]] = set()
    for n in {len(w) for w in wanted}:
        for i in range(len(toks) - n + 1):
            _tick("select")
            run = tuple(toks[i : i + n])
            if run in wanted:
                found.add(run)
    return found


def _ancestors(el: Any) -> Iterator[Any]:
    cur = el
    while cur is not None:
        yield cur
        cur = cur.getparent()


def _class_weight(el: Any) -> int:
    value = f"{el.get('class') or ''} {el.get('id') or ''}"
    weight = 0
    if POSITIVE_CLASS_RE.search(value):
        weight += CLASS_WEIGHT
    if BOILERPLATE_CLASS_RE.search(value) or _tag(el) in BOILERPLATE_TAGS:
        weight -= CLASS_WEIGHT
    return weight


def _own_region(walk: _Walk) -> list[Any]:
    """Our own choice of the main-text container(s), readability-style: prose paragraphs score
    their parent and (half) grandparent; link-heavy containers are discounted; containers that
    repeat (live-blog entries) are widened to their common parent; strong siblings join."""
    scores: dict[Any, float] = {}
    totals = walk.totals
    for c in walk.cands:
        if not _is_prose(c) or c.table is not None:
            continue
        s = 1.0 + c.text.count(",") + min(len(c.text) / 100.0, 3.0)
        par = c.owner.getparent()
        if par is None:
            continue
        scores[par] = scores.get(par, 0.0) + s
        grand = par.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + s / 2
    if not scores:
        return []
    final = {
        el: (sc + _class_weight(el))
        * (1.0 - totals.get(el, (1, 0, 0))[1] / max(totals.get(el, (1, 0, 0))[0], 1))
        for el, sc in scores.items()
    }
    top = max(final, key=lambda el: final[el])
    # repeated containers (entries of a live blog, one-paragraph wrappers): widen to the parent
    cur = top
    for _ in range(REPEAT_MAX_LEVELS):
        parent = cur.getparent()
        if parent is None or _tag(parent) in LAYOUT_STOP_TAGS or _tag(cur) in LAYOUT_STOP_TAGS:
            break
        sig = (_tag(cur), cur.get("class"))
        if sig[1] or sig[0] in ENTRY_TAGS:
            twins = [s for s in parent if (_tag(s), s.get("class")) == sig]
            with_prose = [t for t in twins if totals.get(t, (0, 0, 0))[2] >= PROSE_MIN_WORDS]
            if len(with_prose) >= 2:
                top = parent
                break
        cur = parent
    region = [top]
    parent = top.getparent()
    if parent is not None:
        threshold = max(SIBLING_MIN_SCORE, SIBLING_SHARE * final[top]) if top in final else SIBLING_MIN_SCORE
        for sib in parent:
            if sib is not top and final.get(sib, 0) >= threshold:
                region.append(sib)
    return region


def _own_select(cands: list[_Candidate], region: list[Any]) -> list[_Candidate]:
    inside = {d for el in region for d in el.iter()}
    out = []
    for c in cands:
        if c.owner not in inside:
            continue
        if c.kind in ("p", "h") and c.link_words > OWN_MAX_LINK_SHARE * c.words:
            continue
        if (
            c.kind == "p"
            and c.words <= DATE_LINE_MAX_WORDS
            and (dates.parse_text_date(c.text) or TIME_OF_DAY_RE.search(c.text))
        ):
            continue
        out.append(c)
    return out


def _extra_prose(blocks: list[_Candidate], other_ids: set[int]) -> int:
    """Words of substantial prose blocks in ``blocks`` that the other selection lacks."""
    return sum(
        c.words
        for c in blocks
        if id(c) not in other_ids
        and c.words >= EXTRA_MIN_WORDS
        and c.link_words <= PROSE_MAX_LINK_SHARE * c.words
    )


def _substantial_prose(blocks: list[_Candidate]) -> int:
    return sum(
        c.words
        for c in blocks
        if c.table is None and c.words >= EXTRA_MIN_WORDS and c.link_words <= PROSE_MAX_LINK_SHARE * c.words
    )


def _stands_alone(cands: list[_Candidate], ours: list[_Candidate]) -> bool:
    """Whether our own selection holds most of the page's prose (so no second opinion is needed)."""
    own = _substantial_prose(ours)
    return own >= SOLE_MIN_WORDS and own >= SOLE_MIN_SHARE * _substantial_prose(cands)


def _combine(cands: list[_Candidate], theirs: list[_Candidate], ours: list[_Candidate]) -> list[_Candidate]:
    """Reconcile trafilatura's selection with our container-based one. When one of them holds a lot
    of prose the other lacks (trafilatura stopping after the first live-blog entry; our container
    missing half of an article split across containers), that one wins; otherwise only the text
    both agree on is kept, which sheds each side's stray short pieces (kickers, deks, credits)."""
    if not theirs or not ours:
        return theirs or ours
    their_ids = {id(c) for c in theirs}
    our_ids = {id(c) for c in ours}
    their_words = sum(c.words for c in theirs)
    our_words = sum(c.words for c in ours)
    if _extra_prose(theirs, our_ids) > EXTRA_SHARE * our_words:
        return theirs
    if _extra_prose(ours, their_ids) > EXTRA_SHARE * their_words:
        return ours
    both = [c for c in cands if id(c) in their_ids and id(c) in our_ids]
    return both or theirs


def _blocks_corrections(el: Any) -> bool:
    if _tag(el) in ("nav", "footer"):
        return True
    value = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(CORRECTION_BLOCKERS_RE.search(value))


def _add_corrections(cands: list[_Candidate], kept: list[_Candidate]) -> list[_Candidate]:
    """Correction and update notes belong to the article even where a site puts them in a box
    that looks like chrome; they are added back unless they sit in comments, sidebars or teasers."""
    if not kept:
        return kept
    kept_ids = {id(c) for c in kept}
    extra = {
        id(c)
        for c in cands
        if id(c) not in kept_ids
        and c.kind == "p"
        and c.words >= CORRECTION_MIN_WORDS
        and CORRECTION_RE.match(c.text)
        and not any(_blocks_corrections(a) for a in _ancestors(c.owner))
    }
    if not extra:
        return kept
    return [c for c in cands if id(c) in kept_ids or id(c) in extra]


def _is_boilerplate(el: Any) -> bool:
    tag = _tag(el)
    if tag in BOILERPLATE_TAGS:
        return True
    role = (el.get("role") or "").lower()
    if role in BOILERPLATE_ROLES:
        return True
    for attr in ("class", "id"):
        value = el.get(attr)
        if value and BOILERPLATE_CLASS_RE.search(value):
            return True
    return False


def _is_dek(el: Any) -> bool:
    """A paragraph classed as a dek ("lead", "summary", "standfirst", ...) right after the headline <h1>: the
    headline's summary, which the rules never annotate (its counts are restated in the body)."""
    if _tag(el) != "p" or not DEK_CLASS_RE.search(el.get("class") or ""):
        return False
    prev = el.getprevious()
    while prev is not None and not isinstance(prev.tag, str):
        prev = prev.getprevious()  # comments and processing instructions
    return prev is not None and _tag(prev) == "h1"


def _drop_boilerplate(kept: list[_Candidate], title: str) -> list[_Candidate]:
    """Drop kept candidates that sit in boilerplate containers (unless the container is the wrapper
    of most of the text) and headings that repeat the headline."""
    total = sum(c.words for c in kept) or 1
    container_of: dict[int, Any] = {}
    verdict: dict[Any, bool] = {}
    for c in kept:
        el = c.owner
        found = None
        while el is not None and _tag(el) not in ("body", "html"):
            bad = verdict.get(el)
            if bad is None:
                bad = verdict[el] = _is_boilerplate(el)
            if bad:
                found = el
                break
            el = el.getparent()
        container_of[id(c)] = found
    words_in: dict[int, int] = {}
    for c in kept:
        box = container_of[id(c)]
        if box is not None:
            words_in[id(box)] = words_in.get(id(box), 0) + c.words
    title_key = " ".join(_tokens(title))
    out = []
    for c in kept:
        box = container_of[id(c)]
        if box is not None and words_in[id(box)] / total <= BOILERPLATE_MAX_SHARE:
            continue
        if c.kind == "h" and (_tag(c.owner) == "h1" or " ".join(_tokens(c.text)) == title_key):
            continue
        if c.kind == "p" and _is_dek(c.owner):
            continue
        if c.kind in ("p", "h") and c.link_words > LINK_BLOCK_MAX_SHARE * c.words:
            continue
        if c.words <= FURNITURE_MAX_WORDS and FURNITURE_LINE_RE.match(c.text):
            continue
        out.append(c)
    return _drop_dangling_headings(_drop_repeats(out))


def _drop_repeats(blocks: list[_Candidate]) -> list[_Candidate]:
    """A pull quote repeats a sentence of the body: drop a block found inside another, longer block
    (as a run of its tokens), looked up in an index (:func:`_contained`), not against every block."""
    toks = [tuple(_tokens(c.text)) for c in blocks]

    def eligible(i: int) -> bool:
        return blocks[i].words >= DUPLICATE_MIN_WORDS and blocks[i].kind in ("p", "h") and bool(toks[i])

    wanted = {toks[i] for i in range(len(blocks)) if eligible(i)}
    if not wanted:
        return blocks
    inside = _contained(wanted, set(toks))
    return [c for i, c in enumerate(blocks) if not (eligible(i) and toks[i] in inside)]


#: Run length of the n-grams that index texts for :func:`_contained`.
CONTAINED_NGRAM = 4


def _contained(patterns: set[tuple[str, ...]], texts: set[tuple[str, ...]]) -> set[tuple[str, ...]]:  # noqa: C901
    """The patterns that occur as a run of tokens inside a longer text. Short patterns: one pass over
    the texts per pattern length below CONTAINED_NGRAM. Others: each is looked for only where its
    rarest n-gram occurs (n-grams keyed by hash, every candidate checked token by token), so text
    that shares nothing rare costs one pass, not a comparison of every pair."""
    found: set[tuple[str, ...]] = set()
    n = CONTAINED_NGRAM
    short = {p for p in patterns if len(p) < n}
    for length in {len(p) for p in short}:
        for text in texts:
            if len(text) > length:
                for i in range(len(text) - length + 1):
                    _tick("repeats")
                    if text[i : i + length] in short:
                        found.add(text[i : i + length])
    long = [p for p in patterns if len(p) >= n]
    if not long:
        return found
    counts: Counter[int] = Counter()
    for text in texts:
        for i in range(len(text) - n + 1):
            _tick("repeats")
            counts[hash(text[i : i + n])] += 1
    anchors: dict[int, list[tuple[int, int]]] = {}  # n-gram hash -> (pattern index, offset)
    for k, p in enumerate(long):
        best, best_at = 0, 0
        for i in range(len(p) - n + 1):
            _tick("repeats")
            h = hash(p[i : i + n])
            if i == 0 or counts[h] < counts[best]:
                best, best_at = h, i
        anchors.setdefault(best, []).append((k, best_at))
    del counts
    hits: set[int] = set()  # indexes (never a tuple hashed again: a long one costs its length)
    for text in texts:
        for i in range(len(text) - n + 1):
            _tick("repeats")
            for k, at in anchors.get(hash(text[i : i + n]), ()):
                p, start = long[k], i - at
                if (
                    len(text) > len(p)
                    and k not in hits
                    and start >= 0
                    and start + len(p) <= len(text)
                    and text[start : start + len(p)] == p
                ):
                    hits.add(k)
    found.update(long[k] for k in hits)
    return found


def _drop_dangling_headings(blocks: list[_Candidate]) -> list[_Candidate]:
    """A heading followed by another heading or by nothing introduces text that was not kept
    ("Related links", "Join the conversation")."""
    out = []
    for i, c in enumerate(blocks):
        if c.kind == "h" and (i + 1 == len(blocks) or blocks[i + 1].kind == "h"):
            continue
        out.append(c)
    return out
