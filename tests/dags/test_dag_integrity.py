"""Every DAG imports cleanly, is tagged, retries, and does no I/O while being parsed."""

from __future__ import annotations

import ast
import datetime as dt
import json
import socket
from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
#: Tasks that only pass a verdict on work already done (retrying them changes nothing), and the
#: review of held records (a person's answer: a retry would ask again and wait again).
VERDICT_TASKS = {"gate", "review_held_records"}
#: Modules a DAG file may import at parse time (heavy or I/O-bound ones belong inside task bodies).
HEAVY_MODULES = ("great_expectations", "pandas", "pyarrow", "bs4", "trafilatura", "boto3", "requests")
#: The library's modules a DAG file may import at parse time: settings, the fetch families (a YAML read)
#: and the task time limits (constants).
PARSE_TIME_MODULES = (
    "conflict_ingest.settings",
    "conflict_ingest.sources.families",
    "conflict_ingest.timeouts",
)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_dags_import_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert "conflict_news_nightly" in dagbag.dags


def test_dags_have_tags_docs_and_owner(dagbag) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md, f"{dag_id} has no doc_md"
        assert all(t.owner != "airflow" for t in dag.tasks), f"{dag_id} keeps the default owner"


def test_tasks_retry_at_least_twice(dagbag) -> None:
    for dag_id, dag in dagbag.dags.items():
        for t in dag.tasks:
            if t.task_id in VERDICT_TASKS:
                assert t.retries == 0, f"{dag_id}.{t.task_id}: a verdict task should not retry"
            else:
                assert t.retries >= 2, f"{dag_id}.{t.task_id} retries {t.retries}"


