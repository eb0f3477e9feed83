"""Text -> strike-count records, one phenomenon per test (sentences written for the tests)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from conflict_ingest.contract import Metric
from conflict_ingest.extract.reader import _SentenceReader, _State, extract_records, split_sentences
from conflict_ingest.records import Extraction

D = dt.date


@dataclass(frozen=True)
class Block:
    kind: str
    text: str
    timestamp: str | None = None


@dataclass(frozen=True)
class Page:
    title: str
    published_at: str | None
    text: str
    canonical_url: str | None
    blocks: tuple[Block, ...]


def extract(published: str | None, *blocks: str | Block) -> list[Extraction]:
    bl = tuple(b if isinstance(b, Block) else Block("p", b) for b in blocks)
    return extract_records(Page("title", published, "", None, bl))


def brief(recs: list[Extraction]) -> list[tuple[str, int]]:
    return [(r.metric, r.count) for r in recs]


def test_noun_after_a_number_sets_the_metric() -> None:
    recs = extract(
        "2020-03-18",
        "Jets carried out 14 airstrikes, flew 30 sorties in 45 engagements and dropped 120 bombs on Tuesday.",
    )
    assert brief(recs) == [("strikes", 14), ("sorties", 30), ("engagements", 45), ("weapons_released", 120)]
    assert all(r.period_start == D(2020, 3, 17) for r in recs)


def test_number_words_and_a_dozen_are_counts_but_vague_words_are_not() -> None:
    recs = extract(
        "2020-03-18",
        "Warplanes conducted nineteen air raids and fired a dozen missiles; dozens of strikes followed.",
    )
    assert brief(recs) == [("strikes", 19), ("weapons_released", 12)]


def test_separators_and_scaled_numbers() -> None:
    recs = extract(
        "2020-03-18", "The air force has dropped 3\u00a0410 bombs and flown 1.2 million sorties since 2015."
    )
    assert brief(recs) == [("weapons_released", 3410), ("sorties", 1_200_000)]


def test_elliptical_second_count_inherits_metric_and_its_own_month() -> None:
    recs = extract(None, "The alliance released 4,100 munitions in March and 3,900 in April 2019.")
    assert [(r.count, r.period_start, r.period_end) for r in recs] == [
        (4100, D(2019, 3, 1), D(2019, 3, 31)),
        (3900, D(2019, 4, 1), D(2019, 4, 30)),
    ]


def test_sub_counts_by_place_inherit_the_event_period_and_take_their_place() -> None:
    recs = extract(
        "2020-03-18",
        "Allied aircraft conducted seven strikes on Monday and Tuesday.",
        "Three of the strikes hit near Hama; four more, near Idlib, destroyed a depot.",
    )
    assert brief(recs) == [("strikes", 7), ("strikes", 3), ("strikes", 4)]
    assert {(r.period_start, r.period_end) for r in recs} == {(D(2020, 3, 16), D(2020, 3, 17))}
    assert [r.location for r in recs[1:]] == ["Hama", "Idlib"]


def test_count_split_across_clauses() -> None:
    recs = extract("2020-03-18", "The task force reported nine strikes made up of 31 engagements on Tuesday.")
    assert brief(recs) == [("strikes", 9), ("engagements", 31)]


def test_stated_sum_covers_the_union_of_its_parts() -> None:
    recs = extract(
        "2020-12-20",
        "Bombers dropped 1,000 bombs in October and 500 in November.",
        "Those 1,500 bombs made it the busiest autumn of the war.",
    )
    assert (recs[-1].count, recs[-1].period_start, recs[-1].period_end) == (
        1500,
        D(2020, 10, 1),
        D(2020, 11, 30),
    )


def test_distractor_numbers_give_no_record() -> None:
    recs = extract(
        "2020-03-18",
        "5 things to know: 68 nations back the $2 billion plan under Resolution 2170 on Route 7.",
        "A 19-year-old pilot flew an F-16 while two B-52 bombers and 12 aircraft struck 72 targets on March 3.",
        "In 1991, 40 percent of the 300 jets were grounded.",
    )
    assert recs == []


def test_targets_aircraft_and_outcome_subsets_are_not_counts_but_the_launch_total_is() -> None:
    recs = extract(
        "2020-03-18",
        "Militants launched 90 rockets on Tuesday; 60 were intercepted and 10 fell short.",
        "Air defences shot down 20 drones and 5 missiles.",
    )
    assert brief(recs) == [("weapons_released", 90)]


def test_weapons_owned_or_sold_are_not_released() -> None:
    assert (
        extract("2020-03-18", "The navy has 4,000 missiles in its inventory and sold 300 bombs in 2019.")
        == []
    )


def test_tolls_take_victim_class_and_nested_subcount_is_not_hedged() -> None:
    recs = extract(
        "2020-03-18",
        "At least 33 people were killed on Monday, 12 of them children, and 50 soldiers wounded.",
    )
    assert [(r.metric, r.count, r.qualifier, r.victim) for r in recs] == [
        ("killed", 33, "at_least", "unspecified"),
        ("killed", 12, "exact", "civilians"),
        ("wounded", 50, "exact", "combatants"),
    ]


def test_no_zero_count_and_others_inherit_victim_class() -> None:
    recs = extract(
        "2020-03-18", "No civilians were hurt. The raid killed six fighters and injured four others."
    )
    assert [(r.metric, r.count, r.victim) for r in recs] == [
        ("killed", 6, "combatants"),
        ("wounded", 4, "combatants"),
    ]


def test_qualifiers_from_hedges() -> None:
    recs = extract(
        "2020-03-18", "Jets flew more than 80 sorties, about 40 strikes and up to 9 raids on Tuesday."
    )
    assert [r.qualifier for r in recs] == ["at_least", "approximate", "at_most"]


def test_cumulative_total_since_a_date_ends_on_the_cutoff() -> None:
    recs = extract(
        "2020-10-10",
        "Since the war began on March 26, 2015, monitors have logged 20,000 air raids through Sept. 30.",
    )
    assert (recs[0].period_start, recs[0].period_end) == (D(2015, 3, 26), D(2020, 9, 30))


def test_undated_article_takes_its_year_from_the_text() -> None:
    recs = extract(None, "The force released 900 weapons in June, its busiest month of 2017.")
    assert (recs[0].period_start, recs[0].period_end) == (D(2017, 6, 1), D(2017, 6, 30))


def test_live_blog_entries_resolve_days_against_their_own_timestamp() -> None:
    recs = extract(
        "2020-03-16T08:00:00+00:00",
        Block("p", "Since Monday, 200 rockets have been fired at the city.", "2020-03-16T08:00:00+00:00"),
        Block("p", "The tally has passed 450 rockets fired since Monday.", "2020-03-18T22:00:00+00:00"),
    )
    assert [(r.count, r.period_start, r.period_end) for r in recs] == [
        (200, D(2020, 3, 16), D(2020, 3, 16)),
        (450, D(2020, 3, 16), D(2020, 3, 18)),
    ]


def test_table_rows_take_metric_from_header_and_month_from_first_cell() -> None:
    recs = extract(
        "2017-02-01",
        Block("caption", "Munitions released in Syria, 2016"),
        Block("table_row", "Month | Munitions"),
        Block("table_row", "May | 2,101"),
    )
    assert [(r.metric, r.count, r.period_start, r.evidence) for r in recs] == [
        ("weapons_released", 2101, D(2016, 5, 1), "May | 2,101")
    ]


def test_correction_supersedes_the_earlier_figure_and_is_not_a_second_record() -> None:
    recs = extract(
        "2020-03-18",
        "Jets carried out 31 strikes on Tuesday.",
        "Correction: An earlier version of this story said 13 strikes. The correct figure is 31 strikes.",
    )
    assert brief(recs) == [("strikes", 31)]


def test_superseded_figure_in_the_body_is_dropped() -> None:
    recs = extract(
        "2020-03-18",
        "Jets carried out 13 strikes on Tuesday.",
        "Correction: the story previously said 13 strikes; the jets carried out 31 strikes on Tuesday.",
    )
    assert brief(recs) == [("strikes", 31)]


def test_restated_count_is_recorded_once() -> None:
    recs = extract(
        "2020-03-18", "Jets flew 44 sorties on Tuesday.", "Those 44 sorties on Tuesday were a record."
    )
    assert brief(recs) == [("sorties", 44)]


def test_evidence_is_the_sentence_and_abbreviations_do_not_split_it() -> None:
    text = "U.S. Central Command said jets flew 12 sorties on Sept. 3 near Mosul. Officials were pleased."
    assert split_sentences(text) == [
        "U.S. Central Command said jets flew 12 sorties on Sept. 3 near Mosul.",
        "Officials were pleased.",
    ]
    recs = extract("2020-09-10", text)
    assert recs[0].evidence == "U.S. Central Command said jets flew 12 sorties on Sept. 3 near Mosul."
    assert (recs[0].location, recs[0].period_start) == ("Mosul", D(2020, 9, 3))


def test_actor_and_target_are_normalised_short_names() -> None:
    recs = extract(
        "2020-03-18", "The U.S.-led coalition conducted 11 strikes against the Islamic State on Tuesday."
    )
    assert (recs[0].actor, recs[0].target) == ("US-led coalition", "ISIS")


def test_partitive_of_which_keeps_the_counted_noun_and_at_least_one_is_not_a_count() -> None:
    recs = extract("2020-06-10", "Jets flew 700 sorties in May, 650 of which released at least one bomb.")
    assert brief(recs) == [("sorties", 700), ("sorties", 650)]


def test_death_toll_risen_to_is_a_killed_count() -> None:
    recs = extract(
        "2020-03-18", "The death toll from the shelling of the city has risen to at least 41, officials said."
    )
    assert [(r.metric, r.count, r.qualifier, r.victim) for r in recs] == [
        ("killed", 41, "at_least", "unspecified")
    ]


def test_running_toll_brought_to_a_figure_ends_where_the_month_before_it_ends() -> None:
    recs = extract(
        "2020-10-15",
        "In September, 70 civilians were killed, bringing the civilian toll since January to 900.",
    )
    assert [(r.count, r.period_start, r.period_end) for r in recs] == [
        (70, D(2020, 9, 1), D(2020, 9, 30)),
        (900, D(2020, 1, 1), D(2020, 9, 30)),
    ]


def test_table_total_row_covers_the_rows_above_it() -> None:
    recs = extract(
        "2019-02-01",
        Block("caption", "Coalition strikes in Syria, 2018"),
        Block("table_row", "Month | Strikes"),
        Block("table_row", "March | 310"),
        Block("table_row", "April | 90"),
        Block("table_row", "Total | 400"),
    )
    assert [(r.count, r.period_start, r.period_end, r.location) for r in recs][-1] == (
        400,
        D(2018, 3, 1),
        D(2018, 4, 30),
        "Syria",
    )


def test_count_without_time_or_event_takes_the_publication_day() -> None:
    recs = extract("2020-03-18", "Warplanes carried out 17 strikes near the border.")
    assert (recs[0].period_start, recs[0].period_end) == (D(2020, 3, 18), D(2020, 3, 18))


def test_page_without_blocks_is_read_from_its_text_paragraphs() -> None:
    page = Page("t", "2020-03-18", "Jets flew 12 sorties on Tuesday.\n\nThey dropped 30 bombs.", None, ())
    assert brief(extract_records(page)) == [("sorties", 12), ("weapons_released", 30)]


# --- Phenomena added with the generalisation review (texts written for these tests). ---


def test_entity_encoded_comma_and_plain_or_thin_space_separators() -> None:
    from conflict_ingest.clean.cleaner import clean_html

    filler = (
        "<p>The command published its monthly summary of the air campaign against the group on Friday.</p>"
    )
    html = (
        "<html><head><title>Air war summary</title></head><body><article><h1>Air war summary</h1>"
        f"{filler}<p>Aircraft released 3&#44;038 weapons in October, the command said in its summary.</p>"
        f"{filler}</article></body></html>"
    )
    page = clean_html(html.encode(), "https://example.test/2016/11/10/summary")
    assert brief(extract_records(page)) == [("weapons_released", 3038)]
    recs = extract("2016-11-10", "Jets flew 3 038 sorties in October and 2\u202f709 in September.")
    assert brief(recs) == [("sorties", 3038), ("sorties", 2709)]


def test_age_in_apposition_is_not_a_count_continuing_the_toll_before_it() -> None:
    recs = extract(
        "2020-03-18",
        "The raid killed nine people on Tuesday.",
        "\u201cThe jets came at night,\u201d said Karim, 52, a teacher.",
    )
    assert brief(recs) == [("killed", 9)]


def test_nested_sub_count_between_dashes_keeps_the_toll_metric_and_does_not_set_the_class() -> None:
    recs = extract(
        "2020-03-18",
        "The strikes killed 22 civilians \u2013 among them eight women \u2013 and injured 40 others on Tuesday.",
    )
    assert [(r.metric, r.count, r.victim) for r in recs] == [
        ("killed", 22, "civilians"),
        ("killed", 8, "civilians"),
        ("wounded", 40, "civilians"),
    ]
    recs = extract(
        "2020-03-18",
        "Officials said 40 people, including nine children, died on Monday, and 70 were wounded.",
    )
    assert [(r.metric, r.count, r.victim) for r in recs] == [
        ("killed", 40, "unspecified"),
        ("killed", 9, "civilians"),
        ("wounded", 70, "unspecified"),
    ]


def test_partitive_of_the_dead_takes_the_class_named_after_its_verb() -> None:
    recs = extract(
        "2020-03-18", "Jets killed 14 people in the town on Tuesday.", "Five of the dead were women."
    )
    assert [(r.metric, r.count, r.victim) for r in recs] == [
        ("killed", 14, "unspecified"),
        ("killed", 5, "civilians"),
    ]


def test_metric_noun_modifying_another_noun_is_not_counted() -> None:
    recs = extract(
        "2020-03-18", "Warships fired 40 missiles at two weapons depots and three missile launchers."
    )
    assert brief(recs) == [("weapons_released", 40)]


def test_carrying_capacity_is_not_a_release() -> None:
    assert extract("2020-03-18", "Each bomber can carry up to 24 cruise missiles on a single mission.") == []


def test_breakdown_of_a_salvo_counts_drones_without_a_launch_verb_of_its_own() -> None:
    recs = extract(
        "2020-03-18",
        "Militia launched 45 drones and rockets at the base on Tuesday.",
        "The salvo included 30 drones, officials said.",
    )
    assert [(r.metric, r.count, r.period_start) for r in recs] == [
        ("weapons_released", 45, D(2020, 3, 17)),
        ("weapons_released", 30, D(2020, 3, 17)),
    ]
    assert extract("2020-03-18", "The army owns 30 drones.") == []


def test_since_an_event_named_by_a_noun_phrase_runs_from_its_date() -> None:
    recs = extract(
        "2023-04-13", "The air force has carried out 410 airstrikes since the coup in February 2021."
    )
    assert (recs[0].period_start, recs[0].period_end) == (D(2021, 2, 1), D(2023, 4, 13))


def test_places_after_possessives_strike_objects_and_anaphora() -> None:
    recs = extract("2020-03-18", "Jets carried out six strikes in Raqqa's old city on Tuesday.")
    assert recs[0].location == "Raqqa"
    recs = extract("2020-03-18", "An air raid on Kharkiv on Tuesday wounded 15 people.")
    assert recs[0].location == "Kharkiv"
    recs = extract(
        "2020-03-18",
        "Jets bombed targets in Aleppo on Tuesday.",
        "The raids killed 12 people, a doctor in the city said.",
    )
    assert recs[0].location == "Aleppo"
    recs = extract(
        "2020-03-18",
        "Rockets were fired at Ukraine on Monday.",
        "Drones hit Kharkiv on Tuesday.",
        "The military has fired 300 missiles at the country since Monday.",
    )
    assert recs[-1].location == "Ukraine"


def test_the_source_of_a_figure_is_not_its_actor() -> None:
    recs = extract(
        "2024-04-14",
        "Iran launched more than 300 drones and missiles at Israel overnight, the Israeli military said.",
    )
    assert (recs[0].actor, recs[0].target, recs[0].qualifier) == ("Iran", "Israel", "at_least")


def test_toll_only_a_health_ministry_vouches_for_has_no_actor() -> None:
    recs = extract(
        "2022-08-07",
        "Islamic Jihad fired 400 rockets at Israel on Saturday.",
        "At least 24 Palestinians have been killed since Friday, the Health Ministry in Gaza said.",
        "Israeli strikes killed 10 people in Rafah on Saturday, the ministry said.",
    )
    assert [(r.count, r.actor) for r in recs] == [
        (400, "Palestinian Islamic Jihad"),
        (24, None),
        (10, "Israel"),
    ]


def test_context_from_sentences_without_counts_reaches_later_counts_in_order() -> None:
    # The count-less sentences are read lazily; what they leave (the event start, the last place, the
    # reference day of their own live-blog entry) must be what a later count sees.
    recs = extract(
        "2020-03-20",
        Block("p", "The offensive began on March 2 near the border.", "2020-03-10T09:00:00+00:00"),
        Block("p", "Fighting was reported in Idlib on Tuesday.", "2020-03-12T09:00:00+00:00"),
        Block(
            "p",
            "Since the offensive began, warplanes have carried out 120 strikes there.",
            "2020-03-18T09:00:00+00:00",
        ),
        Block("p", "Aid groups met in Aleppo.", "2020-03-19T09:00:00+00:00"),
        Block("p", "Jets carried out 15 strikes in the city on Monday.", "2020-03-19T10:00:00+00:00"),
    )
    assert [(r.count, r.period_start, r.period_end, r.location) for r in recs] == [
        (120, D(2020, 3, 2), D(2020, 3, 18), "Idlib"),
        (15, D(2020, 3, 16), D(2020, 3, 16), "Aleppo"),
    ]


def test_page_with_no_counts_gives_no_records_and_no_defaults_are_needed() -> None:
    recs = extract(
        "2020-03-20", "Coalition jets flew over the city.", "The ministry said talks would resume."
    )
    assert recs == []


def _reader_rules() -> list[tuple[int, str]]:
    doc = _SentenceReader.__doc__ or ""
    found = re.findall(r"^\s*(\d+)\. (.+?)(?=^\s*\d+\. |^\s*$)", doc, re.M | re.S)
    return [(int(k), " ".join(text.split())) for k, text in found]


def test_sentence_reader_documents_its_rules_in_order_each_with_an_example() -> None:
    rules = _reader_rules()
    assert [k for k, _ in rules] == list(range(1, len(rules) + 1)), rules
    assert len(rules) >= 10
    for k, text in rules:
        assert '"' in text, f"rule {k} gives no example phrase: {text}"


def test_each_documented_reader_rule_decides_its_example_sentence() -> None:
    cases: dict[int, tuple[str, list[tuple[str, int]]]] = {
        2: ("Jets struck Mosul in 2019.", []),
        3: ("At least one strike hit Mosul.", []),
        4: ("The coalition conducted 14 strikes.", [(Metric.STRIKES, 14)]),
        5: ("Jets struck the town 12 times.", [(Metric.STRIKES, 12)]),
        6: ("52 fighters were killed.", [(Metric.KILLED, 52)]),
        7: ("Officials said 12 to 15 were killed.", [(Metric.KILLED, 12)]),  # at least 12
        9: ("In Mosul, 12 were killed.", [(Metric.KILLED, 12)]),
        10: ("The ships fired 40 at the port.", [(Metric.WEAPONS_RELEASED, 40)]),
        11: ("The raid hit a market, killing 12.", [(Metric.KILLED, 12)]),
        12: ("The death toll rose to 52.", [(Metric.KILLED, 52)]),
        14: ("The number of strikes rose to 40.", [(Metric.STRIKES, 40)]),
        15: (
            "Jets released 3,038 weapons in October and 2,709 in November.",
            [(Metric.WEAPONS_RELEASED, 3038), (Metric.WEAPONS_RELEASED, 2709)],
        ),
        17: ("The unit killed three gunmen and detained two.", [(Metric.KILLED, 3)]),
        18: ("Several gunmen were killed.", [(Metric.KILLED, 3)]),
        19: ("The patrol fired back, killing him.", [(Metric.KILLED, 1)]),
    }
    documented = dict(_reader_rules())
    for k, (sentence, want) in cases.items():
        assert k in documented
        got = [(c.metric, c.count) for c in _SentenceReader(sentence, _State()).read()]
        assert got == want, (k, documented[k], sentence, got)


def test_table_rows_whose_first_cell_is_a_range_of_days_cover_the_whole_range() -> None:
    recs = extract(
        "2024-04-05",
        Block("caption", "Air raids recorded in Idlib, March 2024"),
        Block("table_row", "Week | Air raids | Deaths"),
        Block("table_row", "3–9 March | 5 | 8"),
        Block("table_row", "March 10-16 | 6 | 3"),
        Block("table_row", "17 to 23 March | 4 | 2"),
        Block("table_row", "Total | 15 | 13"),
    )
    got = [(r.metric, r.count, r.period_start, r.period_end) for r in recs]
    assert got == [
        ("strikes", 5, D(2024, 3, 3), D(2024, 3, 9)),
        ("killed", 8, D(2024, 3, 3), D(2024, 3, 9)),
        ("strikes", 6, D(2024, 3, 10), D(2024, 3, 16)),
        ("killed", 3, D(2024, 3, 10), D(2024, 3, 16)),
        ("strikes", 4, D(2024, 3, 17), D(2024, 3, 23)),
        ("killed", 2, D(2024, 3, 17), D(2024, 3, 23)),
        ("strikes", 15, D(2024, 3, 3), D(2024, 3, 23)),
        ("killed", 13, D(2024, 3, 3), D(2024, 3, 23)),
    ]


def test_live_entry_under_a_day_heading_counts_its_days_from_that_heading() -> None:
    from conflict_ingest.clean.cleaner import clean_html

    posts = [
        ("Thursday 2 May", "07:10", "Officials in the capital say the night was quiet after two days of alerts."),
        ("Friday 3 May", "06:30", "Overnight, the air force says enemy crews launched 36 drones at the port."),
        ("Friday 3 May", "15:45", "The mayor says four people were killed in the afternoon raid on the docks."),
    ]  # fmt: skip
    feed, shown = "", ""
    for day, clock, text in posts:
        if day != shown:
            feed, shown = feed + f"<h2>{day}</h2>", day
        feed += f"<div class='update'><time>{clock}</time><p>{text}</p></div>"
    html = (
        "<html><head><title>Port raids: live</title>"
        "<meta property='article:published_time' content='2024-05-02T06:00:00Z'></head><body>"
        f"<h1>Port raids: live</h1><section class='updates'>{feed}</section></body></html>"
    )
    recs = extract_records(clean_html(html, None))
    assert [(r.metric, r.count, r.period_start, r.period_end) for r in recs] == [
        ("weapons_released", 36, D(2024, 5, 2), D(2024, 5, 3)),
        ("killed", 4, D(2024, 5, 3), D(2024, 5, 3)),
    ]


def test_a_time_after_an_attribution_or_a_comparison_is_not_the_counts_own() -> None:
    recs = extract(
        "2021-06-12",  # a Saturday
        "Gunboats shelled the port on Wednesday and again on Thursday, killing 16 sailors, the navy command"
        " said in a briefing aired on Saturday.",
        "In the first four months of the year, monitors logged 88 air raids, almost double the tally for"
        " the same period of 2020.",
    )
    assert [(r.metric, r.count, r.period_start, r.period_end) for r in recs] == [
        ("killed", 16, D(2021, 6, 9), D(2021, 6, 10)),
        ("strikes", 88, D(2021, 1, 1), D(2021, 4, 30)),
    ]


def test_the_record_since_a_comparison_is_not_the_counts_period() -> None:
    recs = extract(
        "2021-06-01",
        "In May, the group counted 140 air raids on the province, the most intense month since monitoring began.",
        "Since the offensive began in March, it has counted 390 raids.",
    )
    assert [(r.count, r.period_start, r.period_end) for r in recs] == [
        (140, D(2021, 5, 1), D(2021, 5, 31)),
        (390, D(2021, 3, 1), D(2021, 6, 1)),
    ]


def test_since_a_clause_with_a_month_later_in_it_and_a_month_of_last_year() -> None:
    recs = extract(
        "2021-06-01",
        "Since the rebels and their allies opened a front in the east in April, 75 soldiers have been killed.",
        "Since the ceasefire collapsed in November last year, drones have made 230 strikes.",
    )
    assert [(r.count, r.period_start, r.period_end) for r in recs] == [
        (75, D(2021, 4, 1), D(2021, 6, 1)),
        (230, D(2020, 11, 1), D(2021, 6, 1)),
    ]


def test_past_weeks_and_a_week_of_the_month_named_before() -> None:
    recs = extract(
        "2021-06-10",
        "In the past three weeks, the army says it fired 450 shells at the ridge.",
        "In May, gunners fired 1,200 shells.",
        "They fired 300 of them in the final week of the month.",
    )
    assert [(r.count, r.period_start, r.period_end) for r in recs] == [
        (450, D(2021, 5, 20), D(2021, 6, 10)),
        (1200, D(2021, 5, 1), D(2021, 5, 31)),
        (300, D(2021, 5, 25), D(2021, 5, 31)),
    ]


def test_a_part_of_the_year_not_yet_begun_is_last_years() -> None:
    recs = extract("2022-02-03", "In the second half of the year, the coalition carried out 41 strikes.")
    assert [(r.period_start, r.period_end) for r in recs] == [(D(2021, 7, 1), D(2021, 12, 31))]


def test_a_count_that_refers_back_takes_the_period_of_what_it_refers_to() -> None:
    recs = extract(
        "2021-06-14",  # a Monday
        "Rebel gunners fired 60 rockets at the garrison on Friday.",
        "In April, the air force flew 320 sorties over the valley.",
        "Those sorties left 57 militants dead, the air force said, and a drone strike killed four farmers on Sunday.",
        "By the end of May, the toll had reached 410 dead.",
        "At least 90 of the dead were civilians.",
    )
    got = {(r.metric, r.count): (r.period_start, r.period_end) for r in recs}
    assert got[("killed", 57)] == (D(2021, 4, 1), D(2021, 4, 30))  # not Sunday, the other clause's day
    assert got[("killed", 4)] == (D(2021, 6, 13), D(2021, 6, 13))
    assert got[("killed", 90)] == got[("killed", 410)]


def test_a_toll_free_line_is_no_toll() -> None:
    recs = extract(
        "2021-06-14",
        "Troops killed 12 militants near the border on Sunday.",
        "The army asked residents to call its toll-free number, 0800 112 358, with information.",
    )
    assert brief(recs) == [("killed", 12)]


def test_of_the_dead_after_a_toll_that_brings_a_running_total_is_the_incidents() -> None:
    recs = extract(
        "2021-06-14",
        "Shelling killed 9 people in the market on Sunday, bringing the toll since January to 230.",
        "Four of the dead were women, medics said.",
    )
    got = {(r.metric, r.count): (r.period_start, r.period_end) for r in recs}
    assert got[("killed", 4)] == got[("killed", 9)] == (D(2021, 6, 13), D(2021, 6, 13))


def test_weapons_destroyed_on_the_ground_were_never_released() -> None:
    recs = extract(
        "2021-06-14",
        "The navy fired 24 missiles at the launch sites on Sunday.",
        "It said the strikes also destroyed 5 ballistic missiles that were ready to fire.",
    )
    assert brief(recs) == [("weapons_released", 24)]


def test_ages_are_no_counts_and_do_not_hide_the_toll_verb() -> None:
    recs = extract(
        "2021-06-14",
        "Three farmers, two of them children aged 13 and 14, died on Sunday when a shell hit their field.",
        "Five villagers were killed on Saturday, one of them a woman aged 70.",
    )
    assert brief(recs) == [("killed", 3), ("killed", 2), ("killed", 5)]


def test_the_people_before_a_toll_noun_and_a_civilian_toll_before_deaths_give_the_class() -> None:
    recs = extract(
        "2021-06-14",
        "Three policemen sustained injuries in the ambush on Sunday.",
        "The monitor logged 95 civilian casualties in May, including 31 deaths.",
        "Officials put the civilian toll below the 12 deaths reported by residents.",
    )
    got = {(r.metric, r.count): r.victim for r in recs}
    assert got[("wounded", 3)] == "combatants"
    assert got[("killed", 31)] == "civilians"
    assert got[("killed", 12)] == "civilians"


def test_members_of_an_armed_group_are_combatants_members_of_a_family_are_not() -> None:
    recs = extract(
        "2021-06-14",
        "The strike killed four of the movement's members and wounded two others on Sunday.",
        "Shelling killed six members of the rebel militia near the dam on Saturday.",
        "A shell killed five family members in their home on Friday.",
    )
    assert [(r.count, r.victim) for r in recs] == [
        (4, "combatants"),
        (2, "combatants"),
        (6, "combatants"),
        (5, "unspecified"),
    ]


def test_late_on_one_day_and_early_on_the_next_is_one_span_and_since_the_start_of_the_year() -> None:
    recs = extract(
        "2021-06-14",  # a Monday
        "Rebels fired 25 shells at the town late on Sunday and early on Monday.",
        "Since the start of the year, the rebels have launched about 900 drones at the region.",
    )
    assert [(r.count, r.period_start, r.period_end) for r in recs] == [
        (25, D(2021, 6, 13), D(2021, 6, 14)),
        (900, D(2021, 1, 1), D(2021, 6, 14)),
    ]


def test_rates_ages_and_intercepted_parts_are_no_counts() -> None:
    recs = extract(
        "2021-06-14",
        "Militants fired some 600 rockets on Sunday, of which air defences intercepted 250.",
        "Last month they fired an average of 90 rockets a day, and jets flew 20 sorties per night.",
        "Two people were wounded, including a boy of 12.",
    )
    assert brief(recs) == [("weapons_released", 600), ("wounded", 2)]


def test_the_figure_risen_to_updates_the_last_count_and_an_overall_toll_runs_from_the_start() -> None:
    recs = extract(
        "2021-06-14",  # a Monday
        "Since the offensive began on June 1, the army says 80 of its soldiers have been killed.",
        "By Sunday the figure had risen to 95.",
        "Medics said the overall toll rose to 310 on Monday.",
    )
    got = {(r.metric, r.count): (r.victim, r.period_start, r.period_end) for r in recs}
    assert got[("killed", 95)] == ("combatants", D(2021, 6, 1), D(2021, 6, 13))
    assert got[("killed", 310)][1:] == (D(2021, 6, 1), D(2021, 6, 14))


def test_of_which_a_part_that_resulted_in_or_involved_something_is_a_sub_count() -> None:
    recs = extract(
        "2021-06-14",
        "Jets flew 75 sorties on Sunday, of which 30 resulted in weapons being released.",
    )
    assert brief(recs) == [("sorties", 75), ("sorties", 30)]


def test_day_ranges_weeks_to_a_day_the_past_day_and_a_first_night() -> None:
    recs = extract(
        "2021-06-17",  # a Thursday
        "On the night of June 12 to 13, rebels fired 40 rockets at the base.",
        "On 14 and 15 June, raids killed up to 11 people.",
        "In the week to Friday, the air force carried out 33 strikes.",
        "The army says it carried out nine strikes in the past day.",
    )
    assert [(r.count, r.period_start, r.period_end) for r in recs] == [
        (40, D(2021, 6, 12), D(2021, 6, 13)),
        (11, D(2021, 6, 14), D(2021, 6, 15)),
        (33, D(2021, 6, 5), D(2021, 6, 11)),
        (9, D(2021, 6, 16), D(2021, 6, 17)),
    ]


def test_during_the_war_and_the_toll_of_its_first_night() -> None:
    recs = extract(
        "2021-06-17",
        "The strikes that began on Saturday evening have killed 14 people.",
        "The death toll from the first night of strikes has risen to 20, medics said.",
        "Since the war began on June 1, both sides have fired shells; the air force flew 600 sorties during the war.",
    )
    got = {r.count: (r.period_start, r.period_end) for r in recs}
    assert got[20] == (D(2021, 6, 12), D(2021, 6, 13))
    assert got[600] == (D(2021, 6, 1), D(2021, 6, 17))


def test_the_class_of_a_part_and_of_a_toll_in_apposition() -> None:
    recs = extract(
        "2021-06-17",
        "A monitor put the number of dead at 300, of whom 120 were civilians.",
        "The army put the toll at seven, all of them soldiers.",
    )
    assert [(r.count, r.victim) for r in recs] == [
        (300, "unspecified"),
        (120, "civilians"),
        (7, "combatants"),
    ]


def test_two_modifiers_joined_by_and_before_one_noun() -> None:
    recs = extract(
        "2021-06-17", "The rebels said they fired 22 ballistic and cruise missiles at the port on Tuesday."
    )
    assert brief(recs) == [("weapons_released", 22)]


def test_days_later_days_joined_by_and_again_and_since_then() -> None:
    recs = extract(
        "2021-06-21",  # a Monday
        "Militants attacked an army post on Tuesday.",
        "Jets struck their camp that night and again on Wednesday, killing 30 of them.",
        "Three days later, gunmen killed 6 villagers in a raid.",
        "A monitor said shelling killed 50 civilians in the first week of June.",
        "A further 20 had been killed since then, it said.",
    )
    got = {r.count: (r.period_start, r.period_end) for r in recs}
    assert got[30] == (D(2021, 6, 15), D(2021, 6, 16))
    assert got[6] == (D(2021, 6, 19), D(2021, 6, 19))
    assert got[20] == (D(2021, 6, 8), D(2021, 6, 21))


def test_since_then_after_a_since_keeps_its_start() -> None:
    recs = extract(
        "2021-06-21",
        "The army has fought the rebels in the north since March, when talks collapsed.",
        "Since then, at least 140 people have been killed there, a monitor says.",
    )
    assert [(r.count, r.period_start, r.period_end) for r in recs] == [(140, D(2021, 3, 1), D(2021, 6, 21))]


def test_months_before_a_day_the_first_weeks_of_a_month_and_a_combined_toll() -> None:
    recs = extract(
        "2022-10-03",
        "In the three months before the ceasefire took effect on June 1, jets carried out 350 air raids.",
        "Over the first two weeks of September, at least 21 fighters died on the southern front.",
        "Mines killed or injured 17 children in August, and 9 people were killed or wounded in July.",
    )
    assert [(r.count, r.period_start, r.period_end) for r in recs] == [
        (350, D(2022, 3, 1), D(2022, 5, 31)),
        (21, D(2022, 9, 1), D(2022, 9, 14)),
    ]


def test_table_column_header_naming_a_victim_class_gives_its_rows_that_class() -> None:
    recs = extract(
        "2022-09-02",
        Block("caption", "Shelling of Donetsk oblast, August 2022"),
        Block("table_row", "Week | Soldiers wounded | Civilian deaths | Deaths"),
        Block("table_row", "1–7 August | 6 | 4 | 9"),
        Block("table_row", "Total | 6 | 4 | 9"),
    )
    got = [(r.metric, r.count, r.victim, r.period_start, r.period_end) for r in recs]
    first, last = D(2022, 8, 1), D(2022, 8, 7)
    assert got == [
        ("wounded", 6, "combatants", first, last),
        ("killed", 4, "civilians", first, last),
        ("killed", 9, "unspecified", first, last),
    ]


def test_those_n_days_with_no_span_of_n_days_stated_run_between_two_told_days() -> None:
    recs = extract(
        "2021-03-20",
        "The offensive opened on the evening of Thursday, March 4, when artillery shelled the border towns.",
        "A truce came into force at midnight on Sunday, March 14.",
        "Army drones hit the district 95 times over those ten days, the monitor says.",
    )
    assert [(r.metric, r.count, r.period_start, r.period_end) for r in recs] == [
        ("strikes", 95, D(2021, 3, 4), D(2021, 3, 14))
    ]


def test_of_which_a_part_whose_verb_names_weapons_is_still_a_part_of_the_count_before() -> None:
    recs = extract(
        "2021-06-14",
        "Drones flew 90 sorties in May, of which 41 involved the dropping of munitions.",
        "Militants fired some 500 rockets on Sunday, of which 120 were shot down.",
    )
    assert brief(recs) == [("sorties", 90), ("sorties", 41), ("weapons_released", 500)]


def test_a_difference_between_two_counts_is_no_count() -> None:
    recs = extract(
        "2022-01-10",
        "The air force carried out 70 strikes in 2021 and 95 in 2020.",
        "Officials called the fall of 25 strikes a sign of calmer days, and raids on the port rose by 6.",
    )
    assert brief(recs) == [("strikes", 70), ("strikes", 95)]


def test_a_part_of_the_last_toll_told_in_its_own_sentence_takes_the_class_it_names() -> None:
    recs = extract(
        "2023-05-08",
        "Shelling of the bus depot on Saturday killed 30 people.",
        "Eight of them were soldiers waiting for a transfer.",
    )
    got = [(r.metric, r.count, r.victim, r.period_start) for r in recs]
    assert got == [("killed", 30, "unspecified", D(2023, 5, 6)), ("killed", 8, "combatants", D(2023, 5, 6))]


def test_since_the_tellers_last_report_on_a_day_runs_from_that_day() -> None:
    recs = extract(
        "2022-10-19",  # a Wednesday
        "Since our previous bulletin on Sunday, the monitors have logged 37 drone attacks on the power grid.",
    )
    assert [(r.metric, r.count, r.period_start, r.period_end) for r in recs] == [
        ("strikes", 37, D(2022, 10, 16), D(2022, 10, 19))
    ]


def test_in_that_time_takes_the_span_the_page_stated_last() -> None:
    recs = extract(
        "2019-05-02",
        "Reaper crews have flown 410 missions since the detachment arrived at the base in June 2017, the wing said.",
        "Its spokesman said the drones had fired about 150 Hellfire missiles over that period.",
    )
    got = {r.count: (r.metric, r.period_start, r.period_end) for r in recs}
    assert got[150] == ("weapons_released", D(2017, 6, 1), D(2019, 5, 2))


def test_up_from_a_figure_in_a_named_month_is_that_months_count() -> None:
    recs = extract(
        "2024-09-03",
        "The observers logged 75 shelling attacks on the frontline villages in August, down from 90 in July.",
        "The army reported 12 raids this week, up from 9 a week earlier.",
    )
    got = [(r.metric, r.count, r.period_start, r.period_end) for r in recs]
    assert got[:2] == [
        ("strikes", 75, D(2024, 8, 1), D(2024, 8, 31)),
        ("strikes", 90, D(2024, 7, 1), D(2024, 7, 31)),
    ]
    assert 9 not in [r.count for r in recs]  # "a week earlier" names no period the rules read


def test_those_strikes_after_an_up_from_figure_refer_to_the_current_count() -> None:
    recs = extract(
        "2024-09-03",
        "The observers logged 75 shelling attacks on the frontline villages in August, down from 90 in July.",
        "Those attacks killed 16 civilians.",
    )
    got = {r.count: (r.period_start, r.period_end) for r in recs}
    assert got[16] == (D(2024, 8, 1), D(2024, 8, 31))


def test_an_elliptical_answer_takes_the_metric_of_the_question_or_sentence_before() -> None:
    recs = extract(
        "2023-06-20",
        "How many air raids has the navy's aviation wing carried out this month?",
        "MAJ. OKAFOR: About 65 since June 1.",
        "In 2019 the drones fired 300 missiles at the rebels. In 2020 there were only 120.",
    )
    got = [(r.metric, r.count, r.period_start, r.period_end) for r in recs]
    assert got == [
        ("strikes", 65, D(2023, 6, 1), D(2023, 6, 20)),
        ("weapons_released", 300, D(2019, 1, 1), D(2019, 12, 31)),
        ("weapons_released", 120, D(2020, 1, 1), D(2020, 12, 31)),
    ]


def test_of_those_opening_a_sentence_makes_its_number_a_part_of_the_count_before() -> None:
    recs = extract(
        "2022-11-30",
        "Since the ceasefire collapsed in March, the monitor has recorded at least 2,300 deaths in the region.",
        "Of those, the monitor blames about 300 on shelling.",
    )
    got = [(r.metric, r.count, r.qualifier, r.period_start, r.period_end) for r in recs]
    assert got == [
        ("killed", 2300, "at_least", D(2022, 3, 1), D(2022, 11, 30)),
        ("killed", 300, "approximate", D(2022, 3, 1), D(2022, 11, 30)),
    ]


def test_a_nested_count_after_a_single_person_named_first_is_read() -> None:
    recs = extract(
        "2022-07-04",
        "After the shelling of the market town, 15 people were killed, among them a policeman and three children.",
    )
    got = [(r.metric, r.count, r.victim) for r in recs]
    assert got == [("killed", 15, "unspecified"), ("killed", 3, "civilians")]


def test_a_toll_of_the_battle_for_a_place_runs_from_its_start_to_the_last_day_told() -> None:
    recs = extract(
        "2018-03-06",
        "The army declared the town retaken on Saturday, four months after the assault on it began on October 30.",
        "Jets carried out 400 strikes on the town in November and December.",
        "Medics say 900 civilians were killed in the battle for the town. About 300 soldiers also died.",
    )
    got = {r.count: (r.period_start, r.period_end) for r in recs}
    assert got[900] == got[300] == (D(2017, 10, 30), D(2018, 3, 3))
