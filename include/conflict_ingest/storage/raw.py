"""The raw zone: fetched pages as they came (``raw/source=ID/dt=DAY/SHA256.html.gz`` and a ``.json``
sidecar) and the per-URL index of the last fetch (validators for conditional GETs)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import logging
from typing import Any

from conflict_ingest.fetch.safety import redact_url
from conflict_ingest.storage import keys
from conflict_ingest.storage.keys import (
    raw_index_key,
    raw_meta_key,
    raw_page_key,
)
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)


def raw_items(store: ObjectStore, source_id: str, day: dt.date) -> list[dict[str, Any]]:
    """The pages the raw zone holds for a source and day, as batch items (newest copy per URL)."""
    prefix = keys.raw_day_prefix(source_id, day)
    newest: dict[str, dict[str, Any]] = {}
    for key in store.list_keys(prefix):
        if not key.endswith(".json"):
            continue
        meta = store.get_json(key)
        page_key = key.removesuffix(".json") + ".html.gz"
        hints = meta.get("discovered") or {}
        item = {
            "url": meta.get("url"),
            "published": hints.get("published"),
            "title": hints.get("title"),
            "raw_key": page_key,
            "fetched_at": meta.get("fetched_at"),
        }
        if item["url"] and str(item["fetched_at"]) >= str(newest.get(item["url"], {}).get("fetched_at", "")):
            newest[item["url"]] = item
    return [newest[url] for url in sorted(newest)]


def store_raw_page(
    store: ObjectStore,
    *,
    source_id: str,
    day: dt.date,
    url: str,
    result: Any,
    hints: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """Store a fetched body once per content hash; the sidecar keeps every URL it was seen at.

    The page object is written before its sidecar, so a sidecar never points at nothing."""
    body: bytes = result.body
    sha = hashlib.sha256(body).hexdigest()
    key = raw_page_key(source_id, day, sha)
    meta_key = raw_meta_key(key)
    meta = result.to_json()
    meta.update({"sha256": sha, "headers": dict(result.headers or {}), "source_id": source_id})
    if hints:  # what discovery said (feed date, title): a day re-derived from raw keeps it
        meta["discovered"] = hints
    url = meta["url"] if url == result.url else url  # credentials never reach the sidecar
    final_url = meta["final_url"] or url
    previous = store.get_json_or_none(meta_key)
    if previous is not None:
        seen = list(dict.fromkeys([*previous.get("seen_urls", []), url, final_url]))
    else:
        store.put_bytes(key, gzip.compress(body, mtime=0), content_type="application/gzip")
        seen = list(dict.fromkeys([url, final_url]))
    meta["seen_urls"] = seen
    store.put_json(meta_key, meta)
    return key, sha


def read_raw_index(store: ObjectStore, source_id: str, url: str) -> dict[str, Any] | None:
    """What the last successful fetch of ``url`` left (validators, raw key), if its page is still stored."""
    entry: dict[str, Any] | None = store.get_json_or_none(raw_index_key(source_id, url))
    if entry is None:
        return None
    if not entry.get("raw_key") or not store.exists(entry["raw_key"]):
        logger.info("index of %s points at a missing raw page; fetching it whole", redact_url(url))
        return None
    return entry


def write_raw_index(
    store: ObjectStore, *, source_id: str, url: str, result: Any, raw_key: str, sha256: str
) -> None:
    headers = result.headers or {}
    store.put_json(
        raw_index_key(source_id, url),
        {
            "url": result.to_json()["url"],
            "final_url": result.to_json()["final_url"],
            "etag": headers.get("etag"),
            "last_modified": headers.get("last-modified"),
            "raw_key": raw_key,
            "sha256": sha256,
            "content_type": result.content_type,
            "fetched_at": result.fetched_at.isoformat(),
        },
    )
