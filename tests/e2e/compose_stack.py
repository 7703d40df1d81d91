"""The docker compose stack of docker-compose.yml, driven from a test: a .env written by
scripts/make_env.sh with free host ports, one compose project per test session (its own
containers, network and volumes; the image and its build cache are shared), `down -v` at the end."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
from pathlib import Path

from tests.conftest import REPO

# What compose and docker need from the test's environment; nothing else leaks into the stack's
# settings (compose lets the caller's environment override .env).
PASSED_ENV = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "TMPDIR", "LANG")


def engine_missing() -> str | None:
    """Why the stack cannot run here, or None when a Docker engine and compose v2 answer."""
    if not shutil.which("docker"):
        return "no docker CLI on PATH (CI installs one: .ci/run runs ../shared/containers/bootstrap.sh)"
    for args, what in ((["docker", "info", "--format", "{{.ServerVersion}}"], "no Docker engine answers"),
                       (["docker", "compose", "version", "--short"], "no `docker compose` (v2) plugin")):
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            return f"{what} ({' '.join(args)} timed out)"
        if proc.returncode != 0:
            return f"{what}: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """`docker compose -p <project> --env-file <env>` on the repository's compose file."""

    def __init__(self, workdir: Path, project: str) -> None:
        self.project = project
        self.env_file = workdir / "stack.env"
        self.ports = {"AIRFLOW_PORT": free_port(), "CAMPAIGN_PG_PORT": free_port()}
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        subprocess.run([str(REPO / "scripts" / "make_env.sh"), str(self.env_file)], check=True, capture_output=True,
                       env={**env, **{k: str(v) for k, v in self.ports.items()}})
        self.settings = dict(line.split("=", 1) for line in self.env_file.read_text().splitlines()
                             if line and not line.startswith("#"))
        self._env = env

    def compose(self, *args: str, timeout: float = 900, check: bool = True, **kw) -> subprocess.CompletedProcess:
        cmd = ["docker", "compose", "-p", self.project, "--env-file", str(self.env_file),
               "-f", str(REPO / "docker-compose.yml"), *args]
        kw.setdefault("text", True)
        proc = subprocess.run(cmd, env=self._env, capture_output=True, timeout=timeout, **kw)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} -> {proc.returncode}\n{proc.stdout[-3000:]!r}\n{proc.stderr[-3000:]!r}")
        return proc

    def exec(self, service: str, *cmd: str, **kw) -> str:
        return self.compose("exec", "-T", service, *cmd, **kw).stdout

    def services(self) -> list[dict]:
        """`docker compose ps -a` of this project: one dict per container (Service, State, Health…)."""
        out = self.compose("ps", "-a", "--format", "json").stdout.strip()
        if out.startswith("["):
            return json.loads(out)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def land(self, tree: Path, to: str = "/srv/campaign/landing") -> None:
        """Copies the files under `tree` into the landing volume as the image's user (a tar stream
        through `exec`: `docker cp` would leave root-owned folders the workers cannot empty), files
        and folders writable by that user whatever their modes here (ingest moves them away)."""
        def writable(info: tarfile.TarInfo) -> tarfile.TarInfo:
            info.mode |= 0o200
            return info

        with tempfile.TemporaryFile() as buf:
            with tarfile.open(fileobj=buf, mode="w") as tar:
                for path in sorted(tree.rglob("*")):
                    if path.name != "expected.json":
                        tar.add(path, arcname=str(path.relative_to(tree)), recursive=False, filter=writable)
            buf.seek(0)
            self.compose("exec", "-T", "api-server", "tar", "-x", "-C", to, stdin=buf, text=False)

    def logs(self, tail: int = 80) -> str:
        return self.compose("logs", "--no-color", "--tail", str(tail), check=False).stdout

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, volumes and networks still labelled with this project."""
        label = f"label=com.docker.compose.project={self.project}"
        found = {}
        for kind, args in (("containers", ["ps", "-a", "-q"]), ("volumes", ["volume", "ls", "-q"]),
                           ("networks", ["network", "ls", "-q"])):
            proc = subprocess.run(["docker", *args, "--filter", label], env=self._env, capture_output=True,
                                  text=True, check=True)
            found[kind] = proc.stdout.split()
        return found
