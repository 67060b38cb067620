"""Batch prediction over image files: a generator that yields one `FileResult` per file, in order.

Decoding (and, on the CPU, normalising) happens in DataLoader worker processes, off the main
thread; the forward pass runs in the caller's thread; the label/confidence PNGs are encoded and
written by a small thread pool (zlib releases the GIL), so the three stages overlap. On a GPU the
forward pass of one batch is queued, not awaited, while the next batch is fetched (`_Launched`). On a CPU
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


def default_workers(device: torch.device) -> int:
    """Decode processes to ask for when the caller names none. On a GPU, decoding is what limits the
    pipeline (a 512x512 PNG took ~17 ms on a core of an H200 machine, the forward ~1.3 ms), so up to 8,
    leaving two cores for the main and writer threads; on a CPU 2 (useful_workers trims them further)."""
    if device.type == "cpu":
        return 2
    return max(2, min(8, (os.cpu_count() or 1) - 2))


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


def _loader(dataset: ImageFiles, batch_size: int, workers: int) -> torch.utils.data.DataLoader:
    # Forking the GUI process (Qt's threads) can deadlock: spawn there; the CLI forks (fast start).
    # No pin_memory: a batch is stacked into one pinned buffer anyway (_launch), so pinning each image
    # first would copy every pixel twice.
    context = "spawn" if workers and "PySide6.QtCore" in sys.modules else None
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=workers, collate_fn=_as_list,
                                       multiprocessing_context=context,
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


class _Launched:
    """One batch's predictions, possibly still being computed: on CUDA the forward pass and the copy of
    the labels back to (pinned) host memory are queued, not awaited, so the next batch is decoded and
    sent while the GPU works (docs/training.md#batch-prediction-on-a-gpu). `results()` waits for them."""

    def __init__(self) -> None:
        self.ready: list[tuple[int, np.ndarray, np.ndarray | None]] = []  # tiled images, done at once
        self.groups: list[tuple[list[int], torch.Tensor, torch.Tensor | None]] = []
        self.done: torch.cuda.Event | None = None

    def results(self) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
        if self.done is not None:
            self.done.synchronize()
        yield from self.ready
        for indices, labels, confidence in self.groups:
            labels_np = labels.numpy()
            confidence_np = None if confidence is None else confidence.numpy()
            for position, index in enumerate(indices):
                yield index, labels_np[position], None if confidence_np is None else confidence_np[position]


def _launch(run: _Run, items: list[dict[str, Any]]) -> _Launched:
    """Start predicting the decoded items: images above the tile size run tiled (finished here); same-sized
    small images share a forward pass. Confidence is only computed when it is saved (its exp pass is ~4%
    of a CPU run)."""
    launched = _Launched()
    groups: dict[tuple, list[dict[str, Any]]] = collections.defaultdict(list)
    for item in items:
        rgb = item["rgb"]
        if max(rgb.shape[:2]) > run.tile_size:
            label_map, confidence = predict_label_map(run.model, rgb, run.normalization, run.device,
                                                      tile_size=run.tile_size, tile_overlap=run.tile_overlap,
                                                      amp=run.amp, with_confidence=run.save_confidence)
            launched.ready.append((item["index"], label_map, confidence))
        else:
            groups[(tuple(rgb.shape), "input" in item)].append(item)
    cuda = run.device.type == "cuda"
    for (shape, normalised), group in groups.items():
        channels_last = use_channels_last(run.device)
        if normalised:  # the CPU path: the workers normalised
            inputs = torch.stack([item["input"] for item in group]).to(run.device)
            if channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
        else:  # uint8 pixels, stacked straight into pinned memory so the copy to the GPU is asynchronous
            pixels = torch.empty((len(group), *shape), dtype=torch.uint8, pin_memory=cuda)
            torch.stack([item["rgb"] for item in group], out=pixels)
            inputs = to_input_tensor(pixels, run.normalization, run.device, channels_last=channels_last)
        labels, confidence = forward_labels(run.model, inputs, run.amp, with_confidence=run.save_confidence)
        launched.groups.append(([item["index"] for item in group], labels.to("cpu", non_blocking=cuda),
                                None if confidence is None else confidence.to("cpu", non_blocking=cuda)))
    if cuda and launched.groups:
        launched.done = torch.cuda.Event()
        launched.done.record()
    return launched


def predict_files(checkpoint_or_model: Any, paths: Iterable[str | os.PathLike[str]], *, out_dir: str | os.PathLike[str],
                  classes: ClassTable | None = None, device: str | torch.device = "auto", batch_size: int = 4,
                  num_workers: int | None = None, save_confidence: bool = False, cancel: CancelFlag = never,
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
    requested = default_workers(target) if num_workers is None else max(0, num_workers)
    workers = useful_workers(requested, len(run.paths), batch_size, target)
    pending: collections.deque[tuple[int, Future | str | None]] = collections.deque()
    in_flight: _Launched | None = None  # the batch the GPU may still be working on
    with _writer(target) as writer:
        loader = iter(_loader(dataset, batch_size, workers))
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
            launched = _launch(run, decoded)
            if in_flight is not None:  # the previous batch finished while this one was decoded and sent
                _submit_all(run, writer, in_flight, pending)
            in_flight = launched
            pending = collections.deque(sorted(pending, key=lambda entry: entry[0]))
            yield from _drain(run, pending, keep=3 * batch_size)
        del loader  # shuts the workers down before the writes are awaited
        if in_flight is not None:
            _submit_all(run, writer, in_flight, pending)
            pending = collections.deque(sorted(pending, key=lambda entry: entry[0]))
        yield from _drain(run, pending, keep=0)


def _submit_all(run: _Run, writer: Executor, launched: _Launched, pending: collections.deque) -> None:
    for index, label_map, confidence in launched.results():
        pending.append((index, _submit(run, writer, index, label_map, confidence)))


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
