"""Reading a Segment Anything checkpoint safely, and telling which model it holds.

Both packages' own builders call a bare `torch.load`, which runs whatever a pickle asks; here the file
goes through `segmodels.models.checkpoint.read_safely` (`weights_only=True` after cheap checks), so a
hostile or corrupt file is one sentence naming it, and the state dict is loaded into a model built
with no checkpoint. The model is read from the keys and shapes (docs/models-and-labels.md, "Segment
Anything prompts"):

- segment-anything (v1): `image_encoder.blocks.N...`; the patch embedding's width and the block count
  give ViT-B (768, 12), ViT-L (1024, 24) or ViT-H (1280, 32); the relative-position tables tell global
  from windowed attention blocks and give the head width;
- sam2: `image_encoder.trunk...`; the trunk's width and block count give Hiera T (96, 12), S (96, 16),
  B+ (112, 24) or L (144, 48); `no_obj_embed_spatial` exists only in SAM 2.1.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segmodels.errors import SegError, describe

KIND = "Segment Anything checkpoint"
WINDOW = 14  # segment-anything's window size: a windowed block's position table has 2 * 14 - 1 rows
V1_TYPES = {(768, 12): "vit_b", (1024, 24): "vit_l", (1280, 32): "vit_h"}
V2_SIZES = {(96, 12): "t", (96, 16): "s", (112, 24): "b+", (144, 48): "l"}


@dataclass(frozen=True)
class SamSpec:
    """Which model a checkpoint holds. `model_type` is a registry name ("vit_b", "sam2.1_hiera_t") or
    "custom" for a v1 encoder of another size, built from `embed_dim`, `depth`, `num_heads`, `global_attn`."""

    family: str            # "sam1" or "sam2"
    model_type: str
    embed_dim: int = 0
    depth: int = 0
    num_heads: int = 0
    global_attn: tuple[int, ...] = ()


def read_state_dict(path: Path) -> dict[str, Any]:
    """The weights in `path` (a plain state dict, or one under "model" as sam2 saves it)."""
    from segmodels.models.checkpoint import read_safely

    loaded = read_safely(path, KIND)
    if isinstance(loaded, dict) and isinstance(loaded.get("model"), dict):
        loaded = loaded["model"]
    if not isinstance(loaded, dict) or not loaded or not all(isinstance(key, str) for key in loaded):
        raise SegError(f"{KIND} {describe(path)} holds no model weights.", path=path)
    return loaded


def _block_indices(state: dict[str, Any], prefix: str) -> list[int]:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
    return sorted({int(m.group(1)) for key in state if (m := pattern.match(key))})


def detect(state: dict[str, Any], path: Path) -> SamSpec:
    """The model `state` holds; a SegError naming `path` when it is no Segment Anything model."""
    try:
        if "image_encoder.trunk.patch_embed.proj.weight" in state:
            width = int(state["image_encoder.trunk.patch_embed.proj.weight"].shape[0])
            blocks = len(_block_indices(state, "image_encoder.trunk.blocks."))
            size = V2_SIZES.get((width, blocks))
            if size is None:
                raise SegError(f"{KIND} {describe(path)} holds a SAM 2 model of an unknown size "
                               f"(trunk width {width}, {blocks} blocks).", path=path)
            version = "sam2.1" if "no_obj_embed_spatial" in state else "sam2"
            return SamSpec("sam2", f"{version}_hiera_{size}")
        if "image_encoder.patch_embed.proj.weight" in state and "mask_decoder.iou_token.weight" in state:
            embed_dim = int(state["image_encoder.patch_embed.proj.weight"].shape[0])
            indices = _block_indices(state, "image_encoder.blocks.")
            head_dim = int(state[f"image_encoder.blocks.{indices[0]}.attn.rel_pos_h"].shape[1])
            global_attn = tuple(i for i in indices
                                if state[f"image_encoder.blocks.{i}.attn.rel_pos_h"].shape[0] != 2 * WINDOW - 1)
            model_type = V1_TYPES.get((embed_dim, len(indices)), "custom")
            return SamSpec("sam1", model_type, embed_dim, len(indices), embed_dim // head_dim, global_attn)
    except (KeyError, IndexError, AttributeError, TypeError, ZeroDivisionError):
        pass
    raise SegError(f"{KIND} {describe(path)} is not a Segment Anything model (no SAM image encoder weights).",
                   path=path)


def choose(spec: SamSpec, wanted: str, path: Path) -> SamSpec:
    """The spec to build: the file's own unless the user chose a type, which must then match it."""
    if wanted in ("auto", "", spec.model_type):
        return spec
    raise SegError(f"{KIND} {describe(path)} holds a {spec.model_type} model, not {wanted}; choose 'auto' or "
                   f"'{spec.model_type}' as the SAM model type in Edit > Preferences.", path=path)


def load_weights(model: Any, state: dict[str, Any], spec: SamSpec, path: Path, device: Any) -> Any:
    """`state` into `model` exactly (strict: a file that fits only in part is another model), on
    `device`, in eval mode; both backends load through here."""
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError:
        raise SegError(f"{KIND} {describe(path)} does not fit the {spec.model_type} model it seems to hold "
                       "(missing, extra or misshapen weights).", path=path) from None
    return model.to(device).eval()
