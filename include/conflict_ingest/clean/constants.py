"""Constants the cleaner reads: tags, class/id patterns, metadata keys (nothing here names a site)."""

from __future__ import annotations

import logging
import re

import lxml.html
from lxml import etree

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
#: class words of a dek (standfirst): a paragraph with one of them right after the headline <h1> is the
#: headline's summary, not article body (words that only mark a dek there: "lead", "summary", "intro").
#: A class token matches when it is one of them or ends with "-"/"_" and one ("article-lead").
DEK_CLASS_RE = re.compile(
    r"(?:^|\s)(?:[\w-]*[_-])?(?:lead|summary|intro|sub|deck|excerpt|description|strap|standfirst)(?=$|\s)",
    re.I,
)
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
#: <meta> names/properties/itemprops that name the publication time explicitly, best first.
PUBLISHED_META_KEYS = (
    "article:published_time", "og:article:published_time", "og:published_time", "published_time",
    "article.published", "datepublished", "article_date_original", "publish-date", "publish_date",
    "publishdate", "pubdate", "pub_date", "parsely-pub-date", "sailthru.date", "dc.date.issued",
    "dcterms.issued", "dcterms.created", "dc.date.created", "citation_publication_date", "citation_date",
    "cxenseparse:recs:publishtime", "originalpublicationdate",
)  # fmt: skip
#: <meta> names that carry some date of the page without saying which (weak: used only when htmldate
#: finds nothing).
GENERIC_DATE_META_KEYS = ("date", "dc.date", "dcterms.date", "displaydate", "ga_date", "created")
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
