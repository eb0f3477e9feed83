"""Manual runs from the trigger form, and days re-derived from the raw zone without the network."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import pendulum
import pytest
from tests.helpers import nightly_dag

from conflict_ingest.dev.stack import free_port
from conflict_ingest.storage.keys import curated_partition, quarantine_partition
from conflict_ingest.storage.partitions import read_partition

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


def _everything_written(store) -> dict[str, str]:
    return {key: store.get_bytes(key).decode("utf-8", "replace") for key in store.list_keys("")}


def _task_log_files() -> dict[str, str]:
    home = Path(os.environ["AIRFLOW_HOME"]) / "logs"
    return {str(p): p.read_text("utf-8", "replace") for p in home.rglob("*") if p.is_file()}


def test_a_password_typed_into_a_form_url_is_refused_by_the_form_and_written_nowhere(
    airflow_env, store, sample_site, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    day = dt.date(2016, 12, 7)
    secret = "fake-hunter2-form-secret"
    host = sample_site.url.split("://", 1)[1]
    before = set(_task_log_files())
    with pytest.raises(ParamValidationError, match="urls"):  # the form refuses it: no run, no conf stored
        nightly_dag().test(
            run_conf={
                "urls": [sample_site.url + SEED_PATH, f"http://alice:{secret}@{host}{SEED_PATH}"],
                "day": str(day),
            }
        )
    written = _everything_written(store)
    assert not [k for k in written if f"dt={day}" in k], "a refused run planned or fetched something"
    out = capfd.readouterr()
    places = {"log": caplog.text, "stdout": out.out, "stderr": out.err, **written}
    places.update({path: text for path, text in _task_log_files().items() if path not in before})
    for where, text in places.items():
        assert secret not in text, f"the form's password was written to {where}"


def test_a_password_in_a_run_conf_url_is_refused_at_plan_time_and_written_nowhere(
    store, caplog: pytest.LogCaptureFixture
) -> None:
    """Behind the form, the first task checks the URLs again (the urgent queue's check): a run whose
    conf got past the form still plans nothing, and says which URL without its password."""
    from conflict_ingest.pipeline.context import RunContext
    from conflict_ingest.pipeline.plan import plan_sources
    from conflict_ingest.settings import DEFAULT_SOURCES_PATH
    from conflict_ingest.sources.registry import load_sources

    caplog.set_level(logging.DEBUG)
    secret = "fake-hunter2-conf-secret"
    run = RunContext(day=dt.date(2016, 12, 8), run_id="manual__2016-12-08T00:00:00+00:00")
    urls = ["https://news.example.org/a", f"https://alice:{secret}@news.example.org/b"]
    with pytest.raises(ValueError, match=r"urls\[1\]: URL with credentials refused") as raised:
        plan_sources(store, run, load_sources(DEFAULT_SOURCES_PATH), urls=urls)
    assert secret not in str(raised.value) and "https://***@news.example.org/b" in str(raised.value)
    assert list(store.list_keys(run.work)) == []  # no sources.json, no batch
    assert secret not in caplog.text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_form_day_out_of_bounds_fails_the_first_task_naming_the_bound_and_writes_nothing(
    airflow_env, store, day: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    dag_run = nightly_dag().test(run_conf={"day": day})
    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    assert dag_run.state == "failed"
    assert states["list_sources"] == "failed"
    assert not [k for k in store.list_keys("") if f"dt={day}" in k], "a run for an impossible day wrote to S3"
    out = capfd.readouterr()
    told = "\n".join([caplog.text, out.out, out.err, *_task_log_files().values()])
    assert f"day {day} is " in told and ("1990-01-01" in told or "the latest day a run may cover" in told)
