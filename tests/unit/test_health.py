"""The silent-source check over a week of per-source health, as plain data (S3 in tests/integration)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conflict_ingest.health import WINDOW_NIGHTS, merge_warnings, yield_warnings

TONIGHT = dt.date(2016, 12, 8)
NIGHTS = [TONIGHT - dt.timedelta(days=n) for n in range(WINDOW_NIGHTS, 0, -1)]


def _night(landed: int | None, complete: bool = True) -> dict[str, Any] | None:
    if landed is None:
        return None
    return {"complete": complete, "urls_discovered": 4, "pages_fetched": 4, "records_landed": landed}


def _history(per_night: list[Any]) -> dict[dt.date, dict[str, dict[str, Any]]]:
    history: dict[dt.date, dict[str, dict[str, Any]]] = {}
    for day, value in zip(NIGHTS, per_night, strict=True):
        night = _night(*value) if isinstance(value, tuple) else _night(value)
        history[day] = {"src": night} if night else {}
    return history


def _tonight(**counts: Any) -> dict[str, dict[str, Any]]:
    row = {"complete": True, "urls_discovered": 5, "pages_fetched": 5, "pages_failed": 0}
    row |= {"pages_read_for_counts": 5, "records_extracted": 0} | counts
    return {"src": row}


@pytest.mark.parametrize(
    ("per_night", "tonight", "min_nights", "fires"),
    [
        ([3, 2, 4, 3, 5, 2, 1], {}, 5, True),
        ([3, 2, None, None, 5, 2, 1], {}, 5, True),  # two nights with no run: five of seven still
        ([3, 2, None, None, None, 2, 1], {}, 5, False),
        ([3, 2, 0, 0, 0, 2, 1], {}, 5, False),  # four nights with records
        ([3, 2, (0, False), 4, 5, 2, 1], {}, 6, True),  # an incomplete night counts neither way
        ([3, 2, 4, 3, 5, 2, 1], {"records_extracted": 1}, 5, False),  # fewer, not zero
        ([3, 2, 4, 3, 5, 2, 1], {"complete": False, "records_extracted": None}, 5, False),
        ([None] * 7, {}, 1, False),  # a new source
        ([0] * 7, {}, 0, False),  # at least one night with records, whatever the setting
    ],
)
def test_yield_warning_needs_records_on_enough_of_the_last_nights(
    per_night: list[Any], tonight: dict[str, Any], min_nights: int, fires: bool
) -> None:
    found = yield_warnings(_tonight(**tonight), _history(per_night), min_nights=min_nights)
    assert [w["source_id"] for w in found] == (["src"] if fires else [])


@pytest.mark.parametrize(
    ("tonight", "said"),
    [
        ({"urls_discovered": 0, "pages_fetched": 0, "pages_read_for_counts": 0}, "no URL discovered"),
        (
            {"pages_fetched": 0, "pages_failed": 5, "pages_read_for_counts": 0},
            "5 URL(s) discovered, no page fetched (5 failed)",
        ),
        ({"pages_read_for_counts": 0}, "5 page(s) fetched, none read for counts"),
        ({}, "5 page(s) read for counts, no record extracted"),
    ],
)
def test_the_warning_says_where_the_yield_went_to_zero_and_lists_the_nights(
    tonight: dict[str, Any], said: str
) -> None:
    (warning,) = yield_warnings(_tonight(**tonight), _history([3, None, 4, 3, 5, 2, 1]), min_nights=5)
    assert said in warning["detail"]
    assert [n["day"] for n in warning["nights"]] == [d.isoformat() for d in NIGHTS]
    assert (
        f"{NIGHTS[1].isoformat()} no run" in warning["detail"]
        and f"{NIGHTS[0].isoformat()} 3" in warning["detail"]
    )
    assert (warning["days_with_records"], warning["history_days"]) == (6, 6)


def test_one_warning_per_source_the_history_backed_one_first() -> None:
    old = [{"source_id": "a", "detail": "rate"}, {"source_id": "b", "detail": "rate"}]
    new = [{"source_id": "b", "detail": "week"}, {"source_id": "c", "detail": "week"}]
    assert [(w["source_id"], w["detail"]) for w in merge_warnings(old, new)] == [
        ("a", "rate"),
        ("b", "week"),
        ("c", "week"),
    ]
