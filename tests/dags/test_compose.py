"""docker-compose.yaml (Airflow 3, CeleryExecutor) agrees with the image, the code and .env.example.

The file is read with ``yaml.safe_load`` (anchors and ``<<`` merges resolve as Compose resolves them) and
its ``${VAR}`` references are interpolated here the way Compose does, because the Compose plugin is not
installed on the development machine (``test_docker_compose_renders_the_file`` runs where it is).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from tests.test_no_secrets import scan_text

from conflict_ingest.settings import Settings
from conflict_ingest.storage.store import Encryption

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_PATH = ROOT / "docker-compose.yaml"
ENV_EXAMPLE_PATH = ROOT / ".env.example"
CODE_DIRS = (ROOT / "include", ROOT / "dags")

AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "flower",
)
LONG_RUNNING_AIRFLOW_SERVICES = tuple(s for s in AIRFLOW_SERVICES if s != "airflow-init")
IMAGE_IN_CONTAINER = "/opt/airflow/"  # where the Dockerfile copies the project
PLACEHOLDER = "change-me"
SECRET_WORDS = ("PASSWORD", "SECRET", "FERNET")

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}, ${NAME:+alt}, ${NAME+alt}, $NAME
REF_RE = re.compile(
    r"\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)"
)
ESCAPED_DOLLAR = "\0"
ENV_LINE_RE = re.compile(r"^(?P<comment>#\s*)?(?P<name>[A-Z_][A-Z0-9_]*)=(?P<value>.*)$")
CODE_NAME_RE = re.compile(r"[\"'](CONFLICT_INGEST_[A-Z0-9_]+)[\"']")
DOCKERFILE_FROM_RE = re.compile(r"^FROM\s+apache/airflow:(?P<version>[^-\s]+)-python\S*\s*$", re.M)


# --- reading the files ---------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yaml is not a mapping"
    return data


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _strings(node: Any) -> Iterator[str]:
    """Every string value in a parsed YAML tree (keys are not interpolated by Compose)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _refs(text: str) -> list[re.Match[str]]:
    return list(REF_RE.finditer(text.replace("$$", ESCAPED_DOLLAR)))


