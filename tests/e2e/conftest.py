"""A real Airflow (API server, scheduler, dag-processor, triggerer) on 127.0.0.1 for end-to-end tests.

One PostgreSQL cluster for the session (:func:`e2e_postgres`); each suite's Airflow
(tests/e2e/deployment.py) runs in its own AIRFLOW_HOME, database and bucket, with the
LocalExecutor, pointed at moto's S3 server and the sample site through ``AIRFLOW_CONN_*``
variables. Tests talk to it only through its REST API, with a token from its auth endpoint, as the
UI does; every call and every wait fails at once if one of its processes has died.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.e2e.deployment import Airflow, PostgresServer, airflow_deployment, postgres_server

#: The REST API's view of a deployment, as the LocalExecutor suites name it.
AirflowServer = Airflow


@pytest.fixture(scope="session")
def e2e_postgres() -> Iterator[PostgresServer]:
    """The metadata database server of every e2e deployment (one database each)."""
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="module")
def airflow_server(e2e_postgres: PostgresServer, s3_server, sample_site) -> Iterator[Airflow]:
    with airflow_deployment(e2e_postgres, s3_server.url, sample_site.url, name="e2e") as server:
        yield server
