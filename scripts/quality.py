"""``make quality``: the accuracy figures the CI gate holds, measured in one run, in-process.

    python scripts/quality.py                  the table of figures, each with its set and its floor
    python scripts/quality.py --json           the same figures as one JSON object
    python scripts/quality.py --write-docs     rewrite the figures table of docs/accuracy.md
    python scripts/quality.py --check-docs     exit 1 (and say so) when that table is not today's

Every figure is computed as the scorer in ``../shared/tools`` computes it (its own functions are imported
where it has them), on the same pages with the same URLs, but the library is called in-process, once per
page, instead of the console script once per page: ``clean_html(raw, url)`` then
``extract_records(page, page.canonical_url or url)``, which is what ``conflict-ingest extract`` runs. The
benchmark pages are cleaned once and serve the article-body, publication-date and negatives figures.
``htmldate`` alone (``find_date(html, original_date=True, url=url)``: the page and its URL, as the
cleaner gets them) is asked for the same publication-date
pages in the same run, so "never below htmldate alone" is checked on one machine at one time.

The floors live in ``tests/quality/floors.toml``; ``tests/quality/test_quality_gate.py`` fails when a
figure falls below its floor (or rises above its ceiling). See docs/accuracy.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib.util
import json
import logging
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TOOLS = SHARED / "tools"
FLOORS = ROOT / "tests" / "quality" / "floors.toml"
DOC = ROOT / "docs" / "accuracy.md"
#: Files that may hold the generated figures table between the markers (docs/accuracy.md always does).
GENERATED = (DOC, ROOT / "README.md")
START = "<!-- quality:start -->"
END = "<!-- quality:end -->"

#: What the gate reads, relative to ../shared; the gate skips (and says which is missing) without them.
NEEDED = (
    "tools/score_extraction.py",
    "tools/score_isaf.py",
    "tools/score_negatives.py",
    "tools/score_cleaning.py",
    "devset/gold.json",
    "realsets/isaf/gold.json",
    "realsets/negatives.json",
    "benchmarks/article-body/gold.json",
    "benchmarks/publication-date/gold.json",
)

logger = logging.getLogger("quality")


@dataclass(frozen=True)
class Spec:
    """One figure: its key (as in floors.toml), what it is, on which set, from which scorer line."""

    key: str
    label: str
    set: str
    scorer: str
    higher_is_better: bool = True
    digits: int = 3
    target: str = ""
    reference: bool = False  # another tool's figure, measured beside ours; it has no floor of its own


SPECS: tuple[Spec, ...] = (
    Spec(
        "devset.metric_count_f1",
        "metric+count F1",
        "`../shared/devset`",
        "score_extraction.py `metric+count ... F1`",
    ),
    Spec(
        "devset.period_f1",
        "metric+count+period F1",
        "`../shared/devset`",
        "score_extraction.py `+period ... F1`",
    ),
    Spec(
        "devset.full_record_f1",
        "full-record F1",
        "`../shared/devset`",
        "score_extraction.py `full-record F1`",
        target=">= 0.95",
    ),
    Spec(
        "isaf.killed_detection_f1",
        "killed detection F1",
        "`../shared/realsets/isaf`",
        "score_isaf.py `killed detection P / R / F1`",
        target=">= 0.90",
    ),
    Spec(
        "isaf.killed_exact",
        "killed exact, number or singular (sum-distinct)",
        "`../shared/realsets/isaf`",
        "score_isaf.py `killed exact, number or singular`",
        target=">= 0.90",
    ),
    Spec(
        "isaf.event_day",
        "event day (1st killed record's period_start)",
        "`../shared/realsets/isaf`",
        "score_isaf.py `date: 1st killed period_start == start_date`",
        target=">= 0.85",
    ),
    Spec(
        "isaf.province",
        "province named by a killed record",
        "`../shared/realsets/isaf`",
        "score_isaf.py `province named by a killed record's location`",
        target=">= 0.90",
    ),
    Spec(
        "negatives.spurious_per_100",
        "invented records per 100 non-conflict pages",
        "`../shared/realsets/negatives.json`",
        "score_negatives.py `spurious records per 100 non-conflict pages`",
        higher_is_better=False,
        digits=1,
        target="<= 0.5",
    ),
    Spec(
        "cleaning.article_body_f1",
        "article-body F1",
        "`../shared/benchmarks/article-body`",
        "score_cleaning.py body `article-body F1`",
        target=">= 0.96",
    ),
    Spec(
        "cleaning.publication_date",
        "publication date right",
        "`../shared/benchmarks/publication-date`",
        "score_cleaning.py date `publication-date accuracy`",
        target=">= 0.92, >= htmldate alone",
    ),
    Spec(
        "cleaning.htmldate_alone",
        "publication date right, htmldate alone (reference)",
        "`../shared/benchmarks/publication-date`",
        "the same comparison on `htmldate.find_date(html, original_date=True, url=url)`",
        reference=True,
    ),
)
SPEC = {s.key: s for s in SPECS}


@dataclass
class Measurement:
    """The figures of one run, with the counts behind them and how long each part took."""

    values: dict[str, float] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def put(self, key: str, value: float, detail: str = "") -> None:
        self.values[key] = round(value, SPEC[key].digits)  # as the scorer prints it
        if detail:
            self.details[key] = detail


# --------------------------------------------------------------------------------------------------
# The scorers' own code, imported from ../shared/tools.
# --------------------------------------------------------------------------------------------------


def missing_shared(shared: Path = SHARED) -> list[str]:
    """The files the gate needs that ``shared`` lacks (empty: everything is there)."""
    return [name for name in NEEDED if not (shared / name).is_file()]


def load_tool(name: str, tools: Path = TOOLS) -> ModuleType:
    """``../shared/tools/<name>.py`` as a module, leaving no bytecode behind in ../shared."""
    spec = importlib.util.spec_from_file_location(f"shared_{name}", tools / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {tools / name}.py")
    module = importlib.util.module_from_spec(spec)
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = before
    return module


@contextlib.contextmanager
def _timed(m: Measurement, part: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    m.seconds[part] = round(time.perf_counter() - started, 1)


# --------------------------------------------------------------------------------------------------
# The project, in-process, as the console script runs it.
# --------------------------------------------------------------------------------------------------


def _clean(raw: bytes, url: str) -> Any:
    from conflict_ingest.clean import clean_html

    return clean_html(raw, url)


def _extract(page: Any, url: str) -> list[dict[str, Any]]:
    from conflict_ingest.extract import extract_records

    # through JSON, as the scorers read the console script's lines
    return [
        json.loads(json.dumps(r.to_json(), ensure_ascii=False))
        for r in extract_records(page, page.canonical_url or url)
    ]


def _extract_page(raw: bytes, url: str) -> list[dict[str, Any]] | None:
    """``conflict-ingest extract --url URL FILE``'s records; None where it would exit non-zero."""
    try:
        return _extract(_clean(raw, url), url)
    except Exception:  # the console script exits 1: the scorer counts an extractor failure
        logger.exception("extract failed on %s", url)
        return None


