"""A distributed Airflow on 127.0.0.1: CeleryExecutor, PostgreSQL, Redis, two Celery workers.

The deployment of tests/e2e/deployment.py (PostgreSQL metadata database, API server, scheduler,
dag-processor, each a process of its own) with the CeleryExecutor: Redis (the Celery broker, from
Debian's package; ``scripts/ci_services.sh`` installs it) started here in a temporary directory on a
free port, and two ``airflow celery worker`` processes. PostgreSQL is also the Celery result backend.

Both workers run on this machine, so each one gets a hostname of its own
(:func:`worker_hostname`, Airflow's ``[core] hostname_callable``): a task instance's ``hostname``
then tells which worker ran it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.deployment import (
    CELERY_EXECUTOR,
    STARTUP_TIMEOUT_S,
    Airflow,
    PostgresServer,
    ServiceMissing,
    Watchdog,
    airflow_deployment,
    process,
    tail,
)

from conflict_ingest.dev.stack import LOCALHOST, free_port

#: The environment variable a worker's :func:`worker_hostname` reads.
WORKER_NAME_VAR = "CONFLICT_INGEST_WORKER_NAME"
HOSTNAME_CALLABLE = "tests.e2e.distributed.worker_hostname"
#: The deployment, as the Celery suite names it.
CeleryAirflow = Airflow


def worker_hostname() -> str:
    """``[core] hostname_callable`` for the workers: their own name, not the machine's."""
    return os.environ.get(WORKER_NAME_VAR) or socket.getfqdn()


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise ServiceMissing("redis-server is not installed: run `bash scripts/ci_services.sh`")
    return found


@dataclass
class RedisServer:
    port: int
    workdir: Path
    proc: subprocess.Popen[bytes]

    @property
    def log(self) -> Path:
        return self.workdir / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://{LOCALHOST}:{self.port}/0"


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    """redis-server without persistence on a free port of 127.0.0.1."""
    import redis

    binary = redis_binary()
    workdir = Path(tempfile.mkdtemp(prefix="conflict-ingest-redis-"))
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", LOCALHOST, "--save", "", "--appendonly", "no"]
    argv += ["--dir", str(workdir), "--daemonize", "no"]
    log = workdir / "redis.log"
    try:
        with process(argv, log, cwd=workdir) as proc:
            ping = lambda: redis.Redis(host=LOCALHOST, port=port).ping()  # noqa: E731
            Watchdog({"redis": (proc, log)}, main="redis").wait(ping, "Redis", 30)
            yield RedisServer(port=port, workdir=workdir, proc=proc)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def celery_airflow(
    postgres: PostgresServer,
    s3_url: str,
    site_url: str,
    *,
    name: str,
    workers: tuple[str, ...] = ("worker-a", "worker-b"),
    concurrency: int = 2,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[CeleryAirflow]:
    """Redis, then the deployment with CeleryExecutor and the Celery workers, all stopped on exit."""
    argv = {
        worker: [
            "celery",
            "worker",
            "--celery-hostname",
            f"{worker}@{LOCALHOST}",
            "--concurrency",
            str(concurrency),
            "--skip-serve-logs",
            "--without-mingle",
            "--without-gossip",
        ]
        for worker in workers
    }

    def worker_env(worker: str) -> dict[str, str]:
        return {WORKER_NAME_VAR: worker, "AIRFLOW__CORE__HOSTNAME_CALLABLE": HOSTNAME_CALLABLE}

    with (
        redis_server() as broker,
        airflow_deployment(
            postgres,
            s3_url,
            site_url,
            name=name,
            executor=CELERY_EXECUTOR,
            broker=broker,
            workers=argv,
            worker_env=worker_env,
            triggerer=False,
            extra_env=extra_env,
        ) as airflow,
    ):
        airflow.watchdog.add("redis", broker.proc, broker.log)
        for worker in workers:
            log = airflow.logs[worker]
            airflow.wait_until(lambda log=log: " ready." in tail(log, 200), worker, STARTUP_TIMEOUT_S, 0.5)
        yield airflow
