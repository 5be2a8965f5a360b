"""Counter-based random numbers: the C header used by generated code and a numpy twin."""

from .philox import philox4x32, stream_id, uniform_double, uniform_float

__all__ = ["philox4x32", "stream_id", "uniform_double", "uniform_float"]
