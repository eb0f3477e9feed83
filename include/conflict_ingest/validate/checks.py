"""The validation gate: a Great Expectations 1.x suite, defined in code, run on each batch of records.

Each expectation carries a stable snake_case name (``meta["name"]``) and a level: ``critical``
expectations hold a record back (it goes to quarantine with the names it broke), ``warning``
expectations only add their name to the record's ``flags``.

Checks that need more than one column or more than one row (the count stated in the evidence,
two different counts for the same statement on one page, a sum that disagrees with its parts)
are computed per row first into a ``problem_*`` column (null when the row is fine, a short text
saying what is wrong otherwise) and then validated with GX's ``expect_column_values_to_be_null``,
so the GX result itself says which record broke what, and why.

Great Expectations is imported inside :func:`validate_records` only: it is slow to import and
noisy, and parsing a DAG must not pay for it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from conflict_ingest.settings import DEFAULT_MAX_COUNT_PER_METRIC
from conflict_ingest.validate.columns import CRITICAL, WARNING
from conflict_ingest.validate.config import SOURCE_SILENT, TrailingHistory, ValidationConfig, silent_sources
from conflict_ingest.validate.outcome import ValidationOutcome
from conflict_ingest.validate.rows import _frame
from conflict_ingest.validate.suite import GxGate, _build_expectations

logger = logging.getLogger(__name__)


# --- the gate -------------------------------------------------------------------------------


def make_gate(
    config: ValidationConfig | None = None, max_count_per_metric: dict[str, int] | None = None
) -> GxGate:
    """The suite in a GX context, built once: the config's count bounds, overridden by ``max_count_per_metric``."""
    config = config or ValidationConfig()
    max_count = {
        **DEFAULT_MAX_COUNT_PER_METRIC,
        **config.max_count_per_metric,
        **(max_count_per_metric or {}),
    }
    return GxGate(_build_expectations(max_count))


def validate_records(
    rows: list[dict[str, Any]],
    *,
    max_count_per_metric: dict[str, int] | None = None,
    config: ValidationConfig | None = None,
    history: TrailingHistory | None = None,
    sources: Iterable[str] | None = None,
    gate: GxGate | None = None,
) -> ValidationOutcome:
    """Run the suite on a batch of record rows (the contract's fields) and split it.

    Rows that broke a critical expectation go to ``failed`` with ``failed_expectations``; the
    others to ``passed``. Both carry ``flags``: the warning-level expectations they broke. The
    input rows are not modified.

    ``history`` (the trailing curated partitions, summarised) enables the trailing-history
    warnings; ``sources`` (every source that completed tonight, with or without records) enables
    the source-level one. ``max_count_per_metric`` overrides the config's bounds. ``gate`` is the
    suite already built (:func:`make_gate`, with the same config), to validate many batches with one
    GX context. Pure: nothing is read or written here.
    """
    config = config or ValidationConfig()
    frame = _frame(rows, history, config)
    gate = gate or make_gate(config, max_count_per_metric)
    result = gate.run(frame)
    gx_result = result.to_json_dict()

    broken: list[dict[str, list[str]]] = [{CRITICAL: [], WARNING: []} for _ in rows]
    by_name: dict[str, dict[str, Any]] = {}
    record_ids = frame["record_id"].tolist()
    for item in gx_result["results"]:
        expectation_config = item["expectation_config"]
        meta = expectation_config.get("meta") or {}
        name, level = meta["name"], meta["level"]
        entry = by_name.setdefault(
            name, {"name": name, "level": level, "success": True, "rows": [], "exceptions": []}
        )
        entry["success"] = entry["success"] and bool(item["success"])
        exception = item.get("exception_info") or {}
        if exception.get("raised_exception"):
            # An expectation that could not be evaluated vouches for no row.
            entry["exceptions"].append(exception.get("exception_message"))
            logger.error("expectation %s (%s) raised: %s", name, expectation_config["type"], exception)
            entry["rows"].extend(range(len(rows)))
            continue
        entry["rows"].extend(
            int(hit["row_number"]) for hit in item["result"].get("unexpected_index_list") or []
        )

    expectation_results: list[dict[str, Any]] = []
    for entry in by_name.values():
        row_numbers = sorted(set(entry["rows"]))
        for i in row_numbers:
            if entry["name"] not in broken[i][entry["level"]]:
                broken[i][entry["level"]].append(entry["name"])
        result_entry = {
            "name": entry["name"],
            "level": entry["level"],
            "success": entry["success"],
            "unexpected_count": len(row_numbers),
            "unexpected_record_ids": [record_ids[i] for i in row_numbers],
        }
        if entry["exceptions"]:
            result_entry["exceptions"] = entry["exceptions"]
        expectation_results.append(result_entry)

    passed: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for row, hits in zip(rows, broken, strict=True):
        out = dict(row)
        out["flags"] = list(hits[WARNING])
        if hits[CRITICAL]:
            out["failed_expectations"] = list(hits[CRITICAL])
            failed.append(out)
        else:
            passed.append(out)

    source_warnings: list[dict[str, Any]] = []
    if sources is not None:
        tonight = {str(sid): 0 for sid in sources}
        for row in rows:
            if row.get("source_id") in tonight:
                tonight[row["source_id"]] += 1
        source_warnings = silent_sources(tonight, history, config)
        expectation_results.append(
            {
                "name": SOURCE_SILENT,
                "level": WARNING,
                "scope": "source",
                "success": not source_warnings,
                "unexpected_count": len(source_warnings),
                "unexpected_record_ids": [],
                "unexpected_sources": [w["source_id"] for w in source_warnings],
            }
        )

    outcome = ValidationOutcome(
        passed=passed,
        failed=failed,
        expectation_results=expectation_results,
        gx_result=gx_result,
        source_warnings=source_warnings,
    )
    summary = outcome.summary()
    logger.info(
        "validated %d records: %d passed, %d failed; failed expectations %s; flags %s; source warnings %s",
        summary["total"],
        summary["passed"],
        summary["failed"],
        summary["failed_expectations"],
        summary["flags"],
        [w["source_id"] for w in source_warnings],
    )
    return outcome
