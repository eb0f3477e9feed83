"""Every setting of the pipeline: declared once, read from the environment in one place.

Each ``CONFLICT_INGEST_*`` variable is a :class:`Variable` below: its name, type, default, bounds,
meaning, whether it is a secret and when it is read. :meth:`Settings.from_env` reads them all into
one frozen :class:`Settings` (with nested groups ``settings.validation``, ``settings.storage`` and
``settings.urgent``); a value that cannot be used raises ``ValueError`` naming the variable.

Two moments read settings:

- **DAG parse** (the dag-processor and the triggerer, on every parse): only :func:`dag_settings`,
  the few values a DAG's shape needs (bucket for the asset URIs, sources file for the fetch lanes,
  retry delay, the urgent queue). Cheap: no I/O, nothing heavy imported (this module imports neither
  Airflow, pandas nor Great Expectations), and a bad *task* setting never breaks a DAG's parse.
- **Task run**: :meth:`Settings.from_env`, everything.

The configuration reference in the README is generated from the declarations
(:func:`markdown_table`, ``scripts/gen_settings_docs.py``).

Secrets never live here but for the alert webhook URL (a bearer secret, never printed): S3
credentials and the SMTP server come from Airflow connections (``aws_default``, ``smtp_default``)
or, for the CLI, from the standard AWS environment.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from conflict_ingest.errors import ConfigError
from conflict_ingest.records import METRICS

PACKAGE_DIR = Path(__file__).resolve().parent
INCLUDE_DIR = PACKAGE_DIR.parent
DEFAULT_SOURCES_PATH = INCLUDE_DIR / "sources.yaml"
SAMPLE_SITE_DIR = INCLUDE_DIR / "sample_site"

# --- named defaults that are not environment variables (one place each) -----------------------------

#: The fetcher's User-Agent (``CONFLICT_INGEST_USER_AGENT`` overrides it).
DEFAULT_USER_AGENT = "conflict-ingest/0.1 (+https://github.com/example/conflict-ingest)"
#: A source's (and the fetcher's) connect/read timeout, seconds.
DEFAULT_FETCH_TIMEOUT_S = 20.0
#: A source's (and the fetcher's) cap on a response body, decompressed, bytes.
DEFAULT_FETCH_MAX_BYTES = 5_000_000
#: A source's (and the fetcher's) requests per second to one host.
DEFAULT_RATE_LIMIT_PER_S = 1.0
#: Pages one run fetches by hand: the nightly DAG's form, one urgent message, one urgent run.
MAX_URLS_PER_RUN = 200
#: A batch is one task instance's pages, held in memory at once (raw pages, then cleaned text).
MAX_BATCH_SIZE = 2000
#: SQS long polling waits at most this long per receive call.
MAX_SQS_WAIT_S = 20
#: The largest count that is plausible for one record of each metric (``CONFLICT_INGEST_MAX_COUNT``
#: overrides some). Whole wars stay under these (the anti-ISIS coalition released about 120,000
#: weapons in four years; the deadliest recent wars count their dead in the hundreds of thousands);
#: a larger number is a misread (a concatenation, an ID, money).
DEFAULT_MAX_COUNT_PER_METRIC: dict[str, int] = {
    "strikes": 200_000,
    "engagements": 200_000,
    "sorties": 500_000,
    "weapons_released": 500_000,
    "killed": 1_000_000,
    "wounded": 2_000_000,
}

#: Server-side encryption modes (``CONFLICT_INGEST_S3_SSE``).
SSE_S3 = "AES256"
SSE_KMS = "aws:kms"
SSE_NONE = "none"
SSE_MODES = (SSE_S3, SSE_KMS, SSE_NONE)

#: When a variable is read.
TASK = "task run"
PARSE = "DAG parse"
PARSE_AND_TASK = "DAG parse and task run"

T = TypeVar("T")


# --- parsers: text -> value, ValueError with a short reason ------------------------------------------


def _text(raw: str) -> str:
    return raw


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError("must be an integer") from None


def _float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError("must be a number") from None


def _bool(raw: str) -> bool:
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def _path(raw: str) -> Path:
    return Path(raw)


def _addresses(raw: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in raw.split(",") if a.strip())


def _utc_datetime(raw: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(raw).replace(tzinfo=dt.UTC)
    except ValueError:
        raise ValueError("must be an ISO date (YYYY-MM-DD)") from None


def _sse_mode(raw: str) -> str:
    mode = {m.lower(): m for m in SSE_MODES}.get(raw.lower())
    if mode is None:
        raise ValueError(f"must be one of {', '.join(SSE_MODES)}")
    return mode


def parse_max_counts(text: str) -> dict[str, int]:
    """``"strikes=5000, sorties=900000"`` -> ``{"strikes": 5000, "sorties": 900000}``."""
    out: dict[str, int] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        metric, sep, bound = item.partition("=")
        metric = metric.strip()
        if not sep or metric not in METRICS:
            raise ValueError(f"expected METRIC=BOUND with METRIC in {METRICS}, got {item!r}")
        try:
            out[metric] = int(bound.strip().replace("_", ""))
        except ValueError:
            raise ValueError(f"bound of {metric} must be an integer, got {bound!r}") from None
    return out


def _max_counts(raw: str) -> dict[str, int]:
    return {**DEFAULT_MAX_COUNT_PER_METRIC, **parse_max_counts(raw)}


# --- the declarations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variable(Generic[T]):
    """One environment variable: how it is read, its default and what it means.

    An unset or blank variable takes ``default``. ``low``/``high`` bound a number (``clamp_high``:
    a larger value is taken as ``high`` instead of refused)."""

    name: str
    type: str
    default: T
    parse: Callable[[str], T]
    meaning: str
    read_when: str = TASK
    low: float | None = None
    high: float | None = None
    clamp_high: bool = False
    secret: bool = False
    shown_default: str | None = None

    def read(self, environ: Mapping[str, str] | None = None) -> T:
        env = os.environ if environ is None else environ
        raw = (env.get(self.name) or "").strip()
        if not raw:
            return self.default
        try:
            value = self.parse(raw)
        except ValueError as exc:
            if self.secret:  # the reason may quote the value
                raise ConfigError(
                    f"{self.name} is not a valid {self.type} (value not shown: a secret)"
                ) from None
            message = f"{self.name}: {exc}" if "got" in str(exc) else f"{self.name} {exc}, got {raw!r}"
            raise ConfigError(message) from None
        return self._bounded(value, raw)

    def _bounded(self, value: T, raw: str) -> T:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return value
        if self.high is not None and value > self.high and self.clamp_high:
            return type(value)(self.high)
        if self.low is not None and value < self.low and self.high is None:
            wanted = "must not be negative" if self.low == 0 else f"must be at least {self.low:g}"
            raise ConfigError(f"{self.name} {wanted}, got {raw!r}")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise ConfigError(f"{self.name} must be between {self.low:g} and {self.high:g}, got {value}")
        return value

    @property
    def default_text(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        if self.default is None or self.default == "" or self.default == ():
            return "unset"
        if isinstance(self.default, bool):
            return str(self.default).lower()
        if isinstance(self.default, tuple):
            return ",".join(self.default)
        if isinstance(self.default, Path):
            try:
                return self.default.relative_to(INCLUDE_DIR.parent).as_posix()
            except ValueError:
                return str(self.default)
        return f"{self.default:g}" if isinstance(self.default, float) else str(self.default)


BUCKET = Variable(
    "CONFLICT_INGEST_BUCKET",
    "text",
    "conflict-news",
    _text,
    "the S3 bucket of all zones (also names the DAGs' assets)",
    read_when=PARSE_AND_TASK,
)
SOURCES = Variable(
    "CONFLICT_INGEST_SOURCES",
    "path",
    DEFAULT_SOURCES_PATH,
    _path,
    "the sources file (its families are the nightly DAG's fetch lanes)",
    read_when=PARSE_AND_TASK,
)
AWS_CONN_ID = Variable(
    "CONFLICT_INGEST_AWS_CONN_ID",
    "text",
    "aws_default",
    _text,
    "Airflow connection for S3 and for the urgent DAG's SQS queue (its extra may set "
    "`region_name` and `endpoint_url`)",
    read_when=PARSE_AND_TASK,
)
SMTP_CONN_ID = Variable(
    "CONFLICT_INGEST_SMTP_CONN_ID", "text", "smtp_default", _text, "Airflow connection for alert mail"
)
ALERT_TO: Variable[tuple[str, ...]] = Variable(
    "CONFLICT_INGEST_ALERT_TO",
    "list",
    ("analysts@example.test",),
    _addresses,
    "comma-separated recipients of the alert mail",
)
ALERT_WEBHOOK_URL: Variable[str | None] = Variable(
    "CONFLICT_INGEST_ALERT_WEBHOOK_URL",
    "URL, secret",
    None,
    _text,
    'a Slack-compatible incoming webhook for alerts: it gets `{"text": subject + body}` by POST, '
    "10 s timeout (a bearer secret: never logged)",
    secret=True,
)
BATCH_SIZE = Variable(
    "CONFLICT_INGEST_BATCH_SIZE",
    "int",
    250,
    _int,
    "pages per mapped fetch/clean/extract task; 100,000 pages a night are 400 task instances per stage",
    low=1,
    high=MAX_BATCH_SIZE,
)
ALLOW_PRIVATE_URLS = Variable(
    "CONFLICT_INGEST_ALLOW_PRIVATE_URLS",
    "bool",
    False,
    _bool,
    "allow loopback/private addresses for every source and for pages by hand",
)
USER_AGENT = Variable(
    "CONFLICT_INGEST_USER_AGENT", "text", DEFAULT_USER_AGENT, _text, "the fetcher's User-Agent"
)
RETRY_DELAY_S = Variable(
    "CONFLICT_INGEST_RETRY_DELAY_S",
    "float",
    30.0,
    _float,
    "first retry delay of the tasks, seconds (exponential backoff after)",
    read_when=PARSE,
    low=0,
)
NIGHTLY_END_DATE: Variable[dt.datetime | None] = Variable(
    "CONFLICT_INGEST_NIGHTLY_END_DATE",
    "date",
    None,
    _utc_datetime,
    "the nightly DAG's `end_date` (UTC). Unset in production; the e2e tests set a past day so the "
    "DAG's own run for today never competes with theirs",
    read_when=PARSE,
)
REVIEW_TIMEOUT_HOURS = Variable(
    "CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS",
    "float",
    24.0,
    _float,
    "hours a reviewer has to answer the review of a night's held records; no answer keeps them all "
    "held and the run fails. 0 turns reviews off (held records stay held, the run fails at `gate`): "
    "`airflow dags test` (`make run`, the in-process tests) has no scheduler to end a review, so it "
    "would wait forever",
    read_when=PARSE_AND_TASK,
    low=0,
    high=24 * 30,
)
MAX_COUNT = Variable(
    "CONFLICT_INGEST_MAX_COUNT",
    "METRIC=BOUND,...",
    dict(DEFAULT_MAX_COUNT_PER_METRIC),
    _max_counts,
    "per-metric plausible bound of `count`, e.g. `strikes=50000,sorties=900000` "
    "(metrics not named keep their default)",
    shown_default=", ".join(f"{k}={v}" for k, v in DEFAULT_MAX_COUNT_PER_METRIC.items()),
)
HISTORY_DAYS = Variable(
    "CONFLICT_INGEST_HISTORY_DAYS", "int", 30, _int, "trailing window of curated partitions read", low=0
)
SPIKE_FACTOR = Variable(
    "CONFLICT_INGEST_SPIKE_FACTOR",
    "float",
    10.0,
    _float,
    '"far above" = more than this many times the trailing max',
    low=0,
)
SPIKE_MIN_HISTORY_DAYS = Variable(
    "CONFLICT_INGEST_SPIKE_MIN_HISTORY_DAYS",
    "int",
    3,
    _int,
    "days with records of that actor+metric needed before comparing",
    low=0,
)
SILENT_SOURCE_MIN_DAYS = Variable(
    "CONFLICT_INGEST_SILENT_SOURCE_MIN_DAYS",
    "int",
    3,
    _int,
    "days with records needed before a silent source is reported",
    low=0,
)
SILENT_SOURCE_MIN_SHARE = Variable(
    "CONFLICT_INGEST_SILENT_SOURCE_MIN_SHARE",
    "float",
    0.5,
    _float,
    "share of the days the source was read on which it had records",
    low=0,
)
SILENT_SOURCE_MIN_NIGHTS = Variable(
    "CONFLICT_INGEST_SILENT_SOURCE_MIN_NIGHTS",
    "int",
    5,
    _int,
    "nights of the previous 7 with records landed before a source with none tonight is reported",
    low=1,
    high=7,
)
S3_SSE = Variable(
    "CONFLICT_INGEST_S3_SSE",
    "`AES256`, `aws:kms` or `none`",
    SSE_S3,
    _sse_mode,
    "server-side encryption of every object written: SSE-S3, SSE-KMS, or `none` (for S3-compatible "
    "stores without SSE)",
)
S3_KMS_KEY_ID: Variable[str | None] = Variable(
    "CONFLICT_INGEST_S3_KMS_KEY_ID",
    "text",
    None,
    _text,
    "with `aws:kms`: key id, ARN or `alias/...` (unset: the AWS-managed `aws/s3` key or the bucket default)",
)
URGENT_QUEUE_URL: Variable[str | None] = Variable(
    "CONFLICT_INGEST_URGENT_QUEUE_URL",
    "URL",
    None,
    _text,
    "the SQS queue the urgent DAG watches. Unset: nothing watches a queue and the DAG has no schedule "
    "(the manual form still works)",
    read_when=PARSE,
)
URGENT_WAIT_S = Variable(
    "CONFLICT_INGEST_URGENT_WAIT_S",
    "int",
    MAX_SQS_WAIT_S,
    _int,
    f"SQS long-poll seconds per receive (at most {MAX_SQS_WAIT_S}; more is taken as {MAX_SQS_WAIT_S})",
    read_when=PARSE,
    low=0,
    high=MAX_SQS_WAIT_S,
    clamp_high=True,
)
URGENT_POLL_S = Variable(
    "CONFLICT_INGEST_URGENT_POLL_S",
    "int",
    10,
    _int,
    "pause after a receive that found nothing, seconds",
    read_when=PARSE,
    low=0,
)

#: Every variable, in the order of the configuration reference.
VARIABLES: tuple[Variable[Any], ...] = (
    BUCKET,
    SOURCES,
    AWS_CONN_ID,
    SMTP_CONN_ID,
    BATCH_SIZE,
    ALLOW_PRIVATE_URLS,
    USER_AGENT,
    RETRY_DELAY_S,
    ALERT_TO,
    ALERT_WEBHOOK_URL,
    MAX_COUNT,
    HISTORY_DAYS,
    SPIKE_FACTOR,
    SPIKE_MIN_HISTORY_DAYS,
    SILENT_SOURCE_MIN_DAYS,
    SILENT_SOURCE_MIN_SHARE,
    SILENT_SOURCE_MIN_NIGHTS,
    S3_SSE,
    S3_KMS_KEY_ID,
    URGENT_QUEUE_URL,
    URGENT_WAIT_S,
    URGENT_POLL_S,
    NIGHTLY_END_DATE,
    REVIEW_TIMEOUT_HOURS,
)


# --- the structure -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationSettings:
    """The validation suite's tunables (``validate.config.ValidationConfig`` is this class).

    ``max_count_per_metric``: the plausible bound of ``count`` per metric (critical).
    ``history_days``: how many days of committed curated partitions before the run's day are read.
    ``spike_factor``: a count above this many times the trailing maximum of the same actor and
    metric is flagged ``count_far_above_trailing_max``, but only when that actor and metric have
    records on at least ``spike_min_history_days`` distinct days of the window.
    ``silent_source_min_days`` and ``silent_source_min_share``: a source that completed tonight
    with no records is reported ``source_yielded_no_records`` when, over the days of the window
    it was read, it had records on at least that many days and at least that share of them.
    ``silent_source_min_nights``: a source that completed tonight with no records is also reported
    when the per-source health of the previous 7 nights shows records landed on at least this many of
    them (:mod:`conflict_ingest.health`).
    """

    max_count_per_metric: dict[str, int] = field(default_factory=lambda: dict(MAX_COUNT.default))
    history_days: int = HISTORY_DAYS.default
    spike_factor: float = SPIKE_FACTOR.default
    spike_min_history_days: int = SPIKE_MIN_HISTORY_DAYS.default
    silent_source_min_days: int = SILENT_SOURCE_MIN_DAYS.default
    silent_source_min_share: float = SILENT_SOURCE_MIN_SHARE.default
    silent_source_min_nights: int = SILENT_SOURCE_MIN_NIGHTS.default

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ValidationSettings:
        return cls(
            max_count_per_metric=MAX_COUNT.read(environ),
            history_days=HISTORY_DAYS.read(environ),
            spike_factor=SPIKE_FACTOR.read(environ),
            spike_min_history_days=SPIKE_MIN_HISTORY_DAYS.read(environ),
            silent_source_min_days=SILENT_SOURCE_MIN_DAYS.read(environ),
            silent_source_min_share=SILENT_SOURCE_MIN_SHARE.read(environ),
            silent_source_min_nights=SILENT_SOURCE_MIN_NIGHTS.read(environ),
        )

    @classmethod
    def from_settings(cls, settings: ValidationSettings) -> ValidationSettings:
        """A copy of ``settings`` (its own ``max_count_per_metric``)."""
        return replace(settings, max_count_per_metric=dict(settings.max_count_per_metric))


@dataclass(frozen=True)
class StorageSettings:
    """Server-side encryption of every object written."""

    sse: str = S3_SSE.default
    kms_key_id: str | None = S3_KMS_KEY_ID.default

    def __post_init__(self) -> None:
        if self.sse not in SSE_MODES:
            raise ConfigError(f"{S3_SSE.name} must be one of {', '.join(SSE_MODES)}, got {self.sse!r}")
        if self.kms_key_id and self.sse != SSE_KMS:
            raise ConfigError(
                f"{S3_KMS_KEY_ID.name} is set but {S3_SSE.name} is {self.sse!r}, not {SSE_KMS!r}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StorageSettings:
        return cls(sse=S3_SSE.read(environ), kms_key_id=S3_KMS_KEY_ID.read(environ))


@dataclass(frozen=True)
class UrgentSettings:
    """The urgent DAG's SQS watcher (read when the DAG file is parsed)."""

    queue_url: str | None = URGENT_QUEUE_URL.default
    wait_s: int = URGENT_WAIT_S.default
    poll_s: int = URGENT_POLL_S.default

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> UrgentSettings:
        return cls(
            queue_url=URGENT_QUEUE_URL.read(environ),
            wait_s=URGENT_WAIT_S.read(environ),
            poll_s=URGENT_POLL_S.read(environ),
        )


