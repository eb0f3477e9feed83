"""Date parsing for the cleaning stage: ISO strings, printed datelines and dates in URLs.

Every function returns an ISO 8601 string (``YYYY-MM-DD`` or a full datetime with its own offset,
never converted to another zone, so the day stays the publisher's day) or ``None``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

logger = logging.getLogger(__name__)

#: Years accepted as publication years (web news).
MIN_YEAR = 1990
MAX_YEAR = 2100

#: Month names and abbreviations (English, French, Spanish, Portuguese, Italian, German, Dutch,
#: Romanian), lower-case, without a trailing dot.
MONTH_NAMES: tuple[tuple[int, str], ...] = (
    (1, "jan january janv janvier enero ene janeiro gennaio gen januar jänner januari ianuarie ian"),
    (2, "feb february fév févr février fevrier febrero fevereiro fev febbraio februar februari februarie"),
    (3, "mar march mars marzo março marco märz maerz maart martie"),
    (4, "apr april avr avril abril abr aprile aprilie"),
    (5, "may mai mayo maio maggio mag mei"),
    (6, "jun june juin junio junho giugno giu juni iunie iun"),
    (7, "jul july juil juillet julio julho luglio lug juli iulie iul"),
    (8, "aug august août aout agosto ago augustus"),
    (9, "sep sept september septembre septiembre setembro set settembre septembrie"),
    (10, "oct october octobre octubre outubro out ottobre ott oktober okt octombrie"),
    (11, "nov november novembre noviembre novembro noiembrie"),
    (12, "dec december déc décembre decembre diciembre dic dezembro dez dicembre dezember decembrie"),
)
MONTHS: dict[str, int] = {name: num for num, names in MONTH_NAMES for name in names.split()}
_MONTH_RE = r"(?P<mon>" + "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True)) + r")\.?"

#: ISO dates and datetimes: 2021-05-12, 2021-05-12T08:05:00+03:00, 2021-05-12 08:05:00Z, and a 12-hour
#: clock as CMSes print it: 2021-05-12 4:05 PM, 2021-05-12 4:05 p.m.
ISO_RE = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"(?:\s*(?P<ampm>[AaPp])\.?[Mm]\b\.?)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
)
#: "Aug 18, 2017", "August 18 2017", "Aug. 18th, 2017".
MDY_RE = re.compile(r"\b" + _MONTH_RE + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})\b", re.I)
#: "9 December 2015", "18th of August, 2017", "20 septembrie 2020", "3 de mayo de 2020", "5. März 2020".
DMY_RE = re.compile(
    r"\b(?P<d>\d{1,2})(?:st|nd|rd|th|er)?\.?\s+(?:of\s+|de\s+)?"
    + _MONTH_RE
    + r",?\s+(?:de\s+)?(?P<y>\d{4})\b",
    re.I,
)
#: "2020年7月12日".
CJK_DATE_RE = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
#: "9/24/2014", "24.09.2014", "24/09/2014" (order decided by which part can be a month).
NUMERIC_RE = re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4})\b")
#: "2014/09/24", "2014.09.24".
YMD_SLASH_RE = re.compile(r"\b(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})\b")

#: Dates in URLs: /2019/12/30/, /2019-12-30-, /20191230/, id=2014092418 (date prefix of a number).
URL_DATE_RES = (
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[/_-](?P<m>[01]?\d)[/_-](?P<d>[0-3]?\d)(?!\d)"),
    re.compile(r"(?<![\d])(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?:\d{0,2})(?![\d])"),
)
#: A year and month only in a URL (/2019/12/slug) is not a day: not used.


def make_date(year: int, month: int, day: int) -> dt.date | None:
    """Return the date when it exists and lies in the accepted range."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_iso(value: str) -> str | None:
    """Parse an ISO-like date/datetime at the start of ``value`` into a normalised ISO string."""
    m = ISO_RE.match(value.strip())
    if not m:
        return None
    day = make_date(int(m["y"]), int(m["m"]), int(m["d"]))
    if day is None:
        return None
    if m["H"] is None:
        return day.isoformat()
    hour, minute, second = int(m["H"]), int(m["M"]), int(m["S"] or 0)
    if m["ampm"]:  # 12 AM is midnight, 12 PM noon; "13:05 PM" is no time
        if not 1 <= hour <= 12:
            return day.isoformat()
        hour = hour % 12 + (12 if m["ampm"].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return day.isoformat()
    stamp = f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}"
    tz = m["tz"]
    if tz:
        if tz == "Z":
            stamp += "+00:00"
        else:
            digits = tz.replace(":", "")
            stamp += f"{digits[:3]}:{digits[3:]}"
    return stamp


