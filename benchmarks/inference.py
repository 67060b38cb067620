"""Inference benchmark: images/s per architecture, pipeline overhead, and peak memory on a huge image.

Measured on the current device (auto: CUDA, then MPS, then CPU), all in one run:
- images_per_s: segstudio's predict_image on a 512x512 image (normalise, forward, argmax,
  confidence) per architecture, 21 classes, random weights; the median over timed repeats.
- pipeline_ratio: segstudio's full file path (predict_files: decode, normalise, forward, argmax, write
  palette PNGs) against a bare `model(x)` forward over the same images already decoded and normalised
  in memory, same batch size; images/s full / images/s bare, median of rounds. Goal >= 0.87 (no more
  than 15% overhead). predict_files is asked for up to 1 decode worker on a CPU (its default on a GPU) and
  starts what pays off (batch_inference.useful_workers): on a CPU whose cores torch's threads use it
  decodes inline, since a decode process there slowed the forward passes ~10%.
- peak_gib_6000x8000: peak RSS of a fresh process that reads a 6000x8000 JPEG, predicts it (tiled)
  and writes the label PNG (VmHWM from /proc, else ru_maxrss). Goal <= 4 GiB on CPU.

Prints progress on stderr and ends with ONE line of JSON on stdout.
    python benchmarks/inference.py [--device auto] [--archs a,b] [--ratio-arch unet] [--quick]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NUM_CLASSES = 21
MEMORY_SCRIPT = """
import resource, sys, time
import torch


def peak_kib():
    # VmHWM belongs to this process's own address space; ru_maxrss would also count the parent's
    # RSS inherited across fork+exec on Linux.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


