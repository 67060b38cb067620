"""Label encodings as files (segmodels/formats/encodings.py): each one round-trips index-exact, keeps
its own encoding, palette and bit depth when written over, and keeps untouched pixels byte-identical.
One-hot arrays: test_encodings_arrays.py."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError
from segmodels.formats.encodings import (
    LabelEncoding,
    detect_encoding,
    parse_encoding,
    read_label_file,
    train_id_to_label_id,
    write_label_file,
)
from segmodels.labels.classes import ClassTable, cityscapes_classes, voc_classes, voc_palette

CLASSES = ClassTable.from_names(["background", "road", "car", "person"])


def index_map(height: int = 10, width: int = 14, classes: int = 4, seed: int = 0) -> np.ndarray:
    label_map = np.random.default_rng(seed).integers(0, classes, (height, width), dtype=np.uint8)
    label_map[0, :3] = IGNORE_INDEX
    return label_map


def edited(label_map: np.ndarray, value: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(the map with a block set to `value`, the mask of pixels whose class changed)."""
    after = label_map.copy()
    after[3:6, 4:9] = value
    return after, after != label_map


# -- palette -----------------------------------------------------------------------------------------
def voc_file(path, label_map, palette=None, transparency=None):
    image = Image.fromarray(label_map, mode="P")
    image.putpalette(voc_palette().reshape(-1).tolist() if palette is None else palette)
    image.save(path, **({} if transparency is None else {"transparency": transparency}))


def test_voc_palette_label_round_trips_and_keeps_its_palette_bytes(tmp_path):
    path = tmp_path / "2007_000032.png"
    label_map = index_map(classes=21)
    voc_file(path, label_map)
    palette_before = Image.open(path).getpalette()
    assert detect_encoding(path) is LabelEncoding.PALETTE
    read = read_label_file(path, voc_classes())
    assert np.array_equal(read, label_map)
    after, _ = edited(read, 15)
    write_label_file(path, after, voc_classes(), LabelEncoding.PALETTE)
    with Image.open(path) as image:
        assert image.mode == "P" and image.getpalette() == palette_before
        assert np.array_equal(np.array(image), after)


def test_palette_file_keeps_its_own_short_palette_and_transparency(tmp_path):
    # A tool's own palette (4 entries, not the class colours) with a transparent entry 0.
    path = tmp_path / "mask.png"
    own = [0, 0, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90]
    voc_file(path, np.array([[0, 1], [2, 3]], np.uint8), own, transparency=0)
    write_label_file(path, np.array([[0, 3], [2, 3]], np.uint8), CLASSES, LabelEncoding.PALETTE)
    with Image.open(path) as image:
        assert image.getpalette() == own and image.info.get("transparency") == 0
        assert np.array(image).tolist() == [[0, 3], [2, 3]]
    # A value beyond the palette's entries gets one (the class table's), the old entries unchanged.
    write_label_file(path, np.array([[0, 255], [2, 3]], np.uint8), CLASSES, LabelEncoding.PALETTE)
    with Image.open(path) as image:
        palette = image.getpalette()
        assert palette[:12] == own and len(palette) == 256 * 3 and palette[-3:] == [224, 224, 192]


def test_new_palette_label_carries_the_class_colours(tmp_path):
    path = tmp_path / "new.png"
    write_label_file(path, index_map(), CLASSES, LabelEncoding.PALETTE)
    with Image.open(path) as image:
        assert image.mode == "P"
        assert np.array(image.getpalette(), np.uint8).reshape(-1, 3)[:4].tolist() == CLASSES.colors().tolist()


# -- grey ----------------------------------------------------------------------------------------------
def test_grey_label_stays_mode_l_and_opencv_reads_the_indices(tmp_path):
    path = tmp_path / "ADE_train_00000001.png"
    label_map = index_map()
    Image.fromarray(label_map, mode="L").save(path)
    assert detect_encoding(path) is LabelEncoding.GREY
    after, _ = edited(read_label_file(path, CLASSES), 3)
    write_label_file(path, after, CLASSES, LabelEncoding.GREY)
    assert Image.open(path).mode == "L"
    # What mmseg and smp/albumentations pipelines do: indices, not palette luminances.
    assert np.array_equal(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), after)


def test_new_grey_label_is_mode_l(tmp_path):
    path = tmp_path / "new.png"
    write_label_file(path, index_map(), CLASSES, LabelEncoding.GREY)
    assert Image.open(path).mode == "L"
    assert np.array_equal(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), index_map())


