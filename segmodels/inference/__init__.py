"""Inference: device choice, preprocessing, whole-image and tiled prediction, batches over files,
and uncertainty ranking."""
