"""A local HTTP server that answers like a Slack webhook, and the outbox DDL, for the alert tests."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb

from warehouse.alerts import outbox

# The DDL the alert outbox is specified with (warehouse/schema.py creates the same table).
OUTBOX_DDL = (
    "CREATE TABLE alert_outbox (alert_key VARCHAR PRIMARY KEY, brand VARCHAR NOT NULL, signal VARCHAR NOT NULL, "
    "window_start TIMESTAMPTZ NOT NULL, window_end TIMESTAMPTZ NOT NULL, observed DOUBLE, expected DOUBLE, "
    "p_value DOUBLE, title VARCHAR, text VARCHAR NOT NULL, blocks JSON, status VARCHAR NOT NULL DEFAULT 'pending', "
    "attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TIMESTAMPTZ, last_error VARCHAR, destination VARCHAR, "
    "created_at TIMESTAMPTZ NOT NULL, sent_at TIMESTAMPTZ, run_id VARCHAR)"
)
# The part of a webhook URL that is the secret; tests assert it never shows up anywhere.
WEBHOOK_SECRET = "XsEcReTtOkEn42"


@dataclass
class Reply:
    """One scripted webhook answer (synthetic, shaped like Slack's documented responses)."""

    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


CHANNEL_ID = "C0ALERTS"


class FakeSlack:
    """A real HTTP server on 127.0.0.1 that plays scripted Slack answers, then 200 ok.

    It answers an Incoming Webhook (any path outside /api/) and, for the bot token path, the Web API methods
    chat.postMessage and conversations.history (point WebClient's base_url at `api_url`). A post answered 200
    lands in `channel` before any scripted delay, as in Slack, where a slow answer still means a posted message.
    """

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.history_replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.channel: list[dict[str, Any]] = []
        self.clock: Callable[[], float] = time.time
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length) or b"{}"
                if "/conversations.history" in self.path:
                    query = urllib.parse.urlsplit(self.path).query
                    form = dict(urllib.parse.parse_qsl(query)) | dict(urllib.parse.parse_qsl(raw.decode()))
                    self._answer(fake.history(form))
                    return
                payload = json.loads(raw)
                api = self.path.startswith("/api/")
                with fake._lock:
                    fake.requests.append({"path": self.path, "json": payload})
                    reply = fake.replies.popleft() if fake.replies else Reply()
                    if reply.status == 200 and reply.body == "ok":
                        # Slack's ts is its clock at posting; tests set `clock` to their simulated time.
                        ts = f"{fake.clock() + len(fake.channel) / 1e6:.6f}"
                        message = {"ts": ts, "text": payload.get("text")}
                        if payload.get("metadata"):
                            message["metadata"] = payload["metadata"]
                        fake.channel.append(message)
                        if api:
                            reply = Reply(200, json.dumps({"ok": True, "channel": CHANNEL_ID, **message}),
                                          reply.headers, reply.delay_s)  # fmt: skip
                self._answer(reply)

            def _answer(self, reply: Reply) -> None:
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                body = reply.body.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json" if body.startswith(b"{") else "text/html")
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # the path holds the secret: stay quiet
                return

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:  # a client that timed out
                return

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/services/T0TEAM/B0HOOK/{WEBHOOK_SECRET}"
        self.api_url = f"http://127.0.0.1:{self.port}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def history(self, form: dict[str, str]) -> Reply:
        """conversations.history: the channel's messages since `oldest`, newest first, metadata only on request."""
        with self._lock:
            self.requests.append({"path": "/api/conversations.history", "form": form})
            if self.history_replies:
                return self.history_replies.popleft()
            oldest = float(form.get("oldest") or 0)
            keep_metadata = form.get("include_all_metadata") in ("1", "true", "True")
            messages = [
                {k: v for k, v in m.items() if k != "metadata" or keep_metadata}
                for m in reversed(self.channel)
                if float(m["ts"]) >= oldest
            ]
        return Reply(200, json.dumps({"ok": True, "messages": messages, "has_more": False}))

    def posts(self) -> Counter[str]:
        """How many POSTs carried each alert key (bot posts) or each text (webhook posts)."""
        return Counter(
            ((r["json"].get("metadata") or {}).get("event_payload") or {}).get("alert_key") or r["json"].get("text")
            for r in self.requests
            if "json" in r
        )

    def arrived(self) -> Counter[str]:
        """How many times each alert key (or text) is in the channel."""
        return Counter(
            ((m.get("metadata") or {}).get("event_payload") or {}).get("alert_key") or m.get("text")
            for m in self.channel
        )

    def script(self, *replies: Reply) -> None:
        """Queue the next answers."""
        self.replies.extend(replies)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def fill_warehouse(
    path: Any,
    hours: list[tuple[int, int]],
    *,
    start: Any,
    brand: str = "Acme",
    reach: dict[int, int] | None = None,
    topics: dict[int, str] | None = None,
) -> None:
    """Store one mention per (negative or neutral) post: `hours[i]` = (negatives, others) in hour i after `start`.

    Negatives alternate between the channels x and reddit; `reach` gives the author followers of the first
    negative post of some hours; `topics` tags every negative post of some hours with a topic (mention_topics).
    """
    from datetime import timedelta

    from models.mention import BrandMatch, Mention
    from models.scores import Sentiment
    from warehouse import Warehouse, load_mentions

    mentions, matches, scores, topic_rows = [], {}, [], []
    for index, (negative, others) in enumerate(hours):
        at = start + timedelta(hours=index)
        for n in range(negative + others):
            is_negative = n < negative
            channel = "x" if n % 2 == 0 else "reddit"
            mid = f"{at:%Y%m%d%H}-{n}"
            followers = (reach or {}).get(index) if n == 0 and is_negative else 100
            text = f"{brand.lower()} app down again, refund please #{n}" if is_negative else f"{brand.lower()} order ok"
            mention = Mention(
                channel=channel,
                id=mid,
                text=text,
                created_at=at + timedelta(minutes=n % 60),
                url=f"https://x.com/u{n}/status/{mid}",
                author_handle=f"u{index}_{n}",
                author_followers=followers,
            )
            mentions.append(mention)
            matches[mention.key] = [BrandMatch(brand=brand, terms=(brand.lower(),))]
            label, score = ("negative", -0.8) if is_negative else ("neutral", 0.0)
            probs = {"negative": 0.85, "neutral": 0.1, "positive": 0.05} if is_negative else {
                "negative": 0.1, "neutral": 0.8, "positive": 0.1}  # fmt: skip
            scores.append(((channel, mid), Sentiment(label, score, probs, "test-model", "v1")))
            if is_negative and topics and index in topics:
                topic_rows.append((channel, mid, "topics-v1", topics[index], 0.9, "negative", -0.8))
    warehouse = Warehouse(path)
    with warehouse.write() as con:
        load_mentions(con, mentions, matches, run_id="fill", scores=scores)
        if topic_rows:
            con.executemany(
                "INSERT INTO mention_topics (channel, id, model_version, topic, score, sentiment_label, "
                "sentiment_score) VALUES (?, ?, ?, ?, ?, ?, ?)",
                topic_rows,
            )


# A fixed clock and queued alerts shared by the delivery tests (tests/flows/alerts/test_slack*.py).
NOW = datetime(2024, 5, 1, 13, tzinfo=UTC)
START = datetime(2024, 5, 1, 9, tzinfo=UTC)
H = timedelta(hours=1)


def render_alert_for(start: datetime) -> Any:
    """A rendered alert for a 3-hour Acme episode starting at `start`, quoting a post that tries to ping."""
    from flows.alerts.message import AlertContext, ExamplePost, render_alert
    from models.alerts.episodes import Episode

    episode = Episode("Acme", "negative_volume", start, start + 3 * H, 42, 6.1, 6.9, 1e-9, start + H)
    post = ExamplePost("<!channel> refund denied", "https://x.com/a/status/1", "x", "alice", 1200, -0.9)
    return render_alert(episode, AlertContext(channels=[("x", 42)], examples=[post], dig_in_command="brandpulse sql"))


def queue(con: duckdb.DuckDBPyConnection, count: int = 1) -> list[str]:
    """Enqueue `count` alerts on different days; their keys, oldest first."""
    keys = []
    for n in range(count):
        start = START + n * timedelta(days=1)
        key = f"Acme|negative_volume|{start:%Y-%m-%dT%H}"
        rendered = render_alert_for(start)
        assert outbox.enqueue(
            con,
            key,
            "Acme",
            "negative_volume",
            start,
            start + 3 * H,
            42,
            6.1,
            1e-9,
            rendered,
            run_id="r",
            now=NOW + n * H,
        )
        keys.append(key)
    return keys

