"""A real Airflow on 127.0.0.1 for the end-to-end tests, on PostgreSQL, watched while tests wait.

Every part is its own process, as in a deployment: PostgreSQL (the metadata database; Debian's
package, ``scripts/ci_services.sh`` installs it), then ``airflow api-server``, ``scheduler``,
``dag-processor`` and ``triggerer`` (and, for the CeleryExecutor suite, Redis and Celery workers:
tests/e2e/distributed.py) sharing one AIRFLOW_HOME, one database and one JWT secret. Each process
writes its own log and is a context manager that stops its process group, whatever happens.

One PostgreSQL cluster serves the whole test session (started once, tests/e2e/conftest.py); each
deployment gets a database of its own in it, so suites never share Airflow state.

A :class:`Watchdog` holds every component's process: while a test waits for Airflow (every
:meth:`Airflow.api` call and :meth:`Airflow.wait_until`), a component that has exited fails the
test at once with the tail of its log and of the scheduler's, instead of a hang or a timeout.

:func:`airflow_env` is the one environment every suite's Airflow runs with, including the timing
settings that keep a loaded 2-core machine survivable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests

from conflict_ingest.dev.stack import LOCALHOST, free_port, local_env

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).parent / "airflow")
#: Set to keep the deployment's AIRFLOW_HOME (logs) after the test.
KEEP_VAR = "CONFLICT_INGEST_KEEP_E2E"
STARTUP_TIMEOUT_S = 300
STOP_TIMEOUT_S = 20
ADMIN = "admin"
LOCAL_EXECUTOR = "LocalExecutor"
CELERY_EXECUTOR = "CeleryExecutor"
#: The nightly DAG's ``end_date`` during the tests (``CONFLICT_INGEST_NIGHTLY_END_DATE``): after
#: every day the tests backfill or trigger (2016), long before today, so the scheduler never
#: makes the DAG's own run for today, which would compete with the test's runs for the slots.
NIGHTLY_END_DATE = dt.date(2017, 1, 1)

#: Timing for a busy machine (2 cores shared with other test sessions). Airflow's defaults suit an
#: idle server: a task runner gives up on the execution API after 5 s (x3 retries), a component is
#: "unhealthy" after 30 s without a heartbeat, a DAG file import is killed after 30 s.
LOADED_MACHINE_TIMING = {
    # the task SDK's HTTP client (airflow/sdk/api/client.py): per request, retries, back-off
    "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
    "AIRFLOW__WORKERS__EXECUTION_API_RETRIES": "10",
    "AIRFLOW__WORKERS__EXECUTION_API_RETRY_WAIT_MIN": "1",
    "AIRFLOW__WORKERS__EXECUTION_API_RETRY_WAIT_MAX": "10",
    # the API server's own worker timeout
    "AIRFLOW__API__WORKER_TIMEOUT": "300",
    # heartbeats: a slow heartbeat is not a dead component or a zombie task
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": "180",
    "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "180",
    "AIRFLOW__DAG_PROCESSOR__HEALTH_CHECK_THRESHOLD": "180",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "900",
    "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "1800",
    # parsing a DAG file may take long on a loaded machine
    "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "180",
    "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "240",
    # a token outlives a slow test
    "AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME": "7200",
}

T = TypeVar("T")


class ServiceMissing(RuntimeError):
    """A server binary is not installed (run ``bash scripts/ci_services.sh``)."""


class ComponentDied(AssertionError):
    """A component of the deployment exited while a test was waiting for it."""


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- processes ------------------------------------------------------------------------------------


@contextlib.contextmanager
def process(
    argv: list[str],
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
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


@dataclass
class Watchdog:
    """The processes a test depends on, by name, with their logs.

    :meth:`check` raises :class:`ComponentDied` as soon as one has exited, with the tail of its log
    and of the scheduler's; :meth:`wait` polls a condition and checks the processes on every turn.
    """

    procs: dict[str, tuple[subprocess.Popen[bytes], Path]] = field(default_factory=dict)
    #: Whose log is shown beside the dead component's (the scheduler's, when there is one).
    main: str = "scheduler"

    def add(self, name: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.procs[name] = (proc, log)

    def check(self) -> None:
        for name, (proc, log) in self.procs.items():
            code = proc.poll()
            if code is None:
                continue
            parts = [f"{name} (pid {proc.pid}) exited with {code}", f"--- {name}: {log} ---", tail(log)]
            if self.main != name and self.main in self.procs:
                main_log = self.procs[self.main][1]
                parts += [f"--- {self.main}: {main_log} ---", tail(main_log)]
            raise ComponentDied("\n".join(parts))

    def wait(self, check: Callable[[], T], what: str, timeout_s: float, interval_s: float = 0.5) -> T:
        """Poll ``check`` until it returns something true; fail at once when a process exits.

        Exceptions from ``check`` count as "not yet" (a server still starting refuses connections).
        """
        deadline = time.monotonic() + timeout_s
        last_error: Exception | None = None
        while True:
            self.check()
            try:
                result = check()
            except ComponentDied:
                raise
            except Exception as exc:  # noqa: BLE001 - reported if the wait times out
                last_error = exc
            else:
                if result:
                    return result
            if time.monotonic() >= deadline:
                break
            time.sleep(interval_s)
        tails = "\n".join(f"--- {name} ---\n{tail(log)}" for name, (_proc, log) in self.procs.items())
        raise TimeoutError(f"{what} not ready in {timeout_s} s (last error: {last_error!r})\n{tails}")


# --- PostgreSQL -----------------------------------------------------------------------------------


def postgres_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise ServiceMissing("PostgreSQL is not installed: run `bash scripts/ci_services.sh`")
    return Path(found[-1]).parent


@dataclass
class PostgresServer:
    port: int
    user: str
    workdir: Path
    proc: subprocess.Popen[bytes]

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://{self.user}@{LOCALHOST}:{self.port}/{database}"

    @property
    def log(self) -> Path:
        return self.workdir / "postgres.log"

    def create_database(self, name: str) -> str:
        """A new, empty database (one per deployment); returns its SQLAlchemy URL."""
        import psycopg2

        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain database name: {name!r}")
        conn = psycopg2.connect(host=LOCALHOST, port=self.port, user=self.user, dbname="postgres")
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)


@contextlib.contextmanager
def postgres_server(user: str = "airflow") -> Iterator[PostgresServer]:
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
    try:
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            env=env,
            cwd=workdir,
            **as_user,
        )
        argv = [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(workdir)]
        for setting in (
            f"listen_addresses={LOCALHOST}",
            "fsync=off",
            "synchronous_commit=off",
            "full_page_writes=off",
            "max_connections=500",
        ):
            argv += ["-c", setting]
        log = workdir / "postgres.log"
        # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to disconnect.
        with process(argv, log, env=env, stop_signal=signal.SIGINT, cwd=workdir, **as_user) as proc:

            def connect() -> bool:
                psycopg2.connect(
                    host=LOCALHOST, port=port, user=user, dbname="postgres", connect_timeout=2
                ).close()
                return True

            Watchdog({"postgres": (proc, log)}, main="postgres").wait(connect, "PostgreSQL", 60)
            yield PostgresServer(port=port, user=user, workdir=workdir, proc=proc)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- Airflow --------------------------------------------------------------------------------------


def airflow_env(
    *,
    home: Path,
    api_port: int,
    database_url: str,
    s3_url: str,
    site_url: str,
    bucket: str,
    executor: str = LOCAL_EXECUTOR,
    broker_url: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The one configuration of every process of an e2e deployment (same database and secrets):
    :func:`conflict_ingest.dev.stack.local_env` plus PostgreSQL, the API, the executor and the
    loaded-machine timing."""
    env = local_env(
        home,
        s3_url=s3_url,
        site_url=site_url,
        bucket=bucket,
        retry_delay_s=1,
        logging_level="INFO",
        parallelism=4,
        paused_at_creation=True,
        bin_dir=Path(sys.executable).parent,
    )
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
            "AIRFLOW__CORE__EXECUTOR": executor,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{LOCALHOST}:{api_port}/execution/",
            "AIRFLOW__API__HOST": LOCALHOST,
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API__BASE_URL": f"http://{LOCALHOST}:{api_port}",
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            **LOADED_MACHINE_TIMING,
            "CONFLICT_INGEST_NIGHTLY_END_DATE": NIGHTLY_END_DATE.isoformat(),
            # no review of held records (it would wait for a person): tests/e2e/test_review_flow.py turns it on
            "CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS": "0",
        }
    )
    if broker_url is not None:
        env.update(
            {
                "AIRFLOW__CELERY__BROKER_URL": broker_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + database_url.replace("+psycopg2", ""),
                "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
            }
        )
    env.update(extra_env or {})
    return env


