"""Benchmark: segstudio reading (importing) and writing (exporting) labels in every format vs the
field's own libraries alone doing the same with the same files.

Makes N labels of S x S (`--count` 1000, `--size` 512; one-hot stacks: `--onehot-count` 100, as each
21-channel stack is 5.5 MB) in a temporary folder, in every format (benchmarks/formats_data.py), then
times both sides on all the files, alternating which runs first, median of `--repeats` runs (5:
one or two slow runs, which this shared machine gives often, then move no figure; with 2 the median
was the mean of both, and one format's ratio moved from 1.13 to 1.64 between two runs of the same
code. A default run takes about 13 minutes on 2 cores).
segstudio's side is the code the window and the CLI run; the baseline does the same job with the
reference library and nothing else:

- palette, grey, color, cityscapes_labelIds (PNG). segstudio reads with `read_label_file` (regular-file
  and size checks, encoding detected per file, colour -> index, Cityscapes id -> train id) and writes
  with `write_label_file` inside a `DurableBatch`, as every bulk conversion, import and export writes
  (colours or ids; atomic: temporary file, one file-system sync per batch, then rename). Baseline:
  Pillow decoding each file to a numpy array; Pillow encoding the same stored array (palette, colours
  or ids looked up) at segstudio's PNG compression level, written with a plain `open().write`.
- onehot (.npy). segstudio: `read_label_file` / `write_label_file`. Baseline: `np.load` + `argmax` /
  one-hot by comparison + `np.save` (Pillow has no part in it).
- coco. read = `segstudio import coco` (plan + `iter_import`: a project, images copied, palette
  labels), write = `iter_export_coco`. Baseline: `json.load`, pycocotools `mask.decode` of each RLE
  painted in file order, a Pillow palette PNG and the image copied; Pillow decode, pycocotools
  `encode`/`area`/`toBbox` per class present, `json.dump`.
- labelme (read only: segstudio has no labelme export). `segstudio import labelme` vs `json.load`,
  Pillow `ImageDraw.polygon` per shape (labelme's own drawing), a Pillow palette PNG, the image copied.
  The baseline does less than an import must: segstudio also checks every shape (type, points), reads
  each image's header to check its upright size against imageWidth/imageHeight, refuses stem clashes
  and a different image or label already in the project, and writes both files atomically; each is
  kept cheap (docs/formats.md, "Speed") rather than dropped.
- cvat. read = `import_cvat` (checked extraction) + every label read (colour -> index), write =
  `CvatExport`. Baseline: `ZipFile.extractall` + Pillow decode; Pillow decode, palette -> RGB, Pillow
  encode into the zip with the image.
- voc. read = `Project.open` of a VOC root + every label read, write = `VocExport` (tree, JPEGs
  copied, split lists). Baseline: Pillow decode of every label; Pillow decode + encode + image copy
  + the lists.

segstudio makes every file it writes durable before its name points at it (segmodels/atomic.py: a crash
never leaves a half-written label): one fsync per file for single files, one file-system sync per batch
in bulk jobs. The time spent syncing is measured too (`os.fsync` and the batch sync timed), and
reported as `ratios_without_fsync`; the baselines never sync.
The last line is JSON: {"benchmark": "formats", "count", "size", "repeats", "goal": 1.5,
"ratios": {format: {"read": r, "write": w}}, "worst_ratio", "worst": "format/direction",
"ratios_without_fsync": {...}, "worst_ratio_without_fsync", "cpu_ratios": {...}, "worst_cpu_ratio",
"seconds": {format: {direction: [segstudio, baseline, of which fsync]}}}, ratio = segstudio's median
wall time / the baseline's (the goal). `cpu_ratios` divide this process's CPU seconds instead: on a
machine shared with other work, wall times swing by tens of percent between runs, CPU time much less
(it leaves out waiting for the disk, so it is no substitute for the wall ratio).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from formats_data import Dataset, cityscapes_train_ids, make_dataset, png  # noqa: E402

from segmodels import atomic  # noqa: E402
from segmodels.atomic import DurableBatch  # noqa: E402
from segmodels.formats.encodings import (  # noqa: E402
    LabelEncoding,
    read_label_file,
    train_id_to_label_id,
    write_label_file,
)
from segmodels.labels.classes import cityscapes_classes  # noqa: E402

GOAL = 1.5
Job = Callable[[Path], None]  # given a fresh, empty output folder


# -- label files in one encoding -------------------------------------------------------------------
FILES = {LabelEncoding.PALETTE: ("palette", ".png", "{}"), LabelEncoding.GREY: ("grey", ".png", "{}"),
         LabelEncoding.COLOR: ("color", ".png", "{}"), LabelEncoding.ONEHOT: ("onehot", ".npy", "{}"),
         LabelEncoding.LABEL_IDS: ("cityscapes", ".png", "{}_gtFine_labelIds")}


def stored_png(encoding: LabelEncoding, label: np.ndarray, palette: np.ndarray) -> bytes:
    """What the baseline writes: the array the file stores, encoded by Pillow."""
    if encoding is LabelEncoding.PALETTE:
        return png(label, "P", palette)
    if encoding is LabelEncoding.COLOR:
        return png(palette[label], "RGB")
    if encoding is LabelEncoding.LABEL_IDS:
        return png(train_id_to_label_id()[label], "L")
    return png(label, "L")


def encoding_jobs(data: Dataset, encoding: LabelEncoding, onehot_count: int) -> dict[str, tuple[Job, Job]]:
    paths = data.files(*FILES[encoding])
    maps = data.maps
    classes = data.classes
    if encoding is LabelEncoding.LABEL_IDS:
        classes, maps = cityscapes_classes(), cityscapes_train_ids(maps)
    if encoding is LabelEncoding.ONEHOT:
        paths, maps = paths[:onehot_count], maps[:onehot_count]
    palette = data.classes.palette()
    channels = np.arange(len(data.classes))[:, None, None]

    def ours_read(_out: Path) -> None:
        for path in paths:
            read_label_file(path, classes)  # the encoding detected per file, as a project reads it

    def base_read(_out: Path) -> None:
        for path in paths:
            if encoding is LabelEncoding.ONEHOT:
                np.load(path).argmax(0).astype(np.uint8)
                continue
            with Image.open(path) as image:
                np.asarray(image)

    def ours_write(out: Path) -> None:
        with DurableBatch() as batch:  # as segmodels/formats/convert.py and every bulk job writes
            for path, label in zip(paths, maps, strict=True):
                batch.commit_if_due()
                with batch.active():
                    write_label_file(out / path.name, label, classes, encoding)

    def base_write(out: Path) -> None:
        for path, label in zip(paths, maps, strict=True):
            if encoding is LabelEncoding.ONEHOT:
                np.save(out / path.name, (channels == label).astype(np.uint8))
                continue
            with open(out / path.name, "wb") as handle:
                handle.write(stored_png(encoding, label, palette))

    return {"read": (ours_read, base_read), "write": (ours_write, base_write)}


# -- COCO, labelme, CVAT, VOC ----------------------------------------------------------------------
def _copy_image(data: Dataset, name: str, out: Path) -> None:
    shutil.copyfile(data.root / "images" / f"{name}.jpg", out / f"{name}.jpg")


def coco_jobs(data: Dataset) -> dict[str, tuple[Job, Job]]:
    from pycocotools import mask as coco_mask

    from segmodels.formats.coco import plan_coco_import
    from segmodels.formats.coco_export import iter_export_coco
    from segmodels.formats.importing import iter_import
    from segmodels.labels.project import Project

    palette = data.classes.palette()

    def ours_read(out: Path) -> None:
        for _ in iter_import(plan_coco_import(data.root / "coco.json", data.root / "images", out / "p")):
            pass

    def base_read(out: Path) -> None:
        document = json.loads((data.root / "coco.json").read_text())
        by_image: dict[int, list[dict]] = {}
        for annotation in document["annotations"]:
            by_image.setdefault(annotation["image_id"], []).append(annotation)
        for entry in document["images"]:
            label = np.zeros((entry["height"], entry["width"]), np.uint8)
            for annotation in by_image.get(entry["id"], []):
                label[coco_mask.decode(annotation["segmentation"]) > 0] = annotation["category_id"]
            name = Path(entry["file_name"]).stem
            (out / f"{name}.png").write_bytes(png(label, "P", palette))
            _copy_image(data, name, out)

    project = Project.open(data.root / "project")

    def ours_write(out: Path) -> None:
        for _ in iter_export_coco(project, out / "coco.json"):
            pass

    def base_write(out: Path) -> None:
        annotations = []
        for index, path in enumerate(data.files("palette")):
            with Image.open(path) as image:
                label = np.asarray(image)
            for value in np.flatnonzero(np.bincount(label.reshape(-1), minlength=256))[1:].tolist():
                rle = coco_mask.encode(np.asfortranarray(label == value, dtype=np.uint8))
                annotations.append({"image_id": index + 1, "category_id": value, "iscrowd": 0,
                                    "segmentation": {"size": rle["size"], "counts": rle["counts"].decode("ascii")},
                                    "area": float(coco_mask.area(rle)), "bbox": coco_mask.toBbox(rle).tolist()})
        (out / "coco.json").write_text(json.dumps({"annotations": annotations}))

    return {"read": (ours_read, base_read), "write": (ours_write, base_write)}


def labelme_jobs(data: Dataset) -> dict[str, tuple[Job, Job]]:
    from segmodels.formats.importing import iter_import
    from segmodels.formats.labelme import plan_labelme_import

    palette = data.classes.palette()
    index_of = {name: index for index, name in enumerate(data.classes.names)}

    def ours_read(out: Path) -> None:
        for _ in iter_import(plan_labelme_import(data.root / "labelme", out / "p")):
            pass

    def base_read(out: Path) -> None:
        for path in sorted((data.root / "labelme").glob("*.json")):
            document = json.loads(path.read_text())
            label = Image.new("L", (document["imageWidth"], document["imageHeight"]), 0)
            canvas = ImageDraw.Draw(label)
            for shape in document["shapes"]:
                value = index_of[shape["label"]]
                canvas.polygon([tuple(p) for p in shape["points"]], outline=value, fill=value)
            (out / f"{path.stem}.png").write_bytes(png(np.asarray(label), "P", palette))
            _copy_image(data, path.stem, out)

    return {"read": (ours_read, base_read)}


def cvat_jobs(data: Dataset) -> dict[str, tuple[Job, Job]]:
    from segmodels.formats.cvat_export import CvatExport
    from segmodels.formats.cvat_import import import_cvat
    from segmodels.labels.project import Project

    project = Project.open(data.root / "project")
    palette = data.classes.palette()

    def ours_read(out: Path) -> None:
        imported, _notes = import_cvat(data.root / "cvat.zip", out / "p")
        for image in imported.labelled_images():
            imported.read_label(image)

    def base_read(out: Path) -> None:
        with zipfile.ZipFile(data.root / "cvat.zip") as archive:
            archive.extractall(out / "p")
        for path in sorted((out / "p" / "SegmentationClass").glob("*.png")):
            with Image.open(path) as image:
                np.asarray(image.convert("RGB"))

    def ours_write(out: Path) -> None:
        for _ in CvatExport(project, out / "task.zip").steps():
            pass

    def base_write(out: Path) -> None:
        with zipfile.ZipFile(out / "task.zip", "w") as archive:
            for name, path in zip(data.names, data.files("palette"), strict=True):
                with Image.open(path) as image:
                    label = np.asarray(image)
                archive.writestr(f"SegmentationClass/{name}.png", png(palette[label], "RGB"))
                archive.write(data.root / "images" / f"{name}.jpg", f"JPEGImages/{name}.jpg")
            archive.writestr("ImageSets/Segmentation/default.txt", "".join(f"{n}\n" for n in data.names))
            archive.writestr("labelmap.txt", "".join(f"{c.name}:{','.join(map(str, c.color))}::\n"
                                                     for c in data.classes))

    return {"read": (ours_read, base_read), "write": (ours_write, base_write)}


def voc_jobs(data: Dataset) -> dict[str, tuple[Job, Job]]:
    from segmodels.formats.voc_export import VocExport
    from segmodels.labels.project import Project

    project = Project.open(data.root / "project")
    palette = data.classes.palette()

    def ours_read(_out: Path) -> None:
        voc = Project.open(data.root / "voc")
        for image in voc.labelled_images():
            voc.read_label(image)

    def base_read(_out: Path) -> None:
        for path in sorted((data.root / "voc" / "SegmentationClass").glob("*.png")):
            with Image.open(path) as image:
                np.asarray(image)

    def ours_write(out: Path) -> None:
        for _ in VocExport(project, out).steps():
            pass

    def base_write(out: Path) -> None:
        root = out / "VOCdevkit" / "VOC2012"
        for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
            (root / folder).mkdir(parents=True)
        for name, path in zip(data.names, data.files("palette"), strict=True):
            with Image.open(path) as image:
                label = np.asarray(image)
            (root / "SegmentationClass" / f"{name}.png").write_bytes(png(label, "P", palette))
            shutil.copyfile(data.root / "images" / f"{name}.jpg", root / "JPEGImages" / f"{name}.jpg")
        val = len(data.names) // 10
        for split, names in (("train", data.names[val:]), ("val", data.names[:val]), ("trainval", data.names)):
            (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("".join(f"{n}\n" for n in names))

    return {"read": (ours_read, base_read), "write": (ours_write, base_write)}


# -- timing ------------------------------------------------------------------------------------------
class FsyncClock:
    """Seconds spent syncing: os.fsync (single atomic writes) and a DurableBatch's sync (segmodels/atomic.py;
    the baselines never sync)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        os.fsync = self._timing(os.fsync)
        atomic.sync_to_disk = self._timing(atomic.sync_to_disk)

    def _timing(self, function: Callable) -> Callable:
        def timed(*args: object) -> object:
            start = time.perf_counter()
            try:
                return function(*args)
            finally:
                self.seconds += time.perf_counter() - start
        return timed


