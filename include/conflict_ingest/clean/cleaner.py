"""Cleaning stage: raw HTML -> title, publication date, canonical URL and the main text as blocks.

The page is decoded (:func:`decode_html`, with BeautifulSoup's ``EncodingDetector`` reading the
byte-order mark and the document's own charset declaration) and parsed once with lxml. The page
metadata (<title>, <meta> tags, canonical link, JSON-LD) is parsed with BeautifulSoup (lxml backend)
from the head slice of the document only (:func:`read_head`), which keeps it cheap; the body is walked
on the lxml tree (about 0.9 ms/page to build on the article-body benchmark, against 19 ms for a full
BeautifulSoup tree of the same pages). Our own walk over the tree
renders every unit of text as a candidate :class:`Block` (paragraphs, headings, list items, table
rows with their caption), remembering the element it came from. trafilatura then decides which
of that text is the article body; we keep the candidate blocks its output covers, drop those that
sit in boilerplate containers (comments, sidebars, captions, share bars, "key events" lists...)
and attach live-blog timestamps. The publication date comes from JSON-LD, meta tags, <time> and
dateline elements near the headline, the URL, and finally htmldate on the page without its chrome.

Hostile pages: every step is linear in the page's size (indexes, never pairwise scans of blocks or
repeated walks up the tree), and a page whose cleaning still exceeds a CPU budget (:data:`CPU_BUDGET_S`,
checked cooperatively in the loops, so it works in threads) is abandoned with
:class:`CleaningAbandoned` and its reason. Nothing is lost silently: a refused charset label, JSON-LD
beyond its bounds, a parse past libxml2's limits (deep nesting, huge text nodes) or a refused canonical
URL each take a fallback that is recorded in :attr:`CleanedPage.notes` (``"name: detail"``, names in
:data:`NOTE_NAMES`); unexpected errors propagate to the caller.

Nothing here names a site: selectors and word lists are the constants below.
"""

from __future__ import annotations

import codecs
import contextvars
import dataclasses
import functools
import ipaddress
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import tld
from bs4 import BeautifulSoup
from bs4.dammit import EncodingDetector, UnicodeDammit
from lxml import etree

from conflict_ingest.clean import dates
from conflict_ingest.errors import ConflictIngestError

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Constants: tags, class/id patterns, metadata keys.
# --------------------------------------------------------------------------------------------------

#: Elements whose content is never text of the page.
SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "button",
        "input",
        "select",
        "option",
        "textarea",
        "head",
        "title",
        "meta",
        "link",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "source",
        "map",
        "label",
        "frame",
        "frameset",
    ]
)
#: Elements that start a new block of text (anything else is inline).
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
HEADING_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
#: Elements that are never article body, whatever trafilatura says.
BOILERPLATE_TAGS = frozenset(["aside", "nav", "footer", "figcaption", "form", "header"])
#: ARIA roles that are never article body.
BOILERPLATE_ROLES = frozenset(
    ["navigation", "complementary", "contentinfo", "banner", "dialog", "search", "menu"]
)
#: class/id words marking containers that are never article body (matched as whole words of the
#: class or id, split on spaces, "-" and "_"; compounds are written with "-"). A class token that
#: starts or ends with one of them matches too, so compounds of listed words are not listed.
BOILERPLATE_CLASS_WORDS = (
    "comment", "comments", "commentlist", "discussion", "reply", "replies",
    "sidebar", "side", "rail", "aside", "widget", "widgets",
    "related", "relatedposts", "more-from", "more-stories", "more-list", "recommended", "recirc", "outbrain",
    "taboola", "read-more", "also-read", "see-also", "next-list", "latest-list", "recent-list",
    "popular", "most-read", "most-viewed", "trending", "trend-list", "teaser", "teasers",
    "share", "sharing", "sharedaddy", "social", "sociallinks",
    "promo", "newsletter", "subscribe", "signup", "paywall", "cookie", "consent", "gdpr",
    "nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "masthead", "site-header",
    "footer", "foot", "copyright", "legal", "disclaimer",
    "caption", "figcaption", "wp-caption-text", "credit",
    "dek", "standfirst", "subheadline", "subhead", "sub-headline", "kicker", "strapline", "summary-lead",
    "byline", "bio", "dateline-bar", "meta",
    "tags", "tag-list", "cat-links", "categories",
    "pullquote", "pull-quote", "pullout", "blockquote-pull",
    "key-events", "keyevents",
    "ad", "ads", "advert", "advertisement", "sponsored", "dfp",
    "site-stamp", "clock", "ticker", "weather", "breaking-bar", "top-strip",
    "print", "email-this", "skip-link", "screen-reader-text", "sr-only", "hidden",
)  # fmt: skip
_WORD_SPLIT = re.compile(r"[\s_]+")
#: A class token is boilerplate when it starts or ends with one of the words ("comment-list",
#: "lb-share"); a word in the middle ("content-with-sidebar-wrap") does not count.
_BP_WORDS = "|".join(re.escape(w) for w in BOILERPLATE_CLASS_WORDS)
BOILERPLATE_CLASS_RE = re.compile(
    r"(?:^|\s)(?:(?:" + _BP_WORDS + r")(?=$|\s|[_-])|[\w-]*[_-](?:" + _BP_WORDS + r")(?=$|\s))", re.I
)
#: A boilerplate-marked container holding more than this share of the kept words is a wrapper, not
#: boilerplate (e.g. ``<div class="content has-sidebar">``), and is not used to drop text.
BOILERPLATE_MAX_SHARE = 0.5

#: JSON-LD types that describe the article itself.
ARTICLE_TYPES = frozenset(
    [
        "Article",
        "NewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "TechArticle",
        "ScholarlyArticle",
        "Report",
        "SocialMediaPosting",
        "DiscussionForumPosting",
        "WebPage",
    ]
)
#: <meta> names/properties/itemprops giving the publication time, best first.
PUBLISHED_META_KEYS = (
    "article:published_time", "og:article:published_time", "og:published_time", "published_time",
    "article.published", "datepublished", "article_date_original", "publish-date", "publish_date",
    "publishdate", "pubdate", "pub_date", "parsely-pub-date", "sailthru.date", "dc.date.issued",
    "dcterms.issued", "dcterms.created", "dc.date.created", "citation_publication_date", "citation_date",
    "cxenseparse:recs:publishtime", "originalpublicationdate", "date", "dc.date", "dcterms.date",
    "displaydate", "ga_date", "created", "og:updated_time_never",
)  # fmt: skip
#: class/id words of elements that print the article's date (bylines, datelines).
DATE_CLASS_WORDS = (
    "date", "dateline", "pubdate", "published", "posted", "timestamp", "time", "dt", "byline", "meta", "datetime",
)  # fmt: skip
DATE_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:" + "|".join(re.escape(w) for w in DATE_CLASS_WORDS) + r")(?=$|[\s_-])", re.I
)
#: A dateline element longer than this is prose, not a dateline.
DATELINE_MAX_CHARS = 200
#: Datelines after the body's start count only inside the body's container widened this many levels.
ARTICLE_CONTAINER_LEVELS = 2
#: class/id words of the site chrome's clocks and stamps, whose dates are never the article's.
CLOCK_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:site-stamp|clock|header-date|today|current-date|edition|weather|ticker|top-strip|"
    r"masthead|mast-top|site-header|utility)(?=$|[\s_-])",
    re.I,
)
#: Words that, just before a date, mark it as a modification time rather than publication.
UPDATED_RE = re.compile(
    r"\b(?:updated?|modified|edited|revised|last\s+update|refreshed)\b[^0-9]{0,40}$", re.I
)
#: Words that mark a date as the publication time.
PUBLISHED_WORDS_RE = re.compile(r"\b(?:published|posted|first\s+published|started|issued|released)\b", re.I)

