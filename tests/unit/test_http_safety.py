"""Which URLs and addresses the fetcher may contact."""

from __future__ import annotations

import ipaddress

import pytest

from conflict_ingest.fetch.safety import UnsafeURLError, address_problem, check_url, redact_url


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("::1", "::1 is a loopback address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address"),
        ("fe80::1", "fe80::1 is a link-local address"),
        ("10.1.2.3", "10.1.2.3 is a private address"),
        ("172.16.0.9", "172.16.0.9 is a private address"),
        ("192.168.1.1", "192.168.1.1 is a private address"),
        ("fd00:ec2::254", "fd00:ec2::254 is a private address"),
        ("0.0.0.0", "0.0.0.0 is an unspecified address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("240.0.0.1", "240.0.0.1 is a private address"),
        ("100.100.100.200", "100.100.100.200 is not a public address"),
        ("::ffff:127.0.0.1", "127.0.0.1 is a loopback address"),
        ("::ffff:10.0.0.1", "10.0.0.1 is a private address"),
    ],
)
def test_non_public_addresses_are_refused(address: str, problem: str) -> None:
    assert address_problem(ipaddress.ip_address(address), allow_private=False) == problem


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address), allow_private=False) is None


def test_allow_private_opens_loopback_and_private_but_never_metadata() -> None:
    assert address_problem(ipaddress.ip_address("127.0.0.1"), allow_private=True) is None
    assert address_problem(ipaddress.ip_address("10.0.0.1"), allow_private=True) is None
    for metadata in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "::ffff:169.254.169.254"):
        problem = address_problem(ipaddress.ip_address(metadata), allow_private=True)
        assert problem is not None and problem.endswith("is a cloud metadata address")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "refused: scheme 'file' is not http or https"),
        ("gopher://127.0.0.1/", "refused: scheme 'gopher' is not http or https"),
        ("http:///nohost", "has no host"),
        ("http://user:testing@127.0.0.1/", "carries credentials"),
        ("http://127.0.0.1:99999/", "malformed URL"),
        ("http://127.0.0.1/", "refused: 127.0.0.1 is a loopback address"),
        ("http://[::1]:8080/", "refused: ::1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address"),
        ("http://0x7f000001/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://localhost/", "loopback"),
        ("http://no-such-host.invalid/", "cannot resolve host"),
    ],
)
def test_check_url_refuses_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(UnsafeURLError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_url(url, allow_private=False)


def test_check_url_allows_loopback_when_private_allowed() -> None:
    check_url("http://127.0.0.1:8765/feed.xml", allow_private=True)
    with pytest.raises(UnsafeURLError, match="metadata"):
        check_url("http://169.254.169.254/", allow_private=True)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:testing@news.example/a?b=1", "http://***@news.example/a?b=1"),
        ("https://token@news.example:8443/", "https://***@news.example:8443/"),
        ("https://news.example/a@b", "https://news.example/a@b"),
        ("https://news.example/", "https://news.example/"),
    ],
)
def test_redact_url_hides_credentials_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("64:ff9b::a9fe:a9fe", "169.254.169.254 is a cloud metadata address"),  # NAT64 (RFC 6052)
        ("64:ff9b::169.254.170.2", "169.254.170.2 is a cloud metadata address"),
        ("64:ff9b:1:a9fe:a9:fe00::", "169.254.169.254 is a cloud metadata address"),  # local-use /48
        ("64:ff9b:1::a9fe:a9fe", "169.254.169.254 is a cloud metadata address"),  # local-use, /96 layout
        ("::a9fe:a9fe", "169.254.169.254 is a cloud metadata address"),  # IPv4-compatible
        ("::ffff:0:a9fe:a9fe", "169.254.169.254 is a cloud metadata address"),  # IPv4-translated
        ("2002:a9fe:a9fe::1", "169.254.169.254 is a cloud metadata address"),  # 6to4
        ("2001:0:a9fe:a9fe::5", "169.254.169.254 is a cloud metadata address"),  # Teredo server
        ("2001:0:4136:e378:8000:63bf:5601:5601", "169.254.169.254 is a cloud metadata address"),  # client
        ("169.254.170.23", "169.254.170.23 is a cloud metadata address"),  # EKS Pod Identity
        ("fd00:ec2::23", "fd00:ec2::23 is a cloud metadata address"),
        ("64:ff9b::a9fe:aa17", "169.254.170.23 is a cloud metadata address"),
    ],
)
def test_metadata_endpoints_are_refused_in_every_ipv6_wrapping_even_with_private_allowed(
    address: str, problem: str
) -> None:
    assert address_problem(ipaddress.ip_address(address), allow_private=True) == problem
    assert address_problem(ipaddress.ip_address(address), allow_private=False) is not None


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("fec0::1", "fec0::1 is a site-local address"),
        ("feff:ffff::1", "feff:ffff::1 is a site-local address"),
        ("64:ff9b::7f00:1", "127.0.0.1 is a loopback address"),
        ("64:ff9b::a00:1", "10.0.0.1 is a private address"),
        ("2002:7f00:1::1", "127.0.0.1 is a loopback address"),
    ],
)
def test_site_local_and_wrapped_private_addresses_are_refused(address: str, problem: str) -> None:
    assert address_problem(ipaddress.ip_address(address), allow_private=False) == problem


def test_nat64_of_a_public_address_is_public() -> None:
    assert address_problem(ipaddress.ip_address("64:ff9b::808:808"), allow_private=False) is None
    assert address_problem(ipaddress.ip_address("64:ff9b::7f00:1"), allow_private=True) is None


def test_check_url_judges_every_address_the_resolver_gives() -> None:
    def resolver(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        assert (host, port) == ("news.test", 8080)
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("64:ff9b::a9fe:a9fe")]

    with pytest.raises(UnsafeURLError, match="refused: 169.254.169.254 is a cloud metadata address"):
        check_url("http://news.test:8080/", allow_private=True, resolver=resolver)
    check_url(
        "http://news.test:8080/", allow_private=False, resolver=lambda h, p: [ipaddress.ip_address("8.8.8.8")]
    )
