"""The object store: a small interface over an S3 client, and the zone layout.

Every key the pipeline writes is built here, so the S3 layout in the README has one source.
The store takes any boto3-compatible S3 client: the DAGs pass one from the ``aws_default``
connection; the CLI and tests build one with :func:`s3_client_from_env`.

Every object is written with server-side encryption (:class:`Encryption`): SSE-S3 (``AES256``)
by default, SSE-KMS with an optional key id, or none, from ``CONFLICT_INGEST_S3_SSE`` and
``CONFLICT_INGEST_S3_KMS_KEY_ID``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from conflict_ingest.errors import ConflictIngestError
from conflict_ingest.settings import S3_KMS_KEY_ID, S3_SSE, SSE_NONE, SSE_S3, StorageSettings

logger = logging.getLogger(__name__)


def s3_client_from_env() -> Any:
    """A boto3 S3 client from the standard AWS environment (``AWS_ENDPOINT_URL`` for MinIO or moto)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    )


SSE_ENV = S3_SSE.name
SSE_KMS_KEY_ENV = S3_KMS_KEY_ID.name
DEFAULT_SSE = SSE_S3


@dataclass(frozen=True)
class Encryption:
    """Server-side encryption for every object written: ``AES256`` (SSE-S3), ``aws:kms`` (SSE-KMS,
    the bucket's or account's default KMS key unless ``kms_key_id`` names one) or ``none``."""

    mode: str = DEFAULT_SSE
    kms_key_id: str | None = None

    def __post_init__(self) -> None:
        StorageSettings(sse=self.mode, kms_key_id=self.kms_key_id)  # the checks, with the variables named

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> Encryption:
        return cls(mode=settings.sse, kms_key_id=settings.kms_key_id)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Encryption:
        """``CONFLICT_INGEST_S3_SSE`` and ``CONFLICT_INGEST_S3_KMS_KEY_ID`` (:class:`StorageSettings`)."""
        return cls.from_settings(StorageSettings.from_env(environ))

    def put_args(self) -> dict[str, str]:
        """Extra ``put_object`` arguments."""
        if self.mode == SSE_NONE:
            return {}
        args = {"ServerSideEncryption": self.mode}
        if self.kms_key_id:
            args["SSEKMSKeyId"] = self.kms_key_id
        return args


class ConcurrentUpdate(ConflictIngestError, RuntimeError):
    """A conditional write lost the race: the object changed, appeared or vanished since it was read.

    Raised by :meth:`ObjectStore.put_json_if` when S3 answers ``412 PreconditionFailed``,
    ``409 ConditionalRequestConflict`` (a concurrent conditional write to the same key) or
    ``404 NoSuchKey`` (``If-Match`` on an object deleted since). Nothing was written: re-read and retry.
    """


#: error codes of a conditional PutObject whose precondition no longer holds
_CONDITION_FAILED = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409", "NoSuchKey", "404"}
_MISSING = {"404", "NoSuchKey", "NotFound"}


class ObjectStore:
    """Bucket-scoped reads and writes. Keys are relative to the bucket.

    ``encryption`` defaults to :meth:`Encryption.from_env` (SSE-S3 unless configured)."""

    def __init__(self, client: Any, bucket: str, *, encryption: Encryption | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.encryption = encryption or Encryption.from_env()

    # -- setup -----------------------------------------------------------------------------
    def ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code not in {"404", "NoSuchBucket", "NotFound"}:
                raise
            logger.info("creating bucket %s", self.bucket)
            self.client.create_bucket(Bucket=self.bucket)

    # -- writes ----------------------------------------------------------------------------
    def put_bytes(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> str:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **self.encryption.put_args()
        )
        return key

    def put_json(self, key: str, obj: Any) -> str:
        data = json.dumps(obj, ensure_ascii=False, sort_keys=True, default=_json_default).encode("utf-8")
        return self.put_bytes(key, data, content_type="application/json")

    def put_json_if(self, key: str, obj: Any, *, etag: str | None) -> str:
        """Write ``obj`` only if the object is still the version read: ``etag`` is the ETag read
        (``If-Match``), or None when there was no object (``If-None-Match: *``, create only).

        Returns the new object's ETag; raises :class:`ConcurrentUpdate` when the condition fails.
        """
        from botocore.exceptions import ClientError

        data = json.dumps(obj, ensure_ascii=False, sort_keys=True, default=_json_default).encode("utf-8")
        condition = {"IfMatch": etag} if etag is not None else {"IfNoneMatch": "*"}
        try:
            response = self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType="application/json",
                **condition,
                **self.encryption.put_args(),
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _CONDITION_FAILED:
                expected = f"version {etag}" if etag is not None else "no object"
                raise ConcurrentUpdate(f"s3://{self.bucket}/{key} is no longer {expected} ({code})") from exc
            raise
        return str(response["ETag"])

    def put_jsonl_gz(self, key: str, rows: list[dict[str, Any]]) -> str:
        lines = "".join(json.dumps(r, ensure_ascii=False, default=_json_default) + "\n" for r in rows)
        return self.put_bytes(
            key, gzip.compress(lines.encode("utf-8"), mtime=0), content_type="application/gzip"
        )

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            if chunk:
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
                )

    # -- reads -----------------------------------------------------------------------------
    def get_bytes(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    def get_bytes_or_none(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such key."""
        from botocore.exceptions import ClientError

        try:
            return self.get_bytes(key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in _MISSING:
                return None
            raise

    def get_json_with_etag(self, key: str) -> tuple[Any, str | None]:
        """The object's JSON and its ETag (for :meth:`put_json_if`), or ``(None, None)`` when missing.

        One GET: the body and the ETag belong to the same version. Raises ``ValueError`` when the
        object is not JSON."""
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in _MISSING:
                return None, None
            raise
        return json.loads(response["Body"].read()), str(response["ETag"])

    def get_json_or_none(self, key: str) -> Any:
        """The object's JSON, or None when there is no such key (one request, where exists + get are two)."""
        from botocore.exceptions import ClientError

        try:
            return self.get_json(key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in _MISSING:
                return None
            raise

    def get_jsonl_gz(self, key: str) -> list[dict[str, Any]]:
        text = gzip.decompress(self.get_bytes(key)).decode("utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def list_keys(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                yield obj["Key"]

    def list_folders(self, prefix: str) -> Iterator[str]:
        """The "folders" directly under ``prefix`` (S3 common prefixes for ``/``), each ending in ``/``:
        one request per 1,000 folders, however many objects they hold."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            for folder in page.get("CommonPrefixes", []):
                yield folder["Prefix"]

    def list_objects(self, prefix: str) -> Iterator[tuple[str, dt.datetime]]:
        """``(key, last modified)`` of every object under ``prefix``."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                yield obj["Key"], obj["LastModified"]


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
