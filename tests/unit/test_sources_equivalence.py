"""Feed and sitemap discovery gives the same URLs and dates as the hand-written parser it replaced.

``tests/fixtures/sources_equivalence.json`` was produced by ``scripts/sources_equivalence.py`` on
main before issue 15 moved feed parsing to feedparser and sitemap parsing to ``sources/sitemaps.py``
(the old parser's output, frozen): the sample site's feed and sitemap over HTTP and every inline
feed and sitemap of ``tests/unit/test_sources.py``, for each day from 2016-11-15 to 2016-12-15 and
one wide window. A change of a URL, a date (as the pipeline writes it) or an error is a failure.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FROZEN = ROOT / "tests" / "fixtures" / "sources_equivalence.json"


def _script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "sources_equivalence", ROOT / "scripts" / "sources_equivalence.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_discovery_matches_the_old_parsers_frozen_output() -> None:
    script = _script()
    frozen = json.loads(FROZEN.read_text(encoding="utf-8"))
    now = script.collect()
    assert script.summary(frozen)["entries"] > 100  # the fixture is the real output, not an empty file
    assert sorted(now) == sorted(frozen)
    for case in frozen:
        assert now[case] == frozen[case], case
