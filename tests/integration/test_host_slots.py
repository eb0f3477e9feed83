"""Requests to one host are spaced across processes (fetch/slots.py): two processes that each fetch
from one local server at 5 requests per second arrive at the server at least 0.2 s apart, not as two
interleaved streams; without shared slots they interleave (the check can fail)."""

from __future__ import annotations

import http.server
import math
import multiprocessing
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import serve_http

from conflict_ingest.fetch.client import Fetcher
from conflict_ingest.fetch.slots import HostSlots

RATE = 5.0  # requests per second: 0.2 s apart
REQUESTS = 4  # per process


def _handler(times: list[float]) -> Any:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            times.append(time.time())
            body = b"<html><body><p>ok</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def _fetch_many(url: str, slots_dir: str | None, start_at: float) -> int:
    """One worker process: wait for the common start, then fetch ``REQUESTS`` times."""
    fetcher = Fetcher(
        allow_private=True,
        respect_robots=False,
        rate_limit_per_s=RATE,
        retries=0,
        host_slots=HostSlots(Path(slots_dir)) if slots_dir else None,
    )
    time.sleep(max(0.0, start_at - time.time()))
    return sum(fetcher.fetch(url).ok() for _ in range(REQUESTS))


def _two_processes(url: str, slots_dir: str | None) -> None:
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0  # both processes are up (spawn imports the project) before either asks
    with ctx.Pool(2) as pool:
        done = pool.starmap(_fetch_many, [(url, slots_dir, start_at)] * 2)
    assert done == [REQUESTS, REQUESTS]


@pytest.fixture
def server() -> Any:
    times: list[float] = []
    with serve_http(_handler(times)) as base:
        yield base + "/page.html", times


def _gaps(times: list[float]) -> list[float]:
    ordered = sorted(times)
    return [b - a for a, b in zip(ordered, ordered[1:], strict=False)]


def test_two_processes_share_the_host_s_spacing(server: Any, tmp_path: Path) -> None:
    url, times = server
    _two_processes(url, str(tmp_path / "slots"))
    assert len(times) == 2 * REQUESTS
    assert min(_gaps(times)) >= 0.9 / RATE


def test_without_shared_slots_two_processes_interleave(server: Any) -> None:
    # the reason for the slots: each process alone keeps its own spacing, together they do not
    url, times = server
    _two_processes(url, None)
    assert len(times) == 2 * REQUESTS
    # two streams side by side take about half the span that one shared spacing needs
    assert max(times) - min(times) < (2 * REQUESTS - 1) * 0.85 / RATE


def test_a_slot_is_the_last_request_plus_the_asker_s_own_interval(tmp_path: Path) -> None:
    slots = HostSlots(tmp_path / "fresh")  # created on first use
    assert slots.reserve("h:1", 10.0) == pytest.approx(0.0, abs=0.05)
    assert slots.reserve("h:1", 10.0) == pytest.approx(10.0, abs=0.05)  # queued behind the first
    assert slots.reserve("h:2", 10.0) == pytest.approx(0.0, abs=0.05)  # another host: its own slots
    # a faster asker waits for its own interval after the last request, not the slower one's
    assert slots.reserve("h:1", 0.5) == pytest.approx(10.5, abs=0.05)


def test_a_damaged_or_far_future_slot_file_is_ignored(tmp_path: Path) -> None:
    slots = HostSlots(tmp_path)
    slots.reserve("h:1", 1.0)
    (path,) = tmp_path.glob("*.slot")
    for junk in (b"not a time", repr(time.time() + 10 * 3600).encode(), repr(math.inf).encode()):
        path.write_bytes(junk)
        assert slots.reserve("h:1", 1.0) == pytest.approx(0.0, abs=0.05)
        path.write_bytes(b"")


def test_an_unwritable_folder_falls_back_to_this_fetcher_s_own_spacing(server: Any, tmp_path: Path) -> None:
    url, times = server
    locked = tmp_path / "a-file"
    locked.write_text("not a folder")  # no folder can be made under it, even by root
    fetcher = Fetcher(
        allow_private=True,
        respect_robots=False,
        rate_limit_per_s=RATE,
        retries=0,
        host_slots=HostSlots(locked / "slots"),
    )
    threads = [threading.Thread(target=fetcher.fetch, args=(url,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fetcher.host_slots is None  # given up, said once in the log
    assert len(times) == 3 and min(_gaps(times)) >= 0.9 / RATE
