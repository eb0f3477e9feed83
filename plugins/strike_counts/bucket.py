"""The bucket the DAGs write, read through the DAGs' own adapter (``dags/common/adapters.py``).

The API server does not put the DAG folder on ``sys.path`` (the DAG processor and the task runners
do), so it is added here, once, to import ``common.adapters``: one builder of the store (the
``aws_default`` connection, or ``CONFLICT_INGEST_AWS_CONN_ID``, and ``CONFLICT_INGEST_BUCKET``) for
the tasks and the view.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conflict_ingest.storage.store import ObjectStore


def store() -> ObjectStore:
    """The pipeline's bucket, as the tasks see it."""
    from airflow.configuration import conf

    dags_folder = conf.get("core", "dags_folder")
    if dags_folder and dags_folder not in sys.path:
        sys.path.append(dags_folder)
    from common import adapters

    return adapters.store()


def bucket_name() -> str:
    from conflict_ingest.settings import Settings

    return Settings.from_env().bucket
