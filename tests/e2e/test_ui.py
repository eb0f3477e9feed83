"""The "Strike counts" view in a real browser, against a real Airflow, moto's S3 and the sample site.

One nightly run of the sample day (2016-12-01) goes through the scheduler, with reviews on
(``CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS=1``): it lands the day, whose Asset event triggers the
rollups DAG, as in production, and stops at the review of the held pair (``review_held_records``,
Awaiting Input). Then Debian's chromium, driven by Playwright, signs in to Airflow (the simple auth
manager's login page), opens the navigation entry, reads the seed page's monthly figures in the
chart and the table, opens the day's held records (the conflicting pair 2,709 / 27,800 "in
November") and the ``validate`` task's "Validation report" extra link. Last, as a person would, it
follows the held page's "Review these records" link to Airflow's own review form, releases the
2,709 record with a comment, and, once the run has ended green, reads the day's curated Parquet (the
record is there, flagged, with the signed-in user's name and the comment), the quarantine (27,800
kept, marked reviewed), the rebuilt rollups drawn in the view, and the held page's review result.
The figures the browser must show are read from S3 by the test, never written in it.

Steps are helper functions (``login``, ``open_view``, ``view_frame``, ``screenshot``). Screenshots
go to ``.local/screenshots/`` (git-ignored; CI keeps them as artefacts).
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
from tests.e2e.deployment import ADMIN, ROOT, Airflow, airflow_deployment
from tests.helpers import wait_for_dag

from conflict_ingest.dev.stack import MailServer, smtp_connection
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.validate import write_quarantine
from conflict_ingest.rollups import read_rollup
from conflict_ingest.storage.keys import curated_partition, quarantine_partition
from conflict_ingest.storage.partitions import read_partition
from conflict_ingest.storage.store import ObjectStore
from conflict_ingest.ui.data import row_total

NIGHTLY = "conflict_news_nightly"
ROLLUPS = "conflict_news_rollups"
DAY = dt.date(2016, 12, 1)
#: A day with no news in the sample site, where the test lands one held record of its own.
SCRIPT_DAY = dt.date(2016, 12, 3)
SCRIPT_TITLE = "<script>window.__pwned = 1</script> Coalition update"
RUN_TIMEOUT_S = 420
REVIEW_TASK = "review_held_records"
#: Reviews on: the run waits (up to an hour, far longer than the test) for the browser's answer.
REVIEW_TIMEOUT_HOURS = "1"
COMMENT = "The monthly figure; 27,800 is the year to date."
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
    """The nightly run of the sample day, waiting for the review of its held pair, and the rollups
    built after its landing."""

    airflow: Airflow
    store: ObjectStore
    run_id: str


@pytest.fixture(scope="module")
def ui_airflow(e2e_postgres, s3_server, sample_site) -> Iterator[Airflow]:
    """This suite's Airflow, reviews on; no triggerer (a 3.3 HITL task waits without one). The night's
    alert goes to a real SMTP server on 127.0.0.1 (without one the ``alert`` task fails the run)."""
    mail = MailServer().start()
    extra = {
        "CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS": REVIEW_TIMEOUT_HOURS,
        "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(mail.port),
        "CONFLICT_INGEST_ALERT_TO": "analysts@example.test",
    }
    try:
        with airflow_deployment(
            e2e_postgres, s3_server.url, sample_site.url, name="e2e-ui", triggerer=False, extra_env=extra
        ) as server:
            yield server
    finally:
        mail.stop()


def _trigger(server: Airflow) -> str:
    after = DAY + dt.timedelta(days=1)
    body = {"logical_date": f"{after.isoformat()}T00:00:00Z", "conf": {"day": DAY.isoformat()}}
    resp = server.api("POST", f"/dags/{NIGHTLY}/dagRuns", json=body)
    assert resp.status_code in (200, 201), resp.text
    return str(resp.json()["dag_run_id"])


def _run_state(server: Airflow, dag_id: str, run_id: str) -> str | None:
    state = server.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}").json()["state"]
    return str(state) if state in ("success", "failed") else None


def _review(server: Airflow, run_id: str) -> dict[str, Any] | None:
    """The review's details once its task waits for a person (None before)."""
    resp = server.api("GET", f"/dags/{NIGHTLY}/dagRuns/{run_id}/taskInstances/{REVIEW_TASK}/0/hitlDetails")
    if resp.status_code != 200:
        assert _run_state(server, NIGHTLY, run_id) is None, f"the run ended before its review\n{resp.text}"
        return None
    detail: dict[str, Any] = resp.json()
    return detail


def _task_state(server: Airflow, run_id: str, task_id: str, map_index: int = -1) -> str:
    path = f"/dags/{NIGHTLY}/dagRuns/{run_id}/taskInstances/{task_id}"
    return str(server.api("GET", path + (f"/{map_index}" if map_index >= 0 else "")).json()["state"])


def _rollups_done(server: Airflow, runs_wanted: int = 1) -> bool:
    runs = server.api("GET", f"/dags/{ROLLUPS}/dagRuns").json()["dag_runs"]
    done = [r for r in runs if r["run_type"] == "asset_triggered" and r["state"] == "success"]
    return len(done) >= runs_wanted


@pytest.fixture(scope="module")
def night(ui_airflow: Airflow, s3_server) -> Night:
    from tests.conftest import make_store

    server = ui_airflow
    wait_for_dag(server, NIGHTLY)
    wait_for_dag(server, ROLLUPS)
    run_id = _trigger(server)
    server.wait_until(lambda: _review(server, run_id), f"the review of {run_id}", RUN_TIMEOUT_S, 2)
    # `land`'s Asset event schedules the rollups DAG (it comes up unpaused) while the review waits
    server.wait_until(lambda: _rollups_done(server), "the asset-triggered rollups", RUN_TIMEOUT_S, 3)
    return Night(server, make_store(s3_server.url, server.bucket), run_id)


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


