"""Task ``land``: the records that passed into the day's curated partition, streamed."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.storage import keys
from conflict_ingest.storage.keys import curated_partition
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)


def land_stage(store: ObjectStore, run: RunContext) -> dict[str, Any]:
    """Replace the day's curated parts of every source that completed: new parts, then the
    manifest committed with a conditional write (safe beside a concurrent landing of the day).

    Each source's part is written from its batches' ``validated/passed/`` objects, then the held
    records a reviewer released (stored decisions, :mod:`conflict_ingest.review`: a re-run or backfill
    of a reviewed day keeps them), one object and one row group at a time (:func:`~conflict_ingest.storage.partitions.write_partition` with a
    ``RowSource``): landing never holds the night's records."""
    from conflict_ingest.review.decisions import load_decisions
    from conflict_ingest.review.stage import held_keys
    from conflict_ingest.storage.partitions import write_partition

    sources = store.get_json(keys.validated_sources_key(run.work))
    # reviewers' stored decisions on the day's held records: the released ones land too, flagged
    decisions = load_decisions(store, run.day)
    held = held_keys(store, run) if any(d.released for d in decisions.values()) else {}
    if "passed" in sources:
        groups = {
            sid: _rows_of(store, sources["passed"].get(sid, []), held.get(sid, []), decisions)
            for sid in sources["complete"]
        }
        landed_now = int(sources.get("passed_records", 0))
    else:  # validated before per-batch validation: one object for the run
        from conflict_ingest.pipeline.validate import by_source

        rows = store.get_jsonl_gz(keys.validated_passed_key(run.work))
        groups = dict(by_source(rows, sources["complete"]))
        landed_now = len(rows)
    manifest = write_partition(
        store,
        curated_partition(run.day),
        groups,
        day=run.day,
        run_id=run.run_id,
        manifest_extra={"sources_incomplete": sources["incomplete"]},
    )
    return {
        "manifest_key": keys.manifest_key(curated_partition(run.day)),
        "records": manifest["records"],
        "landed_now": landed_now,
    }


def _rows_of(
    store: ObjectStore,
    object_keys: list[str],
    held_keys: Sequence[str] = (),
    decisions: Mapping[str, Any] | None = None,
) -> Any:
    """A ``RowSource``: the rows of these objects, one object at a time, afresh on each call; then
    the rows of ``held_keys`` a reviewer released (:func:`conflict_ingest.review.decisions.released_rows`)."""
    from conflict_ingest.review.decisions import released_rows

    def rows() -> Iterator[dict[str, Any]]:
        for key in object_keys:
            yield from store.get_jsonl_gz(key)
        for key in held_keys:
            yield from released_rows(store.get_jsonl_gz(key), decisions or {})

    return rows
