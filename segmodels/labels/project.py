"""Project folders: what a user sees on disk (DESIGN.md, "Project folder").

    <project>/segstudio.json   classes, ignore index, image and label folder names
    <project>/images/          the images
    <project>/labels/          reviewed labels, palette PNGs named <stem>.png
    <project>/predictions/     model proposals (same encoding), never mixed into labels/
    <project>/models/          checkpoints trained here, with <name>.json metrics beside each

`Project.open` also accepts a plain folder of images (it becomes a project, the JSON written on first
save) and a PASCAL VOC root (JPEGImages/ + SegmentationClass/, worked on in place with VOC classes).
Whatever the kind, two images with one stem (`frame.png`, `frame.jpg`) would share one label file, so
such a folder is refused at open, and a write for an image that got such a twin later is refused too
(segmodels.labels.stems).
"""
from __future__ import annotations

import enum
import json
import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from segmodels.atomic import atomic_write_text, read_regular_bytes
from segmodels.constants import CLASS_EDIT_JOURNAL, IGNORE_INDEX, IMAGE_SUFFIXES
from segmodels.errors import ChangedOnDisk, SegError, describe
from segmodels.formats.encodings import LabelEncoding, detect_encoding, read_label_file, write_label_file
from segmodels.formats.foreign import folder_note
from segmodels.formats.labelfiles import first_label_file, infer_encoding, label_file, label_files_by_stem
from segmodels.formats.layouts import FOLDER, PROJECT, Layout
from segmodels.labels.classes import ClassTable
from segmodels.labels.labelio import read_label_png, write_label_png
from segmodels.labels.labelled_files import class_color_codes, has_labelled_file
from segmodels.labels.project_file import folder_entry, layout_entries, refuse_symlinked_folder
from segmodels.labels.stems import clash_error, find_stem_clashes, folds_case, stem_clash
from segmodels.stamps import FileStamp, changed_since

PROJECT_FILE = "segstudio.json"
PROJECT_VERSION = 1
#: Unsaved edits are kept here (app.document.recovery), beside the project's folders.
RECOVERY_DIR = ".segstudio-recovery"


class ProjectKind(enum.Enum):
    PROJECT = "project"   # has segstudio.json
    FOLDER = "folder"     # plain folder of images, becomes a project on first save
    VOC = "voc"           # a dataset in its own layout (VOC, Cityscapes...), used in place: formats/detection.py


class ImageStatus(enum.Enum):
    UNLABELLED = "unlabelled"
    PREDICTED = "predicted"
    REVIEWED = "reviewed"
    INVALID = "invalid"


def is_image_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def default_classes() -> ClassTable:
    return ClassTable.from_names(["background", "foreground"])