# --------------------------------------------------------------------------------------------------
# The sets.
# --------------------------------------------------------------------------------------------------


def measure_devset(m: Measurement, shared: Path = SHARED) -> None:
    """score_extraction.py's three F1 figures; its matching loop, fed in-process records."""
    tool = load_tool("score_extraction", shared / "tools")
    folder = shared / "devset"
    gold = json.loads((folder / "gold.json").read_text())
    c = dict(tp=0, fp=0, fn=0, tp_p=0, tp_full=0, crashed=0)
    for page in gold:
        url = page.get("url") or ""
        preds = _extract_page((folder / page["page"]).read_bytes(), url)
        if preds is None:
            c["crashed"] += 1
            c["fn"] += len(page["records"])
            continue
        left = [r for r in preds if r.get("qualifier") != "vague"]  # the scorer leaves vague records out
        for g in page["records"]:
            hit = next(
                (p for p in left if p.get("metric") == g["metric"] and p.get("count") == g["count"]), None
            )
            if hit is None:
                c["fn"] += 1
                continue
            left.remove(hit)
            c["tp"] += 1
            period_ok = (hit.get("period_start"), hit.get("period_end")) in tool.periods_of(g)
            c["tp_p"] += period_ok
            c["tp_full"] += bool(
                period_ok and hit.get("qualifier") == g["qualifier"] and hit.get("victim") == g.get("victim")
            )
        c["fp"] += len(left)
    counts = f"{len(gold)} pages, {c['tp'] + c['fn']} gold records, {c['tp'] + c['fp']} predicted, {c['crashed']} failures"
    for key, tp in (
        ("devset.metric_count_f1", c["tp"]),
        ("devset.period_f1", c["tp_p"]),
        ("devset.full_record_f1", c["tp_full"]),
    ):
        m.put(key, tool.f1(tp, c["fp"] + c["tp"] - tp, c["fn"] + c["tp"] - tp)[2], counts)