def _all_refs() -> list[re.Match[str]]:
    return [m for text in _strings(_compose()) for m in _refs(text)]


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's variable substitution (no nesting), ``$$`` being a literal ``$``."""

    def one(match: re.Match[str]) -> str:
        name = match["name"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        value = env.get(name)
        present, non_empty = value is not None, bool(value)
        if op in (":?", "?") and not (non_empty if op == ":?" else present):
            raise KeyError(f"{name} is required: {arg}")
        if op == ":-":
            return value if non_empty and value is not None else arg
        if op == "-":
            return value if value is not None else arg
        if op == ":+":
            return arg if non_empty else ""
        if op == "+":
            return arg if present else ""
        return value or ""

    return REF_RE.sub(one, text.replace("$$", ESCAPED_DOLLAR)).replace(ESCAPED_DOLLAR, "$")


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _command(service: Mapping[str, Any]) -> str:
    command = service.get("command") or ""
    return command if isinstance(command, str) else "\n".join(str(part) for part in command)


def _env_example() -> dict[str, tuple[str, bool]]:
    """NAME -> (value, active) for every ``NAME=value`` or ``# NAME=value`` line of .env.example."""
    entries: dict[str, tuple[str, bool]] = {}
    for line in ENV_EXAMPLE_PATH.read_text(encoding="utf-8").splitlines():
        match = ENV_LINE_RE.match(line.strip())
        if match:
            value = match["value"].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            entries[match["name"]] = (value, not match["comment"])
    return entries


def _example_env() -> dict[str, str]:
    """The environment Compose sees with .env.example copied to .env as it is."""
    return {name: value for name, (value, active) in _env_example().items() if active}


def _distinct_env() -> dict[str, str]:
    """A different value for every variable, so a reference to the wrong variable shows."""
    names = {m["name"] or m["bare"] for m in _all_refs()}
    return {name: f"value-of-{name.lower().replace('_', '-')}" for name in names}


def _is_secret_name(name: str) -> bool:
    return any(word in name for word in SECRET_WORDS) and not name.endswith(("_FILE", "_PATH"))


def _requirements_airflow() -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        name, _, version = line.split("#", 1)[0].strip().partition("==")
        if name.lower() == "apache-airflow":
            return version
    raise AssertionError("requirements.txt does not pin apache-airflow")


# --- the image -----------------------------------------------------------------------------------------


def test_every_airflow_service_runs_the_one_image_built_from_the_projects_dockerfile() -> None:
    compose, services = _compose(), _services()
    image = compose["x-airflow-common"]["image"]
    assert image, "x-airflow-common names no image"
    for name in AIRFLOW_SERVICES:
        service = services[name]
        assert service.get("image") == image, f"{name} runs {service.get('image')!r}, not {image!r}"
        build = service.get("build")
        assert build is not None, f"{name} is not built from the project"
        context = build if isinstance(build, str) else build.get("context")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        assert context == ".", f"{name} builds from {context!r}, not the project root"
        assert (ROOT / context / dockerfile).resolve() == (ROOT / "Dockerfile").resolve()
    others = {n: s for n, s in services.items() if n not in AIRFLOW_SERVICES}
    for name, service in others.items():
        assert "build" not in service, f"{name} builds an image too"
        assert service.get("image") != image, f"{name} is not listed as an Airflow service"

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    default_image = interpolate(image, {})
    assert default_image == f"{project['name']}:{project['version']}", "the image tag follows the project"


def test_dockerfile_airflow_matches_the_requirements_pin() -> None:
    match = DOCKERFILE_FROM_RE.search((ROOT / "Dockerfile").read_text())
    assert match, "Dockerfile does not start FROM apache/airflow:VERSION-pythonX"
    assert match["version"] == _requirements_airflow()


# --- executor, broker, database ------------------------------------------------------------------------


def test_celery_executor_with_broker_and_result_backend_in_this_compose() -> None:
    services, env_values = _services(), _distinct_env()
    postgres_env = {k: interpolate(v, env_values) for k, v in _environment(services["postgres"]).items()}
    redis_env = {k: interpolate(v, env_values) for k, v in _environment(services["redis"]).items()}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")

    for name in AIRFLOW_SERVICES:
        env = {k: interpolate(v, env_values) for k, v in _environment(services[name]).items()}
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false", name

        broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
        assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379), name
        assert broker.password == redis_env["REDIS_PASSWORD"], f"{name}: broker password is not Redis's"
        assert "--requirepass" in _command(services["redis"]), "Redis is started without its password"

        for key, schemes in (
            ("AIRFLOW__CELERY__RESULT_BACKEND", {"db+postgresql", "db+postgresql+psycopg2"}),
            ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", {"postgresql", "postgresql+psycopg2"}),
        ):
            url = urlsplit(env[key])
            assert url.scheme in schemes, f"{name}: {key} is not PostgreSQL"
            assert url.hostname == "postgres", f"{name}: {key} is not the compose's postgres"
            assert url.username == postgres_env["POSTGRES_USER"], key
            assert url.password == postgres_env["POSTGRES_PASSWORD"], f"{name}: {key} password"
            assert url.path == "/" + postgres_env["POSTGRES_DB"], key

        api = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
        assert api.hostname == "airflow-apiserver" and api.path == "/execution/", name
        assert api.port == 8080 and "api-server" in _command(services["airflow-apiserver"])


def test_every_dependency_exists_and_its_condition_can_be_met() -> None:
    services = _services()
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {d: {"condition": "service_started"} for d in depends}
        for target, spec in depends.items():
            assert target in services, f"{name} depends on {target!r}, which is not a service"
            condition = spec.get("condition", "service_started")
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target} to be healthy"
            elif condition == "service_completed_successfully":
                assert services[target].get("restart", "no") == "no", f"{target} is not a one-shot"
            else:
                assert condition == "service_started", f"{name}: unknown condition {condition!r}"
            if "profiles" in services[target]:
                assert set(services[target]["profiles"]) <= set(service.get("profiles", ())), (
                    f"{name} needs {target}, which only starts with a profile"
                )
    for name in AIRFLOW_SERVICES:
        assert {"postgres", "redis", "minio-init"} <= set(services[name]["depends_on"]), name
    for name in LONG_RUNNING_AIRFLOW_SERVICES:
        init = services[name]["depends_on"].get("airflow-init", {})
        assert init.get("condition") == "service_completed_successfully", f"{name} starts before init"


