"""Relevance and language: only English pages about armed conflict are read for counts, and a
statement whose count has another cause (a disease, a crash, a match, a price) gives no record.

Every page and sentence here is written for these tests."""

from __future__ import annotations

import datetime as dt
import gzip
import time
from dataclasses import dataclass

import pytest

from conflict_ingest.clean.cleaner import clean_html
from conflict_ingest.clean.language import detect_language
from conflict_ingest.clean.page import Block, CleanedPage
from conflict_ingest.extract import extract_records
from conflict_ingest.extract.relevance import (
    Relevance,
    page_relevance,
    page_verdict,
    statement_relevance,
)
from conflict_ingest.pipeline.clean import clean_stage
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.extract import extract_stage
from conflict_ingest.pipeline.payloads import CleanedRow, ExtractSummary
from conflict_ingest.pipeline.validate import page_tallies
from conflict_ingest.storage import keys
from conflict_ingest.storage.store import ObjectStore


def _page(title: str, *paragraphs: str, language: str | None = "en") -> CleanedPage:
    blocks = tuple(Block("p", p) for p in paragraphs)
    return CleanedPage(
        title=title,
        published_at="2021-05-12T09:00:00+00:00",
        text="\n\n".join(paragraphs),
        canonical_url=None,
        blocks=blocks,
        language=language,
    )


def _brief(page: CleanedPage) -> list[tuple[str, int]]:
    return [(r.metric, r.count) for r in extract_records(page, "https://news.example/x")]


# --- pages written for these tests ---------------------------------------------------------------------

WAR_REPORT = _page(
    "Airstrikes hit rebel positions as troops advance on the river town",
    "Government warplanes carried out 18 airstrikes on rebel positions north of the river on Tuesday, "
    "the army said, as troops and allied militia pushed toward the town.",
    "Artillery shelled the outskirts through the night. A spokesman for the rebels said 14 fighters were "
    "killed in the bombardment and that insurgents had ambushed a supply convoy in return.",
    "Aid groups said the fighting had forced thousands from their homes and called for a ceasefire. "
    "Military officials said the offensive would continue until the armed groups withdrew from the "
    "hills around the town, where militants have held positions for two years.",
)

PANDEMIC_PAGE = _page(
    "Virus cases climb again as hospitals fill",
    "Health officials reported 2,400 new cases of the virus on Monday, and 37 deaths, the highest daily "
    "toll since the outbreak began in the spring.",
    "The ministry said 412 patients were in intensive care. Vaccination centres will open on weekends, "
    "and the health minister urged people to get their vaccine before the winter flu season.",
    "Doctors warned that infections among children were rising and that the pandemic was far from over. "
    "Hospitals in the capital have postponed routine surgery, and the disease has now killed 5,120 people "
    "in the region since the first infection was confirmed, officials said.",
)

SPORT_PAGE = _page(
    "League night: a near-perfect game at the lanes",
    "The visiting bowler opened with seven strikes over the first eight frames before leaving a split in the ninth "
    "ended the run. His team won the match by 112 pins and moved to third in the league.",
    "The home side's captain rolled 14 strikes across the three games, and the coach said the team would "
    "need more of them in the playoffs. The tournament final is at the same lanes next month.",
    "Attendance at the season's opening night was the best in years, and the league plans to add two "
    "teams before the championship series begins in the autumn, its organisers said after the match.",
)

PRODUCT_REVIEW = _page(
    "Review: the new noise-cancelling earbuds are worth the price",
    "The earbuds have dropped to their lowest price yet, and at 2 hundred dollars less than the flagship "
    "they are a bargain. The app lets users tune the sound, and the battery lasts 9 hours.",
    "The device pairs with any smartphone in seconds. Software updates added 3 new features this month, "
    "including a mode for streaming that cuts the delay when gaming on a console. The console launched "
    "with 18 titles and released 3 more in its first week.",
    "Our verdict: the best earbuds for most users at this price, though the camera-shy charging case "
    "scratches easily and the download of the companion app needs an account.",
)

