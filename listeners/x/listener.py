"""X (API v2 via an injected tweepy.Client): recent search, mentions of an account, full-archive search."""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from listeners.http import error_for_status
from listeners.paging import Page, paginate
from listeners.parsing import parse_timestamp
from listeners.report import FetchReport
from listeners.retry import RetryPolicy
from models.errors import FatalError, RateLimited, RecordError, RetryableError
from models.mention import Mention, Reject, mention_from_dict

CHANNEL = "x"
CREDENTIAL = "BRANDPULSE_X_BEARER_TOKEN"
# What a Mention needs: author handle and reach, language, metrics, and the tweets a retweet/quote/reply points to.
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]
TWEET_FIELDS = [
    "author_id",
    "created_at",
    "lang",
    "public_metrics",
    "referenced_tweets",
    "conversation_id",
    "in_reply_to_user_id",
    "possibly_sensitive",
    "note_tweet",
    "edit_history_tweet_ids",
]
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
_METRICS = {
    "like_count": "likes",
    "retweet_count": "reposts",
    "reply_count": "replies",
    "quote_count": "quotes",
    "bookmark_count": "bookmarks",
    "impression_count": "impressions",
}
_KINDS = {"retweeted": "repost", "quoted": "quote", "replied_to": "reply"}
SNOWFLAKE_EPOCH_MS = 1288834974657  # X snowflake ids count milliseconds from 2010-11-04
FULL_ARCHIVE_INTERVAL_S = 1.0  # full-archive search allows one request per second


# --------------------------------------------------------------------------------------------------------------
# Parsing (pure)
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Includes:
    """The `includes` of one response, indexed by id: the users and referenced tweets a page's tweets point to."""

    users: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    tweets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Includes:
        """Index a response body's `includes` (missing or malformed parts are simply absent)."""
        includes = body.get("includes") if isinstance(body.get("includes"), Mapping) else {}

        def index(name: str) -> dict[str, Mapping[str, Any]]:
            items = includes.get(name) if isinstance(includes.get(name), list) else []
            return {str(item["id"]): item for item in items if isinstance(item, Mapping) and "id" in item}

        return cls(users=index("users"), tweets=index("tweets"))


def snowflake_time(tweet_id: str) -> datetime | None:
    """The creation time encoded in an X snowflake id (ids since late 2010), or None for anything else."""
    if not tweet_id.isdigit() or int(tweet_id) < 1 << 32:
        return None
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + SNOWFLAKE_EPOCH_MS) / 1000, UTC)


def _full_text(tweet: Mapping[str, Any]) -> str:
    # Posts over 280 characters arrive truncated in `text`, whole in `note_tweet.text`.
    note = tweet.get("note_tweet")
    text = note.get("text") if isinstance(note, Mapping) and isinstance(note.get("text"), str) else tweet.get("text")
    if not isinstance(text, str):
        raise RecordError("tweet has no text")
    # X escapes &, < and > in tweet text; store what the author wrote.
    return html.unescape(text)


def _metrics(tweet: Mapping[str, Any]) -> dict[str, float]:
    public = tweet.get("public_metrics")
    if not isinstance(public, Mapping):
        return {}
    return {
        name: float(public[key])
        for key, name in _METRICS.items()
        if isinstance(public.get(key), int | float) and not isinstance(public.get(key), bool)
    }


def _reference(tweet: Mapping[str, Any]) -> tuple[str, str | None]:
    """(kind, parent id) from `referenced_tweets`; a retweet wins over a quote, a quote over a reply."""
    refs = tweet.get("referenced_tweets")
    found: dict[str, str] = {}
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, Mapping) and ref.get("type") in _KINDS and ref.get("id") is not None:
            found.setdefault(str(ref["type"]), str(ref["id"]))
    for ref_type in ("retweeted", "quoted", "replied_to"):
        if ref_type in found:
            return _KINDS[ref_type], found[ref_type]
    return "post", None