#: class words of live-blog entry stamps printed without a <time> element.
TIMESTAMP_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:time|timestamp|date|datetime|posted|post-date|entry-date|published)(?=$|[\s_-])", re.I
)
#: Short lines that are site furniture wherever they appear ("Advertisement", "Read more").
FURNITURE_LINE_RE = re.compile(
    r"^\W*(?:advertisement|advertising|sponsored(?: content)?|read more|see also|related(?: stories| articles)?"
    r"|share this(?: article| story)?|follow us|sign up|subscribe|click here|continue reading|skip ad"
    r"|story continues below|article continues below|scroll to continue)\b",
    re.I,
)
FURNITURE_MAX_WORDS = 8
#: A kept block whose words are mostly link text is navigation (a "key events" list, a teaser).
LINK_BLOCK_MAX_SHARE = 0.5
#: A block repeated inside a longer kept block (a pull quote) is dropped when it has this many words.
DUPLICATE_MIN_WORDS = 5

#: Where the document head ends; only that slice is parsed with BeautifulSoup for metadata.
HEAD_END_RE = re.compile(r"</head\s*>|<body[\s>]", re.I)
#: A page without a recognisable head end is searched this far for its metadata.
HEAD_MAX_CHARS = 300_000
JSONLD_TYPE = "application/ld+json"

#: Separators between a headline and the site name in <title>.
TITLE_SEPARATORS_RE = re.compile(r"\s+(?:\||-|–|—|::|:|»|·|•|/)\s+")

#: Invisible characters removed from rendered text.
INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
CJK_CHARS_PER_WORD = 2
WORD_RE = re.compile(r"\w+", re.UNICODE)

#: Charset declarations.
HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
#: How many bytes of the page are searched for a <meta charset>.
CHARSET_SNIFF_BYTES = 4096
#: Labels that browsers (WHATWG) decode as windows-1252.
WINDOWS_1252_LABELS = frozenset(
    ["iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "ascii", "us-ascii", "cp819", "ibm819"]
)
#: Python codec names of single-byte charsets that UTF-8 bytes are often mislabelled as.
SINGLE_BYTE_CODECS = frozenset(["cp1252", "latin-1", "iso8859-1", "iso8859-15", "ascii"])

#: Matching a candidate block against trafilatura's text: n-gram size and share of a block's
#: n-grams that must be in trafilatura's output for the block to be kept.
MATCH_NGRAM = 3
MATCH_MIN_SHARE = 0.5
#: Reconciling the two selections: a block of at least EXTRA_MIN_WORDS words is substantial prose;
#: a selection wins outright when its extra prose exceeds EXTRA_SHARE of the other's words.
EXTRA_MIN_WORDS = 15
EXTRA_SHARE = 0.5
#: Our own container selection stands alone when it holds at least SOLE_MIN_WORDS words of
#: substantial prose and SOLE_MIN_SHARE of all the page's substantial prose outside tables. Otherwise
#: (nothing found, or an article split across containers) trafilatura gives a second opinion. On the
#: article-body benchmark: 12 of 91 pages ask for it; F1 0.973 (0.976 asking on every page, at about
#: twice the cost per page).
SOLE_MIN_WORDS = 30
SOLE_MIN_SHARE = 0.6
#: Correction/update notes, recognised by how they begin, are article text wherever they sit.
CORRECTION_RE = re.compile(
    r"\W*(?:correction|clarification|update|updated|editor['\u2019]?s\s+note|note)\s*[:\-\u2014\u2013.]"
    r"|\W*(?:an\s+earlier\s+version\s+of\s+this\s+(?:article|story|report)|this\s+(?:article|story)\s+"
    r"(?:has\s+been|was)\s+(?:updated|corrected|amended))",
    re.I,
)
CORRECTION_MIN_WORDS = 6
#: Containers whose "Correction:" lines are not the article's (readers' comments, teasers).
CORRECTION_BLOCKERS_RE = re.compile(
    r"(?:^|[\s_-])(?:comments?|reply|replies|discussion|sidebar|related|teasers?|widget|promo|most-read|"
    r"popular|trending|rail|nav|menu|footer)(?=$|[\s_-])",
    re.I,
)
#: A data table has no cell longer than this many words (longer cells mean a layout table).
TABLE_MAX_CELL_WORDS = 60

#: Own main-text detection (readability-style): a prose paragraph has at least this many words and
#: at most this share of them in links.
PROSE_MIN_WORDS = 8
PROSE_MAX_LINK_SHARE = 0.3
#: class/id words of containers likely to hold the article.
POSITIVE_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:article|body|content|entry|main|page|post|text|blog|story|storytext|prose|feed|live)(?=$|[\s_-])",
    re.I,
)
CLASS_WEIGHT = 25
#: Containers that repeat are widened to their parent only through these tags (never through a
#: layout table) and only when they have a class or are entry-like tags.
LAYOUT_STOP_TAGS = frozenset(["td", "tr", "tbody", "thead", "table", "body", "html"])
ENTRY_TAGS = frozenset(["article", "section", "li"])
#: How far up the tree a repeated container (live-blog entry) is looked for.
REPEAT_MAX_LEVELS = 3
#: Siblings of the chosen container join it when they score this much (absolute / share of the top).
SIBLING_MIN_SCORE = 10.0
SIBLING_SHARE = 0.2
#: In the chosen container, text blocks with more than this share of link words are dropped.
OWN_MAX_LINK_SHARE = 0.5
#: Short blocks that are only a date/time (entry stamps, bylines) are dropped.
DATE_LINE_MAX_WORDS = 8
TIME_OF_DAY_RE = re.compile(r"\b\d{1,2}:\d{2}\b")