def _ratio(text: str, label: str) -> float:
    """The figure after the first ``=`` (``27/66 = 0.409 | 0.424``) or the last of ``P / R / F1``."""
    head = text.split("(")[0]
    try:
        if "=" in head:
            return float(head.split("=", 1)[1].split("|")[0].split()[0])
        return float(head.split("/")[2].split()[0])
    except (IndexError, ValueError):
        raise ValueError(f"score_isaf.py's line {label!r} reads {text!r}: its format changed") from None


def measure_isaf(m: Measurement, shared: Path = SHARED) -> None:
    """score_isaf.py's ``score()``, with its in-process runner; its printed figures, parsed."""
    tool = load_tool("score_isaf", shared / "tools")
    folder = shared / "realsets" / "isaf"
    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    lines, _, errors = tool.score("project", tool.project_inprocess(), gold, folder, False, 1)
    for key, line in (
        ("isaf.killed_detection_f1", "killed detection P / R / F1"),
        ("isaf.killed_exact", "killed exact, number or singular: sum-distinct | max"),
        ("isaf.event_day", "date: 1st killed period_start == start_date"),
        ("isaf.province", "province named by a killed record's location"),
    ):
        if line not in lines:
            raise ValueError(f"score_isaf.py no longer prints the line {line!r}")
        m.put(key, _ratio(lines[line], line), f"{lines[line].strip()}; {len(errors)} crashes")


@dataclass
class BenchPage:
    """One benchmark page, cleaned once: what ``conflict-ingest clean`` prints and its records."""

    key: str
    url: str
    raw: bytes
    cleaned: dict[str, Any] | None
    records: list[dict[str, Any]] | None


def _bench_pages(folder: Path, name_of: Callable[[str], str]) -> dict[str, BenchPage]:
    gold = json.loads((folder / "gold.json").read_text())
    pages = {}
    for key, g in sorted(gold.items()):
        raw = gzip.decompress((folder / "html" / name_of(key)).read_bytes())
        url = g.get("url") or ""
        cleaned = records = None
        try:
            page = _clean(raw, url)
            cleaned = page.to_json()
            records = _extract(page, url)
        except Exception:  # `clean` exits 1: the cleaning scorer takes an empty answer; negatives a crash
            logger.exception("clean or extract failed on %s", url)
        pages[key] = BenchPage(key, url, raw, cleaned, records)
    return pages


def measure_benchmarks(m: Measurement, shared: Path = SHARED) -> None:
    """score_cleaning.py body and date, score_negatives.py, and htmldate alone, on one cleaning of each page."""
    import htmldate

    cleaning = load_tool("score_cleaning", shared / "tools")
    bench = shared / "benchmarks"
    body = _bench_pages(bench / "article-body", lambda key: f"{key}.html.gz")
    dates = _bench_pages(bench / "publication-date", lambda key: f"{key}.gz")

    body_gold = json.loads((bench / "article-body" / "gold.json").read_text())
    precs, recs = [], []
    for key, page in body.items():
        p, r, has_p, has_r = cleaning.page_scores(
            body_gold[key]["articleBody"], (page.cleaned or {}).get("text") or ""
        )
        if has_p:
            precs.append(p)
        if has_r:
            recs.append(r)
    mean_p = sum(precs) / len(precs) if precs else 0.0
    mean_r = sum(recs) / len(recs) if recs else 0.0
    f1 = 2 * mean_p * mean_r / (mean_p + mean_r) if mean_p + mean_r else 0.0
    failed = sum(page.cleaned is None for page in body.values())
    m.put(
        "cleaning.article_body_f1",
        f1,
        f"{len(body)} pages, {failed} failures, precision {mean_p:.3f}, recall {mean_r:.3f}",
    )

    date_gold = json.loads((bench / "publication-date" / "gold.json").read_text())
    ours = theirs = 0
    for key, page in dates.items():
        got = ((page.cleaned or {}).get("published_at") or "")[:10] or None
        ours += got == date_gold[key]["date"]
        try:
            found = htmldate.find_date(page.raw, original_date=True, url=page.url or None)
        except Exception:  # a crash of the reference is an empty answer, as ours would be
            logger.exception("htmldate failed on %s", page.url)
            found = None
        theirs += ((found or "")[:10] or None) == date_gold[key]["date"]
    failed = sum(page.cleaned is None for page in dates.values())
    m.put("cleaning.publication_date", ours / len(dates), f"{ours}/{len(dates)} pages, {failed} failures")
    m.put("cleaning.htmldate_alone", theirs / len(dates), f"{theirs}/{len(dates)} pages")

    labels = json.loads((shared / "realsets" / "negatives.json").read_text())
    conflict = set(labels["conflict_pages"])
    by_folder = {"article-body": body, "publication-date": dates}
    judged = spurious = crashed = 0
    for folder in labels["folders"]:
        for key, page in by_folder[Path(folder).name].items():
            if page.records is None:
                crashed += 1
            elif key.removesuffix(".html") not in conflict:
                judged += 1
                spurious += len(page.records)
    m.put(
        "negatives.spurious_per_100",
        100 * spurious / max(judged, 1),
        f"{spurious} records on {judged} non-conflict pages, {crashed} crashes",
    )


