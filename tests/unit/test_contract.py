"""The record contract is written once (conflict_ingest.contract) and everything that names the
record's fields agrees with it: the Record class, the Parquet schema, validation, the report, the
rollups' keys and the README's table."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import io
import json
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conflict_ingest import contract, rollups
from conflict_ingest.clean.cleaner import clean_html
from conflict_ingest.contract import CASUALTY_METRICS, FIELD_NAMES, FIELDS, Metric, Qualifier, Victim
from conflict_ingest.extract.reader import extract_records
from conflict_ingest.records import (
    METRICS,
    QUALIFIERS,
    RECORD_FIELDS,
    TOLL_METRICS,
    VICTIMS,
    Extraction,
    PageMeta,
    Record,
)
from conflict_ingest.storage import partitions as land
from conflict_ingest.validate import checks as validate_checks
from conflict_ingest.validate import config as validate_config
from conflict_ingest.validate import report
from conflict_ingest.validate import rows as validate_rows
from conflict_ingest.validate import suite as validate_suite

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "extraction"


def _gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(**fields: Any) -> dict[str, Any]:
    """A valid row whose every field has a value of its own (so a report can be searched for it)."""
    meta = PageMeta(
        source_id="src-unique-id",
        source_url="https://news.example/fetched-url",
        canonical_url="https://news.example/canonical-url",
        title="A title seen nowhere else",
        published_at=dt.datetime(2016, 11, 8, 9, 30, tzinfo=dt.UTC),
        fetched_at=dt.datetime(2016, 11, 9, 1, 2, 3, tzinfo=dt.UTC),
        raw_key="raw/source=src-unique-id/dt=2016-11-08/rawkey.html.gz",
        content_sha256="c0ffee" * 10 + "beef",
    )
    ex = Extraction(
        metric=Metric.KILLED,
        count=17,
        qualifier=Qualifier.AT_LEAST,
        evidence="At least 17 people were killed in Mosul on Monday.",
        victim=Victim.CIVILIANS,
        actor="actor-unique",
        target="target-unique",
        location="location-unique",
        period_start=dt.date(2016, 11, 7),
        period_end=dt.date(2016, 11, 7),
    )
    row = Record.build(meta, ex).to_row()
    row.update(fields)
    return row


# --- the enums ------------------------------------------------------------------------------


def test_enums_hold_exactly_todays_strings() -> None:
    assert [m.value for m in Metric] == [
        "strikes",
        "engagements",
        "sorties",
        "weapons_released",
        "killed",
        "wounded",
    ]
    assert [q.value for q in Qualifier] == ["exact", "at_least", "at_most", "approximate", "vague"]
    assert [v.value for v in Victim] == ["combatants", "civilians", "unspecified"]
    assert [m.value for m in CASUALTY_METRICS] == ["killed", "wounded"]


def test_enums_are_the_sets_validation_checks() -> None:
    assert contract.values(Metric) == METRICS
    assert contract.values(Qualifier) == QUALIFIERS
    assert contract.values(Victim) == VICTIMS
    assert contract.values(CASUALTY_METRICS) == TOLL_METRICS
    assert validate_config.IN_SET_FIELDS == {
        "metric": METRICS,
        "qualifier": QUALIFIERS,
        "victim": VICTIMS,
    }
    # and what the suite really runs: one in-set expectation per enum field, with its values
    suite = validate_suite._build_expectations(dict(validate_config.DEFAULT_MAX_COUNT_PER_METRIC))
    in_set = {e.column: list(e.value_set) for e in suite if type(e).__name__ == "ExpectColumnValuesToBeInSet"}
    assert in_set == {name: list(allowed) for name, allowed in contract.ENUM_VALUES.items()}
    assert all(type(v) is str for allowed in in_set.values() for v in allowed)
    # every metric has a plausible bound, and only metrics do
    assert set(validate_config.DEFAULT_MAX_COUNT_PER_METRIC) == set(Metric)
    assert set(validate_config.ACTOR_EXPECTED_METRICS) <= set(Metric)


# --- Record and RECORD_FIELDS -----------------------------------------------------------------


def test_record_fields_are_the_contract_table_in_order() -> None:
    assert RECORD_FIELDS == FIELD_NAMES
    assert tuple(f.name for f in dataclasses.fields(Record)) == FIELD_NAMES
    hints = typing.get_type_hints(Record)
    for f in FIELDS:
        assert hints[f.name] == f.python, f"Record.{f.name} is {hints[f.name]}, the contract says {f.python}"
    assert len(set(FIELD_NAMES)) == len(FIELD_NAMES)


def test_required_fields_are_never_optional_in_python() -> None:
    for f in FIELDS:
        optional = type(None) in typing.get_args(f.python)
        assert not (f.required and optional), f"{f.name} is required but typed {f.python}"


def test_extractions_and_records_hold_plain_strings_and_serialise_unchanged() -> None:
    ex = Extraction(
        metric=Metric.KILLED,
        count=3,
        qualifier=Qualifier.EXACT,
        evidence="3 killed.",
        victim=Victim.CIVILIANS,
    )
    for name in ("metric", "qualifier", "victim"):
        assert type(getattr(ex, name)) is str
        assert type(ex.to_json()[name]) is str
    assert json.dumps(ex.to_json(), sort_keys=True) == json.dumps(
        {
            "actor": None,
            "admin1": None,
            "count": 3,
            "count_text": None,
            "country": None,
            "evidence": "3 killed.",
            "location": None,
            "metric": "killed",
            "period_end": None,
            "period_start": None,
            "qualifier": "exact",
            "target": None,
            "victim": "civilians",
        },
        sort_keys=True,
    )
    row = _row()
    assert all(type(row[name]) is str for name in contract.ENUM_VALUES)
    # and what the extractor itself returns, on real pages
    seen = 0
    for path in sorted(FIXTURES.glob("*.html")):
        page = clean_html(path.read_bytes(), None)
        for found in extract_records(page, page.canonical_url):
            seen += 1
            for name in contract.ENUM_VALUES:
                value = getattr(found, name)
                assert value is None or type(value) is str, f"{path.name}: {name} is {type(value)}"
    assert seen > 0


# --- the Parquet schema -----------------------------------------------------------------------


def test_curated_arrow_schema_follows_the_contract() -> None:
    schema = land.arrow_schema()
    assert tuple(schema.names) == FIELD_NAMES
    for f in FIELDS:
        arrow_field = schema.field(f.name)
        assert str(arrow_field.type) == f.arrow
        assert arrow_field.nullable is (not f.required), f"{f.name}: nullable={arrow_field.nullable}"


def test_quarantine_arrow_schema_lets_every_field_be_null() -> None:
    schema = land.arrow_schema(("failed_expectations",), enforce_required=False)
    assert tuple(schema.names) == (*FIELD_NAMES, "failed_expectations")
    assert all(schema.field(name).nullable for name in schema.names)
    assert [str(schema.field(f.name).type) for f in FIELDS] == [f.arrow for f in FIELDS]


def test_curated_parquet_refuses_a_null_in_a_required_field() -> None:
    import pyarrow as pa

    land.to_parquet_bytes([_row()])  # a valid row lands
    for name in contract.REQUIRED_FIELDS:
        with pytest.raises(pa.ArrowInvalid, match=name):
            land.to_parquet_bytes([_row(**{name: None})])


def test_parquet_written_with_todays_nullable_schema_still_reads_the_same() -> None:
    """A part landed before the contract (3 not-null fields) reads into the same rows as one
    landed after it (13 not-null fields)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [_row(), _row(record_id="other", victim=None, metric="strikes", published_at=None)]
    old_schema = pa.schema(
        [
            pa.field(
                f.name, contract.arrow_type(f.arrow), nullable=f.name not in {"record_id", "metric", "count"}
            )
            for f in FIELDS
        ]
    )
    coerced = [land.coerce_row(r) for r in rows]
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(coerced, schema=old_schema), sink, compression="zstd")
    old_rows = pq.read_table(io.BytesIO(sink.getvalue())).to_pylist()
    new_rows = pq.read_table(io.BytesIO(land.to_parquet_bytes(rows))).to_pylist()
    assert old_rows == new_rows
    assert [r["title"] for r in new_rows] == ["A title seen nowhere else"] * 2


