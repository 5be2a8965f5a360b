"""Code generation: plan a model's arrays, describe its kernels, render them from templates.

``plan`` (arrays, delays, connectivity) -> ``kernels`` (one module per kernel kind, compiling the snippets
against ``environment``) -> ``c_source`` / ``cuda_source`` (templates per backend).  See docs/architecture.md.
"""

from .c_source import GeneratedModel, generate_c
from .plan import ArraySpec, LoadInfo, ModelPlan, make_plan

__all__ = ["ArraySpec", "GeneratedModel", "LoadInfo", "ModelPlan", "generate_c", "make_plan"]
