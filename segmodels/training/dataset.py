"""Training data: each project image paired with its REVIEWED label from labels/ (never predictions).

`make_split(project, val_fraction, seed)` draws a seeded, stable train/val split of the labelled
image stems (sorted first, so the split depends only on the names and the seed); the split is a plain
dict stored in the checkpoint, and `split_from_record` rebuilds it on resume. `LabelledImages` loads
pairs as uint8 tensors (image 3 x H x W, grey expanded to RGB by segmodels.labels.imageio; label map H x W)
and keeps them in memory when the project is small, which is what makes small projects train at
the speed of a bare tensor loop. A label whose size differs from its image, whose values exceed the
class table, or that has no labelled pixel at all (every pixel 255: nothing to learn, and its batches
would make the loss NaN) is a SegError naming the file (`load_pair`), so the pair is left out.

Unreadable pairs are skipped, not fatal: one corrupt file must not stop a long run. A cached dataset
drops them while it loads; an uncached one returns `None` for them from `__getitem__`, which
`collate_pairs` drops (a batch of nothing but skipped pairs collates to `None`, which the loops
pass over). Either way `skipped` maps each bad image to the SegError sentence naming the file. With
DataLoader worker processes (uncached data only) the sentences are recorded in the workers, so the
main process cannot report them; the default of no workers reports everything.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from segmodels.constants import IGNORE_INDEX
from segmodels.errors import SegError, describe
from segmodels.formats.splits import dataset_split, seeded_split
from segmodels.formats.voc import VOC_LAYOUTS
from segmodels.labels.imageio import read_image, upright_note
from segmodels.labels.project import Project
from segmodels.labels.review import blank_labels_sentence, has_labelled_pixel

#: Projects whose decoded pixels fit in this many bytes are cached in memory.
CACHE_LIMIT_BYTES = 1 << 30

Pair = tuple[torch.Tensor, torch.Tensor]


def reviewed_images(project: Project) -> list[Path]:
    """The images that have a reviewed label, or a SegError saying there are none."""
    images = project.labelled_images()
    if not images:
        from segmodels.formats.foreign import folder_note

        # labelme/COCO files where labels were expected: say how to import them, the likely way out
        notes = [note for folder in (project.labels_dir, project.images_dir) if (note := folder_note(folder))]
        if blank := project.blank_labels():
            notes.insert(0, blank_labels_sentence(blank))
        raise SegError(f"Project {describe(project.root)} has no reviewed labels in "
                       f"{describe(project.labels_dir)}; label (or accept) some images before training."
                       + "".join(f" {note}" for note in notes[:1]), path=project.root)
    return images


def make_split(project: Project, val_fraction: float, seed: int) -> dict:
    """{'seed', 'val_fraction', 'train': [stems], 'val': [stems]}; val is empty for a single image.
    A VOC-style root's own ImageSets/Segmentation train/val lists win, with a 'source' sentence saying so."""
    stems = [p.stem for p in reviewed_images(project)]
    own = dataset_split(project.root, stems) if project.layout.name in VOC_LAYOUTS else None
    if own is not None:
        train, val, note = own
        return {"seed": int(seed), "val_fraction": float(val_fraction), "train": train, "val": val, "source": note}
    train, val = seeded_split(stems, val_fraction, seed)
    return {"seed": int(seed), "val_fraction": float(val_fraction), "train": train, "val": val}


def split_images(project: Project, split: dict, part: str) -> list[Path]:
    """The reviewed images of one part ('train' or 'val') of a recorded split, in its order."""
    by_stem = {p.stem: p for p in reviewed_images(project)}
    missing = [s for s in split.get(part, []) if s not in by_stem]
    if missing:
        raise SegError(f"The recorded {part} split names {len(missing)} image(s) without a reviewed label in "
                       f"{describe(project.root)} (first: '{missing[0]}'); start a new run instead of resuming.",
                       path=project.root)
    return [by_stem[s] for s in split.get(part, [])]


