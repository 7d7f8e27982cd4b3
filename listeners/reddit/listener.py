"""Reddit (via an injected praw.Reddit): search posts, and new comments in the subreddits a brand cares about."""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from listeners.http import error_for_status
from listeners.paging import Page, paginate
from listeners.report import FetchReport
from listeners.retry import RetryPolicy
from models.errors import FatalError, RateLimited, RecordError, RetryableError
from models.mention import Mention, Reject, mention_from_dict

CHANNEL = "reddit"
CREDENTIAL = "BRANDPULSE_REDDIT_CLIENT_ID / BRANDPULSE_REDDIT_CLIENT_SECRET"
GONE = frozenset({"[deleted]", "[removed]"})
PAGE_SIZE = 100  # Reddit's largest listing page

ItemKind = Literal["submission", "comment"]


# --------------------------------------------------------------------------------------------------------------
# Parsing (pure): praw objects are read through vars(), never through attributes
# --------------------------------------------------------------------------------------------------------------


def item_fields(obj: Any) -> dict[str, Any]:
    """A praw object's loaded fields as plain JSON values, without triggering a lazy fetch."""
    # Touching a missing attribute on a praw object issues another API request; vars() only reads what came.
    data = obj if isinstance(obj, Mapping) else vars(obj)
    plain: dict[str, Any] = {}
    for key, value in data.items():
        if key.startswith("_"):
            continue
        if value is None or isinstance(value, str | int | float | bool | list | dict):
            plain[key] = value
        else:  # Redditor, Subreddit: their str() is the name
            plain[key] = str(value)
    return plain


def reddit_cursor(created_at: datetime, fullname: str) -> str:
    """Cursor value for an item: UTC creation time, then the fullname to order items of the same second."""
    return f"{created_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} {fullname}"


def cursor_key(value: str) -> tuple[str, int]:
    """Sort key of a cursor value: (time text, base-36 id); ids grow with time on Reddit."""
    when, _, fullname = value.partition(" ")
    ident = fullname.partition("_")[2]
    try:
        number = int(ident, 36)
    except ValueError:
        number = 0
    return when, number


def _created(data: Mapping[str, Any], fullname: str) -> datetime:
    created = data.get("created_utc")
    if isinstance(created, bool) or not isinstance(created, int | float):
        raise RecordError(f"{fullname} has no created_utc")
    return datetime.fromtimestamp(float(created), UTC)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def reddit_item_to_mention(obj: Any, kind: ItemKind) -> Mention | None:
    """A submission or comment (praw object or its JSON `data`) as a Mention; None when deleted or removed."""
    data = item_fields(obj)
    ident = str(data.get("id") or "").strip()
    if not ident:
        raise RecordError(f"reddit {kind} has no id")
    fullname = str(data.get("name") or f"{'t3' if kind == 'submission' else 't1'}_{ident}")
    if kind == "submission":
        title = data.get("title") if isinstance(data.get("title"), str) else ""
        body = data.get("selftext") if isinstance(data.get("selftext"), str) else ""
        if body.strip() in GONE or data.get("removed_by_category"):
            return None
        text = "\n\n".join(part for part in (title.strip(), body.strip()) if part)
        parent_id = None
        metrics = {"score": _number(data.get("score")), "comments": _number(data.get("num_comments")),
                   "upvote_ratio": _number(data.get("upvote_ratio"))}
        out_kind = "post"
    else:
        body = data.get("body") if isinstance(data.get("body"), str) else ""
        if body.strip() in GONE:
            return None
        text = body.strip()
        parent_id = data.get("parent_id") if isinstance(data.get("parent_id"), str) else None
        metrics = {"score": _number(data.get("score"))}
        out_kind = "comment"
    if not text:
        return None
    if data.get("over_18"):
        metrics["nsfw"] = 1.0  # kept, and flagged so reports can leave it out
    author = data.get("author")
    handle = author if isinstance(author, str) and author and author not in GONE else None
    permalink = data.get("permalink")
    link_id = data.get("link_id")
    if not (isinstance(permalink, str) and permalink) and kind == "comment" and isinstance(link_id, str):
        permalink = f"/comments/{link_id.removeprefix('t3_')}/_/{ident}/"  # older listings carry no permalink
    return mention_from_dict(
        {
            "channel": CHANNEL,
            "id": fullname,
            # Reddit's JSON escapes &, < and > unless raw_json=1; unescape either way to store what was written.
            "text": html.unescape(text),
            "created_at": _created(data, fullname),
            "url": f"https://www.reddit.com{permalink}" if isinstance(permalink, str) and permalink else None,
            "author_id": data.get("author_fullname") if isinstance(data.get("author_fullname"), str) else None,
            "author_handle": handle,
            "kind": out_kind,
            "parent_id": parent_id,
            "metrics": {name: value for name, value in metrics.items() if value is not None},
            "raw": data,
        },
        source=f"reddit {fullname}",
    )


# --------------------------------------------------------------------------------------------------------------
# The listener
# --------------------------------------------------------------------------------------------------------------