def test_worker_runs_celery_worker_and_scales() -> None:
    worker = _services()["airflow-worker"]
    assert re.search(r"(^|\s)celery\s+worker(\s|$)", _command(worker)), _command(worker)
    assert "container_name" not in worker, "a fixed container name stops --scale"
    assert "ports" not in worker, "a published host port stops --scale"
    assert "flower" in _services()["flower"].get("profiles", []), "flower is optional"


def test_init_migrates_the_database_then_imports_the_projects_pools() -> None:
    init = _services()["airflow-init"]
    script = _command(init)
    migrate = script.find("airflow db migrate")
    match = re.search(r"airflow pools import\s+(\S+)", script)
    assert migrate >= 0, "airflow-init does not migrate the database"
    assert match, "airflow-init does not import pools"
    assert migrate < match.start(), "pools are imported before the database is migrated"
    in_image = match[1]
    assert in_image == IMAGE_IN_CONTAINER + "include/pools.json"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY\s.*\binclude\s+/opt/airflow/include\s*$", dockerfile, re.M), (
        "include/ not copied"
    )
    pools = json.loads((ROOT / in_image.removeprefix(IMAGE_IN_CONTAINER)).read_text())
    assert pools and all(isinstance(p.get("slots"), int) and p["slots"] > 0 for p in pools.values())
    assert init.get("restart") == "no"


# --- variables -----------------------------------------------------------------------------------------


def test_every_variable_compose_reads_is_documented_in_env_example() -> None:
    for text in _strings(_compose()):
        leftover = REF_RE.sub("", text.replace("$$", ESCAPED_DOLLAR))
        assert "$" not in leftover, f"a variable form this test does not read: {text!r}"
    refs = _all_refs()
    read = {m["name"] or m["bare"] for m in refs}
    documented = _env_example()
    assert read - set(documented) == set(), "read by docker-compose.yaml, missing from .env.example"
    assert set(documented) - read == set(), "in .env.example, never read by docker-compose.yaml"
    required = {m["name"] for m in refs if m["op"] in (":?", "?")}
    assert required, "no variable is required: secrets would fall back to something"
    for name in required:
        value, active = documented[name]
        assert active, f"{name} is required but commented out in .env.example"
    for name, (value, active) in documented.items():
        if _is_secret_name(name):
            assert name in required, f"{name} is a secret and must be required (${{{name}:?...}})"
            assert PLACEHOLDER in value, f"{name} in .env.example is not marked {PLACEHOLDER}"


def test_conflict_ingest_variables_set_in_compose_are_read_by_the_code() -> None:
    in_code = {
        name
        for directory in CODE_DIRS
        for path in directory.rglob("*.py")
        for name in CODE_NAME_RE.findall(path.read_text(encoding="utf-8"))
    }
    assert "CONFLICT_INGEST_BUCKET" in in_code, "the scan found the settings"
    set_in_compose = {
        key
        for service in _services().values()
        for key in _environment(service)
        if key.startswith("CONFLICT_")
    }
    set_in_compose |= {
        m["name"] or m["bare"] for m in _all_refs() if (m["name"] or "").startswith("CONFLICT_")
    }
    assert set_in_compose, "compose configures none of the pipeline"
    assert set_in_compose - in_code == set(), "set in docker-compose.yaml, read nowhere in include/ or dags/"


