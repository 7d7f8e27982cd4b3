"""The one progress bar over scoring and topics: rates per step from the steps' own callbacks."""

from __future__ import annotations

import io

from rich.console import Console

from flows.steps.progress import RunProgress


def test_each_step_reports_its_mentions_and_rate_and_one_line_stays() -> None:
    out = io.StringIO()
    with RunProgress(console=Console(file=out, width=120)) as progress:
        score, topics = progress.tracker("score"), progress.tracker("topics")
        score(0, 10)
        score(6, 10)
        score(10, 10)
        topics(0, 4)
        topics(4, 4)
        assert progress._bar is not None and progress._bar.tasks[0].total == 14
        assert progress._bar.tasks[0].completed == 14
    rates = progress.steps
    assert rates["score"].mentions == 10 and rates["topics"].mentions == 4
    assert rates["score"].per_second > 0 and rates["score"].seconds >= 0
    assert "scoring + topics: score 10 at" in out.getvalue() and "topics 4 at" in out.getvalue()


def test_an_idle_run_prints_nothing_and_reports_zero_rates() -> None:
    out = io.StringIO()
    with RunProgress(console=Console(file=out)) as progress:
        progress.tracker("score")(0, 0)
    assert {name: (r.mentions, r.seconds, r.per_second) for name, r in progress.steps.items()} == {
        "score": (0, 0.0, 0.0)
    }
    assert "scoring + topics" not in out.getvalue()  # nothing to say on an idle run


def test_a_failing_step_leaves_no_summary_line() -> None:
    out = io.StringIO()
    try:
        with RunProgress(console=Console(file=out)) as progress:
            progress.tracker("score")(0, 5)
            raise RuntimeError("model crashed")
    except RuntimeError:
        pass
    assert "scoring + topics:" not in out.getvalue()
    assert progress.steps["score"].mentions == 0
