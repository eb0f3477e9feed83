"""The Great Expectations suite, defined in code, and what each expectation means.

:data:`EXPECTATIONS` describes every expectation by name, level and the reason a record breaks it;
:func:`markdown_table` renders it into docs/reference/expectations.md (``scripts/gen_docs.py``).
``tests/unit/test_expectations_reference.py`` fails when its names are not the suite's, or when the
docs are not the table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conflict_ingest.records import TOLL_METRICS

if TYPE_CHECKING:
    import pandas as pd

from conflict_ingest.validate.columns import (
    CRITICAL,
    PROBLEM_CONFLICT,
    PROBLEM_EVIDENCE,
    PROBLEM_FIELDS,
    PROBLEM_SPIKE,
    PROBLEM_SUM,
    PROBLEM_TYPES,
    WARNING,
)
from conflict_ingest.validate.config import (
    ACTOR_EXPECTED_METRICS,
    IN_SET_FIELDS,
    MAX_PERIOD_DAYS,
    REQUIRED_FIELDS,
    RESULT_FORMAT,
    SOURCE_SILENT,
    SPIKE,
)

logger = logging.getLogger(__name__)


# --- what each expectation means --------------------------------------------------------------


@dataclass(frozen=True)
class ExpectationDoc:
    """One row of the expectations table: the names it covers, their level, when a record breaks them."""

    names: tuple[str, ...]
    level: str
    description: str
    #: the table's name cell when it is not the names themselves (``<field>_not_null``)
    label: str = ""
    #: reported per source (there is no record to flag), not per record
    per_source: bool = False

    def name_cell(self) -> str:
        return self.label or ", ".join(f"`{name}`" for name in self.names)

    def level_cell(self) -> str:
        return self.level + (" (per source)" if self.per_source else "")


#: every expectation, in the suite's order, then the source-level warning (computed beside GX)
EXPECTATIONS: tuple[ExpectationDoc, ...] = (
    ExpectationDoc(("record_fields_match_contract",), CRITICAL,
                   "a contract field is missing, or there is a field the contract does not have"),
    ExpectationDoc(("field_types_match_contract",), CRITICAL,
                   "a field has the wrong type (e.g. `count` as text or bool, a date as a string)"),
    ExpectationDoc(tuple(f"{name}_not_null" for name in REQUIRED_FIELDS), CRITICAL,
                   f"one of {', '.join(REQUIRED_FIELDS)} is null", label="`<field>_not_null`"),
    ExpectationDoc(("record_id_unique",), CRITICAL,
                   "two records of the run share a `record_id` (both are held back)"),
    ExpectationDoc(tuple(f"{name}_in_set" for name in IN_SET_FIELDS), CRITICAL, "an enum value outside its set"),
    ExpectationDoc(("victim_matches_metric",), CRITICAL,
                   "`killed`/`wounded` without a victim, or another metric with one"),
    ExpectationDoc(("count_positive",), CRITICAL, "`count` < 1"),
    ExpectationDoc(("count_within_plausible_bound",), CRITICAL,
                   "`count` is above the bound for its metric (see below)"),
    ExpectationDoc(("period_start_not_after_period_end",), CRITICAL, "the period is reversed"),
    ExpectationDoc(("period_start_not_after_publication",), CRITICAL,
                   "the period starts after the article's publication day"),
    ExpectationDoc(("evidence_contains_count",), CRITICAL,
                   'the evidence sentence does not state the count, in digits ("3,038", "3 038", "1.2 million") '
                   'or in words ("nine", "a dozen", "two hundred and five"); for a `vague` count, its words '
                   '("several") with their documented lower bound; for a small count of people named one by '
                   'one, as many one-person phrases and small numbers ("killed the commander": 1)'),
    ExpectationDoc(("no_conflicting_counts",), CRITICAL,
                   "the same page (same canonical or source URL) gives a different count for the same actor, "
                   "metric, qualifier, victim, location and period. Two counts in one sentence are a split, "
                   'not a conflict. The seed page\'s 2,709 and 27,800 "in November" are both held back.'),
    ExpectationDoc(("period_over_366_days",), WARNING, "the period is longer than a leap year"),
    ExpectationDoc(tuple(f"actor_missing_for_{metric}" for metric in ACTOR_EXPECTED_METRICS), WARNING,
                   f"a {' or '.join(f'`{m}`' for m in ACTOR_EXPECTED_METRICS)} record with no actor"),
    ExpectationDoc(("sum_disagrees_with_parts",), WARNING,
                   "other records on the same page tile this record's period exactly (same actor, metric, "
                   "qualifier, victim, location), and no such tiling adds up to its count"),
    ExpectationDoc((SPIKE,), WARNING,
                   "the count is more than `SPIKE_FACTOR` times the largest count the same actor and metric "
                   "reached in the trailing window of curated data. It applies only when that actor and metric "
                   "have records on at least `SPIKE_MIN_HISTORY_DAYS` days of the window. Actors are compared "
                   "case- and space-insensitively; records with no actor are not compared."),
    ExpectationDoc((SOURCE_SILENT,), WARNING,
                   "a source that completed tonight yielded no records at all, although over the days of the "
                   "window it was read it landed records on at least `SILENT_SOURCE_MIN_DAYS` days and on at "
                   "least `SILENT_SOURCE_MIN_SHARE` of them, or landed records on at least "
                   "`SILENT_SOURCE_MIN_NIGHTS` of the previous 7 nights (its per-source health; the warning then "
                   "names where tonight's yield went to zero and each night's yield). There is no record to "
                   "flag, so it is reported per source: in `summary.json` (`source_warnings`), in the report and "
                   "in the alert.",
                   per_source=True),
)  # fmt: skip


def markdown_table() -> str:
    """:data:`EXPECTATIONS` as a Markdown table (docs/reference/expectations.md holds it verbatim)."""
    lines = ["| name | level | a record breaks it when |", "|---|---|---|"]
    for row in EXPECTATIONS:
        description = row.description.replace("|", "\\|")
        lines.append(f"| {row.name_cell()} | {row.level_cell()} | {description} |")
    return "\n".join(lines) + "\n"


# --- the suite ------------------------------------------------------------------------------


def _build_expectations(max_count: dict[str, int]) -> list[Any]:
    """The suite, in order. Each expectation's meta carries its stable name and level."""
    from great_expectations import expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity
    from great_expectations.expectations.row_conditions import Column

    def named(expectation: Any, name: str, level: str = CRITICAL) -> Any:
        expectation.meta = {"name": name, "level": level}
        expectation.severity = FailureSeverity.CRITICAL if level == CRITICAL else FailureSeverity.WARNING
        return expectation

    suite: list[Any] = [
        named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_FIELDS), "record_fields_match_contract"),
        named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_TYPES), "field_types_match_contract"),
    ]
    suite += [
        named(gxe.ExpectColumnValuesToNotBeNull(column=name), f"{name}_not_null") for name in REQUIRED_FIELDS
    ]
    suite += [
        named(gxe.ExpectColumnValuesToBeUnique(column="record_id"), "record_id_unique"),
    ]
    suite += [
        named(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(allowed)), f"{name}_in_set")
        for name, allowed in IN_SET_FIELDS.items()
    ]
    suite += [
        named(
            gxe.ExpectColumnValuesToNotBeNull(
                column="victim", row_condition=Column("metric").is_in(list(TOLL_METRICS))
            ),
            "victim_matches_metric",
        ),
        named(
            gxe.ExpectColumnValuesToBeNull(
                column="victim", row_condition=Column("metric").is_not_in(list(TOLL_METRICS))
            ),
            "victim_matches_metric",
        ),
        named(gxe.ExpectColumnValuesToBeBetween(column="count", min_value=1), "count_positive"),
    ]
    suite += [
        named(
            gxe.ExpectColumnValuesToBeBetween(
                column="count", max_value=bound, row_condition=Column("metric") == metric
            ),
            "count_within_plausible_bound",
        )
        for metric, bound in max_count.items()
    ]
    suite += [
        named(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="period_end",
                column_B="period_start",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            "period_start_not_after_period_end",
        ),
        named(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="published_day",
                column_B="period_start",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            "period_start_not_after_publication",
        ),
        named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_EVIDENCE), "evidence_contains_count"),
        named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_CONFLICT), "no_conflicting_counts"),
        # warnings: the record lands, with the name in its flags
        named(
            gxe.ExpectColumnValuesToBeBetween(column="period_days", max_value=MAX_PERIOD_DAYS),
            "period_over_366_days",
            WARNING,
        ),
    ]
    suite += [
        named(
            gxe.ExpectColumnValuesToNotBeNull(column="actor", row_condition=Column("metric") == metric),
            f"actor_missing_for_{metric}",
            WARNING,
        )
        for metric in ACTOR_EXPECTED_METRICS
    ]
    suite.append(
        named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_SUM), "sum_disagrees_with_parts", WARNING)
    )
    suite.append(named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_SPIKE), SPIKE, WARNING))
    return suite


