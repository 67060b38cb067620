"""Mutation fuzzing of the image and label readers, shared by the hypothesis tests and a longer run.

`seeds()` are small valid files (PNG RGB / grey / 16-bit / palette label, JPEG, one-hot .npy);
`mutate(data, ops)` applies byte flips, overwrites, truncation, insertion and chunk repetition;
`check_reader(name, path)` runs one reader and returns "ok" or "refused", raising AssertionError
for anything else (a crash: an exception other than SegError, a message without the file name, or
a result of the wrong shape/type). Nothing here depends on hypothesis, so the long run

    python tests/reliability/fuzzing.py --inputs 5000 [--seed 1]

uses the same code with a seeded random generator and ends with one JSON line of counts.
"""
from __future__ import annotations

import io
import json
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
import corpus  # noqa: E402

Op = tuple[str, int, int]  # (kind, position, value)


def seeds() -> dict[str, tuple[str, bytes]]:
    """name -> (suffix, bytes) of small valid files."""
    from segmodels.labels.classes import ClassTable
    from segmodels.labels.labelio import encode_label_png

    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)

    def png(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    jpeg = io.BytesIO()
    Image.fromarray(rgb).save(jpeg, format="JPEG", quality=80)
    label = rng.integers(0, 3, (12, 16), dtype=np.uint8)
    label[0, :4] = 255
    onehot = np.eye(3, dtype=np.float32)[label % 3]
    npy = io.BytesIO()
    np.save(npy, onehot)
    npz = io.BytesIO()
    np.savez_compressed(npz, onehot=onehot)
    return {
        "png_rgb": (".png", png(Image.fromarray(rgb))),
        "png_grey": (".png", png(Image.fromarray(rgb[..., 0]))),
        "png_16bit": (".png", png(Image.fromarray(rgb[..., 0].astype(np.uint16) * 257))),
        "png_label": (".png", encode_label_png(label, ClassTable.from_names(["a", "b", "c"]))),
        "jpeg": (".jpg", jpeg.getvalue()),
        "npy_onehot": (".npy", npy.getvalue()),
        "npz_onehot": (".npz", npz.getvalue()),
        "project_json": (".json", _project_json()),
    }


def checkpoint_seed() -> tuple[str, bytes]:
    """A small valid segstudio checkpoint (imports torch; only the long run and one test use it)."""
    import tempfile as _tempfile

    with _tempfile.TemporaryDirectory() as folder:
        path = corpus.save_good_checkpoint(Path(folder) / "seed.pt")
        return ".pt", path.read_bytes()


def _project_json() -> bytes:
    from segmodels.labels.classes import ClassTable
    from segmodels.labels.project import Project

    with tempfile.TemporaryDirectory() as folder:
        project = Project.create(Path(folder) / "p", ClassTable.from_names(["background", "cat", "dog ü"]))
        return project.config_path.read_bytes()


def write_input(folder: Path, index: int, seed_name: str, suffix: str, data: bytes) -> Path:
    """Where a mutated input goes: a project JSON must be a folder's segstudio.json."""
    if seed_name == "project_json":
        path = folder / f"project {index}" / "segstudio.json"
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        path = folder / f"input {index}{suffix}"
    path.write_bytes(data)
    return path


def mutate(data: bytes, ops: Sequence[Op]) -> bytes:
    buffer = bytearray(data)
    for kind, position, value in ops:
        if not buffer:
            break
        at = position % len(buffer)
        if kind == "flip":
            buffer[at] ^= 1 << (value % 8)
        elif kind == "set":
            buffer[at] = value % 256
        elif kind == "truncate":
            del buffer[max(at, 1):]
        elif kind == "insert":
            buffer[at:at] = bytes([value % 256]) * (1 + value % 7)
        elif kind == "repeat":  # repeat a slice: duplicated chunks, repeated markers
            length = 1 + value % 64
            buffer[at:at] = buffer[at:at + length]
        elif kind == "big":  # plant a large 32-bit number (a width, a chunk length, a count)
            buffer[at:at + 4] = (value * 65537 % (1 << 32)).to_bytes(4, "big")
    return bytes(buffer)


def mutate_pickle_member(data: bytes, ops: Sequence[Op]) -> bytes:
    """Mutate only the pickle inside a torch zip checkpoint and re-zip it with valid CRCs, so the
    mutation reaches torch's weights-only unpickler instead of stopping at the CRC check."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            member = source.read(info)
            if info.filename.endswith("data.pkl"):
                member = mutate(member, ops)
            target.writestr(info.filename, member)
    return out.getvalue()


SLOW_S = 2.0
HANG_S = 20


class _Hang(BaseException):
    """Raised by SIGALRM inside a reader (BaseException: readers must not swallow it)."""


def _on_alarm(signum, frame):
    raise _Hang()

OP_KINDS = ("flip", "set", "truncate", "insert", "repeat", "big")
READERS = ("read_image", "image_size", "read_label_png", "read_color_label", "validate", "read_onehot",
           "open_project", "load_checkpoint")


def check_reader(name: str, path: Path) -> str:
    """Run reader `name` on `path`: "ok" or "refused" (SegError naming the file); else AssertionError."""
    from segmodels.errors import SegError

    try:
        result = _call(name, path)
    except SegError as exc:
        text = str(exc)
        assert path.name in text, f"{name}: message does not name the file: {text!r}"
        assert "\n" not in text.strip() and "Traceback" not in text, f"{name}: not one line: {text!r}"
        return "refused"
    except MemoryError as exc:
        raise AssertionError(f"{name}: MemoryError on {path.name}") from exc
    except Exception as exc:
        raise AssertionError(f"{name} crashed on {path.name}: {type(exc).__name__}: {exc}") from exc
    _check_result(name, result)
    return "ok"


def _call(name: str, path: Path):
    from segmodels.labels.classes import ClassTable

    if name == "read_image":
        from segmodels.labels.imageio import read_image
        return read_image(path)
    if name == "image_size":
        from segmodels.labels.imageio import image_size
        return image_size(path)
    if name == "read_label_png":
        from segmodels.labels.labelio import read_label_png
        return read_label_png(path)
    if name == "read_color_label":
        from segmodels.labels.colorlabels import read_color_label
        return read_color_label(path, ClassTable.from_names(["a", "b", "c"]))
    if name == "validate":
        from segmodels.validation.report import LabelJob, ValidationOptions
        from segmodels.validation.run import check_label
        return check_label(LabelJob(path), ValidationOptions(ClassTable.from_names(["a", "b", "c"])))
    if name == "read_onehot":
        from segmodels.labels.onehot import read_onehot
        return read_onehot(path, num_classes=3)
    if name == "open_project":
        from segmodels.labels.project import Project
        return Project.open(path.parent)
    if name == "load_checkpoint":
        from segmodels.models.checkpoint import load_checkpoint
        return load_checkpoint(path, num_classes=3)
    raise ValueError(name)


def _check_result(name: str, result) -> None:
    if name == "read_image":
        rgb = result.rgb
        assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.size > 0, rgb.shape
    elif name == "image_size":
        assert len(result) == 2 and all(isinstance(v, int) and v >= 0 for v in result), result
    elif name == "read_label_png":
        assert result.dtype == np.uint8 and result.ndim == 2, (result.dtype, result.shape)
    elif name == "read_color_label":
        label_map, unknown = result
        assert label_map.dtype == np.uint8 and unknown.shape == label_map.shape
    elif name == "validate":
        file_result, _decoded = result
        for problem in file_result.problems:
            assert "\n" not in problem.message and "Traceback" not in problem.message, problem.message
    elif name == "read_onehot":
        assert result.label_map.dtype == np.uint8 and result.label_map.ndim == 2
    elif name == "open_project":
        assert len(result.classes) >= 1
    elif name == "load_checkpoint":
        assert result.num_classes == 3 and result.state_dict


def readers_for(seed_name: str) -> tuple[str, ...]:
    if seed_name == "project_json":
        return ("open_project",)
    if seed_name.startswith("checkpoint"):
        return ("load_checkpoint",)
    if seed_name.startswith("np"):
        return ("read_onehot", "validate")
    return ("read_image", "image_size", "read_label_png", "read_color_label", "validate")


def run(inputs: int, seed: int, with_checkpoints: bool = True) -> dict:
    """The long fuzz session: `inputs` mutated files, every applicable reader on each."""
    rng = random.Random(seed)
    base = seeds()
    if with_checkpoints:
        base["checkpoint"] = base["checkpoint_pickle"] = checkpoint_seed()
    outcomes: Counter[str] = Counter()
    crashes: list[str] = []
    slowest = 0.0
    signal.signal(signal.SIGALRM, _on_alarm)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="segstudio fuzz ü ") as folder:
        for index in range(inputs):
            seed_name = rng.choice(sorted(base))
            suffix, data = base[seed_name]
            ops = [(rng.choice(OP_KINDS), rng.randrange(1 << 20), rng.randrange(1 << 16))
                   for _ in range(rng.randint(1, 4))]
            mutated = mutate_pickle_member(data, ops) if seed_name == "checkpoint_pickle" else mutate(data, ops)
            path = write_input(Path(folder), index, seed_name, suffix, mutated)
            for reader in readers_for(seed_name):
                began = time.monotonic()
                signal.alarm(HANG_S)  # a hang becomes a finding instead of stopping the run
                try:
                    outcomes[f"{reader}:{check_reader(reader, path)}"] += 1
                except AssertionError as exc:
                    crashes.append(f"{seed_name} {ops}: {exc}")
                    outcomes[f"{reader}:crash"] += 1
                except _Hang:
                    crashes.append(f"{seed_name} {ops}: {reader} still running after {HANG_S} s")
                    outcomes[f"{reader}:hang"] += 1
                finally:
                    signal.alarm(0)
                spent = time.monotonic() - began
                slowest = max(slowest, spent)
                if spent > SLOW_S:  # a reader that takes this long on a tiny file is a finding too
                    crashes.append(f"{seed_name} {ops}: {reader} took {spent:.1f} s")
                    outcomes[f"{reader}:slow"] += 1
            path.unlink()
            if seed_name == "project_json":
                path.parent.rmdir()
            if (index + 1) % 500 == 0:
                print(f"{index + 1}/{inputs} inputs, {len(crashes)} crashes", file=sys.stderr)
    for line in crashes[:20]:
        print(line, file=sys.stderr)
    return {"inputs": inputs, "seed": seed, "reader_calls": sum(outcomes.values()), "crashes": len(crashes),
            "slowest_call_s": round(slowest, 3), "seconds": round(time.monotonic() - started, 1),
            "outcomes": dict(sorted(outcomes.items()))}


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    print(json.dumps(run(args.inputs, args.seed)))
