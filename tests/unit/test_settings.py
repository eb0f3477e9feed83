"""Settings: every CONFLICT_INGEST_* variable declared once, read in one place, documented from code."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conflict_ingest import settings as S
from conflict_ingest.dev.stack import aws_connection, local_env, smtp_connection

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("include", "dags", "scripts", "tests")
NAME_RE = re.compile(r"\bCONFLICT_INGEST_[A-Z0-9_]*[A-Z0-9]\b")
#: Knobs of the e2e test harness itself, not of the pipeline.
TEST_HARNESS_VARS = {"CONFLICT_INGEST_KEEP_E2E", "CONFLICT_INGEST_WORKER_NAME"}
#: A usable value, not the default, for every declared variable.
SAMPLES = {
    "CONFLICT_INGEST_BUCKET": "other-bucket",
    "CONFLICT_INGEST_SOURCES": "/tmp/sources.yaml",
    "CONFLICT_INGEST_AWS_CONN_ID": "aws_s3",
    "CONFLICT_INGEST_SMTP_CONN_ID": "smtp_other",
    "CONFLICT_INGEST_ALERT_TO": "a@example.test, b@example.test",
    "CONFLICT_INGEST_ALERT_WEBHOOK_URL": "https://hooks.example.test/T000/B000/secret-token",
    "CONFLICT_INGEST_BATCH_SIZE": "40",
    "CONFLICT_INGEST_ALLOW_PRIVATE_URLS": "true",
    "CONFLICT_INGEST_USER_AGENT": "test-agent/1",
    "CONFLICT_INGEST_RETRY_DELAY_S": "1",
    "CONFLICT_INGEST_NIGHTLY_END_DATE": "2017-01-01",
    "CONFLICT_INGEST_MAX_COUNT": "strikes=5000",
    "CONFLICT_INGEST_HISTORY_DAYS": "14",
    "CONFLICT_INGEST_SPIKE_FACTOR": "4.5",
    "CONFLICT_INGEST_SPIKE_MIN_HISTORY_DAYS": "7",
    "CONFLICT_INGEST_SILENT_SOURCE_MIN_DAYS": "2",
    "CONFLICT_INGEST_SILENT_SOURCE_MIN_SHARE": "0.8",
    "CONFLICT_INGEST_SILENT_SOURCE_MIN_NIGHTS": "3",
    "CONFLICT_INGEST_S3_SSE": "aws:kms",
    "CONFLICT_INGEST_S3_KMS_KEY_ID": "alias/k",
    "CONFLICT_INGEST_URGENT_QUEUE_URL": "http://127.0.0.1:1/123456789012/q",
    "CONFLICT_INGEST_URGENT_WAIT_S": "5",
    "CONFLICT_INGEST_URGENT_POLL_S": "3",
    "CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS": "0.5",
}
#: Needed beside a sample for it to be valid.
COMPANIONS = {"CONFLICT_INGEST_S3_KMS_KEY_ID": {"CONFLICT_INGEST_S3_SSE": "aws:kms"}}


def _names_in(path: Path) -> set[str]:
    return set(NAME_RE.findall(path.read_text(encoding="utf-8", errors="replace")))


def _code_files() -> list[Path]:
    return [p for d in CODE_DIRS for p in (ROOT / d).rglob("*.py") if "egg-info" not in p.parts]


def _sample_env(name: str) -> dict[str, str]:
    return {**COMPANIONS.get(name, {}), name: SAMPLES[name]}


# --- one declaration per variable -----------------------------------------------------------------


def test_every_variable_the_code_names_is_declared_in_settings() -> None:
    declared = {v.name for v in S.VARIABLES}
    named: dict[str, set[str]] = {}
    for path in _code_files():
        for name in _names_in(path) - TEST_HARNESS_VARS:
            named.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert "CONFLICT_INGEST_BUCKET" in named, "the scan found the code's variables"
    undeclared = {name: sorted(paths) for name, paths in named.items() if name not in declared}
    assert undeclared == {}, "named in the code but not declared in conflict_ingest/settings.py"
    assert len(declared) == len(S.VARIABLES), "a variable is declared twice"


def test_every_declared_variable_is_read_into_settings() -> None:
    assert set(SAMPLES) == {v.name for v in S.VARIABLES}, "give every declared variable a sample here"
    default = S.Settings.from_env({})
    assert default == S.Settings(), "the declared defaults and the structure's defaults differ"
    for var in S.VARIABLES:
        assert S.Settings.from_env(_sample_env(var.name)) != default, f"{var.name} is declared but never read"


def test_the_environment_is_read_only_in_settings() -> None:
    direct_read = re.compile(r"""environ(?:\.get\(|\[)\s*["']CONFLICT_INGEST_""")
    offenders = [
        str(p.relative_to(ROOT))
        for d in ("include", "dags")
        for p in (ROOT / d).rglob("*.py")
        if direct_read.search(p.read_text(encoding="utf-8")) and p.name != "settings.py"
    ]
    assert offenders == []
    assert "os.environ" not in (ROOT / "include" / "conflict_ingest" / "validate" / "config.py").read_text(
        encoding="utf-8"
    )
    for dag in (ROOT / "dags").glob("*.py"):
        assert "os.environ" not in dag.read_text(encoding="utf-8"), dag.name


# --- typed, frozen, clear errors -------------------------------------------------------------------


def test_settings_are_typed_and_frozen() -> None:
    settings = S.Settings.from_env(
        {name: value for name, value in SAMPLES.items() if name != "CONFLICT_INGEST_S3_KMS_KEY_ID"}
    )
    assert settings.batch_size == 40 and settings.allow_private_urls is True
    assert settings.alert_to == ("a@example.test", "b@example.test")
    assert settings.sources_path == Path("/tmp/sources.yaml")
    assert settings.retry_delay_s == 1.0
    assert settings.nightly_end_date is not None and settings.nightly_end_date.tzinfo is not None
    assert settings.validation.max_count_per_metric["strikes"] == 5000
    assert settings.validation.max_count_per_metric["killed"] == S.DEFAULT_MAX_COUNT_PER_METRIC["killed"]
    assert (settings.validation.history_days, settings.validation.spike_factor) == (14, 4.5)
    assert settings.storage.sse == "aws:kms"
    assert (settings.urgent.queue_url, settings.urgent.wait_s, settings.urgent.poll_s) == (
        SAMPLES["CONFLICT_INGEST_URGENT_QUEUE_URL"],
        5,
        3,
    )
    for obj in (settings, settings.validation, settings.storage, settings.urgent):
        field = dataclasses.fields(obj)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, field, None)


def test_the_webhook_secret_is_never_in_a_repr_or_an_error() -> None:
    secret = SAMPLES["CONFLICT_INGEST_ALERT_WEBHOOK_URL"]
    settings = S.Settings.from_env({"CONFLICT_INGEST_ALERT_WEBHOOK_URL": secret})
    assert settings.alert_webhook_url == secret
    assert "secret-token" not in repr(settings) and "secret-token" not in str(settings)
    assert S.ALERT_WEBHOOK_URL.secret
    secret_number = S.Variable("SECRET_NUMBER", "int", 0, int, "a secret number", secret=True)
    with pytest.raises(ValueError, match="SECRET_NUMBER is not a valid int") as err:
        secret_number.read({"SECRET_NUMBER": "hunter2-token"})
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CONFLICT_INGEST_BATCH_SIZE": "many"}, "CONFLICT_INGEST_BATCH_SIZE must be an integer, got 'many'"),
        ({"CONFLICT_INGEST_BATCH_SIZE": "0"}, "CONFLICT_INGEST_BATCH_SIZE must be between 1 and 2000, got 0"),
        ({"CONFLICT_INGEST_BATCH_SIZE": "2001"}, "CONFLICT_INGEST_BATCH_SIZE must be between 1 and 2000"),
        (
            {"CONFLICT_INGEST_ALLOW_PRIVATE_URLS": "maybe"},
            "CONFLICT_INGEST_ALLOW_PRIVATE_URLS must be true or false",
        ),
        ({"CONFLICT_INGEST_RETRY_DELAY_S": "-1"}, "CONFLICT_INGEST_RETRY_DELAY_S must not be negative"),
        ({"CONFLICT_INGEST_RETRY_DELAY_S": "soon"}, "CONFLICT_INGEST_RETRY_DELAY_S must be a number"),
        (
            {"CONFLICT_INGEST_NIGHTLY_END_DATE": "2017-13-01"},
            "CONFLICT_INGEST_NIGHTLY_END_DATE must be an ISO date",
        ),
        ({"CONFLICT_INGEST_MAX_COUNT": "bombings=5"}, "CONFLICT_INGEST_MAX_COUNT: expected METRIC=BOUND"),
        ({"CONFLICT_INGEST_HISTORY_DAYS": "-3"}, "CONFLICT_INGEST_HISTORY_DAYS must not be negative"),
        ({"CONFLICT_INGEST_S3_SSE": "rot13"}, "CONFLICT_INGEST_S3_SSE must be one of AES256, aws:kms, none"),
        ({"CONFLICT_INGEST_S3_KMS_KEY_ID": "alias/k"}, "CONFLICT_INGEST_S3_KMS_KEY_ID is set but"),
        ({"CONFLICT_INGEST_URGENT_POLL_S": "x"}, "CONFLICT_INGEST_URGENT_POLL_S must be an integer"),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        S.Settings.from_env(env)


def test_blank_values_take_the_default_and_long_polls_are_capped() -> None:
    assert S.Settings.from_env({v.name: "  " for v in S.VARIABLES}) == S.Settings()
    assert S.Settings.from_env({"CONFLICT_INGEST_URGENT_WAIT_S": "60"}).urgent.wait_s == S.MAX_SQS_WAIT_S


def test_encryption_and_validation_config_take_their_values_from_settings() -> None:
    from conflict_ingest.storage.store import Encryption
    from conflict_ingest.validate.config import ValidationConfig

    env = {**SAMPLES}
    settings = S.Settings.from_env(env)
    assert Encryption.from_env(env) == Encryption.from_settings(settings.storage)
    assert Encryption.from_env(env).put_args() == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "alias/k",
    }
    config = ValidationConfig.from_env(env)
    assert config == ValidationConfig.from_settings(settings.validation)
    assert config.max_count_per_metric["strikes"] == 5000 and config.silent_source_min_share == 0.8
    assert ValidationConfig() == ValidationConfig.from_env({})


