"""Task suite: data splits, encoders, metrics against hand-worked examples, the energy counter against a
counted network, the learning rule, homeostasis, label-gated dopamine and context gating against hand-worked
references, the MLP baselines, and a quick-mode run of every variant end to end."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

pytest.importorskip("sklearn")

from genn_neuromod.experiments.tasks import encoding as enc  # noqa: E402
from genn_neuromod.experiments.tasks import energy, metrics  # noqa: E402
from genn_neuromod.experiments.tasks.data import TASK_CLASSES, load_tasks  # noqa: E402


# ----------------------------------------------------------------------------------------- data
def test_tasks_split_is_fixed_per_seed_and_disjoint():
    a, b, c = load_tasks(3), load_tasks(3), load_tasks(4)
    assert [t.classes for t in a] == list(TASK_CLASSES)
    np.testing.assert_array_equal(a[2].x_train, b[2].x_train)
    assert not np.array_equal(a[2].y_train, c[2].y_train) or not np.array_equal(a[2].x_train, c[2].x_train)
    from sklearn.datasets import load_digits

    n_all = len(load_digits().target)
    for t in a:
        assert set(np.unique(t.y_train)) == set(t.classes) == set(np.unique(t.y_test)) == set(np.unique(t.y_val))
        assert 0.0 <= t.x_train.min() and t.x_train.max() <= 1.0
        # validation is about a fifth of what is left after the test split
        assert 0.15 < len(t.y_val) / (len(t.y_val) + len(t.y_train)) < 0.25
    # train, validation and test are disjoint sets of samples: their sizes add up to the whole data set
    assert sum(len(t.y_train) + len(t.y_val) + len(t.y_test) for t in a) == n_all
    capped = load_tasks(1, max_train=10, max_test=4)
    assert all(len(t.y_train) == 10 and len(t.y_test) == 4 and len(t.y_val) == 4 for t in capped)
    other = load_tasks(1, tasks=((0, 2), (1, 3, 5)))
    assert [t.classes for t in other] == [(0, 2), (1, 3, 5)] and set(np.unique(other[1].y_test)) == {1, 3, 5}


# ------------------------------------------------------------------------------------- encoders
def test_poisson_rate_matches_intensity():
    rng = np.random.default_rng(0)
    x = np.array([0.0, 0.25, 1.0])
    trains = enc.poisson_encode(x, 20000, 1.0, 100.0, rng)
    rates = np.array([t.size for t in trains]) / 20.0  # Hz over 20 s
    assert trains[0].size == 0
    np.testing.assert_allclose(rates[1:], [25.0, 100.0], rtol=0.06)
    assert all(np.all(np.diff(t) > 0) and (t.size == 0 or (t.min() >= 0 and t.max() < 20000)) for t in trains)
    with pytest.raises(ValueError, match="exceeds 1"):
        enc.poisson_encode(x, 10, 1.0, 2000.0, rng)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        enc.poisson_encode(np.array([1.5]), 10, 1.0, 10.0, rng)
    # an image (8x8) or a plain list gives one train per pixel, as the regular code does
    for image in (np.full((8, 8), 0.5), [0.5] * 64):
        assert len(enc.poisson_encode(image, 10, 1.0, 100.0, rng)) == 64
        assert len(enc.regular_encode(image, 10, 1.0, 100.0)) == 64


def test_latency_code_brighter_is_earlier():
    trains = enc.latency_encode(np.array([1.0, 0.5, 0.0, 0.01]), 61)
    assert trains[0].tolist() == [0] and trains[1].tolist() == [30]
    assert trains[2].size == 0 and trains[3].size == 0  # below threshold: silent


def test_regular_code_is_a_deterministic_rate():
    # 100 Hz at dt 1 ms: one spike every 10 steps, the first half a period in; 25 Hz: every 40 steps
    trains = enc.regular_encode(np.array([1.0, 0.25, 0.0]), 100, 1.0, 100.0)
    assert trains[0].tolist() == [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]
    assert trains[1].tolist() == [20, 60] and trains[2].size == 0
    long = enc.regular_encode(np.array([0.37, 0.81]), 100000, 1.0, 100.0)  # counts match the rates over 100 s
    np.testing.assert_allclose([t.size for t in long], [3700, 8100], atol=1)
    again = enc.regular_encode(np.array([0.37, 0.81]), 100000, 1.0, 100.0)
    assert all(np.array_equal(a, b) for a, b in zip(long, again, strict=True))  # no randomness
    with pytest.raises(ValueError, match="exceeds 1"):
        enc.regular_encode(np.array([1.0]), 10, 1.0, 2000.0)


def test_noise_models():
    rng = np.random.default_rng(1)
    trains = [np.arange(0, 100, 2), np.array([50])]
    assert sum(t.size for t in enc.delete(trains, 0.0, rng)) == 51
    assert sum(t.size for t in enc.delete(trains, 1.0, rng)) == 0
    kept = sum(t.size for t in enc.delete([np.arange(10000)], 0.3, rng))
    assert abs(kept - 7000) < 200
    moved = enc.jitter([np.array([50])] * 2000, 3.0, 100, rng)
    offsets = np.array([t[0] - 50 for t in moved])
    assert abs(offsets.std() - 3.0) < 0.2 and abs(offsets.mean()) < 0.3
    more = enc.add_background([np.zeros(0, np.int64)], 100.0, 10000, 1.0, rng)
    assert abs(more[0].size - 1000) < 100
    assert np.array_equal(enc.add_background(trains, 0.0, 100, 1.0, rng)[0], trains[0])


def test_spike_source_array_packing():
    start, end, times = enc.to_spike_source_array([np.array([3, 1]), np.zeros(0, np.int64), np.array([0])], 100.0,
                                                  1.0)
    assert start.tolist() == [0, 2, 2] and end.tolist() == [2, 2, 3]
    np.testing.assert_allclose(times, [100.5, 102.5, 99.5])


# -------------------------------------------------------------------------------------- metrics
R_EXAMPLE = np.array([[0.9, 0.1, 0.0],
                      [0.6, 0.8, 0.2],
                      [0.5, 0.7, 0.9]])


def test_metrics_hand_worked():
    assert metrics.average_accuracy(R_EXAMPLE) == pytest.approx((0.5 + 0.7 + 0.9) / 3)
    # BWT = ((0.5 - 0.9) + (0.7 - 0.8)) / 2
    assert metrics.backward_transfer(R_EXAMPLE) == pytest.approx(-0.25)
    # forgetting: task 0 best 0.9 -> 0.5; task 1 best 0.8 -> 0.7
    assert metrics.forgetting(R_EXAMPLE) == pytest.approx(0.25)
    assert np.isnan(metrics.backward_transfer(np.array([[0.7]])))
    with pytest.raises(ValueError, match="square"):
        metrics.average_accuracy(np.zeros((2, 3)))


def test_samples_to_criterion_and_adaptation():
    assert metrics.samples_to_criterion([25, 50, 75], [0.5, 0.85, 0.9], 0.8) == 50
    assert metrics.samples_to_criterion([25, 50], [0.5, 0.6], 0.8) == float("inf")
    assert metrics.forward_adaptation(np.array([100.0, 50.0, 25.0])) == pytest.approx(100 / 37.5)
    assert np.isnan(metrics.forward_adaptation(np.array([100.0, np.inf])))


def test_predict_ties_silence_and_allowed_classes():
    counts = np.array([[0, 3, 3, 0], [0, 0, 0, 0], [5, 1, 2, 0]])
    # a tie is an abstention (never the lowest index), as is silence
    assert metrics.predict(counts).tolist() == [-1, -1, 0]
    assert metrics.predict(counts, [2, 3]).tolist() == [2, -1, 2]
    assert metrics.predict(counts, [0, 1]).tolist() == [1, -1, 0]


@pytest.mark.parametrize("readout", ["first", "first_e", "count"])
def test_readout_scores(readout):
    """Scores of one presentation: the earliest class wins, spikes in that step break ties, silence scores 0."""
    from types import SimpleNamespace

    from genn_neuromod.experiments.tasks.circuit import FULL
    from genn_neuromod.experiments.tasks.network import TaskNetwork

    cfg = FULL.with_changes(n_classes=3, cells_per_class=2, split=((0, 1, 2),), readout=readout)
    steps = cfg.present_steps
    net = SimpleNamespace(cfg=cfg, cell_class=np.array([0, 0, 1, 1, 2, 2]), first_spike={
        "R": np.array([7.0, 3.0, steps]),             # readout 1 first, readout 2 silent
        "E": np.array([4.0, 4.0, 4.0, 9.0, steps, steps])})  # classes 0 and 1 first together, 0 with 2 cells
    counts = {"R": np.array([5, 1, 0]), "E": np.array([1, 1, 1, 1, 0, 0])}
    scores = TaskNetwork.readout_score(net, counts)
    winner = {"first": 1, "first_e": 0, "count": 0}[readout]
    assert metrics.predict(scores[None, :]).tolist() == [winner]
    assert scores[2] == 0.0  # silent class
    if readout == "first_e":  # the same first step and one cell each: a tie, i.e. an abstention
        net.first_spike["E"][1] = 6.0
        assert metrics.predict(TaskNetwork.readout_score(net, counts)[None, :]).tolist() == [-1]


# --------------------------------------------------------------------------------------- energy
def test_ann_energy():
    assert energy.ann_macs([64, 100, 10]) == 64 * 100 + 100 * 10
    assert energy.ann_energy_pj([64, 100, 10]) == pytest.approx(7400 * 4.6)
    with pytest.raises(ValueError):
        energy.ann_macs([64])


def test_energy_counter_matches_a_counted_network(tmp_path):
    """Spikes x fan-out from the graph equals the synaptic events a counting synapse actually receives."""
    import genn_neuromod as pg
    from genn_neuromod.circuits import build_model

    g = nx.MultiDiGraph(name="count", dt=1.0, seed=3)
    g.add_node("A", model="Poisson", size=5, params={"rate": 200.0}, vars={"timeStepToSpike": 0.0},
               record=["spikes"])
    g.add_node("B", model="Poisson", size=3, params={"rate": 100.0}, vars={"timeStepToSpike": 0.0},
               record=["spikes"])
    g.add_node("C", model="LIF", size=4, params={"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0,
                                                  "Vthresh": -50.0, "Ioffset": 0.0, "TauRefrac": 2.0},
               vars={"V": -70.0, "RefracTime": 0.0})
    g.add_edge("A", "C", key="AC", name="AC", matrix="DENSE", weight_update={"model": "StaticPulse",
                                                                             "vars": {"g": 0.0}})
    pre, post = [0, 0, 1, 2, 2, 2], [0, 1, 3, 0, 1, 2]
    g.add_edge("B", "C", key="BC", name="BC", connectivity={"pre": pre, "post": post},
               weight_update={"model": "StaticPulse", "vars": {"g": 0.0}})
    fan = energy.fanout_of(g)
    assert fan["A"].tolist() == [4.0] * 5 and fan["B"].tolist() == [2.0, 1.0, 3.0]
    model, h = build_model(g)
    # count delivered events with a weight-update model that increments a per-synapse counter
    counter = pg.create_weight_update_model("Counter", vars=[("n", "scalar")], pre_spike_syn_code="n += 1.0;")
    ca = model.add_synapse_population("CountA", "DENSE", h.populations["A"], h.populations["C"],
                                      pg.init_weight_update(counter, {}, {"n": 0.0}), pg.init_postsynaptic("DeltaCurr"))
    cb = model.add_synapse_population("CountB", "SPARSE", h.populations["B"], h.populations["C"],
                                      pg.init_weight_update(counter, {}, {"n": 0.0}), pg.init_postsynaptic("DeltaCurr"))
    cb.set_sparse_connections(np.array(pre), np.array(post))
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=500)
    model.step_time_n(500)
    model.pull_recording_buffers_from_device()
    # a spike is delivered in the step after the one it is emitted in: the last step's are still in flight
    spikes = {}
    for p in ("A", "B"):
        times, ids = h.populations[p].spike_recording_data[0]
        spikes[p] = np.bincount(ids[times < 499.0 - 1e-6], minlength=h.populations[p].num_neurons)
    assert spikes["A"].sum() > 50 and spikes["B"].sum() > 20
    delivered = 0.0
    for sg in (ca, cb):
        sg.vars["n"].pull_from_device()
        delivered += float(sg.vars["n"].values.sum())
    assert energy.synaptic_operations(spikes, fan) == pytest.approx(delivered)
    assert energy.snn_energy_pj(delivered) == pytest.approx(0.9 * delivered)


# --------------------------------------------------------------------------- learning machinery
def _one_synapse(tmp_path, pre_steps, post_steps, steps, cs=None):
    """One input -> one IzhikevichNeuromod cell through RewardedTraceSTDP; the post cell is made to spike at
    ``post_steps`` by a HostCurrent pulse."""
    import genn_neuromod as pg
    from genn_neuromod.models import load_model, model_defaults

    model = pg.GeNNModel("float", "one_syn")
    model.dt = 1.0
    src = model.add_neuron_population("Pre", 1, "SpikeSourceArray", {}, {"startSpike": 0, "endSpike": len(pre_steps)})
    src.extra_global_params["spikeTimes"].set_init_values(np.asarray(pre_steps, float) - 0.5)
    nm = load_model("IzhikevichNeuromod")
    params = {**model_defaults("IzhikevichNeuromod"), "tau_DA": 1e9}
    post = model.add_neuron_population("Post", 1, nm, params, {
        "V": -65.0, "U": -13.0, "a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0, "gain_D1": 1.0, "gain_D2": 0.0,
        "gain_NA": 0.0, "gain_ACh": 0.0, "DA": 0.0, "NA": 0.0, "ACh": 0.0, "SHT": 0.0, "Dmod": 0.0,
        "Dmod_in": 0.0, "mode": 0})
    post.spike_recording_enabled = True
    kick = model.add_current_source("Kick", load_model("HostCurrent"), post, {}, {"amp": 0.0})
    rule = {"eta": 0.5, "x_tar": 0.3, "tau_x": 10.0, "Wmin": -10.0, "Wmax": 10.0, "credit": 0.0}
    sg = model.add_synapse_population("S", "DENSE", src, post, pg.init_weight_update(
        load_model("RewardedTraceSTDP"), rule, {"g": 0.0, "c": 0.0}, {"x": 0.0}, post_var_refs={"D": "Dmod"}),
        pg.init_postsynaptic("DeltaCurr"))
    sg.set_wu_param_dynamic("credit")
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=steps)
    for step in range(steps):
        kick.vars["amp"].values = np.array([200.0 if step in post_steps else 0.0])
        kick.vars["amp"].push_to_device()
        model.step_time()
    model.pull_recording_buffers_from_device()
    return model, sg, post, rule


def test_rewarded_trace_rule_matches_a_hand_worked_reference(tmp_path):
    """c collects x - x_tar at each post spike (x: the decaying count of pre spikes); nothing moves g until a
    credit step pays eta * D * c out and clears c."""
    model, sg, post, rule = _one_synapse(tmp_path, pre_steps=[2, 6], post_steps=[9], steps=20)
    times, _ = post.spike_recording_data[0]
    assert times.size >= 1
    pre = np.array([2.0, 6.0])
    # reference: at each post spike time t, x = sum over pre spikes at t_pre < t of exp(-(t - t_pre)/tau_x)
    c_ref = sum(np.exp(-(t - pre[pre < t]) / rule["tau_x"]).sum() - rule["x_tar"] for t in times)
    for v in ("c", "g"):
        sg.vars[v].pull_from_device()
    assert sg.vars["g"].values[0] == 0.0
    assert sg.vars["c"].values[0] == pytest.approx(c_ref, rel=1e-4)
    post.vars["DA"].values = np.array([-0.7])
    post.vars["DA"].push_to_device()
    model.step_time()  # the neuron update turns DA into Dmod
    sg.set_dynamic_param_value("credit", 1.0)
    model.step_time()
    for v in ("c", "g"):
        sg.vars[v].pull_from_device()
    assert sg.vars["g"].values[0] == pytest.approx(rule["eta"] * -0.7 * c_ref, rel=1e-4)
    assert sg.vars["c"].values[0] == 0.0


def test_adaptive_threshold_rises_per_spike_and_freezes(tmp_path):
    import genn_neuromod as pg
    from genn_neuromod.models import load_model, model_defaults

    model = pg.GeNNModel("float", "theta")
    model.dt = 1.0
    nm = load_model("IzhikevichNeuromod")
    pop = model.add_neuron_population("N", 2, nm, model_defaults("IzhikevichNeuromod"), {
        "V": -65.0, "U": -13.0, "a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0, "gain_D1": [1.0, 0.0], "gain_D2": 0.0,
        "gain_NA": 0.0, "gain_ACh": 0.0, "DA": 0.0, "NA": 0.0, "ACh": 0.0, "SHT": 0.0, "Dmod": 0.0,
        "Dmod_in": 0.0, "mode": 0})
    pop.spike_recording_enabled = True
    model.add_current_source("Drive", load_model("HostCurrent"), pop, {}, {"amp": 30.0})
    th = model.add_current_source("Th", load_model("AdaptiveThreshold"),
                                  pop, {"theta_plus": 0.5, "tau_theta": 100.0, "V_spike": 29.99, "adapt": 1.0},
                                  {"theta": 0.0}, {"V": "V", "G": "gain_D1"})
    th.set_param_dynamic("adapt")
    model.build(str(tmp_path))
    model.load(num_recording_timesteps=60)
    theta_ref, V = 0.0, []
    for _ in range(30):
        pop.vars["V"].pull_from_device()
        spiked_last = pop.vars["V"].values[0] >= 29.99
        model.step_time()
        theta_ref = (theta_ref + 0.5 * spiked_last) * np.exp(-1.0 / 100.0)
        V.append(spiked_last)
    th.vars["theta"].pull_from_device()
    assert sum(V) >= 3
    assert th.vars["theta"].values[0] == pytest.approx(theta_ref, rel=1e-4)
    assert th.vars["theta"].values[1] == 0.0  # no plasticity gain: the threshold does not move
    th.set_dynamic_param_value("adapt", 0.0)
    model.step_time_n(30)
    frozen = th.vars["theta"].values.copy()
    th.vars["theta"].pull_from_device()
    np.testing.assert_array_equal(th.vars["theta"].values, frozen)


@pytest.fixture(scope="module")
def small_cfg():
    from genn_neuromod.experiments.tasks import QUICK

    return QUICK.with_changes(max_train=12, max_test=6, curve_points=(6, 12), curve_samples=6, noise_samples=10,
                              ann_epochs=2)


def test_label_gated_dopamine_and_context_gating(tmp_path, small_cfg):
    """Reward reaches the labelled class's E cells and readout, punishment only cells of other classes that
    fired (readouts: only the current task's), nothing elsewhere; under a context the other pools neither
    learn nor adapt, and NA puts the task's pool in burst mode."""
    from genn_neuromod.experiments.tasks.data import load_tasks
    from genn_neuromod.experiments.tasks.network import TaskNetwork

    cfg = small_cfg
    net = TaskNetwork("hom_nm", 2, cfg)
    fired_e = np.zeros(cfg.n_exc)
    fired_e[[0, 1, 2]] = 1
    counts = {"E": fired_e, "R": np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 1])}
    da_e, da_r = net._dopamine(counts, target=2)
    label = net.cell_class == 2
    assert np.all(da_e[label] == 1.0)
    wrong = ~label & (fired_e > 0)
    assert np.all(da_e[wrong] == -cfg.punish) and np.all(da_e[~label & ~wrong] == 0.0)
    # readouts: reward to 2, punishment to 3 only if it fired (it did not), none to 0, 1, 9 (other tasks)
    assert da_r.tolist() == [0, 0, 1.0, 0, 0, 0, 0, 0, 0, 0]
    counts["R"][3] = 2
    assert net._dopamine(counts, target=2)[1][3] == -cfg.punish

    net.set_context(1)
    pops = net.handles.populations
    for v in ("NA", "ACh", "gain_D1"):
        pops["E"].vars[v].pull_from_device()
    mine = net.pool == 1
    assert np.all(pops["E"].vars["NA"].values[mine] == 1) and np.all(pops["E"].vars["NA"].values[~mine] == 0)
    assert np.all(pops["E"].vars["ACh"].values[~mine] == 1)
    np.testing.assert_allclose(pops["E"].vars["gain_D1"].values[~mine], cfg.gate_off)
    w_in, theta = net._in_e.vars["g"], net._threshold.vars["theta"]
    w_in.pull_from_device()
    theta.pull_from_device()
    before, theta_before = w_in.values.reshape(cfg.n_input, cfg.n_exc).copy(), theta.values.copy()
    task = load_tasks(2, max_train=12)[1]
    for x, y in zip(task.x_train[:6], task.y_train[:6], strict=True):
        net.present(net.encode(x), int(y))
    w_in.pull_from_device()
    theta.pull_from_device()
    after = w_in.values.reshape(cfg.n_input, cfg.n_exc)
    np.testing.assert_array_equal(after[:, ~mine], before[:, ~mine])
    np.testing.assert_array_equal(theta.values[~mine], theta_before[~mine])
    assert not np.array_equal(after[:, mine], before[:, mine])
    pops["E"].vars["mode"].pull_from_device()
    assert np.all(pops["E"].vars["mode"].values[mine] == 1) and np.all(pops["E"].vars["mode"].values[~mine] == 0)
    # testing leaves no eligibility behind to be paid out with the next taught sample, and restores the context
    counts, _ = net.readout_counts(task.x_train[:3])
    assert counts.shape == (3, cfg.n_classes) and net.task == 1
    for sg in (net._in_e, net._e_r):
        sg.vars["c"].pull_from_device()
        assert not sg.vars["c"].values.any()
    # the context gates activity too: the other pools' E cells get -context_inhibition, the task's none
    net.readout_counts(task.x_train[:1], context=1)
    amp = net._label
    amp.pull_from_device()
    assert cfg.context_inhibition > 0
    np.testing.assert_allclose(amp.values[~mine], -cfg.context_inhibition)
    assert np.all(amp.values[mine] == 0.0)
    net.readout_counts(task.x_train[:1], context=None)
    amp.pull_from_device()
    assert np.all(amp.values == 0.0)
    net.close()


