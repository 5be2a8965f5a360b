"""Mechanics of the distal-reward protocol (short runs): reward scheduling, dopamine decay, NA/ACh switching."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genn_neuromod.experiments.distal_reward import (
    CONDITIONS,
    N_EXC,
    build_network,
    run_one,
    summarise,
    switch_to_regular_spiking,
)


def _simulate(tmp_path, condition: str, seconds: int, seed: int = 3):
    model, h = build_network(condition, seed)
    h["probe"].spike_recording_enabled = False
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=1000)
    spikes, rewards, da = [], [], []
    for _ in range(seconds):
        for _ in range(100):
            model.step_time_n(10)
            h["probe"].vars["DA"].pull_from_device()
            da.append(float(h["probe"].vars["DA"].values[0]))
        model.pull_recording_buffers_from_device()
        spikes.append(h["net"].spike_recording_data[0])
        rewards.append(h["reward"].spike_recording_data[0][0])
    times = np.concatenate([s[0] for s in spikes])
    ids = np.concatenate([s[1] for s in spikes])
    return model, h, times, ids, np.concatenate(rewards), np.asarray(da)


def _pairings(times, ids, n1, n2, window=20.0):
    """Izhikevich's rule: n2 fires within `window` ms after n1's last spike, strictly later."""
    t1 = np.sort(times[ids == n1])
    out = []
    for t in np.sort(times[ids == n2]):
        earlier = t1[t1 <= t]
        if earlier.size and earlier[-1] < t and t - earlier[-1] < window:
            out.append(t)
    return np.asarray(out)


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    return _simulate(tmp_path_factory.mktemp("dr"), "izhikevich2007", 20)  # seed 3: two pairings


def test_rewards_are_scheduled_exactly_at_pairings_and_delivered_1_to_3_s_later(original):
    model, h, times, ids, rewards, _ = original
    pairs = _pairings(times, ids, h["n1"], h["n2"])
    h["reward"].vars["n_scheduled"].pull_from_device()
    assert int(h["reward"].vars["n_scheduled"].values[0]) == len(pairs)
    assert len(pairs) >= 1, "no pairing in the test window: the check would be vacuous"
    # a reward spike happens at (arrival of n2's spike, one step later) + 1000 + ceil(2000 U)
    for r in rewards:
        lag = r - pairs
        assert np.any((lag >= 1001.0 + 1.0 - 1e-6) & (lag <= 3001.0 + 1e-6)), f"reward at {r} ms matches no pairing"
    for p in pairs[pairs + 3001.0 < model.t - 1.0]:  # every reward that must be due by now was delivered
        lag = rewards - p
        assert np.any((lag >= 1002.0 - 1e-6) & (lag <= 3001.0 + 1e-6)), f"pairing at {p} ms was never rewarded"


def test_dopamine_decays_at_the_configured_rate(original):
    _, h, _, _, rewards, da = original
    decay10 = CONDITIONS["izhikevich2007"].da_decay ** 10
    t = 10.0 * np.arange(1, da.size + 1)
    quiet = [i for i in range(1, da.size) if da[i - 1] > 1e-4
             and not np.any((rewards >= t[i - 1] - 1.0) & (rewards < t[i] + 1.0))]
    assert len(quiet) > 20
    ratios = np.array([da[i] / da[i - 1] for i in quiet])
    np.testing.assert_allclose(ratios, decay10, rtol=1e-4)
    assert da.max() >= 0.45  # a reward adds 0.5


def _dopamine_from_rewards(rewards_ms: np.ndarray, steps: int, decay: float) -> np.ndarray:
    """DA after each step, rebuilt from the reward spikes: each releases 0.5 in the step after it."""
    release = np.zeros(steps)
    np.add.at(release, np.round(rewards_ms).astype(int) + 1, 0.5)
    da, x = np.zeros(steps), 0.0
    for s in range(steps):
        x = x * decay + release[s]
        da[s] = x
    return da


def test_dopamine_is_logged_every_10_ms_and_follows_the_rewards(original):
    model, h, _, _, rewards, pulled = original
    steps = int(round(model.t))
    da = _dopamine_from_rewards(rewards, steps, CONDITIONS["izhikevich2007"].da_decay)
    np.testing.assert_allclose(pulled, da[9::10], rtol=1e-4, atol=1e-6)  # pulled after steps 9, 19, ...
    dalog = h["probe"].extra_global_params["dalog"]
    dalog.pull_from_device()
    ticks = np.arange(steps - 10000, steps, 10)  # the ring buffer holds the last 1000 ticks
    np.testing.assert_allclose(np.asarray(dalog.values)[(ticks // 10) % 1000], da[ticks], rtol=1e-4, atol=1e-6)
    assert pulled.max() > 0.1


@pytest.mark.parametrize("condition", sorted(c for c, cond in CONDITIONS.items() if cond.exc_cell == "point"))
def test_only_na_ach_condition_switches_firing_mode(tmp_path, condition):
    model, h = build_network(condition, 5)
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=1000)
    model.step_time_n(500)
    mode = h["net"].vars["mode"]
    mode.pull_from_device()
    if CONDITIONS[condition].neuromodulated:
        assert np.all(mode.values[:N_EXC] == 1) and np.all(mode.values[N_EXC:] == 0)  # E cells burst under NA
        switch_to_regular_spiking(h)
        model.step_time_n(50)
        mode.pull_from_device()
        assert np.all(mode.values == 0)  # ACh: back to regular spiking
        h["net"].vars["DA"].pull_from_device()
        assert np.all(h["net"].vars["DA"].values < 0.5)
    else:
        assert np.all(mode.values == 0)


def test_one_run_writes_a_store_with_its_summary(tmp_path):
    summary = run_one("rs_fs", 2, 3.0, str(tmp_path / "run.zarr"))
    assert json.dumps(summary, sort_keys=True) == json.dumps(summarise(str(tmp_path / "run.zarr")), sort_keys=True)
    assert summary["condition"] == "rs_fs" and summary["duration_s"] == 3.0
    assert 0.5 < summary["rate_exc_hz"] < 50 and summary["rate_inh_hz"] > summary["rate_exc_hz"] / 2
    assert summary["t_learn_s"] == float("inf")  # 3 s is far too short to learn
    import zarr

    exp = zarr.open_group(str(tmp_path / "run.zarr"), mode="r")["experiment"]
    assert exp["dopamine"].shape == exp["chosen_g"].shape == (300,)  # every 10 ms
    rates = np.asarray(exp["rates"])
    for k, col in (("n1", 2), ("n2", 3)):
        t = np.asarray(exp[f"{k}_spike_times"])
        assert t.size == rates[:, col].sum() and np.all(np.diff(t) > 0) and np.all((t >= 0) & (t < 3000))


# ------------------------------------------------------------------ two-compartment excitatory cells
def test_two_compartment_soma_is_izhikevichs_2003_rs_cell():
    """TWO_COMPARTMENT's soma with the dendrite uncoupled is Izhikevich's (2003) RS cell, v' = 0.04 v^2 + 5 v + 140
    - u + I, u' = a (b v - u): spike for spike against that model integrated here (one Euler step per ms, as the
    library cell steps), for a constant and a ramping input."""
    import genn_neuromod as pg
    from genn_neuromod.experiments.distal_reward import TWO_COMPARTMENT
    from genn_neuromod.models import available_models, load_model, model_defaults

    spec = available_models()["TwoCompartmentIzhikevich"]
    params = {**model_defaults("TwoCompartmentIzhikevich", None), **TWO_COMPARTMENT, "g_c": 0.0, "bap": 0.0}
    n, steps = 6, 1000
    drive = np.linspace(2.0, 14.0, n)  # below and above rheobase (about 3.8)
    model = pg.GeNNModel("double", "rs2003", time_precision="double")
    model.dt = 1.0
    vars_ = {k: params[k] for k in spec.names("vars")}
    vars_.update(V=-65.0, U=params["b"] * (-65.0 - params["vr"]), Vd=-70.0)
    pop = model.add_neuron_population("E", n, load_model("TwoCompartmentIzhikevich"),
                                      {k: params[k] for k in spec.names("params")}, vars_)
    pop.spike_recording_enabled = True
    cs = model.add_current_source("I", pg.create_current_source_model(
        "Const", vars=[("amp", "scalar")], injection_code="injectCurrent(amp);"), pop, {}, {"amp": drive})
    assert cs is not None
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        model.build(d)
        model.load(num_recording_timesteps=steps)
        model.step_time_n(steps)
        model.pull_recording_buffers_from_device()
        times, ids = pop.spike_recording_data[0]
        model.unload()
    v, u = np.full(n, -65.0), np.full(n, 0.2 * -65.0)
    expected = []
    for step in range(steps):
        v_old = v.copy()
        v = v + (0.04 * v * v + 5.0 * v + 140.0 - u + drive)
        u = u + 0.02 * (0.2 * v_old - u)
        fired = v >= 30.0
        expected += [(float(step), int(i)) for i in np.nonzero(fired)[0]]
        v[fired] = -65.0
        u[fired] += 8.0
    got = sorted(zip(np.round(times, 6), ids.astype(int), strict=True))
    assert got == sorted(expected)
    counts = np.bincount(ids.astype(int), minlength=n)
    assert counts[0] == 0 and counts[-1] > 10  # the ramp spans silence to tonic firing


@pytest.fixture(scope="module")
def two_compartment_runs(tmp_path_factory):
    out = {}
    for cond in ("tc_coupled", "tc_isolated"):
        store = tmp_path_factory.mktemp(cond) / "run.zarr"
        out[cond] = run_one(cond, 4, 10.0, str(store))
    return out


def test_two_compartment_conditions_share_the_wiring(tmp_path):
    nets = {c: build_network(c, 7)[1] for c in ("izhikevich2007", "tc_coupled", "tc_isolated")}  # unbuilt
    for c in ("tc_coupled", "tc_isolated"):
        model, h = build_network(c, 7)
        model.build(str(tmp_path / c))
        model.load(num_recording_timesteps=10)
        assert [p.num_neurons for p, _ in h["cells"].pops] == [N_EXC, 200]
        assert (h["n1"], h["n2"]) == (nets["izhikevich2007"]["n1"], nets["izhikevich2007"]["n2"])
        exc = sum(len(sg.get_sparse_pre_inds()) for sg in h["excitatory"].values())
        assert exc == N_EXC * 100 - 1  # every excitatory synapse but the rewarded one, split over E->E and E->I
    coupled, isolated = (nets[c]["net"] for c in ("tc_coupled", "tc_isolated"))
    assert coupled.params["g_c"] > 0 and isolated.params["g_c"] == 0 and isolated.params["bap"] == 0
    assert isolated.params["c_burst"] == isolated.params["c"] and isolated.params["d_burst"] == isolated.params["d"]


def test_coupled_dendrites_make_bursts_and_isolated_ones_do_not(two_compartment_runs):
    coupled, isolated = two_compartment_runs["tc_coupled"], two_compartment_runs["tc_isolated"]
    for s in (coupled, isolated):
        assert 0.2 < s["rate_exc_hz"] < 50 and s["t_learn_s"] == float("inf")
    assert coupled["burst_fraction_exc"] > 0.05
    assert coupled["burst_fraction_exc"] > 3 * isolated["burst_fraction_exc"]
