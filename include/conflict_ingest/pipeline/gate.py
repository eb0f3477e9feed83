"""Task ``gate``: the run fails when records are held back without a reviewer's decision, or sources
did not complete.

With a review (:func:`conflict_ingest.review.stage.review_status`, read from the decisions stored under
the bucket, not from XCom), records a reviewer released or kept are decided: a night whose every held
record was reviewed passes; one whose review got no answer (or that had no review) fails.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from conflict_ingest.errors import ConflictIngestError

logger = logging.getLogger(__name__)


class ValidationGateError(ConflictIngestError, RuntimeError):
    """Raised by :func:`gate` when records were held back undecided or sources did not complete."""


def gate(summary: dict[str, Any], review: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Fail (so the run shows it) when records were held back and not all were reviewed, or a source
    did not complete. ``review`` is the stored review's status (``undecided``, ``released``, ``kept``,
    ``unanswered``); without it every held record counts as undecided."""
    problems = []
    failed = int(summary.get("failed", 0) or 0)
    undecided = failed if review is None else len(review.get("undecided") or [])
    if failed and undecided:
        broken = ", ".join(
            f"{name} ({n})" for name, n in sorted(summary.get("failed_expectations", {}).items())
        )
        problems.append(f"{undecided} record(s) held in quarantine: {broken}")
        if review is not None:
            why = "the review got no answer in time" if review.get("unanswered") else "no reviewer decided"
            problems.append(f"{why} on {undecided} of {failed} (decisions: {review.get('decisions_key')})")
    if summary.get("sources_incomplete"):
        problems.append("sources that did not complete: " + ", ".join(summary["sources_incomplete"]))
    if problems:
        raise ValidationGateError(
            f"{summary.get('day')}: " + "; ".join(problems) + f". Report: {summary.get('report_key')}"
        )
    if failed and review is not None:
        logger.info(
            "%s: %d held record(s) reviewed: %d released to curated, %d kept in quarantine",
            summary.get("day"),
            failed,
            len(review.get("released") or []),
            len(review.get("kept") or []),
        )
    return summary
