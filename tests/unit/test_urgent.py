"""Urgent queue messages: parsing, the rules they must keep, and the nightly runs they become."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from conflict_ingest.urgent import (
    MAX_URL_CHARS,
    MAX_URLS_PER_MESSAGE,
    MessageRejected,
    UrgentRequest,
    check_url,
    messages_from_event_extra,
    parse_message_body,
    plan_runs,
)

RUN_DAY = dt.date(2024, 5, 10)
A = "https://news.example.org/a.html"
B = "http://news.example.org/b.html"
C = "https://other.example.net/c"


def sqs_event(*bodies: object) -> dict:
    """An asset event's extra as Airflow writes it for a trigger event (``Trigger.submit_event``)
    carrying what ``SqsSensorTrigger`` yields: ``{"status": "success", "message_batch": [...]}``."""
    batch = [
        {"MessageId": f"m{i}", "ReceiptHandle": f"r{i}", "MD5OfBody": "x", "Body": body}
        for i, body in enumerate(bodies)
    ]
    return {"from_trigger": True, "payload": {"status": "success", "message_batch": batch}}


# -- one message ------------------------------------------------------------------------------


def test_json_message_gives_its_urls_and_day() -> None:
    body = json.dumps({"urls": [A, B], "day": "2024-05-09"})
    assert parse_message_body(body, run_day=RUN_DAY) == UrgentRequest(urls=(A, B), day=dt.date(2024, 5, 9))


def test_json_message_without_day_leaves_the_day_to_the_run() -> None:
    assert parse_message_body(json.dumps({"urls": [A]})).day is None


def test_plain_text_message_is_one_url_per_line_without_blanks_or_comments() -> None:
    body = f"\n# breaking: two pages\n  {A}  \n\n{B}\r\n"
    assert parse_message_body(body) == UrgentRequest(urls=(A, B))


def test_repeated_urls_in_a_message_are_kept_once_in_order() -> None:
    assert parse_message_body(f"{B}\n{A}\n{B}\n").urls == (B, A)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty message body"),
        ("   \n ", "empty message body"),
        ("# only a comment\n", "no URL"),
        ("ftp://files.example.org/x", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("javascript:alert(1)", "not an http(s) URL"),
        ("news.example.org/a.html", "not an http(s) URL"),
        ("https:///no-host", "without a host"),
        ("https://user:secret@news.example.org/a", "credentials"),
        ("https://news.example.org/a b", "whitespace"),
        ("https://news.example.org:99999/a", "malformed URL"),
        ("{not json", "not valid JSON"),
        ('["https://news.example.org/a"]', "must be an object"),
        (json.dumps({"url": A}), "unknown field"),
        (json.dumps({"urls": A}), "must be a list"),
        (json.dumps({"urls": []}), "no URL"),
        (json.dumps({"urls": [A, 7]}), "must be a string"),
        (json.dumps({"urls": [A], "day": "10/05/2024"}), "YYYY-MM-DD"),
        (json.dumps({"urls": [A], "day": "2024-02-30"}), "not a calendar date"),
        (json.dumps({"urls": [A], "day": "2024-05-12"}), "in the future"),
    ],
)
def test_message_breaking_a_rule_is_rejected_with_the_reason(body: str, reason: str) -> None:
    with pytest.raises(MessageRejected, match=re.escape(reason)):
        parse_message_body(body, run_day=RUN_DAY)


def test_one_bad_url_rejects_the_whole_message() -> None:
    with pytest.raises(MessageRejected, match="not an http"):
        parse_message_body(f"{A}\nftp://x.example.org/y\n{B}")


def test_day_after_the_run_day_is_allowed_for_producers_ahead_in_time() -> None:
    body = json.dumps({"urls": [A], "day": "2024-05-11"})
    assert parse_message_body(body, run_day=RUN_DAY).day == dt.date(2024, 5, 11)


def test_url_count_per_message_is_bounded_after_dedupe() -> None:
    many = [f"https://news.example.org/{i}" for i in range(MAX_URLS_PER_MESSAGE)]
    assert len(parse_message_body("\n".join(many + many)).urls) == MAX_URLS_PER_MESSAGE
    with pytest.raises(MessageRejected, match=f"more than {MAX_URLS_PER_MESSAGE}"):
        parse_message_body("\n".join([*many, "https://news.example.org/one-more"]))


def test_overlong_url_and_body_are_rejected() -> None:
    with pytest.raises(MessageRejected, match="longer than"):
        check_url("https://news.example.org/" + "a" * MAX_URL_CHARS)
    with pytest.raises(MessageRejected, match="longer than"):
        parse_message_body(A + "\n" + "#" * 300_000)


def test_non_text_body_is_rejected() -> None:
    with pytest.raises(MessageRejected, match="must be text"):
        parse_message_body(None)


# -- asset events -----------------------------------------------------------------------------


def test_sqs_event_extra_gives_every_message_of_the_batch() -> None:
    assert messages_from_event_extra(sqs_event("x", "y")) == [("m0", "x"), ("m1", "y")]


def test_hand_made_asset_event_with_urls_counts_as_one_message() -> None:
    # the REST API (and the UI, through it) marks such events with from_rest_api
    [(message_id, body)] = messages_from_event_extra(
        {"urls": [A], "day": "2024-05-09", "from_rest_api": True}
    )
    assert parse_message_body(body, run_day=RUN_DAY) == UrgentRequest(urls=(A,), day=dt.date(2024, 5, 9))
    assert message_id == "<asset event>"


def test_event_without_messages_is_reported_not_ignored() -> None:
    plan = plan_runs([{"something": "else"}, None], run_day=RUN_DAY)
    assert plan.runs == [] and plan.messages == 2 and len(plan.rejected) == 2


def test_triggerers_payload_shape_is_what_the_sqs_trigger_yields() -> None:
    """The extra's shape is the installed provider's: check it against its source, not a copy."""
    import airflow.api_fastapi.core_api.datamodels.assets as rest_assets
    import airflow.models.trigger as trigger_model
    import airflow.providers.amazon.aws.triggers.sqs as sqs_trigger

    assert 'v["from_rest_api"] = True' in Path(rest_assets.__file__).read_text()
    assert (
        'extra={"from_trigger": True, "payload": event.payload}' in Path(trigger_model.__file__).read_text()
    )
    assert (
        'TriggerEvent({"status": "success", "message_batch": result})'
        in Path(sqs_trigger.__file__).read_text()
    )


# -- the plan ---------------------------------------------------------------------------------


def test_plan_groups_urls_by_day_and_dedupes_across_messages() -> None:
    events = [
        sqs_event(json.dumps({"urls": [A, B]}), f"{B}\n{C}"),
        sqs_event(json.dumps({"urls": [C], "day": "2024-05-01"})),
    ]
    plan = plan_runs(events, run_day=RUN_DAY, salt="asset_triggered__1")
    assert [r["conf"] for r in plan.runs] == [
        {"urls": [C], "day": "2024-05-01"},
        {"urls": [A, B, C], "day": "2024-05-10"},
    ]
    assert plan.rejected == [] and plan.messages == 3


def test_bad_message_is_rejected_logged_and_the_others_go_ahead(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="conflict_ingest.urgent"):
        plan = plan_runs([sqs_event(A, "ftp://x.example.org/y")], run_day=RUN_DAY)
    assert [r["conf"]["urls"] for r in plan.runs] == [[A]]
    assert [(r.message_id, "not an http(s) URL" in r.reason) for r in plan.rejected] == [("m1", True)]
    assert "m1 rejected" in caplog.text and "ftp://x.example.org/y" in caplog.text


def test_only_bad_messages_plan_no_run() -> None:
    plan = plan_runs([sqs_event("", "not a url")], run_day=RUN_DAY)
    assert plan.runs == [] and len(plan.rejected) == 2


def test_large_requests_are_cut_into_runs_the_nightly_form_accepts() -> None:
    urls = [f"https://news.example.org/{i}" for i in range(5)]
    plan = plan_runs([sqs_event("\n".join(urls))], run_day=RUN_DAY, max_urls_per_run=2)
    assert [r["conf"]["urls"] for r in plan.runs] == [urls[0:2], urls[2:4], urls[4:5]]
    assert len({r["trigger_run_id"] for r in plan.runs}) == 3


def test_run_ids_are_stable_for_the_same_plan_and_differ_between_urgent_runs() -> None:
    events = [sqs_event(A)]
    first = plan_runs(events, run_day=RUN_DAY, salt="asset_triggered__1").runs[0]["trigger_run_id"]
    again = plan_runs(events, run_day=RUN_DAY, salt="asset_triggered__1").runs[0]["trigger_run_id"]
    other = plan_runs(events, run_day=RUN_DAY, salt="asset_triggered__2").runs[0]["trigger_run_id"]
    assert first == again != other
    assert first.startswith("urgent__2024-05-10__")


def test_plan_as_dict_is_json_ready() -> None:
    plan = plan_runs([sqs_event(A, "")], run_day=RUN_DAY)
    data = json.loads(json.dumps(plan.as_dict()))
    assert data["messages"] == 2 and data["rejected"][0]["message_id"] == "m1"
    assert data["runs"][0]["conf"] == {"urls": [A], "day": "2024-05-10"}


# -- the DAG, parsed with a queue configured ----------------------------------------------------


def test_dag_watches_the_configured_queue_through_the_sqs_trigger(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    queue = "http://127.0.0.1:1/123456789012/urgent-pages"
    monkeypatch.setenv("CONFLICT_INGEST_URGENT_QUEUE_URL", queue)
    monkeypatch.setenv("CONFLICT_INGEST_URGENT_POLL_S", "3")
    dags_dir = Path(__file__).resolve().parents[2] / "dags"
    bag = DagBag(dag_folder=str(dags_dir / "conflict_news_urgent.py"))
    assert bag.import_errors == {}
    dag = bag.dags["conflict_news_urgent"]
    condition: Any = dag.timetable.asset_condition  # AssetAll of the schedule's assets
    [asset] = condition.objects
    [watcher] = asset.watchers
    classpath, kwargs = watcher.trigger.serialize()
    assert classpath.endswith("SqsSensorTrigger")
    assert kwargs["sqs_queue"] == queue and kwargs["waiter_delay"] == 3
    assert kwargs["delete_message_on_reception"] is True
    assert {t.task_id for t in dag.tasks} == {"read_messages", "trigger_nightly", "gate"}
    trigger_nightly: Any = dag.get_task("trigger_nightly")  # a MappedOperator
    assert trigger_nightly.partial_kwargs["trigger_dag_id"] == "conflict_news_nightly"


def test_dag_without_a_queue_has_no_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.delenv("CONFLICT_INGEST_URGENT_QUEUE_URL", raising=False)
    dags_dir = Path(__file__).resolve().parents[2] / "dags"
    bag = DagBag(dag_folder=str(dags_dir / "conflict_news_urgent.py"))
    assert bag.import_errors == {}
    assert bag.dags["conflict_news_urgent"].timetable.__class__.__name__ == "NullTimetable"


@pytest.mark.parametrize(
    ("day", "bound"), [("1989-12-31", "before 1990-01-01"), ("0001-01-01", "before 1990-01-01")]
)
def test_a_message_day_before_1990_is_rejected_naming_the_bound(day: str, bound: str) -> None:
    with pytest.raises(MessageRejected, match=bound):
        parse_message_body(json.dumps({"urls": [A], "day": day}), run_day=RUN_DAY)
    assert parse_message_body(json.dumps({"urls": [A], "day": "1990-01-01"}), run_day=RUN_DAY).day == dt.date(
        1990, 1, 1
    )


def test_a_rejected_url_never_repeats_its_password() -> None:
    for body in (
        "https://alice:fake-hunter2@news.example.org/a b",  # refused for the space, credentials still hidden
        "ftp://alice:fake-hunter2@news.example.org/a",
        "https://alice:fake-hunter2@news.example.org/a",
        "https://alice:fake-hunter2@news.example.org:99999/a",
    ):
        with pytest.raises(MessageRejected) as raised:
            parse_message_body(body, run_day=RUN_DAY)
        assert "fake-hunter2" not in str(raised.value) and "alice" not in str(raised.value)
        assert "news.example.org" in str(raised.value)


def test_a_day_check_at_the_end_of_the_calendar_never_overflows() -> None:
    body = json.dumps({"urls": [A], "day": "9999-12-31"})
    assert parse_message_body(body, run_day=dt.date.max).day == dt.date.max
    with pytest.raises(MessageRejected, match="in the future"):
        parse_message_body(body, run_day=RUN_DAY)
