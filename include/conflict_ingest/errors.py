"""The library's exceptions: one base, :class:`ConflictIngestError`, under every error it raises on purpose.

Catch ``ConflictIngestError`` to handle any of them (the ``conflict-ingest`` command does: it prints
``conflict-ingest: <message>`` and exits 1). Anything else that escapes the library is a bug and
surfaces with its traceback. Each class also keeps the built-in base it always had, so an existing
``except ValueError`` or ``except RuntimeError`` still catches it.

Each class is defined in the module that raises it and importable from there; this module imports
nothing from the library, so every module can depend on it.

The family (module, class, its built-in base, when it is raised):

- ``errors.ConfigError`` (ValueError): a bad setting, i.e. an environment variable
  (``settings``, ``storage.store`` encryption, ``validate.config`` bounds) or the sources file
  (``sources.registry``).
- ``inputs.InputError`` (ValueError): bad input from outside: a URL, a day, a manual run's URLs,
  source ids or mode (``pipeline.plan``).
- ``urgent.MessageRejected`` (ValueError): an urgent-queue message that is refused.
- ``fetch.safety.UnsafeURLError`` (ValueError): a URL that may not be fetched (scheme, address).
- ``fetch.safety.HeadersTooLarge`` (http.client.HTTPException): a response's header block over its cap.
- ``fetch.client._Failure`` (Exception): internal, ends one fetch; never leave the fetcher.
- ``sources.registry.DiscoveryError`` (RuntimeError): a feed or sitemap that cannot be read.
- ``clean.cleaner.CleaningAbandoned`` (RuntimeError): a page abandoned over its cleaning CPU budget.
- ``extract.reader.PageBudgetExceeded`` (Exception): a page abandoned over its extraction CPU budget.
- ``storage.store.ConcurrentUpdate`` (RuntimeError): a conditional S3 write lost a race.
- ``storage.partitions.IncompletePartition`` (RuntimeError): a partition that is not committed (no manifest yet);
  ``storage.partitions.DamagedPartition`` (IncompletePartition): its manifest names a part that is missing or differs;
  ``storage.partitions.LandingConflict`` (RuntimeError): another landing committed the partition first.
- ``pipeline.gate.ValidationGateError`` (RuntimeError): records held back or sources incomplete.
- ``alerts.AlertDeliveryError``, ``alerts.WebhookError`` (RuntimeError): an alert not delivered.
"""

from __future__ import annotations

__all__ = ["ConfigError", "ConflictIngestError"]


class ConflictIngestError(Exception):
    """Base of every exception the library raises on purpose; its message is meant for a person."""


class ConfigError(ConflictIngestError, ValueError):
    """A bad setting: an environment variable or the sources file. The message names it and its value."""
