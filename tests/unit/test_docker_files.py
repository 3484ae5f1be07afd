"""Static checks of docker/: no Docker engine runs here, so the files are validated as text.

What runs: compose interpolation and structure checks written here, the compose-spec JSON
schema shipped by Debian's docker-compose package when it is installed, and
``docker compose config`` / ``docker-compose config`` (neither needs an engine) when present.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
COMPOSE = DOCKER / "compose.yaml"
DOCKERFILE = DOCKER / "Dockerfile"
DOCKERIGNORE = DOCKER / "Dockerfile.dockerignore"

AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
)
BACKEND = "sagemaker-local"
# The one list of the DAGs' Variables; a module without imports, loaded here by path.
VARIABLES_MODULE = REPO / "dags" / "retraining" / "config.py"

# $$ (a literal $), ${NAME...}, or $NAME, as compose reads them.
_REFERENCE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?$", re.DOTALL)


def dotenv() -> dict[str, str]:
    path = DOCKER / ".env"
    if not path.exists():
        return {}
    lines = [line for line in path.read_text().splitlines() if "=" in line and not line.startswith("#")]
    pairs = (line.split("=", 1) for line in lines)
    return {key.strip(): value.strip() for key, value in pairs}


def interpolate(text: str, env: dict[str, str]) -> tuple[str, list[str]]:
    """Compose's substitution with ``env``; also the names referenced with no default."""
    undefined: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["bare"]:
            name, op, arg = match["bare"], None, None
        else:
            parts = _BRACED.match(match["braced"])
            assert parts, f"malformed reference ${{{match['braced']}}}"
            name, op, arg = parts["name"], parts["op"], parts["arg"]
        value = env.get(name)
        if op in (":-", "-"):
            return arg if value is None or (op == ":-" and value == "") else value
        if value is None:
            undefined.append(name)
            return ""
        return value

    return _REFERENCE.sub(substitute, text), undefined


def resolve(node: Any, env: dict[str, str], undefined: list[str]) -> Any:
    """Interpolate every string in a parsed compose document (compose does it after parsing)."""
    if isinstance(node, dict):
        return {key: resolve(value, env, undefined) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(value, env, undefined) for value in node]
    if isinstance(node, str):
        text, missing = interpolate(node, env)
        undefined += missing
        return text
    return node


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    """The compose file as docker compose sees it with no overrides: defaults and docker/.env."""
    return resolve(raw, dotenv(), [])


def lock_version(package: str) -> str:
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    return next(p["version"] for p in lock["package"] if p["name"] == package)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def command(service: dict[str, Any], key: str = "command") -> list[str]:
    value = service.get(key) or []
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


# --- compose: interpolation and structure ---------------------------------------------------


def test_every_variable_reference_has_a_default(raw: dict[str, Any]) -> None:
    undefined: list[str] = []
    resolve(raw, dotenv(), undefined)
    assert undefined == []
    assert resolve({"a": ["${NOPE}", 1]}, {}, undefined) == {"a": ["", 1]} and undefined == ["NOPE"]


def test_interpolation_matches_compose_rules() -> None:
    text = "a=${A:-x} b=${B-y} c=$$C d=${D:-} e=$E"
    assert interpolate(text, {"A": "", "B": "", "E": "1"}) == ("a=x b= c=$C d= e=1", [])
    assert interpolate("${MISSING}", {}) == ("", ["MISSING"])


def test_the_stack_has_every_service_the_pipeline_needs(compose: dict[str, Any]) -> None:
    expected = {"postgres", *AIRFLOW_SERVICES, BACKEND, "minio", "minio-init"}
    assert expected <= set(compose["services"])
    commands = {name: command(compose["services"][name])[:2] for name in AIRFLOW_SERVICES}
    assert commands == {
        "airflow-init": ["db", "migrate"],
        "airflow-apiserver": ["api-server"],
        "airflow-scheduler": ["scheduler"],
        "airflow-dag-processor": ["dag-processor"],
        "airflow-triggerer": ["triggerer"],
    }


