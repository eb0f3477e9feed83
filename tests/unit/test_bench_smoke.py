"""Smoke test of ``make bench``'s measuring functions on a handful of pages (not a timed test)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
ARTICLE_BODY = ROOT.parent / "shared" / "benchmarks" / "article-body"
DAY = dt.date(2016, 12, 1)


def _load(name: str) -> ModuleType:
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load("bench")


@pytest.fixture(scope="module")
def bench_site() -> ModuleType:
    return _load("bench_site")


needs_benchmark = pytest.mark.skipif(not ARTICLE_BODY.is_dir(), reason="../shared/benchmarks not present")


@needs_benchmark
def test_clean_extract_measure_on_three_real_pages_gives_consistent_figures(bench: ModuleType) -> None:
    pages = bench.load_article_pages(limit=3)
    assert len(pages) == 3 and all(p.html and p.gold for p in pages)
    figures = bench.measure_clean_extract(pages, rounds=1)
    assert figures["article_body_pages"] == 3
    for name in ("clean_extract_pages_per_s", "trafilatura_pages_per_s", "clean_extract_vs_trafilatura"):
        assert figures[name] > 0, name
    # the ratio is of throughputs: ours over the peer's
    ratio = figures["clean_extract_pages_per_s"] / figures["trafilatura_pages_per_s"]
    assert figures["clean_extract_vs_trafilatura"] == pytest.approx(ratio)
    # both cleaners find most of the article on these pages: the score is of real text, not empty
    assert 0.5 < figures["article_body_f1"] <= 1.0
    assert 0.5 < figures["trafilatura_article_body_f1"] <= 1.0


def test_both_warm_up_then_take_turns_page_by_page_and_every_call_is_counted(bench: ModuleType) -> None:
    calls: list[tuple[str, str]] = []
    pages = [bench.BenchPage(key=k, url=None, html=b"<p>x</p>", gold="x") for k in ("a", "b")]

    def fake(label: str):
        def run(p: object) -> str:
            calls.append((label, p.key))  # type: ignore[attr-defined]
            return "x"

        return run

    figures = bench.measure_clean_extract(pages, rounds=2, ours_fn=fake("o"), peer_fn=fake("p"))
    warm_up = [("o", "a"), ("o", "b"), ("p", "a"), ("p", "b")]
    # round 0: page a ours first, page b peer first; round 1 the other way round
    timed = [("o", "a"), ("p", "a"), ("p", "b"), ("o", "b"), ("p", "a"), ("o", "a"), ("o", "b"), ("p", "b")]
    assert calls == warm_up + timed
    assert figures["article_body_f1"] == pytest.approx(1.0)
    assert figures["clean_extract_pages_per_s"] > 0 and figures["trafilatura_pages_per_s"] > 0


@needs_benchmark
def test_body_f1_is_the_shared_scorers_shingle_f1(bench: ModuleType) -> None:
    text = "one two three four five six seven eight"
    assert bench.body_f1([text], [text]) == pytest.approx(1.0)
    assert bench.body_f1([text], ["nothing in common here at all"]) == 0.0
    # 11 words make 8 four-word shingles; the first 7 words are 4 of them, nothing extra:
    # precision 1, recall 0.5 -> F1 2/3
    gold = "one two three four five six seven eight nine ten eleven"
    assert bench.body_f1([gold], ["one two three four five six seven"]) == pytest.approx(2 * 0.5 / 1.5)


def test_pages_are_shared_out_by_weight_and_the_bound_is_the_busiest_host(bench: ModuleType) -> None:
    assert bench.split_pages(160, (4, 3, 2, 1)) == [64, 48, 32, 16]
    shares = bench.split_pages(11, (1, 1, 1))
    assert sum(shares) == 11 and max(shares) - min(shares) <= 1
    assert bench.politeness_bound_s([64, 48, 32, 16], 10.0) == pytest.approx(6.4)


def test_generated_site_has_distinct_pages_all_in_one_days_feed(
    bench_site: ModuleType, tmp_path: Path
) -> None:
    pages = bench_site.build_site(tmp_path, 9, DAY)
    assert len(pages) == 9
    bodies = [(tmp_path / p.path).read_bytes() for p in pages]
    assert len({hashlib.sha256(b).hexdigest() for b in bodies}) == 9
    canonicals = {re.search(rb'rel="canonical" href="([^"]+)"', b).group(1) for b in bodies}  # type: ignore[union-attr]
    assert len(canonicals) == 9
    feed = (tmp_path / "feed.xml").read_text()
    assert feed.count("<item>") == 9
    assert all(f"<link>/{p.path}</link>" in feed for p in pages)
    assert feed.count("01 Dec 2016") == 9
    assert (tmp_path / "robots.txt").is_file()


def test_varying_a_page_scales_counts_but_keeps_years_days_and_markup(bench_site: ModuleType) -> None:
    import random

    html = (
        '<link rel="canonical" href="https://x.example/a"><p class="c-1200">'
        "Jets flew 48 sorties and released 2,709 weapons on 29 November 2016, killing 5.</p>"
    )
    out = bench_site.vary_page(html, 7, random.Random(1))
    text = re.search(r"<p[^>]*>(.*)</p>", out).group(1)  # type: ignore[union-attr]
    assert 'class="c-1200"' in out  # attributes untouched
    assert "https://x.example/a-00007" in out
    assert "29 November 2016" in text and "killing 5." in text
    sorties = int(re.search(r"flew (\d+) sorties", text).group(1))  # type: ignore[union-attr]
    weapons = re.search(r"released ([\d,]+) weapons", text).group(1)  # type: ignore[union-attr]
    assert sorties != 48 and 24 <= sorties <= 96
    assert "," in weapons and weapons != "2,709"


# --------------------------------------------------------------------------------------------------
# the optional night (--night-10k): its plan and figures, at tiny sizes (20 and 40 pages for 1,000 and
# 10,000); the runs themselves take minutes and are `make bench`'s, not a test's
# --------------------------------------------------------------------------------------------------


def _run(bench: ModuleType, *, wall: float, cpu: float, peak: float, records: int, work: float) -> object:
    result = {
        "work_s": work,
        "records": records,
        "tasks_s": work / 2,
        "rss_before_run_mb": 100.0,
        "hwm_mb": {"extract": peak / 2, "validate": peak},
        "s3_calls": {"PutObject": 30, "GetObject": 31, "ListObjectsV2": 2, "DeleteObject": 5},
    }
    return bench.ChildRun(wall_s=wall, cpu_s=cpu, peak_rss_mb=peak, result=result)


def test_the_night_runs_last_loop_then_dag_once_and_leaves_the_other_runs_as_they_were(
    bench: ModuleType,
) -> None:
    base = bench.dag_plan([10, 20])
    labels = [f"{mode}-{size}{tag}" for mode, size, tag in base]
    assert labels == ["loop-20a", "dag-20a", "dag-10", "loop-20b", "dag-20b"]
    with_night = bench.dag_plan([10, 20], 40)
    assert with_night[: len(base)] == base
    assert with_night[len(base) :] == [("loop", 40, ""), ("dag", 40, "")]
    for too_small in (20, 15):
        with pytest.raises(ValueError, match="must be larger"):
            bench.dag_plan([10, 20], too_small)


def test_night_10k_is_off_by_default_and_a_night_too_small_is_refused_before_anything_runs(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = bench.build_parser()
    assert parser.parse_args([]).night is None
    assert parser.parse_args(["--night-10k"]).night == bench.NIGHT_10K == 10_000
    assert parser.parse_args(["--night", "40", "--sizes", "10,20"]).night == 40
    with pytest.raises(SystemExit):  # one night or the other
        parser.parse_args(["--night-10k", "--night", "40"])
    capsys.readouterr()
    with pytest.raises(ValueError, match="must be larger"):
        bench.main(["--only", "dag", "--sizes", "10,20", "--night", "20"])
    assert capsys.readouterr().out == ""  # refused before the first figure


def test_night_figures_compare_the_night_with_the_larger_size(bench: ModuleType) -> None:
    runs = {
        "loop-20a": _run(bench, wall=10.0, cpu=8.0, peak=300.0, records=120, work=6.0),
        "loop-20b": _run(bench, wall=12.0, cpu=10.0, peak=310.0, records=120, work=7.0),
        "dag-20a": _run(bench, wall=14.0, cpu=12.0, peak=500.0, records=120, work=9.0),
        "dag-20b": _run(bench, wall=16.0, cpu=14.0, peak=520.0, records=120, work=10.0),
        "dag-10": _run(bench, wall=9.0, cpu=7.0, peak=480.0, records=60, work=5.0),
        "loop-40": _run(bench, wall=20.0, cpu=17.0, peak=330.0, records=240, work=15.0),
        "dag-40": _run(bench, wall=25.0, cpu=22.0, peak=572.0, records=240, work=19.0),
    }
    figures = bench.night_figures(runs, 20, 40)
    # peak RSS of the DAG's task process at 40 over the larger of its two peaks at 20
    assert figures["dag_peak_rss_mb_40"] == 572.0
    assert figures["memory_growth_40_vs_20"] == pytest.approx(572.0 / 520.0)
    assert figures["peak_rss_mb_per_1000_pages_40_vs_20"] == pytest.approx(1000 * (572.0 - 520.0) / 20)
    assert figures["dag_pages_per_s_40"] == pytest.approx(40 / 25.0)
    assert figures["loop_pages_per_s_40"] == pytest.approx(40 / 20.0)
    assert figures["dag_overhead_ratio_40"] == pytest.approx(25.0 / 20.0)
    assert figures["dag_vs_loop_cpu_s_40"] == pytest.approx(22.0 / 17.0)
    assert figures["dag_vs_loop_work_s_40"] == pytest.approx(19.0 / 15.0)
    # the 20 extra pages' CPU, per page, against the mean of the two runs at 20
    assert figures["loop_cpu_ms_per_page_marginal_40"] == pytest.approx(1000 * (17.0 - 9.0) / 20)
    assert figures["dag_cpu_ms_per_page_marginal_40"] == pytest.approx(1000 * (22.0 - 13.0) / 20)
    assert figures["loop_hwm_mb_after_validate_40"] == 330.0
    assert figures["dag_and_loop_records_equal_40"] == 1.0
    runs["dag-40"].result["records"] = 239  # type: ignore[attr-defined]
    assert bench.night_figures(runs, 20, 40)["dag_and_loop_records_equal_40"] == 0.0
    # the figures of the smaller sizes are those of a run without the night
    base = bench.dag_figures(runs, [10, 20])
    assert base["memory_growth_20_vs_10"] == pytest.approx(520.0 / 480.0)
    assert base["dag_overhead_ratio_20"] == pytest.approx(15.0 / 11.0)
    assert not set(base) & set(figures)


def test_the_10k_night_has_targets_beside_the_others(bench: ModuleType) -> None:
    verdicts = bench.check_targets(
        {"memory_growth_10000_vs_1000": 1.25, "dag_overhead_ratio_10000": 1.3, "dag_overhead_ratio_1000": 1.6}
    )
    assert verdicts["target_memory_growth_10000_vs_1000"] == "MISSED (<= 1.2)"
    assert verdicts["target_dag_overhead_ratio_10000"] == "met (<= 1.3)"
    assert verdicts["target_dag_overhead_ratio_1000"] == "MISSED (<= 1.5)"
    # without the night (the default), no verdict about it
    assert "target_memory_growth_10000_vs_1000" not in bench.check_targets({"memory_growth_1000_vs_200": 1.1})