def measure(shared: Path = SHARED) -> Measurement:
    """Every figure of the gate, in one run (about 10 s of one core)."""
    missing = missing_shared(shared)
    if missing:
        raise FileNotFoundError(f"{shared} lacks {', '.join(missing)}")
    m = Measurement()
    with _timed(m, "devset"):
        measure_devset(m, shared)
    with _timed(m, "isaf"):
        measure_isaf(m, shared)
    with _timed(m, "benchmarks"):
        measure_benchmarks(m, shared)
    return m


# --------------------------------------------------------------------------------------------------
# Floors.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Floor:
    """``figure >= bound`` (kind ``min``) or ``figure <= bound`` (``max``); a bound that is a string
    names another figure of the same run."""

    figure: str
    kind: str
    bound: float | str

    def limit(self, values: dict[str, float]) -> float:
        return values[self.bound] if isinstance(self.bound, str) else float(self.bound)

    def describe(self) -> str:
        sign = ">=" if self.kind == "min" else "<="
        return f"{self.figure} {sign} {self.bound}"

    def check(self, values: dict[str, float]) -> str | None:
        """None when the figure holds; otherwise a message naming the figure, the bound and the value."""
        value, limit = values[self.figure], self.limit(values)
        held = value >= limit if self.kind == "min" else value <= limit
        if held:
            return None
        word = "floor" if self.kind == "min" else "ceiling"
        against = (
            f"{self.bound} (measured {limit} in the same run)" if isinstance(self.bound, str) else f"{limit}"
        )
        spec = SPEC[self.figure]
        return (
            f"{self.figure} ({spec.label}, {spec.set}) measured {value}, "
            f"{'below' if self.kind == 'min' else 'above'} its {word} {against}"
        )


def read_floors(path: Path = FLOORS) -> list[Floor]:
    """The floors file: ``"figure" = { min = X }`` or ``{ max = X }`` per line, and under ``[relative]``
    the same with X naming another figure. ValueError on an unknown figure, a figure bounded the wrong
    way, or a line with neither or both."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    relative = data.pop("relative", {})
    return [_floor(path, figure, rule, False) for figure, rule in data.items()] + [
        _floor(path, figure, rule, True) for figure, rule in relative.items()
    ]


def _floor(path: Path, figure: str, rule: Any, relative: bool) -> Floor:
    where = f"{path.name}: {figure!r}{' (relative)' if relative else ''}"
    if figure not in SPEC:
        raise ValueError(f"{where} is no figure of scripts/quality.py")
    if not isinstance(rule, dict) or len(rule) != 1 or next(iter(rule)) not in ("min", "max"):
        raise ValueError(f"{where} needs exactly one of min = ... or max = ...")
    kind, bound = next(iter(rule.items()))
    if relative and not (isinstance(bound, str) and bound in SPEC):
        raise ValueError(f"{where}: a relative bound names a figure of scripts/quality.py, not {bound!r}")
    if not relative and (isinstance(bound, bool) or not isinstance(bound, int | float)):
        raise ValueError(f"{where}: the bound is a number (figures bounding figures go under [relative])")
    if (kind == "min") != SPEC[figure].higher_is_better:
        better = "higher" if SPEC[figure].higher_is_better else "lower"
        raise ValueError(
            f"{where} is better {better}: bound it with {'min' if better == 'higher' else 'max'}"
        )
    return Floor(figure, kind, bound)


# --------------------------------------------------------------------------------------------------
# Output.
# --------------------------------------------------------------------------------------------------


def _bounds(floors: list[Floor]) -> dict[str, str]:
    """Each figure's bounds as the tables show them: ``>= 0.479``, ``<= 8.0``, ``>= htmldate alone``."""
    out: dict[str, list[str]] = {}
    for f in floors:
        if isinstance(f.bound, str):
            bound = SPEC[f.bound].label.split(", ")[-1].removesuffix(" (reference)")
        else:
            bound = f"{f.bound:.{SPEC[f.figure].digits}f}"
        out.setdefault(f.figure, []).append((">= " if f.kind == "min" else "<= ") + bound)
    return {k: ", ".join(v) for k, v in out.items()}


