"""Landing records as Parquet partitions: one per data interval, committed by its manifest.

A partition is what its ``_manifest.json`` lists: parts (key, group, rows, sha256). Several runs
may land the same day at once (overlapping nightly runs, a backfill, manual runs), so:

1. **Parts are immutable and named per attempt**: ``part-<group>-<token>-<index>.parquet``, the
   token a short hash of the run id plus a random nonce. No attempt ever overwrites another's part.
2. **The manifest is committed with optimistic concurrency**: read it with its ETag, merge (keep
   the parts other groups have in *that* manifest, replace only this call's groups, and drop rows
   another group already landed: one row per ``record_id``), then write it with an S3 conditional
   PUT (``If-Match: <etag>``, or ``If-None-Match: *`` when there is none). If another commit won
   (412/409), re-read the latest manifest, re-merge (rewriting this attempt's parts if the dedup
   changed them) and retry, a bounded number of times with jittered backoff. The manifest is
   never deleted: readers always see the last committed manifest, a consistent snapshot.
3. **Cleanup deletes only what a committed manifest no longer lists**: after a commit, the parts
   of this call's groups that the replaced version listed and the new one does not. A key merely
   absent from a manifest may be another attempt's part, written but not yet committed; such
   orphans (left by crashed attempts) are collected only once older than :data:`ORPHAN_MIN_AGE`,
   and an attempt older than :data:`MAX_ATTEMPT_AGE` never commits, so no committed part is ever
   collected.
4. **Readers verify**: :func:`read_partition` checks that every listed part exists with its
   sha256 and row count and raises :class:`IncompletePartition` otherwise (after re-reading the
   manifest once, as a newer commit may have replaced a part between the two reads).

Each manifest keeps a short log of the attempts that committed (``commits``), so an attempt whose
commit succeeded but whose answer was lost never commits twice.

**Bounded memory**: a group's rows may be given as a list or as a :data:`RowSource` (a callable
returning a fresh iterator of the rows, called again when a retry must rewrite the parts). Parts
are streamed with pyarrow's ``ParquetWriter``, :data:`ROW_GROUP_ROWS` rows at a time (one row group
each), so landing never holds more than a row group of records, whatever the night's size. Readers
that need a few columns only (:func:`fold_committed`) read a committed partition part by part.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import logging
import random
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from conflict_ingest.contract import (
    ABSENT_VALUES,
    ARROW_DATE,
    ARROW_STRING_LIST,
    ARROW_TIMESTAMP,
    FIELD_NAMES,
    FIELDS,
    arrow_type,
    fields_of,
)
from conflict_ingest.errors import ConflictIngestError
from conflict_ingest.records import EXTRACTOR_VERSION
from conflict_ingest.storage.keys import MANIFEST_NAME
from conflict_ingest.storage.store import ConcurrentUpdate, ObjectStore

logger = logging.getLogger(__name__)

PARQUET_COMPRESSION = "zstd"
MAX_ROWS_PER_PART = 100_000
#: rows converted to Arrow and written at a time: one row group of a part (the writer's memory bound)
ROW_GROUP_ROWS = 2_000

#: a group's rows without holding them: each call returns a fresh iterator over them, in landing order
RowSource = Callable[[], Iterable[dict[str, Any]]]
T = TypeVar("T")

#: commit attempts of one landing before it gives up (each re-reads and re-merges the manifest)
COMMIT_ATTEMPTS = 12
#: jittered exponential backoff between commit attempts: uniform(0, min(cap, base * 2**attempt))
BACKOFF_BASE_S = 0.05
BACKOFF_CAP_S = 2.0
#: an attempt that has not committed this long after it started never commits (it gives up)...
MAX_ATTEMPT_AGE = dt.timedelta(hours=6)
#: ...so an unlisted part older than this (clock skew included) belongs to no live attempt
ORPHAN_MIN_AGE = dt.timedelta(hours=48)
#: attempts remembered in a manifest's ``commits`` log
COMMIT_LOG_LENGTH = 32

_JITTER = random.SystemRandom()


class IncompletePartition(ConflictIngestError, RuntimeError):
    """A partition that is not committed: no manifest yet, or one naming a part that is missing
    or differs from it. Readers treat it as "not committed", never as data."""


class DamagedPartition(IncompletePartition):
    """A manifest exists but a part it lists is missing, or its sha256 or row count differ."""


class LandingConflict(ConflictIngestError, RuntimeError):
    """A landing that could not commit its manifest (too many concurrent commits, or too old)."""


def arrow_schema(extra_list_columns: tuple[str, ...] = (), *, enforce_required: bool = True) -> Any:
    """The Parquet schema of a partition: the contract's fields (:data:`conflict_ingest.contract.FIELDS`)
    with their Arrow types, then ``extra_list_columns`` (lists of strings).

    With ``enforce_required`` (the curated zone), a required field is not-null in Arrow too, so a
    null there fails the write instead of landing. The quarantine zone holds the records that broke
    the contract (a null title, a missing field), so it passes ``enforce_required=False``: every
    field nullable, nothing it must keep is refused.
    """
    import pyarrow as pa

    fields = [
        pa.field(f.name, arrow_type(f.arrow), nullable=not (enforce_required and f.required)) for f in FIELDS
    ]
    fields += [pa.field(name, pa.list_(pa.string())) for name in extra_list_columns]
    return pa.schema(fields)


def coerce_row(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-decoded rows carry ISO strings; Arrow wants dates and datetimes."""
    out = dict(row)
    for name in fields_of(ARROW_TIMESTAMP):
        value = out.get(name)
        if isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value)
            out[name] = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            out[name] = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    for name in fields_of(ARROW_DATE):
        value = out.get(name)
        if isinstance(value, str):
            out[name] = dt.date.fromisoformat(value[:10])
    for name in fields_of(ARROW_STRING_LIST):
        out[name] = list(out.get(name) or [])
    return out