class _FakeWeights:
    """Stands in for a synapse group's ``g`` (what ``TaskNetwork._normalise`` pulls, edits and pushes)."""

    def __init__(self, w: np.ndarray):
        self.values = w.ravel().astype(np.float32)

    def pull_from_device(self) -> None:
        pass

    def push_to_device(self) -> None:
        pass


@pytest.mark.parametrize("order", [1, 2, 1.5])
def test_weight_normalisation_by_sum_or_euclidean_norm(order):
    """Diehl & Cook's normalisation scales the chosen cells' input weights to a sum (order 1) or a Euclidean norm
    (order 2) of ``total``, clipped at w_max; other cells are left alone. Worked by hand on a 3-input layer."""
    from types import SimpleNamespace

    from genn_neuromod.experiments.tasks.network import TaskNetwork

    w = np.array([[1.0, 3.0, 0.0], [1.0, 4.0, 2.0], [2.0, 0.0, 2.0]])  # (inputs, cells)
    sg = SimpleNamespace(vars={"g": _FakeWeights(w)})
    TaskNetwork._normalise(sg, w.shape, 10.0, 6.0, np.array([True, True, False]), order)
    out = sg.vars["g"].values.reshape(w.shape)
    if order == 1:  # column sums 4 and 7 -> 10
        expected = [[2.5, 30 / 7, 0.0], [2.5, 40 / 7, 2.0], [5.0, 0.0, 2.0]]
    elif order == 1.5:  # cell 0: (1 + 1 + 2^1.5)^(2/3) = 4.83^(2/3); cell 1: (3^1.5 + 4^1.5)^(2/3) = 13.2^(2/3)
        f0, f1 = 10.0 / (2.0 + 2.0 ** 1.5) ** (2 / 3), 10.0 / (3.0 ** 1.5 + 8.0) ** (2 / 3)
        expected = [[f0, 3 * f1, 0.0], [f0, min(4 * f1, 6.0), 2.0], [min(2 * f0, 6.0), 0.0, 2.0]]
    else:  # Euclidean norms sqrt(6) and 5 -> 10: cell 0 scaled by 10/sqrt(6) (2 * 4.08 clipped at 6), cell 1 by 2
        f = 10.0 / np.sqrt(6.0)
        expected = [[f, 6.0, 0.0], [f, 6.0, 2.0], [6.0, 0.0, 2.0]]
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_inhibition_by_pool_wires_each_fs_cell_to_one_task():
    """``inhibition = "pool"``: FS cell j hears and inhibits only the E cells of task j % tasks, with its I -> E
    weight scaled by n_inh / (FS cells of that task), so that a task's first spike inhibits that task as hard as
    the global wiring does; "global" keeps scalar weights."""
    from genn_neuromod.experiments.tasks import QUICK
    from genn_neuromod.experiments.tasks.circuit import _inhibition_weights, cell_classes, cell_pools

    cfg = QUICK.with_changes(split=((0, 1), (2, 3)), cells_per_class=2, n_inh=3, w_ei=2.0, w_ie=4.0)
    assert _inhibition_weights(cfg.with_changes(inhibition="global"), 5) == (2.0, -4.0)
    w_ei, w_ie = _inhibition_weights(cfg, 5)
    pool = cell_pools(cfg, cell_classes(cfg, 5))  # 8 E cells, 4 per task; FS cells 0, 2 -> task 0, 1 -> task 1
    w_ei, w_ie = np.reshape(w_ei, (8, 3)), np.reshape(w_ie, (3, 8))
    for e in range(8):
        fs_of_task = [0, 2] if pool[e] == 0 else [1]
        assert w_ei[e].tolist() == [2.0 if j in fs_of_task else 0.0 for j in range(3)]
        # task 0 has two FS cells: 4 x 3 / 2 each; task 1 one: 4 x 3
        assert w_ie[:, e].tolist() == [-6.0 if j in fs_of_task and pool[e] == 0 else
                                       -12.0 if j in fs_of_task else 0.0 for j in range(3)]
    with pytest.raises(ValueError, match="at least one FS cell per task"):
        QUICK.with_changes(n_inh=2)
    with pytest.raises(ValueError, match="inhibition must be"):
        QUICK.with_changes(inhibition="none")


