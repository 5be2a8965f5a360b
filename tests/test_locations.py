"""Array locations (PyGeNN's ``VarLocation``): accepted, reported back, and an array on the device only has no
host copy to touch."""

from __future__ import annotations

import numpy as np
import pytest

import genn_neuromod as pygenn
from genn_neuromod import ModelError, VarLocation, init_postsynaptic, init_weight_update

IZH = {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0}


def _model(**defaults):
    model = pygenn.GeNNModel("double", "locations")
    for name, value in defaults.items():
        setattr(model, name, value)
    pop = model.add_neuron_population("Pop", 4, "Izhikevich", IZH, {"V": -65.0, "U": -13.0})
    sg = model.add_synapse_population("S", "SPARSE", pop, pop, init_weight_update("StaticPulse", {}, {"g": 1.0}),
                                      init_postsynaptic("DeltaCurr"))
    sg.set_sparse_connections(np.arange(4), np.roll(np.arange(4), 1))
    return model, pop, sg


def test_defaults_are_host_device_and_reported():
    model, pop, sg = _model()
    assert model.default_var_location == VarLocation.HOST_DEVICE
    assert pop.get_var_location("V") == VarLocation.HOST_DEVICE
    assert pop.spike_time_location == VarLocation.HOST_DEVICE
    assert sg.get_wu_var_location("g") == VarLocation.HOST_DEVICE
    assert sg.output_location == sg.dendritic_delay_location == VarLocation.HOST_DEVICE
    assert sg.sparse_connectivity_location == VarLocation.HOST_DEVICE


def test_model_defaults_apply_to_groups_added_after():
    model, pop, sg = _model(default_var_location=VarLocation.HOST_DEVICE_ZERO_COPY,
                            default_sparse_connectivity_location=VarLocation.DEVICE)
    assert pop.get_var_location("U") == VarLocation.HOST_DEVICE_ZERO_COPY
    assert pop.prev_spike_time_location == VarLocation.HOST_DEVICE_ZERO_COPY
    assert sg.get_wu_var_location("g") == VarLocation.HOST_DEVICE_ZERO_COPY
    assert sg.sparse_connectivity_location == VarLocation.DEVICE


def test_set_and_get_round_trip():
    _, pop, sg = _model()
    pop.set_var_location("U", VarLocation.DEVICE)
    sg.set_wu_var_location("g", VarLocation.HOST_DEVICE_ZERO_COPY)
    sg.output_location = VarLocation.DEVICE
    pop.spike_time_location = VarLocation.DEVICE
    assert pop.get_var_location("U") == VarLocation.DEVICE and pop.get_var_location("V") == VarLocation.HOST_DEVICE
    assert sg.get_wu_var_location("g") == VarLocation.HOST_DEVICE_ZERO_COPY
    assert sg.output_location == VarLocation.DEVICE and pop.spike_time_location == VarLocation.DEVICE


@pytest.mark.parametrize("call, message", [
    (lambda pop, sg: pop.set_var_location("W", VarLocation.DEVICE), "'Pop' has no variable 'W'; it has \\['U', 'V'\\]"),
    (lambda pop, sg: pop.set_var_location("V", 5), "5 is not a location"),
    (lambda pop, sg: pop.set_var_location("V", "DEVICE"), "'DEVICE' is not a location"),
    (lambda pop, sg: sg.set_wu_var_location("w", VarLocation.DEVICE), "no weight update variable 'w'"),
    (lambda pop, sg: setattr(sg, "sparse_connectivity_location", None), "None is not a location"),
])
def test_bad_locations_are_refused(call, message):
    _, pop, sg = _model()
    with pytest.raises(ModelError, match=message):
        call(pop, sg)


def test_bad_model_default_is_refused():
    model = pygenn.GeNNModel("double", "bad_default")
    with pytest.raises(ModelError, match="default_var_location: 9 is not a location"):
        model.default_var_location = 9


def test_device_only_arrays_have_no_host_copy(tmp_path):
    model, pop, sg = _model()
    pop.set_var_location("U", VarLocation.DEVICE)
    sg.sparse_connectivity_location = VarLocation.DEVICE
    model.build(str(tmp_path))
    model.load()
    model.step_time()
    np.testing.assert_allclose(pop.vars["V"].values, pop.vars["V"].view)  # still on the host
    for touch in (lambda: pop.vars["U"].values, lambda: pop.vars["U"].view, pop.vars["U"].pull_from_device,
                  pop.vars["U"].push_to_device):
        with pytest.raises(ModelError, match="'U' of 'Pop' is located on the device only"):
            touch()
    assert pop.vars["U"]._view is None  # PyGeNN's attribute for an array without a host copy
    with pytest.raises(ModelError, match="connectivity of 'S' is located on the device only"):
        sg.get_sparse_pre_inds()
    # the device copy was initialised and runs: U = -13 at load, then one Izhikevich step
    assert np.all(pop.vars["V"].values != -65.0)


def test_locations_are_fixed_at_build(tmp_path):
    model, pop, sg = _model()
    model.build(str(tmp_path))
    with pytest.raises(RuntimeError, match="already built"):
        pop.set_var_location("V", VarLocation.DEVICE)
    with pytest.raises(RuntimeError, match="already built"):
        sg.output_location = VarLocation.DEVICE


def test_custom_connectivity_update_pre_and_post_locations():
    model, pop, sg = _model()
    ccu_model = pygenn.create_custom_connectivity_update_model(
        "ccu_loc", pre_vars=[("a", "scalar")], post_vars=[("b", "scalar")], row_update_code="")
    ccu = model.add_custom_connectivity_update("C", "C", sg, ccu_model, pre_vars={"a": 0.0}, post_vars={"b": 0.0})
    ccu.set_pre_var_location("a", VarLocation.DEVICE)
    assert ccu.get_pre_var_location("a") == VarLocation.DEVICE
    assert ccu.get_post_var_location("b") == VarLocation.HOST_DEVICE
    with pytest.raises(ModelError, match="no postsynaptic variable 'a'"):
        ccu.set_post_var_location("a", VarLocation.DEVICE)


def test_custom_update_and_current_source_locations():
    model, pop, _ = _model()
    cs = model.add_current_source("DC", "DC", pop, {"amp": 1.0})
    cu_model = pygenn.create_custom_update_model("cu_loc", vars=[("x", "scalar")], var_refs=[("V", "scalar")],
                                                 update_code="x += V;")
    cu = model.add_custom_update("CU", "G", cu_model, {}, {"x": 0.0}, {"V": pygenn.create_var_ref(pop, "V")})
    cu.set_var_location("x", VarLocation.HOST_DEVICE_ZERO_COPY)
    assert cu.get_var_location("x") == VarLocation.HOST_DEVICE_ZERO_COPY
    with pytest.raises(ModelError, match="'DC' has no variable 'x'; it has none"):
        cs.set_var_location("x", VarLocation.DEVICE)