def test_compose_defaults_and_env_example_configure_the_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _environment(_services()["airflow-worker"])
    env = {key: interpolate(value, _example_env()) for key, value in raw.items()}
    for key in [k for k in os.environ if k.startswith("CONFLICT_INGEST_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_env()
    assert settings.bucket == env["CONFLICT_INGEST_BUCKET"] == "conflict-news"
    assert settings.batch_size == int(env["CONFLICT_INGEST_BATCH_SIZE"]) > 0
    assert settings.alert_to and all("@" in a for a in settings.alert_to)
    assert settings.aws_conn_id == "aws_default"
    assert Encryption.from_env(env).mode == "none", "MinIO without KMS refuses SSE headers"
    assert float(env["CONFLICT_INGEST_RETRY_DELAY_S"]) > 0  # the DAG files read it with float()
    assert json.loads(env["AIRFLOW_CONN_SMTP_DEFAULT"])["conn_type"] == "smtp"
    assert json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])["conn_type"] == "aws"
    aws_example, _ = _env_example()["AIRFLOW_CONN_AWS_S3"]
    assert json.loads(aws_example)["conn_type"] == "aws"
    bucket = _environment(_services()["minio-init"])["BUCKET"]
    assert interpolate(bucket, _example_env()) == settings.bucket, "minio-init makes another bucket"
    assert bucket == raw["CONFLICT_INGEST_BUCKET"], "minio-init and the pipeline read the bucket differently"
    assert "mc mb" in _command(_services()["minio-init"]) and "$$BUCKET" in _command(
        _services()["minio-init"]
    )


def test_aws_default_targets_the_minio_service() -> None:
    services, env_values = _services(), _distinct_env()
    raw = _environment(services["airflow-worker"])["AIRFLOW_CONN_AWS_DEFAULT"]
    conn = json.loads(interpolate(raw, env_values))
    assert conn["conn_type"] == "aws"
    extra = conn.get("extra") or {}
    endpoint = extra.get("endpoint_url") or extra["service_config"]["s3"]["endpoint_url"]
    url = urlsplit(endpoint)
    assert url.hostname in services and services[url.hostname]["image"].startswith("minio/minio:"), endpoint
    address = re.search(r"--address[\s=]+\S*:(\d+)", _command(services[url.hostname]))
    assert url.port == int(address[1] if address else 9000), "not the port MinIO listens on"
    minio_env = {k: interpolate(v, env_values) for k, v in _environment(services[url.hostname]).items()}
    assert conn["login"] == minio_env["MINIO_ROOT_USER"]
    assert conn["password"] == minio_env["MINIO_ROOT_PASSWORD"]
    assert f"{url.scheme}://{url.netloc}" in _command(services["minio-init"]), "the bucket is made elsewhere"


# --- secrets -------------------------------------------------------------------------------------------


def test_no_literal_secrets_in_compose_or_env_example() -> None:
    for path in (COMPOSE_PATH, ENV_EXAMPLE_PATH):
        assert scan_text(path.read_text(encoding="utf-8")) == [], path.name
    pure_ref = re.compile(r"^\$\{[A-Za-z_]\w*(:?\?[^}]*)?\}$")
    for name, service in _services().items():
        for key, value in _environment(service).items():
            if _is_secret_name(key):
                assert pure_ref.match(value), f"{name}: {key} is not taken from the environment"
            for part in re.findall(r"\w[\w+.-]*://\S+", value):
                password = urlsplit(part).password
                assert password is None or pure_ref.match(password), f"{name}: {key} has a password"
            if key.startswith("AIRFLOW_CONN_") and value.lstrip().startswith("{"):
                password = json.loads(value).get("password")
                assert password is None or pure_ref.match(password), f"{name}: {key} has a password"
    for match in _all_refs():
        name = match["name"] or match["bare"]
        if _is_secret_name(name):
            assert match["op"] in (None, ":?", "?"), f"${{{name}}} has a default value"


def test_the_checks_catch_a_literal_password_and_an_undocumented_variable() -> None:
    """The helpers above are what the tests rely on: they must see what they look for."""
    assert interpolate("a${X:-d}b${Y}c$$Z", {"Y": "y"}) == "adbyc$Z"
    with pytest.raises(KeyError):
        interpolate("${X:?needed}", {"X": ""})
    assert [m["name"] for m in _refs("${A:?m} $${B} ${C:-x}")] == ["A", "C"]
    assert _is_secret_name("POSTGRES_PASSWORD") and not _is_secret_name("AIRFLOW__X__PASSWORDS_FILE")
    assert scan_text('AIRFLOW_CONN_X=\'{"password": "' + "hunter" + "22\"}'")  # built here: no literal


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client")
def test_docker_compose_renders_the_file(tmp_path: Path) -> None:
    version = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if version.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    rendered = subprocess.run(
        ["docker", "compose", "--env-file", str(ENV_EXAMPLE_PATH), "-f", str(COMPOSE_PATH), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert rendered.returncode == 0, rendered.stderr
