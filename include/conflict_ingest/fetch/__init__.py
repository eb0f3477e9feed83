"""Fetching pages: the HTTP client, its families and pools, and the SSRF/size safety checks."""
