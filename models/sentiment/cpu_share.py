"""Cores for model passes: the physical cores a process may use, split between brandpulse processes running at once.

Two processes that each run torch with one thread per core on the same cores oversubscribe them, and OpenMP's
spinning threads then make the pair several times slower than running them one after the other (measured 3.9×
on two cores, docs/benchmarks.md). So each process announces a running model pass with a lock file held open
under `flock`, and sizes its threads to its cores divided by the passes running now. The kernel drops a flock when
its process dies, so a run killed with kill -9 stops counting at once; its file is removed by the next process
that finds it unlocked.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: no flock, so no sharing (each process takes its cores, as pinned)
    fcntl = None  # type: ignore[assignment]

ENV = "BRANDPULSE_CPU_SHARE_DIR"
SUFFIX = ".pass"
# How often a running pass looks again at who else is running (a directory listing and a flock try per file).
RECHECK_SECONDS = 0.5


def usable_cores() -> int:
    """Physical cores among the CPUs this process may run on: hyper-threads of one core count once."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    cores: set[tuple[str, str]] = set()
    for cpu in cpus:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            package = (topology / "physical_package_id").read_text().strip()
            cores.add((package, (topology / "core_id").read_text().strip()))
        except OSError:  # no sysfs (containers, macOS): each CPU counts as a core
            cores.add(("cpu", str(cpu)))
    return max(1, len(cores))


def fair_threads(cores: int, passes: int) -> int:
    """Threads for one of `passes` model passes sharing `cores`: an equal share, at least one."""
    return max(1, cores // max(1, passes))


def default_directory() -> Path | None:
    """Where passes announce themselves: `$BRANDPULSE_CPU_SHARE_DIR` ("off" disables sharing), else a temp folder."""
    configured = os.environ.get(ENV, "").strip()
    if configured.lower() == "off" or fcntl is None:
        return None
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "brandpulse-cpu"


class CpuShare:
    """The model passes running now on this machine, counted through lock files in one folder."""

    _ids = itertools.count()

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._own: set[str] = set()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Announce one model pass for the duration of the block (no-op when sharing is off or the folder fails)."""
        announced = self._announce()
        try:
            yield
        finally:
            if announced is not None:
                handle, path = announced
                self._own.discard(path.name)
                with contextlib.suppress(OSError):
                    os.unlink(path)
                handle.close()

    def passes(self) -> int:
        """Model passes running now, this process's own included (at least 1)."""
        if self.directory is None or fcntl is None:
            return 1
        try:
            names = [p for p in os.listdir(self.directory) if p.endswith(SUFFIX)]
        except OSError:
            return 1
        live = 0
        for name in names:
            if name in self._own or _held_by_another(self.directory / name):
                live += 1
        return max(1, live)

    def _announce(self) -> tuple[IO[str], Path] | None:
        """Create and lock this pass's file; the name appears only once locked, so nobody takes it for stale."""
        if self.directory is None or fcntl is None:
            return None
        handle: IO[str] | None = None
        try:
            if not self.directory.is_dir():
                self.directory.mkdir(parents=True, exist_ok=True)
                # Shared by every user's runs, like /tmp itself (the umask would keep others out).
                os.chmod(self.directory, 0o1777)
            name = f"{os.getpid()}-{next(self._ids)}{SUFFIX}"
            draft = self.directory / f".{name}.draft"
            handle = open(draft, "w")  # noqa: SIM115 - held open for the whole pass
            fcntl.flock(handle, fcntl.LOCK_EX)
            os.chmod(draft, 0o644)  # others must be able to open it to test the lock
            os.replace(draft, self.directory / name)
        except OSError:
            if handle is not None:
                handle.close()
            return None  # a read-only or odd temp folder must never stop scoring: run unshared
        self._own.add(name)
        return handle, self.directory / name


def _held_by_another(path: Path) -> bool:
    """Whether another live process holds `path`'s lock; a file nobody holds is a dead pass's and is removed."""
    try:
        with open(path) as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            with contextlib.suppress(OSError):
                os.unlink(path)
            return False
    except OSError:  # gone meanwhile, or another user's file we cannot open: not counted
        return False


class ThreadSizer:
    """Sets torch's threads for a running pass: fixed when configured, else this process's share of its cores."""

    def __init__(self, share: CpuShare, fixed: int | None = None) -> None:
        self.share = share
        self.fixed = fixed
        self._checked = 0.0

    def apply(self, *, force: bool = False) -> int:
        """Size torch's thread pool now (at most every RECHECK_SECONDS unless forced); returns the thread count."""
        import torch

        now = time.monotonic()
        if not force and now - self._checked < RECHECK_SECONDS:
            return torch.get_num_threads()
        self._checked = now
        wanted = self.fixed or fair_threads(usable_cores(), self.share.passes())
        if wanted != torch.get_num_threads():
            torch.set_num_threads(wanted)
        return torch.get_num_threads()


_sizer: ThreadSizer | None = None


def thread_sizer() -> ThreadSizer:
    """The process's sizer, made on first use (not at import), sharing through `default_directory()`."""
    global _sizer
    if _sizer is None:
        _sizer = ThreadSizer(CpuShare(default_directory()))
    return _sizer
