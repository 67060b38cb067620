"""Inference: device choice (`device`), preprocessing (`preprocess`), whole-image and tiled prediction
(`predict`, `tiling`, `blend`), batches over files (`batch`, built on `predict`; nothing imports it back) and
uncertainty ranking (`uncertainty`, numpy/Pillow only). This package imports nothing itself, so
`segmodels.inference.uncertainty` loads without torch."""
