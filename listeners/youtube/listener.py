"""YouTube Data API v3: videos that match the brand (`search.list`) and their comments (`commentThreads.list`).

An API key is the only credential. Quota: `search.list` costs 100 units a call, `commentThreads.list` 1; a project
has 10,000 units a day, reset at midnight Pacific time. Every call is counted against the run's `QuotaBudget`
before it is made.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from listeners.cursors import newest_value
from listeners.http import error_for_status, json_body, transport_errors
from listeners.paging import Page, PageRun, paginate
from listeners.parsing import parse_timestamp
from listeners.quota import QuotaBudget
from listeners.report import FetchReport
from listeners.retry import RetryPolicy, call_with_retries
from models.errors import (
    BrandpulseError,
    CredentialError,
    FatalError,
    QuotaExhausted,
    RateLimited,
    RecordError,
    RetryableError,
)
from models.mention import Mention, Reject, mention_from_dict

CHANNEL = "youtube"
CREDENTIAL = "BRANDPULSE_YOUTUBE_API_KEY"
API_URL = "https://www.googleapis.com"
SEARCH_PATH = "/youtube/v3/search"
THREADS_PATH = "/youtube/v3/commentThreads"
CHANNELS_PATH = "/youtube/v3/channels"
SEARCH_COST = 100  # quota units per search.list call
THREADS_COST = 1  # quota units per commentThreads.list call
CHANNELS_COST = 1  # quota units per channels.list call (up to 50 channels: the uploaders' subscriber counts)
DAILY_UNITS = 10_000
QUOTA_ZONE = ZoneInfo("America/Los_Angeles")  # YouTube quotas reset at midnight Pacific time
SEARCH_PAGE = 50  # search.list maximum
THREADS_PAGE = 100  # commentThreads.list maximum
OVERLAP = timedelta(minutes=2)  # comments reach the API a little late; re-read this much before the cursor
_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_THROTTLE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED"})
_ACCESS_REASONS = frozenset({"accessNotConfigured", "ipRefererBlocked", "forbidden", "SERVICE_DISABLED"})
# Per-video refusals that skip that video only, with the reason counted in the run summary.
_VIDEO_SKIPS = {"commentsDisabled": "comments disabled", "videoNotFound": "deleted or private video"}


# --------------------------------------------------------------------------------------------------------------
# Parsing (pure)
# --------------------------------------------------------------------------------------------------------------


def _count(value: Any) -> float | None:
    """A count as YouTube sends it (an integer, sometimes a numeric string), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return float(value) if isinstance(value, str) and value.isdigit() else None


def _time(value: Any, what: str) -> datetime:
    try:
        return parse_timestamp(value)
    except (ValueError, OverflowError):
        raise RecordError(f"{CHANNEL}: {what} has no readable publishedAt ({str(value)[:40]!r})") from None


def _video_id(item: Any) -> str | None:
    ids = item.get("id") if isinstance(item, Mapping) else None
    value = ids.get("videoId") if isinstance(ids, Mapping) else None
    return value if isinstance(value, str) and value.strip() else None


def _own_id(resource: Any) -> str | None:
    value = resource.get("id") if isinstance(resource, Mapping) else None
    return value if isinstance(value, str) and value.strip() else None


def _id_and_snippet(
    resource: Any, what: str, id_of: Callable[[Any], str | None], id_name: str = "id"
) -> tuple[str, Mapping[str, Any]]:
    """A resource's id and `snippet`, or RecordError saying which is missing."""
    if not isinstance(resource, Mapping):
        raise RecordError(f"{CHANNEL}: {what} is a {type(resource).__name__}, not an object")
    resource_id = id_of(resource)
    if resource_id is None:
        raise RecordError(f"{CHANNEL}: {what} has no {id_name}")
    snippet = resource.get("snippet")
    if not isinstance(snippet, Mapping):
        raise RecordError(f"{CHANNEL}: {what} {resource_id} has no snippet")
    return resource_id, snippet


