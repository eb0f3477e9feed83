"""The catalogue's tables (README, docs/reference/sources.md) are generated from its YAML and current."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "include" / "catalogue" / "sources.yaml"
DOCS = (ROOT / "README.md", ROOT / "docs" / "reference" / "sources.md")


def _gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_catalogue_tables_are_current() -> None:
    gen_docs = _gen_docs()
    assert gen_docs.main([*map(str, DOCS), "--check"]) == 0, "run .venv/bin/python scripts/gen_docs.py"


def test_every_catalogue_source_is_in_both_tables_with_what_it_reports() -> None:
    rows = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["sources"]
    readme, full = (path.read_text(encoding="utf-8") for path in DOCS)
    for row in rows:
        assert f"| `{row['id']}` | {row['owner']} | {row['kind']} | {row['description']} |" in readme
        line = next(line for line in full.splitlines() if line.startswith(f"| `{row['id']}` |"))
        assert f"<{row['url']}>" in line and str(row["last_checked"]) in line and f"`{row['family']}`" in line


def test_a_stale_table_is_found_and_rewritten_from_the_yaml(tmp_path: Path) -> None:
    gen_docs = _gen_docs()
    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text(
        yaml.safe_dump(
            {
                "defaults": {"rate_limit_per_s": 0.25},
                "sources": [
                    {
                        "id": "pipe-news",
                        "kind": "rss",
                        "url": "https://news.example/feed",
                        "owner": "Pipe | News",
                        "description": "Strikes\nand tolls",
                        "last_checked": "2026-01-02",
                        "checked_how": "its RSS page",
                    }
                ],
            }
        )
    )
    short = gen_docs.sources_table(catalogue)
    full = gen_docs.sources_table(catalogue, full=True)
    assert short.splitlines()[2] == "| `pipe-news` | Pipe \\| News | rss | Strikes and tolls |"
    assert full.splitlines()[2] == (
        "| `pipe-news` | Pipe \\| News | rss | `default` | 0.25 | <https://news.example/feed> | "
        "Strikes and tolls | 2026-01-02 | its RSS page |"
    )
    doc = tmp_path / "README.md"
    start, end = gen_docs.SOURCES_START, gen_docs.SOURCES_END
    doc.write_text(f"# x\n{start}\n| stale |\n{end}\nafter\n")
    assert gen_docs.main([str(doc), "--check"]) == 1
    assert gen_docs.main([str(doc)]) == 0
    text = doc.read_text()
    assert "| stale |" not in text and "`us-war-dept-releases`" in text and text.endswith(f"{end}\nafter\n")
