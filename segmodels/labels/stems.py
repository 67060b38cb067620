"""Two images with one stem (`frame.png` and `frame.jpg`): they would share one label file.

Labels, predictions and recovery files are named `<stem>.png` (DESIGN.md; every dataset format
segstudio reads or writes pairs image and label by stem), so two image files with one stem would share
all three: saving one image's label overwrote the other's, and after a crash only one edit came back
(issue 13, item 3). segstudio refuses such a project at open, and refuses each write for an image
that got such a twin after the project was opened; it never renames label files, which would change
what the dataset means to every other tool that reads it.

- `find_stem_clashes(paths)`: which of a list of images share a stem (the open check, batch predict);
- `stem_clash(image, folder)`: another image file in `folder` with `image`'s stem, found with a few
  stat calls rather than a listing, because it runs on every save (a folder may hold 100k images);
- `clash_error(...)`: the one sentence, naming both files.

Letter case: what matters is whether the two label files would be one file. On a file system that
tells 'Frame' from 'frame' (Linux), labels/Frame.png and labels/frame.png are two files, so `Frame.png`
and `frame.jpg` are two labels and both are fine; on one that ignores case (macOS and Windows by
default) they are one file, so there they clash. `folds_case` asks the file system which it is, with
one stat of a case-swapped name, instead of refusing valid Linux datasets or missing real clashes on a
Mac; `stem_clash` needs no such question, because its stat calls fold case exactly when the file
system does.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from segmodels.constants import IMAGE_SUFFIXES
from segmodels.errors import StemClash, describe

P = TypeVar("P", str, Path)


def find_stem_clashes(paths: Iterable[P], *, fold_case: bool = False) -> dict[P, P]:
    """Each of `paths` (paths or bare names) whose stem another of them shares, mapped to the first
    such other one in the order given; empty when every stem is its own. `fold_case`: stems that
    differ only in letter case clash too (see `folds_case`). Plain string work, no file access."""
    first: dict[str, P] = {}
    groups: dict[str, list[P]] = {}  # only the stems that clash (a list per image would double the cost)
    for path in dict.fromkeys(paths):
        stem = _stem(path.name if isinstance(path, Path) else os.path.basename(path))
        key = stem.lower() if fold_case else stem
        seen = first.setdefault(key, path)
        if seen is not path:
            groups.setdefault(key, [seen]).append(path)
    return {path: group[1] if path is group[0] else group[0] for group in groups.values() for path in group}


def stem_clash(image: Path, folder: Path) -> Path | None:
    """Another image file in `folder` whose stem is `image`'s (so whose label would be `image`'s), or None.

    It stats `<stem><suffix>` for each image suffix in lower, upper and title case (`.jpg`, `.JPG`,
    `.Jpg`): 21 stat calls, whatever the size of the folder. A twin with a rarer spelling (`.jPg`)
    is not seen here; the listing `Project.open` does sees it."""
    image = Path(image)
    if not image.stem or image.stem.startswith("."):  # not an image name (dot files are never listed)
        return None
    own = _stat(image)
    base = os.path.join(folder, image.stem)  # strings, not Paths: this runs on every save and import
    for spelling in _SPELLINGS:
        found = _stat(base + spelling)
        if found is None or not stat.S_ISREG(found.st_mode):
            continue
        name = image.stem + spelling
        if own is not None and name.lower() == image.name.lower() and os.path.samestat(own, found):
            continue  # the image itself (under another spelling where the file system ignores case)
        return folder / name
    return None


_SPELLINGS = tuple(dict.fromkeys(spelling for suffix in IMAGE_SUFFIXES
                                 for spelling in (suffix, suffix.upper(), suffix.title())))


def folds_case(folder: Path) -> bool:
    """Whether the file system holding `folder` ignores letter case in names: the folder (or the
    nearest of its parents whose name has letters) is looked up with its name's case swapped."""
    probe = Path(os.path.realpath(folder))
    for part in (probe, *probe.parents):
        swapped = part.name.swapcase()
        if swapped == part.name or not part.exists():
            continue
        try:
            return os.path.samefile(part, part.with_name(swapped))
        except OSError:  # the swapped name does not exist: the file system tells case apart
            return False
    return False


def clash_error(image: Path, other: Path, target: Path, what: str = "label file", others: int = 0) -> StemClash:
    """The one sentence: both images by name, the file they would share, and what to do."""
    if image.parent == other.parent:
        both = f"{describe(image.name)} and {describe(other.name)} in {describe(image.parent)}"
    else:
        both = f"{describe(image)} and {describe(other)}"
    more = f" ({others} more image{'s' if others != 1 else ''} there clash the same way)" if others > 0 else ""
    return StemClash(f"Images {both} share the name '{image.stem}', so they would share one {what} "
                     f"{describe(target)}{more}; rename one of them.", path=image)


def _stem(name: str) -> str:
    """`Path(name).stem`, without building a Path (this runs once per image of a folder at each open)."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _stat(path: Path | str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):  # missing, unreadable, or a name the OS refuses
        return None
