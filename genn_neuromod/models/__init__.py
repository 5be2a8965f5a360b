"""The model library: declarative GeNN-5 models, one TOML file per model, loadable by name.

A model file names its ``kind`` (``neuron``, ``weight_update``, ``postsynaptic``,
``current_source``, ``custom_update``, ``var_init``, ``sparse_connectivity``) and
the keyword arguments of the matching PyGeNN ``create_*`` function::

    kind = "neuron"
    name = "AdaptiveLIF"
    summary = "Leaky integrate-and-fire with spike-triggered adaptation"
    references = ["Brette & Gerstner (2005)"]
    params = [["C", "scalar"], "TauM", ...]        # or plain names
    vars = [["V", "scalar"], ["A", "scalar", "READ_ONLY"]]
    sim_code = '''...'''
    [units]                                         # documentation only
    V = "mV"
    [defaults]                                      # default parameter values (optional)
    TauM = 20.0

Derived parameters are Python expressions of ``pars`` and ``dt``
(``derived_params = [["ExpTC", "exp(-dt / pars['TauM'])"]]``).
Because every model is built with the public ``create_*`` API, each also runs on
real GeNN unchanged (``load_model(name, backend=pygenn)``).

Files in ``genn_neuromod/models/library`` ship with the package; add folders of
your own with :func:`add_model_folder` or the ``GENN_NEUROMOD_MODEL_PATH``
environment variable (``os.pathsep``-separated).
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..compiler.errors import ModelError

LIBRARY = Path(__file__).parent / "library"
_FOLDERS: list[Path] = [LIBRARY]

_CREATE = {
    "neuron": "create_neuron_model", "weight_update": "create_weight_update_model",
    "postsynaptic": "create_postsynaptic_model", "current_source": "create_current_source_model",
    "custom_update": "create_custom_update_model", "var_init": "create_var_init_snippet",
    "sparse_connectivity": "create_sparse_connect_init_snippet",
}
_VAR_KEYS = ("vars", "pre_vars", "post_vars")
_REF_KEYS = ("var_refs", "neuron_var_refs", "pre_neuron_var_refs", "post_neuron_var_refs", "psm_var_refs")
_DOC_KEYS = {"kind", "name", "summary", "description", "references", "units", "defaults", "equations", "tags"}


@dataclass
class ModelSpec:
    """One model file, parsed."""

    name: str
    kind: str
    path: Path
    data: dict[str, Any]
    summary: str = ""
    references: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)

    def names(self, key: str) -> list[str]:
        """The names a model file declares under ``key`` (``"params"``, ``"vars"``, ``"pre_vars"``, ...)."""
        return [entry if isinstance(entry, str) else entry[0] for entry in self.data.get(key, [])]

    def default_values(self, key: str) -> dict[str, Any]:
        """The file's defaults of the names declared under ``key``: ``spec.default_values("params")`` and
        ``spec.default_values("vars")`` give a population of this model its file defaults."""
        names = self.names(key)
        return {k: v for k, v in self.defaults.items() if k in names}


def add_model_folder(path: str | os.PathLike) -> None:
    """Make the models in ``path`` loadable by name (searched before the built-in library)."""
    p = Path(path)
    if not p.is_dir():
        raise FileNotFoundError(f"model folder '{p}' does not exist")
    if p not in _FOLDERS:
        _FOLDERS.insert(0, p)


def _folders() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("GENN_NEUROMOD_MODEL_PATH", "").split(os.pathsep) if p]
    return extra + _FOLDERS


def available_models(kind: str | None = None) -> dict[str, ModelSpec]:
    """Every model found, by name (the first folder that defines a name wins)."""
    found: dict[str, ModelSpec] = {}
    for folder in _folders():
        for path in sorted(folder.glob("**/*.toml")):
            spec = read_model_file(path)
            if spec.name not in found and (kind is None or spec.kind == kind):
                found[spec.name] = spec
    return found


def read_model_file(path: Path) -> ModelSpec:
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"model file '{path}': {exc}") from None
    for key in ("kind", "name"):
        if key not in data:
            raise ModelError(f"model file '{path}': missing '{key}'")
    if data["kind"] not in _CREATE:
        raise ModelError(f"model file '{path}': unknown kind '{data['kind']}'; use one of {sorted(_CREATE)}")
    return ModelSpec(data["name"], data["kind"], path, data, data.get("summary", ""),
                     list(data.get("references", [])), dict(data.get("units", {})), dict(data.get("defaults", {})))


def _access(value, enum_name: str, backend):
    if isinstance(value, str):
        return getattr(getattr(backend, enum_name), value)
    return value


def _derived(expr: str, name: str, model: str):
    code = compile(expr, f"<derived parameter {name} of {model}>", "eval")
    env = {k: getattr(math, k) for k in dir(math) if not k.startswith("_")}
    return lambda pars, dt: eval(code, env, {"pars": pars, "dt": dt})  # noqa: S307 - the model file's own formula


def load_model(name: str, backend=None, **changes):
    """Build a library model by name with ``backend``'s ``create_*`` (default: genn_neuromod).

    ``changes`` replace or add ``create_*`` arguments, e.g. a variant with extra code:
    ``load_model("DASTDPTimeDriven", synapse_dynamics_code=..., extra_global_params=[("log", "scalar*")])``.
    """
    if backend is None:
        import genn_neuromod as backend
    models = available_models()
    if name not in models:
        raise ModelError(f"no model named '{name}' in the library; available: {', '.join(sorted(models))}")
    spec = models[name]
    kwargs: dict[str, Any] = {}
    for key, value in spec.data.items():
        if key in _DOC_KEYS:
            continue
        if key in _VAR_KEYS:
            enum = "CustomUpdateVarAccess" if spec.kind == "custom_update" else "VarAccess"
            value = [tuple(v[:2]) + ((_access(v[2], enum, backend),) if len(v) > 2 else ()) for v in value]
        elif key in _REF_KEYS:
            value = [tuple(v[:2]) + ((_access(v[2], "VarAccessMode", backend),) if len(v) > 2 else ())
                     for v in value]
        elif key == "params":
            value = [p if isinstance(p, str) else tuple(p) for p in value]
        elif key == "derived_params":
            value = [(d[0], _derived(d[1], d[0], name)) for d in value]
        elif key in ("extra_global_params", "additional_input_vars", "extra_global_param_refs"):
            value = [tuple(v) for v in value]
        kwargs[key] = value
    kwargs.update(changes)
    return getattr(backend, _CREATE[spec.kind])(name, **kwargs)


def model_defaults(name: str, key: str | None = "params") -> dict[str, Any]:
    """The defaults a model file gives for the names declared under ``key`` (may be empty): its parameters by
    default; ``"vars"``, ``"pre_vars"`` or ``"post_vars"`` for initial values; ``None`` for every one."""
    spec = available_models()[name]
    return dict(spec.defaults) if key is None else spec.default_values(key)
