"""The arrays a group exposes (``vars[...]``, ``extra_global_params[...]``, spike times, ...).

An array object is a handle: the numbers live in the runtime of the loaded model, which the handle asks
for them (``view``, ``values``, ``pull_from_device``, ...).  Before ``load()`` only initial values can be
set.  On the CPU backend ``view`` is the live state itself (zero-copy); on a device backend it is the host
mirror that ``pull_from_device``/``push_to_device`` keep in step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..compiler.errors import ModelError
from .enums import VarAccessDim, VarLocation, VarLocationAttribute, get_var_access_dim
from .init import VarInit
from .locations import default_location, require_host
from .validate import check_shape, check_values_fit


class ArrayBase:
    """An array of the running model; its data belong to the runtime after ``load()``."""

    def __init__(self, name: str, type_name: str, group: Any):
        self.name = name
        self.type = type_name
        self.group = group
        #: where the array lives (``VarLocation``); see :mod:`.locations`
        self.location = VarLocation.HOST_DEVICE

    def _runtime(self):
        return self.group._model._runtime

    def _loaded(self):
        runtime = self._runtime()
        if runtime is None:
            raise RuntimeError(f"'{self.name}' of '{self.group.name}' is not available: call model.load() first")
        return runtime

    def pull_from_device(self) -> None:
        require_host(self)
        self._loaded().pull(self)

    def push_to_device(self) -> None:
        require_host(self)
        self._loaded().push(self)

    @property
    def view(self) -> np.ndarray:
        require_host(self)
        return self._loaded().view(self)

    # PyGeNN's own attributes, read by scripts and GeNN's tests: None unless the model is loaded (and, as in
    # PyGeNN, for an array with no host copy)
    @property
    def _view(self) -> np.ndarray | None:
        runtime = self._runtime()
        if runtime is None or not self.location & VarLocationAttribute.HOST:
            return None
        return runtime.view(self)

    @property
    def _array(self) -> np.ndarray | None:
        view = self._view
        return None if view is None else view.reshape(-1)

    @property
    def __cuda_array_interface__(self) -> dict:
        """The device copy of this array (``cuda`` backend only), for CuPy, PyTorch, Numba..."""
        device_array = getattr(self._runtime(), "device_array", None)
        if device_array is None:
            raise AttributeError(f"'{self.name}' of '{self.group.name}' has no device copy: "
                                 "__cuda_array_interface__ needs a model loaded with backend='cuda'")
        return device_array(self).__cuda_array_interface__


class Array(ArrayBase):
    """An internal array exposed read/write (spike times, ``out_post``)."""

    def __init__(self, name: str, type_name: str, group: Any):
        super().__init__(name, type_name, group)
        self.location = default_location(getattr(group, "_model", None))


class Variable(ArrayBase):
    """A per-neuron (or per-group) state variable."""

    def __init__(self, name: str, type_name: str, access: int, group: Any, init_values: Any = None):
        super().__init__(name, type_name, group)
        self.location = default_location(getattr(group, "_model", None))
        self.access = access
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
        from .groups import CustomUpdate

        if isinstance(self.group, CustomUpdate):
            return (VarAccessDim.ELEMENT | VarAccessDim.BATCH) & ~get_var_access_dim(self.access)
        return get_var_access_dim(self.access)

    @property
    def current_view(self) -> np.ndarray:
        """The view of the current delay slot (the whole view when the variable is not delayed)."""
        require_host(self)
        return self._loaded().current_view(self)

    @property
    def values(self) -> np.ndarray:
        return np.copy(self.view)

    @values.setter
    def values(self, vals) -> None:
        view = self.view
        check_values_fit(vals, self.type, f"values of '{self.name}'", f"'{self.group.name}'")
        view[...] = check_shape(vals, view.shape, f"values of '{self.name}'", f"'{self.group.name}'")

    @property
    def current_values(self) -> np.ndarray:
        return np.copy(self.current_view)


class SynapseVariable(Variable):
    """A per-synapse variable; where the matrix type pads rows (SPARSE), values are in row order without padding."""

    def _padded(self) -> bool:
        return bool(self.dims & VarAccessDim.ELEMENT) and not self._loaded().exposes_view(self.group.synapse_group)

    @property
    def view(self) -> np.ndarray:
        require_host(self)
        if self._padded():
            raise RuntimeError("Only variables of DENSE connectivity can be accessed without copying "
                               "via 'view'; use 'values' for SPARSE")
        return self._loaded().view(self)

    @property
    def current_view(self) -> np.ndarray:
        return self.view

    @property
    def values(self) -> np.ndarray:
        require_host(self)
        runtime = self._loaded()
        view = runtime.view(self)
        if not self._padded():
            return np.copy(view)
        return view[..., runtime.host_layout(self.group.synapse_group).valid]

    @values.setter
    def values(self, vals) -> None:
        require_host(self)
        runtime = self._loaded()
        view = runtime.view(self)
        where = (f"values of '{self.name}'", f"'{self.group.name}'")
        check_values_fit(vals, self.type, *where)
        if not self._padded():
            view[...] = check_shape(vals, view.shape, *where)
        else:
            valid = runtime.host_layout(self.group.synapse_group).valid
            view[..., valid] = check_shape(vals, view[..., valid].shape, *where)

    @property
    def current_values(self) -> np.ndarray:
        return self.values


class ExtraGlobalParameter(ArrayBase):
    """An extra global parameter: an array the user sizes and fills."""

    def __init__(self, name: str, type_name: str, group: Any, init_values=None):
        super().__init__(name, type_name, group)
        self._per_instance = False
        self.set_init_values(init_values)

    @property
    def per_instance(self) -> bool:
        """One copy per batch instance (default False: every instance shares the array, as in GeNN).

        An extension of PyGeNN for batched ensembles whose kernels write an EGP (a reward schedule, a log):
        with ``per_instance = True`` (set before ``build()``) instance b reads and writes its own copy; values are
        given as ``(n,)`` (the same in every instance) or ``(batch_size, n)``, and the view has a leading batch
        axis."""
        return self._per_instance

    @per_instance.setter
    def per_instance(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"per_instance of extra global parameter '{self.name}' must be True or False, "
                            f"not {value!r}")
        if self.group._model._built:
            raise RuntimeError(f"per_instance of extra global parameter '{self.name}' of '{self.group.name}' must be "
                               "set before build()")
        self._per_instance = bool(value)

    def set_init_values(self, init_values) -> None:
        self.init_values = None if init_values is None else np.asarray(init_values)
        if self._runtime() is not None and self.init_values is not None:
            self._runtime().set_egp(self, self.init_values)

    set_values = set_init_values

    @property
    def values(self) -> np.ndarray:
        return np.copy(self.view)

    @values.setter
    def values(self, vals) -> None:
        vals = np.asarray(vals)
        runtime = self._runtime()
        if runtime is None:
            self.set_init_values(vals)
            return
        view = runtime.view(self)
        if view.shape != vals.shape:
            runtime.set_egp(self, vals)
        else:
            view[...] = vals


def prepare_vars(defs, values: dict, group, var_cls=Variable, what: str = "variable") -> dict[str, Variable]:
    """The variables of a group from its model's definitions and the initial values given."""
    values = dict(values or {})
    names = {v.name for v in defs}
    unknown = set(values) - names
    if unknown:
        raise ModelError(f"'{group.name}': unknown {what}(s) {sorted(unknown)}; "
                         f"the model has {sorted(names) or 'none'}")
    missing = [v.name for v in defs if v.name not in values]
    if missing:
        raise ModelError(f"'{group.name}': missing initial value(s) for {what}(s) {missing} (give a number, an "
                         "array, init_var(...) or None for uninitialised)")
    for v in defs:
        if not isinstance(values[v.name], VarInit):
            check_values_fit(values[v.name], v.type, f"{what} '{v.name}'", f"'{group.name}'")
    return {v.name: var_cls(v.name, v.type, v.access, group, values[v.name]) for v in defs}
