"""Initialisers: ``init_var``, ``init_sparse_connectivity``, ``init_postsynaptic``, ``init_weight_update``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .snippets import (
    InitSparseConnectivitySnippetBase,
    InitToeplitzConnectivitySnippetBase,
    InitVarSnippetBase,
    PostsynapticModelBase,
    WeightUpdateModelBase,
    check_params,
    resolve_snippet,
)


@dataclass
class VarInit:
    """A variable initialised on the device by a var-init snippet."""

    snippet: InitVarSnippetBase
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class SparseConnectivityInit:
    snippet: InitSparseConnectivitySnippetBase
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToeplitzConnectivityInit:
    snippet: InitToeplitzConnectivitySnippetBase
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class PostsynapticInit:
    snippet: PostsynapticModelBase
    params: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    var_refs: dict[str, Any] = field(default_factory=dict)


@dataclass
class WeightUpdateInit:
    snippet: WeightUpdateModelBase
    params: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    pre_vars: dict[str, Any] = field(default_factory=dict)
    post_vars: dict[str, Any] = field(default_factory=dict)
    pre_var_refs: dict[str, Any] = field(default_factory=dict)
    post_var_refs: dict[str, Any] = field(default_factory=dict)
    psm_var_refs: dict[str, Any] = field(default_factory=dict)


def init_var(snippet, params: dict | None = None) -> VarInit:
    """Initialise a variable with a snippet, e.g. ``init_var("Normal", {"mean": 0, "sd": 1})``."""
    from ..builtins import init_var_snippets

    snip = resolve_snippet(snippet, InitVarSnippetBase, init_var_snippets.REGISTRY)
    return VarInit(snip, check_params(snip, params, f"init_var('{snip.class_name}')", "var init snippet"))


def init_sparse_connectivity(snippet, params: dict | None = None) -> SparseConnectivityInit:
    """Initialise connectivity, e.g. ``init_sparse_connectivity("FixedProbability", {"prob": 0.1})``."""
    from ..builtins import init_sparse_connectivity_snippets as m

    snip = resolve_snippet(snippet, InitSparseConnectivitySnippetBase, m.REGISTRY)
    return SparseConnectivityInit(snip, check_params(snip, params, f"init_sparse_connectivity('{snip.class_name}')",
                                                     "sparse connectivity snippet"))


init_connectivity = init_sparse_connectivity


def init_postsynaptic(snippet, params: dict | None = None, vars: dict | None = None,
                      var_refs: dict | None = None) -> PostsynapticInit:
    """Initialise a postsynaptic model, e.g. ``init_postsynaptic("ExpCurr", {"tau": 5.0})``."""
    from ..builtins import postsynaptic_models

    return PostsynapticInit(resolve_snippet(snippet, PostsynapticModelBase, postsynaptic_models.REGISTRY),
                            dict(params or {}), dict(vars or {}), dict(var_refs or {}))


def init_weight_update(snippet, params: dict | None = None, vars: dict | None = None,
                       pre_vars: dict | None = None, post_vars: dict | None = None,
                       pre_var_refs: dict | None = None, post_var_refs: dict | None = None,
                       psm_var_refs: dict | None = None) -> WeightUpdateInit:
    """Initialise a weight update model, e.g. ``init_weight_update("StaticPulse", {}, {"g": 1.0})``."""
    from ..builtins import weight_update_models

    return WeightUpdateInit(resolve_snippet(snippet, WeightUpdateModelBase, weight_update_models.REGISTRY),
                            dict(params or {}), dict(vars or {}), dict(pre_vars or {}), dict(post_vars or {}),
                            dict(pre_var_refs or {}), dict(post_var_refs or {}), dict(psm_var_refs or {}))


def init_toeplitz_connectivity(snippet, params: dict | None = None) -> ToeplitzConnectivityInit:
    """Initialise TOEPLITZ connectivity, e.g. ``init_toeplitz_connectivity("Conv2D", {...})``."""
    from ..builtins import init_toeplitz_connectivity_snippets as m

    snip = resolve_snippet(snippet, InitToeplitzConnectivitySnippetBase, m.REGISTRY)
    return ToeplitzConnectivityInit(snip, check_params(snip, params, f"init_toeplitz_connectivity('{snip.class_name}')",
                                                       "Toeplitz connectivity snippet"))
