"""Actor and place names read from a sentence."""

from __future__ import annotations

from conflict_ingest.entities import find_actor, places_in


def test_toll_by_ground_forces_assisted_by_coalition_aircraft_names_both() -> None:
    sentence = (
        "Officials said 300 fighters were killed by Iraqi forces assisted by coalition aircraft near Hawija."
    )
    assert find_actor(sentence) == "Iraqi Army and US-led coalition"


def test_coalition_alone_stays_the_coalition() -> None:
    assert find_actor("The coalition carried out 12 strikes near Hawija.") == "US-led coalition"
    # ground forces named, but not as the agents of a supported action
    assert find_actor("Coalition jets carried out 9 strikes as Iraqi forces advanced.") == "US-led coalition"


def test_city_of_names_the_place() -> None:
    assert [name for _, name in places_in("fighters held the city of Tal Afar until August")] == ["Tal Afar"]
