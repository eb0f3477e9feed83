"""One exception family: every error the library raises on purpose is a ConflictIngestError.

The classes are found by importing every module of the package and walking what it defines, so a
new exception class that forgets the base fails here without anyone updating a list.
"""

from __future__ import annotations

import http.client
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import conflict_ingest
from conflict_ingest.cli import main
from conflict_ingest.errors import ConfigError, ConflictIngestError

#: The built-in base each class had before the family existed: ``except`` clauses written against it
#: must keep catching it. Keyed by where each class is imported from today.
OLD_BASES: dict[str, type[BaseException]] = {
    "conflict_ingest.alerts:AlertDeliveryError": RuntimeError,
    "conflict_ingest.alerts:WebhookError": RuntimeError,
    "conflict_ingest.clean.budget:CleaningAbandoned": RuntimeError,
    "conflict_ingest.extract.reader:PageBudgetExceeded": Exception,
    "conflict_ingest.fetch.client:_Failure": Exception,
    "conflict_ingest.fetch.safety:UnsafeURLError": ValueError,
    "conflict_ingest.fetch.safety:HeadersTooLarge": http.client.HTTPException,
    "conflict_ingest.inputs:InputError": ValueError,
    "conflict_ingest.storage.partitions:IncompletePartition": RuntimeError,
    "conflict_ingest.storage.partitions:DamagedPartition": RuntimeError,
    "conflict_ingest.storage.partitions:LandingConflict": RuntimeError,
    "conflict_ingest.pipeline.gate:ValidationGateError": RuntimeError,
    "conflict_ingest.sources.registry:DiscoveryError": RuntimeError,
    "conflict_ingest.storage.store:ConcurrentUpdate": RuntimeError,
    "conflict_ingest.urgent:MessageRejected": ValueError,
}


def _library_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined (not merely imported) in a module of the package."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(conflict_ingest.__path__, f"{conflict_ingest.__name__}."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == module.__name__:
                found[f"{module.__name__}:{name}"] = obj
    return found


def _resolve(path: str) -> type[BaseException]:
    module, name = path.split(":")
    cls: type[BaseException] = getattr(importlib.import_module(module), name)
    return cls


def test_every_exception_class_of_the_library_is_a_conflict_ingest_error() -> None:
    found = _library_exceptions()
    # the walk really reaches the modules: it finds the classes that existed before the family
    assert {_resolve(path) for path in OLD_BASES} <= set(found.values())
    outside = sorted(path for path, cls in found.items() if not issubclass(cls, ConflictIngestError))
    assert outside == []


@pytest.mark.parametrize("path", sorted(OLD_BASES))
def test_each_error_keeps_its_old_base_and_its_import_path(path: str) -> None:
    cls = _resolve(path)  # still importable from where callers import it today
    assert issubclass(cls, ConflictIngestError)
    assert issubclass(cls, OLD_BASES[path])


def test_the_base_itself_is_a_plain_exception_not_a_value_or_runtime_error() -> None:
    # catching ConflictIngestError must not catch unrelated ValueErrors, nor the other way round
    assert ConflictIngestError.__bases__ == (Exception,)
    assert not issubclass(ValueError, ConflictIngestError)
    assert issubclass(ConfigError, ValueError) and issubclass(ConfigError, ConflictIngestError)


def test_a_bad_environment_setting_is_a_config_error_with_its_message(monkeypatch) -> None:
    from conflict_ingest.settings import Settings
    from conflict_ingest.storage.store import Encryption
    from conflict_ingest.validate.config import ValidationConfig

    monkeypatch.setenv("CONFLICT_INGEST_BATCH_SIZE", "many")
    with pytest.raises(ConfigError) as settings_err:
        Settings.from_env()
    assert str(settings_err.value) == "CONFLICT_INGEST_BATCH_SIZE must be an integer, got 'many'"
    with pytest.raises(ConfigError) as sse_err:
        Encryption.from_env({"CONFLICT_INGEST_S3_SSE": "rot13"})
    assert str(sse_err.value) == "CONFLICT_INGEST_S3_SSE must be one of AES256, aws:kms, none, got 'rot13'"
    with pytest.raises(ConfigError) as bound_err:
        ValidationConfig.from_env({"CONFLICT_INGEST_HISTORY_DAYS": "-3"})
    assert str(bound_err.value) == "CONFLICT_INGEST_HISTORY_DAYS must not be negative, got '-3'"


def test_a_bad_sources_file_is_a_config_error_naming_the_file_and_field(tmp_path: Path) -> None:
    from conflict_ingest.sources.registry import load_sources

    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - id: Bad_Id\n    kind: rss\n    url: https://news.example/feed\n")
    with pytest.raises(ConfigError) as err:
        load_sources(bad)
    assert str(err.value) == f"{bad}: sources[0].id must match [a-z0-9][a-z0-9-]*, got 'Bad_Id'"
    with pytest.raises(ConfigError, match="cannot read sources file"):
        load_sources(tmp_path / "missing.yaml")


def test_a_manual_runs_bad_input_is_an_input_error() -> None:
    from conflict_ingest.inputs import InputError
    from conflict_ingest.pipeline.plan import validate_manual_urls

    with pytest.raises(InputError, match=r"^urls\[1\]: "):
        validate_manual_urls(["https://news.example/a", "ftp://news.example/b"])


def test_the_cli_prints_a_library_error_as_one_line_and_exits_1(monkeypatch, capsys) -> None:
    monkeypatch.setenv("CONFLICT_INGEST_BATCH_SIZE", "many")
    assert main(["show", "--day", "2016-12-01"]) == 1
    said = capsys.readouterr()
    assert said.err == "conflict-ingest: CONFLICT_INGEST_BATCH_SIZE must be an integer, got 'many'\n"
    assert said.out == ""


def test_the_console_script_exits_1_without_a_traceback_on_a_library_error(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CONFLICT_INGEST_S3_SSE": "rot13"}
    done = subprocess.run(  # our own interpreter and module, fixed arguments
        [sys.executable, "-m", "conflict_ingest.cli", "show", "--day", "2016-12-01"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "conflict-ingest: CONFLICT_INGEST_S3_SSE must be one of AES256, aws:kms, none, got 'rot13'"
    ]


def test_an_error_outside_the_family_is_not_swallowed_by_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    # not one of the library's deliberate errors (S3 unreachable): it surfaces as it is, with its traceback
    from botocore.exceptions import EndpointConnectionError

    from conflict_ingest.dev.stack import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with pytest.raises(EndpointConnectionError):
        main(["show", "--day", "2016-12-01", "--bucket", "nowhere"])


def test_a_missing_page_file_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["clean", "--url", "https://news.example/x", str(tmp_path / "missing.html")]) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith("conflict-ingest: cannot read ") and "missing.html" in err and "Traceback" not in err
    )
