"""The object store, for real, over HTTP (moto's S3 server): encryption at rest, and an outage mid-land.

The outage is real: the test stops the S3 server at a chosen request of the land stage (a
botocore ``before-send`` hook calls ``stop()``, so that request meets a closed port), then starts
a new server on the same port. moto keeps its objects in the process, so the second server sees
what the first one stored, as S3 would after an outage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from tests.helpers import strike_rows

from conflict_ingest.dev.stack import S3Server, free_port
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.land import land_stage
from conflict_ingest.storage.keys import MANIFEST_NAME, curated_partition
from conflict_ingest.storage.partitions import IncompletePartition, collect_orphans, read_partition
from conflict_ingest.storage.store import SSE_ENV, SSE_KMS_KEY_ENV, Encryption, ObjectStore

# botocore: no retry, fast failure on a closed port (the DAG's task retries do the rest)
FAST_FAIL = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1, read_timeout=5)


def stage_validated(
    store: ObjectStore, run: RunContext, groups: dict[str, list[int]]
) -> set[tuple[str, int]]:
    """What validate_stage leaves for land_stage; returns the (source, count) pairs it holds."""
    passed = [r for sid, counts in groups.items() for r in strike_rows(sid, counts, run.day)]
    store.put_jsonl_gz(f"{run.work}validated/passed.jsonl.gz", passed)
    store.put_json(f"{run.work}validated/sources.json", {"complete": sorted(groups), "incomplete": []})
    return {(sid, n) for sid, counts in groups.items() for n in counts}


def landed(store: ObjectStore, day: dt.date) -> list[tuple[str, int]]:
    return sorted((r["source_id"], r["count"]) for r in read_partition(store, curated_partition(day)))


class Outage:
    """Stops the S3 server just before the request number ``at`` (0-based) that the client sends."""

    def __init__(self, server: S3Server, at: int | None) -> None:
        self.server = server
        self.at = at
        self.sent: list[str] = []
        self.happened = False

    def __call__(self, request: Any, event_name: str, **_: Any) -> None:
        if self.happened:
            return
        if self.at is not None and len(self.sent) == self.at:
            self.happened = True
            self.server.stop()
        self.sent.append(event_name.rsplit(".", 1)[-1])


@pytest.fixture
def s3_on_fixed_port() -> Iterator[list[S3Server]]:
    """A moto server of the test's own on a fixed port; the test may replace it (restart)."""
    servers = [S3Server(port=free_port()).start()]
    yield servers
    servers[-1].stop()


def test_land_stage_survives_an_s3_outage_at_each_write(
    s3_on_fixed_port: list[S3Server], bucket_name: str
) -> None:
    server = s3_on_fixed_port[0]
    client = boto3.client("s3", endpoint_url=server.url, region_name="us-east-1", config=FAST_FAIL)
    store = ObjectStore(client, bucket_name)
    store.ensure_bucket()
    store.delete(list(store.list_keys("")))  # moto keeps objects per process: other tests' days too

    # a dry run lists the requests one land makes (an earlier run committed the day already)
    probe_day = dt.date(2016, 11, 1)
    stage_validated(store, RunContext(probe_day, "r1"), {"a": [1, 2, 3], "b": [4]})
    land_stage(store, RunContext(probe_day, "r1"))
    stage_validated(store, RunContext(probe_day, "r2"), {"a": [1, 2, 3, 5], "b": [4, 6]})
    counter = Outage(server, at=None)
    client.meta.events.register("before-send.s3", counter)
    land_stage(store, RunContext(probe_day, "r2"))
    client.meta.events.unregister("before-send.s3", counter)
    requests = counter.sent
    assert requests.count("PutObject") == 3 and len(requests) < 30  # two parts and the manifest
    # the manifest's conditional PUT commits; what follows is cleanup of what it no longer lists
    commit = max(i for i, op in enumerate(requests) if op == "PutObject")
    assert commit < len(requests) - 1 and requests[commit + 1] == "DeleteObjects"  # r1's parts
    # the outage hits the first read, then every request from the first write on
    first_write = min(i for i, op in enumerate(requests) if op in ("DeleteObjects", "PutObject"))
    points = [0, *range(first_write, len(requests))]

    for at in points:
        day = dt.date(2016, 12, 1) + dt.timedelta(days=at)
        before = stage_validated(store, RunContext(day, "r1"), {"a": [1, 2, 3], "b": [4]})
        land_stage(store, RunContext(day, "r1"))
        after = stage_validated(store, RunContext(day, "r2"), {"a": [1, 2, 3, 5], "b": [4, 6]})
        assert landed(store, day) == sorted(before)

        outage = Outage(server, at=at)
        client.meta.events.register("before-send.s3", outage)
        if at <= commit:
            with pytest.raises((BotoCoreError, ClientError)):  # the task fails, so Airflow retries it
                land_stage(store, RunContext(day, "r2"))
        else:  # committed: a cleanup that fails is logged, its leftovers are orphans (never listed)
            land_stage(store, RunContext(day, "r2"))
        client.meta.events.unregister("before-send.s3", outage)
        assert outage.happened, f"no outage at request {at} ({requests[at]})"

        server = S3Server(port=server.port).start()  # S3 is back, with what it stored before the outage
        s3_on_fixed_port.append(server)
        # the manifest is never removed: readers see the last committed one, whole
        expected = sorted(before) if at <= commit else sorted(after)
        assert landed(store, day) == expected, f"outage at {requests[at]} (#{at})"

        result = land_stage(store, RunContext(day, "r2"))  # the retry
        assert landed(store, day) == sorted(after), f"outage at {requests[at]} (#{at})"
        prefix = curated_partition(day)
        manifest = store.get_json(prefix + MANIFEST_NAME)
        assert manifest["run_id"] == "r2" and result["records"] == len(after) == manifest["records"]
        listed = {p["key"] for p in manifest["parts"]}
        # what the interrupted attempt could not delete is unlisted Parquet parts only (no reader
        # sees them); orphan collection (here with no age limit: nothing else is landing) takes them
        leftovers = set(store.list_keys(prefix)) - listed - {prefix + MANIFEST_NAME}
        assert all(k.removeprefix(prefix).startswith("part-") for k in leftovers), leftovers
        assert set(collect_orphans(store, prefix, min_age=dt.timedelta(0))) == leftovers
        assert set(store.list_keys(prefix)) == listed | {prefix + MANIFEST_NAME}  # no stray parts
        assert landed(store, day) == sorted(after)