def test_every_service_has_an_image_or_a_build(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert service.get("image") or service.get("build"), name


def test_depends_on_targets_exist_and_form_no_cycle(compose: dict[str, Any]) -> None:
    services = compose["services"]
    graph = {name: list(service.get("depends_on") or []) for name, service in services.items()}
    for name, targets in graph.items():
        assert set(targets) <= set(services), (name, targets)
        conditions = services[name].get("depends_on")
        if isinstance(conditions, dict):
            for target, spec in conditions.items():
                assert spec["condition"] in (
                    "service_started",
                    "service_healthy",
                    "service_completed_successfully",
                )
                if spec["condition"] == "service_healthy":
                    assert "healthcheck" in services[target], f"{name} waits for {target}'s health"

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"depends_on cycle: {' -> '.join((*path, name))}"
        for target in graph[name]:
            visit(target, (*path, name))

    for name in graph:
        visit(name, ())


def test_volumes_are_declared_or_existing_repo_paths(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
            if source.startswith((".", "/")):
                assert (DOCKER / source).resolve().exists(), f"{name}: {source} is not in the repo"
            else:
                assert source in declared, f"{name}: volume {source!r} is not declared"
                used.add(source)
    assert used == declared


def test_ports_are_valid_and_published_on_loopback_only(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports") or []:
            host_ip, host_port, container_port = str(port).split(":")
            assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond this host"
            assert 1 <= int(host_port) <= 65535 and 1 <= int(container_port) <= 65535


def test_build_context_and_dockerfile_exist(compose: dict[str, Any]) -> None:
    builds = [s["build"] for s in compose["services"].values() if "build" in s]
    assert builds
    for build in builds:
        context = (DOCKER / build["context"]).resolve()
        assert context == REPO
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE


# --- compose: Airflow, the connection and the Variables -------------------------------------


def test_airflow_services_share_executor_database_dags_and_secrets(compose: dict[str, Any]) -> None:
    envs = [environment(compose["services"][name]) for name in AIRFLOW_SERVICES]
    assert all(env == envs[0] for env in envs)
    env = envs[0]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    database = urlparse(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert database.scheme.startswith("postgresql") and database.hostname == "postgres"
    assert database.password == environment(compose["services"]["postgres"])["POSTGRES_PASSWORD"]
    assert urlparse(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]).hostname == "airflow-apiserver"
    for name in AIRFLOW_SERVICES:
        assert "../dags:/opt/airflow/dags:ro" in compose["services"][name]["volumes"]


def test_airflow_settings_are_real_config_options(compose: dict[str, Any]) -> None:
    # Located without importing Airflow, which would cost seconds for one YAML file.
    package = importlib.util.find_spec("airflow")
    assert package and package.submodule_search_locations
    config_yml = Path(next(iter(package.submodule_search_locations))) / "config_templates" / "config.yml"
    spec = yaml.safe_load(config_yml.read_text())
    env = environment(compose["services"]["airflow-scheduler"])
    settings = [key.split("__")[1:] for key in env if key.startswith("AIRFLOW__")]
    assert settings
    for section, option in settings:
        assert option.lower() in (spec.get(section.lower()) or {}).get("options", {}), f"[{section}] {option}"


def aws_default(compose: dict[str, Any]):
    from airflow.providers.amazon.aws.utils.connection_wrapper import AwsConnectionWrapper
    from airflow.sdk import Connection

    value = json.loads(environment(compose["services"]["airflow-scheduler"])["AIRFLOW_CONN_AWS_DEFAULT"])
    assert value["conn_type"] == "aws"
    # built field by field: Connection.from_json is missing from Airflow 3.0's SDK
    fields = {**value, "extra": json.dumps(value.get("extra") or {})}
    return AwsConnectionWrapper(Connection(conn_id="aws_default", **fields))


def test_aws_default_sends_sagemaker_to_the_backend_and_s3_to_minio(compose: dict[str, Any]) -> None:
    wrapper = aws_default(compose)
    sagemaker = urlparse(wrapper.get_service_endpoint_url("sagemaker"))
    backend_args = command(compose["services"][BACKEND])
    backend_port = backend_args[backend_args.index("--port") + 1]
    assert (sagemaker.hostname, str(sagemaker.port)) == (BACKEND, backend_port)
    s3 = urlparse(wrapper.get_service_endpoint_url("s3"))
    assert (s3.hostname, s3.port) == ("minio", 9000)
    minio_env = environment(compose["services"]["minio"])
    assert (wrapper.aws_access_key_id, wrapper.aws_secret_access_key) == (
        minio_env["MINIO_ROOT_USER"],
        minio_env["MINIO_ROOT_PASSWORD"],
    )


def dag_variables() -> Any:
    spec = importlib.util.spec_from_file_location("retraining_variables", VARIABLES_MODULE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_dag_variable_the_stack_sets_is_one_the_dags_read(compose: dict[str, Any]) -> None:
    config = dag_variables()
    env = environment(compose["services"]["airflow-scheduler"])
    known = {config.env_name(key) for key in config.LOCAL_DEFAULTS}
    assert {key for key in env if key.startswith("AIRFLOW_VAR_")} <= known


def test_dag_variables_point_into_the_bucket_minio_init_creates(compose: dict[str, Any]) -> None:
    config = dag_variables()
    env = environment(compose["services"]["airflow-scheduler"])
    keys = ("data_uri", "code_uri", "output_uri", "role_arn", "image_uri", "instance_type", "aws_conn_id")
    values = {key: env[config.env_name(key)] for key in keys}
    bucket = environment(compose["services"]["minio-init"])["SM_BUCKET"]
    for name in ("data_uri", "code_uri", "output_uri"):
        assert urlparse(values[name]).scheme == "s3" and urlparse(values[name]).netloc == bucket
    assert values["aws_conn_id"] == "aws_default"
    assert values["role_arn"].startswith("arn:aws:iam::")
    assert values["instance_type"].startswith("ml.")
    assert "mb --ignore-existing" in " ".join(command(compose["services"]["minio-init"]))


def test_backend_serves_on_all_container_interfaces_with_state_on_a_volume(compose: dict[str, Any]) -> None:
    backend = compose["services"][BACKEND]
    argv = command(backend, "entrypoint") + command(backend)
    assert argv == [
        "python",
        "-m",
        "airflow_sm_provider.local",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "8081",
        "--home",
        "/data",
        "--allowed-host",
        "sagemaker-local",
        "--allowed-host",
        "localhost:8081",
        "--allowed-host",
        "127.0.0.1:8081",
    ]
    assert (REPO / "airflow_sm_provider" / "local" / "__main__.py").is_file()
    assert any(v.split(":")[1] == "/data" for v in backend["volumes"])
    env = environment(backend)
    assert env["AWS_ENDPOINT_URL_S3"] == "http://minio:9000"
    assert backend["image"] == compose["services"]["airflow-scheduler"]["image"]


def test_the_backend_accepts_the_key_and_the_host_names_aws_default_uses(compose: dict[str, Any]) -> None:
    from airflow_sm_provider.local import credentials
    from airflow_sm_provider.local.hosts import AllowedHosts

    backend = compose["services"][BACKEND]
    argv = command(backend)
    names = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--allowed-host"]
    port = int(argv[argv.index("--port") + 1])
    hosts = AllowedHosts(argv[argv.index("--host") + 1], port, names)
    wrapper = aws_default(compose)
    sagemaker = urlparse(wrapper.get_service_endpoint_url("sagemaker"))
    published = next(p for p in backend["ports"] if p.endswith(f":{port}")).split(":")[1]

    # what the backend resolves from its environment is what aws_default signs with
    key = credentials.resolve(Path("/nonexistent"), environ=environment(backend))
    assert (key.access_key_id, key.secret_access_key) == (
        wrapper.aws_access_key_id,
        wrapper.aws_secret_access_key,
    )
    # botocore sends the endpoint's host:port as Host; the host reaches it on the published port
    assert hosts.allows(sagemaker.netloc)
    assert hosts.allows(f"localhost:{published}") and hosts.allows(f"127.0.0.1:{published}")
    assert not hosts.allows(f"attacker.example:{published}")


# --- Dockerfile ---------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_base_image_is_the_airflow_version_pinned_in_uv_lock() -> None:
    airflow_version = lock_version("apache-airflow")
    froms = [args for op, args in dockerfile_instructions() if op == "FROM"]
    assert froms == [f"apache/airflow:{airflow_version}-python3.11"]
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11"


def test_pinned_build_args_match_uv_lock() -> None:
    args = dict(a.split("=", 1) for op, a in dockerfile_instructions() if op == "ARG" and "=" in a)
    assert args["AIRFLOW_VERSION"] == lock_version("apache-airflow")
    assert args["SKLEARN_VERSION"] == lock_version("scikit-learn")


def test_installs_the_package_with_the_local_extra_from_the_lock() -> None:
    runs = " ".join(a for op, a in dockerfile_instructions() if op == "RUN")
    assert "uv export --frozen" in runs and "--extra local" in runs
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "local" in extras
    assert "pip install --no-cache-dir --no-deps ." in runs


def test_every_copied_path_exists_and_survives_the_dockerignore() -> None:
    keep = [line[1:] for line in DOCKERIGNORE.read_text().splitlines() if line.startswith("!")]
    sources = []
    for op, args in dockerfile_instructions():
        if op == "COPY":
            words = [w for w in args.split() if not w.startswith("--")]
            sources += words[:-1]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), source
        assert source.rstrip("/") in keep, f"{source} is excluded from the build context"


# --- external validators, when this machine has them ----------------------------------------


def compose_spec_schema() -> Path | None:
    candidates = [os.environ.get("COMPOSE_SPEC_SCHEMA", "")]
    candidates += glob.glob("/usr/lib/python3*/dist-packages/compose/config/compose_spec.json")
    candidates += glob.glob("/usr/local/lib/python3*/*-packages/compose/config/compose_spec.json")
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def test_compose_file_matches_the_compose_spec_schema(raw: dict[str, Any], compose: dict[str, Any]) -> None:
    schema_path = compose_spec_schema()
    if schema_path is None:
        pytest.skip("no compose-spec schema on this machine (Debian's docker-compose package ships one)")
    import jsonschema

    schema = json.loads(schema_path.read_text())
    validator = jsonschema.Draft201909Validator(schema)
    for document in (raw, compose):
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == []


def compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config_accepts_the_file() -> None:
    cli = compose_cli()
    if cli is None:
        pytest.skip("neither 'docker compose' (v2 plugin) nor 'docker-compose' is installed")
    # Only the defaults: a developer's own overrides must not change the verdict.
    overrides = re.compile(r"^(AIRFLOW|MINIO|SM|AWS|POSTGRES|COMPOSE)_")
    env = {k: v for k, v in os.environ.items() if not overrides.match(k)}
    result = subprocess.run(
        [*cli, "-f", str(COMPOSE), "config", "--quiet"],
        cwd=DOCKER,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "WARN" not in result.stderr.upper(), result.stderr
