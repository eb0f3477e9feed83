"""Every S3 key and file name the pipeline reads or writes, in one place.

Zones (``raw/``, ``curated/``, ``quarantine/``, ``reports/``, ``rollups/``, ``work/``) and the names of
the files inside them. Stages never rebuild a key by editing another: the work area's batch keys
are made and read here (``batch_key`` -> ``fetched_key`` -> ``cleaned_key`` -> ``extracted_key``,
``batch_source_id``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

RAW_PREFIX = "raw"
RAW_INDEX_PREFIX = f"{RAW_PREFIX}/_index"  # one small object per fetched URL (conditional GET)
CURATED_PREFIX = "curated/strike_counts"
QUARANTINE_PREFIX = "quarantine/strike_counts"
REPORTS_PREFIX = "reports/validation"
WORK_PREFIX = "work/strike_counts"
MANIFEST_NAME = "_manifest.json"

_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9._=-]+")
#: Hex digits of the hash a lossy key part ends with (48 bits: no accidental collision).
KEY_HASH_CHARS = 12
_HASH_SUFFIX = re.compile(rf"-[0-9a-f]{{{KEY_HASH_CHARS}}}\Z")


def safe_key_part(value: str) -> str:
    """A run id made safe for an S3 key segment, distinct for distinct run ids.

    Ids made only of ``A-Za-z0-9._=-`` stay as they are (``manual__x``); any other id keeps a
    readable form with a hash of the whole id appended, ``scheduled__2016-12-01T00:00:00+00:00``
    -> ``scheduled__2016-12-01T00_00_00_00_00-<12 hex>``, so ``a:b``, ``a+b`` and ``a_b`` never
    share a prefix. An id that already looks like such a form (ends with ``-<12 hex>``), or is
    ``.``/``..``, gets the suffix too, so no id can take another's key.
    """
    readable = _UNSAFE_KEY_CHARS.sub("_", value).strip("_") or "run"
    if readable == value and value not in {".", ".."} and not _HASH_SUFFIX.search(value):
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:KEY_HASH_CHARS]
    return f"{readable}-{digest}"


def raw_page_key(source_id: str, day: dt.date, sha256: str) -> str:
    return f"{RAW_PREFIX}/source={source_id}/dt={day.isoformat()}/{sha256}.html.gz"


def raw_meta_key(page_key: str) -> str:
    return page_key.removesuffix(".html.gz") + ".json"


def raw_index_key(source_id: str, url: str) -> str:
    """Where the validators (ETag, Last-Modified) and raw key of the last fetch of ``url`` live."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
    return f"{RAW_INDEX_PREFIX}/source={source_id}/{digest}.json"


def curated_partition(day: dt.date) -> str:
    return f"{CURATED_PREFIX}/dt={day.isoformat()}/"


def quarantine_partition(day: dt.date) -> str:
    return f"{QUARANTINE_PREFIX}/dt={day.isoformat()}/"


def report_prefix(day: dt.date, run_id: str) -> str:
    return f"{REPORTS_PREFIX}/dt={day.isoformat()}/{safe_key_part(run_id)}/"


def work_prefix(day: dt.date, run_id: str) -> str:
    return f"{WORK_PREFIX}/dt={day.isoformat()}/run={safe_key_part(run_id)}/"


ROLLUPS_PREFIX = "rollups/strike_counts"

# --- files of a validation report folder (``report_prefix``) ------------------------------------
GX_RESULT_FILE = "gx_result.json"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
ALERT_FILE = "alert.json"


def reports_day_prefix(day: dt.date) -> str:
    """Every run's report folder of ``day``."""
    return f"{REPORTS_PREFIX}/dt={day.isoformat()}/"


def manifest_key(partition: str) -> str:
    """The manifest that commits a partition (``curated_partition``, ``quarantine_partition``)."""
    return partition + MANIFEST_NAME


def raw_day_prefix(source_id: str, day: dt.date) -> str:
    """The raw pages (and their ``.json`` metadata) of one source and day."""
    return f"{RAW_PREFIX}/source={source_id}/dt={day.isoformat()}/"


