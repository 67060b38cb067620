"""Label validation: report types, decoding, per-pixel checks, targets (what to check) and previews.
Never imports torch."""
