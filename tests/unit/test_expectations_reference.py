"""The expectations reference (docs/reference/expectations.md) is generated from the table in code,
and that table names exactly the expectations the gate checks.

Building the suite imports Great Expectations (a few seconds), once for the module.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conflict_ingest import contract
from conflict_ingest.validate import config as validate_config
from conflict_ingest.validate import suite as validate_suite
from conflict_ingest.validate.columns import CRITICAL, WARNING

ROOT = Path(__file__).resolve().parents[2]
EXPECTATIONS_DOC = ROOT / "docs" / "reference" / "expectations.md"


def _gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built() -> list[Any]:
    """The expectations the gate runs, in order (GX objects, each with its name and level in meta)."""
    return validate_suite._build_expectations(dict(validate_config.DEFAULT_MAX_COUNT_PER_METRIC))


def _table_names() -> list[str]:
    return [name for row in validate_suite.EXPECTATIONS for name in row.names]


def test_expectation_table_names_exactly_the_suites_expectations_in_order(built: list[Any]) -> None:
    suite_names = list(dict.fromkeys(e.meta["name"] for e in built))  # one name may span several GX checks
    assert _table_names() == [*suite_names, validate_config.SOURCE_SILENT]
    assert len(set(_table_names())) == len(_table_names())


def test_expectation_table_levels_are_the_suites(built: list[Any]) -> None:
    level_of = {name: row.level for row in validate_suite.EXPECTATIONS for name in row.names}
    for expectation in built:
        assert level_of[expectation.meta["name"]] == expectation.meta["level"], expectation.meta
    assert level_of[validate_config.SOURCE_SILENT] == WARNING
    assert {row.level for row in validate_suite.EXPECTATIONS} == {CRITICAL, WARNING}


def test_not_null_row_lists_the_contracts_required_fields() -> None:
    row = next(r for r in validate_suite.EXPECTATIONS if r.label == "`<field>_not_null`")
    assert row.names == tuple(f"{name}_not_null" for name in contract.REQUIRED_FIELDS)
    assert row.description == "one of " + ", ".join(contract.REQUIRED_FIELDS) + " is null"


def test_markdown_table_has_one_row_per_description() -> None:
    lines = validate_suite.markdown_table().splitlines()
    assert lines[:2] == ["| name | level | a record breaks it when |", "|---|---|---|"]
    assert len(lines) == 2 + len(validate_suite.EXPECTATIONS)
    for line, row in zip(lines[2:], validate_suite.EXPECTATIONS, strict=True):
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        assert cells == [row.name_cell(), row.level_cell(), row.description]
    assert "| `source_yielded_no_records` | warning (per source) |" in validate_suite.markdown_table()


def test_expectations_doc_holds_the_generated_table() -> None:
    gen_docs = _gen_docs()
    text = EXPECTATIONS_DOC.read_text(encoding="utf-8")
    start, end = gen_docs.EXPECTATIONS_START, gen_docs.EXPECTATIONS_END
    assert text.count(start) == 1 and text.count(end) == 1
    block = text.split(start)[1].split(end)[0]
    assert block == "\n" + validate_suite.markdown_table(), (
        "docs/reference/expectations.md's table is not the expectations table in code "
        "(validate/suite.py): run .venv/bin/python scripts/gen_docs.py"
    )


def test_gen_docs_rewrites_a_stale_expectations_table(tmp_path: Path) -> None:
    gen_docs = _gen_docs()
    start, end = gen_docs.EXPECTATIONS_START, gen_docs.EXPECTATIONS_END
    doc = tmp_path / "expectations.md"
    doc.write_text(f"# x\n\n{start}\n| stale |\n{end}\n\nafter\n", encoding="utf-8")
    assert gen_docs.main([str(doc), "--check"]) == 1
    assert doc.read_text(encoding="utf-8").count("| stale |") == 1  # --check writes nothing
    assert gen_docs.main([str(doc)]) == 0
    text = doc.read_text(encoding="utf-8")
    assert (
        "| stale |" not in text and validate_suite.markdown_table() in text and text.endswith("\n\nafter\n")
    )
    assert gen_docs.main([str(doc), "--check"]) == 0
    doc.write_text(f"{start}\n| stale |\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expectations:end"):
        gen_docs.main([str(doc)])


def test_gen_docs_check_passes_on_the_repository_docs() -> None:
    assert _gen_docs().main(["--check"]) == 0
