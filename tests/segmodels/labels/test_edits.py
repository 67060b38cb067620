"""Pure pixel helpers (no Qt): brush disk, stroke interpolation, flood fill, atoms."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from segmodels.labels.edits import (
    apply_atom,
    bounding_box,
    disk_mask,
    flood_fill_mask,
    make_atom,
    revert_atom,
    stroke_segment,
)


def stamp_reference(shape, points, size):
    """Slow explicit reference: OR the disk at every point."""
    out = np.zeros(shape, bool)
    disk = disk_mask(size)
    half = size // 2
    for y, x in points:
        for dy, dx in zip(*np.nonzero(disk), strict=False):
            yy, xx = y - half + dy, x - half + dx
            if 0 <= yy < shape[0] and 0 <= xx < shape[1]:
                out[yy, xx] = True
    return out


def bresenham(p0, p1):
    (y0, x0), (y1, x1) = p0, p1
    n = max(abs(y1 - y0), abs(x1 - x0))
    if n == 0:
        return [p0]
    return [(round(y0 + (y1 - y0) * t / n), round(x0 + (x1 - x0) * t / n)) for t in range(n + 1)]


def place(shape, y0, x0, mask):
    out = np.zeros(shape, bool)
    for dy, dx in zip(*np.nonzero(mask), strict=False):
        if 0 <= y0 + dy < shape[0] and 0 <= x0 + dx < shape[1]:
            out[y0 + dy, x0 + dx] = True
    return out


def test_disk_is_round_and_symmetric():
    assert disk_mask(1).tolist() == [[True]]
    for size in range(1, 30):
        disk = disk_mask(size)
        assert disk.shape == (size, size)
        assert np.array_equal(disk, disk[::-1]) and np.array_equal(disk, disk.T)
        assert disk[size // 2].all()  # the middle row spans the full width
    assert not disk_mask(9)[0, 0]


def test_single_dab_is_the_disk_centred_on_the_point():
    y0, x0, mask = stroke_segment((20, 30), (20, 30), 7)
    assert (y0, x0) == (17, 27)
    assert np.array_equal(mask, disk_mask(7))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 39), st.integers(0, 49), st.integers(0, 39), st.integers(0, 49), st.integers(1, 9))
def test_segment_equals_disks_stamped_along_the_line(ya, xa, yb, xb, size):
    shape = (40, 50)
    y0, x0, mask = stroke_segment((ya, xa), (yb, xb), size)
    got = place(shape, y0, x0, mask)
    # every line pixel's disk is inside, and nothing outside the union of disks along the segment
    line_points = bresenham((ya, xa), (yb, xb))
    assert (stamp_reference(shape, [(ya, xa), (yb, xb)], size) <= got).all()
    loose = stamp_reference(shape, line_points, size + 2)  # allow a one-pixel rasterisation difference
    assert (got <= loose).all()
    # no gaps: the stroke is one connected piece
    import cv2
    count, _ = cv2.connectedComponents(got.astype(np.uint8), connectivity=8)
    assert count == 2


def test_fast_diagonal_stroke_has_no_gaps():
    y0, x0, mask = stroke_segment((0, 0), (30, 30), 1)
    placed = place((31, 31), y0, x0, mask)
    assert all(placed[i, i] for i in range(31))


def test_flood_fill_is_four_connected_region():
    label = np.zeros((10, 10), np.uint8)
    label[:, 5] = 1          # a wall
    label[0, 0] = 3
    y0, x0, mask = flood_fill_mask(label, 5, 2)
    region = place(label.shape, y0, x0, mask)
    expected = (label == 0)
    expected[:, 5:] = False
    assert np.array_equal(region, expected)
    assert flood_fill_mask(label, -1, 0) is None


def test_atom_records_only_changed_pixels_and_reverts_bit_for_bit():
    rng = np.random.default_rng(1)
    label = rng.integers(0, 4, (30, 30), dtype=np.uint8)
    label[5:10, 5:10] = 2
    before = label.copy()
    atom = make_atom(label, 3, 3, np.ones((10, 10), bool), 2)
    assert atom.pixel_count == int((before[3:13, 3:13] != 2).sum())
    apply_atom(label, atom)
    assert (label[3:13, 3:13] == 2).all() and np.array_equal(label[13:], before[13:])
    revert_atom(label, atom)
    assert np.array_equal(label, before)
    assert make_atom(label, 5, 5, np.ones((5, 5), bool), 2) is None  # nothing would change


def test_atom_clips_to_image_and_accepts_value_arrays():
    label = np.zeros((8, 8), np.uint8)
    atom = make_atom(label, -2, 6, np.ones((4, 4), bool), 5)
    assert atom.box == (0, 6, 2, 8)
    values = np.arange(64, dtype=np.uint8).reshape(8, 8)
    atom = make_atom(label, 0, 0, np.ones((8, 8), bool), values)
    apply_atom(label, atom)
    assert np.array_equal(label, values)


def test_bounding_box():
    mask = np.zeros((5, 6), bool)
    assert bounding_box(mask) is None
    mask[1, 2] = mask[3, 4] = True
    assert bounding_box(mask) == (1, 2, 4, 5)


# -- packed atoms (undo storage) ---------------------------------------------------------------------
def _label_map_strategy():
    return st.tuples(st.integers(1, 24), st.integers(1, 24), st.integers(0, 2 ** 32 - 1), st.integers(2, 256))


@settings(max_examples=120, deadline=None)
@given(_label_map_strategy(), st.integers(-5, 20), st.integers(-5, 20), st.integers(1, 30), st.integers(1, 30),
       st.floats(0.0, 1.0), st.sampled_from(["scalar", "array", "uniform-array"]))
def test_packed_atoms_round_trip_bit_exactly(label, y0, x0, h, w, density, kind):
    from segmodels.labels.edits import apply_packed, pack_atom, revert_packed

    height, width, seed, classes = label
    rng = np.random.default_rng(seed)
    label_map = rng.integers(0, classes, (height, width)).astype(np.uint8)
    mask = rng.random((h, w)) < density
    if kind == "scalar":
        value = int(rng.integers(0, 256))
    elif kind == "array":
        value = rng.integers(0, 256, (h, w)).astype(np.uint8)
    else:
        value = np.full((h, w), int(rng.integers(0, 256)), np.uint8)
    atom = make_atom(label_map, y0, x0, mask, value)
    if atom is None:
        return
    packed = pack_atom(atom)
    unpacked = packed.unpack()
    assert (unpacked.y0, unpacked.x0, unpacked.box) == (atom.y0, atom.x0, atom.box)
    assert packed.box == atom.box and packed.pixel_count == atom.pixel_count
    assert np.array_equal(unpacked.mask, atom.mask) and np.array_equal(unpacked.old_values, atom.old_values)
    assert np.array_equal(np.broadcast_to(unpacked.new_values, atom.old_values.shape),
                          np.broadcast_to(atom.new_values, atom.old_values.shape))
    expected = label_map.copy()
    apply_atom(expected, atom)
    painted = label_map.copy()
    apply_packed(painted, packed)
    assert np.array_equal(painted, expected)
    revert_packed(painted, packed)
    assert np.array_equal(painted, label_map)


def test_a_full_image_fill_packs_to_a_few_bytes_and_a_scattered_edit_to_its_changed_pixels():
    from segmodels.labels.edits import apply_packed, pack_atom, revert_packed

    label_map = np.zeros((2000, 2000), np.uint8)
    fill = pack_atom(make_atom(label_map, 0, 0, np.ones((2000, 2000), bool), 3))
    assert fill.mask_bits is None and (fill.old_values, fill.new_values) == (0, 3)
    assert fill.nbytes < 1024  # raw: a 4 MB mask and 4 MB of old values
    noisy = np.random.default_rng(1).integers(0, 4, (2000, 2000)).astype(np.uint8)
    before = noisy.copy()
    scattered = np.random.default_rng(2).random((2000, 2000)) < 0.01
    atom = make_atom(noisy, 0, 0, scattered, 9)
    packed = pack_atom(atom)
    raw = atom.mask.nbytes + atom.old_values.nbytes
    assert packed.nbytes < raw / 5
    apply_packed(noisy, packed)
    assert int((noisy != before).sum()) == atom.pixel_count
    revert_packed(noisy, packed)
    assert np.array_equal(noisy, before)


def test_values_that_do_not_compress_are_kept_as_plain_arrays_and_still_round_trip():
    from segmodels.labels.edits import apply_packed, pack_atom, revert_packed

    rng = np.random.default_rng(3)
    label_map = rng.integers(0, 256, (1200, 1000)).astype(np.uint8)
    before = label_map.copy()
    noise = rng.integers(0, 256, (1200, 1000)).astype(np.uint8)
    atom = make_atom(label_map, 0, 0, np.ones((1200, 1000), bool), noise)
    packed = pack_atom(atom)
    assert isinstance(packed.old_values, np.ndarray) and isinstance(packed.new_values, np.ndarray)
    assert packed.nbytes <= atom.old_values.nbytes + atom.new_values.nbytes + 16 * 1024  # the mask is tiny
    apply_packed(label_map, packed)
    assert np.array_equal(label_map[atom.mask], noise[atom.mask])
    revert_packed(label_map, packed)
    assert np.array_equal(label_map, before)
