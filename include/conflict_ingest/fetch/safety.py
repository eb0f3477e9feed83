"""URL safety for the fetcher: which URLs and which network addresses it may talk to.

A news fetcher that follows links and redirects from pages it does not control must not be
steered into the machine's own network (server-side request forgery). Two checks:

- :func:`check_url` before every request and every redirect hop: scheme is http/https, the host
  resolves (``socket.getaddrinfo``) and none of its addresses is private, loopback, link-local,
  reserved, multicast, unspecified or a cloud metadata endpoint (unless ``allow_private``).
- :class:`GuardedHTTPAdapter` resolves the host again at connect time, checks every address and
  connects to a checked address only (the name is kept for the Host header and TLS), so a name whose
  DNS answer changes between the check and the connection (DNS rebinding) never gets a handshake
  with a forbidden address; it then re-checks the address the socket actually connected to.
- an IPv6 address that embeds an IPv4 address (mapped, NAT64, IPv4-compatible, 6to4, Teredo) is
  judged by the IPv4 address too.

The adapter also enforces the current :class:`Exchange`: one deadline over connect, headers and body,
and a cap on the size of the response's header block.

Cloud metadata endpoints are refused even when private addresses are allowed: no news source
lives there.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from conflict_ingest.errors import ConflictIngestError

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# Instance-metadata and credential services of the big clouds: AWS IPv4/IPv6, ECS task metadata and
# the EKS Pod Identity agent (IPv4/IPv6), Alibaba, Oracle.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "fd00:ec2::254",
        "169.254.170.2",
        "169.254.170.23",
        "fd00:ec2::23",
        "100.100.100.200",
        "192.0.0.192",
    )
)

# (attribute of ipaddress objects, how the refusal names it), checked in this order. An attribute an
# address family lacks (IPv4 has no ``is_site_local``) does not apply to it.
ADDRESS_CLASSES: tuple[tuple[str, str], ...] = (
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_site_local", "a site-local address"),
    ("is_unspecified", "an unspecified address"),
    ("is_multicast", "a multicast address"),
    ("is_private", "a private address"),
    ("is_reserved", "a reserved address"),
)

# IPv6 prefixes that carry an IPv4 address the packets really go to.
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: the operator picks the layout
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d (RFC 4291 2.5.5.1)
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT ::ffff:0:a.b.c.d (RFC 2765)
# RFC 6052 2.2: the prefix lengths a NAT64 prefix may have inside 64:ff9b:1::/48.
_RFC6052_PREFIXES = (48, 56, 64, 96)

Resolver = Callable[[str, int], list[IPAddress]]


class UnsafeURLError(ConflictIngestError, ValueError):
    """The URL or the address it leads to is not one the fetcher may contact."""


def _rfc6052_ipv4(value: int, prefix: int) -> ipaddress.IPv4Address:
    """The IPv4 address in an RFC 6052 address with a ``prefix``-bit NAT64 prefix."""
    bits = format(value, "0128b")
    if prefix == 96:
        return ipaddress.IPv4Address(int(bits[96:], 2))
    without_u = bits[:64] + bits[72:]  # bits 64..71 (the "u" octet) never carry the IPv4 address
    return ipaddress.IPv4Address(int(without_u[prefix : prefix + 32], 2))


def embedded_ipv4(ip: IPAddress) -> tuple[list[ipaddress.IPv4Address], bool]:
    """The IPv4 addresses an IPv6 address leads to (mapped, translated, NAT64, IPv4-compatible, 6to4,
    Teredo server and client), and whether the IPv6 address itself is only a carrier (mapped,
    well-known NAT64, 6to4: only the IPv4 address is judged)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return [], False
    value = int(ip)
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped], True
    if ip in NAT64_WELL_KNOWN:
        return [ipaddress.IPv4Address(value & 0xFFFFFFFF)], True
    if ip.sixtofour is not None:
        return [ip.sixtofour], True
    if ip in NAT64_LOCAL_USE:
        return [_rfc6052_ipv4(value, prefix) for prefix in _RFC6052_PREFIXES], False
    if ip in IPV4_TRANSLATED or (ip in IPV4_COMPATIBLE and value > 1):
        return [ipaddress.IPv4Address(value & 0xFFFFFFFF)], False
    if ip.teredo is not None:
        return list(ip.teredo), False
    return [], False


def _own_problem(ip: IPAddress, *, allow_private: bool) -> str | None:
    if not allow_private:
        for attribute, label in ADDRESS_CLASSES:
            if getattr(ip, attribute, False):
                return f"{ip} is {label}"
        if not ip.is_global:
            return f"{ip} is not a public address"
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    return None


