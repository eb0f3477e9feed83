"""Cleaning is linear in the page's size: the pathological pages of issue 11 at 1x and 4x size.

CPU time (``time.thread_time``, garbage collector paused) of the 4x page must stay well under 16x the 1x page (what a pairwise
scan of the blocks gives): under 8x. Sizes are chosen so that the 1x page takes at least a third of a
second, and so that both sizes take the same path (the short-paragraph pages are both over
``TRAFILATURA_MAX_ELEMENTS``; the issue's page had 100k paragraphs, the 4x page here).
The pages are generated here (no big files committed); their text is varied, so nothing repeats.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable

import pytest

from conflict_ingest.clean.cleaner import clean_html

WORDS = [
    "coalition",
    "aircraft",
    "released",
    "weapons",
    "against",
    "targets",
    "near",
    "the",
    "city",
    "officials",
    "said",
    "strikes",
    "continued",
    "through",
    "the",
    "night",
    "while",
    "forces",
    "advanced",
    "into",
    "eastern",
    "districts",
    "under",
    "heavy",
    "fire",
]
MAX_RATIO = 8.0


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def long_paragraphs(n: int) -> str:
    """The 5 MB page of 31k paragraphs (118 s before): article paragraphs of 25 words."""
    rng = random.Random(1)
    body = "".join(f"<p>{_sentence(rng, 25)} Item {i}, district {i % 97}.</p>" for i in range(n))
    return f"<html><head><title>Long page</title></head><body><article><h1>Long page</h1>{body}</article></body></html>"


def short_paragraphs(n: int) -> str:
    """100k short paragraphs (killed at 300 s before): no prose, every block compared with every other."""
    rng = random.Random(2)
    body = "".join(f"<p>{_sentence(rng, 5)} {i}</p>" for i in range(n))
    return f"<html><head><title>Short</title></head><body><div class='content'>{body}</div></body></html>"


def tables(n: int) -> str:
    """Megabytes of data tables of short rows (34 s for 3 MB before: each short row searched the
    whole main text)."""
    rng = random.Random(3)
    out = []
    for t in range(n):
        rows = "".join(f"<tr><td>{t}.{r}</td><td>{rng.randint(1, 99_999)}</td></tr>" for r in range(50))
        out.append(f"<table>{rows}</table>")
    return f"<html><head><title>Tables</title></head><body><main><h1>Tables</h1>{''.join(out)}</main></body></html>"


def _cpu(html: str) -> tuple[float, int]:
    """CPU seconds of the cleaning thread alone, garbage collector paused (other threads of the test
    process and a collection that happens to fall in one run do not count)."""
    gc.collect()
    gc.disable()
    try:
        started = time.thread_time()
        page = clean_html(html, "https://news.example/a")
        return time.thread_time() - started, len(page.blocks)
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("make", "size", "blocks_per_unit"),
    [(long_paragraphs, 2_000, 1), (short_paragraphs, 25_000, 1), (tables, 400, 50)],
    ids=["long-paragraphs", "short-paragraphs", "tables"],
)
def test_cleaning_cpu_grows_linearly_with_the_page(
    make: Callable[[int], str], size: int, blocks_per_unit: int
) -> None:
    small, large = make(size), make(4 * size)
    _cpu(make(size // 10))  # warm up (imports, regex caches)
    t1, n1 = _cpu(small)
    t4, n4 = _cpu(large)
    # every unit of the page is kept (nothing was dropped to go fast)
    assert n1 >= size * blocks_per_unit and n4 >= 4 * size * blocks_per_unit
    assert t4 < MAX_RATIO * t1, f"1x {t1:.2f} s, 4x {t4:.2f} s: ratio {t4 / t1:.1f}"