#: trafilatura (asked for a second opinion on the main text) slows down faster than linearly on very
#: large trees (libxml2 merging the node sets of ``//p//text()``: 12k paragraphs 0.4 s, 96k 11.6 s). A
#: page with more elements than this (ten times the largest of the benchmark pages) goes without it.
TRAFILATURA_MAX_ELEMENTS = 25_000
#: CPU seconds (of the cleaning thread) one page may take before it is abandoned; a page's cleaning
#: is linear in its size, so only a hostile page (or a far slower machine) comes near it.
CPU_BUDGET_S = 20.0
#: The budget is checked once every this many iterations of a loop over elements or blocks.
BUDGET_CHECK_EVERY = 1024
#: JSON-LD scripts beyond these bounds are not parsed (a note says so): characters per script and
#: nesting depth of arrays/objects (json.loads recurses; 100k levels raise RecursionError).
JSONLD_MAX_CHARS = 1_000_000
JSONLD_MAX_DEPTH = 64
#: A page nested deeper than libxml2 parses even with ``huge_tree`` is re-parsed with elements below
#: this depth flattened into their ancestor (their text is kept).
FLATTEN_MAX_DEPTH = 200
#: Note names (the part before ":" of each entry of :attr:`CleanedPage.notes`).
NOTE_NAMES = frozenset(
    [
        "charset_refused",  # a declared charset label unknown or not ASCII-compatible: detected instead
        "charset_undecodable",  # the bytes do not decode as the declared charset: detected instead
        "jsonld_skipped",  # a JSON-LD script over JSONLD_MAX_CHARS / JSONLD_MAX_DEPTH was not parsed
        "jsonld_invalid",  # a JSON-LD script is not JSON (only its datePublished is looked for)
        "huge_tree",  # libxml2's default limits (depth 256, 10 MB text node) hit: parsed with huge_tree
        "flattened",  # nested deeper than even huge_tree takes: deep elements flattened into their ancestor
        "canonical_refused",  # a declared canonical URL is not http(s) on the page's registrable domain
        "trafilatura_skipped",  # a page over TRAFILATURA_MAX_ELEMENTS gets no second opinion
    ]
)

#: Our own parse uses plain lxml elements (no HtmlElement class lookup: faster); trafilatura and
#: htmldate get lxml.html trees of their own, which they prune in place.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)
_HTML_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)
#: The same with libxml2's size limits lifted (``huge_tree``), used only when a page hits them. The input
#: is bounded by the fetcher's size cap and HTML parsing expands no entities, so the lifted limits
#: cost memory in proportion to the page only.
_HUGE_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False, huge_tree=True)
_HUGE_HTML_PARSER = lxml.html.HTMLParser(
    remove_comments=True, remove_pis=True, collect_ids=False, huge_tree=True
)


# --------------------------------------------------------------------------------------------------
# CPU budget.
# --------------------------------------------------------------------------------------------------