def address_problem(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``ip`` may not be contacted (``"169.254.169.254 is a link-local address"``), or None.

    An IPv6 address that embeds an IPv4 address (``::ffff:a.b.c.d``, NAT64 ``64:ff9b::a.b.c.d``,
    ``::a.b.c.d``, 6to4, Teredo) is judged by the IPv4 address as well: metadata stays refused
    whatever the wrapping."""
    embedded, carrier_only = embedded_ipv4(ip)
    candidates: list[IPAddress] = [*([] if carrier_only else [ip]), *embedded]
    for candidate in candidates:
        problem = _own_problem(candidate, allow_private=allow_private)
        if problem:
            return problem
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """All addresses ``host`` resolves to (raises ``socket.gaierror`` when it does not)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, IPAddress] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        literal = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        seen.setdefault(literal, ipaddress.ip_address(literal))
    return list(seen.values())


def redact_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, for logs, errors and stored metadata."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("@", 1)[-1] if "@" in url else url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def check_addresses(
    host: str, port: int, *, allow_private: bool, resolver: Resolver | None = None
) -> list[IPAddress]:
    """Resolve ``host`` once and check every address; the addresses, all of which may be contacted.

    Raises :class:`UnsafeURLError` ("refused: ...") when any address is forbidden, ``OSError`` when
    the name does not resolve."""
    addresses = (resolver or resolve)(host, port)
    if not addresses:
        raise UnsafeURLError(f"refused: host {host!r} resolves to no address")
    for ip in addresses:
        problem = address_problem(ip, allow_private=allow_private)
        if problem:
            raise UnsafeURLError(f"refused: {problem}")
    return addresses