torch.set_num_threads({threads})
from segmodels.labels.classes import ClassTable
from segmodels.labels.imageio import read_image
from segmodels.inference.predict import predict_image
from segmodels.labels.labelio import write_label_png
from segmodels.models import get_model
model = get_model({arch!r}, num_classes={classes})
base = peak_kib()
start = time.perf_counter()
rgb = read_image({image!r}).rgb
label_map, confidence = predict_image(model, rgb, device={device!r})
write_label_png({out!r}, label_map, ClassTable.from_names([str(i) for i in range({classes})]))
print(base, peak_kib(), time.perf_counter() - start)
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def synthetic_photo(height: int, width: int, seed: int) -> np.ndarray:
    """Smooth colour fields plus mild noise: decodes and compresses like a photo, not like noise."""
    import cv2

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(2, height // 32), max(2, width // 32), 3), dtype=np.uint8)
    image = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(-8, 9, image.shape, dtype=np.int16)
    return np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def images_per_second(arch: str, device, reps: int, size: int) -> float:
    import torch

    from segmodels.inference.predict import predict_image
    from segmodels.models import get_model

    model = get_model(arch, num_classes=NUM_CLASSES)
    image = synthetic_photo(size, size, 0)
    predict_image(model, image, device=device)  # warm-up: allocator, cuDNN autotune, oneDNN primitives
    times = []
    for _ in range(reps):
        sync(device)
        start = time.perf_counter()
        predict_image(model, image, device=device)
        sync(device)
        times.append(time.perf_counter() - start)
    del model
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return 1.0 / statistics.median(times)


def pipeline_ratio(arch: str, device, count: int, batch_size: int, rounds: int, workers: int | None,
                   size: int) -> dict:
    import torch
    from PIL import Image

    from segmodels.inference.batch import predict_files
    from segmodels.inference.predict import autocast_context, prepare_model, use_channels_last
    from segmodels.inference.preprocess import to_input_tensor
    from segmodels.labels.classes import ClassTable
    from segmodels.labels.imageio import read_image
    from segmodels.models import get_model

    model = prepare_model(get_model(arch, num_classes=NUM_CLASSES), device)
    classes = ClassTable.from_names([f"class {i}" for i in range(NUM_CLASSES)])
    folder = Path(tempfile.mkdtemp(prefix="segstudio-bench-"))
    paths = []
    for index in range(count):
        path = folder / f"image{index:03d}.png"
        Image.fromarray(synthetic_photo(size, size, index)).save(path)
        paths.append(path)
    # The bare baseline gets the same images, decoded and normalised ahead of time, same batches.
    pixels = np.stack([read_image(p).rgb for p in paths])
    batches = [to_input_tensor(pixels[i: i + batch_size], model.normalization, device,
                               channels_last=use_channels_last(device)) for i in range(0, count, batch_size)]

    def bare() -> float:
        sync(device)
        start = time.perf_counter()
        with torch.inference_mode(), autocast_context(device, None):
            for batch in batches:
                model(batch)
        sync(device)
        return time.perf_counter() - start

    def full() -> float:
        start = time.perf_counter()
        results = list(predict_files(model, paths, out_dir=folder / "predictions", classes=classes, device=device,
                                     batch_size=batch_size, num_workers=workers))
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        return time.perf_counter() - start

    bare(), full()  # warm-up both paths
    ratios, bare_times, full_times = [], [], []
    for round_index in range(rounds):
        bare_time, full_time = bare(), full()
        bare_times.append(bare_time)
        full_times.append(full_time)
        ratios.append(bare_time / full_time)
        log(f"  round {round_index + 1}: bare {count / bare_time:.2f} img/s, full {count / full_time:.2f} img/s, "
            f"ratio {ratios[-1]:.3f}")
    return {"ratio": statistics.median(ratios), "bare_images_per_s": count / statistics.median(bare_times),
            "full_images_per_s": count / statistics.median(full_times)}


def peak_memory(arch: str, device_name: str, threads: int) -> dict:
    from PIL import Image

    folder = Path(tempfile.mkdtemp(prefix="segstudio-bench-big-"))
    image = folder / "big.jpg"
    Image.fromarray(synthetic_photo(6000, 8000, 7)).save(image, quality=90)
    script = MEMORY_SCRIPT.format(threads=threads, arch=arch, classes=NUM_CLASSES, image=str(image),
                                  out=str(folder / "big.png"), device=device_name)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=str(Path(__file__).resolve().parents[1]))
    base_kib, peak_kib, seconds = out.stdout.split()[-3:]
    return {"peak_gib": int(peak_kib) / 2**20, "after_model_gib": int(base_kib) / 2**20, "seconds": float(seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--archs", default=None, help="comma-separated (default: all registered)")
    parser.add_argument("--ratio-arch", default=None, help="model for pipeline_ratio (default unet on CPU, "
                                                           "deeplabv3_resnet50 on GPU)")
    parser.add_argument("--memory-arch", default=None, help="model for the 6000x8000 run (default unet on GPU, "
                                                            "m2nist_fcn on CPU)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (CPU smoke run)")
    args = parser.parse_args()

    import torch

    from segmodels.inference.device import select_device
    from segmodels.models import list_models

    device, description = select_device(args.device)
    gpu = device.type != "cpu"
    threads = torch.get_num_threads() if gpu else min(2, torch.get_num_threads())
    torch.set_num_threads(threads)
    log(f"device: {description}; torch threads {threads}")
    archs = args.archs.split(",") if args.archs else list_models()
    reps = (20 if gpu else 2) if not args.quick else (5 if gpu else 1)

    per_arch = {}
    for arch in archs:
        per_arch[arch] = round(images_per_second(arch, device, reps, 512), 3)
        log(f"{arch}: {per_arch[arch]:.3f} images/s at 512x512")

    ratio_arch = args.ratio_arch or ("deeplabv3_resnet50" if gpu else "unet")
    # On a GPU 64 images finish in well under a second, so the decode workers' start-up would be most of it.
    count, batch = (256, 8) if gpu else (6 if not args.quick else 4, 2)
    log(f"pipeline_ratio with {ratio_arch}: {count} PNG images 512x512, batch {batch}")
    ratio = pipeline_ratio(ratio_arch, device, count, batch, rounds=1 if args.quick else (3 if gpu else 5),
                           workers=None if gpu else 1, size=512)  # on a GPU: what predict_files picks

    memory_arch = args.memory_arch or ("unet" if gpu else "m2nist_fcn")
    log(f"peak memory: {memory_arch} on a 6000x8000 JPEG in a fresh process (tiles of 1024)")
    memory = peak_memory(memory_arch, str(device), threads)
    log(f"  peak RSS {memory['peak_gib']:.2f} GiB (after imports + model {memory['after_model_gib']:.2f} GiB), "
        f"{memory['seconds']:.1f} s")

    print(json.dumps({
        "device": description, "pipeline_ratio": round(ratio["ratio"], 3), "pipeline_arch": ratio_arch,
        "pipeline_full_images_per_s": round(ratio["full_images_per_s"], 3),
        "pipeline_bare_images_per_s": round(ratio["bare_images_per_s"], 3),
        "images_per_s": per_arch, "peak_gib_6000x8000": round(memory["peak_gib"], 3),
        "peak_arch": memory_arch, "peak_seconds": round(memory["seconds"], 1),
    }))


if __name__ == "__main__":
    main()