@dataclass(frozen=True)
class DagSettings:
    """What the DAG files need when parsed: cheap to read, and nothing a task alone uses (a bad
    task setting fails that task, never the DAG's parse)."""

    bucket: str = BUCKET.default
    sources_path: Path = SOURCES.default
    aws_conn_id: str = AWS_CONN_ID.default
    retry_delay_s: float = RETRY_DELAY_S.default
    nightly_end_date: dt.datetime | None = NIGHTLY_END_DATE.default
    urgent: UrgentSettings = field(default_factory=UrgentSettings)
    review_timeout_hours: float = REVIEW_TIMEOUT_HOURS.default

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DagSettings:
        return cls(
            bucket=BUCKET.read(environ),
            sources_path=SOURCES.read(environ),
            aws_conn_id=AWS_CONN_ID.read(environ),
            retry_delay_s=RETRY_DELAY_S.read(environ),
            nightly_end_date=NIGHTLY_END_DATE.read(environ),
            urgent=UrgentSettings.from_env(environ),
            review_timeout_hours=REVIEW_TIMEOUT_HOURS.read(environ),
        )


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline can be told from outside, read once."""

    bucket: str = BUCKET.default
    sources_path: Path = SOURCES.default
    aws_conn_id: str = AWS_CONN_ID.default
    smtp_conn_id: str = SMTP_CONN_ID.default
    alert_to: tuple[str, ...] = ALERT_TO.default
    alert_webhook_url: str | None = field(default=ALERT_WEBHOOK_URL.default, repr=False)  # a secret
    batch_size: int = BATCH_SIZE.default
    allow_private_urls: bool = ALLOW_PRIVATE_URLS.default
    user_agent: str = USER_AGENT.default
    retry_delay_s: float = RETRY_DELAY_S.default
    nightly_end_date: dt.datetime | None = NIGHTLY_END_DATE.default
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    urgent: UrgentSettings = field(default_factory=UrgentSettings)
    review_timeout_hours: float = REVIEW_TIMEOUT_HOURS.default

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Every setting from ``environ`` (default: the process environment)."""
        return cls(
            bucket=BUCKET.read(environ),
            sources_path=SOURCES.read(environ),
            aws_conn_id=AWS_CONN_ID.read(environ),
            smtp_conn_id=SMTP_CONN_ID.read(environ),
            alert_to=ALERT_TO.read(environ),
            alert_webhook_url=ALERT_WEBHOOK_URL.read(environ),
            batch_size=BATCH_SIZE.read(environ),
            allow_private_urls=ALLOW_PRIVATE_URLS.read(environ),
            user_agent=USER_AGENT.read(environ),
            retry_delay_s=RETRY_DELAY_S.read(environ),
            nightly_end_date=NIGHTLY_END_DATE.read(environ),
            validation=ValidationSettings.from_env(environ),
            storage=StorageSettings.from_env(environ),
            urgent=UrgentSettings.from_env(environ),
            review_timeout_hours=REVIEW_TIMEOUT_HOURS.read(environ),
        )


def dag_settings(environ: Mapping[str, str] | None = None) -> DagSettings:
    """The parse-time subset, for the DAG files' module level."""
    return DagSettings.from_env(environ)


def sources_path_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """The sources file (``CONFLICT_INGEST_SOURCES``), read alone."""
    return SOURCES.read(environ)


# --- the configuration reference ---------------------------------------------------------------------


def markdown_table() -> str:
    """The configuration reference (README, between ``<!-- settings:start -->`` and ``<!-- settings:end -->``)."""
    lines = ["| variable | type | default | meaning | read at |", "|---|---|---|---|---|"]
    for var in VARIABLES:
        default = var.default_text
        default = default if default == "unset" else f"`{default}`"
        bounds = ""
        if var.low is not None and var.high is not None:
            bounds = f" ({var.low:g}–{var.high:g})"
        elif var.low is not None:
            bounds = f" (≥ {var.low:g})"
        lines.append(f"| `{var.name}` | {var.type}{bounds} | {default} | {var.meaning} | {var.read_when} |")
    return "\n".join(lines) + "\n"
