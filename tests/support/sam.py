"""Tiny Segment Anything checkpoints with random weights, built from the packages' own classes.

Nothing can be downloaded in tests, so the real loading path (`segmodels.prompts.engine.load_backend`)
is exercised on models of the published architecture with a tiny image encoder (2 blocks, 32 wide,
one global-attention block); prompt encoder and mask decoder are the real ones.
"""
from __future__ import annotations

from pathlib import Path

import torch

TINY_V1 = {"encoder_embed_dim": 32, "encoder_depth": 2, "encoder_num_heads": 2, "encoder_global_attn_indexes": [1]}


def tiny_sam_v1(path: Path, **changes) -> Path:
    """A segment-anything state dict at `path` (a plain state dict, as Meta publishes them)."""
    from segment_anything.build_sam import _build_sam

    torch.manual_seed(0)
    model = _build_sam(**{**TINY_V1, **changes}, checkpoint=None)
    torch.save(model.state_dict(), path)
    return path
