"""A distributed Airflow on 127.0.0.1: CeleryExecutor, PostgreSQL, Redis, two Celery workers.

Every part is its own process, as in a scaled-out deployment: PostgreSQL (metadata database and
Celery result backend) and Redis (Celery broker) from Debian's packages (``scripts/ci_services.sh``
installs them), started here in temporary directories on free ports; then ``airflow api-server``,
``scheduler``, ``dag-processor`` and two ``airflow celery worker`` processes sharing one
AIRFLOW_HOME, one metadata database and one JWT secret. Each part is a context manager that stops
its process group, whatever happens.

Both workers run on this machine, so each one gets a hostname of its own
(:func:`worker_hostname`, Airflow's ``[core] hostname_callable``): a task instance's ``hostname``
then tells which worker ran it.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from conflict_ingest.devstack import LOCALHOST, aws_connection, free_port

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).parent / "airflow")
#: The environment variable a worker's :func:`worker_hostname` reads.
WORKER_NAME_VAR = "CONFLICT_INGEST_WORKER_NAME"
HOSTNAME_CALLABLE = "tests.e2e.distributed.worker_hostname"
#: Set to keep the deployment's AIRFLOW_HOME (logs) after the test.
KEEP_VAR = "CONFLICT_INGEST_KEEP_E2E"
STARTUP_TIMEOUT_S = 120
STOP_TIMEOUT_S = 20
ADMIN = "admin"


def worker_hostname() -> str:
    """``[core] hostname_callable`` for the workers: their own name, not the machine's."""
    return os.environ.get(WORKER_NAME_VAR) or socket.getfqdn()


class ServiceMissing(RuntimeError):
    """A server binary is not installed (run ``bash scripts/ci_services.sh``)."""


def postgres_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise ServiceMissing("PostgreSQL is not installed: run `bash scripts/ci_services.sh`")
    return Path(found[-1]).parent


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise ServiceMissing("redis-server is not installed: run `bash scripts/ci_services.sh`")
    return found


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def process(
    argv: list[str],
    log: Path,
    *,
    env: dict[str, str] | None = None,
    stop_signal: int = signal.SIGTERM,
    **kw: Any,
) -> Iterator[subprocess.Popen[bytes]]:
    """A process in its own process group, output to ``log``; the whole group is stopped on exit."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            **kw,
        )
    try:
        yield proc
    finally:
        _stop_group(proc, stop_signal)


def _stop_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=STOP_TIMEOUT_S)
    # children that outlived the leader (task supervisors, celery pool processes) go too
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _wait(
    check: Any, what: str, timeout_s: float, procs: dict[str, tuple[subprocess.Popen[bytes], Path]]
) -> Any:
    """Poll ``check`` until it returns something true; fail at once when one of ``procs`` exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for name, (proc, log) in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"waiting for {what}: {name} exited with {proc.returncode}\n{_tail(log)}")
        with contextlib.suppress(Exception):
            result = check()
            if result:
                return result
        time.sleep(0.5)
    tails = "\n".join(f"--- {name} ---\n{_tail(log)}" for name, (_proc, log) in procs.items())
    raise TimeoutError(f"{what} not ready in {timeout_s} s\n{tails}")


# --- PostgreSQL -----------------------------------------------------------------------------------


@dataclass
class PostgresServer:
    port: int
    user: str
    database: str
    workdir: Path

    @property
    def sqlalchemy_url(self) -> str:
        return f"postgresql+psycopg2://{self.user}@{LOCALHOST}:{self.port}/{self.database}"

    @property
    def log(self) -> Path:
        return self.workdir / "postgres.log"


@contextlib.contextmanager
def postgres_server(database: str = "airflow", user: str = "airflow") -> Iterator[PostgresServer]:
    """A throw-away PostgreSQL cluster (trust auth, fsync off) on a free port of 127.0.0.1.

    PostgreSQL refuses to run as root; as root it runs as the ``postgres`` OS user, which owns
    the temporary directory.
    """
    import psycopg2

    bindir = postgres_bindir()
    workdir = Path(tempfile.mkdtemp(prefix="conflict-ingest-pg-"))
    as_user: dict[str, Any] = {}
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
        as_user = {"user": "postgres", "group": "postgres", "extra_groups": []}
    data = workdir / "data"
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": str(workdir)}
    port = free_port()
    server = PostgresServer(port=port, user=user, database=database, workdir=workdir)
    try:
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            env=env,
            cwd=workdir,
            **as_user,
        )
        argv = [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(workdir),
            "-c",
            f"listen_addresses={LOCALHOST}",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=300",
        ]
        # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to disconnect.
        with process(argv, server.log, env=env, stop_signal=signal.SIGINT, cwd=workdir, **as_user) as proc:

            def connect() -> Any:
                return psycopg2.connect(
                    host=LOCALHOST, port=port, user=user, dbname="postgres", connect_timeout=2
                )

            conn = _wait(connect, "PostgreSQL", 60, {"postgres": (proc, server.log)})
            try:
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(f'CREATE DATABASE "{database}"')
            finally:
                conn.close()
            yield server
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- Redis ----------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    port: int
    workdir: Path

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
    server = RedisServer(port=port, workdir=workdir)
    argv = [binary, "--port", str(port), "--bind", LOCALHOST, "--save", "", "--appendonly", "no"]
    argv += ["--dir", str(workdir), "--daemonize", "no"]
    log = workdir / "redis.log"
    try:
        with process(argv, log, cwd=workdir) as proc:
            _wait(lambda: redis.Redis(host=LOCALHOST, port=port).ping(), "Redis", 30, {"redis": (proc, log)})
            yield server
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- Airflow --------------------------------------------------------------------------------------