@dataclass(frozen=True)
class Project:
    root: Path
    classes: ClassTable
    images_dir: Path
    labels_dir: Path
    predictions_dir: Path
    models_dir: Path
    kind: ProjectKind = ProjectKind.PROJECT
    #: Where images and labels are and how a label is named (segmodels/formats/layouts.py)
    layout: Layout = PROJECT
    #: How new label files are stored; an existing file keeps its own (segmodels/formats/encodings.py)
    label_encoding: LabelEncoding = LabelEncoding.PALETTE
    #: One sentence: what was recognised at open and where the classes came from (shown to the user)
    origin: str = field(default="", compare=False)
    #: segstudio.json as it was read (None: there was none); `save` refuses to replace a changed one.
    config_stamp: FileStamp | None = field(default=None, compare=False)

    # -- opening and creating -----------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Project:
        """Open a project folder, a plain image folder or a VOC root."""
        root = Path(path)
        if not root.exists():
            raise SegError(f"{describe(root)} does not exist.", path=root)
        if not root.is_dir():
            raise SegError(f"{describe(root)} is not a folder.", path=root)
        config_path = root / PROJECT_FILE
        if config_path.exists():
            project = cls._from_config(root, config_path)
        elif (guess := _detect_dataset(root)) is not None:  # a dataset in its own layout, used in place
            project = cls(root, guess.classes, guess.images_dir, guess.labels_dir, root / "predictions",
                          root / "models", ProjectKind.VOC, guess.layout, guess.encoding, origin=guess.origin)
        else:
            images_dir = root / "images" if (root / "images").is_dir() else root
            encoding, _ = infer_encoding(root / "labels")  # existing labels keep theirs (docs/formats.md)
            project = cls(root, default_classes(), images_dir, root / "labels", root / "predictions",
                          root / "models", ProjectKind.FOLDER, FOLDER, encoding)
        for folder in (project.labels_dir, project.predictions_dir, project.models_dir, root / RECOVERY_DIR):
            refuse_symlinked_folder(folder)
        project.refuse_stem_clashes()
        project, settled = _settle_class_edit(project)  # never labels and a class table that disagree
        if not project.origin:
            project = replace(project, origin=_origin(project, config_path))
        notes = [settled] if settled else []
        notes += [note for folder in dict.fromkeys((project.images_dir, project.labels_dir))
                 if (note := folder_note(folder))]  # a labelme/COCO .json beside the images: say how to import it
        return replace(project, origin=" ".join([project.origin, *notes])) if notes else project

    @classmethod
    def create(cls, root: str | os.PathLike[str], classes: ClassTable) -> Project:
        """Create an empty project (folders and segstudio.json) at `root`."""
        root = Path(root)
        project = cls(root, classes, root / "images", root / "labels", root / "predictions", root / "models")
        for folder in (project.images_dir, project.labels_dir):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SegError(f"Cannot create {describe(folder)}: {exc.strerror or exc}.", path=folder) from exc
        return project.save(force=True)

    @classmethod
    def _from_config(cls, root: Path, config_path: Path) -> Project:
        stamp = FileStamp.of(config_path)  # before reading: a change in between shows as a conflict, never hides
        try:
            data = json.loads(read_regular_bytes(config_path, "project file").decode("utf-8"))
        except OSError as exc:
            raise SegError(f"Cannot read {describe(config_path)}: {exc.strerror or exc}.", path=config_path) from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SegError(f"Project file {describe(config_path)} is not valid JSON.", path=config_path) from exc
        if not isinstance(data, dict):
            raise SegError(f"Project file {describe(config_path)} must hold a JSON object.", path=config_path)
        if "classes" not in data or not isinstance(data["classes"], list):
            raise SegError(f"Project file {describe(config_path)} has no 'classes' list.", path=config_path)
        version = data.get("version", PROJECT_VERSION)
        if version != PROJECT_VERSION:
            raise SegError(f"Project file {describe(config_path)} has version {version}; "
                           f"this segstudio reads version {PROJECT_VERSION}.", path=config_path)
        ignore = data.get("ignore_index", IGNORE_INDEX)
        if ignore != IGNORE_INDEX:
            raise SegError(f"Project file {describe(config_path)} sets ignore_index {ignore}; "
                           f"segstudio uses {IGNORE_INDEX}.", path=config_path)
        classes = ClassTable.from_json(data["classes"], source=f"project file {describe(config_path)}")
        images = folder_entry(root, config_path, data, "images")
        labels = folder_entry(root, config_path, data, "labels")
        layout, encoding = layout_entries(config_path, data)
        if encoding is None:  # an older segstudio.json: its labels say (docs/formats.md), saved from then on
            encoding, _ = infer_encoding(labels, recursive=layout.recursive)
        project = cls(root, classes, images, labels, root / "predictions", root / "models", layout=layout,
                      label_encoding=encoding, config_stamp=stamp)
        folders = {"images": images, "labels": labels, "predictions": project.predictions_dir,
                   "models": project.models_dir}
        seen: dict[str, str] = {}
        for name, folder in folders.items():
            where = os.path.realpath(folder)
            if where in seen:
                raise SegError(f"Project file {describe(config_path)} names one folder for both "
                               f"'{seen[where]}' and '{name}'; they must be different folders.", path=config_path)
            seen[where] = name
        return project

    # -- persistence ----------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def name(self) -> str:
        return self.root.resolve().name

    def to_json(self) -> dict:
        def rel(folder: Path) -> str:
            try:
                return folder.relative_to(self.root).as_posix() or "."
            except ValueError:
                return str(folder)
        layout = PROJECT if self.layout is FOLDER else self.layout
        return {"version": PROJECT_VERSION, "classes": self.classes.to_json(), "ignore_index": IGNORE_INDEX,
                "images": rel(self.images_dir), "labels": rel(self.labels_dir), "layout": layout.name,
                "label_encoding": self.label_encoding.value}

    def save(self, *, force: bool = False) -> Project:
        """Write segstudio.json atomically and return the project as saved. A plain folder becomes a
        project; a VOC root stays VOC (its classes are the VOC ones) unless it already has a JSON.
        Raises ChangedOnDisk, writing nothing, when the file changed since it was read (another window
        or program saved it), unless `force`: the caller asks the user first."""
        if not force and changed_since(self.config_path, self.config_stamp):
            raise ChangedOnDisk(f"Project file {describe(self.config_path)} was changed by another program "
                                "since it was opened.", path=self.config_path)
        atomic_write_text(self.config_path, json.dumps(self.to_json(), indent=2) + "\n")
        kind = ProjectKind.PROJECT if self.kind is ProjectKind.FOLDER else self.kind
        layout = PROJECT if self.layout is FOLDER else self.layout
        return replace(self, kind=kind, layout=layout, config_stamp=FileStamp.of(self.config_path))

    def with_classes(self, classes: ClassTable) -> Project:
        return replace(self, classes=classes)

    def is_writable(self) -> bool:
        """Whether labels can be saved here (checked up front so the user learns before painting)."""
        target = self.labels_dir if self.labels_dir.exists() else self.root
        return os.access(target, os.W_OK | os.X_OK)

    # -- images and their labels ------------------------------------------------------------------
    def image_paths(self) -> list[Path]:
        return self.layout.image_paths(self.images_dir)

    def refuse_stem_clashes(self) -> None:
        """StemClash (one sentence: the first pair, and how many more) when two images share a stem."""
        if not self.images_dir.is_dir():
            return
        fold_case = folds_case(self.images_dir)
        for folder, names in self.layout.images_by_folder(self.images_dir).items():
            clashes = find_stem_clashes(names, fold_case=fold_case)
            if clashes:
                first = next(name for name in names if name in clashes)
                image = folder / first
                raise clash_error(image, folder / clashes[first], self.label_path(image), others=len(clashes) - 2)

    def stem_clash(self, image: Path) -> Path | None:
        """Another image in the images folder with `image`'s stem (added since the project was opened,
        or `image` is not one of the project's own), whose label would be `image`'s; cheap (no listing)."""
        return stem_clash(image, Path(image).parent if self.layout.recursive else self.images_dir)

    def refuse_stem_clash(self, image: Path, target: Path | None = None, what: str = "label file") -> None:
        """StemClash before writing `target` (default: the label) for `image` when another image shares its stem."""
        other = self.stem_clash(image)
        if other is not None:
            raise clash_error(Path(image), other, self.label_path(image) if target is None else target, what)

    def refuse_prediction_clash(self, image: Path) -> None:
        """`refuse_stem_clash` for the prediction of `image` (what batch prediction into predictions/ checks)."""
        self.refuse_stem_clash(image, self.prediction_path(image), "prediction file")

    def label_path(self, image: Path) -> Path:
        """The label file of `image` under the layout's naming (it may not exist yet). A one-hot
        project's label may be .npy or .npz: the existing one, else the suffix of `label_model`."""
        base = self.layout.label_base(self.images_dir, self.labels_dir, image, self.label_encoding)
        return label_file(base, self.label_encoding, lambda: self.label_model)

    @cached_property
    def label_model(self) -> Path | None:
        """The first label file of the project's encoding: new one-hot labels take its suffix and form."""
        return first_label_file(self.labels_dir, self.label_encoding, recursive=self.layout.recursive)

    def label_encoding_of(self, label_file: Path) -> LabelEncoding:
        """How an existing label file is stored (its name and header say; a grey file is the
        project's grey-stored encoding, binary or labelIds, when the project uses one)."""
        return detect_encoding(label_file, default=self.label_encoding)

    def prediction_path(self, image: Path) -> Path:
        stem = self.layout.relative_stem(self.images_dir, image)
        return self.predictions_dir / stem.with_name(stem.name + ".png")

    def confidence_path(self, image: Path) -> Path:
        """Per-pixel confidence (max softmax) saved as 8-bit grey PNG, 255 = 1.0."""
        stem = self.layout.relative_stem(self.images_dir, image)
        return self.predictions_dir / stem.with_name(stem.name + ".conf.png")

    def status(self, image: Path) -> ImageStatus:
        """Status from the files present; a label counts only with a labelled pixel (decoded once per
        file version: segmodels.labels.labelled_files). INVALID comes from validation."""
        if self.has_reviewed_label(image):
            return ImageStatus.REVIEWED
        if self.prediction_path(image).exists():
            return ImageStatus.PREDICTED
        return ImageStatus.UNLABELLED

    def statuses(self) -> dict[Path, ImageStatus]:
        if self.layout.recursive or self.layout.label_stem is not PROJECT.label_stem:
            return {image: self.status(image) for image in self.image_paths()}
        labels = label_files_by_stem(self.labels_dir, self.label_encoding)  # .png, or .npy/.npz for one-hot
        predictions = {p.stem for p in self.predictions_dir.glob("*.png")} if self.predictions_dir.is_dir() else set()
        result = {}
        for image in self.image_paths():
            if image.stem in labels and self.has_reviewed_label(image, labels[image.stem]):
                result[image] = ImageStatus.REVIEWED
            elif image.stem in predictions:
                result[image] = ImageStatus.PREDICTED
            else:
                result[image] = ImageStatus.UNLABELLED
        return result

    def has_reviewed_label(self, image: Path, label_file: Path | None = None) -> bool:
        """Whether `image`'s label file (`label_file` when the caller listed it) exists and has a
        labelled pixel (docs/models-and-labels.md#reviewed-labels)."""
        raw = self.label_encoding in (LabelEncoding.PALETTE, LabelEncoding.GREY)
        colors = class_color_codes(self.classes) if self.label_encoding is LabelEncoding.COLOR else None
        return has_labelled_file(label_file or self.label_path(image), self.read_label_file, raw_indices=raw,
                                 class_colors=colors)

    def blank_labels(self) -> list[Path]:
        """Label files on disk without a labelled pixel (every pixel 255): their images are not reviewed."""
        return [label for image, status in self.statuses().items()
                if status is not ImageStatus.REVIEWED and (label := self.label_path(image)).exists()]

    def labelled_images(self) -> list[Path]:
        """Images that have a reviewed label (what training uses; predictions never count)."""
        return [p for p, s in self.statuses().items() if s is ImageStatus.REVIEWED]

    def read_label(self, image: Path) -> np.ndarray | None:
        path = self.label_path(image)
        return self.read_label_file(path) if path.exists() else None

    def read_label_file(self, label_file: Path) -> np.ndarray:
        """A label file of this project as an index map, whatever its encoding; SegError naming it."""
        return read_label_file(label_file, self.classes, default=self.label_encoding)  # = label_encoding_of

    def read_prediction(self, image: Path) -> np.ndarray | None:
        path = self.prediction_path(image)
        return read_label_png(path) if path.exists() else None

    def write_label(self, image: Path, label_map: np.ndarray, *, stem_checked: bool = False) -> Path:
        """Write `image`'s label in the file's own encoding. `stem_checked`: the caller has just refused a
        stem clash for `image` (an import does, before writing the image), so the 21 stat calls are not repeated."""
        refuse_symlinked_folder(self.labels_dir)
        path = self.label_path(image)
        if not stem_checked:
            self.refuse_stem_clash(image, path)
        encoding = self.label_encoding
        if path.is_file():
            try:
                encoding = self.label_encoding_of(path)
            except SegError:
                pass  # an unreadable file is replaced in the project's encoding (the window kept a copy)
        if self.layout.recursive:
            path.parent.mkdir(parents=True, exist_ok=True)
        like = self.label_model if encoding is LabelEncoding.ONEHOT else None  # a new array looks like the others
        write_label_file(path, label_map, self.classes, encoding, like=like)  # the file's own encoding: same meaning
        if self.layout.name.startswith("voc"):
            from segmodels.formats.labelme_viz import redraw_visualization  # formats load only for datasets
            from segmodels.formats.voc import labelme_npy_twins

            for twin in labelme_npy_twins(self.labels_dir, path):  # int32, -1 kept for 255
                write_label_file(twin, label_map, self.classes, LabelEncoding.ONEHOT, like=twin)
            redraw_visualization(self.labels_dir, image, path, label_map, self.classes)  # labelme2voc's picture
        return path

    def write_prediction(self, image: Path, label_map: np.ndarray) -> Path:
        refuse_symlinked_folder(self.predictions_dir)
        path = self.prediction_path(image)
        self.refuse_prediction_clash(image)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_label_png(path, label_map, self.classes)
        return path