def test_rows_read_back_from_curated_and_quarantine_parts_validate_as_before() -> None:
    """What the pipeline lands reads back into rows that validation judges exactly as it judged
    them before landing (the curated rows pass, the quarantined ones break the same expectations)."""
    import pyarrow.parquet as pq

    def page(i: int) -> dict[str, str]:
        return {"source_url": f"https://news.example/{i}", "canonical_url": f"https://news.example/{i}"}

    good = [
        _row(**page(1)),
        _row(record_id="other", count=18, evidence="At least 18 were killed.", **page(2)),
    ]
    bad = [_row(record_id="bad", title=None, metric="bogus", **page(3))]
    before = validate_checks.validate_records([*good, *bad])
    assert len(before.passed) == 2 and len(before.failed) == 1

    def read_back(rows: list[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
        return pq.read_table(io.BytesIO(land.to_parquet_bytes(rows, **kwargs))).to_pylist()

    curated = read_back(before.passed)
    quarantined = read_back(
        before.failed, extra_list_columns=("failed_expectations",), enforce_required=False
    )
    again = validate_checks.validate_records(
        [*curated, *({k: v for k, v in r.items() if k != "failed_expectations"} for r in quarantined)]
    )
    assert [r["record_id"] for r in again.passed] == [r["record_id"] for r in before.passed]
    assert again.passed == before.passed
    assert [r["failed_expectations"] for r in again.failed] == [
        r["failed_expectations"] for r in before.failed
    ]
    assert quarantined[0]["failed_expectations"] == before.failed[0]["failed_expectations"]


# --- validation ---------------------------------------------------------------------------------


def test_validation_field_lists_are_the_contracts() -> None:
    assert validate_config.REQUIRED_FIELDS == contract.REQUIRED_FIELDS
    assert len(contract.REQUIRED_FIELDS) == 14
    kinds = (
        validate_config.STR_FIELDS,
        validate_config.INT_FIELDS,
        validate_config.DATE_FIELDS,
        validate_config.DATETIME_FIELDS,
        validate_config.STR_LIST_FIELDS,
        validate_config.BOOL_FIELDS,
    )
    every = [name for kind in kinds for name in kind]
    assert sorted(every) == sorted(FIELD_NAMES), "every field is type-checked exactly once"
    suite = validate_suite._build_expectations(dict(validate_config.DEFAULT_MAX_COUNT_PER_METRIC))
    not_null = [
        e.column
        for e in suite
        if type(e).__name__ == "ExpectColumnValuesToNotBeNull" and getattr(e, "row_condition", None) is None
    ]
    assert not_null == list(contract.REQUIRED_FIELDS)


def test_validation_type_check_names_a_wrong_type_of_every_field() -> None:
    wrong: dict[str, Any] = {}
    for f in FIELDS:
        wrong[f.name] = 1.5 if f.arrow != contract.ARROW_INT64 else "17"
    wrong["released_by_reviewer"] = "yes"  # a string is no bool (and 1.5 would not be either)
    problem = validate_rows._types_problem(wrong) or ""
    for name in FIELD_NAMES:
        assert f"{name}: " in problem
    assert validate_rows._types_problem(_row()) is None


# --- the report ---------------------------------------------------------------------------------


def test_report_columns_show_every_contract_field() -> None:
    covered = {
        name for column in report.RECORD_COLUMNS for name in report.COMBINED_COLUMNS.get(column, (column,))
    }
    assert covered == set(FIELD_NAMES)


def test_report_shows_every_field_of_a_held_back_record() -> None:
    # over the plausible bound (held back), over 366 days (flagged)
    row = _row(count=10**9, period_start=dt.date(2015, 1, 1))
    outcome = validate_checks.validate_records([row])
    (failed,) = outcome.failed
    assert failed["flags"] == ["period_over_366_days"]
    page = report.render_report_html(outcome, title="t")
    held_back = page.split("<h2>Held back")[1].split("<h2>Landed")[0]
    for name in FIELD_NAMES:
        value = failed[name]
        for shown in value if isinstance(value, list) else [value]:
            assert report._e(shown) in held_back, f"the report does not show {name} ({shown!r})"


# --- the rollups --------------------------------------------------------------------------------


def test_rollup_keys_are_contract_fields_and_columns_match_the_rows() -> None:
    assert set(rollups.MONTHLY_KEY_FIELDS) <= set(FIELD_NAMES)
    assert set(rollups.CROSS_KEY_FIELDS) <= set(FIELD_NAMES)
    a = _row(source_id="a", metric="strikes", victim=None)
    b = _row(source_id="b", metric="strikes", victim=None, record_id="b", count=18)
    (monthly,) = rollups.monthly_totals([a, b])
    assert list(monthly) == rollups.MONTHLY_COLUMNS
    (cross,) = rollups.cross_source([a, b])
    assert list(cross) == rollups.CROSS_COLUMNS


# --- the README -----------------------------------------------------------------------------


def test_readme_contract_table_is_generated_from_the_contract() -> None:
    gen_docs = _gen_docs()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(gen_docs.START) == 1 and readme.count(gen_docs.END) == 1
    block = readme.split(gen_docs.START)[1].split(gen_docs.END)[0]
    assert block == "\n" + contract.markdown_table(), (
        "README.md's record contract table is not the contract's: run .venv/bin/python scripts/gen_docs.py"
    )


def test_markdown_table_has_a_row_per_field_with_its_types() -> None:
    lines = contract.markdown_table().splitlines()
    assert len(lines) == 2 + len(FIELDS)
    for f, line in zip(FIELDS, lines[2:], strict=True):
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        assert cells[0] == f"`{f.name}`"
        assert cells[2] == f"`{f.arrow}`"
        assert cells[3] == ("yes" if f.required else "no")
        if f.values is not None:
            assert all(f"`{v}`" in cells[4] for v in contract.values(f.values))


def test_gen_docs_rewrites_a_stale_table(tmp_path: Path) -> None:
    gen_docs = _gen_docs()
    doc = tmp_path / "README.md"
    doc.write_text(f"# x\n\n{gen_docs.START}\n| stale |\n{gen_docs.END}\n\nafter\n", encoding="utf-8")
    assert gen_docs.main([str(doc), "--check"]) == 1
    assert gen_docs.main([str(doc)]) == 0
    text = doc.read_text(encoding="utf-8")
    assert "| stale |" not in text and contract.markdown_table() in text and text.endswith("\n\nafter\n")
    assert gen_docs.main([str(doc), "--check"]) == 0
    doc.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="contract:start"):
        gen_docs.main([str(doc)])
