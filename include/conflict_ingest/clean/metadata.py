"""Metadata: title, canonical URL, publication date."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import tld
from bs4 import BeautifulSoup
from lxml import etree

from conflict_ingest.clean import dates
from conflict_ingest.clean.blocks import _all_text, _Candidate, _tag, render
from conflict_ingest.clean.budget import _check, _note, _tick
from conflict_ingest.clean.constants import (
    ARTICLE_CONTAINER_LEVELS,
    ARTICLE_TYPES,
    CLOCK_CLASS_RE,
    DATE_CLASS_RE,
    DATELINE_MAX_CHARS,
    GENERIC_DATE_META_KEYS,
    HEAD_END_RE,
    HEAD_MAX_CHARS,
    INVISIBLE_RE,
    JSONLD_MAX_CHARS,
    JSONLD_MAX_DEPTH,
    JSONLD_TYPE,
    PUBLISHED_META_KEYS,
    PUBLISHED_WORDS_RE,
    SKIP_TAGS,
    TITLE_SEPARATORS_RE,
    UPDATED_RE,
)
from conflict_ingest.clean.decode import _parse_html
from conflict_ingest.clean.main_text import _ancestors

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Metadata: title, canonical URL, publication date.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadInfo:
    """What the document head declares: <title>, <meta> values by lower-cased name/property/itemprop
    (first wins), the canonical link, and the raw text of its JSON-LD scripts."""

    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    canonical: str | None = None
    jsonld: tuple[str, ...] = ()


def head_slice(html: str) -> str:
    """The document up to the end of its head (the whole page, capped, when no end is found)."""
    m = HEAD_END_RE.search(html)
    return html[: m.start()] if m else html[:HEAD_MAX_CHARS]


def read_head(html: str) -> HeadInfo:
    """Parse the head slice of ``html`` with BeautifulSoup (lxml backend) for the page metadata."""
    soup = BeautifulSoup(head_slice(html), "lxml")
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = _attr(tag, "property") or _attr(tag, "name") or _attr(tag, "itemprop")
        content = _attr(tag, "content")
        if key and content:
            meta.setdefault(key.lower(), content)
    title_tag = soup.find("title")
    canonical = None
    for link in soup.find_all("link", href=True):
        rel_words = str(_attr(link, "rel")).lower().split()
        if "canonical" in rel_words and _attr(link, "href"):
            canonical = _attr(link, "href")
            break
    jsonld = tuple(
        script.string
        for script in soup.find_all("script")
        if _attr(script, "type").lower() == JSONLD_TYPE and script.string
    )
    return HeadInfo(
        title=render(title_tag.get_text()) if title_tag is not None else "",
        meta=meta,
        canonical=canonical,
        jsonld=jsonld,
    )


def _attr(tag: Any, name: str) -> str:
    value = tag.get(name)
    if isinstance(value, list):
        value = " ".join(value)
    return value.strip() if isinstance(value, str) else ""


def _page_head(root: Any, html: str) -> HeadInfo:
    """The head's metadata, completed by what the body declares (microdata <meta>, body JSON-LD,
    a <title> or canonical link that the parser found outside the head)."""
    head = read_head(html)
    meta = dict(head.meta)
    body = root.find("body")
    jsonld = list(head.jsonld)
    if body is not None:
        for m in body.iter("meta"):
            key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
            content = m.get("content")
            if key and content:
                meta.setdefault(key, content.strip())
        for script in body.iter("script"):
            text = script.text
            if (script.get("type") or "").strip().lower() == JSONLD_TYPE and text and text not in jsonld:
                jsonld.append(text)
    title = head.title
    if not title:
        title_el = root.find(".//title")
        title = render(_all_text(title_el)) if title_el is not None else ""
    canonical = head.canonical
    if canonical is None:
        for link in root.iter("link"):
            if "canonical" in (link.get("rel") or "").lower().split() and (link.get("href") or "").strip():
                canonical = (link.get("href") or "").strip()
                break
    return HeadInfo(title=title, meta=meta, canonical=canonical, jsonld=tuple(jsonld))


def _title(root: Any, head: HeadInfo) -> str:
    meta = head.meta
    h1s = [render(_all_text(h)) for h in root.iter("h1")]
    h1s = [h for h in h1s if h]
    doc_title = head.title
    og = render(meta.get("og:title", "")) or render(meta.get("twitter:title", ""))
    for cand in (og, doc_title):
        if cand and any(h == cand for h in h1s):
            return cand
    if og:
        return _strip_site(og, h1s)
    if h1s and len(h1s[0].split()) >= 2:
        return h1s[0]
    return _strip_site(doc_title, h1s)


def _strip_site(title: str, h1s: list[str]) -> str:
    parts = [p for p in TITLE_SEPARATORS_RE.split(title) if p]
    if len(parts) < 2:
        return title
    for h in h1s:
        if h in parts:
            return h
    return max(parts, key=len)


def _canonical(head: HeadInfo, url: str | None) -> str | None:
    """The page's canonical URL: its <link rel=canonical>, else its og:url, resolved against ``url``,
    when :func:`canonical_refusal` allows it; else ``url`` (a note says why the declared one was not
    used). A page can thus never claim another site's identity (canonical_url keys record_id)."""
    declared = [("canonical link", head.canonical)] if head.canonical else []
    og = head.meta.get("og:url", "").strip()
    if og:
        declared.append(("og:url", og))
    for which, value in declared:
        try:
            resolved = urljoin(url or "", value)
        except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 literal)
            _note("canonical_refused", f"{which} {value[:200]!r} is not a valid URL; the fetched URL is kept")
            continue
        reason = canonical_refusal(resolved, url)
        if reason is None:
            return resolved
        _note("canonical_refused", f"{which} {resolved[:200]!r} {reason}; the fetched URL is kept")
    return url or None


