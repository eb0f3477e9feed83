"""Every stated number, and vague quantities kept honestly (issue 13, items 3 and 4).

Sentences written for these tests; each test reads one phrasing, and most also check a near miss
that must give nothing."""

from __future__ import annotations

import re

import pytest

from conflict_ingest.clean.page import Block
from conflict_ingest.clean.page import CleanedPage as Page
from conflict_ingest.contract import Metric, Qualifier, Victim
from conflict_ingest.extract import lexicon as lx
from conflict_ingest.extract.numbers import find_numbers, find_vague_quantities
from conflict_ingest.extract.reader import (
    SINGLE_VICTIM_RULES,
    coordinated_toll_rule,
    death_of_rule,
    extract_records,
    named_object_rule,
    single_object_rule,
    single_subject_rule,
    titled_name_rule,
)
from conflict_ingest.records import Extraction

# The title gives each one-sentence page the armed-conflict context relevance looks for
# (extract/relevance.py): these tests read the sentence reader, not the page's relevance.
TITLE = "Troops clash with militants"


def extract(*paragraphs: str) -> list[Extraction]:
    return extract_records(Page(TITLE, "2022-09-14", "", None, tuple(Block("p", p) for p in paragraphs)))


def tolls(*paragraphs: str) -> list[tuple[str, int, str]]:
    return [(r.metric, r.count, r.qualifier) for r in extract(*paragraphs)]


# --- one victim, no number -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Marines killed the commander near the river crossing.",
        "The gunship returned fire, killing him.",
        "A civilian was killed when a mortar round hit the market.",
        "The drone strike killed a senior leader of the militia.",
        "Police said one insurgent was killed in the exchange of fire.",
        "The patrol shot dead an attacker at the checkpoint.",
        "Government troops killed rebel commander Tarek Osmani on Sunday.",
        "The raiders opened fire, killing Tarek Osmani.",
        "Tarek Osmani, a veteran field commander, was killed in the ambush.",
        "The army confirmed the death of a local militia leader.",
        "He was ambushed and killed on the road to the airport.",
        "The militia commander, who was shot dead outside his home, had received threats.",
        "The gunman was reportedly killed by a police marksman.",
        "Osmani, the cell's chief of logistics, was killed in the raid.",
        "Osmani, 41, was killed at his home.",
    ],
)
def test_one_victim_stated_without_a_number_is_a_count_of_one(sentence: str) -> None:
    assert tolls(sentence) == [(Metric.KILLED, 1, Qualifier.EXACT)]


@pytest.mark.parametrize(
    "sentence",
    [
        "No civilian was killed in the exchange.",
        "It was not clear whether anyone was killed.",
        "The bill was killed in committee on Tuesday.",
        "The cell leader was responsible for killing a soldier in 2019.",
        "Fighters vowed to kill the commander.",
        "The air strike killed Islamic State fighters near the dam.",  # a bare plural: no count
        "Troops killed insurgents in the valley.",
        "The bombing killed Border Police in the town.",  # a force, not a person
        "He was arrested and killed, the family claimed.",  # a detention and a toll in one: not read
        "Others were killed in the stampede.",  # a plural subject
        "An elderly man died of a heart attack on the flight.",  # "died" tells natural deaths as often
    ],
)
def test_no_single_victim_is_read_from_denials_plans_bare_plurals_or_other_objects(sentence: str) -> None:
    assert [r for r in extract(sentence) if r.metric == Metric.KILLED] == []


def test_a_wounded_single_victim_counts_one_wounded_with_its_class() -> None:
    recs = extract("A shell splinter wounded a child in the courtyard.")
    assert [(r.metric, r.count, r.victim) for r in recs] == [(Metric.WOUNDED, 1, Victim.CIVILIANS)]


def test_a_pronoun_or_definite_victim_after_a_toll_is_one_already_counted() -> None:
    recs = extract(
        "Soldiers killed three gunmen at the gate.", "The last of them ran; troops gave chase, killing him."
    )
    assert [(r.metric, r.count) for r in recs] == [(Metric.KILLED, 3)]
    # the same phrase with no toll before it is the page's toll
    assert tolls("A gunman fired at the gate; troops shot back, killing him.") == [
        (Metric.KILLED, 1, "exact")
    ]