def tweet_to_mention(tweet: Mapping[str, Any], includes: Includes | None = None) -> Mention | None:
    """One API v2 tweet object (+ the response's includes) as a Mention; None when there is no text to keep."""
    includes = includes or Includes()
    if not isinstance(tweet, Mapping) or tweet.get("id") in (None, ""):
        raise RecordError("tweet has no id")
    tweet_id = str(tweet["id"])
    if str(tweet.get("created_at") or "").strip():
        try:
            created_at = parse_timestamp(tweet["created_at"])
        except ValueError as exc:
            raise RecordError(f"tweet {tweet_id}: created_at {tweet['created_at']!r} is not a timestamp") from exc
    elif (from_id := snowflake_time(tweet_id)) is not None:
        created_at = from_id  # responses without tweet.fields=created_at still carry the time inside the id
    else:
        raise RecordError(f"tweet {tweet_id} has no created_at and its id is not a snowflake id")
    kind, parent_id = _reference(tweet)
    text = _full_text(tweet)
    referenced: list[Mapping[str, Any]] = []
    if kind == "repost" and parent_id is not None:
        original = includes.tweets.get(parent_id)
        if original is not None:
            # A retweet's own text is "RT @user: …" cut at 140 characters; the original holds the whole post.
            text = _full_text(original)
            referenced.append(original)
    elif parent_id is not None and parent_id in includes.tweets:
        referenced.append(includes.tweets[parent_id])
    if not text.strip():
        return None
    author_id = str(tweet["author_id"]) if tweet.get("author_id") is not None else None
    author = includes.users.get(author_id or "", {})
    handle = author.get("username") if isinstance(author.get("username"), str) else None
    followers = (author.get("public_metrics") or {}).get("followers_count") if isinstance(author, Mapping) else None
    url = f"https://x.com/{handle}/status/{tweet_id}" if handle else f"https://x.com/i/web/status/{tweet_id}"
    # `raw` keeps the response shape (data + the includes used), so the record can be re-parsed later.
    raw_includes: dict[str, Any] = {}
    if author:
        raw_includes["users"] = [dict(author)]
    if referenced:
        raw_includes["tweets"] = [dict(t) for t in referenced]
    return mention_from_dict(
        {
            "channel": CHANNEL,
            "id": tweet_id,
            "text": text,
            "created_at": created_at,
            "url": url,
            "author_id": author_id,
            "author_handle": handle,
            "author_followers": followers if isinstance(followers, int) and not isinstance(followers, bool) else None,
            "lang": tweet.get("lang") if isinstance(tweet.get("lang"), str) and tweet.get("lang") != "und" else None,
            "kind": kind,
            "parent_id": parent_id,
            "metrics": _metrics(tweet),
            "raw": {"data": dict(tweet), "includes": raw_includes},
        },
        source=f"x tweet {tweet_id}",
    )


def partial_errors(body: Mapping[str, Any]) -> list[str]:
    """The `errors[]` of a 200 response (a deleted referenced tweet, a suspended author) as warning lines."""
    errors = body.get("errors")
    lines = []
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, Mapping):
            what = error.get("title") or error.get("type") or "error"
            detail = error.get("detail") or error.get("message") or ""
            ref = error.get("resource_id") or error.get("value")
            lines.append(f"x: partial error: {what}" + (f" ({ref})" if ref else "") + (f": {detail}" if detail else ""))
    return lines


# --------------------------------------------------------------------------------------------------------------
# The listener
# --------------------------------------------------------------------------------------------------------------


def _tweet_id(item: tuple[Any, Includes]) -> str | None:
    tweet = item[0]
    return str(tweet.get("id")) if isinstance(tweet, Mapping) and tweet.get("id") else None


def _body_and_headers(result: Any) -> tuple[Mapping[str, Any], Mapping[str, str]]:
    """Whatever the client's `return_type` is (requests.Response, dict, tweepy.Response), as (body, headers)."""
    if hasattr(result, "status_code") and hasattr(result, "json"):
        try:
            body = result.json()
        except ValueError as exc:
            what = type(exc).__name__
            raise RetryableError(f"x: the API answered with something that is not JSON ({what})") from None
        return (body if isinstance(body, Mapping) else {}), result.headers
    if isinstance(result, Mapping):
        return result, {}
    # tweepy.Response(data, includes, errors, meta): objects carry their JSON in `.data`.
    data = [getattr(item, "data", item) for item in (getattr(result, "data", None) or [])]
    includes = {
        name: [getattr(item, "data", item) for item in items]
        for name, items in (getattr(result, "includes", None) or {}).items()
    }
    return {"data": data, "includes": includes, "errors": result.errors, "meta": result.meta}, {}


def _translate(exc: Exception, now: float) -> Exception | None:
    """A tweepy or requests exception as our error (status → error class); None when it is neither."""
    import requests
    import tweepy

    if isinstance(exc, tweepy.HTTPException):
        response = exc.response
        error = error_for_status(
            response.status_code, response.headers, channel=CHANNEL, credential_setting=CREDENTIAL, now=now
        )
        if type(error) is FatalError and exc.api_messages:
            # A 400 usually means a bad query: X's own words say which operator it did not accept.
            return FatalError(f"{error}: {str(exc.api_messages[0])[:300]}")
        return error
    if isinstance(exc, requests.Timeout):
        return RetryableError(f"x: the request timed out ({type(exc).__name__})")
    if isinstance(exc, requests.RequestException):
        # The exception text can carry the URL; only the class name goes in the message.
        return RetryableError(f"x: network error ({type(exc).__name__})")
    return None


