"""Group objects returned by ``GeNNModel.add_*``.

A group is what the user built: its model, parameters, initial values and references, each checked when
it is given (a reference to a variable that does not exist, a target input the neuron model lacks or a
negative delay is refused at once, naming the group).  Once the model is loaded, the runtime holds the
state; the group's arrays (:mod:`.arrays`) ask it for their data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..compiler.errors import ModelError
from .arrays import Array, ArrayBase, ExtraGlobalParameter, SynapseVariable, Variable, prepare_vars
from .enums import (
    ParallelismHint,
    SynapseMatrixConnectivity,
    SynapseMatrixType,
    SynapseMatrixWeight,
    VarAccessDim,
    VarAccessMode,
    VarLocation,
    VarLocationAttribute,
    get_var_access_dim,
    get_var_access_mode,
)
from .init import ToeplitzConnectivityInit, VarInit
from .locations import Located, array_location_property, check_location
from .refs import (
    VarReference,
    check_neuron_var_refs,
    check_psm_var_refs,
    reference_elements,
    reference_type_and_dims,
    reject_unknown_refs,
)
from .snippets import check_params

if TYPE_CHECKING:  # pragma: no cover
    from .model import GeNNModel

__all__ = ["Array", "ArrayBase", "CurrentSource", "CustomUpdate", "ExtraGlobalParameter", "Group", "NeuronGroup",
           "SynapseGroup", "SynapseVariable", "Variable"]

#: matrix types of the embedded engine (the others raise NotImplementedError when a group is added)
SUPPORTED_MATRIX_TYPES = tuple(SynapseMatrixType.__members__.values())


class NonPositiveKernel(ValueError):
    """A connectivity snippet's kernel size has an entry below 1."""


def kernel_size(snippet, params) -> tuple[int, ...]:
    """The kernel a connectivity snippet's ``calc_kernel_size_func`` gives for ``params``, e.g. (3, 3, 1, 1); ()
    for a snippet without one. :class:`NonPositiveKernel` where an entry is not positive."""
    func = getattr(snippet, "calc_kernel_size_func", None)
    if func is None:
        return ()
    size = tuple(int(k) for k in func(dict(params)))
    if not size or any(k <= 0 for k in size):
        raise NonPositiveKernel(f"the kernel size of snippet '{snippet.class_name}' must be positive integers, "
                                f"got {size}")
    return size


def _check_params(model, params: dict, group_name: str, what: str) -> dict:
    return check_params(model, params, f"'{group_name}'", what)


