"""Hypothesis profiles: ``ci`` (the default: a short fuzz run, minutes) and ``long`` (``pytest
--hypothesis-profile=long tests/test_fuzz.py``: 1,000 cases per test, for local runs)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "derandomize": False}
settings.register_profile("ci", max_examples=25, **_COMMON)
settings.register_profile("medium", max_examples=200, **_COMMON)
settings.register_profile("long", max_examples=1000, **_COMMON)
settings.load_profile("ci")
