"""The bad-input corpus, generated on demand into a temp folder (no binaries are committed).

Each builder writes its files and returns `Case`s: what the file is, where it is, and whether a
reader must refuse it with one sentence naming the file (`Expect.REFUSE`) or load it and report a
conversion (`Expect.CONVERT`, with a word that must appear in the reported conversions).

Kinds: images, labels (beside a small valid project), one-hot stacks, project JSON files and
checkpoints (the checkpoint builders import torch; the rest do not). Names mix spaces and non-ASCII
on purpose, so every message is also checked for paths a shell or an encoder could mangle.
"""
from __future__ import annotations

import enum
import io
import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# Names with a space and non-ASCII letters: every case is written under such a folder.
ODD_FOLDER = "bad input – ünïcode dir"
SIZE = (24, 32)  # (height, width) of every small image here


class Expect(enum.Enum):
    REFUSE = "refuse"     # one sentence naming the file, no traceback
    CONVERT = "convert"   # loads; the conversion is reported


@dataclass(frozen=True)
class Case:
    name: str
    kind: str            # image | label | onehot | project | checkpoint
    path: Path
    expect: Expect
    note: str = ""       # CONVERT: a word in the reported conversion; REFUSE: a word in the sentence

    def __str__(self) -> str:  # pytest ids
        return self.name


def noise_rgb(seed: int = 0, size: tuple[int, int] = SIZE) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)


def _png_bytes(image: Image.Image, **kw) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **kw)
    return buffer.getvalue()


def _jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def valid_png_bytes(seed: int = 0) -> bytes:
    return _png_bytes(Image.fromarray(noise_rgb(seed)))


def valid_jpeg_bytes(seed: int = 0) -> bytes:
    return _jpeg_bytes(Image.fromarray(noise_rgb(seed)))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def header_bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A ~100-byte PNG whose header claims width x height grey pixels (far beyond any limit)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + _chunk(b"IEND", b""))


def jpeg_claiming(width: int = 20_000, height: int = 20_000) -> bytes:
    """A ~600-byte JPEG whose frame header claims width x height: under the pixel limit, but
    decoding it would fill gigabytes with grey for tens of seconds."""
    data = bytearray(_jpeg_bytes(Image.fromarray(np.zeros((16, 16, 3), np.uint8))))
    frame = data.index(b"\xff\xc0")
    data[frame + 5:frame + 7] = height.to_bytes(2, "big")
    data[frame + 7:frame + 9] = width.to_bytes(2, "big")
    return bytes(data)