def _settle_class_edit(project: Project) -> tuple[Project, str | None]:
    """An interrupted class edit finished or undone (segmodels/labels/class_journal.py); its module loads
    only when a journal is there (every open, the window's start-up among them, checks)."""
    if not (project.root / CLASS_EDIT_JOURNAL).exists():
        return project, None
    from segmodels.labels.class_journal import settle

    return settle(project)


def _detect_dataset(root: Path):
    # Imported here: every format module comes with it, and a segstudio project (the demo at start-up)
    # never needs them.
    from segmodels.formats.detection import detect_dataset

    return detect_dataset(root)


def _origin(project: Project, config_path: Path) -> str:
    if project.kind is ProjectKind.FOLDER:
        return (f"Plain image folder; labels go to {project.labels_dir.name}/ as {project.label_encoding.value} "
                f"labels with the default {len(project.classes)} classes until you save.")
    where = "" if project.layout is PROJECT else f"{project.layout.description}, "
    return (f"segstudio project ({where}{project.label_encoding.value} labels), {len(project.classes)} classes "
            f"from {config_path.name}.")


def open_path(path: str | os.PathLike[str]) -> tuple[Project, Path | None]:
    """Open whatever the user named: an image (its folder's project, that image selected), a
    folder, a project or a VOC root."""
    target = Path(path)
    if target.is_file():
        if target.name == PROJECT_FILE:
            return Project.open(target.parent), None
        folder = target.parent
        from segmodels.formats.cityscapes import cityscapes_root_of

        if (root := cityscapes_root_of(target)) is not None:  # leftImg8bit/<split>/<city>/<image>
            return Project.open(root), target
        if folder.name in ("images", "JPEGImages") and (
                (folder.parent / PROJECT_FILE).exists() or folder.name == "JPEGImages"):
            folder = folder.parent
        return Project.open(folder), target
    return Project.open(target), None
