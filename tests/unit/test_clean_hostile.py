"""Hostile and broken pages: the cleaner never loses a page silently, never hangs a worker, and a page
cannot claim another site's identity. Pages are generated here; expected text is the text written in.
"""

from __future__ import annotations

import gzip

import pytest

from conflict_ingest.clean.budget import CleaningAbandoned
from conflict_ingest.clean.cleaner import clean_html
from conflict_ingest.clean.constants import CPU_BUDGET_S, NOTE_NAMES
from conflict_ingest.clean.metadata import canonical_refusal
from conflict_ingest.pipeline.clean import clean_stage
from conflict_ingest.storage.store import ObjectStore

STORY = (
    "Coalition aircraft struck targets near Hodeidah on Tuesday night, officials said, in the heaviest raids "
    "on the port city this year."
)
SECOND = (
    "Residents said the strikes continued until dawn and that several warehouses near the harbour burned."
)
URL = "https://www.news.example/2024/03/05/hodeidah-raids"


def page(body: str = f"<p>{STORY}</p><p>{SECOND}</p>", head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><title>Raids on Hodeidah</title>{head}</head>"
        f"<body><article><h1>Raids on Hodeidah</h1>{body}</article></body></html>"
    )


def names(notes: tuple[str, ...]) -> set[str]:
    return {n.split(":", 1)[0] for n in notes}


# --- charsets --------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["undefined", "x-no-such-charset"])
def test_unknown_charset_label_falls_back_to_detection_and_keeps_the_text(label: str) -> None:
    data = page(head=f"<meta charset='{label}'>").replace("Hodeidah on", "Hodeidah\u2019s port on").encode()
    cleaned = clean_html(data, URL, content_type=f"text/html; charset={label}")
    assert "Hodeidah\u2019s port on Tuesday" in cleaned.text
    assert SECOND in cleaned.text
    assert "charset_refused" in names(cleaned.notes)


@pytest.mark.parametrize("label", ["cp500", "cp037", "IBM037", "ebcdic-cp-us"])
def test_ebcdic_label_on_a_utf8_page_is_refused_and_the_page_reads_as_utf8(label: str) -> None:
    data = page().replace("heaviest", "heaviest \u2014 \u201cunprecedented\u201d \u2014").encode()
    for cleaned in (
        clean_html(data, URL, content_type=f"text/html; charset={label}"),
        clean_html(data.replace(b"<head>", f"<head><meta charset='{label}'>".encode()), URL),
    ):
        assert "heaviest \u2014 \u201cunprecedented\u201d \u2014 raids" in cleaned.text
        assert any(n.startswith("charset_refused") and label.lower() in n.lower() for n in cleaned.notes)


@pytest.mark.parametrize("label", ["utf-16", "utf-16le", "utf-32", "utf-7"])
def test_wide_or_shifted_charset_declared_on_an_8bit_page_is_refused_and_recorded(label: str) -> None:
    data = page().replace("heaviest", "heaviest caf\u00e9").encode("cp1252")
    cleaned = clean_html(data, URL, content_type=f"text/html; charset={label}")
    assert "heaviest caf\u00e9 raids" in cleaned.text
    assert "charset_refused" in names(cleaned.notes)


def test_bytes_that_do_not_decode_as_the_declared_charset_read_as_windows_1252_and_are_recorded() -> None:
    data = page().replace("heaviest", "heaviest caf\u00e9").encode("cp1252")
    cleaned = clean_html(data, URL, content_type="text/html; charset=utf-8")
    assert "heaviest caf\u00e9 raids" in cleaned.text
    assert "charset_undecodable" in names(cleaned.notes)


# --- JSON-LD ---------------------------------------------------------------------------------------


def test_json_ld_nested_100k_deep_is_skipped_with_a_note_and_the_page_keeps_its_text_and_date() -> None:
    deep = (
        '{"@type": "NewsArticle", "datePublished": "2024-03-05T21:10:00Z", "x": '
        + "[" * 100_000
        + "]" * 100_000
        + "}"
    )
    cleaned = clean_html(page(head=f"<script type='application/ld+json'>{deep}</script>"), URL)
    assert STORY in cleaned.text and SECOND in cleaned.text
    assert cleaned.published_at is not None and cleaned.published_at.startswith("2024-03-05")
    assert "jsonld_skipped" in names(cleaned.notes)


