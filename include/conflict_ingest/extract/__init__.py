"""Reading strike counts out of a cleaned page; ``extract_records(page, url)`` is the entry point."""

from __future__ import annotations

from conflict_ingest.extract.reader import extract_records

__all__ = ["extract_records"]
