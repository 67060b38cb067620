"""Pixels read in place from Pillow's memory (segmodels/labels/pixels.py) equal numpy's own reading,
for every mode and size, and come back as new, writable arrays."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segmodels.labels import pixels
from segmodels.labels.colorlabels import color_codes


@pytest.mark.parametrize("mode", ["L", "P", "1"])
@pytest.mark.parametrize("size", [(1, 1), (37, 53), (0, 4)])
def test_index_values_equal_numpys_and_are_writable(mode, size):
    rng = np.random.default_rng(1)
    image = Image.fromarray(rng.integers(0, 256, size[::-1], dtype=np.uint8), "L").convert(mode) if size[0] else \
        Image.new(mode, size)
    values = pixels.index_values(image)
    np.testing.assert_array_equal(values, np.array(image, dtype=np.uint8))  # "1" reads as 0/1, as numpy does
    assert values.dtype == np.uint8 and values.flags.writeable and values.flags.owndata


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "L"])
def test_rgb_codes_equal_codes_of_the_decoded_colours(mode):
    rng = np.random.default_rng(2)
    image = Image.fromarray(rng.integers(0, 256, (29, 31, 4), dtype=np.uint8), "RGBA").convert(mode)
    expected = color_codes(np.ascontiguousarray(np.asarray(image.convert("RGB"))))
    np.testing.assert_array_equal(pixels.rgb_codes(image), expected)  # alpha never counts


def test_the_in_place_path_is_taken_and_a_large_image_falls_back(monkeypatch):
    calls = []
    real = pixels._with_pixels
    monkeypatch.setattr(pixels, "_with_pixels", lambda *args: calls.append(real(*args)) or calls[-1])
    small = Image.new("P", (64, 48), 3)
    assert pixels.index_values(small).sum() == 3 * 64 * 48 and calls == [True]  # read in place
    big = Image.new("L", (6000, 4000), 7)  # above one of Pillow's memory blocks: rows not contiguous
    assert (pixels.index_values(big) == 7).all() and calls[-1] is False


@pytest.mark.parametrize("mode", ["L", "P", "1"])
def test_mapped_values_go_through_the_table_into_one_new_array(mode):
    from segmodels.formats.lut import apply_lut

    rng = np.random.default_rng(3)
    image = Image.fromarray(rng.integers(0, 256, (21, 34), dtype=np.uint8), "L").convert(mode)
    table = (np.arange(256, dtype=np.uint8) * 7) ^ 0x5A
    mapped = pixels.index_values(image, lambda values, out: apply_lut(table, values, out=out))
    np.testing.assert_array_equal(mapped, table[np.array(image, dtype=np.uint8)])
    assert mapped.flags.writeable and mapped.flags.owndata
