"""The README's layout picture matches the tree, and the README's links into docs/ resolve.

The picture is the fenced block under ``## Layout``. Each line names one or more paths (separated by
single spaces), then, after two or more spaces, says what they are. A line indented under a line that
names one folder (``dags/``) names paths inside that folder.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
LIBRARY = ROOT / "include" / "conflict_ingest"
INDENT = 2


def layout_block(text: str) -> list[str]:
    """The lines of the first fenced block after the ``## Layout`` heading."""
    match = re.search(r"^## Layout\n(.*?)^```\n(.*?)^```", text, re.S | re.M)
    if match is None:
        raise AssertionError("README.md has no fenced block under '## Layout'")
    return match.group(2).splitlines()


def named_paths(lines: list[str]) -> list[str]:
    """Every path the picture names, relative to the repository root (folders end with '/')."""
    parents: list[str] = []  # parents[i] is the folder a line indented i levels lives in
    paths: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        assert indent % INDENT == 0, f"indentation of {line!r} is not a multiple of {INDENT}"
        level = indent // INDENT
        assert level <= len(parents), f"{line!r} is indented under no folder"
        del parents[level:]
        names = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0].split()
        prefix = parents[-1] if parents else ""
        paths.extend(prefix + name for name in names)
        if len(names) == 1 and names[0].endswith("/"):
            parents.append(prefix + names[0])
    return paths


def top_level_folders() -> set[str]:
    """The repository's top-level folders: those git tracks, or (without git) those on disk."""
    try:
        listed = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        listed = []
    if listed:
        return {line.split("/", 1)[0] for line in listed if "/" in line}
    ignored = {".git", ".venv", ".tools", ".local", "airflow_home", "build", "dist"}
    return {
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and p.name not in ignored and not p.name.endswith((".egg-info", "_cache"))
    }


def library_members() -> set[str]:
    """Every module (``name.py``) and package (``name/``) of include/conflict_ingest."""
    modules = {p.name for p in LIBRARY.glob("*.py") if p.name != "__init__.py"}
    packages = {p.name + "/" for p in LIBRARY.iterdir() if (p / "__init__.py").is_file()}
    return modules | packages


@pytest.fixture(scope="module")
def picture() -> list[str]:
    return named_paths(layout_block(README.read_text(encoding="utf-8")))


def test_every_path_in_the_readme_layout_picture_exists(picture: list[str]) -> None:
    missing = [p for p in picture if not (ROOT / p).exists() or (p.endswith("/") and not (ROOT / p).is_dir())]
    assert not missing, f"the README's layout picture names paths that do not exist: {missing}"


def test_every_top_level_folder_appears_in_the_readme_layout_picture(picture: list[str]) -> None:
    shown = {p.split("/", 1)[0] for p in picture if "/" in p}
    missing = sorted(top_level_folders() - shown)
    assert not missing, f"top-level folders missing from the README's layout picture: {missing}"


def test_every_library_module_and_package_appears_in_the_readme_layout_picture(picture: list[str]) -> None:
    prefix = "include/conflict_ingest/"
    shown = {p.removeprefix(prefix) for p in picture if p.startswith(prefix) and p != prefix}
    missing = sorted(library_members() - shown)
    assert not missing, (
        f"modules or packages of include/conflict_ingest missing from the layout picture: {missing}"
    )


def test_layout_picture_parser_reads_nesting_and_lists() -> None:
    lines = [
        "dags/  the DAGs",
        "  a.py b.py  two files",
        "top.txt  a file",
        "inc/",
        "  lib/  x",
        "    m.py  y",
    ]
    assert named_paths(lines) == [
        "dags/",
        "dags/a.py",
        "dags/b.py",
        "top.txt",
        "inc/",
        "inc/lib/",
        "inc/lib/m.py",
    ]


def test_readme_links_into_docs_resolve() -> None:
    text = README.read_text(encoding="utf-8")
    targets = {m.split("#", 1)[0] for m in re.findall(r"\]\(([^)\s]+)\)", text)}
    local = sorted(t for t in targets if t and "://" not in t)
    assert any(t.startswith("docs/") for t in local), "the README links to no page of docs/"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_readme_stays_short() -> None:
    text = README.read_text(encoding="utf-8")
    # the catalogue's table is data generated from include/catalogue/sources.yaml (scripts/gen_docs.py):
    # it grows with the catalogue and is not counted
    head, _, rest = text.partition("<!-- sources:start -->")
    _, _, tail = rest.partition("<!-- sources:end -->")
    lines = (head + tail).count("\n")
    assert lines <= 200, (
        f"README.md has {lines} lines; move detail into docs/ (the README says what and how to start)"
    )
