"""The YouTube feeds of one brand: one search feed (videos + their comments) on the run's share of the quota."""

from __future__ import annotations

from pydantic import SecretStr

from listeners.feeds import ClientFactory, ListenerFeed, channel_options, per_fetch, require_secret, scope_for
from listeners.http import make_http_client
from listeners.quota import LEDGER, QuotaLedger
from listeners.retry import RetryPolicy
from listeners.youtube.listener import CHANNEL, CREDENTIAL, QUOTA_ZONE, YouTubeListener
from listeners.youtube.options import YouTubeOptions
from listeners.youtube.query import youtube_query
from models.brands import Brand
from models.channels import ChannelSettings


def build_youtube_feeds(
    settings: ChannelSettings,
    brand: Brand,
    *,
    youtube_api_key: SecretStr | str | None = None,
    make_client: ClientFactory = make_http_client,
    ledger: QuotaLedger = LEDGER,
) -> list[ListenerFeed[YouTubeListener]]:
    """One feed per brand: `search.list` for its videos, `commentThreads.list` for their comments."""
    options = channel_options(settings, YouTubeOptions, channel=CHANNEL)
    query = youtube_query(brand, max_chars=options.query_max_chars)
    key = require_secret(youtube_api_key, CREDENTIAL, channel=CHANNEL)
    quota = ledger.budget(CHANNEL, settings, daily=options.daily_quota, share=options.run_share, zone=QUOTA_ZONE)
    policy = RetryPolicy(max_wait_per_run=options.max_wait_s)
    listener = per_fetch(
        lambda client: YouTubeListener(client, api_key=key, api_url=options.api_url, quota=quota, policy=policy,
                                       subscribers=options.subscribers),
        make_client,
    )
    return [
        ListenerFeed(
            CHANNEL, scope_for(brand, "search"), listener,
            lambda yt, cursor: yt.search(query, since=cursor, max_pages=settings.max_pages,
                                         comment_pages=options.comment_pages, video_days=options.video_days),
        )
    ]
