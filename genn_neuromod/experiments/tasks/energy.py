"""Energy per inference from counted operations.

Counting method: a spiking network spends one synaptic accumulate (SOP, 0.9 pJ) per spike per outgoing
synapse that is delivered; each neuron's spikes are counted from its recording and multiplied by its
fan-out (its outgoing synapses, over all groups). A conventional ANN with the same layer sizes
spends one multiply-accumulate (MAC, 4.6 pJ) per weight per inference. Both figures are the 45 nm
estimates of Horowitz (ISSCC 2014) that the spiking-network literature uses; neither counts memory access.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

PJ_PER_SOP = 0.9
PJ_PER_MAC = 4.6


def synaptic_operations(spikes: Mapping[str, Any], fanout: Mapping[str, Any]) -> float:
    """Sum over source populations and neurons of spikes x fan-out (synapses leaving that neuron).

    Either may be per neuron (arrays) or per population (scalars: a total spike count with a uniform fan-out).
    """
    missing = set(fanout) - set(spikes)
    if missing:
        raise ValueError(f"no spike count for population(s) {sorted(missing)}")
    return float(sum(np.sum(np.asarray(spikes[p], dtype=float) * np.asarray(f, dtype=float))
                     for p, f in fanout.items()))


def fanout_of(graph) -> dict[str, np.ndarray]:
    """Synapses leaving each neuron, per source population, summed over a circuit graph's edges."""
    out: dict[str, np.ndarray] = {}
    for u, v, data in graph.edges(data=True):
        n_pre = int(graph.nodes[u]["size"])
        conn = data.get("connectivity")
        if conn is not None and "pre" in conn:
            per = np.bincount(np.asarray(conn["pre"], dtype=np.int64), minlength=n_pre).astype(float)
        elif conn is not None:
            raise ValueError(f"edge '{data.get('name')}': fan-out of connectivity snippet "
                             f"'{conn.get('snippet')}' is not known before it is built; give explicit pre/post")
        else:
            per = np.full(n_pre, float(graph.nodes[v]["size"]))
        out[u] = out.get(u, np.zeros(n_pre)) + per
    return out


def ann_macs(layer_sizes: Sequence[int]) -> int:
    """Multiply-accumulates of one forward pass through dense layers of the given sizes."""
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"need at least two positive layer sizes, got {sizes}")
    return int(np.sum(np.asarray(sizes[:-1]) * np.asarray(sizes[1:])))


def snn_energy_pj(sops: float) -> float:
    return float(sops) * PJ_PER_SOP


def ann_energy_pj(layer_sizes: Sequence[int]) -> float:
    return ann_macs(layer_sizes) * PJ_PER_MAC
