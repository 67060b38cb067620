"""Label validation. Never imports torch.

Modules, each importing only those above it (no cycle, no lazy import to hide one):
- `report`: what is reported and what is asked (ProblemKind, Problem, FileResult, ValidationReport,
  LabelJob, ValidationOptions, DecodedLabel, NamedTable);
- `decode`: reading label files of every kind and checking their pixels;
- `tables`: which class table a run checks against, and why;
- `targets`: which label files (and images) a path stands for;
- `previews`: blended previews with invalid pixels in magenta;
- `run`: check_label, iter_validate, validate_path, invalid_pixels.
Import from the module; this package imports nothing, so using `report` alone stays cheap.
"""
