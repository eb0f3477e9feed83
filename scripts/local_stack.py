"""Run the pipeline on one machine with real local parts: ``make run`` and ``make airflow``.

    python scripts/local_stack.py run [--day 2016-12-01]   one nightly run through Airflow, then show what landed
    python scripts/local_stack.py airflow                    the same parts plus Airflow's UI and scheduler

Starts moto's S3 server, the bundled sample site and (for ``airflow``) an SMTP sink on
127.0.0.1, points Airflow at them with ``AIRFLOW_CONN_*`` variables, and stops them on exit.
The bucket's contents are kept in ``.local/s3/`` between runs (restored into the fresh S3
server on start, saved on exit), so running twice shows the partition replaced, not doubled.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conflict_ingest.dev.stack import (
    MailServer,
    S3Server,
    StaticSite,
    local_env,
    running,
)
from conflict_ingest.settings import BUCKET as BUCKET_SETTING
from conflict_ingest.storage.store import ObjectStore

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / ".local"
VENV_BIN = Path(sys.executable).parent
DEFAULT_DAY = "2016-12-01"
S3_PORT = int(os.environ.get("LOCAL_S3_PORT", "5055"))
SITE_PORT = int(os.environ.get("LOCAL_SITE_PORT", "8765"))
SMTP_PORT = int(os.environ.get("LOCAL_SMTP_PORT", "8025"))
API_PORT = int(os.environ.get("LOCAL_API_PORT", "8080"))
BUCKET = BUCKET_SETTING.read()


def airflow_env(s3_url: str, site_url: str, smtp_port: int) -> dict[str, str]:
    home = LOCAL / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    return local_env(
        home,
        s3_url=s3_url,
        site_url=site_url,
        smtp_port=smtp_port,
        bucket=BUCKET,
        parallelism=4,
        paused_at_creation=False,
        bin_dir=VENV_BIN,
    )


def _store(s3_url: str) -> ObjectStore:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
    )
    store = ObjectStore(client, BUCKET)
    store.ensure_bucket()
    return store


def restore_bucket(store: ObjectStore, snapshot: Path) -> int:
    n = 0
    if snapshot.is_dir():
        for path in sorted(p for p in snapshot.rglob("*") if p.is_file()):
            store.put_bytes(path.relative_to(snapshot).as_posix(), path.read_bytes())
            n += 1
    return n


def save_bucket(store: ObjectStore, snapshot: Path) -> int:
    n = 0
    keys = list(store.list_keys(""))
    if snapshot.is_dir():
        for path in snapshot.rglob("*"):
            if path.is_file():
                path.unlink()
    for key in keys:
        target = snapshot / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(store.get_bytes(key))
        n += 1
    return n


def airflow(env: dict[str, str], *args: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [str(VENV_BIN / "airflow"), *args]
    if log is None:
        return subprocess.run(cmd, env=env, text=True, check=False)
    with log.open("a") as fh:
        fh.write(f"\n$ airflow {' '.join(args)}\n")
        fh.flush()
        return subprocess.run(cmd, env=env, text=True, stdout=fh, stderr=subprocess.STDOUT, check=False)


def ensure_db(env: dict[str, str], log: Path) -> None:
    if not (Path(env["AIRFLOW_HOME"]) / "airflow.db").exists():
        print("initialising Airflow's metadata database (SQLite, first run only) ...", flush=True)
        if airflow(env, "db", "migrate", log=log).returncode != 0:
            sys.exit(f"airflow db migrate failed; see {log}")


def cmd_run(day: str) -> int:
    LOCAL.mkdir(exist_ok=True)
    log = LOCAL / "run.log"
    log.write_text("")
    s3, site, mail = S3Server(port=S3_PORT), StaticSite(port=SITE_PORT), MailServer(port=SMTP_PORT)
    with running(s3, site, mail):
        # `airflow dags test` has no scheduler to end a review of held records: reviews off (make airflow has them)
        env = {**airflow_env(s3.url, site.url, mail.port), "CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS": "0"}
        store = _store(s3.url)
        restored = restore_bucket(store, LOCAL / "s3" / BUCKET)
        print(f"S3 (moto) at {s3.url}, bucket {BUCKET}: {restored} objects restored from .local/s3/")
        print(f"sample news site at {site.url}; SMTP sink (alerts) at 127.0.0.1:{mail.port}")
        ensure_db(env, log)
        print(f"running conflict_news_nightly for {day} through Airflow (log: {log}) ...", flush=True)
        started = time.monotonic()
        airflow(env, "dags", "test", "conflict_news_nightly", "--conf", json.dumps({"day": day}), log=log)
        print(f"DAG run finished in {time.monotonic() - started:.0f} s")
        summary_key = next(
            (
                k
                for k in sorted(store.list_keys(f"reports/validation/dt={day}/"))
                if k.endswith("summary.json")
            ),
            None,
        )
        state = _run_state(env)
        print(f"run state: {state}")
        if summary_key:
            summary = store.get_json(summary_key)
            print(
                f"validation: {summary.get('passed', '?')} record(s) passed, "
                f"{summary.get('failed', '?')} held in quarantine; "
                f"broken critical expectations: {summary.get('failed_expectations') or 'none'}; "
                f"warnings: {summary.get('flags') or 'none'}"
            )
            if state == "failed" and summary.get("failed"):
                print(
                    "the gate task failed the run because records were held back: that is the validation working"
                )
        for msg in mail.messages:
            print(f"alert mail received by the SMTP sink: to {msg['To']}: {msg['Subject']}")
        if not mail.messages:
            print("no alert mail (nothing to report)")
        subprocess.run([str(VENV_BIN / "conflict-ingest"), "show", "--day", day], env=env, check=False)
        saved = save_bucket(store, LOCAL / "s3" / BUCKET)
        print(f"\n{saved} objects saved to .local/s3/{BUCKET}/ for the next run; local servers stopped.")
        if state not in {"success", "failed"}:
            print(f"the DAG run did not finish normally; the last lines of {log}:")
            print("\n".join(log.read_text().splitlines()[-40:]))
            return 1
    return 0


def _run_state(env: dict[str, str]) -> str:
    """The state of the newest run of the nightly DAG, from Airflow's metadata database."""
    out = subprocess.run(
        [str(VENV_BIN / "airflow"), "dags", "list-runs", "conflict_news_nightly", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("[{") or ln.strip() == "[]"]
    try:
        runs = json.loads(lines[-1]) if lines else []
    except ValueError:
        return "unknown"
    runs.sort(key=lambda r: str(r.get("start_date") or r.get("run_after") or ""))
    return str(runs[-1].get("state")) if runs else "unknown"


def cmd_airflow() -> int:
    LOCAL.mkdir(exist_ok=True)
    log = LOCAL / "airflow-standalone.log"
    s3, site, mail = S3Server(port=S3_PORT), StaticSite(port=SITE_PORT), MailServer(port=SMTP_PORT)
    with running(s3, site, mail):
        env = airflow_env(s3.url, site.url, mail.port)
        env.update(
            {
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(API_PORT),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{API_PORT}/execution/",
            }
        )
        store = _store(s3.url)
        restore_bucket(store, LOCAL / "s3" / BUCKET)
        proc = subprocess.Popen(
            [str(VENV_BIN / "airflow"), "standalone"],
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            pw_file = Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
            for _ in range(120):
                if pw_file.exists() and _healthy(API_PORT):
                    break
                time.sleep(1)
            password = json.loads(pw_file.read_text()).get("admin") if pw_file.exists() else "(see the log)"
            # The fetch lanes run in pools; a task whose pool does not exist is never scheduled.
            if airflow(env, "pools", "import", str(ROOT / "include" / "pools.json"), log=log).returncode != 0:
                print(f"airflow pools import failed; see {log}", flush=True)
            seed_sample_night(env, store, log)
            print(f"Airflow UI: http://127.0.0.1:{API_PORT}  login: admin / {password}")
            print(
                f"Strike counts view: http://127.0.0.1:{API_PORT}/plugin/strike-counts (Browse > Strike counts)"
            )
            print(f"S3 (moto): {s3.url}   sample site: {site.url}   SMTP sink: 127.0.0.1:{mail.port}")
            print(f"log: {log}. Ctrl-C stops everything.", flush=True)
            proc.wait()
        except KeyboardInterrupt:
            pass
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            save_bucket(store, LOCAL / "s3" / BUCKET)
    return 0


def seed_sample_night(env: dict[str, str], store: ObjectStore, log: Path) -> None:
    """Make sure the Strike counts view has something to show: when the bucket has no validation of the
    sample day, a nightly run of it (its landing triggers the rollups DAG); when it has one (``make run``)
    but no rollups yet, a rollups run."""
    from conflict_ingest.storage.keys import MANIFEST_NAME, ROLLUPS_PREFIX, reports_day_prefix

    if next(store.list_keys(reports_day_prefix(dt.date.fromisoformat(DEFAULT_DAY))), None) is None:
        args = ["conflict_news_nightly", "--conf", json.dumps({"day": DEFAULT_DAY})]
        what = f"a nightly run of the sample day {DEFAULT_DAY} (the rollups follow when it lands)"
    elif not store.exists(f"{ROLLUPS_PREFIX}/monthly_totals/{MANIFEST_NAME}"):
        args, what = (
            ["conflict_news_rollups"],
            "a rollups run (the bucket has curated records but no rollups)",
        )
    else:
        return
    for _ in range(60):  # until the DAG processor has parsed the DAG
        if airflow(env, "dags", "trigger", *args, log=log).returncode == 0:
            print(f"triggered {what}; the view fills when it finishes (about a minute)", flush=True)
            return
        time.sleep(3)
    print(f"could not trigger {what}; see {log}", flush=True)


def _healthy(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so `finally` stops Airflow and the local servers


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--day", default=DEFAULT_DAY)
    sub.add_parser("airflow")
    args = parser.parse_args()
    return cmd_run(args.day) if args.command == "run" else cmd_airflow()


if __name__ == "__main__":
    sys.exit(main())
