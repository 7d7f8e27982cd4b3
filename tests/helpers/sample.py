"""Small deterministic sample data for end-to-end tests: ten days of hourly mentions with one negative spike."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from helpers.config import ACME, GLOBEX, write_config

START = datetime(2026, 11, 1, tzinfo=UTC)
SPIKE_START = START + timedelta(days=9, hours=10)
SPIKE_HOURS = 4



def write_sample(folder: Path, model_dir: Path) -> Path:
    """Write mentions.jsonl, survey.csv and brandpulse.toml into `folder`; return the config path."""
    rows = []
    calm = ["acme great fast", "acme order update today", "globex store update", "love acme app", "globex best"]
    for hour in range(10 * 24):
        at = START + timedelta(hours=hour)
        texts = [calm[(hour + i) % len(calm)] for i in range(3)]
        if hour % 7 == 0:
            texts.append("acme refund late")
        if SPIKE_START <= at < SPIKE_START + timedelta(hours=SPIKE_HOURS):
            texts += ["acme app is terrible broken late", "애크미 먹통 최악"] * 8
        for i, text in enumerate(texts):
            rows.append(
                {
                    "channel": "x" if i % 2 == 0 else "reddit",
                    "id": f"{hour}-{i}",
                    "text": text,
                    "created_at": (at + timedelta(minutes=5 * i)).isoformat(),
                    "url": f"https://x.com/u{i}/status/{hour}{i}",
                    "author_handle": f"user{i}",
                    "author_followers": 100 * (i + 1),
                    "lang": "ko" if "애크미" in text else "en",
                }
            )
    (folder / "mentions.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    survey = ["channel,id,text,created_at,kind,rating,rating_scale,brand"]
    for i in range(20):
        score = i % 11
        at = (START + timedelta(days=i % 9)).isoformat()
        survey.append(f"survey,s{i},acme order update,{at},survey,{score},nps,Acme")
    (folder / "survey.csv").write_text("\n".join(survey) + "\n", encoding="utf-8")
    return write_config(
        folder,
        warehouse={"lock_timeout_s": 20},
        # Topics embed with the tiny model too: no test but one needs the real e5.
        model={"sentiment": model_dir, "encoder": model_dir},
        brands=[ACME, {**GLOBEX, "competitors": ["Acme"]}],
        alerts={"preset": "balanced"},
        imports={"files": ["mentions.jsonl", "survey.csv"]},
    )
