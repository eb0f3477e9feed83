"""Request slots per host, shared by every process of this machine.

A source's rate limit (``rate_limit_per_s``, a robots.txt ``Crawl-delay``) spaces the requests one
fetcher makes to a host. The nightly DAG runs one ``discover`` task per source and several ``fetch``
tasks at once, each in its own process: two sources of one host (two feeds of one broadcaster, two
queries of one news-search API that allows one request per 5 s per address) would each keep their own
spacing and, together, ask faster than either allows. :class:`HostSlots` keeps, per host, the time of
the last request any process of this machine reserved, in a small file locked with ``flock``: a request
waits until that time plus its own interval. Processes of one machine share its address, which is what
a host's limit counts; workers on other machines keep their own files.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import math
import os
import tempfile
import time
from pathlib import Path

logger = logging.getLogger(__name__)

#: Where the slot files live unless told otherwise (one file per host, a few bytes each).
DEFAULT_DIRECTORY = Path(tempfile.gettempdir()) / "conflict-ingest-host-slots"
#: A stored slot further ahead than this is a clock that jumped or a damaged file: ignored.
MAX_AHEAD_S = 3600.0


class HostSlots:
    """Per-host request slots in ``directory``, shared by every process that uses the same folder."""

    def __init__(self, directory: Path = DEFAULT_DIRECTORY) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / (hashlib.sha256(key.encode("utf-8")).hexdigest()[:40] + ".slot")

    def reserve(self, key: str, interval: float) -> float:
        """Reserve this process's next request to ``key`` (a host) at least ``interval`` seconds after
        the last one reserved on this machine; return how many seconds to wait for it.

        Raises ``OSError`` when the folder cannot be written (the caller spaces requests on its own)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self._path(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when the descriptor is closed
            now = time.time()
            last = _read_float(os.pread(fd, 64, 0))
            if not math.isfinite(last) or last > now + MAX_AHEAD_S:
                last = -math.inf
            slot = max(now, last + interval)
            data = repr(slot).encode("ascii")
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)
        return slot - now


def _read_float(raw: bytes) -> float:
    try:
        return float(raw.decode("ascii").strip() or "nan")
    except (UnicodeDecodeError, ValueError):
        return math.nan


#: The slots every fetcher of this machine shares by default.
MACHINE_SLOTS = HostSlots()