def load_pair(project: Project, image_path: Path) -> Pair:
    """(image 3 x H x W uint8, label map H x W uint8) with size and class-range checks."""
    loaded = read_image(image_path)
    rgb = loaded.rgb
    label_map = project.read_label(image_path)
    label_file = project.label_path(image_path)
    if label_map is None:
        raise SegError(f"Label {describe(label_file)} disappeared during training.", path=label_file)
    if label_map.shape != rgb.shape[:2]:
        raise SegError(f"Label {describe(label_file)} is {label_map.shape[1]}x{label_map.shape[0]} but its image "
                       f"is {rgb.shape[1]}x{rgb.shape[0]}{upright_note(loaded.orientation)}.", path=label_file)
    bad = (label_map >= len(project.classes)) & (label_map != IGNORE_INDEX)
    if bad.any():
        raise SegError(f"Label {describe(label_file)} holds class index {int(label_map[bad].max())} but the project "
                       f"has {len(project.classes)} classes.", path=label_file)
    if not has_labelled_pixel(label_map):  # docs/models-and-labels.md#reviewed-labels
        raise SegError(f"Label {describe(label_file)} has no labelled pixel (every pixel is 255, unlabelled), so it "
                       "was left out of training; label or delete it.", path=label_file)
    image = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
    return image, torch.from_numpy(label_map)


class LabelledImages(Dataset):
    """Reviewed (image, label map) pairs, optionally transformed, cached in memory when small."""

    def __init__(self, project: Project, images: list[Path],
                 transform: Callable[[torch.Tensor, torch.Tensor], Pair] | None = None,
                 cache: bool | None = None) -> None:
        self.project = project
        self.images = list(images)
        self.transform = transform
        self._cache: list[Pair] | None = None
        self.skipped: dict[Path, str] = {}  # image -> one sentence naming the unreadable file
        if cache is None:
            cache = self._estimated_bytes() <= CACHE_LIMIT_BYTES
        if cache:
            loaded = [(p, self._try_load(p)) for p in self.images]
            self.images = [p for p, pair in loaded if pair is not None]
            self._cache = [pair for _, pair in loaded if pair is not None]

    def _try_load(self, image_path: Path) -> Pair | None:
        """The pair, or None after recording why it cannot be used (never retried once bad)."""
        if image_path in self.skipped:
            return None
        try:
            return load_pair(self.project, image_path)
        except SegError as exc:
            self.skipped[image_path] = str(exc)
            return None

    def _estimated_bytes(self) -> int:
        from segmodels.labels.imageio import image_size

        for path in self.images:
            try:
                height, width = image_size(path)
            except SegError:
                continue  # unreadable: its pair is skipped later, the size comes from another image
            return 4 * width * height * len(self.images)  # RGB + label per pixel
        return 0

    def __len__(self) -> int:
        return len(self.images)

    @property
    def cached(self) -> bool:
        return self._cache is not None

    def raw(self, index: int) -> Pair | None:
        """The untransformed pair, or None when it is unreadable (then named in `skipped`)."""
        return self._cache[index] if self._cache is not None else self._try_load(self.images[index])

    def __getitem__(self, index: int) -> Pair | None:
        pair = self.raw(index)
        if pair is None:
            return None
        image, label_map = pair
        if self.transform is not None:
            image, label_map = self.transform(image, label_map)
        return image, label_map

    def sizes(self) -> set[tuple[int, int]]:
        """Distinct (H, W) of the images (reads headers only when not cached)."""
        if self._cache is not None:
            return {tuple(label.shape) for _, label in self._cache}
        from segmodels.labels.imageio import image_size

        sizes = set()
        for path in self.images:
            try:
                sizes.add(image_size(path))
            except SegError:
                pass  # unreadable header: the pair is skipped (and named) when it is loaded
        return sizes


def collate_pairs(batch: list[Pair | None]) -> Pair | None:
    """Stack equally sized pairs into (N x 3 x H x W uint8, N x H x W int64); skipped (None) pairs are
    dropped, and a batch of nothing but skipped pairs is None."""
    batch = [pair for pair in batch if pair is not None]
    if not batch:
        return None
    images = torch.stack([image for image, _ in batch])
    labels = torch.stack([label for _, label in batch]).long()
    return images, labels
