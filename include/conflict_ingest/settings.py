"""Configuration from environment variables, with the defaults in one place.

Secrets never live here: S3 credentials and the SMTP server come from Airflow connections
(``aws_default``, ``smtp_default``) or, for the CLI, from the standard AWS environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from conflict_ingest.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
INCLUDE_DIR = PACKAGE_DIR.parent
DEFAULT_SOURCES_PATH = INCLUDE_DIR / "sources.yaml"
SAMPLE_SITE_DIR = INCLUDE_DIR / "sample_site"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def sources_path_from_env() -> Path:
    """The sources file (``CONFLICT_INGEST_SOURCES``), read alone: DAG files need only this when parsed."""
    return Path(_env("CONFLICT_INGEST_SOURCES", str(DEFAULT_SOURCES_PATH)))


#: A batch is one task instance's pages, held in memory at once (raw pages, then cleaned text).
MAX_BATCH_SIZE = 2000


def _bounded(name: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline can be told from outside, read once."""

    bucket: str = "conflict-news"
    sources_path: Path = DEFAULT_SOURCES_PATH
    aws_conn_id: str = "aws_default"
    smtp_conn_id: str = "smtp_default"
    alert_to: tuple[str, ...] = field(default_factory=tuple)
    alert_webhook_url: str | None = field(default=None, repr=False)  # a bearer secret: never printed
    batch_size: int = 250  # pages per mapped batch: 100,000 pages a night are 400 batches per stage
    allow_private_urls: bool = False
    user_agent: str = "conflict-ingest/0.1 (+https://github.com/example/conflict-ingest)"

    @classmethod
    def from_env(cls) -> Settings:
        alert_to = tuple(
            a.strip()
            for a in _env("CONFLICT_INGEST_ALERT_TO", "analysts@example.test").split(",")
            if a.strip()
        )
        return cls(
            bucket=_env("CONFLICT_INGEST_BUCKET", cls.bucket),
            sources_path=sources_path_from_env(),
            aws_conn_id=_env("CONFLICT_INGEST_AWS_CONN_ID", cls.aws_conn_id),
            smtp_conn_id=_env("CONFLICT_INGEST_SMTP_CONN_ID", cls.smtp_conn_id),
            alert_to=alert_to,
            alert_webhook_url=os.environ.get("CONFLICT_INGEST_ALERT_WEBHOOK_URL") or None,
            batch_size=_bounded(
                "CONFLICT_INGEST_BATCH_SIZE",
                _env_int("CONFLICT_INGEST_BATCH_SIZE", cls.batch_size),
                1,
                MAX_BATCH_SIZE,
            ),
            allow_private_urls=_env_bool("CONFLICT_INGEST_ALLOW_PRIVATE_URLS", cls.allow_private_urls),
            user_agent=_env("CONFLICT_INGEST_USER_AGENT", cls.user_agent),
        )