def to_parquet_bytes(
    rows: list[dict[str, Any]], extra_list_columns: tuple[str, ...] = (), *, enforce_required: bool = True
) -> bytes:
    import pyarrow.parquet as pq

    schema = arrow_schema(extra_list_columns, enforce_required=enforce_required)
    table = _arrow_table(rows, schema)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=PARQUET_COMPRESSION)
    return sink.getvalue()


def _arrow_table(rows: Iterable[dict[str, Any]], schema: Any) -> Any:
    import pyarrow as pa

    coerced = [coerce_row(r) for r in rows]
    return pa.Table.from_pylist(
        [{name: r.get(name) for name in schema.names} for r in coerced], schema=schema
    )


def _chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def stream_parquet_parts(
    rows: Iterable[dict[str, Any]],
    extra_list_columns: tuple[str, ...] = (),
    *,
    enforce_required: bool = True,
    rows_per_part: int | None = None,
    row_group_rows: int | None = None,
) -> Iterator[tuple[bytes, int]]:
    """Parquet files of at most ``rows_per_part`` rows each (:data:`MAX_ROWS_PER_PART`), written
    ``row_group_rows`` rows (one row group, :data:`ROW_GROUP_ROWS`) at a time into a temporary file:
    ``(file bytes, rows)`` per part. Only one row group of records and one part's compressed bytes
    are held at once."""
    import pyarrow.parquet as pq

    rows_per_part = rows_per_part or MAX_ROWS_PER_PART
    row_group_rows = row_group_rows or ROW_GROUP_ROWS

    schema = arrow_schema(extra_list_columns, enforce_required=enforce_required)
    remaining = iter(rows)
    while True:
        chunks = _chunks(itertools.islice(remaining, rows_per_part), row_group_rows)
        chunk = next(chunks, None)
        if chunk is None:
            return
        with tempfile.TemporaryFile() as sink:
            written = 0
            with pq.ParquetWriter(sink, schema, compression=PARQUET_COMPRESSION) as writer:
                while chunk is not None:
                    writer.write_table(_arrow_table(chunk, schema), row_group_size=row_group_rows)
                    written += len(chunk)
                    chunk = next(chunks, None)
            sink.seek(0)
            yield sink.read(), written


def attempt_token(run_id: str) -> str:
    """Unique per landing attempt: 6 hex of the run id's hash (to tell runs apart) + a random nonce."""
    return hashlib.sha256(run_id.encode("utf-8")).hexdigest()[:6] + secrets.token_hex(5)


def part_key(prefix: str, group: str, token: str, index: int) -> str:
    return f"{prefix}part-{group}-{token}-{index:05d}.parquet"