@dataclass
class CeleryAirflow:
    """The running deployment: its API, its bucket, and the log of each of its processes."""

    url: str
    home: Path
    token: str
    bucket: str
    workers: tuple[str, ...]
    broker: RedisServer
    database: PostgresServer
    logs: dict[str, Path] = field(default_factory=dict)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return requests.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=30, **kwargs)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(f"--- {name} ---\n{_tail(path, lines)}" for name, path in self.logs.items())


def airflow_env(
    *,
    home: Path,
    api_port: int,
    database_url: str,
    broker_url: str,
    s3_url: str,
    site_url: str,
    bucket: str,
    extra_env: dict[str, str] | None = None,
) -> dict[str, str]:
    """One configuration for every process of the deployment (same database, broker and secrets)."""
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
            "AIRFLOW__CELERY__BROKER_URL": broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + database_url.replace("+psycopg2", ""),
            "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{LOCALHOST}:{api_port}/execution/",
            "AIRFLOW__API__HOST": LOCALHOST,
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API__BASE_URL": f"http://{LOCALHOST}:{api_port}",
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW_CONN_AWS_DEFAULT": aws_connection(s3_url),
            "CONFLICT_INGEST_BUCKET": bucket,
            "CONFLICT_INGEST_RETRY_DELAY_S": "1",
            "SAMPLE_SITE_URL": site_url,
            **(extra_env or {}),
        }
    )
    env.pop(WORKER_NAME_VAR, None)
    return env


def _token(url: str, password: str) -> str:
    resp = requests.post(f"{url}/auth/token", json={"username": ADMIN, "password": password}, timeout=10)
    resp.raise_for_status()
    token: str = resp.json()["access_token"]
    return token


def _healthy(url: str) -> bool:
    health = requests.get(f"{url}/api/v2/monitor/health", timeout=3).json()
    return all(health.get(part, {}).get("status") == "healthy" for part in ("scheduler", "dag_processor"))


@contextlib.contextmanager
def celery_airflow(
    s3_url: str,
    site_url: str,
    *,
    name: str,
    workers: tuple[str, ...] = ("worker-a", "worker-b"),
    concurrency: int = 2,
    extra_env: dict[str, str] | None = None,
) -> Iterator[CeleryAirflow]:
    """PostgreSQL, Redis, the API server, scheduler, dag-processor and the Celery workers, all stopped on exit."""
    home = Path(tempfile.mkdtemp(prefix=f"conflict-ingest-{name}-"))
    api_port = free_port()
    bucket = f"{name}-{api_port}"
    url = f"http://{LOCALHOST}:{api_port}"
    password = secrets.token_urlsafe(16)
    (home / "passwords.json").write_text(json.dumps({ADMIN: password}))
    logs = {
        part: home / f"{part}.log"
        for part in ("migrate", "api-server", "scheduler", "dag-processor", *workers)
    }
    try:
        with postgres_server() as pg, redis_server() as broker, contextlib.ExitStack() as stack:
            env = airflow_env(
                home=home,
                api_port=api_port,
                database_url=pg.sqlalchemy_url,
                broker_url=broker.url,
                s3_url=s3_url,
                site_url=site_url,
                bucket=bucket,
                extra_env=extra_env,
            )
            # the schema first, then the pools the DAG's tasks run in (a task whose pool is missing
            # is never scheduled)
            for argv in (["db", "migrate"], ["pools", "import", str(ROOT / "include" / "pools.json")]):
                with logs["migrate"].open("ab") as out:
                    done = subprocess.run([AIRFLOW, *argv], env=env, stdout=out, stderr=subprocess.STDOUT)
                if done.returncode != 0:
                    raise RuntimeError(f"airflow {' '.join(argv)} failed\n{_tail(logs['migrate'])}")
            procs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}

            def start(part: str, argv: list[str], part_env: dict[str, str]) -> None:
                procs[part] = (
                    stack.enter_context(process([AIRFLOW, *argv], logs[part], env=part_env)),
                    logs[part],
                )

            start("api-server", ["api-server", "-H", LOCALHOST, "-p", str(api_port), "-w", "1"], env)
            start("scheduler", ["scheduler"], env)
            start("dag-processor", ["dag-processor"], env)
            for worker in workers:
                worker_env = {
                    **env,
                    WORKER_NAME_VAR: worker,
                    "AIRFLOW__CORE__HOSTNAME_CALLABLE": HOSTNAME_CALLABLE,
                }
                argv = ["celery", "worker", "--celery-hostname", f"{worker}@{LOCALHOST}"]
                argv += [
                    "--concurrency",
                    str(concurrency),
                    "--skip-serve-logs",
                    "--without-mingle",
                    "--without-gossip",
                ]
                start(worker, argv, worker_env)
            _wait(lambda: _healthy(url), "the scheduler and dag-processor", STARTUP_TIMEOUT_S, procs)
            for worker in workers:
                _wait(lambda w=worker: " ready." in _tail(logs[w], 200), worker, STARTUP_TIMEOUT_S, procs)
            yield CeleryAirflow(
                url=url,
                home=home,
                token=_token(url, password),
                bucket=bucket,
                workers=workers,
                broker=broker,
                database=pg,
                logs=logs,
            )
    finally:
        if not os.environ.get(KEEP_VAR):
            shutil.rmtree(home, ignore_errors=True)
