"""The Airflow services of docker-compose.yml, as `name<TAB>airflow arguments` lines.

docker-compose.yml is the one definition of the stack's services; `make airflow` and the
real-stack test start exactly these commands as local processes. A service runs `airflow
<command>`; the Celery worker only under CeleryExecutor.
Usage: python scripts/airflow_services.py [--executor LocalExecutor|CeleryExecutor]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"


def airflow_services(executor: str = "LocalExecutor", compose: Path = COMPOSE) -> dict[str, list[str]]:
    """{service: airflow arguments} of the long-running Airflow services for this executor."""
    services = yaml.safe_load(compose.read_text(encoding="utf-8"))["services"]
    chosen = {}
    for name, spec in services.items():
        command = spec.get("command")
        if spec.get("image", "").startswith("campaign-airflow") and command and "entrypoint" not in spec:
            if command[0] == "celery" and executor != "CeleryExecutor":
                continue
            chosen[name] = [str(arg) for arg in command]
    return chosen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--executor", default="LocalExecutor")
    args = ap.parse_args()
    for name, command in airflow_services(args.executor).items():
        print(f"{name}\t{' '.join(command)}")


if __name__ == "__main__":
    main()
