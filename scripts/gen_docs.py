"""Rewrite the parts of the docs that are generated from code: ``.venv/bin/python scripts/gen_docs.py``.

Two parts, each between its own markers:

- the record contract table in README.md and docs/reference/contract.md, between
  ``<!-- contract:start -->`` and ``<!-- contract:end -->``, from :func:`conflict_ingest.contract.markdown_table`;
- the validation expectations table in docs/reference/expectations.md, between
  ``<!-- expectations:start -->`` and ``<!-- expectations:end -->``, from
  :func:`conflict_ingest.validate.suite.markdown_table`;
- the catalogue of real sources (``include/catalogue/sources.yaml``): a short table in README.md between
  ``<!-- sources:start -->`` and ``<!-- sources:end -->`` (id, owner, kind, what it reports) and the full one
  in docs/reference/sources.md between ``<!-- sources-full:start -->`` and ``<!-- sources-full:end -->``
  (with family, rate limit, URL, when and how it was last checked), from :func:`sources_table`.

(The configuration reference has its own script, ``scripts/gen_settings_docs.py``.) Run it after changing
``include/conflict_ingest/contract.py``, the expectations in ``include/conflict_ingest/validate/suite.py`` or
the catalogue; ``tests/unit/test_contract.py``, ``tests/unit/test_expectations_reference.py`` and
``tests/unit/test_catalogue_docs.py`` fail until you do.

    python scripts/gen_docs.py            rewrite README.md, docs/reference/contract.md, expectations.md, sources.md
    python scripts/gen_docs.py --check    exit 1 (and say so) when one is not up to date
    python scripts/gen_docs.py PATH...    rewrite other files holding the markers
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "include"))

from conflict_ingest import contract  # noqa: E402
from conflict_ingest.validate import suite  # noqa: E402

START = "<!-- contract:start -->"
END = "<!-- contract:end -->"
EXPECTATIONS_START = "<!-- expectations:start -->"
EXPECTATIONS_END = "<!-- expectations:end -->"
SOURCES_START = "<!-- sources:start -->"
SOURCES_END = "<!-- sources:end -->"
SOURCES_FULL_START = "<!-- sources-full:start -->"
SOURCES_FULL_END = "<!-- sources-full:end -->"
CATALOGUE = ROOT / "include" / "catalogue" / "sources.yaml"


def _cell(value: Any) -> str:
    """One table cell: text on one line, ``|`` escaped."""
    return " ".join(str(value if value is not None else "").split()).replace("|", "\\|")


def sources_table(path: Path = CATALOGUE, *, full: bool = False) -> str:
    """The sources of a sources file as a Markdown table: id, owner, kind, what it reports; ``full`` adds
    the family, the rate limit, the URL, when and how it was last checked."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    default_rate = (data.get("defaults") or {}).get("rate_limit_per_s", "")
    if full:
        lines = [
            "| id | owner | kind | family | requests/s | URL | what it reports | last checked | how |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
    else:
        lines = ["| id | owner | kind | what it reports |", "|---|---|---|---|"]
    for row in data["sources"]:
        cells = [f"`{row['id']}`", _cell(row.get("owner")), _cell(row.get("kind"))]
        if full:
            cells += [
                f"`{row.get('family', 'default')}`",
                _cell(row.get("rate_limit_per_s", default_rate)),
                f"<{row['url']}>" if row.get("url") else _cell(", ".join(row.get("urls") or [])),
            ]
        cells.append(_cell(row.get("description")))
        if full:
            cells += [_cell(row.get("last_checked")), _cell(row.get("checked_how"))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


#: (what the block is, start marker, end marker, the generated table)
BLOCKS: tuple[tuple[str, str, str, Callable[[], str]], ...] = (
    ("contract table", START, END, contract.markdown_table),
    ("expectations table", EXPECTATIONS_START, EXPECTATIONS_END, suite.markdown_table),
    ("catalogue table", SOURCES_START, SOURCES_END, sources_table),
    (
        "full catalogue table",
        SOURCES_FULL_START,
        SOURCES_FULL_END,
        functools.partial(sources_table, full=True),
    ),
)


def block(table: Callable[[], str] = contract.markdown_table) -> str:
    """What stands between the markers: the generated table, on lines of its own."""
    return "\n" + table()


def replace_between(text: str, start: str, end: str, table: Callable[[], str]) -> str:
    """``text`` with the block between ``start`` and ``end`` regenerated; ValueError when the markers are
    not there exactly once each, in order."""
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"expected one {start} followed by one {end}")
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return head + start + block(table) + end + tail


def replace_block(text: str) -> str:
    """``text`` with the contract block regenerated (see :func:`replace_between`)."""
    return replace_between(text, START, END, contract.markdown_table)


def regenerate(text: str) -> tuple[str, list[str]]:
    """``text`` with every generated block it holds regenerated, and what those blocks are.
    ValueError when it holds none, or a start marker without its end marker."""
    kinds = []
    for kind, start, end, table in BLOCKS:
        if start in text or end in text:
            text = replace_between(text, start, end, table)
            kinds.append(kind)
    if not kinds:
        raise ValueError("expected one of: " + ", ".join(f"{start} ... {end}" for _, start, end, _ in BLOCKS))
    return text, kinds


DEFAULT_PATHS = (
    ROOT / "README.md",
    ROOT / "docs" / "reference" / "contract.md",
    ROOT / "docs" / "reference" / "expectations.md",
    ROOT / "docs" / "reference" / "sources.md",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=list(DEFAULT_PATHS))
    parser.add_argument("--check", action="store_true", help="only say whether the files are up to date")
    args = parser.parse_args(argv)
    status = 0
    for path in args.paths:
        text = path.read_text(encoding="utf-8")
        new, kinds = regenerate(text)
        what = " and ".join(kinds)
        if new == text:
            print(f"{path}: up to date")
        elif args.check:
            print(f"{path}: the {what} is out of date; run .venv/bin/python scripts/gen_docs.py")
            status = 1
        else:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: {what} rewritten")
    return status


if __name__ == "__main__":
    sys.exit(main())