def video_to_mention(item: Mapping[str, Any], subscribers: int | None = None) -> Mention | None:
    """One `search.list` result (a video) as a post: title and description; None when both are empty.

    `subscribers` is the uploading channel's subscriber count (its reach), when known.
    """
    video_id, snippet = _id_and_snippet(item, "search result", _video_id, "id.videoId")
    # search.list escapes titles and descriptions as HTML (&#39;, &amp;); store what the uploader wrote.
    title = html.unescape(snippet.get("title") or "").strip() if isinstance(snippet.get("title"), str) else ""
    description = snippet.get("description") if isinstance(snippet.get("description"), str) else ""
    text = "\n\n".join(part for part in (title, html.unescape(description).strip()) if part)
    if not text:
        return None
    return mention_from_dict(
        {
            "channel": CHANNEL,
            "id": video_id,
            "text": text,
            "created_at": _time(snippet.get("publishedAt"), f"video {video_id}"),
            "url": f"https://www.youtube.com/watch?v={video_id}",
            "author_id": snippet.get("channelId") if isinstance(snippet.get("channelId"), str) else None,
            "author_handle": snippet.get("channelTitle") if isinstance(snippet.get("channelTitle"), str) else None,
            "author_followers": subscribers,
            "kind": "post",
            "raw": dict(item),
        },
        source=f"{CHANNEL} video {video_id}",
    )


def comment_to_mention(comment: Mapping[str, Any], *, top_level_id: str | None = None) -> Mention | None:
    """One comment resource as a `comment` (top level) or a `reply` (`parent_id` = the top-level comment's id).

    None for a comment without text (removed, or an emoji-only sticker the API sends empty).
    """
    comment_id, snippet = _id_and_snippet(comment, "comment", _own_id)
    # textOriginal is what the author typed; textDisplay is HTML (or plain with textFormat=plainText).
    original = snippet.get("textOriginal") if isinstance(snippet.get("textOriginal"), str) else None
    display = snippet.get("textDisplay") if isinstance(snippet.get("textDisplay"), str) else ""
    text = (original if original is not None else html.unescape(display)).strip()
    if not text:
        return None
    parent = snippet.get("parentId") if isinstance(snippet.get("parentId"), str) else top_level_id
    video_id = snippet.get("videoId") if isinstance(snippet.get("videoId"), str) else None
    author = snippet.get("authorChannelId")
    author_id = author.get("value") if isinstance(author, Mapping) else None
    likes = _count(snippet.get("likeCount"))
    return mention_from_dict(
        {
            "channel": CHANNEL,
            "id": comment_id,
            "text": text,
            "created_at": _time(snippet.get("publishedAt"), f"comment {comment_id}"),
            "url": f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}" if video_id else None,
            "author_id": author_id if isinstance(author_id, str) else None,
            "author_handle": snippet.get("authorDisplayName") if isinstance(snippet.get("authorDisplayName"), str)
            else None,
            "kind": "reply" if parent else "comment",
            "parent_id": parent,
            "metrics": {"likes": likes} if likes is not None else {},
            "raw": dict(comment),
        },
        source=f"{CHANNEL} comment {comment_id}",
    )


def subscriber_counts(body: Mapping[str, Any]) -> dict[str, int]:
    """Channel id → subscriber count from a `channels.list?part=statistics` answer (hidden counts left out)."""
    counts: dict[str, int] = {}
    for channel in body.get("items") or []:
        stats = channel.get("statistics") if isinstance(channel, Mapping) else None
        if not isinstance(stats, Mapping) or stats.get("hiddenSubscriberCount") is True:
            continue
        count = _count(stats.get("subscriberCount"))
        if isinstance(channel.get("id"), str) and count is not None:
            counts[channel["id"]] = int(count)
    return counts


