"""Rewrite the parts of the docs that are generated from code: ``.venv/bin/python scripts/gen_docs.py``.

Two parts, each between its own markers:

- the record contract table in README.md and docs/reference/contract.md, between
  ``<!-- contract:start -->`` and ``<!-- contract:end -->``, from :func:`conflict_ingest.contract.markdown_table`;
- the validation expectations table in docs/reference/expectations.md, between
  ``<!-- expectations:start -->`` and ``<!-- expectations:end -->``, from
  :func:`conflict_ingest.validate.suite.markdown_table`.

(The configuration reference has its own script, ``scripts/gen_settings_docs.py``.) Run it after changing
``include/conflict_ingest/contract.py`` or the expectations in ``include/conflict_ingest/validate/suite.py``;
``tests/unit/test_contract.py`` and ``tests/unit/test_expectations_reference.py`` fail until you do.

    python scripts/gen_docs.py            rewrite README.md, docs/reference/contract.md and expectations.md
    python scripts/gen_docs.py --check    exit 1 (and say so) when one is not up to date
    python scripts/gen_docs.py PATH...    rewrite other files holding the markers
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "include"))

from conflict_ingest import contract  # noqa: E402
from conflict_ingest.validate import suite  # noqa: E402

START = "<!-- contract:start -->"
END = "<!-- contract:end -->"
EXPECTATIONS_START = "<!-- expectations:start -->"
EXPECTATIONS_END = "<!-- expectations:end -->"

#: (what the block is, start marker, end marker, the generated table)
BLOCKS: tuple[tuple[str, str, str, Callable[[], str]], ...] = (
    ("contract table", START, END, contract.markdown_table),
    ("expectations table", EXPECTATIONS_START, EXPECTATIONS_END, suite.markdown_table),
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
