"""A generated news site for the benchmark: N article pages, all listed in one RSS feed on one day.

The pages are the bundled sample site's articles (their layouts, chrome and traps) with every
count scaled by a per-page factor and the canonical URL made unique, so each page is a distinct
document (its own content hash, record ids and canonical URL) that the extractor reads as it reads
the originals. Days of the month, times and years are left alone so dates keep their meaning.

    python scripts/bench_site.py DIR [--pages 1000] [--day 2016-12-01]   write the site into DIR

:func:`serve` serves a directory on any loopback address (127.0.0.2, 127.0.0.3, ...), so the fetch
benchmark can stand up several "hosts" on one machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import random
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from conflict_ingest.settings import SAMPLE_SITE_DIR

#: Sample-site articles used as layouts, with the encoding each file is written in.
TEMPLATE_ENCODINGS = {
    "articles/us-coalition-airstrikes-isis-mosul-record-level.html": "utf-8",
    "news/2016/11/20/mosul-eastern-districts-fighting.html": "utf-8",
    "news/2016/12/01/russian-jets-syria-sorties-aleppo.html": "utf-8",
    "news/2016/12/02/coalition-air-raids-sanaa.html": "cp1252",
    "analysis/2016/11/30/coalition-strikes-iraq-syria-nov-29.html": "utf-8",
    "analysis/2016/12/01/raf-tornados-reaper-mosul-update.html": "utf-8",
    "analysis/2016/12/02/afcent-airpower-summary-november.html": "utf-8",
}
#: Numbers below this are left alone (days of the month, hours, small counts written in words).
MIN_SCALED = 32
#: Four-digit numbers in this range are years and are left alone.
YEARS = range(1900, 2101)
#: Per-page scale factors for counts.
SCALE_RANGE = (0.5, 2.0)
ARTICLES_DIR = "articles"
FEED_NAME = "feed.xml"
ROBOTS = "User-agent: *\nDisallow: /search\n"

_TEXT_RE = re.compile(r">([^<]+)<")
_NUMBER_RE = re.compile(r"(?<![\w.,-])(\d{1,3}(?:,\d{3})+|\d+)(?![\w-]|[.,]\d)")
_CANONICAL_RE = re.compile(r'<link rel="canonical" href="([^"]+)"')
_TITLE_RE = re.compile(r"<title>([^<|]+)")


def _scale(number: str, factor: float) -> str:
    value = int(number.replace(",", ""))
    if value < MIN_SCALED or (len(number) == 4 and value in YEARS):
        return number
    scaled = max(MIN_SCALED, round(value * factor))
    return f"{scaled:,}" if "," in number else str(scaled)


def vary_page(html: str, index: int, rng: random.Random) -> str:
    """A distinct copy of a layout: counts in text scaled, canonical URL and title made unique."""
    factor = rng.uniform(*SCALE_RANGE)

    def text_node(match: re.Match[str]) -> str:
        return ">" + _NUMBER_RE.sub(lambda m: _scale(m.group(1), factor), match.group(1)) + "<"

    out = _TEXT_RE.sub(text_node, html)
    canonical = _CANONICAL_RE.search(html)
    if canonical:
        out = out.replace(canonical.group(1), f"{canonical.group(1).rstrip('/')}-{index:05d}")
    return out


@dataclass(frozen=True)
class Page:
    path: str
    title: str


def build_site(directory: Path, pages: int, day: dt.date, *, seed: int = 0) -> list[Page]:
    """Write ``pages`` article pages, ``feed.xml`` (all dated ``day``) and ``robots.txt`` into ``directory``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    templates = [(SAMPLE_SITE_DIR / rel, enc) for rel, enc in TEMPLATE_ENCODINGS.items()]
    sources = [(path.read_bytes().decode(enc), enc, path.stem) for path, enc in templates]
    out_dir = directory / ARTICLES_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Page] = []
    for index in range(pages):
        html, encoding, stem = sources[index % len(sources)]
        rel = f"{ARTICLES_DIR}/{index:05d}-{stem}.html"
        (directory / rel).write_bytes(vary_page(html, index, rng).encode(encoding))
        title = _TITLE_RE.search(html)
        written.append(Page(rel, (title.group(1).strip() if title else stem) + f" ({index})"))
    (directory / "robots.txt").write_text(ROBOTS, encoding="utf-8")
    (directory / FEED_NAME).write_text(feed_xml(written, day), encoding="utf-8")
    return written


def feed_xml(pages: list[Page], day: dt.date) -> str:
    """RSS 2.0 listing every page with a ``pubDate`` spread over ``day`` (UTC)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    step = 86_000 / max(1, len(pages))
    items = []
    for i, page in enumerate(pages):
        when = email.utils.format_datetime(start + dt.timedelta(seconds=int(i * step)))
        items.append(
            f"    <item><title>{escape(page.title)}</title><link>/{page.path}</link>"
            f"<pubDate>{when}</pubDate></item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
        "  <title>Benchmark wire</title><link>/</link><description>generated</description>\n"
        + "".join(items)
        + "</channel></rss>\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2016, 12, 1))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pages = build_site(args.directory, args.pages, args.day, seed=args.seed)
    print(f"{len(pages)} pages and {FEED_NAME} written to {args.directory}")  # noqa: T201 - CLI
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
