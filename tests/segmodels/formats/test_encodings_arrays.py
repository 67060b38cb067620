"""One-hot and index arrays as label files (segmodels/formats/arrays.py through encodings.py): shape,
axis order, dtype, .npy vs .npz, the member name and its neighbours all survive a write; labelme's -1."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError
from segmodels.formats.encodings import LabelEncoding, detect_encoding, read_label_file, write_label_file
from segmodels.labels.classes import ClassTable
from segmodels.validation.report import LabelJob, ValidationOptions
from segmodels.validation.run import check_label

CLASSES = ClassTable.from_names(["background", "digit", "stroke", "noise"])
ONEHOT = LabelEncoding.ONEHOT


def index_map(height: int = 9, width: int = 13, seed: int = 0) -> np.ndarray:
    label_map = np.random.default_rng(seed).integers(0, len(CLASSES), (height, width), dtype=np.uint8)
    label_map[0, :2] = IGNORE_INDEX
    return label_map


def stack_of(label_map: np.ndarray, channels: int = 4, dtype=np.uint8, channels_last: bool = False) -> np.ndarray:
    hot = np.stack([label_map == c for c in range(channels)], axis=-1).astype(dtype)
    return hot if channels_last else np.moveaxis(hot, -1, 0).copy()


def edit(label_map: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    after = label_map.copy()
    after[2:5, 3:8] = 1
    after[6, 6] = IGNORE_INDEX
    return after, after != label_map


def load(path):
    if path.suffix == ".npz":
        with np.load(path) as archive:
            return {name: archive[name] for name in archive.files}
    return np.load(path)


@pytest.mark.parametrize("channels_last", [False, True], ids=["CHW", "HWC"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, bool])
def test_stack_round_trips_keeping_axis_order_and_dtype(tmp_path, channels_last, dtype):
    path = tmp_path / "0001.npy"
    label_map = index_map()
    np.save(path, stack_of(label_map, dtype=dtype, channels_last=channels_last))
    assert np.array_equal(read_label_file(path, CLASSES), label_map)
    after, _ = edit(label_map)
    write_label_file(path, after, CLASSES, ONEHOT)
    stored = np.load(path)
    assert stored.dtype == np.dtype(dtype) and stored.shape == ((9, 13, 4) if channels_last else (4, 9, 13))
    assert np.array_equal(stored, stack_of(after, dtype=dtype, channels_last=channels_last))
    assert np.array_equal(read_label_file(path, CLASSES), after)


def test_npz_keeps_its_member_name_neighbours_and_compression(tmp_path):
    path = tmp_path / "0002.npz"
    label_map = index_map()
    np.savez(path, mask=stack_of(label_map), image_id=np.array([42]))  # stored, not deflated
    after, _ = edit(label_map)
    write_label_file(path, after, CLASSES, ONEHOT)
    members = load(path)
    assert set(members) == {"mask", "image_id"} and members["image_id"].tolist() == [42]
    assert np.array_equal(members["mask"], stack_of(after))
    with zipfile.ZipFile(path) as archive:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    single = tmp_path / "0003.npz"
    np.savez_compressed(single, arr_0=stack_of(label_map))
    write_label_file(single, after, CLASSES, ONEHOT)
    assert list(load(single)) == ["arr_0"]
    with zipfile.ZipFile(single) as archive:
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())


def test_labelme_index_array_reads_minus_one_as_unlabelled_and_writes_it_back(tmp_path):
    # labelme2voc.py's SegmentationClassNpy: int32 class ids, -1 where nothing was drawn.
    path = tmp_path / "2011_000003.npy"
    stored = index_map().astype(np.int32)
    stored[stored == IGNORE_INDEX] = -1
    np.save(path, stored)
    read = read_label_file(path, CLASSES)
    assert read.dtype == np.uint8 and np.array_equal(read, index_map())
    after, _ = edit(read)
    write_label_file(path, after, CLASSES, ONEHOT)
    written = np.load(path)
    assert written.dtype == np.int32 and written.shape == (9, 13)
    assert np.array_equal(written, np.where(after == IGNORE_INDEX, -1, after.astype(np.int32)))
    # The validator agrees: -1 is unlabelled, not an out-of-range value.
    result, _ = check_label(LabelJob(path), ValidationOptions(CLASSES))
    assert result.ok, result.problems


def test_unsigned_index_array_keeps_255(tmp_path):
    path = tmp_path / "u.npy"
    np.save(path, index_map().astype(np.uint16))
    write_label_file(path, edit(index_map())[0], CLASSES, ONEHOT)
    written = np.load(path)
    assert written.dtype == np.uint16 and np.array_equal(written, edit(index_map())[0])


def test_untouched_defective_rows_stay_byte_identical(tmp_path):
    # Rows that read as unlabelled (two ones, all zeros) are not the writer's to repair.
    path = tmp_path / "defects.npy"
    label_map = index_map()
    stack = stack_of(label_map, channels_last=True)
    stack[8, 12] = (1, 1, 0, 0)
    stack[7, 0] = 0
    np.save(path, stack)
    read = read_label_file(path, CLASSES)
    assert read[8, 12] == IGNORE_INDEX and read[7, 0] == IGNORE_INDEX
    after, changed = edit(read)
    write_label_file(path, after, CLASSES, ONEHOT)
    written = np.load(path)
    assert np.array_equal(written[~changed], stack[~changed])
    assert written[8, 12].tolist() == [1, 1, 0, 0]


def test_new_file_follows_like_else_a_chw_uint8_stack(tmp_path):
    model = tmp_path / "model.npz"
    np.savez_compressed(model, mask=stack_of(index_map(), dtype=np.float32, channels_last=True),
                        extra=np.zeros(3))
    fresh = tmp_path / "fresh.npz"
    write_label_file(fresh, index_map(seed=1), CLASSES, ONEHOT, like=model)
    members = load(fresh)
    assert list(members) == ["mask"]  # the model's form, never its per-file data
    assert members["mask"].dtype == np.float32 and members["mask"].shape == (9, 13, 4)
    plain = tmp_path / "plain.npy"
    write_label_file(plain, index_map(seed=1), CLASSES, ONEHOT)
    assert np.load(plain).dtype == np.uint8 and np.load(plain).shape == (4, 9, 13)
    assert np.array_equal(read_label_file(plain, CLASSES), index_map(seed=1))
    assert detect_encoding(plain) is ONEHOT


def test_values_an_array_cannot_hold_are_refused_and_nothing_written(tmp_path):
    path = tmp_path / "small.npy"
    stack = stack_of(index_map(), channels=4)
    np.save(path, stack)
    with pytest.raises(SegError, match="stack of 4 channels, which cannot hold class index 6"):
        write_label_file(path, np.full((9, 13), 6, np.uint8), ClassTable.from_names(list("abcdefg")), ONEHOT)
    assert np.array_equal(np.load(path), stack)
    signed = tmp_path / "small_int8.npy"
    np.save(signed, np.zeros((2, 2), np.int8))
    with pytest.raises(SegError, match="int8 index array, which cannot hold class index 200"):
        write_label_file(signed, np.full((2, 2), 200, np.uint8), CLASSES, ONEHOT)


@pytest.mark.parametrize(("array", "words"), [
    (np.zeros((3, 3), np.float32), "index array must hold integers"),
    (np.zeros((2, 3, 3, 3), np.uint8), "must have 3 axes"),
    (np.array([[0, 300], [-5, 1]], np.int32), "2 value(s) outside 0..255"),
])
def test_bad_arrays_are_one_sentence_naming_the_file(tmp_path, array, words):
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(SegError) as caught:
        read_label_file(path, CLASSES)
    text = str(caught.value)
    assert "bad.npy" in text and words in text and "\n" not in text


def test_pickled_or_foreign_file_is_one_sentence(tmp_path):
    path = tmp_path / "evil.npy"
    path.write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(SegError, match="is not a NumPy .npy/.npz file"):
        read_label_file(path, CLASSES)
