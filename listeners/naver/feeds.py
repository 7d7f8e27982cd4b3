"""The Naver feeds of one brand: one search per endpoint (blog, café, news, 지식iN) and brand term."""

from __future__ import annotations

from pydantic import SecretStr

from listeners.feeds import ClientFactory, ListenerFeed, channel_options, per_fetch, require_secret, scope_for
from listeners.http import make_http_client
from listeners.naver.listener import CHANNEL, ID_SETTING, KST, SECRET_SETTING, Endpoint, NaverListener
from listeners.naver.options import NaverOptions
from listeners.naver.query import naver_queries
from listeners.quota import LEDGER, QuotaLedger
from listeners.retry import RetryPolicy
from models.brands import Brand
from models.channels import ChannelSettings


def build_naver_feeds(
    settings: ChannelSettings,
    brand: Brand,
    *,
    naver_client_id: SecretStr | str | None = None,
    naver_client_secret: SecretStr | str | None = None,
    make_client: ClientFactory = make_http_client,
    ledger: QuotaLedger = LEDGER,
) -> list[ListenerFeed[NaverListener]]:
    """One feed per configured endpoint × brand term; all of a run's feeds share its share of the daily quota."""
    options = channel_options(settings, NaverOptions, channel=CHANNEL)
    client_id = require_secret(naver_client_id, ID_SETTING, channel=CHANNEL)
    client_secret = require_secret(naver_client_secret, SECRET_SETTING, channel=CHANNEL)
    quota = ledger.budget(CHANNEL, settings, daily=options.daily_quota, share=options.run_share, zone=KST,
                          unit="calls")
    policy = RetryPolicy(max_wait_per_run=options.max_wait_s)
    listener = per_fetch(
        lambda client: NaverListener(client, client_id=client_id, client_secret=client_secret,
                                     api_url=options.base_url(), form=options.form, quota=quota, policy=policy),
        make_client,
    )
    pages = settings.max_pages

    def feed(endpoint: Endpoint, term: str, query: str) -> ListenerFeed[NaverListener]:
        return ListenerFeed(
            CHANNEL, scope_for(brand, endpoint, term), listener,
            lambda naver, cursor: naver.search(endpoint, query, since=cursor, max_pages=pages),
        )

    queries = naver_queries(brand)
    return [feed(endpoint, term, query) for endpoint in options.endpoints for term, query in queries.items()]
