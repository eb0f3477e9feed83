"""Levels and problem columns: the names the gate writes and the report reads (``report`` imports them from here)."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


CRITICAL = "critical"
WARNING = "warning"


# --- the problem columns -------------------------------------------------------------------
# Per-row checks write a sentence into these columns of the validated frame (null: the row is fine);
# the report reads them by this prefix (report imports these names from here, never the reverse).
PROBLEM_COLUMN_PREFIX = "problem_"
PROBLEM_FIELDS = PROBLEM_COLUMN_PREFIX + "fields"
PROBLEM_TYPES = PROBLEM_COLUMN_PREFIX + "types"
PROBLEM_EVIDENCE = PROBLEM_COLUMN_PREFIX + "evidence"
PROBLEM_CONFLICT = PROBLEM_COLUMN_PREFIX + "conflict"
PROBLEM_SUM = PROBLEM_COLUMN_PREFIX + "sum"
PROBLEM_SPIKE = PROBLEM_COLUMN_PREFIX + "spike"