def test_split_option():
    from genn_neuromod.experiments.tasks import parse_split
    from genn_neuromod.experiments.tasks.runner import split_tag

    assert parse_split("01,23,45,67,89") == TASK_CLASSES and split_tag(TASK_CLASSES) == ""
    assert parse_split("02, 135") == ((0, 2), (1, 3, 5)) and split_tag(((0, 2), (1, 3, 5))) == "_split-02-135"
    for bad in ("0,12", "01,12", ""):
        with pytest.raises(ValueError, match="split"):
            parse_split(bad)


def test_bad_configuration_is_named():
    from genn_neuromod.experiments.tasks import QUICK

    with pytest.raises(ValueError, match="rest_steps must be at least 2.*encoder must be"):
        QUICK.with_changes(rest_steps=1, encoder="morse")
    with pytest.raises(ValueError, match="classes outside"):
        QUICK.with_changes(split=((0, 11),))
    with pytest.raises(ValueError, match=r"in_norm_order must be in \[1, 8\], got 0.5"):
        QUICK.with_changes(in_norm_order=0.5)


def test_decode_inverts_the_encoders():
    x = np.array([0.0, 0.25, 0.5, 1.0])
    lat = enc.decode(enc.latency_encode(x, 41), 41, "latency")
    np.testing.assert_allclose(lat, [0.0, 0.25, 0.5, 1.0])
    reg = enc.decode(enc.regular_encode(x, 400, 1.0, 100.0), 400, "regular", 1.0, 100.0)
    np.testing.assert_allclose(reg, [0.0, 0.25, 0.5, 1.0])  # from the period: exact where it is whole steps
    rng = np.random.default_rng(1)
    rate = enc.decode(enc.poisson_encode(np.full(64, 0.5), 2000, 1.0, 100.0, rng), 2000, "poisson", 1.0, 100.0)
    assert abs(rate.mean() - 0.5) < 0.03


