"""Listeners: one small class per source that yields Mentions; shared plumbing (retries, paging) in `base`."""