def timed(job: Job, scratch: Path, clock: FsyncClock) -> tuple[float, float, float]:
    """(seconds, of which syncing, CPU seconds of this process) of one run into a fresh folder."""
    out = Path(tempfile.mkdtemp(dir=scratch))
    # Untimed: start each run with nothing dirty, or a batch's sync (syncfs of the whole file system)
    # would pay for writing out the freshly made dataset and whatever ran before.
    if hasattr(os, "sync"):
        os.sync()
    synced = clock.seconds
    start, cpu = time.perf_counter(), time.process_time()
    job(out)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    shutil.rmtree(out)
    return elapsed, clock.seconds - synced, cpu


def compare(ours: Job, base: Job, scratch: Path, repeats: int,
            clock: FsyncClock) -> tuple[float, float, float, float, float]:
    """Medians of (segstudio's seconds, the baseline's, segstudio's sync seconds, segstudio's CPU seconds,
    the baseline's), alternating which side runs first."""
    mine, theirs = [], []
    for round_index in range(repeats):
        if round_index % 2:
            theirs.append(timed(base, scratch, clock))
            mine.append(timed(ours, scratch, clock))
        else:
            mine.append(timed(ours, scratch, clock))
            theirs.append(timed(base, scratch, clock))
    return (statistics.median(t[0] for t in mine), statistics.median(t[0] for t in theirs),
            statistics.median(t[1] for t in mine), statistics.median(t[2] for t in mine),
            statistics.median(t[2] for t in theirs))


