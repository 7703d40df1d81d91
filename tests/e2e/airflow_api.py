"""Airflow's public REST API (v2) as the tests use it: a JWT from /auth/token, trigger, poll a run
to its end, the runs an Asset event started, task instances and their logs."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class Api:
    """Airflow's public REST API (v2) over plain HTTP, with a token from /auth/token."""

    def __init__(self, base: str, user: str, password: str) -> None:
        self.base = base
        status, body = self.call("POST", "/auth/token", {"username": user, "password": password}, auth=False)
        assert status in (200, 201), body
        self.token = body["access_token"]

    def call(self, method: str, path: str, body: Any = None, auth: bool = True) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def trigger(self, dag_id: str, conf: dict) -> tuple[int, Any]:
        return self.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf})

    def run(self, dag_id: str, run_id: str) -> dict:
        status, body = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}")
        assert status == 200, body
        return body

    def wait(self, dag_id: str, run_id: str, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.run(dag_id, run_id)
            if run["state"] in ("success", "failed"):
                return run
            time.sleep(2)
        raise AssertionError(f"{dag_id} {run_id} still {run['state']} after {timeout}s")

    def runs_after(self, dag_id: str, after: str, timeout: float = 120) -> dict:
        """The first run of dag_id queued after `after` (ISO time), once it exists."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, body = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?order_by=run_after&limit=100")
            later = [r for r in body["dag_runs"] if r["run_after"] > after]
            if later:
                return later[0]
            time.sleep(2)
        raise AssertionError(f"no {dag_id} run after {after}")

    def tasks(self, dag_id: str, run_id: str) -> list[dict]:
        _, body = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances?limit=200")
        return body["task_instances"]

    def log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1, map_index: int = -1) -> str:
        path = (f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances/{task_id}"
                f"/logs/{try_number}?map_index={map_index}")
        status, body = self.call("GET", path)
        assert status == 200, body
        return "\n".join(str(line.get("event", "")) for line in body["content"])
