"""Task ``gate``: the run fails when records were held back or sources did not complete."""

from __future__ import annotations

import logging
from typing import Any

from conflict_ingest.errors import ConflictIngestError

logger = logging.getLogger(__name__)


class ValidationGateError(ConflictIngestError, RuntimeError):
    """Raised by :func:`gate` when records were held back or sources did not complete."""


def gate(summary: dict[str, Any]) -> dict[str, Any]:
    """Fail (so the run shows it) when records were held back or a source did not complete."""
    problems = []
    if summary.get("failed", 0):
        broken = ", ".join(
            f"{name} ({n})" for name, n in sorted(summary.get("failed_expectations", {}).items())
        )
        problems.append(f"{summary['failed']} record(s) held in quarantine: {broken}")
    if summary.get("sources_incomplete"):
        problems.append("sources that did not complete: " + ", ".join(summary["sources_incomplete"]))
    if problems:
        raise ValidationGateError(
            f"{summary.get('day')}: " + "; ".join(problems) + f". Report: {summary.get('report_key')}"
        )
    return summary
