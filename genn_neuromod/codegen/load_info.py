"""Sizes of a model only known at ``load()``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LoadInfo:
    """Sizes only known at ``load()``: sparse row and column strides, the split points per sparse row of an OpenMP
    team, and the recording length (runtime-owned)."""

    row_stride: dict[str, int] = field(default_factory=dict)
    col_stride: dict[str, int] = field(default_factory=dict)
    row_split_parts: dict[str, int] = field(default_factory=dict)  # split points per row (team size - 1)
    num_recording_timesteps: int = 0
