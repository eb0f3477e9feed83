"""Manual runs from the trigger form, and days re-derived from the raw zone without the network."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pendulum
import pytest
from tests.helpers import nightly_dag

from conflict_ingest.devstack import free_port
from conflict_ingest.land import read_partition
from conflict_ingest.storage import curated_partition, quarantine_partition

pytestmark = pytest.mark.integration

SEED_PATH = "/articles/us-coalition-airstrikes-isis-mosul-record-level.html"


def _summary(store, day: dt.date) -> dict:
    keys = [k for k in store.list_keys(f"reports/validation/dt={day}/") if k.endswith("summary.json")]
    assert len(keys) == 1
    return store.get_json(keys[0])


def test_manual_run_lands_the_pages_of_the_form_in_the_days_partition(
    airflow_env, store, sample_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFLICT_INGEST_ALLOW_PRIVATE_URLS", "true")  # the sample site is on loopback
    day = dt.date(2016, 12, 5)
    dag_run = nightly_dag().test(run_conf={"urls": [sample_site.url + SEED_PATH], "day": day.isoformat()})
    curated = read_partition(store, curated_partition(day))
    held = read_partition(store, quarantine_partition(day))
    assert len(curated) == 6 and len(held) == 2  # the seed page: six land, the conflicting pair is held
    assert {r["source_id"] for r in curated + held} == {curated[0]["source_id"]}
    assert curated[0]["source_id"].startswith("manual-")
    assert dag_run.state == "failed"  # the gate shows the held-back pair


def test_form_urls_on_private_addresses_are_refused_by_default(airflow_env, store, sample_site) -> None:
    day = dt.date(2016, 12, 6)
    nightly_dag().test(run_conf={"urls": [sample_site.url + SEED_PATH], "day": day.isoformat()})
    summary = _summary(store, day)
    assert summary["fetch_failed"] == 1
    assert "refused" in summary["fetch_failures"][0]["error"]
    assert "loopback" in summary["fetch_failures"][0]["error"]
    assert read_partition(store, curated_partition(day)) == []


def test_a_day_is_re_derived_from_the_raw_zone_without_the_network(
    airflow_env, store, sample_site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = dt.date(2016, 12, 1)
    after = pendulum.datetime(2016, 12, 2, tz="UTC")
    nightly_dag().test(logical_date=after)
    first = sorted(r["record_id"] for r in read_partition(store, curated_partition(day)))
    assert first
    # The same sources, now pointing at a port where nothing listens: only the raw zone can help.
    dead = f"http://127.0.0.1:{free_port()}"
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - id: sample-rss\n    kind: rss\n    allow_private: true\n    url: {dead}/feed.xml\n"
        f"  - id: sample-sitemap\n    kind: sitemap\n    allow_private: true\n    url: {dead}/sitemap.xml\n"
    )
    monkeypatch.setenv("CONFLICT_INGEST_SOURCES", str(sources))
    nightly_dag().test(logical_date=after, run_conf={"mode": "raw"})
    again = sorted(r["record_id"] for r in read_partition(store, curated_partition(day)))
    assert again == first
    assert _summary_count(store, day) == 2  # two runs, two reports


def _summary_count(store, day: dt.date) -> int:
    return sum(1 for k in store.list_keys(f"reports/validation/dt={day}/") if k.endswith("summary.json"))
