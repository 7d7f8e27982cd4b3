"""The `rescore` and `retention` flows on the sample: new scores beside the old, text dropped, numbers kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers.prefect_flows import count, load_sample, model_copy_with_new_version, rows
from helpers.sample import START, write_sample

from flows.rescore import rescore
from flows.retention import retention, retention_cutoff
from flows.runtime.config import RunnerSettings
from flows.steps.score import score_mentions
from warehouse import Warehouse

AGGREGATES = {
    "sentiment_daily": "SELECT * FROM sentiment_daily ORDER BY ALL",
    "share_of_voice": "SELECT * FROM share_of_voice ORDER BY ALL",
    "feedback_scores": "SELECT * FROM feedback_scores ORDER BY ALL",
    "runs_of_brands": "SELECT brand, channel, count(*), count(label) FROM mentions_scored GROUP BY ALL ORDER BY ALL",
}


@pytest.fixture
def scored_sample(tmp_path: Path, tiny_model_dir: Path) -> tuple[Path, Warehouse]:
    config_path = write_sample(tmp_path, tiny_model_dir)
    config, warehouse = load_sample(config_path)
    score_mentions(warehouse, config.model.sentiment, 32, RunnerSettings())
    return config_path, warehouse


def test_cutoff_is_midnight_utc_days_back() -> None:
    assert retention_cutoff(3, datetime(2026, 11, 10, 15, 30, tzinfo=UTC)) == datetime(2026, 11, 7, tzinfo=UTC)


def test_retention_drops_old_text_and_keeps_every_aggregate(
    prefect_harness: None, scored_sample: tuple[Path, Warehouse]
) -> None:
    config_path, warehouse = scored_sample
    db = warehouse.path
    before = {name: rows(db, sql) for name, sql in AGGREGATES.items()}
    mentions = count(db, "mentions")
    as_of = datetime(2026, 11, 12, 9, tzinfo=UTC)  # keep 5 days: text before 2026-11-07 goes

    result = retention(config_path=str(config_path), days=5, as_of=as_of)

    cutoff = datetime(2026, 11, 7, tzinfo=UTC)
    assert result["cutoff"] == cutoff.isoformat()
    [(old, old_blank, old_raw, new_blank, new_raw)] = rows(
        db,
        f"""SELECT count(*) FILTER (WHERE created_at < '{cutoff.isoformat()}'),
                   count(*) FILTER (WHERE created_at < '{cutoff.isoformat()}' AND text = ''),
                   count(raw) FILTER (WHERE created_at < '{cutoff.isoformat()}'),
                   count(*) FILTER (WHERE created_at >= '{cutoff.isoformat()}' AND text = ''),
                   count(raw) FILTER (WHERE created_at >= '{cutoff.isoformat()}')
            FROM mentions""",
    )
    assert old > 0 and result["mentions"] == old == old_blank and old_raw == 0
    assert new_blank == 0 and new_raw > 0
    assert count(db, "mentions") == mentions
    assert {name: rows(db, sql) for name, sql in AGGREGATES.items()} == before
    # Readers of the snapshot must not keep the dropped text either: retention published a fresh one.
    snapshot = db.with_name(f"{db.stem}.read.duckdb")
    assert rows(snapshot, f"SELECT count(*) FROM mentions WHERE created_at < '{cutoff.isoformat()}' AND text = ''") == [
        (old,)
    ]
    # Running it again changes nothing more.
    assert retention(config_path=str(config_path), days=5, as_of=as_of)["mentions"] == 0


def test_retention_without_a_setting_keeps_everything(
    prefect_harness: None, scored_sample: tuple[Path, Warehouse]
) -> None:
    config_path, warehouse = scored_sample
    assert retention(config_path=str(config_path))["days"] is None
    assert rows(warehouse.path, "SELECT count(*) FROM mentions WHERE text = ''") == [(0,)]


def test_rescore_adds_the_new_models_scores_and_keeps_the_old(
    prefect_harness: None, scored_sample: tuple[Path, Warehouse], tiny_model_dir: Path, tmp_path: Path
) -> None:
    config_path, warehouse = scored_sample
    db = warehouse.path
    old_scores = rows(db, "SELECT channel, id, model_version, label, score FROM scores ORDER BY ALL")
    mentions = count(db, "mentions")
    # Text older than the first day is dropped first: the new model must not score the blanked rows.
    retention(config_path=str(config_path), days=1, as_of=datetime(2026, 11, 3, tzinfo=UTC))
    dropped = rows(db, f"SELECT count(*) FROM mentions WHERE created_at < '{START.replace(day=2).isoformat()}'")[0][0]
    new_model = model_copy_with_new_version(tiny_model_dir, tmp_path / "model-v2")

    result = rescore(config_path=str(config_path), model=str(new_model))

    assert result["scored"] == mentions - dropped
    assert result["read_snapshot_published_at"]
    assert rows(db.with_name(f"{db.stem}.read.duckdb"), "SELECT count(DISTINCT model_version) FROM scores") == [(2,)]
    versions = rows(db, "SELECT model_version, count(*) FROM scores GROUP BY ALL ORDER BY count(*) DESC")
    assert [n for _, n in versions] == [mentions, mentions - dropped]
    assert versions[1][0] == result["model_version"] != versions[0][0]
    assert rows(db, f"SELECT channel, id, model_version, label, score FROM scores "
                    f"WHERE model_version = '{versions[0][0]}' ORDER BY ALL") == old_scores
    # Nothing left to do for that model: a second rescore is a no-op.
    assert rescore(config_path=str(config_path), model=str(new_model))["scored"] == 0
