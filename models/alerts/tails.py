"""Tail probabilities for counts: Poisson, negative binomial and binomial, exact in log space (pure, no SciPy)."""

from __future__ import annotations

import math
from collections.abc import Callable

# Terms below this fraction of the running sum no longer change a double.
_NEGLIGIBLE = 1e-17
_MAX_TERMS = 200_000


def poisson_upper_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), summed exactly in log space so tiny tails keep their precision."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    log_mean = math.log(mean)

    def log_pmf(i: int) -> float:
        return i * log_mean - mean - math.lgamma(i + 1)

    return _upper_tail(k, mean, log_pmf)


def negbin_upper_tail(k: int, mean: float, dispersion: float) -> float:
    """P(X >= k) for a negative binomial with this mean and variance mean + dispersion * mean².

    Social counts are overdispersed (a thread or a repost wave moves several mentions at once), so a Poisson
    test on busy brands flags ordinary swings; `dispersion` 0 is the Poisson limit.
    """
    if dispersion < 0:
        raise ValueError("dispersion must be >= 0")
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if dispersion * mean < 1e-9:
        return poisson_upper_tail(k, mean)
    size = 1.0 / dispersion
    log_p = math.log(size / (size + mean))  # probability of a "failure" in the NB(size, p) parameterisation
    log_q = math.log(mean / (size + mean))
    base = size * log_p - math.lgamma(size)

    def log_pmf(i: int) -> float:
        return base + math.lgamma(i + size) - math.lgamma(i + 1) + i * log_q

    return _upper_tail(k, mean, log_pmf)


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(n + 1)

    def log_pmf(i: int) -> float:
        if i < 0 or i > n:
            return -math.inf
        return log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q

    return _upper_tail(k, n * p, log_pmf, last=n)


def _upper_tail(k: int, mean: float, log_pmf: Callable[[int], float], last: int | None = None) -> float:
    """Sum the smaller side of a unimodal count distribution: the upper tail directly, or 1 - the lower tail."""
    if k > mean:
        # Terms fall from k upwards: sum them directly (1 - cdf would round tiny tails to 0).
        total, i = 0.0, k
        while last is None or i <= last:
            term = math.exp(log_pmf(i))
            total += term
            i += 1
            if term <= total * _NEGLIGIBLE or i - k > _MAX_TERMS:
                break
        return min(total, 1.0)
    # k <= mean: the lower tail is the small side; its terms fall from k-1 downwards.
    lower, i = 0.0, k - 1
    while i >= 0:
        term = math.exp(log_pmf(i))
        lower += term
        i -= 1
        if term <= lower * _NEGLIGIBLE:
            break
    return max(0.0, 1.0 - lower)
