"""Fixture warehouses for the report tests: the sample data scored by a keyword fake, and a tiny hand-made one."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from flows.runtime.config import Config, load_config
from flows.steps.imports import import_file
from flows.steps.score import score_with_model
from models.brands import BrandMatcher
from models.mention import BrandMatch, Mention
from models.scores import Sentiment, sentiment_from_probs
from warehouse import Warehouse, load_mentions, load_scores
from warehouse.owned import sync_owned_accounts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Words the sample generator puts in unhappy and happy posts; enough for a deterministic, plausible split.
NEGATIVE = re.compile(
    r"late|broken|worst|terrible|awful|refund|crash|down|never|smh|angry|wrong|missing|rude|slow|cancel|"
    r"최악|먹통|늦|환불|짜증|탈퇴|안 ?와|오류|불친절|ㅠㅠ|실망|별로",
    re.IGNORECASE,
)
POSITIVE = re.compile(
    r"love|great|best|fast|thanks|shoutout|good|amazing|happy|surprised|"
    r"좋|최고|빠름|빨라|감사|개꿀|만족|굿|ㅎㅎ",
    re.IGNORECASE,
)


class KeywordScorer:
    """A deterministic stand-in for the sentiment model: counts negative and positive keywords."""

    version = "keyword-fake-1"

    def predict(self, texts: list[str]) -> list[Sentiment]:
        """One Sentiment per text, like models.load_sentiment(...).predict."""
        results = []
        for text in texts:
            neg, pos = len(NEGATIVE.findall(text)), len(POSITIVE.findall(text))
            if neg > pos:
                probs = {"negative": 0.8, "neutral": 0.15, "positive": 0.05}
            elif pos > neg:
                probs = {"negative": 0.05, "neutral": 0.15, "positive": 0.8}
            else:
                probs = {"negative": 0.2, "neutral": 0.6, "positive": 0.2}
            results.append(sentiment_from_probs(probs, "keyword-fake", self.version))
        return results


def sample_config(folder: Path) -> Config:
    """The demo config with its warehouse moved into `folder`."""
    config = load_config(EXAMPLES / "brandpulse.toml")
    return config.model_copy(update={"warehouse": config.warehouse.model_copy(update={"path": folder / "wh.duckdb"})})


def build_sample_warehouse(folder: Path) -> Config:
    """Import examples/ into a fresh warehouse in `folder` and score it with the keyword fake."""
    config = sample_config(folder)
    warehouse = Warehouse(config.warehouse.path)
    matcher = BrandMatcher.from_brands(config.brands)
    with warehouse.write() as con:
        sync_owned_accounts(con, config.brands)  # as each run does first
    for path in config.imports.files:
        import_file(warehouse, path, matcher, run_id="report-sample")
    score_with_model(warehouse, KeywordScorer())
    return config


def sentiment_record(label: str, score: float) -> Sentiment:
    """A Sentiment with `label` and `score`, the other probabilities spread evenly."""
    rest = (1 - abs(score)) / 2
    probs = {"negative": rest, "neutral": rest, "positive": rest}
    probs[label] = 1 - 2 * rest
    return Sentiment(label, score, probs, "hand", "hand-1")


# The tiny fixture: (channel, id, brand, day in Nov 2026, hour, label, score, extra fields).
# Hand-computed facts the tests check are written next to the rows they come from.
SMALL_ROWS: list[tuple[str, str, str, int, int, str, float, dict]] = [
    # Acme, Nov 9 (previous period for a Nov 10-11 report): 2 mentions, 1 negative.
    ("x", "a1", "Acme", 9, 10, "negative", -0.8, {}),
    ("x", "a2", "Acme", 9, 11, "positive", 0.6, {}),
    # Acme, Nov 10: x 3 mentions (2 negative), reddit 1 (positive).
    ("x", "a3", "Acme", 10, 9, "negative", -0.9, {"author_followers": 5000, "author_handle": "angry_kim"}),
    ("x", "a4", "Acme", 10, 10, "negative", -0.5, {"author_followers": 10, "author_handle": "angry_kim"}),
    ("x", "a5", "Acme", 10, 12, "neutral", 0.0, {}),
    ("reddit", "a6", "Acme", 10, 13, "positive", 0.7, {"author_followers": 300}),
    # Acme, Nov 11: x 1 positive; survey: NPS 10, 9, 3 and CSAT 5, 2 (these count as Acme mentions too).
    ("x", "a7", "Acme", 11, 8, "positive", 0.9, {}),
    ("survey", "s1", "Acme", 11, 9, "positive", 0.5, {"rating": 10, "rating_scale": "nps", "kind": "survey"}),
    ("survey", "s2", "Acme", 11, 9, "positive", 0.5, {"rating": 9, "rating_scale": "nps", "kind": "survey"}),
    ("survey", "s3", "Acme", 11, 9, "negative", -0.5, {"rating": 3, "rating_scale": "nps", "kind": "survey"}),
    ("survey", "s4", "Acme", 11, 10, "positive", 0.5, {"rating": 5, "rating_scale": "csat", "kind": "survey"}),
    ("survey", "s5", "Acme", 11, 10, "negative", -0.5, {"rating": 2, "rating_scale": "csat", "kind": "survey"}),
    # Globex, Nov 9 (previous period): 3 neutral mentions, more than Acme's 2 that day.
    ("x", "g4", "Globex", 9, 8, "neutral", 0.0, {}),
    ("x", "g5", "Globex", 9, 9, "neutral", 0.0, {}),
    ("x", "g6", "Globex", 9, 10, "neutral", 0.0, {}),
    # Globex, Nov 10-11: 3 mentions, 1 negative.
    ("x", "g1", "Globex", 10, 9, "negative", -0.6, {}),
    ("x", "g2", "Globex", 11, 9, "neutral", 0.0, {}),
    ("reddit", "g3", "Globex", 11, 10, "positive", 0.3, {}),
]
SMALL_TEXTS = {
    "a2": "acme fast delivery, great",
    "a3": "Acme delivery late again, 배송 최악",
    "a4": "acme app down, delivery late",
    "a6": "acme price is great",
    "g1": "globex refund late",
}
# Terms as the topic step stores them in mention_terms (what `top_terms` counts), written out by hand.
SMALL_TERMS = {
    "a2": ("fast", "delivery", "great"),
    "a3": ("delivery", "late", "배송", "최악"),
    "a4": ("app", "down", "delivery", "late"),
    "a6": ("price", "great"),
    "g1": ("refund", "late"),
}


def build_small_warehouse(path: Path) -> Warehouse:
    """The tiny hand-computed fixture: Acme and Globex on Nov 9-11 2026, scores given by hand."""
    mentions, matches, scores = [], {}, []
    for channel, mid, brand, day, hour, label, score, extra in SMALL_ROWS:
        mention = Mention(
            channel=channel,
            id=mid,
            text=SMALL_TEXTS.get(mid, f"{brand.lower()} mention {mid}"),
            created_at=datetime(2026, 11, day, hour, tzinfo=UTC),
            url=f"https://example.com/{channel}/{mid}",
            author_handle=extra.get("author_handle", f"user_{mid}"),
            lang="ko" if mid == "a3" else "en",
            kind=extra.get("kind", "post"),
            author_followers=extra.get("author_followers"),
            rating=extra.get("rating"),
            rating_scale=extra.get("rating_scale"),
        )
        mentions.append(mention)
        matches[mention.key] = [BrandMatch(brand=brand, terms=(brand.lower(),))]
        scores.append((mention.key, sentiment_record(label, score)))
    warehouse = Warehouse(path)
    with warehouse.write() as con:
        load_mentions(con, mentions, matches, run_id="small")
        load_scores(con, scores)
        # Topics as the topic engineer's model will store them: a3, a4 and g1 about delivery, a6 about price.
        con.execute(
            """INSERT INTO mention_topics (channel, id, model_version, topic, score)
            VALUES ('x', 'a3', 't1', 'delivery', 0.9), ('x', 'a4', 't1', 'delivery', 0.8),
                   ('x', 'a1', 't1', 'delivery', 0.7), ('reddit', 'a6', 't1', 'price', 0.9),
                   ('x', 'g1', 't1', 'delivery', 0.9)"""
        )
        for mid, terms in SMALL_TERMS.items():
            channel = next(row[0] for row in SMALL_ROWS if row[1] == mid)
            con.executemany(
                "INSERT INTO mention_terms (channel, id, lang, term) VALUES (?, ?, ?, ?)",
                [(channel, mid, "ko" if mid == "a3" else "en", term) for term in terms],
            )
        # One alert episode, as the detector and the outbox would have stored it (Slack-escaped text).
        con.execute(
            """INSERT INTO alert_outbox (alert_key, brand, signal, window_start, window_end, observed, expected,
                p_value, title, text, status, attempts, created_at, run_id)
            VALUES ('Acme|negative_volume|2026-11-10T09', 'Acme', 'negative_volume', '2026-11-10 09:00:00+00',
                '2026-11-10 11:00:00+00', 2, 0.2, 0.001, 'Negative spike: Acme',
                'Negative spike: Acme &lt;b&gt; &amp; more', 'sent', 1, '2026-11-10 11:05:00+00', 'small')"""
        )
    return warehouse


MALICIOUS_TEXT = (
    '<script>window.__pwned = "script"</script><img src=x onerror="window.__pwned = \'img\'"> '
    "acme 배송 최악 </script><!--"
)
MALICIOUS_URL = "javascript:window.__pwned='link'"
MALICIOUS_HANDLE = '"><svg onload=window.__pwned=1>'


def add_malicious_mention(warehouse: Warehouse, brand: str, at: datetime) -> None:
    """A negative, far-reaching Acme post whose text, handle and link try to run script in the report."""
    mention = Mention(
        channel="x",
        id="evil-1",
        text=MALICIOUS_TEXT,
        created_at=at,
        url=MALICIOUS_URL,
        author_handle=MALICIOUS_HANDLE,
        author_followers=10_000_000,
        lang="ko",
        kind="post",
    )
    with warehouse.write() as con:
        load_mentions(con, [mention], {mention.key: [BrandMatch(brand=brand, terms=("acme",))]}, run_id="evil")
        load_scores(con, [(mention.key, sentiment_record("negative", -0.99))])


# Keyword rules standing in for the topic model on the sample data (the real one fills mention_topics the same way).
SAMPLE_TOPICS = {
    "delivery": "deliver|driver|배송|배달|기사",
    "website/app": r"\bapp\b|앱|login|로그인|결제|payment",
    "price": "price|cheap|expensive|가격|할인|원\\b",
    "support": "support|refund|환불|고객센터|상담",
}


def add_keyword_topics(warehouse: Warehouse) -> None:
    """Store topics for the sample mentions from SAMPLE_TOPICS, as a topic model would."""
    with warehouse.write() as con:
        for topic, pattern in SAMPLE_TOPICS.items():
            con.execute(
                """INSERT INTO mention_topics (channel, id, model_version, topic, score)
                SELECT channel, id, 'keyword-topics-1', ?, 1.0 FROM mentions
                WHERE regexp_matches(lower(text), ?)
                ON CONFLICT DO NOTHING""",
                [topic, pattern],
            )


def add_simple_terms(warehouse: Warehouse) -> None:
    """Store every mention's words (letters of any script, two or more) in mention_terms, as the topic step would."""
    with warehouse.write() as con:
        con.execute(
            """INSERT INTO mention_terms (channel, id, lang, term)
            SELECT DISTINCT channel, id, lang, term
            FROM (SELECT channel, id, lang, unnest(regexp_extract_all(lower(text), '\\p{L}{2,}')) AS term FROM mentions)
            ON CONFLICT DO NOTHING"""
        )
