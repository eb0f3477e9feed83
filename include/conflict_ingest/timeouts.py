"""How long each task of the DAGs may run before Airflow stops it (``execution_timeout``).

One place for every limit, so a page that stalls a stage (a pathological page for the cleaner, a
host that answers one byte a second) costs at most its task's limit, never a worker for hours.
The DAG files read these when they are parsed: this module imports nothing but ``datetime``.

The sizes follow from the work of one task instance with the default settings (a batch is 250
pages, ``CONFLICT_INGEST_BATCH_SIZE``):

- fetch: 250 URLs at the polite rate (1 request/s per host, or a robots.txt ``Crawl-delay`` of
  up to 30 s) is 4 minutes to 2 hours; a slow host adds up to a few minutes per URL before the
  per-host failure budget defers the rest. 3 hours.
- discover: a source's listing, feed or sitemap pages at the same rates. 1 hour.
- clean and extract: CPU on 250 pages, each bounded by a per-page budget. 1 hour each.
- validate (Great Expectations on the day's records and 30 days of history), land (Parquet
  writes of one day), the rollups' rebuild: 1 hour.
- planning, collecting keys, alerting, the gates: seconds of work. 10 to 15 minutes.
- the review of held records waits for a person: its own setting (``CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS``,
  24 h), not an ``execution_timeout``; applying the answer lands the day again: 1 hour.

Larger batches need larger limits: raise them here together with the batch size.
"""

from __future__ import annotations

import datetime as dt

#: Any task without a limit of its own (the DAGs' ``default_args``).
DEFAULT_TASK_TIMEOUT = dt.timedelta(minutes=30)
#: Planning a run's sources, collecting batch keys, reading queue messages, triggering runs.
PLAN_TIMEOUT = dt.timedelta(minutes=10)
#: Discovering a source's article URLs for a day (listing, feed or sitemap pages, politely).
DISCOVER_TIMEOUT = dt.timedelta(hours=1)
#: Fetching one batch of pages at polite rates (retries, Retry-After, Crawl-delay included).
FETCH_TIMEOUT = dt.timedelta(hours=3)
#: Cleaning one batch of raw pages (CPU).
CLEAN_TIMEOUT = dt.timedelta(hours=1)
#: Extracting records from one cleaned batch (CPU).
EXTRACT_TIMEOUT = dt.timedelta(hours=1)
#: Validating the run's records with Great Expectations against the trailing history.
VALIDATE_TIMEOUT = dt.timedelta(hours=1)
#: Landing the day's curated (and quarantined) partition.
LAND_TIMEOUT = dt.timedelta(hours=1)
#: Sending the alert on every channel (a webhook call is bounded to seconds; SMTP likewise).
ALERT_TIMEOUT = dt.timedelta(minutes=15)
#: A verdict on work already done (the gates).
GATE_TIMEOUT = dt.timedelta(minutes=10)
#: Applying a review's answer: the decisions committed, then the day's curated and quarantine
#: partitions landed again (as ``land``). The review itself waits for a person, not a worker: its
#: limit is ``CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS`` (the HITL task's ``response_timeout``).
APPLY_REVIEW_TIMEOUT = dt.timedelta(hours=1)
#: Rebuilding the rollups from every committed curated partition.
ROLLUPS_TIMEOUT = dt.timedelta(hours=1)
