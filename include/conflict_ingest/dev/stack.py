"""Local stand-ins for production's external systems, for ``make run`` and the tests.

Each is a real server on 127.0.0.1 that the pipeline talks to over the network exactly as it
talks to production: moto's S3 server (for AWS S3 / MinIO), a static HTTP server for the bundled
sample news site (for the internet), and aiosmtpd (for the SMTP relay). moto and aiosmtpd are
development dependencies, imported only when a server is started.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import logging
import os
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any, Self

from conflict_ingest.settings import BUCKET, INCLUDE_DIR, RETRY_DELAY_S, SAMPLE_SITE_DIR

logger = logging.getLogger(__name__)

LOCALHOST = "127.0.0.1"
#: The project's checkout: its ``dags/`` and ``plugins/`` folders.
PROJECT_ROOT = INCLUDE_DIR.parent
#: moto's documented dummy credentials and region.
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
#: Proxy variables: a local stack talks only to 127.0.0.1, never through a proxy.
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
NO_PROXY = "127.0.0.1,localhost"


def local_env(
    home: Path,
    *,
    s3_url: str | None = None,
    site_url: str | None = None,
    smtp_port: int | None = None,
    bucket: str | None = None,
    retry_delay_s: float | None = None,
    logging_level: str = "WARNING",
    parallelism: int | None = None,
    paused_at_creation: bool | None = None,
    bin_dir: Path | None = None,
    base: Mapping[str, str] | None = None,
    drop_proxies: bool = False,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a local Airflow against the local servers: ``make run``, ``make airflow``,
    the tests' Airflow (tests/conftest.py) and the e2e deployments (tests/e2e/deployment.py).

    ``base`` (default: this process's environment) is copied (without proxy variables with
    ``drop_proxies``) and given:
    ``AIRFLOW_HOME`` = ``home``, the project's DAG and plugin folders, no example DAGs, the logging
    level, moto's dummy AWS credentials, ``NO_PROXY`` for 127.0.0.1; with ``s3_url`` the
    ``aws_default`` connection and ``AWS_ENDPOINT_URL`` (for the CLI and boto3 outside Airflow), with
    ``smtp_port`` the ``smtp_default`` connection, with ``site_url`` ``SAMPLE_SITE_URL``; ``bucket``,
    ``retry_delay_s``, ``parallelism`` and ``paused_at_creation`` when given (else Airflow's and the
    pipeline's defaults hold); ``bin_dir`` goes first on ``PATH``. ``extra`` is applied last.
    """
    env = dict(os.environ if base is None else base)
    for proxy in PROXY_VARS if drop_proxies else ():
        env.pop(proxy, None)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": logging_level,
            **DUMMY_AWS,
            "NO_PROXY": NO_PROXY,
            "no_proxy": NO_PROXY,
        }
    )
    if parallelism is not None:
        env["AIRFLOW__CORE__PARALLELISM"] = str(parallelism)
    if paused_at_creation is not None:
        env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] = str(paused_at_creation)
    if s3_url is not None:
        env["AIRFLOW_CONN_AWS_DEFAULT"] = aws_connection(s3_url)
        env["AWS_ENDPOINT_URL"] = s3_url
    if smtp_port is not None:
        env["AIRFLOW_CONN_SMTP_DEFAULT"] = smtp_connection(smtp_port)
    if site_url is not None:
        env["SAMPLE_SITE_URL"] = site_url
    if bucket is not None:
        env[BUCKET.name] = bucket
    if retry_delay_s is not None:
        env[RETRY_DELAY_S.name] = f"{retry_delay_s:g}"
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def aws_connection(endpoint_url: str) -> str:
    """``AIRFLOW_CONN_AWS_DEFAULT`` for moto's S3 server (moto's documented dummy credentials)."""
    return json.dumps(
        {
            "conn_type": "aws",
            "login": "testing",
            "password": "testing",
            "extra": {"endpoint_url": endpoint_url, "region_name": "us-east-1"},
        }
    )


def smtp_connection(port: int) -> str:
    """``AIRFLOW_CONN_SMTP_DEFAULT`` for a plain local SMTP server (no SSL, no STARTTLS, no retries)."""
    return json.dumps(
        {
            "conn_type": "smtp",
            "host": LOCALHOST,
            "port": port,
            "extra": {
                "disable_ssl": True,
                "disable_tls": True,
                "from_email": "airflow@example.test",
                "timeout": 10,
                "retry_limit": 0,
            },
        }
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        port: int = sock.getsockname()[1]
        return port


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".htm": "text/html; charset=utf-8",
        ".xml": "application/xml",
    }

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        logger.debug("static site: " + format, *args)


class _ThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many fetchers at once (the benchmark's hosts) must not be refused


@dataclass
class LocalHTTPServer:
    """A threading HTTP server on ``host`` (127.0.0.1 by default; ``port`` 0: a free one, read back by
    :meth:`start`) serving :meth:`handler` in a daemon thread until :meth:`stop`: the base of the local
    HTTP stand-ins (:class:`StaticSite`, the API replicas of :mod:`conflict_ingest.dev.replicas`)."""

    port: int = field(default=0, kw_only=True)
    host: str = field(default=LOCALHOST, kw_only=True)
    _server: _ThreadingServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def handler(self) -> Callable[..., socketserver.BaseRequestHandler]:
        """The request handler (a class, or a factory of handlers) to serve."""
        raise NotImplementedError

    def thread_name(self) -> str:
        return type(self).__name__

    def start(self) -> Self:
        self._server = _ThreadingServer((self.host, self.port), self.handler())
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name=self.thread_name()
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and wait for the thread; nothing when not started."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None


@dataclass
class StaticSite(LocalHTTPServer):
    """A directory served over HTTP on ``host``, 127.0.0.1 by default (any 127.x.y.z is this machine);
    the bundled sample news site unless another directory is given."""

    directory: Path = SAMPLE_SITE_DIR

    def handler(self) -> Callable[..., socketserver.BaseRequestHandler]:
        return functools.partial(_QuietHandler, directory=str(self.directory))

    def thread_name(self) -> str:
        return f"site-{self.host}"


@dataclass
class S3Server:
    """moto's S3 server on 127.0.0.1, spoken to over HTTP by boto3."""

    port: int = 0
    _server: Any = None

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def start(self) -> S3Server:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        self.port = self.port or free_port()
        self._server = ThreadedMotoServer(ip_address=LOCALHOST, port=self.port, verbose=False)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@dataclass
class MailServer:
    """aiosmtpd on 127.0.0.1, keeping every message it receives."""

    port: int = 0
    messages: list[Message] = field(default_factory=list)
    _controller: Any = None

    def start(self) -> MailServer:
        from aiosmtpd.controller import Controller

        mail = self

        class _Keep:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                msg = message_from_bytes(envelope.original_content or envelope.content)
                msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
                mail.messages.append(msg)
                return "250 OK"

        self.port = self.port or free_port()
        self._controller = Controller(_Keep(), hostname=LOCALHOST, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextlib.contextmanager
def running(*servers: Any) -> Iterator[None]:
    """Start the servers, yield, and stop them whatever happens."""
    started: list[Any] = []
    try:
        for server in servers:
            started.append(server.start())
        yield
    finally:
        for server in reversed(started):
            try:
                server.stop()
            except Exception:
                logger.exception("stopping %s failed", type(server).__name__)
