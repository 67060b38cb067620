"""The bilinear transposed-conv initialisation really upsamples bilinearly.

The rule: docs/models-and-labels.md#fully-convolutional-networks.
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from segmodels.models.upsampling import bilinear_kernel, bilinear_kernel_size, bilinear_upsample


def test_kernel_follows_the_formula():
    assert bilinear_kernel_size(2) == 4 and bilinear_kernel_size(3) == 5 and bilinear_kernel_size(8) == 16
    weight = bilinear_kernel(2, 2, 2)
    tent = torch.tensor([0.25, 0.75, 0.75, 0.25])
    assert torch.allclose(weight[0, 0], tent[:, None] * tent[None, :])
    assert torch.count_nonzero(weight[0, 1]) == 0 and torch.count_nonzero(weight[1, 0]) == 0
    odd = bilinear_kernel(1, 1, 3)[0, 0]
    assert odd.shape == (5, 5) and odd[2, 2] == 1.0 and torch.isclose(odd[2, 0], torch.tensor(1 / 3))


@pytest.mark.parametrize("factor", [2, 3, 4, 8])
def test_constant_stays_constant_and_image_grows_by_factor(factor):
    layer = bilinear_upsample(3, factor)
    x = torch.full((1, 3, 9, 11), 0.7)
    with torch.no_grad():
        y = layer(x)
    assert y.shape == (1, 3, 9 * factor, 11 * factor)
    margin = factor
    inner = (..., slice(margin, -margin), slice(margin, -margin))
    assert torch.allclose(y[inner], torch.full_like(y, 0.7)[inner], atol=1e-6)


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_linear_ramp_stays_linear_in_the_interior(factor):
    layer = bilinear_upsample(1, factor)
    ys, xs = torch.meshgrid(torch.arange(8.0), torch.arange(10.0), indexing="ij")
    ramp = (2.0 * xs - 0.5 * ys + 3.0)[None, None]
    with torch.no_grad():
        up = layer(ramp)[0, 0]
    # Output pixel centres map back to input coordinates (i + 0.5) / f - 0.5 (half-pixel centres).
    rows = torch.arange(up.shape[0], dtype=torch.float32)
    cols = torch.arange(up.shape[1], dtype=torch.float32)
    oy, ox = torch.meshgrid(rows, cols, indexing="ij")
    expected = 2.0 * ((ox + 0.5) / factor - 0.5) - 0.5 * ((oy + 0.5) / factor - 0.5) + 3.0
    m = factor
    assert torch.allclose(up[m:-m, m:-m], expected[m:-m, m:-m], atol=1e-4)
    reference = F.interpolate(ramp, scale_factor=factor, mode="bilinear", align_corners=False)[0, 0]
    assert torch.allclose(up[m:-m, m:-m], reference[m:-m, m:-m], atol=1e-4)


def test_random_image_matches_bilinear_interpolation_in_the_interior():
    torch.manual_seed(0)
    x = torch.rand(1, 2, 12, 14)
    with torch.no_grad():
        y = bilinear_upsample(2, 4)(x)
    reference = F.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)
    assert torch.allclose(y[..., 4:-4, 4:-4], reference[..., 4:-4, 4:-4], atol=1e-5)
