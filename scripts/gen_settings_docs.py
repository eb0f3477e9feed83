"""Write the configuration reference into docs/reference/configuration.md, generated from
``conflict_ingest.settings``.

    .venv/bin/python scripts/gen_settings_docs.py          rewrite the block in docs/reference/configuration.md
    .venv/bin/python scripts/gen_settings_docs.py --check  exit 1 when it is out of date

The block sits between ``<!-- settings:start -->`` and ``<!-- settings:end -->``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conflict_ingest.settings import markdown_table

README = Path(__file__).resolve().parents[1] / "docs" / "reference" / "configuration.md"
START = "<!-- settings:start -->"
END = "<!-- settings:end -->"


def render(text: str) -> str:
    """``text`` with its settings block replaced by the generated table."""
    head, start, rest = text.partition(START)
    body, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{README.name} has no {START} ... {END} block")
    return f"{head}{START}\n{markdown_table()}{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the page is up to date")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print(f"{README.name} is out of date: run .venv/bin/python scripts/gen_settings_docs.py")
            return 1
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
