"""The cleaner's public types: the cleaned page and its blocks."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Public types.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One unit of main text, in document order."""

    kind: str  # "p", "h", "table_row", "caption"
    text: str
    timestamp: str | None = None


@dataclass(frozen=True)
class CleanedPage:
    """What the cleaning stage knows about one page."""

    title: str
    published_at: str | None
    text: str
    canonical_url: str | None
    blocks: tuple[Block, ...] = field(default=())
    #: The fallbacks cleaning took on this page, each ``"name: detail"`` (names: :data:`NOTE_NAMES`).
    notes: tuple[str, ...] = field(default=())
    #: ISO 639-1 code of the page's language ("en"), ``None`` when undetermined (see :mod:`.language`).
    language: str | None = None
    #: "YYYY-MM" when the page gives only the month it was published in (a reference number such as
    #: "2011-07-S-064", "July 2011"), never a day; ``published_at`` is then ``None``.
    published_month: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "published_at": self.published_at,
            "published_month": self.published_month,
            "text": self.text,
            "canonical_url": self.canonical_url,
            "notes": list(self.notes),
            "language": self.language,
        }
