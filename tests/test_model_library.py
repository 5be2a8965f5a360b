"""Every library model loads on both engines; neuron models give the same trajectories on real GeNN."""

from __future__ import annotations

import os

import numpy as np
import pytest

import genn_neuromod
from genn_neuromod.models import available_models, load_model

MODELS = available_models()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_loads_by_name(name):
    model = load_model(name)
    assert model.class_name == name
    assert MODELS[name].summary, f"{name} has no summary line for docs/models.md"


def _run_neuron(pg, name: str, tmp_path) -> dict[str, np.ndarray]:
    spec = MODELS[name]
    model = pg.GeNNModel("double", f"lib_{name}", backend="single_threaded_cpu")
    model.dt = 0.5
    nm = load_model(name, backend=pg)
    param_names = [p if isinstance(p, str) else p[0] for p in spec.data.get("params", [])]
    params = {p: spec.defaults[p] for p in param_names}
    var_names = [v[0] for v in spec.data.get("vars", [])]
    vars_ = {v: spec.defaults.get(v, 0.0) for v in var_names}
    pop = model.add_neuron_population("Pop", 8, nm, params, vars_)
    drive = pg.create_current_source_model("ramp", injection_code="injectCurrent(0.5 + 0.25 * id);")
    model.add_current_source("Drive", drive, pop)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        model.build()
        model.load()
        for _ in range(200):
            model.step_time()
        out = {}
        for v in var_names:
            pop.vars[v].pull_from_device()
            out[v] = np.array(pop.vars[v].values, dtype=float)
        return out
    finally:
        os.chdir(cwd)


NEURONS = sorted(n for n, s in MODELS.items() if s.kind == "neuron" and not s.data.get("extra_global_params"))


@pytest.mark.parametrize("name", NEURONS)
def test_neuron_model_same_on_real_genn(tmp_path, name):
    pygenn = pytest.importorskip("pygenn")
    (tmp_path / "genn").mkdir()
    (tmp_path / "ours").mkdir()
    ref = _run_neuron(pygenn, name, tmp_path / "genn")
    ours = _run_neuron(genn_neuromod, name, tmp_path / "ours")
    for v in ref:
        np.testing.assert_allclose(ours[v], ref[v], rtol=0, atol=1e-10, err_msg=f"{name}.{v}")


@pytest.mark.parametrize("name", sorted(n for n, s in MODELS.items() if s.kind != "neuron"))
def test_other_models_are_valid_pygenn_definitions(name):
    pygenn = pytest.importorskip("pygenn")
    assert load_model(name, backend=pygenn) is not None
