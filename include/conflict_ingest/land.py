"""Landing records as Parquet partitions: one per data interval, replaced on re-run, manifest last.

A partition is complete only when its ``_manifest.json`` exists and lists its parts; readers
(:func:`read_partition`) refuse a partition without one. Re-landing a day first removes the
manifest, then writes the new parts, deletes parts the new manifest does not list, and writes
the manifest last, so a crash half-way leaves a partition that is visibly incomplete, never a
mix of old and new rows that looks whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from typing import Any

from conflict_ingest.records import EXTRACTOR_VERSION, RECORD_FIELDS
from conflict_ingest.storage import MANIFEST_NAME, ObjectStore

logger = logging.getLogger(__name__)

PARQUET_COMPRESSION = "zstd"
MAX_ROWS_PER_PART = 100_000


class IncompletePartition(RuntimeError):
    """A partition without a manifest (still being written, or a write that failed)."""


def arrow_schema(extra_list_columns: tuple[str, ...] = ()) -> Any:
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    types: dict[str, Any] = {
        "record_id": pa.string(),
        "source_id": pa.string(),
        "source_url": pa.string(),
        "canonical_url": pa.string(),
        "title": pa.string(),
        "published_at": ts,
        "fetched_at": ts,
        "raw_key": pa.string(),
        "content_sha256": pa.string(),
        "extractor_version": pa.string(),
        "metric": pa.string(),
        "count": pa.int64(),
        "qualifier": pa.string(),
        "victim": pa.string(),
        "actor": pa.string(),
        "target": pa.string(),
        "location": pa.string(),
        "period_start": pa.date32(),
        "period_end": pa.date32(),
        "evidence": pa.string(),
        "flags": pa.list_(pa.string()),
    }
    required = {"record_id", "metric", "count"}
    fields = [pa.field(name, types[name], nullable=name not in required) for name in RECORD_FIELDS]
    fields += [pa.field(name, pa.list_(pa.string())) for name in extra_list_columns]
    return pa.schema(fields)


def coerce_row(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-decoded rows carry ISO strings; Arrow wants dates and datetimes."""
    out = dict(row)
    for name in ("published_at", "fetched_at"):
        value = out.get(name)
        if isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value)
            out[name] = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            out[name] = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    for name in ("period_start", "period_end"):
        value = out.get(name)
        if isinstance(value, str):
            out[name] = dt.date.fromisoformat(value[:10])
    out["flags"] = list(out.get("flags") or [])
    return out


def to_parquet_bytes(rows: list[dict[str, Any]], extra_list_columns: tuple[str, ...] = ()) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(extra_list_columns)
    coerced = [coerce_row(r) for r in rows]
    table = pa.Table.from_pylist(
        [{name: r.get(name) for name in schema.names} for r in coerced], schema=schema
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=PARQUET_COMPRESSION)
    return sink.getvalue()


def part_key(prefix: str, group: str, index: int) -> str:
    return f"{prefix}part-{group}-{index:05d}.parquet"


def write_partition(
    store: ObjectStore,
    prefix: str,
    groups: dict[str, list[dict[str, Any]]],
    *,
    day: dt.date,
    run_id: str,
    extra_list_columns: tuple[str, ...] = (),
    manifest_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Replace, in the partition under ``prefix``, the parts of each group (source) in ``groups``.

    Groups not named here keep the parts the previous manifest listed: a source that failed
    tonight does not wipe what an earlier run landed for it. Returns the manifest written.
    """
    manifest_key = prefix + MANIFEST_NAME
    previous = store.get_json(manifest_key) if store.exists(manifest_key) else None
    kept = [p for p in (previous or {}).get("parts", []) if p.get("group") not in groups]
    # A record another group already landed here (the same page read by a manual run and by a
    # configured source) is not landed twice: one partition, one row per record_id.
    landed = _record_ids(store, kept)
    groups = {g: [r for r in rows if str(r.get("record_id")) not in landed] for g, rows in groups.items()}
    # 1. uncommit the partition, so nobody reads a mix of old and new parts as complete
    store.delete([manifest_key])
    # 2. write the new parts (deterministic names and order: same rows -> same objects)
    parts: list[dict[str, Any]] = []
    for group in sorted(groups):
        rows = sorted(groups[group], key=lambda r: str(r.get("record_id")))
        for index, start in enumerate(range(0, len(rows), MAX_ROWS_PER_PART)):
            chunk = rows[start : start + MAX_ROWS_PER_PART]
            data = to_parquet_bytes(chunk, extra_list_columns)
            key = part_key(prefix, group, index)
            store.put_bytes(key, data, content_type="application/vnd.apache.parquet")
            parts.append(
                {"key": key, "group": group, "rows": len(chunk), "sha256": hashlib.sha256(data).hexdigest()}
            )
    parts.extend(kept)
    # 3. drop whatever an earlier run left that the new manifest does not list
    listed = {p["key"] for p in parts}
    stale = [k for k in store.list_keys(prefix) if k not in listed and k != manifest_key]
    store.delete(stale)
    # 4. commit
    manifest = {
        "partition": prefix,
        "dt": day.isoformat(),
        "run_id": run_id,
        "records": sum(p["rows"] for p in parts),
        "parts": sorted(parts, key=lambda p: p["key"]),
        "extractor_version": EXTRACTOR_VERSION,
        "written_at": dt.datetime.now(dt.UTC).isoformat(),
        **(manifest_extra or {}),
    }
    store.put_json(manifest_key, manifest)
    logger.info(
        "landed %d rows in %s (%d new parts, %d kept, %d stale removed)",
        manifest["records"],
        prefix,
        len(parts) - len(kept),
        len(kept),
        len(stale),
    )
    return manifest


def _record_ids(store: ObjectStore, parts: list[dict[str, Any]]) -> set[str]:
    import pyarrow.parquet as pq

    ids: set[str] = set()
    for part in parts:
        table = pq.read_table(io.BytesIO(store.get_bytes(part["key"])), columns=["record_id"])
        ids.update(str(v) for v in table.column("record_id").to_pylist())
    return ids


def read_partition(store: ObjectStore, prefix: str) -> list[dict[str, Any]]:
    """Rows of a committed partition; raises IncompletePartition when it has no manifest."""
    import pyarrow.parquet as pq

    manifest_key = prefix + MANIFEST_NAME
    if not store.exists(manifest_key):
        raise IncompletePartition(f"{prefix} has no {MANIFEST_NAME}: not committed")
    manifest = store.get_json(manifest_key)
    rows: list[dict[str, Any]] = []
    for part in manifest["parts"]:
        table = pq.read_table(io.BytesIO(store.get_bytes(part["key"])))
        rows.extend(table.to_pylist())
    return rows
