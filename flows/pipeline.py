"""The Prefect flow `pipeline`: one pass of listen → score → load → detect → alert."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.alerts.delivery import deliver
from flows.alerts.enqueue import detect_and_enqueue
from flows.alerts.senders import Sender
from flows.resources import Resources, build_resources
from flows.runtime.artifacts import publish_run_artifacts
from flows.runtime.config import Config, load_config
from flows.runtime.failpoints import failpoint
from flows.runtime.partitions import partition_tag
from flows.runtime.read_snapshot import refresh_read_snapshot
from flows.runtime.retries import transient_retries
from flows.runtime.run_lock import writer_lock
from flows.runtime.runs import new_run_id, recorded_run
from flows.steps import imports as steps
from flows.steps import topics as topic_step
from flows.steps.listen import channel_status, listen_channel
from flows.steps.progress import RunProgress
from flows.steps.score import ModelPrefetch, cached_model, score_mentions
from models.brands import BrandMatcher
from models.channels import ChannelSettings
from warehouse import Warehouse
from warehouse.owned import sync_owned_accounts
from warehouse.queries import pipeline as queries


@dataclass
class RunSummary:
    """What one pass did, for the console, the `runs` table and Prefect artifacts."""

    run_id: str
    warehouse: str
    model: str = ""
    imports: list[dict[str, Any]] = field(default_factory=list)
    scored: int = 0
    topic_model: str = ""
    topics_scored: int = 0
    owned_accounts_changed: bool = False  # `[[brands]] owned` differed from the warehouse's list and was applied
    alerts_detected: int = 0
    alerts_new: int = 0
    alerts_updates: int = 0
    alerts_resolved: int = 0
    alerts_sent: int = 0
    alerts_retry: int = 0
    alerts_failed: int = 0
    alerts_blocked: int = 0
    alerts_blocked_reason: str | None = None
    alerts_expired: int = 0
    alerts_console: int = 0
    alerts_unknown: int = 0
    alerts_in_doubt: int = 0
    alerts_recovered: int = 0
    alerts_console_only: list[str] = field(default_factory=list)
    alerts_console_resent: int = 0
    channels: dict[str, str] = field(default_factory=dict)
    feeds: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    status: str = "completed"  # "partial" when a source failed and everything else ran
    failed_sources: list[str] = field(default_factory=list)  # "hackernews", "file:missing.jsonl"
    reason: str | None = None  # for a partial run: which sources failed and why
    read_snapshot: str | None = None  # the read snapshot readers open (None: turned off)
    read_snapshot_published_at: str | None = None  # ISO-8601 UTC of the snapshot now in place, if any
    read_snapshot_note: str | None = None  # why this run did not publish one (nothing changed, or it failed)
    # Per step: {"seconds": wall time, "mentions": how many it handled, "per_s": mentions/s} (docs/prefect.md).
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    models_loaded: bool = True  # False: nothing to score, so this run loaded no model

    def source_failed(self, source: str, why: str) -> None:
        """Record one source's failure: the run goes on and ends `partial`."""
        self.failed_sources.append(source)
        self.status = "partial"
        self.reason = "; ".join(filter(None, [self.reason, f"{source}: {why}"]))[:2000]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        return asdict(self)


# Outcomes of a source that count as its failure for the run's exit status; rate-limited is planned throttling.
FAILED_OUTCOMES = frozenset({"failed", "unavailable"})


@task(name="import-file", cache_policy=NO_CACHE, **transient_retries())
def import_file_task(warehouse: Warehouse, path: Path, matcher: BrandMatcher, run_id: str) -> steps.ImportResult:
    """Import one configured file into the warehouse; an unreadable file comes back with `error` set."""
    return steps.import_file(warehouse, path, matcher, run_id=run_id)


# Fetch one live channel for one brand from its cursors and load what really matches the brand. Secrets are
# SecretStr fields and the task is never cached: Prefect records neither their values nor a hash.
listen_task = task(name="listen", cache_policy=NO_CACHE)(listen_channel)


