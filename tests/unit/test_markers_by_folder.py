"""A test's kind (unit, dags, integration, e2e) is the folder it lives in, set by tests/conftest.py.

``make test-fast`` deselects with the Makefile's ``-m`` expression; these tests collect the real suite
in a fresh pytest process with that expression and check what it keeps and what it drops.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
FOLDER_KINDS = {"unit", "dags", "integration", "e2e", "quality"}

# Runs in the child pytest: records each collected test's markers, kept or deselected.
_RECORDER = """
import json, sys
import pytest

class Recorder:
    def __init__(self):
        self.kept, self.dropped = {}, {}

    def pytest_deselected(self, items):
        for item in items:
            self.dropped[item.nodeid] = sorted({m.name for m in item.iter_markers()})

    def pytest_collection_finish(self, session):
        for item in session.items:
            self.kept[item.nodeid] = sorted({m.name for m in item.iter_markers()})

recorder = Recorder()
code = pytest.main(sys.argv[2:], plugins=[recorder])
with open(sys.argv[1], "w") as out:
    json.dump({"code": int(code), "kept": recorder.kept, "dropped": recorder.dropped}, out)
"""


def _test_fast_expression() -> str:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^test-fast:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert target, "Makefile has no test-fast target"
    expression = re.search(r'-m "([^"]+)"', target.group(1))
    assert expression, "test-fast selects no markers"
    return expression.group(1)


def _collect(tmp_path: Path, *args: str) -> dict:
    result_file = tmp_path / "collected.json"
    script = tmp_path / "recorder.py"
    script.write_text(_RECORDER, encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            str(script),
            str(result_file),
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result_file.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return {**json.loads(result_file.read_text(encoding="utf-8")), "output": proc.stdout + proc.stderr}


def _folder(nodeid: str) -> str | None:
    parts = Path(nodeid.split("::")[0]).parts  # tests/<folder>/test_x.py or tests/test_x.py
    return parts[1] if len(parts) > 2 else None


def test_each_tests_kind_marker_follows_its_folder_and_test_fast_keeps_unit_dags_quality_and_top_level(
    tmp_path: Path,
) -> None:
    collected = _collect(tmp_path, "-m", _test_fast_expression(), "tests")
    assert collected["code"] == 0, collected["output"][-3000:]
    kept, dropped = collected["kept"], collected["dropped"]
    everything = {**kept, **dropped}
    folders = {_folder(nodeid) for nodeid in everything}
    assert folders >= FOLDER_KINDS, f"the suite should have tests in every folder, found {folders}"

    for nodeid, markers in everything.items():
        folder = _folder(nodeid)
        expected = {folder} if folder in FOLDER_KINDS else set()
        assert FOLDER_KINDS & set(markers) == expected, f"{nodeid} carries {markers}"

    kept_places = {_folder(nodeid) or nodeid.split("::")[0] for nodeid in kept}
    top_level = {str(p.relative_to(ROOT)) for p in TESTS.glob("test_*.py")}
    assert kept_places == {"unit", "dags", "quality"} | top_level
    assert "tests/test_no_secrets.py" in kept_places
    assert {_folder(nodeid) for nodeid in dropped} == {"integration", "e2e"}
    # every test file of unit, dags and quality is kept, none of integration and e2e
    for folder in ("unit", "dags", "quality"):
        files = {str(p.relative_to(ROOT)) for p in (TESTS / folder).glob("test_*.py")}
        assert files == {nodeid.split("::")[0] for nodeid in kept if _folder(nodeid) == folder}


def test_a_test_marked_with_another_folders_kind_is_refused(tmp_path: Path) -> None:
    """A module in tests/unit that says ``integration`` would escape ``make test-fast``'s intent:
    collection stops and names it, instead of the marker silently winning or losing."""
    tree = tmp_path / "tree"
    (tree / "tests" / "unit").mkdir(parents=True)
    shutil.copy(TESTS / "conftest.py", tree / "tests" / "conftest.py")
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    (tree / "tests" / "unit" / "test_misplaced.py").write_text(
        "import pytest\n\npytestmark = pytest.mark.integration\n\n\ndef test_talks_to_a_server():\n    assert True\n",
        encoding="utf-8",
    )
    (tree / "tests" / "unit" / "test_placed.py").write_text(
        "def test_in_process():\n    assert True\n", encoding="utf-8"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "tests/unit/test_misplaced.py::test_talks_to_a_server" in output
    assert "a test's kind is set by its folder" in output
    assert "test_placed" not in output.split("a test's kind is set by its folder")[1]
