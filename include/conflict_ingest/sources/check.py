"""``conflict-ingest sources check``: every problem of a sources file at once, and a dry discovery.

:func:`check_file` reads a sources file (``include/sources.yaml``, the catalogue, a user's own) and
reports each problem it finds, not only the first: the file's shape, each source's id (missing,
malformed, duplicated), unknown keys, environment references (``${VAR}`` unset and without a default,
or malformed), the kind and its URL(s), numbers and switches, the catalogue fields (``owner``,
``last_checked``, ``checked_how``), the fetch family and its Airflow pool in ``include/pools.json``.
Each :class:`Problem` names the source and the key. Errors are what the pipeline would refuse;
warnings are what it accepts but a person should look at: a disabled source, a family without a pool
(its fetch tasks would wait for ever), two sources on one feed, sources of one host in different
families, a source without a description.

The loader (:func:`conflict_ingest.sources.registry.parse_sources`) stays the authority: after the
per-key checks each source is also loaded alone, and anything the loader refuses that no check
named (a kind added later, with keys of its own) is reported as an error too. So a file that passes
here loads at run time.

:func:`discover_all` runs discovery only (the project's fetcher and
:func:`~conflict_ingest.sources.registry.discover`; no S3) for one day and says per source how many
URLs it found or why it failed; one failing source never stops the others.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from conflict_ingest.errors import ConfigError, ConflictIngestError
from conflict_ingest.settings import INCLUDE_DIR
from conflict_ingest.sources import registry
from conflict_ingest.sources.families import DEFAULT_FAMILY, FAMILY_RE, fetch_pool

logger = logging.getLogger(__name__)

#: The Airflow pools of the fetch families (imported with ``airflow pools import``).
DEFAULT_POOLS_PATH = INCLUDE_DIR / "pools.json"
ERROR = "error"
WARNING = "warning"
#: Keys that hold a number, and whether it must be whole.
NUMBER_KEYS = {"rate_limit_per_s": False, "timeout_s": False, "max_bytes": True, "max_sitemaps": True}
BOOL_KEYS = ("allow_private", "enabled")
TEXT_KEYS = ("owner", "checked_how")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a sources file: where (source id, key) and what."""

    level: str  # ERROR or WARNING
    message: str
    source: str | None = None  # None: the file itself, or its defaults
    key: str | None = None

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source or "(file)", self.key) if part)
        return f"{self.level}: {where}: {self.message}"


#: Where the checks put what they find.
Add = Callable[[Problem], None]


@dataclass
class CheckReport:
    """What :func:`check_file` found in one file."""

    path: Path
    problems: list[Problem] = field(default_factory=list)
    sources: int = 0
    enabled: int = 0
    families: tuple[str, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == WARNING]

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not self.errors


@dataclass(frozen=True)
class DiscoveryResult:
    """One source's dry discovery for a day: the URLs found, or why it failed."""

    source: str
    kind: str
    family: str
    found: int | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


# --- the file --------------------------------------------------------------------------------------


