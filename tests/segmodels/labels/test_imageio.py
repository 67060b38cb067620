"""Reading images of any common format and bit depth as RGB uint8, with the conversions reported."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segmodels.errors import SegError
from segmodels.labels.imageio import image_size, read_image


def test_rgb_png_and_jpeg(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (9, 11, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    loaded = read_image(tmp_path / "a.png")
    assert np.array_equal(loaded.rgb, rgb) and loaded.conversions == () and loaded.size == (9, 11)
    Image.fromarray(rgb).save(tmp_path / "a.jpg", quality=95)
    assert read_image(tmp_path / "a.jpg").rgb.shape == (9, 11, 3)


def test_grey_is_expanded_and_reported(tmp_path):
    grey = np.arange(20, dtype=np.uint8).reshape(4, 5)
    Image.fromarray(grey).save(tmp_path / "g.png")
    loaded = read_image(tmp_path / "g.png")
    assert loaded.rgb.shape == (4, 5, 3) and np.array_equal(loaded.rgb[..., 1], grey)
    assert "grey expanded to RGB" in loaded.conversions


def test_sixteen_bit_is_scaled_and_reported(tmp_path):
    values = np.array([[0, 65535], [32768, 257]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    loaded = read_image(tmp_path / "deep.png")
    assert loaded.rgb[..., 0].tolist() == [[0, 255], [128, 1]]
    assert any("16-bit" in c for c in loaded.conversions)


def test_rgba_and_palette(tmp_path):
    rgba = np.zeros((3, 3, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 10
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    loaded = read_image(tmp_path / "alpha.png")
    assert loaded.rgb[0, 0].tolist() == [200, 0, 0] and "alpha channel dropped" in loaded.conversions
    palette_image = Image.fromarray(np.array([[0, 1]], np.uint8), mode="P")
    palette_image.putpalette([0, 0, 0, 10, 20, 30] + [0] * 762)
    palette_image.save(tmp_path / "pal.png")
    loaded = read_image(tmp_path / "pal.png")
    assert loaded.rgb[0, 1].tolist() == [10, 20, 30] and "palette expanded to RGB" in loaded.conversions
    assert loaded.source_mode == "P"


@pytest.mark.parametrize("name", ["zero.png", "with space.png", "ñandú 画像.jpg"])
def test_zero_byte_file_is_one_sentence(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(SegError, match="empty") as info:
        read_image(tmp_path / name)
    assert name in str(info.value) and "\n" not in str(info.value)


def test_truncated_and_non_image_files(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(SegError, match="truncated|corrupt"):
        read_image(tmp_path / "cut.png")
    (tmp_path / "notes.png").write_text("hello")
    with pytest.raises(SegError, match="not a readable image"):
        read_image(tmp_path / "notes.png")
    with pytest.raises(SegError, match="does not exist"):
        read_image(tmp_path / "missing.png")


def test_image_size_reads_the_header_only(tmp_path):
    rgb = np.zeros((30, 50, 3), np.uint8)
    Image.fromarray(rgb).save(tmp_path / "big ö.png")
    data = (tmp_path / "big ö.png").read_bytes()
    (tmp_path / "header only.png").write_bytes(data[:60])  # pixels missing: the header still answers
    assert image_size(tmp_path / "big ö.png") == (30, 50)
    assert image_size(tmp_path / "header only.png") == (30, 50)
    (tmp_path / "junk.jpg").write_bytes(b"\x00" * 10)
    with pytest.raises(SegError, match="not a readable image"):
        image_size(tmp_path / "junk.jpg")
    with pytest.raises(SegError, match="does not exist"):
        image_size(tmp_path / "nope.png")
