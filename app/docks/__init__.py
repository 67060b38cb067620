"""One widget per file: image list, classes, model, training, validation, export."""