def _site(host: str) -> str:
    """The registrable domain of a host by the public suffix list (private suffixes such as github.io
    count); under a TLD the list lacks (``.example``, ``.test``) the list's default rule ``*`` applies
    (the last two labels); an IP address is its own site."""
    host = host.lower()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return host
    found = tld.get_fld(host, fail_silently=True, fix_protocol=True)
    return str(found) if found else ".".join(host.split(".")[-2:])


def canonical_refusal(canonical: str, url: str | None) -> str | None:
    """Why ``canonical`` may not stand for the page fetched at ``url`` (None when it may): it must be
    http(s) with a host, on the registrable domain of ``url``."""
    try:
        parts = urlsplit(canonical)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "is not an http(s) URL"
    if not url:
        return "cannot be checked: no fetched URL"
    try:
        page_host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return "cannot be checked: the fetched URL is not valid"
    if host == page_host or _site(host) == _site(page_host):
        return None
    return f"is not on the page's registrable domain {_site(page_host)!r}"


def _jsonld_depth_exceeds(raw: str, limit: int) -> bool:
    """Whether the JSON text nests arrays/objects deeper than ``limit`` (a linear scan; strings skipped)."""
    depth = 0
    for m in JSON_TOKEN_RE.finditer(raw):
        char = m.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


#: Strings and brackets of a JSON text.
JSON_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _jsonld_objects(head: HeadInfo) -> Iterator[dict[str, Any]]:
    for text in head.jsonld:
        raw = text.strip()
        if len(raw) > JSONLD_MAX_CHARS or _jsonld_depth_exceeds(raw, JSONLD_MAX_DEPTH):
            _note(
                "jsonld_skipped",
                f"a JSON-LD script of {len(raw)} characters exceeds {JSONLD_MAX_CHARS} characters "
                f"or {JSONLD_MAX_DEPTH} levels of nesting; only its datePublished is looked for",
            )
            data = None
        else:
            try:
                data = json.loads(raw, strict=False)
            except ValueError:
                _note(
                    "jsonld_invalid",
                    "a JSON-LD script is not valid JSON; only its datePublished is looked for",
                )
                data = None
        if data is None:
            m = re.search(r'"datePublished"\s*:\s*"([^"]+)"', raw)
            if m:
                yield {"@type": "Article", "datePublished": m.group(1)}
            continue
        yield from _walk_json(data)


