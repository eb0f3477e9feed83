"""``conflict-ingest``: the library's stages from the shell.

conflict-ingest clean   --url URL FILE   one JSON object: title, published_at, text, canonical_url
conflict-ingest extract --url URL FILE   one JSON record per line
conflict-ingest fetch URL                one JSON object: url, final_url, status, bytes, content_type, error
                                         ("refused: ..." when the URL may not be fetched), ok, refused, sha256
conflict-ingest show --day YYYY-MM-DD    the curated records of a day, as a table (reads S3)
conflict-ingest sources check [PATH] [--discover DAY]
                                         every problem of a sources file (exit 1 on errors); with
                                         --discover, each source's URLs for DAY (exit 1 if one failed)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conflict_ingest.errors import ConflictIngestError
from conflict_ingest.settings import DEFAULT_FETCH_MAX_BYTES, DEFAULT_FETCH_TIMEOUT_S, Settings


def _read(path: str) -> bytes:
    from conflict_ingest.inputs import InputError

    try:
        return Path(path).read_bytes()
    except OSError as exc:  # a typo in a path is the caller's input, not a bug: one line, exit 1
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _budget(args: argparse.Namespace) -> dict[str, Any]:
    """``cpu_budget_s`` for clean_html/extract_records when ``--cpu-budget`` was given."""
    return {} if args.cpu_budget is None else {"cpu_budget_s": float(args.cpu_budget)}


def cmd_clean(args: argparse.Namespace) -> int:
    """Print the cleaned page as JSON (with its ``notes``); a page abandoned over its CPU budget
    prints ``{"error": "abandoned: ..."}`` and exits 1."""
    from conflict_ingest.clean.budget import CleaningAbandoned
    from conflict_ingest.clean.cleaner import clean_html

    try:
        page = clean_html(_read(args.file), args.url, **_budget(args))
    except CleaningAbandoned as err:
        print(json.dumps({"error": f"abandoned: {err.reason}", "notes": list(err.notes)}, ensure_ascii=False))
        return 1
    print(json.dumps(page.to_json(), ensure_ascii=False))
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    """Print one JSON record per line; a page abandoned over a CPU budget (cleaning or extraction)
    prints nothing on stdout, says why on stderr and exits 1."""
    from conflict_ingest.clean.budget import CleaningAbandoned
    from conflict_ingest.clean.cleaner import clean_html
    from conflict_ingest.extract.reader import PageBudgetExceeded, extract_records

    try:
        page = clean_html(_read(args.file), args.url, **_budget(args))
        records = extract_records(page, page.canonical_url or args.url, **_budget(args))
    except (CleaningAbandoned, PageBudgetExceeded) as err:
        print(f"conflict-ingest extract: page abandoned: {err}", file=sys.stderr)
        return 1
    for ex in records:
        print(json.dumps(ex.to_json(), ensure_ascii=False))
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch one URL with the pipeline's fetcher; print its result (never the body) as JSON.

    A refused URL (address, scheme, robots.txt, content type, size) has ``"refused": true`` and
    an ``error`` that starts with ``refused:`` and says why. Exits 1 unless the fetch succeeded (an
    empty, truncated or timed-out answer is an error); ``--timeout`` also sets the deadline over the
    whole exchange (3 x the timeout)."""
    import hashlib

    from conflict_ingest.fetch.client import Fetcher

    settings = Settings.from_env()
    fetcher = Fetcher(
        user_agent=settings.user_agent,
        allow_private=settings.allow_private_urls or args.allow_private,
        respect_robots=not args.ignore_robots,
        timeout_s=args.timeout,
        max_bytes=args.max_bytes,
        rate_limit_per_s=None,
    )
    with fetcher:
        result = fetcher.fetch(args.url, etag=args.etag, last_modified=args.last_modified)
    out = result.to_json()
    out["ok"] = result.ok()
    out["refused"] = (result.error or "").startswith("refused:")
    out["sha256"] = hashlib.sha256(result.body).hexdigest() if result.body and result.ok() else None
    print(json.dumps(out, ensure_ascii=False, default=str))
    return 0 if out["ok"] else 1  # an empty, truncated or timed-out answer is an error, never success


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _page_name(url: str | None) -> str:
    tail = (url or "").rstrip("/").rsplit("/", 1)[-1]
    return tail.rsplit(".", 1)[0] if "." in tail else tail


