"""The seed authors' distal-reward protocol (Rodriguez-Garcia & Ramaswamy, SNUFA 2024; their public MATLAB main.m),
each rule against a numpy reference written from that code: the pairing amounts at and around the arrival step
(and the LTP delay quirk), the delay and rewarded-synapse draws, the in-model NA -> ACh switch and the dopamine
clamp."""

from __future__ import annotations

import math
import tempfile

import numpy as np
import pytest

import genn_neuromod as pg
from genn_neuromod.experiments.distal_reward import (
    ABLATIONS,
    CONDITIONS,
    N_EXC,
    SEED_TYPES,
    SYN_PER_NEURON,
    W_MAX,
    _connectivity,
    ablation_variants,
    assumed_ltp_delays,
    build_network,
    get_condition,
)
from genn_neuromod.models import load_model, model_defaults


# ------------------------------------------------------------------ pairing amounts
def seed_code_eligibility(pre_detect: list[int], post_detect: list[int], delay: int, assumed: int, D: int = 5,
                          T: int = 60, unarrived_visible: bool = True) -> np.ndarray:
    """The seed code's STDP for one synapse (delay ``delay``, LTP step assuming ``assumed``), run ms by ms as its
    main.m does: spikes detected at the top of a ms (v >= 30) set the trace column t+D to 0.1; LTP adds the
    presynaptic trace at column t+D-assumed; a spike delivered this ms (fired delay-1 ms ago) subtracts 1.5 x the
    postsynaptic trace at column t+D; the traces decay x0.95 into the next column. Returns dW after each ms.

    ``unarrived_visible=False``: LTP ignores presynaptic spikes not yet delivered under their real delay (which
    the seed's assumed delay can reach when it is shorter; the engine's delayed view cannot)."""
    trace = np.zeros((2, T + D + 2))  # row 0 presynaptic, row 1 postsynaptic; column t + D is ms t
    dw, out, fired_at = 0.0, [], {0: set(pre_detect), 1: set(post_detect)}
    for t in range(1, T + 1):
        for cell in (0, 1):
            if t in fired_at[cell]:
                trace[cell, t + D] = 0.1
        if t in fired_at[1]:  # the trace at column t+D-assumed: 0.1 x 0.95^age of the latest spike up to then
            seen = [tp for tp in pre_detect if tp <= t - assumed and (unarrived_visible or tp + delay - 1 <= t)]
            if seen:
                dw += 0.1 * 0.95 ** (t - assumed - max(seen))
        if t - delay + 1 in fired_at[0]:
            dw -= 1.5 * trace[1, t + D]
        trace[:, t + D + 1] = 0.95 * trace[:, t + D]
        out.append(dw)
    return np.asarray(out)


SCRIPTED = pg.create_neuron_model(
    "Scripted", params=["n"], vars=[("Dmod", "scalar"), ("idx", "unsigned int")],
    extra_global_params=[("times", "scalar*")],
    threshold_condition_code="idx < (unsigned int)n && t >= times[idx] - 0.5 * dt", reset_code="idx++;")


def engine_eligibility(pre_steps, post_steps, axonal: int, ltp_shift: float, steps: int) -> np.ndarray:
    """c of one DASTDPTimeDriven synapse (arrival_pairing = 1, weights frozen) after each step."""
    m = pg.GeNNModel("double", "pairing", time_precision="double")
    m.dt = 1.0

    def cell(name, times):
        p = m.add_neuron_population(name, 1, SCRIPTED, {"n": len(times)}, {"Dmod": 0.0, "idx": 0})
        p.extra_global_params["times"].set_init_values(np.asarray(list(times) + [1e9], float))
        return p

    pre, post = cell("Pre", pre_steps), cell("Post", post_steps)
    params = dict(model_defaults("DASTDPTimeDriven"), tau_plus=-1.0 / math.log(0.95), tau_minus=-1.0 / math.log(0.95),
                  tau_c=1e12, T_update=1e6, baseline=0.0, arrival_pairing=1.0, ltp_shift=ltp_shift)
    sg = m.add_synapse_population("S", "SPARSE", pre, post,
                                  pg.init_weight_update(load_model("DASTDPTimeDriven", backend=pg), params,
                                                        {"g": 0.0, "c": 0.0}, {"x": 0.0}, {"y": 0.0},
                                                        post_var_refs={"D": "Dmod"}),
                                  pg.init_postsynaptic("DeltaCurr"))
    sg.set_sparse_connections([0], [0])
    sg.axonal_delay_steps = axonal
    m.build(tempfile.mkdtemp())
    m.load()
    out = []
    for _ in range(steps):
        m.step_time()
        sg.vars["c"].pull_from_device()
        out.append(float(sg.vars["c"].values[0]))
    return np.asarray(out)


