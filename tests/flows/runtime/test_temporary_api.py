"""Prefect's temporary API started early (flows/runtime/temporary_api.py): served, reused, stopped, its faults."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from helpers.runs import REPO, subprocess_env
from helpers.sample import write_sample

from flows.runtime import temporary_api
from flows.runtime.temporary_api import TemporaryApi, prefect_api
from models.errors import RetryableError

# A stand-in for uvicorn: answers /api/health on the port it is given (argv[-1]), or exits with a status.
FAKE_SERVER = textwrap.dedent(
    """
    import sys, http.server
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/api/health" else 404)
            self.end_headers()
        def log_message(self, *args): pass
    http.server.HTTPServer(("127.0.0.1", int(sys.argv[-1])), Health).serve_forever()
    """
)


def alive(pid: int) -> bool:
    """Whether a process with this pid still runs (zombies count as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def processes_with(marker: str) -> list[int]:
    """Pids whose environment contains `marker` (here: a test's own PREFECT_HOME)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes() and alive(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture
def fake_commands(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Each spawn takes the next command from this list (the port appended), instead of uvicorn."""
    commands: list[list[str]] = []
    monkeypatch.setattr(temporary_api, "server_command", lambda port: [*commands.pop(0), str(port)])
    return commands


def test_waits_until_healthy_and_stops_the_child(fake_commands: list[list[str]]) -> None:
    """ready after the child answers /health on its own free port; stop ends the child."""
    fake_commands.append([sys.executable, "-c", "import time; time.sleep(1)\n" + FAKE_SERVER])
    server = TemporaryApi()
    server.spawn()
    assert server.process is not None
    pid = server.process.pid
    try:
        server.wait_healthy(timeout_s=30)
        assert httpx.get(f"{server.api_url}/health").status_code == 200
    finally:
        server.stop()
    assert not alive(pid) and server.process is None


def test_a_taken_port_starts_again_on_another(fake_commands: list[list[str]]) -> None:
    """uvicorn's exit 3 (address in use) is retried on a fresh port; the second child serves."""
    fake_commands += [[sys.executable, "-c", "import sys; sys.exit(3)"], [sys.executable, "-c", FAKE_SERVER]]
    server = TemporaryApi()
    server.spawn()
    try:
        server.wait_healthy(timeout_s=30)
        assert not fake_commands  # both commands were used
    finally:
        server.stop()


def test_a_child_that_dies_is_one_retryable_line(fake_commands: list[list[str]]) -> None:
    """Any other exit is reported with its status and what to do."""
    fake_commands.append([sys.executable, "-c", "import sys; sys.exit(1)"])
    server = TemporaryApi()
    server.spawn()
    with pytest.raises(RetryableError, match=r"exited with status 1 .*PREFECT_API_URL"):
        server.wait_healthy(timeout_s=30)


def test_a_child_that_never_answers_times_out_and_is_stopped(fake_commands: list[list[str]]) -> None:
    """A hung start-up ends in a retryable error naming the setting, and the child does not outlive it."""
    fake_commands.append([sys.executable, "-c", "import time; time.sleep(60)"])
    server = TemporaryApi()
    server.spawn()
    assert server.process is not None
    pid = server.process.pid
    with pytest.raises(RetryableError, match="PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"):
        server.wait_healthy(timeout_s=1)
    assert not alive(pid)


def test_the_child_dies_with_a_killed_parent(tmp_path: Path) -> None:
    """kill -9 of the command leaves no server behind (the kernel's parent-death signal)."""
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from flows.runtime import temporary_api
        temporary_api.server_command = lambda port: [sys.executable, "-c", {FAKE_SERVER!r}, str(port)]
        server = temporary_api.TemporaryApi(); server.spawn()
        print(server.process.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child)


def test_no_child_when_prefect_already_has_an_api(prefect_harness: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside a process whose Prefect settings name an API (here the test harness), nothing is started."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)

    def refuse(self: TemporaryApi) -> None:
        raise AssertionError("no temporary server should start")

    monkeypatch.setattr(TemporaryApi, "spawn", refuse)
    with prefect_api() as api:
        api.ready()
        assert api.server is None


def test_a_url_in_the_prefect_profile_wins(tmp_path: Path) -> None:
    """PREFECT_API_URL set in a Prefect profile (not the environment): the early child is stopped, none is used."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text(
        'active = "team"\n[profiles.team]\nPREFECT_API_URL = "http://127.0.0.1:9/api"\n', encoding="utf-8"
    )
    script = (
        f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
        "from flows.runtime.temporary_api import prefect_api\n"
        "with prefect_api() as api:\n"
        "    api.ready(); print('server', api.server)\n"
        "from prefect.settings import PREFECT_API_URL; print('url', PREFECT_API_URL.value())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"PREFECT_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "server None" in done.stdout and "url http://127.0.0.1:9/api" in done.stdout
    assert not processes_with(str(home))


def test_run_without_prefect_api_url_uses_the_early_server_and_leaves_nothing(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    """`brandpulse run` with no Prefect server configured: the flow runs on the early child, gone afterwards."""
    write_sample(tmp_path, tiny_model_dir)
    home = tmp_path / "prefect-home"
    env = subprocess_env("", "", None)
    del env["PREFECT_API_URL"]
    del env["BRANDPULSE_SLACK_WEBHOOK_URL"]
    env |= {"PREFECT_HOME": str(home), "PREFECT_LOGGING_LEVEL": "INFO", "DO_NOT_TRACK": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli.main", "run", "--config", "brandpulse.toml"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "brandpulse run summary" in output
    # Prefect did not start a server of its own, and printed no link to the UI-less one that is gone now.
    assert "Starting temporary server" not in output and "View at" not in output
    with sqlite3.connect(home / "prefect.db") as db:
        flows = db.execute("SELECT f.name, r.state_type FROM flow_run r JOIN flow f ON f.id = r.flow_id").fetchall()
    assert ("pipeline", "COMPLETED") in flows
    assert not processes_with(str(home))
