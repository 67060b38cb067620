"""Batch prediction over image files: a generator that yields one `FileResult` per file, in order.

Decoding (and, on the CPU, normalising) happens in DataLoader worker processes, off the main
thread; the forward pass runs in the caller's thread; the label/confidence PNGs are encoded and
written by a small thread pool (zlib releases the GIL), so the three stages overlap. On a CPU
whose cores torch's threads already use, nothing overlaps: decoding and writing run inline
(`useful_workers`, `_writer`), because any concurrent work there preempts the forward pass's
threads and costs it more than the work itself. A file that cannot be read or written gives a
failed result with one sentence and the rest go on; so does each of two files with one stem
(`frame.png`, `frame.jpg`: their outputs would be one file, segmodels.labels.stems), and any file the
caller's `refuse` check turns down (a project passes its own stem-clash check). `cancel`
(segmodels.cancel.CancelFlag) is checked between batches.

Outputs: `<out_dir>/<stem>.png` (palette PNG, segmodels.labels.labelio) and, with `save_confidence`,
`<out_dir>/<stem>.conf.png` (8-bit grey, 255 = 1.0), the names Project.prediction_path and
Project.confidence_path use when out_dir is the project's predictions/ folder.
"""
from __future__ import annotations

import collections
import dataclasses
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from segmodels.atomic import atomic_write_bytes
from segmodels.cancel import CancelFlag, never
from segmodels.errors import SegError, describe
from segmodels.inference.device import select_device
from segmodels.inference.predict import (
    DEFAULT_TILE_SIZE,
    confidence_to_uint8,
    forward_labels,
    predict_label_map,
    prepare_model,
    use_channels_last,
)
from segmodels.inference.preprocess import Normalization, to_input_tensor
from segmodels.labels.classes import ClassTable
from segmodels.labels.imageio import read_image
from segmodels.labels.labelio import PNG_COMPRESS_LEVEL, write_label_png
from segmodels.labels.stems import clash_error, find_stem_clashes, folds_case
from segmodels.models.checkpoint import Checkpoint, load_checkpoint


@dataclass(frozen=True)
class FileResult:
    """What happened to one input file."""

    path: Path
    ok: bool
    error: str | None = None
    written: tuple[Path, ...] = ()
    index: int = 0          # position in the input list
    total: int = 0          # number of input files
    device: str = ""        # the device sentence, e.g. "CUDA: NVIDIA H100"
    conversions: tuple[str, ...] = ()  # what reading the image changed ("16-bit grey scaled to 8-bit", ...)


class ImageFiles(torch.utils.data.Dataset):
    """Decodes one image per item (in a worker); normalises it too when `normalize` is set."""

    def __init__(self, paths: Sequence[Path], normalization: Normalization, *, normalize: bool, tile_size: int) -> None:
        self.paths = list(paths)
        self.normalization = normalization
        self.normalize = normalize
        self.tile_size = tile_size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, Any]:
        path = self.paths[index]
        try:
            loaded = read_image(path)
            rgb = loaded.rgb
        except SegError as exc:
            return {"index": index, "error": str(exc)}
        except Exception as exc:  # anything a decoder throws is still one sentence about this file
            return {"index": index, "error": f"Image {describe(path)} could not be read ({type(exc).__name__}: {exc})."}
        item: dict[str, Any] = {"index": index, "error": None, "rgb": torch.from_numpy(rgb),
                                "conversions": tuple(loaded.conversions)}
        if self.normalize and max(rgb.shape[:2]) <= self.tile_size:
            item["input"] = to_input_tensor(rgb, self.normalization, "cpu")[0]
        return item


