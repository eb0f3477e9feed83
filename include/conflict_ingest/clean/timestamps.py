"""Live-blog timestamps: the time each entry of a live page was posted."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from conflict_ingest.clean import dates
from conflict_ingest.clean.blocks import _Candidate
from conflict_ingest.clean.budget import _tick
from conflict_ingest.clean.constants import DATE_LINE_MAX_WORDS, SKIP_TAGS, TIMESTAMP_CLASS_RE
from conflict_ingest.clean.metadata import _time_value, _words_within

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Live-blog timestamps.
# --------------------------------------------------------------------------------------------------


def _stamp_elements(root: Any) -> Iterator[tuple[Any, str]]:
    """<time> elements (and elements with a datetime attribute) with their value; when a page has
    none, short elements whose class marks a date or time and whose text is a date."""
    found = False
    for el in root.iter():
        _tick("timestamps")
        if not isinstance(el.tag, str):
            continue
        if el.tag == "time" or el.get("datetime"):
            value = _time_value(el)
            if value:
                found = True
                yield el, value
    if found:
        return
    for el in root.iter():
        _tick("timestamps")
        if not isinstance(el.tag, str) or el.tag in SKIP_TAGS:
            continue
        cls = el.get("class")
        if cls and TIMESTAMP_CLASS_RE.search(cls):
            text = _words_within(el, DATE_LINE_MAX_WORDS)
            if text:
                value = dates.parse_text_date(text)
                if value:
                    yield el, value


def _timestamps(root: Any, kept: list[_Candidate]) -> dict[int, str]:
    """Each kept block's entry timestamp: the one stamp in the nearest ancestor that holds any.
    Only used when the blocks carry at least two different stamps (a live blog)."""
    stamps_under: dict[Any, set[str]] = {}
    for t, value in _stamp_elements(root):
        anc = t.getparent()
        while anc is not None:
            _tick("timestamps")
            stamps_under.setdefault(anc, set()).add(value)
            anc = anc.getparent()
    if not stamps_under:
        return {}
    result: dict[int, str] = {}
    for c in kept:
        el = c.owner
        while el is not None:
            found = stamps_under.get(el)
            if found:
                if len(found) == 1:
                    result[id(c)] = next(iter(found))
                break
            el = el.getparent()
    if len(set(result.values())) < 2:
        return {}
    return result