def open_held_day(frame: Any, day: dt.date = DAY) -> None:
    """From the view's last nights, open the held records of ``day``'s run."""
    frame.locator(f"#nights a[href^='held?day={day}']").first.click()
    frame.locator("h2", has_text=f"Held back on {day}").wait_for()


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
    open_held_day(frame)
    table = frame.locator("#held")
    table.wait_for()
    text = table.inner_text()
    for record in held:
        assert f"{record['count']:,}" in text
        assert record["evidence"] in text
        assert record["title"] in text
        assert "no_conflicting_counts" in text
    assert table.locator("tr.held-record").count() == 2
    assert table.locator("td.review-state", has_text="awaiting review").count() == 2
    # the run waits for a person: the page links its review, named by the run
    review = frame.locator("p.review", has=frame.get_by_role("link", name="Review these records"))
    assert night.run_id in review.inner_text()
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


def _aria(frame: Any, name: str) -> None:
    """Keep the accessibility tree of what the frame shows (beside the screenshots), for a failed step."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        (SCREENSHOTS / f"ui-{name}.aria.yml").write_text(frame.locator("body").aria_snapshot(timeout=5_000))
    except Exception as exc:  # noqa: BLE001 - a diagnostic only; the step's own error is the one raised
        (SCREENSHOTS / f"ui-{name}.aria.yml").write_text(f"no snapshot: {exc}")


def test_a_held_record_released_in_airflows_review_form_lands_in_curated_with_its_flag(
    page: Any, night: Night
) -> None:
    server, store = night.airflow, night.store
    held = {r["count"]: r for r in read_partition(store, quarantine_partition(DAY))}
    assert set(held) == {2709, 27800}

    # from the view's held page, follow its link to Airflow's own form of the run's review
    frame = open_view(page, server)
    open_held_day(frame)
    frame.get_by_role("link", name="Review these records").click()
    form = view_frame(page)  # the link opens in the view's frame (the UI's sandbox allows no other)
    try:
        form.get_by_text("Review 2 held strike-count record(s) of 2016-12-01").first.wait_for()
        respond = form.get_by_role("button", name="Respond")
        respond.wait_for()
        screenshot(page, "review-form")
        options = form.get_by_role("combobox", name="Select one or multiple values")
        options.click()
        screenshot(page, "review-options")
        options.fill("Release 2,709")
        form.get_by_role("option", name=re.compile(r"^Release 2,709 weapons_released")).click()
        page.keyboard.press("Escape")
        # 3.3's form ties no label to its text fields (an unnamed textbox): the field's id names the param
        form.locator("#element_comment").fill(COMMENT)
        screenshot(page, "review-filled")
        respond.click()
        server.wait_until(
            lambda: _task_state(server, night.run_id, REVIEW_TASK, 0) == "success", "the answer taken", 60, 1
        )
        screenshot(page, "review-answered")
    except Exception:
        _aria(form, "review-form")
        screenshot(page, "review-failed")
        raise

    state = server.wait_until(lambda: _run_state(server, NIGHTLY, night.run_id), "the run", RUN_TIMEOUT_S, 2)
    assert state == "success", server.log_tail()
    assert _task_state(server, night.run_id, "apply_review") == "success"

    # the day's curated Parquet holds the released record, flagged, with who and why
    curated = read_partition(store, curated_partition(DAY))
    released = [r for r in curated if r["record_id"] == held[2709]["record_id"]]
    assert len(released) == 1, [(r["count"], r["record_id"]) for r in curated]
    assert released[0]["count"] == 2709 and released[0]["released_by_reviewer"] is True
    assert released[0]["reviewed_by"] == ADMIN and released[0]["review_comment"] == COMMENT
    assert not any(r["released_by_reviewer"] for r in curated if r["record_id"] != held[2709]["record_id"])
    # the other stays held, marked reviewed
    kept = read_partition(store, quarantine_partition(DAY))
    assert [(r["count"], r["reviewed_by"], r["review_comment"]) for r in kept] == [(27800, ADMIN, COMMENT)]

    # the view: the held page shows the review's result; the monthly totals count the released record
    frame = open_view(page, server)
    open_held_day(frame)
    frame.locator("#released").wait_for()
    assert frame.get_by_role("link", name="Review these records").count() == 0
    released_row = frame.locator("#released tr.released-record").inner_text()
    assert "2,709" in released_row and ADMIN in released_row and COMMENT in released_row
    kept_row = frame.locator("#held tr.held-record").inner_text()
    assert "27,800" in kept_row and f"kept by {ADMIN}" in kept_row and COMMENT in kept_row
    screenshot(page, "held-reviewed")

    # `apply_review` landed the day again: its Asset event rebuilt the rollups, which now count 2,709
    server.wait_until(lambda: _rollups_done(server, 2), "the rollups after the review", RUN_TIMEOUT_S, 3)
    monthly = read_rollup(store, "monthly_totals")
    november = [r for r in monthly if str(r["month"]).startswith("2016-11")]
    assert any(row_total(r)[0] == 2709 for r in november), november
    frame = open_view(page, server)
    frame.locator("#charts svg").first.wait_for()
    chart_values = [t.strip() for t in frame.locator("#charts svg text.value").all_text_contents()]
    assert "2,709" in chart_values and "27,800" not in chart_values, chart_values
    screenshot(page, "totals-after-review")
