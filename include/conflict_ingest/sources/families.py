"""Fetch families: sources that share hosts share a family, and each family has an Airflow pool.

The nightly DAG builds one fetch lane per family, so this module is read when the DAG file is
parsed: it imports nothing heavy and only reads ``sources.yaml`` (a local file). Full validation
of the file stays in :func:`conflict_ingest.sources.registry.load_sources`, at run time.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import yaml

logger = logging.getLogger(__name__)

FAMILY_RE = re.compile(r"\A[a-z0-9][a-z0-9_]*\Z")  # \Z: "$" would accept a trailing newline
#: The family of sources that name none, and of pages asked for by hand (any host).
DEFAULT_FAMILY = "default"
MANUAL_FAMILY = "manual"
BUILT_IN_FAMILIES = (DEFAULT_FAMILY, MANUAL_FAMILY)
FETCH_POOL_PREFIX = "fetch_"


def fetch_pool(family: str) -> str:
    """The Airflow pool that bounds a family's concurrent fetch batches across all workers."""
    return f"{FETCH_POOL_PREFIX}{family}"


def fetch_families(path: str | Path) -> list[str]:
    """The families the DAG builds a lane for: those named in ``sources.yaml``, plus the built-in two.

    Never fails: a file that cannot be read gives the built-in families (``list_sources`` reports
    the error when a run starts), and a malformed family name is left for run-time validation.
    Disabled sources count, so enabling one does not change the DAG's shape.
    """
    families = set(BUILT_IN_FAMILIES)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        logger.warning("fetch families: cannot read %s (%s); using %s only", path, exc, sorted(families))
        return sorted(families)
    rows = data.get("sources") if isinstance(data, dict) else None
    for row in rows if isinstance(rows, list) else []:
        family = row.get("family", DEFAULT_FAMILY) if isinstance(row, dict) else DEFAULT_FAMILY
        if isinstance(family, str) and FAMILY_RE.match(family):
            families.add(family)
    return sorted(families)
