"""``GeNNModel``: define, build, load and run a model, with PyGeNN 5's names."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..compiler.errors import ModelError
from .enums import PlogSeverity, VarLocation
from .groups import CurrentSource, CustomConnectivityUpdate, CustomUpdate, NeuronGroup, SynapseGroup
from .init import PostsynapticInit, SparseConnectivityInit, WeightUpdateInit
from .locations import check_location
from .snippets import (
    CurrentSourceModelBase,
    CustomConnectivityUpdateModelBase,
    CustomUpdateModelBase,
    NeuronModelBase,
    resolve_snippet,
)
from .validate import MAX_NEURONS, MAX_THREADS, check_count, check_finite_positive, check_group_name


def _switch(name: str, doc: str) -> property:
    """One of GeNN's optimisation switches on the model: False by default, True or False when set."""

    def get(self) -> bool:
        return self._switches.get(name, False)

    def set_(self, value) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise ModelError(f"{name} must be True or False, not {value!r}")
        self._switches[name] = bool(value)

    return property(get, set_, doc=f"GeNN's {name} switch (default False): {doc}")


class GeNNModel:
    """A spiking network model (PyGeNN 5's ``GeNNModel``).

    Args:
        precision: type of ``scalar`` (``"float"`` or ``"double"``).
        model_name: name of the model (used for the generated code's folder).
        backend: ``"single_threaded_cpu"`` (alias ``"cpu"``, the default) or ``"cuda"``.
        time_precision: type of time (defaults to ``precision``).
        **preference_kwargs: backend preferences, as PyGeNN's: ``optimize_code`` (fast maths, default
            False), ``num_threads`` (OpenMP threads of the cpu backend: N, 0 = all cores, or None, the default: all
            cores for networks of at least 2 million synapses and 2,000 neurons, else 1) and
            ``adaptive_threads`` (default True: blocks of steps run on one thread where that measured faster,
            see :attr:`thread_steps`); the other PyGeNN preference names are accepted (and have no effect); an
            unknown one raises ``ValueError``.  ``backend_preferences(backend)`` lists them.
    """

    def __init__(self, precision: str = "float", model_name: str = "GeNNModel", backend: str | None = None,
                 time_precision: str | None = None, genn_log_level: PlogSeverity = PlogSeverity.WARNING,
                 code_gen_log_level: PlogSeverity = PlogSeverity.WARNING,
                 transpiler_log_level: PlogSeverity = PlogSeverity.WARNING,
                 runtime_log_level: PlogSeverity = PlogSeverity.WARNING,
                 backend_log_level: PlogSeverity = PlogSeverity.WARNING, **preference_kwargs: Any):
        self.precision = _precision(precision, "precision")
        self.time_precision = _precision(time_precision or self.precision, "time_precision")
        self.name = model_name
        from ..backends.base import canonical_name

        self._backend_name = canonical_name(backend)
        self._preferences = _check_preferences(self._backend_name, preference_kwargs)
        self._dt = 0.1
        self.batch_size = 1
        self.seed = 0
        #: seed of each batch instance (default: ``seed + b``); instance 0's also draws the connectivity
        self.batch_seeds: list[int] | None = None
        self.timing_enabled = False
        self._switches: dict[str, bool] = {}
        self._default_var_location = VarLocation.HOST_DEVICE
        self._default_sparse_connectivity_location = VarLocation.HOST_DEVICE
        self.neuron_populations: dict[str, NeuronGroup] = {}
        self.synapse_populations: dict[str, SynapseGroup] = {}
        self.current_sources: dict[str, CurrentSource] = {}
        self.custom_updates: dict[str, CustomUpdate] = {}
        self.custom_connectivity_updates: dict[str, CustomConnectivityUpdate] = {}
        self._built = False
        self._loaded = False
        self._build_result = None
        self._runtime = None

    # -- properties ------------------------------------------------------
    @property
    def backend_name(self) -> str:
        return self._backend_name

    @property
    def dt(self) -> float:
        return self._dt

    @dt.setter
    def dt(self, value: float) -> None:
        if self._built:
            raise RuntimeError("GeNN model already built")
        self._dt = check_finite_positive(value, "dt", f"model '{self.name}'")

    dT = dt

    @property
    def timestep(self) -> int:
        return self._runtime.timestep if self._runtime is not None else 0

    @timestep.setter
    def timestep(self, value: int) -> None:
        self._require_loaded().timestep = int(value)

    @property
    def t(self) -> float:
        return self.timestep * self._dt

    @property
    def build_time(self) -> float:
        return self._build_result.build_time if self._build_result is not None else 0.0

    @property
    def thread_steps(self) -> tuple[int, int]:
        """Steps run on one thread and on all ``num_threads`` OpenMP threads since ``load()``.

        With ``num_threads`` > 1 (or 0, one per core) and ``adaptive_threads=True`` (the default) the engine
        runs blocks of steps (about 20 ms each) on whichever of the two measured faster, trying the other every
        16th block, so a network too small to gain, or a core taken by another process, falls back to one
        thread; the results are bit-identical either way. ``adaptive_threads=False`` always uses every thread.
        """
        return self._runtime.thread_steps() if self._runtime is not None and hasattr(self._runtime, "thread_steps") \
            else (0, 0)

    # -- timing (``timing_enabled = True`` before build(); seconds, accumulated since load()) --------
    def _time(self, kernel: str) -> float:
        return self._runtime.kernel_time(kernel) if self._runtime is not None else 0.0

    @property
    def neuron_update_time(self) -> float:
        return self._time("neuron_update")

    @property
    def presynaptic_update_time(self) -> float:
        return self._time("presynaptic_update")

    @property
    def postsynaptic_update_time(self) -> float:
        return self._time("postsynaptic_update")

    @property
    def synapse_dynamics_time(self) -> float:
        return self._time("synapse_dynamics")

    @property
    def init_time(self) -> float:
        return self._time("init")

    @property
    def init_sparse_time(self) -> float:
        return self._time("init_sparse")

    def get_custom_update_time(self, name: str) -> float:
        """Seconds spent in the custom updates of update group ``name``."""
        return self._time(f"custom_update:{name}")

    def get_custom_update_transpose_time(self, name: str) -> float:
        """Transposes run inside the custom update kernel: their time is part of :meth:`get_custom_update_time`."""
        return 0.0

    get_custom_update_remap_time = get_custom_update_host_time = get_custom_update_transpose_time

    def resolve_type(self, type_name: str) -> str:
        """A snippet type with ``scalar`` and ``timepoint`` resolved to this model's precisions."""
        from . import types

        return types.resolve(type_name, self.precision, self.time_precision)

    # -- building the network -------------------------------------------
    def _check_new(self, name: str) -> None:
        if self._built:
            raise RuntimeError("GeNN model already built")
        taken = (self.neuron_populations, self.synapse_populations, self.current_sources, self.custom_updates,
                 self.custom_connectivity_updates)
        check_group_name(name, f"model '{self.name}'")
        if any(name in d for d in taken):
            raise ModelError(f"a group named '{name}' already exists in model '{self.name}'")

    def _check_own(self, pop, what: str) -> None:
        if not isinstance(pop, NeuronGroup) or self.neuron_populations.get(pop.name) is not pop:
            raise ModelError(f"{what} must be a neuron population of model '{self.name}' (returned by its "
                             f"add_neuron_population), got {getattr(pop, 'name', pop)!r}")

    def add_neuron_population(self, pop_name: str, num_neurons: int, neuron, params: dict | None = None,
                              vars: dict | None = None) -> NeuronGroup:
        """Add a population of ``num_neurons`` neurons of a model (built-in name or model object)."""
        from ..builtins import neuron_models

        self._check_new(pop_name)
        num_neurons = check_count(num_neurons, "num_neurons", f"neuron population '{pop_name}'", 1, MAX_NEURONS)
        model = resolve_snippet(neuron, NeuronModelBase, neuron_models.REGISTRY)
        group = NeuronGroup(self, pop_name, num_neurons, model, params or {}, vars or {})
        self.neuron_populations[pop_name] = group
        return group

    def add_synapse_population(self, pop_name: str, matrix_type, source: NeuronGroup, target: NeuronGroup,
                               weight_update_init: WeightUpdateInit, postsynaptic_init: PostsynapticInit,
                               connectivity_init: SparseConnectivityInit | None = None) -> SynapseGroup:
        """Connect ``source`` to ``target`` with a weight update and a postsynaptic model."""
        self._check_new(pop_name)
        if not isinstance(weight_update_init, WeightUpdateInit):
            raise TypeError(f"synapse population '{pop_name}': weight_update_init must come from "
                            "init_weight_update(...)")
        if not isinstance(postsynaptic_init, PostsynapticInit):
            raise TypeError(f"synapse population '{pop_name}': postsynaptic_init must come from "
                            "init_postsynaptic(...)")
        self._check_own(source, f"synapse population '{pop_name}': its source")
        self._check_own(target, f"synapse population '{pop_name}': its target")
        group = SynapseGroup(self, pop_name, matrix_type, source, target, weight_update_init, postsynaptic_init,
                             connectivity_init)
        source.out_syn.append(group)
        target.in_syn.append(group)
        self.synapse_populations[pop_name] = group
        return group

    def add_current_source(self, cs_name: str, current_source_model, pop: NeuronGroup,
                           params: dict | None = None, vars: dict | None = None,
                           var_refs: dict | None = None) -> CurrentSource:
        """Inject current into ``pop`` with a current source model."""
        from ..builtins import current_source_models

        self._check_new(cs_name)
        self._check_own(pop, f"current source '{cs_name}': its population")
        model = resolve_snippet(current_source_model, CurrentSourceModelBase, current_source_models.REGISTRY)
        group = CurrentSource(self, cs_name, model, pop, params or {}, vars or {}, var_refs or {})
        pop.current_sources.append(group)
        self.current_sources[cs_name] = group
        return group

    def add_custom_update(self, cu_name: str, group_name: str, custom_update_model,
                          params: dict | None = None, vars: dict | None = None, var_refs: dict | None = None,
                          egp_refs: dict | None = None) -> CustomUpdate:
        """Add a custom update, run with ``model.custom_update(group_name)``."""
        from ..builtins import custom_update_models

        self._check_new(cu_name)
        model = resolve_snippet(custom_update_model, CustomUpdateModelBase, custom_update_models.REGISTRY)
        group = CustomUpdate(self, cu_name, group_name, model, params or {}, vars or {}, var_refs or {},
                             egp_refs or {})
        self.custom_updates[cu_name] = group
        return group

    def add_custom_connectivity_update(self, cu_name: str, group_name: str, syn_group: SynapseGroup,
                                       custom_conn_update_model, params: dict | None = None,
                                       vars: dict | None = None, pre_vars: dict | None = None,
                                       post_vars: dict | None = None, var_refs: dict | None = None,
                                       pre_var_refs: dict | None = None, post_var_refs: dict | None = None,
                                       egp_refs: dict | None = None) -> CustomConnectivityUpdate:
        """Add a custom connectivity update to a SPARSE synapse group, run with ``model.custom_update(group_name)``
        (host update code first, then the group's custom updates, then every row's update code)."""
        from ..builtins import custom_connectivity_update_models

        self._check_new(cu_name)
        model = resolve_snippet(custom_conn_update_model, CustomConnectivityUpdateModelBase,
                                custom_connectivity_update_models.REGISTRY)
        group = CustomConnectivityUpdate(self, cu_name, group_name, syn_group, model, params or {}, vars or {},
                                         pre_vars or {}, post_vars or {}, var_refs or {}, pre_var_refs or {},
                                         post_var_refs or {}, egp_refs or {})
        self.custom_connectivity_updates[cu_name] = group
        return group

    # -- GeNN's optimisation switches: they change how groups are merged and stored, and (fused postsynaptic
    # inputs, summed in another order) at most the last bits of floating-point results -----------------------
    fuse_postsynaptic_models = _switch(
        "fuse_postsynaptic_models", "incoming synapse groups with the same postsynaptic model share one input "
        "buffer and run the model once (see genn_neuromod.codegen.fusion)")
    fuse_pre_post_weight_update_models = _switch(
        "fuse_pre_post_weight_update_models", "synapse groups with the same presynaptic (postsynaptic) "
        "weight-update code share those variables and update them once (see genn_neuromod.codegen.fusion)")
    default_narrow_sparse_ind_enabled = _switch(
        "default_narrow_sparse_ind_enabled", "SPARSE postsynaptic indices in 8 or 16 bits where the target "
        "population allows (see SynapseGroup.narrow_sparse_ind_enabled)")

    @property
    def num_neurons(self) -> int:
        """Neurons of every population."""
        return sum(pop.num_neurons for pop in self.neuron_populations.values())

    # -- default locations (PyGeNN's names; groups take them when they are added) ----------------
    @property
    def default_var_location(self) -> VarLocation:
        return self._default_var_location

    @default_var_location.setter
    def default_var_location(self, location) -> None:
        self._default_var_location = check_location(location, "default_var_location")

    @property
    def default_sparse_connectivity_location(self) -> VarLocation:
        return self._default_sparse_connectivity_location

    @default_sparse_connectivity_location.setter
    def default_sparse_connectivity_location(self, location) -> None:
        self._default_sparse_connectivity_location = check_location(location, "default_sparse_connectivity_location")

    # -- lifecycle -------------------------------------------------------
    def build(self, path_to_model: str = "./", always_rebuild: bool = False, never_rebuild: bool = False) -> None:
        """Generate and compile the model's code (cached: an unchanged model rebuilds at once)."""
        from ..backends import get_backend

        if self._built:
            raise RuntimeError("GeNN model already built")
        backend = get_backend(self._backend_name)
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, (int, np.integer)) \
                or self.batch_size < 1:
            raise ModelError(f"batch_size must be a positive integer, not {self.batch_size!r}")
        if self.batch_size != 1 and not backend.supports_batching:
            raise ModelError(f"the {self._backend_name} backend only supports simulations with a batch size "
                             "of 1")
        self._build_result = backend.build(self, os.path.join(path_to_model, self.name + "_CODE"),
                                           always_rebuild=always_rebuild)
        self._built = True

    def load(self, num_recording_timesteps: int | None = None) -> None:
        """Allocate state, initialise it and make the model ready to step."""
        if self._loaded:
            raise RuntimeError("GeNN model already loaded")
        if not self._built:
            raise RuntimeError("GeNN model has not been built")
        recording = any(p.spike_recording_enabled or p.spike_event_recording_enabled
                        for p in self.neuron_populations.values())
        if num_recording_timesteps is not None:
            num_recording_timesteps = check_count(num_recording_timesteps, "num_recording_timesteps",
                                                  f"model '{self.name}'", 0, 2**31 - 1)
        if recording and num_recording_timesteps is None:
            raise ModelError("Cannot use recording system without passing number of recording timesteps "
                             "to GeNNModel.load")
        self._runtime = self._build_result.create_runtime(self, num_recording_timesteps)
        self._loaded = True

    def unload(self) -> None:
        """Free the loaded state (nothing to do if the model is not loaded); ``load()`` may follow again."""
        if not self._loaded:
            return
        self._runtime.close()
        self._runtime = None
        self._loaded = False

    def _require_loaded(self):
        if not self._loaded:
            raise RuntimeError("GeNN model has to be loaded first (call model.build() then model.load())")
        return self._runtime

    def step_time(self) -> None:
        """Advance the simulation by one timestep."""
        self._require_loaded().step()

    def step_time_n(self, n: int) -> None:
        """Advance by ``n`` timesteps in one call into the generated code (faster than a Python loop)."""
        self._require_loaded().step(check_count(n, "step_time_n's number of steps", f"model '{self.name}'",
                                                0, 2**62))

    def custom_update(self, name: str) -> None:
        """Run every custom update of update group ``name``."""
        self._require_loaded().custom_update(name)

    def pull_recording_buffers_from_device(self) -> None:
        rt = self._require_loaded()
        if not rt.recording_in_use:
            raise RuntimeError("Cannot pull recording buffer if recording system is not in use")
        rt.pull_recording_buffers()



def _check_preferences(backend: str, given: dict) -> dict:
    from ..backends.base import get_backend

    known = get_backend(backend).preferences
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ModelError(f"Unknown preference(s) {unknown} for the {backend} backend; it accepts "
                         f"{sorted(known)}")
    if given.get("num_threads") is not None:
        n = given["num_threads"]
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_THREADS:
            raise ModelError(f"num_threads must be None (by the network's size), or a whole number from 0 (one "
                             f"per core) to {MAX_THREADS}, got {n!r}")
    if "adaptive_threads" in given and not isinstance(given["adaptive_threads"], bool):
        raise ModelError(f"adaptive_threads must be True or False, got {given['adaptive_threads']!r}")
    return dict(given)


def backend_preferences(backend: str = "single_threaded_cpu") -> dict:
    """The preferences a backend accepts and their defaults."""
    from ..backends.base import canonical_name, get_backend

    return dict(get_backend(canonical_name(backend)).preferences)


def _precision(value, what: str) -> str:
    v = str(value).strip().lower()
    if v in ("float", "single"):
        return "float"
    if v == "double":
        return "double"
    raise ModelError(f"{what} must be 'float' or 'double', got {value!r}")
