"""Retention: drop mention text and raw payloads older than a cutoff, keeping every row, score and brand match.

Rows stay, so every count and sentiment view (`sentiment_daily`, `sentiment_hourly`, `share_of_voice`,
`feedback_scores`, `topic_daily`, `alerts`) gives the same numbers after retention as before. Only what needs
the words themselves loses the old part: `top_terms` for those weeks, the text column of `mentions_scored`, and
the stored text embeddings (`mention_embeddings`: a sentence vector says much of what the text said).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from warehouse.connection import committed, first_row

# Mention text is never empty on input (the loaders reject empty text), so '' unambiguously means "dropped".
DROPPED_TEXT = ""


@dataclass(frozen=True)
class RetentionResult:
    """What one retention pass changed."""

    cutoff: datetime
    mentions: int
    rejects: int


def drop_text_before(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> RetentionResult:
    """Blank `text`, null `raw` of mentions created before cutoff, and null old reject payloads, in one transaction."""
    def drop() -> tuple[tuple | None, tuple | None]:
        # In the same transaction as the text: an old vector never outlives the words it was computed from.
        con.execute(
            """DELETE FROM mention_embeddings e WHERE EXISTS (
                SELECT 1 FROM mentions m WHERE m.channel = e.channel AND m.id = e.id AND m.created_at < ?
            )""",
            [cutoff],
        )
        mentions = first_row(
            con.execute(
                "UPDATE mentions SET text = ?, raw = NULL WHERE created_at < ? AND (text <> ? OR raw IS NOT NULL)",
                [DROPPED_TEXT, cutoff, DROPPED_TEXT],
            )
        )
        # A rejected record's payload is raw user text too; the reason and location stay for the audit trail.
        rejects = first_row(
            con.execute(
                "UPDATE rejects SET payload = NULL WHERE rejected_at < ? AND payload IS NOT NULL", [cutoff]
            )
        )
        return mentions, rejects

    mentions, rejects = committed(con, drop)
    return RetentionResult(cutoff, int(mentions[0]) if mentions else 0, int(rejects[0]) if rejects else 0)