def check_url(url: str, *, allow_private: bool, resolver: Resolver | None = None) -> None:
    """Raise :class:`UnsafeURLError` ("refused: ...") unless ``url`` may be fetched.

    ``resolver`` (default :func:`resolve`) turns a host and port into addresses."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURLError(f"refused: malformed URL {redact_url(url)!r} ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURLError(f"refused: scheme {scheme or '(none)'!r} is not http or https")
    host = parts.hostname
    if not host:
        raise UnsafeURLError(f"refused: URL {redact_url(url)!r} has no host")
    if parts.username or parts.password:
        raise UnsafeURLError("refused: URL carries credentials")
    try:
        check_addresses(host, port or DEFAULT_PORTS[scheme], allow_private=allow_private, resolver=resolver)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURLError(f"refused: cannot resolve host {host!r} ({exc})") from exc


# --- connect time: pinned addresses, peer check, deadline and header cap ----------------------------

_policy = threading.local()


@contextmanager
def address_policy(*, allow_private: bool, resolver: Resolver | None = None) -> Iterator[None]:
    """Within the block, connections made by a :class:`GuardedHTTPAdapter` use this policy (and
    ``resolver`` to find the addresses they check and connect to)."""
    previous = (getattr(_policy, "allow_private", None), getattr(_policy, "resolver", None))
    _policy.allow_private = allow_private
    _policy.resolver = resolver
    try:
        yield
    finally:
        _policy.allow_private, _policy.resolver = previous


class HeadersTooLarge(ConflictIngestError, http.client.HTTPException):
    """The response's status line and headers outgrew the exchange's header cap."""


class Exchange:
    """One request and its response under a deadline and a cap on the header block.

    http.client reads a header block line by line with a per-read timeout only, so a server that
    sends one byte a second never times out. A timer shuts the exchange's sockets down (through a
    duplicate of their file descriptor, so TLS sockets and closed connections are handled alike)
    when the deadline passes: the blocked read returns at once. :attr:`expired` says it happened."""

    def __init__(self, deadline_s: float, max_header_bytes: int) -> None:
        self.deadline_s = deadline_s
        self.max_header_bytes = max_header_bytes
        self.started = time.monotonic()
        self.expired = False
        self.header_bytes = 0
        self.headers_too_large = False
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._closed = False
        self._timer = threading.Timer(deadline_s, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return self.deadline_s - (time.monotonic() - self.started)

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down when the deadline passes (at once if it already has)."""
        try:
            dup = socket.socket(fileno=os.dup(sock.fileno()))
        except OSError:
            return
        with self._lock:
            if self._closed:
                dup.close()
                return
            self._socks.append(dup)
            expired = self.expired
        if expired:
            _shutdown(dup)

    def _expire(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.expired = True
            socks = list(self._socks)
        logger.info("exchange deadline of %gs passed: closing its connection", self.deadline_s)
        for sock in socks:
            _shutdown(sock)

    def __enter__(self) -> Exchange:
        self._previous = getattr(_policy, "exchange", None)
        _policy.exchange = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        _policy.exchange = self._previous
        self._timer.cancel()
        with self._lock:
            self._closed = True
            socks, self._socks = self._socks, []
        for sock in socks:
            sock.close()


def _shutdown(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def current_exchange() -> Exchange | None:
    exchange: Exchange | None = getattr(_policy, "exchange", None)
    return exchange


class _HeaderCounter:
    """Stands in for a response's file while http.client reads the status line and headers."""

    def __init__(self, fp: Any, exchange: Exchange) -> None:
        self._fp = fp
        self._exchange = exchange
        self.count = 0

    def readline(self, limit: int = -1) -> bytes:
        room = self._exchange.max_header_bytes - self.count
        want = room + 1 if limit is None or limit < 0 else min(limit, room + 1)
        line: bytes = self._fp.readline(want)
        self.count += len(line)
        if self.count > self._exchange.max_header_bytes:
            self._exchange.headers_too_large = True
            raise HeadersTooLarge(f"response headers exceed {self._exchange.max_header_bytes} bytes")
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fp, name)


class _CappedHTTPResponse(http.client.HTTPResponse):
    def begin(self) -> None:
        exchange = current_exchange()
        if exchange is None:
            super().begin()
            return
        raw = self.fp
        counter = _HeaderCounter(raw, exchange)
        self.fp = counter  # type: ignore[assignment]
        try:
            super().begin()
        finally:
            exchange.header_bytes = counter.count
            if self.fp is counter:
                self.fp = raw


def _check_peer(sock: socket.socket, proxied: bool) -> None:
    if proxied:
        return  # the peer is the configured proxy, not the target
    allow_private = bool(getattr(_policy, "allow_private", False))
    try:
        peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%", 1)[0])
    except (OSError, ValueError):
        return
    problem = address_problem(peer, allow_private=allow_private)
    if problem:
        sock.close()
        raise UnsafeURLError(f"refused: connected peer {problem}")


def _pinned_new_conn(conn: HTTPConnection, new_conn: Callable[[], socket.socket]) -> socket.socket:
    """Resolve the connection's host once, check every address, connect to a checked one.

    The name stays the connection's host (Host header, TLS SNI and certificate check): only the
    address the socket connects to is pinned, so a name that rebinds between the check and the
    connect never gets a handshake with the new address."""
    proxied = conn.proxy is not None or bool(getattr(conn, "_tunnel_host", None))
    exchange = current_exchange()
    if proxied:  # connected to the configured proxy; the target was checked before the request
        sock = new_conn()
    else:
        allow_private = bool(getattr(_policy, "allow_private", False))
        resolver: Resolver | None = getattr(_policy, "resolver", None)
        name = conn._dns_host
        try:
            addresses = check_addresses(name, conn.port, allow_private=allow_private, resolver=resolver)
        except (OSError, UnicodeError) as exc:
            raise NameResolutionError(conn.host, conn, socket.gaierror(str(exc))) from exc
        failure: Exception | None = None
        for ip in addresses:
            conn._dns_host = str(ip)
            try:
                sock = new_conn()
                break
            except (NewConnectionError, ConnectTimeoutError) as exc:
                failure = exc
            finally:
                conn._dns_host = name
        else:
            assert failure is not None
            raise failure
    if exchange is not None:
        exchange.watch(sock)
        conn._watched_by = exchange  # type: ignore[attr-defined]
    _check_peer(sock, proxied=proxied)
    return sock


def _watch_reused(conn: HTTPConnection) -> None:
    """A kept-alive connection serving a new exchange is watched by that exchange too."""
    exchange = current_exchange()
    if exchange is not None and conn.sock is not None and getattr(conn, "_watched_by", None) is not exchange:
        exchange.watch(conn.sock)
        conn._watched_by = exchange  # type: ignore[attr-defined]


class _Guarded:
    """What both guarded connection classes add: a pinned, checked connect, the header cap, and the
    current exchange's deadline on a kept-alive connection."""

    response_class = _CappedHTTPResponse

    def _new_conn(self) -> socket.socket:
        return _pinned_new_conn(self, super()._new_conn)  # type: ignore[arg-type, misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch_reused(self)  # type: ignore[arg-type]
        super().request(*args, **kwargs)  # type: ignore[misc]


class _GuardedHTTPConnection(_Guarded, HTTPConnection):  # type: ignore[misc]
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):  # type: ignore[misc]
    pass


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedHTTPAdapter(HTTPAdapter):
    """A requests adapter whose connections go only to checked addresses (resolved once, each
    checked, the socket connected to one of them and its peer checked again), under the current
    :class:`Exchange`'s deadline and header cap."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_GUARDED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """An explicitly configured proxy's connections live under the deadline and header cap too
        (the proxy itself is trusted configuration: its address is not checked, the target's is)."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_GUARDED_POOLS)
        return manager


_GUARDED_POOLS: dict[str, type[HTTPConnectionPool]] = {
    "http": _GuardedHTTPConnectionPool,
    "https": _GuardedHTTPSConnectionPool,
}
