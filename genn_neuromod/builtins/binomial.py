"""Inverse CDF of the binomial distribution, as GeNN's ``binomialInverseCDF`` (binomial.cc).

Used by the sparse-connectivity snippets to bound row and column lengths: the smallest
``k`` with ``P(X <= k) >= cdf`` for ``X ~ Binomial(n, p)``. The sum runs in the log domain
from the side of the distribution nearest the requested quantile, skipping the stretch
where the PMF underflows, exactly as GeNN does, so the bounds (and hence the allocated
row lengths) match GeNN's.
"""

from __future__ import annotations

import math
import sys

_LOG_MIN = math.log(sys.float_info.min)  # log of the smallest normal double


def _log_binom_coefficient(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _log_pmf(n: int, k: int, log_p: float, log_one_minus_p: float) -> float:
    return _log_binom_coefficient(n, k) + (k * log_p) + ((n - k) * log_one_minus_p)


def binomial_inverse_cdf(cdf: float, n: int, p: float) -> int:
    """Smallest ``k`` with ``P(Binomial(n, p) <= k) >= cdf`` (GeNN's algorithm)."""
    cdf = float(cdf)
    p = float(p)
    n = int(n)
    if cdf < 0.0 or cdf > 1.0:
        raise ValueError("binomialInverseCDF error - cdf < 0 or cdf > 1")
    if p < 0.0 or p > 1.0:
        raise ValueError("binomialInverseCDF error - p < 0 or p > 1")
    if n < 0:
        raise ValueError("binomialInverseCDF error - n < 0")

    if p == 0.0:
        return 0
    if p == 1.0:
        return n
    if cdf == 0.0:
        return 0
    if cdf == 1.0:
        return n
    if n == 0:
        return 0

    log_p = math.log(p)
    log_one_minus_p = math.log(1.0 - p)
    log_prob_ratio = log_p - log_one_minus_p

    if cdf < 0.5:
        # Binary search up to the mean for where the PMF stops underflowing, then sum upwards
        k_min = 0
        k_max = int(n * p)
        while (k_max - k_min) > 100:
            mid = (k_max + k_min) // 2
            if _log_pmf(n, mid, log_p, log_one_minus_p) > _LOG_MIN:
                k_max = mid
            else:
                k_min = mid

        log_pmf = _log_pmf(n, k_min, log_p, log_one_minus_p)
        cdf_total = math.exp(log_pmf)
        for k in range(k_min, n):
            if cdf_total >= cdf:
                return k
            log_pmf += math.log((n - k) / (k + 1)) + log_prob_ratio
            cdf_total += math.exp(log_pmf)
        # GeNN asserts this is unreachable (the whole PMF sums to 1 > cdf)
        return n

    # Above the median: same approach, summing the upper tail downwards
    cdf = 1.0 - cdf
    k_min = int(n * p)
    k_max = n
    while (k_max - k_min) > 100:
        mid = (k_max + k_min) // 2
        if _log_pmf(n, mid, log_p, log_one_minus_p) > _LOG_MIN:
            k_min = mid
        else:
            k_max = mid

    log_pmf = _log_pmf(n, k_max, log_p, log_one_minus_p)
    cdf_total = math.exp(log_pmf)
    for k in range(k_max - 1, -1, -1):
        if cdf_total > cdf:
            return k + 1
        log_pmf += math.log((k + 1) / (n - k)) - log_prob_ratio
        # Only add terms that do not underflow, so the sum is not renormalised into nothing
        if log_pmf > _LOG_MIN:
            cdf_total += math.exp(log_pmf)
    # GeNN asserts this is unreachable
    return 0