def worst(ratios: dict[str, dict[str, float]]) -> tuple[float, str]:
    return max(((r, f"{n}/{d}") for n, per in ratios.items() for d, r in per.items()), default=(0.0, ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--onehot-count", type=int, default=100, help="one-hot stacks (5.5 MB each at 512x512)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per side, alternating which goes first; "
                        "the median is quoted (5: about 13 minutes on 2 cores)")
    parser.add_argument("--only", nargs="*", help="formats to run (default: all)")
    args = parser.parse_args()
    clock = FsyncClock()
    with tempfile.TemporaryDirectory(prefix="segstudio-formats-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        print(f"writing {args.count} labels of {args.size}x{args.size} in every format ...", file=sys.stderr)
        data = make_dataset(root / "data", args.count, args.size, min(args.onehot_count, args.count))
        print(f"  {time.perf_counter() - start:.0f} s", file=sys.stderr)
        formats: dict[str, Callable[[], dict[str, tuple[Job, Job]]]] = {
            name: (lambda e=encoding: encoding_jobs(data, e, args.onehot_count)) for name, encoding in (
                ("palette", LabelEncoding.PALETTE), ("grey", LabelEncoding.GREY), ("color", LabelEncoding.COLOR),
                ("onehot", LabelEncoding.ONEHOT), ("cityscapes_labelIds", LabelEncoding.LABEL_IDS))}
        formats.update(coco=lambda: coco_jobs(data), labelme=lambda: labelme_jobs(data),
                       cvat=lambda: cvat_jobs(data), voc=lambda: voc_jobs(data))
        ratios: dict[str, dict[str, float]] = {}
        unsynced: dict[str, dict[str, float]] = {}
        cpu: dict[str, dict[str, float]] = {}
        seconds: dict[str, dict[str, list[float]]] = {}
        for name, make_jobs in formats.items():
            if args.only and name not in args.only:
                continue
            for direction, (ours, base) in make_jobs().items():
                mine, theirs, synced, mine_cpu, theirs_cpu = compare(ours, base, root, args.repeats, clock)
                cpu.setdefault(name, {})[direction] = round(mine_cpu / max(theirs_cpu, 1e-9), 2)
                ratios.setdefault(name, {})[direction] = round(mine / theirs, 2)
                unsynced.setdefault(name, {})[direction] = round((mine - synced) / theirs, 2)
                seconds.setdefault(name, {})[direction] = [round(mine, 2), round(theirs, 2), round(synced, 2)]
                print(f"{name:>20} {direction:>5}: segstudio {mine:6.2f} s (fsync {synced:5.2f} s), baseline "
                      f"{theirs:6.2f} s, ratio {mine / theirs:.2f} ({(mine - synced) / theirs:.2f} without fsync, "
                      f"{cpu[name][direction]:.2f} in CPU time)",
                      file=sys.stderr)
    print(json.dumps({"benchmark": "formats", "count": args.count, "size": args.size, "repeats": args.repeats,
                      "goal": GOAL, "ratios": ratios, "worst_ratio": worst(ratios)[0], "worst": worst(ratios)[1],
                      "ratios_without_fsync": unsynced, "worst_ratio_without_fsync": worst(unsynced)[0],
                      "cpu_ratios": cpu, "worst_cpu_ratio": worst(cpu)[0],
                      "seconds": seconds}))


if __name__ == "__main__":
    main()