def thread_comments(thread: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str | None]]:
    """A commentThread's comments as (comment, top-level id for replies): the top-level one, then its replies."""
    if not isinstance(thread, Mapping):
        raise RecordError(f"{CHANNEL}: comment thread is a {type(thread).__name__}, not an object")
    snippet = thread.get("snippet") if isinstance(thread.get("snippet"), Mapping) else {}
    top = snippet.get("topLevelComment")
    if not isinstance(top, Mapping):
        raise RecordError(f"{CHANNEL}: comment thread {thread.get('id')!r} has no topLevelComment")
    top_id = top.get("id") if isinstance(top.get("id"), str) else None
    replies = thread.get("replies") if isinstance(thread.get("replies"), Mapping) else {}
    listed = replies.get("comments") if isinstance(replies.get("comments"), list) else []
    return [(top, None), *((reply, top_id) for reply in listed)]


def api_reasons(body: Any) -> list[str]:
    """The `reason`s of a Google API error body (`error.errors[].reason`, `error.details[].reason`)."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return []
    reasons = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, Mapping)]
    reasons += [d.get("reason") for d in error.get("details") or [] if isinstance(d, Mapping)]
    return [reason for reason in reasons if isinstance(reason, str)]


def _api_message(body: Any) -> str:
    error = body.get("error") if isinstance(body, Mapping) else None
    message = error.get("message") if isinstance(error, Mapping) else None
    return str(message)[:200] if message else ""


class VideoSkipped(FatalError):
    """One video's comments cannot be read (disabled, deleted, private): skip that video, keep the others."""

    def __init__(self, video_id: str, reason: str) -> None:
        super().__init__(f"{CHANNEL}: video {video_id}: {reason}")
        self.reason = reason


def youtube_error(
    status: int, headers: Mapping[str, str], body: Any, quota: QuotaBudget | None, *, video_id: str | None = None
) -> BrandpulseError:
    """The error for a refused call, sorted by the API's `reason` (quota, key, one video, throttling)."""
    reasons = api_reasons(body)
    said = _api_message(body) or ", ".join(reasons)
    found = set(reasons)
    if found & _QUOTA_REASONS:
        if quota is not None:
            return quota.day_spent(f"HTTP {status} {', '.join(sorted(found & _QUOTA_REASONS))}")
        return QuotaExhausted(f"{CHANNEL}: the daily API quota is used up (HTTP {status}); cursor kept")
    if video_id is not None and (skip := next((_VIDEO_SKIPS[r] for r in reasons if r in _VIDEO_SKIPS), None)):
        return VideoSkipped(video_id, skip)
    if found & _KEY_REASONS:
        return CredentialError(
            f"{CHANNEL}: HTTP {status}: the API key in {CREDENTIAL} was rejected ({said}); check {CREDENTIAL}",
            setting=CREDENTIAL,
        )
    if found & _ACCESS_REASONS:
        return CredentialError(
            f"{CHANNEL}: HTTP {status}: the key in {CREDENTIAL} may not call the YouTube Data API ({said}); enable "
            "the API for its Google Cloud project and check the key's restrictions",
            setting=CREDENTIAL,
        )
    if found & _THROTTLE_REASONS:
        return RateLimited(f"{CHANNEL}: rate limited (HTTP {status}: {said})")
    error = error_for_status(status, headers, channel=CHANNEL, credential_setting=CREDENTIAL)
    if error is None:  # not reached for status >= 400
        return FatalError(f"{CHANNEL}: HTTP {status}: {said}")
    if said:
        error.args = (f"{error}: {said}",)
    return error


# --------------------------------------------------------------------------------------------------------------
# The listener
# --------------------------------------------------------------------------------------------------------------


def _uploader(video: Any) -> str | None:
    snippet = video.get("snippet") if isinstance(video, Mapping) else None
    value = snippet.get("channelId") if isinstance(snippet, Mapping) else None
    return value if isinstance(value, str) and value else None


def _comment_id(pair: Any) -> str | None:
    return _own_id(pair[0]) if isinstance(pair, tuple) else None