def test_nightly_dag_flow_and_asset(dagbag) -> None:
    dag = dagbag.dags["conflict_news_nightly"]
    order = [
        "list_sources",
        "discover",
        "sample.collect_batches",
        "sample.fetch",
        "sample.clean",
        "sample.extract",
        "validate",
        "land",
        "gate",
    ]
    for upstream, downstream in zip(order, order[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids, f"{upstream} -> {downstream}"
    for family in ("default", "manual", "sample"):
        assert f"{family}.extract" in dag.get_task("validate").upstream_task_ids
    # the review of held records: planned after land, answered by a person, applied, then the gate
    review = ["land", "plan_review", "review_held_records", "apply_review", "gate"]
    for upstream, downstream in zip(review, review[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids, f"{upstream} -> {downstream}"
    hitl = dag.get_task("review_held_records")
    assert type(hitl).__name__ == "MappedOperator" and hitl.partial_kwargs["multiple"] is True
    assert "comment" in hitl.params
    # the alert goes out when the review is opened, not after it is answered
    assert "alert" in dag.get_task("plan_review").downstream_task_ids
    assert "alert" not in dag.get_task("review_held_records").downstream_task_ids
    assert dag.get_task("apply_review").trigger_rule == "all_done"
    assert dag.get_task("gate").trigger_rule == "none_failed"  # a skipped apply_review leaves it the verdict
    outlets = dag.get_task("land").outlets
    assert [o.name for o in outlets] == ["curated_strike_counts"]
    assert dag.timetable.__class__.__name__ == "CronDataIntervalTimetable"
    assert dag.catchup is False


@pytest.mark.parametrize("path", sorted(DAGS_DIR.rglob("*.py")), ids=lambda p: str(p.relative_to(DAGS_DIR)))
def test_dag_files_import_no_heavy_modules_at_top_level(path: Path) -> None:
    tree = ast.parse(path.read_text())
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    names = [a.name for n in top if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
    offenders = [
        n
        for n in names
        if n.split(".")[0] in HEAVY_MODULES
        or (n.startswith("conflict_ingest") and n not in PARSE_TIME_MODULES)
    ]
    assert offenders == [], f"{path.name} imports {offenders} at parse time"


def test_parsing_opens_no_network_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):  # a parse-time connection is the bug we look for
        attempts.append(address)
        raise OSError("network I/O at DAG parse time")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    assert attempts == []


def test_every_fetch_family_has_its_own_pool_and_the_pool_exists_in_pools_json(dagbag) -> None:
    from conflict_ingest.settings import DEFAULT_SOURCES_PATH
    from conflict_ingest.sources.registry import load_sources

    pools = json.loads((ROOT / "include" / "pools.json").read_text())
    dag = dagbag.dags["conflict_news_nightly"]
    fetch_tasks = {t.task_id: t for t in dag.tasks if t.task_id.endswith(".fetch")}
    configured = {s.family for s in load_sources(DEFAULT_SOURCES_PATH, include_disabled=True)}
    families = {task_id.removesuffix(".fetch") for task_id in fetch_tasks}
    assert families == configured | {"default", "manual"}
    for task_id, task in fetch_tasks.items():
        family = task_id.removesuffix(".fetch")
        assert task.pool == f"fetch_{family}"
        assert task.pool in pools, f"{task.pool} missing from include/pools.json"
        assert pools[task.pool]["slots"] >= 1 and pools[task.pool]["description"]
    # Only fetch talks to the families' hosts per page; the other tasks use the default pool.
    others = {t.pool for t in dag.tasks if not t.task_id.endswith(".fetch")}
    assert others == {"default_pool"}


def test_a_bad_setting_fails_tasks_not_the_dag_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from conflict_ingest.settings import Settings

    monkeypatch.setenv("CONFLICT_INGEST_BATCH_SIZE", "0")
    with pytest.raises(ValueError, match="CONFLICT_INGEST_BATCH_SIZE"):
        Settings.from_env()
    bag = DagBag(dag_folder=str(DAGS_DIR / "conflict_news_nightly.py"))
    assert bag.import_errors == {}
    assert "sample.fetch" in bag.dags["conflict_news_nightly"].task_dict


def test_every_task_of_every_dag_has_an_execution_timeout(dagbag) -> None:
    from conflict_ingest import timeouts

    limits = {v for k, v in vars(timeouts).items() if k.endswith("_TIMEOUT")}
    assert {"conflict_news_nightly", "conflict_news_rollups", "conflict_news_urgent"} <= set(dagbag.dags)
    for dag_id, dag in dagbag.dags.items():
        for t in dag.tasks:
            timeout = t.execution_timeout
            assert timeout is not None, f"{dag_id}.{t.task_id} has no execution_timeout"
            assert timeout in limits, (
                f"{dag_id}.{t.task_id}: {timeout} is not one of conflict_ingest.timeouts"
            )
            assert dt.timedelta(minutes=5) <= timeout <= dt.timedelta(hours=6), (
                f"{dag_id}.{t.task_id}: {timeout}"
            )


def test_fetching_a_batch_at_polite_rates_gets_more_time_than_cleaning_it(dagbag) -> None:
    from conflict_ingest.settings import Settings

    dag = dagbag.dags["conflict_news_nightly"]
    fetch, clean = dag.get_task("sample.fetch"), dag.get_task("sample.clean")
    assert fetch.execution_timeout > clean.execution_timeout
    # a batch of the default size at one request a second (the fetcher's default rate per host)
    assert fetch.execution_timeout >= dt.timedelta(seconds=4 * Settings().batch_size)


@pytest.mark.parametrize("bad", ["sample-rss\n", "sample-rss\r\n", "Sample", "sample rss", "-x"])
def test_the_source_ids_param_refuses_an_id_with_a_trailing_newline(dagbag, bad: str) -> None:
    from airflow.sdk.definitions.param import ParamValidationError

    param = dagbag.dags["conflict_news_nightly"].params.get_param("source_ids")
    assert param.resolve(["sample-rss"]) == ["sample-rss"]
    with pytest.raises(ParamValidationError):
        param.resolve(["sample-rss", bad])


@pytest.mark.parametrize(
    "bad",
    [
        "https://alice:fake-hunter2@news.example.org/a",
        "https://alice@news.example.org/a",
        "https://news.example.org/a\n",
        "https://news.example.org/a b",
        "ftp://news.example.org/a",
    ],
)
def test_the_urls_param_refuses_credentials_blanks_and_other_schemes(dagbag, bad: str) -> None:
    from airflow.sdk.definitions.param import ParamValidationError

    param = dagbag.dags["conflict_news_nightly"].params.get_param("urls")
    good = ["https://news.example.org/a?x=1&y=@z#f", "http://127.0.0.1:8080/p", "https://medium.com/@u/p"]
    assert param.resolve(good) == good
    with pytest.raises(ParamValidationError):
        param.resolve([good[0], bad])


def test_the_urls_param_and_the_library_agree(dagbag) -> None:
    """What the form lets through, the first task's check accepts (and the other way round)."""
    from airflow.sdk.definitions.param import ParamValidationError

    from conflict_ingest.inputs import InputError, check_page_url

    param = dagbag.dags["conflict_news_nightly"].params.get_param("urls")
    samples = [
        "https://news.example.org/a",
        "https://news.example.org",
        "http://[::1]:8080/a?b=@c",
        "https://alice:fake-pw@news.example.org/a",
        "https://news.example.org\\@evil.example/",
        "https://news.example.org/a\tb",
        "https://news.example.org/a\n",
        "javascript:alert(1)",
    ]
    for url in samples:
        try:
            param.resolve([url])
            form = True
        except ParamValidationError:
            form = False
        try:
            library = check_page_url(url) == url
        except InputError:
            library = False
        assert form == library, url


def test_shared_airflow_adapters_are_imported_not_parsed_as_dag_files(dagbag) -> None:
    """dags/common/ holds the adapters the three DAG files share; .airflowignore keeps the DAG processor
    from parsing it, and the DAG files import it (no adapter is defined twice)."""
    parsed = {Path(stat.file).name for stat in dagbag.dagbag_stats}
    assert parsed == {p.name for p in DAGS_DIR.glob("*.py")}
    assert dagbag.import_errors == {}
    for path in sorted(DAGS_DIR.glob("*.py")):
        tree = ast.parse(path.read_text())
        assert any(isinstance(n, ast.ImportFrom) and n.module == "common" for n in tree.body), path.name
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert not defined & {"_store", "_s3_client", "_settings", "_run", "_fetcher", "_alert_senders"}, (
            path.name
        )