# --- the run's work area (``work_prefix``) --------------------------------------------------------
BATCHES = "batches"
FETCHED = "fetched"
CLEANED = "cleaned"
EXTRACTED = "extracted"
DISCOVERED = "discovered"
JSON = ".json"
JSONL_GZ = ".jsonl.gz"


def sources_key(work: str) -> str:
    """The sources a run reads, as planned."""
    return f"{work}sources.json"


def discovered_key(work: str, source_id: str) -> str:
    """A source's discovery result: its batch keys."""
    return f"{work}{DISCOVERED}/{source_id}{JSON}"


def batch_key(work: str, source_id: str, index: int) -> str:
    """The ``index``-th batch of URLs of a source."""
    return f"{work}{BATCHES}/{source_id}-{index:05d}{JSON}"


def stage_prefix(work: str, stage: str) -> str:
    """Where a stage (``FETCHED``, ``CLEANED``, ``EXTRACTED``) writes its per-batch files."""
    return f"{work}{stage}/"


def batch_name(key: str) -> str:
    """``<source_id>-<index>``: the batch a work-area key belongs to, whatever its stage."""
    return key.rsplit("/", 1)[-1].removesuffix(JSONL_GZ).removesuffix(JSON)


def batch_source_id(key: str) -> str:
    """The source a batch (at any stage) belongs to."""
    return batch_name(key).rsplit("-", 1)[0]


def _work_of(key: str) -> str:
    """The work prefix a per-batch key lives under (``<work><stage>/<file>``)."""
    return key.rsplit("/", 2)[0] + "/"


def fetched_key(batch: str) -> str:
    """The fetch manifest of a batch."""
    return f"{stage_prefix(_work_of(batch), FETCHED)}{batch_name(batch)}{JSON}"


def cleaned_key(fetched: str) -> str:
    """The cleaned pages of a fetched batch."""
    return f"{stage_prefix(_work_of(fetched), CLEANED)}{batch_name(fetched)}{JSONL_GZ}"


def extracted_key(cleaned: str) -> str:
    """The extracted records of a cleaned batch."""
    return f"{stage_prefix(_work_of(cleaned), EXTRACTED)}{batch_name(cleaned)}{JSONL_GZ}"


VALIDATED = "validated"
PASSED = "passed"
HELD = "held"


def validated_passed_key(work: str) -> str:
    """The run's passed records in one object (written by runs validated before per-batch validation)."""
    return f"{work}{VALIDATED}/passed.jsonl.gz"


def validated_batch_key(extracted: str, outcome: str) -> str:
    """The records of an extracted batch that ``outcome`` (``PASSED``: to land, ``HELD``: quarantined)."""
    return f"{_work_of(extracted)}{VALIDATED}/{outcome}/{batch_name(extracted)}{JSONL_GZ}"


def gx_unit_result_key(report: str, first_batch: str) -> str:
    """The Great Expectations result of one validated unit (named by its first batch) in a report folder."""
    return f"{report}gx/{batch_name(first_batch)}{JSON}"


def validated_sources_key(work: str) -> str:
    return f"{work}validated/sources.json"


def validated_prefix(work: str, outcome: str) -> str:
    """Every batch's ``validated/<outcome>/`` object of a run (``PASSED`` or ``HELD``)."""
    return f"{work}{VALIDATED}/{outcome}/"


# --- reviews of held records (``conflict_ingest.review``) ----------------------------------------
REVIEWS_PREFIX = "reviews/strike_counts"
DECISIONS_FILE = "decisions.json"


def reviews_day_prefix(day: dt.date) -> str:
    """Everything about the reviews of one day's held records."""
    return f"{REVIEWS_PREFIX}/dt={day.isoformat()}/"


def review_decisions_key(day: dt.date) -> str:
    """The reviewers' decisions on the day's held records (one object, written with conditional PUTs)."""
    return reviews_day_prefix(day) + DECISIONS_FILE


def review_requests_prefix(day: dt.date) -> str:
    """The review requests of one day's runs (one object per run that asked)."""
    return f"{reviews_day_prefix(day)}requests/"


def review_request_key(day: dt.date, run_id: str) -> str:
    """What one run asked reviewers: its held records as review items, and the options offered."""
    return f"{review_requests_prefix(day)}{safe_key_part(run_id)}{JSON}"