def _published(item: Any) -> datetime | None:
    snippet = item.get("snippet") if isinstance(item, Mapping) else None
    try:
        return parse_timestamp(snippet.get("publishedAt")) if isinstance(snippet, Mapping) else None
    except (ValueError, OverflowError):
        return None


def _thread_time(thread: Any) -> datetime | None:
    snippet = thread.get("snippet") if isinstance(thread, Mapping) else None
    return _published(snippet.get("topLevelComment")) if isinstance(snippet, Mapping) else None


class YouTubeListener:
    """Videos matching a query and their comment threads, incremental on the newest publishedAt read."""

    def __init__(
        self,
        client: Any,
        *,
        api_key: str,
        api_url: str = API_URL,
        quota: QuotaBudget | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
        overlap: timedelta = OVERLAP,
        subscribers: bool = True,
    ) -> None:
        self.client = client  # an httpx.Client with a timeout, built by the caller
        self.api_url = api_url.rstrip("/")
        self._key = api_key
        self.quota = quota
        self.policy = policy or RetryPolicy()
        self.sleep = sleep  # injectable so tests never wait out a Retry-After
        self.clock = clock
        self.overlap = overlap
        self.subscribers = subscribers
        self.last = FetchReport(endpoint="none")

    def _get(self, path: str, params: dict[str, Any], cost: int, *, video_id: str | None = None) -> Any:
        """One counted GET; statuses become our errors with the API's `reason`."""
        if self.quota is not None:
            self.quota.spend(cost, path.rsplit("/", 1)[-1] + ".list")
        with transport_errors(CHANNEL):
            # The key goes in a header, not `key=`: httpx logs request URLs at INFO, and a URL lands in proxy logs.
            response = self.client.get(f"{self.api_url}{path}", params=params, headers={"X-Goog-Api-Key": self._key})
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            raise youtube_error(response.status_code, response.headers, body, self.quota, video_id=video_id)
        body = json_body(response, channel=CHANNEL, expect=dict)
        # An empty listing may leave `items` out; one that is there must be a list.
        if not isinstance(body.setdefault("items", []), list):
            raise FatalError(
                f"{CHANNEL}: {path} answered with `items` that is not a list; check [channels.youtube] api_url"
            )
        return body

    def search(
        self,
        query: str,
        *,
        since: str | None = None,
        max_pages: int = 5,
        comment_pages: int = 2,
        video_days: int = 7,
    ) -> Iterator[Mention | Reject]:
        """Videos matching `query` from the last `video_days`, and their comments, newer than `since` (ISO UTC).

        Each run reads the videos published in the window (`search.list`, newest first, `max_pages` pages of 50)
        and, for each, the comment threads newest first until they reach the cursor (`comment_pages` pages of 100).
        """
        report = self.last = FetchReport(endpoint="search")
        now = datetime.fromtimestamp(self.clock(), UTC)
        after: datetime | None = None
        if since is not None:
            try:
                after = parse_timestamp(since) - self.overlap
            except ValueError:
                raise FatalError(f"{CHANNEL}: saved cursor {since!r} is not a time; delete it from `cursors`") from None
        window_start = now - timedelta(days=video_days)
        search_params = {
            "part": "snippet", "q": query, "type": "video", "order": "date", "maxResults": SEARCH_PAGE,
            "publishedAfter": window_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

        def fetch_videos(token: str | None) -> Page[Mapping[str, Any]]:
            body = self._get(SEARCH_PATH, {**search_params, **({"pageToken": token} if token else {})}, SEARCH_COST)
            return Page(body["items"], body.get("nextPageToken") or None)

        start_quota = self.quota.used if self.quota is not None else 0
        newest: list[datetime] = []
        runs: list[PageRun[Any]] = []
        try:
            videos = paginate(fetch_videos, max_pages=max_pages, policy=self.policy, sleep=self.sleep)
            runs.append(videos)
            for page in videos:
                reach = self._subscribers(page.items, report)
                for video in page.items:
                    published = _published(video)
                    if published is None or after is None or published > after:
                        result = report.parse(
                            video, lambda v, reach=reach: video_to_mention(v, reach.get(_uploader(v) or "")),
                            channel=CHANNEL, record_id=_video_id,
                            skip_reason=lambda _: "video without title or description",
                        )
                        if isinstance(result, Mention):
                            newest.append(result.created_at)
                        if result is not None:
                            yield result
                    video_id = _video_id(video)
                    if video_id:
                        yield from self._comments(video_id, after, comment_pages, report, runs, newest)
        finally:
            report.pages = sum(run.pages for run in runs)
            report.newest = newest_value(newest)
            stopped = [run.stopped_reason for run in runs]
            # One failed listing fails the read (the cursor stays); a capped one is noted like any page cap.
            worst = next((reason for reason in ("error", "max_pages", "repeated_token") if reason in stopped), None)
            report.stopped_reason = "error" if not runs else worst or runs[0].stopped_reason
            report.truncated = any(run.truncated for run in runs)
            if self.quota is not None:
                report.quota_used = self.quota.used - start_quota
                report.quota_note = self.quota.summary()

    def _subscribers(self, videos: list[Any], report: FetchReport) -> dict[str, int]:
        """The uploaders' subscriber counts (one `channels.list` call, 1 unit); without them when it fails."""
        ids = list(dict.fromkeys(uploader for uploader in map(_uploader, videos) if uploader))[:SEARCH_PAGE]
        if not self.subscribers or not ids:
            return {}
        params = {"part": "statistics", "id": ",".join(ids), "maxResults": SEARCH_PAGE}
        try:
            body = call_with_retries(partial(self._get, CHANNELS_PATH, params, CHANNELS_COST), self.policy,
                                     sleep=self.sleep)
        except QuotaExhausted:
            raise
        except (RetryableError, FatalError) as error:
            # Reach is a nicety: the videos and their comments are still read.
            report.warnings.append(f"{CHANNEL}: subscriber counts not read ({error})")
            return {}
        return subscriber_counts(body)

    def _comments(
        self,
        video_id: str,
        after: datetime | None,
        max_pages: int,
        report: FetchReport,
        runs: list[PageRun[Any]],
        newest: list[datetime],
    ) -> Iterator[Mention | Reject]:
        """One video's comment threads newest first, down to `after`; a video refusing comments is skipped."""
        params = {"part": "snippet,replies", "videoId": video_id, "order": "time", "maxResults": THREADS_PAGE,
                  "textFormat": "plainText"}

        def fetch(token: str | None) -> Page[Any]:
            body = self._get(THREADS_PATH, {**params, **({"pageToken": token} if token else {})}, THREADS_COST,
                             video_id=video_id)
            threads = body["items"]
            times = [t for t in map(_thread_time, threads) if t is not None]
            # Threads come newest first: a page that reaches the cursor is the last one this run needs.
            reached = after is not None and bool(times) and min(times) <= after
            return Page(threads, None if reached else body.get("nextPageToken") or None)

        run = paginate(fetch, max_pages=max_pages, policy=self.policy, sleep=self.sleep)
        runs.append(run)
        try:
            for page in run:
                for thread in page.items:
                    try:
                        comments = thread_comments(thread)
                    except RecordError as error:
                        yield report.reject(error.reason, channel=CHANNEL, record_id=None, payload=thread)
                        continue
                    for pair in comments:
                        published = _published(pair[0])
                        if after is not None and published is not None and published <= after:
                            continue  # stored by an earlier run
                        result = report.parse(
                            pair, lambda p: comment_to_mention(p[0], top_level_id=p[1]), channel=CHANNEL,
                            record_id=_comment_id, payload=lambda p: p[0], skip_reason=lambda _: "empty comment",
                        )
                        if isinstance(result, Mention):
                            newest.append(result.created_at)
                        if result is not None:
                            yield result
        except VideoSkipped as skipped:
            runs.remove(run)  # a refused video is not a failed feed
            report.skip(skipped.reason)
