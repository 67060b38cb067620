"""Inference: tiled == whole image, bounded tiles, batch prediction over files, and the CLI."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import torch
from PIL import Image

from segmodels.cli import main as cli_main
from segmodels.errors import SegError
from segmodels.inference.batch import predict_files
from segmodels.inference.predict import logits_to_labels, predict_image
from segmodels.inference.preprocess import Normalization, to_input_tensor
from segmodels.inference.tiling import axis_spans, tile_grid
from segmodels.labels.classes import ClassTable
from segmodels.labels.labelio import read_label_palette, read_label_png
from segmodels.labels.project import Project
from segmodels.models import get_model
from segmodels.models.checkpoint import save_checkpoint

torch.set_num_threads(2)
CLASSES = ClassTable.from_names(["background", "digit", "other"])


def _image(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize("length,tile,overlap,stride",
                         [(93, 40, 16, 4), (3000, 1024, 128, 32), (1025, 1024, 128, 32), (50, 64, 8, 8)])
def test_tiles_cover_every_pixel_once_on_the_stride_grid(length, tile, overlap, stride):
    spans = axis_spans(length, tile, overlap, stride)
    kept = np.zeros(length, int)
    for span in spans:
        assert span.start % stride == 0 and span.stop - span.start <= tile + stride
        kept[span.keep_start: span.keep_stop] += 1
        if span.start > 0:
            assert span.keep_start - span.start >= overlap // 2
        if span.stop < length:
            assert span.stop - span.keep_stop >= overlap // 2
    assert (kept == 1).all()
    wider = axis_spans(length + 7, tile, overlap, stride)
    assert len(tile_grid(length, length + 7, tile, overlap, stride)) == len(spans) * len(wider)


def _sharp_model(arch: str, **kwargs) -> torch.nn.Module:
    """A random model whose class scores vary strongly across the image (random init alone gives
    near-uniform softmax, where any tiling error would hide below the tolerance)."""
    torch.manual_seed(0)
    model = get_model(arch, num_classes=3, **kwargs).eval()
    head = model.score if arch == "m2nist_fcn" else model.head
    with torch.no_grad():
        head.weight.mul_(40.0)
    return model


# (tile, overlap): overlap/3, how far inside its edge a tile's logits start to count (inference.blend),
# exceeds each model's receptive-field radius (about 15 and 26 pixels).
@pytest.mark.parametrize("arch,kwargs,tile,overlap", [("m2nist_fcn", {}, 64, 48),
                                                      ("unet", {"base_width": 4, "depth": 2}, 128, 80)])
def test_tiled_equals_whole_image_for_a_fully_convolutional_model(arch, kwargs, tile, overlap):
    model = _sharp_model(arch, **kwargs)
    image = _image(157, 203)
    whole_labels, whole_conf = predict_image(model, image, tile_size=4096)
    tiled_labels, tiled_conf = predict_image(model, image, tile_size=tile, tile_overlap=overlap)
    assert len(tile_grid(157, 203, tile, overlap, model.stride)) >= 6  # really tiled
    assert len(np.unique(whole_labels)) >= 2 and whole_conf.std() > 0.05  # a varied prediction
    with torch.no_grad():
        logits = model(to_input_tensor(image, model.normalization))
    top2 = logits.topk(2, dim=1).values[0]
    # Near-ties could flip either way: a tile's convolutions may pick other kernels than the whole
    # image's (oneDNN on an H200 machine's CPU rounded differently from this one).
    decided = (top2[0] - top2[1] > 1e-3).numpy()
    assert decided.mean() > 0.99
    assert np.array_equal(tiled_labels[decided], whole_labels[decided])
    np.testing.assert_allclose(tiled_conf, whole_conf, atol=1e-4)
    assert whole_labels.dtype == np.uint8 and whole_conf.dtype == np.float32
    assert 1 / 3 - 1e-6 <= whole_conf.min() and whole_conf.max() <= 1.0


def test_without_overlap_tiles_differ_so_the_test_above_can_fail():
    model = _sharp_model("unet", base_width=4, depth=2)
    image = _image(157, 203)
    _, whole_conf = predict_image(model, image, tile_size=4096)
    _, tiled_conf = predict_image(model, image, tile_size=64, tile_overlap=0)
    assert np.abs(tiled_conf - whole_conf).max() > 3e-4  # 7e-4 here: well above the tolerance used above


def test_confidence_is_max_softmax():
    logits = torch.randn(2, 5, 7, 9)
    labels, confidence = logits_to_labels(logits)
    probabilities = logits.softmax(1)
    assert torch.equal(labels.long(), probabilities.argmax(1))
    assert torch.allclose(confidence, probabilities.max(1).values, atol=1e-6)


def test_normalisation_matches_the_formula():
    image = _image(5, 6)
    norm = Normalization((0.1, 0.2, 0.3), (0.5, 0.25, 0.125))
    tensor = to_input_tensor(image, norm)
    mean, std = torch.tensor(norm.mean)[:, None, None], torch.tensor(norm.std)[:, None, None]
    expected = (torch.from_numpy(image).permute(2, 0, 1).float() / 255 - mean) / std
    assert tensor.shape == (1, 3, 5, 6) and torch.allclose(tensor[0], expected, atol=1e-5)
    assert Normalization.from_dict(norm.to_dict()) == norm


def test_bad_image_shape_is_one_sentence():
    model = get_model("m2nist_fcn", num_classes=3)
    with pytest.raises(SegError, match="H x W x 3"):
        predict_image(model, np.zeros((4, 4), np.uint8))


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = get_model("m2nist_fcn", num_classes=3)
    return save_checkpoint(tmp_path / "model.pt", model, classes=CLASSES)


@pytest.fixture
def folder(tmp_path):
    images = tmp_path / "photos"
    images.mkdir()
    for index in range(5):
        Image.fromarray(_image(40 + index % 2, 52, index)).save(images / f"img{index}.png")
    (images / "img2_broken.png").write_bytes((images / "img2.png").read_bytes()[:60])
    return images


@pytest.fixture
def one_torch_thread():
    """torch on one thread leaves a core free, so predict_files starts a decode worker on the CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_predict_files_skips_a_corrupt_file_and_goes_on(checkpoint, folder, tmp_path, one_torch_thread):
    from segmodels.inference.batch import useful_workers

    paths = sorted(folder.glob("*.png"))
    out = tmp_path / "out"
    if (os.cpu_count() or 1) > 1:  # the decode worker's error path is what this exercises
        assert useful_workers(1, len(paths), 2, torch.device("cpu")) == 1
    results = list(predict_files(checkpoint, paths, out_dir=out, device="cpu", batch_size=2, num_workers=1,
                                 save_confidence=True))
    assert [r.path for r in results] == paths
    bad = [r for r in results if not r.ok]
    assert len(bad) == 1 and bad[0].path.name == "img2_broken.png"
    assert "img2_broken.png" in bad[0].error and "truncated" in bad[0].error
    assert all(len(r.written) == 2 for r in results if r.ok)
    for result in (r for r in results if r.ok):
        label_map = read_label_png(out / f"{result.path.stem}.png")
        assert label_map.shape == np.asarray(Image.open(result.path)).shape[:2] and label_map.max() < 3
        assert np.array_equal(read_label_palette(out / f"{result.path.stem}.png")[:3], CLASSES.colors())
        confidence = Image.open(out / f"{result.path.stem}.conf.png")
        assert confidence.mode == "L" and np.asarray(confidence).min() >= 255 // 3