HISTORY_PAGE = _page(
    "Ten things you did not know about the old harbour",
    "The harbour was built in the twelfth century, and historians say the dynasty that built it ruled for "
    "4 centuries. Archaeologists found 300 coins near the ancient wall.",
    "The museum on the quay marks its 150th anniversary this year; a medieval chapel stands beside it. "
    "In 1915 the old fort was used in the war, a footnote most visitors never read about.",
    "Ancient trade routes met here, and the museum's collection of medieval maps draws 60,000 visitors a "
    "year, its curators said, many of them drawn by the anniversary celebrations.",
)


def test_the_other_domains_pages_state_counts_the_reader_would_take() -> None:
    """Without relevance these sentences give records (a toll, strikes, weapons): the gate is what stops them."""
    for sentence in (
        "Health officials reported 2,400 new cases of the virus on Monday, and 37 deaths, the highest daily",
        "The visiting bowler opened with seven strikes over the first eight frames before leaving a split in the ninth",
        "The console launched with 18 titles and released 3 more in its first week.",
    ):
        assert not statement_relevance(sentence).read


def test_a_war_report_is_read_and_gives_its_records() -> None:
    verdict = page_verdict(WAR_REPORT)
    assert verdict.read and verdict.reason.startswith("conflict terms")
    assert ("strikes", 18) in _brief(WAR_REPORT) and ("killed", 14) in _brief(WAR_REPORT)


@pytest.mark.parametrize(
    ("page", "topic"),
    [(PANDEMIC_PAGE, "disease"), (SPORT_PAGE, "sport"), (PRODUCT_REVIEW, "products"), (HISTORY_PAGE, "")],
)
def test_pages_about_other_domains_give_nothing(page: CleanedPage, topic: str) -> None:
    verdict = page_verdict(page)
    assert not verdict.read
    if topic:
        assert verdict.reason.startswith(f"dominant topic: {topic}") or verdict.reason.startswith(
            "no armed-conflict"
        ), verdict.reason
    assert _brief(page) == []


def test_the_reason_names_the_dominant_domain_and_its_terms() -> None:
    verdict = page_verdict(PANDEMIC_PAGE)
    assert verdict.kind in ("dominant topic: disease", "no armed-conflict vocabulary")
    assert page_relevance("Earbuds on sale", "The price of the app dropped. " * 30).reason == (
        "no armed-conflict vocabulary"
    )


def test_title_words_weigh_more_than_body_words() -> None:
    body = "The council met on Tuesday and discussed the budget for the coming year at length. " * 8
    assert not page_relevance("Council budget", body).read
    # the same text under a title naming an attack: the title's words carry the page over the threshold
    assert page_relevance("Troops and militants clash after bombing", body).read


def test_a_short_brief_with_one_conflict_term_is_read_and_one_with_none_is_not() -> None:
    assert page_relevance("", "Rebels said 12 were killed near the dam.").read
    assert not page_relevance("", "The toll rose to 12 near the dam.").read


def test_a_capitalised_weather_word_is_a_name_not_a_storm() -> None:
    text = (
        "The Tornado and Typhoon squadrons flew 40 sorties over the desert in March, the air force said, "
        "and the Hurricane museum aircraft flew at the ceremony. "
    ) * 3
    assert page_relevance("Tornado jets retire after four decades of combat sorties", text).read
    storm = "A storm killed 12 people; the hurricane flooded roads and a tornado flattened barns. " * 6
    assert page_relevance("Storm batters coast", storm).kind == "dominant topic: accident or disaster"


# --- statement level -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Separately, four people died in a traffic accident on the highway near the capital.",
        "The virus has killed 212 people in the province since March.",
        "She rolled six strikes across the opening frames.",
        "The price fell by 30 dollars overnight.",
        "Three fishermen drowned when their boat capsized off the coast.",
        "The earthquake killed 61 people in the hill villages.",
    ],
)
def test_a_statement_with_another_cause_is_not_read(sentence: str) -> None:
    assert not statement_relevance(sentence).read


