"""binomial_inverse_cdf against brute-force summation of the binomial PMF."""

from __future__ import annotations

import math

import pytest

from genn_neuromod.builtins.binomial import binomial_inverse_cdf


def _pmf(n: int, k: int, p: float) -> float:
    # exact integer coefficient for small n; lgamma beyond (math.comb gets slow); underflow gives 0
    log_coeff = (math.log(math.comb(n, k)) if n <= 2000
                 else math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1))
    return math.exp(log_coeff + k * math.log(p) + (n - k) * math.log1p(-p))


def _brute_force(cdf: float, n: int, p: float) -> int:
    """Smallest k with P(X <= k) >= cdf, X ~ Binomial(n, p)."""
    total = 0.0
    for k in range(n + 1):
        total += _pmf(n, k, p)
        if total >= cdf:
            return k
    return n


CASES = [
    (0.3, 10, 0.5), (0.5, 10, 0.5), (0.7, 10, 0.5), (0.99, 20, 0.1), (0.01, 20, 0.1),
    (0.9, 1, 0.3), (0.1, 1, 0.3), (0.25, 7, 0.9), (0.95, 7, 0.9), (0.6, 50, 0.02),
    (0.4, 1000, 0.3), (0.999, 1000, 0.3), (0.001, 1000, 0.3),
    (0.3, 100000, 0.01), (0.9999, 100000, 0.01), (0.2, 50000, 0.5), (0.8, 50000, 0.5),
    (0.3, 200000, 0.9), (0.97, 200000, 0.9),
    # the quantiles the connectivity snippets use: 0.9999^(1/num_pre) per row
    (0.9999 ** (1.0 / 1000), 500, 0.1), (0.9999 ** (1.0 / 500), 1000, 0.1),
    (0.9999 ** (1.0 / 1000), 5000, 1.0 / 1000), (0.9999 ** (1.0 / 100), 10000, 0.05),
]


@pytest.mark.parametrize("cdf,n,p", CASES)
def test_matches_brute_force(cdf, n, p):
    assert binomial_inverse_cdf(cdf, n, p) == _brute_force(cdf, n, p)


def test_special_cases():
    assert binomial_inverse_cdf(0.5, 10, 0.0) == 0
    assert binomial_inverse_cdf(0.5, 10, 1.0) == 10
    assert binomial_inverse_cdf(0.0, 10, 0.5) == 0
    assert binomial_inverse_cdf(1.0, 10, 0.5) == 10
    assert binomial_inverse_cdf(0.5, 0, 0.5) == 0


@pytest.mark.parametrize("cdf,p", [(-0.1, 0.5), (1.1, 0.5), (0.5, -0.1), (0.5, 1.1)])
def test_rejects_out_of_range(cdf, p):
    with pytest.raises(ValueError):
        binomial_inverse_cdf(cdf, 10, p)
