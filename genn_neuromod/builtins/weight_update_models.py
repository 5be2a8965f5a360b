"""Built-in weight update models (GeNN 5.4 ``WeightUpdateModels``).

StaticPulse
    On each presynaptic spike, ``addToPost(g)``. Variables: ``g`` (READ_ONLY weight).

StaticPulseConstantWeight
    As StaticPulse with ``g`` a parameter shared by all synapses.

StaticPulseDendriticDelay
    On each presynaptic spike, ``addToPostDelay(g, d)``.
    Variables: ``g`` (READ_ONLY), ``d`` (uint8_t, READ_ONLY; dendritic delay in timesteps).

StaticGraded
    Graded release: while ``V > Epre`` (presynaptic event), each step
    ``addToPost(max(0, g tanh((V - Epre) / Vslope) dt))``.
    Parameters: ``Epre`` (threshold potential), ``Vslope`` (activation slope).
    Variables: ``g`` (READ_ONLY). Presynaptic neuron var ref: ``V`` (READ_ONLY).

STDP
    Additive, nearest-neighbour STDP with hard bounds; ``Delta t = t_post - t_pre``:
    ``Delta g = Aplus exp(-Delta t / tauPlus)`` if ``Delta t > 0`` (applied on post spike),
    ``Delta g = -Aminus exp(Delta t / tauMinus)`` if ``Delta t < 0`` (applied on pre spike);
    ``g`` clipped to ``[Wmin, Wmax]``. Each presynaptic spike also does ``addToPost(g)``.
    Parameters: ``tauPlus``, ``tauMinus`` (ms), ``Aplus``, ``Aminus``, ``Wmin``, ``Wmax``.
    Variables: ``g``.
"""

from __future__ import annotations

from ..api.enums import VarAccess, VarAccessMode
from ..api.snippets import WeightUpdateModelBase, _Registry, create_weight_update_model


def StaticPulse() -> WeightUpdateModelBase:
    return create_weight_update_model(
        "StaticPulse",
        vars=[("g", "scalar", VarAccess.READ_ONLY)],
        pre_spike_syn_code="addToPost(g);\n")


def StaticPulseConstantWeight() -> WeightUpdateModelBase:
    return create_weight_update_model(
        "StaticPulseConstantWeight",
        params=["g"],
        pre_spike_syn_code="addToPost(g);\n")


def StaticPulseDendriticDelay() -> WeightUpdateModelBase:
    return create_weight_update_model(
        "StaticPulseDendriticDelay",
        vars=[("g", "scalar", VarAccess.READ_ONLY), ("d", "uint8_t", VarAccess.READ_ONLY)],
        pre_spike_syn_code="addToPostDelay(g, d);\n")


def StaticGraded() -> WeightUpdateModelBase:
    # GeNN 5.4 writes ``V_pre`` in the event code, a GeNN-4 leftover that GeNN 5 does not
    # define (the presynaptic neuron var ref is named ``V``); we write ``V``, which is what
    # the threshold condition already uses and what the model means.
    return create_weight_update_model(
        "StaticGraded",
        params=["Epre", "Vslope"],
        vars=[("g", "scalar", VarAccess.READ_ONLY)],
        pre_neuron_var_refs=[("V", "scalar", VarAccessMode.READ_ONLY)],
        pre_event_threshold_condition_code="V > Epre",
        pre_event_syn_code="addToPost(fmax(0.0, g * tanh((V - Epre) / Vslope) * dt));\n")


def STDP() -> WeightUpdateModelBase:
    # As in GeNN, the local ``scalar dt`` shadows the timestep ``dt`` in both code strings.
    return create_weight_update_model(
        "STDP",
        params=["tauPlus", "tauMinus", "Aplus", "Aminus", "Wmin", "Wmax"],
        vars=[("g", "scalar")],
        pre_spike_syn_code="""
        addToPost(g);
        scalar dt = t - st_post;
        if (dt > 0) {
            scalar timing = exp(-dt / tauMinus);
            scalar newWeight = g - (Aminus * timing);
            g = fmax(Wmin, fmin(Wmax, newWeight));
        }
        """,
        post_spike_syn_code="""
        scalar dt = t - st_pre;
        if (dt > 0) {
            scalar timing = exp(-dt / tauPlus);
            scalar newWeight = g + (Aplus * timing);
            g = fmax(Wmin, fmin(Wmax, newWeight));
        }
        """)


REGISTRY = _Registry("weight update model", {
    "StaticPulse": StaticPulse, "StaticPulseConstantWeight": StaticPulseConstantWeight,
    "StaticPulseDendriticDelay": StaticPulseDendriticDelay, "StaticGraded": StaticGraded, "STDP": STDP})
