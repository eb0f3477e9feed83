"""Cleaning fetched HTML into a page of text blocks; ``clean_html(raw, url)`` is the entry point."""

from __future__ import annotations

from conflict_ingest.clean.cleaner import clean_html

__all__ = ["clean_html"]