def test_each_single_victim_rule_reads_its_phrase_alone() -> None:
    cases = {
        single_object_rule: "Snipers killed the lieutenant at dawn.",
        titled_name_rule: "The strike killed militia commander Hamid Rasuli.",
        named_object_rule: "Guards fired, killing Hamid Rasuli.",
        single_subject_rule: "The driver was badly injured by the blast.",
        death_of_rule: "Officials announced the death of Rasuli.",
    }
    for rule, sentence in cases.items():
        got = rule(sentence, find_numbers(sentence))
        assert [c.count for c in got] == [1], rule.__name__
    assert list(SINGLE_VICTIM_RULES) == [
        single_object_rule,
        titled_name_rule,
        named_object_rule,
        single_subject_rule,
        death_of_rule,
    ]
    for rule in SINGLE_VICTIM_RULES:
        assert rule.__doc__ and re.search(r"\"[^\"]+\"", rule.__doc__), rule.__name__  # an example phrase


def test_a_single_victim_with_a_number_is_left_to_the_number_rules() -> None:
    sentence = "Medics said one farmer was killed."
    assert single_subject_rule(sentence, find_numbers(sentence)) == []
    assert tolls(sentence) == [(Metric.KILLED, 1, "exact")]


# --- numbers the tables did not read ----------------------------------------------------------------


def test_killing_one_and_wounding_two_gives_one_killed_and_two_wounded() -> None:
    assert tolls("The patrol came under fire, killing one and wounding two before the attackers fled.") == [
        (Metric.KILLED, 1, "exact"),
        (Metric.WOUNDED, 2, "exact"),
    ]


@pytest.mark.parametrize(
    ("sentence", "count", "victim"),
    [
        ("The operation led to the deaths of nine fighters.", 9, Victim.COMBATANTS),
        ("Six of them were killed as they crossed the bridge.", 6, Victim.UNSPECIFIED),
        ("The drone struck the truck, and all five were killed.", 5, Victim.UNSPECIFIED),
        ("A helicopter engaged the group, killing all three.", 3, Victim.UNSPECIFIED),
        ("The raid killed four bombers and their driver.", 4, Victim.COMBATANTS),
        ("Troops killed seven attackers at the gate.", 7, Victim.COMBATANTS),
        ("Two leaders of the cell were killed in the strike.", 2, Victim.COMBATANTS),
        ("Police killed three suspects after a car chase.", 3, Victim.UNSPECIFIED),
        ("Soldiers killed eleven men who had attacked the post.", 11, Victim.UNSPECIFIED),
        ("The ambush killed two facilitators of the network.", 2, Victim.COMBATANTS),
        ("The militia said 14 gunmen were killed.", 14, Victim.COMBATANTS),
    ],
)
def test_numbers_before_nouns_and_phrases_the_tables_missed(sentence: str, count: int, victim: str) -> None:
    recs = extract(sentence)
    assert [(r.metric, r.count, r.victim) for r in recs] == [(Metric.KILLED, count, victim)]


def test_victims_listed_after_a_toll_take_its_metric() -> None:
    recs = extract("Shelling killed two soldiers, four civilians and 3 others in the town.")
    assert [(r.metric, r.count, r.victim) for r in recs] == [
        (Metric.KILLED, 2, Victim.COMBATANTS),
        (Metric.KILLED, 4, Victim.CIVILIANS),
        (Metric.KILLED, 3, Victim.CIVILIANS),  # "others" takes the class of the toll right before it
    ]
    # a verb between the two makes the second its own statement
    assert tolls("Shelling killed two soldiers and 40 homes were damaged.") == [(Metric.KILLED, 2, "exact")]


@pytest.mark.parametrize(
    "sentence",
    [
        "Commandos captured 30 suspects and killed seven.",
        "Commandos captured 30 insurgents and killed seven.",
        "Commandos detained 30 men and seven were killed.",
        "Thirty suspects were detained and seven were killed.",
    ],
)
def test_a_detention_count_is_never_a_killed_count(sentence: str) -> None:
    assert tolls(sentence) == [(Metric.KILLED, 7, "exact")]


