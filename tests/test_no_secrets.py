"""No credentials in the repository, and none in what the pipeline logs or hands to XCom.

The scan reads every file git tracks (and new files not yet added, unless ignored) and fails on
anything shaped like a credential: AWS access key ids, private keys, AWS secret keys, tokens of
common services, and ``password``/``secret`` literals. moto's documented dummy credentials
(``testing``) and obvious placeholders are allowed; so are references to the environment or to
Airflow connections.
"""

from __future__ import annotations

import logging
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_SCAN_BYTES = 2_000_000  # larger files (data, lock files) are not hand-written config

# Values that are not secrets: moto's documented dummies, placeholders, empty strings.
ALLOWED_VALUES = frozenset(
    {"", "testing", "test", "dummy", "changeme", "example", "password", "secret", "none", "null", "***"}
)
# ``fake-...`` marks a made-up secret a test plants to prove it is never written anywhere; ``{name}`` is
# an f-string interpolation (a value built at run time, not a literal).
PLACEHOLDER_RE = re.compile(
    r"^(\$\{?[A-Za-z_]\w*\}?|<[^>]*>|\{\{.*\}\}|\{[A-Za-z_][\w.\[\]]*\}|fake-[\w-]+|\.\.\.|x+|\*+|%\(?\w*\)?s)$"
)


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    value_group: int | None = None  # when set, the captured value must not be an allowed dummy


RULES = (
    Rule("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    Rule("private key", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY( BLOCK)?-----")),
    Rule(
        "AWS secret access key",
        re.compile(r"(?i)aws_?secret_?(?:access_?)?key\W{0,5}[=:]\s*[\"']?([A-Za-z0-9/+=]{40})\b"),
        1,
    ),
    Rule("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    Rule("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    Rule(
        "Slack webhook",
        re.compile(r"https://hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+"),
    ),
    Rule(
        "password or secret literal",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|secret|secret_key|api_key|apikey|token)[\"']?\s*[=:]\s*[\"']([^\"'\s]{1,200})[\"']"
        ),
        1,
    ),
    Rule("credentials in a URL", re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:([^/\s@\"']+)@[\w.-]+"), 1),
)


def candidate_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8", "surrogateescape")
    return [ROOT / name for name in out.split("\0") if name]


def is_allowed(value: str) -> bool:
    return value.strip().lower() in ALLOWED_VALUES or bool(PLACEHOLDER_RE.match(value.strip()))


def scan_text(text: str) -> list[tuple[str, int, str]]:
    """(rule, line number, the offending text) for every credential-like string in ``text``."""
    hits: list[tuple[str, int, str]] = []
    for rule in RULES:
        for match in rule.pattern.finditer(text):
            if rule.value_group is not None and is_allowed(match.group(rule.value_group)):
                continue
            line = text.count("\n", 0, match.start()) + 1
            hits.append((rule.name, line, match.group(0)[:80]))
    return hits


def test_repository_files_carry_no_credentials() -> None:
    files = candidate_files()
    assert any(f.name == "pyproject.toml" for f in files), "git ls-files found the project"
    problems: list[str] = []
    for path in files:
        if not path.is_file() or path.stat().st_size > MAX_SCAN_BYTES:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        for rule, line, snippet in scan_text(data.decode("utf-8", "replace")):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {rule}: {snippet}")
    assert not problems, "credentials in the repository:\n" + "\n".join(problems)


# The scanner must be able to fail: planted credentials (built at run time, so this file stays clean).
PLANTED = [
    ("AWS access key id", "aws_access_key_id = " + "AKIA" + "Z7Q2" * 4),
    ("private key", "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow..."),
    ("AWS secret access key", "aws_secret_access_key=" + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKE1"),
    ("password or secret literal", 'password = "' + "hunter" + '2"'),
    ("password or secret literal", '"password": "' + "s3cr3t-" + 'prod"'),
    ("credentials in a URL", "postgresql://airflow:" + "realpass" + "@db.internal/airflow"),
    ("GitHub token", "ghp_" + "a1B2" * 9),
]


@pytest.mark.parametrize(("rule", "text"), PLANTED)
def test_scanner_finds_planted_credentials(rule: str, text: str) -> None:
    assert rule in [name for name, _, _ in scan_text(text)]


@pytest.mark.parametrize(
    "text",
    [
        '"password": "testing"',
        "AWS_SECRET_ACCESS_KEY=testing",
        "password = os.environ['SMTP_PASSWORD']",
        'login: "testing", password: "testing"',
        "token = ${AIRFLOW_TOKEN}",
        "http://***@example.com/",
        "https://alice:fake-hunter2@news.example.org/",  # a test's planted, marked-fake secret
        'f"http://{user}:{password}@127.0.0.1"',
    ],
)
def test_scanner_allows_dummies_and_references(text: str) -> None:
    assert scan_text(text) == []


# --- nothing secret in logs, stored metadata or XCom ---------------------------------------------------


def test_url_credentials_never_reach_logs_or_results(caplog: pytest.LogCaptureFixture) -> None:
    from conflict_ingest.fetch.client import Fetcher

    hidden = "pa55-" + "word-in-url"
    caplog.set_level(logging.DEBUG)
    with Fetcher(allow_private=False, retries=0) as fetcher:
        result = fetcher.fetch("http://user:" + hidden + "@127.0.0.1:9/feed.xml")
    assert (result.error or "").startswith("refused: ")
    assert hidden not in str(result.to_json())
    assert hidden not in caplog.text


def test_dag_takes_credentials_only_from_connections_and_environment() -> None:
    """The DAG files name connection ids; no key, password or endpoint credential is written there."""
    for path in sorted((ROOT / "dags").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert scan_text(text) == [], path
        for forbidden in ("aws_access_key_id=", "aws_secret_access_key=", "password="):
            assert forbidden not in text.replace(" ", "").lower(), (path, forbidden)
