"""Decoding a page's bytes to text (declared, detected and fallback encodings)."""

from __future__ import annotations

import codecs
import functools
import logging
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import lxml.html
from bs4.dammit import EncodingDetector, UnicodeDammit
from lxml import etree

from conflict_ingest.clean.budget import _note, _tick
from conflict_ingest.clean.constants import (
    _HTML_PARSER,
    _HUGE_HTML_PARSER,
    BLOCK_TAGS,
    CHARSET_SNIFF_BYTES,
    CONTROL_RE,
    FLATTEN_MAX_DEPTH,
    HEADER_CHARSET_RE,
    SINGLE_BYTE_CODECS,
    WINDOWS_1252_LABELS,
    XML_DECL_RE,
)

logger = logging.getLogger(__name__)

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