def test_detained_two_gives_no_count_even_after_a_toll() -> None:
    assert tolls("The unit killed three gunmen and detained two.") == [(Metric.KILLED, 3, "exact")]
    assert tolls("Forces captured or killed 60 commanders this year.") == []
    assert tolls("Four fighters were killed and one man was detained.") == [(Metric.KILLED, 4, "exact")]


# --- vague quantities --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "words", "count", "metric"),
    [
        ("Several insurgents were killed in the clash.", "Several", 3, Metric.KILLED),
        ("The blast killed a few bystanders and wounded dozens of others.", "a few", 2, Metric.KILLED),
        ("Dozens of villagers were wounded by the shelling.", "Dozens", 24, Metric.WOUNDED),
        ("The artillery killed scores of soldiers.", "scores", 40, Metric.KILLED),
        ("Hundreds of people died in the siege.", "Hundreds", 200, Metric.KILLED),
        ("Helicopters fired on the convoy, killing many of them.", "many", 3, Metric.KILLED),
        ("The strike killed multiple fighters.", "multiple", 2, Metric.KILLED),
        ("A handful of guards were hurt.", "A handful", 2, Metric.WOUNDED),
    ],
)
def test_a_vague_toll_is_a_vague_record_with_its_words_and_a_lower_bound(
    sentence: str, words: str, count: int, metric: str
) -> None:
    rec = extract(sentence)[0]
    assert (rec.metric, rec.count, rec.qualifier, rec.count_text) == (metric, count, Qualifier.VAGUE, words)
    key = " ".join(words.lower().split())
    assert count == lx.VAGUE_QUANTITIES.get(key, lx.VAGUE_QUANTITIES.get(f"{key} of"))  # from the one table


@pytest.mark.parametrize(
    "sentence",
    [
        "Insurgents were killed in the clash.",  # a bare plural is no count
        "Warplanes carried out dozens of strikes overnight.",  # vague words count tolls only
        "As many as 40 people were killed.",  # a hedge, not a vague word (read as "at most 40")
        "It is unclear how many people were killed.",
        "Several of the wounded were flown to the capital.",  # a part of a toll, no toll
        "Police detained several men near the border.",
        "The talks lasted several hours.",
    ],
)
def test_vague_words_that_state_no_toll_give_no_vague_record(sentence: str) -> None:
    assert [r for r in extract(sentence) if r.qualifier == Qualifier.VAGUE] == []


def test_a_vague_lead_that_a_stated_count_details_is_one_toll_not_two() -> None:
    # the lead's "several" and the detail's three are the same dead: summing them counts three twice
    lead = "Several militants were killed in clashes on Monday, the army said."
    detail = "Troops killed three militants near the checkpoint, a spokesman added."
    assert tolls(lead, detail) == [(Metric.KILLED, 3, Qualifier.EXACT)]
    # alone, the lead keeps its vague record
    assert tolls(lead) == [(Metric.KILLED, 3, Qualifier.VAGUE)]


@pytest.mark.parametrize(
    "paragraphs",
    [
        # another victim class
        (
            "Several civilians were killed in the market on Monday.",
            "Two soldiers were killed at the checkpoint on Monday.",
        ),
        # another day
        ("Several militants were killed on Monday.", "On Wednesday troops killed two militants."),
        # words that add to the counts beside them
        (
            "Troops killed two militants on Monday.",
            "Several additional militants were killed later on Monday.",
        ),
        # a part of a group, not its detail
        (
            "Troops killed several militants on Monday.",
            "One of the militants was a commander and was killed first.",
        ),
        # another metric
        ("Several militants were wounded on Monday.", "Troops killed two militants on Monday."),
    ],
)
def test_a_vague_toll_stays_when_no_stated_count_details_it(paragraphs: tuple[str, ...]) -> None:
    assert any(q == Qualifier.VAGUE for _m, _c, q in tolls(*paragraphs))


def test_vague_quantities_found_with_their_words_as_written_and_their_lower_bounds() -> None:
    text = "Tens of thousands of people fled; dozens of them were hurt, and a couple of medics too."
    got = [(m.text, m.value) for m in find_vague_quantities(text)]
    assert got == [("Tens of thousands", 20_000), ("dozens", 24), ("a couple", 2)]
    # "of" followed by "them" stays outside the mention, so the partitive is read after it
    dozens = find_vague_quantities(text)[1]
    assert text[dozens.end :].startswith(" of them")


