"""Label I/O: palette PNG round trips (255 included), colour-coded labels, one-hot stacks."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from segmodels.errors import SegError
from segmodels.labels.classes import ClassTable, cityscapes_classes, voc_classes, voc_palette
from segmodels.labels.colorlabels import cityscapes_ignore_colors, read_color_label
from segmodels.labels.labelio import read_label_palette, read_label_png, write_label_png
from segmodels.labels.onehot import channel_axis, decode_onehot, read_onehot

NAMES = ["plain.png", "with space.png", "ümlaut étiquette 标签.png"]


@pytest.mark.parametrize("name", NAMES)
def test_palette_png_round_trip_every_index_including_255(tmp_path, name):
    label_map = np.arange(256, dtype=np.uint8).reshape(16, 16)
    label_map = np.vstack([label_map, np.full((3, 16), 255, np.uint8)])
    path = tmp_path / "sub dir" / name
    write_label_png(path, label_map, voc_classes())
    assert np.array_equal(read_label_png(path), label_map)
    with Image.open(path) as image:
        assert image.mode == "P"
    assert [p.name for p in path.parent.iterdir()] == [name]  # no temporary file left behind


def test_palette_equals_the_class_colours(tmp_path):
    table = ClassTable.from_names(["bg", "a", "b"], [(10, 20, 30), (40, 50, 60), (70, 80, 90)])
    path = tmp_path / "l.png"
    write_label_png(path, np.zeros((4, 4), np.uint8), table)
    palette = read_label_palette(path)
    assert np.array_equal(palette[:3], [[10, 20, 30], [40, 50, 60], [70, 80, 90]])
    assert tuple(palette[255]) == (224, 224, 192)


def test_grey_label_reads_as_indices_and_has_no_palette(tmp_path):
    values = np.array([[0, 1, 255], [7, 20, 3]], dtype=np.uint8)
    Image.fromarray(values, mode="L").save(tmp_path / "g.png")
    assert np.array_equal(read_label_png(tmp_path / "g.png"), values)
    assert read_label_palette(tmp_path / "g.png") is None


def test_colour_label_is_refused_by_the_index_reader(tmp_path):
    Image.fromarray(np.zeros((3, 3, 3), np.uint8)).save(tmp_path / "c.png")
    with pytest.raises(SegError, match="class table"):
        read_label_png(tmp_path / "c.png")


def test_colour_coded_label_through_the_class_table(tmp_path):
    table = voc_classes()
    label_map = np.random.default_rng(0).integers(0, 21, (20, 24), dtype=np.uint8)
    label_map[0, 0] = 255
    rgb = table.palette()[label_map]
    rgb[5, 6] = (1, 2, 3)
    rgb[9, 1] = (250, 250, 250)
    Image.fromarray(rgb).save(tmp_path / "colour label.png")
    decoded, unknown = read_color_label(tmp_path / "colour label.png", table)
    assert np.argwhere(unknown).tolist() == [[5, 6], [9, 1]]
    assert np.array_equal(decoded[~unknown], label_map[~unknown])
    assert decoded[0, 0] == 255 and decoded[5, 6] == 255


def test_cityscapes_colour_label_void_colours_map_to_ignore(tmp_path):
    table = cityscapes_classes()
    rgb = np.zeros((2, 3, 3), np.uint8)  # (0, 0, 0) is Cityscapes' void colour, not a train class
    rgb[0, 0] = (128, 64, 128)
    rgb[0, 1] = (0, 0, 142)
    Image.fromarray(rgb).save(tmp_path / "aachen_color.png")
    decoded, unknown = read_color_label(tmp_path / "aachen_color.png", table, cityscapes_ignore_colors())
    assert not unknown.any()
    assert decoded.tolist() == [[0, 13, 255], [255, 255, 255]]
    _, unknown_without = read_color_label(tmp_path / "aachen_color.png", table)
    assert unknown_without.sum() == 4


def _stack(height=6, width=7, channels=4, seed=0) -> tuple[np.ndarray, np.ndarray]:
    label_map = np.random.default_rng(seed).integers(0, channels, (height, width), dtype=np.uint8)
    return label_map, np.eye(channels, dtype=np.uint8)[label_map]


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.int64, np.float32])
@pytest.mark.parametrize("layout", ["HWC", "CHW"])
def test_onehot_decodes_both_layouts_and_dtypes(tmp_path, dtype, layout):
    label_map, stack = _stack()
    stored = stack.astype(dtype) if layout == "HWC" else np.moveaxis(stack, -1, 0).astype(dtype)
    np.save(tmp_path / "s.npy", stored)
    result = read_onehot(tmp_path / "s.npy", num_classes=4)
    assert result.layout == layout and result.channels == 4 and not result.defects
    assert np.array_equal(result.label_map, label_map)


def test_onehot_defects_have_counts_and_first_coordinates():
    _, stack = _stack()
    stack = stack.astype(np.float32)
    stack[1, 2] = 0
    stack[3, 4] = 0
    stack[2, 5, :2] = 1
    stack[4, 0, 0] = np.nan
    stack[5, 6] = (0.5, 0, 0, 0)
    result = decode_onehot(stack, num_classes=4)
    assert result.defects["empty"].count == 2 and result.defects["empty"].first == (1, 2)
    assert result.defects["multiple"].count == 1 and result.defects["multiple"].first == (2, 5)
    assert result.defects["nan"].first == (4, 0)
    assert result.defects["not_binary"].first == (5, 6)
    assert result.label_map[1, 2] == 255 and result.label_map[2, 5] == 255 and result.label_map[4, 0] == 255


def test_onehot_implicit_background_m2nist_style(tmp_path):
    digits = np.zeros((5, 6, 3), np.uint8)  # three digit channels, no background channel
    digits[1, 1, 0] = 1
    digits[2, 3, 2] = 1
    np.savez(tmp_path / "m2nist sample.npz", mask=digits, image=np.zeros((5, 6)))
    without = read_onehot(tmp_path / "m2nist sample.npz", num_classes=4)
    assert without.defects["empty"].count == 28  # the validator must say so, not accept it
    result = read_onehot(tmp_path / "m2nist sample.npz", num_classes=4, implicit_background=True)
    assert not result.defects
    assert result.label_map[1, 1] == 1 and result.label_map[2, 3] == 3 and result.label_map[0, 0] == 0


def test_onehot_axis_rule():
    assert channel_axis((10, 64, 84), 10) == "CHW"
    assert channel_axis((64, 84, 10), 10) == "HWC"
    assert channel_axis((3, 64, 84), None) == "CHW"
    assert channel_axis((64, 84, 3), 7) == "HWC"


def test_onehot_wrong_rank_and_bad_files(tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros((2, 3, 4, 5)))
    with pytest.raises(SegError, match="3 axes"):
        read_onehot(tmp_path / "flat.npy")
    (tmp_path / "empty.npy").write_bytes(b"")
    with pytest.raises(SegError, match="empty"):
        read_onehot(tmp_path / "empty.npy")
    np.save(tmp_path / "whole.npy", np.zeros((8, 8, 3)))
    data = (tmp_path / "whole.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[: len(data) - 100])
    with pytest.raises(SegError, match="truncated"):
        read_onehot(tmp_path / "cut.npy")


def test_two_dimensional_integer_array_is_an_index_map():
    values = np.array([[0, 3], [255, 300]])
    result = decode_onehot(values)
    assert result.layout == "index"
    assert result.label_map.tolist() == [[0, 3], [255, 255]]
    assert result.defects["out_of_byte"].first == (1, 1)


def test_voc_palette_png_written_by_hand_reads_identically(tmp_path):
    # A label written by another tool (Pillow directly, VOC palette) reads with the same indices.
    values = np.array([[0, 15, 255], [1, 2, 20]], dtype=np.uint8)
    image = Image.fromarray(values, mode="P")
    image.putpalette(voc_palette().reshape(-1).tolist())
    image.save(tmp_path / "voc.png")
    assert np.array_equal(read_label_png(tmp_path / "voc.png"), values)
