"""A human-readable HTML page for one validation outcome.

Every value that came from a scraped page (evidence, titles, URLs, actors...) is untrusted: it is
html-escaped, and URLs become links only when they are plain http(s). No URL is shown with its
``user:password@`` part, and alert-delivery reasons have it removed from any URL they quote.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from conflict_ingest.contract import ARROW_STRING_LIST, FIELD_NAMES, fields_of
from conflict_ingest.inputs import redact_userinfo, without_userinfo
from conflict_ingest.validate.columns import CRITICAL, PROBLEM_COLUMN_PREFIX
from conflict_ingest.validate.outcome import ValidationOutcome

if TYPE_CHECKING:
    from conflict_ingest.validate.night import NightOutcome

# Rows shown per table; the rest are counted, not listed (the quarantine zone has them all).
MAX_REPORT_ROWS = 500
# Record ids listed per expectation in the expectations table.
MAX_IDS_PER_EXPECTATION = 20
LINK_SCHEMES = ("http", "https")
INDEX_COLUMNS = frozenset({"record_id", "row_number"})
# Markers around the alert-delivery section, so a retried alert replaces it instead of adding one.
ALERT_SECTION_START = "<!-- alert-delivery -->"
ALERT_SECTION_END = "<!-- /alert-delivery -->"

# Report columns that show several fields of the contract in one cell.
COMBINED_COLUMNS: dict[str, tuple[str, ...]] = {
    "period": ("period_start", "period_end"),
    "page": ("canonical_url", "source_url"),
}
# What a reviewer reads first, in this order; every other field of the contract follows, in the
# contract's order (so a field added to the contract shows up here without an edit).
LEADING_COLUMNS: tuple[str, ...] = (
    "record_id",
    "source_id",
    "metric",
    "count",
    "qualifier",
    "victim",
    "actor",
    "target",
    "location",
    "period",
    "published_at",
    "page",
    "evidence",
)


def _record_columns() -> tuple[str, ...]:
    shown = {name for column in LEADING_COLUMNS for name in COMBINED_COLUMNS.get(column, (column,))}
    return (*LEADING_COLUMNS, *(name for name in FIELD_NAMES if name not in shown))


#: the columns of the records tables: together they show every field of the contract
RECORD_COLUMNS: tuple[str, ...] = _record_columns()
# List-valued fields, shown one name per line.
LIST_COLUMNS: frozenset[str] = frozenset(fields_of(ARROW_STRING_LIST))


STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; }
.ok { color: #1a7f37; } .bad { color: #b42318; font-weight: bold; } .warn { color: #9a6700; }
td.evidence { max-width: 40em; }
code { font-size: 0.9em; }
"""


