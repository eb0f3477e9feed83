"""The nightly flow as plain functions: one per DAG task, each reading and writing S3.

Every stage takes an :class:`~conflict_ingest.storage.ObjectStore` and small arguments (keys,
ids, a day) and returns a small JSON-able summary: that is what travels through XCom. Pages,
cleaned text and records travel through the ``work/`` area of the bucket:

``work/strike_counts/dt=DAY/run=RUN/``
    ``discovered/SOURCE.json``     the batches a source's discovery produced
    ``batches/SOURCE-NNNNN.json``  the URLs of one batch
    ``fetched/BATCH.json``         raw keys (or errors) of each URL of a batch
    ``cleaned/BATCH.jsonl.gz``     one cleaned page per line
    ``extracted/BATCH.jsonl.gz``   one record per line
    ``validated/passed.jsonl.gz``  the records that passed the critical expectations

Raw pages land in the raw zone (``raw/source=ID/dt=DAY/SHA256.html.gz`` and a ``.json``
sidecar) before anything parses them, so any day can be re-derived without the network.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import gzip
import hashlib
import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from conflict_ingest.errors import ConflictIngestError
from conflict_ingest.http_safety import redact_url
from conflict_ingest.inputs import InputError
from conflict_ingest.records import PageMeta, Record
from conflict_ingest.settings import MAX_URLS_PER_RUN
from conflict_ingest.storage import (
    RAW_PREFIX,
    ObjectStore,
    curated_partition,
    quarantine_partition,
    raw_index_key,
    raw_meta_key,
    raw_page_key,
    report_prefix,
    work_prefix,
)

logger = logging.getLogger(__name__)

QUARANTINE_EXTRA_COLUMNS = ("failed_expectations",)
#: URLs that could not be fetched, listed with their reason in the run's summary (all are in fetched/*.json).
MAX_FETCH_FAILURES_IN_SUMMARY = 20
# Records shown per broken expectation in summary.json (and so in the alert), and their evidence length.
EXAMPLES_PER_EXPECTATION = 3
EXAMPLE_EVIDENCE_CHARS = 240


class ValidationGateError(ConflictIngestError, RuntimeError):
    """Raised by :func:`gate` when records were held back or sources did not complete."""


@dataclasses.dataclass(frozen=True)
class RunContext:
    """Which day's news a run covers, and the run's id (for work and report keys)."""

    day: dt.date
    run_id: str

    @property
    def work(self) -> str:
        return work_prefix(self.day, self.run_id)


def resolve_day(
    *,
    requested: str | None,
    data_interval_start: dt.datetime | None,
    data_interval_end: dt.datetime | None,
    run_after: dt.datetime | None,
) -> dt.date:
    """The day of news a run covers.

    A ``day`` parameter wins (manual runs); it must lie between 1990-01-01 and tomorrow, UTC
    (:func:`conflict_ingest.inputs.parse_day`; else ``InputError`` naming the bound). Otherwise the data interval's start day (the
    nightly timetable has one-day intervals, so the run after midnight reads the day that just
    ended; backfills get each day of their range). A run with no interval (an API trigger with
    no logical date) reads the day before it was triggered: the last complete day.
    """
    if requested:
        from conflict_ingest.inputs import parse_day

        return parse_day(str(requested)[:10])
    if (
        data_interval_start is not None
        and data_interval_end is not None
        and data_interval_end > data_interval_start
    ):
        return data_interval_start.date()
    if data_interval_start is not None:
        return data_interval_start.date() - dt.timedelta(days=1)
    when = run_after or dt.datetime.now(dt.UTC)
    return when.date() - dt.timedelta(days=1)


# -- plan ------------------------------------------------------------------------------------
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
    from conflict_ingest.families import MANUAL_FAMILY
    from conflict_ingest.sources import Source

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
    store.put_json(f"{run.work}sources.json", [dataclasses.asdict(s) for s in chosen])
    return [s.id for s in chosen]


def run_sources(store: ObjectStore, run: RunContext) -> dict[str, Any]:
    """The sources :func:`plan_sources` chose for this run, by id."""
    from conflict_ingest.sources import Source

    rows = store.get_json(f"{run.work}sources.json")
    return {row["id"]: Source(**{**row, "urls": tuple(row.get("urls") or ())}) for row in rows}


# -- discover --------------------------------------------------------------------------------
def raw_items(store: ObjectStore, source_id: str, day: dt.date) -> list[dict[str, Any]]:
    """The pages the raw zone holds for a source and day, as batch items (newest copy per URL)."""
    prefix = f"{RAW_PREFIX}/source={source_id}/dt={day.isoformat()}/"
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


def discover_stage(
    store: ObjectStore, run: RunContext, source: Any, fetcher: Any, *, batch_size: int, mode: str = "auto"
) -> list[str]:
    """Find the source's article URLs for the day and write them as bounded batches.

    ``mode`` "auto" re-derives a day from the raw zone when its pages are there (no network) and
    discovers from the feed or sitemap otherwise; "raw" only reads the raw zone; "refetch" always
    asks the source.
    """
    from conflict_ingest.sources import discover

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
    keys: list[str] = []
    for index, start in enumerate(range(0, len(items), max(1, batch_size))):
        key = f"{run.work}batches/{source.id}-{index:05d}.json"
        store.put_json(
            key,
            {
                "source_id": source.id,
                "day": run.day,
                "run_id": run.run_id,
                "items": items[start : start + batch_size],
            },
        )
        keys.append(key)
    store.put_json(f"{run.work}discovered/{source.id}.json", {"source_id": source.id, "batches": keys})
    logger.info("source %s: %d URLs for %s in %d batches", source.id, len(items), run.day, len(keys))
    return keys


def discovered_batches(
    store: ObjectStore, run: RunContext, source_ids: Iterable[str], families: Iterable[str]
) -> dict[str, list[str]]:
    """The batch keys of every source whose discovery completed, by fetch family (every family a key).

    A source whose family has no lane in the DAG (``sources.yaml`` changed since the DAG was parsed)
    goes to the default family's lane.
    """
    from conflict_ingest.families import DEFAULT_FAMILY

    by_family: dict[str, list[str]] = {family: [] for family in families}
    by_family.setdefault(DEFAULT_FAMILY, [])
    sources = run_sources(store, run)
    for sid in source_ids:
        key = f"{run.work}discovered/{sid}.json"
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


def batch_name(batch_key: str) -> str:
    return batch_key.rsplit("/", 1)[-1].removesuffix(".json")


# -- fetch -----------------------------------------------------------------------------------
FETCH_FAILURES_IN_SUMMARY = 20  # failed URLs (with reasons) a fetch summary carries into XCom
#: Threads that write raw pages and index entries to S3 while the next pages are fetched (and read the
#: batch's index entries up front): S3 latency overlaps the politeness waits instead of adding to them.
S3_WRITE_THREADS = 8


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
    pages: list[dict[str, Any]] = []
    by_sha: dict[str, dict[str, Any]] = {}
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
                page = {
                    "url": url,
                    "final_url": meta.get("final_url") or url,
                    "seen_urls": meta.get("seen_urls") or [url],
                    "raw_key": item["raw_key"],
                    "sha256": meta.get("sha256"),
                    "content_type": meta.get("content_type"),
                    "fetched_at": meta.get("fetched_at"),
                    "not_modified": True,
                    "published_hint": item.get("published"),
                    "title_hint": item.get("title"),
                }
                if page["sha256"] not in by_sha:
                    by_sha[page["sha256"]] = page
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
                by_sha[sha]["seen_urls"] = list(dict.fromkeys([*by_sha[sha]["seen_urls"], url, final_url]))
                continue
            page = {
                "url": url,
                "final_url": final_url,
                "seen_urls": list(dict.fromkeys([url, final_url])),
                "raw_key": raw_key,
                "sha256": sha,
                "content_type": content_type,
                "fetched_at": result.fetched_at.isoformat(),
                "not_modified": result.not_modified,
                "published_hint": item.get("published"),
                "title_hint": item.get("title"),
            }
            by_sha[sha] = page
            pages.append(page)
        # every raw page is stored before the batch's fetched/ object names it; a failed write fails the task
        for future in writes.values():
            future.result()
    out_key = batch_key.replace("/batches/", "/fetched/")
    store.put_json(out_key, {"source_id": source_id, "day": batch["day"], "pages": pages, "errors": errors})
    if errors:
        logger.warning(
            "batch %s: %d of %d URL(s) failed: %s",
            batch_name(batch_key),
            len(errors),
            len(batch["items"]),
            "; ".join(f"{e['url']}: {e['error']}" for e in errors[:FETCH_FAILURES_IN_SUMMARY]),
        )
    return {
        "batch": batch_name(batch_key),
        "key": out_key,
        "pages": len(pages),
        "not_modified": reused,
        "errors": len(errors),
        "failed": [{"url": e["url"], "error": e["error"]} for e in errors[:FETCH_FAILURES_IN_SUMMARY]],
    }


def fetch_failures(store: ObjectStore, run: RunContext) -> list[dict[str, Any]]:
    """Every URL of the run that could not be fetched, with its source and reason (for the summary)."""
    out: list[dict[str, Any]] = []
    for key in sorted(store.list_keys(f"{run.work}fetched/")):
        fetched = store.get_json(key)
        out.extend({"source_id": fetched["source_id"], **e} for e in fetched.get("errors", []))
    return out


# -- clean -----------------------------------------------------------------------------------
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
    its page's notes (``clean_notes``). ``cpu_budget_s`` overrides the per-page CPU budget
    (``clean.CPU_BUDGET_S``)."""
    from conflict_ingest.clean import CPU_BUDGET_S, CleaningAbandoned, clean_html

    fetched = store.get_json(fetched_key)
    rows: list[dict[str, Any]] = []
    errors = abandoned = 0
    failed: list[dict[str, str]] = []
    fallbacks: collections.Counter[str] = collections.Counter()
    bodies = _read_ahead(store, [page["raw_key"] for page in fetched["pages"]])
    for page, body in zip(fetched["pages"], bodies, strict=True):
        try:
            html = gzip.decompress(body.result())
            cleaned = clean_html(
                html,
                page["final_url"],
                content_type=page.get("content_type"),
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
        rows.append(
            {
                **page,
                "source_id": fetched["source_id"],
                "title": cleaned.title or page.get("title_hint") or "",
                "published_at": cleaned.published_at or page.get("published_hint") or None,
                "page_published_at": cleaned.published_at,
                "canonical_url": cleaned.canonical_url or page["final_url"],
                "text": cleaned.text,
                "blocks": [dataclasses.asdict(b) for b in cleaned.blocks],
                "clean_notes": list(cleaned.notes),
            }
        )
    out_key = fetched_key.replace("/fetched/", "/cleaned/").removesuffix(".json") + ".jsonl.gz"
    store.put_jsonl_gz(out_key, rows)
    if fallbacks:
        logger.info("batch %s: clean fallbacks %s", fetched_key, dict(sorted(fallbacks.items())))
    return {
        "key": out_key,
        "pages": len(rows),
        "errors": errors,
        "abandoned": abandoned,
        "fallbacks": dict(sorted(fallbacks.items())),
        "failed": failed[:CLEAN_FAILURES_IN_SUMMARY],
    }


# -- extract ---------------------------------------------------------------------------------
def _parse_datetime(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(value[:10]), dt.time())
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def records_for_page(row: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    """Extract the records of one cleaned page (a row of ``cleaned/*.jsonl.gz``).

    ``options`` go to :func:`~conflict_ingest.extract.extract_records` (``cpu_budget_s``: the page's CPU
    budget, ``PAGE_CPU_BUDGET_S`` unless given); a page over it raises ``PageBudgetExceeded``."""
    from conflict_ingest.clean import Block, CleanedPage
    from conflict_ingest.extract import extract_records

    page = CleanedPage(
        title=row["title"],
        published_at=row["published_at"],
        text=row["text"],
        canonical_url=row["canonical_url"],
        blocks=tuple(Block(**b) for b in row["blocks"]),
    )
    meta = PageMeta(
        source_id=row["source_id"],
        source_url=row["url"],
        canonical_url=row["canonical_url"],
        title=row["title"],
        published_at=_parse_datetime(row["published_at"]),
        fetched_at=_parse_datetime(row["fetched_at"]) or dt.datetime.now(dt.UTC),
        raw_key=row["raw_key"],
        content_sha256=row["sha256"],
    )
    out: dict[str, dict[str, Any]] = {}
    for ex in extract_records(page, row["canonical_url"], **options):
        rec = Record.build(meta, ex).to_row()
        out.setdefault(rec["record_id"], rec)
    return list(out.values())


def extract_stage(store: ObjectStore, cleaned_key: str, **options: Any) -> dict[str, Any]:
    """Extract records from each cleaned page of a batch; a page that fails is reported, not fatal.

    A page that takes more than its CPU budget (``options``: see :func:`records_for_page`) is abandoned:
    it gives no records, the summary's ``abandoned`` counts it and ``abandoned_pages`` lists it (``url``,
    ``reason``)."""
    from conflict_ingest.extract import PageBudgetExceeded

    rows: list[dict[str, Any]] = []
    pages = errors = 0
    abandoned: list[dict[str, str]] = []
    for page in store.get_jsonl_gz(cleaned_key):
        pages += 1
        try:
            rows.extend(records_for_page(page, **options))
        except PageBudgetExceeded as exc:
            logger.warning("extraction abandoned for %s: %s", page.get("url"), exc)
            abandoned.append({"url": str(page.get("url")), "reason": str(exc)})
        except Exception:
            logger.exception("extraction failed for %s", page.get("url"))
            errors += 1
    out_key = cleaned_key.replace("/cleaned/", "/extracted/")
    store.put_jsonl_gz(out_key, rows)
    return {
        "key": out_key,
        "pages": pages,
        "records": len(rows),
        "errors": errors,
        "abandoned": len(abandoned),
        "abandoned_pages": abandoned,
    }


# -- validate --------------------------------------------------------------------------------
def completed_sources(
    store: ObjectStore, run: RunContext, source_ids: Iterable[str]
) -> tuple[list[str], list[str]]:
    """Sources whose every batch reached ``extracted/``, and those that did not."""
    extracted = {batch_name(k.removesuffix(".jsonl.gz")) for k in store.list_keys(f"{run.work}extracted/")}
    done: list[str] = []
    missing: list[str] = []
    for sid in source_ids:
        key = f"{run.work}discovered/{sid}.json"
        if not store.exists(key):
            missing.append(sid)
            continue
        batches = {batch_name(k) for k in store.get_json(key)["batches"]}
        (done if batches <= extracted else missing).append(sid)
    return done, missing


def _load_extracted(store: ObjectStore, run: RunContext, source_ids: set[str]) -> list[dict[str, Any]]:
    """The run's extracted records, typed as the contract says (JSON carries dates as strings)."""
    from conflict_ingest.land import coerce_row

    rows: list[dict[str, Any]] = []
    for key in sorted(store.list_keys(f"{run.work}extracted/")):
        for row in store.get_jsonl_gz(key):
            if row["source_id"] in source_ids:
                rows.append(coerce_row(row))
    # The same article syndicated by several sources gives the same record_id: count it once.
    unique: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: (r["source_id"], r["record_id"])):
        unique.setdefault(row["record_id"], row)
    return list(unique.values())


def _by_source(rows: Iterable[dict[str, Any]], sources: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {sid: [] for sid in sources}
    for row in rows:
        groups.setdefault(row["source_id"], []).append(row)
    return groups


def read_trailing_history(store: ObjectStore, day: dt.date, days: int) -> Any:
    """The committed curated partitions of the ``days`` days before ``day``, summarised as a
    :class:`~conflict_ingest.validate.TrailingHistory`; partitions that are not committed (no
    manifest) or damaged (a listed part missing or not matching its checksum) are skipped."""
    from conflict_ingest.land import DamagedPartition, IncompletePartition, read_committed
    from conflict_ingest.validate import TrailingHistory

    history = TrailingHistory()
    for offset in range(days, 0, -1):
        past = day - dt.timedelta(days=offset)
        try:
            # the manifest and the rows of one committed snapshot
            manifest, rows = read_committed(store, curated_partition(past))
        except DamagedPartition as exc:
            logger.warning("trailing history skips %s: %s", past, exc)
            continue
        except IncompletePartition:  # never landed, or not committed yet
            continue
        history.add_day(past, rows, manifest.get("sources_incomplete") or [])
    logger.info("trailing history for %s: %d committed day(s) of %d read", day, len(history.days), days)
    return history


def _examples(outcome: Any, per_expectation: int) -> dict[str, list[dict[str, Any]]]:
    """A few records per broken expectation, for the alert (the report and quarantine have them all)."""
    from conflict_ingest.report import problem_notes

    rows = {r.get("record_id"): r for r in [*outcome.failed, *outcome.passed]}
    notes = problem_notes(outcome.gx_result)
    out: dict[str, list[dict[str, Any]]] = {}
    for result in outcome.expectation_results:
        if result["success"] or result.get("scope", "record") != "record":
            continue
        shown = []
        for record_id in result["unexpected_record_ids"][:per_expectation]:
            row = rows.get(record_id) or {}
            evidence = str(row.get("evidence") or "")
            prefix = result["name"] + ": "
            why = [n.removeprefix(prefix) for n in notes.get(record_id, []) if n.startswith(prefix)]
            shown.append(
                {
                    "record_id": record_id,
                    "source_id": row.get("source_id"),
                    "metric": row.get("metric"),
                    "count": row.get("count"),
                    "url": row.get("canonical_url") or row.get("source_url"),
                    "evidence": evidence[:EXAMPLE_EVIDENCE_CHARS],
                    "why": "; ".join(why)[:EXAMPLE_EVIDENCE_CHARS] or None,
                }
            )
        out[result["name"]] = shown
    return out


def validate_stage(
    store: ObjectStore,
    run: RunContext,
    source_ids: list[str],
    *,
    dag_id: str = "",
    report_title: str = "",
    config: Any = None,
) -> dict[str, Any]:
    """Run the expectation suite on the run's records; quarantine what breaks a critical one.

    Reads the trailing curated partitions for the history warnings, writes the quarantine
    partition, the validation report (GX JSON, HTML, ``summary.json``) and the list of records
    that may land. Returns a small summary for XCom (``summary.json`` also has examples of the
    records behind each broken expectation, for the alert). ``config`` is a
    :class:`~conflict_ingest.validate.ValidationConfig`; None reads it from the environment.
    """
    from conflict_ingest.validate import ValidationConfig, render_report_html, validate_records

    config = config or ValidationConfig.from_env()
    done, missing = completed_sources(store, run, source_ids)
    rows = _load_extracted(store, run, set(done))
    history = read_trailing_history(store, run.day, config.history_days)
    outcome = validate_records(rows, config=config, history=history, sources=done)
    reports = report_prefix(run.day, run.run_id)
    store.put_json(reports + "gx_result.json", outcome.gx_result)
    summary = {
        **outcome.summary(),
        "dag_id": dag_id,
        "run_id": run.run_id,
        "day": run.day.isoformat(),
        "sources_complete": done,
        "sources_incomplete": missing,
        "history_days_read": len(history.days),
        "report_key": reports + "report.html",
        "summary_key": reports + "summary.json",
        "quarantine_prefix": quarantine_partition(run.day),
        "curated_prefix": curated_partition(run.day),
    }
    failures = fetch_failures(store, run)
    summary["fetch_failed"] = len(failures)
    summary["fetch_failures"] = failures[:MAX_FETCH_FAILURES_IN_SUMMARY]
    for sid in done:
        summary["records_by_source"].setdefault(sid, {"total": 0, "passed": 0, "failed": 0, "flagged": 0})
    store.put_json(
        reports + "summary.json", {**summary, "examples": _examples(outcome, EXAMPLES_PER_EXPECTATION)}
    )
    title = report_title or f"Validation of strike counts for {run.day.isoformat()} ({run.run_id})"
    store.put_bytes(
        reports + "report.html",
        render_report_html(outcome, title=title).encode("utf-8"),
        content_type="text/html; charset=utf-8",
    )
    write_quarantine(store, run, _by_source(outcome.failed, done))
    store.put_jsonl_gz(f"{run.work}validated/passed.jsonl.gz", outcome.passed)
    store.put_json(f"{run.work}validated/sources.json", {"complete": done, "incomplete": missing})
    return summary


def write_quarantine(
    store: ObjectStore, run: RunContext, groups: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Replace the day's quarantined parts of these groups; same commit protocol as curated
    (:func:`conflict_ingest.land.write_partition`), so concurrent runs lose nothing here either."""
    from conflict_ingest.land import write_partition

    return write_partition(
        store,
        quarantine_partition(run.day),
        groups,
        day=run.day,
        run_id=run.run_id,
        extra_list_columns=QUARANTINE_EXTRA_COLUMNS,
        enforce_required=False,  # it holds the records that broke the contract, nulls included
    )


# -- land ------------------------------------------------------------------------------------
def land_stage(store: ObjectStore, run: RunContext) -> dict[str, Any]:
    """Replace the day's curated parts of every source that completed: new parts, then the
    manifest committed with a conditional write (safe beside a concurrent landing of the day)."""
    from conflict_ingest.land import write_partition

    sources = store.get_json(f"{run.work}validated/sources.json")
    rows = store.get_jsonl_gz(f"{run.work}validated/passed.jsonl.gz")
    manifest = write_partition(
        store,
        curated_partition(run.day),
        _by_source(rows, sources["complete"]),
        day=run.day,
        run_id=run.run_id,
        manifest_extra={"sources_incomplete": sources["incomplete"]},
    )
    return {
        "manifest_key": curated_partition(run.day) + "_manifest.json",
        "records": manifest["records"],
        "landed_now": len(rows),
    }


# -- gate ------------------------------------------------------------------------------------
def gate(summary: dict[str, Any]) -> dict[str, Any]:
    """Fail (so the run shows it) when records were held back or a source did not complete."""
    problems = []
    if summary.get("failed", 0):
        broken = ", ".join(
            f"{name} ({n})" for name, n in sorted(summary.get("failed_expectations", {}).items())
        )
        problems.append(f"{summary['failed']} record(s) held in quarantine: {broken}")
    if summary.get("sources_incomplete"):
        problems.append("sources that did not complete: " + ", ".join(summary["sources_incomplete"]))
    if problems:
        raise ValidationGateError(
            f"{summary.get('day')}: " + "; ".join(problems) + f". Report: {summary.get('report_key')}"
        )
    return summary