def test_predict_files_matches_predict_image(checkpoint, folder, tmp_path):
    from segmodels.models.checkpoint import load_checkpoint

    model = load_checkpoint(checkpoint).build_model()
    path = folder / "img1.png"
    result, = predict_files(model, [path], out_dir=tmp_path / "o", classes=CLASSES, device="cpu",
                            num_workers=0, save_confidence=True)
    expected, confidence = predict_image(model, np.asarray(Image.open(path)))
    assert np.array_equal(read_label_png(result.written[0]), expected)
    saved = np.asarray(Image.open(result.written[1])).astype(int)
    assert np.abs(saved - np.rint(confidence * 255)).max() <= 1


def test_predict_files_stops_when_cancelled(checkpoint, folder, tmp_path):
    cancel = threading.Event()
    results = []
    for result in predict_files(checkpoint, sorted(folder.glob("img[0-4].png")), out_dir=tmp_path / "o",
                                device="cpu", batch_size=1, num_workers=0, cancel=cancel.is_set):
        results.append(result)
        cancel.set()
    assert 1 <= len(results) < 5


def test_wrong_class_count_for_a_project(checkpoint, tmp_path):
    project = Project.create(tmp_path / "proj", ClassTable.from_names(["a", "b"]))
    with pytest.raises(SegError, match="predicts 3 classes but 2 are needed"):
        list(predict_files(checkpoint, [], out_dir=tmp_path, classes=project.classes))