def _e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute; None shows as an empty cell."""
    return "" if value is None else html.escape(str(value), quote=True)


def _link(url: Any) -> str:
    if not isinstance(url, str) or not url:
        return _e(url)
    url = without_userinfo(url)
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return _e(url)
    if scheme in LINK_SCHEMES:
        return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(url)}</a>'
    return _e(url)


def _period(row: dict[str, Any]) -> str:
    start, end = row.get("period_start"), row.get("period_end")
    if start is None and end is None:
        return ""
    return f"{_e(start)} .. {_e(end)}"


def _cell(row: dict[str, Any], column: str) -> str:
    if column == "period":
        return f"<td>{_period(row)}</td>"
    if column == "page":
        canonical, source = row.get("canonical_url"), row.get("source_url")
        fetched = f"<br>fetched from {_link(source)}" if canonical and source and source != canonical else ""
        return f"<td>{_link(canonical or source)}{fetched}</td>"
    if column == "evidence":
        return f'<td class="evidence">{_e(row.get("evidence"))}</td>'
    if column in LIST_COLUMNS:
        return f"<td>{_names(row.get(column))}</td>"
    return f"<td>{_e(row.get(column))}</td>"


def _names(values: Any) -> str:
    if not values:
        return ""
    return "<br>".join(f"<code>{_e(v)}</code>" for v in values)


def problem_notes(gx_result: dict[str, Any]) -> dict[Any, list[str]]:
    """record_id -> "expectation: what is wrong", from GX's unexpected rows (the ``problem_*``
    columns of the validated frame carry a sentence, the others their offending values)."""
    notes: dict[Any, list[str]] = defaultdict(list)
    for item in gx_result.get("results") or []:
        meta = (item.get("expectation_config") or {}).get("meta") or {}
        for hit in (item.get("result") or {}).get("unexpected_index_list") or []:
            if not isinstance(hit, dict):
                continue
            values = [
                str(value) if key.startswith(PROBLEM_COLUMN_PREFIX) else f"{key}={value}"
                for key, value in hit.items()
                if key not in INDEX_COLUMNS
            ]
            notes[hit.get("record_id")].append(f"{meta.get('name', '?')}: {'; '.join(values)}")
    return notes


def _records_table(
    rows: Sequence[dict[str, Any]],
    extra: Iterable[tuple[str, str]],
    notes: dict[Any, list[str]],
    total: int | None = None,
) -> str:
    extra = list(extra)
    if not rows:
        return "<p>None.</p>"
    labels = (*RECORD_COLUMNS, *(label for label, _ in extra), "why")
    head = "".join(f"<th>{_e(c)}</th>" for c in labels)
    body = []
    for row in rows[:MAX_REPORT_ROWS]:
        cells = "".join(_cell(row, c) for c in RECORD_COLUMNS)
        cells += "".join(f"<td>{_names(row.get(key))}</td>" for _, key in extra)
        why = notes.get(row.get("record_id")) or []
        cells += "<td>" + "<br>".join(_e(note) for note in why) + "</td>"
        body.append(f"<tr>{cells}</tr>")
    more = ""
    total = max(len(rows), total or 0)  # the rows given may be the first ones only
    if total > MAX_REPORT_ROWS:
        more = f"<p>... and {total - MAX_REPORT_ROWS} more.</p>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _expectations_table(results: Sequence[dict[str, Any]]) -> str:
    if not results:
        return "<p>No expectations were evaluated.</p>"
    body = []
    for r in results:
        if r["success"]:
            status = '<span class="ok">ok</span>'
        elif r["level"] == CRITICAL:
            status = '<span class="bad">broken</span>'
        else:
            status = '<span class="warn">flagged</span>'
        ids = list(r.get("unexpected_record_ids") or r.get("unexpected_sources") or [])
        shown = ", ".join(f"<code>{_e(i)}</code>" for i in ids[:MAX_IDS_PER_EXPECTATION])
        total = max(len(ids), r.get("unexpected_count") or 0)  # the ids given may be the first ones only
        if total > MAX_IDS_PER_EXPECTATION:
            shown += f" ... (+{total - MAX_IDS_PER_EXPECTATION})"
        errors = "".join(f"<br>error: {_e(msg)}" for msg in r.get("exceptions") or [])
        body.append(
            f"<tr><td><code>{_e(r['name'])}</code></td><td>{_e(r['level'])}</td><td>{status}{errors}</td>"
            f"<td>{_e(r['unexpected_count'])}</td><td>{shown}</td></tr>"
        )
    head = "<th>expectation</th><th>level</th><th>result</th><th>records (or sources)</th><th>ids</th>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _source_warnings_html(warnings: Sequence[dict[str, Any]]) -> str:
    if not warnings:
        return "<p>None.</p>"
    body = "".join(
        f"<tr><td><code>{_e(w.get('source_id'))}</code></td><td><code>{_e(w.get('name'))}</code></td>"
        f"<td>{_e(w.get('detail'))}</td></tr>"
        for w in warnings
    )
    return f"<table><thead><tr><th>source</th><th>warning</th><th>what</th></tr></thead><tbody>{body}</tbody></table>"


def _reason(value: Any) -> str:
    """A delivery reason, escaped, with any URL's ``user:password@`` removed."""
    return _e(redact_userinfo(str(value))) if value is not None else ""