# a spike emitted in step k is the seed code's detection at ms k + 2 (its ms m is step m - 1, and a cell crossing
# 30 mV in ms m is detected at the top of ms m + 1)
@pytest.mark.parametrize("delay", [1, 2, 5])
@pytest.mark.parametrize("assumed", [None, 1, 3, 5])
def test_pairings_give_the_seed_codes_amounts(delay, assumed):
    """Every lag from five steps before to five after the arrival (LTP 0.1 when the postsynaptic cell fires in
    the arrival step, LTD 0.15 when it fires in the step before) and, with the LTP quirk, the amount the assumed
    delay gives (where the assumed delay is the shorter, except LTP from a spike that has not yet arrived)."""
    assumed_delay = delay if assumed is None else assumed
    pairings = 0
    for lag in range(-5, 6):
        pre, post = [10], [10 + delay - 1 + lag]
        steps = 40
        want = seed_code_eligibility([p + 2 for p in pre], [q + 2 for q in post], delay, assumed_delay, T=steps,
                                     unarrived_visible=False)
        got = engine_eligibility(pre, post, delay - 1, float(delay - assumed_delay), steps)
        # the seed's ms m is step m - 1: its dW after ms m (want[m - 1]) is c after step m - 1
        np.testing.assert_allclose(got, want, atol=1e-12, err_msg=f"lag {lag}")
        pairings += bool(np.any(got != 0.0))
    assert pairings >= 7  # (a quirk with a longer assumed delay leaves a few lags unpaired, as in the seed code)


def test_the_quirk_reaches_spikes_that_have_not_arrived_only_in_the_seed_code():
    """The one documented difference: assumed 1 ms, real 3 ms, the postsynaptic cell firing the step before the
    presynaptic spike's real arrival: the seed code pairs them (LTP 0.1), the engine does not."""
    pre, post = [10], [11]
    seed = seed_code_eligibility([12], [13], 3, 1, T=20)
    visible = seed_code_eligibility([12], [13], 3, 1, T=20, unarrived_visible=False)
    got = engine_eligibility(pre, post, 2, 2.0, 20)
    assert np.max(seed - visible) == pytest.approx(0.1)
    np.testing.assert_allclose(got, visible, atol=1e-12)


def test_several_spikes_pair_with_the_latest_arrival():
    """Two presynaptic spikes and three postsynaptic ones: each pairs with the other side's latest spike."""
    pre, post = [10, 16], [12, 13, 21]
    want = seed_code_eligibility([p + 2 for p in pre], [q + 2 for q in post], 3, 3, T=40)
    np.testing.assert_allclose(engine_eligibility(pre, post, 2, 0.0, 40), want, atol=1e-12)


# ------------------------------------------------------------------ draws
def test_delays_and_the_rewarded_synapse_follow_the_seed_draw():
    """Each excitatory synapse's delay is ceil(5 U) (about 20 % each, not exactly 20 per neuron); the network's
    groups hold exactly the drawn synapses at their delays; the rewarded synapse is drawn among all 100."""
    cond = CONDITIONS["rs_fs"]
    w = _connectivity(np.random.default_rng(7), cond)
    d = w["exc_delay"]
    assert d.min() == 1 and d.max() == 5
    counts = np.bincount(d.ravel(), minlength=6)[1:]
    assert np.all(np.abs(counts / d.size - 0.2) < 0.01)
    assert np.any(np.bincount(d[0], minlength=6)[1:] != 20)  # drawn, not split evenly
    syns = [_connectivity(np.random.default_rng(s), cond)["syn"] for s in range(40)]
    assert len(set(syns)) > 20 and max(syns) >= 50  # not always column 0

    model, h = build_network("rs_fs", 7)
    for k in range(1, 6):
        sg = h["excitatory"][f"Exc_d{k}"]
        assert sg.axonal_delay_steps == k - 1
        pre, post = sg._manual_connectivity
        mask = d == k
        mask[w["n1"], w["syn"]] = False
        np.testing.assert_array_equal(np.sort(np.asarray(pre) * 10000 + np.asarray(post)),
                                      np.sort(np.nonzero(mask)[0] * 10000 + w["exc_post"][mask]))
    assert h["n1"] == w["n1"] and h["n2"] == w["exc_post"][w["n1"], w["syn"]]
    assert h["chosen"].axonal_delay_steps == d[w["n1"], w["syn"]] - 1