def test_the_vague_table_is_ordered_by_meaning_and_holds_lower_bounds() -> None:
    v = lx.VAGUE_QUANTITIES
    assert v["a couple of"] <= v["a few"] <= v["several"] <= v["many"]
    assert v["dozens of"] == 2 * 12 and v["scores of"] == 2 * 20 and v["hundreds of"] == 2 * 100
    assert v["thousands of"] == 2 * 1000 and v["tens of thousands of"] == 2 * 10_000
    assert all(value >= 2 for value in v.values())  # every entry is plural: more than one


# --- ranges --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Gunships killed between five and eight attackers.", (Metric.KILLED, 5)),
        ("The shelling killed 20 to 25 villagers.", (Metric.KILLED, 20)),
        ("Bombers flew between 30 and 40 sorties over the ridge.", (Metric.SORTIES, 30)),
        ("Two or three fighters were wounded.", (Metric.WOUNDED, 2)),
    ],
)
def test_a_range_is_at_least_its_lower_number(sentence: str, expected: tuple[str, int]) -> None:
    assert [(r.metric, r.count, r.qualifier) for r in extract(sentence)] == [(*expected, Qualifier.AT_LEAST)]


def test_a_change_or_two_counts_joined_by_and_are_no_range() -> None:
    assert tolls("The death toll climbed from 31 to 36 overnight.") == [(Metric.KILLED, 36, "exact")]
    assert tolls("The mine killed 4 and wounded 9.") == [
        (Metric.KILLED, 4, "exact"),
        (Metric.WOUNDED, 9, "exact"),
    ]


def test_what_became_of_a_part_of_a_toll_is_no_count() -> None:
    assert tolls("Soldiers killed nine gunmen; two of them were cornered in a barn.") == [
        (Metric.KILLED, 9, "exact")
    ]
    assert tolls("Soldiers killed nine gunmen; two of them were detained earlier.") == [
        (Metric.KILLED, 9, "exact")
    ]
    # a toll verb after the part keeps it a (sub-)count
    assert tolls("Soldiers killed nine gunmen; two of them were killed by a drone.") == [
        (Metric.KILLED, 9, "exact"),
        (Metric.KILLED, 2, "exact"),
    ]


# --- victims joined by "and": one toll ------------------------------------------------------------------


def killed(*paragraphs: str) -> list[tuple[int, str, str | None]]:
    return [(r.count, r.qualifier, r.victim) for r in extract(*paragraphs) if r.metric == Metric.KILLED]


@pytest.mark.parametrize(
    ("sentence", "count", "victim"),
    [
        ("Helicopters killed a senior commander and one other fighter near the pass.", 2, Victim.COMBATANTS),
        (
            "The platoon leader and his deputy were killed when their vehicle was ambushed.",
            2,
            Victim.COMBATANTS,
        ),
        ("Police killed the gunman and his accomplice after a long standoff.", 2, Victim.COMBATANTS),
        ("Ground troops killed two militants and a commander in the orchard.", 3, Victim.COMBATANTS),
        ("Two insurgents and a bomb maker's facilitator were killed in the strike.", 3, Victim.COMBATANTS),
        (
            "The drone killed rebel commander Tarek Osmani and his bodyguard on the highway.",
            2,
            Victim.COMBATANTS,
        ),
        ("Tarek Osmani and his brother were both killed when the shell landed.", 2, Victim.UNSPECIFIED),
        ("Gunmen stopped the bus, killing a woman and a child.", 2, Victim.CIVILIANS),
        ("The raid killed both the cell leader and his courier.", 2, Victim.COMBATANTS),
    ],
)
def test_victims_joined_by_and_are_one_toll_of_their_sum(sentence: str, count: int, victim: str) -> None:
    recs = extract(sentence)
    assert [(r.metric, r.count, r.qualifier, r.victim) for r in recs] == [
        (Metric.KILLED, count, Qualifier.EXACT, victim)
    ]
    assert recs[0].evidence == sentence


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # a second verb: detention or wounding is no part of the toll
        (
            "The patrol killed a commander and detained two others near the well.",
            [(1, "exact", Victim.COMBATANTS)],
        ),
        (
            "Marines killed one insurgent and wounded another in the firefight.",
            [(1, "exact", Victim.COMBATANTS)],
        ),
        # two victim classes stay a toll per class
        (
            "The shelling killed four soldiers and two civilians.",
            [(4, "exact", Victim.COMBATANTS), (2, "exact", Victim.CIVILIANS)],
        ),
        # the last phrase is the subject of a new clause
        (
            "Troops killed the commander and his deputy fled across the river.",
            [(1, "exact", Victim.COMBATANTS)],
        ),
        # a hedged number is not summed with an exact one
        ("The blast killed at least three soldiers and a policeman.", [(3, "at_least", Victim.COMBATANTS)]),
        # a denial or a deed blamed on someone is no toll
        ("It is not known whether the commander and his deputy were killed.", []),
        ("He was wanted for killing a soldier and his driver.", []),
        # a group after "his" is not one person
        ("The strike killed a commander and his men.", [(1, "exact", Victim.COMBATANTS)]),
    ],
)
def test_a_list_is_summed_only_when_one_toll_verb_governs_people_of_one_class(
    sentence: str, expected: list[tuple[int, str, str]]
) -> None:
    assert killed(sentence) == expected


