"""Class edits: what moving or deleting a class costs per label file, against saving every label once.

A project of `--labels` palette labels of `--side` x `--side` pixels (`--classes` classes in 32-pixel
blocks) is copied `--repeats` times; on each copy the baseline reads and saves every label once through
`Project.read_label` / `Project.write_label` (what Save does), then a fresh copy gets `move_class(last
-> 0)` through `run_rewrite` (read, remap, stage, read back to check, rename, table). Both are timed
and the medians compared: the ratio is the price of the all-or-nothing rewrite over a plain save.
The last line is one JSON object.

    python benchmarks/class_edits.py [--labels 20] [--side 1024] [--classes 5] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segmodels.labels.class_edits import move_class  # noqa: E402
from segmodels.labels.class_rewrite import plan_rewrite, run_rewrite  # noqa: E402
from segmodels.labels.classes import ClassTable  # noqa: E402
from segmodels.labels.project import Project  # noqa: E402


def make_project(root: Path, labels: int, side: int, classes: int) -> Project:
    project = Project.create(root, ClassTable.from_names([f"class {k}" for k in range(classes)]))
    rng = np.random.default_rng(0)
    for index in range(labels):
        image = project.images_dir / f"tile_{index}.png"
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
        blocks = rng.integers(0, classes, (side // 32, side // 32))
        project.write_label(image, np.kron(blocks, np.ones((32, 32))).astype(np.uint8))
    return project


def save_all(project: Project) -> None:
    for image in project.labelled_images():
        project.write_label(image, project.read_label(image))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=20)
    parser.add_argument("--side", type=int, default=1024)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = make_project(Path(folder) / "base", args.labels, args.side, args.classes)
        saves, rewrites = [], []
        for repeat in range(args.repeats):
            for kind, times in (("save", saves), ("rewrite", rewrites)):
                copy = Path(folder) / f"{kind}_{repeat}"
                shutil.copytree(base.root, copy)
                project = Project.open(copy)
                start = time.perf_counter()
                if kind == "save":
                    save_all(project)
                else:
                    run_rewrite(plan_rewrite(project, move_class(project.classes, args.classes - 1, 0)))
                times.append(time.perf_counter() - start)
    save, rewrite = statistics.median(saves), statistics.median(rewrites)
    print(f"{args.labels} palette labels of {args.side}x{args.side}: save all {save:.2f} s, class move "
          f"{rewrite:.2f} s ({1000 * rewrite / args.labels:.0f} ms per file), ratio {rewrite / save:.2f}")
    print(json.dumps({"labels": args.labels, "side": args.side, "save_all_s": round(save, 3),
                      "rewrite_s": round(rewrite, 3), "per_file_ms": round(1000 * rewrite / args.labels, 1),
                      "ratio": round(rewrite / save, 2)}))


if __name__ == "__main__":
    main()
