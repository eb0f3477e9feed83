"""The "Strike counts" view: routes and templates (``app``), the report link (``links``), the bucket
(``bucket``). Registered by ``plugins/strike_counts_plugin.py``; the data comes from ``conflict_ingest.ui``."""
