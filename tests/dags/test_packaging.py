"""requirements.txt (the Docker image), uv.lock (the dev venv) and the Dockerfile agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _lock_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {p["name"]: p["version"] for p in lock["package"] if "version" in p}


def _requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not pinned with =="
            pins[name.lower()] = version
    return pins


def test_requirements_pins_match_the_lock() -> None:
    lock = _lock_versions()
    for name, version in _requirements().items():
        assert lock.get(name) == version, f"{name}: requirements.txt {version}, uv.lock {lock.get(name)}"


def test_requirements_cover_the_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["airflow"]
    names = {re.split(r"[<>=!~\[ ]", d, maxsplit=1)[0].lower() for d in declared}
    assert names <= set(_requirements()), f"missing from requirements.txt: {names - set(_requirements())}"


def test_dockerfile_uses_the_pinned_airflow_and_python() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    airflow = _requirements()["apache-airflow"]
    assert re.search(rf"^FROM apache/airflow:{re.escape(airflow)}-python3\.11\s*$", dockerfile, re.M)
    assert "-r /opt/airflow/requirements.txt" in dockerfile
