"""Actor and place names read from a sentence."""

from __future__ import annotations

from conflict_ingest.extract.entities import country_of, find_actor, places_in


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


def test_possessive_place_names_the_place_but_a_party_s_view_is_no_place() -> None:
    assert [name for _, name in places_in("jets hit buildings in Mosul's old city")] == ["Mosul"]
    assert [name for _, name in places_in("fighters near Raqqa's eastern gate")] == ["Raqqa"]
    assert places_in("the strikes were justified in Washington's view") == []


def test_objects_of_strikes_are_places() -> None:
    assert [name for _, name in places_in("the air raid on Kharkiv wounded 15")] == ["Kharkiv"]
    assert places_in("strikes on Tuesday hit the depot") == []


def test_reporting_source_is_not_the_actor_unless_nobody_else_is_named() -> None:
    sentence = "Hezbollah fired 60 rockets at northern Israel, the Israeli military said."
    assert find_actor(sentence) == "Hezbollah"
    assert find_actor("Six strikes hit ISIS near Raqqa, the coalition said.") == "US-led coalition"
    assert find_actor("Iran fired 180 missiles at Israel, according to the IDF.") == "Iran"
    assert find_actor("The monitor, a Britain-based group, said jets struck 12 times.") is None


def test_iran_as_the_object_or_sponsor_is_not_the_actor() -> None:
    assert find_actor("U.S. jets struck Iran-backed militias seven times.") == "United States"
    assert find_actor("Two U.S. strikes hit Iranian forces near the border.") == "United States"
    assert find_actor("Iran launched 99 drones on Sunday.") == "Iran"


def test_generic_launch_at_israel_is_palestinian_militants_only_when_nobody_is_named() -> None:
    assert find_actor("About 90 rockets were fired at Israel on Friday.") == "Palestinian militants"
    assert find_actor("Iran fired 180 ballistic missiles at Israel.") == "Iran"


def test_country_of_a_place() -> None:
    assert country_of("northern Iraq") == "Iraq"
    assert country_of("Mosul") is None


def test_a_second_place_after_and_keeps_its_article() -> None:
    assert [p for _, p in places_in("Jets struck targets near Tabqa and Deir ez-Zor on Monday.")] == [
        "Tabqa and Deir ez-Zor"
    ]


def test_a_month_abbreviation_after_a_place_is_not_part_of_it() -> None:
    assert [p for _, p in places_in("A bomb went off in Kandahar City Oct. 4.")] == ["Kandahar"]