@pytest.mark.parametrize(
    "sentence",
    [
        "Militants attacked the checkpoint, killing four soldiers.",
        "The helicopter crashed after it was shot down by insurgents, killing six.",
        "Jets carried out 14 strikes near the border on Tuesday.",
        "In some cases, 12 rounds were fired at the base.",
        "Despite the pandemic, warplanes carried out 30 strikes on Tuesday.",
        "Operation Desert Storm began with 1,300 sorties on the first night.",
    ],
)
def test_a_statement_of_an_armed_action_or_with_no_other_cause_is_read(sentence: str) -> None:
    assert statement_relevance(sentence).read


def test_a_count_of_new_cases_is_a_disease_cause_but_a_case_in_general_is_not() -> None:
    assert not statement_relevance("Officials reported 300 cases and 12 deaths on Friday.").read
    assert statement_relevance("In both cases, 12 people were killed by the blast.").read


def test_a_traffic_accident_in_a_war_report_gives_no_record() -> None:
    accident = "On the same day, 9 people died in a traffic accident when a bus collided with a lorry."
    page = _page(WAR_REPORT.title, *(b.text for b in WAR_REPORT.blocks), accident)
    assert page_verdict(page).read
    assert _brief(page) == _brief(WAR_REPORT)
    assert ("killed", 9) not in _brief(page)


def test_a_virus_toll_in_a_war_report_gives_no_record_but_the_war_toll_stays() -> None:
    virus = "The virus has also killed 23 people in the camps this month, aid workers said."
    page = _page(WAR_REPORT.title, *(b.text for b in WAR_REPORT.blocks), virus)
    brief = _brief(page)
    assert ("killed", 23) not in brief and ("killed", 14) in brief


# --- language ----------------------------------------------------------------------------------------------

GERMAN = (
    "Bei Luftangriffen auf Stellungen der Rebellen sind nach Angaben der Armee am Dienstag 14 Kämpfer "
    "getötet worden. Die Truppen rückten in der Nacht weiter auf die Stadt vor, die Artillerie beschoss "
    "die Vororte, und Hilfsorganisationen forderten eine Waffenruhe."
)
FRENCH = (
    "Des frappes aériennes ont visé mardi des positions rebelles au nord du fleuve, a indiqué l'armée, et "
    "14 combattants ont été tués. Les troupes ont poursuivi leur avancée vers la ville pendant la nuit."
)


@pytest.mark.parametrize(
    ("text", "lang"),
    [(GERMAN, "de"), (FRENCH, "fr"), (" ".join(b.text for b in WAR_REPORT.blocks), "en")],
)
def test_the_language_is_detected_from_the_text(text: str, lang: str) -> None:
    assert detect_language("", text) == lang


def test_short_or_empty_text_has_no_language() -> None:
    assert detect_language("", "") is None
    assert detect_language("Live", "12:30") is None


@pytest.mark.parametrize(("text", "lang"), [(GERMAN, "de"), (FRENCH, "fr")])
def test_a_conflict_page_in_another_language_gives_no_records(text: str, lang: str) -> None:
    html = f"<html><head><title>Krieg</title></head><body><article><p>{text}</p></article></body></html>"
    cleaned = clean_html(html, "https://news.example/a")
    assert cleaned.language == lang
    assert page_verdict(cleaned) == Relevance(False, f"language: {lang}")
    assert extract_records(cleaned, "https://news.example/a") == []


def test_an_english_page_without_a_known_language_is_still_read() -> None:
    page = _page(WAR_REPORT.title, *(b.text for b in WAR_REPORT.blocks), language=None)
    assert _brief(page) == _brief(WAR_REPORT)


# --- the stages: recorded on the cleaned row, counted in the summaries ------------------------------------


