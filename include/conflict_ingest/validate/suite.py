"""The Great Expectations suite, defined in code."""

from __future__ import annotations

import logging
from collections.abc import Iterable
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
    SPIKE,
)

logger = logging.getLogger(__name__)


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


def _run_gx(frame: pd.DataFrame, expectations: Iterable[Any]) -> Any:
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
    batch_definition = (
        context.data_sources.add_pandas("strike_counts")
        .add_dataframe_asset("records")
        .add_batch_definition_whole_dataframe("batch")
    )
    suite = gx.ExpectationSuite(name="strike_counts")
    for expectation in expectations:
        suite.add_expectation(expectation)
    suite = context.suites.add(suite)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="strike_counts_gate", data=batch_definition, suite=suite)
    )
    return definition.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
