"""One progress bar over the model-heavy steps of a run (scoring, then topics): mentions/s and ETA, rates per step."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

Progressed = Callable[[int, int], None]  # (done so far, total) from one step


@dataclass
class StepRate:
    """How many mentions one step handled and in how many seconds of its own."""

    mentions: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        """Mentions per second (0 when the step did nothing)."""
        return self.mentions / self.seconds if self.seconds > 0 else 0.0


@dataclass
class RunProgress:
    """A rich bar fed by the steps' `advance` callbacks; `steps` keeps each step's mentions and seconds.

    Each step first says how much it expects (`expect`), then advances by what it finished. The bar's total is
    the sum of what the steps expect, so the ETA covers scoring and topics together.
    """

    console: Console = field(default_factory=lambda: Console(stderr=True))
    steps: dict[str, StepRate] = field(default_factory=dict)
    _bar: Progress | None = None
    _task: TaskID | None = None
    _started: dict[str, float] = field(default_factory=dict)
    _done: int = 0
    _begun: float | None = None

    def __enter__(self) -> RunProgress:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.0f} mentions/s"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,  # the bar goes when the steps end; one summary line with the rates stays
        )
        self._bar.start()
        self._task = self._bar.add_task("scoring + topics", total=0, rate=0.0)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
        if kind is None and any(rate.mentions for rate in self.steps.values()):
            parts = ", ".join(f"{name} {rate.mentions} at {rate.per_second:.1f}/s" for name, rate in self.steps.items())
            self.console.print(f"scoring + topics: {parts}", highlight=False)

    def tracker(self, step: str) -> Progressed:
        """The `progress(done, total)` callback a step reports to; its first call (done = 0) starts the step's clock."""
        last = [0]

        def progressed(done: int, total: int) -> None:
            now = time.perf_counter()
            if step not in self.steps:
                self.steps[step] = StepRate()
                self._started[step] = now
                self._begun = self._begun or now
                if self._bar is not None and self._task is not None:
                    grown = (self._bar.tasks[0].total or 0) + total
                    self._bar.update(self._task, total=grown, description=f"scoring + topics ({step})")
            rate = self.steps[step]
            count, last[0] = done - last[0], done
            rate.mentions += count
            rate.seconds = now - self._started[step]
            self._done += count
            if self._bar is not None and self._task is not None:
                overall = self._done / max(now - (self._begun or now), 1e-9)
                self._bar.update(self._task, advance=count, rate=overall)

        return progressed
