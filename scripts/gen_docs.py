"""Rewrite the parts of the docs that are generated from code: ``.venv/bin/python scripts/gen_docs.py``.

Today one part: the record contract table in README.md, between ``<!-- contract:start -->`` and
``<!-- contract:end -->``, from :func:`conflict_ingest.contract.markdown_table`. Run it after changing
``include/conflict_ingest/contract.py``; ``tests/unit/test_contract.py`` fails until you do.

    python scripts/gen_docs.py            rewrite README.md
    python scripts/gen_docs.py --check    exit 1 (and say so) when README.md is not up to date
    python scripts/gen_docs.py PATH       rewrite another file holding the markers
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "include"))

from conflict_ingest.contract import markdown_table  # noqa: E402

START = "<!-- contract:start -->"
END = "<!-- contract:end -->"


def block() -> str:
    """What stands between the markers: the generated table, on lines of its own."""
    return "\n" + markdown_table()


def replace_block(text: str) -> str:
    """``text`` with the block between the markers regenerated; ValueError when the markers are not
    there exactly once each, in order."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(f"expected one {START} followed by one {END}")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    return head + START + block() + END + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=ROOT / "README.md")
    parser.add_argument("--check", action="store_true", help="only say whether the file is up to date")
    args = parser.parse_args(argv)
    text = args.path.read_text(encoding="utf-8")
    new = replace_block(text)
    if new == text:
        print(f"{args.path}: up to date")
        return 0
    if args.check:
        print(f"{args.path}: the contract table is out of date; run .venv/bin/python scripts/gen_docs.py")
        return 1
    args.path.write_text(new, encoding="utf-8")
    print(f"{args.path}: contract table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
