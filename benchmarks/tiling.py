"""Tiled against whole-image prediction, and the memory of `segstudio evaluate`, before and after blending.

agreement: the share of pixels whose label differs from one whole-image forward, per architecture:
- "hard_cut": each tile keeps the pixels up to the middle of each overlap (prediction before issue 15
  item 11), at the old fixed overlap of 128 px;
- "blend": segstudio's predict_label_map (cross-faded logits, the architecture's overlap from its reach).
m2nist_fcn is the bundled demo model (trained) on a mosaic of demo samples; the other architectures are
random-initialised with BatchNorm statistics estimated on the image (benchmarks/receptive_field.py), on
a smooth random image: that measures the geometry, not a trained model's output.

memory: peak RSS (VmHWM via /usr/bin/time) and wall time of `segstudio evaluate --device cpu` over a
project of N demo-mosaic images of S x S with the bundled demo model, once per source tree given
(e.g. this branch and the main checkout), one run each.

    python benchmarks/tiling.py agreement [--archs a,b] [--size 1536] [--tiles 512,1024]
    python benchmarks/tiling.py memory --trees /work/main,. [--count 6] [--size 2048]
Prints progress on stderr and ONE line of JSON on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OLD_OVERLAP = 128


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def demo_mosaic(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(grey RGB image, label map) of size x size tiled with demo samples."""
    from segmodels.demo import _source_digits, make_sample

    images, targets = _source_digits(seed)
    rng = np.random.default_rng(seed)
    rgb = np.zeros((size, size), np.uint8)
    labels = np.zeros((size, size), np.uint8)
    sample = make_sample(rng, images, targets)
    height, width = sample.image.shape
    for top in range(0, size, height):
        for left in range(0, size, width):
            sample = make_sample(rng, images, targets)
            h, w = min(height, size - top), min(width, size - left)
            rgb[top:top + h, left:left + w] = sample.image[:h, :w]
            labels[top:top + h, left:left + w] = sample.label_map[:h, :w]
    return np.repeat(rgb[..., None], 3, axis=2), labels


def hard_cut(model, rgb: np.ndarray, tile: int, overlap: int) -> np.ndarray:
    """The label map as prediction made it before blending: each tile's kept region, nothing averaged."""
    import torch

    from segmodels.inference.predict import forward_labels
    from segmodels.inference.preprocess import to_input_tensor
    from segmodels.inference.tiling import tile_grid

    out = np.empty(rgb.shape[:2], np.uint8)
    for cell in tile_grid(rgb.shape[0], rgb.shape[1], tile, overlap, model.stride):
        inputs = to_input_tensor(rgb[cell.window], model.normalization, torch.device("cpu"))
        labels, _ = forward_labels(model, inputs, False, with_confidence=False)
        out[cell.keep] = labels[0].numpy()[cell.keep_in_tile]
    return out


def agreement(archs: list[str], size: int, tiles: list[int]) -> dict:
    import torch
    from receptive_field import calibrate, smooth_image

    from segmodels.inference.predict import model_tile_overlap, predict_label_map
    from segmodels.models import get_model
    from segmodels.models.catalog import training_defaults
    from segmodels.models.checkpoint import load_checkpoint
    from segmodels.resources import resource_path

    cpu = torch.device("cpu")
    results = {}
    for arch in archs:
        torch.manual_seed(0)
        if arch == "m2nist_fcn":
            model = load_checkpoint(resource_path("models", "demo_m2nist.pt")).build_model().eval()
            rgb, source = demo_mosaic(size)[0], "bundled demo model (trained), demo mosaic"
        else:
            model = get_model(arch, num_classes=3, **training_defaults(arch)["model_kwargs"])
            rgb, source = smooth_image(size), "random weights, BatchNorm statistics from the image"
            calibrate(model, rgb)
        whole, _ = predict_label_map(model, rgb, model.normalization, cpu, tile_size=size, with_confidence=False)
        entry: dict = {"source": source, "size": size, "classes_in_whole": int(len(np.unique(whole)))}
        for tile in tiles:
            started = time.perf_counter()
            cut = hard_cut(model, rgb, tile, OLD_OVERLAP)
            blended, _ = predict_label_map(model, rgb, model.normalization, cpu, tile_size=tile, with_confidence=False)
            entry[f"tile_{tile}"] = {
                "hard_cut_overlap": OLD_OVERLAP, "hard_cut_differing_pct": round(100 * float((cut != whole).mean()), 2),
                "blend_overlap": model_tile_overlap(model, tile),
                "blend_differing_pct": round(100 * float((blended != whole).mean()), 2)}
            log(f"{arch} tile {tile}: {entry[f'tile_{tile}']} ({time.perf_counter() - started:.0f} s)")
        results[arch] = entry
    return results


def memory(trees: list[str], count: int, size: int) -> dict:
    from PIL import Image

    from segmodels.demo import demo_classes
    from segmodels.labels.project import Project
    from segmodels.resources import resource_path

    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        project = Project.create(Path(scratch) / "big", demo_classes())
        for index in range(count):
            rgb, labels = demo_mosaic(size, seed=index)
            path = project.images_dir / f"mosaic_{index}.png"
            Image.fromarray(rgb).save(path)
            project.write_label(path, labels)
        checkpoint = resource_path("models", "demo_m2nist.pt")
        for tree in trees:
            root = str(Path(tree).resolve())
            command = ["/usr/bin/time", "-v", sys.executable, "-m", "segmodels", "evaluate", str(project.root),
                       "--model", str(checkpoint), "--device", "cpu", "--json"]
            started = time.perf_counter()
            environment = {**os.environ, "PYTHONPATH": root, "PYTHONDONTWRITEBYTECODE": "1"}  # leaves trees as found
            done = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=root, check=False)
            seconds = time.perf_counter() - started
            peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            result = json.loads(lines[-1]) if lines else {}
            results[root] = {"peak_rss_gib": round(int(peak.group(1)) / 2**20, 2) if peak else None,
                             "seconds": round(seconds, 1), "miou": result.get("miou"),
                             "pixel_accuracy": result.get("pixel_accuracy"), "exit": done.returncode}
            log(f"{root}: {results[root]}")
    return {"images": count, "size": size, "trees": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    agree = sub.add_parser("agreement")
    agree.add_argument("--archs", default="m2nist_fcn,unet,lraspp_mobilenet_v3_large,deeplabv3_mobilenet_v3_large")
    agree.add_argument("--size", type=int, default=1536)
    agree.add_argument("--tiles", default="512,1024")
    mem = sub.add_parser("memory")
    mem.add_argument("--trees", default=".")
    mem.add_argument("--count", type=int, default=6)
    mem.add_argument("--size", type=int, default=2048)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if args.what == "agreement":
        print(json.dumps(agreement(args.archs.split(","), args.size, [int(t) for t in args.tiles.split(",")])))
    else:
        print(json.dumps(memory(args.trees.split(","), args.count, args.size)))


if __name__ == "__main__":
    main()
