"""Sentiment scoring through a swappable Prefect task runner: threads on this machine, or a Dask cluster.

The sub-flow `score` reads the mentions that have no score for the model yet, sends chunks of their text to
`predict-chunk` tasks on the configured task runner, and writes the scores back from the flow itself: workers
never open the DuckDB file, so they can live on other machines (or a GPU box) and the warehouse keeps one writer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows.runtime.config import RunnerSettings
from flows.runtime.failpoints import failpoint
from models.errors import ConfigError
from models.scores import Sentiment
from models.sentiment.batching import BATCH_SIZE
from warehouse import Warehouse, load_scores, unscored_mentions

# Mentions per predict task and per write: a write costs about 0.1 s whatever its size, so 512 halves what 256
# spent on them (docs/benchmarks.md) while a kill still loses at most a few seconds of scoring.
SCORE_CHUNK = 512


@lru_cache(maxsize=4)
def _load_model(name: str, batch_size: int, device: str, precision: str) -> Any:
    """The sentiment model as `[model]` names it (a failed load is not cached: the next caller tries again)."""
    from models import load_sentiment

    model = None if name == "bundled" else name
    return load_sentiment(model, batch_size=batch_size, device=device, precision=precision)


_LOADING = threading.Lock()


def cached_model(name: str, batch_size: int, device: str = "cpu", precision: str = "auto") -> Any:
    """The sentiment model, loaded once per worker process (loading costs seconds, predicting milliseconds).

    Callers in other threads (a `ModelPrefetch`, the scoring tasks) wait for a load under way instead of starting
    a second one.
    """
    with _LOADING:
        return _load_model(name, batch_size, device, precision)



class ModelPrefetch:
    """Loads a run's sentiment model in a background thread once the run has stored new mentions.

    The load then overlaps the rest of the run's listening and importing instead of following it (docs/prefect.md,
    "What a run costs"). The score step asks `cached_model` for the same model and waits for the load under way.
    A load that fails here is not cached, so the score step loads again and reports the error where a run always has.
    """

    def __init__(self, load: Callable[[], Any]) -> None:
        self._load = load
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the load unless it has started already."""
        if self._thread is None:
            # Not a daemon: a run that fails before scoring still lets the load finish rather than kill it mid-import.
            self._thread = threading.Thread(target=self._run, name="model-prefetch")
            self._thread.start()

    def _run(self) -> None:
        try:
            self._load()
        except Exception as exc:  # the score step's own load raises it again, where the run reports errors
            logging.getLogger(__name__).debug("model prefetch failed, the score step will load again: %s", exc)


def predict_texts(
    model_name: str,
    batch_size: int,
    texts: list[str],
    device: str = "cpu",
    precision: str = "auto",
    keep_embeddings: bool = False,
) -> list[Sentiment]:
    """Sentiments for texts with the named model; what each scoring worker runs.

    `keep_embeddings`: the topic step will embed these texts with the same bundled encoder in this process, so the
    scoring pass also runs e5's own upper layers on its shared lower layers and memoises the embeddings.
    """
    model = cached_model(model_name, batch_size, device, precision)
    if keep_embeddings and hasattr(model.encoder, "share_embeddings"):
        model.encoder.share_embeddings = True
    return list(model.predict(texts))


def chunked(items: list[Any], size: int) -> list[list[Any]]:
    """Consecutive slices of at most `size` items."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def build_task_runner(settings: RunnerSettings) -> TaskRunner:
    """The task runner `[runner]` asks for; Dask is imported only when chosen (it is an optional extra)."""
    if settings.kind == "thread":
        return ThreadPoolTaskRunner(max_workers=settings.workers)
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        raise ConfigError(
            "[runner] kind = 'dask' needs prefect-dask: pip install 'brandpulse[dask]'", key="runner.kind"
        ) from None
    if settings.address:
        return DaskTaskRunner(address=settings.address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.workers,
            "processes": settings.processes,
            "threads_per_worker": 1,
            "dashboard_address": None,  # no web port opened for a throwaway local cluster
        }
    )


@task(name="predict-chunk", cache_policy=NO_CACHE)
def predict_chunk_task(
    model_name: str,
    batch_size: int,
    texts: list[str],
    device: str = "cpu",
    precision: str = "auto",
    keep_embeddings: bool = False,
) -> list[Sentiment]:
    """Score one chunk of texts on whichever worker the task runner picks."""
    return predict_texts(model_name, batch_size, texts, device, precision, keep_embeddings)


def score_pending(
    warehouse: Warehouse,
    version: str,
    predict: Callable[[list[list[str]]], Iterable[Sequence[Sentiment]]],
    *,
    chunk: int = SCORE_CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Score every stored mention with no score from `version`; `predict` yields each chunk's sentiments in order."""
    with warehouse.write() as con:
        pending = unscored_mentions(con, version)
    # Chunks of similar length pad least: run_batched sorts within a chunk, this sorts across chunks. Scores are
    # keyed by mention, so the order they are stored in does not matter.
    pending.sort(key=lambda row: len(row[2]))
    parts = chunked(pending, chunk)
    stored = 0
    if progress:
        progress(0, len(pending))
    # Scores are written chunk by chunk in short transactions, so readers are not locked out while the model runs.
    for part, sentiments in zip(parts, predict([[text for _, _, text in part] for part in parts]), strict=True):
        with warehouse.write() as con:
            stored += load_scores(con, [((ch, mid), s) for (ch, mid, _), s in zip(part, sentiments, strict=True)])
        failpoint("score.chunk")
        if progress:
            progress(stored, len(pending))
    return {"model_version": version, "scored": len(pending), "stored": stored}


def score_with_model(warehouse: Warehouse, model: Any, *, chunk: int = SCORE_CHUNK) -> int:
    """Score the pending mentions with a model object in this process (tests, notebooks); returns how many."""
    result = score_pending(warehouse, model.version, lambda texts: (model.predict(t) for t in texts), chunk=chunk)
    return int(result["scored"])


@flow(name="score", log_prints=True)
def score_flow(
    warehouse: Warehouse,
    model_name: str,
    batch_size: int = BATCH_SIZE,
    chunk: int = SCORE_CHUNK,
    device: str = "cpu",
    precision: str = "auto",
    keep_embeddings: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Score every stored mention that has no score from this model version yet; old versions' scores stay."""
    version = cached_model(model_name, batch_size, device, precision).version

    def predict(texts: list[list[str]]) -> Iterator[list[Sentiment]]:
        # Everything is submitted first so a Dask cluster works on all chunks at once; results come back in order.
        futures = [
            predict_chunk_task.submit(model_name, batch_size, part, device, precision, keep_embeddings)
            for part in texts
        ]
        return (future.result() for future in futures)

    return score_pending(warehouse, version, predict, chunk=chunk, progress=progress)


def score_mentions(
    warehouse: Warehouse,
    model_name: str,
    batch_size: int,
    runner: RunnerSettings,
    *,
    chunk: int = SCORE_CHUNK,
    precision: str = "auto",
    keep_embeddings: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run the `score` sub-flow on the task runner `[runner]` configures.

    `keep_embeddings` (the topic step follows in this process with the bundled encoder) only helps on the thread
    runner: Dask workers keep their memo to themselves.
    """
    scoring = score_flow.with_options(task_runner=build_task_runner(runner))
    return scoring(
        warehouse=warehouse,
        model_name=model_name,
        batch_size=batch_size,
        chunk=chunk,
        device=runner.device,
        precision=precision,
        keep_embeddings=keep_embeddings and runner.kind == "thread",
        progress=progress,
    )
