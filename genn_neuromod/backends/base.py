"""The contracts between the model API and a backend, and the registry of backends.

A :class:`Backend` turns a model into a :class:`Build` at ``build()`` (generate, compile); the build makes a
:class:`Runtime` at ``load()``.  The runtime owns everything a loaded model has (arrays, connectivity layout,
clock); the API's group and array objects stay what the user built and ask the runtime for data.
Adding a backend means one module with a :class:`Backend`, its runtime and a template folder, registered
here by name (see ``docs/architecture.md``).
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..api.arrays import ArrayBase, ExtraGlobalParameter, Variable
    from ..api.groups import NeuronGroup, SynapseGroup
    from ..codegen import ModelPlan
    from ..codegen.connectivity import HostLayout


def batch_seeds(model, batch_size: int) -> list[int]:
    """Seed of each batch instance: ``model.batch_seeds`` if set, else ``seed + b`` (random base if seed is 0).

    Instance 0's seed is also the connectivity's (the wiring every instance shares)."""
    from ..compiler.errors import ModelError

    if model.batch_seeds is not None:
        seeds = [int(s) for s in model.batch_seeds]
        if len(seeds) != batch_size:
            raise ModelError(f"model.batch_seeds has {len(seeds)} seeds but batch_size is {batch_size}")
        return [s % (1 << 64) for s in seeds]
    base_seed = model.seed if model.seed else int.from_bytes(os.urandom(8), "little")
    return [(int(base_seed) + b) % (1 << 64) for b in range(batch_size)]


@runtime_checkable
class Runtime(Protocol):
    """A loaded model."""

    timestep: int
    seed: int
    num_recording_timesteps: int
    recording_in_use: bool

    def step(self, n: int = 1) -> None:
        """Advance ``n`` timesteps."""

    def custom_update(self, name: str) -> None:
        """Run the custom updates of update group ``name``."""

    def view(self, array: ArrayBase) -> np.ndarray:
        """The host array behind ``array``, shaped as the user sees it."""

    def current_view(self, var: Variable) -> np.ndarray:
        """The current delay slot of a delayed variable (the whole view otherwise)."""

    def exposes_view(self, sg: SynapseGroup) -> bool:
        """Whether the per-synapse arrays of ``sg`` hold exactly its synapses (no padding)."""

    def host_layout(self, sg: SynapseGroup) -> HostLayout:
        """Where the synapses of ``sg`` sit in its per-synapse arrays."""

    def pull(self, array: ArrayBase) -> None:
        """Copy ``array`` from the device into its host view (nothing to do on the CPU)."""

    def push(self, array: ArrayBase) -> None:
        """Copy the host view of ``array`` to the device."""

    def pull_connectivity(self, sg: SynapseGroup) -> None: ...

    def push_connectivity(self, sg: SynapseGroup) -> None: ...

    def set_egp(self, egp: ExtraGlobalParameter, values) -> None:
        """Give an extra global parameter new values (and size)."""

    def set_dynamic_param(self, group, kind: str, name: str, value: float) -> None: ...

    def delay_slot(self, group: NeuronGroup) -> int:
        """The spike-queue slot ``group`` wrote in the last step."""

    def pull_recording_buffers(self) -> None: ...

    def recorded_spikes(self, ng: NeuronGroup) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[(times, ids)]`` per batch instance, from the recording buffers."""

    def close(self) -> None:
        """Release the model's arrays and compiled code."""


@runtime_checkable
class Build(Protocol):
    """What ``build()`` produced: the plan and whatever the backend compiled."""

    plan: ModelPlan
    build_time: float

    def create_runtime(self, model, num_recording_timesteps: int | None) -> Runtime: ...


#: preferences every backend accepts (PyGeNN's ``PreferencesBase``), with their defaults
COMMON_PREFERENCES = {"optimize_code": False, "debug_code": False, "genn_log_level": None,
                      "code_generator_log_level": None, "transpiler_log_level": None, "runtime_log_level": None}


@runtime_checkable
class Backend(Protocol):
    name: str
    supports_batching: bool
    preferences: dict  # accepted preference names and defaults (COMMON_PREFERENCES and the backend's own)

    def build(self, model, code_path: str, always_rebuild: bool = False) -> Build: ...


#: backend name -> module that defines ``BACKEND`` (imported on first use, so CuPy stays optional)
_REGISTRY: dict[str, str] = {
    "single_threaded_cpu": "genn_neuromod.backends.cpu",
    "cuda": "genn_neuromod.backends.cuda",
    "cuda_emulated": "genn_neuromod.backends.cuda_emulated",
}
#: other names users may give (``GeNNModel(backend="cpu")``)
ALIASES: dict[Any, str] = {None: "single_threaded_cpu", "cpu": "single_threaded_cpu"}


def register_backend(name: str, module: str, *aliases: str) -> None:
    """Make ``GeNNModel(backend=name)`` use the ``BACKEND`` object of ``module``."""
    _REGISTRY[name] = module
    for alias in aliases:
        ALIASES[alias] = name


def backend_names() -> list[str]:
    return sorted(_REGISTRY) + sorted(a for a in ALIASES if isinstance(a, str))


def canonical_name(name) -> str:
    """The registered name of a backend given by name or alias; ValueError for an unknown one."""
    key = ALIASES.get(name, name)
    if key not in _REGISTRY:
        raise ValueError(f"unknown backend '{name}'; use one of: {', '.join(backend_names())}")
    return key


def get_backend(name: str) -> Backend:
    return importlib.import_module(_REGISTRY[canonical_name(name)]).BACKEND