def test_oversized_json_ld_is_skipped_with_a_note() -> None:
    big = '{"@type": "NewsArticle", "articleBody": "' + "x" * 1_200_000 + '"}'
    cleaned = clean_html(page(head=f"<script type='application/ld+json'>{big}</script>"), URL)
    assert STORY in cleaned.text
    assert "jsonld_skipped" in names(cleaned.notes)


def test_ordinary_json_ld_still_dates_the_page_without_a_note() -> None:
    ld = '{"@type": "NewsArticle", "datePublished": "2024-03-05T21:10:00Z", "author": {"@type": "Person"}}'
    cleaned = clean_html(page(head=f"<script type='application/ld+json'>{ld}</script>"), URL)
    assert (cleaned.published_at or "").startswith("2024-03-05")
    assert cleaned.notes == ()


# --- parser limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depth", "fallback"), [(300, "huge_tree"), (5_000, "flattened"), (100_000, "flattened")]
)
def test_deeply_nested_page_still_gives_its_text(depth: int, fallback: str) -> None:
    body = "<div>" * depth + f"<p>{STORY}</p><p>{SECOND}</p>" + "</div>" * depth
    cleaned = clean_html(page(body), URL)
    assert STORY in cleaned.text and SECOND in cleaned.text
    assert fallback in names(cleaned.notes)


def test_ten_megabyte_text_node_still_gives_text() -> None:
    words = " ".join(f"w{i % 1000}" for i in range(2_100_000))  # 10 MB in one text node
    assert len(words) > 10_000_000
    cleaned = clean_html(page(f"<p>{STORY}</p><p>{words}</p>"), URL)
    assert STORY in cleaned.text
    assert "w998 w999 w0 w1" in cleaned.text and len(cleaned.text) > 10_000_000
    assert "huge_tree" in names(cleaned.notes)


# --- CPU budget and errors -------------------------------------------------------------------------


def test_page_over_its_cpu_budget_is_abandoned_with_a_reason_not_left_running() -> None:
    body = "".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(6_000))
    with pytest.raises(CleaningAbandoned) as raised:
        clean_html(page(body), URL, cpu_budget_s=0.05)
    assert "CPU budget of 0.05 s" in raised.value.reason
    assert CPU_BUDGET_S >= 10  # the default leaves linear cleaning of a 5 MB page far inside it
    assert len(clean_html(page(body), URL).blocks) == 6_000


def test_unexpected_error_surfaces_instead_of_an_empty_page() -> None:
    with pytest.raises(TypeError):
        clean_html(12345, URL)  # type: ignore[arg-type]


# --- canonical URL ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "declared",
    [
        "https://www.other-site.example/2024/03/05/hodeidah-raids",
        "javascript:alert(document.domain)",
        "data:text/html,hi",
        "ftp://www.news.example/x",
        "https://victim.github.io/story",
        "http://[::1",  # not even a URL (urljoin raises)
    ],
)
def test_canonical_url_off_the_page_site_or_not_http_is_refused_and_the_fetched_url_kept(
    declared: str,
) -> None:
    for head in (
        f"<link rel='canonical' href='{declared}'>",
        f"<meta property='og:url' content='{declared}'>",
    ):
        cleaned = clean_html(page(head=head), URL)
        assert cleaned.canonical_url == URL
        assert "canonical_refused" in names(cleaned.notes)
    attacker = clean_html(
        page(head=f"<link rel='canonical' href='{declared}'>"), "https://attacker.github.io/x"
    )
    assert attacker.canonical_url == "https://attacker.github.io/x"