def format_table(rows: list[dict[str, Any]]) -> str:
    """A readable table of records: metric, count, period, actor, location, source, page; then
    the warnings a record carries or the expectations that held it back, in full."""
    columns = [
        ("metric", 16),
        ("count", 7),
        ("qualifier", 11),
        ("period", 22),
        ("actor", 31),
        ("location", 14),
        ("source", 14),
        ("page", 28),
    ]
    lines = ["  ".join(name.ljust(width) for name, width in columns) + "  flags / held back by"]
    lines.append("  ".join("-" * width for _, width in columns) + "  " + "-" * 21)
    order = sorted(rows, key=lambda r: (r.get("source_url") or "", str(r.get("period_start")), r["metric"]))
    for r in order:
        period = f"{r.get('period_start') or '?'}..{r.get('period_end') or '?'}"
        values = [
            r["metric"],
            r["count"],
            r.get("qualifier"),
            period,
            r.get("actor"),
            r.get("location"),
            r.get("source_id"),
            _page_name(r.get("canonical_url") or r.get("source_url")),
        ]
        why = ", ".join([*(r.get("failed_expectations") or []), *(r.get("flags") or [])])
        cells = "  ".join(_cell(v, w).ljust(w) for v, (_, w) in zip(values, columns, strict=True))
        lines.append((cells + "  " + why).rstrip())
    return "\n".join(lines)


def cmd_show(args: argparse.Namespace) -> int:
    """Print the day's committed partitions. Exit 1 when one is damaged (its manifest names a part
    that is missing or differs): that is said plainly, never as a traceback."""
    from conflict_ingest.storage.keys import (
        MANIFEST_NAME,
        curated_partition,
        quarantine_partition,
        reports_day_prefix,
    )
    from conflict_ingest.storage.partitions import DamagedPartition, IncompletePartition, read_committed
    from conflict_ingest.storage.store import ObjectStore, s3_client_from_env

    settings = Settings.from_env()
    day = dt.date.fromisoformat(args.day)
    store = ObjectStore(s3_client_from_env(), args.bucket or settings.bucket)
    status = 0
    for label, prefix in (("curated", curated_partition(day)), ("quarantine", quarantine_partition(day))):
        try:
            manifest, rows = read_committed(store, prefix)
        except DamagedPartition as exc:
            print(f"\n{label}: DAMAGED, not shown: {exc}")
            status = 1
            continue
        except IncompletePartition as exc:
            print(f"\n{label}: {exc}")
            continue
        print(
            f"\n{label}: {len(rows)} record(s) in s3://{store.bucket}/{prefix} (committed by {MANIFEST_NAME})"
        )
        for part in manifest["parts"]:
            print(f"  s3://{store.bucket}/{part['key']}")
        if rows:
            print(format_table(rows))
    reports = sorted(store.list_keys(reports_day_prefix(day)))
    if reports:
        print("\nvalidation reports:")
        for key in reports:
            print(f"  s3://{store.bucket}/{key}")
    return status


def cmd_sources_check(args: argparse.Namespace) -> int:
    """Print every problem of the sources file (PATH, else the configured one), errors and warnings
    apart; exit 1 on an error. With ``--discover DAY``, then run discovery only (the pipeline's fetcher,
    no S3) and print per enabled source how many URLs it found for DAY or why it failed; exit 1 if
    one failed."""
    from conflict_ingest.settings import sources_path_from_env
    from conflict_ingest.sources.check import check_file
    from conflict_ingest.sources.families import fetch_pool

    path = Path(args.path) if args.path else sources_path_from_env()  # only that setting: others may be unset
    report = check_file(path, pools_path=args.pools)
    print(
        f"{path}: {report.sources} source(s), {report.enabled} enabled; "
        f"families {', '.join(report.families) or '-'} (pools {', '.join(map(fetch_pool, report.families)) or '-'} "
        f"in {args.pools})"
    )
    for problem in [*report.errors, *report.warnings]:
        print(f"  {problem}")
    print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")
    if not report.ok:
        return 1
    if args.discover is None:
        return 0
    return _discover(path, dt.date.fromisoformat(args.discover))


