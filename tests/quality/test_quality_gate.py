"""The quality gate: every accuracy figure of ``scripts/quality.py`` against its floor in floors.toml.

The figures are measured once per session (the ``measured`` fixture, about 10 s of one core) on
``../shared``: the devset, the ISAF releases, the non-conflict pages and the cleaning benchmarks. A
checkout without ``../shared`` beside it skips these tests and says why. Raising a floor is part of any
change that improves a figure; lowering one needs a sentence in the commit saying why (docs/accuracy.md).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_quality() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quality_script", ROOT / "scripts" / "quality.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


quality = _load_quality()
FLOORS = quality.read_floors()


def _id(floor: Any) -> str:
    return floor.figure + (f"-vs-{floor.bound}" if isinstance(floor.bound, str) else "")


@pytest.fixture(scope="session")
def measured() -> Any:
    if not quality.SHARED.is_dir():
        pytest.skip(
            f"quality gate not measured: no {quality.SHARED} (the shared sets, checked out beside the repository)"
        )
    missing = quality.missing_shared()
    if missing:
        pytest.skip(f"quality gate not measured: {quality.SHARED} lacks {', '.join(missing)}")
    return quality.measure()


@pytest.mark.parametrize("floor", FLOORS, ids=_id)
def test_figure_holds_its_floor(measured: Any, floor: Any) -> None:
    message = floor.check(measured.values)
    assert message is None, message


def test_docs_figures_table_is_this_runs(measured: Any) -> None:
    stale = [str(path.relative_to(ROOT)) for path in quality.stale_docs(measured, FLOORS)]
    assert not stale, (
        f"the figures table of {', '.join(stale)} is not what this run measured (or the floors changed): "
        "run .venv/bin/python scripts/quality.py --write-docs"
    )


def test_the_run_measures_every_figure_it_names(measured: Any) -> None:
    assert set(measured.values) == set(quality.SPEC)


# The gate's own logic, on made-up figures: these run with or without ../shared.


def test_every_figure_but_the_references_has_a_number_for_floor() -> None:
    bounded = {f.figure for f in FLOORS if not isinstance(f.bound, str)}
    ours = {s.key for s in quality.SPECS if not s.reference}
    assert bounded == ours, (
        f"figures without a floor: {sorted(ours - bounded)}; floors of references: {sorted(bounded - ours)}"
    )


def test_publication_date_is_held_to_htmldate_alone() -> None:
    relative = [(f.figure, f.kind, f.bound) for f in FLOORS if isinstance(f.bound, str)]
    assert ("cleaning.publication_date", "min", "cleaning.htmldate_alone") in relative


def test_a_figure_below_its_floor_fails_naming_the_figure_the_floor_and_the_value() -> None:
    floor = quality.Floor("isaf.province", "min", 0.5)
    assert floor.check({"isaf.province": 0.5}) is None
    assert floor.check({"isaf.province": 0.75}) is None
    message = floor.check({"isaf.province": 0.499})
    assert message is not None
    assert "isaf.province" in message and "0.5" in message and "0.499" in message and "below" in message


def test_a_ceiling_fails_above_it_and_holds_below() -> None:
    ceiling = quality.Floor("negatives.spurious_per_100", "max", 8.0)
    assert ceiling.check({"negatives.spurious_per_100": 7.9}) is None
    message = ceiling.check({"negatives.spurious_per_100": 8.1})
    assert message is not None and "above its ceiling 8.0" in message and "8.1" in message


def test_a_relative_rule_compares_two_figures_of_the_same_run() -> None:
    rule = quality.Floor("cleaning.publication_date", "min", "cleaning.htmldate_alone")
    assert rule.check({"cleaning.publication_date": 0.9, "cleaning.htmldate_alone": 0.9}) is None
    message = rule.check({"cleaning.publication_date": 0.86, "cleaning.htmldate_alone": 0.88})
    assert message is not None
    assert "cleaning.htmldate_alone" in message and "0.88" in message and "0.86" in message


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ('"isaf.nothing" = { min = 0.5 }', "no figure"),
        ('"isaf.province" = { max = 0.5 }', "bound it with min"),
        ('"negatives.spurious_per_100" = { min = 1.0 }', "bound it with max"),
        ('"isaf.province" = { min = 0.5, max = 0.9 }', "exactly one of"),
        ('"isaf.province" = { min = "isaf.event_day" }', "go under [relative]"),
        ('[relative]\n"isaf.province" = { min = "isaf.nothing" }', "names a figure"),
    ],
)
def test_the_floors_file_refuses_what_it_cannot_check(tmp_path: Path, line: str, complaint: str) -> None:
    path = tmp_path / "floors.toml"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=complaint.replace("[", r"\[").replace("]", r"\]")):
        quality.read_floors(path)


def test_without_the_shared_sets_the_gate_names_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "devset").mkdir()
    (tmp_path / "devset" / "gold.json").write_text("[]", encoding="utf-8")
    missing = quality.missing_shared(tmp_path)
    assert "tools/score_isaf.py" in missing and "devset/gold.json" not in missing
    with pytest.raises(FileNotFoundError, match="score_extraction.py"):
        quality.measure(tmp_path)


def test_write_docs_rewrites_only_the_block_between_the_markers(tmp_path: Path) -> None:
    measurement = quality.Measurement(values={s.key: 0.5 for s in quality.SPECS})
    text = f"# Accuracy\n\nbefore\n{quality.START}\n| stale |\n{quality.END}\nafter\n"
    floors = [
        quality.Floor("isaf.province", "min", 0.25),
        quality.Floor("negatives.spurious_per_100", "max", 2),
        quality.Floor("cleaning.publication_date", "min", "cleaning.htmldate_alone"),
    ]
    new = quality.replace_block(text, quality.markdown_table(measurement, floors))
    assert new.startswith("# Accuracy\n\nbefore\n" + quality.START + "\n| set |")
    assert new.endswith(quality.END + "\nafter\n") and "| stale |" not in new
    assert "| `../shared/realsets/isaf` | province named by a killed record | 0.500 | >= 0.250 |" in new
    assert "| invented records per 100 non-conflict pages | 0.5 | <= 2.0 |" in new
    assert "| publication date right | 0.500 | >= htmldate alone |" in new
    with pytest.raises(ValueError, match="expected one"):
        quality.replace_block("no markers", "| x |\n")
