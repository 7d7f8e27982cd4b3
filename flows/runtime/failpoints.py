"""A testing hook: kill this process at a named stage boundary, so tests can crash a real run exactly there.

Set `BRANDPULSE_FAILPOINT` to one of `NAMES` and the process sends itself SIGKILL when it reaches that point:
no cleanup, no `finally`, no flush, like a power cut or the OOM killer. Unset (always, outside the
fault-injection tests) a call is one environment look-up. See docs/reliability.md, "Fault-injection suite".
"""

from __future__ import annotations

import os
import signal

ENV = "BRANDPULSE_FAILPOINT"
NAMES = (
    "import.committed",  # every configured import file committed (rows, rejects, cursor), nothing scored yet
    "score.chunk",  # the first chunk of sentiment scores committed, the rest not scored
    "score.done",  # every sentiment score committed, topics not started
    "topics.chunk",  # the first chunk of topic results committed, the rest not scored
    "alerts.enqueued",  # spikes detected and their alerts written to the outbox, nothing delivered
    "delivery.sending",  # an outbox row committed as `sending`, its POST not made
    "delivery.posted",  # Slack answered 200 to the POST, `sent` not recorded
)


def failpoint(name: str) -> None:
    """SIGKILL this process when `BRANDPULSE_FAILPOINT` equals `name`; do nothing otherwise."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
