"""The night's validation in bounded memory: batches planned into units, outcomes folded into a summary.

A night is validated unit by unit, never whole. :class:`NightPlan` is built in one pass over the
extracted batches, keeping only compact tables: the batch that owns each ``record_id`` (the first
one in source order, so a record syndicated by several sources is validated and landed once, by the
source first in order) and, per page URL, a batch that has it. Checks across rows of one page
(conflicting counts, sums against parts) need the page's rows together: a page normally sits in
one batch, and batches that share a page URL are joined into one unit (:meth:`NightPlan.units`).

:class:`NightOutcome` folds each unit's :class:`~conflict_ingest.validate.outcome.ValidationOutcome`
into counts and capped examples, in the order a single validation of the night would list them
(records sorted by source, then ``record_id``): the summary, the report and the alert are built
from it. The trailing-history spike check reads a small per (actor, metric) table
(:class:`~conflict_ingest.validate.config.TrailingHistory`); the per-source yield check needs only
the night's record counts per source (:attr:`NightPlan.records_by_source`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conflict_ingest.validate.columns import CRITICAL, WARNING
from conflict_ingest.validate.config import PAGE_URL_FIELDS
from conflict_ingest.validate.outcome import ValidationOutcome

logger = logging.getLogger(__name__)

#: how a record sorts in the night's lists: source, then record id (the order of one night-wide validation)
RowKey = tuple[str, str]


def row_key(row: dict[str, Any]) -> RowKey:
    """(source_id, record_id) as text: the order records are listed in, night-wide."""
    return str(row.get("source_id")), str(row.get("record_id"))


def page_urls(row: dict[str, Any]) -> list[str]:
    """The URLs that make two records one page (as the conflict and sum checks group them)."""
    urls = []
    for name in PAGE_URL_FIELDS:
        value = row.get(name)
        url = (value if value is None or isinstance(value, str) else str(value)) or ""
        if url.strip():
            urls.append(url.strip())
    return urls


@dataclass
class NightPlan:
    """Which batch validates which record, and which batches must be validated together.

    Fed batch by batch, in source order then batch order, with :meth:`add_batch`. Keeps per record
    only its id and owning batch, per page URL one batch: no record is kept.
    """

    batches: list[str] = field(default_factory=list)
    #: records each batch owns
    sizes: list[int] = field(default_factory=list)
    owner: dict[Any, int] = field(default_factory=dict)
    records_by_source: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    #: page URLs found in more than one batch (their batches are validated together)
    pages_across_batches: int = 0
    _url_batch: dict[str, int] = field(default_factory=dict)
    _parent: list[int] = field(default_factory=list)

    def _find(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def add_batch(self, name: str, rows: Iterable[dict[str, Any]]) -> int:
        """Register a batch's rows; returns how many of them it owns (the others were seen before)."""
        index = len(self.batches)
        self.batches.append(name)
        self._parent.append(index)
        owned = 0
        for row in rows:
            record_id = row["record_id"]
            if record_id in self.owner:
                self.duplicates += 1
                continue
            self.owner[record_id] = index
            owned += 1
            source = row["source_id"]
            self.records_by_source[source] = self.records_by_source.get(source, 0) + 1
            for url in page_urls(row):
                other = self._url_batch.setdefault(url, index)
                if other != index:
                    self.pages_across_batches += 1
                    self._parent[self._find(index)] = self._find(other)
        self.sizes.append(owned)
        return owned

    def owned(self, index: int, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows of batch ``index`` it owns (each record once: its first row in the batch)."""
        out: list[dict[str, Any]] = []
        seen: set[Any] = set()
        for row in rows:
            record_id = row["record_id"]
            if self.owner.get(record_id) == index and record_id not in seen:
                seen.add(record_id)
                out.append(row)
        return out

    def units(self, max_rows: int) -> list[list[int]]:
        """Batches to validate together, in batch order: the batches a page spans are always together;
        consecutive batches are joined while their records stay within ``max_rows`` (each GX run has a
        fixed cost), so a unit holds at most ``max_rows`` records unless one page group holds more."""
        self._url_batch.clear()  # not needed any more
        groups: dict[int, list[int]] = {}
        for index in range(len(self.batches)):
            groups.setdefault(self._find(index), []).append(index)
        units: list[list[int]] = []
        rows = 0
        for members in sorted(groups.values(), key=lambda m: m[0]):
            size = sum(self.sizes[i] for i in members)
            if units and rows + size <= max_rows:
                units[-1].extend(members)
                rows += size
            else:
                units.append(list(members))
                rows = size
        return units


def _merge_capped(
    kept: list[tuple[RowKey, Any]], new: Iterable[tuple[RowKey, Any]], cap: int
) -> list[tuple[RowKey, Any]]:
    return sorted([*kept, *new], key=lambda item: item[0])[:cap]


@dataclass
class NightOutcome:
    """The night's validation folded from its units: counts, and examples capped, in night order.

    ``report_rows`` rows held back and flagged are kept for the report, ``ids_per_expectation``
    record ids per expectation, ``examples_per_expectation`` examples for the alert (each with the
    fields :func:`example_of` gives).
    """

    report_rows: int
    ids_per_expectation: int
    examples_per_expectation: int
    evidence_chars: int = 240
    units: int = 0
    total: int = 0
    passed: int = 0
    failed: int = 0
    flagged: int = 0
    records_by_source: dict[str, dict[str, int]] = field(default_factory=dict)
    expectations: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_rows: list[tuple[RowKey, dict[str, Any]]] = field(default_factory=list)
    flagged_rows: list[tuple[RowKey, dict[str, Any]]] = field(default_factory=list)
    examples: dict[str, list[tuple[RowKey, dict[str, Any]]]] = field(default_factory=dict)
    notes: dict[Any, list[str]] = field(default_factory=dict)
    gx_meta: dict[str, Any] = field(default_factory=dict)
    gx_statistics: dict[str, Any] = field(default_factory=dict)
    gx_success: bool = True
    source_warnings: list[dict[str, Any]] = field(default_factory=list)

    def add(self, outcome: ValidationOutcome, notes: dict[Any, list[str]]) -> None:
        """Fold one unit's outcome in (its rows are then no longer needed); ``notes`` are what each of
        its records broke, and why (:func:`conflict_ingest.validate.report.problem_notes`)."""
        self.units += 1
        summary = outcome.summary()
        for name in ("total", "passed", "failed", "flagged"):
            setattr(self, name, getattr(self, name) + summary[name])
        for source, counts in summary["records_by_source"].items():
            mine = self.records_by_source.setdefault(
                source, {"total": 0, "passed": 0, "failed": 0, "flagged": 0}
            )
            for name, n in counts.items():
                mine[name] = mine.get(name, 0) + n
        if not self.gx_meta:
            self.gx_meta = dict(outcome.gx_result.get("meta") or {})
        self._add_statistics(outcome.gx_result.get("statistics") or {})
        self.gx_success = self.gx_success and bool(outcome.gx_result.get("success", True))

        rows = {r.get("record_id"): r for r in [*outcome.failed, *outcome.passed]}
        for result in outcome.expectation_results:
            self._add_expectation(result, rows, notes)
        self.failed_rows = _merge_capped(
            self.failed_rows, ((row_key(r), r) for r in outcome.failed), self.report_rows
        )
        self.flagged_rows = _merge_capped(
            self.flagged_rows, ((row_key(r), r) for r in outcome.passed if r.get("flags")), self.report_rows
        )
        for _, row in [*self.failed_rows, *self.flagged_rows]:
            record_id = row.get("record_id")
            if record_id in notes:
                self.notes[record_id] = notes[record_id]
        self._prune_notes()

    def _add_statistics(self, stats: dict[str, Any]) -> None:
        # every unit evaluates the same suite: the night reports how many expectations it has
        if not self.gx_statistics:
            self.gx_statistics = {"evaluated_expectations": stats.get("evaluated_expectations")}

    def _add_expectation(
        self, result: dict[str, Any], rows: dict[Any, dict[str, Any]], notes: dict[Any, list[str]]
    ) -> None:
        name = result["name"]
        entry = self.expectations.setdefault(
            name,
            {
                "name": name,
                "level": result["level"],
                "success": True,
                "unexpected_count": 0,
                "ids": [],
                "exceptions": [],
            },
        )
        entry["success"] = entry["success"] and result["success"]
        entry["unexpected_count"] += result["unexpected_count"]
        entry["exceptions"] = [*entry["exceptions"], *(result.get("exceptions") or [])][
            : self.ids_per_expectation
        ]
        ids = result["unexpected_record_ids"]
        entry["ids"] = _merge_capped(
            entry["ids"],
            ((row_key(rows.get(i) or {"record_id": i}), i) for i in ids[: self.ids_per_expectation]),
            self.ids_per_expectation,
        )
        if result["success"]:
            return
        shown = [
            (row_key(rows.get(i) or {"record_id": i}), self.example_of(name, rows.get(i) or {}, i, notes))
            for i in ids[: self.examples_per_expectation]
        ]
        self.examples[name] = _merge_capped(self.examples.get(name, []), shown, self.examples_per_expectation)

    def example_of(
        self, name: str, row: dict[str, Any], record_id: Any, notes: dict[Any, list[str]]
    ) -> dict[str, Any]:
        """One record behind a broken expectation, for the alert (evidence and reason cut short)."""
        evidence = str(row.get("evidence") or "")
        prefix = name + ": "
        why = [n.removeprefix(prefix) for n in notes.get(record_id, []) if n.startswith(prefix)]
        return {
            "record_id": record_id,
            "source_id": row.get("source_id"),
            "metric": row.get("metric"),
            "count": row.get("count"),
            "url": row.get("canonical_url") or row.get("source_url"),
            "evidence": evidence[: self.evidence_chars],
            "why": "; ".join(why)[: self.evidence_chars] or None,
        }

    def _prune_notes(self) -> None:
        shown = {row.get("record_id") for _, row in [*self.failed_rows, *self.flagged_rows]}
        self.notes = {k: v for k, v in self.notes.items() if k in shown}

    # -- what the night's report, summary and alert read ----------------------------------------------
    @property
    def success(self) -> bool:
        """No critical expectation failed."""
        return not any(e["level"] == CRITICAL and not e["success"] for e in self.expectations.values())

    def expectation_results(self) -> list[dict[str, Any]]:
        """Per expectation, in the suite's order: its level, success, count and the first record ids
        (``unexpected_record_ids`` capped; ``unexpected_count`` counts them all)."""
        out = []
        for entry in self.expectations.values():
            result = {
                "name": entry["name"],
                "level": entry["level"],
                "success": entry["success"],
                "unexpected_count": entry["unexpected_count"],
                "unexpected_record_ids": [i for _, i in entry["ids"]],
            }
            if entry["exceptions"]:
                result["exceptions"] = list(entry["exceptions"])
            out.append(result)
        return out

    def summary(self) -> dict[str, Any]:
        """The keys :meth:`ValidationOutcome.summary` gives, for the whole night."""
        return {
            "success": self.success,
            "total": self.total,
            "passed": self.passed,
            "failed": self.failed,
            "flagged": self.flagged,
            "failed_expectations": {
                e["name"]: e["unexpected_count"]
                for e in self.expectations.values()
                if e["level"] == CRITICAL and not e["success"]
            },
            "flags": {
                e["name"]: e["unexpected_count"]
                for e in self.expectations.values()
                if e["level"] == WARNING and not e["success"]
            },
            "source_warnings": [dict(w) for w in self.source_warnings],
            "records_by_source": dict(sorted(self.records_by_source.items())),
        }

    def examples_by_expectation(self) -> dict[str, list[dict[str, Any]]]:
        """A few records per broken record-level expectation, for the alert."""
        return {
            name: [example for _, example in self.examples.get(name, [])]
            for name, entry in self.expectations.items()
            if not entry["success"]
        }

    def gx_result(self, units: Sequence[str] = ()) -> dict[str, Any]:
        """What ``gx_result.json`` holds: the suite's statistics, each expectation's outcome over the
        night, and the keys of the units' own GX results."""
        return {
            "success": self.gx_success,
            "meta": self.gx_meta,
            "statistics": self.gx_statistics,
            "units": self.units,
            "unit_results": list(units),
            "expectations": self.expectation_results(),
        }
