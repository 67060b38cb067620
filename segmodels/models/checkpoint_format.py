"""What marks a segstudio checkpoint, readable without torch: the format tag, and a cheap sniff for it.

`looks_like_checkpoint(path)` tells a segstudio checkpoint from other PyTorch files (a bare state_dict,
torchvision weights) by finding the format tag among the pickle's bytes, without unpickling anything:
torch's zip format keeps the pickle (the dict's keys and small values; tensors are members of their
own) in a `<name>/data.pkl` member, and a legacy file starts with it. The sniff only decides which way
the Model dock opens a file (select it, or load its weights into an architecture); `load_checkpoint`
still validates everything, and says why a file that merely looks right is refused.

Contract: standard library only (the GUI calls it on its thread, with torch not yet imported).
"""
from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

FORMAT_TAG = "segstudio-checkpoint"
#: The most pickle bytes read to look for the tag (a checkpoint's pickle is tens of kilobytes).
SNIFF_BYTES = 1 << 20


def looks_like_checkpoint(path: str | os.PathLike[str]) -> bool:
    """Whether `path` looks like a segstudio checkpoint; True as well for what is not a readable regular
    file (a missing file, a FIFO), so that the checkpoint loader gives its sentence about it."""
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return True
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
        if head.startswith(b"PK"):
            with zipfile.ZipFile(path) as archive:
                member = next((m for m in archive.infolist() if m.filename.endswith("data.pkl")), None)
                if member is None or member.file_size > SNIFF_BYTES:
                    return False
                head = archive.read(member)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, KeyError):
        return True
    return FORMAT_TAG.encode() in head