def _import_gx() -> Any:
    """Import GX quietly: its loggers at WARNING unless someone configured them already."""
    gx_logger = logging.getLogger("great_expectations")
    if gx_logger.level == logging.NOTSET:
        gx_logger.setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


class GxGate:
    """The suite in an ephemeral GX context, built once and run on any number of frames (one per batch):
    building the context, data source and suite costs far more than validating a batch."""

    def __init__(self, expectations: Iterable[Any]) -> None:
        gx = _import_gx()
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            analytics_enabled=False,
        )
        context = gx.get_context(mode="ephemeral", project_config=config)
        self._results = context.validation_results_store
        batch_definition = (
            context.data_sources.add_pandas("strike_counts")
            .add_dataframe_asset("records")
            .add_batch_definition_whole_dataframe("batch")
        )
        suite = gx.ExpectationSuite(name="strike_counts")
        for expectation in expectations:
            suite.add_expectation(expectation)
        suite = context.suites.add(suite)
        self._definition = context.validation_definitions.add(
            gx.ValidationDefinition(name="strike_counts_gate", data=batch_definition, suite=suite)
        )

    def run(self, frame: pd.DataFrame) -> Any:
        """GX's validation result of one frame (``RESULT_FORMAT``: every unexpected row, by index).

        GX keeps each run's result in the context's (in-memory) results store: dropped here, so a
        gate run on many batches holds none of them (the caller has the result)."""
        result = self._definition.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
        for key in self._results.list_keys():
            self._results.remove_key(key)
        return result


def _run_gx(frame: pd.DataFrame, expectations: Iterable[Any]) -> Any:
    return GxGate(expectations).run(frame)