def load_pools(path: str | Path) -> dict[str, Any]:
    """The pools file (``{"fetch_<family>": {"slots": ...}, ...}``); ConfigError when unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the pools file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"the pools file {path} must hold a JSON object of pools")
    return data


def check_file(
    path: str | Path,
    *,
    pools_path: str | Path = DEFAULT_POOLS_PATH,
    environ: Mapping[str, str] | None = None,
) -> CheckReport:
    """Every problem of the sources file at ``path`` (see the module's docstring)."""
    report = CheckReport(path=Path(path))
    try:
        text = report.path.read_text(encoding="utf-8")
    except OSError as exc:
        report.problems.append(Problem(ERROR, f"cannot read {path}: {exc.strerror or exc}"))
        return report
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        report.problems.append(Problem(ERROR, f"not valid YAML: {exc}"))
        return report
    pools: Mapping[str, Any] | None
    try:
        pools = load_pools(pools_path)
    except ConfigError as exc:
        report.problems.append(Problem(ERROR, str(exc), key="pools"))
        pools = None
    check_data(data, report, pools=pools, environ=environ)
    return report


def check_data(
    data: Any,
    report: CheckReport,
    *,
    pools: Mapping[str, Any] | None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Check a loaded sources document into ``report`` (``pools`` None: pools not checked)."""
    add = report.problems.append
    if not isinstance(data, dict):
        add(Problem(ERROR, "a sources file is a mapping with a 'sources' list"))
        return
    for key in sorted(str(k) for k in data if k not in registry.TOP_KEYS):
        add(Problem(ERROR, f"unknown key (allowed: {', '.join(sorted(registry.TOP_KEYS))})", key=key))
    defaults = _check_defaults(data.get("defaults"), add, environ)
    rows = data.get("sources")
    if not isinstance(rows, list) or not rows:
        add(Problem(ERROR, "must be a non-empty list of sources", key="sources"))
        return

    seen: set[str] = set()
    families: dict[str, list[str]] = {}
    urls: dict[str, str] = {}
    hosts: dict[str, tuple[str, str]] = {}  # host -> (first source, its family)
    for index, raw in enumerate(rows):
        sid = _check_id(raw, index, seen, add)
        if sid is None:
            continue
        report.sources += 1
        before = len(report.errors)
        expanded, broken = _check_env(raw, sid, add, environ)
        merged = {**defaults, **expanded}
        _check_source(sid, merged, add, broken=broken)
        _check_loader(sid, raw, data.get("defaults"), environ, add, failed=len(report.errors) > before)
        enabled = merged.get("enabled", True)
        if enabled is False:
            add(Problem(WARNING, "disabled: validated, but never read", sid, "enabled"))
        elif enabled is True:
            report.enabled += 1
        family = merged.get("family", DEFAULT_FAMILY)
        if isinstance(family, str) and FAMILY_RE.fullmatch(family):
            families.setdefault(family, []).append(sid)
        for url in _source_urls(merged):
            # two searches of one API ask different questions: not one feed read twice
            _check_shared(
                sid, url, family, {} if registry.kind_keys(merged.get("kind")) else urls, hosts, add
            )
    report.families = tuple(sorted(families))
    if pools is not None:
        for family, members in sorted(families.items()):
            pool = fetch_pool(family)
            if pool not in pools:
                add(
                    Problem(
                        WARNING,
                        f"family {family!r} (sources {', '.join(members)}) has no pool {pool!r} in the "
                        "pools file: its fetch tasks would never be scheduled",
                        members[0],
                        "family",
                    )
                )


def _check_defaults(raw: Any, add: Add, environ: Mapping[str, str] | None) -> dict[str, Any]:
    if raw is None:
        return dict(registry.DEFAULTS)
    if not isinstance(raw, dict):
        add(Problem(ERROR, "must be a mapping", key="defaults"))
        return dict(registry.DEFAULTS)
    out = dict(registry.DEFAULTS)
    for key, value in raw.items():
        where = f"defaults.{key}"
        if key not in registry.DEFAULT_KEYS:
            add(
                Problem(
                    ERROR, f"unknown key (allowed: {', '.join(sorted(registry.DEFAULT_KEYS))})", key=where
                )
            )
            continue
        try:
            value = registry._expand_tree(value, where, environ)
        except ConfigError as exc:
            add(Problem(ERROR, _short(exc, where), key=where))
            continue
        if _check_value(None, key, value, add, key_label=where):
            out[key] = value
    return out


def _check_id(raw: Any, index: int, seen: set[str], add: Add) -> str | None:
    label = f"sources[{index}]"
    if not isinstance(raw, dict):
        add(Problem(ERROR, f"a source is a mapping, got {type(raw).__name__}", label))
        return None
    sid = raw.get("id")
    if not isinstance(sid, str) or not registry.SOURCE_ID_RE.fullmatch(sid):
        add(Problem(ERROR, f"must match [a-z0-9][a-z0-9-]*, got {sid!r}", label, "id"))
        return None
    if sid in seen:
        add(Problem(ERROR, f"duplicate id (also {label}'s)", sid, "id"))
        return None
    seen.add(sid)
    return sid


def _check_env(
    raw: dict[str, Any], sid: str, add: Add, environ: Mapping[str, str] | None
) -> tuple[dict[str, Any], set[str]]:
    """The source with ``${VAR}`` references expanded, and the keys whose references cannot be (left
    out, so that one mistake is one problem)."""
    out: dict[str, Any] = {}
    broken: set[str] = set()
    for key, value in raw.items():
        try:
            expanded = registry._expand_tree(value, key, environ)
        except ConfigError as exc:
            add(Problem(ERROR, _short(exc, key), sid, str(key)))
            broken.add(str(key))
            continue
        leftover = [text for text in _strings(expanded) if "${" in text]
        if leftover:
            add(Problem(ERROR, f"malformed environment reference in {leftover[0]!r}", sid, str(key)))
            broken.add(str(key))
            continue
        out[key] = expanded
    return out, broken


def _check_source(sid: str, src: dict[str, Any], add: Add, *, broken: set[str]) -> None:
    kind = src.get("kind")
    allowed = registry.SOURCE_KEYS | registry.kind_keys(kind)  # a search kind's own keys too
    for key in sorted(str(k) for k in src if k not in allowed):
        add(Problem(ERROR, f"unknown key (allowed: {', '.join(sorted(allowed))})", sid, key))
    if kind not in registry.KINDS:
        add(Problem(ERROR, f"must be one of {', '.join(registry.KINDS)}, got {kind!r}", sid, "kind"))
    elif kind == "urls":
        if src.get("url") is not None:
            add(Problem(ERROR, "a 'urls' source lists its pages in urls, not url", sid, "url"))
        raw_urls = src.get("urls")
        if "urls" in broken:
            pass  # its environment reference is the problem, already said
        elif not isinstance(raw_urls, list) or not raw_urls:
            add(Problem(ERROR, "must be a non-empty list of URLs", sid, "urls"))
        else:
            for i, url in enumerate(raw_urls):
                _check_url(sid, f"urls[{i}]", url, add)
    elif kind in registry.FEED_KINDS or kind in registry.SEARCH_KINDS:
        if src.get("urls") is not None:
            add(Problem(ERROR, f"a {kind!r} source takes one url, not urls", sid, "urls"))
        if src.get("url") is not None:
            _check_url(sid, "url", src["url"], add)
        elif "url" not in broken:
            what = "API endpoint" if kind in registry.SEARCH_KINDS else "feed or sitemap URL"
            add(Problem(ERROR, f"a {kind!r} source needs its {what}", sid, "url"))
    for key in (*NUMBER_KEYS, *BOOL_KEYS, "description", "family", *TEXT_KEYS, "last_checked"):
        if key in src:
            _check_value(sid, key, src[key], add)
    if not src.get("description"):
        add(Problem(WARNING, "no description: say in one line what the source reports", sid, "description"))


def _check_value(sid: str | None, key: str, value: Any, add: Add, *, key_label: str | None = None) -> bool:
    """Check one setting with the loader's own rules; False (and a problem added) when it is refused."""
    label = key_label or key
    try:
        if key in NUMBER_KEYS:
            registry._number(value, key, integer=NUMBER_KEYS[key], allow_none=key == "rate_limit_per_s")
        elif key in BOOL_KEYS:
            registry._bool(value, key)
        elif key == "description":
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"description must be text, got {value!r}")
        elif key == "family":
            if not isinstance(value, str) or not FAMILY_RE.fullmatch(value):
                raise ConfigError(f"family must match [a-z0-9][a-z0-9_]*, got {value!r}")
        elif key in TEXT_KEYS:
            registry.non_empty_text(value, key)
        elif key == "last_checked":
            checked = registry.checked_date(value, key)
            if checked > dt.datetime.now(dt.UTC).date():
                raise ConfigError(f"last_checked {checked} is in the future")
    except ConfigError as exc:
        add(Problem(ERROR, _short(exc, key), sid, label))
        return False
    return True


def _check_url(sid: str, key: str, url: Any, add: Add) -> None:
    try:
        registry._http_url(url, key)
    except ConfigError as exc:
        add(Problem(ERROR, _short(exc, key), sid, key))


def _check_loader(
    sid: str,
    raw: dict[str, Any],
    defaults: Any,
    environ: Mapping[str, str] | None,
    add: Add,
    *,
    failed: bool,
) -> None:
    """Load the source alone with the pipeline's loader; report what it refuses if no check did."""
    if failed:
        return
    doc: dict[str, Any] = {"sources": [raw]}
    if isinstance(defaults, dict):
        doc["defaults"] = defaults
    try:
        registry.parse_sources(doc, environ=environ)
    except ConfigError as exc:
        add(Problem(ERROR, f"refused by the loader: {exc}", sid))


def _check_shared(
    sid: str,
    url: str,
    family: Any,
    urls: dict[str, str],
    hosts: dict[str, tuple[str, str]],
    add: Add,
) -> None:
    if url in urls:
        add(Problem(WARNING, f"the same URL as source {urls[url]!r}: its pages are read twice", sid, "url"))
    urls.setdefault(url, sid)
    host = (urlsplit(url).hostname or "").lower()
    if not host or not isinstance(family, str):
        return
    first = hosts.setdefault(host, (sid, family))
    if first[1] != family:
        add(
            Problem(
                WARNING,
                f"host {host} is also read by source {first[0]!r} in family {first[1]!r}: sources that "
                "share hosts share a family (one pool bounds a host's load)",
                sid,
                "family",
            )
        )


def _source_urls(src: Mapping[str, Any]) -> list[str]:
    values = [src.get("url")] if src.get("kind") != "urls" else list(src.get("urls") or [])
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def _strings(node: Any) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from _strings(item)


def _short(exc: Exception, key: str) -> str:
    """The loader's message without its leading "<key>" / "<key>:" (the problem already names the key)."""
    text = str(exc)
    for prefix in (f"{key}: ", f"{key} "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


# --- discovery --------------------------------------------------------------------------------------


def discover_all(
    sources: Iterable[registry.Source], day: dt.date, fetcher: registry.Fetcher
) -> list[DiscoveryResult]:
    """Each source's article URLs for ``day`` (its feed or sitemap dates in ``[day, day + 1)``), or why
    it failed; a failure is recorded and the next source is read."""
    results = []
    for source in sources:
        started = time.monotonic()
        found: int | None = None
        error: str | None = None
        try:
            found = len(registry.discover(source, day, day + dt.timedelta(days=1), fetcher))
        except ConflictIngestError as exc:
            error = str(exc)
        except Exception as exc:  # one broken source never stops another: say it and go on
            logger.warning("source %s: discovery failed", source.id, exc_info=True)
            error = f"{type(exc).__name__}: {exc}"
        results.append(
            DiscoveryResult(
                source=source.id,
                kind=source.kind,
                family=source.family,
                found=found,
                error=error,
                seconds=time.monotonic() - started,
            )
        )
    return results