def alert_delivery_html(delivery: dict[str, Any]) -> str:
    """A section saying whether the run's alert went out, per channel, and why not when it did not."""
    status = str(delivery.get("status"))
    css = "ok" if status in {"sent", "not_needed"} else "bad"
    rows = "".join(
        f"<tr><td>{_e(name)}</td><td>{_e(result.get('status'))}</td><td>{_reason(result.get('reason'))}</td></tr>"
        for name, result in sorted((delivery.get("channels") or {}).items())
    )
    table = (
        f"<table><thead><tr><th>channel</th><th>status</th><th>reason</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    reason = delivery.get("reason")
    return (
        f"{ALERT_SECTION_START}<h2>Alert delivery</h2>"
        f'<p>alert_delivery: <span class="{css}">{_e(status)}</span>'
        f"{' (' + _reason(reason) + ')' if reason else ''}; at {_e(delivery.get('attempted_at'))}</p>"
        f"{table}{ALERT_SECTION_END}"
    )


def with_alert_delivery(page: str, delivery: dict[str, Any]) -> str:
    """The report page with its alert-delivery section replaced (or added before ``</body>``)."""
    start, end = page.find(ALERT_SECTION_START), page.find(ALERT_SECTION_END)
    if start != -1 and end != -1:
        page = page[:start] + page[end + len(ALERT_SECTION_END) :]
    section = alert_delivery_html(delivery)
    if "</body>" in page:
        return page.replace("</body>", section + "</body>", 1)
    return page + section


def render_report_html(outcome: ValidationOutcome, *, title: str) -> str:
    """One self-contained page: verdict, counts, each expectation, the held-back and flagged records."""
    return render_report(
        title=title,
        summary=outcome.summary(),
        success=outcome.success,
        gx_meta=outcome.gx_result.get("meta") or {},
        gx_statistics=outcome.gx_result.get("statistics") or {},
        expectation_results=outcome.expectation_results,
        failed=outcome.failed,
        flagged=[row for row in outcome.passed if row.get("flags")],
        notes=problem_notes(outcome.gx_result),
        source_warnings=outcome.source_warnings,
    )


def render_night_report_html(
    night: NightOutcome, *, title: str, expectation_results: Sequence[dict[str, Any]]
) -> str:
    """The night's page from its units folded together (:class:`~conflict_ingest.validate.night.NightOutcome`):
    the same page as :func:`render_report_html` of one validation of the whole night."""
    return render_report(
        title=title,
        summary=night.summary(),
        success=night.success,
        gx_meta=night.gx_meta,
        gx_statistics=night.gx_statistics,
        expectation_results=expectation_results,
        failed=[row for _, row in night.failed_rows],
        flagged=[row for _, row in night.flagged_rows],
        notes=night.notes,
        source_warnings=night.source_warnings,
        flagged_total=night.flagged,
    )


def render_report(
    *,
    title: str,
    summary: dict[str, Any],
    success: bool,
    gx_meta: dict[str, Any],
    gx_statistics: dict[str, Any],
    expectation_results: Sequence[dict[str, Any]],
    failed: Sequence[dict[str, Any]],
    flagged: Sequence[dict[str, Any]],
    notes: dict[Any, list[str]],
    source_warnings: Sequence[dict[str, Any]],
    flagged_total: int | None = None,
) -> str:
    """The page from its parts; ``failed`` and ``flagged`` may be the first rows only (the summary's
    ``failed`` and ``flagged_total`` count them all)."""
    verdict = '<span class="ok">PASSED</span>' if success else '<span class="bad">FAILED</span>'
    run_id = gx_meta.get("run_id") or {}
    flagged_count = max(len(flagged), flagged_total or 0)
    facts = [
        ("records", summary["total"]),
        ("passed", summary["passed"]),
        ("held back", summary["failed"]),
        ("flagged (landed)", flagged_count),
        ("expectations evaluated", gx_statistics.get("evaluated_expectations")),
        ("run time", run_id.get("run_time") if isinstance(run_id, dict) else None),
        ("Great Expectations", gx_meta.get("great_expectations_version")),
    ]
    facts_html = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1>"
        f"<p>Validation {verdict}</p>"
        f"<table>{facts_html}</table>"
        f"<h2>Expectations</h2>{_expectations_table(expectation_results)}"
        f"<h2>Held back ({summary['failed']})</h2>"
        f"{_records_table(failed, [('failed expectations', 'failed_expectations')], notes, summary['failed'])}"
        f"<h2>Landed with flags ({flagged_count})</h2>"
        f"{_records_table(flagged, [], notes, flagged_count)}"
        f"<h2>Source warnings ({len(source_warnings)})</h2>"
        f"{_source_warnings_html(source_warnings)}"
        "</body></html>\n"
    )
