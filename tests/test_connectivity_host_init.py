"""Connectivity snippets that need host-side precalculation (GeNN's host init code)."""

import numpy as np

import genn_neuromod as pg


def test_fixed_number_total_with_replacement_gives_exact_total(tmp_path):
    m = pg.GeNNModel("float", "fnt")
    m.seed = 3
    a = m.add_neuron_population("A", 50, "Poisson", {"rate": 1.0}, {"timeStepToSpike": 0.0})
    b = m.add_neuron_population("B", 40, "Poisson", {"rate": 1.0}, {"timeStepToSpike": 0.0})
    s = m.add_synapse_population(
        "S", "SPARSE", a, b, pg.init_weight_update("StaticPulseConstantWeight", {"g": 1.0}),
        pg.init_postsynaptic("DeltaCurr"),
        pg.init_sparse_connectivity("FixedNumberTotalWithReplacement", {"num": 500}))
    m.build(str(tmp_path))
    m.load()
    pre, post = s.get_sparse_pre_inds(), s.get_sparse_post_inds()
    assert pre.size == post.size == 500
    assert post.min() >= 0 and post.max() < 40
    rows = np.bincount(pre, minlength=50)
    assert rows.std() > 0  # row lengths are random, not a fixed split
    for i in range(50):  # each row's targets are sorted, as GeNN's ordered sampling makes them
        r = post[pre == i]
        assert np.all(np.diff(r) >= 0)
