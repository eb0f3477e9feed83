"""Typed payloads the stages write to the work area and return to XCom.

Their JSON is ``dataclasses.asdict``: the keys in field order, exactly as the readers (and the objects
already in S3) expect them. ``from_json`` reads that JSON back; a missing or unknown key is a clear
``ValueError`` naming it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Self


class _Payload:
    """``to_json``/``from_json`` for a dataclass whose JSON object is its fields, in order."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def _json_defaults(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """Values for the keys an older or hand-written payload may lack (none by default)."""
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        values = {**cls._json_defaults(data), **data}
        missing = [n for n in names if n not in values]
        unknown = [k for k in data if k not in names]
        if missing or unknown:
            raise ValueError(
                f"not a {cls.__name__} payload: missing {missing or 'nothing'}, unknown {unknown or 'nothing'}"
            )
        return cls(**values)


@dataclasses.dataclass
class FetchedPage(_Payload):
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

    @classmethod
    def _json_defaults(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """An entry needs ``url`` and ``raw_key``; the rest is optional (as the clean stage always read it)."""
        url, final_url = data.get("url"), data.get("final_url") or data.get("url")
        return {
            "final_url": final_url,
            "seen_urls": list(dict.fromkeys([url, final_url])),
            "sha256": None,
            "content_type": None,
            "fetched_at": None,
            "not_modified": False,
            "published_hint": None,
            "title_hint": None,
        }

    def add_urls(self, *urls: str) -> None:
        """The same bytes served at other URLs: one page, every URL kept (first seen first)."""
        self.seen_urls = list(dict.fromkeys([*self.seen_urls, *urls]))


@dataclasses.dataclass
class CleanedRow(FetchedPage):
    """One row of ``cleaned/BATCH.jsonl.gz``: the fetched page entry, then what cleaning found.

    ``published_at`` is the page's own date or the listing's hint; ``page_published_at`` the page's own
    only. ``blocks`` are ``dataclasses.asdict`` of :class:`conflict_ingest.clean.page.Block`.
    ``language`` is the page's ISO 639-1 code (``None``: undetermined); ``relevance`` says whether the
    page is read for counts and why (``{"read": bool, "reason": str}``, see
    :func:`conflict_ingest.extract.relevance.page_verdict`; ``None`` on rows written before it).
    ``published_month`` is "YYYY-MM" when neither the page nor its listing gives a day, only a month."""

    source_id: str
    title: str
    published_at: str | None
    page_published_at: str | None
    canonical_url: str
    text: str
    blocks: list[dict[str, Any]]
    clean_notes: list[str]
    language: str | None = None
    relevance: dict[str, Any] | None = None
    #: "YYYY-MM" when the page gives only its month (``CleanedPage.published_month``); None on older rows
    published_month: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The fetched entry's keys first, in the order the stage always read them from ``fetched/``
        (sorted: :meth:`ObjectStore.put_json <conflict_ingest.storage.store.ObjectStore.put_json>` sorts
        keys), then what cleaning found, in field order."""
        data = dataclasses.asdict(self)
        entry = sorted(f.name for f in dataclasses.fields(FetchedPage))
        return {**{name: data.pop(name) for name in entry}, **data}

    @classmethod
    def _json_defaults(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The keys extraction never read may be absent (a row written before they existed)."""
        defaults = super()._json_defaults(data)
        for required in ("sha256", "fetched_at"):  # extraction reads them: a row without them is refused
            del defaults[required]
        return {
            **defaults,
            "page_published_at": None,
            "clean_notes": [],
            "language": None,
            "relevance": None,
            "published_month": None,
        }


@dataclasses.dataclass
class FetchSummary(_Payload):
    """What a ``fetch`` task returns to XCom (``failed``: the first failed URLs, ``url`` and ``error``)."""

    batch: str
    key: str
    pages: int
    not_modified: int
    errors: int
    failed: list[dict[str, Any]]


@dataclasses.dataclass
class CleanSummary(_Payload):
    """What a ``clean`` task returns to XCom (``failed``: the first failed or abandoned pages;
    ``languages``: pages per language, ``"und"`` undetermined; ``relevance``: pages ``read`` for counts
    and ``not_read``, and ``reasons`` tallied by kind, e.g. ``{"dominant topic: disease": 2}``)."""

    key: str
    pages: int
    errors: int
    abandoned: int
    fallbacks: dict[str, int]
    failed: list[dict[str, str]]
    languages: dict[str, int] = dataclasses.field(default_factory=dict)
    relevance: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def _json_defaults(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """A summary written before languages and relevance were recorded has neither."""
        return {"languages": {}, "relevance": {}}


@dataclasses.dataclass
class ExtractSummary(_Payload):
    """What an ``extract`` task returns to XCom (``abandoned_pages``: ``url`` and ``reason`` of each;
    ``skipped_language``: pages not read because written in another language than the rules', per
    language; ``not_relevant``: pages not read because not about armed conflict)."""

    key: str
    pages: int
    records: int
    errors: int
    abandoned: int
    abandoned_pages: list[dict[str, str]]
    skipped_language: dict[str, int] = dataclasses.field(default_factory=dict)
    not_relevant: int = 0

    @classmethod
    def _json_defaults(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """A summary written before the language and relevance counts has neither."""
        return {"skipped_language": {}, "not_relevant": 0}