def _value(spec: Spec, values: dict[str, float]) -> str:
    return f"{values[spec.key]:.{spec.digits}f}" if spec.key in values else "-"


def text_table(m: Measurement, floors: list[Floor]) -> str:
    """The figures as aligned text: figure, value, floor, set, the counts behind it."""
    bounds = _bounds(floors)
    rows = [("figure", "value", "gate", "set", "counts")]
    for s in SPECS:
        status = ""
        for f in floors:
            if f.figure == s.key and s.key in m.values and f.check(m.values):
                status = "  FAILS"
        rows.append(
            (
                s.key,
                _value(s, m.values),
                bounds.get(s.key, "-") + status,
                s.set.strip("`"),
                m.details.get(s.key, ""),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4] for r in rows
    )


def markdown_table(m: Measurement, floors: list[Floor]) -> str:
    """The figures as the Markdown table of docs/accuracy.md (no times or dates: it changes only when a
    figure or a floor does)."""
    bounds = _bounds(floors)
    lines = [
        "| set | figure | measured | gate (floors.toml) | target (issue 13) | scorer's line |",
        "|---|---|---|---|---|---|",
    ]
    for s in SPECS:
        lines.append(
            f"| {s.set} | {s.label} | {_value(s, m.values)} | {bounds.get(s.key, '')} | {s.target} | {s.scorer} |"
        )
    return "\n".join(lines) + "\n"


def replace_block(text: str, table: str) -> str:
    """``text`` with the block between the quality markers replaced by ``table``; ValueError when the
    markers are not there exactly once each, in order."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(f"expected one {START} followed by one {END}")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    return head + START + "\n" + table + END + tail


def stale_docs(m: Measurement, floors: list[Floor], paths: tuple[Path, ...] = GENERATED) -> dict[Path, str]:
    """The files whose figures table is not this run's, with their text as it should be. docs/accuracy.md
    must hold the markers; another file (README.md) is generated only when it holds them."""
    table = markdown_table(m, floors)
    stale = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if path != DOC and START not in text and END not in text:
            continue
        new = replace_block(text, table)
        if new != text:
            stale[path] = new
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    what.add_argument("--write-docs", action="store_true", help=f"rewrite the figures table of {DOC.name}")
    what.add_argument(
        "--check-docs", action="store_true", help=f"exit 1 when {DOC.name}'s table is not today's"
    )
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared folder (default: ../shared)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(name)s: %(message)s")
    floors = read_floors()
    m = measure(args.shared)
    failing = [msg for f in floors if (msg := f.check(m.values))]
    out = sys.stdout
    if args.json:
        bounds = _bounds(floors)
        figures = {
            s.key: {
                "value": m.values[s.key],
                "set": s.set.strip("`"),
                "label": s.label,
                "gate": bounds.get(s.key),
                "counts": m.details.get(s.key, ""),
            }
            for s in SPECS
        }
        out.write(json.dumps({"figures": figures, "failing": failing, "seconds": m.seconds}, indent=2) + "\n")
    elif args.write_docs or args.check_docs:
        stale = stale_docs(m, floors)
        for path, new in stale.items():
            if args.check_docs:
                out.write(
                    f"{path}: the figures table is out of date; run .venv/bin/python scripts/quality.py --write-docs\n"
                )
            else:
                path.write_text(new, encoding="utf-8")
                out.write(f"{path}: figures table rewritten\n")
        if not stale:
            out.write("the figures tables are up to date\n")
        if stale and args.check_docs:
            return 1
    else:
        out.write(text_table(m, floors) + "\n")
        out.write(
            f"\nmeasured in {sum(m.seconds.values()):.0f} s ({', '.join(f'{k} {v} s' for k, v in m.seconds.items())})\n"
        )
        out.write(
            ("gate FAILS:\n  " + "\n  ".join(failing) if failing else "every figure holds its floor") + "\n"
        )
    return 1 if failing and not (args.write_docs or args.check_docs) else 0


if __name__ == "__main__":
    sys.exit(main())
