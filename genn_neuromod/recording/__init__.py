"""Recording runs to zarr v3 stores, reading them back (numpy or dask), analysis and plots.

The ``plot_*`` functions import matplotlib on first use, so recording a run does not load it.
"""

from __future__ import annotations

from typing import Any

from .analysis import (
    fano_factor,
    firing_rates,
    isi_cv,
    population_rate,
    spike_counts,
    synchrony,
    synchrony_traces,
    weight_distribution,
    weight_trajectories,
)
from .reader import Recording, open_store
from .recorder import Recorder, describe_model

_PLOTS = ("plot_population_rates", "plot_raster", "plot_weight_histogram", "plot_weight_trajectories")


def __getattr__(name: str) -> Any:
    if name in _PLOTS:
        from . import plots

        return getattr(plots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Recorder", "Recording", "describe_model", "fano_factor", "firing_rates", "isi_cv", "open_store",
    "plot_population_rates", "plot_raster", "plot_weight_histogram", "plot_weight_trajectories",
    "population_rate", "spike_counts", "synchrony", "synchrony_traces", "weight_distribution",
    "weight_trajectories",
]
