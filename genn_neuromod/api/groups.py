"""Group objects returned by ``GeNNModel.add_*`` and the arrays they expose.

Arrays are numpy-owned and shared with the generated code (zero-copy on the
CPU backend), so ``view`` is live state; ``pull_from_device``/``push_to_device``
exist for PyGeNN compatibility and move data only on device backends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..compiler.errors import ModelError
from .enums import (
    ParallelismHint,
    SynapseMatrixConnectivity,
    SynapseMatrixType,
    VarAccessDim,
    VarLocation,
    get_var_access_dim,
)
from .init import VarInit
from .snippets import check_params

if TYPE_CHECKING:  # pragma: no cover
    from .model import GeNNModel


class ArrayBase:
    """An array of the running model, bound by the runtime at ``load()``."""

    def __init__(self, name: str, type_name: str, group: Any):
        self.name = name
        self.type = type_name
        self.group = group
        self._array: np.ndarray | None = None
        self._view: np.ndarray | None = None

    def _bind(self, array: np.ndarray, shape: tuple[int, ...]) -> None:
        self._array = array
        self._view = array.reshape(shape)

    def _unbind(self) -> None:
        self._array = None
        self._view = None

    def _require_loaded(self) -> np.ndarray:
        if self._view is None:
            raise RuntimeError(f"'{self.name}' of '{self.group.name}' is not available: "
                               "call model.load() first")
        return self._view

    def _runtime(self):
        return self.group._model._runtime

    def pull_from_device(self) -> None:
        self._require_loaded()
        self._runtime().pull(self)

    def push_to_device(self) -> None:
        self._require_loaded()
        self._runtime().push(self)

    @property
    def view(self) -> np.ndarray:
        return self._require_loaded()

    @property
    def __cuda_array_interface__(self) -> dict:
        """The device copy of this array (``cuda`` backend only), for CuPy, PyTorch, Numba..."""
        runtime = self._runtime() if self._view is not None else None
        device_array = getattr(runtime, "device_array", None)
        if device_array is None:
            raise AttributeError(f"'{self.name}' of '{self.group.name}' has no device copy: "
                                 "__cuda_array_interface__ needs a model loaded with backend='cuda'")
        return device_array(self).__cuda_array_interface__


class Array(ArrayBase):
    """An internal array exposed read/write (spike times, ``out_post``)."""


class Variable(ArrayBase):
    """A per-neuron (or per-group) state variable."""

    def __init__(self, name: str, type_name: str, access: int, group: Any, init_values: Any = None,
                 delayed: bool = False):
        super().__init__(name, type_name, group)
        self.access = access
        self.delayed = delayed
        self.set_init_values(init_values)

    def set_init_values(self, init_values: Any) -> None:
        """Set the value(s) this variable is initialised with at ``load()``."""
        self.init_values = init_values
        self.init_required = init_values is not None and not isinstance(init_values, VarInit)
        self.extra_global_params = {}
        if isinstance(init_values, VarInit):
            self.extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self.group)
                                        for e in init_values.snippet.extra_global_params}

    set_values = set_init_values

    @property
    def dims(self) -> VarAccessDim:
        """The dimensions this variable has (custom-update accesses name the ones *removed*, as GeNN)."""
        if isinstance(self.group, CustomUpdate):
            return (VarAccessDim.ELEMENT | VarAccessDim.BATCH) & ~get_var_access_dim(self.access)
        return get_var_access_dim(self.access)

    @property
    def current_view(self) -> np.ndarray:
        view = self._require_loaded()
        if not self.delayed:
            return view
        return view[self._runtime().delay_slot(self.group._delay_owner(self))]

    @property
    def values(self) -> np.ndarray:
        return np.copy(self._require_loaded())

    @values.setter
    def values(self, vals) -> None:
        self._require_loaded()[...] = vals

    @property
    def current_values(self) -> np.ndarray:
        return np.copy(self.current_view)


class SynapseVariable(Variable):
    """A per-synapse variable; SPARSE values are in row order without padding."""

    @property
    def _sg(self) -> SynapseGroup:
        return self.group.synapse_group

    def _is_sparse(self) -> bool:
        return bool(self._sg.matrix_type & SynapseMatrixConnectivity.SPARSE) and bool(
            self.dims & VarAccessDim.ELEMENT)

    @property
    def view(self) -> np.ndarray:
        if self._is_sparse():
            raise RuntimeError("Only variables of DENSE connectivity can be accessed without copying "
                               "via 'view'; use 'values' for SPARSE")
        return self._require_loaded()

    @property
    def current_view(self) -> np.ndarray:
        return self.view

    @property
    def values(self) -> np.ndarray:
        view = self._require_loaded()
        if not self._is_sparse():
            return np.copy(view)
        return view[..., self._sg._valid_synapse_mask()]

    @values.setter
    def values(self, vals) -> None:
        view = self._require_loaded()
        if not self._is_sparse():
            view[...] = vals
        else:
            view[..., self._sg._valid_synapse_mask()] = vals

    @property
    def current_values(self) -> np.ndarray:
        return self.values


class ExtraGlobalParameter(ArrayBase):
    """An extra global parameter: an array the user sizes and fills."""

    def __init__(self, name: str, type_name: str, group: Any, init_values=None):
        super().__init__(name, type_name, group)
        self.set_init_values(init_values)

    def set_init_values(self, init_values) -> None:
        self.init_values = None if init_values is None else np.asarray(init_values)
        if self._view is not None and self.init_values is not None:
            self._runtime().set_egp(self, self.init_values)

    set_values = set_init_values

    @property
    def values(self) -> np.ndarray:
        return np.copy(self._require_loaded())

    @values.setter
    def values(self, vals) -> None:
        vals = np.asarray(vals)
        if self._view is None or self._view.shape != vals.shape:
            if self._view is None and not self.group._model._loaded:
                self.set_init_values(vals)
                return
            self._runtime().set_egp(self, vals)
        else:
            self._view[...] = vals


def _prepare_vars(defs, values: dict, group, var_cls=Variable, what: str = "variable") -> dict[str, Variable]:
    values = dict(values or {})
    names = {v.name for v in defs}
    unknown = set(values) - names
    if unknown:
        raise ModelError(f"'{group.name}': unknown {what}(s) {sorted(unknown)}; "
                         f"the model has {sorted(names) or 'none'}")
    return {v.name: var_cls(v.name, v.type, v.access, group, values.get(v.name)) for v in defs}


def _check_params(model, params: dict, group_name: str, what: str) -> dict:
    return check_params(model, params, f"'{group_name}'", what)


class Group:
    """Common behaviour: a name, the owning model, params and dynamic params."""

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

    def _delay_owner(self, var: Variable):
        return self

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
        self.vars = _prepare_vars(neuron_model.vars, vars, self)
        self.extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self)
                                    for e in neuron_model.extra_global_params}
        self.spike_recording_enabled = False
        self.spike_event_recording_enabled = False
        self.spike_time_location = VarLocation.HOST_DEVICE
        self.prev_spike_time_location = VarLocation.HOST_DEVICE
        self.in_syn: list[SynapseGroup] = []
        self.out_syn: list[SynapseGroup] = []
        self.current_sources: list[CurrentSource] = []
        self._num_delay_slots = 1
        self.spike_times = Array("st", "timepoint", self)
        self.prev_spike_times = Array("prev_st", "timepoint", self)

    @property
    def num_delay_slots(self) -> int:
        return self._num_delay_slots

    @property
    def spike_recording_data(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Recorded spikes as ``[(times, ids)]`` (one entry per batch), as PyGeNN 5."""
        return self._model._require_loaded().recorded_spikes(self)

    def get_var_location(self, name):  # pragma: no cover - compatibility
        return VarLocation.HOST_DEVICE

    def set_var_location(self, name, location):  # pragma: no cover - compatibility
        pass


