"""Task ``land``: the records that passed into the day's curated partition."""

from __future__ import annotations

import logging
from typing import Any

from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.validate import by_source
from conflict_ingest.storage import keys
from conflict_ingest.storage.keys import (
    curated_partition,
)
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)


def land_stage(store: ObjectStore, run: RunContext) -> dict[str, Any]:
    """Replace the day's curated parts of every source that completed: new parts, then the
    manifest committed with a conditional write (safe beside a concurrent landing of the day)."""
    from conflict_ingest.storage.partitions import write_partition

    sources = store.get_json(keys.validated_sources_key(run.work))
    rows = store.get_jsonl_gz(keys.validated_passed_key(run.work))
    manifest = write_partition(
        store,
        curated_partition(run.day),
        by_source(rows, sources["complete"]),
        day=run.day,
        run_id=run.run_id,
        manifest_extra={"sources_incomplete": sources["incomplete"]},
    )
    return {
        "manifest_key": keys.manifest_key(curated_partition(run.day)),
        "records": manifest["records"],
        "landed_now": len(rows),
    }
