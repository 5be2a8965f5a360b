"""Task suite: continual learning on the 8x8 digits, cross-task adaptation, noise robustness
and energy, for homogeneous/heterogeneous x without/with neuromodulation, against an ANN and plain STDP.

Stages: :mod:`.data` (tasks) -> :mod:`.encoding` (spikes, noise) -> :mod:`.circuit` (networkx graph) ->
:mod:`.network` (sample-by-sample driver; :mod:`.ann` for the MLP baselines) -> :mod:`.protocol` (one run
into zarr) -> :mod:`.metrics`, :mod:`.energy` -> :mod:`.runner`, :mod:`.report`.
"""

from .circuit import DESCRIPTIONS, QUICK, VARIANTS, TaskConfig, build_task_graph, parse_split
from .protocol import ALL_VARIANTS, load_result, run_tasks, summary_of
from .runner import run_task_suite

__all__ = ["ALL_VARIANTS", "DESCRIPTIONS", "QUICK", "VARIANTS", "TaskConfig", "build_task_graph", "load_result",
           "parse_split",
           "run_task_suite", "run_tasks", "summary_of"]
