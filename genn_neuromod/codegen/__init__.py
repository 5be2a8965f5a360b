"""Code generation: plan a model's arrays, compile its snippets, lay out kernels from templates."""

from .generate import GeneratedModel, generate
from .plan import ArraySpec, LoadInfo, ModelPlan, make_plan

__all__ = ["ArraySpec", "GeneratedModel", "LoadInfo", "ModelPlan", "generate", "make_plan"]
