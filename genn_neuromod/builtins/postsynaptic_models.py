"""Built-in postsynaptic models (GeNN 5.4 ``PostsynapticModels``).

ExpCurr
    Exponentially decaying current: ``I = init * inSyn``, then ``inSyn <- inSyn * expDecay``.
    Parameters: ``tau`` (ms). Derived: ``expDecay = exp(-dt / tau)``,
    ``init = tau (1 - exp(-dt / tau)) / dt`` (normalises the charge to that of a continuous
    exponential synapse).

ExpCond
    Exponentially decaying conductance: ``I = inSyn (E - V)``, then ``inSyn <- inSyn * expDecay``.
    Parameters: ``tau`` (ms), ``E`` (reversal potential). Neuron var ref: ``V`` (READ_ONLY).
    Derived: ``expDecay = exp(-dt / tau)``.

DeltaCurr
    Instantaneous current: ``I = inSyn``, then ``inSyn <- 0``. No parameters.
"""

from __future__ import annotations

import math

from ..api.enums import VarAccessMode
from ..api.snippets import PostsynapticModelBase, _Registry, create_postsynaptic_model


def ExpCurr() -> PostsynapticModelBase:
    return create_postsynaptic_model(
        "ExpCurr",
        params=["tau"],
        derived_params=[
            ("expDecay", lambda pars, dt: math.exp(-dt / pars["tau"])),
            ("init", lambda pars, dt: (pars["tau"] * (1.0 - math.exp(-dt / pars["tau"]))) * (1.0 / dt))],
        sim_code="""
        injectCurrent(init * inSyn);
        inSyn *= expDecay;
        """)


def ExpCond() -> PostsynapticModelBase:
    return create_postsynaptic_model(
        "ExpCond",
        params=["tau", "E"],
        neuron_var_refs=[("V", "scalar", VarAccessMode.READ_ONLY)],
        derived_params=[("expDecay", lambda pars, dt: math.exp(-dt / pars["tau"]))],
        sim_code="""
        injectCurrent(inSyn * (E - V));
        inSyn *= expDecay;
        """)


def DeltaCurr() -> PostsynapticModelBase:
    return create_postsynaptic_model(
        "DeltaCurr",
        sim_code="""
        injectCurrent(inSyn);
        inSyn = 0.0;
        """)


REGISTRY = _Registry("postsynaptic model", {"ExpCurr": ExpCurr, "ExpCond": ExpCond, "DeltaCurr": DeltaCurr})