def _discover(path: Path, day: dt.date) -> int:
    from conflict_ingest.fetch.client import Fetcher
    from conflict_ingest.sources.check import discover_all
    from conflict_ingest.sources.registry import load_sources

    settings = Settings.from_env()
    sources = load_sources(path)
    print(f"\ndiscovery for {day} (UTC), {len(sources)} enabled source(s), no S3:")
    with Fetcher(user_agent=settings.user_agent, allow_private=settings.allow_private_urls) as fetcher:
        results = discover_all(sources, day, fetcher)
    width = max((len(r.source) for r in results), default=0)
    for r in results:
        outcome = f"{r.found} URL(s)" if r.ok else f"FAILED: {r.error}"
        print(f"  {r.source.ljust(width)}  {r.kind:<8} {outcome}  ({r.seconds:.1f} s)")
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} source(s) read, {failed} failed")
    return 1 if failed else 0


def _day_arg(value: str) -> str:
    """``--day``: a calendar date within the pipeline's bounds (:func:`conflict_ingest.inputs.parse_day`)."""
    from conflict_ingest.inputs import InputError, parse_day

    try:
        return parse_day(value).isoformat()
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    from conflict_ingest.sources.check import DEFAULT_POOLS_PATH

    parser = argparse.ArgumentParser(prog="conflict-ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    for name, func, helptext in (
        ("clean", cmd_clean, "clean one saved page and print title, date, canonical URL and main text"),
        ("extract", cmd_extract, "extract strike-count records from one saved page"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--url", default=None, help="the page's URL (for canonical URL and dates)")
        p.add_argument("file", help="the saved HTML file")
        p.add_argument(
            "--cpu-budget",
            type=float,
            default=None,
            metavar="S",
            help="CPU seconds each stage may spend on the page before abandoning it (default: the pipeline's)",
        )
        p.set_defaults(func=func)

    p = sub.add_parser("fetch", help="fetch one URL with the pipeline's fetcher and print the result")
    p.add_argument("url")
    p.add_argument("--allow-private", action="store_true", help="allow loopback/private addresses")
    p.add_argument("--ignore-robots", action="store_true", help="do not read or honour robots.txt")
    p.add_argument(
        "--timeout", type=float, default=DEFAULT_FETCH_TIMEOUT_S, help="connect/read timeout, seconds"
    )
    p.add_argument("--max-bytes", type=int, default=DEFAULT_FETCH_MAX_BYTES, help="size cap (decompressed)")
    p.add_argument("--etag", default=None, help="send If-None-Match (a 304 means unchanged)")
    p.add_argument("--last-modified", default=None, help="send If-Modified-Since")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("show", help="print a day's curated and quarantined records from S3")
    p.add_argument(
        "--day", required=True, type=_day_arg, help="YYYY-MM-DD, from 1990-01-01 to tomorrow (UTC)"
    )
    p.add_argument("--bucket", default=None)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("sources", help="the sources file: check it, try its discovery")
    sources_sub = p.add_subparsers(dest="sources_command", required=True)
    p = sources_sub.add_parser(
        "check",
        help="report every problem of a sources file; with --discover DAY, each source's URLs for that day",
    )
    p.add_argument(
        "path", nargs="?", default=None, help="the sources file (default: CONFLICT_INGEST_SOURCES)"
    )
    p.add_argument(
        "--discover",
        type=_day_arg,
        default=None,
        metavar="DAY",
        help="then run discovery only (the network, no S3) for DAY, YYYY-MM-DD; exit 1 if a source failed",
    )
    p.add_argument(
        "--pools",
        type=Path,
        default=DEFAULT_POOLS_PATH,
        help="the Airflow pools file the families are checked against (default: include/pools.json)",
    )
    p.set_defaults(func=cmd_sources_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. An error the library raises on purpose (:class:`ConflictIngestError`: a bad
    setting, a refused input, an abandoned page...) is one line on stderr and exit 1; any other
    exception is a bug and surfaces with its traceback."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    try:
        result: int = args.func(args)
    except ConflictIngestError as err:
        print(f"conflict-ingest: {err}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