class CleaningAbandoned(ConflictIngestError, RuntimeError):
    """A page whose cleaning was given up (its CPU budget ran out); ``reason`` says where."""

    def __init__(self, reason: str, notes: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.notes = notes


class _Budget:
    """CPU time left for one page, measured on the cleaning thread (``time.thread_time``), checked
    cooperatively by the loops (:func:`_tick`), never by a signal: cleaning may run in a thread."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.thread_time() + seconds
        self.count = 0
        self.notes: list[str] = []

    def check(self, stage: str) -> None:
        if time.thread_time() > self.deadline:
            raise CleaningAbandoned(
                f"cleaning exceeded its CPU budget of {self.seconds:g} s (in {stage})", tuple(self.notes)
            )


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("clean_budget", default=None)


def _tick(stage: str) -> None:
    """Called once per iteration of the loops over elements and blocks: every BUDGET_CHECK_EVERY
    calls, abandon the page when its budget has run out."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.count += 1
        if budget.count % BUDGET_CHECK_EVERY == 0:
            budget.check(stage)


def _check(stage: str) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.check(stage)


def _note(name: str, detail: str) -> None:
    """Record a fallback on the page being cleaned."""
    assert name in NOTE_NAMES, name
    budget = _BUDGET.get()
    logger.info("clean fallback %s: %s", name, detail)
    if budget is not None:
        budget.notes.append(f"{name}: {detail}")


# --------------------------------------------------------------------------------------------------
# Public types.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One unit of main text, in document order."""

    kind: str  # "p", "h", "table_row", "caption"
    text: str
    timestamp: str | None = None


@dataclass(frozen=True)
class CleanedPage:
    """What the cleaning stage knows about one page."""

    title: str
    published_at: str | None
    text: str
    canonical_url: str | None
    blocks: tuple[Block, ...] = field(default=())
    #: The fallbacks cleaning took on this page, each ``"name: detail"`` (names: :data:`NOTE_NAMES`).
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "published_at": self.published_at,
            "text": self.text,
            "canonical_url": self.canonical_url,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------------
# Decoding.
# --------------------------------------------------------------------------------------------------


def _codec(label: str | bytes | None) -> str | None:
    """Python codec name for a charset label, windows-1252 for the labels browsers treat so."""
    if not label:
        return None
    name = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    name = name.strip().strip("\"'").lower()
    if name in WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


@functools.lru_cache(maxsize=64)
def _ascii_compatible(codec: str) -> bool:
    """Whether ``codec`` reads ASCII bytes as ASCII (so an HTML page can declare it in ASCII). EBCDIC,
    UTF-16/32, UTF-7 and Python's "undefined" codec are not; browsers never use them for HTML."""
    sample = bytes(range(0x09, 0x7F))
    try:
        return sample.decode(codec) == sample.decode("ascii")
    except (UnicodeError, LookupError):
        return False


def _detect(data: bytes, refused: list[str]) -> str:
    """Decode a page whose declared charset was refused or failed: UTF-8 when the bytes are UTF-8,
    else BeautifulSoup's detection (charset_normalizer) among ASCII-compatible charsets, else
    windows-1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    dammit = UnicodeDammit(data, is_html=True, exclude_encodings=refused)
    found = _codec(dammit.original_encoding)
    if dammit.unicode_markup is not None and found and _ascii_compatible(found):
        return str(dammit.unicode_markup)
    return data.decode("cp1252", "replace")


def _looks_utf8(data: bytes) -> bool:
    """True when ``data`` is valid UTF-8 and uses at least one multi-byte sequence."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(b > 0x7F for b in data)


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode a page as browsers do: a byte-order mark, then the Content-Type charset, then the
    document's own declaration (<meta charset>, http-equiv, <?xml encoding?>), then UTF-8, then
    windows-1252.

    BeautifulSoup's :class:`~bs4.dammit.EncodingDetector` reads the BOM and the in-document
    declaration; the order and two browser rules are ours: latin-1/ASCII labels mean windows-1252
    (WHATWG), and a declared single-byte charset on bytes that are valid multi-byte UTF-8 is a
    mislabel (common on servers), so UTF-8 wins.

    A declared label that is unknown or not ASCII-compatible (``charset=undefined``, EBCDIC, UTF-16/32
    on a page whose declaration was readable as ASCII) is refused and the page detected
    (:func:`_detect`); a declared charset the bytes do not decode as is passed over as before. Either
    way a note records it."""
    if not data:
        return ""
    body, bom = EncodingDetector.strip_byte_order_mark(data)
    if bom:
        return body.decode(_codec(bom) or "utf-8", "replace")
    labels: list[str] = []
    if content_type:
        m = HEADER_CHARSET_RE.search(content_type)
        if m:
            labels.append(m.group(1))
    in_doc = EncodingDetector.find_declared_encoding(
        data[:CHARSET_SNIFF_BYTES], is_html=True, search_entire_document=True
    )
    if in_doc:
        labels.append(in_doc)
    refused: list[str] = []
    for label in labels:
        codec = _codec(label)
        if codec is None or not _ascii_compatible(codec):
            _note("charset_refused", f"declared charset {label[:40]!r} is unknown or not ASCII-compatible")
            refused.append(codec or label)
            continue
        if codec in SINGLE_BYTE_CODECS and _looks_utf8(data):
            return data.decode("utf-8")
        try:
            return data.decode(codec)
        except UnicodeDecodeError:  # as before: the next declaration, else UTF-8, else windows-1252
            _note("charset_undecodable", f"page does not decode as its declared {codec}")
    if refused:
        return _detect(data, refused)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _prepare(html: str) -> str:
    return CONTROL_RE.sub("", XML_DECL_RE.sub("", html, count=1))


_PARSER_OPTIONS: dict[str, Any] = {"remove_comments": True, "remove_pis": True, "collect_ids": False}


def _hit_limit(parser: Any) -> bool:
    """Whether the parser's last run stopped at one of libxml2's resource limits."""
    return any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)


def _parse_page(html: str) -> tuple[Any, str, bool]:
    """Our own tree of the page (or None when there is nothing to parse), the HTML it was parsed from
    and whether that needs ``huge_tree``. libxml2 stops silently at 256 levels of nesting or a 10 MB
    text node, leaving an empty tree: such a page is parsed again with ``huge_tree`` (limits 2048
    levels, 1 GB), and one nested deeper still is flattened (:func:`flatten_html`) first. Each fallback
    is noted. ``html`` has been through :func:`_prepare`."""
    if not html.strip():
        return None, html, False
    parser = etree.HTMLParser(**_PARSER_OPTIONS)  # its own parser: the error log is per parser
    root = _parse_with(html, parser)
    if not _hit_limit(parser):
        return root, html, False
    parser = etree.HTMLParser(huge_tree=True, **_PARSER_OPTIONS)
    root = _parse_with(html, parser)
    if not _hit_limit(parser):
        _note("huge_tree", "the page exceeds libxml2's default depth or text-node limit")
        return root, html, True
    flat = flatten_html(html)
    _note(
        "flattened",
        f"the page nests deeper than libxml2 parses: elements below depth {FLATTEN_MAX_DEPTH} flattened",
    )
    parser = etree.HTMLParser(huge_tree=True, **_PARSER_OPTIONS)
    return _parse_with(flat, parser), flat, True


def _parse_with(html: str, parser: Any) -> Any:
    try:
        return etree.fromstring(html, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError, TypeError) as err:
        logger.debug("unparseable page: %s", err)
        return None


def _parse_html(html: str, huge: bool = False) -> lxml.html.HtmlElement | None:
    """An lxml.html tree for trafilatura / htmldate, which prune it (``html`` is prepared)."""
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html, parser=_HUGE_HTML_PARSER if huge else _HTML_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError, TypeError) as err:
        logger.debug("unparseable page: %s", err)
        return None


#: Elements without content (never closed).
VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)


class _Flattener(HTMLParser):
    """Re-serialises HTML keeping the tags of the first FLATTEN_MAX_DEPTH levels of nesting; deeper
    tags are left out (a block tag leaves a line break), their text stays in the enclosing element.
    Linear: the open elements are a stack plus a count per tag name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, written)
        self.open: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        _tick("flatten")
        write = len(self.stack) < FLATTEN_MAX_DEPTH
        if write:
            self.out.append(self.get_starttag_text() or "")
        elif tag in BLOCK_TAGS or tag == "br":
            self.out.append("<br>")
        if tag not in VOID_TAGS:
            self.stack.append((tag, write))
            self.open[tag] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if len(self.stack) < FLATTEN_MAX_DEPTH:
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if not self.open[tag]:
            return
        while self.stack:
            name, written = self.stack.pop()
            self.open[name] -= 1
            if written:
                self.out.append(f"</{name}>")
            elif name in BLOCK_TAGS:
                self.out.append("<br>")
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")


def flatten_html(html: str) -> str:
    """``html`` with every element deeper than FLATTEN_MAX_DEPTH levels flattened into its ancestor
    at that depth (text kept, block boundaries kept as line breaks)."""
    flattener = _Flattener()
    flattener.feed(html)
    flattener.close()
    return "".join(flattener.out)


# --------------------------------------------------------------------------------------------------
# Candidate blocks: our own rendering of the page's text.
# --------------------------------------------------------------------------------------------------


def _all_text(el: Any) -> str:
    return "".join(t for t in el.itertext() if isinstance(t, str))


def render(text: str) -> str:
    """Entities are already decoded by the parser: drop invisible characters, collapse whitespace."""
    return " ".join(INVISIBLE_RE.sub("", text).split())


