"""segmodels: everything in segstudio that is not GUI (labels, projects, models, training, CLI).

Never imports Qt. Importing this package is light: torch-backed names (`get_model`, `list_models`,
`save_checkpoint`, `load_checkpoint`, `predict_image`, `fit`, ...) are loaded on first use.
"""
from __future__ import annotations

from segmodels.lazy import lazy_exports

__version__ = "0.1.0"

_LAZY = {
    "list_models": "segmodels.models",
    "get_model": "segmodels.models",
    "register_model": "segmodels.models",
    "save_checkpoint": "segmodels.models.checkpoint",
    "load_checkpoint": "segmodels.models.checkpoint",
    "predict_image": "segmodels.inference.predict",
    "predict_files": "segmodels.inference.batch",
    "TrainConfig": "segmodels.training",
    "fit": "segmodels.training",
    "train_one_epoch": "segmodels.training",
    "evaluate": "segmodels.training",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_exports(__name__, _LAZY, globals())