def _as_list(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return batch


def load_predictor(source: Any, classes: ClassTable | None) -> tuple[torch.nn.Module, ClassTable, Normalization]:
    """(model, class table, normalisation) from a checkpoint path, a Checkpoint or a model."""
    if isinstance(source, (str, os.PathLike)):
        source = load_checkpoint(source, num_classes=None if classes is None else len(classes))
    if isinstance(source, Checkpoint):
        if classes is not None and len(classes) != source.num_classes:
            raise SegError(f"Checkpoint {describe(source.path)} predicts {source.num_classes} classes but "
                           f"{len(classes)} are needed here.", path=source.path)
        return source.build_model(), classes or source.classes, source.normalization
    model_classes = getattr(source, "num_classes", 0)
    if classes is None:
        if not model_classes:
            raise SegError("Predicting with a bare model needs its class table.")
        classes = ClassTable.from_names([f"class {i}" for i in range(model_classes)])
    if model_classes and model_classes != len(classes):
        raise SegError(f"The model predicts {model_classes} classes but {len(classes)} are needed here.")
    return source, classes, getattr(source, "normalization", None) or Normalization()


def _encode_confidence(confidence: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(confidence_to_uint8(confidence), mode="L").save(buffer, format="PNG",
                                                                    compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def _write_outputs(label_map: np.ndarray, confidence: np.ndarray | None, label_path: Path,
                   confidence_path: Path, classes: ClassTable) -> tuple[Path, ...]:
    write_label_png(label_path, label_map, classes)
    if confidence is None:
        return (label_path,)
    atomic_write_bytes(confidence_path, _encode_confidence(confidence))
    return label_path, confidence_path


def useful_workers(requested: int, files: int, batch_size: int, device: torch.device) -> int:
    """Decode workers worth starting, at most `requested`.

    None for a single batch: a forked worker costs ~25 ms to start plus the first batch's decode
    before anything overlaps. On the CPU, no more than the cores torch's intra-op threads leave
    free, which is often none: there the forward pass already keeps every core busy, and a decode
    process preempting one of its OpenMP threads stalls the other at the next barrier. Measured on
    2 cores (unet, 6 PNGs 512x512, batch 2): one worker made the forward passes ~10% slower (1.55 s
    against 1.40 s) while decoding inline cost ~75 ms in all."""
    if files <= batch_size:
        return 0
    workers = min(requested, -(-files // batch_size) - 1)
    if device.type == "cpu":
        workers = min(workers, _idle_cores())
    return max(0, workers)


def _idle_cores() -> int:
    """Cores torch's intra-op threads leave free (often none: torch defaults to one per core)."""
    return max(0, (os.cpu_count() or 1) - torch.get_num_threads())


class _InlineWriter(Executor):
    """Runs each write at once in the caller's thread and hands back a finished Future."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # delivered through the Future, as a pool would; _drain reports it
            future.set_exception(exc)
        return future


def _writer(device: torch.device) -> Executor:
    """Where the PNGs are encoded and written (~5 ms an image, zlib releases the GIL).

    A thread overlaps the writes with a GPU's forward pass; on a CPU whose cores torch already uses
    a write thread only preempts the forward's threads (measured on 2 cores, unet 6 x 512x512:
    1.68 s threaded against 1.64 s inline, median of 10), so there the writes run inline."""
    if device.type == "cpu" and _idle_cores() == 0:
        return _InlineWriter()
    return ThreadPoolExecutor(max_workers=2 if (os.cpu_count() or 1) > 2 else 1, thread_name_prefix="segstudio-write")


def _loader(dataset: ImageFiles, batch_size: int, workers: int, pin: bool) -> torch.utils.data.DataLoader:
    # Forking the GUI process (Qt's threads) can deadlock: spawn there; the CLI forks (fast start).
    context = "spawn" if workers and "PySide6.QtCore" in sys.modules else None
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=workers, collate_fn=_as_list,
                                       pin_memory=pin, multiprocessing_context=context,
                                       persistent_workers=False)


@dataclass
class _Run:
    """State shared by the stages of one predict_files call."""

    model: torch.nn.Module
    classes: ClassTable
    normalization: Normalization
    device: torch.device
    description: str
    paths: list[Path]
    out_dir: Path
    save_confidence: bool
    tile_size: int
    tile_overlap: int | None   # None: the architecture's (segmodels.models.catalog)
    amp: bool | None
    refuse: Callable[[Path], None] | None = None
    clashes: dict[Path, Path] = dataclasses.field(default_factory=dict)  # paths sharing a stem: skipped
    conversions: dict[int, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    def result(self, index: int, error: str | None = None, written: tuple[Path, ...] = ()) -> FileResult:
        return FileResult(self.paths[index], error is None, error, written, index, len(self.paths), self.description,
                          self.conversions.pop(index, ()))


def _predict_items(run: _Run, items: list[dict[str, Any]]) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    """(index, label_map, confidence or None) per decoded item; same-sized small images share a
    forward pass. Confidence is only computed when it is saved (its exp pass is ~4% of a CPU run)."""
    groups: dict[tuple, list[dict[str, Any]]] = collections.defaultdict(list)
    for item in items:
        rgb = item["rgb"]
        if max(rgb.shape[:2]) > run.tile_size:
            label_map, confidence = predict_label_map(run.model, rgb, run.normalization, run.device,
                                                      tile_size=run.tile_size, tile_overlap=run.tile_overlap,
                                                      amp=run.amp, with_confidence=run.save_confidence)
            yield item["index"], label_map, confidence
        else:
            groups[(tuple(rgb.shape), "input" in item)].append(item)
    for (_, normalised), group in groups.items():
        channels_last = use_channels_last(run.device)
        if normalised:
            inputs = torch.stack([item["input"] for item in group]).to(run.device, non_blocking=True)
            if channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
        else:
            inputs = to_input_tensor(torch.stack([item["rgb"] for item in group]), run.normalization, run.device,
                                     channels_last=channels_last)
        labels, confidence = forward_labels(run.model, inputs, run.amp, with_confidence=run.save_confidence)
        labels_np = labels.cpu().numpy()
        confidence_np = None if confidence is None else confidence.cpu().numpy()
        for position, item in enumerate(group):
            yield item["index"], labels_np[position], None if confidence_np is None else confidence_np[position]


def predict_files(checkpoint_or_model: Any, paths: Iterable[str | os.PathLike[str]], *, out_dir: str | os.PathLike[str],
                  classes: ClassTable | None = None, device: str | torch.device = "auto", batch_size: int = 4,
                  num_workers: int = 2, save_confidence: bool = False, cancel: CancelFlag = never,
                  tile_size: int = DEFAULT_TILE_SIZE, tile_overlap: int | None = None,
                  amp: bool | None = None, refuse: Callable[[Path], None] | None = None) -> Iterator[FileResult]:
    """Predict every file, writing `<out_dir>/<stem>.png` (+ `.conf.png`); yield one FileResult each.
    `refuse(path)` runs just before a file's outputs are written; the SegError it raises skips that file."""
    model, classes, normalization = load_predictor(checkpoint_or_model, classes)
    target, description = (device, str(device)) if isinstance(device, torch.device) else select_device(device)
    run = _Run(prepare_model(model, target), classes, normalization, target, description, [Path(p) for p in paths],
               Path(out_dir), save_confidence, max(1, int(tile_size)), tile_overlap, amp, refuse)
    run.clashes = find_stem_clashes(run.paths, fold_case=folds_case(run.out_dir))
    dataset = ImageFiles(run.paths, normalization, normalize=target.type == "cpu", tile_size=run.tile_size)
    batch_size = max(1, batch_size)
    workers = useful_workers(max(0, num_workers), len(run.paths), batch_size, target)
    pending: collections.deque[tuple[int, Future | str | None]] = collections.deque()
    with _writer(target) as writer:
        loader = iter(_loader(dataset, batch_size, workers, target.type == "cuda"))
        for items in loader:
            if cancel():
                break
            decoded = []
            for item in items:
                if item["error"] is not None:
                    pending.append((item["index"], item["error"]))
                else:
                    run.conversions[item["index"]] = item.get("conversions", ())
                    decoded.append(item)
            for index, label_map, confidence in _predict_items(run, decoded):
                pending.append((index, _submit(run, writer, index, label_map, confidence)))
            pending = collections.deque(sorted(pending, key=lambda entry: entry[0]))
            yield from _drain(run, pending, keep=2 * batch_size)
        del loader  # shuts the workers down before the writes are awaited
        yield from _drain(run, pending, keep=0)


def _submit(run: _Run, writer: Executor, index: int, label_map: np.ndarray,
            confidence: np.ndarray | None) -> Future | str:
    path = run.paths[index]
    label_path = run.out_dir / f"{path.stem}.png"
    try:  # checked at the write, not up front: an image may get a twin while the batch runs
        if path in run.clashes:
            raise clash_error(path, run.clashes[path], label_path, "prediction file")
        if run.refuse is not None:
            run.refuse(path)
    except SegError as exc:
        return str(exc)
    confidence_path = run.out_dir / f"{path.stem}.conf.png"
    return writer.submit(_write_outputs, label_map, confidence if run.save_confidence else None,
                         label_path, confidence_path, run.classes)


def _drain(run: _Run, pending: collections.deque, *, keep: int) -> Iterator[FileResult]:
    """Yield finished results from the front of `pending` in input order, blocking on the front
    until at most `keep` remain (so finished label maps do not pile up in memory)."""
    while pending:
        index, outcome = pending[0]
        if isinstance(outcome, Future):
            if len(pending) <= keep and not outcome.done():
                return
            try:
                written, error = outcome.result(), None
            except SegError as exc:
                written, error = (), str(exc)
            except Exception as exc:  # an encoder failure is still one sentence about this file
                written, error = (), (f"The prediction for {describe(run.paths[index])} could not be written "
                                      f"({type(exc).__name__}: {exc}).")
            pending.popleft()
            yield run.result(index, error, written)
        else:
            pending.popleft()
            yield run.result(index, outcome)
