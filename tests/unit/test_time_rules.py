"""Each time rule on its own: the example phrase of its docstring gives the expected expression.

A new rule of ``periods.TIME_RULES`` gets a one-line docstring "<example phrase>: <what it means>" and a row
in ``EXPECTED`` here; the tests below check the rule alone on that phrase, and that in the whole ordered
pass no earlier rule takes the phrase from it.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from dataclasses import dataclass
from typing import Any

import pytest

from conflict_ingest.extract import periods
from conflict_ingest.extract.periods import TIME_RULES, PeriodContext, TimeExpr, find_time_expressions

D = dt.date
WED = D(2020, 3, 18)  # the reference day: a Wednesday
ANCHOR = D(2020, 3, 1)  # an event start the page named earlier
FRI = D(2020, 3, 13)  # the incident's day an earlier sentence stated ("On Friday, ...")


@dataclass(frozen=True)
class Want:
    """What a rule reads in its example phrase."""

    kind: str
    start: dt.date | None = None
    end: dt.date | None = None
    cumulative: bool = False
    lookback_days: int = 0
    anchor: dt.date | None = None  # an event start the rule records in ``ctx.anchors``


EXPECTED: dict[str, Want] = {
    "rule_dateline": Want("anchor"),  # claimed, never bound, no event start either
    "rule_n_day_operation": Want("span", D(2019, 8, 20), D(2019, 8, 31), anchor=D(2019, 8, 20)),
    "rule_since_comparison": Want("anchor"),  # claimed, never bound
    "rule_since_last_report": Want("since", D(2020, 3, 12), WED, cumulative=True),
    "rule_since": Want("since", D(2019, 10, 17), WED, cumulative=True, anchor=D(2019, 10, 17)),
    "rule_since_event": Want("since", ANCHOR, WED, cumulative=True),
    "rule_between": Want("span", D(2019, 10, 7), D(2019, 11, 24), anchor=D(2019, 10, 7)),
    "rule_hours_to": Want("span", D(2020, 3, 17), WED),
    "rule_overnight_into": Want("span", D(2020, 3, 17), WED),
    "rule_overnight_alone": Want("span", D(2020, 3, 17), WED),
    "rule_past_hours": Want("span", D(2020, 3, 16), WED),
    "rule_past_day": Want("span", D(2020, 3, 17), WED),
    "rule_period_to": Want("span", D(2020, 3, 7), FRI),
    "rule_period_before": Want("span", D(2018, 10, 2), D(2019, 4, 1)),
    "rule_past_weeks": Want("span", D(2020, 3, 4), WED),
    "rule_week_of_month": Want("span", D(2020, 2, 23), D(2020, 2, 29)),
    "rule_first_n": Want("span", ANCHOR, D(2020, 3, 3)),
    "rule_over_n_days": Want("span", ANCHOR, WED),
    "rule_lookback": Want("lookback", lookback_days=12),
    "rule_event_start": Want("anchor", anchor=D(2019, 8, 8)),
    "rule_day_range": Want("span", D(2019, 6, 21), D(2019, 6, 22)),
    "rule_during_war": Want("since", ANCHOR, WED, cumulative=True),
    "rule_two_atom_span": Want("span", D(2020, 3, 17), WED),
    "rule_cutoff": Want("cutoff", None, D(2019, 9, 30), cumulative=True),
    "rule_weekend": Want("span", FRI, D(2020, 3, 15)),
    "rule_relative_day": Want("day", D(2020, 3, 14), D(2020, 3, 14)),
    "rule_last_week": Want("span", D(2020, 3, 11), D(2020, 3, 17)),
    "rule_this_week": Want("span", D(2020, 3, 16), WED, cumulative=True),
    "rule_last_month": Want("month", D(2020, 2, 1), D(2020, 2, 29)),
    "rule_this_month": Want("month", D(2020, 3, 1), WED, cumulative=True),
    "rule_month_last_year": Want("month", D(2019, 10, 1), D(2019, 10, 31)),
    "rule_last_year": Want("year", D(2019, 1, 1), D(2019, 12, 31)),
    "rule_this_year": Want("year", D(2020, 1, 1), WED, cumulative=True),
    "rule_part_of_year": Want("span", D(2020, 1, 1), D(2020, 3, 31)),
    "rule_last_monthname": Want("month", D(2019, 10, 1), D(2019, 10, 31)),
    "rule_month_before": Want("month", D(2019, 9, 1), D(2019, 9, 30)),
    "rule_single_atom": Want("day", D(2020, 3, 17), D(2020, 3, 17)),
}


def example_phrase(rule: Any) -> str:
    """The example phrase a rule's docstring opens with (before the colon, asides in parentheses dropped)."""
    head = inspect.getdoc(rule).split(":", 1)[0]  # type: ignore[union-attr]
    return re.sub(r"\s*\([^)]*\)", "", head).strip()