def test_every_mlp_strategy_is_a_variant():
    from genn_neuromod.experiments.tasks.ann import STRATEGIES
    from genn_neuromod.experiments.tasks.protocol import ANN_VARIANTS

    assert sorted(ANN_VARIANTS.values()) == sorted(STRATEGIES)


def test_mlp_gradient_and_continual_strategies():
    from genn_neuromod.experiments.tasks.ann import MLP, ContinualMLP, MLPSettings

    s = MLPSettings(6, 5, 4, epochs=40, lr=0.01, batch=8, ewc_lambda=1000.0, replay_per_class=3)
    net = MLP(s, 0)
    rng = np.random.default_rng(0)
    x, y = rng.random((7, 6)), rng.integers(0, 4, 7)

    def loss():
        return -np.mean(np.log(net.forward(x)[1][np.arange(7), y]))

    grads = net._grads(x, y)
    for p, g in zip(net.params, grads, strict=True):
        idx = tuple(rng.integers(0, n) for n in p.shape)
        old = p[idx]
        p[idx] = old + 1e-6
        up = loss()
        p[idx] = old - 1e-6
        down = loss()
        p[idx] = old
        assert g[idx] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-8)
    # two separable tasks; fine-tuning forgets the first, EWC and replay keep more of it, joint keeps it
    xa, ya = np.vstack([rng.normal(0, 0.2, (20, 6)) + np.eye(6)[0], rng.normal(0, 0.2, (20, 6)) + np.eye(6)[1]]), \
        np.repeat([0, 1], 20)
    xb, yb = np.vstack([rng.normal(0, 0.2, (20, 6)) + np.eye(6)[0] + np.eye(6)[2],
                        rng.normal(0, 0.2, (20, 6)) + np.eye(6)[1] + np.eye(6)[2]]), np.repeat([2, 3], 20)
    acc = {}
    for strategy in ("finetune", "ewc", "replay", "joint"):
        m = ContinualMLP(strategy, s, 1)
        m.learn_task(xa, ya)
        m.learn_task(xb, yb)
        acc[strategy] = float(np.mean(np.argmax(m.scores(xa), 1) == ya))
        if strategy == "replay":
            assert len(m.memory_y) == 12 and set(m.memory_y) == {0, 1, 2, 3}
    assert acc["finetune"] < 0.5 and acc["joint"] > 0.9 and acc["replay"] > acc["finetune"]
    assert acc["ewc"] >= acc["finetune"]