def write_partition(
    store: ObjectStore,
    prefix: str,
    groups: Mapping[str, list[dict[str, Any]] | RowSource],
    *,
    day: dt.date,
    run_id: str,
    extra_list_columns: tuple[str, ...] = (),
    manifest_extra: dict[str, Any] | None = None,
    enforce_required: bool = True,
) -> dict[str, Any]:
    """Replace, in the partition under ``prefix``, the parts of each group (source) in ``groups``.

    A group's rows are a list (landed sorted by ``record_id``) or a :data:`RowSource` (landed in the
    order it gives them, streamed: see the module docstring).

    Groups not named here keep the parts the latest manifest lists: a source that failed tonight
    does not wipe what an earlier (or concurrent) run landed for it. A record another group has
    already landed here is not landed twice. Safe to call concurrently for the same partition
    (see the module docstring). Returns the manifest committed; raises :class:`LandingConflict`
    when it could not commit (nothing of this call is then visible). ``enforce_required=False``
    (the quarantine zone) lets the contract's required fields be null (see :func:`arrow_schema`).
    """
    manifest_key = prefix + MANIFEST_NAME
    token = attempt_token(run_id)
    started = time.monotonic()
    ordered = {g: _row_source(rows) for g, rows in groups.items()}
    ids_cache: dict[str, set[str]] = {}  # record ids of (immutable) parts
    # group -> (the other groups' record ids its rows were filtered against, its parts): the same
    # rows filtered against the same ids give the same parts, which need no rewrite
    ours: dict[str, tuple[frozenset[str], list[dict[str, Any]]]] = {}
    discarded: list[str] = []  # our parts written, superseded by a rewrite before any commit
    written: list[str] = []
    next_index = 0
    # True from a commit request until a manifest read shows it did not commit: a refusal (412)
    # may answer botocore's retry of a request that did commit, its answer lost on the way.
    outcome_unknown = False
    try:
        for attempt in range(COMMIT_ATTEMPTS):
            latest, etag = _read_manifest_for_update(store, manifest_key)
            if _committed(latest, token):
                # an earlier request committed, its answer was lost: never commit twice
                logger.info("attempt %s on %s had already committed", token, prefix)
                return dict(latest or {})
            outcome_unknown = False
            previous_parts = list((latest or {}).get("parts", []))
            kept = [p for p in previous_parts if p.get("group") not in groups]
            # A record another group already landed here (the same page read by a manual run and by a
            # configured source) is not landed twice: one partition, one row per record_id.
            try:
                landed = _record_ids(store, kept, ids_cache)
            except DamagedPartition:
                if store.get_json_with_etag(manifest_key)[1] != etag:
                    continue  # replaced (and cleaned up) by a newer commit since we read it
                raise
            landed_ids = frozenset(landed)
            for group in sorted(ordered):
                if group in ours and ours[group][0] == landed_ids:
                    continue  # parts already written for exactly these rows
                if group in ours:
                    discarded.extend(p["key"] for p in ours[group][1])
                rows = (r for r in ordered[group]() if str(r.get("record_id")) not in landed_ids)
                parts = []
                for data, count in stream_parquet_parts(
                    rows, extra_list_columns, enforce_required=enforce_required
                ):
                    key = part_key(prefix, group, token, next_index)
                    next_index += 1
                    written.append(key)
                    store.put_bytes(key, data, content_type="application/vnd.apache.parquet")
                    parts.append(
                        {
                            "key": key,
                            "group": group,
                            "rows": count,
                            "sha256": hashlib.sha256(data).hexdigest(),
                            "run_id": run_id,
                        }
                    )
                ours[group] = (landed_ids, parts)
            new_parts = [p for g in sorted(ours) for p in ours[g][1]]
            manifest = _manifest(
                prefix, day, run_id, token, sorted(groups), [*new_parts, *kept], latest, manifest_extra
            )
            if dt.timedelta(seconds=time.monotonic() - started) > MAX_ATTEMPT_AGE:
                raise LandingConflict(
                    f"{prefix}: landing attempt {token} is older than {MAX_ATTEMPT_AGE}; "
                    "its parts may be collected as orphans, so it does not commit"
                )
            try:
                outcome_unknown = True
                store.put_json_if(manifest_key, manifest, etag=etag)
            except ConcurrentUpdate as exc:
                delay = _JITTER.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))
                logger.info("%s; re-merging (attempt %d, backoff %.3f s)", exc, attempt + 1, delay)
                time.sleep(delay)
                continue
            listed = {p["key"] for p in manifest["parts"]}
            superseded = [
                p["key"] for p in previous_parts if p.get("group") in groups and p["key"] not in listed
            ]
            _cleanup(store, prefix, [*superseded, *discarded])
            orphans = collect_orphans(store, prefix, listed=listed, best_effort=True)
            logger.info(
                "landed %d rows in %s (%d new parts, %d kept, %d superseded and %d orphan parts removed, "
                "commit attempt %d)",
                manifest["records"],
                prefix,
                len(new_parts),
                len(kept),
                len(superseded),
                len(orphans),
                attempt + 1,
            )
            return manifest
        latest, _ = _read_manifest_for_update(store, manifest_key)
        if _committed(latest, token):
            return dict(latest or {})
        outcome_unknown = False
        raise LandingConflict(f"{prefix}: manifest still changing after {COMMIT_ATTEMPTS} commit attempts")
    except BaseException:
        # Nothing of this attempt is committed (unless a commit request's outcome is unknown):
        # its parts are ours alone, so they can go now rather than wait for orphan collection.
        if not outcome_unknown:
            _cleanup(store, prefix, written)
        raise