# --- parse time ------------------------------------------------------------------------------------


def test_dag_parse_reads_only_the_parse_time_variables() -> None:
    parse_time = {v.name for v in S.VARIABLES if v.read_when in (S.PARSE, S.PARSE_AND_TASK)}
    assert {
        "CONFLICT_INGEST_BUCKET",
        "CONFLICT_INGEST_SOURCES",
        "CONFLICT_INGEST_URGENT_QUEUE_URL",
    } <= parse_time
    default = S.dag_settings({})
    for var in S.VARIABLES:
        changed = S.dag_settings(_sample_env(var.name)) != default
        assert changed == (var.name in parse_time), f"{var.name}: declared read at {var.read_when!r}"
    # a bad task setting never breaks a DAG's parse
    bad_task_values = {v.name: "not a value" for v in S.VARIABLES if v.name not in parse_time}
    assert S.dag_settings(bad_task_values) == default
    assert S.sources_path_from_env({"CONFLICT_INGEST_SOURCES": "/x.yaml"}) == Path("/x.yaml")


def test_the_settings_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, conflict_ingest.settings as s; s.Settings.from_env(); s.dag_settings(); "
        "heavy = [m for m in ('airflow', 'pandas', 'great_expectations', 'requests', 'boto3', 'pyarrow') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- the configuration reference -------------------------------------------------------------------


