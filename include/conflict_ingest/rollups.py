"""The tables analysts read first, rebuilt from the curated zone after each landing.

- ``monthly_totals``: per month, actor, metric, location and country, what the records of that month
  say: how many records and sources, the largest stated figure, the sum of the day-level figures
  (distinct days only, so a count restated by several pages is summed once) and the month's
  own stated total when a page gives one.
- ``cross_source``: every (actor, metric, location, period) that several sources report, with
  each source's figure and whether they agree.
- ``source_health``: per night and source, what each stage yielded (URLs discovered, pages fetched
  and failed, pages read for counts, records extracted, landed and held), from the nights' run
  summaries and the committed manifests (:mod:`conflict_ingest.health`; one run per source and night,
  so re-runs of a day never add up).

Vague counts ("several insurgents", qualifier ``vague``) are never added to stated ones: their
``count`` is only a conservative lower bound. ``monthly_totals`` keeps them in columns of their own
(``vague_records``, ``vague_lower_bound``: the sum of their distinct day-level lower bounds), and
every other figure (``max_count``, ``sum_daily_counts``, ``stated_month_total``, ``records``) is
computed from the stated counts alone; ``cross_source`` compares stated counts only.

The first two are small and rebuilt whole from every committed curated partition (partitions without a
manifest, or whose manifest names a part that is missing or differs, are skipped), then written
as single Parquet objects with a manifest written last.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from conflict_ingest import health
from conflict_ingest.contract import Qualifier
from conflict_ingest.storage.keys import CURATED_PREFIX, MANIFEST_NAME, ROLLUPS_PREFIX, curated_partition
from conflict_ingest.storage.partitions import IncompletePartition, attempt_token, read_partition
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)

#: the qualifier whose counts are lower bounds of words ("several"), kept apart from stated counts
VAGUE = Qualifier.VAGUE.value

_DT_RE = re.compile(r"/dt=(\d{4}-\d{2}-\d{2})/")


def committed_days(store: ObjectStore) -> list[dt.date]:
    """Days whose curated partition has a manifest (is complete)."""
    days = set()
    for key in store.list_keys(CURATED_PREFIX + "/"):
        match = _DT_RE.search(key)
        if match and key.endswith("/" + MANIFEST_NAME):
            days.add(dt.date.fromisoformat(match.group(1)))
    return sorted(days)


def load_curated(store: ObjectStore, days: Iterable[dt.date] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for day in committed_days(store) if days is None else days:
        try:
            rows.extend(read_partition(store, curated_partition(day)))
        except IncompletePartition as exc:  # no manifest, or a part missing or not matching it
            logger.warning("skipping %s: %s", day, exc)
    return rows


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _whole_month(start: dt.date, end: dt.date) -> bool:
    following = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start.day == 1 and end == following - dt.timedelta(days=1) and start.month == end.month


def _is_vague(row: dict[str, Any]) -> bool:
    return row.get("qualifier") == VAGUE


def monthly_totals(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (month, actor, metric, location, country) for records whose period lies within one
    month; vague counts only in ``vague_records`` and ``vague_lower_bound``."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        start, end = r.get("period_start"), r.get("period_end")
        if start is None or end is None or (start.year, start.month) != (end.year, end.month):
            continue
        groups[(_month(start), r.get("actor"), r["metric"], r.get("location"), r.get("country"))].append(r)
    out = []
    for (month, actor, metric, location, country), members in sorted(
        groups.items(), key=lambda kv: str(kv[0])
    ):
        exact = [m for m in members if not _is_vague(m)]
        vague = [m for m in members if _is_vague(m)]
        daily = {(m["period_start"], m["count"]) for m in exact if m["period_start"] == m["period_end"]}
        stated = [m["count"] for m in exact if _whole_month(m["period_start"], m["period_end"])]
        vague_daily = {(m["period_start"], m["count"]) for m in vague if m["period_start"] == m["period_end"]}
        out.append(
            {
                "month": month,
                "actor": actor,
                "metric": metric,
                "location": location,
                "country": country,
                "records": len(exact),
                "sources": len({m["source_id"] for m in members}),
                "max_count": max((m["count"] for m in exact), default=None),
                "sum_daily_counts": sum(count for _, count in daily) if daily else None,
                "days_with_daily_counts": len({day for day, _ in daily}),
                "stated_month_total": max(stated) if stated else None,
                "vague_records": len(vague),
                "vague_lower_bound": sum(count for _, count in vague_daily) if vague_daily else None,
            }
        )
    return out


def cross_source(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Statements (actor, metric, location, period) reported by more than one source, and whether they agree."""
    groups: dict[tuple[Any, ...], dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for r in rows:
        if _is_vague(r):  # a lower bound of words neither agrees nor disagrees with a stated figure
            continue
        key = (r.get("actor"), r["metric"], r.get("location"), r.get("period_start"), r.get("period_end"))
        groups[key][r["source_id"]].add(r["count"])
    out = []
    for (actor, metric, location, start, end), by_source in sorted(groups.items(), key=lambda kv: str(kv[0])):
        if len(by_source) < 2:
            continue
        counts = sorted({c for cs in by_source.values() for c in cs})
        out.append(
            {
                "actor": actor,
                "metric": metric,
                "location": location,
                "period_start": start,
                "period_end": end,
                "sources": sorted(by_source),
                "counts": [
                    f"{sid}={'/'.join(str(c) for c in sorted(cs))}" for sid, cs in sorted(by_source.items())
                ],
                "min_count": counts[0],
                "max_count": counts[-1],
                "agree": len(counts) == 1,
            }
        )
    return out


def _parquet(rows: list[dict[str, Any]], columns: list[str], schema: Any = None) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if schema is not None:
        table = pa.Table.from_pylist(rows, schema=schema)
    elif rows:
        table = pa.Table.from_pylist(rows)
    else:
        table = pa.table({c: pa.array([], pa.string()) for c in columns})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


# The rollups' columns (an empty table is written with these). Their keys are fields of the record
# contract; the rest are what each rollup computes, not record fields.
MONTHLY_KEY_FIELDS: tuple[str, ...] = ("actor", "metric", "location", "country")
MONTHLY_VALUE_COLUMNS: tuple[str, ...] = (
    "records",
    "sources",
    "max_count",
    "sum_daily_counts",
    "days_with_daily_counts",
    "stated_month_total",
    "vague_records",
    "vague_lower_bound",
)
CROSS_KEY_FIELDS: tuple[str, ...] = ("actor", "metric", "location", "period_start", "period_end")
CROSS_VALUE_COLUMNS: tuple[str, ...] = ("sources", "counts", "min_count", "max_count", "agree")
MONTHLY_COLUMNS = ["month", *MONTHLY_KEY_FIELDS, *MONTHLY_VALUE_COLUMNS]
CROSS_COLUMNS = [*CROSS_KEY_FIELDS, *CROSS_VALUE_COLUMNS]
HEALTH_COLUMNS = list(health.HEALTH_COLUMNS)


def health_schema() -> Any:
    """The ``source_health`` table's Arrow schema (typed even when it has no row)."""
    import pyarrow as pa

    types = {"day": pa.date32(), "source_id": pa.string(), "complete": pa.bool_(), "run_id": pa.string()}
    return pa.schema([(name, types.get(name, pa.int64())) for name in HEALTH_COLUMNS])


def _replace_table(
    store: ObjectStore, prefix: str, data: bytes, rows: int, token: str, days: list[dt.date]
) -> dict[str, Any]:
    """Write a rollup table under a new key, then point its manifest at it, then drop the old part.

    The manifest is never deleted: a reader always finds the previous table or the new one, whole."""
    previous = store.get_json_or_none(prefix + MANIFEST_NAME) or {}
    key = f"{prefix}part-{token}.parquet"
    store.put_bytes(key, data, content_type="application/vnd.apache.parquet")
    store.put_json(
        prefix + MANIFEST_NAME,
        {
            "parts": [{"key": key, "rows": rows, "sha256": hashlib.sha256(data).hexdigest()}],
            "rows": rows,
            "built_from_days": [d.isoformat() for d in days],
        },
    )
    store.delete([p["key"] for p in previous.get("parts", []) if p.get("key") != key])
    return {"key": key, "rows": rows}


ROLLUP_TABLES = ("monthly_totals", "cross_source", "source_health")


def read_rollup(store: ObjectStore, name: str) -> list[dict[str, Any]]:
    """The rows of a rollup table (one of :data:`ROLLUP_TABLES`) as its manifest names them;
    an empty list when it was never built. Raises IncompletePartition when the part is missing or
    differs from the manifest."""
    import pyarrow.parquet as pq

    manifest = store.get_json_or_none(f"{ROLLUPS_PREFIX}/{name}/{MANIFEST_NAME}")
    if manifest is None:
        return []
    rows: list[dict[str, Any]] = []
    for part in manifest["parts"]:
        data = store.get_bytes_or_none(part["key"])
        if data is None or ("sha256" in part and hashlib.sha256(data).hexdigest() != part["sha256"]):
            raise IncompletePartition(
                f"rollup {name}: part {part['key']} is missing or differs from its manifest"
            )
        rows.extend(pq.read_table(io.BytesIO(data)).to_pylist())
    return rows


def build_rollups(store: ObjectStore) -> dict[str, Any]:
    """Rebuild the rollups: the monthly and cross-source tables from every committed curated partition,
    the per-source health from every night's run summaries and manifests; returns their keys and sizes."""
    days = committed_days(store)
    rows = load_curated(store, days)
    tables = {
        "monthly_totals": (monthly_totals(rows), MONTHLY_COLUMNS),
        "cross_source": (cross_source(rows), CROSS_COLUMNS),
    }
    summary: dict[str, Any] = {"curated_days": len(days), "curated_records": len(rows)}
    token = attempt_token("rollups")
    for name, (table, columns) in tables.items():
        prefix = f"{ROLLUPS_PREFIX}/{name}/"
        summary[name] = _replace_table(store, prefix, _parquet(table, columns), len(table), token, days)
    nights = health.health_days(store)
    health_table = health.health_rows(store, nights)
    summary["source_health"] = _replace_table(
        store,
        f"{ROLLUPS_PREFIX}/source_health/",
        _parquet(health_table, HEALTH_COLUMNS, health_schema()),
        len(health_table),
        token,
        nights,
    )
    disagreements = sum(1 for r in tables["cross_source"][0] if not r["agree"])
    summary["cross_source_disagreements"] = disagreements
    logger.info("rollups rebuilt from %d records over %d days", len(rows), len(days))
    return summary
