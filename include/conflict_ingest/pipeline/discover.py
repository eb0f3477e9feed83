"""Task ``discover``: a source's article URLs (or its raw-zone pages), cut into batches."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from conflict_ingest.inputs import InputError
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.plan import MODES, run_sources
from conflict_ingest.storage import keys
from conflict_ingest.storage.raw import raw_items
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)


def discover_stage(
    store: ObjectStore, run: RunContext, source: Any, fetcher: Any, *, batch_size: int, mode: str = "auto"
) -> list[str]:
    """Find the source's article URLs for the day and write them as bounded batches.

    ``mode`` "auto" re-derives a day from the raw zone when its pages are there (no network) and
    discovers from the feed or sitemap otherwise; "raw" only reads the raw zone; "refetch" always
    asks the source.
    """
    from conflict_ingest.sources.registry import discover

    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    items: list[dict[str, Any]] = raw_items(store, source.id, run.day) if mode != "refetch" else []
    if items or mode == "raw":
        logger.info(
            "source %s: %d page(s) of %s re-derived from the raw zone", source.id, len(items), run.day
        )
    else:
        seen: set[str] = set()
        for found in discover(source, run.day, run.day + dt.timedelta(days=1), fetcher):
            if found.url in seen:
                continue
            seen.add(found.url)
            items.append(
                {
                    "url": found.url,
                    "published": found.published.isoformat() if found.published else None,
                    "title": found.title,
                }
            )
    batches: list[str] = []
    for index, start in enumerate(range(0, len(items), max(1, batch_size))):
        key = keys.batch_key(run.work, source.id, index)
        store.put_json(
            key,
            {
                "source_id": source.id,
                "day": run.day,
                "run_id": run.run_id,
                "items": items[start : start + batch_size],
            },
        )
        batches.append(key)
    store.put_json(keys.discovered_key(run.work, source.id), {"source_id": source.id, "batches": batches})
    logger.info("source %s: %d URLs for %s in %d batches", source.id, len(items), run.day, len(batches))
    return batches


def discovered_batches(
    store: ObjectStore, run: RunContext, source_ids: Iterable[str], families: Iterable[str]
) -> dict[str, list[str]]:
    """The batch keys of every source whose discovery completed, by fetch family (every family a key).

    A source whose family has no lane in the DAG (``sources.yaml`` changed since the DAG was parsed)
    goes to the default family's lane.
    """
    from conflict_ingest.sources.families import DEFAULT_FAMILY

    by_family: dict[str, list[str]] = {family: [] for family in families}
    by_family.setdefault(DEFAULT_FAMILY, [])
    sources = run_sources(store, run)
    for sid in source_ids:
        key = keys.discovered_key(run.work, sid)
        if not store.exists(key):
            continue
        family = getattr(sources.get(sid), "family", DEFAULT_FAMILY)
        if family not in by_family:
            logger.warning(
                "source %s: family %r has no fetch lane; fetched in %r", sid, family, DEFAULT_FAMILY
            )
            family = DEFAULT_FAMILY
        by_family[family].extend(store.get_json(key)["batches"])
    return by_family
