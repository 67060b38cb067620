"""Segmentation architectures behind one registry (`list_models`, `get_model`, `register_model`).

Importing this package is light (no torch): `segmodels.models.catalog`, the torch-free table of names,
descriptions and training defaults, can be imported by the GUI on its first frame. The registry names
are re-exported lazily; the first of them asked for imports every architecture module, so their
builders register. Every model is a `SegmentationModel`: N x 3 x H x W floats -> N x C x H x W logits
for any H and W.
"""
from __future__ import annotations

import importlib

from segmodels.lazy import lazy_exports

#: Modules whose @register_model decorators fill the registry.
_ARCHITECTURE_MODULES = ("deeplabv3plus", "fcn8s", "m2nist_fcn", "torchvision_models", "unet")

_LAZY = {
    "SegmentationModel": "segmodels.models.base",
    "get_model": "segmodels.models.registry",
    "list_models": "segmodels.models.registry",
    "model_description": "segmodels.models.registry",
    "register_model": "segmodels.models.registry",
}

__all__ = sorted(_LAZY)


def _register_architectures() -> None:
    for architecture in _ARCHITECTURE_MODULES:  # a registry without its builders would list nothing
        importlib.import_module(f"segmodels.models.{architecture}")


__getattr__ = lazy_exports(__name__, _LAZY, globals(), before=_register_architectures)
