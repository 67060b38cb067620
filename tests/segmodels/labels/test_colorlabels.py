"""The colour lookup (one gather in a table of all 2^24 colours) gives what a per-pixel dictionary
lookup gives: class colours their index (the lower id when two share one), the void and ignore
colours 255, and any other colour 255 flagged unknown, including the extremes of the colour cube."""
from __future__ import annotations

import numpy as np
import pytest

from segmodels.labels.classes import ClassTable, voc_classes
from segmodels.labels.colorlabels import color_lookup, colors_to_label_map, pack_rgb


def reference(rgb: np.ndarray, table: ClassTable, ignore: tuple) -> tuple[np.ndarray, np.ndarray]:
    colours: dict[tuple, int] = {}
    for info in table:
        colours.setdefault(tuple(info.color), info.id)
    for colour in (tuple(int(v) for v in table.palette()[255]), *ignore):
        colours.setdefault(tuple(colour), 255)
    flat = [colours.get(tuple(int(v) for v in pixel)) for pixel in rgb.reshape(-1, 3)]
    label = np.array([255 if v is None else v for v in flat], np.uint8).reshape(rgb.shape[:2])
    unknown = np.array([v is None for v in flat]).reshape(rgb.shape[:2])
    return label, unknown


def test_matches_a_per_pixel_lookup():
    table = ClassTable.from_names(["bg", "a", "b", "twin"], [(0, 0, 0), (255, 255, 255), (1, 2, 3), (1, 2, 3)])
    ignore = ((9, 9, 9),)
    rng = np.random.default_rng(0)
    known = np.array([c.color for c in table] + [table.palette()[255].tolist(), [9, 9, 9]], np.uint8)
    rgb = known[rng.integers(0, len(known), (40, 50))]
    noise = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    scattered = rng.random((40, 50)) < 0.2
    rgb[scattered] = noise[scattered]
    rgb[0, 0], rgb[0, 1], rgb[0, 2] = (255, 255, 254), (0, 0, 1), (8, 9, 9)
    label, unknown = colors_to_label_map(rgb, color_lookup(table, ignore))
    expected_label, expected_unknown = reference(rgb, table, ignore)
    assert np.array_equal(label, expected_label) and np.array_equal(unknown, expected_unknown)
    assert unknown[0, :3].all() and unknown.sum() > 100
    assert (label[(rgb == (1, 2, 3)).all(axis=2)] == 2).all()  # shared by 'b' and 'twin': the lower id


def test_voc_table_and_pack_order():
    table = voc_classes()
    rgb = table.palette()[np.arange(256, dtype=np.uint8).reshape(16, 16)]
    label, unknown = colors_to_label_map(rgb, color_lookup(table))
    assert np.array_equal(label, reference(rgb, table, ())[0]) and np.array_equal(unknown, reference(rgb, table, ())[1])
    assert pack_rgb(np.array([[[1, 2, 3]]], np.uint8))[0, 0] == (1 << 16) | (2 << 8) | 3


@pytest.mark.parametrize("shape", [(5, 7, 3), (1, 1, 3), (0, 4, 3), "strided"])
def test_color_codes_are_each_pixels_bytes_as_one_number(shape):
    from segmodels.labels.colorlabels import color_codes

    rgb = np.random.default_rng(4).integers(0, 256, (6, 10, 3) if shape == "strided" else shape).astype(np.uint8)
    if shape == "strided":
        rgb = rgb[:, ::2]
    wide = rgb.astype(np.uint32)
    codes = color_codes(rgb)
    assert codes.dtype == np.uint32 and codes.shape == rgb.shape[:2]
    assert np.array_equal(codes, wide[..., 0] | wide[..., 1] << 8 | wide[..., 2] << 16)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_codes_read_from_pillows_pixels_equal_codes_of_the_decoded_array(mode):
    from PIL import Image

    from segmodels.labels.colorlabels import code_color, color_codes
    from segmodels.labels.pixels import rgb_codes

    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (37, 53, len(mode)), dtype=np.uint8)
    image = Image.fromarray(pixels, mode)
    codes = rgb_codes(image)
    assert codes.shape == (37, 53) and codes.dtype == np.uint32
    np.testing.assert_array_equal(codes, color_codes(np.ascontiguousarray(pixels[..., :3])))
    assert code_color(int(codes[5, 9])) == tuple(int(v) for v in pixels[5, 9, :3])  # alpha never counts
