"""URL safety for the fetcher: which URLs and which network addresses it may talk to.

A news fetcher that follows links and redirects from pages it does not control must not be
steered into the machine's own network (server-side request forgery). Two checks:

- :func:`check_url` before every request and every redirect hop: scheme is http/https, the host
  resolves (``socket.getaddrinfo``) and none of its addresses is private, loopback, link-local,
  reserved, multicast, unspecified or a cloud metadata endpoint (unless ``allow_private``).
- :class:`GuardedHTTPAdapter` re-checks the address the socket actually connected to, so a host
  whose DNS answer changes between the check and the connection (DNS rebinding) is still refused.

Cloud metadata endpoints are refused even when private addresses are allowed: no news source
lives there.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# Instance-metadata services of the big clouds (AWS IPv4/IPv6, ECS task metadata, Alibaba, Oracle).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200", "192.0.0.192")
)

# (attribute of ipaddress objects, how the refusal names it), checked in this order.
ADDRESS_CLASSES: tuple[tuple[str, str], ...] = (
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_unspecified", "an unspecified address"),
    ("is_multicast", "a multicast address"),
    ("is_private", "a private address"),
    ("is_reserved", "a reserved address"),
)


class UnsafeURLError(ValueError):
    """The URL or the address it leads to is not one the fetcher may contact."""


def _unwrap(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def address_problem(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``ip`` may not be contacted (``"169.254.169.254 is a link-local address"``), or None."""
    ip = _unwrap(ip)
    if not allow_private:
        for attribute, label in ADDRESS_CLASSES:
            if getattr(ip, attribute):
                return f"{ip} is {label}"
        if not ip.is_global:
            return f"{ip} is not a public address"
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
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


def check_url(url: str, *, allow_private: bool) -> None:
    """Raise :class:`UnsafeURLError` ("refused: ...") unless ``url`` may be fetched."""
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
        addresses = resolve(host, port or DEFAULT_PORTS[scheme])
    except (OSError, UnicodeError) as exc:
        raise UnsafeURLError(f"refused: cannot resolve host {host!r} ({exc})") from exc
    if not addresses:
        raise UnsafeURLError(f"refused: host {host!r} resolves to no address")
    for ip in addresses:
        problem = address_problem(ip, allow_private=allow_private)
        if problem:
            raise UnsafeURLError(f"refused: {problem}")


# --- connect-time check (DNS rebinding) -------------------------------------------------------------

_policy = threading.local()


@contextmanager
def address_policy(*, allow_private: bool) -> Iterator[None]:
    """Within the block, connections made by a :class:`GuardedHTTPAdapter` use this policy."""
    previous = getattr(_policy, "allow_private", None)
    _policy.allow_private = allow_private
    try:
        yield
    finally:
        _policy.allow_private = previous


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


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock, proxied=getattr(self, "proxy", None) is not None)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock, proxied=getattr(self, "proxy", None) is not None)
        return sock


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedHTTPAdapter(HTTPAdapter):
    """A requests adapter whose sockets refuse to stay connected to a forbidden address."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }
