"""predict_files queues one batch on the GPU while it fetches the next (segmodels.inference.batch._Launched):
results still come in input order, match one-image prediction, and failures stay per file."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from segmodels.inference.batch import default_workers, predict_files
from segmodels.inference.predict import predict_image
from segmodels.labels.classes import ClassTable
from segmodels.labels.labelio import read_label_png
from segmodels.models import get_model

CLASSES = ClassTable.from_names(["background", "thing", "other"])


def _folder(tmp_path: Path) -> list[Path]:
    """Eight small images (four batches of two), one big enough to be tiled, and a truncated file."""
    rng = np.random.default_rng(3)
    paths = []
    for index, (height, width) in enumerate([(96, 80)] * 4 + [(300, 260)] + [(96, 80)] * 4):
        path = tmp_path / f"img{index}.png"
        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    broken = tmp_path / "img9_broken.png"
    broken.write_bytes(paths[0].read_bytes()[:200])
    return [*paths[:6], broken, *paths[6:]]


def _check(results, paths: list[Path], out: Path, model, device: str) -> None:
    assert [r.path for r in results] == paths
    assert [r.ok for r in results] == [p.name != "img9_broken.png" for p in paths]
    for result in results:
        if not result.ok:
            assert "img9_broken.png" in result.error
            continue
        expected, _ = predict_image(model, np.asarray(Image.open(result.path)), device=device, tile_size=128,
                                    amp=False)
        written = read_label_png(out / f"{result.path.stem}.png")
        assert written.shape == expected.shape
        assert (written == expected).mean() > 0.999  # batched and single-image kernels may round differently


def test_results_keep_input_order_and_match_single_images_on_the_cpu(tmp_path):
    torch.manual_seed(0)
    model = get_model("unet", num_classes=3, base_width=4, depth=2)
    paths = _folder(tmp_path)
    results = list(predict_files(model, paths, out_dir=tmp_path / "out", classes=CLASSES, device="cpu",
                                 batch_size=2, num_workers=0, tile_size=128, amp=False))
    _check(results, paths, tmp_path / "out", model, "cpu")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("workers", [0, 2])
def test_queued_gpu_batches_give_every_file_its_own_prediction(tmp_path, workers):
    torch.manual_seed(0)
    model = get_model("unet", num_classes=3, base_width=4, depth=2)
    paths = _folder(tmp_path)
    results = list(predict_files(model, paths, out_dir=tmp_path / "out", classes=CLASSES, device="cuda",
                                 batch_size=2, num_workers=workers, tile_size=128, amp=False, save_confidence=True))
    _check(results, paths, tmp_path / "out", model, "cuda")
    assert all(len(r.written) == 2 for r in results if r.ok)


def test_a_gpu_asks_for_more_decode_workers_than_a_cpu():
    assert default_workers(torch.device("cpu")) == 2
    cores = os.cpu_count() or 1
    assert default_workers(torch.device("cuda")) == max(2, min(8, cores - 2))
