"""docker-compose.yml: the production-like stack, and the same services and commands the
real-stack test (scripts/airflow_stack.sh) starts as processes."""
from __future__ import annotations

import re

import pytest
import yaml

from scripts.airflow_services import airflow_services
from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
AIRFLOW = {name: spec for name, spec in SERVICES.items() if spec.get("image", "").startswith("campaign-airflow")}
STACK_SCRIPT = (REPO / "scripts" / "airflow_stack.sh").read_text(encoding="utf-8")
REFERENCED = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", (REPO / "docker-compose.yml").read_text(encoding="utf-8")))


def test_the_stack_has_every_service():
    assert {"postgres", "redis", "airflow-init", "api-server", "scheduler", "dag-processor", "triggerer",
            "worker"} <= set(SERVICES)
    assert {name: spec.get("command") for name, spec in AIRFLOW.items() if "entrypoint" not in spec} == {
        "api-server": ["api-server"], "scheduler": ["scheduler"], "dag-processor": ["dag-processor"],
        "triggerer": ["triggerer"], "worker": ["celery", "worker"]}
    env = AIRFLOW["worker"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://") and "@redis:" in env["AIRFLOW__CELERY__BROKER_URL"]
    assert "@postgres:5432/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


def test_local_stack_runs_the_compose_commands():
    """The stack script starts what scripts/airflow_services.py reads from this file (the real-stack
    test checks the running processes); the worker only under CeleryExecutor."""
    compose = {n: s["command"] for n, s in AIRFLOW.items() if "entrypoint" not in s}
    assert airflow_services("CeleryExecutor") == compose
    assert airflow_services("LocalExecutor") == {n: c for n, c in compose.items() if n != "worker"}
    assert 'scripts/airflow_services.py" --executor' in STACK_SCRIPT
    assert AIRFLOW["airflow-init"]["entrypoint"] == ["bash", "/opt/campaign/app/scripts/airflow_init.sh"]
    assert '"$repo/scripts/airflow_init.sh"' in STACK_SCRIPT


def _exported(name: str) -> str:
    m = re.search(rf'^export {name}="?([^"\n]*)"?$', STACK_SCRIPT, re.MULTILINE)
    assert m, name
    return m.group(1)


def test_login_is_explicit_users_and_roles_never_all_admins():
    env = AIRFLOW["api-server"]["environment"]
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False" == _exported(
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS")
    users = env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"]
    assert users == _exported("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS")
    roles = dict(u.split(":") for u in users.split(","))
    assert roles == {"admin": "admin", "engineer": "op", "analyst": "viewer"}
    assert env["AIRFLOW__CORE__AUTH_MANAGER"] == _exported("AIRFLOW__CORE__AUTH_MANAGER")
    for user in roles:
        assert f"AIRFLOW_{user.upper()}_PASSWORD" in REFERENCED


def test_secrets_come_from_env_with_a_committed_example():
    example = dict(line.split("=", 1) for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
                   if line and not line.startswith("#"))
    assert REFERENCED <= set(example), REFERENCED - set(example)
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    for secret in ("AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY", "POSTGRES_PASSWORD",
                   "AIRFLOW_DB_PASSWORD", "REDIS_PASSWORD", "CAMPAIGN_HASH_KEY", "AIRFLOW_ADMIN_PASSWORD"):
        assert f"${{{secret}:?" in text, f"{secret} must be required, with no default"
        assert example[secret].startswith("change-me"), secret
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and ".env.example" not in ignored, ".env must be git-ignored, its example not"


@pytest.mark.parametrize("service", sorted(AIRFLOW))
def test_airflow_services_share_landing_archive_warehouse_volumes(service):
    spec = AIRFLOW[service]
    home = spec["environment"]["CAMPAIGN_HOME"]
    mounts = dict(v.split("#")[0].strip().split(":")[:2][::-1] for v in spec["volumes"])
    for area in ("landing", "archive", "receipts", "warehouse"):
        assert mounts[f"{home}/{area}"] == area
        assert area in COMPOSE["volumes"]


def test_host_ports_are_variables_clear_of_the_hosts_own_services():
    """Every published port is 127.0.0.1:${VAR:-default}; no default is a port the host may use itself."""
    published = {name: spec["ports"] for name, spec in SERVICES.items() if spec.get("ports")}
    assert set(published) == {"api-server", "postgres"}
    for name, ports in published.items():
        for port in ports:
            m = re.fullmatch(r"127\.0\.0\.1:\$\{([A-Z_]+):-(\d+)\}:\d+", port)
            assert m, (name, port)
            assert int(m.group(2)) not in (5432, 6379, 8080, 5672), (name, port)


def test_two_workers_and_a_healthcheck_on_every_service():
    assert AIRFLOW["worker"]["deploy"]["replicas"] == "${AIRFLOW_WORKERS:-2}"
    long_running = {n for n, s in SERVICES.items() if n != "airflow-init"}
    assert {n for n in long_running if "healthcheck" in SERVICES[n]} == long_running
    assert "psycopg2" in AIRFLOW["worker"]["environment"]["AIRFLOW__CELERY__RESULT_BACKEND"]


def test_make_env_writes_every_secret_new(tmp_path):
    import subprocess

    paths = [tmp_path / "a.env", tmp_path / "b.env"]
    for path in paths:
        subprocess.run([str(REPO / "scripts" / "make_env.sh"), str(path)], check=True, capture_output=True,
                       env={"PATH": "/usr/bin:/bin", "AIRFLOW_PORT": "23456"})
        assert path.stat().st_mode & 0o777 == 0o600
    a, b = ({k: v for k, v in (line.split("=", 1) for line in p.read_text().splitlines()
                                if line and not line.startswith("#"))} for p in paths)
    example = {k: v for k, v in (line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines()
                                  if line and not line.startswith("#"))}
    assert set(a) == set(example) and a["AIRFLOW_PORT"] == "23456"
    for name, value in example.items():
        if value.startswith("change-me"):
            assert a[name] != b[name] and len(a[name]) >= 32 and "change-me" not in a[name], name
        elif name != "AIRFLOW_PORT":
            assert a[name] == value, name
    from cryptography.fernet import Fernet
    Fernet(a["AIRFLOW_FERNET_KEY"].encode())                                   # a valid Fernet key
    refused = subprocess.run([str(REPO / "scripts" / "make_env.sh"), str(paths[0])], capture_output=True, text=True)
    assert refused.returncode != 0 and "not overwriting" in refused.stderr
