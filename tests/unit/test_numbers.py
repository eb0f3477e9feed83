"""Numbers as pages write them: separators, words, scales, hedges."""

from __future__ import annotations

import pytest

from conflict_ingest.extract.numbers import find_numbers, parse_digits, qualifier_before, word_value


@pytest.mark.parametrize(
    ("text", "value"),
    [("3,038", 3038), ("3\u00a0038", 3038), ("3 038", 3038), ("12", 12), ("1.2 million", 1_200_000)],
)
def test_digits_with_separators_and_scales_parse_to_integers(text: str, value: int) -> None:
    assert parse_digits(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("nine", 9),
        ("Twenty-one", 21),
        ("twenty one", 21),
        ("a dozen", 12),
        ("two dozen", 24),
        ("Nineteen", 19),
    ],
)
def test_number_words_are_normalised(text: str, value: int) -> None:
    assert word_value(text) == value


def test_vague_quantities_are_not_numbers() -> None:
    assert find_numbers("Dozens of raids and hundreds of rockets; several were seen.") == []


def test_find_numbers_reports_spans_in_order() -> None:
    text = "Jets flew eight sorties and dropped 1,250 bombs."
    found = find_numbers(text)
    assert [n.value for n in found] == [8, 1250]
    assert text[found[1].start : found[1].end] == "1,250"


def test_aircraft_model_numbers_are_not_found_as_counts() -> None:
    assert find_numbers("An F-16 and a B-52 took off.") == []


def test_decimal_without_scale_is_marked_as_fraction() -> None:
    (n,) = find_numbers("Prices rose 19.5 points.")
    assert n.has_fraction


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("killed more than 40", "at_least"),
        ("at least 40", "at_least"),
        ("the count has passed 40", "at_least"),
        ("up to 40", "at_most"),
        ("as many as 40", "at_most"),
        ("about 40", "approximate"),
        ("nearly 40", "approximate"),
        ("some 40", "approximate"),
        ("the minimum estimate was 40", "at_least"),
        ("carried out 40", "exact"),
        ("moreover 40", "exact"),
    ],
)
def test_hedge_right_before_a_number_sets_the_qualifier(text: str, qualifier: str) -> None:
    assert qualifier_before(text, text.index("40"))[0] == qualifier


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("over 40", "at_least"),
        ("a minimum of 40", "at_least"),
        ("a maximum of 40", "at_most"),
        ("almost 40", "approximate"),
        ("around 40", "approximate"),
        ("roughly 40", "approximate"),
        ("approximately 40", "approximate"),
        ("the official figure of 40", "exact"),
    ],
)
def test_every_hedge_of_the_annotation_rules_maps_to_its_qualifier(text: str, qualifier: str) -> None:
    assert qualifier_before(text, text.index("40"))[0] == qualifier


@pytest.mark.parametrize(
    ("text", "value"),
    [("3\u2009038", 3038), ("3\u202f038", 3038), ("2.5 million", 2_500_000), ("twenty-nine", 29)],
)
def test_thin_space_separators_scales_and_hyphenated_words(text: str, value: int) -> None:
    (n,) = find_numbers(f"they counted {text} strikes")
    assert n.value == value