class XListener:
    """Tweets from X API v2 through an injected `tweepy.Client` (best built with `return_type=requests.Response`)."""

    def __init__(
        self,
        client: Any,
        *,
        policy: RetryPolicy | None = None,
        page_size: int = 100,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.policy = policy or RetryPolicy()
        self.page_size = page_size
        self.sleep = sleep
        self.clock = clock
        self.last = FetchReport(endpoint="none")
        # X rate limits are per endpoint: (remaining, reset epoch) from each endpoint's last response.
        self._windows: dict[str, tuple[int, float]] = {}

    def search(self, query: str, since_id: str | None = None, max_pages: int = 5) -> Iterator[Mention | Reject]:
        """Recent search (last 7 days), newest first, everything after `since_id`."""
        return self._run(
            "search",
            lambda token: self.client.search_recent_tweets(
                query, since_id=since_id, next_token=token, max_results=min(max(self.page_size, 10), 100),
                **self._fields(),
            ),
            max_pages,
        )

    def mentions(self, user_id: str, since_id: str | None = None, max_pages: int = 5) -> Iterator[Mention | Reject]:
        """Tweets that mention the account `user_id` (the brand's own handle), everything after `since_id`."""
        return self._run(
            "mentions",
            lambda token: self.client.get_users_mentions(
                user_id, since_id=since_id, pagination_token=token, max_results=min(max(self.page_size, 5), 100),
                **self._fields(),
            ),
            max_pages,
        )

    def search_all(
        self,
        query: str,
        since_id: str | None = None,
        max_pages: int = 5,
        *,
        start_time: Any = None,
        end_time: Any = None,
    ) -> Iterator[Mention | Reject]:
        """Full-archive search for backfills (Pro/Enterprise access), one request per second at most."""
        return self._run(
            "search_all",
            lambda token: self.client.search_all_tweets(
                query, since_id=since_id, start_time=start_time, end_time=end_time, next_token=token,
                max_results=min(max(self.page_size, 10), 500), **self._fields(),
            ),
            max_pages,
            min_interval=FULL_ARCHIVE_INTERVAL_S,
        )

    @staticmethod
    def _fields() -> dict[str, list[str]]:
        return {"expansions": EXPANSIONS, "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS}

    def _check_window(self, endpoint: str) -> None:
        """Stop before calling when the endpoint's last response said its window is used up (remaining: 0)."""
        now = self.clock()
        remaining, reset_at = self._windows.get(endpoint, (1, 0.0))
        if remaining <= 0 and reset_at > now:
            wait = reset_at - now
            raise RateLimited(
                f"x: {endpoint} rate limit window used up (x-rate-limit-remaining: 0); it resets in {wait:.0f}s",
                retry_after=wait,
                resume_at=reset_at,
            )

    def _note_window(self, endpoint: str, headers: Mapping[str, str]) -> None:
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        try:
            self._windows[endpoint] = (int(lowered["x-rate-limit-remaining"]), float(lowered["x-rate-limit-reset"]))
        except (KeyError, ValueError):
            self._windows.pop(endpoint, None)

    def _run(
        self, endpoint: str, call: Callable[[str | None], Any], max_pages: int, *, min_interval: float = 0.0
    ) -> Iterator[Mention | Reject]:
        report = self.last = FetchReport(endpoint=endpoint)
        last_call: list[float] = []

        def fetch(token: str | None) -> Page[tuple[Mapping[str, Any], Includes]]:
            self._check_window(endpoint)
            if min_interval and last_call and (gap := min_interval - (self.clock() - last_call[-1])) > 0:
                self.sleep(gap)
            last_call.append(self.clock())
            try:
                result = call(token)
            except Exception as exc:  # translated at the edge; anything else is re-raised unchanged
                error = _translate(exc, self.clock())
                if error is None:
                    raise
                raise error from None
            body, headers = _body_and_headers(result)
            self._note_window(endpoint, headers)
            report.warnings.extend(partial_errors(body))
            includes = Includes.from_body(body)
            data = body.get("data") if isinstance(body.get("data"), list) else []
            meta = body.get("meta") if isinstance(body.get("meta"), Mapping) else {}
            newest = meta.get("newest_id")
            return Page([(tweet, includes) for tweet in data], meta.get("next_token"), str(newest) if newest else None)

        run = paginate(fetch, max_pages=max_pages, policy=self.policy, sleep=self.sleep)
        # Items are (tweet, includes) pairs; a Reject keeps the tweet alone.
        yield from report.read(
            run,
            lambda pair: tweet_to_mention(*pair),
            channel=CHANNEL,
            record_id=_tweet_id,
            payload=lambda pair: pair[0],
        )
