"""Segment Anything prompt latency: the image encoder once per image, the decoder once per prompt.

Builds the published architecture (`--model-type vit_b`, the registry's builder, random weights:
the compute is the weights' shape, not their values, and nothing is downloaded), saves it as a
checkpoint and loads it through segstudio's real path (`segmodels.prompts.engine.SamEngine`), then
times on an `--size` image: the first prompt (load + encoder + decoder), `--prompts` hover-style
prompts (one click each, decoder only, embedding from the cache) and a box with two clicks. The
last line is one JSON object: medians in milliseconds, with the device and thread count.

    python benchmarks/sam_prompts.py [--model-type vit_b] [--size 480x640] [--prompts 10] [--device cpu]
        [--threads 2]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-type", default="vit_b", choices=("vit_b", "vit_l", "vit_h"))
    parser.add_argument("--size", default="480x640", help="HxW of the test image")
    parser.add_argument("--prompts", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    import numpy as np
    import torch
    from segment_anything import sam_model_registry

    from segmodels.prompts.engine import SamEngine

    torch.set_num_threads(args.threads)
    height, width = (int(v) for v in args.size.split("x"))
    rgb = (np.random.default_rng(0).random((height, width, 3)) * 255).astype(np.uint8)
    with tempfile.TemporaryDirectory() as folder:
        weights = str(Path(folder) / f"sam_{args.model_type}.pth")
        torch.save(sam_model_registry[args.model_type](checkpoint=None).state_dict(), weights)
        engine = SamEngine(device=args.device)
        start = time.perf_counter()
        engine.backend(weights, "auto")
        load_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        engine.mask(weights, "auto", ("bench.png", 1), rgb, [(width / 2, height / 2)], [1], None)
        first_ms = (time.perf_counter() - start) * 1000
        clicks = []
        for i in range(args.prompts):
            start = time.perf_counter()
            engine.mask(weights, "auto", ("bench.png", 1), rgb, [(width * (i + 1) / (args.prompts + 2), height / 2)],
                        [1], None)
            clicks.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        engine.mask(weights, "auto", ("bench.png", 1), rgb, [(width / 2, height / 2), (5, 5)], [1, 0],
                    (width / 4, height / 4, width * 3 / 4, height * 3 / 4))
        box_ms = (time.perf_counter() - start) * 1000
    result = {"model_type": args.model_type, "device": args.device, "threads": args.threads, "size": args.size,
              "load_ms": round(load_ms), "first_prompt_ms": round(first_ms),
              "click_ms_median": round(statistics.median(clicks)), "box_ms": round(box_ms),
              "cache_hits": engine.cache.hits, "cache_misses": engine.cache.misses}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