def real_bomb_png(side: int = 24_000) -> bytes:
    """A genuinely decodable 1-bit PNG of side x side pixels (576 M pixels for 24000) that
    compresses to about 100 kB: decoding it fully is what a pixel limit must prevent."""
    row = b"\x00" * (1 + (side + 7) // 8)   # filter byte + packed bits, all black
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 1000) for _ in range(side // 1000)]
    parts.append(compressor.compress(row * (side % 1000)))
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts))
            + _chunk(b"IEND", b""))


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def image_cases(folder: Path, *, with_real_bomb: bool = True) -> list[Case]:
    """Broken and unusual image files, one per case, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    png, jpeg = valid_png_bytes(1), valid_jpeg_bytes(2)
    rgb = noise_rgb(3)
    grey16 = (np.random.default_rng(4).integers(0, 65536, SIZE)).astype(np.uint16)
    cmyk = Image.fromarray(rgb).convert("CMYK")
    cases = [
        Case("truncated_png", "image", _write(folder / "truncated ü.png", png[: len(png) // 2]), Expect.REFUSE),
        Case("truncated_jpeg", "image", _write(folder / "truncated é.jpg", jpeg[: len(jpeg) // 2]), Expect.REFUSE),
        Case("zero_bytes", "image", _write(folder / "zero bytes.png", b""), Expect.REFUSE, "empty"),
        Case("text_as_png", "image", _write(folder / "notes – text.png", b"just some text, not pixels\n"),
             Expect.REFUSE),
        Case("header_bomb", "image", _write(folder / "bomb header.png", header_bomb_png()), Expect.REFUSE, "limit"),
        Case("jpeg_claims_huge", "image", _write(folder / "claims huge.jpg", jpeg_claiming()), Expect.REFUSE,
             "bytes"),
        Case("png_named_jpg", "image", _write(folder / "really a png.jpg", png), Expect.CONVERT, ""),
        Case("png_16bit", "image", _write(folder / "grey 16-bit.png", _png_bytes(Image.fromarray(grey16))),
             Expect.CONVERT, "16-bit"),
        Case("one_bit", "image", _write(folder / "one bit.png",
                                         _png_bytes(Image.fromarray(rgb[..., 0] > 127).convert("1"))),
             Expect.CONVERT, "1-bit"),
        Case("cmyk_jpeg", "image", _write(folder / "cmyk ß.jpg", _jpeg_bytes(cmyk)), Expect.CONVERT, "CMYK"),
        Case("rgba", "image", _write(folder / "rgba.png", _png_bytes(Image.fromarray(rgb).convert("RGBA"))),
             Expect.CONVERT, "alpha"),
        Case("palette", "image", _write(folder / "palette.png",
                                         _png_bytes(Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE))),
             Expect.CONVERT, "palette"),
    ]
    if with_real_bomb:
        cases.append(Case("real_bomb", "image", _write(folder / "bomb real.png", real_bomb_png()),
                          Expect.REFUSE, "limit"))
    return cases


def assert_one_sentence(message: str, path: Path) -> None:
    """The contract for bad input: one line that names the file, no traceback."""
    text = message.strip()
    assert path.name in text, f"message does not name {path.name!r}: {text!r}"
    assert "Traceback" not in text, text
    assert "unexpected error" not in text, f"a bug reached the catch-all: {text!r}"
    assert "\n" not in text, f"more than one line: {text!r}"


# -- projects and labels ------------------------------------------------------------------------
def make_project(root: Path, n_images: int = 3, *, classes: tuple[str, ...] = ("background", "digit", "edge"),
                 seed: int = 0) -> Path:
    """A small valid project: n noise images with valid labels. Returns the root."""
    from segmodels.labels.classes import ClassTable
    from segmodels.labels.project import Project

    project = Project.create(root, ClassTable.from_names(list(classes)))
    rng = np.random.default_rng(seed)
    for index in range(n_images):
        image = project.images_dir / f"img {index:02d}.png"
        Image.fromarray(noise_rgb(seed + index)).save(image)
        label_map = rng.integers(0, len(classes), SIZE, dtype=np.uint8)
        project.write_label(image, label_map)
    return root


def label_cases(root: Path) -> list[Case]:
    """A valid project plus one image per bad label; each case's path is the label file."""
    from segmodels.labels.project import Project

    make_project(root)
    project = Project.open(root)

    def pair(stem: str) -> Path:
        image = project.images_dir / f"{stem}.png"
        Image.fromarray(noise_rgb(hash(stem) % 1000)).save(image)
        return project.label_path(image)

    wrong_size = pair("wrong size é")
    project.write_label(project.images_dir / f"{wrong_size.stem}.png", np.zeros((10, 12), np.uint8))
    out_of_range = pair("out of range ü")
    bad = np.zeros(SIZE, np.uint8)
    bad[3, 4] = 7   # the project has 3 classes
    project.write_label(project.images_dir / f"{out_of_range.stem}.png", bad)
    colour = pair("colour unknown ñ")
    colours = np.zeros((*SIZE, 3), np.uint8)
    colours[:, :, 1] = 200   # (0, 200, 0) is no class colour of the project
    Image.fromarray(colours).save(colour)
    truncated = pair("label truncated")
    truncated.write_bytes(project_label_bytes(project)[:40])
    return [
        Case("label_wrong_size", "label", wrong_size, Expect.REFUSE),
        Case("label_out_of_range", "label", out_of_range, Expect.REFUSE, "7"),
        Case("label_unknown_colour", "label", colour, Expect.REFUSE),
        Case("label_truncated", "label", truncated, Expect.REFUSE),
    ]


def project_label_bytes(project) -> bytes:
    from segmodels.labels.labelio import encode_label_png

    return encode_label_png(np.zeros(SIZE, np.uint8), project.classes)


def onehot_cases(folder: Path) -> list[Case]:
    """One-hot stacks: NaN values, wrong rank, non-numeric, not an array file at all."""
    folder.mkdir(parents=True, exist_ok=True)
    nan = np.zeros((*SIZE, 3), np.float32)
    nan[..., 0] = 1
    nan[5, 6, 0] = np.nan
    np.save(folder / "nan values ü.npy", nan)
    np.save(folder / "wrong rank.npy", np.zeros(SIZE, np.float32))
    np.save(folder / "rank four.npy", np.zeros((2, *SIZE, 3), np.float32))
    np.savez(folder / "npz nan é.npz", nan)
    np.save(folder / "strings.npy", np.array([["a", "b"], ["c", "d"]]))
    _write(folder / "not numpy.npy", b"definitely not an array")
    return [
        Case("onehot_nan", "onehot", folder / "nan values ü.npy", Expect.REFUSE, "NaN"),
        Case("onehot_rank2", "onehot", folder / "wrong rank.npy", Expect.REFUSE),
        Case("onehot_rank4", "onehot", folder / "rank four.npy", Expect.REFUSE),
        Case("onehot_npz_nan", "onehot", folder / "npz nan é.npz", Expect.REFUSE, "NaN"),
        Case("onehot_strings", "onehot", folder / "strings.npy", Expect.REFUSE),
        Case("onehot_garbage", "onehot", folder / "not numpy.npy", Expect.REFUSE),
    ]


