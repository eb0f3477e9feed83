"""The work area's keys are made and read by storage.keys, never rebuilt by editing another key."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from conflict_ingest.storage import keys

PIPELINE = Path(__file__).resolve().parents[2] / "include" / "conflict_ingest" / "pipeline"
DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.mark.parametrize("source_id", ["isaf", "centcom-releases", "a-b-c_d.e"])
def test_a_batch_key_leads_to_its_stage_keys_and_source(source_id: str) -> None:
    work = keys.work_prefix(dt.date(2016, 12, 1), "scheduled__2016-12-01T00:00:00+00:00")
    batch = keys.batch_key(work, source_id, 7)
    fetched = keys.fetched_key(batch)
    cleaned = keys.cleaned_key(fetched)
    extracted = keys.extracted_key(cleaned)
    assert keys.batch_source_id(batch) == source_id
    assert {keys.batch_name(k) for k in (batch, fetched, cleaned, extracted)} == {f"{source_id}-00007"}
    assert fetched.startswith(keys.stage_prefix(work, keys.FETCHED))
    assert cleaned.startswith(keys.stage_prefix(work, keys.CLEANED)) and cleaned.endswith(keys.JSONL_GZ)
    assert extracted.startswith(keys.stage_prefix(work, keys.EXTRACTED)) and extracted.endswith(keys.JSONL_GZ)
    assert len({batch, fetched, cleaned, extracted}) == 4


def _string_edits_of_keys(path: Path) -> list[str]:
    """Calls like ``key.replace("/fetched/", ...)`` or ``key.rsplit("/", ...)``: keys rebuilt by hand."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"replace", "rsplit", "split"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and "/" in node.args[0].value
        ):
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_stage_or_dag_rebuilds_a_key_by_string_editing() -> None:
    files = sorted(PIPELINE.glob("*.py")) + sorted(DAGS.glob("*.py"))
    assert files
    edits = [hit for f in files for hit in _string_edits_of_keys(f)]
    assert edits == [], f"keys rebuilt by string editing (use conflict_ingest.storage.keys): {edits}"