def _walk_json(data: Any) -> Iterator[dict[str, Any]]:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            graph = item.get("@graph")
            if graph is not None:
                stack.append(graph)
            main = item.get("mainEntity")
            if isinstance(main, (dict, list)):
                stack.append(main)


def _types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t.rsplit("/", 1)[-1]}
    if isinstance(t, list):
        return {str(x).rsplit("/", 1)[-1] for x in t}
    return set()


def _date_jsonld(head: HeadInfo) -> str | None:
    article, other = None, None
    for obj in _jsonld_objects(head):
        value = obj.get("datePublished") or obj.get("dateCreated")
        if not isinstance(value, str):
            continue
        parsed = dates.parse_any(value)
        if not parsed:
            continue
        types = _types(obj)
        if types & (ARTICLE_TYPES - {"WebPage"}):
            article = article or parsed
        else:
            other = other or parsed
    return article or other


def _date_meta_keys(meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` present in ``meta`` whose value parses as a date."""
    for key in keys:
        if key in meta:
            parsed = dates.parse_any(meta[key])
            if parsed:
                return parsed
    return None


def _date_microdata(root: Any) -> str | None:
    """The first body element marked ``itemprop="datePublished"`` outside the site's chrome."""
    in_chrome = _AncestorFlag(_is_chrome)
    for el in root.iterfind('.//*[@itemprop="datePublished"]'):
        _tick("dates")
        if in_chrome(el):
            continue
        value = el.get("content") or el.get("datetime") or render(_all_text(el))
        parsed = dates.parse_any(value) if value else None
        if parsed:
            return parsed
    return None


#: class/id words of an element that stamps the page's last modification.
UPDATE_CLASS_RE = re.compile(r"updated|modified", re.I)
#: class/id words of an element that stamps the publication.
PUBLISH_CLASS_RE = re.compile(r"publish|posted|created", re.I)

#: class/id words of chrome containers (besides CLOCK_CLASS_RE) whose dates are never the article's.
CHROME_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:comments?|sidebar|related|widget|footer|side|rail|top-?bar|navbar)(?=$|[\s_-])", re.I
)


def _is_chrome(el: Any) -> bool:
    """The element itself is the site's clock/masthead, comments, sidebar, nav or footer."""
    if _tag(el) in ("footer", "nav", "aside"):
        return True
    cls = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(CLOCK_CLASS_RE.search(cls) or CHROME_CLASS_RE.search(cls))


class _AncestorFlag:
    """Whether an element or one of its ancestors passes ``test``, memoised: each element is tested
    once, so asking for every element of a deep tree stays linear."""

    def __init__(self, test: Any) -> None:
        self.test = test
        self.memo: dict[Any, bool] = {}

    def __call__(self, el: Any) -> bool:
        chain: list[Any] = []
        cur, value = el, False
        while cur is not None:
            known = self.memo.get(cur)
            if known is not None:
                value = known
                break
            chain.append(cur)
            cur = cur.getparent()
        for node in reversed(chain):
            value = value or bool(self.test(node))
            self.memo[node] = value
        return value


def _chrome_roots(root: Any) -> list[Any]:
    """The outermost chrome elements (:func:`_is_chrome`) under ``root``, in one walk."""
    out: list[Any] = []
    walker = etree.iterwalk(root, events=("start",))
    for _, el in walker:
        _tick("chrome")
        if el is not root and _tag(el) and _is_chrome(el):
            out.append(el)
            walker.skip_subtree()
    return out


def _preceding_text(el: Any, limit: int = 60) -> str:
    """Text just before ``el`` inside its parent (to spot "Updated" labels)."""
    parent = el.getparent()
    if parent is None:
        return ""
    # backwards from ``el``, only as far as ``limit`` characters (many stamps in one parent stay linear)
    parts: list[str] = []
    size = 0
    sib = el.getprevious()
    while sib is not None and size < limit:
        _tick("dates")
        for piece in (
            sib.tail or "",
            _all_text(sib) if isinstance(sib.tag, str) else "",
        ):  # a comment: its tail
            parts.append(piece)
            size += len(piece)
        sib = sib.getprevious()
    if sib is None and size < limit:
        parts.append(parent.text or "")
    return "".join(reversed(parts))[-limit:]


def _words_within(el: Any, max_words: int) -> str | None:
    """``render(_all_text(el))``, or None as soon as it is known to have more than ``max_words`` words."""
    parts: list[str] = []
    words = 0
    in_word = False  # the text so far ends inside a word
    for piece in el.itertext():
        if isinstance(piece, str):
            parts.append(piece)
            visible = INVISIBLE_RE.sub("", piece)
            runs = visible.split()
            if runs:
                words += len(runs) - (1 if in_word and not visible[0].isspace() else 0)
                in_word = not visible[-1].isspace()
            elif visible:
                in_word = False
            if words > max_words:
                return None
    return render("".join(parts))


def _text_within(el: Any, max_chars: int) -> str | None:
    """``render(_all_text(el))``, or None as soon as it is known to exceed ``max_chars`` (its visible
    characters alone do): a dateline check does not gather the text of a whole article."""
    parts: list[str] = []
    visible = 0
    for piece in el.itertext():
        if isinstance(piece, str):
            parts.append(piece)
            visible += len(INVISIBLE_RE.sub("", "".join(piece.split())))
            if visible > max_chars:
                return None
    text = render("".join(parts))
    return text if len(text) <= max_chars else None


#: A line that labels its date as the publication, the label first or after a byline separator:
#: "Published: 14:32 Wednesday 4 May 2016", "By A. Writer | Posted on 4 May 2016" (not "was published on").
BYLINE_LABEL_RE = re.compile(
    r"(?:^|[|\u00b7\u2022,;\u2013\u2014])\s*(?:first\s+)?(?:published|posted)\b", re.I
)


def _date_time_elements(root: Any, kept: list[_Candidate]) -> str | None:
    """The article's printed date: a <time> or dateline element (or a byline whose text labels its date
    "Published: ...", :data:`BYLINE_LABEL_RE`) between the headline and the body, else one after the
    body's start inside the article's container. Dates above the headline are the site's (clocks,
    tickers) and are not used; nor is a date labelled as an update."""
    body = root.find("body")
    if body is None:
        return None
    first_block = kept[0].owner if kept else None
    headline = body.find(".//h1")
    container = _article_container(kept)
    zones: dict[str, list[tuple[str, bool]]] = {"mid": [], "post": []}
    zone = "pre" if headline is not None else "mid"
    in_chrome = _AncestorFlag(_is_chrome)
    in_container = _AncestorFlag(lambda a: a is container)
    for el in body.iter():
        _tick("dates")
        if el is headline:
            zone = "mid"
        if el is first_block:
            zone = "post"
        tag = _tag(el)
        if zone == "pre" or not tag or tag in SKIP_TAGS:
            continue
        cls = f"{el.get('class') or ''} {el.get('id') or ''}"
        is_time = tag == "time" or el.get("itemprop") == "datePublished" or el.get("pubdate") is not None
        byline = bool(BYLINE_LABEL_RE.search(el.text or ""))  # "By A. Writer | Published: 14:32 ..."
        if not (is_time or byline or DATE_CLASS_RE.search(cls)):
            continue
        if zone == "post" and (container is None or not in_container(el)):
            continue
        if in_chrome(el):
            continue
        if is_time:
            value = _time_value(el)
            label = _preceding_text(el)
        else:
            short = _text_within(el, DATELINE_MAX_CHARS)
            if short is None:
                continue
            value = _first_dated(short)
            label = ""
        if not value:
            continue
        publish_class = bool(PUBLISH_CLASS_RE.search(cls))
        if UPDATED_RE.search(label) or (UPDATE_CLASS_RE.search(cls) and not publish_class):
            continue
        zones[zone].append((value, bool(PUBLISHED_WORDS_RE.search(label)) or publish_class or byline))
    for name in ("mid", "post"):
        found = zones[name]
        if found:
            return next((v for v, labelled in found if labelled), found[0][0])
    return None


def _article_container(kept: list[_Candidate]) -> Any:
    """The element holding all kept blocks, widened by ARTICLE_CONTAINER_LEVELS (bylines and
    datelines sit beside the body, not in it)."""
    if not kept:
        return None
    chains = [list(_ancestors(c.owner)) for c in (kept[0], kept[-1])]
    common = next((a for a in chains[0] if any(a is b for b in chains[1])), None)
    for _ in range(ARTICLE_CONTAINER_LEVELS):
        if common is None or _tag(common) in ("body", "html"):
            break
        parent = common.getparent()
        if parent is None or _tag(parent) in ("body", "html"):
            break
        common = parent
    return common


def _first_dated(text: str) -> str | None:
    """The first date in a dateline that is not labelled as an update."""
    for piece in re.split(r"(?=\b(?:updated?|modified|published|posted)\b)", text, flags=re.I):
        if re.match(r"\s*(?:updated?|modified)\b", piece, re.I):
            continue
        value = dates.parse_text_date(piece)
        if value:
            return value
    return None


@dataclass
class _DateEvidence:
    """What the publication-date rules read: the parsed page, its head, URL, kept blocks and text (and
    what a rule learnt that is not a day: ``month_only``)."""

    root: Any
    head: HeadInfo
    url: str | None
    kept: list[_Candidate]
    html: str
    huge: bool
    #: the month ("2011-07") htmldate read without a day, when that is all it found
    month_only: str | None = None


def _rule_jsonld(ev: _DateEvidence) -> str | None:
    """Structured data: ``{"@type": "NewsArticle", "datePublished": "2021-03-04T08:00:00Z"}``."""
    return _date_jsonld(ev.head)


def _rule_published_meta(ev: _DateEvidence) -> str | None:
    """A meta tag naming the publication: ``<meta property="article:published_time" content="2021-03-04">``."""
    return _date_meta_keys(ev.head.meta, PUBLISHED_META_KEYS)


def _rule_htmldate(ev: _DateEvidence) -> str | None:
    """htmldate's original date on the page without its chrome: "Posted on 4 March 2021" by the byline.
    htmldate gives a day; when our own reading of the page gives the same day with a time, that wins."""
    day = _date_htmldate(ev.html, ev.url, ev.huge)
    if day is None:
        return None
    if _month_only(day, ev.html, ev.url):
        ev.month_only = day[:7]  # a month, not a day: the weaker rules may still find the day
        return None
    for richer in (_rule_printed_dateline, _rule_microdata, _rule_generic_meta):
        value = richer(ev)
        if value and value[:10] == day and len(value) > len(day):
            return value
    return day


def _month_only(day: str, html: str, url: str | None) -> bool:
    """Whether htmldate's 1st of a month is a month it read without a day ("2011-07" in a reference
    number, "July 2011"), which it fills with the 1st: the page holds that month without a day and never
    prints the 1st itself ("July 1, 2011", "2011-07-01", "01.07.2011"), nor does its URL."""
    if not day.endswith("-01") or dates.states_day(html, day) or dates.date_from_url(url) == day:
        return False
    return dates.states_month_alone(html, int(day[:4]), int(day[5:7]))


def _rule_printed_dateline(ev: _DateEvidence) -> str | None:
    """A <time> or dateline element under the headline: ``<span class="date">March 4, 2021</span>``."""
    return _date_time_elements(ev.root, ev.kept)


def _rule_microdata(ev: _DateEvidence) -> str | None:
    """Microdata in the body: ``<span itemprop="datePublished">2021-03-04</span>``."""
    return _date_microdata(ev.root)


def _rule_generic_meta(ev: _DateEvidence) -> str | None:
    """A meta tag with some date of the page: ``<meta name="date" content="2021-03-04">``."""
    return _date_meta_keys(ev.head.meta, GENERIC_DATE_META_KEYS)


def _rule_url(ev: _DateEvidence) -> str | None:
    """The day in the URL's path: ``https://news.example/2021/03/04/story``."""
    return dates.date_from_url(ev.url)


#: The publication-date rules, most reliable in general first; the first answer wins. Declared
#: structured data and explicit publication meta tags are the publisher's own statement of the
#: original date; htmldate (original date, extensive search) reads the rest of the page better than
#: heuristics of our own, which only answer when it has nothing.
PUBLISHED_DATE_RULES: tuple[tuple[str, Callable[[_DateEvidence], str | None]], ...] = (
    ("jsonld_date_published", _rule_jsonld),
    ("meta_published_time", _rule_published_meta),
    ("htmldate_original", _rule_htmldate),
    ("printed_dateline", _rule_printed_dateline),
    ("microdata_date_published", _rule_microdata),
    ("meta_generic_date", _rule_generic_meta),
    ("url_date", _rule_url),
)


def _published_or_month(
    root: Any, head: HeadInfo, url: str | None, kept: list[_Candidate], html: str, huge: bool = False
) -> tuple[str | None, str | None]:
    """The page's publication date by :data:`PUBLISHED_DATE_RULES` and None; or (None, "YYYY-MM") when the
    page gives only its month; or (None, None)."""
    ev = _DateEvidence(root, head, url, kept, html, huge)
    found = _published_by_rule(ev)[1]
    return found, None if found else ev.month_only


def _published_by_rule(ev: _DateEvidence) -> tuple[str | None, str | None]:
    """(name of the rule that dated the page, the date), or (None, None)."""
    for name, rule in PUBLISHED_DATE_RULES:
        found = rule(ev)
        if found:
            return name, found
    return None, None


def _htmldate_tree(html: str, huge: bool) -> Any:
    """The tree htmldate reads: its own parse of the page (comments kept, as htmldate alone reads it),
    or ours for a page past libxml2's default limits."""
    if huge:
        return _parse_html(html, huge)
    from htmldate.utils import load_html

    if html.lstrip().startswith("http") and not any(c.isspace() for c in html.strip()):
        return None  # htmldate would take the text for a URL and download it
    try:
        return load_html(html)
    except (ValueError, TypeError) as err:
        logger.debug("htmldate could not parse the page: %s", err)
        return None


def _date_htmldate(html: str, url: str | None, huge: bool = False) -> str | None:
    """htmldate's original date (extensive search) on the page without its chrome (clocks, nav,
    sidebars, comments, footers, top bars), so a site clock or an older teaser's date cannot become the
    article's. A bare January 1st is htmldate's reading of a lone year (a copyright line), not a day."""
    try:
        import htmldate
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    root = _htmldate_tree(html, huge)
    body = root.find("body") if root is not None else None
    if body is None:
        return None
    # never the body itself, whatever its class says
    for el in _chrome_roots(body) + _update_stamps(body) + _site_blocks_above_headline(body):
        if el.getparent() is not None:
            el.drop_tree()
    _check("htmldate")
    try:
        found = htmldate.find_date(root, url=url, extensive_search=True, original_date=True)
    except Exception as err:  # noqa: BLE001 - third-party heuristics must never break cleaning
        logger.debug("htmldate failed: %s", err)
        return None
    if not found or found.endswith("-01-01"):
        return None
    return dates.parse_iso(found)


#: Paragraph words (in at least two paragraphs) that make an ancestor of the headline the article.
ARTICLE_MIN_WORDS = 60


def _paragraph_words(el: Any) -> tuple[int, int]:
    """Words and paragraphs of the ``<p>`` elements in ``el`` (itself included)."""
    words = paras = 0
    for p in el.iter("p"):
        _tick("dates")
        n = len(_all_text(p).split())
        words += n
        paras += 1 if n else 0
    return words, paras


def _site_blocks_above_headline(body: Any) -> list[Any]:
    """What comes before the headline (the first ``<h1>``) outside the article that holds it: the site's
    masthead or top strip, whose date of the day ("Tuesday, 3 March 2020") is never the article's, with
    or without a class that says so. The article is the headline's lowest ancestor whose paragraphs hold
    :data:`ARTICLE_MIN_WORDS` words in two or more paragraphs (a date printed above the headline inside it
    stays); a page whose body text sits beside the headline directly in ``<body>`` gives nothing. A block
    that labels its date as the publication ("Published 4 May 2016", ``itemprop="datePublished"``, a
    ``pubdate`` attribute, a "published"/"pubdate" class) or holds a script or meta element is kept."""
    headline = body.find(".//h1")
    if headline is None:
        return []
    # up from the headline, each level adding only the paragraphs of its other children (linear)
    node, article = headline, headline.getparent()
    words = paras = 0
    while article is not None and article is not body:
        for child in article:
            if child is not node:
                more_words, more_paras = _paragraph_words(child)
                words, paras = words + more_words, paras + more_paras
        if words >= ARTICLE_MIN_WORDS and paras >= 2:
            break
        node, article = article, article.getparent()
    if article is None or article is body:
        return []
    out: list[Any] = []
    node = article
    while node is not None and node is not body:
        for sib in node.itersiblings(preceding=True):
            _tick("dates")
            if _tag(sib) and not _labels_publication(sib):
                out.append(sib)
        node = node.getparent()
    return out


def _labels_publication(el: Any) -> bool:
    """Whether ``el`` holds a publication stamp that says so (or structured data htmldate reads)."""
    for node in el.iter():
        _tick("dates")
        tag = _tag(node)
        if (
            tag in ("script", "meta")
            or node.get("itemprop") == "datePublished"
            or node.get("pubdate") is not None
        ):
            return True
        if re.search(
            r"publish|posted|created|pubdate", f"{node.get('class') or ''} {node.get('id') or ''}", re.I
        ):
            return True
    return bool(PUBLISHED_WORDS_RE.search(_all_text(el)))


def _update_stamps(body: Any) -> list[Any]:
    """Elements that stamp a modification, not the publication: ``itemprop="dateModified"``, a
    ``<time>`` labelled "Updated", a short element of class "updated" (htmldate would read them too)."""
    out: list[Any] = []
    for el in body.iter():
        _tick("dates")
        tag = _tag(el)
        if not tag or tag in SKIP_TAGS:
            continue
        if el.get("itemprop") == "dateModified":
            out.append(el)
            continue
        cls = f"{el.get('class') or ''} {el.get('id') or ''}"
        # class="published updated" marks a post never updated since: its one stamp is the publication
        update_class = bool(UPDATE_CLASS_RE.search(cls)) and not PUBLISH_CLASS_RE.search(cls)
        if tag == "time" or el.get("datetime"):
            if update_class or UPDATED_RE.search(_preceding_text(el)):
                out.append(el)
        elif update_class:
            short = _text_within(el, DATELINE_MAX_CHARS)
            if short is not None and not PUBLISHED_WORDS_RE.search(short):
                out.append(el)
    return out


def _time_value(el: Any) -> str | None:
    value = el.get("datetime") or el.get("content") or el.get("data-timestamp")
    if value:
        return dates.parse_any(value)
    return dates.parse_text_date(render(_all_text(el)))