@pytest.mark.parametrize(
    ("fetched", "declared", "expected"),
    [
        (URL, "/2024/03/05/hodeidah-raids", "https://www.news.example/2024/03/05/hodeidah-raids"),
        ("https://amp.bbc.co.uk/news/1", "https://www.bbc.co.uk/news/1", "https://www.bbc.co.uk/news/1"),
        ("http://m.news.example/a", "https://www.news.example/a", "https://www.news.example/a"),
    ],
)
def test_canonical_url_on_the_same_registrable_domain_is_used(
    fetched: str, declared: str, expected: str
) -> None:
    cleaned = clean_html(page(head=f"<link rel='canonical' href='{declared}'>"), fetched)
    assert cleaned.canonical_url == expected
    assert cleaned.notes == ()


def test_refused_canonical_link_lets_a_same_site_og_url_stand() -> None:
    head = "<link rel='canonical' href='javascript:void(0)'><meta property='og:url' content='https://news.example/a'>"
    cleaned = clean_html(page(head=head), URL)
    assert cleaned.canonical_url == "https://news.example/a"
    assert names(cleaned.notes) == {"canonical_refused"}


def test_canonical_refusal_says_why() -> None:
    assert canonical_refusal("https://co.uk/x", "https://www.bbc.co.uk/") is not None
    assert "http(s)" in (canonical_refusal("javascript:alert(1)", URL) or "")
    assert "registrable domain" in (canonical_refusal("https://evil.example.net/", URL) or "")
    assert canonical_refusal("https://127.0.0.1/a", "https://127.0.0.2/a") is not None
    assert canonical_refusal("https://www.news.example/b", URL) is None


# --- the clean stage -------------------------------------------------------------------------------


def test_clean_stage_records_failed_and_abandoned_pages_and_counts_every_fallback(store: ObjectStore) -> None:
    day = "dt=2016-12-01"
    bodies = {
        "good": page().encode(),
        "ebcdic": page(head="<meta charset='cp500'>").encode(),
        "foreign-canonical": page(
            head="<link rel='canonical' href='https://elsewhere.example.org/x'>"
        ).encode(),
        "not-gzip": None,  # the raw object is not gzip: an error, recorded with its page
        "hostile": page("".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(30_000))).encode(),
    }
    pages = []
    for name, body in bodies.items():
        raw_key = f"raw/source=t/{day}/{name}.html.gz"
        store.put_bytes(raw_key, gzip.compress(body) if body is not None else b"plain bytes")
        url = f"https://www.news.example/{name}"
        pages.append({"url": url, "final_url": url, "raw_key": raw_key, "content_type": "text/html"})
    fetched_key = f"work/{day}/run=t/fetched/t-00000.json"
    store.put_json(fetched_key, {"source_id": "t", "day": "2016-12-01", "pages": pages, "errors": []})

    # a budget that the hostile page exceeds and the ordinary ones do not
    summary = clean_stage(store, fetched_key, cpu_budget_s=1.0)

    rows = store.get_jsonl_gz(summary["key"])
    assert [r["url"].rsplit("/", 1)[1] for r in rows] == ["good", "ebcdic", "foreign-canonical"]
    assert (summary["pages"], summary["errors"], summary["abandoned"]) == (3, 1, 1)
    failed = {f["url"].rsplit("/", 1)[1]: f["error"] for f in summary["failed"]}
    assert set(failed) == {"not-gzip", "hostile"}
    assert failed["hostile"].startswith("abandoned: cleaning exceeded its CPU budget")
    assert "BadGzipFile" in failed["not-gzip"]
    assert summary["fallbacks"] == {"abandoned": 1, "canonical_refused": 1, "charset_refused": 1}
    by_name = {r["url"].rsplit("/", 1)[1]: r for r in rows}
    assert by_name["foreign-canonical"]["canonical_url"] == "https://www.news.example/foreign-canonical"
    assert names(tuple(by_name["ebcdic"]["clean_notes"])) == {"charset_refused"}
    assert STORY in by_name["ebcdic"]["text"]


def test_every_note_name_is_declared() -> None:
    assert {"charset_refused", "jsonld_skipped", "huge_tree", "flattened", "canonical_refused"} <= NOTE_NAMES
