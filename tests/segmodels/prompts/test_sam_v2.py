"""sam2 through the real loading path, when the package is installed: the smallest published
architecture (SAM 2.1 Hiera-T) with random weights, saved as sam2 publishes it ({"model": state}), is
recognised, loaded strictly and answers a click and a box with masks of the image's size."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from segmodels.errors import SegError
from segmodels.prompts.engine import SamEngine, load_backend

pytest.importorskip("sam2", reason="the optional 'sam2' package is not installed (pip install '.[sam2]')")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from sam2.build_sam import build_sam2

    torch.manual_seed(0)
    model = build_sam2("configs/sam2.1/sam2.1_hiera_t.yaml", None, device="cpu")
    path = tmp_path_factory.mktemp("sam2") / "hiera tiny.pt"
    torch.save({"model": model.state_dict()}, path)
    return path


def test_click_and_box_give_masks_at_image_size(checkpoint):
    engine = SamEngine(device="cpu")
    rgb = (np.random.default_rng(0).random((90, 130, 3)) * 255).astype(np.uint8)
    click = engine.mask(str(checkpoint), "auto", ("a.png", 1), rgb, [(40.5, 30.5)], [1], None)
    boxed = engine.mask(str(checkpoint), "sam2.1_hiera_t", ("a.png", 1), rgb, [(40.5, 30.5)], [1],
                        (10.0, 10.0, 100.0, 80.0))
    for mask in (click, boxed):
        assert mask.shape == (90, 130) and mask.dtype == bool
    assert engine.backend(str(checkpoint), "auto").name == "SAM 2 t"


def test_a_v1_type_for_a_sam2_file_is_named(checkpoint):
    with pytest.raises(SegError, match="holds a sam2.1_hiera_t model, not vit_b"):
        load_backend(checkpoint, "vit_b", "cpu")
