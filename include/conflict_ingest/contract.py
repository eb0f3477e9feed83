"""The record contract, written once: the curated zone's fields and the values of its enums.

One record = one count of one kind of military action, or of its toll, that a page states, with
the span of time it covers. :data:`FIELDS` is the table (name, Python type, Arrow type, required,
description, allowed values); everything else that names the record's fields is derived from it:
``records.Record`` and ``RECORD_FIELDS``, ``land.arrow_schema``, validation's not-null, type and
in-set expectations, the report's columns and the rollups' key columns, and the README's table
(:func:`markdown_table`, written by ``scripts/gen_docs.py``). ``tests/unit/test_contract.py``
checks that they agree.

The enums are :class:`enum.StrEnum`: a member equals its string and serialises as it. Records
themselves hold plain strings (``records.Extraction`` stores an enum member's value), so JSON,
the records written to S3 and Parquet are the same bytes as when these were bare strings.

No third-party import here: the Arrow types are written as pyarrow spells them and resolved
(by :func:`arrow_type`) only when a schema is built.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class Metric(enum.StrEnum):
    """What was counted."""

    STRIKES = "strikes"
    ENGAGEMENTS = "engagements"
    SORTIES = "sorties"
    WEAPONS_RELEASED = "weapons_released"
    KILLED = "killed"
    WOUNDED = "wounded"


class Qualifier(enum.StrEnum):
    """How the page qualifies the count."""

    EXACT = "exact"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    APPROXIMATE = "approximate"
    #: a vague quantity ("several", "dozens"): ``count`` is a conservative lower bound from
    #: :data:`conflict_ingest.extract.lexicon.VAGUE_QUANTITIES`, ``count_text`` the words as written
    VAGUE = "vague"


class Victim(enum.StrEnum):
    """Who a toll (killed, wounded) counts."""

    COMBATANTS = "combatants"
    CIVILIANS = "civilians"
    UNSPECIFIED = "unspecified"


#: the metrics that count people (a toll): only these records carry a ``victim``
CASUALTY_METRICS: tuple[Metric, ...] = (Metric.KILLED, Metric.WOUNDED)

# The Arrow types of the contract, as pyarrow prints them (``str(pa_type)``).
ARROW_STRING = "string"
ARROW_INT64 = "int64"
ARROW_TIMESTAMP = "timestamp[us, tz=UTC]"
ARROW_DATE = "date32[day]"
ARROW_STRING_LIST = "list<item: string>"
ARROW_BOOL = "bool"


@dataclass(frozen=True)
class Field:
    """One field of the record.

    ``python`` is the type of the value in a :class:`~conflict_ingest.records.Record` (``X | None``
    when it may be null there); ``required`` says the value may never be null in a record that
    passes validation (and in the curated zone's Parquet); ``values`` is the enum whose values the
    field takes, if any; ``absent`` is what a part landed before the field existed reads as.
    """

    name: str
    python: Any
    arrow: str
    required: bool
    description: str
    values: type[enum.StrEnum] | None = None
    #: what a Parquet part written before the field existed reads as (fields are only ever added)
    absent: Any = None


# ``Field.required``, spelled so the table reads
REQUIRED = True
NULLABLE = False

FIELDS: tuple[Field, ...] = (
    Field("record_id", str, ARROW_STRING, REQUIRED,
          "deterministic: same page, same statement -> same id across re-runs and re-fetches"),
    Field("source_id", str, ARROW_STRING, REQUIRED,
          "the configured source (or manual run) the page was read for"),
    Field("source_url", str, ARROW_STRING, REQUIRED, "the URL the page was fetched from"),
    Field("canonical_url", str, ARROW_STRING, REQUIRED,
          "the page's canonical URL (the record id is derived from it, or from source_url if empty)"),
    Field("title", str, ARROW_STRING, REQUIRED, "the page's title"),
    Field("published_at", dt.datetime | None, ARROW_TIMESTAMP, NULLABLE,
          "the article's publication time (never the site chrome's \"Updated ...\" clock)"),
    Field("fetched_at", dt.datetime, ARROW_TIMESTAMP, REQUIRED, "when the page was fetched"),
    Field("raw_key", str, ARROW_STRING, REQUIRED,
          "the raw page's key in the raw zone, for re-derivation and provenance"),
    Field("content_sha256", str, ARROW_STRING, REQUIRED, "sha256 of the raw page as fetched"),
    Field("extractor_version", str, ARROW_STRING, REQUIRED, "which extractor produced the record"),
    Field("metric", str, ARROW_STRING, REQUIRED,
          "what was counted (`strikes`: also airstrikes, air raids; `weapons_released`: weapons, "
          "munitions, bombs, missiles, rockets, shells, drones launched)",
          Metric),
    Field("count", int, ARROW_INT64, REQUIRED,
          "the number stated: \"3,038\" -> 3038, \"nine\" -> 9, \"a dozen\" -> 12, "
          "\"killed the commander\" -> 1"),
    Field("qualifier", str, ARROW_STRING, REQUIRED,
          "how the page qualifies the count (`at_least`: more than, over; `at_most`: up to, "
          "fewer than; `approximate`: about, nearly, some, around; `vague`: several, dozens: the count "
          "is a conservative lower bound, the words are in `count_text`)",
          Qualifier),
    Field("count_text", str | None, ARROW_STRING, NULLABLE,
          "for a `vague` count, the words as written (\"several\", \"dozens of\"); null otherwise"),
    Field("victim", str | None, ARROW_STRING, NULLABLE,
          "for killed and wounded: who they were; null for every other metric", Victim),
    Field("actor", str | None, ARROW_STRING, NULLABLE,
          "who carried it out, as stated, normalised short name (\"US-led coalition\")"),
    Field("target", str | None, ARROW_STRING, NULLABLE, "what or whom it was aimed at, as stated (\"ISIS\")"),
    Field("location", str | None, ARROW_STRING, NULLABLE, "where, as stated, normalised short name (\"Mosul\")"),
    Field("admin1", str | None, ARROW_STRING, NULLABLE,
          "the first-level subdivision (province, state, oblast) the place lies in, as the text or the "
          "gazetteer (ISO 3166-2) names it (\"Kunduz\")"),
    Field("country", str | None, ARROW_STRING, NULLABLE,
          "the country of the place, ISO 3166-1 alpha-2 (\"AF\")"),
    Field("period_start", dt.date | None, ARROW_DATE, NULLABLE, "the first day the count covers"),
    Field("period_end", dt.date | None, ARROW_DATE, NULLABLE, "the last day the count covers"),
    Field("evidence", str, ARROW_STRING, REQUIRED, "the sentence the count was read from"),
    Field("language", str | None, ARROW_STRING, NULLABLE,
          "the page's language, ISO 639-1 (\"en\"), as the cleaner detected it"),
    Field("flags", list[str], ARROW_STRING_LIST, NULLABLE,
          "names of the warning-level expectations the record broke (empty when clean)"),
    Field("released_by_reviewer", bool, ARROW_BOOL, REQUIRED,
          "true when the record broke a critical expectation and a reviewer released it to curated "
          "(the review of held records); false otherwise, and for parts landed before reviews existed",
          absent=False),
    Field("reviewed_by", str | None, ARROW_STRING, NULLABLE,
          "the reviewer who decided on a held record (released to curated, or kept in quarantine); "
          "null when no one reviewed it"),
    Field("review_comment", str | None, ARROW_STRING, NULLABLE,
          "the reviewer's comment on that decision; null when none"),
)  # fmt: skip

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
#: the fields that may never be null (validation's ``<name>_not_null`` expectations, Arrow's not-null)
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
#: field name -> what a part landed before the field existed reads as (None for most)
ABSENT_VALUES: dict[str, Any] = {f.name: f.absent for f in FIELDS}


def fields_of(arrow: str) -> tuple[str, ...]:
    """The names of the fields of one Arrow type, in contract order."""
    return tuple(f.name for f in FIELDS if f.arrow == arrow)


def values(members: Iterable[enum.StrEnum]) -> tuple[str, ...]:
    """Plain strings of enum members (for places that must hold ``str``, not the enum)."""
    return tuple(m.value for m in members)


#: field name -> the values it may take (the fields with an enum)
ENUM_VALUES: dict[str, tuple[str, ...]] = {f.name: values(f.values) for f in FIELDS if f.values is not None}


def plain(value: Any) -> Any:
    """An enum member as its plain string; anything else unchanged."""
    return value.value if isinstance(value, enum.Enum) else value


def arrow_type(spec: str) -> Any:
    """The pyarrow type of an ``ARROW_*`` spelling (imports pyarrow: call it when building a schema)."""
    import pyarrow as pa

    factories = {
        ARROW_STRING: pa.string,
        ARROW_INT64: pa.int64,
        ARROW_TIMESTAMP: lambda: pa.timestamp("us", tz="UTC"),
        ARROW_DATE: pa.date32,
        ARROW_STRING_LIST: lambda: pa.list_(pa.string()),
        ARROW_BOOL: pa.bool_,
    }
    return factories[spec]()


def python_type_name(tp: Any) -> str:
    """``str``, ``datetime or null``, ``list[str]``: a type as the docs show it."""
    if isinstance(tp, types.UnionType):
        names = [python_type_name(t) for t in tp.__args__ if t is not type(None)]
        return " or ".join(names) + (" or null" if type(None) in tp.__args__ else "")
    if isinstance(tp, types.GenericAlias):
        return str(tp)
    return str(tp.__name__)


def markdown_table() -> str:
    """The contract as a Markdown table (the README's record contract section is this, verbatim)."""
    lines = [
        "| field | Python | Arrow (Parquet) | required | meaning |",
        "|---|---|---|---|---|",
    ]
    for f in FIELDS:
        meaning = f.description
        if f.values is not None:
            meaning += "; one of " + ", ".join(f"`{v}`" for v in values(f.values))
        meaning = meaning.replace("|", "\\|")
        python = python_type_name(f.python) + (f" (`{f.values.__name__}`)" if f.values is not None else "")
        required = "yes" if f.required else "no"
        lines.append(f"| `{f.name}` | {python} | `{f.arrow}` | {required} | {meaning} |")
    return "\n".join(lines) + "\n"
