"""SQLite connect arguments for the end-to-end Airflow (imported by Airflow through its config).

With SQLite's default 5 s busy timeout, a backfill created while the scheduler writes fails with
"database is locked"; Airflow then deletes the half-created runs under the scheduler's feet, which
can stop the scheduler. Waiting for the lock instead avoids that race.
"""

CONNECT_ARGS = {"timeout": 60}
