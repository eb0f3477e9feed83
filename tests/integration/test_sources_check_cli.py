"""``conflict-ingest sources check --discover DAY`` through the installed console script, against the
bundled sample site served on 127.0.0.1: the URLs it reports per source are those the pipeline's own
discovery finds, and a broken source is named with its reason while the others are still read."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from conflict_ingest.dev.stack import StaticSite
from conflict_ingest.fetch.client import Fetcher
from conflict_ingest.sources.registry import discover, load_sources

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "include" / "sources.yaml"
SCRIPT = Path(sys.executable).parent / "conflict-ingest"
DAY = dt.date(2016, 12, 1)


def run_check(*args: str, site: StaticSite) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAMPLE_SITE_URL": site.url}
    return subprocess.run(
        [str(SCRIPT), "sources", "check", *args, "--discover", DAY.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def reported(stdout: str) -> dict[str, str]:
    """Source id -> what the discovery lines say ("<n> URL(s)" or "FAILED: ...")."""
    out = {}
    for line in stdout.split("\ndiscovery for", 1)[1].splitlines()[1:]:
        match = re.match(r"\s+(\S+)\s+\S+\s+(.*?)\s+\(\d+\.\d s\)$", line)
        if match:
            out[match.group(1)] = match.group(2)
    return out


def test_discover_reports_what_the_pipelines_discovery_finds(sample_site: StaticSite) -> None:
    result = run_check(str(BUNDLED), site=sample_site)
    assert result.returncode == 0, result.stdout + result.stderr
    sources = load_sources(BUNDLED, environ={"SAMPLE_SITE_URL": sample_site.url})
    with Fetcher() as fetcher:
        expected = {s.id: len(discover(s, DAY, DAY + dt.timedelta(days=1), fetcher)) for s in sources}
    assert expected and all(expected.values()), "the sample site should have pages for the day"
    assert reported(result.stdout) == {sid: f"{n} URL(s)" for sid, n in expected.items()}
    assert "sample-urls" not in reported(result.stdout)  # disabled: checked, not read
    assert f"{len(expected)} source(s) read, 0 failed" in result.stdout


def test_a_broken_source_is_named_with_its_reason_and_the_others_are_read(
    sample_site: StaticSite, tmp_path: Path
) -> None:
    base = {"family": "sample", "allow_private": True, "rate_limit_per_s": 20, "description": "test"}
    doc = {
        "sources": [
            {**base, "id": "missing-feed", "kind": "rss", "url": "${SAMPLE_SITE_URL}/no-such-feed.xml"},
            {**base, "id": "good-feed", "kind": "rss", "url": "${SAMPLE_SITE_URL}/feed.xml"},
            {**base, "id": "not-a-feed", "kind": "rss", "url": "${SAMPLE_SITE_URL}/index.html"},
        ]
    }
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = run_check(str(path), site=sample_site)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = reported(result.stdout)
    assert lines["missing-feed"].startswith("FAILED:") and "404" in lines["missing-feed"]
    # the parser's words are its own (feed parsing may change hands); the failure names the page
    assert lines["not-a-feed"].startswith("FAILED:") and "/index.html" in lines["not-a-feed"]
    good = load_sources(BUNDLED, environ={"SAMPLE_SITE_URL": sample_site.url})[0]
    with Fetcher() as fetcher:
        expected = len(discover(good, DAY, DAY + dt.timedelta(days=1), fetcher))
    assert lines["good-feed"] == f"{expected} URL(s)"
    assert "1 source(s) read, 2 failed" in result.stdout
