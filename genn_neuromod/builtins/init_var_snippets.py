"""Built-in variable initialisation snippets (GeNN 5.4 ``InitVarSnippet``); each assigns ``value``.

Uninitialised
    Leaves the variable uninitialised (the user sets it). No code.
Constant
    ``value = constant``. Parameters: ``constant``.
Kernel
    ``value = kernel[id_kernel]``, from EGP ``kernel`` (scalar*). Only meaningful with
    kernel-weight (PROCEDURAL_KERNELG / TOEPLITZ) connectivity, which provides ``id_kernel``;
    the embedded engine does not support those, so using this snippet fails at build time.
Uniform
    ``value ~ U[min, max)``. Parameters: ``min``, ``max``.
Normal
    ``value ~ N(mean, sd^2)``. Parameters: ``mean``, ``sd``.
NormalClipped
    ``N(mean, sd^2)`` resampled until in ``[min, max]``. Parameters: ``mean``, ``sd``, ``min``, ``max``.
NormalClippedDelay
    As NormalClipped on values in ms, converted to timesteps and rounded (``rint``): a
    delay in timesteps. Parameters: ``mean``, ``sd``, ``min``, ``max`` (ms).
    Derived: ``meanTimestep = mean / dt``, ``sdTimestep``, ``minTimestep``, ``maxTimestep`` likewise.
Exponential
    ``value = lambda * Exp(1)``. Parameters: ``lambda``.
Gamma
    ``value = b * Gamma(a, 1)``. Parameters: ``a`` (shape), ``b`` (scale).
Binomial
    ``value ~ Binomial(n, p)``. Parameters: ``n`` (trials), ``p`` (success probability).
"""

from __future__ import annotations

import math

from ..api.snippets import InitVarSnippetBase, _Registry, create_var_init_snippet


def Uninitialised() -> InitVarSnippetBase:
    return create_var_init_snippet("Uninitialised")


def Constant() -> InitVarSnippetBase:
    return create_var_init_snippet("Constant", params=["constant"], var_init_code="value = constant;")


def Kernel() -> InitVarSnippetBase:
    """``value = kernel[id_kernel]``; needs kernel connectivity, which the embedded engine lacks."""
    return create_var_init_snippet("Kernel", var_init_code="value = kernel[id_kernel];",
                                   extra_global_params=[("kernel", "scalar*")])


def Uniform() -> InitVarSnippetBase:
    return create_var_init_snippet(
        "Uniform",
        params=["min", "max"],
        var_init_code="""
        const scalar scale = max - min;
        value = min + (gennrand_uniform() * scale);
        """)


def Normal() -> InitVarSnippetBase:
    return create_var_init_snippet("Normal", params=["mean", "sd"],
                                   var_init_code="value = mean + (gennrand_normal() * sd);")


def _clipped_normal_check(params: dict) -> str | None:
    """Rejection sampling ends only if [min, max] holds a fair share of the normal's mass."""
    lo, hi, mean, sd = (float(params[k]) for k in ("min", "max", "mean", "sd"))
    if not lo < hi:
        return f"min ({lo:g}) must be below max ({hi:g}), else no value is ever accepted"
    if sd <= 0.0:
        return None if lo <= mean <= hi else f"with sd = {sd:g} every value is the mean {mean:g}, outside [min, max]"
    mass = 0.5 * (math.erf((hi - mean) / (sd * math.sqrt(2.0))) - math.erf((lo - mean) / (sd * math.sqrt(2.0))))
    if mass < 1e-6:
        return (f"[min, max] = [{lo:g}, {hi:g}] holds {mass:.2g} of the normal's mass (mean {mean:g}, sd {sd:g}): "
                "sampling would practically never end")
    return None


def _clipped(snippet: InitVarSnippetBase) -> InitVarSnippetBase:
    snippet.param_check = _clipped_normal_check
    return snippet


def NormalClipped() -> InitVarSnippetBase:
    return _clipped(create_var_init_snippet(
        "NormalClipped",
        params=["mean", "sd", "min", "max"],
        var_init_code="""
        scalar normal;
        do
        {
           normal = mean + (gennrand_normal() * sd);
        } while (normal > max || normal < min);
        value = normal;
        """))


def NormalClippedDelay() -> InitVarSnippetBase:
    return _clipped(create_var_init_snippet(
        "NormalClippedDelay",
        params=["mean", "sd", "min", "max"],
        derived_params=[
            ("meanTimestep", lambda pars, dt: pars["mean"] / dt),
            ("sdTimestep", lambda pars, dt: pars["sd"] / dt),
            ("minTimestep", lambda pars, dt: pars["min"] / dt),
            ("maxTimestep", lambda pars, dt: pars["max"] / dt)],
        var_init_code="""
        scalar normal;
        do
        {
           normal = meanTimestep + (gennrand_normal() * sdTimestep);
        } while (normal > maxTimestep || normal < minTimestep);
        value = rint(normal);
        """))


def Exponential() -> InitVarSnippetBase:
    return create_var_init_snippet("Exponential", params=["lambda"],
                                   var_init_code="value = lambda * gennrand_exponential();")


def Gamma() -> InitVarSnippetBase:
    return create_var_init_snippet("Gamma", params=["a", "b"], var_init_code="value = b * gennrand_gamma(a);")


def Binomial() -> InitVarSnippetBase:
    return create_var_init_snippet("Binomial", params=["n", "p"],
                                   var_init_code="value = gennrand_binomial((unsigned int)n, p);")


REGISTRY = _Registry("var init snippet", {
    "Uninitialised": Uninitialised, "Constant": Constant, "Kernel": Kernel, "Uniform": Uniform,
    "Normal": Normal, "NormalClipped": NormalClipped, "NormalClippedDelay": NormalClippedDelay,
    "Exponential": Exponential, "Gamma": Gamma, "Binomial": Binomial})