class SynapseGroup(Group):
    def __init__(self, model: GeNNModel, name: str, matrix_type, source: NeuronGroup, target: NeuronGroup,
                 wu_init, ps_init, connectivity_init):
        super().__init__(model, name)
        if isinstance(matrix_type, str):
            try:
                matrix_type = SynapseMatrixType[matrix_type]
            except KeyError:
                raise ModelError(f"synapse population '{name}': unknown matrix type '{matrix_type}'; "
                                 "use DENSE or SPARSE") from None
        matrix_type = SynapseMatrixType(matrix_type)
        if matrix_type not in (SynapseMatrixType.DENSE, SynapseMatrixType.SPARSE):
            raise NotImplementedError(f"synapse population '{name}': matrix type {matrix_type.name} is not "
                                      "supported by the embedded engine (DENSE and SPARSE are); "
                                      "use engine='genn' for it")
        for role, pop in (("source", source), ("target", target)):
            if not isinstance(pop, NeuronGroup):
                raise ModelError(f"synapse population '{name}': {role} must be a neuron population "
                                 f"returned by add_neuron_population, got {type(pop).__name__}")
        self.matrix_type = matrix_type
        self.src = source
        self.trg = target
        self.wu_initialiser = wu_init
        self.ps_initialiser = ps_init
        self.connectivity_initialiser = connectivity_init
        self.wu_model = wu_init.snippet
        self.ps_model = ps_init.snippet
        self.params = _check_params(self.wu_model, wu_init.params, name, "weight update model")
        self.ps_params = _check_params(self.ps_model, ps_init.params, name, "postsynaptic model")
        self.synapse_group = self
        self.vars = _prepare_vars(self.wu_model.vars, wu_init.vars, self, SynapseVariable, "weight update variable")
        self.pre_vars = _prepare_vars(self.wu_model.pre_vars, wu_init.pre_vars, self, what="presynaptic variable")
        self.post_vars = _prepare_vars(self.wu_model.post_vars, wu_init.post_vars, self,
                                       what="postsynaptic variable")
        self.psm_vars = _prepare_vars(self.ps_model.vars, ps_init.vars, self, what="postsynaptic model variable")
        self.extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self)
                                    for e in self.wu_model.extra_global_params}
        self.psm_extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self)
                                        for e in self.ps_model.extra_global_params}
        self.connectivity_extra_global_params = {}
        if connectivity_init is not None:
            self.connectivity_extra_global_params = {
                e.name: ExtraGlobalParameter(e.name, e.type, self)
                for e in connectivity_init.snippet.extra_global_params}
        self.ps_dynamic_params: set[str] = set()
        self.axonal_delay_steps = 0
        self.back_prop_delay_steps = 0
        self.max_dendritic_delay_timesteps = 1
        self._max_connections: int | None = None
        self._min_max_connections = 0
        if matrix_type & SynapseMatrixConnectivity.SPARSE:
            # GeNN: the snippet's bound on row lengths, else the target's size
            snip = connectivity_init.snippet if connectivity_init is not None else None
            if snip is not None and snip.calc_max_row_len_func is not None:
                self._min_max_connections = int(snip.calc_max_row_len_func(
                    source.num_neurons, target.num_neurons, dict(connectivity_init.params)))
                self._max_connections = self._min_max_connections
            else:
                self._max_connections = target.num_neurons
        self.max_source_connections: int | None = None
        self.post_target_var = "Isyn"
        self.pre_target_var = "Isyn"
        self.parallelism_hint = ParallelismHint.POSTSYNAPTIC
        self.num_threads_per_spike = 1
        self.spike_event_recording_enabled = False
        self.out_post = Array("outPost", "scalar", self)
        self.den_delay = Array("denDelay", "scalar", self)
        self._manual_connectivity: tuple[np.ndarray, np.ndarray] | None = None
        self.connections_set = False
        self._row_stride = 0
        self._row_length: np.ndarray | None = None
        self._ind: np.ndarray | None = None

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
    def sparse_connectivity_initialiser(self):
        return self.connectivity_initialiser

    def set_sparse_connections(self, pre_indices, post_indices) -> None:
        """Give SPARSE connectivity explicitly as matching pre and post index arrays."""
        if not self.matrix_type & SynapseMatrixConnectivity.SPARSE:
            raise ModelError(f"'{self.name}': set_sparse_connections needs SPARSE connectivity")
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

    def _valid_synapse_mask(self) -> np.ndarray:
        stride = self._row_stride
        rl = self._row_length
        return (np.arange(stride)[None, :] < rl[:, None]).ravel()

    def get_sparse_pre_inds(self) -> np.ndarray:
        self._model._require_loaded()
        if not self.matrix_type & SynapseMatrixConnectivity.SPARSE:
            raise ModelError("get_sparse_pre_inds only supports SPARSE connectivity")
        return np.repeat(np.arange(self.src.num_neurons, dtype=np.int64), self._row_length)  # int64 as PyGeNN

    def get_sparse_post_inds(self) -> np.ndarray:
        self._model._require_loaded()
        if not self.matrix_type & SynapseMatrixConnectivity.SPARSE:
            raise ModelError("get_sparse_post_inds only supports SPARSE connectivity")
        return self._ind[self._valid_synapse_mask()]

    def pull_connectivity_from_device(self) -> None:
        self._model._require_loaded()

    def push_connectivity_to_device(self) -> None:
        self._model._require_loaded()

    @property
    def weight_update_var_size(self) -> int:
        if self.matrix_type & SynapseMatrixConnectivity.DENSE:
            return self.src.num_neurons * self.trg.num_neurons
        return self.src.num_neurons * self._row_stride

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

    def _delay_owner(self, var: Variable):
        if var.name in self.pre_vars and self.pre_vars[var.name] is var:
            return self.src
        return self.trg

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
        self.vars = _prepare_vars(cs_model.vars, vars, self)
        self.var_refs = dict(var_refs or {})
        self.extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self)
                                    for e in cs_model.extra_global_params}
        self.target_var = "Isyn"

    @property
    def num_neurons(self) -> int:
        return self.pop.num_neurons


class CustomUpdate(Group):
    def __init__(self, model: GeNNModel, name: str, group_name: str, cu_model, params: dict, vars: dict,
                 var_refs: dict, egp_refs: dict):
        super().__init__(model, name)
        self.update_group_name = group_name
        self.model = cu_model
        self.params = _check_params(cu_model, params, name, "custom update model")
        self.var_refs = dict(var_refs or {})
        self.egp_refs = dict(egp_refs or {})
        self.vars = _prepare_vars(cu_model.vars, vars, self,
                                  SynapseVariable if self._attached_to_synapses() else Variable)
        self.extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self)
                                    for e in cu_model.extra_global_params}

    def _attached_to_synapses(self) -> bool:
        from .refs import VarReference

        refs = [r for r in self.var_refs.values() if isinstance(r, VarReference)]
        return any(r.kind == "wu" or (r.kind == "custom_update" and r.group._attached_to_synapses())
                   for r in refs)

    @property
    def synapse_group(self) -> SynapseGroup:
        for r in self.var_refs.values():
            if r.kind == "wu":
                return r.group
            if r.kind == "custom_update" and r.group._attached_to_synapses():
                return r.group.synapse_group
        raise AttributeError("custom update is not attached to a synapse group")
