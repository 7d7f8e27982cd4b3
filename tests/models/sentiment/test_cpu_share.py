"""Model passes of brandpulse processes running at once split the cores instead of oversubscribing them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.models import WordTokenizer

from models.sentiment.cpu_share import (
    SUFFIX,
    CpuShare,
    ThreadSizer,
    default_directory,
    fair_threads,
    usable_cores,
)

ROOT = Path(__file__).resolve().parents[3]
HOLDER = """
import sys, time
from pathlib import Path
from models.sentiment.cpu_share import CpuShare
with CpuShare(Path(sys.argv[1])).running():
    print("running", flush=True)
    time.sleep(120)
"""


def start_holder(folder: Path) -> subprocess.Popen[str]:
    """Another process in the middle of a model pass."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "running"
    return proc


def test_fair_threads_split_the_cores_and_never_reach_zero() -> None:
    assert fair_threads(8, 1) == 8
    assert fair_threads(8, 2) == 4
    assert fair_threads(2, 2) == 1
    assert fair_threads(2, 3) == 1
    assert fair_threads(4, 0) == 4


def test_a_pass_counts_itself_and_leaves_nothing_behind(tmp_path: Path) -> None:
    share = CpuShare(tmp_path)
    assert share.passes() == 1
    with share.running():
        assert share.passes() == 1
        assert len(list(tmp_path.glob(f"*{SUFFIX}"))) == 1
    assert list(tmp_path.iterdir()) == []


def test_another_process_counts_until_it_is_killed(tmp_path: Path) -> None:
    share = CpuShare(tmp_path)
    holder = start_holder(tmp_path)
    try:
        with share.running():
            assert share.passes() == 2
            sizer = ThreadSizer(share)
            assert sizer.apply(force=True) == fair_threads(usable_cores(), 2)
            holder.send_signal(signal.SIGKILL)  # kill -9: no cleanup runs, the kernel drops its lock
            holder.wait(timeout=30)
            assert share.passes() == 1
            assert sizer.apply(force=True) == usable_cores()
        # The dead pass's file was removed by the process that found it unlocked.
        assert list(tmp_path.glob(f"*{SUFFIX}")) == []
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_a_file_nobody_holds_is_not_counted_and_is_removed(tmp_path: Path) -> None:
    stale = tmp_path / f"99999-0{SUFFIX}"
    stale.write_text("")
    assert CpuShare(tmp_path).passes() == 1
    assert not stale.exists()


def test_configured_threads_win_over_the_share(tmp_path: Path) -> None:
    holder = start_holder(tmp_path)
    try:
        assert ThreadSizer(CpuShare(tmp_path), fixed=3).apply(force=True) == 3
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_an_unusable_folder_runs_unshared(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    share = CpuShare(blocker / "cpu")
    with share.running():  # must not raise: scoring never stops over the share
        assert share.passes() == 1


@pytest.mark.parametrize(("value", "expected"), [("off", None), ("OFF ", None)])
def test_sharing_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, value: str, expected: None) -> None:
    monkeypatch.setenv("BRANDPULSE_CPU_SHARE_DIR", value)
    assert default_directory() is expected
    assert CpuShare(default_directory()).passes() == 1


def test_the_share_folder_can_be_moved(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BRANDPULSE_CPU_SHARE_DIR", str(tmp_path / "share"))
    assert default_directory() == tmp_path / "share"
    monkeypatch.delenv("BRANDPULSE_CPU_SHARE_DIR")
    assert default_directory() is not None and default_directory().name == "brandpulse-cpu"


def test_a_batched_pass_announces_itself_while_it_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import numpy as np
    import torch

    from models.sentiment import cpu_share
    from models.sentiment.loader import run_batched

    monkeypatch.setattr(cpu_share, "_sizer", ThreadSizer(CpuShare(tmp_path)))
    seen: list[int] = []

    def fn(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        seen.append(len(list(tmp_path.glob(f"*{SUFFIX}"))))
        return batch["attention_mask"].sum(dim=1, keepdim=True).float()

    out = run_batched(["a bb", "c", "dd ee ff"], WordTokenizer(), fn, batch_size=1)  # type: ignore[arg-type]
    assert np.array_equal(out[:, 0], [2, 1, 3])
    assert seen == [1, 1, 1]
    assert list(tmp_path.glob(f"*{SUFFIX}")) == []
