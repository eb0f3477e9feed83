"""Rewrite the parts of the docs that are generated from code: ``.venv/bin/python scripts/gen_docs.py``.

Today one part: the record contract table in README.md and docs/reference/contract.md, between
``<!-- contract:start -->`` and ``<!-- contract:end -->``, from :func:`conflict_ingest.contract.markdown_table`
(the configuration reference has its own script, ``scripts/gen_settings_docs.py``). Run it after changing
``include/conflict_ingest/contract.py``; ``tests/unit/test_contract.py`` fails until you do.

    python scripts/gen_docs.py            rewrite README.md and docs/reference/contract.md
    python scripts/gen_docs.py --check    exit 1 (and say so) when one is not up to date
    python scripts/gen_docs.py PATH...    rewrite other files holding the markers
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


DEFAULT_PATHS = (ROOT / "README.md", ROOT / "docs" / "reference" / "contract.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=list(DEFAULT_PATHS))
    parser.add_argument("--check", action="store_true", help="only say whether the files are up to date")
    args = parser.parse_args(argv)
    status = 0
    for path in args.paths:
        text = path.read_text(encoding="utf-8")
        new = replace_block(text)
        if new == text:
            print(f"{path}: up to date")
        elif args.check:
            print(f"{path}: the contract table is out of date; run .venv/bin/python scripts/gen_docs.py")
            status = 1
        else:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: contract table rewritten")
    return status


if __name__ == "__main__":
    sys.exit(main())
