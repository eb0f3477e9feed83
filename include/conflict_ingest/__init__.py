"""conflict_ingest: read news pages, extract strike counts, validate them and land them in S3.

The library knows nothing of Airflow; the DAGs in ``dags/`` call into it.
"""

from __future__ import annotations

__version__ = "0.1.0"
