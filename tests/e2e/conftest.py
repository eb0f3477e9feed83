"""A real Airflow (scheduler, dag-processor, triggerer, API server) on 127.0.0.1 for end-to-end tests.

``airflow standalone`` runs in its own AIRFLOW_HOME with SQLite, pointed at moto's S3 server
and the sample site through ``AIRFLOW_CONN_*`` variables. Tests talk to it only through its
REST API, with a token from its auth endpoint, as the UI does.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from conflict_ingest.devstack import aws_connection, free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 180


@dataclass
class AirflowServer:
    url: str
    home: Path
    token: str
    bucket: str
    log: Path

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return requests.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=30, **kwargs)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], pw_file: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"airflow standalone exited with {proc.returncode}")
        try:
            health = requests.get(f"{url}/api/v2/monitor/health", timeout=3).json()
            ok = health.get("scheduler", {}).get("status") == "healthy"
            if ok and pw_file.exists():
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(2)
    raise TimeoutError("airflow standalone did not become healthy in time")


def create_pools(server: AirflowServer) -> None:
    """The fetch families' pools from include/pools.json, through the REST API (as the UI creates them)."""
    for name, pool in json.loads((ROOT / "include" / "pools.json").read_text()).items():
        body = {"name": name, "slots": pool["slots"], "description": pool["description"]}
        response = server.api("POST", "/pools", json=body)
        assert response.status_code in (200, 201), f"pool {name}: {response.status_code} {response.text}"


@contextlib.contextmanager
def standalone_airflow(
    s3_url: str, site_url: str, *, name: str, extra_env: dict[str, str] | None = None
) -> Iterator[AirflowServer]:
    """``airflow standalone`` in its own home and bucket, pointed at moto and the sample site."""
    home = Path(tempfile.mkdtemp(prefix=f"conflict-ingest-{name}-"))
    port = free_port()
    bucket = f"{name}-{port}"
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "tests.e2e.airflow_sqlite.CONNECT_ARGS",
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
            "AIRFLOW_CONN_AWS_DEFAULT": aws_connection(s3_url),
            "CONFLICT_INGEST_BUCKET": bucket,
            "CONFLICT_INGEST_RETRY_DELAY_S": "1",
            "SAMPLE_SITE_URL": site_url,
            **(extra_env or {}),
        }
    )
    log = home / "standalone.log"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "airflow"), "standalone"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        pw_file = home / "simple_auth_manager_passwords.json.generated"
        _wait_healthy(url, proc, pw_file)
        password = json.loads(pw_file.read_text())["admin"]
        token = requests.post(
            f"{url}/auth/token", json={"username": "admin", "password": password}, timeout=30
        ).json()["access_token"]
        server = AirflowServer(url=url, home=home, token=token, bucket=bucket, log=log)
        create_pools(server)
        yield server
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def airflow_server(s3_server, sample_site) -> Iterator[AirflowServer]:
    with standalone_airflow(s3_server.url, sample_site.url, name="e2e") as server:
        yield server
