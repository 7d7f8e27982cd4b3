"""Tail probabilities P(X >= k) for counts: Poisson, negative binomial and binomial, via SciPy (pure)."""

from __future__ import annotations

import functools
from types import ModuleType

# SciPy's `special` functions are used directly rather than `scipy.stats` distributions: the detector calls these
# tens of thousands of times a run, and a `stats` call costs ~20× more for the same number. Each is the regularised
# incomplete gamma or beta function, accurate to the smallest tails (no 1 - cdf rounding to zero).


@functools.cache
def _special() -> ModuleType:
    """scipy.special, imported on first use: every CLI command imports this module, few compute a tail."""
    from scipy import special

    return special


def poisson_upper_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    return float(_special().pdtrc(k - 1, mean))


def negbin_upper_tail(k: int, mean: float, dispersion: float) -> float:
    """P(X >= k) for a negative binomial with this mean and variance mean + dispersion * mean².

    Social counts are overdispersed (a thread or a repost wave moves several mentions at once), so a Poisson
    test on busy brands flags ordinary swings; `dispersion` 0 is the Poisson limit. This is
    `scipy.stats.nbinom.sf(k - 1, size, size / (size + mean))` with size = 1 / dispersion, computed as the
    incomplete beta function it reduces to (`scipy.special.nbdtrc` would truncate a size that is not whole).
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
    return float(_special().betainc(k, size, mean / (size + mean)))


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    return float(_special().bdtrc(k - 1, n, p))