def test_one_bit_and_sixteen_bit_grey_keep_their_depth(tmp_path):
    one_bit, deep = tmp_path / "mask1.png", tmp_path / "deep.png"
    Image.fromarray(np.array([[0, 1], [1, 0]], bool)).save(one_bit)
    Image.fromarray(np.array([[0, 1], [2, 3]], np.uint16)).save(deep)
    write_label_file(one_bit, np.array([[1, 1], [1, 0]], np.uint8), CLASSES, LabelEncoding.GREY)
    write_label_file(deep, np.array([[3, 1], [2, 3]], np.uint8), CLASSES, LabelEncoding.GREY)
    assert Image.open(one_bit).mode == "1" and read_label_file(one_bit, CLASSES).tolist() == [[1, 1], [1, 0]]
    assert Image.open(deep).mode == "I;16" and read_label_file(deep, CLASSES).tolist() == [[3, 1], [2, 3]]
    # A 1-bit file cannot hold 2: it becomes 8-bit grey, never a clipped mask.
    write_label_file(one_bit, np.array([[2, 1], [1, 0]], np.uint8), CLASSES, LabelEncoding.GREY)
    assert Image.open(one_bit).mode == "L" and read_label_file(one_bit, CLASSES).tolist() == [[2, 1], [1, 0]]


# -- colour --------------------------------------------------------------------------------------------
def test_colour_label_round_trips_and_stays_rgb(tmp_path):
    path = tmp_path / "frame_000001.png"  # CVAT's SegmentationClass: class colours as RGB
    label_map = index_map()
    Image.fromarray(CLASSES.palette()[label_map]).save(path)
    assert detect_encoding(path) is LabelEncoding.COLOR
    assert np.array_equal(read_label_file(path, CLASSES), label_map)
    after, _ = edited(label_map, 3)
    write_label_file(path, after, CLASSES, LabelEncoding.COLOR)
    with Image.open(path) as image:
        assert image.mode == "RGB"
        assert np.array_equal(np.array(image), CLASSES.palette()[after])


def test_unknown_colour_is_one_sentence_with_the_colour_and_where(tmp_path):
    path = tmp_path / "odd.png"
    rgb = CLASSES.palette()[index_map()]
    rgb[4, 7] = (1, 2, 3)
    Image.fromarray(rgb).save(path)
    with pytest.raises(SegError) as caught:
        read_label_file(path, CLASSES)
    text = str(caught.value)
    assert "odd.png" in text and "(1, 2, 3)" in text and "[y, x] = [4, 7]" in text and "\n" not in text


def test_colour_write_keeps_untouched_pixels_even_of_unknown_colours(tmp_path):
    # Colours that are no class (a tool's own void colour) stay where the user painted nothing.
    path = tmp_path / "cvat.png"
    rgb = CLASSES.palette()[index_map()]
    rgb[8, 10:14] = (1, 2, 3)
    Image.fromarray(rgb).save(path)
    label_map = np.where((rgb == (1, 2, 3)).all(axis=2), IGNORE_INDEX, index_map()).astype(np.uint8)
    after, changed = edited(label_map, 1)
    write_label_file(path, after, CLASSES, LabelEncoding.COLOR)
    stored = np.array(Image.open(path))
    assert np.array_equal(stored[~changed], rgb[~changed])
    assert (stored[changed] == CLASSES.colors()[1]).all()


def test_rgba_colour_label_keeps_its_alpha(tmp_path):
    path = tmp_path / "rgba.png"
    rgba = np.dstack([CLASSES.palette()[index_map()], np.full((10, 14), 200, np.uint8)])
    Image.fromarray(rgba, mode="RGBA").save(path)
    after, changed = edited(read_label_file(path, CLASSES), 1)
    write_label_file(path, after, CLASSES, LabelEncoding.COLOR)
    stored = np.array(Image.open(path))
    assert stored.shape[2] == 4 and np.array_equal(stored[~changed], rgba[~changed])
    assert np.array_equal(read_label_file(path, CLASSES), after)


def test_colour_refuses_a_class_it_cannot_tell_apart(tmp_path):
    shared = ClassTable.from_names(["a", "b", "c"], [(0, 0, 0), (9, 9, 9), (9, 9, 9)])
    path = tmp_path / "shared.png"
    with pytest.raises(SegError, match=r"class index 2 has no colour of its own"):
        write_label_file(path, np.array([[0, 2]], np.uint8), shared, LabelEncoding.COLOR)
    with pytest.raises(SegError, match="class index 7"):
        write_label_file(path, np.array([[0, 7]], np.uint8), CLASSES, LabelEncoding.COLOR)
    assert not path.exists()
    # A format that shares colours on purpose (Cityscapes' ids 0..5 are all black) asks for it.
    write_label_file(path, np.array([[0, 2]], np.uint8), shared, LabelEncoding.COLOR, exact=False)
    assert read_label_file(path, shared).tolist() == [[0, 1]]
    with pytest.raises(SegError, match="class index 7"):
        write_label_file(path, np.array([[0, 7]], np.uint8), shared, LabelEncoding.COLOR, exact=False)


# -- Cityscapes labelIds and binary masks ---------------------------------------------------------------
def test_label_ids_read_as_train_ids_and_untouched_ids_stay(tmp_path):
    path = tmp_path / "aachen_000000_000019_gtFine_labelIds.png"
    ids = np.array([[7, 8, 26], [1, 4, 24]], np.uint8)  # road, sidewalk, car; ego vehicle, static, person
    Image.fromarray(ids, mode="L").save(path)
    assert detect_encoding(path) is LabelEncoding.LABEL_IDS
    read = read_label_file(path, cityscapes_classes())
    assert read.tolist() == [[0, 1, 13], [255, 255, 11]]
    read[0, 0] = 13  # road -> car
    write_label_file(path, read, cityscapes_classes(), LabelEncoding.LABEL_IDS)
    assert np.array(Image.open(path)).tolist() == [[26, 8, 26], [1, 4, 24]]  # ego vehicle, static kept
    with pytest.raises(SegError, match="is no Cityscapes train id"):
        write_label_file(path, np.array([[0, 19]], np.uint8), cityscapes_classes(), LabelEncoding.LABEL_IDS)