@dataclass
class Airflow:
    """A running deployment: its API, its bucket, its processes and the log of each."""

    url: str
    home: Path
    token: str
    bucket: str
    database_url: str
    env: dict[str, str]
    watchdog: Watchdog
    logs: dict[str, Path] = field(default_factory=dict)
    workers: tuple[str, ...] = ()
    broker: Any = None

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A REST API call; fails at once (:class:`ComponentDied`) when a component has exited."""
        self.watchdog.check()
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            return requests.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=60, **kwargs)
        except requests.RequestException:
            self.watchdog.check()  # a dead API server explains a refused connection
            raise

    def wait_until(self, check: Callable[[], T], what: str, timeout_s: float, interval_s: float = 3) -> T:
        """Poll ``check`` until it returns something true, failing at once when a component dies."""
        return self.watchdog.wait(check, what, timeout_s, interval_s)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(f"--- {name} ---\n{tail(path, lines)}" for name, path in self.logs.items())


def _token(url: str, password: str) -> str:
    resp = requests.post(f"{url}/auth/token", json={"username": ADMIN, "password": password}, timeout=30)
    resp.raise_for_status()
    token: str = resp.json()["access_token"]
    return token


def _healthy(url: str, parts: tuple[str, ...]) -> bool:
    health = requests.get(f"{url}/api/v2/monitor/health", timeout=10).json()
    return all(health.get(part, {}).get("status") == "healthy" for part in parts)


@contextlib.contextmanager
def airflow_deployment(
    postgres: PostgresServer,
    s3_url: str,
    site_url: str,
    *,
    name: str,
    executor: str = LOCAL_EXECUTOR,
    broker: Any = None,
    workers: Mapping[str, list[str]] | None = None,
    worker_env: Callable[[str], Mapping[str, str]] | None = None,
    triggerer: bool = True,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Airflow]:
    """Airflow in its own home, database (in ``postgres``) and bucket; every process stopped on exit.

    ``workers`` maps a worker's name to its ``airflow`` arguments (Celery); ``worker_env`` gives
    each worker's own variables.
    """
    workers = dict(workers or {})
    home = Path(tempfile.mkdtemp(prefix=f"conflict-ingest-{name}-"))
    api_port = free_port()
    bucket = f"{name}-{api_port}"
    url = f"http://{LOCALHOST}:{api_port}"
    password = secrets.token_urlsafe(16)
    (home / "passwords.json").write_text(json.dumps({ADMIN: password}))
    components = ["api-server", "scheduler", "dag-processor", *(["triggerer"] if triggerer else []), *workers]
    logs = {part: home / f"{part}.log" for part in ("migrate", *components)}
    try:
        database_url = postgres.create_database(re.sub(r"[^a-z0-9_]", "_", bucket.lower()))
        env = airflow_env(
            home=home,
            api_port=api_port,
            database_url=database_url,
            s3_url=s3_url,
            site_url=site_url,
            bucket=bucket,
            executor=executor,
            broker_url=getattr(broker, "url", None),
            extra_env=extra_env,
        )
        # the schema first, then the pools the DAG's tasks run in (a task whose pool is missing
        # is never scheduled)
        for argv in (["db", "migrate"], ["pools", "import", str(ROOT / "include" / "pools.json")]):
            with logs["migrate"].open("ab") as out:
                done = subprocess.run([AIRFLOW, *argv], env=env, stdout=out, stderr=subprocess.STDOUT)
            if done.returncode != 0:
                raise RuntimeError(f"airflow {' '.join(argv)} failed\n{tail(logs['migrate'])}")
        # the metadata database is a component too: if PostgreSQL dies, every wait says so
        watchdog = Watchdog({"postgres": (postgres.proc, postgres.log)})
        with contextlib.ExitStack() as stack:

            def start(part: str, argv: list[str], part_env: Mapping[str, str]) -> None:
                watchdog.add(
                    part, stack.enter_context(process([AIRFLOW, *argv], logs[part], env=part_env)), logs[part]
                )

            start("api-server", ["api-server", "-H", LOCALHOST, "-p", str(api_port), "-w", "1"], env)
            start("scheduler", ["scheduler"], env)
            start("dag-processor", ["dag-processor"], env)
            if triggerer:
                start("triggerer", ["triggerer"], env)
            for worker, argv in workers.items():
                start(worker, argv, {**env, **(worker_env(worker) if worker_env else {})})
            parts = ("scheduler", "dag_processor", *(["triggerer"] if triggerer else []))
            watchdog.wait(lambda: _healthy(url, parts), " and ".join(parts), STARTUP_TIMEOUT_S)
            yield Airflow(
                url=url,
                home=home,
                token=_token(url, password),
                bucket=bucket,
                database_url=database_url,
                env=env,
                watchdog=watchdog,
                logs=logs,
                workers=tuple(workers),
                broker=broker,
            )
    finally:
        if not os.environ.get(KEEP_VAR):
            shutil.rmtree(home, ignore_errors=True)
