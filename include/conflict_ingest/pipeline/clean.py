"""Task ``clean``: a fetched batch's raw pages into cleaned pages (title, dates, main text)."""

from __future__ import annotations

import collections
import dataclasses
import gzip
import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from conflict_ingest.pipeline.payloads import CleanedRow, CleanSummary, FetchedPage
from conflict_ingest.storage import keys
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)

#: Raw pages a clean task reads ahead of the one it parses (S3 latency overlaps parsing; memory stays bounded).
READ_AHEAD_PAGES = 8


def _read_ahead(
    store: ObjectStore, keys: list[str], depth: int = READ_AHEAD_PAGES
) -> Iterator[Future[bytes]]:
    """The objects at ``keys``, in order, each read by a thread pool at most ``depth`` keys ahead.

    Each item is a future: ``result()`` gives the bytes or raises that object's own error."""
    with ThreadPoolExecutor(max_workers=depth, thread_name_prefix="raw-reader") as pool:
        pending: collections.deque[Future[bytes]] = collections.deque()
        for key in keys:
            pending.append(pool.submit(store.get_bytes, key))
            if len(pending) > depth:
                yield pending.popleft()
        while pending:
            yield pending.popleft()


#: Failed or abandoned pages (with their reasons) a clean summary lists; its counts cover every page.
CLEAN_FAILURES_IN_SUMMARY = 20


def clean_stage(store: ObjectStore, fetched_key: str, *, cpu_budget_s: float | None = None) -> dict[str, Any]:
    """Clean each raw page of a batch. No page is lost silently: one that fails (an unreadable raw
    object, a bug) or is abandoned (its CPU budget ran out) is logged and listed in the summary's
    ``failed`` (first CLEAN_FAILURES_IN_SUMMARY, with url, raw_key and reason) and counted in ``errors``
    or ``abandoned``; ``fallbacks`` counts, per fallback name, the pages that took it (refused charset,
    JSON-LD skipped, huge_tree, refused canonical URL, ..., and ``abandoned``). Each cleaned row keeps
    its page's notes (``clean_notes``), its language and whether it is read for counts (``relevance``,
    with the reason); the summary's ``languages`` counts pages per language and its ``relevance`` the
    pages read and not read, with the reasons tallied. ``cpu_budget_s`` overrides the per-page CPU
    budget (``clean.CPU_BUDGET_S``)."""
    from conflict_ingest.clean.budget import CleaningAbandoned
    from conflict_ingest.clean.cleaner import clean_html
    from conflict_ingest.clean.constants import CPU_BUDGET_S
    from conflict_ingest.extract.relevance import page_verdict

    fetched = store.get_json(fetched_key)
    rows: list[CleanedRow] = []
    errors = abandoned = 0
    failed: list[dict[str, str]] = []
    fallbacks: collections.Counter[str] = collections.Counter()
    languages: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    read = 0
    bodies = _read_ahead(store, [page["raw_key"] for page in fetched["pages"]])
    for page, body in zip(fetched["pages"], bodies, strict=True):
        try:
            entry = FetchedPage.from_json(page)
            html = gzip.decompress(body.result())
            cleaned = clean_html(
                html,
                entry.final_url,
                content_type=entry.content_type,
                cpu_budget_s=CPU_BUDGET_S if cpu_budget_s is None else cpu_budget_s,
            )
        except CleaningAbandoned as err:  # a hostile page: its reason is recorded, the batch goes on
            logger.warning("cleaning abandoned for %s (%s): %s", page["url"], page["raw_key"], err.reason)
            abandoned += 1
            fallbacks.update({note.split(":", 1)[0] for note in err.notes} | {"abandoned"})
            failed.append(
                {"url": page["url"], "raw_key": page["raw_key"], "error": f"abandoned: {err.reason}"}
            )
            continue
        except Exception as err:  # one bad page never loses the batch
            logger.exception("cleaning failed for %s (%s)", page["url"], page["raw_key"])
            errors += 1
            reason = f"{type(err).__name__}: {err}"[:300]
            failed.append({"url": page["url"], "raw_key": page["raw_key"], "error": reason})
            continue
        fallbacks.update({note.split(":", 1)[0] for note in cleaned.notes})
        row = CleanedRow(
            **entry.to_json(),
            source_id=fetched["source_id"],
            title=cleaned.title or entry.title_hint or "",
            published_at=cleaned.published_at or entry.published_hint or None,
            page_published_at=cleaned.published_at,
            canonical_url=cleaned.canonical_url or entry.final_url,
            text=cleaned.text,
            blocks=[dataclasses.asdict(b) for b in cleaned.blocks],
            clean_notes=list(cleaned.notes),
            language=cleaned.language,
            # the month a page gives without its day, when neither it nor its listing gives a day
            published_month=None if cleaned.published_at or entry.published_hint else cleaned.published_month,
        )
        verdict = page_verdict(row)
        row.relevance = verdict.to_json()
        languages[cleaned.language or "und"] += 1
        reasons[verdict.kind] += 1
        read += verdict.read
        rows.append(row)
    out_key = keys.cleaned_key(fetched_key)
    store.put_jsonl_gz(out_key, [row.to_json() for row in rows])
    if fallbacks:
        logger.info("batch %s: clean fallbacks %s", fetched_key, dict(sorted(fallbacks.items())))
    return CleanSummary(
        key=out_key,
        pages=len(rows),
        errors=errors,
        abandoned=abandoned,
        fallbacks=dict(sorted(fallbacks.items())),
        failed=failed[:CLEAN_FAILURES_IN_SUMMARY],
        languages=dict(languages.most_common()),
        relevance={"read": read, "not_read": len(rows) - read, "reasons": dict(reasons.most_common())},
    ).to_json()