def project_json_cases(folder: Path) -> list[Case]:
    """One project folder per broken segstudio.json; each case's path is the JSON file."""
    texts = {
        "json_invalid": '{"version": 1, "classes": [',
        "json_not_object": "[1, 2, 3]",
        "json_no_classes": '{"version": 1, "ignore_index": 255}',
        "json_classes_not_list": '{"version": 1, "classes": "background"}',
        "json_class_missing_name": '{"version": 1, "classes": [{"id": 0, "color": [0, 0, 0]}]}',
        "json_class_bad_color": '{"version": 1, "classes": [{"id": 0, "name": "bg", "color": "black"}]}',
        "json_color_four_values": '{"version": 1, "classes": [{"id": 0, "name": "bg", "color": [0, 0, 0, 0]}]}',
        "json_ids_gap": '{"version": 1, "classes": [{"id": 0, "name": "bg"}, {"id": 2, "name": "cat"}]}',
        "json_wrong_version": '{"version": 99, "classes": [{"id": 0, "name": "bg", "color": [0, 0, 0]}]}',
        "json_binary": "\udcff",
        "json_empty": "",
    }
    cases = []
    for name, text in texts.items():
        root = folder / f"project {name} ö"
        (root / "images").mkdir(parents=True, exist_ok=True)
        Image.fromarray(noise_rgb(0)).save(root / "images" / "a.png")
        path = root / "segstudio.json"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        cases.append(Case(name, "project", path, Expect.REFUSE))
    return cases


# -- checkpoints (torch) --------------------------------------------------------------------------
class _RunsCode:
    """Pickles as a call to os.system: loading it unsafely would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return os.system, (f"touch '{self.marker}'",)


def checkpoint_cases(folder: Path, *, num_classes: int = 3) -> tuple[list[Case], Path]:
    """Bad checkpoints for a project with `num_classes` classes. Returns (cases, code marker path):
    the marker file appears only if a pickled payload ran."""
    import pickle

    import torch

    from segmodels.labels.classes import ClassTable
    from segmodels.models import get_model
    from segmodels.models.checkpoint import save_checkpoint

    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "PAYLOAD RAN"
    names = [f"class {i}" for i in range(num_classes + 2)]
    model = get_model("m2nist_fcn", num_classes=len(names))
    wrong = save_checkpoint(folder / "wrong classes ü.pt", model, classes=ClassTable.from_names(names))
    torch.save({"conv.weight": torch.zeros(2, 2)}, folder / "foreign state_dict.pt")
    torch.save({"format": "segstudio-checkpoint", "version": 1}, folder / "incomplete.pt")
    torch.save({"payload": _RunsCode(marker)}, folder / "pickled code é.pt")
    _write(folder / "legacy pickle.pt", pickle.dumps(_RunsCode(marker), protocol=2))
    _write(folder / "text.pt", b"hello, not a checkpoint")
    _write(folder / "empty.pt", b"")
    good = (folder / "wrong classes ü.pt").read_bytes()
    _write(folder / "truncated ckpt.pt", good[: len(good) // 2])
    cases = [
        Case("ckpt_wrong_classes", "checkpoint", wrong, Expect.REFUSE, "classes"),
        Case("ckpt_foreign", "checkpoint", folder / "foreign state_dict.pt", Expect.REFUSE),
        Case("ckpt_incomplete", "checkpoint", folder / "incomplete.pt", Expect.REFUSE),
        Case("ckpt_pickled_code", "checkpoint", folder / "pickled code é.pt", Expect.REFUSE),
        Case("ckpt_legacy_pickle", "checkpoint", folder / "legacy pickle.pt", Expect.REFUSE),
        Case("ckpt_text", "checkpoint", folder / "text.pt", Expect.REFUSE),
        Case("ckpt_empty", "checkpoint", folder / "empty.pt", Expect.REFUSE),
        Case("ckpt_truncated", "checkpoint", folder / "truncated ckpt.pt", Expect.REFUSE),
    ]
    return cases, marker


def save_good_checkpoint(path: Path, class_names: tuple[str, ...] = ("background", "digit", "edge")) -> Path:
    """A valid tiny checkpoint for a project with these classes."""
    from segmodels.labels.classes import ClassTable
    from segmodels.models import get_model
    from segmodels.models.checkpoint import save_checkpoint

    model = get_model("m2nist_fcn", num_classes=len(class_names))
    return save_checkpoint(path, model, classes=ClassTable.from_names(list(class_names)))


def write_json(path: Path, data: object) -> Path:
    return _write(path, json.dumps(data).encode())
