"""What the gate decided for one batch."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from conflict_ingest.validate.columns import CRITICAL, WARNING

logger = logging.getLogger(__name__)


# --- the outcome ----------------------------------------------------------------------------


@dataclass
class ValidationOutcome:
    """What the gate decided for one batch."""

    passed: list[dict[str, Any]]
    failed: list[dict[str, Any]]
    expectation_results: list[dict[str, Any]]
    gx_result: dict[str, Any]
    # Source-level warnings (a source with no row to flag), see :func:`silent_sources`.
    source_warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def success(self) -> bool:
        """No critical expectation failed."""
        return not any(r["level"] == CRITICAL and not r["success"] for r in self.expectation_results)

    def records_by_source(self) -> dict[str, dict[str, int]]:
        """Per source: records validated, passed (to land), failed (held back), flagged (landed)."""
        out: dict[str, dict[str, int]] = {}
        for rows, outcome in ((self.passed, "passed"), (self.failed, "failed")):
            for row in rows:
                counts = out.setdefault(
                    str(row.get("source_id")), {"total": 0, "passed": 0, "failed": 0, "flagged": 0}
                )
                counts["total"] += 1
                counts[outcome] += 1
                if outcome == "passed" and row.get("flags"):
                    counts["flagged"] += 1
        return dict(sorted(out.items()))

    def summary(self) -> dict[str, Any]:
        """Counts and names only: small enough for XCom and alert messages."""
        row_level = [r for r in self.expectation_results if r.get("scope", "record") == "record"]
        return {
            "success": self.success,
            "total": len(self.passed) + len(self.failed),
            "passed": len(self.passed),
            "failed": len(self.failed),
            "flagged": sum(1 for row in self.passed if row.get("flags")),
            "failed_expectations": {
                r["name"]: r["unexpected_count"]
                for r in row_level
                if r["level"] == CRITICAL and not r["success"]
            },
            "flags": {
                r["name"]: r["unexpected_count"]
                for r in row_level
                if r["level"] == WARNING and not r["success"]
            },
            "source_warnings": [dict(w) for w in self.source_warnings],
            "records_by_source": self.records_by_source(),
        }
