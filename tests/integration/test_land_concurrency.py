"""Concurrent landings of one day on moto's S3 server: nothing lost, every manifest describes its parts.

Each landing runs in its own thread with its own store, which sleeps a seeded random few
milliseconds before every S3 call, so each trial is a different interleaving of the
read-merge-commit steps of two or four landings. After every trial the committed manifest must
list exactly the parts under the prefix, each with its rows and sha256, and hold every record
of every run (different groups), or exactly one run's records (the same group), never a mix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import threading
import time
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.helpers import strike_rows

from conflict_ingest.storage.keys import MANIFEST_NAME, curated_partition
from conflict_ingest.storage.partitions import read_partition, write_partition
from conflict_ingest.storage.store import ObjectStore

BASE_DAY = dt.date(2017, 1, 1)
TRIALS = 12  # per scenario: 5 scenarios, 60 interleavings
MAX_PAUSE_S = 0.004


class PausingStore(ObjectStore):
    """The real store, pausing a seeded random few ms before every S3 request it makes."""

    def __init__(self, base: ObjectStore, seed: int) -> None:
        super().__init__(base.client, base.bucket, encryption=base.encryption)
        self.rng = random.Random(seed)
        self.commits = 0  # conditional manifest writes tried

    def _pause(self) -> None:
        time.sleep(self.rng.uniform(0, MAX_PAUSE_S))

    def put_bytes(self, *args: Any, **kwargs: Any) -> Any:
        self._pause()
        return super().put_bytes(*args, **kwargs)

    def put_json_if(self, *args: Any, **kwargs: Any) -> Any:
        self._pause()
        self.commits += 1
        return super().put_json_if(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        self._pause()
        return super().delete(*args, **kwargs)

    def get_bytes(self, *args: Any, **kwargs: Any) -> Any:
        self._pause()
        return super().get_bytes(*args, **kwargs)

    def get_json_with_etag(self, *args: Any, **kwargs: Any) -> Any:
        self._pause()
        return super().get_json_with_etag(*args, **kwargs)

    def exists(self, *args: Any, **kwargs: Any) -> Any:
        self._pause()
        return super().exists(*args, **kwargs)

    def list_keys(self, *args: Any, **kwargs: Any) -> Any:
        self._pause()
        return super().list_keys(*args, **kwargs)

    def list_objects(self, *args: Any, **kwargs: Any) -> Any:
        self._pause()
        return super().list_objects(*args, **kwargs)


Landing = dict[str, list[dict[str, Any]]]  # group -> rows, one write_partition call


def land_concurrently(store: ObjectStore, day: dt.date, landings: list[Landing], seed: int) -> int:
    """Run the landings at once, one thread each, with seeded pauses; fail on any error.

    Returns how many commits were refused (a concurrent commit won) and retried."""
    barrier = threading.Barrier(len(landings))
    errors: list[BaseException] = []
    stores = [PausingStore(store, seed * 100 + index) for index in range(len(landings))]

    def run(index: int, groups: Landing) -> None:
        mine = stores[index]
        try:
            barrier.wait(timeout=30)
            write_partition(mine, curated_partition(day), groups, day=day, run_id=f"run-{index}")
        except BaseException as exc:  # noqa: BLE001 - reported below, with the trial's seed
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, g)) for i, g in enumerate(landings)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), f"seed {seed}: a landing hung"
    assert not errors, f"seed {seed}: {errors!r}"
    return sum(s.commits for s in stores) - len(landings)


def committed(store: ObjectStore, day: dt.date, trial: int) -> dict[str, list[tuple[str, int]]]:
    """Check the committed manifest against the objects; return its rows as group -> (source, count)."""
    prefix = curated_partition(day)
    manifest = store.get_json(prefix + MANIFEST_NAME)
    listed = {p["key"] for p in manifest["parts"]}
    present = set(store.list_keys(prefix)) - {prefix + MANIFEST_NAME}
    assert listed - present == set(), f"trial {trial}: the manifest names missing parts"
    assert present - listed == set(), f"trial {trial}: parts left that no manifest lists"
    by_group: dict[str, list[tuple[str, int]]] = {}
    for part in manifest["parts"]:
        data = store.get_bytes(part["key"])
        assert hashlib.sha256(data).hexdigest() == part["sha256"], f"trial {trial}: {part['key']} checksum"
        table = pq.read_table(io.BytesIO(data))
        assert table.num_rows == part["rows"], f"trial {trial}: {part['key']} row count"
        rows = by_group.setdefault(part["group"], [])
        rows.extend((r["source_id"], r["count"]) for r in table.to_pylist())
    assert manifest["records"] == sum(len(v) for v in by_group.values())
    read = read_partition(store, prefix)
    assert sorted((r["source_id"], r["count"]) for r in read) == sorted(
        pair for rows in by_group.values() for pair in rows
    ), f"trial {trial}: read_partition differs from the manifest's parts"
    ids = [r["record_id"] for r in read]
    assert len(ids) == len(set(ids)), f"trial {trial}: a record landed twice"
    return {group: sorted(rows) for group, rows in by_group.items()}


def pairs(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted((r["source_id"], r["count"]) for r in rows)


@pytest.mark.parametrize("writers", [2, 4])
def test_concurrent_landings_of_different_sources_never_lose_records(
    store: ObjectStore, writers: int
) -> None:
    conflicts = 0
    for trial in range(TRIALS):
        day = BASE_DAY + dt.timedelta(days=100 * writers + trial)
        # each run lands its own source; run 0 also re-lands a source an earlier run committed
        write_partition(
            store, curated_partition(day), {"old": strike_rows("old", [1], day)}, day=day, run_id="r0"
        )
        landings = [{f"s{i}": strike_rows(f"s{i}", [10 * i + 1, 10 * i + 2], day)} for i in range(writers)]
        landings[0]["old"] = strike_rows("old", [2, 3], day)
        conflicts += land_concurrently(store, day, landings, seed=1000 * writers + trial)
        got = committed(store, day, trial)
        expected = {g: pairs(rows) for landing in landings for g, rows in landing.items()}
        assert got == expected, f"trial {trial}: records lost"
    assert conflicts > 0, "no commit ever raced another: the trials tested nothing concurrent"


@pytest.mark.parametrize("writers", [2, 4])
def test_concurrent_landings_of_the_same_source_leave_one_runs_records_whole(
    store: ObjectStore, writers: int
) -> None:
    conflicts = 0
    for trial in range(TRIALS):
        day = BASE_DAY + dt.timedelta(days=1000 + 100 * writers + trial)
        write_partition(
            store, curated_partition(day), {"s": strike_rows("s", [999], day)}, day=day, run_id="r0"
        )
        # run i lands i + 2 records of source s, none shared with another run
        landings = [{"s": strike_rows("s", [100 * i + k for k in range(i + 2)], day)} for i in range(writers)]
        conflicts += land_concurrently(store, day, landings, seed=2000 * writers + trial)
        got = committed(store, day, trial)
        assert set(got) == {"s"}
        assert got["s"] in [pairs(landing["s"]) for landing in landings], f"trial {trial}: a mix {got['s']}"
    assert conflicts > 0, "no commit ever raced another: the trials tested nothing concurrent"


def test_concurrent_landings_of_overlapping_sources_keep_one_run_per_source_and_no_duplicate(
    store: ObjectStore,
) -> None:
    """Four runs with overlapping sources, two of them reading one page as two groups (a manual
    run and a configured source): each source holds one run's records, each record lands once."""
    conflicts = 0
    for trial in range(TRIALS):
        day = BASE_DAY + dt.timedelta(days=3000 + trial)
        page = strike_rows("a", [1, 2], day)
        landings: list[Landing] = [
            {"a": strike_rows("a", [1, 2, 3], day), "b": strike_rows("b", [4], day)},
            {"b": strike_rows("b", [5, 6], day), "c": strike_rows("c", [7], day)},
            {"manual-x": page},
            {"c": strike_rows("c", [8, 9], day), "d": strike_rows("d", [10], day)},
        ]
        conflicts += land_concurrently(store, day, landings, seed=3000 + trial)
        got = committed(store, day, trial)
        assert {"a", "b", "c", "d"} <= set(got) <= {"a", "b", "c", "d", "manual-x"}
        for group in ("b", "c"):
            assert got[group] in [pairs(lg[group]) for lg in landings if group in lg], f"trial {trial}"
        assert got["d"] == [("d", 10)]
        # page records land once, under whichever group committed them first; all of source a's stay
        page_rows = sorted(got["a"] + got.get("manual-x", []))
        assert page_rows == [("a", 1), ("a", 2), ("a", 3)], f"trial {trial}: {page_rows}"
    assert conflicts > 0, "no commit ever raced another: the trials tested nothing concurrent"
