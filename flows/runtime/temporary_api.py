"""Prefect's temporary API started before brandpulse's own imports, so its start-up overlaps them.

Without `PREFECT_API_URL`, Prefect starts the same server itself at the first flow call: it imports its server
package in the calling process (about 3 s), then starts the uvicorn child and waits for it (about 5 s more), all
after brandpulse's imports. Started here at the top of a command, the child boots on the other core while the
command imports the flows and checks the warehouse.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from models.errors import RetryableError

log = logging.getLogger("brandpulse")

# Prefect's own SubprocessASGIServer runs its temporary server with exactly these: no UI, ephemeral services.
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
PORT_IN_USE_EXIT = 3  # uvicorn's exit status when it cannot bind
STARTS = 3  # tries on a fresh port when another process took ours in between


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now, chosen by the kernel."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(port: int) -> list[str]:
    """The uvicorn command line Prefect's SubprocessASGIServer uses, found without importing Prefect."""
    spec = importlib.util.find_spec("prefect")
    if spec is None or spec.origin is None:
        raise RetryableError("Prefect is not installed in this environment: run `make install`")
    app_dir = Path(spec.origin).parent.parent
    return [
        sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir), "--factory",
        "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "error", "--lifespan", "on",
    ]  # fmt: skip


def die_with_parent() -> None:
    """In the child before exec: the kernel sends SIGTERM when brandpulse dies, even by kill -9 (Linux)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class TemporaryApi:
    """One uvicorn child serving Prefect's API on a free local port, stopped when the command ends."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        """The address flows talk to (PREFECT_API_URL)."""
        return f"http://127.0.0.1:{self.port}/api"

    def spawn(self) -> None:
        """Start the child on a fresh port and return at once."""
        self.port = free_port()
        self.process = subprocess.Popen(
            server_command(self.port),
            env={**os.environ, **SERVER_ENV},
            stdin=subprocess.DEVNULL,
            # preexec_fn is safe here: the command has started no threads yet.
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )

    def wait_healthy(self, timeout_s: float) -> None:
        """Block until the API answers /health; respawn on another port if ours was taken; raise after timeout_s."""
        import httpx

        deadline = time.monotonic() + timeout_s
        starts = 1
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                code = self.process.poll()
                if code == PORT_IN_USE_EXIT and starts < STARTS:
                    starts += 1
                    self.spawn()
                    continue
                if code is not None:
                    raise RetryableError(
                        f"Prefect's temporary server exited with status {code} before it answered (the lines above "
                        "say why); run again, or set PREFECT_API_URL to a running `prefect server start` "
                        "(docs/prefect.md)"
                    )
                with contextlib.suppress(httpx.TransportError):
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        return
                time.sleep(0.05)
        self.stop()
        raise RetryableError(
            f"Prefect's temporary server did not answer within {timeout_s:.0f} s "
            "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS); the machine may be overloaded: run again, or set "
            "PREFECT_API_URL to a running `prefect server start` (docs/prefect.md)"
        )

    def stop(self) -> None:
        """Terminate the child (uvicorn shuts down cleanly on SIGTERM); kill it if it hangs."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class PrefectApi:
    """What a command holds: `ready()` before its first flow call points Prefect at the early server, if any."""

    def __init__(self, server: TemporaryApi | None, stack: contextlib.ExitStack) -> None:
        self.server = server
        self._stack = stack
        self._ready = False

    def ready(self) -> None:
        """Wait for the early server and make it this command's PREFECT_API_URL; a no-op without one."""
        if self.server is None or self._ready:
            return
        from prefect.settings import (
            PREFECT_API_URL,
            PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
            PREFECT_UI_URL,
            temporary_settings,
        )

        self.server.wait_healthy(float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()))
        # No UI URL: the server has no UI and is gone when the command ends, so Prefect's "View at" link would be dead.
        updates = {PREFECT_API_URL: self.server.api_url, PREFECT_UI_URL: ""}
        self._stack.enter_context(temporary_settings(updates=updates))
        self._ready = True


def prefect_would_start_a_server() -> bool:
    """True when Prefect has no API to talk to (no PREFECT_API_URL in its settings) and may start its own."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    return not PREFECT_API_URL.value() and bool(PREFECT_SERVER_EPHEMERAL_ENABLED.value())


@contextlib.contextmanager
def prefect_api() -> Iterator[PrefectApi]:
    """For a command that runs flows: start Prefect's temporary API now unless a server is configured."""
    with contextlib.ExitStack() as stack:
        server: TemporaryApi | None = None
        # Prefect already imported (tests, a library caller): ask it first, nothing to overlap.
        if not os.environ.get("PREFECT_API_URL") and ("prefect" not in sys.modules or prefect_would_start_a_server()):
            server = TemporaryApi()
            server.spawn()
            # At exit, like Prefect's own: its log and event workers flush to the server in atexit hooks
            # registered later, which run first.
            atexit.register(server.stop)
            # A URL in a Prefect profile or prefect.toml is only known once Prefect's settings load.
            if not prefect_would_start_a_server():
                server.stop()
                server = None
        yield PrefectApi(server, stack)