def _non_negative_int(value, owner: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 0:
        raise ModelError(f"{owner}: {what} must be a non-negative integer, got {value!r}")
    return int(value)


def _inputs(pop: NeuronGroup) -> list[str]:
    return ["Isyn"] + [a.name for a in pop.model.additional_input_vars]


def _row_bound(snippet, source, target, params: dict, name: str) -> int:
    """The connectivity snippet's ``calc_max_row_len_func``, its failures and impossible answers named."""
    from .validate import check_count

    owner = f"synapse population '{name}' (connectivity snippet '{snippet.class_name}')"
    try:
        value = snippet.calc_max_row_len_func(source.num_neurons, target.num_neurons, dict(params))
    except Exception as exc:
        raise ModelError(f"{owner}: calc_max_row_len_func raised {type(exc).__name__}: {exc}") from exc
    return check_count(value, "the row length calc_max_row_len_func returned", owner, 0, 2**31 - 1)


class Group(Located):
    """Common behaviour: a name, the owning model, params and dynamic params, array locations."""

    def __init__(self, model: GeNNModel, name: str):
        self._model = model
        self.name = name
        self.dynamic_params: set[str] = set()

    def _check_var(self, var_name: str, where: str = "") -> None:
        if var_name not in self.vars:
            raise ModelError(f"'{self.name}' has no variable '{var_name}'; it has {sorted(self.vars)}")

    def _check_egp(self, egp_name: str) -> None:
        if egp_name not in self.extra_global_params:
            raise ModelError(f"'{self.name}' has no extra global parameter '{egp_name}'")

    def _check_not_built(self) -> None:
        if self._model._built:
            raise RuntimeError("GeNN model already built")

    def set_param_dynamic(self, param_name: str, dynamic: bool = True) -> None:
        """Make a parameter settable at run time with :meth:`set_dynamic_param_value`."""
        self._check_not_built()
        if param_name not in self.params:
            raise ModelError(f"'{self.name}' has no parameter '{param_name}'")
        (self.dynamic_params.add if dynamic else self.dynamic_params.discard)(param_name)

    def set_dynamic_param_value(self, param_name: str, value: float) -> None:
        if param_name not in self.dynamic_params:
            raise ModelError(f"parameter '{param_name}' of '{self.name}' is not dynamic; "
                             "call set_param_dynamic() before build()")
        self._model._require_loaded().set_dynamic_param(self, "", param_name, value)

    def all_arrays(self) -> list[ArrayBase]:
        return list(self.vars.values()) + list(self.extra_global_params.values())


class NeuronGroup(Group):
    def __init__(self, model: GeNNModel, name: str, num_neurons: int, neuron_model, params: dict, vars: dict):
        super().__init__(model, name)
        if int(num_neurons) <= 0:
            raise ModelError(f"neuron population '{name}': num_neurons must be positive, got {num_neurons}")
        self.num_neurons = int(num_neurons)
        self.model = neuron_model
        self.params = _check_params(neuron_model, params, name, "neuron model")
        self.vars = prepare_vars(neuron_model.vars, vars, self)
        self.extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self)
                                    for e in neuron_model.extra_global_params}
        self.spike_recording_enabled = False
        self.spike_event_recording_enabled = False
        #: GeNN's zero-copy recording buffers (host-mapped on a GPU); host memory already on the CPU backend
        self.recording_zero_copy_enabled = False
        self.in_syn: list[SynapseGroup] = []
        self.out_syn: list[SynapseGroup] = []
        self.current_sources: list[CurrentSource] = []
        self.spike_times = Array("st", "timepoint", self)
        self.prev_spike_times = Array("prev_st", "timepoint", self)

    @property
    def num_delay_slots(self) -> int:
        """Spike-queue slots (1 + the longest axonal delay of the groups it feeds), known once built."""
        built = self._model._build_result
        return built.plan.slots(self) if built is not None else 1

    @property
    def spike_recording_data(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Recorded spikes as ``[(times, ids)]`` (one entry per batch), as PyGeNN 5."""
        return self._model._require_loaded().recorded_spikes(self)

    spike_time_location = array_location_property("spike_times", "Where the spike times live.")
    prev_spike_time_location = array_location_property("prev_spike_times", "Where the previous spike times live.")


class SynapseGroup(Group):
    def __init__(self, model: GeNNModel, name: str, matrix_type, source: NeuronGroup, target: NeuronGroup,
                 wu_init, ps_init, connectivity_init):
        super().__init__(model, name)
        if isinstance(matrix_type, str):
            try:
                matrix_type = SynapseMatrixType[matrix_type]
            except KeyError:
                raise ModelError(f"synapse population '{name}': unknown matrix type '{matrix_type}'; use one of "
                                 + ", ".join(SynapseMatrixType.__members__)) from None
        matrix_type = SynapseMatrixType(matrix_type)
        if matrix_type not in SUPPORTED_MATRIX_TYPES:
            supported = ", ".join(t.name for t in SUPPORTED_MATRIX_TYPES)
            raise NotImplementedError(f"synapse population '{name}': matrix type {matrix_type.name} is not "
                                      f"supported by the embedded engine ({supported} are)")
        for role, pop in (("source", source), ("target", target)):
            if not isinstance(pop, NeuronGroup):
                raise ModelError(f"synapse population '{name}': {role} must be a neuron population "
                                 f"returned by add_neuron_population, got {type(pop).__name__}")
        self.matrix_type = matrix_type
        self.src = source
        self.trg = target
        self.wu_initialiser = wu_init
        self.ps_initialiser = ps_init
        toeplitz = bool(matrix_type & SynapseMatrixConnectivity.TOEPLITZ)
        if toeplitz != isinstance(connectivity_init, ToeplitzConnectivityInit):
            raise ModelError(f"synapse population '{name}': TOEPLITZ connectivity needs "
                             "init_toeplitz_connectivity(...), and only TOEPLITZ connectivity takes it")
        self.connectivity_initialiser = None if toeplitz else connectivity_init
        self.toeplitz_connectivity_initialiser = connectivity_init if toeplitz else None
        self.wu_model = wu_init.snippet
        self.ps_model = ps_init.snippet
        owner = f"synapse population '{name}'"
        self.params = _check_params(self.wu_model, wu_init.params, name, "weight update model")
        self.ps_params = _check_params(self.ps_model, ps_init.params, name, "postsynaptic model")
        self.synapse_group = self
        self.vars = prepare_vars(self.wu_model.vars, wu_init.vars, self, SynapseVariable, "weight update variable")
        self.pre_vars = prepare_vars(self.wu_model.pre_vars, wu_init.pre_vars, self, what="presynaptic variable")
        self.post_vars = prepare_vars(self.wu_model.post_vars, wu_init.post_vars, self,
                                      what="postsynaptic variable")
        self.psm_vars = prepare_vars(self.ps_model.vars, ps_init.vars, self, what="postsynaptic model variable")
        check_neuron_var_refs(self.wu_model.pre_neuron_var_refs, wu_init.pre_var_refs, source,
                              f"{owner} presynaptic neuron variable reference")
        check_neuron_var_refs(self.wu_model.post_neuron_var_refs, wu_init.post_var_refs, target,
                              f"{owner} postsynaptic neuron variable reference")
        check_neuron_var_refs(self.ps_model.neuron_var_refs, ps_init.var_refs, target,
                              f"{owner} postsynaptic model")
        check_psm_var_refs(self.wu_model.psm_var_refs, wu_init.psm_var_refs, self, owner)
        self.extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self)
                                    for e in self.wu_model.extra_global_params}
        self.psm_extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self)
                                        for e in self.ps_model.extra_global_params}
        if toeplitz and (self.wu_model.post_spike_syn_code or self.wu_model.post_event_syn_code):
            raise ModelError(f"synapse population '{name}': TOEPLITZ connectivity cannot be used with postsynaptic "
                             "spike-triggered learning (GeNN's rule)")
        if toeplitz and self.wu_model.synapse_dynamics_code:
            raise NotImplementedError(f"synapse population '{name}': synapse dynamics over TOEPLITZ connectivity are "
                                      "not implemented by the embedded engine (it runs presynaptic spike and event "
                                      "code only)")
        self.kernel_size = self._kernel_size(connectivity_init)
        if matrix_type & SynapseMatrixConnectivity.BITMASK:
            self._check_bitmask(connectivity_init)
        if matrix_type & (SynapseMatrixConnectivity.PROCEDURAL | SynapseMatrixWeight.PROCEDURAL):
            self._check_procedural(connectivity_init)
        self.connectivity_extra_global_params = {}
        if connectivity_init is not None:
            self.connectivity_extra_global_params = {
                e.name: ExtraGlobalParameter(e.name, e.type, self)
                for e in connectivity_init.snippet.extra_global_params}
        self.ps_dynamic_params: set[str] = set()
        self._axonal_delay_steps = 0
        self._back_prop_delay_steps = 0
        self._max_dendritic_delay_timesteps = 1
        self._max_connections: int | None = None
        self._min_max_connections = 0
        if toeplitz:
            snip = connectivity_init.snippet
            if snip.calc_max_row_len_func is None or not self.kernel_size:
                raise ModelError(f"synapse population '{name}': Toeplitz snippet '{snip.class_name}' must give "
                                 "calc_max_row_len_func and calc_kernel_size_func")
            self._max_connections = _row_bound(snip, source, target, connectivity_init.params, name)
        elif matrix_type & (SynapseMatrixConnectivity.SPARSE | SynapseMatrixConnectivity.PROCEDURAL):
            # GeNN: the snippet's bound on row lengths, else the target's size
            snip = connectivity_init.snippet if connectivity_init is not None else None
            if snip is not None and snip.calc_max_row_len_func is not None:
                self._min_max_connections = _row_bound(snip, source, target, connectivity_init.params, name)
                self._max_connections = self._min_max_connections
            else:
                self._max_connections = target.num_neurons
        self.max_source_connections: int | None = None
        self._post_target_var = "Isyn"
        self._pre_target_var = "Isyn"
        self.parallelism_hint = ParallelismHint.POSTSYNAPTIC
        self.num_threads_per_spike = 1
        self.spike_event_recording_enabled = False
        self.out_post = Array("outPost", "scalar", self)
        self.den_delay = Array("denDelay", "scalar", self)
        #: GeNN's 8/16-bit postsynaptic indices of SPARSE connectivity (a memory saving): uint8_t for targets of up
        #: to 255 neurons, uint16_t up to 65,535, else 32-bit
        self.narrow_sparse_ind_enabled = bool(getattr(model, "default_narrow_sparse_ind_enabled", False))
        default = getattr(model, "default_sparse_connectivity_location", None)
        self._sparse_connectivity_location = VarLocation.HOST_DEVICE if default is None else \
            check_location(default, "default_sparse_connectivity_location")
        self._manual_connectivity: tuple[np.ndarray, np.ndarray] | None = None
        self.connections_set = False

    def _check_bitmask(self, init) -> None:
        """BITMASK stores one bit per pair (GeNN's rules): no per-synapse variables, a connectivity snippet that
        builds it, presynaptic code only."""
        wu, owner = self.wu_model, f"synapse population '{self.name}'"
        per_synapse = [v.name for v in wu.vars if get_var_access_dim(v.access) & VarAccessDim.ELEMENT]
        if per_synapse or self.kernel_size:
            raise ModelError(f"{owner}: BITMASK connectivity can only be used with weight update models without "
                             f"per-synapse variables (this one has {per_synapse}), such as StaticPulseConstantWeight")
        if init is None or not (init.snippet.row_build_code or init.snippet.col_build_code):
            raise ModelError(f"{owner}: BITMASK connectivity is built by a connectivity snippet: pass "
                             "init_sparse_connectivity(...)")
        if wu.post_spike_syn_code or wu.post_event_syn_code or wu.synapse_dynamics_code:
            raise NotImplementedError(f"{owner}: BITMASK connectivity only runs presynaptic spike and event code "
                                      "on the embedded engine (no postsynaptic learning or synapse dynamics)")

    def _check_procedural(self, init) -> None:
        """Procedural connectivity and weights (GeNN's rules): rows regenerated by row build code, weights read-only
        and computed by init snippets (or constants), presynaptic code only."""
        wu, owner, mt = self.wu_model, f"synapse population '{self.name}'", self.matrix_type
        if mt & SynapseMatrixConnectivity.PROCEDURAL and (init is None or not init.snippet.row_build_code):
            raise ModelError(f"{owner}: {mt.name} connectivity is regenerated from a connectivity snippet's "
                             "row_build_code: pass init_sparse_connectivity(...) with one")
        if mt == SynapseMatrixType.PROCEDURAL_KERNELG and not self.kernel_size:
            raise ModelError(f"{owner}: PROCEDURAL_KERNELG needs a connectivity snippet with a kernel "
                             "(calc_kernel_size_func), such as Conv2D")
        if wu.post_spike_syn_code or wu.post_event_syn_code or wu.synapse_dynamics_code:
            raise ModelError(f"{owner}: {mt.name} connectivity cannot be used with postsynaptic spike-triggered "
                             "learning or synapse dynamics (GeNN's rule: its rows exist only while a presynaptic "
                             "spike is processed)")
        if mt & SynapseMatrixWeight.PROCEDURAL:
            for v in self.vars.values():
                if not get_var_access_dim(v.access) & VarAccessDim.ELEMENT:
                    continue
                if get_var_access_mode(v.access) != VarAccessMode.READ_ONLY:
                    raise ModelError(f"{owner}: procedural weights are recomputed for each synapse, so variable "
                                     f"'{v.name}' must be read-only (VarAccess.READ_ONLY)")
                if not (isinstance(v.init_values, VarInit) or np.ndim(v.init_values) == 0):
                    raise ModelError(f"{owner}: procedural weight '{v.name}' needs a var-init snippet or one "
                                     "number: its values are not stored")

    def _kernel_size(self, init) -> tuple[int, ...]:
        """The kernel a Toeplitz (or kernel-based sparse) snippet gives its synapses, e.g. (3, 3, 1, 1)."""
        if init is None:
            return ()
        try:
            return kernel_size(init.snippet, init.params)
        except NonPositiveKernel as exc:
            raise ModelError(f"synapse population '{self.name}': {exc}") from None

    # -- delays and targets (checked when set) ------------------------------------------
    @property
    def axonal_delay_steps(self) -> int:
        return self._axonal_delay_steps

    @axonal_delay_steps.setter
    def axonal_delay_steps(self, value: int) -> None:
        self._check_not_built()
        self._axonal_delay_steps = _non_negative_int(value, f"synapse population '{self.name}'",
                                                     "axonal_delay_steps")

    @property
    def back_prop_delay_steps(self) -> int:
        return self._back_prop_delay_steps

    @back_prop_delay_steps.setter
    def back_prop_delay_steps(self, value: int) -> None:
        self._check_not_built()
        self._back_prop_delay_steps = _non_negative_int(value, f"synapse population '{self.name}'",
                                                        "back_prop_delay_steps")

    @property
    def max_dendritic_delay_timesteps(self) -> int:
        return self._max_dendritic_delay_timesteps

    @max_dendritic_delay_timesteps.setter
    def max_dendritic_delay_timesteps(self, value: int) -> None:
        self._check_not_built()
        value = _non_negative_int(value, f"synapse population '{self.name}'", "max_dendritic_delay_timesteps")
        if value < 1:
            raise ModelError(f"synapse population '{self.name}': max_dendritic_delay_timesteps must be >= 1")
        self._max_dendritic_delay_timesteps = value

    def _target_input(self, value: str, pop: NeuronGroup, what: str) -> str:
        self._check_not_built()
        if value not in _inputs(pop):
            raise ModelError(f"synapse population '{self.name}': {what} '{value}' is not an input of "
                             f"'{pop.name}' (it has {_inputs(pop)})")
        return value

    @property
    def post_target_var(self) -> str:
        """The input of the target neurons this group's postsynaptic model injects into (``Isyn`` or an
        additional input variable of the target's neuron model)."""
        return self._post_target_var

    @post_target_var.setter
    def post_target_var(self, value: str) -> None:
        self._post_target_var = self._target_input(value, self.trg, "post_target_var")

    @property
    def pre_target_var(self) -> str:
        """The input of the source neurons ``addToPre`` accumulates into."""
        return self._pre_target_var

    @pre_target_var.setter
    def pre_target_var(self, value: str) -> None:
        self._pre_target_var = self._target_input(value, self.src, "pre_target_var")

    # -- connectivity ----------------------------------------------------
    @property
    def max_connections(self) -> int | None:
        """Row capacity of SPARSE connectivity (GeNN's default: the snippet's bound, else the target size)."""
        return self._max_connections

    @max_connections.setter
    def max_connections(self, value: int) -> None:
        self._check_not_built()
        value = int(value)
        if value < self._min_max_connections:
            raise ModelError(f"synapse population '{self.name}': max_connections {value} is below the "
                             f"{self._min_max_connections} its connectivity snippet can produce per row")
        self._max_connections = value

    @property
    def synapse_bound(self) -> int:
        """The most synapses this group can hold, known before ``load()``: the connections given with
        ``set_sparse_connections``, else every pre-post pair (DENSE, BITMASK) or the row capacity times the
        presynaptic neurons (SPARSE, PROCEDURAL, TOEPLITZ)."""
        if self._manual_connectivity is not None:
            return int(len(self._manual_connectivity[0]))
        row = self._max_connections if self._max_connections is not None else self.trg.num_neurons
        return int(self.src.num_neurons) * int(row)

    @property
    def sparse_connectivity_initialiser(self):
        return self.connectivity_initialiser

    def set_sparse_connections(self, pre_indices, post_indices) -> None:
        """Give SPARSE connectivity explicitly as matching pre and post index arrays."""
        if not self.matrix_type & SynapseMatrixConnectivity.SPARSE:
            raise ModelError(f"'{self.name}': set_sparse_connections needs SPARSE connectivity")
        if self._model._loaded:
            raise ModelError(f"'{self.name}': set_sparse_connections after load() would change nothing (the "
                             "connectivity is built at load); call it before load(), or change a loaded model's "
                             "synapses with a custom connectivity update")
        pre = np.asarray(pre_indices, dtype=np.int64).ravel()
        post = np.asarray(post_indices, dtype=np.int64).ravel()
        if pre.shape != post.shape:
            raise ModelError(f"'{self.name}': pre_indices ({pre.size}) and post_indices ({post.size}) "
                             "must have the same length")
        if pre.size and (pre.min() < 0 or pre.max() >= self.src.num_neurons):
            raise ModelError(f"'{self.name}': pre_indices must lie in [0, {self.src.num_neurons})")
        if post.size and (post.min() < 0 or post.max() >= self.trg.num_neurons):
            raise ModelError(f"'{self.name}': post_indices must lie in [0, {self.trg.num_neurons})")
        self.synapse_order = np.lexsort((post, pre))
        self._manual_connectivity = (pre, post)
        row_lengths = np.bincount(pre, minlength=self.src.num_neurons)
        self._max_connections = int(row_lengths.max()) if row_lengths.size else 0
        self.connections_set = True

    def _require_sparse(self, what: str):
        runtime = self._model._require_loaded()
        if not self.matrix_type & SynapseMatrixConnectivity.SPARSE:
            raise ModelError(f"{what} only supports SPARSE connectivity")
        self._require_host_connectivity()
        return runtime

    def _require_host_connectivity(self) -> None:
        if not self._sparse_connectivity_location & VarLocationAttribute.HOST:
            raise ModelError(f"the connectivity of '{self.name}' is located on the device only "
                             f"({self._sparse_connectivity_location.name}): it has no host copy; set "
                             "sparse_connectivity_location to VarLocation.HOST_DEVICE before build()")

    # -- locations (PyGeNN's names) ----------------------------------------
    output_location = array_location_property("out_post", "Where the postsynaptic input (out_post) lives.")
    dendritic_delay_location = array_location_property("den_delay", "Where the dendritic delay buffer lives.")

    @property
    def sparse_connectivity_location(self) -> VarLocation:
        """Where the connectivity (row lengths and indices) lives."""
        return self._sparse_connectivity_location

    @sparse_connectivity_location.setter
    def sparse_connectivity_location(self, location) -> None:
        self._check_not_built()
        self._sparse_connectivity_location = check_location(location, f"'{self.name}' sparse_connectivity_location")

    def set_wu_var_location(self, name: str, location) -> None:
        self._set_location(self.vars, "weight update variable", name, location)

    def get_wu_var_location(self, name: str) -> VarLocation:
        return self._get_location(self.vars, "weight update variable", name)

    def set_wu_pre_var_location(self, name: str, location) -> None:
        self._set_location(self.pre_vars, "presynaptic weight update variable", name, location)

    def get_wu_pre_var_location(self, name: str) -> VarLocation:
        return self._get_location(self.pre_vars, "presynaptic weight update variable", name)

    def set_wu_post_var_location(self, name: str, location) -> None:
        self._set_location(self.post_vars, "postsynaptic weight update variable", name, location)

    def get_wu_post_var_location(self, name: str) -> VarLocation:
        return self._get_location(self.post_vars, "postsynaptic weight update variable", name)

    def set_ps_var_location(self, name: str, location) -> None:
        self._set_location(self.psm_vars, "postsynaptic model variable", name, location)

    def get_ps_var_location(self, name: str) -> VarLocation:
        return self._get_location(self.psm_vars, "postsynaptic model variable", name)

    def set_var_location(self, name: str, location) -> None:
        raise AttributeError("a synapse population has set_wu_var_location, set_wu_pre_var_location, "
                             "set_wu_post_var_location and set_ps_var_location (PyGeNN's names)")

    get_var_location = set_var_location

    def get_sparse_pre_inds(self) -> np.ndarray:
        """The presynaptic index of every synapse, in row order (int64, as PyGeNN)."""
        return self._require_sparse("get_sparse_pre_inds").host_layout(self).pre_indices

    def get_sparse_post_inds(self) -> np.ndarray:
        """The postsynaptic index of every synapse, in row order."""
        return self._require_sparse("get_sparse_post_inds").host_layout(self).post_indices

    @property
    def pre_spike_event_recording_data(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Recorded presynaptic spike-like events ``[(times, ids)]`` per batch (the source population needs
        ``spike_event_recording_enabled``)."""
        return self._model._require_loaded().recorded_events(self, "pre")

    @property
    def post_spike_event_recording_data(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Recorded postsynaptic spike-like events ``[(times, ids)]`` per batch (the target population needs
        ``spike_event_recording_enabled``)."""
        return self._model._require_loaded().recorded_events(self, "post")

    def pull_connectivity_from_device(self) -> None:
        self._require_host_connectivity()
        self._model._require_loaded().pull_connectivity(self)

    def push_connectivity_to_device(self) -> None:
        self._require_host_connectivity()
        self._model._require_loaded().push_connectivity(self)

    @property
    def weight_update_var_size(self) -> int:
        """Elements of each per-synapse variable (rows padded to the row capacity for SPARSE; the kernel for
        TOEPLITZ)."""
        runtime = self._model._require_loaded()
        return runtime.plan.connectivity[self].synapse_count(runtime.info)

    # -- dynamic params --------------------------------------------------
    def set_wu_param_dynamic(self, param_name: str, dynamic: bool = True) -> None:
        self.set_param_dynamic(param_name, dynamic)

    def set_ps_param_dynamic(self, param_name: str, dynamic: bool = True) -> None:
        self._check_not_built()
        if param_name not in self.ps_params:
            raise ModelError(f"'{self.name}' postsynaptic model has no parameter '{param_name}'")
        (self.ps_dynamic_params.add if dynamic else self.ps_dynamic_params.discard)(param_name)

    set_psm_param_dynamic = set_ps_param_dynamic

    def set_dynamic_param_value(self, param_name: str, value: float) -> None:
        """Set a dynamic weight-update or postsynaptic parameter (one name table, as GeNN's runtime)."""
        if param_name in self.dynamic_params:
            self._model._require_loaded().set_dynamic_param(self, "", param_name, value)
        elif param_name in self.ps_dynamic_params:
            self._model._require_loaded().set_dynamic_param(self, "ps", param_name, value)
        else:
            raise ModelError(f"parameter '{param_name}' of '{self.name}' is not dynamic; call "
                             "set_wu_param_dynamic() or set_ps_param_dynamic() before build()")

    def set_wu_dynamic_param_value(self, param_name: str, value: float) -> None:
        self.set_dynamic_param_value(param_name, value)

    def set_ps_dynamic_param_value(self, param_name: str, value: float) -> None:
        if param_name not in self.ps_dynamic_params:
            raise ModelError(f"postsynaptic parameter '{param_name}' of '{self.name}' is not dynamic")
        self._model._require_loaded().set_dynamic_param(self, "ps", param_name, value)

    set_psm_dynamic_param_value = set_ps_dynamic_param_value

    def _check_var(self, var_name: str, where: str = "wu") -> None:
        table = {"wu": self.vars, "pre": self.pre_vars, "post": self.post_vars, "psm": self.psm_vars}[where]
        if var_name not in table:
            raise ModelError(f"synapse population '{self.name}' has no {where} variable '{var_name}'; "
                             f"it has {sorted(table)}")

    def all_arrays(self) -> list[ArrayBase]:
        return (list(self.vars.values()) + list(self.pre_vars.values()) + list(self.post_vars.values())
                + list(self.psm_vars.values()) + list(self.extra_global_params.values())
                + list(self.psm_extra_global_params.values())
                + list(self.connectivity_extra_global_params.values()))

    # deprecated PyGeNN names
    def get_var_values(self, var_name: str) -> np.ndarray:
        return self.vars[var_name].values


class CurrentSource(Group):
    def __init__(self, model: GeNNModel, name: str, cs_model, pop: NeuronGroup, params: dict, vars: dict,
                 var_refs: dict):
        super().__init__(model, name)
        if not isinstance(pop, NeuronGroup):
            raise ModelError(f"current source '{name}': target must be a neuron population")
        self.model = cs_model
        self.pop = pop
        self.params = _check_params(cs_model, params, name, "current source model")
        self.vars = prepare_vars(cs_model.vars, vars, self)
        self.var_refs = dict(var_refs or {})
        check_neuron_var_refs(cs_model.neuron_var_refs, self.var_refs, pop, f"current source '{name}'")
        self.extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self)
                                    for e in cs_model.extra_global_params}
        self._target_var = "Isyn"

    @property
    def num_neurons(self) -> int:
        return self.pop.num_neurons

    @property
    def target_var(self) -> str:
        """The input of the target neurons ``injectCurrent`` adds to."""
        return self._target_var

    @target_var.setter
    def target_var(self, value: str) -> None:
        if self._model._built:
            raise RuntimeError("GeNN model already built")
        if value not in _inputs(self.pop):
            raise ModelError(f"current source '{self.name}': target_var '{value}' is not an input of "
                             f"'{self.pop.name}' (it has {_inputs(self.pop)})")
        self._target_var = value


class CustomUpdate(Group):
    """A custom update; its references are checked here, when it is added (see :meth:`_check_references`)."""

    def __init__(self, model: GeNNModel, name: str, group_name: str, cu_model, params: dict, vars: dict,
                 var_refs: dict, egp_refs: dict):
        super().__init__(model, name)
        self.update_group_name = group_name
        self.model = cu_model
        self.params = _check_params(cu_model, params, name, "custom update model")
        self.var_refs = dict(var_refs or {})
        self.egp_refs = dict(egp_refs or {})
        self._check_reference_kinds()
        self.vars = prepare_vars(cu_model.vars, vars, self,
                                 SynapseVariable if self._attached_to_synapses() else Variable)
        self.extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self)
                                    for e in cu_model.extra_global_params}
        self._check_references()

    def _attached_to_synapses(self) -> bool:
        return any(_per_synapse(r) for r in self.var_refs.values())

    @property
    def synapse_group(self) -> SynapseGroup:
        for r in self.var_refs.values():
            if _per_synapse(r):
                return r.group.synapse_group
        raise AttributeError("custom update is not attached to a synapse group")

    @property
    def num_elements(self) -> int:
        """Neurons a custom update over neurons loops over (the size of the groups its references target)."""
        return self._num_elements

    def _check_reference_kinds(self) -> None:
        for r in self.model.var_refs:
            ref = self.var_refs.get(r.name)
            if not isinstance(ref, VarReference):
                raise ModelError(f"custom update '{self.name}': variable reference '{r.name}' is not set "
                                 "(create it with create_var_ref / create_wu_var_ref)")
        unknown = set(self.var_refs) - {r.name for r in self.model.var_refs}
        if unknown:
            raise ModelError(f"custom update '{self.name}': unknown variable reference(s) {sorted(unknown)}; "
                             f"model '{self.model.class_name}' has {sorted(r.name for r in self.model.var_refs)}")
        for r in self.model.extra_global_param_refs:
            if r.name not in self.egp_refs:
                raise ModelError(f"custom update '{self.name}': extra global parameter reference '{r.name}' "
                                 "is not set")

    def _check_references(self) -> None:
        """Sizes, shapes and types of the references, as GeNN checks them when a custom update is added."""
        syn = self._attached_to_synapses()
        kinds: set[str] = set()
        sizes = set()
        for r in self.model.var_refs:
            ref = self.var_refs[r.name]
            per_synapse = _per_synapse(ref)
            if syn and not per_synapse:
                raise ModelError(f"custom update '{self.name}': variable reference '{r.name}' points to a "
                                 f"per-neuron variable ('{ref.var_name}' of '{ref.group.name}') but the update runs "
                                 "over the synapses of a weight-update variable reference; GeNN does not allow "
                                 "mixing them")
            if not per_synapse:
                sizes.add(reference_elements(ref))
            target_type, dims = reference_type_and_dims(ref)
            resolve = self._model.resolve_type
            if target_type is not None and resolve(r.type) != resolve(target_type):
                raise ModelError(f"custom update '{self.name}': variable reference '{r.name}' has type "
                                 f"'{r.type}' but its target '{ref.var_name}' of '{ref.group.name}' has type "
                                 f"'{target_type}'")
            mode = VarAccessMode(int(r.access))
            if mode in (VarAccessMode.REDUCE_SUM, VarAccessMode.REDUCE_MAX):
                if (dims & VarAccessDim.ELEMENT) and (dims & VarAccessDim.BATCH):
                    raise ModelError(f"custom update '{self.name}': reduction reference '{r.name}' targets "
                                     f"'{ref.var_name}' of '{ref.group.name}', which has one value per neuron "
                                     "and batch; a reduction target must be shared across batches or neurons")
                kinds.add("neuron" if not dims & VarAccessDim.ELEMENT else "batch")
            transpose = ref.transpose_group
            if transpose is not None and not transpose.matrix_type & SynapseMatrixConnectivity.DENSE:
                raise ModelError(f"custom update '{self.name}': transpose needs DENSE connectivity (GeNN's rule); "
                                 f"'{transpose.name}' is {transpose.matrix_type.name}")
        for v in self.vars.values():
            mode = VarAccessMode(int(v.access) & 0x3F)
            if mode in (VarAccessMode.REDUCE_SUM, VarAccessMode.REDUCE_MAX):
                kinds.add("neuron" if int(v.access) & VarAccessDim.ELEMENT else "batch")
        if len(kinds) > 1:
            raise ModelError(f"custom update '{self.name}' cannot perform batch and neuron reductions at once")
        if not syn:
            if not sizes:
                raise ModelError(f"custom update '{self.name}' has no variable references to attach it to a group")
            if len(sizes) > 1:
                raise ModelError(f"custom update '{self.name}': its variable references target groups of "
                                 f"different sizes {sorted(sizes)}")
        self._num_elements = sizes.pop() if sizes else 0


