"""The "Strike counts" app as Airflow's API server mounts it: Airflow's own ``create_app`` loads the
plugin from the project's plugins folder, with the real SimpleAuthManager and its JWTs, and reads
moto's S3 server through the ``aws_default`` connection (the DAGs' adapter)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.test_ui_data import record, seed_record, write_run

from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.validate import write_quarantine

DAY = dt.date(2016, 12, 1)
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def api(airflow_db, s3_server, sample_site) -> Iterator[Any]:
    """A TestClient on Airflow's API app (core), with the plugin mounted; its auth manager. The app
    reads the test bucket through ``aws_default`` (the ``store`` fixture empties it for each test)."""
    from fastapi.testclient import TestClient
    from tests.conftest import TEST_BUCKET, session_env

    env = {
        **session_env(s3_url=s3_server.url, site_url=sample_site.url, bucket=TEST_BUCKET),
        "AIRFLOW__API_AUTH__JWT_SECRET": "test-secret-" + "x" * 64,
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "viewer:viewer",
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        from airflow import plugins_manager
        from airflow.api_fastapi.app import create_app, get_auth_manager, purge_cached_app

        for cached in (plugins_manager.get_fastapi_plugins, plugins_manager._get_plugins):
            cached.cache_clear()
        purge_cached_app()
        with TestClient(create_app(apps="core"), base_url="http://127.0.0.1") as client:
            client.auth_manager = get_auth_manager()
            yield client
        purge_cached_app()


def viewer_token(api: Any) -> str:
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return str(api.auth_manager.generate_jwt(SimpleAuthManagerUser(username="viewer", role="viewer")))


@pytest.mark.parametrize(
    "path",
    [
        "/strike-counts/",
        "/strike-counts/held?day=2016-12-01",
        "/strike-counts/report?day=2016-12-01&run_id=manual__r",
    ],
)
def test_every_page_refuses_a_request_without_an_airflow_user(api, store, path: str) -> None:
    assert api.get(path).status_code == 401
    forged = api.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 403
    cookie = api.get(path, cookies={"_token": "forged"})
    assert cookie.status_code in (401, 403)
    assert "Strike counts" not in cookie.text


def test_a_signed_in_viewer_sees_held_records_with_every_scraped_string_escaped(api, store) -> None:
    rows = [
        {
            **seed_record(
                2709,
                f"2,709 in November. {SCRIPT}",
                title=f"{SCRIPT} Record level",
                actor=f"{SCRIPT} coalition",
            ),
            "failed_expectations": ["no_conflicting_counts"],
        },
        {
            **record("rss", "javascript:alert(1)", day=DAY, metric="strikes", count=1),
            "failed_expectations": ["evidence_contains_count"],
        },
    ]
    write_quarantine(store, RunContext(day=DAY, run_id="manual__r"), {"rss": lambda: iter(rows)})
    headers = {"Authorization": f"Bearer {viewer_token(api)}"}

    page = api.get("/strike-counts/held?day=2016-12-01", headers=headers)
    assert page.status_code == 200, page.text
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Record level" in page.text
    assert "2,709 in November. &lt;script&gt;" in page.text
    assert 'href="javascript:' not in page.text  # a non-http page URL is shown as text, never linked
    assert "2,709" in page.text and "no_conflicting_counts" in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]

    assert api.get("/strike-counts/held?day=yesterday", headers=headers).status_code == 400
    bad = api.get("/strike-counts/?metric=" + SCRIPT, headers=headers)
    assert bad.status_code == 400 and "<script>" not in bad.text and "metric must be one of" in bad.text


def test_the_report_is_served_as_written_and_a_missing_one_is_404(api, store) -> None:
    write_run(store, DAY, "manual__r", total=1, passed=1, failed=0)
    headers = {"Authorization": f"Bearer {viewer_token(api)}"}
    report = api.get(
        "/strike-counts/report", params={"day": "2016-12-01", "run_id": "manual__r"}, headers=headers
    )
    assert report.status_code == 200
    assert report.text == "<h1>report of manual__r</h1>"
    assert report.headers["content-type"] == "text/html; charset=utf-8"
    assert report.headers["x-content-type-options"] == "nosniff"
    missing = api.get(
        "/strike-counts/report", params={"day": "2016-12-01", "run_id": "other"}, headers=headers
    )
    assert missing.status_code == 404


def test_the_plugin_registers_its_nav_entry_and_the_validate_report_link(api) -> None:
    listed = api.get("/api/v2/plugins", headers={"Authorization": f"Bearer {viewer_token(api)}"})
    assert listed.status_code == 200, listed.text
    plugin = next(p for p in listed.json()["plugins"] if p["name"] == "strike_counts")
    assert [(a["url_prefix"], a["name"]) for a in plugin["fastapi_apps"]] == [
        ("/strike-counts", "Strike counts")
    ]
    assert [(v["href"], v["url_route"], v["destination"]) for v in plugin["external_views"]] == [
        ("strike-counts/", "strike-counts", "nav")
    ]
    assert plugin["global_operator_extra_links"] == ["<strike_counts.links.ValidationReportLink object>"]


def test_the_totals_page_draws_the_rollups_as_a_chart_and_a_table_escaped(api, store) -> None:
    from tests.integration.test_ui_data import land_curated, month_total

    from conflict_ingest.rollups import build_rollups

    land_curated(
        store,
        DAY,
        [
            month_total("2016-10", metric="weapons_released", count=3038, actor=f"{SCRIPT} coalition"),
            month_total("2016-06", metric="weapons_released", count=3160, actor=f"{SCRIPT} coalition"),
        ],
    )
    build_rollups(store)
    write_run(
        store, DAY, "manual__r", total=4, passed=2, failed=2, failed_expectations={"no_conflicting_counts": 2}
    )
    page = api.get("/strike-counts/", headers={"Authorization": f"Bearer {viewer_token(api)}"})
    assert page.status_code == 200, page.text
    assert "<script>" not in page.text
    assert page.text.count('<rect class="bar"') == 2
    assert "3,038" in page.text and "3,160" in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; coalition" in page.text
    assert 'href="report?day=2016-12-01&amp;run_id=manual__r"' in page.text
    assert 'href="held?day=2016-12-01"' in page.text


def test_the_held_page_links_a_waiting_review_to_airflows_form_and_shows_decisions(api, store) -> None:
    from tests.integration.test_ui_reviews import pair, request

    from conflict_ingest.storage import keys
    from conflict_ingest.storage.partitions import write_partition

    small, large = pair()
    write_partition(store, keys.quarantine_partition(DAY), {"rss": [small, large]}, day=DAY, run_id="m")
    run_id = "manual__<b>review</b>"
    request(store, run_id, [small, large], dt.datetime.now(dt.UTC))
    headers = {"Authorization": f"Bearer {viewer_token(api)}"}

    page = api.get("/strike-counts/held?day=2016-12-01", headers=headers)
    assert page.status_code == 200, page.text
    href = (
        "/dags/conflict_news_nightly/runs/manual__%3Cb%3Ereview%3C%2Fb%3E/tasks/review_held_records/"
        "mapped/0/required_actions"
    )
    assert f'<a class="review-link" href="{href}">Review these records</a>' in page.text
    assert "manual__&lt;b&gt;review&lt;/b&gt;" in page.text and "<b>review" not in page.text
    assert page.text.count("awaiting review") == 2

    # once decided: no link; the kept record names its reviewer, the released one is listed apart
    from conflict_ingest.review.decisions import record_review
    from conflict_ingest.review.items import review_items

    record_review(store, DAY, run_id=run_id, review_id="r", items=review_items([small, large]), answer=None)
    kept = {**large, "reviewed_by": "alice", "review_comment": "year to date <i>"}
    write_partition(store, keys.quarantine_partition(DAY), {"rss": [kept]}, day=DAY, run_id="m2")
    released = {**small, "released_by_reviewer": True, "reviewed_by": "alice", "review_comment": "monthly"}
    released.pop("failed_expectations")
    write_partition(store, keys.curated_partition(DAY), {"rss": [released]}, day=DAY, run_id="m2")
    page = api.get("/strike-counts/held?day=2016-12-01", headers=headers)
    assert "review-link" not in page.text and "awaiting review" not in page.text
    assert "kept</span> by <strong>alice</strong>" in page.text and "year to date &lt;i&gt;" in page.text
    assert 'id="released"' in page.text and "released</span> by <strong>alice</strong>" in page.text
    assert "2,709" in page.text and "monthly" in page.text