def _translate(exc: Exception, where: str) -> Exception | None:
    """A prawcore exception as our error; None when it is not one."""
    import prawcore

    if isinstance(exc, prawcore.Redirect):
        return FatalError(f"reddit: {where} does not exist (Reddit redirected to its search page)")
    if isinstance(exc, prawcore.Forbidden | prawcore.NotFound | prawcore.UnavailableForLegalReasons):
        status = exc.response.status_code
        return FatalError(
            f"reddit: HTTP {status} for {where}: it is private, quarantined, banned or gone, or the app behind "
            f"{CREDENTIAL} has no access to it"
        )
    if isinstance(exc, prawcore.BadJSON):
        return RetryableError("reddit: the API answered with something that is not JSON")
    if isinstance(exc, prawcore.ResponseException | prawcore.OAuthException):
        response = exc.response
        error = error_for_status(
            response.status_code, response.headers, channel=CHANNEL, credential_setting=CREDENTIAL
        )
        if isinstance(exc, prawcore.OAuthException) or error is None:
            return FatalError(f"reddit: the OAuth login failed ({exc.error if hasattr(exc, 'error') else 'error'}); "
                              f"check {CREDENTIAL}")
        return error
    if isinstance(exc, prawcore.RequestException):
        # The original exception text can carry the URL; only its class name goes in the message.
        return RetryableError(f"reddit: network error ({type(exc.original_exception).__name__})")
    return None


class RedditListener:
    """Posts and comments from Reddit through an injected `praw.Reddit` (built with `check_for_updates=False`)."""

    def __init__(
        self,
        reddit: Any,
        *,
        policy: RetryPolicy | None = None,
        page_size: int = PAGE_SIZE,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.reddit = reddit
        self.policy = policy or RetryPolicy()
        self.page_size = page_size
        self.sleep = sleep
        self.last = FetchReport(endpoint="none")

    def search(
        self,
        query: str,
        subreddit: str = "all",
        *,
        since: str | None = None,
        max_pages: int = 5,
        time_filter: str = "week",
    ) -> Iterator[Mention | Reject]:
        """Posts matching `query` in `subreddit` ("all" for everywhere), newest first, those after `since`."""
        params: dict[str, str | int] = {"q": query, "sort": "new", "t": time_filter, "include_over_18": "on"}
        if subreddit != "all":
            params["restrict_sr"] = "on"
        return self._run("search", f"r/{subreddit}/search/", params, "submission", since, max_pages,
                         where=f"r/{subreddit}")

    def comments(self, subreddit: str, *, since: str | None = None, max_pages: int = 5) -> Iterator[Mention | Reject]:
        """New comments in `subreddit` (several with `a+b`), newest first, those after `since`."""
        return self._run("comments", f"r/{subreddit}/comments/", {}, "comment", since, max_pages,
                         where=f"r/{subreddit}")

    def _check_window(self) -> None:
        """Stop before praw would sleep through a long rate-limit window (it waits for `x-ratelimit-reset`)."""
        # praw exposes `remaining` but not the reset; its rate limiter's next slot is the only place that has it.
        limiter = getattr(getattr(self.reddit, "_core", None), "rate_limiter", None)
        next_ns = getattr(limiter, "next_request_timestamp_ns", None)
        if limiter is None or getattr(limiter, "remaining", None) is None or next_ns is None:
            return
        wait = (next_ns - time.monotonic_ns()) / 1e9
        if limiter.remaining <= 0 and wait > self.policy.max_wait_per_run:
            raise RateLimited(
                f"reddit: rate limit window used up (x-ratelimit-remaining: 0); it resets in {wait:.0f}s",
                retry_after=wait,
                resume_at=time.time() + wait,
            )

    def _run(
        self,
        endpoint: str,
        path: str,
        params: dict[str, str | int],
        kind: ItemKind,
        since: str | None,
        max_pages: int,
        *,
        where: str,
    ) -> Iterator[Mention | Reject]:
        report = self.last = FetchReport(endpoint=endpoint)
        floor = cursor_key(since) if since else None

        def fetch(token: str | None) -> Page[Any]:
            self._check_window()
            query = {**params, "limit": min(max(self.page_size, 1), PAGE_SIZE)}
            if token:
                query["after"] = token
            try:
                listing = self.reddit.get(path, params=query)
            except Exception as exc:  # translated at the edge; anything else is re-raised unchanged
                error = _translate(exc, where)
                if error is None:
                    raise
                raise error from None
            children = list(getattr(listing, "children", None) or [])
            return Page(children, getattr(listing, "after", None) or None)

        run = paginate(fetch, max_pages=max_pages, policy=self.policy, sleep=self.sleep)
        caught_up = False
        try:
            for page in run:
                for obj in page.items:
                    report.items += 1
                    data = item_fields(obj)
                    try:
                        mention = reddit_item_to_mention(data, kind)
                    except RecordError as error:
                        yield report.reject(error.reason, channel=CHANNEL, record_id=data.get("name"), payload=data)
                        continue
                    created = data.get("created_utc")
                    name = data.get("name") or ""
                    if isinstance(created, int | float) and name:
                        value = reddit_cursor(datetime.fromtimestamp(float(created), UTC), str(name))
                        if floor is not None and cursor_key(value) <= floor:
                            caught_up = True  # newest first: everything from here on was stored by an earlier run
                            continue
                        if report.newest is None or cursor_key(value) > cursor_key(report.newest):
                            report.newest = value
                    if mention is None:
                        report.skipped += 1
                        continue
                    yield mention
                if caught_up:
                    break
        finally:
            report.finish(run, newest=False)  # the newest value comes from the items: listings carry none
            if caught_up:
                report.stopped_reason, report.truncated = "caught_up", False
