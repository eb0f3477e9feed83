"""The alert message and its delivery bookkeeping (no network, no Airflow)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conflict_ingest.alerts import AlertMessage, build_alert, deliver, needs_alert

DAY = dt.date(2016, 12, 1)
START = dt.datetime(2016, 12, 1, tzinfo=dt.UTC)
END = dt.datetime(2016, 12, 2, tzinfo=dt.UTC)
REPORT = "reports/validation/dt=2016-12-01/manual__x/report.html"


def summary(**overrides):
    base = {
        "success": True,
        "total": 12,
        "passed": 12,
        "failed": 0,
        "flagged": 0,
        "failed_expectations": {},
        "flags": {},
        "source_warnings": [],
        "records_by_source": {
            "wire-a": {"total": 8, "passed": 8, "failed": 0, "flagged": 0},
            "wire-b": {"total": 4, "passed": 4, "failed": 0, "flagged": 0},
        },
        "sources_complete": ["wire-a", "wire-b"],
        "sources_incomplete": [],
        "report_key": REPORT,
        "summary_key": REPORT.replace("report.html", "summary.json"),
        "quarantine_prefix": "quarantine/strike_counts/dt=2016-12-01/",
        "curated_prefix": "curated/strike_counts/dt=2016-12-01/",
    }
    base.update(overrides)
    return base


CRITICAL = summary(
    success=False,
    passed=9,
    failed=3,
    failed_expectations={"no_conflicting_counts": 2, "evidence_contains_count": 1},
    records_by_source={
        "wire-a": {"total": 8, "passed": 5, "failed": 3, "flagged": 0},
        "wire-b": {"total": 4, "passed": 4, "failed": 0, "flagged": 0},
    },
    examples={
        "no_conflicting_counts": [
            {
                "record_id": "r1",
                "source_id": "wire-a",
                "metric": "weapons_released",
                "count": 27800,
                "url": "https://news.example/a.html",
                "evidence": "In November, the coalition released 27,800 weapons.",
                "why": "the same page gives 2709 for this statement",
            }
        ]
    },
)
WARNINGS = summary(
    flagged=2,
    flags={"sum_disagrees_with_parts": 1, "count_far_above_trailing_max": 1},
    source_warnings=[
        {
            "name": "source_yielded_no_records",
            "level": "warning",
            "source_id": "wire-c",
            "detail": "no records tonight; it landed records on 9 of the 10 days it was read",
        }
    ],
)


def _build(s, **kwargs):
    landing = kwargs.pop("landing", {"committed_by_this_run": True, "records": 40})
    return build_alert(
        s,
        dag_id="conflict_news_nightly",
        run_id="manual__x",
        day=DAY,
        bucket="conflict-news",
        interval_start=START,
        interval_end=END,
        landing=landing,
        report_key=REPORT,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (summary(), False),
        (CRITICAL, True),
        (WARNINGS, True),
        (summary(sources_incomplete=["wire-b"]), True),
        (None, True),  # validation did not run
        # a re-run of a reviewed day: every held record already decided is nothing new
        ({**CRITICAL, "reviewed": {"released": 1, "kept": 2, "reviewers": ["Alice"]}}, False),
        ({**CRITICAL, "reviewed": {"released": 1, "kept": 1, "reviewers": ["Alice"]}}, True),
        ({**WARNINGS, "reviewed": {"released": 0, "kept": 0, "reviewers": []}}, True),
    ],
    ids=[
        "clean",
        "critical",
        "warnings",
        "incomplete",
        "no-summary",
        "all-decided",
        "one-undecided",
        "warned",
    ],
)
def test_only_a_run_with_something_to_say_needs_an_alert(case, expected):
    assert needs_alert(case) is expected


def test_critical_alert_names_run_interval_sources_expectations_counts_and_report():
    message = _build(CRITICAL)
    assert message.subject == (
        "[conflict-ingest] conflict_news_nightly 2016-12-01: FAILED, 3 records held back "
        "(evidence_contains_count, no_conflicting_counts)"
    )
    body = message.body
    assert "DAG:           conflict_news_nightly" in body
    assert "Run:           manual__x" in body
    assert "Data interval: 2016-12-01T00:00:00+00:00 .. 2016-12-02T00:00:00+00:00 (day 2016-12-01)" in body
    assert "wire-a (8 records, 3 held back), wire-b (4 records, 0 held back)" in body
    assert "  - evidence_contains_count: 1 record\n" in body
    assert "  - no_conflicting_counts: 2 records\n" in body
    assert "27800" in body and "why: the same page gives 2709 for this statement" in body
    assert "landed in curated:     9 (of which 0 flagged); the day's partition now holds 40" in body
    assert "held back (quarantine): 3" in body
    assert f"Report:      s3://conflict-news/{REPORT}" in body
    assert "Quarantine:  s3://conflict-news/quarantine/strike_counts/dt=2016-12-01/" in body


def test_warning_alert_lists_record_and_source_warnings_and_no_broken_expectation():
    message = _build(WARNINGS)
    assert "FAILED" not in message.subject
    assert "warnings (count_far_above_trailing_max, sum_disagrees_with_parts, source_yielded_no_records)" in (
        message.subject
    )
    assert "Broken expectations (critical; records held back in quarantine):\n  none\n" in message.body
    assert "  - count_far_above_trailing_max: 1 record" in message.body
    assert "  - sum_disagrees_with_parts: 1 record" in message.body
    assert "  - source_yielded_no_records: source wire-c: no records tonight" in message.body
    assert "landed in curated:     12 (of which 2 flagged)" in message.body


def test_alert_says_when_landing_did_not_commit():
    message = _build(CRITICAL, landing={"committed_by_this_run": False, "records": None})
    assert (
        "landed in curated:     0 - the land task did not commit the partition (9 were due)" in message.body
    )


def test_incomplete_sources_are_in_subject_and_body():
    message = _build(summary(sources_incomplete=["broken-feed"]))
    assert "source(s) did not complete (broken-feed)" in message.subject
    assert "Did not complete: broken-feed" in message.body


def test_alert_when_validation_did_not_run():
    message = _build(None)
    assert message.subject.endswith("validation did not run")
    assert "Run:           manual__x" in message.body
    assert f"s3://conflict-news/{REPORT}" in message.body


def test_html_body_escapes_scraped_text_and_webhook_payload_is_slack_json():
    message = AlertMessage(subject="s <b>", body='evidence: "<script>alert(1)</script>" & more')
    page = message.html_body()
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp; more" in page
    payload = json.loads(json.dumps(message.webhook_payload()))
    assert payload == {"text": 's &lt;b&gt;\n\nevidence: "&lt;script&gt;alert(1)&lt;/script&gt;" &amp; more'}


def test_webhook_text_cannot_ping_a_channel_or_disguise_a_link_from_scraped_evidence():
    hostile = "<!channel> see <https://evil.example/login|Open the validation report> & <@U024BE7LH>"
    bad = summary(
        success=False,
        passed=0,
        failed=1,
        failed_expectations={"no_conflicting_counts": 1},
        examples={
            "no_conflicting_counts": [
                {
                    "source_id": "wire-a",
                    "metric": "strikes",
                    "count": 3,
                    "url": "https://news.example/a.html?id=1&lang=en",
                    "evidence": hostile,
                    "why": "<!here> the same page gives 4",
                }
            ]
        },
    )
    text = _build(bad).webhook_payload()["text"]
    # Slack reads <...> as markup (a ping, a link with any label); none may survive from a page
    assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt;" in text and "&lt;!here&gt;" in text
    assert "&lt;https://evil.example/login|Open the validation report&gt;" in text
    # a bare & is escaped too; the page's own URL stays a plain URL Slack links (Slack's &amp; form)
    assert " &amp; &lt;@U024BE7LH&gt;" in text
    assert "(https://news.example/a.html?id=1&amp;lang=en)" in text
    # the mail keeps the readable text: escaping is the webhook's, not the message's
    assert hostile in _build(bad).body


def test_a_failing_channel_is_recorded_and_never_stops_the_others():
    sent: list[str] = []

    def broken(message: AlertMessage) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    results = deliver(AlertMessage("s", "b"), {"email": broken, "webhook": lambda m: sent.append(m.subject)})
    assert results["email"]["status"] == "failed"
    assert "ConnectionRefusedError" in results["email"]["reason"]
    assert results["webhook"]["status"] == "sent"
    assert sent == ["s"]


def test_a_retry_does_not_resend_on_channels_that_already_delivered():
    calls: list[str] = []
    results = deliver(
        AlertMessage("s", "b"),
        {"email": lambda m: calls.append("email"), "webhook": lambda m: calls.append("webhook")},
        already_sent=["webhook"],
    )
    assert calls == ["email"]
    assert results["webhook"]["status"] == "sent"


def test_held_records_a_reviewer_already_decided_are_said_to_be_decided():
    reviewed = {"released": 1, "kept": 1, "reviewers": ["Alice Analyst", "Bob"]}
    partly = _build({**CRITICAL, "reviewed": reviewed})
    assert "FAILED, 3 records held back, 1 undecided (" in partly.subject
    assert (
        "decided by a reviewer:  1 released to curated, 1 kept in quarantine (by Alice Analyst, Bob); 1 undecided"
        in partly.body
    )
    done = _build({**CRITICAL, "reviewed": {**reviewed, "kept": 2}})
    assert "3 records held back, all decided by a reviewer (" in done.subject and "FAILED" not in done.subject
    assert "undecided" not in _build(CRITICAL).body  # a day nobody reviewed reads as before
