"""The command line: table rendering and the clean/extract commands on a saved page."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conflict_ingest.cli import format_table, main

SEED = Path(__file__).resolve().parents[2] / "include" / "sample_site" / "articles"


def _row(**kw):
    base = {
        "metric": "strikes",
        "count": 12,
        "qualifier": "exact",
        "period_start": dt.date(2016, 11, 1),
        "period_end": dt.date(2016, 11, 30),
        "actor": "US-led coalition",
        "location": "Mosul",
        "source_id": "sample-rss",
        "canonical_url": "https://news.example/a/coalition-strikes.html",
        "flags": [],
    }
    return {**base, **kw}


def test_table_shows_each_record_with_period_page_and_reason() -> None:
    table = format_table([_row(), _row(count=7, failed_expectations=["no_conflicting_counts"])]).splitlines()
    assert table[0].split()[:4] == ["metric", "count", "qualifier", "period"]
    assert len(table) == 4
    held = next(line for line in table if "no_conflicting_counts" in line)
    assert "2016-11-01..2016-11-30" in held and "coalition-strikes" in held and " 7 " in held


def test_clean_and_extract_commands_print_json(capsys) -> None:
    page = next(SEED.glob("*.html"))
    assert main(["clean", "--url", "https://news.example/x", str(page)]) == 0
    cleaned = json.loads(capsys.readouterr().out)
    assert {"title", "published_at", "text", "canonical_url"} <= set(cleaned)
    assert main(["extract", "--url", "https://news.example/x", str(page)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records and all(r["evidence"] in cleaned["text"] for r in records)


@pytest.mark.parametrize("command", ["clean", "extract"])
def test_a_page_over_its_cpu_budget_is_abandoned_with_a_message_and_exit_1(command, capsys, tmp_path) -> None:
    page = tmp_path / "long.html"
    sentence = "The coalition carried out {n} strikes near Mosul on Tuesday. "
    page.write_text(
        "<html><body>" + "".join(f"<p>{sentence.format(n=n)}</p>" for n in range(3000)) + "</body></html>"
    )
    assert main([command, "--url", "https://news.example/x", "--cpu-budget", "0.001", str(page)]) == 1
    out = capsys.readouterr()
    said = out.out if command == "clean" else out.err
    assert "abandoned" in said and "budget" in said
    assert command == "clean" or out.out == ""  # no partial records


@pytest.mark.parametrize(
    ("day", "bound"), [("9999-12-31", "latest day"), ("0001-01-01", "before 1990-01-01")]
)
def test_show_refuses_a_day_out_of_bounds_before_reading_anything(
    day: str, bound: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # an S3 endpoint where nothing listens: a day that got past the check would fail differently
    from conflict_ingest.dev.stack import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with pytest.raises(SystemExit) as raised:
        main(["show", "--day", day])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "argument --day" in err and bound in err
