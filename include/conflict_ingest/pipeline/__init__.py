"""The nightly flow as plain functions: one module per DAG task, each reading and writing S3.

Modules: ``context`` (RunContext, resolve_day), ``plan``, ``discover``, ``fetch``, ``clean``, ``extract``,
``validate``, ``land``, ``gate``.

Every stage takes an :class:`~conflict_ingest.storage.store.ObjectStore` and small arguments (keys,
ids, a day) and returns a small JSON-able summary: that is what travels through XCom. Pages,
cleaned text and records travel through the ``work/`` area of the bucket:

``work/strike_counts/dt=DAY/run=RUN/``
    ``discovered/SOURCE.json``     the batches a source's discovery produced
    ``batches/SOURCE-NNNNN.json``  the URLs of one batch
    ``fetched/BATCH.json``         raw keys (or errors) of each URL of a batch
    ``cleaned/BATCH.jsonl.gz``     one cleaned page per line
    ``extracted/BATCH.jsonl.gz``   one record per line
    ``validated/passed.jsonl.gz``  the records that passed the critical expectations

Raw pages land in the raw zone (``raw/source=ID/dt=DAY/SHA256.html.gz`` and a ``.json``
sidecar) before anything parses them, so any day can be re-derived without the network.
"""
