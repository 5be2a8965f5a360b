"""Task suite: encoders, metrics against hand-worked examples, the energy counter against a counted network,
and a quick-mode run of every variant end to end."""

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
    for t in a:
        assert set(np.unique(t.y_train)) == set(t.classes) == set(np.unique(t.y_test))
        train = {r.tobytes() for r in t.x_train}
        assert not any(r.tobytes() in train for r in t.x_test) or len(train) < len(t.x_train)
        assert 0.0 <= t.x_train.min() and t.x_train.max() <= 1.0
    capped = load_tasks(1, max_train=10, max_test=4)
    assert all(len(t.y_train) == 10 and len(t.y_test) == 4 for t in capped)


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


def test_latency_code_brighter_is_earlier():
    trains = enc.latency_encode(np.array([1.0, 0.5, 0.0, 0.01]), 61)
    assert trains[0].tolist() == [0] and trains[1].tolist() == [30]
    assert trains[2].size == 0 and trains[3].size == 0  # below threshold: silent


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
    assert metrics.predict(counts).tolist() == [1, -1, 0]
    assert metrics.predict(counts, [2, 3]).tolist() == [2, -1, 2]


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


# ---------------------------------------------------------------------------------- end to end
def test_quick_mode_every_variant_end_to_end(tmp_path):
    from genn_neuromod.experiments.tasks import ALL_VARIANTS, QUICK, load_result, run_task_suite

    cfg_small = dict(max_train=12, max_test=6, curve_every=6, curve_samples=6, noise_samples=10)
    import genn_neuromod.experiments.tasks.runner as runner

    small = type(QUICK)(**{**QUICK.to_dict(), **cfg_small})
    orig = runner.QUICK
    runner.QUICK = small
    try:
        summaries = run_task_suite(list(ALL_VARIANTS), [1], tmp_path, quick=True)
    finally:
        runner.QUICK = orig
    assert [s["variant"] for s in summaries] == list(ALL_VARIANTS)
    for s in summaries:
        assert 0.0 <= s["acc_ci"] <= 1.0 and 0.0 <= s["acc_ti"] <= 1.0 and s["energy_nj"] > 0
    res = load_result(str(tmp_path / "hom_seed1_quick.zarr"))
    assert res["acc_ci"].shape == (5, 5) and res["spikes_per_inference"]["Input"] > 0
    assert res["config"]["max_train"] == 12
    import zarr

    assert "numpy" in zarr.open_group(str(tmp_path / "hom_seed1_quick.zarr")).attrs["versions"]
    assert (tmp_path / "results.md").read_text().count("|") > 20
    assert (tmp_path / "accuracy_matrices.png").stat().st_size > 1000
    # the neuromodulated variant changes firing mode and receptor gain only in the task's subpopulation
    from genn_neuromod.experiments.tasks.network import TaskNetwork

    net = TaskNetwork("hom_nm", 2, small)
    net.set_context(1)
    pops = net.handles.populations
    for v in ("NA", "gain_D1"):
        pops["E"].vars[v].pull_from_device()
    mine = net.contexts == 1
    assert np.all(pops["E"].vars["NA"].values[mine] == 1) and np.all(pops["E"].vars["NA"].values[~mine] == 0)
    np.testing.assert_allclose(pops["E"].vars["gain_D1"].values[~mine], small.gate_off)
    net.close()


def test_interrupted_store_is_rerun(tmp_path):
    import zarr

    from genn_neuromod.experiments.tasks import load_result

    zarr.open_group(str(tmp_path / "x.zarr"), mode="w").attrs["variant"] = "hom"
    with pytest.raises(ValueError, match="incomplete"):
        load_result(str(tmp_path / "x.zarr"))
