"""Segmentation architectures behind one registry (`list_models`, `get_model`, `register_model`).

Importing this package imports every architecture module so their builders register. Every model
is a `SegmentationModel`: N x 3 x H x W floats -> N x C x H x W logits for any H and W.
"""
from __future__ import annotations

# Imported for their @register_model side effect.
from segmodels.models import deeplabv3plus, fcn8s, m2nist_fcn, torchvision_models, unet  # noqa: E402,F401
from segmodels.models.base import SegmentationModel
from segmodels.models.registry import get_model, list_models, model_description, register_model

__all__ = ["SegmentationModel", "get_model", "list_models", "model_description", "register_model"]