# ---------------------------------------------------------------------------------- end to end
def test_quick_mode_every_variant_end_to_end(tmp_path, small_cfg):
    import genn_neuromod.experiments.tasks.runner as runner
    from genn_neuromod.experiments.tasks import ALL_VARIANTS, load_result, run_task_suite

    orig = runner.QUICK
    runner.QUICK = small_cfg
    try:
        summaries = run_task_suite(list(ALL_VARIANTS), [1], tmp_path, quick=True)
    finally:
        runner.QUICK = orig
    assert [s["variant"] for s in summaries] == list(ALL_VARIANTS)
    for s in summaries:
        assert 0.0 <= s["acc_ci"] <= 1.0 and 0.0 <= s["acc_ti"] <= 1.0 and s["energy_nj"] > 0
        if s["variant"].endswith("_nm"):
            assert 0.0 <= s["acc_ti_ctx"] <= 1.0
        if not s["variant"].startswith("ann"):
            assert s["spikes_per_inference"] > 0 and sum(s["energy_share"].values()) == pytest.approx(1.0)
    res = load_result(str(tmp_path / "hom_seed1_quick.zarr"))
    assert res["acc_ci"].shape == (5, 5) and res["spikes_per_inference"]["Input"] > 0
    assert res["config"]["max_train"] == 12 and res["evaluation"] == "test"
    import zarr

    assert "numpy" in zarr.open_group(str(tmp_path / "hom_seed1_quick.zarr")).attrs["versions"]
    text = (tmp_path / "results.md").read_text()
    assert text.count("|") > 20 and "final acc. task-incr." in text and "final acc. class-incr." in text
    assert (tmp_path / "accuracy_matrices.png").stat().st_size > 1000


def test_interrupted_store_is_rerun(tmp_path):
    import zarr

    from genn_neuromod.experiments.tasks import load_result

    zarr.open_group(str(tmp_path / "x.zarr"), mode="w").attrs["variant"] = "hom"
    with pytest.raises(ValueError, match="incomplete"):
        load_result(str(tmp_path / "x.zarr"))
