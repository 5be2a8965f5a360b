"""Built-in current source models (GeNN 5.4 ``CurrentSourceModels``).

DC
    Constant current ``I = amp``. Parameters: ``amp`` (nA).

GaussianNoise
    White noise drawn each step: ``I = mean + sd * N(0, 1)``.
    Parameters: ``mean``, ``sd`` (nA).

PoissonExp
    Current from a Poisson spike train through an exponential synapse: each step draws
    ``k ~ Poisson(Lambda)``, ``Lambda = rate dt / 1000``,
    ``current <- current + Init k``, injects ``current``, then ``current <- current * ExpDecay``.
    Parameters: ``weight`` (nA), ``tauSyn`` (ms), ``rate`` (Hz). Variables: ``current``.
    Derived: ``ExpDecay = exp(-dt / tauSyn)``, ``Init = weight (1 - exp(-dt / tauSyn)) tauSyn / dt``,
    ``ExpMinusLambda = exp(-Lambda)`` (as in GeNN), ``Lambda``.
    GeNN draws ``k`` by Knuth's multiplication method, a loop of uniform draws; this model draws the same
    distribution with ``gennrand_poisson(Lambda)``, by inversion of a single draw with no data-dependent loop,
    so the neuron loop it runs in takes SIMD lanes (the counts differ from GeNN's, number for number, as every
    random stream here does).
"""

from __future__ import annotations

import math

from ..api.snippets import CurrentSourceModelBase, _Registry, create_current_source_model


def DC() -> CurrentSourceModelBase:
    return create_current_source_model(
        "DC",
        params=["amp"],
        injection_code="injectCurrent(amp);\n")


def GaussianNoise() -> CurrentSourceModelBase:
    return create_current_source_model(
        "GaussianNoise",
        params=["mean", "sd"],
        injection_code="injectCurrent(mean + (gennrand_normal() * sd));\n")


def PoissonExp() -> CurrentSourceModelBase:
    return create_current_source_model(
        "PoissonExp",
        params=["weight", "tauSyn", "rate"],
        vars=[("current", "scalar")],
        derived_params=[
            ("ExpDecay", lambda pars, dt: math.exp(-dt / pars["tauSyn"])),
            ("Init", lambda pars, dt: pars["weight"] * (1.0 - math.exp(-dt / pars["tauSyn"]))
             * (pars["tauSyn"] / dt)),
            ("ExpMinusLambda", lambda pars, dt: math.exp(-(pars["rate"] / 1000.0) * dt)),
            ("Lambda", lambda pars, dt: (pars["rate"] / 1000.0) * dt)],
        injection_code="""
        current += Init * (scalar)gennrand_poisson(Lambda);
        injectCurrent(current);
        current *= ExpDecay;
        """)


REGISTRY = _Registry("current source model", {
    "DC": DC, "GaussianNoise": GaussianNoise, "PoissonExp": PoissonExp})
