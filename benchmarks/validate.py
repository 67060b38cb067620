"""Benchmark: validating palette PNG labels vs only decoding them with OpenCV.

Writes N random 512 x 512 palette PNGs (VOC classes, some 255) into a temporary folder, then, for
several rounds, times (a) segstudio's validator over the folder (every pixel checked) and (b) a loop
that only decodes the same files with cv2.imread(IMREAD_UNCHANGED). The last line is JSON:
{"benchmark": "validate", "labels_per_s": X, "decode_only_per_s": Y, "ratio_to_decode": Y / X}
(medians over rounds; ratio <= 1.3 is the goal: checking costs little more than reading), plus
"ratio_to_decode_cpu_time", the same ratio in CPU time, steadier on a busy machine.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segmodels.labels.classes import voc_classes  # noqa: E402
from segmodels.labels.labelio import write_label_png  # noqa: E402
from segmodels.validation.run import validate_path  # noqa: E402


def make_labels(folder: Path, count: int, size: int, seed: int = 0) -> list[Path]:
    rng = np.random.default_rng(seed)
    table = voc_classes()
    paths = []
    for index in range(count):
        label_map = rng.integers(0, len(table), (size, size), dtype=np.uint8)
        label_map[rng.random((size, size)) < 0.05] = 255
        path = folder / f"label_{index:04d}.png"
        write_label_png(path, label_map, table)
        paths.append(path)
    return paths


def time_validate(folder: Path, expected: int) -> tuple[float, float]:
    """(files per wall-clock second, files per CPU second)."""
    start, cpu_start = time.perf_counter(), time.process_time()
    report = validate_path(folder, voc_classes())
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if report.files_checked != expected or not report.ok:
        raise SystemExit(f"validator checked {report.files_checked} files, problems: {report.problems[:3]}")
    return expected / elapsed, expected / cpu


def time_decode(paths: list[Path]) -> tuple[float, float]:
    import cv2

    start, cpu_start = time.perf_counter(), time.process_time()
    for path in paths:
        if cv2.imread(str(path), cv2.IMREAD_UNCHANGED) is None:
            raise SystemExit(f"OpenCV could not read {path}")
    return len(paths) / (time.perf_counter() - start), len(paths) / (time.process_time() - cpu_start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    import cv2

    cv2.setNumThreads(1)  # both sides single-threaded: a like-for-like comparison
    with tempfile.TemporaryDirectory(prefix="segstudio-bench-") as tmp:
        folder = Path(tmp)
        print(f"writing {args.files} random {args.size}x{args.size} palette PNGs ...", file=sys.stderr)
        paths = make_labels(folder, args.files, args.size)
        time_decode(paths[:20])  # warm the page cache and both code paths
        time_validate(folder, len(paths))
        validate_rates, decode_rates = [], []
        for round_index in range(args.rounds):
            # Alternate the order so neither side always runs on a warmer cache.
            if round_index % 2:
                decode_rates.append(time_decode(paths))
                validate_rates.append(time_validate(folder, len(paths)))
            else:
                validate_rates.append(time_validate(folder, len(paths)))
                decode_rates.append(time_decode(paths))
            print(f"round {round_index + 1}/{args.rounds}: validate {validate_rates[-1][0]:.1f} labels/s "
                  f"({validate_rates[-1][1]:.1f} per CPU s), decode only {decode_rates[-1][0]:.1f} files/s "
                  f"({decode_rates[-1][1]:.1f} per CPU s)", file=sys.stderr)
    labels_per_s = statistics.median(r[0] for r in validate_rates)
    decode_per_s = statistics.median(r[0] for r in decode_rates)
    # CPU-time rates too: on a shared machine they are less disturbed by other processes.
    labels_cpu = statistics.median(r[1] for r in validate_rates)
    decode_cpu = statistics.median(r[1] for r in decode_rates)
    print(json.dumps({"benchmark": "validate", "labels_per_s": round(labels_per_s, 1),
                      "decode_only_per_s": round(decode_per_s, 1),
                      "ratio_to_decode": round(decode_per_s / labels_per_s, 3),
                      "ratio_to_decode_cpu_time": round(decode_cpu / labels_cpu, 3)}))


if __name__ == "__main__":
    main()
