"""Task ``fetch``: a batch's pages into the raw zone (conditional GETs, raw writes overlapping the fetches)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from conflict_ingest.fetch.safety import redact_url
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.payloads import FetchedPage, FetchSummary
from conflict_ingest.storage import keys
from conflict_ingest.storage.keys import (
    batch_name,
    raw_meta_key,
    raw_page_key,
)
from conflict_ingest.storage.raw import read_raw_index, store_raw_page, write_raw_index
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)

FETCH_FAILURES_IN_SUMMARY = 20  # failed URLs (with reasons) a fetch summary carries into XCom
#: Threads that write raw pages and index entries to S3 while the next pages are fetched (and read the
#: batch's index entries up front): S3 latency overlaps the politeness waits instead of adding to them.
S3_WRITE_THREADS = 8


def _persist_raw(
    store: ObjectStore,
    before: Future[None] | None,
    *,
    source_id: str,
    day: dt.date,
    url: str,
    result: Any,
    hints: dict[str, Any],
) -> None:
    """Store a fetched page and its index entry (after ``before``, an earlier write of the same bytes)."""
    if before is not None:
        before.result()
    raw_key, sha = store_raw_page(store, source_id=source_id, day=day, url=url, result=result, hints=hints)
    write_raw_index(store, source_id=source_id, url=url, result=result, raw_key=raw_key, sha256=sha)


def _fetch_error(url: str, result: Any, reason: str) -> dict[str, Any]:
    return {
        "url": result.to_json()["url"] if url == result.url else redact_url(url),
        "status": result.status,
        "error": reason,
        "attempts": result.attempts,
    }


def fetch_stage(store: ObjectStore, batch_key: str, fetcher: Any, source: Any) -> dict[str, Any]:
    """Fetch every URL of a batch into the raw zone; a failed URL is logged with its reason, never fatal.

    A URL fetched before is asked for conditionally (``If-None-Match`` / ``If-Modified-Since``
    from its index object); a 304 reuses the stored raw page. Two URLs of the batch that give the
    same bytes are one page (processed once, every URL kept in ``seen_urls``). The batch's
    ``fetched/`` object, written last, lists the pages and each failed URL with its reason.
    """
    batch = store.get_json(batch_key)
    source_id = batch["source_id"]
    day = dt.date.fromisoformat(batch["day"])
    pages: list[FetchedPage] = []
    by_sha: dict[str | None, FetchedPage] = {}
    errors: list[dict[str, Any]] = []
    kwargs = source.fetch_kwargs()
    # a source may allow private addresses; otherwise the fetcher's own setting decides
    kwargs["allow_private"] = True if kwargs.get("allow_private") else None
    reused = 0
    # what earlier runs left for each URL (validators, raw key): read in parallel, up front
    to_fetch = [item["url"] for item in batch["items"] if not item.get("raw_key")]
    with ThreadPoolExecutor(max_workers=S3_WRITE_THREADS, thread_name_prefix="raw-writer") as writer:
        index = dict(
            zip(to_fetch, writer.map(lambda u: read_raw_index(store, source_id, u), to_fetch), strict=True)
        )
        writes: dict[str, Future[None]] = {}
        for item in batch["items"]:
            url = item["url"]
            if item.get("raw_key"):  # re-derived from the raw zone: no network
                if not store.exists(item["raw_key"]):
                    errors.append(
                        {
                            "url": url,
                            "status": None,
                            "error": f"raw page missing: {item['raw_key']}",
                            "attempts": 0,
                        }
                    )
                    continue
                meta = store.get_json(raw_meta_key(item["raw_key"]))
                page = FetchedPage(
                    url=url,
                    final_url=meta.get("final_url") or url,
                    seen_urls=meta.get("seen_urls") or [url],
                    raw_key=item["raw_key"],
                    sha256=meta.get("sha256"),
                    content_type=meta.get("content_type"),
                    fetched_at=meta.get("fetched_at"),
                    not_modified=True,
                    published_hint=item.get("published"),
                    title_hint=item.get("title"),
                )
                if page.sha256 not in by_sha:
                    by_sha[page.sha256] = page
                    pages.append(page)
                    reused += 1
                continue
            known = index.get(url)
            validators: dict[str, str | None] = {}
            if known and (known.get("etag") or known.get("last_modified")):
                validators = {"etag": known.get("etag"), "last_modified": known.get("last_modified")}
            result = fetcher.fetch(url, **kwargs, **validators)
            if result.ok() and result.not_modified:
                if not validators or known is None:
                    errors.append(
                        _fetch_error(url, result, "HTTP 304 for a request that was not conditional")
                    )
                    logger.warning("fetch failed for %s: 304 without a stored copy", redact_url(url))
                    continue
                raw_key, sha, content_type = known["raw_key"], known["sha256"], known.get("content_type")
                final_url = known.get("final_url") or url
                reused += 1
                logger.info("%s not modified: reusing %s", redact_url(url), raw_key)
            elif not result.ok() or not result.body:
                reason = result.error or (f"empty body (HTTP {result.status})" if result.ok() else "failed")
                errors.append(_fetch_error(url, result, reason))
                logger.warning("fetch failed for %s: %s", redact_url(url), reason)
                continue
            else:
                sha = hashlib.sha256(result.body).hexdigest()
                raw_key = raw_page_key(source_id, day, sha)
                content_type = result.content_type
                final_url = result.to_json()["final_url"] or url
                # the writes overlap the next fetches; a copy of the same bytes waits for the first one
                writes[sha] = writer.submit(
                    _persist_raw,
                    store,
                    writes.get(sha),
                    source_id=source_id,
                    day=day,
                    url=url,
                    result=result,
                    hints={"published": item.get("published"), "title": item.get("title")},
                )
            if sha in by_sha:  # the same bytes at another URL of this batch: one page, every URL kept
                by_sha[sha].add_urls(url, final_url)
                continue
            page = FetchedPage(
                url=url,
                final_url=final_url,
                seen_urls=list(dict.fromkeys([url, final_url])),
                raw_key=raw_key,
                sha256=sha,
                content_type=content_type,
                fetched_at=result.fetched_at.isoformat(),
                not_modified=result.not_modified,
                published_hint=item.get("published"),
                title_hint=item.get("title"),
            )
            by_sha[sha] = page
            pages.append(page)
        # every raw page is stored before the batch's fetched/ object names it; a failed write fails the task
        for future in writes.values():
            future.result()
    out_key = keys.fetched_key(batch_key)
    store.put_json(
        out_key,
        {
            "source_id": source_id,
            "day": batch["day"],
            "pages": [p.to_json() for p in pages],
            "errors": errors,
        },
    )
    if errors:
        logger.warning(
            "batch %s: %d of %d URL(s) failed: %s",
            batch_name(batch_key),
            len(errors),
            len(batch["items"]),
            "; ".join(f"{e['url']}: {e['error']}" for e in errors[:FETCH_FAILURES_IN_SUMMARY]),
        )
    return FetchSummary(
        batch=batch_name(batch_key),
        key=out_key,
        pages=len(pages),
        not_modified=reused,
        errors=len(errors),
        failed=[{"url": e["url"], "error": e["error"]} for e in errors[:FETCH_FAILURES_IN_SUMMARY]],
    ).to_json()


def fetch_failures(store: ObjectStore, run: RunContext) -> list[dict[str, Any]]:
    """Every URL of the run that could not be fetched, with its source and reason (for the summary)."""
    out: list[dict[str, Any]] = []
    for key in sorted(store.list_keys(keys.stage_prefix(run.work, keys.FETCHED))):
        fetched = store.get_json(key)
        out.extend({"source_id": fetched["source_id"], **e} for e in fetched.get("errors", []))
    return out
