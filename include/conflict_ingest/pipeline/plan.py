"""Task ``plan``: the sources a run reads (all enabled, chosen ones, or a manual URL list)."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterable
from typing import Any

from conflict_ingest.inputs import InputError
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.settings import MAX_URLS_PER_RUN
from conflict_ingest.storage import keys
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)

#: At most this many URLs in one manual or urgent run (a form field is untrusted input).
MAX_MANUAL_URLS = MAX_URLS_PER_RUN
#: How a run gets its pages: from the raw zone when the day's pages are there, else the network
#: ("auto"); only from the raw zone, no network ("raw"); always from the network ("refetch").
MODES = ("auto", "raw", "refetch")


def validate_manual_urls(urls: Iterable[str]) -> list[str]:
    """The URLs of a manual run, checked: each by :func:`conflict_ingest.inputs.check_page_url`
    (http(s) with a host, no credentials, no whitespace, bounded; the urgent queue's check too),
    at most MAX_MANUAL_URLS, deduplicated. A refused URL is named without its credentials.

    Where they point is checked later, by the fetcher, after DNS resolution and on every redirect
    (private, loopback, link-local and metadata addresses are refused unless a setting allows them).
    """
    from conflict_ingest.inputs import InputError, check_page_url

    out: dict[str, None] = {}
    for index, raw in enumerate(urls):
        try:
            out.setdefault(check_page_url(raw), None)
        except InputError as exc:
            raise InputError(f"urls[{index}]: {exc}") from None
    if len(out) > MAX_MANUAL_URLS:
        raise InputError(f"{len(out)} URLs given; at most {MAX_MANUAL_URLS} per run")
    return list(out)


def manual_source(urls: list[str]) -> Any:
    """An ad-hoc ``urls`` source for the pages a person (or a queue) asked for.

    Its id is derived from the URL set, so re-running the same request replaces its own curated
    parts, and two different requests on one day never replace each other's.
    """
    from conflict_ingest.sources.families import MANUAL_FAMILY
    from conflict_ingest.sources.registry import Source

    digest = hashlib.sha256("\n".join(sorted(urls)).encode("utf-8")).hexdigest()[:10]
    return Source(
        id=f"manual-{digest}",
        kind="urls",
        urls=tuple(urls),
        description="pages asked for by hand",
        family=MANUAL_FAMILY,
    )


def plan_sources(
    store: ObjectStore,
    run: RunContext,
    configured: list[Any],
    *,
    source_ids: list[str] | None = None,
    urls: list[str] | None = None,
) -> list[str]:
    """Decide the run's sources and write them to the work area; returns their ids.

    No ids and no URLs: every configured source (the nightly run). ``source_ids``: those
    configured sources only (unknown ids are an error). ``urls``: an ad-hoc source of those
    pages, alone or beside the chosen sources.
    """
    by_id = {s.id: s for s in configured}
    chosen: list[Any] = []
    if source_ids:
        unknown = sorted(set(source_ids) - set(by_id))
        if unknown:
            raise InputError(
                f"unknown source id(s): {', '.join(unknown)} (configured: {', '.join(sorted(by_id))})"
            )
        chosen = [by_id[sid] for sid in sorted(set(source_ids))]
    if urls:
        chosen.append(manual_source(validate_manual_urls(urls)))
    if not source_ids and not urls:
        chosen = sorted(configured, key=lambda s: s.id)
    store.put_json(keys.sources_key(run.work), [dataclasses.asdict(s) for s in chosen])
    return [s.id for s in chosen]


def run_sources(store: ObjectStore, run: RunContext) -> dict[str, Any]:
    """The sources :func:`plan_sources` chose for this run, by id."""
    from conflict_ingest.sources.registry import Source

    rows = store.get_json(keys.sources_key(run.work))
    return {row["id"]: Source(**{**row, "urls": tuple(row.get("urls") or ())}) for row in rows}