def test_partition_without_manifest_is_never_read_as_complete(store: ObjectStore) -> None:
    day = dt.date(2016, 12, 1)
    stage_validated(store, RunContext(day, "r1"), {"a": [1, 2]})
    land_stage(store, RunContext(day, "r1"))
    prefix = curated_partition(day)
    store.delete([prefix + MANIFEST_NAME])
    assert any(k.endswith(".parquet") for k in store.list_keys(prefix))
    with pytest.raises(IncompletePartition, match="not committed"):
        read_partition(store, prefix)


# --- encryption at rest -------------------------------------------------------------------------------


def head(store: ObjectStore, key: str) -> dict[str, Any]:
    result: dict[str, Any] = store.client.head_object(Bucket=store.bucket, Key=key)
    return result


def test_objects_are_written_with_sse_s3_by_default(
    store: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SSE_ENV, raising=False)
    monkeypatch.delenv(SSE_KMS_KEY_ENV, raising=False)
    default = ObjectStore(store.client, store.bucket)
    default.put_json("k.json", {"a": 1})
    assert head(default, "k.json")["ServerSideEncryption"] == "AES256"
    assert default.get_json("k.json") == {"a": 1}


def test_every_object_of_a_land_is_encrypted(store: ObjectStore) -> None:
    day = dt.date(2016, 12, 1)
    stage_validated(store, RunContext(day, "r1"), {"a": [1, 2], "b": [3]})
    land_stage(store, RunContext(day, "r1"))
    keys = list(store.list_keys(""))
    assert any(k.endswith(MANIFEST_NAME) for k in keys) and any(k.endswith(".parquet") for k in keys)
    assert {head(store, k).get("ServerSideEncryption") for k in keys} == {"AES256"}


def test_kms_encryption_with_a_named_key(store: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SSE_ENV, "aws:kms")
    monkeypatch.setenv(SSE_KMS_KEY_ENV, "alias/conflict-ingest")
    kms = ObjectStore(store.client, store.bucket)
    assert kms.encryption == Encryption("aws:kms", "alias/conflict-ingest")
    kms.put_bytes("k.bin", b"x")
    meta = head(kms, "k.bin")
    assert meta["ServerSideEncryption"] == "aws:kms"
    assert meta["SSEKMSKeyId"].endswith("alias/conflict-ingest")


def test_encryption_can_be_turned_off(store: ObjectStore) -> None:
    plain = ObjectStore(store.client, store.bucket, encryption=Encryption("none"))
    plain.put_bytes("k.bin", b"x")
    assert "ServerSideEncryption" not in head(plain, "k.bin")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, Encryption("AES256")),
        ({SSE_ENV: "aes256"}, Encryption("AES256")),
        ({SSE_ENV: "AWS:KMS"}, Encryption("aws:kms")),
        (
            {SSE_ENV: "aws:kms", SSE_KMS_KEY_ENV: "arn:aws:kms:eu-west-1:1:key/k"},
            Encryption("aws:kms", "arn:aws:kms:eu-west-1:1:key/k"),
        ),
        ({SSE_ENV: "NONE"}, Encryption("none")),
    ],
)
def test_encryption_settings_from_environment(env: dict[str, str], expected: Encryption) -> None:
    assert Encryption.from_env(env) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({SSE_ENV: "rot13"}, "must be one of AES256, aws:kms, none"),
        ({SSE_ENV: "AES256", SSE_KMS_KEY_ENV: "alias/k"}, "is set but"),
        ({SSE_KMS_KEY_ENV: "alias/k"}, "is set but"),
    ],
)
def test_bad_encryption_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Encryption.from_env(env)