def test_configuration_reference_is_generated_from_settings() -> None:
    page = (ROOT / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- settings:start -->\n(.*?)<!-- settings:end -->", page, re.S)
    assert block, (
        "docs/reference/configuration.md has no <!-- settings:start --> ... <!-- settings:end --> block"
    )
    assert block.group(1) == S.markdown_table(), (
        "the configuration reference is out of date: run .venv/bin/python scripts/gen_settings_docs.py"
    )


def test_the_reference_has_one_row_per_variable_with_type_default_and_time() -> None:
    rows = [line for line in S.markdown_table().splitlines() if line.startswith("| `CONFLICT_INGEST_")]
    assert [row.split("`")[1] for row in rows] == [v.name for v in S.VARIABLES]
    batch = next(row for row in rows if "BATCH_SIZE" in row)
    assert "int (1–2000)" in batch and "`250`" in batch and S.TASK in batch
    queue = next(row for row in rows if "URGENT_QUEUE_URL" in row)
    assert "| unset |" in queue and queue.endswith(f"| {S.PARSE} |")


# --- named defaults written once -------------------------------------------------------------------


def test_fetch_defaults_url_cap_and_user_agent_are_written_once() -> None:
    literals = {
        "20 s timeout": re.compile(r"(?:timeout_s\b[^\n=]*|TIMEOUT_S|default)\s*=\s*20\.0\b"),
        "5_000_000": re.compile(r"5_000_000|5000000"),
        "user agent": re.compile(r"conflict-ingest/0\.1 \("),
        "200 URLs": re.compile(r"(?:MAX_\w*URLS\w*|maxItems)\s*=\s*200\b"),
    }
    for what, pattern in literals.items():
        places = [
            str(p.relative_to(ROOT))
            for d in ("include", "dags")
            for p in (ROOT / d).rglob("*.py")
            if pattern.search(p.read_text(encoding="utf-8"))
        ]
        assert places == ["include/conflict_ingest/settings.py"], (what, places)


# --- one local Airflow environment -----------------------------------------------------------------


def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_local_env_builds_the_local_airflow_environment(tmp_path: Path) -> None:
    env = local_env(
        tmp_path,
        s3_url="http://127.0.0.1:5055",
        site_url="http://127.0.0.1:8765",
        smtp_port=8025,
        bucket="b",
        retry_delay_s=1,
        bin_dir=Path("/venv/bin"),
        base={"PATH": "/usr/bin", "HTTPS_PROXY": "http://proxy:3128", "KEEP": "me"},
        drop_proxies=True,
        extra={"AIRFLOW__LOGGING__LOGGING_LEVEL": "DEBUG"},
    )
    assert env["AIRFLOW_HOME"] == str(tmp_path)
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(ROOT / "dags")
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == str(ROOT / "plugins")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW_CONN_AWS_DEFAULT"] == aws_connection("http://127.0.0.1:5055")
    assert env["AIRFLOW_CONN_SMTP_DEFAULT"] == smtp_connection(8025)
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5055"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_DEFAULT_REGION"]) == ("testing", "us-east-1")
    assert env["SAMPLE_SITE_URL"] == "http://127.0.0.1:8765"
    assert env["CONFLICT_INGEST_BUCKET"] == "b" and env["CONFLICT_INGEST_RETRY_DELAY_S"] == "1"
    assert env["NO_PROXY"] == env["no_proxy"] == "127.0.0.1,localhost"
    assert "HTTPS_PROXY" not in env and env["KEEP"] == "me"
    assert env["PATH"].split(":")[0] == "/venv/bin"
    assert env["AIRFLOW__LOGGING__LOGGING_LEVEL"] == "DEBUG"
    assert S.Settings.from_env(env).bucket == "b"
    bare = local_env(tmp_path, base={})
    assert not {"AIRFLOW_CONN_AWS_DEFAULT", "SAMPLE_SITE_URL", "CONFLICT_INGEST_BUCKET", "PATH"} & set(bare)


def test_every_local_airflow_is_built_by_local_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in ("scripts/local_stack.py", "tests/conftest.py", "tests/e2e/deployment.py"):
        text = (ROOT / path).read_text(encoding="utf-8")
        assert "local_env(" in text, path
        assert '"AIRFLOW__CORE__DAGS_FOLDER"' not in text, f"{path} builds its own Airflow environment"
    local_stack = _load_script("local_stack")
    monkeypatch.setattr(local_stack, "LOCAL", tmp_path)
    env: dict[str, Any] = local_stack.airflow_env("http://127.0.0.1:1", "http://127.0.0.1:2", 3)
    assert (
        env["AIRFLOW__CORE__PARALLELISM"] == "4"
        and env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "False"
    )
    assert (
        env["AIRFLOW_HOME"] == str(tmp_path / "airflow")
        and env["AIRFLOW__LOGGING__LOGGING_LEVEL"] == "WARNING"
    )
    assert env["AIRFLOW_CONN_SMTP_DEFAULT"] == smtp_connection(3)
