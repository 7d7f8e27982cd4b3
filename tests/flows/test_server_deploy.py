"""Integration: a real `prefect server` on 127.0.0.1, `prefect deploy --all` from prefect.yaml, a process worker
started outside the project folder, the pipeline deployment run through it, and the warehouse it filled."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from helpers.prefect_flows import count, rows
from helpers.sample import write_sample

ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "brandpulse"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """A background process in its own process group (so teardown reaches its children), output to a log file."""
    return subprocess.Popen(
        args, env=env, cwd=cwd, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def prefect(env: dict[str, str], *args: str, cwd: Path = ROOT, timeout: float = 120) -> str:
    done = subprocess.run(
        [PREFECT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A Prefect server with its own PREFECT_HOME (SQLite), and the environment that talks to it."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PREFECT_") and key.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",  # the UI is not under test; skipping its static files starts the server faster
        PREFECT_WORKER_QUERY_SECONDS="2",
        PREFECT_LOGGING_LEVEL="WARNING",
        DO_NOT_TRACK="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    server = start(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path, tmp_path / "server.log"
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "prefect server did not become healthy"
            time.sleep(0.5)
        yield env
    finally:
        stop(server)


@pytest.mark.timeout(600)  # a server, a deploy, a worker and a flow-run process each import Prefect (and torch)
def test_pipeline_deployment_runs_through_a_process_worker(
    prefect_server: dict[str, str], tmp_path: Path, tiny_model_dir: Path
) -> None:
    env = prefect_server
    config_path = write_sample(tmp_path, tiny_model_dir)
    # prefect.yaml as shipped, schedules switched off so no scheduled run with the default config sneaks in.
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    for deployment in spec["deployments"]:
        for schedule in deployment.get("schedules", []):
            schedule["active"] = False
    prefect_file = tmp_path / "prefect.yaml"
    prefect_file.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")

    prefect(env, "work-pool", "create", POOL, "--type", "process")
    prefect(env, "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file))

    # Started elsewhere on purpose: the deploy-time build step must have pinned the project folder.
    elsewhere = tmp_path / "worker-cwd"
    elsewhere.mkdir()
    worker = start([PREFECT, "worker", "start", "--pool", POOL, "--type", "process"], env, elsewhere,
                   tmp_path / "worker.log")
    api = env["PREFECT_API_URL"]
    try:
        with httpx.Client(base_url=api, timeout=10, trust_env=False) as client:
            for name in ("pipeline/pipeline", "report/report", "retention/retention", "backfill/backfill",
                         "rescore/rescore"):
                deployed = client.get(f"/deployments/name/{name}").raise_for_status().json()
                assert deployed["work_pool_name"] == POOL
                # The build step's `pwd` was resolved at deploy time: runs start in the checkout, not the worker's cwd.
                [pull] = deployed["pull_steps"]
                assert pull["prefect.deployments.steps.set_working_directory"] == {"directory": str(ROOT)}
            deployment_id = client.get("/deployments/name/pipeline/pipeline").raise_for_status().json()["id"]
            flow_run = client.post(
                f"/deployments/{deployment_id}/create_flow_run", json={"parameters": {"config_path": str(config_path)}}
            ).raise_for_status().json()
            deadline = time.monotonic() + 240
            while True:
                state = client.get(f"/flow_runs/{flow_run['id']}").raise_for_status().json()["state"]
                if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                    break
                assert time.monotonic() < deadline, f"still {state['type']}:\n" + (tmp_path / "worker.log").read_text()
                time.sleep(1)
    finally:
        stop(worker)
    assert state["type"] == "COMPLETED", (tmp_path / "worker.log").read_text()

    db = tmp_path / "wh.duckdb"
    mentions = sum(1 for _ in (tmp_path / "mentions.jsonl").open()) + 20
    assert count(db, "mentions") == mentions
    assert count(db, "scores") == mentions
    assert count(db, "alert_outbox") == 1
    assert rows(db, "SELECT status FROM runs") == [("completed",)]
