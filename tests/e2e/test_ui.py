"""The "Strike counts" view in a real browser, against a real Airflow, moto's S3 and the sample site.

One nightly run of the sample day (2016-12-01) goes through the scheduler; its landing's Asset event
triggers the rollups DAG, as in production. Then Debian's chromium, driven by Playwright, signs in to
Airflow (the simple auth manager's login page), opens the navigation entry, reads the seed page's
monthly figures in the chart and the table, opens the day's held records (the conflicting pair
2,709 / 27,800 "in November") and the ``validate`` task's "Validation report" extra link. The
figures the browser must show are read from S3 by the test, never written in it.

Steps are helper functions (``login``, ``open_view``, ``view_frame``, ``screenshot``) so a step can
be added, e.g. releasing a held record through a review form. Screenshots go to
``.local/screenshots/`` (git-ignored; CI keeps them as artefacts).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from tests.e2e.deployment import ADMIN, ROOT, Airflow
from tests.helpers import wait_for_dag

from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.validate import write_quarantine
from conflict_ingest.rollups import read_rollup
from conflict_ingest.storage.keys import quarantine_partition
from conflict_ingest.storage.partitions import read_partition
from conflict_ingest.storage.store import ObjectStore

NIGHTLY = "conflict_news_nightly"
ROLLUPS = "conflict_news_rollups"
DAY = dt.date(2016, 12, 1)
#: A day with no news in the sample site, where the test lands one held record of its own.
SCRIPT_DAY = dt.date(2016, 12, 3)
SCRIPT_TITLE = "<script>window.__pwned = 1</script> Coalition update"
RUN_TIMEOUT_S = 420
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / ".local" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}
UI_TIMEOUT_MS = 60_000


@dataclass
class Night:
    """The nightly run of the sample day, done, and the rollups built after it."""

    airflow: Airflow
    store: ObjectStore
    run_id: str
    state: str


def _trigger(server: Airflow) -> str:
    after = DAY + dt.timedelta(days=1)
    body = {"logical_date": f"{after.isoformat()}T00:00:00Z", "conf": {"day": DAY.isoformat()}}
    resp = server.api("POST", f"/dags/{NIGHTLY}/dagRuns", json=body)
    assert resp.status_code in (200, 201), resp.text
    return str(resp.json()["dag_run_id"])


def _run_state(server: Airflow, dag_id: str, run_id: str) -> str | None:
    state = server.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}").json()["state"]
    return str(state) if state in ("success", "failed") else None


def _rollups_done(server: Airflow) -> bool:
    runs = server.api("GET", f"/dags/{ROLLUPS}/dagRuns").json()["dag_runs"]
    return any(r["run_type"] == "asset_triggered" and r["state"] == "success" for r in runs)


@pytest.fixture(scope="module")
def night(airflow_server: Airflow, s3_server) -> Night:
    from tests.conftest import make_store

    server = airflow_server
    wait_for_dag(server, NIGHTLY)
    wait_for_dag(server, ROLLUPS)
    run_id = _trigger(server)
    state = server.wait_until(lambda: _run_state(server, NIGHTLY, run_id), f"run {run_id}", RUN_TIMEOUT_S)
    # the landing's Asset event schedules the rollups DAG (it comes up unpaused)
    server.wait_until(lambda: _rollups_done(server), "the asset-triggered rollups", RUN_TIMEOUT_S, 5)
    return Night(server, make_store(s3_server.url, server.bucket), run_id, state)


# --- the browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/ci_services.sh` (Debian's chromium)")
    profile = tempfile.mkdtemp(prefix="conflict-ingest-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport=VIEWPORT,
            )
            context.set_default_timeout(UI_TIMEOUT_MS)
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot under .local/screenshots/ (git-ignored), for people and CI artefacts."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"ui-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def admin_password(server: Airflow) -> str:
    """The simple auth manager's password of the admin (the deployment wrote it to its passwords file)."""
    password: str = json.loads((server.home / "passwords.json").read_text())[ADMIN]
    return password


def login(page: Any, server: Airflow) -> None:
    """Sign in through the simple auth manager's login page, as a person would."""
    page.goto(server.url + "/")
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", ADMIN)
    page.fill("input[name=password]", admin_password(server))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(server.url) + r"/(?!auth).*"))
    nav_entry(page).wait_for()


def nav_entry(page: Any) -> Any:
    """The view's entry on Airflow's navigation bar (a link to the embedded view's route)."""
    return page.locator("a[href$='plugin/strike-counts']").filter(has_text="Strike co").first


def open_view(page: Any, server: Airflow) -> Any:
    """Open the view from Airflow's navigation (from its home page); returns the frame it is shown in."""
    page.goto(server.url + "/")
    nav_entry(page).click()
    page.wait_for_url(re.compile(r".*/plugin/strike-counts"))
    frame = view_frame(page)
    frame.locator("h1", has_text="Strike counts").wait_for()
    return frame


def view_frame(page: Any) -> Any:
    """The view's iframe in Airflow's page (the external view is embedded, not a new tab)."""
    return page.frame_locator("iframe[src*='strike-counts']")


#: Every dialog (alert, confirm) a script opened in the signed-in tab: a script that ran where none may.
DIALOGS: list[str] = []