def _ctx() -> PeriodContext:
    return PeriodContext(ref=WED, anchors=[ANCHOR], event_days=(FRI, FRI))


def _the_expression(exprs: list[TimeExpr], cutoff: TimeExpr | None, want: Want) -> TimeExpr | None:
    if want.kind == "cutoff":
        return cutoff
    got = [
        e for e in exprs if e.kind == want.kind and e.period_start == want.start and e.period_end == want.end
    ]
    return got[0] if got else None


def _check(expr: TimeExpr | None, exprs: list[TimeExpr], ctx: PeriodContext, want: Want) -> None:
    if want.kind == "anchor":
        assert exprs == [], exprs  # an event start is remembered, never bound
    else:
        assert expr is not None, exprs
        assert (expr.period_start, expr.period_end) == (want.start, want.end)
        assert expr.cumulative == want.cumulative
        assert expr.lookback_days == want.lookback_days
    if want.anchor is not None:
        assert ctx.anchors[-1] == want.anchor, ctx.anchors


@pytest.mark.parametrize("rule", TIME_RULES, ids=lambda r: r.__name__)
def test_each_rule_reads_its_docstring_example_on_its_own(rule: Any) -> None:
    want = EXPECTED[rule.__name__]
    phrase = example_phrase(rule)
    ctx = _ctx()
    claims = periods._Claims(phrase)
    rule(phrase, ctx, claims)
    _check(_the_expression(claims.found, claims.cutoff, want), claims.found, ctx, want)


@pytest.mark.parametrize("rule", TIME_RULES, ids=lambda r: r.__name__)
def test_no_earlier_rule_takes_a_rules_example_from_it(rule: Any) -> None:
    want = EXPECTED[rule.__name__]
    phrase = example_phrase(rule)
    ctx = _ctx()
    exprs, cutoff = find_time_expressions(phrase, ctx)
    if want.kind == "month" and rule.__name__ == "rule_month_before":
        exprs = [
            e for e in exprs if e.period_start != D(2019, 10, 1)
        ]  # "In October" is the single-atom rule's
    _check(_the_expression(exprs, cutoff, want), exprs, ctx, want)


def test_time_rules_list_every_rule_of_the_module_once_in_source_order() -> None:
    module_rules = {
        name
        for name, fn in vars(periods).items()
        if name.startswith("rule_") and inspect.isfunction(fn) and fn.__module__ == periods.__name__
    }
    names = [r.__name__ for r in TIME_RULES]
    assert len(names) == len(set(names)), names
    assert set(names) == module_rules
    # read top to bottom, the module lists the rules in the order they run
    lines = [inspect.getsourcelines(r)[1] for r in TIME_RULES]
    assert lines == sorted(lines), names
    assert set(EXPECTED) == set(names)  # every rule has its test row here


@pytest.mark.parametrize("rule", TIME_RULES, ids=lambda r: r.__name__)
def test_each_rule_has_a_one_line_docstring_opening_with_its_example(rule: Any) -> None:
    doc = inspect.getdoc(rule)
    assert doc and "\n" not in doc, rule.__name__
    phrase, _, meaning = doc.partition(": ")
    assert phrase and meaning, doc
    assert example_phrase(rule)[:1].isupper(), doc
