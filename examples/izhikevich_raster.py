"""First example: a PyGeNN-5 script on the embedded CPU engine, with a raster plot.

The Izhikevich (2003) "simple model" network: 800 excitatory regular-spiking and
200 inhibitory fast-spiking neurons with random sparse connections and thalamic
noise.  Only the import differs from a PyGeNN script.  Run:

    python examples/izhikevich_raster.py          # writes izhikevich_raster.png
"""

from __future__ import annotations

import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import genn_neuromod as pygenn  # noqa: E402  (the only line that differs from PyGeNN)

N_EXC, N_INH, DURATION_MS = 800, 200, 1000.0

model = pygenn.GeNNModel("float", "izhikevich_example")
model.dt = 1.0
model.seed = 1

rng = np.random.default_rng(1)
r_e, r_i = rng.random(N_EXC), rng.random(N_INH)
params = {  # Izhikevich (2003): heterogeneous RS/CH excitatory and FS/LTS inhibitory cells
    "a": np.r_[np.full(N_EXC, 0.02), 0.02 + 0.08 * r_i],
    "b": np.r_[np.full(N_EXC, 0.2), 0.25 - 0.05 * r_i],
    "c": np.r_[-65.0 + 15.0 * r_e ** 2, np.full(N_INH, -65.0)],
    "d": np.r_[8.0 - 6.0 * r_e ** 2, np.full(N_INH, 2.0)],
}
neurons = model.add_neuron_population(
    "Neurons", N_EXC + N_INH, "IzhikevichVariable", {},
    {"V": -65.0, "U": params["b"] * -65.0, **params})
neurons.spike_recording_enabled = True

# thalamic input: Gaussian noise, sd 5 (excitatory) and 2 (inhibitory) as in Izhikevich (2003)
thalamus = pygenn.create_current_source_model(
    "thalamus", vars=[("sd", "scalar", pygenn.VarAccess.READ_ONLY)],
    injection_code="injectCurrent(sd * gennrand_normal());")
model.add_current_source("Thalamus", thalamus, neurons, {}, {"sd": np.r_[np.full(N_EXC, 5.0), np.full(N_INH, 2.0)]})

connect = pygenn.init_sparse_connectivity("FixedProbability", {"prob": 0.1})
model.add_synapse_population(
    "Exc", "SPARSE", neurons, neurons,
    pygenn.init_weight_update("StaticPulse", {}, {"g": pygenn.init_var("Uniform", {"min": 0.0, "max": 0.5})}),
    pygenn.init_postsynaptic("DeltaCurr"), connect)
# (for brevity all outgoing synapses of every neuron share one projection; inhibitory
#  cells get negative weights below)

t0 = time.perf_counter()
model.build()
model.load(num_recording_timesteps=int(DURATION_MS))
syn = model.synapse_populations["Exc"]
w = syn.vars["g"].values
pre = syn.get_sparse_pre_inds()
w[pre >= N_EXC] = -rng.random(np.count_nonzero(pre >= N_EXC))  # inhibitory weights in [-1, 0)
syn.vars["g"].values = w
syn.vars["g"].push_to_device()

while model.t < DURATION_MS:
    model.step_time()
model.pull_recording_buffers_from_device()
times, ids = neurons.spike_recording_data[0]
wall = time.perf_counter() - t0

fig, (ax_r, ax_h) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
exc = ids < N_EXC
ax_r.scatter(times[exc], ids[exc], s=1, c="tab:red", label="excitatory")
ax_r.scatter(times[~exc], ids[~exc], s=1, c="tab:blue", label="inhibitory")
ax_r.set_ylabel("neuron")
ax_r.legend(loc="upper right", markerscale=6)
ax_r.set_title(f"Izhikevich network on genn_neuromod ({len(times)} spikes)")
counts, edges = np.histogram(times, bins=np.arange(0, DURATION_MS + 1, 5.0))
ax_h.plot(edges[:-1], counts / (N_EXC + N_INH) / 0.005, c="k")
ax_h.set_xlabel("time (ms)")
ax_h.set_ylabel("rate (Hz)")
fig.tight_layout()
out = sys.argv[1] if len(sys.argv) > 1 else "izhikevich_raster.png"
fig.savefig(out, dpi=120)
print(f"{len(times)} spikes, mean rate {len(times) / (N_EXC + N_INH) / (DURATION_MS / 1000):.1f} Hz, "
      f"build + run {wall:.1f} s -> {out}")