@pytest.fixture(scope="module")
def page(browser: Any, night: Night) -> Iterator[Any]:
    """A signed-in tab; any dialog a script opens in it is kept in DIALOGS."""
    tab = browser.new_page()
    tab.on("dialog", lambda d: (DIALOGS.append(d.message), d.dismiss()))
    try:
        login(tab, night.airflow)
    except Exception:
        screenshot(tab, "login-failed")
        raise
    yield tab
    tab.close()


# --- the tests --------------------------------------------------------------------------------------


def test_the_app_refuses_requests_without_an_airflow_user(night: Night) -> None:
    for path in (
        "/strike-counts/",
        f"/strike-counts/held?day={DAY}",
        f"/strike-counts/report?day={DAY}&run_id=x",
    ):
        resp = requests.get(night.airflow.url + path, timeout=30)
        assert resp.status_code == 401, (path, resp.status_code, resp.text[:200])
        assert "Strike counts" not in resp.text


def test_the_view_shows_the_seed_pages_monthly_figures_in_the_chart_and_the_table(
    page: Any, night: Night
) -> None:
    monthly = read_rollup(night.store, "monthly_totals")
    stated = {r["month"]: r["stated_month_total"] for r in monthly if r["stated_month_total"] is not None}
    assert stated, f"the rollups hold no stated monthly total: {monthly}"
    frame = open_view(page, night.airflow)
    charts = frame.locator("#charts")
    charts.locator("svg").first.wait_for()
    chart_values = [t.strip() for t in charts.locator("svg text.value").all_text_contents()]
    table = frame.locator("#totals")
    rows = [
        " | ".join(c.strip() for c in r.locator("td").all_inner_texts())
        for r in table.locator("tbody tr").all()
    ]
    for month, total in stated.items():
        assert f"{total:,}" in chart_values, (month, total, chart_values)
        assert any(r.startswith(month) and f"{total:,}" in r for r in rows), (month, total, rows)
    # the held pair never reaches curated, so neither November total is drawn
    assert "2,709" not in chart_values and "27,800" not in chart_values
    nights = frame.locator("#nights").inner_text()
    assert str(DAY) in nights and night.run_id in nights and "no_conflicting_counts" in nights
    screenshot(page, "totals")


def test_the_held_records_of_the_day_show_the_conflicting_pair_with_their_evidence(
    page: Any, night: Night
) -> None:
    held = read_partition(night.store, quarantine_partition(DAY))
    assert sorted(r["count"] for r in held) == [2709, 27800]
    frame = open_view(page, night.airflow)
    frame.locator("#nights a[href^='held?day=" + str(DAY) + "']").first.click()
    table = frame.locator("#held")
    table.wait_for()
    text = table.inner_text()
    for record in held:
        assert f"{record['count']:,}" in text
        assert record["evidence"] in text
        assert record["title"] in text
        assert "no_conflicting_counts" in text
    assert table.locator("tr.held-record").count() == 2
    screenshot(page, "held")


def test_the_validate_task_links_to_its_report_in_the_view(page: Any, night: Night) -> None:
    server = night.airflow
    links = server.api("GET", f"/dags/{NIGHTLY}/dagRuns/{night.run_id}/taskInstances/validate/links").json()
    url = links["extra_links"]["Validation report"]
    assert url and url.startswith("/strike-counts/report?day=2016-12-01&run_id="), links
    # no other task gets the link
    land = server.api("GET", f"/dags/{NIGHTLY}/dagRuns/{night.run_id}/taskInstances/land/links").json()
    assert land["extra_links"].get("Validation report") is None
    # the task instance's Details tab shows it as a button; it opens the report
    page.goto(f"{server.url}/dags/{NIGHTLY}/runs/{night.run_id}/tasks/validate/details")
    button = page.get_by_role("link", name="Validation report")
    button.wait_for()
    screenshot(page, "validate-task")
    assert button.get_attribute("href") == url
    button.click()
    page.wait_for_url(re.compile(r".*/strike-counts/report\?.*"))
    body = page.locator("body").inner_text()
    assert "no_conflicting_counts" in body and "2709" in body.replace(",", "")
    screenshot(page, "report")


def test_a_script_in_a_scraped_title_renders_as_text(page: Any, night: Night) -> None:
    from tests.integration.test_ui_data import record

    row = record(
        "sample-rss",
        "http://127.0.0.1/script-page",
        title=SCRIPT_TITLE,
        metric="strikes",
        count=7,
        period_start=SCRIPT_DAY,
        period_end=SCRIPT_DAY,
        evidence="7 strikes. <img src=x onerror=alert(1)>",
    )
    write_quarantine(
        night.store,
        RunContext(day=SCRIPT_DAY, run_id="manual__script"),
        {"sample-rss": lambda: iter([{**row, "failed_expectations": ["evidence_contains_count"]}])},
    )
    frame = open_view(page, night.airflow)
    frame.locator("nav.tabs a", has_text="Held records").click()
    frame.locator("input[name=day]").fill(SCRIPT_DAY.isoformat())
    frame.locator("form.filters button").click()
    table = frame.locator("#held")
    table.wait_for()
    assert SCRIPT_TITLE in table.inner_text()  # shown as the text it is
    assert "<img src=x onerror=alert(1)>" in table.inner_text()
    assert frame.locator("#held script").count() == 0 and frame.locator("#held img").count() == 0
    view = next(f for f in page.frames if "/strike-counts/" in f.url)
    assert view.evaluate("() => window.__pwned") is None
    assert DIALOGS == [], f"a script ran in the page: {DIALOGS}"
    screenshot(page, "script-as-text")