@dataclass
class _Candidate:
    kind: str
    text: str
    owner: Any  # the lxml element that holds the text
    table: Any = None  # the <table> a row or caption belongs to
    link_words: int = 0  # words of the text inside links
    words: int = field(init=False)  # words; CJK text counts one word per CJK_CHARS_PER_WORD characters

    def __post_init__(self) -> None:
        n = len(self.text.split())
        if self.text.isascii():
            self.words = n
        else:
            self.words = max(n, len(CJK_RE.findall(self.text)) // CJK_CHARS_PER_WORD)


def _tag(el: Any) -> str:
    """The element's tag (lxml's HTML parser lower-cases them); "" for comments and the like."""
    tag = el.tag
    return tag if isinstance(tag, str) else ""


def _cell_texts(row: Any) -> list[str]:
    cells = []
    for cell in row:
        if _tag(cell) in ("td", "th"):
            text = render(_text_of(cell))
            if text:
                cells.append(text)
    return cells


def _text_of(el: Any) -> str:
    """All text inside ``el`` (skipping scripts and the like, with their tails), with block breaks as
    spaces; each node's tail comes right after its own text. One walk: skipped subtrees are not entered."""
    parts: list[str] = []
    walker = etree.iterwalk(el, events=("start",))
    for _, node in walker:
        tag = _tag(node)
        if node is not el:
            if tag in SKIP_TAGS:
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS:
                parts.append(" ")
        if tag == "br":
            parts.append(" ")
        if tag not in SKIP_TAGS and node.text:
            parts.append(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
    return "".join(parts)


def _rows(table: Any) -> list[Any]:
    """The rows of a data table (which holds no nested table, so every <tr> inside is its own)."""
    return list(table.iter("tr"))


#: Elements whose presence inside a table makes it a layout table.
LAYOUT_MARKER_TAGS = frozenset(["table", "p", "div", "ul", "ol", "h1", "h2", "h3", "blockquote"])


def _layout_tables(root: Any) -> set[Any]:
    """Tables holding another table or a block of prose (layout grids, not data), in one walk: each
    such element marks the innermost table open around it, and a nested table marks its own."""
    found: set[Any] = set()
    open_tables: list[Any] = []
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = _tag(el)
        if event == "start":
            _tick("tables")
            if tag in LAYOUT_MARKER_TAGS and open_tables:
                found.add(open_tables[-1])
            if tag == "table":
                open_tables.append(el)
        elif tag == "table" and open_tables and open_tables[-1] is el:
            open_tables.pop()
    return found


def _is_data_table(table: Any, layout: set[Any]) -> bool:
    """A table of data (rendered row by row) rather than a layout grid (``layout``: the page's
    :func:`_layout_tables`)."""
    if table in layout:
        return False
    rows = _rows(table)
    if not rows:
        return False
    max_cols = 0
    for row in rows:
        cells = [c for c in row if _tag(c) in ("td", "th")]
        max_cols = max(max_cols, len(cells))
        for cell in cells:
            if len(WORD_RE.findall(_all_text(cell))) > TABLE_MAX_CELL_WORDS:
                return False
    return max_cols >= 2


@dataclass
class _Walk:
    """The candidates of a page and, per element, the words / link words / prose words under it."""

    cands: list[_Candidate]
    totals: dict[Any, tuple[int, int, int]]


def _walk(root: Any) -> _Walk:  # noqa: C901
    """Walk the tree in document order and render every unit of text once; sum the words under
    every element on the way out (post-order), so container statistics cost nothing extra."""
    out: list[_Candidate] = []
    buf: list[tuple[str, bool]] = []  # (text, inside a link)
    owner_stack: list[Any] = [root]
    link_depth = 0
    frames: list[list[int]] = []  # per open element: words, link words, prose words
    totals: dict[Any, tuple[int, int, int]] = {}
    layout = _layout_tables(root)

    def count(c: _Candidate) -> None:
        if frames:
            frame = frames[-1]
            frame[0] += c.words
            frame[1] += c.link_words
            if _is_prose(c):
                frame[2] += c.words

    def flush() -> None:
        if not buf:
            return
        owner = owner_stack[-1]
        kind = "h" if _tag(owner) in HEADING_TAGS else "p"
        # two consecutive <br> separate blocks inside one container
        pieces: list[list[tuple[str, bool]]] = [[]]
        for text, in_link in buf:
            if text == "\n" and pieces[-1] and pieces[-1][-1][0] == "\n":
                pieces.append([])
            elif text == "\n" or text.strip() or not pieces[-1] or pieces[-1][-1][0] != "\n":
                pieces[-1].append((text, in_link))
        buf.clear()
        for piece in pieces:
            text = render("".join(t for t, _ in piece))
            if text:
                link_words = sum(len(t.split()) for t, in_link in piece if in_link)
                out.append(_Candidate(kind, text, owner, link_words=link_words))
                count(out[-1])

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = _tag(el)
        if event == "start":
            _tick("walk")
            frames.append([0, 0, 0])
            if tag in SKIP_TAGS or not tag:
                walker.skip_subtree()
                continue
            if tag == "br":
                buf.append(("\n", False))
                continue
            if tag == "table" and _is_data_table(el, layout):
                flush()
                for cap in el.iterchildren("caption"):
                    text = render(_text_of(cap))
                    if text:
                        out.append(_Candidate("caption", text, cap, el))
                        count(out[-1])
                for row in _rows(el):
                    cells = _cell_texts(row)
                    if cells:
                        out.append(_Candidate("table_row", " | ".join(cells), row, el))
                        count(out[-1])
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS:
                flush()
                owner_stack.append(el)
            if tag == "a":
                link_depth += 1
            if el.text:
                buf.append((el.text, link_depth > 0))
        else:
            if tag in BLOCK_TAGS:
                flush()
                if owner_stack[-1] is el:
                    owner_stack.pop()
            if tag == "a" and link_depth > 0:
                link_depth -= 1
            frame = frames.pop()
            if frame[0]:
                totals[el] = (frame[0], frame[1], frame[2])
                if frames:
                    parent = frames[-1]
                    parent[0] += frame[0]
                    parent[1] += frame[1]
                    parent[2] += frame[2]
            if el.tail and el is not root:
                buf.append((el.tail, link_depth > 0))
    flush()
    return _Walk(out, totals)


# --------------------------------------------------------------------------------------------------
# Main-text selection.
# --------------------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in WORD_RE.findall(text)]


def _ngrams(tokens: list[str], n: int = MATCH_NGRAM) -> Iterator[tuple[str, ...]]:
    for i in range(len(tokens) - n + 1):
        yield tuple(tokens[i : i + n])


def _trafilatura_text(tree: Any, url: str | None) -> str | None:
    """trafilatura's verdict on what the main text is (it prunes ``tree`` in place)."""
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        return trafilatura.extract(
            tree,
            url=url,
            fast=True,
            favor_precision=True,
            include_tables=True,
            include_comments=False,
            include_images=False,
            include_links=False,
            with_metadata=False,
            deduplicate=False,
        )
    except Exception as err:  # noqa: BLE001 - third-party extractor must never break cleaning
        logger.warning("trafilatura failed: %s", err)
        return None


def _select(cands: list[_Candidate], main_text: str) -> list[_Candidate]:
    """Keep the candidates trafilatura's text covers. Its n-grams are consumed as they match, so
    text repeated on the page (a hidden copy, a teaser quoting the lead) is kept once."""
    toks = _tokens(main_text)
    grams = Counter(_ngrams(toks))
    # short candidates must appear whole in the text: an index of the runs of tokens they need
    short = {tuple(t) for c in cands if c.link_words == 0 and 0 < len(t := _tokens(c.text)) <= MATCH_NGRAM}
    present = _runs_present(toks, short)
    kept: list[_Candidate] = []
    tables_kept: set[int] = set()
    for c in cands:
        _tick("select")
        ct = _tokens(c.text)
        if not ct:
            continue
        if len(ct) < MATCH_NGRAM + 1:
            ok = c.link_words == 0 and tuple(ct) in present
        else:
            cg = list(_ngrams(ct))
            hits = [g for g in cg if grams[g] > 0]
            ok = len(hits) >= MATCH_MIN_SHARE * len(cg)
            if ok:
                grams.subtract(hits)
        if ok:
            kept.append(c)
            if c.table is not None:
                tables_kept.add(id(c.table))
    kept_ids = {id(c) for c in kept}
    # a table's caption belongs with its rows
    return [c for c in cands if id(c) in kept_ids or (c.kind == "caption" and id(c.table) in tables_kept)]


def _runs_present(toks: list[str], wanted: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """The token runs of ``wanted`` that occur contiguously in ``toks`` (one pass per run length)."""
    found: set[tuple[str, ...]] = set()
    for n in {len(w) for w in wanted}:
        for i in range(len(toks) - n + 1):
            _tick("select")
            run = tuple(toks[i : i + n])
            if run in wanted:
                found.add(run)
    return found


def _ancestors(el: Any) -> Iterator[Any]:
    cur = el
    while cur is not None:
        yield cur
        cur = cur.getparent()


def _is_prose(c: _Candidate) -> bool:
    return c.kind == "p" and c.words >= PROSE_MIN_WORDS and c.link_words <= PROSE_MAX_LINK_SHARE * c.words


def _class_weight(el: Any) -> int:
    value = f"{el.get('class') or ''} {el.get('id') or ''}"
    weight = 0
    if POSITIVE_CLASS_RE.search(value):
        weight += CLASS_WEIGHT
    if BOILERPLATE_CLASS_RE.search(value) or _tag(el) in BOILERPLATE_TAGS:
        weight -= CLASS_WEIGHT
    return weight


def _own_region(walk: _Walk) -> list[Any]:
    """Our own choice of the main-text container(s), readability-style: prose paragraphs score
    their parent and (half) grandparent; link-heavy containers are discounted; containers that
    repeat (live-blog entries) are widened to their common parent; strong siblings join."""
    scores: dict[Any, float] = {}
    totals = walk.totals
    for c in walk.cands:
        if not _is_prose(c) or c.table is not None:
            continue
        s = 1.0 + c.text.count(",") + min(len(c.text) / 100.0, 3.0)
        par = c.owner.getparent()
        if par is None:
            continue
        scores[par] = scores.get(par, 0.0) + s
        grand = par.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + s / 2
    if not scores:
        return []
    final = {
        el: (sc + _class_weight(el))
        * (1.0 - totals.get(el, (1, 0, 0))[1] / max(totals.get(el, (1, 0, 0))[0], 1))
        for el, sc in scores.items()
    }
    top = max(final, key=lambda el: final[el])
    # repeated containers (entries of a live blog, one-paragraph wrappers): widen to the parent
    cur = top
    for _ in range(REPEAT_MAX_LEVELS):
        parent = cur.getparent()
        if parent is None or _tag(parent) in LAYOUT_STOP_TAGS or _tag(cur) in LAYOUT_STOP_TAGS:
            break
        sig = (_tag(cur), cur.get("class"))
        if sig[1] or sig[0] in ENTRY_TAGS:
            twins = [s for s in parent if (_tag(s), s.get("class")) == sig]
            with_prose = [t for t in twins if totals.get(t, (0, 0, 0))[2] >= PROSE_MIN_WORDS]
            if len(with_prose) >= 2:
                top = parent
                break
        cur = parent
    region = [top]
    parent = top.getparent()
    if parent is not None:
        threshold = max(SIBLING_MIN_SCORE, SIBLING_SHARE * final[top]) if top in final else SIBLING_MIN_SCORE
        for sib in parent:
            if sib is not top and final.get(sib, 0) >= threshold:
                region.append(sib)
    return region


def _own_select(cands: list[_Candidate], region: list[Any]) -> list[_Candidate]:
    inside = {d for el in region for d in el.iter()}
    out = []
    for c in cands:
        if c.owner not in inside:
            continue
        if c.kind in ("p", "h") and c.link_words > OWN_MAX_LINK_SHARE * c.words:
            continue
        if (
            c.kind == "p"
            and c.words <= DATE_LINE_MAX_WORDS
            and (dates.parse_text_date(c.text) or TIME_OF_DAY_RE.search(c.text))
        ):
            continue
        out.append(c)
    return out


def _extra_prose(blocks: list[_Candidate], other_ids: set[int]) -> int:
    """Words of substantial prose blocks in ``blocks`` that the other selection lacks."""
    return sum(
        c.words
        for c in blocks
        if id(c) not in other_ids
        and c.words >= EXTRA_MIN_WORDS
        and c.link_words <= PROSE_MAX_LINK_SHARE * c.words
    )


def _substantial_prose(blocks: list[_Candidate]) -> int:
    return sum(
        c.words
        for c in blocks
        if c.table is None and c.words >= EXTRA_MIN_WORDS and c.link_words <= PROSE_MAX_LINK_SHARE * c.words
    )


def _stands_alone(cands: list[_Candidate], ours: list[_Candidate]) -> bool:
    """Whether our own selection holds most of the page's prose (so no second opinion is needed)."""
    own = _substantial_prose(ours)
    return own >= SOLE_MIN_WORDS and own >= SOLE_MIN_SHARE * _substantial_prose(cands)


def _combine(cands: list[_Candidate], theirs: list[_Candidate], ours: list[_Candidate]) -> list[_Candidate]:
    """Reconcile trafilatura's selection with our container-based one. When one of them holds a lot
    of prose the other lacks (trafilatura stopping after the first live-blog entry; our container
    missing half of an article split across containers), that one wins; otherwise only the text
    both agree on is kept, which sheds each side's stray short pieces (kickers, deks, credits)."""
    if not theirs or not ours:
        return theirs or ours
    their_ids = {id(c) for c in theirs}
    our_ids = {id(c) for c in ours}
    their_words = sum(c.words for c in theirs)
    our_words = sum(c.words for c in ours)
    if _extra_prose(theirs, our_ids) > EXTRA_SHARE * our_words:
        return theirs
    if _extra_prose(ours, their_ids) > EXTRA_SHARE * their_words:
        return ours
    both = [c for c in cands if id(c) in their_ids and id(c) in our_ids]
    return both or theirs


def _blocks_corrections(el: Any) -> bool:
    if _tag(el) in ("nav", "footer"):
        return True
    value = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(CORRECTION_BLOCKERS_RE.search(value))


def _add_corrections(cands: list[_Candidate], kept: list[_Candidate]) -> list[_Candidate]:
    """Correction and update notes belong to the article even where a site puts them in a box
    that looks like chrome; they are added back unless they sit in comments, sidebars or teasers."""
    if not kept:
        return kept
    kept_ids = {id(c) for c in kept}
    extra = {
        id(c)
        for c in cands
        if id(c) not in kept_ids
        and c.kind == "p"
        and c.words >= CORRECTION_MIN_WORDS
        and CORRECTION_RE.match(c.text)
        and not any(_blocks_corrections(a) for a in _ancestors(c.owner))
    }
    if not extra:
        return kept
    return [c for c in cands if id(c) in kept_ids or id(c) in extra]


def _is_boilerplate(el: Any) -> bool:
    tag = _tag(el)
    if tag in BOILERPLATE_TAGS:
        return True
    role = (el.get("role") or "").lower()
    if role in BOILERPLATE_ROLES:
        return True
    for attr in ("class", "id"):
        value = el.get(attr)
        if value and BOILERPLATE_CLASS_RE.search(value):
            return True
    return False


def _drop_boilerplate(kept: list[_Candidate], title: str) -> list[_Candidate]:
    """Drop kept candidates that sit in boilerplate containers (unless the container is the wrapper
    of most of the text) and headings that repeat the headline."""
    total = sum(c.words for c in kept) or 1
    container_of: dict[int, Any] = {}
    verdict: dict[Any, bool] = {}
    for c in kept:
        el = c.owner
        found = None
        while el is not None and _tag(el) not in ("body", "html"):
            bad = verdict.get(el)
            if bad is None:
                bad = verdict[el] = _is_boilerplate(el)
            if bad:
                found = el
                break
            el = el.getparent()
        container_of[id(c)] = found
    words_in: dict[int, int] = {}
    for c in kept:
        box = container_of[id(c)]
        if box is not None:
            words_in[id(box)] = words_in.get(id(box), 0) + c.words
    title_key = " ".join(_tokens(title))
    out = []
    for c in kept:
        box = container_of[id(c)]
        if box is not None and words_in[id(box)] / total <= BOILERPLATE_MAX_SHARE:
            continue
        if c.kind == "h" and (_tag(c.owner) == "h1" or " ".join(_tokens(c.text)) == title_key):
            continue
        if c.kind in ("p", "h") and c.link_words > LINK_BLOCK_MAX_SHARE * c.words:
            continue
        if c.words <= FURNITURE_MAX_WORDS and FURNITURE_LINE_RE.match(c.text):
            continue
        out.append(c)
    return _drop_dangling_headings(_drop_repeats(out))


def _drop_repeats(blocks: list[_Candidate]) -> list[_Candidate]:
    """A pull quote repeats a sentence of the body: drop a block found inside another, longer block
    (as a run of its tokens), looked up in an index (:func:`_contained`), not against every block."""
    toks = [tuple(_tokens(c.text)) for c in blocks]

    def eligible(i: int) -> bool:
        return blocks[i].words >= DUPLICATE_MIN_WORDS and blocks[i].kind in ("p", "h") and bool(toks[i])

    wanted = {toks[i] for i in range(len(blocks)) if eligible(i)}
    if not wanted:
        return blocks
    inside = _contained(wanted, set(toks))
    return [c for i, c in enumerate(blocks) if not (eligible(i) and toks[i] in inside)]


#: Run length of the n-grams that index texts for :func:`_contained`.
CONTAINED_NGRAM = 4


def _contained(patterns: set[tuple[str, ...]], texts: set[tuple[str, ...]]) -> set[tuple[str, ...]]:  # noqa: C901
    """The patterns that occur as a run of tokens inside a longer text. Short patterns: one pass over
    the texts per pattern length below CONTAINED_NGRAM. Others: each is looked for only where its
    rarest n-gram occurs (n-grams keyed by hash, every candidate checked token by token), so text
    that shares nothing rare costs one pass, not a comparison of every pair."""
    found: set[tuple[str, ...]] = set()
    n = CONTAINED_NGRAM
    short = {p for p in patterns if len(p) < n}
    for length in {len(p) for p in short}:
        for text in texts:
            if len(text) > length:
                for i in range(len(text) - length + 1):
                    _tick("repeats")
                    if text[i : i + length] in short:
                        found.add(text[i : i + length])
    long = [p for p in patterns if len(p) >= n]
    if not long:
        return found
    counts: Counter[int] = Counter()
    for text in texts:
        for i in range(len(text) - n + 1):
            _tick("repeats")
            counts[hash(text[i : i + n])] += 1
    anchors: dict[int, list[tuple[int, int]]] = {}  # n-gram hash -> (pattern index, offset)
    for k, p in enumerate(long):
        best, best_at = 0, 0
        for i in range(len(p) - n + 1):
            _tick("repeats")
            h = hash(p[i : i + n])
            if i == 0 or counts[h] < counts[best]:
                best, best_at = h, i
        anchors.setdefault(best, []).append((k, best_at))
    del counts
    hits: set[int] = set()  # indexes (never a tuple hashed again: a long one costs its length)
    for text in texts:
        for i in range(len(text) - n + 1):
            _tick("repeats")
            for k, at in anchors.get(hash(text[i : i + n]), ()):
                p, start = long[k], i - at
                if (
                    len(text) > len(p)
                    and k not in hits
                    and start >= 0
                    and start + len(p) <= len(text)
                    and text[start : start + len(p)] == p
                ):
                    hits.add(k)
    found.update(long[k] for k in hits)
    return found


def _drop_dangling_headings(blocks: list[_Candidate]) -> list[_Candidate]:
    """A heading followed by another heading or by nothing introduces text that was not kept
    ("Related links", "Join the conversation")."""
    out = []
    for i, c in enumerate(blocks):
        if c.kind == "h" and (i + 1 == len(blocks) or blocks[i + 1].kind == "h"):
            continue
        out.append(c)
    return out


# --------------------------------------------------------------------------------------------------
# Live-blog timestamps.
# --------------------------------------------------------------------------------------------------


def _time_value(el: Any) -> str | None:
    value = el.get("datetime") or el.get("content") or el.get("data-timestamp")
    if value:
        return dates.parse_any(value)
    return dates.parse_text_date(render(_all_text(el)))


def _stamp_elements(root: Any) -> Iterator[tuple[Any, str]]:
    """<time> elements (and elements with a datetime attribute) with their value; when a page has
    none, short elements whose class marks a date or time and whose text is a date."""
    found = False
    for el in root.iter():
        _tick("timestamps")
        if not isinstance(el.tag, str):
            continue
        if el.tag == "time" or el.get("datetime"):
            value = _time_value(el)
            if value:
                found = True
                yield el, value
    if found:
        return
    for el in root.iter():
        _tick("timestamps")
        if not isinstance(el.tag, str) or el.tag in SKIP_TAGS:
            continue
        cls = el.get("class")
        if cls and TIMESTAMP_CLASS_RE.search(cls):
            text = _words_within(el, DATE_LINE_MAX_WORDS)
            if text:
                value = dates.parse_text_date(text)
                if value:
                    yield el, value


def _timestamps(root: Any, kept: list[_Candidate]) -> dict[int, str]:
    """Each kept block's entry timestamp: the one stamp in the nearest ancestor that holds any.
    Only used when the blocks carry at least two different stamps (a live blog)."""
    stamps_under: dict[Any, set[str]] = {}
    for t, value in _stamp_elements(root):
        anc = t.getparent()
        while anc is not None:
            _tick("timestamps")
            stamps_under.setdefault(anc, set()).add(value)
            anc = anc.getparent()
    if not stamps_under:
        return {}
    result: dict[int, str] = {}
    for c in kept:
        el = c.owner
        while el is not None:
            found = stamps_under.get(el)
            if found:
                if len(found) == 1:
                    result[id(c)] = next(iter(found))
                break
            el = el.getparent()
    if len(set(result.values())) < 2:
        return {}
    return result


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


def _date_meta(root: Any, meta: dict[str, str]) -> str | None:
    for key in PUBLISHED_META_KEYS:
        if key in meta:
            parsed = dates.parse_any(meta[key])
            if parsed:
                return parsed
    for el in root.iterfind('.//*[@itemprop="datePublished"]'):
        _tick("dates")
        value = el.get("content") or el.get("datetime") or render(_all_text(el))
        parsed = dates.parse_any(value) if value else None
        if parsed:
            return parsed
    return None


#: class/id words of chrome containers (besides CLOCK_CLASS_RE) whose dates are never the article's.
CHROME_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:comments?|sidebar|related|widget|footer|side|rail)(?=$|[\s_-])", re.I
)


def _is_chrome(el: Any) -> bool:
    """The element itself is the site's clock/masthead, comments, sidebar, nav or footer."""
    if _tag(el) in ("footer", "nav", "aside"):
        return True
    cls = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(CLOCK_CLASS_RE.search(cls) or CHROME_CLASS_RE.search(cls))


def _in_chrome(el: Any) -> bool:
    """Inside the site's clock/masthead, comments, sidebars or footer."""
    return any(_is_chrome(a) for a in _ancestors(el))


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
        for piece in (sib.tail or "", _all_text(sib)):
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


def _date_time_elements(root: Any, kept: list[_Candidate]) -> str | None:
    """The article's printed date: a <time> or dateline element between the headline and the
    body, else one after the body's start inside the article's container. Dates above the headline
    are the site's (clocks, tickers) and are not used; nor is a date labelled as an update."""
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
        if not (is_time or DATE_CLASS_RE.search(cls)):
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
        low = cls.lower()
        if UPDATED_RE.search(label) or "updated" in low or "modified" in low:
            continue
        zones[zone].append((value, bool(PUBLISHED_WORDS_RE.search(label)) or "publish" in low))
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


def _published(
    root: Any, head: HeadInfo, url: str | None, kept: list[_Candidate], html: str, huge: bool = False
) -> str | None:
    return (
        _date_jsonld(head)
        or _date_meta(root, head.meta)
        or _date_time_elements(root, kept)
        or dates.date_from_url(url)
        or _date_htmldate(html, url, huge)
    )


def _drop_above_headline(body: Any) -> None:
    """Remove everything that precedes the first <h1> (mastheads, clocks, tickers)."""
    headline = body.find(".//h1")
    if headline is None:
        return
    chain = list(_ancestors(headline))
    for child, parent in zip(chain, chain[1:], strict=False):
        for sib in list(parent):
            if sib is child:
                break
            parent.remove(sib)  # its tail text goes with it; it is chrome as well
        if parent is body:
            break


def _date_htmldate(html: str, url: str | None, huge: bool = False) -> str | None:
    """Last resort: htmldate's extensive search, on the page without its chrome (anything above the
    headline, clocks, nav, sidebars, comments, footers), so a site clock cannot become the
    article's date. A bare
    January 1st is htmldate's reading of a lone year (a copyright line) and is not a day."""
    try:
        import htmldate
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    root = _parse_html(html, huge)
    body = root.find("body") if root is not None else None
    if body is None:
        return None
    _drop_above_headline(body)
    # the outermost chrome elements go (none when the whole page sits in chrome, so nothing is left)
    parent = body.getparent()
    if parent is not None and _in_chrome(parent):
        chrome = []
    elif _is_chrome(body):
        chrome = [body] if parent is not None else []
    else:
        chrome = _chrome_roots(body)
    for el in chrome:
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


# --------------------------------------------------------------------------------------------------
# Entry point.
# --------------------------------------------------------------------------------------------------


def clean_html(
    html: bytes | str,
    url: str | None = None,
    *,
    content_type: str | None = None,
    cpu_budget_s: float = CPU_BUDGET_S,
) -> CleanedPage:
    """Clean one page fetched at ``url``. Bad input still gives a page (empty when there is no text),
    with every fallback taken recorded in its ``notes``; a page whose cleaning takes more than
    ``cpu_budget_s`` seconds of CPU raises :class:`CleaningAbandoned` with the reason. Any other
    exception is a bug and propagates (the clean stage records the page and the error)."""
    budget = _Budget(cpu_budget_s)
    token = _BUDGET.set(budget)
    try:
        page = _clean(html, url, content_type, budget)
    finally:
        _BUDGET.reset(token)
    return dataclasses.replace(page, notes=tuple(budget.notes))


def _clean(html: bytes | str, url: str | None, content_type: str | None, budget: _Budget) -> CleanedPage:
    text_html = _prepare(decode_html(html, content_type) if isinstance(html, bytes) else html)
    budget.check("decode")
    root, text_html, huge = _parse_page(text_html)
    budget.check("parse")
    if root is None:
        return CleanedPage(title="", published_at=None, text="", canonical_url=url or None, blocks=())
    head = _page_head(root, text_html)
    title = _title(root, head)
    canonical = _canonical(head, url)
    budget.check("metadata")
    walk = _walk(root)
    cands = walk.cands
    chosen = ours = _own_select(cands, _own_region(walk))
    budget.check("selection")
    if _stands_alone(cands, ours):
        pass
    elif (elements := sum(1 for _ in root.iter())) > TRAFILATURA_MAX_ELEMENTS:
        _note(
            "trafilatura_skipped",
            f"{elements} elements (over {TRAFILATURA_MAX_ELEMENTS}): "
            + ("our own selection is kept" if ours else "every block outside boilerplate is kept"),
        )
        chosen = ours or cands
    else:
        # trafilatura prunes the tree it is given: give it its own copy
        main_text = _trafilatura_text(_parse_html(text_html, huge), url)
        budget.check("trafilatura")
        theirs = _select(cands, main_text) if main_text else []
        chosen = _combine(cands, theirs, ours)
    kept = _add_corrections(cands, _drop_boilerplate(chosen, title))
    budget.check("boilerplate")
    published = _published(root, head, url, kept, text_html, huge)
    budget.check("dates")
    stamps = _timestamps(root, kept)
    blocks = tuple(Block(c.kind, c.text, stamps.get(id(c))) for c in kept)
    return CleanedPage(
        title=title,
        published_at=published,
        text="\n\n".join(b.text for b in blocks),
        canonical_url=canonical,
        blocks=blocks,
    )