def _row_source(rows: list[dict[str, Any]] | RowSource) -> RowSource:
    if callable(rows):
        return rows
    ordered = sorted(rows, key=lambda r: str(r.get("record_id")))
    return lambda: ordered


def _read_manifest_for_update(
    store: ObjectStore, manifest_key: str
) -> tuple[dict[str, Any] | None, str | None]:
    try:
        manifest, etag = store.get_json_with_etag(manifest_key)
    except ValueError as exc:
        raise DamagedPartition(f"{manifest_key} is not valid JSON: refusing to replace it") from exc
    if manifest is not None and not isinstance(
        manifest.get("parts") if isinstance(manifest, dict) else None, list
    ):
        raise DamagedPartition(f"{manifest_key} lists no parts: refusing to replace it")
    return manifest, etag


def _committed(manifest: dict[str, Any] | None, token: str) -> bool:
    return any(c.get("attempt") == token for c in (manifest or {}).get("commits", []))


def _manifest(
    prefix: str,
    day: dt.date,
    run_id: str,
    token: str,
    groups: list[str],
    parts: list[dict[str, Any]],
    previous: dict[str, Any] | None,
    extra: dict[str, Any] | None,
) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).isoformat()
    log = [
        *(previous or {}).get("commits", []),
        {"attempt": token, "run_id": run_id, "at": now, "groups": groups},
    ]
    return {
        "partition": prefix,
        "dt": day.isoformat(),
        "run_id": run_id,
        "records": sum(p["rows"] for p in parts),
        "parts": sorted(parts, key=lambda p: p["key"]),
        "extractor_version": EXTRACTOR_VERSION,
        "written_at": now,
        "commits": log[-COMMIT_LOG_LENGTH:],
        **(extra or {}),
    }


def _cleanup(store: ObjectStore, prefix: str, keys: list[str]) -> None:
    """Best effort: what is deleted here is listed by no committed manifest; if the delete fails,
    orphan collection removes it later."""
    if not keys:
        return
    try:
        store.delete(sorted(set(keys)))
    except Exception:
        logger.warning(
            "could not delete %d unlisted part(s) under %s; left for orphan collection",
            len(keys),
            prefix,
            exc_info=True,
        )


def collect_orphans(
    store: ObjectStore,
    prefix: str,
    *,
    listed: Iterable[str] | None = None,
    min_age: dt.timedelta = ORPHAN_MIN_AGE,
    best_effort: bool = False,
) -> list[str]:
    """Delete the parts under ``prefix`` that the committed manifest does not list and that are
    older than ``min_age``: left by attempts that crashed before committing. Returns their keys.

    Safe with the default age: an attempt never commits parts older than :data:`MAX_ATTEMPT_AGE`.
    A smaller ``min_age`` is only safe when no landing of the partition is under way.
    """
    try:
        if listed is None:
            manifest, _ = _read_manifest_for_update(store, prefix + MANIFEST_NAME)
            listed = [p["key"] for p in (manifest or {}).get("parts", [])]
        keep = set(listed)
        cutoff = dt.datetime.now(dt.UTC) - min_age
        orphans = [
            key
            for key, modified in store.list_objects(prefix)
            if key not in keep
            and "/" not in key[len(prefix) :]
            and key[len(prefix) :].startswith("part-")
            and key.endswith(".parquet")
            and modified <= cutoff
        ]
        if orphans:
            logger.info("collecting %d orphan part(s) under %s", len(orphans), prefix)
            store.delete(orphans)
    except Exception:
        if not best_effort:
            raise
        logger.warning(
            "orphan collection under %s failed; retried on the next landing", prefix, exc_info=True
        )
        return []
    return orphans


def _record_ids(
    store: ObjectStore, parts: list[dict[str, Any]], cache: dict[str, set[str]] | None = None
) -> set[str]:
    import pyarrow.parquet as pq

    cache = {} if cache is None else cache
    ids: set[str] = set()
    for part in parts:
        key = part["key"]
        if key not in cache:
            data = store.get_bytes_or_none(key)
            if data is None:
                raise DamagedPartition(f"{key}, listed by the committed manifest, is missing")
            table = pq.read_table(io.BytesIO(data), columns=["record_id"])
            cache[key] = {str(v) for v in table.column("record_id").to_pylist()}
        ids |= cache[key]
    return ids