def _html(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title>"
        '<meta property="article:published_time" content="2021-05-12T09:00:00+00:00"></head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def test_the_stages_record_language_and_relevance_and_count_the_pages_skipped(store: ObjectStore) -> None:
    run = RunContext(day=dt.date(2021, 5, 12), run_id="t1")
    pages = {
        "war": _html(WAR_REPORT.title, *(b.text for b in WAR_REPORT.blocks)),
        "virus": _html(PANDEMIC_PAGE.title, *(b.text for b in PANDEMIC_PAGE.blocks)),
        "de": _html("Kämpfe im Norden", GERMAN),
        "fr": _html("Combats au nord", FRENCH),
    }
    entries = []
    for name, html in pages.items():
        raw_key = f"raw/source=t/dt=2021-05-12/{name}.html.gz"
        store.put_bytes(raw_key, gzip.compress(html.encode()))
        entries.append({"url": f"https://news.example/{name}", "raw_key": raw_key, "sha256": name})
    fetched_key = keys.stage_prefix(run.work, keys.FETCHED) + "t-00000.json"
    store.put_json(fetched_key, {"source_id": "t", "day": "2021-05-12", "pages": entries, "errors": []})

    cleaned = clean_stage(store, fetched_key)
    assert cleaned["languages"] == {"en": 2, "de": 1, "fr": 1}
    assert cleaned["relevance"]["read"] == 1 and cleaned["relevance"]["not_read"] == 3
    assert cleaned["relevance"]["reasons"]["language: de"] == 1
    rows = {
        row["url"].rsplit("/", 1)[-1]: CleanedRow.from_json(row) for row in store.get_jsonl_gz(cleaned["key"])
    }
    assert rows["war"].language == "en" and rows["war"].relevance and rows["war"].relevance["read"] is True
    assert rows["virus"].relevance == {"read": False, "reason": page_verdict(rows["virus"]).reason}

    extracted = ExtractSummary.from_json(extract_stage(store, cleaned["key"]))
    assert extracted.skipped_language == {"de": 1, "fr": 1}
    assert extracted.not_relevant == 1
    records = store.get_jsonl_gz(extracted.key)
    assert records and {r["language"] for r in records} == {"en"}
    assert {r["source_url"] for r in records} == {"https://news.example/war"}

    tallies = page_tallies(store, run)
    assert tallies["skipped_language"] == {"de": 1, "fr": 1}
    assert tallies["relevance"]["read"] == 1 and tallies["relevance"]["not_read"] == 3


def test_rows_and_summaries_written_before_language_and_relevance_still_read() -> None:
    old_row = {
        "url": "https://news.example/a",
        "raw_key": "raw/k",
        "sha256": "abc",
        "fetched_at": None,
        "source_id": "t",
        "title": "",
        "published_at": None,
        "canonical_url": "https://news.example/a",
        "text": "",
        "blocks": [],
    }
    row = CleanedRow.from_json(old_row)
    assert row.language is None and row.relevance is None
    old_summary = {"key": "k", "pages": 1, "records": 0, "errors": 0, "abandoned": 0, "abandoned_pages": []}
    summary = ExtractSummary.from_json(old_summary)
    assert summary.skipped_language == {} and summary.not_relevant == 0


# --- cost ------------------------------------------------------------------------------------------------------


@dataclass
class _Timed:
    seconds: float


def _time(text: str) -> _Timed:
    """The least CPU time (this process) of three runs: what the work costs, not what the machine does."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        page_relevance("title", text)
        for sentence in text.split(". "):
            statement_relevance(sentence)
        best = min(best, time.process_time() - start)
    return _Timed(best)


def test_relevance_is_linear_in_the_text() -> None:
    unit = " ".join(b.text for b in WAR_REPORT.blocks) + " "
    small, large = _time(unit * 40), _time(unit * 160)
    # four times the text costs about four times as much CPU (quadratic work would cost ~16 times)
    assert large.seconds < 8 * max(small.seconds, 1e-3)
