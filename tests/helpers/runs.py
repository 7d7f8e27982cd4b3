"""`brandpulse run` in a child process, as the scheduler starts it: the session's Prefect API, a fake Slack."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from flows.runtime.failpoints import ENV

REPO = Path(__file__).resolve().parents[2]


def subprocess_env(api_url: str, webhook: str, failpoint: str | None) -> dict[str, str]:
    """The environment of a `brandpulse run` child: the session's Prefect API, the fake Slack, maybe a failpoint."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "BRANDPULSE_")) and key.lower() not in ("http_proxy", "https_proxy",
                                                                                     "all_proxy")
    }  # fmt: skip
    env |= {
        # One Prefect API for every child: a temporary server per run would cost ~15 s each.
        "PREFECT_API_URL": api_url,
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "BRANDPULSE_SLACK_WEBHOOK_URL": webhook,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    if failpoint:
        env[ENV] = failpoint
    return env


def brandpulse_run(
    folder: Path, api_url: str, webhook: str, failpoint: str | None = None, extra_env: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """`python -m flows.cli.main run` in `folder`; its exit status (negative = killed by that signal) and output."""
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli.main", "run", "--config", "brandpulse.toml"],
        cwd=folder,
        env={**subprocess_env(api_url, webhook, failpoint), **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, (done.stdout + done.stderr)[-4000:]


def spawn_run(
    folder: Path, api_url: str, webhook: str, failpoint: str | None = None, extra_env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start `brandpulse run` in `folder` without waiting (output to `folder/run.log`), for runs side by side."""
    log = (folder / "run.log").open("a", encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli.main", "run", "--config", "brandpulse.toml"],
        cwd=folder,
        env={**subprocess_env(api_url, webhook, failpoint), **(extra_env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