def parse_text_date(text: str) -> str | None:
    """Find the first date printed in ``text`` ("Aug 18, 2017 3:25 PM", "Posted: 9/24/2014")."""
    best: tuple[int, dt.date] | None = None
    for rx in (ISO_RE, MDY_RE, DMY_RE, CJK_DATE_RE, YMD_SLASH_RE, NUMERIC_RE):
        for m in rx.finditer(text):
            found = _match_to_date(rx, m)
            if found is not None:
                if best is None or m.start() < best[0]:
                    best = (m.start(), found)
                break
    return best[1].isoformat() if best else None


def states_day(text: str, day: str) -> bool:
    """Whether ``text`` prints the ISO day ``day`` in any of the forms :func:`parse_text_date` reads."""
    want = dt.date.fromisoformat(day)
    return any(
        _match_to_date(rx, m) == want
        for rx in (ISO_RE, MDY_RE, DMY_RE, CJK_DATE_RE, YMD_SLASH_RE, NUMERIC_RE)
        for m in rx.finditer(text)
    )


def states_month_alone(text: str, year: int, month: int) -> bool:
    """Whether ``text`` names the month ``year``-``month`` without a day: "2011-07" not followed by a
    day ("2011-07-S-064", a reference number), or "July 2011" with no day before it."""
    if re.search(rf"(?<![\d/.-]){year}[-/.]0?{month}(?!\d|[-/.]\d)", text):
        return True
    for m in re.finditer(_MONTH_RE + rf",?\s+{year}\b", text, re.I):
        day_before = re.search(r"\d(?:st|nd|rd|th)?\.?\s*$", text[max(0, m.start() - 6) : m.start()])
        if MONTHS.get(m["mon"].lower().rstrip(".")) == month and not day_before:
            return True
    return False


def _match_to_date(rx: re.Pattern[str], m: re.Match[str]) -> dt.date | None:
    if rx is ISO_RE or rx is YMD_SLASH_RE or rx is CJK_DATE_RE:
        return make_date(int(m["y"]), int(m["m"]), int(m["d"]))
    if rx is MDY_RE or rx is DMY_RE:
        month = MONTHS.get(m["mon"].lower().rstrip("."))
        return make_date(int(m["y"]), month, int(m["d"])) if month else None
    a, b, year = int(m["a"]), int(m["b"]), int(m["y"])
    if a > 12 >= b:
        return make_date(year, b, a)
    if b > 12 >= a or m.group(0)[len(m["a"])] == "/":
        return make_date(year, a, b)  # month first, the US reading, for slashes
    return make_date(year, b, a)  # dots: day first


def parse_any(value: str) -> str | None:
    """ISO first (keeps the time and offset), else a printed date."""
    return parse_iso(value) or parse_text_date(value)


def date_from_url(url: str | None) -> str | None:
    """The publication day encoded in a URL's path or query, if any."""
    if not url:
        return None
    for rx in URL_DATE_RES:
        for m in rx.finditer(url):
            day = make_date(int(m["y"]), int(m["m"]), int(m["d"]))
            if day is not None:
                return day.isoformat()
    return None
