"""Which Segment Anything model a checkpoint holds, read from its keys and shapes (no weights needed:
the state dicts here hold only the tensors `detect` looks at)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from segmodels.errors import SegError
from segmodels.prompts.checkpoints import choose, detect

WHERE = Path("weights.pth")


def v1_state(width: int, depth: int, head: int, global_attn: set[int]) -> dict:
    state = {"image_encoder.patch_embed.proj.weight": torch.empty(width, 3, 1, 1),
             "mask_decoder.iou_token.weight": torch.empty(1, 256)}
    for i in range(depth):
        rows = 127 if i in global_attn else 27  # 2 * 64 - 1 (global over 64x64 tokens), 2 * 14 - 1 (windowed)
        state[f"image_encoder.blocks.{i}.attn.rel_pos_h"] = torch.empty(rows, head)
    return state


@pytest.mark.parametrize("width, depth, head, global_attn, name", [
    (768, 12, 64, {2, 5, 8, 11}, "vit_b"), (1024, 24, 64, {5, 11, 17, 23}, "vit_l"),
    (1280, 32, 80, {7, 15, 23, 31}, "vit_h")])
def test_published_v1_sizes(width, depth, head, global_attn, name):
    spec = detect(v1_state(width, depth, head, global_attn), WHERE)
    assert (spec.family, spec.model_type) == ("sam1", name)
    assert spec.num_heads == width // head and set(spec.global_attn) == global_attn


def test_another_v1_size_is_custom_with_its_sizes():
    spec = detect(v1_state(32, 2, 16, {1}), WHERE)
    assert (spec.model_type, spec.embed_dim, spec.depth, spec.num_heads, spec.global_attn) == ("custom", 32, 2, 2, (1,))


@pytest.mark.parametrize("width, blocks, spatial, name", [
    (96, 12, True, "sam2.1_hiera_t"), (96, 16, True, "sam2.1_hiera_s"), (112, 24, False, "sam2_hiera_b+"),
    (144, 48, False, "sam2_hiera_l")])
def test_sam2_sizes_and_versions(width, blocks, spatial, name):
    state = {"image_encoder.trunk.patch_embed.proj.weight": torch.empty(width, 3, 1, 1)}
    state.update({f"image_encoder.trunk.blocks.{i}.norm1.weight": torch.empty(1) for i in range(blocks)})
    if spatial:
        state["no_obj_embed_spatial"] = torch.empty(1, 64)
    spec = detect(state, WHERE)
    assert (spec.family, spec.model_type) == ("sam2", name)


def test_not_a_sam_model_is_one_sentence():
    with pytest.raises(SegError, match=r"'weights.pth' is not a Segment Anything model"):
        detect({"backbone.conv1.weight": torch.empty(1)}, WHERE)


def test_the_users_type_must_match_the_file():
    spec = detect(v1_state(768, 12, 64, {2, 5, 8, 11}), WHERE)
    assert choose(spec, "auto", WHERE) is spec and choose(spec, "vit_b", WHERE) is spec
    with pytest.raises(SegError, match="holds a vit_b model, not vit_h; choose 'auto' or 'vit_b'"):
        choose(spec, "vit_h", WHERE)