def test_cli_predict_folder_exit_codes(checkpoint, folder, tmp_path, capsys):
    code = cli_main(["predict", str(folder), "--model", str(checkpoint), "--device", "cpu", "--num-workers", "0",
                     "--save-confidence"])
    captured = capsys.readouterr()
    assert code == 1
    assert "img2_broken.png" in captured.err and "5 of 6 images predicted" in captured.out
    assert (folder / "predictions" / "img0.png").exists() and (folder / "predictions" / "img0.conf.png").exists()
    (folder / "img2_broken.png").unlink()
    out = tmp_path / "elsewhere"
    assert cli_main(["predict", str(folder), "--model", str(checkpoint), "--out", str(out), "--device", "cpu",
                     "--num-workers", "1"]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == [f"img{i}.png" for i in range(5)]


def test_cli_predict_project_single_image_and_errors(checkpoint, folder, tmp_path, capsys):
    project = Project.create(tmp_path / "proj", CLASSES)
    Image.fromarray(_image(30, 30)).save(project.images_dir / "a.jpg")
    assert cli_main(["predict", str(project.images_dir / "a.jpg"), "--model", str(checkpoint), "--device", "cpu"]) == 0
    assert project.prediction_path(project.images_dir / "a.jpg").exists()
    assert cli_main(["predict", str(project.root), "--model", str(tmp_path / "missing.pt")]) == 2
    assert "missing.pt' does not exist" in capsys.readouterr().err
    other = Project.create(tmp_path / "proj2", ClassTable.from_names(["a", "b"]))
    Image.fromarray(_image(30, 30)).save(other.images_dir / "a.png")
    assert cli_main(["predict", str(other.root), "--model", str(checkpoint)]) == 2
    assert "predicts 3 classes but 2 are needed" in capsys.readouterr().err


def test_cli_models_lists_architectures_with_parameter_counts(capsys):
    import json

    assert cli_main(["models", "--json", "--num-classes", "21"]) == 0
    data = json.loads(capsys.readouterr().out)
    counts = {m["name"]: m["parameters"] for m in data["models"]}
    assert counts["fcn8s_vgg16"] > 130_000_000 and 0 < counts["m2nist_fcn"] < 100_000
    assert counts["unet"] == sum(p.numel() for p in get_model("unet", num_classes=21).parameters())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_amp_matches_cpu_mostly():
    torch.manual_seed(0)
    model = get_model("unet", num_classes=3, base_width=8)
    image = _image(300, 260)
    cpu_labels, _ = predict_image(model, image, device="cpu")
    cuda_labels, cuda_conf = predict_image(model, image, device="cuda")
    assert (cpu_labels == cuda_labels).mean() > 0.95
    assert next(model.parameters()).is_cuda
    tiled, _ = predict_image(model, image, device="cuda", tile_size=128, tile_overlap=96)
    assert (tiled == cuda_labels).mean() > 0.95


def test_large_image_never_runs_the_model_on_more_than_a_tile():
    """What keeps a 6000x8000 image within the memory goal: every forward sees at most one tile
    (plus stride padding), and only uint8 labels + float32 confidence exist at full size."""
    model = get_model("m2nist_fcn", num_classes=3)
    seen = []
    model.register_forward_pre_hook(lambda module, inputs: seen.append(tuple(inputs[0].shape)))
    image = _image(700, 530)
    label_map, confidence = predict_image(model, image, tile_size=256, tile_overlap=32)
    assert label_map.shape == (700, 530) and confidence.shape == (700, 530)
    assert len(seen) == len(tile_grid(700, 530, 256, 32, model.stride)) > 4
    assert max(h for _, _, h, _ in seen) <= 256 + model.stride and max(w for *_, w in seen) <= 256 + model.stride


def test_labels_without_confidence_match_and_skip_the_exp_pass():
    logits = torch.randn(2, 4, 9, 7).contiguous(memory_format=torch.channels_last)
    labels, confidence = logits_to_labels(logits)
    only_labels, none = logits_to_labels(logits, with_confidence=False)
    assert none is None and torch.equal(only_labels, labels)
    assert torch.allclose(confidence, torch.softmax(logits, dim=1).amax(dim=1), atol=1e-6)


def test_decode_workers_are_started_only_where_they_can_pay_off():
    from segmodels.inference.batch import useful_workers

    cpu = torch.device("cpu")
    assert useful_workers(4, files=2, batch_size=2, device=cpu) == 0  # one batch: nothing to overlap
    assert useful_workers(0, files=50, batch_size=2, device=cpu) == 0
    assert useful_workers(8, files=3, batch_size=1, device=torch.device("cuda")) == 2  # batches - 1
    free = (os.cpu_count() or 1) - torch.get_num_threads()  # cores torch's forward pass leaves idle
    assert useful_workers(8, files=64, batch_size=2, device=cpu) == max(0, min(8, free))


def test_write_failures_are_one_sentence_each_inline_or_threaded(checkpoint, folder, tmp_path):
    from segmodels.inference.batch import _InlineWriter

    out = tmp_path / "not_a_folder"
    out.write_text("a file where the predictions folder should be")
    paths = sorted(folder.glob("img[0-4].png"))
    results = list(predict_files(checkpoint, paths, out_dir=out, device="cpu", batch_size=2, num_workers=0))
    assert [r.path for r in results] == paths and not any(r.ok for r in results)
    assert all("Cannot write" in r.error and r.path.stem in r.error for r in results)
    failed = _InlineWriter().submit(lambda: 1 / 0)
    assert failed.done() and isinstance(failed.exception(), ZeroDivisionError)


def test_cli_predict_refuses_a_reordered_or_renamed_class_table(checkpoint, tmp_path, capsys):
    """Issue 15 item 2: the count matched, so a reordered table used to pass and mislabel every pixel."""
    names = list(CLASSES.names)
    for table, hint in ((ClassTable.from_names([names[0], names[2], names[1]]), "another order"),
                        (ClassTable.from_names([names[0], names[1], "zebra"]), "")):
        project = Project.create(tmp_path / f"proj-{table.names[-1]}", table)
        Image.fromarray(_image(30, 30)).save(project.images_dir / "a.png")
        assert cli_main(["predict", str(project.root), "--model", str(checkpoint), "--device", "cpu"]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "model.pt" in err and hint in err
        assert ", ".join(table.names) in err and not project.predictions_dir.exists()
