"""Typed payloads the stages write to the work area (their JSON is ``dataclasses.asdict``, field order kept)."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass
class FetchedPage:
    """One page of a fetched batch (``fetched/BATCH.json``'s ``pages``): where its raw bytes are, and
    every URL that served them."""

    url: str
    final_url: str
    seen_urls: list[str]
    raw_key: str
    sha256: str | None
    content_type: str | None
    fetched_at: str | None
    not_modified: bool
    published_hint: str | None
    title_hint: str | None

    def add_urls(self, *urls: str) -> None:
        """The same bytes served at other URLs: one page, every URL kept (first seen first)."""
        self.seen_urls = list(dict.fromkeys([*self.seen_urls, *urls]))

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