def test_a_definite_pair_after_a_toll_of_the_page_is_already_counted() -> None:
    first = "Soldiers killed two gunmen at the checkpoint."
    assert killed(first, "Officials said the gunman and his accomplice were killed near the gate.") == [
        (2, "exact", Victim.COMBATANTS)
    ]
    # the same pair with no toll before it is the page's toll
    assert killed("Officials said the gunman and his accomplice were killed near the gate.") == [
        (2, "exact", Victim.COMBATANTS)
    ]


def test_the_coordinated_toll_rule_reads_its_phrase_alone() -> None:
    s = "The strike killed a local commander and two fighters."
    (c,) = coordinated_toll_rule(s, find_numbers(s))
    assert (c.metric, c.count, c.victim, s[c.start : c.end]) == (
        Metric.KILLED,
        3,
        Victim.COMBATANTS,
        "a local commander and two fighters",
    )
    assert coordinated_toll_rule("The strike killed a local commander.", []) == []


def test_an_ordinal_victim_after_a_larger_toll_is_one_of_those_counted() -> None:
    recs = extract(
        "Troops killed three gunmen at the checkpoint.", "A second gunman was killed after he opened fire."
    )
    assert [(r.metric, r.count) for r in recs] == [(Metric.KILLED, 3)]


def test_an_ordinal_victim_after_a_toll_of_one_is_another_toll() -> None:
    recs = extract("A soldier was killed on Monday.", "A second soldier was killed on Tuesday.")
    assert [(r.metric, r.count) for r in recs if r.metric == Metric.KILLED] == [
        (Metric.KILLED, 1),
        (Metric.KILLED, 1),
    ]


def test_hard_wrapped_lines_of_one_sentence_are_read_as_one() -> None:
    # text pasted from a PDF: one sentence broken over several paragraphs
    recs = extract(
        "A patrol from the border battalion killed a",
        "suspected gunman and detained several others in",
        "Kunar province on Monday.",
    )
    assert [(r.metric, r.count) for r in recs] == [(Metric.KILLED, 1)]
    assert recs[0].evidence.startswith("A patrol from the border battalion killed a suspected gunman")


def test_paragraphs_that_end_their_sentences_stay_apart() -> None:
    recs = extract("Troops killed two gunmen.", "later that day, a third was found dead.")
    assert [r.evidence for r in recs] == ["Troops killed two gunmen."]


def test_a_list_of_stated_numbers_keeps_each_number_as_stated() -> None:
    # rule 20 sums a list only when a phrase has no number of its own ("two militants and a commander")
    assert tolls("Eleven police officers and four soldiers were killed in the ambush on Monday.") == [
        ("killed", 11, Qualifier.EXACT),
        ("killed", 4, Qualifier.EXACT),
    ]