def test_binary_mask_reads_0_1_and_writes_0_255(tmp_path):
    path = tmp_path / "mask.png"
    Image.fromarray(np.array([[0, 1], [255, 0]], np.uint8), mode="L").save(path)  # 1 and 255: foreground
    assert detect_encoding(path, LabelEncoding.BINARY) is LabelEncoding.BINARY
    assert detect_encoding(path) is LabelEncoding.GREY  # a grey file cannot say it is binary
    read = read_label_file(path, CLASSES, LabelEncoding.BINARY)
    assert read.tolist() == [[0, 1], [1, 0]]
    write_label_file(path, np.array([[1, 1], [1, 0]], np.uint8), CLASSES, LabelEncoding.BINARY)
    assert np.array(Image.open(path)).tolist() == [[255, 1], [255, 0]]  # untouched pixels keep their value
    # A mask has no "unlabelled": such pixels are stored as background.
    write_label_file(path, np.array([[255, 1], [1, 0]], np.uint8), CLASSES, LabelEncoding.BINARY)
    assert np.array(Image.open(path)).tolist() == [[0, 1], [255, 0]]
    with pytest.raises(SegError, match="neither background"):
        write_label_file(path, np.array([[2, 0]], np.uint8), CLASSES, LabelEncoding.BINARY)


def test_train_id_to_label_id_inverts_the_cityscapes_table():
    lut = train_id_to_label_id()
    from segmodels.labels.classes import cityscapes_id_to_train_id

    back = cityscapes_id_to_train_id()[lut[:19]]
    assert back.tolist() == list(range(19)) and lut[IGNORE_INDEX] == 0


# -- detection and names -------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "expected"), [
    ("x_gtFine_labelIds.png", LabelEncoding.LABEL_IDS), ("x_gtFine_labelTrainIds.png", LabelEncoding.GREY),
    ("x_gtFine_color.png", LabelEncoding.COLOR), ("x.npy", LabelEncoding.ONEHOT), ("x.NPZ", LabelEncoding.ONEHOT)])
def test_detect_encoding_by_name_reads_no_pixels(tmp_path, name, expected):
    path = tmp_path / name
    path.write_bytes(b"not even an image")
    assert detect_encoding(path) is expected


@pytest.mark.parametrize(("mode", "expected"), [
    ("P", LabelEncoding.PALETTE), ("L", LabelEncoding.GREY), ("RGB", LabelEncoding.COLOR),
    ("RGBA", LabelEncoding.COLOR), ("1", LabelEncoding.GREY), ("LA", LabelEncoding.GREY)])
def test_detect_encoding_by_mode(tmp_path, mode, expected):
    path = tmp_path / "label.png"
    Image.new(mode, (4, 3)).save(path)
    assert detect_encoding(path) is expected
    assert detect_encoding(path, LabelEncoding.LABEL_IDS) is (
        LabelEncoding.LABEL_IDS if expected is LabelEncoding.GREY else expected)


def test_parse_encoding_names_and_aliases():
    assert parse_encoding("Palette") is LabelEncoding.PALETTE
    assert parse_encoding("labelids") is LabelEncoding.LABEL_IDS
    assert parse_encoding("trainIds") is parse_encoding("gray") is LabelEncoding.GREY
    assert parse_encoding("ONEHOT") is LabelEncoding.ONEHOT
    with pytest.raises(SegError, match="choose one of palette, grey, color, onehot, labelIds, binary"):
        parse_encoding("jpeg")


# -- bad files -----------------------------------------------------------------------------------------
def bad_files(tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "text.png"
    text.write_text("not a png\n")
    cut = tmp_path / "cut.png"
    write_label_file(cut, index_map(64, 64), CLASSES, LabelEncoding.GREY)
    cut.write_bytes(cut.read_bytes()[:60])
    wide = tmp_path / "wide.png"
    Image.fromarray(np.array([[0, 300]], np.uint16)).save(wide)
    return [empty, text, cut, wide]


@pytest.mark.parametrize("which", range(4))
def test_bad_png_is_one_sentence_naming_the_file(tmp_path, which):
    path = bad_files(tmp_path)[which]
    with pytest.raises(SegError) as caught:
        read_label_file(path, CLASSES)
    text = str(caught.value)
    assert path.name in text and "\n" not in text and text.endswith(".")


def test_colour_file_read_as_grey_says_how_to_read_it(tmp_path):
    path = tmp_path / "x_gtFine_labelTrainIds.png"
    Image.new("RGB", (3, 3)).save(path)
    with pytest.raises(SegError, match="encoding color"):
        read_label_file(path, CLASSES)
