"""Listing a project's statuses when "reviewed" needs a labelled pixel (not just a label file).

An all-255 label file must not list as reviewed (docs/models-and-labels.md#reviewed-labels), which
needs the pixels. Measured in one run on two generated projects of `--count` images: the demo (64 x 84
digit labels) and 512 x 512 labels with a 100 x 100 square: `Project.statuses()` with the check (cold:
nothing remembered, every label peeked at or decoded; warm: the window listing again, nothing changed)
against the baseline, the listing by file names alone (what `statuses()` did before the check), and a
full decode of every label (what the check costs without png_peek). Median of `--repeat` runs each.
The last line is one JSON object.

    python benchmarks/review_listing.py [--count 1000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segmodels.demo import write_demo_project  # noqa: E402
from segmodels.formats.labelfiles import labelled_stems  # noqa: E402
from segmodels.labels import labelled_files  # noqa: E402
from segmodels.labels.classes import ClassTable  # noqa: E402
from segmodels.labels.labelio import write_label_png  # noqa: E402
from segmodels.labels.project import Project  # noqa: E402


def square_project(root: Path, count: int) -> Path:
    classes = ClassTable.from_names(["background", "a", "b"])
    Project.create(root, classes)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    image = Image.fromarray(np.zeros((512, 512, 3), np.uint8))
    for i in range(count):
        image.save(root / "images" / f"im{i:05d}.png", compress_level=1)
        label = np.zeros((512, 512), np.uint8)
        y, x = rng.integers(0, 400, 2)
        label[y:y + 100, x:x + 100] = 1 + i % 2
        write_label_png(root / "labels" / f"im{i:05d}.png", label, classes)
    return root


def by_names(project: Project) -> int:
    labels = labelled_stems(project.labels_dir, project.label_encoding)
    return sum(image.stem in labels for image in project.image_paths())


def decode_all(project: Project) -> int:
    return sum(int(project.read_label_file(project.label_path(image)).min()) != 255
               for image in project.image_paths())


def cold(project: Project) -> object:
    labelled_files._known.clear()
    return project.statuses()


def median_ms(function, project: Project, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(project)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        projects = {"demo": write_demo_project(Path(tmp) / "demo", count=args.count).root,
                    "512x512": square_project(Path(tmp) / "square", args.count)}
        for name, root in projects.items():
            project = Project.open(root)
            row = {"names_only_ms": median_ms(by_names, project, args.repeat),
                   "cold_ms": median_ms(cold, project, args.repeat),
                   "warm_ms": median_ms(lambda p: p.statuses(), project, args.repeat),
                   "decode_all_ms": median_ms(decode_all, project, max(1, args.repeat // 2))}
            row["cold_ratio"] = round(row["cold_ms"] / row["names_only_ms"], 2)
            row["warm_ratio"] = round(row["warm_ms"] / row["names_only_ms"], 2)
            results[name] = row
            print(f"{name}: {args.count} labels: names only {row['names_only_ms']} ms, with the check cold "
                  f"{row['cold_ms']} ms ({row['cold_ratio']}x), warm {row['warm_ms']} ms ({row['warm_ratio']}x), "
                  f"decoding every label {row['decode_all_ms']} ms")
    print(json.dumps({"count": args.count, **results}))


if __name__ == "__main__":
    main()
