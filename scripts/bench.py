"""``make bench``: how fast the pipeline does one night's work, on this machine, side by side with peers.

    python scripts/bench.py                     every figure (a few minutes on 2 cores)
    python scripts/bench.py --only clean,fetch  some of them (clean, dag, fetch)
    python scripts/bench.py --quick             small sizes, to check the bench itself works
    python scripts/bench.py --night-10k         also a 10,000-page night (about 10 more minutes)
    python scripts/bench.py --night 2000        the same with another size

Prints one figure per line as ``name: value``. Ratios are measured side by side in the same run:

``clean_extract_pages_per_s``, ``clean_extract_vs_trafilatura``
    Our whole per-page job (``clean_html`` + ``extract_records``) over the article-body benchmark
    pages, against ``trafilatura.extract`` alone (its defaults) on the same bytes in the same process:
    ratio of throughputs, above 1 means we do our whole job faster than the peer only cleans. One
    warm-up pass each, then 4 passes giving each page to both in turn, the order swapping page by
    page, so drift in the machine's load cancels (``_cpu``: the same ratio in process CPU time).
    ``article_body_f1`` is our cleaned text scored as ``../shared/tools/score_cleaning.py`` does.
``dag_overhead_ratio_1000``
    The nightly DAG (``dag.test()``, tasks in-process) over 1,000 generated pages on a local site and
    moto's S3 server, divided by the same stage functions called in one plain Python loop. Each runs in
    its own process; the ratio is of whole-process wall times (interpreter start to exit: for the DAG
    that includes importing Airflow, parsing the DAG and its metadata-database bookkeeping).
    Loop and DAG take turns, twice each. ``dag_vs_loop_work_s_1000`` times only ``dag.test()`` against
    the loop after its imports; ``dag_vs_loop_cpu_s_1000`` compares the two processes' own CPU time.
``peak_rss_mb_200``, ``peak_rss_mb_1000``, ``memory_growth_1000_vs_200``
    Peak resident memory (``ru_maxrss`` of the finished child, via ``os.wait4``) of the process running
    every task of the DAG, at 200 and 1,000 pages, and their ratio.
``dag_peak_rss_mb_10000``, ``memory_growth_10000_vs_1000``, ``dag_pages_per_s_10000``, ``dag_overhead_ratio_10000``
    Only with ``--night-10k`` (or ``--night N``): the loop and the DAG once each over a 10,000-page
    night, after the runs above. Peak RSS of the DAG's task process at 10,000 pages, its ratio to the
    peak at 1,000, the DAG's pages per second and its whole-process wall time over the loop's.
    ``cpu_ms_per_page_marginal_10000`` is the loop's CPU time between 1,000 and 10,000 pages per page
    (fixed costs such as imports cancel): the per-page CPU that capacity planning scales.
``fetch_vs_politeness_bound``
    Time for :class:`conflict_ingest.fetch.client.Fetcher` to fetch N pages from M loopback hosts
    (127.0.0.2, 127.0.0.3, ...; a thread and a Fetcher per host, as mapped fetch tasks run), each host
    rate-limited,
    divided by the bound the rate limits impose: the busiest host's requests / its rate.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import gzip
import importlib.util
import json
import logging
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
SHARED = ROOT.parent / "shared"
ARTICLE_BODY_DIR = SHARED / "benchmarks" / "article-body"
SCORER = SHARED / "tools" / "score_cleaning.py"
sys.path.insert(0, str(SCRIPTS))

import bench_site  # noqa: E402 - a sibling script, importable once SCRIPTS is on the path

logger = logging.getLogger("bench")

DAY = dt.date(2016, 12, 1)
BATCH_SIZE = 250
SITE_RATE_PER_S = 1000.0  # the generated site's per-host limit in the DAG runs: not what is measured
FETCH_RATE_PER_S = 10.0
FETCH_HOSTS = 4
FETCH_PAGES = 160
#: Share of the fetch benchmark's pages on each host (unequal, so one host is the bottleneck).
FETCH_HOST_WEIGHTS = (4, 3, 2, 1)
TARGETS = {
    "clean_extract_vs_trafilatura": (">=", 1.0),
    "article_body_f1": (">=", 0.96),
    "dag_overhead_ratio_1000": ("<=", 1.5),
    "memory_growth_1000_vs_200": ("<=", 1.2),
    # the 10,000-page night (--night-10k): memory must not grow with the night, the DAG's cost must not
    "memory_growth_10000_vs_1000": ("<=", 1.2),
    "dag_overhead_ratio_10000": ("<=", 1.3),
    "fetch_vs_politeness_bound": ("<=", 1.2),
}
CHILD_TIMEOUT_S = 900
#: The size of ``--night-10k``.
NIGHT_10K = 10_000
#: S3's request price tiers: PUT, COPY, POST, LIST (and CreateBucket) / GET, HEAD and the rest but DELETE.
S3_TIER1_PREFIXES = ("Put", "Copy", "List", "Create", "Complete", "Upload")
S3_TIER2_PREFIXES = ("Get", "Head", "Select")


#: Figures that are counts (printed as integers) or yes/no answers.
COUNT_FIGURES = ("article_body_pages", "fetch_pages", "fetch_hosts", "_records_")
YES_NO_FIGURES = ("dag_and_loop_records_equal",)


def emit(name: str, value: Any) -> None:
    """One figure, ``name: value`` (floats to 3 decimals, counts as integers, yes/no answers)."""
    if name.startswith(YES_NO_FIGURES):
        value = "yes" if value else "no"
    elif isinstance(value, float) and any(part in name for part in COUNT_FIGURES):
        value = int(value)
    if isinstance(value, float):
        value = f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    print(f"{name}: {value}", flush=True)  # noqa: T201 - the bench's output


# --------------------------------------------------------------------------------------------------
# clean + extract against trafilatura
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchPage:
    key: str
    url: str | None
    html: bytes
    gold: str


def load_article_pages(bench_dir: Path = ARTICLE_BODY_DIR, limit: int | None = None) -> list[BenchPage]:
    """The benchmark's pages (decompressed bytes) with their gold article body, in key order."""
    gold = json.loads((bench_dir / "gold.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(gold)[:limit]:
        html = gzip.decompress((bench_dir / "html" / f"{key}.html.gz").read_bytes())
        pages.append(BenchPage(key, gold[key].get("url"), html, gold[key].get("articleBody") or ""))
    return pages


def ours(page: BenchPage) -> str:
    """Our whole per-page job: clean, then extract the records. Returns the cleaned text."""
    from conflict_ingest.clean.cleaner import clean_html
    from conflict_ingest.extract.reader import extract_records

    cleaned = clean_html(page.html, page.url)
    extract_records(cleaned, page.url)
    return cleaned.text


def peer(page: BenchPage) -> str:
    """The peer: ``trafilatura.extract`` with its defaults, main text only."""
    import trafilatura

    return trafilatura.extract(page.html, url=page.url) or ""


def timed_pass(fn: Callable[[BenchPage], str], pages: Sequence[BenchPage]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    texts = [fn(p) for p in pages]
    return time.perf_counter() - started, texts


def _load_scorer() -> ModuleType | None:
    if not SCORER.exists():
        return None
    spec = importlib.util.spec_from_file_location("score_cleaning", SCORER)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def body_f1(golds: Sequence[str], texts: Sequence[str]) -> float:
    """The article-body score of ``score_cleaning.py``: F1 of mean shingle precision and recall."""
    scorer = _load_scorer()
    if scorer is None:
        raise FileNotFoundError(SCORER)
    precs, recs = [], []
    for gold, text in zip(golds, texts, strict=True):
        p, r, has_p, has_r = scorer.page_scores(gold, text)
        if has_p:
            precs.append(p)
        if has_r:
            recs.append(r)
    mean_p = sum(precs) / len(precs) if precs else 0.0
    mean_r = sum(recs) / len(recs) if recs else 0.0
    return 2 * mean_p * mean_r / (mean_p + mean_r) if mean_p + mean_r else 0.0


def measure_clean_extract(
    pages: Sequence[BenchPage],
    *,
    rounds: int = 4,
    ours_fn: Callable[[BenchPage], str] = ours,
    peer_fn: Callable[[BenchPage], str] = peer,
) -> dict[str, float]:
    """Warm both up (one pass each), then ``rounds`` timed passes over ``pages``, the two interleaved.

    Each page is given to both, one right after the other, the order swapping from one page (and
    round) to the next: a change in the machine's load affects both alike, so the ratio holds on a
    shared machine. Wall time and this process's CPU time are both summed per side.
    """
    _, our_texts = timed_pass(ours_fn, pages)
    _, peer_texts = timed_pass(peer_fn, pages)
    wall = {"ours": 0.0, "peer": 0.0}
    cpu = {"ours": 0.0, "peer": 0.0}
    sides = (("ours", ours_fn), ("peer", peer_fn))
    for r in range(rounds):
        for i, page in enumerate(pages):
            for side, fn in sides if (r + i) % 2 == 0 else sides[::-1]:
                w0, c0 = time.perf_counter(), time.process_time()
                fn(page)
                wall[side] += time.perf_counter() - w0
                cpu[side] += time.process_time() - c0
    done = len(pages) * rounds
    golds = [p.gold for p in pages]
    return {
        "clean_extract_pages_per_s": done / wall["ours"],
        "trafilatura_pages_per_s": done / wall["peer"],
        "clean_extract_vs_trafilatura": wall["peer"] / wall["ours"],
        "clean_extract_vs_trafilatura_cpu": cpu["peer"] / cpu["ours"] if cpu["ours"] else 0.0,
        "clean_extract_ms_per_page": 1000 * wall["ours"] / done,
        "trafilatura_ms_per_page": 1000 * wall["peer"] / done,
        "article_body_f1": body_f1(golds, our_texts),
        "trafilatura_article_body_f1": body_f1(golds, peer_texts),
        "article_body_pages": float(len(pages)),
    }


# --------------------------------------------------------------------------------------------------
# fetch against the politeness bound
# --------------------------------------------------------------------------------------------------


def split_pages(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` pages shared out in proportion to ``weights`` (the remainder to the first hosts)."""
    shares = [total * w // sum(weights) for w in weights]
    for i in range(total - sum(shares)):
        shares[i % len(shares)] += 1
    return shares


def politeness_bound_s(pages_per_host: Sequence[int], rate_per_s: float) -> float:
    """The shortest time per-host rate limits allow: the busiest host's pages at its rate."""
    return max(pages_per_host) / rate_per_s


def measure_fetch(
    site_dir: Path,
    paths: Sequence[str],
    *,
    hosts: int = FETCH_HOSTS,
    rate_per_s: float = FETCH_RATE_PER_S,
    weights: Sequence[int] = FETCH_HOST_WEIGHTS,
) -> dict[str, float]:
    """Fetch ``paths`` spread over ``hosts`` loopback addresses, one thread and one Fetcher per host.

    Each host's first request is its robots.txt (under the same rate limit), so a host serving k pages
    answers k+1 requests, the first at once: k / rate seconds is its bound.
    """
    from conflict_ingest.dev.stack import StaticSite
    from conflict_ingest.fetch.client import Fetcher

    shares = split_pages(len(paths), (list(weights) * hosts)[:hosts])
    sites = [StaticSite(directory=site_dir, host=f"127.0.0.{2 + i}").start() for i in range(hosts)]
    try:
        plan: list[list[str]] = []
        start = 0
        for site, share in zip(sites, shares, strict=True):
            plan.append([f"{site.url}/{p}" for p in paths[start : start + share]])
            start += share
        failures: list[str] = []

        def crawl(urls: list[str]) -> None:
            # each mapped fetch task builds its own Fetcher, as the DAG's do
            with Fetcher(allow_private=True, rate_limit_per_s=rate_per_s) as fetcher:
                for url in urls:
                    result = fetcher.fetch(url)
                    if not result.ok() or not result.body:
                        failures.append(f"{url}: {result.error or result.status}")

        threads = [threading.Thread(target=crawl, args=(urls,)) for urls in plan]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        for site in sites:
            site.stop()
    if failures:
        raise RuntimeError(f"{len(failures)} fetches failed, e.g. {failures[0]}")
    bound = politeness_bound_s(shares, rate_per_s)
    return {
        "fetch_pages": float(len(paths)),
        "fetch_hosts": float(hosts),
        "fetch_rate_per_host_per_s": rate_per_s,
        "fetch_wall_s": elapsed,
        "fetch_politeness_bound_s": bound,
        "fetch_vs_politeness_bound": elapsed / bound,
    }


# --------------------------------------------------------------------------------------------------
# the DAG against a plain loop (parent side)
# --------------------------------------------------------------------------------------------------


@dataclass
class ChildRun:
    wall_s: float
    cpu_s: float  # the child's own user + system CPU time (moto and the site run in this process)
    peak_rss_mb: float
    result: dict[str, Any]


def _maxrss_mb(ru_maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def run_child(mode: str, env: dict[str, str], workdir: Path, label: str) -> ChildRun:
    """Run this script in ``--child MODE`` in a fresh process; its wall time and its own peak RSS."""
    out = workdir / f"{label}.json"
    log = workdir / f"{label}.log"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--child-out", str(out)]
    with log.open("wb") as log_file:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not out.exists():
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{label}: child exited with {proc.returncode}; log tail:\n{tail}")
    cpu = usage.ru_utime + usage.ru_stime
    return ChildRun(wall, cpu, _maxrss_mb(usage.ru_maxrss), json.loads(out.read_text()))


def _rounded(seconds: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])}


def _sources_yaml(path: Path, feed_url: str) -> Path:
    path.write_text(
        "sources:\n"
        "  - id: bench-rss\n"
        "    kind: rss\n"
        f"    url: {feed_url}\n"
        "    allow_private: true\n"
        f"    rate_limit_per_s: {SITE_RATE_PER_S:g}\n",
        encoding="utf-8",
    )
    return path


def _child_env(
    base: dict[str, str], *, home: Path, s3_url: str, bucket: str, sources: Path, smtp_port: int = 0
) -> dict[str, str]:
    from conflict_ingest.dev.stack import local_env

    return local_env(
        home,
        base=base,
        drop_proxies=True,
        s3_url=s3_url,
        smtp_port=smtp_port,
        bucket=bucket,
        retry_delay_s=1,
        extra={
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "CONFLICT_INGEST_SOURCES": str(sources),
            "CONFLICT_INGEST_BATCH_SIZE": str(BATCH_SIZE),
            "CONFLICT_INGEST_ALLOW_PRIVATE_URLS": "true",
            "BENCH_DAY": DAY.isoformat(),
        },
    )


def dag_plan(sizes: Sequence[int], night: int | None = None) -> list[tuple[str, int, str]]:
    """The child runs, in order, as (mode, pages, tag); a run's label is ``f"{mode}-{pages}{tag}"``.

    Loop and DAG take turns at the largest of ``sizes``, twice each, so drift in the machine's load
    cancels in their ratio; the DAG runs once at the smallest. A ``night`` (larger than every size)
    adds the loop then the DAG once each at that size, last, so the runs before it are the same
    with or without it.
    """
    small, large = min(sizes), max(sizes)
    plan = [
        ("loop", large, "a"),
        ("dag", large, "a"),
        ("dag", small, ""),
        ("loop", large, "b"),
        ("dag", large, "b"),
    ]
    if night is not None:
        if night <= large:
            raise ValueError(f"the night ({night} pages) must be larger than every size ({large})")
        plan += [("loop", night, ""), ("dag", night, "")]
    return plan


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values)


def dag_figures(runs: dict[str, ChildRun], sizes: Sequence[int]) -> dict[str, float]:
    """The figures of the runs at ``sizes`` (see :func:`dag_plan`), from the children's results."""
    figures: dict[str, float] = {}
    small, large = min(sizes), max(sizes)
    dag_small = runs[f"dag-{small}"]
    pairs = {mode: [runs[f"{mode}-{large}a"], runs[f"{mode}-{large}b"]] for mode in ("loop", "dag")}
    for mode, pair in pairs.items():
        figures[f"{mode}_wall_s_{large}"] = _mean(r.wall_s for r in pair)
        figures[f"{mode}_work_s_{large}"] = _mean(r.result["work_s"] for r in pair)
        figures[f"{mode}_cpu_s_{large}"] = _mean(r.cpu_s for r in pair)
        figures[f"{mode}_records_{large}"] = float(pair[0].result["records"])
        figures[f"{mode}_peak_rss_mb_{large}"] = max(r.peak_rss_mb for r in pair)
    figures[f"dag_tasks_s_{large}"] = _mean(r.result["tasks_s"] for r in pairs["dag"])
    figures[f"dag_rss_before_run_mb_{large}"] = pairs["dag"][0].result["rss_before_run_mb"]
    figures[f"dag_wall_s_{small}"] = dag_small.wall_s
    figures[f"dag_peak_rss_mb_{small}"] = dag_small.peak_rss_mb
    for stage, mb in pairs["loop"][0].result["hwm_mb"].items():
        figures[f"loop_hwm_mb_after_{stage}_{large}"] = mb
    for name in ("wall_s", "work_s", "cpu_s"):
        figures[f"dag_vs_loop_{name}_{large}"] = (
            figures[f"dag_{name}_{large}"] / figures[f"loop_{name}_{large}"]
        )
    figures[f"dag_overhead_ratio_{large}"] = figures[f"dag_vs_loop_wall_s_{large}"]
    figures[f"dag_pages_per_s_{large}"] = large / figures[f"dag_wall_s_{large}"]
    figures[f"loop_pages_per_s_{large}"] = large / figures[f"loop_wall_s_{large}"]
    peak_small, peak_large = dag_small.peak_rss_mb, figures[f"dag_peak_rss_mb_{large}"]
    figures[f"peak_rss_mb_{small}"] = peak_small
    figures[f"peak_rss_mb_{large}"] = peak_large
    figures[f"memory_growth_{large}_vs_{small}"] = peak_large / peak_small
    figures["peak_rss_mb_per_1000_pages"] = 1000 * (peak_large - peak_small) / (large - small)
    # S3 requests of the whole night (loop), per page, in S3's two price tiers (DELETE is free)
    calls = pairs["loop"][0].result["s3_calls"]
    logger.info("S3 requests of the loop at %d pages: %s", large, calls)
    tier1 = sum(n for op, n in calls.items() if op.startswith(S3_TIER1_PREFIXES))
    tier2 = sum(n for op, n in calls.items() if op.startswith(S3_TIER2_PREFIXES))
    figures["s3_put_list_requests_per_page"] = tier1 / large
    figures["s3_get_head_requests_per_page"] = tier2 / large
    figures["dag_and_loop_records_equal"] = float(
        len({r.result["records"] for r in [*pairs["loop"], *pairs["dag"]]}) == 1
    )
    return figures


def night_figures(runs: dict[str, ChildRun], large: int, night: int) -> dict[str, float]:
    """The figures of the ``night``-page runs (one loop, one DAG) against the runs at ``large`` pages.

    ``memory_growth_{night}_vs_{large}`` is the DAG's peak RSS at ``night`` pages over its peak at
    ``large`` (the larger of the two runs there). The marginal figures divide what the
    ``night - large`` extra pages cost by their number, so fixed costs (imports, parsing the DAG,
    its bookkeeping) cancel: what one more page costs a worker.
    """
    loop, dag = runs[f"loop-{night}"], runs[f"dag-{night}"]
    at_large = {mode: [runs[f"{mode}-{large}a"], runs[f"{mode}-{large}b"]] for mode in ("loop", "dag")}
    extra = night - large
    figures: dict[str, float] = {}
    for mode, run in (("loop", loop), ("dag", dag)):
        figures[f"{mode}_wall_s_{night}"] = run.wall_s
        figures[f"{mode}_work_s_{night}"] = run.result["work_s"]
        figures[f"{mode}_cpu_s_{night}"] = run.cpu_s
        figures[f"{mode}_records_{night}"] = float(run.result["records"])
        figures[f"{mode}_peak_rss_mb_{night}"] = run.peak_rss_mb
        figures[f"{mode}_pages_per_s_{night}"] = night / run.wall_s
        large_cpu = _mean(r.cpu_s for r in at_large[mode])
        figures[f"{mode}_cpu_ms_per_page_marginal_{night}"] = 1000 * (run.cpu_s - large_cpu) / extra
    figures[f"dag_tasks_s_{night}"] = dag.result["tasks_s"]
    figures[f"dag_rss_before_run_mb_{night}"] = dag.result["rss_before_run_mb"]
    for stage, mb in loop.result["hwm_mb"].items():
        figures[f"loop_hwm_mb_after_{stage}_{night}"] = mb
    for name in ("wall_s", "work_s", "cpu_s"):
        figures[f"dag_vs_loop_{name}_{night}"] = (
            figures[f"dag_{name}_{night}"] / figures[f"loop_{name}_{night}"]
        )
    figures[f"dag_overhead_ratio_{night}"] = figures[f"dag_vs_loop_wall_s_{night}"]
    peak_large = max(r.peak_rss_mb for r in at_large["dag"])
    figures[f"memory_growth_{night}_vs_{large}"] = dag.peak_rss_mb / peak_large
    figures[f"peak_rss_mb_per_1000_pages_{night}_vs_{large}"] = 1000 * (dag.peak_rss_mb - peak_large) / extra
    figures[f"dag_and_loop_records_equal_{night}"] = float(loop.result["records"] == dag.result["records"])
    return figures


def measure_dag(workdir: Path, sizes: Sequence[int], night: int | None = None) -> dict[str, float]:
    """The DAG at each size and the plain loop at the largest, each run in its own process.

    At the largest size the loop and the DAG run twice each, taking turns; their figures are means
    (peak memory: the larger). The ratios ``dag_vs_loop_*`` are of wall time (interpreter start to
    exit), of work time (``dag.test()`` alone against the loop after its imports) and of the two
    processes' own CPU time (moto and the site run in the parent and are not counted in either).
    With a ``night``, the loop and then the DAG run once each at that many pages, last
    (:func:`night_figures`).
    """
    from conflict_ingest.dev.stack import MailServer, S3Server, StaticSite, running

    plan = dag_plan(sizes, night)
    feeds = sorted({size for _, size, _ in plan})
    site_dir = workdir / "site"
    pages = bench_site.build_site(site_dir, max(feeds), DAY)
    for size in feeds:
        (site_dir / f"feed-{size}.xml").write_text(bench_site.feed_xml(pages[:size], DAY), encoding="utf-8")
    template_home = workdir / "airflow-template"
    template_home.mkdir()
    s3 = S3Server()
    site = StaticSite(directory=site_dir)
    mail = MailServer()  # the DAG's alert task mails the run's outcome
    runs: dict[str, ChildRun] = {}
    with running(s3, site, mail):
        # one migrated metadata database, copied for each DAG run: the curated Asset's URI names the
        # bucket, and each run has its own bucket, so runs must not share a database
        base = _child_env(
            dict(os.environ), home=template_home, s3_url=s3.url, bucket="x", sources=workdir / "x.yaml"
        )
        subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
            check=True,
            capture_output=True,
            env=base,
        )
        for mode, size, tag in plan:
            label = f"{mode}-{size}{tag}"
            home = workdir / f"airflow-{label}"
            home.mkdir()
            shutil.copy2(template_home / "airflow.db", home / "airflow.db")
            sources = _sources_yaml(workdir / f"sources-{size}.yaml", f"{site.url}/feed-{size}.xml")
            env = _child_env(
                dict(os.environ),
                home=home,
                s3_url=s3.url,
                bucket=f"bench-{label}",
                sources=sources,
                smtp_port=mail.port,
            )
            logger.info("running %s", label)
            run = runs[label] = run_child(mode, env, workdir, label)
            logger.info(
                "%s: %.1f s, peak RSS %.0f MB; by task/stage: %s",
                label,
                run.wall_s,
                run.peak_rss_mb,
                _rounded(run.result.get("task_s", {})),
            )
            if "hwm_mb" in run.result:
                logger.info(
                    "%s: memory high-water mark (MB) after each stage: %s", label, run.result["hwm_mb"]
                )
            if run.result.get("pages") != size:
                raise RuntimeError(f"{label}: {run.result.get('pages')} pages went through, expected {size}")
    figures = dag_figures(runs, sizes)
    if night is not None:
        figures.update(night_figures(runs, max(sizes), night))
    return figures


# --------------------------------------------------------------------------------------------------
# the children
# --------------------------------------------------------------------------------------------------


def child_loop() -> dict[str, Any]:
    """The library doing the DAG's work in one plain loop, against the same S3 server and site."""
    from conflict_ingest.fetch.client import Fetcher
    from conflict_ingest.pipeline.clean import clean_stage
    from conflict_ingest.pipeline.context import RunContext
    from conflict_ingest.pipeline.discover import discover_stage
    from conflict_ingest.pipeline.extract import extract_stage
    from conflict_ingest.pipeline.fetch import fetch_stage
    from conflict_ingest.pipeline.gate import gate
    from conflict_ingest.pipeline.land import land_stage
    from conflict_ingest.pipeline.validate import validate_stage
    from conflict_ingest.settings import Settings
    from conflict_ingest.sources.registry import load_sources
    from conflict_ingest.storage.store import ObjectStore, s3_client_from_env

    started = time.perf_counter()
    settings = Settings.from_env()
    store = ObjectStore(s3_client_from_env(), settings.bucket)
    s3_calls: collections.Counter[str] = collections.Counter()
    calls_lock = threading.Lock()

    def count_call(model: Any, **_: Any) -> None:
        with calls_lock:
            s3_calls[model.name] += 1

    store.client.meta.events.register("before-call.s3", count_call)
    store.ensure_bucket()
    run = RunContext(day=dt.date.fromisoformat(os.environ["BENCH_DAY"]), run_id="bench_loop")
    sources = {s.id: s for s in load_sources(settings.sources_path)}
    fetcher = Fetcher(user_agent=settings.user_agent, allow_private=settings.allow_private_urls)
    pages = records = 0
    hwm: dict[str, float] = {"start": _proc_status_mb("VmHWM")}
    stage_s: dict[str, float] = {}

    def timed(stage: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            stage_s[stage] = stage_s.get(stage, 0.0) + time.perf_counter() - t0

    for source in sources.values():
        for batch in timed(
            "discover", discover_stage, store, run, source, fetcher, batch_size=settings.batch_size
        ):
            fetched = timed("fetch", fetch_stage, store, batch, fetcher, source)
            hwm["fetch"] = _proc_status_mb("VmHWM")
            cleaned = timed("clean", clean_stage, store, fetched["key"])
            hwm["clean"] = _proc_status_mb("VmHWM")
            extracted = timed("extract", extract_stage, store, cleaned["key"])
            hwm["extract"] = _proc_status_mb("VmHWM")
            pages += extracted["pages"]
            records += extracted["records"]
    summary = timed("validate", validate_stage, store, run, sorted(sources), dag_id="bench_loop")
    hwm["validate"] = _proc_status_mb("VmHWM")
    timed("land", land_stage, store, run)
    hwm["land"] = _proc_status_mb("VmHWM")
    with contextlib.suppress(Exception):  # the gate fails when records were quarantined; that is data
        gate(summary)
    return {
        "work_s": time.perf_counter() - started,
        "task_s": stage_s,
        "s3_calls": dict(s3_calls),
        "pages": pages,
        "records": records,
        "hwm_mb": hwm,
    }


def child_dag() -> dict[str, Any]:
    """The nightly DAG through ``dag.test()``: the scheduler's run after midnight of ``BENCH_DAY``."""
    import pendulum
    from airflow.dag_processing.dagbag import DagBag

    # the DAG files import their shared adapters as ``common`` (dags/common): Airflow's DAG processor
    # has the DAGs folder on the path, as pytest has (pyproject's ``pythonpath``); a bare DagBag does not
    dags_dir = str(ROOT / "dags")
    if dags_dir not in sys.path:
        sys.path.insert(0, dags_dir)
    bag = DagBag(dag_folder=dags_dir)
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.dags["conflict_news_nightly"]
    after = dt.date.fromisoformat(os.environ["BENCH_DAY"]) + dt.timedelta(days=1)
    rss_before_mb = _proc_status_mb("VmRSS")
    started = time.perf_counter()
    dag_run = dag.test(logical_date=pendulum.datetime(after.year, after.month, after.day, tz="UTC"))
    work_s = time.perf_counter() - started
    states: dict[str, list[str]] = {}
    pages = records = 0
    tasks_s = 0.0
    task_s: dict[str, float] = {}
    for ti in dag_run.get_task_instances():
        states.setdefault(ti.task_id, []).append(str(ti.state))
        if ti.start_date and ti.end_date:
            tasks_s += (ti.end_date - ti.start_date).total_seconds()
            task_s[ti.task_id] = task_s.get(ti.task_id, 0.0) + (ti.end_date - ti.start_date).total_seconds()
    extracted = [k for k in _work_keys() if "/extracted/" in k]
    from conflict_ingest.settings import Settings
    from conflict_ingest.storage.store import ObjectStore, s3_client_from_env

    store = ObjectStore(s3_client_from_env(), Settings.from_env().bucket)
    for key in extracted:
        rows = store.get_jsonl_gz(key)
        records += len(rows)
    for key in (k for k in _work_keys() if "/cleaned/" in k):
        pages += len(store.get_jsonl_gz(key))
    # families with no batches tonight have their lanes skipped; every other task must succeed
    broken = {t: s for t, s in states.items() if t != "gate" and not set(s) <= {"success", "skipped"}}
    if broken:
        raise RuntimeError(f"tasks did not succeed: {broken}")
    return {
        "work_s": work_s,
        "task_s": task_s,
        "pages": pages,
        "records": records,
        "states": states,
        "rss_before_run_mb": rss_before_mb,
        "tasks_s": tasks_s,
    }


def _proc_status_mb(field: str) -> float:
    """A memory line of ``/proc/self/status`` (VmRSS, VmHWM) in MB; 0 where there is no /proc."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _work_keys() -> Iterator[str]:
    from conflict_ingest.settings import Settings
    from conflict_ingest.storage.store import ObjectStore, s3_client_from_env

    yield from ObjectStore(s3_client_from_env(), Settings.from_env().bucket).list_keys("work/")


def run_as_child(mode: str, out: Path) -> int:
    result = child_dag() if mode == "dag" else child_loop()
    result["self_maxrss_mb"] = _maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    out.write_text(json.dumps(result), encoding="utf-8")
    return 0


# --------------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------------


def _machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {mem_gb:.0f} GB, {cpu}, Python {platform.python_version()}"


def check_targets(figures: dict[str, float]) -> dict[str, str]:
    verdicts = {}
    for name, (op, limit) in TARGETS.items():
        if name in figures:
            ok = figures[name] >= limit if op == ">=" else figures[name] <= limit
            verdicts[f"target_{name}"] = f"{'met' if ok else 'MISSED'} ({op} {limit:g})"
    return verdicts


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``make bench`` (``BENCH_ARGS``)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="clean,dag,fetch", help="comma-separated: clean, dag, fetch")
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the bench, not the speed")
    parser.add_argument("--rounds", type=int, default=None, help="timed passes of each cleaner (default 4)")
    parser.add_argument("--sizes", default=None, help="DAG sizes in pages (default 200,1000)")
    night = parser.add_mutually_exclusive_group()
    night.add_argument(
        "--night-10k",
        dest="night",
        action="store_const",
        const=NIGHT_10K,
        help=f"also run the loop and the DAG once over a {NIGHT_10K:,}-page night (about 10 more minutes)",
    )
    night.add_argument(
        "--night", type=int, default=None, help="the same over a night of this many pages (above --sizes)"
    )
    parser.add_argument("--child", choices=["dag", "loop"], help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.child:
        return run_as_child(args.child, args.child_out)

    logger.setLevel(logging.INFO)
    wanted = {w.strip() for w in args.only.split(",") if w.strip()}
    sizes = [int(s) for s in (args.sizes or ("20,100" if args.quick else "200,1000")).split(",")]
    rounds = args.rounds or (1 if args.quick else 4)
    if "dag" in wanted:
        dag_plan(sizes, args.night)  # a night no larger than the sizes is refused before anything runs
    started = time.perf_counter()
    emit("machine", _machine())
    figures: dict[str, float] = {}
    if "clean" in wanted:
        pages = load_article_pages(limit=10 if args.quick else None)
        for name, value in measure_clean_extract(pages, rounds=rounds).items():
            figures[name] = value
            emit(name, value)
    with tempfile.TemporaryDirectory(prefix="conflict-ingest-bench-") as tmp:
        workdir = Path(tmp)
        if "fetch" in wanted:
            fetch_dir = workdir / "fetch-site"
            n = 40 if args.quick else FETCH_PAGES
            paths = [p.path for p in bench_site.build_site(fetch_dir, n, DAY)]
            for name, value in measure_fetch(fetch_dir, paths).items():
                figures[name] = value
                emit(name, value)
        if "dag" in wanted:
            for name, value in measure_dag(workdir, sizes, args.night).items():
                figures[name] = value
                emit(name, value)
    for name, verdict in check_targets(figures).items():
        emit(name, verdict)
    emit("bench_wall_s", time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
