"""Shared fixtures: real servers on 127.0.0.1 and an isolated Airflow home.

Airflow reads its configuration when first imported, so the environment is set here, at
collection time, before any test module imports Airflow.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conflict_ingest.dev.stack import PROXY_VARS, MailServer, S3Server, StaticSite, local_env
from conflict_ingest.storage.store import ObjectStore

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="conflict-ingest-airflow-"))


def session_env(**servers: Any) -> dict[str, str]:
    """The session's local Airflow environment (its home, quick retries), plus the servers' parts."""
    # reviews of held records off: dag.test() has no scheduler to end a review, so it would wait forever
    extra = {"AIRFLOW__CORE__UNIT_TEST_MODE": "False", "CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS": "0"}
    return local_env(_AIRFLOW_HOME, retry_delay_s=1, base={}, extra=extra, **servers)


for _proxy in PROXY_VARS:
    os.environ.pop(_proxy, None)
os.environ.update(session_env())


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = S3Server().start()
    os.environ["AWS_ENDPOINT_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sample_site() -> Iterator[StaticSite]:
    site = StaticSite().start()
    os.environ["SAMPLE_SITE_URL"] = site.url
    yield site
    site.stop()


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def make_store(s3_url: str, bucket: str) -> ObjectStore:
    import boto3

    client = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1")
    store = ObjectStore(client, bucket)
    store.ensure_bucket()
    return store


#: One bucket for the whole session, emptied before each test. The curated Asset's URI names the
#: bucket, so one bucket keeps Airflow's asset registry (in the session's metadata DB) consistent.
TEST_BUCKET = "conflict-news-test"


@pytest.fixture
def bucket_name() -> str:
    return TEST_BUCKET


@pytest.fixture
def store(s3_server: S3Server, bucket_name: str) -> ObjectStore:
    """The test bucket on moto's S3 server, empty."""
    store = make_store(s3_server.url, bucket_name)
    store.delete(list(store.list_keys("")))
    return store


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata database in the session's private AIRFLOW_HOME."""
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        check=True,
        capture_output=True,
        env=dict(os.environ),
    )
    return _AIRFLOW_HOME


@pytest.fixture
def airflow_env(
    airflow_db: Path,
    s3_server: S3Server,
    sample_site: StaticSite,
    bucket_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """Connections and settings for a DAG run against the local servers (environment only)."""
    full = session_env(s3_url=s3_server.url, site_url=sample_site.url, bucket=bucket_name)
    values = {key: value for key, value in full.items() if os.environ.get(key) != value}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return full


#: The folder decides a test's kind: ``-m "not integration and not e2e"`` (``make test-fast``) runs
#: tests/unit, tests/dags, tests/quality (the accuracy gate, seconds) and the top-level tests (the secret
#: scan). A test whose own marker names another folder's kind is refused at collection: move it to that
#: folder instead.
FOLDER_MARKERS = {
    "unit": "unit",
    "dags": "dags",
    "integration": "integration",
    "e2e": "e2e",
    "quality": "quality",
}
_TESTS_DIR = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by -m
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    misplaced = []
    for item in items:
        try:
            parts = item.path.resolve().relative_to(_TESTS_DIR).parts
        except ValueError:
            continue
        folder = FOLDER_MARKERS.get(parts[0]) if len(parts) > 1 else None
        declared = {mark.name for mark in item.iter_markers() if mark.name in FOLDER_MARKERS.values()}
        if declared - {folder}:
            misplaced.append(f"{item.nodeid}: marked {sorted(declared - {folder})}, folder {parts[0]!r}")
        if folder is not None:
            item.add_marker(folder)
    if misplaced:
        raise pytest.UsageError(
            "a test's kind is set by its folder (tests/unit, tests/dags, tests/integration, tests/e2e); "
            "move these tests or drop their marker:\n  " + "\n  ".join(misplaced)
        )
