"""Candidate blocks: our own rendering of the page's text."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from conflict_ingest.clean.budget import _tick
from conflict_ingest.clean.constants import (
    BLOCK_TAGS,
    CJK_CHARS_PER_WORD,
    CJK_RE,
    HEADING_TAGS,
    INVISIBLE_RE,
    PROSE_MAX_LINK_SHARE,
    PROSE_MIN_WORDS,
    SKIP_TAGS,
    TABLE_MAX_CELL_WORDS,
    WORD_RE,
)

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Candidate blocks: our own rendering of the page's text.
# --------------------------------------------------------------------------------------------------


def _all_text(el: Any) -> str:
    return "".join(t for t in el.itertext() if isinstance(t, str))


def render(text: str) -> str:
    """Entities are already decoded by the parser: drop invisible characters, collapse whitespace."""
    return " ".join(INVISIBLE_RE.sub("", text).split())


@dataclass
class _Candidate:
    kind: str
    text: str
    owner: Any  # the lxml element that holds the text
    table: Any = None  # the <table> a row or caption belongs to
    link_words: int = 0  # words of the text inside links
    words: int = field(init=False)  # words; CJK text counts one word per CJK_CHARS_PER_WORD characters

    def __post_init__(self) -> None:
        n = len(self.text.split())
        if self.text.isascii():
            self.words = n
        else:
            self.words = max(n, len(CJK_RE.findall(self.text)) // CJK_CHARS_PER_WORD)


def _tag(el: Any) -> str:
    """The element's tag (lxml's HTML parser lower-cases them); "" for comments and the like."""
    tag = el.tag
    return tag if isinstance(tag, str) else ""


def _cell_texts(row: Any) -> list[str]:
    cells = []
    for cell in row:
        if _tag(cell) in ("td", "th"):
            text = render(_text_of(cell))
            if text:
                cells.append(text)
    return cells


def _text_of(el: Any) -> str:
    """All text inside ``el`` (skipping scripts and the like, with their tails), with block breaks as
    spaces; each node's tail comes right after its own text. One walk: skipped subtrees are not entered."""
    parts: list[str] = []
    walker = etree.iterwalk(el, events=("start",))
    for _, node in walker:
        tag = _tag(node)
        if node is not el:
            if tag in SKIP_TAGS:
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS:
                parts.append(" ")
        if tag == "br":
            parts.append(" ")
        if tag not in SKIP_TAGS and node.text:
            parts.append(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
    return "".join(parts)


def _rows(table: Any) -> list[Any]:
    """The rows of a data table (which holds no nested table, so every <tr> inside is its own)."""
    return list(table.iter("tr"))


#: Elements whose presence inside a table makes it a layout table.
LAYOUT_MARKER_TAGS = frozenset(["table", "p", "div", "ul", "ol", "h1", "h2", "h3", "blockquote"])


def _layout_tables(root: Any) -> set[Any]:
    """Tables holding another table or a block of prose (layout grids, not data), in one walk: each
    such element marks the innermost table open around it, and a nested table marks its own."""
    found: set[Any] = set()
    open_tables: list[Any] = []
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = _tag(el)
        if event == "start":
            _tick("tables")
            if tag in LAYOUT_MARKER_TAGS and open_tables:
                found.add(open_tables[-1])
            if tag == "table":
                open_tables.append(el)
        elif tag == "table" and open_tables and open_tables[-1] is el:
            open_tables.pop()
    return found


def _is_data_table(table: Any, layout: set[Any]) -> bool:
    """A table of data (rendered row by row) rather than a layout grid (``layout``: the page's
    :func:`_layout_tables`)."""
    if table in layout:
        return False
    rows = _rows(table)
    if not rows:
        return False
    max_cols = 0
    for row in rows:
        cells = [c for c in row if _tag(c) in ("td", "th")]
        max_cols = max(max_cols, len(cells))
        for cell in cells:
            if len(WORD_RE.findall(_all_text(cell))) > TABLE_MAX_CELL_WORDS:
                return False
    return max_cols >= 2


@dataclass
class _Walk:
    """The candidates of a page and, per element, the words / link words / prose words under it."""

    cands: list[_Candidate]
    totals: dict[Any, tuple[int, int, int]]


def _walk(root: Any) -> _Walk:  # noqa: C901
    """Walk the tree in document order and render every unit of text once; sum the words under
    every element on the way out (post-order), so container statistics cost nothing extra."""
    out: list[_Candidate] = []
    buf: list[tuple[str, bool]] = []  # (text, inside a link)
    owner_stack: list[Any] = [root]
    link_depth = 0
    frames: list[list[int]] = []  # per open element: words, link words, prose words
    totals: dict[Any, tuple[int, int, int]] = {}
    layout = _layout_tables(root)

    def count(c: _Candidate) -> None:
        if frames:
            frame = frames[-1]
            frame[0] += c.words
            frame[1] += c.link_words
            if _is_prose(c):
                frame[2] += c.words

    def flush() -> None:
        if not buf:
            return
        owner = owner_stack[-1]
        kind = "h" if _tag(owner) in HEADING_TAGS else "p"
        # two consecutive <br> separate blocks inside one container
        pieces: list[list[tuple[str, bool]]] = [[]]
        for text, in_link in buf:
            if text == "\n" and pieces[-1] and pieces[-1][-1][0] == "\n":
                pieces.append([])
            elif text == "\n" or text.strip() or not pieces[-1] or pieces[-1][-1][0] != "\n":
                pieces[-1].append((text, in_link))
        buf.clear()
        for piece in pieces:
            text = render("".join(t for t, _ in piece))
            if text:
                link_words = sum(len(t.split()) for t, in_link in piece if in_link)
                out.append(_Candidate(kind, text, owner, link_words=link_words))
                count(out[-1])

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = _tag(el)
        if event == "start":
            _tick("walk")
            frames.append([0, 0, 0])
            if tag in SKIP_TAGS or not tag:
                walker.skip_subtree()
                continue
            if tag == "br":
                buf.append(("\n", False))
                continue
            if tag == "table" and _is_data_table(el, layout):
                flush()
                for cap in el.iterchildren("caption"):
                    text = render(_text_of(cap))
                    if text:
                        out.append(_Candidate("caption", text, cap, el))
                        count(out[-1])
                for row in _rows(el):
                    cells = _cell_texts(row)
                    if cells:
                        out.append(_Candidate("table_row", " | ".join(cells), row, el))
                        count(out[-1])
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS:
                flush()
                owner_stack.append(el)
            if tag == "a":
                link_depth += 1
            if el.text:
                buf.append((el.text, link_depth > 0))
        else:
            if tag in BLOCK_TAGS:
                flush()
                if owner_stack[-1] is el:
                    owner_stack.pop()
            if tag == "a" and link_depth > 0:
                link_depth -= 1
            frame = frames.pop()
            if frame[0]:
                totals[el] = (frame[0], frame[1], frame[2])
                if frames:
                    parent = frames[-1]
                    parent[0] += frame[0]
                    parent[1] += frame[1]
                    parent[2] += frame[2]
            if el.tail and el is not root:
                buf.append((el.tail, link_depth > 0))
    flush()
    return _Walk(out, totals)


def _is_prose(c: _Candidate) -> bool:
    return c.kind == "p" and c.words >= PROSE_MIN_WORDS and c.link_words <= PROSE_MAX_LINK_SHARE * c.words