@task(name="score-topics", cache_policy=NO_CACHE)
def topic_task(
    warehouse: Warehouse,
    config: Config,
    sentiment_model: Callable[[], Any],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[str, int]:
    """Score CX topics, their aspect sentiment and the terms of every mention this topic model has not seen."""
    # The same in-process sentiment model as the score step: its encoder remembers the embeddings it just made.
    scorer = topic_step.build_topic_scorer(config, sentiment_model())
    if scorer is None:
        return "", 0
    return scorer.version, topic_step.score_topics_pending(
        warehouse, scorer, brand_terms=topic_step.brand_terms_of(config), progress=progress
    )


@task(name="detect-and-alert", cache_policy=NO_CACHE, **transient_retries())
def alert_task(
    warehouse: Warehouse,
    config: Config,
    run_id: str,
    sender: Sender,
    destination: str,
    sentiment_model: Callable[[], Any],
) -> dict[str, Any]:
    """Detect spikes, write new episodes to the outbox, deliver what is due."""
    now = datetime.now(UTC)
    # The themes encoder is loaded only if an alert has enough negatives no topic explains (bundled: already loaded).
    embedder = topic_step.lazy_theme_embedder(config, sentiment_model=sentiment_model)
    outcome = detect_and_enqueue(warehouse, config, run_id=run_id, now=now, theme_embedder=embedder)
    failpoint("alerts.enqueued")
    report = deliver(warehouse, sender, destination=destination, now=now, settings=config.alerts)
    return {
        "detected": outcome.detected,
        "new": outcome.new,
        "updates": outcome.updates,
        "resolved": outcome.resolved,
        "sent": report.sent,
        "retry": report.retry,
        "failed": report.failed,
        "blocked": report.blocked,
        "blocked_reason": report.blocked_reason,
        "expired": report.expired,
        "console": report.console,
        "unknown": report.unknown,
        "in_doubt": report.in_doubt,
        "recovered": report.recovered,
        "console_only": list(report.console_only),
        "console_resent": report.console_resent,
    }


def unset_credential(resources: Resources, name: str, channel: ChannelSettings) -> str | None:
    """For `enabled = "auto"`: the missing credential's one-line message, or None when the channel can run."""
    if not resources.config.brands:
        return None
    return resources.channels[name].missing_credential(channel, resources.config.brands[0], resources.secrets)


@contextmanager
def timed_step(summary: RunSummary, name: str) -> Iterator[dict[str, Any]]:
    """Record a step's wall time in the summary; the body sets `mentions` in the yielded dict when it counts any."""
    started = time.perf_counter()
    record: dict[str, Any] = {"mentions": None}
    try:
        yield record
    finally:
        seconds = time.perf_counter() - started
        mentions = record["mentions"]
        rate = round(mentions / seconds, 1) if mentions and seconds > 0 else None
        summary.steps[name] = {"seconds": round(seconds, 3), "mentions": mentions, "per_s": rate}


def model_settings_fingerprint(config: Config) -> str:
    """What decides the model versions a run would load: `[model]`, a taxonomy file's content, the package version."""
    from importlib.metadata import PackageNotFoundError, version

    settings = config.model.model_dump(mode="json", exclude={"batch_size"})
    taxonomy = Path(config.model.taxonomy)
    if not taxonomy.is_absolute() and config.source:
        taxonomy = Path(config.source).resolve().parent / taxonomy
    if taxonomy.is_file():
        settings["taxonomy_sha256"] = hashlib.sha256(taxonomy.read_bytes()).hexdigest()
    try:
        settings["brandpulse"] = version("brandpulse")
    except PackageNotFoundError:
        settings["brandpulse"] = "source"
    return json.dumps(settings, sort_keys=True)


def nothing_to_score(warehouse: Warehouse, config: Config) -> dict[str, str] | None:
    """The last run's model versions when, with the same settings, no stored mention lacks their scores or topics.

    Then this run loads no model at all (an idle run costs seconds, not a model load). None means: load and score.
    """
    with warehouse.write() as con:
        known = queries.scored_with(con)
        if known.get("settings") != model_settings_fingerprint(config) or "sentiment" not in known:
            return None
        if queries.has_unscored(con, known["sentiment"]):
            return None
        if known.get("topics") and queries.has_unscanned(con, known["topics"]):
            return None
    return known


def run_once(resources: Resources) -> RunSummary:
    """One pass over the configured sources with the given resources; the body of the `pipeline` flow."""
    logger = get_run_logger()
    config, warehouse = resources.config, resources.warehouse
    run_id = new_run_id()
    summary = RunSummary(run_id=run_id, warehouse=config.warehouse.describe())
    sender, destination = resources.alerts
    secrets = resources.secrets  # read once, before any task, and handed to the listen tasks

    def sentiment_model() -> Any:
        return resources.sentiment()

    # New or edited mentions will be scored: the model loads while the other sources are read (never in an idle run).
    settings = config.model
    prefetch = ModelPrefetch(
        lambda: cached_model(settings.sentiment, settings.batch_size, config.runner.device, settings.precision)
    )

    with recorded_run(warehouse, summary):
        # First, so this run's counts and alerts already leave out posts of newly listed own accounts.
        with warehouse.write() as con:
            summary.owned_accounts_changed = sync_owned_accounts(con, config.brands)
        matcher = BrandMatcher.from_brands(config.brands)
        with timed_step(summary, "sources") as step:
            for name, channel in config.channels.items():
                if not channel.enabled:
                    continue
                if name not in resources.channels:
                    summary.channels[name] = "skipped: no live listener for this channel in this version"
                    logger.warning("channel %s is enabled but has no live listener; skipped", name)
                    continue
                missing = unset_credential(resources, name, channel) if channel.enabled == "auto" else None
                if missing is not None:
                    summary.channels[name] = f"skipped (enabled = \"auto\"): {missing}"
                    logger.info("channel %s skipped: %s", name, missing)
                    continue
                # One task per channel x brand; a failing one is recorded in its results and never stops the others.
                results = []
                for brand in config.brands:
                    # Tagged per channel × brand: a tag limit of 1 keeps two workers off the same feed at once.
                    found = listen_task.with_options(tags={partition_tag(name, brand.name)})(
                        warehouse, name, channel, secrets, brand, matcher, run_id=run_id, channels=resources.channels
                    )
                    if any(r.inserted or r.edited for r in found):
                        prefetch.start()
                    results.extend(found)
                summary.feeds.extend(r.as_dict() for r in results)
                summary.channels[name] = channel_status(results)
                if any(r.outcome in FAILED_OUTCOMES for r in results):
                    summary.source_failed(name, summary.channels[name])
                logger.info("channel %s: %s", name, summary.channels[name])
            for path in config.imports.files:
                result = import_file_task(warehouse, path, matcher, run_id)
                if result.inserted or result.edited:
                    prefetch.start()
                summary.imports.append({k: v for k, v in asdict(result).items() if k != "rejects"})
                if result.error is not None:
                    summary.channels[f"file:{path.name}"] = f"failed: {result.error}"
                    summary.source_failed(f"file:{path.name}", result.error)
                    logger.warning("import %s failed: %s", path.name, result.error)
                    continue
                summary.channels[f"file:{path.name}"] = "unchanged" if result.skipped_unchanged else "ok"
                if result.skipped_unchanged:
                    logger.info("%s unchanged since its last import; skipped", path.name)
                else:
                    logger.info(
                        "imported %s: %d new, %d edited, %d already stored, %d rejected",
                        path.name,
                        result.inserted,
                        result.edited,
                        result.duplicates,
                        result.rejected,
                    )
            sources = [*summary.feeds, *summary.imports]
            step["mentions"] = sum(int(item.get("inserted") or 0) for item in sources)
        failpoint("import.committed")
        known = nothing_to_score(warehouse, config)
        if known is not None:
            # Nothing new since the last run with these settings: no model is loaded, the versions are the stored ones.
            summary.models_loaded = False
            summary.model, summary.topic_model = known["sentiment"], known.get("topics", "")
            logger.info("nothing new to score; no model loaded")
        else:
            # One progress bar over scoring and topics; `steps` in the summary keeps each step's mentions/s.
            with RunProgress() as progress:
                with timed_step(summary, "score") as step:
                    # A sub-flow on the `[runner]` task runner (threads, or Dask to spread scoring over workers).
                    scored = score_mentions(
                        warehouse,
                        config.model.sentiment,
                        config.model.batch_size,
                        config.runner,
                        precision=config.model.precision,
                        keep_embeddings=topic_step.reuses_scoring_pass(config),
                        progress=progress.tracker("score"),
                    )
                    summary.model, summary.scored = scored["model_version"], scored["scored"]
                    step["mentions"] = summary.scored
                failpoint("score.done")
                logger.info("scored %d mentions with %s", summary.scored, summary.model)
                with timed_step(summary, "topics") as step:
                    summary.topic_model, summary.topics_scored = topic_task(
                        warehouse, config, sentiment_model, progress.tracker("topics")
                    )
                    step["mentions"] = summary.topics_scored
            if summary.topic_model:
                logger.info("scored topics of %d mentions with %s", summary.topics_scored, summary.topic_model)
            with warehouse.write() as con:
                queries.record_scored_with(
                    con,
                    {
                        "settings": model_settings_fingerprint(config),
                        "sentiment": summary.model,
                        "topics": summary.topic_model,
                    },
                )
        with timed_step(summary, "detect_alert"):
            alerts = alert_task(warehouse, config, run_id, sender, destination or "console", sentiment_model)
        summary.alerts_detected, summary.alerts_new = alerts["detected"], alerts["new"]
        summary.alerts_updates, summary.alerts_resolved = alerts["updates"], alerts["resolved"]
        summary.alerts_sent, summary.alerts_retry = alerts["sent"], alerts["retry"]
        summary.alerts_failed = alerts["failed"]
        summary.alerts_blocked, summary.alerts_blocked_reason = alerts["blocked"], alerts["blocked_reason"]
        summary.alerts_expired, summary.alerts_console = alerts["expired"], alerts["console"]
        summary.alerts_unknown, summary.alerts_in_doubt = alerts["unknown"], alerts["in_doubt"]
        summary.alerts_recovered = alerts["recovered"]
        summary.alerts_console_only, summary.alerts_console_resent = alerts["console_only"], alerts["console_resent"]
        with timed_step(summary, "summary"), warehouse.write() as con:
            summary.totals = queries.summary(con)
    # After recorded_run, so the snapshot holds this run's finished record too.
    with timed_step(summary, "read_snapshot"):
        publish_read_snapshot(warehouse, config, summary)
    return summary


# Counters that mean the warehouse's data changed in this pass (the runs row always changes; it alone is not news).
_CHANGE_KEYS = ("inserted", "edited")
_ALERT_CHANGES = (
    "alerts_new", "alerts_updates", "alerts_resolved", "alerts_sent", "alerts_retry", "alerts_failed",
    "alerts_blocked", "alerts_expired", "alerts_recovered",
)


def run_changed(summary: RunSummary) -> bool:
    """Whether this pass stored, scored or alerted anything, so readers need a fresh snapshot."""
    sources = [*summary.feeds, *summary.imports]
    if any(item.get(key) for item in sources for key in _CHANGE_KEYS):
        return True
    if summary.scored or summary.topics_scored or summary.owned_accounts_changed:
        return True
    return any(getattr(summary, key) for key in _ALERT_CHANGES)


def publish_read_snapshot(warehouse: Warehouse, config: Config, summary: RunSummary) -> None:
    """Publish the read snapshot when the run changed something (or there is none, or it is of an older schema)."""
    outcome = refresh_read_snapshot(warehouse, config, changed=run_changed(summary))
    summary.read_snapshot = outcome.path
    summary.read_snapshot_published_at, summary.read_snapshot_note = outcome.published_at, outcome.note


@flow(name="pipeline", log_prints=True)
def pipeline(config_path: str | None = None) -> dict[str, Any]:
    """One pass: import/listen, score, load, detect spikes, deliver alerts."""
    config = load_config(Path(config_path) if config_path else None)
    config.require_brands("brandpulse run")
    # Overlapping runs (a slow pass, a manual run beside the schedule) take turns instead of fighting for the file.
    with writer_lock(config.warehouse.path, timeout_s=config.warehouse.run_lock_timeout_s):
        summary = run_once(build_resources(config)).as_dict()
    publish_run_artifacts(summary)
    return summary