def _per_synapse(ref: VarReference) -> bool:
    """Whether a reference targets a per-synapse variable (of a synapse group, or of a custom update or custom
    connectivity update over its synapses)."""
    return ref.kind in ("wu", "ccu") or (ref.kind == "custom_update" and ref.group._attached_to_synapses())


class CustomConnectivityUpdate(Group):
    """A custom connectivity update: row code that adds and removes synapses of one SPARSE synapse group."""

    def __init__(self, model: GeNNModel, name: str, group_name: str, sg: SynapseGroup, ccu_model, params: dict,
                 vars: dict, pre_vars: dict, post_vars: dict, var_refs: dict, pre_var_refs: dict,
                 post_var_refs: dict, egp_refs: dict):
        super().__init__(model, name)
        owner = f"custom connectivity update '{name}'"
        if not isinstance(sg, SynapseGroup):
            raise ModelError(f"{owner}: it needs a synapse group from add_synapse_population, got "
                             f"{type(sg).__name__}")
        if not sg.matrix_type & SynapseMatrixConnectivity.SPARSE:
            raise ModelError(f"{owner}: custom connectivity updates need SPARSE connectivity ('{sg.name}' is "
                             f"{sg.matrix_type.name})")
        self.update_group_name = group_name
        self.synapse_group = sg
        self.model = ccu_model
        self.params = _check_params(ccu_model, params, name, "custom connectivity update model")
        self.vars = prepare_vars(ccu_model.vars, vars, self, SynapseVariable, "synaptic variable")
        self.pre_vars = prepare_vars(ccu_model.pre_vars, pre_vars, self, what="presynaptic variable")
        self.post_vars = prepare_vars(ccu_model.post_vars, post_vars, self, what="postsynaptic variable")
        self.var_refs = dict(var_refs or {})
        self.pre_var_refs = dict(pre_var_refs or {})
        self.post_var_refs = dict(post_var_refs or {})
        self.egp_refs = dict(egp_refs or {})
        self.extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self)
                                    for e in ccu_model.extra_global_params}
        self._check_references(owner)

    def set_pre_var_location(self, name: str, location) -> None:
        self._set_location(self.pre_vars, "presynaptic variable", name, location)

    def get_pre_var_location(self, name: str) -> VarLocation:
        return self._get_location(self.pre_vars, "presynaptic variable", name)

    def set_post_var_location(self, name: str, location) -> None:
        self._set_location(self.post_vars, "postsynaptic variable", name, location)

    def get_post_var_location(self, name: str) -> VarLocation:
        return self._get_location(self.post_vars, "postsynaptic variable", name)

    def _check_var(self, var_name: str, where: str = "") -> None:
        table = {"": self.vars, "pre": self.pre_vars, "post": self.post_vars}[where]
        if var_name not in table:
            raise ModelError(f"custom connectivity update '{self.name}' has no {where or 'synaptic'} variable "
                             f"'{var_name}'; it has {sorted(table)}")

    def _check_references(self, owner: str) -> None:
        sg = self.synapse_group
        for defs, given, what, check in (
                (self.model.var_refs, self.var_refs, "variable", lambda r: _per_synapse(r) and r.group.synapse_group
                 is sg),
                (self.model.pre_var_refs, self.pre_var_refs, "presynaptic variable",
                 lambda r: not _per_synapse(r) and reference_elements(r) == sg.src.num_neurons),
                (self.model.post_var_refs, self.post_var_refs, "postsynaptic variable",
                 lambda r: not _per_synapse(r) and reference_elements(r) == sg.trg.num_neurons)):
            reject_unknown_refs(defs, given, owner, what)
            for r in defs:
                ref = given.get(r.name)
                if not isinstance(ref, VarReference):
                    raise ModelError(f"{owner}: {what} reference '{r.name}' is not set (create it with "
                                     "create_var_ref / create_wu_var_ref)")
                if not check(ref):
                    raise ModelError(f"{owner}: {what} reference '{r.name}' must point to a "
                                     f"{'per-synapse variable of' if what == 'variable' else 'variable of the'} "
                                     f"{'' if what == 'variable' else what.split()[0] + ' neurons of '}"
                                     f"'{sg.name}', not '{ref.var_name}' of '{ref.group.name}'")
                target_type, _ = reference_type_and_dims(ref)
                resolve = self._model.resolve_type
                if target_type is not None and resolve(r.type) != resolve(target_type):
                    raise ModelError(f"{owner}: {what} reference '{r.name}' has type '{r.type}' but its target "
                                     f"'{ref.var_name}' of '{ref.group.name}' has type '{target_type}'")
        for r in self.model.extra_global_param_refs:
            if r.name not in self.egp_refs:
                raise ModelError(f"{owner}: extra global parameter reference '{r.name}' is not set")

    def all_arrays(self) -> list[ArrayBase]:
        return (list(self.vars.values()) + list(self.pre_vars.values()) + list(self.post_vars.values())
                + list(self.extra_global_params.values()))