def read_partition(store: ObjectStore, prefix: str) -> list[dict[str, Any]]:
    """Rows of a committed partition; raises :class:`IncompletePartition` when it has no manifest
    or a listed part is missing or differs from the manifest (sha256, row count)."""
    return read_committed(store, prefix)[1]


def read_committed(store: ObjectStore, prefix: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The committed manifest and its rows, every part checked against it (see :func:`read_partition`)."""
    manifest_key = prefix + MANIFEST_NAME
    manifest, etag = _read_manifest(store, manifest_key)
    try:
        return manifest, _read_parts(store, manifest)
    except DamagedPartition:
        # a newer commit may have replaced (and cleaned up) a part between the two reads
        latest, latest_etag = _read_manifest(store, manifest_key)
        if latest_etag == etag:
            raise
    return latest, _read_parts(store, latest)


def fold_committed(
    store: ObjectStore,
    prefix: str,
    fold: Callable[[dict[str, Any], Iterator[dict[str, Any]]], T],
    *,
    columns: Iterable[str] | None = None,
) -> T:
    """``fold(manifest, rows)`` over a committed partition read part by part (only ``columns`` when
    given), every part checked as :func:`read_committed` checks it: nothing of the partition is held
    but one part. Raises :class:`IncompletePartition`/:class:`DamagedPartition` as it does; ``fold``
    is called again (on the newer snapshot) when a commit replaced a part between the reads, so it
    must start afresh on each call."""
    manifest_key = prefix + MANIFEST_NAME
    manifest, etag = _read_manifest(store, manifest_key)
    wanted = list(columns) if columns is not None else None
    try:
        return fold(manifest, _iter_parts(store, manifest, wanted))
    except DamagedPartition:
        latest, latest_etag = _read_manifest(store, manifest_key)
        if latest_etag == etag:
            raise
    return fold(latest, _iter_parts(store, latest, wanted))


def _iter_parts(
    store: ObjectStore, manifest: dict[str, Any], columns: list[str] | None
) -> Iterator[dict[str, Any]]:
    for part in manifest["parts"]:
        yield from _part_rows(store, part, columns)


def _part_rows(
    store: ObjectStore, part: dict[str, Any], columns: list[str] | None = None
) -> list[dict[str, Any]]:
    """The rows of one listed part, checked against the manifest (exists, sha256, row count)."""
    import pyarrow.parquet as pq

    key = part.get("key")
    data = store.get_bytes_or_none(key) if isinstance(key, str) else None
    if data is None:
        raise DamagedPartition(f"{key}, listed by the manifest, is missing: partition not committed whole")
    if hashlib.sha256(data).hexdigest() != part.get("sha256"):
        raise DamagedPartition(f"{key} does not match the manifest's sha256: partition not readable")
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        rows_in_file = parquet.metadata.num_rows
        present = set(parquet.schema_arrow.names)
        wanted = [c for c in columns if c in present] if columns is not None else None
        table = parquet.read(columns=wanted)
    except Exception as exc:  # pyarrow raises ArrowInvalid and others on a damaged file
        raise DamagedPartition(f"{key} is not readable Parquet: {exc}") from exc
    if rows_in_file != part.get("rows"):
        raise DamagedPartition(
            f"{key} holds {rows_in_file} rows, the manifest says {part.get('rows')}: partition not readable"
        )
    # a part written before a contract field existed reads it as the field's ``absent`` value (null,
    # or false for ``released_by_reviewer``): fields are only ever added
    expected = list(columns) if columns is not None else list(FIELD_NAMES)
    missing = {name: ABSENT_VALUES.get(name) for name in expected if name not in table.column_names}
    rows = table.to_pylist()
    for row in rows:
        row.update(missing)
    return rows


def _read_manifest(store: ObjectStore, manifest_key: str) -> tuple[dict[str, Any], str | None]:
    try:
        manifest, etag = store.get_json_with_etag(manifest_key)
    except ValueError as exc:
        raise DamagedPartition(f"{manifest_key} is not valid JSON: partition not readable") from exc
    if manifest is None:
        raise IncompletePartition(
            f"{manifest_key.removesuffix(MANIFEST_NAME)} has no {MANIFEST_NAME}: not committed"
        )
    if not isinstance(manifest, dict) or not isinstance(manifest.get("parts"), list):
        raise DamagedPartition(f"{manifest_key} lists no parts: partition not readable")
    return manifest, etag


def _read_parts(store: ObjectStore, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for part in manifest["parts"]:
        rows.extend(_part_rows(store, part))
    return rows
