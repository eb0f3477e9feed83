"""Untrusted form input for manual runs: URLs checked, ad-hoc source ids stable."""

from __future__ import annotations

import pytest

from conflict_ingest.pipeline.plan import MAX_MANUAL_URLS, manual_source, validate_manual_urls


def test_manual_urls_are_http_deduplicated_and_bounded() -> None:
    urls = ["https://news.example/a", "https://news.example/a", " http://news.example/b "]
    assert validate_manual_urls(urls) == ["https://news.example/a", "http://news.example/b"]
    for bad, why in (
        ("file:///etc/passwd", "not an http"),
        ("ftp://news.example/a", "not an http"),
        ("javascript:alert(1)", "not an http"),
        ("https://", "without a host"),
        ("news.example/a", "not an http"),
    ):
        with pytest.raises(ValueError, match=why):
            validate_manual_urls([bad])
    with pytest.raises(ValueError, match="at most"):
        validate_manual_urls([f"https://news.example/{i}" for i in range(MAX_MANUAL_URLS + 1)])


def test_manual_source_id_depends_on_the_url_set_only() -> None:
    a = manual_source(["https://news.example/a", "https://news.example/b"])
    b = manual_source(["https://news.example/b", "https://news.example/a"])
    c = manual_source(["https://news.example/c"])
    assert a.id == b.id != c.id
    assert a.id.startswith("manual-") and a.kind == "urls" and a.allow_private is False
