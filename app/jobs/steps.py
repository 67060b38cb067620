"""What a file-by-file import or export job reports to its dialog, whatever the format behind it.

The format code yields its own step types (`segmodels.labels.export.ExportStep`,
`segmodels.formats.importing.ConvertStep`); the jobs in app/docks/export_choices.py and
app/docks/import_kinds.py turn each into one `FileStep`, so one progress panel shows them all.

The format code words its sentences for the command line ("--out 'x' is a folder..."); a dialog has
fields, not options, so `plain` renames the options before a sentence is shown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

#: Command-line options named in the format code's sentences -> the dialogs' words for the same field.
OPTION_WORDS = {"--out": "The output", "--images": "The images folder", "--classes": "The class list",
                "--format cvat": "a CVAT export"}
_OPTION = re.compile(r"(^|(?<=\s))(" + "|".join(re.escape(option) for option in OPTION_WORDS) + r")\b")


@dataclass(frozen=True)
class FileStep:
    index: int                  # 1-based; 0 for a report about the whole source before the first file
    total: int
    name: str                   # the file the step is about, as the user knows it
    error: str | None = None    # why this file was skipped
    notes: tuple[str, ...] = ()  # what was left out of a file that was done
    already: bool = False       # an import found the same image and label already in the project


def plain(sentence: str) -> str:
    """`sentence` with command-line option names replaced by the dialogs' field names."""
    def word(match: re.Match[str]) -> str:
        replacement = OPTION_WORDS[match.group(2)]
        # "--out 'x' ..." starts a sentence; ", use --out" is inside one
        return replacement if match.start() == 0 else replacement[0].lower() + replacement[1:]

    return _OPTION.sub(word, sentence)