def test_ablation_variants_share_the_base_network():
    """One seed gives the seed protocol and each ablation the same targets and rewarded synapse."""
    base = _connectivity(np.random.default_rng(3), CONDITIONS["na_ach"])
    for change in ABLATIONS:
        other = _connectivity(np.random.default_rng(3), get_condition(f"na_ach-{change}"))
        np.testing.assert_array_equal(other["exc_post"], base["exc_post"])
        assert (other["n1"], other["syn"]) == (base["n1"], base["syn"])


def test_seed_cell_table_and_assumed_delays():
    assert SEED_TYPES["RS"] == (0.02, 0.2, -65.0, 2.0) and SEED_TYPES["FS"] == (0.1, 0.2, -65.0, 2.0)
    a = assumed_ltp_delays(5)
    assert a.size == SYN_PER_NEURON and list(a[[0, 19, 20, 99]]) == [1, 1, 2, 5]
    names = ablation_variants()
    assert "rs_fs-cell_d" in names and "na_ach-cell_d" not in names and "bu_fs-cell_d" not in names


# ------------------------------------------------------------------ the NA -> ACh switch and the dopamine clamp
def _switching_network(condition: str, seed: int = 5):
    """``condition`` with the rewarded synapse just below the maximum, its eligibility high: the 10-ms update at
    step 0 leaves it 0.0005 below, the one at step 10 takes it there (no dopamine yet: baseline 0.002 alone).
    A reward is put due at step 30."""
    model, h = build_network(condition, seed, precision="double")
    h["chosen"].vars["g"].set_init_values(W_MAX - 0.0025)
    h["chosen"].vars["c"].set_init_values(1.0)
    model.build(tempfile.mkdtemp())
    model.load(num_recording_timesteps=100)
    slots = h["reward"].extra_global_params["due"].init_values.size
    h["reward"].extra_global_params["due"].set_values(np.r_[30.0, np.full(slots - 1, -1.0)])
    return model, h


def _state(h, name):
    pop = h["net"]
    pop.vars[name].pull_from_device()
    return np.asarray(pop.vars[name].current_values, dtype=float).ravel().copy()  # ACh is delayed (read by events)


def test_the_switch_fires_at_the_step_the_weight_reaches_the_maximum_and_dopamine_stays_zero():
    model, h = _switching_network("na_ach")
    n1 = h["n1"]
    modes, ach, da, g = [], [], [], []
    for _ in range(40):
        model.step_time()
        modes.append(_state(h, "mode"))
        ach.append(_state(h, "ACh"))
        da.append(_state(h, "DA"))
        h["chosen"].vars["g"].pull_from_device()
        g.append(float(h["chosen"].vars["g"].values[0]))
    g, ach, modes, da = np.asarray(g), np.asarray(ach), np.asarray(modes), np.asarray(da)
    reached = int(np.nonzero(g >= W_MAX)[0][0])
    assert reached == 10  # the 10-ms update in step 10 (synapse dynamics, before the neurons)
    # never before: no ACh anywhere, every E cell bursting
    assert np.all(ach[:reached] == 0.0) and np.all(modes[:reached, :N_EXC] == 1)
    # n1 releases ACh in that step and switches; every other cell gets it from n1's event one step later
    assert ach[reached, n1] == 1.0 and modes[reached, n1] == 0
    others = np.arange(N_EXC) != n1
    assert np.all(ach[reached, :N_EXC][others] == 0.0)
    assert np.all(modes[reached + 1:, :N_EXC] == 0) and np.all(ach[reached + 1:] >= 1.0)
    # the reward due at step 30 is delivered (the Reward cell still fires) but dopamine stays at 0 everywhere
    h["reward"].vars["n_delivered"].pull_from_device()
    assert int(h["reward"].vars["n_delivered"].values[0]) == 1
    assert np.all(da[reached + 1:] == 0.0)


def test_without_the_clamp_dopamine_is_cleared_once_and_later_rewards_act():
    model, h = _switching_network("na_ach-dopamine_clamp")
    da = []
    for _ in range(40):
        model.step_time()
        da.append(_state(h, "DA"))
    da = np.asarray(da)
    # the reward due at 30 fires the Reward cell in step 30; the release reaches every cell in step 31
    assert np.all(da[11:31] == 0.0)
    np.testing.assert_allclose(da[31], 0.5 * 0.99)


def test_the_block_rule_switches_nothing_in_the_model():
    model, h = _switching_network("na_ach-switch_rule")
    model.step_time_n(40)
    assert np.all(_state(h, "mode")[:N_EXC] == 1) and np.all(_state(h, "ACh") == 0.0)
